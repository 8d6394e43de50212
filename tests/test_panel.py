"""Panel readers (CSV, yearbook-style wide CSV/Excel, Stata) and their validation errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

from nqpf.core.errors import DataError
from nqpf.core.panel import handle_missing, read_panel
from nqpf.core.provenance import Provenance
from nqpf.datasets import load_dataset, match_province

LONG = "province,year,gdp,patents\n北京,2020,100,5\n北京,2021,110,6\n上海,2020,90,4\n上海,2021,95,\n"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_long_csv(tmp_path):
    p = read_panel(write(tmp_path, "a.csv", LONG), kind="province")
    assert p.units == ["上海", "北京"] or set(p.units) == {"北京", "上海"}
    assert p.data.loc[("北京", 2021), "gdp"] == 110.0
    assert np.isnan(p.data.loc[("上海", 2021), "patents"])
    assert p.provenance.inputs[0]["sha256"]


def test_nbs_export_gbk_wide_with_full_names(tmp_path):
    text = ("数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：最近3年\n地区,2022年,2021年,2020年\n"
            "北京市,45222.4,44350.7,38503.6\n内蒙古自治区,23158.6,21166.0,17258.0\n"
            "注：按照我国国民经济核算数据修订制度\n数据来源：国家统计局\n")
    p = read_panel(write(tmp_path, "gdp.csv", text, "gbk"), kind="province")
    assert p.indicators == ["地区生产总值(亿元)"]
    assert p.data.loc[("内蒙古", 2021), "地区生产总值(亿元)"] == 21166.0
    assert p.years == [2020, 2021, 2022]


def test_excel_one_sheet_per_indicator(tmp_path):
    path = tmp_path / "yearbook.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"地区": ["Beijing", "Inner Mongolia"], "2020": [1.5, 2.5], "2021": [1.7, "2.9"]}).to_excel(
            xw, sheet_name="rd_intensity", index=False)
        pd.DataFrame({"地区": ["北京", "内蒙古"], "2020年": [10, 20], "2021年": [11, 21]}).to_excel(
            xw, sheet_name="patents", index=False)
    p = read_panel(path, kind="province")
    assert sorted(p.indicators) == ["patents", "rd_intensity"]
    assert p.data.loc[("内蒙古", 2021), "rd_intensity"] == 2.9
    assert p.data.loc[("北京", 2020), "patents"] == 10


def test_excel_nbs_export_with_header_and_footer_lines(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in (["数据库：分省年度数据"], ["指标：R&D经费(万元)"], ["时间：最近2年"], ["地区", "2022年", "2021年"],
                ["北京市", 27000000, 26295000], ["广西壮族自治区", 2000000, None], [None], ["数据来源：国家统计局"]):
        ws.append(row)
    path = tmp_path / "nbs.xlsx"
    wb.save(path)
    p = read_panel(path, kind="province")
    assert p.indicators == ["R&D经费(万元)"]
    assert p.data.loc[("广西", 2022), "R&D经费(万元)"] == 2000000
    assert np.isnan(p.data.loc[("广西", 2021), "R&D经费(万元)"])


def test_stata_dta(tmp_path):
    df = pd.DataFrame({"prov": ["北京", "北京", "上海"], "year": [2020, 2021, 2020], "x": [1.0, 2.0, 3.0]})
    path = tmp_path / "p.dta"
    df.to_stata(path, write_index=False, version=118)
    p = read_panel(path, unit="prov", year="year", kind="province")
    assert p.data.loc[("上海", 2020), "x"] == 3.0


def test_duplicate_unit_year_names_lines(tmp_path):
    text = LONG + "北京,2021,111,7\n"
    with pytest.raises(DataError, match=r"duplicate unit-years: 北京 2021 \(line 3\), 北京 2021 \(line 6\)"):
        read_panel(write(tmp_path, "d.csv", text))


def test_non_numeric_cell_names_file_line_column(tmp_path):
    text = LONG.replace("90,4", "9O,4")
    with pytest.raises(DataError, match=r"n.csv, line 4, column 'gdp' \(上海 2020\): '9O' is not a number"):
        read_panel(write(tmp_path, "n.csv", text))


def test_wide_non_numeric_cell(tmp_path):
    text = "地区,2021年,2020年\n北京市,1.0,abc\n"
    with pytest.raises(DataError, match=r"line 2, column 2020 \(北京市.*'abc' is not a number"):
        read_panel(write(tmp_path, "w.csv", text))


def test_unknown_province_lists_near_matches(tmp_path):
    text = LONG.replace("上海", "上悔")
    with pytest.raises(DataError, match="unknown province name '上悔'"):
        read_panel(write(tmp_path, "u.csv", text), kind="province")
    with pytest.raises(DataError, match=r"near matches: .*shanxi → 山西"):
        match_province("Shanxii")


@pytest.mark.parametrize("alias", ["内蒙古自治区", "Inner Mongolia", "Nei Mongol", "150000", "neimenggu", "内蒙古"])
def test_aliases(alias):
    assert match_province(alias) == "内蒙古"


def test_missing_policies_record_every_cell():
    idx = pd.MultiIndex.from_product([["A", "B"], [2010, 2011, 2012, 2013]], names=["unit", "year"])
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan, 2.0, 4.0, 6.0, 8.0]}, index=idx)
    with pytest.raises(DataError, match=r"2 empty cell\(s\).*x at A 2011; x at A 2013"):
        handle_missing(df, "error", Provenance())
    prov = Provenance()
    with pytest.raises(DataError, match=r"1 empty cell\(s\) remain.*x at A 2013"):
        handle_missing(df, "interpolate", prov)  # 2013 is outside A's observed span
    prov = Provenance()
    out = handle_missing(df, ["interpolate", "drop"], prov)
    assert out.loc[("A", 2011), "x"] == 2.0
    assert ("A", 2013) not in out.index
    actions = [(c["action"], c["unit"], c["year"]) for c in prov.cells]
    assert actions == [("imputed", "A", 2011), ("dropped", "A", 2013)]


def test_bundled_panels_match_shared_copies():
    shared = shared_data()
    p = load_dataset("china-provinces")
    assert len(p.units) == 31 and p.years[0] == 2010 and p.years[-1] == 2024
    assert p.data.loc[("北京", 2022), "gdp"] == 45222.4  # revised series, see PROVENANCE.md
    if shared is None:
        pytest.skip("../shared/data not present")
    raw = pd.read_csv(shared / "china_provinces_panel.csv")
    assert raw.shape[0] == len(p.data)
    ours = p.data["rd_expenditure"].sort_index()
    theirs = raw.set_index(["province", "year"])["rd_expenditure"].sort_index()
    np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy())


def test_real_nbs_export_agrees_with_bundled_gdp():
    shared = shared_data()
    if shared is None:
        pytest.skip("../shared/data not present")
    nbs = read_panel(shared / "raw" / "RenJiyi163__分省年度数据.csv", kind="province")
    bundled = load_dataset("china-provinces").data["gdp"]
    both = nbs.data.index.intersection(bundled.index)
    assert len(both) == 31 * 15
    np.testing.assert_allclose(nbs.data.loc[both, "地区生产总值(亿元)"], bundled.loc[both])


# --- review fixes -------------------------------------------------------------------------------------------


def test_semicolon_csv_with_decimal_commas(tmp_path):
    """European-style CSV: ';' separates fields and ',' is the decimal mark (1,5 is 1.5, not 15)."""
    text = "unit;year;x;y\nA;2020;1,5;1.234,25\nA;2021;2,25;7\nB;2020;-0,5;3\nB;2021;;4\n"
    p = read_panel(write(tmp_path, "semi.csv", text))
    assert p.data.loc[("A", 2020), "x"] == 1.5
    assert p.data.loc[("A", 2020), "y"] == 1234.25
    assert p.data.loc[("A", 2021), "x"] == 2.25
    assert p.data.loc[("B", 2020), "x"] == -0.5
    assert np.isnan(p.data.loc[("B", 2021), "x"])


def test_semicolon_csv_with_decimal_points(tmp_path):
    p = read_panel(write(tmp_path, "semi.csv", "unit;year;x\nA;2020;1.5\nA;2021;2.5\n"))
    assert list(p.data["x"]) == [1.5, 2.5]


def test_stata_value_labelled_unit_column_gives_labels(tmp_path):
    """A unit column stored as codes with value labels (common in Stata files) reads as the labels."""
    d = pd.DataFrame({"prov": np.array([1, 1, 2, 2], dtype=np.int8), "year": [2020, 2021, 2020, 2021],
                      "x": [1.0, 2.0, 3.0, 4.0], "east": np.array([1, 1, 0, 0], dtype=np.int8)})
    f = tmp_path / "l.dta"
    d.to_stata(f, write_index=False, value_labels={"prov": {1: "北京市", 2: "天津市"}, "east": {0: "no", 1: "yes"}},
               version=118)
    p = read_panel(f, unit="prov", kind="province")
    assert p.units == ["北京", "天津"]
    assert p.data.loc[("天津", 2021), "x"] == 4.0
    assert p.data.loc[("北京", 2020), "east"] == 1.0  # labelled indicator columns stay numeric codes


def test_stata_float_unit_codes_read_as_whole_numbers(tmp_path):
    d = pd.DataFrame({"code": [110000.0, 110000.0, 120000.0, 120000.0], "year": [2020, 2021, 2020, 2021],
                      "x": [1.0, 2.0, 3.0, 4.0]})
    f = tmp_path / "c.dta"
    d.to_stata(f, write_index=False, version=118)
    p = read_panel(f, unit="code", kind="province")
    assert p.units == ["北京", "天津"]


def test_duplicate_province_after_alias_matching_names_both_spellings(tmp_path):
    f = write(tmp_path, "dup.csv", "province,year,x\n北京市,2020,1\n北京,2020,2\n")
    with pytest.raises(DataError, match=r"dup.csv.*'北京市' and '北京'.*北京 2020"):
        read_panel(f, kind="province")


def test_duplicate_column_names_are_a_clear_error(tmp_path):
    f = write(tmp_path, "d.csv", "unit,year,x,x\nA,2020,1,2\nA,2021,1,2\n")
    with pytest.raises(DataError, match=r"d.csv: column\(s\) \['x'\] appear more than once"):
        read_panel(f)


def test_empty_unit_name_names_the_line(tmp_path):
    f = write(tmp_path, "e.csv", "unit,year,x\nA,2020,1\n,2021,2\n")
    with pytest.raises(DataError, match=r"e.csv, line 3, column 'unit': empty unit name"):
        read_panel(f)


def test_headerless_columns(tmp_path):
    """A trailing empty column (a stray separator) is ignored; a column with data but no header is an error."""
    p = read_panel(write(tmp_path, "t.csv", "unit,year,x,\nA,2020,1,\nA,2021,2,\n"))
    assert p.indicators == ["x"]
    with pytest.raises(DataError, match=r"h.csv: column 4 has no header"):
        read_panel(write(tmp_path, "h.csv", "unit,year,x,\nA,2020,1,2\nA,2021,1,\n"))


def test_interpolation_when_rows_are_not_in_year_order():
    """Yearbook order (latest year first) must interpolate the same as ascending order."""
    idx = pd.MultiIndex.from_tuples([("A", 2022), ("A", 2021), ("A", 2020), ("A", 2019)], names=["unit", "year"])
    df = pd.DataFrame({"x": [10.0, np.nan, 4.0, np.nan]}, index=idx)
    prov = Provenance()
    out = handle_missing(df, ["interpolate", "drop"], prov)
    assert out.loc[("A", 2021), "x"] == pytest.approx(7.0)
    assert ("A", 2019) not in out.index  # before the first observed year: not extrapolated


def test_province_column_preferred_over_region_group_column(tmp_path):
    text = "地区,省份,年份,x\n东部,北京,2020,1\n东部,天津,2020,2\n东部,北京,2021,3\n东部,天津,2021,4\n"
    p = read_panel(write(tmp_path, "r.csv", text), drop=["地区"], kind="province")
    assert p.units == ["北京", "天津"]
    p = read_panel(write(tmp_path, "r2.csv", text.replace("东部,", "").replace("地区,", "")), kind="province")
    assert p.units == ["北京", "天津"]
    with pytest.raises(DataError, match=r"r3.csv, column '地区': holds text, not numbers \(e.g. '东部' at line 2, "
                                         r"北京 2020\).*labels = \[\"地区\"\]"):
        read_panel(write(tmp_path, "r3.csv", text))
