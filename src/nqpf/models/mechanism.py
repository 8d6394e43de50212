"""Mechanisms and heterogeneity (作用机制与异质性): mediation, moderation and group differences on a panel.

- :func:`mediation` (中介效应): the stepwise regressions of Baron & Kenny (1986) — total effect c (y on x), path
  a (m on x), paths b and c′ (y on x and m) — each with unit and year fixed effects and standard errors
  clustered by unit; the indirect effect a·b with the Sobel (1982) test and percentile and bias-corrected
  cluster-bootstrap confidence intervals (Preacher & Hayes 2008; Efron 1987), and the Zhao, Lynch & Chen (2010)
  classification. **Caution** (江艇 2022, 中国工业经济 (5):100-120): in observational economics the b path and
  c′ are not causally identified unless the mediator is as good as random given x — a confounder of m and y
  biases both, and the stepwise "significance chain" says little about the channel. Read the a path (the
  effect of x on the mediator) as the evidence, and argue the m → y link from theory and prior work.
- :func:`moderation` (调节效应): y on centred x, centred z and their product (Aiken & West 1991), two-way fixed
  effects; simple slopes of x at the mean of z and one standard deviation either side, with standard errors.
- :func:`heterogeneity` (异质性分析): the coefficient of x estimated separately in each group (regions by
  default), a pooled interaction test of equal coefficients, and Fisher permutation tests of each pair's
  difference (group labels permuted across units, seeded; Efron & Tibshirani 1993, ch. 15).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import DataError
from nqpf.core.groups import Grouping, GroupsSpec, resolve_groups
from nqpf.core.i18n import num
from nqpf.core.interface import ReportContext
from nqpf.core.references import cite
from nqpf.core.rng import Seed, generator
from nqpf.core.stars import STAR_NOTE, stars
from nqpf.core.units import REGION_ORDER, region_label
from nqpf.models._fe import (
    estimates_from_fit,
    fe_fit,
    model_frame,
    study_frame,
    unit_cube,
    wald_test,
    weighted_crossproducts,
    within,
)
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["HeterogeneityResult", "MediationResult", "ModerationResult", "bootstrap_indirect", "heterogeneity",
           "mediation", "moderation", "region_groups", "sobel"]


def _prepare(data: Any, cols: list[str], notes: list[str]) -> pd.DataFrame:
    frame = model_frame(data, cols)
    n0 = len(frame)
    frame = frame.dropna()
    if len(frame) < n0:
        notes.append(f"{n0 - len(frame)} unit-years with a missing {', '.join(cols)} value dropped")
    if frame.empty:
        raise DataError(f"no unit-year has all of {cols}")
    return frame


def _coef(A: np.ndarray, target: int, regs: list[int]) -> np.ndarray:
    """OLS coefficients of column ``target`` on columns ``regs`` from a stack of moment matrices (R, k, k)."""
    S = A[:, regs][:, :, regs]
    r = A[:, regs, target]
    return np.linalg.solve(S, r[..., None])[..., 0]


def _crossproducts_loop(Z: np.ndarray, ucode: np.ndarray, ycode: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Z̃'diag(w)Z̃ per row of unit weights W (R, N) on any (also unbalanced) panel: one weighted within
    transformation per row."""
    out = np.empty((len(W), Z.shape[1], Z.shape[1]))
    for r, wu in enumerate(W):
        w = wu[ucode]
        keep = w > 0
        zt = within(Z[keep], ucode[keep], ycode[keep], weights=w[keep])
        out[r] = zt.T @ (zt * w[keep, None])
    return out


def _unit_weights_crossproducts(frame: pd.DataFrame, cols: list[str], W: np.ndarray) -> np.ndarray:
    """Moment matrices of the two-way within-transformed ``cols`` for each row of unit weights (R, N); the units
    in the order of first appearance in ``frame``. Balanced panels take the closed form, others a loop."""
    cube = unit_cube(frame, cols)
    if cube is not None:
        return weighted_crossproducts(cube[0], W)
    units = frame.index.get_level_values(0)
    ucode = pd.Index(list(dict.fromkeys(units))).get_indexer(units)
    ycode = pd.factorize(frame.index.get_level_values(1), sort=True)[0]
    return _crossproducts_loop(frame[cols].to_numpy(float), ucode, ycode, W)


# =========================================================================================================
# mediation
# =========================================================================================================
def sobel(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float, float]:
    """Sobel (1982) test of the indirect effect a·b: se = sqrt(b²·se_a² + a²·se_b²), z = a·b / se, two-sided p.

    Examples
    --------
    >>> [round(v, 4) for v in sobel(0.5, 0.1, 0.4, 0.1)]
    [0.064, 3.1235, 0.0018]
    """
    se = float(np.sqrt(b * b * se_a * se_a + a * a * se_b * se_b))
    z = a * b / se
    return se, float(z), float(2 * stats.norm.sf(abs(z)))


def bootstrap_indirect(frame: pd.DataFrame, y: str, x: str, m: str, controls: list[str], draws: int, seed: Seed
                       ) -> np.ndarray:
    """Cluster-bootstrap draws of the indirect effect a·b (units resampled with replacement).

    Draw r takes ``idx = generator(seed).integers(0, N, size=(draws, N))[r]`` (units in order of first
    appearance) and refits both paths with two-way fixed effects, a resampled unit counting as many times as it
    was drawn. Balanced panels use the closed-form moment matrices (:func:`nqpf.models._fe.weighted_crossproducts`:
    no resampled data set is formed); unbalanced panels one weighted within transformation per draw.

    Returns
    -------
    (draws,) array of a·b.
    """
    cols = [y, m, x, *controls]
    N = frame.index.get_level_values(0).nunique()
    idx = generator(seed).integers(0, N, size=(draws, N))
    W = np.zeros((draws, N))
    np.add.at(W, (np.repeat(np.arange(draws), N), idx.ravel()), 1.0)
    A = _unit_weights_crossproducts(frame, cols, W)
    k = len(cols)
    a = _coef(A, 1, [2, *range(3, k)])[:, 0]
    b = _coef(A, 0, [1, 2, *range(3, k)])[:, 0]
    return a * b


