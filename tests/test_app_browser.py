"""The workbench (``nqpf app``) end to end in the system Chromium, driven by Playwright: the bundled province study,
a yearbook-style city workbook, bad uploads, the language switch, two sessions at once and a failed run followed by
a good one.

One server for the module (a child process on a free port, its temporary folder under the test's tmp folder, an
upload cap of 1 MB through ``NQPF_APP_MAX_UPLOAD_MB``) and one browser. The flows and the safety test open their own
browser contexts (= app sessions); the bad-upload tests share one (a session's start reads the bundled dataset).
Element ids are those of docs/design-workbench.md. Every page is offline: a request to any other host fails the
test. Each test's last page is photographed into tests/_output/app-browser/.
"""

from __future__ import annotations

import json
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from app_harness import (
    RUN_WAIT_MS,
    TEST_UPLOAD_MB,
    YRD_INDICATORS,
    Session,
    app_server,
    chromium,
    click,
    download,
    fill,
    grid,
    grid_frame,
    make_city_workbook,
    make_oversize,
    make_province_csv,
    messages,
    radio,
    select,
    settle,
    step,
    upload,
    wait_message,
    wait_text,
)
from reading_data import write_framework
from test_report_browser import MAP_CHECK

from nqpf.core.framework import load_framework
from nqpf.study import load_study, run_study


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    with app_server(tmp_path_factory.mktemp("app-server")) as s:
        yield s
    # the server stopped: no session folder of it is left behind
    assert not s.session_dirs(), f"left after the server stopped: {s.session_dirs()}"


@pytest.fixture
def session(browser, server, request, test_output):
    """A fresh app session (browser context) for one test."""
    s = Session(browser, server)
    yield s
    finish(s, test_output, request.node.name)


@pytest.fixture(scope="module")
def upload_session(browser, server, test_output):
    """One app session shared by the bad-upload tests (a session's start reads the bundled dataset: seconds)."""
    s = Session(browser, server)
    yield s
    finish(s, test_output, "bad_uploads")


@pytest.fixture
def shared(upload_session, request, test_output):
    """The shared session, its data fields back to their defaults; the page photographed after the test."""
    page = upload_session.page
    step(page, "data")
    radio(page, "data_source", "upload")
    select(page, "kind", "")
    fill(page, "rename", "")
    yield upload_session
    shot(upload_session, test_output, request.node.name)


def shot(s: Session, test_output: Path, name: str) -> None:
    """The page as the test left it, for a reviewer (and after a failure): tests/_output/app-browser/<test>.png."""
    shots = test_output / "app-browser"
    shots.mkdir(exist_ok=True)
    s.page.screenshot(path=shots / f"{name}.png", full_page=True)


def finish(s: Session, test_output: Path, name: str) -> None:
    shot(s, test_output, name)
    s.close()
    assert not s.foreign, f"the page asked the network for {s.foreign[:3]}"


# =============================================================================================
# shared steps
# =============================================================================================
def read_bundled(page, dataset: str = "china-provinces") -> str:
    step(page, "data")
    radio(page, "data_source", "bundled")
    select(page, "dataset", dataset)
    click(page, "read_data")
    return wait_text(page, "data_summary", "units")


def read_upload(page, path: Path, *, read: bool = True, **fields: str) -> None:
    """Upload a data file on the data step; set the fields and press read (unless ``read`` is False: a refused
    upload shows its message at once)."""
    step(page, "data")
    radio(page, "data_source", "upload")
    upload(page, "data_file", path)
    if read:
        set_data_fields(page, **fields)


def set_data_fields(page, *, sheet: str | None = None, kind: str | None = None, rename: str | None = None) -> None:
    if sheet is not None:
        select(page, "sheet", sheet)
    if kind is not None:
        select(page, "kind", kind)
    if rename is not None:
        fill(page, "rename", rename)
    click(page, "read_data")


def only_analyses(page, names: list[str]) -> None:
    """Untick every analysis and model of the methods step, then tick ``names``."""
    step(page, "methods")
    page.locator("input[type=checkbox][id^='an_']").first.wait_for(state="attached")  # the library loaded
    page.evaluate(
        """names => document.querySelectorAll("input[type=checkbox][id^='an_']").forEach(box => {
             const want = names.includes(box.id.slice(3));
             if (box.checked !== want && !box.disabled) box.click(); })""", names)
    settle(page)


