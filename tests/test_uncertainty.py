"""Robustness and uncertainty: Monte Carlo weights, method sensitivity, bootstrap, leave-one-out.

Checks are against independent implementations written out here (a plain loop over draws with the
public kernels and pandas ranks; scipy's Spearman/Kendall; measure() on resampled panels), closed
forms (Dirichlet moments; leave-one-out of a weighted sum; known coefficients of variation and the
Gini ratio 1/2 of the exponential distribution for the coverage simulations).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from synthetic import SYNTH

from nqpf.analysis import uncertainty as U
from nqpf.analysis.disparity import dagum_gini
from nqpf.analysis.uncertainty import bundle as UB
from nqpf.analysis.uncertainty import common as UC
from nqpf.analysis.uncertainty import montecarlo as MC
from nqpf.analysis.uncertainty import resampling as BS
from nqpf.core.errors import DataError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure
from nqpf.methods import aggregate as agg
from nqpf.methods import weights as wt
from nqpf.pipeline import Layout, Pipeline

# ---------------------------------------------------------------------------------------------
# fixtures


MINI = """\
name: mini
title: {zh: 小框架, en: Mini}
target:
  id: nqpf
  name_zh: 新质生产力
  name_en: NQPF
  ahp: [[1, 2], ["1/2", 1]]
  children:
    - id: tech
      name_zh: 科技创新
      name_en: Technology
      ahp: [[1, 3], ["1/3", 1]]
      indicators:
        - {id: rd_intensity, name_zh: 研发强度, name_en: R&D intensity, unit: "%"}
        - {id: inv_pat, name_zh: 发明专利, name_en: Invention patents per GDP, unit: "件/亿元",
           definition: invention_patent_grants / gdp}
    - id: digital
      name_zh: 数字经济
      name_en: Digital
      ahp: [[1, 2], ["1/2", 1]]
      indicators:
        - {id: difi_index, name_zh: 数字普惠金融, name_en: DIFI, unit: index}
        - {id: urbanization_rate, name_zh: 城镇化率, name_en: Urbanisation, unit: "%"}
"""



def fw_from(text: str) -> Framework:
    return Framework(parse_framework_text(text, "test.yaml"))


def one_indicator_fw(column: str) -> Framework:
    return fw_from(f"""\
name: one
title: {{zh: 单, en: One}}
target:
  id: t
  name_zh: 目标
  name_en: Target
  indicators:
    - {{id: {column}, name_zh: 指标, name_en: X, unit: u}}
