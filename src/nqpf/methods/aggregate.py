"""Aggregation kernels (综合评价/集成方法): weighted sum, entropy-TOPSIS and grey relational analysis.

Each takes a normalised matrix ``Z`` (rows unit-years, columns indicators, larger = better after
normalisation) and a weight vector ``w`` (non-negative, summing to 1) and returns one float64 score
per row. Bad input raises :class:`nqpf.errors.MethodError` with ``row``/``column`` set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.errors import MethodError
from nqpf.methods.normalize import (
    _as_matrix,
    _as_vector,
    _block_rows,
    _check_weights,
    _raise_nonfinite,
)

__all__ = ["TopsisParts", "gra", "topsis", "topsis_parts", "weighted_sum"]

FloatArray = NDArray[np.float64]


def weighted_sum(Z: ArrayLike, w: ArrayLike) -> FloatArray:
    """Linear weighted sum 线性加权综合法 (Fishburn 1967, Operations Research 15(3), 537-542).

    ``s_i = sum_j w_j z_ij``, simple additive weighting (SAW). NaN/inf in ``Z`` raises MethodError naming
    the first bad cell.
    """
    A = _as_matrix(Z, name="Z")
    wv = _check_weights(w, A.shape[1])
    s = A @ wv
    if not np.isfinite(s).all():
        _raise_nonfinite(A, "Z")
    return s


@dataclass(frozen=True)
class TopsisParts:
    """TOPSIS intermediate results (symbols after Hwang & Yoon 1981): ideal ``A_plus`` (正理想解),
    anti-ideal ``A_minus`` (负理想解), distances ``D_plus``/``D_minus`` and closeness ``C`` (贴近度)."""

    A_plus: FloatArray
    A_minus: FloatArray
    D_plus: FloatArray
    D_minus: FloatArray
    C: FloatArray


def topsis_parts(
    Z: ArrayLike,
    w: ArrayLike,
    ideal: ArrayLike | None = None,
    anti_ideal: ArrayLike | None = None,
) -> TopsisParts:
    """TOPSIS with all intermediate vectors (Hwang & Yoon 1981, Multiple Attribute Decision Making, Springer).

    See :func:`topsis`. ``ideal`` / ``anti_ideal`` are in weighted units (``v = w * z``).
    """
    A = _as_matrix(Z, name="Z")
    n, m = A.shape
    wv = _check_weights(w, m)
    step = _block_rows(m)

    if ideal is None or anti_ideal is None:
        # column extrema of Z; since w >= 0, max_i(w_j z_ij) == w_j max_i z_ij exactly (rounding is monotone)
        lo = np.full(m, np.inf)
        hi = np.full(m, -np.inf)
        for start in range(0, n, step):
            blk = A[start : start + step]
            np.minimum(lo, blk.min(axis=0), out=lo)
            np.maximum(hi, blk.max(axis=0), out=hi)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            _raise_nonfinite(A, "Z")
    a_plus = wv * hi if ideal is None else _fixed_point(ideal, m, "ideal")
    a_minus = wv * lo if anti_ideal is None else _fixed_point(anti_ideal, m, "anti_ideal")

    d_plus = np.empty(n)
    d_minus = np.empty(n)
    vbuf = np.empty((step, m))
    dbuf = np.empty((step, m))
    for start in range(0, n, step):
        blk = A[start : start + step]
        k = blk.shape[0]
        v = np.multiply(blk, wv, out=vbuf[:k])
        diff = np.subtract(v, a_plus, out=dbuf[:k])
        np.einsum("ij,ij->i", diff, diff, out=d_plus[start : start + k])
        diff = np.subtract(v, a_minus, out=dbuf[:k])
        np.einsum("ij,ij->i", diff, diff, out=d_minus[start : start + k])
    np.sqrt(d_plus, out=d_plus)
    np.sqrt(d_minus, out=d_minus)
    total = d_plus + d_minus
    if not np.isfinite(total).all():
        _raise_nonfinite(A, "Z")
    zero = ~(total > 0)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise MethodError(
            f"TOPSIS closeness is undefined for row {i}: it coincides with both the ideal and the anti-ideal "
            "point (every weighted indicator is constant, or ideal == anti_ideal); check the weights and "
            "the fixed ideal points.",
            row=i,
        )
    c = d_minus / total
    return TopsisParts(a_plus, a_minus, d_plus, d_minus, c)


def _fixed_point(p: ArrayLike, m: int, name: str) -> FloatArray:
    v = _as_vector(p, m, name)
    bad = ~np.isfinite(v)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise MethodError(f"{name}[{j}] = {v[j]!r} is not finite.", column=j)
    return v


def topsis(
    Z: ArrayLike,
    w: ArrayLike,
    *,
    ideal: ArrayLike | None = None,
    anti_ideal: ArrayLike | None = None,
) -> FloatArray:
    """Entropy-TOPSIS closeness 逼近理想解排序法 (Hwang & Yoon 1981, Multiple Attribute Decision Making).

    ``V = Z * w`` (weights broadcast over columns), ideal ``A+ = max_i V``, anti-ideal ``A- = min_i V``
    (column-wise; ``Z`` is already oriented so that larger is better), Euclidean distances
    ``D+_i = ||V_i - A+||``, ``D-_i = ||V_i - A-||`` and closeness ``C_i = D-_i / (D+_i + D-_i)``.
    ``ideal`` / ``anti_ideal`` (weighted units, i.e. ``w * z*``) hold the reference points fixed, e.g. to
    rescore new years against a base period; closeness may then fall outside [0, 1].
    Runs in two blocked passes over ``Z`` (extra memory: a few hundred KiB plus the two distance vectors).
    """
    return topsis_parts(Z, w, ideal=ideal, anti_ideal=anti_ideal).C


def gra(
    Z: ArrayLike,
    w: ArrayLike,
    rho: float = 0.5,
    reference: ArrayLike | None = None,
) -> FloatArray:
    """Weighted grey relational grade 灰色关联度 (Deng 1982, Systems & Control Letters 1(5), 288-294).

    See also Deng (1989), Introduction to grey system theory, The Journal of Grey System 1(1), 1-24.

    Reference sequence ``x0_j = max_i z_ij`` unless ``reference`` fixes it; ``Delta_ij = |x0_j - z_ij|``,
    ``Delta_min`` / ``Delta_max`` the two-level minimum / maximum over all i, j; relational coefficient
    ``xi_ij = (Delta_min + rho Delta_max) / (Delta_ij + rho Delta_max)`` with distinguishing coefficient
    ``rho`` (分辨系数, 0 < rho <= 1, usually 0.5); grade ``r_i = sum_j w_j xi_ij``. If every
    ``Delta_ij`` is 0 all coefficients are 1.
    """
    A = _as_matrix(Z, name="Z")
    n, m = A.shape
    wv = _check_weights(w, m)
    if not (0.0 < rho <= 1.0):
        raise MethodError(f"the distinguishing coefficient rho must lie in (0, 1], got {rho!r}.")
    if reference is None:
        x0 = A.max(axis=0)
        if not np.isfinite(x0).all():
            _raise_nonfinite(A, "Z")
    else:
        x0 = _fixed_point(reference, m, "reference")
    delta = np.abs(A - x0)
    dmin = float(delta.min())
    dmax = float(delta.max())
    if not (np.isfinite(dmin) and np.isfinite(dmax)):
        _raise_nonfinite(A, "Z")
    if dmax == 0.0:
        return np.ones(n)
    delta += rho * dmax
    xi = np.divide(dmin + rho * dmax, delta, out=delta)
    return xi @ wv
