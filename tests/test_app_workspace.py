"""The workbench's session workspace: folders, checked uploads, the raw preview and the reader's messages
located in the file (rows as Excel numbers them, column, unit, sheet)."""

from __future__ import annotations

import doctest

import openpyxl
import pandas as pd
import pytest

from nqpf.app import workspace as wsmod
from nqpf.app.workspace import (
    MAX_UPLOAD_MB,
    UploadError,
    Workspace,
    data_spec,
    live_workspaces,
    preview,
    read,
    safe_name,
    sheet_names,
)
from nqpf.core.errors import DataError, NqpfError
from nqpf.core.panel import raw_cells, read_panel
from tests.conftest import shared_data

NBS = shared_data() / "raw" / "RenJiyi163__分省年度数据.csv" if shared_data() else None


@pytest.fixture
def ws():
    w = Workspace()
    yield w
    w.close()


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_folder_is_per_session_and_removed_on_close(tmp_path):
    a, b = Workspace(), Workspace()
    try:
        assert a.folder != b.folder and a.folder.name.startswith("nqpf-app-") and a.folder.is_dir()
        assert {a, b} <= set(live_workspaces())
        src = _csv(tmp_path / "panel.csv", "province,year,x\n北京,2019,1\n")
        saved = a.save_upload("panel.csv", src, size=src.stat().st_size)
        assert saved.parent.parent == a.folder and saved.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
        assert not any(p.is_file() for p in b.folder.rglob("*"))  # two sessions share no file
        assert a.new_run_dir().name == "run-1" and a.new_run_dir().name == "run-2"
        assert b.new_run_dir().name == "run-1"
    finally:
        a.close()
    assert not a.folder.exists() and a.closed and a not in live_workspaces()
    a.close()  # idempotent
    assert b.folder.is_dir()
    stopped = []
    b.on_close(lambda: stopped.append(b.folder.is_dir()))  # hooks run before the folder goes
    b.on_close(lambda: 1 / 0)  # a failing hook does not keep the folder
    wsmod._close_all()  # what the atexit hook does
    assert stopped == [True]
    assert not b.folder.exists() and b not in live_workspaces()
    with pytest.raises(NqpfError, match="reload the page"):
        b.new_run_dir()


def test_upload_refusals_name_the_file_and_what_is_allowed(ws, tmp_path):
    notes = _csv(tmp_path / "notes.txt", "hello")
    with pytest.raises(UploadError, match=r"notes\.txt: a \.txt file cannot be used as data; choose a "
                                          r"\.csv / \.xlsx / \.xls / \.dta file"):
        ws.save_upload("notes.txt", notes)
    with pytest.raises(UploadError, match=r"fw\.csv: .* choose a \.yaml / \.yml file"):
        ws.save_upload("fw.csv", notes, purpose="framework")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match=r"empty\.csv: the file is empty \(0 bytes\)"):
        ws.save_upload("empty.csv", empty, size=0)
    big = tmp_path / "big.csv"
    with big.open("wb") as f:  # a sparse file: 51 MB on paper, nothing on disk
        f.truncate((MAX_UPLOAD_MB + 1) * 1024 * 1024)
    with pytest.raises(UploadError, match=r"big\.csv: 51\.0 MB is larger than the limit of 50 MB"):
        ws.save_upload("big.csv", big)
    small = _csv(tmp_path / "small.csv", "a\n")
    with pytest.raises(UploadError, match=r"small\.csv: 60\.0 MB is larger than the limit of 50 MB"):
        ws.save_upload("small.csv", small, size=60 * 1024 * 1024)  # the size the browser reported
    assert not ws.uploads.exists() or not any(ws.uploads.iterdir())  # nothing refused was kept
    # the hint followed: the same content as .csv is accepted; a YAML framework for the framework input
    assert ws.save_upload("notes.csv", notes).name == "notes.csv"
    assert ws.save_upload("体系.YML", notes, purpose="framework").name == "体系.YML"
    with pytest.raises(ValueError, match="unknown upload purpose"):
        ws.save_upload("a.csv", notes, purpose="pictures")