""")


def synth_panel(n: int = 8, T: int = 4, seed: int = 0, cols: str = "abcde") -> Panel:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"P{i}" for i in range(n)], range(2020, 2020 + T)],
                                     names=["unit", "year"])
    X = rng.uniform(0.05, 1.0, size=(n * T, len(cols)))
    return Panel(pd.DataFrame(X, index=idx, columns=list(cols)), "synth")


@pytest.fixture(scope="module")
def mini_fw() -> Framework:
    return fw_from(MINI)


@pytest.fixture(scope="module")
def prov_result(provinces_panel, mini_fw):
    return measure(provinces_panel, mini_fw, years="auto")


# ---------------------------------------------------------------------------------------------
# Monte Carlo: the vectorised kernel equals a plain loop over draws


def loop_ranks(result, W_rows_by_year) -> np.ndarray:
    """Plain loop over draws: public kernels per aggregation group, pandas ranks within years."""
    s = result.settings
    Z = result.normalized.to_numpy()
    years = result.normalized.index.get_level_values("year").to_numpy()
    uy = sorted(set(years))
    per_year = s["scope"] == "per_year" or getattr(result, "weights_by_year", None) is not None
    groups = [np.flatnonzero(years == y) for y in uy] if per_year else [np.arange(len(Z))]
    D = len(W_rows_by_year[0])
    ranks = np.empty((D, len(Z)))
    for d in range(D):
        scores = np.empty(len(Z))
        for gi, g in enumerate(groups):
            w = W_rows_by_year[gi if per_year and len(W_rows_by_year) > 1 else 0][d]
            Zg = Z[g]
            if s["aggregation"] == "weighted_sum":
                scores[g] = agg.weighted_sum(Zg, w)
            elif s["aggregation"] == "topsis":
                scores[g] = agg.topsis(Zg, w, ideal=w * Zg.max(axis=0), anti_ideal=w * Zg.min(axis=0))
            else:
                scores[g] = agg.gra(Zg, w, rho=s.get("rho", 0.5), reference=Zg.max(axis=0))
        ranks[d] = pd.Series(scores).groupby(years).rank(ascending=False, method="min").to_numpy()
    return ranks


@pytest.mark.parametrize("aggregation", ["weighted_sum", "topsis", "gra"])
@pytest.mark.parametrize("scope", ["pooled", "per_year"])
def test_monte_carlo_equals_plain_loop_exactly(aggregation, scope):
    res = measure(synth_panel(), fw_from(SYNTH), aggregation=aggregation, scope=scope)
    D = 300
    w = res.indicator_weights.to_numpy()
    W = U.draw_weights(w, D, concentration=20.0, seed=7)
    ranks = loop_ranks(res, [W])
    mc = U.monte_carlo_weights(res, draws=D, concentration=20.0, seed=7, top_k=(1, 2, 3), batch=41)
    np.testing.assert_array_equal(mc.median_rank.to_numpy(), np.median(ranks, axis=0))
    np.testing.assert_array_equal(mc.rank_low.to_numpy(), np.percentile(ranks, 5, axis=0))
    np.testing.assert_array_equal(mc.rank_high.to_numpy(), np.percentile(ranks, 95, axis=0))
    for k in (1, 2, 3):
        np.testing.assert_array_equal(mc.p_top(k).to_numpy(), (ranks <= k).mean(axis=0))
    hist = np.stack([(ranks == r).sum(axis=0) for r in range(1, 9)], axis=1)
    np.testing.assert_array_equal(mc.counts, hist)
    assert (mc.rank_high - mc.rank_low).max() > 0  # the draws do move ranks


def test_monte_carlo_per_year_entropy_weights_equal_loop():
    res = measure(synth_panel(), fw_from(SYNTH), weighting="entropy", aggregation="topsis")
    wby = res.weights_by_year.to_numpy()
    D = 200
    streams = np.random.default_rng(3).spawn(len(wby))
    W = [g.dirichlet(50.0 * (w / w.sum()), size=D) for g, w in zip(streams, wby, strict=True)]
    ranks = loop_ranks(res, W)
    mc = U.monte_carlo_weights(res, draws=D, concentration=50.0, seed=3, top_k=1)
    np.testing.assert_array_equal(mc.median_rank.to_numpy(), np.median(ranks, axis=0))
    np.testing.assert_array_equal(mc.p_top(1).to_numpy(), (ranks <= 1).mean(axis=0))
    assert any("each year's draws" in n for n in mc.notes)


def test_concentration_to_infinity_collapses_to_point_ranks(prov_result):
    mc = U.monte_carlo_weights(prov_result, draws=200, concentration=1e12, seed=1)
    point = prov_result.scores.set_index(["unit", "year"])["rank"].reindex(mc.index).to_numpy()
    for s in (mc.median_rank, mc.rank_low, mc.rank_high):
        np.testing.assert_array_equal(s.to_numpy(), point)
    np.testing.assert_array_equal(mc.p_top(1).to_numpy(), (point == 1).astype(float))
    df = mc.to_frame()
    assert list(df.columns) == ["unit", "year", "point_rank", "median_rank", "rank_low", "rank_high",
                                "p_top1", "p_top3", "p_top5"]
    assert "10,000" not in mc.summary() and "200 weight draws" in mc.summary()


def test_seed_reproducible_and_batch_invariant(prov_result):
    a = U.monte_carlo_weights(prov_result, draws=500, seed=11)
    b = U.monte_carlo_weights(prov_result, draws=500, seed=11, batch=7)
    c = U.monte_carlo_weights(prov_result, draws=500, seed=12)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)
    assert a.counts.sum(axis=1).tolist() == [500] * len(a.counts)


def test_summary_only_mode_and_scatter_path_agree(monkeypatch):
    res = measure(synth_panel(), fw_from(SYNTH), aggregation="topsis")
    full = U.monte_carlo_weights(res, draws=120, seed=5, top_k=(1, 2))
    scatter = U.monte_carlo_weights(res, draws=120, seed=5, top_k=(1, 2), batch=1)  # n > 4·batch: add.at
    monkeypatch.setattr(MC, "_MAX_COUNT_CELLS", 0)
    lean = U.monte_carlo_weights(res, draws=120, seed=5, top_k=(1, 2))
    assert lean.counts is None and any("not kept" in n for n in lean.notes)
    np.testing.assert_array_equal(full.counts, scatter.counts)
    pd.testing.assert_frame_equal(full.to_frame(), lean.to_frame())
    with pytest.raises(MethodError, match="top_k including 3"):
        lean.p_top(3)


@pytest.mark.parametrize("aggregation", ["topsis", "weighted_sum"])
def test_rank_path_with_fewer_draws_than_units_equals_histogram_path(monkeypatch, aggregation):
    # fewer draws than units and no rank counts kept: ranks are kept per draw (draws × units) instead of a
    # units × units histogram; quantiles and top-k shares must be the same floats as the histogram path's
    res = measure(synth_panel(n=40, T=3, seed=3), fw_from(SYNTH), aggregation=aggregation)
    full = U.monte_carlo_weights(res, draws=25, seed=2, top_k=(1, 5))
    monkeypatch.setattr(MC, "_MAX_COUNT_CELLS", 0)
    lean = U.monte_carlo_weights(res, draws=25, seed=2, top_k=(1, 5), batch=4)
    assert full.counts is not None and lean.counts is None
    pd.testing.assert_frame_equal(full.to_frame(), lean.to_frame())
    # and against ranks computed by brute force from the same draws (np.quantile, scipy's 'min' ranks)
    W = U.draw_weights(res.indicator_weights.to_numpy(), 25, seed=2)
    rows = loop_ranks(res, [W])
    df = lean.to_frame()
    np.testing.assert_array_equal(df["median_rank"].to_numpy(), np.median(rows, axis=0))
    np.testing.assert_array_equal(df["rank_low"].to_numpy(), np.percentile(rows, 5, axis=0))
    np.testing.assert_array_equal(df["rank_high"].to_numpy(), np.percentile(rows, 95, axis=0))
    np.testing.assert_array_equal(df["p_top5"].to_numpy(), (rows <= 5).mean(axis=0))


def test_draw_weights_moments_and_uniform_scheme():
    w = np.array([0.5, 0.3, 0.15, 0.05])
    c = 100.0
    W = U.draw_weights(w, 40_000, concentration=c, seed=0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # Dirichlet(c w): mean w, variance w (1 - w) / (c + 1)
    assert (np.abs(W.mean(axis=0) - w) <= 4 * np.sqrt(w * (1 - w) / (c + 1) / 40_000)).all()
    np.testing.assert_allclose(W.var(axis=0), w * (1 - w) / (c + 1), rtol=0.05)
    Wu = U.draw_weights(w, 1000, scheme="uniform", seed=5)
    np.testing.assert_array_equal(Wu, np.random.default_rng(5).dirichlet(np.ones(4), size=1000))
    Wz = U.draw_weights([0.5, 0.0, 0.5], 100, seed=0)
    assert (Wz[:, 1] == 0).all()


def test_zero_weight_indicator_stays_zero_and_is_noted():
    res = measure(synth_panel(), fw_from(SYNTH), weighting="equal")
    w = res.weights.set_index("id")["global_weight"]
    w.loc[["a", "b", "c", "d", "e"]] = [0.4, 0.0, 0.2, 0.2, 0.2]
    res.weights["global_weight"] = w.to_numpy()
    mc = U.monte_carlo_weights(res, draws=50, top_k=1)
    assert any("stay at 0" in n and "b" in n for n in mc.notes)
    ws = mc.weight_summary.set_index("indicator")
    assert ws.loc["b", "draw_mean"] == 0.0 and ws.loc["a", "draw_mean"] == pytest.approx(0.4, abs=0.05)
    assert (ws["draw_q05"] <= ws["draw_mean"]).all() and (ws["draw_mean"] <= ws["draw_q95"]).all()


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"concentration": 0}, "concentration"), ({"concentration": -1.0}, "concentration"),
    ({"concentration": float("nan")}, "concentration"), ({"concentration": float("inf")}, "concentration"),
    ({"draws": 0}, "draws"), ({"draws": 2.5}, "draws"), ({"top_k": (1, 40)}, "top_k"),
    ({"top_k": 0}, "top_k"),
    ({"scheme": "beta"}, "scheme"), ({"batch": 0}, "batch"), ({"level": 1.0}, "level"),
])
def test_monte_carlo_bad_input_names_the_parameter(prov_result, kwargs, word):
    with pytest.raises(MethodError, match=word):
        U.monte_carlo_weights(prov_result, **kwargs)


def test_p_top_and_rank_distribution(prov_result):
    mc = U.monte_carlo_weights(prov_result, draws=400, seed=2)
    d = mc.rank_distribution("北京", 2023)
    assert d.sum() == pytest.approx(1.0)
    assert mc.p_top(31).eq(1.0).all()
    with pytest.raises(MethodError, match="larger than"):
        mc.p_top(32)
    with pytest.raises(DataError, match="no unit-year"):
        mc.rank_distribution("Atlantis", 2023)


def ref_histogram(S: np.ndarray) -> np.ndarray:
    """Rank histogram from scipy's 'min' ranks (an independent ranking)."""
    ranks = stats.rankdata(-S, axis=1, method="min").astype(int)
    b, n = S.shape
    H = np.zeros((n, n), dtype=np.int64)
    np.add.at(H, (np.tile(np.arange(n), b), ranks.ravel() - 1), 1)
    return H


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.integers(0, 2**31 - 1), st.booleans())
def test_rank_histogram_matches_scipy_min_ranks(b, n, seed, negative):
    rng = np.random.default_rng(seed)
    S = rng.integers(-3 if negative else 0, 4, size=(b, n)).astype(float)
    S *= rng.choice([1.0, 0.37], size=(b, 1))
    S[S == 0] *= rng.choice([1.0, -1.0], size=int((S == 0).sum()))  # +0.0 and -0.0 must tie
    np.testing.assert_array_equal(U.rank_histogram(S), ref_histogram(S))


