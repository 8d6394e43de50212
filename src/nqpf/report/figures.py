"""Static figures for papers (论文插图) and the data views the report's figures share.

:func:`write_figures` writes the key figures of a run to ``out/figures/`` as SVG (``svg.fonttype = 'none'``:
text stays text, Chinese labels render with the reader's fonts) and PNG at 300 dpi: the index map, the
national and regional trends, the dimension heat map, the Dagum contributions, the kernel density surface,
the coupling coordination map and the obstacle degrees by policy lever (each when the run has it).

Style: no chart junk (no top/right spines, no background grid except light guide lines where values are
read off), labelled axes with units, colour-blind-safe palettes (viridis / cividis, Okabe & Ito 2008).

CJK fonts: :func:`cjk_font` looks for a Chinese font matplotlib can use (already known, then ``fc-list
:lang=zh``, then the usual font files). Without one, PNGs fall back to English labels and the returned
:class:`FigureSet` carries a note saying so (``write_run`` records it in ``provenance.json``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import t
from nqpf.core.units import REGION_ORDER, region_key, region_label, unit_name
from nqpf.report.labels import tag_label
from nqpf.viz.style import (
    DPI,
    OKABE_ITO,
    REGION_COLORS,
    cjk_font,
    paper_style,
    pick_years,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from nqpf.result import IndexResult
    from nqpf.study import StudyRun

# =============================================================================================
# shared data views (used by the HTML report too)
# =============================================================================================
def tag_kinds(res: IndexResult) -> list[str]:
    """Tag kinds (factor, new, lever) that at least one indicator of the framework carries."""
    table = res.framework.indicator_table()
    return [k for k in ("factor", "new", "lever") if k in table.columns and table[k].notna().any()]


def group_members(res: IndexResult, kind: str) -> dict[str, list[str]]:
    """Group key → indicator ids, for kind "dimension" or a tag kind (vocabulary order; untagged last)."""
    fw = res.framework
    table = fw.indicator_table().reindex(list(res.normalized.columns))
    if kind == "dimension":
        return {d: [i for i in table.index if table.loc[i, "dimension"] == d] for d in fw.dimensions}
    keys = [k for k in fw.vocabulary.get(kind, {}) if (table[kind] == k).any()]
    out = {k: list(table.index[(table[kind] == k).to_numpy()]) for k in keys}
    untagged = list(table.index[table[kind].isna().to_numpy()])
    if untagged:
        out["untagged"] = untagged
    return out


def group_scores(res: IndexResult, kind: str = "dimension") -> pd.DataFrame:
    """Sub-index per unit-year and group: columns unit, year, then one column per group key.

    For ``kind="dimension"`` these are the dimension scores of ``res.scores``. For a tag kind (factor, new,
    lever) the sub-index of group g is the weighted mean of the normalised indicators in g,
    Σ_{j∈g} w_j z_j / Σ_{j∈g} w_j with the global indicator weights w_j (the weighted contributions of the
    group rescaled by its weight), so groups of different total weight compare on one [0, 1] scale.
    """
    if kind == "dimension":
        dims = [d for d in res.framework.dimensions if d in res.scores.columns]
        return res.scores[["unit", "year", *dims]].copy()
    Z = res.normalized
    w = res.indicator_weights.reindex(Z.columns).to_numpy(dtype=float)
    cols: dict[str, np.ndarray] = {}
    for key, ids in group_members(res, kind).items():
        idx = [Z.columns.get_loc(i) for i in ids]
        wg = w[idx]
        cols[key] = Z.to_numpy(dtype=float)[:, idx] @ wg / wg.sum() if wg.sum() > 0 else np.full(len(Z), np.nan)
    return pd.DataFrame({"unit": Z.index.get_level_values(0).to_numpy(),
                         "year": Z.index.get_level_values(1).to_numpy(), **cols})


def group_contributions(res: IndexResult, kind: str = "dimension", year: int | None = None) -> pd.Series:
    """Share of each group in the weighted sum Σ_j w_j z_j averaged over units (of one year, or all).

    The additive contributions of a weighted-sum index: the shares sum to 1.
    """
    Z = res.normalized
    if year is not None:
        Z = Z[Z.index.get_level_values(1) == int(year)]
    w = res.indicator_weights.reindex(Z.columns).to_numpy(dtype=float)
    contrib = (Z.to_numpy(dtype=float) * w).mean(axis=0)
    total = contrib.sum()
    out = {}
    for key, ids in group_members(res, kind).items():
        out[key] = float(sum(contrib[Z.columns.get_loc(i)] for i in ids) / total) if total > 0 else np.nan
    return pd.Series(out, name="share")


def group_matrix(res: IndexResult, kind: str, year: int) -> pd.DataFrame:
    """Unit × group sub-index table of one year (rows in descending order of the year's score)."""
    g = group_scores(res, kind)
    g = g[g["year"] == int(year)].set_index("unit").drop(columns="year")
    order = res.year_scores(int(year)).sort_values(ascending=False).index
    return g.reindex([u for u in order if u in g.index])


def group_label(res: IndexResult, kind: str, key: str, lang: str) -> str:
    """The display name of a group key of ``kind``."""
    if kind == "dimension":
        return res.framework.label(key, lang)
    return tag_label(res.framework, kind, key, lang)


def region_means(res: IndexResult, column: str = "score") -> pd.DataFrame:
    """Year × (national, East, Central, West, Northeast) mean of ``column``; only national for non-provinces."""
    s = res.scores[["unit", "year", column]]
    out = {"national": s.groupby("year")[column].mean()}
    regions = s["unit"].map(region_key)
    if regions.notna().all():
        for r in REGION_ORDER:
            sub = s[regions == r]
            if len(sub):
                out[r] = sub.groupby("year")[column].mean()
    return pd.DataFrame(out)


def ranking_table(res: IndexResult, year: int | None = None) -> pd.DataFrame:
    """The ranking of one year (default: the last): rank, unit, score, region, change in rank since the first year."""
    years = res.years
    y = years[-1] if year is None else int(year)
    cur = res.scores[res.scores["year"] == y].set_index("unit")
    first = res.scores[res.scores["year"] == years[0]].set_index("unit")["rank"]
    out = pd.DataFrame({
        "rank": cur["rank"].astype(int), "unit": cur.index, "score": cur["score"],
        "region": [region_key(u) for u in cur.index],
        "rank_change": (first.reindex(cur.index) - cur["rank"]).astype("Int64") if y != years[0] else pd.NA,
    })
    return out.sort_values("rank").reset_index(drop=True)


# =============================================================================================
# fonts and style
# =============================================================================================
# =============================================================================================
# the figures
# =============================================================================================
def _unit_labels(units: list[Any], lang: str) -> list[str]:
    return [unit_name(u, lang) for u in units]


def plot_index_map(res: IndexResult, lang: str = "en", years: list[int] | None = None,
                   title: str | None = None) -> Figure:
    """Choropleth maps of the score for up to four years (first, last, evenly spaced) on one colour scale."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    from nqpf.viz.maps import draw_map, map_aspect

    yrs = years or pick_years(res.years, 4)
    mat = res.score_matrix()
    vals = mat[yrs].to_numpy(dtype=float)
    norm = Normalize(float(np.nanmin(vals)), float(np.nanmax(vals)))
    ncol = 2 if len(yrs) > 1 else 1
    nrow = int(np.ceil(len(yrs) / ncol))
    width = 7.0 if ncol > 1 else 5.0
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, nrow * (width / ncol) / map_aspect() + 0.7),
                             squeeze=False, layout="constrained")
    coll = None
    for ax, y in zip(axes.ravel(), yrs, strict=False):
        coll = draw_map(ax, mat[y], cmap="viridis", norm=norm, lang=lang)
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


def plot_trends(res: IndexResult, lang: str = "en") -> Figure:
    """National mean and the means of the four regions by year."""
    import matplotlib.pyplot as plt

    rm = region_means(res)
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    for col in rm.columns:
        label = t("national_mean", lang) if col == "national" else region_label(col, lang)
        ax.plot(rm.index, rm[col], color=REGION_COLORS.get(col, "#000000"), marker="o", markersize=2.5,
                linewidth=2.0 if col == "national" else 1.2, linestyle="-" if col == "national" else "--",
                label=label)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(f"{t('mean_score', lang)} ({_score_unit(lang)})")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(ncol=1, loc="upper left")
    ax.grid(axis="y", linewidth=0.3, color="#dddddd")
    return fig


def plot_group_heatmap(res: IndexResult, kind: str = "dimension", year: int | None = None,
                       lang: str = "en") -> Figure:
    """Provinces (sorted by score) × groups heat map of the sub-indices of one year (cividis)."""
    import matplotlib.pyplot as plt

    y = res.years[-1] if year is None else int(year)
    m = group_matrix(res, kind, y)
    labels = [group_label(res, kind, k, lang) for k in m.columns]
    h = max(3.0, 0.16 * len(m) + 1.0)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(labels) + 1.2, h))
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


def plot_dagum(d: Any, lang: str = "en") -> Figure:
    """Contributions (%) of within-region, net between-region and transvariation parts to G, by year."""
    import matplotlib.pyplot as plt

    df = d.to_frame().set_index("year")
    parts = [("share:Gw", "Gw", OKABE_ITO[4]), ("share:Gnb", "Gnb", OKABE_ITO[0]), ("share:Gt", "Gt", OKABE_ITO[2])]
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    bottom = np.zeros(len(df))
    x = np.arange(len(df))
    for col, key, color in parts:
        v = df[col].to_numpy(dtype=float) * 100
        ax.bar(x, v, bottom=bottom, color=color, width=0.7, label=t(key, lang), edgecolor="white", linewidth=0.3)
        bottom += v
    ax.set_xticks(x, labels=[str(y) for y in df.index], rotation=45 if len(df) > 8 else 0)
    ax.set_ylim(0, 100)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(f"{t('contribution', lang)} (%)")
    ax2 = ax.twinx()
    ax2.plot(x, df["G"].to_numpy(dtype=float), color="#000000", marker="o", markersize=2.5, label=t("G", lang))
    ax2.set_ylabel(t("G", lang))
    ax2.spines["right"].set_visible(True)
    ax2.set_ylim(0, max(0.05, float(df["G"].max()) * 1.25))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4)
    return fig


def plot_kernel_density(k: Any, lang: str = "en") -> Figure:
    """Kernel density of the scores over the years as a 3-D surface (score × year × density)."""
    import matplotlib.pyplot as plt

    dens = k.density
    years = np.asarray([int(y) for y in dens.index], dtype=float)
    X, Y = np.meshgrid(np.asarray(k.grid, dtype=float), years)
    fig = plt.figure(figsize=(5.2, 4.0))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(X, Y, dens.to_numpy(dtype=float), cmap="viridis", rstride=1, cstride=2, linewidth=0.1,
                    edgecolor="#444444", antialiased=True, alpha=0.95)
    ax.set_xlabel(f"{t('score', lang)}", labelpad=2)
    ax.set_ylabel(t("year", lang), labelpad=4)
    ax.set_zlabel(t("density", lang), labelpad=2)
    ax.view_init(elev=28, azim=-58)
    ax.tick_params(pad=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.pane.set_facecolor((1, 1, 1, 0))
        axis.pane.set_edgecolor("#cccccc")
    return fig


def coupling_matrix(c: Any) -> pd.DataFrame:
    """Unit × year table of the coupling coordination degree D."""
    df = c.to_frame()
    if "unit" not in df.columns or "year" not in df.columns:
        raise ValueError("coupling result has no (unit, year) index")
    units = list(dict.fromkeys(df["unit"]))
    return df.pivot(index="unit", columns="year", values="D").reindex(units)


def plot_coupling_map(c: Any, year: int | None = None, lang: str = "en") -> Figure:
    """Map of the coupling coordination degree D of one year, coloured by the ten classes (0.1 wide)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm

    from nqpf.analysis.coupling import COORDINATION_LEVELS
    from nqpf.viz.maps import draw_map

    mat = coupling_matrix(c)
    y = mat.columns[-1] if year is None else int(year)
    vals = mat[y].to_numpy(dtype=float)
    present = sorted({int(min(9, np.floor(v * 10 + 1e-12))) for v in vals if np.isfinite(v)})
    lo, hi = present[0], present[-1] + 1
    bounds = np.arange(lo, hi + 1) / 10.0
    cmap = plt.get_cmap("cividis", len(bounds) - 1)
    norm = BoundaryNorm(bounds, cmap.N)
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    coll = draw_map(ax, mat[y], cmap=cmap, norm=norm, lang=lang)
    cb = fig.colorbar(coll, ax=ax, fraction=0.035, pad=0.01, ticks=bounds)
    cb.outline.set_linewidth(0.4)
    cb.set_label(f"{t('coupling', lang)} D, {y}")
    names = {lv[0]: (lv[3] if lang == "zh" else lv[4]) for lv in COORDINATION_LEVELS}
    mids = (bounds[:-1] + bounds[1:]) / 2
    cb.ax.set_yticks(mids, minor=True)
    cb.ax.set_yticklabels([names[round(b * 10) + 1] for b in bounds[:-1]], minor=True, fontsize=6)
    cb.ax.tick_params(which="minor", length=0, pad=18)
    return fig


def plot_obstacle_levers(o: Any, year: int | None = None, lang: str = "en") -> Figure:
    """Per province the obstacle degree (%) split by policy lever, stacked to 100 % (one year)."""
    import matplotlib.pyplot as plt

    kind = "lever" if "lever" in o.groups else o.by[0]
    g = o.groups[kind]
    y = int(g["year"].max()) if year is None else int(year)
    sub = g[g["year"] == y].set_index("unit").drop(columns="year")
    sub = sub.loc[:, sub.sum() > 0]
    first = sub.columns[0]
    sub = sub.sort_values(first)
    fig, ax = plt.subplots(figsize=(5.6, max(3.0, 0.16 * len(sub) + 1.2)))
    left = np.zeros(len(sub))
    palette = [*OKABE_ITO[:7], "#999999"]
    for k, col in enumerate(sub.columns):
        v = sub[col].to_numpy(dtype=float)
        color = "#bbbbbb" if col in ("untagged", "other") else palette[k % len(palette)]
        ax.barh(np.arange(len(sub)), v, left=left, color=color, height=0.75, edgecolor="white", linewidth=0.3,
                label=tag_label(o.framework, kind, col, lang) if kind != "dimension"
                else o.framework.label(col, lang))
        left += v
    ax.set_yticks(np.arange(len(sub)), labels=_unit_labels(list(sub.index), lang))
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"{t('obstacle_pct', lang)}, {y}")
    ax.tick_params(axis="y", length=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.08 - 1.2 / max(8, len(sub))), ncol=2)
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


