"""Staggered DID (nqpf.models.did) against independent computations, and the bundled china-cities data.

- TWFE DID and its clustered SE = statsmodels OLS with unit and year dummies, clustered by unit;
- event-study coefficients = an explicit dummy regression (statsmodels), the pre-trend F recomputed from it;
- placebo draws = re-estimating with the permuted treatment years drawn from the same seed;
- Sun–Abraham (pyfixest) = our own cohort × relative-period interaction regression (linearmodels) aggregated with
  cohort shares; Gardner did2s ATT = the imputation estimator written out (FE fitted on untreated rows).
"""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from nqpf.analysis.registry import ANALYSES
from nqpf.core.errors import DataError
from nqpf.core.rng import generator
from nqpf.datasets import load_dataset
from nqpf.datasets.cities import city_table, pilot_list, pilot_years
from nqpf.models.did import did, event_dummies

HAVE_PYFIXEST = importlib.util.find_spec("pyfixest") is not None
needs_pyfixest = pytest.mark.skipif(not HAVE_PYFIXEST, reason="pyfixest (the robust DID estimators) not installed")


def staggered_panel(n: int = 48, years: range = range(2010, 2020), seed: int = 3) -> tuple[pd.DataFrame, dict]:
    """Cohorts 2013, 2015, 2017 (10 units each), 18 never treated; dynamic, cohort-specific effects."""
    rng = np.random.default_rng(seed)
    units = [f"U{i:02d}" for i in range(n)]
    g = {u: c for u, c in zip(units, [2013] * 10 + [2015] * 10 + [2017] * 10, strict=False)}
    rows = []
    a = rng.normal(0, 1, n)
    lam = {t: 0.3 * (t - 2010) + rng.normal(0, 0.2) for t in years}
    for i, u in enumerate(units):
        for t in years:
            e = t - g[u] if u in g else None
            eff = 0.0 if e is None or e < 0 else (1.0 + 0.3 * e) * (1.5 if g[u] == 2013 else 1.0)
            x = rng.normal(0, 1)
            rows.append({"unit": u, "year": t, "y": a[i] + lam[t] + 0.5 * x + eff + rng.normal(0, 0.5), "x": x})
    return pd.DataFrame(rows).set_index(["unit", "year"]), g


@pytest.fixture(scope="module")
def synth():
    df, g = staggered_panel()
    res = did(df, "y", g, ["x"], leads=3, lags=3, placebo=20, seed=11, robust=HAVE_PYFIXEST)
    return df, g, res


def _dummies(df: pd.DataFrame, g: dict) -> pd.DataFrame:
    flat = df.reset_index()
    flat["g"] = flat["unit"].map(g).astype(float)
    flat["D"] = ((flat["year"] >= flat["g"]) & flat["g"].notna()).astype(float)
    return flat


def test_twfe_equals_dummy_ols(synth):
    df, g, res = synth
    flat = _dummies(df, g)
    ols = smf.ols("y ~ D + x + C(unit) + C(year)", flat).fit(cov_type="cluster",
                                                               cov_kwds={"groups": pd.factorize(flat["unit"])[0]})
    assert res.att == pytest.approx(ols.params["D"], abs=1e-10)
    assert float(res.twfe.params["x"]) == pytest.approx(ols.params["x"], abs=1e-10)
    # same small-sample factor G/(G-1)·(n-1)/(n-K), K counting every dummy
    assert float(res.twfe.std_errors["D"]) == pytest.approx(ols.bse["D"], rel=1e-8)


def test_event_study_equals_explicit_dummies(synth):
    df, g, res = synth
    flat = _dummies(df, g)
    rel = (flat["year"] - flat["g"]).clip(-3, 3)
    names = {}
    for e in (-3, -2, 0, 1, 2, 3):
        col = f"e{'m' if e < 0 else 'p'}{abs(e)}"
        flat[col] = ((rel == e) & flat["g"].notna()).astype(float)
        names[e] = col
    ols = smf.ols("y ~ " + " + ".join(names.values()) + " + x + C(unit) + C(year)", flat).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(flat["unit"])[0]})
    ev = res.event.set_index("rel_time")
    for e, col in names.items():
        assert ev.loc[e, "coef"] == pytest.approx(ols.params[col], abs=1e-9)
        assert ev.loc[e, "std_error"] == pytest.approx(ols.bse[col], rel=1e-7)
    assert ev.loc[-1, "coef"] == 0.0
    # the joint pre-trend test: Wald on the leads with the clustered covariance, F(q, G-1)
    b = ols.params[["em3", "em2"]].to_numpy()
    V = ols.cov_params().loc[["em3", "em2"], ["em3", "em2"]].to_numpy()
    F = float(b @ np.linalg.solve(V, b)) / 2
    assert res.pretrend["F"] == pytest.approx(F, rel=1e-7)
    assert res.pretrend["df2"] == 47


