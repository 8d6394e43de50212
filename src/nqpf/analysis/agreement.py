"""Agreement of two indices on their shared unit-years (排名一致性): rank correlations per year.

Spearman's ρ (Spearman 1904, Am. J. Psychol. 15:72-101) and Kendall's τ-b (Kendall 1938,
Biometrika 30:81-93) between the two indices' scores in each shared year, the overlap of their top units,
and Spearman's ρ pooled over all shared unit-years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import DataError, StudyError
from nqpf.core.i18n import num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.result import IndexResult
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["RankAgreement", "rank_agreement"]


@dataclass
class RankAgreement(Result):
    """Spearman's ρ and Kendall's τ-b between two indices' scores in each shared year.

    Reference: Spearman (1904) Am. J. Psychol. 15:72-101; Kendall (1938) Biometrika 30:81-93.

    Attributes
    ----------
    a, b : the names of the two indices.
    table : one row per shared year with at least 3 units: year, n, spearman, spearman_p, kendall,
        kendall_p, top<k>_overlap (how many of the k best units the two indices share).
    pooled_spearman : Spearman's ρ over all shared unit-years.
    """

    a: str
    b: str
    table: pd.DataFrame
    pooled_spearman: float

    label = ("排名一致性", "Rank agreement")

    def to_frame(self) -> pd.DataFrame:
        """The per-year table (year, n, ρ and its p, τ-b and its p, top-k overlap)."""
        return self.table.copy()

    def _summary_lines(self, lang: str) -> list[str]:
        """The range and mean of ρ over the years, the mean τ-b and the pooled ρ."""
        tb = self.table
        if tb.empty:
            return [f"{self.a} 与 {self.b}：没有共同年份" if lang == "zh" else f"{self.a} vs {self.b}: no shared years"]
        y0, y1 = int(tb["year"].min()), int(tb["year"].max())
        rho, tau = tb["spearman"], tb["kendall"]
        if lang == "zh":
            return [f"{self.a} 与 {self.b}，{y0}–{y1} 年（{len(tb)} 个共同年份）：Spearman ρ 介于 "
                    f"{num(rho.min(), 3)} 与 {num(rho.max(), 3)} 之间（均值 {num(rho.mean(), 3)}）；"
                    f"Kendall τ 均值 {num(tau.mean(), 3)}；"
                    f"全部共同单元-年份的混合 Spearman ρ 为 {num(self.pooled_spearman, 3)}"]
        return [f"{self.a} vs {self.b}, {y0}–{y1} ({len(tb)} shared years): Spearman ρ from {num(rho.min(), 3)} to "
                f"{num(rho.max(), 3)} (mean {num(rho.mean(), 3)}); Kendall τ mean {num(tau.mean(), 3)}; "
                f"pooled Spearman over all shared unit-years {num(self.pooled_spearman, 3)}"]

    def _overlap(self) -> str | None:
        return next((c for c in self.table.columns if c.startswith("top") and c.endswith("_overlap")), None)

    def narrative(self, lang: str = "en") -> list[str]:
        """The summary, and how many of the top units the indices share in the last year."""
        out = self._summary_lines(lang)
        col = self._overlap()
        if self.table.empty or col is None:
            return out
        k = int(col[3:-len("_overlap")])
        last = self.table.iloc[-1]
        y, m = int(last["year"]), int(last[col])
        out.append(f"{y} 年两种指数的前 {k} 名中有 {m} 个相同。" if lang == "zh"
                   else f"In {y} the two indices share {m} of their top {k} units.")
        return out

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Spearman's ρ and Kendall's τ-b by year."""
        if self.table.empty:
            return super().plot(ax, lang)
        fig, ax = figure_axes(ax, (5.2, 3.0))
        tb = self.table
        ax.plot(tb["year"], tb["spearman"], marker="o", ms=3, color=OKABE_ITO[4], label="Spearman ρ")
        ax.plot(tb["year"], tb["kendall"], marker="s", ms=3, color=OKABE_ITO[5], label="Kendall τ-b")
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(t("correlation", lang))
        ax.set_ylim(min(0.0, float(np.nanmin(tb[["spearman", "kendall"]].to_numpy())) - 0.05), 1.02)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower right")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """Spearman's ρ and Kendall's τ-b by year (hover shows the p-values)."""
        import plotly.graph_objects as go

        tb = self.table
        if tb.empty:
            return []
        fig = go.Figure()
        for col, name, color in (("spearman", "Spearman ρ", OKABE_ITO[4]), ("kendall", "Kendall τ-b", OKABE_ITO[5])):
            fig.add_trace(go.Scatter(x=tb["year"], y=tb[col], mode="lines+markers", name=name,
                                     line={"color": color}, customdata=tb[f"{col}_p"],
                                     hovertemplate="%{x}: %{y:.3f} (p = %{customdata:.3g})<extra>" + name
                                     + "</extra>"))
        fig.update_layout(height=320, xaxis={"title": t("year", lang), "dtick": 1},
                          yaxis={"title": t("correlation", lang)}, legend={"orientation": "h", "y": -0.25},
                          margin={"l": 60, "r": 20, "t": 20, "b": 60})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, ρ and τ-b by year, and the per-year table."""
        tb = self.to_frame()
        formats = {c: "3f" for c in ("spearman", "spearman_p", "kendall", "kendall_p")}
        formats.update({c: "int" for c in tb.columns if c in ("year", "n") or c.endswith("_overlap")})
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang)),
                Table(tb, formats=formats, headers={"year": t("year", ctx.lang)})]


