"""Convergence (收敛性分析): σ-convergence (σ收敛) and absolute / conditional β-convergence (β收敛).

Barro, R. J. & Sala-i-Martin, X. (1992). Convergence. Journal of Political Economy 100(2), 223–251.

- σ-convergence: the dispersion of the index across units falls over time. Reported per year as the
  coefficient of variation ``CV_t = sd_t / mean_t`` and the standard deviation of logs
  ``σ_t = sd(ln y_it)``, each with a linear trend on the year (OLS slope, SE, p).
- β-convergence: units with a low level grow faster. With annual growth ``g_it = ln(y_it / y_i,t−1)``

      g_it = α + β ln y_i,t−1 (+ γ′ X_i,t−1) (+ μ_i + η_t) + ε_it

  absolute β (绝对β收敛) is pooled OLS with a constant; conditional β (条件β收敛) adds unit and year
  fixed effects (two-way FE, linearmodels PanelOLS) and optional controls. β < 0 means convergence;
  the speed is ``λ = −ln(1 + β) / T`` (T = 1 for annual growth) and the half-life ``ln 2 / λ``.
  Standard errors are clustered by unit by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Heading, Preformatted, Table, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.shaping import panel_frame, plain
from nqpf.core.stars import stars
from nqpf.result import IndexResult
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["BetaConvergenceResult", "ConvergenceBundle", "SigmaConvergenceResult", "beta_convergence",
           "sigma_convergence"]


def _verdict(slope: float, p: float) -> tuple[bool, bool]:
    """(convergence, divergence) at 5%: a significant negative or positive slope (or β)."""
    return bool(slope < 0 and p < 0.05), bool(slope > 0 and p < 0.05)


# =============================================================================================
# σ-convergence
# =============================================================================================
@dataclass
class SigmaConvergenceResult(Result):
    """σ-convergence (σ收敛): dispersion across units per year and its trend (Barro & Sala-i-Martin 1992).

    Attributes
    ----------
    table : per year n, mean, sd, cv (= sd / mean) and sd_log (sd of ln y; NaN when a value ≤ 0).
    trend : per measure (cv, sd_log) the OLS slope on the year with se, t, p and the first/last values.
    ddof : the degrees-of-freedom correction of the standard deviations.
    """

    label = ("σ 收敛", "σ-convergence")

    table: pd.DataFrame
    trend: pd.DataFrame
    ddof: int = 0
    column: str = "score"

    @property
    def slope(self) -> float:
        """Trend slope of the coefficient of variation per year."""
        return float(self.trend.loc["cv", "slope"])

    def to_frame(self) -> pd.DataFrame:
        """The per-year table: year, n, mean, sd, cv, sd_log."""
        return self.table.copy()

    def _summary_lines(self, lang: str) -> list[str]:
        """Whether dispersion fell, by how much, and whether the trend is significant."""
        tb = self.table
        y0, y1 = int(tb["year"].iloc[0]), int(tb["year"].iloc[-1])
        zh = lang == "zh"
        lines = [f"{self.column!r} 的 σ 收敛：{len(tb)} 年（{y0}–{y1}），标准差自由度修正 ddof={self.ddof}。" if zh else
                 f"σ-convergence of {self.column!r}, {len(tb)} years ({y0}–{y1}), sd with ddof={self.ddof}."]
        names = ({"cv": "变异系数", "sd_log": "对数标准差"} if zh else
                 {"cv": "coefficient of variation", "sd_log": "sd of logs"})
        for m, row in self.trend.iterrows():
            if not np.isfinite(row["slope"]):
                lines.append(f"{names[str(m)]}：无定义（存在 ≤ 0 的值）。" if zh else
                             f"{names[str(m)]}: not defined (values ≤ 0).")
                continue
            conv, div = _verdict(row["slope"], row["p"])
            if zh:
                verdict = ("σ 收敛（离散程度显著下降）" if conv else "σ 发散（离散程度显著上升）" if div
                           else "趋势不显著")
                lines.append(f"{names[str(m)]}：{y0} 年 {row['first']:.4f} → {y1} 年 {row['last']:.4f}；线性趋势 "
                             f"{row['slope']:+.5f}/年（标准误 {row['se']:.5f}，p = {row['p']:.3g}）：{verdict}。")
                continue
            verdict = ("σ-convergence (dispersion falls significantly)" if conv else
                       "σ-divergence (dispersion rises significantly)" if div else "no significant trend")
            lines.append(
                f"{names[str(m)]}: {row['first']:.4f} in {y0} → {row['last']:.4f} in {y1}; trend "
                f"{row['slope']:+.5f} per year (se {row['se']:.5f}, p = {row['p']:.3g}): {verdict}."
            )
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """The coefficient of variation from the first to the last year and its trend."""
        tb = self.table
        y0, y1 = int(tb["year"].iloc[0]), int(tb["year"].iloc[-1])
        tr = self.trend.loc["cv"]
        conv, div = _verdict(tr["slope"], tr["p"])
        if lang == "zh":
            verdict = "存在 σ 收敛" if conv else "呈 σ 发散" if div else "趋势不显著"
            return [f"变异系数由 {y0} 年的 {num(tb['cv'].iloc[0])} 变为 {y1} 年的 {num(tb['cv'].iloc[-1])},"
                    f"线性趋势 {tr['slope']:+.5f}/年(p = {num(tr['p'], 3)}):{verdict}。"]
        verdict = "σ-convergence" if conv else "σ-divergence" if div else "no significant trend"
        return [f"The coefficient of variation went from {num(tb['cv'].iloc[0])} in {y0} to {num(tb['cv'].iloc[-1])} "
                f"in {y1}; linear trend {tr['slope']:+.5f} a year (p = {num(tr['p'], 3)}): {verdict}."]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The coefficient of variation by year with its fitted linear trend (dashed)."""
        fig, ax = figure_axes(ax, (4.6, 3.0))
        tb = self.table
        x = tb["year"].to_numpy(dtype=float)
        ax.plot(x, tb["cv"].to_numpy(dtype=float), color=OKABE_ITO[5], marker="o", markersize=3, label=t("cv", lang))
        tr = self.trend.loc["cv"]
        if np.isfinite(tr["slope"]):
            ok = tb["cv"].notna().to_numpy()
            a = float(np.mean(tb["cv"].to_numpy()[ok]) - tr["slope"] * np.mean(x[ok]))
            ax.plot(x, a + tr["slope"] * x, color="#555555", ls="--", lw=1,
                    label=f"{tr['slope']:+.5f}/{t('year', lang)} (p = {num(tr['p'], 3)})")
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(t("cv", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="best")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """Coefficient of variation by year (σ-convergence)."""
        import plotly.graph_objects as go

        tb = self.table
        fig = go.Figure(go.Scatter(x=tb["year"], y=tb["cv"], mode="lines+markers", name=t("cv", lang),
                                   line={"color": OKABE_ITO[5]}))
        fig.update_layout(height=320, xaxis={"title": t("year", lang), "dtick": 1}, yaxis={"title": t("cv", lang)},
                          margin={"l": 60, "r": 20, "t": 20, "b": 50})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The σ-convergence heading, the sentence on the CV and its trend, and the CV by year."""
        return [Heading(t("sigma", ctx.lang)), Text(tuple(self.narrative(ctx.lang))),
                *(Figure(f) for f in self.figures(ctx.lang))]


def sigma_convergence(
    result_or_frame: Any, column: str = "score", *, ddof: int = 0
) -> SigmaConvergenceResult:
    """σ-convergence (σ收敛): CV and sd of logs per year with their linear trends.

    Barro & Sala-i-Martin (1992), Journal of Political Economy 100:223-251.

    ``ddof`` = 0 (default) uses the population standard deviation √(Σ(x − x̄)²/n) as in the usual
    σ_t formula; ddof = 1 the sample one. The trend is an OLS of each measure on the year.

    Parameters
    ----------
    result_or_frame : an IndexResult or a tidy frame (unit, year, ``column``).
    column : the value column; ddof : see above.

    Returns
    -------
    SigmaConvergenceResult : ``table`` (one row per year: n, mean, sd, cv, sd_log) and ``trend`` (cv, sd_log).

    Examples
    --------
    >>> f = pd.DataFrame({"unit": np.repeat(list("abc"), 3), "year": np.tile([2020, 2021, 2022], 3),
    ...                   "score": [1.0, 2, 3, 2, 2.5, 3.2, 4, 3.5, 3.4]})
    >>> sigma_convergence(f).table["cv"].round(4).tolist()
    [0.5345, 0.2339, 0.051]
    """
    frame = panel_frame(result_or_frame, column)
    rows = []
    for year, sub in frame.groupby("year", sort=True):
        x = sub["value"].to_numpy()
        if len(x) <= ddof:
            raise DataError(f"year {year}: {len(x)} unit(s); need more than {ddof} for a standard deviation")
        mean = float(x.mean())
        sd = float(x.std(ddof=ddof))
        sd_log = float(np.log(x).std(ddof=ddof)) if (x > 0).all() else np.nan
        rows.append({"year": int(year), "n": len(x), "mean": mean, "sd": sd,
                     "cv": sd / mean if mean != 0 else np.nan, "sd_log": sd_log})
    table = pd.DataFrame(rows)
    trend_rows = {}
    for m in ("cv", "sd_log"):
        ok = table[m].notna().to_numpy()
        if ok.sum() >= 3:
            lr = stats.linregress(table["year"].to_numpy()[ok].astype(float), table[m].to_numpy()[ok])
            slope, se, p = float(lr.slope), float(lr.stderr), float(lr.pvalue)
        else:
            slope = se = p = np.nan
        trend_rows[m] = {"slope": slope, "se": se, "t": slope / se if se else np.nan, "p": p,
                         "first": float(table[m].iloc[0]), "last": float(table[m].iloc[-1])}
    trend = pd.DataFrame.from_dict(trend_rows, orient="index")
    trend.index.name = "measure"
    return SigmaConvergenceResult(table=table, trend=trend, ddof=ddof, column=column)


# =============================================================================================
# β-convergence
# =============================================================================================
@dataclass
class BetaConvergenceResult(Result):
    """β-convergence (β收敛) regression of annual log growth on the initial log level.

    Attributes (Barro & Sala-i-Martin 1992 symbols)
    -----------------------------------------------
    beta, se, t, p : the coefficient of ln y_i,t−1 and its inference.
    lambda_ : speed of convergence λ = −ln(1 + β) / T (T = 1); NaN when β ≥ 0 or β ≤ −1.
    half_life : ln 2 / λ in years (NaN without convergence).
    conditional : False for absolute β (pooled OLS with a constant), True for two-way fixed effects.
    controls : names of the control variables (measured in the start year t−1).
    params : the coefficient table (coef, se, t, p) of every regressor.
    n_obs, n_units, n_periods, r2 : sample sizes and R² (of the demeaned regression under fixed effects).
    cov_type : the covariance estimator (``clustered`` by unit by default).
    model : the linearmodels results object.
    """

    label = ("β 收敛", "β-convergence")

    beta: float
    se: float
    t: float
    p: float
    lambda_: float
    half_life: float
    conditional: bool
    controls: list[str]
    params: pd.DataFrame
    n_obs: int
    n_units: int
    n_periods: int
    r2: float
    cov_type: str
    column: str = "score"
    model: Any = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per regressor (coef, se, t, p) and rows for λ and the half-life."""
        extra = pd.DataFrame(
            {"coef": [self.lambda_, self.half_life], "se": np.nan, "t": np.nan, "p": np.nan},
            index=pd.Index(["lambda", "half_life"]),
        )
        out = pd.concat([self.params, extra])
        out.index.name = "term"
        return out.reset_index()

    def _summary_lines(self, lang: str) -> list[str]:
        """β, its significance, the speed of convergence and the half-life, and the specification."""
        star = stars(self.p)
        conv, div = _verdict(self.beta, self.p)
        if lang == "zh":
            if self.conditional:
                kind = "条件β收敛（个体与时间固定效应" + (f"，控制变量 {'、'.join(self.controls)}）" if self.controls
                                                          else "）")
            else:
                kind = "绝对β收敛"
            verdict = "存在β收敛" if conv else "呈β发散" if div else "无显著的β收敛"
            cov = {"clustered by unit": "按个体聚类"}.get(self.cov_type, self.cov_type)
            lines = [f"{self.column!r} 的{kind}：{self.n_obs} 个单位-年，{self.n_units} 个单位，"
                     f"{self.n_periods} 个增长年份；标准误 {cov}。",
                     f"β = {self.beta:.4f}{star}（标准误 {self.se:.4f}，t = {self.t:.2f}，p = {self.p:.3g}），"
                     f"R² = {self.r2:.3f}：{verdict}。"]
            if np.isfinite(self.lambda_):
                lines.append(f"收敛速度 λ = {self.lambda_:.4f}/年，半衰期 {self.half_life:.1f} 年。")
            return lines
        if self.conditional:
            kind = "conditional (unit and year fixed effects" + (
                f", controls {', '.join(self.controls)})" if self.controls else ")")
        else:
            kind = "absolute"
        verdict = "β-convergence" if conv else "β-divergence" if div else "no significant β-convergence"
        lines = [
            f"{kind[0].upper() + kind[1:]} β-convergence of {self.column!r}: {self.n_obs} unit-years, {self.n_units} "
            f"units, {self.n_periods} growth years; SE {self.cov_type}.",
            f"β = {self.beta:.4f}{star} (se {self.se:.4f}, t = {self.t:.2f}, p = {self.p:.3g}), "
            f"R² = {self.r2:.3f}: {verdict}.",
        ]
        if np.isfinite(self.lambda_):
            lines.append(f"speed of convergence λ = {self.lambda_:.4f} per year, half-life {self.half_life:.1f} "
                         "years.")
        return lines

    def report(self, ctx: ReportContext) -> list[Block]:
        """The summary (β, speed, half-life) as fixed-width text and the coefficient table."""
        return [Preformatted(self.summary(ctx.lang)), Table(self.to_frame(), max_rows=50)]


def _controls_frame(controls: Any, result_or_frame: Any, column: str) -> pd.DataFrame:
    """Controls as a (unit, year, names…) frame: column names of the input, or a frame of their own."""
    if isinstance(controls, str):
        controls = [controls]
    if isinstance(controls, pd.DataFrame):
        df = controls
        if not {"unit", "year"} <= set(df.columns):
            names = [n for n in (df.index.names or []) if n is not None]
            if not {"unit", "year"} <= set(names):
                raise DataError("a controls DataFrame needs unit and year columns (or a (unit, year) index)")
            df = df.reset_index()
        names = [c for c in df.columns if c not in ("unit", "year")]
    elif isinstance(controls, Sequence):
        names = list(controls)
        src = result_or_frame.scores if isinstance(result_or_frame, IndexResult) else result_or_frame
        if not isinstance(src, pd.DataFrame):
            raise DataError("controls given by name need an IndexResult or DataFrame input")
        if not {"unit", "year"} <= set(src.columns):
            src = src.reset_index()
        absent = [c for c in names if c not in src.columns]
        if absent:
            raise DataError(f"control(s) {absent} not found; available columns: {list(src.columns)}")
        df = src[["unit", "year", *names]]
    else:
        raise DataError(f"controls must be column names or a DataFrame, got {type(controls).__name__}")
    if not names:
        raise DataError("controls is empty")
    if column in names:
        raise DataError(f"{column!r} is the dependent variable's level; it cannot also be a control")
    out = df[["unit", "year", *names]].copy()
    out = out.assign(year=pd.to_numeric(out["year"]).astype(int))
    for c in names:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    if out.duplicated(["unit", "year"]).any():
        r = out[out.duplicated(["unit", "year"])].iloc[0]
        raise DataError(f"controls: unit {plain(r['unit'])!r}, year {r['year']} appears twice")
    return out


def beta_convergence(
    result_or_frame: Any,
    conditional: bool = False,
    controls: Sequence[str] | pd.DataFrame | None = None,
    column: str = "score",
    *,
    cov_type: str = "clustered",
    **fit_options: Any,
) -> BetaConvergenceResult:
    """Absolute or conditional β-convergence (绝对/条件β收敛), Barro & Sala-i-Martin (1992).

    Barro & Sala-i-Martin (1992), Journal of Political Economy 100:223-251; linearmodels PanelOLS.

    Growth ``ln(y_t / y_{t−1})`` is formed for consecutive years only (a gap breaks the series).
    Absolute β: pooled OLS with a constant. Conditional β: unit and year fixed effects
    (``PanelOLS(entity_effects=True, time_effects=True)``) plus ``controls`` (column names of the
    input, or a (unit, year, …) DataFrame), taken in the start year t−1. ``cov_type`` defaults to
    standard errors clustered by unit with the small-sample factor G/(G−1)·(N−1)/(N−K), K counting
    the fixed effects (linearmodels ``debiased=True, group_debias=True``; the same numbers as
    statsmodels OLS with unit and year dummies and ``cov_type="cluster"``). ``fit_options`` go to
    ``PanelOLS.fit`` and override these choices.

    Parameters
    ----------
    result_or_frame : an IndexResult or a tidy frame (unit, year, ``column``), values > 0.
    conditional, controls, column, cov_type, fit_options : see above.

    Returns
    -------
    BetaConvergenceResult : β with se, t, p; λ and the half-life; the coefficient table.

    Examples
    --------
    >>> f = pd.DataFrame({"unit": np.repeat(list("abc"), 3), "year": np.tile([2020, 2021, 2022], 3),
    ...                   "score": [1.0, 2, 3, 2, 2.5, 3.2, 4, 3.5, 3.4]})
    >>> b = beta_convergence(f)
    >>> round(b.beta, 4), round(b.half_life, 2)
    (-0.5873, 0.78)
    """
    from linearmodels import PanelOLS

    if controls is not None and not conditional:
        raise MethodError("controls make the β conditional; pass conditional=True with controls")
    frame = panel_frame(result_or_frame, column)
    bad = frame[frame["value"] <= 0]
    if len(bad):
        r = bad.iloc[0]
        raise DataError(
            f"unit {plain(r['unit'])!r}, year {r['year']}: {column!r} = {r['value']} is not positive; β-convergence "
            f"uses logs ({len(bad)} such unit-year(s)) — shift the index or drop them"
        )
    frame = frame.sort_values(["unit", "year"], kind="stable").reset_index(drop=True)
    lny = np.log(frame["value"].to_numpy())
    same = frame["unit"].to_numpy()[1:] == frame["unit"].to_numpy()[:-1]
    consecutive = np.diff(frame["year"].to_numpy()) == 1
    keep = np.flatnonzero(same & consecutive) + 1
    if len(keep) == 0:
        raise DataError("no unit has two consecutive years; β-convergence needs annual growth")
    data = pd.DataFrame({
        "unit": frame["unit"].to_numpy()[keep],
        "year": frame["year"].to_numpy()[keep],
        "start": frame["year"].to_numpy()[keep - 1],
        "growth": lny[keep] - lny[keep - 1],
        "ln_y0": lny[keep - 1],
    })
    names: list[str] = []
    if controls is not None:
        cf = _controls_frame(controls, result_or_frame, column)
        names = [c for c in cf.columns if c not in ("unit", "year")]
        cf = cf.rename(columns={"year": "start"})
        data = data.merge(cf, on=["unit", "start"], how="left", validate="one_to_one")
        miss = data[names].isna().any(axis=1)
        if miss.any():
            r = data[miss].iloc[0]
            c = next(n for n in names if pd.isna(r[n]))
            raise DataError(
                f"control {c!r} is missing for unit {plain(r['unit'])!r}, year {r['start']} ({int(miss.sum())} "
                "growth observation(s) affected); fill or drop them"
            )
    panel = data.set_index(["unit", "year"])
    exog_cols = ["ln_y0", *names]
    if conditional:
        exog = panel[exog_cols]
        model = PanelOLS(panel["growth"], exog, entity_effects=True, time_effects=True)
    else:
        exog = panel[exog_cols].assign(const=1.0)[["const", *exog_cols]]
        model = PanelOLS(panel["growth"], exog)
    opts: dict[str, Any] = dict(fit_options)
    if cov_type == "clustered":
        if "clusters" not in opts:
            opts.setdefault("cluster_entity", True)
        opts.setdefault("group_debias", True)
    try:
        res = model.fit(cov_type=cov_type, **opts)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise MethodError(f"β-convergence regression failed: {exc}") from None
    beta = float(res.params["ln_y0"])
    lam = float(-np.log1p(beta)) if -1 < beta < 0 else np.nan
    params = pd.DataFrame({"coef": res.params, "se": res.std_errors, "t": res.tstats, "p": res.pvalues})
    r2 = float(res.rsquared)
    return BetaConvergenceResult(
        beta=beta, se=float(res.std_errors["ln_y0"]), t=float(res.tstats["ln_y0"]),
        p=float(res.pvalues["ln_y0"]), lambda_=lam,
        half_life=float(np.log(2) / lam) if np.isfinite(lam) else np.nan,
        conditional=conditional, controls=names, params=params, n_obs=int(res.nobs),
        n_units=int(data["unit"].nunique()), n_periods=int(data["year"].nunique()), r2=r2,
        cov_type=cov_type + (" by unit" if cov_type == "clustered" and opts.get("cluster_entity") else ""),
        column=column, model=res,
    )


# ---------------------------------------------------------------------------------------------
# study file: [analyses.convergence]
# ---------------------------------------------------------------------------------------------
class ConvergenceBundle(Result):
    """σ-convergence with absolute and conditional β-convergence of one index (Barro & Sala-i-Martin 1992)."""

    label = ("收敛性分析", "Convergence")

    def __init__(self, sigma: SigmaConvergenceResult, beta_absolute: BetaConvergenceResult,
                 beta_conditional: BetaConvergenceResult) -> None:
        self.sigma = sigma
        self.beta_absolute = beta_absolute
        self.beta_conditional = beta_conditional

    def to_frame(self) -> pd.DataFrame:
        return self.sigma.to_frame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The σ table (main) and both β regressions (``beta``, with a column ``model``)."""
        return {"": self.sigma.to_frame(), "beta": pd.concat(
            [self.beta_absolute.to_frame().assign(model="absolute"),
             self.beta_conditional.to_frame().assign(model="conditional")], ignore_index=True)}

    def _summary_lines(self, lang: str) -> list[str]:
        return [*self.sigma._summary_lines(lang), *self.beta_absolute._summary_lines(lang),
                *self.beta_conditional._summary_lines(lang)]

    def narrative(self, lang: str = "en") -> list[str]:
        return self.sigma.narrative(lang)

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The coefficient of variation by year (σ-convergence)."""
        return self.sigma.plot(ax, lang)

    def figures(self, lang: str = "en") -> list[Any]:
        return self.sigma.figures(lang)

    def report(self, ctx: ReportContext) -> list[Block]:
        """σ-convergence (sentence and figure), then each β regression (summary and coefficients)."""
        return [*self.sigma.report(ctx), *self.beta_absolute.report(ctx), *self.beta_conditional.report(ctx)]


class ConvergenceOptions(Options):
    """``[analyses.convergence]``: the index."""

    index: str | None = None


def _convergence_tables(res: ConvergenceBundle, used: list[str]) -> dict[str, pd.DataFrame]:
    tables = res.tables()
    return {f"sigma_convergence_{used[0]}": tables[""], f"beta_convergence_{used[0]}": tables["beta"]}


def _convergence_methods(res: ConvergenceBundle, opts: ConvergenceOptions, lang: str) -> str:
    c = cite(("barro1992",), lang)
    growth = "$\\ln(y_{i,t}/y_{i,t-1}) = \\alpha + \\beta\\ln y_{i,t-1} + \\varepsilon_{it}$"
    if lang == "zh":
        return (f"σ收敛{c}以各年变异系数 $CV_t = \\sigma_t/\\bar y_t$ 及对数标准差衡量，并检验其线性时间趋势。"
                f"β收敛{c}以年度对数增长率对期初对数水平回归检验，{growth}，"
                "绝对β收敛（含常数项的混合 OLS）与条件β收敛（个体与时间双向固定效应）；"
                "$\\beta < 0$ 表示收敛，收敛速度 $\\lambda = -\\ln(1+\\beta)$，半衰期 $\\ln 2/\\lambda$；"
                "标准误按个体聚类。")
    return (f"σ-convergence{c} was assessed by the yearly coefficient of variation $CV_t = \\sigma_t/\\bar y_t$ "
            "and the standard deviation of logs, with a linear time trend. "
            f"β-convergence{c} was tested by regressing annual log growth on the initial log level, {growth}, "
            "absolute (pooled OLS with a constant) and conditional (unit and year fixed effects); "
            "$\\beta < 0$ indicates convergence, with speed $\\lambda = -\\ln(1+\\beta)$ and half-life "
            "$\\ln 2/\\lambda$; standard errors clustered by unit.")


@register_analysis("convergence", options=ConvergenceOptions, result=ConvergenceBundle, section="disparity",
                   order=70, label=("收敛性分析：σ 收敛与 β 收敛", "Convergence: σ and β"), refs=("barro1992",),
                   tables=_convergence_tables, methods=_convergence_methods)
def _study_convergence(ctx: StudyContext, opts: ConvergenceOptions) -> ConvergenceBundle:
    _, res = ctx.index(opts.index)
    return ConvergenceBundle(sigma_convergence(res), beta_convergence(res, conditional=False),
                             beta_convergence(res, conditional=True))
