"""measure(): Panel + Framework → IndexResult (normalise, weight at every level, aggregate)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core import expr
from nqpf.core.errors import DataError, ExpressionError, FrameworkError, MethodError, NqpfError, near_matches
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel, handle_missing, interpolate_within_span
from nqpf.core.provenance import Provenance
from nqpf.methods import aggregate as agg
from nqpf.methods import normalize as nz
from nqpf.methods import weights as wt
from nqpf.result import IndexResult, rank_within_years
from nqpf.settings import MeasureSettings

NORMALIZATIONS = ("minmax", "zscore", "vector")
SCOPES = ("pooled", "per_year")
WEIGHTINGS = ("global_entropy", "entropy", "critic", "cv", "equal", "ahp", "combined")
AGGREGATIONS = ("weighted_sum", "topsis", "gra")
TREES = ("flat", "hierarchical")


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


def longest_complete_span(values: pd.DataFrame) -> list[int]:
    """The longest run of consecutive years in which no cell is empty (latest run wins ties)."""
    empty = values.isna().any(axis=1).groupby(level="year").any()
    best: list[int] = []
    run: list[int] = []
    for y in sorted(empty.index):
        if not empty[y] and (not run or y == run[-1] + 1):
            run.append(int(y))
        elif not empty[y]:
            run = [int(y)]
        else:
            run = []
        if len(run) >= len(best):
            best = list(run)
    return best


def _select(values: pd.DataFrame, framework: Framework, years: Any, missing: str | Sequence[str],
            prov: Provenance, problems: list) -> pd.DataFrame:
    """Years and the missing-value policy, recording every changed cell.

    Cells where a definition failed (``problems``) must not be used, not even through interpolation.
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
    if years is None or years == "all":
        chosen = sorted(set(int(y) for y in yrs_all))
    elif years == "auto":
        usable = filled
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
                f"empty: {gaps}. Exclude those units, restrict the years, or change the framework."
            )
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
    return handle_missing(filled[keep], rest, prov, what=f"framework '{framework.name}'")


# ---------------------------------------------------------------------------------------------
# kernels with names


def _named(fn, labels: list[str], context: str = ""):
    """Call a kernel; re-raise MethodError with the indicator name (and unit-year) it concerns."""
    def call(*args, row_labels: list | None = None, **kw):
        try:
            return fn(*args, **kw)
        except MethodError as exc:
            parts = []
            if exc.column is not None and exc.column < len(labels):
                parts.append(f"indicator '{labels[exc.column]}'")
            if exc.row is not None and row_labels is not None and exc.row < len(row_labels):
                u, y = row_labels[exc.row]
                parts.append(f"at {u} {y}")
            where = (" ".join(parts) + ": ") if parts else ""
            msg = str(exc)
            prefix = context if not msg.startswith(context.rstrip(": ")) else ""
            raise MethodError(f"{prefix}{where}{msg}", exc.column, exc.row) from None
    return call


def _normalize_block(X: np.ndarray, fw: Framework, method: str, shift: float,
                     bounds: tuple[np.ndarray, np.ndarray] | None, labels: list[str], context: str,
                     rows: list) -> np.ndarray:
    inds = fw.indicators
    if method == "minmax":
        Z = np.empty_like(X)
        interval = np.array([i.direction == "interval" for i in inds])
        positive = np.array([i.direction != "negative" for i in inds])
        mono = ~interval
        if mono.any():
            b = None if bounds is None else (bounds[0][mono], bounds[1][mono])
            Z[:, mono] = _named(nz.minmax, [lab for lab, m in zip(labels, mono, strict=True) if m], context)(
                X[:, mono], positive[mono], shift=shift, bounds=b, row_labels=rows)
        for j in np.flatnonzero(interval):
            b = None if bounds is None else (bounds[0][[j]], bounds[1][[j]])
            lo, hi = inds[j].best  # type: ignore[misc]
            Z[:, [j]] = _named(nz.interval, [labels[j]], context)(
                X[:, [j]], np.array([lo]), np.array([hi]), shift=shift, bounds=b, row_labels=rows)
        return Z
    if any(i.direction == "interval" for i in inds):
        raise MethodError(f"{context}{method} normalisation does not support interval indicators; use minmax")
    positive = np.array([i.direction == "positive" for i in inds])
    fn = nz.zscore if method == "zscore" else nz.vector
    return _named(fn, labels, context)(X, positive, row_labels=rows)


