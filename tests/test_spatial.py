"""Spatial weights, global Moran's I and LISA (nqpf.analysis.spatial) against esda/libpysal and by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from esda_worker import moran_local as esda_moran_local
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import W, lag_spatial
from result_checks import check_interface, check_methods, run_doctests

from nqpf.analysis.spatial import LisaResult, MoranResult, lisa, local_moran, moran
from nqpf.core.errors import DataError
from nqpf.core.interface import ReportContext
from nqpf.datasets import data_path, provinces
from nqpf.geo.geometry import province_centroids
from nqpf.geo.weights import EARTH_RADIUS_KM, spatial_weights
from nqpf.result import IndexResult

PROV = list(provinces()["name_zh"])
EN = dict(zip(provinces()["name_zh"], provinces()["name_en"], strict=True))
YEARS = [2016, 2017, 2018, 2019, 2020]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Real data: R&D intensity (R&D expenditure / GDP, %) of the 31 provinces, bundled panel, 2016–2020."""
    df = pd.read_csv(data_path("china_provinces_panel.csv"))
    df = df.loc[df["year"].isin(YEARS), ["province", "year", "rd_intensity"]]
    df = df.rename(columns={"province": "unit", "rd_intensity": "score"}).reset_index(drop=True)
    assert len(df) == 31 * len(YEARS) and df["score"].notna().all()
    return df


def _y(df: pd.DataFrame, w: W, year: int) -> np.ndarray:
    return df[df["year"] == year].set_index("unit").loc[list(w.id_order), "score"].to_numpy()


def _haversine(a: np.ndarray, b: np.ndarray) -> float:
    lon1, lat1, lon2, lat2 = map(np.radians, (a[0], a[1], b[0], b[1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)))


# ==============================================================================================
# weights
# ==============================================================================================
def test_contiguity_weights_ids_order_and_row_standardisation():
    units = ["Beijing", "天津市", "130000", "Inner Mongolia", "山西"]
    w = spatial_weights(units)
    assert w.id_order == units and w.transform == "R"
    assert set(w.neighbors["Beijing"]) == {"天津市", "130000"}
    assert set(w.neighbors["Inner Mongolia"]) == {"130000", "山西"}
    for i in units:
        assert sum(w.weights[i]) == pytest.approx(1.0)
    wb = spatial_weights(PROV, transform="b")
    assert wb.n == 31 and wb.s0 == 138 and wb.islands == []
    assert sorted(wb.neighbors["内蒙古"]) == sorted(["黑龙江", "吉林", "辽宁", "河北", "山西", "陕西", "宁夏", "甘肃"])
    assert wb.neighbors["海南"] == ["广东"]


def test_knn_weights_match_haversine_by_hand():
    w = spatial_weights(PROV, kind="knn", k=4, transform="b")
    c = province_centroids().set_index("name_zh")
    xy = c.loc[PROV, ["lon", "lat"]].to_numpy()
    for i, u in enumerate(PROV):
        d = np.array([_haversine(xy[i], xy[j]) if j != i else np.inf for j in range(31)])
        expect = {PROV[j] for j in np.argsort(d)[:4]}
        assert set(w.neighbors[u]) == expect, u
    assert set(w.neighbors["北京"]) == {"天津", "河北", "山西", "山东"}  # by centroid distance
    assert all(len(v) == 4 for v in w.neighbors.values())


def test_inverse_distance_weights_match_hand_values():
    units = ["北京", "上海", "广东", "四川", "新疆"]
    w = spatial_weights(units, kind="inverse_distance", power=2.0, transform="o")
    c = province_centroids().set_index("name_zh").loc[units, ["lon", "lat"]].to_numpy()
    for i, u in enumerate(units):
        got = dict(zip(w.neighbors[u], w.weights[u], strict=True))
        assert set(got) == set(units) - {u}
        for j, v in enumerate(units):
            if j != i:
                assert got[v] == pytest.approx(_haversine(c[i], c[j]) ** -2.0, rel=1e-9)
    # a 1,500 km threshold keeps Beijing–Shanghai (~1,070 km) and drops Beijing–Xinjiang
    wt = spatial_weights(units[:4], kind="inverse_distance", threshold=1500, transform="b")
    assert "上海" in wt.neighbors["北京"] and "广东" not in wt.neighbors["北京"]
    with pytest.raises(DataError, match="新疆"):
        spatial_weights(units, kind="inverse_distance", threshold=1500)


