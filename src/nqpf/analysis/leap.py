"""The leap from traditional to new productive forces (从传统生产力到新质生产力的跃迁).

The first of the theory's three relations made measurable, from an NQPF index and a traditional-productive-forces
index on the same units and years (e.g. ``nqpf-province-2023`` and ``tpf-province-2023``):

* the **relative development degree** ``R = U_NQPF / U_TPF`` per unit-year, classified as NQPF lagging
  (``R < 0.8``), synchronous, or NQPF leading (``R > 1.2``);
* the **transition quadrant** of every unit-year against the year's cross-section mean (or median) of both
  indices — new-led (跃迁型), high–high, traditional-dependent, low–low — the moves between quadrants from one year
  to the next, and each unit's path;
* the **Tapio decoupling** of NQPF growth from a pressure (energy use, CO₂): elasticity and state for every unit
  and consecutive pair of years (or for the whole span), Tapio (2005).

The kernels are in :mod:`nqpf.analysis.relations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.analysis.relations import (
    QUADRANTS,
    TAPIO_STATES,
    quadrant_of,
    relative_class,
    relative_development,
    tapio_state,
    transition_counts,
)
from nqpf.core import expr
from nqpf.core.blocks import Block, Figure, Heading, Table, Text
from nqpf.core.errors import DataError, StudyError
from nqpf.core.i18n import join, num
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.units import unit_name
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["LEAP_CLASSES", "LeapResult", "index_scores", "leap"]

#: The relative development classes of NQPF against traditional productive forces: key -> (zh, en).
LEAP_CLASSES: dict[str, tuple[str, str]] = {
    "a_lags": ("新质生产力滞后型", "NQPF lagging"),
    "synchronous": ("同步型", "synchronous"),
    "b_lags": ("新质生产力领先型（跃迁）", "NQPF leading (leap)"),
}


def index_scores(x: Any, name: str) -> pd.Series:
    """An index's scores by (unit, year), from an IndexResult or a Series, named ``name``.

    Examples
    --------
    >>> s = pd.Series([0.2, 0.4], index=pd.MultiIndex.from_tuples([("a", 2020), ("b", 2020)]))
    >>> index_scores(s, "nqpf").index.names, index_scores(s, "nqpf").name
    (FrozenList(['unit', 'year']), 'nqpf')
    """
    if isinstance(x, pd.Series):
        s = x.astype(float)
    elif hasattr(x, "score_series"):
        s = x.score_series()
    else:
        raise DataError(f"{name} must be an IndexResult or a Series indexed by (unit, year), got {type(x).__name__}")
    s.index = s.index.set_names(["unit", "year"])
    return s.rename(name)


@dataclass
class LeapResult(Result):
    """The leap from traditional to new productive forces (跃迁分析).

    Attributes
    ----------
    relative : unit, year, new, traditional, ratio (R = new / traditional), cls (a key of :data:`LEAP_CLASSES`).
    quadrants : unit, year, new, traditional, ref_new, ref_traditional, quadrant (a key of QUADRANTS).
    transitions : counts of moves between quadrants in consecutive years (rows from, columns to).
    decoupling : pressure, unit, year0, year1, dG, dE (relative changes), elasticity, state (Tapio).
    names : (new, traditional) index names; bounds : the relative-development bounds; reference : "mean" or
        "median"; notes : what was left out and why.
    """

    relative: pd.DataFrame
    quadrants: pd.DataFrame
    transitions: pd.DataFrame
    decoupling: pd.DataFrame
    names: tuple[str, str]
    bounds: tuple[float, float] = (0.8, 1.2)
    scale: str = "mean"
    reference: str = "mean"
    notes: list[str] = field(default_factory=list)

    # -- views -----------------------------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.relative["year"].unique())

    def paths(self) -> pd.DataFrame:
        """Unit × year table of quadrant keys."""
        return self.quadrants.pivot(index="unit", columns="year", values="quadrant")

    def to_frame(self) -> pd.DataFrame:
        """Per unit-year: both indices, R and its class, and the quadrant."""
        q = self.quadrants[["unit", "year", "ref_new", "ref_traditional", "quadrant"]]
        return self.relative.merge(q, on=["unit", "year"], how="left")

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"": self.to_frame(), "transitions": self.transitions.rename_axis("from").reset_index()}
        if not self.decoupling.empty:
            out["decoupling"] = self.decoupling
        return out

    # -- text --------------------------------------------------------------------------------------
    def _class_counts(self, year: int) -> dict[str, int]:
        cur = self.relative[self.relative["year"] == year]
        return {k: int((cur["cls"] == k).sum()) for k in LEAP_CLASSES}

    def narrative(self, lang: str = "en") -> list[str]:
        zh = lang == "zh"
        out: list[str] = []
        y0, y1 = self.years[0], self.years[-1]
        lo, hi = self.bounds
        cur = self.relative[self.relative["year"] == y1]
        c0, c1 = self._class_counts(y0), self._class_counts(y1)
        top = cur.nlargest(3, "ratio")
        tops = join([f"{unit_name(u, lang)}（{num(r, 2)}）" if zh else f"{unit_name(u, lang)} ({num(r, 2)})"
                     for u, r in zip(top["unit"], top["ratio"], strict=True)], lang)
        if zh:
            out.append(f"{y1} 年新质生产力相对传统生产力的发展度 R 介于 {num(cur['ratio'].min(), 2)}–"
                       f"{num(cur['ratio'].max(), 2)}：领先（R > {hi}）{c1['b_lags']} 个、同步 {c1['synchronous']} 个、"
                       f"滞后（R < {lo}）{c1['a_lags']} 个（{y0} 年分别为 {c0['b_lags']}、{c0['synchronous']}、"
                       f"{c0['a_lags']} 个）；R 最高的是 {tops}。")
        else:
            out.append(f"In {y1} the relative development degree of NQPF to traditional productive forces R ranged "
                       f"{num(cur['ratio'].min(), 2)}–{num(cur['ratio'].max(), 2)}: NQPF leads (R > {hi}) in "
                       f"{c1['b_lags']} units, is synchronous in {c1['synchronous']} and lags (R < {lo}) in "
                       f"{c1['a_lags']} ({c0['b_lags']}, {c0['synchronous']} and {c0['a_lags']} in {y0}); the highest "
                       f"R: {tops}.")
        paths = self.paths()
        if y0 in paths.columns and y1 in paths.columns:
            q1 = paths[y1].value_counts()
            parts = [f"{QUADRANTS[k][0 if zh else 1]} {int(q1.get(k, 0))}" for k in QUADRANTS]
            moved = paths[(paths[y0] != paths[y1]) & paths[y0].notna() & paths[y1].notna()]
            leap_units = moved[moved[y1] == "new_led"].index.tolist()
            if zh:
                ref = "均值" if self.reference == "mean" else "中位数"
                out.append(f"{y1} 年四象限（以当年{ref}为界）：{'，'.join(parts)}；"
                           f"{y0}–{y1} 年有 {len(moved)} 个单元改变象限"
                           + (f"，其中进入新质引领型的有 {join([unit_name(u, lang) for u in leap_units], lang)}。"
                              if leap_units else "。"))
            else:
                out.append(f"Quadrants in {y1} (against the year's {self.reference}): {', '.join(parts)}; "
                           f"{len(moved)} units changed quadrant between {y0} and {y1}"
                           + (f"; into new-led: {join([unit_name(u, lang) for u in leap_units], lang)}."
                              if leap_units else "."))
        for pressure, d in self.decoupling.groupby("pressure", sort=False):
            counts = d["state"].value_counts()
            main = counts.index[0]
            share = counts.iloc[0] / len(d)
            spans = f"{int(d['year0'].min())}–{int(d['year1'].max())}"
            parts = [f"{TAPIO_STATES[k][0 if zh else 1]} {int(v)}" for k, v in counts.items()]
            if zh:
                out.append(f"新质生产力增长与 {pressure} 的 Tapio 脱钩（{spans}，{len(d)} 个单元-时段）："
                           f"{'，'.join(parts)}；"
                           f"最常见的是{TAPIO_STATES[main][0]}（{num(100 * share, 1)}%）。")
            else:
                out.append(f"Tapio decoupling of {pressure} from NQPF growth ({spans}, {len(d)} unit-periods): "
                           f"{', '.join(parts)}; most common: {TAPIO_STATES[main][1]} ({num(100 * share, 1)}%).")
        return out

    def _summary_lines(self, lang: str) -> list[str]:
        zh = lang == "zh"
        head = (f"跃迁分析：{self.names[0]} 相对 {self.names[1]}，{self.years[0]}–{self.years[-1]}" if zh else
                f"The leap: {self.names[0]} against {self.names[1]}, {self.years[0]}–{self.years[-1]}")
        cur = self.to_frame()
        cur = cur[cur["year"] == self.years[-1]].sort_values("ratio", ascending=False)
        rows = [f"  {unit_name(u, lang):<10} R = {num(r, 3):>6}  {LEAP_CLASSES[c][0 if zh else 1]:<16} "
                f"{QUADRANTS[q][0 if zh else 1]}"
                for u, r, c, q in zip(cur["unit"], cur["ratio"], cur["cls"], cur["quadrant"], strict=True)]
        notes = [("注：" if zh else "note: ") + n for n in self.notes]
        return [head, *self.narrative(lang), *rows, *notes]

    # -- figures -----------------------------------------------------------------------------------
    def figures(self, lang: str = "en") -> list[Any]:
        """The quadrant scatter of the last year (with each unit's first-year position) and the Tapio states."""
        import plotly.graph_objects as go

        zh = lang == "zh"
        y0, y1 = self.years[0], self.years[-1]
        q = self.quadrants
        last, first = q[q["year"] == y1], q[q["year"] == y0].set_index("unit")
        fig = go.Figure()
        for i, key in enumerate(QUADRANTS):
            sub = last[last["quadrant"] == key]
            names = [unit_name(u, lang) for u in sub["unit"]]
            fig.add_trace(go.Scatter(x=sub["traditional"], y=sub["new"], mode="markers+text", text=names,
                                     textposition="top center", name=QUADRANTS[key][0 if zh else 1],
                                     marker={"size": 9, "color": OKABE_ITO[i]}, textfont={"size": 9},
                                     hovertemplate="%{text}: TPF %{x:.3f}, NQPF %{y:.3f}<extra></extra>"))
        if y0 != y1:
            both = last.set_index("unit").join(first[["new", "traditional"]].add_suffix("_0"), how="inner")
            xs, ys = [], []
            for r in both.itertuples():
                xs += [r.traditional_0, r.traditional, None]
                ys += [r.new_0, r.new, None]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#bbb", "width": 1},
                                     name=f"{y0} → {y1}", hoverinfo="skip"))
        ref_n, ref_t = float(last["ref_new"].iloc[0]), float(last["ref_traditional"].iloc[0])
        fig.add_hline(y=ref_n, line={"color": "#888", "dash": "dot"})
        fig.add_vline(x=ref_t, line={"color": "#888", "dash": "dot"})
        fig.update_layout(
            height=560, title=(f"{y1} 年转型四象限" if zh else f"Transition quadrants, {y1}"),
            xaxis={"title": f"传统生产力（{self.names[1]}）" if zh else
                   f"traditional productive forces ({self.names[1]})"},
            yaxis={"title": f"新质生产力（{self.names[0]}）" if zh else f"NQPF ({self.names[0]})"},
            margin={"l": 60, "r": 20, "t": 50, "b": 50})
        figs = [fig]
        for pressure, d in self.decoupling.groupby("pressure", sort=False):
            bar = go.Figure()
            table = d.groupby(["year1", "state"]).size().unstack(fill_value=0)
            for i, key in enumerate(k for k in TAPIO_STATES if k in table.columns):
                bar.add_trace(go.Bar(x=[str(y) for y in table.index], y=table[key],
                                     name=TAPIO_STATES[key][0 if zh else 1],
                                     marker_color=OKABE_ITO[i % len(OKABE_ITO)]))
            bar.update_layout(barmode="stack", height=380,
                              title=(f"新质生产力增长与 {pressure} 的脱钩状态" if zh else
                                     f"Decoupling of {pressure} from NQPF growth"),
                              yaxis={"title": "单元数" if zh else "units"}, margin={"l": 60, "r": 20, "t": 50, "b": 40})
            figs.append(bar)
        return figs

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The quadrant scatter of the last year (matplotlib)."""
        fig, ax = figure_axes(ax, (6.0, 5.0))
        y1 = self.years[-1]
        last = self.quadrants[self.quadrants["year"] == y1]
        for i, key in enumerate(QUADRANTS):
            sub = last[last["quadrant"] == key]
            ax.scatter(sub["traditional"], sub["new"], s=22, color=OKABE_ITO[i],
                       label=QUADRANTS[key][0 if lang == "zh" else 1])
            for u, x, y in zip(sub["unit"], sub["traditional"], sub["new"], strict=True):
                ax.annotate(unit_name(u, lang), (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.axhline(float(last["ref_new"].iloc[0]), color="#888", lw=0.8, ls=":")
        ax.axvline(float(last["ref_traditional"].iloc[0]), color="#888", lw=0.8, ls=":")
        ax.set_xlabel("传统生产力" if lang == "zh" else "traditional productive forces")
        ax.set_ylabel("新质生产力" if lang == "zh" else "NQPF")
        ax.legend(frameon=False, fontsize=7)
        return fig

    def report(self, ctx: ReportContext) -> list[Block]:
        zh = ctx.lang == "zh"
        cur = self.to_frame()
        cur = cur[cur["year"] == self.years[-1]].sort_values("ratio", ascending=False)
        shown = pd.DataFrame({
            "unit": [unit_name(u, ctx.lang) for u in cur["unit"]], "new": cur["new"], "traditional": cur["traditional"],
            "ratio": cur["ratio"], "cls": [LEAP_CLASSES[c][0 if zh else 1] for c in cur["cls"]],
            "quadrant": [QUADRANTS[q][0 if zh else 1] for q in cur["quadrant"]]})
        blocks: list[Block] = [
            Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang)),
            Heading(f"{self.years[-1]} 年相对发展度与象限" if zh else
                    f"Relative development and quadrant, {self.years[-1]}"),
            Table(shown, formats={"new": "4f", "traditional": "4f", "ratio": "3f"},
                  headers={"unit": "单元" if zh else "unit", "new": "新质生产力" if zh else "NQPF",
                           "traditional": "传统生产力" if zh else "traditional", "ratio": "R",
                           "cls": "类型" if zh else "class", "quadrant": "象限" if zh else "quadrant"})]
        if self.notes:
            blocks.append(Text(tuple(self.notes)))
        return blocks


def leap(new: Any, traditional: Any, *, pressures: Mapping[str, pd.Series] | None = None,
         bounds: tuple[float, float] = (0.8, 1.2), scale: Literal["mean", "raw"] = "mean",
         reference: Literal["mean", "median"] = "mean",
         span: Literal["annual", "period"] = "annual", names: tuple[str, str] | None = None) -> LeapResult:
    """The leap from traditional to new productive forces (跃迁): relative development, quadrants, decoupling.

    Parameters
    ----------
    new, traditional : the NQPF and the traditional-productive-forces index — IndexResults or Series by (unit,
        year) — on the same scale (min–max based composite scores in [0, 1]). Unit-years in only one are left
        out and named in ``notes``.
    pressures : {name: Series by (unit, year)} — energy use, CO₂ … — for the Tapio decoupling of NQPF growth;
        unit-years without a value are left out of the decoupling and counted in ``notes``.
    bounds : (lower, upper) of the "synchronous" band of R = new / traditional (0.8, 1.2).
    scale : "mean" (each index divided by its mean over the common sample before the ratio; see
        :func:`nqpf.analysis.relations.relative_development`) or "raw".
    reference : the quadrant boundary of each year: the cross-section "mean" or "median" of each index.
    span : decoupling between consecutive years ("annual") or from the first to the last year ("period").
    names : the two index names (default: the Series names or the frameworks' names).

    Returns
    -------
    LeapResult

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["a", "b"], [2020, 2021]], names=["unit", "year"])
    >>> new = pd.Series([0.2, 0.3, 0.5, 0.6], index=idx)
    >>> trad = pd.Series([0.5, 0.4, 0.3, 0.3], index=idx)
    >>> co2 = pd.Series([100.0, 95.0, 50.0, 55.0], index=idx)
    >>> r = leap(new, trad, pressures={"co2": co2}, names=("nqpf", "tpf"))
    >>> r.relative["cls"].tolist(), r.decoupling["state"].tolist()   # R = (new/0.4) / (trad/0.375)
    (['a_lags', 'a_lags', 'b_lags', 'b_lags'], ['strong_decoupling', 'weak_decoupling'])
    """
    n = index_scores(new, (names or ("new", ""))[0] or "new")
    tr = index_scores(traditional, (names or ("", "traditional"))[1] or "traditional")
    if names is None:
        names = (getattr(getattr(new, "framework", None), "name", None) or "new",
                 getattr(getattr(traditional, "framework", None), "name", None) or "traditional")
    notes: list[str] = []
    common = n.index.intersection(tr.index)
    for s, other, label in ((n, tr, names[0]), (tr, n, names[1])):
        only = s.index.difference(other.index)
        if len(only):
            units = sorted({str(u) for u, _ in only})
            years = sorted({int(y) for _, y in only})
            notes.append(f"{len(only)} unit-year(s) of {label} are not in the other index and are left out "
                         f"(units {', '.join(units[:8])}{' …' if len(units) > 8 else ''}; years "
                         f"{', '.join(map(str, years))})")
    if len(common) == 0:
        raise DataError(f"{names[0]} and {names[1]} share no unit-year; measure them on the same units and years")
    n, tr = n.loc[common].sort_index(), tr.loc[common].sort_index()
    ratio = relative_development(n.to_numpy(), tr.to_numpy(), scale=scale)
    lo, hi = bounds
    rel = pd.DataFrame({"unit": n.index.get_level_values("unit"), "year": n.index.get_level_values("year").astype(int),
                        "new": n.to_numpy(), "traditional": tr.to_numpy(), "ratio": ratio,
                        "cls": relative_class(ratio, lower=lo, upper=hi)})
    agg = "mean" if reference == "mean" else "median"
    refs = rel.groupby("year")[["new", "traditional"]].agg(agg)
    quad = rel[["unit", "year", "new", "traditional"]].copy()
    quad["ref_new"] = quad["year"].map(refs["new"])
    quad["ref_traditional"] = quad["year"].map(refs["traditional"])
    quad["quadrant"] = quadrant_of(quad["new"], quad["traditional"], quad["ref_new"].to_numpy(),
                                   quad["ref_traditional"].to_numpy())
    trans = transition_counts(quad.pivot(index="unit", columns="year", values="quadrant"))
    dec = _decoupling(n, pressures or {}, span, notes)
    return LeapResult(relative=rel, quadrants=quad, transitions=trans, decoupling=dec, names=names,
                      bounds=(lo, hi), scale=scale, reference=reference, notes=notes)


def _decoupling(g: pd.Series, pressures: Mapping[str, pd.Series], span: str, notes: list[str]) -> pd.DataFrame:
    rows = []
    years = sorted({int(y) for y in g.index.get_level_values("year")})
    pairs = list(pairwise(years)) if span == "annual" else [(years[0], years[-1])]
    units = list(dict.fromkeys(g.index.get_level_values("unit")))
    for name, e in pressures.items():
        e = e.astype(float)
        lost = 0
        for y0, y1 in pairs:
            for u in units:
                keys = [(u, y0), (u, y1)]
                if not all(k in g.index for k in keys) or not all(k in e.index for k in keys):
                    lost += 1
                    continue
                g0, g1, e0, e1 = g[(u, y0)], g[(u, y1)], e[(u, y0)], e[(u, y1)]
                if not all(np.isfinite([g0, g1, e0, e1])) or g0 <= 0 or e0 <= 0:
                    lost += 1
                    continue
                dg, de = (g1 - g0) / g0, (e1 - e0) / e0
                rows.append({"pressure": name, "unit": u, "year0": y0, "year1": y1, "dG": dg, "dE": de,
                             "elasticity": de / dg if dg != 0 else np.nan,
                             "state": tapio_state([dg], [de])[0]})
        if lost:
            notes.append(f"decoupling from {name}: {lost} unit-period(s) without a positive value in both years are "
                         "left out")
    cols = ["pressure", "unit", "year0", "year1", "dG", "dE", "elasticity", "state"]
    return pd.DataFrame(rows, columns=cols)


# =============================================================================================================
# study file
# =============================================================================================================
class LeapOptions(Options):
    """``[analyses.leap]``: new (default: the first nqpf index), traditional (default: the first index with role
    "traditional"), pressures (panel columns or expressions for the Tapio decoupling), bounds, reference, span."""

    new: str | None = None
    traditional: str | None = None
    pressures: tuple[str, ...] = ()
    bounds: tuple[float, float] = (0.8, 1.2)
    scale: Literal["mean", "raw"] = "mean"
    reference: Literal["mean", "median"] = "mean"
    span: Literal["annual", "period"] = "annual"


REFS = ("tapio2005",)


def _leap_methods(res: LeapResult, opts: LeapOptions, lang: str) -> str:
    c = cite(REFS, lang)
    lo, hi = res.bounds
    ref = ("均值" if res.reference == "mean" else "中位数") if lang == "zh" else res.reference
    if lang == "zh":
        sc = "（两指数先各除以共同样本均值）" if res.scale == "mean" else ""
        text = (f"以相对发展度 $R = U_{{NQPF}}/U_{{TPF}}${sc} 刻画新质生产力对传统生产力的跃迁："
                f"$R<{lo}$ 为新质生产力滞后型，${lo}\\le R\\le {hi}$ 为同步型，$R>{hi}$ 为新质生产力领先型；"
                f"以各年截面{ref}为界划分双高型、新质引领型、"
                "双低型与传统依赖型四个象限，并统计相邻年份间的象限转移。")
        if not res.decoupling.empty:
            text += (f"新质生产力增长与资源环境压力的脱钩采用 Tapio 弹性 $e=(\\Delta E/E_0)/(\\Delta G/G_0)${c}，"
                     "按增减方向与 0.8、1.2 两个阈值划分为八种脱钩状态。")
        return text
    sc = " (each index first divided by its mean over the common sample)" if res.scale == "mean" else ""
    text = (f"The leap from traditional to new productive forces is measured by the relative development degree "
            f"$R = U_{{NQPF}}/U_{{TPF}}${sc} (NQPF lagging for $R<{lo}$, synchronous for ${lo}\\le R\\le {hi}$, "
            "leading for "
            f"$R>{hi}$), and by four quadrants against each year's cross-section {ref} (high–high, new-led, low–low, "
            "traditional-dependent) with the moves between them from year to year. ")
    if not res.decoupling.empty:
        text += (f"The decoupling of resource and environmental pressure from NQPF growth uses Tapio's elasticity "
                 f"$e=(\\Delta E/E_0)/(\\Delta G/G_0)${c} and its eight states (signs of the changes, thresholds 0.8 "
                 "and 1.2).")
    return text


def _pressure(ctx: StudyContext, spec: str) -> pd.Series:
    data = ctx.panel.data
    if spec in data.columns:
        return data[spec].astype(float).rename(spec)
    try:
        return expr.evaluate(spec, data, name=spec)
    except Exception as exc:  # an unknown column: name the columns
        raise StudyError(f"[analyses.leap] pressure {spec!r} is not a panel column or expression ({exc})") from None


def _leap_indices(ctx: StudyContext, opts: LeapOptions) -> tuple[str, Any, str, Any]:
    if opts.traditional is None and not ctx.indices("traditional"):
        raise StudyError("[analyses.leap] needs a traditional-productive-forces index: add an [[index]] with "
                         'framework = "tpf-province-2023" and role = "traditional", '
                         'or name one with traditional = "..."')
    a, ra = ctx.index(opts.new, role="nqpf")
    b, rb = ctx.index(opts.traditional, role="traditional")
    return a, ra, b, rb


@register_analysis("leap", options=LeapOptions, result=LeapResult, section="relations", order=10,
                   label=("从传统生产力到新质生产力的跃迁", "The leap from traditional to new productive forces"),
                   refs=REFS, methods=_leap_methods)
def _study_leap(ctx: StudyContext, opts: LeapOptions) -> LeapResult:
    a, ra, b, rb = _leap_indices(ctx, opts)
    pressures = {p: _pressure(ctx, p) for p in opts.pressures}
    return leap(ra, rb, pressures=pressures, bounds=opts.bounds, scale=opts.scale, reference=opts.reference,
                span=opts.span, names=(a, b))
