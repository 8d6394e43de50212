"""The workbench's server function (工作台服务端): one call per browser tab, its state lives in that call.

It computes nothing itself: reading goes through :class:`nqpf.app.workspace.Workspace`, frameworks through
:mod:`nqpf.core.framework` and :mod:`nqpf.frameworks.table`, the options forms through :mod:`nqpf.app.forms`,
the study file through :func:`nqpf.study.writer.dump_study`, runs through :class:`nqpf.app.jobs.RunJob`. The
library modules are imported inside the callbacks (the server imports them in the background once it is up),
so the first page does not wait for them.
"""

from __future__ import annotations

import functools
import html
import importlib
import itertools
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from htmltools import Tag, TagList, tags
from shiny import Inputs, Outputs, Session, reactive, render, ui
from shiny.types import SilentException

from nqpf.app.i18n import WORDS, T, progress_text, t
from nqpf.app.ui import FIRST_DATASET, KINDS, STEPS, choice_labels

__all__ = ["WARM_MODULES", "DataState", "FwState", "Msg", "library_loaded", "server", "warm_up"]

POLL_SECONDS = 0.3
#: the grids' row count line (Shiny fills start, end, total), in both languages
GRID_SUMMARY = "第 {start}–{end} 行，共 {total} 行 / rows {start}–{end} of {total}"

#: the library modules the session needs, imported in a background thread (:func:`warm_up`) so that the page
#: answers while they load
WARM_MODULES = ("nqpf.app.workspace", "nqpf.app.jobs", "nqpf.app.forms", "nqpf.analysis", "nqpf.models",
                "nqpf.study.writer", "nqpf.frameworks.table", "nqpf.study.runner", "nqpf.geo.weights",
                "nqpf.geo.geometry", "nqpf.core.groups")
_WARM: dict[str, threading.Thread] = {}
_WARM_LOCK = threading.Lock()


def warm_up() -> None:
    """Import :data:`WARM_MODULES` in a background thread (once per process)."""
    with _WARM_LOCK:
        if "thread" not in _WARM:
            _WARM["thread"] = threading.Thread(target=_import_all, name="nqpf-app-warm", daemon=True)
            _WARM["thread"].start()


def _import_all() -> None:
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # warming is an optimisation; the session reports real errors when it imports
            traceback.print_exc()
    try:  # the one-time work of the first page, while the browser loads it: options' docs, frameworks' kinds
        importlib.import_module("nqpf.app.forms").analysis_catalogue()
        for name in _framework_names():
            _framework_kind(name)
    except Exception:
        traceback.print_exc()


def library_loaded() -> bool:
    """True once every module of :data:`WARM_MODULES` is imported (not merely being imported)."""
    for name in WARM_MODULES:
        mod = sys.modules.get(name)
        if mod is None or getattr(getattr(mod, "__spec__", None), "_initializing", False):
            return False
    return True
PREVIEW_ROWS = 200


@dataclass
class Msg:
    """A message for the page: level, text (as the library words it), the rows it concerns."""

    level: str
    text: str
    rows: list[int] = field(default_factory=list)
    sheet: str | None = None  # the workbook sheet the rows are on


@dataclass
class DataState:
    """What the data step read: the panel (None until read), messages, the raw preview, where it came from."""

    panel: Any = None
    messages: list[Msg] = field(default_factory=list)
    preview: pd.DataFrame | None = None
    raw: bool = False  # the preview is raw cells (an upload) rather than the panel
    path: Path | None = None  # the uploaded file (None: bundled)
    dataset: str | None = None
    read_kw: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None  # the sheet the raw preview shows


@dataclass
class FwState:
    """The current framework: its spec (None when not valid), how it was chosen, its YAML when built here."""

    spec: Any = None
    source: str = "bundled"
    name: str = ""
    yaml: str | None = None
    messages: list[Msg] = field(default_factory=list)


_UNKNOWN = re.compile(r"unknown \w+ name '([^']+)'; near matches: ([^;\n]+)")


def rename_hints(msgs: list[Msg]) -> list[str]:
    """For each unknown unit name with near matches in the library's messages, the rename lines that would
    fix it, one per candidate (the user picks the right one).

    Examples
    --------
    >>> rename_hints([Msg("error", "x.csv: unknown province name '广冬'; near matches: 广西, 广东; add a rename")])
    ['广冬 = 广西 | 广冬 = 广东']
    """
    out: list[str] = []
    for m in msgs:
        for name, near in _UNKNOWN.findall(m.text):
            line = " | ".join(f"{name} = {c.strip()}" for c in near.split(",") if c.strip())
            if line and line not in out:
                out.append(line)
    return out


_YEARS_HINT = re.compile(r'years = "(\d{4}-\d{4})" in \[\[index\]\]')
_EXCLUDE_HINT = re.compile(r"exclude_units = \[([^\]]+)\] in \[\[index\]\]")


def study_hints(text: str, lang: str) -> list[str]:
    """The library's study-file hints in an error (``years = "…"``, ``exclude_units = […]`` in [[index]]) as
    what to write in the page's boxes.

    Examples
    --------
    >>> study_hints('restrict the years, years = "2015-2021" in [[index]]; or exclude_units = ["池州市"] in '
    ...             '[[index]]', "en")  # doctest: +NORMALIZE_WHITESPACE
    ["In this page: write 2015-2021 in 'Years' (step ③).",
     "In this page: write 池州市 in 'Leave out units' (step ③)."]
    """
    out = [t("years_hint", lang, years=y) for y in _YEARS_HINT.findall(text)]
    for block in _EXCLUDE_HINT.findall(text):
        names = ", ".join(re.findall(r'"([^"]+)"', block))
        if names:
            out.append(t("exclude_hint", lang, units=names))
    return out


def msg_box(m: Msg, lang: str) -> Tag:
    """A ``div.nqpf-msg`` with the level's class and ``data-rows`` when it concerns rows."""
    attrs: dict[str, str] = {}
    if m.rows:
        attrs["data-rows"] = ",".join(str(r) for r in m.rows)
    return tags.div(tags.span(t(f"level_{m.level}", lang), class_="nqpf-level"), tags.span(m.text, class_="nqpf-text"),
                    class_=f"nqpf-msg nqpf-{m.level}", **attrs)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return f"{v:.10g}"  # as Excel shows a number in General format
    return str(v)


