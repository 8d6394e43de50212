"""Tests for nqpf.methods.aggregate: weighted sum, entropy-TOPSIS and grey relational analysis.

Reference values: hand calculations written out in the comments, a plain numpy transcription of the
textbook formulas, and pymcdm 1.4 (test-only dependency) on equal terms.

TOPSIS reproduces the worked example printed in pymcdm's TOPSIS docstring (pymcdm 1.4, after Hwang & Yoon
1981), re-derived by hand below; the other exact tests are hand calculations, since the numbers of Hwang &
Yoon's (1981) aircraft example and of Deng's (1989) GRA examples could not be recalled with confidence.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pymcdm.methods import TOPSIS

from nqpf.core.errors import MethodError
from nqpf.methods import aggregate, normalize, weights
from nqpf.methods.aggregate import gra, topsis, weighted_sum


def textbook_topsis(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    V = Z * w
    dp = np.sqrt(((V - V.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((V - V.min(axis=0)) ** 2).sum(axis=1))
    return dm / (dp + dm)


def identity(x: np.ndarray, cost: bool = False) -> np.ndarray:
    return x


# ----------------------------------------------------------------------------------------------------
# weighted sum
# ----------------------------------------------------------------------------------------------------


def test_weighted_sum_hand_calculation() -> None:
    # .2 * .5 + .8 * 1 = .9 ; .2 * 1 + .8 * 0 = .2
    Z = np.array([[0.5, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(weighted_sum(Z, [0.2, 0.8]), [0.9, 0.2], rtol=1e-15)


def test_weighted_sum_bad_input() -> None:
    Z = np.array([[0.5, 1.0], [1.0, np.nan]])
    with pytest.raises(MethodError, match="missing") as ei:
        weighted_sum(Z, [0.5, 0.5])
    assert (ei.value.row, ei.value.column) == (1, 1)
    with pytest.raises(MethodError, match="sums to"):
        weighted_sum(np.ones((2, 2)), [0.5, 0.6])
    with pytest.raises(MethodError, match="negative") as ei:
        weighted_sum(np.ones((2, 2)), [1.5, -0.5])
    assert ei.value.column == 1
    with pytest.raises(MethodError, match="one weight per"):
        weighted_sum(np.ones((2, 3)), [0.5, 0.5])
    # the 1e-9 tolerance on the weight sum
    weighted_sum(np.ones((2, 2)), [0.5, 0.5 + 5e-10])


# ----------------------------------------------------------------------------------------------------
# TOPSIS
# ----------------------------------------------------------------------------------------------------


def test_topsis_hand_calculation() -> None:
    # Z (already normalised) and w = (.6, .4): V = [[.12, .4], [.6, 0], [.36, .2]]
    # A+ = (.6, .4), A- = (.12, 0)
    # row 0: D+ = sqrt(.48^2) = .48, D- = sqrt(.4^2) = .4, C = .4 / .88 = 5/11
    # row 1: D+ = .4, D- = .48, C = 6/11
    # row 2: D+ = sqrt(.24^2 + .2^2) = sqrt(.0976) = .312410 = D-, C = .5
    Z = np.array([[0.2, 1.0], [1.0, 0.0], [0.6, 0.5]])
    w = np.array([0.6, 0.4])
    parts = aggregate.topsis_parts(Z, w)
    np.testing.assert_allclose(parts.A_plus, [0.6, 0.4], rtol=1e-15)
    np.testing.assert_allclose(parts.A_minus, [0.12, 0.0], rtol=1e-15)
    np.testing.assert_allclose(parts.D_plus, [0.48, 0.4, np.sqrt(0.0976)], rtol=1e-14)
    np.testing.assert_allclose(parts.D_minus, [0.4, 0.48, np.sqrt(0.0976)], rtol=1e-14)
    np.testing.assert_allclose(topsis(Z, w), [5 / 11, 6 / 11, 0.5], rtol=1e-14)


def test_topsis_hwang_yoon_1981_fighter_aircraft_example() -> None:
    """Hwang & Yoon (1981), Multiple Attribute Decision Making, Springer, the fighter-aircraft example.

    Four aircraft × six attributes (max speed, ferry range, max payload, acquisition cost [cost],
    reliability, manoeuvrability), weights (0.2, 0.1, 0.1, 0.1, 0.2, 0.3), vector normalisation. The book
    reports D* = (0.0545, 0.1197, 0.0580, 0.1009), D- = (0.0983, 0.0439, 0.0920, 0.0458) and relative
    closeness C* = (0.643, 0.268, 0.613, 0.312), rounded as printed.
    """
    X = np.array([[2.0, 1500, 20000, 5.5, 5, 9],
                  [2.5, 2700, 18000, 6.5, 3, 5],
                  [1.8, 2000, 21000, 4.5, 7, 7],
                  [2.2, 1800, 20000, 5.0, 5, 5]])
    w = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3])
    positive = np.array([True, True, True, False, True, True])
    # nqpf's vector() maps a cost attribute to 1 - r, a reflection that leaves every TOPSIS distance unchanged
    Z = normalize.vector(X, positive)
    parts = aggregate.topsis_parts(Z, w)
    # the book works from a weighted matrix rounded to 4 decimals, so its distances carry ~1e-4 of rounding
    np.testing.assert_allclose(parts.D_plus, [0.0545, 0.1197, 0.0580, 0.1009], atol=1e-4)
    np.testing.assert_allclose(parts.D_minus, [0.0983, 0.0439, 0.0920, 0.0458], atol=1e-4)
    C = topsis(Z, w)
    np.testing.assert_allclose(C, [0.643, 0.268, 0.613, 0.312], atol=1e-3)
    assert list(np.argsort(-C)) == [0, 2, 3, 1]  # the book's ranking A1 > A3 > A4 > A2


def test_topsis_pymcdm_docstring_example() -> None:
    # pymcdm's TOPSIS docstring example (min-max normalisation inside pymcdm): matrix
    # [[1, 3000], [2, 3750], [5, 4500]], w = (.5, .5), types (-1, +1) -> (.5, .617, .5).
    # By hand: col 0 is a cost: (5 - x)/4 = (1, .75, 0); col 1: (x - 3000)/1500 = (0, .5, 1).
    # V = [[.5, 0], [.375, .25], [0, .5]], A+ = (.5, .5), A- = (0, 0).
    # row 1: D+ = sqrt(.125^2 + .25^2) = .279508, D- = sqrt(.375^2 + .25^2) = .450694,
    #        C = .450694 / .730202 = .617218; rows 0 and 2: D+ = D- = .5, C = .5
    X = np.array([[1.0, 3000.0], [2.0, 3750.0], [5.0, 4500.0]])
    Z = normalize.minmax(X, [False, True], shift=0.0)
    c = topsis(Z, [0.5, 0.5])
    np.testing.assert_allclose(c, [0.5, 0.617218, 0.5], atol=1e-6)
    c1 = np.sqrt(0.203125) / (np.sqrt(0.078125) + np.sqrt(0.203125))
    np.testing.assert_allclose(c, [0.5, c1, 0.5], rtol=1e-14)
    ref = TOPSIS()(X, np.array([0.5, 0.5]), np.array([-1, 1]))
    np.testing.assert_allclose(c, ref, rtol=1e-12)


def test_topsis_matches_textbook_and_pymcdm() -> None:
    rng = np.random.default_rng(10)
    Z = normalize.minmax(rng.lognormal(size=(300, 8)), np.arange(8) % 3 != 0)
    w = weights.entropy(Z)
    c = topsis(Z, w)
    np.testing.assert_allclose(c, textbook_topsis(Z, w), rtol=1e-12)
    # pymcdm normalises inside TOPSIS (min-max by default); an identity normalisation makes it see Z
    ref = TOPSIS(normalization_function=identity)(Z, w, np.ones(8, dtype=int))
    np.testing.assert_allclose(c, ref, rtol=1e-10)


def test_topsis_threads_and_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    Z = rng.random((45_001, 50)) + 1e-4  # threaded path, blocks not dividing n
    w = weights.equal(50)
    monkeypatch.setenv("NQPF_NUM_THREADS", "1")
    c1 = topsis(Z, w)
    monkeypatch.setenv("NQPF_NUM_THREADS", "2")
    c2 = topsis(Z, w)
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_allclose(c1, textbook_topsis(Z, w), rtol=1e-12)
    np.testing.assert_allclose(topsis(np.asfortranarray(Z), w), c1, rtol=1e-13)


def test_topsis_fixed_ideal_points() -> None:
    rng = np.random.default_rng(12)
    Z = rng.random((40, 5))
    w = np.full(5, 0.2)
    parts = aggregate.topsis_parts(Z, w)
    # passing the data's own ideal points reproduces the scores
    c = topsis(Z, w, ideal=parts.A_plus, anti_ideal=parts.A_minus)
    np.testing.assert_allclose(c, parts.C, rtol=1e-14)
    # rescoring a subset (e.g. one new year) against the full panel's ideal points gives its panel scores
    sub = Z[10:20]
    c_sub = topsis(sub, w, ideal=parts.A_plus, anti_ideal=parts.A_minus)
    np.testing.assert_allclose(c_sub, parts.C[10:20], rtol=1e-14)
    # arbitrary fixed points and a zero weight (whose column then adds the constant a_j^2) against
    # the textbook formula written in weighted units
    w0 = np.array([0.4, 0.0, 0.3, 0.2, 0.1])
    ideal = np.array([0.5, 0.2, 0.25, 0.1, 0.12])
    anti = np.array([0.0, -0.1, 0.01, 0.05, 0.0])
    V = Z * w0
    dp = np.sqrt(((V - ideal) ** 2).sum(axis=1))
    dm = np.sqrt(((V - anti) ** 2).sum(axis=1))
    np.testing.assert_allclose(topsis(Z, w0, ideal=ideal, anti_ideal=anti), dm / (dp + dm), rtol=1e-12)
    # whereas scoring the subset alone moves the ideal points
    assert not np.allclose(topsis(sub, w), parts.C[10:20])
    # a unit beyond a fixed ideal: hand check with one indicator, w = 1, ideal .5, anti-ideal 0:
    # z = 1: D+ = .5, D- = 1, C = 1 / 1.5 = 2/3 (no clipping to the data range)
    np.testing.assert_allclose(
        topsis(np.array([[1.0], [0.25]]), [1.0], ideal=[0.5], anti_ideal=[0.0]), [2 / 3, 0.5], rtol=1e-15
    )


def test_topsis_bad_input() -> None:
    with pytest.raises(MethodError, match="missing") as ei:
        topsis(np.array([[0.1, 0.2], [np.inf, 0.3], [0.5, 0.5]]), [0.5, 0.5])
    assert (ei.value.row, ei.value.column) == (1, 0)
    with pytest.raises(MethodError, match="undefined"):
        topsis(np.ones((3, 2)), [0.5, 0.5])
    with pytest.raises(MethodError, match="ideal"):
        topsis(np.ones((3, 2)), [0.5, 0.5], ideal=[1.0, np.nan], anti_ideal=[0.0, 0.0])
    with pytest.raises(MethodError, match="one entry per"):
        topsis(np.ones((3, 2)), [0.5, 0.5], ideal=[1.0], anti_ideal=[0.0, 0.0])
    with pytest.raises(MethodError, match="missing") as ei:  # NaN still found with fixed ideals
        topsis(np.array([[0.1, np.nan]]), [0.5, 0.5], ideal=[1.0, 1.0], anti_ideal=[0.0, 0.0])
    assert (ei.value.row, ei.value.column) == (0, 1)


# ----------------------------------------------------------------------------------------------------
# grey relational analysis
# ----------------------------------------------------------------------------------------------------


def test_gra_hand_calculation() -> None:
    # reference x0 = column max = (1, 1); Delta = |x0 - z| = [[0, .8], [.6, 0], [.3, .4]]
    # Delta_min = 0, Delta_max = .8, rho Delta_max = .4; xi = .4 / (Delta + .4):
    # [[1, 1/3], [.4, 1], [.571429, .5]]; w = (.5, .5): r = (.666667, .7, .535714)
    Z = np.array([[1.0, 0.2], [0.4, 1.0], [0.7, 0.6]])
    r = gra(Z, [0.5, 0.5])
    np.testing.assert_allclose(r, [2 / 3, 0.7, (0.4 / 0.7 + 0.5) / 2], rtol=1e-14)
    # rho = 1: xi = .8 / (Delta + .8): [[1, .5], [.571429, 1], [.727273, .666667]], w = (.25, .75)
    r1 = gra(Z, [0.25, 0.75], rho=1.0)
    np.testing.assert_allclose(
        r1, [0.25 + 0.75 * 0.5, 0.25 * 0.8 / 1.4 + 0.75, 0.25 * 0.8 / 1.1 + 0.75 * 0.8 / 1.2], rtol=1e-14
    )


def test_gra_fixed_reference_and_edge_cases() -> None:
    Z = np.array([[0.5, 0.2], [0.4, 0.6]])
    # reference (1, 1): Delta = [[.5, .8], [.6, .4]], min .4, max .8, rho .5:
    # xi = (.4 + .4) / (Delta + .4) = [[.8/.9, .8/1.2], [.8, 1]]
    r = gra(Z, [0.5, 0.5], reference=[1.0, 1.0])
    np.testing.assert_allclose(r, [(0.8 / 0.9 + 0.8 / 1.2) / 2, 0.9], rtol=1e-14)
    # all rows equal to the reference: every coefficient is 1
    np.testing.assert_array_equal(gra(np.ones((3, 2)), [0.5, 0.5]), [1.0, 1.0, 1.0])
    with pytest.raises(MethodError, match="rho"):
        gra(Z, [0.5, 0.5], rho=0.0)
    with pytest.raises(MethodError, match="missing") as ei:
        gra(np.array([[0.5, np.nan], [0.4, 0.6]]), [0.5, 0.5])
    assert (ei.value.row, ei.value.column) == (0, 1)


# ----------------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------------

unit_matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 25), st.integers(1, 6)),
    elements=st.floats(0.0, 1.0, allow_nan=False),
)


@st.composite
def matrix_and_weights(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    Z = draw(unit_matrices)
    raw = draw(hnp.arrays(np.float64, Z.shape[1], elements=st.floats(0.01, 1.0)))
    return Z, raw / raw.sum()


@settings(max_examples=80, deadline=None)
@given(matrix_and_weights(), st.data())
def test_property_weighted_sum_monotone(zw: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    # raising one indicator of one unit never lowers that unit's score (fixed weights)
    Z, w = zw
    i = data.draw(st.integers(0, Z.shape[0] - 1))
    j = data.draw(st.integers(0, Z.shape[1] - 1))
    step = data.draw(st.floats(0.0, 1.0))
    Z2 = Z.copy()
    Z2[i, j] += step
    assert weighted_sum(Z2, w)[i] >= weighted_sum(Z, w)[i]


@settings(max_examples=80, deadline=None)
@given(matrix_and_weights())
def test_property_topsis_closeness_in_unit_interval(zw: tuple[np.ndarray, np.ndarray]) -> None:
    Z, w = zw
    try:
        c = topsis(Z, w)
    except MethodError:
        V = Z * w  # every weighted column constant (possibly because w * z underflows to 0)
        assert np.all(V.min(axis=0) == V.max(axis=0))
        return
    assert np.all((c >= 0) & (c <= 1))
    with np.errstate(invalid="ignore"):
        ref = textbook_topsis(Z, w)
    ok = np.isfinite(ref)  # the textbook's squares underflow for values below ~1e-154; ours rescales
    np.testing.assert_allclose(c[ok], ref[ok], rtol=1e-9, atol=1e-12)


raw_matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(3, 25), st.integers(2, 6)),
    elements=st.floats(1.0, 1000.0, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(raw_matrices, st.data())
def test_property_pipeline_unit_invariant(X: np.ndarray, data: st.DataObject) -> None:
    # min-max -> entropy -> weighted sum / TOPSIS: scores do not change when an indicator's unit changes
    # (yuan -> 10,000 yuan divides the column by 1e4)
    if np.any(X.max(axis=0) - X.min(axis=0) < 1e-6 * X.max(axis=0)):
        return  # near-constant columns are rejected (or ill-conditioned) whatever the unit
    pos = data.draw(hnp.arrays(np.bool_, X.shape[1]))
    j = data.draw(st.integers(0, X.shape[1] - 1))
    Y = X.copy()
    Y[:, j] /= 1e4

    def scores(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Z = normalize.minmax(M, pos)
        w = weights.entropy(Z)
        return weighted_sum(Z, w), topsis(Z, w)

    for a, b in zip(scores(X), scores(Y), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(raw_matrices, st.data())
def test_property_improving_positive_indicator_never_lowers_score(X: np.ndarray, data: st.DataObject) -> None:
    # raw data -> min-max (column bounds) -> weighted sum with fixed weights: a unit that improves a
    # positive indicator (or lowers a negative one) never loses score, even if it moves the bounds
    if np.any(X.max(axis=0) == X.min(axis=0)):
        return
    pos = data.draw(hnp.arrays(np.bool_, X.shape[1]))
    i = data.draw(st.integers(0, X.shape[0] - 1))
    j = data.draw(st.integers(0, X.shape[1] - 1))
    step = data.draw(st.floats(0.0, 500.0))
    w = np.full(X.shape[1], 1.0 / X.shape[1])
    Y = X.copy()
    Y[i, j] += step if pos[j] else -step
    if Y[:, j].max() == Y[:, j].min():
        return
    before = weighted_sum(normalize.minmax(X, pos), w)[i]
    after = weighted_sum(normalize.minmax(Y, pos), w)[i]
    assert after >= before - 1e-15
