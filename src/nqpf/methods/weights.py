"""Weighting kernels 赋权方法: objective (entropy, CRITIC, CV), subjective (AHP), equal and combined.

All functions return float64 weight vectors that are non-negative and sum to 1. Bad input raises
:class:`nqpf.core.errors.MethodError` with ``column``/``row`` positions set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
from nqpf.core.references import cite
from nqpf.methods.normalize import (
    _as_matrix,
    _block_rows,
    _buffer,
    _check_finite,
    _check_weights,
    _first_bad_cell,
    _for_blocks,
    _raise_nonfinite,
    _tile,
)
from nqpf.methods.registry import WEIGHTINGS, register

__all__ = [
    "SAATY_RANDOM_INDEX",
    "ahp",
    "combined",
    "critic",
    "cv",
    "entropy",
    "entropy_parts",
    "equal",
    "global_entropy",
]

FloatArray = NDArray[np.float64]

# smallest positive normal float64: log(TINY) is finite, and 0 * log(TINY) == 0, giving 0 ln 0 = 0.
_TINY = np.finfo(np.float64).tiny


def _normalise(d: FloatArray, what: str) -> FloatArray:
    s = d.sum()
    if not s > 0:
        raise MethodError(
            f"{what}: every indicator column carries zero information (all columns constant, or varying only "
            "at rounding level), so weights are undefined; check that the matrix varies across unit-years."
        )
    return d / s


# ----------------------------------------------------------------------------------------------------
# entropy weight method 熵值法 / 熵权法
# ----------------------------------------------------------------------------------------------------


#: Columns whose mean lies within a factor 2**_SCALE_LOG2_TOL of 1 are used as they are; others are first
#: scaled by an exact power of two (see :func:`entropy_parts`).
_SCALE_LOG2_TOL = 4

#: Rounding level of the computed divergence D_j = T_j / S_j - ln zbar_j (per unit of 1 + |ln zbar_j|).
_D_NOISE = 1e-13


def _entropy_sums(
    A: FloatArray, cols: NDArray[np.intp] | None, log2_scale: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """One blocked pass: ``T_j = sum_i t ln t`` and ``S_j = sum_i t`` for ``t = z * 2**-log2_scale``."""
    n = A.shape[0]
    m = A.shape[1] if cols is None else cols.shape[0]
    nb = -(-n // _block_rows(A.shape[1]))
    T_part = np.empty((nb, m))
    S_part = np.empty((nb, m))
    scaled = bool((log2_scale != 0).any())
    scale = np.ldexp(1.0, -log2_scale)  # exact powers of two: t = z * scale has no rounding error

    def work(b: int, start: int, stop: int, scratch: dict[str, Any]) -> None:
        blk = A[start:stop] if cols is None else A[start:stop, cols]
        k = blk.shape[0]
        t = np.multiply(blk, _tile(scratch, "scale", scale, k), out=_buffer(scratch, "t", k, m)) if scaled else blk
        L = np.add(t, _TINY, out=_buffer(scratch, "L", k, m))
        ones = scratch.get("ones")
        if ones is None or ones.shape[0] < k:
            ones = scratch["ones"] = np.ones(k)
        # NaN (log of a negative value) and overflow are reported by the caller, so no warnings here;
        # errstate is set inside the worker because threads do not inherit it
        with np.errstate(invalid="ignore", over="ignore"):
            np.log(L, out=L)
            np.einsum("ij,ij->j", t, L, out=T_part[b])
            np.matmul(ones[:k], t, out=S_part[b])

    _for_blocks(A, work)
    with np.errstate(invalid="ignore", over="ignore"):
        return T_part.sum(axis=0), S_part.sum(axis=0)


def _log2_scale(mean: FloatArray) -> NDArray[np.int64]:
    ok = np.isfinite(mean) & (mean > 0)
    k = np.zeros(mean.shape, dtype=np.int64)
    k[ok] = np.rint(np.log2(mean[ok])).astype(np.int64)
    k[np.abs(k) <= _SCALE_LOG2_TOL] = 0
    return np.clip(k, -1020, 1020)  # 2**-k stays a normal, finite float64


def entropy_parts(Z: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Entropy ``e``, divergence ``d = 1 - e`` and weights ``w`` per column (Zeleny 1982, MCDM, McGraw-Hill).

    Same method as :func:`entropy`, also returning the intermediate vectors ``(e, d, w)``.

    Examples
    --------
    >>> e, d, w = entropy_parts([[0.1, 0.5], [0.9, 0.5]])
    >>> w.tolist()
    [1.0, 0.0]
    """
    A = _as_matrix(Z, name="Z", min_rows=2)
    n, m = A.shape

    # Identity used (one streaming pass): with p_ij = z_ij / S_j, zbar_j = S_j / n, T_j = sum_i z ln z,
    #   sum_i p ln p = T_j / S_j - ln S_j,   so   d_j = 1 - e_j = (T_j / S_j - ln zbar_j) / ln n.
    # The textbook form 1 + sum p ln p / ln n cancels ln n against itself; this form only cancels
    # ln zbar_j, which is kept small by scaling a column by an exact power of two (no rounding) when its
    # mean is far from 1; the scale is chosen from the first row block and corrected if that misled.
    head = A[: _block_rows(m)]
    with np.errstate(invalid="ignore", over="ignore"):
        log2s = _log2_scale(head.mean(axis=0))
    T, S = _entropy_sums(A, None, log2s)
    over = np.flatnonzero((~np.isfinite(S) | np.isinf(T)) & (log2s != 0))
    if over.size:  # a scale picked from the first block overflowed later rows: redo those unscaled
        log2s[over] = 0
        T[over], S[over] = _entropy_sums(A, over, log2s[over])
    if not np.isfinite(S).all():
        _raise_nonfinite(A, "Z")
    if np.isnan(T).any():
        _raise_negative(A, int(np.flatnonzero(np.isnan(T))[0]))
    if not np.isfinite(T).all():
        _raise_nonfinite(A, "Z")  # finite data whose z ln z overflows: reported as too large
    zero = S == 0  # a non-negative column summing to 0 is all zeros: constant, weight 0
    zbar = S / n
    with np.errstate(divide="ignore"):
        redo = np.flatnonzero(~zero & (np.abs(np.log2(np.where(zero, 1.0, zbar))) > _SCALE_LOG2_TOL))
    if redo.size:  # the first block was unrepresentative of these columns: rescale by the true mean
        new = np.clip(log2s[redo] + _log2_scale(zbar[redo]), -1020, 1020)
        T[redo], S[redo] = _entropy_sums(A, redo, new)
        zbar[redo] = S[redo] / n
    D = _divergence(A, T, S, zero, zbar)
    d = D / np.log(n)
    e = 1.0 - d
    w = _normalise(d, "entropy weights")
    return e, d, w