def _bc_interval(est: float, boot: np.ndarray, alpha: float) -> tuple[float, float]:
    """Bias-corrected percentile interval (Efron 1987): quantiles at Φ(2·z0 + z_{α/2}) and Φ(2·z0 + z_{1−α/2}),
    z0 = Φ⁻¹(share of draws below the estimate)."""
    share = float(np.mean(boot < est))
    share = min(max(share, 0.5 / len(boot)), 1 - 0.5 / len(boot))
    z0 = stats.norm.ppf(share)
    lo, hi = stats.norm.cdf(2 * z0 + stats.norm.ppf([alpha / 2, 1 - alpha / 2]))
    return float(np.quantile(boot, lo)), float(np.quantile(boot, hi))


@dataclass
class MediationResult(ModelResult):
    """Stepwise mediation with the Sobel test and cluster-bootstrap CIs of the indirect effect.

    Attributes
    ----------
    y, x, m, controls : the variables.
    c, a, b, c_prime : (estimate, std_error, p) of the total effect, x → m, m → y given x, and the direct effect.
    indirect : a·b; sobel_se, sobel_z, sobel_p : the Sobel test.
    boot : the bootstrap draws of a·b; ci_percentile, ci_bc : the (1 − alpha) intervals.
    proportion : a·b / c (share of the total effect mediated; NaN when c is 0).
    kind : the Zhao, Lynch & Chen (2010) type (complementary, competitive, indirect-only, direct-only, none).
    fits : the three linearmodels fits; columns : the three publication-table columns.
    """

    y: str
    x: str
    m: str
    controls: list[str]
    c: tuple[float, float, float]
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    c_prime: tuple[float, float, float]
    indirect: float
    sobel_se: float
    sobel_z: float
    sobel_p: float
    boot: np.ndarray
    ci_percentile: tuple[float, float]
    ci_bc: tuple[float, float]
    proportion: float
    kind: str
    columns: list[Estimates]
    fits: dict[str, Any]
    nobs: int
    n_units: int
    alpha: float = 0.05
    seed: Any = 0
    notes: list[str] = field(default_factory=list)

    label = ("中介效应", "Mediation")

    @property
    def boot_se(self) -> float:
        """Standard deviation of the bootstrap draws (NaN without a bootstrap)."""
        return float(np.std(self.boot, ddof=1)) if len(self.boot) > 1 else np.nan

    def estimates(self) -> list[Estimates]:
        return self.columns

    def to_frame(self) -> pd.DataFrame:
        """One row per path and effect: estimate, SE, p, and the CIs of the indirect effect."""
        rows = []
        for key, zh, (e, s, p) in (("c", "总效应", self.c), ("a", "x→m", self.a), ("b", "m→y", self.b),
                                   ("c_prime", "直接效应", self.c_prime)):
            rows.append({"effect": key, "label_zh": zh, "estimate": e, "std_error": s, "p_value": p,
                         "ci_low": np.nan, "ci_high": np.nan, "method": "two-way FE, clustered by unit"})
        rows.append({"effect": "indirect", "label_zh": "间接效应 a·b", "estimate": self.indirect,
                     "std_error": self.sobel_se, "p_value": self.sobel_p, "ci_low": np.nan, "ci_high": np.nan,
                     "method": "Sobel"})
        rows.append({"effect": "indirect", "label_zh": "间接效应 a·b", "estimate": self.indirect,
                     "std_error": self.boot_se, "p_value": np.nan, "ci_low": self.ci_percentile[0],
                     "ci_high": self.ci_percentile[1], "method": f"cluster bootstrap, percentile ({len(self.boot)})"})
        rows.append({"effect": "indirect", "label_zh": "间接效应 a·b", "estimate": self.indirect,
                     "std_error": self.boot_se, "p_value": np.nan, "ci_low": self.ci_bc[0],
                     "ci_high": self.ci_bc[1], "method": f"cluster bootstrap, bias-corrected ({len(self.boot)})"})
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame(), "table": self.publication_table(),
                "bootstrap": pd.DataFrame({"draw": np.arange(1, len(self.boot) + 1), "indirect": self.boot})}

    def _summary_lines(self, lang: str) -> list[str]:
        head = (f"中介效应（逐步回归，双向固定效应）：{self.x} → {self.m} → {self.y}，{self.nobs} 个观测、"
                f"{self.n_units} 个单位。" if lang == "zh" else
                f"Mediation (stepwise, two-way FE): {self.x} → {self.m} → {self.y}, {self.nobs} observations, "
                f"{self.n_units} units.")
        return [head, *self.narrative(lang), self.publication_table(lang=lang).to_string(),
                STAR_NOTE[0 if lang == "zh" else 1], *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """The paths, the indirect effect with its tests, the Zhao et al. type, and the identification caution."""
        lvl = f"{1 - self.alpha:.0%}"
        (c, _, pc), (a, _, pa), (b, _, pb), (cp, _, pcp) = self.c, self.a, self.b, self.c_prime
        lo, hi = self.ci_bc
        sig_ind = (lo > 0 or hi < 0) if len(self.boot) else self.sobel_p < self.alpha
        kinds_zh = {"complementary": "互补型中介（部分中介）", "competitive": "竞争型中介（遮掩效应）",
                    "indirect-only": "仅间接效应（完全中介）", "direct-only": "仅直接效应（无中介）",
                    "none": "无效应"}
        kinds_en = {"complementary": "complementary mediation (partial)", "competitive": "competitive mediation "
                    "(suppression)", "indirect-only": "indirect-only mediation (full)",
                    "direct-only": "direct-only (no mediation)", "none": "no effect"}
        caution_cite = cite(("jiang2022",), lang)
        if lang == "zh":
            return [
                f"总效应 c = {num(c)}{stars(pc)}；{self.x} 对中介变量 {self.m} 的效应 a = {num(a)}{stars(pa)}；"
                f"控制 {self.x} 后 {self.m} 对 {self.y} 的效应 b = {num(b)}{stars(pb)}，"
                f"直接效应 c′ = {num(cp)}{stars(pcp)}。",
                f"间接效应 a·b = {num(self.indirect)}，Sobel z = {num(self.sobel_z, 2)}（p = {num(self.sobel_p, 3)}）；"
                + (f"{len(self.boot)} 次按单位聚类的自助法 {lvl} 置信区间：百分位 [{num(self.ci_percentile[0])}, "
                   f"{num(self.ci_percentile[1])}]，偏差校正 [{num(lo)}, {num(hi)}]，" if len(self.boot) else "")
                + (("不含 0，间接效应显著" if sig_ind else "包含 0，间接效应不显著") if len(self.boot) else
                   ("间接效应显著（Sobel 检验）" if sig_ind else "间接效应不显著（Sobel 检验）")) +
                (f"；中介比例 a·b/c = {num(self.proportion, 3)}。" if np.isfinite(self.proportion) else "。"),
                f"按 Zhao、Lynch 与 Chen（2010）的分类：{kinds_zh[self.kind]}。" +
                ("" if pa < self.alpha else f"但 a 路径不显著（p = {num(pa, 3)}），"
                 f"没有证据表明 {self.x} 改变了 {self.m}，不宜据此宣称存在该机制。"),
                f"注意{caution_cite}：逐步法中的 b 路径与 c′ 只有在中介变量（给定 {self.x}）近似随机时才有因果含义，"
                f"{self.m} 与 {self.y} 的共同混杂因素会使二者有偏；"
                f"应以 a 路径（{self.x} 对 {self.m} 的影响）作为机制证据，"
                f"并以理论与已有文献论证 {self.m} 对 {self.y} 的作用。",
            ]
        return [
            f"Total effect c = {num(c)}{stars(pc)}; effect of {self.x} on the mediator {self.m} "
            f"a = {num(a)}{stars(pa)}; "
            f"effect of {self.m} on {self.y} given {self.x} b = {num(b)}{stars(pb)}; direct effect c′ = "
            f"{num(cp)}{stars(pcp)}.",
            f"Indirect effect a·b = {num(self.indirect)}, Sobel z = {num(self.sobel_z, 2)} "
            f"(p = {num(self.sobel_p, 3)}); "
            + (f"{lvl} cluster-bootstrap intervals ({len(self.boot)} draws of units): percentile "
               f"[{num(self.ci_percentile[0])}, {num(self.ci_percentile[1])}], bias-corrected [{num(lo)}, {num(hi)}], "
               if len(self.boot) else "")
            + (("excluding 0: the indirect effect is significant" if sig_ind else
                "including 0: the indirect effect is not significant") if len(self.boot) else
               ("the Sobel test finds the indirect effect significant" if sig_ind else
                "the Sobel test does not find the indirect effect significant")) +
            (f"; share mediated a·b/c = {num(self.proportion, 3)}." if np.isfinite(self.proportion) else "."),
            f"In the classification of Zhao, Lynch & Chen (2010): {kinds_en[self.kind]}." +
            ("" if pa < self.alpha else f" But the a path is not significant (p = {num(pa, 3)}): there is no "
             f"evidence that {self.x} moves {self.m}, so the data do not support this channel."),
            f"Caution{caution_cite}: the b path and c′ of the stepwise approach are causal only if the mediator is as "
            f"good as random given {self.x}; anything that drives both {self.m} and {self.y} biases them. Take the a "
            f"path "
            f"(the effect of {self.x} on {self.m}) as the evidence of the mechanism and argue the link from {self.m} "
            f"to {self.y} from theory and prior work.",
        ]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The bootstrap distribution of a·b with the estimate and the bias-corrected interval."""
        fig, ax = figure_axes(ax, (5.2, 3.2))
        ax.hist(self.boot, bins=40, color="#bbbbbb", edgecolor="white")
        ax.axvline(self.indirect, color=OKABE_ITO[5], lw=1.5)
        for v in self.ci_bc:
            ax.axvline(v, color=OKABE_ITO[4], lw=1, ls="--")
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_xlabel("间接效应 a·b 的自助法分布" if lang == "zh" else "bootstrap draws of the indirect effect a·b")
        ax.set_ylabel("次数" if lang == "zh" else "draws")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        import plotly.graph_objects as go

        fig = go.Figure(go.Histogram(x=self.boot, nbinsx=40, marker_color="#bbbbbb"))
        fig.add_vline(x=self.indirect, line_color=OKABE_ITO[5], line_width=2)
        for v in self.ci_bc:
            fig.add_vline(x=v, line_color=OKABE_ITO[4], line_dash="dash")
        fig.add_vline(x=0, line_color="#444", line_width=1)
        fig.update_layout(height=300, showlegend=False, margin={"l": 60, "r": 20, "t": 30, "b": 50},
                          xaxis={"title": "间接效应 a·b（虚线：偏差校正置信区间）" if lang == "zh" else
                                 "indirect effect a·b (dashed: bias-corrected interval)"},
                          yaxis={"title": "次数" if lang == "zh" else "draws"})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        return [Text(tuple(self.narrative(ctx.lang))), Table(self.publication_table(lang=ctx.lang)),
                *(Figure(f) for f in self.figures(ctx.lang))]


def _zhao_type(ind_sig: bool, direct: float, p_direct: float, indirect: float, alpha: float) -> str:
    if ind_sig and p_direct < alpha:
        return "complementary" if np.sign(direct) == np.sign(indirect) else "competitive"
    if ind_sig:
        return "indirect-only"
    return "direct-only" if p_direct < alpha else "none"


def mediation(
    data: Any,
    y: str,
    x: str,
    m: str,
    controls: list[str] | None = None,
    *,
    bootstrap: int = 999,
    seed: Seed = 0,
    alpha: float = 0.05,
) -> MediationResult:
    """Stepwise mediation (中介效应逐步法) with the Sobel test and cluster-bootstrap CIs of a·b.

    Parameters
    ----------
    data : a Panel, an IndexResult or a DataFrame indexed by (unit, year) with the columns below.
    y, x, m : outcome, explanatory variable, mediator; controls : further regressors.
    bootstrap : number of cluster-bootstrap draws (units resampled); seed : their generator (see
        :func:`bootstrap_indirect` for the draw scheme).
    alpha : 1 − the confidence level.

    Returns
    -------
    MediationResult

    Notes
    -----
    (1) y = c·x + γ'w + μ_i + λ_t + ε; (2) m = a·x + γ'w + μ_i + λ_t + ε; (3) y = c′·x + b·m + γ'w + μ_i + λ_t + ε,
    all on the same sample, SEs clustered by unit. Indirect effect a·b (= c − c′ exactly, as the three are OLS
    fits on one sample with the same fixed effects). Baron & Kenny (1986); Sobel (1982); Preacher & Hayes (2008);
    Zhao, Lynch & Chen (2010); 江艇 (2022) for the identification caution.
    """
    controls = list(controls or [])
    notes: list[str] = []
    if len({y, x, m}) < 3:
        raise DataError(f"y, x and m must be three different variables, got {y!r}, {x!r}, {m!r}")
    frame = _prepare(data, [y, x, m, *controls], notes)
    labels = {x: (x, x), m: (m, m)}
    f1 = fe_fit(frame, y, [x, *controls])
    f2 = fe_fit(frame, m, [x, *controls])
    f3 = fe_fit(frame, y, [x, m, *controls])

    def trio(fit: Any, v: str) -> tuple[float, float, float]:
        return float(fit.params[v]), float(fit.std_errors[v]), float(fit.pvalues[v])

    c, a, b, cp = trio(f1, x), trio(f2, x), trio(f3, m), trio(f3, x)
    se, z, p = sobel(a[0], a[1], b[0], b[1])
    ind = a[0] * b[0]
    if bootstrap > 0:
        boot = bootstrap_indirect(frame, y, x, m, controls, bootstrap, seed)
        ci_p = tuple(float(v) for v in np.quantile(boot, [alpha / 2, 1 - alpha / 2]))
        ci_bc = _bc_interval(ind, boot, alpha)
        ind_sig = bool(ci_bc[0] > 0 or ci_bc[1] < 0)
    else:  # no bootstrap: the Sobel test decides
        boot, ci_p, ci_bc, ind_sig = np.empty(0), (np.nan, np.nan), (np.nan, np.nan), p < alpha
    rows = {"controls": "yes" if controls else "no"}
    cols = [estimates_from_fit(f1, f"(1) {y}", y, keep=[x, *controls], labels=labels, rows=rows),
            estimates_from_fit(f2, f"(2) {m}", m, keep=[x, *controls], labels=labels, rows=rows),
            estimates_from_fit(f3, f"(3) {y}", y, keep=[x, m, *controls], labels=labels, rows=rows,
                               stats_={"indirect a·b": ind, "Sobel z": z})]
    return MediationResult(
        y=y, x=x, m=m, controls=controls, c=c, a=a, b=b, c_prime=cp, indirect=ind, sobel_se=se, sobel_z=z,
        sobel_p=p, boot=boot, ci_percentile=ci_p, ci_bc=ci_bc,  # type: ignore[arg-type]
        proportion=ind / c[0] if c[0] != 0 else np.nan, kind=_zhao_type(ind_sig, cp[0], cp[2], ind, alpha),
        columns=cols, fits={"total": f1, "a": f2, "b": f3}, nobs=int(f1.nobs),
        n_units=int(f1.entity_info["total"]), alpha=alpha, seed=seed, notes=notes)


# =========================================================================================================
# moderation
# =========================================================================================================
@dataclass
class ModerationResult(ModelResult):
    """Moderation with centred interaction terms and simple slopes.

    Attributes
    ----------
    y, x, z, controls : the variables; x_mean, z_mean, x_sd, z_sd : centring constants and sds (estimation sample).
    column : the publication-table column (x_c, z_c, x_c × z_c, controls); fit : the linearmodels fit.
    slopes : the simple slopes of x at z = mean − sd, mean, mean + sd: z_value, slope, std_error, t, p_value,
        ci_low, ci_high.
    """

    y: str
    x: str
    z: str
    controls: list[str]
    x_mean: float
    z_mean: float
    x_sd: float
    z_sd: float
    column: Estimates
    fit: Any
    slopes: pd.DataFrame
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    label = ("调节效应", "Moderation")

    @property
    def interaction(self) -> tuple[float, float, float]:
        k = f"{self.x}×{self.z}"
        return (float(self.column.params[k]), float(self.column.std_errors[k]), float(self.column.pvalues[k]))

    def estimates(self) -> list[Estimates]:
        return [self.column]

    def to_frame(self) -> pd.DataFrame:
        """The simple slopes."""
        return self.slopes.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame(), "table": self.publication_table()}

    def _summary_lines(self, lang: str) -> list[str]:
        head = (f"调节效应：{self.z} 对 {self.x} → {self.y} 的调节（变量已中心化，双向固定效应）。" if lang == "zh"
                else f"Moderation of {self.x} → {self.y} by {self.z} (centred variables, two-way FE).")
        return [head, *self.narrative(lang), self.publication_table(lang=lang).to_string(),
                STAR_NOTE[0 if lang == "zh" else 1], *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        g, _, p = self.interaction
        s = self.slopes
        lo, mid, hi = s.iloc[0], s.iloc[1], s.iloc[2]
        if lang == "zh":
            direction = "增强" if g > 0 else "削弱"
            return [f"交互项系数 {num(g)}{stars(p)}（p = {num(p, 3)}）：" +
                    (f"{self.z} 越高，{self.x} 对 {self.y} 的边际效应越{'大' if g > 0 else '小'}，"
                     f"即 {self.z} {direction}了该效应。"
                     if p < self.alpha else f"在 {1 - self.alpha:.0%} 水平上未发现 {self.z} 的调节作用。"),
                    f"简单斜率：{self.z} 低（均值 − 1 标准差）时 {num(lo['slope'])}{stars(lo['p_value'])}，"
                    f"均值处 {num(mid['slope'])}{stars(mid['p_value'])}，高（均值 + 1 标准差）时 "
                    f"{num(hi['slope'])}{stars(hi['p_value'])}。"]
        return [f"Interaction coefficient {num(g)}{stars(p)} (p = {num(p, 3)}): " +
                (f"the higher {self.z}, the {'larger' if g > 0 else 'smaller'} the marginal effect of {self.x} on "
                 f"{self.y}." if p < self.alpha else f"no moderation by {self.z} at the {self.alpha:.0%} level."),
                f"Simple slopes of {self.x}: {num(lo['slope'])}{stars(lo['p_value'])} at low {self.z} (mean − 1 sd), "
                f"{num(mid['slope'])}{stars(mid['p_value'])} at the mean, {num(hi['slope'])}{stars(hi['p_value'])} "
                f"at high {self.z} (mean + 1 sd)."]

    def _lines(self) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
        xs = np.linspace(-self.x_sd, self.x_sd, 21)
        b2 = float(self.column.params[f"{self.z}_c"])
        out = []
        for row in self.slopes.itertuples():
            zc = row.z_value - self.z_mean
            out.append((row.level, row.slope * xs + b2 * zc))
        return xs + self.x_mean, out

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Simple slopes: the fitted change in y over x ± 1 sd at low, mean and high z."""
        fig, ax = figure_axes(ax, (5.2, 3.4))
        xs, lines = self._lines()
        names = self._level_names(lang)
        for (lev, ys), col in zip(lines, (OKABE_ITO[4], "#444444", OKABE_ITO[5]), strict=True):
            ax.plot(xs, ys, color=col, label=names[lev])
        ax.set_xlabel(self.x)
        ax.set_ylabel(f"拟合的 {self.y}（相对值）" if lang == "zh" else f"fitted {self.y} (relative)")
        ax.legend(frameon=False)
        return fig

    def _level_names(self, lang: str) -> dict[str, str]:
        if lang == "zh":
            return {"low": f"{self.z} 低（均值 − 1 sd）", "mean": f"{self.z} 均值",
                    "high": f"{self.z} 高（均值 + 1 sd）"}
        return {"low": f"low {self.z} (mean − 1 sd)", "mean": f"mean {self.z}", "high": f"high {self.z} (mean + 1 sd)"}

    def figures(self, lang: str = "en") -> list[Any]:
        import plotly.graph_objects as go

        xs, lines = self._lines()
        names = self._level_names(lang)
        fig = go.Figure()
        for (lev, ys), col in zip(lines, (OKABE_ITO[4], "#444444", OKABE_ITO[5]), strict=True):
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=names[lev], line={"color": col}))
        fig.update_layout(height=340, margin={"l": 60, "r": 20, "t": 30, "b": 50}, xaxis={"title": self.x},
                          yaxis={"title": ("拟合的 " if lang == "zh" else "fitted ") + self.y})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        return [Text(tuple(self.narrative(ctx.lang))), Table(self.publication_table(lang=ctx.lang)),
                *(Figure(f) for f in self.figures(ctx.lang))]