def _fixed_affine(X: np.ndarray, X_ref: np.ndarray, fw: Framework, method: str) -> np.ndarray:
    """z-score / vector normalisation of X with the parameters of the original matrix X_ref (for rescore).

    Same formulas as :func:`nqpf.methods.normalize.zscore` (Jain et al. 2005, Pattern Recognition 38(12)) and
    :func:`nqpf.methods.normalize.vector` (Hwang & Yoon 1981, Multiple Attribute Decision Making), but the
    mean/sd or column norm come from X_ref, so that changing one unit-year moves only that unit-year.
    """
    pos = np.array([i.direction == "positive" for i in fw.indicators])
    if method == "zscore":
        mu, sd = X_ref.mean(axis=0), X_ref.std(axis=0, ddof=1)
        return (X - mu) / np.where(pos, sd, -sd)
    R = X / np.sqrt(np.einsum("ij,ij->j", X_ref, X_ref))
    R[:, ~pos] = 1.0 - R[:, ~pos]
    return R


def _objective(kind: str, Z: np.ndarray, X: np.ndarray, labels: list[str], rows: list) -> np.ndarray:
    if kind in ("global_entropy", "entropy"):
        return _named(wt.entropy, labels, "entropy weights: ")(Z, row_labels=rows)
    if kind == "critic":
        return _named(wt.critic, labels, "CRITIC weights: ")(Z, row_labels=rows)
    if kind == "cv":
        return _named(wt.cv, labels, "CV weights: ")(X, row_labels=rows)
    if kind == "equal":
        return wt.equal(Z.shape[1])
    raise MethodError(f"'{kind}' is not an objective weighting method; "
                      "use global_entropy, entropy, critic, cv or equal")


def _aggregate(kind: str, Z: np.ndarray, w: np.ndarray, ref: np.ndarray, rho: float) -> np.ndarray:
    """Aggregate rows of Z with weights w; TOPSIS ideals and the GRA reference come from ``ref``."""
    if kind == "weighted_sum":
        return agg.weighted_sum(Z, w)
    if kind == "topsis":
        V = ref * w
        return agg.topsis(Z, w, ideal=V.max(axis=0), anti_ideal=V.min(axis=0))
    if kind == "gra":
        return agg.gra(Z, w, rho=rho, reference=ref.max(axis=0))
    raise MethodError(f"unknown aggregation {kind!r}; use one of {AGGREGATIONS}")


# ---------------------------------------------------------------------------------------------
# weights down the tree


def _tree_weights(fw: Framework, leaf_w: dict[str, float] | None, local: dict[str, dict[str, float]] | None
                  ) -> pd.DataFrame:
    """The weights table from either leaf (global) weights or local weights per node."""
    rows = []
    glob: dict[str, float] = {}
    for it in fw.items:
        if local is not None:
            w = 1.0 if it.parent is None else local[it.parent][it.id]
            g = 1.0 if it.parent is None else glob[it.parent] * w
        else:
            g = float(sum(leaf_w[i] for i in fw.leaves(it.id)))  # type: ignore[index]
            pg = 1.0 if it.parent is None else float(sum(leaf_w[i] for i in fw.leaves(it.parent)))  # type: ignore[index]
            w = g / pg if pg > 0 else (1.0 / len(fw.children(it.parent)) if it.parent else 1.0)
        glob[it.id] = g
        rows.append({"id": it.id, "parent": it.parent, "level": it.level, "kind": it.kind,
                     "name_zh": it.item.name_zh, "name_en": it.item.name_en, "weight": w, "global_weight": g})
    return pd.DataFrame(rows)