def _divergence(A: FloatArray, T: FloatArray, S: FloatArray, zero: NDArray[np.bool_], zbar: FloatArray
                ) -> FloatArray:
    """``D_j = T_j / S_j - ln zbar_j`` (..., m), with constant columns exactly 0 (shared by every entropy path).

    A constant column has D = 0 in exact arithmetic but leaves rounding noise (up to ~1e-13) in floating
    point. So that a constant column gets weight exactly 0, never noise or NaN: columns with a small
    divergence are checked for exact constancy, and a divergence below the rounding level
    _D_NOISE * (1 + |ln zbar|) (a coefficient of variation below about 5e-7) counts as 0.
    """
    safe_S = np.where(zero, 1.0, S)
    with np.errstate(divide="ignore", invalid="ignore"):
        D = T / safe_S - np.log(np.where(zero, 1.0, zbar))
    D = np.where(zero, 0.0, np.maximum(D, 0.0))
    small = (D < 1e-9) & ~zero
    if small.any():
        const = A.min(axis=-2) == A.max(axis=-2)
        with np.errstate(divide="ignore", invalid="ignore"):
            noise = _D_NOISE * (1.0 + np.abs(np.log(np.where(zero, 1.0, zbar))))
        D = np.where(small & (const | (D < noise)), 0.0, D)
    return D


