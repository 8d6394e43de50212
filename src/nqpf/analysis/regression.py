"""Fixed-effects panel regression of HQD on NQPF 面板固定效应回归 (linearmodels PanelOLS), esttab-style table.

One specification per lag of the core regressor x: lag 0 regresses y_it on x_it, lag 1 on
x_i,t-1 (the value of the same unit in calendar year t - 1; a unit-year whose previous year is
absent has no lag and drops out), always with the same controls (contemporaneous), unit and year
effects and clustered standard errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core import expr
from nqpf.core.blocks import Block, Figure, Preformatted, Table, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import join, num
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.stars import stars
from nqpf.result import IndexResult
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["RegressionResult", "panel_regression", "stars"]

CLUSTERS = ("entity", "time", "both", "robust", None)
#: The covariance descriptions of :func:`_cov_options` in Chinese (longest first).
_COV_ZH = (
    ("two-way clustered by unit and year", "按个体与年份双向聚类"),
    ("clustered by unit", "按个体聚类"),
    ("clustered by year", "按年份聚类"),
    ("heteroskedasticity-robust", "异方差稳健"),
    ("conventional (homoskedastic)", "常规（同方差）"),
    ("; pooled OLS with a constant", "；含常数项的混合 OLS"),
    (", small-sample factor", "，小样本校正因子"),
    ("K = regressors + counted effects", "K = 解释变量数 + 计入的固定效应数"),
    (" (PanelOLS.fit options", "（PanelOLS.fit 选项"),
)


def _p(p: float) -> str:
    """A p-value in running text: "= 0.013" or "< 0.001"."""
    return "< 0.001" if p < 0.001 else f"= {num(p, 3)}"


def _lag_name(name: str, lag: int) -> str:
    if lag == 0:
        return name
    return f"L.{name}" if lag == 1 else f"L{lag}.{name}"


@dataclass
class RegressionResult(Result):
    """Fixed-effects estimates, one column per specification (like Stata's esttab).

    Attributes
    ----------
    params, std_errors, tstats, pvalues : DataFrames, one row per regressor, one column per
        specification ("(1)", "(2)", …); NaN where a regressor is not in a specification.
    nobs, rsquared_within, n_units, n_years : Series by specification.
    specs : per specification its label, lag of x, regressor name, covariance description.
    models : the fitted linearmodels PanelEffectsResults, by specification label.
    y_name, x_name, controls : the variable names.
    entity_effects, time_effects, cluster : the choices made.
    notes : dropped observations, how the SEs are corrected.
    digits : decimals of the table in the summary (see :meth:`table` for other choices).
    """

    params: pd.DataFrame
    std_errors: pd.DataFrame
    tstats: pd.DataFrame
    pvalues: pd.DataFrame
    nobs: pd.Series
    rsquared_within: pd.Series
    n_units: pd.Series
    n_years: pd.Series
    specs: list[dict[str, Any]]
    models: dict[str, Any]
    y_name: str
    x_name: str
    controls: list[str]
    entity_effects: bool
    time_effects: bool
    cluster: str | None
    notes: list[str] = field(default_factory=list)
    digits: int = 4

    label = ("双向固定效应面板回归", "Two-way fixed-effects panel regression")

    def to_frame(self) -> pd.DataFrame:
        """Tidy numeric table: one row per specification and regressor, with the model statistics."""
        rows = []
        for sp in self.specs:
            lab = sp["label"]
            for var in self.params.index:
                b = self.params.loc[var, lab]
                if not np.isfinite(b):
                    continue
                p = float(self.pvalues.loc[var, lab])
                rows.append({
                    "spec": lab, "lag": sp["lag"], "dependent": self.y_name, "variable": var, "coef": float(b),
                    "std_error": float(self.std_errors.loc[var, lab]), "t": float(self.tstats.loc[var, lab]),
                    "p_value": p, "stars": stars(p), "nobs": int(self.nobs[lab]),
                    "r2_within": float(self.rsquared_within[lab]), "n_units": int(self.n_units[lab]),
                    "unit_fe": self.entity_effects, "year_fe": self.time_effects, "cov": sp["cov"],
                })
        return pd.DataFrame(rows)

    def table(self, digits: int | None = None, lang: str = "en") -> pd.DataFrame:
        """The esttab-style table as strings: coefficient with stars, (standard error) below, then the fixed
        effects, N, within R² and the number of units (row labels in ``lang``; ``digits`` default
        :attr:`digits`)."""
        d = self.digits if digits is None else int(digits)
        zh = lang == "zh"
        labels = [sp["label"] for sp in self.specs]
        out: dict[str, list[str]] = {lab: [] for lab in labels}
        index: list[str] = []
        for var in self.params.index:
            index += [var, ""]
            for lab in labels:
                b = self.params.loc[var, lab]
                if np.isfinite(b):
                    out[lab].append(f"{b:.{d}f}{stars(float(self.pvalues.loc[var, lab]))}")
                    out[lab].append(f"({self.std_errors.loc[var, lab]:.{d}f})")
                else:
                    out[lab] += ["", ""]
        yes, no = ("是", "否") if zh else ("Yes", "No")
        extra = [
            ("个体固定效应" if zh else "Unit FE", lambda lab: yes if self.entity_effects else no),
            ("年份固定效应" if zh else "Year FE", lambda lab: yes if self.time_effects else no),
            ("N", lambda lab: f"{int(self.nobs[lab])}"),
            ("组内 R²" if zh else "Within R²", lambda lab: f"{self.rsquared_within[lab]:.{d}f}"),
            ("个体数" if zh else "Units", lambda lab: f"{int(self.n_units[lab])}"),
        ]
        for name, fn in extra:
            index.append(name)
            for lab in labels:
                out[lab].append(fn(lab))
        df = pd.DataFrame(out, index=index)
        df.index.name = self.y_name
        return df

    def _summary_lines(self, lang: str) -> list[str]:
        """The usual regression table with a footnote on the standard errors."""
        cov = self._cov(lang)
        if lang == "zh":
            head = f"被解释变量：{self.y_name}；核心解释变量：{self.x_name}"
            foot = [f"括号内为标准误：{cov}。", "*** p<0.01, ** p<0.05, * p<0.1"]
            notes = [f"说明：{n}" for n in self.notes]
        else:
            head = f"Dependent variable: {self.y_name}; core regressor: {self.x_name}"
            foot = [f"Standard errors in parentheses: {cov}.", "*** p<0.01, ** p<0.05, * p<0.1"]
            notes = [f"note: {n}" for n in self.notes]
        return [head, self.table(lang=lang).to_string(), *foot, *notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """The coefficient of the core regressor (or its lag) in each specification, with SE, p and stars."""
        zh = lang == "zh"
        parts = []
        within = self.entity_effects or self.time_effects
        r2 = ("组内 R²" if within else "R²") if zh else ("within R²" if within else "R²")
        for sp in self.specs:
            lab, var = sp["label"], sp["regressor"]
            b, se = float(self.params.loc[var, lab]), float(self.std_errors.loc[var, lab])
            p = float(self.pvalues.loc[var, lab])
            if zh:
                parts.append(f"设定 {lab} 中 {var} 的系数为 {num(b)}{stars(p)}（标准误 {num(se)}，p {_p(p)}，"
                             f"N = {int(self.nobs[lab])}，{r2} = {num(self.rsquared_within[lab], 3)}）")
            else:
                parts.append(f"in specification {lab} the coefficient of {var} is {num(b)}{stars(p)} (SE {num(se)}, "
                             f"p {_p(p)}, N = {int(self.nobs[lab])}, {r2} {num(self.rsquared_within[lab], 3)})")
        fe = [w for w, on in ((("个体" if zh else "unit"), self.entity_effects),
                              (("年份" if zh else "year"), self.time_effects)) if on]
        if zh:
            fx = f"控制{'与'.join(fe)}固定效应" if fe else "混合 OLS（含常数项）"
            ctrl = f"，控制变量：{'、'.join(self.controls)}" if self.controls else ""
            return [f"以 {self.y_name} 为被解释变量、{self.x_name} 为核心解释变量的面板回归（{fx}{ctrl}）："
                    + "；".join(parts) + "。", f"标准误：{self._cov(lang)}；*** p<0.01，** p<0.05，* p<0.1。"]
        fx = f"{' and '.join(fe)} fixed effects" if fe else "pooled OLS with a constant"
        ctrl = f", controls {join(self.controls, lang)}" if self.controls else ""
        text = "; ".join(parts)
        return [f"Panel regression of {self.y_name} on {self.x_name} ({fx}{ctrl}): {text[0].upper()}{text[1:]}.",
                f"Standard errors: {self._cov(lang)}; *** p<0.01, ** p<0.05, * p<0.1."]

    def _cov(self, lang: str) -> str:
        """How the standard errors were computed, in ``lang``."""
        cov = str(self.specs[0]["cov"])
        if lang == "zh":
            for en, zh in _COV_ZH:
                cov = cov.replace(en, zh)
        return cov

    # -- figures -------------------------------------------------------------------------------
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficients with confidence intervals: spec, variable, coef, low, high (no constant).

        From linearmodels' ``conf_int`` of each fitted model (the covariance chosen); without the models,
        a normal approximation.
        """
        rows = []
        zq = float(stats.norm.ppf(0.5 + level / 2))
        for sp in self.specs:
            lab = sp["label"]
            model = self.models.get(lab)
            ci = model.conf_int(level=level) if model is not None else None
            for var in self.params.index:
                b = float(self.params.loc[var, lab])
                if var == "const" or not np.isfinite(b):
                    continue
                if ci is not None and var in ci.index:
                    lo, hi = float(ci.loc[var].iloc[0]), float(ci.loc[var].iloc[1])
                else:
                    se = float(self.std_errors.loc[var, lab])
                    lo, hi = b - zq * se, b + zq * se
                rows.append({"spec": lab, "variable": var, "coef": b, "low": lo, "high": hi})
        return pd.DataFrame(rows, columns=["spec", "variable", "coef", "low", "high"])

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Coefficient plot: each regressor's estimate with its 95 % confidence interval, by specification."""
        ci = self.conf_int()
        variables = list(dict.fromkeys(ci["variable"]))
        labels = [sp["label"] for sp in self.specs]
        fig, ax = figure_axes(ax, (5.2, max(2.2, 0.45 * len(variables) * max(1, len(labels)) ** 0.5 + 1.0)))
        step = 0.7 / max(1, len(labels))
        for k, lab in enumerate(labels):
            sub = ci[ci["spec"] == lab]
            y = np.array([variables.index(v) for v in sub["variable"]], dtype=float)
            y += (k - (len(labels) - 1) / 2) * step
            color = OKABE_ITO[(4 + k) % len(OKABE_ITO)]
            ax.errorbar(sub["coef"], y, xerr=[sub["coef"] - sub["low"], sub["high"] - sub["coef"]], fmt="o", ms=4,
                        color=color, capsize=0, lw=1.2, label=lab)
        ax.axvline(0, color="#888888", lw=0.6, ls="--")
        ax.set_yticks(range(len(variables)), labels=variables)
        ax.invert_yaxis()
        ax.set_xlabel(("系数（95% 置信区间），被解释变量 " if lang == "zh" else "Coefficient (95% CI), dependent ")
                      + self.y_name)
        ax.tick_params(axis="y", length=0)
        if len(labels) > 1:
            ax.legend(loc="best")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """Interactive coefficient plot (estimates with 95 % confidence intervals, by specification)."""
        import plotly.graph_objects as go

        ci = self.conf_int()
        fig = go.Figure()
        for k, sp in enumerate(self.specs):
            sub = ci[ci["spec"] == sp["label"]]
            fig.add_trace(go.Scatter(
                x=sub["coef"], y=sub["variable"], mode="markers", name=sp["label"],
                marker={"size": 9, "color": OKABE_ITO[(4 + k) % len(OKABE_ITO)]},
                error_x={"type": "data", "symmetric": False, "array": sub["high"] - sub["coef"],
                         "arrayminus": sub["coef"] - sub["low"], "thickness": 1.5, "width": 0},
                hovertemplate="%{y}: %{x:.4f}<extra>" + sp["label"] + "</extra>"))
        fig.add_vline(x=0, line_dash="dot", line_color="#888")
        n = ci["variable"].nunique()
        fig.update_layout(height=max(260, 60 * n + 120), scattermode="group",
                          xaxis={"title": ("系数（95% 置信区间）" if lang == "zh" else "Coefficient (95% CI)")},
                          yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.2},
                          margin={"l": 120, "r": 20, "t": 20, "b": 60})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, the coefficient plot, the regression table and the tidy estimates."""
        lang = ctx.lang
        return [Text(tuple(self.narrative(lang))), *(Figure(f) for f in self.figures(lang)),
                Preformatted(self.summary(lang)), Table(self.to_frame(), max_rows=50)]

    def __repr__(self) -> str:
        coefs = ", ".join(f"{sp['label']} {sp['regressor']}={self.params.loc[sp['regressor'], sp['label']]:.4g}"
                          for sp in self.specs)
        return f"RegressionResult({self.y_name} on {self.x_name}: {coefs})"


# ---------------------------------------------------------------------------------------------


def _as_series(obj: Any, role: str, default: str) -> pd.Series:
    if isinstance(obj, IndexResult):
        s = obj.score_series()
    elif isinstance(obj, pd.Series):
        s = obj if obj.name is not None else obj.rename(default)
    elif isinstance(obj, pd.DataFrame) and obj.shape[1] == 1:
        s = obj.iloc[:, 0]
    else:
        raise DataError(f"{role} must be an IndexResult or a Series indexed by (unit, year), got {type(obj).__name__}")
    return _check_index(s.astype(float), f"{role} '{s.name}'")


def _check_index(obj: Any, what: str) -> Any:
    idx = obj.index
    if not isinstance(idx, pd.MultiIndex) or idx.nlevels != 2:
        raise DataError(f"{what} must be indexed by (unit, year) (a 2-level MultiIndex), "
                        "e.g. df.set_index(['unit', 'year'])")
    years = idx.get_level_values(1)
    try:
        yi = np.asarray(years, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{what}: the second index level must hold integer years, got e.g. {years[0]!r}") from None
    if not np.all(np.isfinite(yi)) or not np.all(yi == np.round(yi)):
        raise DataError(f"{what}: the second index level must hold integer years")
    obj = obj.copy()
    obj.index = pd.MultiIndex.from_arrays([idx.get_level_values(0), yi.astype(np.int64)], names=["unit", "year"])
    dup = obj.index.duplicated()
    if dup.any():
        shown = ", ".join(f"{u} {y}" for u, y in obj.index[dup][:5])
        raise DataError(f"{what} has duplicate unit-years: {shown}")
    return obj


def _cov_options(cluster: str | None) -> tuple[dict[str, Any], str]:
    if cluster == "entity":
        return ({"cov_type": "clustered", "cluster_entity": True, "group_debias": True},
                "clustered by unit")
    if cluster == "time":
        return ({"cov_type": "clustered", "cluster_time": True, "group_debias": True}, "clustered by year")
    if cluster == "both":
        return ({"cov_type": "clustered", "cluster_entity": True, "cluster_time": True, "group_debias": True},
                "two-way clustered by unit and year")
    if cluster == "robust":
        return {"cov_type": "robust"}, "heteroskedasticity-robust"
    if cluster is None:
        return {"cov_type": "unadjusted"}, "conventional (homoskedastic)"
    raise MethodError(f"unknown cluster {cluster!r}; use one of {list(CLUSTERS)}")


def panel_regression(
    y: Any,
    x: Any,
    controls: pd.DataFrame | pd.Series | None = None,
    entity_effects: bool = True,
    time_effects: bool = True,
    cluster: str | None = "entity",
    lags: Sequence[int] = (0, 1),
    fit_kwargs: Mapping[str, Any] | None = None,
) -> RegressionResult:
    """Two-way fixed-effects regression y_it = β·x_i,t-L + γ'controls_it + μ_i + λ_t + ε_it, one column per lag L.

    Reference: within estimator with cluster-robust SEs (Cameron & Miller 2015, J. Human Resources
    50(2):317-372), fitted by linearmodels PanelOLS (Sheppard, linearmodels).

    Parameters
    ----------
    y, x : IndexResults (their ``score``) or Series indexed by (unit, year) — typically HQD and NQPF.
    controls : DataFrame (or Series) indexed by (unit, year), e.g. columns of the panel; a flat frame
        with ``unit`` and ``year`` columns is also accepted. Controls enter contemporaneously.
    entity_effects, time_effects : unit and year fixed effects (absorbed, not estimated as dummies).
        Without any effect a constant is added.
    cluster : "entity" (default, by unit), "time", "both", "robust" or None (conventional SEs).
    lags : the lags of x, one specification each; lag L uses x of calendar year t - L of the same unit
        (by year value, not by row, so a gap in the years leaves the lag missing).
    fit_kwargs : passed on to ``PanelOLS.fit`` (e.g. ``{"debiased": False}``), overriding ours.

    Standard errors: linearmodels' clustered covariance with ``debiased=True`` and
    ``group_debias=True``, i.e. the sandwich scaled by G/(G-1)·(n-1)/(n-K). With linearmodels' automatic
    rule, K counts the regressors plus every absorbed effect (N units + T years - 1) when there are two
    effects — the same small-sample factor as OLS with unit and year dummies (statsmodels
    ``cov_type="cluster"``, Stata ``areg``/``reg … i.unit i.year, vce(cluster unit)``); with unit effects
    only, clustered by unit, the unit effects are nested in the clusters and not counted (Stata
    ``xtreg, fe vce(cluster unit)`` up to its constant). Stata's ``xtreg y x i.year, fe vce(cluster)`` does
    not count the unit effects in K either, so its SEs are smaller than ours by the factor
    sqrt((n-K_ours)/(n-K_xtreg)) — a few percent on a provincial panel. p-values use the t distribution
    with the model's residual degrees of freedom (linearmodels), not t(G-1) as Stata does.

    Within R² is linearmodels' ``rsquared``: the R² of y on the regressors after the fixed effects are
    partialled out (reghdfe's "Within R-sq."; with unit effects only, Stata xtreg,fe "R-sq within").

    Returns
    -------
    RegressionResult: params, std_errors, tstats, pvalues (regressors × specifications) and the fits.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(8)], range(2010, 2018)], names=["unit", "year"])
    >>> x = pd.Series(rng.normal(size=len(idx)), idx, name="nqpf")
    >>> y = (0.5 * x + rng.normal(scale=0.1, size=len(idx))).rename("hqd")
    >>> r = panel_regression(y, x, lags=(0,))
    >>> round(float(r.params.loc["nqpf", "(1)"]), 1)
    0.5
    """
    from linearmodels import PanelOLS

    ys = _as_series(y, "y", "y")
    xs = _as_series(x, "x", "x")
    y_name, x_name = str(ys.name), str(xs.name)
    if x_name == y_name:
        x_name = f"{x_name}_x"
        xs = xs.rename(x_name)
    ctrl = None
    ctrl_names: list[str] = []
    if controls is not None:
        c = controls.to_frame() if isinstance(controls, pd.Series) else controls
        if not isinstance(c, pd.DataFrame):
            raise DataError(f"controls must be a DataFrame indexed by (unit, year), got {type(controls).__name__}")
        if not isinstance(c.index, pd.MultiIndex) and {"unit", "year"} <= set(c.columns):
            c = c.set_index(["unit", "year"])
        c = _check_index(c, "controls")
        nonnum = [col for col in c.columns if not pd.api.types.is_numeric_dtype(c[col])]
        if nonnum:
            raise DataError(f"controls {nonnum} are not numeric")
        ctrl_names = [str(col) for col in c.columns]
        clash = {y_name, x_name} & set(ctrl_names)
        if clash:
            raise DataError(f"controls {sorted(clash)} have the same name as y or x; rename them")
        ctrl = c.astype(float)
        ctrl.columns = ctrl_names
    lags = [int(L) for L in lags]
    if not lags or any(L < 0 for L in lags) or len(set(lags)) != len(lags):
        raise MethodError(f"lags must be distinct non-negative integers, got {list(lags)}")
    cov, cov_text = _cov_options(cluster)
    fit_opts: dict[str, Any] = {"debiased": True, **cov, **(dict(fit_kwargs) if fit_kwargs else {})}
    if not entity_effects and not time_effects:
        cov_text += "; pooled OLS with a constant"
    if fit_kwargs:
        cov_text += f" (PanelOLS.fit options {fit_opts})"
    elif fit_opts.get("cov_type") == "clustered":
        cov_text += ", small-sample factor G/(G-1)·(n-1)/(n-K), K = regressors + counted effects"

    base = ys.to_frame()
    common = base.index.intersection(xs.index)
    notes: list[str] = []
    if len(common) == 0:
        raise DataError(f"y '{y_name}' and x '{x_name}' share no unit-year; check that units are spelled alike "
                        f"(y has e.g. {ys.index[0]}, x has e.g. {xs.index[0]})")
    vars_all: list[str] = []
    specs: list[dict[str, Any]] = []
    models: dict[str, Any] = {}
    res_p, res_se, res_t, res_pv = {}, {}, {}, {}
    nobs, r2w, nunits, nyears = {}, {}, {}, {}
    for k, L in enumerate(lags):
        label = f"({k + 1})"
        xname = _lag_name(x_name, L)
        shifted = xs.copy()
        shifted.index = pd.MultiIndex.from_arrays(
            [xs.index.get_level_values(0), xs.index.get_level_values(1) + L], names=["unit", "year"])
        df = base.join(shifted.rename(xname), how="left")
        if ctrl is not None:
            df = df.join(ctrl, how="left")
        n0 = len(df)
        df = df.dropna()
        if n0 - len(df):
            why = f"no {xname} (no value for year t-{L})" if L else "missing x"
            notes.append(f"{label}: {n0 - len(df)} of {n0} unit-years of y dropped ({why} or missing controls)")
        if df.empty:
            raise DataError(f"specification {label} ({xname}) has no complete observation")
        if df.index.get_level_values(0).nunique() < 2 and fit_opts.get("cov_type") == "clustered":
            raise DataError(f"specification {label} has a single unit; clustered SEs need at least two units")
        exog_cols = [xname, *ctrl_names]
        exog = df[exog_cols]
        if not entity_effects and not time_effects:
            exog = exog.assign(const=1.0)[["const", *exog_cols]]
        model = PanelOLS(df[y_name], exog, entity_effects=entity_effects, time_effects=time_effects)
        try:
            fit = model.fit(**fit_opts)
        except Exception as exc:  # linearmodels raises ValueError/AbsorbingEffectError with its own text
            raise MethodError(f"specification {label} ({y_name} on {', '.join(exog_cols)}): {exc}") from exc
        models[label] = fit
        for v in fit.params.index:
            if v not in vars_all:
                vars_all.append(v)
        res_p[label], res_se[label] = fit.params, fit.std_errors
        res_t[label], res_pv[label] = fit.tstats, fit.pvalues
        nobs[label] = int(fit.nobs)
        r2w[label] = float(fit.rsquared)
        nunits[label] = int(fit.entity_info["total"])
        nyears[label] = int(fit.time_info["total"])
        specs.append({"label": label, "lag": L, "regressor": xname, "cov": cov_text})
    core = [sp["regressor"] for sp in specs]
    order = core + [v for v in vars_all if v not in core and v != "const"] + (["const"] if "const" in vars_all else [])
    labels = [sp["label"] for sp in specs]

    def frame(d: dict[str, pd.Series]) -> pd.DataFrame:
        return pd.DataFrame({lab: d[lab].reindex(order) for lab in labels}, index=order)

    return RegressionResult(
        params=frame(res_p), std_errors=frame(res_se), tstats=frame(res_t), pvalues=frame(res_pv),
        nobs=pd.Series(nobs), rsquared_within=pd.Series(r2w), n_units=pd.Series(nunits),
        n_years=pd.Series(nyears), specs=specs, models=models, y_name=y_name, x_name=x_name,
        controls=ctrl_names, entity_effects=entity_effects, time_effects=time_effects, cluster=cluster,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# study file: [analyses.regression]
# ---------------------------------------------------------------------------------------------
class RegressionOptions(Options):
    """``[analyses.regression]``: y (an hqd index), x (an nqpf index), controls (name = expression on the
    panel), the lags of x, the clustering."""

    y: str | None = None
    x: str | None = None
    controls: dict[str, str] | None = None
    lags: list[int] | None = None
    cluster: Literal["entity", "time", "both", "robust"] = "entity"


def _regression_methods(res: RegressionResult, opts: RegressionOptions, lang: str) -> str:
    """The methods.md paragraph: the two-way fixed-effects equation and the clustered standard errors."""
    c = cite(("cameron2015",), lang)
    if lang == "zh":
        return (f"采用双向固定效应面板回归{c}估计指数间关系，"
                "$y_{it} = \\beta x_{i,t-L} + \\gamma' c_{it} + \\mu_i + \\lambda_t + \\varepsilon_{it}$，"
                "标准误为聚类稳健标准误。")
    return (f"The relation between the indices was estimated by two-way fixed-effects panel regressions{c}, "
            "$y_{it} = \\beta x_{i,t-L} + \\gamma' c_{it} + \\mu_i + \\lambda_t + \\varepsilon_{it}$, with "
            "cluster-robust standard errors.")


@register_analysis("regression", options=RegressionOptions, result=RegressionResult, section="hqd", order=30,
                   label=("双向固定效应面板回归", "Two-way fixed-effects panel regression"), refs=("cameron2015",),
                   methods=_regression_methods,
                   tables=lambda res, used: {f"regression_{used[0]}_on_{used[1]}": res.to_frame()})
def _study_regression(ctx: StudyContext, opts: RegressionOptions) -> RegressionResult:
    yname, yres = ctx.index(opts.y, role="hqd")
    xname, xres = ctx.index(opts.x, role="nqpf")
    ctrl = None
    if opts.controls:
        data = ctx.panel.data
        ctrl = pd.DataFrame({k: expr.evaluate(v, data, name=k) for k, v in opts.controls.items()})
    y = yres.score_series().rename(yname)
    x = xres.score_series().rename(xname)
    return panel_regression(y, x, controls=ctrl, cluster=opts.cluster, lags=tuple(opts.lags or (0, 1)))
