"""Spatial weights (空间权重矩阵) for the units of a panel, as ``libpysal.weights.W`` objects.

Analyses ask for weights here; they do not build them. :func:`build_weights` gives the weights a study file
asks for (``[weights.<label>]`` or a kind): queen and rook contiguity, k nearest neighbours, inverse distance and
distance bands (great-circle km), economic distance, nested economic–geographic weights, and weights files (GAL,
GWT, CSV edge lists, n × n matrices in CSV or XLSX) whose units must match the panel's exactly; islands are
joined, reported or refused. The geometry is the bundled one of the panel's unit kind or the study's
``[geography]``. :func:`weights_label` and :func:`weights_notes` say how W was built. Formulas and references:
docs/methods/spatial-weights.md.

:func:`spatial_weights` is the lenient Python entry point of the earlier API (provinces by any alias, user
GeoJSON, files); :func:`match_ids` maps a panel's unit names onto the ids of weights, accepting every province
alias.

References
----------
- Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37(1/2), 17–23.
- Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion.
- Rey, S. J. & Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
  *The Review of Regional Studies* 37(1), 5–27.
"""

from __future__ import annotations

import difflib
import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator
from shapely.geometry import shape

from nqpf.core import units as units_module
from nqpf.core.errors import DataError
from nqpf.core.panel import excel_file
from nqpf.core.units import kind_words, match_province
from nqpf.geo import geometry
from nqpf.geo.geometry import province_centroids, province_contiguity

if TYPE_CHECKING:  # libpysal is imported where weights are built: importing it costs ~2 s (nqpf app, nqpf run)
    from libpysal.weights import W

__all__ = ["EARTH_RADIUS_KM", "ISLANDS", "STUDY_KINDS", "TRANSFORMS", "WEIGHT_KINDS", "WeightsInfo", "WeightsSpec",
           "build_weights", "match_ids", "read_weights_file", "resolve_unit_names", "spatial_weights", "weights_info",
           "weights_label", "weights_notes"]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), for great-circle distances
WEIGHT_KINDS = ("contiguity", "knn", "inverse_distance", "file")
TRANSFORMS = ("r", "b", "d", "v", "o")
_ID_PROPERTIES = ("name_zh", "name", "NAME", "name_en", "code", "adcode", "id", "ID")


# ==============================================================================================
# unit matching
# ==============================================================================================
def _as_units(units: Iterable[Any], where: str) -> list[str]:
    out = [str(u) for u in units]
    if not out:
        raise DataError(f"{where}: no units given")
    dup = sorted(u for u, c in Counter(out).items() if c > 1)
    if dup:
        raise DataError(f"{where}: units listed more than once: {', '.join(dup)}")
    return out


def _province_keys(units: Sequence[str], where: str) -> list[str]:
    """Short province names for ``units`` (any alias); unknown names raise DataError with near matches."""
    keys = []
    for u in units:
        try:
            keys.append(match_province(u, where=where))
        except DataError as e:
            raise DataError(
                f"{e}. The bundled geometry covers China's 31 mainland provinces; for other units pass "
                "geojson= (your outlines) or weights_file= (a GAL/GWT/CSV weights file)"
            ) from None
    seen: dict[str, str] = {}
    for u, k in zip(units, keys, strict=True):
        if k in seen:
            raise DataError(f"{where}: {seen[k]!r} and {u!r} are the same province ({k})")
        seen[k] = u
    return keys


def _try_province(name: str) -> str | None:
    try:
        return match_province(name)
    except DataError:
        return None


def match_ids(units: Sequence[str], available: Sequence[str], what: str) -> list[str]:
    """For each unit the id in ``available`` it refers to: exact match, else the same province."""
    avail = [str(a) for a in available]
    exact = set(avail)
    by_prov: dict[str, str] = {}
    for a in avail:
        k = _try_province(a)
        if k is not None:
            by_prov.setdefault(k, a)
    out, missing = [], []
    for u in units:
        if u in exact:
            out.append(u)
            continue
        k = _try_province(u)
        if k is not None and k in by_prov:
            out.append(by_prov[k])
        else:
            missing.append(u)
    if missing:
        hints = []
        for m in missing:
            near = difflib.get_close_matches(m, avail, n=3, cutoff=0.5)
            hints.append(f"{m!r}" + (f" (near: {', '.join(near)})" if near else ""))
        raise DataError(
            f"{len(missing)} unit(s) not in {what}: {', '.join(hints)}; {what} has {len(avail)} ids "
            f"({', '.join(avail[:8])}{' …' if len(avail) > 8 else ''})"
        )
    dup = sorted({a for a in out if out.count(a) > 1})
    if dup:
        raise DataError(f"several units refer to the same id of {what}: {', '.join(dup)}")
    return out