def _entropy_batch(M: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Entropy weights of a batch of matrices ``M`` (..., n, k) -> (W (..., k), bad (...)).

    The same divergence as :func:`entropy_parts` (:func:`_divergence`), with the power-of-two column scaling
    chosen from each matrix's column means. ``bad``: a negative value, or no column carries information.
    """
    n = M.shape[-2]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        log2s = _log2_scale(M.mean(axis=-2))
        t = M * np.ldexp(1.0, -log2s)[..., None, :]
        T = np.einsum("...ij,...ij->...j", t, np.log(t + _TINY))
        S = t.sum(axis=-2)
    bad = (M < 0).any(axis=(-2, -1)) | ~np.isfinite(S).all(axis=-1)
    zero = S == 0
    D = _divergence(M, T, S, zero, S / n)
    return _simplex(D / np.log(n), bad)


def _simplex(d: FloatArray, bad: NDArray[np.bool_]) -> tuple[FloatArray, NDArray[np.bool_]]:
    """``w = d / sum d`` over the last axis; rows with no positive total are flagged (weights NaN)."""
    tot = d.sum(axis=-1, keepdims=True)
    ok = tot[..., 0] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        w = d / np.where(ok[..., None], tot, np.nan)
    return w, bad | ~ok


def _raise_negative(A: FloatArray, j: int) -> None:
    cell = _first_bad_cell(A[:, j : j + 1], lambda b: b < 0)
    i = cell[0] if cell is not None else None
    where = f" at row {i} ({A[i, j]})" if i is not None else ""
    raise MethodError(
        f"Z has a negative value in column {j}{where}; the entropy method takes logarithms of shares "
        "and needs non-negative values. Normalise with min-max (plus a small shift) first.",
        column=j,
        row=i,
    )


def _entropy_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("shannon1948", "zeleny1982"), lang)
    formula = ("$p_{ij} = z_{ij}/\\sum_i z_{ij}$, $e_j = -\\frac{1}{\\ln n}\\sum_i p_{ij}\\ln p_{ij}$, "
               "$d_j = 1 - e_j$, $w_j = d_j/\\sum_k d_k$")
    if facts["weighting"] == "entropy":
        if lang == "zh":
            return (f"采用熵值法确定指标权重{c}：{formula}，逐年计算（$n$ 为当年单元数），各年以当年权重集成，"
                    "报告的权重为各年权重的均值。")
        return (f"Indicator weights were set by the entropy weight method{c}, {formula}, computed separately for "
                "each year ($n$ = units in that year); each year is aggregated with its own weights, and the weights "
                "reported are their mean over the years.")
    n_rows = facts.get("n_rows", "")
    if lang == "zh":
        return (f"采用全局熵值法确定指标权重{c}：{formula}，基于全部单元-年份堆叠的面板计算（$n = {n_rows}$），"
                "各年使用同一组权重。")
    return (f"Indicator weights were set by the global entropy weight method{c}: {formula}, computed on the stacked "
            f"panel of all unit-years ($n = {n_rows}$), so that one set of weights applies to every year.")


@register("weighting", "entropy", label=("熵值法（逐年）", "entropy weight method (per year)"),
          refs=("shannon1948", "zeleny1982"), page="entropy", family="objective", per_year=True,
          prose=_entropy_prose, engine=_entropy_batch)
def entropy(Z: ArrayLike) -> FloatArray:
    """Entropy weight method 熵值法 (Zeleny 1982, Multiple Criteria Decision Making, McGraw-Hill).

    Entropy after Shannon (1948), Bell System Technical Journal 27(3), 379-423.

    ``p_ij = z_ij / sum_i z_ij``, ``e_j = -(1/ln n) sum_i p_ij ln p_ij`` (with 0 ln 0 = 0),
    ``d_j = 1 - e_j``, ``w_j = d_j / sum_k d_k``. ``Z`` must be non-negative (normalise first).
    A constant column gets weight 0 exactly (not NaN); if every column is constant MethodError is
    raised. A negative value or NaN/inf raises MethodError naming the row and column.

    Computed in one streaming pass over row blocks (temporaries stay in cache; extra memory is a few
    MiB whatever the size of ``Z``; large matrices use several threads, with results independent of
    their number) via the algebraically identical ``d_j = (T_j / S_j - ln(S_j / n)) / ln n`` with
    ``T_j = sum_i z ln z`` and ``S_j = sum_i z``, which avoids the textbook's cancellation of ``ln n``.

    Examples
    --------
    >>> entropy([[0.2, 0.3], [0.4, 0.3], [0.9, 0.31]]).round(4).tolist()
    [0.9993, 0.0007]
    """
    return entropy_parts(Z)[2]


@register("weighting", "global_entropy", label=("全局熵值法", "global entropy weight method"),
          refs=("shannon1948", "zeleny1982"), page="entropy", family="objective", prose=_entropy_prose,
          engine=_entropy_batch)
def global_entropy(Z: ArrayLike) -> FloatArray:
    """Global (pooled-panel) entropy 全局熵值法: :func:`entropy` on the stacked panel (Zeleny 1982, MCDM).

    There is no separate kernel: stacking every unit-year into one matrix before weighting (rather than
    weighting each year's cross-section) is what keeps weights, and so scores, comparable across years.

    Examples
    --------
    >>> global_entropy([[0.2, 0.3], [0.4, 0.3], [0.9, 0.31]]).round(4).tolist()
    [0.9993, 0.0007]
    """
    return entropy(Z)


# ----------------------------------------------------------------------------------------------------
# CRITIC, coefficient of variation, equal weights
# ----------------------------------------------------------------------------------------------------


def _constant_columns(M: FloatArray, ddof: int = 1) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Column standard deviations (..., k) and which columns count as constant: a spread negligible (1e-14)
    relative to the column's magnitude (rounding noise of a constant column is not information)."""
    sigma = M.std(axis=-2, ddof=ddof)
    scale = np.abs(M).max(axis=-2)
    return sigma, ~(sigma > 1e-14 * np.where(scale > 0, scale, 1.0))


def _critic_batch(M: FloatArray, ddof: int = 1) -> tuple[FloatArray, NDArray[np.bool_]]:
    """CRITIC weights of a batch ``M`` (..., n, k) -> (W (..., k), bad (...)).

    ``C_j = sigma_j * sum_k (1 - r_jk)`` over the varying columns: a column whose spread is negligible
    relative to its magnitude is constant, gets weight 0 and is left out of the others' conflict sums;
    correlations are clipped to [-1, 1] and a conflict below 1e-12 (r = 1 up to rounding) counts as 0.
    ``bad``: every column constant, or every pair of varying columns perfectly correlated (C sums to 0).
    """
    k = M.shape[-1]
    sigma, const = _constant_columns(M, ddof)
    Xc = M - M.mean(axis=-2, keepdims=True)
    cov = np.einsum("...ij,...ik->...jk", Xc, Xc)
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    sd = np.where(const, 1.0, sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.clip(cov / (sd[..., :, None] * sd[..., None, :]), -1.0, 1.0)  # rounding can push |r| past 1
    R = np.where(const[..., :, None] | const[..., None, :], 1.0, R)
    idx = np.arange(k)
    R[..., idx, idx] = 1.0
    conflict = 1.0 - R
    conflict[conflict < 1e-12] = 0.0  # r = 1 up to rounding: no conflict, not a tiny signed one
    C = np.where(const, 0.0, sigma * conflict.sum(axis=-1))
    return _simplex(C, np.zeros(M.shape[:-2], dtype=bool))


def _critic_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("diakoulaki1995",), lang)
    if lang == "zh":
        return (f"采用 CRITIC 法确定指标权重{c}（基于标准化矩阵）："
                "$C_j = \\sigma_j\\sum_k(1 - r_{jk})$，$w_j = C_j/\\sum_k C_k$，其中 $\\sigma_j$ 为指标 $j$ 的标准差，"
                "$r_{jk}$ 为指标 $j$ 与 $k$ 的 Pearson 相关系数。")
    return (f"Indicator weights were set by the CRITIC method{c} on the normalised matrix: "
            "$C_j = \\sigma_j\\sum_k(1 - r_{jk})$, $w_j = C_j/\\sum_k C_k$, with $\\sigma_j$ the standard "
            "deviation of indicator $j$ and $r_{jk}$ the Pearson correlation of indicators $j$ and $k$.")


@register("weighting", "critic", label=("CRITIC 赋权法", "CRITIC weighting"), refs=("diakoulaki1995",),
          page="critic", family="objective", prose=_critic_prose, engine=_critic_batch)
def critic(Z: ArrayLike, ddof: int = 1) -> FloatArray:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, Computers & Oper. Res. 22(7), 763-770).

    ``C_j = sigma_j * sum_k (1 - r_jk)`` with ``sigma_j`` the standard deviation of column j and
    ``r_jk`` the Pearson correlation of columns j and k; ``w_j = C_j / sum_k C_k``. ``ddof`` cancels in
    the weights (kept for inspection symmetry with pymcdm, which uses ddof=1). A constant column has
    ``sigma_j = 0`` and undefined correlations: it gets weight 0 and is left out of the other columns'
    conflict sums, so adding a constant column never changes the other weights. All columns constant
    raises MethodError.

    Parameters
    ----------
    Z : array (n, m), the normalised matrix; ddof : int.

    Returns
    -------
    w : array (m,), non-negative, summing to 1.

    Examples
    --------
    >>> critic([[0.0, 1.0], [1.0, 0.0], [0.5, 0.2]]).round(4).tolist()
    [0.4858, 0.5142]
    """
    A = _as_matrix(Z, name="Z", min_rows=2)
    _check_finite(A, "Z")
    w, bad = _critic_batch(A, ddof)
    if bad:
        if _constant_columns(A, ddof)[1].all():
            raise MethodError("CRITIC weights: every indicator column is constant, so weights are undefined; "
                              "check that the matrix varies across unit-years.")
        raise MethodError(
            "CRITIC weights: every pair of varying indicators is perfectly correlated, so the conflict term "
            "carries zero information and CRITIC weights are undefined (0/0); use entropy or CV weights."
        )
    return w


def _cv_batch(X: FloatArray, ddof: int = 1) -> tuple[FloatArray, NDArray[np.bool_]]:
    """CV weights of a batch of raw matrices ``X`` (..., n, k): ``v = sigma / mean``; ``bad`` where a mean <= 0."""
    mu = X.mean(axis=-2)
    bad = ~(mu > 0).all(axis=-1)
    v = X.std(axis=-2, ddof=ddof) / np.where(mu > 0, mu, 1.0)
    return _simplex(v, bad)


def _cv_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("wang2010",), lang)
    if lang == "zh":
        return (f"采用变异系数法确定指标权重{c}（基于原始指标值）：$v_j = \\sigma_j/\\bar x_j$，"
                "$w_j = v_j/\\sum_k v_k$。")
    return (f"Indicator weights were set by the coefficient-of-variation method{c} on the raw indicator values: "
            "$v_j = \\sigma_j/\\bar x_j$, $w_j = v_j/\\sum_k v_k$.")


@register("weighting", "cv", label=("变异系数法", "coefficient-of-variation weighting"), refs=("wang2010",),
          page="cv", family="objective", input="raw", prose=_cv_prose, engine=_cv_batch)
def cv(X: ArrayLike, ddof: int = 1) -> FloatArray:
    """Coefficient-of-variation weights 变异系数法 (dispersion weighting; cf. Wang & Luo 2010, Math. Comput. Model.).

    ``v_j = sigma_j / mean_j``, ``w = v / sum v``: the standard-deviation weighting of Wang & Luo (2010,
    Mathematical and Computer Modelling 51(1-2), 1-12) made unit-free by dividing by the mean. ``ddof``
    cancels in the weights. Every column needs a positive mean (CV is meaningless otherwise: normalise
    first); a constant column gets weight 0.

    Parameters
    ----------
    X : array (n, m), raw indicator values; ddof : int.

    Returns
    -------
    w : array (m,).

    Examples
    --------
    >>> cv([[1.0, 10.0], [3.0, 10.0]]).tolist()
    [1.0, 0.0]
    """
    A = _as_matrix(X, min_rows=2)
    _check_finite(A)
    mu = A.mean(axis=0)
    badcol = ~(mu > 0)
    if badcol.any():
        j = int(np.flatnonzero(badcol)[0])
        raise MethodError(
            f"column {j} has mean {mu[j]} <= 0, so its coefficient of variation is meaningless; "
            "apply min-max normalisation (with a shift) before CV weighting.",
            column=j,
        )
    w, bad = _cv_batch(A, ddof)
    if bad:
        _normalise(np.zeros(A.shape[1]), "CV weights")
    return w


def _sd_batch(Z: FloatArray, ddof: int = 1) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Standard-deviation weights of a batch ``Z`` (..., n, k): ``w = sigma / sum sigma``."""
    return _simplex(Z.std(axis=-2, ddof=ddof), np.zeros(Z.shape[:-2], dtype=bool))


def _sd_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("wang2010",), lang)
    if lang == "zh":
        return (f"采用标准差法确定指标权重{c}（基于标准化矩阵）：$w_j = \\sigma_j/\\sum_k \\sigma_k$，"
                "标准差越大的指标区分度越高、权重越大。")
    return (f"Indicator weights were set by the standard-deviation method{c} on the normalised matrix: "
            "$w_j = \\sigma_j/\\sum_k \\sigma_k$, so indicators that separate the units more weigh more.")