def rank_agreement(a: IndexResult, b: IndexResult, name_a: str = "a", name_b: str = "b",
                   top: int = 5) -> RankAgreement:
    """Rank agreement (排名一致性) of two indices on the unit-years both cover.

    Spearman's ρ and Kendall's τ-b (scipy) of the two scores in each shared year with at least three
    units, the number of units among the ``top`` best of both, and ρ pooled over all shared unit-years.
    Spearman, C. (1904), Am. J. Psychol. 15:72-101; Kendall, M. G. (1938), Biometrika 30:81-93.

    Returns
    -------
    RankAgreement with one row per shared year (year, n, spearman, spearman_p, kendall, kendall_p,
    top<k>_overlap) and the pooled ρ.

    Examples
    --------
    >>> from nqpf import load_dataset, load_framework, measure
    >>> res = measure(load_dataset("china-provinces"), load_framework("nqpf-province-core"), years=(2020, 2022))
    >>> rank_agreement(res, res, "a", "b").to_frame()["spearman"].round(6).tolist()
    [1.0, 1.0, 1.0]
    """
    sa = a.scores.set_index(["unit", "year"])["score"]
    sb = b.scores.set_index(["unit", "year"])["score"]
    both = sa.index.intersection(sb.index)
    if len(both) == 0:
        raise DataError(f"{name_a} and {name_b} share no unit-year")
    rows = []
    years = sorted(set(both.get_level_values("year")))
    for y in years:
        idx = both[both.get_level_values("year") == y]
        x, z = sa.loc[idx].to_numpy(), sb.loc[idx].to_numpy()
        if len(idx) < 3:
            continue
        rho, rp = stats.spearmanr(x, z)
        tau, tp = stats.kendalltau(x, z)
        units = idx.get_level_values("unit").to_numpy()
        ta = set(units[np.argsort(-x)[:top]])
        tb = set(units[np.argsort(-z)[:top]])
        rows.append({"year": int(y), "n": len(idx), "spearman": float(rho), "spearman_p": float(rp),
                     "kendall": float(tau), "kendall_p": float(tp), f"top{top}_overlap": len(ta & tb)})
    pooled = float(stats.spearmanr(sa.loc[both].to_numpy(), sb.loc[both].to_numpy())[0])
    return RankAgreement(name_a, name_b, pd.DataFrame(rows), pooled)


# ---------------------------------------------------------------------------------------------
# study file: [analyses.compare]
# ---------------------------------------------------------------------------------------------
class CompareOptions(Options):
    """``[analyses.compare]``: the two indices to compare (default: the study's first two NQPF indices)."""

    indices: list[str] | None = None
    top: int = 5


def _compare_methods(res: RankAgreement, opts: CompareOptions, lang: str) -> str:
    """The methods.md paragraph: Spearman's ρ and Kendall's τ-b in each year."""
    c = cite(("spearman1904", "kendall1938"), lang)
    if lang == "zh":
        return f"以 Spearman ρ 与 Kendall τ-b{c}逐年比较各指数排名的一致性。"
    return f"The rankings of the indices were compared by Spearman's ρ and Kendall's τ-b{c} in each year."


@register_analysis("compare", options=CompareOptions, result=RankAgreement, section="robustness", order=90,
                   label=("两种指数的排名一致性", "Rank agreement of two indices"),
                   refs=("spearman1904", "kendall1938"), methods=_compare_methods,
                   tables=lambda res, used: {f"compare_{used[0]}_vs_{used[1]}": res.to_frame()})
def _study_compare(ctx: StudyContext, opts: CompareOptions) -> RankAgreement:
    names = opts.indices or ctx.indices("nqpf")
    if len(names) < 2:
        raise StudyError("[analyses.compare] needs two indices")
    a, b = names[:2]
    _, ra = ctx.index(a)
    _, rb = ctx.index(b)
    return rank_agreement(ra, rb, a, b, top=opts.top)
