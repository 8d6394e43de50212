"""A framework as two flat tables (指标体系表格) an analyst edits in a grid, and back.

The **indicators** table has one row per indicator (columns :data:`INDICATOR_COLUMNS`): ``dimension`` is the id
of the indicator's parent node (empty in a system without dimensions, whose indicators sit under the target),
``best`` is ``"low, high"`` for an interval indicator (else ``""``), the tags ``factor``/``new``/``lever`` are
the indicator's resolved tags (its own, or inherited from its nodes). The
**dimensions** table has one row per inner node except the target (columns :data:`DIMENSION_COLUMNS`), in tree
order; ``parent`` is ``""`` for a first-level dimension (directly under the target).

:func:`framework_from_tables` rebuilds the tree and collects *every* problem as a :class:`RowIssue` (the grid
row, 0-based, and the column) raised together in a :class:`FrameworkTableError`; each message says what to
write instead. Definitions are parsed with the safe expression language :mod:`nqpf.core.expr`, never evaluated.
:func:`dump_framework` writes the YAML file that :func:`nqpf.frameworks.schema.parse_framework_text` reads back.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import yaml

from nqpf.core import expr
from nqpf.core.errors import ExpressionError, FrameworkError, near_matches
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import DEFAULT_VOCABULARY, TAG_KINDS, FrameworkSpec, Node, parse_framework_text

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
    ['tech_absorption_to_gdp', 'innovation', 'positive']
    """
    ind_rows: list[dict[str, str]] = []
    dim_rows: list[dict[str, str]] = []
    for node, parent, inherited in _nodes(spec.target, None, _NO_TAGS):
        if parent is not None:
            dim_rows.append({"id": node.id, "name_zh": node.name_zh, "name_en": node.name_en,
                             "parent": "" if parent == spec.target.id else parent})
        tags = _resolved(node.tags.model_dump(), inherited)
        for ind in node.indicators or []:
            own = _resolved(ind.tags.model_dump(), tags)
            ind_rows.append({
                "id": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit,
                "dimension": "" if node is spec.target else node.id, "direction": ind.direction,
                "best": ", ".join(_number(b) for b in ind.best) if ind.best is not None else "",
                "definition": ind.definition or "", "domain": ind.domain,
                **{k: own[k] or "" for k in TAG_KINDS},
            })
    return (pd.DataFrame(ind_rows, columns=list(INDICATOR_COLUMNS)),
            pd.DataFrame(dim_rows, columns=list(DIMENSION_COLUMNS)))


def framework_from_tables(
    indicators: pd.DataFrame,
    dimensions: pd.DataFrame,
    *,
    name: str,
    title_zh: str,
    title_en: str,
    unit_kind: str | None = None,
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
    unit_kind : str, optional
        The kind of units it measures (province, city, county, firm, country, unit); default the base's, else
        ``"unit"``.
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
    if not str(name).strip():
        raise FrameworkError("the framework needs a name (e.g. 'my-nqpf'): it names the YAML file")
    reader = _TableReader(indicators, dimensions, target_id or (base.target.id if base else "target"), base)
    data = reader.build(
        name=name, title_zh=title_zh, title_en=title_en,
        unit_kind=unit_kind or (base.unit_kind if base is not None else "unit"),
        target_zh=target_zh or (base.target.name_zh if base is not None else title_zh),
        target_en=target_en or (base.target.name_en if base is not None else title_en),
    )
    try:
        spec = parse_framework_text(_yaml_text(data), source=f"framework '{name}'")
    except FrameworkError as exc:
        raise FrameworkTableError(reader.schema_issues(str(exc))) from None
    return spec, reader.notes


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
    del name, title_zh, title_en  # the caller's form holds them; the tables do not
    meta: dict[str, dict[str, str]] = {}
    if panel.metadata is not None and "name" in panel.metadata.columns:
        for rec in panel.metadata.to_dict("records"):
            meta[str(rec["name"])] = {k: _text(rec.get(k)) for k in ("chinese_name", "unit")}
    taken = {c for c in panel.indicators if _ID_RE.match(c)}
    rows = []
    for col in panel.indicators:
        m = meta.get(col, {})
        if _ID_RE.match(col) and _nameable(col):
            id_, definition = col, ""
        else:
            id_ = _suggest("", taken, "x1")
            definition = col
        rows.append({"id": id_, "name_zh": m.get("chinese_name") or col, "name_en": col, "unit": m.get("unit", ""),
                     "dimension": "d1", "direction": "positive", "best": "", "definition": definition,
                     "domain": "any", "factor": "", "new": "", "lever": ""})
    dims = [{"id": "d1", "name_zh": "维度1", "name_en": "Dimension 1", "parent": ""}]
    return (pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS)),
            pd.DataFrame(dims, columns=list(DIMENSION_COLUMNS)))


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
    return _yaml_text(spec.model_dump(mode="json", exclude_defaults=True))


