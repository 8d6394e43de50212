"""Robustness and uncertainty of a composite index (稳健性与不确定性分析): how much of a ranking is the
method, and how much is the data.

- :func:`method_sensitivity` (方法敏感性分析): re-measure under every weighting × aggregation and compare
  the rankings (Spearman's ρ, Kendall's τ-b; each unit's rank range across methods).
- :func:`monte_carlo_weights` (权重不确定性蒙特卡洛模拟): draw indicator weights around the chosen ones
  (Dirichlet) or uniformly on the simplex, re-score and re-rank within each year; per unit-year the
  median rank, a 90 % rank interval and the probability of being in the top k.
- :func:`bootstrap` (自助法置信区间): resample units (stratified by region), re-normalise and re-weight
  on each resample; percentile intervals for the indicator weights, the mean index by year and the
  Dagum Gini components.
- :func:`leave_one_out` (逐一剔除指标): how each rank moves when one indicator is dropped; flags the
  indicators that single-handedly decide a ranking.
- :func:`uncertainty_analysis`: the light bundle a study runs (Monte Carlo + methods + leave-one-out +
  bootstrap).

Monte Carlo and bootstrap are vectorised: scores for a batch of weight draws are one matrix product
per year (TOPSIS: ``D+² = (Z − z⁺)² @ (w²)``; GRA: relational coefficients, which do not depend on the
weights, ``@ w``); ranks come from one sort per (draw, year) row of packed integer keys and are
accumulated as a rank histogram per unit-year, so memory does not grow with the number of draws.
The bootstrap re-runs the whole measurement (normalisation, weights at every tree level,
aggregation) on a (resamples × years × units × indicators) array; it is checked against
:func:`nqpf.measure.measure` on the original sample before it runs.

References: Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323 (uncertainty and
sensitivity analysis of composite indicators); OECD/JRC (2008), Handbook on Constructing Composite
Indicators, ch. 7; Efron (1979), Ann. Statist. 7(1), 1-26 (bootstrap).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.errors import DataError, MethodError, NqpfError
from nqpf.core.framework import Framework
from nqpf.core.interface import Result
from nqpf.core.rng import generator
from nqpf.core.threads import num_threads, one_blas_thread
from nqpf.methods import aggregate as agg
from nqpf.methods import weights as wt
from nqpf.result import IndexResult

__all__ = [
    "BootstrapResult",
    "LeaveOneOutResult",
    "MethodSensitivity",
    "MonteCarloResult",
    "UncertaintyResult",
    "bootstrap",
    "draw_weights",
    "leave_one_out",
    "method_sensitivity",
    "monte_carlo_weights",
    "rank_histogram",
    "uncertainty_analysis",
]

DEFAULT_WEIGHTINGS = ("entropy", "global_entropy", "critic", "cv", "equal", "combined")
DEFAULT_AGGREGATIONS = ("weighted_sum", "topsis", "gra")
_WEIGHTINGS = ("global_entropy", "entropy", "critic", "cv", "equal", "ahp", "combined")
_AGGREGATIONS = ("weighted_sum", "topsis", "gra")
_NORMALIZATIONS = ("minmax", "zscore", "vector")

#: Ranks are found by sorting packed int64 keys (score bits, then the unit's position in the low bits).
#: With n units the low ceil(log2 n) mantissa bits are given up, so scores closer than about
#: 2**(bits - 52) relative count as tied. Above 2**12 units an exact argsort is used instead.
_KEY_BITS_MAX = 12
#: Target number of float64 elements in one batch's largest array (2 MiB: stays in cache).
_BATCH_ELEMENTS = 1 << 18


# =============================================================================================
# small helpers
# =============================================================================================


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise MethodError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_concentration(value: Any) -> float:
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise MethodError(f"concentration must be a positive number, got {value!r}") from None
    if not (math.isfinite(c) and c > 0):
        raise MethodError(
            f"concentration must be a positive finite number (Dirichlet alpha = concentration × weight), "
            f"got {value!r}; larger values keep the draws closer to the chosen weights (e.g. 100)"
        )
    return c


def _check_level(level: Any) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise MethodError(f"level must be a number between 0 and 1, got {level!r}") from None
    if not (0.0 < lv < 1.0):
        raise MethodError(f"level must lie strictly between 0 and 1 (e.g. 0.9), got {level!r}")
    return lv


def _interval_quantiles(level: float) -> tuple[float, float]:
    """Lower and upper quantiles of a central interval, as np.percentile(x, 5) / 100 would give them
    (level 0.9 -> exactly 0.05 and 0.95, not 0.04999999999999999)."""
    return round(50.0 * (1.0 - level), 9) / 100.0, round(50.0 * (1.0 + level), 9) / 100.0


def _quantile_from_cum(cum: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of integer ranks 1..n given as a cumulative histogram per row (``cum[i, r-1]`` =
    number of draws with rank <= r), numpy's 'linear' definition.

    Hyndman & Fan (1996), Am. Stat. 50(4), 361-365, definition 7 (``np.quantile`` default): virtual
    index h = (D − 1) q over the D sorted values, linear interpolation between the order statistics at
    floor(h) and floor(h) + 1, written as numpy's ``_lerp`` so results equal ``np.quantile`` exactly.
    """
    total = cum[:, -1]
    if not (total == total[0]).all():
        raise MethodError("internal: unequal draw counts across unit-years")
    D = int(total[0])
    h = (D - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, D - 1)
    t = h - lo
    a = (cum > lo).argmax(axis=1).astype(float) + 1.0
    b = (cum > hi).argmax(axis=1).astype(float) + 1.0
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _rank_codes(S: np.ndarray, mn: float | None = None) -> np.ndarray:
    """For each row of finite scores S (b, n): ``rank0 * n + unit`` at each position of the descending
    order, where rank0 = rank − 1 with ties sharing the best (lowest) rank ('min' method).

    Sorts packed int64 keys in place (S is overwritten): the float bits made order-preserving (only
    needed when a score is negative), inverted for descending order, with the unit's column in the
    low ceil(log2 n) bits; one row sort gives the order and the units together. ``bincount`` of the
    codes is the rank histogram (rank-major). ``mn`` is ``S.min()`` when the caller has it.
    """
    b, n = S.shape
    bits = max(1, (n - 1).bit_length())
    pos = np.arange(n)
    if bits > _KEY_BITS_MAX:
        order = np.argsort(-S, axis=1, kind="stable")
        vals = np.take_along_axis(S, order, axis=1)
        tie = vals[:, 1:] == vals[:, :-1]
        code = order
    else:
        low = (1 << bits) - 1
        if mn is None:
            mn = float(S.min())
        if mn <= 0:
            np.add(S, 0.0, out=S)  # -0.0 -> +0.0
        k = S.view(np.int64)
        if mn < 0:  # negative doubles: flip all but the sign bit so that int order == float order
            f = k >> 63
            f &= 0x7FFFFFFFFFFFFFFF
            k ^= f
        # descending key with the unit in the low bits: ~(k | low) + pos == (pos - 1) - (k | low)
        k |= low
        np.subtract(pos - 1, k, out=k)
        k.sort(axis=1)
        x = np.bitwise_xor(k[:, 1:], k[:, :-1])
        tie = x.view(np.uint64) <= np.uint64(low)  # equal high bits
        k &= low
        code = k
    if not tie.any():
        code += pos * n  # no multiplication over the batch: rank0 == position
        return code
    start = np.where(np.concatenate([np.zeros((b, 1), dtype=bool), tie], axis=1), 0, pos)
    np.maximum.accumulate(start, axis=1, out=start)
    start *= n
    code += start
    return code


def rank_histogram(S: np.ndarray) -> np.ndarray:
    """Rank histogram of the columns of S (draws × units): ``H[i, r-1]`` = number of rows in which
    column i has rank r (1 = highest score; ties share the best rank).

    Ranks by sorting (Knuth 1998, The Art of Computer Programming vol. 3); see :func:`monte_carlo_weights`.
    """
    A = np.array(S, dtype=np.float64, order="C", copy=True)
    if A.ndim != 2 or A.size == 0:
        raise MethodError(f"S must be a non-empty 2-D matrix (draws × units), got shape {A.shape}")
    if not np.isfinite(A).all():
        raise MethodError("S has a missing or infinite score; ranks are undefined")
    n = A.shape[1]
    return np.bincount(_rank_codes(A).ravel(), minlength=n * n).reshape(n, n).T.copy()


