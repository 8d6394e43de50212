"""Distributional dynamics: kernel density estimation (核密度估计) and (spatial) Markov chains (马尔可夫链).

- ``kernel_density``: a Gaussian kernel density of each year on one common grid, with the location,
  spread, number of peaks (polarisation, 极化) and right tail (延展性) of each year.
  Rosenblatt (1956), Ann. Math. Stat. 27:832-837; Parzen (1962), Ann. Math. Stat. 33:1065-1076.
- ``markov``: the classical (traditional) Markov chain of class transitions between consecutive years.
  Quah (1993), Eur. Econ. Rev. 37:426-434, via PySAL giddy.markov.Markov.
- ``spatial_markov``: transitions conditioned on the class of the neighbours' spatial lag.
  Rey (2001), Geogr. Anal. 33:195-214, via giddy.markov.Spatial_Markov; homogeneity tests of
  Bickenbach & Bode (2003), Int. Reg. Sci. Rev. 26:363-392.
"""

from __future__ import annotations

import copy
import sys
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import signal, stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Text
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import join, num, pct, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.shaping import balanced_matrix, panel_frame, plain
from nqpf.geo.weights import spatial_weights, weights_label
from nqpf.viz.style import figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "KernelDensityResult",
    "MarkovResult",
    "SpatialMarkovResult",
    "kernel_density",
    "markov",
    "spatial_markov",
]