# ==============================================================================================
# weights
# ==============================================================================================
def _load_geojson(geojson: str | Path | dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(geojson, dict):
        obj = geojson
    else:
        path = Path(geojson)
        if not path.exists():
            raise DataError(f"GeoJSON file {str(path)!r} not found")
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    if obj.get("type") == "FeatureCollection":
        return list(obj.get("features", []))
    if obj.get("type") == "Feature":
        return [obj]
    raise DataError("geojson must be a GeoJSON FeatureCollection (a dict or a file path)")


def _feature_ids(features: list[dict[str, Any]], id_field: str | None) -> list[str]:
    if id_field is not None:
        ids = []
        for k, f in enumerate(features):
            v = f.get("id") if id_field == "id" else (f.get("properties") or {}).get(id_field)
            if v is None:
                raise DataError(f"geojson feature {k} has no property {id_field!r}")
            ids.append(str(v))
        return ids
    if all(f.get("id") is not None for f in features):
        return [str(f["id"]) for f in features]
    for key in _ID_PROPERTIES:
        vals = [(f.get("properties") or {}).get(key) for f in features]
        if all(v is not None for v in vals) and len(set(map(str, vals))) == len(vals):
            return [str(v) for v in vals]
    raise DataError("cannot tell which GeoJSON property names the units; pass id_field='<property>'")


def _geojson_geometries(
    units: list[str], geojson: str | Path | dict[str, Any], id_field: str | None
) -> list[Any]:
    feats = _load_geojson(geojson)
    ids = _feature_ids(feats, id_field)
    hit = match_ids(units, ids, "the GeoJSON")
    pos = {i: k for k, i in enumerate(ids)}
    geoms = []
    for u, i in zip(units, hit, strict=True):
        g = feats[pos[i]].get("geometry")
        if not g:
            raise DataError(f"GeoJSON feature for unit {u!r} has no geometry")
        geoms.append(shape(g))
    return geoms


def _coords(units: list[str], geojson: Any, id_field: str | None) -> np.ndarray:
    """(lon, lat) per unit: the bundled province centroids, or centroids of the user's GeoJSON shapes."""
    if geojson is not None:
        geoms = _geojson_geometries(units, geojson, id_field)
        return np.array([[g.centroid.x, g.centroid.y] for g in geoms], dtype=float)
    keys = _province_keys(units, "spatial weights")
    c = province_centroids().set_index("name_zh")
    return c.loc[keys, ["lon", "lat"]].to_numpy(dtype=float)


def _haversine(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle km between points given in radians (numpy broadcasting)."""
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _great_circle_km(lonlat: np.ndarray, to: np.ndarray | None = None) -> np.ndarray:
    """Haversine distances (km) from each (lon, lat) point of ``lonlat`` to each of ``to`` (default: itself)."""
    a, b = np.radians(lonlat), np.radians(lonlat if to is None else to)
    return _haversine(a[:, 0, None], a[:, 1, None], b[None, :, 0], b[None, :, 1])


def _w_from(units: list[str], neighbors: dict[str, list[str]], weights: dict[str, list[float]] | None) -> W:
    nb = {u: [str(n) for n in neighbors.get(u, [])] for u in units}
    wt = None if weights is None else {u: [float(x) for x in weights.get(u, [])] for u in units}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from libpysal.weights import W

        return W(nb, wt, id_order=list(units), silence_warnings=True)


def _contiguity_bundled(units: list[str]) -> W:
    keys = _province_keys(units, "spatial weights")
    back = dict(zip(keys, units, strict=True))
    edges = province_contiguity()
    nb: dict[str, list[str]] = {u: [] for u in units}
    for a, b in zip(edges["unit"], edges["neighbor"], strict=True):
        if a in back and b in back:
            nb[back[a]].append(back[b])
    return _w_from(units, nb, None)


def _contiguity_geojson(units: list[str], geojson: Any, id_field: str | None) -> W:
    geoms = _geojson_geometries(units, geojson, id_field)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from libpysal.weights import Queen

        q = Queen.from_iterable(geoms, ids=list(units), silence_warnings=True)
    return _w_from(units, {str(k): v for k, v in q.neighbors.items()}, None)


def _knn(units: list[str], k: int, coords: np.ndarray) -> W:
    n = len(units)
    if not isinstance(k, (int, np.integer)) or k < 1 or k >= n:
        raise DataError(f"knn weights: k must be an integer between 1 and {n - 1} for {n} units, got {k!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from libpysal.weights import KNN

        kw = KNN.from_array(coords, k=int(k), ids=list(units), distance_metric="arc", radius=EARTH_RADIUS_KM,
                            silence_warnings=True)
    return _w_from(units, {str(a): v for a, v in kw.neighbors.items()}, None)


def _inverse_distance(units: list[str], power: float, threshold: float | None, coords: np.ndarray) -> W:
    if not np.isfinite(power) or power <= 0:
        raise DataError(f"inverse_distance weights: power must be a positive number, got {power!r}")
    d = _great_circle_km(coords)
    off = d[~np.eye(len(units), dtype=bool)]
    if np.any(off <= 0):
        i, j = np.argwhere((d <= 0) & ~np.eye(len(units), dtype=bool))[0]
        raise DataError(f"inverse_distance weights: units {units[i]!r} and {units[j]!r} share a centroid")
    band = float(off.max()) * 1.001 if threshold is None else float(threshold)
    if band <= 0:
        raise DataError(f"inverse_distance weights: threshold must be positive (km), got {threshold!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from libpysal.weights import DistanceBand

        db = DistanceBand(coords, threshold=band, binary=False, alpha=-float(power), ids=list(units),
                          distance_metric="arc", radius=EARTH_RADIUS_KM, silence_warnings=True)
    return _w_from(units, {str(a): v for a, v in db.neighbors.items()},
                   {str(a): v for a, v in db.weights.items()})


def _from_file(units: list[str], weights_file: str | Path) -> W:
    path = Path(weights_file)
    (nb, wt, _), _fmt = read_weights_file(path)
    ids = match_ids(units, list(nb), f"weights file {path.name}")
    back = dict(zip(ids, units, strict=True))
    sub_nb: dict[str, list[str]] = {}
    sub_wt: dict[str, list[float]] = {}
    for u, i in zip(units, ids, strict=True):
        pairs = [(back[n], x) for n, x in zip(nb[i], wt[i], strict=True) if n in back and n != i]
        sub_nb[u] = [p[0] for p in pairs]
        sub_wt[u] = [p[1] for p in pairs]
    return _w_from(units, sub_nb, sub_wt)


def spatial_weights(
    units: Iterable[str],
    kind: str = "contiguity",
    k: int = 4,
    power: float = 1.0,
    threshold: float | None = None,
    geojson: str | Path | dict[str, Any] | None = None,
    weights_file: str | Path | None = None,
    transform: str = "r",
    *,
    id_field: str | None = None,
    islands: str = "raise",
) -> W:
    """Spatial weights (空间权重矩阵) for ``units``, as a ``libpysal.weights.W`` whose ids are the given names.

    Moran (1950) and Cliff & Ord (1981) weights; built with libpysal (Rey & Anselin 2007, RRS 37(1)).

    Parameters
    ----------
    units : unit names in the order the weights should have (``w.id_order``). Province names are matched
        through ``nqpf.datasets.match_province`` (内蒙古自治区, Inner Mongolia, 150000 … all work).
    kind : ``"contiguity"`` — queen contiguity: the neighbour list shipped with nqpf (computed on
        full-resolution boundaries; Hainan joined to Guangdong), or, with ``geojson``, libpysal's
        ``Queen`` on your shapes; ``"knn"`` — the ``k`` nearest units by great-circle distance between
        centroids; ``"inverse_distance"`` — ``1 / d**power`` (d in km) for every pair within
        ``threshold`` km (all pairs if None); ``"file"`` — read ``weights_file`` (GAL, GWT, or a CSV edge
        list with columns unit, neighbor[, weight]).
    geojson : a FeatureCollection (dict or path) for units other than the bundled provinces; features
        are matched by ``id_field`` (default: feature ``id``, else name_zh / name / NAME / code …).
    transform : libpysal transformation: ``"r"`` row-standardised (default), ``"b"`` binary, ``"d"``,
        ``"v"``, ``"o"`` original.
    islands : units without neighbours: ``"raise"`` (DataError naming them) or ``"keep"`` (a warning;
        their spatial lag is 0).

    Returns
    -------
    libpysal.weights.W : n × n weights with ``id_order`` = the given unit names.

    Examples
    --------
    >>> w = spatial_weights(["北京", "天津", "河北", "山西"])
    >>> sorted(w.neighbors["北京"]), w.transform
    (['天津', '河北'], 'R')
    """
    names = _as_units(units, "spatial weights")
    kind = str(kind).lower().replace("-", "_")
    if kind not in WEIGHT_KINDS:
        raise DataError(f"spatial weights: unknown kind {kind!r}; choose one of {', '.join(WEIGHT_KINDS)}")
    if str(transform).lower() not in TRANSFORMS:
        raise DataError(f"spatial weights: unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")
    if islands not in ("raise", "keep"):
        raise DataError(f"spatial weights: islands must be 'raise' or 'keep', got {islands!r}")
    if len(names) < 2:
        raise DataError("spatial weights need at least two units")

    if weights_file is not None and kind not in ("file", "contiguity"):
        raise DataError(f"spatial weights: weights_file is read with kind='file', not kind={kind!r}")
    if kind == "file" or weights_file is not None:
        if weights_file is None:
            raise DataError("spatial weights: kind='file' needs weights_file=<path to .gal/.gwt/.csv>")
        w = _from_file(names, weights_file)
        kind = "file"
    elif kind == "contiguity":
        w = _contiguity_bundled(names) if geojson is None else _contiguity_geojson(names, geojson, id_field)
    elif kind == "knn":
        w = _knn(names, k, _coords(names, geojson, id_field))
    else:
        w = _inverse_distance(names, power, threshold, _coords(names, geojson, id_field))

    if w.islands:
        msg = (f"spatial weights ({kind}): {len(w.islands)} unit(s) without neighbours: "
               f"{', '.join(map(str, w.islands))}")
        if islands == "raise":
            hint = ("use kind='knn', a larger threshold, or islands='keep'" if kind != "knn" else "")
            raise DataError(f"{msg}; {hint}" if hint else msg)
        warnings.warn(msg + "; their spatial lag is 0", stacklevel=2)
    w.transform = str(transform).lower()
    return w


# ==============================================================================================
# weights from the study file
# ==============================================================================================
STUDY_KINDS = ("contiguity", "rook", "knn", "inverse_distance", "distance_band", "economic", "nested", "file")
ISLANDS = ("join", "report", "raise")
_KIND_NAMES = {  # (zh, en)
    "contiguity": ("Queen 邻接", "queen contiguity"),
    "rook": ("Rook 邻接", "rook contiguity"),
    "knn": ("k 近邻", "k nearest neighbours"),
    "inverse_distance": ("反距离", "inverse distance"),
    "distance_band": ("距离带", "distance band"),
    "economic": ("经济距离", "economic distance"),
    "nested": ("经济地理嵌套", "nested economic-geographic"),
    "file": ("文件", "file"),
}
_TRANSFORM_NAMES = {"R": ("行标准化", "row-standardised"), "B": ("二值", "binary"),
                    "D": ("双重标准化", "doubly standardised"), "V": ("方差稳定化", "variance-stabilised"),
                    "O": ("原始权重", "original weights")}
_BUNDLED_GEOMETRY_KINDS = ("city", "county", "country")
#: above this many units, kinds that link every pair (economic; inverse distance and nested without a threshold)
#: are refused: 2,000 units are 4 million links (a dense W of ~1 GB in libpysal's lists, slow permutations)
DENSE_MAX_UNITS = 2000


class WeightsSpec(BaseModel):
    """One ``[weights.<label>]`` entry of a study file (or the options of a kind named in an analysis).

    Study file::

        [weights.queen]
        kind = "contiguity"          # queen; "rook", "knn", "inverse_distance", "distance_band",
                                     # "economic", "nested", "file"
        islands = "join"             # "join" (nearest unit), "report" (keep, say so), "raise"

        [weights.econ]
        kind = "economic"            # 1/|x̄_i − x̄_j| of a panel column averaged over years
        variable = "gdp_per_capita"
        years = [2015, 2020]         # first and last year (default: every year of the panel)

        [analyses.moran]
        weights = "econ"             # a [weights.*] label, or a kind name with its defaults

    Options: ``k`` (knn), ``power`` (inverse_distance, nested: $1/d^p$), ``threshold`` (km: distance_band
    — required —, inverse_distance and nested — optional), ``variable`` and ``years`` (economic, nested),
    ``file`` (kind ``file``: .gal, .gwt, .csv or .xlsx; relative to the study file), ``id_field`` (the
    column of an edge list that names the focal unit), ``transform`` (``r`` row-standardised, ``b``, ``d``,
    ``v``, ``o`` original) and ``islands``. See docs/methods/spatial-weights.md.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "contiguity"
    k: int = 4
    power: float = 1.0
    threshold: float | None = None
    #: economic / nested: the panel column (e.g. GDP per capita) whose mean over ``years`` is x̄_i
    variable: str | None = None
    #: economic / nested: [first, last] year of the mean (or a list of years); default every panel year
    years: list[int] | None = None
    file: str | None = None
    id_field: str | None = None
    transform: str = "r"
    islands: str = "report"

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        k = str(v).strip().lower().replace("-", "_")
        k = "contiguity" if k == "queen" else k
        if k not in STUDY_KINDS:
            near = _near(str(v), [*STUDY_KINDS, "queen"])
            raise ValueError(f"unknown kind {v!r}; choose one of {', '.join(STUDY_KINDS)}{near}")
        return k

    @field_validator("islands")
    @classmethod
    def _known_islands(cls, v: str) -> str:
        if v not in ISLANDS:
            raise ValueError(f"islands must be one of {', '.join(ISLANDS)}, got {v!r}")
        return v

    @field_validator("transform")
    @classmethod
    def _known_transform(cls, v: str) -> str:
        if str(v).lower() not in TRANSFORMS:
            raise ValueError(f"unknown transform {v!r}; choose one of {', '.join(TRANSFORMS)} (r = row-standardised)")
        return str(v).lower()


@dataclass(frozen=True)
class WeightsInfo:
    """What :func:`build_weights` built: kind, study label, (zh, en) description, notes (islands …)."""

    kind: str
    label: str
    text: tuple[str, str]
    notes: tuple[str, ...] = ()

    def describe(self, lang: str = "en") -> str:
        return self.text[0] if lang == "zh" else self.text[1]


def weights_info(w: W) -> WeightsInfo | None:
    """The :class:`WeightsInfo` of weights made by :func:`build_weights` (None for other W)."""
    return getattr(w, "nqpf_info", None)


def weights_label(w: W, lang: str = "en") -> str:
    """A one-line description of W: how it was built (if known), units, links, mean neighbours, transform.

    Examples
    --------
    >>> w = build_weights("knn", ["北京", "天津", "河北", "山西", "上海"], kind="province")
    >>> weights_label(w).split("; ")[1]
    '5 units, 20 links, mean neighbours 4.00, transform R'
    >>> weights_label(w).split(", row")[0]
    'k nearest neighbours (k = 4, great-circle distance, bundled province centroids)'
    """
    info = weights_info(w)
    if lang == "zh":
        tail = f"{w.n} 个单元，{w.nonzero} 条连接，平均邻居数 {w.mean_neighbors:.2f}，变换 {w.transform}"
        return f"{info.describe('zh')}；{tail}" if info else tail
    tail = f"{w.n} units, {w.nonzero} links, mean neighbours {w.mean_neighbors:.2f}, transform {w.transform}"
    return f"{info.describe('en')}; {tail}" if info else tail


def weights_notes(w: W) -> list[str]:
    """Notes of weights made by :func:`build_weights` (islands joined or kept, file units left out …)."""
    info = weights_info(w)
    return list(info.notes) if info else []


# -- unit names of a kind ----------------------------------------------------------------------
def resolve_unit_names(names: Sequence[str], kind: str) -> list[str | None]:
    """The canonical unit id of each name for unit ``kind`` (None: the name resolves to no unit).

    The one place weights resolve names: through ``nqpf.core.units.resolve_units(names, kind)`` (names with or
    without suffixes, codes, renames; a city list is never matched against provinces). Where that is not
    available: provinces through ``match_province`` (any alias, code), other kinds by exact name.

    Examples
    --------
    >>> resolve_unit_names(["北京市", "Beijing", "Beijng"], "province")
    ['北京', '北京', None]
    """
    resolve = getattr(units_module, "resolve_units", None)
    if resolve is not None:
        try:
            return list(resolve(list(names), kind, unique=False).ids)
        except DataError:  # some name resolves to no unit: name by name
            out: list[str | None] = []
            for n in names:
                try:
                    out.append(resolve([n], kind, unique=False).ids[0])
                except DataError:
                    out.append(None)
            return out
    return [_try_province(str(n).strip()) if kind == "province" else (str(n).strip() or None) for n in names]


def _near(name: str, pool: Sequence[str]) -> str:
    near = difflib.get_close_matches(str(name), [str(p) for p in pool], n=3, cutoff=0.5)
    return f" (near: {', '.join(near)})" if near else ""


def _match_strict(ids: Sequence[str], universe: Sequence[str], kind: str, what: str, fix: str,
                  where: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map every id of a weights source onto a unit of ``universe``; every universe unit must be hit.

    Unknown ids and universe units without an id both raise DataError naming them with near matches.
    """
    canon_u = dict(zip(resolve_unit_names(universe, kind), universe, strict=True))
    exact = set(universe)
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for i, c in zip(ids, resolve_unit_names(ids, kind), strict=True):
        u = i if i in exact else (canon_u.get(c) if c is not None else None)
        if u is None:
            unknown.append(i)
        else:
            mapping[i] = u
    where = where or {}
    if unknown:
        shown = "; ".join(f"{i!r}" + (f" ({where[i]})" if i in where else "") + _near(i, universe)
                          for i in unknown[:12])
        more = f" and {len(unknown) - 12} more" if len(unknown) > 12 else ""
        raise DataError(f"{what}: {len(unknown)} unit(s) that are not units of the panel: {shown}{more}. {fix}")
    by_unit: dict[str, list[str]] = {}
    for i, u in mapping.items():
        by_unit.setdefault(u, []).append(i)
    dup = {u: v for u, v in by_unit.items() if len(v) > 1}
    if dup:
        u, v = next(iter(dup.items()))
        raise DataError(f"{what}: {', '.join(map(repr, v))} all name the unit {u!r}; list each unit once")
    lacking = [u for u in universe if u not in by_unit]
    if lacking:
        shown = "; ".join(f"{u!r}" + _near(u, list(ids)) for u in lacking[:12])
        more = f" and {len(lacking) - 12} more" if len(lacking) > 12 else ""
        raise DataError(f"{what} has no entry for {len(lacking)} unit(s) of the panel: {shown}{more}. {fix}")
    return mapping


# -- reading weights files ---------------------------------------------------------------------
_FOCAL = ("unit", "focal", "origin", "source", "from", "id")
_NEIGHBOR = ("neighbor", "neighbour", "destination", "target", "to")


def _read_grid(path: Path) -> list[list[str]]:
    """The cells of a CSV or the first sheet of a workbook as text, without interpreting a header."""
    ext = path.suffix.lower()
    try:
        if ext in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(excel_file(Path(path)), header=None, dtype=str, sheet_name=0)
        else:
            df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise DataError(f"weights file {path.name}: cannot be read ({e})") from None
    rows = [["" if pd.isna(v) else str(v).strip() for v in r] for r in df.itertuples(index=False)]
    rows = [r for r in rows if any(r)]
    if not rows:
        raise DataError(f"weights file {path.name} is empty")
    return rows


def _col_name(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _is_matrix(rows: list[list[str]]) -> bool:
    n = len(rows) - 1
    if n < 2 or any(len(r) != n + 1 for r in rows):
        return False
    cols, names = rows[0][1:], [r[0] for r in rows[1:]]
    return set(cols) == set(names) and len(set(names)) == n


Edges = tuple[dict[str, list[str]], dict[str, list[float]], dict[str, str]]


def _matrix_edges(rows: list[list[str]], name: str) -> Edges:
    """An n × n matrix: unit names in the first row and the first column, w_ij in row i, column j."""
    cols = rows[0][1:]
    nb: dict[str, list[str]] = {}
    wt: dict[str, list[float]] = {}
    where: dict[str, str] = {}
    for r, row in enumerate(rows[1:], start=2):
        i = row[0]
        where[i] = f"row {r}"
        nb[i], wt[i] = [], []
        for c, (j, cell) in enumerate(zip(cols, row[1:], strict=True), start=1):
            try:
                x = float(cell) if cell else 0.0
            except ValueError:
                raise DataError(f"weights file {name}, row {r} ({i}), column {_col_name(c)} ({j}): {cell!r} is "
                                "not a number") from None
            if not np.isfinite(x) or x < 0:
                raise DataError(f"weights file {name}, row {r} ({i}), column {_col_name(c)} ({j}): weights must be "
                                f"finite and non-negative, got {cell!r}")
            if j == i:
                if x != 0:
                    raise DataError(f"weights file {name}, row {r}: the diagonal w({i}, {i}) = {cell} must be 0 "
                                    "(a unit is not its own neighbour)")
            elif x != 0:
                nb[i].append(j)
                wt[i].append(x)
    return nb, wt, where


def _edge_list(rows: list[list[str]], name: str, focal_col: str | None = None) -> Edges:
    """An edge list with a header: unit, neighbor[, weight]; an empty neighbour lists a unit with none."""
    head = [h.lower() for h in rows[0]]
    if focal_col is not None:
        if focal_col.lower() not in head:
            raise DataError(f"weights file {name}: no column {focal_col!r} (id_field); columns: "
                            f"{', '.join(rows[0])}")
        fi = head.index(focal_col.lower())
    else:
        fi = next((head.index(c) for c in _FOCAL if c in head), 0)
    ni = next((head.index(c) for c in _NEIGHBOR if c in head), 1 if fi != 1 else 0)
    if len(head) < 2 or fi == ni:
        raise DataError(f"weights file {name}: an edge list needs the columns unit, neighbor[, weight]; "
                        f"found {', '.join(rows[0])}")
    wi = head.index("weight") if "weight" in head else None
    nb: dict[str, list[str]] = {}
    wt: dict[str, list[float]] = {}
    where: dict[str, str] = {}
    for r, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(head) - len(row))
        a, b = row[fi], row[ni]
        if not a:
            raise DataError(f"weights file {name}, line {r}: the unit is empty")
        nb.setdefault(a, [])
        wt.setdefault(a, [])
        where.setdefault(a, f"line {r}")
        if not b:
            continue
        where.setdefault(b, f"line {r}")
        nb.setdefault(b, [])
        wt.setdefault(b, [])
        try:
            x = 1.0 if wi is None or row[wi] == "" else float(row[wi])
        except ValueError:
            raise DataError(f"weights file {name}, line {r}: weight {row[wi]!r} is not a number") from None
        if not np.isfinite(x) or x < 0:
            raise DataError(f"weights file {name}, line {r}: weights must be finite and non-negative, got {x}")
        if a == b:
            raise DataError(f"weights file {name}, line {r}: {a!r} is listed as its own neighbour")
        nb[a].append(b)
        wt[a].append(x)
    return nb, wt, where


def read_weights_file(path: str | Path, id_field: str | None = None) -> tuple[Edges, str]:
    """Neighbours, weights and where each id appears in a weights file, and the format read.

    Formats: GAL and GWT (read by libpysal), a CSV edge list ``unit, neighbor[, weight]`` (header row;
    ``id_field`` names the focal column), and an n × n matrix as CSV or XLSX with the unit names in the
    first row and the first column (detected: the first row and column list the same n names).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"weights file {str(p)!r} not found")
    ext = p.suffix.lower()
    if ext in (".gal", ".gwt"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                import libpysal

                f = libpysal.io.open(str(p), "r")
                try:
                    wf = f.read()
                finally:
                    f.close()
            except Exception as e:  # libpysal raises bare exceptions on malformed files
                raise DataError(f"weights file {p.name}: not a valid {ext[1:].upper()} file ({e})") from None
        nb = {str(k): [str(n) for n in v] for k, v in wf.neighbors.items()}
        wt = {str(k): [float(x) for x in v] for k, v in wf.weights.items()}
        return (nb, wt, {}), ext[1:].upper()
    if ext not in (".csv", ".txt", ".xlsx", ".xlsm", ".xls"):
        raise DataError(f"weights file {p.name}: unknown format {ext!r}; use .gal, .gwt, .csv (edge list or "
                        "n × n matrix) or .xlsx (n × n matrix or edge list)")
    rows = _read_grid(p)
    if _is_matrix(rows):
        return _matrix_edges(rows, p.name), "n × n matrix"
    n, m = len(rows) - 1, max(len(r) for r in rows)
    if m > 3 and n + 1 == m:
        a, b = set(rows[0][1:]), {r[0] for r in rows[1:]}
        raise DataError(f"weights file {p.name}: an n × n matrix needs the same unit names in the first row and "
                        f"the first column; only in the first row: {', '.join(sorted(a - b)) or '-'}; only in the "
                        f"first column: {', '.join(sorted(b - a)) or '-'}")
    if m > 3 and _not_edge_header(rows[0]):
        raise DataError(f"weights file {p.name}: neither an n × n matrix ({n} rows of units, {m - 1} columns; the "
                        "first row and first column must list the same units) nor an edge list (columns unit, "
                        "neighbor[, weight])")
    return _edge_list(rows, p.name, id_field), "edge list"


def _not_edge_header(header: list[str]) -> bool:
    """True unless the header names a unit column and a neighbour column."""
    head = [h.lower() for h in header]
    return not (any(c in head for c in _FOCAL) and any(c in head for c in _NEIGHBOR))


# -- where the units are: bundled tables or the study's [geography] -----------------------------
def _no_geometry(kind: str, need: str) -> DataError:
    return DataError(
        f"no bundled geometry for kind {kind!r}; give [geography] or a weights file ({need}: in the study file "
        "add [geography] with file = \"<outlines .geojson/.shp>\" (and id_field) or coordinates = \"<CSV unit, "
        "lon, lat>\", or a [weights.<label>] with kind = \"file\" and file = \"<.gal/.gwt/.csv/.xlsx>\")")


def _geo_path(name: str, base: Path | None, what: str) -> Path:
    p = Path(name)
    if base is not None and not p.is_absolute():
        p = base / p
    if not p.exists():
        raise DataError(f"{what} {str(p)!r} not found")
    return p


@dataclass
class _Places:
    """The units' locations and outlines for one weights build (read lazily, once)."""

    units: list[str]
    kind: str
    geography: Any = None
    base: Path | None = None
    notes: list[str] = field(default_factory=list)
    _xy: np.ndarray | None = None
    _shapes: list[Any] | None = None
    _geo: Any = None

    @property
    def user_file(self) -> str | None:
        return getattr(self.geography, "file", None)

    @property
    def user_points(self) -> str | None:
        return getattr(self.geography, "coordinates", None)

    def source(self, lang: str, points: bool = False) -> str:
        """Where the outlines (or, ``points``, the locations) come from, in words."""
        if self.user_points and points:
            return f"[geography] {Path(self.user_points).name}"
        if self.user_file:
            f = Path(self.user_file).name
            return (f"[geography] {f} 的质心" if lang == "zh" else f"centroids of [geography] {f}") if points \
                else f"[geography] {f}"
        what = kind_words("province" if self._as_provinces() else self.kind, lang).unit
        if lang == "zh":
            return f"nqpf 内置{what}{'质心' if points else '边界'}"
        return f"bundled {what} {'centroids' if points else 'outlines'}"

    def _as_provinces(self) -> bool:
        if self.kind == "province":
            return True
        if self.kind == "other" and all(_try_province(u) is not None for u in self.units):
            return True
        return False

    # user geography: read and matched by nqpf.geo.geometry.user_geometry (one reader for maps and weights) -----
    def _user(self) -> geometry.UserGeometry:
        if self._geo is None:
            self._geo = geometry.user_geometry(self.geography, self.units, self.base)
        return self._geo

    def shapes(self) -> list[Any]:
        if self._shapes is None:
            fc = self._user().features
            if fc is None:
                raise DataError("[geography] gives points only (coordinates); outlines need [geography] file")
            by_id = {str(f["id"]): f for f in fc["features"] if f["properties"].get("in_panel")}
            self._shapes = [shape(by_id[u]["geometry"]) for u in self.units]
        return self._shapes

    def _points_csv(self) -> np.ndarray:
        pts = self._user().points.set_index("id")
        return pts.loc[list(self.units), ["lon", "lat"]].to_numpy(dtype=float)

    # bundled geometry -------------------------------------------------------------------------
    def _bundled(self, what: str) -> Any:
        fn = getattr(geometry, what, None)
        if self.kind not in _BUNDLED_GEOMETRY_KINDS or fn is None:
            raise _no_geometry(self.kind, "weights from locations or borders")
        return fn

    def _bundled_rows(self, ids: list[str], codes: list[str] | None, what: str) -> list[int]:
        pos = {i: k for k, i in enumerate(ids)}
        if codes is not None:
            for k, c in enumerate(codes):
                pos.setdefault(str(c), k)
        out, missing = [], []
        for u in self.units:
            if u in pos:
                out.append(pos[u])
            else:
                missing.append(u)
        if missing:
            shown = "; ".join(f"{m!r}" + _near(m, ids) for m in missing[:12])
            raise DataError(f"{what}: no bundled {self.kind} for {len(missing)} unit(s): {shown}; give "
                            "[geography] (your outlines or coordinates) or a weights file")
        return out

    # locations --------------------------------------------------------------------------------
    def coords(self) -> np.ndarray:
        """(lon, lat) per unit: [geography] points or centroids of its outlines, else the bundled centroids."""
        if self._xy is None:
            if self.user_points:
                self._xy = self._points_csv()
            elif self.user_file:
                self._xy = np.array([[g.centroid.x, g.centroid.y] for g in self.shapes()], dtype=float)
            elif self._as_provinces():
                keys = _province_keys(self.units, "spatial weights")
                self._xy = province_centroids().set_index("name_zh").loc[keys, ["lon", "lat"]].to_numpy(float)
            else:
                c = self._bundled("centroids")(self.kind)
                rows = self._bundled_rows([str(i) for i in c["id"]], [str(x) for x in c["code"]]
                                          if "code" in c else None, "centroids")
                self._xy = c[["lon", "lat"]].to_numpy(dtype=float)[rows]
        return self._xy

    def contiguity(self, rule: str) -> dict[str, list[str]]:
        """Queen or rook neighbours: the [geography] outlines, else the bundled neighbour tables."""
        if self.user_file:
            from libpysal.weights import Queen, Rook

            cls = Queen if rule == "queen" else Rook
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                q = cls.from_iterable(self.shapes(), ids=list(self.units), silence_warnings=True)
            return {str(k): [str(n) for n in v] for k, v in q.neighbors.items()}
        if self.user_points:
            raise DataError(f"{rule} contiguity needs outlines, and [geography] gives points only (coordinates); "
                            "use kind = \"knn\", \"inverse_distance\" or \"distance_band\", or give [geography] file = "
                            "\"<outlines>\"")
        if self._as_provinces():
            keys = _province_keys(self.units, "spatial weights")
            back = dict(zip(keys, self.units, strict=True))
            edges = province_contiguity()
            if rule == "rook":  # a shared border of positive length (the bundled table has no point contacts)
                edges = edges[(edges["border_km"] > 0) | edges["basis"].str.startswith("manual")]
            if self.kind == "other":
                self.notes.append("units read as provinces (bundled province borders)")
        else:
            edges = self._bundled("contiguity")(self.kind, rule)
            back = {u: u for u in self.units}
            self.coords()  # every unit must be a bundled unit of its kind (an island has no edge row)
        nb: dict[str, list[str]] = {u: [] for u in self.units}
        for a, b in zip(edges["unit"], edges["neighbor"], strict=True):
            a, b = str(a), str(b)
            if a in back and b in back and back[b] not in nb[back[a]]:
                nb[back[a]].append(back[b])
        return nb


# -- the kinds ---------------------------------------------------------------------------------
Neighbours = dict[str, list[str]]
Weights = dict[str, list[float]]
EdgeWeight = Callable[[int, int, float], float]
"""``edge_weight(i, j, d_km)``: the weight a kind gives unit j as a neighbour of unit i at distance d (islands)."""


def _g(x: float | None) -> str:
    return f"{float(x):g}" if x is not None else ""


def _pairs(units: list[str], xy: np.ndarray, threshold: float | None, what: str
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordered pairs (i, j), i ≠ j, with their great-circle distance d_ij (km), within ``threshold`` if given.

    With a threshold the candidates come from a k-d tree on unit vectors (the chord length grows with the
    great-circle distance), so large samples never build the n × n matrix; distances are then exact haversines.
    """
    n = len(units)
    if threshold is None:
        d = _great_circle_km(xy)
        i, j = np.nonzero(~np.eye(n, dtype=bool))
        dist = d[i, j]
    else:
        from scipy.spatial import cKDTree

        lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
        pts = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        chord = 2 * np.sin(min(threshold / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9)
        pr = cKDTree(pts).query_pairs(chord, output_type="ndarray")
        i = np.concatenate([pr[:, 0], pr[:, 1]]).astype(int)
        j = np.concatenate([pr[:, 1], pr[:, 0]]).astype(int)
        r = np.radians(xy)
        dist = _haversine(r[i, 0], r[i, 1], r[j, 0], r[j, 1])
        keep = dist <= threshold
        i, j, dist = i[keep], j[keep], dist[keep]
    if np.any(dist <= 0):
        k = int(np.flatnonzero(dist <= 0)[0])
        raise DataError(f"{what} weights: units {units[i[k]]!r} and {units[j[k]]!r} are at the same place; "
                        "distance weights need distinct locations")
    order = np.lexsort((j, i))
    return i[order], j[order], dist[order]


def _sparse(units: list[str], i: np.ndarray, j: np.ndarray, x: np.ndarray) -> tuple[Neighbours, Weights]:
    """Neighbours and weights from ordered pairs (sorted by i) and their weights."""
    nb: Neighbours = {u: [] for u in units}
    wt: Weights = {u: [] for u in units}
    for a, b, v in zip(i.tolist(), j.tolist(), x.tolist(), strict=True):
        nb[units[a]].append(units[b])
        wt[units[a]].append(float(v))
    return nb, wt


def _unit_means(spec: WeightsSpec, units: list[str], panel: Any, what: str) -> tuple[np.ndarray, str]:
    """x̄_i: the mean of ``spec.variable`` over ``spec.years`` per unit, and the span in words."""
    if spec.variable is None:
        raise DataError(f"{what} weights need variable = \"<panel column>\" (e.g. GDP per capita) in their "
                        "[weights.<label>] section")
    if panel is None:
        raise DataError(f"{what} weights need the panel (for variable {spec.variable!r})")
    data = getattr(panel, "data", panel)
    if spec.variable not in data.columns:
        near = difflib.get_close_matches(spec.variable, [str(c) for c in data.columns], n=3, cutoff=0.5)
        cols = ", ".join(map(str, data.columns))
        raise DataError(f"{what} weights: variable {spec.variable!r} is not a column of the panel"
                        + (f" (near: {', '.join(near)})" if near else f"; columns: {cols}"))
    s = data[spec.variable]
    all_years = sorted({int(y) for y in s.index.get_level_values("year")})
    if spec.years is None:
        years = all_years
    elif len(spec.years) == 2:
        years = [y for y in all_years if spec.years[0] <= y <= spec.years[1]]
    else:
        years = [int(y) for y in spec.years]
    bad = [y for y in years if y not in set(all_years)]
    if not years or bad:
        raise DataError(f"{what} weights: year(s) {bad or spec.years} not in the panel "
                        f"({all_years[0]}–{all_years[-1]}); set years = [first, last] within it")
    wide = (s.astype(float).unstack("year").reindex(index=units, columns=years))
    arr = wide.to_numpy(dtype=float)
    if np.isnan(arr).any():
        r, c = np.argwhere(np.isnan(arr))[0]
        raise DataError(f"{what} weights: {spec.variable} is missing for {units[r]} {years[c]} "
                        f"({int(np.isnan(arr).sum())} empty cell(s) in {years[0]}–{years[-1]}); choose years "
                        "where every unit has it (years = [first, last])")
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return arr.mean(axis=1), span


def _economic(units: list[str], spec: WeightsSpec, panel: Any) -> tuple[Neighbours, Weights, tuple[str, str]]:
    """w_ij = 1/|x̄_i − x̄_j| (i ≠ j); equal means are an error (the weight would be infinite)."""
    xbar, span = _unit_means(spec, units, panel, "economic")
    diff = np.abs(xbar[:, None] - xbar[None, :])
    off = ~np.eye(len(units), dtype=bool)
    if np.any(diff[off] == 0):
        i, j = np.argwhere((diff == 0) & off)[0]
        raise DataError(f"economic weights: {units[i]!r} and {units[j]!r} have the same mean {spec.variable} "
                        f"over {span} ({xbar[i]:.6g}), so 1/|x̄_i − x̄_j| is infinite; choose other years or "
                        "another variable")
    i, j = np.nonzero(off)
    nb, wt = _sparse(units, i, j, 1.0 / diff[i, j])
    return nb, wt, (f"经济距离（{spec.variable} {span} 年均值之差的绝对值的倒数）",
                    f"economic distance (1/|difference in mean {spec.variable}, {span}|)")


def _distance_weights(units: list[str], spec: WeightsSpec, places: _Places, panel: Any
                      ) -> tuple[Neighbours, Weights, tuple[str, str], EdgeWeight]:
    """inverse_distance, distance_band and nested weights from great-circle distances between the units."""
    kind = spec.kind
    if spec.threshold is not None and not (np.isfinite(spec.threshold) and spec.threshold > 0):
        raise DataError(f"{kind} weights: threshold must be a positive distance in km, got {spec.threshold!r}")
    if kind == "distance_band" and spec.threshold is None:
        raise DataError("distance_band weights need threshold = <km> (units within it are neighbours)")
    if kind != "distance_band" and not (np.isfinite(spec.power) and spec.power > 0):
        raise DataError(f"{kind} weights: power must be a positive number, got {spec.power!r}")
    i, j, dist = _pairs(units, places.coords(), spec.threshold, kind)
    src_zh, src_en = places.source("zh", points=True), places.source("en", points=True)
    band_zh = f"，{_g(spec.threshold)} km 以内" if spec.threshold is not None else ""
    band_en = f", within {_g(spec.threshold)} km" if spec.threshold is not None else ""
    p = spec.power
    if kind == "distance_band":
        text = (f"距离带（{_g(spec.threshold)} km 以内为 1，球面距离，{src_zh}）",
                f"distance band (1 within {_g(spec.threshold)} km, great-circle distance, {src_en})")
        return (*_sparse(units, i, j, np.ones_like(dist)), text, lambda a, b, d: 1.0)
    inv = dist ** -p
    if kind == "inverse_distance":
        text = (f"反距离（1/d^{_g(p)}，球面距离{band_zh}，{src_zh}）",
                f"inverse distance (1/d^{_g(p)}, great-circle km{band_en}, {src_en})")
        return (*_sparse(units, i, j, inv), text, lambda a, b, d: d ** -p)
    xbar, span = _unit_means(spec, units, panel, "nested")
    if np.any(xbar <= 0):
        i = int(np.flatnonzero(xbar <= 0)[0])
        raise DataError(f"nested weights: mean {spec.variable} of {units[i]!r} over {span} is {xbar[i]:.6g}; the "
                        "economic share x̄_j/x̄ needs a positive variable (e.g. GDP per capita)")
    share = xbar / xbar.mean()
    text = (f"经济地理嵌套（反距离 1/d^{_g(p)}{band_zh} × {spec.variable} {span} 年均值占比，{src_zh}）",
            f"nested economic-geographic (inverse distance 1/d^{_g(p)}{band_en} × share of mean "
            f"{spec.variable}, {span}, {src_en})")
    return (*_sparse(units, i, j, inv * share[j]), text, lambda a, b, d: d ** -p * float(share[b]))


def _file_weights(units: list[str], spec: WeightsSpec, kind: str, panel: Any, base: Path | None,
                  notes: list[str]) -> tuple[Neighbours, Weights, tuple[str, str]]:
    if spec.file is None:
        raise DataError("file weights need file = \"<.gal/.gwt/.csv/.xlsx>\" in their [weights.<label>] section")
    path = _geo_path(spec.file, base, "weights file")
    (nb, wt, where), fmt = read_weights_file(path, spec.id_field)
    universe = list(getattr(panel, "units", None) or units)
    universe += [u for u in units if u not in set(universe)]
    fix = (f"Every unit of {path.name} must be a unit of the panel and every unit of the panel must be in "
           f"{path.name}: correct the names in {path.name} (a unit without neighbours is listed with none: an "
           "empty neighbor cell in an edge list, a row of zeros in a matrix)")
    mapping = _match_strict(list(nb), universe, kind, f"weights file {path.name}", fix, where)
    to_unit = {i: mapping[i] for i in nb}
    keep = set(units)
    out_nb: Neighbours = {u: [] for u in units}
    out_wt: Weights = {u: [] for u in units}
    for i, js in nb.items():
        a = to_unit[i]
        if a not in keep:
            continue
        for j, x in zip(js, wt[i], strict=True):
            b = to_unit[j]
            if b in keep and b != a:
                out_nb[a].append(b)
                out_wt[a].append(x)
    left = [u for u in universe if u not in keep]
    if left:
        notes.append(f"{len(left)} panel unit(s) of {path.name} not analysed here left out of W: "
                     f"{', '.join(left[:8])}{' …' if len(left) > 8 else ''}")
    renamed = [f"{i} → {u}" for i, u in to_unit.items() if i != u and u in keep]
    if renamed:
        notes.append(f"{path.name}: names matched to the panel's: {', '.join(renamed[:8])}"
                     f"{' …' if len(renamed) > 8 else ''}")
    return out_nb, out_wt, (f"文件 {path.name}（{fmt}）", f"from file {path.name} ({fmt})")


def _islands(units: list[str], nb: Neighbours, wt: Weights | None, spec: WeightsSpec, places: _Places,
             edge_weight: EdgeWeight, notes: list[str], label: str) -> tuple[list[str], list[str]]:
    """Apply ``spec.islands`` to units without neighbours; returns the short (zh, en) note for the label."""
    isl = [u for u in units if not nb.get(u)]
    if not isl:
        return [], []
    shown = ", ".join(isl[:10]) + (" …" if len(isl) > 10 else "")
    if spec.islands == "raise":
        raise DataError(f"weights {label!r} ({spec.kind}): {len(isl)} unit(s) without neighbours: {shown}; set "
                        f"islands = \"join\" (link each to its nearest unit) or \"report\" (keep them, spatial lag 0) "
                        f"in [weights.{label}], or use another kind")
    if spec.islands == "report":
        msg = f"weights {label}: {len(isl)} unit(s) without neighbours kept (spatial lag 0): {shown}"
        notes.append(msg)
        warnings.warn(msg, stacklevel=3)
        return [f"无邻居单元 {len(isl)} 个（保留，空间滞后为 0）：{shown}"], [f"{len(isl)} island(s) kept: {shown}"]
    try:
        xy = places.coords()
    except DataError as e:
        raise DataError(f"weights {label!r}: islands = \"join\" needs the units' locations ({e}); or set "
                        f"islands = \"report\" in [weights.{label}]") from None
    pos = {u: k for k, u in enumerate(units)}
    rows = [pos[u] for u in isl]
    d = _great_circle_km(xy[rows], xy)  # islands × units
    d[np.arange(len(rows)), rows] = np.inf
    joined = []
    for r, (u, i) in enumerate(zip(isl, rows, strict=True)):
        j = int(np.argmin(d[r]))
        v, dist = units[j], float(d[r, j])
        for a, b, ia, ib in ((u, v, i, j), (v, u, j, i)):
            if b not in nb[a]:
                nb[a].append(b)
                if wt is not None:
                    wt[a].append(edge_weight(ia, ib, dist))
        joined.append(f"{u} → {v} ({dist:.0f} km)")
    msg = f"weights {label}: {len(isl)} unit(s) without neighbours joined to the nearest unit by centroid distance " \
          f"(both directions): {', '.join(joined)}"
    notes.append(msg)
    links = ", ".join(joined)
    return [f"无邻居单元与最近单元相连：{links}"], [f"islands joined to the nearest unit: {links}"]


def _spec_of(spec: WeightsSpec | str | None, named: Mapping[str, WeightsSpec] | None) -> tuple[str, WeightsSpec]:
    if spec is None:
        return "contiguity", WeightsSpec()
    if isinstance(spec, WeightsSpec):
        return spec.kind, spec
    key = str(spec)
    if named and key in named:
        entry = named[key]
        return key, entry if isinstance(entry, WeightsSpec) else WeightsSpec.model_validate(entry)
    kind = key.lower().replace("-", "_")
    if kind == "queen":
        kind = "contiguity"
    if kind in STUDY_KINDS:
        return key, WeightsSpec(kind=kind)
    labels = sorted(named or {})
    raise DataError(f"weights {key!r} is neither a [weights.*] label of the study "
                    f"({', '.join(labels) if labels else 'the study has none'}) nor a kind "
                    f"({', '.join(STUDY_KINDS)}){_near(key, [*labels, *STUDY_KINDS])}")


def build_weights(spec: WeightsSpec | str | None, units: Sequence[str], *, kind: str = "province",
                  panel: Any = None, named: Mapping[str, WeightsSpec] | None = None, geography: Any = None,
                  base: Path | None = None) -> W:
    """The weights a study-file value asks for, over ``units`` (of unit ``kind``), in that order.

    Parameters
    ----------
    spec : a :class:`WeightsSpec`; a string naming an entry of ``named`` (the study's ``[weights.*]``) or a
        kind with its defaults (contiguity/queen, rook, knn, inverse_distance, distance_band, economic,
        nested, file); None: contiguity.
    units : the units of the analysis, in the order of W (canonical ids of ``kind``).
    kind : the panel's unit kind; it decides the bundled geometry (provinces; cities, counties and
        countries where nqpf bundles them) and how the names of a weights file resolve.
    panel : a :class:`~nqpf.core.panel.Panel`: the variable of economic/nested weights, and the units every
        weights file must cover.
    geography : :class:`nqpf.geo.geometry.GeographySpec`: the user's outlines (GeoJSON, shapefile) or
        points (CSV unit, lon, lat); it replaces the bundled geometry.
    base : folder of the study file (relative paths).

    Returns
    -------
    libpysal.weights.W : ids = ``units``; :func:`weights_label` describes it, :func:`weights_notes` lists
    what was done (islands joined or kept, file units left out).

    Examples
    --------
    >>> w = build_weights("knn", ["北京", "天津", "河北", "山西", "上海"], kind="province")
    >>> w.n, w.transform
    (5, 'R')
    """
    label, spec = _spec_of(spec, named)
    names = _as_units(units, "spatial weights")
    k = spec.kind  # validated and normalised by WeightsSpec
    if spec.file is not None and k != "file":
        raise DataError(f"weights {label!r}: file is read with kind = \"file\", not kind = {k!r}")
    if len(names) < 2:
        raise DataError("spatial weights need at least two units")
    dense = k == "economic" or (k in ("inverse_distance", "nested") and spec.threshold is None)
    if dense and len(names) > DENSE_MAX_UNITS:
        n = len(names)
        raise DataError(f"weights {label!r} ({k}) would link every pair of the {n:,} units ({n * (n - 1):,} links), "
                        f"too many for W (at most {DENSE_MAX_UNITS:,} units without a threshold): "
                        + ("use kind = \"nested\" with threshold = <km>, or knn" if k == "economic" else
                           f"set threshold = <km> in [weights.{label}] (e.g. 300), or use knn"))
    places = _Places(names, kind, geography, base)
    notes: list[str] = []
    wt: Weights | None = None
    edge_weight: EdgeWeight = lambda i, j, dist: 1.0  # noqa: E731
    if k in ("contiguity", "rook"):
        rule = "queen" if k == "contiguity" else "rook"
        nb = places.contiguity(rule)
        text = (f"{_KIND_NAMES[k][0]}（{places.source('zh')}）", f"{_KIND_NAMES[k][1]} ({places.source('en')})")
    elif k == "knn":
        w0 = _knn(names, spec.k, places.coords())
        nb = {u: list(w0.neighbors[u]) for u in names}
        text = (f"k 近邻（k = {spec.k}，球面距离，{places.source('zh', points=True)}）",
                f"k nearest neighbours (k = {spec.k}, great-circle distance, {places.source('en', points=True)})")
    elif k == "economic":
        nb, wt, text = _economic(names, spec, panel)
    elif k == "file":
        nb, wt, text = _file_weights(names, spec, kind, panel, base, notes)
    else:
        nb, wt, text, edge_weight = _distance_weights(names, spec, places, panel)
    zh_isl, en_isl = _islands(names, nb, wt, spec, places, edge_weight, notes, label)
    notes = places.notes + notes
    w = _w_from(names, nb, wt)
    w.transform = str(spec.transform).lower()
    tr = _TRANSFORM_NAMES[str(w.transform).upper()]
    head = "" if label.lower() in (k, "queen") else f"{label}: "
    zh = f"{head}{text[0]}，{tr[0]}" + "".join(f"；{x}" for x in zh_isl)
    en = f"{head}{text[1]}, {tr[1]}" + "".join(f"; {x}" for x in en_isl)
    w.nqpf_info = WeightsInfo(k, label, (zh, en), tuple(notes))
    return w