@register("weighting", "sd", label=("标准差法", "standard-deviation weighting"), refs=("wang2010",), page="sd",
          family="objective", prose=_sd_prose, engine=_sd_batch)
def sd(Z: ArrayLike, ddof: int = 1) -> FloatArray:
    """Standard-deviation weights 标准差法 (Wang & Luo 2010, Mathematical and Computer Modelling 51(1-2), 1-12).

    ``w_j = sigma_j / sum_k sigma_k`` on the normalised matrix: an objective method that gives more weight
    to indicators that spread the units out more. ``ddof`` cancels in the weights. A constant column gets
    weight 0; all columns constant raises MethodError.

    Parameters
    ----------
    Z : array (n, m), the normalised matrix; ddof : int.

    Returns
    -------
    w : array (m,), non-negative, summing to 1.

    Examples
    --------
    >>> sd([[0.0, 0.0], [1.0, 0.5], [2.0, 1.0]]).tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    A = _as_matrix(Z, name="Z", min_rows=2)
    _check_finite(A, "Z")
    w, bad = _sd_batch(A, ddof)
    if bad:
        _normalise(np.zeros(A.shape[1]), "standard-deviation weights")
    return w


def _independence_batch(Z: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Independence weights of a batch ``Z`` (..., n, k): ``w ∝ 1 / R_j`` with ``R_j²`` = 1 − 1/[C⁻¹]_jj.

    ``C`` is the correlation matrix of the varying columns; ``R_j`` is the multiple correlation of column j
    with the others (the identity R_j² = 1 − 1/[C⁻¹]_jj avoids m regressions). Constant columns get weight 0.
    ``bad``: fewer than two varying columns, or collinear columns (C singular, some R_j = 1 or 0).
    """
    k = Z.shape[-1]
    const = _constant_columns(Z, ddof=0)[1]
    Xc = Z - Z.mean(axis=-2, keepdims=True)
    sd_ = np.where(const, 1.0, np.sqrt((Xc * Xc).sum(axis=-2)))
    U = Xc / sd_[..., None, :]
    C = np.einsum("...ij,...ik->...jk", U, U)
    eye = np.eye(k, dtype=bool)
    # constant columns: identity rows/columns, so they do not touch the others' R_j
    C = np.where(const[..., :, None] | const[..., None, :], eye, C)
    bad = (~const).sum(axis=-1) < 2
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            inv_diag = np.diagonal(np.linalg.inv(C), axis1=-2, axis2=-1)
        except np.linalg.LinAlgError:
            inv_diag = np.full(C.shape[:-1], np.inf)
        R2 = 1.0 - 1.0 / inv_diag
        R = np.sqrt(np.clip(R2, 0.0, 1.0))
        d = np.where(const, 0.0, 1.0 / R)
    bad = bad | ~np.isfinite(d).all(axis=-1) | ~(np.where(const, 0.0, R2) < 1.0 - 1e-10).all(axis=-1)
    return _simplex(np.where(np.isfinite(d), d, 0.0), bad)


