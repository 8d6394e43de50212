"""The workbench page (工作台页面): five steps in a navbar — data, framework, methods, run, results.

Element ids are the contract with the browser tests (docs/design-workbench.md, "The page"). Every visible word
comes from :mod:`nqpf.app.i18n` in both languages; the language switch ``lang`` shows one of them. Building the
page imports no heavy library module (the analyses' forms are rendered by the server once it is up).
"""

from __future__ import annotations

from pathlib import Path

from htmltools import Tag, TagList, tags
from shiny import ui

from nqpf.app.i18n import T, t
from nqpf.core.framework import BUNDLED_FRAMEWORKS
from nqpf.datasets import DATASETS

__all__ = ["ASSETS", "DATA_ACCEPT", "KINDS", "STEPS", "app_ui", "choice_labels"]

ASSETS = Path(__file__).parent / "assets"
DATA_ACCEPT = [".csv", ".xlsx", ".xls", ".dta"]
FW_ACCEPT = [".yaml", ".yml"]
#: the unit kinds a reader can be told ("" = detect), as the design lists them
KINDS = ("", "province", "city", "county", "firm", "country", "other")
#: what the page starts on before the server, once the library is loaded, sets the bundled default study's
#: dataset and framework (nqpf.study.load_study(); the first ones listed are those today)
FIRST_DATASET = next(iter(DATASETS))
FIRST_FRAMEWORK = BUNDLED_FRAMEWORKS[0]


def choice_labels(keys: tuple[str, ...] | list[str], prefix: str, lang: str, blank: str = "detect") -> dict[str, str]:
    """Select choices ``{key: label}`` with labels ``t(prefix + key)`` (``""`` → ``t(blank)``)."""
    return {k: t(blank if k == "" else f"{prefix}{k}", lang) for k in keys}


def _both(key: str) -> str:
    """Both languages in one string, for the few places that take plain text (the file button)."""
    return f"{t(key, 'zh')} / {t(key, 'en')}"


def _card(title: TagList | str, *body: object, **kw: object) -> Tag:
    return ui.card(ui.card_header(title), *body, **kw)


def _data_panel(lang: str) -> Tag:
    inputs = _card(
        T("data_source"),
        ui.input_radio_buttons("data_source", None, {"bundled": T("bundled"), "upload": T("upload")},
                               selected="bundled", inline=True),
        ui.panel_conditional(
            "input.data_source === 'bundled'",
            ui.input_select("dataset", T("dataset"), {k: k for k in DATASETS}, selected=FIRST_DATASET),
        ),
        ui.panel_conditional(
            "input.data_source === 'upload'",
            ui.input_file("data_file", T("data_file"), accept=DATA_ACCEPT,
                          button_label=_both("browse"), placeholder=_both("no_file")),
            ui.input_select("sheet", T("sheet"), {"": t("every_sheet", lang)}),
            ui.input_select("unit_col", T("unit_col"), {"": t("detect", lang)}),
            ui.input_select("year_col", T("year_col"), {"": t("detect", lang)}),
            ui.input_select("layout", T("layout"), choice_labels(("auto", "long", "wide"), "layout_", lang)),
            ui.input_select("kind", T("kind"), choice_labels(KINDS, "kind_", lang)),
            ui.input_selectize("labels", T("labels"), [], multiple=True),
            ui.input_text_area("rename", T("rename"), placeholder="苏州 = 苏州市", rows=3),
        ),
        ui.input_action_button("read_data", T("read_data"), class_="btn-primary"),
    )
    outputs = TagList(
        _card(T("messages"), ui.output_ui("data_summary"), ui.output_ui("data_messages")),
        _card(T("preview"), ui.output_ui("data_preview"), class_="nqpf-preview-card"),
    )
    return ui.layout_columns(inputs, outputs, col_widths=(4, 8))


def _framework_panel(lang: str) -> Tag:
    inputs = _card(
        T("fw_source"),
        ui.input_radio_buttons("fw_source", None,
                               {"bundled": T("fw_bundled"), "upload": T("fw_upload"), "table": T("fw_table")},
                               selected="bundled", inline=True),
        ui.panel_conditional(
            "input.fw_source === 'bundled'",
            ui.input_select("framework", T("framework"), {FIRST_FRAMEWORK: FIRST_FRAMEWORK}),
        ),
        ui.panel_conditional(
            "input.fw_source === 'upload'",
            ui.input_file("fw_file", T("fw_file"), accept=FW_ACCEPT, button_label=_both("browse"),
                          placeholder=_both("no_file")),
        ),
        ui.panel_conditional(
            "input.fw_source === 'table'",
            ui.input_text("fw_name", T("fw_name"), value="my-index"),
            ui.input_text("fw_title_zh", T("fw_title_zh"), value=t("fw_default_title", "zh")),
            ui.input_text("fw_title_en", T("fw_title_en"), value=t("fw_default_title", "en")),
            ui.input_action_button("fw_from_data", T("fw_from_data")),
            ui.input_action_button("fw_add_row", T("fw_add_row")),
            ui.input_action_button("fw_check", T("fw_check"), class_="btn-primary"),
        ),
        ui.download_button("dl_framework", T("dl_framework")),
    )
    outputs = TagList(
        _card(T("framework"), ui.output_ui("fw_summary"), ui.output_ui("fw_messages")),
        ui.panel_conditional(
            "input.fw_source === 'table'",
            _card(T("fw_indicators"), ui.output_data_frame("fw_indicators")),
            _card(T("fw_dimensions"), ui.output_data_frame("fw_dimensions")),
        ),
    )
    return ui.layout_columns(inputs, outputs, col_widths=(4, 8))