def test_rank_histogram_exact_argsort_path_for_many_units(monkeypatch):
    monkeypatch.setattr(UC, "_KEY_BITS_MAX", 2)  # the path used above 4096 units, here from 5 units
    rng = np.random.default_rng(0)
    S = rng.normal(size=(50, 30))
    S[:, 10] = S[:, 20]
    S[:5, 3] = 0.0
    S[:5, 4] = -0.0
    np.testing.assert_array_equal(U.rank_histogram(S), ref_histogram(S))


# ---------------------------------------------------------------------------------------------
# method sensitivity


def test_single_indicator_all_methods_agree(provinces_panel):
    ms = U.method_sensitivity(provinces_panel, one_indicator_fw("rd_intensity"), years=(2012, 2016))
    assert len(ms.methods) == 15  # 6 weightings × 3 aggregations, less CRITIC (3) and combined (3)
    # within every year: identical rankings
    per_year = ms.pairs[ms.pairs["scope"] == "year"]
    np.testing.assert_allclose(per_year[["spearman", "kendall"]].to_numpy(), 1.0, rtol=0, atol=1e-12)
    assert (ms.rank_ranges["spread"] == 0).all()
    # pooled over years: identical among methods whose scores are comparable across years (pooled
    # normalisation and pooled TOPSIS ideals / GRA reference); per-year entropy sets them per year
    pooled = [m for m in ms.methods if not m.startswith("entropy+") or m == "entropy+weighted_sum"]
    np.testing.assert_allclose(ms.correlation.loc[pooled, pooled].to_numpy(), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ms.kendall.loc[pooled, pooled].to_numpy(), 1.0, rtol=0, atol=1e-12)
    # CRITIC is undefined for one indicator (no conflict with other indicators)
    assert {"critic+weighted_sum", "critic+topsis", "critic+gra"} <= set(ms.skipped)
    assert "combined+topsis" in ms.methods  # a single child needs no AHP judgement
    assert any("per-cross-section" in n for n in ms.notes)