def run(page, *, expect: str = "done") -> None:
    """Press run on the run step: "starting" shows at once; wait for the run's end (the line ``p.nqpf-run-done``
    or the error in ``run_error``) and check it ended as expected."""
    step(page, "run")
    click(page, "run_study")  # answered: the previous run's lines and error are gone
    page.locator("#run_progress li.nqpf-progress").first.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#run_error div.nqpf-msg.nqpf-error, p.nqpf-run-done')",
        timeout=RUN_WAIT_MS, polling=250)
    settle(page, RUN_WAIT_MS)
    errors = messages(page, "run_error", "error")
    if expect == "done":
        assert not errors, f"the run failed: {errors}"
        assert page.locator("p.nqpf-run-done").count() == 1
    else:
        assert errors, "the run was expected to fail"
        assert not page.locator("p.nqpf-run-done").count()


def report_frame(page):
    """The report's iframe on the results step, once its page is loaded (its first screen drawn)."""
    step(page, "results")
    frame_el = page.locator("#report_frame iframe, iframe#report_frame").first
    frame_el.wait_for(timeout=RUN_WAIT_MS)
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_function("window.NQPF_READY_MS !== undefined", timeout=RUN_WAIT_MS)
    return frame


def scores_sheet(path: Path, index: str) -> pd.DataFrame:
    """The ``<index>_scores`` sheet of results.xlsx (row 1 the column ids, row 2 the labels)."""
    book = openpyxl.load_workbook(path, read_only=True)
    assert f"{index}_scores" in book.sheetnames, f"no sheet {index}_scores in {path.name}: {book.sheetnames}"
    rows = list(book[f"{index}_scores"].iter_rows(values_only=True))
    book.close()
    return pd.DataFrame(rows[2:], columns=rows[0]).set_index(["unit", "year"])


def rerun_scores(study_toml: Path) -> dict[str, pd.Series]:
    """Run a downloaded study file as ``nqpf run`` does (its indices; analyses left out: they do not change a
    score) and return each index's scores by (unit, year)."""
    spec, source = load_study(study_toml)
    spec = spec.model_copy(update={"analyses": {}, "models": {}})
    result = run_study(spec, source, base=study_toml.parent)
    return {name: r.scores.set_index(["unit", "year"])["score"] for name, r in result.results.items()}


def assert_same_scores(xlsx: Path, study_toml: Path) -> dict[str, pd.Series]:
    """The downloaded study file, run again, gives the downloaded workbook's scores (to 1e-12); returns them."""
    rerun = rerun_scores(study_toml)
    for name, scores in rerun.items():
        shown = scores_sheet(xlsx, name)["score"].astype(float)
        assert set(shown.index) == set(scores.index)
        np.testing.assert_allclose(shown.loc[scores.index].to_numpy(), scores.to_numpy(), rtol=0, atol=1e-12)
    return rerun


def assert_grid_scores(page, table: str, scores: pd.Series) -> None:
    """The results step's table browser shows ``table`` (all its rows) with the same scores (the rows drawn)."""
    step(page, "results")
    select(page, "result_table", table)
    g = grid(page, "result_grid")
    g.expect_nrow(len(scores))
    shown = grid_frame(page, "result_grid")
    assert len(shown) >= 5, shown
    got = shown.set_index([shown["unit"], shown["year"].astype(int)])["score"].astype(float)
    np.testing.assert_allclose(got.to_numpy(), scores.loc[got.index].to_numpy(), rtol=0, atol=1e-12)


# =============================================================================================
# 1. the bundled province study
# =============================================================================================
def test_province_flow_reproduced_by_its_study_file(session, tmp_path):
    page = session.page
    summary = read_bundled(page)
    assert "31 units" in summary
    step(page, "framework")
    radio(page, "fw_source", "bundled")
    select(page, "framework", "nqpf-province-2023")
    assert "3 dimensions, 21 indicators" in wait_text(page, "fw_summary", "21 indicators")

    run(page)
    progress = [t.strip() for t in page.locator("#run_progress li.nqpf-progress").all_inner_texts()]
    assert "starting" in progress[0] and len(progress) >= 5, progress  # then the phases of the run and the writing

    frame = report_frame(page)
    headings = [h.strip() for h in frame.locator("h1, h2").all_inner_texts()]
    assert "Overview: data, framework and method" in headings and "The index" in headings, headings
    frame.evaluate("NQPF.drawAll()")
    frame.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
    info = json.loads(frame.evaluate(MAP_CHECK))
    assert info["n_maps"] >= 1 and info["unique"] >= 30, info

    out = tmp_path / "dl"
    files = {key: download(page, f"dl_{key}", out)
             for key in ("report", "excel", "methods", "provenance", "study")}
    assert files["report"].suffix == ".html" and "NQPF" in files["report"].read_text(encoding="utf-8")
    assert files["methods"].read_text(encoding="utf-8").strip()
    prov = json.loads(files["provenance"].read_text(encoding="utf-8"))
    assert [i["name"] for i in prov["inputs"]] == ["china-provinces"]
    study = tomllib.loads(files["study"].read_text(encoding="utf-8"))
    assert study["data"] == {"dataset": "china-provinces"} or study["data"].get("dataset") == "china-provinces"
    assert [i["framework"] for i in study["index"]] == ["nqpf-province-2023"]
    rerun = assert_same_scores(files["excel"], files["study"])
    (name,) = rerun
    assert len(rerun[name]) == 30 * 8  # 30 provinces (西藏 lacks indicators), 2016-2023
    assert prov["settings"][name]["framework"] == "nqpf-province-2023"
    assert (prov["settings"][name]["n_units"], prov["settings"][name]["years"]) == (30, [2016, 2023])
    assert_grid_scores(page, f"{name}_scores", rerun[name])
    assert not session.console_errors, session.console_errors


