"""Spatial weights from the study file (issue 12, item 3): every kind against a hand calculation, weights files in
every format, islands, strict unit matching, and a study whose [weights.econ] Moran's I uses.

The formulas are those of docs/methods/spatial-weights.md.
"""

from __future__ import annotations

import json
import math

import libpysal
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from nqpf.core.errors import DataError, NqpfError
from nqpf.core.panel import Panel
from nqpf.geo import geometry
from nqpf.geo.geometry import GeographySpec, province_centroids
from nqpf.geo.weights import (
    EARTH_RADIUS_KM,
    WeightsSpec,
    build_weights,
    read_weights_file,
    weights_info,
    weights_label,
    weights_notes,
)
from nqpf.study import load_study
from nqpf.study.runner import run_study
from nqpf.study.spec import StudySpec

PROV6 = ["北京", "天津", "河北", "山东", "上海", "广东"]


def _hav(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km between (lon, lat) points, written out once more (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _xy(units: list[str]) -> dict[str, tuple[float, float]]:
    c = province_centroids().set_index("name_zh")
    return {u: (float(c.at[u, "lon"]), float(c.at[u, "lat"])) for u in units}


def _dense(w) -> dict[tuple[str, str], float]:
    return {(i, j): x for i in w.id_order for j, x in zip(w.neighbors[i], w.weights[i], strict=True)}


def _panel(values: dict[str, list[float]], years=(2020, 2021), kind: str = "other", col: str = "gdp_pc") -> Panel:
    rows = [(u, y, v) for u, vs in values.items() for y, v in zip(years, vs, strict=True)]
    df = pd.DataFrame(rows, columns=["unit", "year", col]).set_index(["unit", "year"])
    return Panel(df, kind=kind)


POINTS = {"A": (120.0, 30.0), "B": (121.0, 30.0), "C": (120.0, 31.5), "D": (123.0, 32.0)}


@pytest.fixture
def points(tmp_path) -> GeographySpec:
    p = tmp_path / "pts.csv"
    p.write_text("unit,lon,lat\n" + "".join(f"{u},{x},{y}\n" for u, (x, y) in POINTS.items()), encoding="utf-8")
    return GeographySpec(coordinates=str(p))


# ==============================================================================================
# each kind against a hand calculation
# ==============================================================================================
def test_economic_weights_by_hand():
    """docs/methods/spatial-weights.md: w_ij = 1/|x̄_i − x̄_j|, x̄_i the mean over the years."""
    panel = _panel({"A": [1, 3], "B": [3, 5], "C": [6, 8], "D": [10, 12]})  # x̄ = 2, 4, 7, 11
    w = build_weights(WeightsSpec(kind="economic", variable="gdp_pc", transform="o"), list("ABCD"), kind="other",
                      panel=panel)
    d = _dense(w)
    assert d[("A", "B")] == pytest.approx(1 / 2) and d[("A", "C")] == pytest.approx(1 / 5)
    assert d[("A", "D")] == pytest.approx(1 / 9) and d[("C", "D")] == pytest.approx(1 / 4)
    assert d[("D", "B")] == pytest.approx(1 / 7) and len(d) == 12
    wr = build_weights(WeightsSpec(kind="economic", variable="gdp_pc"), list("ABCD"), kind="other", panel=panel)
    assert dict(zip(wr.neighbors["A"], wr.weights["A"], strict=True))["B"] == pytest.approx(
        (1 / 2) / (1 / 2 + 1 / 5 + 1 / 9))
    # years = [first, last]: only 2021 (x̄ = 3, 5, 8, 12)
    w21 = build_weights(WeightsSpec(kind="economic", variable="gdp_pc", years=[2021, 2021], transform="o"),
                        list("ABCD"), kind="other", panel=panel)
    assert _dense(w21)[("A", "C")] == pytest.approx(1 / 5) and _dense(w21)[("B", "C")] == pytest.approx(1 / 3)
    assert "economic distance" in weights_label(w) and "2020–2021" in weights_label(w)


def test_economic_weights_errors_name_what_to_do():
    panel = _panel({"A": [1, 3], "B": [2, 2], "C": [6, 8]})  # A and B: both 2
    with pytest.raises(DataError, match=r"'A' and 'B' have the same mean gdp_pc over 2020–2021 \(2\)"):
        build_weights(WeightsSpec(kind="economic", variable="gdp_pc"), list("ABC"), kind="other", panel=panel)
    # the hint: other years → works
    w = build_weights(WeightsSpec(kind="economic", variable="gdp_pc", years=[2021, 2021]), list("ABC"),
                      kind="other", panel=panel)
    assert w.n == 3
    with pytest.raises(DataError, match=r"variable 'gdp_p' is not a column of the panel \(near: gdp_pc\)"):
        build_weights(WeightsSpec(kind="economic", variable="gdp_p"), list("ABC"), kind="other", panel=panel)
    with pytest.raises(DataError, match=r'need variable = "<panel column>"'):
        build_weights("economic", list("ABC"), kind="other", panel=panel)
    gap = _panel({"A": [1, np.nan], "B": [3, 5], "C": [6, 8]})
    with pytest.raises(DataError, match=r"gdp_pc is missing for A 2021 .*years = \[first, last\]"):
        build_weights(WeightsSpec(kind="economic", variable="gdp_pc"), list("ABC"), kind="other", panel=gap)
    w = build_weights(WeightsSpec(kind="economic", variable="gdp_pc", years=[2020, 2020]), list("ABC"),
                      kind="other", panel=gap)
    assert w.n == 3


def test_nested_weights_by_hand(points):
    """docs/methods/spatial-weights.md: W = W_d diag(x̄_1/x̄, …, x̄_n/x̄), W_d inverse distance."""
    panel = _panel({"A": [1, 3], "B": [3, 5], "C": [6, 8], "D": [10, 12]})  # x̄ = 2, 4, 7, 11; mean 6
    w = build_weights(WeightsSpec(kind="nested", variable="gdp_pc", transform="o"), list("ABCD"), kind="other",
                      panel=panel, geography=points)
    share = {"A": 2 / 6, "B": 4 / 6, "C": 7 / 6, "D": 11 / 6}
    d = _dense(w)
    assert len(d) == 12
    for (i, j), x in d.items():
        assert x == pytest.approx(share[j] / _hav(POINTS[i], POINTS[j]), rel=1e-12), (i, j)
    assert "nested economic-geographic" in weights_label(w)
    # with power 2 and a 300 km threshold (A–D ≈ 362 km dropped)
    w2 = build_weights(WeightsSpec(kind="nested", variable="gdp_pc", power=2, threshold=300, transform="o",
                                   islands="raise"), list("ABCD"), kind="other", panel=panel, geography=points)
    assert sorted(w2.neighbors["A"]) == ["B", "C"] and sorted(w2.neighbors["D"]) == ["B", "C"]
    assert dict(zip(w2.neighbors["A"], w2.weights["A"], strict=True))["C"] == pytest.approx(
        share["C"] / _hav(POINTS["A"], POINTS["C"]) ** 2)


def test_distance_band_against_a_haversine_loop():
    """docs/methods/spatial-weights.md: w_ij = 1 when d_ij ≤ threshold (km)."""
    units = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "山东", "河南", "上海", "江苏"]
    xy = _xy(units)
    w = build_weights(WeightsSpec(kind="distance_band", threshold=600, transform="b", islands="raise"), units)
    for i in units:
        expect = {j for j in units if j != i and _hav(xy[i], xy[j]) <= 600}
        assert set(w.neighbors[i]) == expect, i
        assert all(x == 1.0 for x in w.weights[i])
    with pytest.raises(DataError, match=r"distance_band weights need threshold = <km>"):
        build_weights("distance_band", units)


def test_inverse_distance_knn_and_rook(points):
    units = PROV6
    xy = _xy(units)
    w = build_weights(WeightsSpec(kind="inverse_distance", power=1.5, transform="o"), units)
    for (i, j), x in _dense(w).items():
        assert x == pytest.approx(_hav(xy[i], xy[j]) ** -1.5, rel=1e-12)
    wk = build_weights(WeightsSpec(kind="knn", k=1), list("ABCD"), kind="other", geography=points)
    assert wk.neighbors == {"A": ["B"], "B": ["A"], "C": ["A"], "D": ["C"]}  # D–C 289 km < D–B 293 km
    assert _hav(POINTS["D"], POINTS["C"]) < _hav(POINTS["D"], POINTS["B"])
    # the bundled province table has shared borders only: rook = queen
    north = ["北京", "天津", "河北", "山东", "河南", "山西"]
    q, r = build_weights("contiguity", north), build_weights("rook", north)
    assert q.neighbors == r.neighbors and "rook contiguity" in weights_label(r)


def _squares(tmp_path):
    def sq(x: float, y: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}

    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": g}
        for n, g in (("A", sq(0, 0)), ("B", sq(1, 0)), ("C", sq(2, 0)), ("D", sq(3, 1)), ("E", sq(9, 9)))]}
    p = tmp_path / "shapes.geojson"
    p.write_text(json.dumps(fc), encoding="utf-8")
    return p