def test_method_correlations_match_scipy_and_ranges(provinces_panel, mini_fw):
    ms = U.method_sensitivity(provinces_panel, mini_fw, weightings=("global_entropy", "critic", "combined"),
                              aggregations=("weighted_sum", "topsis"), years="auto")
    assert ms.methods == ["global_entropy+weighted_sum", "global_entropy+topsis", "critic+weighted_sum",
                          "critic+topsis", "combined+weighted_sum", "combined+topsis"]
    S = ms.scores
    for a, b in [("global_entropy+weighted_sum", "critic+topsis"),
                 ("critic+weighted_sum", "combined+topsis")]:
        assert ms.correlation.loc[a, b] == pytest.approx(stats.spearmanr(S[a], S[b]).statistic, abs=1e-12)
        assert ms.kendall.loc[a, b] == pytest.approx(stats.kendalltau(S[a], S[b]).statistic, abs=1e-12)
        y = S[S["year"] == 2015]
        row = ms.pairs.query("scope == 'year' and year == 2015 and method_a == @a and method_b == @b").iloc[0]
        assert row["spearman"] == pytest.approx(stats.spearmanr(y[a], y[b]).statistic, abs=1e-12)
        assert row["kendall"] == pytest.approx(stats.kendalltau(y[a], y[b]).statistic, abs=1e-12)
        assert row["n"] == 31
    R = ms.ranks[ms.methods].to_numpy()
    np.testing.assert_array_equal(ms.rank_ranges["min_rank"], R.min(axis=1))
    np.testing.assert_array_equal(ms.rank_ranges["spread"], R.max(axis=1) - R.min(axis=1))
    m = ms.correlation_matrix("kendall", year="mean")
    assert m.shape == (6, 6) and np.allclose(np.diag(m), 1.0)
    assert set(ms.weights.columns) == {"global_entropy", "critic", "combined"}
    assert ms.to_frame().shape[0] == 31 * len(ms.ranks["year"].unique())
    assert ms.unit_ranges().shape[0] == 31
    assert "Spearman" in ms.summary()


