"""Option forms (选项表单) from the registries' pydantic models: one source of truth with the study file.

:func:`option_fields` describes a model's fields for the page; :func:`analysis_catalogue` lists the analyses
and models a study can ask for; :func:`method_choices` the measurement methods; :func:`options_from_form`
turns the page's values into the study file's ``[analyses.<name>]`` table and :func:`check_options`
validates it with the entry's own :meth:`~nqpf.analysis.registry.AnalysisSpec.parse`.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import nqpf.analysis
import nqpf.models  # noqa: F401  (the models register themselves too)
from nqpf.analysis.registry import ANALYSES
from nqpf.core.errors import NqpfError, StudyError
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, TECHNIQUES, WEIGHTINGS
from nqpf.settings import MeasureSettings

__all__ = ["AnalysisEntryInfo", "FormField", "analysis_catalogue", "check_options", "method_choices",
           "option_fields", "options_from_form", "pair_lines", "parse_pairs"]

Kind = Literal["bool", "int", "float", "str", "choice", "list", "table", "optional", "index", "weights", "groups"]


@dataclass(frozen=True)
class FormField:
    """One option of a form.

    name : the option's key in the study file.
    kind : the widget: bool, int, float, str, choice (a Literal: ``choices``), list (comma-separated values of
        ``item``), table (``key = value`` lines: a TOML table such as regression ``controls``), index (the name
        of an [[index]]), weights (a spatial-weights kind or ``[weights.*]`` label), groups (a grouping: a
        builtin set, a label column, a ``[groups.*]`` label), optional (a value of a type the page cannot offer
        a widget for: typed as TOML).
    default : the model's default (None when required or when the default is "not set").
    choices : the allowed values of a choice.
    required : the option has no default.
    label : the option's name for the page (the key, as the study file spells it).
    help : the field's description or attribute docstring (``""`` when it has none).
    optional : "not set" (None) is allowed: a blank input leaves the option out.
    item : the kind of a list's items (int, float, str) and of a table's values.
    types : the scalar kinds a text input may hold, in the order they are tried (``("float", "str")`` for
        ``bandwidth: str | float``).
    """

    name: str
    kind: Kind
    default: Any = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    label: str = ""
    help: str = ""
    optional: bool = False
    item: str = "str"
    types: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The field's description (same as :attr:`help`)."""
        return self.help


@dataclass(frozen=True)
class AnalysisEntryInfo:
    """One entry of the analysis registry for the page."""

    name: str
    section: str
    label_zh: str
    label_en: str
    is_model: bool
    fields: list[FormField] = field(default_factory=list)
    #: what the options are (the options model's docstring, as the study file's reference gives it)
    help: str = ""


_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}
#: option names whose value is an index of the study, spatial weights, or a grouping
_INDEX_NAMES = {"index"}
_SPECIAL = {"weights": "weights", "groups": "groups"}


def option_fields(model: type[BaseModel]) -> list[FormField]:
    """The fields of a pydantic options model, in declaration order.

    Examples
    --------
    >>> from nqpf.analysis.registry import ANALYSES
    >>> [(f.name, f.kind, f.default) for f in option_fields(ANALYSES["kernel_density"].options)]
    [('index', 'index', None), ('bandwidth', 'str', 'scott'), ('grid', 'int', 200)]
    >>> f = option_fields(ANALYSES["markov"].options)[2]
    >>> f.kind, f.choices
    ('choice', ('pooled', 'per_year'))
    """
    docs = _attribute_docs(model)
    out = []
    for name, info in model.model_fields.items():
        required = info.is_required()
        default = None if required else (info.default_factory() if info.default_factory is not None  # type: ignore[call-arg]
                                         else None if info.default is PydanticUndefined else info.default)
        kind, choices, optional, item, kinds = _kind(info.annotation)
        if name in _INDEX_NAMES and kind in ("str", "optional"):
            kind = "index"
        elif name in _SPECIAL and kind in ("str", "optional"):
            kind = _SPECIAL[name]  # type: ignore[assignment]
        if isinstance(default, tuple):
            default = list(default)
        out.append(FormField(name=name, kind=kind, default=default, choices=choices, required=required,
                             label=name, help=info.description or docs.get(name, ""), optional=optional,
                             item=item, types=kinds))
    return out


