"""Report blocks (报告内容块): what a result contributes to the report, as plain data.

A result's :meth:`~nqpf.core.interface.Result.report` returns a list of blocks; the report layer turns
them into HTML (and could turn them into anything else). Results never write HTML themselves, so the
analyses do not depend on the report.

Table formats are named, not functions: ``"4f"`` (4 decimals; any ``"<n>f"``), ``"int"``, ``"signed"``
(``+3`` / ``-2``), ``"pct"`` (a share shown as a percentage, 1 decimal), ``"text"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Block", "Figure", "Heading", "Preformatted", "Table", "Text"]


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside an analysis (level 4 = below the analysis heading)."""

    text: str
    level: int = 4


@dataclass(frozen=True)
class Text:
    """A paragraph of generated sentences (numbers already formatted)."""

    sentences: tuple[str, ...]

    @classmethod
    def of(cls, *sentences: str) -> Text:
        """A paragraph from sentences (empty ones are skipped)."""
        return cls(tuple(s for s in sentences if s))


@dataclass(frozen=True)
class Figure:
    """An interactive figure (a plotly ``go.Figure``); ``height`` in px overrides the figure's own."""

    figure: Any
    height: int | None = None


@dataclass(frozen=True)
class Table:
    """A table: ``formats`` maps a column to a named format, ``headers`` a column to its label."""

    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    max_rows: int = 200


@dataclass(frozen=True)
class Preformatted:
    """Fixed-width text (a model summary, a console table)."""

    text: str


Block = Heading | Text | Figure | Table | Preformatted
