"""Fixed-effects panel threshold regression (面板门槛回归), Hansen (1999).

    y_it = μ_i + θ'x_it + β_1' r_it·1(q_it ≤ γ_1) + β_2' r_it·1(γ_1 < q_it ≤ γ_2) + … + e_it

with regime-independent regressors ``x``, regime-dependent regressors ``r`` (``rx``) and the threshold
variable ``q``. Hansen, B. E. (1999), "Threshold effects in non-dynamic panels: Estimation, testing, and
inference", Journal of Econometrics 93(2), 345-368; the sequential search and the refinement of the first
threshold given the second follow Bai (1997), Econometric Theory 13(3), 315-352; the Stata counterpart is
``xthreg`` (Wang 2015, Stata Journal 15(1), 121-134).

Numerics. After the within transformation (M_D: unit demeaning) the residual sum of squares of the model
with one more threshold γ is, by Frisch–Waugh, SSR(γ) = e₀'e₀ − b(γ)'A(γ)⁻¹b(γ) with e₀ the residuals on
the fixed regressors X₀, W(γ) = M_D(r·1(q ≤ γ)), A = W'W − W'X₀(X₀'X₀)⁻¹X₀'W and b = W'e₀. Because X₀ and
e₀ already lie in the within space, W'X₀ and W'e₀ are cumulative sums over the observations sorted by q, and
W'W = Σ_{q≤γ} r r' − Σ_i S_i S_i'/T with S_i the running sum of unit i's r over its observations below γ,
whose increments are cumulative sums too. So every candidate γ costs O(k²) after one O(n k²) pass — no
refit per candidate — and a bootstrap replication is one more column of e₀ (replications run as one matrix).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Heading, Table, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import join, num
from nqpf.core.interface import ReportContext
from nqpf.core.references import cite
from nqpf.core.rng import Seed, generator
from nqpf.core.stars import STAR_NOTE, stars
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.models.variables import names_of, study_frame
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["ThresholdResult", "c_alpha", "ssr_path", "threshold_regression"]

Grid = int | Literal["all", "hansen"]
_STAGE = ("single", "double", "triple")
_STAGE_ZH = {"single": "单一门槛", "double": "双重门槛", "triple": "三重门槛"}


def c_alpha(level: float = 0.95) -> float:
    """Hansen's (2000) critical value of the LR(γ) statistic: c = −2 log(1 − √level).

    Examples
    --------
    >>> round(c_alpha(0.95), 4)
    7.3523
    """
    if not 0 < level < 1:
        raise MethodError(f"level must be in (0, 1), got {level}")
    return float(-2.0 * math.log(1.0 - math.sqrt(level)))


# =============================================================================================
# the kernel
# =============================================================================================
def _unit_running_sums(rs: np.ndarray, us: np.ndarray) -> np.ndarray:
    """For observations in q order: the sum of the same unit's r over the observations before each one."""
    n, k1 = rs.shape
    g = np.argsort(us, kind="stable")  # grouped by unit, q order kept within a unit
    rg = rs[g]
    cs = np.cumsum(rg, axis=0)
    ug = us[g]
    starts = np.r_[0, np.flatnonzero(np.diff(ug)) + 1]
    base = np.vstack([np.zeros((1, k1)), cs[starts[1:] - 1]])
    prev_g = cs - rg - np.repeat(base, np.diff(np.r_[starts, n]), axis=0)
    prev = np.empty_like(prev_g)
    prev[g] = prev_g
    return prev