# =============================================================================================
# kernel density
# =============================================================================================
@dataclass
class KernelDensityResult(Result):
    """Gaussian kernel densities (核密度估计) of each year on a common grid, with per-year features.

    Attributes
    ----------
    grid : the common evaluation grid.
    density : year × grid DataFrame of density values f̂_t(x).
    bandwidth_rule : the rule given (``"scott"``, ``"silverman"``, a number or a callable's name).
    factor : year -> scipy's bandwidth factor; bandwidth : year -> h = factor × sample sd (ddof=1).
    peaks : year -> grid locations of the counted peaks (highest first).
    stats : per year n, mean, median, mode (grid argmax), std (ddof=1), iqr, peak_height, n_peaks,
        skewness (adjusted Fisher–Pearson G1), tail_threshold (= mean + 1 sd), tail_mass (∫ f̂ above
        the threshold), tail_share (share of observations above it), factor and bandwidth.
    peak_threshold : a local maximum counts as a peak when its height is at least this share of the
        year's highest density value (default 0.05).
    """

    grid: np.ndarray
    density: pd.DataFrame
    bandwidth_rule: str
    factor: dict[int, float]
    bandwidth: dict[int, float]
    peaks: dict[int, np.ndarray]
    stats: pd.DataFrame
    column: str = "score"
    peak_threshold: float = 0.05

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.density.index]

    def to_frame(self) -> pd.DataFrame:
        """The per-year summary table (location, spread, peaks, right tail, bandwidth)."""
        return self.stats.copy()

    def _summary_lines(self, lang: str) -> list[str]:
        """How the distribution moved between the first and the last year."""
        s = self.stats.set_index("year")
        y0, y1 = s.index[0], s.index[-1]
        a, b = s.loc[y0], s.loc[y1]
        multi = [int(y) for y in s.index if s.loc[y, "n_peaks"] > 1]
        if lang == "zh":
            head = (f"核密度估计（{len(s)} 年，高斯核，带宽规则 {self.bandwidth_rule}），变量 {self.column!r}。")
        else:
            head = (f"Kernel density of {self.column!r} ({len(s)} years, Gaussian kernel, bandwidth "
                    f"{self.bandwidth_rule}).")
        peaks = (f"峰的个数（高度不低于最高峰 {self.peak_threshold:.0%} 的局部极大值）："
                 f"{y0} 年 {int(a['n_peaks'])} 个，"
                 f"{y1} 年 {int(b['n_peaks'])} 个。" if lang == "zh" else
                 f"Number of peaks (local maxima at least {self.peak_threshold:.0%} of the highest): "
                 f"{int(a['n_peaks'])} in {y0}, {int(b['n_peaks'])} in {y1}"
                 + (f"; more than one peak (polarisation) in {', '.join(map(str, multi))}." if multi
                    else "; one peak in every year (no polarisation)."))
        return [head, *self.narrative(lang), peaks]

    def narrative(self, lang: str = "en") -> list[str]:
        """How the distribution moved: location, peak height, spread, number of peaks, right tail."""
        s = self.stats.set_index("year")
        y0, y1 = int(s.index[0]), int(s.index[-1])
        a, b = s.loc[y0], s.loc[y1]
        multi = [int(y) for y in s.index if s.loc[y, "n_peaks"] > 1]
        if lang == "zh":
            return [f"{y0}–{y1} 年分布主峰位置由 {num(a['mode'])} 移至 {num(b['mode'])}，均值由 {num(a['mean'])} 变为 "
                    f"{num(b['mean'])}；峰高由 {num(a['peak_height'], 2)} 变为 {num(b['peak_height'], 2)}，"
                    f"标准差由 {num(a['std'])} {'扩大' if b['std'] > a['std'] else '缩小'}至 {num(b['std'])}。",
                    ("出现多峰（极化）的年份：" + "、".join(map(str, multi)) + "。") if multi
                    else "各年均为单峰，无明显极化。",
                    f"偏度由 {num(a['skewness'], 2)} 变为 {num(b['skewness'], 2)}，"
                    f"右拖尾{'延长' if b['tail_mass'] > a['tail_mass'] else '收缩'}。"]
        peak = (f"stayed at {num(a['mode'])}" if a["mode"] == b["mode"]
                else f"moved from {num(a['mode'])} to {num(b['mode'])}")
        return [f"From {y0} to {y1} the main peak {peak} and the mean "
                f"from {num(a['mean'])} to {num(b['mean'])}; the peak height went from {num(a['peak_height'], 2)} "
                f"to {num(b['peak_height'], 2)} and the standard deviation "
                f"{'widened' if b['std'] > a['std'] else 'narrowed'} from {num(a['std'])} to {num(b['std'])}.",
                ("More than one peak (polarisation) in " + join([str(y) for y in multi], lang) + ".") if multi
                else "One peak in every year: no polarisation.",
                f"Skewness {num(a['skewness'], 2)} → {num(b['skewness'], 2)}; the right tail "
                f"{'lengthened' if b['tail_mass'] > a['tail_mass'] else 'shortened'}."]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The densities over the years as a 3-D surface (score × year × density); ``ax`` must be 3-D."""
        if ax is not None and getattr(ax, "name", "") != "3d":
            raise MethodError("the kernel density surface needs a 3-D axes: fig.add_subplot(projection='3d')")
        fig, ax = figure_axes(ax, (5.2, 4.0), projection="3d")
        dens = self.density
        years = np.asarray(self.years, dtype=float)
        X, Y = np.meshgrid(np.asarray(self.grid, dtype=float), years)
        ax.plot_surface(X, Y, dens.to_numpy(dtype=float), cmap="viridis", rstride=1, cstride=2,  # type: ignore[attr-defined]
                        linewidth=0.1, edgecolor="#444444", antialiased=True, alpha=0.95)
        ax.set_xlabel(t("score", lang), labelpad=2)
        ax.set_ylabel(t("year", lang), labelpad=4)
        ax.set_zlabel(t("density", lang), labelpad=2)  # type: ignore[attr-defined]
        ax.view_init(elev=28, azim=-58)  # type: ignore[attr-defined]
        ax.tick_params(pad=0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # type: ignore[attr-defined]
            axis.pane.set_facecolor((1, 1, 1, 0))
            axis.pane.set_edgecolor("#cccccc")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """The densities of each year as a ridge plot (one filled curve per year, stacked)."""
        import plotly.graph_objects as go
        from plotly.colors import sample_colorscale

        dens = self.density
        grid = np.asarray(self.grid, dtype=float)
        years = self.years
        scale = 1.6 / float(np.nanmax(dens.to_numpy(dtype=float)))
        cols = sample_colorscale("Viridis", [i / max(1, len(years) - 1) for i in range(len(years))])
        cmap = [c.replace("rgb(", "rgba(").replace(")", ",0.75)") for c in cols]
        fig = go.Figure()
        for i, y in enumerate(reversed(years)):
            j = len(years) - 1 - i
            d = dens.loc[y].to_numpy(dtype=float)
            # one closed polygon per year: the curve, then back along the baseline
            xs = np.concatenate([grid, grid[::-1]])
            ys = np.concatenate([d * scale + j, np.full_like(grid, float(j))])
            cd = np.concatenate([d, np.full_like(d, np.nan)])
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", name=str(y),
                                     line={"color": "#222", "width": 1}, fillcolor=cmap[j], customdata=cd,
                                     hoveron="points", hovertemplate=f"{y}<br>{t('score', lang)} %{{x:.3f}}: "
                                     f"{t('density', lang)} %{{customdata:.3f}}<extra></extra>"))
        fig.update_layout(height=max(380, 40 * len(years) + 160), showlegend=False,
                          xaxis={"title": t("score", lang)},
                          yaxis={"title": t("year", lang), "tickvals": list(range(len(years))),
                                 "ticktext": [str(y) for y in years]},
                          margin={"l": 60, "r": 20, "t": 20, "b": 50})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative and the ridge plot (the per-year table is in the workbook)."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang))]


def _count_peaks(f: np.ndarray, grid: np.ndarray, rel: float) -> np.ndarray:
    """Locations of interior local maxima of f at least ``rel`` × max(f), highest first."""
    idx, props = signal.find_peaks(f, height=rel * float(f.max()))
    idx = idx[np.argsort(-props["peak_heights"], kind="stable")]
    return grid[idx]


def kernel_density(
    result_or_frame: Any,
    column: str = "score",
    bandwidth: str | float | Callable[[Any], float] = "scott",
    grid: int | Sequence[float] | np.ndarray = 200,
    *,
    peak_threshold: float = 0.05,
    cut: float = 3.0,
) -> KernelDensityResult:
    """Gaussian kernel density (核密度估计) of each year on a common grid (Rosenblatt 1956; Parzen 1962).

    Parzen, E. (1962), Annals of Mathematical Statistics 33:1065-1076; scipy.stats.gaussian_kde.

    ``bandwidth`` is passed to scipy as ``bw_method`` (``"scott"``, ``"silverman"``, a scalar factor
    or a callable), separately for each year; the factor and h = factor × sd are recorded.
    ``grid`` is a number of points, spanning the pooled range extended by ``cut`` times the largest
    bandwidth on each side, or the grid itself. Peaks are interior local maxima of the density on
    the grid whose height is at least ``peak_threshold`` times the year's maximum.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> k = kernel_density(res)
    >>> k.years[0], k.years[-1], int(k.stats.set_index("year").loc[2023, "n"])
    (2013, 2023, 30)
    """
    frame = panel_frame(result_or_frame, column)
    if not (0 <= peak_threshold < 1):
        raise DataError(f"peak_threshold must be in [0, 1), got {peak_threshold}")
    rule = bandwidth if isinstance(bandwidth, str) else (
        getattr(bandwidth, "__name__", "callable") if callable(bandwidth) else f"factor {float(bandwidth):g}")
    kdes: dict[int, Any] = {}
    samples: dict[int, np.ndarray] = {}
    for year, sub in frame.groupby("year", sort=True):
        x = sub["value"].to_numpy()
        if len(x) < 2 or np.ptp(x) == 0:
            raise DataError(
                f"year {year}: {len(x)} observation(s) with {len(np.unique(x))} distinct value(s); a kernel "
                "density needs at least two distinct values — drop the year"
            )
        try:
            kdes[int(year)] = stats.gaussian_kde(x, bw_method=bandwidth)
        except (ValueError, TypeError) as exc:
            raise MethodError(f"year {year}: bandwidth {bandwidth!r} rejected by scipy: {exc}") from None
        samples[int(year)] = x
    h = {y: float(np.sqrt(k.covariance[0, 0])) for y, k in kdes.items()}
    if isinstance(grid, (int, np.integer)):
        if grid < 3:
            raise DataError(f"grid must have at least 3 points, got {grid}")
        lo = float(frame["value"].min()) - cut * max(h.values())
        hi = float(frame["value"].max()) + cut * max(h.values())
        xs = np.linspace(lo, hi, int(grid))
    else:
        xs = np.asarray(grid, dtype=float)
        if xs.ndim != 1 or len(xs) < 3 or not np.all(np.diff(xs) > 0):
            raise DataError("grid must be an integer or an increasing 1-D array of at least 3 points")
    dens = np.vstack([kdes[y](xs) for y in kdes])
    rows = []
    peaks: dict[int, np.ndarray] = {}
    for i, (year, kde) in enumerate(kdes.items()):
        x = samples[year]
        f = dens[i]
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        q1, med, q3 = np.percentile(x, [25, 50, 75])
        pk = _count_peaks(f, xs, peak_threshold)
        peaks[year] = pk
        thr = mean + sd
        rows.append({
            "year": year, "n": len(x), "mean": mean, "median": float(med), "mode": float(xs[np.argmax(f)]),
            "std": sd, "iqr": float(q3 - q1), "peak_height": float(f.max()), "n_peaks": len(pk),
            "skewness": float(stats.skew(x, bias=False)) if len(x) > 2 else np.nan,
            "tail_threshold": thr, "tail_mass": float(kde.integrate_box_1d(thr, np.inf)),
            "tail_share": float(np.mean(x > thr)), "factor": float(kde.factor), "bandwidth": h[year],
        })
    return KernelDensityResult(
        grid=xs,
        density=pd.DataFrame(dens, index=pd.Index(list(kdes), name="year"), columns=xs),
        bandwidth_rule=str(rule), factor={y: float(k.factor) for y, k in kdes.items()}, bandwidth=h,
        peaks=peaks, stats=pd.DataFrame(rows), column=column, peak_threshold=peak_threshold,
    )


# =============================================================================================
# Markov chains
# =============================================================================================
Classify = Literal["pooled", "per_year"]


def _mapclassify() -> Any:
    """mapclassify (imported by giddy too), without compiling its Fisher–Jenks kernel in every new process.

    mapclassify compiles ``_fisher_jenks_means`` with numba when it is imported (``@njit`` with a signature
    is compiled eagerly): 2–6 s of every cold run, though the chains use only quantile classes. The first
    import runs with numba's ``njit`` turning a signature into a lazy decorator, so Fisher–Jenks still works
    and compiles on its first use. Call this before importing giddy.
    """
    if "mapclassify" in sys.modules:
        return sys.modules["mapclassify"]
    import numba

    eager = numba.njit

    def lazy(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):  # a signature: compile on the first call instead
            return eager(**kwargs)
        return eager(*args, **kwargs)

    numba.njit = lazy
    try:
        import mapclassify
    finally:
        numba.njit = eager
    return mapclassify


def _steady(p: np.ndarray) -> np.ndarray:
    """giddy's steady state, rows of zeros filled with a 1 on the diagonal (absorbing empty classes)."""
    _mapclassify()
    from giddy.ergodic import steady_state

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(steady_state(p, fill_empty_classes=True), dtype=float)


