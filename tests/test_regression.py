"""Panel regression: our wiring vs linearmodels called directly, and vs statsmodels OLS with dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from linearmodels import PanelOLS

from nqpf.analysis.regression import RegressionResult, panel_regression
from nqpf.core.errors import DataError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.core.stars import stars
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure

UNITS = [f"u{i}" for i in range(9)]
YEARS = list(range(2010, 2019))


def make_panel(seed: int = 1, drop: tuple | None = None) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([UNITS, YEARS], names=["unit", "year"])
    n = len(idx)
    unit_fe = dict(zip(UNITS, rng.normal(size=len(UNITS)), strict=True))
    year_fe = dict(zip(YEARS, rng.normal(size=len(YEARS)) * 0.3, strict=True))
    x = rng.normal(size=n) + np.array([unit_fe[u] for u, _ in idx]) * 0.5
    c1 = rng.normal(size=n)
    c2 = rng.normal(size=n)
    y = (0.6 * x + 0.3 * c1 - 0.2 * c2 + np.array([unit_fe[u] + year_fe[t] for u, t in idx])
         + rng.normal(size=n) * (0.5 + 0.5 * (np.arange(n) % 3)))
    ys = pd.Series(y, idx, name="hqd")
    xs = pd.Series(x, idx, name="nqpf")
    ctrl = pd.DataFrame({"open": c1, "gov": c2}, index=idx)
    if drop is not None:
        ys, xs, ctrl = ys.drop(index=[drop]), xs.drop(index=[drop]), ctrl.drop(index=[drop])
    return ys, xs, ctrl


def long_frame(ys: pd.Series, xs: pd.Series, ctrl: pd.DataFrame) -> pd.DataFrame:
    """The same data with the lag built independently (dictionary lookup of (unit, year - 1))."""
    d = pd.concat([ys.rename("y"), xs.rename("x"), ctrl], axis=1)
    lookup = xs.to_dict()
    d["lx"] = [lookup.get((u, t - 1), np.nan) for u, t in d.index]
    return d


def test_matches_linearmodels_called_directly() -> None:
    ys, xs, ctrl = make_panel()
    r = panel_regression(ys, xs, ctrl)
    assert isinstance(r, RegressionResult)
    d = long_frame(ys, xs, ctrl)
    for lab, reg in (("(1)", "x"), ("(2)", "lx")):
        dd = d.dropna(subset=["y", reg, "open", "gov"])
        fit = PanelOLS(dd["y"], dd[[reg, "open", "gov"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
        name = "nqpf" if reg == "x" else "L.nqpf"
        assert r.params.loc[name, lab] == pytest.approx(fit.params[reg], rel=1e-12)
        assert r.std_errors.loc[name, lab] == pytest.approx(fit.std_errors[reg], rel=1e-12)
        assert r.params.loc["open", lab] == pytest.approx(fit.params["open"], rel=1e-12)
        assert r.nobs[lab] == fit.nobs and r.rsquared_within[lab] == pytest.approx(fit.rsquared)
    assert r.nobs.tolist() == [81, 72] and r.n_units.tolist() == [9, 9]


def _sm_fit(d: pd.DataFrame, reg: str, fe: str, groups: str):
    dd = d.dropna(subset=["y", reg]).reset_index()
    formula = f"y ~ {reg} + open + gov + {fe}"
    codes = dd[groups].astype("category").cat.codes.to_numpy()
    # statsmodels' cluster covariance with use_correction=True (its default): G/(G-1)·(N-1)/(N-K),
    # K = every estimated parameter (constant, unit and year dummies, regressors)
    return smf.ols(formula, data=dd).fit(cov_type="cluster", cov_kwds={"groups": codes}), dd


def test_two_way_fe_matches_ols_with_unit_and_year_dummies() -> None:
    # Compared: coefficients (identical by Frisch–Waugh–Lovell) AND clustered SEs. With two absorbed
    # effects linearmodels counts them all in K (n/(n - d - k) with d = N_units + T - 1), and with
    # group_debias the factor is G/(G-1)·(n-1)/(n-K): the same K and the same factor as statsmodels.
    ys, xs, ctrl = make_panel(2)
    d = long_frame(ys, xs, ctrl)
    for cluster, groups in (("entity", "unit"), ("time", "year")):
        r = panel_regression(ys, xs, ctrl, cluster=cluster)
        for lab, reg, name in (("(1)", "x", "nqpf"), ("(2)", "lx", "L.nqpf")):
            m, _ = _sm_fit(d, reg, "C(unit) + C(year)", groups)
            for ours, theirs in ((name, reg), ("open", "open"), ("gov", "gov")):
                assert r.params.loc[ours, lab] == pytest.approx(m.params[theirs], rel=1e-9)
                assert r.std_errors.loc[ours, lab] == pytest.approx(m.bse[theirs], rel=1e-9)


def test_unit_fe_only_differs_from_dummies_by_the_documented_dof_factor() -> None:
    # Unit effects only, clustered by unit: the unit effects are nested in the clusters and not counted
    # (K = k regressors; Stata xtreg,fe-style), while OLS with unit dummies counts them (K_sm = 1 + (N-1) + k).
    # Coefficients agree exactly; SE_ours = SE_sm · sqrt((n - K_sm) / (n - k)).
    ys, xs, ctrl = make_panel(3)
    d = long_frame(ys, xs, ctrl)
    r = panel_regression(ys, xs, ctrl, time_effects=False, lags=(0,))
    m, dd = _sm_fit(d, "x", "C(unit)", "unit")
    n, k, k_sm = len(dd), 3, len(m.params)
    assert k_sm == len(UNITS) + k
    assert r.params.loc["nqpf", "(1)"] == pytest.approx(m.params["x"], rel=1e-9)
    factor = np.sqrt((n - k_sm) / (n - k))
    assert r.std_errors.loc["nqpf", "(1)"] == pytest.approx(m.bse["x"] * factor, rel=1e-9)
    assert r.std_errors.loc["gov", "(1)"] == pytest.approx(m.bse["gov"] * factor, rel=1e-9)


def test_lag_is_by_year_value_not_by_row() -> None:
    ys, xs, ctrl = make_panel(4, drop=("u0", 2013))
    r = panel_regression(ys, xs, ctrl)
    # u0 has 2010-2012 and 2014-2018: a lag exists for 2011, 2012, 2015-2018 (6 rows; 2014's t-1 = 2013
    # is absent, a row-shift would wrongly use 2012); the 8 other units have 8 each (2011-2018) → 64 + 6
    assert r.nobs["(2)"] == 8 * 8 + 6
    d = long_frame(ys, xs, ctrl)
    assert np.isnan(d.loc[("u0", 2014), "lx"])
    dd = d.dropna()
    fit = PanelOLS(dd["y"], dd[["lx", "open", "gov"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True)
    assert r.params.loc["L.nqpf", "(2)"] == pytest.approx(fit.params["lx"], rel=1e-12)
    assert any("(2)" in n and "dropped" in n for n in r.notes)


def test_index_results_flat_controls_and_table() -> None:
    fw_text = """
