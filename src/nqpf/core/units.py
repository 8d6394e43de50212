"""Units of a panel and their names (地区名称): China's provinces by GB/T 2260 code, aliases and regions.

The province table is bundled (``datasets/provinces.csv``: code, short and full Chinese name, pinyin,
English name, NBS four-region grouping, aliases). :func:`match_province` resolves any spelling to the
short Chinese name the package uses (北京, 内蒙古 …); :func:`unit_name` gives the display name of a unit
in a language.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.paths import data_path

__all__ = [
    "REGIONS",
    "REGION_ORDER",
    "match_province",
    "province_regions",
    "provinces",
    "region_key",
    "region_label",
    "unit_name",
    "unit_names",
]

#: The NBS four regions: key -> (zh, en).
REGIONS: dict[str, tuple[str, str]] = {
    "East": ("东部", "East"),
    "Central": ("中部", "Central"),
    "West": ("西部", "West"),
    "Northeast": ("东北", "Northeast"),
}
REGION_ORDER = ("East", "Central", "West", "Northeast")


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


@lru_cache(maxsize=1)
def _province_table() -> dict[str, dict[str, str]]:
    df = provinces()
    return {str(r.name_zh): {"en": str(r.name_en), "region": str(r.region)} for r in df.itertuples(index=False)}


def unit_name(unit: Any, lang: str) -> str:
    """A unit's display name: provinces by short Chinese name (zh) or English name (en); others as given.

    Examples
    --------
    >>> unit_name("北京", "en"), unit_name("北京", "zh"), unit_name("CHN", "en")
    ('Beijing', '北京', 'CHN')
    """
    s = str(unit)
    if lang == "en":
        row = _province_table().get(s)
        if row is not None:
            return row["en"]
    return s


def unit_names(units: Iterable[Any], lang: str) -> list[str]:
    """Display names of several units."""
    return [unit_name(u, lang) for u in units]


def region_key(unit: Any) -> str | None:
    """The English key (East, Central, West, Northeast) of a province's region, or None."""
    row = _province_table().get(str(unit))
    return row["region"] if row is not None else None


def region_label(key: str, lang: str) -> str:
    """The name of a region key in ``lang``."""
    pair = REGIONS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]
