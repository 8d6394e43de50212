"""Study: a small TOML file saying which data, which frameworks, which methods and analyses, where to write."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nqpf.datasets import load_dataset
from nqpf.errors import StudyError
from nqpf.framework import load_framework
from nqpf.measure import measure
from nqpf.panel import Panel, read_panel
from nqpf.provenance import Provenance
from nqpf.result import IndexResult

DEFAULT_STUDY = "china-provinces"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSpec(_Strict):
    """Where the panel comes from: a bundled dataset or a file."""

    dataset: str | None = None
    path: str | None = None
    unit: str | None = None
    year: str | None = None
    layout: Literal["auto", "long", "wide"] = "auto"
    kind: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.dataset is None) == (self.path is None):
            raise ValueError("give exactly one of 'dataset' (bundled) or 'path' (a file)")
        return self


class IndexSpec(_Strict):
    """One index to measure: a framework and the method choices."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    framework: str
    role: Literal["nqpf", "hqd", "other"] = "nqpf"
    years: str | list[int] | None = None  # None: the framework's sample; "auto"; "2013-2019"; [first, last]
    units: list[str] | None = None
    exclude_units: list[str] = Field(default_factory=list)
    missing: str | list[str] = "interpolate"
    normalization: str = "minmax"
    scope: str = "pooled"
    weighting: str = "global_entropy"
    aggregation: str = "weighted_sum"
    tree: str = "flat"
    shift: float = 1e-4
    rho: float = 0.5
    objective: str = "global_entropy"
    combine: str = "multiplicative"
    alpha: float = 0.5


class OutputSpec(_Strict):
    dir: str = "out"
    lang: Literal["zh", "en"] = "en"
    excel: bool = True


class StudySpec(_Strict):
    """The whole study file."""

    name: str
    title: str = ""
    description: str = ""
    data: DataSpec
    index: list[IndexSpec]
    analyses: dict[str, dict[str, Any]] = Field(default_factory=dict)
    output: OutputSpec = Field(default_factory=OutputSpec)

    @model_validator(mode="after")
    def _unique_names(self) -> StudySpec:
        names = [i.name for i in self.index]
        if len(set(names)) != len(names):
            raise ValueError(f"index names must be unique, got {names}")
        if not names:
            raise ValueError("a study needs at least one [[index]]")
        return self


def load_study(path: str | Path | None = None) -> tuple[StudySpec, str]:
    """Read and validate a study TOML file (the bundled default study when ``path`` is None)."""
    if path is None:
        text = resources.files("nqpf.studies").joinpath(f"{DEFAULT_STUDY}.toml").read_text(encoding="utf-8")
        source = f"bundled study {DEFAULT_STUDY}"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise StudyError(f"{p}: cannot read study file: {exc}") from None
        source = str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{source}: not valid TOML: {exc}") from None
    try:
        return StudySpec.model_validate(raw), source
    except ValidationError as exc:
        msgs = [f"{source}: field '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in exc.errors()]
        raise StudyError("invalid study:\n  " + "\n  ".join(msgs)) from None


def load_panel(spec: DataSpec, base: Path | None = None) -> Panel:
    """The study's panel."""
    if spec.dataset is not None:
        return load_dataset(spec.dataset)
    p = Path(spec.path)  # type: ignore[arg-type]
    if base is not None and not p.is_absolute():
        p = base / p
    return read_panel(p, unit=spec.unit, year=spec.year, layout=spec.layout, kind=spec.kind)


def measure_index(panel: Panel, spec: IndexSpec) -> IndexResult:
    """Measure one [[index]] of a study."""
    fw = load_framework(spec.framework)
    units = spec.units
    if spec.exclude_units:
        units = [u for u in (units or panel.units) if u not in set(spec.exclude_units)]
    years: Any = spec.years
    if isinstance(years, str) and re.fullmatch(r"\s*\d{4}\s*-\s*\d{4}\s*", years):
        a, b = years.split("-")
        years = (int(a), int(b))
    elif isinstance(years, str) and years not in ("auto", "all"):
        raise StudyError(f"index '{spec.name}': years {years!r} is not understood; "
                         "use 'auto', 'all', 'FIRST-LAST' (e.g. '2013-2022') or a list [first, last]")
    elif isinstance(years, list) and len(years) == 2:
        years = (years[0], years[1])  # [first, last] in a study file is a range
    result = measure(
        panel, fw, normalization=spec.normalization, scope=spec.scope, weighting=spec.weighting,
        aggregation=spec.aggregation, tree=spec.tree, years=years, units=units, missing=spec.missing,
        shift=spec.shift, rho=spec.rho, objective=spec.objective, combine=spec.combine, alpha=spec.alpha,
    )
    if spec.exclude_units:
        result.provenance.note(f"{spec.name}: units excluded by the study: {', '.join(spec.exclude_units)}")
    return result


@dataclass
class StudyRun:
    """Everything a study run produced: the panel, each index, each analysis result."""

    spec: StudySpec
    source: str
    panel: Panel
    results: dict[str, IndexResult]
    analyses: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)

    def by_role(self, role: str) -> list[str]:
        """Names of the indices with a role (nqpf, hqd, other), in study order."""
        return [i.name for i in self.spec.index if i.role == role]