def test_upload_names_are_sanitised(ws, tmp_path):
    src = _csv(tmp_path / "x.csv", "a\n1\n")
    saved = ws.save_upload("../../etc/省级 面板（2019）.csv", src)
    assert saved == ws.uploads / "省级 面板（2019）.csv"
    assert safe_name(r"C:\Users\张三\数据.xlsx") == "数据.xlsx"
    assert safe_name("..") == "upload" and safe_name("a|b?.csv") == "a_b_.csv"
    for purpose, name in (("rename", "r.csv"), ("weights", "w.gal"), ("weights", "w.gwt"), ("groups", "g.csv")):
        assert ws.save_upload(name, src, purpose=purpose).name == name


def _book(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        sh = wb.create_sheet(title)
        for r in rows:
            sh.append(r)
    wb.save(path)
    return path


def test_sheet_names_and_preview_rows_as_excel_numbers_them(tmp_path):
    book = tmp_path / "yearbook.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "数据来源：国家统计局"
    sh = wb.create_sheet("gdp")
    sh["B3"], sh["C3"], sh["B4"], sh["C4"] = "地区", "2019", "北京", 35371.3
    wb.save(book)
    assert sheet_names(book) == ["说明", "gdp"]
    assert sheet_names(_csv(tmp_path / "a.csv", "x\n")) == []
    pv = preview(book, "gdp")
    assert pv.loc[3, "B"] == "地区" and pv.loc[4, "C"] == "35371.3" and pv.loc[1, "A"] == ""
    assert list(pv.columns) == ["A", "B", "C"] and pv.index[0] == 1
    assert preview(book).loc[1, "A"] == "数据来源：国家统计局"  # default: the first sheet
    assert preview(book, 1).equals(pv)  # a 0-based position, as [data] sheet takes it
    csv = _csv(tmp_path / "long.csv", "province,year,gdp\n" + "".join(f"北京,{y},{y}\n" for y in range(2000, 2300)))
    pv = preview(csv, nrows=200)
    assert len(pv) == 200 and pv.loc[2].tolist() == ["北京", "2000", "2000"]
    with pytest.raises(DataError, match="no sheet 'GDP'; the sheets are 0: 说明, 1: gdp"):
        preview(book, "GDP")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"bad\.xlsx: cannot read the workbook"):
        sheet_names(bad)


def test_stata_file_preview_and_read(tmp_path):
    dta = tmp_path / "firms.dta"
    pd.DataFrame({"stkcd": [1, 600000], "year": [2019, 2019], "roa": [0.1, 0.2]}).to_stata(dta, write_index=False)
    assert sheet_names(dta) == []
    pv = preview(dta)
    assert pv.loc[1].tolist() == ["stkcd", "year", "roa"] and pv.loc[3].tolist() == ["600000", "2019", "0.2"]
    out = read(dta, kind="firm")
    assert out.ok and out.panel.units == ["000001", "600000"]
    note = next(m for m in out.messages if "zero-padded" in m.text)
    assert note.level == "note" and note.unit == "1" and note.rows == [2]


def test_raw_cells_lines_match_the_reader(tmp_path):
    """The preview's row numbers are the lines the reader's messages name (the same cells)."""
    csv = _csv(tmp_path / "p.csv", "province,year,gdp\n北京,2019,1\n天津,2019,x\n")
    with pytest.raises(DataError, match="line 3") as err:
        read_panel(csv, kind="province")
    assert "line 3" in str(err.value) and raw_cells(csv).iloc[3 - 1, 2] == "x"


def _one(outcome, level):
    found = [m for m in outcome.messages if m.level == level]
    assert len(found) == 1, outcome.messages
    return found[0]


