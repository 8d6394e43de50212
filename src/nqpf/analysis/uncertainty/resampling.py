"""Bootstrap confidence intervals (自助法置信区间) for the indicator weights, the mean index and Dagum's Gini.

Efron (1979), Ann. Statist. 7(1), 1-26. Units (or unit-years) are resampled and the whole measurement is
redone on every resample by the measurement engine on a stack of matrices (resamples × unit-years ×
indicators): normalisation bounds, weights at every level of the tree, aggregation.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.analysis.disparity import _dagum_components, _pair_sums, dagum_gini
from nqpf.analysis.uncertainty.common import _BATCH_ELEMENTS, check_int, check_level, layout_of, summarise
from nqpf.core.errors import DataError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.groups import Grouping, resolve_groups
from nqpf.core.interface import Result
from nqpf.core.rng import generator
from nqpf.measure import measure
from nqpf.pipeline import Layout, Pipeline
from nqpf.result import IndexResult

__all__ = ["BootstrapResult", "bootstrap"]


def _dagum_batch(Y: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """Dagum (1997) G, Gw, Gnb, Gt for each row of Y (b, n) with fixed group codes g (n,): (b, 4).

    The batched kernel of :mod:`nqpf.analysis.disparity` (sorting, cumulative sums).
    """
    P = _pair_sums(Y, g, None, k)
    cnt = np.bincount(g, minlength=k).astype(float)
    Wj = np.broadcast_to(cnt, (Y.shape[0], k))
    Sj = np.stack([Y[:, g == j].sum(axis=1) for j in range(k)], axis=1)
    c = _dagum_components(P, Wj, Sj)
    return np.column_stack([c["Gw"] + c["Gnb"] + c["Gt"], c["Gw"], c["Gnb"], c["Gt"]])


@dataclass
class BootstrapResult(Result):
    """Bootstrap confidence intervals (自助法置信区间) for weights, the mean index and Dagum's Gini.

    Efron (1979), Ann. Statist. 7(1), 1-26; percentile intervals as in Efron & Tibshirani (1993), An
    Introduction to the Bootstrap, ch. 13; units resampled as clusters of all their years, stratified
    by group (Davison & Hinkley 1997, Bootstrap Methods and their Application, §3.7-3.8).

    Attributes
    ----------
    weights : per indicator: estimate (the measured weight), boot_mean, se, lo, hi.
    mean_index : per year: estimate (mean score over units), boot_mean, se, lo, hi.
    dagum : per year and term (G, Gw, Gnb, Gt): estimate, boot_mean, se, lo, hi (None if not run).
    replicates : the bootstrap replicates: 'weights' (B × m), 'mean_index' (B × T), 'dagum' (B × T × 4);
        degenerate resamples (a constant column, ...) are NaN.
    B, seed, level, unit ('unit' or 'unit_year'), groups (unit -> stratum, or None), n_degenerate, notes.
    """

    weights: pd.DataFrame | None
    mean_index: pd.DataFrame | None
    dagum: pd.DataFrame | None
    replicates: dict[str, np.ndarray]
    B: int
    seed: Any
    level: float
    unit: str
    groups: dict[Hashable, Hashable] | None
    n_degenerate: int
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Long table: what (weight, mean_index, dagum), indicator, year, term, estimate, boot_mean, se,
        lo, hi."""
        parts = []
        if self.weights is not None:
            parts.append(self.weights.assign(what="weight", year=pd.NA, term=pd.NA))
        if self.mean_index is not None:
            parts.append(self.mean_index.assign(what="mean_index", indicator=pd.NA, term=pd.NA))
        if self.dagum is not None:
            parts.append(self.dagum.assign(what="dagum", indicator=pd.NA))
        cols = ["what", "indicator", "year", "term", "estimate", "boot_mean", "se", "lo", "hi"]
        if not parts:
            return pd.DataFrame(columns=cols)
        df = pd.concat([p[cols] for p in parts], ignore_index=True)
        return df.assign(year=df["year"].astype("Int64"))

    def _summary_lines(self, lang: str) -> list[str]:
        """The intervals in a few lines."""
        lv = f"{self.level:.0%}"
        how = ("units (all their years)" if self.unit == "unit"
               else "unit-years (independently within each year)")
        strat = "stratified by group" if self.groups is not None else "not stratified"
        lines = [f"Bootstrap (Efron 1979): {self.B} resamples of {how}, {strat}; normalisation and weights "
                 f"re-estimated on each; {lv} percentile intervals."]
        if self.weights is not None:
            w = self.weights.assign(width=self.weights["hi"] - self.weights["lo"])
            w = w.sort_values("width", ascending=False)
            lines.append("weights, widest intervals: " + "; ".join(
                f"{r.indicator} {r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]" for r in w.head(5).itertuples()))
        if self.mean_index is not None:
            mi = self.mean_index
            lines.append("mean index: " + "; ".join(
                f"{r.year} {r.estimate:.4f} [{r.lo:.4f}, {r.hi:.4f}]" for r in mi.iloc[[0, -1]].itertuples()))
        if self.dagum is not None:
            g = self.dagum[self.dagum["term"] == "G"]
            lines.append("Dagum G: " + "; ".join(
                f"{r.year} {r.estimate:.4f} [{r.lo:.4f}, {r.hi:.4f}]" for r in g.iloc[[0, -1]].itertuples()))
        if self.n_degenerate:
            lines.append(f"{self.n_degenerate} degenerate resample(s) left out (constant column or undefined "
                         "score).")
        lines += self.notes
        return lines


