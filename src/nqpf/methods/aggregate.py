"""Aggregation kernels (综合评价/集成方法): weighted sum, entropy-TOPSIS and grey relational analysis.

Each takes a normalised matrix ``Z`` (rows unit-years, columns indicators, larger = better after
normalisation) and a weight vector ``w`` (non-negative, summing to 1) and returns one float64 score
per row. Bad input raises :class:`nqpf.core.errors.MethodError` with ``row``/``column`` set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
from nqpf.methods.normalize import (
    _as_matrix,
    _as_vector,
    _buffer,
    _check_weights,
    _column_minmax,
    _for_blocks,
    _raise_nonfinite,
    _tile,
)
from nqpf.methods.registry import register

__all__ = ["TopsisParts", "gra", "topsis", "topsis_parts", "weighted_sum"]

FloatArray = NDArray[np.float64]


@register("aggregation", "weighted_sum", label=("线性加权综合法", "linear weighted sum"), refs=("fishburn1967",),
          page="weighted-sum")
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

    if ideal is None or anti_ideal is None:
        # column extrema of Z; since w >= 0, max_i(w_j z_ij) == w_j max_i z_ij exactly (rounding is monotone)
        lo, hi = _column_minmax(A)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            _raise_nonfinite(A, "Z")
    a_plus = wv * hi if ideal is None else _fixed_point(ideal, m, "ideal")
    a_minus = wv * lo if anti_ideal is None else _fixed_point(anti_ideal, m, "anti_ideal")

    # Distances in the units of Z: (w_j z_ij - a_j)^2 = w_j^2 (z_ij - c_j)^2 with c_j = a_j / w_j (c = the
    # column max / min of Z itself when the ideal points come from the data). A column with w_j = 0 adds
    # the constant a_j^2. One blocked pass: subtract, square, and a BLAS matrix-vector product with w^2
    # for the row sums, which is about a third faster than forming V = Z * w and reducing with einsum.
    pos = wv > 0
    safe_w = np.where(pos, wv, 1.0)
    c_plus = hi if ideal is None else np.where(pos, a_plus / safe_w, 0.0)
    c_minus = lo if anti_ideal is None else np.where(pos, a_minus / safe_w, 0.0)
    k_plus = float(np.sum(a_plus[~pos] ** 2))
    k_minus = float(np.sum(a_minus[~pos] ** 2))
    w2 = wv * wv
    d_plus = np.empty(n)
    d_minus = np.empty(n)

    def distances(b: int, start: int, stop: int, scratch: dict[str, Any]) -> None:
        blk = A[start:stop]
        k = blk.shape[0]
        diff = _buffer(scratch, "diff", k, m)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are reported after the pass
            np.subtract(blk, _tile(scratch, "c+", c_plus, k), out=diff)
            np.square(diff, out=diff)
            np.matmul(diff, w2, out=d_plus[start:stop])
            np.subtract(blk, _tile(scratch, "c-", c_minus, k), out=diff)
            np.square(diff, out=diff)
            np.matmul(diff, w2, out=d_minus[start:stop])

    _for_blocks(A, distances)
    if k_plus:
        d_plus += k_plus
    if k_minus:
        d_minus += k_minus
    np.sqrt(d_plus, out=d_plus)
    np.sqrt(d_minus, out=d_minus)
    with np.errstate(invalid="ignore"):
        total = d_plus + d_minus
    if not np.isfinite(total).all():
        _raise_nonfinite(A, "Z")
    tiny_rows = np.flatnonzero(total < 1e-140)
    if tiny_rows.size:  # squares may have underflowed: redo these rows with scaled differences
        V = A[tiny_rows] * wv
        for D, ref in ((d_plus, a_plus), (d_minus, a_minus)):
            diff = V - ref
            scale = np.abs(diff).max(axis=1)
            safe = np.where(scale > 0, scale, 1.0)
            D[tiny_rows] = safe * np.sqrt(np.einsum("ij,ij->i", diff / safe[:, None], diff / safe[:, None]))
        total = d_plus + d_minus
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
        raise MethodError(f"{name}[{j}] = {v[j]} is not finite.", column=j)
    return v


@register("aggregation", "topsis", label=("TOPSIS（逼近理想解排序法）", "TOPSIS"), refs=("hwang1981",), page="topsis")
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
    Runs in blocked passes over ``Z`` (one for the column extrema unless both points are fixed, one for
    the distances); extra memory is a few MiB plus four n-vectors.
    """
    return topsis_parts(Z, w, ideal=ideal, anti_ideal=anti_ideal).C


@register("aggregation", "gra", label=("灰色关联分析（GRA）", "grey relational analysis (GRA)"),
          refs=("deng1982", "deng1989"), page="gra")
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
        raise MethodError(f"the distinguishing coefficient rho must lie in (0, 1], got {rho}.")
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
