"""Policy evaluation: multi-period (staggered) difference-in-differences (多期/交错双重差分).

:func:`did` takes a panel, an outcome and each treated unit's first treatment year (a pilot list), and gives

- the two-way fixed-effects DID, y_it = β·D_it + γ'x_it + μ_i + λ_t + ε_it with D_it = 1[t ≥ g_i], standard
  errors clustered by unit (Cameron & Miller 2015);
- an event study with leads and lags around g_i (reference period −1, endpoints binned) and a joint
  parallel-trends (pre-trend) test of all leads;
- a permutation placebo: the vector of treatment years is shuffled across units (each draw keeps how many
  units start in each year, i.e. the timing distribution), the DID is re-estimated, and the share of placebo
  estimates at least as large in absolute value as the real one is the permutation p-value (seeded);
- heterogeneity-robust estimators from pyfixest (a maintained library): the Sun & Abraham (2021)
  interaction-weighted event study (cohort × relative-period interactions with never-treated units as the
  control, aggregated with cohort shares) and the Gardner (2022) two-stage DID (did2s) ATT. With staggered
  timing and effects that change over time the TWFE β is a weighted average of 2×2 comparisons some of which
  use already-treated units as controls, with weights that can be negative (Goodman-Bacon 2021; de
  Chaisemartin & D'Haultfœuille 2020); the robust estimators avoid those comparisons.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import DataError, MethodError, StudyError
from nqpf.core.i18n import num, pct
from nqpf.core.interface import ReportContext
from nqpf.core.references import cite
from nqpf.core.rng import Seed, generator
from nqpf.core.stars import STAR_NOTE
from nqpf.datasets.cities import pilot_years
from nqpf.models._fe import estimates_from_fit, fe_fit, model_frame, study_frame, wald_test, within
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["DIDResult", "did", "event_dummies"]


def _ename(e: int, leads: int, lags: int) -> str:
    if e == -leads:
        return f"pre_{leads}+"
    if e == lags:
        return f"post_{lags}+"
    return f"pre_{-e}" if e < 0 else f"post_{e}"


def _elabel(e: int, leads: int, lags: int) -> tuple[str, str]:
    if e < 0:
        plus = "及以前" if e == -leads else ""
        return (f"政策前第{-e}期{plus}", f"t−{-e}" + (" or earlier" if e == -leads else ""))
    plus = "及以后" if e == lags else ""
    return ((f"政策当期{plus}" if e == 0 else f"政策后第{e}期{plus}"),
            f"t+{e}" + (" or later" if e == lags else ""))


def event_dummies(years: np.ndarray, first: np.ndarray, leads: int, lags: int) -> pd.DataFrame:
    """Relative-period dummies 1[t − g_i = e] for e = −leads … lags except −1, endpoints binned.

    Parameters
    ----------
    years : (n,) calendar years of the rows; first : (n,) the row's unit's first treatment year (NaN: never).
    leads, lags : the window; t − g ≤ −leads is counted in the −leads dummy, t − g ≥ lags in the lags dummy.

    Returns
    -------
    (n, leads + lags) 0/1 DataFrame, columns ``pre_{leads}+`` … ``pre_2``, ``post_0`` … ``post_{lags}+``;
    never-treated rows are all zero, period −1 is the reference.

    Examples
    --------
    >>> event_dummies(np.array([2010, 2012, 2015]), np.array([2012.0, 2012.0, np.nan]), 2, 2).to_numpy().tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    """
    if leads < 2 or lags < 1:
        raise MethodError(f"an event study needs leads ≥ 2 and lags ≥ 1, got leads={leads}, lags={lags}")
    rel = np.asarray(years, float) - np.asarray(first, float)
    treated = np.isfinite(rel)
    binned = np.clip(np.where(treated, rel, 0), -leads, lags)
    cols = {}
    for e in [*range(-leads, -1), *range(0, lags + 1)]:
        cols[_ename(e, leads, lags)] = (treated & (binned == e)).astype(int)
    return pd.DataFrame(cols)


@dataclass
class DIDResult(ModelResult):
    """A staggered DID: TWFE estimate, event study, pre-trend test, permutation placebo, robust estimators.

    Attributes
    ----------
    y : the outcome; controls : control variables.
    twfe : the TWFE DID column (``D`` = treated × post); twfe_fit : the linearmodels fit.
    event : one row per relative period e (−leads … lags, −1 = reference with 0): coef, std_error, t, p_value,
        ci_low, ci_high, n_treated (treated unit-years in the bin).
    event_estimates : the event-study column for the publication table.
    pretrend : the joint test that all leads are zero (chi2, df, p_chi2, F, df2, p).
    placebo : the placebo DID estimates (one per draw); placebo_p : two-sided permutation p-value.
    robust_event : Sun & Abraham (2021) interaction-weighted event study by relative period (estimate, std_error,
        p_value, ci_low, ci_high), or None; robust_att : Gardner (2022) did2s ATT (estimate, std_error, p_value).
    cohorts : number of units by first treatment year; n_units, n_treated, n_never.
    baseline : mean outcome of the treated units in the year before their treatment (to read β as a share).
    notes : units and rows dropped, and why.
    """

    y: str
    controls: list[str]
    twfe: Estimates
    twfe_fit: Any
    event: pd.DataFrame
    event_estimates: Estimates
    pretrend: dict[str, float]
    placebo: np.ndarray
    placebo_p: float
    robust_event: pd.DataFrame | None
    robust_att: dict[str, float] | None
    cohorts: pd.Series
    n_units: int
    n_treated: int
    n_never: int
    leads: int
    lags: int
    baseline: float = np.nan
    seed: Any = None
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    label = ("多期双重差分", "Staggered difference-in-differences")

    # -- numbers -------------------------------------------------------------------------------------------
    @property
    def att(self) -> float:
        """The TWFE DID coefficient β."""
        return float(self.twfe.params["D"])

    def estimates(self) -> list[Estimates]:
        cols = [self.twfe, self.event_estimates]
        if self.robust_att is not None:
            r = self.robust_att
            cols.append(Estimates(
                name="did2s (Gardner)", params=pd.Series({"D": r["estimate"]}),
                std_errors=pd.Series({"D": r["std_error"]}), pvalues=pd.Series({"D": r["p_value"]}),
                nobs=int(r["nobs"]), rows={"unit FE": "yes", "year FE": "yes",
                                           "controls": "yes" if self.controls else "no"},
                dependent=self.y, labels=self.twfe.labels))
        return cols

    def to_frame(self) -> pd.DataFrame:
        """The event study (TWFE and, where estimated, Sun–Abraham) by relative period."""
        ev = self.event.copy()
        if self.robust_event is not None:
            r = self.robust_event.add_prefix("sa_")
            ev = ev.join(r, on="rel_time")
        return ev

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"": self.to_frame(), "table": self.publication_table()}
        out["placebo"] = pd.DataFrame({"draw": np.arange(1, len(self.placebo) + 1), "estimate": self.placebo})
        out["tests"] = pd.DataFrame([
            {"test": "pre-trend (joint leads = 0)", "statistic": self.pretrend["F"], "df": self.pretrend["df"],
             "p_value": self.pretrend["p"]},
            {"test": f"permutation placebo ({len(self.placebo)} draws)", "statistic": self.att, "df": np.nan,
             "p_value": self.placebo_p},
        ])
        return out

    # -- text ----------------------------------------------------------------------------------------------
    def _summary_lines(self, lang: str) -> list[str]:
        pt = self.publication_table(lang=lang).to_string()
        head = (f"多期双重差分：因变量 {self.y}，{self.n_units} 个单位（{self.n_treated} 个处理、"
                f"{self.n_never} 个从未处理），批次 " + "、".join(f"{int(g)} 年 {n} 个" for g, n in
                                                        self.cohorts.items()) + "。"
                if lang == "zh" else
                f"Staggered DID of {self.y}: {self.n_units} units ({self.n_treated} treated, {self.n_never} never "
                "treated), cohorts " + ", ".join(f"{int(g)}: {n}" for g, n in self.cohorts.items()) + ".")
        return [head, *self.narrative(lang), pt, STAR_NOTE[0 if lang == "zh" else 1], *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """Conclusions read off the numbers: the TWFE effect, the pre-trends, the placebo, the robust estimates."""
        b, se, p = self.att, float(self.twfe.std_errors["D"]), float(self.twfe.pvalues["D"])
        pre = self.event[self.event["rel_time"] <= -2]
        post = self.event[self.event["rel_time"] >= 0]
        pt_p = self.pretrend["p"]
        sig = p < self.alpha
        ok_pre = pt_p >= self.alpha
        out: list[str] = []
        if lang == "zh":
            out.append(f"双向固定效应 DID 估计的政策效应为 {num(b)}（聚类标准误 {num(se)}，p = {num(p, 3)}），"
                       + ("在 5% 水平上显著" if sig else "在 5% 水平上不显著")
                       + (f"，约为处理组政策前一年均值（{num(self.baseline, 2)}）的 {pct(b / self.baseline)}。"
                          if np.isfinite(self.baseline) and self.baseline else "。"))
            out.append(f"事件研究中政策前 {len(pre)} 个系数的联合检验 F = {num(self.pretrend['F'], 2)}，"
                       f"p = {num(pt_p, 3)}：" + ("不能拒绝平行趋势假设。" if ok_pre else
                                                   "拒绝“政策前无差异”，平行趋势假设存疑，DID 估计需谨慎解读。"))
            out.append(f"政策后各期系数介于 {num(post['coef'].min())} 与 {num(post['coef'].max())} 之间。")
            if len(self.placebo):
                out.append(f"安慰剂检验：随机分配处理年份（保持各批次单位数）{len(self.placebo)} 次，"
                           f"|安慰剂估计| ≥ |真实估计| 的比例 p = {num(self.placebo_p, 3)}" +
                           ("，真实效应不太可能来自偶然分配。" if self.placebo_p < self.alpha else
                            "，真实估计与随机分配下的估计无显著差别。"))
            if self.robust_att is not None:
                r = self.robust_att
                out.append(f"异质性稳健估计：Gardner 两阶段 DID 的 ATT = {num(r['estimate'])}（标准误 "
                           f"{num(r['std_error'])}，p = {num(r['p_value'], 3)}），TWFE 估计为其 "
                           f"{num(b / r['estimate'], 2) if r['estimate'] else '–'} 倍。")
            if self.robust_event is not None:
                sa = self.robust_event
                sa_pre = sa[(sa.index <= -2) & (sa.index >= -self.leads)]
                post_sa = sa[sa.index >= 0]["estimate"]
                out.append("Sun–Abraham 交互加权事件研究：政策前系数" +
                           ("均不显著" if (sa_pre["p_value"] >= self.alpha).all() else
                            f"有 {int((sa_pre['p_value'] < self.alpha).sum())} 个显著") +
                           f"，政策后系数介于 {num(post_sa.min())} 与 {num(post_sa.max())}。")
            return out
        out.append(f"The two-way fixed-effects DID puts the policy effect at {num(b)} (SE clustered by unit {num(se)}, "
                   f"p = {num(p, 3)}): " + ("significant at 5%" if sig else "not significant at 5%")
                   + (f"; {pct(b / self.baseline)} of the treated units' mean in the year before treatment "
                      f"({num(self.baseline, 2)})." if np.isfinite(self.baseline) and self.baseline else "."))
        out.append(f"Event study: the joint test that the {len(pre)} pre-period coefficients are zero gives "
                   f"F = {num(self.pretrend['F'], 2)}, p = {num(pt_p, 3)}: " +
                   ("parallel pre-trends are not rejected." if ok_pre else
                    "pre-trends are rejected, so the DID estimate should be read with caution."))
        out.append(f"The post-period coefficients range from {num(post['coef'].min())} to {num(post['coef'].max())}.")
        if len(self.placebo):
            out.append(f"Placebo: over {len(self.placebo)} random reassignments of the treatment years (keeping the "
                       f"number of units per cohort), the share of placebo estimates at least as large in absolute "
                       f"value as the real one is p = {num(self.placebo_p, 3)}" +
                       ("; the effect is unlikely to be an artefact of the assignment." if self.placebo_p < self.alpha
                        else "; the real estimate does not stand out from random assignments."))
        if self.robust_att is not None:
            r = self.robust_att
            out.append(f"Heterogeneity-robust: Gardner's two-stage DID gives ATT = {num(r['estimate'])} "
                       f"(SE {num(r['std_error'])}, p = {num(r['p_value'], 3)}); the TWFE estimate is "
                       f"{num(b / r['estimate'], 2) if r['estimate'] else '–'} times that.")
        if self.robust_event is not None:
            sa = self.robust_event
            sa_pre = sa[(sa.index <= -2) & (sa.index >= -self.leads)]
            n_sig = int((sa_pre["p_value"] < self.alpha).sum())
            out.append("Sun–Abraham interaction-weighted event study: " +
                       ("no pre-period coefficient is significant" if n_sig == 0 else
                        f"{n_sig} pre-period coefficient(s) significant") +
                       f"; post-period effects from {num(sa[sa.index >= 0]['estimate'].min())} to "
                       f"{num(sa[sa.index >= 0]['estimate'].max())}.")
        return out

    # -- figures -------------------------------------------------------------------------------------------
    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The event-study plot: TWFE coefficients with 95% CIs (and Sun–Abraham where estimated)."""
        fig, ax = figure_axes(ax, (5.2, 3.4))
        ev = self.event
        ax.axhline(0, color="#888", lw=0.8)
        ax.axvline(-0.5, color="#888", lw=0.8, ls="--")
        ax.errorbar(ev["rel_time"] - 0.08, ev["coef"], yerr=[ev["coef"] - ev["ci_low"], ev["ci_high"] - ev["coef"]],
                    fmt="o", color=OKABE_ITO[4], ms=3.5, capsize=2, lw=1, label="TWFE")
        if self.robust_event is not None:
            sa = self.robust_event
            sa = sa[(sa.index >= -self.leads) & (sa.index <= self.lags)]
            ax.errorbar(sa.index + 0.08, sa["estimate"], yerr=[sa["estimate"] - sa["ci_low"],
                                                                sa["ci_high"] - sa["estimate"]],
                        fmt="s", color=OKABE_ITO[5], ms=3.5, capsize=2, lw=1, label="Sun–Abraham")
        ax.set_xlabel("相对政策实施的期数" if lang == "zh" else "Periods relative to treatment")
        ax.set_ylabel(("对 " if lang == "zh" else "Effect on ") + self.y)
        ax.legend(frameon=False)
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """The event-study plot and the placebo distribution (plotly)."""
        import plotly.graph_objects as go

        ev = self.event
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=ev["rel_time"] - 0.08, y=ev["coef"], mode="markers", name="TWFE",
                                 marker={"color": OKABE_ITO[4]},
                                 error_y={"type": "data", "symmetric": False, "array": ev["ci_high"] - ev["coef"],
                                          "arrayminus": ev["coef"] - ev["ci_low"]}))
        if self.robust_event is not None:
            sa = self.robust_event
            sa = sa[(sa.index >= -self.leads) & (sa.index <= self.lags)]
            fig.add_trace(go.Scatter(x=sa.index + 0.08, y=sa["estimate"], mode="markers", name="Sun–Abraham",
                                     marker={"color": OKABE_ITO[5], "symbol": "square"},
                                     error_y={"type": "data", "symmetric": False,
                                              "array": sa["ci_high"] - sa["estimate"],
                                              "arrayminus": sa["estimate"] - sa["ci_low"]}))
        fig.add_hline(y=0, line_color="#888", line_width=1)
        fig.add_vline(x=-0.5, line_color="#888", line_dash="dash", line_width=1)
        fig.update_layout(height=380, xaxis={"title": "相对政策实施的期数" if lang == "zh" else
                                             "Periods relative to treatment", "dtick": 1},
                          yaxis={"title": ("对 " if lang == "zh" else "Effect on ") + self.y},
                          margin={"l": 60, "r": 20, "t": 30, "b": 50})
        if not len(self.placebo):
            return [fig]
        hist = go.Figure(go.Histogram(x=self.placebo, nbinsx=40, marker_color="#999",
                                      name="安慰剂估计" if lang == "zh" else "placebo estimates"))
        hist.add_vline(x=self.att, line_color=OKABE_ITO[5], line_width=2)
        hist.update_layout(height=300, showlegend=False, margin={"l": 60, "r": 20, "t": 30, "b": 50},
                           xaxis={"title": "随机分配下的 DID 估计（竖线：真实估计）" if lang == "zh" else
                                  "DID estimate under random assignment (line: the real estimate)"},
                           yaxis={"title": "次数" if lang == "zh" else "draws"})
        return [fig, hist]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, the event-study plot, the placebo histogram and the publication table."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang)),
                Table(self.publication_table(lang=ctx.lang))]


