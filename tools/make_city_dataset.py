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
SOURCE = ("pedrohcgs/claude-code-my-workflow", "PKU_DFIIC_city.dta (via pku_dfiic_city_2011_2023.csv)",
          "f97ce33c8bd0084937fcd2c98b37e26c8ca24198")


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
    print(f"{len(out)} city-years, {out['city'].nunique()} cities; {len(pilots)} pilot rows")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SRC)
