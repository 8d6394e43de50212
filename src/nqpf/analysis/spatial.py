"""Spatial autocorrelation of index scores: spatial weights, global Moran's I (全局莫兰指数) and LISA (局部莫兰指数).

The statistics are computed by PySAL (``esda.Moran``, ``esda.Moran_Local``) on ``libpysal.weights.W``
objects; this module only builds the weights for China's provinces (or user geometry / weights files) and
wires panel data onto them: unit order of the data to ``w.id_order``, one cross-section per year, the
weights' own transformation (row standardisation by default), reproducible permutation seeds.

References
----------
- Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37(1/2), 17–23.
- Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion (moments of I).
- Anselin, L. (1995). Local indicators of spatial association—LISA. *Geographical Analysis* 27(2), 93–115.
- Rey, S. J. & Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
  *The Review of Regional Studies* 37(1), 5–27.
"""

from __future__ import annotations

import difflib
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.errors import DataError
from nqpf.core.interface import Result
from nqpf.core.stars import stars
from nqpf.datasets import match_province

if TYPE_CHECKING:
    from nqpf.result import IndexResult

__all__ = [
    "EARTH_RADIUS_KM",
    "LisaResult",
    "MoranResult",
    "lisa",
    "moran",
    "spatial_weights",
]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), for great-circle distances
WEIGHT_KINDS = ("contiguity", "knn", "inverse_distance", "file")
TRANSFORMS = ("r", "b", "d", "v", "o")
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda.Moran_Local.q with geoda_quads=False
QUADRANTS_ZH = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低"}
NOT_SIGNIFICANT = "not significant"
NOT_SIGNIFICANT_ZH = "不显著"
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


def _match_ids(units: Sequence[str], available: Sequence[str], what: str) -> list[str]:
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
    from shapely.geometry import shape

    feats = _load_geojson(geojson)
    ids = _feature_ids(feats, id_field)
    hit = _match_ids(units, ids, "the GeoJSON")
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
    from nqpf.geo.geometry import province_centroids

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
    from nqpf.geo.geometry import province_contiguity

    keys = _province_keys(units, "spatial weights")
    back = dict(zip(keys, units, strict=True))
    edges = province_contiguity()
    nb: dict[str, list[str]] = {u: [] for u in units}
    for a, b in zip(edges["unit"], edges["neighbor"], strict=True):
        if a in back and b in back:
            nb[back[a]].append(back[b])
    return _w_from(units, nb, None)


def _contiguity_geojson(units: list[str], geojson: Any, id_field: str | None) -> W:
    from libpysal.weights import Queen

    geoms = _geojson_geometries(units, geojson, id_field)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = Queen.from_iterable(geoms, ids=list(units), silence_warnings=True)
    return _w_from(units, {str(k): v for k, v in q.neighbors.items()}, None)


def _knn(units: list[str], k: int, coords: np.ndarray) -> W:
    from libpysal.weights import KNN

    n = len(units)
    if not isinstance(k, (int, np.integer)) or k < 1 or k >= n:
        raise DataError(f"knn weights: k must be an integer between 1 and {n - 1} for {n} units, got {k!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = KNN.from_array(coords, k=int(k), ids=list(units), distance_metric="arc", radius=EARTH_RADIUS_KM,
                            silence_warnings=True)
    return _w_from(units, {str(a): v for a, v in kw.neighbors.items()}, None)


