"""Weighting kernels 赋权方法: objective (entropy, CRITIC, CV), subjective (AHP), equal and combined.

All functions return float64 weight vectors that are non-negative and sum to 1. Bad input raises
:class:`nqpf.core.errors.MethodError` with ``column``/``row`` positions set.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
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
from nqpf.methods.registry import register

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
    safe_S = np.where(zero, 1.0, S)
    D = T / safe_S - np.log(np.where(zero, 1.0, zbar))
    D = np.maximum(D, 0.0)
    D[zero] = 0.0
    # A constant column has D = 0 in exact arithmetic but leaves rounding noise (up to ~1e-13) in floating
    # point. So that a constant column gets weight exactly 0, never noise or NaN: columns with a small
    # divergence are checked for exact constancy (rare and cheap), and a divergence below the rounding
    # level _D_NOISE * (1 + |ln zbar|) (a coefficient of variation below about 5e-7) counts as 0.
    small = np.flatnonzero((D < 1e-9) & ~zero)
    for j in small:
        col = A[:, j]
        if col.min() == col.max():
            D[j] = 0.0
    D[small] = np.where(D[small] < _D_NOISE * (1.0 + np.abs(np.log(zbar[small]))), 0.0, D[small])
    d = D / np.log(n)
    e = 1.0 - d
    w = _normalise(d, "entropy weights")
    return e, d, w


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


@register("weighting", "entropy", label=("熵值法（逐年）", "entropy weight method (per year)"),
          refs=("shannon1948", "zeleny1982"), page="entropy", family="objective", per_year=True)
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
    """
    return entropy_parts(Z)[2]


@register("weighting", "global_entropy", label=("全局熵值法", "global entropy weight method"),
          refs=("shannon1948", "zeleny1982"), page="entropy", family="objective")
def global_entropy(Z: ArrayLike) -> FloatArray:
    """Global (pooled-panel) entropy 全局熵值法: :func:`entropy` on the stacked panel (Zeleny 1982, MCDM).

    There is no separate kernel: stacking every unit-year into one matrix before weighting (rather than
    weighting each year's cross-section) is what keeps weights, and so scores, comparable across years.
    """
    return entropy(Z)


# ----------------------------------------------------------------------------------------------------
# CRITIC, coefficient of variation, equal weights
# ----------------------------------------------------------------------------------------------------


@register("weighting", "critic", label=("CRITIC 赋权法", "CRITIC weighting"), refs=("diakoulaki1995",),
          page="critic", family="objective")