def test_queen_and_rook_on_user_outlines(tmp_path):
    """D touches C at a corner only: a queen neighbour, not a rook one; E (not in the panel) is ignored."""
    geo = GeographySpec(file=str(_squares(tmp_path)), id_field="name")
    q = build_weights(WeightsSpec(transform="b"), list("DCBA"), kind="other", geography=geo)
    assert {u: set(v) for u, v in q.neighbors.items()} == {"D": {"C"}, "C": {"B", "D"}, "B": {"A", "C"},
                                                          "A": {"B"}}
    with pytest.warns(UserWarning, match="without neighbours kept"):
        r = build_weights(WeightsSpec(kind="rook", islands="report"), list("ABCD"), kind="other", geography=geo)
    assert r.neighbors["D"] == [] and set(r.neighbors["C"]) == {"B"}
    # rook, islands joined: D to its nearest centroid (C), both directions
    rj = build_weights(WeightsSpec(kind="rook", islands="join"), list("ABCD"), kind="other", geography=geo)
    assert rj.neighbors["D"] == ["C"] and "D" in rj.neighbors["C"]
    assert "D → C" in weights_notes(rj)[0]
    with pytest.raises(DataError, match=r"no feature for 1 unit\(s\) of the panel: 'Bb' \(near: B\)"):
        build_weights("contiguity", ["A", "Bb"], kind="other", geography=geo)


