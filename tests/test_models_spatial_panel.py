"""Spatial panel models (SAR, SEM, SDM with fixed effects), checked against independent computations.

- a brute-force likelihood written from the definitions (explicit unit/time dummies, ``slogdet``),
  maximised by a grid over ρ (λ) and a finer grid around the best point;
- the Lee & Yu (2010) transformation written out with the orthonormal matrices F_T, F_N;
- spreg's ML_LagFE / ML_ErrorFE (unit fixed effects; the SDM through ``slx_lags=1``) and its panel LM tests;
- the effects against S = (I − ρW)⁻¹(βI + θW) at the point estimate, and their simulated SEs against the
  delta method;
- a simulated DGP with known parameters.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from nqpf.core.blocks import Figure, Heading, Table, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.interface import ReportContext
from nqpf.models.spatial_panel import (
    _Spectrum,
    _traces,
    fit_spatial_panel,
    lm_tests,
    spatial_effects,
    spatial_panel,
    spatial_panel_robustness,
    weights_matrix,
)


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def _lattice(rows: int = 5, cols: int = 6) -> tuple[np.ndarray, object]:
    w = lat2W(rows, cols, rook=False)
    w.transform = "r"
    return weights_matrix(w, w.id_order), w


def _simulate(w: np.ndarray, t: int = 8, k: int = 2, rho: float = 0.4, lam: float = 0.0,
              beta=(1.0, -0.5), theta=(0.0, 0.0), seed: int = 3, sigma: float = 1.0, time_fe: bool = True):
    """y_t = ρWy_t + X_tβ + WX_tθ + μ + α_t + u_t, u_t = λWu_t + ε_t."""
    rng = np.random.default_rng(seed)
    n = w.shape[0]
    x = rng.normal(size=(t, n, k))
    mu = rng.normal(size=n)
    alpha = rng.normal(size=t) if time_fe else np.zeros(t)
    a_inv = np.linalg.inv(np.eye(n) - rho * w)
    b_inv = np.linalg.inv(np.eye(n) - lam * w)
    y = np.stack([a_inv @ (x[s] @ np.asarray(beta) + w @ x[s] @ np.asarray(theta) + mu + alpha[s]
                           + b_inv @ rng.normal(scale=sigma, size=n)) for s in range(t)])
    return y, x


def _dummies(n: int, t: int, effects: str) -> np.ndarray:
    """Unit and/or time dummies for NT observations stacked period by period (constant if none)."""
    cols = []
    if effects in ("unit", "twoway"):
        cols.append(np.tile(np.eye(n), (t, 1)))
    if effects in ("time", "twoway"):
        d = np.repeat(np.eye(t), n, axis=0)
        cols.append(d[:, 1:] if effects == "twoway" else d)
    if effects == "none":
        cols.append(np.ones((n * t, 1)))
    return np.hstack(cols)


def _wlag(w: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
    """(I_T ⊗ W) v for v stacked period by period (NT rows)."""
    n = w.shape[0]
    return np.einsum("ij,tj...->ti...", w, v.reshape(t, n, *v.shape[1:])).reshape(v.shape)


def _brute_ll(r: float, y: np.ndarray, x: np.ndarray, w: np.ndarray, effects: str, model: str):
    """The log-likelihood at ρ (λ) from the definitions: OLS with dummies, σ² = e'e/NT, T·ln|I − rW|."""
    t, n, k = x.shape
    yv, xv = y.ravel(), x.reshape(t * n, k)
    d = _dummies(n, t, effects)
    if model == "sdm":
        xv = np.hstack([xv, _wlag(w, xv, t)])
    z = np.hstack([xv, d])
    if model == "sem":  # (I_T ⊗ (I − λW)) applied to y, X and the dummies
        ys, zs = yv - r * _wlag(w, yv, t), z - r * _wlag(w, z, t)
    else:
        ys, zs = yv - r * _wlag(w, yv, t), z
    coef = np.linalg.solve(zs.T @ zs, zs.T @ ys)  # OLS with the dummies (normal equations)
    e = ys - zs @ coef
    sig2 = e @ e / (n * t)
    ll = -n * t / 2 * (np.log(2 * np.pi * sig2) + 1) + t * np.linalg.slogdet(np.eye(n) - r * w)[1]
    return ll, coef[: xv.shape[1]], sig2


