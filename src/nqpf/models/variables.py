"""The variables of a model in a study (模型变量): an index, a sub-index, a panel column or an expression.

A ``[models.<label>]`` section names its variables by

- an index of the study (``"hqd"``): its score; ``"nqpf:tech"``: the sub-index (inner node) ``tech`` of it;
- a column of the panel (``"gdp"``);
- ``{name = "expression"}`` (a safe expression on the panel's columns, :mod:`nqpf.core.expr`), e.g.
  ``{market_size = "log(gdp)"}``.

:func:`study_frame` returns one tidy frame (unit, year, one column per variable) over the unit-years where
the indices are measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from nqpf.analysis.registry import StudyContext
from nqpf.core import expr
from nqpf.core.errors import StudyError, near_matches

__all__ = ["Variables", "names_of", "study_frame"]

#: How a study file names variables: one name, a list of names, or {name = expression}.
Variables = str | Sequence[str] | Mapping[str, str] | None


def names_of(v: Variables) -> list[str]:
    """The variable names of a study-file entry."""
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if isinstance(v, Mapping):
        return [str(k) for k in v]
    return [str(s) for s in v]


def _series(ctx: StudyContext, name: str, definition: str | None) -> pd.Series:
    data = ctx.panel.data
    if definition is not None:
        return expr.evaluate(definition, data, name=name).rename(name)
    index, _, node = name.partition(":")
    if index in ctx.results:
        _, res = ctx.index(index)
        col = node or "score"
        if col not in res.scores.columns:
            nodes = [c for c in res.scores.columns if c not in ("unit", "year", "rank")]
            raise StudyError(f"index '{index}' has no sub-index '{node}'{near_matches(node, nodes)}; "
                             f"sub-indices: {', '.join(nodes)}")
        return res.scores.set_index(["unit", "year"])[col].astype(float).rename(name)
    if name in data.columns:
        return data[name].astype(float).rename(name)
    known = [*ctx.results, *map(str, data.columns)]
    raise StudyError(f"unknown variable '{name}'{near_matches(name, known)}: name an index of the study "
                     f"({', '.join(ctx.results)}), a panel column, or give an expression as {{{name} = \"...\"}}")


def study_frame(ctx: StudyContext, *groups: Variables) -> pd.DataFrame:
    """A flat frame (unit, year, one column per variable) of the named variables.

    Rows are the unit-years where every index used is measured (when any is), else of the panel; missing values stay
    missing (the model decides what to do with them).
    """
    cols: dict[str, pd.Series] = {}
    for g in groups:
        defs = g if isinstance(g, Mapping) else {n: None for n in names_of(g)}
        for name, definition in defs.items():
            if name not in cols:
                cols[name] = _series(ctx, name, definition)
    frame = pd.DataFrame(cols)
    used = [n for n in cols if n.partition(":")[0] in ctx.results]
    if used:  # the unit-years where every index used is measured
        base = cols[used[0]].dropna().index
        for n in used[1:]:
            base = base.intersection(cols[n].dropna().index, sort=False)
        frame = frame.reindex(base)
    frame.index = frame.index.set_names(["unit", "year"])
    return frame.reset_index()
