"""Spatial panel models (空间面板模型): SAR (空间滞后), SEM (空间误差) and SDM (空间杜宾) with fixed effects.

Maximum likelihood on the demeaned data (Elhorst 2003, 2014): the fixed effects are removed by the within
transformation, β and σ² are concentrated out, and the likelihood is maximised in the one spatial parameter
(ρ or λ) with the log-determinant :math:`\\ln|I - \\rho W| = \\sum_i \\ln(1 - \\rho\\omega_i)` taken from the
eigenvalues ω of W, computed once. The Lee & Yu (2010) correction replaces the direct approach by their
transformation approach: the within transformation is the orthonormal one, so the sample counts N(T−1)
(unit effects), (N−1)T (time effects) or (N−1)(T−1) (two-way) and, with time effects, the log-determinant
loses the unit eigenvalue of W. With unit effects this changes σ² only (× T/(T−1)); with time or two-way
effects it changes ρ (λ), β and σ².

Specification tests in the order the field reports them: LM lag, LM error and their robust versions on the
residuals of the fixed-effects OLS (Anselin et al. 1996; Elhorst 2014, ch. 3), then LR and Wald tests of
the SDM against the SAR (θ = 0) and the SEM (θ + ρβ = 0). Direct, indirect and total effects (LeSage &
Pace 2009) with inference simulated from the asymptotic normal distribution of the estimates; each draw
costs O(N) per regressor through the eigenvalues of W.

References
----------
- Anselin, L., Bera, A. K., Florax, R. & Yoon, M. J. (1996). Simple diagnostic tests for spatial dependence.
  *Regional Science and Urban Economics* 26(1), 77–104.
- Debarsy, N. & Ertur, C. (2010). Testing for spatial autocorrelation in a fixed effects panel data model.
  *Regional Science and Urban Economics* 40(6), 453–470.
- Elhorst, J. P. (2003). Specification and estimation of spatial panel data models. *International Regional
  Science Review* 26(3), 244–268.
- Elhorst, J. P. (2014). *Spatial Econometrics: From Cross-Sectional Data to Spatial Panels*. Springer.
- Lee, L.-F. & Yu, J. (2010). Estimation of spatial autoregressive panel data models with fixed effects.
  *Journal of Econometrics* 154(2), 165–185.
- LeSage, J. & Pace, R. K. (2009). *Introduction to Spatial Econometrics*. CRC Press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core import expr
from nqpf.core.blocks import Block, Figure, Heading, Table, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import join, num
from nqpf.core.interface import ReportContext
from nqpf.core.references import cite
from nqpf.core.rng import Seed, generator
from nqpf.core.stars import STAR_NOTE, stars
from nqpf.core.threads import one_blas_thread
from nqpf.geo.weights import spatial_weights, weights_info
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "EFFECTS",
    "MODELS",
    "SpatialFit",
    "SpatialPanelResult",
    "SpatialRobustnessResult",
    "fit_spatial_panel",
    "hausman_test",
    "lm_tests",
    "spatial_effects",
    "spatial_panel",
    "spatial_panel_robustness",
    "weights_matrix",
]

MODELS = ("sar", "sem", "sdm")
EFFECTS = ("unit", "time", "twoway", "none", "random")
MODEL_NAMES = {"sar": ("空间滞后模型 SAR", "SAR"), "sem": ("空间误差模型 SEM", "SEM"),
               "sdm": ("空间杜宾模型 SDM", "SDM")}
EFFECT_NAMES = {"unit": ("个体固定效应", "unit FE"), "time": ("时间固定效应", "time FE"),
                "twoway": ("双向固定效应", "two-way FE"), "none": ("混合（无固定效应）", "pooled"),
                "random": ("个体随机效应", "unit random effects")}
WEIGHT_NAMES_ZH = {"contiguity": "邻接", "rook": "Rook 邻接", "knn": "k 近邻", "inverse_distance": "反距离",
                   "distance_band": "距离带", "economic": "经济距离", "nested": "经济地理嵌套", "file": "文件",
                   "user": "自定义"}
_EFFECT_KINDS = ("direct", "indirect", "total")
_EFFECT_WORDS = {"direct": ("直接效应", "direct"), "indirect": ("间接效应（溢出）", "indirect (spillover)"),
                 "total": ("总效应", "total")}


# =============================================================================================
# weights, layout, demeaning
# =============================================================================================
def weights_matrix(w: Any, units: Sequence[Any], standardise: bool = True) -> np.ndarray:
    """The n × n weights matrix for ``units`` (in that order) from a libpysal W or an array.

    Parameters
    ----------
    w : a ``libpysal.weights.W`` (its ids matched to ``units`` by name) or an (n, n) array in the order of
        ``units``.
    units : the cross-sectional units, in the order of the data.
    standardise : row-standardise (每行之和为 1, the default, as in nearly every application); False keeps the
        weights as given (time effects with the Lee & Yu transformation then need rows summing to one).

    Returns
    -------
    (n, n) float array with a zero diagonal.

    Examples
    --------
    >>> weights_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]), ["a", "b", "c"])[0]
    array([0. , 0.5, 0.5])
    """
    names = [str(u) for u in units]
    if hasattr(w, "full") and hasattr(w, "id_order"):
        full, ids = w.full()
        pos = {str(i): k for k, i in enumerate(ids)}
        missing = [u for u in names if u not in pos]
        if missing:
            raise DataError(f"spatial weights: unit(s) {', '.join(missing[:5])} are not ids of the weights "
                            f"(ids: {', '.join(map(str, list(ids)[:6]))} …); build the weights for these units")
        order = [pos[u] for u in names]
        m = np.asarray(full, dtype=float)[np.ix_(order, order)]
    else:
        m = np.array(w, dtype=float)
        if m.ndim != 2 or m.shape != (len(names), len(names)):
            raise DataError(f"spatial weights: expected a {len(names)} × {len(names)} array for {len(names)} units, "
                            f"got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise DataError("spatial weights must be finite and non-negative")
    np.fill_diagonal(m, 0.0)
    rows = m.sum(axis=1)
    if np.any(rows <= 0):
        bad = [names[i] for i in np.flatnonzero(rows <= 0)]
        raise DataError(f"spatial weights: unit(s) without neighbours: {', '.join(bad)}; join them to their "
                        "nearest unit (islands = \"join\" in the [weights.*] entry) or use knn or distance weights")
    return m / rows[:, None] if standardise else m


def _demean(a: np.ndarray, effects: str) -> np.ndarray:
    """The within transformation of a (T, N, ...) array: remove unit, time, both, or the grand mean."""
    if effects == "unit":
        return a - a.mean(axis=0, keepdims=True)
    if effects == "time":
        return a - a.mean(axis=1, keepdims=True)
    if effects == "twoway":
        return a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean(axis=(0, 1), keepdims=True)
    return a - a.mean(axis=(0, 1), keepdims=True)


def _lag(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """W applied to each period of a (T, N, ...) array."""
    return np.einsum("ij,tj...->ti...", w, a)


@dataclass(frozen=True)
class _Spectrum:
    """The eigenvalues ω of W (once per matrix) and the weights c_i = (ι'V)_i (V⁻¹ι)_i / N of the totals."""

    omega: np.ndarray
    c: np.ndarray
    row_stochastic: bool

    @classmethod
    def of(cls, w: np.ndarray) -> _Spectrum:
        n = w.shape[0]
        vals, vecs = np.linalg.eig(w)
        ones = np.ones(n)
        c = (ones @ vecs) * np.linalg.solve(vecs, ones) / n
        if np.max(np.abs(vals.imag)) < 1e-10:
            vals = vals.real
            c = c.real
        return cls(vals, c, bool(np.allclose(w.sum(axis=1), 1.0)))

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval of ρ with I − ρW non-singular: (1/ω_min, 1/ω_max) over the real parts."""
        re = np.real(self.omega)
        return float(1.0 / re.min()), float(1.0 / re.max())

    def logdet(self, r: float, drop_unit: bool = False) -> float:
        """ln|I − rW| (minus ln(1 − r), the unit eigenvalue, for the Lee–Yu time transformation)."""
        out = float(np.sum(np.log(np.abs(1.0 - r * self.omega))))
        return out - float(np.log(1.0 - r)) if drop_unit else out


def _blas_for(n: int) -> AbstractContextManager[Any]:
    """One BLAS thread below 1,000 units: the O(N³) calls then take milliseconds and a multithreaded BLAS
    mostly waits for the other thread (several-fold slower when the cores are busy)."""
    return one_blas_thread() if n < 1000 else nullcontext()


def _traces(w: np.ndarray, r: float, drop_unit: bool) -> tuple[float, float, float]:
    """tr(G), tr(G²), tr(G'G) for G = W(I − rW)⁻¹ (on the transformed space for Lee–Yu time effects)."""
    n = w.shape[0]
    g = np.linalg.solve((np.eye(n) - r * w).T, w.T).T  # W A⁻¹ (W and A⁻¹ commute)
    t1, t2 = float(np.trace(g)), float(np.sum(g * g.T))
    if drop_unit:  # G* = F'GF: drop the unit eigenvalue 1/(1 − r); tr(G*'G*) = tr(G'MGM), M = I − ιι'/N
        t1 -= 1.0 / (1.0 - r)
        t2 -= 1.0 / (1.0 - r) ** 2
        mgm = g - g.mean(axis=0, keepdims=True)
        mgm = mgm - mgm.mean(axis=1, keepdims=True)
        return t1, t2, float(np.sum(mgm * mgm))
    return t1, t2, float(np.sum(g * g))


# =============================================================================================
# the fit
# =============================================================================================
@dataclass
class SpatialFit:
    """One estimated spatial panel model (a column of the publication table).

    Attributes
    ----------
    model : "sar", "sem" or "sdm"; effects : "unit", "time", "twoway" or "none"; lee_yu : the correction used.
    params : ρ (``rho``) or λ (``lambda``), β by regressor, θ as ``W·<x>`` (SDM), σ² (``sigma2``).
    cov : the asymptotic covariance of ``params`` (inverse information matrix).
    loglik : maximised log-likelihood; r2 : within R² (1 − e'e / ỹ'ỹ on the demeaned data);
    corr2 : squared correlation of ỹ with the reduced-form prediction.
    n, t : units and periods; n_eff : the sample size of the likelihood (N T, or fewer with Lee–Yu).
    x_names : the regressors (β); wx_names : the lagged regressors (θ, SDM only).
    residuals : (T, N) structural residuals ε̂ on the demeaned data.
    spectrum : the eigenvalues of W the fit used (reused by :func:`spatial_effects`).
    """

    model: str
    effects: str
    lee_yu: bool
    params: pd.Series
    cov: pd.DataFrame
    loglik: float
    r2: float
    corr2: float
    n: int
    t: int
    n_eff: int
    x_names: list[str]
    wx_names: list[str]
    residuals: np.ndarray = field(repr=False)
    spectrum: _Spectrum | None = field(default=None, repr=False)

    @property
    def spatial(self) -> str:
        """The name of the spatial parameter: ``rho`` (SAR, SDM) or ``lambda`` (SEM)."""
        return "lambda" if self.model == "sem" else "rho"

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.clip(np.diag(self.cov.to_numpy()), 0, None)), index=self.params.index)

    @property
    def zstats(self) -> pd.Series:
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.zstats.to_numpy())), index=self.params.index)

    def title(self, lang: str = "en") -> str:
        if lang == "zh":
            return f"{MODEL_NAMES[self.model][0]}（{EFFECT_NAMES[self.effects][0]}）"
        return f"{MODEL_NAMES[self.model][1]} ({EFFECT_NAMES[self.effects][1]})"

    def table(self) -> pd.DataFrame:
        """Coefficients with standard errors, z and p (σ² included)."""
        return pd.DataFrame({"coef": self.params, "std_error": self.std_errors, "z": self.zstats,
                             "p_value": self.pvalues, "stars": [stars(p) for p in self.pvalues]})

    def estimates(self, name: str | None = None, dependent: str = "", order: Sequence[str] | None = None
                  ) -> Estimates:
        """This model as a column of a publication table.

        ``order`` lists the rows (absent parameters are NaN, printed empty), so that models side by side
        share one row order: ρ, λ, β, θ. σ² is a text row (4 significant digits: its scale is the square of
        y's), not a coefficient row.
        """
        labels: dict[str, tuple[str, str]] = {"rho": ("ρ（W·y）", "ρ (W·y)"), "lambda": ("λ（W·u）", "λ (W·u)")}
        labels.update({f"W·{x}": (f"W·{x}", f"W·{x}") for x in self.x_names})
        const = ["const"] if "const" in self.params.index else []
        own = [self.spatial, *self.x_names, *[f"W·{x}" for x in self.wx_names], *const]
        order = list(order) if order is not None else own
        p, se = self.params.reindex(order), self.std_errors.reindex(order)
        ly = "yes" if self.lee_yu and self.effects != "none" else "no"
        return Estimates(
            name=name or self.title(), params=p, std_errors=se, pvalues=self.pvalues.reindex(order),
            tstats=p / se, nobs=self.n * self.t,
            stats={"R2": self.r2, "corr2": self.corr2, "log-likelihood": self.loglik},
            rows={"σ²": f"{self.params['sigma2']:.4g}",
                  **({"σ_μ²": f"{self.params['sigma2_mu']:.4g}"} if self.effects == "random" else {}),
                  "unit FE": "yes" if self.effects in ("unit", "twoway") else "random" if self.effects == "random"
                  else "no",
                  "year FE": "yes" if self.effects in ("time", "twoway") else "no", "Lee–Yu": ly},
            dependent=dependent, labels=labels)