def test_islands_are_reported():
    with pytest.raises(DataError, match=r"without neighbours: 北京, 上海"):
        spatial_weights(["北京", "上海"])
    with pytest.warns(UserWarning, match="海南"):
        w = spatial_weights(["北京", "天津", "海南"], islands="keep")
    assert w.islands == ["海南"]


def test_bad_names_and_arguments():
    with pytest.raises(DataError, match=r"'Beijng'; near matches: beijing → 北京"):
        spatial_weights(["Beijng", "天津"])
    with pytest.raises(DataError, match="same province"):
        spatial_weights(["北京", "Beijing", "天津"])
    with pytest.raises(DataError, match="more than once"):
        spatial_weights(["北京", "北京"])
    with pytest.raises(DataError, match="geojson="):
        spatial_weights(["Shenzhen", "Guangzhou"])
    with pytest.raises(DataError, match="unknown kind"):
        spatial_weights(PROV, kind="rook")
    with pytest.raises(DataError, match="k must be"):
        spatial_weights(PROV[:4], kind="knn", k=4)


def test_weights_file_gal_csv_and_missing_unit(tmp_path):
    import libpysal

    w = spatial_weights(PROV, transform="b")
    gal = tmp_path / "prov.gal"
    f = libpysal.io.open(str(gal), "w")
    f.write(w)
    f.close()
    wg = spatial_weights(PROV, kind="file", weights_file=gal, transform="b")
    assert {u: set(v) for u, v in wg.neighbors.items()} == {u: set(v) for u, v in w.neighbors.items()}
    # the shipped neighbour list is itself a valid CSV edge list; subsets and aliases work
    units = ["Beijing", "Tianjin", "Hebei", "Shandong", "Henan"]
    wc = spatial_weights(units, weights_file=data_path("province_contiguity.csv"))
    wd = spatial_weights(units)
    assert wc.neighbors == wd.neighbors and wc.weights == wd.weights
    # a CSV with weights, and a unit missing from it
    csv = tmp_path / "edges.csv"
    csv.write_text("focal,neighbor,weight\nA,B,2\nB,A,2\nB,C,1\nC,B,1\n", encoding="utf-8")
    we = spatial_weights(["A", "B", "C"], kind="file", weights_file=csv, transform="o")
    assert we.neighbors == {"A": ["B"], "B": ["A", "C"], "C": ["B"]}
    assert we.weights["B"] == [2.0, 1.0]
    with pytest.raises(DataError, match=r"1 unit\(s\) not in weights file edges.csv: 'D'"):
        spatial_weights(["A", "B", "D"], kind="file", weights_file=csv)


def test_contiguity_from_user_geojson():
    """Queen vs the corner: four unit squares, D touches C only at a corner (queen yes, rook no)."""
    def sq(x: float, y: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}

    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": g}
        for n, g in (("A", sq(0, 0)), ("B", sq(1, 0)), ("C", sq(2, 0)), ("D", sq(3, 1)))]}
    w = spatial_weights(["D", "C", "B", "A"], geojson=fc, transform="b")
    assert w.id_order == ["D", "C", "B", "A"]
    assert {u: set(v) for u, v in w.neighbors.items()} == {"D": {"C"}, "C": {"B", "D"}, "B": {"A", "C"},
                                                          "A": {"B"}}
    wk = spatial_weights(["A", "B", "C", "D"], kind="knn", k=1, geojson=fc)
    assert wk.neighbors["A"] == ["B"]
    with pytest.raises(DataError, match="'E'"):
        spatial_weights(["A", "E"], geojson=fc)