def preview_table(df: pd.DataFrame, flagged: set[int], raw: bool) -> Tag:
    """The preview as an HTML table: the row numbers the user sees (Excel rows for raw cells), flagged rows
    ``tr.nqpf-flag``. Written as one string: a bundled panel's 200 × 117 cells as tag objects took seconds."""
    esc = html.escape
    parts = ['<table class="table table-sm"><thead><tr><th class="nqpf-rownum">#</th>',
             *[f"<th>{esc(str(c))}</th>" for c in df.columns], "</tr></thead><tbody>"]
    for idx, row in zip(df.index, df.itertuples(index=False), strict=True):
        n = int(idx) if raw else None
        cls = ' class="nqpf-flag"' if n is not None and n in flagged else ""
        attr = f' data-row="{n}"' if n else ""
        parts.append(f'<tr{cls}{attr}><th class="nqpf-rownum">{esc(str(idx)) if raw else ""}</th>')
        parts.extend(f"<td>{esc(_cell(v))}</td>" for v in row)
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return tags.div(ui.HTML("".join(parts)), class_="nqpf-preview")


def _first_data_sheet(path: Path) -> str | None:
    """The first sheet of a workbook with at least two columns (None: a CSV or .dta, or no such sheet)."""
    from nqpf.app.workspace import preview, sheet_names

    try:
        sheets = sheet_names(path)
        return next((s for s in sheets if preview(path, s, 5).shape[1] >= 2), sheets[0] if sheets else None)
    except Exception:
        return None


def _framework_names() -> list[str]:
    from importlib import resources

    from nqpf.core.framework import BUNDLED_FRAMEWORKS

    files = sorted(p.name[:-5] for p in resources.files("nqpf.frameworks").iterdir() if p.name.endswith(".yaml"))
    return list(BUNDLED_FRAMEWORKS) + [f for f in files if f not in BUNDLED_FRAMEWORKS]


_KIND_CACHE: dict[str, str] = {}


def _framework_kind(name: str) -> str:
    if name not in _KIND_CACHE:
        from nqpf.core.framework import load_framework

        try:
            _KIND_CACHE[name] = load_framework(name).spec.unit_kind
        except Exception:
            _KIND_CACHE[name] = ""
    return _KIND_CACHE[name]


@functools.cache
def _default_study() -> Any:
    from nqpf.study.spec import load_study

    return load_study()[0]


def _error_text(exc: BaseException) -> str:
    return str(exc)


def guarded(fn: Callable[[], None]) -> Callable[[], None]:
    """An effect that shows an unexpected error as a notification instead of ending the session."""

    @functools.wraps(fn)
    def run() -> None:
        try:
            fn()
        except SilentException:
            raise
        except Exception as exc:  # the session stays usable; the error is shown and logged
            traceback.print_exc()
            ui.notification_show(f"{type(exc).__name__}: {exc}", type="error", duration=12)

    return run