def _orthonormal(m: int) -> np.ndarray:
    """F_{m,m−1}: the eigenvectors of I − ιι'/m with eigenvalue one."""
    vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


def _leeyu_ll(r: float, y: np.ndarray, x: np.ndarray, w: np.ndarray, effects: str, model: str):
    """Lee & Yu's transformation approach from its definition: Y* = F_T' Y F_N, W* = F_N' W F_N."""
    t, n, _ = x.shape
    ft = _orthonormal(t) if effects in ("unit", "twoway") else np.eye(t)
    fn = _orthonormal(n) if effects in ("time", "twoway") else np.eye(n)
    ws = fn.T @ w @ fn
    ys = ft.T @ y @ fn
    xs = np.einsum("ts,snk,nm->tmk", ft.T, x, fn)
    if model == "sdm":
        xs = np.concatenate([xs, np.einsum("ij,tjk->tik", ws, xs)], axis=2)
    ts, ns = ys.shape
    big = np.kron(np.eye(ts), ws)
    yv, xv = ys.ravel(), xs.reshape(ts * ns, -1)
    if model == "sem":
        f = np.eye(ts * ns) - r * big
        yy, xx = f @ yv, f @ xv
    else:
        yy, xx = yv - r * big @ yv, xv
    coef = np.linalg.solve(xx.T @ xx, xx.T @ yy)
    e = yy - xx @ coef
    sig2 = e @ e / (ts * ns)
    ll = -ts * ns / 2 * (np.log(2 * np.pi * sig2) + 1) + ts * np.linalg.slogdet(np.eye(ns) - r * ws)[1]
    return ll, coef, sig2


def _grid_max(fun, lo: float = -0.9, hi: float = 0.95) -> float:
    """Maximise a scalar function by a grid of step 0.005, then three finer grids (each step / 50) around
    the best point: resolution 4e-8."""
    best, step = 0.0, 5e-3
    grid = np.arange(lo, hi, step)
    for _ in range(4):
        vals = [fun(g) for g in grid]
        best = float(grid[int(np.argmax(vals))])
        grid = np.linspace(best - step, best + step, 101)
        step /= 50
    return best


# ---------------------------------------------------------------------------------------------
# accuracy: brute force
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("model", "effects"), [("sar", "unit"), ("sar", "twoway"), ("sdm", "time"),
                                                ("sem", "unit"), ("sem", "twoway"), ("sdm", "none")])
def test_direct_approach_equals_brute_force_grid(model, effects):
    w, _ = _lattice()
    y, x = _simulate(w, rho=0.0 if model == "sem" else 0.4, lam=0.4 if model == "sem" else 0.0,
                     theta=(0.3, 0.2) if model == "sdm" else (0.0, 0.0))
    fit = fit_spatial_panel(y, x, w, model=model, effects=effects, lee_yu=False)
    r = _grid_max(lambda g: _brute_ll(g, y, x, w, effects, model)[0])
    ll, coef, sig2 = _brute_ll(r, y, x, w, effects, model)
    sp = "lambda" if model == "sem" else "rho"
    assert fit.params[sp] == pytest.approx(r, abs=2e-7)
    assert fit.loglik == pytest.approx(ll, rel=1e-9)
    k = len(coef)
    assert fit.params.iloc[1:1 + k].to_numpy() == pytest.approx(coef, abs=1e-6)
    assert fit.params["sigma2"] == pytest.approx(sig2, rel=1e-6)


@pytest.mark.parametrize(("model", "effects"), [("sar", "twoway"), ("sdm", "twoway"), ("sem", "twoway"),
                                                ("sar", "time"), ("sdm", "unit")])
def test_lee_yu_equals_transformation_approach(model, effects):
    w, _ = _lattice()
    y, x = _simulate(w, rho=0.0 if model == "sem" else 0.35, lam=0.3 if model == "sem" else 0.0,
                     theta=(0.3, 0.2) if model == "sdm" else (0.0, 0.0), seed=11)
    fit = fit_spatial_panel(y, x, w, model=model, effects=effects, lee_yu=True)
    r = _grid_max(lambda g: _leeyu_ll(g, y, x, w, effects, model)[0])
    ll, coef, sig2 = _leeyu_ll(r, y, x, w, effects, model)
    sp = "lambda" if model == "sem" else "rho"
    assert fit.params[sp] == pytest.approx(r, abs=2e-7)
    assert fit.loglik == pytest.approx(ll, rel=1e-9)
    assert fit.params.iloc[1:1 + len(coef)].to_numpy() == pytest.approx(coef, abs=1e-6)
    assert fit.params["sigma2"] == pytest.approx(sig2, rel=1e-6)
    t, n = y.shape
    assert fit.n_eff == (t - (effects != "time")) * (n - (effects != "unit"))


