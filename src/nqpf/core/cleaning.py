"""Cleaning steps of firm panels (样本清洗) as explicit study options, every effect recorded in provenance.

The field's usual steps for listed-firm samples: drop financial-industry firms (CSRC 2012 industry codes
J66–J69), drop ST/*ST firm-years, winsorise every indicator at the 1 % / 99 % quantiles (by year or
pooled). Each dropped firm-year and each clipped cell is written to the panel's provenance.

Study file::

    [data.clean]
    drop_financial = true          # needs an industry code column (labels), named by `industry`
    industry = "industry_code"
    drop_st = true                 # ST/*ST firm-years, from `st` (a 0/1 or text flag column) or the name
    st = "st_flag"
    winsorize = [0.01, 0.99]
    winsorize_by = "year"

Status: interface fixed by the lead; implementation owned by the firm work (issue 12, item 5).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CleanSpec"]


class CleanSpec(BaseModel):
    """``[data.clean]``: which cleaning steps run, in the order drop_financial → drop_st → winsorize."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drop_financial: bool = False
    industry: str | None = None
    drop_st: bool = False
    st: str | None = None
    winsorize: tuple[float, float] | None = None
    winsorize_by: Literal["year", "pooled"] = "year"

    @property
    def any(self) -> bool:
        """Whether any step is requested."""
        return self.drop_financial or self.drop_st or self.winsorize is not None
