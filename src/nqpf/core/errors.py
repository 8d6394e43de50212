"""Errors that name what is wrong: the file, row, column, indicator or unit-year."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def near_matches(name: Any, options: Iterable[Any]) -> str:
    """A hint ``"; near matches: a, b"`` listing up to three close options, or an empty string."""
    near = difflib.get_close_matches(str(name), [str(o) for o in options], n=3)
    return f"; near matches: {', '.join(near)}" if near else ""


class NqpfError(ValueError):
    """Base class of every error nqpf raises on bad input."""


class DataError(NqpfError):
    """Bad data: a non-numeric cell, a duplicate unit-year, an unknown unit, a missing indicator."""


class FrameworkError(NqpfError):
    """A framework YAML or tree that is not valid; the message names the file, line and field."""


class ExpressionError(NqpfError):
    """An indicator definition that cannot be parsed or evaluated."""


class MethodError(NqpfError):
    """A method that cannot run on the given input (NaN left in a matrix, a constant column, ...).

    Kernels know only column and row positions; ``column`` and ``row`` carry them so that the
    pandas-facing layer can re-raise the error with indicator names and unit-years.
    """

    def __init__(self, message: str, column: int | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.row = row


class StudyError(NqpfError):
    """A study TOML that is not valid."""
