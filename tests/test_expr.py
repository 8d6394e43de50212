"""The indicator expression evaluator: safe grammar, lags by calendar year, named errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.core import expr
from nqpf.core.errors import ExpressionError


@pytest.fixture
def frame() -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples(
        [("A", 2010), ("A", 2011), ("A", 2013), ("B", 2010), ("B", 2011), ("B", 2013)], names=["unit", "year"]
    )
    return pd.DataFrame({"x": [1.0, 2.0, 8.0, 4.0, 6.0, 3.0], "pop": [10.0, 10.0, 20.0, 5.0, 0.0, 6.0]}, index=idx)


def test_ratio_and_per_capita(frame):
    out = expr.evaluate("x / pop * 10000", frame.drop(index=("B", 2011)))
    assert out[("A", 2013)] == pytest.approx(8.0 / 20.0 * 10000)


def test_lag_is_by_calendar_year_not_by_row(frame):
    out = expr.evaluate("lag(x)", frame)
    assert np.isnan(out[("A", 2010)])
    assert out[("A", 2011)] == 1.0
    assert np.isnan(out[("A", 2013)])  # 2012 is absent: no silent use of 2011
    assert out[("B", 2011)] == 4.0
    g = expr.evaluate("growth(x)", frame)
    assert g[("B", 2011)] == pytest.approx(6.0 / 4.0 - 1.0)
    assert expr.evaluate("lag(x, 2)", frame)[("A", 2013)] == pytest.approx(2.0)
    assert expr.max_lag("growth(lag(x, 2))") == 3


def test_functions(frame):
    assert expr.evaluate("log(x)", frame)[("A", 2013)] == pytest.approx(np.log(8.0))
    assert expr.evaluate("sqrt(x) + abs(-x) - -1", frame)[("B", 2010)] == pytest.approx(2.0 + 4.0 + 1.0)
    assert expr.columns("log(a / b) + lag(a) * 2") == ["a", "b"]


def test_division_by_zero_names_unit_year(frame):
    with pytest.raises(ExpressionError, match=r"'rd_per_pop'.*division by zero.*B 2011"):
        expr.evaluate("x / pop", frame, name="rd_per_pop")


def test_log_domain_error(frame):
    f = frame.assign(x=frame["x"] - 2.0)
    with pytest.raises(ExpressionError, match="log of a non-positive value at A 2010"):
        expr.evaluate("log(x)", f)


@pytest.mark.parametrize("bad", [
    "__import__('os').system('ls')", "x.real", "x[0]", "open('f')", "x if x else 1", "lambda: 1",
    "x < 2", "'a'", "lag(x, k=1)", "lag(x, 1.5)", "x // 2", "x % 2", "True",
])
def test_unsafe_or_unknown_constructs_are_refused(frame, bad):
    with pytest.raises(ExpressionError):
        expr.evaluate(bad, frame)


def test_unknown_column_suggests_near_match(frame):
    with pytest.raises(ExpressionError, match=r"no column 'popp'.*near matches: pop"):
        expr.evaluate("x / popp", frame)


def test_fractional_power_of_a_negative_value_is_a_named_problem(frame):
    """(-8) ** 0.5 is not a real number: a named error, not an empty cell that interpolation would fill."""
    f = frame.assign(x=[1.0, -2.0, 9.0, 4.0, 6.0, 3.0])
    with pytest.raises(ExpressionError, match=r"indicator 'r'.*negative.*at A 2011"):
        expr.evaluate("x ** 0.5", f, name="r")
    problems: list = []
    out = expr.evaluate("x ** 0.5", f, name="r", problems=problems)
    assert [(u, y) for u, y, _ in problems] == [("A", 2011)]
    assert out[("A", 2013)] == 3.0 and np.isnan(out[("A", 2011)])
    assert expr.evaluate("x ** 2", f)[("A", 2011)] == 4.0  # whole exponents of negatives are fine
