"""σ- and β-convergence against hand calculation, statsmodels OLS with dummies and linearmodels directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS
from result_checks import check_interface, check_methods, run_doctests
from scipy import stats

from nqpf.analysis.convergence import ConvergenceBundle, beta_convergence, sigma_convergence
from nqpf.core.errors import DataError, MethodError
from nqpf.core.interface import ReportContext
from nqpf.result import IndexResult


def _index_result(scores: pd.DataFrame) -> IndexResult:
    return IndexResult(framework=None, values=pd.DataFrame(), normalized=pd.DataFrame(),  # type: ignore[arg-type]
                       scores=scores, weights=pd.DataFrame(), bounds=pd.DataFrame())


def _converging_panel(n: int = 15, years=range(2010, 2021), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    lny = rng.normal(0, 0.6, n)
    for t in years:
        x = rng.normal(size=n)
        rows += [(f"p{i:02d}", t, float(np.exp(lny[i])), float(x[i])) for i in range(n)]
        lny = 0.04 + 0.85 * lny + 0.02 * x + rng.normal(0, 0.05, n)
    return pd.DataFrame(rows, columns=["unit", "year", "score", "x"])


# ---------------------------------------------------------------------------------------------
# σ-convergence
# ---------------------------------------------------------------------------------------------
def test_sigma_by_hand():
    # year 1: 1, 2, 3 → mean 2, population sd √(2/3), CV = √(2/3)/2 = 0.408248…
    # year 2: 2, 2, 2 → CV 0;  year 3: 1, 3, 5 → mean 3, sd √(8/3), CV = 0.544331…
    frame = pd.DataFrame({"unit": list("abc") * 3, "year": np.repeat([1, 2, 3], 3),
                          "score": [1, 2, 3, 2, 2, 2, 1, 3, 5]})
    res = sigma_convergence(_index_result(frame))
    t = res.to_frame().set_index("year")
    assert t.loc[1, "cv"] == pytest.approx(np.sqrt(2 / 3) / 2)
    assert t.loc[2, "cv"] == 0.0
    assert t.loc[3, "cv"] == pytest.approx(np.sqrt(8 / 3) / 3)
    assert t.loc[1, "sd_log"] == pytest.approx(np.std(np.log([1, 2, 3])))
    # trend slope by hand: x = 1, 2, 3 (x̄ = 2), slope = Σ(x − x̄)(cv − c̄) / Σ(x − x̄)² = (cv3 − cv1) / 2
    assert res.slope == pytest.approx((np.sqrt(8 / 3) / 3 - np.sqrt(2 / 3) / 2) / 2)
    sample = sigma_convergence(frame, ddof=1).to_frame().set_index("year")
    assert sample.loc[1, "sd"] == pytest.approx(1.0)


def test_sigma_trend_matches_linregress_and_summary():
    frame = _converging_panel()
    res = sigma_convergence(frame)
    t = res.to_frame()
    for m in ("cv", "sd_log"):
        lr = stats.linregress(t["year"], t[m])
        assert res.trend.loc[m, "slope"] == pytest.approx(lr.slope)
        assert res.trend.loc[m, "p"] == pytest.approx(lr.pvalue)
    assert res.slope < 0
    assert "σ-convergence" in res.summary()
    nonpos = frame.assign(score=np.where(frame["unit"] == "p00", 0.0, frame["score"]))
    assert np.isnan(sigma_convergence(nonpos).to_frame()["sd_log"]).all()


# ---------------------------------------------------------------------------------------------
# β-convergence
# ---------------------------------------------------------------------------------------------
def _growth_frame(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.sort_values(["unit", "year"]).copy()
    f["ln_y0"] = np.log(f.groupby("unit")["score"].shift(1))
    f["x0"] = f.groupby("unit")["x"].shift(1)
    f["growth"] = np.log(f["score"]) - f["ln_y0"]
    return f.dropna(subset=["growth"]).reset_index(drop=True)


def test_absolute_beta_matches_statsmodels_ols_clustered():
    frame = _converging_panel()
    res = beta_convergence(_index_result(frame))
    g = _growth_frame(frame)
    ols = sm.OLS(g["growth"], sm.add_constant(g[["ln_y0"]])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(g["unit"])[0]})
    assert res.beta == pytest.approx(ols.params["ln_y0"], abs=1e-10)
    assert res.se == pytest.approx(ols.bse["ln_y0"], rel=1e-8)
    assert res.n_obs == len(g) == 15 * 10
    assert res.n_units == 15 and res.n_periods == 10
    assert res.r2 == pytest.approx(ols.rsquared)
    # λ = −ln(1 + β), half-life ln 2 / λ
    assert res.lambda_ == pytest.approx(-np.log(1 + res.beta))
    assert res.half_life == pytest.approx(np.log(2) / res.lambda_)
    assert res.beta < 0 and "β-convergence" in res.summary()
    table = res.to_frame().set_index("term")
    assert table.loc["ln_y0", "coef"] == res.beta and table.loc["lambda", "coef"] == res.lambda_


def test_conditional_beta_two_way_fe_matches_dummies_and_linearmodels():
    frame = _converging_panel(seed=1)
    res = beta_convergence(frame, conditional=True)
    g = _growth_frame(frame)
    dummies = pd.get_dummies(g[["unit", "year"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([g[["ln_y0"]], dummies], axis=1))
    ols = sm.OLS(g["growth"], X).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(g["unit"])[0]})
    assert res.beta == pytest.approx(ols.params["ln_y0"], abs=1e-10)
    # same small-sample factors as statsmodels' LSDV with clustered SEs
    assert res.se == pytest.approx(ols.bse["ln_y0"], rel=1e-8)
    # and exactly linearmodels called directly
    p = g.set_index(["unit", "year"])
    lm = PanelOLS(p["growth"], p[["ln_y0"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True)
    assert res.se == pytest.approx(lm.std_errors["ln_y0"], rel=1e-12)
    assert res.p == pytest.approx(lm.pvalues["ln_y0"], rel=1e-12)
    assert res.conditional and res.summary().startswith("Conditional (unit and year fixed effects)")
    # fit options pass through
    plain = beta_convergence(frame, conditional=True, cov_type="unadjusted")
    lm2 = PanelOLS(p["growth"], p[["ln_y0"]], entity_effects=True, time_effects=True).fit()
    assert plain.se == pytest.approx(lm2.std_errors["ln_y0"], rel=1e-12)


def test_conditional_beta_with_controls_in_start_year():
    frame = _converging_panel(seed=2)
    res = beta_convergence(frame, conditional=True, controls=["x"])
    g = _growth_frame(frame)
    dummies = pd.get_dummies(g[["unit", "year"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([g[["ln_y0", "x0"]], dummies], axis=1))
    ols = sm.OLS(g["growth"], X).fit()
    assert res.beta == pytest.approx(ols.params["ln_y0"], abs=1e-10)
    assert res.params.loc["x", "coef"] == pytest.approx(ols.params["x0"], abs=1e-10)
    assert res.controls == ["x"]
    # controls as a frame of their own give the same numbers
    ctrl = frame[["unit", "year", "x"]]
    res2 = beta_convergence(frame[["unit", "year", "score"]], conditional=True, controls=ctrl)
    assert res2.beta == pytest.approx(res.beta, abs=1e-14)


def test_growth_uses_consecutive_years_only():
    frame = _converging_panel(n=6, years=range(2010, 2016))
    holed = frame[~((frame["unit"] == "p02") & (frame["year"] == 2012))]
    res = beta_convergence(holed)
    # p02 loses the growth into 2012 and out of 2012 → 2 fewer observations than 6 × 5
    assert res.n_obs == 30 - 2
    g = _growth_frame(holed)
    g = g[g["year"] - g.groupby("unit")["year"].shift(1).fillna(g["year"] - 1) == 1]
    g = g[~((g["unit"] == "p02") & (g["year"] == 2013))]
    ols = sm.OLS(g["growth"], sm.add_constant(g[["ln_y0"]])).fit()
    assert res.beta == pytest.approx(ols.params["ln_y0"], abs=1e-10)


def test_beta_errors():
    frame = _converging_panel(n=5, years=range(2010, 2014))
    with pytest.raises(DataError, match=r"unit 'p03', year 2011: 'score' = 0.0 is not positive"):
        beta_convergence(frame.assign(score=np.where((frame["unit"] == "p03") & (frame["year"] == 2011), 0.0,
                                                     frame["score"])))
    with pytest.raises(MethodError, match="conditional=True"):
        beta_convergence(frame, controls=["x"])
    with pytest.raises(DataError, match="not found"):
        beta_convergence(frame, conditional=True, controls=["nope"])
    holed = frame.assign(x=np.where((frame["unit"] == "p01") & (frame["year"] == 2012), np.nan, frame["x"]))
    with pytest.raises(DataError, match="control 'x' is missing for unit 'p01', year 2012"):
        beta_convergence(holed, conditional=True, controls=["x"])


# ---------------------------------------------------------------------------------------------
# the result interface: bilingual summaries, narrative, figures, report blocks, methods paragraph
# ---------------------------------------------------------------------------------------------
def test_sigma_beta_and_bundle_interface_report_and_methods():
    frame = _converging_panel()
    sig = sigma_convergence(frame)
    cv = sig.table["cv"]
    tr = sig.trend.loc["cv"]
    check_interface(sig, [f"{cv.iloc[0]:.4f}", f"{cv.iloc[-1]:.4f}", f"{tr['slope']:+.5f}"])
    assert sig.narrative("en")[0].endswith(": σ-convergence.") and "存在 σ 收敛" in sig.narrative("zh")[0]
    np.testing.assert_allclose(sig.plot().axes[0].lines[0].get_ydata(), cv)
    np.testing.assert_allclose(np.asarray(sig.figures()[0].data[0].y, dtype=float), cv)

    ab = beta_convergence(frame)
    co = beta_convergence(frame, conditional=True, controls=["x"])
    for b in (ab, co):
        check_interface(b, [f"β = {b.beta:.4f}", f"R² = {b.r2:.3f}", f"{b.half_life:.1f}"], plot=False)
        with pytest.raises(MethodError):
            b.plot()
    assert "绝对β收敛" in ab.summary("zh") and "条件β收敛" in co.summary("zh") and "x" in co.summary("zh")
    assert "按个体聚类" in ab.summary("zh") and "half-life" in ab.summary("en")

    bundle = ConvergenceBundle(sig, ab, co)
    check_interface(bundle, [f"{cv.iloc[0]:.4f}", f"β = {ab.beta:.4f}", f"β = {co.beta:.4f}"])
    blocks = bundle.report(ReportContext("zh"))
    assert [type(b).__name__ for b in blocks] == ["Heading", "Text", "Figure", "Preformatted", "Table",
                                                  "Preformatted", "Table"]
    assert blocks[0].text == "σ 收敛:变异系数" and blocks[3].text == ab.summary("zh")
    beta = bundle.tables()["beta"]
    assert list(beta["model"].unique()) == ["absolute", "conditional"]
    assert beta.loc[beta["term"] == "ln_y0", "coef"].tolist() == [ab.beta, co.beta]
    text = check_methods("convergence", bundle, ["CV_t", "\\lambda = -\\ln(1+\\beta)"])
    assert "absolute" in text["en"] and "条件β收敛" in text["zh"]


def test_docstring_examples_run():
    import nqpf.analysis.convergence

    run_doctests(nqpf.analysis.convergence)