def test_lee_yu_with_unit_effects_changes_sigma2_only():
    w, _ = _lattice()
    y, x = _simulate(w)
    a = fit_spatial_panel(y, x, w, model="sar", effects="unit", lee_yu=False)
    b = fit_spatial_panel(y, x, w, model="sar", effects="unit", lee_yu=True)
    t = y.shape[0]
    assert b.params.drop("sigma2").to_numpy() == pytest.approx(a.params.drop("sigma2").to_numpy(), abs=1e-8)
    assert b.params["sigma2"] == pytest.approx(a.params["sigma2"] * t / (t - 1), rel=1e-10)
    c = fit_spatial_panel(y, x, w, model="sar", effects="twoway", lee_yu=True)
    d = fit_spatial_panel(y, x, w, model="sar", effects="twoway", lee_yu=False)
    assert abs(c.params["rho"] - d.params["rho"]) > 1e-4  # two-way: ρ changes too


def test_traces_on_the_transformed_space():
    w, _ = _lattice(4, 5)
    n, r = w.shape[0], 0.37
    f = _orthonormal(n)
    ws = f.T @ w @ f
    g = ws @ np.linalg.inv(np.eye(n - 1) - r * ws)
    assert _traces(w, r, True) == pytest.approx((np.trace(g), np.trace(g @ g), np.trace(g.T @ g)), rel=1e-10)
    g0 = w @ np.linalg.inv(np.eye(n) - r * w)
    assert _traces(w, r, False) == pytest.approx((np.trace(g0), np.trace(g0 @ g0), np.trace(g0.T @ g0)), rel=1e-10)


# ---------------------------------------------------------------------------------------------
# accuracy: spreg
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("model", "cls", "slx"), [("sar", "ML_LagFE", 0), ("sdm", "ML_LagFE", 1),
                                                   ("sem", "ML_ErrorFE", 0)])
def test_unit_fe_equals_spreg(model, cls, slx):
    spreg = pytest.importorskip("spreg")
    w, pw = _lattice()
    y, x = _simulate(w, theta=(0.3, 0.2) if model == "sdm" else (0.0, 0.0), time_fe=False)
    t, n, k = x.shape
    fit = fit_spatial_panel(y, x, w, model=model, effects="unit", lee_yu=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"slx_lags": slx} if slx else {}
        ref = getattr(spreg, cls)(y.reshape(-1, 1), x.reshape(t * n, k), pw, **kw)
    ours = fit.params.drop("sigma2")
    ours = pd.concat([ours.iloc[1:], ours.iloc[:1]])  # spreg puts ρ (λ) last
    assert ours.to_numpy() == pytest.approx(ref.betas.ravel(), abs=1e-6)
    se = fit.std_errors.drop("sigma2")
    se = pd.concat([se.iloc[1:], se.iloc[:1]])
    assert se.to_numpy() == pytest.approx(np.sqrt(np.diag(ref.vm)), rel=1e-5)
    assert fit.loglik == pytest.approx(float(np.squeeze(ref.logll)), rel=1e-8)
    assert fit.params["sigma2"] == pytest.approx(float(np.squeeze(ref.sig2)), rel=1e-6)


