"""The analysis registry (分析注册表): every analysis a study file can ask for, declared where it is defined.

An analysis module registers its study-file entry point with :func:`register_analysis`::

    class KernelDensityOptions(Options):
        index: str | None = None
        bandwidth: str | float = "scott"

    @register_analysis("kernel_density", options=KernelDensityOptions, result=KernelDensityResult,
                       section="disparity", order=20, label=("核密度估计", "Kernel density"),
                       refs=("rosenblatt1956", "parzen1962"), methods=_methods_paragraph)
    def _study(ctx: StudyContext, opts: KernelDensityOptions) -> KernelDensityResult:
        name, res = ctx.index(opts.index)
        return kernel_density(res, bandwidth=opts.bandwidth)

The study runner validates ``[analyses.<name>]`` against ``options`` (a frozen pydantic model: unknown
keys, wrong types and bad values are errors naming the option), calls the function with a
:class:`StudyContext`, writes the result's :meth:`~nqpf.core.interface.Result.tables`, and the report
puts the result's :meth:`~nqpf.core.interface.Result.report` blocks into ``section`` under ``label``.
``methods`` writes the paragraph of ``methods.md`` (zh/en) and ``refs`` are the keys of
:mod:`nqpf.core.references` it cites. Nothing else lists analyses: adding one touches its module, its
test and its docs page.

This module imports nothing from the study runner or the report; they import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from nqpf.core.errors import StudyError
from nqpf.core.i18n import add_labels
from nqpf.core.interface import Result
from nqpf.core.registry import Registry

if TYPE_CHECKING:
    from libpysal.weights import W

    from nqpf.core.groups import Grouping
    from nqpf.core.panel import Panel
    from nqpf.result import IndexResult

__all__ = [
    "ANALYSES",
    "SECTIONS",
    "AnalysisSpec",
    "Options",
    "Section",
    "StudyContext",
    "register_analysis",
    "register_section",
]


class Options(BaseModel):
    """Base of every analysis's study-file options: unknown keys are errors; values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyContext(Protocol):
    """What an analysis may ask of the study that runs it (implemented by the study runner).

    ``index(name, role)`` returns ``(name, IndexResult)``: the named index, or the study's first index
    with that role (nqpf, hqd, other); the runner records which indices each analysis used.
    ``indices(role)`` lists the names of the indices with a role, in study order.
    ``weights(spec, units)`` gives the spatial weights a study-file value asks for (a ``[weights.*]``
    label or a kind, :func:`nqpf.geo.weights.build_weights`); ``groups(spec, units)`` the
    :class:`~nqpf.core.groups.Grouping` (a ``[groups.*]`` label, a builtin set, an inline table or None
    for the kind's default); ``kind`` is the unit kind of the panel (``nqpf.core.units.UNIT_KINDS``).
    """

    panel: Panel
    results: Mapping[str, IndexResult]

    @property
    def kind(self) -> str: ...

    def index(self, name: str | None = None, role: str = "nqpf") -> tuple[str, IndexResult]: ...

    def indices(self, role: str) -> list[str]: ...

    def weights(self, spec: Any, units: Sequence[str]) -> W: ...

    def groups(self, spec: Any, units: Sequence[str]) -> Grouping: ...


@dataclass(frozen=True)
class Section:
    """A chapter of the report: key, order on the page, (zh, en) heading."""

    key: str
    order: int
    label: tuple[str, str]


#: Report chapters by key. The report's own chapters (overview, index) and the analysis chapters.
SECTIONS: Registry[Section] = Registry("report section", StudyError)


def register_section(key: str, order: int, label: tuple[str, str]) -> None:
    """Declare a report chapter that analyses can place themselves in.

    Examples
    --------
    >>> SECTIONS["disparity"].label[1]
    'Disparity and dynamics'
    """
    SECTIONS.add(key, Section(key, order, label))


register_section("overview", 10, ("概览：数据、指标体系与方法", "Overview: data, framework and method"))
register_section("index", 20, ("指数测度结果", "The index"))
register_section("disparity", 30, ("区域差异与分布动态", "Disparity and dynamics"))
register_section("hqd", 40, ("高质量发展：耦合协调与障碍因子", "High-quality development: coupling and obstacles"))
register_section("relations", 45, ("三大关系：跃迁、适配与传导", "The three relations: leap, fit and channels"))
register_section("explain", 50, ("驱动因素与作用机制", "What drives NQPF and what it drives"))
register_section("robustness", 60, ("稳健性与不确定性", "Robustness and uncertainty"))
register_section("other", 90, ("其他分析", "Other analyses"))


