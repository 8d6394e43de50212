"""The report's own chapters (报告自有章节): the overview (data, framework, method, changed cells) and the index
(map, ranking, trends, sub-indices). They render the run and its IndexResults; every other chapter holds the
analyses placed there by the analysis registry (:mod:`nqpf.report.html`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nqpf.study import StudyRun
from nqpf.viz.maps import map_kind

__all__ = ["LARGE_UNITS", "index_title", "is_large", "province_run"]

#: Above this many units the views switch from per-unit charts to distributions and top/bottom lists.
LARGE_UNITS = 300


def index_title(run: StudyRun, name: str, lang: str) -> str:
    """The framework title of an index with its name, e.g. ``新质生产力 (nqpf)``."""
    fw = run.results[name].framework
    return f"{fw.title_zh if lang == 'zh' else fw.title_en} ({name})"


def is_large(n_units: int) -> bool:
    """Whether a run has too many units for per-unit charts (more than :data:`LARGE_UNITS`)."""
    return n_units > LARGE_UNITS


def province_run(run: StudyRun, units: Sequence[Any]) -> bool:
    """Whether the units are provinces of China (the maps are drawn)."""
    return map_kind(list(units), getattr(run.panel, "kind", None)) is not None