# ==============================================================================================
# global Moran's I
# ==============================================================================================
def test_moran_matches_esda_directly(panel):
    w = spatial_weights(PROV)
    res = moran(panel, w, permutations=199, seed=7)
    assert isinstance(res, MoranResult) and res.years == YEARS and res.n == 31
    for k, y in enumerate(YEARS):
        np.random.seed(7)  # noqa: NPY002 - as nqpf seeds esda.Moran
        m = Moran(_y(panel, w, y), w, permutations=199)
        assert res.I[k] == m.I and res.EI[k] == m.EI
        assert res.z_norm[k] == m.z_norm and res.p_norm[k] == m.p_norm
        assert res.p_sim[k] == m.p_sim and res.z_sim[k] == m.z_sim
    # positive, significant clustering of R&D intensity (east-coast high, west low)
    assert (res.I > 0.2).all() and (res.p_norm < 0.05).all()
    f = res.to_frame()
    assert list(f["year"]) == YEARS and {"I", "EI", "z_norm", "p_norm", "p_sim"} <= set(f.columns)
    s = res.summary()
    assert "全局莫兰指数" in s and "2020" in s and f"{res.I[-1]:.4f}" in s


def test_moran_by_hand_on_a_line():
    """Four units on a line a–b–c–d, y = 1,2,3,4, row-standardised: I = 2/5, E[I] = −1/3 (hand calculation:
    z = (−1.5, −.5, .5, 1.5), Wz = (−.5, −.5, .5, .5), I = (n/S0) z'Wz / z'z = 2 / 5)."""
    w = W({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, id_order=list("abcd"))
    w.transform = "r"
    df = pd.DataFrame({"unit": list("dcba"), "year": 2020, "v": [4.0, 3.0, 2.0, 1.0]})
    res = moran(df, w, column="v", permutations=0)
    assert res.I[0] == pytest.approx(0.4) and res.EI[0] == pytest.approx(-1 / 3)
    assert np.isnan(res.p_sim[0])


def test_moran_alignment_does_not_depend_on_order_or_names(panel):
    base = moran(panel, spatial_weights(PROV), permutations=99, seed=1)
    # rows shuffled, units written in English, weights built in another order from other aliases
    rng = np.random.default_rng(3)
    shuffled = panel.iloc[rng.permutation(len(panel))].assign(unit=lambda d: d["unit"].map(EN))
    order = list(rng.permutation(PROV))
    w2 = spatial_weights([provinces().set_index("name_zh").at[u, "code"] for u in order])
    other = moran(shuffled, w2, permutations=99, seed=1)
    np.testing.assert_allclose(other.I, base.I, rtol=1e-12)
    np.testing.assert_allclose(other.z_norm, base.z_norm, rtol=1e-12)
    # the default weights (queen contiguity of the data's units) are the same as spatial_weights(PROV)
    default = moran(panel, permutations=99, seed=1)
    np.testing.assert_array_equal(default.I, base.I)
    np.testing.assert_array_equal(default.p_sim, base.p_sim)


def test_moran_respects_transform_and_leaves_global_rng(panel):
    wb = spatial_weights(PROV, transform="b")
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    res = moran(panel, wb, permutations=49, years=[2020])
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002 - global RNG restored
    assert wb.transform == "B"
    m = Moran(_y(panel, wb, 2020), wb, transformation="b", permutations=0)
    assert res.I[0] == pytest.approx(m.I, rel=1e-12)
    assert res.I[0] != pytest.approx(moran(panel, permutations=0, years=[2020]).I[0])


def test_moran_from_index_result(panel):
    scores = panel.assign(rank=panel.groupby("year")["score"].rank(ascending=False).astype(int))
    r = IndexResult(framework=None, values=pd.DataFrame(), normalized=pd.DataFrame(), scores=scores,  # type: ignore[arg-type]
                    weights=pd.DataFrame(), bounds=pd.DataFrame())
    a = moran(r, permutations=0)
    b = moran(panel, permutations=0)
    np.testing.assert_array_equal(a.I, b.I)


def test_moran_bad_inputs(panel):
    w = spatial_weights(PROV)
    # a unit of the data missing from the weights
    w30 = spatial_weights([p for p in PROV if p != "西藏"])
    with pytest.raises(DataError, match=r"not in the spatial weights: '西藏'"):
        moran(panel, w30)
    # weights with a unit that has no data
    with pytest.raises(DataError, match=r"no 'score' data: 西藏"):
        moran(panel[panel["unit"] != "西藏"], w)
    # a gap in one year
    gap = panel.assign(score=panel["score"].where(~((panel["unit"] == "青海") & (panel["year"] == 2018))))
    with pytest.raises(DataError, match=r"missing for 青海 in 2018"):
        moran(gap, w)
    text = panel.astype({"score": object})
    text.loc[text.index[3], "score"] = "n/a"
    with pytest.raises(DataError, match=r"'score' is not numeric for 北京 2019 \('n/a'\)"):
        moran(text, w)
    with pytest.raises(DataError, match="lacks column"):
        moran(panel, w, column="gdp")
    with pytest.raises(DataError, match="duplicated"):
        moran(pd.concat([panel, panel.head(1)]), w)
    with pytest.raises(DataError, match="not in the data"):
        moran(panel, w, years=[2030])
    with pytest.raises(DataError, match="same for every unit"):
        moran(panel.assign(score=1.0), w)
    with pytest.raises(DataError, match="unknown province name 'Atlantis'"):
        moran(pd.concat([panel, pd.DataFrame({"unit": ["Atlantis"], "year": [2020], "score": [1.0]})]))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=8, max_size=8, unique=True),
    st.floats(0.01, 100), st.floats(-50, 50), st.permutations(range(8)),
)
def test_moran_invariant_to_affine_maps_and_row_order(vals, a, b, perm):
    units = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江"]
    w = spatial_weights(units)
    df = pd.DataFrame({"unit": units, "year": 2020, "score": vals})
    if np.ptp(vals) < 1e-6:
        return
    base = moran(df, w, permutations=0).I[0]
    moved = df.iloc[list(perm)].assign(score=lambda d: a * d["score"] + b)
    assert moran(moved, w, permutations=0).I[0] == pytest.approx(base, rel=1e-7, abs=1e-9)