# ----------------------------------------------------------------------------------------------
# helpers

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NO_TAGS: dict[str, str | None] = dict.fromkeys(TAG_KINDS)
_DIRECTIONS = {
    "positive": "positive", "+": "positive", "正": "positive", "正向": "positive",
    "negative": "negative", "-": "negative", "负": "negative", "负向": "negative", "逆向": "negative",
    "interval": "interval", "适度": "interval", "区间": "interval",
}
_DOMAINS = ("any", "nonnegative", "positive")


class _Dumper(yaml.SafeDumper):
    """The safe dumper writing lists of scalars and small mappings (tags) on one line, without aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(x, (int, float)) or (isinstance(x, str) and len(x) <= 40) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _flow_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = 0 < len(data) <= 3 and set(data) <= set(TAG_KINDS)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _flow_list)
_Dumper.add_representer(dict, _flow_dict)


def _node_order(data: Any) -> Any:
    """Nodes with their children or indicators last (after tags, AHP and rationale), as the bundled files."""
    if isinstance(data, dict):
        out = {k: _node_order(v) for k, v in data.items() if k not in ("children", "indicators")}
        out.update({k: _node_order(data[k]) for k in ("children", "indicators") if k in data})
        return out
    if isinstance(data, list):
        return [_node_order(x) for x in data]
    return data


def _yaml_text(data: dict[str, Any]) -> str:
    """A framework's plain data as YAML text (Chinese as is, keys in the schema's order)."""
    head = f"# {data.get('name', 'framework')}: an nqpf indicator system (docs/frameworks.md)\n"
    return head + yaml.dump(_node_order(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


def _number(x: float) -> str:
    """A number as short text that reads back to the same float (20.0 → ``20``)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _resolved(own: dict[str, str | None], inherited: dict[str, str | None]) -> dict[str, str | None]:
    return {k: own.get(k) or inherited.get(k) for k in TAG_KINDS}


def _nodes(node: Node, parent: str | None, inherited: dict[str, str | None],
           ) -> Iterator[tuple[Node, str | None, dict[str, str | None]]]:
    """Every inner node in pre-order with its parent's id and the tags it inherits."""
    yield node, parent, inherited
    tags = _resolved(node.tags.model_dump(), inherited)
    for child in node.children or []:
        yield from _nodes(child, node.id, tags)


def _text(value: Any) -> str:
    """A grid cell as stripped text ("" for an empty cell, ``20`` for 20.0)."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return _number(value)
    return str(value).strip()


def _nameable(column: str) -> bool:
    """Whether the expression language reads a data column of this name when the name is written alone."""
    try:
        body = expr.parse(column).body
    except ExpressionError:
        return False
    return isinstance(body, ast.Name) and body.id == column


def _suggest(text: str, taken: set[str], fallback: str) -> str:
    """A valid id close to ``text`` that is not in ``taken`` (which it joins): ``GDP growth`` → ``GDP_growth``."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not stem:
        stem = fallback
    if stem[0].isdigit():
        stem = "x" + stem
    cand, k = stem, 2
    if stem == fallback and re.fullmatch(r"[a-z]+\d+", stem):  # x1, x2 …: count up
        head, k = re.fullmatch(r"([a-z]+)(\d+)", stem).groups()  # type: ignore[union-attr]
        k = int(k)
        while cand in taken:
            k += 1
            cand = f"{head}{k}"
    while cand in taken:
        cand, k = f"{stem}_{k}", k + 1
    taken.add(cand)
    return cand


