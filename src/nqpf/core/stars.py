"""Significance stars (显著性星号) as Chinese and international economics journals print them."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["STAR_NOTE", "stars"]

#: The legend printed under tables, (zh, en).
STAR_NOTE = ("***、**、* 分别表示在 1%、5%、10% 的水平上显著。",
             "***, **, * denote significance at the 1%, 5% and 10% levels.")


def stars(p: Any) -> str:
    """``***`` for p < 0.01, ``**`` for p < 0.05, ``*`` for p < 0.1, else ``""`` (also for a missing p).

    Examples
    --------
    >>> [stars(p) for p in (0.001, 0.01, 0.07, 0.2, float("nan"), None)]
    ['***', '**', '*', '', '', '']
    """
    try:
        v = float(p)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(v):
        return ""
    return "***" if v < 0.01 else "**" if v < 0.05 else "*" if v < 0.1 else ""
