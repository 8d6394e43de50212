"""Coupling coordination degree 耦合协调度 of two or more subsystems (e.g. NQPF and HQD).

For each unit-year with subsystem indices ``U_1 … U_n`` (normalised, in [0, 1]):

* coupling degree 耦合度 ``C``
  - ``variant="standard"`` (the n-system form): ``C = [n^n · Π U_i / (Σ U_i)^n]^(1/n)``
    ``= n · (Π U_i)^(1/n) / Σ U_i`` = geometric mean / arithmetic mean of the ``U_i``.
    ``C ∈ [0, 1]``, ``C = 1`` exactly when all ``U_i`` are equal; it is scale-free (only the ratios
    of the ``U_i`` matter).
  - ``variant="modified"`` (修正的耦合度, Wang Shujia et al. 2021, see :func:`coupling_degree`):
    ``C = sqrt{ [1 - Σ_{i>j} |U_i - U_j| / Σ_{m=1}^{n-1} m] · [Π_i (U_i / max_k U_k)]^(1/(n-1)) }``.
* comprehensive coordination index 综合协调指数 ``T = Σ α_i U_i`` (``α_i ≥ 0``, ``Σ α_i = 1``;
  equal weights ``1/n`` by default);
* coupling coordination degree 耦合协调度 ``D = sqrt(C · T)``, classified into ten levels
  (:data:`COORDINATION_LEVELS`).

With equal weights and the standard variant, ``C · T = (Π U_i)^(1/n)``, so ``D`` is the square root
of the geometric mean of the subsystems (a handy hand check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Heading, Table, Text
from nqpf.core.errors import DataError, MethodError, StudyError
from nqpf.core.i18n import join, num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.units import unit_name
from nqpf.result import IndexResult
from nqpf.viz.maps import choropleth_figure, draw_map, map_kind
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "COORDINATION_LEVELS",
    "CouplingResult",
    "coordination_level",
    "coupling_coordination",
    "coupling_degree",
    "level_names",
]

VARIANTS = ("standard", "modified")

#: The conventional ten-level classification of D (Liao Chongbin 1999, Tropical Geography 19(2)):
#: (level, low, high, zh, en). Classes are half-open [low, high); the top class is [0.9, 1.0] and holds 1.0.
COORDINATION_LEVELS: tuple[tuple[int, float, float, str, str], ...] = (
    (1, 0.0, 0.1, "极度失调", "Extreme imbalance"),
    (2, 0.1, 0.2, "严重失调", "Serious imbalance"),
    (3, 0.2, 0.3, "中度失调", "Moderate imbalance"),
    (4, 0.3, 0.4, "轻度失调", "Mild imbalance"),
    (5, 0.4, 0.5, "濒临失调", "On the verge of imbalance"),
    (6, 0.5, 0.6, "勉强协调", "Barely coordinated"),
    (7, 0.6, 0.7, "初级协调", "Primary coordination"),
    (8, 0.7, 0.8, "中级协调", "Intermediate coordination"),
    (9, 0.8, 0.9, "良好协调", "Good coordination"),
    (10, 0.9, 1.0, "优质协调", "High-quality coordination"),
)
_EDGES = np.array([lv[1] for lv in COORDINATION_LEVELS[1:]])  # 0.1, 0.2, …, 0.9
_ZH = np.array([lv[3] for lv in COORDINATION_LEVELS], dtype=object)
_EN = np.array([lv[4] for lv in COORDINATION_LEVELS], dtype=object)

#: Values of U in [-_TOL_LOW, 0) or (1, 1 + _TOL_HIGH] are clipped to [0, 1] (with a note): rounding noise,
#: and the 1e-4 min–max shift that lets a weighted-sum score reach 1 + shift.
_TOL_LOW = 1e-9
_TOL_HIGH = 1e-3
#: D is rounded to this many decimals before it is classified (see coordination_level).
_CLASS_DECIMALS = 12


# ---------------------------------------------------------------------------------------------
# numpy kernels


def coupling_degree(U: ArrayLike, variant: str = "standard") -> NDArray[np.float64]:
    """Coupling degree C of each row of ``U`` (rows = unit-years, columns = subsystems, values in [0, 1]).

    References: standard n-system form — Liao Chongbin 1999, Tropical Geography 19(2):171-177 (two
    systems) in the general form restated by Wang Shujia, Kong Wei, Ren Liang, Zhi Dandan & Dai Binting
    2021, Journal of Natural Resources (自然资源学报) 36(3):793-810, "国内耦合协调度模型的误区及修正"
    (doi:10.31497/zrzyxb.20210319); ``variant="modified"`` — the revised C of that same paper.

    Standard (规范形式)::

        C = [ n^n · Π U_i / (Σ U_i)^n ]^(1/n) = n · (Π U_i)^(1/n) / Σ U_i

    Two systems: ``C = 2·sqrt(U1·U2)/(U1+U2)``; three systems: ``C = 3·(U1·U2·U3)^(1/3)/(U1+U2+U3)``.

    Forms seen in published papers that are wrong (values at U1 = U2 = U3 = u, where C must be 1):

    * ``C = sqrt(U1·U2)/(U1+U2)`` — the coefficient n dropped (丢失系数): C ≤ 0.5, never 1.
    * ``C = {U1·U2·U3 / [(U1+U2)(U1+U3)(U2+U3)]}^(1/3)`` — pairwise sums in the denominator: C ≤ 0.5;
      with a leading factor 3 it reaches 1.5 > 1.
    * ``C = 3·sqrt(U1·U2·U3)/(U1+U2+U3)`` — the two-system square root kept for three systems: gives
      ``sqrt(u)`` (e.g. 0.707 at u = 0.5), depends on the scale of U and is not 1 at equality.
    * ``C = 2·sqrt(U1·U2·U3)/(U1+U2+U3)`` or averaging the three pairwise two-system C's — not the
      n-system model; the first is not scale-free, the second measures something else.
    * ``C = {Π U_i / [(Σ U_i)/n]^n}^k`` with an "adjustment coefficient" k ≠ 1/n (e.g. k = 2):
      still 1 at equality, but C_k = C^(n·k) compresses or stretches C, so D and its class depend on
      the arbitrary k; only k = 1/n is the standard model.

    This function always uses the n-system form above.

    Modified (修正的耦合度模型, ``variant="modified"``), as we read Wang et al. 2021::

        C = sqrt{ [1 - Σ_{i>j} sqrt((U_i - U_j)^2) / Σ_{m=1}^{n-1} m] · [Π_{i=1}^{n} (U_i / max_k U_k)]^(1/(n-1)) }

    ``Σ_{m=1}^{n-1} m = n(n-1)/2`` is the number of pairs, so the first factor is one minus the mean
    absolute pairwise gap; the second is the (n-1)-th root of the product of the ratios to the largest
    subsystem (the largest ratio is 1, so it is the geometric mean of the other n-1 ratios). Two
    systems with U1 ≤ U2: ``C = sqrt[(1 - (U2 - U1)) · U1/U2]``. Both factors lie in [0, 1] when
    U ∈ [0, 1], so C ∈ [0, 1], and C = 1 when all U_i are equal. Unlike the standard C it depends on
    the level of the gaps, not only on the ratios, and spreads values that the standard C crowds near
    1. We transcribed the formula from the paper's published equation as we know it; we could not
    re-check it against a printed copy offline — please compare with the paper before relying on the
    modified C in publication.

    Edge case: when every U_i of a row is 0, both forms are 0/0; C is set to 1 (the limit along equal
    values, consistent with "C = 1 when all subsystems are equal"); D = 0 there anyway.

    Parameters
    ----------
    U : (rows, n) subsystem indices in [0, 1], n ≥ 2.
    variant : "standard" or "modified".

    Returns
    -------
    (rows,) coupling degrees in [0, 1].

    Examples
    --------
    >>> coupling_degree([[0.4, 0.6], [0.5, 0.5]]).round(6).tolist()
    [0.979796, 1.0]
    >>> coupling_degree([[0.4, 0.6]], "modified").round(6).tolist()  # sqrt((1 - 0.2) · 0.4/0.6)
    [0.730297]
    """
    A = np.asarray(U, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] < 2:
        raise MethodError(f"U must be a 2-D matrix with one column per subsystem (≥ 2), got shape {A.shape}")
    if variant not in VARIANTS:
        raise MethodError(f"unknown coupling variant {variant!r}; use one of {list(VARIANTS)}")
    n = A.shape[1]
    # work on the transposed, contiguous (n, rows) layout: reductions over the few subsystems are
    # then element-wise operations on long contiguous rows (much faster than axis=1 on (rows, n))
    At = np.ascontiguousarray(A.T)
    mx = At.max(axis=0)
    zero = mx == 0
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        # ratios to the row maximum (in [0, 1], largest 1) and their logs: no under/overflow of the
        # product for tiny or many subsystems; a zero ratio gives log 0 = -inf and exp(-inf) = 0
        R = At / mx
        logsum = np.log(R).sum(axis=0)
        if variant == "standard":
            C = np.exp(logsum / n) / (R.sum(axis=0) / n)  # scale-free: GM/AM of the ratios
        else:
            gaps = np.zeros(At.shape[1])  # Σ_{i>j} |U_i - U_j|
            for i in range(n):
                for j in range(i):
                    gaps += np.abs(At[i] - At[j])
            first = 1.0 - gaps / (n * (n - 1) / 2.0)
            ratio = np.exp(logsum / (n - 1))
            C = np.sqrt(np.clip(first, 0.0, None) * ratio)
    C = np.where(zero, 1.0, C)
    return np.clip(C, 0.0, 1.0)


def coordination_level(D: ArrayLike) -> NDArray[np.int64]:
    """The ten-level class (1 … 10) of coupling coordination degrees D (Liao Chongbin 1999, Trop. Geogr.).

    Classes are half-open ``[a, b)`` with boundaries 0.1, 0.2, …, 0.9 (a D exactly on a boundary goes
    to the upper class, e.g. 0.5 is 勉强协调 level 6) and the top class ``[0.9, 1.0]`` includes 1.0.
    D is first rounded to 12 decimals so that a value such as 0.29999999999999993 that equals a
    boundary up to floating-point noise is classed with the boundary. (Some papers write the classes
    as ``(a, b]``; then a D exactly on a boundary is one class lower.)

    Examples
    --------
    >>> coordination_level([0.05, 0.5, 0.99, 1.0]).tolist()
    [1, 6, 10, 10]
    """
    d = np.round(np.asarray(D, dtype=np.float64), _CLASS_DECIMALS)
    if np.isnan(d).any():
        raise MethodError("D has NaN values; cannot classify them")
    if (d < 0).any() or (d > 1).any():
        raise MethodError(f"D must lie in [0, 1]; got values from {np.min(d)} to {np.max(d)}")
    return np.searchsorted(_EDGES, d, side="right").astype(np.int64) + 1


# ---------------------------------------------------------------------------------------------
# result


@dataclass
class CouplingResult(Result):
    """Coupling coordination of n subsystems per unit-year.

    Attributes
    ----------
    U : the subsystem indices, shape (observations, n), in the order of ``names``.
    C : coupling degree 耦合度; T : comprehensive coordination index 综合协调指数;
    D : coupling coordination degree 耦合协调度 (all shape (observations,)).
    level : class 1 … 10 of D; level_zh / level_en : its Chinese / English name.
    names : the subsystem names; alpha : the weights of T; variant : "standard" or "modified".
    index : the (unit, year) index of the observations when the input was indexed, else None.
    notes : anything done to the data on the way (clipping of rounding noise, all-zero rows).
    year : the year the summary's class distribution, the narrative and the map show (default: the
        latest year).
    """

    label = ("耦合协调度", "Coupling coordination")

    U: NDArray[np.float64]
    C: NDArray[np.float64]
    T: NDArray[np.float64]
    D: NDArray[np.float64]
    level: NDArray[np.int64]
    level_zh: NDArray[Any]
    level_en: NDArray[Any]
    names: list[str]
    alpha: NDArray[np.float64]
    variant: str = "standard"
    index: pd.Index | None = None
    notes: list[str] = field(default_factory=list)
    year: int | None = None

    @property
    def n(self) -> int:
        """The number of subsystems."""
        return len(self.names)

    def to_frame(self) -> pd.DataFrame:
        """One row per observation: (unit, year when indexed), U_<name> …, C, T, D, level, level_zh, level_en."""
        cols: dict[str, Any] = {}
        if self.index is not None:
            names = list(self.index.names)
            if isinstance(self.index, pd.MultiIndex):
                if self.index.nlevels == 2 and all(n is None for n in names):
                    names = ["unit", "year"]
                for k in range(self.index.nlevels):
                    cols[names[k] or f"level_{k}"] = self.index.get_level_values(k).to_numpy()
            else:
                cols[names[0] or "unit"] = self.index.to_numpy()
        for j, name in enumerate(self.names):
            cols[f"U_{name}"] = self.U[:, j]
        cols.update({"C": self.C, "T": self.T, "D": self.D, "level": self.level,
                     "level_zh": self.level_zh, "level_en": self.level_en})
        return pd.DataFrame(cols)

    def level_counts(self, by_year: bool = True) -> pd.DataFrame:
        """How many observations fall in each class (by year when the input had a ``year`` level)."""
        df = self.to_frame()
        if by_year and "year" in df.columns:
            t = pd.crosstab(df["year"], df["level"]).reindex(columns=range(1, 11), fill_value=0)
        else:
            t = df["level"].value_counts().reindex(range(1, 11), fill_value=0).to_frame("count").T
        return t

    def class_table(self, lang: str = "en") -> pd.DataFrame:
        """Counts of observations per coordination class (columns "<level> <name>", classes present
        only), one row per year when indexed by year."""
        counts = self.level_counts()
        counts = counts.loc[:, counts.sum() > 0]
        names = level_names(lang)
        tb = counts.rename(columns=lambda k: f"{int(k)} {names[int(k) - 1]}")
        tb.columns.name = None
        return tb.reset_index() if "year" in tb.index.names else tb.reset_index(drop=True)

    def _by_year(self) -> tuple[pd.DataFrame, int] | None:
        """The frame and the shown year (``year`` or the latest) when the result is indexed by year."""
        df = self.to_frame()
        if "year" not in df.columns:
            return None
        years = sorted(int(y) for y in df["year"].unique())
        y = years[-1] if self.year is None else int(self.year)
        if y not in years:
            raise DataError(f"year {self.year} is not in the coupling result; it covers {years}")
        return df, y

    def _class_counts(self, df: pd.DataFrame, lang: str) -> list[tuple[str, int]]:
        """(class name in ``lang``, count), highest class first."""
        names = level_names(lang)
        counts = df["level"].value_counts().sort_index(ascending=False)
        return [(names[int(k) - 1], int(v)) for k, v in counts.items()]

    def _summary_lines(self, lang: str) -> list[str]:
        """Formula, subsystems, means of C, T, D and the distribution over the ten classes."""
        zh = lang == "zh"
        alpha = ("，" if zh else ", ").join(f"{n} {a:.3g}" for n, a in zip(self.names, self.alpha, strict=True))
        if zh:
            lines = [f"耦合协调度（{self.variant} 耦合度 C，{self.n} 个子系统）：{join(self.names, lang)}",
                     f"T = Σ α_i U_i，α：{alpha}；D = sqrt(C·T)",
                     f"观测数 {len(self.D)}；C 均值 {num(np.mean(self.C))}，T 均值 {num(np.mean(self.T))}，"
                     f"D 均值 {num(np.mean(self.D))}（最小 {num(np.min(self.D))}，最大 {num(np.max(self.D))}）"]
        else:
            lines = [f"Coupling coordination ({self.variant} C, {self.n} subsystems): {', '.join(self.names)}",
                     f"T = Σ α_i U_i with α: {alpha}; D = sqrt(C·T)",
                     f"observations: {len(self.D)}; mean C {num(np.mean(self.C))}, mean T {num(np.mean(self.T))}, "
                     f"mean D {num(np.mean(self.D))} (min {num(np.min(self.D))}, max {num(np.max(self.D))})"]
        shown = self._by_year()
        if shown is not None:
            df, y = shown
            by = df.groupby("year")["D"].mean()
            sep = "，" if zh else ", "
            lines.append(("各年 D 均值：" if zh else "mean D by year: ")
                         + sep.join(f"{yy}: {num(v)}" for yy, v in by.items()))
            counts = self._class_counts(df[df["year"] == y], lang)
            lines.append((f"{y} 年等级分布：" if zh else f"classes in {y}: ")
                         + sep.join(f"{name} {k}" for name, k in counts))
        else:
            counts = self._class_counts(self.to_frame(), lang)
            lines.append(("等级分布：" if zh else "classes: ")
                         + ("，" if zh else ", ").join(f"{name} {k}" for name, k in counts))
        lines.extend((f"说明：{n}" if zh else f"note: {n}") for n in self.notes)
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """Mean D in the first and the shown year, the class distribution of that year, leaders and laggards."""
        shown = self._by_year()
        if shown is None:
            return [f"D 均值 {num(np.mean(self.D))}。" if lang == "zh" else f"Mean D {num(np.mean(self.D))}."]
        df, y1 = shown
        by = df.groupby("year")["D"].mean()
        y0 = int(by.index[0])
        last = df[df["year"] == y1]
        counts = self._class_counts(last, lang)
        top = last.sort_values("D", ascending=False, kind="stable")
        has_unit = "unit" in last.columns
        if lang == "zh":
            out = [f"{'、'.join(self.names)} 的耦合协调度 D 均值由 {y0} 年的 {num(by.iloc[0])} 变为 {y1} 年的 "
                   f"{num(by.loc[y1])}。",
                   f"{y1} 年等级分布：" + "、".join(f"{name} {k} 个" for name, k in counts) + "。"]
            if has_unit:
                out.append(f"D 最高：{unit_name(top['unit'].iloc[0], lang)}（{num(top['D'].iloc[0])}）；最低："
                           f"{unit_name(top['unit'].iloc[-1], lang)}（{num(top['D'].iloc[-1])}）。")
            return out
        out = [f"The mean coupling coordination degree D of {join(list(self.names), lang)} went from "
               f"{num(by.iloc[0])} in {y0} to {num(by.loc[y1])} in {y1}.",
               f"Classes in {y1}: " + ", ".join(f"{name} {k}" for name, k in counts) + "."]
        if has_unit:
            out.append(f"Highest D: {unit_name(top['unit'].iloc[0], lang)} ({num(top['D'].iloc[0])}); lowest: "
                       f"{unit_name(top['unit'].iloc[-1], lang)} ({num(top['D'].iloc[-1])}).")
        return out

    # -- figures -------------------------------------------------------------------------------
    def matrix(self, values: str = "D") -> pd.DataFrame:
        """Unit × year table of D (or another column of :meth:`to_frame`, e.g. ``level_zh``)."""
        df = self.to_frame()
        if "unit" not in df.columns or "year" not in df.columns:
            raise MethodError("the coupling result has no (unit, year) index; pass indexed subsystems "
                              "(IndexResults or Series indexed by (unit, year)) to get a unit × year table")
        units = list(dict.fromkeys(df["unit"]))
        return df.pivot(index="unit", columns="year", values=values).reindex(units)

    def _on_map(self, kind: str | None = None) -> bool:
        """Whether the units are China's provinces (a map can be drawn)."""
        if self.index is None or not isinstance(self.index, pd.MultiIndex) or self.index.nlevels != 2:
            return False
        units = list(dict.fromkeys(self.index.get_level_values(0)))
        return map_kind(units, kind) is not None

    def map_figure(self, lang: str = "en") -> Any:
        """Interactive map of D with a year slider (provinces only); hover shows the class."""
        lab = "level_zh" if lang == "zh" else "level_en"
        return choropleth_figure(self.matrix("D"), lang=lang, title=t("coupling", lang), colorbar_title="D",
                                 colorscale="Cividis", hover_extra=self.matrix(lab), year=self._by_year()[1])  # type: ignore[index]

    def figures(self, lang: str = "en") -> list[Any]:
        """The map of D with a year slider when the units are China's provinces; otherwise none."""
        return [self.map_figure(lang)] if self._on_map() else []

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Provinces: a map of D in the shown year, coloured by the ten classes (0.1 wide). Other indexed
        units: mean, minimum and maximum D by year over the class bands. Unindexed: a histogram of D."""
        shown = self._by_year()
        if shown is not None and self._on_map():
            return self._plot_map(ax, lang, shown[1])
        fig, ax = figure_axes(ax, (5.2, 3.4))
        names = level_names(lang)
        if shown is not None:
            g = shown[0].groupby("year")["D"]
            years = np.asarray(g.mean().index, dtype=float)
            ax.fill_between(years, g.min().to_numpy(), g.max().to_numpy(), color=OKABE_ITO[4], alpha=0.18, lw=0,
                            label=("最小–最大" if lang == "zh" else "min–max"))
            ax.plot(years, g.mean().to_numpy(), color=OKABE_ITO[4], marker="o", ms=3,
                    label=t("mean", lang))
            ax.set_xlabel(t("year", lang))
            ax.set_ylabel(f"{t('coupling', lang)} D")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.legend(loc="best")
        else:
            ax.hist(self.D, bins=np.linspace(0, 1, 21), color=OKABE_ITO[4], edgecolor="white", linewidth=0.4)
            ax.set_xlabel(f"{t('coupling', lang)} D")
            ax.set_ylabel(t("count", lang))
        lo, hi = float(np.min(self.D)), float(np.max(self.D))
        for b in np.arange(1, 10) / 10.0:
            if lo - 0.1 < b < hi + 0.1:
                (ax.axvline if shown is None else ax.axhline)(b, color="#cccccc", lw=0.5, zorder=0)
        if shown is not None:
            for k in range(int(lo * 10), min(10, int(hi * 10) + 1)):
                ax.text(1.01, (k + 0.5) / 10, names[k], transform=ax.get_yaxis_transform(), fontsize=6,
                        va="center", color="#555555")
        return fig

    def _plot_map(self, ax: Axes | None, lang: str, year: int) -> MplFigure:
        import matplotlib.pyplot as plt
        from matplotlib.colors import BoundaryNorm

        mat = self.matrix("D")
        vals = mat[year].to_numpy(dtype=float)
        present = sorted({int(min(9, np.floor(v * 10 + 1e-12))) for v in vals if np.isfinite(v)})
        lo, hi = present[0], present[-1] + 1
        bounds = np.arange(lo, hi + 1) / 10.0
        cmap = plt.get_cmap("cividis", len(bounds) - 1)
        norm = BoundaryNorm(bounds, cmap.N)
        fig, ax = figure_axes(ax, (6.0, 4.6))
        coll = draw_map(ax, mat[year], cmap=cmap, norm=norm, lang=lang)
        cb = fig.colorbar(coll, ax=ax, fraction=0.035, pad=0.01, ticks=bounds)
        cb.outline.set_linewidth(0.4)  # type: ignore[operator]
        cb.set_label(f"{t('coupling', lang)} D, {year}")
        names = level_names(lang)
        mids = (bounds[:-1] + bounds[1:]) / 2
        cb.ax.set_yticks(mids, minor=True)
        cb.ax.set_yticklabels([names[round(b * 10)] for b in bounds[:-1]], minor=True, fontsize=6)
        cb.ax.tick_params(which="minor", length=0, pad=18)
        return fig

    # -- report --------------------------------------------------------------------------------
    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, the map (provinces only) and the number of units per class and year."""
        lang = ctx.lang
        blocks: list[Block] = [Text(tuple(self.narrative(lang)))]
        if self._by_year() is not None and self._on_map(ctx.unit_kind):
            blocks.append(Figure(self.map_figure(lang)))
        tb = self.class_table(lang)
        blocks += [Heading(t("coupling_classes", lang)),
                   Table(tb, formats={c: "int" for c in tb.columns}, headers={"year": t("year", lang)})]
        return blocks

    def __repr__(self) -> str:
        return (f"CouplingResult({self.variant!r}, systems={self.names}, observations={len(self.D)}, "
                f"mean D={np.mean(self.D):.4f})")