# =============================================================================================
# 2. a yearbook-style city workbook
# =============================================================================================
def test_city_workbook_flow(session, tmp_path):
    page = session.page
    book = make_city_workbook(tmp_path / "长三角城市数据.xlsx")
    read_upload(page, book)
    # as it is: the notes sheet skipped and the '—' cell counted, each with a message; the names taken as they are,
    # so 苏州 (credit sheet) and 苏州市 (the other sheets) are two units
    wait_message(page, "data_messages", "sheet 说明 skipped")
    wait_message(page, "data_messages", "'—'")
    assert "42 units" in wait_text(page, "data_summary", "units")
    # kind city: the names resolve against the national city table, 苏州 → 苏州市 said in a note
    set_data_fields(page, kind="city")
    assert "41 units" in wait_text(page, "data_summary", "41 units")
    assert "苏州市" in wait_message(page, "data_messages", "苏州 →")
    # the rename, as a study file would carry it
    set_data_fields(page, rename="苏州 = 苏州市")
    wait_message(page, "data_messages", "renamed")
    summary = wait_text(page, "data_summary", "41 units")
    assert "2015" in summary and "2022" in summary and "5 indicators" in summary

    # the framework from the data's columns, one dimension renamed in the table editor
    step(page, "framework")
    radio(page, "fw_source", "table")
    click(page, "fw_from_data")
    indicators = grid(page, "fw_indicators")
    indicators.expect_nrow(len(YRD_INDICATORS))
    assert grid_frame(page, "fw_indicators")["id"].tolist() == YRD_INDICATORS
    dims = grid(page, "fw_dimensions")
    name_en = _column(page, "fw_dimensions", "name_en")
    dims.set_cell("Digital finance services", row=0, col=name_en, finish_key="Enter")
    settle(page)
    # an edit of the indicators grid made before the check: the check redraws the grid to flag rows, and the
    # edit must survive that redraw (it once fell back to the table as it was before the edits)
    indicators.set_cell("数字金融覆盖广度", row=0, col=_column(page, "fw_indicators", "name_zh"), finish_key="Enter")
    settle(page)
    fill(page, "fw_name", "yrd-dfs")
    click(page, "fw_check")
    assert not messages(page, "fw_messages", "error"), messages(page, "fw_messages")
    assert "5 indicators" in page.locator("#fw_summary").inner_text()
    yaml_file = download(page, "dl_framework", tmp_path / "dl")
    framework = load_framework(yaml_file)
    assert framework.name == "yrd-dfs"
    assert [d.name_en for d in framework.spec.target.children] == ["Digital finance services"]
    assert sorted(framework.indicator_ids) == sorted(YRD_INDICATORS)
    assert framework.indicator_table().loc[YRD_INDICATORS[0], "name_zh"] == "数字金融覆盖广度"
    assert grid_frame(page, "fw_indicators").loc[0, "name_zh"] == "数字金融覆盖广度"

    step(page, "methods")
    fill(page, "years", "auto")
    only_analyses(page, ["kernel_density"])
    run(page)
    frame = report_frame(page)
    assert frame.locator("h1, h2").count() >= 2

    out = tmp_path / "dl"
    report = download(page, "dl_report", out)
    xlsx = download(page, "dl_excel", out)
    assert report.stat().st_size > 10_000
    # nothing lost silently: the reader's notes again in the run's summary
    summary_txt = download(page, "dl_summary", out).read_text(encoding="utf-8")
    assert "说明" in summary_txt and "'—'" in summary_txt and "苏州 → 苏州市" in summary_txt, summary_txt[:2000]
    bundle = download(page, "dl_bundle", out)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(folder)
    study_toml = next(folder.rglob("study.toml"))
    (name,) = assert_same_scores(xlsx, study_toml)
    scores = scores_sheet(xlsx, name)
    units = set(scores.index.get_level_values("unit"))
    assert len(units) == 41 and "苏州市" in units and "苏州" not in units


