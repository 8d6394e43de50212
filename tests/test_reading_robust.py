"""Reading robustly: empty and header-only files, blank and non-data sheets, sheet choice, missing markers,
text columns, encodings — every bad input a named error, every skipped thing a note, every hint followed."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from reading_data import runner, write_framework

from nqpf.cli import app
from nqpf.core.errors import DataError, StudyError
from nqpf.core.panel import read_panel
from nqpf.study import load_study, run_study
from nqpf.study.runner import load_panel, rename_units
from nqpf.study.spec import DataSpec


def write_fw(tmp_path):
    return write_framework(tmp_path, "mine", {"d": ("维度", "Dim", ["x", "y"])})


CITIES = ["南京市", "苏州市", "无锡市", "常州市"]


def city_frame(years=(2019, 2020, 2021), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"城市": c, "年份": y, "x": float(rng.uniform(1, 9)), "y": float(rng.uniform(1, 9))}
            for c in CITIES for y in years]
    return pd.DataFrame(rows)


def write_study(tmp_path, data_lines: str, index_lines: str = "") -> object:
    fw = write_fw(tmp_path)
    st = tmp_path / "study.toml"
    st.write_text(f'name = "s"\n[data]\n{data_lines}\n[[index]]\nname = "nq"\nframework = "{fw.as_posix()}"\n'
                  f"{index_lines}\n", encoding="utf-8")
    return st


# ---------------------------------------------------------------------------------------------
# empty files and sheets


def test_empty_csv_is_a_named_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        read_panel(p)
    p.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        read_panel(p)


def test_header_only_csv_is_a_named_error(tmp_path):
    p = tmp_path / "head.csv"
    p.write_text("unit,year,x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"head\.csv: only a header row \(unit, year, x\), no data rows"):
        read_panel(p)


def test_blank_first_sheet_is_skipped_with_a_note_and_all_blank_is_an_error(tmp_path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame().to_excel(w, sheet_name="Sheet1", index=False)
        city_frame().to_excel(w, sheet_name="数据", index=False)
    panel = read_panel(p)
    assert panel.units == sorted(CITIES) and panel.indicators == ["x", "y"]
    assert "book.xlsx: sheet Sheet1 skipped (the sheet is empty)" in panel.provenance.notes
    # chosen explicitly, a blank sheet is an error naming it
    with pytest.raises(DataError, match=r"book\.xlsx \[sheet Sheet1\]: the sheet is empty"):
        read_panel(p, sheet="Sheet1")
    blank = tmp_path / "blank.xlsx"
    with pd.ExcelWriter(blank) as w:
        pd.DataFrame().to_excel(w, sheet_name="Sheet1", index=False)
        pd.DataFrame().to_excel(w, sheet_name="Sheet2", index=False)
    with pytest.raises(DataError, match=r"blank\.xlsx: no sheet holds panel data: sheet Sheet1 \(the sheet is "
                                        r"empty\); sheet Sheet2 \(the sheet is empty\)$"):
        read_panel(blank)
    one = tmp_path / "one.xlsx"
    with pd.ExcelWriter(one) as w:
        pd.DataFrame().to_excel(w, sheet_name="Sheet1", index=False)
    with pytest.raises(DataError, match=r"one\.xlsx \[sheet Sheet1\]: the sheet is empty"):
        read_panel(one)


def test_header_only_sheet_is_a_named_error(tmp_path):
    p = tmp_path / "h.xlsx"
    with pd.ExcelWriter(p) as w:
        city_frame().iloc[:0].to_excel(w, sheet_name="数据", index=False)
    with pytest.raises(DataError, match=r"h\.xlsx \[sheet 数据\]: only a header row \(城市, 年份, x, y\), "
                                        r"no data rows"):
        read_panel(p)


# ---------------------------------------------------------------------------------------------
# non-data sheets and the sheet option


def notes_book(tmp_path):
    p = tmp_path / "yearbook.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"说明": ["数据来源：各市统计年鉴", "单位：亿元"]}).to_excel(w, sheet_name="说明", index=False)
        pd.DataFrame([["长三角城市数据"], ["2024 年编制"]]).to_excel(w, sheet_name="封面", index=False, header=False)
        city_frame().to_excel(w, sheet_name="数据", index=False)
    return p


def test_notes_sheet_and_cover_page_are_skipped_with_a_note(tmp_path):
    panel = read_panel(notes_book(tmp_path))
    assert panel.units == sorted(CITIES) and panel.years == [2019, 2020, 2021]
    notes = panel.provenance.notes
    assert any(n.startswith("yearbook.xlsx: sheet 说明 skipped (no year column") for n in notes), notes
    assert any(n.startswith("yearbook.xlsx: sheet 封面 skipped (no year column") for n in notes), notes
    skipped = panel.provenance.settings["reading"]["skipped_sheets"]
    assert [s["sheet"] for s in skipped] == ["说明", "封面"]


def test_the_notes_sheet_is_shown_in_the_console(tmp_path):
    out = tmp_path / "o"
    res = runner.invoke(app, ["measure", "--data", str(notes_book(tmp_path)), "--framework", str(write_fw(tmp_path)),
                              "--kind", "city", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "sheet 说明 skipped" in text and "sheet 封面 skipped" in text
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert [s["sheet"] for s in prov["settings"]["reading"]["skipped_sheets"]] == ["说明", "封面"]


def test_sheet_by_name_or_position_and_unknown_sheet_lists_the_sheets(tmp_path):
    p = notes_book(tmp_path)
    assert read_panel(p, sheet="数据").units == sorted(CITIES)
    assert read_panel(p, sheet=2).units == sorted(CITIES)
    assert read_panel(p, sheet="2").units == sorted(CITIES)  # as --sheet gives it
    with pytest.raises(DataError, match=r"yearbook\.xlsx: no sheet '数 据'.*the sheets are 0: 说明, 1: 封面, 2: 数据"):
        read_panel(p, sheet="数 据")
    with pytest.raises(DataError, match=r"no sheet 7 \(sheets are numbered from 0\); the sheets are 0: 说明"):
        read_panel(p, sheet=7)
    # a chosen sheet that holds no data is an error with the usual hint, never skipped
    with pytest.raises(DataError, match=r"\[sheet 说明\]: cannot tell which column is 'unit'"):
        read_panel(p, sheet="说明")


def test_sheet_option_on_the_cli_and_in_the_study_file(tmp_path):
    p = tmp_path / "two.xlsx"
    with pd.ExcelWriter(p) as w:
        city_frame(seed=1).to_excel(w, sheet_name="2020版", index=False)
        city_frame(seed=2).to_excel(w, sheet_name="2024版", index=False)
    with pytest.raises(DataError, match="appear in more than one sheet"):
        read_panel(p)  # the same indicators twice: choose one sheet
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(write_fw(tmp_path)), "--sheet", "2024版",
                              "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    values = pd.read_csv(tmp_path / "o" / "tables" / "index_values.csv")
    want = city_frame(seed=2).set_index(["城市", "年份"])["x"]
    got = values.set_index(["unit", "year"])["x"]
    assert got.loc[("苏州市", 2020)] == pytest.approx(want.loc[("苏州市", 2020)])
    st = write_study(tmp_path, f'path = "{p.as_posix()}"\nsheet = 0', 'years = "all"')
    spec, source = load_study(st)
    run = run_study(spec, source)
    assert run.panel.data.loc[("苏州市", 2020), "x"] == pytest.approx(
        city_frame(seed=1).set_index(["城市", "年份"]).loc[("苏州市", 2020), "x"])


# ---------------------------------------------------------------------------------------------
# missing markers


def test_missing_markers_are_counted_per_column_and_noted(tmp_path):
    df = city_frame().astype({"x": object, "y": object})
    df.loc[0, "x"] = "—"
    df.loc[1, "x"] = "—"
    df.loc[2, "x"] = "—"
    df.loc[3, "x"] = "-"
    df.loc[4, "y"] = "N/A"
    df.loc[5, "y"] = ".."
    df.loc[6, "y"] = "无"
    p = tmp_path / "m.csv"
    df.to_csv(p, index=False)
    panel = read_panel(p)
    assert int(panel.data["x"].isna().sum()) == 4 and int(panel.data["y"].isna().sum()) == 3
    notes = panel.provenance.notes
    assert "m.csv: 3 cells marked '—' read as empty in column 'x'" in notes
    assert "m.csv: 1 cell marked '-' read as empty in column 'x'" in notes
    assert "m.csv: 1 cell marked 'N/A' read as empty in column 'y'" in notes
    assert "m.csv: 1 cell marked '..' read as empty in column 'y'" in notes
    assert "m.csv: 1 cell marked '无' read as empty in column 'y'" in notes
    markers = panel.provenance.settings["reading"]["markers"]
    assert {"sheet": None, "column": "x", "marker": "—", "cells": 3} in markers
    # blank cells are empty, not markers
    df.loc[7, "x"] = ""
    df.to_csv(p, index=False)
    assert len(read_panel(p).provenance.notes) == 5


def test_markers_in_a_workbook_and_in_the_console(tmp_path):
    df = city_frame().astype({"x": object})
    df.loc[[1, 4, 7], "x"] = "—"  # 2020: interpolated
    p = tmp_path / "m.xlsx"
    with pd.ExcelWriter(p) as w:
        df.to_excel(w, sheet_name="数据", index=False)
    panel = read_panel(p)
    assert "m.xlsx [sheet 数据]: 3 cells marked '—' read as empty in column 'x'" in panel.provenance.notes
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(write_fw(tmp_path)),
                              "--years", "all", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "3 cells marked '—' read as empty in column 'x'" in " ".join(res.output.split())


def test_markers_in_a_wide_yearbook_sheet(tmp_path):
    p = tmp_path / "wide.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"地区": CITIES, "2020年": [1, 2, "…", 4], "2021年": ["NA", 2, 3, 4]}).to_excel(
            w, sheet_name="gdp", index=False)
    panel = read_panel(p)
    notes = panel.provenance.notes
    assert "wide.xlsx [sheet gdp]: 1 cell marked '…' read as empty in column 'gdp'" in notes
    assert "wide.xlsx [sheet gdp]: 1 cell marked 'NA' read as empty in column 'gdp'" in notes


# ---------------------------------------------------------------------------------------------
# text columns


def firm_csv(tmp_path):
    rows = [{"stkcd": f"{c:06d}", "year": y, "industry": ind, "x": 1.0 + c + y % 7, "y": 2.0 + c * y % 5}
            for c, ind in ((1, "制造业"), (2, "批发零售"), (600000, "金融业")) for y in (2020, 2021, 2022)]
    p = tmp_path / "firms.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_a_text_column_is_an_error_whose_hint_works(tmp_path):
    p = firm_csv(tmp_path)
    with pytest.raises(DataError) as exc:
        read_panel(p, unit="stkcd")
    msg = str(exc.value)
    assert "firms.csv, column 'industry': holds text, not numbers (e.g. '制造业' at line 2" in msg
    hint = re.search(r'(labels = \["industry"\]) in \[data\]', msg)
    assert hint is not None, msg
    # the hint followed in a study file
    st = write_study(tmp_path, f'path = "{p.as_posix()}"\nunit = "stkcd"\nkind = "firm"\n{hint.group(1)}',
                     'years = "all"')
    spec, source = load_study(st)
    run = run_study(spec, source)
    labels = run.panel.labels
    assert labels is not None and list(labels.columns) == ["industry"]
    assert labels.loc[("000002", 2021), "industry"] == "批发零售"
    assert run.panel.indicators == ["x", "y"]
    assert labels.index.equals(run.panel.data.index)
    # and on the command line
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(write_fw(tmp_path)), "--unit", "stkcd",
                              "--labels", "industry", "--years", "all", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output


def test_a_label_column_that_is_not_there_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"label column\(s\) \['sector'\] not found; columns are"):
        read_panel(firm_csv(tmp_path), unit="stkcd", labels=["industry", "sector"])


def test_a_column_with_some_text_keeps_the_cell_error(tmp_path):
    df = city_frame().astype({"x": object})
    df.loc[5, "x"] = "12亿"
    p = tmp_path / "t.csv"
    df.to_csv(p, index=False)
    with pytest.raises(DataError, match=r"t\.csv, line 7, column 'x' \(苏州市 2021\): '12亿' is not a number"):
        read_panel(p)


# ---------------------------------------------------------------------------------------------
# encodings


def test_gbk_csv_and_bom_in_csv_and_workbook(tmp_path):
    text = city_frame().to_csv(index=False)
    for enc in ("gbk", "utf-8-sig"):
        p = tmp_path / f"{enc}.csv"
        p.write_bytes(text.encode(enc))
        panel = read_panel(p)
        assert panel.units == sorted(CITIES) and panel.indicators == ["x", "y"]
    p = tmp_path / "bom.xlsx"
    with pd.ExcelWriter(p) as w:
        city_frame().rename(columns={"城市": "\ufeff城市"}).to_excel(w, sheet_name="数据", index=False)
    assert read_panel(p).units == sorted(CITIES)


# ---------------------------------------------------------------------------------------------
# names: a rename map, never a silent drop


def two_spellings_book(tmp_path):
    """苏州 in one sheet, 苏州市 in the other (the issue's case)."""
    df = city_frame()
    p = tmp_path / "spell.xlsx"
    a = df[["城市", "年份", "x"]].copy()
    a["城市"] = a["城市"].replace({"苏州市": "苏州"})
    with pd.ExcelWriter(p) as w:
        a.to_excel(w, sheet_name="x", index=False)
        df[["城市", "年份", "y"]].to_excel(w, sheet_name="y", index=False)
    return p, df


def test_two_spellings_give_a_rename_hint_that_works(tmp_path):
    p, df = two_spellings_book(tmp_path)
    # without a unit kind the names are taken as written (with kind = "city", 苏州 resolves to 苏州市 by itself)
    st = write_study(tmp_path, f'path = "{p.as_posix()}"', 'missing = "error"')
    spec, source = load_study(st)
    with pytest.raises(DataError) as exc:
        run_study(spec, source)
    msg = str(exc.value)
    assert "missing='drop'" not in msg and "drop" not in msg
    hint = re.search(r"(rename = \{ .*? \})", msg)
    assert hint is not None and hint.group(1) == 'rename = { "苏州" = "苏州市" }', msg
    st = write_study(tmp_path, f'path = "{p.as_posix()}"\n{hint.group(1)}', 'missing = "error"')
    spec, source = load_study(st)
    run = run_study(spec, source)
    assert run.panel.units == sorted(CITIES)
    want = df.set_index(["城市", "年份"])
    assert run.panel.data.loc[("苏州市", 2020), "x"] == pytest.approx(want.loc[("苏州市", 2020), "x"])
    assert any("renamed by the study file: 苏州 → 苏州市" in n for n in run.provenance.notes)
    # the command-line form of the hint
    cli = re.search(r"nqpf measure: (--rename \S+)\)", msg)
    assert cli is not None, msg
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(write_fw(tmp_path)), "--missing",
                              "error", *cli.group(1).split(" ", 1), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output


def test_rename_file_and_clashing_spellings(tmp_path):
    p, _df = two_spellings_book(tmp_path)
    ren = tmp_path / "renames.csv"
    ren.write_text("from,to\n苏州,苏州市\n", encoding="utf-8")
    panel = load_panel(DataSpec(path=str(p), rename_file=ren.name), base=tmp_path)
    assert panel.units == sorted(CITIES) and not panel.data.isna().any().any()
    with pytest.raises(StudyError, match="rename_file: no such file"):
        load_panel(DataSpec(path=str(p), rename_file="nope.csv"), base=tmp_path)
    # two spellings with a value each in one cell: an error naming both, never one silently kept
    both = read_panel(p)
    both.data.loc[("苏州", 2020), "y"] = 1.0
    with pytest.raises(DataError, match=r"苏州 and 苏州市 both have a value for 'y' in 2020"):
        rename_units(both, {"苏州": "苏州市"})
    # a rename that matches nothing is noted
    out = rename_units(read_panel(p), {"杭州": "杭州市"}, where="spell.xlsx")
    assert "spell.xlsx: [data] rename '杭州' = '杭州市' matched no unit" in out.provenance.notes


def test_gap_hints_exclude_units_and_years_work(tmp_path):
    df = city_frame(years=(2018, 2019, 2020, 2021))
    df.loc[(df["城市"] == "常州市") & (df["年份"] == 2018), "x"] = np.nan
    p = tmp_path / "g.csv"
    df.to_csv(p, index=False)
    st = write_study(tmp_path, f'path = "{p.as_posix()}"', 'years = "all"\nmissing = "error"')
    spec, source = load_study(st)
    with pytest.raises(DataError) as exc:
        run_study(spec, source)
    msg = str(exc.value)
    assert "missing='drop'" not in msg
    assert "rename" not in msg  # 常州市 and 苏州市 are two cities (both hold x and y), not two spellings
    years = re.search(r'(years = "\d{4}-\d{4}") in \[\[index\]\]', msg)
    excl = re.search(r'(exclude_units = \["常州市"\]) in \[\[index\]\]', msg)
    assert years is not None and excl is not None, msg
    assert years.group(1) == 'years = "2019-2021"'
    for line in (years.group(1), excl.group(1) + '\nyears = "all"'):
        st = write_study(tmp_path, f'path = "{p.as_posix()}"', f'{line}\nmissing = "error"')
        spec, source = load_study(st)
        run = run_study(spec, source)
        res = run.results["nq"]
        assert not res.values.isna().any().any()
    assert set(res.units) == set(CITIES) - {"常州市"}
    assert any("units excluded by the study: 常州市" in n for n in run.provenance.notes)
    st = write_study(tmp_path, f'path = "{p.as_posix()}"', 'exclude_units = ["常州"]\nyears = "all"')
    spec, source = load_study(st)
    with pytest.raises(StudyError, match=r"exclude_units names \['常州'\], which the panel does not hold; "
                                         r"near matches: 常州市"):
        run_study(spec, source)
