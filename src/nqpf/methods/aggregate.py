"""Aggregation kernels (综合评价/集成方法): weighted sum, entropy-TOPSIS and grey relational analysis.

Each takes a normalised matrix ``Z`` (rows unit-years, columns indicators, larger = better after
normalisation) and a weight vector ``w`` (non-negative, summing to 1) and returns one float64 score
per row. Bad input raises :class:`nqpf.core.errors.MethodError` with ``row``/``column`` set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import MethodError
from nqpf.core.references import cite
from nqpf.methods.normalize import (
    _as_matrix,
    _as_vector,
    _check_weights,
    _column_minmax,
    _for_blocks,
    _raise_nonfinite,
)
from nqpf.methods.registry import register

__all__ = ["Aggregator", "TopsisParts", "gra", "topsis", "topsis_parts", "weighted_sum"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Aggregator:
    """An aggregation as the measurement engine uses it: reference points, weight-free parts, scores.

    - ``reference(Zref)`` -> tuple of arrays (..., m): the points fixed at fit time from the reference rows
      (TOPSIS ideal and anti-ideal in normalised units; the GRA reference sequence; nothing for the sum);
    - ``parts(Z, ref, rho)`` -> list of arrays (..., n, m) that do not depend on the weights;
    - ``scores(parts, W)`` -> (S (..., d, n), bad (..., d)) for a batch of weight vectors W (..., d, m).

    One weight vector is ``W = w[..., None, :]``; Monte Carlo passes thousands at once (one matrix product).
    """

    reference: Callable[[FloatArray], tuple[FloatArray, ...]]
    parts: Callable[[FloatArray, tuple[FloatArray, ...], float], list[FloatArray]]
    scores: Callable[[list[FloatArray], FloatArray], tuple[FloatArray, NDArray[np.bool_]]]

    def __call__(self, Z: FloatArray, w: FloatArray, ref: tuple[FloatArray, ...], rho: float = 0.5
                 ) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Scores (..., n) of ``Z`` (..., n, m) with one weight vector per batch (..., m)."""
        S, bad = self.scores(self.parts(Z, ref, rho), w[..., None, :])
        return S[..., 0, :], bad[..., 0]


def _t(A: FloatArray) -> FloatArray:
    return np.swapaxes(A, -1, -2)


def _no_bad(S: FloatArray) -> NDArray[np.bool_]:
    return ~np.isfinite(S).all(axis=-1)


# -- weighted sum ----------------------------------------------------------------------------------
def _ws_scores(parts: list[FloatArray], W: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    S = np.matmul(W, _t(parts[0]))
    return S, _no_bad(S)


_WEIGHTED_SUM = Aggregator(reference=lambda Zref: (), parts=lambda Z, ref, rho: [Z], scores=_ws_scores)


def _ws_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("fishburn1967",), lang)
    return (f"综合指数采用线性加权法 $S_i = \\sum_j w_j z_{{ij}}${c}。" if lang == "zh"
            else f"The index is the linear weighted sum $S_i = \\sum_j w_j z_{{ij}}${c}.")


@register("aggregation", "weighted_sum", label=("线性加权综合法", "linear weighted sum"), refs=("fishburn1967",),
          page="weighted-sum", prose=_ws_prose, engine=_WEIGHTED_SUM)
def weighted_sum(Z: ArrayLike, w: ArrayLike) -> FloatArray:
    """Linear weighted sum 线性加权综合法 (Fishburn 1967, Operations Research 15(3), 537-542).

    ``s_i = sum_j w_j z_ij``, simple additive weighting (SAW). NaN/inf in ``Z`` raises MethodError naming
    the first bad cell.

    Parameters
    ----------
    Z : array (n, m); w : array (m,), non-negative, summing to 1.

    Returns
    -------
    s : array (n,).

    Examples
    --------
    >>> weighted_sum([[1.0, 0.0], [0.5, 0.5]], [0.25, 0.75]).tolist()
    [0.25, 0.5]
    """
    A = _as_matrix(Z, name="Z")
    wv = _check_weights(w, A.shape[1])
    s = A @ wv
    if not np.isfinite(s).all():
        _raise_nonfinite(A, "Z")
    return s


# -- TOPSIS ------------------------------------------------------------------------------------------
def _topsis_reference(Zref: FloatArray) -> tuple[FloatArray, ...]:
    # since w >= 0, max_i(w_j z_ij) == w_j max_i z_ij: the ideals are kept in normalised units
    return Zref.max(axis=-2), Zref.min(axis=-2)