def figure_specs(run: StudyRun) -> list[tuple[str, Callable[[str], Figure]]]:
    """(file stem, builder(lang) → Figure) for every key figure the run has data for."""
    from nqpf.viz.maps import is_province_panel

    specs: list[tuple[str, Callable[[str], Figure]]] = []
    for name, res in run.results.items():
        province = is_province_panel(res.units, getattr(run.panel, "kind", None))
        if province:
            specs.append((f"map_{name}", lambda lang, r=res: plot_index_map(r, lang)))
        specs.append((f"trends_{name}", lambda lang, r=res: plot_trends(r, lang)))
        specs.append((f"dimensions_{name}", lambda lang, r=res: plot_group_heatmap(r, "dimension", lang=lang)))
    a = run.analyses
    if "dagum" in a:
        specs.append(("dagum_contributions", lambda lang: plot_dagum(a["dagum"], lang)))
    if "kernel_density" in a:
        specs.append(("kernel_density", lambda lang: plot_kernel_density(a["kernel_density"], lang)))
    if "coupling" in a and getattr(a["coupling"], "index", None) is not None:
        units = list(dict.fromkeys(a["coupling"].to_frame()["unit"]))
        if is_province_panel(units, getattr(run.panel, "kind", None)):
            specs.append(("coupling_map", lambda lang: plot_coupling_map(a["coupling"], lang=lang)))
    if "obstacle" in a:
        specs.append(("obstacle_levers", lambda lang: plot_obstacle_levers(a["obstacle"], lang=lang)))
    return specs


