"""The overview chapter (概览): the data, each framework tree (sunburst + weights table), the method choices and
what follows from them, the run's notes, and every imputed, dropped or clipped cell.

Method names come from the method registry (:mod:`nqpf.methods.registry`); the generated sentences carry
numbers read off the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

import nqpf.methods  # noqa: F401  (the kernels register themselves in the method registry)
from nqpf.core.i18n import join, num, pct, t
from nqpf.core.units import unit_name
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, WEIGHTINGS
from nqpf.report import views as V
from nqpf.report.labels import node_label, tag_label
from nqpf.report.page import MAX_TABLE_ROWS, Page, esc, para, table_html
from nqpf.report.sections import index_title, is_large, unit_heading, words
from nqpf.report.sections.scale import searchable_table, table_id
from nqpf.result import IndexResult
from nqpf.study import StudyRun
from nqpf.viz.style import OKABE_ITO

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["cells_text", "data_text", "framework_text", "method_text", "section_overview", "sunburst_figure",
           "weights_table"]


# =============================================================================================
# sentences
# =============================================================================================
def data_text(run: StudyRun, lang: str) -> list[str]:
    """What data the study used: panel, units, years, indices and indicators."""
    p = run.panel
    out = []
    n_cols = len(p.indicators)
    w = words(run, p.units, lang)
    if lang == "zh":
        out.append(f"数据为{p.name}:{w.count(len(p.units))}、{p.years[0]}–{p.years[-1]} 年、{n_cols} 个原始变量。")
    else:
        out.append(f"The data are {p.name}: {w.count(len(p.units))}, {p.years[0]}–{p.years[-1]}, "
                   f"{n_cols} raw variables.")
    for name, res in run.results.items():
        fw = res.framework
        title = fw.title_zh if lang == "zh" else fw.title_en
        y = res.years
        if lang == "zh":
            out.append(f"指数“{name}”({title})用 {len(fw.dimensions)} 个一级维度、{res.values.shape[1]} 个指标,"
                       f"测度 {w.count(len(res.units))}在 {y[0]}–{y[-1]} 年({len(y)} 年)的得分。")
        else:
            out.append(f"Index '{name}' ({title}) measures {w.count(len(res.units))} over {y[0]}–{y[-1]} "
                       f"({len(y)} years) "
                       f"with {res.values.shape[1]} indicators in {len(fw.dimensions)} dimensions.")
    return out


def _method_label(registry: Any, key: Any, lang: str) -> str:
    """The registered label of a method key (the key itself when it is not registered)."""
    return registry[key].label_in(lang) if isinstance(key, str) and key in registry else str(key)


def framework_text(res: IndexResult, lang: str) -> list[str]:
    """The tree and where the weight sits: the heaviest dimension and indicators."""
    fw = res.framework
    dw = res.dimension_weights.sort_values(ascending=False)
    iw = res.indicator_weights.sort_values(ascending=False)
    top = iw.head(3)
    n_neg = int((fw.indicator_table()["direction"] == "negative").sum())
    wname = _method_label(WEIGHTINGS, res.settings.get("weighting", ""), lang)
    if lang == "zh":
        dims = "、".join(f"{fw.label(d, 'zh')}({pct(w)})" for d, w in dw.items())
        inds = "、".join(f"{fw.label(i, 'zh')}({pct(w)})" for i, w in top.items())
        s = [f"一级维度及权重({wname}):{dims}。", f"权重最大的指标为{inds},合计占 {pct(top.sum())}。"]
        if n_neg:
            s.append(f"其中 {n_neg} 个为负向指标(数值越小越好)。")
    else:
        dims = ", ".join(f"{fw.label(d, 'en')} ({pct(w)})" for d, w in dw.items())
        inds = join([f"{fw.label(i, 'en')} ({pct(w)})" for i, w in top.items()], lang)
        s = [f"Dimensions and their weights ({wname}): {dims}.",
             f"The heaviest indicators are {inds}, together {pct(top.sum())} of the weight."]
        if n_neg:
            s.append(f"{n_neg} indicator(s) are negative (lower is better).")
    return s


#: What the scope of the normalisation means for comparing scores across years (the report states it).
_SCOPE = {
    "pooled": ("归一化的上下限取自全部单位和年份(全局/面板合并),因此不同年份的得分可以直接比较,趋势图反映真实变化。",
               "Normalisation bounds are taken over all units and years (pooled), so scores compare across years and "
               "the trend lines show real change."),
    "per_year": ("归一化的上下限逐年计算,得分只在同一年内可比;跨年比较请看排名,而非得分水平。",
                 "Normalisation bounds are computed year by year, so scores compare only within a year; compare ranks, "
                 "not score levels, across years."),
}


def method_text(res: IndexResult, lang: str) -> list[str]:
    """Method choices (by their registered names) and what follows from them (comparability, weights)."""
    s = res.settings
    zh = lang == "zh"
    scope = s.get("scope", "pooled")
    norm = _method_label(NORMALIZATIONS, s.get("normalization", "minmax"), lang)
    weighting = s.get("weighting", "")
    wlabel = _method_label(WEIGHTINGS, weighting, lang)
    agg = _method_label(AGGREGATIONS, s.get("aggregation", "weighted_sum"), lang)
    out = [f"标准化方法:{norm};范围:{scope}。" if zh else f"Normalisation: {norm}; scope: {scope}."]
    if scope in _SCOPE:
        out.append(_SCOPE[scope][0 if zh else 1])
    out.append(f"赋权方法:{wlabel}。" if zh else f"Weighting: {wlabel}.")
    if isinstance(weighting, str) and weighting in WEIGHTINGS and WEIGHTINGS[weighting].per_year:
        out.append("权重逐年计算,各年权重不同,得分跨年比较需谨慎。" if zh else
                   "The weights are computed per year and differ between years, so compare levels with care.")
    out.append(f"集成方法:{agg}。" if zh else f"Aggregation: {agg}.")
    shift = s.get("shift")
    if shift:
        out.append(f"标准化值整体平移 {shift:g},以避免熵值计算中的 ln 0。" if zh
                   else f"Normalised values are shifted by {shift:g} to keep the entropy logarithms finite.")
    return out


def cells_text(cells: pd.DataFrame, lang: str, unit_word: str | None = None) -> list[str]:
    """How many cells were imputed, dropped or clipped, and where most of them are (``unit_word``: what the
    units are called, e.g. 企业 / firms; default 单位 / units)."""
    if cells is None or cells.empty:
        return [t("no_cells", lang)]
    counts = cells["action"].value_counts()
    parts = [f"{t(a, lang)} {int(n)}" for a, n in counts.items()]
    top = cells["column"].value_counts().head(3)
    units = cells["unit"].value_counts().head(3)
    most = ", ".join(f"{unit_name(u, lang)} ({n})" for u, n in units.items())
    if lang == "zh":
        return [f"共处理 {len(cells)} 个单元格:{'、'.join(parts)}。",
                f"涉及最多的变量:{'、'.join(f'{c}({n})' for c, n in top.items())};"
                f"涉及最多的{unit_word or '单位'}:"
                + "、".join(f"{unit_name(u, lang)}({n})" for u, n in units.items()) + "。"]
    return [f"{len(cells)} cells were changed: {', '.join(parts)}.",
            "Most affected variables: " + ", ".join(f"{c} ({n})" for c, n in top.items())
            + f"; most affected {unit_word or 'units'}: {most}."]


# =============================================================================================
# the framework tree
# =============================================================================================
def sunburst_figure(res: IndexResult, lang: str) -> go.Figure:
    """The framework tree as a sunburst: sector size = global weight of the indicators below."""
    import plotly.graph_objects as go

    fw = res.framework
    w = res.weights.set_index("id")
    palette = [OKABE_ITO[i] for i in (4, 0, 2, 5, 6, 1, 3)]
    dim_color = {d: palette[k % len(palette)] for k, d in enumerate(fw.dimensions)}
    ids, parents, labels, values, hover, colors = [], [], [], [], [], []
    for it in fw.items:
        if it.id not in w.index:
            continue
        ids.append(it.id)
        parents.append(it.parent or "")
        labels.append(node_label(fw, it.id, lang))
        values.append(float(w.loc[it.id, "global_weight"]) if it.kind == "indicator" else 0.0)
        hover.append(f"{t('weight', lang)}: {num(w.loc[it.id, 'weight'])}<br>"
                     f"{t('global_weight', lang)}: {num(w.loc[it.id, 'global_weight'])}")
        if it.parent is None:
            colors.append("#ffffff")
        else:
            base = dim_color[fw.dimension_of(it.id)] if it.kind == "indicator" else dim_color.get(
                it.id, dim_color.get(_dimension_of_node(fw, it.id), "#999999"))
            colors.append(_lighten(base, 0.0 if it.level == 1 else 0.25 * min(it.level - 1, 2)))
    fig = go.Figure(go.Sunburst(ids=ids, parents=parents, labels=labels, values=values, branchvalues="remainder",
                                customdata=hover, hovertemplate="<b>%{label}</b><br>%{customdata}<extra></extra>",
                                insidetextorientation="radial", maxdepth=4,
                                marker={"colors": colors, "line": {"color": "#ffffff", "width": 1}}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=520)
    return fig


def _dimension_of_node(fw: Any, node_id: str) -> str:
    """The first-level dimension above (or equal to) an inner node."""
    it = fw.item(node_id)
    while it.parent is not None and it.parent != fw.target.id:
        it = fw.item(it.parent)
    return it.id


def _lighten(hex_color: str, amount: float) -> str:
    """A colour mixed with white (amount 0 = unchanged, 1 = white)."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def weights_table(res: IndexResult, lang: str) -> str:
    """The framework tree with directions, units, tags and weights."""
    fw = res.framework
    w = res.weights.set_index("id")
    ind = fw.indicator_table()
    kinds = V.tag_kinds(res)
    rows = []
    for it in fw.items:
        if it.id not in w.index:
            continue
        is_ind = it.kind == "indicator"
        rows.append({
            "name": ("\u3000" * it.level) + node_label(fw, it.id, lang), "id": it.id,
            "direction": t(ind.loc[it.id, "direction"], lang) if is_ind else "",
            "unit": str(ind.loc[it.id, "unit"]) if is_ind else "",
            **{k: (tag_label(fw, k, ind.loc[it.id, k], lang) if is_ind and isinstance(ind.loc[it.id, k], str) else "")
               for k in kinds},
            "weight": float(w.loc[it.id, "weight"]), "global_weight": float(w.loc[it.id, "global_weight"]),
        })
    heads = {"name": t("indicator", lang), "id": "id", "direction": t("direction", lang),
             "unit": t("measure_unit", lang), "weight": t("weight", lang), "global_weight": t("global_weight", lang),
             **{k: t(k, lang) for k in ("factor", "new", "lever")}}
    return table_html(pd.DataFrame(rows), {"weight": "4f", "global_weight": "4f"}, heads, max_rows=10_000, lang=lang)


