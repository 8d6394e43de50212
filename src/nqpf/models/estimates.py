"""One column of a regression table (一列回归结果): what every model hands to the publication tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Estimates"]


@dataclass
class Estimates:
    """One column of a regression table (一列回归结果).

    Attributes
    ----------
    name : the column title (the model's label, e.g. "SDM (two-way FE)").
    params, std_errors, pvalues : coefficient, standard error and p-value by variable (same index).
    tstats : t (or z) statistics by variable; None: params / std_errors.
    nobs : the number of observations.
    stats : statistics printed below the coefficients, e.g. {"R2": 0.41, "log_likelihood": -120.3}.
    rows : yes/no or text rows such as {"unit FE": "yes", "year FE": "yes", "controls": "yes"}.
    dependent : the dependent variable.
    labels : variable -> (zh, en) display names.
    """

    name: str
    params: pd.Series
    std_errors: pd.Series
    pvalues: pd.Series
    tstats: pd.Series | None = None
    nobs: int | None = None
    stats: dict[str, float] = field(default_factory=dict)
    rows: dict[str, str] = field(default_factory=dict)
    dependent: str = ""
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def t(self) -> pd.Series:
        """t (or z) statistics."""
        return self.tstats if self.tstats is not None else self.params / self.std_errors