def _inverse_distance(units: list[str], power: float, threshold: float | None, coords: np.ndarray) -> W:
    from libpysal.weights import DistanceBand

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
        import libpysal

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
    ids = _match_ids(units, list(nb), f"weights file {path.name}")
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
# panel data onto the weights
# ==============================================================================================
def _long_frame(result_or_frame: IndexResult | pd.DataFrame, column: str) -> pd.DataFrame:
    scores = getattr(result_or_frame, "scores", None)
    if isinstance(scores, pd.DataFrame):
        df = scores
        what = "IndexResult.scores"
    elif isinstance(result_or_frame, pd.DataFrame):
        df = result_or_frame
        what = "the data frame"
        if ("unit" not in df.columns or "year" not in df.columns) and {"unit", "year"} <= set(df.index.names):
            df = df.reset_index()
    else:
        raise DataError("pass an IndexResult or a DataFrame with columns unit, year and the value column")
    missing = [c for c in ("unit", "year", column) if c not in df.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{what}: {column!r} is not numeric for {df['unit'].iat[k]} {df['year'].iat[k]} "
                        f"({df[column].iat[k]!r})")
    out = pd.DataFrame({"unit": df["unit"].astype(str).to_numpy(), "year": df["year"].to_numpy(),
                        "value": values.to_numpy(dtype=float)})
    try:
        out = out.assign(year=out["year"].astype(int))
    except (TypeError, ValueError):
        raise DataError(f"{what}: column 'year' must hold integer years") from None
    dup = out[out.duplicated(["unit", "year"], keep=False)]
    if not dup.empty:
        u, y = dup.iloc[0]["unit"], dup.iloc[0]["year"]
        raise DataError(f"{what}: {len(dup)} duplicated unit-year rows, e.g. {u} {y}")
    return out


def _panel_matrix(
    data: pd.DataFrame, w: W, years: Sequence[int] | None, column: str
) -> tuple[np.ndarray, list[int], list[str]]:
    """Values as an (n_units, n_years) array with rows in ``w.id_order``; the data's unit names per row."""
    data_units = list(dict.fromkeys(data["unit"]))
    ids = [str(i) for i in w.id_order]
    hit = _match_ids(data_units, ids, "the spatial weights")
    to_w = dict(zip(data_units, hit, strict=True))
    lacking = [i for i in ids if i not in set(hit)]
    if lacking:
        raise DataError(
            f"the spatial weights have {len(lacking)} unit(s) with no {column!r} data: {', '.join(lacking)}; "
            "build the weights for the data's units: spatial_weights(<units of the data>)"
        )
    all_years = sorted(set(data["year"]))
    if years is None:
        use_years = all_years
    else:
        use_years = [int(y) for y in years]
        bad = [y for y in use_years if y not in set(all_years)]
        if bad:
            raise DataError(f"year(s) {bad} not in the data; available: {all_years[0]}–{all_years[-1]}")
    wide = (data.assign(unit=data["unit"].map(to_w))
            .pivot(index="unit", columns="year", values="value")
            .reindex(index=ids, columns=use_years))
    arr = wide.to_numpy(dtype=float)
    if np.isnan(arr).any():
        r, c = np.argwhere(np.isnan(arr))[0]
        n_bad = int(np.isnan(arr).sum())
        back = {v: k for k, v in to_w.items()}
        raise DataError(
            f"{column!r} is missing for {back[ids[r]]} in {use_years[c]} ({n_bad} unit-year(s) in all); "
            "Moran's I needs every unit of the weights in every year: impute, or drop the year/unit"
        )
    for c, y in enumerate(use_years):
        if np.ptp(arr[:, c]) == 0:
            raise DataError(f"{column!r} is the same for every unit in {y}; spatial autocorrelation is undefined")
    back = {v: k for k, v in to_w.items()}
    return arr, use_years, [back[i] for i in ids]


