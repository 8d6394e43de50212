"""The analyses a study can ask for, wired to the pandas-facing analysis functions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from nqpf.errors import StudyError
from nqpf.study import StudyRun, analysis


def _index(run: StudyRun, name: str | None, role: str = "nqpf") -> tuple[str, Any]:
    if name is None:
        names = run.by_role(role)
        if not names:
            raise StudyError(f"the study has no index with role '{role}'")
        name = names[0]
    if name not in run.results:
        raise StudyError(f"unknown index '{name}'; the study measures {list(run.results)}")
    return name, run.results[name]


@analysis("compare")
def _compare(run: StudyRun, indices: list[str] | None = None, top: int = 5) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.agreement import rank_agreement

    names = indices or run.by_role("nqpf")
    if len(names) < 2:
        raise StudyError("[analyses.compare] needs two indices")
    a, b = names[:2]
    res = rank_agreement(run.results[a], run.results[b], a, b, top=top)
    return res, {f"compare_{a}_vs_{b}": res.to_frame()}
