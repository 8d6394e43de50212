"""report.html: one self-contained, offline page with every result of a study run (交互式报告).

plotly's JavaScript is embedded once in a ``<script>`` tag; each figure is a ``<div>`` drawn by a small inline
script (no CDN, no web fonts, no MathJax, no network request). The province outlines, shared by every map,
are embedded once too. The page records when all figures have been drawn in ``window.NQPF_READY_MS``
(milliseconds after navigation start), which the browser test reads.

Sections (each a function ``(run, page) -> str | None``; None leaves the section out, so a section whose
analysis is absent is never shown empty):

1. overview: data, framework tree (sunburst + weights table), method choices and their consequences,
   imputed / dropped cells;
2. the index: map with a year slider, ranking, national and regional trends, dimension (and factor /
   "three new" / lever) heat map;
3. disparity and dynamics: Dagum Gini, kernel density, Markov and spatial Markov chains, Moran's I, LISA,
   σ/β convergence;
4. high-quality development: coupling coordination map and classes, obstacle degrees by policy lever;
5. robustness: Monte Carlo rank intervals (caterpillar plot), correlation of methods, rank agreement;
6. other analyses: anything else in ``run.analyses``, as its summary and table.

Add a section by appending ``Section(id, label_key, function)`` to :data:`SECTIONS`.
"""

from __future__ import annotations

import hashlib
import html
import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import check_lang, num, t
from nqpf.core.units import region_label, unit_name
from nqpf.report import figures as F
from nqpf.report import text as T
from nqpf.report.labels import node_label, tag_label
from nqpf.viz.style import LISA_COLORS, LISA_ORDER, OKABE_ITO, REGION_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nqpf.result import IndexResult
    from nqpf.study import StudyRun

#: System font stack (no web fonts): Latin first, then common Chinese system fonts.
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans CJK SC", '
              '"Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
              '"WenQuanYi Micro Hei", sans-serif')
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
#: Analyses each section renders; the rest go to "other analyses".
CLAIMED = {
    "disparity": ("dagum", "kernel_density", "markov", "spatial_markov", "moran", "lisa", "convergence"),
    "hqd": ("coupling", "obstacle"),
    "robustness": ("uncertainty", "compare"),
}
MAX_TABLE_ROWS = 200

CSS = """
:root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #0072B2; --bg: #ffffff; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: %FONT%; color: var(--fg); background: var(--bg); margin: 0; line-height: 1.55; font-size: 15px; }
header.top { padding: 28px 32px 12px; border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0 0 4px; font-size: 26px; }
header.top p { margin: 2px 0; color: var(--muted); }
nav.toc { padding: 8px 32px; border-bottom: 1px solid var(--line); background: var(--soft); position: sticky; top: 0;
  z-index: 5; font-size: 14px; }
nav.toc a { margin-right: 18px; color: var(--accent); text-decoration: none; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 48px; }
section { margin-top: 28px; }
h2 { font-size: 22px; border-bottom: 2px solid var(--fg); padding-bottom: 4px; }
h3 { font-size: 18px; margin-top: 26px; }
h4 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); }
p.gen { margin: 6px 0; }
.fig { width: 100%; min-height: 320px; }
.tablewrap { max-height: 460px; overflow: auto; border: 1px solid var(--line); margin: 8px 0 14px; }
table.tbl { border-collapse: collapse; font-size: 13px; width: 100%; }
table.tbl th, table.tbl td { padding: 3px 8px; border-bottom: 1px solid #eaeef2; text-align: right;
  white-space: nowrap; }
table.tbl th { position: sticky; top: 0; background: var(--soft); text-align: center; }
table.tbl td.txt, table.tbl th.txt { text-align: left; }
pre.summary { background: var(--soft); padding: 10px; overflow-x: auto; font-size: 12.5px; }
.error { border: 2px solid #D55E00; background: #fff4ec; padding: 10px; }
.note { color: var(--muted); font-size: 13px; }
""".replace("%FONT%", FONT_STACK)

