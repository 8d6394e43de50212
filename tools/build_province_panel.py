"""Rebuild the bundled China province panel: passes 1-3 as gathered, plus the Pass-4 raw files merged by rule.

Inputs (read only at build time; the package never reads them):

- ``<shared>/china_provinces_panel.csv`` and ``.indicators.csv``: the panel of passes 1-3, as gathered;
- ``<shared>/raw/nbs-province-2016-2024/``, ``raw/energy-emissions-1990-2025/``, ``raw/marketization-1997-2019/``:
  the Pass-4 raw files (see ``<shared>/README.md``, section "Pass 4").

Writes, under ``src/nqpf/datasets/``:

- ``china_provinces_panel.csv``: the pass-1-3 file with Pass-4 cells added. No pass-1-3 cell changes: every
  existing cell is copied as its original string. A Pass-4 series either **extends** an existing column into years
  where that column is empty (only when the two vintages agree on every overlapping cell to the precision of
  the coarser of the two, which this script checks) or becomes a **new column** (a series the panel did not
  have, or a vintage that disagrees with the bundled one: then it gets its own name, e.g. ``gdp_nbs2024``).
  New columns are appended at the right in the order of ``MERGES``. Every Pass-4 cell is the raw value
  string, verbatim.
- ``china_provinces_panel.indicators.csv``: one row per column (new rows for new columns; coverage and source
  fields of extended columns updated).
- ``china_provinces_panel.sources.csv``: the per-series rule table. One row per (column, block of years) says
  where every non-empty cell of the panel comes from; a Pass-4 row names the raw file, its column and the rule, so
  the value of each cell is determined: the raw row whose province is the panel's province (matched by full or
  short Chinese name via ``provinces.csv``) and whose year is the panel's year. ``excluded`` rows name raw cells
  deliberately left out.

Run from the repository root (deterministic: the same inputs give byte-identical outputs)::

    .venv/bin/python tools/build_province_panel.py            # writes the three files
    .venv/bin/python tools/build_province_panel.py --check    # exits 1 if the bundled files differ from a rebuild
    .venv/bin/python tools/build_province_panel.py --compare  # prints the vintage comparison behind PROVENANCE.md
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "src" / "nqpf" / "datasets"
SHARED = ROOT.parent / "shared" / "data"
PANEL = "china_provinces_panel.csv"
INDICATORS = "china_provinces_panel.indicators.csv"
SOURCES = "china_provinces_panel.sources.csv"
YEARS = (2010, 2024)  # the panel's grid; Pass-4 rows outside it (1990-2009, 2025) are not merged


@dataclass(frozen=True)
class Table:
    """A Pass-4 raw file: where it is, how its rows are keyed, where it came from."""

    path: str  # relative to <shared>/raw
    province: str
    year: str
    repository: str
    commit: str
    source_path: str
    original_source: str
    licence: str
    flags: str | None = None  # a file of "<column> imputed" flags beside it (True = filled by the compiler)


NBS = dict(
    province="省份", year="年份", repository="lanyuanzhe1/tongjimodule",
    commit="d36519a27a58f36a455ef911421ee0280f669aa9",
    original_source=("NBS data portal 分省年度数据 (data.stats.gov.cn, dbcode fsnd), pulled by the repository's "
                     "own fetch scripts and reshaped to one row per province and year (code, province, year, "
                     "one column per indicator with its unit)"),
    licence="no licence stated (official NBS statistics)",
)
TABLES = {
    "nbs_internet": Table("nbs-province-2016-2024/分省互联网主要指标_多年期_面板数据.csv",
                          source_path="data/0412/分省互联网主要指标_多年期_面板数据.csv", **NBS),
    "nbs_telecom": Table("nbs-province-2016-2024/分省电信主要通行能力_多年期_面板数据.csv",
                         source_path="data/0412/分省电信主要通行能力_多年期_面板数据.csv", **NBS),
    "nbs_software": Table("nbs-province-2016-2024/分省软件和信息技术服务业主要经济指标_多年期_面板数据.csv",
                          source_path="data/0412/分省软件和信息技术服务业主要经济指标_多年期_面板数据.csv", **NBS),
    "nbs_enterprise": Table("nbs-province-2016-2024/分省企业信息化及电子商务情况_多年期_面板数据.csv",
                            source_path="data/0412/分省企业信息化及电子商务情况_多年期_面板数据.csv", **NBS),
    "nbs_energy_use": Table("nbs-province-2016-2024/分省主要能源产品消费量_多年期_面板数据.csv",
                            source_path="data/0412/分省主要能源产品消费量_多年期_面板数据.csv", **NBS),
    "nbs_energy_output": Table("nbs-province-2016-2024/分省主要能源产品产量_多年期_面板数据.csv",
                               source_path="data/0412/分省主要能源产品产量_多年期_面板数据.csv", **NBS),
    "nbs_gdp": Table("nbs-province-2016-2024/分省GDP_多年期_面板数据.csv",
                     source_path="data/0412/分省GDP_多年期_面板数据.csv", **NBS),
    "nbs_population": Table("nbs-province-2016-2024/分省人口_多年期_面板数据.csv",
                            source_path="data/0412/分省人口_多年期_面板数据.csv", **NBS),
    "energy_emissions": Table(
        "energy-emissions-1990-2025/raw_data.csv", province="Province", year="Year",
        repository="WangMeng0734/china-provincial-energy-consumption-panel", commit="b55589e1",
        source_path="energy-consumption-forecasting-china/02_Data/csv/raw_data.csv",
        original_source=("compiled by the repository author from the China Statistical Yearbook on Environment (SO2), "
                         "the China Energy Statistical Yearbook (total energy consumption) and the CEADs provincial "
                         "apparent CO2 inventory (variable_dictionary.csv, sources_and_methods.csv); raw_data.csv is "
                         "the pre-imputation table, imputation_flags.csv marks the cells the author filled"),
        licence="no licence stated (underlying yearbooks: NBS; CEADs: free, citation requested)",
        flags="energy-emissions-1990-2025/imputation_flags.csv"),
    "marketization": Table(
        "marketization-1997-2019/mkt.csv", province="省份", year="year",
        repository="Yumanlou/carbon_emission_finance", commit="410ab822", source_path="data/mkt.csv",
        original_source=("樊纲/王小鲁 marketization index: Wang X., Fan G., Hu L., 中国分省份市场化指数报告 "
                         "(2021 edition, data to 2019) and earlier NERI editions, as compiled by the repository "
                         "author"),
        licence="no licence stated (index published in the NERI reports, copyrighted books)"),
}


@dataclass(frozen=True)
class Merge:
    """One Pass-4 series: its panel column, raw table and column, how and over which years it is merged."""

    column: str
    table: str
    raw: str
    mode: str  # "extend" an existing column into empty years, or "new" column
    years: tuple[int, int]  # years whose cells come from the raw file
    chinese_name: str = ""
    unit: str = ""
    overlap: tuple[int, int] | None = None  # extend: years in which both vintages must agree (checked)
    note: str = ""


def ext(column, table, raw, years=(2020, 2024), overlap=(2016, 2019), note=""):
    return Merge(column, table, raw, "extend", years, overlap=overlap, note=note)


def new(column, table, raw, zh, unit, years=(2016, 2024), note=""):
    return Merge(column, table, raw, "new", years, zh, unit, note=note)


MKT = "the source's 2020-2024 rows repeat 2019 (copied forward by the compiler) and are not used"
NOT_2024 = ("2024 not merged: the 2024 row of this GDP table is a different release of the 2024 accounts from the "
            "bundled gdp (every province differs, up to 0.9 %), so shares of gdp would mix releases")

MERGES: tuple[Merge, ...] = (
    # --- internet, telecom capacity ---------------------------------------------------------------------------
    ext("broadband_ports", "nbs_internet", "互联网宽带接入端口 (万个)"),
    ext("broadband_users", "nbs_internet", "互联网宽带接入用户 (万户)"),
    ext("mobile_internet_users", "nbs_internet", "移动互联网用户 (万户)"),
    new("broadband_users_urban", "nbs_internet", "城市宽带接入用户 (万户)", "城市宽带接入用户",
        "10k subscribers (万户)"),
    new("broadband_users_rural", "nbs_internet", "农村宽带接入用户 (万户)", "农村宽带接入用户",
        "10k subscribers (万户)"),
    new("mobile_internet_traffic", "nbs_internet", "移动互联网接入流量 (万GB)", "移动互联网接入流量",
        "10k GB (万GB)"),
    new("domain_names", "nbs_internet", "域名数 (万个)", "域名数", "10k domain names (万个)"),
    new("web_pages", "nbs_internet", "网页数 (万个)", "网页数", "10k web pages (万个)"),
    ext("optical_cable_length", "nbs_telecom", "光缆线路长度 (公里)"),
    new("long_distance_cable_length", "nbs_telecom", "长途光缆线路长度 (万公里)", "长途光缆线路长度",
        "10k km (万公里)"),
    # --- software and IT services -----------------------------------------------------------------------------
    ext("software_business_revenue", "nbs_software", "软件业务收入 (万元)"),
    new("software_product_revenue", "nbs_software", "软件产品收入 (万元)", "软件产品收入", "10k yuan (万元)"),
    new("it_service_revenue", "nbs_software", "信息技术服务收入 (万元)", "信息技术服务收入", "10k yuan (万元)"),
    new("info_security_revenue", "nbs_software", "信息安全收入 (万元)", "信息安全收入", "10k yuan (万元)"),
    new("embedded_software_revenue", "nbs_software", "嵌入式系统软件收入 (万元)", "嵌入式系统软件收入",
        "10k yuan (万元)"),
    new("software_exports_usd", "nbs_software", "软件业务出口 (万美元)", "软件业务出口", "10k USD (万美元)"),
    # --- enterprise informatisation and e-commerce ------------------------------------------------------------
    ext("computers_per_100_employees", "nbs_enterprise", "每百人使用计算机数 (台)"),
    ext("ecommerce_firm_share", "nbs_enterprise", "有电子商务交易活动的企业数比重 (%)"),
    ext("ecommerce_sales", "nbs_enterprise", "电子商务销售额 (亿元)"),
    ext("ecommerce_purchases", "nbs_enterprise", "电子商务采购额 (亿元)"),
    new("ict_survey_enterprises", "nbs_enterprise", "企业数 (个)", "(企业信息化调查)企业数", "enterprises (个)"),
    new("computers_in_use", "nbs_enterprise", "期末使用计算机数 (台)", "(企业)期末使用计算机数", "computers (台)"),
    new("enterprise_websites", "nbs_enterprise", "企业拥有网站数 (个)", "企业拥有网站数", "websites (个)"),
    new("websites_per_100_enterprises", "nbs_enterprise", "每百家企业拥有网站数 (个)", "每百家企业拥有网站数",
        "websites per 100 enterprises (个)"),
    new("ecommerce_firms", "nbs_enterprise", "有电子商务交易活动的企业数 (个)", "有电子商务交易活动的企业数",
        "enterprises (个)"),
    # --- energy -------------------------------------------------------------------------------------------------
    new("electricity_consumption_nbs2024", "nbs_energy_use", "电力消费量 (亿千瓦小时)",
        "电力消费量(NBS 2016-2024 导出, 与 electricity_consumption 的2018年值不同)", "100m kWh (亿千瓦小时)",
        note=("a second vintage: it revises three 2018 cells of electricity_consumption (天津, 山东, 海南) and has no "
              "rows for 宁夏 and 新疆")),
    new("power_generation", "nbs_energy_output", "发电量 (亿千瓦时)", "发电量", "100m kWh (亿千瓦时)"),
    new("thermal_power_generation", "nbs_energy_output", "火力发电量 (亿千瓦时)", "火力发电量", "100m kWh (亿千瓦时)"),
    new("hydro_power_generation", "nbs_energy_output", "水力发电量 (亿千瓦时)", "水力发电量", "100m kWh (亿千瓦时)"),
    # --- GDP and population ---------------------------------------------------------------------------------
    new("gdp_nbs2024", "nbs_gdp", "地区生产总值 (亿元)",
        "地区生产总值(NBS 2016-2024 导出; 2016-2023 与 gdp 相同, 2024 不同)",
        "100m yuan (亿元), current prices, post-5th-economic-census revised series",
        note="a second vintage: equal to gdp in 2016-2023, different in 2024 (all 31 provinces)"),
    ext("primary_value_added", "nbs_gdp", "第一产业增加值 (亿元)", (2016, 2018), (2019, 2023), NOT_2024),
    ext("secondary_value_added", "nbs_gdp", "第二产业增加值 (亿元)", (2016, 2018), (2019, 2023), NOT_2024),
    ext("tertiary_value_added", "nbs_gdp", "第三产业增加值 (亿元)", (2016, 2018), (2019, 2023), NOT_2024),
    ext("gdp_per_capita", "nbs_gdp", "人均地区生产总值 (元/人)", (2016, 2018), (2019, 2023), NOT_2024),
    new("agriculture_value_added", "nbs_gdp", "农林牧渔业增加值 (亿元)", "农林牧渔业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("industry_value_added", "nbs_gdp", "工业增加值 (亿元)", "工业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("construction_value_added", "nbs_gdp", "建筑业增加值 (亿元)", "建筑业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("trade_value_added", "nbs_gdp", "批发和零售业增加值 (亿元)", "批发和零售业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("transport_value_added", "nbs_gdp", "交通运输、仓储和邮政业增加值 (亿元)", "交通运输、仓储和邮政业增加值",
        "100m yuan (亿元)", (2016, 2023), NOT_2024),
    new("hospitality_value_added", "nbs_gdp", "住宿和餐饮业增加值 (亿元)", "住宿和餐饮业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("finance_value_added", "nbs_gdp", "金融业增加值 (亿元)", "金融业增加值", "100m yuan (亿元)", (2016, 2023),
        NOT_2024),
    new("real_estate_value_added", "nbs_gdp", "房地产业增加值 (亿元)", "房地产业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("other_services_value_added", "nbs_gdp", "其他行业增加值 (亿元)", "其他行业增加值", "100m yuan (亿元)",
        (2016, 2023), NOT_2024),
    new("population_urban", "nbs_population", "城镇人口 (万人)", "城镇人口(年末)", "10k persons (万人)"),
    new("population_rural", "nbs_population", "乡村人口 (万人)", "乡村人口(年末)", "10k persons (万人)"),
    # --- energy and emissions (WangMeng compilation; only cells not flagged as filled) -------------------------
    new("co2_emissions_apparent", "energy_emissions", "Total apparent CO2 emissions (mt)",
        "二氧化碳排放量(CEADs表观排放清单)", "million tonnes CO2 (Mt)", (2010, 2022),
        note="CEADs apparent-emission inventory; a different method from co2_emissions (CEADs IPCC sectoral)"),
    new("so2_emissions_csye", "energy_emissions", "SO2 emissions",
        "二氧化硫排放量(中国环境统计年鉴, WangMeng 汇编)", "10k tonnes (万吨)", (2010, 2024),
        note="a second vintage of so2_emissions (differs in 2010 for 8 provinces and in 2016-2017 for almost all)"),
    new("energy_consumption_total_cesy", "energy_emissions", "Total energy consumption",
        "能源消费总量(中国能源统计年鉴, WangMeng 汇编)", "10k tce (万吨标准煤)", (2010, 2024),
        note=("a second vintage of energy_consumption_total (EPS): differs in 2010-2014 for most provinces and for "
              "重庆 2015-2018")),
    # --- marketization index (1997-2019 in the source; 2020+ rows are copies of 2019 and are not used) ---------
    new("marketization_index", "marketization", "market", "市场化总指数(樊纲/王小鲁)", "index score (0-10 scale, "
        "NERI)", (2010, 2019), note=MKT),
    new("marketization_gov_market", "marketization", "政府与市场关系", "市场化指数: 政府与市场关系",
        "index score (NERI)", (2010, 2019), note=MKT),
    new("marketization_nonstate", "marketization", "非国有经济发展", "市场化指数: 非国有经济发展",
        "index score (NERI)", (2010, 2019), note=MKT),
    new("marketization_product_market", "marketization", "产品市场的发育程度", "市场化指数: 产品市场的发育程度",
        "index score (NERI)", (2010, 2019), note=MKT),
    new("marketization_factor_market", "marketization", "要素市场的发育程度", "市场化指数: 要素市场的发育程度",
        "index score (NERI)", (2010, 2019), note=MKT),
    new("marketization_intermediaries_law", "marketization", "市场中介组织的发育和法律制度环境",
        "市场化指数: 市场中介组织的发育和法律制度环境", "index score (NERI)", (2010, 2019), note=MKT),
)

#: Raw cells deliberately not merged although they are in a merged year range and not flagged.
EXCLUDED: tuple[tuple[str, str, int, str], ...] = (
    ("energy_consumption_total_cesy", "宁夏", 2020,
     "raw value 0.79 is about 1/10,000 of 宁夏's 2019 (7,648) and 2021 (8,047.9) values: a unit slip in the source"),
)


# ---------------------------------------------------------------------------------------------------------------


def province_names() -> dict[str, str]:
    """Full and short Chinese names -> the panel's short name."""
    p = pd.read_csv(DATASETS / "provinces.csv", dtype=str)
    out = dict(zip(p["full_name_zh"], p["name_zh"], strict=True))
    out.update(zip(p["name_zh"], p["name_zh"], strict=True))
    return out


