"""Spatial autocorrelation of index scores: global Moran's I (全局莫兰指数) and LISA (局部莫兰指数).

Global Moran's I is computed by PySAL's ``esda.Moran``; local Moran's I (LISA) by :func:`local_moran`, an
exact numpy re-implementation of ``esda.Moran_Local`` with its conditional permutations (the same draws
from the same seed, so ``Is``, ``q``, ``p_sim`` and the cluster labels equal esda's bit for bit) that needs
no numba compilation in a new process. The weights come from :mod:`nqpf.geo.weights`; this module wires
panel data onto them: unit order of the data to ``w.id_order``, one cross-section per year, the weights'
own transformation (row standardisation by default), reproducible permutation seeds.

References
----------
- Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37(1/2), 17–23.
- Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion (moments of I).
- Anselin, L. (1995). Local indicators of spatial association—LISA. *Geographical Analysis* 27(2), 93–115.
- Rey, S. J. & Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
  *The Review of Regional Studies* 37(1), 5–27.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats as sstats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Heading, Text
from nqpf.core.errors import DataError
from nqpf.core.i18n import join, num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.stars import stars
from nqpf.core.units import kind_words, unit_name
from nqpf.geo.weights import match_ids, spatial_weights, weights_label
from nqpf.viz.maps import category_codes, choropleth_figure, discrete_colorscale, map_kind
from nqpf.viz.style import LISA_COLORS, LISA_ORDER, OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from libpysal.weights import W
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from nqpf.result import IndexResult

__all__ = [
    "LisaResult",
    "LocalMoran",
    "MoranResult",
    "lisa",
    "local_moran",
    "moran",
]

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda.Moran_Local.q with geoda_quads=False
QUADRANTS_ZH = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低"}
NOT_SIGNIFICANT = "not significant"
NOT_SIGNIFICANT_ZH = "不显著"


# ==============================================================================================
# panel data onto the weights
# ==============================================================================================
def _long_frame(result_or_frame: IndexResult | pd.DataFrame, column: str) -> pd.DataFrame:
    scores = getattr(result_or_frame, "scores", None)
    if isinstance(scores, pd.DataFrame):
        df = scores
        what = "IndexResult.scores"
    elif isinstance(result_or_frame, pd.DataFrame):
        df = result_or_frame
        what = "the data frame"
        if ("unit" not in df.columns or "year" not in df.columns) and {"unit", "year"} <= set(df.index.names):
            df = df.reset_index()
    else:
        raise DataError("pass an IndexResult or a DataFrame with columns unit, year and the value column")
    missing = [c for c in ("unit", "year", column) if c not in df.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{what}: {column!r} is not numeric for {df['unit'].iat[k]} {df['year'].iat[k]} "
                        f"({df[column].iat[k]!r})")
    out = pd.DataFrame({"unit": df["unit"].astype(str).to_numpy(), "year": df["year"].to_numpy(),
                        "value": values.to_numpy(dtype=float)})
    try:
        out = out.assign(year=out["year"].astype(int))
    except (TypeError, ValueError):
        raise DataError(f"{what}: column 'year' must hold integer years") from None
    dup = out[out.duplicated(["unit", "year"], keep=False)]
    if not dup.empty:
        u, y = dup.iloc[0]["unit"], dup.iloc[0]["year"]
        raise DataError(f"{what}: {len(dup)} duplicated unit-year rows, e.g. {u} {y}")
    return out


def _panel_matrix(
    data: pd.DataFrame, w: W, years: Sequence[int] | None, column: str
) -> tuple[np.ndarray, list[int], list[str]]:
    """Values as an (n_units, n_years) array with rows in ``w.id_order``; the data's unit names per row."""
    data_units = list(dict.fromkeys(data["unit"]))
    ids = [str(i) for i in w.id_order]
    hit = match_ids(data_units, ids, "the spatial weights")
    to_w = dict(zip(data_units, hit, strict=True))
    lacking = [i for i in ids if i not in set(hit)]
    if lacking:
        raise DataError(
            f"the spatial weights have {len(lacking)} unit(s) with no {column!r} data: {', '.join(lacking)}; "
            "build the weights for the data's units: spatial_weights(<units of the data>)"
        )
    all_years = sorted(set(data["year"]))
    if years is None:
        use_years = all_years
    else:
        use_years = [int(y) for y in years]
        bad = [y for y in use_years if y not in set(all_years)]
        if bad:
            raise DataError(f"year(s) {bad} not in the data; available: {all_years[0]}–{all_years[-1]}")
    wide = (data.assign(unit=data["unit"].map(to_w))
            .pivot(index="unit", columns="year", values="value")
            .reindex(index=ids, columns=use_years))
    arr = wide.to_numpy(dtype=float)
    if np.isnan(arr).any():
        r, c = np.argwhere(np.isnan(arr))[0]
        n_bad = int(np.isnan(arr).sum())
        back = {v: k for k, v in to_w.items()}
        raise DataError(
            f"{column!r} is missing for {back[ids[r]]} in {use_years[c]} ({n_bad} unit-year(s) in all); "
            "Moran's I needs every unit of the weights in every year: impute, or drop the year/unit"
        )
    for c, y in enumerate(use_years):
        if np.ptp(arr[:, c]) == 0:
            raise DataError(f"{column!r} is the same for every unit in {y}; spatial autocorrelation is undefined")
    back = {v: k for k, v in to_w.items()}
    return arr, use_years, [back[i] for i in ids]


