"""The study file (研究设定): a small TOML file saying which data, which frameworks, which methods and analyses,
and where the outputs go. :func:`load_study` reads and validates it; :mod:`nqpf.study.runner` runs it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nqpf.core.cleaning import CleanSpec
from nqpf.core.errors import StudyError
from nqpf.core.groups import GroupsSpec
from nqpf.core.paths import PACKAGE_DIR
from nqpf.geo.geometry import GeographySpec
from nqpf.geo.weights import WeightsSpec
from nqpf.settings import MeasureSettings

__all__ = ["DEFAULT_STUDY", "DataSpec", "IndexSpec", "OutputSpec", "StudySpec", "bundled_studies", "load_study"]

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
    #: the sheet of a workbook to read (name or 0-based position); None: every data sheet
    sheet: str | int | None = None
    #: spelling → the name used in the panel (苏州 = "苏州市"), applied before units are matched
    rename: dict[str, str] = Field(default_factory=dict)
    #: a CSV ``from,to`` with more renames
    rename_file: str | None = None
    #: text columns kept as labels (industry, province …), not indicators
    labels: list[str] = Field(default_factory=list)
    clean: CleanSpec = Field(default_factory=CleanSpec)

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.dataset is None) == (self.path is None):
            raise ValueError("give exactly one of 'dataset' (bundled) or 'path' (a file)")
        return self


class IndexSpec(MeasureSettings):
    """One index to measure: a framework, which units and years, and the method choices.

    The method fields (normalization, scope, weighting, aggregation, tree, shift, rho, objective, combine,
    alpha, allow_inconsistent_ahp) and their defaults are those of :class:`nqpf.settings.MeasureSettings`.
    """

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    framework: str
    #: nqpf, hqd; traditional (traditional productive forces) and relations (production relations) for the
    #: three-relations analyses; other
    role: Literal["nqpf", "hqd", "traditional", "relations", "other"] = "nqpf"
    years: str | list[int] | None = None  # None: the framework's sample; "auto"; "2013-2019"; [first, last]
    units: list[str] | None = None
    exclude_units: list[str] = Field(default_factory=list)
    missing: str | list[str] = "interpolate"

    @property
    def settings(self) -> MeasureSettings:
        """The method choices alone."""
        return MeasureSettings.of(**{k: getattr(self, k) for k in MeasureSettings.model_fields})


class OutputSpec(_Strict):
    """``[output]``: folder, language, Excel, the unit briefs, and the colours of the maps (``map_classes``:
    "continuous" or classes as GeoDa offers them, "quantiles", "natural_breaks", "equal_interval", with
    ``map_k`` classes)."""

    dir: str = "out"
    lang: Literal["zh", "en"] = "en"
    excel: bool = True
    #: one brief per unit: the report's chapter "各单元简报 / Unit briefs", briefs.pdf (one A4 page per unit)
    #: and tables/briefs.csv with tables/brief_sources.csv (where every number comes from)
    briefs: bool = False
    map_classes: Literal["continuous", "quantiles", "natural_breaks", "equal_interval"] = "continuous"
    map_k: int = Field(default=5, ge=2, le=9)


class StudySpec(_Strict):
    """The whole study file."""

    name: str
    title: str = ""
    description: str = ""
    data: DataSpec
    index: list[IndexSpec]
    analyses: dict[str, dict[str, Any]] = Field(default_factory=dict)
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    weights: dict[str, WeightsSpec] = Field(default_factory=dict)
    groups: dict[str, GroupsSpec] = Field(default_factory=dict)
    geography: GeographySpec | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)

    @model_validator(mode="after")
    def _unique_names(self) -> StudySpec:
        names = [i.name for i in self.index]
        if len(set(names)) != len(names):
            raise ValueError(f"index names must be unique, got {names}")
        if not names:
            raise ValueError("a study needs at least one [[index]]")
        return self


def bundled_studies() -> list[str]:
    """Names of the studies bundled with nqpf (``nqpf run NAME`` runs one)."""
    return sorted(p.stem for p in (PACKAGE_DIR / "studies").glob("*.toml"))


def load_study(path: str | Path | None = None) -> tuple[StudySpec, str]:
    """Read and validate a study TOML file, or a bundled study by name (the default study when None).

    Examples
    --------
    >>> spec, source = load_study()
    >>> spec.name, source
    ('china-provinces', 'bundled study china-provinces')
    """
    name = DEFAULT_STUDY if path is None else str(path)
    if path is None or (not Path(name).suffix and not Path(name).exists() and name in bundled_studies()):
        text = (PACKAGE_DIR / "studies" / f"{name}.toml").read_text(encoding="utf-8")
        source = f"bundled study {name}"
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