def _topsis_parts(Z: FloatArray, ref: tuple[FloatArray, ...], rho: float = 0.5) -> list[FloatArray]:
    """Squared deviations from the ideal and the anti-ideal, (z - z+)² and (z - z-)²."""
    return [np.square(Z - ref[0][..., None, :]), np.square(Z - ref[1][..., None, :])]


def _closeness_of(dp: FloatArray, dm: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """C = D- / (D+ + D-) from the distances (in place); rows where both are 0 are flagged (C NaN)."""
    dp += dm
    zero = ~(dp > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(dm, dp, out=dm)
    return dm, zero


def _closeness(dp2: FloatArray, dm2: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """C = D- / (D+ + D-) from squared distances (in place)."""
    np.sqrt(dp2, out=dp2)
    np.sqrt(dm2, out=dm2)
    return _closeness_of(dp2, dm2)


def _topsis_scores(parts: list[FloatArray], W: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """TOPSIS closeness for a batch of weights: D±² = (w²)·(z - z±)², C = D- / (D+ + D-)."""
    W2 = W * W
    C, zero = _closeness(np.matmul(W2, _t(parts[0])), np.matmul(W2, _t(parts[1])))
    return C, zero.any(axis=-1)


_TOPSIS = Aggregator(reference=_topsis_reference, parts=_topsis_parts, scores=_topsis_scores)


def _topsis_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("hwang1981",), lang)
    pooled = facts["scope"] == "pooled" and facts["weighting"] != "entropy"
    if lang == "zh":
        ref = "取自混合面板" if pooled else "逐年确定"
        return (f"综合指数采用 TOPSIS 贴近度{c}：$v_{{ij}} = w_j z_{{ij}}$，"
                f"正理想解 $A^+_j = \\max_i v_{{ij}}$、负理想解 $A^-_j = \\min_i v_{{ij}}$（{ref}），"
                "$D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$，$C_i = D^-_i/(D^+_i + D^-_i)$。")
    ref = "over the pooled panel" if pooled else "within each year"
    return (f"The index is the TOPSIS closeness{c}: $v_{{ij}} = w_j z_{{ij}}$, "
            "ideal $A^+_j = \\max_i v_{ij}$ and anti-ideal $A^-_j = \\min_i v_{ij}$ "
            f"({ref}), $D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$, $C_i = D^-_i/(D^+_i + D^-_i)$.")


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

    Parameters
    ----------
    Z : array (n, m); w : array (m,); ideal, anti_ideal : optional arrays (m,) in weighted units.

    Returns
    -------
    TopsisParts with A_plus, A_minus (m,), D_plus, D_minus, C (n,).

    Examples
    --------
    >>> p = topsis_parts([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.5, 0.5])
    >>> p.C.tolist()
    [0.5, 0.5, 1.0]
    """
    A = _as_matrix(Z, name="Z")
    n, m = A.shape
    wv = _check_weights(w, m)
    if ideal is None or anti_ideal is None:
        lo, hi = _column_minmax(A)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            _raise_nonfinite(A, "Z")
    a_plus = wv * hi if ideal is None else _fixed_point(ideal, m, "ideal")
    a_minus = wv * lo if anti_ideal is None else _fixed_point(anti_ideal, m, "anti_ideal")
    # Distances in the units of Z: (w_j z_ij - a_j)^2 = w_j^2 (z_ij - c_j)^2 with c_j = a_j / w_j (c = the
    # column max / min of Z itself when the ideal points come from the data). A column with w_j = 0 adds
    # the constant a_j^2. One blocked pass over row blocks with the engine's parts and a BLAS
    # matrix-vector product with w^2 for the row sums.
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
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are reported after the pass
            P = _topsis_parts(A[start:stop], (c_plus, c_minus))
            np.matmul(P[0], w2, out=d_plus[start:stop])
            np.matmul(P[1], w2, out=d_minus[start:stop])

    _for_blocks(A, distances)
    if k_plus:
        d_plus += k_plus
    if k_minus:
        d_minus += k_minus
    if not (np.isfinite(d_plus).all() and np.isfinite(d_minus).all()):
        _raise_nonfinite(A, "Z")
    np.sqrt(d_plus, out=d_plus)
    np.sqrt(d_minus, out=d_minus)
    tiny_rows = np.flatnonzero(d_plus + d_minus < 1e-140)
    if tiny_rows.size:  # squares may have underflowed: redo these rows with scaled differences
        V = A[tiny_rows] * wv
        for D, ref in ((d_plus, a_plus), (d_minus, a_minus)):
            diff = V - ref
            scale = np.abs(diff).max(axis=1)
            safe = np.where(scale > 0, scale, 1.0)
            D[tiny_rows] = safe * np.sqrt(np.einsum("ij,ij->i", diff / safe[:, None], diff / safe[:, None]))
    dp, dm = d_plus.copy(), d_minus.copy()
    c, zero = _closeness_of(d_plus, d_minus)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise MethodError(
            f"TOPSIS closeness is undefined for row {i}: it coincides with both the ideal and the anti-ideal "
            "point (every weighted indicator is constant, or ideal == anti_ideal); check the weights and "
            "the fixed ideal points.",
            row=i,
        )
    return TopsisParts(a_plus, a_minus, dp, dm, c)


def _fixed_point(p: ArrayLike, m: int, name: str) -> FloatArray:
    v = _as_vector(p, m, name)
    bad = ~np.isfinite(v)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise MethodError(f"{name}[{j}] = {v[j]} is not finite.", column=j)
    return v


@register("aggregation", "topsis", label=("TOPSIS（逼近理想解排序法）", "TOPSIS"), refs=("hwang1981",), page="topsis",
          prose=_topsis_prose, engine=_TOPSIS)
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

    Parameters
    ----------
    Z : array (n, m); w : array (m,); ideal, anti_ideal : optional arrays (m,) in weighted units.

    Returns
    -------
    C : array (n,), the closeness.

    Examples
    --------
    >>> topsis([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [0.5, 0.5]).round(4).tolist()
    [0.5, 0.0, 1.0]
    """
    return topsis_parts(Z, w, ideal=ideal, anti_ideal=anti_ideal).C


# -- grey relational analysis -----------------------------------------------------------------------
def _gra_parts(Z: FloatArray, ref: tuple[FloatArray, ...], rho: float = 0.5) -> list[FloatArray]:
    """Relational coefficients ξ = (Δmin + ρΔmax) / (Δ + ρΔmax), Δ = |x0 - z|, two-level min/max per matrix."""
    delta = np.abs(ref[0][..., None, :] - Z)
    dmin = delta.min(axis=(-2, -1), keepdims=True)
    dmax = delta.max(axis=(-2, -1), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = np.where(dmax > 0, (dmin + rho * dmax) / (delta + rho * dmax), 1.0)
    return [xi]


_GRA = Aggregator(reference=lambda Zref: (Zref.max(axis=-2),), parts=_gra_parts, scores=_ws_scores)


def _gra_prose(facts: Mapping[str, Any], lang: str) -> str:
    c = cite(("deng1982", "deng1989"), lang)
    rho = float(facts["rho"])
    if lang == "zh":
        return (f"综合指数采用加权灰色关联度{c}，参考序列 $x^0_j = \\max_i z_{{ij}}$："
                "$\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + \\rho\\Delta_{\\max})$，"
                f"$\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$，分辨系数 $\\rho = {rho:g}$，$r_i = \\sum_j w_j \\xi_{{ij}}$。")
    return (f"The index is the weighted grey relational grade{c} to the reference sequence $x^0_j = \\max_i z_{{ij}}$: "
            "$\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + \\rho\\Delta_{\\max})$ with "
            f"$\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$ and $\\rho = {rho:g}$, $r_i = \\sum_j w_j \\xi_{{ij}}$.")


@register("aggregation", "gra", label=("灰色关联分析（GRA）", "grey relational analysis (GRA)"),
          refs=("deng1982", "deng1989"), page="gra", prose=_gra_prose, engine=_GRA)
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

    Parameters
    ----------
    Z : array (n, m); w : array (m,); rho : float in (0, 1]; reference : optional array (m,).

    Returns
    -------
    r : array (n,), the grades.

    Examples
    --------
    >>> gra([[1.0, 1.0], [0.0, 0.0]], [0.5, 0.5]).round(4).tolist()
    [1.0, 0.3333]
    """
    A = _as_matrix(Z, name="Z")
    m = A.shape[1]
    wv = _check_weights(w, m)
    if not (0.0 < rho <= 1.0):
        raise MethodError(f"the distinguishing coefficient rho must lie in (0, 1], got {rho}.")
    if reference is None:
        x0 = A.max(axis=0)
        if not np.isfinite(x0).all():
            _raise_nonfinite(A, "Z")
    else:
        x0 = _fixed_point(reference, m, "reference")
    if not np.isfinite(A).all():
        _raise_nonfinite(A, "Z")
    r, _ = _GRA(A, wv, (x0,), rho)
    return r