def test_lm_tests_equal_spreg_and_the_formula(monkeypatch):
    spreg = pytest.importorskip("spreg")
    w, pw = _lattice()
    y, x = _simulate(w, rho=0.25, time_fe=False)
    t, n, k = x.shape
    ours = lm_tests(y, x, w, effects="none")
    import spreg.diagnostics_panel as dp

    monkeypatch.setattr(dp, "OLS", functools.partial(spreg.OLS, sig2n_k=False))  # σ² = e'e/NT as Elhorst
    yy, xx = y.reshape(-1, 1), x.reshape(t * n, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours.loc["LM_error", "statistic"] == pytest.approx(dp.panel_LMerror(yy, xx, pw)[0], rel=1e-8)
        assert ours.loc["robust_LM_lag", "statistic"] == pytest.approx(dp.panel_rLMlag(yy, xx, pw)[0], rel=1e-8)
        assert ours.loc["robust_LM_error", "statistic"] == pytest.approx(dp.panel_rLMerror(yy, xx, pw)[0], rel=1e-8)
    # LM lag from the definition with explicit dummies (spreg's panel_LMlag uses tr(...)² where Elhorst's
    # formula has T·tr(...), so it is checked here against the formula instead), two-way effects
    d = _dummies(n, t, "twoway")
    z = np.hstack([x.reshape(t * n, k), d])
    bigw = np.kron(np.eye(t), w)
    yv = y.ravel()
    coef, *_ = np.linalg.lstsq(z, yv, rcond=None)
    e = yv - z @ coef
    s2 = e @ e / (n * t)
    tw = np.trace(w @ w + w.T @ w)
    wxb = bigw @ (z[:, :k] @ coef[:k])
    m = np.eye(n * t) - z @ np.linalg.pinv(z)
    j = (wxb @ m @ wxb + t * tw * s2) / s2
    lag, err = e @ bigw @ yv / s2, e @ bigw @ e / s2
    two = lm_tests(y, x, w, effects="twoway")["statistic"]
    assert two["LM_lag"] == pytest.approx(lag ** 2 / j, rel=1e-8)
    assert two["LM_error"] == pytest.approx(err ** 2 / (t * tw), rel=1e-8)
    assert two["robust_LM_lag"] == pytest.approx((lag - err) ** 2 / (j - t * tw), rel=1e-8)
    assert two["robust_LM_error"] == pytest.approx((err - t * tw / j * lag) ** 2 / (t * tw * (1 - t * tw / j)),
                                                   rel=1e-8)


# ---------------------------------------------------------------------------------------------
# effects
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("standardise", [True, False])
def test_effects_equal_closed_form_at_the_estimate(standardise):
    _, pw = _lattice()
    c = pw.full()[0] > 0
    w = weights_matrix(c.astype(float), pw.id_order, standardise=standardise)
    if not standardise:
        w = w / np.max(np.abs(np.linalg.eigvals(w)))  # a binary matrix scaled by its spectral radius
    y, x = _simulate(w, rho=0.3, theta=(0.3, 0.2))
    fit = fit_spatial_panel(y, x, w, model="sdm", effects="unit", lee_yu=False)
    eff = spatial_effects(fit, w, draws=0).set_index(["variable", "effect"])
    n = w.shape[0]
    a_inv = np.linalg.inv(np.eye(n) - fit.params["rho"] * w)
    for v in fit.x_names:
        s = a_inv @ (fit.params[v] * np.eye(n) + fit.params[f"W·{v}"] * w)
        assert eff.loc[(v, "direct"), "estimate"] == pytest.approx(np.trace(s) / n, rel=1e-10)
        assert eff.loc[(v, "total"), "estimate"] == pytest.approx(s.sum() / n, rel=1e-10)
        assert eff.loc[(v, "indirect"), "estimate"] == pytest.approx((s.sum() - np.trace(s)) / n, rel=1e-9)


def test_simulated_effects_match_the_delta_method_and_are_seeded():
    w, _ = _lattice()
    y, x = _simulate(w, rho=0.4)
    fit = fit_spatial_panel(y, x, w, model="sar", effects="twoway")
    eff = spatial_effects(fit, w, draws=4000, seed=1).set_index(["variable", "effect"])
    # total effect of x1 in a SAR with row-standardised W: β/(1 − ρ); delta-method SE
    b, r = fit.params["x1"], fit.params["rho"]
    cov = fit.cov.loc[["x1", "rho"], ["x1", "rho"]].to_numpy()
    grad = np.array([1 / (1 - r), b / (1 - r) ** 2])
    se = float(np.sqrt(grad @ cov @ grad))
    row = eff.loc[("x1", "total")]
    assert row["estimate"] == pytest.approx(b / (1 - r), rel=1e-10)
    assert row["std_error"] == pytest.approx(se, rel=0.08)
    assert row["mean"] == pytest.approx(row["estimate"], abs=4 * se / np.sqrt(4000) + 0.01 * abs(row["estimate"]))
    assert row["z"] == pytest.approx(row["mean"] / row["std_error"])
    again = spatial_effects(fit, w, draws=4000, seed=1)
    other = spatial_effects(fit, w, draws=4000, seed=2)
    assert again["std_error"].tolist() == eff["std_error"].tolist()
    assert other["std_error"].tolist() != eff["std_error"].tolist()
    sem = fit_spatial_panel(y, x, w, model="sem", effects="twoway")
    e2 = spatial_effects(sem, w).set_index(["variable", "effect"])
    assert e2.loc[("x1", "direct"), "estimate"] == sem.params["x1"]
    assert e2.loc[("x1", "indirect"), "estimate"] == 0.0


def test_recovers_a_known_dgp():
    w, _ = _lattice(8, 8)
    y, x = _simulate(w, t=20, rho=0.45, beta=(1.0, -0.5), theta=(0.4, -0.3), seed=7, sigma=0.5)
    fit = fit_spatial_panel(y, x, w, model="sdm", effects="twoway")
    truth = {"rho": 0.45, "x1": 1.0, "x2": -0.5, "W·x1": 0.4, "W·x2": -0.3, "sigma2": 0.25}
    for k_, v in truth.items():
        assert abs(fit.params[k_] - v) < 3.5 * fit.std_errors[k_], k_
    sem_y, sem_x = _simulate(w, t=20, rho=0.0, lam=0.5, seed=8, sigma=0.5)
    sem = fit_spatial_panel(sem_y, sem_x, w, model="sem", effects="twoway")
    assert abs(sem.params["lambda"] - 0.5) < 3.5 * sem.std_errors["lambda"]


def test_sdm_tests_against_definitions():
    w, _ = _lattice()
    y, x = _simulate(w, rho=0.3, theta=(0.3, 0.2))
    df = pd.DataFrame([{"unit": u, "year": 2000 + s, "y": y[s, i], "x1": x[s, i, 0], "x2": x[s, i, 1]}
                       for s in range(y.shape[0]) for i, u in enumerate(range(w.shape[0]))])
    res = spatial_panel(df, "y", ["x1", "x2"], w=w, model="sdm", effects="twoway", draws=100)
    st = res.sdm_tests
    assert st.loc["LR_SAR", "statistic"] == pytest.approx(2 * (res.fits["sdm"].loglik - res.fits["sar"].loglik))
    assert st.loc["LR_SEM", "statistic"] == pytest.approx(2 * (res.fits["sdm"].loglik - res.fits["sem"].loglik))
    f = res.fits["sdm"]
    th = f.params[["W·x1", "W·x2"]].to_numpy()
    v = f.cov.loc[["W·x1", "W·x2"], ["W·x1", "W·x2"]].to_numpy()
    assert st.loc["Wald_SAR", "statistic"] == pytest.approx(th @ np.linalg.inv(v) @ th, rel=1e-10)
    names = ["x1", "x2", "W·x1", "W·x2", "rho"]
    p0 = f.params[names].to_numpy()

    def g(p):
        return p[2:4] + p[4] * p[0:2]

    jac = np.column_stack([(g(p0 + h) - g(p0 - h)) / 2e-6 for h in np.eye(5) * 1e-6])
    cv = f.cov.loc[names, names].to_numpy()
    assert st.loc["Wald_SEM", "statistic"] == pytest.approx(g(p0) @ np.linalg.solve(jac @ cv @ jac.T, g(p0)),
                                                            rel=1e-6)
    assert list(st.index) == ["LR_SAR", "Wald_SAR", "LR_SEM", "Wald_SEM"]
    assert (st["df"] == 2).all()


# ---------------------------------------------------------------------------------------------
# front end, result interface, errors
# ---------------------------------------------------------------------------------------------
def _frame(w: np.ndarray, seed: int = 5) -> pd.DataFrame:
    y, x = _simulate(w, rho=0.3, theta=(0.2, 0.1), seed=seed)
    return pd.DataFrame([{"unit": f"u{i}", "year": 2010 + s, "y": y[s, i] + 5, "x1": x[s, i, 0],
                          "x2": x[s, i, 1] + 3} for s in range(y.shape[0]) for i in range(w.shape[0])])


def test_result_interface_and_publication_table():
    w, _ = _lattice()
    res = spatial_panel(_frame(w), "y", "x1", w=w, controls={"lx2": "log(x2)"}, draws=200, seed=0)
    assert [e.name for e in res.estimates()] == ["SAR (two-way FE)", "SEM (two-way FE)", "SDM (two-way FE)"]
    table = res.publication_table("en")
    assert list(table.index[:4]) == ["ρ (W·y)", "ρ (W·y) ", "λ (W·u)", "λ (W·u) "]
    assert table.loc["W·x1", "SAR (two-way FE)"] == ""
    assert {"σ²", "Unit FE", "Year FE", "Lee–Yu", "N", "Log likelihood"} <= set(table.index)
    assert table.loc["N"].tolist() == ["240"] * 3
    zh = res.publication_table("zh")
    assert zh.loc["个体固定效应"].tolist() == ["是"] * 3 and zh.columns[2] == "空间杜宾模型 SDM（双向固定效应）"
    assert set(res.tables()) == {"", "effects", "table", "tests"}
    assert set(res.effects["variable"]) == {"x1", "lx2"}
    for lang in ("en", "zh"):
        text = res.summary(lang)
        assert ("空间杜宾模型" if lang == "zh" else "SDM (two-way FE") in text
        assert res.narrative(lang)
        blocks = res.report(ReportContext(lang=lang))
        assert any(isinstance(b, Table) for b in blocks) and any(isinstance(b, Figure) for b in blocks)
        assert any(isinstance(b, Heading) for b in blocks) and isinstance(blocks[0], Text)
    fig = res.plot()
    assert fig.axes
    assert len(res.figures("zh")[0].data) == 3
    assert res.to_frame().groupby("model").size().to_dict() == {"sar": 4, "sdm": 6, "sem": 4}


def test_robustness_across_weights():
    w, pw = _lattice()
    df = _frame(w)
    units = [f"u{i}" for i in range(w.shape[0])]
    knn = np.zeros_like(w)
    for i in range(len(units)):
        knn[i, np.argsort(np.abs(np.arange(len(units)) - i))[1:4]] = 1
    rob = spatial_panel_robustness(df, "y", ["x1", "x2"], weights={"queen": pw.full()[0], "band": knn},
                                   model="sar", effects="unit", draws=100)
    table = rob.publication_table()
    assert list(table.columns) == ["queen", "band"]
    one = spatial_panel(df, "y", ["x1", "x2"], w=pw.full()[0], model="sar", effects="unit", draws=100, tests=False)
    assert rob.results["queen"].fit.params.equals(one.fit.params)
    assert rob.narrative("en")[0].startswith("ρ ranges over")
    assert set(rob.to_frame()["weights"]) == {"queen", "band"}


def test_input_errors():
    w, _ = _lattice()
    df = _frame(w)
    with pytest.raises(DataError, match="u3 2012"):
        spatial_panel(df[~((df["unit"] == "u3") & (df["year"] == 2012))], "y", "x1", w=w, draws=0)
    holes = df.assign(x1=np.where((df["unit"] == "u4") & (df["year"] == 2013), np.nan, df["x1"]))
    with pytest.raises(DataError, match="u4 2013"):
        spatial_panel(holes, "y", "x1", w=w, draws=0)
    lagged = spatial_panel(df, "y", "lag(x1)", w=w, draws=0, tests=False)  # the first year has no lag: dropped
    assert lagged.years[0] == 2011 and "2010" in lagged.notes[0]
    with pytest.raises(MethodError, match="model must be"):
        spatial_panel(df, "y", "x1", w=w, model="sac")
    with pytest.raises(DataError, match="without neighbours"):
        weights_matrix(np.zeros((3, 3)), ["a", "b", "c"])
    raw = weights_matrix((w > 0).astype(float), list(range(w.shape[0])), standardise=False)
    y, x = _simulate(w)
    with pytest.raises(MethodError, match="row-standardised"):
        fit_spatial_panel(y, x, raw, model="sar", effects="twoway", lee_yu=True)
    with pytest.raises(DataError, match="collinear"):
        fit_spatial_panel(y, np.concatenate([x, x[:, :, :1]], axis=2), w, model="sar", effects="unit")


def test_spectrum_of_a_nonsymmetric_matrix():
    w, _ = _lattice()
    knn = np.zeros_like(w)
    for i in range(w.shape[0]):
        knn[i, (i + np.array([1, 2, 5])) % w.shape[0]] = 1
    knn = knn / knn.sum(axis=1, keepdims=True)
    spec = _Spectrum.of(knn)
    for r in (-0.5, 0.3, 0.8):
        assert spec.logdet(r) == pytest.approx(np.linalg.slogdet(np.eye(len(knn)) - r * knn)[1], abs=1e-9)
    assert spec.bounds[1] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# the worked example: SDM of HQD on NQPF, provinces, contiguity, two-way FE (docs/methods/spatial-panel.md)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def province_sdm():
    from nqpf.study import load_study, run_study

    spec, source = load_study("china-provinces-2019")  # the 2013-2019 vintage of docs/methods/spatial-panel.md
    spec = spec.model_copy(update={"analyses": {}, "models": {
        "sdm_hqd": {"model": "spatial_panel", "robustness": ["knn"]},
        "sem_ctrl": {"model": "spatial_panel", "kind": "sem", "effects": "unit", "x": ["nqpf", "log(gdp)"],
                     "controls": {"gov": "gov_expenditure_total / gdp"}, "draws": 0}}})
    return run_study(spec, source)


def test_worked_example_on_the_province_data(province_sdm):
    rec = province_sdm.records["sdm_hqd"]
    assert rec.indices == ["hqd", "nqpf"]
    res = rec.result
    f = res.fit
    assert (len(res.units), res.years[0], res.years[-1]) == (30, 2013, 2019)
    assert f.params["rho"] == pytest.approx(0.170, abs=5e-4)
    assert f.params["nqpf"] == pytest.approx(0.385, abs=5e-4)
    assert f.params["W·nqpf"] == pytest.approx(-0.166, abs=5e-4)
    eff = res.effects.set_index(["variable", "effect"])
    assert eff.loc[("nqpf", "direct"), "estimate"] == pytest.approx(0.380, abs=5e-4)
    assert eff.loc[("nqpf", "indirect"), "estimate"] == pytest.approx(-0.117, abs=5e-4)
    assert eff.loc[("nqpf", "total"), "p_value"] < 0.01
    assert res.sdm_tests.loc["LR_SAR", "p_value"] == pytest.approx(0.036, abs=5e-4)
    assert {"sdm_hqd_hqd_nqpf", "sdm_hqd_hqd_nqpf_effects", "sdm_hqd_hqd_nqpf_tests",
            "sdm_hqd_hqd_nqpf_robustness"} <= set(province_sdm.tables)
    assert province_sdm.provenance.settings["model.sdm_hqd"]["model"] == "spatial_panel"
    sem = province_sdm.records["sem_ctrl"].result
    assert list(sem.fits) == ["sar", "sem", "sdm"] and sem.model == "sem"
    assert sem.fit.x_names == ["nqpf", "log(gdp)", "gov"] and sem.fit.effects == "unit"
    assert sem.effects.set_index(["variable", "effect"]).loc[("gov", "indirect"), "estimate"] == 0.0


def test_study_file_options_are_validated():
    from nqpf.core.errors import StudyError
    from nqpf.study import load_study, run_study

    spec, source = load_study()
    bad = spec.model_copy(update={"analyses": {}, "models": {"m": {"model": "spatial_panel", "model_kind": "sdm"}}})
    with pytest.raises(StudyError, match="unknown option 'model_kind'"):
        run_study(bad, source)
    bad = spec.model_copy(update={"analyses": {}, "models": {"m": {"model": "spatial_panel", "effects": "randomly"}}})
    with pytest.raises(StudyError, match="effects"):
        run_study(bad, source)


def test_robustness_result_reports_in_both_languages():
    """The weights-robustness result renders its publication table in Chinese too (one column per matrix)."""
    from nqpf.core.interface import ReportContext
    from nqpf.models.spatial_panel import spatial_panel_robustness

    w, _ = _lattice()
    rob = spatial_panel_robustness(_frame(w), "y", "x1", weights={"W": w, "W2": 0.5 * (w + w.T)}, draws=50)
    for lang in ("zh", "en"):
        table = rob.publication_table(lang)
        assert list(table.columns) == ["W", "W2"]
        assert rob.report(ReportContext(lang)) and rob.summary(lang)