def test_shapefile_outlines(tmp_path):
    gpd = pytest.importorskip("geopandas")
    gdf = gpd.read_file(_squares(tmp_path)).set_crs(4326, allow_override=True)
    gdf.to_file(tmp_path / "shapes.shp")
    w = build_weights("rook", list("ABC"), kind="other",
                      geography=GeographySpec(file=str(tmp_path / "shapes.shp"), id_field="name"))
    assert {u: set(v) for u, v in w.neighbors.items()} == {"A": {"B"}, "B": {"A", "C"}, "C": {"B"}}


def test_relative_geography_paths_use_the_study_folder(tmp_path):
    _squares(tmp_path)
    w = build_weights("contiguity", list("ABC"), kind="other",
                      geography=GeographySpec(file="shapes.geojson", id_field="name"), base=tmp_path)
    assert set(w.neighbors["B"]) == {"A", "C"}


# ==============================================================================================
# islands
# ==============================================================================================
def test_islands_join_report_raise():
    units = ["北京", "天津", "河北", "上海"]  # 上海 borders none of them
    xy = _xy(units)
    nearest = min((u for u in units if u != "上海"), key=lambda u: _hav(xy["上海"], xy[u]))
    w = build_weights(WeightsSpec(kind="contiguity", islands="join", transform="b"), units)
    assert w.neighbors["上海"] == [nearest] and "上海" in w.neighbors[nearest]
    (note,) = weights_notes(w)
    assert f"上海 → {nearest} ({_hav(xy['上海'], xy[nearest]):.0f} km)" in note and "both directions" in note
    assert "islands joined" in weights_label(w)
    with pytest.warns(UserWarning, match="without neighbours kept"):
        wr = build_weights(WeightsSpec(kind="contiguity", islands="report"), units)
    assert wr.islands == ["上海"] and "上海" in weights_notes(wr)[0] and "上海" in weights_label(wr, "zh")
    with pytest.raises(DataError, match=r'1 unit\(s\) without neighbours: 上海; set islands = "join"'):
        build_weights("strict", units, named={"strict": WeightsSpec(islands="raise")})
    # inverse distance beyond a threshold: the join uses the kind's weight at that distance
    wi = build_weights(WeightsSpec(kind="inverse_distance", threshold=200, islands="join", transform="o"), units)
    assert _dense(wi)[("上海", nearest)] == pytest.approx(1 / _hav(xy["上海"], xy[nearest]))


