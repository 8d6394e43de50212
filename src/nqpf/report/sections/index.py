"""The index chapter (指数测度结果): per index a map with a year slider (provinces), the ranking of the last year,
national and regional trends, and the heat map of the sub-indices by dimension, factor of production, "three
new" and policy lever — each with sentences carrying the numbers read off the IndexResult.

A run with more than :data:`~nqpf.report.sections.LARGE_UNITS` units shows instead (:mod:`.scale`): the
highest and lowest :data:`~nqpf.report.views.TOP_N` units, a searchable table of every unit (rank, score,
group, dimension scores), the distribution of the score by year (box plots) and of the last year (histogram),
group means when the unit kind has a default grouping, and box plots of the sub-indices. The wording follows
the unit kind (:func:`nqpf.core.units.kind_words`): 全国均值 only for all 31 provinces, else 样本均值.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import join, num, pct, t
from nqpf.core.units import REGION_ORDER, KindWords, kind_words, region_label, unit_name
from nqpf.geo.geometry import user_geometry
from nqpf.report import views as V
from nqpf.report.page import Page, esc, para, table_html
from nqpf.report.sections import index_title, is_large, province_run, unit_heading, words
from nqpf.report.sections.scale import (
    box_figure,
    group_sentence,
    histogram_figure,
    searchable_table,
    table_id,
    top_bottom_figure,
)
from nqpf.result import IndexResult
from nqpf.study import StudyRun
from nqpf.viz.maps import choropleth_figure, map_kind
from nqpf.viz.style import OKABE_ITO, REGION_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Units shown at the top and at the bottom of the heat map of a large run.
HEATMAP_KEEP = 25

__all__ = [
    "HEATMAP_KEEP",
    "group_heatmap_figure",
    "group_text",
    "index_map_figure",
    "map_text",
    "ranking_text",
    "res_words",
    "section_index",
    "trend_text",
    "trends_figure",
    "trends_heading",
]


def trends_heading(run: StudyRun, res: IndexResult, lang: str, w: KindWords) -> str:
    """全国与四大区域均值趋势 for all 31 provinces; otherwise the kind's mean (样本均值趋势 / Sample mean over time),
    with the four regions when the units are provinces."""
    if w.mean in ("全国均值", "national mean"):
        return t("trends", lang)
    regions = province_run(run, res.units)
    if lang == "zh":
        return f"{w.mean}{'与四大区域均值' if regions else ''}趋势"
    return f"{w.mean[:1].upper() + w.mean[1:]}{' and regional means' if regions else ''} over time"


def res_words(res: IndexResult, lang: str, kind: str | None = None) -> KindWords:
    """The wording for the units of an index: of ``kind``, or "province" when every unit is a province."""
    if kind is None:
        kind = "province" if map_kind(res.units, None) == "province" else "other"
    return kind_words(kind, lang, len(res.units))


def growth(a: float, b: float) -> float:
    """Relative change b / a − 1 (NaN when a is 0)."""
    return b / a - 1.0 if a else float("nan")


def annual_rate(a: float, b: float, years: int) -> float:
    """Average annual growth rate between a and b over ``years`` years."""
    if a <= 0 or b <= 0 or years <= 0:
        return float("nan")
    return (b / a) ** (1.0 / years) - 1.0


# =============================================================================================
# sentences
# =============================================================================================
def map_text(res: IndexResult, lang: str, year: int | None = None, words: KindWords | None = None) -> list[str]:
    """The leaders and laggards of a year, the mean and the spread between the top and the bottom."""
    w = words or res_words(res, lang)
    y = res.years[-1] if year is None else int(year)
    s = res.year_scores(y).sort_values(ascending=False)
    top, bottom = s.head(3), s.tail(3)
    ratio = s.iloc[0] / s.iloc[-1] if s.iloc[-1] > 0 else float("nan")
    above = int((s > s.mean()).sum())
    if lang == "zh":
        return [
            f"{y} 年得分最高的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in top.items())},"
            f"最低的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in bottom.items())}。",
            f"{w.mean} {num(s.mean())},中位数 {num(s.median())};{above} 个{w.unit}高于均值;"
            f"最高值是最低值的 {num(ratio, 1)} 倍。",
        ]
    return [
        f"In {y} the highest scores are {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in top.items()], lang)}; "
        f"the lowest {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in bottom.items()], lang)}.",
        f"The {w.mean} is {num(s.mean())} and the median {num(s.median())}; {above} of {w.count(len(s))} are above "
        "the mean; "
        f"the highest score is {num(ratio, 1)} times the lowest.",
    ]


def ranking_text(table: pd.DataFrame, lang: str) -> list[str]:
    """The biggest climbers and fallers in the ranking since the first year."""
    ch = pd.to_numeric(table["rank_change"], errors="coerce").dropna()
    if ch.empty or (ch == 0).all():
        return []
    up = table.loc[ch.sort_values(ascending=False).index[:2]]
    down = table.loc[ch.sort_values().index[:2]]
    up = up[up["rank_change"] > 0]
    down = down[down["rank_change"] < 0]
    out = []
    if lang == "zh":
        if len(up):
            out.append("排名上升最多:" + "、".join(
                f"{unit_name(r.unit, lang)}(上升 {int(r.rank_change)} 位)" for r in up.itertuples()) + "。")
        if len(down):
            out.append("排名下降最多:" + "、".join(
                f"{unit_name(r.unit, lang)}(下降 {-int(r.rank_change)} 位)" for r in down.itertuples()) + "。")
    else:
        if len(up):
            out.append("Largest climbs in rank since the first year: " + join(
                [f"{unit_name(r.unit, lang)} (+{int(r.rank_change)})" for r in up.itertuples()], lang) + ".")
        if len(down):
            out.append("Largest falls: " + join(
                [f"{unit_name(r.unit, lang)} ({int(r.rank_change)})" for r in down.itertuples()], lang) + ".")
    return out


def trend_text(means: pd.DataFrame, lang: str, words: KindWords | None = None) -> list[str]:
    """National (or sample) mean from the first to the last year, its growth, and the regional gap."""
    w = words or kind_words(None, lang)
    y0, y1 = int(means.index[0]), int(means.index[-1])
    nat = means["national"]
    g = growth(nat.iloc[0], nat.iloc[-1])
    r = annual_rate(nat.iloc[0], nat.iloc[-1], y1 - y0)
    out = []
    if lang == "zh":
        out.append(f"{w.mean}由 {y0} 年的 {num(nat.iloc[0])} 变为 {y1} 年的 {num(nat.iloc[-1])},"
                   f"累计变化 {pct(g)},年均 {pct(r, 2)}。")
    else:
        out.append(f"The {w.mean} went from {num(nat.iloc[0])} in {y0} to {num(nat.iloc[-1])} in {y1}, "
                   f"a change of {pct(g)} ({pct(r, 2)} a year).")
    regions = [c for c in REGION_ORDER if c in means.columns]
    if len(regions) >= 2:
        last = means.loc[y1, regions].sort_values(ascending=False)
        first = means.loc[y0, regions]
        hi, lo = last.index[0], last.index[-1]
        gap1 = last[hi] / last[lo] if last[lo] > 0 else float("nan")
        gap0 = first[hi] / first[lo] if first[lo] > 0 else float("nan")
        fastest = (means.loc[y1, regions] / means.loc[y0, regions]).idxmax()
        if lang == "zh":
            out.append(f"{y1} 年区域均值:" + "、".join(f"{region_label(k, lang)} {num(v)}" for k, v in last.items())
                       + f"。{region_label(hi, lang)}是{region_label(lo, lang)}的 {num(gap1, 2)} 倍({y0} 年为 "
                       f"{num(gap0, 2)} 倍);增长最快的是{region_label(fastest, lang)}。")
        else:
            out.append(f"Regional means in {y1}: " + ", ".join(f"{region_label(k, lang)} {num(v)}"
                                                               for k, v in last.items())
                       + f". {region_label(hi, lang)} is {num(gap1, 2)} times {region_label(lo, lang)} "
                       f"({num(gap0, 2)} in {y0}); {region_label(fastest, lang)} grew fastest.")
    return out


def group_text(matrix: pd.DataFrame, labels: dict[str, str], shares: pd.Series | None, year: int,
               lang: str, words: KindWords | None = None) -> list[str]:
    """Per group the mean sub-index and its leader; the most unequal group; contribution shares."""
    w = words or kind_words(None, lang)
    means = matrix.mean()
    cv = matrix.std(ddof=0) / matrix.mean().replace(0, np.nan)
    leaders = matrix.idxmax()
    out = []
    if lang == "zh":
        out.append(f"{year} 年各分项均值:" + "、".join(
            f"{labels[k]} {num(means[k])}(最高:{unit_name(leaders[k], lang)})" for k in matrix.columns) + "。")
        if cv.notna().any():
            out.append(f"{w.unit}间差异最大的分项是{labels[cv.idxmax()]}(变异系数 {num(cv.max(), 2)}),"
                       f"最小的是{labels[cv.idxmin()]}({num(cv.min(), 2)})。")
        if shares is not None:
            out.append("对综合得分的贡献:" + "、".join(f"{labels.get(k, k)} {pct(v)}" for k, v in shares.items())
                       + "。")
    else:
        out.append(f"Mean sub-index in {year}: " + "; ".join(
            f"{labels[k]} {num(means[k])} (highest: {unit_name(leaders[k], lang)})" for k in matrix.columns) + ".")
        if cv.notna().any():
            out.append(f"{w.units.capitalize()} differ most in {labels[cv.idxmax()]} "
                       f"(coefficient of variation {num(cv.max(), 2)}) "
                       f"and least in {labels[cv.idxmin()]} ({num(cv.min(), 2)}).")
        if shares is not None:
            out.append("Contributions to the weighted score: " + ", ".join(
                f"{labels.get(k, k)} {pct(v)}" for k, v in shares.items()) + ".")
    return out


# ---------------------------------------------------------------------------------------------
# disparity and dynamics


# =============================================================================================
# figures
# =============================================================================================
def index_map_figure(res: IndexResult, lang: str, title: str, geojson: Any = None,
                     kind: str | None = None) -> go.Figure:
    """The choropleth of the scores with a year slider (colour range fixed over the years); ``kind="user"`` draws
    the study's own outlines given as ``geojson``."""
    ranks = res.score_matrix("rank")
    extra = ranks.apply(lambda col: col.map(lambda r: f"{t('rank', lang)} {int(r)}" if pd.notna(r) else ""))
    return choropleth_figure(res.score_matrix(), lang=lang, title=title, colorbar_title=t("score", lang),
                             colorscale="Viridis", hover_extra=extra, geojson=geojson, kind=kind)