# ==============================================================================================
# LISA
# ==============================================================================================
@pytest.mark.background("esda")
def test_lisa_matches_esda_directly(panel):
    w = spatial_weights(PROV)
    res = lisa(panel, w, permutations=199, seed=11)
    assert isinstance(res, LisaResult) and res.years == YEARS
    t = res.to_frame()
    assert len(t) == 31 * len(YEARS)
    for y in (2016, 2020):
        ml = esda_moran_local(_y(panel, w, y), w, permutations=199, seed=11)  # esda.Moran_Local (esda_worker.py)
        ty = t[t["year"] == y]
        assert list(ty["unit"]) == list(w.id_order)
        np.testing.assert_array_equal(ty["Is"], ml.Is)
        np.testing.assert_array_equal(ty["p_sim"], ml.p_sim)
        np.testing.assert_array_equal(ty["q"], ml.q)
        np.testing.assert_allclose(ty["lag_z"], lag_spatial(w, ml.z), rtol=1e-12)
        sig = ml.p_sim < 0.05
        expect = np.where(sig, np.array([{1: "HH", 2: "LH", 3: "LL", 4: "HL"}[q] for q in ml.q]),
                          "not significant")
        assert list(ty["cluster"]) == list(expect)
    # one year alone gives the same numbers as that year within all years (same seed per year)
    one = lisa(panel, w, year=2020, permutations=199, seed=11).to_frame()
    np.testing.assert_array_equal(one["p_sim"], t[t["year"] == 2020]["p_sim"])