def _check_inputs(y: np.ndarray, x: np.ndarray, w: np.ndarray, model: str, effects: str) -> None:
    if model not in MODELS:
        raise MethodError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if effects not in EFFECTS:
        raise MethodError(f"effects must be one of {', '.join(EFFECTS)}, got {effects!r}")
    if y.ndim != 2 or x.ndim != 3 or x.shape[:2] != y.shape:
        raise DataError(f"expected y of shape (T, N) and X of shape (T, N, k), got {y.shape} and {x.shape}")
    if w.shape != (y.shape[1], y.shape[1]):
        raise DataError(f"W is {w.shape} but the panel has {y.shape[1]} units")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))):
        raise DataError("y and X must be finite (no missing values)")
    if y.shape[0] < 2:
        raise DataError(f"a spatial panel needs at least two periods, got {y.shape[0]}")


def _design(x: np.ndarray, w: np.ndarray, model: str, effects: str) -> np.ndarray:
    """The demeaned regressors (T, N, K): X, and W·X for the SDM."""
    z = np.concatenate([x, _lag(w, x)], axis=2) if model == "sdm" else x
    return _demean(z, effects)


def _counts(n: int, t: int, effects: str, lee_yu: bool) -> tuple[int, int, bool]:
    """(periods, units) the likelihood counts and whether the unit eigenvalue drops (Lee & Yu 2010)."""
    if not lee_yu:
        return t, n, False
    t_eff = t - 1 if effects in ("unit", "twoway") else t
    n_eff = n - 1 if effects in ("time", "twoway") else n
    return t_eff, n_eff, effects in ("time", "twoway")


def _open_bounds(spec: _Spectrum) -> tuple[float, float]:
    """The stationary interval of ρ (λ), pulled in by a hair so that ln|I − ρW| stays finite."""
    lo, hi = spec.bounds
    return lo + 1e-7 * abs(lo), hi - 1e-7 * abs(hi)


def _line_search(negll: Any, lo: float, hi: float, points: int = 41, xatol: float = 1e-10) -> float:
    """The minimiser of a smooth one-parameter negative log-likelihood on (lo, hi).

    The concentrated likelihoods here are smooth and (in practice) unimodal: a grid of ``points`` guards against
    a second local optimum, then bounded Brent refines between the grid neighbours of the best point.
    """
    grid = np.linspace(lo, hi, points)[1:-1]
    vals = np.array([negll(g) for g in grid])
    j = int(np.argmin(vals))
    a, b = grid[max(j - 1, 0)] if j > 0 else lo, grid[min(j + 1, len(grid) - 1)] if j < len(grid) - 1 else hi
    return float(optimize.minimize_scalar(negll, bounds=(a, b), method="bounded", options={"xatol": xatol}).x)


def fit_spatial_panel(y: np.ndarray, x: np.ndarray, w: np.ndarray, model: str = "sdm", effects: str = "twoway",
                      lee_yu: bool = True, x_names: Sequence[str] | None = None,
                      spectrum: _Spectrum | None = None) -> SpatialFit:
    """Maximum-likelihood spatial panel model (空间面板模型极大似然估计) with fixed effects: the numpy kernel.

    Elhorst (2003), Int. Regional Sci. Rev. 26(3):244-268; Elhorst (2014), *Spatial Econometrics*, ch. 3;
    Lee & Yu (2010), J. Econometrics 154(2):165-185.

    Parameters
    ----------
    y : (T, N) dependent variable, period by period.
    x : (T, N, k) regressors (no constant: the fixed effects absorb it).
    w : (N, N) spatial weights (see :func:`weights_matrix`).
    model : "sar" y = ρWy + Xβ + μ + α + ε; "sem" y = Xβ + μ + α + u, u = λWu + ε;
        "sdm" y = ρWy + Xβ + WXθ + μ + α + ε.
    effects : "unit" (μ_i), "time" (α_t), "twoway" (both) or "none" (a common intercept).
    lee_yu : the Lee & Yu (2010) transformation approach (see the module docstring); False: the direct
        approach (ML on the demeaned data with NT observations, as spreg and Elhorst's code without bias
        correction).
    x_names : names of the k regressors.

    Returns
    -------
    SpatialFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> w = weights_matrix(np.eye(6, k=1) + np.eye(6, k=-1), list("abcdef"))
    >>> x = rng.normal(size=(8, 6, 1))
    >>> eps = rng.normal(scale=0.1, size=(8, 6))
    >>> y = np.stack([np.linalg.solve(np.eye(6) - 0.4 * w, 2 * x[t, :, 0] + eps[t]) for t in range(8)])
    >>> fit = fit_spatial_panel(y, x, w, model="sar", effects="unit")
    >>> round(float(fit.params["x1"]), 1), bool(abs(fit.params["rho"] - 0.4) < 0.1)
    (2.0, True)
    """
    with _blas_for(np.shape(w)[0]):
        return _fit(y, x, w, model, effects, lee_yu, x_names, spectrum)


def _fit(y: Any, x: Any, w: Any, model: str, effects: str, lee_yu: bool, x_names: Sequence[str] | None,
         spectrum: _Spectrum | None) -> SpatialFit:
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim == 2:
        x = x[:, :, None]
    _check_inputs(y, x, w, model, effects)
    t, n, k = x.shape
    names = list(x_names) if x_names is not None else [f"x{i + 1}" for i in range(k)]
    if len(names) != k:
        raise DataError(f"{len(names)} names for {k} regressors")
    spec = spectrum or _Spectrum.of(w)
    if effects == "random":
        return _fit_random(y, x, w, model, names, spec)
    if lee_yu and effects in ("time", "twoway") and not spec.row_stochastic:
        raise MethodError("the Lee & Yu transformation with time effects needs row-standardised weights "
                          "(rows summing to one); standardise W or set lee_yu=False")
    t_eff, n_eff_units, drop_unit = _counts(n, t, effects, lee_yu)
    n_eff = t_eff * n_eff_units
    z = _design(x, w, model, effects).reshape(t * n, -1)
    kz = z.shape[1]
    yd = _demean(y, effects).ravel()
    yl = _demean(_lag(w, y), effects).ravel()
    ztz = z.T @ z
    if np.linalg.matrix_rank(ztz) < kz:
        raise DataError("the regressors are collinear after removing the fixed effects (a regressor constant "
                        "within units or years, or W·x duplicating x); drop one")
    lo, hi = _open_bounds(spec)

    if model in ("sar", "sdm"):
        b0 = np.linalg.solve(ztz, z.T @ yd)
        b1 = np.linalg.solve(ztz, z.T @ yl)
        e0, e1 = yd - z @ b0, yl - z @ b1
        s00, s01, s11 = e0 @ e0, e0 @ e1, e1 @ e1

        def negll(r: float) -> float:
            return 0.5 * n_eff * np.log(s00 - 2 * r * s01 + r * r * s11) - t_eff * spec.logdet(r, drop_unit)
    else:
        zl = _demean(_lag(w, x), effects).reshape(t * n, -1)
        a0, a1, a2 = ztz, z.T @ zl, zl.T @ zl
        c0, c1, c2, c3 = z.T @ yd, z.T @ yl, zl.T @ yd, zl.T @ yl
        y00, y01, y11 = yd @ yd, yd @ yl, yl @ yl

        def sem_beta(r: float) -> tuple[np.ndarray, float, np.ndarray]:
            xx = a0 - r * (a1 + a1.T) + r * r * a2
            xy = c0 - r * (c1 + c2) + r * r * c3
            b = np.linalg.solve(xx, xy)
            return b, float(y00 - 2 * r * y01 + r * r * y11 - xy @ b), xx

        def negll(r: float) -> float:
            return 0.5 * n_eff * np.log(sem_beta(r)[1]) - t_eff * spec.logdet(r, drop_unit)

    r = _line_search(negll, lo, hi)
    ldet = spec.logdet(r, drop_unit)

    if model in ("sar", "sdm"):
        beta = b0 - r * b1
        eps = yd - r * yl - z @ beta
        ssr = float(eps @ eps)
        sig2 = ssr / n_eff
        t1, t2, t3 = _traces(w, r, drop_unit)
        zb = (z @ beta).reshape(t, n)
        a_inv_zb = np.linalg.solve(np.eye(n) - r * w, zb.T).T  # (I − ρW)⁻¹ Zβ per period
        v = _demean(_lag(w, a_inv_zb), effects).ravel()  # Q (I ⊗ G) Zβ
        info = np.zeros((kz + 2, kz + 2))
        info[:kz, :kz] = ztz / sig2
        info[:kz, kz] = info[kz, :kz] = z.T @ v / sig2
        info[kz, kz] = t_eff * (t2 + t3) + v @ v / sig2
        info[kz, kz + 1] = info[kz + 1, kz] = t_eff * t1 / sig2
        info[kz + 1, kz + 1] = n_eff / (2 * sig2 ** 2)
        pred = _demean(a_inv_zb, effects).ravel()
    else:
        beta, ssr, xx = sem_beta(r)
        zl = _demean(_lag(w, x), effects).reshape(t * n, -1)
        eps = (yd - r * yl) - (z - r * zl) @ beta
        sig2 = ssr / n_eff
        t1, t2, t3 = _traces(w, r, drop_unit)
        info = np.zeros((kz + 2, kz + 2))
        info[:kz, :kz] = xx / sig2
        info[kz, kz] = t_eff * (t2 + t3)
        info[kz, kz + 1] = info[kz + 1, kz] = t_eff * t1 / sig2
        info[kz + 1, kz + 1] = n_eff / (2 * sig2 ** 2)
        pred = z @ beta
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise MethodError("the information matrix is singular; the model is not identified on these data") from None
    loglik = -0.5 * n_eff * (np.log(2 * np.pi * sig2) + 1.0) + t_eff * ldet
    sp = "lambda" if model == "sem" else "rho"
    wx = names if model == "sdm" else []
    idx = [*names, *[f"W·{v}" for v in wx], sp, "sigma2"]
    params = pd.Series([*beta, r, sig2], index=idx, dtype=float)
    order = [sp, *idx[:-2], "sigma2"]
    cov_df = pd.DataFrame(cov, index=idx, columns=idx).loc[order, order]
    sst = float(yd @ yd)
    corr2 = float(np.corrcoef(yd, pred)[0, 1] ** 2) if np.std(pred) > 0 else np.nan
    return SpatialFit(model=model, effects=effects, lee_yu=bool(lee_yu and effects != "none"),
                      params=params.loc[order], cov=cov_df, loglik=float(loglik),
                      r2=1.0 - float(eps @ eps) / sst if sst > 0 else np.nan, corr2=corr2, n=n, t=t, n_eff=n_eff,
                      x_names=names, wx_names=wx, residuals=eps.reshape(t, n), spectrum=spec)


