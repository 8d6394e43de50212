"""Dagum Gini decomposition: hand-calculated examples, an O(n²) reference written here, invariants."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from result_checks import check_interface, check_methods, run_doctests

from nqpf.analysis.disparity import _pair_sums, dagum_gini, dagum_gini_by_year
from nqpf.core.errors import DataError
from nqpf.core.interface import ReportContext
from nqpf.core.shaping import panel_frame
from nqpf.datasets import data_path, province_regions
from nqpf.result import IndexResult


# ---------------------------------------------------------------------------------------------
# O(n²) reference, straight from Dagum (1997), Empirical Economics 22:515-531 (tests only)
# ---------------------------------------------------------------------------------------------
def dagum_reference(y, g, w=None):
    """Dagum's formulas with explicit pairwise difference matrices (numpy-vectorised, O(n²))."""
    y = np.asarray(y, dtype=float)
    g = np.asarray(g)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    labels = list(dict.fromkeys(g.tolist()))
    W = w.sum()
    mu = (w * y).sum() / W
    absdiff = np.abs(y[:, None] - y[None, :])
    ww = w[:, None] * w[None, :]
    G = (ww * absdiff).sum() / (2 * W**2 * mu)
    Wj = {a: w[g == a].sum() for a in labels}
    mu_j = {a: (w[g == a] * y[g == a]).sum() / Wj[a] for a in labels}
    p_j = {a: Wj[a] / W for a in labels}
    s_j = {a: Wj[a] * mu_j[a] / (W * mu) for a in labels}
    Gjj = {}
    for a in labels:
        m = g == a
        Gjj[a] = (ww[np.ix_(m, m)] * absdiff[np.ix_(m, m)]).sum() / (2 * mu_j[a] * Wj[a] ** 2)
    Gw = sum(Gjj[a] * p_j[a] * s_j[a] for a in labels)
    Gjh, D, d, p = {}, {}, {}, {}
    Gnb = Gt = 0.0
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            j, h = (a, b) if mu_j[a] >= mu_j[b] else (b, a)
            mj, mh = g == j, g == h
            diff = y[mj][:, None] - y[mh][None, :]
            wjh = ww[np.ix_(mj, mh)]
            Gjh[j, h] = (wjh * np.abs(diff)).sum() / (Wj[j] * Wj[h] * (mu_j[j] + mu_j[h]))
            d[j, h] = (wjh * np.maximum(diff, 0)).sum() / (Wj[j] * Wj[h])
            p[j, h] = (wjh * np.maximum(-diff, 0)).sum() / (Wj[j] * Wj[h])
            D[j, h] = (d[j, h] - p[j, h]) / (d[j, h] + p[j, h]) if d[j, h] + p[j, h] > 0 else 0.0
            share = Gjh[j, h] * (p_j[j] * s_j[h] + p_j[h] * s_j[j])
            Gnb += share * D[j, h]
            Gt += share * (1 - D[j, h])
    return {"G": G, "Gw": Gw, "Gnb": Gnb, "Gt": Gt, "Gjj": Gjj, "Gjh": Gjh, "D": D, "d": d, "p": p,
            "mu_j": mu_j, "p_j": p_j, "s_j": s_j}


def assert_matches_reference(r, ref, tol=1e-10):
    for c in ("G", "Gw", "Gnb", "Gt"):
        assert getattr(r, c) == pytest.approx(ref[c], abs=tol, rel=tol), c
    for a, v in ref["Gjj"].items():
        assert r.within[a] == pytest.approx(v, abs=tol, rel=tol)
        assert r.mu_j[a] == pytest.approx(ref["mu_j"][a], rel=tol)
        assert r.p_j[a] == pytest.approx(ref["p_j"][a], rel=tol)
        assert r.s_j[a] == pytest.approx(ref["s_j"][a], rel=tol)
    for (j, h), v in ref["Gjh"].items():
        # when two means tie the pair may be named either way; Gjh is symmetric
        assert r.Gjh(j, h) == pytest.approx(v, abs=tol, rel=tol)
        key = (j, h) if (j, h) in r.D_jh else (h, j)
        assert r.D_jh[key] == pytest.approx(ref["D"][j, h], abs=tol)
        if key == (j, h):
            assert r.d_jh[key] == pytest.approx(ref["d"][j, h], abs=tol, rel=tol)
            assert r.p_jh[key] == pytest.approx(ref["p"][j, h], abs=tol, rel=tol)