def moderation(
    data: Any,
    y: str,
    x: str,
    z: str,
    controls: list[str] | None = None,
    *,
    alpha: float = 0.05,
) -> ModerationResult:
    """Moderation (调节效应): y = β1·x_c + β2·z_c + β3·x_c·z_c + γ'w + μ_i + λ_t + ε, centred at the sample means.

    Simple slopes (Aiken & West 1991): ∂y/∂x at z_c = −sd, 0, +sd is β1 + β3·z_c with variance
    V11 + z_c²·V33 + 2·z_c·V13 (the clustered covariance). Standard errors clustered by unit.

    Returns
    -------
    ModerationResult
    """
    controls = list(controls or [])
    notes: list[str] = []
    if x == z:
        raise DataError("x and the moderator z must differ")
    frame = _prepare(data, [y, x, z, *controls], notes)
    xm, zm = float(frame[x].mean()), float(frame[z].mean())
    xsd, zsd = float(frame[x].std(ddof=1)), float(frame[z].std(ddof=1))
    xc, zc, inter = f"{x}_c", f"{z}_c", f"{x}×{z}"
    work = frame[[y, *controls]].assign(**{xc: frame[x] - xm, zc: frame[z] - zm})
    work[inter] = work[xc] * work[zc]
    fit = fe_fit(work, y, [xc, zc, inter, *controls])
    labels = {xc: (f"{x}（中心化）", f"{x} (centred)"), zc: (f"{z}（中心化）", f"{z} (centred)"),
              inter: (f"{x} × {z}", f"{x} × {z}")}
    col = estimates_from_fit(fit, f"{y}", y, keep=[xc, zc, inter, *controls], labels=labels,
                             rows={"controls": "yes" if controls else "no"})
    V = fit.cov
    b1, b3 = float(fit.params[xc]), float(fit.params[inter])
    dfree = float(fit.df_resid)
    tcrit = stats.t.ppf(1 - alpha / 2, dfree)
    rows = []
    for lev, zcv in (("low", -zsd), ("mean", 0.0), ("high", zsd)):
        slope = b1 + b3 * zcv
        se = float(np.sqrt(V.loc[xc, xc] + zcv * zcv * V.loc[inter, inter] + 2 * zcv * V.loc[xc, inter]))
        t = slope / se
        rows.append({"level": lev, "z_value": zm + zcv, "slope": slope, "std_error": se, "t": t,
                     "p_value": float(2 * stats.t.sf(abs(t), dfree)), "ci_low": slope - tcrit * se,
                     "ci_high": slope + tcrit * se})
    return ModerationResult(y=y, x=x, z=z, controls=controls, x_mean=xm, z_mean=zm, x_sd=xsd, z_sd=zsd, column=col,
                            fit=fit, slopes=pd.DataFrame(rows), alpha=alpha, notes=notes)


