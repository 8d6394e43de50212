"""Rebuild the bundled ``china-cities`` dataset (src/nqpf/datasets/china_cities_*.csv) from ../shared/data/cities.

Run from the repository root: ``python tools/make_city_dataset.py [path/to/shared/data/cities]``. The package
never reads ../shared at run time; this script is how the bundled copies were made (see
src/nqpf/datasets/CITIES.md for sources, commits, licences and the checks).

- ``china_cities_panel.csv``: the PKU digital financial inclusion index (北京大学数字普惠金融指数), city level,
  2011-2023, one row per city-year; unit = the 2018-vintage Chinese prefecture name, ``city_code`` = the 4-digit
  2018-vintage prefecture code as text, ``city_en`` = the English name, ``province`` = the short Chinese name of
  the province (from the first two digits of the code). Values are copied unchanged (no rounding, no imputation).
- ``china_cities_pilots.csv``: the national pilot lists (宽带中国, 创新型城市, 大数据综合试验区, 知识产权示范城市)
  exactly as in the shared file.
- ``china_cities_panel.indicators.csv``: one row of metadata per indicator.
- ``china_cities_census.csv``: resident population (常住人口) and its structure from the 6th (2010) and 7th (2020)
  censuses (leiii/census, MIT), one row per unit and census year, long format (year = 2010 or 2020 only; the
  years between are never filled); 2010 as the source gives it, adjusted to the 2020 boundaries.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nqpf" / "datasets"
DEFAULT_SRC = ROOT.parent / "shared" / "data" / "cities"

INDICATORS = {  # column -> (Chinese name, English description)
    "index_aggregate": ("数字普惠金融总指数", "digital financial inclusion index, aggregate"),
    "coverage_breadth": ("覆盖广度", "coverage breadth"),
    "usage_depth": ("使用深度", "usage depth"),
    "digitization_level": ("数字化程度", "digitization level"),
    "payment": ("支付", "payment"),
    "insurance": ("保险", "insurance"),
    "monetary_fund": ("货币基金", "monetary fund (unpublished from 2019)"),
    "investment": ("投资", "investment"),
    "credit": ("信贷", "credit"),
    "credit_investigation": ("征信", "credit investigation (unpublished from 2019)"),
}
CENSUS_COLUMNS = {  # output column -> (source column stem, Chinese name, English description)
    "population": ("popu", "常住人口", "resident population (persons)"),
    "population_urban": ("popu_urban", "城镇常住人口", "urban resident population (persons)"),
    "population_rural": ("popu_rural", "乡村常住人口", "rural resident population (persons)"),
    "household_size": ("household", "平均家庭户规模", "average household size (persons per household)"),
    "sex_ratio": ("male_female", "性别比", "sex ratio (males per 100 females)"),
    "age_0_14": ("age_0_14", "0-14岁人口占比", "share aged 0-14 (%)"),
    "age_15_59": ("age_15_59", "15-59岁人口占比", "share aged 15-59 (%)"),
    "age_60_plus": ("age_60", "60岁及以上人口占比", "share aged 60 and over (%)"),
    "age_65_plus": ("age_65", "65岁及以上人口占比", "share aged 65 and over (%)"),
}
CENSUS_SOURCE = ("leiii/census", "data/census/census_city_2010-2020_v1.csv",
                 "0ba0f1efae092f4aa6569ef38e53b3bb4d2f0087")
SOURCE = ("pedrohcgs/claude-code-my-workflow", "PKU_DFIIC_city.dta (via pku_dfiic_city_2011_2023.csv)",
          "f97ce33c8bd0084937fcd2c98b37e26c8ca24198")


def census_level(code: str) -> str:
    """The administrative level of a 6-digit census code: prefecture-level unit, a county-level unit under a
    province (Hainan's and Hubei's 省直辖县, 济源, Xinjiang's XPCC cities), or a special administrative region."""
    if code[:2] in ("81", "82"):
        return "sar"
    if code[4:] == "00" or code[:2] in ("11", "12", "31", "50"):
        return "prefecture"
    return "county_under_province"


def build_census(src: Path) -> pd.DataFrame:
    """The census table (long: one row per unit and census year), checked against the prefectures of the panel."""
    c = pd.read_csv(src / "leiii_census_city_2010_2020_nogeom.csv", dtype={"city_code": str, "province_code": str})
    provinces = pd.read_csv(OUT / "provinces.csv", dtype={"code": str})
    prov_of = {code[:2]: n for code, n in zip(provinces["code"], provinces["name_zh"], strict=True)}
    prov_of.update({"81": "香港", "82": "澳门"})
    rows = []
    for year in (2010, 2020):
        part = pd.DataFrame({"city": c["city"], "year": year, "city_code": c["city_code"],
                             "province": c["city_code"].str[:2].map(prov_of),
                             "level": c["city_code"].map(census_level)})
        for out_col, (stem, _zh, _en) in CENSUS_COLUMNS.items():
            part[out_col] = c[f"{stem}_{year}"]
        rows.append(part)
    out = pd.concat(rows, ignore_index=True).sort_values(["city_code", "year"])
    if out["province"].isna().any() or out.duplicated(["city", "year"]).any():
        raise SystemExit("census: a code without a province, or a duplicate unit-year")
    return out


def build(src: Path) -> None:
    provinces = pd.read_csv(OUT / "provinces.csv", dtype={"code": str})
    prov_of = {c[:2]: n for c, n in zip(provinces["code"], provinces["name_zh"], strict=True)}
    d = pd.read_csv(src / "pku_dfiic_city_2011_2023.csv")
    code = d["pref_code_year18"].astype(int).astype(str).str.zfill(4)
    out = pd.DataFrame({
        "city": d["pref_name_year18"], "year": d["year"].astype(int), "city_code": code,
        "city_en": d["pref_name_year18_eng"], "province": code.str[:2].map(prov_of),
    })
    if out["province"].isna().any():
        raise SystemExit(f"codes without a province: {sorted(set(code[out['province'].isna()]))}")
    for col in INDICATORS:
        out[col] = d[col]
    if out.duplicated(["city", "year"]).any():
        raise SystemExit("duplicate city-years")
    out = out.sort_values(["city_code", "year"])
    out.to_csv(OUT / "china_cities_panel.csv", index=False)
    meta = []
    for col, (zh, en) in INDICATORS.items():
        s = d[col]
        yrs = d.loc[s.notna(), "year"].astype(int)
        meta.append({"name": col, "chinese_name": zh, "unit": "index (PKU-DFIIC, unitless)",
                     "description": en, "source_repository": SOURCE[0], "source_path": SOURCE[1],
                     "source_commit": SOURCE[2],
                     "original_source": "Peking University Institute of Digital Finance & Ant Group Research, "
                                        "Peking University Digital Financial Inclusion Index of China (PKU-DFIIC)",
                     "licence": "published for research use with citation (Guo et al. 2020, China Economic "
                                "Quarterly 19(4):1401-1418); no licence file in the source commit",
                     "years_covered": f"{yrs.min()}-{yrs.max()}", "cities_covered": int(d.loc[s.notna(),
                                                                                          "pref_name_year18"].nunique())})
    pd.DataFrame(meta).to_csv(OUT / "china_cities_panel.indicators.csv", index=False)
    shutil.copyfile(src / "policy_pilot_lists_from_axcelchan583_T10.csv", OUT / "china_cities_pilots.csv")
    pilots = pd.read_csv(OUT / "china_cities_pilots.csv", dtype=str)
    census = build_census(src)
    pref = census[census["level"] == "prefecture"]
    panel_codes = set(out["city_code"])
    code4 = pref["city_code"].str[:4].where(~pref["city_code"].str[:2].isin(["11", "12", "31", "50"]),
                                            pref["city_code"].str[:2] + "00")  # the municipalities: 1100, 5000
    unmatched = sorted(set(pref["city"][~code4.isin(panel_codes)]))
    census.to_csv(OUT / "china_cities_census.csv", index=False)
    print(f"{len(out)} city-years, {out['city'].nunique()} cities; {len(pilots)} pilot rows; census: "
          f"{census['city'].nunique()} units ({pref['city'].nunique()} prefecture-level), prefectures not in the "
          f"index panel: {unmatched or 'none'}")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SRC)
