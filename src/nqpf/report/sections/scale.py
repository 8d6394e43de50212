"""Views for panels with many units (大样本视图): what the report shows instead of one element per unit.

Above :data:`~nqpf.report.sections.LARGE_UNITS` units (firms, counties, many cities) a bar, a row of a heat map
or a line per unit makes figures thousands of pixels tall and the page tens of megabytes. The report then shows
views whose size does not grow with the number of units:

- distributions: box plots by year drawn from precomputed quartiles and whiskers
  (:func:`~nqpf.report.views.distribution`, a few numbers per year) and a histogram of the last year;
- the :data:`~nqpf.report.views.TOP_N` highest and lowest units;
- summaries by group (mean, median, sd) when the unit kind has a default grouping;
- a searchable, sortable, paginated table with one row per unit (:func:`searchable_table`, drawn by
  ``NQPF.table`` of ``report/assets/report.js``: only one page of rows is in the document at a time).

Analyses place their own blocks; :func:`render_record` renders them for a large run: a figure with one
category per unit keeps its first and last :data:`~nqpf.report.views.TOP_N` categories (the analyses sort them)
with a sentence saying so, a long table becomes a searchable one, and every figure's height and width are capped
at :data:`~nqpf.viz.style.MAX_PX`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.blocks import Block, Figure, Table
from nqpf.core.i18n import num
from nqpf.core.interface import ReportContext
from nqpf.core.units import KindWords, kind_words, unit_name
from nqpf.report.page import Page, esc, format_cell, para
from nqpf.report.render import render_block
from nqpf.report.sections import LARGE_UNITS
from nqpf.report.views import TOP_N
from nqpf.viz.style import MAX_PX, OKABE_ITO, cap_height

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PAGE_ROWS", "box_figure", "cap_figure", "histogram_figure", "keep_ends", "render_record",
           "searchable_table", "table_id", "top_bottom_figure"]

#: Rows per page of a searchable table.
PAGE_ROWS = 50
#: Rows a searchable table embeds at most (a larger table says how many rows the CSV has).
MAX_SEARCH_ROWS = 50_000

_WORDS = {
    "search": ("搜索（任一列）", "Search (any column)"),
    "sort": ("点击排序", "click to sort"),
    "prev": ("上一页", "previous page"),
    "next": ("下一页", "next page"),
}


def table_id(page: Page) -> str:
    """A new id for a searchable table of ``page`` (counted on the page)."""
    n = getattr(page, "n_tables", 0) + 1
    page.n_tables = n  # type: ignore[attr-defined]
    return f"nqpf-table-{n}"


def _w(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


# =============================================================================================
# the searchable table
# =============================================================================================
def searchable_table(df: pd.DataFrame, formats: dict[str, str] | None = None,
                     headers: dict[str, str] | None = None, *, lang: str = "en", page_rows: int = PAGE_ROWS,
                     table_id: str) -> str:
    """A DataFrame as a searchable, sortable, paginated table (``NQPF.table`` in report.js), every row embedded
    as formatted text (at most :data:`MAX_SEARCH_ROWS`, with a note beyond). ``formats`` and ``headers`` as for
    :func:`~nqpf.report.page.table_html`; ``table_id`` must be unique in the page."""
    formats = formats or {}
    headers = headers or {}
    shown = df.head(MAX_SEARCH_ROWS)
    cols = list(shown.columns)
    numeric = [formats.get(c) != "text" and pd.api.types.is_numeric_dtype(shown[c])
               and not pd.api.types.is_bool_dtype(shown[c]) for c in cols]
    rows = [[format_cell(v, formats.get(c), isnum) for c, v, isnum in zip(cols, rec, numeric, strict=True)]
            for rec in shown.itertuples(index=False)]
    data = {"cols": [[str(headers.get(c, c)), bool(isnum)] for c, isnum in zip(cols, numeric, strict=True)],
            "rows": rows, "size": int(page_rows), "words": {k: _w(k, lang) for k in _WORDS}}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    note = ""
    if len(df) > MAX_SEARCH_ROWS:
        text = (f"只嵌入前 {MAX_SEARCH_ROWS:,} 行(共 {len(df):,} 行),完整表格见 tables/ 中的 CSV。" if lang == "zh"
                else f"The first {MAX_SEARCH_ROWS:,} of {len(df):,} rows; the CSV in tables/ has all.")
        note = f'<p class="note">{esc(text)}</p>\n'
    return (f'<div id="{esc(table_id)}" class="searchtable"></div>\n'
            f'<script>NQPF.table("{esc(table_id)}", {payload});</script>\n{note}')


# =============================================================================================
# figures of a large run
# =============================================================================================
def cap_figure(fig: go.Figure) -> go.Figure:
    """``fig`` with its layout height and width at most :data:`~nqpf.viz.style.MAX_PX` (in place)."""
    h, w = fig.layout.height, fig.layout.width
    if h is not None and h > MAX_PX:
        fig.update_layout(height=cap_height(h))
    if w is not None and w > MAX_PX:
        fig.update_layout(width=cap_height(w))
    return fig


def _categories(tr: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """(axis letter, category labels) of a trace drawn with one category per element on a text axis."""
    for ax in ("y", "x"):
        v = tr.get(ax)
        if v is None or isinstance(v, (str, bytes, dict)):
            continue
        vals = list(np.asarray(v, dtype=object).ravel()) if not isinstance(v, list) else v
        if len(vals) > LARGE_UNITS and all(isinstance(c, str) for c in vals[:50]):
            return ax, vals
    return None


def _typed_array(value: dict[str, Any]) -> np.ndarray:
    """A plotly typed array (``{"dtype", "bdata"[, "shape"]}``, base64) as a numpy array."""
    import base64

    arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    shape = value.get("shape")
    if shape:
        arr = arr.reshape([int(k) for k in str(shape).split(",")])
    return arr


def _subset(value: Any, idx: np.ndarray, n: int) -> Any:
    """A per-element trace property restricted to the rows ``idx`` (other values unchanged)."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        arr = _typed_array(value)
        return arr[idx].tolist() if len(arr) == n else value
    if isinstance(value, dict):
        return {k: _subset(v, idx, n) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)) and not isinstance(value, str) and len(value) == n:
        arr = np.asarray(value, dtype=object)
        return arr[idx].tolist()
    return value