def _hierarchical_local(fw: Framework, Z: np.ndarray, X: np.ndarray, kind: str, rows: list,
                        info: dict) -> dict[str, dict[str, float]]:
    """Local weights per node, bottom-up: children's weights from the children's (sub-index) matrix."""
    col = {i: j for j, i in enumerate(fw.indicator_ids)}
    ahp = fw.ahp_matrices() if kind == "ahp" else {}
    local: dict[str, dict[str, float]] = {}
    sub: dict[str, np.ndarray] = {}

    def visit(node_id: str) -> np.ndarray:
        kids = fw.children(node_id)
        if not kids:
            return Z[:, col[node_id]]
        M = np.column_stack([visit(k) for k in kids])
        Mx = np.column_stack([X[:, col[k]] if k in col else sub[k] for k in kids])
        if len(kids) == 1:
            w = np.ones(1)
        elif kind == "ahp":
            if node_id not in ahp:
                raise FrameworkError(
                    f"framework '{fw.name}': node '{node_id}' has no 'ahp' pairwise matrix; AHP weighting "
                    "needs one at every node with two or more children")
            try:
                w, cr = wt.ahp(np.array(ahp[node_id]), allow_inconsistent=info.get("allow_inconsistent", False))
            except MethodError as exc:
                raise MethodError(f"AHP matrix of node '{node_id}': {exc}", exc.column, exc.row) from None
            info.setdefault("ahp_cr", {})[node_id] = float(cr)
        else:
            w = _objective(kind, M, Mx, kids, rows)
        local[node_id] = dict(zip(kids, (float(v) for v in w), strict=True))
        s = M @ w
        sub[node_id] = s
        return s

    visit(fw.target.id)
    return local


def _leaf_weights(fw: Framework, Z: np.ndarray, X: np.ndarray, weighting: str, tree: str, rows: list,
                  info: dict, objective: str, combine: str, alpha: float) -> np.ndarray:
    ids = fw.indicator_ids
    if weighting == "combined":
        subj = _leaf_weights(fw, Z, X, "ahp", "hierarchical", rows, info, objective, combine, alpha)
        obj = _leaf_weights(fw, Z, X, objective, tree, rows, info, objective, combine, alpha)
        w, cinfo = wt.combined(subj, obj, how=combine, alpha=alpha)
        info["combined"] = {"how": combine, "objective": objective, "subjective": "ahp",
                            **{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in cinfo.items()}}
        return np.asarray(w, dtype=float)
    if weighting == "ahp" or tree == "hierarchical":
        local = _hierarchical_local(fw, Z, X, weighting, rows, info)
        table = _tree_weights(fw, None, local).set_index("id")
        return table.loc[ids, "global_weight"].to_numpy(dtype=float)
    return _objective(weighting, Z, X, ids, rows)


# ---------------------------------------------------------------------------------------------
# measure


