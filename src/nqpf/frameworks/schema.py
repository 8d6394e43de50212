"""The framework schema: the theory as data (a tree target → dimensions → sub-dimensions → indicators).

A framework is a YAML file validated by pydantic; errors name the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nqpf.core.errors import FrameworkError

#: Built-in tag vocabularies with Chinese and English labels. A framework may add its own under
#: ``vocabulary:``; a tag value outside the vocabulary is an error.
DEFAULT_VOCABULARY: dict[str, dict[str, dict[str, str]]] = {
    "factor": {
        "laborers": {"zh": "劳动者", "en": "Laborers"},
        "means_of_labor": {"zh": "劳动资料", "en": "Means of labor"},
        "objects_of_labor": {"zh": "劳动对象", "en": "Objects of labor"},
    },
    "new": {
        "new_technology": {"zh": "新技术", "en": "New technology"},
        "new_economy": {"zh": "新经济", "en": "New economy"},
        "new_business_forms": {"zh": "新业态", "en": "New business forms"},
    },
    "lever": {
        "government_market": {"zh": "政府与市场", "en": "Government and market"},
        "st_self_reliance": {"zh": "高水平科技自立自强", "en": "High-level S&T self-reliance"},
        "st_innovation_system": {"zh": "科技创新体系", "en": "S&T innovation system"},
        "modern_industrial_system": {"zh": "现代化产业体系", "en": "Modern industrial system"},
        "emerging_future_industries": {
            "zh": "战略性新兴产业和未来产业", "en": "Strategic emerging and future industries"
        },
    },
}

TAG_KINDS = tuple(DEFAULT_VOCABULARY)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Tags(_Strict):
    """Where an indicator sits in the theory. Tags set on a node apply to every indicator below it."""

    factor: str | None = None
    new: str | None = None
    lever: str | None = None

    def merged_over(self, parent: Tags) -> Tags:
        """These tags, with the parent's filling what is unset."""
        return Tags(**{k: getattr(self, k) or getattr(parent, k) for k in TAG_KINDS})


class Indicator(_Strict):
    """A leaf of the tree: one measured quantity and how it enters the index."""

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name_zh: str
    name_en: str
    unit: str
    direction: Literal["positive", "negative", "interval"] = "positive"
    best: tuple[float, float] | None = None
    definition: str | None = None
    domain: Literal["any", "nonnegative", "positive"] = "any"
    tags: Tags = Field(default_factory=Tags)
    rationale: str = ""
    source: str = ""

    @field_validator("definition")
    @classmethod
    def _definition_not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("definition is empty")
        return v

    @model_validator(mode="after")
    def _check_best(self) -> Indicator:
        if self.direction == "interval":
            if self.best is None:
                raise ValueError("an interval indicator needs 'best: [low, high]'")
            if self.best[0] > self.best[1]:
                raise ValueError(f"best range {list(self.best)} has low > high")
        elif self.best is not None:
            raise ValueError("'best' is only for direction: interval")
        return self

    @property
    def expression(self) -> str:
        """The definition, or the id itself when the indicator is a plain column."""
        return self.definition if self.definition is not None else self.id


class Node(_Strict):
    """An inner node of the tree (the target, a dimension or a sub-dimension)."""

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name_zh: str
    name_en: str
    tags: Tags = Field(default_factory=Tags)
    ahp: list[list[float | str]] | None = None
    children: list[Node] | None = None
    indicators: list[Indicator] | None = None
    rationale: str = ""

    @model_validator(mode="after")
    def _one_kind_of_child(self) -> Node:
        if (self.children is None) == (self.indicators is None):
            raise ValueError("a node needs exactly one of 'children' (sub-nodes) or 'indicators'")
        kids = self.children if self.children is not None else self.indicators
        if not kids:
            raise ValueError("a node needs at least one child")
        if self.ahp is not None:
            _ = ahp_matrix(self.ahp, len(kids))
        return self

    def child_ids(self) -> list[str]:
        """The ids of the direct children, in order."""
        kids = self.children if self.children is not None else self.indicators
        return [k.id for k in kids or []]


def ahp_matrix(rows: list[list[float | str]], n: int) -> list[list[float]]:
    """Parse an AHP pairwise matrix whose cells may be numbers or fractions such as ``"1/3"``."""
    if len(rows) != n or any(len(r) != n for r in rows):
        raise ValueError(f"ahp matrix must be {n} x {n} (one row and column per child)")
    out = []
    for r in rows:
        row = []
        for cell in r:
            try:
                row.append(float(Fraction(str(cell).strip())))
            except (ValueError, ZeroDivisionError) as exc:
                raise ValueError(f"ahp cell {cell!r} is not a number or fraction") from exc
        out.append(row)
    return out


class Label(_Strict):
    zh: str
    en: str


class Sample(_Strict):
    """The units and years a framework was designed for (where its indicators have complete data).

    measure() uses them when the caller gives no ``years`` / ``units``.
    """

    years: tuple[int, int] | None = None
    units: list[str] | None = None
    exclude_units: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _order(self) -> Sample:
        if self.years is not None and self.years[0] > self.years[1]:
            raise ValueError(f"years {list(self.years)} has first > last")
        return self


class CsmarField(_Strict):
    """Where an input column of a framework's definitions is found in CSMAR (国泰安) exports.

    ``field`` is the CSMAR field code (``A001000000``) or name (``RDPerson``) as the export's header shows
    it; None when no code could be confirmed (name the column yourself). ``table`` is the CSMAR table.
    """

    field: str | None = None
    table: str = ""
    name_zh: str = ""
    note: str = ""