def test_method_sensitivity_from_result_reproduces_it(prov_result):
    ms = U.method_sensitivity(prov_result, weightings=("global_entropy",), aggregations=("weighted_sum",))
    got = ms.scores.set_index(["unit", "year"])["global_entropy+weighted_sum"]
    want = prov_result.scores.set_index(["unit", "year"])["score"].reindex(got.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)


def test_method_sensitivity_bad_input(provinces_panel, mini_fw):
    with pytest.raises(MethodError, match="weightings"):
        U.method_sensitivity(provinces_panel, mini_fw, weightings=("entropy", "magic"))
    with pytest.raises(MethodError, match="weighting"):
        U.method_sensitivity(provinces_panel, mini_fw, weighting="critic")
    with pytest.raises(MethodError, match="aggregations"):
        U.method_sensitivity(provinces_panel, mini_fw, aggregations=())


# ---------------------------------------------------------------------------------------------
# bootstrap


ENGINE_CASES = [
    (norm, scope, w, a, tree)
    for norm in ("minmax", "vector", "zscore")
    for scope in ("pooled", "per_year")
    for w in ("global_entropy", "entropy", "critic", "cv", "equal", "ahp", "combined")
    for a in ("weighted_sum", "topsis", "gra")
    for tree in ("flat", "hierarchical")
    if not (w == "entropy" and tree == "hierarchical")
    and not (norm == "zscore" and w in ("global_entropy", "entropy", "combined"))
    and not (norm != "minmax" and (w == "cv" or tree == "hierarchical"))
]


def balanced_X(res) -> np.ndarray:
    units = list(dict.fromkeys(res.values.index.get_level_values("unit")))
    years = sorted(set(res.values.index.get_level_values("year")))
    v = res.values.swaplevel().reindex(pd.MultiIndex.from_product([years, units]))
    return v.to_numpy().reshape(len(years), len(units), -1)


@pytest.mark.parametrize(("norm", "scope", "weighting", "aggregation", "tree"), ENGINE_CASES)
def test_engine_on_a_resample_equals_measure_on_the_resampled_panel(norm, scope, weighting, aggregation,
                                                                    tree):
    """The vectorised re-measurement of a resample (with repeated units) == measure() on that panel."""
    panel = synth_panel(n=7, T=3, seed=1)
    fw = fw_from(SYNTH)
    kw = dict(normalization=norm, scope=scope, weighting=weighting, aggregation=aggregation, tree=tree,
              combine="game" if weighting == "combined" else "multiplicative")
    if norm == "zscore":
        kw["objective"] = "critic"
    if norm != "minmax":  # interval indicators need min-max
        fw = fw_from(SYNTH.replace("direction: interval, best: [0.4, 0.6]", "direction: positive"))
    res = measure(panel, fw, **kw)
    idx = np.array([0, 0, 3, 6, 6, 6, 2])
    units = list(dict.fromkeys(res.values.index.get_level_values("unit")))
    X = balanced_X(res)
    frames = []
    for k, i in enumerate(idx):
        block = panel.data.xs(units[i], level="unit")
        frames.append(block.set_axis(pd.MultiIndex.from_product([[f"{units[i]}#{k}"], block.index],
                                                                names=["unit", "year"])))
    resampled = Panel(pd.concat(frames), "resampled")
    want = measure(resampled, fw, **kw)
    T, n, m = X.shape[0], len(idx), X.shape[2]
    fit = Pipeline(res.framework, res.settings_object(), strict=False).fit(
        X[:, idx, :][None].reshape(1, T * n, m), Layout.of(np.repeat(res.years, n)))
    assert not fit.bad[0]
    got = fit.target[0]  # year-major, resample order == the resampled panel's unit order
    np.testing.assert_allclose(got, want.scores["score"].to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.weights[0], want.indicator_weights.to_numpy(), rtol=1e-12, atol=1e-12)