@cache
def read_table(shared: Path, key: str) -> pd.DataFrame:
    """A raw table as strings, indexed by (panel province, year); flags joined as '<column> imputed'.

    Cached: callers must not modify the frame."""
    t = TABLES[key]
    df = pd.read_csv(shared / "raw" / t.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = province_names()
    unknown = sorted(set(df[t.province]) - set(names))
    if unknown:
        raise ValueError(f"{t.path}: unknown province names {unknown}")
    df["_province"] = df[t.province].map(names)
    df["_year"] = df[t.year].astype(int)
    if t.flags:
        fl = pd.read_csv(shared / "raw" / t.flags, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if not (fl[t.province].equals(df[t.province]) and fl[t.year].equals(df[t.year])):
            raise ValueError(f"{t.flags}: rows do not line up with {t.path}")
        for c in fl.columns:
            if c.endswith(" imputed"):
                df[c] = fl[c]
    if df.duplicated(["_province", "_year"]).any():
        raise ValueError(f"{t.path}: duplicate province-year rows")
    return df.set_index(["_province", "_year"])


def raw_cells(shared: Path, m: Merge) -> pd.Series:
    """The raw value strings a merge takes: in its years, non-empty, not flagged as filled, not excluded."""
    df = read_table(shared, m.table)
    s = df[m.raw]
    years = s.index.get_level_values(1)
    keep = (years >= m.years[0]) & (years <= m.years[1]) & (s != "")
    flag = f"{m.raw} imputed"
    if flag in df.columns:
        if not set(df[flag]) <= {"True", "False"}:
            raise ValueError(f"{flag}: unexpected flag values {set(df[flag])}")
        keep &= df[flag] == "False"
    for col, prov, year, _ in EXCLUDED:
        if col == m.column:
            keep &= ~((s.index.get_level_values(0) == prov) & (years == year))
    return s[keep]


def decimals(text: str) -> int:
    d = Decimal(text).normalize()
    return max(0, -d.as_tuple().exponent)


def agrees(old: str, new: str) -> bool:
    """Do two vintages of a cell agree to the coarser of their two precisions (half a unit of its last digit)?"""
    tol = Decimal(5) * Decimal(10) ** -(min(decimals(old), decimals(new)) + 1)
    return abs(Decimal(old) - Decimal(new)) <= tol


def overlap_check(base: pd.DataFrame, shared: Path, m: Merge) -> tuple[int, int]:
    """Compare an extended column with the raw file where both have values in m.overlap; raise on disagreement.

    Returns (cells compared, cells exactly equal).
    """
    s = read_table(shared, m.table)[m.raw]
    n = same = 0
    bad = []
    for (prov, year), v in s.items():
        if not (m.overlap[0] <= year <= m.overlap[1]) or v == "":
            continue
        old = base.at[(prov, year), m.column]
        if old == "":
            continue
        n += 1
        same += Decimal(old) == Decimal(v)
        if not agrees(old, v):
            bad.append(f"{prov} {year}: bundled {old}, raw {v}")
    if bad:
        raise ValueError(f"{m.column}: the vintages disagree, so it cannot be extended: " + "; ".join(bad[:5]))
    if n == 0:
        raise ValueError(f"{m.column}: nothing to compare in {m.overlap}")
    return n, same


def coverage_fields(values: pd.Series) -> dict[str, object]:
    """years_covered … missing_cells_2012_2022, as in the pass-1-3 indicator table."""
    have = values[values != ""]
    years = have.index.get_level_values(1)
    first, last = int(years.min()), int(years.max())
    gaps = sorted(set(range(first, last + 1)) - set(years))
    span = values[(values.index.get_level_values(1) >= first) & (values.index.get_level_values(1) <= last)]
    y = values.index.get_level_values(1)
    mid = values[(y >= 2012) & (y <= 2022)]
    provs = sorted(set(values.index.get_level_values(0)) - set(have.index.get_level_values(0)))
    return {
        "years_covered": f"{first}-{last}" + (f" (no data for {gaps})" if gaps else ""),
        "n_years": len(set(years)),
        "provinces_covered": have.index.get_level_values(0).nunique(),
        "provinces_missing": ";".join(provs),
        "missing_cells_within_covered_years": int((span == "").sum()),
        "missing_cells_2012_2022": int((mid == "").sum()),
    }


def build(shared: Path = SHARED) -> dict[str, str]:
    """The three output files as text (nothing written)."""
    base = pd.read_csv(shared / PANEL, dtype=str, keep_default_na=False)
    meta = pd.read_csv(shared / INDICATORS, dtype=str, keep_default_na=False)
    if base.duplicated(["province", "year"]).any():
        raise ValueError("duplicate rows in the pass-1-3 panel")
    base["year"] = base["year"].astype(int)
    panel = base.set_index(["province", "year"], drop=False)
    old_columns = list(base.columns)
    first_pass4 = {}
    for m in MERGES:
        cells = raw_cells(shared, m)
        cells = cells[cells.index.isin(panel.index)]
        if m.mode == "extend":
            if m.column not in old_columns:
                raise ValueError(f"{m.column}: cannot extend a column the panel does not have")
            overlap_check(panel, shared, m)
            occupied = [i for i in cells.index if panel.at[i, m.column] != ""]
            if occupied:
                raise ValueError(f"{m.column}: Pass-4 years {m.years} already have values, e.g. {occupied[:3]}")
        else:
            if m.column in panel.columns:
                raise ValueError(f"{m.column}: a new column must not exist yet")
            panel[m.column] = ""
        for i, v in cells.items():
            panel.at[i, m.column] = v
        first_pass4[m.column] = m
    panel_text = panel.reset_index(drop=True).to_csv(index=False, lineterminator="\n")

    # indicator table: update extended rows, append new ones
    rows = meta.set_index("name", drop=False)
    values = panel.set_index(["province", "year"], drop=True)
    before = base.set_index(["province", "year"])
    for m in MERGES:
        t = TABLES[m.table]
        cov = coverage_fields(values[m.column])
        where = f"{t.source_path} (column \"{m.raw}\"; copied to shared/data/raw/{t.path})"
        if m.mode == "extend":
            r = rows.loc[m.column].copy()
            had = before[m.column][before[m.column] != ""].index.get_level_values(1)
            r["source_repository"] = (f"{r['source_repository']} ({had.min()}-{had.max()}); "
                                      f"{t.repository} ({m.years[0]}-{m.years[1]})")
            r["source_path"] = f"{r['source_path']}; {m.years[0]}-{m.years[1]}: {where}"
            r["source_commit"] = f"{r['source_commit']}; {t.commit}"
            r["original_source"] = f"{r['original_source']}; {m.years[0]}-{m.years[1]}: {t.original_source}"
            r["licence"] = f"{r['licence']}; {m.years[0]}-{m.years[1]}: {t.licence}"
        else:
            r = pd.Series({"name": m.column, "chinese_name": m.chinese_name, "unit": m.unit,
                           "source_repository": t.repository, "source_path": where, "source_commit": t.commit,
                           "original_source": t.original_source + (f". {m.note}" if m.note else ""),
                           "licence": t.licence})
        for k, v in cov.items():
            r[k] = str(v)
        rows.loc[m.column] = r
    meta_text = rows.reset_index(drop=True)[list(meta.columns)].to_csv(index=False, lineterminator="\n")

    # per-series rule table
    src = []
    for col in old_columns[3:]:
        r = meta.set_index("name").loc[col]
        old_years = before[col][before[col] != ""].index.get_level_values(1)
        src.append({"column": col, "province": "", "first_year": min(old_years), "last_year": max(old_years),
                    "pass": "1-3", "repository": r["source_repository"], "commit": r["source_commit"],
                    "raw_file": "", "raw_column": "",
                    "rule": "as gathered in passes 1-3 (shared/data/china_provinces_panel.csv); "
                            "source_path in china_provinces_panel.indicators.csv"})
    for m in MERGES:
        t = TABLES[m.table]
        rule = ("extends the pass-1-3 column: both vintages agree on every cell of "
                f"{m.overlap[0]}-{m.overlap[1]} to the coarser of the two precisions" if m.mode == "extend"
                else "new column")
        rule += "; value string copied verbatim"
        if t.flags and f"{m.raw} imputed" in read_table(shared, m.table).columns:
            rule += f"; only cells whose '{m.raw} imputed' flag is False in {t.flags}"
        elif t.flags:
            rule += f"; {t.flags} has no flag for this column (variable_dictionary.csv: never imputed)"
        if m.note:
            rule += f"; {m.note}"
        src.append({"column": m.column, "province": "", "first_year": m.years[0], "last_year": m.years[1],
                    "pass": "4", "repository": t.repository, "commit": t.commit, "raw_file": t.path,
                    "raw_column": m.raw, "rule": rule})
    for col, prov, year, why in EXCLUDED:
        m = first_pass4[col]
        t = TABLES[m.table]
        src.append({"column": col, "province": prov, "first_year": year, "last_year": year, "pass": "4",
                    "repository": t.repository, "commit": t.commit, "raw_file": t.path, "raw_column": m.raw,
                    "rule": f"excluded (cell left empty): {why}"})
    sources_text = pd.DataFrame(src).to_csv(index=False, lineterminator="\n")
    return {PANEL: panel_text, INDICATORS: meta_text, SOURCES: sources_text}


def compare(shared: Path = SHARED) -> str:
    """The vintage comparison on overlapping cells, as text (for PROVENANCE.md)."""
    base = pd.read_csv(shared / PANEL, dtype=str, keep_default_na=False)
    base["year"] = base["year"].astype(int)
    panel = base.set_index(["province", "year"])
    out = io.StringIO()
    pairs = [(m.column, m) for m in MERGES if m.mode == "extend"] + [
        ("electricity_consumption", MERGES_BY["electricity_consumption_nbs2024"]),
        ("gdp", MERGES_BY["gdp_nbs2024"]),
        ("so2_emissions", MERGES_BY["so2_emissions_csye"]),
        ("energy_consumption_total", MERGES_BY["energy_consumption_total_cesy"]),
        ("co2_emissions", MERGES_BY["co2_emissions_apparent"]),
        ("population_resident", Merge("population_resident", "nbs_population", "年末常住人口 (万人)", "check",
                                      (2016, 2024))),
        ("internet_users", Merge("internet_users", "nbs_internet", "互联网上网人数 (万人)", "check", (2016, 2016))),
    ]
    for col, m in pairs:
        s = read_table(shared, m.table)[m.raw]
        n = exact = rounding = 0
        worst = (0.0, "")
        for (prov, year), v in s.items():
            if (prov, year) not in panel.index or v == "" or not (YEARS[0] <= year <= YEARS[1]):
                continue
            old = panel.at[(prov, year), col]
            if old == "":
                continue
            n += 1
            if Decimal(old) == Decimal(v):
                exact += 1
            elif agrees(old, v):
                rounding += 1
            else:
                rel = float(Decimal(v) / Decimal(old) - 1) if Decimal(old) != 0 else float("inf")
                if abs(rel) > abs(worst[0]):
                    worst = (rel, f"{prov} {year}: {old} -> {v}")
        out.write(f"{col:32s} compared {n:4d}  equal {exact:4d}  rounding {rounding:4d}  "
                  f"different {n - exact - rounding:4d}  largest {worst[0]:+.4f} {worst[1]}\n")
    return out.getvalue()


MERGES_BY = {m.column: m for m in MERGES}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED, help="the gathered data folder (default: ../shared/data)")
    ap.add_argument("--check", action="store_true", help="compare with the bundled files instead of writing")
    ap.add_argument("--compare", action="store_true", help="print the vintage comparison on overlapping cells")
    a = ap.parse_args(argv)
    if a.compare:
        print(compare(a.shared), end="")
        return 0
    files = build(a.shared)
    if a.check:
        stale = [n for n, text in files.items() if (DATASETS / n).read_text(encoding="utf-8") != text]
        for n in stale:
            print(f"{n}: differs from a rebuild", file=sys.stderr)
        return 1 if stale else 0
    for n, text in files.items():
        (DATASETS / n).write_text(text, encoding="utf-8")
        print(f"wrote {DATASETS / n} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