class _seeded:
    """Seed NumPy's global generator (used by esda.Moran's permutations) and restore it afterwards."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.state = np.random.get_state()  # noqa: NPY002 - esda.Moran draws from the legacy global RNG
        if self.seed is not None:
            np.random.seed(self.seed)  # noqa: NPY002

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.state)  # noqa: NPY002


# ==============================================================================================
# local Moran's I: the conditional-permutation kernel
# ==============================================================================================
@dataclass
class LocalMoran:
    """Local Moran's I of one cross-section (局部莫兰指数), with esda's attribute names (Anselin 1995).

    Attributes (arrays of length n in ``w.id_order``)
    ----------
    y, z : the values and their standardisation (population sd, as esda).
    Is : local I_i = (n − 1) z_i (Wz)_i / Σ z².    q : quadrant 1 HH, 2 LH, 3 LL, 4 HL.
    p_sim : pseudo p-value of the conditional permutations (esda's folded, "directed" rule).
    EI_sim, seI_sim, z_sim, p_z_sim : mean and sd of the permutation distribution, z and its normal p.
    rlisas : (n, permutations) simulated local I.    seed : the seed the permutations were drawn from.
    """

    y: np.ndarray
    z: np.ndarray
    Is: np.ndarray
    q: np.ndarray
    permutations: int
    seed: int | None
    p_sim: np.ndarray
    EI_sim: np.ndarray
    seI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    rlisas: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.y)


@lru_cache(maxsize=4)
def _permuted_ids(n: int, max_card: int, permutations: int, seed: int) -> np.ndarray:
    """esda's ``vec_permutations``: row k = the first ``max_card`` of a permutation of 0..n−2.

    esda draws them in numba from ``np.random.seed(seed)`` with ``np.random.choice(n − 1, max_card,
    replace=False)``, which numba implements as the first entries of ``np.random.permutation(n − 1)``
    — the same Mersenne-Twister stream and Fisher–Yates shuffle as NumPy's legacy ``RandomState``.
    """
    rs = np.random.RandomState(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        out[k] = rs.permutation(n - 1)[:max_card]
    out.flags.writeable = False  # cached: every year of a panel with the same seed uses the same draws
    return out


def local_moran(y: Any, w: W, permutations: int = 999, seed: int | None = None) -> LocalMoran:
    """Local Moran's I (局部莫兰指数, LISA) with conditional permutation inference, as ``esda.Moran_Local``.

    Anselin, L. (1995), Local indicators of spatial association — LISA, Geographical Analysis 27(2):93-115;
    permutation scheme of esda (Rey & Anselin 2007, PySAL).

    The same numbers as ``esda.Moran_Local(y, w, transformation=w.transform, permutations=permutations,
    seed=seed)`` (``Is``, ``q``, ``p_sim`` bit for bit, ``z_sim`` to rounding), without numba: esda's
    draws are reproduced from NumPy's legacy generator (:func:`_permuted_ids`), and each unit's simulated
    statistics are one small matrix–vector product. Time and memory are O(permutations × Σ_i k_i) plus
    O(permutations × n) for the draws.

    Parameters
    ----------
    y : (n,) values in the order of ``w.id_order``.
    w : a libpysal W; its own transformation is used (row-standardised by default).
    permutations : number of conditional permutations (0: none, the p-values are NaN).
    seed : seed of the permutations (None: drawn from NumPy's global generator, as esda does).

    Returns
    -------
    LocalMoran : Is, q, z, p_sim, z_sim, p_z_sim (n,), rlisas (n, permutations).

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(3, 3)
    >>> w.transform = "r"
    >>> lm = local_moran(np.arange(9.0), w, permutations=99, seed=1)
    >>> np.round(lm.Is[:3], 4)
    array([1.0667, 0.8   , 0.2667])
    >>> lm.q[:3]
    array([3, 3, 3])
    """
    y = np.asarray(y, dtype=float).flatten()
    n = len(y)
    if n < 3:
        raise DataError(f"local Moran's I needs at least 3 units, got {n}")
    z = y - y.mean()
    with np.errstate(all="ignore"):
        z /= y.std()
    from libpysal.weights import lag_spatial

    zl = lag_spatial(w, z)
    Is = (n - 1) * z * zl / (z * z).sum()
    # quadrants exactly as esda (geoda_quads=False): 1 HH, 2 LH, 3 LL, 4 HL
    zp, lp = z > 0, zl > 0
    q = 1 * (zp * lp) + 2 * ((1 - zp) * lp) + 3 * ((1 - zp) * (1 - lp)) + 4 * (zp * (1 - lp))
    if not permutations:
        nan = np.full(n, np.nan)
        return LocalMoran(y=y, z=z, Is=Is, q=q, permutations=0, seed=seed, p_sim=nan, EI_sim=nan, seI_sim=nan,
                          z_sim=nan, p_z_sim=nan)
    if seed is None:
        seed = int(np.random.randint(12345, 12345000))  # noqa: NPY002 - esda's default seed draw
    # esda.crand: shuffle only the other sites; the self-weight (if any) stays with site i
    adj = w.sparse.tocsr(copy=True)
    self_w = adj.diagonal()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj.setdiag(0)
        adj.eliminate_zeros()
    other_w = adj.data.astype(z.dtype)
    card = np.diff(adj.indptr)
    ids = _permuted_ids(n, max(int(card.max()), 1), int(permutations), int(seed))
    scaling = (n - 1) / (z * z).sum()
    rlisas = np.empty((n, int(permutations)))
    for i in range(n):
        c = int(card[i])
        if c == 0:  # an island: one "fake" neighbour of weight 0 (esda's island_weight), so I_i = 0
            wi, sw = np.zeros(1), 0.0
            c = 1
        else:
            wi, sw = other_w[adj.indptr[i]:adj.indptr[i + 1]], float(self_w[i])
        pick = ids[:, :c]
        zrand = z[pick + (pick >= i)]  # the others' z: index k skips site i
        # (z_i · scaling) · (Σ_j w_ij z_rand_j + w_ii z_i): the operation order of esda's compiled kernel,
        # so ties (a draw of exactly the real neighbours) round the same way
        rlisas[i] = (z[i] * scaling) * (zrand @ wi + sw * z[i])
    sim = rlisas.T
    larger = (sim >= Is).sum(0)
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    p_sim = (larger + 1.0) / (permutations + 1.0)
    EI_sim = sim.mean(axis=0)
    seI_sim = sim.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (Is - EI_sim) / seI_sim
    return LocalMoran(y=y, z=z, Is=Is, q=q, permutations=int(permutations), seed=seed, p_sim=p_sim, EI_sim=EI_sim,
                      seI_sim=seI_sim, z_sim=z_sim, p_z_sim=sstats.norm.sf(np.abs(z_sim)), rlisas=rlisas)


# ==============================================================================================
# global Moran's I
# ==============================================================================================
@dataclass
class MoranResult(Result):
    """Global Moran's I (全局莫兰指数) per year; Moran (1950, Biometrika 37), moments Cliff & Ord (1981).

    Attributes (arrays aligned with ``years``)
    ----------
    I : Moran's I.    EI : its expectation −1/(n−1) under the null.
    VI_norm, z_norm, p_norm : variance, z-value and two-sided p-value under normality.
    p_sim : pseudo p-value from ``permutations`` random permutations (one-sided, folded; esda).
    EI_sim, z_sim, p_z_sim : mean of the permutation distribution, z and p based on it.
    n : units; column : the variable; weights : a description of W; stats : the esda.Moran objects.
    """

    label = ("全局莫兰指数", "Global Moran's I")

    years: list[int]
    I: np.ndarray
    EI: np.ndarray
    VI_norm: np.ndarray
    z_norm: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray
    EI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    n: int
    column: str
    permutations: int
    seed: int | None
    weights: str
    units: list[str] = field(default_factory=list)
    stats: dict[int, Any] = field(default_factory=dict, repr=False)
    #: the description of W in Chinese (``weights`` is the English one)
    weights_zh: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per year: I, EI, VI_norm, z_norm, p_norm, p_sim, EI_sim, z_sim, p_z_sim, n."""
        return pd.DataFrame({
            "year": self.years, "I": self.I, "EI": self.EI, "VI_norm": self.VI_norm, "z_norm": self.z_norm,
            "p_norm": self.p_norm, "p_sim": self.p_sim, "EI_sim": self.EI_sim, "z_sim": self.z_sim,
            "p_z_sim": self.p_z_sim, "n": self.n,
        })

    def _summary_lines(self, lang: str) -> list[str]:
        """A text table of Moran's I by year with significance stars (p_norm; * 10%, ** 5%, *** 1%)."""
        if lang == "zh":
            lines = [f"{self.column!r} 的全局莫兰指数（Global Moran's I）",
                     f"空间权重：{self.weights_zh or self.weights}；置换次数：{self.permutations}（种子 {self.seed}）",
                     f"{'年份':>4} {'I':>9} {'E[I]':>9} {'z':>8} {'p_norm':>8} {'p_sim':>8}"]
        else:
            lines = [f"Global Moran's I (全局莫兰指数) of {self.column!r}",
                     f"weights: {self.weights}; permutations: {self.permutations} (seed {self.seed})",
                     f"{'year':>6} {'I':>9} {'E[I]':>9} {'z':>8} {'p_norm':>8} {'p_sim':>8}"]
        for k, y in enumerate(self.years):
            p = self.p_norm[k]
            ps = f"{self.p_sim[k]:8.4f}" if self.permutations else f"{'–':>8}"
            lines.append(f"{y:>6} {self.I[k]:9.4f} {self.EI[k]:9.4f} {self.z_norm[k]:8.3f} {p:8.4f} {ps} {stars(p)}")
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """Moran's I from the first to the last year, its range, and in how many years it is significant."""
        I = np.asarray(self.I, dtype=float)
        p = np.asarray(self.p_norm, dtype=float)
        years = list(self.years)
        nsig = int((p < 0.05).sum())
        if lang == "zh":
            return [f"全局莫兰指数由 {years[0]} 年的 {num(I[0])} 变为 {years[-1]} 年的 {num(I[-1])}"
                    f"(范围 {num(I.min())}–{num(I.max())});{len(years)} 年中有 {nsig} 年在 5% 水平显著"
                    f"{'为正,存在空间正相关(集聚)' if np.mean(I) > 0 else ''}。"]
        return [f"Global Moran's I went from {num(I[0])} in {years[0]} to {num(I[-1])} in {years[-1]} "
                f"(range {num(I.min())}–{num(I.max())}); it is significant at 5% in {nsig} of {len(years)} years"
                + (", i.e. positive spatial autocorrelation (clustering)." if np.mean(I) > 0 and nsig else ".")]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Moran's I by year (filled markers where p_norm < 0.05) with its expectation E[I] dotted."""
        fig, ax = figure_axes(ax, (4.8, 3.0))
        I = np.asarray(self.I, dtype=float)
        sig = np.asarray(self.p_norm, dtype=float) < 0.05
        years = np.asarray(self.years)
        ax.plot(years, I, color=OKABE_ITO[4], lw=1.4)
        ax.scatter(years[sig], I[sig], color=OKABE_ITO[4], s=22, zorder=3, label="p < 0.05")
        ax.scatter(years[~sig], I[~sig], facecolor="white", edgecolor=OKABE_ITO[4], s=22, zorder=3,
                   label="p ≥ 0.05")
        ax.axhline(float(np.mean(self.EI)), color="#888888", ls=":", lw=1, label="E[I]")
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(t("moran", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="best")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """Global Moran's I by year; filled markers where p < 0.05, E[I] dotted."""
        import plotly.graph_objects as go

        I = np.asarray(self.I, dtype=float)
        p = np.asarray(self.p_norm, dtype=float)
        fig = go.Figure(go.Scatter(
            x=list(self.years), y=I, mode="lines+markers", name="I",
            marker={"size": 9, "symbol": ["circle" if v < 0.05 else "circle-open" for v in p],
                    "color": OKABE_ITO[4]},
            customdata=p, hovertemplate="%{x}: I = %{y:.4f}, p = %{customdata:.3f}<extra></extra>"))
        fig.add_hline(y=float(np.mean(self.EI)), line_dash="dot", line_color="#888")
        fig.update_layout(height=340, xaxis={"title": t("year", lang), "dtick": 1},
                          yaxis={"title": t("moran", lang)}, margin={"l": 60, "r": 20, "t": 20, "b": 50})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The sentence on Moran's I and its figure by year (the table is in the workbook)."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang))]

    def __repr__(self) -> str:
        return f"MoranResult({self.column!r}, years={self.years[0]}-{self.years[-1]}, n={self.n})"


def _weights_for(data: pd.DataFrame, w: W | None) -> W:
    if w is not None:
        from libpysal.weights import W

        if not isinstance(w, W):
            raise DataError(f"w must be a libpysal.weights.W (see spatial_weights), got {type(w).__name__}")
        return w
    return spatial_weights(list(dict.fromkeys(data["unit"])), kind="contiguity")


def moran(
    result_or_frame: IndexResult | pd.DataFrame,
    w: W | None = None,
    column: str = "score",
    permutations: int = 999,
    seed: int | None = 0,
    *,
    years: Sequence[int] | None = None,
) -> MoranResult:
    """Global Moran's I (全局莫兰指数) of ``column`` for each year, via ``esda.Moran``.

    Moran (1950, Biometrika 37(1/2)); inference Cliff & Ord (1981); engine esda (Rey & Anselin 2007).

    Parameters
    ----------
    result_or_frame : an IndexResult (its ``scores``) or a DataFrame with columns unit, year and ``column``.
    w : libpysal W; default queen contiguity of the data's units (:func:`nqpf.geo.weights.spatial_weights`);
        its own transformation is used (row-standardised unless you set another). Every unit of ``w``
        needs a value in every year analysed.
    permutations, seed : random permutations use NumPy's global generator seeded with ``seed`` for each
        year (and restored afterwards), so a year gives the same p_sim whichever other years are analysed.
    years : the years to analyse (default all).

    Returns
    -------
    MoranResult : I, EI, z_norm, p_norm, p_sim … as arrays of length n_years.

    Examples
    --------
    >>> df = pd.DataFrame({"unit": ["北京", "天津", "河北", "山西"], "year": 2020, "score": [4.0, 3.0, 2.0, 1.0]})
    >>> round(float(moran(df, permutations=0).I[0]), 4)
    0.1833
    """
    from esda.moran import Moran

    data = _long_frame(result_or_frame, column)
    w = _weights_for(data, w)
    arr, yrs, units = _panel_matrix(data, w, years, column)
    tr = w.transform
    st: dict[int, Any] = {}
    for c, y in enumerate(yrs):
        with _seeded(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            st[y] = Moran(arr[:, c], w, transformation=tr, permutations=permutations)

    def col(attr: str) -> np.ndarray:
        return np.array([float(getattr(st[y], attr, np.nan)) for y in yrs])

    return MoranResult(
        years=yrs, I=col("I"), EI=col("EI"), VI_norm=col("VI_norm"), z_norm=col("z_norm"),
        p_norm=col("p_norm"), p_sim=col("p_sim"), EI_sim=col("EI_sim"), z_sim=col("z_sim"),
        p_z_sim=col("p_z_sim"), n=int(w.n), column=column, permutations=int(permutations), seed=seed,
        weights=weights_label(w), units=units, stats=st, weights_zh=weights_label(w, "zh"),
    )


# ==============================================================================================
# LISA
# ==============================================================================================
@dataclass
class LisaResult(Result):
    """Local Moran's I (局部莫兰指数, LISA) per unit and year; Anselin (1995, Geographical Analysis 27(2)).

    ``table`` has one row per unit-year: unit, year, value, z (standardised value), lag_z (its spatial
    lag, W z), Is (local I), q (esda quadrant code 1–4), quadrant (HH/LH/LL/HL), quadrant_zh
    (高-高/低-高/低-低/高-低), p_sim (pseudo p-value, conditional permutations), z_sim, p_z_sim,
    significant (p_sim < alpha), cluster / cluster_zh (the quadrant if significant, else
    "not significant" / 不显著). ``stats``: the :class:`LocalMoran` of each year.
    """

    label = ("局部莫兰指数（LISA）", "Local Moran's I (LISA)")

    table: pd.DataFrame
    years: list[int]
    alpha: float
    column: str
    permutations: int
    seed: int | None
    weights: str
    stats: dict[int, Any] = field(default_factory=dict, repr=False)
    #: the description of W in Chinese (``weights`` is the English one)
    weights_zh: str = ""

    @property
    def Is(self) -> pd.DataFrame:
        """Local I as a unit × year table."""
        return self.matrix("Is")

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.table["unit"]))

    def matrix(self, value: str = "cluster") -> pd.DataFrame:
        """A unit × year table of one column of ``table`` (e.g. cluster labels for a map per year)."""
        return self.table.pivot(index="unit", columns="year", values=value).reindex(self.units)

    def scatter(self, year: int | None = None) -> pd.DataFrame:
        """Moran scatter plot data for one year: unit, z, lag_z, quadrant, cluster.

        ``attrs["slope"]`` is the least-squares slope of lag_z on z, which equals global Moran's I for
        row-standardised weights.
        """
        if year is None:
            if len(self.years) > 1:
                raise DataError(f"scatter: pass year=, one of {self.years}")
            year = self.years[0]
        if int(year) not in self.years:
            raise DataError(f"scatter: year {year} not in this LISA result ({self.years})")
        tb = self.table[self.table["year"] == int(year)]
        out = tb[["unit", "z", "lag_z", "quadrant", "cluster"]].reset_index(drop=True)
        z, lz = out["z"].to_numpy(), out["lag_z"].to_numpy()
        out.attrs["slope"] = float(np.dot(z - z.mean(), lz - lz.mean()) / np.dot(z - z.mean(), z - z.mean()))
        out.attrs["year"] = int(year)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The unit-year table (a copy)."""
        return self.table.copy()

    def counts(self) -> pd.DataFrame:
        """Number of units per cluster label and year."""
        order = ["HH", "LL", "LH", "HL", NOT_SIGNIFICANT]
        c = self.table.groupby(["year", "cluster"]).size().unstack(fill_value=0)
        return c.reindex(columns=order, fill_value=0)

    def _summary_lines(self, lang: str) -> list[str]:
        """Cluster counts per year and the members of significant clusters in each year."""
        zh = lang == "zh"
        if zh:
            lines = [f"{self.column!r} 的局部莫兰指数（LISA）：显著性水平 {self.alpha}，置换 {self.permutations} 次"
                     f"（种子 {self.seed}）",
                     f"空间权重：{self.weights_zh or self.weights}",
                     f"{'年份':>4} {'HH':>4} {'LL':>4} {'LH':>4} {'HL':>4} {'不显著':>3}"]
        else:
            lines = [f"LISA (局部莫兰指数) of {self.column!r}: alpha {self.alpha}, permutations {self.permutations} "
                     f"(seed {self.seed})",
                     f"weights: {self.weights}",
                     f"{'year':>6} {'HH':>4} {'LL':>4} {'LH':>4} {'HL':>4} {'n.s.':>5}"]
        for y, r in self.counts().iterrows():
            lines.append(f"{y:>6} {r['HH']:>4} {r['LL']:>4} {r['LH']:>4} {r['HL']:>4} {r[NOT_SIGNIFICANT]:>5}")
        for y in self.years:
            tb = self.table[(self.table["year"] == y) & self.table["significant"]]
            if tb.empty:
                lines.append(f"{y} 年：无显著的局部集聚" if zh else f"{y}: no significant local clusters")
                continue
            if zh:
                members = {lab: [unit_name(u, lang) for u in tb.loc[tb["cluster"] == lab, "unit"]]
                           for lab in ("HH", "LL", "LH", "HL")}
                parts = [QUADRANTS_ZH[lab] + "：" + "、".join(m) for lab, m in members.items() if m]
                lines.append(f"{y} 年：" + "；".join(parts))
            else:
                parts = [f"{lab} ({QUADRANTS_ZH[lab]}): {', '.join(tb.loc[tb['cluster'] == lab, 'unit'])}"
                         for lab in ("HH", "LL", "LH", "HL") if (tb["cluster"] == lab).any()]
                lines.append(f"{y}: " + "; ".join(parts))
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """Members of the significant clusters in the last year."""
        year = max(self.years)
        tb = self.table[(self.table["year"] == int(year))]
        parts = []
        for lab in ("HH", "LL", "LH", "HL"):
            members = tb.loc[tb["cluster"] == lab, "unit"].tolist()
            if members:
                parts.append(f"{t(lab, lang)}: {join([unit_name(u, lang) for u in members], lang)}")
        nsig = int(tb["significant"].sum())
        words = kind_words(map_kind(list(tb["unit"])) or "other", lang, len(tb))
        if lang == "zh":
            s = f"{year} 年 {words.count(len(tb))}中有 {nsig} 个局部集聚显著(α = {self.alpha})"
            return [s + (":" + ";".join(parts) + "。" if parts else "。")]
        s = f"In {year}, {nsig} of {len(tb)} {words.units} are in a significant local cluster (α = {self.alpha})"
        return [s + (": " + "; ".join(parts) + "." if parts else ".")]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The Moran scatter plot of the last year (z against Wz), coloured by LISA cluster."""
        year = max(self.years)
        sc = self.scatter(year)
        fig, ax = figure_axes(ax, (4.6, 4.0))
        for lab in LISA_ORDER:
            sub = sc[sc["cluster"] == lab]
            if len(sub):
                ax.scatter(sub["z"], sub["lag_z"], color=LISA_COLORS[lab], edgecolor="#333333", linewidth=0.4,
                           s=26, label=t(lab, lang), zorder=3)
        z = sc["z"].to_numpy(dtype=float)
        xs = np.array([z.min(), z.max()])
        slope = float(sc.attrs["slope"])
        ax.plot(xs, slope * xs, color="#000000", ls="--", lw=1, label=f"I = {slope:.3f}")
        ax.axhline(0, color="#aaaaaa", lw=0.6)
        ax.axvline(0, color="#aaaaaa", lw=0.6)
        ax.set_xlabel(t("z_value", lang))
        ax.set_ylabel(t("lag_z", lang))
        ax.set_title(f"{t('moran_scatter', lang)} ({year})")
        ax.legend(loc="best")
        return fig

    def scatter_figure(self, year: int, lang: str = "en") -> Any:
        """Moran scatter plot of one year (z against its spatial lag), coloured by LISA cluster (plotly)."""
        import plotly.graph_objects as go

        sc = self.scatter(year)
        fig = go.Figure()
        for lab in LISA_ORDER:
            sub = sc[sc["cluster"] == lab]
            if sub.empty:
                continue
            fig.add_trace(go.Scatter(
                x=sub["z"], y=sub["lag_z"], mode="markers+text", name=t(lab, lang),
                text=[unit_name(u, lang) for u in sub["unit"]], textposition="top center", textfont={"size": 10},
                marker={"color": LISA_COLORS[lab], "size": 10, "line": {"color": "#333", "width": 0.5}},
                hovertemplate="%{text}: z = %{x:.3f}, Wz = %{y:.3f}<extra></extra>"))
        z = sc["z"].to_numpy(dtype=float)
        xs = np.array([z.min(), z.max()])
        slope = float(sc.attrs.get("slope", np.nan))
        fig.add_trace(go.Scatter(x=xs, y=slope * xs, mode="lines", line={"color": "#000", "dash": "dash"},
                                 name=f"I = {slope:.3f}", hoverinfo="skip"))
        fig.add_hline(y=0, line_color="#aaa", line_width=1)
        fig.add_vline(x=0, line_color="#aaa", line_width=1)
        fig.update_layout(height=480, xaxis={"title": t("z_value", lang), "zeroline": False},
                          yaxis={"title": t("lag_z", lang), "zeroline": False},
                          margin={"l": 60, "r": 20, "t": 20, "b": 50})
        return fig

    def map_figure(self, lang: str = "en") -> Any:
        """LISA cluster map of the provinces with a year slider (HH, LL, LH, HL, not significant)."""
        order = list(LISA_ORDER)
        clusters = self.matrix("cluster")
        codes = category_codes(clusters, order)
        extra = clusters.apply(lambda col: col.map(lambda c: t(c, lang)))
        return choropleth_figure(codes, lang=lang, title=t("lisa", lang), colorbar_title="",
                                 colorscale=discrete_colorscale([LISA_COLORS[c] for c in order]), zmin=-0.5,
                                 zmax=len(order) - 0.5, fmt=".0f", hover_extra=extra,
                                 tickvals=list(range(len(order))), ticktext=[t(c, lang) for c in order])

    def _figures(self, lang: str, unit_kind: str | None) -> list[Any]:
        figs = [self.scatter_figure(max(self.years), lang)]
        if map_kind(self.units, unit_kind):
            figs.append(self.map_figure(lang))
        return figs

    def figures(self, lang: str = "en") -> list[Any]:
        """The Moran scatter plot of the last year and, when the units are provinces, the cluster map."""
        return self._figures(lang, None)

    def report(self, ctx: ReportContext) -> list[Block]:
        """The clusters of the last year, its Moran scatter plot and (provinces) the cluster map by year."""
        year = max(self.years)
        figs = self._figures(ctx.lang, ctx.unit_kind)
        return [Text(tuple(self.narrative(ctx.lang))), Heading(f"{t('moran_scatter', ctx.lang)} ({year})"),
                *(Figure(f) for f in figs)]

    def __repr__(self) -> str:
        return f"LisaResult({self.column!r}, years={self.years}, alpha={self.alpha})"


def lisa(
    result_or_frame: IndexResult | pd.DataFrame,
    w: W | None = None,
    year: int | Sequence[int] | None = None,
    column: str = "score",
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
) -> LisaResult:
    """Local Moran's I (LISA, 局部莫兰指数) and cluster map labels for one year, several, or all (None).

    Anselin (1995, Geographical Analysis 27(2)); engine :func:`local_moran` (esda's conditional
    permutations, ``seed`` used for every year). Quadrants: HH 高-高, LH 低-高, LL 低-低, HL 高-低 (value vs
    the spatial lag of the standardised value); a unit is in a significant cluster when p_sim < alpha.

    Parameters
    ----------
    result_or_frame : an IndexResult or a DataFrame with columns unit, year and ``column``.
    w : libpysal W (default queen contiguity of the data's units).
    year : one year, several, or None for all.
    permutations, seed : conditional permutations and their seed (the same draws as esda.Moran_Local).
    alpha : significance level of the cluster labels.

    Returns
    -------
    LisaResult : ``table`` with one row per unit-year (n_units × n_years rows).

    Examples
    --------
    >>> df = pd.DataFrame({"unit": ["北京", "天津", "河北", "山西"], "year": 2020, "score": [4.0, 3.0, 2.0, 1.0]})
    >>> list(lisa(df, permutations=0).table["quadrant"])
    ['HL', 'HH', 'LH', 'LL']
    """
    if not 0 < alpha < 1:
        raise DataError(f"lisa: alpha must be between 0 and 1, got {alpha!r}")
    data = _long_frame(result_or_frame, column)
    w = _weights_for(data, w)
    years = None if year is None else ([int(year)] if np.isscalar(year) else [int(y) for y in year])  # type: ignore[arg-type]
    from libpysal.weights import lag_spatial

    arr, yrs, units = _panel_matrix(data, w, years, column)
    frames, st = [], {}
    for c, y in enumerate(yrs):
        ml = local_moran(arr[:, c], w, permutations=permutations, seed=seed)
        st[y] = ml
        z = np.asarray(ml.z, dtype=float)
        quad = [QUADRANTS[int(q)] for q in ml.q]
        p_sim = np.asarray(ml.p_sim, dtype=float)
        sig = p_sim < alpha
        cluster = [q if s else NOT_SIGNIFICANT for q, s in zip(quad, sig, strict=True)]
        frames.append(pd.DataFrame({
            "unit": units, "year": y, "value": arr[:, c], "z": z, "lag_z": lag_spatial(w, z),
            "Is": np.asarray(ml.Is, dtype=float), "q": np.asarray(ml.q, dtype=int), "quadrant": quad,
            "quadrant_zh": [QUADRANTS_ZH[q] for q in quad], "p_sim": p_sim,
            "z_sim": np.asarray(ml.z_sim, dtype=float), "p_z_sim": np.asarray(ml.p_z_sim, dtype=float),
            "significant": sig, "cluster": cluster,
            "cluster_zh": [QUADRANTS_ZH.get(k, NOT_SIGNIFICANT_ZH) for k in cluster],
        }))
    table = pd.concat(frames, ignore_index=True)
    return LisaResult(table=table, years=yrs, alpha=alpha, column=column, permutations=int(permutations),
                      seed=seed, weights=weights_label(w), stats=st,
                      weights_zh=weights_label(w, "zh"))


# ---------------------------------------------------------------------------------------------
# study file: [analyses.moran], [analyses.lisa]
# ---------------------------------------------------------------------------------------------
class MoranOptions(Options):
    """``[analyses.moran]``: the index, the spatial weights, permutations and seed."""

    index: str | None = None
    #: a [weights.<label>] of the study, or a kind with its defaults (contiguity, rook, knn, inverse_distance,
    #: distance_band, economic, nested, file); see docs/methods/spatial-weights.md
    weights: str = "contiguity"
    permutations: int = 999
    seed: int = 0


MORAN_REFS = ("moran1950", "cliff1981", "rey2007")
LISA_REFS = ("anselin1995", "rey2007")
_MORAN_I = ("$I = \\frac{n}{S_0}\\frac{\\sum_i\\sum_j w_{ij}(x_i - \\bar x)(x_j - \\bar x)}"
            "{\\sum_i (x_i - \\bar x)^2}$")


def _moran_methods(res: MoranResult, opts: MoranOptions, lang: str) -> str:
    c = cite(MORAN_REFS, lang)
    if lang == "zh":
        extra = f"空间权重：{res.weights_zh or res.weights}。" + (f"显著性基于 {res.permutations} 次随机置换。"
                                            if res.permutations else "")
        return f"采用全局莫兰指数{c}测度空间自相关，{_MORAN_I}，$E[I] = -1/(n-1)$。" + extra
    extra = f" Weights: {res.weights}." + (f" Inference: {res.permutations} random permutations."
                                           if res.permutations else "")
    return f"Spatial autocorrelation was measured by global Moran's I{c}, {_MORAN_I}, with $E[I] = -1/(n-1)$." + extra


@register_analysis("moran", options=MoranOptions, result=MoranResult, section="disparity", order=50,
                   label=("全局空间自相关：Moran's I", "Global spatial autocorrelation: Moran's I"),
                   refs=MORAN_REFS, methods=_moran_methods)
def _study_moran(ctx: StudyContext, opts: MoranOptions) -> MoranResult:
    _, res = ctx.index(opts.index)
    w = ctx.weights(opts.weights, res.units)
    return moran(res, w=w, permutations=opts.permutations, seed=opts.seed)


class LisaOptions(MoranOptions):
    """``[analyses.lisa]``: as moran, plus the significance level of the cluster map."""

    alpha: float = 0.05


def _lisa_methods(res: LisaResult, opts: LisaOptions, lang: str) -> str:
    c = cite(LISA_REFS, lang)
    if lang == "zh":
        return (f"采用局部莫兰指数（LISA）{c}识别局部集聚，$I_i = (n-1) z_i\\sum_j w_{{ij}} z_j/\\sum_k z_k^2$，"
                f"划分为高-高、低-低、低-高、高-低四类（显著性水平 {res.alpha}）（条件置换检验）。"
                f"空间权重：{res.weights_zh or res.weights}。")
    return (f"Local clusters were identified by local Moran's I (LISA){c}, "
            "$I_i = (n-1) z_i\\sum_j w_{ij} z_j/\\sum_k z_k^2$, classified as high–high, low–low, low–high or "
            f"high–low at significance level {res.alpha} (conditional permutations). Weights: {res.weights}.")


@register_analysis("lisa", options=LisaOptions, result=LisaResult, section="disparity", order=60,
                   label=("局部空间自相关：LISA", "Local spatial autocorrelation: LISA"),
                   refs=LISA_REFS, methods=_lisa_methods)
def _study_lisa(ctx: StudyContext, opts: LisaOptions) -> LisaResult:
    _, res = ctx.index(opts.index)
    w = ctx.weights(opts.weights, res.units)
    return lisa(res, w=w, permutations=opts.permutations, seed=opts.seed, alpha=opts.alpha)
