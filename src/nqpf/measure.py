"""measure() (测度): Panel + Framework → IndexResult, the pandas front end of the measurement engine.

Evaluates the indicator definitions, chooses the years and units, applies the missing-value policy (every
changed cell recorded), orders the rows year by year, and hands the matrix to the one engine,
:class:`nqpf.pipeline.Pipeline`. :func:`rescore` scores changed values with everything the measurement
estimated held fixed (scenarios).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core import expr
from nqpf.core.errors import DataError, ExpressionError, MethodError, NqpfError, near_matches
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel, gap_hint, handle_missing, interpolate_within_span, longest_complete_span
from nqpf.core.provenance import Provenance
from nqpf.core.units import UNIT_KINDS
from nqpf.methods.registry import register
from nqpf.pipeline import Layout, Pipeline
from nqpf.result import IndexResult, rank_within_years
from nqpf.settings import MeasureSettings

# ---------------------------------------------------------------------------------------------
# indicator values


def indicator_values(panel: Panel, framework: Framework, units: Sequence[str] | None = None,
                     problems: list | None = None) -> pd.DataFrame:
    """Evaluate every indicator's definition on the panel (all years; the given units), in tree order.

    With a ``problems`` list, cells where a definition fails (division by zero, log of a non-positive
    value) become empty and are listed there, so that only the unit-years a measurement uses can fail.
    """
    data = panel.data
    if units is not None:
        have = set(data.index.get_level_values("unit"))
        unknown = [u for u in units if u not in have]
        if unknown:
            raise DataError(f"unit(s) {unknown} are not in the data{near_matches(str(unknown[0]), list(have))}")
        data = data[data.index.get_level_values("unit").isin(list(units))]
    cols = {}
    for ind in framework.indicators:
        try:
            cols[ind.id] = expr.evaluate(ind.expression, data, name=ind.id, problems=problems)
        except NqpfError as exc:
            raise type(exc)(f"framework '{framework.name}': {exc}") from None
    return pd.DataFrame(cols, index=data.index)


def check_domains(values: pd.DataFrame, framework: Framework) -> None:
    """Indicators declared positive or non-negative must be so in every cell used."""
    for ind in framework.indicators:
        s = values[ind.id]
        bad = (s <= 0) if ind.domain == "positive" else (s < 0) if ind.domain == "nonnegative" else None
        if bad is not None and bad.any():
            where = ", ".join(f"{u} {y} ({s[(u, y)]:g})" for u, y in s.index[bad.to_numpy()][:5])
            need = "positive" if ind.domain == "positive" else "non-negative"
            raise DataError(f"indicator '{ind.id}' ({ind.name_en}) must be {need}; found at {where}")


def coverage_by_year(values: pd.DataFrame) -> pd.DataFrame:
    """Per year: how many unit × indicator cells are empty (after any imputation)."""
    return values.isna().groupby(level="year").sum()


#: how many cells of an excluded year (or unit-years of a drop) are listed by name; all are counted
SHOWN_CELLS = 5


def excluded_years(usable: pd.DataFrame, chosen: Sequence[int], failed: pd.Index | None = None) -> list[dict]:
    """Each year ``years="auto"`` left out, and why: the empty cells (indicator × unit) that forced it.

    A year with no empty cell lies outside the longest run of complete years (a gap year separates it from
    that run). Every record: ``year``, ``reason``, ``empty_cells`` (count), ``units`` (with an empty cell),
    ``by_indicator`` (count per indicator), ``cells`` (the first :data:`SHOWN_CELLS` as indicator, unit),
    ``failed`` (unit-years where a definition failed).

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021, 2022]], names=["unit", "year"])
    >>> v = pd.DataFrame({"x": [1, 2, np.nan, 1, 2, 3.0]}, index=idx)
    >>> [(e["year"], e["empty_cells"], e["cells"]) for e in excluded_years(v, [2020, 2021])]
    [(2022, 1, [{'indicator': 'x', 'unit': 'A'}])]
    """
    years = sorted(set(int(y) for y in usable.index.get_level_values("year")))
    span = f"{min(chosen)}–{max(chosen)}" if chosen else ""
    out = []
    for y in years:
        if y in chosen:
            continue
        sub = usable[usable.index.get_level_values("year") == y]
        cells = sub.isna().stack()
        cells = cells[cells]
        bad = [] if failed is None else [u for u, yy in failed if int(yy) == y]
        rec: dict[str, Any] = {
            "year": y, "empty_cells": len(cells),
            "units": list(dict.fromkeys(str(u) for u, _y, _c in cells.index)),
            "by_indicator": {str(c): int(n) for c, n in
                             pd.Series([c for _u, _y, c in cells.index]).value_counts().items()},
            "cells": [{"indicator": str(c), "unit": str(u)} for u, _y, c in cells.index[:SHOWN_CELLS]],
            "failed": list(dict.fromkeys(str(u) for u in bad)),
        }
        rec["reason"] = ("empty cells" if len(cells) else
                         f"complete, but outside the longest run of complete years ({span})")
        out.append(rec)
    return out


def excluded_year_note(rec: dict, n_units: int, lang: str = "en") -> str:
    """One line naming an excluded year, the cells that forced it (counted, the first few listed)."""
    y, n = rec["year"], rec["empty_cells"]
    zh = lang == "zh"
    if not n:
        if zh:
            return f'years="auto" 未纳入 {y} 年：该年数据完整，但不在数据完整的最长连续年份之内'
        return f'years="auto" left out {y}: {rec["reason"]}'
    shown = ("；" if zh else "; ").join(
        (f"{c['unit']} 的 {c['indicator']}" if zh else f"{c['indicator']} at {c['unit']}") for c in rec["cells"])
    rest = n - len(rec["cells"])
    k = len(rec["units"])
    if zh:
        more = f" 等（另有 {rest} 个）" if rest > 0 else ""
        return (f'years="auto" 未纳入 {y} 年（全部 {n_units} 个单元均不含该年），原因是 {n} 个空单元格'
                f"（指标 × 单元，涉及 {k} 个单元）：{shown}{more}")
    more = f" and {rest} more" if rest > 0 else ""
    return (f'years="auto" left out {y} for all {n_units} units because of {n} empty cell{"s" if n > 1 else ""} '
            f"(indicator × unit; {k} unit{'s' if k > 1 else ''}): {shown}{more}")


def dropped_unit_years(before: pd.Index, after: pd.Index) -> dict[str, Any]:
    """The unit-years ``missing="drop"`` removed: count, per unit and per year."""
    gone = before.difference(after, sort=False)
    per_unit = pd.Series(gone.get_level_values(0)).value_counts(sort=False)
    per_year = pd.Series(gone.get_level_values(1)).value_counts()
    return {"count": len(gone),
            "by_unit": {str(u): int(n) for u, n in per_unit.items()},
            "by_year": {int(y): int(n) for y, n in sorted(per_year.items())},
            "unit_years": [[str(u), int(y)] for u, y in gone]}


def dropped_note(rec: dict, lang: str = "en") -> str:
    """One line counting the unit-years ``missing="drop"`` removed, per unit and per year."""
    zh = lang == "zh"
    sep = "；" if zh else "; "
    units = sep.join(f"{u} {n}" for u, n in list(rec["by_unit"].items())[:8])
    extra = len(rec["by_unit"]) - 8
    years = sep.join(f"{y} {n}" for y, n in rec["by_year"].items())
    if zh:
        more = f"{sep}另有 {extra} 个单元" if extra > 0 else ""
        return (f'missing="drop" 删除了 {rec["count"]} 个含空单元格的单元-年份——按单元：{units}{more}；'
                f"按年份：{years}（每个单元格见 provenance_cells.csv）")
    more = f"; and {extra} more units" if extra > 0 else ""
    return (f'missing="drop" dropped {rec["count"]} unit-year{"s" if rec["count"] > 1 else ""} with empty cells — '
            f"per unit: {units}{more}; per year: {years} (every cell in provenance_cells.csv)")


def _select(values: pd.DataFrame, framework: Framework, years: Any, missing: str | Sequence[str],
            prov: Provenance, problems: list) -> tuple[pd.DataFrame, list[dict], dict[str, Any] | None]:
    """Years and the missing-value policy, recording every changed cell.

    Cells where a definition failed (``problems``) must not be used, not even through interpolation.
    Returns the values, the years ``years="auto"`` left out (:func:`excluded_years`) and the unit-years
    ``missing="drop"`` removed (:func:`dropped_unit_years`, None without a drop step).
    """
    steps = [missing] if isinstance(missing, str) else list(missing)
    # a unit-year with no row at all is a missing unit-year: make it a row of empty cells, so that the
    # policy (and years="auto") sees it rather than leaving the unit silently out of that year
    units_in = list(dict.fromkeys(values.index.get_level_values("unit")))
    years_in = sorted(set(values.index.get_level_values("year")))
    if len(values) < len(units_in) * len(years_in):
        full = pd.MultiIndex.from_product([units_in, years_in], names=["unit", "year"])
        values = values.reindex(full)
    scratch = Provenance()
    # interpolation first (so that years="auto" sees the filled cells) only when the chain starts with it;
    # other chains run in the order given
    pre = bool(steps) and steps[0] == "interpolate"
    filled = interpolate_within_span(values, scratch) if pre else values
    yrs_all = values.index.get_level_values("year")
    excluded: list[dict] = []
    if years is None or years == "all":
        chosen = sorted(set(int(y) for y in yrs_all))
    elif years == "auto":
        usable = filled
        failed = None
        if problems:  # a cell where a definition failed is not data, even if interpolation could fill it
            failed = pd.Index([(u, y) for u, y, _msg in problems]).unique()
            usable = filled.copy()
            usable.loc[usable.index.isin(failed)] = np.nan
        chosen = longest_complete_span(usable)
        if not chosen:
            per_year = coverage_by_year(filled).sum(axis=1)
            best = int(per_year.idxmin())
            cells = filled[filled.index.get_level_values("year") == best].isna().stack()
            cells = cells[cells]
            gaps = "; ".join(f"{c} at {u}" for (u, _y, c) in cells.index[:8])
            raise DataError(
                f"framework '{framework.name}': no year has complete data for every unit and indicator "
                f"(empty cells per year: {per_year.to_dict()}); in {best}, the most complete year, "
                f"empty: {gaps}. " + gap_hint(usable)
            )
        excluded = excluded_years(usable, chosen, failed)
    elif isinstance(years, tuple) and len(years) == 2:
        chosen = list(range(int(years[0]), int(years[1]) + 1))
    else:
        try:
            if isinstance(years, str):
                raise TypeError
            chosen = sorted(int(y) for y in years)
        except (TypeError, ValueError):
            raise DataError(f"framework '{framework.name}': years={years!r} is not understood; use None, 'all', "
                            "'auto', a (first, last) tuple or a list of years") from None
    missing_years = sorted(set(chosen) - set(int(y) for y in yrs_all))
    if missing_years:
        raise DataError(f"year(s) {missing_years} are not in the data")
    keep = filled.index.get_level_values("year").isin(chosen)
    used = [msg for u, y, msg in problems if int(y) in chosen]
    if used:
        more = f" (and {len(used) - 5} more)" if len(used) > 5 else ""
        raise ExpressionError(f"framework '{framework.name}': " + "; ".join(used[:5]) + more)
    check_domains(values[values.index.get_level_values("year").isin(chosen)], framework)
    for c in scratch.cells:
        if c["year"] in chosen:
            prov.cells.append(c)
    rest = steps[1:] if pre else steps
    out = handle_missing(filled[keep], rest, prov, what=f"framework '{framework.name}'", shown_policy=missing)
    dropped = dropped_unit_years(filled[keep].index, out.index) if "drop" in rest else None
    return out, excluded, dropped


# ---------------------------------------------------------------------------------------------
# the weights table
# ---------------------------------------------------------------------------------------------
def _tree_weights(fw: Framework, leaf_w: dict[str, float]) -> pd.DataFrame:
    """One row per node and indicator: weight within its parent and global weight (sum of the leaves below)."""
    rows = []
    for it in fw.items:
        g = float(sum(leaf_w[i] for i in fw.leaves(it.id)))
        pg = 1.0 if it.parent is None else float(sum(leaf_w[i] for i in fw.leaves(it.parent)))
        w = g / pg if pg > 0 else (1.0 / len(fw.children(it.parent)) if it.parent else 1.0)
        rows.append({"id": it.id, "parent": it.parent, "level": it.level, "kind": it.kind,
                     "name_zh": it.item.name_zh, "name_en": it.item.name_en, "weight": w, "global_weight": g})
    return pd.DataFrame(rows)


def _interpolation_prose(facts: Any, lang: str) -> str:
    if lang == "zh":
        return "缺失值在各单元观测区间内按年份线性插值（不外推），每个插补单元格均记录在 provenance.json 中。"
    return ("Missing values were linearly interpolated in the calendar year within each unit's observed span (never "
            "extrapolated); every imputed cell is listed in provenance.json.")


register("technique", "interpolation", label=("缺失值线性插值", "linear interpolation of missing values"),
         page="normalization", prose=_interpolation_prose)(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# measure
# ---------------------------------------------------------------------------------------------
def measure(
    panel: Panel,
    framework: Framework,
    *,
    settings: MeasureSettings | None = None,
    years: Any = None,
    units: Sequence[str] | None = None,
    missing: str | Sequence[str] = "interpolate",
    **overrides: Any,
) -> IndexResult:
    """Measure a composite index (综合指数测度): evaluate indicators, normalise, weight every level, aggregate.

    Defaults follow the time-comparable entropy approach for panels (全局熵值法): min–max over the
    pooled panel (all units and years) with a 1e-4 shift, entropy weights on the stacked matrix, and a
    weighted sum (:class:`nqpf.settings.MeasureSettings` holds every default once).

    Parameters
    ----------
    panel : the data (unit × year rows).
    framework : the indicator tree.
    settings : MeasureSettings; keyword ``overrides`` (normalization=, scope=, weighting=, aggregation=,
        tree=, shift=, rho=, objective=, combine=, alpha=, allow_inconsistent_ahp=) change single fields.
    years : None (the framework's declared sample, else all years), "all", "auto" (the longest run of years
        with complete data after the missing-value policy), a (first, last) tuple, or a list of years.
    units : None (the framework's declared sample, else all units) or a list.
    missing : "error", "interpolate" (linear within each unit's observed span), "drop", or a chain such as
        ["interpolate", "drop"].

    Returns
    -------
    IndexResult : scores (N rows = unit-years), weights, normalised matrix, bounds, provenance, and the fitted
        pipeline (``result.fit``) that ``rescore`` and the uncertainty analyses reuse.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> res.years[0], res.years[-1], len(res.units)
    (2013, 2023, 30)
    """
    s = (settings or MeasureSettings()).replace(**overrides) if overrides else (settings or MeasureSettings())
    prov = Provenance(inputs=list(panel.provenance.inputs), cells=list(panel.provenance.cells),
                      notes=list(panel.provenance.notes))
    declared = []
    if units is None:
        units = framework.default_units(panel.units)
        if units is not None:
            declared.append(f"{len(units)} units")
    if years is None and framework.default_years is not None:
        years = tuple(framework.default_years)
        declared.append(f"years {years[0]}–{years[1]}")
    if declared:
        prov.note(f"{framework.name}: {' and '.join(declared)} from the framework's declared sample "
                  f"({(framework.spec.sample.note if framework.spec.sample else '') or 'complete data'})")
    pipe = Pipeline(framework, s, strict=True)  # checks method/tree combinations before any work
    problems: list = []
    values_all = indicator_values(panel, framework, units, problems)
    values, excluded, dropped = _select(values_all, framework, years, missing, prov, problems)
    for rec in excluded:
        prov.note(f"{framework.name}: {excluded_year_note(rec, len(set(values.index.get_level_values('unit'))))}")
    if dropped and dropped["count"]:
        prov.note(f"{framework.name}: {dropped_note(dropped)}")
    # rows ordered by year, then by the panel's unit order
    unit_order = {u: i for i, u in enumerate(panel.units)}
    order = sorted(range(len(values)), key=lambda i: (values.index[i][1], unit_order.get(values.index[i][0], 0)))
    values = values.iloc[order]
    ids = framework.indicator_ids
    X = values.to_numpy(dtype=float)
    year_arr = values.index.get_level_values("year").to_numpy().astype(int)
    layout = Layout.of(year_arr)
    try:
        fit = pipe.fit(X, layout)
    except MethodError as exc:
        raise MethodError(f"framework '{framework.name}': {exc}", exc.column, exc.row) from None
    uyears = layout.year_list
    lo_hi = [(X[g].min(axis=0), X[g].max(axis=0), y) for g, y in
             zip(layout.groups(s.scope == "per_year"), uyears if s.scope == "per_year" else [None], strict=False)]
    bounds = pd.DataFrame([{"year": y, "indicator": i, "low": lo[j], "high": hi[j]}
                           for lo, hi, y in lo_hi for j, i in enumerate(ids)])
    bounds = bounds.drop(columns="year").set_index("indicator") if s.scope == "pooled" \
        else bounds.set_index(["year", "indicator"])
    weights_by_year = None
    if fit.weights_by_year is not None:
        weights_by_year = pd.DataFrame(fit.weights_by_year, index=pd.Index(uyears, name="year"), columns=ids)
    weights_table = _tree_weights(framework, dict(zip(ids, fit.weights, strict=True)))
    table = _score_table(framework, values.index, fit.scores)
    info = fit.info
    settings_dict: dict[str, Any] = {
        "normalization": s.normalization, "scope": s.scope, "shift": s.shift, "weighting": s.weighting,
        "aggregation": s.aggregation, "tree": s.tree, "missing": missing if isinstance(missing, str) else list(missing),
        "years": [uyears[0], uyears[-1]], "n_years": len(uyears), "n_units": int(table["unit"].nunique()),
    }
    if excluded:
        settings_dict["excluded_years"] = excluded
    if dropped is not None:
        settings_dict["dropped_unit_years"] = dropped
    if s.aggregation == "gra":
        settings_dict["rho"] = s.rho
    if s.weighting == "combined":
        settings_dict["combined"] = info.get("combined")
    if "ahp_cr" in info:
        settings_dict["ahp_consistency_ratio"] = info["ahp_cr"]
    prov.settings[framework.name] = {**settings_dict, "framework": framework.source}
    prov.notes.extend(_method_notes(settings_dict))
    return IndexResult(
        framework=framework,
        values=values,
        normalized=pd.DataFrame(fit.Z, index=values.index, columns=ids),
        scores=table,
        weights=weights_table,
        bounds=bounds,
        settings=settings_dict,
        provenance=prov,
        weights_by_year=weights_by_year,
        measure_settings=s,
        fit=fit,
        # the panel's kind when it has one (a city panel on the user's own framework says 各市), else inferred
        kind=panel.kind if panel.kind in UNIT_KINDS and panel.kind != "other" else None,
    )


def _score_table(fw: Framework, index: pd.MultiIndex, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """unit, year, score (the target), rank within the year, one column per inner node."""
    table = pd.DataFrame({"unit": index.get_level_values("unit"),
                          "year": index.get_level_values("year").to_numpy().astype(int)})
    table["score"] = scores[fw.target.id]
    table["rank"] = rank_within_years(table)
    for node in fw.nodes[1:]:
        table[node.id] = scores[node.id]
    return table


def _method_notes(settings: dict) -> list[str]:
    notes = []
    if settings["scope"] == "pooled":
        notes.append("Normalisation bounds are taken over the pooled panel (all units and years), so scores are "
                     "comparable across years (time-comparable/global method).")
    else:
        notes.append("Normalisation is per year (cross-section): scores rank units within a year but are NOT "
                     "comparable across years.")
    if settings["weighting"] == "entropy":
        notes.append("Entropy weights are computed per year; the weights table shows their mean over years.")
    return notes


def rescore(result: IndexResult, values: pd.DataFrame) -> pd.DataFrame:
    """Scores for changed raw indicator values, holding bounds, weights and reference points fixed.

    ``values`` has the same index and columns as ``result.values``. Used by scenarios: the changed
    rows are normalised with the original parameters (values outside the bounds score beyond [0, 1]) and
    aggregated with the original weights; TOPSIS ideals and the GRA reference are those of the
    original matrix. Ranks are recomputed within each year.

    Parameters
    ----------
    result : the measured index; values : DataFrame (N, m) like ``result.values``.

    Returns
    -------
    DataFrame : unit, year, score, rank, one column per inner node.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> bool((rescore(res, res.values)["score"].to_numpy() == res.scores["score"].to_numpy()).all())
    True
    """
    if list(values.columns) != list(result.values.columns) or not values.index.equals(result.values.index):
        raise DataError("rescore: values must have the same index and columns as result.values")
    X = values.to_numpy(dtype=float)
    if not np.isfinite(X).all():
        i, j = (int(v) for v in np.argwhere(~np.isfinite(X))[0])
        u, y = values.index[i]
        raise DataError(f"rescore: indicator '{values.columns[j]}' has no value at {u} {y}")
    fit = result.fitted()
    _, scores = fit.transform(X)
    return _score_table(result.framework, values.index, scores)