def test_bootstrap_point_estimates_seed_and_outputs(prov_result):
    b1 = U.bootstrap(prov_result, B=60, seed=4)
    b2 = U.bootstrap(prov_result, B=60, seed=4)
    for k in b1.replicates:
        np.testing.assert_array_equal(b1.replicates[k], b2.replicates[k])
    np.testing.assert_allclose(b1.weights["estimate"], prov_result.indicator_weights.to_numpy())
    np.testing.assert_allclose(b1.mean_index["estimate"],
                               prov_result.scores.groupby("year")["score"].mean().to_numpy(), rtol=1e-12)
    from nqpf.datasets import province_regions

    reg = province_regions()
    ys = prov_result.year_scores(2016)
    d = dagum_gini(ys.to_numpy(), [reg[u] for u in ys.index])
    row = b1.dagum[(b1.dagum["year"] == 2016)].set_index("term")["estimate"]
    assert row["G"] == pytest.approx(d.G) and row["Gnb"] == pytest.approx(d.Gnb)
    assert b1.groups is not None and set(b1.groups.values()) == {"East", "Central", "West", "Northeast"}
    assert (b1.weights["lo"] <= b1.weights["hi"]).all()
    df = b1.to_frame()
    assert set(df["what"]) == {"weight", "mean_index", "dagum"}
    assert len(df) == 4 + 13 + 13 * 4
    assert "percentile" in b1.summary()
    # stratified: every resample keeps each region's size, so Dagum replicates always exist
    assert np.isfinite(b1.replicates["dagum"]).all()


def test_dagum_batch_equals_public_dagum_gini():
    rng = np.random.default_rng(0)
    Y = rng.exponential(size=(5, 12))
    g = np.array([0] * 4 + [1] * 5 + [2] * 3)
    got = BS._dagum_batch(Y, g, 3)
    for row, y in zip(got, Y, strict=True):
        r = dagum_gini(y, g)
        np.testing.assert_allclose(row, [r.G, r.Gw, r.Gnb, r.Gt], rtol=1e-12)


def test_bootstrap_unit_year_and_per_year_entropy(provinces_panel, mini_fw):
    res = measure(provinces_panel, mini_fw, years=(2015, 2019), weighting="entropy", aggregation="topsis")
    b = U.bootstrap(res, B=40, seed=0, unit="unit_year", what=("weights", "mean_index"))
    assert b.dagum is None and b.unit == "unit_year"
    np.testing.assert_allclose(b.weights["estimate"], res.indicator_weights.to_numpy())
    assert np.isfinite(b.replicates["weights"]).all()


def test_bootstrap_non_provinces_not_stratified_and_dagum_noted():
    res = measure(synth_panel(), fw_from(SYNTH))
    b = U.bootstrap(res, B=30)
    assert b.groups is None and b.dagum is None
    assert any("not stratified" in n for n in b.notes)
    grp = {f"P{i}": "g1" if i < 4 else "g2" for i in range(8)}
    b2 = U.bootstrap(res, B=30, groups=grp)
    assert b2.dagum is not None and b2.groups == grp


def test_bootstrap_bad_input(prov_result, provinces_panel, mini_fw):
    with pytest.raises(MethodError, match="B must"):
        U.bootstrap(prov_result, B=0)
    with pytest.raises(MethodError, match="level"):
        U.bootstrap(prov_result, B=10, level=1.5)
    with pytest.raises(MethodError, match="unit must"):
        U.bootstrap(prov_result, B=10, unit="province")
    with pytest.raises(MethodError, match="what"):
        U.bootstrap(prov_result, B=10, what=("median",))
    with pytest.raises(DataError, match="without a group"):
        U.bootstrap(prov_result, B=10, groups={"北京": "East"})
    unbalanced = measure(provinces_panel, mini_fw, years=(2011, 2014), missing="drop")
    kept = unbalanced.values.index
    if len(kept) < 31 * 4:  # only when 'drop' removed unit-years
        with pytest.raises(DataError, match="balanced"):
            U.bootstrap(unbalanced, B=10)
    b = U.bootstrap((provinces_panel, mini_fw), B=10, years=(2016, 2018))
    assert b.mean_index["year"].tolist() == [2016, 2017, 2018]