def test_read_error_duplicates(tmp_path):
    out = read(_csv(tmp_path / "dup.csv", "province,year,gdp\n北京,2019,1\n天津,2019,2\n北京,2019,3\n"),
               kind="province")
    assert out.panel is None and not out.ok
    m = _one(out, "error")
    assert m.text == "dup.csv: duplicate unit-years: 北京 2019 (line 2), 北京 2019 (line 4)"  # the file's name
    assert (m.rows, m.unit, m.column) == ([2, 4], "北京", None)


def test_read_error_non_numeric_cell(tmp_path):
    m = _one(read(_csv(tmp_path / "bad.csv", "province,year,gdp\n北京,2019,1\n天津,2019,abc\n"), kind="province"),
             "error")
    assert m.text == "bad.csv, line 3, column 'gdp' (天津 2019): 'abc' is not a number"
    assert (m.rows, m.column, m.unit) == ([3], "gdp", "天津")


def test_read_error_unknown_name_and_its_hint(tmp_path):
    csv = _csv(tmp_path / "unk.csv", "province,year,gdp\n北京,2019,1\nBeijng,2019,2\n河北,2019,3\nBeijng,2020,4\n")
    m = _one(read(csv, kind="province"), "error")
    assert m.text.startswith("unk.csv: unknown province name 'Beijng'; near matches: 北京")
    assert '[data] rename = { "Beijng" = "北京" }' in m.text
    assert (m.unit, m.rows) == ("Beijng", [3, 5])  # the rows of the file that hold the name
    # the hint followed: the rename makes the two rows of 北京 2019 collide, said with their lines
    m = _one(read(csv, kind="province", rename={"Beijng": "北京"}), "error")
    assert "'北京' and 'Beijng' both map to the same province-year 北京 2019" in m.text
    assert (m.unit, m.rows) == ("北京", [2, 3])  # the two rows of 2019, not Beijng's 2020
    ok = read(csv, kind="province", rename={"Beijng": "天津"})
    assert ok.ok and ok.panel.units == ["北京", "天津", "河北"]
    note = next(m for m in ok.messages if "renamed by the study file" in m.text)
    assert (note.level, note.unit, note.rows) == ("note", "Beijng", [3, 5])


def test_read_notes_markers_skipped_sheets_renames(tmp_path):
    book = _book(tmp_path / "城市.xlsx", {
        "说明": [["本表说明"]],
        "gdp": [["地区", "2018", "2019"], ["北京", 1, 2], ["襄樊", 3, "—"], ["天津", "-", 5]],
    })
    out = read(book, kind="city", rename={"苏州": "苏州市"})
    assert out.ok and out.panel.units == ["北京市", "天津市", "襄阳市"]
    by = {m.text: m for m in out.messages}
    skipped = by["城市.xlsx: sheet 说明 skipped (only a header row (本表说明), no data rows)"]
    assert (skipped.level, skipped.sheet, skipped.rows) == ("warning", "说明", [])
    dash = by["城市.xlsx [sheet gdp]: 1 cell marked '—' read as empty in column 'gdp'"]
    assert (dash.level, dash.rows, dash.column, dash.sheet) == ("warning", [3], "gdp", "gdp")
    assert by["城市.xlsx [sheet gdp]: 1 cell marked '-' read as empty in column 'gdp'"].rows == [4]
    rename = by["城市.xlsx: [data] rename '苏州' = '苏州市' matched no unit"]
    assert (rename.level, rename.unit, rename.rows) == ("warning", "苏州", [])
    former = next(m for m in out.messages if "襄樊 → 襄阳市" in m.text)
    assert (former.level, former.unit, former.rows, former.sheet) == ("note", "襄樊", [3], "gdp")