# =========================================================================================================
# heterogeneity by group
# =========================================================================================================
@dataclass
class HeterogeneityResult(ModelResult):
    """The coefficient of x by group, a pooled interaction test and pairwise Fisher permutation tests.

    Attributes
    ----------
    y, x, controls : the variables; groups : unit -> group; group_names : group -> (zh, en).
    by_group : one row per group: coef, std_error, p_value, ci_low, ci_high, nobs, n_units.
    columns : one publication-table column per group.
    pooled : the joint Wald test that all group interactions x × 1[group] are zero (F, df, df2, p, chi2, p_chi2),
        base group = the first; pooled_fit : its linearmodels fit.
    pairs : one row per pair of groups: difference (first − second), permutation p (two-sided), draws.
    """

    y: str
    x: str
    controls: list[str]
    groups: dict[str, str]
    group_names: dict[str, tuple[str, str]]
    by_group: pd.DataFrame
    columns: list[Estimates]
    pooled: dict[str, float]
    pooled_fit: Any
    pairs: pd.DataFrame
    permutations: int
    seed: Any = 0
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    label = ("异质性分析", "Heterogeneity by group")

    def _gname(self, g: str, lang: str) -> str:
        zh, en = self.group_names.get(g, (g, g))
        return zh if lang == "zh" else en

    def estimates(self) -> list[Estimates]:
        return self.columns

    def to_frame(self) -> pd.DataFrame:
        return self.by_group.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame(), "table": self.publication_table(), "pairs": self.pairs.copy()}

    def _summary_lines(self, lang: str) -> list[str]:
        head = (f"异质性分析：{self.x} → {self.y} 分 {len(self.by_group)} 组估计（双向固定效应，按单位聚类）。"
                if lang == "zh" else
                f"Heterogeneity of {self.x} → {self.y} across {len(self.by_group)} groups (two-way FE, clustered).")
        return [head, *self.narrative(lang), self.publication_table(lang=lang).to_string(),
                self.pairs.to_string(index=False), STAR_NOTE[0 if lang == "zh" else 1], *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        bg = self.by_group
        parts = [f"{self._gname(g, lang)} {num(r.coef)}{stars(r.p_value)}" for g, r in bg.iterrows()]
        top = bg["coef"].idxmax()
        low = bg["coef"].idxmin()
        pp = self.pooled["p"]
        sig_pairs = self.pairs[self.pairs["p_perm"] < self.alpha]
        if lang == "zh":
            out = [f"分组系数：{'，'.join(parts)}；{self._gname(top, lang)}最大，{self._gname(low, lang)}最小。",
                   f"交互项联合检验 F = {num(self.pooled['F'], 2)}，p = {num(pp, 3)}：" +
                   ("各组系数存在显著差异。" if pp < self.alpha else "不能拒绝各组系数相等。")]
            if len(self.pairs):
                out.append(f"Fisher 组合（置换）检验（{self.permutations} 次）：" +
                           ("显著不同的组对：" + "，".join(
                               f"{self._gname(r.group_1, lang)}与{self._gname(r.group_2, lang)}"
                               f"（差 {num(r.difference)}，"
                               f"p = {num(r.p_perm, 3)}）" for r in sig_pairs.itertuples()) + "。"
                            if len(sig_pairs) else "各组对之间的系数差异均不显著。"))
            return out
        out = [f"Coefficient of {self.x} by group: {', '.join(parts)}; largest in {self._gname(top, lang)}, "
               f"smallest in {self._gname(low, lang)}.",
               f"Pooled interaction test F = {num(self.pooled['F'], 2)}, p = {num(pp, 3)}: " +
               ("the group coefficients differ." if pp < self.alpha else "equal coefficients are not rejected.")]
        if len(self.pairs):
            out.append(f"Fisher permutation tests ({self.permutations} draws): " +
                       ("pairs that differ: " + "; ".join(
                           f"{self._gname(r.group_1, lang)} vs {self._gname(r.group_2, lang)} (difference "
                           f"{num(r.difference)}, p = {num(r.p_perm, 3)})" for r in sig_pairs.itertuples()) + "."
                        if len(sig_pairs) else "no pair of groups differs significantly."))
        return out

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The coefficient of x by group with its confidence interval."""
        fig, ax = figure_axes(ax, (5.2, 3.0))
        bg = self.by_group
        pos = np.arange(len(bg))
        ax.errorbar(bg["coef"], pos, xerr=[bg["coef"] - bg["ci_low"], bg["ci_high"] - bg["coef"]], fmt="o",
                    color=OKABE_ITO[4], capsize=3)
        ax.axvline(0, color="#888", lw=0.8)
        ax.set_yticks(pos, [self._gname(g, lang) for g in bg.index])
        ax.set_xlabel(("系数：" if lang == "zh" else "coefficient of ") + self.x)
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        import plotly.graph_objects as go

        bg = self.by_group
        fig = go.Figure(go.Scatter(
            x=bg["coef"], y=[self._gname(g, lang) for g in bg.index], mode="markers", marker={"color": OKABE_ITO[4]},
            error_x={"type": "data", "symmetric": False, "array": bg["ci_high"] - bg["coef"],
                     "arrayminus": bg["coef"] - bg["ci_low"]}))
        fig.add_vline(x=0, line_color="#888", line_width=1)
        fig.update_layout(height=120 + 50 * len(bg), margin={"l": 90, "r": 20, "t": 30, "b": 50},
                          xaxis={"title": ("系数：" if lang == "zh" else "coefficient of ") + self.x})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        return [Text(tuple(self.narrative(ctx.lang))), Table(self.publication_table(lang=ctx.lang)),
                Table(self.pairs), *(Figure(f) for f in self.figures(ctx.lang))]


def region_groups(units: list[str], kind: str | None = None) -> dict[str, str]:
    """The NBS four regions of provinces, or of cities through their province; units without one are left out."""
    none = "\0"  # the group of units without a region, dropped below
    g = resolve_groups(GroupsSpec(builtin="region4", other=none), [str(u) for u in units],
                       kind=kind if kind in ("city", "county") else "other")
    return {u: k for u, k in g.mapping.items() if k != none}


def _group_slopes(frame: pd.DataFrame, cols: list[str], W: np.ndarray) -> np.ndarray:
    """The coefficient of cols[1] in the regression of cols[0] on cols[1:] within each row of unit weights."""
    A = _unit_weights_crossproducts(frame, cols, W)
    return _coef(A, 0, list(range(1, len(cols))))[:, 0]


def heterogeneity(
    data: Any,
    y: str,
    x: str,
    groups: Grouping | Mapping[str, str] | Callable[[str], str | None] | None = None,
    controls: list[str] | None = None,
    *,
    permutations: int = 500,
    seed: Seed = 0,
    alpha: float = 0.05,
    kind: str | None = None,
) -> HeterogeneityResult:
    """The coefficient of ``x`` by group (分组回归), with a pooled interaction test and Fisher permutation tests.

    Parameters
    ----------
    data : a Panel, an IndexResult or a DataFrame indexed by (unit, year).
    y, x, controls : the regression (two-way FE within each group, SEs clustered by unit).
    groups : a :class:`~nqpf.core.groups.Grouping` (group labels and order from it), unit -> group (a mapping
        or a function); None: the NBS four regions (provinces, or cities through
        their province when ``kind="city"``, the panel's kind when ``data`` is a Panel). Units without a group are
        dropped and named in ``notes``.
    permutations : draws of the Fisher permutation test of each pair (0: none); seed : their generator. For a pair
        (g1, g2), draw r shuffles the group labels of the pair's units (``generator(seed).permutation``, pairs in
        order, draws in order) and re-estimates both group regressions; p = share of |b1* − b2*| ≥ |b1 − b2|.
    alpha : 1 − the confidence level.

    Returns
    -------
    HeterogeneityResult
    """
    controls = list(controls or [])
    notes: list[str] = []
    frame = _prepare(data, [y, x, *controls], notes)
    units = list(dict.fromkeys(frame.index.get_level_values(0)))
    gorder: list[str] | None = None
    if isinstance(groups, Grouping):
        gmap = {u: groups.mapping[u] for u in units if u in groups.mapping}
        names = dict(groups.labels)
        gorder = list(groups.order)
        notes.extend(groups.notes)
    elif groups is None:
        k = kind or getattr(data, "kind", None)
        gmap = region_groups(units, k)
        names = {g: (region_label(g, "zh"), region_label(g, "en")) for g in REGION_ORDER}
    else:
        gmap = {u: (groups(u) if callable(groups) else groups.get(u)) for u in units}  # type: ignore[union-attr]
        gmap = {u: str(g) for u, g in gmap.items() if g is not None and g == g}
        names = {}
    lost = [u for u in units if u not in gmap]
    if lost:
        notes.append(f"units without a group dropped: {', '.join(map(str, lost[:20]))}"
                     + (f" and {len(lost) - 20} more" if len(lost) > 20 else ""))
        frame = frame[frame.index.get_level_values(0).isin(list(gmap))]
        units = [u for u in units if u in gmap]
    present = set(gmap.values())
    order = ([g for g in REGION_ORDER if g in present] if groups is None else
             [g for g in gorder if g in present] if gorder is not None else sorted(present))
    if len(order) < 2:
        raise DataError(f"heterogeneity needs at least two groups, got {order}")
    rows, cols_est = [], []
    tcrit = None
    for g in order:
        sub = frame[frame.index.get_level_values(0).map(gmap) == g]
        if sub.index.get_level_values(0).nunique() < 2:
            raise DataError(f"group {g!r} has fewer than two units; merge it with another group")
        fit = fe_fit(sub, y, [x, *controls])
        tcrit = stats.t.ppf(1 - alpha / 2, float(fit.df_resid))
        b, s = float(fit.params[x]), float(fit.std_errors[x])
        rows.append({"group": g, "coef": b, "std_error": s, "p_value": float(fit.pvalues[x]),
                     "ci_low": b - tcrit * s, "ci_high": b + tcrit * s, "nobs": int(fit.nobs),
                     "n_units": int(fit.entity_info["total"])})
        zh, en = names.get(g, (g, g))
        cols_est.append(estimates_from_fit(fit, en, y, keep=[x, *controls], rows={"controls": "yes" if controls
                                                                                  else "no", "group": zh}))
    by_group = pd.DataFrame(rows).set_index("group")
    # pooled interaction test: common fixed effects, x × 1[group] for every group but the first
    work = frame.copy()
    gcol = work.index.get_level_values(0).map(gmap)
    inter = []
    for g in order[1:]:
        name = f"{x}×{g}"
        work[name] = work[x] * (gcol == g)
        inter.append(name)
    pfit = fe_fit(work, y, [x, *inter, *controls])
    pooled = wald_test(pfit.params, pfit.cov, inter, n_clusters=int(pfit.entity_info["total"]))
    # Fisher permutation test of each pair
    pair_rows = []
    cols = [y, x, *controls]
    rng = generator(seed)
    for g1, g2 in itertools.combinations(order, 2):
        diff = float(by_group.loc[g1, "coef"] - by_group.loc[g2, "coef"])
        if permutations <= 0:
            pair_rows.append({"group_1": g1, "group_2": g2, "difference": diff, "p_perm": np.nan, "draws": 0})
            continue
        members = [u for u in units if gmap[u] in (g1, g2)]
        sub = frame[frame.index.get_level_values(0).isin(members)]
        sub_units = list(dict.fromkeys(sub.index.get_level_values(0)))
        labels = np.array([gmap[u] == g1 for u in sub_units], dtype=float)
        W1 = np.stack([rng.permutation(labels) for _ in range(permutations)])
        b1 = _group_slopes(sub, cols, W1)
        b2 = _group_slopes(sub, cols, 1.0 - W1)
        d = b1 - b2
        p = float((1 + np.sum(np.abs(d) >= abs(diff) - 1e-12)) / (permutations + 1))
        pair_rows.append({"group_1": g1, "group_2": g2, "difference": diff, "p_perm": p, "draws": permutations})
    return HeterogeneityResult(
        y=y, x=x, controls=controls, groups=gmap, group_names=names, by_group=by_group, columns=cols_est,
        pooled=pooled, pooled_fit=pfit, pairs=pd.DataFrame(pair_rows), permutations=permutations, seed=seed,
        alpha=alpha, notes=notes)


# =========================================================================================================
# study file: [models.<label>] model = "mediation" | "moderation" | "heterogeneity"
# =========================================================================================================
class MediationOptions(Options):
    """``model = "mediation"``: y, x, m (an index, ``index.dimension`` or a panel column), controls, bootstrap draws."""

    y: str
    x: str
    m: str
    controls: tuple[str, ...] = ()
    bootstrap: int = 999
    seed: int = 0
    alpha: float = 0.05


class ModerationOptions(Options):
    """``model = "moderation"``: y, x, the moderator z, controls."""

    y: str
    x: str
    z: str
    controls: tuple[str, ...] = ()
    alpha: float = 0.05


class HeterogeneityOptions(Options):
    """``model = "heterogeneity"``: y, x, controls; groups: "regions" (default, = the bundled "region4"; cities
    and counties through their province), the label of a ``[groups.*]`` entry, another bundled set, or a table
    unit = group."""

    y: str
    x: str
    controls: tuple[str, ...] = ()
    groups: str | dict[str, str] = "regions"
    permutations: int = 500
    seed: int = 0
    alpha: float = 0.05


def _mediation_methods(res: MediationResult, opts: MediationOptions, lang: str) -> str:
    c1 = cite(("baron1986",), lang)
    c2 = cite(("sobel1982",), lang)
    c3 = cite(("preacher2008", "efron1987"), lang)
    c4 = cite(("zhao2010",), lang)
    c5 = cite(("jiang2022",), lang)
    eqs = ("$Y = cX + \\mu_i + \\lambda_t + \\varepsilon$, $M = aX + \\mu_i + \\lambda_t + \\varepsilon$, "
           "$Y = c'X + bM + \\mu_i + \\lambda_t + \\varepsilon$")
    sob = "$z = \\hat a\\hat b / \\sqrt{\\hat b^2 s_a^2 + \\hat a^2 s_b^2}$"
    n = len(res.boot)
    if lang == "zh":
        return (f"采用逐步回归法{c1}检验中介效应：{eqs}（控制变量从略，双向固定效应，按单位聚类标准误）；"
                f"间接效应 $ab$ 以 Sobel 检验{c2} {sob} 与按单位聚类的 {n} 次自助法百分位及偏差校正置信区间{c3}"
                f"判断，并按 Zhao 等{c4}的分类报告中介类型。需要指出{c5}，$b$ 与 $c'$ 仅在中介变量近似外生时"
                "具有因果含义，"
                "故以 $a$ 路径作为机制的主要证据。")
    return (f"Mediation was tested with the stepwise regressions{c1}, {eqs} (controls omitted; two-way fixed effects, "
            f"standard errors clustered by unit); the indirect effect $ab$ was judged by the Sobel test{c2}, {sob}, "
            f"and by percentile and bias-corrected intervals from {n} cluster-bootstrap draws{c3}, and classified "
            f"after Zhao et al.{c4}. Because $b$ and $c'$ are causal only if the mediator is as good as random given "
            f"$X${c5}, the $a$ path is taken as the main evidence of the mechanism.")


def _moderation_methods(res: ModerationResult, opts: ModerationOptions, lang: str) -> str:
    c = cite(("aiken1991",), lang)
    eq = ("$Y = \\beta_1 X_c + \\beta_2 Z_c + \\beta_3 X_c Z_c + \\mu_i + \\lambda_t + \\varepsilon$, "
          "$\\partial Y/\\partial X = \\beta_1 + \\beta_3 Z_c$")
    if lang == "zh":
        return f"调节效应采用中心化交互项模型{c}：{eq}，并报告调节变量取均值及均值 ± 1 个标准差时的简单斜率。"
    return (f"Moderation was estimated with centred interaction terms{c}, {eq}, with simple slopes at the mean of "
            "the moderator and one standard deviation either side.")


def _heterogeneity_methods(res: HeterogeneityResult, opts: HeterogeneityOptions, lang: str) -> str:
    c = cite(("fisher1935", "efron1993"), lang)
    if lang == "zh":
        return (f"异质性分析按组分别估计双向固定效应模型，以交互项联合检验（$H_0$：各组系数相等）与 Fisher 组合（置换）"
                f"检验{c}（组标签在单位间随机置换 {res.permutations} 次）检验组间系数差异。")
    return (f"Heterogeneity: the two-way fixed-effects model was estimated by group; equal coefficients were tested "
            f"with a pooled interaction test and with Fisher permutation tests{c} of each pair (group labels "
            f"permuted across units {res.permutations} times).")


@register_analysis("mediation", options=MediationOptions, result=MediationResult, section="explain", order=20,
                   label=("作用机制：中介效应", "Mechanism: mediation"),
                   refs=("baron1986", "sobel1982", "preacher2008", "efron1987", "zhao2010", "jiang2022"),
                   methods=_mediation_methods)
def _study_mediation(ctx: StudyContext, opts: MediationOptions) -> MediationResult:
    frame = study_frame(ctx, [opts.y, opts.x, opts.m, *opts.controls])
    return mediation(frame, opts.y, opts.x, opts.m, list(opts.controls), bootstrap=opts.bootstrap, seed=opts.seed,
                     alpha=opts.alpha)


@register_analysis("moderation", options=ModerationOptions, result=ModerationResult, section="explain", order=30,
                   label=("调节效应", "Moderation"), refs=("aiken1991",), methods=_moderation_methods)
def _study_moderation(ctx: StudyContext, opts: ModerationOptions) -> ModerationResult:
    frame = study_frame(ctx, [opts.y, opts.x, opts.z, *opts.controls])
    return moderation(frame, opts.y, opts.x, opts.z, list(opts.controls), alpha=opts.alpha)


@register_analysis("heterogeneity", options=HeterogeneityOptions, result=HeterogeneityResult, section="explain",
                   order=40, label=("异质性分析", "Heterogeneity by group"), refs=("fisher1935", "efron1993"),
                   methods=_heterogeneity_methods)
def _study_heterogeneity(ctx: StudyContext, opts: HeterogeneityOptions) -> HeterogeneityResult:
    frame = study_frame(ctx, [opts.y, opts.x, *opts.controls])
    units = [str(u) for u in dict.fromkeys(frame.index.get_level_values(0))]
    groups = ctx.groups(opts.groups, units)
    return heterogeneity(frame, opts.y, opts.x, groups, list(opts.controls), permutations=opts.permutations,
                         seed=opts.seed, alpha=opts.alpha, kind=ctx.panel.kind)
