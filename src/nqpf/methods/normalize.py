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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
from nqpf.core.references import cite
from nqpf.core.threads import num_threads
from nqpf.methods.registry import register

__all__ = [
    "Directions",
    "apply_params",
    "by_group",
    "column_bounds",
    "degenerate",
    "fit_params",
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
# methods.md prose (facts: the index's settings plus n_rows, n_units, n_years; see nqpf.methods.registry)
# ----------------------------------------------------------------------------------------------------
def _where(facts: Mapping[str, Any], lang: str) -> str:
    pooled = facts["scope"] == "pooled"
    if lang == "zh":
        return "取全部单元和年份的混合面板（全局）计算，使各年得分可比" if pooled else \
            "在每一年内分别计算（截面），因此得分只能在年内比较，不能跨年比较"
    return ("over the pooled panel of all units and years, so that scores are comparable across years" if pooled
            else "within each year separately (cross-section), so that scores rank units within a year but are "
                 "not comparable across years")


def _minmax_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("hwang1981",), lang)
    c2 = cite(("oecd2008",), lang)
    shift = float(facts["shift"])
    if lang == "zh":
        return (f"采用极差标准化对指标进行无量纲化处理{c}：正向指标 "
                "$z_{ij} = (x_{ij} - \\min_j)/(\\max_j - \\min_j) + s$，负向指标 "
                f"$z_{{ij}} = (\\max_j - x_{{ij}})/(\\max_j - \\min_j) + s$，平移量 $s = {shift:g}$ 使各值均不为零。"
                f"最小值与最大值{_where(facts, lang)}{c2}。")
    return (f"Indicators were made dimensionless by min–max normalisation{c}: "
            "$z_{ij} = (x_{ij} - \\min_j)/(\\max_j - \\min_j) + s$ for positive indicators and "
            "$z_{ij} = (\\max_j - x_{ij})/(\\max_j - \\min_j) + s$ for negative ones, with a shift "
            f"$s = {shift:g}$ so that no value is exactly zero. The bounds $\\min_j$, $\\max_j$ were taken "
            f"{_where(facts, lang)}{c2}.")


def _interval_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("guo2007",), lang)
    if lang == "zh":
        return ("区间型（适度）指标的最佳区间为 $[q_1, q_2]$，按 $z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ 计算，其中 "
                f"$M = \\max(q_1 - \\min_j, \\max_j - q_2)${c}。")
    return ("Interval (moderate) indicators with a best range $[q_1, q_2]$ were scored "
            "$z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ with $M = \\max(q_1 - \\min_j, \\max_j - q_2)$"
            f"{c}.")


def _zscore_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("jain2005",), lang)
    pooled = facts["scope"] == "pooled"
    if lang == "zh":
        return ("指标采用 Z-score 标准化 $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$（样本标准差，负向指标取反号）"
                f"{c}，" + ("基于混合面板计算。" if pooled else "逐年计算。"))
    return ("Indicators were standardised as z-scores $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$ (sample standard "
            f"deviation; sign reversed for negative indicators){c}, "
            + ("over the pooled panel" if pooled else "within each year") + ".")


def _vector_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("hwang1981",), lang)
    pooled = facts["scope"] == "pooled"
    if lang == "zh":
        return ("指标采用向量归一化 $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$（负向指标取 $1 - r_{ij}$）"
                f"{c}，" + ("基于混合面板计算。" if pooled else "逐年计算。"))
    return ("Indicators were vector-normalised, $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$ ($1 - r_{ij}$ for "
            f"negative indicators){c}, " + ("over the pooled panel" if pooled else "within each year") + ".")


# ----------------------------------------------------------------------------------------------------
# bounds and min-max
# ----------------------------------------------------------------------------------------------------