def test_read_wide_errors_name_lines(tmp_path):
    """Wide (yearbook) layout: a duplicated unit names its lines (core.panel says them now)."""
    book = _book(tmp_path / "wide.xlsx", {"gdp": [["地区", "2018", "2019"], ["北京", 1, 2], ["天津", 3, 4],
                                                 ["北京", 5, 6]]})
    m = _one(read(book, kind="province"), "error")
    assert m.text == ("wide.xlsx [sheet gdp]: duplicate unit-years: 北京 2018 (line 2), 北京 2019 (line 2), "
                      "北京 2018 (line 4), 北京 2019 (line 4)")
    assert (m.rows, m.unit, m.sheet) == ([2, 4], "北京", "gdp")
    book = _book(tmp_path / "wide2.xlsx", {"gdp": [["地区", "2018", "2019"], ["北京", 1, 2], ["天津", 3, "x"]]})
    m = _one(read(book, kind="province"), "error")
    assert (m.rows, m.column, m.unit) == ([3], "2019", "天津")


def test_read_an_indicator_in_two_sheets_names_them(tmp_path):
    rows = [["province", "year", "gdp"], ["北京", 2019, 1.0], ["天津", 2019, 2.0]]
    book = _book(tmp_path / "two.xlsx", {"2020版": rows, "2024版": rows})
    m = _one(read(book, kind="province"), "error")
    assert m.text == ("two.xlsx: indicator(s) ['gdp'] appear in more than one sheet (sheets 2020版 and 2024版); read "
                      'one of them with sheet=... (sheet = "2024版" in [data]), or keep each indicator in one sheet')
    assert read(book, kind="province", sheet="2024版").ok  # the hint followed


def test_read_sheet_and_labels_fields(tmp_path):
    book = _book(tmp_path / "long.xlsx", {"notes": [["说明"]],
                                          "data": [["省份", "城市", "年份", "gdp"], ["江苏", "苏州", 2019, 1.5],
                                                   ["江苏", "无锡", 2019, 1.2]]})
    out = read(book, kind="city", sheet="data", labels=["省份"], unit="", year="", layout="auto")
    assert out.ok and out.panel.labels["省份"].tolist() == ["江苏", "江苏"] and out.panel.indicators == ["gdp"]
    assert out.panel.units == ["无锡市", "苏州市"]  # a city file: the city column is the unit, not 省份
    m = _one(read(book, sheet="dta"), "error")
    assert "no sheet 'dta'; near matches: data" in m.text
    m = _one(read(book, kind="city", sheet="data"), "error")
    assert "labels = [\"省份\"]" in m.text and (m.column, m.rows) == ("省份", [2])
    m = _one(read(book, kind="planet", sheet="data", unit="城市", labels=["省份"]), "error")
    assert "unknown unit kind 'planet'" in m.text


def test_data_spec_leaves_blanks_out():
    spec = data_spec("数据.csv", unit="", year="年份", layout="auto", sheet="", kind=None, labels=[], rename={})
    assert spec.model_dump(exclude_defaults=True) == {"path": "数据.csv", "year": "年份"}
    assert data_spec("a.xlsx", sheet=2).sheet == 2
    with pytest.raises(NqpfError, match=r"\[data\] layout: .*'long'.*\(got 'diagonal'\)"):
        data_spec("a.csv", layout="diagonal")


@pytest.mark.skipif(NBS is None or not NBS.exists(), reason="shared data not present")
def test_read_a_real_nbs_export():
    """An NBS 分省年度数据 export (GBK, title lines, a source note) reads with notes only."""
    out = read(NBS, kind="province")
    assert out.ok, out.messages
    assert len(out.panel.units) >= 30
    assert all(m.level in ("note", "warning") for m in out.messages)
    beijing = next(m for m in out.messages if m.text.endswith(": unit 北京市 → 北京"))
    assert beijing.unit == "北京市" and preview(NBS).loc[beijing.rows[0], "A"] == "北京市"


def test_docstring_examples_run():
    res = doctest.testmod(wsmod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