# ---------------------------------------------------------------------------------------------
# hand-calculated examples
# ---------------------------------------------------------------------------------------------
def test_two_group_hand_example():
    # A = {1, 3}, B = {2, 6}; n = 4, μ = 3, μ_A = 2, μ_B = 4.
    # Unordered |differences|: 1-3:2, 1-2:1, 1-6:5, 3-2:1, 3-6:3, 2-6:4 → 16; ordered pairs 32.
    # G = 32 / (2·4²·3) = 1/3.
    # G_AA = 2·|1−3| / (2·μ_A·n_A²) = 4/16 = 1/4;  G_BB = 2·|2−6| / (2·4·4) = 8/32 = 1/4.
    # p_A = p_B = 1/2;  s_A = 2·2/(4·3) = 1/3,  s_B = 2·4/12 = 2/3.
    # Gw = ¼·½·⅓ + ¼·½·⅔ = 1/24 + 2/24 = 1/8.
    # B is richer (j = B, h = A). y_B − y_A: 2−1 = 1, 2−3 = −1, 6−1 = 5, 6−3 = 3.
    # G_BA = (1+1+5+3) / (2·2·(4+2)) = 10/24 = 5/12;  d_BA = (1+5+3)/4 = 9/4;  p_BA = 1/4.
    # D_BA = (9/4 − 1/4)/(9/4 + 1/4) = 4/5.  Weight p_B s_A + p_A s_B = 1/6 + 1/3 = 1/2.
    # Gnb = 5/12 · ½ · 4/5 = 1/6;  Gt = 5/12 · ½ · 1/5 = 1/24.  Check: 1/8 + 1/6 + 1/24 = 8/24 = 1/3.
    r = dagum_gini([1, 3, 2, 6], ["A", "A", "B", "B"])
    F = float
    assert r.G == pytest.approx(F(Fraction(1, 3)), abs=1e-15)
    assert r.Gw == pytest.approx(F(Fraction(1, 8)), abs=1e-15)
    assert r.Gnb == pytest.approx(F(Fraction(1, 6)), abs=1e-15)
    assert r.Gt == pytest.approx(F(Fraction(1, 24)), abs=1e-15)
    assert r.within == pytest.approx({"A": 0.25, "B": 0.25})
    assert r.groups == ["A", "B"]  # ascending mean
    assert list(r.between) == [("B", "A")]  # richer group first
    assert r.between["B", "A"] == pytest.approx(5 / 12)
    assert r.Gjh("A", "B") == r.Gjh("B", "A")
    assert r.d_jh["B", "A"] == pytest.approx(9 / 4)
    assert r.p_jh["B", "A"] == pytest.approx(1 / 4)
    assert r.D_jh["B", "A"] == pytest.approx(0.8)
    assert r.p_j == pytest.approx({"A": 0.5, "B": 0.5})
    assert r.s_j == pytest.approx({"A": 1 / 3, "B": 2 / 3})
    assert r.contributions == pytest.approx({"Gw": 3 / 8, "Gnb": 1 / 2, "Gt": 1 / 8})