def _column(page, grid_id: str, label: str) -> int:
    heads = [t.strip() for t in page.locator(f"#{grid_id} table thead tr:not(.filters) th:not(.table-corner)")
             .all_inner_texts()]
    hits = [i for i, h in enumerate(heads) if label in h]
    assert hits, f"no column {label!r} in the grid {grid_id}: {heads}"
    return hits[0]


# =============================================================================================
# 3. bad uploads
# =============================================================================================
def test_empty_file_and_wrong_suffix(shared, tmp_path):
    page = shared.page
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    read_upload(page, empty, read=False)
    text = wait_message(page, "data_messages", "empty.csv", "error")
    assert "empty" in text.lower()

    wrong = tmp_path / "scores.txt"
    wrong.write_text("unit,year,x\n北京,2020,1\n", encoding="utf-8")
    read_upload(page, wrong, read=False)
    text = wait_message(page, "data_messages", "scores.txt", "error")
    assert ".csv" in text and ".xlsx" in text  # what is allowed
    assert not any(p.name == "scores.txt" for d in shared.server.session_dirs() for p in d.rglob("*"))


def test_wrong_sheet_chosen(shared, tmp_path):
    page = shared.page
    book = tmp_path / "with_blank.xlsx"
    data = pd.read_csv(make_province_csv(tmp_path / "p.csv"))
    with pd.ExcelWriter(book) as xl:
        data.to_excel(xl, sheet_name="data", index=False)
        pd.DataFrame().to_excel(xl, sheet_name="blank", index=False)
        pd.DataFrame([["说明"], ["来源：国家统计局"]]).to_excel(xl, sheet_name="notes", header=False, index=False)
    read_upload(page, book, sheet="blank")
    assert wait_message(page, "data_messages", "blank", "error")
    set_data_fields(page, sheet="notes")
    assert wait_message(page, "data_messages", "notes", "error")
    set_data_fields(page, sheet="data")
    assert "31 units" in wait_text(page, "data_summary", "31 units")
    assert not messages(page, "data_messages", "error")


def test_misspelt_unit_near_match_and_rename(shared, tmp_path):
    page = shared.page
    csv = make_province_csv(tmp_path / "provinces.csv", misspell={"广东": "广冬"})
    read_upload(page, csv, kind="province")
    text = wait_message(page, "data_messages", "广冬", "error")
    assert "广东" in text  # the near match
    # the rows concerned (广冬's seven years) are flagged in the preview
    rows = page.locator("#data_messages div.nqpf-msg.nqpf-error").first.get_attribute("data-rows")
    assert len(rows.split(",")) == 7
    assert page.locator("#data_preview tr.nqpf-flag").count() == 7
    hint = wait_message(page, "data_messages", "广冬 = 广东", "note")
    # the hint's other line (the other near match) is refused, not merged: two rows for 广西
    assert "广冬 = 广西" in hint
    set_data_fields(page, rename="广冬 = 广西")
    assert "广西" in wait_message(page, "data_messages", "same province-year", "error")
    # the hint followed with the right line
    set_data_fields(page, rename="广冬 = 广东")
    assert "31 units" in wait_text(page, "data_summary", "31 units")
    assert not messages(page, "data_messages", "error")
    assert "广冬 → 广东" in " ".join(messages(page, "data_messages", "note"))