def server(input: Inputs, output: Outputs, session: Session) -> None:
    """The session: one workspace, the five steps' reactive state, the run."""
    state: dict[str, Any] = {"ws": None}

    def ws() -> Any:
        if state["ws"] is None:
            from nqpf.app.workspace import Workspace

            state["ws"] = Workspace()
        return state["ws"]

    def lang() -> str:
        return input.lang() or "zh"

    def ready() -> bool:
        """True once the library is loaded; until then the caller is polled again (the page stays live)."""
        if library_loaded():
            return True
        thread = _WARM.get("thread")
        if thread is not None and not thread.is_alive():  # the warm-up ended with a module missing: import it
            for name in WARM_MODULES:  # here, so that its error shows in the page
                importlib.import_module(name)
            return True
        warm_up()
        reactive.invalidate_later(POLL_SECONDS)
        return False

    def save(files: list[dict[str, Any]] | None, purpose: str) -> Path | None:
        """The first file of a file input copied into the workspace (checked for ``purpose``); None: no file."""
        if not files:
            return None
        f = files[0]
        return ws().save_upload(f["name"], f["datapath"], f.get("size"), purpose=purpose)

    data = reactive.value(DataState())
    fw_tables: reactive.Value[tuple[pd.DataFrame, pd.DataFrame] | None] = reactive.value(None)
    fw_issues: reactive.Value[list[Any]] = reactive.value([])
    fw_upload: reactive.Value[FwState | None] = reactive.value(None)
    job: reactive.Value[Any] = reactive.value(None)
    run_error_text: reactive.Value[str | None] = reactive.value(None)
    run_count = reactive.value(0)

    def end() -> None:
        j = state.get("job")
        if j is not None and getattr(j, "running", False):
            j.cancel()
        if state["ws"] is not None:
            state["ws"].close()

    session.on_ended(end)

    def _go_next(step: str, following: str) -> None:
        @reactive.effect
        @reactive.event(input[f"next_{step}"])
        def _() -> None:
            ui.update_navset("step", selected=following)

    for step, following in itertools.pairwise(STEPS):
        _go_next(step, following)

    # ------------------------------------------------------------------ data
    def read_bundled(name: str) -> DataState:
        from nqpf.datasets import load_dataset

        try:
            panel = load_dataset(name)
        except Exception as exc:
            return DataState(messages=[Msg("error", _error_text(exc))], dataset=name)
        msgs = [Msg("note", n) for n in panel.provenance.notes]
        return DataState(panel=panel, messages=msgs, preview=panel.to_frame().head(PREVIEW_ROWS), dataset=name)

    def read_upload(path: Path, fresh: bool = False) -> DataState:
        """Read the uploaded file with the page's fields; ``fresh`` (a new file): its sheet, columns and labels
        are detected, not taken from the fields the previous file filled."""
        from nqpf.app.forms import pair_lines
        from nqpf.app.workspace import preview

        rename, bad = pair_lines(input.rename() or "")
        kw: dict[str, Any] = {"layout": input.layout() or "auto"}
        fields = [("kind", input.kind())]
        if not fresh:
            fields += [("unit", input.unit_col()), ("year", input.year_col()), ("sheet", input.sheet())]
        for key, val in fields:
            if val:
                kw[key] = val
        if input.labels() and not fresh:
            kw["labels"] = list(input.labels())
        if rename:
            kw["rename"] = rename
        if bad:
            return DataState(messages=[Msg("error", t("rename_bad", lang(), i=i, line=line)) for i, line in bad],
                             path=path, read_kw=kw)
        outcome = ws().read(path, **kw)
        msgs = [Msg(m.level, m.text, list(m.rows or []), getattr(m, "sheet", None)) for m in outcome.messages]
        msgs += [Msg("note", t("rename_hint", lang(), line=line)) for line in rename_hints(msgs)]
        if any("pass unit=" in m.text or "cannot tell which column" in m.text for m in msgs if m.level == "error"):
            msgs.append(Msg("note", t("columns_hint", lang())))  # the library's hint, as the page's controls
        sheet = kw.get("sheet") or next((m.sheet for m in msgs if m.rows and m.sheet), None) \
            or _first_data_sheet(path)
        try:
            pv = preview(path, sheet, PREVIEW_ROWS)
        except Exception as exc:
            pv, msgs = None, [*msgs, Msg("error", _error_text(exc))]
        return DataState(panel=outcome.panel, messages=msgs, preview=pv, raw=True, path=path, read_kw=kw,
                         sheet=sheet)

    @reactive.effect
    @reactive.event(input.data_file)
    @guarded
    def _upload() -> None:
        from nqpf.app.workspace import sheet_names

        try:
            path = save(input.data_file(), "data")
        except Exception as exc:
            data.set(DataState(messages=[Msg("error", _error_text(exc))]))
            return
        if path is None:
            return
        state["upload"] = path
        try:
            sheets = sheet_names(path)
        except Exception:
            sheets = []
        state["sheets"] = sheets
        ui.update_select("sheet", choices={"": t("every_sheet", lang()), **{s: s for s in sheets}}, selected="")
        _update_columns(path, _first_data_sheet(path) or "")
        data.set(read_upload(path, fresh=True))

    @reactive.effect
    @reactive.event(input.sheet, ignore_init=True)
    @guarded
    def _sheet_columns() -> None:
        """Another sheet chosen: its header row's names become the column choices."""
        path = state.get("upload")
        if path is not None and input.data_source() == "upload":
            _update_columns(path, input.sheet() or (_first_data_sheet(path) or ""))

    def _update_columns(path: Path, sheet: str) -> None:
        from nqpf.app.workspace import preview

        try:
            pv = preview(path, sheet or None, 30)
        except Exception:
            return
        heads: list[str] = []
        for _, row in pv.iterrows():  # the first row with at least two text cells: the header
            cells = [str(v).strip() for v in row if isinstance(v, str) and str(v).strip()]
            if len(cells) >= 2:
                heads = list(dict.fromkeys(cells))
                break
        state["heads"] = heads
        cols = {"": t("detect", lang()), **{h: h for h in heads}}
        ui.update_select("unit_col", choices=cols, selected="")
        ui.update_select("year_col", choices=cols, selected="")
        ui.update_selectize("labels", choices=heads, selected=[])

    def do_read() -> None:
        if input.data_source() == "bundled":
            data.set(read_bundled(input.dataset() or FIRST_DATASET))
            return
        path = state.get("upload")
        if path is None:
            data.set(DataState(messages=[Msg("note", t("upload_first", lang()))]))
            return
        data.set(read_upload(path))

    @reactive.effect
    @guarded
    def _default_study_dataset() -> None:
        """Once the library is loaded: the bundled default study's dataset, unless another one was chosen."""
        if state.get("defaults_set") or not ready():
            return
        state["defaults_set"] = True
        with reactive.isolate():
            chosen = input.dataset()
        dataset = _default_study().data.dataset
        if dataset and chosen == FIRST_DATASET and dataset != chosen:
            ui.update_select("dataset", selected=dataset)

    @reactive.effect
    @reactive.event(input.read_data, input.dataset, input.data_source)
    @guarded
    def _read() -> None:
        do_read()

    @render.ui
    def data_summary() -> Tag:
        d = data()
        p = d.panel
        if p is None:
            return tags.div(t("no_panel", lang()), class_="nqpf-summary")
        kind = t(f"kind_{p.kind}", lang()) if f"kind_{p.kind}" in WORDS else p.kind
        return tags.div(t("summary", lang(), units=len(p.units), y0=p.years[0], y1=p.years[-1],
                          k=len(p.indicators)), tags.span(t("summary_kind", lang(), kind=kind), class_="nqpf-kind"),
                        class_="nqpf-summary")

    @render.ui
    def data_messages() -> TagList:
        d = data()
        if not d.messages:
            return TagList(tags.div(t("no_messages", lang()), class_="nqpf-ok")) if d.panel is not None else TagList()
        return TagList(*[msg_box(m, lang()) for m in d.messages])

    @render.ui
    def data_preview() -> Tag | TagList:
        d = data()
        if d.preview is None:
            return TagList()
        flagged = {r for m in d.messages for r in m.rows if m.sheet in (None, d.sheet)}
        if d.raw:
            title = tags.p(f"{t('sheet', lang())}: {d.sheet}", class_="text-muted nqpf-preview-sheet") \
                if d.sheet else ""
        else:
            title = tags.p(t("panel_preview", lang(), n=len(d.preview)), class_="text-muted")
        return TagList(title, preview_table(d.preview, flagged, d.raw))

    # ------------------------------------------------------------------ framework
    @reactive.effect
    @guarded
    def _framework_choices() -> None:
        d = data()
        if not ready():
            return
        kind = d.panel.kind if d.panel is not None else None
        names = _framework_names()
        if kind:
            names = sorted(names, key=lambda n: _framework_kind(n) != kind)  # the panel's kind first (stable)
        with reactive.isolate():
            current = input.framework()
        selected = current if current in names and (kind is None or _framework_kind(current) == kind) else None
        if selected is None:
            selected = _default_framework(d) or names[0]
        ui.update_select("framework", choices={n: f"{n} ({_framework_kind(n)})" for n in names}, selected=selected)

    def _default_framework(d: DataState) -> str | None:
        if d.dataset is not None and d.dataset == _default_study().data.dataset:
            return _default_study().index[0].framework
        kind = d.panel.kind if d.panel is not None else None
        return next((n for n in _framework_names() if _framework_kind(n) == kind), None)

    @reactive.effect
    @reactive.event(input.fw_file)
    @guarded
    def _fw_upload() -> None:
        from nqpf.frameworks.schema import parse_framework_text

        try:
            path = save(input.fw_file(), "framework")
            if path is None:
                return
            text = Path(path).read_text(encoding="utf-8")
            spec = parse_framework_text(text, source=input.fw_file()[0]["name"])
        except Exception as exc:
            fw_upload.set(FwState(source="upload", messages=[Msg("error", _error_text(exc))]))
            return
        fw_upload.set(FwState(spec=spec, source="upload", name=spec.name, yaml=text))

    def _grid_frames() -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """The tables as edited in the grids (the edits applied)."""
        base = fw_tables()
        if base is None:
            return None
        try:
            ind = fw_indicators.data_patched()
            dim = fw_dimensions.data_patched()
        except Exception:
            return base
        return ind.copy(), dim.copy()

    @reactive.effect
    @reactive.event(input.fw_source)
    @guarded
    def _start_table() -> None:
        if input.fw_source() != "table" or fw_tables() is not None:
            return
        with reactive.isolate():
            spec = _bundled_fw().spec
        if spec is None:
            return
        from nqpf.frameworks.table import framework_tables

        fw_tables.set(_as_text(*framework_tables(spec)))
        state["fw_base"] = spec  # its references, sample, vocabulary and AHP matrices stay while the ids match
        ui.update_text("fw_name", value=f"{spec.name}-edited")
        ui.update_text("fw_title_zh", value=spec.title.zh)
        ui.update_text("fw_title_en", value=spec.title.en)

    @reactive.effect
    @reactive.event(input.fw_from_data)
    @guarded
    def _from_data() -> None:
        p = data().panel
        if p is None:
            fw_issues.set([Msg("error", t("needs_panel", lang()))])
            return
        from nqpf.frameworks.table import framework_from_panel

        name, title_zh, title_en = "my-index", t("fw_default_title", "zh"), t("fw_default_title", "en")
        try:
            ind, dim = framework_from_panel(p, name=name, title_zh=title_zh, title_en=title_en)
        except Exception as exc:
            fw_issues.set([Msg("error", _error_text(exc))])
            return
        fw_tables.set(_as_text(ind, dim))
        state["fw_base"] = None
        fw_issues.set([])
        ui.update_text("fw_name", value=name)  # a new system: not the bundled one the editor started from
        ui.update_text("fw_title_zh", value=title_zh)
        ui.update_text("fw_title_en", value=title_en)

    @reactive.effect
    @reactive.event(input.fw_add_row)
    @guarded
    def _add_row() -> None:
        frames = _grid_frames()
        if frames is None:
            fw_issues.set([Msg("note", t("fw_table_empty", lang()))])
            return
        ind, dim = frames
        blank = pd.DataFrame([{c: "" for c in ind.columns}])  # left blank, the library ignores it
        fw_tables.set((pd.concat([ind, blank], ignore_index=True), dim))

    def _table_fw() -> FwState:
        frames = _grid_frames()
        if frames is None:
            return FwState(source="table", messages=[Msg("error", t("fw_table_empty", lang()))])
        from nqpf.frameworks.table import FrameworkTableError, dump_framework, framework_from_tables

        ind, dim = frames
        kind = data().panel.kind if data().panel is not None else "unit"
        try:
            out = framework_from_tables(ind, dim, name=input.fw_name() or "my-index",
                                        title_zh=input.fw_title_zh() or "", title_en=input.fw_title_en() or "",
                                        unit_kind=kind, base=state.get("fw_base"))
        except FrameworkTableError as exc:
            issues = list(getattr(exc, "issues", []))
            msgs = [Msg("error", _issue_text(i), [int(i.row)] if i.table == "indicators" and i.row is not None
                        else []) for i in issues] or [Msg("error", _error_text(exc))]
            return FwState(source="table", messages=msgs)
        except Exception as exc:
            return FwState(source="table", messages=[Msg("error", _error_text(exc))])
        spec, notes = out if isinstance(out, tuple) else (out, [])
        return FwState(spec=spec, source="table", name=spec.name, yaml=dump_framework(spec),
                       messages=[Msg("note", str(n)) for n in notes])

    @reactive.effect
    @reactive.event(input.fw_check)
    @guarded
    def _check_table() -> None:
        # the grids redraw to flag rows: keep the edits made so far as their new contents, or they would be lost
        frames = _grid_frames()
        if frames is not None:
            fw_tables.set(frames)
        st = _table_fw()
        fw_issues.set(st.messages if st.spec is None else [Msg("note", t("fw_ok", lang())), *st.messages])

    @reactive.calc
    def _bundled_fw() -> FwState:
        name = input.framework()
        if not name:
            return FwState(messages=[Msg("error", t("fw_none", lang()))])
        from nqpf.core.framework import load_framework

        try:
            fw = load_framework(name)
        except Exception as exc:
            return FwState(name=name, messages=[Msg("error", _error_text(exc))])
        return FwState(spec=fw.spec, source="bundled", name=name)

    @reactive.calc
    def current_fw() -> FwState:
        src = input.fw_source()
        if src == "upload":
            return fw_upload() or FwState(source="upload", messages=[Msg("error", t("fw_none", lang()))])
        if src == "table":  # the grids as they are now (edits included), checked by the library
            return _table_fw()
        return _bundled_fw()

    @reactive.effect
    @guarded
    def _years_placeholder() -> None:
        """The years box shows the framework's sample (what a blank box means)."""
        spec = current_fw().spec
        sample = getattr(getattr(spec, "sample", None), "years", None)
        with reactive.isolate():
            lg = lang()
        ui.update_text("years", placeholder=f"{sample[0]}-{sample[1]}" if sample else t("years_auto", lg))

    @render.data_frame
    def fw_indicators() -> Any:
        frames = fw_tables()
        if frames is None:
            return render.DataGrid(pd.DataFrame({"id": []}), editable=True)
        rows = sorted({r for m in fw_issues() for r in m.rows})
        styles = [{"rows": rows, "class": "nqpf-flag"}] if rows else None
        return render.DataGrid(frames[0], editable=True, width="100%", height="420px", styles=styles,
                               summary=GRID_SUMMARY)

    @render.data_frame
    def fw_dimensions() -> Any:
        frames = fw_tables()
        if frames is None:
            return render.DataGrid(pd.DataFrame({"id": []}), editable=True)
        return render.DataGrid(frames[1], editable=True, width="100%", height="260px", summary=GRID_SUMMARY)

    @render.ui
    def fw_messages() -> TagList:
        st = current_fw()
        msgs = fw_issues() if input.fw_source() == "table" else st.messages
        return TagList(*[msg_box(m, lang()) for m in msgs])

    @render.ui
    def fw_summary() -> Tag:
        st = current_fw()
        if st.spec is None:
            key = "fw_table_invalid" if st.source == "table" and fw_tables() is not None else "fw_none"
            return tags.div(t(key, lang()), class_="nqpf-summary")
        from nqpf.core.framework import Framework

        fw = Framework(st.spec)
        title = fw.title_zh if lang() == "zh" else fw.title_en
        head = tags.div(t("fw_summary", lang(), title=title, d=len(fw.dimensions), k=len(fw.indicators)),
                        class_="nqpf-summary")
        items = []
        for it in fw.items:
            if it.kind == "target":
                continue
            name = getattr(it.item, "name_zh" if lang() == "zh" else "name_en", it.id)
            items.append(tags.li(f"{name} ({it.id})", style=f"margin-left:{(it.level - 1) * 1.2}rem",
                                 class_=f"nqpf-tree-{it.kind}"))
        missing = _missing_columns(fw)
        warn = msg_box(Msg("warning", t("fw_missing", lang(), cols=", ".join(missing))), lang()) if missing else ""
        return tags.div(head, warn, tags.ul(*items, class_="nqpf-tree list-unstyled"))

    def _missing_columns(fw: Any) -> list[str]:
        p = data().panel
        if p is None:
            return []
        cols = set(p.indicators)
        try:
            from nqpf.core.expr import columns

            needed: list[str] = []
            for ind in fw.indicators:
                needed += [n for n in columns(ind.definition or ind.id) if n not in needed]
        except Exception:
            return []
        return [n for n in needed if n not in cols]

    @render.download_button(filename=lambda: f"{current_fw().name or 'framework'}.yaml")
    def dl_framework() -> Any:
        st = current_fw()
        if st.spec is None:
            raise ValueError("no valid indicator system to download")
        if st.yaml is not None:
            yield st.yaml
            return
        from nqpf.frameworks.table import dump_framework

        yield dump_framework(st.spec)

    # ------------------------------------------------------------------ methods
    def method_labels(lg: str) -> dict[str, dict[str, str]]:
        from nqpf.app.forms import method_choices

        keys = ("normalization", "scope", "weighting", "aggregation", "tree")
        return {key: {k: f"{zh if lg == 'zh' else en} ({k})" for k, zh, en in items}
                for key, items in method_choices().items() if key in keys}

    def spatial_labels(lg: str) -> dict[str, dict[str, str]]:
        from nqpf.core.groups import BUILTIN_GROUPS

        with reactive.isolate():
            p = data().panel
        groups = {"": t("groups_none", lg)}
        groups.update({k: f"{zh if lg == 'zh' else en} ({k})" for k, (zh, en) in BUILTIN_GROUPS.items()})
        if p is not None and p.labels is not None:
            groups.update({f"column:{c}": t("label_column", lg, c=c) for c in p.labels.columns})
        return {"weights_kind": {"none": t("weights_none", lg), **{k: k for k in dict.fromkeys(weight_kinds())}},
                "groups": groups}

    def data_labels(lg: str) -> dict[str, dict[str, str]]:
        sheets, heads = state.get("sheets", []), state.get("heads", [])
        return {"layout": choice_labels(("auto", "long", "wide"), "layout_", lg),
                "kind": choice_labels(KINDS, "kind_", lg),
                "sheet": {"": t("every_sheet", lg), **{x: x for x in sheets}},
                "unit_col": {"": t("detect", lg), **{h: h for h in heads}},
                "year_col": {"": t("detect", lg), **{h: h for h in heads}}}

    @reactive.effect
    @guarded
    def _method_choices() -> None:
        """The method selects' choices, once the library is loaded (the page holds the defaults until then)."""
        if state.get("methods_filled") or not ready():
            return
        with reactive.isolate():
            lg = lang()
            for key, choices in method_labels(lg).items():
                ui.update_select(key, choices=choices, selected=input[key]())
        state["methods_filled"] = True

    @reactive.effect
    @guarded
    def _weights_groups_choices() -> None:
        """Weights and groups choices (the groups include the panel's label columns)."""
        if not ready():
            return
        data()
        with reactive.isolate():
            current = {"weights_kind": input.weights_kind(), "groups": input.groups()}
            for key, choices in spatial_labels(lang()).items():
                ui.update_select(key, choices=choices, selected=current[key] if current[key] in choices
                                 else next(iter(choices)))

    @reactive.effect
    @reactive.event(input.lang, ignore_init=True)  # the page is built in the starting language
    async def _relabel() -> None:
        """The language switch: the selects' option texts re-labelled in the browser, their values untouched
        (assets/app.js), so a choice made meanwhile is never reset."""
        lg = lang()
        labels = data_labels(lg)
        if library_loaded():
            labels.update(method_labels(lg))
            labels.update(spatial_labels(lg))
        await session.send_custom_message("nqpf-relabel", labels)

    @reactive.calc
    def weight_kinds() -> list[str]:
        from nqpf.geo.weights import WEIGHT_KINDS

        return [k for k in ("contiguity", "rook", *WEIGHT_KINDS) if k != "file"]

    @reactive.calc
    def catalogue() -> list[Any]:
        from nqpf.app.forms import analysis_catalogue

        return analysis_catalogue()

    @reactive.calc
    def bundled_defaults() -> dict[str, dict[str, Any]]:
        """The analyses of the bundled default study that concern its headline index alone: pre-ticked, with
        their options (the headline index left to the role default)."""
        spec = _default_study()
        head = spec.index[0].name
        others = {i.name for i in spec.index} - {head}
        out = {}
        for name, opts in spec.analyses.items():
            values = [v for val in opts.values() for v in (val if isinstance(val, list) else [val])]
            if head in values and not others.intersection(v for v in values if isinstance(v, str)):
                out[name] = {k: v for k, v in opts.items() if v != head}
        return out

    @reactive.calc
    def spatial_reason() -> str | None:
        """Why spatial analyses are unavailable for the panel (None: available)."""
        p = data().panel
        if p is None:
            return t("needs_panel", lang())
        from nqpf.geo.geometry import GEOMETRY_KINDS

        if p.kind in GEOMETRY_KINDS:
            return None
        return t("needs_geometry", lang(), kind=p.kind)

    @output(suspend_when_hidden=False)
    @render.ui
    def analysis_forms() -> TagList:
        if not ready():
            return TagList(tags.p(t("loading", lang()), class_="text-muted"))
        from nqpf.analysis.registry import SECTIONS
        lg = lang()
        d = data()
        kind = d.panel.kind if d.panel is not None else None
        if kind is not None and state.get("ticks_kind") not in (None, kind):
            state["ticks"] = {}  # another kind of unit: the analyses that fit it start afresh
            state["enabled"] = set()
        if kind is not None:
            state["ticks_kind"] = kind
        ticks: dict[str, bool] = state.setdefault("ticks", {})  # what the user ticked, kept while unavailable
        typed: dict[str, Any] = state.setdefault("typed", {})  # option values as last seen
        with reactive.isolate():
            for a in catalogue():
                if a.name in state.get("enabled", set()) and f"an_{a.name}" in input:
                    ticks[a.name] = bool(input[f"an_{a.name}"]())
                for f in a.fields:
                    if f"opt_{a.name}__{f.name}" in input:
                        typed[f"opt_{a.name}__{f.name}"] = input[f"opt_{a.name}__{f.name}"]()
        enabled: set[str] = set()
        defaults = bundled_defaults() if d.dataset == _default_study().data.dataset else {}
        reason = spatial_reason()
        blocks: list[Any] = []
        order = {k: SECTIONS[k].order for k in SECTIONS}
        entries = sorted(catalogue(), key=lambda a: (a.is_model, order.get(a.section, 99)))  # stable: registry order
        heading = None
        for a in entries:
            here = "models" if a.is_model else a.section
            if here != heading:  # the report's chapters, then the models
                heading = here
                if a.is_model:
                    title = T("models")
                else:
                    zh, en = SECTIONS[a.section].label
                    title = TagList(tags.span(zh, class_="nqpf-zh"), tags.span(en, class_="nqpf-en"))
                blocks.append(tags.div(title, class_="nqpf-section-title"))
            spatial = any(f.kind == "weights" for f in a.fields)
            why = reason if spatial else None
            ticked = ticks.get(a.name, a.name in defaults) and why is None
            if why is None:
                enabled.add(a.name)
            label = TagList(tags.span(a.label_zh, class_="nqpf-zh"), tags.span(a.label_en, class_="nqpf-en"),
                            tags.code(f" {a.name}"),
                            tags.span(" ?", class_="nqpf-help", title=a.help) if getattr(a, "help", "") else "")
            box = ui.input_checkbox(f"an_{a.name}", label, value=bool(ticked))
            opts = [_option_input(a.name, f, defaults.get(a.name, {}), lg) for f in a.fields
                    if f.name != "index"]
            if why is not None:  # shown, not ticked, with the reason
                box = ui.HTML(str(box).replace("<input ", "<input disabled ", 1))
            blocks.append(tags.div(
                box,
                tags.div(f"{t('disabled', lg)}: {why}", class_="nqpf-reason") if why else "",
                ui.panel_conditional(f"input.an_{a.name}", tags.div(*opts, class_="nqpf-options"))
                if opts and why is None else "",
                class_="nqpf-analysis" + (" nqpf-disabled" if why else ""),
            ))
        state["enabled"] = enabled
        return TagList(*blocks)

    def _option_input(name: str, f: Any, preset: dict[str, Any], lg: str) -> Tag:
        iid = f"opt_{name}__{f.name}"
        typed = state.get("typed", {})
        kept = iid in typed  # re-rendered (data or language changed): keep what the page held
        value = typed[iid] if kept else preset.get(f.name, f.default)
        label = _opt_label(f)
        if f.kind == "bool":
            return ui.input_checkbox(iid, label, value=bool(value))
        if f.kind == "choice":
            choices = {str(c): str(c) for c in f.choices}
            return ui.input_select(iid, label, choices, selected=str(value) if value is not None else None)
        if f.kind == "weights":
            choices = {"": t("weights_none", lg), **{k: k for k in dict.fromkeys(weight_kinds())}}
            return ui.input_select(iid, label, choices, selected=str(value) if kept else "")
        if f.kind == "groups":
            return ui.input_text(iid, label, value="" if value is None else str(value),
                                 placeholder=t("groups_none", lg))
        if f.kind == "table":
            rows = value.items() if isinstance(value, dict) else []
            text = str(value) if kept else "\n".join(f"{k} = {v}" for k, v in rows)
            return ui.input_text_area(iid, label, value=text, rows=2, placeholder="name = expression")
        if kept:
            text = str(value)
        elif isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = "; ".join(f"{k} = {v}" for k, v in value.items())
        else:
            text = "" if value is None else str(value)
        return ui.input_text(iid, label, value=text)

    def ticked() -> list[Any]:
        out = []
        for a in catalogue():
            key = f"an_{a.name}"
            if key in input and input[key]():
                out.append(a)
        return out

    def build_spec() -> tuple[Any, list[Msg], Path | None, str | None]:
        """The StudySpec of the page (or None), the problems found, the data file, the framework YAML."""
        from nqpf.app.forms import check_options, options_from_form
        from nqpf.app.workspace import data_spec
        from nqpf.core.groups import GroupsSpec
        from nqpf.geo.weights import WeightsSpec
        from nqpf.study.spec import IndexSpec, OutputSpec, StudySpec

        msgs: list[Msg] = []
        d = data()
        if d.panel is None:
            msgs.append(Msg("error", t("no_panel", lang())))
        fw = current_fw()
        if fw.spec is None:
            msgs += fw.messages or [Msg("error", t("fw_none", lang()))]
        if msgs:
            return None, msgs, None, None
        try:
            dspec = data_spec(d.path.name, **d.read_kw) if d.path is not None else None
            if dspec is None:
                from nqpf.study.spec import DataSpec

                dspec = DataSpec(dataset=d.dataset)
        except Exception as exc:
            return None, [Msg("error", _error_text(exc))], None, None
        framework = fw.name if fw.source == "bundled" else f"{fw.spec.name}.yaml"
        from nqpf.core.framework import Framework

        missing = _missing_columns(Framework(fw.spec))
        if missing:  # the run would stop on the first; say all of them now
            msgs.append(Msg("warning", t("fw_missing", lang(), cols=", ".join(missing))))
        years: Any = re.sub(r"\s*[–—－~～至到]\s*", "-", (input.years() or "").strip()) or None  # 2015–2022
        weights: dict[str, Any] = {}
        groups: dict[str, Any] = {}
        wk = input.weights_kind()
        if wk and wk != "none":
            kw: dict[str, Any] = {"kind": wk}
            if wk == "knn" and input.weights_k():
                kw["k"] = int(input.weights_k())
            weights["w"] = WeightsSpec(**kw)
        g = input.groups()
        if g:
            groups["g"] = GroupsSpec(column=g.split(":", 1)[1]) if g.startswith("column:") else GroupsSpec(builtin=g)
        analyses: dict[str, dict[str, Any]] = {}
        models: dict[str, dict[str, Any]] = {}
        for a in ticked():
            values: dict[str, Any] = {}
            for f in a.fields:
                key = f"opt_{a.name}__{f.name}"
                if f.name == "index" or key not in input:
                    continue
                v = input[key]()
                if f.kind == "weights" and not v and weights:
                    v = "w"
                if f.kind == "groups" and not v and groups:
                    v = "g"
                values[f.name] = v
            try:
                raw = options_from_form(a.name, values)
            except Exception as exc:
                msgs.append(Msg("error", f"{a.name}: {_error_text(exc)}"))
                continue
            problems = check_options(a.name, raw)
            msgs += [Msg("error", p) for p in problems]
            if a.is_model:
                models[a.name] = {"model": a.name, **raw}
            else:
                analyses[a.name] = raw
        try:
            spec = StudySpec(
                name=re.sub(r"[^\w-]+", "-", (d.dataset or (d.path.stem if d.path else "study"))).strip("-")
                or "study",
                data=dspec,
                index=[IndexSpec(name=input.index_name() or "index", framework=framework, years=years,
                                 exclude_units=[u for u in re.split(r"[,，、;；\s]+", input.exclude_units() or "")
                                                if u],
                                 normalization=input.normalization(), scope=input.scope(),
                                 weighting=input.weighting(), aggregation=input.aggregation(), tree=input.tree())],
                analyses=analyses, models=models, weights=weights, groups=groups,
                output=OutputSpec(lang=input.out_lang() or "zh", excel=bool(input.excel())),
            )
        except Exception as exc:
            return None, [*msgs, Msg("error", _error_text(exc))], None, None
        return spec, msgs, d.path, fw.yaml if fw.source != "bundled" else None

    @render.ui
    def study_preview() -> Tag:
        if not ready():
            return tags.p(t("loading", lang()), class_="text-muted")
        spec, msgs, _, _ = build_spec()
        if spec is None:
            return TagList(*[msg_box(m, lang()) for m in msgs])
        from nqpf.study.writer import dump_study

        try:
            text = dump_study(spec)
        except Exception as exc:
            return msg_box(Msg("error", _error_text(exc)), lang())
        return tags.pre(text, class_="nqpf-toml", id="study_toml")

    methods_msgs: reactive.Value[list[Msg] | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.check_study)
    @guarded
    def _check_study() -> None:
        spec, msgs, _, _ = build_spec()
        if spec is not None and not msgs:
            msgs = [Msg("note", t("study_ok", lang()))]
        methods_msgs.set(msgs)

    @render.ui
    def methods_messages() -> TagList:
        msgs = methods_msgs()
        if msgs is None:
            return TagList()
        return TagList(*[msg_box(m, lang()) if not (m.level == "note" and m.text == t("study_ok", lang()))
                         else tags.div(m.text, class_="nqpf-msg nqpf-note nqpf-ok") for m in msgs])

    # ------------------------------------------------------------------ run
    @reactive.effect
    @reactive.event(input.run_study)
    @guarded
    def _run() -> None:
        j = state.get("job")
        if j is not None and j.running:
            run_error_text.set(t("run_busy", lang()))
            return
        run_error_text.set(None)
        spec, msgs, path, yaml = build_spec()
        errors = [m for m in msgs if m.level == "error"]
        if spec is None or errors:
            run_error_text.set("\n".join(m.text for m in errors) or t("fw_none", lang()))
            job.set(None)
            return
        from nqpf.app.jobs import RunJob

        try:
            new = RunJob.start(spec, ws(), lang=spec.output.lang, data_file=path, framework_yaml=yaml)
        except Exception as exc:
            run_error_text.set(_error_text(exc))
            return
        state["job"] = new
        job.set(new)
        run_count.set(run_count() + 1)

    @reactive.effect
    @reactive.event(input.run_cancel)
    @guarded
    def _cancel() -> None:
        j = state.get("job")
        if j is not None and j.running:
            j.cancel()

    @reactive.calc
    def job_state() -> tuple[str, int]:
        """(state, number of events) of the current job, polled while it runs."""
        j = job()
        if j is None:
            return "idle", 0
        if j.state == "running":
            reactive.invalidate_later(POLL_SECONDS)
        return j.state, len(j.events)

    @render.ui
    def run_progress() -> Tag:
        st, _ = job_state()
        j = job()
        lg = lang()
        if j is None:
            return tags.p(t("run_idle", lg))
        items = [tags.li(tags.span(f"{s:5.1f} s", class_="nqpf-secs"), progress_text(m, lg), class_="nqpf-progress",
                         **{"data-message": m}) for s, m in list(j.events)]
        if getattr(j, "cancelled", False):
            st = "cancelled"
        foot = {"running": t("run_running", lg), "cancelled": t("run_cancelled", lg)}.get(st)
        if st == "done":
            last = j.events[-1][0] if j.events else 0.0
            foot = t("run_done", lg, s=f"{last:.1f}")
        return tags.div(tags.ul(*items, class_="nqpf-progress-list"),
                        tags.p(foot, class_=f"nqpf-run-{st}") if foot else "")

    @render.ui
    def run_error() -> Tag | TagList:
        text = run_error_text()
        st, _ = job_state()
        j = job()
        if text is None and j is not None and st == "failed" and not getattr(j, "cancelled", False):
            text = j.error or "failed"
        if not text:
            return TagList()
        box = tags.div(tags.span(t("run_failed", lang()), class_="nqpf-level"), tags.span(text, class_="nqpf-text"),
                       class_="nqpf-msg nqpf-error")
        return TagList(box, *[msg_box(Msg("note", h), lang()) for h in study_hints(text, lang())])

    @reactive.effect
    @guarded
    def _done_notice() -> None:
        st, _ = job_state()
        j = job()
        if st == "done" and state.get("noticed") is not j:  # once per run
            state["noticed"] = j
            with reactive.isolate():
                ui.notification_show(t("run_done", lang(), s=f"{j.events[-1][0]:.1f}"), duration=6)
            _fill_tables()

    # ------------------------------------------------------------------ results
    def finished() -> Any:
        st, _ = job_state()
        j = job()
        return j if st == "done" else None

    def _out_dir(j: Any) -> Path | None:
        rep = j.outputs.get("report.html")
        return Path(rep).parent if rep else None

    def _fill_tables() -> None:
        j = finished()
        out = _out_dir(j) if j else None
        names = sorted(p.stem for p in (out / "tables").glob("*.csv")) if out else []
        ui.update_select("result_table", choices={n: n for n in names},
                         selected=next((n for n in names if n.endswith("_scores")), names[0] if names else None))

    @render.ui
    def report_frame() -> Tag:
        j = finished()
        if j is None or "report.html" not in j.outputs:
            return tags.p(t("no_results", lang()))
        report = Path(j.outputs["report.html"])
        out = report.parent

        async def handler(request: Any) -> Any:
            from starlette.responses import FileResponse, Response

            rel = request.query_params.get("f", "report.html")
            target = (out / rel).resolve()
            if not target.is_file() or out.resolve() not in target.parents:
                return Response("not found", status_code=404)
            return FileResponse(target)

        url = session.dynamic_route(f"report{run_count()}", handler)
        return tags.iframe(src=url, class_="nqpf-report", id="report_iframe", title="report.html")

    @render.ui
    def run_summary() -> Tag:
        """The run's summary.txt: every analysis in a few lines, and the notes of reading and measuring."""
        j = finished()
        path = Path(j.outputs["summary.txt"]) if j is not None and "summary.txt" in j.outputs else None
        if path is None or not path.is_file():
            return tags.p(t("no_results", lang()), class_="text-muted")
        return tags.pre(path.read_text(encoding="utf-8"), class_="nqpf-toml nqpf-summary-text")

    @render.data_frame
    def result_grid() -> Any:
        j = finished()
        name = input.result_table()
        out = _out_dir(j) if j else None
        if out is None or not name:
            return render.DataGrid(pd.DataFrame())
        path = out / "tables" / f"{name}.csv"
        if not path.is_file():
            return render.DataGrid(pd.DataFrame())
        return render.DataGrid(pd.read_csv(path), width="100%", height="480px", filters=True, summary=GRID_SUMMARY)

    @output(suspend_when_hidden=False)
    @render.text
    def has_results() -> str:
        """"1" once a run of this session finished (the downloads show), else ""."""
        return "1" if finished() is not None else ""

    def _download(key: str) -> Any:
        def fn() -> Any:
            j = finished()
            if j is None or key not in j.outputs or not Path(j.outputs[key]).is_file():
                ui.notification_show(t("no_results", lang()), type="warning")
                raise FileNotFoundError(f"{key}: no finished run in this session")
            return str(j.outputs[key])

        return fn

    for out_id, key in (("dl_report", "report.html"), ("dl_excel", "results.xlsx"), ("dl_methods", "methods.md"),
                        ("dl_provenance", "provenance.json"), ("dl_study", "study.toml"),
                        ("dl_bundle", "study.zip"), ("dl_summary", "summary.txt")):
        fn = _download(key)
        fn.__name__ = out_id
        output(id=out_id)(render.download_button(filename=key)(fn))


def _opt_label(f: Any) -> TagList:
    """An option's label: its study-file key, its help as a tooltip."""
    return TagList(tags.code(f.name), tags.span(" ?", class_="nqpf-help", title=f.help) if f.help else "")


def _as_text(ind: pd.DataFrame, dim: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grid tables as text cells (the grids edit text; the library reads them back)."""
    def conv(df: pd.DataFrame) -> pd.DataFrame:
        return df.astype(object).where(df.notna(), "").astype(str)

    return conv(ind), conv(dim)


def _issue_text(issue: Any) -> str:
    where = f"{issue.table}, row {int(issue.row) + 1}" if issue.row is not None else str(issue.table)
    if issue.column:
        where += f", column {issue.column}"
    return f"{where}: {issue.message}"