# ==============================================================================================
# weights files
# ==============================================================================================
def _write_matrix(w, path, names=None):
    ids = list(w.id_order)
    names = names or ids
    m = pd.DataFrame(0.0, index=names, columns=names)
    for (i, j), x in _dense(w).items():
        m.loc[names[ids.index(i)], names[ids.index(j)]] = x
    if str(path).endswith(".xlsx"):
        m.to_excel(path)
    else:
        m.to_csv(path)


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_matrix_file_round_trip(tmp_path, ext):
    w0 = build_weights(WeightsSpec(kind="inverse_distance", transform="o"), PROV6)
    p = tmp_path / f"w.{ext}"
    _write_matrix(w0, p)
    (_, _, _), fmt = read_weights_file(p)
    assert fmt == "n × n matrix"
    w = build_weights(WeightsSpec(kind="file", file=str(p), transform="o"), PROV6)
    got, want = _dense(w), _dense(w0)
    assert set(got) == set(want) and all(got[k] == pytest.approx(want[k], rel=1e-12) for k in want)
    # province aliases in the file resolve (provinces only), in another order; the matching is noted
    full = {"北京": "北京市", "天津": "天津市", "上海": "Shanghai"}
    _write_matrix(w0, p, [full.get(u, u) for u in PROV6])
    w2 = build_weights(WeightsSpec(kind="file", file=str(p), transform="o"), list(reversed(PROV6)))
    got2 = _dense(w2)
    assert set(got2) == set(want) and all(got2[k] == pytest.approx(v, rel=1e-12) for k, v in want.items())
    assert any("北京市 → 北京" in n for n in weights_notes(w2))


@pytest.mark.parametrize("ext", ["gal", "gwt"])
def test_gal_gwt_round_trip_through_libpysal(tmp_path, ext):
    w0 = build_weights(WeightsSpec(kind="distance_band", threshold=700, transform="b", islands="join"), PROV6)
    p = tmp_path / f"w.{ext}"
    f = libpysal.io.open(str(p), "w")
    f.write(w0)
    f.close()
    w = build_weights(WeightsSpec(kind="file", file=str(p), transform="b"), PROV6)
    assert {u: set(v) for u, v in w.neighbors.items()} == {u: set(v) for u, v in w0.neighbors.items()}
    assert "GAL" in weights_label(w) or "GWT" in weights_label(w)


CITIES = ["苏州市", "无锡市", "常州市", "南京市"]


