"""Relations between two systems (系统关系): relative development degree, transition quadrants, Tapio decoupling.

The kernels of the theory's first two relations:

* **relative development degree** 相对发展度 ``R = U_a / U_b`` of two indices on the same scale, classified as
  ``a`` lagging (``R < lower``), synchronous (``lower ≤ R ≤ upper``) or ``b`` lagging (``R > upper``), by default
  0.8 and 1.2 — NQPF against traditional productive forces, or productive forces against production relations
  (生产力滞后 / 同步 / 生产关系滞后);
* **transition quadrants** 转型象限: each unit-year placed by its two indices against the year's cross-section
  mean (or median): high–high, new-led (the leap, 跃迁型), low–low and traditional-dependent (传统依赖型), with the
  paths of the units between the quadrants over time;
* **Tapio decoupling** 脱钩 (Tapio 2005): the elasticity ``e = (ΔE/E₀) / (ΔG/G₀)`` of a pressure ``E`` (energy
  use, CO₂) to a driver ``G`` (the NQPF index) between two years, classified into Tapio's eight states by the
  signs of the changes and the thresholds 0.8 and 1.2.

References
----------
- Tapio, P. (2005). Towards a theory of decoupling: degrees of decoupling in the EU and the case of road traffic
  in Finland between 1970 and 2001. *Transport Policy* 12(2), 137–151. doi:10.1016/j.tranpol.2005.01.001
- OECD (2002). *Indicators to Measure Decoupling of Environmental Pressure from Economic Growth*. Paris: OECD.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nqpf.core.errors import DataError, MethodError

__all__ = [
    "QUADRANTS",
    "TAPIO_STATES",
    "quadrant_of",
    "relative_class",
    "relative_development",
    "tapio_elasticity",
    "tapio_state",
    "transition_counts",
]

#: Tapio's (2005, Fig. 2) eight degrees of decoupling: key -> (zh, en). ``undefined``: the driver did not change.
TAPIO_STATES: dict[str, tuple[str, str]] = {
    "strong_decoupling": ("强脱钩", "strong decoupling"),
    "weak_decoupling": ("弱脱钩", "weak decoupling"),
    "expansive_coupling": ("扩张连接", "expansive coupling"),
    "expansive_negative_decoupling": ("扩张负脱钩", "expansive negative decoupling"),
    "strong_negative_decoupling": ("强负脱钩", "strong negative decoupling"),
    "weak_negative_decoupling": ("弱负脱钩", "weak negative decoupling"),
    "recessive_coupling": ("衰退连接", "recessive coupling"),
    "recessive_decoupling": ("衰退脱钩", "recessive decoupling"),
    "undefined": ("无法判定（驱动指标未变化）", "undefined (the driver did not change)"),
}

#: Ratios are rounded to this many decimals before they are classified (floating-point noise at the bounds).
_CLASS_DECIMALS = 12

#: The four transition quadrants: key -> (zh, en); "high" is at or above the year's reference (mean or median).
QUADRANTS: dict[str, tuple[str, str]] = {
    "high_high": ("双高型", "high new, high traditional"),
    "new_led": ("新质引领型（跃迁）", "new-led (leap)"),
    "low_low": ("双低型", "low new, low traditional"),
    "traditional_dependent": ("传统依赖型", "traditional-dependent"),
}


def tapio_elasticity(g0: ArrayLike, g1: ArrayLike, e0: ArrayLike, e1: ArrayLike) -> NDArray[np.float64]:
    """Tapio's decoupling elasticity ``e = (ΔE/E₀) / (ΔG/G₀)`` (脱钩弹性) between two years.

    Parameters
    ----------
    g0, g1 : (n,) the driver (e.g. the NQPF index) in the base and the end year; must be positive.
    e0, e1 : (n,) the pressure (energy use, CO₂ …) in the base and the end year; must be positive.

    Returns
    -------
    (n,) elasticities; NaN where the driver did not change.

    Examples
    --------
    >>> tapio_elasticity([1.0], [1.1], [100.0], [104.0]).round(6).tolist()   # +4 % pressure over +10 % driver
    [0.4]
    """
    g0, g1, e0, e1 = (np.asarray(a, dtype=float) for a in (g0, g1, e0, e1))
    if np.any(g0 <= 0) or np.any(e0 <= 0):
        raise DataError("Tapio elasticity: the base-year driver and pressure must be positive")
    dg = (g1 - g0) / g0
    de = (e1 - e0) / e0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dg != 0, de / np.where(dg != 0, dg, 1.0), np.nan)


def tapio_state(dg: ArrayLike, de: ArrayLike, *, lower: float = 0.8, upper: float = 1.2) -> NDArray[np.object_]:
    """Tapio's (2005) degree of decoupling (脱钩状态) from the changes of the driver ``dg`` and the pressure ``de``.

    The elasticity is ``e = de/dg`` (relative changes). With the driver growing (``dg > 0``): strong decoupling
    when the pressure falls; weak decoupling (``e < lower``), expansive coupling (``lower ≤ e ≤ upper``) or
    expansive negative decoupling (``e > upper``) when it grows. With the driver falling: strong negative
    decoupling when the pressure grows; recessive decoupling (``e > upper``), recessive coupling or weak negative
    decoupling (``e < lower``) when it falls too. A pressure that does not change counts as falling with a growing
    driver (e = 0 < lower: weak decoupling) — Tapio's boundaries; ``dg = 0`` is ``undefined``.

    Parameters
    ----------
    dg, de : (n,) relative changes ΔG/G₀ and ΔE/E₀.
    lower, upper : the elasticity band of "coupling" (Tapio: 0.8 and 1.2).

    Returns
    -------
    (n,) keys of :data:`TAPIO_STATES`.

    Examples
    --------
    >>> tapio_state([0.10, 0.10, 0.10, 0.10, -0.10, -0.10, -0.10, -0.10],
    ...             [-0.02, 0.04, 0.10, 0.20, 0.05, -0.05, -0.10, -0.20]).tolist()
    ['strong_decoupling', 'weak_decoupling', 'expansive_coupling', 'expansive_negative_decoupling', \
'strong_negative_decoupling', 'weak_negative_decoupling', 'recessive_coupling', 'recessive_decoupling']
    """
    if not 0 <= lower <= upper:
        raise MethodError(f"Tapio thresholds must satisfy 0 ≤ lower ≤ upper, got {lower} and {upper}")
    dg = np.asarray(dg, dtype=float)
    de = np.asarray(de, dtype=float)
    if dg.shape != de.shape:
        raise DataError(f"driver and pressure changes differ in shape: {dg.shape} and {de.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        # rounded before it is classified, so that 0.08/0.10 (0.7999…) sits on the 0.8 boundary it means
        e = np.round(np.where(dg != 0, de / np.where(dg != 0, dg, 1.0), np.nan), _CLASS_DECIMALS)
    out = np.full(dg.shape, "undefined", dtype=object)
    up, down = dg > 0, dg < 0
    out[up & (de < 0)] = "strong_decoupling"
    grow = up & (de >= 0)
    out[grow & (e < lower)] = "weak_decoupling"
    out[grow & (e >= lower) & (e <= upper)] = "expansive_coupling"
    out[grow & (e > upper)] = "expansive_negative_decoupling"
    out[down & (de > 0)] = "strong_negative_decoupling"
    fall = down & (de <= 0)
    out[fall & (e < lower)] = "weak_negative_decoupling"
    out[fall & (e >= lower) & (e <= upper)] = "recessive_coupling"
    out[fall & (e > upper)] = "recessive_decoupling"
    return out


def relative_development(a: ArrayLike, b: ArrayLike, scale: str = "mean") -> NDArray[np.float64]:
    """The relative development degree 相对发展度 ``R = U_a / U_b`` of two indices.

    Two composite indices built separately (own indicators, own min–max ranges, own years) are not on one scale:
    with ``scale="mean"`` (default) each is divided by its mean over the observations given (all units and years
    of the common sample), ``R = (U_a/Ū_a) / (U_b/Ū_b)``, so R = 1 is "as developed relative to the other as the
    sample is on average" and the differences across units and over time are kept; ``scale="raw"`` divides the
    scores as they are (meaningful only for indices built on one scale).

    Parameters
    ----------
    a, b : (n,) the two indices (non-negative; ``b`` positive), e.g. NQPF and traditional productive forces.
    scale : "mean" or "raw".

    Returns
    -------
    (n,) ratios.

    Examples
    --------
    >>> relative_development([0.3, 0.5], [0.5, 0.25], scale="raw").tolist()
    [0.6, 2.0]
    >>> relative_development([0.3, 0.5], [0.5, 0.25]).round(4).tolist()   # means 0.4 and 0.375
    [0.5625, 1.875]
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.any(b <= 0) or np.any(a < 0):
        raise DataError("relative development degree: both indices must be positive (the second strictly)")
    if scale == "mean":
        a, b = a / a.mean(), b / b.mean()
    elif scale != "raw":
        raise MethodError(f"relative development: scale must be 'mean' or 'raw', got {scale!r}")
    return a / b


