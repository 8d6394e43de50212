"""Static figures for papers (论文插图): ``figures/`` of a run as SVG and 300-dpi PNG.

:func:`write_figures` writes, per index, the score map (provinces), the national and regional trends and the
dimension heat map (``map_<index>``, ``trends_<index>`` from :meth:`IndexResult.plot
<nqpf.result.IndexResult.plot>`, ``dimensions_<index>``), and for every analysis whose
result draws a static figure (overrides :meth:`~nqpf.core.interface.Result.plot`) that figure as
``<spec.figure_stem>`` (the analysis registry names the file). A result that cannot draw for these units
raises :class:`~nqpf.core.errors.MethodError`; the figure is then left out and the returned
:class:`FigureSet` says why.

Size: no figure is larger than :data:`~nqpf.viz.style.MAX_PX` pixels a side. A run with more than
:data:`~nqpf.report.sections.LARGE_UNITS` units gets, per index, box plots of the score by year
(``distribution_<index>``) and of the sub-indices of the last year (``dimensions_<index>``) instead of the
unit × dimension heat map; an analysis figure drawn with one label per unit keeps its bars or points but not
the thousands of overlapping labels (the axis says how many units, in which order); every PNG is saved at the
highest resolution up to :data:`~nqpf.viz.style.DPI` that keeps it within the cap.

SVG keeps text as text (``svg.fonttype = 'none'``: Chinese labels render with the reader's fonts).
Style: no chart junk, labelled axes with units, colour-blind-safe palettes (viridis / cividis, Okabe & Ito).

CJK fonts: :func:`~nqpf.viz.style.cjk_font` looks for a Chinese font matplotlib can use. Without one, PNGs
fall back to English labels and the FigureSet carries a note saying so (``write_run`` records it in
``provenance.json``).
"""

from __future__ import annotations

import multiprocessing as mp
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nqpf.core.errors import MethodError
from nqpf.core.i18n import t
from nqpf.core.interface import Result
from nqpf.core.threads import num_threads
from nqpf.core.units import kind_words, unit_name
from nqpf.report import views as V
from nqpf.report.sections import LARGE_UNITS, is_large, run_kind
from nqpf.result import IndexResult
from nqpf.study import StudyRun
from nqpf.study.runner import AnalysisRecord
from nqpf.viz.maps import class_scale, draw_map, map_aspect, map_kind
from nqpf.viz.style import OKABE_ITO, cap_figsize, cjk_font, paper_style, pick_years, save_dpi

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FigureSet", "draws_static", "figure_specs", "plot_distribution", "plot_group_boxes", "plot_group_heatmap",
           "plot_index_map", "plot_trends", "record_stem", "thin_unit_labels", "write_figures"]


# =============================================================================================
# the index figures
# =============================================================================================
def _unit_labels(units: list[Any], lang: str) -> list[str]:
    return [unit_name(u, lang) for u in units]