def test_event_dummies_bins_endpoints():
    d = event_dummies(np.array([2005, 2008, 2010, 2016, 2030]), np.array([2010.0] * 5), 3, 2)
    assert list(d.columns) == ["pre_3+", "pre_2", "post_0", "post_1", "post_2+"]
    assert d.to_numpy().tolist() == [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1],
                                     [0, 0, 0, 0, 1]]


def test_placebo_draws_are_reestimates_with_permuted_years(synth):
    df, g, res = synth
    units = list(dict.fromkeys(df.index.get_level_values(0)))
    gu = np.array([g.get(u, np.nan) for u in units], dtype=float)
    rng = generator(11)
    for r in range(2):
        perm = rng.permutation(gu)
        fake = {u: v for u, v in zip(units, perm, strict=True) if np.isfinite(v)}
        flat = _dummies(df, fake)
        ols = smf.ols("y ~ D + x + C(unit) + C(year)", flat).fit()
        assert res.placebo[r] == pytest.approx(ols.params["D"], abs=1e-9)
    assert len(res.placebo) == 20
    k = int(np.sum(np.abs(res.placebo) >= abs(res.att) - 1e-12))
    assert res.placebo_p == pytest.approx((1 + k) / 21)


@needs_pyfixest
def test_sun_abraham_equals_interacted_regression(synth):
    """pyfixest's saturated event study = cohort × relative-period dummies, aggregated by cohort shares."""
    from linearmodels import PanelOLS

    df, g, res = synth
    flat = _dummies(df, g)
    flat["rel"] = flat["year"] - flat["g"]
    cols = {}
    for c in sorted(set(g.values())):
        for e in sorted(flat.loc[flat["g"] == c, "rel"].unique()):
            if e == -1:
                continue
            name = f"c{c}_e{int(e)}"
            flat[name] = ((flat["g"] == c) & (flat["rel"] == e)).astype(float)
            cols[name] = (c, int(e))
    panel = flat.set_index(["unit", "year"])
    fit = PanelOLS(panel["y"], panel[[*cols]], entity_effects=True, time_effects=True).fit()
    sizes = pd.Series(g).value_counts()
    for e in (-4, -2, 0, 2, 4):
        cells = {n: c for n, (c, ee) in cols.items() if ee == e}
        w = np.array([sizes[c] for c in cells.values()], dtype=float)
        w /= w.sum()
        expected = float(np.dot(w, fit.params[list(cells)]))
        assert res.robust_event.loc[e, "estimate"] == pytest.approx(expected, abs=1e-8)


@needs_pyfixest
def test_did2s_equals_two_stage_by_hand(synth):
    """Gardner's two-stage DID: (1) y on x and unit + year dummies on the untreated rows; (2) the residualised y of
    every row on D and x without a constant (pyfixest, like R's did2s, repeats the covariates in stage 2). Without
    covariates this is the imputation estimator, the mean residual of the treated rows."""
    df, g, res = synth
    flat = _dummies(df, g)
    first = smf.ols("y ~ x + C(unit) + C(year)", flat[flat["D"] == 0]).fit()
    # stage 1 removes the fitted fixed effects only; stage 2 re-estimates the covariate alongside D
    flat["y_t"] = flat["y"] - first.predict(flat.assign(x=0.0))
    second = smf.ols("y_t ~ 0 + D + x", flat).fit()
    assert res.robust_att["estimate"] == pytest.approx(second.params["D"], abs=1e-8)
    plain = did(df, "y", g, leads=3, lags=3, placebo=0)
    treated = flat[flat["D"] == 1]
    first0 = smf.ols("y ~ C(unit) + C(year)", flat[flat["D"] == 0]).fit()
    assert plain.robust_att["estimate"] == pytest.approx(float((treated["y"] - first0.predict(treated)).mean()),
                                                         abs=1e-8)


@needs_pyfixest
def test_result_interface(synth):
    *_, res = synth
    assert "Staggered DID" in res.summary("en") and "多期双重差分" in res.summary("zh")
    tab = res.publication_table()
    assert list(tab.columns) == ["TWFE DID", "event study", "did2s (Gardner)"]
    assert len(res.figures("en")) == 2
    fig = res.plot(lang="zh")
    assert fig.axes
    assert set(res.tables()) == {"", "table", "placebo", "tests"}