def test_lisa_by_hand_on_a_line():
    """a–b–c–d, y = 1,2,3,4: esda standardises z with the population sd (√1.25), so z·Wz = 0.6 for a and d,
    0.2 for b and c, and I_i = (n−1) z_i (Wz)_i / Σz² = 3/4 · z_i (Wz)_i → 0.45, 0.15, 0.15, 0.45."""
    w = W({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, id_order=list("abcd"))
    w.transform = "r"
    df = pd.DataFrame({"unit": list("abcd"), "year": 2020, "score": [1.0, 2.0, 3.0, 4.0]})
    res = lisa(df, w, permutations=0)
    t = res.to_frame()
    np.testing.assert_allclose(t["Is"], [0.45, 0.15, 0.15, 0.45])
    assert list(t["quadrant"]) == ["LL", "LL", "HH", "HH"]
    assert list(t["quadrant_zh"]) == ["低-低", "低-低", "高-高", "高-高"]
    assert t["p_sim"].isna().all() and list(t["cluster"]) == ["not significant"] * 4


def test_lisa_results_views(panel):
    res = lisa(panel, year=[2019, 2020], permutations=99, seed=0)
    sc = res.scatter(2020)
    assert list(sc.columns) == ["unit", "z", "lag_z", "quadrant", "cluster"]
    glob = moran(panel, permutations=0, years=[2020]).I[0]
    assert sc.attrs["slope"] == pytest.approx(glob, rel=1e-10)  # slope of the Moran scatter = I
    assert res.matrix("cluster").shape == (31, 2) and res.Is.shape == (31, 2)
    c = res.counts()
    assert (c.sum(axis=1) == 31).all()
    s = res.summary()
    assert "局部莫兰指数" in s and "2020" in s
    with pytest.raises(DataError, match="pass year="):
        res.scatter()
    with pytest.raises(DataError, match="not in the data"):
        lisa(panel, year=1999)
    with pytest.raises(DataError, match="alpha"):
        lisa(panel, alpha=1.5)


# ==============================================================================================
# the LISA kernel against esda.Moran_Local (same permutations from the same seed)
# ==============================================================================================
def _esda_local(y: np.ndarray, w: W, seed: int, permutations: int = 999):
    """esda.Moran_Local's attributes, from the worker that compiled its numba kernels (esda_worker.py)."""
    return esda_moran_local(y, w, transformation=w.transform, permutations=permutations, seed=seed, n_jobs=1)


def _same_as_esda(lm, ml) -> None:
    np.testing.assert_array_equal(lm.Is, ml.Is)
    np.testing.assert_array_equal(lm.q, ml.q)
    np.testing.assert_array_equal(lm.p_sim, ml.p_sim)  # bit for bit: the same draws, the same rounding
    np.testing.assert_allclose(lm.rlisas, ml.rlisas, rtol=0, atol=1e-13)
    np.testing.assert_allclose(lm.z_sim, ml.z_sim, rtol=1e-9)
    np.testing.assert_allclose(lm.p_z_sim, ml.p_z_sim, rtol=1e-9, atol=1e-15)
    for alpha in (0.01, 0.05, 0.1):
        np.testing.assert_array_equal(lm.p_sim < alpha, ml.p_sim < alpha)


@pytest.mark.parametrize("case", range(6))
@pytest.mark.background("esda")
def test_local_moran_equals_esda_on_random_data(case):
    """Random points, k-nearest-neighbour weights with k = 1…5 (k = 1 makes exact ties frequent: a draw of
    the one real neighbour gives the observed I_i), row-standardised or binary, 999 permutations."""
    import libpysal

    rng = np.random.default_rng(100 + case)
    n = int(rng.integers(12, 60))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.KNN.from_array(rng.random((n, 2)), k=1 + case % 5)
    w.transform = "b" if case == 4 else "r"
    y = rng.lognormal(size=n)
    seed = int(rng.integers(0, 2**31))
    _same_as_esda(local_moran(y, w, permutations=999, seed=seed), _esda_local(y, w, seed))


@pytest.mark.background("esda")
def test_local_moran_equals_esda_on_the_default_study(default_run):
    """The default study's LISA (queen contiguity of 30 provinces, 999 permutations, seed 0): every year equals
    esda.Moran_Local, and so do the cluster labels the report shows."""
    li = default_run.analyses["lisa"]
    res = default_run.results[default_run.records["lisa"].indices[0]]
    w = spatial_weights(res.units)
    assert li.permutations == 999 and li.seed == 0
    for y in li.years:
        ml = _esda_local(_y(res.scores, w, y), w, 0)
        _same_as_esda(li.stats[y], ml)
        ty = li.table[li.table["year"] == y]
        expect = np.where(ml.p_sim < li.alpha, [{1: "HH", 2: "LH", 3: "LL", 4: "HL"}[q] for q in ml.q],
                          "not significant")
        assert list(ty["cluster"]) == list(expect)


@pytest.mark.background("esda")
def test_local_moran_islands_and_no_permutations():
    """An island (no neighbours) gets I_i = 0 and esda's p_sim; permutations=0 gives NaN p-values."""
    w = W({"a": ["b"], "b": ["a", "c"], "c": ["b"], "d": []}, id_order=list("abcd"), silence_warnings=True)
    w.transform = "r"
    y = np.array([1.0, 2.0, 4.0, 3.0])
    lm = local_moran(y, w, permutations=99, seed=5)
    assert lm.Is[3] == 0.0
    _same_as_esda(lm, _esda_local(y, w, 5, permutations=99))
    none = local_moran(y, w, permutations=0)
    assert np.isnan(none.p_sim).all() and none.rlisas is None
    np.testing.assert_array_equal(none.Is, lm.Is)


# ==============================================================================================
# the result interface: bilingual summaries, narrative, figures, report blocks, methods paragraph
# ==============================================================================================
def test_moran_interface_report_and_methods(panel):
    res = moran(panel, permutations=99, seed=0)
    check_interface(res, [f"{res.I[0]:.4f}", f"{res.I[-1]:.4f}", f"{res.p_sim[-1]:.4f}"])
    assert "全局莫兰指数" in res.summary("zh") and "年份" in res.summary("zh")
    for lang in ("en", "zh"):
        s = " ".join(res.narrative(lang))
        assert f"{res.I[0]:.4f}" in s and f"{res.I.max():.4f}" in s and "5" in s
    assert "significant at 5% in 5 of 5 years" in res.narrative("en")[0]
    fig = res.figures("en")[0]
    np.testing.assert_allclose(np.asarray(fig.data[0].y, dtype=float), res.I)
    line = res.plot().axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), res.I)
    assert [type(b).__name__ for b in res.report(ReportContext("zh"))] == ["Text", "Figure"]
    text = check_methods("moran", res, ["E[I] = -1/(n-1)", "99"])
    assert "31 units" in text["en"]


