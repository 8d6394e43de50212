"""Method sensitivity (方法敏感性分析): rankings under every weighting × aggregation compared.

Spearman (1904), Am. J. Psychol. 15(1), 72-101; Kendall (1945), Biometrika 33(3), 239-251 (τ-b). Every
combination is measured by the one engine (:class:`nqpf.pipeline.Pipeline`) on the result's indicator values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.uncertainty.common import ranks_min
from nqpf.core.errors import DataError, MethodError, NqpfError
from nqpf.core.framework import Framework
from nqpf.core.i18n import num, t
from nqpf.core.interface import Result
from nqpf.measure import measure
from nqpf.methods.registry import AGGREGATIONS, WEIGHTINGS
from nqpf.pipeline import Layout, Pipeline
from nqpf.result import IndexResult

__all__ = ["DEFAULT_AGGREGATIONS", "DEFAULT_WEIGHTINGS", "MethodSensitivity", "method_sensitivity"]

DEFAULT_WEIGHTINGS = ("entropy", "global_entropy", "critic", "cv", "equal", "combined")
DEFAULT_AGGREGATIONS = ("weighted_sum", "topsis", "gra")


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

    def _summary_lines(self, lang: str) -> list[str]:
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
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """The lowest and the mean off-diagonal correlation between methods."""
        c = self.correlation.to_numpy(dtype=float)
        n = c.shape[0]
        if n < 2:
            return []
        iu = np.triu_indices(n, 1)
        vals = c[iu]
        k = int(np.nanargmin(vals))
        a, b = self.correlation.index[iu[0][k]], self.correlation.columns[iu[1][k]]
        if lang == "zh":
            return [f"{n} 种方法得分的两两相关系数均值 {num(np.nanmean(vals), 3)}，最低为 {a} 与 {b}"
                    f"（{num(vals[k], 3)}）。"]
        return [f"Across {n} methods the pairwise correlations average {num(np.nanmean(vals), 3)}; the lowest is "
                f"{a} vs {b} ({num(vals[k], 3)})."]

    def figures(self, lang: str = "en") -> list[Any]:
        """Method × method Spearman correlation heat map."""
        import plotly.graph_objects as go

        corr = self.correlation
        z = corr.to_numpy(dtype=float)
        fig = go.Figure(go.Heatmap(z=z, x=list(corr.columns), y=list(corr.index), colorscale="Cividis",
                                   zmin=min(0.0, float(np.nanmin(z))), zmax=1, text=np.round(z, 3),
                                   texttemplate="%{text:.2f}", colorbar={"title": {"text": t("correlation", lang)}}))
        fig.update_layout(height=max(380, 34 * len(corr) + 160), yaxis={"autorange": "reversed"},
                          margin={"l": 160, "r": 20, "t": 20, "b": 140})
        return [fig]


def method_sensitivity(
    source: Any,
    framework: Framework | None = None,
    weightings: Sequence[str] = DEFAULT_WEIGHTINGS,
    aggregations: Sequence[str] = DEFAULT_AGGREGATIONS,
    **measure_kwargs: Any,
) -> MethodSensitivity:
    """Method sensitivity (方法敏感性分析): measure under every weighting × aggregation, compare ranks.

    Spearman (1904), Am. J. Psychol. 15(1), 72-101; Kendall (1945), Biometrika 33(3), 239-251.

    ``source`` is an IndexResult (``framework`` None): its indicator values are re-measured by the
    measurement engine with its own settings, changing only the weighting and the aggregation; or a panel
    with a ``framework``, measured first by :func:`nqpf.measure.measure` with ``measure_kwargs``
    (normalization, scope, years, units, ...). ``combined`` (and ``ahp``) run only when the framework has an
    AHP matrix at every node with two or more children; otherwise they are skipped and the notes say so.
    ``entropy`` is per-cross-section entropy (weights per year, TOPSIS ideals / GRA reference per year; flat
    tree only). A combination the engine rejects is skipped with the reason in ``skipped``.

    Parameters
    ----------
    source : IndexResult, or a Panel (with ``framework``).
    weightings, aggregations : registry keys to combine.

    Returns
    -------
    MethodSensitivity.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> ms = method_sensitivity(res, weightings=["global_entropy", "critic"], aggregations=["weighted_sum"])
    >>> ms.methods
    ['global_entropy+weighted_sum', 'critic+weighted_sum']
    """
    weightings = [weightings] if isinstance(weightings, str) else list(weightings)
    aggregations = [aggregations] if isinstance(aggregations, str) else list(aggregations)
    for name, vals, options in (("weightings", weightings, WEIGHTINGS.names()),
                                ("aggregations", aggregations, AGGREGATIONS.names())):
        if not vals:
            raise MethodError(f"{name} is empty; give at least one of {list(options)}")
        unknown = [v for v in vals if v not in options]
        if unknown:
            raise MethodError(f"{name}: unknown {unknown}; use some of {list(options)}")
    if isinstance(source, IndexResult):
        if framework is not None:
            raise MethodError("pass either an IndexResult (framework=None) or a panel and a framework")
        result = source
    elif framework is None:
        raise MethodError("framework is required when the source is a Panel")
    else:
        for bad in ("weighting", "aggregation"):
            if bad in measure_kwargs:
                raise MethodError(f"do not pass {bad}=; method_sensitivity varies it (use {bad}s=[...])")
        result = measure(source, framework, **measure_kwargs)
    for bad in ("weighting", "aggregation"):
        if bad in measure_kwargs:
            raise MethodError(f"do not pass {bad}=; method_sensitivity varies it (use {bad}s=[...])")
    fw = result.framework
    base = result.settings_object()
    X = result.values.to_numpy(dtype=float)
    layout = Layout.of(result.values.index.get_level_values("year").to_numpy().astype(int))
    notes: list[str] = []
    skipped: dict[str, str] = {}
    mats = fw.ahp_matrices()
    has_ahp = all(len(fw.children(n.id)) < 2 or n.id in mats for n in fw.nodes)
    frames = []
    wcols: dict[str, pd.Series] = {}
    table = []
    for w in dict.fromkeys(weightings):
        if w in ("combined", "ahp") and not has_ahp:
            skipped[w] = "the framework has no AHP pairwise matrix at every node with two or more children"
            continue
        if w == "entropy":
            notes.append("'entropy' = per-cross-section entropy: weights estimated within each year on the "
                         f"{base.scope}-normalised matrix; TOPSIS ideals and the "
                         "GRA reference are then per year too.")
        for a in dict.fromkeys(aggregations):
            label = f"{w}+{a}"
            try:
                fit = Pipeline(fw, base.replace(weighting=w, aggregation=a, allow_inconsistent_ahp=True)).fit(X, layout)
            except NqpfError as exc:
                skipped[label] = str(exc)
                continue
            frames.append(pd.DataFrame({"unit": result.values.index.get_level_values("unit"),
                                        "year": layout.years, "score": fit.target, "method": label}))
            table.append({"method": label, "weighting": w, "aggregation": a})
            wcols.setdefault(w, pd.Series(fit.weights, index=fw.indicator_ids))
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
    R = np.column_stack([ranks_min(S[:, c], yrs) for c in range(len(methods))])
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