class _seeded:
    """Seed NumPy's global generator (used by esda.Moran's permutations) and restore it afterwards."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.state = np.random.get_state()  # noqa: NPY002 - esda.Moran draws from the legacy global RNG
        if self.seed is not None:
            np.random.seed(self.seed)  # noqa: NPY002

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.state)  # noqa: NPY002


def _weights_label(w: W) -> str:
    return f"{w.n} units, {w.nonzero} links, mean neighbours {w.mean_neighbors:.2f}, transform {w.transform}"


# ==============================================================================================
# global Moran's I
# ==============================================================================================
@dataclass
class MoranResult(Result):
    """Global Moran's I (全局莫兰指数) per year; Moran (1950, Biometrika 37), moments Cliff & Ord (1981).

    Attributes (arrays aligned with ``years``)
    ----------
    I : Moran's I.    EI : its expectation −1/(n−1) under the null.
    VI_norm, z_norm, p_norm : variance, z-value and two-sided p-value under normality.
    p_sim : pseudo p-value from ``permutations`` random permutations (one-sided, folded; esda).
    EI_sim, z_sim, p_z_sim : mean of the permutation distribution, z and p based on it.
    n : units; column : the variable; weights : a description of W; stats : the esda.Moran objects.
    """

    years: list[int]
    I: np.ndarray
    EI: np.ndarray
    VI_norm: np.ndarray
    z_norm: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray
    EI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    n: int
    column: str
    permutations: int
    seed: int | None
    weights: str
    units: list[str] = field(default_factory=list)
    stats: dict[int, Any] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per year: I, EI, VI_norm, z_norm, p_norm, p_sim, EI_sim, z_sim, p_z_sim, n."""
        return pd.DataFrame({
            "year": self.years, "I": self.I, "EI": self.EI, "VI_norm": self.VI_norm, "z_norm": self.z_norm,
            "p_norm": self.p_norm, "p_sim": self.p_sim, "EI_sim": self.EI_sim, "z_sim": self.z_sim,
            "p_z_sim": self.p_z_sim, "n": self.n,
        })

    def summary(self) -> str:
        """A text table of Moran's I by year with significance stars (p_norm; * 10%, ** 5%, *** 1%)."""
        lines = [
            f"Global Moran's I (全局莫兰指数) of {self.column!r}",
            f"weights: {self.weights}; permutations: {self.permutations} (seed {self.seed})",
            f"{'year':>6} {'I':>9} {'E[I]':>9} {'z':>8} {'p_norm':>8} {'p_sim':>8}",
        ]
        for k, y in enumerate(self.years):
            p = self.p_norm[k]
            star = stars(p)
            ps = f"{self.p_sim[k]:8.4f}" if self.permutations else f"{'–':>8}"
            lines.append(f"{y:>6} {self.I[k]:9.4f} {self.EI[k]:9.4f} {self.z_norm[k]:8.3f} "
                         f"{p:8.4f} {ps} {star}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"MoranResult({self.column!r}, years={self.years[0]}-{self.years[-1]}, n={self.n})"


def _weights_for(data: pd.DataFrame, w: W | None) -> W:
    if w is not None:
        if not isinstance(w, W):
            raise DataError(f"w must be a libpysal.weights.W (see spatial_weights), got {type(w).__name__}")
        return w
    return spatial_weights(list(dict.fromkeys(data["unit"])), kind="contiguity")


def moran(
    result_or_frame: IndexResult | pd.DataFrame,
    w: W | None = None,
    column: str = "score",
    permutations: int = 999,
    seed: int | None = 0,
    *,
    years: Sequence[int] | None = None,
) -> MoranResult:
    """Global Moran's I (全局莫兰指数) of ``column`` for each year, via ``esda.Moran``.

    Moran (1950, Biometrika 37(1/2)); inference Cliff & Ord (1981); engine esda (Rey & Anselin 2007).

    ``result_or_frame`` is an IndexResult (its ``scores``) or a DataFrame with columns unit, year and
    ``column``. ``w`` defaults to queen contiguity of the data's units (``spatial_weights(units)``); its own
    transformation is used (row-standardised unless you set another). Every unit of ``w`` needs a value in
    every year analysed. Permutations use NumPy's global generator seeded with ``seed`` for each year (and
    restored afterwards), so a year gives the same p_sim whichever other years are analysed.
    """
    from esda.moran import Moran

    data = _long_frame(result_or_frame, column)
    w = _weights_for(data, w)
    arr, yrs, units = _panel_matrix(data, w, years, column)
    tr = w.transform
    stats: dict[int, Any] = {}
    for c, y in enumerate(yrs):
        with _seeded(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            stats[y] = Moran(arr[:, c], w, transformation=tr, permutations=permutations)

    def col(attr: str) -> np.ndarray:
        return np.array([float(getattr(stats[y], attr, np.nan)) for y in yrs])

    return MoranResult(
        years=yrs, I=col("I"), EI=col("EI"), VI_norm=col("VI_norm"), z_norm=col("z_norm"),
        p_norm=col("p_norm"), p_sim=col("p_sim"), EI_sim=col("EI_sim"), z_sim=col("z_sim"),
        p_z_sim=col("p_z_sim"), n=int(w.n), column=column, permutations=int(permutations), seed=seed,
        weights=_weights_label(w), units=units, stats=stats,
    )


# ==============================================================================================
# LISA
# ==============================================================================================
@dataclass
class LisaResult(Result):
    """Local Moran's I (局部莫兰指数, LISA) per unit and year; Anselin (1995, Geographical Analysis 27(2)).

    ``table`` has one row per unit-year: unit, year, value, z (standardised value), lag_z (its spatial
    lag, W z), Is (local I), q (esda quadrant code 1–4), quadrant (HH/LH/LL/HL), quadrant_zh
    (高-高/低-高/低-低/高-低), p_sim (pseudo p-value, conditional permutations), z_sim, p_z_sim,
    significant (p_sim < alpha), cluster / cluster_zh (the quadrant if significant, else
    "not significant" / 不显著).
    """

    table: pd.DataFrame
    years: list[int]
    alpha: float
    column: str
    permutations: int
    seed: int | None
    weights: str
    stats: dict[int, Any] = field(default_factory=dict, repr=False)

    @property
    def Is(self) -> pd.DataFrame:
        """Local I as a unit × year table."""
        return self.matrix("Is")

    def matrix(self, value: str = "cluster") -> pd.DataFrame:
        """A unit × year table of one column of ``table`` (e.g. cluster labels for a map per year)."""
        units = list(dict.fromkeys(self.table["unit"]))
        return self.table.pivot(index="unit", columns="year", values=value).reindex(units)

    def scatter(self, year: int | None = None) -> pd.DataFrame:
        """Moran scatter plot data for one year: unit, z, lag_z, quadrant, cluster.

        ``attrs["slope"]`` is the least-squares slope of lag_z on z, which equals global Moran's I for
        row-standardised weights.
        """
        if year is None:
            if len(self.years) > 1:
                raise DataError(f"scatter: pass year=, one of {self.years}")
            year = self.years[0]
        if int(year) not in self.years:
            raise DataError(f"scatter: year {year} not in this LISA result ({self.years})")
        t = self.table[self.table["year"] == int(year)]
        out = t[["unit", "z", "lag_z", "quadrant", "cluster"]].reset_index(drop=True)
        z, lz = out["z"].to_numpy(), out["lag_z"].to_numpy()
        out.attrs["slope"] = float(np.dot(z - z.mean(), lz - lz.mean()) / np.dot(z - z.mean(), z - z.mean()))
        out.attrs["year"] = int(year)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The unit-year table (a copy)."""
        return self.table.copy()

    def counts(self) -> pd.DataFrame:
        """Number of units per cluster label and year."""
        order = ["HH", "LL", "LH", "HL", NOT_SIGNIFICANT]
        c = self.table.groupby(["year", "cluster"]).size().unstack(fill_value=0)
        return c.reindex(columns=order, fill_value=0)

    def summary(self) -> str:
        """Cluster counts per year and the members of significant clusters in each year."""
        lines = [
            f"LISA (局部莫兰指数) of {self.column!r}: alpha {self.alpha}, permutations {self.permutations} "
            f"(seed {self.seed})",
            f"weights: {self.weights}",
            f"{'year':>6} {'HH':>4} {'LL':>4} {'LH':>4} {'HL':>4} {'n.s.':>5}",
        ]
        counts = self.counts()
        for y, r in counts.iterrows():
            lines.append(f"{y:>6} {r['HH']:>4} {r['LL']:>4} {r['LH']:>4} {r['HL']:>4} {r[NOT_SIGNIFICANT]:>5}")
        for y in self.years:
            t = self.table[(self.table["year"] == y) & self.table["significant"]]
            if t.empty:
                lines.append(f"{y}: no significant local clusters")
                continue
            parts = [f"{lab} ({QUADRANTS_ZH[lab]}): {', '.join(t.loc[t['cluster'] == lab, 'unit'])}"
                     for lab in ("HH", "LL", "LH", "HL") if (t["cluster"] == lab).any()]
            lines.append(f"{y}: " + "; ".join(parts))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LisaResult({self.column!r}, years={self.years}, alpha={self.alpha})"


def lisa(
    result_or_frame: IndexResult | pd.DataFrame,
    w: W | None = None,
    year: int | Sequence[int] | None = None,
    column: str = "score",
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
) -> LisaResult:
    """Local Moran's I (LISA, 局部莫兰指数) and cluster map labels for one year, several, or all (None).

    Anselin (1995, Geographical Analysis 27(2)); engine ``esda.Moran_Local`` (conditional permutations,
    ``seed`` passed to esda for every year). Quadrants: HH 高-高, LH 低-高, LL 低-低, HL 高-低 (value vs
    the spatial lag of the standardised value); a unit is in a significant cluster when p_sim < alpha.
    """
    from esda.moran import Moran_Local
    from libpysal.weights import lag_spatial

    if not 0 < alpha < 1:
        raise DataError(f"lisa: alpha must be between 0 and 1, got {alpha!r}")
    data = _long_frame(result_or_frame, column)
    w = _weights_for(data, w)
    years = None if year is None else ([int(year)] if np.isscalar(year) else [int(y) for y in year])
    arr, yrs, units = _panel_matrix(data, w, years, column)
    tr = w.transform
    frames, stats = [], {}
    for c, y in enumerate(yrs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ml = Moran_Local(arr[:, c], w, transformation=tr, permutations=permutations, seed=seed,
                             n_jobs=1, keep_simulations=True)
        stats[y] = ml
        z = np.asarray(ml.z, dtype=float)
        quad = [QUADRANTS[int(q)] for q in ml.q]
        p_sim = np.asarray(ml.p_sim, dtype=float) if permutations else np.full(len(units), np.nan)
        sig = p_sim < alpha
        cluster = [q if s else NOT_SIGNIFICANT for q, s in zip(quad, sig, strict=True)]
        frames.append(pd.DataFrame({
            "unit": units, "year": y, "value": arr[:, c], "z": z, "lag_z": lag_spatial(w, z),
            "Is": np.asarray(ml.Is, dtype=float), "q": np.asarray(ml.q, dtype=int), "quadrant": quad,
            "quadrant_zh": [QUADRANTS_ZH[q] for q in quad], "p_sim": p_sim,
            "z_sim": np.asarray(ml.z_sim, dtype=float) if permutations else np.nan,
            "p_z_sim": np.asarray(ml.p_z_sim, dtype=float) if permutations else np.nan,
            "significant": sig, "cluster": cluster,
            "cluster_zh": [QUADRANTS_ZH.get(k, NOT_SIGNIFICANT_ZH) for k in cluster],
        }))
    table = pd.concat(frames, ignore_index=True)
    return LisaResult(table=table, years=yrs, alpha=alpha, column=column, permutations=int(permutations),
                      seed=seed, weights=_weights_label(w), stats=stats)


# ---------------------------------------------------------------------------------------------
# study file: [analyses.moran], [analyses.lisa]
# ---------------------------------------------------------------------------------------------
class MoranOptions(Options):
    """``[analyses.moran]``: the index, the spatial weights, permutations and seed."""

    index: str | None = None
    weights: Literal["contiguity", "knn", "inverse_distance"] = "contiguity"
    knn: int = 4
    permutations: int = 999
    seed: int = 0


@register_analysis("moran", options=MoranOptions, result=MoranResult, section="disparity", order=50,
                   label=("全局空间自相关：Moran's I", "Global spatial autocorrelation: Moran's I"),
                   refs=("moran1950", "cliff1981", "rey2007"))
def _study_moran(ctx: StudyContext, opts: MoranOptions) -> MoranResult:
    _, res = ctx.index(opts.index)
    w = spatial_weights(res.units, kind=opts.weights, k=opts.knn)
    return moran(res, w=w, permutations=opts.permutations, seed=opts.seed)


class LisaOptions(MoranOptions):
    """``[analyses.lisa]``: as moran, plus the significance level of the cluster map."""

    alpha: float = 0.05


@register_analysis("lisa", options=LisaOptions, result=LisaResult, section="disparity", order=60,
                   label=("局部空间自相关：LISA", "Local spatial autocorrelation: LISA"),
                   refs=("anselin1995", "rey2007"))
def _study_lisa(ctx: StudyContext, opts: LisaOptions) -> LisaResult:
    _, res = ctx.index(opts.index)
    w = spatial_weights(res.units, kind=opts.weights, k=opts.knn)
    return lisa(res, w=w, permutations=opts.permutations, seed=opts.seed, alpha=opts.alpha)
