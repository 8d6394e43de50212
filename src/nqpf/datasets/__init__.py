"""Bundled real data: the China provincial panel, the WDI country panel, province reference tables.

Nothing here reads outside the package; see PROVENANCE.md beside this file for sources and licences.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from nqpf.errors import DataError

if TYPE_CHECKING:
    from nqpf.panel import Panel

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
}


def data_path(filename: str) -> Path:
    """The path of a bundled data file."""
    return Path(str(resources.files("nqpf.datasets").joinpath(filename)))


@lru_cache(maxsize=1)
def provinces() -> pd.DataFrame:
    """The 31 mainland provinces: GB/T 2260 code, names (zh short/full, pinyin, en), region, aliases."""
    df = pd.read_csv(data_path("provinces.csv"), dtype={"code": str})
    return df


def province_regions(lang: str = "en") -> dict[str, str]:
    """The official four-region grouping (East, Central, West, Northeast), by short Chinese name."""
    df = provinces()
    col = "region_zh" if lang == "zh" else "region"
    return dict(zip(df["name_zh"], df[col], strict=True))


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", str(s)).strip().lower()
    return re.sub(r"[\s\-_'.]+", "", s)


@lru_cache(maxsize=1)
def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in provinces().itertuples(index=False):
        names = [row.name_zh, row.full_name_zh, row.pinyin, row.name_en, row.code, row.code[:2]]
        names += [a for a in str(row.aliases).split(";") if a]
        names += [f"{row.name_en} Province", f"{row.pinyin} Sheng", f"{row.name_en} Municipality"]
        for n in names:
            table[_norm(n)] = row.name_zh
    return table


def match_province(name: str, *, where: str = "") -> str:
    """The short Chinese name (北京, 内蒙古 …) for any alias: full name, pinyin, English, GB/T 2260 code.

    An unmatched name raises DataError listing near matches.
    """
    key = _norm(name)
    table = _alias_table()
    if key in table:
        return table[key]
    near = difflib.get_close_matches(key, list(table), n=4, cutoff=0.6)
    hint = sorted({f"{n} → {table[n]}" for n in near})
    loc = f"{where}: " if where else ""
    raise DataError(
        f"{loc}unknown province name {name!r}" + (f"; near matches: {', '.join(hint)}" if hint else "")
    )


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
    """A bundled dataset as a validated Panel (``china-provinces`` or ``wdi-countries``)."""
    from nqpf.panel import read_panel

    spec = _spec(name)
    return read_panel(
        data_path(spec["file"]), unit=spec["unit"], year="year", drop=spec["drop"], kind=spec["kind"],
        name=name, metadata=indicator_table(name),
    )
