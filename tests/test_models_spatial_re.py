"""Random-effects spatial panels and the Hausman test, against spreg and a brute-force dense likelihood."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from nqpf.models.spatial_panel import (
    _re_lag_loglik,
    _re_sem_loglik,
    fit_spatial_panel,
    hausman_test,
    spatial_panel,
    weights_matrix,
)


def _lattice(side: int) -> np.ndarray:
    """Queen contiguity on a side × side lattice, row-standardised."""
    n = side * side
    c = np.zeros((n, n))
    for i in range(side):
        for j in range(side):
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    a, b = i + di, j + dj
                    if (di or dj) and 0 <= a < side and 0 <= b < side:
                        c[i * side + j, a * side + b] = 1
    return weights_matrix(c, list(range(n)))


def _sar_data(w: np.ndarray, t: int, seed: int, corr: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = w.shape[0]
    mu = rng.normal(scale=0.7, size=n)
    x = rng.normal(size=(t, n, 2)) + corr * mu[None, :, None]
    y = np.stack([np.linalg.solve(np.eye(n) - 0.4 * w, 1.0 + x[i] @ np.array([1.0, -0.5]) + mu
                                  + rng.normal(scale=0.5, size=n)) for i in range(t)])
    return y, x


def _dense_loglik(y: np.ndarray, z: np.ndarray, w: np.ndarray, beta: np.ndarray, sp: float, sig2: float,
                  sig2_mu: float, model: str) -> float:
    """The Gaussian log-likelihood written out on the full NT × NT covariance (stacked by period)."""
    t, n, _ = z.shape
    j = np.ones((t, t))
    if model == "sar":
        a = np.kron(np.eye(t), np.eye(n) - sp * w)
        r = a @ y.ravel() - z.reshape(t * n, -1) @ beta
        omega = sig2 * np.eye(t * n) + sig2_mu * np.kron(j, np.eye(n))
        jac = t * np.linalg.slogdet(np.eye(n) - sp * w)[1]
    else:
        b = np.eye(n) - sp * w
        bbi = np.linalg.inv(b.T @ b)
        r = y.ravel() - z.reshape(t * n, -1) @ beta
        omega = sig2_mu * np.kron(j, np.eye(n)) + sig2 * np.kron(np.eye(t), bbi)
        jac = 0.0
    sign, logdet = np.linalg.slogdet(omega)
    assert sign > 0
    return float(-0.5 * t * n * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * r @ np.linalg.solve(omega, r) + jac)


def _z(x: np.ndarray) -> np.ndarray:
    t, n, _ = x.shape
    return np.concatenate([np.ones((t, n, 1)), x], axis=2)


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_random_effects_likelihood_is_the_dense_gaussian_one_and_is_maximised(model):
    w = _lattice(4)
    y, x = _sar_data(w, 5, seed=2)
    fit = fit_spatial_panel(y, x, w, model, "random")
    sp = "lambda" if model == "sem" else "rho"
    beta = fit.params[["const", "x1", "x2"]].to_numpy()
    s2, s2mu, r = float(fit.params["sigma2"]), float(fit.params["sigma2_mu"]), float(fit.params[sp])
    dense = _dense_loglik(y, _z(x), w, beta, r, s2, s2mu, model)
    assert fit.loglik == pytest.approx(dense, abs=1e-8)
    # no point near the estimate has a higher dense likelihood: maximise it from a perturbed start

    def neg(v: np.ndarray) -> float:
        if v[-2] <= 0 or v[-1] < 0 or not (-0.99 < v[3] < 0.99):
            return 1e10
        return -_dense_loglik(y, _z(x), w, v[:3], v[3], v[4], v[5], model)

    start = np.array([*beta * 1.05, r * 0.9, s2 * 1.1, s2mu * 0.9])
    best = optimize.minimize(neg, start, method="Nelder-Mead",
                             options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-9, "fatol": 1e-11})
    assert -best.fun <= fit.loglik + 1e-6
    assert best.x[3] == pytest.approx(r, abs=2e-3)
    assert best.x[1] == pytest.approx(beta[1], abs=2e-3)


def test_full_loglik_functions_match_the_fit():
    w = _lattice(4)
    y, x = _sar_data(w, 5, seed=4)
    fit = fit_spatial_panel(y, x, w, "sar", "random")
    from nqpf.models.spatial_panel import _lag, _Spectrum

    th = fit.params[["const", "x1", "x2", "rho", "sigma2", "sigma2_mu"]].to_numpy()
    spec = _Spectrum.of(w)
    assert _re_lag_loglik(th, y, _lag(w, y), _z(x), spec) == pytest.approx(fit.loglik, abs=1e-9)
    fit2 = fit_spatial_panel(y, x, w, "sem", "random")
    th2 = fit2.params[["const", "x1", "x2", "lambda", "sigma2", "sigma2_mu"]].to_numpy()
    assert _re_sem_loglik(th2, y, _z(x), w, spec) == pytest.approx(fit2.loglik, abs=1e-9)


def test_random_effects_lag_equals_spreg():
    spreg = pytest.importorskip("spreg")
    libpysal = pytest.importorskip("libpysal")
    wl = libpysal.weights.lat2W(6, 6, rook=False)
    wl.transform = "r"
    w = wl.full()[0]
    y, x = _sar_data(w, 10, seed=1)
    fit = fit_spatial_panel(y, x, w, "sar", "random")
    m = spreg.Panel_RE_Lag(y.T, np.concatenate([x[:, :, 0].T, x[:, :, 1].T], axis=1), wl)
    theirs = dict(zip(m.name_x, np.ravel(m.betas), strict=True))
    assert fit.params["const"] == pytest.approx(theirs["CONSTANT"], abs=1e-5)
    assert fit.params["x1"] == pytest.approx(theirs["var_1"], abs=1e-5)
    assert fit.params["x2"] == pytest.approx(theirs["var_2"], abs=1e-5)
    assert fit.params["rho"] == pytest.approx(theirs["W_dep_var"], abs=1e-5)
    assert fit.params["sigma2"] == pytest.approx(float(np.ravel(m.sig2)[0]), rel=1e-5)
    # spreg's φ is √(σ²/(Tσ_μ² + σ²))
    phi = np.sqrt(fit.params["sigma2"] / (10 * fit.params["sigma2_mu"] + fit.params["sigma2"]))
    assert phi == pytest.approx(theirs["phi"], abs=1e-4)
    # standard errors: spreg inverts the analytic information in (β, ρ, φ); we invert the numerical Hessian in
    # (β, ρ, σ², σ_μ²) — the same asymptotics, within a few per cent here
    se = dict(zip(m.name_x, np.sqrt(np.diag(m.vm)), strict=True))
    for ours, key in (("x1", "var_1"), ("x2", "var_2"), ("rho", "W_dep_var"), ("const", "CONSTANT")):
        assert fit.std_errors[ours] == pytest.approx(se[key], rel=0.03)


def test_hausman_by_hand_and_its_decisions():
    w = _lattice(5)
    y0, x0 = _sar_data(w, 8, seed=5, corr=0.0)
    fe, re = fit_spatial_panel(y0, x0, w, "sar", "unit"), fit_spatial_panel(y0, x0, w, "sar", "random")
    h = hausman_test(fe, re)
    names = ["rho", "x1", "x2"]
    d = (fe.params[names] - re.params[names]).to_numpy()
    v = fe.cov.loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
    if np.all(np.linalg.eigvalsh(v) > 0):  # then the generalised inverse is the inverse
        by_hand = float(d @ np.linalg.solve(v, d))
        assert h.loc["Hausman", "statistic"] == pytest.approx(by_hand, rel=1e-9)
        assert h.loc["Hausman", "df"] == 3 and h.loc["Hausman", "note"] == ""
        assert h.loc["Hausman", "p_value"] == pytest.approx(stats.chi2.sf(by_hand, 3))
    else:  # the positive part, by hand
        vals, vecs = np.linalg.eigh(v)
        pos = vals > 0
        by_hand = float(np.sum((vecs[:, pos].T @ d) ** 2 / vals[pos]))
        assert h.loc["Hausman", "statistic"] == pytest.approx(by_hand, rel=1e-9)
        assert h.loc["Hausman", "df"] == int(pos.sum()) and "not positive definite" in h.loc["Hausman", "note"]
    # correlated effects: RE rejected, with a statistic far above the one of uncorrelated effects
    y1, x1 = _sar_data(w, 8, seed=5, corr=3.0)
    h1 = hausman_test(fit_spatial_panel(y1, x1, w, "sar", "unit"), fit_spatial_panel(y1, x1, w, "sar", "random"))
    assert h1.loc["Hausman", "p_value"] < 0.01
    assert h1.loc["Hausman", "statistic"] > 2 * h.loc["Hausman", "statistic"]


def test_spatial_panel_front_end_random_effects_with_hausman():
    w = _lattice(5)
    y, x = _sar_data(w, 6, seed=7)
    units = list(range(25))
    rows = [{"unit": u, "year": 2010 + t, "y": y[t, i], "a": x[t, i, 0], "b": x[t, i, 1]}
            for t in range(6) for i, u in enumerate(units)]
    res = spatial_panel(pd.DataFrame(rows), "y", ["a", "b"], w=w, model="sdm", effects="random", draws=200,
                        hausman=True)
    assert res.fit.effects == "random" and "const" in res.fit.params.index
    assert "Hausman" in res.tests().index
    table = res.publication_table("en")
    assert any("const" in str(i) for i in table.index)
    text = " ".join(res.narrative("en"))
    assert "Hausman test" in text
    assert "Hausman 检验" in " ".join(res.narrative("zh"))
    # the SDM's own LR tests against SAR and SEM use the random-effects fits
    assert {"LR_SAR", "LR_SEM"} <= set(res.tests().index)
    with pytest.raises(Exception, match="Hausman test compares"):
        spatial_panel(pd.DataFrame(rows), "y", ["a", "b"], w=w, model="sar", effects="twoway", draws=0,
                      hausman=True, tests=False)
