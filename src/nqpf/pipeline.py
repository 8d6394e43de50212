"""The measurement engine (测度引擎): one pipeline — normalise, weight at every level of the tree, aggregate.

:class:`Pipeline` is built from a framework and :class:`~nqpf.settings.MeasureSettings`; :meth:`Pipeline.fit`
measures a matrix of indicator values and returns a :class:`Fit` that holds everything the measurement
estimated (normalisation parameters, weights, TOPSIS ideals / GRA references) and can score other values
with those frozen (:meth:`Fit.transform`). The same code serves :func:`nqpf.measure.measure`, ``rescore``
(scenarios), the Monte Carlo weight draws, the bootstrap (a batch of resampled matrices) and
leave-one-out: the kernels of :mod:`nqpf.methods` accept leading batch dimensions, so ``X`` may be one
matrix (N, m) or a stack (..., N, m) — a bootstrap is the same code on a stack of matrices.

Rows are unit-years grouped by year in contiguous blocks (:class:`Layout`); per-year operations (per-year
normalisation, per-cross-section entropy weights, per-year TOPSIS ideals) work block by block, and on a
balanced panel all blocks at once.

``strict=True`` (what ``measure()`` uses) raises an error naming the indicator and the year for a
degenerate input (a constant column, an undefined TOPSIS closeness); ``strict=False`` (the resampling
analyses) flags the matrices of the batch that are degenerate in :attr:`Fit.bad` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nqpf.core.errors import FrameworkError, MethodError, NqpfError
from nqpf.core.framework import Framework
from nqpf.methods import weights as wt
from nqpf.methods.normalize import Directions, apply_params, degenerate, fit_params
from nqpf.methods.normalize import _constant_message as constant_message
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, WEIGHTINGS, method, register
from nqpf.settings import MeasureSettings

__all__ = ["Fit", "Layout", "Pipeline"]

FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# techniques of a measurement (citable, with methods.md prose)
# ---------------------------------------------------------------------------------------------
def _scope_prose(facts: Mapping[str, Any], lang: str) -> str:
    return ""  # the normalisation's own paragraph says where the bounds come from


register("technique", "pooled", label=("全局（跨年可比）标准化", "pooled (time-comparable) normalisation"),
         refs=("oecd2008",), page="normalization", prose=_scope_prose)(None)  # type: ignore[arg-type]
register("technique", "per_year", label=("逐年（截面）标准化", "per-year (cross-section) normalisation"),
         refs=("oecd2008",), page="normalization", prose=_scope_prose)(None)  # type: ignore[arg-type]


def _hierarchical_prose(facts: Mapping[str, Any], lang: str) -> str:
    if lang == "zh":
        return ("权重逐层计算：每个节点下级要素的权重由下级要素（指标或下级子指数）矩阵求得，"
                "指标的全局权重为其到目标层路径上各级权重之积。")
    return ("Weights were computed level by level: the weights of a node's children come from the matrix of "
            "the children (indicators, or the sub-indices of lower nodes), and an indicator's global weight is "
            "the product of the weights on its path to the target.")


def _flat_prose(facts: Mapping[str, Any], lang: str) -> str:
    return ("权重对全部指标一次性计算，各维度权重为其所含指标权重之和。" if lang == "zh" else
            "Weights were computed once over all indicators; the weight of a dimension is the sum of the weights "
            "of its indicators.")


register("technique", "hierarchical", label=("逐层赋权", "hierarchical (level-by-level) weighting"),
         page="tree", prose=_hierarchical_prose)(None)  # type: ignore[arg-type]
register("technique", "flat", label=("全部指标一次赋权", "weights over all indicators at once"),
         page="tree", prose=_flat_prose)(None)  # type: ignore[arg-type]
register("technique", "combined_game", label=("博弈论组合赋权", "game-theory combination of weights"),
         refs=("lai2015",), page="combined")(None)  # type: ignore[arg-type]


def _subindex_prose(facts: Mapping[str, Any], lang: str) -> str:
    if lang == "zh":
        return ("各维度子指数采用相同的集成方法，仅对其所含指标计算，权重重新归一化使之和为 1，"
                "因此维度得分与总指数同一量纲。")
    return ("Each dimension's sub-index is the same aggregation of its own indicators with their weights rescaled "
            "to sum to one, so dimension scores are on the same scale as the index.")


register("technique", "subindices", label=("分维度子指数", "dimension sub-indices"), page="tree",
         prose=_subindex_prose)(None)  # type: ignore[arg-type]


def index_method_keys(settings: Mapping[str, Any], framework: Framework | None = None) -> list[str]:
    """The registry keys of the methods and techniques one measurement used, in the order methods.md
    describes them (normalisation, interval indicators, scope, weighting, tree, aggregation, sub-indices).

    Examples
    --------
    >>> index_method_keys({"normalization": "minmax", "scope": "pooled", "weighting": "critic",
    ...                    "aggregation": "topsis", "tree": "flat"})
    ['minmax', 'pooled', 'critic', 'flat', 'topsis', 'subindices']
    """
    settings = {**MeasureSettings().to_dict(), **settings}  # the defaults, written once in MeasureSettings
    keys = [settings["normalization"]]
    if keys[0] == "minmax" and framework is not None and any(i.direction == "interval"
                                                             for i in framework.indicators):
        keys.append("interval")
    keys.append("per_year" if settings["scope"] == "per_year" else "pooled")
    weighting = settings["weighting"]
    if weighting == "combined":
        comb = settings.get("combined") or {}
        keys += ["ahp", comb.get("objective") or settings["objective"], "combined"]
        if (comb.get("how") or settings["combine"]) == "game":
            keys.append("combined_game")
    else:
        keys.append(weighting)
    if weighting not in ("ahp", "combined"):  # AHP's own paragraph says that its weights go down the tree
        keys.append("hierarchical" if settings["tree"] == "hierarchical" else "flat")
    keys += [settings["aggregation"], "subindices"]
    return list(dict.fromkeys(keys))


def methods_paragraphs(settings: Mapping[str, Any], lang: str, framework: Framework | None = None,
                       **facts: Any) -> list[str]:
    """The methods.md paragraphs of one measurement, from the method registry (``facts``: n_rows, …)."""
    merged = {**MeasureSettings().to_dict(), **settings, **facts}
    out = []
    for key in index_method_keys(settings, framework):
        text = method(key).text(merged, lang)
        if text:
            out.append(text)
    return out


# ---------------------------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """The rows of a panel matrix: one year per row, each year's rows one contiguous block.

    Examples
    --------
    >>> lay = Layout.of([2020, 2020, 2021, 2021])
    >>> lay.year_list, lay.equal
    ([2020, 2021], True)
    """

    years: NDArray[np.int64]
    year_list: list[int]
    starts: NDArray[np.intp]
    stops: NDArray[np.intp]

    @classmethod
    def of(cls, years: Sequence[int] | NDArray[Any]) -> Layout:
        """The layout of rows with these years (rows must be sorted so that each year is one block)."""
        y = np.asarray(years, dtype=np.int64)
        if y.ndim != 1 or y.size == 0:
            raise MethodError("the layout needs one year per row (a non-empty 1-D array)")
        change = np.flatnonzero(np.diff(y)) + 1
        starts = np.r_[0, change].astype(np.intp)
        stops = np.r_[change, y.size].astype(np.intp)
        ylist = [int(v) for v in y[starts]]
        if len(set(ylist)) != len(ylist):
            raise MethodError("rows must be ordered by year (each year one contiguous block)")
        return cls(y, ylist, starts, stops)

    @property
    def n_rows(self) -> int:
        return int(self.years.size)

    @property
    def blocks(self) -> list[slice]:
        return [slice(int(a), int(b)) for a, b in zip(self.starts, self.stops, strict=True)]

    @property
    def equal(self) -> bool:
        """All years have the same number of rows (then blocks are a reshape, not a loop)."""
        return bool((self.stops - self.starts == self.stops[0] - self.starts[0]).all())

    def groups(self, per_year: bool) -> list[slice]:
        """Row groups: every year's block (``per_year``), or all rows as one group."""
        return self.blocks if per_year else [slice(0, self.n_rows)]