# =============================================================================================
# specification tests
# =============================================================================================
# ---------------------------------------------------------------------------------------------
# random effects (Elhorst 2003, 2014 ch. 3)
# ---------------------------------------------------------------------------------------------
def _re_lag_loglik(theta: np.ndarray, y: np.ndarray, wy: np.ndarray, z: np.ndarray, spec: _Spectrum) -> float:
    """Full log-likelihood of the SAR/SDM with unit random effects at θ = (β incl. constant, ρ, σ², σ_μ²).

    With φ = σ²/(Tσ_μ² + σ²) and a* = a − (1 − √φ)ā_i (ā_i the unit's time mean):
    ln L = −NT/2 ln(2πσ²) + N/2 ln φ + T ln|I − ρW| − e*'e*/(2σ²), e* = y* − ρ(Wy)* − Z*β.
    """
    t, n, kz = z.shape
    beta, r, sig2, sig2_mu = theta[:kz], theta[kz], theta[kz + 1], theta[kz + 2]
    if sig2 <= 0 or sig2_mu < 0:
        return -np.inf
    phi = sig2 / (t * sig2_mu + sig2)
    sh = 1.0 - np.sqrt(phi)
    e = y - r * wy - z @ beta
    e = e - sh * e.mean(axis=0, keepdims=True)
    return float(-0.5 * n * t * np.log(2 * np.pi * sig2) + 0.5 * n * np.log(phi) + t * spec.logdet(r)
                 - (e * e).sum() / (2 * sig2))


def _btb_eigh(lam: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B'B, its eigenvalues, its eigenvectors) for B = I − λW."""
    b = np.eye(w.shape[0]) - lam * w
    btb = b.T @ b
    vals, vecs = np.linalg.eigh(btb)
    return btb, vals, vecs


def _re_sem_parts(lam: float, ratio: float, w: np.ndarray, t: int, eig: Any = None
                  ) -> tuple[np.ndarray, np.ndarray, float]:
    """For the SEM with random effects: (B'B, V⁻¹, ln|I + Tφ B'B|) with B = I − λW, φ = σ_μ²/σ²,
    V = TφI + (B'B)⁻¹ (Elhorst 2003, eq. 20). ``eig(lam)`` may give a cached :func:`_btb_eigh`."""
    btb, vals, vecs = eig(lam) if eig is not None else _btb_eigh(lam, w)
    m = 1.0 + t * ratio * vals
    vinv = (vecs * (vals / m)) @ vecs.T  # B'B (I + TφB'B)⁻¹: they share eigenvectors
    return btb, vinv, float(np.sum(np.log(m)))


def _re_sem_quad(e: np.ndarray, f: np.ndarray, btb: np.ndarray, vinv: np.ndarray) -> np.ndarray:
    """e'Ω̃⁻¹f for (T, N, ...) arrays, Ω̃⁻¹ = J̄_T ⊗ V⁻¹ + E_T ⊗ B'B: T ē'V⁻¹f̄ + Σ_t (e_t − ē)'B'B(f_t − f̄)."""
    t = e.shape[0]
    eb, fb = e.mean(axis=0), f.mean(axis=0)
    ed, fd = e - eb, f - fb
    return t * np.tensordot(eb, vinv @ fb, axes=([0], [0])) + np.tensordot(
        ed, np.einsum("ij,tj...->ti...", btb, fd), axes=([0, 1], [0, 1]))


def _re_sem_loglik(theta: np.ndarray, y: np.ndarray, z: np.ndarray, w: np.ndarray, spec: _Spectrum,
                   eig: Any = None) -> float:
    """Full log-likelihood of the SEM with unit random effects at θ = (β incl. constant, λ, σ², σ_μ²):
    ln L = −NT/2 ln(2πσ²) − ½ ln|I + Tφ B'B| + T ln|B| − e'Ω̃⁻¹e/(2σ²), φ = σ_μ²/σ² (Elhorst 2003)."""
    t, n, kz = z.shape
    beta, lam, sig2, sig2_mu = theta[:kz], theta[kz], theta[kz + 1], theta[kz + 2]
    if sig2 <= 0 or sig2_mu < 0:
        return -np.inf
    btb, vinv, logm = _re_sem_parts(lam, sig2_mu / sig2, w, t, eig)
    e = y - z @ beta
    q = float(_re_sem_quad(e, e, btb, vinv))
    return float(-0.5 * n * t * np.log(2 * np.pi * sig2) - 0.5 * logm + t * spec.logdet(lam) - q / (2 * sig2))


def _hessian(f: Any, x0: np.ndarray) -> np.ndarray:
    """The Hessian of a scalar function by central differences (steps relative to each coordinate)."""
    k = len(x0)
    h = 1e-4 * np.maximum(np.abs(x0), 1e-3 * (np.abs(x0).max() or 1.0))
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            v = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej) + f(x0 - ei - ej)) / (4 * h[i] * h[j])
            out[i, j] = out[j, i] = v
    return out


def _fit_random(y: np.ndarray, x: np.ndarray, w: np.ndarray, model: str, names: list[str],
                spec: _Spectrum) -> SpatialFit:
    """SAR, SEM or SDM with unit random effects and a constant, by maximum likelihood (Elhorst 2003, 2014).

    SAR/SDM: the likelihood is concentrated in (ρ, φ) — β and σ² in closed form — and maximised by a line search
    in ρ nested in a bounded search in ln φ. SEM: concentrated in (λ, φ = σ_μ²/σ²), GLS for β, maximised
    jointly. The covariance is the inverse of the numerical Hessian of the full log-likelihood in
    (β, ρ or λ, σ², σ_μ²).
    """
    t, n, _ = x.shape
    zx = np.concatenate([x, _lag(w, x)], axis=2) if model == "sdm" else x
    z = np.concatenate([np.ones((t, n, 1)), zx], axis=2)
    kz = z.shape[2]
    if np.linalg.matrix_rank(z.reshape(t * n, kz)) < kz:
        raise DataError("the regressors are collinear with each other or with the constant (a constant regressor, "
                        "or W·x duplicating x); drop one")
    lo, hi = _open_bounds(spec)
    nt = n * t
    if model in ("sar", "sdm"):
        wy = _lag(w, y)

        def conc(phi: float) -> tuple[float, float, np.ndarray]:
            sh = 1.0 - np.sqrt(phi)
            zs = (z - sh * z.mean(axis=0, keepdims=True)).reshape(nt, kz)
            ys = (y - sh * y.mean(axis=0, keepdims=True)).ravel()
            yls = (wy - sh * wy.mean(axis=0, keepdims=True)).ravel()
            b0, b1 = np.linalg.lstsq(zs, np.column_stack([ys, yls]), rcond=None)[0].T
            e0, e1 = ys - zs @ b0, yls - zs @ b1
            s00, s01, s11 = e0 @ e0, e0 @ e1, e1 @ e1

            def negll(r: float) -> float:
                return 0.5 * nt * np.log(s00 - 2 * r * s01 + r * r * s11) - t * spec.logdet(r)

            r = _line_search(negll, lo, hi, points=21)
            return float(negll(r) - 0.5 * n * np.log(phi)), r, b0 - r * b1

        u = float(optimize.minimize_scalar(lambda v: conc(float(np.exp(v)))[0], bounds=(np.log(1e-8), 0.0),
                                           method="bounded", options={"xatol": 1e-9}).x)
        phi = float(np.exp(u))
        _, r, beta = conc(phi)
        sh = 1.0 - np.sqrt(phi)
        e = y - r * wy - z @ beta
        es = e - sh * e.mean(axis=0, keepdims=True)
        sig2 = float((es * es).sum() / nt)
        sig2_mu = sig2 * (1.0 / phi - 1.0) / t

        def full(th: np.ndarray) -> float:
            return _re_lag_loglik(th, y, wy, z, spec)
    else:
        # B'B and its eigenvectors depend on λ only: cached, so the search over φ and most of the numerical
        # Hessian (every pair of coordinates not involving λ) reuse them
        eig = lru_cache(maxsize=128)(lambda lam: _btb_eigh(lam, w))

        def sem_beta(lam: float, ratio: float) -> tuple[np.ndarray, float, float]:
            btb, vinv, logm = _re_sem_parts(lam, ratio, w, t, eig)
            xx = _re_sem_quad(z, z, btb, vinv)
            xy = _re_sem_quad(z, y, btb, vinv)
            b = np.linalg.solve(xx, xy)
            e = y - z @ b
            return b, float(_re_sem_quad(e, e, btb, vinv)), logm

        def negll(v: np.ndarray) -> float:
            lam, ratio = float(v[0]), float(np.exp(v[1]))
            _, q, logm = sem_beta(lam, ratio)
            return 0.5 * nt * np.log(q / nt) + 0.5 * logm - t * spec.logdet(lam)

        best = None
        for start in ((0.0, 0.0), (0.5 * hi, -2.0), (0.5 * hi, 2.0)):
            res = optimize.minimize(negll, np.array(start), method="L-BFGS-B",
                                    bounds=[(lo, hi), (np.log(1e-8), np.log(1e6))])
            if best is None or res.fun < best.fun:
                best = res
        assert best is not None
        r, ratio = float(best.x[0]), float(np.exp(best.x[1]))
        beta, q, _ = sem_beta(r, ratio)
        sig2 = q / nt
        sig2_mu = ratio * sig2

        def full(th: np.ndarray) -> float:
            return _re_sem_loglik(th, y, z, w, spec, eig)

    theta = np.array([*beta, r, sig2, sig2_mu])
    loglik = full(theta)
    hess = _hessian(full, theta)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        raise MethodError("the information matrix is singular; the random-effects model is not identified on "
                          "these data") from None
    sp = "lambda" if model == "sem" else "rho"
    wx = names if model == "sdm" else []
    idx = ["const", *names, *[f"W·{v}" for v in wx], sp, "sigma2", "sigma2_mu"]
    order = [sp, *idx[:-3], "sigma2", "sigma2_mu"]
    params = pd.Series(theta, index=idx, dtype=float).loc[order]
    cov_df = pd.DataFrame(cov, index=idx, columns=idx).loc[order, order]
    if model == "sem":
        pred = (z @ beta).ravel()
        eps = _lag(np.eye(n) - r * w, y - z @ beta).ravel()
    else:
        pred = np.linalg.solve(np.eye(n) - r * w, (z @ beta).T).T.ravel()
        eps = (y - r * _lag(w, y) - z @ beta).ravel()
    yv = y.ravel()
    sst = float(((yv - yv.mean()) ** 2).sum())
    corr2 = float(np.corrcoef(yv, pred)[0, 1] ** 2) if np.std(pred) > 0 else np.nan
    return SpatialFit(model=model, effects="random", lee_yu=False, params=params, cov=cov_df, loglik=float(loglik),
                      r2=1.0 - float(eps @ eps) / sst if sst > 0 else np.nan, corr2=corr2, n=n, t=t, n_eff=nt,
                      x_names=list(names), wx_names=wx, residuals=eps.reshape(t, n), spectrum=spec)