def _independence_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("guo2007",), lang)
    if lang == "zh":
        return (f"采用复相关系数法确定指标权重{c}（基于标准化矩阵）：以指标 $j$ 对其余指标回归的复相关系数 $R_j$ "
                "度量其可被替代的程度，$w_j = R_j^{-1}/\\sum_k R_k^{-1}$，独立性越强的指标权重越大。")
    return (f"Indicator weights were set by the independence (multiple-correlation) method{c} on the normalised "
            "matrix: $R_j$ is the multiple correlation of indicator $j$ with the others and "
            "$w_j = R_j^{-1}/\\sum_k R_k^{-1}$, so the less an indicator is explained by the others, the more it "
            "weighs.")


@register("weighting", "independence", label=("复相关系数法", "independence (multiple-correlation) weighting"),
          refs=("guo2007",), page="independence", family="objective", prose=_independence_prose,
          engine=_independence_batch)
def independence(Z: ArrayLike) -> FloatArray:
    """Independence weights 复相关系数法 (Guo Yajun 2007, 综合评价理论、方法及应用, 科学出版社).

    ``R_j`` is the multiple correlation coefficient of column j regressed on the other columns; an
    indicator the others explain well carries little information of its own, so ``w_j = (1/R_j) / sum_k
    (1/R_k)``. Computed from the inverse correlation matrix: ``R_j² = 1 − 1/[C⁻¹]_jj``. A constant column
    gets weight 0; collinear columns (some ``R_j = 1``), uncorrelated ones (``R_j = 0``) or fewer than two
    varying columns raise MethodError.

    Parameters
    ----------
    Z : array (n, m), the normalised matrix.

    Returns
    -------
    w : array (m,), non-negative, summing to 1.

    Examples
    --------
    >>> Z = [[0.1, 0.2, 0.9], [0.4, 0.3, 0.1], [0.8, 0.9, 0.5], [0.3, 0.7, 0.2], [0.9, 0.4, 0.6]]
    >>> independence(Z).round(4).tolist()
    [0.2965, 0.2593, 0.4441]
    """
    A = _as_matrix(Z, name="Z", min_rows=3)
    _check_finite(A, "Z")
    w, bad = _independence_batch(A)
    if bad:
        raise MethodError(
            "independence weights: the multiple correlation of some indicator with the others is 1 (collinear "
            "indicators) or 0 (an indicator uncorrelated with all others), or fewer than two indicators vary, so "
            "1/R is undefined; drop the redundant indicator or use entropy or CRITIC weights."
        )
    return w