def keep_ends(fig: go.Figure, n: int = TOP_N) -> tuple[go.Figure, int | None]:
    """A figure with one category per unit (bars, points or heat-map rows on a text axis of more than
    :data:`~nqpf.report.sections.LARGE_UNITS` labels) cut to its first and last ``n`` categories, in the
    figure's order (the analyses sort their units); returns (figure, number of categories before) or
    (fig, None) when it has no such axis."""
    import plotly.graph_objects as go

    d = fig.to_plotly_json()
    found = next((c for tr in d["data"] if (c := _categories(tr)) is not None), None)
    if found is None:
        return fig, None
    axis, labels = found
    total = len(labels)
    pos = {lab: k for k, lab in enumerate(labels)}
    keep_labels = set(labels[:n]) | set(labels[-n:])
    for tr in d["data"]:
        own = tr.get(axis)
        if own is None or isinstance(own, str):
            continue
        own = list(own)
        m = len(own)
        idx = np.array([k for k, lab in enumerate(own) if lab in keep_labels], dtype=int)
        idx = idx[np.argsort([pos.get(own[k], k) for k in idx], kind="stable")]
        for key in list(tr):
            if key == "z" and tr.get("type") == "heatmap":
                z = _typed_array(tr["z"]) if isinstance(tr["z"], dict) else np.asarray(tr["z"], dtype=float)
                tr["z"] = (z[idx] if axis == "y" else z[:, idx]).tolist()
            elif key not in ("type", "name", "orientation", "xaxis", "yaxis"):
                tr[key] = _subset(tr[key], idx, m)
    out = go.Figure(d)
    rows = 2 * n
    h = d["layout"].get("height")
    if axis == "y" and h is not None:
        out.update_layout(height=int(min(h, max(420, 20 * rows + 160))))
    return out, total


def _cut_note(total: int, n: int, words: KindWords, lang: str) -> str:
    if lang == "zh":
        return f"单位较多({words.count(total)}),下图只显示排在最前和最后的各 {n} 个;完整结果见表格与 tables/ 中的 CSV。"
    return (f"With {words.count(total)}, the figure below shows the first and the last {n} only; the tables and the "
            "CSV files in tables/ have every unit.")


