"""The interface every result shares (结果接口): IndexResult, every analysis result and every model.

- ``to_frame()`` — the main table (a pandas DataFrame);
- ``summary(lang="en")`` — a few lines of text in Chinese (``"zh"``) or English (``"en"``), behind
  ``__str__`` and, with the table, ``_repr_html_`` for notebooks;
- ``plot(ax=None, lang="en")`` — a static matplotlib figure where a picture helps (returns the Figure;
  draws into ``ax`` when given);
- ``figures(lang)`` — the interactive (plotly) figures the report embeds;
- ``tables()`` — every table, by suffix, for CSV and Excel (``""`` = the main table);
- ``report(ctx)`` — the report blocks (:mod:`nqpf.core.blocks`): by default the narrative, the figures
  and the main table.

A subclass implements ``to_frame`` and ``_summary_lines(lang)`` and overrides the rest where it has
something better to show. The signatures are the same everywhere, so callers never need to know which
result they hold.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import MethodError
from nqpf.core.i18n import check_lang

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["ReportContext", "Result"]


@dataclass(frozen=True)
class ReportContext:
    """What a result needs to know to render itself in a report.

    ``lang``: "zh" or "en"; ``unit_kind``: the panel's kind of unit (province, city, firm, country, other)
    or None; ``large``: more units than per-unit charts can show (views switch to distributions and
    top/bottom lists).
    """

    lang: str = "en"
    unit_kind: str | None = None
    large: bool = False


class Result:
    """Base class of every result: one call shape for tables, text, figures and the report."""

    #: (zh, en) name of this kind of result, e.g. ("Dagum 基尼系数分解", "Dagum Gini decomposition").
    label: ClassVar[tuple[str, str]] = ("结果", "Result")

    # -- tables --------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The main table."""
        raise NotImplementedError(f"{type(self).__name__}.to_frame")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result by suffix (``""`` is the main table), for CSV and Excel."""
        return {"": self.to_frame()}

    # -- text ----------------------------------------------------------------------------------
    def _summary_lines(self, lang: str) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__}._summary_lines")

    def summary(self, lang: str = "en") -> str:
        """A few lines of text in ``lang`` ("zh" or "en")."""
        return "\n".join(self._summary_lines(check_lang(lang)))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = f"<pre>{html.escape(self.summary())}</pre>"
        try:
            df = self.to_frame()
        except NotImplementedError:
            return head
        return head + df.head(20).to_html(max_cols=20)

    # -- figures -------------------------------------------------------------------------------
    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """A static matplotlib figure of the result (into ``ax`` when given); returns the Figure."""
        raise MethodError(f"{type(self).__name__} has no static figure; use .to_frame() or .summary()")

    def figures(self, lang: str = "en") -> list[Any]:
        """The interactive (plotly) figures the report embeds; none by default."""
        return []

    # -- report --------------------------------------------------------------------------------
    def narrative(self, lang: str = "en") -> list[str]:
        """Generated sentences for the report (defaults to the summary's lines)."""
        return self._summary_lines(check_lang(lang))

    def report(self, ctx: ReportContext) -> list[Block]:
        """Report blocks: the narrative, the interactive figures and the main table."""
        blocks: list[Block] = [Text(tuple(self.narrative(ctx.lang)))]
        blocks += [Figure(f) for f in self.figures(ctx.lang)]
        df = self.to_frame()
        if isinstance(df, pd.DataFrame) and not df.empty:
            blocks.append(Table(df, max_rows=50))
        return blocks
