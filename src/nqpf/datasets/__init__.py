"""Bundled real data: the China provincial panel, the WDI country panel, province reference tables.

Nothing here reads outside the package; see PROVENANCE.md beside this file for sources and licences.
"""

from __future__ import annotations

import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.panel import Panel, read_panel
from nqpf.core.paths import data_path
from nqpf.core.units import match_province, province_regions, provinces

__all__ = ["DATASETS", "data_path", "dataset_names", "indicator_table", "load_dataset", "match_province",
           "province_regions", "provinces"]

DATASETS = {
    "china-provinces": {
        "file": "china_provinces_panel.csv",
        "indicators": "china_provinces_panel.indicators.csv",
        "unit": "province",
        "drop": ["province_en"],
        "kind": "province",
        "title": "China's 31 provinces, 2010–2024 (NBS, MOST S&T yearbook, CEADs, PKU-DFIIC, NERI)",
        # one row per (column, block of years): where every non-empty cell comes from (PROVENANCE.md)
        "sources": "china_provinces_panel.sources.csv",
    },
    "wdi-countries": {
        "file": "wdi_panel.csv",
        "indicators": "wdi_panel.indicators.csv",
        "unit": "country_iso3",
        "drop": ["country_name"],
        "kind": "country",
        "title": "217 economies, 2000–2023 (World Bank WDI, CC BY 4.0)",
    },
    "china-cities": {  # see CITIES.md; pilot lists in china_cities_pilots.csv (nqpf.datasets.cities)
        "file": "china_cities_panel.csv",
        "indicators": "china_cities_panel.indicators.csv",
        "unit": "city",
        "drop": ["city_code", "city_en", "province"],
        "kind": "city",
        # the index reports 莱芜市 through 2020, after its 2019 merger into 济南市: kept as its own (former) unit,
        # as published (UNITS.md); every other name is a current city (resolve_units, kind "city")
        "rename": {"莱芜市": "莱芜市"},
        "title": "338 prefecture-level cities, 2011–2023: PKU digital financial inclusion index (PKU-DFIIC)",
    },
}


def dataset_names() -> list[str]:
    """Names of the bundled datasets."""
    return list(DATASETS)


def indicator_table(name: str) -> pd.DataFrame:
    """The indicator metadata table of a bundled dataset (name, Chinese name or WDI code, unit, source …)."""
    spec = _spec(name)
    return pd.read_csv(data_path(spec["indicators"]), dtype=str, keep_default_na=False)


def source_table(name: str) -> pd.DataFrame | None:
    """The per-series source table of a bundled dataset (``china-provinces``), or None if it has none.

    One row per column and block of years: ``column, province, first_year, last_year, pass, repository, commit,
    raw_file, raw_column, rule``. A blank ``province`` means every province; ``rule`` starting with "excluded"
    names a raw cell deliberately left empty. Together the rows say where every non-empty cell comes from.
    """
    spec = _spec(name)
    if "sources" not in spec:
        return None
    return pd.read_csv(data_path(spec["sources"]), dtype={"province": str, "raw_file": str, "raw_column": str},
                       keep_default_na=False)


def series_sources(name: str) -> dict[str, str]:
    """Per column of a bundled dataset, a short statement of its source, e.g.
    ``"3112944976/National-Visualization-Web-Application 2010–2019; lanyuanzhe1/tongjimodule 2020–2024"``."""
    table = source_table(name)
    if table is not None:
        out: dict[str, list[tuple[int, str]]] = {}
        for r in table.itertuples(index=False):
            if r.rule.startswith("excluded"):
                continue
            repo = r.repository.split(" (")[0]
            out.setdefault(r.column, []).append((r.first_year, f"{repo} {r.first_year}–{r.last_year}"))
        return {k: "; ".join(text for _, text in sorted(v)) for k, v in out.items()}
    meta = indicator_table(name)
    col = "source" if "source" in meta.columns else "source_repository"
    return dict(zip(meta["name"], meta[col].str.split(" : ").str[0], strict=True))


def _spec(name: str) -> dict:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"no bundled dataset {name!r}; bundled: {list(DATASETS)}") from None


def load_dataset(name: str) -> Panel:
    """A bundled dataset as a validated Panel (``china-provinces``, ``wdi-countries``, ``china-cities``), its units
    resolved to canonical ids of the dataset's kind (``nqpf.core.units.resolve_units``)."""
    spec = _spec(name)
    return read_panel(
        data_path(spec["file"]), unit=spec["unit"], year="year", drop=spec["drop"], kind=spec["kind"],
        name=name, metadata=indicator_table(name), rename=spec.get("rename"),
    )