def hausman_test(fe: SpatialFit, re: SpatialFit) -> pd.DataFrame:
    """Hausman (1978) test of fixed against random unit effects (豪斯曼检验) for one spatial panel model.

    H = d'(V_FE − V_RE)⁻¹d with d the difference of the coefficients both models share (ρ or λ, β, θ), χ² with
    as many degrees of freedom as coefficients (Elhorst 2014, ch. 3). A large H rejects the random effects (the
    unit effects are correlated with the regressors): use the fixed effects. In finite samples V_FE − V_RE
    need not be positive definite; then (as Stata's ``hausman`` does) the statistic uses the generalised
    inverse on the positive eigenvalues, the degrees of freedom are their number, and ``note`` says so.

    Parameters
    ----------
    fe, re : the same model fitted with ``effects="unit"`` and ``effects="random"``.

    Returns
    -------
    DataFrame with one row ``Hausman``: hypothesis, statistic, df, p_value, stars.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> w = weights_matrix(np.eye(20, k=1) + np.eye(20, k=-1), [f"u{i}" for i in range(20)])
    >>> mu = rng.normal(scale=0.5, size=20)
    >>> x = rng.normal(size=(6, 20, 1)) + 2 * mu[None, :, None]   # x correlated with the unit effect
    >>> y = np.stack([np.linalg.solve(np.eye(20) - 0.3 * w, x[t, :, 0] + mu + rng.normal(size=20))
    ...               for t in range(6)])
    >>> h = hausman_test(fit_spatial_panel(y, x, w, "sar", "unit"), fit_spatial_panel(y, x, w, "sar", "random"))
    >>> bool(h.loc["Hausman", "p_value"] < 0.01)
    True
    """
    if fe.model != re.model or fe.effects != "unit" or re.effects != "random":
        raise MethodError("hausman_test compares the same model with effects='unit' (fe) and effects='random' (re)")
    names = [fe.spatial, *fe.x_names, *[f"W·{v}" for v in fe.wx_names]]
    d = (fe.params[names] - re.params[names]).to_numpy()
    v = fe.cov.loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
    vals, vecs = np.linalg.eigh((v + v.T) / 2)
    keep = vals > 1e-10 * max(float(np.abs(vals).max()), 1e-300)
    df = int(keep.sum())
    proj = vecs[:, keep].T @ d
    stat = float(np.sum(proj ** 2 / vals[keep])) if df else np.nan
    p = float(stats.chi2.sf(stat, df)) if df else np.nan
    note = "" if df == len(names) else (
        f"V_FE − V_RE is not positive definite ({len(names) - df} of {len(names)} eigenvalues ≤ 0): the statistic "
        "uses its positive part (a generalised inverse), df = the rest")
    return pd.DataFrame({"hypothesis": ["random effects consistent"], "statistic": [stat], "df": [df],
                         "p_value": [p], "stars": [stars(p)], "note": [note]}, index=pd.Index(["Hausman"], name="test"))


def lm_tests(y: np.ndarray, x: np.ndarray, w: np.ndarray, effects: str = "twoway") -> pd.DataFrame:
    """LM lag, LM error and their robust versions (空间 LM 检验) on the fixed-effects OLS residuals.

    Anselin et al. (1996), Reg. Sci. Urban Econ. 26(1):77-104; for panels Elhorst (2014), ch. 3 (the
    statistics of his ``lmsar_panel``/``lmerror_panel``; Debarsy & Ertur 2010 for fixed effects):
    with e the residuals of ỹ on X̃ (demeaned), σ² = e'e/(NT), T_W = tr(WW + W'W) and
    J = [(Q(W X̃)b)' M (Q(W X̃)b) + T T_W σ²] / σ²:
    LM_lag = (e'Wy/σ²)²/J, LM_err = (e'We/σ²)²/(T T_W), robust LM_lag = (e'Wy/σ² − e'We/σ²)²/(J − T T_W),
    robust LM_err = (e'We/σ² − T T_W/J · e'Wy/σ²)² / [T T_W (1 − T T_W/J)], each χ²(1).

    Parameters
    ----------
    y : (T, N); x : (T, N, k); w : (N, N); effects : as in :func:`fit_spatial_panel`.

    Returns
    -------
    DataFrame indexed by test (``LM_lag``, ``robust_LM_lag``, ``LM_error``, ``robust_LM_error``) with
    ``statistic``, ``df``, ``p_value``, ``stars``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> w = weights_matrix(np.eye(5, k=1) + np.eye(5, k=-1), list("abcde"))
    >>> lm_tests(rng.normal(size=(6, 5)), rng.normal(size=(6, 5, 1)), w, "unit").shape
    (4, 4)
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 2:
        x = x[:, :, None]
    _check_inputs(y, x, np.asarray(w, dtype=float), "sar", effects)
    t, n, k = x.shape
    xd = _demean(x, effects).reshape(t * n, k)
    yd = _demean(y, effects).ravel()
    xtx = xd.T @ xd
    b = np.linalg.solve(xtx, xd.T @ yd)
    e = yd - xd @ b
    sig2 = float(e @ e) / (n * t)
    wy = _lag(w, y).ravel()  # e'(I⊗W)y = e'Q(I⊗W)y since e is demeaned
    we = _lag(w, e.reshape(t, n)).ravel()
    tw = float(np.sum(w * w.T) + np.sum(w * w))
    wxb = _demean(_lag(w, x), effects).reshape(t * n, k) @ b
    mwxb = wxb - xd @ np.linalg.solve(xtx, xd.T @ wxb)
    j = (float(wxb @ mwxb) + t * tw * sig2) / sig2
    lag_s, err_s = float(e @ wy) / sig2, float(e @ we) / sig2
    stat = {
        "LM_lag": lag_s ** 2 / j,
        "robust_LM_lag": (lag_s - err_s) ** 2 / (j - t * tw),
        "LM_error": err_s ** 2 / (t * tw),
        "robust_LM_error": (err_s - t * tw / j * lag_s) ** 2 / (t * tw * (1 - t * tw / j)),
    }
    p = {k_: float(stats.chi2.sf(v, 1)) for k_, v in stat.items()}
    return pd.DataFrame({"statistic": stat, "df": dict.fromkeys(stat, 1), "p_value": p,
                         "stars": {k_: stars(v) for k_, v in p.items()}})


def _sdm_tests(sdm: SpatialFit, sar: SpatialFit | None, sem: SpatialFit | None) -> pd.DataFrame:
    """Wald and LR tests of the SDM against the SAR (θ = 0) and the SEM (θ + ρβ = 0)."""
    xs = sdm.x_names
    k = len(xs)
    theta = sdm.params[[f"W·{v}" for v in xs]].to_numpy()
    beta = sdm.params[xs].to_numpy()
    rho = float(sdm.params["rho"])
    names = [*xs, *[f"W·{v}" for v in xs], "rho"]
    v = sdm.cov.loc[names, names].to_numpy()
    wald_sar = float(theta @ np.linalg.solve(v[k:2 * k, k:2 * k], theta))
    g = theta + rho * beta  # delta method: ∂g/∂β = ρI, ∂g/∂θ = I, ∂g/∂ρ = β
    jac = np.hstack([rho * np.eye(k), np.eye(k), beta[:, None]])
    wald_sem = float(g @ np.linalg.solve(jac @ v @ jac.T, g))
    rows = {"Wald_SAR": (wald_sar, "θ = 0"), "Wald_SEM": (wald_sem, "θ + ρβ = 0")}
    if sar is not None:
        rows["LR_SAR"] = (2 * (sdm.loglik - sar.loglik), "θ = 0")
    if sem is not None:
        rows["LR_SEM"] = (2 * (sdm.loglik - sem.loglik), "θ + ρβ = 0")
    order = [r for r in ("LR_SAR", "Wald_SAR", "LR_SEM", "Wald_SEM") if r in rows]
    stat = np.array([rows[r][0] for r in order])
    p = stats.chi2.sf(np.maximum(stat, 0.0), k)
    return pd.DataFrame({"hypothesis": [rows[r][1] for r in order], "statistic": stat, "df": k, "p_value": p,
                         "stars": [stars(q) for q in p]}, index=pd.Index(order, name="test"))


# =============================================================================================
# effects
# =============================================================================================
def _effects_of(spec: _Spectrum, rho: np.ndarray, beta: np.ndarray, theta: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct, indirect, total effects for D parameter vectors: rho (D,), beta and theta (D, k).

    With W = VΛV⁻¹, S_k = (I − ρW)⁻¹(β_k I + θ_k W): direct = tr(S_k)/N = β_k m₀ + θ_k m₁ with
    m₀ = mean(1/(1 − ρω)), m₁ = mean(ω/(1 − ρω)); total = ι'S_kι/N = β_k Σc_i/(1 − ρω_i) + θ_k Σc_iω_i/(1 − ρω_i)
    (= (β_k + θ_k)/(1 − ρ) for a row-stochastic W). O(N) per draw.
    """
    inv = 1.0 / (1.0 - rho[:, None] * spec.omega[None, :])
    winv = spec.omega[None, :] * inv
    m0, m1 = np.real(inv.mean(axis=1)), np.real(winv.mean(axis=1))
    s0, s1 = np.real(inv @ spec.c), np.real(winv @ spec.c)
    direct = beta * m0[:, None] + theta * m1[:, None]
    total = beta * s0[:, None] + theta * s1[:, None]
    return direct, total - direct, total