def measure(
    panel: Panel,
    framework: Framework,
    *,
    settings: MeasureSettings | None = None,
    normalization: str = "minmax",
    scope: str = "pooled",
    weighting: str = "global_entropy",
    aggregation: str = "weighted_sum",
    tree: str = "flat",
    years: Any = None,
    units: Sequence[str] | None = None,
    missing: str | Sequence[str] = "interpolate",
    shift: float = 1e-4,
    rho: float = 0.5,
    objective: str = "global_entropy",
    combine: str = "multiplicative",
    alpha: float = 0.5,
    allow_inconsistent_ahp: bool = False,
) -> IndexResult:
    """Measure a composite index: evaluate indicators, normalise, weight every level, aggregate.

    Defaults follow the time-comparable entropy approach for panels (全局熵值法): min–max over the
    pooled panel (all units and years) with a 1e-4 shift, entropy weights on the stacked matrix, and
    a weighted sum. ``years``: None (the framework's declared sample, else all years), "all", "auto"
    (the longest run of years with complete data after the missing-value policy), a (first, last)
    tuple, or a list of years. ``units``: None (the framework's declared sample, else all units) or
    a list. ``missing``: "error", "interpolate" (linear within each unit's observed span), "drop", or
    a chain such as ["interpolate", "drop"].
    """
    if settings is not None:
        normalization, scope, shift = settings.normalization, settings.scope, settings.shift
        weighting = settings.weighting
        aggregation, tree, rho, objective = settings.aggregation, settings.tree, settings.rho, settings.objective
        combine, alpha, allow_inconsistent_ahp = settings.combine, settings.alpha, settings.allow_inconsistent_ahp
    for arg, val, options in (("normalization", normalization, NORMALIZATIONS), ("scope", scope, SCOPES),
                              ("weighting", weighting, WEIGHTINGS), ("aggregation", aggregation, AGGREGATIONS),
                              ("tree", tree, TREES)):
        if val not in options:
            raise NqpfError(f"unknown {arg} {val!r}; use one of {list(options)}")
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
    problems: list = []
    values_all = indicator_values(panel, framework, units, problems)
    values = _select(values_all, framework, years, missing, prov, problems)
    # rows ordered by year, then by the panel's unit order
    unit_order = {u: i for i, u in enumerate(panel.units)}
    order = sorted(range(len(values)), key=lambda i: (values.index[i][1], unit_order.get(values.index[i][0], 0)))
    values = values.iloc[order]
    rows = list(values.index)
    ids = framework.indicator_ids
    X = values.to_numpy(dtype=float)
    year_arr = values.index.get_level_values("year").to_numpy()
    uyears = sorted(set(int(y) for y in year_arr))

    # normalisation
    if scope == "pooled":
        groups = {"all": np.arange(len(values))}
    else:
        groups = {y: np.flatnonzero(year_arr == y) for y in uyears}
    Z = np.empty_like(X)
    bounds_rows = []
    for g, idx in groups.items():
        ctx = f"{normalization} normalisation" + ("" if g == "all" else f" in {g}") + ": "
        Z[idx] = _normalize_block(X[idx], framework, normalization, shift, None, ids, ctx, [rows[i] for i in idx])
        lo, hi = np.nanmin(X[idx], axis=0), np.nanmax(X[idx], axis=0)
        for j, i in enumerate(ids):
            bounds_rows.append({"year": None if g == "all" else g, "indicator": i, "low": lo[j], "high": hi[j]})
    bounds = pd.DataFrame(bounds_rows)
    bounds = bounds.drop(columns="year").set_index("indicator") if scope == "pooled" \
        else bounds.set_index(["year", "indicator"])

    # weights
    info: dict[str, Any] = {"allow_inconsistent": allow_inconsistent_ahp}
    weights_by_year = None
    if weighting == "entropy":
        if tree != "flat":
            raise NqpfError("per-cross-section entropy weighting is flat; use tree='flat' or global_entropy")
        per = {}
        for y in uyears:
            idx = np.flatnonzero(year_arr == y)
            per[y] = _named(wt.entropy, ids, f"entropy weights in {y}: ")(Z[idx], row_labels=[rows[i] for i in idx])
        weights_by_year = pd.DataFrame(per, index=ids).T
        weights_by_year.index.name = "year"
        leaf_w = weights_by_year.mean(axis=0).to_numpy()
    else:
        leaf_w = _leaf_weights(framework, Z, X, weighting, tree, rows, info, objective, combine, alpha)
    leaf_w = np.asarray(leaf_w, dtype=float)
    weights_table = _tree_weights(framework, dict(zip(ids, leaf_w, strict=True)), None)

    # aggregation: the target and every inner node
    scores = _score_all(framework, Z, Z, year_arr, scope, aggregation, rho,
                        leaf_w if weights_by_year is None else weights_by_year, groups)
    table = pd.DataFrame({"unit": [r[0] for r in rows], "year": year_arr.astype(int)})
    table["score"] = scores[framework.target.id]
    table["rank"] = rank_within_years(table)
    for node in framework.nodes[1:]:
        table[node.id] = scores[node.id]

    settings = {
        "normalization": normalization, "scope": scope, "shift": shift, "weighting": weighting,
        "aggregation": aggregation, "tree": tree, "missing": missing if isinstance(missing, str) else list(missing),
        "years": [uyears[0], uyears[-1]], "n_years": len(uyears), "n_units": int(table["unit"].nunique()),
    }
    if aggregation == "gra":
        settings["rho"] = rho
    if weighting == "combined":
        settings["combined"] = info.get("combined")
    if "ahp_cr" in info:
        settings["ahp_consistency_ratio"] = info["ahp_cr"]
    prov.settings[framework.name] = {**settings, "framework": framework.source}
    prov.notes.extend(_method_notes(settings))
    result = IndexResult(
        framework=framework,
        values=values,
        normalized=pd.DataFrame(Z, index=values.index, columns=ids),
        scores=table,
        weights=weights_table,
        bounds=bounds,
        settings=settings,
        provenance=prov,
        weights_by_year=weights_by_year,
    )
    return result


