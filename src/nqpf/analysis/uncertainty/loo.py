"""Leave-one-indicator-out (逐一剔除指标): how ranks move when one indicator is dropped.

Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323. Re-estimation runs the measurement
engine on the framework without the indicator (AHP matrices lose that row and column); renormalisation
re-scores with the aggregation's own kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.uncertainty.common import (
    aggregation_groups,
    check_int,
    layout_of,
    point_weights,
    ranks_min,
)
from nqpf.core.errors import MethodError, NqpfError
from nqpf.core.interface import Result
from nqpf.methods.registry import AGGREGATIONS
from nqpf.pipeline import Layout, Pipeline
from nqpf.result import IndexResult

__all__ = ["LeaveOneOutResult", "leave_one_out"]


@dataclass
class LeaveOneOutResult(Result):
    """Leave-one-indicator-out (逐一剔除指标): how ranks move when one indicator is dropped.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323 (exclusion of one indicator
    at a time as an uncertainty input).

    Attributes
    ----------
    table : long table: indicator, unit, year, score, rank, score_without, rank_without,
        delta_rank = rank_without − rank (positive: the unit falls without the indicator).
    indicators : per indicator: weight, max_abs_delta, mean_abs_delta, n_changed (unit-years whose rank
        changes), min_spearman (lowest within-year Spearman ρ between the full and the reduced index),
        top_changed_years (years whose top unit changes), decisive.
    threshold : |Δrank| at or above which an indicator is flagged decisive. An indicator is
        *decisive* when dropping it changes the top unit of some year, or moves some unit-year by at
        least ``threshold`` ranks.
    mode : 'reestimate' (weights re-estimated by the same method without the indicator) or
        'renormalise' (the remaining weights divided by their sum).
    """

    table: pd.DataFrame
    indicators: pd.DataFrame
    threshold: int
    mode: str
    notes: list[str] = field(default_factory=list)

    @property
    def decisive(self) -> list[str]:
        """The indicators that single-handedly decide a ranking (see ``threshold``)."""
        return self.indicators.loc[self.indicators["decisive"], "indicator"].tolist()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _summary_lines(self, lang: str) -> list[str]:
        ind = self.indicators.sort_values("max_abs_delta", ascending=False)
        how = ("weights re-estimated with the same method" if self.mode == "reestimate"
               else "remaining weights renormalised")
        lines = [f"Leave-one-indicator-out ({len(ind)} indicators; {how}); decisive = the top unit of a year "
                 f"changes or some rank moves by >= {self.threshold}.",
                 "largest moves: " + "; ".join(
                     f"{r.indicator} max |Δrank| {r.max_abs_delta:.0f}, mean {r.mean_abs_delta:.2f}"
                     for r in ind.head(5).itertuples())]
        dec = ind[ind["decisive"]]
        lines.append("decisive indicators: " + (", ".join(
            f"{r.indicator}" + (f" (top unit changes in {r.top_changed_years})" if r.top_changed_years
                                else "")
            for r in dec.itertuples()) if len(dec) else "none"))
        lines += self.notes
        return lines


def leave_one_out(
    result: IndexResult,
    mode: str = "reestimate",
    threshold: int | None = None,
) -> LeaveOneOutResult:
    """Leave-one-indicator-out (逐一剔除指标法): re-score without each indicator in turn.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    ``mode="reestimate"`` (default) re-runs :func:`nqpf.measure.measure` on the result's indicator
    values without the indicator, with the same settings, so weights are re-estimated by the same
    method (AHP matrices lose that row and column); ``mode="renormalise"`` keeps the other weights and
    divides them by their sum (normalised values, TOPSIS ideals and GRA reference of the remaining
    indicators unchanged). ``threshold`` (default max(3, ⌈n_units / 5⌉): a move across a fifth of the
    field, 7 ranks for 31 provinces) is the |Δrank| that flags an indicator as decisive; the top unit
    of a year changing also flags it.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> lo = leave_one_out(res)
    >>> len(lo.indicators) == len(res.values.columns)
    True
    """
    if mode == "renormalize":
        mode = "renormalise"
    if mode not in ("reestimate", "renormalise"):
        raise MethodError(f"mode must be 'reestimate' or 'renormalise', got {mode!r}")
    lay = layout_of(result)
    ids = list(result.normalized.columns)
    m = len(ids)
    if m < 2:
        raise MethodError("leave-one-out needs at least two indicators")
    n_units = max(len(r) for r in lay.rows)
    if threshold is None:
        threshold = max(3, math.ceil(n_units / 5))
    threshold = check_int("threshold", threshold, 1)
    fit = result.fitted()
    Z = fit.Z
    w0, wby = point_weights(result, lay)
    groups = aggregation_groups(result, wby is not None)
    base = result.settings_object()
    agg = AGGREGATIONS[base.aggregation].engine
    X = result.values.to_numpy(dtype=float)
    layout = Layout.of(lay.years)
    notes: list[str] = []

    def renormalised(j: int) -> np.ndarray:
        keep = [c for c in range(m) if c != j]
        s = np.empty(len(lay.units))
        for gi, g in enumerate(groups):
            wv = (wby[gi] if wby is not None else w0)[keep]
            tot = wv.sum()
            wv = wv / tot if tot > 0 else np.full(len(keep), 1.0 / len(keep))
            Zg = Z[np.ix_(g, keep)]
            s[g] = agg(Zg, wv, agg.reference(Zg), base.rho)[0]
        return s

    frames = []
    summary_rows = []
    top_point = {y: set(lay.units[r][lay.rank[r] == 1]) for y, r in zip(lay.year_list, lay.rows, strict=True)}
    for j, ind in enumerate(ids):
        if mode == "reestimate":
            try:
                keep = [c for c in range(m) if c != j]
                fw = result.framework.subset([ids[c] for c in keep])
                sc = Pipeline(fw, base.replace(allow_inconsistent_ahp=True)).fit(X[:, keep], layout).target
            except NqpfError as exc:
                notes.append(f"{ind}: weights could not be re-estimated without it ({exc}); "
                             "the remaining weights were renormalised instead.")
                sc = renormalised(j)
        else:
            sc = renormalised(j)
        rk = ranks_min(sc, lay.years)
        delta = rk - lay.rank
        frames.append(pd.DataFrame({"indicator": ind, "unit": lay.units, "year": lay.years,
                                    "score": lay.score, "rank": lay.rank.astype(int), "score_without": sc,
                                    "rank_without": rk.astype(int), "delta_rank": delta.astype(int)}))
        changed = []
        rhos = []
        for y, rows in zip(lay.year_list, lay.rows, strict=True):
            if set(lay.units[rows][rk[rows] == 1]) != top_point[y]:
                changed.append(y)
            if len(rows) > 2:
                rhos.append(stats.spearmanr(lay.score[rows], sc[rows]).statistic)
        mx = float(np.abs(delta).max())
        summary_rows.append({
            "indicator": ind, "weight": float(w0[j]), "max_abs_delta": mx,
            "mean_abs_delta": float(np.abs(delta).mean()), "n_changed": int((delta != 0).sum()),
            "min_spearman": float(np.nanmin(rhos)) if rhos else np.nan,
            "top_changed_years": changed, "decisive": bool(changed) or mx >= threshold,
        })
    return LeaveOneOutResult(table=pd.concat(frames, ignore_index=True),
                             indicators=pd.DataFrame(summary_rows), threshold=threshold, mode=mode,
                             notes=notes)