def test_three_group_hand_example_with_ties_and_order():
    # Groups given in the order H, L, M with means 5, 1, 3 → Dagum order L (1), M (3), H (5).
    # L = {0, 2}, M = {2, 4}, H = {4, 6}: every group has Gjj = 2·2/(2·μ·4) = 1/(2μ).
    # G_LL = 1/2, G_MM = 1/6, G_HH = 1/10.  n = 6, μ = 3, p = 1/3 each, s_j = μ_j / 9 ·(2/… ) = μ_j/9:
    # s_L = 1/9, s_M = 3/9, s_H = 5/9.  Gw = ⅓(½·1/9 + 1/6·3/9 + 1/10·5/9) = ⅓·(1/18+1/18+1/18) = 1/18.
    # Pair (M, L): differences M−L: 2−0, 2−2, 4−0, 4−2 = 2, 0, 4, 2 → Σ|·| = 8, d = 8/4 = 2, p = 0, D = 1,
    #   G_ML = 8 / (4·(3+1)) = 1/2, weight p_M s_L + p_L s_M = ⅓(1/9 + 3/9) = 4/27 → Gnb += 2/27.
    # Pair (H, M): the same shape shifted: Σ|·| = 8, d = 2, p = 0, D = 1, G_HM = 8/(4·8) = 1/4,
    #   weight ⅓(3/9 + 5/9) = 8/27 → Gnb += 2/27.
    # Pair (H, L): 4−0, 4−2, 6−0, 6−2 = 4, 2, 6, 4 → 16, D = 1, G_HL = 16/(4·6) = 2/3,
    #   weight ⅓(1/9 + 5/9) = 6/27 → Gnb += 4/27.
    # Gnb = 8/27, Gt = 0 (the tie 2 = 2 adds nothing to transvariation); G = 1/18 + 8/27 = 19/54.
    # Direct: values 0,2,2,4,4,6, Σ_{i<r}|y_i − y_r| = 38 → G = 2·38/(2·36·3) = 19/54.  ✓
    r = dagum_gini([4, 6, 0, 2, 2, 4], ["H", "H", "L", "L", "M", "M"])
    assert r.groups == ["L", "M", "H"]
    assert list(r.between) == [("H", "M"), ("H", "L"), ("M", "L")]
    assert r.G == pytest.approx(19 / 54, abs=1e-15)
    assert r.Gw == pytest.approx(1 / 18, abs=1e-15)
    assert r.Gnb == pytest.approx(8 / 27, abs=1e-15)
    assert r.Gt == pytest.approx(0.0, abs=1e-15)
    assert r.within == pytest.approx({"L": 0.5, "M": 1 / 6, "H": 0.1})
    assert r.between == pytest.approx({("H", "M"): 0.25, ("H", "L"): 2 / 3, ("M", "L"): 0.5})
    assert all(v == pytest.approx(1.0) for v in r.D_jh.values())


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    y = rng.lognormal(size=40)
    g = rng.choice(["a", "b", "c"], 40)
    g[:6] = ["a", "a", "b", "b", "c", "c"]
    w = rng.integers(1, 5, 40)
    rw = dagum_gini(y, g, weights=w)
    rr = dagum_gini(np.repeat(y, w), np.repeat(g, w))
    for c in ("G", "Gw", "Gnb", "Gt"):
        assert getattr(rw, c) == pytest.approx(getattr(rr, c), abs=1e-12)
    assert rw.between == pytest.approx(rr.between, abs=1e-12)
    assert rw.W == w.sum() and rw.n == 40 and rw.weighted


