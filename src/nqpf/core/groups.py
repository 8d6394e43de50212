"""Groupings of units (分组): regions, provinces of cities, city clusters, industries — one source for every analysis.

Every analysis that takes groups (Dagum decomposition, bootstrap strata, regional means, heterogeneity models)
reads a :class:`Grouping` made here from one study-file entry, so they all use the same grouping.

A grouping comes from exactly one of: a bundled set (``builtin``), a text column of the panel (``column``,
e.g. ``industry`` for firms), a CSV file ``unit,group`` (``file``), or an inline table (``table``).
Units a set does not cover are an error naming them, unless ``other`` names a group for them.

Bundled sets (``datasets/groups_*.csv``; sources in ``datasets/GROUPS.md``):

- ``region4``: the NBS four regions 东部/中部/西部/东北;
- ``region3``: the three belts 东部/中部/西部 (1986 Seventh Five-Year Plan, with 内蒙古 and 广西 in the West
  since the 2000 Western Development policy; 辽宁 East, 吉林 and 黑龙江 Central);
- ``province``: the province of a city or county (from the city table or the GB/T 2260 code);
- ``city_cluster``: the national city clusters 城市群 of the State Council approved plans (member cities);
- ``yangtze_belt``: the 11 provinces of the Yangtze River Economic Belt by reach (上游/中游/下游);
- ``yellow_river``: the 9 provinces of the Yellow River basin plan (2021) by reach;
- ``south_north``: 南方/北方 by province along the Qinling–Huaihe line.

Province-level sets work for cities and counties through their province.

Study file::

    [groups.region]
    builtin = "region4"            # 东部/中部/西部/东北 (NBS four regions)

    [groups.industry]
    column = "industry"            # a text column of the data file

    [groups.clusters]
    builtin = "city_cluster"
    other = "其他"                  # cities outside every cluster

    [analyses.dagum]
    groups = "region"              # the label of a [groups.*] entry, or a builtin name
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from nqpf.core import units as _units
from nqpf.core.errors import DataError
from nqpf.core.paths import data_path

__all__ = ["BUILTIN_GROUPS", "Grouping", "GroupsSpec", "builtin_labels", "city_clusters", "province_of",
           "resolve_groups"]

#: The bundled sets: name -> (zh, en) description.
BUILTIN_GROUPS: dict[str, tuple[str, str]] = {
    "region4": ("四大区域（东部、中部、西部、东北）", "the four regions (East, Central, West, Northeast; NBS)"),
    "region3": ("三大地带（东部、中部、西部）", "the three belts (East, Central, West)"),
    "province": ("所属省份", "province"),
    "city_cluster": ("国家级城市群", "national city clusters"),
    "yangtze_belt": ("长江经济带（上中下游）", "Yangtze River Economic Belt (by reach)"),
    "yellow_river": ("黄河流域（上中下游）", "Yellow River basin (by reach)"),
    "south_north": ("南方、北方（秦岭—淮河）", "South and North (Qinling–Huaihe line)"),
}
_ALIASES = {"regions": "region4"}
_PROVINCE_SETS = ("region4", "region3", "yangtze_belt", "yellow_river", "south_north")
_OTHER_EN = {"其他": "Other", "其它": "Other"}


class GroupsSpec(BaseModel):
    """One ``[groups.<label>]`` entry: exactly one of builtin, column, file, table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    builtin: str | None = None
    column: str | None = None
    file: str | None = None
    table: dict[str, str] | None = None
    #: the group of units the source does not cover (e.g. "其他"); None: such units are an error
    other: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> GroupsSpec:
        given = [k for k in ("builtin", "column", "file", "table") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'builtin', 'column', 'file' or 'table'"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


@dataclass
class Grouping:
    """Units → group, with the groups' display labels and notes for the run's output.

    ``mapping``: unit → group key (every unit of the request has one); ``labels``: group key → (zh, en);
    ``order``: group keys in display order; ``notes``: what the run's output must say (units put in
    ``other``, members only partly inside a city cluster …).
    """

    name: str
    mapping: dict[str, str]
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def label(self, group: str, lang: str) -> str:
        """The display label of a group key in ``lang``."""
        pair = self.labels.get(group)
        return group if pair is None else (pair[0] if lang == "zh" else pair[1])

    def members(self) -> dict[str, list[str]]:
        """Group key → its units, groups in display order."""
        out: dict[str, list[str]] = {g: [] for g in self.order}
        for u, g in self.mapping.items():
            out.setdefault(g, []).append(u)
        return {g: v for g, v in out.items() if v}

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: unit, group, group_zh, group_en."""
        return pd.DataFrame({"unit": list(self.mapping), "group": list(self.mapping.values()),
                             "group_zh": [self.label(g, "zh") for g in self.mapping.values()],
                             "group_en": [self.label(g, "en") for g in self.mapping.values()]})


# ==============================================================================================
# bundled tables
# ==============================================================================================
@lru_cache(maxsize=1)
def _province_sets() -> pd.DataFrame:
    return pd.read_csv(data_path("groups_provinces.csv"), dtype=str, keep_default_na=False).set_index("province")


@lru_cache(maxsize=1)
def _labels_table() -> pd.DataFrame:
    return pd.read_csv(data_path("groups_labels.csv"), dtype=str, keep_default_na=False)


def builtin_labels(name: str) -> dict[str, tuple[str, str]]:
    """Group key → (zh, en) of a bundled set, in display order (``province``: the 31 provinces).

    Examples
    --------
    >>> builtin_labels("region4")["Northeast"]
    ('东北', 'Northeast')
    """
    if name == "province":
        p = _units.provinces()
        return {str(r.name_zh): (str(r.name_zh), str(r.name_en)) for r in p.itertuples(index=False)}
    t = _labels_table()
    t = t[t["set"] == name]
    return {str(r.group): (str(r.zh), str(r.en)) for r in t.itertuples(index=False)}


@lru_cache(maxsize=1)
def city_clusters() -> pd.DataFrame:
    """The bundled city-cluster membership: cluster, unit, code, province, level (prefecture/county),
    coverage (full/partial: only some counties of the prefecture are in the plan), source.

    Examples
    --------
    >>> c = city_clusters()
    >>> sorted(c[c["cluster"] == "YRD"]["unit"])[:3], int((c["cluster"] == "YRD").sum())
    (['上海市', '南京市', '南通市'], 26)
    """
    return pd.read_csv(data_path("groups_city_clusters.csv"), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _city_provinces() -> dict[str, str]:
    """City name (and 4-digit code) → province short name, from the bundled city table."""
    t = pd.read_csv(data_path("china_cities_panel.csv"), dtype={"city_code": str},
                    usecols=["city", "city_code", "province"]).drop_duplicates("city")
    out = dict(zip(t["city"], t["province"], strict=True))
    out.update(zip(t["city_code"], t["province"], strict=True))
    c = city_clusters()
    out.update({u: p for u, p in zip(c["unit"], c["province"], strict=True) if u not in out})
    return out


@lru_cache(maxsize=1)
def _code_provinces() -> dict[str, str]:
    p = _units.provinces()
    return {str(c)[:2]: str(n) for c, n in zip(p["code"], p["name_zh"], strict=True)}


def _code_of(unit: str, kind: str) -> str | None:
    """The GB/T 2260 code of a unit: the unit itself when it is a code, else ``nqpf.core.units.unit_code``
    when available."""
    s = str(unit).strip()
    if re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{9}|\d{12}", s):
        return s
    fn = getattr(_units, "unit_code", None)
    if fn is not None:
        try:
            code = fn(s, kind)
        except Exception:
            return None
        return None if code is None else str(code)
    return None


def province_of(unit: str, kind: str) -> str | None:
    """The province (short Chinese name) of a province, city or county, or None when it is not known.

    Cities by their full name (the bundled city table) or code; counties by their GB/T 2260 code.

    Examples
    --------
    >>> province_of("苏州市", "city"), province_of("320505", "county"), province_of("北京", "province")
    ('江苏', '江苏', '北京')
    """
    s = str(unit)
    if kind in ("firm", "country"):
        return None  # a stock code or ISO3 code is not a GB/T 2260 code
    if kind == "province" or (kind not in ("city", "county") and s in _province_sets().index):
        return s if s in _province_sets().index else None
    if kind == "city" and s in _city_provinces():
        return _city_provinces()[s]
    code = _code_of(s, kind)
    if code is not None:
        return _code_provinces().get(code[:2])
    return _city_provinces().get(s)


def _cluster_of(units: Sequence[str], kind: str, notes: list[str]) -> dict[str, str]:
    """Unit → city cluster: cities by name or code, counties through their own or their city's code."""
    c = city_clusters()
    order = list(builtin_labels("city_cluster"))
    # the province most of a cluster's prefectures lie in (京津冀: 河北; 中原: 河南)
    pref = c[c["level"] == "prefecture"]
    home = pref.groupby("cluster")["province"].agg(lambda s: s.value_counts().index[0]).to_dict()
    by_unit: dict[str, list[tuple[str, str, bool]]] = {}
    for r in c.itertuples(index=False):
        for key in (r.unit, r.code):
            by_unit.setdefault(str(key), []).append((str(r.cluster), str(r.coverage), home[r.cluster] == r.province))
    out: dict[str, str] = {}
    partial: list[str] = []
    overlap: list[str] = []
    for u in units:
        cand = by_unit.get(str(u))
        if cand is None and kind == "county":
            code = _code_of(u, kind)
            if code is not None:
                cand = by_unit.get(code) or by_unit.get(code[:4])
        if not cand:
            continue
        # a unit in two plans goes to the cluster centred in its own province, else to the plan that lists it
        # whole, else to the first in display order
        cand = sorted(set(cand), key=lambda x: (not x[2], x[1] != "full", order.index(x[0])))
        out[u] = cand[0][0]
        if cand[0][1] == "partial":
            partial.append(str(u))
        if len({x[0] for x in cand}) > 1:
            overlap.append(f"{u} ({' / '.join(dict.fromkeys(x[0] for x in cand))} → {cand[0][0]})")
    if partial:
        notes.append(f"city clusters: {len(partial)} member(s) lie only partly inside their cluster's plan and count "
                     f"as members: {', '.join(partial[:20])}" + (" …" if len(partial) > 20 else ""))
    if overlap:
        notes.append("city clusters: in two plans, put in the cluster centred in their own province, else in the plan "
                     "that lists them whole: " + "; ".join(overlap))
    return out


# ==============================================================================================
# sources
# ==============================================================================================
def _builtin(name: str, units: Sequence[str], kind: str, notes: list[str]) -> tuple[dict[str, str], dict]:
    """Mapping of the covered units and the labels of a bundled set."""
    if name == "city_cluster":
        if kind == "province":
            raise DataError("groups 'city_cluster' group cities (or counties), not provinces: city clusters cross "
                            "provinces; use 'region4', 'region3', 'south_north', 'yangtze_belt' or 'yellow_river'")
        return _cluster_of(units, kind, notes), builtin_labels(name)
    prov = {u: province_of(u, kind) for u in units}
    if name == "province":
        if kind == "province":
            raise DataError("groups 'province' group cities or counties by their province; the units are provinces "
                            "already (use 'region4' or 'region3')")
        return {u: p for u, p in prov.items() if p is not None}, builtin_labels(name)
    col = _province_sets()[name]
    mapping = {u: col[p] for u, p in prov.items() if p is not None and col[p]}
    return mapping, builtin_labels(name)


def _column(column: str, units: Sequence[str], panel: Any, kind: str) -> dict[str, str]:
    labels = getattr(panel, "labels", None)
    if labels is None or column not in labels.columns:
        have = [] if labels is None else list(labels.columns)
        raise DataError(
            f"groups: column {column!r} is not a label column of the panel"
            + (f" (label columns: {', '.join(have)})" if have else " (the panel has no label columns)")
            + f"; list it in the study file's [data] section: labels = [\"{column}\"]")
    s = labels[column]
    s = s[s.notna() & (s.astype(str).str.strip() != "")].astype(str).str.strip()
    frame = s.reset_index()
    frame.columns = ["unit", "year", "group"]
    frame = frame[frame["unit"].isin(list(units))]
    n = frame.groupby("unit")["group"].nunique()
    changing = list(n[n > 1].index)
    if changing:
        rows = []
        for u in changing[:5]:
            sub = frame[frame["unit"] == u].sort_values("year")
            first = sub.drop_duplicates("group")
            rows.append(f"{u} (" + ", ".join(f"{g} from {y}" for y, g in zip(first["year"], first["group"],
                                                                               strict=True)) + ")")
        raise DataError(
            f"groups: column {column!r} changes across years for {len(changing)} unit(s): {'; '.join(rows)}"
            + (" …" if len(changing) > 5 else "")
            + "; a grouping gives each unit one group — give the units one value in every year (e.g. their "
            "group in the first year) or a [groups.*] file with one row per unit")
    return dict(zip(frame.drop_duplicates("unit")["unit"], frame.drop_duplicates("unit")["group"], strict=True))


def _read_file(path: Path, kind: str) -> dict[str, str]:
    if not path.exists():
        raise DataError(f"groups file {path} does not exist (a relative path is read from the study file's folder)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise DataError(f"groups file {path}: cannot decode (save it as UTF-8)")
    if df.shape[1] < 2:
        raise DataError(f"groups file {path}: needs two columns, unit and group (a header row, then one row per "
                        "unit)")
    cols = [c.strip().lower() for c in df.columns]
    uc = cols.index("unit") if "unit" in cols else 0
    gc = cols.index("group") if "group" in cols else (1 if uc == 0 else 0)
    out: dict[str, str] = {}
    for i, (u, g) in enumerate(zip(df.iloc[:, uc], df.iloc[:, gc], strict=True)):
        u, g = str(u).strip(), str(g).strip()
        if not u:
            continue
        if kind == "firm" and u.isdigit():
            u = u.zfill(6)
        if not g:
            raise DataError(f"groups file {path}, row {i + 2}: unit {u!r} has an empty group")
        if u in out and out[u] != g:
            raise DataError(f"groups file {path}, row {i + 2}: unit {u!r} is listed again with group {g!r} "
                            f"(before: {out[u]!r}); give each unit one row")
        out[u] = g
    return out


def _name_of(spec: Any, named: Mapping[str, GroupsSpec] | None) -> tuple[Any, str | None]:
    """Resolve a string to a named entry or a builtin; return (spec, label of the named entry or None)."""
    if not isinstance(spec, str):
        return spec, None
    if named and spec in named:
        return named[spec], spec
    key = _ALIASES.get(spec, spec)
    if key in BUILTIN_GROUPS:
        return GroupsSpec(builtin=key), None
    choices = list(named or {}) + list(BUILTIN_GROUPS)
    near = difflib.get_close_matches(spec, choices, n=3, cutoff=0.5)
    raise DataError(
        f"groups {spec!r} is neither a [groups.*] entry of the study"
        + (f" ({', '.join(named)})" if named else "") + f" nor a bundled set ({', '.join(BUILTIN_GROUPS)})"
        + (f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""))


def _default(units: Sequence[str], kind: str, panel: Any) -> GroupsSpec:
    if kind == "province":
        return GroupsSpec(builtin="region4")
    if kind in ("city", "county"):
        return GroupsSpec(builtin="province")
    labels = getattr(panel, "labels", None)
    if kind == "firm" and labels is not None and "industry" in labels.columns:
        return GroupsSpec(column="industry")
    if kind not in ("firm", "country") and units and all(str(u) in _province_sets().index for u in units):
        return GroupsSpec(builtin="region4")
    how = ('add [groups.industry] with column = "<the industry column>" (listed in [data] labels), '
           if kind == "firm" else "add a [groups.<label>] entry (builtin, column, file or table), ")
    raise DataError(f"units of kind {kind!r} have no default grouping: {how}and set groups = \"<label>\" in the "
                    "analysis")


def resolve_groups(spec: GroupsSpec | str | Mapping[str, str] | None, units: Sequence[str], *, kind: str,
                   panel: Any = None, named: Mapping[str, GroupsSpec] | None = None,
                   base: Path | None = None) -> Grouping:
    """The :class:`Grouping` of ``units`` (of unit ``kind``) for a study-file value.

    ``spec``: a :class:`GroupsSpec`; a string naming an entry of ``named`` (the study's ``[groups.*]``)
    or a builtin set (``regions`` = ``region4``); an inline mapping; or None (the kind's default grouping:
    the four regions for provinces, the province for cities and counties, the ``industry`` label column for
    firms; otherwise an error saying how to give one). Units the source does not cover are an error naming
    them, unless the spec's ``other`` gives them a group (then noted).

    Examples
    --------
    >>> g = resolve_groups("region4", ["北京", "辽宁", "四川"], kind="province")
    >>> g.mapping, g.label("Northeast", "zh")
    ({'北京': 'East', '辽宁': 'Northeast', '四川': 'West'}, '东北')
    >>> resolve_groups("city_cluster", ["苏州市", "合肥市"], kind="city").mapping
    {'苏州市': 'YRD', '合肥市': 'YRD'}
    """
    units = [str(u) for u in units]
    if spec is None:
        spec = _default(units, kind, panel)
    spec, label = _name_of(spec, named)
    inline = isinstance(spec, Mapping)
    if inline:
        spec = GroupsSpec(table={str(k): str(v) for k, v in spec.items()})  # type: ignore[union-attr]
    if not isinstance(spec, GroupsSpec):
        raise DataError(f"groups must be a [groups.*] label, a bundled set name or a table unit = group, "
                        f"got {type(spec).__name__}")
    notes: list[str] = []
    labels: dict[str, tuple[str, str]] = {}
    if spec.builtin is not None:
        key = _ALIASES.get(spec.builtin, spec.builtin)
        if key not in BUILTIN_GROUPS:
            near = difflib.get_close_matches(spec.builtin, list(BUILTIN_GROUPS), n=3, cutoff=0.5)
            raise DataError(f"groups: unknown builtin {spec.builtin!r}; bundled sets: {', '.join(BUILTIN_GROUPS)}"
                            + (f" (did you mean {', '.join(near)}?)" if near else ""))
        mapping, labels = _builtin(key, units, kind, notes)
        name, source = label or key, f"the bundled set {key!r}"
    elif spec.column is not None:
        mapping = _column(spec.column, units, panel, kind)
        name, source = label or spec.column, f"column {spec.column!r}"
    elif spec.file is not None:
        path = Path(spec.file)
        if base is not None and not path.is_absolute():
            path = base / path
        table = _read_file(path, kind)
        mapping = {u: table[u] for u in units if u in table}
        name, source = label or path.stem, f"file {path.name}"
        if not mapping and units:
            notes.append(f"file {path.name} names none of the panel's units")
    else:
        table = spec.table or {}
        mapping = {u: str(table[u]) for u in units if u in table}
        name, source = label or "table", "the table"
    missing = [u for u in units if u not in mapping]
    if missing:
        shown = ", ".join(missing[:15]) + (f" and {len(missing) - 15} more" if len(missing) > 15 else "")
        if spec.other is None:
            near = ""
            if spec.file is not None or spec.table is not None:
                pool = list(_read_file(path, kind) if spec.file is not None else (spec.table or {}))
                pool = [p for p in pool if p not in set(units)]
                hits = [f"{u} ~ {m[0]}" for u in missing[:10]
                        if (m := difflib.get_close_matches(u, pool, n=1, cutoff=0.6))]
                near = f" (near matches: {'; '.join(hits)})" if hits else ""
            where = f"[groups.{label}]" if label else None
            if inline:
                fix = "add them to the table"
            elif where is not None:
                add = ("add them to the file, or " if spec.file is not None else
                       "add them to the table, or " if spec.table is not None else
                       "give them a value in that column, or " if spec.column is not None else "")
                fix = f'{add}set other = "其他" in {where} to put them in a group of their own'
            else:
                fix = (f'define [groups.x] with builtin = "{spec.builtin}" and other = "其他" and use '
                       'groups = "x"')
            if spec.builtin is not None and spec.builtin != "city_cluster" and kind == "county":
                fix = f"a county's province comes from its 6-digit GB/T 2260 code (name the units by code); {fix}"
            elif spec.builtin is not None and kind in ("firm", "country"):
                fix = (f"the bundled sets group Chinese provinces, cities and counties, not {kind} units: give a "
                       "[groups.<label>] entry with a column, file or table")
            raise DataError(f"groups {name!r}: {len(missing)} unit(s) are not covered by {source}: {shown}{near}; "
                            f"{fix}")
        for u in missing:
            mapping[u] = spec.other
        labels = {**labels, spec.other: (spec.other, _OTHER_EN.get(spec.other, spec.other))}
        notes.append(f"groups {name!r}: {len(missing)} unit(s) not covered by {source} are in group "
                     f"{spec.other!r}: {shown}")
    mapping = {u: mapping[u] for u in units}
    present = list(dict.fromkeys(mapping.values()))
    order = [g for g in labels if g in set(present) and g != spec.other] if labels else []
    order += [g for g in present if g not in order and g != spec.other]
    if spec.other is not None and spec.other in set(present):
        order.append(spec.other)
    labels = {g: labels[g] for g in order if g in labels}
    return Grouping(name, mapping, labels=labels, order=order, notes=notes)