# ---------------------------------------------------------------------------------------------------------
def _treatment_years(frame: pd.DataFrame, treatment: Any, notes: list[str]) -> pd.Series:
    """First treatment year by unit of the frame (NaN: never treated)."""
    units = pd.Index(frame.index.get_level_values(0).unique())
    if isinstance(treatment, str):
        if treatment not in frame.columns:
            raise DataError(f"no treatment-year column {treatment!r} in the data")
        g = frame[treatment].groupby(level=0).agg(lambda s: s.dropna().min() if s.notna().any() else np.nan)
        return g.reindex(units).astype(float)
    if isinstance(treatment, Mapping):
        years = {str(k): v for k, v in treatment.items()}
        outside = sorted(set(years) - set(units))
        if outside:
            notes.append(f"treated units not in the data (ignored): {', '.join(outside)}")
        if not set(years) & set(units):
            raise DataError(f"none of the {len(years)} treated units is in the data (e.g. {next(iter(years))!r}); "
                            f"the data's units are e.g. {list(units[:3])}")
        return pd.Series({u: float(years[u]) if u in years and years[u] is not None else np.nan for u in units})
    raise DataError("treatment must be a mapping unit -> first treatment year, or the name of a column holding it")


def _pyfixest_robust(frame: pd.DataFrame, y: str, controls: list[str], g: np.ndarray, alpha: float
                     ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Sun & Abraham (2021) by relative period and Gardner (2022) did2s ATT from pyfixest."""
    try:
        import pyfixest as pf
    except ImportError:
        raise MethodError("the heterogeneity-robust estimators need pyfixest: pip install 'pyfixest>=0.60'; "
                          "or pass robust=False") from None
    df = pd.DataFrame({"unit": frame.index.get_level_values(0).astype(str),
                       "year": frame.index.get_level_values(1).astype(np.int64),
                       "y": frame[y].to_numpy(float), "g": np.nan_to_num(g, nan=0.0).astype(np.int64)})
    for i, c in enumerate(controls):
        df[f"x{i}"] = frame[c].to_numpy(float)
    xfml = " + ".join(f"x{i}" for i in range(len(controls))) or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sat = pf.event_study(df, yname="y", idname="unit", tname="year", gname="g", estimator="saturated",
                             cluster="unit", xfml=xfml)
        agg = sat.aggregate().astype(float)
        d2 = pf.event_study(df, yname="y", idname="unit", tname="year", gname="g", estimator="did2s",
                            cluster="unit", att=True, xfml=xfml)
    z = stats.norm.ppf(1 - alpha / 2)
    sa = pd.DataFrame({"estimate": agg["Estimate"], "std_error": agg["Std. Error"], "p_value": agg["Pr(>|t|)"]})
    sa["ci_low"] = sa["estimate"] - z * sa["std_error"]
    sa["ci_high"] = sa["estimate"] + z * sa["std_error"]
    sa.index = pd.Index(sa.index.astype(int), name="rel_time")
    td = d2.tidy().loc["is_treated"]
    att = {"estimate": float(td["Estimate"]), "std_error": float(td["Std. Error"]), "p_value": float(td["Pr(>|t|)"]),
           "nobs": float(len(df))}
    return sa, att


def did(
    data: Any,
    y: str,
    treatment: Mapping[str, int] | str,
    controls: list[str] | None = None,
    *,
    leads: int = 4,
    lags: int = 4,
    placebo: int = 500,
    seed: Seed = 0,
    robust: bool = True,
    alpha: float = 0.05,
) -> DIDResult:
    """Staggered difference-in-differences (多期双重差分) with an event study, a placebo and robust estimators.

    Parameters
    ----------
    data : a Panel, an IndexResult or a DataFrame indexed by (unit, year).
    y : the outcome column; controls : control columns (time-varying).
    treatment : unit -> first treatment year (units not listed are never treated), or the name of a column
        holding each unit's first treatment year (NaN: never).
    leads, lags : event window; periods before −leads and after lags are binned into the endpoints; −1 is the
        reference period.
    placebo : number of random reassignments of the treatment years (0: none); seed : their generator.
        Draw r permutes the units' treatment years with ``generator(seed).permutation`` (one call per draw).
    robust : also run the Sun & Abraham (2021) and Gardner (2022) estimators (needs pyfixest).
    alpha : level of the confidence intervals and of the words in the narrative.

    Returns
    -------
    DIDResult

    Notes
    -----
    Units first treated in or before the first sample year have no pre-period and are dropped (named in
    ``notes``); so are rows with a missing outcome or control. Standard errors are clustered by unit.
    References: Cameron & Miller (2015); Sun & Abraham (2021), J. Econometrics 225(2):175-199; Gardner (2022),
    arXiv:2207.05943; Goodman-Bacon (2021), J. Econometrics 225(2):254-277; de Chaisemartin & D'Haultfœuille
    (2020), AER 110(9):2964-2996; Callaway & Sant'Anna (2021), J. Econometrics 225(2):200-230.
    """
    controls = list(controls or [])
    notes: list[str] = []
    cols = [y, *controls] + ([treatment] if isinstance(treatment, str) else [])
    frame = model_frame(data, cols)
    n0 = len(frame)
    frame = frame.dropna(subset=[y, *controls])
    if len(frame) < n0:
        notes.append(f"{n0 - len(frame)} unit-years without {y} or a control dropped")
    gs = _treatment_years(frame, treatment, notes)
    first_year = int(frame.index.get_level_values(1).min())
    always = sorted(u for u, v in gs.items() if np.isfinite(v) and v <= first_year)
    if always:
        notes.append(f"units treated in or before {first_year} (no pre-period) dropped: {', '.join(always)}")
        frame = frame[~frame.index.get_level_values(0).isin(always)]
        gs = gs.drop(always)
    units = frame.index.get_level_values(0)
    years = frame.index.get_level_values(1).to_numpy()
    g_row = gs.reindex(units).to_numpy(float)
    if not np.isfinite(g_row).any():
        raise DataError("no treated unit left in the data")
    if np.isfinite(g_row).all():
        notes.append("every unit is eventually treated: not-yet-treated units are the only controls")
    work = frame[[y, *controls]].copy()
    work["D"] = (np.isfinite(g_row) & (years >= np.nan_to_num(g_row, nan=np.inf))).astype(float)
    labels = {"D": ("处理×政策后（DID）", "Treated × post (DID)")}
    ctl_row = {"controls": "yes" if controls else "no"}
    fit = fe_fit(work, y, ["D", *controls])
    twfe = estimates_from_fit(fit, "TWFE DID", y, keep=["D", *controls], labels=labels, rows=ctl_row)
    # event study
    ed = event_dummies(years, g_row, leads, lags)
    ed.index = frame.index
    ew = pd.concat([frame[[y, *controls]], ed.astype(float)], axis=1)
    names = list(ed.columns)
    efit = fe_fit(ew, y, [*names, *controls])
    G = int(efit.entity_info["total"])
    lead_names = [n for n in names if n.startswith("pre_")]
    pretrend = wald_test(efit.params, efit.cov, lead_names, n_clusters=G)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for e in range(-leads, lags + 1):
        if e == -1:
            rows.append({"rel_time": -1, "term": "reference", "coef": 0.0, "std_error": 0.0, "t": np.nan,
                         "p_value": np.nan, "ci_low": 0.0, "ci_high": 0.0, "n_treated": int(
                             (np.isfinite(g_row) & (years - np.nan_to_num(g_row) == -1)).sum())})
            continue
        n = _ename(e, leads, lags)
        b, s = float(efit.params[n]), float(efit.std_errors[n])
        rows.append({"rel_time": e, "term": n, "coef": b, "std_error": s, "t": float(efit.tstats[n]),
                     "p_value": float(efit.pvalues[n]), "ci_low": b - z * s, "ci_high": b + z * s,
                     "n_treated": int(ed[n].sum())})
    event = pd.DataFrame(rows)
    elabels = {_ename(e, leads, lags): _elabel(e, leads, lags) for e in range(-leads, lags + 1) if e != -1}
    event_est = estimates_from_fit(efit, "event study", y, keep=names, labels=elabels, rows=ctl_row,
                                   stats_={"pre-trend F": pretrend["F"], "pre-trend p": pretrend["p"]})
    # permutation placebo: FWL, y and controls residualised once, the placebo D's in batches
    ucode = pd.factorize(units)[0]
    ycode = pd.factorize(years, sort=True)[0]
    draws = np.empty(0)
    p_perm = np.nan
    if placebo > 0:
        Z = within(frame[[y, *controls]].to_numpy(float), ucode, ycode)
        yv, X = Z[:, 0], Z[:, 1:]
        if X.shape[1]:
            yv = yv - X @ np.linalg.lstsq(X, yv, rcond=None)[0]
        gu = gs.reindex(pd.Index(units).unique()).to_numpy(float)  # by unit code order
        rng = generator(seed)
        draws = np.empty(placebo)
        batch = 100
        for start in range(0, placebo, batch):
            perms = np.stack([rng.permutation(gu) for _ in range(min(batch, placebo - start))], axis=1)
            gp = perms[ucode]  # (n, b)
            Dp = (np.isfinite(gp) & (years[:, None] >= np.nan_to_num(gp, nan=np.inf))).astype(float)
            Dt = within(Dp, ucode, ycode)
            if X.shape[1]:
                Dt = Dt - X @ np.linalg.lstsq(X, Dt, rcond=None)[0]
            draws[start:start + Dp.shape[1]] = (Dt * yv[:, None]).sum(0) / (Dt * Dt).sum(0)
        p_perm = float((1 + np.sum(np.abs(draws) >= abs(twfe.params["D"]) - 1e-12)) / (placebo + 1))
    robust_event, robust_att = (None, None)
    if robust:
        robust_event, robust_att = _pyfixest_robust(frame, y, controls, g_row, alpha)
        if controls:
            notes.append("Sun–Abraham: pyfixest's saturated event study takes no covariates, so it is estimated "
                         "without the controls; did2s uses them in both stages (as R's did2s)")
    treated_units = gs[np.isfinite(gs)]
    before = np.isfinite(g_row) & (years == np.nan_to_num(g_row) - 1)
    baseline = float(frame[y].to_numpy(float)[before].mean()) if before.any() else np.nan
    return DIDResult(
        y=y, controls=controls, twfe=twfe, twfe_fit=fit, event=event, event_estimates=event_est, pretrend=pretrend,
        placebo=draws, placebo_p=p_perm, robust_event=robust_event, robust_att=robust_att,
        cohorts=treated_units.astype(int).value_counts().sort_index(), n_units=len(gs), n_treated=len(treated_units),
        n_never=int(len(gs) - len(treated_units)), leads=leads, lags=lags, baseline=baseline, seed=seed,
        alpha=alpha, notes=notes,
    )


# ---------------------------------------------------------------------------------------------------------
# study file: [models.<label>] model = "did"
# ---------------------------------------------------------------------------------------------------------
class DIDOptions(Options):
    """``model = "did"``: the outcome (a panel column or an index), the treatment years (a bundled pilot list,
    a panel column, or a table unit = year), controls, the event window, placebo draws, robust estimators."""

    y: str
    pilot: str | None = None
    treatment_column: str | None = None
    treatment: dict[str, int] | None = None
    controls: tuple[str, ...] = ()
    leads: int = 4
    lags: int = 4
    placebo: int = 500
    seed: int = 0
    robust: bool = True


def _did_methods(res: DIDResult, opts: DIDOptions, lang: str) -> str:
    c0 = cite(("cameron2015",), lang)
    c1 = cite(("sun2021", "gardner2022"), lang)
    c2 = cite(("goodmanbacon2021", "dechaisemartin2020", "callaway2021"), lang)
    eq = ("$y_{it} = \\beta D_{it} + \\gamma' x_{it} + \\mu_i + \\lambda_t + \\varepsilon_{it}$, "
          "$D_{it} = 1[t \\ge g_i]$")
    if lang == "zh":
        return (f"以多期双重差分估计政策效应：{eq}，$g_i$ 为单位 $i$ 首次入选年份，标准误按单位聚类{c0}。"
                f"事件研究以政策前一期为基期，前 {res.leads} 期与后 {res.lags} 期之外的期数并入端点，"
                f"并对政策前系数做联合检验（平行趋势检验）。安慰剂检验将处理年份在单位间随机置换 "
                f"{len(res.placebo)} 次（保持各批次单位数）。交错处理且效应随时间变化时，TWFE 系数可能含负权重{c2}，"
                f"故同时报告 Sun–Abraham 交互加权事件研究与 Gardner 两阶段 DID{c1}（pyfixest 实现）。")
    return (f"Policy effects were estimated by a staggered difference-in-differences, {eq}, with $g_i$ the year "
            f"unit $i$ was first treated, standard errors clustered by unit{c0}. The event study uses period −1 as "
            f"the reference and bins periods beyond −{res.leads} and +{res.lags} into the endpoints; the leads are "
            f"tested jointly (pre-trend test). The placebo reassigns the treatment years across units at random "
            f"{len(res.placebo)} times (keeping the number of units per cohort). Because the TWFE coefficient can "
            f"put negative weights on some comparisons under staggered timing{c2}, the Sun–Abraham interaction-"
            f"weighted event study and Gardner's two-stage DID{c1} (pyfixest) are reported alongside.")


@register_analysis("did", options=DIDOptions, result=DIDResult, section="explain", order=50,
                   label=("政策评估：多期双重差分", "Policy evaluation: staggered DID"),
                   refs=("cameron2015", "sun2021", "gardner2022", "goodmanbacon2021", "dechaisemartin2020",
                         "callaway2021"), methods=_did_methods)
def _study_did(ctx: StudyContext, opts: DIDOptions) -> DIDResult:
    given = [k for k in ("pilot", "treatment_column", "treatment") if getattr(opts, k) is not None]
    if len(given) != 1:
        raise StudyError("give exactly one of pilot (a bundled list, e.g. \"broadband_china_pilot\"), "
                         "treatment_column or treatment (a table unit = first year)")
    panel = ctx.panel
    cols = [opts.y, *opts.controls] + ([opts.treatment_column] if opts.treatment_column else [])
    data = study_frame(ctx, cols)
    treatment: Any
    if opts.pilot is not None:
        treatment, _missing = pilot_years(opts.pilot, units=panel.units)
    elif opts.treatment_column is not None:
        treatment = opts.treatment_column
    else:
        treatment = dict(opts.treatment or {})
    return did(data, opts.y, treatment, list(opts.controls), leads=opts.leads, lags=opts.lags, placebo=opts.placebo,
               seed=opts.seed, robust=opts.robust)

