"""Tests for nqpf.methods.normalize: min-max, interval (moderate), z-score, vector, bounds, by_group.

Reference values are hand calculations written out in the comments, and pymcdm 1.4's normalisation
functions (test-only dependency) where they define the same transform.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pymcdm import normalizations as pn

from nqpf.core.errors import MethodError
from nqpf.methods.normalize import by_group, column_bounds, interval, minmax, vector, zscore

X3 = np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]])


# ----------------------------------------------------------------------------------------------------
# min-max
# ----------------------------------------------------------------------------------------------------


def test_minmax_hand_calculation() -> None:
    # col 0 positive, lo = 1, hi = 4: (x - 1) / 3 = (0, 1/3, 1)
    # col 1 negative, lo = 10, hi = 30: (30 - x) / 20 = (1, 0, .5)
    Z = minmax(X3, [True, False], shift=0.0)
    np.testing.assert_allclose(Z, [[0, 1], [1 / 3, 0], [1, 0.5]], rtol=1e-15, atol=0)
    assert not np.signbit(Z).any()  # no -0.0 for the best unit of a negative indicator
    # default shift 1e-4 translates every value
    np.testing.assert_allclose(minmax(X3, [True, False]), Z + 1e-4, rtol=1e-15, atol=0)
    # +1 / -1 direction codes (pymcdm's `types`) are accepted
    np.testing.assert_array_equal(minmax(X3, [1, -1], shift=0.0), Z)


def test_minmax_matches_pymcdm() -> None:
    rng = np.random.default_rng(20)
    X = rng.lognormal(size=(30, 4))
    pos = np.array([True, False, True, False])
    Z = minmax(X, pos, shift=0.0)
    for j in range(4):
        np.testing.assert_allclose(Z[:, j], pn.minmax_normalization(X[:, j], cost=not pos[j]), rtol=1e-12)


def test_minmax_fixed_bounds_do_not_clip() -> None:
    # bounds (0, 2) for col 0 and (10, 20) for col 1; x = 4 lies above hi = 2: (4 - 0)/2 = 2 (not clipped),
    # col 1 negative: (20 - 30)/10 = -1 for x = 30
    Z = minmax(X3, [True, False], shift=0.0, bounds=([0.0, 10.0], [2.0, 20.0]))
    np.testing.assert_allclose(Z, [[0.5, 1.0], [1.0, -1.0], [2.0, 0.0]], rtol=1e-15)
    with pytest.raises(MethodError, match="reversed") as ei:
        minmax(X3, [True, False], bounds=([0.0, 30.0], [2.0, 20.0]))
    assert ei.value.column == 1
    with pytest.raises(MethodError, match="constant") as ei:
        minmax(X3, [True, False], bounds=([0.0, 5.0], [2.0, 5.0]))
    assert ei.value.column == 1


def test_minmax_bad_input() -> None:
    X = X3.copy()
    X[:, 1] = 7.0
    with pytest.raises(MethodError, match=r"constant.*divide by zero") as ei:
        minmax(X, [True, True])
    assert ei.value.column == 1 and ei.value.row is None
    X = X3.copy()
    X[2, 1] = np.nan
    with pytest.raises(MethodError, match="missing or infinite") as ei:
        minmax(X, [True, True])
    assert (ei.value.row, ei.value.column) == (2, 1)
    X = X3.copy()
    X[1, 0] = -np.inf
    with pytest.raises(MethodError) as ei:
        minmax(X, [True, True], bounds=([0.0, 0.0], [5.0, 40.0]))  # also checked with fixed bounds
    assert (ei.value.row, ei.value.column) == (1, 0)
    with pytest.raises(MethodError, match="one entry per indicator"):
        minmax(X3, [True])
    with pytest.raises(MethodError, match="direction"):
        minmax(X3, [1, 2])


def test_column_bounds() -> None:
    lo, hi = column_bounds(X3)
    np.testing.assert_array_equal(lo, [1.0, 10.0])
    np.testing.assert_array_equal(hi, [4.0, 30.0])
    rng = np.random.default_rng(21)
    big = rng.normal(size=(50_003, 45))  # threaded, slab-folded reductions
    lo, hi = column_bounds(big)
    np.testing.assert_array_equal(lo, big.min(axis=0))
    np.testing.assert_array_equal(hi, big.max(axis=0))
    big[40_000, 44] = np.nan
    with pytest.raises(MethodError) as ei:
        column_bounds(big)
    assert (ei.value.row, ei.value.column) == (40_000, 44)


# ----------------------------------------------------------------------------------------------------
# interval (moderate) indicators
# ----------------------------------------------------------------------------------------------------


def test_interval_hand_calculation() -> None:
    # best interval [4, 6]; lo = 1, hi = 10; M = max(4 - 1, 10 - 6) = 4
    # x = 1: 1 - (4 - 1)/4 = .25; x = 3: 1 - 1/4 = .75; x = 5: 1; x = 6: 1; x = 8: 1 - 2/4 = .5; x = 10: 0
    X = np.array([[1.0], [3.0], [5.0], [6.0], [8.0], [10.0]])
    Z = interval(X, [4.0], [6.0], shift=0.0)
    np.testing.assert_allclose(Z[:, 0], [0.25, 0.75, 1.0, 1.0, 0.5, 0.0], rtol=1e-15)
    np.testing.assert_allclose(interval(X, 4.0, 6.0)[:, 0], Z[:, 0] + 1e-4, rtol=1e-15)
    # all observations inside the best interval: every score is 1 (+ shift), no division by zero
    np.testing.assert_array_equal(interval(X, 0.0, 20.0, shift=0.0), np.ones((6, 1)))
    # fixed bounds (0, 12): M = max(4, 6) = 6; x = 1: 1 - 3/6 = .5; x = 10: 1 - 4/6 = 1/3
    Zb = interval(X, 4.0, 6.0, shift=0.0, bounds=([0.0], [12.0]))
    np.testing.assert_allclose(Zb[[0, 5], 0], [0.5, 1 / 3], rtol=1e-15)
    with pytest.raises(MethodError, match="reversed"):
        interval(X, 6.0, 4.0)


# ----------------------------------------------------------------------------------------------------
# z-score, vector
# ----------------------------------------------------------------------------------------------------


def test_zscore_hand_calculation() -> None:
    # col 0: (1, 2, 4): mean 7/3, deviations (-4/3, -1/3, 5/3), sum sq 42/9, sd = sqrt(7/3) = 1.527525
    # col 1 negative: (10, 30, 20): mean 20, sd = 10; z = (20 - x)/10 = (1, -1, 0)
    Z = zscore(X3, [True, False])
    sd = np.sqrt(7 / 3)
    np.testing.assert_allclose(Z[:, 0], [-4 / 3 / sd, -1 / 3 / sd, 5 / 3 / sd], rtol=1e-14)
    np.testing.assert_allclose(Z[:, 1], [1.0, -1.0, 0.0], rtol=1e-14, atol=1e-15)
    with pytest.raises(MethodError, match="constant"):
        zscore(np.ones((3, 2)))


def test_vector_hand_calculation_and_pymcdm() -> None:
    # col 0: norm sqrt(1 + 4 + 16) = sqrt(21); col 1 negative: 1 - x / sqrt(100 + 900 + 400) = 1 - x / sqrt(1400)
    R = vector(X3, [True, False])
    np.testing.assert_allclose(R[:, 0], X3[:, 0] / np.sqrt(21), rtol=1e-14)
    np.testing.assert_allclose(R[:, 1], 1 - X3[:, 1] / np.sqrt(1400), rtol=1e-14)
    for j, cost in enumerate([False, True]):
        np.testing.assert_allclose(R[:, j], pn.vector_normalization(X3[:, j], cost=cost), rtol=1e-12)
    with pytest.raises(MethodError, match="all zeros") as ei:
        vector(np.array([[1.0, 0.0], [2.0, 0.0]]))
    assert ei.value.column == 1


# ----------------------------------------------------------------------------------------------------
# per-group (per-year) normalisation
# ----------------------------------------------------------------------------------------------------


def test_by_group_minmax_equals_per_group_loop() -> None:
    rng = np.random.default_rng(22)
    X = rng.random((60, 3))
    years = np.repeat(np.arange(2015, 2021), 10)
    rng.shuffle(years)  # rows need not be sorted by group
    pos = [True, False, True]
    Z = by_group(minmax, X, years, positive=pos, shift=1e-4)
    for y in np.unique(years):
        rows = years == y
        np.testing.assert_allclose(Z[rows], minmax(X[rows], pos), rtol=1e-15)
    # the generic (group-by-group) path gives the same for another kernel
    Zs = by_group(zscore, X, years, positive=pos)
    for y in np.unique(years):
        rows = years == y
        np.testing.assert_allclose(Zs[rows], zscore(X[rows], pos), rtol=1e-15)


def test_by_group_errors_name_the_group() -> None:
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 1.0], [4.0, 2.0]])
    groups = np.array([2020, 2020, 2021, 2021])
    with pytest.raises(MethodError, match="within group 2020") as ei:
        by_group(minmax, X, groups, positive=[True, True])
    assert (ei.value.row, ei.value.column) == (0, 1)
    with pytest.raises(MethodError, match="in group 2020") as ei:
        by_group(zscore, X, groups)
    assert ei.value.column == 1 and ei.value.row == 0
    with pytest.raises(MethodError, match="one label per row"):
        by_group(minmax, X, groups[:3], positive=[True, True])


# ----------------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------------

raw = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 30), st.integers(1, 6)),
    # no values so close to 0 that rescaling by 1e-4 would lose precision to subnormals
    elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e6), st.floats(-1e6, -1e-6)),
)


@settings(max_examples=100, deadline=None)
@given(raw, st.data())
def test_property_minmax_range(X: np.ndarray, data: st.DataObject) -> None:
    pos = data.draw(hnp.arrays(np.bool_, X.shape[1]))
    shift = data.draw(st.sampled_from([0.0, 1e-4, 0.01]))
    if np.any(X.max(axis=0) == X.min(axis=0)):
        with pytest.raises(MethodError, match="constant"):
            minmax(X, pos, shift=shift)
        return
    Z = minmax(X, pos, shift=shift)
    assert np.all(Z >= shift) and np.all(Z <= 1 + shift)
    # the best unit of every indicator scores exactly 1 + shift, the worst exactly shift
    np.testing.assert_array_equal(Z.max(axis=0), np.full(X.shape[1], 1.0 + shift))
    np.testing.assert_array_equal(Z.min(axis=0), np.full(X.shape[1], shift))


@settings(max_examples=100, deadline=None)
@given(raw, st.data())
def test_property_minmax_unit_invariant(X: np.ndarray, data: st.DataObject) -> None:
    # yuan -> 10,000 yuan (or any positive rescaling and any shift of origin) leaves scores unchanged
    if np.any(X.max(axis=0) - X.min(axis=0) <= 1e-9 * np.abs(X).max(axis=0)):
        return
    pos = data.draw(hnp.arrays(np.bool_, X.shape[1]))
    factor = data.draw(st.sampled_from([1e-4, 0.1, 3.0, 1e4]))
    np.testing.assert_allclose(minmax(X * factor, pos), minmax(X, pos), rtol=1e-9, atol=1e-12)