#: Analyses a study can ask for, by name → function(run, **options) returning (result, {table name: frame}).
ANALYSES: dict[str, Callable[..., tuple[Any, dict[str, pd.DataFrame]]]] = {}


def analysis(name: str) -> Callable:
    """Register an analysis under a study name."""
    def deco(fn: Callable) -> Callable:
        ANALYSES[name] = fn
        return fn
    return deco


def run_study(spec: StudySpec, source: str = "<study>", base: Path | None = None,
              progress: Callable[[str], None] | None = None) -> StudyRun:
    """Measure every index of a study and run its analyses."""
    from nqpf import analyses_registry  # noqa: F401  (registers the analyses)

    say = progress or (lambda _msg: None)
    for name, options in spec.analyses.items():  # before any work: unknown analyses and options
        if name not in ANALYSES:
            raise StudyError(f"{source}: unknown analysis [analyses.{name}]; available: {sorted(ANALYSES)}")
        accepted = list(inspect.signature(ANALYSES[name]).parameters)[1:]
        unknown = [k for k in options if k != "enabled" and k not in accepted]
        if unknown:
            raise StudyError(f"{source}: [analyses.{name}]: unknown option(s) {unknown}; options are {accepted}")
    say("loading data")
    panel = load_panel(spec.data, base)
    results = {}
    for ix in spec.index:
        say(f"measuring {ix.name} ({ix.framework})")
        results[ix.name] = measure_index(panel, ix)
    run = StudyRun(spec, source, panel, results)
    prov = Provenance(inputs=list(panel.provenance.inputs))
    for name, res in results.items():
        prov.settings[name] = {"framework": res.framework.source, **res.settings}
        prov.cells.extend({**c, "index": name} for c in res.provenance.cells)
        prov.notes.extend(f"{name}: {n}" for n in res.provenance.notes)
    for name, options in spec.analyses.items():
        if name not in ANALYSES:
            raise StudyError(f"{source}: unknown analysis [analyses.{name}]; available: {sorted(ANALYSES)}")
        if options.get("enabled", True) is False:
            continue
        say(f"analysis: {name}")
        opts = {k: v for k, v in options.items() if k != "enabled"}
        try:
            res, tables = ANALYSES[name](run, **opts)
        except (TypeError, ValueError) as exc:  # an option of the wrong type or value
            raise StudyError(f"{source}: [analyses.{name}] with options {opts}: {exc}") from exc
        run.analyses[name] = res
        run.tables.update(tables)
        prov.settings[f"analysis.{name}"] = opts
    prov.settings["study"] = spec.model_dump()
    run.provenance = prov
    return run