def spatial_effects(fit: SpatialFit, w: np.ndarray | None = None, draws: int = 1000, seed: Seed = 0,
                    spectrum: _Spectrum | None = None) -> pd.DataFrame:
    """Direct, indirect and total effects (直接效应、间接效应、总效应) with simulated inference.

    LeSage & Pace (2009), *Introduction to Spatial Econometrics*, ch. 2.7 and 5.6: the parameters (β, θ, ρ)
    are drawn ``draws`` times from N(θ̂, V̂) (the asymptotic distribution; a ρ outside the stationary interval
    is drawn again), the effects are computed for each draw through the eigenvalues of W, and the mean,
    standard deviation, z = mean/sd, the normal p-value and the 2.5 %/97.5 % percentiles are reported, next
    to the effect at the point estimate. For the SEM the effects are β (no spillover through y): direct = β
    with its standard error, indirect = 0.

    Parameters
    ----------
    fit : a SAR, SDM or SEM fit; w : its weights (default: the eigenvalues the fit kept); draws :
        simulations (0: point estimates only); seed : random seed.

    Returns
    -------
    DataFrame with columns variable, effect (direct / indirect / total), estimate (at the point estimate),
    mean, std_error, z, p_value, stars, ci_low, ci_high.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> w = weights_matrix(np.eye(6, k=1) + np.eye(6, k=-1), list("abcdef"))
    >>> x = rng.normal(size=(8, 6, 1))
    >>> y = np.stack([np.linalg.solve(np.eye(6) - 0.4 * w, 2 * x[t, :, 0] + 0.1 * rng.normal(size=6))
    ...               for t in range(8)])
    >>> fit = fit_spatial_panel(y, x, w, model="sar", effects="unit")
    >>> eff = spatial_effects(fit, draws=500, seed=1).set_index("effect")
    >>> bool(np.isclose(eff.loc["total", "estimate"], fit.params["x1"] / (1 - fit.params["rho"])))
    True
    """
    if spectrum is None and w is not None:
        spectrum = _Spectrum.of(np.asarray(w, dtype=float))
    spectrum = spectrum or fit.spectrum
    if spectrum is None:
        raise MethodError("spatial_effects needs the weights w")
    xs = fit.x_names
    rows = []
    if fit.model == "sem":
        for v in xs:
            b, s = float(fit.params[v]), float(fit.std_errors[v])
            for kind, est, se in (("direct", b, s), ("indirect", 0.0, 0.0), ("total", b, s)):
                z = est / se if se > 0 else np.nan
                p = float(2 * stats.norm.sf(abs(z))) if se > 0 else np.nan
                rows.append({"variable": v, "effect": kind, "estimate": est, "mean": est, "std_error": se, "z": z,
                             "p_value": p, "stars": stars(p), "ci_low": est - 1.959964 * se,
                             "ci_high": est + 1.959964 * se})
        return pd.DataFrame(rows)
    wx = [f"W·{v}" for v in xs] if fit.model == "sdm" else []
    names = [*xs, *wx, "rho"]
    mean = fit.params[names].to_numpy()
    k = len(xs)

    def split(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        theta = p[:, k:2 * k] if wx else np.zeros((p.shape[0], k))
        return p[:, -1], p[:, :k], theta

    point = _effects_of(spectrum, *split(mean[None, :]))
    sims: tuple[np.ndarray, ...] | None = None
    if draws > 0:
        rng = generator(seed)
        cov = fit.cov.loc[names, names].to_numpy()
        chol = np.linalg.cholesky(cov + 1e-14 * np.eye(len(names)) * np.trace(cov))
        lo, hi = spectrum.bounds
        p = mean + rng.standard_normal((draws, len(names))) @ chol.T
        for _ in range(100):  # redraw the (rare) ρ outside the stationary interval
            bad = (p[:, -1] <= lo) | (p[:, -1] >= hi)
            if not bad.any():
                break
            p[bad] = mean + rng.standard_normal((int(bad.sum()), len(names))) @ chol.T
        sims = _effects_of(spectrum, *split(p))
    for e_i, kind in enumerate(_EFFECT_KINDS):
        for j, v in enumerate(xs):
            est = float(point[e_i][0, j])
            if sims is None:
                rows.append({"variable": v, "effect": kind, "estimate": est, "mean": est, "std_error": np.nan,
                             "z": np.nan, "p_value": np.nan, "stars": "", "ci_low": np.nan, "ci_high": np.nan})
                continue
            d = sims[e_i][:, j]
            m, s = float(d.mean()), float(d.std(ddof=1))
            z = m / s if s > 0 else np.nan
            pv = float(2 * stats.norm.sf(abs(z))) if s > 0 else np.nan
            lo_, hi_ = np.percentile(d, [2.5, 97.5])
            rows.append({"variable": v, "effect": kind, "estimate": est, "mean": m, "std_error": s, "z": z,
                         "p_value": pv, "stars": stars(pv), "ci_low": float(lo_), "ci_high": float(hi_)})
    return pd.DataFrame(rows)


# =============================================================================================
# pandas front end
# =============================================================================================
def _as_long(data: Any) -> pd.DataFrame:
    """A frame indexed by (unit, year) from a DataFrame with unit/year columns or index, or a Panel."""
    frame = getattr(data, "data", data)
    if not isinstance(frame, pd.DataFrame):
        raise DataError("data must be a DataFrame (unit, year and the variables) or a Panel, "
                        f"got {type(data).__name__}")
    if not isinstance(frame.index, pd.MultiIndex):
        if not {"unit", "year"} <= set(frame.columns):
            raise DataError("data needs columns 'unit' and 'year' (or a (unit, year) index)")
        frame = frame.set_index(["unit", "year"])
    frame = frame.copy()
    frame.index = frame.index.set_names(["unit", "year"])
    if frame.index.duplicated().any():
        u, y = frame.index[frame.index.duplicated()][0]
        raise DataError(f"unit {u!r}, year {y}: duplicated unit-year; keep one row per unit-year")
    return frame


def _variable(frame: pd.DataFrame, spec: str) -> pd.Series:
    """A column of ``frame`` or a safe expression over its columns (nqpf.core.expr)."""
    if spec in frame.columns:
        return pd.to_numeric(frame[spec], errors="coerce").astype(float).rename(spec)
    return expr.evaluate(spec, frame, name=spec)


def _balanced(frame: pd.DataFrame, cols: list[str], notes: list[str]) -> tuple[list[Any], list[int], pd.DataFrame]:
    """Units, years and the complete rows; whole years lost to missing values are dropped with a note,
    anything else that breaks balance is an error naming the unit-years."""
    miss = frame[cols].isna().any(axis=1)
    years = sorted({int(y) for y in frame.index.get_level_values("year")})
    units = list(dict.fromkeys(frame.index.get_level_values("unit")))
    if miss.any():
        bad = frame.index[miss.to_numpy()]
        by_year = pd.Series(1, index=bad).groupby(level="year").size()
        whole = [int(y) for y, c in by_year.items() if c == len(units)]
        if whole:
            notes.append(f"year(s) {', '.join(map(str, whole))} dropped: a variable has no value in any unit there "
                         "(e.g. a lag)")
        years = [y for y in years if y not in whole]
        rest = [(u, int(y)) for u, y in bad if int(y) not in whole]
        if rest:
            shown = ", ".join(f"{u} {y}" for u, y in rest[:6])
            raise DataError(f"the spatial panel needs a balanced panel; {len(rest)} unit-year(s) have a missing "
                            f"value: {shown}{' …' if len(rest) > 6 else ''}; impute them or drop those units/years")
    full = pd.MultiIndex.from_product([units, years], names=["unit", "year"])
    absent = full.difference(frame.index)
    if len(absent):
        shown = ", ".join(f"{u} {y}" for u, y in list(absent)[:6])
        raise DataError(f"the spatial panel needs a balanced panel; {len(absent)} unit-year(s) are absent: {shown}; "
                        "drop those units or years")
    return units, years, frame.reindex(full)


@dataclass
class _Prepared:
    y: np.ndarray
    x: np.ndarray
    units: list[Any]
    years: list[int]
    y_name: str
    x_names: list[str]
    controls: list[str]
    notes: list[str]


def _prepare(data: Any, y: str | pd.Series, x: str | Sequence[str] | pd.DataFrame,
             controls: Sequence[str] | Mapping[str, str] | None) -> _Prepared:
    frame = _as_long(data) if data is not None else pd.DataFrame()
    cols: dict[str, pd.Series] = {}

    def add(spec: Any, default: str) -> str:
        if isinstance(spec, pd.Series):
            name = str(spec.name) if spec.name is not None else default
            cols[name] = spec.astype(float)
            return name
        name = str(spec)
        cols[name] = _variable(frame, name)
        return name

    y_name = add(y, "y")
    xs = [x] if isinstance(x, (str, pd.Series)) else x
    if isinstance(xs, pd.DataFrame):
        x_names = [add(xs[c].rename(str(c)), str(c)) for c in xs.columns]
    else:
        x_names = [add(v, f"x{i + 1}") for i, v in enumerate(xs)]
    ctrl: list[str] = []
    if controls:
        items = controls.items() if isinstance(controls, Mapping) else [(c, c) for c in controls]
        for name, spec in items:
            cols[str(name)] = _variable(frame, str(spec)).rename(str(name))
            ctrl.append(str(name))
    names = [y_name, *x_names, *ctrl]
    if len(set(names)) != len(names):
        raise DataError(f"the variables {names} repeat a name; give each a different one")
    df = pd.concat([cols[c].rename(c) for c in names], axis=1, join="outer")
    df = df[df[y_name].notna()]  # the sample is the dependent variable's unit-years
    notes: list[str] = []
    units, years, df = _balanced(df, names, notes)
    if len(units) < 3 or len(years) < 2:
        raise DataError(f"a spatial panel needs at least 3 units and 2 years, got {len(units)} and {len(years)}")
    t, n = len(years), len(units)
    yy = df[y_name].to_numpy(dtype=float).reshape(n, t).T
    xx = df[[*x_names, *ctrl]].to_numpy(dtype=float).reshape(n, t, -1).transpose(1, 0, 2)
    return _Prepared(yy, xx, units, years, y_name, x_names, ctrl, notes)


def _resolve_weights(w: Any, units: list[Any], knn: int) -> tuple[np.ndarray, str]:
    if isinstance(w, str):
        return weights_matrix(spatial_weights([str(u) for u in units], kind=w, k=knn), units), w
    if callable(w):  # units -> W, e.g. a study's ctx.weights(label, units)
        w = w([str(u) for u in units])
    info = weights_info(w)
    return weights_matrix(w, units), info.kind if info is not None else "user"


def spatial_panel(data: Any, y: str | pd.Series, x: str | Sequence[str] | pd.DataFrame, w: Any = "contiguity",
                  model: str = "sdm", effects: str = "twoway",
                  controls: Sequence[str] | Mapping[str, str] | None = None, lee_yu: bool = True,
                  draws: int = 1000, seed: Seed = 0, knn: int = 4, tests: bool = True,
                  hausman: bool = False) -> SpatialPanelResult:
    """Spatial panel model (空间面板模型) of ``y`` on ``x`` with fixed or random effects, tests and effects.

    Elhorst (2003, 2014) maximum likelihood with the Lee & Yu (2010) correction; LM tests (Anselin et al. 1996;
    Elhorst 2014); LeSage & Pace (2009) effects with simulated inference. See :func:`fit_spatial_panel`.

    Parameters
    ----------
    data : a DataFrame with unit and year (columns or index) and the variables, or a Panel.
    y : a column of ``data``, a safe expression over its columns (e.g. ``"log(gdp)"``) or a Series indexed
        by (unit, year).
    x : the core regressor(s): column names / expressions, Series, or a DataFrame indexed by (unit, year).
    w : "contiguity", "knn" or "inverse_distance" (built for the units, provinces), a libpysal W, an
        (N, N) array in the order of the units, or a function units -> W (a study's weights); row-standardised.
    model : "sar", "sem" or "sdm"; with tests=True the other two models are fitted as well (the SDM tests
        need them) and shown next to it.
    effects : "unit", "time", "twoway" (fixed effects), "none" (pooled) or "random" (unit random effects with a
        constant, Elhorst 2003).
    controls : more regressors: a list of columns/expressions or {name: expression}; they enter like x
        (and, in the SDM, with W·control) but the effects are reported for all.
    lee_yu : Lee & Yu (2010) transformation approach (default); draws, seed : the effects simulation;
    knn : neighbours for w="knn"; hausman : also fit the model with the other kind of unit effects (random for
        "unit", unit fixed for "random") and report the Hausman (1978) test (effects "unit" or "random" only).

    Returns
    -------
    SpatialPanelResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> units = [f"u{i}" for i in range(12)]
    >>> c = np.eye(12, k=1) + np.eye(12, k=-1); c[0, -1] = c[-1, 0] = 1
    >>> W = weights_matrix(c, units)
    >>> rows = []
    >>> for yr in range(2010, 2020):
    ...     xv = rng.normal(size=12)
    ...     yv = np.linalg.solve(np.eye(12) - 0.3 * W, xv + 0.1 * rng.normal(size=12))
    ...     rows += [{"unit": u, "year": yr, "x": a, "y": b} for u, a, b in zip(units, xv, yv)]
    >>> res = spatial_panel(pd.DataFrame(rows), "y", "x", w=W, model="sar", effects="unit", draws=200)
    >>> bool(abs(res.fit.params["rho"] - 0.3) < 0.1)
    True
    """
    if model not in MODELS:
        raise MethodError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if draws < 0:
        raise MethodError(f"draws must be 0 or more, got {draws}")
    prep = _prepare(data, y, x, controls)
    wm, wname = _resolve_weights(w, prep.units, knn)
    names = [*prep.x_names, *prep.controls]
    fits: dict[str, SpatialFit] = {}
    with _blas_for(len(prep.units)):
        spec = _Spectrum.of(wm)
        for m in (("sar", "sem", "sdm") if tests else (model,)):
            fits[m] = _fit(prep.y, prep.x, wm, m, effects, lee_yu, names, spec)
        # LM tests on the OLS residuals of the matching non-spatial model (pooled OLS for random effects)
        lm = lm_tests(prep.y, prep.x, wm, "none" if effects == "random" else effects) if tests else None
        sdm_t = _sdm_tests(fits["sdm"], fits.get("sar"), fits.get("sem")) if "sdm" in fits else None
        eff = spatial_effects(fits[model], draws=draws, seed=seed, spectrum=spec)
        haus, other = None, None
        if hausman:
            if effects not in ("unit", "random"):
                raise MethodError(f"the Hausman test compares unit fixed and random effects; effects={effects!r} "
                                  "is neither (use effects='unit' or 'random')")
            other = _fit(prep.y, prep.x, wm, model, "random" if effects == "unit" else "unit", lee_yu, names, spec)
            fe, re = (fits[model], other) if effects == "unit" else (other, fits[model])
            haus = hausman_test(fe, re)
    return SpatialPanelResult(model=model, fits=fits, effects=eff, lm=lm, sdm_tests=sdm_t, y_name=prep.y_name,
                              x_names=prep.x_names, controls=prep.controls, units=prep.units, years=prep.years,
                              weights=wname, draws=draws, notes=prep.notes, w=wm, hausman=haus, other=other)


def spatial_panel_robustness(data: Any, y: str | pd.Series, x: str | Sequence[str] | pd.DataFrame,
                             weights: Mapping[str, Any], model: str = "sdm", effects: str = "twoway",
                             controls: Sequence[str] | Mapping[str, str] | None = None, lee_yu: bool = True,
                             draws: int = 1000, seed: Seed = 0, knn: int = 4) -> SpatialRobustnessResult:
    """One model re-estimated under several weight matrices (空间权重稳健性检验), one table.

    Parameters
    ----------
    weights : {label: weights} — each a kind ("contiguity", "knn", "inverse_distance"), a libpysal W or an
        (N, N) array; the other parameters as in :func:`spatial_panel`.

    Returns
    -------
    SpatialRobustnessResult: one publication-table column and one block of effects per weight matrix.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ring = np.eye(10, k=1) + np.eye(10, k=-1); ring[0, -1] = ring[-1, 0] = 1
    >>> two = ring + np.eye(10, k=2) + np.eye(10, k=-2); two[0, -2] = two[-2, 0] = two[1, -1] = two[-1, 1] = 1
    >>> df = pd.DataFrame({"unit": np.tile(np.arange(10), 6), "year": np.repeat(np.arange(2015, 2021), 10),
    ...                    "x": rng.normal(size=60)}).assign(y=lambda d: d["x"] + rng.normal(size=60))
    >>> rob = spatial_panel_robustness(df, "y", "x", {"ring": ring, "two": two}, model="sar", draws=100)
    >>> list(rob.publication_table().columns)
    ['ring', 'two']
    """
    if not weights:
        raise MethodError("weights must name at least one weight matrix, e.g. {'contiguity': 'contiguity'}")
    results = {str(k): spatial_panel(data, y, x, w=v, model=model, effects=effects, controls=controls,
                                     lee_yu=lee_yu, draws=draws, seed=seed, knn=knn, tests=False)
               for k, v in weights.items()}
    return SpatialRobustnessResult(results=results, model=model)


# =============================================================================================
# results
# =============================================================================================
def _shown(table: pd.DataFrame, head: str) -> pd.DataFrame:
    """A publication table with its row labels as the first column (parenthesis rows unlabelled)."""
    labels = ["" if str(i).endswith(" ") else str(i) for i in table.index]
    return pd.concat([pd.DataFrame({head: labels}), table.reset_index(drop=True)], axis=1)


def _row_order(fits: Sequence[SpatialFit]) -> list[str]:
    """The rows of models side by side: ρ, λ, then β and θ (W·x) in the order of the regressors."""
    sp = [s for s in ("rho", "lambda") if any(f.spatial == s for f in fits)]
    xs = list(dict.fromkeys(v for f in fits for v in f.x_names))
    wx = list(dict.fromkeys(f"W·{v}" for f in fits for v in f.wx_names))
    const = ["const"] if any("const" in f.params.index for f in fits) else []
    return [*sp, *xs, *wx, *const]


def _sig_words(p: float, lang: str) -> str:
    if not np.isfinite(p):
        return ""
    if lang == "zh":
        return f"在 {'1%' if p < 0.01 else '5%' if p < 0.05 else '10%'} 水平上显著" if p < 0.1 else "不显著"
    return f"significant at {'1%' if p < 0.01 else '5%' if p < 0.05 else '10%'}" if p < 0.1 else "not significant"


_TEST_NAMES = {"LM_lag": ("LM 滞后", "LM lag"), "robust_LM_lag": ("稳健 LM 滞后", "robust LM lag"),
               "LM_error": ("LM 误差", "LM error"), "robust_LM_error": ("稳健 LM 误差", "robust LM error"),
               "LR_SAR": ("LR（SDM vs SAR）", "LR (SDM vs SAR)"),
               "Wald_SAR": ("Wald（SDM vs SAR）", "Wald (SDM vs SAR)"),
               "LR_SEM": ("LR（SDM vs SEM）", "LR (SDM vs SEM)"),
               "Wald_SEM": ("Wald（SDM vs SEM）", "Wald (SDM vs SEM)"),
               "Hausman": ("Hausman（固定效应 vs 随机效应）", "Hausman (fixed vs random effects)")}


def _effects_figure(effects: pd.DataFrame, lang: str, title: str = "") -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    variables = list(dict.fromkeys(effects["variable"]))
    for i, kind in enumerate(_EFFECT_KINDS):
        sub = effects[effects["effect"] == kind].set_index("variable").reindex(variables)
        name = _EFFECT_WORDS[kind][0 if lang == "zh" else 1]
        hi = (sub["ci_high"] - sub["mean"]).to_numpy(dtype=float)
        lo = (sub["mean"] - sub["ci_low"]).to_numpy(dtype=float)
        fig.add_trace(go.Scatter(
            x=sub["mean"], y=variables, mode="markers", name=name, marker={"size": 9, "color": OKABE_ITO[i]},
            error_x={"type": "data", "array": hi, "arrayminus": lo, "visible": True},
            offsetgroup=str(i), customdata=np.column_stack([sub["std_error"], sub["p_value"]]),
            hovertemplate=f"{name} %{{y}}: %{{x:.4f}} (SE %{{customdata[0]:.4f}}, p %{{customdata[1]:.3f}})"
                          "<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#888", "dash": "dot"})
    fig.update_layout(scattermode="group", height=max(260, 90 * len(variables) + 120), title=title or None,
                      xaxis={"title": "效应（95% 置信区间）" if lang == "zh" else "effect (95% interval)"},
                      margin={"l": 80, "r": 20, "t": 40 if title else 20, "b": 50})
    return fig


def _effects_plot(effects: pd.DataFrame, ax: Axes | None, lang: str) -> MplFigure:
    variables = list(dict.fromkeys(effects["variable"]))
    fig, ax = figure_axes(ax, (5.2, 1.2 + 0.8 * len(variables)))
    for i, kind in enumerate(_EFFECT_KINDS):
        sub = effects[effects["effect"] == kind].set_index("variable").reindex(variables)
        pos = np.arange(len(variables)) + (i - 1) * 0.22
        m = sub["mean"].to_numpy(dtype=float)
        err = np.vstack([m - sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float) - m])
        ax.errorbar(m, pos, xerr=err, fmt="o", color=OKABE_ITO[i], capsize=3, ms=5,
                    label=_EFFECT_WORDS[kind][0 if lang == "zh" else 1])
    ax.axvline(0, color="#888", lw=0.8, ls=":")
    ax.set_yticks(np.arange(len(variables)), variables)
    ax.invert_yaxis()
    ax.set_xlabel("效应（95% 置信区间）" if lang == "zh" else "effect (95% interval)")
    ax.legend(frameon=False, fontsize=7)
    return fig


