"""Panel shaping (面板整理) shared by the analyses: a tidy (unit, year, value) frame and a unit × year matrix.

Every analysis that takes "an IndexResult or a DataFrame with unit, year and a value column" goes through
:func:`panel_frame`, so the same input gets the same checks (duplicates, non-numeric years, missing
values) and the same error messages everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError

__all__ = ["balanced_matrix", "panel_frame", "plain"]


def plain(x: Any) -> Any:
    """A numpy scalar as a plain Python value (so messages read 'c3', 2021, not np.str_('c3'))."""
    return x.item() if isinstance(x, np.generic) else x


def panel_frame(data: Any, column: str = "score", *, allow_nan: bool = False) -> pd.DataFrame:
    """The tidy (unit, year, value) frame of an IndexResult or a DataFrame with unit, year, ``column``.

    A DataFrame may carry unit and year as columns or as a (unit, year) MultiIndex. Duplicated
    unit-years and (unless ``allow_nan``) missing values raise DataError naming them.
    """
    if isinstance(getattr(data, "scores", None), pd.DataFrame) and not isinstance(data, pd.DataFrame):
        frame = data.scores  # an IndexResult (or anything with a scores table)
        what = "IndexResult.scores"
    elif isinstance(data, pd.DataFrame):
        frame = data
        what = "the frame"
        if not {"unit", "year"} <= set(frame.columns):
            names = [n for n in (frame.index.names or []) if n is not None]
            if {"unit", "year"} <= set(names):
                frame = frame.reset_index()
            else:
                raise DataError(
                    "expected a DataFrame with columns 'unit' and 'year' (or a (unit, year) index); "
                    f"got columns {list(frame.columns)[:10]}"
                )
    else:
        raise DataError(
            f"expected an IndexResult or a DataFrame with unit, year and {column!r}; "
            f"got {type(data).__name__}"
        )
    if column not in frame.columns:
        cols = [c for c in frame.columns if c not in ("unit", "year")]
        raise DataError(f"{what} has no column {column!r}; available: {cols}")
    out = pd.DataFrame({
        "unit": frame["unit"].to_numpy(),
        "year": pd.to_numeric(frame["year"], errors="coerce").to_numpy(),
        "value": pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float),
    })
    if out["year"].isna().any():
        row = int(np.flatnonzero(out["year"].isna().to_numpy())[0])
        raise DataError(
            f"unit {plain(out['unit'].iloc[row])!r}: year {plain(frame['year'].iloc[row])!r} is not a number"
        )
    out = out.assign(year=out["year"].astype(int))
    dup = out.duplicated(["unit", "year"])
    if dup.any():
        r = out[dup].iloc[0]
        raise DataError(
            f"unit {plain(r['unit'])!r}, year {r['year']}: duplicated unit-year; keep one row per unit-year"
        )
    if not allow_nan and out["value"].isna().any():
        bad = out[out["value"].isna()]
        where = ", ".join(f"{u} {y}" for u, y in zip(bad["unit"].head(5), bad["year"].head(5), strict=True))
        raise DataError(
            f"{column!r} is missing or not numeric for {len(bad)} unit-year(s) ({where}); "
            "drop or impute them first"
        )
    return out.sort_values(["year", "unit"], kind="stable").reset_index(drop=True)


def balanced_matrix(frame: pd.DataFrame, units: list[Hashable] | None = None) -> pd.DataFrame:
    """The unit × year matrix of a (unit, year, value) frame; a missing unit-year raises DataError."""
    mat = frame.pivot(index="unit", columns="year", values="value")
    if units is not None:
        mat = mat.reindex(units)
    else:
        mat = mat.reindex(list(dict.fromkeys(frame["unit"])))
    if mat.isna().to_numpy().any():
        r, c = np.argwhere(mat.isna().to_numpy())[0]
        n_bad = int(mat.isna().to_numpy().sum())
        raise DataError(
            f"unit {plain(mat.index[r])!r}, year {mat.columns[c]}: no value ({n_bad} unit-year(s) missing); "
            "this analysis needs a balanced panel — impute or drop the unit or year"
        )
    return mat