def test_yaml_error_names_the_line(shared, tmp_path):
    page = shared.page
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\ntitle: {zh: 坏, en: Broken\ntarget:\n  id: t\n", encoding="utf-8")
    step(page, "framework")
    radio(page, "fw_source", "upload")
    upload(page, "fw_file", bad)
    text = wait_message(page, "fw_messages", "broken.yaml", "error")
    assert "line 3" in text  # the unclosed brace of line 2 is found on line 3


def test_bundled_framework_edited_as_table_keeps_its_sample(shared, tmp_path):
    """Editing nqpf-province-2023 as a table keeps what the tables do not show: its sample (2016-2023, 西藏 left
    out: no software revenue) and its references; without them a run of the edited system would fail on 西藏."""
    page = shared.page
    step(page, "framework")
    radio(page, "fw_source", "bundled")
    select(page, "framework", "nqpf-province-2023")
    radio(page, "fw_source", "table")
    grid(page, "fw_indicators").expect_nrow(21)
    click(page, "fw_check")
    assert not messages(page, "fw_messages", "error"), messages(page, "fw_messages")
    spec = load_framework(download(page, "dl_framework", tmp_path / "dl")).spec
    assert spec.name == "nqpf-province-2023-edited"
    assert spec.sample is not None and spec.sample.exclude_units == ["西藏"] and spec.sample.years == (2016, 2023)
    assert spec.references == load_framework("nqpf-province-2023").spec.references


def test_oversize_upload_refused(shared, tmp_path):
    page = shared.page
    big = make_oversize(tmp_path / "big.csv", TEST_UPLOAD_MB * 2)
    step(page, "data")
    radio(page, "data_source", "upload")
    upload(page, "data_file", big, complete=False)
    # refused before the body is read (HTTP 413); the answer, naming the size and the cap, shows under the input
    bar = page.locator("#data_file_progress").filter(has_text=f"{TEST_UPLOAD_MB} MB")
    bar.wait_for()
    assert "2.0 MB" in bar.inner_text()
    assert any(r.startswith("413 ") for r in shared.bad_responses)
    assert not any(p.name == "big.csv" for d in shared.server.session_dirs() for p in d.rglob("*"))


def test_language_switch_keeps_the_session(shared, tmp_path):
    """zh ⇄ en re-labels the page (steps, messages) and keeps what was read."""
    page = shared.page
    read_upload(page, make_province_csv(tmp_path / "p.csv"), kind="province")
    assert "31 units" in wait_text(page, "data_summary", "31 units")
    radio(page, "lang", "zh")
    page.locator(".navbar a[data-value='data']").filter(has_text="① 数据").wait_for()
    assert "31" in wait_text(page, "data_summary", "31")
    assert page.locator("#kind").input_value() == "province"
    radio(page, "lang", "en")
    page.locator(".navbar a[data-value='data']").filter(has_text="① Data").wait_for()
    assert "31 units" in wait_text(page, "data_summary", "31 units")


# =============================================================================================
# 4. safety: two sessions, the session folder removed, a failed run then a good one
# =============================================================================================
def test_two_sessions_isolated_failed_run_then_good_run(browser, server, tmp_path):
    first = Session(browser, server)
    second = Session(browser, server)
    try:
        page = first.page
        csv = make_province_csv(tmp_path / "first_only.csv")  # its gdp column renamed: a mark of this session
        pd.read_csv(csv).rename(columns={"gdp": "secret_gdp"}).to_csv(csv, index=False)
        read_upload(page, csv, kind="province")
        assert "31 units" in wait_text(page, "data_summary", "31 units")
        mine = [d for d in server.session_dirs() if any(p.name == "first_only.csv" for p in d.rglob("*"))]
        assert len(mine) == 1
        # a framework naming an indicator the data lack: the run fails and says so
        bad = write_framework(tmp_path, "missing-indicator", {"d": ("维度", "Dimension", ["secret_gdp",
                                                                                         "no_such_indicator"])})
        step(page, "framework")
        radio(page, "fw_source", "upload")
        upload(page, "fw_file", bad)
        only_analyses(page, [])
        run(page, expect="failed")
        assert "no_such_indicator" in " ".join(messages(page, "run_error", "error"))
        step(page, "data")  # every input as it was
        assert "31 units" in page.locator("#data_summary").inner_text()
        assert page.locator("#kind").input_value() == "province"
        # corrected in the same session, the next run works
        good = write_framework(tmp_path, "two-indicators", {"d": ("维度", "Dimension", ["secret_gdp",
                                                                                        "patent_grants"])})
        step(page, "framework")
        upload(page, "fw_file", good)
        run(page)
        report_frame(page)

        # the second session sees none of it
        other = second.page
        for name in ("data", "framework", "results"):
            step(other, name)
            html = other.content()
            assert "first_only" not in html and "secret_gdp" not in html, name
        assert not other.locator("#report_frame iframe, iframe#report_frame").count()
        assert not other.locator("#result_grid table tbody tr").count()
        assert not any(p.name == "first_only.csv" for d in server.session_dirs() if d != mine[0]
                       for p in d.rglob("*"))
    finally:
        first.close()
    # the page closed: its session folder is removed, the other session's is not
    server.wait_until(lambda: not mine[0].exists(), f"{mine[0]} still there after its page closed")
    second.close()
    assert not first.foreign and not second.foreign