def test_lisa_interface_report_and_methods(panel):
    res = lisa(panel, permutations=99, seed=0)
    last = res.table[res.table["year"] == 2020]
    hh = list(last.loc[last["cluster"] == "HH", "unit"])
    assert hh  # R&D intensity clusters on the east coast
    check_interface(res, ["2020"])
    en, zh = res.narrative("en")[0], res.narrative("zh")[0]
    assert f"{int(last['significant'].sum())} of 31 provinces" in en and EN[hh[0]] in en
    assert "2020 年 31 个省份中有" in zh and f"有 {int(last['significant'].sum())} 个" in zh
    assert hh[0] in zh and "高-高集聚" in zh
    blocks = res.report(ReportContext("zh"))
    assert [type(b).__name__ for b in blocks] == ["Text", "Heading", "Figure", "Figure"]
    assert blocks[1].text == "莫兰散点图 (2020)"
    scatter, cmap = blocks[2].figure, blocks[3].figure
    assert sum(len(tr.x) for tr in scatter.data[:-1]) == 31
    assert len(cmap.data[0].locations) == 31 and [s["label"] for s in cmap.layout.sliders[0].steps] == [
        str(y) for y in YEARS]
    # units that are not provinces: the scatter plot only, no map
    w = W({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, id_order=list("abcd"))
    w.transform = "r"
    line = lisa(pd.DataFrame({"unit": list("abcd"), "year": 2020, "score": [1.0, 2.0, 3.0, 4.0]}), w,
                permutations=9)
    assert [type(b).__name__ for b in line.report(ReportContext("en"))] == ["Text", "Heading", "Figure"]
    ax = line.plot().axes[0]
    assert ax.collections and "I = " in ax.get_legend().get_texts()[-1].get_text()
    check_methods("lisa", res, ["0.05", "I_i"])


def test_docstring_examples_run():
    import nqpf.analysis.spatial
    import nqpf.geo.weights

    run_doctests(nqpf.geo.weights)

    run_doctests(nqpf.analysis.spatial)
