"""Hansen (1999) panel threshold regression: the vectorised SSR against a plain loop, Hansen's published
thresholds on his investment data, the bootstrap, balance handling, and the study entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS

from nqpf.core.errors import DataError, MethodError
from nqpf.models.tables import publication_table
from nqpf.models.threshold import _sequential, c_alpha, ssr_path, threshold_regression
from tests.conftest import shared_data

HANSEN = (shared_data() / "replication" / "hansen1999_investment.csv") if shared_data() else None
needs_hansen = pytest.mark.skipif(HANSEN is None or not HANSEN.exists(), reason="../shared/data is absent")
XH = ["q1", "q2", "q3", "d1", "qd1"]


def within(a: np.ndarray, N: int, T: int) -> np.ndarray:
    b = a.reshape(N, T, -1)
    return (b - b.mean(axis=1, keepdims=True)).reshape(a.shape)


def brute_ssr(y, Xf, r, q, N, T, gammas, fixed=()):
    """The definition: for each γ, OLS of within-y on within [Xf, r·1(q ≤ g) for g in fixed, r·1(q ≤ γ)]."""
    out = []
    for g in gammas:
        X = np.hstack([Xf, *(within(r * (q <= h)[:, None], N, T) for h in (*fixed, g))])
        b, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ b
        out.append(e @ e)
    return np.array(out)


def synthetic(N=30, T=6, seed=0, effect=(0.2, 1.0), gamma=0.5, k1=1):
    rng = np.random.default_rng(seed)
    n = N * T
    q = rng.random(n)
    r = rng.normal(size=(n, k1))
    x = rng.normal(size=(n, 2))
    mu = np.repeat(rng.normal(size=N), T)
    beta = np.where(q <= gamma, effect[0], effect[1])
    y = mu + (r * beta[:, None]).sum(1) + x @ [0.5, -0.3] + rng.normal(size=n) * 0.5
    df = pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(N)], T), "year": np.tile(2000 + np.arange(T), N),
                       "y": y, "q": q, "x1": x[:, 0], "x2": x[:, 1]})
    for j in range(k1):
        df[f"r{j}"] = r[:, j]
    return df


def test_vectorised_ssr_equals_a_loop_over_candidates():
    N, T = 25, 7
    df = synthetic(N, T, seed=3, k1=2)
    y = within(df["y"].to_numpy(), N, T)
    r = df[["r0", "r1"]].to_numpy()
    q = df["q"].to_numpy()
    Xf = within(np.column_stack([df[["x1", "x2"]].to_numpy(), r]), N, T)
    unit = np.repeat(np.arange(N), T)
    gammas = np.quantile(q, np.linspace(0.05, 0.95, 40))
    fast = ssr_path(y, Xf, r, q, unit, T, gammas)[:, 0]
    np.testing.assert_allclose(fast, brute_ssr(y, Xf, r, q, N, T, gammas), rtol=1e-10)
    # with a threshold already in the model (the second stage)
    g1 = float(np.quantile(q, 0.3))
    X0 = np.hstack([Xf, within(r * (q <= g1)[:, None], N, T)])
    fast2 = ssr_path(y, X0, r, q, unit, T, gammas)[:, 0]
    slow2 = brute_ssr(y, Xf, r, q, N, T, gammas, fixed=(g1,))
    ok = np.isfinite(fast2)
    assert ok.sum() == len(gammas) - 1  # γ = g1 adds nothing: excluded
    np.testing.assert_allclose(fast2[ok], slow2[ok], rtol=1e-9)
    # several responses at once (the bootstrap batch) = one at a time
    Y = np.column_stack([y, within(np.random.default_rng(1).normal(size=N * T), N, T)])
    both = ssr_path(Y, Xf, r, q, unit, T, gammas)
    np.testing.assert_allclose(both[:, 1], ssr_path(Y[:, 1], Xf, r, q, unit, T, gammas)[:, 0], rtol=1e-12)


def test_c_alpha():
    assert c_alpha(0.95) == pytest.approx(7.3523, abs=1e-4)  # Hansen (2000), Table 1: 7.35
    assert c_alpha(0.90) == pytest.approx(5.9395, abs=1e-4) and c_alpha(0.99) == pytest.approx(10.5916, abs=1e-4)


def test_recovers_a_planted_threshold_and_the_final_model_is_linearmodels():
    df = synthetic(60, 8, seed=5, effect=(0.0, 1.0), gamma=0.6)
    res = threshold_regression(df, "y", "r0", "q", ["x1", "x2"], grid="all", bootstrap=100, seed=2)
    g = res.thresholds.loc["γ1"]
    assert abs(g["estimate"] - 0.6) < 0.02 and g["lower"] <= g["estimate"] <= g["upper"]
    assert res.tests.loc["single", "p_value"] < 0.01
    lr = res.lr["γ1"]
    assert lr["LR"].min() == 0 and lr.loc[lr["LR"].idxmin(), "gamma"] == g["estimate"]
    # the coefficients: PanelOLS with unit effects on the regime-split regressor
    d = df.set_index(["unit", "year"])
    low = (d["q"] <= g["estimate"]).astype(float)
    ex = pd.DataFrame({"x1": d["x1"], "x2": d["x2"], "r0_r1": d["r0"] * low, "r0_r2": d["r0"] * (1 - low)})
    ref = PanelOLS(d["y"], ex, entity_effects=True).fit(cov_type="clustered", cluster_entity=True)
    pd.testing.assert_series_equal(res.params, ref.params, check_names=False)
    pd.testing.assert_series_equal(res.std_errors, ref.std_errors, check_names=False)
    assert res.params["r0_r2"] == pytest.approx(1.0, abs=0.15) and abs(res.params["r0_r1"]) < 0.15
    # the publication table has both regimes, N and the F statistic; the text reads the numbers
    tab = publication_table(res.estimates())
    assert tab.loc["N"].iloc[0] == "480" and "F (single)" in tab.index
    assert any("0.6" in s for s in res.narrative("en")) and "门槛" in res.summary("zh")
    assert "网格：门槛变量的全部不同取值" in res.summary("zh")
    fig = res.plot(lang="zh")
    assert fig.axes[0].get_ylabel() == "LR(γ)" and len(fig.axes[0].lines) == 2  # LR(γ1) and c(α)
    assert len(res.figures("en")[0].data) == 1
    tabs = res.tables()
    assert set(tabs) == {"", "thresholds", "tests", "regimes", "lr"} and len(tabs["lr"]) > 100


def test_bootstrap_is_seeded_and_no_threshold_is_not_rejected():
    df = synthetic(40, 6, seed=101, effect=(0.5, 0.5))  # size checked over 40 seeds: 0 % at 5 %, 5 % at 10 %
    a = threshold_regression(df, "y", "r0", "q", ["x1", "x2"], bootstrap=200, seed=11)
    b = threshold_regression(df, "y", "r0", "q", ["x1", "x2"], bootstrap=200, seed=11)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    assert a.tests.loc["single", "p_value"] == pytest.approx(0.845)
    assert a.tests.loc["single", "crit10"] < a.tests.loc["single", "crit5"] < a.tests.loc["single", "crit1"]


def test_batched_sequential_search_equals_column_by_column():
    """The bootstrap groups replications by their earlier thresholds; the result must not depend on it."""
    df = synthetic(30, 6, seed=9, effect=(0.0, 1.0))
    res = threshold_regression(df, "y", "r0", "q", ["x1"], n_thresholds=1, grid=40, bootstrap=0)
    assert res.n_thresholds == 1
    from nqpf.models import threshold as th

    N, T = 30, 6
    d = df.sort_values(["unit", "year"])
    r = d[["r0"]].to_numpy()
    q = d["q"].to_numpy()
    cand, _ = th._grid(q, 40, 0.05)
    P = th._Problem(N, T, np.repeat(np.arange(N), T), within(d["y"].to_numpy(), N, T),
                    within(np.column_stack([d["x1"].to_numpy(), r[:, 0]]), N, T), r, q, cand,
                    np.searchsorted(np.sort(q), cand, side="right"), (0.05, 0.05, 0.05))
    E = within(np.random.default_rng(0).normal(size=(N * T, 12)), N, T) + P.y[:, None]
    for k in (1, 2, 3):
        sp, sk = _sequential(P, E, k)
        for b in range(E.shape[1]):
            sp1, sk1 = _sequential(P, E[:, [b]], k)
            assert sp[b] == pytest.approx(sp1[0], rel=1e-10) and sk[b] == pytest.approx(sk1[0], rel=1e-10)
        # and against the definition for the first stage
        if k == 1:
            ref = [brute_ssr(E[:, b], P.Xf, r, q, N, T, cand[P.admissible((), 0)]).min() for b in range(3)]
            np.testing.assert_allclose(sk[:3], ref, rtol=1e-9)


def test_unbalanced_panel_is_refused_or_balanced_with_a_report():
    df = synthetic(20, 5, seed=1)
    df = df.drop(index=df.index[(df["unit"] == "u3") & (df["year"].isin([2001, 2003]))])
    with pytest.raises(DataError, match=r"balanced panel: 1 unit\(s\) lack years \(u3: 2001, 2003\)"):
        threshold_regression(df, "y", "r0", "q", bootstrap=0)
    res = threshold_regression(df, "y", "r0", "q", bootstrap=0, balanced="drop")
    assert res.n_units == 19 and list(res.dropped["unit"]) == ["u3"]
    assert res.dropped["missing_years"].iloc[0] == "2001, 2003" and "dropped 1 unit(s)" in res.notes[0]
    with pytest.raises(MethodError, match="n_thresholds"):
        threshold_regression(df, "y", "r0", "q", n_thresholds=4)
    with pytest.raises(DataError, match="no column"):
        threshold_regression(df, "y", "nope", "q")


@needs_hansen
def test_hansen_1999_single_threshold():
    """Hansen (1999), Table 2: the single threshold of debt/assets is 0.0157 — on every distinct value and on
    his grid of quantiles 1%, 1.25%, …, 99% of the distinct values; F1 as computed here (no bootstrap)."""
    df = pd.read_csv(HANSEN)
    for grid in ("all", "hansen"):
        res = threshold_regression(df, "i", "c1", "d1", XH, grid=grid, bootstrap=0, unit="id", year="year")
        assert res.thresholds.loc["γ1", "estimate"] == pytest.approx(0.0157, abs=1e-9), grid
        assert res.tests.loc["single", "F"] == pytest.approx(32.8173, abs=1e-3)
        assert res.nobs == 7910 and res.n_units == 565 and res.n_years == 14


@needs_hansen
def test_hansen_1999_double_threshold():
    """Double threshold with refinement. Hansen's published pair is 0.0157 and 0.5362. The refined first
    threshold reproduces 0.0157 on both grids; the second lands at 0.5400 (every distinct value) or 0.5407
    (Hansen's grid, on which 0.53616 — his 0.5362 — is the runner-up, SSR 17.72676 vs 17.72513), inside
    the LR confidence interval, which contains 0.5362. The 400-point grid (xthreg's grid(400); Wang 2015
    reports 0.0154 and 0.5418) gives 0.0161 and 0.5415 here."""
    df = pd.read_csv(HANSEN)
    want = {"all": (0.0157, 0.54003), "hansen": (0.0157, 0.54072), 400: (0.01606, 0.54147)}
    for grid, (g1, g2) in want.items():
        res = threshold_regression(df, "i", "c1", "d1", XH, n_thresholds=2, grid=grid, bootstrap=0, unit="id",
                                   year="year")
        th = res.thresholds
        assert th.loc["γ1", "estimate"] == pytest.approx(g1, abs=1e-9), grid
        assert th.loc["γ2", "estimate"] == pytest.approx(g2, abs=1e-9), grid
        assert th.loc["γ2", "lower"] < 0.5362 < th.loc["γ2", "upper"]
        assert th.loc["γ1", "lower"] < 0.0157 < th.loc["γ1", "upper"]
    lr = res.lr["γ2"]
    assert lr.loc[lr["gamma"].sub(0.5362).abs().idxmin(), "LR"] < c_alpha(0.95)


def test_study_entry_runs_from_a_study_file():
    from nqpf.study import load_study, run_study
    from nqpf.study.spec import StudySpec

    spec, source = load_study()
    raw = spec.model_dump()
    raw["analyses"] = {}
    raw["models"] = {"thr": {"model": "threshold", "y": "hqd", "rx": "nqpf", "q": "nqpf", "bootstrap": 30,
                             "x": {"market_size": "log(gdp)"}}}
    run = run_study(StudySpec.model_validate(raw), source)
    res = run.analyses["thr"]
    assert res.n_units == 30 and res.n_years == 7 and res.q == "nqpf"
    assert "thr_hqd_nqpf" in run.tables and "thr_hqd_nqpf_tests" in run.tables
    spec_entry = run.records["thr"].spec
    assert "Hansen" in spec_entry.methods(res, run.records["thr"].options, "en")


def test_equal_slopes_wald_test_equals_linearmodels():
    df = synthetic(40, 6, seed=12, effect=(0.2, 0.8))
    res = threshold_regression(df, "y", "r0", "q", ["x1"], bootstrap=0)
    d = df.set_index(["unit", "year"])
    low = (d["q"] <= res.thresholds.loc["γ1", "estimate"]).astype(float)
    ex = pd.DataFrame({"x1": d["x1"], "r0_r1": d["r0"] * low, "r0_r2": d["r0"] * (1 - low)})
    ref = PanelOLS(d["y"], ex, entity_effects=True).fit(cov_type="clustered", cluster_entity=True)
    w = ref.wald_test(formula="r0_r1 = r0_r2")
    assert res.equal_slopes["stat"] == pytest.approx(w.stat, rel=1e-8) and res.equal_slopes["df"] == 1
    assert res.equal_slopes["p_value"] == pytest.approx(w.pval, rel=1e-6)


def test_year_effects_equal_year_dummies():
    df = synthetic(30, 6, seed=4, effect=(0.0, 1.0))
    df["y"] = df["y"] + df["year"].map({2000 + t: 0.5 * t for t in range(6)})
    a = threshold_regression(df, "y", "r0", "q", ["x1"], time_effects=True, bootstrap=0, grid="all")
    for t in range(2001, 2006):
        df[f"d{t}"] = (df["year"] == t).astype(float)
    b = threshold_regression(df, "y", "r0", "q", ["x1", *(f"d{t}" for t in range(2001, 2006))], bootstrap=0,
                             grid="all")
    assert a.thresholds.loc["γ1", "estimate"] == b.thresholds.loc["γ1", "estimate"]
    assert a.tests.loc["single", "F"] == pytest.approx(b.tests.loc["single", "F"], rel=1e-9)
    assert a.params["r0_r2"] == pytest.approx(b.params["r0_r2"], rel=1e-9)
    assert publication_table(a.estimates()).loc["Year FE"].iloc[0] == "Yes"