def _equal_batch(M: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Equal weights for a batch (..., n, k)."""
    k = M.shape[-1]
    return np.full((*M.shape[:-2], k), 1.0 / k), np.zeros(M.shape[:-2], dtype=bool)


def _equal_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("dawes1979",), lang)
    return f"各指标取相等权重 $w_j = 1/m${c}。" if lang == "zh" else \
        f"All indicators received equal weights $w_j = 1/m${c}."


@register("weighting", "equal", label=("等权法", "equal weights"), refs=("dawes1979",), page="combined",
          family="objective", prose=_equal_prose, engine=_equal_batch)
def equal(m: int) -> FloatArray:
    """Equal weights 等权法 ``w_j = 1/m`` (Dawes 1979, American Psychologist 34(7), 571-582).

    Parameters
    ----------
    m : int, the number of indicators.

    Returns
    -------
    w : array (m,).

    Examples
    --------
    >>> equal(4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise MethodError(f"equal weights need a positive integer number of indicators, got {m}.")
    return np.full(int(m), 1.0 / int(m))


# ----------------------------------------------------------------------------------------------------
# AHP 层次分析法
# ----------------------------------------------------------------------------------------------------

#: Saaty's average random consistency index RI for matrix orders 1..15, as tabulated from Saaty (1980),
#: The Analytic Hierarchy Process, McGraw-Hill (orders 1..10 also in Saaty 1990, EJOR 48(1), 9-26).
SAATY_RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}


def _ahp_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("saaty1977", "saaty1980"), lang)
    cr = facts.get("ahp_consistency_ratio") or {}
    worst = max(cr.values()) if cr else None
    if lang == "zh":
        return (f"主观权重采用层次分析法确定{c}：各节点取判断矩阵最大特征值对应的特征向量，"
                "一致性指标 $CI = (\\lambda_{\\max} - n)/(n - 1)$，"
                "一致性比率 $CR = CI/RI_n$（Saaty 平均随机一致性指标），"
                "要求 $CR < 0.1$；全局权重为逐层权重之积。" + (f"最大一致性比率 CR = {worst:.3f}。" if cr else ""))
    return (f"Subjective weights were derived by the analytic hierarchy process{c}: at every node the principal "
            "eigenvector of the pairwise comparison matrix, with consistency index "
            "$CI = (\\lambda_{\\max} - n)/(n - 1)$ and ratio $CR = CI/RI_n$ (Saaty's random index), required to be "
            "below 0.1; global weights are products down the tree."
            + (f" The largest consistency ratio was CR = {worst:.3f}." if cr else ""))


@register("weighting", "ahp", label=("层次分析法（AHP）", "analytic hierarchy process (AHP)"),
          refs=("saaty1977", "saaty1980"), page="ahp", family="subjective", prose=_ahp_prose)