def plot_index_map(res: IndexResult, lang: str = "en", years: list[int] | None = None,
                   title: str | None = None, classes: str = "continuous", k: int = 5) -> Figure:
    """Choropleth maps of the score for up to four years (first, last, evenly spaced) on one colour scale
    (``classes``/``k``: classed colours over the years shown, see :func:`nqpf.viz.maps.classify`)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    yrs = years or pick_years(res.years, 4)
    mat = res.score_matrix()
    vals = mat[yrs].to_numpy(dtype=float)
    cmap: Any = "viridis"
    norm = Normalize(float(np.nanmin(vals)), float(np.nanmax(vals)))
    if classes != "continuous":
        cmap, norm, _labels = class_scale(vals, classes, k, cmap)
    kind = map_kind(list(mat.index))
    ncol = 2 if len(yrs) > 1 else 1
    nrow = int(np.ceil(len(yrs) / ncol))
    width = 7.0 if ncol > 1 else 5.0
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, nrow * (width / ncol) / map_aspect(kind or "province")
                                                  + 0.7), squeeze=False, layout="constrained")
    coll = None
    for ax, y in zip(axes.ravel(), yrs, strict=False):
        coll = draw_map(ax, mat[y], cmap=cmap, norm=norm, lang=lang, kind=kind)
        ax.set_title(str(y), loc="left")
    for ax in axes.ravel()[len(yrs):]:
        ax.set_axis_off()
    cb = fig.colorbar(coll, ax=axes.ravel().tolist(), orientation="horizontal", fraction=0.05, pad=0.02,
                      aspect=45, shrink=0.8)
    cb.set_label(f"{title or t('score', lang)} ({_score_unit(lang)})")
    cb.outline.set_linewidth(0.4)
    return fig


def _score_unit(lang: str) -> str:
    return "0–1, 无量纲" if lang == "zh" else "0–1, dimensionless"


def plot_group_heatmap(res: IndexResult, kind: str = "dimension", year: int | None = None,
                       lang: str = "en") -> Figure:
    """Provinces (sorted by score) × groups heat map of the sub-indices of one year (cividis)."""
    import matplotlib.pyplot as plt

    y = res.years[-1] if year is None else int(year)
    m = V.group_matrix(res, kind, y)
    labels = [V.group_label(res, kind, k, lang) for k in m.columns]
    h = max(3.0, 0.16 * len(m) + 1.0)
    fig, ax = plt.subplots(figsize=cap_figsize((1.2 + 0.9 * len(labels) + 1.2, h)))
    im = ax.imshow(m.to_numpy(dtype=float), aspect="auto", cmap="cividis", vmin=0.0,
                   vmax=max(1e-9, float(np.nanmax(m.to_numpy(dtype=float)))))
    ax.set_xticks(range(len(labels)), labels=labels, rotation=30, ha="right")
    ax.set_yticks(range(len(m)), labels=_unit_labels(list(m.index), lang))
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cb.set_label(f"{t('sub_index', lang)} ({_score_unit(lang)}), {y}")
    cb.outline.set_linewidth(0.4)
    return fig


def _bxp(ax: Any, stats: Any, labels: list[str]) -> None:
    """Box plots from the precomputed rows of :func:`~nqpf.report.views.distribution` (no raw values)."""
    boxes = [{"label": lab, "q1": r.q1, "med": r.median, "q3": r.q3, "whislo": r.lower_fence,
              "whishi": r.upper_fence, "mean": r.mean, "fliers": []} for lab, r in zip(labels, stats.itertuples(),
                                                                                      strict=True)]
    ax.bxp(boxes, showmeans=True, showfliers=False, patch_artist=True,
           boxprops={"facecolor": "#cfe3f3", "edgecolor": OKABE_ITO[4], "linewidth": 0.7},
           medianprops={"color": OKABE_ITO[5], "linewidth": 1.2},
           meanprops={"marker": "D", "markerfacecolor": "#000000", "markeredgecolor": "none", "markersize": 3},
           whiskerprops={"linewidth": 0.7}, capprops={"linewidth": 0.7})


def plot_distribution(res: IndexResult, lang: str = "en") -> Figure:
    """Box plots of the score by year (quartiles, median, whiskers at 1.5 IQR, mean as a diamond): the
    distribution view of a panel with many units."""
    import matplotlib.pyplot as plt

    dist = V.distribution(res.scores)
    fig, ax = plt.subplots(figsize=cap_figsize((max(4.0, 0.45 * len(dist) + 1.4), 3.4)))
    _bxp(ax, dist, [str(y) for y in dist.index])
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(f"{t('score', lang)} ({_score_unit(lang)})")
    if len(dist) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    return fig


def plot_group_boxes(res: IndexResult, kind: str = "dimension", year: int | None = None,
                     lang: str = "en") -> Figure:
    """Box plots of the sub-indices of one year over the units, one box per group: the view of the heat map
    (:func:`plot_group_heatmap`) for panels with many units."""
    import matplotlib.pyplot as plt

    y = res.years[-1] if year is None else int(year)
    m = V.group_matrix(res, kind, y)
    stats = V.distribution(m.melt(var_name="group", value_name="v"), "v", by="group").reindex(list(m.columns))
    labels = [V.group_label(res, kind, k, lang) for k in m.columns]
    fig, ax = plt.subplots(figsize=cap_figsize((max(4.0, 0.9 * len(labels) + 1.4), 3.6)))
    _bxp(ax, stats, labels)
    ax.tick_params(axis="x", labelrotation=30)
    for lab in ax.get_xticklabels():
        lab.set_horizontalalignment("right")
    ax.set_ylabel(f"{t('sub_index', lang)} ({_score_unit(lang)}), {y}")
    return fig


def plot_trends(res: IndexResult, lang: str = "en", kind: str | None = None) -> Figure:
    """:meth:`IndexResult.plot <nqpf.result.IndexResult.plot>` (the mean by year, and the four regions of
    provinces) with the mean named by the unit kind: 全国均值 only for all 31 provinces, else 样本均值."""
    fig = res.plot(lang=lang)
    ax = fig.axes[0]
    if ax.lines:
        mean = kind_words(kind, lang, len(res.units)).mean
        ax.lines[0].set_label(mean[:1].upper() + mean[1:])
        ax.legend(loc="upper left")
    return fig


def thin_unit_labels(fig: Figure, axis_label: str, most: int = LARGE_UNITS) -> Figure:
    """Remove the tick labels of every axis of ``fig`` that has more than ``most`` of them (one per unit of
    a large panel: unreadable, and the slowest part of saving), naming the axis ``axis_label`` instead."""
    for ax in fig.axes:
        for which in ("y", "x"):
            axis = ax.yaxis if which == "y" else ax.xaxis
            if len(axis.get_ticklocs()) > most and len(axis.get_ticklabels()) > most:
                axis.set_ticks([])
                axis.set_label_text(axis_label)
    return fig


# =============================================================================================
# writing
# =============================================================================================
@dataclass
class FigureSet:
    """What :func:`write_figures` wrote: figure name → [svg, png] paths, the font used, and notes."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    font: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for ps in self.files.values() for p in ps]