# =============================================================================================
# the chapter
# =============================================================================================
def section_overview(run: StudyRun, page: Page) -> str:
    """Data, framework tree and weights, method choices, notes, imputed and dropped cells."""
    lang = page.lang
    out = [f"<h3>{esc(t('data', lang))}</h3>", para(data_text(run, lang))]
    for name, res in run.results.items():
        out.append(f"<h3>{esc(t('framework_tree', lang))}: {esc(index_title(run, name, lang))}</h3>")
        out.append(para(framework_text(res, lang)))
        out.append(page.plot(sunburst_figure(res, lang)))
        out.append(f"<h4>{esc(t('weights_table', lang))}</h4>")
        out.append(weights_table(res, lang))
        out.append(f"<h4>{esc(t('method', lang))}</h4>")
        out.append(para(method_text(res, lang)))
    notes = list(run.provenance.notes)
    if notes:
        out.append(f"<h4>{esc(t('notes', lang))}</h4><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    out.append(f"<h3>{esc(t('cells', lang))}</h3>")
    cells = pd.DataFrame(run.provenance.cells)
    w = words(run, run.panel.units, lang)
    out.append(para(cells_text(cells, lang, w.unit if lang == "zh" else w.units)))
    if not cells.empty:
        by = cells.groupby(["index", "action"] if "index" in cells.columns else ["action"]).size()
        counts = by.rename("n").reset_index()
        counts["action"] = counts["action"].map(lambda a: t(a, lang))
        out.append(table_html(counts, {"n": "int"}, {"index": t("index", lang), "action": t("action", lang),
                                                    "n": t("count", lang)}, lang=lang))
        shown = cells.assign(unit=cells["unit"].map(lambda u: unit_name(u, lang)),
                             action=cells["action"].map(lambda a: t(a, lang)))
        heads = {c: t(c, lang) for c in shown.columns if c in ("action", "unit", "year", "column", "before", "after",
                                                                "reason", "index")}
        heads["unit"] = unit_heading(w, lang)
        if is_large(len(run.panel.units)) and len(shown) > MAX_TABLE_ROWS:  # every changed cell, searchable
            out.append(searchable_table(shown, {"year": "int"}, heads, lang=lang, table_id=table_id(page)))
        else:
            out.append(table_html(shown, {"year": "int"}, heads, lang=lang))
    return "".join(out)