def _effects_table(effects: pd.DataFrame, lang: str) -> Table:
    df = effects[["variable", "effect", "mean", "std_error", "z", "p_value", "stars"]].copy()
    df["effect"] = [_EFFECT_WORDS[e][0 if lang == "zh" else 1] for e in df["effect"]]
    zh = lang == "zh"
    return Table(df, formats={"mean": "4f", "std_error": "4f", "z": "2f", "p_value": "3f"},
                 headers={"variable": "变量" if zh else "variable", "effect": "效应" if zh else "effect",
                          "mean": "估计值" if zh else "estimate", "std_error": "标准误" if zh else "SE",
                          "z": "z", "p_value": "p", "stars": ""})


@dataclass
class SpatialPanelResult(ModelResult):
    """A spatial panel model with its specification tests and effects (空间面板模型结果).

    Attributes
    ----------
    model : the requested model ("sar", "sem", "sdm"); fits : every fitted model by name (all three when
        the tests were asked for), ``fit`` the requested one.
    effects : direct / indirect / total effects of the requested model (see :func:`spatial_effects`).
    lm : LM tests on the fixed-effects OLS residuals (None without tests).
    sdm_tests : LR and Wald tests of the SDM against the SAR and the SEM (None without an SDM).
    y_name, x_names, controls : the variables; units, years : the balanced sample.
    weights : the weights' name ("contiguity", "knn", …, "user"); draws : effects simulations.
    notes : what was dropped and why.
    """

    label = ("空间面板模型", "Spatial panel model")

    model: str
    fits: dict[str, SpatialFit]
    effects: pd.DataFrame
    lm: pd.DataFrame | None
    sdm_tests: pd.DataFrame | None
    y_name: str
    x_names: list[str]
    controls: list[str]
    units: list[Any]
    years: list[int]
    weights: str
    draws: int
    notes: list[str] = field(default_factory=list)
    w: np.ndarray | None = field(default=None, repr=False)
    robustness: SpatialRobustnessResult | None = None
    #: the Hausman test of unit fixed against random effects, and the model with the other effects
    hausman: pd.DataFrame | None = None
    other: SpatialFit | None = None

    @property
    def fit(self) -> SpatialFit:
        """The requested model."""
        return self.fits[self.model]

    # -- tables --------------------------------------------------------------------------------
    def estimates(self) -> list[Estimates]:
        """One column per fitted model (SAR, SEM, SDM, in that order)."""
        fits = [self.fits[m] for m in MODELS if m in self.fits]
        return [f.estimates(dependent=self.y_name, order=_row_order(fits)) for f in fits]

    def publication_table(self, lang: str = "en", stat: str = "se", digits: int = 3) -> pd.DataFrame:
        """SAR, SEM and SDM side by side (see :func:`nqpf.models.tables.publication_table`); zh row labels."""
        table = super().publication_table(lang=lang, stat=stat, digits=digits)
        if lang == "zh":
            table = table.rename(columns={f.title("en"): f.title("zh") for f in self.fits.values()})
        return table

    def to_frame(self) -> pd.DataFrame:
        """Coefficients of every fitted model: model, variable, coef, std_error, z, p_value, stars."""
        out = []
        for m in MODELS:
            if m in self.fits:
                f = self.fits[m]
                out.append(f.table().rename_axis("variable").reset_index().assign(model=m, effects=f.effects))
        df = pd.concat(out, ignore_index=True)
        return df[["model", "effects", "variable", "coef", "std_error", "z", "p_value", "stars"]]

    def tests(self) -> pd.DataFrame:
        """The specification tests in the order they are reported: LM, robust LM, then LR/Wald of the SDM."""
        parts = [df.drop(columns=["hypothesis", "note"], errors="ignore")
                 for df in (self.lm, self.sdm_tests, self.hausman) if df is not None]
        return pd.concat(parts).rename_axis("test") if parts else pd.DataFrame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Coefficients (main), effects, tests and the publication table (en)."""
        out = {"": self.to_frame(), "effects": self.effects, "table": self.publication_table("en").rename_axis("row")}
        t_ = self.tests()
        if not t_.empty:
            out["tests"] = t_
        if self.robustness is not None:
            out["robustness"] = self.robustness.publication_table("en").rename_axis("row")
        return out

    # -- text ----------------------------------------------------------------------------------
    def _head(self, lang: str) -> str:
        f = self.fit
        n, t_ = len(self.units), len(self.years)
        i = 0 if lang == "zh" else 1
        ly = ("，Lee–Yu 修正" if lang == "zh" else ", Lee–Yu correction") if f.lee_yu else ""
        if lang == "zh":
            return (f"{MODEL_NAMES[self.model][0]}（{EFFECT_NAMES[f.effects][0]}{ly}）：被解释变量 {self.y_name}，"
                    f"核心解释变量 {join(self.x_names, lang)}，{n} 个地区 × {t_} 年"
                    f"（{self.years[0]}–{self.years[-1]}），"
                    f"{WEIGHT_NAMES_ZH.get(self.weights, self.weights)}空间权重（行标准化）。")
        return (f"{MODEL_NAMES[self.model][i]} ({EFFECT_NAMES[f.effects][i]}{ly}) of {self.y_name} on "
                f"{join(self.x_names, lang)}: {n} units × {t_} years ({self.years[0]}–{self.years[-1]}), "
                f"{self.weights} weights (row-standardised).")

    def _summary_lines(self, lang: str) -> list[str]:
        table = self.publication_table(lang)
        body = _shown(table, "").to_string(index=False).splitlines()
        notes = [("注：" if lang == "zh" else "note: ") + n for n in self.notes]
        return [self._head(lang), *body, STAR_NOTE[0 if lang == "zh" else 1], *self.narrative(lang), *notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """Conclusions read off the numbers: the tests, the spatial parameter, the effects."""
        zh = lang == "zh"
        out: list[str] = []
        if self.lm is not None:
            lm = self.lm
            sig = {k: bool(lm.loc[k, "p_value"] < 0.05) for k in lm.index}
            nums = "，".join if zh else ", ".join
            vals = nums([f"{_TEST_NAMES[k][0 if zh else 1]} = {num(lm.loc[k, 'statistic'], 2)}"
                         f"{lm.loc[k, 'stars']}" for k in lm.index])
            if sig["LM_lag"] and sig["LM_error"]:
                concl = ("空间滞后与空间误差依赖均显著，按 Elhorst (2014) 的思路以空间杜宾模型为起点" if zh else
                         "both spatial-lag and spatial-error dependence are significant, so (Elhorst 2014) the "
                         "spatial Durbin model is the starting point")
            elif sig["LM_lag"] or sig["robust_LM_lag"]:
                concl = "空间滞后依赖显著" if zh else "spatial-lag dependence is significant"
            elif sig["LM_error"] or sig["robust_LM_error"]:
                concl = "空间误差依赖显著" if zh else "spatial-error dependence is significant"
            else:
                concl = ("LM 检验未发现显著的空间依赖（5% 水平）" if zh else
                         "the LM tests find no significant spatial dependence at 5%")
            out.append(f"固定效应 OLS 残差的 LM 检验：{vals}；{concl}。" if zh else
                       f"LM tests on the fixed-effects OLS residuals: {vals}; {concl}.")
        f = self.fit
        sp = f.spatial
        r, p = float(f.params[sp]), float(f.pvalues[sp])
        sym = "λ" if sp == "lambda" else "ρ"
        if zh:
            word = (f"正向空间溢出（邻近地区的 {self.y_name} 相互促进）" if r > 0
                    else "负向空间相关（邻近地区此消彼长）")
            out.append(f"{sym} = {num(r, 3)}（标准误 {num(f.std_errors[sp], 3)}），{_sig_words(p, lang)}"
                       + (f"：{word}。" if p < 0.1 else "。"))
        else:
            word = (f"positive spatial dependence: {self.y_name} moves together across neighbouring units" if r > 0
                    else "negative spatial dependence between neighbours")
            out.append(f"{sym} = {num(r, 3)} (SE {num(f.std_errors[sp], 3)}), {_sig_words(p, lang)}"
                       + (f": {word}." if p < 0.1 else "."))
        if self.sdm_tests is not None and self.model == "sdm":
            st = self.sdm_tests
            for alt in ("SAR", "SEM"):
                key = f"LR_{alt}" if f"LR_{alt}" in st.index else f"Wald_{alt}"
                s, q = float(st.loc[key, "statistic"]), float(st.loc[key, "p_value"])
                wald = st.loc[f"Wald_{alt}"]
                if zh:
                    out.append(f"{key.split('_')[0]} 检验（SDM 对 {alt}）= {num(s, 2)}，p = {num(q, 3)}；Wald = "
                               f"{num(wald['statistic'], 2)}，p = {num(wald['p_value'], 3)}："
                               + (f"拒绝退化为 {alt} 的原假设，SDM 不能简化为 {alt}。" if q < 0.05 else
                                  f"不能拒绝原假设，SDM 可简化为 {alt}。"))
                else:
                    out.append(f"{key.split('_')[0]} test of the SDM against the {alt} = {num(s, 2)}, p = {num(q, 3)} "
                               f"(Wald {num(wald['statistic'], 2)}, p = {num(wald['p_value'], 3)}): "
                               + (f"the SDM does not simplify to the {alt}." if q < 0.05 else
                                  f"the restriction is not rejected, so the SDM may simplify to the {alt}."))
        if self.hausman is not None:
            h = self.hausman.loc["Hausman"]
            hs, hp, hdf = float(h["statistic"]), float(h["p_value"]), int(h["df"])
            fe_ok = bool(hp < 0.05)
            if zh:
                out.append(f"Hausman 检验 = {num(hs, 2)}（自由度 {hdf}），p = {num(hp, 3)}："
                           + ("拒绝随机效应的原假设（个体效应与解释变量相关），应采用固定效应。" if fe_ok else
                              "不能拒绝随机效应的原假设，随机效应估计一致且更有效。"))
            else:
                out.append(f"Hausman test = {num(hs, 2)} (df {hdf}), p = {num(hp, 3)}: "
                           + ("random effects are rejected (the unit effects are correlated with the regressors), "
                              "so the fixed-effects model is used." if fe_ok else
                              "random effects are not rejected; they are consistent and more efficient."))
        e = self.effects.set_index(["variable", "effect"])
        for v in self.x_names:
            d, ind, tot = (e.loc[(v, k)] for k in _EFFECT_KINDS)
            if zh:
                out.append(f"{v} 的直接效应为 {num(d['mean'], 4)}{d['stars']}（{_sig_words(d['p_value'], lang)}），"
                           f"间接效应（空间溢出）为 {num(ind['mean'], 4)}{ind['stars']}"
                           f"（{_sig_words(ind['p_value'], lang)}），"
                           f"总效应为 {num(tot['mean'], 4)}{tot['stars']}：{v} 每提高 1 个单位，本地区 {self.y_name} "
                           f"{'提高' if d['mean'] > 0 else '降低'} {num(abs(d['mean']), 4)}，"
                           + (f"并通过空间关联使其他地区{'提高' if ind['mean'] > 0 else '降低'} "
                              f"{num(abs(ind['mean']), 4)}" if ind["p_value"] < 0.1 else "对其他地区的空间溢出不显著")
                           + (f"（{self.draws} 次模拟）。" if self.draws and self.model != "sem" else "。"))
            else:
                out.append(f"Direct effect of {v}: {num(d['mean'], 4)}{d['stars']} ({_sig_words(d['p_value'], lang)}); "
                           f"indirect (spillover) effect: {num(ind['mean'], 4)}{ind['stars']} "
                           f"({_sig_words(ind['p_value'], lang)}); total: {num(tot['mean'], 4)}{tot['stars']}. "
                           f"A one-unit rise of {v} in a unit {'raises' if d['mean'] > 0 else 'lowers'} its own "
                           f"{self.y_name} by {num(abs(d['mean']), 4)}"
                           + (f" and, through the spatial links, {'raises' if ind['mean'] > 0 else 'lowers'} that of "
                              f"the others by {num(abs(ind['mean']), 4)}" if ind["p_value"] < 0.1 else
                              "; its spillover to the others is not significant")
                           + (f" ({self.draws} simulations)." if self.draws and self.model != "sem" else "."))
        if f.lee_yu:
            what = ("σ²" if f.effects == "unit" else ("ρ、β 与 σ²" if zh else "ρ, β and σ²"))
            out.append(f"Lee–Yu (2010) 变换法修正了{what}。" if zh else
                       f"The Lee–Yu (2010) transformation corrects {what}.")
        return out

    # -- figures -------------------------------------------------------------------------------
    def figures(self, lang: str = "en") -> list[Any]:
        """The direct, indirect and total effects with 95 % simulation intervals."""
        return [_effects_figure(self.effects, lang)]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The effects with 95 % intervals (matplotlib)."""
        return _effects_plot(self.effects, ax, lang)

    def report(self, ctx: ReportContext) -> list[Block]:
        """Narrative, publication table, effects (table and figure), tests."""
        zh = ctx.lang == "zh"
        blocks: list[Block] = [Text(tuple(self.narrative(ctx.lang))),
                               Table(_shown(self.publication_table(ctx.lang), "变量" if zh else "variable"),
                                     formats={}, max_rows=80),
                               Text((STAR_NOTE[0 if zh else 1],)),
                               Heading("直接、间接与总效应" if zh else "Direct, indirect and total effects"),
                               _effects_table(self.effects, ctx.lang),
                               *(Figure(f) for f in self.figures(ctx.lang))]
        tests = self.tests()
        if not tests.empty:
            df = tests.reset_index()
            df["test"] = [_TEST_NAMES[k][0 if zh else 1] for k in df["test"]]
            blocks += [Heading("模型设定检验" if zh else "Specification tests"),
                       Table(df, formats={"statistic": "3f", "p_value": "4f", "df": "int"},
                             headers={"test": "检验" if zh else "test", "statistic": "统计量" if zh else "statistic",
                                      "df": "自由度" if zh else "df", "p_value": "p", "stars": ""})]
        if self.robustness is not None:
            blocks += [Heading("空间权重稳健性" if zh else "Robustness to the weights"),
                       *self.robustness.report(ctx)]
        if self.notes:
            blocks.append(Text(tuple(self.notes)))
        return blocks