def draws_static(result: Any) -> bool:
    """Whether a result draws a static figure (its class overrides :meth:`Result.plot`)."""
    return isinstance(result, Result) and type(result).plot is not Result.plot


def figure_specs(run: StudyRun) -> list[tuple[str, Callable[[str], Figure]]]:
    """(file stem, builder(lang) → Figure) for every static figure of the run: the indices, then the analyses."""
    specs: list[tuple[str, Callable[[str], Figure]]] = []
    for name, res in run.results.items():
        if map_kind(res.units, getattr(run.panel, "kind", None)):
            specs.append((f"map_{name}", lambda lang, r=res: plot_index_map(
                r, lang, classes=run.spec.output.map_classes, k=run.spec.output.map_k)))
        specs.append((f"trends_{name}", lambda lang, r=res: plot_trends(r, lang, run_kind(run, r.units))))
        # sub-index figures only when the framework has dimensions (a target with indicators directly has none)
        dims = V.group_matrix(res, "dimension", res.years[-1]).shape[1] > 0
        if is_large(len(res.units)):
            specs.append((f"distribution_{name}", lambda lang, r=res: plot_distribution(r, lang)))
            if dims:
                specs.append((f"dimensions_{name}", lambda lang, r=res: plot_group_boxes(r, "dimension", lang=lang)))
        elif dims:
            specs.append((f"dimensions_{name}", lambda lang, r=res: plot_group_heatmap(r, "dimension", lang=lang)))
    large = is_large(len(run.panel.units))
    kind = run_kind(run, run.panel.units)
    for rec in run.records.values():
        if draws_static(rec.result):
            if large:
                specs.append((record_stem(rec), lambda lang, r=rec.result: thin_unit_labels(
                    r.plot(lang=lang), _sorted_units(kind, len(run.panel.units), lang))))
            else:
                specs.append((record_stem(rec), lambda lang, r=rec.result: r.plot(lang=lang)))
    return specs


def _sorted_units(kind: str, n: int, lang: str) -> str:
    """The axis label of a per-unit axis whose labels were removed: ``5000 firms (in the figure's order)``."""
    w = kind_words(kind, lang, n)
    return f"{w.count(n)}(按图中顺序排列)" if lang == "zh" else f"{w.count(n)} (in the figure's order)"


def record_stem(record: AnalysisRecord) -> str:
    """The file stem of an analysis's static figure: the registry's ``figure_stem``; a model's is prefixed by its
    study label (two models of one kind write two files)."""
    stem = record.spec.figure_stem
    if record.name == record.spec.name:
        return stem
    return record.name if stem == record.spec.name else f"{record.name}_{stem}"


def write_figures(run: StudyRun, outdir: str | Path, lang: str = "en", formats: tuple[str, ...] = ("svg", "png"),
                  only: list[str] | None = None, workers: int | None = None) -> FigureSet:
    """Write the key figures of a run as SVG and 300-dpi PNG into ``outdir``; returns a FigureSet.

    ``only`` restricts to the named figure stems (e.g. ``["map_nqpf"]``). See :func:`start_figures` for
    ``workers``.
    """
    return start_figures(run, outdir, lang, formats, only, workers).result()


