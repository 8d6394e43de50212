"""A framework as two flat tables (指标体系表格) an analyst edits in a grid, and back.

The **indicators** table has one row per indicator (columns :data:`INDICATOR_COLUMNS`): ``dimension`` is the id
of the indicator's parent node, ``best`` is ``"low, high"`` for an interval indicator (else ``""``), the tags
``factor``/``new``/``lever`` are the indicator's resolved tags (its own, or inherited from its nodes). The
**dimensions** table has one row per inner node except the target (columns :data:`DIMENSION_COLUMNS`), in tree
order; ``parent`` is ``""`` for a first-level dimension (directly under the target).

:func:`framework_from_tables` rebuilds the tree and collects *every* problem as a :class:`RowIssue` (the grid
row, 0-based, and the column) raised together in a :class:`FrameworkTableError`; each message says what to
write instead. Definitions are parsed with the safe expression language :mod:`nqpf.core.expr`, never evaluated.
:func:`dump_framework` writes the YAML file that :func:`nqpf.frameworks.schema.parse_framework_text` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from nqpf.core.errors import FrameworkError
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import FrameworkSpec

__all__ = [
    "DIMENSION_COLUMNS", "INDICATOR_COLUMNS", "FrameworkTableError", "RowIssue", "dump_framework",
    "framework_from_panel", "framework_from_tables", "framework_tables",
]

#: The columns of the indicators table, in order.
INDICATOR_COLUMNS = ("id", "name_zh", "name_en", "unit", "dimension", "direction", "best", "definition", "domain",
                     "factor", "new", "lever")
#: The columns of the dimensions table, in order.
DIMENSION_COLUMNS = ("id", "name_zh", "name_en", "parent")


@dataclass(frozen=True)
class RowIssue:
    """One problem (or note) about a cell of the indicators or dimensions table.

    ``row`` is the 0-based row of the grid (None: the table as a whole, e.g. an empty table); ``column`` the
    column concerned (None: the whole row); ``message`` says what is wrong and what to write instead.
    """

    table: Literal["indicators", "dimensions"]
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table if self.row is None else f"{self.table} row {self.row}"
        return f"{where}{f', column {self.column}' if self.column else ''}: {self.message}"


class FrameworkTableError(FrameworkError):
    """The framework tables have problems; ``.issues`` lists every one (a :class:`RowIssue` each)."""

    def __init__(self, issues: list[RowIssue]) -> None:
        self.issues = list(issues)
        super().__init__("the framework tables have problems:\n  " + "\n  ".join(map(str, self.issues)))


def framework_tables(spec: FrameworkSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator system as two flat tables: indicators and dimensions.

    Parameters
    ----------
    spec : FrameworkSpec
        The framework (``load_framework(name).spec``).

    Returns
    -------
    indicators : DataFrame
        One row per indicator in tree order, columns :data:`INDICATOR_COLUMNS` (all text; empty cells ``""``).
    dimensions : DataFrame
        One row per inner node except the target in tree order, columns :data:`DIMENSION_COLUMNS`.

    Examples
    --------
    >>> from nqpf.core.framework import load_framework
    >>> ind, dim = framework_tables(load_framework("hqd-province-2022").spec)
    >>> len(ind), list(dim["id"])
    (10, ['innovation', 'coordination', 'green', 'sharing'])
    >>> ind.loc[0, ["id", "dimension", "direction"]].tolist()
    ['rd_intensity', 'innovation', 'positive']
    """
    raise NotImplementedError