#: plotly.js fetches a base-map topojson from its CDN for every geo subplot unless it is already in
#: ``window.PlotlyGeoAssets``; the maps here draw only the embedded province outlines (base map hidden), so an
#: empty topology is registered under the names plotly would fetch. No request leaves the page.
EMPTY_TOPOLOGY = {"type": "Topology", "arcs": [], "objects": {
    k: {"type": "GeometryCollection", "geometries": []}
    for k in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")}}
BOOT_JS = """
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
['world_110m', 'world_50m'].forEach(function (k) { window.PlotlyGeoAssets.topojson[k] = %TOPO%; });
window.NQPF = { geo: {}, specs: {}, drawn: {}, timings: [], config: %CONFIG%,
  plot: function (id, fig) { NQPF.specs[id] = fig; },
  draw: function (id) {
    if (NQPF.drawn[id]) { return NQPF.drawn[id]; }
    var fig = NQPF.specs[id];
    fig.data.forEach(function (tr) {
      if (typeof tr.geojson === 'string' && NQPF.geo[tr.geojson]) { tr.geojson = NQPF.geo[tr.geojson]; }
    });
    var t0 = performance.now();
    var p = Plotly.newPlot(id, fig.data, fig.layout, NQPF.config);
    NQPF.timings.push([id, performance.now() - t0]);
    NQPF.drawn[id] = p;
    return p;
  },
  drawAll: function () { return Promise.all(Object.keys(NQPF.specs).map(NQPF.draw)); }
};
"""
#: Figures are drawn when they come near the viewport (IntersectionObserver), so the page opens at once
#: however many figures it has; printing draws them all first. ``NQPF_READY_MS`` is set when the figures of
#: the first screen are drawn; ``NQPF.drawAll()`` draws the rest (the browser test calls it).
DONE_JS = """
(function () {
  var ids = Object.keys(NQPF.specs), first = [], margin = 600;
  var io = ('IntersectionObserver' in window) ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { io.unobserve(e.target); NQPF.draw(e.target.id); }
    });
  }, {rootMargin: margin + 'px 0px'}) : null;
  ids.forEach(function (id) {
    var el = document.getElementById(id), r = el.getBoundingClientRect();
    if (!io || (r.top < window.innerHeight + margin && r.bottom > -margin)) { first.push(NQPF.draw(id)); }
    else { io.observe(el); }
  });
  window.addEventListener('beforeprint', function () { NQPF.drawAll(); });
  Promise.all(first).then(function () {
    window.NQPF_READY_MS = performance.now();
    document.body.setAttribute('data-ready', '1');
  }, function (err) { console.error('nqpf report: a figure failed to draw', err); });
})();
"""


def _boot_js() -> str:
    return BOOT_JS.replace("%CONFIG%", json.dumps(PLOT_CONFIG)).replace("%TOPO%", json.dumps(EMPTY_TOPOLOGY))


# =============================================================================================
# the page
# =============================================================================================
@dataclass
class Page:
    """Collects figures and shared data while sections are rendered."""

    lang: str = "en"
    n_figures: int = 0
    geo: dict[str, str] = field(default_factory=dict)  # sentinel -> JSON text
    notes: list[str] = field(default_factory=list)

    # -- figures -------------------------------------------------------------------------------
    def plot(self, fig: go.Figure, height: int | None = None) -> str:
        """A figure as a div plus its drawing script (geojson replaced by a shared, embedded-once copy)."""
        from plotly.io.json import to_json_plotly

        self.n_figures += 1
        div_id = f"nqpf-fig-{self.n_figures}"
        fig.update_layout(font={"family": FONT_STACK, "size": 12}, template="simple_white",
                          paper_bgcolor="rgba(0,0,0,0)")
        if height is not None:
            fig.update_layout(height=height)
        d = fig.to_plotly_json()
        for tr in d["data"]:
            g = tr.get("geojson")
            if isinstance(g, dict):
                tr["geojson"] = self._geo_key(g)
        payload = to_json_plotly(d).replace("</", "<\\/")
        h = d["layout"].get("height")
        style = f' style="height:{int(h)}px"' if h else ""
        return f'<div id="{div_id}" class="fig"{style}></div>\n<script>NQPF.plot("{div_id}", {payload});</script>\n'

    def outlines(self) -> str:
        """The key of the province outlines, embedded once in the page (pass it as ``geojson=``)."""
        from nqpf.viz.maps import plotly_outlines

        key = "geo-provinces"
        if key not in self.geo:
            self.geo[key] = json.dumps(plotly_outlines(), ensure_ascii=False, separators=(",", ":")).replace(
                "</", "<\\/")
        return key

    def _geo_key(self, geojson: dict[str, Any]) -> str:
        text = json.dumps(geojson, ensure_ascii=False, separators=(",", ":"))
        key = "geo-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        self.geo.setdefault(key, text.replace("</", "<\\/"))
        return key

    def geo_scripts(self) -> str:
        """The embedded outlines, one script per distinct geojson (placed before the figures)."""
        return "".join(f'<script>NQPF.geo["{k}"] = {v};</script>\n' for k, v in self.geo.items())


def esc(s: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(s), quote=True)


def para(sentences: Sequence[str]) -> str:
    """Generated sentences as one paragraph."""
    if not sentences:
        return ""
    sep = "" if all(s.endswith(("。", ")", ";")) for s in sentences[:-1]) else " "
    return f'<p class="gen">{esc(sep.join(sentences))}</p>\n'


def table_html(df: pd.DataFrame, formats: dict[str, Callable[[Any], str]] | None = None,
               headers: dict[str, str] | None = None, max_rows: int = MAX_TABLE_ROWS, lang: str = "en") -> str:
    """A DataFrame as an HTML table (numbers right-aligned; at most ``max_rows`` rows, with a note)."""
    formats = formats or {}
    headers = headers or {}
    shown = df.head(max_rows)
    cols = list(shown.columns)
    numeric = {c for c in cols if pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])}
    head = "".join(f'<th class="{"" if c in numeric else "txt"}">{esc(headers.get(c, c))}</th>' for c in cols)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = []
        for c, v in zip(cols, rec, strict=True):
            if c in formats:
                s = formats[c](v)
            elif v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
                s = ""
            elif c in numeric and isinstance(v, (float, np.floating)):
                s = f"{v:.4f}"
            else:
                s = str(v)
            cells.append(f'<td class="{"" if c in numeric else "txt"}">{esc(s)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(df) > max_rows:
        note = f'<p class="note">{esc(t("cells_shown", lang, n=max_rows))}</p>'
    return (f'<div class="tablewrap"><table class="tbl"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + f"</tbody></table></div>{note}\n")


def _fmt(digits: int) -> Callable[[Any], str]:
    return lambda v: num(v, digits)


def _int(v: Any) -> str:
    try:
        return "" if pd.isna(v) else f"{int(v)}"
    except (TypeError, ValueError):
        return str(v)


def _signed(v: Any) -> str:
    try:
        return "" if pd.isna(v) else f"{int(v):+d}"
    except (TypeError, ValueError):
        return str(v)


def _index_title(run: StudyRun, name: str, lang: str) -> str:
    fw = run.results[name].framework
    return f"{fw.title_zh if lang == 'zh' else fw.title_en} ({name})"


def _province_run(run: StudyRun, units: Sequence[Any]) -> bool:
    from nqpf.viz.maps import is_province_panel

    return is_province_panel(list(units), getattr(run.panel, "kind", None))


# =============================================================================================
# 1. overview
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
    rows = []
    for it in fw.items:
        if it.id not in w.index:
            continue
        name = ("\u3000" * it.level) + node_label(fw, it.id, lang)
        is_ind = it.kind == "indicator"
        rows.append({
            "name": name, "id": it.id,
            "direction": t(ind.loc[it.id, "direction"], lang) if is_ind else "",
            "unit": str(ind.loc[it.id, "unit"]) if is_ind else "",
            **{k: (tag_label(fw, k, ind.loc[it.id, k], lang) if is_ind and isinstance(ind.loc[it.id, k], str) else "")
               for k in F.tag_kinds(res)},
            "weight": float(w.loc[it.id, "weight"]), "global_weight": float(w.loc[it.id, "global_weight"]),
        })
    df = pd.DataFrame(rows)
    heads = {"name": t("indicator", lang), "id": "id", "direction": t("direction", lang),
             "unit": t("measure_unit", lang), "weight": t("weight", lang), "global_weight": t("global_weight", lang),
             **{k: t(k, lang) for k in ("factor", "new", "lever")}}
    return table_html(df, {"weight": _fmt(4), "global_weight": _fmt(4)}, heads, max_rows=10_000, lang=lang)


def section_overview(run: StudyRun, page: Page) -> str:
    """Data, framework tree and weights, method choices, imputed and dropped cells."""
    lang = page.lang
    out = [f"<h3>{esc(t('data', lang))}</h3>", para(T.data_text(run, lang))]
    for name, res in run.results.items():
        out.append(f"<h3>{esc(t('framework_tree', lang))}: {esc(_index_title(run, name, lang))}</h3>")
        out.append(para(T.framework_text(res, lang)))
        out.append(page.plot(sunburst_figure(res, lang)))
        out.append(f"<h4>{esc(t('weights_table', lang))}</h4>")
        out.append(weights_table(res, lang))
        out.append(f"<h4>{esc(t('method', lang))}</h4>")
        out.append(para(T.method_text(res, lang)))
    notes = list(run.provenance.notes)
    if notes:
        out.append(f"<h4>{esc(t('notes', lang))}</h4><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    out.append(f"<h3>{esc(t('cells', lang))}</h3>")
    cells = pd.DataFrame(run.provenance.cells)
    out.append(para(T.cells_text(cells, lang)))
    if not cells.empty:
        by = cells.groupby(["index", "action"] if "index" in cells.columns else ["action"]).size()
        counts = by.rename("n").reset_index()
        counts["action"] = counts["action"].map(lambda a: t(a, lang))
        out.append(table_html(counts, {"n": _int}, {"index": t("index", lang), "action": t("action", lang),
                                                    "n": t("count", lang)}, lang=lang))
        shown = cells.assign(unit=cells["unit"].map(lambda u: unit_name(u, lang)),
                             action=cells["action"].map(lambda a: t(a, lang)))
        heads = {c: t(c, lang) for c in shown.columns if c in ("action", "unit", "year", "column", "before", "after",
                                                                "reason", "index")}
        out.append(table_html(shown, {"year": _int}, heads, lang=lang))
    return "".join(out)


# =============================================================================================
# 2. the index
# =============================================================================================
def index_map_figure(res: IndexResult, lang: str, title: str, geojson: Any = None) -> go.Figure:
    """The choropleth of the scores with a year slider (colour range fixed over the years)."""
    from nqpf.viz.maps import choropleth_figure

    ranks = res.score_matrix("rank")
    extra = ranks.apply(lambda col: col.map(lambda r: f"{t('rank', lang)} {int(r)}" if pd.notna(r) else ""))
    return choropleth_figure(res.score_matrix(), lang=lang, title=title, colorbar_title=t("score", lang),
                             colorscale="Viridis", hover_extra=extra, geojson=geojson)


def trends_figure(res: IndexResult, lang: str) -> go.Figure:
    """National and regional mean scores by year."""
    import plotly.graph_objects as go

    rm = F.region_means(res)
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


def group_heatmap_figure(res: IndexResult, lang: str, year: int) -> tuple[go.Figure, list[str]]:
    """Units × groups heat map of one year; a menu switches dimensions / factors / "three new" / levers."""
    import plotly.graph_objects as go

    kinds = ["dimension", *F.tag_kinds(res)]
    mats = {k: F.group_matrix(res, k, year) for k in kinds}
    first = mats["dimension"]
    ylab = [unit_name(u, lang) for u in first.index]

    def xlab(k: str) -> list[str]:
        return [F.group_label(res, k, g, lang) for g in mats[k].columns]

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


def section_index(run: StudyRun, page: Page) -> str | None:
    """Per index: map, ranking, trends, dimension heat map."""
    lang = page.lang
    out = []
    for name, res in run.results.items():
        title = _index_title(run, name, lang)
        last = res.years[-1]
        out.append(f"<h3>{esc(title)}</h3>")
        if _province_run(run, res.units):
            out.append(f"<h4>{esc(t('map', lang))}</h4>")
            out.append(para(T.map_text(res, lang)))
            out.append(page.plot(index_map_figure(res, lang, title, page.outlines())))
        else:
            out.append(para(T.map_text(res, lang)))
        rt = F.ranking_table(res)
        out.append(f"<h4>{esc(t('ranking', lang))} ({last})</h4>")
        out.append(para(T.ranking_text(rt, lang)))
        shown = rt.assign(unit=rt["unit"].map(lambda u: unit_name(u, lang)),
                          region=rt["region"].map(lambda r: region_label(r, lang) if isinstance(r, str) else ""))
        if shown["region"].eq("").all():
            shown = shown.drop(columns="region")
        heads = {"rank": t("rank", lang), "unit": t("unit", lang), "score": t("score", lang),
                 "region": t("region", lang), "rank_change": f"{t('rank_change', lang)} ({res.years[0]}–{last})"}
        out.append(table_html(shown, {"rank": _int, "score": _fmt(4), "rank_change": _signed}, heads, lang=lang))
        out.append(f"<h4>{esc(t('trends', lang))}</h4>")
        out.append(para(T.trend_text(F.region_means(res), lang)))
        out.append(page.plot(trends_figure(res, lang)))
        out.append(f"<h4>{esc(t('dimension_heatmap', lang))} ({last})</h4>")
        fig, kinds = group_heatmap_figure(res, lang, last)
        for k in kinds:
            m = F.group_matrix(res, k, last)
            labels = {g: F.group_label(res, k, g, lang) for g in m.columns}
            shares = F.group_contributions(res, k, last) if res.settings.get("aggregation") == "weighted_sum" else None
            out.append(f'<p class="gen"><b>{esc(t(k if k != "dimension" else "dimensions", lang))}.</b> '
                       + esc(" ".join(T.group_text(m, labels, shares, last, lang))) + "</p>")
        out.append(page.plot(fig))
    return "".join(out) if out else None


# =============================================================================================
# 3. disparity and dynamics
# =============================================================================================
def dagum_figure(d: Any, lang: str) -> go.Figure:
    """Stacked contributions (%) of Gw, Gnb, Gt by year, with G on a second axis."""
    import plotly.graph_objects as go

    df = d.to_frame()
    fig = go.Figure()
    colors = {"Gw": OKABE_ITO[4], "Gnb": OKABE_ITO[0], "Gt": OKABE_ITO[2]}
    for k, c in colors.items():
        fig.add_trace(go.Bar(x=df["year"], y=100 * df[f"share:{k}"], name=t(k, lang), marker_color=c,
                             hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>"))
    fig.add_trace(go.Scatter(x=df["year"], y=df["G"], name=t("G", lang), yaxis="y2", mode="lines+markers",
                             line={"color": "#000"}, hovertemplate="%{x}: %{y:.4f}<extra>G</extra>"))
    fig.update_layout(barmode="stack", height=440, xaxis={"title": t("year", lang), "dtick": 1},
                      yaxis={"title": f"{t('contribution', lang)} (%)", "range": [0, 100]},
                      yaxis2={"title": t("G", lang), "overlaying": "y", "side": "right",
                              "range": [0, float(df["G"].max()) * 1.25]},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 60, "t": 20, "b": 60})
    return fig


def dagum_lines_figure(d: Any, lang: str) -> go.Figure:
    """Within-region (Gjj) and between-region (Gjh) Gini ratios by year."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    df = d.to_frame()
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("Gw", lang), t("Gnb", lang)), horizontal_spacing=0.1)
    for c in [c for c in df.columns if c.startswith("Gjj:")]:
        g = c[4:]
        fig.add_trace(go.Scatter(x=df["year"], y=df[c], mode="lines+markers", name=region_label(g, lang),
                                 line={"color": REGION_COLORS.get(g)}, legendgroup="w"), 1, 1)
    pal = list(OKABE_ITO)
    for k, c in enumerate([c for c in df.columns if c.startswith("Gjh:")]):
        a, b = c[4:].split("-", 1)
        fig.add_trace(go.Scatter(x=df["year"], y=df[c], mode="lines+markers", line={"color": pal[k % len(pal)],
                                 "dash": "dot"}, name=f"{region_label(a, lang)}–{region_label(b, lang)}",
                                 legendgroup="b"), 1, 2)
    fig.update_layout(height=420, margin={"l": 60, "r": 20, "t": 40, "b": 50}, legend={"font": {"size": 11}})
    fig.update_xaxes(dtick=1, title=t("year", lang))
    fig.update_yaxes(title=t("gini", lang), col=1)
    return fig


def kernel_ridge_figure(k: Any, lang: str) -> go.Figure:
    """Kernel densities of each year as a ridge plot (one filled curve per year, stacked)."""
    import plotly.graph_objects as go

    dens = k.density
    grid = np.asarray(k.grid, dtype=float)
    years = [int(y) for y in dens.index]
    scale = 1.6 / float(np.nanmax(dens.to_numpy(dtype=float)))
    fig = go.Figure()
    cmap = _viridis(len(years))
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
    return fig


def _viridis(n: int) -> list[str]:
    from plotly.colors import sample_colorscale

    cols = sample_colorscale("Viridis", [i / max(1, n - 1) for i in range(n)])
    return [c.replace("rgb(", "rgba(").replace(")", ",0.75)") for c in cols]


def markov_figure(m: Any, lang: str) -> go.Figure:
    """Transition probability matrix as an annotated heat map (rows: class in t, columns: t+1)."""
    import plotly.graph_objects as go

    p = m.p.to_numpy(dtype=float)
    n = m.transitions.to_numpy(dtype=float).sum(axis=1)
    rows = [f"{c} (n={int(k)})" for c, k in zip(m.classes, n, strict=True)]
    fig = go.Figure(go.Heatmap(z=p, x=list(m.classes), y=rows, colorscale="Cividis", zmin=0, zmax=1,
                               text=np.round(p, 3), texttemplate="%{text:.3f}",
                               colorbar={"title": {"text": t("probability", lang)}},
                               hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(height=380, xaxis={"title": t("class_to", lang), "side": "top"},
                      yaxis={"title": t("class_from", lang), "autorange": "reversed"},
                      margin={"l": 110, "r": 20, "t": 60, "b": 20})
    return fig


def spatial_markov_figure(sm: Any, lang: str) -> go.Figure:
    """One transition matrix per class of the neighbours (spatial lag)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    m = len(sm.lag_classes)
    fig = make_subplots(rows=1, cols=m, subplot_titles=[f"{t('neighbours', lang)}: {c}" for c in sm.lag_classes],
                        horizontal_spacing=0.04)
    for i in range(m):
        P = np.asarray(sm.P[i], dtype=float)
        fig.add_trace(go.Heatmap(z=P, x=list(sm.classes), y=list(sm.classes), colorscale="Cividis", zmin=0,
                                 zmax=1, showscale=i == m - 1, text=np.round(P, 2), texttemplate="%{text:.2f}",
                                 hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"), 1, i + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=i + 1)
    fig.update_layout(height=340, margin={"l": 40, "r": 20, "t": 50, "b": 30})
    return fig


def moran_figure(mo: Any, lang: str) -> go.Figure:
    """Global Moran's I by year; filled markers where p < 0.05."""
    import plotly.graph_objects as go

    I = np.asarray(mo.I, dtype=float)
    p = np.asarray(mo.p_norm, dtype=float)
    fig = go.Figure(go.Scatter(
        x=list(mo.years), y=I, mode="lines+markers", name="I",
        marker={"size": 9, "symbol": ["circle" if v < 0.05 else "circle-open" for v in p], "color": OKABE_ITO[4]},
        customdata=p, hovertemplate="%{x}: I = %{y:.4f}, p = %{customdata:.3f}<extra></extra>"))
    fig.add_hline(y=float(np.mean(mo.EI)), line_dash="dot", line_color="#888")
    fig.update_layout(height=340, xaxis={"title": t("year", lang), "dtick": 1}, yaxis={"title": t("moran", lang)},
                      margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig


def moran_scatter_figure(li: Any, year: int, lang: str) -> go.Figure:
    """Moran scatter plot of one year (z against its spatial lag), coloured by LISA cluster."""
    import plotly.graph_objects as go

    sc = li.scatter(year)
    fig = go.Figure()
    for lab in LISA_ORDER:
        sub = sc[sc["cluster"] == lab]
        if sub.empty:
            continue
        fig.add_trace(go.Scatter(
            x=sub["z"], y=sub["lag_z"], mode="markers+text", name=t(lab, lang),
            text=[unit_name(u, lang) for u in sub["unit"]], textposition="top center", textfont={"size": 10},
            marker={"color": LISA_COLORS[lab], "size": 10, "line": {"color": "#333", "width": 0.5}},
            hovertemplate="%{text}: z = %{x:.3f}, Wz = %{y:.3f}<extra></extra>"))
    z = sc["z"].to_numpy(dtype=float)
    xs = np.array([z.min(), z.max()])
    slope = float(sc.attrs.get("slope", np.nan))
    fig.add_trace(go.Scatter(x=xs, y=slope * xs, mode="lines", line={"color": "#000", "dash": "dash"},
                             name=f"I = {slope:.3f}", hoverinfo="skip"))
    fig.add_hline(y=0, line_color="#aaa", line_width=1)
    fig.add_vline(x=0, line_color="#aaa", line_width=1)
    fig.update_layout(height=480, xaxis={"title": t("z_value", lang), "zeroline": False},
                      yaxis={"title": t("lag_z", lang), "zeroline": False},
                      margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig


def lisa_map_figure(li: Any, lang: str, geojson: Any = None) -> go.Figure:
    """LISA cluster map with a year slider (HH, LL, LH, HL, not significant)."""
    from nqpf.viz.maps import category_codes, choropleth_figure, discrete_colorscale

    order = list(LISA_ORDER)
    codes = category_codes(li.matrix("cluster"), order)
    colors = [LISA_COLORS[c] for c in order]
    extra = li.matrix("cluster").apply(lambda col: col.map(lambda c: t(c, lang)))
    return choropleth_figure(codes, lang=lang, title=t("lisa", lang), colorbar_title="",
                             colorscale=discrete_colorscale(colors), zmin=-0.5, zmax=len(order) - 0.5, fmt=".0f",
                             hover_extra=extra, tickvals=list(range(len(order))),
                             ticktext=[t(c, lang) for c in order], geojson=geojson)


def sigma_figure(sig: Any, lang: str) -> go.Figure:
    """Coefficient of variation by year (σ-convergence)."""
    import plotly.graph_objects as go

    tb = sig.table
    fig = go.Figure(go.Scatter(x=tb["year"], y=tb["cv"], mode="lines+markers", name=t("cv", lang),
                               line={"color": OKABE_ITO[5]}))
    fig.update_layout(height=320, xaxis={"title": t("year", lang), "dtick": 1}, yaxis={"title": t("cv", lang)},
                      margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig


def _h3(key: str, res: Any, lang: str, extra: str = "") -> str:
    """An analysis heading, naming the index it was run on when the result says so (``index_name``)."""
    on = getattr(res, "index_name", None)
    return f"<h3>{esc(t(key, lang))}{esc(extra)}{esc(f' · {on}') if on else ''}</h3>"


def section_disparity(run: StudyRun, page: Page) -> str | None:
    """Dagum Gini, kernel density, Markov chains, Moran's I and LISA, convergence."""
    lang = page.lang
    a = run.analyses
    out = []
    if "dagum" in a:
        d = a["dagum"]
        out += [_h3("dagum", d, lang), para(T.dagum_text(d, lang)), page.plot(dagum_figure(d, lang)),
                page.plot(dagum_lines_figure(d, lang))]
    if "kernel_density" in a:
        k = a["kernel_density"]
        out += [_h3("kernel", k, lang), para(T.kernel_text(k, lang)),
                page.plot(kernel_ridge_figure(k, lang))]
    if "markov" in a:
        m = a["markov"]
        out += [_h3("markov", m, lang), para(T.markov_text(m, lang)), page.plot(markov_figure(m, lang))]
    if "spatial_markov" in a:
        sm = a["spatial_markov"]
        out += [_h3("spatial_markov", sm, lang), para(T.spatial_markov_text(sm, lang)),
                page.plot(spatial_markov_figure(sm, lang))]
    if "moran" in a:
        mo = a["moran"]
        out += [_h3("moran", mo, lang), para(T.moran_text(mo, lang)), page.plot(moran_figure(mo, lang))]
    if "lisa" in a:
        li = a["lisa"]
        year = max(li.years)
        out += [_h3("lisa", li, lang), para(T.lisa_text(li, year, lang)),
                f"<h4>{esc(t('moran_scatter', lang))} ({year})</h4>", page.plot(moran_scatter_figure(li, year, lang))]
        units = list(dict.fromkeys(li.table["unit"]))
        if _province_run(run, units):
            out.append(page.plot(lisa_map_figure(li, lang, page.outlines())))
    if "convergence" in a:
        out += [_h3("convergence", a["convergence"], lang), convergence_html(a["convergence"], page)]
    return "".join(out) if out else None


def convergence_html(c: Any, page: Page) -> str:
    """σ-convergence (figure) and β-convergence (table) from a result, a pair or a mapping of them."""
    lang = page.lang
    parts: list[Any]
    if isinstance(c, dict):
        parts = list(c.values())
    elif isinstance(c, (list, tuple)):
        parts = list(c)
    elif hasattr(c, "trend") or hasattr(c, "beta"):
        parts = [c]
    else:  # a bundle: its result-like attributes (sigma, beta_absolute, beta_conditional …), in order
        parts = [v for v in vars(c).values() if hasattr(v, "to_frame")] or [c]
    out = []
    for p in parts:
        if hasattr(p, "trend") and hasattr(p, "table") and "cv" in p.table.columns:
            out += [f"<h4>{esc(t('sigma', lang))}</h4>", para(T.sigma_text(p, lang)), page.plot(sigma_figure(p, lang))]
        else:
            out.append(generic_html(p, page))
    return "".join(out)


# =============================================================================================
# 4. high-quality development
# =============================================================================================
def coupling_map_figure(c: Any, lang: str, geojson: Any = None) -> go.Figure:
    """Map of the coupling coordination degree D with a year slider; hover shows the class."""
    from nqpf.viz.maps import choropleth_figure

    df = c.to_frame()
    units = list(dict.fromkeys(df["unit"]))
    lab = "level_zh" if lang == "zh" else "level_en"
    D = df.pivot(index="unit", columns="year", values="D").reindex(units)
    extra = df.pivot(index="unit", columns="year", values=lab).reindex(units)
    return choropleth_figure(D, lang=lang, title=t("coupling", lang), colorbar_title="D", colorscale="Cividis",
                             hover_extra=extra, geojson=geojson)


def coupling_class_table(c: Any, lang: str) -> str:
    """Counts of units per coordination class and year (classes present only)."""
    from nqpf.analysis.coupling import COORDINATION_LEVELS

    counts = c.level_counts()
    counts = counts.loc[:, counts.sum() > 0]
    names = {lv[0]: (lv[3] if lang == "zh" else lv[4]) for lv in COORDINATION_LEVELS}
    tb = counts.rename(columns=lambda k: f"{int(k)} {names.get(int(k), k)}").reset_index()
    return table_html(tb, {col: _int for col in tb.columns}, {"year": t("year", lang)}, lang=lang)


def obstacle_figure(o: Any, kind: str, year: int, lang: str) -> go.Figure:
    """Per unit the obstacle degree (%) split by group (policy levers by default), stacked to 100 %."""
    import plotly.graph_objects as go

    g = o.groups[kind]
    sub = g[g["year"] == int(year)].set_index("unit").drop(columns="year")
    sub = sub.loc[:, sub.sum() > 0]
    sub = sub.sort_values(sub.columns[0])
    fig = go.Figure()
    pal = list(OKABE_ITO[:7])
    for k, col in enumerate(sub.columns):
        name = o.framework.label(col, lang) if kind == "dimension" else tag_label(o.framework, kind, col, lang)
        fig.add_trace(go.Bar(y=[unit_name(u, lang) for u in sub.index], x=sub[col], orientation="h", name=name,
                             marker_color="#bbbbbb" if col in ("untagged", "other") else pal[k % len(pal)],
                             hovertemplate="%{y}: %{x:.1f}%<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="stack", height=max(420, 20 * len(sub) + 160),
                      xaxis={"title": f"{t('obstacle_pct', lang)}, {year}", "range": [0, 100]},
                      legend={"orientation": "h", "y": -0.08}, margin={"l": 90, "r": 20, "t": 20, "b": 60})
    return fig


def section_hqd(run: StudyRun, page: Page) -> str | None:
    """Coupling coordination map and classes; obstacle degrees by policy lever."""
    lang = page.lang
    a = run.analyses
    out = []
    if "coupling" in a:
        c = a["coupling"]
        out += [_h3("coupling", c, lang), para(T.coupling_text(c, lang))]
        df = c.to_frame()
        if "unit" in df.columns and "year" in df.columns and _province_run(run, list(dict.fromkeys(df["unit"]))):
            out.append(page.plot(coupling_map_figure(c, lang, page.outlines())))
        if "year" in df.columns:
            out += [f"<h4>{esc(t('coupling_classes', lang))}</h4>", coupling_class_table(c, lang)]
    if "obstacle" in a:
        o = a["obstacle"]
        years = sorted(set(int(y) for y in o.O.index.get_level_values(1)))
        year = years[-1]
        kinds = [k for k in ("lever", "factor", "dimension") if k in o.groups and k in ["dimension", *o.by]]
        kind = kinds[0] if kinds else "dimension"
        g = o.groups[kind]
        keys = [c for c in g.columns[2:]]
        labels = {k: (o.framework.label(k, lang) if kind == "dimension" else tag_label(o.framework, kind, k, lang))
                  for k in keys}
        out += [_h3("obstacle_levers" if kind == "lever" else "obstacle", o, lang),
                para(T.obstacle_text(o, kind, year, labels, lang)), page.plot(obstacle_figure(o, kind, year, lang))]
        top = o.top_table(year=year)
        name_col = "name_zh" if lang == "zh" else "name_en"
        top = top.assign(unit=top["unit"].map(lambda u: unit_name(u, lang)))[["unit", "rank", name_col, "obstacle"]]
        out += [f"<h4>{esc(t('main_obstacle', lang))} ({year})</h4>",
                table_html(top, {"rank": _int, "obstacle": _fmt(2)},
                           {"unit": t("unit", lang), "rank": t("rank", lang), name_col: t("indicator", lang),
                            "obstacle": t("obstacle_pct", lang)}, max_rows=400, lang=lang)]
    return "".join(out) if out else None


# =============================================================================================
# 5. robustness
# =============================================================================================
def caterpillar_figure(mc: Any, year: int, lang: str) -> go.Figure:
    """Monte Carlo rank intervals of one year: median rank and interval per unit, sorted (caterpillar plot)."""
    import plotly.graph_objects as go

    df = mc.to_frame()
    df = df[df["year"] == int(year)].sort_values(["median_rank", "point_rank"])
    names = [unit_name(u, lang) for u in df["unit"]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=df["median_rank"], y=names, mode="markers", name=t("median_rank", lang),
        marker={"color": OKABE_ITO[4], "size": 8},
        error_x={"type": "data", "symmetric": False, "array": df["rank_high"] - df["median_rank"],
                 "arrayminus": df["median_rank"] - df["rank_low"], "thickness": 1.5, "width": 0,
                 "color": OKABE_ITO[4]},
        customdata=np.column_stack([df["rank_low"], df["rank_high"], df["point_rank"]]),
        hovertemplate="%{y}: %{x:.0f} [%{customdata[0]:.0f}–%{customdata[1]:.0f}], "
                      + t("rank", lang) + " %{customdata[2]:.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=df["point_rank"], y=names, mode="markers", name=t("point_rank", lang),
                             marker={"symbol": "x", "color": OKABE_ITO[5], "size": 7}))
    fig.update_layout(height=max(420, 18 * len(df) + 120), xaxis={"title": t("rank_interval", lang)},
                      yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.08},
                      margin={"l": 100, "r": 20, "t": 20, "b": 60})
    return fig


def correlation_figure(corr: pd.DataFrame, lang: str) -> go.Figure:
    """Method × method correlation heat map."""
    import plotly.graph_objects as go

    z = corr.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(z=z, x=list(corr.columns), y=list(corr.index), colorscale="Cividis",
                               zmin=min(0.0, float(np.nanmin(z))), zmax=1, text=np.round(z, 3),
                               texttemplate="%{text:.2f}", colorbar={"title": {"text": t("correlation", lang)}}))
    n = len(corr)
    fig.update_layout(height=max(380, 34 * n + 160), yaxis={"autorange": "reversed"},
                      margin={"l": 160, "r": 20, "t": 20, "b": 140})
    return fig


def section_robustness(run: StudyRun, page: Page) -> str | None:
    """Rank intervals (caterpillar), method correlations, rank agreement of two indices."""
    lang = page.lang
    a = run.analyses
    out = []
    if "uncertainty" in a:
        u = a["uncertainty"]
        mc = getattr(u, "monte_carlo", u if hasattr(u, "median_rank") else None)
        ms = getattr(u, "methods", u if hasattr(u, "correlation") else None)
        if mc is None and ms is None:
            out.append(generic_html(u, page))
        if mc is not None:
            df = mc.to_frame()
            year = int(df["year"].max())
            last = df[df["year"] == year].rename(columns={"median_rank": "median", "rank_low": "lo", "rank_high": "hi"})
            out += [_h3("uncertainty", u, lang, f" ({year})"), para(T.rank_interval_text(last, lang)),
                    page.plot(caterpillar_figure(mc, year, lang))]
        if ms is not None:
            corr = ms.correlation
            out += [_h3("method_corr", u, lang), para(T.correlation_text(corr, lang)),
                    page.plot(correlation_figure(corr, lang))]
    if "compare" in a:
        out += [f"<h3>{esc(t('compare', lang))}</h3>", generic_html(a["compare"], page)]
    return "".join(out) if out else None


# =============================================================================================
# 6. other analyses
# =============================================================================================
def generic_html(res: Any, page: Page, max_rows: int = 50) -> str:
    """Any result object: its summary() as text and the head of its to_frame() as a table."""
    out = []
    if hasattr(res, "summary"):
        try:
            s = res.summary(lang=page.lang)
        except TypeError:
            s = res.summary()
        out.append(f'<pre class="summary">{esc(s)}</pre>')
    if hasattr(res, "to_frame"):
        df = res.to_frame()
        if isinstance(df, pd.DataFrame) and not df.empty:
            out.append(table_html(df, max_rows=max_rows, lang=page.lang))
    return "".join(out)


def section_other(run: StudyRun, page: Page) -> str | None:
    """Every analysis no other section shows, as its summary and table."""
    claimed = {n for names in CLAIMED.values() for n in names}
    rest = [n for n in run.analyses if n not in claimed]
    if not rest:
        return None
    return "".join(f"<h3>{esc(t(n, page.lang))}</h3>" + generic_html(run.analyses[n], page) for n in rest)


# =============================================================================================
# assembling
# =============================================================================================
@dataclass(frozen=True)
class Section:
    """One report section: anchor id, heading label key, and the function that renders it."""

    id: str
    label: str
    render: Callable[[StudyRun, Page], str | None]


SECTIONS: list[Section] = [
    Section("overview", "sec_overview", section_overview),
    Section("index", "sec_index", section_index),
    Section("disparity", "sec_disparity", section_disparity),
    Section("hqd", "sec_hqd", section_hqd),
    Section("robustness", "sec_robustness", section_robustness),
    Section("other", "sec_other", section_other),
]


@dataclass
class Report:
    """A rendered report: the HTML text, the sections shown, and notes (e.g. sections that failed)."""

    html: str
    sections: list[str]
    figures: int
    notes: list[str] = field(default_factory=list)


def render_report(run: StudyRun, lang: str = "en", *, strict: bool = True,
                  sections: Sequence[Section] | None = None) -> Report:
    """Render the report of a run.

    ``strict`` (default): an error in a section propagates. With ``strict=False`` a failing section is
    shown as a visible error box (never silently left out) and listed in ``Report.notes``.
    """
    import plotly.offline

    lang = check_lang(lang)
    page = Page(lang=lang)
    body = []
    toc = []
    shown = []
    for sec in sections if sections is not None else SECTIONS:
        try:
            inner = sec.render(run, page)
        except Exception as exc:
            if strict:
                raise
            msg = f"section '{sec.id}' failed: {type(exc).__name__}: {exc}"
            page.notes.append(msg)
            inner = (f'<div class="error"><b>{esc(msg)}</b><pre>{esc(traceback.format_exc(limit=4))}</pre></div>')
        if inner is None:
            continue
        shown.append(sec.id)
        toc.append(f'<a href="#{sec.id}">{esc(t(sec.label, lang))}</a>')
        body.append(f'<section id="{sec.id}"><h2>{esc(t(sec.label, lang))}</h2>\n{inner}</section>\n')
    title = run.spec.title or t("report_title", lang)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    plotly_js = plotly.offline.get_plotlyjs()
    doc = (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="nqpf">\n<title>{esc(title)}</title>\n<style>{CSS}</style>\n'
        f"<script>{plotly_js}</script>\n"
        f"<script>{_boot_js()}</script>\n</head>\n<body>\n"
        f'<header class="top"><h1>{esc(title)}</h1>'
        f"<p>{esc(t('report_title', lang) if run.spec.title else run.spec.name)} · {esc(run.source)} · "
        f"{esc(t('generated', lang))} {esc(created)}</p>"
        f"<p>{esc(run.spec.description)}</p><p class='note'>{esc(t('offline_note', lang))}</p></header>\n"
        f'<nav class="toc">{"".join(toc)}</nav>\n<main>\n{page.geo_scripts()}{"".join(body)}</main>\n'
        f"<script>{DONE_JS}</script>\n</body>\n</html>\n"
    )
    return Report(html=doc, sections=shown, figures=page.n_figures, notes=page.notes)


def write_report(run: StudyRun, path: str | Path, lang: str = "en", *, strict: bool = False) -> Report:
    """Write ``report.html`` (one self-contained file) and return the rendered Report."""
    rep = render_report(run, lang, strict=strict)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(rep.html, encoding="utf-8")
    return rep


__all__ = [
    "SECTIONS",
    "Page",
    "Report",
    "Section",
    "generic_html",
    "render_report",
    "section_disparity",
    "section_hqd",
    "section_index",
    "section_other",
    "section_overview",
    "section_robustness",
    "table_html",
    "write_report",
]
