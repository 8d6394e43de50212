"""Report blocks to HTML (内容块渲染): the one place that turns a result's :meth:`report` blocks into the page.

A result says what it shows as :mod:`nqpf.core.blocks` (Heading, Text, Figure, Table, Preformatted); this
module writes them: a heading as ``<h4>`` (or the level given), a Text as one paragraph, a Figure through
:meth:`Page.plot <nqpf.report.page.Page.plot>` (geojson embedded once), a Table with its named formats, and
Preformatted text as ``<pre>``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nqpf.core.blocks import Block, Figure, Heading, Preformatted, Table, Text
from nqpf.report.page import Page, esc, para, table_html

__all__ = ["render_block", "render_blocks"]


def render_block(block: Block, page: Page) -> str:
    """One block as HTML."""
    if isinstance(block, Heading):
        level = min(6, max(3, int(block.level)))
        return f"<h{level}>{esc(block.text)}</h{level}>\n"
    if isinstance(block, Text):
        return para(block.sentences)
    if isinstance(block, Figure):
        return page.plot(block.figure, block.height)
    if isinstance(block, Table):
        df = block.frame
        if not isinstance(df, pd.DataFrame):
            df = pd.DataFrame(df)
        return table_html(df, dict(block.formats), dict(block.headers), max_rows=block.max_rows, lang=page.lang)
    if isinstance(block, Preformatted):
        return f'<pre class="summary">{esc(block.text)}</pre>\n'
    raise TypeError(f"not a report block: {type(block).__name__}; use the blocks of nqpf.core.blocks")


def render_blocks(blocks: Iterable[Block], page: Page) -> str:
    """Blocks as HTML, in order."""
    return "".join(render_block(b, page) for b in blocks)