@dataclass
class SpatialRobustnessResult(ModelResult):
    """One spatial panel model under several weight matrices (空间权重稳健性检验)."""

    label = ("空间权重稳健性", "Robustness to the weights")

    results: dict[str, SpatialPanelResult]
    model: str

    def estimates(self) -> list[Estimates]:
        """One column per weight matrix."""
        order = _row_order([r.fit for r in self.results.values()])
        return [r.fit.estimates(name=f"{k}", dependent=r.y_name, order=order) for k, r in self.results.items()]

    def to_frame(self) -> pd.DataFrame:
        """Coefficients and effects by weight matrix (long)."""
        out = []
        for k, r in self.results.items():
            c = r.fit.table().rename_axis("variable").reset_index()
            c = c.rename(columns={"coef": "estimate"}).assign(weights=k, kind="coefficient")
            e = r.effects.drop(columns="estimate").rename(columns={"mean": "estimate"})
            e = e.assign(weights=k, kind=e["effect"])
            out += [c[["weights", "kind", "variable", "estimate", "std_error", "p_value", "stars"]],
                    e[["weights", "kind", "variable", "estimate", "std_error", "p_value", "stars"]]]
        return pd.concat(out, ignore_index=True)

    def _summary_lines(self, lang: str) -> list[str]:
        head = (f"{MODEL_NAMES[self.model][0]}在 {len(self.results)} 种空间权重下的估计：" if lang == "zh" else
                f"{MODEL_NAMES[self.model][1]} under {len(self.results)} weight matrices:")
        return [head, *_shown(self.publication_table(lang), "").to_string(index=False).splitlines(),
                *self.narrative(lang)]

    def narrative(self, lang: str = "en") -> list[str]:
        """How far ρ and the effects move across the weights."""
        out = []
        first = next(iter(self.results.values()))
        sp = first.fit.spatial
        vals = {k: float(r.fit.params[sp]) for k, r in self.results.items()}
        sym = "λ" if sp == "lambda" else "ρ"
        rng_ = f"{num(min(vals.values()), 3)}–{num(max(vals.values()), 3)}"
        out.append(f"各权重下 {sym} 介于 {rng_}。" if lang == "zh" else f"{sym} ranges over {rng_} across the weights.")
        for v in first.x_names:
            for kind in ("direct", "indirect"):
                ests = {k: r.effects.set_index(["variable", "effect"]).loc[(v, kind)] for k, r in self.results.items()}
                same = len({np.sign(e["mean"]) for e in ests.values()}) == 1
                sig = [k for k, e in ests.items() if e["p_value"] < 0.05]
                word = _EFFECT_WORDS[kind][0 if lang == "zh" else 1]
                if lang == "zh":
                    out.append(f"{v} 的{word}：{'符号在各权重下一致' if same else '符号随权重改变'}，"
                               f"在 {len(sig)}/{len(ests)} 种权重下 5% 显著。")
                else:
                    out.append(f"{v}, {word} effect: {'same sign under every' if same else 'the sign changes with the'}"
                               f" weight matrix; significant at 5% under {len(sig)} of {len(ests)}.")
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame(), "table": self.publication_table("en").rename_axis("row")}

    def report(self, ctx: ReportContext) -> list[Block]:
        return [Text(tuple(self.narrative(ctx.lang))),
                Table(_shown(self.publication_table(ctx.lang), "变量" if ctx.lang == "zh" else "variable"))]


