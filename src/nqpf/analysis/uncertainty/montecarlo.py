"""Monte Carlo weight uncertainty (权重不确定性蒙特卡洛模拟): ranks under random indicator weights.

Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323. Scores for a batch of weight draws
are the aggregation's own score function on its weight-free parts (:class:`nqpf.methods.aggregate.Aggregator`):
one matrix product per year and batch (TOPSIS: ``D±² = (w²)·(z − z±)²``; GRA: relational coefficients
``@ w``); ranks come from one sort per (draw, year) row of packed integer keys and are accumulated as a rank
histogram per unit-year, so memory does not grow with the number of draws.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.analysis.uncertainty.common import (
    _BATCH_ELEMENTS,
    aggregation_groups,
    check_concentration,
    check_int,
    check_level,
    interval_quantiles,
    layout_of,
    point_weights,
    quantile_from_cum,
    quantile_from_sorted,
    rank_codes,
)
from nqpf.core.errors import DataError, MethodError
from nqpf.core.i18n import join, num, t
from nqpf.core.interface import Result
from nqpf.core.rng import generator
from nqpf.core.threads import num_threads, one_blas_thread
from nqpf.core.units import unit_name
from nqpf.methods.aggregate import Aggregator
from nqpf.methods.registry import AGGREGATIONS
from nqpf.result import IndexResult
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["MonteCarloResult", "draw_weights", "monte_carlo_weights"]


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

    Examples
    --------
    >>> W = draw_weights([0.5, 0.3, 0.2], 1000, concentration=100, seed=0)
    >>> W.shape, bool(abs(W.mean(axis=0)[0] - 0.5) < 0.01)
    ((1000, 3), True)
    """
    draws = check_int("draws", draws, 1)
    conc = check_concentration(concentration)
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
        k = check_int("k", k, 1)
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

    #: how many units the summary lists for the latest year
    top: int = 5

    def _summary_lines(self, lang: str) -> list[str]:
        """How wide the rank intervals are, whether point ranks fall inside them, the latest year's top."""
        top = self.top
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
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """The widest and narrowest rank intervals of the latest year."""
        df = self.to_frame()
        last = df[df["year"] == int(df["year"].max())]
        width = (last["rank_high"] - last["rank_low"]).astype(float)
        wide = last.loc[width.sort_values(ascending=False).index[:3]]
        stable = int((width == 0).sum())
        if lang == "zh":
            return [f"排名区间平均宽度 {num(width.mean(), 1)} 位；区间最宽的是" + "、".join(
                f"{unit_name(r.unit, lang)}（{r.rank_low:g}–{r.rank_high:g}）" for r in wide.itertuples())
                + f"；{stable} 个单元排名完全不变。"]
        return [f"Rank intervals are {num(width.mean(), 1)} places wide on average; the widest are " + join(
            [f"{unit_name(r.unit, lang)} ({r.rank_low:g}–{r.rank_high:g})" for r in wide.itertuples()], lang)
            + f"; {stable} units keep exactly the same rank."]

    def figures(self, lang: str = "en") -> list[Any]:
        """Rank intervals of the latest year: median rank and interval per unit, sorted (caterpillar plot)."""
        import plotly.graph_objects as go

        df = self.to_frame()
        year = int(df["year"].max())
        df = df[df["year"] == year].sort_values(["median_rank", "point_rank"])
        names = [unit_name(u, lang) for u in df["unit"]]
        fig = go.Figure()
        fig.add_trace(go.Scatter(
            x=df["median_rank"], y=names, mode="markers", name=t("median_rank", lang),
            marker={"color": OKABE_ITO[4], "size": 8},
            error_x={"type": "data", "symmetric": False, "array": df["rank_high"] - df["median_rank"],
                     "arrayminus": df["median_rank"] - df["rank_low"], "thickness": 1.5, "width": 0,
                     "color": OKABE_ITO[4]},
            customdata=np.column_stack([df["rank_low"], df["rank_high"], df["point_rank"]]),
            hovertemplate="%{y}: %{x:.0f} [%{customdata[0]:.0f}–%{customdata[1]:.0f}], "
                          + t("rank", lang) + " %{customdata[2]:.0f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=df["point_rank"], y=names, mode="markers", name=t("point_rank", lang),
                                 marker={"symbol": "x", "color": OKABE_ITO[5], "size": 7}))
        fig.update_layout(height=min(3800, max(420, 18 * len(df) + 120)), xaxis={"title": t("rank_interval", lang)},
                          yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.08},
                          margin={"l": 100, "r": 20, "t": 20, "b": 60})
        return [fig]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Rank intervals of the latest year as horizontal bars around the median rank."""
        df = self.to_frame()
        df = df[df["year"] == int(df["year"].max())].sort_values(["median_rank", "point_rank"])
        fig, ax = figure_axes(ax, (5.2, max(2.5, 0.16 * len(df) + 0.8)))
        y = np.arange(len(df))
        ax.hlines(y, df["rank_low"], df["rank_high"], color=OKABE_ITO[4], linewidth=1.5)
        ax.plot(df["median_rank"], y, "o", color=OKABE_ITO[4], markersize=3, label=t("median_rank", lang))
        ax.plot(df["point_rank"], y, "x", color=OKABE_ITO[5], markersize=3, label=t("point_rank", lang))
        if len(df) <= _MAX_TICK_LABELS:
            ax.set_yticks(y, [unit_name(u, lang) for u in df["unit"]])
        else:  # one label per unit is unreadable and the slowest part of drawing (26 s for 4,474 firms)
            ax.set_yticks([])
            ax.set_ylabel(f"{len(df):,} 个单元(按中位排名排列)" if lang == "zh"
                          else f"{len(df):,} units (by median rank)")
        ax.invert_yaxis()
        ax.set_xlabel(t("rank_interval", lang))
        ax.legend(loc="lower right")
        return fig


#: Most units whose names label the rank-interval plot's axis (as the report's large-run views)
_MAX_TICK_LABELS = 60

#: Largest rank-count table (unit-years × units) a Monte Carlo result keeps (64 M cells, 512 MiB);
#: above it only the quantiles and the requested top-k shares are kept.
_MAX_COUNT_CELLS = 1 << 26


def _year_histogram(W_source: Any, draws: int, b: int, parts: list[np.ndarray], agg: Aggregator,
                    year: int) -> np.ndarray:
    """Rank-major histogram H[rank − 1, unit] of one year over all draws, in batches of b draws.

    ``W_source(start, stop)`` returns the weight rows of those draws.
    """
    n = parts[0].shape[0]
    H = np.zeros(n * n, dtype=np.int64)
    small = n * n <= 4 * b * n  # bincount's dense output is cheap; else scatter-add the codes
    for start in range(0, draws, b):
        stop = min(draws, start + b)
        S, _ = agg.scores(parts, W_source(start, stop))
        mn = float(S.min())  # NaN propagates; scores of finite Z and weights cannot be +inf
        if not math.isfinite(mn):
            raise MethodError(f"Monte Carlo scores in {year} are not finite (TOPSIS closeness undefined: "
                              "every weighted indicator constant?); check the weights")
        codes = rank_codes(S, mn).ravel()
        if small:
            H += np.bincount(codes, minlength=n * n)
        else:
            np.add.at(H, codes, 1)
    return H.reshape(n, n)


def _year_ranks(W_source: Any, draws: int, b: int, parts: list[np.ndarray], agg: Aggregator,
                year: int) -> np.ndarray:
    """The ranks R[unit, draw] (1 = best, ties share the best rank) of one year, each unit's row sorted
    ascending: the same ranks :func:`_year_histogram` counts, kept as draws × units integers instead of a
    units × units histogram (smaller when there are fewer draws than units)."""
    n = parts[0].shape[0]
    R = np.empty((draws, n), dtype=np.int32)
    for start in range(0, draws, b):
        stop = min(draws, start + b)
        S, _ = agg.scores(parts, W_source(start, stop))
        mn = float(S.min())
        if not math.isfinite(mn):
            raise MethodError(f"Monte Carlo scores in {year} are not finite (TOPSIS closeness undefined: "
                              "every weighted indicator constant?); check the weights")
        codes = rank_codes(S, mn)
        rank0, unit = np.divmod(codes, n)
        np.put_along_axis(R[start:stop], unit, (rank0 + 1).astype(np.int32), axis=1)
    out = np.ascontiguousarray(R.T)
    out.sort(axis=1)
    return out


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

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> mc = monte_carlo_weights(res, draws=200, seed=0)
    >>> int(mc.to_frame().query("year == 2023").sort_values("median_rank").iloc[0]["point_rank"])
    1
    """
    draws = check_int("draws", draws, 1)
    conc = check_concentration(concentration)
    lv = check_level(level)
    if scheme not in ("dirichlet", "uniform"):
        raise MethodError(f"unknown scheme {scheme!r}; use 'dirichlet' (centred on the weights) or 'uniform'")
    lay = layout_of(result)
    n_year = np.array([len(r) for r in lay.rows])
    ks = (top_k,) if isinstance(top_k, (int, np.integer)) else tuple(top_k)
    for k in ks:
        check_int("top_k", k, 1)
        if k > n_year.min():
            y = lay.year_list[int(n_year.argmin())]
            raise MethodError(f"top_k = {k} is larger than the number of units in {y} ({int(n_year.min())}); "
                              "use a smaller top_k")
    ks = tuple(int(k) for k in ks)
    if batch is not None:
        batch = check_int("batch", batch, 1)
    so = result.settings_object()
    aggregation, rho = so.aggregation, so.rho
    fit = result.fitted()
    Z = fit.Z
    N, m = Z.shape
    T = len(lay.year_list)
    w0, wby = point_weights(result, lay)
    w0 = w0 / w0.sum()
    # the weight-free parts of the aggregation, with the fit's reference points, per aggregation group (as
    # measure() scores); then each year's rows of them
    agg = AGGREGATIONS[aggregation].engine
    target = result.framework.target.id
    parts_all: list[np.ndarray] = []
    groups = aggregation_groups(result, wby is not None)
    for g, ref in zip(groups, fit.refs[target], strict=True):
        for k, P in enumerate(agg.parts(Z[g], ref, rho)):
            if len(parts_all) <= k:
                parts_all.append(np.empty_like(Z))
            parts_all[k][g] = P
    per_year = [[np.ascontiguousarray(P[r]) for P in parts_all] for r in lay.rows]
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
    qlo, qhi = interval_quantiles(lv)

    def ranks_task(t: int) -> None:
        R = _year_ranks(sources[t], draws, b, per_year[t], agg, lay.year_list[t])
        rows = lay.rows[t]
        med[rows] = quantile_from_sorted(R, 0.5)
        low[rows] = quantile_from_sorted(R, qlo)
        high[rows] = quantile_from_sorted(R, qhi)
        for k in ks:
            shares[k][rows] = (R <= k).sum(axis=1) / draws

    def year_task(t: int) -> None:
        if counts is None and draws < len(lay.rows[t]):
            ranks_task(t)  # ranks per draw: draws × n integers instead of an n × n histogram
            return
        H = _year_histogram(sources[t], draws, b, per_year[t], agg, lay.year_list[t])
        H = H.T  # [unit, rank]
        rows = lay.rows[t]
        cum = np.cumsum(H, axis=1)
        med[rows] = quantile_from_cum(cum, 0.5)
        low[rows] = quantile_from_cum(cum, qlo)
        high[rows] = quantile_from_cum(cum, qhi)
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
        weighting=so.weighting, aggregation=aggregation, weight_summary=wsum_tab,
        top_share=shares, notes=notes,
    )


def _weight_stats(W: np.ndarray) -> np.ndarray:
    """Mean, standard deviation (ddof 1), 5th and 95th percentile of each column of weight draws."""
    sd = W.std(axis=0, ddof=1) if len(W) > 1 else np.zeros(W.shape[1])
    return np.stack([W.mean(axis=0), sd, np.percentile(W, 5, axis=0), np.percentile(W, 95, axis=0)])