def _listing(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … ({len(items)} in all)" if len(items) > limit else "")


class _TableReader:
    """Reads the two tables, collects every problem as a RowIssue, and builds the framework's plain data."""

    def __init__(self, indicators: pd.DataFrame | None, dimensions: pd.DataFrame | None, target_id: str,
                 base: FrameworkSpec | None) -> None:
        self.issues: list[RowIssue] = []
        self.notes: list[RowIssue] = []
        self.tid = target_id
        self.base = base
        self.unread: set[str] = set()  # tables that could not be read (no id column)
        self.base_nodes = {n.id: n for n, _, _ in _nodes(base.target, None, _NO_TAGS)} if base else {}
        self.base_inds = {i.id: i for n in self.base_nodes.values() for i in n.indicators or []}
        self.vocab = {k: {key: dict(v) for key, v in entries.items()} for k, entries in DEFAULT_VOCABULARY.items()}
        for kind, entries in (base.vocabulary if base else {}).items():
            for key, label in entries.items():
                self.vocab.setdefault(kind, {})[key] = {"zh": label.zh, "en": label.en}
        self.dims = self._rows(dimensions, "dimensions", DIMENSION_COLUMNS)
        self.inds = self._rows(indicators, "indicators", INDICATOR_COLUMNS)
        self.taken = {c["id"] for _, c in self.dims + self.inds} | {target_id}
        self.locs: dict[str, tuple[str, int | None]] = {}
        self._check()

    # -- reading -------------------------------------------------------------------------------
    def issue(self, table: str, row: int | None, column: str | None, message: str) -> None:
        self.issues.append(RowIssue(table, row, column, message))  # type: ignore[arg-type]

    def note(self, table: str, row: int | None, column: str | None, message: str) -> None:
        self.notes.append(RowIssue(table, row, column, message))  # type: ignore[arg-type]

    def _rows(self, frame: pd.DataFrame | None, table: str, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
        if frame is None or frame.shape[1] == 0:
            return []
        names = [str(c).strip().lower() for c in frame.columns]
        for c in dict.fromkeys(names):
            if c not in columns:
                self.note(table, None, c, f"column '{c}' is not a column of the {table} table and was ignored "
                                          f"(columns: {', '.join(columns)})")
        if "id" not in names and len(frame):
            self.unread.add(table)
            self.issue(table, None, "id", f"the {table} table has no column 'id'; add it (columns: "
                                          f"{', '.join(columns)})")
            return []
        out = []
        for i, values in enumerate(frame.itertuples(index=False, name=None)):
            cells = dict.fromkeys(columns, "")
            for c, v in zip(names, values, strict=True):
                if c in cells and not cells[c]:
                    cells[c] = _text(v)
            if not any(cells.values()):
                self.note(table, i, None, "blank row ignored")
                continue
            out.append((i, cells))
        return out

    # -- checks --------------------------------------------------------------------------------
    def _check(self) -> None:
        seen: dict[str, str] = {}
        for table, rows, fallback in (("dimensions", self.dims, "d"), ("indicators", self.inds, "x")):
            for row, cells in rows:
                self._check_id(table, row, cells, seen, f"{fallback}{row + 1}")
                self._check_names(table, row, cells)
        self.dim_by_id: dict[str, tuple[int, dict]] = {}
        for row, cells in self.dims:
            if cells["id"]:
                self.dim_by_id.setdefault(cells["id"], (row, cells))
        self._check_parents()
        self.kids: dict[str, list[str]] = {}
        for _row, cells in self.dims:
            if cells["id"] in self.dim_by_id and self.dim_by_id[cells["id"]][1] is cells:
                self.kids.setdefault(cells["_parent"], []).append(cells["id"])
        leaves = [d for d in self.dim_by_id if d not in self.kids]
        used: set[str] = set()
        for row, cells in self.inds:
            cells["_dimension"] = self._check_dimension(row, cells, leaves)
            used.add(cells["_dimension"])
            self._check_direction(row, cells)
            self._check_definition(row, cells)
            self._check_choices(row, cells)
        unresolved = any(i.column == "dimension" for i in self.issues)  # fixing those may fill a dimension
        for d in leaves:
            row, _ = self.dim_by_id[d]
            if d not in used and not unresolved:
                self.issue("dimensions", row, "id", f"dimension '{d}' has no indicator; write '{d}' in the dimension "
                                                    "column of its indicators, or delete this row")
        if not self.inds and not any(i.table == "indicators" and i.row is None for i in self.issues):
            self.issue("indicators", None, None, "the framework has no indicator; add one row per indicator")
        if self.issues:
            order = {"indicators": 0, "dimensions": 1}
            raise FrameworkTableError(sorted(self.issues, key=lambda i: (order[i.table], -1 if i.row is None
                                                                         else i.row)))

    def _check_id(self, table: str, row: int, cells: dict, seen: dict[str, str], fallback: str) -> None:
        v = cells["id"]
        hint = "an id starts with a letter or _ and holds only ASCII letters, digits and _"
        if not v:
            s = _suggest(cells.get("name_en", "").lower(), self.taken, fallback)
            self.issue(table, row, "id", f"the id is empty; write an id ({hint}), e.g. '{s}'")
        elif not _ID_RE.match(v):
            s = _suggest(v, self.taken, fallback)
            self.issue(table, row, "id", f"id '{v}' is not valid: {hint}; write e.g. '{s}'")
        elif v == self.tid:
            self.issue(table, row, "id", f"id '{v}' is the id of the target (the root of the tree); write another id, "
                                         f"e.g. '{_suggest(v, self.taken, fallback)}'")
        elif v in seen:
            self.issue(table, row, "id", f"id '{v}' is already used in {seen[v]}; give this row another id, e.g. "
                                         f"'{_suggest(v, self.taken, fallback)}'")
        else:
            seen[v] = f"{table} row {row}"

    def _check_names(self, table: str, row: int, cells: dict) -> None:
        zh, en = cells["name_zh"], cells["name_en"]
        if not zh and not en:
            self.issue(table, row, "name_zh", "no name; write the name in name_zh (Chinese) or name_en (English), "
                                              "or both")
        elif not zh or not en:
            missing, other = ("name_zh", en) if not zh else ("name_en", zh)
            cells[missing] = other
            self.note(table, row, missing, f"{missing} was empty: '{other}' is used in both languages")

    def _check_parents(self) -> None:
        ids = list(self.dim_by_id)
        for row, cells in self.dims:
            p = cells["parent"]
            cells["_parent"] = "" if p in ("", self.tid) else p
            if p and p != self.tid and p not in self.dim_by_id:
                self.issue("dimensions", row, "parent",
                           f"unknown parent '{p}'{self._by_name(p)}{near_matches(p, ids)}; write the id of a dimension "
                           f"({_listing(ids)}) or leave it empty for a first-level dimension")
                cells["_parent"] = ""
        for d, (row, cells) in self.dim_by_id.items():
            chain, p = [d], cells["_parent"]
            while p and p in self.dim_by_id and p not in chain:
                chain.append(p)
                p = self.dim_by_id[p][1]["_parent"]
            if p == d:
                cycle = " → ".join([*chain, d])
                self.issue("dimensions", row, "parent",
                           f"parent cycle: {cycle} (each is the child of the next); set this row's parent to '' "
                           "(under the target) or to a dimension outside the cycle")
        for d in ids:  # break cycles so the tree can still be walked for the other checks
            row, cells = self.dim_by_id[d]
            if any(i.row == row and i.column == "parent" and i.table == "dimensions" for i in self.issues):
                cells["_parent"] = ""

    def _by_name(self, value: str) -> str:
        """``; 'x' is the name of dimension 'd'`` when the cell holds a dimension's name instead of its id."""
        for d, (_, cells) in self.dim_by_id.items():
            if value in (cells["name_zh"], cells["name_en"]):
                return f" ('{value}' is the name of dimension '{d}': write its id '{d}')"
        return ""

    def _check_dimension(self, row: int, cells: dict, leaves: list[str]) -> str:
        d = cells["dimension"]
        if "dimensions" in self.unread:
            return d
        if not self.dims:
            if d in ("", self.tid):
                return ""
            self.issue("indicators", row, "dimension",
                       f"unknown dimension '{d}': the dimensions table is empty; add a row with id '{d}' there, "
                       "or leave dimension empty for a system without dimensions")
            return d
        if not d or d == self.tid:
            what = "the dimension is empty" if not d else f"'{d}' is the target, not a dimension"
            self.issue("indicators", row, "dimension",
                       f"{what}; write the id of the dimension this indicator belongs to: {_listing(leaves)}")
        elif d not in self.dim_by_id:
            self.issue("indicators", row, "dimension",
                       f"unknown dimension '{d}'{self._by_name(d)}{near_matches(d, list(self.dim_by_id))}; "
                       f"dimensions: {_listing(leaves)}")
        elif d in self.kids:
            self.issue("indicators", row, "dimension",
                       f"dimension '{d}' has sub-dimensions ({', '.join(self.kids[d])}); put the indicator in one "
                       "of them")
        return d

    def _check_direction(self, row: int, cells: dict) -> None:
        v = cells["direction"]
        direction = _DIRECTIONS.get(v.lower() if v else "positive")
        if direction is None:
            self.issue("indicators", row, "direction",
                       f"direction '{v}' is not one of positive, negative, interval (正向, 负向, 适度); write "
                       "positive if more is better, negative if less is better, interval if a range is best")
            return
        cells["direction"] = direction
        best, example = cells["best"], "e.g. '20, 25'"
        if direction != "interval":
            if best:
                self.issue("indicators", row, "best", f"best '{best}' is only for direction interval; clear the "
                                                      "cell, or set direction to interval")
            return
        if not best:
            self.issue("indicators", row, "best", f"an interval indicator needs its best range in best, written "
                                                  f"'low, high' ({example})")
            return
        parts = [p for p in re.split(r"[,，;；\s]+", best.strip("[]()（） ")) if p]
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            self.issue("indicators", row, "best", f"best '{best}' is not two numbers; write 'low, high' ({example})")
            return
        if low > high:
            self.issue("indicators", row, "best", f"best '{best}' has low > high; write "
                                                  f"'{_number(high)}, {_number(low)}'")
            return
        cells["_best"] = [low, high]

    def _check_definition(self, row: int, cells: dict) -> None:
        v = cells["definition"]
        if not v:
            i = cells["id"]
            if _ID_RE.match(i) and not _nameable(i):
                s = _suggest(f"{i}_1", self.taken, "x")
                self.issue("indicators", row, "id",
                           f"id '{i}' is a word of the expression language, so without a definition it reads no data "
                           f"column; write another id, e.g. '{s}', and in definition the data column it reads (a data "
                           f"column called '{i}' must be renamed in the data file)")
            return
        try:
            expr.parse(v)
        except ExpressionError as exc:
            self.issue("indicators", row, "definition",
                       f"{exc}; write arithmetic on data columns: column names, numbers, + - * / ** and "
                       f"{', '.join(f'{f}()' for f in expr.FUNCTIONS)}, e.g. 'rd_expenditure / gdp * 100' (a column "
                       "whose name has spaces or brackets cannot be named: rename it in the data file, e.g. "
                       "'GDP_亿元'), or leave the cell empty when the indicator is the data column named like its id")

    def _check_choices(self, row: int, cells: dict) -> None:
        v = cells["domain"]
        if v and v.lower() not in _DOMAINS:
            self.issue("indicators", row, "domain", f"domain '{v}' is not one of {', '.join(_DOMAINS)}; write any "
                                                    "(default), nonnegative (no value below 0) or positive (above 0)")
        cells["domain"] = v.lower() or "any"
        for kind in TAG_KINDS:
            v = cells[kind]
            if not v or v in self.vocab[kind]:
                continue
            by_label = [k for k, lab in self.vocab[kind].items() if v.lower() in (lab["zh"], lab["en"].lower())]
            if by_label:
                cells[kind] = by_label[0]
                continue
            keys = list(self.vocab[kind])
            self.issue("indicators", row, kind, f"'{v}' is not a {kind} tag{near_matches(v, keys)}; write one of "
                                                f"{', '.join(keys)}, or leave it empty")

    # -- building ------------------------------------------------------------------------------
    def build(self, *, name: str, title_zh: str, title_en: str, unit_kind: str, target_zh: str,
              target_en: str) -> dict[str, Any]:
        base = self.base
        inds_of: dict[str, list[tuple[int, dict]]] = {}
        for row, cells in self.inds:
            inds_of.setdefault(cells["_dimension"], []).append((row, cells))
        target = {"id": self.tid, "name_zh": target_zh, "name_en": target_en}
        data: dict[str, Any] = {"name": name, "title": {"zh": title_zh, "en": title_en}}
        if base is not None:
            data.update(base.model_dump(mode="json", exclude_defaults=True,
                                        include={"description", "dataset", "references", "vocabulary", "sample"}))
        data["unit_kind"] = unit_kind
        data["target"] = self._node(target, "", None, _NO_TAGS, inds_of, "target")
        if base is not None and base.csmar:
            used = {c for _, cells in self.inds
                    for c in expr.columns(cells["definition"] or cells["id"])}
            data["csmar"] = {k: v.model_dump(mode="json", exclude_defaults=True)
                             for k, v in base.csmar.items() if k in used}
            for k in base.csmar:
                if k not in used:
                    self.note("indicators", None, "definition",
                              f"the CSMAR field of input '{k}' was dropped: no definition reads it any more")
        return data

    def _node(self, node: dict, key: str, row: int | None, inherited: dict[str, str | None],
              inds_of: dict[str, list[tuple[int, dict]]], loc: str) -> dict[str, Any]:
        self.locs[loc] = ("dimensions", row)
        b = self.base_nodes.get(node["id"])
        if b is not None:
            node.update(b.model_dump(mode="json", exclude_defaults=True, include={"tags", "rationale"}))
        tags = _resolved(node.get("tags", {}), inherited)
        kids = self.kids.get(key, [])
        if kids:
            node["children"] = [
                self._node({k: self.dim_by_id[d][1][k] for k in ("id", "name_zh", "name_en")}, d,
                           self.dim_by_id[d][0], tags, inds_of, f"{loc}.children.{i}")
                for i, d in enumerate(kids)]
        else:
            node["indicators"] = [self._indicator(r, cells, tags, f"{loc}.indicators.{i}")
                                  for i, (r, cells) in enumerate(inds_of.get(key, []))]
        if b is not None and b.ahp is not None:
            now = [c["id"] for c in node.get("children") or node.get("indicators") or []]
            if now == b.child_ids():
                node["ahp"] = b.ahp
            else:
                was = ", ".join(b.child_ids())
                self.note("dimensions", row, "id",
                          f"the AHP matrix of '{node['id']}' was dropped: its children changed ({was} → "
                          f"{', '.join(now)}); weighting 'ahp' needs a new matrix in the YAML file")
        return node

    def _indicator(self, row: int, cells: dict, inherited: dict[str, str | None], loc: str) -> dict[str, Any]:
        self.locs[loc] = ("indicators", row)
        b = self.base_inds.get(cells["id"])
        out: dict[str, Any] = {k: cells[k] for k in ("id", "name_zh", "name_en", "unit", "direction")}
        if "_best" in cells:
            out["best"] = cells["_best"]
        if cells["definition"]:
            out["definition"] = cells["definition"]
        out["domain"] = cells["domain"]
        tags = {}
        for k in TAG_KINDS:
            v = cells[k] or None
            explicit = b is not None and getattr(b.tags, k) is not None
            if v is not None and (v != inherited[k] or explicit):
                tags[k] = v
        if tags:
            out["tags"] = tags
        if b is not None:
            out.update(b.model_dump(mode="json", exclude_defaults=True, include={"rationale", "source"}))
        return out

    def schema_issues(self, message: str) -> list[RowIssue]:
        """The schema's error message, each line mapped back to a table row where its field allows."""
        out = []
        for line in message.splitlines():
            m = re.search(r"field '([^']*)': (.*)$", line)
            if not m:
                continue
            loc, text = m.groups()
            keys = [k for k in self.locs if loc == k or loc.startswith(k + ".")]
            if not keys:
                out.append(RowIssue("indicators", None, None, f"{loc}: {text}"))
                continue
            key = max(keys, key=len)
            table, row = self.locs[key]
            rest = loc[len(key) + 1:].split(".")[-1] if loc != key else ""
            columns = INDICATOR_COLUMNS if table == "indicators" else DIMENSION_COLUMNS
            column = rest if rest in columns else None
            out.append(RowIssue(table, row, column, text))  # type: ignore[arg-type]
        return out or [RowIssue("indicators", None, None, message)]