def critic(Z: ArrayLike, ddof: int = 1) -> FloatArray:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, Computers & Oper. Res. 22(7), 763-770).

    ``C_j = sigma_j * sum_k (1 - r_jk)`` with ``sigma_j`` the standard deviation of column j and
    ``r_jk`` the Pearson correlation of columns j and k; ``w_j = C_j / sum_k C_k``. ``ddof`` cancels in
    the weights (kept for inspection symmetry with pymcdm, which uses ddof=1). A constant column has
    ``sigma_j = 0`` and undefined correlations: it gets weight 0 and is left out of the other columns'
    conflict sums, so adding a constant column never changes the other weights. All columns constant
    raises MethodError.
    """
    A = _as_matrix(Z, name="Z", min_rows=2)
    _check_finite(A, "Z")
    m = A.shape[1]
    sigma = A.std(axis=0, ddof=ddof)
    # treat columns with negligible spread relative to their magnitude as constant
    scale = np.abs(A).max(axis=0)
    const = ~(sigma > 1e-14 * np.where(scale > 0, scale, 1.0))
    C = np.zeros(m)
    keep = np.flatnonzero(~const)
    if keep.size == 0:
        raise MethodError(
            "CRITIC weights: every indicator column is constant, so weights are undefined; check that the "
            "matrix varies across unit-years."
        )
    Ak = A[:, keep]
    Xc = Ak - Ak.mean(axis=0)
    cov = Xc.T @ Xc
    sd = np.sqrt(np.diag(cov))
    R = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)  # rounding can push |r| past 1
    np.fill_diagonal(R, 1.0)
    conflict = 1.0 - R
    conflict[conflict < 1e-12] = 0.0  # r = 1 up to rounding: no conflict, not a tiny signed one
    C[keep] = sigma[keep] * conflict.sum(axis=1)
    if not C.sum() > 0:
        raise MethodError(
            "CRITIC weights: every pair of varying indicators is perfectly correlated, so the conflict term "
            "carries zero information and CRITIC weights are undefined (0/0); use entropy or CV weights."
        )
    return _normalise(C, "CRITIC weights")


@register("weighting", "cv", label=("变异系数法", "coefficient-of-variation weighting"), refs=("wang2010",),
          page="cv", family="objective", input="raw")
def cv(X: ArrayLike, ddof: int = 1) -> FloatArray:
    """Coefficient-of-variation weights 变异系数法 (dispersion weighting; cf. Wang & Luo 2010, Math. Comput. Model.).

    ``v_j = sigma_j / mean_j``, ``w = v / sum v``: the standard-deviation weighting of Wang & Luo (2010,
    Mathematical and Computer Modelling 51(1-2), 1-12) made unit-free by dividing by the mean. ``ddof``
    cancels in the weights. Every column needs a positive mean (CV is meaningless otherwise: normalise
    first); a constant column gets weight 0.
    """
    A = _as_matrix(X, min_rows=2)
    _check_finite(A)
    mu = A.mean(axis=0)
    bad = ~(mu > 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise MethodError(
            f"column {j} has mean {mu[j]} <= 0, so its coefficient of variation is meaningless; "
            "apply min-max normalisation (with a shift) before CV weighting.",
            column=j,
        )
    sigma = A.std(axis=0, ddof=ddof)
    v = sigma / mu
    return _normalise(v, "CV weights")


@register("weighting", "equal", label=("等权法", "equal weights"), refs=("dawes1979",), page="combined",
          family="objective")
def equal(m: int) -> FloatArray:
    """Equal weights 等权法 ``w_j = 1/m`` (Dawes 1979, American Psychologist 34(7), 571-582)."""
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


@register("weighting", "ahp", label=("层次分析法（AHP）", "analytic hierarchy process (AHP)"),
          refs=("saaty1977", "saaty1980"), page="ahp", family="subjective")
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


@register("weighting", "combined", label=("主客观组合赋权", "combined subjective–objective weights"),
          page="combined", family="combined")
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
      ``a_k* = |a_k| / (|a1| + |a2|)`` and ``w = a1* s + a2* o`` (info ``{"alpha": a1*, "beta": a2*,
      "raw": (a1, a2)}``). If ``s`` and ``o`` are identical the system is singular and ``a* = (0.5, 0.5)``.
    """
    s = np.asarray(w_subjective, dtype=np.float64)
    if s.ndim != 1:
        raise MethodError(f"w_subjective must be a 1-D weight vector, got shape {s.shape}.")
    s = _check_simplex(s, "w_subjective")
    o = _check_simplex(w_objective, "w_objective", s.shape[0])
    info: dict[str, Any] = {"how": how}
    if how == "multiplicative":
        w = _normalise(s * o, "multiplicative combination (no indicator has both weights positive)")
    elif how == "linear":
        if not (0.0 <= alpha <= 1.0):
            raise MethodError(f"alpha must lie in [0, 1] for linear combination, got {alpha}.")
        w = alpha * s + (1.0 - alpha) * o
        w = w / w.sum()
        info.update(alpha=float(alpha), beta=float(1.0 - alpha))
    elif how == "game":
        G = np.array([[s @ s, s @ o], [o @ s, o @ o]])
        rhs = np.array([s @ s, o @ o])
        det = G[0, 0] * G[1, 1] - G[0, 1] * G[1, 0]
        if abs(det) <= 1e-14 * G[0, 0] * G[1, 1]:
            raw = np.array([0.5, 0.5])
        else:
            raw = np.linalg.solve(G, rhs)
        a = np.abs(raw) / np.abs(raw).sum()
        w = a[0] * s + a[1] * o
        w = w / w.sum()
        info.update(alpha=float(a[0]), beta=float(a[1]), raw=(float(raw[0]), float(raw[1])))
    else:
        raise MethodError(f"unknown combination how={how!r}; use 'multiplicative', 'linear' or 'game'.")
    return w, info
