"""Safe arithmetic over panel columns for indicator definitions (no Python ``eval``).

Grammar: column names, numbers, ``+ - * / **``, parentheses, unary minus and the functions
``lag(x[, k])`` (value k calendar years earlier in the same unit), ``growth(x)`` (``x / lag(x) - 1``),
``log(x)``, ``sqrt(x)``, ``abs(x)``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core.errors import ExpressionError, near_matches

FUNCTIONS = ("lag", "growth", "log", "sqrt", "abs")
_BINOPS: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}


@lru_cache(maxsize=512)
def parse(expression: str) -> ast.Expression:
    """Parse and check an expression; anything outside the grammar raises ExpressionError."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {expression!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            if isinstance(node, ast.operator) and type(node) not in _BINOPS:
                raise ExpressionError(f"{expression!r}: operator {type(node).__name__} is not allowed")
            if isinstance(node, ast.unaryop) and not isinstance(node, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"{expression!r}: operator {type(node).__name__} is not allowed")
            continue
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Name)):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(f"{expression!r}: only numbers are allowed as constants")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = getattr(node.func, "id", ast.unparse(node.func))
                raise ExpressionError(f"{expression!r}: unknown function {name!r}; allowed: {list(FUNCTIONS)}")
            if node.keywords:
                raise ExpressionError(f"{expression!r}: keyword arguments are not allowed")
            n = len(node.args)
            if node.func.id == "lag":
                if n not in (1, 2) or (n == 2 and not _is_int_constant(node.args[1])):
                    raise ExpressionError(f"{expression!r}: lag takes (x) or (x, k) with k a whole number")
            elif n != 1:
                raise ExpressionError(f"{expression!r}: {node.func.id} takes one argument")
            continue
        raise ExpressionError(f"{expression!r}: {type(node).__name__} is not allowed in a definition")
    return tree


def _is_int_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def columns(expression: str) -> list[str]:
    """The column names an expression reads, in order of first appearance."""
    tree = parse(expression)
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in out:
            out.append(node.id)
    return out


def max_lag(expression: str) -> int:
    """The largest lag (in years) an expression uses."""
    best = 0

    def visit(node: ast.AST, depth: int) -> None:
        nonlocal best
        if isinstance(node, ast.Call) and node.func.id in ("lag", "growth"):  # type: ignore[union-attr]
            k = node.args[1].value if len(node.args) == 2 else 1  # type: ignore[attr-defined]
            depth += int(k)
        best = max(best, depth)
        for child in ast.iter_child_nodes(node):
            visit(child, depth)

    visit(parse(expression), 0)
    return best


def lag(series: pd.Series, k: int = 1) -> pd.Series:
    """The value k calendar years earlier in the same unit (NaN where that year is absent)."""
    units = series.index.get_level_values(0)
    years = series.index.get_level_values(1)
    shifted = pd.Series(series.to_numpy(), index=pd.MultiIndex.from_arrays([units, years + k]))
    return shifted.reindex(series.index)


def evaluate(
    expression: str, data: pd.DataFrame, *, name: str | None = None,
    problems: list[tuple[Any, Any, str]] | None = None,
) -> pd.Series:
    """Evaluate an expression on a frame indexed by (unit, year).

    Division by zero, and log/sqrt of values outside their domain, raise ExpressionError naming the
    indicator and the unit-years concerned. When a ``problems`` list is given, such cells become NaN
    and are appended to it as (unit, year, message) instead, so that the caller can raise only for
    the unit-years it actually uses.
    """
    label = name or expression
    tree = parse(expression)
    for col in columns(expression):
        if col not in data.columns:
            raise ExpressionError(
                f"indicator '{label}': the data have no column '{col}'{near_matches(col, data.columns)}")

    def where(mask: pd.Series | np.ndarray) -> str:
        idx = data.index[np.asarray(mask, dtype=bool)]
        shown = ", ".join(f"{u} {y}" for u, y in idx[:5])
        more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
        return shown + more

    def fail(mask: pd.Series, what: str) -> pd.Series:
        """Raise for the cells in ``mask``, or record them and return the mask (cells to blank)."""
        if problems is None:
            raise ExpressionError(f"indicator '{label}': {what} at {where(mask)}")
        for u, y in data.index[np.asarray(mask, dtype=bool)]:
            problems.append((u, y, f"indicator '{label}': {what} at {u} {y}"))
        return mask

    def ev(node: ast.AST) -> pd.Series | float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return data[node.id].astype("float64")
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div):
                zero = (pd.Series(right, index=data.index) == 0) & pd.Series(left, index=data.index).notna()
                if zero.any():
                    fail(zero, f"division by zero in {ast.unparse(node)!r}")
                    right = pd.Series(right, index=data.index).mask(zero)
            out = _BINOPS[type(node.op)](left, right)
            if isinstance(node.op, ast.Pow):
                # a negative base to a fractional power has no real value (numpy gives NaN silently)
                lv, rv = pd.Series(left, index=data.index), pd.Series(right, index=data.index)
                bad = (lv < 0) & rv.notna() & (rv != np.round(rv))
                if bad.any():
                    out = pd.Series(out, index=data.index).mask(
                        fail(bad, f"negative value to a fractional power in {ast.unparse(node)!r}"))
            return out
        if isinstance(node, ast.Call):
            fn = node.func.id  # type: ignore[union-attr]
            arg = ev(node.args[0])
            if not isinstance(arg, pd.Series):
                arg = pd.Series(arg, index=data.index)
            if fn == "lag":
                k = node.args[1].value if len(node.args) == 2 else 1  # type: ignore[attr-defined]
                return lag(arg, int(k))
            if fn == "growth":
                prev = lag(arg, 1)
                zero = (prev == 0) & arg.notna()
                if zero.any():
                    prev = prev.mask(fail(zero, "growth from a zero base"))
                return arg / prev - 1.0
            if fn == "log":
                bad = arg <= 0
                if bad.any():
                    arg = arg.mask(fail(bad, "log of a non-positive value"))
                return np.log(arg)
            if fn == "sqrt":
                bad = arg < 0
                if bad.any():
                    arg = arg.mask(fail(bad, "sqrt of a negative value"))
                return np.sqrt(arg)
            return arg.abs()
        raise ExpressionError(f"indicator '{label}': cannot evaluate {ast.dump(node)}")  # pragma: no cover

    out = ev(tree)
    if not isinstance(out, pd.Series):
        out = pd.Series(float(out), index=data.index)
    out = out.astype("float64")
    inf = pd.Series(np.isinf(out.to_numpy()), index=data.index)
    if inf.any():
        out = out.mask(fail(inf, "infinite value"))
    return out.rename(name)
