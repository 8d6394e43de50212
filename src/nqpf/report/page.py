"""The page of report.html (报告页面): figures with shared geojson, HTML helpers and the document skeleton.

The page is one offline file: plotly's JavaScript is embedded once in a ``<script>`` tag, each figure is a
``<div>`` drawn by a small inline script (no CDN, no web fonts, no MathJax, no network request), and the
outlines shared by the maps are embedded once. The style and the drawing script are the package files
``report/assets/report.css`` and ``report/assets/report.js``, inlined into the page. The page records when the
figures of the first screen are drawn in ``window.NQPF_READY_MS``; ``NQPF.drawAll()`` draws the rest.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import t
from nqpf.core.paths import asset_path
from nqpf.viz.maps import plotly_outlines

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["FONT_STACK", "PLOT_CONFIG", "Page", "asset", "document", "esc", "para", "table_html"]

#: System font stack (no web fonts): Latin first, then common Chinese system fonts.
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans CJK SC", '
              '"Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
              '"WenQuanYi Micro Hei", sans-serif')
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
#: The base-map topology plotly would fetch for a geo subplot, empty (the maps draw embedded outlines only).
EMPTY_TOPOLOGY = {"type": "Topology", "arcs": [], "objects": {
    k: {"type": "GeometryCollection", "geometries": []}
    for k in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")}}
MAX_TABLE_ROWS = 200


@cache
def asset(filename: str) -> str:
    """The text of a report asset (``report.css``, ``report.js``)."""
    return asset_path(filename).read_text(encoding="utf-8")


def esc(s: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(s), quote=True)


def para(sentences: Sequence[str]) -> str:
    """Generated sentences as one paragraph (nothing for no sentences)."""
    sentences = [s for s in sentences if s]
    if not sentences:
        return ""
    sep = "" if all(s.endswith(("。", ")", ";")) for s in sentences[:-1]) else " "
    return f'<p class="gen">{esc(sep.join(sentences))}</p>\n'


# =============================================================================================
# tables
# =============================================================================================
def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, (float, np.floating)) and not np.isfinite(v)) or bool(pd.isna(v) is True)
    except (TypeError, ValueError):
        return False


def format_cell(v: Any, fmt: str | None, numeric: bool) -> str:
    """One table cell as text with a named format: ``"<n>f"``, ``"int"``, ``"signed"``, ``"pct"``, ``"text"``.

    Without a format, floats of numeric columns get 4 decimals and everything else ``str``; missing
    values are empty.

    Examples
    --------
    >>> format_cell(0.123456, "2f", True), format_cell(3.0, "int", True), format_cell(2, "signed", True)
    ('0.12', '3', '+2')
    >>> format_cell(0.1234, "pct", True), format_cell(0.5, None, True), format_cell(float("nan"), "2f", True)
    ('12.3%', '0.5000', '')
    """
    if _missing(v):
        return ""
    try:
        if fmt is None:
            return f"{v:.4f}" if numeric and isinstance(v, (float, np.floating)) else str(v)
        if fmt == "text":
            return str(v)
        if fmt == "int":
            return f"{int(v)}"
        if fmt == "signed":
            return f"{int(v):+d}"
        if fmt == "pct":
            return f"{100 * float(v):.1f}%"
        if fmt.endswith("f") and fmt[:-1].isdigit():
            return f"{float(v):.{int(fmt[:-1])}f}"
    except (TypeError, ValueError):
        return str(v)
    raise ValueError(f"unknown table format {fmt!r}; use '<n>f' (e.g. '4f'), 'int', 'signed', 'pct' or 'text'")


def table_html(df: pd.DataFrame, formats: dict[str, str] | None = None, headers: dict[str, str] | None = None,
               max_rows: int = MAX_TABLE_ROWS, lang: str = "en") -> str:
    """A DataFrame as an HTML table (numbers right-aligned; at most ``max_rows`` rows, with a note).

    ``formats`` maps a column to a named format (:func:`format_cell`), ``headers`` a column to its label.
    """
    formats = formats or {}
    headers = headers or {}
    shown = df.head(max_rows)
    cols = list(shown.columns)
    numeric = {c for c in cols if formats.get(c) != "text" and pd.api.types.is_numeric_dtype(shown[c])
               and not pd.api.types.is_bool_dtype(shown[c])}
    cls = {c: "" if c in numeric else "txt" for c in cols}
    head = "".join(f'<th class="{cls[c]}">{esc(headers.get(c, c))}</th>' for c in cols)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = "".join(f'<td class="{cls[c]}">{esc(format_cell(v, formats.get(c), c in numeric))}</td>'
                        for c, v in zip(cols, rec, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{esc(t("cells_shown", lang, n=max_rows))}</p>' if len(df) > max_rows else ""
    return (f'<div class="tablewrap"><table class="tbl"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + f"</tbody></table></div>{note}\n")


# =============================================================================================
# the page: figures and shared geojson
# =============================================================================================
@dataclass
class Page:
    """Collects figures and shared data while the chapters are rendered."""

    lang: str = "en"
    n_figures: int = 0
    geo: dict[str, str] = field(default_factory=dict)  # key -> JSON text
    notes: list[str] = field(default_factory=list)

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
        key = "geo-provinces"
        if key not in self.geo:
            self.geo[key] = json.dumps(plotly_outlines(), ensure_ascii=False, separators=(",", ":")).replace(
                "</", "<\\/")
        return key

    def _geo_key(self, geojson: dict[str, Any]) -> str:
        text = json.dumps(geojson, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if digest == _outlines_digest():  # a figure that embedded the province outlines itself
            return self.outlines()
        key = "geo-" + digest[:12]
        self.geo.setdefault(key, text.replace("</", "<\\/"))
        return key

    def geo_scripts(self) -> str:
        """The embedded outlines, one script per distinct geojson (placed before the figures)."""
        return "".join(f'<script>NQPF.geo["{k}"] = {v};</script>\n' for k, v in self.geo.items())


@cache
def _outlines_digest() -> str:
    text = json.dumps(plotly_outlines(), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# =============================================================================================
# the document
# =============================================================================================
def document(*, title: str, lang: str, header: Sequence[str], toc: Sequence[tuple[str, str]], body: str,
             page: Page) -> str:
    """The whole page: head (style, plotly.js, the drawing script), header, contents, chapters.

    ``header``: lines under the title (escaped here); ``toc``: (anchor, heading) of each chapter; ``body``:
    the chapters' HTML.
    """
    import plotly.offline

    boot = json.dumps({"config": PLOT_CONFIG, "topo": EMPTY_TOPOLOGY}, separators=(",", ":"))
    css = f":root {{ --font: {FONT_STACK}; }}\n" + asset("report.css")
    lines = "".join(f"<p>{esc(h)}</p>" for h in header[:-1]) + (f"<p class='note'>{esc(header[-1])}</p>"
                                                                  if header else "")
    nav = "".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h in toc)
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="nqpf">\n<title>{esc(title)}</title>\n<style>{css}</style>\n'
        f"<script>{plotly.offline.get_plotlyjs()}</script>\n"
        f"<script>window.NQPF_BOOT = {boot};</script>\n<script>{asset('report.js')}</script>\n</head>\n<body>\n"
        f'<header class="top"><h1>{esc(title)}</h1>{lines}</header>\n'
        f'<nav class="toc">{nav}</nav>\n<main>\n{page.geo_scripts()}{body}</main>\n'
        f"<script>NQPF.start();</script>\n</body>\n</html>\n"
    )