# ---------------------------------------------------------------------------------------------
# the pipeline
# ---------------------------------------------------------------------------------------------
@dataclass
class Fit:
    """What a pipeline estimated on ``X`` (batch shape ``B = X.shape[:-2]``) and the scores it gave.

    Attributes
    ----------
    params : the normalisation parameters (a, b), each (*B, G, m) with G = 1 (pooled) or the number of years.
    weights : leaf (indicator) weights (*B, m); per-cross-section entropy: the mean of ``weights_by_year``.
    weights_by_year : (*B, T, m) for per-cross-section entropy weights, else None.
    refs : node id -> per aggregation group the reference points (TOPSIS ideals, GRA reference).
    Z : the normalised matrix (*B, N, m).
    scores : node id -> scores (*B, N) (the target and every inner node).
    bad : (*B,) degenerate matrices (never set under ``strict``).
    info : AHP consistency ratios and combination coefficients (for provenance).
    """

    pipeline: Pipeline
    layout: Layout
    params: tuple[FloatArray, FloatArray]
    weights: FloatArray
    weights_by_year: FloatArray | None
    refs: dict[str, list[tuple[FloatArray, ...]]]
    Z: FloatArray
    scores: dict[str, FloatArray]
    bad: NDArray[np.bool_]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> FloatArray:
        """The index (*B, N)."""
        return self.scores[self.pipeline.framework.target.id]

    def transform(self, X: FloatArray) -> tuple[FloatArray, dict[str, FloatArray]]:
        """Normalise and score new values of the same rows with everything held fixed (scenarios).

        Values outside the fitted bounds score beyond [0, 1]; TOPSIS ideals and the GRA reference are those
        of the fit. Returns (Z, scores by node).
        """
        p = self.pipeline
        Z = p.apply(X, self.layout, self.params)
        return Z, p.aggregate_all(Z, self.layout, self.weights, self.weights_by_year, self.refs)[0]