def _kind(ann: Any) -> tuple[Any, tuple[Any, ...], bool, str, tuple[str, ...]]:
    """(kind, choices, optional, item kind, scalar kinds) of an annotation."""
    origin = get_origin(ann)
    if origin in (Union, types.UnionType):
        parts = [a for a in get_args(ann) if a is not type(None)]
        optional = len(parts) < len(get_args(ann))
        if len(parts) == 1:
            kind, choices, _opt, item, kinds = _kind(parts[0])
            return kind, choices, optional, item, kinds
        scalars = [_SCALARS[a] for a in parts if a in _SCALARS]
        lists = [a for a in parts if get_origin(a) in (list, tuple)]
        lits = [a for a in parts if get_origin(a) is Literal]
        if scalars and len(scalars) + len(lits) == len(parts):  # str | float; int | Literal["all", "hansen"]
            order = tuple(k for k in ("int", "float", "bool", "str") if k in scalars)
            if lits and "str" not in order:
                order = (*order, "str")
            return ("str" if "str" in order or lits else order[0]), (), optional, "str", order
        if lists:  # str | list[str]; float | list[float]; list[str] | dict[str, str] (the list is offered)
            item = _kind(lists[0])[3]
            return "list", (), optional, item, tuple(scalars)
        if "str" in scalars:  # str | dict[str, str]: a name, or a table written in TOML
            return "str", (), optional, "str", ("str",)
        return "optional", (), optional, "str", ()
    if origin is Literal:
        choices = get_args(ann)
        return "choice", tuple(choices), False, "str", ()
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(ann) if a is not Ellipsis]
        item = _SCALARS.get(args[0], "str") if args else "str"
        return "list", (), False, item, ()
    if origin is dict:
        args = get_args(ann)
        vals = args[1] if len(args) == 2 else str
        vparts = [a for a in get_args(vals) if a is not type(None)] or [vals]
        item = next((_SCALARS[a] for a in vparts if a in _SCALARS and a is not str), "str")
        return "table", (), False, item, tuple(_SCALARS[a] for a in vparts if a in _SCALARS)
    if ann in _SCALARS:
        return _SCALARS[ann], (), False, "str", (_SCALARS[ann],)
    return "optional", (), False, "str", ()


@cache
def _attribute_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field docs written in the class body: a string after the field, or ``#:`` comments above it."""
    out: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            lines, _ = inspect.getsourcelines(cls)
        except (OSError, TypeError):
            continue
        src = textwrap.dedent("".join(lines))
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        text_lines = src.splitlines()
        for i, node in enumerate(body):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            name = node.target.id
            nxt = body[i + 1] if i + 1 < len(body) else None
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                out[name] = inspect.cleandoc(nxt.value.value)
                continue
            comments = []
            j = node.lineno - 2
            while j >= 0 and text_lines[j].strip().startswith("#:"):
                comments.insert(0, text_lines[j].strip()[2:].strip())
                j -= 1
            if comments:
                out[name] = " ".join(comments)
    return out


def analysis_catalogue() -> list[AnalysisEntryInfo]:
    """Every registered analysis in registry order (``is_model``: section "explain", asked for as
    ``[models.<label>]`` with ``model = "<name>"``), with its option fields.

    Examples
    --------
    >>> cat = {e.name: e for e in analysis_catalogue()}
    >>> cat["kernel_density"].section, cat["kernel_density"].is_model, cat["did"].is_model
    ('disparity', False, True)
    """
    return [AnalysisEntryInfo(name=n, section=e.section, label_zh=e.label[0], label_en=e.label[1],
                              is_model=e.section == "explain", fields=option_fields(e.options),
                              help=inspect.cleandoc(e.options.__doc__ or ""))
            for n, e in ANALYSES.items()]