def _ranks_min(scores: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Rank 1 = highest within each year, ties share the lowest rank (as nqpf.result.rank_within_years)."""
    return (pd.Series(scores).groupby(years).rank(ascending=False, method="min")
            .to_numpy(dtype=float))


# =============================================================================================
# the shape of a result
# =============================================================================================


@dataclass(frozen=True)
class _Layout:
    index: pd.MultiIndex  # (unit, year) of every row, the result's row order
    units: np.ndarray
    years: np.ndarray
    year_list: list[int]
    rows: list[np.ndarray]  # row positions of each year, year_list order
    score: np.ndarray
    rank: np.ndarray


def _layout(result: IndexResult) -> _Layout:
    if not isinstance(result, IndexResult):
        raise DataError(f"expected an IndexResult from nqpf.measure.measure(), got {type(result).__name__}")
    index = result.normalized.index
    units = index.get_level_values("unit").to_numpy()
    years = index.get_level_values("year").to_numpy().astype(int)
    sc = result.scores.set_index(["unit", "year"])
    key = pd.MultiIndex.from_arrays([units, years], names=["unit", "year"])
    try:
        sc = sc.reindex(key)
    except ValueError:
        raise DataError("the result's scores table repeats a unit-year; "
                        "use the IndexResult from measure()") from None
    if sc["score"].isna().any():
        u, y = key[np.flatnonzero(sc["score"].isna().to_numpy())[0]]
        raise DataError(f"the result has no score for {u} {y}; use the IndexResult from measure()")
    year_list = sorted(set(int(y) for y in years))
    rows = [np.flatnonzero(years == y) for y in year_list]
    return _Layout(key, units, years, year_list, rows, sc["score"].to_numpy(dtype=float),
                   sc["rank"].to_numpy(dtype=float))


def _point_weights(result: IndexResult, lay: _Layout) -> tuple[np.ndarray, np.ndarray | None]:
    """Global indicator weights (m,), and per-year weights (T, m) for per-cross-section entropy."""
    ids = list(result.normalized.columns)
    w = result.indicator_weights.reindex(ids).to_numpy(dtype=float)
    wby = getattr(result, "weights_by_year", None)
    if wby is None:
        return w, None
    W = wby.reindex(index=lay.year_list, columns=ids).to_numpy(dtype=float)
    return w, W


def _aggregation_groups(result: IndexResult, lay: _Layout, per_year_weights: bool) -> list[np.ndarray]:
    """Rows that share TOPSIS ideals / the GRA reference (as measure(): per year, or all rows)."""
    if result.settings.get("scope") == "per_year" or per_year_weights:
        return lay.rows
    return [np.arange(len(lay.units))]


def _aggregate_rows(Z: np.ndarray, w: np.ndarray, aggregation: str, rho: float) -> np.ndarray:
    """One group's scores with the public kernels, ideals and reference from the group (as measure())."""
    if aggregation == "weighted_sum":
        return agg.weighted_sum(Z, w)
    if aggregation == "topsis":
        return agg.topsis(Z, w, ideal=w * Z.max(axis=0), anti_ideal=w * Z.min(axis=0))
    if aggregation == "gra":
        return agg.gra(Z, w, rho=rho, reference=Z.max(axis=0))
    raise MethodError(f"unknown aggregation {aggregation!r}; use one of {list(_AGGREGATIONS)}")


# =============================================================================================
# Monte Carlo weight uncertainty
# =============================================================================================


def draw_weights(
    w: Any,
    draws: int,
    concentration: float = 100.0,
    scheme: str = "dirichlet",
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Random weight vectors (draws × m) on the simplex (权重随机抽样).

    ``scheme="dirichlet"``: Dirichlet(α = concentration · w), centred on ``w`` (mean w, variance
    w_j (1 − w_j) / (concentration + 1)); indicators with weight 0 stay at 0. ``scheme="uniform"``:
    Dirichlet(1, …, 1), uniform on the simplex (Rubinstein 1982, Eur. J. Oper. Res. 10(2), 205-209).
    Drawn with ``numpy.random.Generator.dirichlet`` from ``default_rng(seed)``, one row per draw, so
    drawing in batches from one generator gives the same rows as drawing at once.
    """
    draws = _check_int("draws", draws, 1)
    conc = _check_concentration(concentration)
    wv = np.asarray(w, dtype=float)
    if wv.ndim != 1 or wv.size == 0 or not np.isfinite(wv).all() or (wv < 0).any() or not wv.sum() > 0:
        raise MethodError(f"w must be a non-negative weight vector with a positive sum, got {w!r}")
    return _alpha_draws(generator(seed), _alpha(wv / wv.sum(), conc, scheme), draws)


def _alpha(w: np.ndarray, concentration: float, scheme: str) -> np.ndarray:
    if scheme == "dirichlet":
        return concentration * w
    if scheme == "uniform":
        return np.ones_like(w)
    raise MethodError(f"unknown scheme {scheme!r}; use 'dirichlet' (centred on the weights) or 'uniform'")


def _alpha_draws(rng: np.random.Generator, alpha: np.ndarray, size: int) -> np.ndarray:
    return rng.dirichlet(alpha, size=size)


@dataclass
class MonteCarloResult(Result):
    """Monte Carlo weight uncertainty (权重不确定性蒙特卡洛模拟) of the ranks of an index.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    Attributes
    ----------
    index : (unit, year) of every unit-year, in the result's row order.
    score, point_rank : the measured score and rank (1 = best within the year).
    median_rank, rank_low, rank_high : Series indexed by (unit, year): the 50th, the (1-level)/2 and
        the (1+level)/2 percentiles of the rank over the draws (5th and 95th for level 0.9), numpy's
        default ('linear') percentile definition.
    counts : integer array (unit-years × largest number of units in a year): ``counts[i, r-1]`` is
        the number of draws in which unit-year i had rank r; None when it would exceed
        ``_MAX_COUNT_CELLS`` cells (very many units), then only ``top_k`` probabilities are kept.
    weight_summary : per indicator the chosen weight and the mean, standard deviation, 5th and 95th
        percentile of its draws (per-year weights: averaged over years).
    draws, concentration, scheme, seed, level, top_k, weighting, aggregation, notes.
    """

    index: pd.MultiIndex
    score: np.ndarray
    point_rank: np.ndarray
    median_rank: pd.Series
    rank_low: pd.Series
    rank_high: pd.Series
    counts: np.ndarray | None
    n_units: np.ndarray
    draws: int
    concentration: float
    scheme: str
    seed: Any
    level: float
    top_k: tuple[int, ...]
    weighting: str
    aggregation: str
    weight_summary: pd.DataFrame
    top_share: dict[int, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def p_top(self, k: int) -> pd.Series:
        """Probability (share of draws) that each unit-year ranks in the top k of its year."""
        k = _check_int("k", k, 1)
        if k > int(self.n_units.min()):
            raise MethodError(f"k = {k} is larger than the number of units in a year "
                              f"({int(self.n_units.min())})")
        if self.counts is not None:
            v = self.counts[:, :k].sum(axis=1) / self.draws
        elif k in self.top_share:
            v = self.top_share[k]
        else:
            raise MethodError(f"rank counts were not kept (too many units); rerun with top_k including {k}")
        return pd.Series(v, index=self.index, name=f"p_top{k}")

    def rank_distribution(self, unit: Hashable, year: int) -> pd.Series:
        """Share of draws at each rank for one unit-year."""
        try:
            i = self.index.get_loc((unit, int(year)))
        except KeyError:
            raise DataError(f"no unit-year {unit} {year} in the result") from None
        if self.counts is None:
            raise MethodError("rank counts were not kept (too many units); only the quantiles and the top_k "
                              "shares exist")
        n = int(self.n_units[i])
        return pd.Series(self.counts[i, :n] / self.draws, index=pd.RangeIndex(1, n + 1, name="rank"))

    def to_frame(self) -> pd.DataFrame:
        """One row per unit-year: unit, year, point_rank, median_rank, rank_low, rank_high, p_top{k}..."""
        df = pd.DataFrame({
            "unit": self.index.get_level_values("unit"), "year": self.index.get_level_values("year"),
            "point_rank": self.point_rank.astype(int), "median_rank": self.median_rank.to_numpy(),
            "rank_low": self.rank_low.to_numpy(), "rank_high": self.rank_high.to_numpy(),
        })
        for k in self.top_k:
            df[f"p_top{k}"] = self.p_top(k).to_numpy()
        return df

    def summary(self, top: int = 5) -> str:
        """How wide the rank intervals are, whether point ranks fall inside them, the latest year's top."""
        df = self.to_frame()
        width = df["rank_high"] - df["rank_low"]
        outside = ((df["point_rank"] < df["rank_low"]) | (df["point_rank"] > df["rank_high"])).sum()
        how = (f"Dirichlet(concentration {self.concentration:g} × weights)" if self.scheme == "dirichlet"
               else "uniform on the simplex (Dirichlet(1))")
        last = int(df["year"].max())
        d = df[df["year"] == last].sort_values(["median_rank", "point_rank"]).head(top)
        widest = df[df["year"] == last].assign(w=width).sort_values("w", ascending=False).head(3)
        lv = f"{self.level:.0%}"
        kk = self.top_k[0] if self.top_k else None
        lines = [
            f"Monte Carlo weight uncertainty (Saisana et al. 2005): {self.draws:,} weight draws, {how}, "
            f"around the {self.weighting} weights; {self.aggregation} scores re-ranked within each year.",
            f"{lv} rank interval width: median {width.median():.1f}, max {width.max():.0f} ranks; "
            f"point rank outside its interval in {outside} of {len(df)} unit-years.",
            f"{last}, by median rank: " + "; ".join(
                f"{r.unit} {r.point_rank} [{r.rank_low:g}–{r.rank_high:g}]"
                + (f", P(top {kk}) {getattr(r, f'p_top{kk}'):.2f}" if kk else "")
                for r in d.itertuples()),
            f"{last}, widest intervals: " + "; ".join(
                f"{r.unit} {r.point_rank} [{r.rank_low:g}–{r.rank_high:g}]" for r in widest.itertuples()),
        ]
        lines += self.notes
        return "\n".join(lines)


def _mc_matrices(Z: np.ndarray, groups: list[np.ndarray], aggregation: str, rho: float) -> list[np.ndarray]:
    """The weight-free matrices of the aggregation, row for row (TOPSIS: squared deviations from the
    group's ideal and anti-ideal; GRA: relational coefficients; weighted sum: Z itself)."""
    if aggregation == "weighted_sum":
        return [Z]
    if aggregation == "topsis":
        P = np.empty_like(Z)
        M = np.empty_like(Z)
        for g in groups:
            Zg = Z[g]
            P[g] = (Zg - Zg.max(axis=0)) ** 2
            M[g] = (Zg - Zg.min(axis=0)) ** 2
        return [P, M]
    if aggregation == "gra":
        Xi = np.empty_like(Z)
        for g in groups:
            Zg = Z[g]
            delta = np.abs(Zg.max(axis=0) - Zg)
            dmin, dmax = float(delta.min()), float(delta.max())
            Xi[g] = 1.0 if dmax == 0.0 else (dmin + rho * dmax) / (delta + rho * dmax)
        return [Xi]
    raise MethodError(f"unknown aggregation {aggregation!r}; use one of {list(_AGGREGATIONS)}")


def _mc_scores(W: np.ndarray, mats_T: list[np.ndarray], aggregation: str) -> np.ndarray:
    """Scores (draws × units) of one year for a batch of weight rows W: matrix products only.

    Weighted sum s = W Zᵀ (Fishburn 1967); TOPSIS (Hwang & Yoon 1981) D±² = (w²) · (z − z±)² so
    C = D− / (D+ + D−); GRA (Deng 1982) r = W ξᵀ.
    """
    if aggregation == "topsis":
        W2 = W * W
        dp = W2 @ mats_T[0]
        dm = W2 @ mats_T[1]
        np.sqrt(dp, out=dp)
        np.sqrt(dm, out=dm)
        dp += dm
        np.divide(dm, dp, out=dm)
        return dm
    return W @ mats_T[0]


#: Largest rank-count table (unit-years × units) a Monte Carlo result keeps (64 M cells, 512 MiB);
#: above it only the quantiles and the requested top-k shares are kept.
_MAX_COUNT_CELLS = 1 << 26


def _year_histogram(W_source: Any, draws: int, b: int, mats_T: list[np.ndarray], aggregation: str,
                    year: int) -> np.ndarray:
    """Rank-major histogram H[rank − 1, unit] of one year over all draws, in batches of b draws.

    ``W_source(start, stop)`` returns the weight rows of those draws.
    """
    n = mats_T[0].shape[1]
    H = np.zeros(n * n, dtype=np.int64)
    small = n * n <= 4 * b * n  # bincount's dense output is cheap; else scatter-add the codes
    for start in range(0, draws, b):
        stop = min(draws, start + b)
        S = _mc_scores(W_source(start, stop), mats_T, aggregation)
        mn = float(S.min())  # NaN propagates; scores of finite Z and weights cannot be +inf
        if not math.isfinite(mn):
            raise MethodError(f"Monte Carlo scores in {year} are not finite (TOPSIS closeness undefined: "
                              "every weighted indicator constant?); check the weights")
        codes = _rank_codes(S, mn).ravel()
        if small:
            H += np.bincount(codes, minlength=n * n)
        else:
            np.add.at(H, codes, 1)
    return H.reshape(n, n)


def monte_carlo_weights(
    result: IndexResult,
    draws: int = 10_000,
    concentration: float = 100.0,
    seed: int | np.random.Generator | None = 0,
    scheme: str = "dirichlet",
    top_k: Sequence[int] | int = (1, 3, 5),
    batch: int | None = None,
    *,
    level: float = 0.9,
) -> MonteCarloResult:
    """Monte Carlo weight uncertainty (权重不确定性蒙特卡洛模拟): ranks under random indicator weights.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    Each draw is a weight vector from Dirichlet(concentration × w) centred on the result's indicator
    weights ``w`` (``scheme="dirichlet"``) or uniform on the simplex (``scheme="uniform"``), drawn as
    :func:`draw_weights` does from ``default_rng(seed)``. The normalised matrix and the aggregation
    (TOPSIS ideals / GRA reference taken as in :func:`nqpf.measure.measure`) are held fixed; scores
    are recomputed and ranked within each year, the same draw serving every year. Per-cross-section
    entropy weights (``weighting="entropy"``) get their own draws per year, centred on that year's
    weights, from independent streams ``default_rng(seed).spawn(n_years)``.

    Vectorised: per year and batch of draws one matrix product (two for TOPSIS), one row sort of
    packed int64 keys and one ``bincount`` into the year's rank histogram; no loop over draws. Years
    run on parallel threads (``NQPF_NUM_THREADS``). Memory: the draws (draws × indicators), one
    units × units histogram per running year and the kept rank counts (unit-years × units, dropped
    beyond 64 M cells). ``batch`` (draws per batch; default about 256 k scores per batch) does not
    change the results. Raises MethodError for draws < 1, concentration ≤ 0, a top-k larger than
    the number of units in a year, or an unknown scheme.
    """
    draws = _check_int("draws", draws, 1)
    conc = _check_concentration(concentration)
    lv = _check_level(level)
    if scheme not in ("dirichlet", "uniform"):
        raise MethodError(f"unknown scheme {scheme!r}; use 'dirichlet' (centred on the weights) or 'uniform'")
    lay = _layout(result)
    n_year = np.array([len(r) for r in lay.rows])
    ks = (top_k,) if isinstance(top_k, (int, np.integer)) else tuple(top_k)
    for k in ks:
        _check_int("top_k", k, 1)
        if k > n_year.min():
            y = lay.year_list[int(n_year.argmin())]
            raise MethodError(f"top_k = {k} is larger than the number of units in {y} ({int(n_year.min())}); "
                              "use a smaller top_k")
    ks = tuple(int(k) for k in ks)
    if batch is not None:
        batch = _check_int("batch", batch, 1)
    s = result.settings
    aggregation = s.get("aggregation", "weighted_sum")
    rho = float(s.get("rho", 0.5))
    Z = result.normalized.to_numpy(dtype=float)
    N, m = Z.shape
    T = len(lay.year_list)
    w0, wby = _point_weights(result, lay)
    w0 = w0 / w0.sum()
    groups = _aggregation_groups(result, lay, wby is not None)
    mats = _mc_matrices(Z, groups, aggregation, rho)
    per_year_T = [[np.ascontiguousarray(A[r].T) for A in mats] for r in lay.rows]
    n_max = int(n_year.max())
    notes: list[str] = []
    if scheme == "dirichlet" and (w0 == 0).any():
        zero = [c for c, v in zip(result.normalized.columns, w0, strict=True) if v == 0]
        notes.append(f"Indicators with weight 0 stay at 0 in every Dirichlet draw: {', '.join(zero)}.")
    b = batch or max(1, min(draws, _BATCH_ELEMENTS // max(1, n_max, m)))
    wstats = np.zeros((T, 4, m))  # per year: mean, sd, q05, q95 of the draws
    if wby is None:
        W_all = _alpha_draws(generator(seed), _alpha(w0, conc, scheme), draws)
        sources = [lambda a, z: W_all[a:z]] * T
        wstats[:] = _weight_stats(W_all)
    else:
        wby = wby / wby.sum(axis=1, keepdims=True)
        streams = list(generator(seed).spawn(T))
        notes.append("Per-cross-section entropy weights: each year's draws are centred on that year's "
                     "weights (independent streams per year).")
        sources = []
        for t in range(T):
            Wt = _alpha_draws(streams[t], _alpha(wby[t], conc, scheme), draws)
            wstats[t] = _weight_stats(Wt)
            sources.append(lambda a, z, Wt=Wt: Wt[a:z])
    keep = N * n_max <= _MAX_COUNT_CELLS
    counts = np.zeros((N, n_max), dtype=np.int64) if keep else None
    med = np.empty(N)
    low = np.empty(N)
    high = np.empty(N)
    shares = {k: np.empty(N) for k in ks}
    qlo, qhi = _interval_quantiles(lv)

    def year_task(t: int) -> None:
        H = _year_histogram(sources[t], draws, b, per_year_T[t], aggregation, lay.year_list[t])
        H = H.T  # [unit, rank]
        rows = lay.rows[t]
        cum = np.cumsum(H, axis=1)
        med[rows] = _quantile_from_cum(cum, 0.5)
        low[rows] = _quantile_from_cum(cum, qlo)
        high[rows] = _quantile_from_cum(cum, qhi)
        for k in ks:
            shares[k][rows] = cum[:, k - 1] / draws
        if counts is not None:
            counts[rows, : len(rows)] = H

    workers = min(num_threads(), T)
    with one_blas_thread():
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(year_task, range(T)))
        else:
            for t in range(T):
                year_task(t)
    if not keep:
        notes.append(f"Rank counts not kept ({N} unit-years × {n_max} ranks is too large); quantiles and "
                     f"top-{list(ks)} shares are exact.")
    ws = wstats.mean(axis=0)
    wsum_tab = pd.DataFrame({"indicator": list(result.normalized.columns), "weight": w0, "draw_mean": ws[0],
                             "draw_sd": ws[1], "draw_q05": ws[2], "draw_q95": ws[3]})
    return MonteCarloResult(
        index=lay.index, score=lay.score, point_rank=lay.rank,
        median_rank=pd.Series(med, index=lay.index, name="median_rank"),
        rank_low=pd.Series(low, index=lay.index, name="rank_low"),
        rank_high=pd.Series(high, index=lay.index, name="rank_high"),
        counts=counts, n_units=n_year[np.searchsorted(lay.year_list, lay.years)], draws=draws,
        concentration=conc, scheme=scheme, seed=seed, level=lv, top_k=ks,
        weighting=str(s.get("weighting", "?")), aggregation=aggregation, weight_summary=wsum_tab,
        top_share=shares, notes=notes,
    )


def _weight_stats(W: np.ndarray) -> np.ndarray:
    """Mean, standard deviation (ddof 1), 5th and 95th percentile of each column of weight draws."""
    sd = W.std(axis=0, ddof=1) if len(W) > 1 else np.zeros(W.shape[1])
    return np.stack([W.mean(axis=0), sd, np.percentile(W, 5, axis=0), np.percentile(W, 95, axis=0)])


# =============================================================================================
# refitting a result: its indicator values as a panel, its framework without definitions
# =============================================================================================


def _plain_framework(fw: Framework, drop: str | None = None) -> Framework:
    """A copy of the framework whose indicators read their own column (no definitions), optionally
    without one indicator; AHP matrices lose that child's row and column."""
    from nqpf.frameworks.schema import ahp_matrix

    def prune(node: Any) -> Any:
        if node.indicators is not None:
            kids = list(node.indicators)
            kept = [(k, c.model_copy(update={"definition": None, "domain": "any"}))
                    for k, c in enumerate(kids) if c.id != drop]
            key = "indicators"
        else:
            kids = list(node.children)
            kept = [(k, p) for k, p in ((k, prune(c)) for k, c in enumerate(kids)) if p is not None]
            key = "children"
        if not kept:
            return None
        ahp = node.ahp
        if ahp is not None and len(kept) < len(kids):
            M = np.array(ahp_matrix(ahp, len(kids)))
            pos = [k for k, _ in kept]
            ahp = M[np.ix_(pos, pos)].tolist() if len(pos) > 1 else None
        return node.model_copy(update={key: [c for _, c in kept], "ahp": ahp})

    target = prune(fw.spec.target)
    if target is None:
        raise MethodError(f"framework '{fw.name}': no indicator left after dropping '{drop}'")
    return Framework(fw.spec.model_copy(update={"target": target}), fw.source)


def _refit_inputs(result: IndexResult, drop: str | None = None) -> tuple[Any, Framework, dict[str, Any]]:
    """A Panel of the result's indicator values, a definition-free framework and measure() options
    that reproduce the result."""
    from nqpf.core.panel import Panel

    s = result.settings
    panel = Panel(result.values.copy(), name=f"{result.framework.name} indicator values")
    kw: dict[str, Any] = {
        "normalization": s.get("normalization", "minmax"), "scope": s.get("scope", "pooled"),
        "shift": s.get("shift", 1e-4), "tree": s.get("tree", "flat"), "rho": s.get("rho", 0.5),
        "years": None, "missing": "error", "allow_inconsistent_ahp": True,
    }
    comb = s.get("combined") or {}
    kw["objective"] = comb.get("objective", "global_entropy")
    kw["combine"] = comb.get("how", "multiplicative")
    if kw["combine"] == "linear" and "alpha" in comb:
        kw["alpha"] = comb["alpha"]
    return panel, _plain_framework(result.framework, drop), kw


def _ahp_complete(fw: Framework) -> bool:
    """Whether every node with two or more children has an AHP matrix."""
    mats = fw.ahp_matrices()
    return all(len(fw.children(n.id)) < 2 or n.id in mats for n in fw.nodes)


# =============================================================================================
# method sensitivity
# =============================================================================================


def _kendall_matrix(S: np.ndarray) -> np.ndarray:
    """Kendall's τ-b between all columns of S (Kendall 1945, Biometrika 33(3), 239-251).

    τ-b = Σ sgn(Δa) sgn(Δb) / sqrt(Σ sgn(Δa)² Σ sgn(Δb)²) over pairs of rows: a cosine of sign
    vectors, so one matrix product gives every pair of columns. Large inputs fall back to scipy.
    """
    n, k = S.shape
    if n < 2:
        return np.full((k, k), np.nan)
    if n * (n - 1) // 2 * k > 4_000_000:  # the sign matrix would exceed 32 MiB
        out = np.eye(k)
        for a in range(k):
            for c in range(a + 1, k):
                out[a, c] = out[c, a] = stats.kendalltau(S[:, a], S[:, c]).statistic
        return out
    i, j = np.triu_indices(n, 1)
    sg = np.sign(S[i] - S[j])
    num = sg.T @ sg
    d = np.sqrt(np.diag(num))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / np.outer(d, d)


def _spearman_matrix(S: np.ndarray) -> np.ndarray:
    """Spearman's ρ between all columns of S: Pearson correlation of average ranks (Spearman 1904)."""
    if S.shape[0] < 2:
        return np.full((S.shape[1], S.shape[1]), np.nan)
    R = stats.rankdata(S, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(R, rowvar=False))


@dataclass
class MethodSensitivity(Result):
    """Method sensitivity (方法敏感性): rankings under every weighting × aggregation compared.

    Spearman (1904), Am. J. Psychol. 15(1), 72-101; Kendall (1945), Biometrika 33(3), 239-251 (τ-b).

    Attributes
    ----------
    methods : labels ``weighting+aggregation`` of the methods that ran, in order.
    method_table : method, weighting, aggregation.
    scores, ranks : wide tables (unit, year, one column per method).
    weights : indicator weights (rows: indicators; columns: weightings that ran; per-year entropy shows
        the mean over years).
    correlation, kendall : method × method Spearman ρ and Kendall τ-b of the scores over all
        unit-years pooled.
    pairs : long table (scope 'pooled' or 'year', year, method_a, method_b, n, spearman, kendall).
    rank_ranges : per unit-year min_rank, max_rank, spread = max − min across methods, and the
        methods that give the best and the worst rank.
    skipped : method (or weighting) -> reason it did not run. notes : what was done and why.
    """

    methods: list[str]
    method_table: pd.DataFrame
    scores: pd.DataFrame
    ranks: pd.DataFrame
    weights: pd.DataFrame
    correlation: pd.DataFrame
    kendall: pd.DataFrame
    pairs: pd.DataFrame
    rank_ranges: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def correlation_matrix(self, kind: str = "spearman", year: int | str | None = None) -> pd.DataFrame:
        """Method × method matrix of ``kind`` ('spearman' or 'kendall'): pooled (year None), one year,
        or the mean over years (year='mean')."""
        if kind not in ("spearman", "kendall"):
            raise MethodError(f"kind must be 'spearman' or 'kendall', got {kind!r}")
        if year is None:
            return (self.correlation if kind == "spearman" else self.kendall).copy()
        p = self.pairs[self.pairs["scope"] == "year"]
        if year == "mean":
            v = p.groupby(["method_a", "method_b"])[kind].mean()
        else:
            p = p[p["year"] == int(year)]
            if p.empty:
                raise DataError(f"no year {year} in the method comparison")
            v = p.set_index(["method_a", "method_b"])[kind]
        M = pd.DataFrame(np.eye(len(self.methods)), index=self.methods, columns=self.methods)
        for (a, b), val in v.items():
            M.loc[a, b] = M.loc[b, a] = val
        return M

    def unit_ranges(self) -> pd.DataFrame:
        """Per unit over all years: best and worst rank across methods, mean and max spread."""
        r = self.rank_ranges
        g = r.groupby("unit", sort=False)
        out = pd.DataFrame({"min_rank": g["min_rank"].min(), "max_rank": g["max_rank"].max(),
                            "mean_spread": g["spread"].mean(), "max_spread": g["spread"].max()})
        out["year_of_max_spread"] = r.loc[g["spread"].idxmax(), "year"].to_numpy()
        return out.reset_index()

    def to_frame(self) -> pd.DataFrame:
        """Per unit-year: each method's rank, then min_rank, max_rank and spread across methods."""
        return self.ranks.merge(self.rank_ranges[["unit", "year", "min_rank", "max_rank", "spread"]],
                                on=["unit", "year"])

    def summary(self) -> str:
        """Agreement of the methods and the units whose rank depends most on the method."""
        C = self.correlation.to_numpy()
        iu = np.triu_indices(len(self.methods), 1)
        lines = [f"Method sensitivity: {len(self.methods)} weighting × aggregation combinations "
                 f"({', '.join(self.methods)})."]
        if iu[0].size:
            flat = C[iu]
            a, b = int(np.nanargmin(flat)), int(np.nanargmax(flat))
            per_year = self.pairs[self.pairs["scope"] == "year"]
            lines.append(
                "Spearman ρ between methods over all unit-years pooled (across years only meaningful for "
                f"methods whose scores are comparable across years): min {flat[a]:.3f} "
                f"({self.methods[iu[0][a]]} vs {self.methods[iu[1][a]]}), max {flat[b]:.3f}, "
                f"mean {np.nanmean(flat):.3f}; within years mean ρ {per_year['spearman'].mean():.3f}, "
                f"mean Kendall τ-b {per_year['kendall'].mean():.3f}.")
        r = self.rank_ranges
        last = int(r["year"].max())
        top = r[r["year"] == last].sort_values("spread", ascending=False).head(5)
        lines.append(f"Rank spread across methods: median {r['spread'].median():.0f}, "
                     f"max {r['spread'].max():.0f}; in {last} largest: " + ", ".join(
                         f"{t.unit} {t.min_rank:.0f}–{t.max_rank:.0f}" for t in top.itertuples()))
        lines += self.notes
        by_reason: dict[str, list[str]] = {}
        for k, v in self.skipped.items():
            by_reason.setdefault(v, []).append(k)
        lines += [f"not run: {', '.join(ks)} ({v})" for v, ks in by_reason.items()]
        return "\n".join(lines)


def method_sensitivity(
    panel: Any,
    framework: Framework | None = None,
    weightings: Sequence[str] = DEFAULT_WEIGHTINGS,
    aggregations: Sequence[str] = DEFAULT_AGGREGATIONS,
    **measure_kwargs: Any,
) -> MethodSensitivity:
    """Method sensitivity (方法敏感性分析): measure under every weighting × aggregation, compare ranks.

    Spearman (1904), Am. J. Psychol. 15(1), 72-101; Kendall (1945), Biometrika 33(3), 239-251.

    ``panel`` and ``framework`` are passed to :func:`nqpf.measure.measure` with ``measure_kwargs``
    (normalization, scope, years, units, ...); or pass an IndexResult as ``panel`` (framework None)
    to re-measure its indicator values with its own settings. ``combined`` (and ``ahp``) run only when
    the framework has an AHP matrix at every node with two or more children; otherwise they are
    skipped and the notes say so. ``entropy`` is per-cross-section entropy: measure() allows it with
    pooled normalisation (weights per year, TOPSIS ideals / GRA reference per year) but only with a
    flat tree. A combination that measure() rejects is skipped with the reason in ``skipped``.
    """
    from nqpf.measure import measure

    if isinstance(panel, IndexResult):
        if framework is not None:
            raise MethodError("pass either an IndexResult (framework=None) or a panel and a framework")
        panel, framework, base = _refit_inputs(panel)
        measure_kwargs = {**base, **measure_kwargs}
    if framework is None:
        raise MethodError("framework is required when panel is a Panel")
    for bad in ("weighting", "aggregation"):
        if bad in measure_kwargs:
            raise MethodError(f"do not pass {bad}=; method_sensitivity varies it (use {bad}s=[...])")
    weightings = [weightings] if isinstance(weightings, str) else list(weightings)
    aggregations = [aggregations] if isinstance(aggregations, str) else list(aggregations)
    for name, vals, options in (("weightings", weightings, _WEIGHTINGS),
                                ("aggregations", aggregations, _AGGREGATIONS)):
        if not vals:
            raise MethodError(f"{name} is empty; give at least one of {list(options)}")
        unknown = [v for v in vals if v not in options]
        if unknown:
            raise MethodError(f"{name}: unknown {unknown}; use some of {list(options)}")
    notes: list[str] = []
    skipped: dict[str, str] = {}
    has_ahp = _ahp_complete(framework)
    frames = []
    wcols: dict[str, pd.Series] = {}
    table = []
    for w in dict.fromkeys(weightings):
        if w in ("combined", "ahp") and not has_ahp:
            skipped[w] = "the framework has no AHP pairwise matrix at every node with two or more children"
            continue
        if w == "entropy":
            notes.append("'entropy' = per-cross-section entropy: weights estimated within each year on the "
                         f"{measure_kwargs.get('scope', 'pooled')}-normalised matrix; TOPSIS ideals and the "
                         "GRA reference are then per year too.")
        for a in dict.fromkeys(aggregations):
            label = f"{w}+{a}"
            try:
                r = measure(panel, framework, weighting=w, aggregation=a, **measure_kwargs)
            except NqpfError as exc:
                skipped[label] = str(exc)
                continue
            frames.append(r.scores[["unit", "year", "score"]].assign(method=label))
            table.append({"method": label, "weighting": w, "aggregation": a})
            wcols.setdefault(w, r.indicator_weights)
    if not frames:
        raise MethodError("no weighting × aggregation combination could be measured: "
                          + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    methods = [t["method"] for t in table]
    long = pd.concat(frames, ignore_index=True)
    scores = long.pivot_table(index=["unit", "year"], columns="method", values="score", sort=False)
    n_all = scores.shape[0]
    scores = scores.dropna()
    if scores.shape[0] < n_all:
        notes.append(f"{n_all - scores.shape[0]} unit-year(s) are not scored by every method and are "
                     "left out.")
    scores = scores[methods].reset_index()
    scores.columns.name = None
    yrs = scores["year"].to_numpy()
    S = scores[methods].to_numpy(dtype=float)
    R = np.column_stack([_ranks_min(S[:, c], yrs) for c in range(len(methods))])
    ranks = scores[["unit", "year"]].copy()
    for c, mth in enumerate(methods):
        ranks[mth] = R[:, c].astype(int)
    rows = []
    iu = np.triu_indices(len(methods), 1)

    def add(scope: str, year: Any, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sp, kt = _spearman_matrix(block), _kendall_matrix(block)
        for a, b in zip(*iu, strict=True):
            rows.append({"scope": scope, "year": year, "method_a": methods[a], "method_b": methods[b],
                         "n": block.shape[0], "spearman": sp[a, b], "kendall": kt[a, b]})
        return sp, kt

    sp_all, kt_all = add("pooled", pd.NA, S)
    for y in sorted(set(int(v) for v in yrs)):
        add("year", y, S[yrs == y])
    pairs = pd.DataFrame(rows, columns=["scope", "year", "method_a", "method_b", "n", "spearman", "kendall"])
    pairs["year"] = pairs["year"].astype("Int64")
    mins, maxs = R.min(axis=1), R.max(axis=1)
    rr = scores[["unit", "year"]].assign(
        min_rank=mins.astype(int), max_rank=maxs.astype(int), spread=(maxs - mins).astype(int),
        best_method=[methods[i] for i in R.argmin(axis=1)],
        worst_method=[methods[i] for i in R.argmax(axis=1)])
    weights = pd.DataFrame(wcols)
    weights.index.name = "indicator"
    return MethodSensitivity(
        methods=methods, method_table=pd.DataFrame(table), scores=scores, ranks=ranks, weights=weights,
        correlation=pd.DataFrame(sp_all, index=methods, columns=methods),
        kendall=pd.DataFrame(kt_all, index=methods, columns=methods),
        pairs=pairs, rank_ranges=rr, skipped=skipped, notes=notes,
    )


# =============================================================================================
# bootstrap: the measurement re-run on a (resamples × years × units × indicators) array
# =============================================================================================


@dataclass
class _Engine:
    """measure() for a batch of balanced resamples: normalise, weight (flat or down the tree), aggregate."""

    normalization: str
    scope: str
    shift: float
    weighting: str
    aggregation: str
    tree: str
    rho: float
    positive: np.ndarray
    interval: np.ndarray
    best_low: np.ndarray
    best_high: np.ndarray
    plan: list[tuple[str, list[tuple[str, int | None]]]]  # post-order: node, [(child, column or None)]
    subjective: np.ndarray | None  # AHP global weights (ahp / combined)
    objective: str
    combine: str
    alpha: float

    @classmethod
    def from_result(cls, result: IndexResult) -> _Engine:
        fw = result.framework
        s = result.settings
        inds = fw.indicators
        col = {i: j for j, i in enumerate(fw.indicator_ids)}
        plan: list[tuple[str, list[tuple[str, int | None]]]] = []

        def visit(node_id: str) -> None:
            kids = fw.children(node_id)
            for k in kids:
                if k not in col:
                    visit(k)
            plan.append((node_id, [(k, col.get(k)) for k in kids]))

        visit(fw.target.id)
        comb = s.get("combined") or {}
        weighting = s.get("weighting", "global_entropy")
        subj = None
        if weighting in ("ahp", "combined"):
            subj = cls._ahp_global(fw, plan, len(inds))
        for key, val, options in (("normalization", s.get("normalization", "minmax"), _NORMALIZATIONS),
                                  ("weighting", weighting, _WEIGHTINGS),
                                  ("aggregation", s.get("aggregation", "weighted_sum"), _AGGREGATIONS)):
            if val not in options:
                raise MethodError(f"bootstrap: {key} {val!r} is not supported; use one of {list(options)}")
        return cls(
            normalization=s.get("normalization", "minmax"), scope=s.get("scope", "pooled"),
            shift=float(s.get("shift", 1e-4)), weighting=weighting,
            aggregation=s.get("aggregation", "weighted_sum"), tree=s.get("tree", "flat"),
            rho=float(s.get("rho", 0.5)),
            positive=np.array([i.direction != "negative" for i in inds]),
            interval=np.array([i.direction == "interval" for i in inds]),
            best_low=np.array([i.best[0] if i.best else 0.0 for i in inds], dtype=float),
            best_high=np.array([i.best[1] if i.best else 0.0 for i in inds], dtype=float),
            plan=plan, subjective=subj, objective=comb.get("objective", "global_entropy"),
            combine=comb.get("how", "multiplicative"), alpha=float(comb.get("alpha", 0.5)),
        )

    @staticmethod
    def _ahp_global(fw: Framework, plan: list, m: int) -> np.ndarray:
        """AHP global weights: principal-eigenvector local weights multiplied down the tree (Saaty 1977)."""
        mats = fw.ahp_matrices()
        local: dict[str, np.ndarray] = {}
        for node, kids in plan:
            if len(kids) == 1:
                local[node] = np.ones(1)
            else:
                local[node] = wt.ahp(np.array(mats[node]), allow_inconsistent=True)[0]
        glob = np.zeros(m)
        kids_of = dict(plan)

        def down(node: str, g: float) -> None:
            for (k, c), lw in zip(kids_of[node], local[node], strict=True):
                if c is None:
                    down(k, g * lw)
                else:
                    glob[c] = g * lw

        down(plan[-1][0], 1.0)
        return glob

    # -- normalisation ---------------------------------------------------------------------
    def normalize(self, X: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """X (b, T, n, m) -> Z; pooled bounds over (T, n) or per year over n. Flags constant columns."""
        ax = (1, 2) if self.scope == "pooled" else (2,)
        if self.normalization == "minmax":
            lo = X.min(axis=ax, keepdims=True)
            hi = X.max(axis=ax, keepdims=True)
            rng = hi - lo
            zero = ~(rng > 0)
            bad |= zero.reshape(X.shape[0], -1).any(axis=1)
            rng = np.where(zero, 1.0, rng)
            base = np.where(self.positive, lo, hi)
            Z = (X - base) / np.where(self.positive, rng, -rng)
            if self.interval.any():
                j = self.interval
                M = np.maximum(self.best_low[j] - lo[..., j], hi[..., j] - self.best_high[j])
                safe = np.where(M > 0, M, 1.0)
                dist = (np.maximum(self.best_low[j] - X[..., j], 0.0)
                        + np.maximum(X[..., j] - self.best_high[j], 0.0))
                Z[..., j] = 1.0 - dist / safe
            if self.shift != 0:
                Z += self.shift
            return Z
        if self.normalization == "zscore":
            cnt = np.prod([X.shape[a] for a in ax])
            mu = X.mean(axis=ax, keepdims=True)
            sd = np.sqrt(((X - mu) ** 2).sum(axis=ax, keepdims=True) / (cnt - 1))
            zero = ~(sd > 0)
            bad |= zero.reshape(X.shape[0], -1).any(axis=1)
            sd = np.where(zero, 1.0, sd)
            return (X - mu) / np.where(self.positive, sd, -sd)
        norm = np.sqrt((X * X).sum(axis=ax, keepdims=True))
        zero = ~(norm > 0)
        bad |= zero.reshape(X.shape[0], -1).any(axis=1)
        R = X / np.where(zero, 1.0, norm)
        neg = ~self.positive
        if neg.any():
            R[..., neg] = 1.0 - R[..., neg]
        return R

    # -- weights ---------------------------------------------------------------------------
    @staticmethod
    def objective_weights(kind: str, M: np.ndarray, Mx: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """(b, rows, k) -> (b, k) weights of one objective method; degenerate resamples flagged in bad."""
        b, n, k = M.shape
        if kind in ("global_entropy", "entropy"):
            # Zeleny (1982): p = z / Σz, e = −Σ p ln p / ln n, d = 1 − e, w = d / Σd
            S = M.sum(axis=1, keepdims=True)
            bad |= (M < 0).reshape(b, -1).any(axis=1)
            p = M / np.where(S > 0, S, 1.0)
            plogp = np.zeros_like(p)
            np.log(p, out=plogp, where=p > 0)
            plogp *= p
            d = np.maximum(1.0 + plogp.sum(axis=1) / np.log(n), 0.0)
            d[S[:, 0, :] == 0] = 0.0
        elif kind == "critic":
            # Diakoulaki et al. (1995): C_j = σ_j Σ_k (1 − r_jk), constant columns left out
            mu = M.mean(axis=1, keepdims=True)
            Xc = M - mu
            cov = np.einsum("bij,bik->bjk", Xc, Xc)
            var = np.diagonal(cov, axis1=1, axis2=2)
            sigma = np.sqrt(var / (n - 1))
            scale = np.abs(M).max(axis=1)
            const = ~(sigma > 1e-14 * np.where(scale > 0, scale, 1.0))
            sd = np.sqrt(np.where(const, 1.0, var))
            R = cov / (sd[:, :, None] * sd[:, None, :])
            R = np.where(const[:, :, None] | const[:, None, :], 1.0, R)
            idx = np.arange(k)
            R[:, idx, idx] = 1.0
            d = np.where(const, 0.0, sigma * (1.0 - R).sum(axis=2))
        elif kind == "cv":
            # Wang & Luo (2010): v_j = σ_j / mean_j on the raw values
            mu = Mx.mean(axis=1)
            bad |= ~(mu > 0).all(axis=1)
            sigma = Mx.std(axis=1, ddof=1)
            d = sigma / np.where(mu > 0, mu, 1.0)
        elif kind == "equal":
            return np.full((b, k), 1.0 / k)
        else:
            raise MethodError(f"'{kind}' is not an objective weighting method")
        tot = d.sum(axis=1, keepdims=True)
        ok = tot[:, 0] > 0
        bad |= ~ok
        return d / np.where(tot > 0, tot, 1.0)

    def tree_weights(self, kind: str, Z: np.ndarray, X: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """Global leaf weights (b, m) from local weights at every node, bottom-up (as measure())."""
        b = Z.shape[0]
        glob_local: dict[str, np.ndarray] = {}
        sub: dict[str, np.ndarray] = {}
        for node, kids in self.plan:
            M = np.stack([Z[:, :, c] if c is not None else sub[k] for k, c in kids], axis=2)
            Mx = np.stack([X[:, :, c] if c is not None else sub[k] for k, c in kids], axis=2)
            w = np.ones((b, 1)) if len(kids) == 1 else self.objective_weights(kind, M, Mx, bad)
            glob_local[node] = w
            sub[node] = np.einsum("brk,bk->br", M, w)
        out = np.empty((b, Z.shape[2]))
        kids_of = dict(self.plan)

        def down(node: str, g: np.ndarray) -> None:
            for i, (k, c) in enumerate(kids_of[node]):
                gi = g * glob_local[node][:, i]
                if c is None:
                    down(k, gi)
                else:
                    out[:, c] = gi

        down(self.plan[-1][0], np.ones(b))
        return out

    def leaf_weights(self, kind: str, Z2: np.ndarray, X2: np.ndarray, bad: np.ndarray) -> np.ndarray:
        if kind == "ahp":
            return np.broadcast_to(self.subjective, (Z2.shape[0], Z2.shape[2])).copy()  # type: ignore[arg-type]
        if kind == "combined":
            s = self.subjective
            o = self.leaf_weights(self.objective, Z2, X2, bad)
            return self._combine(s, o, bad)  # type: ignore[arg-type]
        if self.tree == "hierarchical":
            return self.tree_weights(kind, Z2, X2, bad)
        return self.objective_weights(kind, Z2, X2, bad)

    def _combine(self, s: np.ndarray, o: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """Subjective × objective combination over resamples (as nqpf.methods.weights.combined)."""
        if self.combine == "multiplicative":
            w = s * o
        elif self.combine == "linear":
            w = self.alpha * s + (1.0 - self.alpha) * o
        elif self.combine == "game":
            # Lai et al. (2015): [[s.s, s.o], [o.s, o.o]] a = [s.s, o.o], a* = |a| / Σ|a|
            ss = float(s @ s)
            so = o @ s
            oo = (o * o).sum(axis=1)
            det = ss * oo - so * so
            sing = np.abs(det) <= 1e-14 * ss * oo
            safe = np.where(sing, 1.0, det)
            a1 = np.where(sing, 0.5, (ss * oo - so * oo) / safe)
            a2 = np.where(sing, 0.5, (ss * oo - so * ss) / safe)
            tot = np.abs(a1) + np.abs(a2)
            w = (np.abs(a1) / tot)[:, None] * s + (np.abs(a2) / tot)[:, None] * o
        else:
            raise MethodError(f"bootstrap: unknown combination {self.combine!r}")
        tot = w.sum(axis=1, keepdims=True)
        bad |= ~(tot[:, 0] > 0)
        return w / np.where(tot > 0, tot, 1.0)

    def weights(self, Z: np.ndarray, X: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """(b, m) global weights, or (b, T, m) for per-cross-section entropy."""
        b, T, n, m = Z.shape
        if self.weighting == "entropy":
            bad_t = np.zeros(b * T, dtype=bool)
            W = self.objective_weights("entropy", Z.reshape(b * T, n, m), X.reshape(b * T, n, m), bad_t)
            bad |= bad_t.reshape(b, T).any(axis=1)
            return W.reshape(b, T, m)
        return self.leaf_weights(self.weighting, Z.reshape(b, T * n, m), X.reshape(b, T * n, m), bad)

    # -- aggregation -----------------------------------------------------------------------
    def scores(self, Z: np.ndarray, w: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """(b, T, n) target scores; ideals / reference per year or over the pooled resample."""
        per_year = self.scope == "per_year" or w.ndim == 3
        ax = (2,) if per_year else (1, 2)
        wb = w[:, None, None, :] if w.ndim == 2 else w[:, :, None, :]
        if self.aggregation == "weighted_sum":
            wv = w[:, None, :, None] if w.ndim == 2 else w[:, :, :, None]
            return (Z @ wv)[..., 0]
        if self.aggregation == "topsis":
            w2 = wb * wb
            dp = np.sqrt(((Z - Z.max(axis=ax, keepdims=True)) ** 2 * w2).sum(axis=3))
            dm = np.sqrt(((Z - Z.min(axis=ax, keepdims=True)) ** 2 * w2).sum(axis=3))
            tot = dp + dm
            zero = ~(tot > 0)
            bad |= zero.reshape(Z.shape[0], -1).any(axis=1)
            return dm / np.where(zero, 1.0, tot)
        delta = np.abs(Z.max(axis=ax, keepdims=True) - Z)
        dmin = delta.min(axis=(*ax, 3), keepdims=True)
        dmax = delta.max(axis=(*ax, 3), keepdims=True)
        xi = np.where(dmax > 0, (dmin + self.rho * dmax) / (delta + self.rho * dmax), 1.0)
        return (xi * wb).sum(axis=3)

    def run(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weights (b, m) [year means for per-year entropy], scores (b, T, n), degenerate flags (b,)."""
        bad = np.zeros(X.shape[0], dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            Z = self.normalize(X, bad)
            w = self.weights(Z, X, bad)
            s = self.scores(Z, w, bad)
        wm = w.mean(axis=1) if w.ndim == 3 else w
        bad |= ~np.isfinite(s).reshape(X.shape[0], -1).all(axis=1)
        return wm, s, bad


def _dagum_batch(Y: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """Dagum (1997) G, Gw, Gnb, Gt for each row of Y (b, n) with fixed group codes g (n,): (b, 4).

    Uses nqpf.analysis.disparity's batched kernel when present, else a loop over its dagum_gini().
    """
    from nqpf.analysis import disparity

    kernel = getattr(disparity, "_pair_sums", None)
    comps = getattr(disparity, "_dagum_components", None)
    if kernel is not None and comps is not None:
        P = kernel(Y, g, None, k)
        cnt = np.bincount(g, minlength=k).astype(float)
        Wj = np.broadcast_to(cnt, (Y.shape[0], k))
        Sj = np.stack([Y[:, g == j].sum(axis=1) for j in range(k)], axis=1)
        c = comps(P, Wj, Sj)
        return np.column_stack([c["Gw"] + c["Gnb"] + c["Gt"], c["Gw"], c["Gnb"], c["Gt"]])
    out = np.empty((Y.shape[0], 4))
    for i, y in enumerate(Y):
        r = disparity.dagum_gini(y, g)
        out[i] = (r.G, r.Gw, r.Gnb, r.Gt)
    return out


@dataclass
class BootstrapResult(Result):
    """Bootstrap confidence intervals (自助法置信区间) for weights, the mean index and Dagum's Gini.

    Efron (1979), Ann. Statist. 7(1), 1-26; percentile intervals as in Efron & Tibshirani (1993), An
    Introduction to the Bootstrap, ch. 13; units resampled as clusters of all their years, stratified
    by group (Davison & Hinkley 1997, Bootstrap Methods and their Application, §3.7-3.8).

    Attributes
    ----------
    weights : per indicator: estimate (the measured weight), boot_mean, se, lo, hi.
    mean_index : per year: estimate (mean score over units), boot_mean, se, lo, hi.
    dagum : per year and term (G, Gw, Gnb, Gt): estimate, boot_mean, se, lo, hi (None if not run).
    replicates : the bootstrap replicates: 'weights' (B × m), 'mean_index' (B × T), 'dagum' (B × T × 4);
        degenerate resamples (a constant column, ...) are NaN.
    B, seed, level, unit ('unit' or 'unit_year'), groups (unit -> stratum, or None), n_degenerate, notes.
    """

    weights: pd.DataFrame | None
    mean_index: pd.DataFrame | None
    dagum: pd.DataFrame | None
    replicates: dict[str, np.ndarray]
    B: int
    seed: Any
    level: float
    unit: str
    groups: dict[Hashable, Hashable] | None
    n_degenerate: int
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Long table: what (weight, mean_index, dagum), indicator, year, term, estimate, boot_mean, se,
        lo, hi."""
        parts = []
        if self.weights is not None:
            parts.append(self.weights.assign(what="weight", year=pd.NA, term=pd.NA))
        if self.mean_index is not None:
            parts.append(self.mean_index.assign(what="mean_index", indicator=pd.NA, term=pd.NA))
        if self.dagum is not None:
            parts.append(self.dagum.assign(what="dagum", indicator=pd.NA))
        cols = ["what", "indicator", "year", "term", "estimate", "boot_mean", "se", "lo", "hi"]
        if not parts:
            return pd.DataFrame(columns=cols)
        df = pd.concat([p[cols] for p in parts], ignore_index=True)
        return df.assign(year=df["year"].astype("Int64"))

    def summary(self) -> str:
        """The intervals in a few lines."""
        lv = f"{self.level:.0%}"
        how = ("units (all their years)" if self.unit == "unit"
               else "unit-years (independently within each year)")
        strat = "stratified by group" if self.groups is not None else "not stratified"
        lines = [f"Bootstrap (Efron 1979): {self.B} resamples of {how}, {strat}; normalisation and weights "
                 f"re-estimated on each; {lv} percentile intervals."]
        if self.weights is not None:
            w = self.weights.assign(width=self.weights["hi"] - self.weights["lo"])
            w = w.sort_values("width", ascending=False)
            lines.append("weights, widest intervals: " + "; ".join(
                f"{r.indicator} {r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]" for r in w.head(5).itertuples()))
        if self.mean_index is not None:
            mi = self.mean_index
            lines.append("mean index: " + "; ".join(
                f"{r.year} {r.estimate:.4f} [{r.lo:.4f}, {r.hi:.4f}]" for r in mi.iloc[[0, -1]].itertuples()))
        if self.dagum is not None:
            g = self.dagum[self.dagum["term"] == "G"]
            lines.append("Dagum G: " + "; ".join(
                f"{r.year} {r.estimate:.4f} [{r.lo:.4f}, {r.hi:.4f}]" for r in g.iloc[[0, -1]].itertuples()))
        if self.n_degenerate:
            lines.append(f"{self.n_degenerate} degenerate resample(s) left out (constant column or undefined "
                         "score).")
        lines += self.notes
        return "\n".join(lines)


def _resolve_strata(units: list[Hashable], groups: Any, notes: list[str]) -> dict[Hashable, Hashable] | None:
    if groups is False:
        return None
    if groups is None:
        from nqpf.datasets import province_regions

        regions = province_regions()
        if all(u in regions for u in units):
            return {u: regions[u] for u in units}
        notes.append("Units are not provinces and no groups were given: resampling is not stratified and the "
                     "Dagum decomposition is not bootstrapped (pass groups={unit: group}).")
        return None
    mapping = groups.to_dict() if isinstance(groups, pd.Series) else groups
    if not isinstance(mapping, Mapping):
        raise DataError(f"groups must be a dict or Series unit -> group, got {type(groups).__name__}")
    missing = [u for u in units if u not in mapping or pd.isna(mapping[u])]
    if missing:
        raise DataError(f"unit(s) without a group: {', '.join(map(str, missing[:10]))}; add them to groups")
    return {u: mapping[u] for u in units}


def _summarise(draws: np.ndarray, est: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Estimate, bootstrap mean and standard error, percentile interval (Efron & Tibshirani 1993, ch. 13)."""
    qa, qb = _interval_quantiles(level)
    with warnings.catch_warnings():  # an all-NaN column (every resample degenerate) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"estimate": est, "boot_mean": np.nanmean(draws, axis=0),
                "se": np.nanstd(draws, axis=0, ddof=1),
                "lo": np.nanquantile(draws, qa, axis=0), "hi": np.nanquantile(draws, qb, axis=0)}


def bootstrap(
    source: IndexResult | tuple[Any, Framework],
    B: int = 1000,
    seed: int | np.random.Generator | None = 0,
    level: float = 0.9,
    what: Sequence[str] = ("weights", "mean_index", "dagum"),
    unit: str = "unit",
    groups: Mapping[Hashable, Hashable] | pd.Series | bool | None = None,
    **measure_kwargs: Any,
) -> BootstrapResult:
    """Bootstrap (自助法) percentile intervals for the indicator weights, the mean index by year and
    the Dagum Gini components by year (Efron 1979, Ann. Statist. 7(1), 1-26).

    ``source`` is an IndexResult, or a (panel, framework) pair measured first with ``measure_kwargs``.
    ``unit="unit"`` resamples units with replacement, each with all its years (the panel's time
    structure is kept); ``unit="unit_year"`` resamples units independently within each year (for
    panel-wide entropy weights where unit-years are the observations). Resampling is stratified by
    ``groups`` (unit -> group; default: the four official regions when the units are provinces;
    ``False``: no strata), so every group keeps its size, as Dagum's within-group Gini needs at
    least two members per group. On every resample the whole measurement is redone with the result's
    settings — bounds of the normalisation (pooled or per year), weights at every level of the tree,
    aggregation — vectorised over resamples; its equality with measure() on the original sample is
    checked first. Needs a balanced panel. Resamples with a constant column are left out (counted).
    """
    from nqpf.analysis import disparity
    from nqpf.measure import measure

    if isinstance(source, IndexResult):
        result = source
        if measure_kwargs:
            raise MethodError(f"measure options {sorted(measure_kwargs)} apply only to a (panel, framework) "
                              "source")
    elif isinstance(source, tuple) and len(source) == 2:
        result = measure(source[0], source[1], **measure_kwargs)
    else:
        raise DataError("source must be an IndexResult or a (panel, framework) pair")
    B = _check_int("B", B, 1)
    lv = _check_level(level)
    what = [what] if isinstance(what, str) else list(what)
    unknown = [w for w in what if w not in ("weights", "mean_index", "dagum")]
    if unknown:
        raise MethodError(f"what: unknown {unknown}; use some of ['weights', 'mean_index', 'dagum']")
    if unit not in ("unit", "unit_year"):
        raise MethodError(f"unit must be 'unit' or 'unit_year', got {unit!r}")
    notes: list[str] = []
    lay = _layout(result)
    units = list(dict.fromkeys(lay.units))
    T, n, m = len(lay.year_list), len(units), result.values.shape[1]
    if n < 2:
        raise DataError("the bootstrap needs at least two units")
    full = pd.MultiIndex.from_product([lay.year_list, units])
    have = pd.MultiIndex.from_arrays([lay.years, lay.units])
    if len(have) != len(full) or not full.isin(have).all():
        miss = full[~full.isin(have)]
        y, u = miss[0] if len(miss) else (lay.year_list[0], units[0])
        raise DataError(f"the bootstrap needs a balanced panel; {u} has no row in {y} "
                        "(measure with units/years that are complete, or impute)")
    vals = result.values.copy()
    vals.index = pd.MultiIndex.from_arrays([vals.index.get_level_values("year").astype(int),
                                            vals.index.get_level_values("unit")])
    X3 = vals.reindex(full).to_numpy(dtype=float).reshape(T, n, m)
    eng = _Engine.from_result(result)
    # the engine must reproduce measure() on the original sample
    w_chk, s_chk, bad_chk = eng.run(X3[None])
    point = pd.Series(lay.score, index=have).reindex(full).to_numpy().reshape(T, n)
    w0 = result.indicator_weights.to_numpy(dtype=float)
    if bad_chk[0] or not (np.allclose(s_chk[0], point, rtol=1e-8, atol=1e-10)
                          and np.allclose(w_chk[0], w0, rtol=1e-8, atol=1e-10)):
        shown = {k: v for k, v in result.settings.items() if not isinstance(v, (dict, list))}
        raise MethodError(f"bootstrap cannot reproduce this result's measurement (settings {shown}); "
                          "please report it")
    strata = _resolve_strata(units, groups, notes)
    if strata is None:
        members = [np.arange(n)]
        labels: list[Hashable] = []
    else:
        labels = list(dict.fromkeys(strata[u] for u in units))
        members = [np.array([i for i, u in enumerate(units) if strata[u] == g]) for g in labels]
    gcode = np.concatenate([np.full(len(mb), j) for j, mb in enumerate(members)])
    do_dagum = "dagum" in what
    if do_dagum and strata is None:
        do_dagum = False
        if groups is False:
            notes.append("Dagum decomposition not bootstrapped: it needs groups (groups=False).")
    elif do_dagum:
        small = [g for g, mb in zip(labels, members, strict=True) if len(mb) < 2]
        if small or len(labels) < 2 or (point < 0).any():
            why = (f"group(s) {small} have fewer than two units" if small else
                   "only one group" if len(labels) < 2 else "some scores are negative")
            notes.append(f"Dagum decomposition not bootstrapped: {why}.")
            do_dagum = False
    if eng.normalization == "minmax" and "mean_index" in what:
        notes.append("Each resample is re-normalised with its own min–max bounds, so the index level moves "
                     "with the units that set the bounds (e.g. when the leading unit is not drawn); the "
                     "mean-index intervals can be asymmetric around the estimate.")
    rng = generator(seed)
    chunk = max(1, min(B, _BATCH_ELEMENTS // max(1, T * n * m)))
    rec_w = np.empty((B, m))
    rec_mean = np.empty((B, T))
    rec_dag = np.full((B, T, 4), np.nan) if do_dagum else np.empty((0, T, 4))
    n_bad = 0
    done = 0
    while done < B:
        b = min(chunk, B - done)
        if unit == "unit":
            idx = np.concatenate([mb[rng.integers(0, len(mb), size=(b, len(mb)))] for mb in members], axis=1)
            Xb = X3[:, idx, :].transpose(1, 0, 2, 3)  # (b, T, n, m)
        else:
            idx = np.concatenate([mb[rng.integers(0, len(mb), size=(b, T, len(mb)))] for mb in members],
                                 axis=2)
            Xb = X3[np.arange(T)[None, :, None], idx, :]
        wb, sb, bad = eng.run(np.ascontiguousarray(Xb))
        n_bad += int(bad.sum())
        wb[bad] = np.nan
        sb[bad] = np.nan
        rec_w[done:done + b] = wb
        rec_mean[done:done + b] = sb.mean(axis=2)
        if do_dagum:
            ok = ~bad
            for t in range(T):
                if ok.any():
                    rec_dag[done:done + b][ok, t] = _dagum_batch(sb[ok, t, :], gcode, len(labels))
        done += b
    if n_bad:
        notes.append(f"{n_bad} of {B} resamples were degenerate (a constant indicator or undefined score) "
                     "and are left out of the intervals.")
    ids = list(result.values.columns)
    weights = mean_index = dagum = None
    if "weights" in what:
        weights = pd.DataFrame({"indicator": ids, **_summarise(rec_w, w0, lv)})
    if "mean_index" in what:
        mean_index = pd.DataFrame({"year": lay.year_list, **_summarise(rec_mean, point.mean(axis=1), lv)})
    if do_dagum:
        est = np.empty((T, 4))
        for t in range(T):
            r = disparity.dagum_gini(point[t], [strata[u] for u in units])  # type: ignore[index]
            est[t] = (r.G, r.Gw, r.Gnb, r.Gt)
        sm = _summarise(rec_dag.reshape(B, T * 4), est.ravel(), lv)
        dagum = pd.DataFrame({"year": np.repeat(lay.year_list, 4), "term": ["G", "Gw", "Gnb", "Gt"] * T,
                              **sm})
    rep = {"weights": rec_w, "mean_index": rec_mean}
    if do_dagum:
        rep["dagum"] = rec_dag
    return BootstrapResult(weights=weights, mean_index=mean_index, dagum=dagum, replicates=rep, B=B,
                           seed=seed, level=lv, unit=unit, groups=strata, n_degenerate=n_bad, notes=notes)


_run_bootstrap = bootstrap


# =============================================================================================
# leave one indicator out
# =============================================================================================


@dataclass
class LeaveOneOutResult(Result):
    """Leave-one-indicator-out (逐一剔除指标): how ranks move when one indicator is dropped.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323 (exclusion of one indicator
    at a time as an uncertainty input).

    Attributes
    ----------
    table : long table: indicator, unit, year, score, rank, score_without, rank_without,
        delta_rank = rank_without − rank (positive: the unit falls without the indicator).
    indicators : per indicator: weight, max_abs_delta, mean_abs_delta, n_changed (unit-years whose rank
        changes), min_spearman (lowest within-year Spearman ρ between the full and the reduced index),
        top_changed_years (years whose top unit changes), decisive.
    threshold : |Δrank| at or above which an indicator is flagged decisive. An indicator is
        *decisive* when dropping it changes the top unit of some year, or moves some unit-year by at
        least ``threshold`` ranks.
    mode : 'reestimate' (weights re-estimated by the same method without the indicator) or
        'renormalise' (the remaining weights divided by their sum).
    """

    table: pd.DataFrame
    indicators: pd.DataFrame
    threshold: int
    mode: str
    notes: list[str] = field(default_factory=list)

    @property
    def decisive(self) -> list[str]:
        """The indicators that single-handedly decide a ranking (see ``threshold``)."""
        return self.indicators.loc[self.indicators["decisive"], "indicator"].tolist()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        ind = self.indicators.sort_values("max_abs_delta", ascending=False)
        how = ("weights re-estimated with the same method" if self.mode == "reestimate"
               else "remaining weights renormalised")
        lines = [f"Leave-one-indicator-out ({len(ind)} indicators; {how}); decisive = the top unit of a year "
                 f"changes or some rank moves by >= {self.threshold}.",
                 "largest moves: " + "; ".join(
                     f"{r.indicator} max |Δrank| {r.max_abs_delta:.0f}, mean {r.mean_abs_delta:.2f}"
                     for r in ind.head(5).itertuples())]
        dec = ind[ind["decisive"]]
        lines.append("decisive indicators: " + (", ".join(
            f"{r.indicator}" + (f" (top unit changes in {r.top_changed_years})" if r.top_changed_years
                                else "")
            for r in dec.itertuples()) if len(dec) else "none"))
        lines += self.notes
        return "\n".join(lines)


def leave_one_out(
    result: IndexResult,
    mode: str = "reestimate",
    threshold: int | None = None,
) -> LeaveOneOutResult:
    """Leave-one-indicator-out (逐一剔除指标法): re-score without each indicator in turn.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    ``mode="reestimate"`` (default) re-runs :func:`nqpf.measure.measure` on the result's indicator
    values without the indicator, with the same settings, so weights are re-estimated by the same
    method (AHP matrices lose that row and column); ``mode="renormalise"`` keeps the other weights and
    divides them by their sum (normalised values, TOPSIS ideals and GRA reference of the remaining
    indicators unchanged). ``threshold`` (default max(3, ⌈n_units / 5⌉): a move across a fifth of the
    field, 7 ranks for 31 provinces) is the |Δrank| that flags an indicator as decisive; the top unit
    of a year changing also flags it.
    """
    from nqpf.measure import measure

    if mode == "renormalize":
        mode = "renormalise"
    if mode not in ("reestimate", "renormalise"):
        raise MethodError(f"mode must be 'reestimate' or 'renormalise', got {mode!r}")
    lay = _layout(result)
    ids = list(result.normalized.columns)
    m = len(ids)
    if m < 2:
        raise MethodError("leave-one-out needs at least two indicators")
    n_units = max(len(r) for r in lay.rows)
    if threshold is None:
        threshold = max(3, math.ceil(n_units / 5))
    threshold = _check_int("threshold", threshold, 1)
    Z = result.normalized.to_numpy(dtype=float)
    w0, wby = _point_weights(result, lay)
    groups = _aggregation_groups(result, lay, wby is not None)
    agg_name = result.settings.get("aggregation", "weighted_sum")
    rho = float(result.settings.get("rho", 0.5))
    notes: list[str] = []

    def renormalised(j: int) -> np.ndarray:
        keep = [c for c in range(m) if c != j]
        s = np.empty(len(lay.units))
        for gi, g in enumerate(groups):
            wv = (wby[gi] if wby is not None else w0)[keep]
            tot = wv.sum()
            wv = wv / tot if tot > 0 else np.full(len(keep), 1.0 / len(keep))
            s[g] = _aggregate_rows(Z[np.ix_(g, keep)], wv, agg_name, rho)
        return s

    frames = []
    summary_rows = []
    top_point = {y: set(lay.units[r][lay.rank[r] == 1]) for y, r in zip(lay.year_list, lay.rows, strict=True)}
    for j, ind in enumerate(ids):
        if mode == "reestimate":
            try:
                panel, fw, kw = _refit_inputs(result, drop=ind)
                r = measure(panel, fw, weighting=result.settings.get("weighting", "global_entropy"),
                            aggregation=agg_name, **kw)
                sc = r.scores.set_index(["unit", "year"])["score"].reindex(lay.index).to_numpy(dtype=float)
            except NqpfError as exc:
                notes.append(f"{ind}: weights could not be re-estimated without it ({exc}); "
                             "the remaining weights were renormalised instead.")
                sc = renormalised(j)
        else:
            sc = renormalised(j)
        rk = _ranks_min(sc, lay.years)
        delta = rk - lay.rank
        frames.append(pd.DataFrame({"indicator": ind, "unit": lay.units, "year": lay.years,
                                    "score": lay.score, "rank": lay.rank.astype(int), "score_without": sc,
                                    "rank_without": rk.astype(int), "delta_rank": delta.astype(int)}))
        changed = []
        rhos = []
        for y, rows in zip(lay.year_list, lay.rows, strict=True):
            if set(lay.units[rows][rk[rows] == 1]) != top_point[y]:
                changed.append(y)
            if len(rows) > 2:
                rhos.append(stats.spearmanr(lay.score[rows], sc[rows]).statistic)
        mx = float(np.abs(delta).max())
        summary_rows.append({
            "indicator": ind, "weight": float(w0[j]), "max_abs_delta": mx,
            "mean_abs_delta": float(np.abs(delta).mean()), "n_changed": int((delta != 0).sum()),
            "min_spearman": float(np.nanmin(rhos)) if rhos else np.nan,
            "top_changed_years": changed, "decisive": bool(changed) or mx >= threshold,
        })
    return LeaveOneOutResult(table=pd.concat(frames, ignore_index=True),
                             indicators=pd.DataFrame(summary_rows), threshold=threshold, mode=mode,
                             notes=notes)


# =============================================================================================
# the bundle a study runs
# =============================================================================================


@dataclass
class UncertaintyResult(Result):
    """Robustness and uncertainty of an index (稳健性与不确定性分析), all in one.

    Attributes: ``monte_carlo`` (MonteCarloResult), ``methods`` (MethodSensitivity or None),
    ``leave_one_out`` (LeaveOneOutResult or None), ``bootstrap`` (BootstrapResult or None), ``notes``
    (parts not run and why).
    """

    monte_carlo: MonteCarloResult
    methods: MethodSensitivity | None = None
    leave_one_out: LeaveOneOutResult | None = None
    bootstrap: BootstrapResult | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Per unit-year: the Monte Carlo rank interval and, when run, the rank range across methods."""
        df = self.monte_carlo.to_frame()
        if self.methods is not None:
            rr = self.methods.rank_ranges[["unit", "year", "min_rank", "max_rank", "spread"]].rename(
                columns={"min_rank": "method_min_rank", "max_rank": "method_max_rank",
                         "spread": "method_spread"})
            df = df.merge(rr, on=["unit", "year"], how="left")
        return df

    def tables(self, prefix: str = "uncertainty") -> dict[str, pd.DataFrame]:
        """Every table, by name, for the Excel workbook and CSV output."""
        out = {f"{prefix}_ranks": self.to_frame(), f"{prefix}_mc_weights": self.monte_carlo.weight_summary}
        if self.methods is not None:
            out[f"{prefix}_method_ranks"] = self.methods.to_frame()
            out[f"{prefix}_method_correlation"] = self.methods.correlation.rename_axis("method").reset_index()
            out[f"{prefix}_method_pairs"] = self.methods.pairs
        if self.leave_one_out is not None:
            out[f"{prefix}_loo_indicators"] = self.leave_one_out.indicators.assign(
                top_changed_years=self.leave_one_out.indicators["top_changed_years"].map(
                    lambda v: ", ".join(map(str, v))))
            out[f"{prefix}_loo"] = self.leave_one_out.to_frame()
        if self.bootstrap is not None:
            out[f"{prefix}_bootstrap"] = self.bootstrap.to_frame()
        return out

    def summary(self) -> str:
        parts = [self.monte_carlo.summary()]
        for p in (self.methods, self.leave_one_out, self.bootstrap):
            if p is not None:
                parts.append(p.summary())
        parts += self.notes
        return "\n\n".join(parts)


def uncertainty_analysis(
    result: IndexResult,
    panel: Any = None,
    draws: int = 1000,
    concentration: float = 100.0,
    bootstrap: int = 200,
    seed: int | None = 0,
    *,
    top_k: Sequence[int] = (1, 3, 5),
    methods: bool = True,
    loo: bool = True,
    groups: Mapping[Hashable, Hashable] | pd.Series | bool | None = None,
) -> UncertaintyResult:
    """Robustness and uncertainty (稳健性与不确定性分析): Monte Carlo weights, method sensitivity,
    leave-one-indicator-out and (``bootstrap`` > 0) a bootstrap, in one call.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    ``panel`` (optional) is the raw panel the result was measured on: method sensitivity then
    re-measures from it (same units, years and missing-value policy); without it, from the result's
    indicator values (identical numbers). The bootstrap needs only the result (its indicator values)
    and runs whenever ``bootstrap`` > 0. Parts that cannot run on this result (e.g. a bootstrap on
    an unbalanced panel) are skipped with the reason in ``notes``. Top-k values larger than the
    smallest year are dropped.
    """
    notes: list[str] = []
    lay = _layout(result)
    n_min = min(len(r) for r in lay.rows)
    ks = tuple(k for k in top_k if k <= n_min)
    mc = monte_carlo_weights(result, draws=draws, concentration=concentration, seed=seed, top_k=ks)
    ms = lo = bs = None
    if methods:
        try:
            if panel is not None:
                s = result.settings
                _, _, kw = _refit_inputs(result)
                kw.update(years=result.years, units=result.units, missing=s.get("missing", "interpolate"))
                ms = method_sensitivity(panel, result.framework, **kw)
            else:
                ms = method_sensitivity(result)
        except NqpfError as exc:
            notes.append(f"method sensitivity not run: {exc}")
    if loo:
        try:
            lo = leave_one_out(result)
        except NqpfError as exc:
            notes.append(f"leave-one-out not run: {exc}")
    if bootstrap:
        try:
            bs = _run_bootstrap(result, B=bootstrap, seed=seed, groups=groups)
        except NqpfError as exc:
            notes.append(f"bootstrap not run: {exc}")
    return UncertaintyResult(monte_carlo=mc, methods=ms, leave_one_out=lo, bootstrap=bs, notes=notes)


# ---------------------------------------------------------------------------------------------
# study file: [analyses.uncertainty]
# ---------------------------------------------------------------------------------------------
class UncertaintyOptions(Options):
    """``[analyses.uncertainty]``: the index, Monte Carlo draws and concentration, bootstrap replications,
    seed, and whether to run method sensitivity and leave-one-out."""

    index: str | None = None
    draws: int = 1000
    concentration: float = 100.0
    bootstrap: int = 200
    seed: int = 0
    methods: bool = True
    leave_one_out: bool = True


@register_analysis("uncertainty", options=UncertaintyOptions, result=UncertaintyResult, section="robustness",
                   order=10, label=("权重不确定性与稳健性", "Uncertainty and robustness"), refs=("saisana2005",),
                   tables=lambda res, used: res.tables(f"uncertainty_{used[0]}"))
def _study_uncertainty(ctx: StudyContext, opts: UncertaintyOptions) -> UncertaintyResult:
    _, res = ctx.index(opts.index)
    return uncertainty_analysis(res, ctx.panel, draws=opts.draws, concentration=opts.concentration,
                                bootstrap=opts.bootstrap, seed=opts.seed, methods=opts.methods,
                                loo=opts.leave_one_out)