def test_bootstrap_coverage_of_known_cv_weights():
    """90 % percentile intervals of CV weights cover the truth at about the nominal rate.

    X1 ~ Gamma(4, 1): CV = 1/2; X2 ~ Uniform(1, 3): CV = (2/√12)/2 = 1/√12·... = 0.288675;
    CV weight of X1 = 0.5 / (0.5 + 0.288675) = 0.633975 (Wang & Luo 2010 weights, population values).
    """
    fw = fw_from("""\
name: cv
title: {zh: 变异, en: CV}
target:
  id: t
  name_zh: 目标
  name_en: Target
  indicators:
    - {id: x1, name_zh: 一, name_en: X1, unit: u}
    - {id: x2, name_zh: 二, name_en: X2, unit: u}
""")
    truth = 0.5 / (0.5 + 1 / math.sqrt(12))
    rng = np.random.default_rng(2024)
    R, n, hits = 200, 150, 0
    idx = pd.MultiIndex.from_product([[f"U{i}" for i in range(n)], [2020]], names=["unit", "year"])
    for r in range(R):
        X = np.column_stack([rng.gamma(4.0, 1.0, n), rng.uniform(1.0, 3.0, n)])
        res = measure(Panel(pd.DataFrame(X, index=idx, columns=["x1", "x2"])), fw, weighting="cv",
                      missing="error")
        b = U.bootstrap(res, B=199, seed=r, what=("weights",), groups=False)
        lo, hi = b.weights.loc[0, ["lo", "hi"]]
        hits += lo <= truth <= hi
    cover = hits / R
    tol = 3 * math.sqrt(0.9 * 0.1 / R)  # binomial, 3 standard errors
    assert abs(cover - 0.9) <= tol, cover


def test_bootstrap_coverage_of_exponential_gini():
    """Dagum's G of an exponential variable is 1/2 (Gini 1912); stratified bootstrap covers it ~90 %.

    One indicator with vector normalisation: the score is x / ||x||, so its Gini ratio is that of x.
    """
    fw = one_indicator_fw("x")
    rng = np.random.default_rng(7)
    R, n, hits = 150, 200, 0
    idx = pd.MultiIndex.from_product([[f"U{i}" for i in range(n)], [2020]], names=["unit", "year"])
    groups = {f"U{i}": "A" if i % 2 else "B" for i in range(n)}
    for r in range(R):
        res = measure(Panel(pd.DataFrame({"x": rng.exponential(size=n)}, index=idx)), fw,
                      normalization="vector", weighting="equal", missing="error")
        b = U.bootstrap(res, B=199, seed=r, what=("dagum",), groups=groups)
        g = b.dagum.set_index("term").loc["G"]
        hits += g["lo"] <= 0.5 <= g["hi"]
    cover = hits / R
    assert abs(cover - 0.9) <= 3 * math.sqrt(0.9 * 0.1 / R), cover


# ---------------------------------------------------------------------------------------------
# leave one indicator out


def test_loo_renormalise_equals_closed_form_for_weighted_sum(prov_result):
    lo = U.leave_one_out(prov_result, mode="renormalise")
    Z = prov_result.normalized
    w = prov_result.indicator_weights
    s = prov_result.scores.set_index(["unit", "year"])["score"].reindex(Z.index)
    for ind in ("inv_pat", "difi_index"):
        # s_-j = (s - w_j z_j) / (1 - w_j)
        want = (s - w[ind] * Z[ind]) / (1 - w[ind])
        got = lo.table[lo.table["indicator"] == ind].set_index(["unit", "year"])["score_without"]
        got = got.reindex(Z.index)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    t = lo.table
    np.testing.assert_array_equal(t["delta_rank"], t["rank_without"] - t["rank"])


