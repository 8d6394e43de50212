"""Run a study (运行研究): load the panel, measure every index, run every requested analysis.

The runner depends on the analyses (it imports :mod:`nqpf.analysis` and :mod:`nqpf.models`, whose modules
register themselves in :data:`nqpf.analysis.registry.ANALYSES`), never the reverse. Each analysis gets a
:class:`RunContext` (the :class:`~nqpf.analysis.registry.StudyContext` of this run) and its validated
options; the runner records which indices it used and names its tables.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import nqpf.analysis
import nqpf.models  # noqa: F401  (so do the models)
from nqpf.analysis.registry import ANALYSES, AnalysisSpec, Options
from nqpf.core.cleaning import clean_panel
from nqpf.core.errors import NqpfError, StudyError, near_matches
from nqpf.core.framework import load_framework
from nqpf.core.groups import Grouping, resolve_groups
from nqpf.core.interface import Result
from nqpf.core.panel import Panel, read_panel
from nqpf.core.provenance import Provenance
from nqpf.datasets import load_dataset
from nqpf.geo.weights import build_weights
from nqpf.measure import measure
from nqpf.result import IndexResult
from nqpf.study.spec import DataSpec, IndexSpec, StudySpec

if TYPE_CHECKING:
    from libpysal.weights import W

__all__ = ["AnalysisRecord", "RunContext", "StudyRun", "load_panel", "measure_index", "rename_map",
           "run_study"]


def load_panel(spec: DataSpec, base: Path | None = None) -> Panel:
    """The study's panel: a bundled dataset or a file (relative paths from the study file's folder), after the
    ``[data.clean]`` steps when any is requested.

    A file is read with the study's ``sheet`` and ``labels``; ``rename`` and ``rename_file`` (a CSV of
    ``from,to`` lines) map spellings to the names the panel uses, each applied rename noted in provenance.
    Then the ``[data.clean]`` steps run when any is requested (every effect in the panel's provenance).
    """
    if spec.dataset is not None:
        panel = load_dataset(spec.dataset)
    else:
        p = _path(spec.path, base)  # type: ignore[arg-type]
        panel = _read_renamed(p, spec, rename_map(spec, base))
    if spec.clean.any:  # drop financial firms / ST firm-years, winsorise
        panel = clean_panel(panel, spec.clean)
    return panel


def _path(name: str, base: Path | None) -> Path:
    p = Path(name)
    return base / p if base is not None and not p.is_absolute() else p


def rename_map(spec: DataSpec, base: Path | None = None) -> dict[str, str]:
    """The study's renames: ``rename_file`` (a CSV ``from,to``, header optional) then ``rename`` (wins)."""
    out: dict[str, str] = {}
    if spec.rename_file:
        p = _path(spec.rename_file, base)
        if not p.exists():
            raise StudyError(f"[data] rename_file: no such file {p}")
        rows = [r for r in csv.reader(p.read_text(encoding="utf-8-sig").splitlines()) if any(c.strip() for c in r)]
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["from", "to"]:
            rows = rows[1:]
        for i, r in enumerate(rows, start=1):
            if len(r) < 2 or not r[0].strip() or not r[1].strip():
                raise StudyError(f"[data] rename_file {p}, row {i}: expected two names 'from,to', got {r}")
            out[r[0].strip()] = r[1].strip()
    out.update({str(k): str(v) for k, v in spec.rename.items()})
    return out


def _read_renamed(p: Path, spec: DataSpec, rename: dict[str, str]) -> Panel:
    """read_panel with the study's renames, applied before the unit names are resolved (each one noted)."""
    return read_panel(p, unit=spec.unit, year=spec.year, layout=spec.layout, kind=spec.kind, sheet=spec.sheet,
                      labels=spec.labels, rename=rename or None)


def _years(spec: IndexSpec) -> Any:
    years: Any = spec.years
    if isinstance(years, str) and re.fullmatch(r"\s*\d{4}\s*-\s*\d{4}\s*", years):
        a, b = years.split("-")
        return (int(a), int(b))
    if isinstance(years, str) and years not in ("auto", "all"):
        raise StudyError(f"index '{spec.name}': years {years!r} is not understood; "
                         "use 'auto', 'all', 'FIRST-LAST' (e.g. '2013-2022') or a list [first, last]")
    if isinstance(years, list) and len(years) == 2:
        return (years[0], years[1])  # [first, last] in a study file is a range
    return years


def measure_index(panel: Panel, spec: IndexSpec, base: Path | None = None) -> IndexResult:
    """Measure one [[index]] of a study (a framework file path is taken from the study file's folder ``base``,
    like the data path; a bundled framework is named)."""
    name = spec.framework
    if base is not None and Path(name).suffix in (".yaml", ".yml") and not Path(name).is_absolute() \
            and (base / name).exists():
        name = str(base / name)
    fw = load_framework(name)
    units = spec.units
    if spec.exclude_units:
        pool = units or panel.units
        unknown = [u for u in spec.exclude_units if u not in set(pool)]
        if unknown:
            raise StudyError(f"index '{spec.name}': exclude_units names {unknown}, which the panel does not hold"
                             f"{near_matches(unknown[0], pool)}; the units are named as in the data")
        units = [u for u in pool if u not in set(spec.exclude_units)]
    result = measure(panel, fw, settings=spec.settings, years=_years(spec), units=units, missing=spec.missing)
    if spec.exclude_units:
        result.provenance.note(f"{spec.name}: units excluded by the study: {', '.join(spec.exclude_units)}")
    return result


@dataclass
class AnalysisRecord:
    """One analysis of a run: its registry entry, validated options, the indices it used and its result."""

    spec: AnalysisSpec
    options: Options
    indices: list[str]
    result: Result
    label: str = ""
    #: the names of the run's tables this analysis wrote (``run.tables``)
    tables: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The study-file name: the analysis name, or a model's label."""
        return self.label or self.spec.name

    def heading(self, lang: str) -> str:
        """The report heading: the analysis label, a model's own label, and the indices it ran on."""
        on = " · ".join(self.indices)
        own = f" · {self.label}" if self.label and self.label != self.spec.name else ""
        return self.spec.label_in(lang) + own + (f" · {on}" if on else "")


@dataclass
class RunContext:
    """The :class:`~nqpf.analysis.registry.StudyContext` of a run: the panel, the indices, their roles."""

    spec: StudySpec
    panel: Panel
    results: Mapping[str, IndexResult]
    used: list[str] = field(default_factory=list)
    #: the study file's folder (relative paths of weights, groups and geography files)
    base: Path | None = None

    @property
    def kind(self) -> str:
        """The unit kind of the panel (province, city, county, firm, country, other)."""
        return self.panel.kind

    def weights(self, spec: Any, units: Sequence[str]) -> W:
        """The spatial weights for a study-file value (a [weights.*] label or a kind) over ``units``."""
        return build_weights(spec, units, kind=self.kind, panel=self.panel, named=self.spec.weights,
                             geography=self.spec.geography, base=self.base)

    def groups(self, spec: Any, units: Sequence[str]) -> Grouping:
        """The grouping for a study-file value (a [groups.*] label, a builtin set, a table, None: default)."""
        return resolve_groups(spec, units, kind=self.kind, panel=self.panel, named=self.spec.groups,
                              base=self.base)

    def indices(self, role: str) -> list[str]:
        """Names of the indices with a role (nqpf, hqd, other), in study order."""
        return [i.name for i in self.spec.index if i.role == role]

    def index(self, name: str | None = None, role: str = "nqpf") -> tuple[str, IndexResult]:
        """The named index, or the first with ``role``; recorded as used by the running analysis."""
        if name is None:
            names = self.indices(role)
            if not names:
                raise StudyError(f"the study has no index with role '{role}'; name one with index = \"...\"")
            name = names[0]
        if name not in self.results:
            raise StudyError(f"unknown index '{name}'; the study measures {list(self.results)}")
        if name not in self.used:
            self.used.append(name)
        return name, self.results[name]


@dataclass
class StudyRun:
    """Everything a study run produced: the panel, each index, each analysis result and its tables."""

    spec: StudySpec
    source: str
    panel: Panel
    results: dict[str, IndexResult]
    records: dict[str, AnalysisRecord] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    #: the study file's folder (relative paths of [geography], weights and group files)
    base: Path | None = None

    @property
    def analyses(self) -> dict[str, Result]:
        """Analysis results by study name."""
        return {k: r.result for k, r in self.records.items()}

    def by_role(self, role: str) -> list[str]:
        """Names of the indices with a role (nqpf, hqd, other), in study order."""
        return [i.name for i in self.spec.index if i.role == role]


def run_study(spec: StudySpec, source: str = "<study>", base: Path | None = None,
              progress: Callable[[str], None] | None = None) -> StudyRun:
    """Measure every index of a study and run its analyses (unknown analyses and options fail first)."""
    say = progress or (lambda _msg: None)
    where = f"{source}: "
    requested: list[tuple[str, AnalysisSpec, Options]] = []
    for name, raw in spec.analyses.items():  # before any work: unknown analyses and options
        if name not in ANALYSES:
            raise StudyError(f"{where}unknown analysis [analyses.{name}]{near_matches(name, ANALYSES)}; "
                             f"available: {', '.join(sorted(ANALYSES))}")
        entry = ANALYSES[name]
        raw = dict(raw or {})
        if raw.pop("enabled", True) is False:
            continue
        requested.append((name, entry, entry.parse(raw, where)))
    models = [n for n, e in ANALYSES.items() if e.section == "explain"]
    for label, raw in spec.models.items():  # [models.<label>] model = "<name>", then that model's options
        raw = dict(raw or {})
        kind = raw.pop("model", None)
        if kind not in models:
            hint = near_matches(str(kind), models) if kind else ""
            raise StudyError(f"{where}[models.{label}]: model = {kind!r} is not a model{hint}; "
                             f"models: {', '.join(models) or 'none'}")
        if label in spec.analyses:
            raise StudyError(f"{where}[models.{label}]: the label is also an analysis name; rename the model")
        if raw.pop("enabled", True) is False:
            continue
        entry = ANALYSES[kind]
        requested.append((label, entry, entry.parse(raw, f"{where}[models.{label}] ")))
    say("loading data")
    panel = load_panel(spec.data, base)
    results = {}
    for ix in spec.index:
        say(f"measuring {ix.name} ({ix.framework})")
        results[ix.name] = measure_index(panel, ix, base)
    run = StudyRun(spec, source, panel, results, base=base)
    prov = Provenance(inputs=list(panel.provenance.inputs))
    if "reading" in panel.provenance.settings:  # skipped sheets, missing markers counted per column
        prov.settings["reading"] = panel.provenance.settings["reading"]
    for name, res in results.items():
        prov.settings[name] = {"framework": res.framework.source, **res.settings_dict()}
        prov.cells.extend({**c, "index": name} for c in res.provenance.cells)
        prov.notes.extend(f"{name}: {n}" for n in res.provenance.notes)
    for label, entry, opts in requested:
        is_model = label != entry.name or label in spec.models
        say(f"{'model' if is_model else 'analysis'}: {label}")
        ctx = RunContext(spec, panel, results, base=base)
        section = f"[models.{label}]" if is_model else f"[analyses.{label}]"
        try:
            res = entry.run(ctx, opts)
        except NqpfError as exc:
            if isinstance(exc, StudyError) and str(exc).startswith(where):
                raise
            raise type(exc)(f"{where}{section}: {exc}") from None
        frames = entry.table_frames(res, list(ctx.used))
        if is_model:  # tables of a model are named by its label
            frames = {f"{label}{k[len(entry.name):]}" if k.startswith(entry.name) else f"{label}_{k}": v
                      for k, v in frames.items()}
        run.records[label] = AnalysisRecord(entry, opts, list(ctx.used), res, label, list(frames))
        run.tables.update(frames)
        key = f"model.{label}" if is_model else f"analysis.{label}"
        prov.settings[key] = {**({"model": entry.name} if is_model else {}), **opts.model_dump(exclude_unset=True)}
    prov.settings["study"] = spec.model_dump()
    run.provenance = prov
    return run
