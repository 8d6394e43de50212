"""The report's own chapters (报告自有章节): the overview (data, framework, method, changed cells) and the index
(map, ranking, trends, sub-indices). They render the run and its IndexResults; every other chapter holds the
analyses placed there by the analysis registry (:mod:`nqpf.report.html`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nqpf.core.i18n import t
from nqpf.core.units import KindWords, kind_words
from nqpf.study import StudyRun
from nqpf.viz.maps import map_kind

__all__ = ["LARGE_UNITS", "index_title", "is_large", "province_run", "run_kind", "unit_heading", "words"]

#: Above this many units the report and the static figures switch from one bar, heat-map row or label per unit
#: to views whose size does not grow with the units (:mod:`nqpf.report.sections.scale`): distributions,
#: the top and bottom units, group summaries and a searchable table. 60 keeps a bar chart of every unit
#: readable on one screen (about 20 px a bar) and covers every province (31) and a province's cities; a
#: country's cities (~300), counties (~2,800) and listed firms (~5,000) are large.
LARGE_UNITS = 60


def index_title(run: StudyRun, name: str, lang: str) -> str:
    """The framework title of an index with its name, e.g. ``新质生产力 (nqpf)``."""
    fw = run.results[name].framework
    return f"{fw.title_zh if lang == 'zh' else fw.title_en} ({name})"


def is_large(n_units: int) -> bool:
    """Whether a run has too many units for per-unit charts (more than :data:`LARGE_UNITS`)."""
    return n_units > LARGE_UNITS


def run_kind(run: StudyRun, units: Sequence[Any]) -> str:
    """The unit kind of a run's panel; a panel of unknown kind whose units are all provinces is "province"."""
    kind = getattr(run.panel, "kind", None)
    if kind in (None, "other", "unit") and map_kind(list(units), None) == "province":
        return "province"
    return kind or "other"


def words(run: StudyRun, units: Sequence[Any], lang: str) -> KindWords:
    """How the report speaks of these units (各省 / 各企业, 全国均值 only for all 31 provinces …)."""
    return kind_words(run_kind(run, units), lang, len(units))


def unit_heading(w: KindWords, lang: str) -> str:
    """The column heading of unit names: 地区 / Unit for provinces (as always), else the kind's noun (企业 / Firm)."""
    if w.unit in ("省份", "province"):
        return t("unit", lang)
    return w.unit[:1].upper() + w.unit[1:]


def province_run(run: StudyRun, units: Sequence[Any]) -> bool:
    """Whether the units are provinces of China (the maps are drawn)."""
    return map_kind(list(units), getattr(run.panel, "kind", None)) is not None