def framework_from_tables(
    indicators: pd.DataFrame,
    dimensions: pd.DataFrame,
    *,
    name: str,
    title_zh: str,
    title_en: str,
    unit_kind: str = "unit",
    target_zh: str | None = None,
    target_en: str | None = None,
    target_id: str | None = None,
    base: FrameworkSpec | None = None,
) -> tuple[FrameworkSpec, list[RowIssue]]:
    """Rebuild a framework from its two tables, checking every row.

    Parameters
    ----------
    indicators, dimensions : DataFrame
        The tables of :func:`framework_tables` (as edited in a grid; missing optional columns are empty).
    name : str
        The framework's name (``my-nqpf``).
    title_zh, title_en : str
        Its title in Chinese and English.
    unit_kind : str
        The kind of units it measures (province, city, county, firm, country, unit).
    target_zh, target_en : str, optional
        The names of the target (the root of the tree); default the base's target names, else the titles.
    target_id : str, optional
        The id of the target; default the base's target id, else ``"target"``.
    base : FrameworkSpec, optional
        The framework the tables were made from: its description, dataset, references, vocabulary, sample and
        CSMAR fields are kept, and of each node and indicator whose id is still there its tags, rationale and
        source (and a node's AHP matrix when its children are unchanged).

    Returns
    -------
    spec : FrameworkSpec
        The framework; it passes the same checks as a YAML file.
    notes : list of RowIssue
        What was done without being an error: blank rows ignored, a missing name copied from the other
        language, an AHP matrix dropped because the node's children changed.

    Raises
    ------
    FrameworkTableError
        Listing every problem (bad or duplicate id, unknown dimension, bad direction, interval without best,
        empty required cell, a definition outside the expression language, a dimension with no indicator, a
        parent cycle), each with its table, row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> ind = pd.DataFrame({"id": ["rd", "patents", ""], "name_zh": ["研发强度", "专利", ""],
    ...                     "name_en": ["R&D intensity", "Patents", ""], "dimension": ["tech", "tech", ""],
    ...                     "definition": ["rd_expenditure / gdp * 100", "", ""]})
    >>> dim = pd.DataFrame({"id": ["tech"], "name_zh": ["科技"], "name_en": ["Technology"], "parent": [""]})
    >>> spec, notes = framework_from_tables(ind, dim, name="mine", title_zh="我的", title_en="Mine")
    >>> spec.target.children[0].child_ids()
    ['rd', 'patents']
    >>> [str(n) for n in notes]
    ['indicators row 2: blank row ignored']
    """
    raise NotImplementedError


def framework_from_panel(panel: Panel, *, name: str, title_zh: str, title_en: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Starter tables for a panel: one indicator row per indicator column, all in one dimension ``d1``.

    A column whose name is an identifier the expression language can name (``gdp``, ``数字普惠金融指数``) gets
    an id equal to the column when it is a valid id (ASCII letters, digits, ``_``), else ``x1``, ``x2`` … with
    ``definition`` the column name. Names come from the panel's metadata (``chinese_name``, ``unit``) when it
    has them, else the column. Direction is positive everywhere: edit the rows that are not.

    Parameters
    ----------
    panel : Panel
        The data.
    name, title_zh, title_en : str
        The framework's name and titles (kept for the caller's form; the tables do not hold them).

    Returns
    -------
    indicators, dimensions : DataFrame
        As :func:`framework_tables` returns them.

    Examples
    --------
    >>> from nqpf.datasets import load_dataset
    >>> ind, dim = framework_from_panel(load_dataset("china-cities"), name="dfi", title_zh="数字金融",
    ...                                 title_en="Digital finance")
    >>> ind.loc[0, ["id", "name_zh", "dimension", "direction"]].tolist()
    ['index_aggregate', '数字普惠金融总指数', 'd1', 'positive']
    >>> dim.to_dict("records")
    [{'id': 'd1', 'name_zh': '维度1', 'name_en': 'Dimension 1', 'parent': ''}]
    """
    raise NotImplementedError


def dump_framework(spec: FrameworkSpec) -> str:
    """The framework as YAML (fields equal to their defaults left out, Chinese as is).

    :func:`nqpf.frameworks.schema.parse_framework_text` reads the text back to an equal spec.

    Examples
    --------
    >>> from nqpf.core.framework import load_framework
    >>> from nqpf.frameworks.schema import parse_framework_text
    >>> spec = load_framework("nqpf-province-2023").spec
    >>> parse_framework_text(dump_framework(spec)) == spec
    True
    """
    raise NotImplementedError
