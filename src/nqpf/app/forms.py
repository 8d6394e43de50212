"""Option forms (选项表单) from the registries' pydantic models: one source of truth with the study file.

:func:`option_fields` describes a model's fields for the page; :func:`analysis_catalogue` lists the analyses
and models a study can ask for; :func:`method_choices` the measurement methods; :func:`options_from_form`
turns the page's values into the study file's ``[analyses.<name>]`` table and :func:`check_options`
validates it with the entry's own :meth:`~nqpf.analysis.registry.AnalysisSpec.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

__all__ = ["AnalysisEntryInfo", "FormField", "analysis_catalogue", "check_options", "method_choices",
           "option_fields", "options_from_form"]

Kind = Literal["bool", "int", "float", "str", "choice", "list", "optional", "index", "weights", "groups"]


@dataclass(frozen=True)
class FormField:
    """One option of a form.

    name : the option's key in the study file.
    kind : bool, int, float, str, choice (a Literal: ``choices``), list, optional (a value or nothing),
        index (an index name), weights (spatial weights), groups (a grouping).
    default : the model's default (None when required).
    choices : the allowed values of a choice.
    required : the option has no default.
    label : the option's name for the page (the key, as the study file spells it).
    help : the field's description or attribute docstring (``""`` when it has none).
    """

    name: str
    kind: Kind
    default: Any = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    label: str = ""
    help: str = ""

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


def option_fields(model: type[BaseModel]) -> list[FormField]:
    """The fields of a pydantic options model, in declaration order."""
    raise NotImplementedError


def analysis_catalogue() -> list[AnalysisEntryInfo]:
    """Every registered analysis (``is_model``: section "explain", asked for as ``[models.<label>]``)."""
    raise NotImplementedError


def method_choices() -> dict[str, list[tuple[str, str, str]]]:
    """``{setting: [(key, label_zh, label_en), ...]}`` for normalization, weighting, aggregation, scope, tree
    and combine."""
    raise NotImplementedError


def options_from_form(entry_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The study-file options of an analysis from the page's values (strings, booleans, lists): blanks and
    defaults dropped, numbers and lists converted."""
    raise NotImplementedError


def check_options(entry_name: str, raw: dict[str, Any]) -> list[str]:
    """The problems of ``raw`` as the study file reports them (``[]`` when valid)."""
    raise NotImplementedError