def render_record(blocks: Iterable[Block], ctx: ReportContext, page: Page) -> str:
    """An analysis's blocks as HTML for this run: as :func:`~nqpf.report.render.render_blocks`, and for a large
    run (``ctx.large``) per-unit figures cut to their ends (with a sentence), long tables searchable, every
    figure within :data:`~nqpf.viz.style.MAX_PX`."""
    words = kind_words(ctx.unit_kind, ctx.lang)
    out = []
    for b in blocks:
        if isinstance(b, Figure):
            fig = b.figure
            if ctx.large:
                fig, total = keep_ends(fig)
                if total is not None:
                    out.append(para([_cut_note(total, TOP_N, words, ctx.lang)]))
            cap_figure(fig)
            out.append(page.plot(fig, cap_height(b.height)))
        elif ctx.large and isinstance(b, Table) and len(b.frame) > LARGE_UNITS:
            df = b.frame if isinstance(b.frame, pd.DataFrame) else pd.DataFrame(b.frame)
            out.append(searchable_table(df, dict(b.formats), dict(b.headers), lang=ctx.lang,
                                        table_id=table_id(page)))
        else:
            out.append(render_block(b, page))
    return "".join(out)


def box_figure(stats: pd.DataFrame, names: Sequence[str], lang: str, ytitle: str, xtitle: str = "",
               color: str = OKABE_ITO[4]) -> go.Figure:
    """Box plots from precomputed statistics (rows of :func:`~nqpf.report.views.distribution`; one box per
    row, labelled by ``names``): quartiles, median, whiskers and the mean, never the raw values."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Box(
        x=list(names), q1=stats["q1"].tolist(), median=stats["median"].tolist(), q3=stats["q3"].tolist(),
        lowerfence=stats["lower_fence"].tolist(), upperfence=stats["upper_fence"].tolist(),
        mean=stats["mean"].tolist(), sd=stats["sd"].fillna(0.0).tolist(), boxmean=True, marker_color=color,
        name=ytitle, showlegend=False, hoverinfo="x+y"))
    fig.update_layout(height=400, xaxis={"title": xtitle, "type": "category"}, yaxis={"title": ytitle},
                      margin={"l": 60, "r": 20, "t": 20, "b": 60})
    return fig


def histogram_figure(values: np.ndarray, lang: str, xtitle: str, bins: int = 40) -> go.Figure:
    """The histogram of one year's values as counts per bin (the bins, not the values, are embedded)."""
    import plotly.graph_objects as go

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    counts, edges = np.histogram(v, bins=bins)
    mids = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=mids, y=counts, width=float(edges[1] - edges[0]) if len(edges) > 1 else None,
                           marker_color=OKABE_ITO[4], marker_line={"width": 0.5, "color": "#ffffff"},
                           customdata=np.column_stack([edges[:-1], edges[1:]]),
                           hovertemplate="%{customdata[0]:.4f}–%{customdata[1]:.4f}: %{y}<extra></extra>"))
    fig.update_layout(height=360, bargap=0, xaxis={"title": xtitle},
                      yaxis={"title": "单位数" if lang == "zh" else "Number of units"},
                      margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig


def top_bottom_figure(top: pd.Series, bottom: pd.Series, lang: str, xtitle: str) -> go.Figure:
    """Horizontal bars of the highest (blue) and the lowest (vermillion) units, highest first."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for part, color, label in ((top, OKABE_ITO[4], ("最高", "highest")), (bottom, OKABE_ITO[5], ("最低", "lowest"))):
        if len(part):
            fig.add_trace(go.Bar(y=[unit_name(u, lang) for u in part.index], x=part.to_numpy(dtype=float),
                                 orientation="h", marker_color=color, name=label[0] if lang == "zh" else label[1],
                                 hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    rows = len(top) + len(bottom)
    fig.update_layout(height=cap_height(max(360, 18 * rows + 120)), xaxis={"title": xtitle},
                      yaxis={"autorange": "reversed", "type": "category"}, legend={"orientation": "h", "y": -0.12},
                      margin={"l": 110, "r": 20, "t": 20, "b": 60})
    return fig


def group_sentence(summary: pd.DataFrame, label: Any, year: int, lang: str) -> str:
    """The highest and lowest group mean of a year from :func:`~nqpf.report.views.group_summary`."""
    s = summary.dropna(subset=["mean"]).sort_values("mean", ascending=False)
    if len(s) < 2:
        return ""
    hi, lo = s.iloc[0], s.iloc[-1]
    if lang == "zh":
        return (f"{year} 年分组均值最高的是{label(hi['group'])}({num(hi['mean'])},{int(hi['n'])} 个),"
                f"最低的是{label(lo['group'])}({num(lo['mean'])},{int(lo['n'])} 个)。")
    return (f"In {year} the highest group mean is {label(hi['group'])} ({num(hi['mean'])}, n = {int(hi['n'])}) and "
            f"the lowest {label(lo['group'])} ({num(lo['mean'])}, n = {int(lo['n'])}).")