def _resolve_strata(units: list[Hashable], groups: Any, notes: list[str]) -> dict[Hashable, Hashable] | None:
    if groups is False:
        return None
    if isinstance(groups, Grouping):
        notes.extend(groups.notes)
        groups = groups.mapping
    if groups is None:
        try:  # the four regions when every unit is a province
            return dict(resolve_groups(None, [str(u) for u in units], kind="other").mapping)
        except DataError:
            pass
        notes.append("Units are not provinces and no groups were given: resampling is not stratified and the "
                     "Dagum decomposition is not bootstrapped (pass groups={unit: group}).")
        return None
    mapping = groups.to_dict() if isinstance(groups, pd.Series) else groups
    if not isinstance(mapping, Mapping):
        raise DataError(f"groups must be a dict or Series unit -> group, got {type(groups).__name__}")
    missing = [u for u in units if u not in mapping or pd.isna(mapping[u])]
    if missing:
        raise DataError(f"unit(s) without a group: {', '.join(map(str, missing[:10]))}; add them to groups")
    return {u: mapping[u] for u in units}


def bootstrap(
    source: IndexResult | tuple[Any, Framework],
    B: int = 1000,
    seed: int | np.random.Generator | None = 0,
    level: float = 0.9,
    what: Sequence[str] = ("weights", "mean_index", "dagum"),
    unit: str = "unit",
    groups: Grouping | Mapping[Hashable, Hashable] | pd.Series | bool | None = None,
    **measure_kwargs: Any,
) -> BootstrapResult:
    """Bootstrap (自助法) percentile intervals for the indicator weights, the mean index by year and
    the Dagum Gini components by year (Efron 1979, Ann. Statist. 7(1), 1-26).

    ``source`` is an IndexResult, or a (panel, framework) pair measured first with ``measure_kwargs``.
    ``unit="unit"`` resamples units with replacement, each with all its years (the panel's time
    structure is kept); ``unit="unit_year"`` resamples units independently within each year (for
    panel-wide entropy weights where unit-years are the observations). Resampling is stratified by
    ``groups`` (a :class:`~nqpf.core.groups.Grouping` or unit -> group; default: the four official regions
    when the units are provinces; ``False``: no strata), so every group keeps its size and Dagum's groups
    stay what they are (a group of one unit is redrawn as itself; its within-group Gini stays 0). On every
    resample the whole measurement is redone with the result's
    settings — bounds of the normalisation (pooled or per year), weights at every level of the tree,
    aggregation — vectorised over resamples; its equality with measure() on the original sample is
    the engine of measure() itself (:class:`nqpf.pipeline.Pipeline`), so a resample equal to the original
    sample gives measure()'s numbers. Needs a balanced panel. Resamples the measurement cannot score (a
    constant column, an undefined TOPSIS closeness) are left out (counted), as measure() would refuse them.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> b = bootstrap(res, B=30, seed=0, what=("weights",))
    >>> b.weights.shape[0] == len(res.values.columns)
    True
    """
    if isinstance(source, IndexResult):
        result = source
        if measure_kwargs:
            raise MethodError(f"measure options {sorted(measure_kwargs)} apply only to a (panel, framework) "
                              "source")
    elif isinstance(source, tuple) and len(source) == 2:
        result = measure(source[0], source[1], **measure_kwargs)
    else:
        raise DataError("source must be an IndexResult or a (panel, framework) pair")
    B = check_int("B", B, 1)
    lv = check_level(level)
    what = [what] if isinstance(what, str) else list(what)
    unknown = [w for w in what if w not in ("weights", "mean_index", "dagum")]
    if unknown:
        raise MethodError(f"what: unknown {unknown}; use some of ['weights', 'mean_index', 'dagum']")
    if unit not in ("unit", "unit_year"):
        raise MethodError(f"unit must be 'unit' or 'unit_year', got {unit!r}")
    notes: list[str] = []
    lay = layout_of(result)
    units = list(dict.fromkeys(lay.units))
    T, n, m = len(lay.year_list), len(units), result.values.shape[1]
    if n < 2:
        raise DataError("the bootstrap needs at least two units")
    full = pd.MultiIndex.from_product([lay.year_list, units])
    have = pd.MultiIndex.from_arrays([lay.years, lay.units])
    if len(have) != len(full) or not full.isin(have).all():
        miss = full[~full.isin(have)]
        y, u = miss[0] if len(miss) else (lay.year_list[0], units[0])
        raise DataError(f"the bootstrap needs a balanced panel; {u} has no row in {y} "
                        "(measure with units/years that are complete, or impute)")
    vals = result.values.copy()
    vals.index = pd.MultiIndex.from_arrays([vals.index.get_level_values("year").astype(int),
                                            vals.index.get_level_values("unit")])
    X3 = vals.reindex(full).to_numpy(dtype=float).reshape(T, n, m)
    # the measurement engine, flagging degenerate resamples instead of raising
    pipe = Pipeline(result.framework, result.settings_object().replace(allow_inconsistent_ahp=True), strict=False)
    layout = Layout.of(np.repeat(lay.year_list, n))
    point = pd.Series(lay.score, index=have).reindex(full).to_numpy().reshape(T, n)
    w0 = result.indicator_weights.to_numpy(dtype=float)
    strata = _resolve_strata(units, groups, notes)
    if strata is None:
        members = [np.arange(n)]
        labels: list[Hashable] = []
    else:
        labels = list(dict.fromkeys(strata[u] for u in units))
        members = [np.array([i for i, u in enumerate(units) if strata[u] == g]) for g in labels]
    gcode = np.concatenate([np.full(len(mb), j) for j, mb in enumerate(members)])
    do_dagum = "dagum" in what
    if do_dagum and strata is None:
        do_dagum = False
        if groups is False:
            notes.append("Dagum decomposition not bootstrapped: it needs groups (groups=False).")
    elif do_dagum:
        if len(labels) < 2 or (point < 0).any():
            why = "only one group" if len(labels) < 2 else "some scores are negative"
            notes.append(f"Dagum decomposition not bootstrapped: {why}.")
            do_dagum = False
    if pipe.settings.normalization == "minmax" and "mean_index" in what:
        notes.append("Each resample is re-normalised with its own min–max bounds, so the index level moves "
                     "with the units that set the bounds (e.g. when the leading unit is not drawn); the "
                     "mean-index intervals can be asymmetric around the estimate.")
    rng = generator(seed)
    chunk = max(1, min(B, _BATCH_ELEMENTS // max(1, T * n * m)))
    rec_w = np.empty((B, m))
    rec_mean = np.empty((B, T))
    rec_dag = np.full((B, T, 4), np.nan) if do_dagum else np.empty((0, T, 4))
    n_bad = 0
    done = 0
    while done < B:
        b = min(chunk, B - done)
        if unit == "unit":
            idx = np.concatenate([mb[rng.integers(0, len(mb), size=(b, len(mb)))] for mb in members], axis=1)
            Xb = X3[:, idx, :].transpose(1, 0, 2, 3)  # (b, T, n, m)
        else:
            idx = np.concatenate([mb[rng.integers(0, len(mb), size=(b, T, len(mb)))] for mb in members],
                                 axis=2)
            Xb = X3[np.arange(T)[None, :, None], idx, :]
        fit = pipe.fit(np.ascontiguousarray(Xb).reshape(b, T * n, m), layout)
        wb, sb, bad = fit.weights.copy(), fit.target.reshape(b, T, n), fit.bad
        n_bad += int(bad.sum())
        wb[bad] = np.nan
        sb[bad] = np.nan
        rec_w[done:done + b] = wb
        rec_mean[done:done + b] = sb.mean(axis=2)
        if do_dagum:
            ok = ~bad
            for t in range(T):
                if ok.any():
                    rec_dag[done:done + b][ok, t] = _dagum_batch(sb[ok, t, :], gcode, len(labels))
        done += b
    if n_bad:
        notes.append(f"{n_bad} of {B} resamples were degenerate (a constant indicator or undefined score) "
                     "and are left out of the intervals.")
    ids = list(result.values.columns)
    weights = mean_index = dagum = None
    if "weights" in what:
        weights = pd.DataFrame({"indicator": ids, **summarise(rec_w, w0, lv)})
    if "mean_index" in what:
        mean_index = pd.DataFrame({"year": lay.year_list, **summarise(rec_mean, point.mean(axis=1), lv)})
    if do_dagum:
        est = np.empty((T, 4))
        for t in range(T):
            r = dagum_gini(point[t], [strata[u] for u in units])  # type: ignore[index]
            est[t] = (r.G, r.Gw, r.Gnb, r.Gt)
        sm = summarise(rec_dag.reshape(B, T * 4), est.ravel(), lv)
        dagum = pd.DataFrame({"year": np.repeat(lay.year_list, 4), "term": ["G", "Gw", "Gnb", "Gt"] * T,
                              **sm})
    rep = {"weights": rec_w, "mean_index": rec_mean}
    if do_dagum:
        rep["dagum"] = rec_dag
    return BootstrapResult(weights=weights, mean_index=mean_index, dagum=dagum, replicates=rep, B=B,
                           seed=seed, level=lv, unit=unit, groups=strata, n_degenerate=n_bad, notes=notes)