def _score_all(fw: Framework, Z: np.ndarray, ref: np.ndarray, year_arr: np.ndarray, scope: str,
               aggregation: str, rho: float, leaf_w: np.ndarray | pd.DataFrame,
               groups: dict) -> dict[str, np.ndarray]:
    """Scores of every inner node: its leaves aggregated with their weights renormalised to sum 1.

    ``ref`` holds the rows that define TOPSIS ideals and the GRA reference (Z itself when measuring;
    the original matrix when rescoring a scenario).
    """
    ids = fw.indicator_ids
    col = {i: j for j, i in enumerate(ids)}
    out: dict[str, np.ndarray] = {}
    per_year = isinstance(leaf_w, pd.DataFrame)
    agg_groups = groups if (scope == "per_year" or per_year) else {"all": np.arange(len(Z))}
    if per_year and scope == "pooled":
        agg_groups = {y: np.flatnonzero(year_arr == y) for y in sorted(set(year_arr))}
    for node in fw.nodes:
        leaves = [col[i] for i in fw.leaves(node.id)]
        s = np.empty(len(Z))
        for g, idx in agg_groups.items():
            w_all = leaf_w.loc[g].to_numpy() if per_year else leaf_w
            w = w_all[leaves]
            tot = w.sum()
            w = w / tot if tot > 0 else np.full(len(leaves), 1.0 / len(leaves))
            ref_idx = idx if ref is Z else _ref_rows(ref, year_arr, g)
            s[idx] = _aggregate(aggregation, Z[np.ix_(idx, leaves)], w, ref[np.ix_(ref_idx, leaves)], rho)
        out[node.id] = s
    return out


def _ref_rows(ref: np.ndarray, year_arr: np.ndarray, g: Any) -> np.ndarray:
    return np.arange(len(ref)) if g == "all" else np.flatnonzero(year_arr == g)


def _method_notes(settings: dict) -> list[str]:
    notes = []
    if settings["scope"] == "pooled":
        notes.append("Normalisation bounds are taken over the pooled panel (all units and years), so scores "
                     "are comparable across years (time-comparable/global method).")
    else:
        notes.append("Normalisation is per year (cross-section): scores rank units within a year but are NOT "
                     "comparable across years.")
    if settings["weighting"] == "entropy":
        notes.append("Entropy weights are computed per year; the weights table shows their mean over years.")
    return notes


def rescore(result: IndexResult, values: pd.DataFrame) -> pd.DataFrame:
    """Scores for changed raw indicator values, holding bounds, weights and reference points fixed.

    ``values`` has the same index and columns as ``result.values``. Used by scenarios: the changed
    rows are normalised with the original bounds (values outside them score beyond [0, 1]) and
    aggregated with the original weights; TOPSIS ideals and the GRA reference are those of the
    original matrix. Ranks are recomputed within each year.
    """
    fw = result.framework
    if list(values.columns) != list(result.values.columns) or not values.index.equals(result.values.index):
        raise DataError("rescore: values must have the same index and columns as result.values")
    s = result.settings
    ids = fw.indicator_ids
    X = values.to_numpy(dtype=float)
    year_arr = values.index.get_level_values("year").to_numpy()
    Z = np.empty_like(X)
    if s["normalization"] != "minmax":
        # z-score and vector parameters are those of the original matrix (pooled, or each year's)
        X0 = result.values.to_numpy(dtype=float)
        if s["scope"] == "pooled":
            groups = {"all": np.arange(len(X))}
            Z[:] = _fixed_affine(X, X0, fw, s["normalization"])
        else:
            groups = {}
            for y in sorted(set(year_arr)):
                idx = groups[y] = np.flatnonzero(year_arr == y)
                Z[idx] = _fixed_affine(X[idx], X0[idx], fw, s["normalization"])
    elif s["scope"] == "pooled":
        groups = {"all": np.arange(len(X))}
        b = result.bounds.loc[ids]
        Z[:] = _normalize_block(X, fw, s["normalization"], s["shift"],
                                (b["low"].to_numpy(), b["high"].to_numpy()), ids, "rescore: ", list(values.index))
    else:
        groups = {}
        for y in sorted(set(year_arr)):
            idx = np.flatnonzero(year_arr == y)
            groups[y] = idx
            b = result.bounds.loc[y].loc[ids]
            Z[idx] = _normalize_block(X[idx], fw, s["normalization"], s["shift"],
                                      (b["low"].to_numpy(), b["high"].to_numpy()), ids, "rescore: ",
                                      [values.index[i] for i in idx])
    wby = result.weights_by_year
    leaf_w = wby if wby is not None else result.indicator_weights.to_numpy()
    ref = result.normalized.to_numpy()
    scores = _score_all(fw, Z, ref, year_arr, s["scope"], s["aggregation"], s.get("rho", 0.5), leaf_w, groups)
    table = pd.DataFrame({"unit": values.index.get_level_values("unit"), "year": year_arr.astype(int)})
    table["score"] = scores[fw.target.id]
    table["rank"] = rank_within_years(table)
    for node in fw.nodes[1:]:
        table[node.id] = scores[node.id]
    return table