def level_names(lang: str = "en") -> list[str]:
    """The names of the ten coordination classes (level 1 … 10) in ``lang``.

    Examples
    --------
    >>> level_names("zh")[5], level_names("en")[5]
    ('勉强协调', 'Barely coordinated')
    """
    return [lv[3] if lang == "zh" else lv[4] for lv in COORDINATION_LEVELS]


# ---------------------------------------------------------------------------------------------
# pandas-facing API


def _as_series(obj: Any, k: int) -> tuple[pd.Series | None, NDArray[np.float64] | None, str]:
    """One subsystem as an indexed Series (Series, IndexResult) or a bare 1-D array."""
    if isinstance(obj, IndexResult):
        return obj.score_series().rename("score"), None, obj.framework.name
    if isinstance(obj, pd.Series):
        name = str(obj.name) if obj.name is not None else f"U{k + 1}"
        return obj.astype(float), None, name
    try:
        a = np.asarray(obj, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"subsystem {k + 1} is not numeric: {exc}") from None
    if a.ndim != 1:
        raise DataError(f"subsystem {k + 1} must be one-dimensional (one value per unit-year), got shape {a.shape}")
    return None, a, f"U{k + 1}"


def _fmt_keys(keys: Sequence[Any], limit: int = 5) -> str:
    shown = [" ".join(str(p) for p in k) if isinstance(k, tuple) else str(k) for k in list(keys)[:limit]]
    more = f" (and {len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(shown) + more