class Pipeline:
    """One measurement (see the module docstring): a framework's tree and directions, and the settings.

    Parameters
    ----------
    framework : the indicator tree (directions, best intervals, AHP matrices).
    settings : MeasureSettings (or None for the defaults).
    strict : raise errors naming indicators and years (``measure()``), else flag degenerate matrices.

    Examples
    --------
    >>> from nqpf.core.framework import Framework
    >>> from nqpf.frameworks.schema import parse_framework_text
    >>> fw = Framework(parse_framework_text('''
    ... name: tiny
    ... title: {zh: 小, en: tiny}
    ... target:
    ...   id: T
    ...   name_zh: 总
    ...   name_en: total
    ...   indicators:
    ...     - {id: a, name_zh: 甲, name_en: a, unit: "1", direction: positive}
    ...     - {id: b, name_zh: 乙, name_en: b, unit: "1", direction: negative}
    ... '''))
    >>> fit = Pipeline(fw).fit(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), Layout.of([2020] * 3))
    >>> fit.target.round(4).tolist()
    [0.0001, 0.5001, 1.0001]
    """

    def __init__(self, framework: Framework, settings: MeasureSettings | None = None, *,
                 strict: bool = True) -> None:
        s = settings if settings is not None else MeasureSettings()
        self.framework = framework
        self.settings = s
        self.strict = strict
        inds = framework.indicators
        self.ids = framework.indicator_ids
        self.dirs = Directions(
            positive=np.array([i.direction != "negative" for i in inds]),
            interval=np.array([i.direction == "interval" for i in inds]),
            best_low=np.array([i.best[0] if i.best else 0.0 for i in inds], dtype=float),
            best_high=np.array([i.best[1] if i.best else 0.0 for i in inds], dtype=float),
        )
        if s.normalization != "minmax" and self.dirs.interval.any():
            raise MethodError(f"{s.normalization} normalisation does not support interval indicators; use minmax")
        NORMALIZATIONS[s.normalization]
        self.weighting = WEIGHTINGS[s.weighting]
        self.aggregator = AGGREGATIONS[s.aggregation].engine
        if self.weighting.per_year and s.tree != "flat":
            raise NqpfError("per-cross-section entropy weighting is flat; use tree='flat' or global_entropy")
        col = {i: j for j, i in enumerate(self.ids)}
        self.col = col
        #: post-order: (node, [(child, column or None)])
        self.plan: list[tuple[str, list[tuple[str, int | None]]]] = []

        def visit(node_id: str) -> None:
            kids = framework.children(node_id)
            for k in kids:
                if k not in col:
                    visit(k)
            self.plan.append((node_id, [(k, col.get(k)) for k in kids]))

        visit(framework.target.id)
        self.leaves = {n.id: np.array([col[i] for i in framework.leaves(n.id)]) for n in framework.nodes}
        self.info: dict[str, Any] = {}
        self.subjective: FloatArray | None = None
        if s.weighting in ("ahp", "combined"):
            self.subjective = self._ahp_weights()

    # -- normalisation ---------------------------------------------------------------------------
    def _groups(self, layout: Layout) -> list[slice]:
        return layout.groups(self.settings.scope == "per_year")

    def normalize_params(self, X: FloatArray, layout: Layout) -> tuple[FloatArray, FloatArray]:
        """Normalisation parameters (*B, G, m) over each group of rows (pooled: one group)."""
        kind = self.settings.normalization
        groups = self._groups(layout)
        if len(groups) > 1 and layout.equal:
            T = len(groups)
            Xr = X.reshape(*X.shape[:-2], T, layout.n_rows // T, X.shape[-1])
            return fit_params(kind, Xr)
        pairs = [fit_params(kind, X[..., g, :]) for g in groups]
        return np.stack([p[0] for p in pairs], axis=-2), np.stack([p[1] for p in pairs], axis=-2)

    def apply(self, X: FloatArray, layout: Layout, params: tuple[FloatArray, FloatArray]) -> FloatArray:
        """Normalise ``X`` (*B, N, m) with per-group parameters (*B, G, m)."""
        kind = self.settings.normalization
        groups = self._groups(layout)
        a, b = params
        if len(groups) == 1:
            return apply_params(kind, X, a[..., 0, :], b[..., 0, :], self.dirs, self.settings.shift)
        if layout.equal:
            T = len(groups)
            Xr = X.reshape(*X.shape[:-2], T, layout.n_rows // T, X.shape[-1])
            return apply_params(kind, Xr, a, b, self.dirs, self.settings.shift).reshape(X.shape)
        Z = np.empty_like(X)
        for t, g in enumerate(groups):
            Z[..., g, :] = apply_params(kind, X[..., g, :], a[..., t, :], b[..., t, :], self.dirs,
                                        self.settings.shift)
        return Z

    def _check_params(self, params: tuple[FloatArray, FloatArray], layout: Layout, bad: NDArray[np.bool_]) -> None:
        kind = self.settings.normalization
        deg = degenerate(kind, params[0], params[1], self.dirs)  # (*B, G, m)
        if not deg.any():
            return
        if self.strict:
            g, j = (int(v) for v in np.argwhere(deg.reshape(-1, deg.shape[-2], deg.shape[-1])[0])[0])
            where = "" if deg.shape[-2] == 1 else f" in {layout.year_list[g]}"
            a = params[0].reshape(-1, *params[0].shape[-2:])[0][g]
            b = params[1].reshape(-1, *params[1].shape[-2:])[0][g]
            raise MethodError(f"{kind} normalisation{where}: indicator '{self.ids[j]}': "
                              + constant_message(kind, j, a, b), column=j)
        bad |= deg.any(axis=(-2, -1))

    # -- weights ---------------------------------------------------------------------------------
    def _ahp_weights(self) -> FloatArray:
        """Global AHP weights: principal eigenvectors multiplied down the tree (Saaty 1977)."""
        mats = self.framework.ahp_matrices()
        local: dict[str, FloatArray] = {}
        crs: dict[str, float] = {}
        for node, kids in self.plan:
            if len(kids) == 1:
                local[node] = np.ones(1)
                continue
            if node not in mats:
                raise FrameworkError(
                    f"framework '{self.framework.name}': node '{node}' has no 'ahp' pairwise matrix; AHP weighting "
                    "needs one at every node with two or more children")
            try:
                w, cr = wt.ahp(np.array(mats[node]), allow_inconsistent=self.settings.allow_inconsistent_ahp)
            except MethodError as exc:
                raise MethodError(f"AHP matrix of node '{node}': {exc}", exc.column, exc.row) from None
            local[node] = w
            crs[node] = float(cr)
        if crs:
            self.info["ahp_cr"] = crs
        return self._down({k: v for k, v in local.items()}, ())

    def _down(self, local: Mapping[str, FloatArray], batch: tuple[int, ...]) -> FloatArray:
        """Global leaf weights (*B, m) from local weights per node (*B, k), multiplied down the tree."""
        out = np.empty((*batch, len(self.ids)))
        kids_of = dict(self.plan)

        def down(node: str, g: FloatArray | float) -> None:
            for i, (k, c) in enumerate(kids_of[node]):
                gi = g * local[node][..., i]
                if c is None:
                    down(k, gi)
                else:
                    out[..., c] = gi

        down(self.framework.target.id, 1.0)
        return out

    def _objective(self, key: str, M: FloatArray, Mx: FloatArray, bad: NDArray[np.bool_],
                   what: str = "") -> FloatArray:
        """Weights (*B, k) of an objective method on a batch of matrices (*B, n, k)."""
        spec = WEIGHTINGS[key]
        if spec.family != "objective":
            raise MethodError(f"'{key}' is not an objective weighting method; "
                              f"use one of {[k for k, v in WEIGHTINGS.items() if v.family == 'objective']}")
        A = Mx if spec.input == "raw" else M
        if self.strict and A.ndim == 2:
            try:
                return spec.kernel(A) if key != "equal" else spec.kernel(A.shape[-1])  # type: ignore[misc]
            except MethodError as exc:
                name = (self.ids[exc.column] if what == "" and exc.column is not None else None)
                head = f"{spec.label[1]}{what}: " + (f"indicator '{name}': " if name else "")
                raise MethodError(head + str(exc), exc.column, exc.row) from None
        W, b = spec.engine(A)
        bad |= b
        return W

    def _tree_objective(self, key: str, Z: FloatArray, X: FloatArray, bad: NDArray[np.bool_]) -> FloatArray:
        """Leaf weights from local objective weights at every node, bottom-up (children's own matrix)."""
        local: dict[str, FloatArray] = {}
        sub: dict[str, FloatArray] = {}
        for node, kids in self.plan:
            M = np.stack([Z[..., c] if c is not None else sub[k] for k, c in kids], axis=-1)
            Mx = np.stack([X[..., c] if c is not None else sub[k] for k, c in kids], axis=-1)
            if len(kids) == 1:
                w = np.ones((*Z.shape[:-2], 1))
            else:
                w = self._objective(key, M, Mx, bad, what=f" of the children of '{node}'")
            local[node] = w
            sub[node] = np.einsum("...rk,...k->...r", M, w)
        return self._down(local, Z.shape[:-2])

    def leaf_weights(self, Z: FloatArray, X: FloatArray, bad: NDArray[np.bool_],
                     info: dict[str, Any] | None = None) -> FloatArray:
        """Indicator weights (*B, m) of the settings' weighting (not per-cross-section); the combination's
        coefficients go to ``info``."""
        info = {} if info is None else info
        s = self.settings
        if s.weighting == "ahp":
            return np.broadcast_to(self.subjective, (*Z.shape[:-2], len(self.ids))).copy()  # type: ignore[arg-type]
        if s.weighting == "combined":
            o = (self._tree_objective(s.objective, Z, X, bad) if s.tree == "hierarchical"
                 else self._objective(s.objective, Z, X, bad))
            w, b, coef = wt._combine_batch(self.subjective, o, s.combine, s.alpha)  # type: ignore[arg-type]
            if self.strict and np.any(b):
                raise MethodError("combined weights: no indicator has both a subjective and an objective weight")
            bad |= b
            if not coef or Z.ndim > 2:
                info["combined"] = {"how": s.combine, "objective": s.objective, "subjective": "ahp"}
            else:
                info["combined"] = {"how": s.combine, "objective": s.objective, "subjective": "ahp",
                                         **{k: float(v) for k, v in coef.items() if not k.startswith("raw")}}
            return w
        if s.tree == "hierarchical":
            return self._tree_objective(s.weighting, Z, X, bad)
        return self._objective(s.weighting, Z, X, bad)

    def weights(self, Z: FloatArray, X: FloatArray, layout: Layout, bad: NDArray[np.bool_],
                info: dict[str, Any] | None = None) -> tuple[FloatArray, FloatArray | None]:
        """(leaf weights (*B, m), per-year weights (*B, T, m) or None)."""
        if not self.weighting.per_year:
            return self.leaf_weights(Z, X, bad, info), None
        per = []
        for t, g in enumerate(layout.blocks):
            per.append(self._objective(self.settings.weighting, Z[..., g, :], X[..., g, :], bad,
                                       what=f" in {layout.year_list[t]}"))
        W = np.stack(per, axis=-2)
        return W.mean(axis=-2), W

    # -- aggregation -----------------------------------------------------------------------------
    def aggregation_groups(self, layout: Layout, per_year_weights: bool) -> list[slice]:
        """Rows sharing TOPSIS ideals / the GRA reference: per year (per-year scope or weights), else all."""
        return layout.groups(self.settings.scope == "per_year" or per_year_weights)

    def aggregate_all(self, Z: FloatArray, layout: Layout, w: FloatArray, W_year: FloatArray | None,
                      refs: dict[str, list[tuple[FloatArray, ...]]] | None = None,
                      bad: NDArray[np.bool_] | None = None,
                      ) -> tuple[dict[str, FloatArray], dict[str, list[tuple[FloatArray, ...]]]]:
        """Scores of every node (target and inner nodes): its leaves aggregated with their weights
        renormalised to sum to 1; reference points from ``refs`` (frozen) or from each group's rows."""
        agg = self.aggregator
        rho = self.settings.rho
        groups = self.aggregation_groups(layout, W_year is not None)
        out: dict[str, FloatArray] = {}
        new_refs: dict[str, list[tuple[FloatArray, ...]]] = {}
        bad = np.zeros(Z.shape[:-2], dtype=bool) if bad is None else bad
        for node in self.framework.nodes:
            L = self.leaves[node.id]
            s = np.empty(Z.shape[:-1])
            new_refs[node.id] = []
            for t, g in enumerate(groups):
                wg = (W_year[..., t, :] if W_year is not None else w)[..., L]
                tot = wg.sum(axis=-1, keepdims=True)
                wg = np.where(tot > 0, wg / np.where(tot > 0, tot, 1.0), 1.0 / len(L))
                Zg = Z[..., g, :][..., L]
                ref = refs[node.id][t] if refs is not None else agg.reference(Zg)
                new_refs[node.id].append(ref)
                sg, b = agg(Zg, wg, ref, rho)
                if self.strict and np.any(b):
                    where = "" if len(groups) == 1 else f" in {layout.year_list[t]}"
                    raise MethodError(f"{AGGREGATIONS[self.settings.aggregation].label[1]}{where}: node '{node.id}': "
                                      "the score is undefined (every weighted indicator is constant, so each row "
                                      "coincides with both the ideal and the anti-ideal point); check the data")
                bad |= b
                s[..., g] = sg
            out[node.id] = s
        return out, (refs if refs is not None else new_refs)

    # -- the whole measurement -------------------------------------------------------------------
    def fit(self, X: FloatArray, layout: Layout) -> Fit:
        """Measure ``X`` (*B, N, m): normalise, weight, aggregate (see the module docstring)."""
        X = np.asarray(X, dtype=float)
        if X.shape[-1] != len(self.ids) or X.shape[-2] != layout.n_rows:
            raise MethodError(f"X has shape {X.shape}; expected (..., {layout.n_rows}, {len(self.ids)})")
        bad = np.zeros(X.shape[:-2], dtype=bool)
        if self.strict and not np.isfinite(X).all():
            i, j = (int(v) for v in np.argwhere(~np.isfinite(X.reshape(-1, *X.shape[-2:])[0]))[0])
            raise MethodError(f"indicator '{self.ids[j]}' has a missing or infinite value in row {i}; impute, "
                              "drop or winsorise it first", column=j, row=i)
        with np.errstate(divide="ignore", invalid="ignore"):
            params = self.normalize_params(X, layout)
            self._check_params(params, layout, bad)
            Z = self.apply(X, layout, params)
            info = dict(self.info)  # the AHP consistency ratios of the framework, then this fit's coefficients
            w, W_year = self.weights(Z, X, layout, bad, info)
            scores, refs = self.aggregate_all(Z, layout, w, W_year, bad=bad)
        bad |= ~np.isfinite(scores[self.framework.target.id]).all(axis=-1)
        return Fit(self, layout, params, w, W_year, refs, Z, scores, bad, info)
