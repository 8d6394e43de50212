"""IV-2SLS against linearmodels with explicit dummies, the weak-instrument statistics against their
definitions, and the robustness table (content, study entry with a re-measured index)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS
from linearmodels.iv import IV2SLS

from nqpf.core.errors import MethodError
from nqpf.models.robustness import STOCK_YOGO_SIZE, iv_2sls, lag, robustness, winsorize
from nqpf.models.tables import publication_table


def iv_panel(N=30, T=8, seed=0, drop=(("u3", 2001), ("u5", 2004))):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(N)], range(2000, 2000 + T)], names=["unit", "year"])
    n = N * T
    z1, z2, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    mu, lam = np.repeat(rng.normal(size=N), T), np.tile(rng.normal(size=T), N)
    x = 0.6 * z1 + 0.3 * z2 + 0.5 * u + mu + rng.normal(size=n)
    c = rng.normal(size=n)
    y = 0.5 * x + 0.3 * c + mu + lam + u
    df = pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "c": c}, index=idx)
    return df.drop(index=list(drop))


def dummies(df):
    d = pd.get_dummies(df.reset_index()[["unit", "year"]].astype(str)).astype(float)
    return d.drop(columns=[d.columns[-1]]).set_index(df.index)


def test_iv_equals_linearmodels_with_dummies():
    df = iv_panel()
    res = iv_2sls(df.reset_index(), "y", "x", ["z1", "z2"], "c")
    codes = pd.factorize(df.index.get_level_values(0))[0]
    ref = IV2SLS(df["y"], pd.concat([df[["c"]], dummies(df)], axis=1), df["x"], df[["z1", "z2"]]).fit(
        cov_type="clustered", clusters=codes, debiased=True)
    for v in ("x", "c"):
        assert res.params[v] == pytest.approx(ref.params[v], rel=1e-9)
        assert res.std_errors[v] == pytest.approx(ref.std_errors[v], rel=1e-9)
        assert res.pvalues[v] == pytest.approx(ref.pvalues[v], rel=1e-6)
    assert res.nobs == len(df) == 238 and res.df_resid == 238 - 2 - (30 + 8 - 1)


def test_weak_instrument_statistics_from_their_definitions():
    df = iv_panel()
    res = iv_2sls(df, "y", "x", ["z1", "z2"], "c")
    # first stage with dummies: partial F of (z1, z2) from restricted and unrestricted SSRs
    D = dummies(df)
    full = pd.concat([df[["z1", "z2", "c"]], D], axis=1).to_numpy()
    rest = pd.concat([df[["c"]], D], axis=1).to_numpy()
    xv = df["x"].to_numpy()

    def ssr(X):
        e = xv - X @ np.linalg.lstsq(X, xv, rcond=None)[0]
        return e @ e

    n, k = full.shape
    F = ((ssr(rest) - ssr(full)) / 2) / (ssr(full) / (n - k))
    assert res.first_stage.loc["x", "partial_F"] == pytest.approx(F, rel=1e-8)
    assert res.cragg_donald == pytest.approx(F, rel=1e-8)  # one endogenous regressor: CD = partial F
    # Kleibergen–Paap with one instrument = squared cluster-robust t of the instrument in the first stage
    one = iv_2sls(df, "y", "x", "z1", "c")
    codes = pd.factorize(df.index.get_level_values(0))[0]
    fs = IV2SLS(df["x"], pd.concat([df[["z1", "c"]], D], axis=1), None, None).fit(
        cov_type="clustered", clusters=codes, debiased=True)
    assert one.kleibergen_paap == pytest.approx(fs.tstats["z1"] ** 2, rel=1e-8)
    assert one.stock_yogo["size10"] == STOCK_YOGO_SIZE[1][0] == 16.38
    assert not one.weak() and "no sign of weak instruments" in one.narrative("en")[1]
    with pytest.raises(MethodError, match="at least as many instruments"):
        iv_2sls(df, "y", ["x", "c"], "z1")


def test_lag_and_winsorize():
    df = iv_panel()
    L = lag(df["x"])
    assert np.isnan(L.loc[("u0", 2000)]) and L.loc[("u0", 2003)] == df["x"].loc[("u0", 2002)]
    assert np.isnan(L.loc[("u3", 2002)])  # 2001 is missing for u3: no lag, not the 2000 value
    w, k = winsorize(df["y"], (0.05, 0.95))
    assert k == int((df["y"] < df["y"].quantile(0.05)).sum() + (df["y"] > df["y"].quantile(0.95)).sum())
    assert w.max() == pytest.approx(df["y"].quantile(0.95))


def test_robustness_table():
    df = iv_panel(drop=())
    df["x_alt"] = df["x"] * 0.9 + np.random.default_rng(3).normal(size=len(df)) * 0.1
    r = robustness(df.reset_index(), "y", "x", ["c"], instruments=["z1", "z2"], alternative="x_alt")
    assert list(r.specs["key"]) == ["baseline", "lag", "winsor", "iv", "alt"]
    # column (1) is PanelOLS two-way FE clustered by unit
    ref = PanelOLS(df["y"], df[["x", "c"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True, debiased=True)
    assert r.specs.loc[0, "coef"] == pytest.approx(ref.params["x"], rel=1e-10)
    assert r.specs.loc[0, "std_error"] == pytest.approx(ref.std_errors["x"], rel=1e-10)
    assert r.specs.loc[1, "nobs"] == 30 * 7  # the first year has no lag
    assert r.specs.loc[3, "coef"] == pytest.approx(iv_2sls(df, "y", "x", ["z1", "z2"], "c").params["x"])
    tab = publication_table(r.estimates())
    assert list(tab.columns) == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    assert tab.loc["x"].str.len().gt(0).all()  # the core regressor is one row in every column
    assert tab.loc["Cragg-Donald Wald F", "(4)"] != "" and tab.loc["Year FE"].eq("Yes").all()
    assert any("winsorised" in n for n in r.notes)
    assert "robust" in r.narrative("en")[1] or "Not significant" in r.narrative("en")[1]
    assert r.plot() is not None and len(r.figures()) == 1


def test_robustness_from_a_study_file_with_a_re_measured_index():
    from nqpf.study import load_study, run_study
    from nqpf.study.spec import StudySpec

    spec, source = load_study()
    raw = spec.model_dump()
    raw["analyses"] = {}
    raw["models"] = {"rob": {"model": "robustness", "y": "hqd", "x": "nqpf",
                             "controls": {"market_size": "log(gdp)"}, "alternative": {"weighting": "critic"}}}
    run = run_study(StudySpec.model_validate(raw), source)
    r = run.analyses["rob"]
    assert list(r.specs["key"]) == ["baseline", "lag", "winsor", "iv", "alt"]
    assert r.specs.loc[4, "description"] == "alternative index: nqpf[weighting=critic]"
    assert r.iv is not None and r.iv.instruments == ["L.nqpf"]
    assert "Stock" in run.records["rob"].spec.methods(r, run.records["rob"].options, "en")


def test_stock_yogo_tables_spot_values():
    """Stock & Yogo (2005) Tables 5.1/5.2 (one endogenous regressor), values checked against the printed tables:
    K=1 size 10 % = 16.38; K=5 size 20 % = 10.98; K=10 size 25 % = 11.65; K=3 bias 5 % = 13.91; K=10 bias 30 % = 4.86.
    """
    from nqpf.models.robustness import STOCK_YOGO_BIAS

    assert STOCK_YOGO_SIZE[5][2] == 10.98 and STOCK_YOGO_SIZE[10][3] == 11.65
    assert STOCK_YOGO_BIAS[3][0] == 13.91 and STOCK_YOGO_BIAS[10][3] == 4.86
    # the critical values rise with the number of instruments (size) and fall with the tolerance
    for table in (STOCK_YOGO_SIZE, STOCK_YOGO_BIAS):
        for row in table.values():
            assert list(row) == sorted(row, reverse=True)
    sizes = [STOCK_YOGO_SIZE[k][0] for k in sorted(STOCK_YOGO_SIZE)]
    assert sizes == sorted(sizes)