#: labels of the MeasureSettings choices no method registry holds
_CHOICE_LABELS = {
    ("combine", "multiplicative"): ("乘法合成", "multiplicative combination"),
    ("combine", "linear"): ("线性加权合成（α）", "linear combination (α)"),
    ("combine", "game"): TECHNIQUES["combined_game"].label,
}


def method_choices() -> dict[str, list[tuple[str, str, str]]]:
    """``{setting: [(key, label_zh, label_en), ...]}`` for normalization, weighting, aggregation (the method
    registries), objective (the objective weightings AHP is combined with) and scope, tree and combine (the
    Literal fields of :class:`~nqpf.settings.MeasureSettings`), each in registry order, default first.

    Examples
    --------
    >>> m = method_choices()
    >>> m["weighting"][0][0], m["scope"][1]
    ('global_entropy', ('per_year', '逐年（截面）标准化', 'per-year (cross-section) normalisation'))
    """
    fields = MeasureSettings.model_fields

    def first(key: str, rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        d = fields[key].default
        return sorted(rows, key=lambda r: r[0] != d)

    out = {k: first(k, [(n, m.label[0], m.label[1]) for n, m in reg.items()])
           for k, reg in (("normalization", NORMALIZATIONS), ("weighting", WEIGHTINGS),
                          ("aggregation", AGGREGATIONS))}
    out["objective"] = first("objective", [(n, m.label[0], m.label[1]) for n, m in WEIGHTINGS.items()
                                           if m.family == "objective"])
    for key in ("scope", "tree", "combine"):
        rows = []
        for choice in get_args(fields[key].annotation):
            tech = TECHNIQUES.get(choice)
            zh, en = _CHOICE_LABELS.get((key, choice)) or (tech.label if tech is not None else (choice, choice))
            rows.append((choice, zh, en))
        out[key] = first(key, rows)
    return out


_SPLIT = re.compile(r"\s*[,，、;；\n]\s*")
#: an ``old = new`` line; the separator may also be ＝ : ： → -> , ，
_PAIR = re.compile(r"^\s*(.+?)\s*(?:=|＝|:|：|→|->|,|，)\s*(.+?)\s*$")


def _convert(text: Any, kinds: tuple[str, ...]) -> Any:
    """A text as the first of ``kinds`` it parses as (int, float, bool, str); kept as text otherwise (the
    options' own validation then says what is wrong, as for the study file)."""
    if not isinstance(text, str):
        return text
    t = text.strip()
    for k in kinds:
        try:
            if k == "int":
                return int(t)
            if k == "float":
                return float(t)
        except ValueError:
            continue
        if k == "bool" and t.lower() in ("true", "false"):
            return t.lower() == "true"
        if k == "str":
            return t
    return t


def _value(f: FormField, v: Any) -> Any:
    if f.kind == "bool":
        return v if isinstance(v, bool) else str(v).strip().lower() in ("true", "1", "yes", "on")
    if f.kind in ("int", "float"):
        return _convert(v, (f.kind,))
    if f.kind == "choice":
        return next((c for c in f.choices if str(c) == str(v).strip()), v)
    if f.kind == "list":
        items = v if isinstance(v, (list, tuple)) else [x for x in _SPLIT.split(str(v)) if x]
        if len(items) == 1 and f.types and not isinstance(v, (list, tuple)):
            return _convert(items[0], f.types)  # str | list[str]: one name stays a name
        return [_convert(x, (f.item, "str")) for x in items]
    if f.kind == "table":
        if isinstance(v, dict):
            return v
        try:
            pairs = parse_pairs(str(v), f.name)
        except NqpfError:
            return str(v)  # the check says that a table is expected, as the study file would
        return {k: _convert(x, (*f.types, "str")) for k, x in pairs.items()}
    return _convert(v, f.types or ("str",))


def pair_lines(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """``old = new`` lines as a mapping, and the lines that are not a pair as ``(line number, line)``.

    The separator is ``=``, ``＝``, ``:``, ``：``, ``→``, ``->``, ``,`` or ``，`` (the first one on the line); blank
    lines and ``#`` comments are skipped; quotes around either side are stripped. The data step's rename box reads
    its text with it, and :func:`parse_pairs` the table options.

    Examples
    --------
    >>> pair_lines("苏州 = 苏州市\\n\\n广冬＝广东\\nA -> B")
    ({'苏州': '苏州市', '广冬': '广东', 'A': 'B'}, [])
    >>> pair_lines("苏州市\\n= x")
    ({}, [(1, '苏州市'), (2, '= x')])
    """
    out: dict[str, str] = {}
    bad: list[tuple[int, str]] = []
    for i, line in enumerate(str(text).splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _PAIR.match(s)
        if m is None:
            bad.append((i, s))
            continue
        out[m.group(1).strip('"')] = m.group(2).strip('"')
    return out, bad


def parse_pairs(text: str, what: str = "rename") -> dict[str, str]:
    """:func:`pair_lines` for a table option such as regression ``controls``: a line that is not a pair raises
    :class:`~nqpf.core.errors.NqpfError` naming the line.

    Examples
    --------
    >>> parse_pairs("苏州 = 苏州市\\n襄樊：襄阳市\\n\\n# old names\\n")
    {'苏州': '苏州市', '襄樊': '襄阳市'}
    >>> parse_pairs("苏州 = 苏州市\\n襄樊")
    Traceback (most recent call last):
    ...
    nqpf.core.errors.NqpfError: rename, line 2: expected 'old = new' (e.g. 苏州 = 苏州市), got '襄樊'
    """
    out, bad = pair_lines(text)
    if bad:
        i, line = bad[0]
        raise NqpfError(f"{what}, line {i}: expected 'old = new' (e.g. 苏州 = 苏州市), got {line!r}")
    return out


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, (list, tuple, dict)) and not v)


def options_from_form(entry_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The study-file options of an analysis from the page's values (strings, booleans, lists): blanks and
    defaults dropped, numbers, lists and ``key = value`` tables converted. A value that does not convert is
    kept as typed, so that :func:`check_options` reports it as the study file would.

    Examples
    --------
    >>> options_from_form("kernel_density", {"index": "nqpf", "bandwidth": "0.05", "grid": "200"})
    {'index': 'nqpf', 'bandwidth': 0.05}
    >>> options_from_form("coupling", {"systems": "nqpf, hqd", "variant": "standard", "alpha": ""})
    {'systems': ['nqpf', 'hqd']}
    """
    fields = {f.name: f for f in option_fields(ANALYSES[entry_name].options)}
    out: dict[str, Any] = {}
    for name, v in values.items():
        f = fields.get(name)
        if f is None:
            out[name] = v  # unknown: the check names it
            continue
        if _is_blank(v):
            continue
        val = _value(f, v)
        if not f.required and val == f.default:
            continue
        out[name] = val
    return out


def check_options(entry_name: str, raw: dict[str, Any]) -> list[str]:
    """The problems of ``raw`` as the study file reports them (``[]`` when valid): the entry's own
    :meth:`~nqpf.analysis.registry.AnalysisSpec.parse`.

    Examples
    --------
    >>> check_options("kernel_density", {"grid": 100})
    []
    >>> check_options("markov", {"k": "four"})  # doctest: +ELLIPSIS
    ["[analyses.markov]: option 'k': Input should be a valid integer..."]
    """
    try:
        ANALYSES[entry_name].parse(raw)
    except StudyError as exc:
        return [str(exc)]
    return []