class FrameworkSpec(_Strict):
    """The top level of a framework YAML file."""

    name: str
    title: Label
    description: str = ""
    dataset: str | None = None
    unit_kind: str = "unit"
    references: list[str] = Field(default_factory=list)
    vocabulary: dict[str, dict[str, Label]] = Field(default_factory=dict)
    sample: Sample | None = None
    #: input column of the definitions → its CSMAR field (firm frameworks), see :class:`CsmarField`
    csmar: dict[str, CsmarField] = Field(default_factory=dict)
    target: Node


# ----------------------------------------------------------------------------------------------
# YAML loading with line numbers


def _compose_with_lines(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Load YAML into plain Python objects and remember the line of every mapping key and item."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise FrameworkError(f"{source}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    lines: dict[tuple, int] = {}

    def build(node: yaml.Node, loc: tuple) -> Any:
        lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = {}
            for k, v in node.value:
                key = yaml.SafeLoader(k.value).construct_object(k) if False else k.value
                lines[(*loc, key)] = k.start_mark.line + 1
                out[key] = build(v, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(v, (*loc, i)) for i, v in enumerate(node.value)]
        loader = yaml.SafeLoader("")
        return loader.construct_object(node, deep=True)

    if root is None:
        raise FrameworkError(f"{source}: the file is empty")
    return build(root, ()), lines


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    """The line of the deepest known prefix of a pydantic error location."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union/model tags from an error location."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"function-after"})))


def parse_framework_text(text: str, source: str = "<string>") -> FrameworkSpec:
    """Validate framework YAML text; errors name the source, the line and the field."""
    data, lines = _compose_with_lines(text, source)
    try:
        spec = FrameworkSpec.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = _clean_loc(err["loc"])
            for key in ("ahp", "best", "children", "indicators"):
                if f"'{key}" in err["msg"] or f"{key} " in err["msg"]:
                    if (*loc, key) in lines:
                        loc = (*loc, key)
                        break
            line = _line_for(loc, lines)
            where = ".".join(str(p) for p in loc) or "(top level)"
            msgs.append(f"{source}, line {line}: field '{where}': {err['msg']}")
        raise FrameworkError("invalid framework:\n  " + "\n  ".join(msgs)) from None
    _check_semantics(spec, source, lines)
    _check_csmar(spec, source, lines)
    return spec


def _walk(node: Node, loc: tuple) -> Iterator[tuple[Node | Indicator, tuple]]:
    yield node, loc
    for i, child in enumerate(node.children or []):
        yield from _walk(child, (*loc, "children", i))
    for i, ind in enumerate(node.indicators or []):
        yield ind, (*loc, "indicators", i)


def _check_semantics(spec: FrameworkSpec, source: str, lines: dict[tuple, int]) -> None:
    """Checks pydantic cannot express: unique ids, known tag values."""
    vocab = {k: set(v) for k, v in DEFAULT_VOCABULARY.items()}
    for kind, entries in spec.vocabulary.items():
        if kind not in vocab:
            line = lines.get(("vocabulary", kind))
            raise FrameworkError(
                f"{source}, line {line}: field 'vocabulary.{kind}': unknown tag kind; use one of {list(TAG_KINDS)}"
            )
        vocab[kind] |= set(entries)
    seen: dict[str, tuple] = {}
    for item, loc in _walk(spec.target, ("target",)):
        if item.id in seen:
            raise FrameworkError(
                f"{source}, line {_line_for((*loc, 'id'), lines)}: field '{'.'.join(map(str, loc))}.id': "
                f"id '{item.id}' is used twice (first at line {_line_for((*seen[item.id], 'id'), lines)})"
            )
        seen[item.id] = loc
        if isinstance(item, Indicator) and item.definition is not None:
            from nqpf.core import expr
            from nqpf.core.errors import ExpressionError

            try:
                expr.parse(item.definition)
            except ExpressionError as exc:
                where = (*loc, "definition")
                raise FrameworkError(
                    f"{source}, line {_line_for(where, lines)}: field '{'.'.join(map(str, where))}': "
                    f"indicator '{item.id}': {exc}"
                ) from None
        for kind in TAG_KINDS:
            value = getattr(item.tags, kind)
            if value is not None and value not in vocab[kind]:
                where = (*loc, "tags", kind)
                raise FrameworkError(
                    f"{source}, line {_line_for(where, lines)}: field '{'.'.join(map(str, where))}': "
                    f"'{value}' is not a defined {kind} tag; defined: {sorted(vocab[kind])}"
                )


def _check_csmar(spec: FrameworkSpec, source: str, lines: dict[tuple, int]) -> None:
    """Every key of ``csmar:`` is an input column of some definition (a misspelt key would map nothing)."""
    from nqpf.core import expr

    used: set[str] = set()
    for item, _loc in _walk(spec.target, ("target",)):
        if isinstance(item, Indicator):
            used.update(expr.columns(item.expression))
    for key in spec.csmar:
        if key not in used:
            raise FrameworkError(
                f"{source}, line {lines.get(('csmar', key))}: field 'csmar.{key}': '{key}' is not an input column "
                f"of any definition; inputs: {sorted(used)}"
            )


def read_framework_file(path: str | Path) -> FrameworkSpec:
    """Read and validate a framework YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(f"{p}: cannot read framework file: {exc}") from exc
    return parse_framework_text(text, source=str(p))