def test_bad_treatment_input(synth):
    df, *_ = synth
    with pytest.raises(DataError, match="none of the 1 treated units"):
        did(df, "y", {"nowhere": 2015}, placebo=0, robust=False)


# ---------------------------------------------------------------------------------------------
# the bundled city data and the broadband worked example
# ---------------------------------------------------------------------------------------------
def test_city_dataset_checks():
    """The checks of CITIES.md (PKU-DFIIC city level, as published)."""
    p = load_dataset("china-cities")
    d = p.data["index_aggregate"]
    assert p.kind == "city" and len(p.units) == 338 and p.years == list(range(2011, 2024))
    assert d[("杭州市", 2018)] == pytest.approx(302.98, abs=0.005)
    assert d[("杭州市", 2020)] == pytest.approx(334.48, abs=0.005)
    assert d[("深圳市", 2020)] == pytest.approx(319.24, abs=0.005)
    assert d[("苏州市", 2020)] == pytest.approx(309.80, abs=0.005)
    assert d[("合肥市", 2021)] == pytest.approx(330.94, abs=0.005)
    t = city_table().set_index("city")
    assert t.loc["深圳市", "city_code"] == "4403" and t.loc["深圳市", "province"] == "广东"
    bb = pilot_list("broadband_china_pilot")
    assert bb.groupby("batch_year").size().to_dict() == {2014: 41, 2015: 39, 2016: 39}
    years, missing = pilot_years("broadband_china_pilot", units=p.units)
    assert missing == ["阿拉尔市"]  # a XPCC county-level city, not a prefecture of the index
    assert (years["苏州市"], years["商丘市"], years["重庆市"]) == (2014, 2015, 2015)
    assert len(years) == 113


def test_broadband_did_from_the_study_entry():
    """The worked example through the registered model (robust estimators off to keep the test fast)."""
    spec = ANALYSES["did"]
    p = load_dataset("china-cities")
    opts = spec.parse({"y": "index_aggregate", "pilot": "broadband_china_pilot", "placebo": 50, "robust": False})
    ctx = SimpleNamespace(panel=p, results={}, index=None)  # a panel column needs no index
    res = spec.run(ctx, opts)
    assert (res.n_treated, res.n_never) == (113, 225)
    assert res.cohorts.to_dict() == {2014: 39, 2015: 38, 2016: 36}
    assert res.att == pytest.approx(2.4168, abs=5e-4)
    assert res.pretrend["p"] == pytest.approx(0.155, abs=5e-3)
    text = spec.methods(res, opts, "en")
    assert "Sun & Abraham, 2021" in text and "$D_{it} = 1[t \\ge g_i]$" in text


def test_treatment_column_equals_mapping(synth):
    df, g, res = synth
    col = df.assign(first=[float(g.get(u, np.nan)) for u, _ in df.index])
    alt = did(col, "y", "first", ["x"], leads=3, lags=3, placebo=20, seed=11, robust=False)
    assert alt.att == pytest.approx(res.att, abs=1e-12)
    np.testing.assert_allclose(alt.placebo, res.placebo, atol=1e-12)
    early = did(df, "y", {**g, "U40": 2010}, leads=3, lags=3, placebo=0, robust=False)
    assert any("U40" in n and "no pre-period" in n for n in early.notes)


def test_unbalanced_panel_twfe_and_placebo():
    """Rows missing at random: the within transformation iterates; estimates still equal dummy OLS."""
    df, g = staggered_panel(n=30, seed=8)
    df = df.drop(index=df.index[np.random.default_rng(1).choice(len(df), 25, replace=False)])
    res = did(df, "y", g, ["x"], leads=3, lags=3, placebo=3, seed=5, robust=False)
    flat = _dummies(df, g)
    assert res.att == pytest.approx(smf.ols("y ~ D + x + C(unit) + C(year)", flat).fit().params["D"], abs=1e-9)
    units = list(dict.fromkeys(df.index.get_level_values(0)))
    gu = np.array([g.get(u, np.nan) for u in units], dtype=float)
    perm = generator(5).permutation(gu)
    fake = {u: v for u, v in zip(units, perm, strict=True) if np.isfinite(v)}
    ols = smf.ols("y ~ D + x + C(unit) + C(year)", _dummies(df, fake)).fit()
    assert res.placebo[0] == pytest.approx(ols.params["D"], abs=1e-8)
