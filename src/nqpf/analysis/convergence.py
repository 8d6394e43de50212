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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.errors import DataError, MethodError
from nqpf.core.interface import Result
from nqpf.core.shaping import panel_frame, plain
from nqpf.core.stars import stars

__all__ = ["BetaConvergenceResult", "SigmaConvergenceResult", "beta_convergence", "sigma_convergence"]


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

    def summary(self) -> str:
        """Whether dispersion fell, by how much, and whether the trend is significant."""
        t = self.table
        y0, y1 = int(t["year"].iloc[0]), int(t["year"].iloc[-1])
        lines = [f"σ-convergence of {self.column!r}, {len(t)} years ({y0}–{y1}), sd with ddof={self.ddof}."]
        names = {"cv": "coefficient of variation", "sd_log": "sd of logs"}
        for m, row in self.trend.iterrows():
            if not np.isfinite(row["slope"]):
                lines.append(f"{names[str(m)]}: not defined (values ≤ 0).")
                continue
            if row["p"] < 0.05:
                verdict = ("σ-convergence (dispersion falls significantly)" if row["slope"] < 0
                           else "σ-divergence (dispersion rises significantly)")
            else:
                verdict = "no significant trend"
            lines.append(
                f"{names[str(m)]}: {row['first']:.4f} in {y0} → {row['last']:.4f} in {y1}; trend "
                f"{row['slope']:+.5f} per year (se {row['se']:.5f}, p = {row['p']:.3g}): {verdict}."
            )
        return "\n".join(lines)


def sigma_convergence(
    result_or_frame: Any, column: str = "score", *, ddof: int = 0
) -> SigmaConvergenceResult:
    """σ-convergence (σ收敛): CV and sd of logs per year with their linear trends.

    Barro & Sala-i-Martin (1992), Journal of Political Economy 100:223-251.

    ``ddof`` = 0 (default) uses the population standard deviation √(Σ(x − x̄)²/n) as in the usual
    σ_t formula; ddof = 1 the sample one. The trend is an OLS of each measure on the year.
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

    def summary(self) -> str:
        """β, its significance, the speed of convergence and the half-life, and the specification."""
        if self.conditional:
            kind = "conditional (unit and year fixed effects" + (
                f", controls {', '.join(self.controls)})" if self.controls else ")")
        else:
            kind = "absolute"
        star = stars(self.p)
        verdict = ("β-convergence" if self.beta < 0 and self.p < 0.05 else
                   "β-divergence" if self.beta > 0 and self.p < 0.05 else "no significant β-convergence")
        lines = [
            f"{kind[0].upper() + kind[1:]} β-convergence of {self.column!r}: {self.n_obs} unit-years, {self.n_units} "
            f"units, {self.n_periods} growth years; SE {self.cov_type}.",
            f"β = {self.beta:.4f}{star} (se {self.se:.4f}, t = {self.t:.2f}, p = {self.p:.3g}), "
            f"R² = {self.r2:.3f}: {verdict}.",
        ]
        if np.isfinite(self.lambda_):
            lines.append(f"speed of convergence λ = {self.lambda_:.4f} per year, half-life {self.half_life:.1f} "
                         "years.")
        return "\n".join(lines)


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
        from nqpf.result import IndexResult

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
    """σ-convergence with absolute and conditional β-convergence of one index."""

    label = ("收敛性分析", "Convergence")

    def __init__(self, sigma: SigmaConvergenceResult, beta_absolute: BetaConvergenceResult,
                 beta_conditional: BetaConvergenceResult) -> None:
        self.sigma = sigma
        self.beta_absolute = beta_absolute
        self.beta_conditional = beta_conditional

    def to_frame(self) -> pd.DataFrame:
        return self.sigma.to_frame()

    def _summary_lines(self, lang: str) -> list[str]:
        return [self.sigma.summary(), self.beta_absolute.summary(), self.beta_conditional.summary()]


class ConvergenceOptions(Options):
    """``[analyses.convergence]``: the index."""

    index: str | None = None


def _convergence_tables(res: ConvergenceBundle, used: list[str]) -> dict[str, pd.DataFrame]:
    name = used[0]
    return {f"sigma_convergence_{name}": res.sigma.to_frame(),
            f"beta_convergence_{name}": pd.concat(
                [res.beta_absolute.to_frame().assign(model="absolute"),
                 res.beta_conditional.to_frame().assign(model="conditional")], ignore_index=True)}


@register_analysis("convergence", options=ConvergenceOptions, result=ConvergenceBundle, section="disparity",
                   order=70, label=("收敛性分析：σ 收敛与 β 收敛", "Convergence: σ and β"), refs=("barro1992",),
                   tables=_convergence_tables)
def _study_convergence(ctx: StudyContext, opts: ConvergenceOptions) -> ConvergenceBundle:
    _, res = ctx.index(opts.index)
    return ConvergenceBundle(sigma_convergence(res), beta_convergence(res, conditional=False),
                             beta_convergence(res, conditional=True))