def test_file_mismatches_both_ways_name_units_and_near_matches(tmp_path):
    panel = _panel({c: [1 + i, 2 + i] for i, c in enumerate(CITIES)}, kind="city")
    p = tmp_path / "edges.csv"
    p.write_text("unit,neighbor\n苏州市,无锡市\n无锡市,苏洲市\n无锡市,常州市\n常州市,无锡市\n常州市,南京市\n"
                 "南京市,常州市\n", encoding="utf-8")
    spec = WeightsSpec(kind="file", file="edges.csv")
    with pytest.raises(DataError) as e:
        build_weights(spec, CITIES, kind="city", panel=panel, base=tmp_path)
    assert "'苏洲市' (line 3) (near: 苏州市)" in str(e.value) and "correct the names in edges.csv" in str(e.value)
    # followed: the name corrected in the file
    p.write_text(p.read_text(encoding="utf-8").replace("苏洲市", "苏州市"), encoding="utf-8")
    w = build_weights(spec, CITIES, kind="city", panel=panel, base=tmp_path)
    assert set(w.neighbors["无锡市"]) == {"苏州市", "常州市"}
    # a panel unit missing from the file
    p.write_text("unit,neighbor\n苏州市,无锡市\n无锡市,苏州市\n常州市,无锡市\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"has no entry for 1 unit\(s\) of the panel: '南京市'"):
        build_weights(spec, CITIES, kind="city", panel=panel, base=tmp_path)
    # followed: a unit without neighbours is listed with an empty neighbour (islands are then reported)
    p.write_text("unit,neighbor\n苏州市,无锡市\n无锡市,苏州市\n常州市,无锡市\n南京市,\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="南京市"):
        w = build_weights(spec, CITIES, kind="city", panel=panel, base=tmp_path)
    assert w.islands == ["南京市"]
    # every panel unit must be in the file, also those the analysis leaves out; they are then noted
    w3 = build_weights(spec, CITIES[:3], kind="city", panel=panel, base=tmp_path)
    assert w3.n == 3 and any("南京市" in n for n in weights_notes(w3))


def test_a_city_list_is_never_matched_to_provinces(tmp_path):
    cities = ["北京市", "天津市", "南京市"]
    panel = _panel({c: [1, 2] for c in cities}, kind="city")
    p = tmp_path / "w.csv"
    p.write_text("unit,neighbor\n北京市,天津市\n天津市,北京市\n江苏省,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"1 unit\(s\) that are not units of the panel: '江苏省' \(line 4\)"):
        build_weights(WeightsSpec(kind="file", file=str(p)), cities, kind="city", panel=panel)
    # the same file read as provinces: 北京市 is 北京, 江苏省 is 江苏
    prov = _panel({c: [1, 2] for c in ["北京", "天津", "江苏"]}, kind="province")
    w = build_weights(WeightsSpec(kind="file", file=str(p), islands="join"), ["北京", "天津", "江苏"],
                      kind="province", panel=prov)
    assert w.neighbors["北京"] == ["天津"] and w.neighbors["江苏"]


def test_matrix_file_errors(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(",A,B,C,D\nA,0,1,0,0\nB,1,0,x,0\nC,0,1,0,1\nD,0,0,1,0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"m.csv, row 3 \(B\), column D \(C\): 'x' is not a number"):
        build_weights(WeightsSpec(kind="file", file=str(p)), list("ABCD"), kind="other")
    p.write_text(",A,B,C,D\nA,0,1,0,0\nB,1,0,1,0\nC,0,1,0,1\nE,0,0,1,0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"only in the first row: D; only in the first column: E"):
        build_weights(WeightsSpec(kind="file", file=str(p)), list("ABCD"), kind="other")
    p.write_text(",A,B,C\nA,1,1,0\nB,1,0,1\nC,0,1,0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"the diagonal w\(A, A\) = 1 must be 0"):
        build_weights(WeightsSpec(kind="file", file=str(p)), list("ABC"), kind="other")


# ==============================================================================================
# geometry by kind
# ==============================================================================================
def test_no_bundled_geometry_is_a_clear_error_and_its_hint_works(tmp_path, monkeypatch, points):
    monkeypatch.delattr(geometry, "contiguity", raising=False)
    monkeypatch.delattr(geometry, "centroids", raising=False)
    with pytest.raises(DataError, match=r"no bundled geometry for kind 'city'; give \[geography\] or a weights"):
        build_weights("contiguity", ["苏州市", "无锡市"], kind="city")
    with pytest.raises(DataError, match=r"no bundled geometry for kind 'firm'"):
        build_weights("knn", ["000001", "600000"], kind="firm")
    # the hint: [geography] points (knn, distance), outlines (contiguity)
    assert build_weights(WeightsSpec(kind="knn", k=1), list("ABCD"), kind="firm", geography=points).n == 4
    with pytest.raises(DataError, match="contiguity needs outlines"):
        build_weights("contiguity", list("ABCD"), kind="firm", geography=points)


def test_bundled_geometry_of_other_kinds_is_used(monkeypatch):
    """Coded against nqpf.geo.geometry.contiguity(kind, rule) and centroids(kind)."""
    cities = ["苏州市", "无锡市", "常州市"]

    def contiguity(kind, rule="queen"):
        assert kind == "city"
        return pd.DataFrame({"unit": ["苏州市", "无锡市", "无锡市", "常州市"],
                             "neighbor": ["无锡市", "苏州市", "常州市", "无锡市"], "border_km": [50.0] * 4})

    def centroids(kind):
        return pd.DataFrame({"id": [*cities, "南京市"], "code": ["320500", "320200", "320400", "320100"],
                             "lon": [120.6, 120.3, 119.9, 118.8], "lat": [31.3, 31.5, 31.8, 32.1]})

    monkeypatch.setattr(geometry, "contiguity", contiguity, raising=False)
    monkeypatch.setattr(geometry, "centroids", centroids, raising=False)
    w = build_weights("contiguity", cities, kind="city")
    assert set(w.neighbors["无锡市"]) == {"苏州市", "常州市"} and "bundled city outlines" in weights_label(w)
    wk = build_weights(WeightsSpec(kind="knn", k=1), cities, kind="city")
    assert wk.neighbors["苏州市"] == ["无锡市"]
    with pytest.raises(DataError, match=r"no bundled city for 1 unit\(s\): '苏洲市' \(near: 苏州市\)"):
        build_weights("knn", ["苏洲市", "无锡市", "常州市"], kind="city")


def test_dense_kinds_on_thousands_of_units_need_a_threshold(monkeypatch, tmp_path):
    import nqpf.geo.weights as wmod

    monkeypatch.setattr(wmod, "DENSE_MAX_UNITS", 3)
    pts = tmp_path / "p.csv"
    pts.write_text("unit,lon,lat\n" + "".join(f"u{i},{120 + i},{30 + (i % 2)}\n" for i in range(5)), encoding="utf-8")
    geo = GeographySpec(coordinates=str(pts))
    units = [f"u{i}" for i in range(5)]
    with pytest.raises(DataError, match=r"'idw' \(inverse_distance\) would link every pair of the 5 units \(20 "
                                        r"links\).*set threshold = <km> in \[weights.idw\]"):
        build_weights("idw", units, kind="firm", geography=geo, named={"idw": WeightsSpec(kind="inverse_distance")})
    w = build_weights("idw", units, kind="firm", geography=geo,  # the hint, followed
                      named={"idw": WeightsSpec(kind="inverse_distance", threshold=300, islands="raise")})
    assert w.n == 5
    with pytest.raises(DataError, match=r'use kind = "nested" with threshold = <km>, or knn'):
        build_weights(WeightsSpec(kind="economic", variable="x"), units, kind="firm")


def test_unknown_weights_value_names_labels_and_kinds():
    with pytest.raises(DataError, match=r"'ecno' is neither a \[weights.\*\] label of the study \(econ\).*"
                                        r"near: econ, economic"):
        build_weights("ecno", PROV6, named={"econ": WeightsSpec(kind="economic", variable="x")})
    with pytest.raises(ValidationError, match=r"unknown kind 'queens'.*near: queen"):
        WeightsSpec(kind="queens")
    with pytest.warns(UserWarning, match="上海, 广东"):
        info = weights_info(build_weights("queen", PROV6))
    assert info is not None and info.kind == "contiguity"


# ==============================================================================================
# a study with [weights.econ] used by Moran's I
# ==============================================================================================
FW = """\
name: cities
title: {zh: 城市创新, en: City innovation}
target: {id: t, name_zh: 创新, name_en: Innovation, indicators: [
  {id: rd, name_zh: 研发强度, name_en: R&D intensity, unit: '%', definition: rd},
  {id: pat, name_zh: 专利, name_en: Patents, unit: items, definition: patents}]}
"""


def test_study_file_weights_sections_are_checked_when_the_study_is_read(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('name = "x"\n[data]\ndataset = "china-provinces"\n[[index]]\nname = "a"\n'
                 'framework = "nqpf-province-core"\n[weights.econ]\nkind = "economc"\nislands = "joinn"\n',
                 encoding="utf-8")
    with pytest.raises(NqpfError) as e:
        load_study(p)
    msg = str(e.value)
    assert "weights.econ.kind" in msg and "unknown kind 'economc'" in msg and "near: economic" in msg
    assert "weights.econ.islands" in msg and "islands must be one of join, report, raise" in msg
    # followed
    p.write_text(p.read_text(encoding="utf-8").replace("economc", "economic").replace("joinn", "join"),
                 encoding="utf-8")
    spec, _ = load_study(p)
    assert spec.weights["econ"].kind == "economic" and spec.weights["econ"].islands == "join"


def test_study_weights_econ_used_by_moran(tmp_path):
    cities = ["苏州市", "无锡市", "常州市", "南京市", "南通市", "扬州市"]
    rng = np.random.default_rng(3)
    rows = [{"city": c, "year": y, "rd": float(rng.uniform(1, 4)), "patents": float(rng.uniform(10, 90)),
             "gdp_pc": 5.0 + 3 * i + 0.5 * (y - 2020)} for i, c in enumerate(cities) for y in (2020, 2021, 2022)]
    pd.DataFrame(rows).to_csv(tmp_path / "cities.csv", index=False)
    (tmp_path / "mine.yaml").write_text(FW, encoding="utf-8")
    raw = {"name": "s", "data": {"path": "cities.csv", "unit": "city", "year": "year", "kind": "city"},
           "index": [{"name": "a", "framework": str(tmp_path / "mine.yaml")}],
           "weights": {"econ": {"kind": "economic", "variable": "gdp_pc", "years": [2020, 2022]}},
           "analyses": {"moran": {"weights": "econ", "permutations": 0}}}
    run = run_study(StudySpec.model_validate(raw), "s.toml", base=tmp_path)
    res = run.analyses["moran"]
    # by hand: x̄_i = 6 + 3i, w_ij = 1/(3|i - j|), row-standardised; Moran's I of each year's scores
    n = len(cities)
    m = np.array([[0 if i == j else 1 / (3 * abs(i - j)) for j in range(n)] for i in range(n)])
    m = m / m.sum(axis=1, keepdims=True)
    scores = run.results["a"].scores
    for k, y in enumerate(res.years):
        x = scores[scores["year"] == y].set_index("unit").loc[cities, "score"].to_numpy()
        z = x - x.mean()
        assert res.I[k] == pytest.approx(n / m.sum() * (z @ m @ z) / (z @ z), rel=1e-10)
    assert "econ: economic distance (1/|difference in mean gdp_pc, 2020–2022|)" in res.weights
    assert "经济距离" in res.weights_zh
    assert "econ: economic distance" in run.records["moran"].spec.methods(res, run.records["moran"].options, "en")
    # an unknown label is a clear error naming the section
    raw["analyses"]["moran"]["weights"] = "eco"
    with pytest.raises(NqpfError, match=r"\[analyses.moran\]: weights 'eco' is neither .*near: econ"):
        run_study(StudySpec.model_validate(raw), "s.toml", base=tmp_path)


def test_study_spatial_panel_and_spatial_markov_take_weights_labels(tmp_path):
    """[models.*] spatial_panel weights and robustness, and spatial_markov, name [weights.*] labels; the
    cities' points come from [geography] coordinates (no bundled geometry needed)."""
    cities = [f"城市{i}" for i in range(8)]
    rng = np.random.default_rng(5)
    rows = [{"city": c, "year": y, "rd": float(rng.uniform(1, 4)), "patents": float(rng.uniform(10, 90)),
             "gdp_pc": 5.0 + 3 * i + 0.5 * (y - 2018) + float(rng.normal(0, 0.1))}
            for i, c in enumerate(cities) for y in range(2018, 2023)]
    pd.DataFrame(rows).to_csv(tmp_path / "cities.csv", index=False)
    (tmp_path / "pts.csv").write_text("unit,lon,lat\n" + "".join(
        f"{c},{118 + 0.4 * i},{31 + 0.3 * (i % 3)}\n" for i, c in enumerate(cities)), encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(FW, encoding="utf-8")
    raw = {"name": "s", "data": {"path": "cities.csv", "unit": "city", "year": "year", "kind": "other"},
           "index": [{"name": "a", "framework": str(tmp_path / "mine.yaml")}],
           "geography": {"coordinates": "pts.csv"},
           "weights": {"econ": {"kind": "economic", "variable": "gdp_pc"},
                       "near": {"kind": "knn", "k": 2}},
           "analyses": {"spatial_markov": {"weights": "near", "k": 2}},
           "models": {"sp": {"model": "spatial_panel", "y": "gdp_pc", "x": ["a"], "kind": "sar", "draws": 50,
                             "weights": "near", "robustness": ["econ", "inverse_distance"]}}}
    run = run_study(StudySpec.model_validate(raw), "s.toml", base=tmp_path)
    sp = run.analyses["sp"]
    assert sp.weights == "knn" and list(sp.robustness.results) == ["near", "econ", "inverse_distance"]
    assert sp.robustness.results["econ"].weights == "economic"
    sm = run.analyses["spatial_markov"]
    assert sm.weights.startswith("near: k nearest neighbours (k = 2, great-circle distance, [geography] pts.csv)")
    assert "near: k nearest" in run.records["spatial_markov"].spec.methods(sm, run.records["spatial_markov"].options,
                                                                           "en")