def test_loo_reestimate_equals_measure_on_the_subset_framework(provinces_panel, mini_fw, prov_result):
    lo = U.leave_one_out(prov_result)
    keep = [i for i in mini_fw.indicator_ids if i != "rd_intensity"]
    want = measure(provinces_panel, mini_fw.subset(keep), years="auto").scores
    want = want.set_index(["unit", "year"])["score"]
    got = lo.table[lo.table["indicator"] == "rd_intensity"].set_index(["unit", "year"])["score_without"]
    np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-12)
    assert lo.mode == "reestimate" and lo.threshold == 7  # max(3, ceil(31 / 5))
    ind = lo.indicators.set_index("indicator")
    assert ind["decisive"].equals(ind["max_abs_delta"].ge(7) | ind["top_changed_years"].map(bool))


def test_loo_flags_the_indicator_that_decides_the_top():
    """Unit A leads only because of indicator x (a huge lead); without x, B leads: x is decisive."""
    idx = pd.MultiIndex.from_product([["A", "B", "C", "D"], [2020]], names=["unit", "year"])
    data = pd.DataFrame({"x": [10.0, 0.0, 0.0, 0.0], "y": [3.0, 4.0, 1.0, 2.0], "z": [3.0, 4.0, 2.0, 1.5]},
                        index=idx)
    fw = fw_from("""\
name: dec
title: {zh: 决定, en: Decisive}
target:
  id: t
  name_zh: 目标
  name_en: Target
  indicators:
    - {id: x, name_zh: 甲, name_en: X, unit: u}
    - {id: y, name_zh: 乙, name_en: Y, unit: u}
    - {id: z, name_zh: 丙, name_en: Z, unit: u}
""")
    res = measure(Panel(data), fw, weighting="equal")
    assert res.year_scores(2020).idxmax() == "A"
    lo = U.leave_one_out(res, threshold=10)
    ind = lo.indicators.set_index("indicator")
    assert ind.loc["x", "top_changed_years"] == [2020] and ind.loc["x", "decisive"]
    assert not ind.loc["y", "decisive"] and lo.decisive == ["x"]
    assert "x (top unit changes in [2020])" in lo.summary()


def test_loo_ahp_matrices_lose_the_dropped_child():
    res = measure(synth_panel(), fw_from(SYNTH), weighting="ahp")
    lo = U.leave_one_out(res)
    fw2 = res.framework.subset([i for i in res.framework.indicator_ids if i != "b"])
    w = measure(Panel(res.values.drop(columns="b"), "values"), fw2, weighting="ahp", years="all").indicator_weights
    sub = np.array([[1, 4], [1 / 4, 1]])  # rows/columns a and c of the D1 matrix
    local = wt.ahp(sub)[0]
    np.testing.assert_allclose(w[["a", "c"]].to_numpy(), 0.75 * local, rtol=1e-12)
    assert lo.indicators.shape[0] == 5 and not lo.notes


def test_loo_bad_input(prov_result):
    with pytest.raises(MethodError, match="mode"):
        U.leave_one_out(prov_result, mode="drop")
    res = measure(synth_panel(cols="a"), one_indicator_fw("a"))
    with pytest.raises(MethodError, match="two indicators"):
        U.leave_one_out(res)


# ---------------------------------------------------------------------------------------------
# the bundle


def test_uncertainty_analysis_bundle(prov_result, provinces_panel):
    ua = U.uncertainty_analysis(prov_result, draws=300, bootstrap=40)
    assert ua.methods is not None and ua.leave_one_out is not None and ua.bootstrap is not None
    df = ua.to_frame()
    assert {"median_rank", "rank_low", "rank_high", "p_top1", "method_min_rank", "method_spread"} <= set(df)
    assert len(df) == len(prov_result.scores)
    tabs = ua.tables()
    assert {"ranks", "method_correlation", "loo_indicators", "bootstrap"} <= set(tabs)
    s = ua.summary()
    assert "Monte Carlo" in s and "Method sensitivity" in s and "Leave-one-indicator-out" in s
    assert ua.summary("zh") and str(ua) == s
    from nqpf.core.blocks import Figure, Text
    from nqpf.core.interface import ReportContext

    blocks = ua.report(ReportContext("zh"))
    assert sum(isinstance(b, Figure) for b in blocks) == 2 and any(isinstance(b, Text) for b in blocks)
    assert "Dirichlet" in UB._uncertainty_methods(ua, None, "en")
    with_panel = U.uncertainty_analysis(prov_result, panel=provinces_panel, draws=100, bootstrap=0, loo=False)
    pd.testing.assert_frame_equal(with_panel.methods.scores, ua.methods.scores, rtol=1e-12)
    assert with_panel.bootstrap is None and with_panel.leave_one_out is None
