"""Spatial weights (空间权重矩阵) for the units of a panel, as ``libpysal.weights.W`` objects.

Analyses ask for weights here; they do not build them. :func:`spatial_weights` builds queen contiguity
(the bundled province neighbour list, or libpysal's ``Queen`` on user GeoJSON), k nearest neighbours and
inverse distance (great-circle distances between centroids), or reads a GAL/GWT/CSV weights file.
:func:`match_ids` maps a panel's unit names onto the ids of weights (or any id list), accepting every
province alias.

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import libpysal
import numpy as np
import pandas as pd
from libpysal.weights import KNN, DistanceBand, Queen, W
from pydantic import BaseModel, ConfigDict
from shapely.geometry import shape

from nqpf.core.errors import DataError
from nqpf.core.units import match_province
from nqpf.geo.geometry import province_centroids, province_contiguity

__all__ = ["EARTH_RADIUS_KM", "TRANSFORMS", "WEIGHT_KINDS", "WeightsSpec", "build_weights", "match_ids",
           "spatial_weights", "weights_label"]

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
    dup = sorted({u for u in out if out.count(u) > 1})
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


def _great_circle_km(lonlat: np.ndarray) -> np.ndarray:
    """Haversine distances (km) between all pairs of (lon, lat) points."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _w_from(units: list[str], neighbors: dict[str, list[str]], weights: dict[str, list[float]] | None) -> W:
    nb = {u: [str(n) for n in neighbors.get(u, [])] for u in units}
    wt = None if weights is None else {u: [float(x) for x in weights.get(u, [])] for u in units}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
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
        q = Queen.from_iterable(geoms, ids=list(units), silence_warnings=True)
    return _w_from(units, {str(k): v for k, v in q.neighbors.items()}, None)


def _knn(units: list[str], k: int, coords: np.ndarray) -> W:
    n = len(units)
    if not isinstance(k, (int, np.integer)) or k < 1 or k >= n:
        raise DataError(f"knn weights: k must be an integer between 1 and {n - 1} for {n} units, got {k!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
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
        db = DistanceBand(coords, threshold=band, binary=False, alpha=-float(power), ids=list(units),
                          distance_metric="arc", radius=EARTH_RADIUS_KM, silence_warnings=True)
    return _w_from(units, {str(a): v for a, v in db.neighbors.items()},
                   {str(a): v for a, v in db.weights.items()})


def _read_edge_csv(path: Path) -> tuple[dict[str, list[str]], dict[str, list[float]]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = {c.lower(): c for c in df.columns}
    focal = next((cols[c] for c in ("unit", "focal", "origin", "source", "from", "id") if c in cols), None)
    nbr = next((cols[c] for c in ("neighbor", "neighbour", "destination", "target", "to") if c in cols), None)
    if focal is None or nbr is None:
        if df.shape[1] < 2:
            raise DataError(f"weights file {path.name}: needs two columns (unit, neighbor[, weight])")
        focal, nbr = df.columns[0], df.columns[1]
    wcol = cols.get("weight")
    nb: dict[str, list[str]] = {}
    wt: dict[str, list[float]] = {}
    for r, (a, b) in enumerate(zip(df[focal], df[nbr], strict=True), start=2):
        try:
            x = 1.0 if wcol is None else float(df[wcol].iat[r - 2])
        except ValueError:
            raise DataError(f"weights file {path.name}, line {r}: weight {df[wcol].iat[r - 2]!r} "
                            "is not a number") from None
        nb.setdefault(a, []).append(b)
        wt.setdefault(a, []).append(x)
        nb.setdefault(b, [])
        wt.setdefault(b, [])
    return nb, wt


def _from_file(units: list[str], weights_file: str | Path) -> W:
    path = Path(weights_file)
    if not path.exists():
        raise DataError(f"weights file {str(path)!r} not found")
    ext = path.suffix.lower()
    if ext in (".gal", ".gwt"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = libpysal.io.open(str(path), "r")
            try:
                wf = f.read()
            finally:
                f.close()
        nb = {str(k): [str(n) for n in v] for k, v in wf.neighbors.items()}
        wt = {str(k): list(v) for k, v in wf.weights.items()}
    elif ext in (".csv", ".txt"):
        nb, wt = _read_edge_csv(path)
    else:
        raise DataError(f"weights file {path.name}: unknown format {ext!r}; use .gal, .gwt or a .csv edge list")
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




def weights_label(w: W) -> str:
    """A one-line description of W: units, links, mean number of neighbours, transformation."""
    return f"{w.n} units, {w.nonzero} links, mean neighbours {w.mean_neighbors:.2f}, transform {w.transform}"



# ==============================================================================================
# weights from the study file
# ==============================================================================================
class WeightsSpec(BaseModel):
    """One ``[weights.<label>]`` entry of a study file (or the options of a built-in kind).

    Status: interface fixed by the lead; the kinds beyond contiguity/knn/inverse_distance/file, islands
    handling and :func:`build_weights` are implemented by the weights work (issue 12, item 3).

    Study file::

        [weights.queen]
        kind = "contiguity"          # queen; "rook", "knn", "inverse_distance", "distance_band",
                                     # "economic", "nested", "file"
        islands = "join"             # "join" (nearest unit), "report" (keep, say so), "raise"

        [analyses.moran]
        weights = "queen"            # a [weights.*] label, or a kind name with its defaults
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "contiguity"
    k: int = 4
    power: float = 1.0
    threshold: float | None = None
    #: economic distance: the panel column (e.g. GDP per capita) whose mean over ``years`` defines 1/|Δx|
    variable: str | None = None
    years: list[int] | None = None
    file: str | None = None
    id_field: str | None = None
    transform: str = "r"
    islands: str = "report"


def build_weights(spec: WeightsSpec | str | None, units: Sequence[str], *, kind: str = "province",
                  panel: Any = None, named: Mapping[str, WeightsSpec] | None = None, geography: Any = None,
                  base: Path | None = None) -> W:
    """The weights a study-file value asks for, over ``units`` (of unit ``kind``), in that order.

    ``spec``: a :class:`WeightsSpec`; a string naming an entry of ``named`` (the study's ``[weights.*]``)
    or a kind with its defaults ("contiguity", "knn" …); None: contiguity. ``panel`` supplies the variable of
    economic weights; ``geography`` (:class:`nqpf.geo.geometry.GeographySpec`) the user's outlines or points;
    relative file paths are taken from ``base`` (the study file's folder).

    Examples
    --------
    >>> w = build_weights("knn", ["北京", "天津", "河北", "山西", "上海"], kind="province")
    >>> w.n, w.transform
    (5, 'R')
    """
    if spec is None:
        spec = WeightsSpec()
    elif isinstance(spec, str):
        spec = named[spec] if named and spec in named else WeightsSpec(kind=spec)
    file = spec.file
    if file is not None and base is not None and not Path(file).is_absolute():
        file = str(base / file)
    return spatial_weights(list(units), kind=spec.kind, k=spec.k, power=spec.power, threshold=spec.threshold,
                           weights_file=file, transform=spec.transform,
                           islands="keep" if spec.islands == "report" else spec.islands)