# =============================================================================================
# study file: [models.<label>] model = "spatial_panel"
# =============================================================================================
class SpatialPanelOptions(Options):
    """``[models.<label>]`` with ``model = "spatial_panel"``.

    y : an index name or a panel column / expression (default: the study's hqd index); x : index names or
    expressions (default: the study's nqpf index); controls : expressions, or {name = expression};
    kind : sar, sem, sdm (``model`` itself names the registry entry, "spatial_panel"); effects : unit, time,
    twoway (fixed effects) or random (unit random effects); hausman : also fit the other kind of unit effects
    and report the Hausman test (effects unit or random); weights : a [weights.<label>] of the study or a kind
    (contiguity, knn, inverse_distance, economic …); lee_yu : the Lee & Yu (2010) correction; draws, seed : the
    effects simulation; robustness : other [weights.*] labels or kinds to re-estimate the model with (one extra
    table).
    """

    y: str | None = None
    x: str | list[str] | None = None
    controls: list[str] | dict[str, str] | None = None
    kind: Literal["sar", "sem", "sdm"] = "sdm"
    effects: Literal["unit", "time", "twoway", "random"] = "twoway"
    hausman: bool = False
    weights: str = "contiguity"
    lee_yu: bool = True
    draws: int = 1000
    seed: int = 0
    robustness: tuple[str, ...] = ()


REFS = ("elhorst2003", "elhorst2014", "leeyu2010", "lesage2009", "anselin1996", "debarsy2010", "hausman1978")


def _methods(res: SpatialPanelResult, opts: SpatialPanelOptions, lang: str) -> str:
    f = res.fit
    c = cite(("elhorst2003", "elhorst2014"), lang)
    ly = cite(("leeyu2010",), lang)
    lm = cite(("anselin1996", "debarsy2010"), lang)
    lp = cite(("lesage2009",), lang)
    eq = {"sar": "$y_t = \\rho W y_t + X_t\\beta + \\mu + \\alpha_t\\iota_N + \\varepsilon_t$",
          "sem": "$y_t = X_t\\beta + \\mu + \\alpha_t\\iota_N + u_t,\\ u_t = \\lambda W u_t + \\varepsilon_t$",
          "sdm": "$y_t = \\rho W y_t + X_t\\beta + W X_t\\theta + \\mu + \\alpha_t\\iota_N + \\varepsilon_t$",
          }[res.model]
    i = 0 if lang == "zh" else 1
    corr = {"unit": ("仅改变 $\\sigma^2$（乘以 $T/(T-1)$）", "changes $\\sigma^2$ only (times $T/(T-1)$)"),
            "time": ("改变 $\\rho$、$\\beta$ 与 $\\sigma^2$", "changes $\\rho$, $\\beta$ and $\\sigma^2$"),
            "twoway": ("改变 $\\rho$、$\\beta$ 与 $\\sigma^2$", "changes $\\rho$, $\\beta$ and $\\sigma^2$"),
            "none": ("", ""), "random": ("", "")}[f.effects][i]
    hc = cite(("hausman1978",), lang)
    if f.effects == "random":
        re_txt = ("个体效应设为随机效应（$\\mu_i\\sim N(0,\\sigma_\\mu^2)$，含常数项），似然按 Elhorst 的随机效应"
                  f"变换 $a^*_{{it}}=a_{{it}}-(1-\\sqrt{{\\phi}})\\bar a_i$ 集中于空间参数与 $\\phi${c}，"
                  "协方差取完整对数似然数值 Hessian 之逆。" if lang == "zh" else
                  "The unit effects are random ($\\mu_i\\sim N(0,\\sigma_\\mu^2)$, with a constant); the likelihood "
                  "is concentrated in the spatial parameter and $\\phi$ through Elhorst's transformation "
                  f"$a^*_{{it}}=a_{{it}}-(1-\\sqrt{{\\phi}})\\bar a_i${c}, and the covariance is the inverse "
                  "numerical Hessian of the full log-likelihood. ")
    else:
        re_txt = ""
    if res.hausman is not None:
        re_txt += (f"以 Hausman 检验{hc}比较个体固定效应与随机效应。" if lang == "zh" else
                   f"A Hausman test{hc} compares unit fixed with random effects. ")
    if lang == "zh":
        return (f"空间面板模型采用{MODEL_NAMES[res.model][0]}，{EFFECT_NAMES[f.effects][0]}：{eq}，"
                f"以去均值数据的极大似然估计{c}：集中对数似然仅含空间参数，$\\ln|I-\\rho W|$ 由 $W$ 的特征值一次算出，"
                "渐近方差取信息矩阵之逆。" + re_txt
                + (f"采用 Lee 与 Yu 的变换法修正固定效应带来的偏误{ly}，{corr}。" if f.lee_yu else "")
                + f"空间权重为{WEIGHT_NAMES_ZH.get(res.weights, res.weights)}矩阵（行标准化）。"
                f"模型选择先报告固定效应 OLS 残差的 LM 与稳健 LM 检验{lm}，"
                "再以 LR 与 Wald 检验 SDM 能否退化为 SAR（$\\theta=0$）或 SEM（$\\theta+\\rho\\beta=0$）。"
                f"直接、间接（溢出）与总效应按偏导数矩阵分解{lp}，"
                f"其标准误由参数渐近正态分布的 {res.draws} 次模拟得到（种子 {opts.seed}）。")
    return (f"The spatial panel model is the {MODEL_NAMES[res.model][1]} with {EFFECT_NAMES[f.effects][1]}, {eq}, "
            f"estimated by maximum likelihood on the demeaned data{c}: the likelihood is concentrated in the spatial "
            "parameter, $\\ln|I-\\rho W|$ is computed once from the eigenvalues of $W$, and the asymptotic variance "
            "is the inverse information matrix. " + re_txt
            + (f"The Lee & Yu transformation approach corrects the bias from the fixed effects{ly}; it {corr}. "
               if f.lee_yu else "")
            + f"The weights are {res.weights} weights (row-standardised). The LM and robust LM tests on the "
            f"residuals of the fixed-effects OLS are reported first{lm}, then LR and Wald tests of whether the SDM "
            "simplifies to the SAR ($\\theta=0$) or the SEM ($\\theta+\\rho\\beta=0$). Direct, indirect (spillover) "
            f"and total effects follow the partial-derivative decomposition{lp}, with standard "
            f"errors from {res.draws} draws of the parameters from their asymptotic normal distribution "
            f"(seed {opts.seed}).")


def _resolve(ctx: StudyContext, spec: str | None, role: str) -> pd.Series:
    """An index (its scores) or a panel column / expression, indexed by (unit, year)."""
    if spec is None or spec in ctx.results:
        name, res = ctx.index(spec, role=role)
        return res.score_series().rename(name)
    return _variable(ctx.panel.data, spec)


@register_analysis("spatial_panel", options=SpatialPanelOptions, result=SpatialPanelResult,
                   section="explain", order=10, label=("空间面板模型", "Spatial panel model"), refs=REFS,
                   methods=_methods)
def _study_spatial_panel(ctx: StudyContext, opts: SpatialPanelOptions) -> SpatialPanelResult:
    y = _resolve(ctx, opts.y, "hqd")
    xs = opts.x if isinstance(opts.x, list) else [opts.x]
    x = pd.concat([_resolve(ctx, v, "nqpf") for v in xs], axis=1)
    def built(spec: str) -> Any:  # W over the units the model keeps, from a [weights.*] label or a kind
        return lambda units: ctx.weights(spec, units)

    res = spatial_panel(ctx.panel.data, y, x, w=built(opts.weights), model=opts.kind, effects=opts.effects,
                        controls=opts.controls, lee_yu=opts.lee_yu, draws=opts.draws, seed=opts.seed,
                        hausman=opts.hausman)
    extra = [k for k in opts.robustness if k != opts.weights]
    if extra:
        res.robustness = spatial_panel_robustness(
            ctx.panel.data, y, x, weights={k: built(k) for k in [opts.weights, *extra]}, model=opts.kind,
            effects=opts.effects, controls=opts.controls, lee_yu=opts.lee_yu, draws=opts.draws, seed=opts.seed)
    return res