def ssr_path(E: np.ndarray, X0: np.ndarray, r: np.ndarray, q: np.ndarray, unit: np.ndarray, T: int,
             gammas: np.ndarray) -> np.ndarray:
    """SSR of the within regression of each column of E on [X₀, M_D(r·1(q ≤ γ))] for every γ.

    Parameters
    ----------
    E : (n,) or (n, B) responses, already within-transformed (each unit's values sum to zero).
    X0 : (n, k0) fixed regressors, within-transformed.
    r : (n, k1) regime-dependent regressors, raw (not demeaned).
    q : (n,) threshold variable; unit : (n,) integer unit codes; T : periods per unit (balanced panel).
    gammas : (m,) candidate thresholds.

    Returns
    -------
    (m, B) array of SSR(γ) (``inf`` where r·1(q ≤ γ) adds nothing: no or every observation below γ).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> unit = np.repeat(np.arange(20), 5); q = rng.random(100); r = rng.normal(size=(100, 1))
    >>> y = r[:, 0] * (q > 0.5) + rng.normal(size=100) * 0.1
    >>> dm = lambda a: a - np.repeat(a.reshape(20, 5, -1).mean(1), 5, axis=0).reshape(a.shape)
    >>> s = ssr_path(dm(y), dm(r), r, q, unit, 5, np.array([0.3, 0.5, 0.7]))
    >>> int(s[:, 0].argmin())
    1
    """
    E2 = E.reshape(len(E), -1)
    order = np.argsort(q, kind="stable")
    qs, rs, us = q[order], r[order], unit[order]
    pos = np.searchsorted(qs, np.asarray(gammas, dtype=float), side="right")
    ok = (pos > 0) & (pos < len(q))
    idx = np.clip(pos - 1, 0, len(q) - 1)
    prev = _unit_running_sums(rs, us)
    outer = rs[:, :, None] * rs[:, None, :]
    inc = (prev[:, :, None] * rs[:, None, :] + rs[:, :, None] * prev[:, None, :] + outer) / T
    WW = (np.cumsum(outer, axis=0) - np.cumsum(inc, axis=0))[idx]
    Q0 = np.linalg.pinv(X0.T @ X0)
    C = np.cumsum(rs[:, :, None] * X0[order][:, None, :], axis=0)[idx]
    A = WW - C @ Q0 @ np.swapaxes(C, 1, 2)
    k1 = r.shape[1]
    # a candidate that leaves W in the span of X0 (an empty regime) has a singular A: excluded
    scale = np.maximum(np.abs(np.diagonal(WW, axis1=1, axis2=2)).max(axis=1), 1e-300)
    ok &= np.linalg.det(A / scale[:, None, None]) > 1e-10 ** k1
    A[~ok] = np.eye(k1)
    E0 = E2 - X0 @ (Q0 @ (X0.T @ E2))
    out = np.empty((len(pos), E2.shape[1]))
    chunk = max(1, int(4_000_000 // max(1, len(q) * k1)))
    for j in range(0, E2.shape[1], chunk):  # memory: n × k1 × chunk at a time
        e = E0[order, j:j + chunk]
        b = np.cumsum(rs[:, :, None] * e[:, None, :], axis=0)[idx]
        out[:, j:j + chunk] = (e * e).sum(0)[None, :] - np.einsum("mkb,mkb->mb", b, np.linalg.solve(A, b))
    out[~ok] = np.inf
    return out


# =============================================================================================
# the problem: data, grid, admissibility
# =============================================================================================
@dataclass
class _Problem:
    N: int
    T: int
    unit: np.ndarray  # (n,) codes, unit-major
    y: np.ndarray  # (n,) within
    Xf: np.ndarray  # (n, k0) within: regime-independent x and r itself
    r: np.ndarray  # (n, k1) raw
    q: np.ndarray
    cand: np.ndarray  # candidate thresholds
    cnt: np.ndarray  # observations with q <= candidate
    trim: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def df(self) -> int:
        return self.N * (self.T - 1)

    def within(self, a: np.ndarray) -> np.ndarray:
        b = a.reshape(self.N, self.T, -1)
        return (b - b.mean(axis=1, keepdims=True)).reshape(a.shape)

    def design(self, gammas: Sequence[float]) -> np.ndarray:
        """X₀ for given thresholds: [Xf, M_D(r·1(q ≤ γ)) for each γ]."""
        return np.hstack([self.Xf, *(self.within(self.r * (self.q <= g)[:, None]) for g in gammas)])

    def admissible(self, fixed: Sequence[float], stage: int) -> np.ndarray:
        """Candidates leaving at least trim·n observations in every regime (and not equal to a threshold)."""
        need = max(1, math.ceil(self.trim[stage] * self.n))
        ok = np.ones(len(self.cand), dtype=bool)
        cuts_fixed = np.sort([int(np.sum(self.q <= g)) for g in fixed])
        for c in (0, *cuts_fixed, self.n):
            ok &= np.abs(self.cnt - c) >= need
        return ok

    def path(self, E: np.ndarray, fixed: Sequence[float], stage: int) -> np.ndarray:
        s = ssr_path(E, self.design(fixed), self.r, self.q, self.unit, self.T, self.cand)
        s[~self.admissible(fixed, stage)] = np.inf
        return s

    def ssr_given(self, E: np.ndarray, gammas: Sequence[float]) -> np.ndarray:
        X = self.design(gammas)
        E2 = E.reshape(len(E), -1)
        coef, *_ = np.linalg.lstsq(X, E2, rcond=None)
        res = E2 - X @ coef
        return (res * res).sum(0)

    def grouped_search(self, E: np.ndarray, fixed: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """Per column b of E the best next threshold given its own fixed thresholds ``fixed[b]`` (B, j)."""
        B = E.shape[1]
        best = np.empty(B)
        arg = np.empty(B, dtype=int)
        keys, inv = np.unique(fixed, axis=0, return_inverse=True) if fixed.shape[1] else (np.zeros((1, 0)),
                                                                                          np.zeros(B, int))
        for g, key in enumerate(keys):
            cols = np.flatnonzero(inv.ravel() == g)
            s = self.path(E[:, cols], tuple(key), stage)
            arg[cols] = s.argmin(axis=0)
            best[cols] = s[arg[cols], np.arange(len(cols))]
        return arg, best


def _sequential(P: _Problem, E: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequential estimation on each column of E up to k thresholds: (S_{k-1}, S_k^search) per column."""
    B = E.shape[1]
    if k == 1:
        s = P.path(E, (), 0)
        return P.ssr_given(E, ()), s.min(axis=0)
    i1, s1 = P.grouped_search(E, np.zeros((B, 0)), 0)
    g1 = P.cand[i1]
    i2, s2 = P.grouped_search(E, g1[:, None], 1)
    if k == 2:
        return s1, s2
    g2 = P.cand[i2]
    i1r, s2r = P.grouped_search(E, g2[:, None], 1)  # refinement of γ1 given γ2
    pair = np.sort(np.column_stack([P.cand[i1r], g2]), axis=1)
    _, s3 = P.grouped_search(E, pair, 2)
    return s2r, s3


# =============================================================================================
# the result
# =============================================================================================
@dataclass
class ThresholdResult(ModelResult):
    """Hansen (1999) fixed-effects panel threshold regression (面板门槛回归).

    Attributes
    ----------
    thresholds : one row per threshold (γ1, γ2, γ3): ``estimate``, ``lower``, ``upper`` (the LR confidence
        interval at ``level``), ``ssr`` at the estimate and ``stage`` (how it was found).
    tests : one row per test (single, double, triple): ``ssr`` (of the model with that many thresholds),
        ``mse``, ``F``, bootstrap ``p_value``, ``crit10``, ``crit5``, ``crit1`` and ``n_boot``.
    lr : threshold name -> DataFrame(gamma, LR) over the grid (the LR(γ) plot).
    params, std_errors, tstats, pvalues : coefficients of the final model (fixed effects, thresholds at
        their estimates), by variable; regime-dependent ones are named ``<rx>_r1``, ``<rx>_r2``, ….
    labels : variable -> (zh, en) display names.
    regimes : one row per regime: label, lower and upper bound, observations and share.
    equal_slopes : Wald test that each rx has the same coefficient in every regime, with the model's
        covariance (clustered by default): ``stat``, ``df``, ``p_value``.
    nobs, n_units, n_years, rsquared_within : the final model; cov : the covariance used.
    y, x, rx, q : variable names; grid, trim, level, c_alpha, seed : the choices.
    dropped : units dropped to balance the panel (``balanced="drop"``), with their missing years.
    notes : what was done to the data.
    """

    thresholds: pd.DataFrame
    tests: pd.DataFrame
    lr: dict[str, pd.DataFrame]
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    labels: dict[str, tuple[str, str]]
    regimes: pd.DataFrame
    equal_slopes: dict[str, float]
    nobs: int
    n_units: int
    n_years: int
    rsquared_within: float
    cov: str
    y: str
    x: list[str]
    rx: list[str]
    q: str
    grid: str
    trim: tuple[float, ...]
    level: float
    c_alpha: float
    seed: Any = None
    time_effects: bool = False
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    label = ("面板门槛回归", "Panel threshold regression")

    @property
    def n_thresholds(self) -> int:
        return len(self.thresholds)

    def to_frame(self) -> pd.DataFrame:
        """The coefficients of the final model: variable, coef, std_error, t, p_value, stars."""
        return pd.DataFrame({
            "variable": self.params.index, "coef": self.params.to_numpy(), "std_error": self.std_errors.to_numpy(),
            "t": self.tstats.to_numpy(), "p_value": self.pvalues.to_numpy(),
            "stars": [stars(p) for p in self.pvalues]})

    def tables(self) -> dict[str, pd.DataFrame]:
        lr = pd.concat([d.assign(threshold=k) for k, d in self.lr.items()], ignore_index=True)
        return {"": self.to_frame(), "thresholds": self.thresholds.reset_index(names="threshold"),
                "tests": self.tests.reset_index(names="test"), "regimes": self.regimes, "lr": lr}

    def estimates(self) -> list[Estimates]:
        stats = {"R2_within": self.rsquared_within}
        for k, row in self.tests.iterrows():
            stats[f"F ({k})"] = float(row["F"])
        rows = {"unit FE": "yes", "year FE": "yes" if self.time_effects else "no", "threshold": self.q}
        for name, row in self.thresholds.iterrows():
            rows[str(name)] = f"{row['estimate']:.4f}"
        return [Estimates(f"{self.y}", self.params, self.std_errors, self.pvalues, self.tstats, nobs=self.nobs,
                          stats=stats, rows=rows, dependent=self.y, labels=self.labels)]

    # -- text -------------------------------------------------------------------------------
    def _summary_lines(self, lang: str) -> list[str]:
        k = self.n_thresholds
        if lang == "zh":
            head = (f"面板门槛回归（Hansen 1999，个体固定效应）：被解释变量 {self.y}，门槛变量 {self.q}，"
                    f"区制依赖变量 {join(self.rx, lang)}，{k} 个门槛，{self.n_units} 个单元 × {self.n_years} 年，"
                    f"网格：{_grid_zh(self.grid)}，自助法 {int(self.tests['n_boot'].max())} 次。")
        else:
            head = (f"Panel threshold regression (Hansen 1999, unit fixed effects): {self.y} on "
                    f"{join(self.rx, lang)} by regimes of {self.q}, {k} threshold(s), {self.n_units} units × "
                    f"{self.n_years} years, grid {self.grid}, {int(self.tests['n_boot'].max())} bootstrap draws.")
        tab = self.tests[["F", "p_value", "crit10", "crit5", "crit1"]].round(4).to_string()
        th = self.thresholds[["estimate", "lower", "upper"]].round(4).to_string()
        coef = self.publication_table(lang=lang).to_string()
        return [head, *self.narrative(lang), "", th, "", tab, "", coef, STAR_NOTE[0 if lang == "zh" else 1],
                *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """Which thresholds are significant, where they lie, and how the effect of rx changes across them."""
        out = []
        sig = [s for s, row in self.tests.iterrows() if row["p_value"] < 0.1]
        for s, row in self.tests.iterrows():
            p = row["p_value"]
            if lang == "zh":
                verdict = "显著" if p < 0.1 else "不显著"
                out.append(f"{_STAGE_ZH[str(s)]}检验 F = {num(row['F'], 2)}，自助法 p = {num(p, 3)}"
                           f"（5% 临界值 {num(row['crit5'], 2)}），{verdict}。")
            else:
                verdict = "significant" if p < 0.1 else "not significant"
                out.append(f"The {s}-threshold test gives F = {num(row['F'], 2)} with bootstrap p = {num(p, 3)} "
                           f"(5% critical value {num(row['crit5'], 2)}): {verdict}.")
        for name, row in self.thresholds.iterrows():
            if lang == "zh":
                out.append(f"门槛值 {name} = {num(row['estimate'])}，{self.level:.0%} 置信区间 "
                           f"[{num(row['lower'])}, {num(row['upper'])}]。")
            else:
                out.append(f"Threshold {name} = {num(row['estimate'])}, {self.level:.0%} confidence interval "
                           f"[{num(row['lower'])}, {num(row['upper'])}].")
        for v in self.rx:
            names = [f"{v}_r{j + 1}" for j in range(self.n_thresholds + 1)]
            coefs = [f"{num(self.params[c], 3)}{stars(self.pvalues[c])}" for c in names]
            if lang == "zh":
                out.append(f"{v} 的系数在 {self.q} 由低到高的各区制依次为 {join(coefs, lang)}。")
            else:
                out.append(f"The coefficient of {v} across the regimes of {self.q}, lowest first: "
                           f"{join(coefs, lang)}.")
        w = self.equal_slopes
        if lang == "zh":
            cov_zh = {"clustered by unit": "按个体聚类", "heteroskedasticity-robust": "异方差稳健",
                      "conventional": "常规标准误"}.get(self.cov, self.cov)
            out.append(f"各区制系数相等的 Wald 检验（{cov_zh}）：χ²({int(w['df'])}) = {num(w['stat'], 2)}，"
                       f"p = {num(w['p_value'], 3)}" + ("，区制间系数差异显著。" if w["p_value"] < 0.1 else
                                                      "，区制间系数差异不显著。"))
        else:
            out.append(f"Wald test of equal coefficients across regimes ({self.cov}): chi2({int(w['df'])}) = "
                       f"{num(w['stat'], 2)}, p = {num(w['p_value'], 3)}" + (": the regimes differ." if
                       w["p_value"] < 0.1 else ": the coefficients are not distinguishable across regimes."))
        if not sig:
            out.append("各门槛检验均不显著：线性（无门槛）模型不能被拒绝。" if lang == "zh" else
                       "No threshold test is significant at 10%: the linear model is not rejected.")
        return out

    # -- figures ----------------------------------------------------------------------------
    def figures(self, lang: str = "en") -> list[Any]:
        """The LR(γ) curves with the critical value c(α): the confidence set is where LR lies below it."""
        import plotly.graph_objects as go

        fig = go.Figure()
        for j, (name, d) in enumerate(self.lr.items()):
            fig.add_trace(go.Scatter(x=d["gamma"], y=d["LR"], mode="lines", name=f"LR({name})",
                                     line={"color": OKABE_ITO[j % len(OKABE_ITO)], "width": 1.5}))
        crit = f"{self.level:.0%} " + ("临界值" if lang == "zh" else "critical value")
        fig.add_hline(y=self.c_alpha, line_dash="dash", line_color="#444", annotation_text=f"{crit} "
                      f"{self.c_alpha:.2f}")
        fig.update_layout(height=380, xaxis={"title": f"{'门槛变量' if lang == 'zh' else 'threshold variable'} "
                                             f"{self.q} (γ)"},
                          yaxis={"title": "LR(γ)"}, margin={"l": 60, "r": 20, "t": 20, "b": 50})
        return [fig]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The LR(γ) curves of every threshold with the critical value (a static figure)."""
        fig, ax = figure_axes(ax)
        for j, (name, d) in enumerate(self.lr.items()):
            ax.plot(d["gamma"], d["LR"], color=OKABE_ITO[j % len(OKABE_ITO)], label=f"LR({name})")
        ax.axhline(self.c_alpha, ls="--", color="#444", lw=0.8,
                   label=f"{self.level:.0%} {'临界值' if lang == 'zh' else 'critical value'}")
        ax.set_xlabel(f"{'门槛变量' if lang == 'zh' else 'threshold variable'} {self.q} (γ)")
        ax.set_ylabel("LR(γ)")
        ax.legend()
        return fig

    def report(self, ctx: ReportContext) -> list[Block]:
        lang = ctx.lang
        tests = self.tests.reset_index(names="test")
        return [Text(tuple(self.narrative(lang))), *(Figure(f) for f in self.figures(lang)),
                Heading("门槛效应检验" if lang == "zh" else "Threshold tests"),
                Table(tests, formats={c: "4f" for c in ("ssr", "mse", "F", "p_value", "crit10", "crit5", "crit1")}
                      | {"n_boot": "int"}),
                Heading("门槛估计值" if lang == "zh" else "Threshold estimates"),
                Table(self.thresholds.reset_index(names="threshold"),
                      formats={"estimate": "4f", "lower": "4f", "upper": "4f", "ssr": "4f"}),
                Heading("回归结果" if lang == "zh" else "Coefficients"),
                Table(self.publication_table(lang=lang).reset_index(names=""), formats={}),
                Text((STAR_NOTE[0 if lang == "zh" else 1],))]


# =============================================================================================
# the public function
# =============================================================================================
def _frame(data: Any, unit: str, year: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a DataFrame with {unit!r}, {year!r} and the variables; "
                        f"got {type(data).__name__}")
    df = data
    if not {unit, year} <= set(df.columns):
        names = [n for n in (df.index.names or []) if n is not None]
        if {unit, year} <= set(names):
            df = df.reset_index()
        else:
            raise DataError(f"data needs columns (or index levels) {unit!r} and {year!r}; "
                            f"got columns {list(df.columns)[:10]}")
    return df.rename(columns={unit: "unit", year: "year"})


def _balance(df: pd.DataFrame, balanced: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    years = sorted(df["year"].unique())
    have = df.groupby("unit", sort=False)["year"].apply(lambda s: set(s.tolist()))
    miss = {u: [y for y in years if y not in s] for u, s in have.items()}
    bad = {u: m for u, m in miss.items() if m}
    dropped = pd.DataFrame({"unit": list(bad), "missing_years": [", ".join(map(str, m)) for m in bad.values()]})
    if not bad:
        return df, dropped, []
    shown = "; ".join(f"{u}: {', '.join(map(str, m[:6]))}{' …' if len(m) > 6 else ''}"
                      for u, m in list(bad.items())[:8])
    if balanced != "drop":
        raise DataError(f"the threshold model needs a balanced panel: {len(bad)} unit(s) lack years "
                        f"({shown}{' …' if len(bad) > 8 else ''}); fill the gaps, restrict the years, or pass "
                        "balanced='drop' to keep the balanced subsample (every dropped unit is reported)")
    keep = df[~df["unit"].isin(list(bad))]
    if keep["unit"].nunique() < 2:
        raise DataError(f"balanced='drop' leaves {keep['unit'].nunique()} unit(s); the panel is too unbalanced")
    note = f"balanced subsample: dropped {len(bad)} unit(s) with missing years ({shown})"
    return keep, dropped, [note]


def _grid(q: np.ndarray, grid: Grid, trim: float) -> tuple[np.ndarray, str]:
    qs = np.sort(q)
    n = len(q)
    if grid == "all":
        return np.unique(qs), "all distinct values"
    if grid == "hansen":
        u = np.unique(qs)
        lev = np.arange(trim, 1 - trim + 1e-9, 0.0025)
        idx = np.clip(np.floor(lev * len(u)).astype(int) - 1, 0, len(u) - 1)
        return np.unique(u[idx]), f"Hansen quantiles of the distinct values ({len(lev)} levels, step 0.25%)"
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool) and grid >= 3:
        lev = np.linspace(trim, 1 - trim, int(grid))
        idx = np.clip(np.floor(lev * n).astype(int), 0, n - 1)
        return np.unique(qs[idx]), f"{int(grid)} quantiles"
    raise MethodError(f"grid must be 'all', 'hansen' or a number of quantile points (≥ 3), got {grid!r}")


def _grid_zh(text: str) -> str:
    """The grid description in Chinese."""
    if text == "all distinct values":
        return "门槛变量的全部不同取值"
    if text.startswith("Hansen"):
        return "Hansen 网格（不同取值的 1%、1.25%、…、99% 分位点）"
    return text.replace(" quantiles", " 个分位点")


def _names(v: str | Sequence[str] | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else [str(s) for s in v]


def threshold_regression(
    data: pd.DataFrame,
    y: str,
    rx: str | Sequence[str],
    q: str,
    x: str | Sequence[str] | None = None,
    *,
    n_thresholds: int = 1,
    trim: float | Sequence[float] = 0.01,
    grid: Grid = 300,
    bootstrap: int | Sequence[int] = 300,
    seed: Seed = 0,
    level: float = 0.95,
    balanced: Literal["require", "drop"] = "require",
    cov: Literal["clustered", "robust", "unadjusted"] = "clustered",
    time_effects: bool = False,
    unit: str = "unit",
    year: str = "year",
) -> ThresholdResult:
    """Hansen's (1999) fixed-effects panel threshold regression (面板门槛回归) with 1–3 thresholds.

    Parameters
    ----------
    data : DataFrame with ``unit``, ``year`` (columns or index levels) and the variables.
    y : dependent variable; rx : regime-dependent regressor(s); q : threshold variable;
    x : regime-independent regressor(s) (controls).
    n_thresholds : 1, 2 or 3, estimated sequentially; the first threshold is re-estimated given the
        second (Bai 1997 refinement); the third is searched given the refined first two.
    trim : the least share of observations in every regime, one value or one per threshold.
    grid : candidate thresholds: an int m (m quantiles of q from trim to 1 − trim, xthreg style),
        ``"hansen"`` (quantiles 1 %, 1.25 %, …, 99 % of the distinct values of q, Hansen's grid) or ``"all"``
        (every distinct value).
    bootstrap : replications of Hansen's fixed-regressor residual bootstrap per test (one value or one per
        threshold); 0 skips the tests' p-values.
    seed : the random seed (reproducible p-values); level : confidence level of the threshold intervals.
    balanced : ``"require"`` (an unbalanced panel is an error naming the units and years) or ``"drop"``
        (keep the units observed in every year; the dropped units are reported in ``dropped``).
    cov : covariance of the final coefficients (linearmodels PanelOLS with unit effects): clustered by unit,
        heteroskedasticity-robust or unadjusted. The thresholds are treated as known (Hansen 1999, Thm 3).
    time_effects : add year effects (year dummies among the regime-independent regressors, as xthreg users
        do with ``i.year``); Hansen's model has unit effects only.

    Returns
    -------
    ThresholdResult

    Hansen, B. E. (1999), Journal of Econometrics 93(2), 345-368; Bai, J. (1997), Econometric Theory
    13(3), 315-352; Wang, Q. (2015), Stata Journal 15(1), 121-134 (xthreg).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> N, T = 40, 8
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N)})
    >>> df["q"] = rng.random(N * T); df["r"] = rng.normal(size=N * T)
    >>> df["y"] = np.where(df.q <= 0.4, 0.2, 1.2) * df.r + rng.normal(size=N * T) * 0.3
    >>> res = threshold_regression(df, "y", "r", "q", grid="all", bootstrap=50, seed=1)
    >>> bool(abs(res.thresholds.loc["γ1", "estimate"] - 0.4) < 0.05)
    True
    """
    if n_thresholds not in (1, 2, 3):
        raise MethodError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds}")
    trims = tuple(float(t) for t in ([trim] * n_thresholds if np.isscalar(trim) else trim))  # type: ignore[union-attr]
    if len(trims) != n_thresholds or not all(0 < t < 0.5 / (k + 1) for k, t in enumerate(trims)):
        raise MethodError(f"trim must be one share in (0, 0.25) or one per threshold, got {trim!r}")
    boots = [int(bootstrap)] * n_thresholds if np.isscalar(bootstrap) else [int(b) for b in bootstrap]  # type: ignore[union-attr]
    if len(boots) != n_thresholds or min(boots) < 0:
        raise MethodError(f"bootstrap must be a non-negative count or one per threshold, got {bootstrap!r}")
    if balanced not in ("require", "drop"):
        raise MethodError(f"balanced must be 'require' or 'drop', got {balanced!r}")
    rxs, xs = _names(rx), _names(x)
    if not rxs:
        raise MethodError("rx (the regime-dependent regressors) must name at least one column")
    df = _frame(data, unit, year)
    cols = list(dict.fromkeys([y, *xs, *rxs, q]))
    missing = [c for c in cols if c not in df.columns]
    if missing:
        have = [c for c in df.columns if c not in ("unit", "year")]
        raise DataError(f"data has no column(s) {missing}; available: {have}")
    df = df[["unit", "year", *cols]].copy()
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    if df.duplicated(["unit", "year"]).any():
        u, t = df[df.duplicated(["unit", "year"])].iloc[0][["unit", "year"]]
        raise DataError(f"unit {u!r}, year {t}: duplicated unit-year")
    nan = df[cols].isna().any(axis=1)
    notes: list[str] = []
    if nan.any():
        bad = df[nan]
        where = ", ".join(f"{u} {t}" for u, t in zip(bad["unit"].head(5), bad["year"].head(5), strict=True))
        if balanced != "drop":
            raise DataError(f"{int(nan.sum())} unit-year(s) lack a value of {cols} ({where}); impute them or pass "
                            "balanced='drop' (their units are then dropped, and reported)")
        df = df[~nan]
        notes.append(f"{int(nan.sum())} unit-year(s) with missing values removed before balancing ({where})")
    df, dropped, bal_notes = _balance(df, balanced)
    notes += bal_notes
    df = df.sort_values(["unit", "year"], kind="stable").reset_index(drop=True)
    units = list(dict.fromkeys(df["unit"]))
    N, T = len(units), df["year"].nunique()
    if T < 2:
        raise DataError("the threshold model needs at least two years per unit")
    code = np.repeat(np.arange(N), T)

    def w(a: np.ndarray) -> np.ndarray:
        b = a.reshape(N, T, -1)
        return (b - b.mean(axis=1, keepdims=True)).reshape(a.shape)

    yv = df[y].to_numpy(float)
    R = df[rxs].to_numpy(float)
    Xf = np.hstack([w(df[xs].to_numpy(float)), w(R)]) if xs else w(R)
    if time_effects:  # year dummies (all but the first), within-transformed
        yrs = np.sort(df["year"].unique())
        Xf = np.hstack([Xf, w((df["year"].to_numpy()[:, None] == yrs[None, 1:]).astype(float))])
    for j, c in enumerate([*xs, *rxs]):
        if np.allclose(Xf[:, j], 0):
            raise DataError(f"{c!r} does not vary within units; the fixed effects absorb it — drop it")
    qv = df[q].to_numpy(float)
    cand, grid_text = _grid(qv, grid, trims[0])
    cnt = np.searchsorted(np.sort(qv), cand, side="right")
    P = _Problem(N, T, code, w(yv), Xf, R, qv, cand, cnt, trims)
    Y = P.y[:, None]
    dfree = P.df

    # ---- estimation, stage by stage: γ1; γ2 given γ1, then γ1 again given γ2; γ3 given both
    s1 = P.path(Y, (), 0)[:, 0]
    if not np.isfinite(s1).any():
        raise MethodError(f"no admissible candidate threshold: trim {trims[0]} with {len(cand)} grid points; "
                          "lower trim or use a finer grid")
    g1 = float(cand[np.argmin(s1)])
    S = [float(P.ssr_given(Y, ())[0]), float(s1.min())]  # S[k]: SSR of the k-threshold model
    search = [float(s1.min())]  # the minimum of each stage's search (the F statistics' S_k)
    at = {0: (), 1: (g1,)}  # the thresholds of the k-threshold model (the null of test k + 1)
    paths: dict[str, np.ndarray] = {"γ1": s1}
    stage_text = {"γ1": "single-threshold search"}
    if n_thresholds >= 2:
        s2 = P.path(Y, (g1,), 1)[:, 0]
        if not np.isfinite(s2).any():
            raise MethodError(f"no admissible candidate for the second threshold with trim {trims[1]}")
        g2 = float(cand[np.argmin(s2)])
        search.append(float(s2.min()))
        s1r = P.path(Y, (g2,), 1)[:, 0]  # refinement of γ1 given γ2 (Bai 1997)
        g1r = float(cand[np.argmin(s1r)])
        S.append(float(s1r.min()))
        at[2] = tuple(sorted((g1r, g2)))
        paths = {"γ1": s1r, "γ2": s2}
        stage_text = {"γ1": "refined given γ2 (Bai 1997)", "γ2": "given the first-stage γ1"}
    if n_thresholds == 3:
        s3 = P.path(Y, at[2], 2)[:, 0]
        if not np.isfinite(s3).any():
            raise MethodError(f"no admissible candidate for the third threshold with trim {trims[2]}")
        g3 = float(cand[np.argmin(s3)])
        search.append(float(s3.min()))
        S.append(float(s3.min()))
        at[3] = tuple(sorted((*at[2], g3)))
        paths["γ3"] = s3
        stage_text["γ3"] = "given the refined γ1 and γ2"
    c = c_alpha(level)
    sig2 = search[-1] / dfree
    th_rows: dict[str, dict[str, Any]] = {}
    lr: dict[str, pd.DataFrame] = {}
    for nm, s in paths.items():
        i = int(np.argmin(s))
        lrk = (s - s[i]) / sig2
        ok = np.isfinite(lrk)
        inside = cand[ok & (lrk <= c)]
        th_rows[nm] = {"estimate": float(cand[i]), "lower": float(inside.min()), "upper": float(inside.max()),
                       "ssr": float(s[i]), "stage": stage_text[nm]}
        lr[nm] = pd.DataFrame({"gamma": cand[ok], "LR": lrk[ok]})
    thresholds = pd.DataFrame.from_dict(th_rows, orient="index")
    gam = list(at[n_thresholds])

    # ---- bootstrap F tests (Hansen's fixed-regressor bootstrap: unit blocks of residuals, drawn with replacement)
    rng = generator(seed)
    test_rows = {}
    for k in range(1, n_thresholds + 1):
        F = (S[k - 1] - search[k - 1]) / (search[k - 1] / dfree)
        row = {"ssr": search[k - 1], "mse": search[k - 1] / dfree, "F": F, "p_value": np.nan, "crit10": np.nan,
               "crit5": np.nan, "crit1": np.nan, "n_boot": boots[k - 1]}
        if boots[k - 1] > 0:
            B = boots[k - 1]
            Xk, Xp = P.design(at[k]), P.design(at[k - 1])
            e_k = P.y - Xk @ np.linalg.lstsq(Xk, P.y, rcond=None)[0]  # residuals under the alternative
            fit0 = Xp @ np.linalg.lstsq(Xp, P.y, rcond=None)[0]  # fitted values under the null
            draws = rng.integers(0, N, size=(B, N))
            E = fit0[:, None] + e_k.reshape(N, T)[draws].reshape(B, N * T).T
            sp, sk = _sequential(P, E, k)
            Fb = (sp - sk) / (sk / dfree)
            row.update(p_value=float(np.mean(Fb >= F)), crit10=float(np.quantile(Fb, 0.90)),
                       crit5=float(np.quantile(Fb, 0.95)), crit1=float(np.quantile(Fb, 0.99)))
        test_rows[_STAGE[k - 1]] = row
    tests = pd.DataFrame.from_dict(test_rows, orient="index")

    # ---- the final model with linearmodels (thresholds treated as known)
    from linearmodels import PanelOLS

    bounds = [-np.inf, *gam, np.inf]
    reg = np.searchsorted(np.asarray(gam), qv, side="left")  # regime j: γ_j < q ≤ γ_{j+1}
    exog = df[xs].copy() if xs else pd.DataFrame(index=df.index)
    labels: dict[str, tuple[str, str]] = {}
    reg_rows = []
    for j in range(len(gam) + 1):
        lo, hi = bounds[j], bounds[j + 1]
        if j == 0:
            txt = f"{q} ≤ {hi:.4g}"
        elif j == len(gam):
            txt = f"{q} > {lo:.4g}"
        else:
            txt = f"{lo:.4g} < {q} ≤ {hi:.4g}"
        for v in rxs:
            exog[f"{v}_r{j + 1}"] = df[v].to_numpy(float) * (reg == j)
            labels[f"{v}_r{j + 1}"] = (f"{v}（{txt}）", f"{v} ({txt})")
        nj = int(np.sum(reg == j))
        # an unbounded end is left empty (NaN): CSV and Excel cannot both hold ±inf
        reg_rows.append({"regime": j + 1, "condition": txt, "lower": lo if np.isfinite(lo) else np.nan,
                         "upper": hi if np.isfinite(hi) else np.nan, "nobs": nj,
                         "share": nj / len(qv)})
    exog.index = pd.MultiIndex.from_arrays([df["unit"], df["year"]])
    dep = pd.Series(yv, index=exog.index, name=y)
    if cov not in ("clustered", "robust", "unadjusted"):
        raise MethodError(f"cov must be 'clustered', 'robust' or 'unadjusted', got {cov!r}")
    fit_opts: dict[str, Any] = {"cov_type": cov}
    if cov == "clustered":
        fit_opts["cluster_entity"] = True
    fit = PanelOLS(dep, exog, entity_effects=True, time_effects=time_effects).fit(**fit_opts)
    names = list(fit.params.index)
    R = np.zeros((len(rxs) * len(gam), len(names)))
    for a, v in enumerate(rxs):
        for j in range(len(gam)):
            R[a * len(gam) + j, names.index(f"{v}_r{j + 1}")] = 1.0
            R[a * len(gam) + j, names.index(f"{v}_r{j + 2}")] = -1.0
    rb = R @ fit.params.to_numpy()
    wald = float(rb @ np.linalg.solve(R @ fit.cov.to_numpy() @ R.T, rb))
    equal = {"stat": wald, "df": float(len(rb)), "p_value": float(sps.chi2.sf(wald, len(rb)))}
    cov_text = {"clustered": "clustered by unit", "robust": "heteroskedasticity-robust",
                "unadjusted": "conventional"}[cov]
    return ThresholdResult(
        thresholds=thresholds, tests=tests, lr=lr, params=fit.params, std_errors=fit.std_errors,
        tstats=fit.tstats, pvalues=fit.pvalues, labels=labels, regimes=pd.DataFrame(reg_rows), nobs=int(fit.nobs),
        n_units=N, n_years=T, rsquared_within=float(fit.rsquared), cov=cov_text, time_effects=time_effects, y=y,
        x=xs, rx=rxs, q=q, grid=grid_text, trim=trims, level=level, c_alpha=c,
        seed=None if isinstance(seed, np.random.Generator) else seed, dropped=dropped, notes=notes,
        equal_slopes=equal)


# =============================================================================================
# study file: [models.<label>] model = "threshold"
# =============================================================================================
class ThresholdOptions(Options):
    """``[models.<label>] model = "threshold"``: y, rx, q, x, the number of thresholds and the search.

    ``y`` defaults to the study's first hqd index, ``rx`` to its first nqpf index and ``q`` to ``rx``;
    variables are index names (``"nqpf:tech"`` for a sub-index), panel columns or ``{name = "expr"}``.
    """

    y: str | None = None
    rx: str | list[str] | None = None
    q: str | dict[str, str] | None = None
    x: list[str] | dict[str, str] | None = None
    n_thresholds: Literal[1, 2, 3] = 1
    trim: float | list[float] = 0.01
    grid: int | Literal["all", "hansen"] = 300
    bootstrap: int | list[int] = 300
    seed: int = 0
    level: float = 0.95
    balanced: Literal["require", "drop"] = "require"
    cov: Literal["clustered", "robust", "unadjusted"] = "clustered"
    time_effects: bool = False


def _threshold_methods(res: ThresholdResult, opts: ThresholdOptions, lang: str) -> str:
    c = cite(("hansen1999",), lang)
    c2 = cite(("bai1997",), lang)
    k = res.n_thresholds
    boot = int(res.tests["n_boot"].max())
    if lang == "zh":
        return (f"采用 Hansen 面板门槛回归{c}检验 {join(res.rx, lang)} 对 {res.y} 的影响是否随门槛变量 {res.q} 变化："
                "$y_{it} = \\mu_i + \\theta' x_{it} + \\beta_1' r_{it} I(q_{it} \\le \\gamma_1) + "
                "\\beta_2' r_{it} I(q_{it} > \\gamma_1) + e_{it}$（个体固定效应经组内变换消去）。"
                f"门槛值在{_grid_zh(res.grid)}的网格上以最小残差平方和 $S(\\gamma)$ 搜索"
                f"（每个区制至少 {res.trim[0]:.0%} 的观测），"
                f"{k} 个门槛依次估计，第一个门槛在给定第二个门槛后重新估计{c2}；"
                f"门槛效应用 $F = (S_0 - S_1)/\\hat\\sigma^2$ 检验，p 值和临界值来自 {boot} 次固定回归元残差自助法"
                f"（按个体整体重抽残差，种子 {res.seed}）；门槛值的 {res.level:.0%} 置信区间为 "
                "$LR(\\gamma) = (S(\\gamma) - S(\\hat\\gamma))/\\hat\\sigma^2 \\le c(\\alpha) = "
                f"-2\\log(1-\\sqrt{{1-\\alpha}})$ = {res.c_alpha:.2f} 的集合。系数标准误{res.cov}（门槛值视为已知）。")
    return (f"Whether the effect of {join(res.rx, lang)} on {res.y} changes with {res.q} was tested with Hansen's "
            f"fixed-effects panel threshold regression{c}: "
            "$y_{it} = \\mu_i + \\theta' x_{it} + \\beta_1' r_{it} I(q_{it} \\le \\gamma_1) + "
            "\\beta_2' r_{it} I(q_{it} > \\gamma_1) + e_{it}$, the unit effects removed by the within "
            "transformation. "
            f"Thresholds minimise the residual sum of squares $S(\\gamma)$ over a grid of {res.grid} (at least "
            f"{res.trim[0]:.0%} of the observations in every regime); {k} threshold(s) were estimated sequentially, "
            f"the first re-estimated given the second{c2}. Each threshold effect is tested with "
            "$F = (S_{k-1} - S_k)/\\hat\\sigma^2$, its p-value and critical values from "
            f"{boot} replications of the fixed-regressor residual bootstrap (residuals resampled by unit, seed "
            f"{res.seed}); the {res.level:.0%} confidence interval of a threshold is the set where "
            "$LR(\\gamma) = (S(\\gamma) - S(\\hat\\gamma))/\\hat\\sigma^2 \\le "
            "c(\\alpha) = -2\\log(1-\\sqrt{1-\\alpha})$"
            f" = {res.c_alpha:.2f}. Standard errors are {res.cov} (thresholds treated as known).")


@register_analysis("threshold", options=ThresholdOptions, result=ThresholdResult, section="explain", order=20,
                   label=("面板门槛回归", "Panel threshold regression"), refs=("hansen1999", "bai1997", "wang2015"),
                   methods=_threshold_methods, figure="threshold_lr")
def _study_threshold(ctx: StudyContext, opts: ThresholdOptions) -> ThresholdResult:
    y = opts.y or ctx.index(None, role="hqd")[0]
    rx = names_of(opts.rx) or [ctx.index(None, role="nqpf")[0]]
    q = opts.q if opts.q is not None else rx[0]
    qname = names_of(q)[0]
    x = opts.x or []
    frame = study_frame(ctx, [y], rx, q if isinstance(q, dict) else [q], x)
    return threshold_regression(frame, y, rx, qname, names_of(x), n_thresholds=opts.n_thresholds, trim=opts.trim,
                                grid=opts.grid, bootstrap=opts.bootstrap, seed=opts.seed, level=opts.level,
                                balanced=opts.balanced, cov=opts.cov, time_effects=opts.time_effects)