def _methods_panel(lang: str) -> Tag:
    measure = _card(
        T("methods_measure"),
        ui.input_text("index_name", T("index_name"), value="index"),
        ui.input_text("years", T("years"), value=""),
        ui.input_text("exclude_units", T("exclude_units"), value="", placeholder="西藏, 香港"),
        ui.input_select("normalization", T("normalization"), {"minmax": "minmax"}),
        ui.input_select("scope", T("scope"), {"pooled": "pooled"}),
        ui.input_select("weighting", T("weighting"), {"global_entropy": "global_entropy"}),
        ui.input_select("aggregation", T("aggregation"), {"weighted_sum": "weighted_sum"}),
        ui.input_select("tree", T("tree"), {"flat": "flat"}),
        ui.input_select("weights_kind", T("weights_kind"), {"none": t("weights_none", lang)}),
        ui.panel_conditional("input.weights_kind === 'knn'",
                             ui.input_numeric("weights_k", T("weights_k"), value=4, min=1, step=1)),
        ui.input_select("groups", T("groups"), {"": t("groups_none", lang)}),
        ui.input_radio_buttons("out_lang", T("out_lang"), {"zh": "中文", "en": "English"}, selected=lang,
                               inline=True),
        ui.input_checkbox("excel", T("excel"), value=True),
        ui.input_action_button("check_study", T("check_study"), class_="btn-primary"),
    )
    left = TagList(
        measure,
        _card(T("check_study"), ui.output_ui("methods_messages")),
        _card(T("study_preview"), ui.output_ui("study_preview")),
    )
    return ui.layout_columns(left, _card(T("analyses"), ui.output_ui("analysis_forms")), col_widths=(5, 7))


def _run_panel(lang: str) -> Tag:
    return _card(
        T("step_run"),
        tags.div(
            ui.input_action_button("run_study", T("run_study"), class_="btn-primary btn-lg"),
            ui.input_action_button("run_cancel", T("run_cancel"), class_="btn-outline-secondary"),
            class_="nqpf-run-buttons",
        ),
        ui.output_ui("run_progress"),
        ui.output_ui("run_error"),
    )


DOWNLOADS = ("dl_report", "dl_excel", "dl_methods", "dl_provenance", "dl_study", "dl_bundle", "dl_summary")


def _results_panel(lang: str) -> Tag:
    return TagList(
        _card(T("downloads"),
              tags.div(ui.output_text("has_results", inline=True), class_="nqpf-hidden"),
              ui.panel_conditional("output.has_results === '1'",
                                   tags.div(*[ui.download_button(d, T(d)) for d in DOWNLOADS],
                                            class_="nqpf-downloads")),
              ui.panel_conditional("output.has_results !== '1'", tags.p(T("no_results"), class_="text-muted"))),
        _card(T("report"), ui.output_ui("report_frame")),
        _card(T("result_table"),
              ui.panel_conditional("output.has_results === '1'", ui.input_select("result_table", None, {}),
                                   ui.output_data_frame("result_grid")),
              ui.panel_conditional("output.has_results !== '1'", tags.p(T("no_results"), class_="text-muted"))),
        _card(T("run_summary"), ui.output_ui("run_summary")),
    )


#: the steps in order; each but the last has a button ``next_<step>`` to the following one
STEPS = ("data", "framework", "methods", "run", "results")


def _next(step: str) -> Tag:
    return tags.div(ui.input_action_button(f"next_{step}", T("next"), class_="btn-outline-primary"),
                    class_="nqpf-next")


def app_ui(lang: str = "zh") -> Tag:
    """The page; ``lang`` is the language the switch starts on."""
    return ui.page_navbar(
        ui.nav_panel(T("step_data"), _data_panel(lang), _next("data"), value="data"),
        ui.nav_panel(T("step_framework"), _framework_panel(lang), _next("framework"), value="framework"),
        ui.nav_panel(T("step_methods"), _methods_panel(lang), _next("methods"), value="methods"),
        ui.nav_panel(T("step_run"), _run_panel(lang), _next("run"), value="run"),
        ui.nav_panel(T("step_results"), _results_panel(lang), value="results"),
        ui.nav_spacer(),
        ui.nav_control(ui.input_radio_buttons("lang", None, {"zh": "中文", "en": "English"}, selected=lang,
                                              inline=True)),
        id="step",
        title=T("app_title"),
        header=ui.head_content(tags.link(rel="icon", href="data:,"), ui.include_css(ASSETS / "app.css"),
                               ui.include_js(ASSETS / "app.js", method="inline")),
        footer=tags.footer(T("offline"), class_="nqpf-footer"),
        window_title=t("app_title", lang),
        lang=lang,
    )