def _user_outlines(run: StudyRun, res: IndexResult) -> dict[str, Any] | None:
    """The study's [geography] outlines of the index's units (None without a [geography] file)."""
    geo = run.spec.geography
    if geo is None or geo.file is None:
        return None
    return user_geometry(geo, list(res.units), run.base).features


def trends_figure(res: IndexResult, lang: str, words: KindWords | None = None) -> go.Figure:
    """National (or sample) and regional mean scores by year."""
    import plotly.graph_objects as go

    w = words or res_words(res, lang)
    rm = V.region_means(res)
    fig = go.Figure()
    for col in rm.columns:
        nat = col == "national"
        fig.add_trace(go.Scatter(
            x=rm.index, y=rm[col], mode="lines+markers",
            name=(w.mean[:1].upper() + w.mean[1:]) if nat else region_label(col, lang),
            line={"color": REGION_COLORS.get(col, "#000"), "width": 3 if nat else 1.8,
                  "dash": "solid" if nat else "dash"},
            hovertemplate="%{x}: %{y:.4f}<extra>%{fullData.name}</extra>"))
    fig.update_layout(height=420, xaxis={"title": t("year", lang), "dtick": 1},
                      yaxis={"title": t("mean_score", lang)}, margin={"l": 60, "r": 20, "t": 20, "b": 50},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def group_heatmap_figure(res: IndexResult, lang: str, year: int, keep: int | None = None
                         ) -> tuple[go.Figure, list[str]]:
    """Units × groups heat map of one year; a menu switches dimensions / factors / "three new" / levers.

    ``keep``: show only the ``keep`` highest- and the ``keep`` lowest-scoring units (large runs).
    """
    import plotly.graph_objects as go

    kinds = ["dimension", *V.tag_kinds(res)]
    mats = {k: V.group_matrix(res, k, year) for k in kinds}
    if keep is not None and len(mats["dimension"]) > 2 * keep:
        order = mats["dimension"].index
        shown = [*order[:keep], *order[-keep:]]
        mats = {k: m.reindex(shown) for k, m in mats.items()}
    first = mats["dimension"]
    ylab = [unit_name(u, lang) for u in first.index]

    def xlab(k: str) -> list[str]:
        return [V.group_label(res, k, g, lang) for g in mats[k].columns]

    zmax = max(float(np.nanmax(m.to_numpy(dtype=float))) for m in mats.values())
    fig = go.Figure(go.Heatmap(
        z=first.to_numpy(dtype=float), x=xlab("dimension"), y=ylab, colorscale="Cividis", zmin=0, zmax=zmax,
        colorbar={"title": {"text": t("sub_index", lang)}},
        hovertemplate="%{y} · %{x}: %{z:.4f}<extra></extra>"))
    if len(kinds) > 1:
        buttons = [{"method": "restyle", "label": t(k if k != "dimension" else "dimensions", lang),
                    "args": [{"z": [mats[k].reindex(first.index).to_numpy(dtype=float)], "x": [xlab(k)]}]}
                   for k in kinds]
        fig.update_layout(updatemenus=[{"buttons": buttons, "direction": "right", "type": "buttons",
                                        "x": 0, "y": 1.08, "xanchor": "left", "showactive": True}])
    fig.update_layout(height=max(420, 18 * len(first) + 140), margin={"l": 90, "r": 20, "t": 60, "b": 80},
                      yaxis={"autorange": "reversed"}, xaxis={"side": "bottom"})
    return fig, kinds


# =============================================================================================
# the chapter
# =============================================================================================
def section_index(run: StudyRun, page: Page) -> str | None:
    """Per index: map, ranking, trends, dimension heat map (or the views of a large run)."""
    lang = page.lang
    out = []
    for name, res in run.results.items():
        title = index_title(run, name, lang)
        last = res.years[-1]
        w = words(run, res.units, lang)
        out.append(f"<h3>{esc(title)}</h3>")
        if province_run(run, res.units):
            out.append(f"<h4>{esc(t('map', lang))}</h4>")
            out.append(para(map_text(res, lang, words=w)))
            out.append(page.plot(index_map_figure(res, lang, title, page.outlines())))
        elif (user := _user_outlines(run, res)) is not None:  # the study's own outlines ([geography] file)
            out.append(f"<h4>{esc(t('map', lang))}</h4>")
            out.append(para(map_text(res, lang, words=w)))
            out.append(page.plot(index_map_figure(res, lang, title, user, kind="user")))
        else:
            out.append(para(map_text(res, lang, words=w)))
        if is_large(len(res.units)):
            out.append(_large_views(run, res, page, w))
            continue
        rt = V.ranking_table(res)
        out.append(f"<h4>{esc(t('ranking', lang))} ({last})</h4>")
        out.append(para(ranking_text(rt, lang)))
        shown = rt.assign(unit=rt["unit"].map(lambda u: unit_name(u, lang)),
                          region=rt["region"].map(lambda r: region_label(r, lang) if isinstance(r, str) else ""))
        if shown["region"].eq("").all():
            shown = shown.drop(columns="region")
        heads = {"rank": t("rank", lang), "unit": unit_heading(w, lang), "score": t("score", lang),
                 "region": t("region", lang), "rank_change": f"{t('rank_change', lang)} ({res.years[0]}–{last})"}
        out.append(table_html(shown, {"rank": "int", "score": "4f", "rank_change": "signed"}, heads, lang=lang))
        out.append(f"<h4>{esc(trends_heading(run, res, lang, w))}</h4>")
        out.append(para(trend_text(V.region_means(res), lang, w)))
        out.append(page.plot(trends_figure(res, lang, w)))
        out.append(f"<h4>{esc(t('dimension_heatmap', lang))} ({last})</h4>")
        fig, kinds = group_heatmap_figure(res, lang, last)
        out.append(_group_paragraphs(res, kinds, last, lang, w))
        out.append(page.plot(fig))
    return "".join(out) if out else None


def _group_paragraphs(res: IndexResult, kinds: list[str], year: int, lang: str, w: KindWords) -> str:
    """Per grouping kind (dimensions, factors, "three new", levers) the sentences of :func:`group_text`."""
    out = []
    for k in kinds:
        m = V.group_matrix(res, k, year)
        labels = {g: V.group_label(res, k, g, lang) for g in m.columns}
        shares = V.group_contributions(res, k, year) if res.settings.get("aggregation") == "weighted_sum" else None
        out.append(f'<p class="gen"><b>{esc(t(k if k != "dimension" else "dimensions", lang))}.</b> '
                   + esc(" ".join(group_text(m, labels, shares, year, lang, w))) + "</p>")
    return "".join(out)


#: (zh, en) words of the large-run views.
_LARGE = {
    "top_bottom": ("得分最高与最低的单位", "Highest and lowest scores"),
    "all_units": ("{each}得分(可搜索、可排序)", "Scores of {each} (search and sort)"),
    "distribution": ("{each}得分的分布", "Distribution of the scores of {units}"),
    "by_group": ("分组统计", "By group"),
    "sub_index_dist": ("分项指数分布", "Distribution of the sub-indices"),
    "group": ("组别", "Group"),
    "n": ("单位数", "Units"),
    "mean": ("均值", "Mean"),
    "median": ("中位数", "Median"),
    "sd": ("标准差", "SD"),
}


def _lw(key: str, lang: str, w: KindWords | None = None) -> str:
    zh, en = _LARGE[key]
    text = zh if lang == "zh" else en
    return text.format(each=w.each, units=w.units) if w is not None else text


def _large_views(run: StudyRun, res: IndexResult, page: Page, w: KindWords) -> str:
    """The index views of a run with many units: top/bottom, the searchable table, distributions, groups."""
    lang = page.lang
    last = res.years[-1]
    n = len(res.units)
    out = [para([f"单位较多({w.count(n)}),以下以分布、最高与最低的各 {V.TOP_N} 个、分组统计和可搜索的表格代替逐一绘图。"
                 if lang == "zh" else f"With {w.count(n)}, the views below are distributions, the {V.TOP_N} highest "
                 "and lowest, group summaries and a searchable table instead of one bar or row per unit."])]
    grouping = V.default_grouping(res.units, getattr(run.panel, "kind", None), run.panel)
    top, bottom = V.top_bottom(res, V.TOP_N, last)
    out.append(f"<h4>{esc(_lw('top_bottom', lang))} ({last})</h4>")
    rt = V.ranking_table(res)
    out.append(para(ranking_text(rt, lang)))
    out.append(page.plot(top_bottom_figure(top, bottom, lang, f"{t('score', lang)}, {last}")))
    out.append(f"<h4>{esc(_lw('all_units', lang, w))} ({last})</h4>")
    table = V.unit_table(res, last, grouping)
    table["unit"] = table["unit"].map(lambda u: unit_name(u, lang))
    if grouping is not None:
        table["group"] = table["group"].map(lambda g: grouping.label(g, lang) if isinstance(g, str) else "")
    dims = [d for d in res.framework.dimensions if d in table.columns]
    heads = {"rank": t("rank", lang), "unit": unit_heading(w, lang), "score": t("score", lang),
             "group": _lw("group", lang),
             "rank_change": f"{t('rank_change', lang)} ({res.years[0]}–{last})",
             **{d: res.framework.label(d, lang) for d in dims}}
    out.append(searchable_table(table, {"rank": "int", "score": "4f", "rank_change": "signed",
                                        **dict.fromkeys(dims, "4f")}, heads, lang=lang,
                                table_id=table_id(page)))
    out.append(f"<h4>{esc(_lw('distribution', lang, w))}</h4>")
    dist = V.distribution(res.scores)
    out.append(para(trend_text(dist.rename(columns={"mean": "national"}), lang, w)))
    out.append(page.plot(box_figure(dist, [str(y) for y in dist.index], lang, t("score", lang), t("year", lang))))
    out.append(page.plot(histogram_figure(res.year_scores(last).to_numpy(dtype=float), lang,
                                          f"{t('score', lang)}, {last}")))
    if grouping is not None:
        cur = res.scores[res.scores["year"] == last]
        summ = V.group_summary(cur, grouping)
        out.append(f"<h4>{esc(_lw('by_group', lang))} ({grouping.name}, {last})</h4>")
        out.append(para([group_sentence(summ, lambda g: grouping.label(g, lang), last, lang)]))
        shown = summ.assign(group=summ["group"].map(lambda g: grouping.label(g, lang)))
        out.append(table_html(shown, {"n": "int", "mean": "4f", "median": "4f", "sd": "4f"},
                              {k: _lw(k, lang) for k in ("group", "n", "mean", "median", "sd")}, lang=lang))
        out.append(page.plot(_group_trends_figure(res, grouping, lang, w)))
    else:
        out.append(f"<h4>{esc(trends_heading(run, res, lang, w))}</h4>")
        out.append(page.plot(trends_figure(res, lang, w)))
    out.append(f"<h4>{esc(_lw('sub_index_dist', lang))} ({last})</h4>")
    kinds = ["dimension", *V.tag_kinds(res)]
    out.append(_group_paragraphs(res, kinds, last, lang, w))
    m = V.group_matrix(res, "dimension", last)
    long = m.melt(var_name="group", value_name="v")
    stats = V.distribution(long, "v", by="group").reindex(list(m.columns))
    out.append(page.plot(box_figure(stats, [V.group_label(res, "dimension", g, lang) for g in stats.index], lang,
                                    f"{t('sub_index', lang)}, {last}")))
    return "".join(out)


def _group_trends_figure(res: IndexResult, grouping: Any, lang: str, w: KindWords) -> go.Figure:
    """The mean score by year of every group and of the whole sample."""
    import plotly.graph_objects as go

    s = res.scores[["unit", "year", "score"]]
    g = s["unit"].map(grouping.mapping)
    fig = go.Figure(go.Scatter(x=res.years, y=s.groupby("year")["score"].mean().reindex(res.years).tolist(),
                               mode="lines+markers", name=w.mean[:1].upper() + w.mean[1:],
                               line={"color": "#000", "width": 3}))
    means = s.groupby([g, s["year"]])["score"].mean()
    order = [k for k in grouping.order if k in means.index.get_level_values(0)]
    for k, key in enumerate(order):
        fig.add_trace(go.Scatter(x=res.years, y=means[key].reindex(res.years).tolist(), mode="lines+markers",
                                 name=grouping.label(key, lang),
                                 line={"color": OKABE_ITO[k % len(OKABE_ITO)], "width": 1.6, "dash": "dash"}))
    fig.update_layout(height=420, xaxis={"title": t("year", lang), "dtick": 1},
                      yaxis={"title": t("mean_score", lang)}, margin={"l": 60, "r": 20, "t": 20, "b": 50},
                      legend={"orientation": "h", "y": -0.2})
    return fig