#: How to put subsystems on common unit-years (the code runs as written; tests/test_coupling.py runs it).
_ALIGN_HINT = (
    "Align them on the unit-years they share first: take each IndexResult's scores as a Series, "
    "a = res_a.scores.set_index(['unit', 'year'])['score'] (a Series indexed by (unit, year) as it is), "
    "likewise b; then common = a.index.intersection(b.index) and "
    "coupling_coordination(a.loc[common], b.loc[common])")


def _collect(systems: tuple[Any, ...], names: Sequence[str] | None
             ) -> tuple[NDArray[np.float64], list[str], pd.Index | None]:
    if len(systems) == 1 and isinstance(systems[0], pd.DataFrame):
        df = systems[0]
        systems = tuple(df[c] for c in df.columns)
    if len(systems) < 2:
        raise MethodError(
            f"coupling coordination needs at least two subsystems, got {len(systems)}; pass e.g. "
            "coupling_coordination(nqpf_result, hqd_result) or a DataFrame with one column per subsystem")
    parsed = [_as_series(s, k) for k, s in enumerate(systems)]
    indexed = [p[0] is not None for p in parsed]
    auto_names = [p[2] for p in parsed]
    if names is not None:
        if len(names) != len(systems):
            raise MethodError(f"names has {len(names)} entries for {len(systems)} subsystems")
        auto_names = [str(n) for n in names]
    else:
        seen: dict[str, int] = {}
        for k, n in enumerate(auto_names):
            if n in seen:
                auto_names[k] = f"{n}_{k + 1}"
            seen[n] = k
    if any(indexed) and not all(indexed):
        bare = [auto_names[k] for k, i in enumerate(indexed) if not i]
        raise DataError(
            f"subsystems {bare} are bare arrays while others are indexed by (unit, year); pass all as "
            "Series/IndexResults on the same (unit, year) index, or all as aligned arrays")
    if not all(indexed):
        arrays = [p[1] for p in parsed]
        lengths = {len(a) for a in arrays}  # type: ignore[arg-type]
        if len(lengths) != 1:
            raise DataError(
                "subsystem arrays have different lengths "
                + ", ".join(f"{n}: {len(a)}" for n, a in zip(auto_names, arrays, strict=True))  # type: ignore[arg-type]
                + "; pass aligned arrays (one value per unit-year, same order)")
        return np.column_stack(arrays), auto_names, None  # type: ignore[arg-type]
    series = [p[0] for p in parsed]
    ref = series[0].index  # type: ignore[union-attr]
    for k, s in enumerate(series):
        dup = s.index.duplicated()  # type: ignore[union-attr]
        if dup.any():
            raise DataError(f"subsystem '{auto_names[k]}' has duplicate unit-years: "
                            f"{_fmt_keys(list(s.index[dup]))}; keep one value per unit-year")  # type: ignore[union-attr]
    cols = [series[0].to_numpy(dtype=float)]  # type: ignore[union-attr]
    for k in range(1, len(series)):
        idx = series[k].index  # type: ignore[union-attr]
        if not idx.equals(ref):
            only_first = ref.difference(idx, sort=False)
            only_k = idx.difference(ref, sort=False)
            if len(only_first) or len(only_k):
                parts = []
                if len(only_first):
                    parts.append(f"in '{auto_names[0]}' but not in '{auto_names[k]}': {_fmt_keys(list(only_first))}")
                if len(only_k):
                    parts.append(f"in '{auto_names[k]}' but not in '{auto_names[0]}': {_fmt_keys(list(only_k))}")
                raise DataError(
                    f"subsystems '{auto_names[0]}' and '{auto_names[k]}' are not on the same unit-years; "
                    + "; ".join(parts) + ". " + _ALIGN_HINT)
        cols.append(series[k].reindex(ref).to_numpy(dtype=float))  # type: ignore[union-attr]
    return np.column_stack(cols), auto_names, ref