def write_figures(run: StudyRun, outdir: str | Path, lang: str = "en", formats: tuple[str, ...] = ("svg", "png"),
                  only: list[str] | None = None) -> FigureSet:
    """Write the key figures of a run as SVG and 300-dpi PNG into ``outdir``; returns a FigureSet.

    ``only`` restricts to the named figure stems (e.g. ``["map_nqpf"]``).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    fs = FigureSet(font=font)
    png_lang = lang
    if lang == "zh" and font is None:
        png_lang = "en"
        fs.notes.append(t("font_fallback", "en") + " (install fonts-noto-cjk or fonts-wqy-zenhei)")
    for stem, build in figure_specs(run):
        if only is not None and stem not in only:
            continue
        paths: list[Path] = []
        with paper_style(font), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            warnings.filterwarnings("ignore", message=".*tight_layout.*")
            fig = build(lang)
            try:
                for fmt in formats:
                    if fmt == "png" and png_lang != lang:
                        continue
                    p = out / f"{stem}.{fmt}"
                    fig.savefig(p, dpi=DPI if fmt == "png" else None, metadata=_metadata(fmt))
                    paths.append(p)
            finally:
                plt.close(fig)
            if "png" in formats and png_lang != lang:
                fig = build(png_lang)
                try:
                    p = out / f"{stem}.png"
                    fig.savefig(p, dpi=DPI)
                    paths.append(p)
                finally:
                    plt.close(fig)
        fs.files[stem] = paths
    return fs


def _metadata(fmt: str) -> dict[str, Any] | None:
    """Reproducible files: no creation date in SVG/PNG metadata."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": "nqpf (matplotlib)"}
    return None