# ---------------------------------------------------------------------------------------------
# against the O(n²) reference
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_matches_quadratic_reference(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    n = int(rng.integers(2 * k, 150))
    g = np.concatenate([np.repeat(np.arange(k), 2), rng.integers(0, k, n - 2 * k)])
    g = np.array([f"g{i}" for i in g])
    y = rng.lognormal(size=n) * (1 + (g == "g0"))
    if seed % 2:  # integer values: plenty of ties, within and across groups
        y = np.round(y * 3)
        y[0] = max(y[0], 1.0)
        y[2] = max(y[2], 1.0)
    w = rng.uniform(0.2, 4.0, n) if seed >= 3 else None
    assert_matches_reference(dagum_gini(y, g, weights=w), dagum_reference(y, g, w))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_identity_and_reference_hypothesis(data):
    k = data.draw(st.integers(2, 5))
    sizes = data.draw(st.lists(st.integers(2, 12), min_size=k, max_size=k))
    vals = st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False)
    y = np.array(data.draw(st.lists(vals, min_size=sum(sizes), max_size=sum(sizes))))
    g = np.repeat(np.arange(k), sizes)
    # every group needs a positive mean
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    y[starts] = np.maximum(y[starts], 1.0)
    perm = np.random.default_rng(0).permutation(len(y))
    r = dagum_gini(y[perm], g[perm])
    assert r.G == pytest.approx(r.Gw + r.Gnb + r.Gt, abs=1e-12)
    assert 0 <= r.G < 1
    assert all(0 <= v <= 1 + 1e-12 for v in r.D_jh.values())
    if r.G > 0:  # with all values equal G = 0 and the shares are undefined (NaN), not 0/0 = 1
        assert sum(r.contributions.values()) == pytest.approx(1.0, abs=1e-12)
    else:
        assert all(np.isnan(v) for v in r.contributions.values())
    means = [r.mu_j[a] for a in r.groups]
    assert means == sorted(means)
    assert_matches_reference(r, dagum_reference(y[perm], g[perm]))
    # scale invariance
    r2 = dagum_gini(y[perm] * 7.5, g[perm])
    assert r2.G == pytest.approx(r.G, abs=1e-12) and r2.Gt == pytest.approx(r.Gt, abs=1e-12)


