"""Regional disparity: the Dagum Gini coefficient and its decomposition by subgroups (基尼系数及其按子群分解).

Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality ratio.
Empirical Economics 22(4), 515–531.

For ``n`` observations in ``k`` groups the overall Gini ratio

    G = Σ_j Σ_h Σ_i Σ_r w_ji w_hr |y_ji − y_hr| / (2 W² μ)

splits exactly into the within-group part ``Gw`` (区域内差异), the net between-group part ``Gnb``
(区域间净值差异) and the transvariation ``Gt`` (超变密度), the overlap of the groups:

    G = Gw + Gnb + Gt
    Gw  = Σ_j Gjj p_j s_j
    Gnb = Σ_{j>h} Gjh (p_j s_h + p_h s_j) D_jh
    Gt  = Σ_{j>h} Gjh (p_j s_h + p_h s_j) (1 − D_jh)

with ``p_j = W_j / W`` (population share), ``s_j = W_j μ_j / (W μ)`` (share of the total),
``D_jh = (d_jh − p_jh) / (d_jh + p_jh)`` (relative economic affluence, 相对经济影响), ``d_jh`` the
expected positive difference ``E[(Y_j − Y_h)+]`` and ``p_jh = E[(Y_h − Y_j)+]`` (the first-order moment
of transvariation).

Group order. As in Dagum (1997) the groups are ranked by ascending mean, μ_1 ≤ … ≤ μ_k (ties keep
the order of first appearance). A pair key ``(j, h)`` always names the group with the higher mean
first, so ``d_jh ≥ p_jh`` and ``0 ≤ D_jh ≤ 1``. ``Gjh`` itself is symmetric.

Weights. ``weights`` are frequency (population) weights: an observation of weight ``w`` counts as
``w`` identical observations, so integer weights give the same result as repeating rows, and
``n``/``n_j`` in the formulas become the weight totals ``W``/``W_j``.

Algorithm. Every double sum reduces to ``P_jh = Σ_{i∈j} Σ_{r∈h} w_i w_r (y_i − y_r)+``. After one
sort of all values, ``P_·h`` is a running (cumulative) sum of group-``h`` weights and weighted values
below each observation, summed by the observation's group: one O(n log n) sort and ``k`` O(n)
passes, no pair loop. ``|y_i − y_r| = (y_i − y_r)+ + (y_r − y_i)+`` gives the within and between
Gini ratios, ``d_jh = P_jh / (W_j W_h)`` and ``p_jh = P_hj / (W_j W_h)``. The bootstrap runs the same
kernel on a (B, n) matrix of resamples.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Text
from nqpf.core.errors import DataError
from nqpf.core.groups import Grouping, resolve_groups
from nqpf.core.i18n import num, pct, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.rng import generator
from nqpf.core.shaping import panel_frame, plain
from nqpf.core.units import region_label
from nqpf.viz.style import OKABE_ITO, REGION_COLORS, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["DagumByYear", "DagumResult", "dagum_gini", "dagum_gini_by_year"]

#: Colours of the three parts of G (Okabe–Ito): within, net between, transvariation.
_PART_COLORS = {"Gw": OKABE_ITO[4], "Gnb": OKABE_ITO[0], "Gt": OKABE_ITO[2]}


# ---------------------------------------------------------------------------------------------
# numpy kernel
# ---------------------------------------------------------------------------------------------
def _pair_sums(y: np.ndarray, g: np.ndarray, w: np.ndarray | None, k: int) -> np.ndarray:
    """P[b, j, h] = Σ_{i∈j} Σ_{r∈h} w_i w_r (y_i − y_r)+ for each row b, by sorting (Dagum 1997, Emp. Econ.).

    ``y`` (B, n) values, ``g`` (B, n) or (n,) integer group codes 0..k-1, ``w`` (B, n)/(n,) or None.
    One sort per row and k cumulative sums: O(B n log n + B k n).
    """
    B, n = y.shape
    order = np.argsort(y, axis=1, kind="stable")
    ys = np.take_along_axis(y, order, axis=1)
    gs = np.take_along_axis(np.broadcast_to(g, (B, n)), order, axis=1)
    # a shift leaves (y_i − y_r)+ unchanged and keeps the running sums small (less cancellation)
    z = ys - ys[:, n // 2: n // 2 + 1]
    if w is None:
        ws = None
        wz = z
    else:
        ws = np.take_along_axis(np.broadcast_to(w, (B, n)), order, axis=1)
        wz = ws * z
    rows = (np.arange(B)[:, None] * k + gs).ravel()
    P = np.empty((B, k, k))
    for h in range(k):
        m = gs == h
        # running totals of group-h weight and weighted value up to and including each position;
        # the observation itself and ties add (y_i − y_r)+ = 0, so inclusive sums are exact
        Wh = np.cumsum(m if ws is None else np.where(m, ws, 0.0), axis=1, dtype=float)
        Yh = np.cumsum(np.where(m, wz, 0.0), axis=1)
        c = z * Wh - Yh
        if ws is not None:
            c *= ws
        P[:, :, h] = np.bincount(rows, weights=c.ravel(), minlength=B * k).reshape(B, k)
    return P


def _gini_sorted_total(y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Σ_i Σ_r w_i w_r (y_i − y_r)+ over all pairs of each row, ignoring groups (Gini 1912, sorted form)."""
    order = np.argsort(y, axis=1, kind="stable")
    ys = np.take_along_axis(y, order, axis=1)
    z = ys - ys[:, y.shape[1] // 2: y.shape[1] // 2 + 1]
    if w is None:
        cnt = np.arange(1, y.shape[1] + 1, dtype=float)
        return (z * cnt - np.cumsum(z, axis=1)).sum(axis=1)
    ws = np.take_along_axis(np.broadcast_to(w, y.shape), order, axis=1)
    return (ws * (z * np.cumsum(ws, axis=1) - np.cumsum(ws * z, axis=1))).sum(axis=1)


def _dagum_components(P: np.ndarray, Wj: np.ndarray, Sj: np.ndarray) -> dict[str, np.ndarray]:
    """Dagum's components from the pair sums P (B,k,k), group weights Wj and totals Sj (B,k).

    Dagum (1997), Empirical Economics 22:515-531, eqs. for Gjj, Gjh, D_jh, Gw, Gnb, Gt.
    """
    W = Wj.sum(axis=1)
    S = Sj.sum(axis=1)
    mu = S / W
    mu_j = Sj / Wj
    p_j = Wj / W[:, None]
    s_j = Sj / S[:, None]
    A = P + np.swapaxes(P, 1, 2)  # Σ Σ w w |y_i − y_r| between groups j and h
    WW = Wj[:, :, None] * Wj[:, None, :]
    Gjh = A / (WW * (mu_j[:, :, None] + mu_j[:, None, :]))  # diagonal = Gjj (A_jj = 2 P_jj)
    Gjj = np.diagonal(Gjh, axis1=1, axis2=2)
    diff = np.abs(P - np.swapaxes(P, 1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        D = np.where(A > 0, diff / np.where(A > 0, A, 1.0), 0.0)
    pair_w = Gjh * (p_j[:, :, None] * s_j[:, None, :] + p_j[:, None, :] * s_j[:, :, None])
    iu = np.triu_indices(Wj.shape[1], k=1)
    pw = pair_w[:, iu[0], iu[1]]
    Dp = D[:, iu[0], iu[1]]
    Gw = (Gjj * p_j * s_j).sum(axis=1)
    Gnb = (pw * Dp).sum(axis=1)
    Gt = (pw * (1.0 - Dp)).sum(axis=1)
    return {"mu": mu, "mu_j": mu_j, "p_j": p_j, "s_j": s_j, "Gjh": Gjh, "Gjj": Gjj, "D": D,
            "Gw": Gw, "Gnb": Gnb, "Gt": Gt, "WW": WW}


# ---------------------------------------------------------------------------------------------
# result objects
# ---------------------------------------------------------------------------------------------
@dataclass
class DagumResult(Result):
    """The Dagum Gini decomposition (Dagum 基尼系数分解) of one cross-section.

    Attributes (Dagum 1997 symbols)
    -------------------------------
    G, Gw, Gnb, Gt : overall Gini ratio (总体基尼系数) and its within-group (区域内), net between-group
        (区域间) and transvariation (超变密度) parts; ``G = Gw + Gnb + Gt``.
    groups : group labels in Dagum's order, ascending mean μ_1 ≤ … ≤ μ_k.
    within : group -> Gjj (within-group Gini ratio).
    between : (j, h) -> Gjh for each pair, the higher-mean group j first.
    contributions : ``{"Gw": Gw/G, "Gnb": Gnb/G, "Gt": Gt/G}`` (贡献率).
    mu, n : overall mean and number of observations; W the total weight (= n unweighted).
    mu_j, n_j, W_j, p_j, s_j : per group mean, count, total weight, population share, share of total.
    D_jh, d_jh, p_jh : per pair (j, h) relative economic affluence, E[(Y_j − Y_h)+], E[(Y_h − Y_j)+].
    ci : bootstrap table (term, estimate, se, lo, hi) when ``bootstrap > 0``, else None.
    """

    label = ("Dagum 基尼系数分解", "Dagum Gini decomposition")

    G: float
    Gw: float
    Gnb: float
    Gt: float
    groups: list[Hashable]
    within: dict[Hashable, float]
    between: dict[tuple[Hashable, Hashable], float]
    contributions: dict[str, float]
    mu: float
    n: int
    W: float
    mu_j: dict[Hashable, float]
    n_j: dict[Hashable, int]
    W_j: dict[Hashable, float]
    p_j: dict[Hashable, float]
    s_j: dict[Hashable, float]
    D_jh: dict[tuple[Hashable, Hashable], float]
    d_jh: dict[tuple[Hashable, Hashable], float]
    p_jh: dict[tuple[Hashable, Hashable], float]
    weighted: bool = False
    ci: pd.DataFrame | None = None
    level: float = 0.95
    bootstrap: int = 0

    @property
    def single(self) -> list[Hashable]:
        """Groups with one member (their within-group Gini is 0 by construction)."""
        return [g for g in self.groups if self.n_j[g] == 1]

    def Gjh(self, a: Hashable, b: Hashable) -> float:
        """The Gini ratio between groups a and b (in either order); Gjj when a == b."""
        if a == b:
            return self.within[a]
        return self.between[(a, b)] if (a, b) in self.between else self.between[(b, a)]

    def terms(self) -> list[tuple[str, str, Any, Any, float]]:
        """(term, kind, j, h, value) for every reported quantity, in table order."""
        out: list[tuple[str, str, Any, Any, float]] = [
            ("G", "total", None, None, self.G),
            ("Gw", "within", None, None, self.Gw),
            ("Gnb", "between_net", None, None, self.Gnb),
            ("Gt", "transvariation", None, None, self.Gt),
        ]
        out += [(f"Gjj:{g}", "Gjj", g, None, self.within[g]) for g in self.groups]
        out += [(f"Gjh:{j}-{h}", "Gjh", j, h, v) for (j, h), v in self.between.items()]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per term (G, Gw, Gnb, Gt, each Gjj, each Gjh) with value, share of G and any CI."""
        rows = [
            {"term": term, "kind": kind, "j": j, "h": h, "value": v,
             "share": (v / self.G if self.G > 0 else np.nan) if kind in ("total", "within", "between_net",
                                                                         "transvariation") else np.nan}
            for term, kind, j, h, v in self.terms()
        ]
        df = pd.DataFrame(rows)
        if self.ci is not None:
            df = df.merge(self.ci.drop(columns="estimate"), on="term", how="left")
        return df

    def group_frame(self) -> pd.DataFrame:
        """Per group (Dagum order): n_j, W_j, mu_j, p_j, s_j, Gjj."""
        return pd.DataFrame({
            "group": self.groups,
            "n_j": [self.n_j[g] for g in self.groups],
            "W_j": [self.W_j[g] for g in self.groups],
            "mu_j": [self.mu_j[g] for g in self.groups],
            "p_j": [self.p_j[g] for g in self.groups],
            "s_j": [self.s_j[g] for g in self.groups],
            "Gjj": [self.within[g] for g in self.groups],
        })

    def pair_frame(self) -> pd.DataFrame:
        """Per pair (j, h), j the higher-mean group: Gjh, d_jh, p_jh, D_jh."""
        keys = list(self.between)
        return pd.DataFrame({
            "j": [k[0] for k in keys], "h": [k[1] for k in keys],
            "Gjh": [self.between[k] for k in keys], "d_jh": [self.d_jh[k] for k in keys],
            "p_jh": [self.p_jh[k] for k in keys], "D_jh": [self.D_jh[k] for k in keys],
        })

    def _summary_lines(self, lang: str) -> list[str]:
        """A few lines: G and its parts with shares, the within and between ratios, and any CI."""
        c = self.contributions
        zh = lang == "zh"
        sep = "、" if zh else ", "
        within = sep.join(f"{g} {self.within[g]:.4f}" for g in self.groups)
        between = sep.join(f"{j}–{h} {v:.4f}" for (j, h), v in self.between.items())
        means = sep.join(f"{g} {self.mu_j[g]:.4g}" for g in self.groups)
        parts = (f"G = {self.G:.4f} = Gw {self.Gw:.4f} ({c['Gw']:.1%}) + Gnb {self.Gnb:.4f} ({c['Gnb']:.1%})"
                 f" + Gt {self.Gt:.4f} ({c['Gt']:.1%})")
        if zh:
            lines = [f"Dagum 基尼系数分解（Dagum 1997）：n = {self.n}，{len(self.groups)} 组"
                     + ("（频数加权）" if self.weighted else ""), parts,
                     f"组内基尼系数 Gjj：{within}", f"组间基尼系数 Gjh：{between}",
                     f"各组均值（升序，Dagum 排序）：{means}"]
        else:
            lines = [f"Dagum Gini decomposition (Dagum 1997): n = {self.n}, {len(self.groups)} groups"
                     + (" (frequency-weighted)" if self.weighted else ""), parts,
                     f"within (Gjj): {within}", f"between (Gjh): {between}",
                     f"group means (ascending, Dagum's order): {means}"]
        if self.single:
            lines.append(_single_text(self.single, lang, str))
        if self.ci is not None:
            ci = self.ci.set_index("term")
            ivs = sep.join(f"{k} [{ci.loc[k, 'lo']:.4f}, {ci.loc[k, 'hi']:.4f}]" for k in ("G", "Gw", "Gnb", "Gt"))
            lines.append(f"{self.level:.0%} 自助法置信区间（组内重抽样 {self.bootstrap} 次）：{ivs}" if zh else
                         f"{self.level:.0%} bootstrap CI ({self.bootstrap} resamples within groups): {ivs}")
        return lines


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _check_inputs(
    values: Any, groups: Any, weights: Any, names: np.ndarray | None = None, where: str = ""
) -> tuple[np.ndarray, np.ndarray, list[Hashable], np.ndarray | None]:
    """Validate and encode; return y, integer codes, labels (first-appearance order), weights."""
    loc = f"{where}: " if where else ""

    def who(i: int) -> str:
        return f"unit {plain(names[i])!r}" if names is not None else f"observation {i}"

    try:
        y = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{loc}values must be numeric: {exc}") from None
    if y.ndim != 1:
        raise DataError(f"{loc}values must be one-dimensional, got shape {y.shape}")
    g_arr = groups.to_numpy() if isinstance(groups, (pd.Series, pd.Index)) else np.asarray(groups)
    if g_arr.ndim != 1 or len(g_arr) != len(y):
        raise DataError(f"{loc}values has {len(y)} entries but groups has shape {g_arr.shape}")
    codes, uniques = pd.factorize(g_arr, sort=False, use_na_sentinel=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise DataError(f"{loc}{who(i)} has no group; give every unit a group")
    labels = uniques.tolist()
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{loc}{who(i)} (group {labels[codes[i]]!r}) has value {y[i]}; drop or impute it")
    if (y < 0).any():
        i = int(np.flatnonzero(y < 0)[0])
        raise DataError(
            f"{loc}{who(i)} (group {labels[codes[i]]!r}) has negative value {y[i]}; the Gini ratio needs "
            "non-negative values (shift the index, e.g. a min-max score with a small positive offset)"
        )
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != y.shape:
            raise DataError(f"{loc}weights has shape {w.shape}, values has {y.shape}")
        badw = ~np.isfinite(w) | (w <= 0)
        if badw.any():
            i = int(np.flatnonzero(badw)[0])
            raise DataError(f"{loc}{who(i)} has weight {w[i]}; weights must be positive and finite")
    k = len(labels)
    if k < 2:
        raise DataError(f"{loc}only one group ({labels[0]!r}); the decomposition needs at least two groups")
    tot = np.bincount(codes, weights=y if w is None else w * y, minlength=k)
    if not (tot > 0).any():
        raise DataError(f"{loc}all values are zero; the Gini ratio is undefined")
    for j in range(k):
        if tot[j] <= 0:
            raise DataError(f"{loc}group {labels[j]!r}: all values are zero, its Gini ratio is undefined")
    return y, codes.astype(np.intp), labels, w


def _bootstrap_table(
    y: np.ndarray, codes: np.ndarray, w: np.ndarray | None, k: int, B: int, rng: np.random.Generator,
    level: float, estimates: dict[str, float], labels: list[Hashable], pair_keys: list[tuple[int, int]],
) -> pd.DataFrame:
    """Percentile bootstrap of every term, resampling observations within groups (B × n batches)."""
    order = np.argsort(codes, kind="stable")
    yg = y[order]
    gg = codes[order]
    wg = None if w is None else w[order]
    counts = np.bincount(codes, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = len(y)
    chunk = max(1, min(B, 2_000_000 // max(n, 1)))
    rec: dict[str, list[np.ndarray]] = {k: [] for k in estimates}
    done = 0
    while done < B:
        b = min(chunk, B - done)
        idx = np.concatenate(
            [starts[j] + rng.integers(0, counts[j], size=(b, counts[j])) for j in range(k)], axis=1
        )
        yb = yg[idx]
        wb = None if wg is None else wg[idx]
        P = _pair_sums(yb, gg, wb, k)
        Wj = np.broadcast_to(counts.astype(float), (b, k)) if wb is None else np.stack(
            [wb[:, gg == j].sum(axis=1) for j in range(k)], axis=1)
        Sj = np.stack([(yb if wb is None else wb * yb)[:, gg == j].sum(axis=1) for j in range(k)], axis=1)
        comp = _dagum_components(P, Wj, Sj)
        G = comp["Gw"] + comp["Gnb"] + comp["Gt"]
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = {"G": G, "Gw": comp["Gw"], "Gnb": comp["Gnb"], "Gt": comp["Gt"],
                    "share:Gw": comp["Gw"] / G, "share:Gnb": comp["Gnb"] / G, "share:Gt": comp["Gt"] / G}
        for j in range(k):
            vals[f"Gjj:{labels[j]}"] = comp["Gjj"][:, j]
        for a, c in pair_keys:
            vals[f"Gjh:{labels[a]}-{labels[c]}"] = comp["Gjh"][:, a, c]
        for key in rec:
            rec[key].append(vals[key])
        done += b
    alpha = (1.0 - level) / 2.0
    rows = []
    for term, est in estimates.items():
        draws = np.concatenate(rec[term])
        rows.append({"term": term, "estimate": est, "se": float(np.nanstd(draws, ddof=1)),
                     "lo": float(np.nanquantile(draws, alpha)),
                     "hi": float(np.nanquantile(draws, 1 - alpha))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------
def dagum_gini(
    values: Any,
    groups: Any,
    weights: Any = None,
    *,
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
) -> DagumResult:
    """Dagum Gini coefficient and its decomposition by subgroups (Dagum 基尼系数及其分解).

    Dagum, C. (1997), Empirical Economics 22:515-531.

    Parameters
    ----------
    values : non-negative numbers, one per observation (not all zero, no NaN).
    groups : a group label per observation; a group of one member has within-group Gini 0 (no pair inside
        it), its between-group ratios are as usual (``single`` lists such groups).
    weights : optional frequency (population) weights, positive; an observation of weight w counts as
        w identical observations.
    bootstrap : number of bootstrap resamples (0 = none). Observations are resampled with replacement
        within each group (group sizes fixed); percentile intervals at ``level``.
    seed : seed or Generator for the bootstrap.

    Groups are reported in Dagum's order (ascending mean); pair keys name the higher-mean group first.
    Runs in O(n log n): one sort and k cumulative sums (see the module docstring).

    Returns
    -------
    DagumResult : G = Gw + Gnb + Gt, the within (Gjj) and between (Gjh) ratios, shares and any CI.

    Examples
    --------
    Two groups that do not overlap: no transvariation.

    >>> r = dagum_gini([1.0, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"])
    >>> round(r.G, 4), round(r.Gw, 4), round(r.Gnb, 4), r.Gt
    (0.2778, 0.0635, 0.2143, 0.0)
    """
    return _dagum(values, groups, weights, bootstrap=bootstrap, seed=seed, level=level)


def _dagum(
    values: Any, groups: Any, weights: Any = None, *, bootstrap: int = 0,
    seed: int | np.random.Generator | None = None, level: float = 0.95,
    names: np.ndarray | None = None, where: str = "",
) -> DagumResult:
    """dagum_gini with unit names and a location (``year 2017``) for the error messages (Dagum 1997)."""
    if int(bootstrap) != bootstrap or bootstrap < 0:
        raise DataError(f"bootstrap must be a whole number of resamples ≥ 0, got {bootstrap}")
    if bootstrap and not (0 < level < 1):
        raise DataError(f"level must be between 0 and 1, got {level}")
    y, codes, labels_fa, w = _check_inputs(values, groups, weights, names, where)
    k = len(labels_fa)
    # Dagum's order: ascending group mean (stable: ties keep first-appearance order)
    W0 = np.bincount(codes, weights=w, minlength=k) if w is not None else np.bincount(codes, minlength=k)
    S0 = np.bincount(codes, weights=y if w is None else w * y, minlength=k)
    rank = np.argsort(S0 / W0, kind="stable")
    remap = np.empty(k, dtype=np.intp)
    remap[rank] = np.arange(k)
    codes = remap[codes]
    labels = [labels_fa[i] for i in rank]

    P = _pair_sums(y[None, :], codes, None if w is None else w[None, :], k)
    Wj = np.bincount(codes, weights=w, minlength=k)[None, :].astype(float)
    Sj = np.bincount(codes, weights=y if w is None else w * y, minlength=k)[None, :]
    comp = _dagum_components(P, Wj, Sj)
    W = float(Wj.sum())
    mu = float(comp["mu"][0])
    G = float(_gini_sorted_total(y[None, :], None if w is None else w[None, :])[0] / (W * W * mu))
    Gw, Gnb, Gt = float(comp["Gw"][0]), float(comp["Gnb"][0]), float(comp["Gt"][0])
    counts = np.bincount(codes, minlength=k)

    pairs = [(a, c) for a in range(k - 1, -1, -1) for c in range(a - 1, -1, -1)]  # (richer, poorer)
    key = {(a, c): (labels[a], labels[c]) for a, c in pairs}
    WW = comp["WW"][0]
    res = DagumResult(
        G=G, Gw=Gw, Gnb=Gnb, Gt=Gt, groups=labels,
        within={labels[j]: float(comp["Gjj"][0, j]) for j in range(k)},
        between={key[a, c]: float(comp["Gjh"][0, a, c]) for a, c in pairs},
        contributions={"Gw": Gw / G, "Gnb": Gnb / G, "Gt": Gt / G} if G > 0 else
        {"Gw": np.nan, "Gnb": np.nan, "Gt": np.nan},
        mu=mu, n=len(y), W=W,
        mu_j={labels[j]: float(comp["mu_j"][0, j]) for j in range(k)},
        n_j={labels[j]: int(counts[j]) for j in range(k)},
        W_j={labels[j]: float(Wj[0, j]) for j in range(k)},
        p_j={labels[j]: float(comp["p_j"][0, j]) for j in range(k)},
        s_j={labels[j]: float(comp["s_j"][0, j]) for j in range(k)},
        D_jh={key[a, c]: float(comp["D"][0, a, c]) for a, c in pairs},
        d_jh={key[a, c]: float(P[0, a, c] / WW[a, c]) for a, c in pairs},
        p_jh={key[a, c]: float(P[0, c, a] / WW[a, c]) for a, c in pairs},
        weighted=w is not None, level=level, bootstrap=int(bootstrap),
    )
    if bootstrap:
        est = {"G": G, "Gw": Gw, "Gnb": Gnb, "Gt": Gt}
        est.update({f"share:{c}": v for c, v in res.contributions.items()})
        est.update({f"Gjj:{g}": v for g, v in res.within.items()})
        est.update({f"Gjh:{j}-{h}": v for (j, h), v in res.between.items()})
        res.ci = _bootstrap_table(y, codes, w, k, int(bootstrap), generator(seed), level, est, labels,
                                  pairs)
    return res


@dataclass
class DagumByYear(Result):
    """The Dagum Gini decomposition (Dagum 基尼系数分解) of each year of a panel.

    ``results`` holds the DagumResult of each year. In the per-year table the groups keep one fixed
    order — ascending mean over the pooled panel — and each pair is named by the pooled richer group
    first, so columns mean the same in every year. ``ci`` (long: year, term, estimate, se, lo, hi)
    when bootstrapped.
    """

    label = ("Dagum 基尼系数及其分解（逐年）", "Dagum Gini decomposition by year")

    results: dict[int, DagumResult]
    groups: list[Hashable]
    pairs: list[tuple[Hashable, Hashable]]
    membership: dict[Hashable, Hashable]
    column: str = "score"
    ci: pd.DataFrame | None = field(default=None)
    #: group key -> (zh, en) display label (from the Grouping); a key without one shows as a region or as is
    labels: dict[Hashable, tuple[str, str]] = field(default_factory=dict)
    #: the grouping's name (a [groups.*] label or bundled set) and its notes (units in ``other`` …)
    grouping: str | None = None
    notes: list[str] = field(default_factory=list)

    def group_label(self, g: Hashable, lang: str) -> str:
        """The display name of a group key in ``lang``."""
        pair = self.labels.get(g)
        if pair is not None:
            return pair[0] if lang == "zh" else pair[1]
        return region_label(str(g), lang)

    @property
    def single(self) -> list[Hashable]:
        """Groups with one member: their within-group Gini is 0 in every year."""
        counts = pd.Series(list(self.membership.values())).value_counts()
        return [g for g in self.groups if counts.get(g, 0) == 1]

    def _pair_label(self, col: str, lang: str) -> str:
        a, z = self._pair_of[col]
        return f"{self.group_label(a, lang)}–{self.group_label(z, lang)}"

    @property
    def _pair_of(self) -> dict[str, tuple[Hashable, Hashable]]:
        return {f"Gjh:{j}-{h}": (j, h) for j, h in self.pairs}

    def _gname(self, col: str, lang: str) -> str:
        """The display name of the group of a ``Gjj:<group>`` column."""
        return self.group_label({f"Gjj:{g}": g for g in self.groups}[col], lang)

    @property
    def years(self) -> list[int]:
        return list(self.results)

    def to_frame(self) -> pd.DataFrame:
        """One row per year: G, Gw, Gnb, Gt, their shares, each Gjj and each Gjh."""
        rows = []
        for year, r in self.results.items():
            row: dict[str, Any] = {"year": year, "G": r.G, "Gw": r.Gw, "Gnb": r.Gnb, "Gt": r.Gt}
            row.update({f"share:{c}": v for c, v in r.contributions.items()})
            row.update({f"Gjj:{g}": r.within[g] for g in self.groups})
            row.update({f"Gjh:{j}-{h}": r.Gjh(j, h) for j, h in self.pairs})
            rows.append(row)
        return pd.DataFrame(rows)

    def _summary_lines(self, lang: str) -> list[str]:
        """Sentences on the level and trend of G, the main source of disparity, and the extreme groups."""
        df = self.to_frame().set_index("year")
        y0, y1 = df.index[0], df.index[-1]
        shares = df[["share:Gw", "share:Gnb", "share:Gt"]].mean()
        main = shares.idxmax()
        w_mean = df[[f"Gjj:{g}" for g in self.groups]].mean()
        b_mean = df[[f"Gjh:{j}-{h}" for j, h in self.pairs]].mean()
        g0, g1 = df["G"].iloc[0], df["G"].iloc[-1]
        if lang == "zh":
            names = {"share:Gw": "区域内差异（Gw）", "share:Gnb": "区域间净差异（Gnb）", "share:Gt": "超变密度（Gt）"}
            groups = "、".join(self.group_label(g, lang) for g in self.groups)
            return [
                f"{self.column!r} 按 {len(self.groups)} 组（{groups}）的 Dagum 基尼系数分解，{y0}–{y1} 年。",
                f"总体基尼系数由 {y0} 年的 {g0:.4f} {'下降' if g1 < g0 else '上升'}至 {y1} 年的 {g1:.4f}"
                f"（范围 {df['G'].min():.4f}–{df['G'].max():.4f}）。",
                "平均贡献率：" + "、".join(f"{names[c]} {pct(shares[c])}" for c in names)
                + f"；差异的主要来源是{names[main]}。",
                f"平均组内基尼系数最高：{self._gname(w_mean.idxmax(), lang)}（{w_mean.max():.4f}）；"
                f"最低：{self._gname(w_mean.idxmin(), lang)}（{w_mean.min():.4f}）。",
                f"平均组间基尼系数最大：{b_mean.idxmax()[4:]}（{b_mean.max():.4f}）；"
                f"最小：{b_mean.idxmin()[4:]}（{b_mean.min():.4f}）。",
                *self._extra_lines(lang),
            ]
        names = {"share:Gw": "within-group (Gw)", "share:Gnb": "net between-group (Gnb)",
                 "share:Gt": "transvariation (Gt)"}
        return [
            f"Dagum Gini decomposition of {self.column!r} by {len(self.groups)} groups "
            f"({', '.join(map(str, self.groups))}), {y0}–{y1}.",
            f"The overall Gini ratio {'fell' if g1 < g0 else 'rose'} from {g0:.4f} in {y0} to {g1:.4f} "
            f"in {y1} (range {df['G'].min():.4f}–{df['G'].max():.4f}).",
            "Average contributions: " + ", ".join(f"{names[c]} {shares[c]:.1%}" for c in names)
            + f"; the main source of disparity is the {names[main]} part.",
            f"Highest within-group Gini on average: {w_mean.idxmax()[4:]} ({w_mean.max():.4f}); "
            f"lowest: {w_mean.idxmin()[4:]} ({w_mean.min():.4f}).",
            f"Largest between-group Gini on average: {b_mean.idxmax()[4:]} ({b_mean.max():.4f}); "
            f"smallest: {b_mean.idxmin()[4:]} ({b_mean.min():.4f}).",
            *self._extra_lines(lang),
        ]

    def narrative(self, lang: str = "en") -> list[str]:
        """G from the first to the last year; the average shares of Gw, Gnb, Gt; the widest pair of groups."""
        df = self.to_frame().set_index("year")
        y0, y1 = int(df.index[0]), int(df.index[-1])
        shares = df[["share:Gw", "share:Gnb", "share:Gt"]].mean()
        main = shares.idxmax()[6:]
        g0, g1 = df["G"].iloc[0], df["G"].iloc[-1]
        b = df[[f"Gjh:{j}-{h}" for j, h in self.pairs]].mean()
        w = df[[f"Gjj:{g}" for g in self.groups]].mean()

        def pair(c: str) -> str:
            return self._pair_label(c, lang)

        if lang == "zh":
            out = [f"总体基尼系数由 {y0} 年的 {num(g0)} {'下降' if g1 < g0 else '上升'}至 {y1} 年的 {num(g1)}。",
                   f"平均贡献率:区域内差异 {pct(shares['share:Gw'])}、区域间净差异 {pct(shares['share:Gnb'])}、"
                   f"超变密度 {pct(shares['share:Gt'])};差异的主要来源是{t(main, lang)}。"]
            if len(b):
                out.append(f"区域间差异最大的是{pair(b.idxmax())}(平均 {num(b.max())}),最小的是{pair(b.idxmin())}"
                           f"(平均 {num(b.min())})。")
            if len(w):
                out.append(f"区域内差异最大的是{self._gname(w.idxmax(), lang)}({num(w.max())})。")
            return out + self._extra_lines(lang)
        out = [f"The overall Gini ratio {'fell' if g1 < g0 else 'rose'} from {num(g0)} in {y0} to {num(g1)} in {y1}.",
               f"On average the within-region part contributes {pct(shares['share:Gw'])}, the net between-region "
               f"part {pct(shares['share:Gnb'])} and transvariation {pct(shares['share:Gt'])}: the main source of "
               f"disparity is {t(main, lang).lower()}."]
        if len(b):
            out.append(f"The widest gap between regions is {pair(b.idxmax())} (mean Gjh {num(b.max())}); the narrowest "
                       f"{pair(b.idxmin())} ({num(b.min())}).")
        if len(w):
            out.append(f"Inequality within a region is highest in the {self._gname(w.idxmax(), lang)} "
                       f"(mean Gjj {num(w.max())}).")
        return out + self._extra_lines(lang)

    def _extra_lines(self, lang: str) -> list[str]:
        """What the grouping adds: single-member groups (within-group Gini 0) and the grouping's notes."""
        out = [_single_text(self.single, lang, lambda g: self.group_label(g, lang))] if self.single else []
        return out + list(self.notes)

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Contributions (%) of the within, net between and transvariation parts to G by year, G on the right."""
        df = self.to_frame().set_index("year")
        fig, ax = figure_axes(ax, (4.8, 3.2))
        bottom = np.zeros(len(df))
        x = np.arange(len(df))
        for key, color in _PART_COLORS.items():
            v = df[f"share:{key}"].to_numpy(dtype=float) * 100
            ax.bar(x, v, bottom=bottom, color=color, width=0.7, label=t(key, lang), edgecolor="white",
                   linewidth=0.3)
            bottom += v
        ax.set_xticks(x, labels=[str(y) for y in df.index], rotation=45 if len(df) > 8 else 0)
        ax.set_ylim(0, 100)
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(f"{t('contribution', lang)} (%)")
        ax2 = ax.twinx()
        ax2.plot(x, df["G"].to_numpy(dtype=float), color="#000000", marker="o", markersize=2.5, label=t("G", lang))
        ax2.set_ylabel(t("G", lang))
        ax2.spines["right"].set_visible(True)
        ax2.set_ylim(0, max(0.05, float(df["G"].max()) * 1.25))
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4)
        return fig

    def contributions_figure(self, lang: str = "en") -> Any:
        """Stacked contributions (%) of Gw, Gnb, Gt by year, with G on a second axis (plotly)."""
        import plotly.graph_objects as go

        df = self.to_frame()
        fig = go.Figure()
        for k, c in _PART_COLORS.items():
            fig.add_trace(go.Bar(x=df["year"], y=100 * df[f"share:{k}"], name=t(k, lang), marker_color=c,
                                 hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>"))
        fig.add_trace(go.Scatter(x=df["year"], y=df["G"], name=t("G", lang), yaxis="y2", mode="lines+markers",
                                 line={"color": "#000"}, hovertemplate="%{x}: %{y:.4f}<extra>G</extra>"))
        fig.update_layout(barmode="stack", height=440, xaxis={"title": t("year", lang), "dtick": 1},
                          yaxis={"title": f"{t('contribution', lang)} (%)", "range": [0, 100]},
                          yaxis2={"title": t("G", lang), "overlaying": "y", "side": "right",
                                  "range": [0, float(df["G"].max()) * 1.25]},
                          legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 60, "t": 20, "b": 60})
        return fig

    def lines_figure(self, lang: str = "en") -> Any:
        """Within-group (Gjj) and between-group (Gjh) Gini ratios by year (plotly, two panels)."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        df = self.to_frame()
        fig = make_subplots(rows=1, cols=2, subplot_titles=(t("Gw", lang), t("Gnb", lang)), horizontal_spacing=0.1)
        for g in self.groups:
            fig.add_trace(go.Scatter(x=df["year"], y=df[f"Gjj:{g}"], mode="lines+markers",
                                     name=self.group_label(g, lang), line={"color": REGION_COLORS.get(str(g))},
                                     legendgroup="w"), 1, 1)
        for k, (a, b) in enumerate(self.pairs):
            fig.add_trace(go.Scatter(x=df["year"], y=df[f"Gjh:{a}-{b}"], mode="lines+markers",
                                     line={"color": OKABE_ITO[k % len(OKABE_ITO)], "dash": "dot"},
                                     name=f"{self.group_label(a, lang)}–{self.group_label(b, lang)}",
                                     legendgroup="b"), 1, 2)
        fig.update_layout(height=420, margin={"l": 60, "r": 20, "t": 40, "b": 50}, legend={"font": {"size": 11}})
        fig.update_xaxes(dtick=1, title=t("year", lang))
        fig.update_yaxes(title=t("gini", lang), col=1)
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """The contributions by year and the within / between Gini ratios by year."""
        return [self.contributions_figure(lang), self.lines_figure(lang)]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The sentences on G and its sources, and both figures (the per-year table is in the workbook)."""
        return [Text(tuple(self.narrative(ctx.lang))), *(Figure(f) for f in self.figures(ctx.lang))]


def _single_text(groups: list[Hashable], lang: str, name: Any) -> str:
    """The sentence that names the single-member groups (Dagum's within-group Gini of one member is 0)."""
    if lang == "zh":
        return f"仅含 1 个单元的组（{'、'.join(name(g) for g in groups)}）组内基尼系数为 0（组内无单元对）。"
    return (f"Group(s) with one member ({', '.join(name(g) for g in groups)}): their within-group Gini is 0 "
            "(no pair inside the group).")


def _resolve_groups(units: list[Hashable], groups: Any) -> dict[Hashable, Hashable]:
    """Map each unit to its group: a Grouping, a dict / Series, or the official four regions for provinces."""
    if isinstance(groups, Grouping):
        mapping: Mapping[Hashable, Hashable] = groups.mapping
    elif groups is None:
        try:
            mapping = resolve_groups(None, [str(u) for u in units], kind="other").mapping
        except DataError:
            raise DataError(
                f"units are not provinces (e.g. {plain(units[0])!r}); pass groups= a dict or Series unit -> group"
            ) from None
    elif isinstance(groups, pd.Series):
        if groups.index.has_duplicates:
            d = groups.index[groups.index.duplicated()][0]
            raise DataError(f"groups lists unit {plain(d)!r} more than once")
        mapping = groups.to_dict()
    elif isinstance(groups, Mapping):
        mapping = groups
    else:
        raise DataError(f"groups must be a dict or Series unit -> group, got {type(groups).__name__}")
    missing = [u for u in units if u not in mapping or pd.isna(mapping[u])]
    if missing:
        raise DataError(
            f"unit(s) without a group: {', '.join(repr(plain(u)) for u in missing[:10])}"
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            + "; add them to groups"
        )
    return {u: mapping[u] for u in units}


def dagum_gini_by_year(
    result: Any,
    groups: Grouping | Mapping[Hashable, Hashable] | pd.Series | None = None,
    *,
    column: str = "score",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
) -> DagumByYear:
    """Dagum Gini decomposition (Dagum 基尼系数分解) of each year of an IndexResult or a tidy frame.

    Dagum, C. (1997), Empirical Economics 22:515-531.

    ``groups`` maps unit -> group (dict or Series); by default provinces get the official four
    regions (East, Central, West, Northeast; ``nqpf.datasets.province_regions()``). ``bootstrap``
    resamples units within groups, independently in each year, from one generator seeded by ``seed``.

    Parameters
    ----------
    result : an IndexResult or a tidy frame (unit, year, ``column``), n_units × n_years rows.
    groups : a :class:`~nqpf.core.groups.Grouping` (its labels name the groups in the output), or unit -> group;
        default the four regions of China's provinces. A group of one unit has within-group Gini 0 (said in
        the summary and narrative).
    column, bootstrap, seed, level : the value column and the bootstrap (see :func:`dagum_gini`).

    Returns
    -------
    DagumByYear : one DagumResult per year; ``to_frame()`` one row per year (G, Gw, Gnb, Gt, shares, Gjj, Gjh).

    Examples
    --------
    >>> f = pd.DataFrame({"unit": list("abcdef") * 2, "year": [2020] * 6 + [2021] * 6,
    ...                   "score": [1.0, 2, 3, 4, 5, 6, 2, 2, 3, 4, 4, 5]})
    >>> d = dagum_gini_by_year(f, {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y", "f": "y"})
    >>> d.to_frame()["G"].round(4).tolist(), d.to_frame()["Gt"].tolist()
    ([0.2778, 0.1833], [0.0, 0.0])
    """
    frame = panel_frame(result, column)
    units = list(dict.fromkeys(frame["unit"]))
    member = _resolve_groups(units, groups)
    frame = frame.assign(group=frame["unit"].map(member))
    # fixed reporting order across years: ascending pooled group mean
    pooled = frame.groupby("group", sort=False)["value"].mean().sort_values(kind="stable")
    order = list(pooled.index)
    pairs = [(order[a], order[c]) for a in range(len(order) - 1, -1, -1) for c in range(a - 1, -1, -1)]
    rng = generator(seed)
    results: dict[int, DagumResult] = {}
    cis = []
    for year, sub in frame.groupby("year", sort=True):
        r = _dagum(sub["value"].to_numpy(), sub["group"].to_numpy(), bootstrap=bootstrap, seed=rng,
                   level=level, names=sub["unit"].to_numpy(), where=f"year {year}")
        results[int(year)] = r
        if r.ci is not None:
            rename = {f"Gjh:{h}-{j}": f"Gjh:{j}-{h}" for j, h in pairs}
            cis.append(r.ci.assign(year=int(year), term=r.ci["term"].replace(rename)))
    ci = None
    if cis:
        ci = pd.concat(cis, ignore_index=True)
        ci = ci[["year", *[c for c in ci.columns if c != "year"]]]
    g = groups if isinstance(groups, Grouping) else None
    return DagumByYear(results=results, groups=order, pairs=pairs, membership=member, column=column, ci=ci,
                       labels={k: v for k, v in g.labels.items() if k in set(order)} if g else {},
                       grouping=g.name if g else None, notes=list(g.notes) if g else [])


# ---------------------------------------------------------------------------------------------
# study file: [analyses.dagum]
# ---------------------------------------------------------------------------------------------
class DagumOptions(Options):
    """``[analyses.dagum]``: the index, bootstrap replications and seed, and the groups: the label of a
    ``[groups.*]`` entry, a bundled set (region4, region3, province, city_cluster, yangtze_belt, yellow_river,
    south_north), an inline table unit = group, or none (the unit kind's default grouping)."""

    index: str | None = None
    bootstrap: int = 0
    seed: int = 0
    groups: str | dict[str, str] | None = None


_GINI = "$G = \\sum_j\\sum_h\\sum_i\\sum_r |y_{ji} - y_{hr}|/(2n^2\\bar y)$"


def _dagum_methods(res: DagumByYear, opts: DagumOptions, lang: str) -> str:
    c = cite(("dagum1997",), lang)
    # the four regions keep their keys (East, Central …) as before; other groupings are named by their labels
    named = res.grouping is not None and res.grouping != "region4"
    names = [res.group_label(g, lang) if named else str(g) for g in res.groups]
    gtxt = f" ({', '.join(names)})" if res.groups else ""
    one = [res.group_label(g, lang) for g in res.single]
    if lang == "zh":
        return (f"采用 Dagum 基尼系数{c}逐年测度区域差异，{_GINI}，"
                f"并按组{gtxt}精确分解为区域内差异 $G_w$、区域间净差异 $G_{{nb}}$ 与超变密度 $G_t$。"
                + (f"{'、'.join(one)}仅含 1 个单元，其组内基尼系数为 0。" if one else ""))
    return (f"Regional disparity was measured by the Dagum Gini coefficient{c} of each year, {_GINI}, decomposed "
            f"exactly into within-group ($G_w$), net between-group ($G_{{nb}}$) and transvariation ($G_t$) parts by "
            f"groups{gtxt}." + (f" {', '.join(one)} has one member: its within-group Gini is 0." if one else ""))


@register_analysis("dagum", options=DagumOptions, result=DagumByYear, section="disparity", order=10,
                   label=("区域差异：Dagum 基尼系数及其分解", "Regional disparity: Dagum Gini decomposition"),
                   refs=("dagum1997",), methods=_dagum_methods)
def _study_dagum(ctx: StudyContext, opts: DagumOptions) -> DagumByYear:
    _, res = ctx.index(opts.index)
    grouping = ctx.groups(opts.groups, [str(u) for u in res.units])
    return dagum_gini_by_year(res, groups=grouping, bootstrap=opts.bootstrap, seed=opts.seed)