name: {name}
title: {{zh: 指数, en: Index}}
target:
  id: {name}
  name_zh: 指数
  name_en: Index
  children:
    - id: {name}_d
      name_zh: 维度
      name_en: Dim
      indicators:
        - {{id: {a}, name_zh: 甲, name_en: A, unit: x}}
        - {{id: {b}, name_zh: 乙, name_en: B, unit: x}}
"""
    rng = np.random.default_rng(9)
    idx = pd.MultiIndex.from_product([UNITS, YEARS], names=["unit", "year"])
    data = pd.DataFrame(rng.uniform(1, 5, size=(len(idx), 4)), index=idx, columns=["p", "q", "r", "s"])
    panel = Panel(data)
    hqd = measure(panel, Framework(parse_framework_text(fw_text.format(name="hqd", a="p", b="q"))))
    nqpf = measure(panel, Framework(parse_framework_text(fw_text.format(name="nqpf", a="r", b="s"))))
    ctrl = data[["p"]].rename(columns={"p": "ctrl"}).reset_index()  # flat, with unit and year columns
    r = panel_regression(hqd, nqpf, ctrl)
    assert r.y_name == "hqd" and r.x_name == "nqpf" and r.controls == ["ctrl"]
    assert list(r.params.index) == ["nqpf", "L.nqpf", "ctrl"]
    t = r.table()
    assert list(t.columns) == ["(1)", "(2)"]
    assert t.loc["N"].tolist() == ["81", "72"] and t.loc["Units"].tolist() == ["9", "9"]
    assert t.loc["Unit FE"].tolist() == ["Yes", "Yes"]
    assert t.loc["nqpf", "(2)"] == "" and t.loc["L.nqpf", "(1)"] == ""
    text = r.summary()
    assert "clustered by unit" in text and "*** p<0.01" in text and "Within R²" in text
    tidy = r.to_frame()
    assert set(tidy["spec"]) == {"(1)", "(2)"} and len(tidy) == 4
    assert tidy.loc[tidy["variable"] == "ctrl", "nobs"].tolist() == [81, 72]


def test_pooled_ols_has_a_constant_and_options() -> None:
    ys, xs, _ = make_panel(5)
    r = panel_regression(ys, xs, entity_effects=False, time_effects=False, cluster=None, lags=(0,))
    assert list(r.params.index) == ["nqpf", "const"]
    dd = pd.concat([ys.rename("y"), xs.rename("x")], axis=1).reset_index()
    m = smf.ols("y ~ x", data=dd).fit()
    assert r.params.loc["nqpf", "(1)"] == pytest.approx(m.params["x"], rel=1e-10)
    assert r.std_errors.loc["nqpf", "(1)"] == pytest.approx(m.bse["x"], rel=1e-10)
    r2 = panel_regression(ys, xs, cluster="both", lags=(0, 2))
    assert list(r2.params.index) == ["nqpf", "L2.nqpf"]
    assert r2.nobs.tolist() == [81, 63]


def test_stars() -> None:
    assert [stars(p) for p in (0.001, 0.01, 0.03, 0.05, 0.07, 0.2, float("nan"))] == \
        ["***", "**", "**", "*", "*", "", ""]


def test_bad_input() -> None:
    ys, xs, ctrl = make_panel(6)
    with pytest.raises(DataError, match="share no unit-year"):
        panel_regression(ys, xs.rename(index=lambda u: u.upper() if isinstance(u, str) else u, level=0))
    with pytest.raises(MethodError, match="unknown cluster"):
        panel_regression(ys, xs, cluster="province")
    with pytest.raises(MethodError, match="lags"):
        panel_regression(ys, xs, lags=(0, -1))
    with pytest.raises(DataError, match=r"\(unit, year\)"):
        panel_regression(ys.reset_index(drop=True), xs)
    dup = pd.concat([xs, xs.iloc[:1]])
    with pytest.raises(DataError, match="duplicate unit-years: u0 2010"):
        panel_regression(ys, dup)
    with pytest.raises(DataError, match="same name"):
        panel_regression(ys, xs, ctrl.rename(columns={"open": "nqpf"}))


# ---------------------------------------------------------------------------------------------
# the result interface


def test_summary_in_both_languages_carries_the_numbers() -> None:
    ys, xs, ctrl = make_panel()
    r = panel_regression(ys, xs, ctrl)
    b = r.params.loc["nqpf", "(1)"]
    se = r.std_errors.loc["nqpf", "(1)"]
    zh, en = r.summary("zh"), r.summary("en")
    assert str(r) == en
    for text in (zh, en):
        assert f"{b:.4f}{stars(r.pvalues.loc['nqpf', '(1)'])}" in text and f"({se:.4f})" in text
    assert "Unit FE" in en and "个体固定效应" in zh and "按个体聚类" in zh and "被解释变量：hqd" in zh
    assert f"{b:.2f}" in RegressionResult(**{**r.__dict__, "digits": 2}).summary()  # digits is an attribute
    assert r.table(lang="zh").loc["个体数"].tolist() == ["9", "9"]
    text = " ".join(r.narrative("en"))
    assert f"coefficient of nqpf is {b:.4f}" in text
    assert f"coefficient of L.nqpf is {r.params.loc['L.nqpf', '(2)']:.4f}" in text
    assert f"系数为 {b:.4f}" in " ".join(r.narrative("zh"))


def test_confidence_intervals_plot_figures_and_report_blocks() -> None:
    from matplotlib.figure import Figure as MplFigure

    from nqpf.core.blocks import Figure, Preformatted, Table, Text
    from nqpf.core.interface import ReportContext

    ys, xs, ctrl = make_panel()
    r = panel_regression(ys, xs, ctrl)
    ci = r.conf_int().set_index(["spec", "variable"])
    direct = r.models["(1)"].conf_int()
    assert ci.loc[("(1)", "nqpf"), "low"] == pytest.approx(direct.loc["nqpf", "lower"], rel=1e-12)
    assert ci.loc[("(1)", "nqpf"), "high"] == pytest.approx(direct.loc["nqpf", "upper"], rel=1e-12)
    assert isinstance(r.plot(lang="zh"), MplFigure)
    fig = r.figures("en")[0]
    assert [tr.name for tr in fig.data] == ["(1)", "(2)"]
    blocks = r.report(ReportContext("zh"))
    assert [type(b) for b in blocks] == [Text, Figure, Preformatted, Table]
    assert "个体固定效应" in blocks[2].text


def test_methods_paragraph_cites_the_references() -> None:
    from nqpf.analysis.registry import ANALYSES
    from nqpf.core.references import get

    spec = ANALYSES["regression"]
    ys, xs, _ = make_panel()
    r = panel_regression(ys, xs)
    for lang in ("zh", "en"):
        text = spec.methods(r, spec.parse({}), lang)  # type: ignore[misc]
        assert "\\mu_i + \\lambda_t" in text and get("cameron2015").parenthetical(lang) in text
