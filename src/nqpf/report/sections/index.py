"""The index chapter (指数测度结果): per index a map with a year slider (provinces), the ranking of the last year,
national and regional trends, and the heat map of the sub-indices by dimension, factor of production, "three
new" and policy lever — each with sentences carrying the numbers read off the IndexResult.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import join, num, pct, t
from nqpf.core.units import REGION_ORDER, region_label, unit_name
from nqpf.report import views as V
from nqpf.report.page import Page, esc, para, table_html
from nqpf.report.sections import index_title, is_large, province_run
from nqpf.result import IndexResult
from nqpf.study import StudyRun
from nqpf.viz.maps import choropleth_figure
from nqpf.viz.style import REGION_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Units shown at the top and at the bottom of the heat map of a large run.
HEATMAP_KEEP = 25

__all__ = ["HEATMAP_KEEP", "group_heatmap_figure", "group_text", "index_map_figure", "map_text", "ranking_text",
           "section_index", "trend_text", "trends_figure"]


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
def map_text(res: IndexResult, lang: str, year: int | None = None) -> list[str]:
    """The leaders and laggards of a year, the mean and the spread between the top and the bottom."""
    y = res.years[-1] if year is None else int(year)
    s = res.year_scores(y).sort_values(ascending=False)
    top, bottom = s.head(3), s.tail(3)
    ratio = s.iloc[0] / s.iloc[-1] if s.iloc[-1] > 0 else float("nan")
    above = int((s > s.mean()).sum())
    if lang == "zh":
        return [
            f"{y} 年得分最高的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in top.items())},"
            f"最低的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in bottom.items())}。",
            f"全国均值 {num(s.mean())},中位数 {num(s.median())};{above} 个地区高于均值;"
            f"最高值是最低值的 {num(ratio, 1)} 倍。",
        ]
    return [
        f"In {y} the highest scores are {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in top.items()], lang)}; "
        f"the lowest {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in bottom.items()], lang)}.",
        f"The mean is {num(s.mean())} and the median {num(s.median())}; {above} of {len(s)} units are above the mean; "
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


def trend_text(means: pd.DataFrame, lang: str) -> list[str]:
    """National mean from the first to the last year, its growth, and the regional gap."""
    y0, y1 = int(means.index[0]), int(means.index[-1])
    nat = means["national"]
    g = growth(nat.iloc[0], nat.iloc[-1])
    r = annual_rate(nat.iloc[0], nat.iloc[-1], y1 - y0)
    out = []
    if lang == "zh":
        out.append(f"全国均值由 {y0} 年的 {num(nat.iloc[0])} 变为 {y1} 年的 {num(nat.iloc[-1])},"
                   f"累计变化 {pct(g)},年均 {pct(r, 2)}。")
    else:
        out.append(f"The national mean went from {num(nat.iloc[0])} in {y0} to {num(nat.iloc[-1])} in {y1}, "
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
               lang: str) -> list[str]:
    """Per group the mean sub-index and its leader; the most unequal group; contribution shares."""
    means = matrix.mean()
    cv = matrix.std(ddof=0) / matrix.mean().replace(0, np.nan)
    leaders = matrix.idxmax()
    out = []
    if lang == "zh":
        out.append(f"{year} 年各分项均值:" + "、".join(
            f"{labels[k]} {num(means[k])}(最高:{unit_name(leaders[k], lang)})" for k in matrix.columns) + "。")
        if cv.notna().any():
            out.append(f"地区差异最大的分项是{labels[cv.idxmax()]}(变异系数 {num(cv.max(), 2)}),"
                       f"最小的是{labels[cv.idxmin()]}({num(cv.min(), 2)})。")
        if shares is not None:
            out.append("对综合得分的贡献:" + "、".join(f"{labels.get(k, k)} {pct(v)}" for k, v in shares.items())
                       + "。")
    else:
        out.append(f"Mean sub-index in {year}: " + "; ".join(
            f"{labels[k]} {num(means[k])} (highest: {unit_name(leaders[k], lang)})" for k in matrix.columns) + ".")
        if cv.notna().any():
            out.append(f"Provinces differ most in {labels[cv.idxmax()]} (coefficient of variation {num(cv.max(), 2)}) "
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
def index_map_figure(res: IndexResult, lang: str, title: str, geojson: Any = None) -> go.Figure:
    """The choropleth of the scores with a year slider (colour range fixed over the years)."""
    ranks = res.score_matrix("rank")
    extra = ranks.apply(lambda col: col.map(lambda r: f"{t('rank', lang)} {int(r)}" if pd.notna(r) else ""))
    return choropleth_figure(res.score_matrix(), lang=lang, title=title, colorbar_title=t("score", lang),
                             colorscale="Viridis", hover_extra=extra, geojson=geojson)


def trends_figure(res: IndexResult, lang: str) -> go.Figure:
    """National and regional mean scores by year."""
    import plotly.graph_objects as go

    rm = V.region_means(res)
    fig = go.Figure()
    for col in rm.columns:
        nat = col == "national"
        fig.add_trace(go.Scatter(
            x=rm.index, y=rm[col], mode="lines+markers",
            name=t("national_mean", lang) if nat else region_label(col, lang),
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
    """Per index: map, ranking, trends, dimension heat map."""
    lang = page.lang
    out = []
    for name, res in run.results.items():
        title = index_title(run, name, lang)
        last = res.years[-1]
        out.append(f"<h3>{esc(title)}</h3>")
        if province_run(run, res.units):
            out.append(f"<h4>{esc(t('map', lang))}</h4>")
            out.append(para(map_text(res, lang)))
            out.append(page.plot(index_map_figure(res, lang, title, page.outlines())))
        else:
            out.append(para(map_text(res, lang)))
        rt = V.ranking_table(res)
        out.append(f"<h4>{esc(t('ranking', lang))} ({last})</h4>")
        out.append(para(ranking_text(rt, lang)))
        shown = rt.assign(unit=rt["unit"].map(lambda u: unit_name(u, lang)),
                          region=rt["region"].map(lambda r: region_label(r, lang) if isinstance(r, str) else ""))
        if shown["region"].eq("").all():
            shown = shown.drop(columns="region")
        heads = {"rank": t("rank", lang), "unit": t("unit", lang), "score": t("score", lang),
                 "region": t("region", lang), "rank_change": f"{t('rank_change', lang)} ({res.years[0]}–{last})"}
        out.append(table_html(shown, {"rank": "int", "score": "4f", "rank_change": "signed"}, heads, lang=lang))
        out.append(f"<h4>{esc(t('trends', lang))}</h4>")
        out.append(para(trend_text(V.region_means(res), lang)))
        out.append(page.plot(trends_figure(res, lang)))
        out.append(f"<h4>{esc(t('dimension_heatmap', lang))} ({last})</h4>")
        keep = HEATMAP_KEEP if is_large(len(res.units)) else None
        fig, kinds = group_heatmap_figure(res, lang, last, keep)
        if keep is not None:
            out.append(para([f"单位较多({len(res.units)} 个),热力图只显示{last} 年得分最高和最低的各 {keep} 个。"
                             if lang == "zh" else f"With {len(res.units)} units, the heat map shows the {keep} "
                             f"highest- and the {keep} lowest-scoring units of {last}."]))
        for k in kinds:
            m = V.group_matrix(res, k, last)
            labels = {g: V.group_label(res, k, g, lang) for g in m.columns}
            shares = V.group_contributions(res, k, last) if res.settings.get("aggregation") == "weighted_sum" else None
            out.append(f'<p class="gen"><b>{esc(t(k if k != "dimension" else "dimensions", lang))}.</b> '
                       + esc(" ".join(group_text(m, labels, shares, last, lang))) + "</p>")
        out.append(page.plot(fig))
    return "".join(out) if out else None