def ahp(
    A: ArrayLike,
    max_cr: float = 0.1,
    allow_inconsistent: bool = False,
    rtol: float = 1e-6,
) -> tuple[FloatArray, float]:
    """AHP priority weights 层次分析法, principal eigenvector (Saaty 1977, J. Math. Psychol. 15(3), 234-281).

    ``A`` is a positive reciprocal pairwise comparison matrix (``a_ji = 1 / a_ij``, ``a_ii = 1``, within
    relative tolerance ``rtol``: enter 1/3 as ``1/3``, not ``0.33``). Returns ``(w, CR)`` with
    ``CI = (lambda_max - n) / (n - 1)`` and ``CR = CI / RI_n`` (Saaty's random index, orders up to 15).
    ``CR >= max_cr`` raises MethodError unless ``allow_inconsistent``. A non-positive or non-reciprocal
    cell raises MethodError naming it (``row``, ``column``).

    Examples
    --------
    >>> w, cr = ahp([[1, 3], [1 / 3, 1]])
    >>> w.round(4).tolist(), cr
    ([0.75, 0.25], 0.0)
    """
    M = _as_matrix(A, name="A")
    n = M.shape[0]
    if M.shape[1] != n:
        raise MethodError(f"the AHP comparison matrix must be square, got shape {M.shape}.")
    if n > max(SAATY_RANDOM_INDEX):
        raise MethodError(
            f"AHP matrix of order {n} is larger than Saaty's random index table ({max(SAATY_RANDOM_INDEX)}); "
            "split the comparison into a hierarchy of smaller groups."
        )
    bad = ~np.isfinite(M) | ~(M > 0)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise MethodError(
            f"AHP matrix cell ({i}, {j}) = {M[i, j]} must be a positive finite judgement (1/9 .. 9).",
            column=j,
            row=i,
        )
    diag = np.abs(np.diag(M) - 1.0) > rtol
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        raise MethodError(f"AHP matrix diagonal cell ({i}, {i}) = {M[i, i]} must be 1.", column=i, row=i)
    recip = np.abs(M * M.T - 1.0) > rtol
    if recip.any():
        i, j = (int(v) for v in np.argwhere(recip)[0])
        raise MethodError(
            f"AHP matrix is not reciprocal at cell ({i}, {j}): a[{i},{j}] = {M[i, j]} but "
            f"a[{j},{i}] = {M[j, i]}, product {M[i, j] * M[j, i]} != 1; set a[{j},{i}] = 1/a[{i},{j}] "
            "(exact fractions, not rounded decimals).",
            column=j,
            row=i,
        )
    vals, vecs = np.linalg.eig(M)
    k = int(np.argmax(vals.real))
    lam = float(vals.real[k])
    v = np.abs(vecs[:, k].real)  # Perron vector: one sign; abs removes the arbitrary sign of eig
    w = v / v.sum()
    if n <= 2:
        cr = 0.0
    else:
        ci = (lam - n) / (n - 1)
        cr = max(ci, 0.0) / SAATY_RANDOM_INDEX[n]
    if cr >= max_cr and not allow_inconsistent:
        raise MethodError(
            f"AHP matrix is not acceptably consistent: CR = {cr:.4f} >= {max_cr} (lambda_max = {lam:.4f}, "
            f"n = {n}); revise the judgements, or pass allow_inconsistent=True to use it anyway."
        )
    return w, cr


# ----------------------------------------------------------------------------------------------------
# combined (subjective + objective) weights 组合赋权
# ----------------------------------------------------------------------------------------------------


def _check_simplex(w: ArrayLike, name: str, m: int | None = None) -> FloatArray:
    a = np.asarray(w, dtype=np.float64)
    return _check_weights(a, a.shape[0] if (m is None and a.ndim == 1) else (m or -1), name)


def _combine_batch(s: FloatArray, o: FloatArray, how: str, alpha: float = 0.5
                   ) -> tuple[FloatArray, NDArray[np.bool_], dict[str, FloatArray]]:
    """Combine subjective ``s`` and objective ``o`` weights (..., m) -> (w, bad, coefficients) (see :func:`combined`).

    The coefficients (arrays of the batch shape) are ``alpha``, ``beta`` for the linear and game rules and
    ``raw`` (a1, a2) for the game rule: the 2x2 first-order system solved in closed form, ``(0.5, 0.5)`` when
    it is singular (s == o).
    """
    shape = np.broadcast_shapes(s.shape, o.shape)[:-1]
    if how == "multiplicative":
        w, bad = _simplex(s * o, np.zeros(shape, dtype=bool))
        return w, bad, {}
    if how == "linear":
        w, bad = _simplex(alpha * s + (1.0 - alpha) * o, np.zeros(shape, dtype=bool))
        return w, bad, {"alpha": np.full(shape, float(alpha)), "beta": np.full(shape, 1.0 - float(alpha))}
    if how == "game":
        # Lai et al. (2015): [[s.s, s.o], [o.s, o.o]] [a1, a2] = [s.s, o.o], a* = |a| / (|a1| + |a2|)
        ss = (s * s).sum(axis=-1)
        so = (s * o).sum(axis=-1)
        oo = (o * o).sum(axis=-1)
        det = ss * oo - so * so
        sing = np.abs(det) <= 1e-14 * ss * oo
        safe = np.where(sing, 1.0, det)
        a1 = np.where(sing, 0.5, (ss * oo - so * oo) / safe)
        a2 = np.where(sing, 0.5, (ss * oo - so * ss) / safe)
        tot = np.abs(a1) + np.abs(a2)
        c1, c2 = np.abs(a1) / tot, np.abs(a2) / tot
        w, bad = _simplex(c1[..., None] * s + c2[..., None] * o, np.zeros(shape, dtype=bool))
        return w, bad, {"alpha": c1, "beta": c2, "raw_a1": a1, "raw_a2": a2}
    raise MethodError(f"unknown combination how={how!r}; use 'multiplicative', 'linear' or 'game'.")


