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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.paths import data_path
from nqpf.core.registry import Registry

__all__ = [
    "REGIONS",
    "REGION_ORDER",
    "UNIT_KINDS",
    "KindWords",
    "UnitKind",
    "kind_words",
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


# ==============================================================================================
# unit kinds (单元类型)
# ==============================================================================================
@dataclass(frozen=True)
class KindWords:
    """How the console, report, Excel and methods.md speak of the units of one kind, in one language.

    ``unit`` / ``units``: singular and plural noun (省份 / provinces); ``each``: "each unit" as a heading
    word (各省 / each province); ``mean``: the label of the cross-unit mean (全国均值 when the sample is
    every province, else 样本均值 / sample mean).
    """

    unit: str
    units: str
    each: str
    mean: str

    def count(self, n: int) -> str:
        """``n`` units in words: ``30 个省份`` / ``30 provinces``."""
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.unit):
            return f"{n} 个{self.unit}"
        return f"{n} {self.unit if n == 1 else self.units}"


@dataclass(frozen=True)
class UnitKind:
    """A kind of unit (province, city, county, firm, country, other): its labels and wording.

    ``words`` holds (zh, en) :class:`KindWords`; ``full_mean`` is the mean label used when the sample covers
    every unit of the kind (全国均值 for all 31 provinces); ``complete`` is that number (None: never).
    ``geometry`` says whether nqpf bundles outlines for the kind (``nqpf.geo.geometry``).
    """

    key: str
    label: tuple[str, str]
    words: tuple[KindWords, KindWords]
    full_mean: tuple[str, str] = ("样本均值", "sample mean")
    complete: int | None = None
    geometry: bool = False

    def words_in(self, lang: str, n_units: int | None = None) -> KindWords:
        """The wording in ``lang``; the mean label is the full-coverage one when ``n_units == complete``."""
        w = self.words[0] if lang == "zh" else self.words[1]
        if self.complete is not None and n_units is not None and n_units >= self.complete:
            w = KindWords(w.unit, w.units, w.each, self.full_mean[0] if lang == "zh" else self.full_mean[1])
        return w


#: Every unit kind nqpf knows, by key; ``Panel.kind`` is one of these keys.
UNIT_KINDS: Registry[UnitKind] = Registry("unit kind", DataError)

UNIT_KINDS.add("province", UnitKind(
    "province", ("省份", "province"),
    (KindWords("省份", "省份", "各省", "样本均值"), KindWords("province", "provinces", "each province", "sample mean")),
    full_mean=("全国均值", "national mean"), complete=31, geometry=True))
UNIT_KINDS.add("city", UnitKind(
    "city", ("城市", "city"),
    (KindWords("城市", "城市", "各市", "样本均值"), KindWords("city", "cities", "each city", "sample mean")),
    geometry=True))
UNIT_KINDS.add("county", UnitKind(
    "county", ("县（区）", "county"),
    (KindWords("县（区）", "县（区）", "各县（区）", "样本均值"),
     KindWords("county", "counties", "each county", "sample mean")),
    geometry=True))
UNIT_KINDS.add("firm", UnitKind(
    "firm", ("企业", "firm"),
    (KindWords("企业", "企业", "各企业", "样本均值"), KindWords("firm", "firms", "each firm", "sample mean"))))
UNIT_KINDS.add("country", UnitKind(
    "country", ("国家（经济体）", "country"),
    (KindWords("国家（经济体）", "国家（经济体）", "各国", "样本均值"),
     KindWords("country", "countries", "each country", "sample mean")),
    geometry=True))
UNIT_KINDS.add("other", UnitKind(
    "other", ("单元", "unit"),
    (KindWords("单元", "单元", "各单元", "样本均值"), KindWords("unit", "units", "each unit", "sample mean"))))


def kind_words(kind: str | None, lang: str, n_units: int | None = None) -> KindWords:
    """The wording for units of ``kind`` (None or unknown legacy kinds: "other") in ``lang``.

    Examples
    --------
    >>> kind_words("province", "zh", 31).mean, kind_words("province", "zh", 30).mean
    ('全国均值', '样本均值')
    >>> kind_words("city", "en").units, kind_words("firm", "zh").each, kind_words("city", "zh").count(41)
    ('cities', '各企业', '41 个城市')
    """
    entry = UNIT_KINDS.get(kind or "other") or UNIT_KINDS["other"]
    return entry.words_in(lang, n_units)
