"""The fit of production relations with new productive forces (生产关系与新质生产力的适配).

The theory's second relation: new productive forces must be matched by fitting production relations (government
and market, ownership, factor markets, distribution). From an NQPF index and a production-relations index (e.g.
``prf-province``, built on the NERI marketization index) on the same units and years:

* their **coupling coordination degree** D (the same computation as the coupling analysis,
  :func:`nqpf.analysis.coupling.coupling_coordination`), and
* the **relative development degree** ``R = U_forces / U_relations``, classified as productive forces lagging
  (生产力滞后, ``R < 0.8``), synchronous (同步) or production relations lagging (生产关系滞后, ``R > 1.2``) — the side
  that holds the pair back.

Only the unit-years both indices cover are used; the years are stated in the output (the marketization index ends
in 2019).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from nqpf.analysis.coupling import CouplingResult, coupling_coordination
from nqpf.analysis.leap import index_scores
from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.analysis.relations import relative_class, relative_development
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

__all__ = ["FIT_CLASSES", "RelationsFitResult", "relations_fit"]

#: Relative development of productive forces (a) against production relations (b): key -> (zh, en).
FIT_CLASSES: dict[str, tuple[str, str]] = {
    "a_lags": ("生产力滞后型", "productive forces lag"),
    "synchronous": ("同步型", "synchronous"),
    "b_lags": ("生产关系滞后型", "production relations lag"),
}


@dataclass
class RelationsFitResult(Result):
    """Coupling coordination and relative development of productive forces and production relations (适配分析).

    Attributes
    ----------
    relative : unit, year, forces, relations, ratio (R = forces / relations), cls (a key of FIT_CLASSES),
        D and its class (level, level_zh, level_en) from the coupling coordination.
    coupling : the coupling coordination of the two indices on the same unit-years.
    names : (forces, relations) index names; bounds : the band of "synchronous"; notes : what was left out.
    """

    relative: pd.DataFrame
    coupling: CouplingResult
    names: tuple[str, str]
    bounds: tuple[float, float] = (0.8, 1.2)
    scale: str = "mean"
    notes: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.relative["year"].unique())

    def to_frame(self) -> pd.DataFrame:
        return self.relative.copy()

    def counts(self) -> pd.DataFrame:
        """Per year the number of units in each class."""
        return (self.relative.groupby(["year", "cls"]).size().unstack(fill_value=0)
                .reindex(columns=list(FIT_CLASSES), fill_value=0))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame(), "counts": self.counts().reset_index()}

    def narrative(self, lang: str = "en") -> list[str]:
        zh = lang == "zh"
        y0, y1 = self.years[0], self.years[-1]
        cur = self.relative[self.relative["year"] == y1]
        c = self.counts().loc[y1]
        lag_b = cur[cur["cls"] == "b_lags"].sort_values("ratio", ascending=False)["unit"].tolist()
        lag_a = cur[cur["cls"] == "a_lags"].sort_values("ratio")["unit"].tolist()
        lo, hi = self.bounds
        out = []
        if zh:
            out.append(f"数据支持的年份为 {y0}–{y1}（{len(cur)} 个单元）。"
                       f"{y1} 年 {self.names[0]} 与 {self.names[1]} 的耦合协调度 D "
                       f"均值为 {num(cur['D'].mean(), 3)}（{num(cur['D'].min(), 3)}–{num(cur['D'].max(), 3)}）。")
            out.append(f"相对发展度 R = 生产力/生产关系：生产关系滞后（R > {hi}）{int(c['b_lags'])} 个、同步 "
                       f"{int(c['synchronous'])} 个、生产力滞后（R < {lo}）{int(c['a_lags'])} 个"
                       + (f"；生产关系最滞后的是 {join([unit_name(u, lang) for u in lag_b[:5]], lang)}"
                          if lag_b else "")
                       + (f"；生产力最滞后的是 {join([unit_name(u, lang) for u in lag_a[:5]], lang)}" if lag_a else "")
                       + "。")
        else:
            out.append(f"The data support {y0}–{y1} ({len(cur)} units). In {y1} the coupling coordination D of "
                       f"{self.names[0]} and {self.names[1]} averaged {num(cur['D'].mean(), 3)} "
                       f"({num(cur['D'].min(), 3)}–{num(cur['D'].max(), 3)}).")
            out.append(f"Relative development R = forces / relations: production relations lag (R > {hi}) in "
                       f"{int(c['b_lags'])} units, synchronous in {int(c['synchronous'])}, productive forces lag "
                       f"(R < {lo}) in {int(c['a_lags'])}"
                       + (f"; relations lag most in {join([unit_name(u, lang) for u in lag_b[:5]], lang)}"
                          if lag_b else "")
                       + (f"; forces lag most in {join([unit_name(u, lang) for u in lag_a[:5]], lang)}"
                          if lag_a else "")
                       + ".")
        return out

    def _summary_lines(self, lang: str) -> list[str]:
        zh = lang == "zh"
        y1 = self.years[-1]
        cur = self.relative[self.relative["year"] == y1].sort_values("ratio", ascending=False)
        rows = [f"  {unit_name(u, lang):<10} R = {num(r, 3):>6}  D = {num(d, 3)}  {FIT_CLASSES[k][0 if zh else 1]}"
                for u, r, d, k in zip(cur["unit"], cur["ratio"], cur["D"], cur["cls"], strict=True)]
        head = (f"生产关系适配：{self.names[0]} 与 {self.names[1]}" if zh else
                f"Fit of production relations: {self.names[0]} and {self.names[1]}")
        return [head, *self.narrative(lang), *rows, *[("注：" if zh else "note: ") + n for n in self.notes]]

    def figures(self, lang: str = "en") -> list[Any]:
        """Productive forces against production relations in the last year, with the R bounds as lines."""
        import plotly.graph_objects as go

        zh = lang == "zh"
        y1 = self.years[-1]
        cur = self.relative[self.relative["year"] == y1]
        fig = go.Figure()
        for i, key in enumerate(FIT_CLASSES):
            sub = cur[cur["cls"] == key]
            fig.add_trace(go.Scatter(x=sub["relations"], y=sub["forces"], mode="markers+text",
                                     text=[unit_name(u, lang) for u in sub["unit"]], textposition="top center",
                                     textfont={"size": 9}, marker={"size": 9, "color": OKABE_ITO[i]},
                                     name=FIT_CLASSES[key][0 if zh else 1],
                                     hovertemplate="%{text}: relations %{x:.3f}, forces %{y:.3f}<extra></extra>"))
        top = float(max(cur["relations"].max(), cur["forces"].max())) * 1.05
        for r, dash in ((self.bounds[0], "dot"), (1.0, "solid"), (self.bounds[1], "dot")):
            fig.add_trace(go.Scatter(x=[0, top], y=[0, r * top], mode="lines", showlegend=False, hoverinfo="skip",
                                     line={"color": "#999", "width": 1, "dash": dash}))
        fig.update_layout(height=520, title=(f"{y1} 年生产力与生产关系" if zh else f"Forces and relations, {y1}"),
                          xaxis={"title": f"生产关系（{self.names[1]}）" if zh else
                                 f"production relations ({self.names[1]})"},
                          yaxis={"title": f"新质生产力（{self.names[0]}）" if zh else f"NQPF ({self.names[0]})"},
                          margin={"l": 60, "r": 20, "t": 50, "b": 50})
        return [fig]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """R by unit in the last year, with the synchronous band (matplotlib)."""
        y1 = self.years[-1]
        cur = self.relative[self.relative["year"] == y1].sort_values("ratio")
        fig, ax = figure_axes(ax, (6.0, 0.9 + 0.16 * len(cur)))
        colors = [OKABE_ITO[list(FIT_CLASSES).index(k)] for k in cur["cls"]]
        ax.barh([unit_name(u, lang) for u in cur["unit"]], cur["ratio"], color=colors)
        ax.axvspan(*self.bounds, color="#eee", zorder=0)
        ax.axvline(1.0, color="#888", lw=0.8)
        ax.set_xlabel("R = 生产力 / 生产关系" if lang == "zh" else "R = forces / relations")
        ax.tick_params(axis="y", labelsize=6)
        return fig

    def report(self, ctx: ReportContext) -> list[Block]:
        zh = ctx.lang == "zh"
        y1 = self.years[-1]
        cur = self.relative[self.relative["year"] == y1].sort_values("ratio", ascending=False)
        shown = pd.DataFrame({"unit": [unit_name(u, ctx.lang) for u in cur["unit"]], "forces": cur["forces"],
                              "relations": cur["relations"], "ratio": cur["ratio"], "D": cur["D"],
                              "cls": [FIT_CLASSES[k][0 if zh else 1] for k in cur["cls"]]})
        blocks: list[Block] = [
            Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang)),
            Heading(f"{y1} 年适配类型" if zh else f"Fit by unit, {y1}"),
            Table(shown, formats={"forces": "4f", "relations": "4f", "ratio": "3f", "D": "3f"},
                  headers={"unit": "单元" if zh else "unit", "forces": "生产力" if zh else "forces",
                           "relations": "生产关系" if zh else "relations", "ratio": "R", "D": "D",
                           "cls": "类型" if zh else "class"})]
        if self.notes:
            blocks.append(Text(tuple(self.notes)))
        return blocks


def relations_fit(forces: Any, relations: Any, *, bounds: tuple[float, float] = (0.8, 1.2),
                  scale: Literal["mean", "raw"] = "mean", variant: Literal["standard", "modified"] = "standard",
                  names: tuple[str, str] | None = None) -> RelationsFitResult:
    """Fit of production relations with productive forces (生产关系适配): coupling coordination and relative
    development on the unit-years both indices cover.

    Parameters
    ----------
    forces, relations : IndexResults or Series by (unit, year), composite scores in [0, 1].
    bounds : the "synchronous" band of R = forces / relations.
    scale : "mean" (each index divided by its mean over the common sample before the ratio, see
        :func:`nqpf.analysis.relations.relative_development`) or "raw". D uses the scores as they are.
    variant : the coupling degree (see :func:`nqpf.analysis.coupling.coupling_degree`).
    names : the two index names.

    Returns
    -------
    RelationsFitResult

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["a", "b", "c"], [2019]], names=["unit", "year"])
    >>> f = relations_fit(pd.Series([0.2, 0.5, 0.9], index=idx), pd.Series([0.5, 0.5, 0.5], index=idx),
    ...                   scale="raw", names=("nqpf", "prf"))
    >>> f.relative["cls"].tolist(), round(float(f.relative["D"].iloc[1]), 4)
    (['a_lags', 'synchronous', 'b_lags'], 0.7071)
    """
    if names is None:
        names = (getattr(getattr(forces, "framework", None), "name", None) or "forces",
                 getattr(getattr(relations, "framework", None), "name", None) or "relations")
    a, b = index_scores(forces, names[0]), index_scores(relations, names[1])
    common = a.index.intersection(b.index)
    if len(common) == 0:
        raise DataError(f"{names[0]} and {names[1]} share no unit-year; the production-relations index must cover "
                        "some of the years of the productive-forces index (the marketization index ends in 2019)")
    notes = []
    for s, label in ((a, names[0]), (b, names[1])):
        left = s.index.difference(common)
        if len(left):
            years = sorted({int(y) for _, y in left})
            notes.append(f"{len(left)} unit-year(s) of {label} outside the common sample are left out (years "
                         f"{', '.join(map(str, years))})")
    a, b = a.loc[common].sort_index(), b.loc[common].sort_index()
    coup = coupling_coordination(a, b, variant=variant, names=list(names))
    ratio = relative_development(a.to_numpy(), b.to_numpy(), scale=scale)
    rel = pd.DataFrame({"unit": a.index.get_level_values("unit"), "year": a.index.get_level_values("year").astype(int),
                        "forces": a.to_numpy(), "relations": b.to_numpy(), "ratio": ratio,
                        "cls": relative_class(ratio, lower=bounds[0], upper=bounds[1]),
                        "D": coup.D, "level": coup.level, "level_zh": coup.level_zh, "level_en": coup.level_en})
    return RelationsFitResult(relative=rel, coupling=coup, names=names, bounds=bounds, scale=scale,
                              notes=notes + coup.notes)


class FitOptions(Options):
    """``[analyses.relations_fit]``: forces (default: the first nqpf index), relations (default: the first index
    with role "relations"), bounds, variant."""

    forces: str | None = None
    relations: str | None = None
    bounds: tuple[float, float] = (0.8, 1.2)
    scale: Literal["mean", "raw"] = "mean"
    variant: Literal["standard", "modified"] = "standard"


def _fit_methods(res: RelationsFitResult, opts: FitOptions, lang: str) -> str:
    c = cite(("liao1999", "wang2021neri"), lang)
    lo, hi = res.bounds
    y0, y1 = res.years[0], res.years[-1]
    if lang == "zh":
        sc = "（两指数先各除以共同样本均值）" if res.scale == "mean" else ""
        return (f"生产关系适配以市场化指数等构建的生产关系指数衡量{c}，计算其与新质生产力的耦合协调度，并以相对发展度 "
                f"$R = U_{{NQPF}}/U_{{PR}}${sc}判断滞后的一方：$R<{lo}$ 为生产力滞后，${lo}\\le R\\le {hi}$ 为同步，"
                f"$R>{hi}$ 为生产关系滞后；样本为两个指数共同覆盖的 {y0}–{y1} 年。")
    sc = " (each index first divided by its mean over the common sample)" if res.scale == "mean" else ""
    return (f"The fit of production relations is measured by a production-relations index built on the marketization "
            f"index{c}: its coupling coordination with NQPF, and the relative development degree "
            f"$R = U_{{NQPF}}/U_{{PR}}${sc} that says which side lags (productive forces for $R<{lo}$, synchronous "
            f"for ${lo}\\le R\\le {hi}$, production relations for $R>{hi}$), on the years both indices cover, "
            f"{y0}–{y1}.")


@register_analysis("relations_fit", options=FitOptions, result=RelationsFitResult, section="relations", order=20,
                   label=("生产关系适配", "The fit of production relations"), refs=("liao1999", "wang2021neri"),
                   methods=_fit_methods)
def _study_fit(ctx: StudyContext, opts: FitOptions) -> RelationsFitResult:
    if opts.relations is None and not ctx.indices("relations"):
        raise StudyError("[analyses.relations_fit] needs a production-relations index: add an [[index]] with "
                         'framework = "prf-province" and role = "relations", or name one with relations = "..."')
    a, ra = ctx.index(opts.forces, role="nqpf")
    b, rb = ctx.index(opts.relations, role="relations")
    return relations_fit(ra, rb, bounds=opts.bounds, scale=opts.scale, variant=opts.variant, names=(a, b))
