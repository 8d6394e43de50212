"""Tests for nqpf.methods.weights: entropy, CRITIC, CV, equal, AHP and combined weights.

Reference values come from (a) hand calculations written out step by step in the comments, (b) an
independent scalar transcription of the textbook formulas using math.fsum, and (c) pymcdm 1.4
(test-only dependency), compared on equal terms where it defines a method the same way.

No published worked example is reproduced here: the numbers of Diakoulaki et al.
(1995, CRITIC), Saaty (1980, AHP) or a textbook entropy example could not be recalled with confidence, so
every "exact" test is a hand calculation written out step by step (AHP uses the closed form of lambda_max and the
row-geometric-mean eigenvector, exact for 3x3 reciprocal matrices; Saaty's RI table is checked as such).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pymcdm import weights as pw
from pymcdm.weights.subjective import AHP

from nqpf.core.errors import MethodError
from nqpf.methods import normalize, weights
from nqpf.methods.weights import SAATY_RANDOM_INDEX, ahp, combined, critic, cv, entropy, equal

# ----------------------------------------------------------------------------------------------------
# independent references
# ----------------------------------------------------------------------------------------------------


def textbook_divergence(Z: np.ndarray) -> np.ndarray:
    """Scalar transcription of 熵值法: p = z / sum z, e = -(1/ln n) sum p ln p (0 ln 0 = 0), d = 1 - e."""
    n, m = Z.shape
    d = []
    for j in range(m):
        col = [float(v) for v in Z[:, j]]
        S = math.fsum(col)
        p = [v / S for v in col]
        H = -math.fsum(pi * math.log(pi) for pi in p if pi > 0)
        d.append(1.0 - H / math.log(n))
    return np.array(d)


def textbook_entropy(Z: np.ndarray) -> np.ndarray:
    """Entropy weights w = d / sum d from :func:`textbook_divergence`."""
    d = textbook_divergence(Z)
    return d / math.fsum(d)


def rel(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# ----------------------------------------------------------------------------------------------------
# entropy weight method
# ----------------------------------------------------------------------------------------------------


def test_entropy_hand_calculation() -> None:
    # n = 2 unit-years, ln n = ln 2 = 0.693147.
    # column 0: z = (1, 3): p = (1/4, 3/4);
    #   -sum p ln p = 0.25 * 1.386294 + 0.75 * 0.287682 = 0.346574 + 0.215762 = 0.562335
    #   e0 = 0.562335 / 0.693147 = 0.811278, d0 = 0.188722
    # column 1: z = (5, 5) is constant: p = (1/2, 1/2), e1 = ln 2 / ln 2 = 1, d1 = 0 -> weight 0
    # column 2: z = (1, 2): p = (1/3, 2/3);
    #   -sum p ln p = (1/3) 1.098612 + (2/3) 0.405465 = 0.366204 + 0.270310 = 0.636514
    #   e2 = 0.636514 / 0.693147 = 0.918296, d2 = 0.081704
    # w = d / (0.188722 + 0 + 0.081704) = (0.697868, 0, 0.302132)
    Z = np.array([[1.0, 5.0, 1.0], [3.0, 5.0, 2.0]])
    w = entropy(Z)
    np.testing.assert_allclose(w, [0.697868, 0.0, 0.302132], atol=1e-6)
    assert w[1] == 0.0
    e, d, w2 = weights.entropy_parts(Z)
    np.testing.assert_allclose(e, [0.811278, 1.0, 0.918296], atol=1e-6)
    np.testing.assert_allclose(d, [0.188722, 0.0, 0.081704], atol=1e-6)
    np.testing.assert_array_equal(w, w2)


def test_entropy_matches_textbook_and_pymcdm() -> None:
    rng = np.random.default_rng(1)
    X = rng.lognormal(size=(200, 7))
    Z = normalize.minmax(X, [True, False, True, True, False, True, False])
    w = entropy(Z)
    assert rel(w, textbook_entropy(Z)) < 1e-12
    # pymcdm.weights.entropy_weights uses the same formula when no z is 0 (it sets the entropy of a
    # column containing a 0 to 0, i.e. d = 1, instead of using 0 ln 0 = 0); Z here is strictly positive.
    np.testing.assert_allclose(w, pw.entropy_weights(Z), rtol=1e-10, atol=0)


@pytest.mark.parametrize("scale", [1.0, 1e9, 1e-7])
def test_entropy_accuracy_any_unit(scale: float) -> None:
    # raw (un-normalised) data in large or small units, skewed columns: still 1e-12 from the textbook
    rng = np.random.default_rng(2)
    Z = rng.pareto(1.5, size=(3000, 6)) * scale + 0.5 * scale
    assert rel(entropy(Z), textbook_entropy(Z)) < 1e-12


def test_entropy_block_boundaries_and_unrepresentative_first_block() -> None:
    # sorted columns spanning orders of magnitude: the first row block (which picks the exact
    # power-of-two scaling) is far from the column mean, so the kernel must redo those columns.
    rng = np.random.default_rng(3)
    n = 7919  # prime: blocks do not divide it
    Z = np.sort(rng.lognormal(0, 3, size=(n, 50)), axis=0)
    Z[:, 7] = rng.random(n)  # an ordinary column alongside
    assert rel(entropy(Z), textbook_entropy(Z)) < 1e-12


def test_entropy_zero_cells_use_0ln0_equals_0() -> None:
    # column 0 = (0, 1, 1): p = (0, 1/2, 1/2), -sum p ln p = ln 2 (0 ln 0 = 0), e = ln 2 / ln 3 = 0.630930
    # column 1 = (1, 2, 3): p = (1/6, 1/3, 1/2), -sum p ln p = 0.298627 + 0.366204 + 0.346574 = 1.011404,
    #   e = 1.011404 / 1.098612 = 0.920620
    # d = (0.369070, 0.079380), sum 0.448450, w = (0.369070 / 0.448450, 0.079380 / 0.448450)
    #   = (0.822990, 0.177010)
    Z = np.array([[0.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    w = entropy(Z)
    np.testing.assert_allclose(w, [0.822990, 0.177010], atol=1e-6)
    assert rel(w, textbook_entropy(Z)) < 1e-12
    # an all-zero column is constant: weight exactly 0
    Z0 = np.column_stack([Z, np.zeros(3)])
    w0 = entropy(Z0)
    assert w0[2] == 0.0
    np.testing.assert_allclose(w0[:2], w, rtol=1e-14)


def test_global_entropy_is_entropy_on_stacked_panel() -> None:
    rng = np.random.default_rng(4)
    years = [rng.random((31, 4)) + 0.1 for _ in range(5)]
    stacked = np.vstack(years)
    np.testing.assert_array_equal(weights.global_entropy(stacked), entropy(stacked))


def test_entropy_threads_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    # large enough for the threaded path (>= 2**21 elements); blocks are fixed, so results are bitwise equal
    rng = np.random.default_rng(5)
    Z = rng.random((45_001, 50)) + 1e-4
    monkeypatch.setenv("NQPF_NUM_THREADS", "1")
    w1 = entropy(Z)
    monkeypatch.setenv("NQPF_NUM_THREADS", "2")
    w2 = entropy(Z)
    np.testing.assert_array_equal(w1, w2)
    # Fortran-ordered input (as from DataFrame.to_numpy()) gives the same weights
    np.testing.assert_allclose(entropy(np.asfortranarray(Z)), w1, rtol=1e-13)


def test_entropy_bad_input() -> None:
    Z = np.array([[0.2, 0.5], [0.4, -0.1], [0.6, 0.3]])
    with pytest.raises(MethodError, match="negative") as ei:
        entropy(Z)
    assert (ei.value.row, ei.value.column) == (1, 1)

    Z = np.array([[0.2, 0.5], [0.4, 0.1], [np.nan, 0.3]])
    with pytest.raises(MethodError, match="missing or infinite") as ei:
        entropy(Z)
    assert (ei.value.row, ei.value.column) == (2, 0)

    Z = np.array([[0.2, 0.5], [np.inf, 0.1], [0.3, 0.3]])
    with pytest.raises(MethodError) as ei:
        entropy(Z)
    assert (ei.value.row, ei.value.column) == (1, 0)

    with pytest.raises(MethodError, match="all columns constant"):
        entropy(np.ones((4, 3)))
    with pytest.raises(MethodError, match="at least 2"):
        entropy(np.ones((1, 3)))
    with pytest.raises(MethodError, match="2-D"):
        entropy(np.ones(3))

    # finite but overflowing data is reported as such, not as a missing value
    with pytest.raises(MethodError, match="overflows"):
        entropy(np.array([[1.7e308, 1.0], [1.7e308, 2.0]]))

    # a negative value in a column that sums to zero is still found
    with pytest.raises(MethodError, match="negative") as ei:
        entropy(np.array([[1.0, 1.0], [-1.0, 2.0], [0.0, 3.0]]))
    assert (ei.value.row, ei.value.column) == (1, 0)


# ----------------------------------------------------------------------------------------------------
# CRITIC
# ----------------------------------------------------------------------------------------------------


def test_critic_hand_calculation() -> None:
    # Hand calculation (not a published example: Diakoulaki et al. 1995 worked numbers not reproduced).
    # columns: a = (0, .5, 1), b = (1, .5, 0), c = (0, 1, .5); every column has mean .5 and sum of
    # squared deviations .5, so sigma = sqrt(.5 / 2) = .5 (ddof = 1).
    # r_ab = -1; r_ac = [(-.5)(-.5) + 0 + (.5)(0)] / .5 = .5; r_bc = [(.5)(-.5) + 0 + 0] / .5 = -.5
    # C_a = .5 [(1 - 1) + (1 + 1) + (1 - .5)] = 1.25; C_b = .5 [2 + 0 + 1.5] = 1.75;
    # C_c = .5 [.5 + 1.5 + 0] = 1.0; sum = 4 -> w = (.3125, .4375, .25)
    Z = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 1.0], [1.0, 0.0, 0.5]])
    np.testing.assert_allclose(critic(Z), [0.3125, 0.4375, 0.25], rtol=1e-14)


def test_critic_matches_pymcdm() -> None:
    # pymcdm.weights.critic_weights min-max normalises internally (no shift) and uses ddof=1; feeding it a
    # matrix that is already min-max normalised (exact 0 and 1 in every column) makes that step an identity.
    rng = np.random.default_rng(6)
    Z = normalize.minmax(rng.random((60, 6)), np.ones(6, dtype=bool), shift=0.0)
    np.testing.assert_allclose(critic(Z), pw.critic_weights(Z), rtol=1e-10, atol=0)


def test_critic_constant_column() -> None:
    rng = np.random.default_rng(7)
    Z = rng.random((40, 4))
    with_const = np.column_stack([Z[:, :2], np.full(40, 0.3), Z[:, 2:]])
    w = critic(with_const)
    assert w[2] == 0.0
    np.testing.assert_allclose(np.delete(w, 2), critic(Z), rtol=1e-12)
    with pytest.raises(MethodError, match="constant"):
        critic(np.ones((5, 3)))


# ----------------------------------------------------------------------------------------------------
# coefficient of variation, equal
# ----------------------------------------------------------------------------------------------------


def test_cv_hand_calculation() -> None:
    # column 0: (1, 2, 3): mean 2, sd (ddof 1) = 1, v = .5
    # column 1: (2, 4, 12): mean 6, deviations (-4, -2, 6), sum sq 56, sd = sqrt(28) = 5.291503, v = .881917
    # w = (.5, .881917) / 1.381917 = (.361816, .638184)
    X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 12.0]])
    np.testing.assert_allclose(cv(X), [0.361816, 0.638184], atol=1e-6)
    # ddof cancels in the weights
    np.testing.assert_allclose(cv(X, ddof=0), cv(X), rtol=1e-14)


def test_cv_matches_pymcdm_std_weights_on_mean_scaled_data() -> None:
    # pymcdm has no CV weights, but sd(x / mean) = sd / mean, so its standard_deviation_weights on
    # mean-scaled columns are CV weights.
    rng = np.random.default_rng(8)
    X = rng.lognormal(size=(50, 5))
    np.testing.assert_allclose(cv(X), pw.standard_deviation_weights(X / X.mean(axis=0)), rtol=1e-10)


def test_cv_bad_input() -> None:
    with pytest.raises(MethodError, match="mean") as ei:
        cv(np.array([[1.0, -1.0], [2.0, -2.0]]))
    assert ei.value.column == 1


def test_equal() -> None:
    np.testing.assert_array_equal(equal(4), [0.25] * 4)
    with pytest.raises(MethodError):
        equal(0)


# ----------------------------------------------------------------------------------------------------
# AHP
# ----------------------------------------------------------------------------------------------------


def test_saaty_random_index_table() -> None:
    # Saaty's RI for n = 1..10 (Saaty 1980): 0, 0, .58, .90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49
    assert [SAATY_RANDOM_INDEX[k] for k in range(1, 11)] == [
        0.0,
        0.0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
    ]


def test_ahp_consistent_matrix() -> None:
    # a perfectly consistent matrix a_ij = w_i / w_j with w = (4, 2, 1)/7: lambda_max = n, CR = 0
    A = np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]])
    w, cr = ahp(A)
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7], rtol=1e-12)
    assert abs(cr) < 1e-12


def test_ahp_hand_calculation_3x3() -> None:
    # For a 3x3 reciprocal matrix with a12 = a, a13 = b, a23 = c the principal eigenvalue is
    # lambda = 1 + (ac/b)^(1/3) + (b/(ac))^(1/3), and the eigenvector is the row geometric mean
    # (exact for n = 3). a = 3, b = 5, c = 1: ac/b = .6, .6^(1/3) = .843433, (1/.6)^(1/3) = 1.185631,
    # lambda = 3.029064, CI = .029064 / 2 = .014532, CR = .014532 / .58 = .025055.
    # geometric means: 15^(1/3) = 2.466212, (1/3)^(1/3) = .693361, (1/5)^(1/3) = .584804, sum 3.744377
    # w = (.658644, .185174, .156182)
    A = np.array([[1, 3, 5], [1 / 3, 1, 1], [1 / 5, 1, 1]])
    w, cr = ahp(A)
    np.testing.assert_allclose(w, [0.658644, 0.185174, 0.156182], atol=1e-6)
    assert cr == pytest.approx(0.025055, abs=1e-6)
    # pymcdm: same principal-eigenvector weights; its RI for n = 3 is .5799 (Tummala & Ling 1998)
    # instead of Saaty's .58, so compare the consistency index CI = CR * RI.
    ref = AHP(matrix=A)
    np.testing.assert_allclose(w, ref(), rtol=1e-10)
    assert cr * 0.58 == pytest.approx(ref.get_cr() * 0.5799, rel=1e-10)


def test_ahp_inconsistent_raises() -> None:
    # cyclic judgements: a = 3, b = 1/3, c = 3: ac/b = 27, lambda = 1 + 3 + 1/3 = 4.333333,
    # CI = 1.333333 / 2 = .666667, CR = .666667 / .58 = 1.149425 >= .1
    A = np.array([[1, 3, 1 / 3], [1 / 3, 1, 3], [3, 1 / 3, 1]])
    with pytest.raises(MethodError, match=r"CR = 1\.1494"):
        ahp(A)
    w, cr = ahp(A, allow_inconsistent=True)
    np.testing.assert_allclose(w, [1 / 3] * 3, rtol=1e-12)
    assert cr == pytest.approx(1.149425, abs=1e-6)
    # the threshold is inclusive: CR >= max_cr raises
    A2 = np.array([[1, 3, 5], [1 / 3, 1, 1], [1 / 5, 1, 1]])
    with pytest.raises(MethodError, match="not acceptably consistent"):
        ahp(A2, max_cr=0.02)


def test_ahp_bad_matrices() -> None:
    A = np.array([[1, 3, 5], [1 / 3, 1, 1], [1 / 5, 2, 1]])  # a21 * a12 = 1 but a23 * a32 = 2
    with pytest.raises(MethodError, match="not reciprocal") as ei:
        ahp(A)
    assert (ei.value.row, ei.value.column) == (1, 2)
    with pytest.raises(MethodError, match="positive") as ei:
        ahp(np.array([[1, -2], [-0.5, 1]]))
    assert (ei.value.row, ei.value.column) == (0, 1)
    with pytest.raises(MethodError, match="square"):
        ahp(np.ones((2, 3)))
    with pytest.raises(MethodError, match="diagonal"):
        ahp(np.array([[2.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(MethodError, match="larger than Saaty"):
        ahp(np.ones((16, 16)))
    with pytest.raises(MethodError, match="not reciprocal"):
        ahp(np.array([[1, 3], [0.33, 1]]))  # rounded 1/3


# ----------------------------------------------------------------------------------------------------
# combined weights
# ----------------------------------------------------------------------------------------------------


def test_combined_multiplicative_and_linear() -> None:
    s = np.array([0.5, 0.3, 0.2])
    o = np.array([0.2, 0.2, 0.6])
    # products (.10, .06, .12), sum .28 -> (.357143, .214286, .428571)
    w, info = combined(s, o, "multiplicative")
    np.testing.assert_allclose(w, [0.10 / 0.28, 0.06 / 0.28, 0.12 / 0.28], rtol=1e-14)
    assert info["how"] == "multiplicative"
    # linear, alpha = .3: .3 s + .7 o = (.15 + .14, .09 + .14, .06 + .42) = (.29, .23, .48)
    w, info = combined(s, o, "linear", alpha=0.3)
    np.testing.assert_allclose(w, [0.29, 0.23, 0.48], rtol=1e-14)
    assert info["alpha"] == 0.3 and info["beta"] == pytest.approx(0.7)


def test_combined_game_theory_hand_calculation() -> None:
    # s = (.6, .4), o = (.3, .7): s.s = .52, o.o = .58, s.o = .18 + .28 = .46
    # [[.52, .46], [.46, .58]] a = (.52, .58): det = .3016 - .2116 = .09,
    # a1 = (.52 * .58 - .46 * .58) / .09 = .0348 / .09 = 29/75, a2 = (.52 * .58 - .46 * .52) / .09 = 52/75
    # normalised: a* = (29/81, 52/81); w = (.6 * 29 + .3 * 52, .4 * 29 + .7 * 52) / 81 = (33, 48) / 81
    w, info = combined([0.6, 0.4], [0.3, 0.7], "game")
    np.testing.assert_allclose(w, [11 / 27, 16 / 27], rtol=1e-12)
    assert info["alpha"] == pytest.approx(29 / 81, rel=1e-12)
    assert info["beta"] == pytest.approx(52 / 81, rel=1e-12)
    np.testing.assert_allclose(info["raw"], [29 / 75, 52 / 75], rtol=1e-12)
    # identical vectors: singular system, coefficients (.5, .5), w unchanged
    w, info = combined([0.2, 0.8], [0.2, 0.8], "game")
    np.testing.assert_allclose(w, [0.2, 0.8], rtol=1e-14)
    assert info["alpha"] == 0.5


def test_combined_bad_input() -> None:
    with pytest.raises(MethodError, match="sums to"):
        combined([0.5, 0.4], [0.5, 0.5])
    with pytest.raises(MethodError, match="one weight per"):
        combined([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(MethodError, match="unknown combination"):
        combined([0.5, 0.5], [0.5, 0.5], how="geometric")  # type: ignore[arg-type]
    with pytest.raises(MethodError, match="negative"):
        combined([1.5, -0.5], [0.5, 0.5])


# ----------------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------------

positive_matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 30), st.integers(1, 8)),
    elements=st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False),
)


def _is_simplex(w: np.ndarray) -> bool:
    return bool(np.all(w >= 0) and abs(w.sum() - 1.0) < 1e-12)


@settings(max_examples=80, deadline=None)
@given(positive_matrices)
def test_property_objective_weights_are_a_simplex(X: np.ndarray) -> None:
    for fn in (entropy, critic, cv):
        try:
            w = fn(X)
        except MethodError as exc:  # only allowed when every column is (numerically) constant
            assert "constant" in str(exc) or "zero information" in str(exc)
            continue
        assert np.all(np.isfinite(w))
        assert _is_simplex(w), (fn.__name__, w)


@settings(max_examples=60, deadline=None)
@given(positive_matrices, st.data())
def test_property_entropy_constant_column_gets_zero_weight(X: np.ndarray, data: st.DataObject) -> None:
    j = data.draw(st.integers(0, X.shape[1] - 1))
    c = data.draw(st.floats(0.0, 1e3))
    X = X.copy()
    X[:, j] = c
    try:
        w = entropy(X)
    except MethodError:  # all columns constant, or varying only at rounding level (a few ulp)
        assert np.allclose(X.min(axis=0), X.max(axis=0), rtol=1e-12, atol=0.0)
        return
    assert w[j] == 0.0
    assert not np.isnan(w).any()


@settings(max_examples=60, deadline=None)
@given(positive_matrices, st.data())
def test_property_entropy_is_unit_invariant(X: np.ndarray, data: st.DataObject) -> None:
    # p_ij = z_ij / sum_i z_ij does not change when a column is rescaled (yuan -> 10,000 yuan)
    j = data.draw(st.integers(0, X.shape[1] - 1))
    factor = data.draw(st.sampled_from([1e-4, 1e-2, 10.0, 1e4]))
    Y = X.copy()
    Y[:, j] *= factor
    dsum = textbook_divergence(X).sum()
    if dsum < 1e-10:  # every column constant or varying at rounding level: no meaningful weights
        return
    # same conditioning argument as in test_property_entropy_agrees_with_textbook
    np.testing.assert_allclose(entropy(Y), entropy(X), rtol=1e-9, atol=4e-12 / dsum)


@settings(max_examples=60, deadline=None)
@given(positive_matrices)
def test_property_entropy_agrees_with_textbook(X: np.ndarray) -> None:
    d_ref = textbook_divergence(X)
    # each divergence d_j is computed (by either method) to about 1e-14 absolute, and ours sets d_j below the
    # rounding level (1e-13 (1 + |ln zbar|) / ln n, at most ~2e-12 here) to 0, so d agrees to 2e-12 absolute
    # and weights to 2e-12 / sum(d); matrices whose columns all vary only at rounding level have no meaningful
    # weights (either a MethodError or some simplex is acceptable)
    if d_ref.sum() < 1e-10:
        try:
            w = entropy(X)
        except MethodError:
            return
        assert _is_simplex(w)
        return
    _e, d, w = weights.entropy_parts(X)
    assert np.all(np.abs(d - d_ref) <= 2e-12)
    w_ref = d_ref / d_ref.sum()
    assert np.all(np.abs(w - w_ref) <= 1e-9 * w_ref + 2e-12 / d_ref.sum()), (w, w_ref)


def test_ahp_saaty_1990_house_example() -> None:
    """Saaty (1990), "How to make a decision: the analytic hierarchy process", EJOR 48(1), 9-26: the
    eight factors for buying a house (size, bus, neighbourhood, age, yard, modern facilities, condition,
    financing). Published priorities (0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333),
    lambda_max = 9.669, CR = 0.169: inconsistent, so nqpf refuses it unless told otherwise."""
    A = np.array([
        [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
        [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
        [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
        [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
        [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
        [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
        [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
        [4, 7, 5, 8, 6, 6, 2, 1],
    ])
    with pytest.raises(MethodError, match="consisten"):
        weights.ahp(A)
    w, cr = weights.ahp(A, allow_inconsistent=True)
    np.testing.assert_allclose(w, [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333], atol=5e-4)
    assert cr == pytest.approx(0.169, abs=5e-4)
    lam = (A @ w / w).mean()  # lambda_max recovered from the priority vector
    assert lam == pytest.approx(9.669, abs=5e-4)


# ---------------------------------------------------------------------------------------------------------
# independence (multiple-correlation) weights 复相关系数法: a method added in three files (kernel + registration,
# this test, docs/methods/independence.md); measure(), study files, methods.md and `nqpf cite` find it in the registry
# ---------------------------------------------------------------------------------------------------------
def _multiple_r(Z: np.ndarray, j: int) -> float:
    """R_j from an OLS regression of column j on the others with an intercept (independent of the kernel)."""
    y = Z[:, j]
    X = np.column_stack([np.ones(len(Z)), np.delete(Z, j, axis=1)])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    r2 = 1.0 - ((y - X @ b) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    return float(np.sqrt(r2))


def test_independence_weights_equal_inverse_multiple_correlations():
    """docs/methods/independence.md: R_j from a regression on the others, w_j = (1/R_j) / sum_k (1/R_k)."""
    from nqpf.methods.weights import independence

    rng = np.random.default_rng(3)
    Z = rng.random((40, 5))
    Z[:, 1] += 0.8 * Z[:, 0]  # make one indicator partly redundant
    d = np.array([1.0 / _multiple_r(Z, j) for j in range(5)])
    np.testing.assert_allclose(independence(Z), d / d.sum(), rtol=1e-10)
    # the most redundant pair gets the least weight
    assert set(np.argsort(independence(Z))[:2]) == {0, 1}


def test_independence_constant_and_collinear_columns():
    from nqpf.methods.weights import independence

    rng = np.random.default_rng(4)
    Z = rng.random((30, 3))
    with_const = np.column_stack([Z, np.full(30, 0.5)])
    w = independence(with_const)
    assert w[3] == 0.0
    np.testing.assert_allclose(w[:3], independence(Z), rtol=1e-12)
    with pytest.raises(MethodError, match="collinear"):
        independence(np.column_stack([Z, Z[:, 0] + Z[:, 1]]))


def test_independence_in_measure_and_the_registry(provinces_panel):
    from nqpf.core.framework import load_framework
    from nqpf.measure import measure
    from nqpf.methods.registry import WEIGHTINGS
    from nqpf.methods.weights import independence

    res = measure(provinces_panel, load_framework("nqpf-province-core"), weighting="independence")
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), independence(res.normalized.to_numpy()),
                               rtol=1e-12)
    spec = WEIGHTINGS["independence"]
    assert spec.label == ("复相关系数法", "independence (multiple-correlation) weighting")
    assert "R_j" in spec.text({}, "en") and "复相关系数" in spec.text({}, "zh")


def test_standard_deviation_weights_by_hand():
    """docs/methods/sd.md: w_j = sigma_j / sum_k sigma_k; a constant column gets 0; all constant is an error."""
    from nqpf.methods.weights import sd

    Z = np.array([[0.0, 0.2, 0.5], [0.5, 0.2, 0.5], [1.0, 0.8, 0.5]])
    s0 = np.array([0.5, np.std([0.2, 0.2, 0.8], ddof=1), 0.0])
    np.testing.assert_allclose(sd(Z), s0 / s0.sum(), rtol=1e-14)
    with pytest.raises(MethodError):
        sd(np.ones((3, 2)))
