"""Shared pieces of the uncertainty analyses: argument checks, a result's row layout, rank histograms,
interval quantiles (稳健性分析的公共部分)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError, MethodError
from nqpf.result import IndexResult

#: Ranks are found by sorting packed int64 keys (score bits, then the unit's position in the low bits).
#: With n units the low ceil(log2 n) mantissa bits are given up, so scores closer than about
#: 2**(bits - 52) relative count as tied. Above 2**12 units an exact argsort is used instead.
_KEY_BITS_MAX = 12
#: Target number of float64 elements in one batch's largest array (2 MiB: stays in cache).
_BATCH_ELEMENTS = 1 << 18


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise MethodError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_concentration(value: Any) -> float:
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise MethodError(f"concentration must be a positive number, got {value!r}") from None
    if not (math.isfinite(c) and c > 0):
        raise MethodError(
            f"concentration must be a positive finite number (Dirichlet alpha = concentration × weight), "
            f"got {value!r}; larger values keep the draws closer to the chosen weights (e.g. 100)"
        )
    return c


def check_level(level: Any) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise MethodError(f"level must be a number between 0 and 1, got {level!r}") from None
    if not (0.0 < lv < 1.0):
        raise MethodError(f"level must lie strictly between 0 and 1 (e.g. 0.9), got {level!r}")
    return lv


def interval_quantiles(level: float) -> tuple[float, float]:
    """Lower and upper quantiles of a central interval, as np.percentile(x, 5) / 100 would give them
    (level 0.9 -> exactly 0.05 and 0.95, not 0.04999999999999999)."""
    return round(50.0 * (1.0 - level), 9) / 100.0, round(50.0 * (1.0 + level), 9) / 100.0


def quantile_from_cum(cum: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of integer ranks 1..n given as a cumulative histogram per row (``cum[i, r-1]`` =
    number of draws with rank <= r), numpy's 'linear' definition.

    Hyndman & Fan (1996), Am. Stat. 50(4), 361-365, definition 7 (``np.quantile`` default): virtual
    index h = (D − 1) q over the D sorted values, linear interpolation between the order statistics at
    floor(h) and floor(h) + 1, written as numpy's ``_lerp`` so results equal ``np.quantile`` exactly.
    """
    total = cum[:, -1]
    if not (total == total[0]).all():
        raise MethodError("internal: unequal draw counts across unit-years")
    D = int(total[0])
    h = (D - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, D - 1)
    t = h - lo
    a = (cum > lo).argmax(axis=1).astype(float) + 1.0
    b = (cum > hi).argmax(axis=1).astype(float) + 1.0
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def quantile_from_sorted(R: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of each row of ``R`` (units × draws, each row sorted ascending), numpy's 'linear'
    definition written exactly as :func:`quantile_from_cum` writes it, so both give the same floats."""
    D = R.shape[1]
    h = (D - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, D - 1)
    t = h - lo
    a = R[:, lo].astype(float)
    b = R[:, hi].astype(float)
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def rank_codes(S: np.ndarray, mn: float | None = None) -> np.ndarray:
    """For each row of finite scores S (b, n): ``rank0 * n + unit`` at each position of the descending
    order, where rank0 = rank − 1 with ties sharing the best (lowest) rank ('min' method).

    Sorts packed int64 keys in place (S is overwritten): the float bits made order-preserving (only
    needed when a score is negative), inverted for descending order, with the unit's column in the
    low ceil(log2 n) bits; one row sort gives the order and the units together. ``bincount`` of the
    codes is the rank histogram (rank-major). ``mn`` is ``S.min()`` when the caller has it.
    """
    b, n = S.shape
    bits = max(1, (n - 1).bit_length())
    pos = np.arange(n)
    if bits > _KEY_BITS_MAX:
        order = np.argsort(-S, axis=1, kind="stable")
        vals = np.take_along_axis(S, order, axis=1)
        tie = vals[:, 1:] == vals[:, :-1]
        code = order
    else:
        low = (1 << bits) - 1
        if mn is None:
            mn = float(S.min())
        if mn <= 0:
            np.add(S, 0.0, out=S)  # -0.0 -> +0.0
        k = S.view(np.int64)
        if mn < 0:  # negative doubles: flip all but the sign bit so that int order == float order
            f = k >> 63
            f &= 0x7FFFFFFFFFFFFFFF
            k ^= f
        # descending key with the unit in the low bits: ~(k | low) + pos == (pos - 1) - (k | low)
        k |= low
        np.subtract(pos - 1, k, out=k)
        k.sort(axis=1)
        x = np.bitwise_xor(k[:, 1:], k[:, :-1])
        tie = x.view(np.uint64) <= np.uint64(low)  # equal high bits
        k &= low
        code = k
    if not tie.any():
        code += pos * n  # no multiplication over the batch: rank0 == position
        return code
    start = np.where(np.concatenate([np.zeros((b, 1), dtype=bool), tie], axis=1), 0, pos)
    np.maximum.accumulate(start, axis=1, out=start)
    start *= n
    code += start
    return code


def rank_histogram(S: np.ndarray) -> np.ndarray:
    """Rank histogram of the columns of S (draws × units): ``H[i, r-1]`` = number of rows in which
    column i has rank r (1 = highest score; ties share the best rank).

    Ranks by sorting (Knuth 1998, The Art of Computer Programming vol. 3); see :func:`monte_carlo_weights`.
    """
    A = np.array(S, dtype=np.float64, order="C", copy=True)
    if A.ndim != 2 or A.size == 0:
        raise MethodError(f"S must be a non-empty 2-D matrix (draws × units), got shape {A.shape}")
    if not np.isfinite(A).all():
        raise MethodError("S has a missing or infinite score; ranks are undefined")
    n = A.shape[1]
    return np.bincount(rank_codes(A).ravel(), minlength=n * n).reshape(n, n).T.copy()


def ranks_min(scores: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Rank 1 = highest within each year, ties share the lowest rank (as nqpf.result.rank_within_years)."""
    return (pd.Series(scores).groupby(years).rank(ascending=False, method="min")
            .to_numpy(dtype=float))


@dataclass(frozen=True)
class ResultRows:
    index: pd.MultiIndex  # (unit, year) of every row, the result's row order
    units: np.ndarray
    years: np.ndarray
    year_list: list[int]
    rows: list[np.ndarray]  # row positions of each year, year_list order
    score: np.ndarray
    rank: np.ndarray


def layout_of(result: IndexResult) -> ResultRows:
    if not isinstance(result, IndexResult):
        raise DataError(f"expected an IndexResult from nqpf.measure.measure(), got {type(result).__name__}")
    index = result.normalized.index
    units = index.get_level_values("unit").to_numpy()
    years = index.get_level_values("year").to_numpy().astype(int)
    sc = result.scores.set_index(["unit", "year"])
    key = pd.MultiIndex.from_arrays([units, years], names=["unit", "year"])
    try:
        sc = sc.reindex(key)
    except ValueError:
        raise DataError("the result's scores table repeats a unit-year; "
                        "use the IndexResult from measure()") from None
    if sc["score"].isna().any():
        u, y = key[np.flatnonzero(sc["score"].isna().to_numpy())[0]]
        raise DataError(f"the result has no score for {u} {y}; use the IndexResult from measure()")
    year_list = sorted(set(int(y) for y in years))
    rows = [np.flatnonzero(years == y) for y in year_list]
    return ResultRows(key, units, years, year_list, rows, sc["score"].to_numpy(dtype=float),
                   sc["rank"].to_numpy(dtype=float))


def point_weights(result: IndexResult, lay: ResultRows) -> tuple[np.ndarray, np.ndarray | None]:
    """Global indicator weights (m,), and per-year weights (T, m) for per-cross-section entropy."""
    ids = list(result.normalized.columns)
    w = result.indicator_weights.reindex(ids).to_numpy(dtype=float)
    wby = getattr(result, "weights_by_year", None)
    if wby is None:
        return w, None
    W = wby.reindex(index=lay.year_list, columns=ids).to_numpy(dtype=float)
    return w, W


def aggregation_groups(result: IndexResult, per_year_weights: bool) -> list[np.ndarray]:
    """Rows that share TOPSIS ideals / the GRA reference: the engine's own rule, on the result's rows."""
    fit = result.fitted()
    return [np.arange(g.start, g.stop) for g in fit.pipeline.aggregation_groups(fit.layout, per_year_weights)]


def summarise(draws: np.ndarray, est: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Estimate, bootstrap mean and standard error, percentile interval (Efron & Tibshirani 1993, ch. 13)."""
    qa, qb = interval_quantiles(level)
    with warnings.catch_warnings():  # an all-NaN column (every resample degenerate) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"estimate": est, "boot_mean": np.nanmean(draws, axis=0),
                "se": np.nanstd(draws, axis=0, ddof=1),
                "lo": np.nanquantile(draws, qa, axis=0), "hi": np.nanquantile(draws, qb, axis=0)}