def coupling_coordination(
    *systems: Any,
    alpha: Sequence[float] | None = None,
    variant: str = "standard",
    names: Sequence[str] | None = None,
) -> CouplingResult:
    """Coupling coordination degree 耦合协调度 D = sqrt(C·T) of two or more subsystems.

    Reference: Liao Chongbin 1999, Tropical Geography 19(2):171-177 (D and its ten classes); n-system
    and modified C per Wang Shujia et al. 2021, Journal of Natural Resources 36(3):793-810 (see
    :func:`coupling_degree` for the formulas, the modified variant and the published wrong forms).

    Parameters
    ----------
    *systems : two or more subsystem indices: IndexResults (their ``score`` by (unit, year)), pandas
        Series on the same (unit, year) index, aligned 1-D arrays, or one DataFrame whose columns are
        the subsystems. Values must be normalised indices in [0, 1] (composite scores of min–max
        normalised indicators are). Values in (1, 1.001] — a weighted-sum score with the 1e-4 min–max
        shift reaches 1 + shift — and in [-1e-9, 0) are clipped to [0, 1] with a note in ``notes``;
        anything further outside raises a DataError.
    alpha : weights of the subsystems in T = Σ α_i U_i; non-negative, summing to 1; default 1/n each.
    variant : "standard" (n-system C = n·(Π U_i)^(1/n)/Σ U_i) or "modified" (Wang et al. 2021).
    names : subsystem names (default: Series names, framework names of IndexResults, or U1, U2, …).

    Returns
    -------
    CouplingResult with U (observations, n) and C, T, D, level (observations,).

    Examples
    --------
    >>> r = coupling_coordination([0.4, 0.2], [0.6, 0.8])
    >>> r.D.round(4).tolist(), r.level_zh.tolist()
    ([0.6999, 0.6325], ['初级协调', '初级协调'])
    >>> print(r.summary("zh").splitlines()[-1])
    等级分布：初级协调 2
    """
    if variant not in VARIANTS:
        raise MethodError(f"unknown coupling variant {variant!r}; use 'standard' or 'modified'")
    U, sys_names, index = _collect(systems, names)
    n = U.shape[1]
    if alpha is None:
        a = np.full(n, 1.0 / n)
    else:
        a = np.asarray(alpha, dtype=np.float64).ravel()
        if a.shape != (n,):
            raise MethodError(f"alpha has {a.size} weights for {n} subsystems ({sys_names}); give one per subsystem")
        if not np.all(np.isfinite(a)) or (a < 0).any():
            raise MethodError(f"alpha must be finite and non-negative, got {a.tolist()}")
        if abs(a.sum() - 1.0) > 1e-9:
            raise MethodError(f"alpha must sum to 1, got {a.tolist()} (sum {a.sum():.6g}); e.g. alpha=[0.5, 0.5]")

    def where(rows: NDArray[np.intp]) -> str:
        if index is None:
            return "rows " + ", ".join(str(int(r)) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        return _fmt_keys([index[int(r)] for r in rows])

    notes: list[str] = []
    U = np.asfortranarray(U)  # contiguous columns for the per-subsystem checks
    for j, name in enumerate(sys_names):
        col = U[:, j]
        bad = np.flatnonzero(np.isnan(col))
        if bad.size:
            raise DataError(f"subsystem '{name}' is missing (NaN) at {where(bad)}; drop or fill those unit-years first")
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise DataError(f"subsystem '{name}' is infinite at {where(bad)}")
        bad = np.flatnonzero((col < -_TOL_LOW) | (col > 1 + _TOL_HIGH))
        if bad.size:
            raise DataError(
                f"subsystem '{name}' has values outside [0, 1] at {where(bad)} (e.g. {col[bad[0]]:g}); coupling "
                "coordination needs normalised indices in [0, 1] — rescale it (e.g. min–max over the panel) first")
        noisy = np.flatnonzero((col < 0) | (col > 1))
        if noisy.size:
            notes.append(f"subsystem '{name}': {noisy.size} value(s) just outside [0, 1] (at most "
                         f"{max(-col.min(), col.max() - 1):.2g}) clipped to [0, 1]")
            U[:, j] = np.clip(col, 0.0, 1.0)
    zero = np.flatnonzero(~U.any(axis=1))
    if zero.size:
        notes.append(f"all subsystems are 0 at {where(zero)}: C set to 1 (limit at equal values), D = 0")
    C = coupling_degree(U, variant)
    T = U @ a
    D = np.sqrt(np.clip(C * T, 0.0, 1.0))
    level = coordination_level(D)
    return CouplingResult(
        U=U, C=C, T=T, D=D, level=level, level_zh=_ZH[level - 1], level_en=_EN[level - 1],
        names=sys_names, alpha=a, variant=variant, index=index, notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# study file: [analyses.coupling]
# ---------------------------------------------------------------------------------------------
class CouplingOptions(Options):
    """``[analyses.coupling]``: the systems (index names; default the first NQPF and HQD indices), the
    contribution coefficients and the variant of the coupling degree."""

    systems: list[str] | None = None
    alpha: list[float] | None = None
    variant: Literal["standard", "modified"] = "standard"


def _coupling_methods(res: CouplingResult, opts: CouplingOptions, lang: str) -> str:
    """The methods.md paragraph: D = sqrt(C·T), the n-system C (or the modified C), the ten classes."""
    c = cite(("liao1999", "wang2021"), lang)
    names = list(res.names)
    if lang == "zh":
        who = f"（{'、'.join(map(str, names))}）" if names else ""
        text = (f"耦合协调度{c}{who}为 $D = \\sqrt{{C\\,T}}$，其中 n 系统耦合度 "
                "$C = n\\left(\\prod_i U_i\\right)^{1/n}/\\sum_i U_i$，综合协调指数 $T = \\sum_i \\alpha_i U_i$，"
                "按 0.1 间距划分为十个等级。")
    else:
        who = f" of {', '.join(map(str, names))}" if names else ""
        text = (f"The coupling coordination degree{c}{who} is $D = \\sqrt{{C\\,T}}$ with the n-system coupling "
                "degree $C = n\\left(\\prod_i U_i\\right)^{1/n}/\\sum_i U_i$ and the comprehensive index "
                "$T = \\sum_i \\alpha_i U_i$, classified into ten levels of width 0.1.")
    if res.variant != "modified":
        return text
    c2 = cite(("wang2021",), lang)
    formula = ("$C = \\sqrt{\\left[1 - \\frac{\\sum_{i>j}|U_i - U_j|}{\\sum_{m=1}^{n-1} m}\\right]"
               "\\left[\\prod_i \\frac{U_i}{\\max_k U_k}\\right]^{1/(n-1)}}$")
    if lang == "zh":
        return f"{text}耦合度采用修正模型{c2}：{formula}。"
    return f"{text} The modified coupling degree{c2} was used: {formula}."


def _same_sample(names: list[str], results: list[IndexResult]) -> None:
    """A StudyError saying how to give the indices the same unit-years in the study file, when they differ."""
    keys = [set(zip(r.scores["unit"], r.scores["year"].astype(int), strict=True)) for r in results]
    if all(k == keys[0] for k in keys[1:]):
        return
    units = [set(r.units) for r in results]
    years = [set(int(y) for y in r.years) for r in results]
    common_units, common_years = set.intersection(*units), sorted(set.intersection(*years))
    if not common_units or not common_years:
        raise StudyError(f"[analyses.coupling]: the indices {names} share no unit-year; choose indices measured "
                         "on the same units and years")
    parts = []
    for n, u, y in zip(names, units, years, strict=True):
        extra_u = sorted(map(str, u - common_units))
        extra_y = sorted(y - set(common_years))
        if extra_u or extra_y:
            parts.append(f"'{n}' also has " + " and ".join(
                ([f"units {', '.join(extra_u)}"] if extra_u else []) + ([f"years {extra_y}"] if extra_y else [])))
    excluded = sorted(map(str, set.union(*units) - common_units))
    fix = f"years = [{common_years[0]}, {common_years[-1]}]"
    if excluded:
        fix += f" and exclude_units = {excluded!r}"
    raise StudyError(
        f"[analyses.coupling]: the indices {names} are not measured on the same unit-years ({'; '.join(parts)}); "
        f"give them the same sample in the study file: {fix} in each of their [[index]] tables")


@register_analysis("coupling", options=CouplingOptions, result=CouplingResult, section="hqd", order=10,
                   label=("耦合协调度", "Coupling coordination"), refs=("liao1999", "wang2021"),
                   methods=_coupling_methods)
def _study_coupling(ctx: StudyContext, opts: CouplingOptions) -> CouplingResult:
    names = opts.systems or [*ctx.indices("nqpf")[:1], *ctx.indices("hqd")[:1]]
    if len(names) < 2:
        raise StudyError("[analyses.coupling] needs two or more systems (an nqpf and an hqd index)")
    systems = [ctx.index(n)[1] for n in names]
    _same_sample(names, systems)
    return coupling_coordination(*systems, alpha=opts.alpha, variant=opts.variant, names=names)