def column_bounds(X: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Column minima and maxima ``(lo, hi)`` of ``X``; NaN/inf raises MethodError naming the cell.

    Examples
    --------
    >>> [v.tolist() for v in column_bounds([[1.0, 5.0], [3.0, 4.0]])]
    [[1.0, 4.0], [3.0, 5.0]]
    """
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


def _constant_message(kind: str, j: int, a: FloatArray, b: FloatArray) -> str:
    """The error for a degenerate column ``j`` of a normalisation (one wording for the kernels and the engine)."""
    if kind == "minmax":
        return (f"indicator column {j} is constant (min = max = {float(a[..., j].flat[0])}), so min-max "
                "normalisation would divide by zero; drop the indicator or check its data.")
    if kind == "zscore":
        return (f"indicator column {j} is constant (standard deviation 0), so the z-score would divide by zero; "
                "drop the indicator or check its data.")
    return f"indicator column {j} is all zeros, so vector normalisation would divide by zero."


def _check_range(lo: FloatArray, hi: FloatArray) -> FloatArray:
    rng = hi - lo
    zero = ~(rng > 0)
    if zero.any():
        j = int(np.flatnonzero(zero)[0])
        raise MethodError(_constant_message("minmax", j, lo, hi), column=j)
    return rng


@dataclass(frozen=True)
class Directions:
    """How each indicator column is read: ``positive`` (larger is better; False = negative), ``interval``
    (a moderate indicator with best range ``[best_low, best_high]``). Arrays of shape (m,)."""

    positive: NDArray[np.bool_]
    interval: NDArray[np.bool_]
    best_low: FloatArray
    best_high: FloatArray

    @classmethod
    def of(cls, positive: ArrayLike, m: int) -> Directions:
        """Monotone directions only (no interval indicators)."""
        pos = _as_positive(positive, m)
        return cls(pos, np.zeros(m, dtype=bool), np.zeros(m), np.zeros(m))


# ----------------------------------------------------------------------------------------------------
# the three normalisations as fit / apply pairs (batch-aware: X is (..., n, m), statistics over axis -2)
# ----------------------------------------------------------------------------------------------------
def fit_params(kind: str, X: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The parameters of normalisation ``kind`` over the rows (axis -2) of ``X`` (..., n, m).

    minmax: (column minimum, column maximum); zscore: (mean, sample sd, ddof 1); vector: (column norm,
    unused). Shapes (..., m). A 2-D matrix uses the blocked (and, when large, threaded) column pass.

    Examples
    --------
    >>> import numpy as np
    >>> [v.tolist() for v in fit_params("minmax", np.array([[1.0], [3.0]]))]
    [[1.0], [3.0]]
    """
    if kind == "minmax":
        if X.ndim == 2:
            return _column_minmax(X)
        return X.min(axis=-2), X.max(axis=-2)
    if kind == "zscore":
        return X.mean(axis=-2), X.std(axis=-2, ddof=1)
    if kind == "vector":
        norm = np.sqrt(np.einsum("...ij,...ij->...j", X, X))
        return norm, norm
    raise MethodError(f"unknown normalisation {kind!r}; use minmax, zscore or vector")


def degenerate(kind: str, a: FloatArray, b: FloatArray, dirs: Directions) -> NDArray[np.bool_]:
    """Columns (..., m) the normalisation cannot use: zero range (minmax, except interval indicators), zero
    standard deviation (zscore), zero norm (vector).

    Examples
    --------
    >>> import numpy as np
    >>> d = Directions.of([True, True], 2)
    >>> degenerate("minmax", np.array([0.0, 1.0]), np.array([1.0, 1.0]), d).tolist()
    [False, True]
    """
    if kind == "minmax":
        return ~(b - a > 0) & ~dirs.interval
    return ~(a > 0) if kind == "vector" else ~(b > 0)


def apply_params(kind: str, X: FloatArray, a: FloatArray, b: FloatArray, dirs: Directions,
                 shift: float = 1e-4) -> FloatArray:
    """Normalise ``X`` (..., n, m) with parameters ``a``, ``b`` (..., m) from :func:`fit_params`.

    minmax (Hwang & Yoon 1981): ``(x - lo) / (hi - lo) + shift`` for positive, ``(hi - x) / (hi - lo) + shift``
    for negative indicators, and for interval indicators (Guo 2007) ``1 - dist(x, [q1, q2]) / M + shift`` with
    ``M = max(q1 - lo, hi - q2)`` (every value scores ``1 + shift`` when ``M <= 0``). zscore (Jain et al. 2005):
    ``±(x - mean) / sd``. vector (Hwang & Yoon 1981): ``x / norm``, ``1 - x / norm`` for negative indicators.
    Degenerate columns (see :func:`degenerate`) give inf/NaN; callers check them first.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> apply_params("minmax", X, *fit_params("minmax", X), Directions.of([True], 1), shift=0.0).ravel().tolist()
    [0.0, 0.5, 1.0]
    """
    a_ = a[..., None, :]
    b_ = b[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "minmax":
            rng = b_ - a_
            base = np.where(dirs.positive, a_, b_)
            # (hi - x) / (hi - lo) == (x - hi) / -(hi - lo) exactly (negation is exact in IEEE arithmetic)
            Z = np.subtract(X, base)
            np.divide(Z, np.where(dirs.positive, rng, -rng), out=Z)
            if dirs.interval.any():
                j = dirs.interval
                q1, q2 = dirs.best_low[j], dirs.best_high[j]
                M = np.maximum(q1 - a_[..., j], b_[..., j] - q2)
                safe = np.where(M > 0, M, 1.0)
                dist = np.maximum(q1 - X[..., j], 0.0) + np.maximum(X[..., j] - q2, 0.0)
                Z[..., j] = 1.0 - dist / safe
            # with shift == 0 this still runs: +0.0 turns the -0.0 of a negative indicator's best unit into 0.0
            np.add(Z, shift, out=Z)
            return Z
        if kind == "zscore":
            Z = np.subtract(X, a_)
            np.divide(Z, np.where(dirs.positive, b_, -b_), out=Z)
            return Z
        if kind == "vector":
            R = np.divide(X, a_)
            neg = ~dirs.positive
            if neg.any():
                R[..., neg] = 1.0 - R[..., neg]
            return R
    raise MethodError(f"unknown normalisation {kind!r}; use minmax, zscore or vector")


def _checked(kind: str, A: FloatArray, dirs: Directions, bounds: tuple[ArrayLike, ArrayLike] | None
             ) -> tuple[FloatArray, FloatArray]:
    """Parameters of a 2-D matrix (or the given bounds), raising MethodError(column=j) for a degenerate column."""
    if bounds is not None:
        a, b = _resolve_bounds(A, bounds)
    else:
        _check_finite(A)
        a, b = fit_params(kind, A)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            _raise_nonfinite(A)
    bad = degenerate(kind, a, b, dirs)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise MethodError(_constant_message(kind, j, a, b), column=j)
    return a, b


@register("normalization", "minmax", label=("极差标准化（min–max）", "min–max normalisation"), refs=("hwang1981",),
          page="normalization", prose=_minmax_prose)
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

    Parameters
    ----------
    X : array (n, m) — rows are unit-years, columns indicators.
    positive : bool array (m,) — True for positive (larger-is-better) indicators (or +1/-1).
    shift : float — added after scaling.
    bounds : optional pair of arrays (m,) — fixed (lo, hi).

    Returns
    -------
    Z : array (n, m).

    Raises MethodError(column=j) for a constant column (``hi == lo``) and MethodError(row=i, column=j) at
    the first NaN/inf cell.

    Examples
    --------
    >>> minmax([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]], [True, False], shift=0.0).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    """
    A = _as_matrix(X)
    dirs = Directions.of(positive, A.shape[1])
    if not np.isfinite(shift):
        raise MethodError(f"shift must be a finite number, got {shift}.")
    lo, hi = _checked("minmax", A, dirs, bounds)
    return apply_params("minmax", A, lo, hi, dirs, shift)


@register("technique", "interval", label=("区间型（适度）指标标准化", "interval (moderate) indicator normalisation"),
          refs=("guo2007",), page="normalization", prose=_interval_prose)
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

    Parameters
    ----------
    X : array (n, m); best_low, best_high : arrays (m,); shift : float; bounds : optional (lo, hi) arrays (m,).

    Returns
    -------
    Z : array (n, m).

    Examples
    --------
    >>> interval([[0.0], [5.0], [10.0]], [4.0], [6.0], shift=0.0).ravel().tolist()
    [0.0, 1.0, 0.0]
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
    dirs = Directions(np.ones(m, dtype=bool), np.ones(m, dtype=bool), q1, q2)
    lo, hi = _checked("minmax", A, dirs, bounds)
    return apply_params("minmax", A, lo, hi, dirs, shift)


@register("normalization", "zscore", label=("Z-score 标准化", "z-score standardisation"), refs=("jain2005",),
          page="normalization", prose=_zscore_prose)
def zscore(X: ArrayLike, positive: ArrayLike | None = None, ddof: int = 1) -> FloatArray:
    """Z-score standardisation 标准化 ``z = ±(x - mean) / sd`` (Jain et al. 2005, Pattern Recognition 38(12)).

    ``sd`` is the sample standard deviation (ddof 1; ``ddof`` may change it). For a negative indicator the
    sign is flipped, ``z = (mean - x) / sd``. Results are signed; they are not valid input for the entropy
    method (which needs non-negative values). A constant column raises MethodError(column=j).

    Parameters
    ----------
    X : array (n, m); positive : optional bool array (m,) (default all positive); ddof : int.

    Returns
    -------
    Z : array (n, m).

    Examples
    --------
    >>> zscore([[1.0], [2.0], [3.0]]).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """
    A = _as_matrix(X, min_rows=ddof + 1)
    m = A.shape[1]
    dirs = Directions.of(np.ones(m, dtype=bool) if positive is None else positive, m)
    if ddof == 1:
        mu, sd = _checked("zscore", A, dirs, None)
    else:
        _check_finite(A)
        mu, sd = A.mean(axis=0), A.std(axis=0, ddof=ddof)
        bad = degenerate("zscore", mu, sd, dirs)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise MethodError(_constant_message("zscore", j, mu, sd), column=j)
    return apply_params("zscore", A, mu, sd, dirs)


@register("normalization", "vector", label=("向量归一化", "vector normalisation"), refs=("hwang1981",),
          page="normalization", prose=_vector_prose)
def vector(X: ArrayLike, positive: ArrayLike | None = None) -> FloatArray:
    """Vector normalisation 向量归一化 ``r = x / sqrt(sum_i x^2)`` (Hwang & Yoon 1981, Multiple Attribute DM).

    A negative (cost) indicator uses ``1 - r``, as pymcdm's ``vector_normalization(x, cost=True)`` does.
    Note that classical TOPSIS instead keeps ``r`` and swaps the ideal and anti-ideal for cost
    criteria; ``1 - r`` gives the same TOPSIS distances, since it is a reflection of the column.
    A column of zeros raises MethodError(column=j).

    Parameters
    ----------
    X : array (n, m); positive : optional bool array (m,).

    Returns
    -------
    R : array (n, m).

    Examples
    --------
    >>> vector([[3.0], [4.0]]).ravel().tolist()
    [0.6, 0.8]
    """
    A = _as_matrix(X)
    m = A.shape[1]
    dirs = Directions.of(np.ones(m, dtype=bool) if positive is None else positive, m)
    norm, _ = _checked("vector", A, dirs, None)
    return apply_params("vector", A, norm, norm, dirs)


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

    Examples
    --------
    >>> by_group(minmax, [[1.0], [3.0], [10.0], [20.0]], [2020, 2020, 2021, 2021], positive=[True],
    ...          shift=0.0).ravel().tolist()
    [0.0, 1.0, 0.0, 1.0]
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
        counts = ends - starts
        # each row normalised with its group's bounds: the rows are a batch of 1-row matrices
        Zs = apply_params("minmax", As[:, None, :], np.repeat(lo, counts, axis=0), np.repeat(hi, counts, axis=0),
                          Directions(pos, np.zeros(m, dtype=bool), np.zeros(m), np.zeros(m)), shift)[:, 0, :]
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
