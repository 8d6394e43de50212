"""The bundled China province panel after the Pass-4 merge (issue 14).

Checked here, as stated in src/nqpf/datasets/PROVENANCE.md ("Pass 4"):
- every non-empty cell is covered by exactly one row of china_provinces_panel.sources.csv, and every Pass-4 cell is
  the value string of the raw file that row names (raw files: ../shared/data/raw, tests skip when absent);
- no cell of the pass-1-3 panel changed; the frameworks of the 2013-2019 vintage score identically on the merged
  and on the pre-merge panel;
- the vintage comparison on overlapping cells (counts of equal, rounding-equal and different cells);
- plausibility against published national totals for the new years (figure, published value and source in each test).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf import load_dataset, load_framework, measure, read_panel
from nqpf.cli import app
from nqpf.datasets import data_path, indicator_table, match_province, source_table

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RAW = SHARED / "raw"
PASS4_FOLDERS = ("nbs-province-2016-2024/", "energy-emissions-1990-2025/", "marketization-1997-2019/")
NBS = "nbs-province-2016-2024/分省"
needs_shared = pytest.mark.skipif(not (SHARED / "china_provinces_panel.csv").exists(),
                                  reason="../shared/data not present")
needs_raw = pytest.mark.skipif(not all((RAW / f).is_dir() for f in PASS4_FOLDERS), reason="Pass-4 raw files absent")


@cache
def cells() -> pd.DataFrame:
    """The bundled panel as the strings in the file, indexed by (province, year)."""
    df = pd.read_csv(data_path("china_provinces_panel.csv"), dtype=str, keep_default_na=False)
    df["year"] = df["year"].astype(int)
    return df.set_index(["province", "year"]).drop(columns="province_en")


@cache
def sources() -> pd.DataFrame:
    return source_table("china-provinces")


def covering_rows(col: str, province: str, year: int) -> pd.DataFrame:
    s = sources()
    return s[(s["column"] == col) & (s["first_year"] <= year) & (s["last_year"] >= year)
             & ((s["province"] == "") | (s["province"] == province))]


@cache
def pass4_cells() -> pd.DataFrame:
    """True where a cell comes from Pass 4 (a non-excluded pass-4 row covers it and it is non-empty)."""
    c = cells()
    mask = pd.DataFrame(False, index=c.index, columns=c.columns)
    years = c.index.get_level_values("year")
    s = sources()
    for r in s[(s["pass"] == "4") & ~s["rule"].str.startswith("excluded")].itertuples():
        mask.loc[(years >= r.first_year) & (years <= r.last_year), r.column] = True
    for r in s[s["rule"].str.startswith("excluded")].itertuples():
        mask.loc[(r.province, r.first_year), r.column] = False
    return mask & (c != "")


def pre_merge_csv(tmp: Path) -> Path:
    """The panel with every Pass-4 cell blanked and the new columns dropped: the pre-merge file."""
    c = cells().mask(pass4_cells(), "")
    only4 = [col for col in c.columns if set(sources().loc[sources()["column"] == col, "pass"]) == {"4"}]
    out = c.drop(columns=only4).reset_index()
    raw = pd.read_csv(data_path("china_provinces_panel.csv"), dtype=str, keep_default_na=False)
    out.insert(1, "province_en", raw["province_en"].to_numpy())
    p = tmp / "pre_merge.csv"
    out.to_csv(p, index=False, lineterminator="\n")
    return p


def agrees(a: str, b: str) -> bool:
    """Equal to the coarser of the two precisions (half a unit of its last decimal), as in PROVENANCE.md."""
    dec = min(max(0, -Decimal(x).normalize().as_tuple().exponent) for x in (a, b))
    return abs(Decimal(a) - Decimal(b)) <= Decimal(5) * Decimal(10) ** -(dec + 1)


@cache
def panel_data() -> pd.DataFrame:
    return load_dataset("china-provinces").data


def total(col: str, year: int) -> float:
    return float(panel_data()[col].xs(year, level="year").sum())


# --- provenance ----------------------------------------------------------------------------------------------


def test_every_nonempty_cell_is_covered_by_exactly_one_source_row() -> None:
    c = cells()
    s = sources()
    assert set(s["column"]) == set(c.columns) == set(indicator_table("china-provinces")["name"])
    assert set(s["pass"]) == {"1-3", "4"}
    plain = s[~s["rule"].str.startswith("excluded")]
    for col in c.columns:
        rows = plain[plain["column"] == col]
        filled = c.index[c[col] != ""]
        years = filled.get_level_values("year")
        n = np.zeros(len(filled), dtype=int)
        for r in rows.itertuples():
            n += (years >= r.first_year) & (years <= r.last_year)
        assert (n == 1).all(), f"{col}: cells covered by {sorted(set(n))} rows"
        for r in rows.itertuples():  # and no row is empty
            assert ((years >= r.first_year) & (years <= r.last_year)).any(), (col, r.first_year)
    for r in s[s["rule"].str.startswith("excluded")].itertuples():
        assert c.loc[(r.province, r.first_year), r.column] == "", r


def test_pass4_rows_name_a_raw_file_column_and_rule() -> None:
    s = sources()
    p4 = s[s["pass"] == "4"]
    assert len(p4) > 50
    assert p4["raw_file"].str.startswith(PASS4_FOLDERS).all()
    assert (p4["raw_column"] != "").all() and (p4["repository"] != "").all() and (p4["commit"] != "").all()
    assert (s.loc[s["pass"] == "1-3", "raw_file"] == "").all()
    # the merge never reaches outside 2010-2024 and never uses the copied-forward marketization rows
    assert s["first_year"].min() >= 2010 and s["last_year"].max() <= 2024
    assert (s.loc[s["column"].str.startswith("marketization"), "last_year"] == 2019).all()
    emissions = p4[(p4["raw_file"] == "energy-emissions-1990-2025/raw_data.csv")
                   & ~p4["rule"].str.startswith("excluded")].set_index("column")["rule"]
    assert emissions[["co2_emissions_apparent", "so2_emissions_csye"]].str.contains("imputed' flag is False").all()
    assert "never imputed" in emissions["energy_consumption_total_cesy"]


@needs_shared
def test_no_pass_1_3_cell_changed(tmp_path: Path) -> None:
    """Blanking the Pass-4 cells and dropping the new columns gives back the pre-merge file, cell for cell."""
    ours = pd.read_csv(pre_merge_csv(tmp_path), dtype=str, keep_default_na=False)
    theirs = pd.read_csv(SHARED / "china_provinces_panel.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("name", ["nqpf-province", "nqpf-province-core", "hqd-province"])
def test_2013_2019_frameworks_score_identically_on_the_merged_panel(name: str, tmp_path: Path) -> None:
    merged = load_dataset("china-provinces")
    before = read_panel(pre_merge_csv(tmp_path), unit="province", year="year", drop=["province_en"],
                        kind="province", name="china-provinces")
    units = [u for u in merged.units if u != "西藏"]
    fw = load_framework(name)
    for kw in ({}, {"years": "auto"}, {"weighting": "critic", "aggregation": "topsis"}):
        a = measure(merged, fw, units=units, missing="error", **kw).scores.sort_values(["unit", "year"])
        b = measure(before, fw, units=units, missing="error", **kw).scores.sort_values(["unit", "year"])
        assert a[["unit", "year"]].to_numpy().tolist() == b[["unit", "year"]].to_numpy().tolist()
        np.testing.assert_allclose(a["score"].to_numpy(), b["score"].to_numpy(), rtol=0, atol=1e-12)


@cache
def raw_table(rel: str) -> pd.DataFrame:
    """A raw file as strings, keyed by the panel's province name (independent of tools/build_province_panel.py)."""
    df = pd.read_csv(RAW / rel, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    prov = "Province" if "Province" in df.columns else "省份"
    year = next(c for c in ("Year", "年份", "year") if c in df.columns)
    df["_p"] = [match_province(x) for x in df[prov]]
    df["_y"] = df[year].astype(int)
    if rel.endswith("raw_data.csv"):
        flags = pd.read_csv(RAW / rel.replace("raw_data", "imputation_flags"), dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
        for c in flags.columns[2:]:
            df[c] = flags[c].to_numpy()
    return df.set_index(["_p", "_y"])


@needs_raw
def test_every_pass4_cell_is_the_raw_value_string() -> None:
    """Each Pass-4 cell equals, as a string, the raw cell its source row names; each raw value in a merged block
    that is not flagged as filled nor listed as excluded is in the panel."""
    c = cells()
    s = sources()
    excluded = {(r.column, r.province, r.first_year) for r in s[s["rule"].str.startswith("excluded")].itertuples()}
    n = 0
    for r in s[(s["pass"] == "4") & ~s["rule"].str.startswith("excluded")].itertuples():
        raw = raw_table(r.raw_file)
        for (p, y), v in raw[r.raw_column].items():
            if not r.first_year <= y <= r.last_year:
                continue
            flag = raw.at[(p, y), f"{r.raw_column} imputed"] if f"{r.raw_column} imputed" in raw.columns else "False"
            want = "" if (v == "" or flag != "False" or (r.column, p, y) in excluded) else v
            assert c.at[(p, y), r.column] == want, (r.column, p, y, v)
            n += want != ""
    assert n == int(pass4_cells().to_numpy().sum())


@needs_shared
@needs_raw
def test_build_script_reproduces_the_bundled_files() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "build_province_panel.py"
    spec = importlib.util.spec_from_file_location("build_province_panel", tool)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    try:
        spec.loader.exec_module(mod)
        files = mod.build(SHARED)
    finally:
        del sys.modules[spec.name]
    for name, text in files.items():
        assert data_path(name).read_text(encoding="utf-8") == text, name


@needs_raw
def test_flagged_cells_and_marketization_copies_are_not_used() -> None:
    raw = raw_table("energy-emissions-1990-2025/raw_data.csv")
    for col, flag in [("co2_emissions_apparent", "Total apparent CO2 emissions (mt) imputed"),
                      ("so2_emissions_csye", "SO2 emissions imputed")]:
        flagged = [i for i in raw.index[raw[flag] == "True"] if i in cells().index]
        assert all(cells().at[i, col] == "" for i in flagged), col
    co2 = cells()["co2_emissions_apparent"]
    assert co2[co2 != ""].index.get_level_values("year").max() == 2022  # 2023+ are all flagged
    mkt = raw_table("marketization-1997-2019/mkt.csv")
    later = mkt[mkt.index.get_level_values(1) >= 2020]
    y2019 = mkt.xs(2019, level=1)
    for (p, _), row in later.iterrows():  # the 2020-2024 rows are 2019 copied forward ...
        assert row.drop(["省份", "year"]).equals(y2019.loc[p].drop(["省份", "year"]))
    years = cells().index.get_level_values("year")
    assert (cells().loc[years >= 2020, "marketization_index"] == "").all()  # ... and are not in the panel


# --- vintage comparison on overlapping cells (PROVENANCE.md, "Vintages compared") -------------------------------


def compare(old: str, new: str, first: int, last: int) -> tuple[int, int, int, list[tuple[str, int]]]:
    """(compared, equal, equal to rounding, [cells that differ]) over first..last."""
    c = cells()
    years = c.index.get_level_values("year")
    sub = c[(years >= first) & (years <= last) & (c[old] != "") & (c[new] != "")]
    eq = (sub[old].map(Decimal) == sub[new].map(Decimal))
    rnd = [agrees(a, b) for a, b in zip(sub[old], sub[new], strict=True)]
    diff = [i for i, ok in zip(sub.index, rnd, strict=True) if not ok]
    return len(sub), int(eq.sum()), int(sum(rnd) - eq.sum()), diff


def test_gdp_vintages_agree_to_2023_and_differ_in_2024() -> None:
    n, eq, _, diff = compare("gdp", "gdp_nbs2024", 2016, 2024)
    assert (n, eq) == (279, 248) and len(diff) == 31 and {y for _, y in diff} == {2024}
    d = panel_data()
    rel = (d["gdp_nbs2024"] / d["gdp"] - 1).xs(2024, level="year")
    assert rel.abs().max() < 0.009 and rel.idxmin() == "西藏"  # 2,789.1 (bundled) vs 2,764.9 (Pass 4)


def test_electricity_vintages_differ_in_three_2018_cells() -> None:
    n, eq, rnd, diff = compare("electricity_consumption", "electricity_consumption_nbs2024", 2016, 2019)
    assert (n, eq, rnd) == (116, 0, 113)
    assert sorted(diff) == [("天津", 2018), ("山东", 2018), ("海南", 2018)]
    have = set(cells().index[cells()["electricity_consumption_nbs2024"] != ""].get_level_values(0))
    assert {"宁夏", "新疆"}.isdisjoint(have) and len(have) == 29


def test_so2_vintages_differ_mostly_in_2016_2017() -> None:
    n, _, _, diff = compare("so2_emissions", "so2_emissions_csye", 2010, 2017)
    assert n == 248 and len(diff) == 69
    years = pd.Series([y for _, y in diff]).value_counts()
    assert years[2016] == 27 and years[2017] == 31
    assert {p for p, y in diff if y <= 2015} == {"辽宁", "安徽", "宁夏", "广西", "贵州", "西藏"}
    # the Pass-4 2016 total is 20 % below the 1,102.9 万t of the NBS vintage (which equals the published total)
    assert total("so2_emissions", 2016) == pytest.approx(1102.9, abs=0.1)
    assert total("so2_emissions_csye", 2016) == pytest.approx(885.0, abs=0.1)


def test_energy_vintages_differ_mostly_before_the_2013_revision() -> None:
    n, _, _, diff = compare("energy_consumption_total", "energy_consumption_total_cesy", 2010, 2018)
    assert n == 270 and len(diff) == 80
    assert sum(y <= 2012 for _, y in diff) == 58
    assert sum(p == "重庆" for p, _ in diff) == 9  # every year 2010-2018
    assert cells().loc[("宁夏", 2020), "energy_consumption_total_cesy"] == ""  # excluded: 0.79 in the source


def test_co2_inventories_are_different_methods() -> None:
    n, eq, rnd, diff = compare("co2_emissions", "co2_emissions_apparent", 2010, 2019)
    assert n == 300 and eq == rnd == 0 and len(diff) == 300
    assert total("co2_emissions", 2019) == pytest.approx(10864, abs=1)
    assert total("co2_emissions_apparent", 2019) == pytest.approx(12272, abs=1)
    d = panel_data()
    ratio = (d["co2_emissions_apparent"] / d["co2_emissions"]).xs(2019, level="year")
    assert ratio["山西"] == pytest.approx(3.01, abs=0.01) and ratio["河北"] == pytest.approx(0.65, abs=0.01)


@needs_shared
@needs_raw
@pytest.mark.parametrize(("column", "raw_file", "raw_column", "first", "last", "n", "equal"), [
    ("broadband_ports", NBS + "互联网主要指标_多年期_面板数据.csv", "互联网宽带接入端口 (万个)",
     2016, 2019, 124, 2),
    ("broadband_users", NBS + "互联网主要指标_多年期_面板数据.csv", "互联网宽带接入用户 (万户)",
     2016, 2019, 124, 5),
    ("mobile_internet_users", NBS + "互联网主要指标_多年期_面板数据.csv", "移动互联网用户 (万户)",
     2016, 2019, 124, 62),
    ("optical_cable_length", NBS + "电信主要通行能力_多年期_面板数据.csv", "光缆线路长度 (公里)",
     2016, 2019, 124, 124),
    ("software_business_revenue", NBS + "软件和信息技术服务业主要经济指标_多年期_面板数据.csv",
     "软件业务收入 (万元)", 2016, 2019, 120, 12),
    ("computers_per_100_employees", NBS + "企业信息化及电子商务情况_多年期_面板数据.csv",
     "每百人使用计算机数 (台)", 2016, 2019, 124, 0),
    ("ecommerce_firm_share", NBS + "企业信息化及电子商务情况_多年期_面板数据.csv",
     "有电子商务交易活动的企业数比重 (%)", 2016, 2019, 124, 93),
    ("ecommerce_sales", NBS + "企业信息化及电子商务情况_多年期_面板数据.csv", "电子商务销售额 (亿元)",
     2016, 2019, 124, 1),
    ("ecommerce_purchases", NBS + "企业信息化及电子商务情况_多年期_面板数据.csv",
     "电子商务采购额 (亿元)", 2016, 2019, 124, 0),
    ("tertiary_value_added", NBS + "GDP_多年期_面板数据.csv", "第三产业增加值 (亿元)",
     2019, 2023, 155, 155),
    ("gdp_per_capita", NBS + "GDP_多年期_面板数据.csv", "人均地区生产总值 (元/人)", 2019, 2023, 155, 155),
    ("population_resident", NBS + "人口_多年期_面板数据.csv", "年末常住人口 (万人)", 2016, 2024, 279, 279),
])
def test_extended_series_agree_with_their_pass4_vintage(column, raw_file, raw_column, first, last, n, equal) -> None:
    """An extended column agrees with the Pass-4 file on every overlapping cell, at least to rounding (the crawl of
    passes 1-3 often kept more decimals than the Pass-4 export shows)."""
    raw = raw_table(raw_file)[raw_column]
    before = pd.read_csv(SHARED / "china_provinces_panel.csv", dtype=str, keep_default_na=False) \
        .assign(year=lambda d: d["year"].astype(int)).set_index(["province", "year"])[column]
    pairs = [(before[i], v) for i, v in raw.items() if first <= i[1] <= last and v != "" and before.get(i, "") != ""]
    assert len(pairs) == n
    assert sum(Decimal(a) == Decimal(b) for a, b in pairs) == equal
    assert all(agrees(a, b) for a, b in pairs)


# --- national totals for the new years (PROVENANCE.md, "Plausibility checks, Pass 4") ----------------------------


def test_software_revenue_against_miit_totals() -> None:
    """MIIT 运行监测协调局, 《2022年软件和信息技术服务业统计公报》 (2023-01-31): 软件业务收入 108,126 亿元;
    《2023年软件和信息技术服务业统计公报》: 123,258 亿元. 30 provinces (西藏 has no data); 万元 -> 亿元."""
    assert total("software_business_revenue", 2022) / 1e4 == pytest.approx(108126, rel=0.01)  # 107,790
    assert total("software_business_revenue", 2023) / 1e4 == pytest.approx(123258, rel=0.01)  # 123,643
    # the parts do not add up to MIIT's national breakdown: only the total is used in a framework
    assert total("software_product_revenue", 2022) / 1e4 == pytest.approx(26583 * 0.935, rel=0.01)  # 24,863
    assert total("it_service_revenue", 2022) / 1e4 == pytest.approx(70128, rel=0.01)  # 70,598


def test_broadband_against_miit_and_cnnic_totals() -> None:
    """互联网宽带接入端口: 10.18 亿个 (end 2021, MIIT 《2021年通信业统计公报》), 10.71 亿个 (end 2022, MIIT 《2022年
    通信业统计公报》; CNNIC 第51次《中国互联网络发展状况统计报告》), 11.36 亿个 (end 2023, CNNIC 第53次报告).
    固定互联网宽带接入用户 2022: 58,965 万户, of which 城市 41,333 万户 and 农村 17,632 万户 (MIIT 2022 公报);
    2023: 6.36 亿户 (MIIT 《2023年通信业统计公报》). Panel unit 万."""
    assert total("broadband_ports", 2021) / 1e4 == pytest.approx(10.18, abs=0.005)
    assert total("broadband_ports", 2022) / 1e4 == pytest.approx(10.71, abs=0.005)
    assert total("broadband_ports", 2023) / 1e4 == pytest.approx(11.36, abs=0.005)
    assert total("broadband_users", 2022) == pytest.approx(58965, abs=1)
    assert total("broadband_users_urban", 2022) == pytest.approx(41333, abs=1)
    assert total("broadband_users_rural", 2022) == pytest.approx(17632, abs=1)
    assert total("broadband_users", 2023) / 1e4 == pytest.approx(6.36, abs=0.005)


def test_mobile_traffic_and_optical_cable_against_published_totals() -> None:
    """CNNIC 第51次报告 (2023-03): 2022 移动互联网接入流量 2,618 亿GB; 光缆线路总长度 5,958 万公里.
    MIIT 《2021年通信业统计公报》: 光缆线路总长度 5,488 万公里, 长途光缆线路 112.6 万公里."""
    assert total("mobile_internet_traffic", 2022) / 1e4 == pytest.approx(2618, rel=0.002)  # 万GB -> 亿GB
    assert total("optical_cable_length", 2022) / 1e4 == pytest.approx(5958, rel=0.002)  # 公里 -> 万公里
    assert total("optical_cable_length", 2021) / 1e4 == pytest.approx(5488, rel=0.005)  # 5,480.8
    assert total("long_distance_cable_length", 2021) == pytest.approx(112.6, rel=0.01)  # 112.1


def test_so2_against_the_environmental_statistics_yearbook_total() -> None:
    """Ministry of Ecology and Environment, 《2020年中国生态环境统计年报》 (press conference 2022-02-23): 废气中二氧化硫
    排放量 318.2 万吨 in 2020. The 31-province sum is 324.2 (+1.9 %; provincial sums need not add to the national)."""
    assert total("so2_emissions_csye", 2020) == pytest.approx(318.2, rel=0.025)


def test_population_and_urban_rural_split_are_consistent() -> None:
    d = panel_data()
    assert total("population_resident", 2022) == pytest.approx(140975)  # national 141,175 incl. servicemen
    parts = (d["population_urban"] + d["population_rural"] - d["population_resident"]).dropna()
    assert len(parts) == 279 and parts.abs().max() <= 1  # rounding of the 万人 figures
    urb = (d["population_urban"] / d["population_resident"] * 100 - d["urbanization_rate"]).dropna()
    assert urb.abs().max() < 0.15  # the author-compiled urbanization rate agrees with NBS population


# --- nqpf datasets show ------------------------------------------------------------------------------------------


def test_datasets_show_lists_every_series_with_years_provinces_and_source() -> None:
    out = CliRunner().invoke(app, ["datasets", "show", "china-provinces", "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["name"] for r in rows] == list(indicator_table("china-provinces")["name"])
    assert all(r["source"] and r["years"] and r["provinces"] for r in rows)
    by = {r["name"]: r for r in rows}
    assert by["broadband_ports"]["years"] == "2010–2024" and by["broadband_ports"]["provinces"] == "31"
    assert by["broadband_ports"]["source"] == ("3112944976/National-Visualization-Web-Application 2010–2019; "
                                               "lanyuanzhe1/tongjimodule 2020–2024")
    assert by["co2_emissions_apparent"]["years"] == "2010–2022" and by["co2_emissions_apparent"]["provinces"] == "30"
    assert by["marketization_index"]["years"] == "2010–2019"
    wide = CliRunner().invoke(app, ["datasets", "show", "wdi-countries", "--csv"])
    assert wide.exit_code == 0 and "countries,source" in wide.output.splitlines()[0]