def test_batched_kernel_equals_row_by_row():
    rng = np.random.default_rng(11)
    B, n, k = 7, 50, 3
    y = rng.lognormal(size=(B, n))
    g = rng.integers(0, k, n)
    w = rng.uniform(0.5, 2, size=(B, n))
    P = _pair_sums(y, g, w, k)
    for b in range(B):
        Pb = _pair_sums(y[b:b + 1], g, w[b:b + 1], k)[0]
        np.testing.assert_allclose(P[b], Pb, rtol=1e-12)
        # against the definition P_jh = Σ_{i∈j} Σ_{r∈h} w_i w_r (y_i − y_r)+
        pos = np.maximum(y[b][:, None] - y[b][None, :], 0) * w[b][:, None] * w[b][None, :]
        ref = np.array([[pos[np.ix_(g == j, g == h)].sum() for h in range(k)] for j in range(k)])
        np.testing.assert_allclose(Pb, ref, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------------------------
def test_bootstrap_reproducible_and_sensible():
    rng = np.random.default_rng(5)
    g = np.repeat(["E", "C", "W", "NE"], [10, 6, 12, 3])
    y = rng.lognormal(size=31) + (g == "E")
    a = dagum_gini(y, g, bootstrap=300, seed=42)
    b = dagum_gini(y, g, bootstrap=300, seed=42)
    pd.testing.assert_frame_equal(a.ci, b.ci)
    ci = a.ci.set_index("term")
    assert set(ci.index) >= {"G", "Gw", "Gnb", "Gt", "share:Gw", "Gjj:E", "Gjh:E-NE"} | {
        f"Gjh:{j}-{h}" for j, h in a.between}
    assert (ci["lo"] <= ci["hi"]).all() and (ci["se"] > 0).all()
    assert ci.loc["G", "lo"] < a.G < ci.loc["G", "hi"]
    assert ci.loc["G", "estimate"] == a.G
    frame = a.to_frame()
    assert {"lo", "hi", "se"} <= set(frame.columns)
    assert "bootstrap CI" in a.summary()


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def test_errors_name_the_problem():
    with pytest.raises(DataError, match="observation 2 has no group"):
        dagum_gini([1, 2, 3, 4], np.array(["a", "a", None, "b"], dtype=object))
    # a single-member group is allowed (issue 12): its within-group Gini is 0 (tests/test_groups_study.py)
    assert dagum_gini([1, 2, 3], ["a", "a", "b"]).within["b"] == 0.0
    with pytest.raises(DataError, match="negative"):
        dagum_gini([1, -2, 3, 4], ["a", "a", "b", "b"])
    with pytest.raises(DataError, match="all values are zero"):
        dagum_gini([0, 0, 0, 0], ["a", "a", "b", "b"])
    with pytest.raises(DataError, match="group 'b': all values are zero"):
        dagum_gini([1, 2, 0, 0], ["a", "a", "b", "b"])
    with pytest.raises(DataError, match=r"observation 1 \(group 'a'\) has value nan"):
        dagum_gini([1, np.nan, 3, 4], ["a", "a", "b", "b"])
    with pytest.raises(DataError, match="weight"):
        dagum_gini([1, 2, 3, 4], ["a", "a", "b", "b"], weights=[1, 0, 1, 1])
    with pytest.raises(DataError, match="at least two groups"):
        dagum_gini([1, 2, 3, 4], ["a"] * 4)


# ---------------------------------------------------------------------------------------------
# panel layer
# ---------------------------------------------------------------------------------------------
def _index_result(scores: pd.DataFrame) -> IndexResult:
    return IndexResult(framework=None, values=pd.DataFrame(), normalized=pd.DataFrame(),  # type: ignore[arg-type]
                       scores=scores, weights=pd.DataFrame(), bounds=pd.DataFrame())


def _province_panel(column: str = "gdp") -> pd.DataFrame:
    raw = pd.read_csv(data_path("china_provinces_panel.csv"))
    return raw.rename(columns={"province": "unit", column: "score"})[["unit", "year", "score"]]


def test_by_year_on_bundled_provinces_default_regions():
    frame = _province_panel()
    res = dagum_gini_by_year(_index_result(frame))
    assert res.groups and set(res.groups) == {"East", "Central", "West", "Northeast"}
    df = res.to_frame()
    assert list(df["year"]) == list(range(2010, 2025))
    np.testing.assert_allclose(df["G"], df["Gw"] + df["Gnb"] + df["Gt"], atol=1e-12)
    assert {"Gjj:East", "share:Gnb"} <= set(df.columns)
    assert sum(c.startswith("Gjh:") for c in df.columns) == 6
    # each year equals the cross-section computed directly and the O(n²) reference
    regions = province_regions()
    sub = frame[frame["year"] == 2017]
    direct = dagum_gini(sub["score"], sub["unit"].map(regions))
    assert df.set_index("year").loc[2017, "G"] == pytest.approx(direct.G, abs=1e-14)
    assert_matches_reference(res.results[2017], dagum_reference(sub["score"], sub["unit"].map(regions)))
    # the pair columns keep one naming across years even where the richer group changes
    for j, h in res.pairs:
        assert df[f"Gjh:{j}-{h}"].notna().all()
    text = res.summary()
    assert "2010–2024" in text and "main source" in text


def test_by_year_groups_argument_and_errors():
    rng = np.random.default_rng(1)
    units = [f"c{i}" for i in range(8)]
    frame = pd.DataFrame([(u, y, rng.uniform(1, 2)) for u in units for y in (2020, 2021)],
                         columns=["unit", "year", "score"])
    groups = pd.Series({u: "north" if i < 4 else "south" for i, u in enumerate(units)})
    res = dagum_gini_by_year(frame, groups)
    assert set(res.groups) == {"north", "south"} and res.years == [2020, 2021]
    assert res.to_frame().shape[0] == 2
    res_b = dagum_gini_by_year(frame, groups.to_dict(), bootstrap=50, seed=1)
    assert set(res_b.ci["year"]) == {2020, 2021}
    pair_terms = {t for t in res_b.ci["term"] if t.startswith("Gjh:")}
    assert pair_terms == {f"Gjh:{j}-{h}" for j, h in res_b.pairs}
    with pytest.raises(DataError, match="not provinces"):
        dagum_gini_by_year(frame)
    with pytest.raises(DataError, match="'c7'"):
        dagum_gini_by_year(frame, groups.drop("c7"))
    solo = dagum_gini_by_year(frame, {**groups.to_dict(), "c0": "solo"})
    assert solo.single == ["solo"] and all(r.within["solo"] == 0.0 for r in solo.results.values())
    bad = frame.assign(score=frame["score"].where(~((frame["unit"] == "c3") & (frame["year"] == 2021))))
    with pytest.raises(DataError, match="c3 2021"):
        dagum_gini_by_year(bad, groups)
    neg = frame.assign(score=np.where(frame["unit"] == "c5", -1.0, frame["score"]))
    with pytest.raises(DataError, match=r"unit 'c5' .*negative"):
        dagum_gini_by_year(neg, groups)


def test_panel_frame_accepts_multiindex_and_rejects_duplicates():
    df = pd.DataFrame({"unit": ["a", "a", "b"], "year": [1, 2, 1], "score": [1.0, 2.0, 3.0]})
    out = panel_frame(df.set_index(["unit", "year"]))
    assert list(out.columns) == ["unit", "year", "value"] and len(out) == 3
    with pytest.raises(DataError, match="no column 'x'"):
        panel_frame(df, "x")
    with pytest.raises(DataError, match="duplicated"):
        panel_frame(pd.concat([df, df.iloc[:1]]))


# ---------------------------------------------------------------------------------------------
# the result interface: bilingual summaries, narrative, figures, report blocks, methods paragraph
# ---------------------------------------------------------------------------------------------
def test_by_year_interface_report_and_methods():
    res = dagum_gini_by_year(_index_result(_province_panel()))
    df = res.to_frame()
    g0, g1, gnb = f"{df['G'].iloc[0]:.4f}", f"{df['G'].iloc[-1]:.4f}", f"{100 * df['share:Gnb'].mean():.1f}%"
    check_interface(res, [g0, g1, gnb])
    # the report's sentences carry the numbers, in both languages
    en, zh = " ".join(res.narrative("en")), " ".join(res.narrative("zh"))
    assert g0 in en and g1 in en and gnb in en and "between" in en
    assert g0 in zh and g1 in zh and gnb in zh and "总体基尼系数" in zh
    b = df[[c for c in df.columns if c.startswith("Gjh:")]].mean()
    assert f"{b.max():.4f}" in en and f"{b.max():.4f}" in zh  # the widest pair of regions
    blocks = res.report(ReportContext("en"))
    assert [type(x).__name__ for x in blocks] == ["Text", "Figure", "Figure"]
    bars = res.figures("en")[0]
    np.testing.assert_allclose(bars.data[0].y, 100 * df["share:Gw"])
    np.testing.assert_allclose(bars.data[3].y, df["G"])
    assert bars.data[0].name == "Within regions (Gw)" and res.figures("zh")[0].data[0].name == "区域内差异"
    fig = res.plot()
    stacked = sum(p.get_height() for p in fig.axes[0].patches[:: len(df)])  # first year, the three parts
    assert stacked == pytest.approx(100.0)
    text = check_methods("dagum", res, ["$G_w$", "East"])
    assert "Dagum" in text["en"] and "区域内差异" in text["zh"]


def test_one_cross_section_summary_in_both_languages():
    rng = np.random.default_rng(4)
    res = dagum_gini(rng.uniform(1, 3, 12), ["a"] * 6 + ["b"] * 6, bootstrap=50, seed=1)
    en, zh = res.summary("en"), res.summary("zh")
    for s in (en, zh):
        assert f"G = {res.G:.4f}" in s and f"{res.within['a']:.4f}" in s
    assert "bootstrap CI" in en and "自助法置信区间" in zh and "组内基尼系数" in zh
    assert [type(b).__name__ for b in res.report(ReportContext("zh"))] == ["Text", "Table"]


def test_docstring_examples_run():
    import nqpf.analysis.disparity

    run_doctests(nqpf.analysis.disparity)