def _combined_prose(facts: Mapping[str, Any], lang: str) -> str:
    comb = facts.get("combined") or {}
    how = comb.get("how", facts["combine"])
    obj = WEIGHTINGS[comb.get("objective", facts["objective"])]
    obj_text, obj_refs = obj.label_in(lang), cite(obj.refs, lang)
    if how == "multiplicative":
        rule = ("乘法合成 $w_j = s_j o_j/\\sum_k s_k o_k$" if lang == "zh"
                else "multiplicatively, $w_j = s_j o_j/\\sum_k s_k o_k$")
    elif how == "linear":
        a = comb.get("alpha", facts["alpha"])
        rule = (f"线性加权 $w_j = \\alpha s_j + (1 - \\alpha) o_j$，$\\alpha = {a:g}$" if lang == "zh"
                else f"linearly, $w_j = \\alpha s_j + (1 - \\alpha) o_j$ with $\\alpha = {a:g}$")
    else:
        a, b = comb.get("alpha"), comb.get("beta")
        both = isinstance(a, float) and isinstance(b, float)
        coef = f" ($\\alpha^* = {a:.4f}$, $\\beta^* = {b:.4f}$)" if both else ""
        game = cite(("lai2015",), lang)
        rule = ("博弈论组合赋权" + game + "，$w = \\alpha^* s + \\beta^* o$，组合系数由 "
                "$\\min\\lVert \\alpha s + \\beta o - u\\rVert$（$u \\in \\{s, o\\}$）的一阶条件求得并归一化" + coef
                if lang == "zh" else
                "by the game-theory combination" + game + ", $w = \\alpha^* s + \\beta^* o$ with coefficients "
                "from the first-order conditions of $\\min\\lVert \\alpha s + \\beta o - u\\rVert$, "
                "$u \\in \\{s, o\\}$, normalised to sum to one" + coef)
    lead = _ahp_prose(facts, lang)
    if lang == "zh":
        return lead + f"主观权重 $s_j$（AHP）与客观权重 $o_j$（{obj_text}{obj_refs}）采用{rule}进行组合。"
    return lead + (f" The subjective AHP weights $s_j$ and the objective weights $o_j$ of the {obj_text}{obj_refs} "
                   f"were combined {rule}.")


@register("weighting", "combined", label=("主客观组合赋权", "combined subjective–objective weights"),
          page="combined", family="combined", prose=_combined_prose)
def combined(
    w_subjective: ArrayLike,
    w_objective: ArrayLike,
    how: Literal["multiplicative", "linear", "game"] = "multiplicative",
    alpha: float = 0.5,
) -> tuple[FloatArray, dict[str, Any]]:
    """Combine subjective and objective weights 主客观组合赋权; returns ``(w, info)``.

    - ``"multiplicative"`` 乘法合成: ``w_j = s_j o_j / sum_k s_k o_k`` (info: empty of coefficients).
    - ``"linear"`` 线性加权: ``w = alpha s + (1 - alpha) o`` (info ``{"alpha": alpha, "beta": 1 - alpha}``).
    - ``"game"`` 博弈论组合赋权 (Lai et al. 2015, Natural Hazards 77(2), 1243-1259): coefficients ``a1, a2``
      minimise ``|| a1 s + a2 o - u ||`` for ``u`` in ``{s, o}``; the first-order conditions are the 2x2
      system ``[[s.s, s.o], [o.s, o.o]] [a1, a2]^T = [s.s, o.o]^T``; the coefficients are normalised as
      ``a_k* = |a_k| / (|a1| + |a2|)`` and ``w = a1* s + a2* o`` (info ``{"alpha": a1*, "beta": a2*}``).
      If ``s`` and ``o`` are identical the system is singular and ``a* = (0.5, 0.5)``.

    Parameters
    ----------
    w_subjective, w_objective : arrays (m,), each non-negative summing to 1.
    how : the combination rule; alpha : the subjective share of the linear rule.

    Returns
    -------
    (w, info) : the combined weights (m,) and the coefficients.

    Examples
    --------
    >>> w, info = combined([0.5, 0.5], [0.8, 0.2], how="linear", alpha=0.5)
    >>> w.tolist(), info["alpha"]
    ([0.65, 0.35], 0.5)
    """
    s = np.asarray(w_subjective, dtype=np.float64)
    if s.ndim != 1:
        raise MethodError(f"w_subjective must be a 1-D weight vector, got shape {s.shape}.")
    s = _check_simplex(s, "w_subjective")
    o = _check_simplex(w_objective, "w_objective", s.shape[0])
    if how == "linear" and not (0.0 <= alpha <= 1.0):
        raise MethodError(f"alpha must lie in [0, 1] for linear combination, got {alpha}.")
    w, bad, coef = _combine_batch(s, o, how, alpha)
    if bad:
        _normalise(np.zeros_like(s), "multiplicative combination (no indicator has both weights positive)")
    info: dict[str, Any] = {"how": how}
    if how != "multiplicative":
        info.update(alpha=float(coef["alpha"]), beta=float(coef["beta"]))
    if how == "game":
        info["raw"] = (float(coef["raw_a1"]), float(coef["raw_a2"]))
    return w, info