MethodsText = Callable[[Any, Any, str], str]
"""``methods(result, options, lang) -> str``: the methods.md paragraph of one run of an analysis."""

TableNames = Callable[[Any, list[str]], dict[str, pd.DataFrame]]
"""``tables(result, index_names) -> {table name: frame}``: overrides the default table names."""


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis a study can request with ``[analyses.<name>]``.

    Attributes
    ----------
    name : the study-file key.
    run : ``run(ctx, options) -> Result``.
    options : the pydantic model of the study-file options (defaults written there, once).
    result : the result class(es) ``run`` returns.
    section, order : the report chapter (a key of :data:`SECTIONS`) and the place within it.
    label : (zh, en) heading in the report, the console and the workbook.
    refs : reference keys (:mod:`nqpf.core.references`) of the methods the analysis uses.
    methods : the methods.md paragraph, ``methods(result, options, lang)``.
    tables : optional table naming, ``tables(result, index_names)``; default
        ``<name>_<index names joined by _>`` + ``_<suffix>`` for each of ``result.tables()``.
    labels : words the result uses, added to the shared vocabulary.
    figure : file stem of the static figure (``result.plot()``) in the run's ``figures/`` (default: ``name``).
    """

    name: str
    run: Callable[[StudyContext, Any], Result]
    options: type[Options]
    result: type | tuple[type, ...]
    section: str
    order: int
    label: tuple[str, str]
    refs: tuple[str, ...] = ()
    methods: MethodsText | None = None
    tables: TableNames | None = None
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    figure: str | None = None

    @property
    def figure_stem(self) -> str:
        """The file name (without suffix) of the result's static figure in the run's ``figures/``."""
        return self.figure or self.name

    def parse(self, raw: Mapping[str, Any], where: str = "") -> Options:
        """Validate the study-file options; errors name the option and say what is expected."""
        try:
            return self.options.model_validate(dict(raw))
        except ValidationError as exc:
            msgs = []
            for e in exc.errors():
                loc = ".".join(map(str, e["loc"])) or "(options)"
                if e["type"] == "extra_forbidden":
                    known = ", ".join(self.options.model_fields)
                    msgs.append(f"unknown option '{loc}'; options are: {known}")
                else:
                    msgs.append(f"option '{loc}': {e['msg']} (got {e.get('input')!r})")
            raise StudyError(f"{where}[analyses.{self.name}]: " + "; ".join(msgs)) from None

    def table_frames(self, result: Any, index_names: list[str]) -> dict[str, pd.DataFrame]:
        """The result's tables under their run names."""
        if self.tables is not None:
            return self.tables(result, index_names)
        base = "_".join([self.name, *index_names])
        return {(f"{base}_{k}" if k else base): df for k, df in result.tables().items()}

    def label_in(self, lang: str) -> str:
        return self.label[0] if lang == "zh" else self.label[1]


#: Every analysis a study file can request, in registration order.
ANALYSES: Registry[AnalysisSpec] = Registry("analysis", StudyError)


def register_analysis(
    name: str,
    *,
    options: type[Options],
    result: type | tuple[type, ...],
    section: str,
    order: int,
    label: tuple[str, str],
    refs: tuple[str, ...] = (),
    methods: MethodsText | None = None,
    tables: TableNames | None = None,
    labels: Mapping[str, tuple[str, str]] | None = None,
    figure: str | None = None,
) -> Callable[[Callable[[StudyContext, Any], Result]], Callable[[StudyContext, Any], Result]]:
    """Decorator: register the study-file entry point of an analysis (see the module docstring).

    ``labels`` adds (key -> (zh, en)) words the result's summaries and figures use to the shared
    vocabulary (:func:`nqpf.core.i18n.t`).

    Examples
    --------
    >>> import nqpf.analysis
    >>> ANALYSES["kernel_density"].section, ANALYSES["kernel_density"].label_in("en")
    ('disparity', 'Distribution dynamics: kernel density')
    """
    SECTIONS[section]  # an unknown section is an error at import time, naming the known ones

    def deco(fn: Callable[[StudyContext, Any], Result]) -> Callable[[StudyContext, Any], Result]:
        if labels:
            add_labels(labels)
        ANALYSES.add(name, AnalysisSpec(name=name, run=fn, options=options, result=result, section=section,
                                        order=order, label=label, refs=tuple(refs), methods=methods,
                                        tables=tables, labels=dict(labels or {}), figure=figure))
        return fn

    return deco