def _class_labels(k: int, labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return [f"C{i + 1}" for i in range(k)]
    if len(labels) != k:
        raise DataError(f"labels has {len(labels)} names for {k} classes")
    return [str(s) for s in labels]


def _bounds_text(labels: list[str], cutoffs: np.ndarray | None, lang: str = "en") -> str:
    if cutoffs is None:
        return ("逐年分位数分类 " + "、".join(labels)) if lang == "zh" else (
            "per-year quantile classes " + ", ".join(labels))
    parts = [f"{labels[0]} ≤ {cutoffs[0]:.4g}"]
    parts += [f"{cutoffs[i - 1]:.4g} < {labels[i]} ≤ {cutoffs[i]:.4g}" for i in range(1, len(cutoffs))]
    parts.append(f"{labels[-1]} > {cutoffs[-1]:.4g}")
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


#: the class schemes in Chinese running text
_SCHEME_ZH = {"pooled": "混合面板分位数", "per_year": "逐年分位数", "cutoffs": "给定分界点"}


def _transition_table(counts: np.ndarray, p: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Rows: from-class with n (number of transitions out); columns: to-class probabilities."""
    df = pd.DataFrame(p, index=pd.Index(labels, name="from"), columns=labels)
    return df.assign(n=counts.sum(axis=1).astype(int))[["n", *labels]]


def _moves(counts: np.ndarray) -> tuple[float, float, float]:
    """Shares of all transitions that stay, move up and move down (NaN without transitions)."""
    k = counts.shape[0]
    tot = counts.sum()
    if not tot:
        return np.nan, np.nan, np.nan
    return (float(np.trace(counts) / tot), float(counts[np.triu_indices(k, 1)].sum() / tot),
            float(counts[np.tril_indices(k, -1)].sum() / tot))


def _mobility_sentence(p: np.ndarray, counts: np.ndarray, lang: str = "en") -> str:
    diag = np.diag(p)[counts.sum(axis=1) > 0]
    _, up, down = _moves(counts)
    if lang == "zh":
        return (f"保持原类型的概率 {diag.min():.3f}–{diag.max():.3f}；全部转移中 {pct(up)} 向上、{pct(down)} 向下。")
    return (f"Probability of staying in the same class {diag.min():.3f}–{diag.max():.3f}; "
            f"of all transitions {up:.1%} moved up and {down:.1%} moved down.")


def _steady_text(s: np.ndarray, labels: list[str], lang: str = "en") -> str:
    if s.ndim == 1:
        if lang == "zh":
            return "稳态分布：" + "、".join(f"{c} {v:.3f}" for c, v in zip(labels, s, strict=True))
        return "steady state: " + ", ".join(f"{c} {v:.3f}" for c, v in zip(labels, s, strict=True))
    if lang == "zh":
        return f"链可约，有 {s.shape[0]} 个常返类（无唯一稳态）"
    return f"the chain is reducible with {s.shape[0]} recurrent classes (no unique steady state)"


def _heatmap_axes(ax: Any, p: np.ndarray, rows: list[str], cols: list[str], lang: str, fmt: str = ".2f") -> Any:
    """An annotated heat map of transition probabilities (rows: class in t, columns: class in t+1)."""
    im = ax.imshow(p, cmap="cividis", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(p):
        ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=7,
                color="#ffffff" if v < 0.55 else "#000000")
    ax.set_xticks(range(len(cols)), labels=cols)
    ax.set_yticks(range(len(rows)), labels=rows)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(t("class_to", lang))
    ax.set_ylabel(t("class_from", lang))
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return im


@dataclass
class MarkovResult(Result):
    """Classical Markov chain of class transitions (传统马尔可夫链), Quah (1993), via giddy.

    Attributes
    ----------
    classes : class labels, lowest first.
    cutoffs : upper bounds of all but the top class (None for per-year quantiles).
    scheme : ``"pooled"`` (quantiles of all unit-years), ``"per_year"`` or ``"cutoffs"``.
    class_ids : unit × year DataFrame of class indices (0 = lowest).
    transitions : k × k counts of transitions from class i (rows) in t to class j in t+1.
    p : k × k transition probabilities (rows sum to 1; a class never left from has a zero row).
    steady_state : the ergodic distribution (k,), or (r, k) when the chain has r recurrent classes.
    initial, final : class shares in the first and last year.
    giddy : the underlying giddy.markov.Markov object.
    """

    label = ("马尔可夫链", "Markov chain")

    classes: list[str]
    cutoffs: np.ndarray | None
    scheme: str
    class_ids: pd.DataFrame
    transitions: pd.DataFrame
    p: pd.DataFrame
    steady_state: np.ndarray
    initial: pd.Series
    final: pd.Series
    column: str = "score"
    giddy: Any = field(default=None, repr=False)

    @property
    def k(self) -> int:
        return len(self.classes)

    def to_frame(self) -> pd.DataFrame:
        """The transition probability matrix with the number of transitions out of each class (n)."""
        return _transition_table(self.transitions.to_numpy(), self.p.to_numpy(), self.classes)

    def _summary_lines(self, lang: str) -> list[str]:
        """Class bounds, persistence and mobility, and the steady state against the observed shares."""
        years = list(self.class_ids.columns)
        counts, p = self.transitions.to_numpy(), self.p.to_numpy()
        shares0 = ", ".join(f"{c} {v:.3f}" for c, v in self.initial.items())
        shares1 = ", ".join(f"{c} {v:.3f}" for c, v in self.final.items())
        if lang == "zh":
            return [
                f"{self.column!r} 的马尔可夫链：{self.k} 类（{_SCHEME_ZH.get(self.scheme, self.scheme)}），"
                f"{self.class_ids.shape[0]} 个单位，{years[0]}–{years[-1]} 年，{int(counts.sum())} 次转移。",
                "类型：" + _bounds_text(self.classes, self.cutoffs, lang) + "。",
                _mobility_sentence(p, counts, lang),
                f"{years[0]} 年占比：{shares0}；{years[-1]} 年：{shares1}；"
                + _steady_text(self.steady_state, self.classes, lang) + "。",
            ]
        return [
            f"Markov chain of {self.column!r}: {self.k} classes ({self.scheme}), {self.class_ids.shape[0]} "
            f"units, {years[0]}–{years[-1]}, {int(counts.sum())} transitions.",
            "classes: " + _bounds_text(self.classes, self.cutoffs) + ".",
            _mobility_sentence(p, counts),
            f"shares in {years[0]}: {shares0}; in {years[-1]}: {shares1}; "
            + _steady_text(self.steady_state, self.classes) + ".",
        ]

    def narrative(self, lang: str = "en") -> list[str]:
        """Persistence on the diagonal, the chance of moving up, and the steady state against the last year."""
        p = self.p.to_numpy(dtype=float)
        diag = np.diag(p)
        stay, up, down = _moves(self.transitions.to_numpy(dtype=float))
        ss = np.asarray(self.steady_state, dtype=float)
        steady = final = ""
        if ss.ndim == 1:
            sep = "、" if lang == "zh" else ", "
            steady = sep.join(f"{c} {pct(v)}" for c, v in zip(self.classes, ss, strict=True))
            final = sep.join(f"{c} {pct(v)}" for c, v in self.final.items())
        if lang == "zh":
            out = [f"对角线上的留存概率为 {num(diag.min(), 3)}–{num(diag.max(), 3)}:{pct(stay)} 的年度转移保持原类型,"
                   f"{pct(up)} 向上跃迁,{pct(down)} 向下。"]
            if steady:
                out.append(f"稳态分布:{steady};末年实际:{final}。")
            return out
        out = [f"Persistence on the diagonal ranges from {num(diag.min(), 3)} to {num(diag.max(), 3)}: "
               f"{pct(stay)} of the yearly transitions stay in their class, {pct(up)} move up and {pct(down)} "
               "move down."]
        if steady:
            out.append(f"Steady state: {steady}; observed in the last year: {final}.")
        return out

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The transition probability matrix as an annotated heat map (rows: class in t, columns: t+1)."""
        fig, ax = figure_axes(ax, (3.8, 3.2))
        n = self.transitions.to_numpy().sum(axis=1)
        rows = [f"{c} (n={int(k)})" for c, k in zip(self.classes, n, strict=True)]
        im = _heatmap_axes(ax, self.p.to_numpy(dtype=float), rows, list(self.classes), lang, ".3f")
        fig.colorbar(im, ax=ax, label=t("probability", lang), shrink=0.8)
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """The transition probability matrix as an annotated heat map (rows: class in t, columns: t+1)."""
        import plotly.graph_objects as go

        p = self.p.to_numpy(dtype=float)
        n = self.transitions.to_numpy(dtype=float).sum(axis=1)
        rows = [f"{c} (n={int(k)})" for c, k in zip(self.classes, n, strict=True)]
        fig = go.Figure(go.Heatmap(z=p, x=list(self.classes), y=rows, colorscale="Cividis", zmin=0, zmax=1,
                                   text=np.round(p, 3), texttemplate="%{text:.3f}",
                                   colorbar={"title": {"text": t("probability", lang)}},
                                   hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"))
        fig.update_layout(height=380, xaxis={"title": t("class_to", lang), "side": "top"},
                          yaxis={"title": t("class_from", lang), "autorange": "reversed"},
                          margin={"l": 110, "r": 20, "t": 60, "b": 20})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The sentences on persistence and the steady state, and the heat map (the matrix is in the workbook)."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang))]


def _classify(
    y: np.ndarray, k: int, cutoffs: Sequence[float] | None, classify: Classify
) -> tuple[np.ndarray, np.ndarray | None, int, str]:
    """Class ids as giddy's Spatial_Markov forms them (mapclassify quantiles or user cutoffs)."""
    mc = _mapclassify()

    if cutoffs is not None:
        c = np.asarray(cutoffs, dtype=float)
        if c.ndim != 1 or len(c) < 1 or not np.all(np.diff(c) > 0):
            raise DataError(f"cutoffs must be increasing numbers (the upper bounds of the lower classes), got {c}")
        yb = mc.UserDefined(y.ravel(), np.append(c, np.inf)).yb.reshape(y.shape)
        return yb, c, len(c) + 1, "cutoffs"
    if k < 2:
        raise DataError(f"k must be at least 2, got {k}")
    if classify == "pooled":
        q = mc.Quantiles(y.ravel(), k=k)
        return q.yb.reshape(y.shape), np.asarray(q.bins[:-1], dtype=float), len(q.bins), "pooled"
    if classify == "per_year":
        yb = np.column_stack([mc.Quantiles(y[:, t], k=k).yb for t in range(y.shape[1])])
        return yb, None, k, "per_year"
    raise DataError(f"classify must be 'pooled' or 'per_year', got {classify!r}")


def _markov_result(
    class_ids: np.ndarray, units: list[Hashable], years: list[int], labels: list[str],
    cutoffs: np.ndarray | None, scheme: str, column: str, giddy_obj: Any = None,
    transitions: np.ndarray | None = None, p: np.ndarray | None = None,
) -> MarkovResult:
    _mapclassify()
    from giddy.markov import Markov

    k = len(labels)
    if giddy_obj is None and transitions is None:
        giddy_obj = Markov(class_ids, classes=np.arange(k), summary=False)
    if transitions is None:
        transitions, p = giddy_obj.transitions, giddy_obj.p
    assert p is not None
    ids = pd.DataFrame(class_ids, index=pd.Index(units, name="unit"), columns=pd.Index(years, name="year"))
    share = lambda col: pd.Series(np.bincount(col, minlength=k)[:k] / len(col), index=labels)  # noqa: E731
    return MarkovResult(
        classes=labels, cutoffs=cutoffs, scheme=scheme, class_ids=ids,
        transitions=pd.DataFrame(transitions, index=labels, columns=labels),
        p=pd.DataFrame(p, index=labels, columns=labels), steady_state=_steady(np.asarray(p)),
        initial=share(class_ids[:, 0]), final=share(class_ids[:, -1]), column=column, giddy=giddy_obj,
    )


def markov(
    result_or_frame: Any,
    k: int = 4,
    cutoffs: Sequence[float] | None = None,
    column: str = "score",
    *,
    classify: Classify = "pooled",
    labels: Sequence[str] | None = None,
) -> MarkovResult:
    """Classical Markov transition matrix (传统马尔可夫链转移概率矩阵), Quah (1993), via giddy.markov.Markov.

    Quah, D. (1993), European Economic Review 37:426-434.

    Classes: by default ``k`` quantile classes of all unit-years pooled (``classify="pooled"``, so a
    class means the same level in every year and upward moves are real gains); ``classify="per_year"``
    takes quantiles within each year (relative position); ``cutoffs`` (the k−1 upper bounds of the
    lower classes, a value equal to a cutoff falls in the lower class) overrides both. Needs a balanced
    panel of at least two consecutive years.

    Parameters
    ----------
    result_or_frame : an IndexResult or a tidy frame (unit, year, ``column``), balanced.
    k, cutoffs, classify, labels : the classes (see above); ``labels`` names them (default C1…Ck).

    Returns
    -------
    MarkovResult : transitions (k × k counts), p (k × k probabilities), steady_state (k,), class_ids
    (n_units × n_years).

    Examples
    --------
    >>> f = pd.DataFrame({"unit": np.repeat(list("abcd"), 3), "year": np.tile([2020, 2021, 2022], 4),
    ...                   "score": [1.0, 2, 4, 2, 1, 1, 3, 4, 4, 4, 3, 2]})
    >>> m = markov(f, k=2)
    >>> m.p.round(2).to_numpy().tolist()
    [[0.75, 0.25], [0.25, 0.75]]
    """
    frame = panel_frame(result_or_frame, column)
    mat = balanced_matrix(frame)
    if mat.shape[1] < 2:
        raise DataError(f"a Markov chain needs at least two years; got {list(mat.columns)}")
    yb, cut, kk, scheme = _classify(mat.to_numpy(), k, cutoffs, classify)
    return _markov_result(yb, list(mat.index), [int(c) for c in mat.columns], _class_labels(kk, labels),
                          cut, scheme, column)


@dataclass
class SpatialMarkovResult(Result):
    """Spatial Markov chain (空间马尔可夫链), Rey (2001), via giddy.markov.Spatial_Markov.

    Attributes
    ----------
    classes, lag_classes : labels of the k value classes and the m classes of the spatial lag.
    cutoffs, lag_cutoffs : upper bounds of the lower classes (None with per-year quantiles).
    class_ids, lag_class_ids : unit × year class indices of the value and of its spatial lag.
    T : (m, k, k) transition counts conditioned on the lag class in the start year.
    P : (m, k, k) conditional transition probabilities.
    S : per lag class the steady state (k,) (or (r, k) for a reducible chain).
    aspatial : the classical MarkovResult on the same classes.
    Q, Q_p_value, LR, LR_p_value, dof : Bickenbach & Bode (2003) tests that the conditional matrices
        equal the classical one (spatial homogeneity).
    w_transform : the transform of the w given (the chain uses a row-standardised copy).
    giddy : the giddy.markov.Spatial_Markov object.
    """

    label = ("空间马尔可夫链", "Spatial Markov chain")

    classes: list[str]
    lag_classes: list[str]
    cutoffs: np.ndarray | None
    lag_cutoffs: np.ndarray | None
    scheme: str
    class_ids: pd.DataFrame
    lag_class_ids: pd.DataFrame
    T: np.ndarray
    P: np.ndarray
    S: list[np.ndarray]
    aspatial: MarkovResult
    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    w_transform: str
    column: str = "score"
    giddy: Any = field(default=None, repr=False)
    #: the weights used, in words (en, zh; :func:`nqpf.geo.weights.weights_label`)
    weights: str = ""
    weights_zh: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Stacked conditional matrices: one block per lag class, rows = from-class, n and probabilities."""
        blocks = [
            _transition_table(self.T[i], self.P[i], self.classes).reset_index().assign(lag=lag)
            for i, lag in enumerate(self.lag_classes)
        ]
        df = pd.concat(blocks, ignore_index=True)
        return df[["lag", "from", "n", *self.classes]]

    def _up_shares(self) -> list[tuple[str, float, float, int]]:
        """Per lag class with transitions: (class, share up, share down, number of transitions)."""
        out = []
        for i, lag in enumerate(self.lag_classes):
            T = np.asarray(self.T[i], dtype=float)
            if T.sum():
                _, up, down = _moves(T)
                out.append((lag, up, down, int(T.sum())))
        return out

    def _summary_lines(self, lang: str) -> list[str]:
        """The homogeneity test, and how the neighbours' class changes the chance of moving up or down."""
        k = len(self.classes)
        dep = min(self.Q_p_value, self.LR_p_value) < 0.05
        moves = {lag: (up, down, n) for lag, up, down, n in self._up_shares()}
        if lang == "zh":
            lines = [
                f"{self.column!r} 的空间马尔可夫链：{k} 类（{_SCHEME_ZH.get(self.scheme, self.scheme)}），"
                f"邻域空间滞后 {len(self.lag_classes)} 类（行标准化权重）。",
                f"空间同质性检验（Bickenbach & Bode 2003）：Q = {self.Q:.3f}（p = {self.Q_p_value:.3g}），"
                f"LR = {self.LR:.3f}（p = {self.LR_p_value:.3g}），自由度 {self.dof}；"
                + ("转移依赖邻域水平。" if dep else "5% 水平下与邻域水平无显著关系。"),
            ]
        else:
            lines = [
                f"Spatial Markov chain of {self.column!r}: {k} classes ({self.scheme}), {len(self.lag_classes)} "
                f"classes of the neighbours' spatial lag (row-standardised W).",
                f"Spatial homogeneity (Bickenbach & Bode 2003): Q = {self.Q:.3f} (p = {self.Q_p_value:.3g}), "
                f"LR = {self.LR:.3f} (p = {self.LR_p_value:.3g}), dof {self.dof}; "
                + ("transitions depend on the neighbours' level." if dep
                   else "no significant dependence on the neighbours' level at 5%."),
            ]
        for lag in self.lag_classes:
            if lag not in moves:
                lines.append(f"邻域为 {lag}：无转移。" if lang == "zh" else f"neighbours in {lag}: no transitions.")
                continue
            up, down, n = moves[lag]
            lines.append(f"邻域为 {lag}：{n} 次转移，{pct(up)} 向上，{pct(down)} 向下。" if lang == "zh" else
                         f"neighbours in {lag}: {n} transitions, {up:.1%} up, {down:.1%} down.")
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """The homogeneity test and the chance of moving up by the neighbours' class."""
        ups = self._up_shares()
        sig = min(self.Q_p_value, self.LR_p_value) < 0.05
        if lang == "zh":
            out = [f"空间同质性检验:Q = {num(self.Q, 2)}(p = {num(self.Q_p_value, 3)}),LR = {num(self.LR, 2)}"
                   f"(p = {num(self.LR_p_value, 3)});"
                   f"{'转移概率显著依赖邻域水平' if sig else '5% 水平下转移与邻域水平无显著关系'}。"]
            if ups:
                out.append("按邻域类型的向上跃迁比例:" + "、".join(f"{lag} {pct(u)}(n={n})" for lag, u, _, n in ups)
                           + "。")
            return out
        out = [f"Spatial homogeneity: Q = {num(self.Q, 2)} (p = {num(self.Q_p_value, 3)}), LR = {num(self.LR, 2)} "
               f"(p = {num(self.LR_p_value, 3)}); "
               + ("transitions depend on the neighbours' class." if sig else
                  "no significant dependence on the neighbours' class at 5%.")]
        if ups:
            out.append("Share of upward moves by the neighbours' class: " + ", ".join(
                f"{lag} {pct(u)} (n = {n})" for lag, u, _, n in ups) + ".")
        return out

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The conditional matrices stacked in one heat map: a block of k rows per class of the neighbours."""
        k, m = len(self.classes), len(self.lag_classes)
        fig, ax = figure_axes(ax, (3.8, 0.45 * k * m + 1.2))
        rows = [f"{lag}: {c}" for lag in self.lag_classes for c in self.classes]
        im = _heatmap_axes(ax, np.asarray(self.P, dtype=float).reshape(m * k, k), rows, list(self.classes), lang)
        for b in range(1, m):
            ax.axhline(b * k - 0.5, color="#ffffff", lw=2)
        ax.set_ylabel(f"{t('neighbours', lang)}: {t('class_from', lang)}")
        fig.colorbar(im, ax=ax, label=t("probability", lang), shrink=0.8)
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """One transition matrix per class of the neighbours (spatial lag)."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        m = len(self.lag_classes)
        fig = make_subplots(rows=1, cols=m, horizontal_spacing=0.04,
                            subplot_titles=[f"{t('neighbours', lang)}: {c}" for c in self.lag_classes])
        for i in range(m):
            P = np.asarray(self.P[i], dtype=float)
            fig.add_trace(go.Heatmap(z=P, x=list(self.classes), y=list(self.classes), colorscale="Cividis", zmin=0,
                                     zmax=1, showscale=i == m - 1, text=np.round(P, 2), texttemplate="%{text:.2f}",
                                     hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"), 1, i + 1)
            fig.update_yaxes(autorange="reversed", row=1, col=i + 1)
        fig.update_layout(height=340, margin={"l": 40, "r": 20, "t": 50, "b": 30})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The homogeneity test, upward moves by the neighbours' class, and the conditional matrices."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang))]


def _prepare_w(w: Any, units: list[Hashable]) -> tuple[Any, str]:
    """Check a libpysal W against the units and return a row-standardised copy and the original transform."""
    ids = list(w.id_order)
    id_set = set(ids)
    unit_set = set(units)
    missing = [u for u in units if u not in id_set]
    if missing:
        raise DataError(
            f"unit(s) not in the spatial weights: {', '.join(repr(plain(u)) for u in missing[:10])}; "
            "build w on the panel's units (w.id_order must list every unit)"
        )
    extra = [i for i in ids if i not in unit_set]
    if extra:
        raise DataError(
            f"spatial weights list unit(s) with no data: {', '.join(repr(plain(u)) for u in extra[:10])}; "
            "build w on the panel's units only (e.g. libpysal.weights.w_subset)"
        )
    islands = list(w.islands)
    if islands:
        raise DataError(
            f"unit(s) with no neighbours in w: {', '.join(repr(plain(u)) for u in islands[:10])}; their spatial "
            "lag would be 0 — give them neighbours: islands = \"join\" in the weights' [weights.<label>] section "
            "(build_weights joins each to its nearest unit), or knn weights"
        )
    original = str(w.transform)
    wc = copy.deepcopy(w)
    if original.upper() != "R":
        wc.transform = "R"
    return wc, original


def spatial_markov(
    result_or_frame: Any,
    w: Any = None,
    k: int = 4,
    *,
    m: int | None = None,
    cutoffs: Sequence[float] | None = None,
    lag_cutoffs: Sequence[float] | None = None,
    column: str = "score",
    classify: Classify = "pooled",
    labels: Sequence[str] | None = None,
    fill_empty_classes: bool = False,
) -> SpatialMarkovResult:
    """Spatial Markov transition matrices (空间马尔可夫链) conditioned on the neighbours' lag class.

    Rey, S. J. (2001), Geographical Analysis 33:195-214; giddy.markov.Spatial_Markov.

    ``w`` is a libpysal W whose ids are the units (default:
    ``nqpf.geo.weights.spatial_weights(units, kind="contiguity")``); it is checked against the
    units (each unit in w and each id of w in the data, no islands) and row-standardised on a copy.
    Classes of the value and of the spatial lag follow ``classify`` as in :func:`markov` (pooled
    quantiles by default, or per-year, or ``cutoffs`` / ``lag_cutoffs``); ``m`` lag classes
    (default ``k``). Needs a balanced panel.

    Parameters
    ----------
    result_or_frame : an IndexResult or a tidy frame (unit, year, ``column``), balanced.
    w : libpysal W on the units (default queen contiguity of provinces).
    k, m, cutoffs, lag_cutoffs, classify, labels : the classes of the value and of its spatial lag.
    fill_empty_classes : giddy's treatment of classes never left from (absorbing).

    Returns
    -------
    SpatialMarkovResult : T and P (m, k, k), the aspatial chain, and the homogeneity tests Q and LR.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"unit": np.repeat(np.arange(16), 5), "year": np.tile(np.arange(2019, 2024), 16),
    ...                   "score": rng.lognormal(size=80)})
    >>> sm = spatial_markov(f, w=lat2W(4, 4), k=2)
    >>> int(sm.T.sum()), sm.P.shape
    (64, (2, 2, 2))
    """
    _mapclassify()
    from giddy.markov import Spatial_Markov

    frame = panel_frame(result_or_frame, column)
    mat = balanced_matrix(frame)
    units = list(mat.index)
    if mat.shape[1] < 2:
        raise DataError(f"a Markov chain needs at least two years; got {list(mat.columns)}")
    if w is None:
        w = spatial_weights(units, kind="contiguity")
    if not hasattr(w, "id_order") or not hasattr(w, "transform"):
        raise DataError(f"w must be a libpysal.weights.W, got {type(w).__name__}")
    wc, original = _prepare_w(w, units)
    order = list(wc.id_order)
    y = mat.reindex(order).to_numpy()
    if classify not in ("pooled", "per_year"):
        raise DataError(f"classify must be 'pooled' or 'per_year', got {classify!r}")
    if cutoffs is not None:
        _classify(y, k, cutoffs, classify)  # validate
    mm = k if m is None else m
    sm = Spatial_Markov(
        y, wc, k=k, m=mm, fixed=classify == "pooled",
        cutoffs=None if cutoffs is None else np.asarray(cutoffs, dtype=float),
        lag_cutoffs=None if lag_cutoffs is None else np.asarray(lag_cutoffs, dtype=float),
        fill_empty_classes=fill_empty_classes,
    )
    years = [int(c) for c in mat.columns]
    kk = int(sm.k)
    labs = _class_labels(kk, labels)
    lag_labs = [f"L{i + 1}" for i in range(int(sm.m))]
    scheme = "cutoffs" if cutoffs is not None else classify
    cut = None if sm.cutoffs is None else np.asarray(sm.cutoffs, dtype=float)
    lcut = None if sm.lag_cutoffs is None else np.asarray(sm.lag_cutoffs, dtype=float)
    aspatial = _markov_result(sm.class_ids, order, years, labs, cut, scheme, column,
                              transitions=sm.transitions, p=sm.p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ht = sm.ht
    idx = pd.Index(order, name="unit")
    cols = pd.Index(years, name="year")
    return SpatialMarkovResult(
        classes=labs, lag_classes=lag_labs, cutoffs=cut, lag_cutoffs=lcut, scheme=scheme,
        class_ids=pd.DataFrame(sm.class_ids, index=idx, columns=cols),
        lag_class_ids=pd.DataFrame(sm.lclass_ids, index=idx, columns=cols),
        T=np.asarray(sm.T), P=np.asarray(sm.P), S=[_steady(p) for p in np.asarray(sm.P)],
        aspatial=aspatial, Q=float(ht.Q), Q_p_value=float(ht.Q_p_value), LR=float(ht.LR),
        LR_p_value=float(ht.LR_p_value), dof=int(ht.dof), w_transform=original, column=column, giddy=sm,
        weights=weights_label(w), weights_zh=weights_label(w, "zh"),
    )


# ---------------------------------------------------------------------------------------------
# study file: [analyses.kernel_density], [analyses.markov], [analyses.spatial_markov]
# ---------------------------------------------------------------------------------------------
class KernelDensityOptions(Options):
    """``[analyses.kernel_density]``: the index, the bandwidth rule or value, the grid size."""

    index: str | None = None
    bandwidth: str | float = "scott"
    grid: int = 200


def _kde_methods(res: KernelDensityResult, opts: KernelDensityOptions, lang: str) -> str:
    c = cite(("rosenblatt1956", "parzen1962", "scott1992"), lang)
    bw = res.bandwidth_rule
    if lang == "zh":
        return (f"采用高斯核密度估计{c}刻画各年指数分布，"
                "$\\hat f(x) = \\frac{1}{nh}\\sum_i K\\left(\\frac{x - x_i}{h}\\right)$，"
                f"带宽规则 {bw}（Scott：$h = \\hat\\sigma n^{{-1/5}}$）。")
    return (f"The distribution of the index in each year was estimated by a Gaussian kernel density{c}, "
            f"$\\hat f(x) = \\frac{{1}}{{nh}}\\sum_i K\\left(\\frac{{x - x_i}}{{h}}\\right)$, bandwidth rule {bw} "
            "(Scott: $h = \\hat\\sigma n^{-1/5}$).")


@register_analysis("kernel_density", options=KernelDensityOptions, result=KernelDensityResult, section="disparity",
                   order=20, label=("分布动态：核密度估计", "Distribution dynamics: kernel density"),
                   refs=("rosenblatt1956", "parzen1962", "scott1992"), methods=_kde_methods)
def _study_kernel_density(ctx: StudyContext, opts: KernelDensityOptions) -> KernelDensityResult:
    _, res = ctx.index(opts.index)
    return kernel_density(res, bandwidth=opts.bandwidth, grid=opts.grid)


class MarkovOptions(Options):
    """``[analyses.markov]``: the index, the number of classes, pooled or per-year classes."""

    index: str | None = None
    k: int = 4
    classify: Literal["pooled", "per_year"] = "pooled"


def _markov_methods(res: MarkovResult, opts: MarkovOptions, lang: str) -> str:
    c = cite(("quah1993",), lang)
    k, scheme = res.k, res.scheme
    if lang == "zh":
        detail = f"（{k} 类，{_SCHEME_ZH[scheme]}）" if scheme in ("pooled", "per_year") else f"（{k} 类）"
        return (f"采用传统马尔可夫链{c}刻画等级转移{detail}：$p_{{ij}} = n_{{ij}}/n_i$，即 $t$ 年处于 $i$ 类的单元在 "
                "$t+1$ 年转入 $j$ 类的比例。")
    detail = f" ({k} classes, {scheme} quantiles)" if scheme in ("pooled", "per_year") else f" ({k} classes)"
    return (f"Transitions between levels were described by a Markov chain{c}{detail}: "
            "$p_{ij} = n_{ij}/n_i$, the share of units in class $i$ in year $t$ that are in class $j$ in $t+1$.")


@register_analysis("markov", options=MarkovOptions, result=MarkovResult, section="disparity", order=30,
                   label=("马尔可夫链：等级转移", "Markov chain of class transitions"), refs=("quah1993",),
                   methods=_markov_methods)
def _study_markov(ctx: StudyContext, opts: MarkovOptions) -> MarkovResult:
    _, res = ctx.index(opts.index)
    return markov(res, k=opts.k, classify=opts.classify)


class SpatialMarkovOptions(MarkovOptions):
    """``[analyses.spatial_markov]``: as markov, plus the spatial weights (a [weights.*] label or a kind)."""

    weights: str = "contiguity"


def _spatial_markov_methods(res: SpatialMarkovResult, opts: SpatialMarkovOptions, lang: str) -> str:
    c = cite(("rey2001", "bickenbach2003"), lang)
    if lang == "zh":
        return (f"采用空间马尔可夫链{c}，以邻域空间滞后值所属类型为条件刻画转移概率（行标准化权重），"
                "并以 Bickenbach & Bode 的 Q 与 LR 统计量检验空间同质性。"
                + (f"空间权重：{res.weights_zh or res.weights}。" if res.weights else ""))
    return (f"A spatial Markov chain{c} conditioned these transitions on the class of the neighbours' spatial lag "
            "(row-standardised weights); spatial homogeneity was tested with the Q and LR statistics of "
            "Bickenbach & Bode." + (f" Weights: {res.weights}." if res.weights else ""))


@register_analysis("spatial_markov", options=SpatialMarkovOptions, result=SpatialMarkovResult, section="disparity",
                   order=40, label=("空间马尔可夫链", "Spatial Markov chain"), refs=("rey2001", "bickenbach2003"),
                   methods=_spatial_markov_methods)
def _study_spatial_markov(ctx: StudyContext, opts: SpatialMarkovOptions) -> SpatialMarkovResult:
    _, res = ctx.index(opts.index)
    w = ctx.weights(opts.weights, res.units)
    return spatial_markov(res, w=w, k=opts.k, classify=opts.classify, fill_empty_classes=True)