@dataclass
class FigureJob:
    """Figures being drawn by forked workers (:func:`start_figures`); ``result()`` waits for them."""

    specs: list[tuple[str, Callable[[str], Figure]]]
    fs: FigureSet
    pool: Any = None
    jobs: list[Any] = field(default_factory=list)
    done: dict[str, tuple[list[str], str]] = field(default_factory=dict)

    def result(self) -> FigureSet:
        if self.pool is not None:
            try:
                for j in self.jobs:
                    self.done.update(j.get())
            finally:
                self.pool.close()
                self.pool.join()
                self.pool = None
        for stem, _build in self.specs:  # in the run's order
            paths, note = self.done[stem]
            if note:
                self.fs.notes.append(note)
            else:
                self.fs.files[stem] = [Path(q) for q in paths]
        return self.fs


def start_figures(run: StudyRun, outdir: str | Path, lang: str = "en", formats: tuple[str, ...] = ("svg", "png"),
                  only: list[str] | None = None, workers: int | None = None) -> FigureJob:
    """Start drawing the run's figures; the caller may write other outputs meanwhile, then call ``result()``.

    ``workers`` (default: the usable cores, ``NQPF_NUM_THREADS``) forked processes draw the figures where the
    platform forks (figure k by worker k mod workers; each figure by one process, so the files do not depend
    on the number of workers); elsewhere, or with one worker, they are drawn here and now.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    fs = FigureSet(font=font)
    png_lang = lang
    if lang == "zh" and font is None:
        png_lang = "en"
        fs.notes.append(t("font_fallback", "en") + " (install fonts-noto-cjk or fonts-wqy-zenhei)")
    specs = [(stem, build) for stem, build in figure_specs(run) if only is None or stem in only]
    job = FigureJob(specs, fs)
    n = min(num_threads() if workers is None else max(1, workers), len(specs))
    if n > 1 and "fork" in mp.get_all_start_methods():
        # the builders are closures over the run: the children get them by forking, not by pickling
        global _FORKED
        _FORKED = (specs, out, lang, png_lang, formats, font)
        try:
            job.pool = mp.get_context("fork").Pool(n)
            job.jobs = [job.pool.apply_async(_draw_forked, (k, n)) for k in range(n)]
        finally:
            _FORKED = None  # the children have their copy
    else:
        job.done = _draw_share(specs, 0, 1, out, lang, png_lang, formats, font)
    return job


#: what forked figure workers draw (set by write_figures just before it forks)
_FORKED: tuple[Any, ...] | None = None


def _draw_forked(k: int, n: int) -> dict[str, tuple[list[str], str]]:
    """A forked worker's share of the figures (see :func:`write_figures`)."""
    assert _FORKED is not None
    specs, out, lang, png_lang, formats, font = _FORKED
    return _draw_share(specs, k, n, out, lang, png_lang, formats, font)


def _draw_share(specs: list[tuple[str, Callable[[str], Figure]]], k: int, n: int, out: Path, lang: str,
                png_lang: str, formats: tuple[str, ...], font: str | None) -> dict[str, tuple[list[str], str]]:
    """Draw figures k, k + n, k + 2n, … of ``specs``; stem -> (paths written, note if it could not draw)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    done: dict[str, tuple[list[str], str]] = {}
    for stem, build in specs[k::n]:
        paths: list[str] = []
        with paper_style(font), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            warnings.filterwarnings("ignore", message=".*tight_layout.*")
            try:
                fig = build(lang)
            except MethodError as exc:  # the result cannot draw for these units: say so, write nothing
                done[stem] = ([], f"{stem}: {exc}")
                continue
            try:
                for fmt in formats:
                    if fmt == "png" and png_lang != lang:
                        continue
                    p = out / f"{stem}.{fmt}"
                    fig.savefig(p, dpi=save_dpi(fig) if fmt == "png" else None, metadata=_metadata(fmt))
                    paths.append(str(p))
            finally:
                plt.close(fig)
            if "png" in formats and png_lang != lang:
                fig = build(png_lang)
                try:
                    p = out / f"{stem}.png"
                    fig.savefig(p, dpi=save_dpi(fig))
                    paths.append(str(p))
                finally:
                    plt.close(fig)
        done[stem] = (paths, "")
    return done


def _metadata(fmt: str) -> dict[str, Any] | None:
    """Reproducible files: no creation date in SVG/PNG metadata."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": "nqpf (matplotlib)"}
    return None
