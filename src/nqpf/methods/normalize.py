"""Normalisation kernels (无量纲化 / 标准化): arrays in, arrays out.

Every kernel takes a 2-D float matrix ``X`` (rows are unit-years, columns are indicators) and returns a
new float64 matrix of the same shape. Bad input raises :class:`nqpf.core.errors.MethodError` with the
``column`` (and, where one cell is at fault, the ``row``) position set, so that the pandas-facing layer
can re-raise it with indicator names and unit-years.

This module also holds the small validation helpers shared by :mod:`nqpf.methods.weights` and
:mod:`nqpf.methods.aggregate` (names starting with an underscore; not public API).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
from nqpf.core.threads import num_threads
from nqpf.methods.registry import register

__all__ = [
    "by_group",
    "column_bounds",
    "interval",
    "minmax",
    "vector",
    "zscore",
]

FloatArray = NDArray[np.float64]

#: Number of matrix elements processed per block by the blocked (chunked) kernels. 2**16 float64 values
#: are 512 KiB, so the two or three block-sized buffers of a kernel stay in a 2 MiB L2 cache.
BLOCK_ELEMENTS = 1 << 16


# ----------------------------------------------------------------------------------------------------
# validation helpers (shared with weights.py and aggregate.py)
# ----------------------------------------------------------------------------------------------------


def _block_rows(n_cols: int) -> int:
    """Rows per block so that one block holds about BLOCK_ELEMENTS values (a multiple of 32 if possible)."""
    k = BLOCK_ELEMENTS // max(1, n_cols)
    return (k // 32) * 32 if k >= 64 else max(1, k)


#: Matrices with fewer elements than this are processed on the calling thread only.
PARALLEL_MIN_ELEMENTS = 1 << 21

_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="nqpf-blocks")
        return _EXECUTOR


def _for_blocks(
    A: FloatArray,
    work: Callable[[int, int, int, dict[str, Any]], None],
    threads: int | None = None,
) -> int:
    """Call ``work(b, start, stop, scratch)`` for every row block ``A[start:stop]``; return the block count.

    Blocks are fixed by the matrix shape (see :data:`BLOCK_ELEMENTS`) and each block writes its own
    slot of the caller's output arrays, so results do not depend on the number of threads or on which
    thread ran which block. Large matrices are shared among worker threads (numpy releases the GIL inside
    its loops). ``scratch`` is a per-thread dict for reusable block buffers.
    """
    n, m = A.shape
    step = _block_rows(m)
    nb = -(-n // step)
    T = num_threads() if threads is None else max(1, threads)
    T = min(T, nb) if A.size >= PARALLEL_MIN_ELEMENTS else 1

    if T <= 1:
        scratch: dict[str, Any] = {}
        for b in range(nb):
            start = b * step
            work(b, start, min(n, start + step), scratch)
        return nb

    # dynamic scheduling: each thread takes the next unclaimed block, so a thread slowed down by other
    # load on the machine does not hold the others up (itertools.count.__next__ is atomic under the GIL)
    counter = itertools.count()

    def run() -> None:
        local: dict[str, Any] = {}
        while (b := next(counter)) < nb:
            start = b * step
            work(b, start, min(n, start + step), local)

    ex = _executor()
    futures = [ex.submit(run) for _ in range(T - 1)]
    try:
        run()  # the calling thread works too
    finally:
        for f in futures:
            f.result()
    return nb


def _buffer(scratch: dict[str, Any], key: str, rows: int, m: int) -> FloatArray:
    """A reusable (rows, m) float64 buffer from a per-thread scratch dict."""
    buf = scratch.get(key)
    if buf is None or buf.shape[0] < rows or buf.shape[1] != m:
        buf = np.empty((rows, m))
        scratch[key] = buf
    return buf[:rows]


def _tile(scratch: dict[str, Any], key: str, vec: FloatArray, rows: int) -> FloatArray:
    """``vec`` repeated as ``rows`` rows, cached per thread (a full-size operand keeps ufunc loops contiguous:
    broadcasting a short row vector over a block runs about twice as slowly)."""
    buf = scratch.get(key)
    if buf is None or buf.shape[0] < rows:
        buf = np.empty((rows, vec.shape[0]))
        buf[:] = vec
        scratch[key] = buf
    return buf[:rows]


#: Rows per slab in :func:`_reduce_columns`: reductions over axis 0 of a (k/R, R, m) view run with an
#: inner loop of R*m contiguous elements instead of m.
_SLAB = 32


def _reduce_columns(ufunc: np.ufunc, blk: FloatArray) -> FloatArray:
    """Column-wise ``ufunc.reduce`` of a row block (min, max), vectorised over slabs of rows."""
    k, m = blk.shape
    r = (k // _SLAB) * _SLAB
    if r < 2 * _SLAB or not blk.flags.c_contiguous:
        return ufunc.reduce(blk, axis=0)
    out = ufunc.reduce(ufunc.reduce(blk[:r].reshape(r // _SLAB, _SLAB, m), axis=0), axis=0)
    if r < k:
        out = ufunc(out, ufunc.reduce(blk[r:], axis=0))
    return out


def _column_minmax(A: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Column minima and maxima in one blocked (and, for large matrices, threaded) pass; NaN propagates."""
    n, m = A.shape
    nb = -(-n // _block_rows(m))
    los = np.empty((nb, m))
    his = np.empty((nb, m))

    def work(b: int, start: int, stop: int, scratch: dict[str, Any]) -> None:
        blk = A[start:stop]
        los[b] = _reduce_columns(np.minimum, blk)
        his[b] = _reduce_columns(np.maximum, blk)

    _for_blocks(A, work)
    return los.min(axis=0), his.max(axis=0)


def _as_matrix(X: ArrayLike, name: str = "X", min_rows: int = 1) -> FloatArray:
    """Return ``X`` as a 2-D float64 array (no copy when it already is one); check shape only."""
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MethodError(f"{name} must be a numeric matrix (rows = unit-years, columns = indicators): {exc}") from exc
    if A.ndim != 2:
        raise MethodError(
            f"{name} must be a 2-D matrix (rows = unit-years, columns = indicators), got {A.ndim}-D "
            f"with shape {A.shape}; reshape it, e.g. X.reshape(-1, 1) for a single indicator."
        )
    if A.shape[1] == 0:
        raise MethodError(f"{name} has no columns (indicators); pass at least one indicator.")
    if A.shape[0] < min_rows:
        raise MethodError(f"{name} has {A.shape[0]} row(s) but this method needs at least {min_rows} unit-years.")
    return A


def _first_bad_cell(A: FloatArray, bad: Callable[[FloatArray], NDArray[np.bool_]]) -> tuple[int, int] | None:
    """Row-major first cell where ``bad(block)`` is True, scanning in blocks (bounded memory)."""
    step = _block_rows(A.shape[1])
    for start in range(0, A.shape[0], step):
        hits = np.argwhere(bad(A[start : start + step]))
        if hits.size:
            return start + int(hits[0, 0]), int(hits[0, 1])
    return None


def _raise_nonfinite(A: FloatArray, name: str = "X") -> None:
    """Raise MethodError naming the first NaN/inf cell of ``A`` (called once a reduction came out non-finite).

    If every cell is finite the reduction overflowed; that is reported as such.
    """
    cell = _first_bad_cell(A, lambda b: ~np.isfinite(b))
    if cell is None:
        raise MethodError(
            f"{name} is finite but so large that an intermediate sum overflows float64; rescale the indicators "
            "(e.g. normalise them, or change units) before this step."
        )
    i, j = cell
    raise MethodError(
        f"{name} has a missing or infinite value ({A[i, j]}) at row {i}, column {j}; impute, drop or "
        "winsorise it before this step (measurement kernels do not skip missing values).",
        column=j,
        row=i,
    )


def _check_finite(A: FloatArray, name: str = "X") -> None:
    """Raise MethodError at the first NaN/inf cell; a blocked pass with no large temporaries."""
    step = _block_rows(A.shape[1])
    for start in range(0, A.shape[0], step):
        blk = A[start : start + step]
        # a block sum is NaN/inf iff some element is, or if the finite sum overflows (then scan exactly)
        if not np.isfinite(np.add.reduce(blk, axis=None)) and not np.isfinite(blk).all():
            _raise_nonfinite(A, name)


def _as_vector(v: ArrayLike, n: int, name: str, dtype: Any = np.float64) -> NDArray[Any]:
    """Return ``v`` as a 1-D array of length ``n`` (a scalar is broadcast)."""
    a = np.asarray(v, dtype=dtype)
    if a.ndim == 0:
        a = np.full(n, a[()], dtype=dtype)
    if a.ndim != 1 or a.shape[0] != n:
        raise MethodError(f"{name} must have one entry per indicator column ({n}), got shape {a.shape}.")
    return a


def _as_positive(positive: ArrayLike, n: int) -> NDArray[np.bool_]:
    """Direction flags as a bool vector; accepts bools, or +1/-1 as in pymcdm's ``types``."""
    p = np.asarray(positive)
    if p.ndim == 0:
        p = np.full(n, p[()])
    if p.ndim != 1 or p.shape[0] != n:
        raise MethodError(
            f"positive must have one entry per indicator column ({n}), got shape {p.shape}; "
            "True marks a positive (larger-is-better) indicator, False a negative one."
        )
    if p.dtype == np.bool_:
        return p
    if np.issubdtype(p.dtype, np.number):
        bad = ~np.isin(p, (1, -1, 0))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise MethodError(f"positive[{j}] = {p[j]} is not a direction; use True/False (or +1/-1).", column=j)
        return p > 0
    raise MethodError(f"positive must be booleans (True = larger is better), got dtype {p.dtype}.")


def _check_weights(w: ArrayLike, m: int, name: str = "w") -> FloatArray:
    """Weights: 1-D, length m, finite, non-negative, summing to 1 within 1e-9."""
    a = np.asarray(w, dtype=np.float64)
    if a.ndim != 1 or a.shape[0] != m:
        raise MethodError(f"{name} must be a vector with one weight per indicator column ({m}), got {a.shape}.")
    nonfinite = ~np.isfinite(a)
    if nonfinite.any():
        j = int(np.flatnonzero(nonfinite)[0])
        raise MethodError(f"{name}[{j}] = {a[j]} is not a finite weight.", column=j)
    neg = a < 0
    if neg.any():
        j = int(np.flatnonzero(neg)[0])
        raise MethodError(f"{name}[{j}] = {a[j]} is negative; weights must be non-negative.", column=j)
    s = float(a.sum())
    if abs(s - 1.0) > 1e-9:
        raise MethodError(f"{name} sums to {s}, not 1 (tolerance 1e-9); divide the weights by their sum first.")
    return a


# ----------------------------------------------------------------------------------------------------
# bounds and min-max
# ----------------------------------------------------------------------------------------------------


def column_bounds(X: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Column minima and maxima ``(lo, hi)`` of ``X``; NaN/inf raises MethodError naming the cell."""
    A = _as_matrix(X)
    lo, hi = _column_minmax(A)
    # min/max propagate NaN; an inf shows up as an infinite bound.
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        _raise_nonfinite(A)
    return lo, hi


def _resolve_bounds(A: FloatArray, bounds: tuple[ArrayLike, ArrayLike] | None) -> tuple[FloatArray, FloatArray]:
    m = A.shape[1]
    if bounds is None:
        return column_bounds(A)
    try:
        lo_in, hi_in = bounds
    except (TypeError, ValueError):
        raise MethodError("bounds must be a pair (lo, hi) of arrays with one entry per indicator column.") from None
    lo = _as_vector(lo_in, m, "bounds[0] (lo)")
    hi = _as_vector(hi_in, m, "bounds[1] (hi)")
    for nm, v in (("lo", lo), ("hi", hi)):
        bad = ~np.isfinite(v)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise MethodError(f"bound {nm}[{j}] = {v[j]} is not finite.", column=j)
    rev = hi < lo
    if rev.any():
        j = int(np.flatnonzero(rev)[0])
        raise MethodError(f"bounds for column {j} are reversed (lo = {lo[j]} > hi = {hi[j]}); pass (lo, hi).", column=j)
    _check_finite(A)
    return lo, hi


def _check_range(lo: FloatArray, hi: FloatArray) -> FloatArray:
    rng = hi - lo
    zero = ~(rng > 0)
    if zero.any():
        j = int(np.flatnonzero(zero)[0])
        raise MethodError(
            f"indicator column {j} is constant (min = max = {lo[j]}), so min-max normalisation would "
            "divide by zero; drop the indicator or check its data.",
            column=j,
        )
    return rng


@register("normalization", "minmax", label=("极差标准化（min–max）", "min–max normalisation"), refs=("hwang1981",),
          page="normalization")
def minmax(
    X: ArrayLike,
    positive: ArrayLike,
    shift: float = 1e-4,
    bounds: tuple[ArrayLike, ArrayLike] | None = None,
) -> FloatArray:
    """Min-max (range) normalisation 极差标准化 plus ``shift`` (Hwang & Yoon 1981, Multiple Attribute DM).

    Positive indicator 正向指标: ``z = (x - lo) / (hi - lo) + shift``; negative indicator 负向指标:
    ``z = (hi - x) / (hi - lo) + shift``. ``lo, hi`` are the column minimum and maximum unless
    ``bounds=(lo, hi)`` fixes them (then values outside the bounds give scores outside
    ``[shift, 1 + shift]``; nothing is clipped). The translation ``shift`` (平移, usually 1e-4) keeps every
    value positive for the logarithm of the entropy method.

    Raises MethodError(column=j) for a constant column (``hi == lo``) and MethodError(row=i, column=j) at
    the first NaN/inf cell.
    """
    A = _as_matrix(X)
    m = A.shape[1]
    pos = _as_positive(positive, m)
    if not np.isfinite(shift):
        raise MethodError(f"shift must be a finite number, got {shift}.")
    lo, hi = _resolve_bounds(A, bounds)
    rng = _check_range(lo, hi)
    base = np.where(pos, lo, hi)
    # (hi - x) / (hi - lo) == (x - hi) / -(hi - lo) exactly (negation is exact in IEEE arithmetic).
    denom = np.where(pos, rng, -rng)
    Z = np.subtract(A, base)
    np.divide(Z, denom, out=Z)
    # with shift == 0 this still runs: adding +0.0 turns the -0.0 of a negative indicator's best unit into 0.0
    np.add(Z, shift, out=Z)
    return Z


@register("technique", "interval", label=("区间型（适度）指标标准化", "interval (moderate) indicator normalisation"),
          refs=("guo2007",), page="normalization")
def interval(
    X: ArrayLike,
    best_low: ArrayLike,
    best_high: ArrayLike,
    shift: float = 1e-4,
    bounds: tuple[ArrayLike, ArrayLike] | None = None,
) -> FloatArray:
    """Moderate (interval) indicator 区间型/适度指标 (Guo Yajun 2007, 综合评价理论、方法及应用, 科学出版社).

    With best interval ``[q1, q2] = [best_low, best_high]`` and column bounds ``lo, hi``,
    ``M = max(q1 - lo, hi - q2)`` and::

        z = 1 - (q1 - x) / M    if x < q1
        z = 1                   if q1 <= x <= q2
        z = 1 - (x - q2) / M    if x > q2

    plus ``shift``. If the whole observed range lies inside the best interval (``M <= 0``) every value
    scores 1 + shift. With fixed ``bounds`` values beyond them can score below ``shift``; nothing is clipped.
    """
    A = _as_matrix(X)
    m = A.shape[1]
    q1 = _as_vector(best_low, m, "best_low")
    q2 = _as_vector(best_high, m, "best_high")
    for nm, v in (("best_low", q1), ("best_high", q2)):
        bad = ~np.isfinite(v)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise MethodError(f"{nm}[{j}] = {v[j]} is not finite.", column=j)
    rev = q2 < q1
    if rev.any():
        j = int(np.flatnonzero(rev)[0])
        raise MethodError(
            f"best interval of column {j} is reversed (best_low = {q1[j]} > best_high = {q2[j]}).",
            column=j,
        )
    if not np.isfinite(shift):
        raise MethodError(f"shift must be a finite number, got {shift}.")
    lo, hi = _resolve_bounds(A, bounds)
    M = np.maximum(q1 - lo, hi - q2)
    safe = np.where(M > 0, M, 1.0)
    below = np.maximum(q1 - A, 0.0)  # distance below the interval (0 inside or above)
    above = np.maximum(A - q2, 0.0)  # distance above the interval
    np.add(below, above, out=below)  # at most one of the two is non-zero
    np.divide(below, safe, out=below)
    Z = np.subtract(1.0 + 0.0, below, out=below)
    if shift != 0:
        np.add(Z, shift, out=Z)
    return Z


# ----------------------------------------------------------------------------------------------------
# z-score and vector normalisation
# ----------------------------------------------------------------------------------------------------


@register("normalization", "zscore", label=("Z-score 标准化", "z-score standardisation"), refs=("jain2005",),
          page="normalization")
def zscore(X: ArrayLike, positive: ArrayLike | None = None, ddof: int = 1) -> FloatArray:
    """Z-score standardisation 标准化 ``z = ±(x - mean) / sd`` (Jain et al. 2005, Pattern Recognition 38(12)).

    ``sd`` uses ``ddof`` (default 1, the sample standard deviation). For a negative indicator the sign
    is flipped, ``z = (mean - x) / sd``. Results are signed; they are not valid input for the entropy
    method (which needs non-negative values). A constant column raises MethodError(column=j).
    """
    A = _as_matrix(X, min_rows=ddof + 1)
    m = A.shape[1]
    pos = np.ones(m, dtype=bool) if positive is None else _as_positive(positive, m)
    _check_finite(A)
    mu = A.mean(axis=0)
    sd = A.std(axis=0, ddof=ddof)
    zero = ~(sd > 0)
    if zero.any():
        j = int(np.flatnonzero(zero)[0])
        raise MethodError(
            f"indicator column {j} is constant (standard deviation 0), so the z-score would divide by "
            "zero; drop the indicator or check its data.",
            column=j,
        )
    Z = np.subtract(A, mu)
    np.divide(Z, np.where(pos, sd, -sd), out=Z)
    return Z


@register("normalization", "vector", label=("向量归一化", "vector normalisation"), refs=("hwang1981",),
          page="normalization")
def vector(X: ArrayLike, positive: ArrayLike | None = None) -> FloatArray:
    """Vector normalisation 向量归一化 ``r = x / sqrt(sum_i x^2)`` (Hwang & Yoon 1981, Multiple Attribute DM).

    A negative (cost) indicator uses ``1 - r``, as pymcdm's ``vector_normalization(x, cost=True)`` does.
    Note that classical TOPSIS instead keeps ``r`` and swaps the ideal and anti-ideal for cost
    criteria; ``1 - r`` gives the same TOPSIS distances, since it is a reflection of the column.
    A column of zeros raises MethodError(column=j).
    """
    A = _as_matrix(X)
    m = A.shape[1]
    pos = np.ones(m, dtype=bool) if positive is None else _as_positive(positive, m)
    _check_finite(A)
    norm = np.sqrt(np.einsum("ij,ij->j", A, A))
    zero = ~(norm > 0)
    if zero.any():
        j = int(np.flatnonzero(zero)[0])
        raise MethodError(f"indicator column {j} is all zeros, so vector normalisation would divide by zero.", column=j)
    R = np.divide(A, norm)
    neg = ~pos
    if neg.any():
        R[:, neg] = 1.0 - R[:, neg]
    return R


# ----------------------------------------------------------------------------------------------------
# per-group (per-year cross-section) normalisation
# ----------------------------------------------------------------------------------------------------


def by_group(kernel: Callable[..., FloatArray], X: ArrayLike, groups: ArrayLike, **kw: Any) -> FloatArray:
    """Apply a normalisation ``kernel`` to each group of rows separately (per-year cross-sections 逐年标准化).

    ``groups`` is a 1-D label per row (a year, a region ...). Rows of each group are normalised with that
    group's own bounds; the result keeps the original row order. For :func:`minmax` the group bounds are
    found in one vectorised pass (sort + ``reduceat``); other kernels are applied group by group.
    ``kw`` is passed to the kernel (``positive=...``, ``shift=...``). A MethodError from the kernel is
    re-raised with ``row`` set to the (global) first row of the failing group and the group named.
    Each group's transform is the kernel's own formula (and reference); only the bounds differ. Note
    that per-year bounds make scores incomparable across years; pooled bounds are the panel default.
    """
    A = _as_matrix(X)
    n, m = A.shape
    g = np.asarray(groups)
    if g.ndim != 1 or g.shape[0] != n:
        raise MethodError(f"groups must hold one label per row ({n}), got shape {g.shape}.")
    if "bounds" in kw and kw["bounds"] is not None:
        raise MethodError("by_group computes bounds per group; do not pass bounds=.")
    order = np.argsort(g, kind="stable")
    gs = g[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    ends = np.r_[starts[1:], n]
    out = np.empty_like(A)

    if kernel is minmax:
        _check_finite(A)
        pos = _as_positive(kw.get("positive"), m) if "positive" in kw else None
        if pos is None:
            raise MethodError("minmax needs positive= (one direction flag per indicator column).")
        shift = float(kw.get("shift", 1e-4))
        As = A[order]
        lo = np.minimum.reduceat(As, starts, axis=0)
        hi = np.maximum.reduceat(As, starts, axis=0)
        rng = hi - lo
        zero = ~(rng > 0)
        if zero.any():
            k, j = (int(v) for v in np.argwhere(zero)[0])
            raise MethodError(
                f"indicator column {j} is constant within group {gs[starts[k]]} "
                f"(min = max = {lo[k, j]}), "
                "so min-max normalisation would divide by zero; drop the indicator or normalise pooled.",
                column=j,
                row=int(order[starts[k]]),
            )
        base = np.where(pos, lo, hi)
        denom = np.where(pos, rng, -rng)
        counts = ends - starts
        Zs = np.subtract(As, np.repeat(base, counts, axis=0), out=As)
        np.divide(Zs, np.repeat(denom, counts, axis=0), out=Zs)
        if shift != 0:
            np.add(Zs, shift, out=Zs)
        out[order] = Zs
        return out

    for s, e in zip(starts, ends, strict=True):
        idx = order[s:e]
        try:
            out[idx] = kernel(A[idx], **kw)
        except MethodError as exc:
            row = int(idx[exc.row]) if exc.row is not None else int(idx[0])
            raise MethodError(f"in group {gs[s]}: {exc}", column=exc.column, row=row) from exc
    return out