def relative_class(r: ArrayLike, *, lower: float = 0.8, upper: float = 1.2) -> NDArray[np.object_]:
    """The class of a relative development degree: ``"a_lags"`` (R < lower), ``"synchronous"`` or ``"b_lags"``
    (R > upper); the bounds belong to "synchronous".

    Examples
    --------
    >>> relative_class([0.5, 0.8, 1.0, 1.2, 1.5]).tolist()
    ['a_lags', 'synchronous', 'synchronous', 'synchronous', 'b_lags']
    """
    if not 0 < lower <= 1 <= upper:
        raise MethodError(f"relative development bounds must satisfy 0 < lower ≤ 1 ≤ upper, got {lower}, {upper}")
    r = np.round(np.asarray(r, dtype=float), _CLASS_DECIMALS)
    out = np.full(r.shape, "synchronous", dtype=object)
    out[r < lower] = "a_lags"
    out[r > upper] = "b_lags"
    return out


def quadrant_of(new: ArrayLike, traditional: ArrayLike, ref_new: ArrayLike, ref_traditional: ArrayLike
                ) -> NDArray[np.object_]:
    """The transition quadrant (转型象限) of units from their NQPF and traditional indices and the references.

    ``ref_new`` and ``ref_traditional`` are scalars or arrays aligned with the units (each unit-year's
    cross-section reference); a value at the reference counts as high.

    Examples
    --------
    >>> quadrant_of([0.6, 0.6, 0.2, 0.2], [0.6, 0.2, 0.2, 0.6], 0.4, 0.4).tolist()
    ['high_high', 'new_led', 'low_low', 'traditional_dependent']
    """
    n, tr = np.asarray(new, dtype=float), np.asarray(traditional, dtype=float)
    hi_n, hi_t = n >= ref_new, tr >= ref_traditional
    out = np.empty(n.shape, dtype=object)
    out[hi_n & hi_t] = "high_high"
    out[hi_n & ~hi_t] = "new_led"
    out[~hi_n & ~hi_t] = "low_low"
    out[~hi_n & hi_t] = "traditional_dependent"
    return out


def transition_counts(paths: pd.DataFrame, order: Sequence[str] = tuple(QUADRANTS)) -> pd.DataFrame:
    """Counts of moves between quadrants in consecutive years: rows from, columns to.

    ``paths`` is a unit × year table of quadrant keys (NaN where a unit has no value that year; moves across a
    gap are not counted).

    Examples
    --------
    >>> p = pd.DataFrame({2020: ["low_low", "new_led"], 2021: ["new_led", "new_led"]}, index=["a", "b"])
    >>> transition_counts(p).loc["low_low", "new_led"], transition_counts(p).loc["new_led", "new_led"]
    (np.int64(1), np.int64(1))
    """
    counts = pd.DataFrame(0, index=list(order), columns=list(order), dtype=np.int64)
    years = sorted(paths.columns)
    for y0, y1 in pairwise(years):
        if y1 != y0 + 1:
            continue
        for a, b in zip(paths[y0], paths[y1], strict=True):
            if isinstance(a, str) and isinstance(b, str):
                counts.loc[a, b] += 1
    return counts

