"""IndexResult: what measure() returns, and what every analysis takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.framework import Framework
from nqpf.core.groups import Grouping, resolve_groups
from nqpf.core.i18n import t
from nqpf.core.interface import Result
from nqpf.core.provenance import Provenance
from nqpf.core.units import UNIT_KINDS, kind_words, region_key, unit_name
from nqpf.pipeline import Fit, Layout, Pipeline
from nqpf.settings import MeasureSettings
from nqpf.viz.style import OKABE_ITO, REGION_COLORS, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure


@dataclass
class IndexResult(Result):
    """A composite index measured on a panel.

    Attributes
    ----------
    framework : the indicator tree that was measured.
    values : raw indicator values after evaluating definitions; index (unit, year), one column per
        indicator id (tree order).
    normalized : the normalised matrix Z, same index and columns as ``values``.
    scores : a flat table with columns ``unit``, ``year``, ``score`` (the target), ``rank`` (1 = best,
        within each year) and one column per inner node of the tree (dimension and sub-dimension
        sub-indices, named by node id).
    weights : one row per node and indicator: ``id``, ``parent``, ``level``, ``kind``, ``name_zh``,
        ``name_en``, ``weight`` (within its parent, sums to 1 over siblings) and ``global_weight``
        (product down the tree; sums to 1 over indicators and over the nodes of any one level).
    bounds : per indicator the ``low`` and ``high`` used by the normalisation (pooled bounds, or the
        bounds of each year under per-year normalisation, then indexed by (year, indicator)).
    settings : the resolved method choices (normalization, scope, shift, weighting, aggregation, tree).
    provenance : inputs, settings, notes and every changed cell.
    weights_by_year : under per-cross-section ``entropy`` weighting, the indicator weights of each year
        (year × indicator); ``weights`` then holds their mean. None otherwise.
    measure_settings : the typed settings (:class:`nqpf.settings.MeasureSettings`).
    fit : the fitted measurement engine (:class:`nqpf.pipeline.Fit`): parameters, weights and reference
        points, reused by ``rescore``, scenarios and the uncertainty analyses.
    """

    label = ("综合指数", "Composite index")

    framework: Framework
    values: pd.DataFrame
    normalized: pd.DataFrame
    scores: pd.DataFrame
    weights: pd.DataFrame
    bounds: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    weights_by_year: pd.DataFrame | None = None
    measure_settings: MeasureSettings | None = None
    fit: Fit | None = field(default=None, repr=False)
    #: how many units the summary lists at the top and the bottom of the latest year
    top: int = field(default=5, repr=False)
    #: the kind of the measured units (``Panel.kind``); None: :attr:`unit_kind` infers it
    kind: str | None = field(default=None, repr=False)

    def settings_object(self) -> MeasureSettings:
        """The typed settings (rebuilt from ``settings`` for results made by hand)."""
        if self.measure_settings is not None:
            return self.measure_settings
        keys = MeasureSettings.model_fields
        s = dict(self.settings)
        comb = s.get("combined") or {}
        base = {k: s[k] for k in keys if k in s}
        if comb:
            base.update(objective=comb.get("objective", "global_entropy"), combine=comb.get("how", "multiplicative"))
        return MeasureSettings.of(**base)

    def fitted(self) -> Fit:
        """The fitted engine (re-fitted on ``values`` when the result was assembled by hand)."""
        if self.fit is None:
            X = self.values.to_numpy(dtype=float)
            years = self.values.index.get_level_values("year").to_numpy().astype(int)
            self.fit = Pipeline(self.framework, self.settings_object()).fit(X, Layout.of(years))
        return self.fit

    # -- views ---------------------------------------------------------------------------------
    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.scores["unit"]))

    @property
    def years(self) -> list[int]:
        return sorted(set(int(y) for y in self.scores["year"]))

    @property
    def indicator_weights(self) -> pd.Series:
        """Global weight of each indicator (sums to 1), indexed by indicator id in tree order."""
        w = self.weights[self.weights["kind"] == "indicator"].set_index("id")["global_weight"]
        return w.reindex(self.values.columns)

    @property
    def dimension_weights(self) -> pd.Series:
        """Weight of each first-level dimension (sums to 1)."""
        dims = self.framework.dimensions
        return self.weights.set_index("id").loc[dims, "global_weight"]

    def score_matrix(self, column: str = "score") -> pd.DataFrame:
        """A unit × year table of the target score (or of a dimension sub-index)."""
        return self.scores.pivot(index="unit", columns="year", values=column).reindex(self.units)

    def score_series(self, column: str = "score") -> pd.Series:
        """The target score (or a sub-index) as a float Series indexed by (unit, year), named by the framework."""
        s = self.scores.set_index(["unit", "year"])[column].astype(float)
        return s.rename(self.framework.name if column == "score" else column)

    def year_scores(self, year: int, column: str = "score") -> pd.Series:
        """The scores of one year, indexed by unit."""
        s = self.scores[self.scores["year"] == year]
        return s.set_index("unit")[column]

    def settings_dict(self) -> dict[str, Any]:
        """The resolved settings as a plain dict (provenance.json)."""
        return dict(self.settings)

    def to_frame(self) -> pd.DataFrame:
        """The scores table (unit, year, score, rank, one column per node)."""
        return self.scores.copy()

    def weights_by_year_table(self) -> pd.DataFrame | None:
        """The per-year indicator weights as a labelled table (None unless weights are computed per year).

        One row per indicator (tree order): ``indicator``, ``name_zh``, ``name_en``, ``dimension``, then one
        column per year (named ``"2016"`` …) with that year's global weight, and ``mean`` (the weight the
        summary and ``weights`` report). Each year column sums to 1.
        """
        wby = self.weights_by_year
        if wby is None:
            return None
        fw = self.framework
        ids = [str(c) for c in wby.columns]
        out = pd.DataFrame({
            "indicator": ids,
            "name_zh": [fw.label(i, "zh") for i in ids],
            "name_en": [fw.label(i, "en") for i in ids],
            "dimension": [fw.dimension_of(i) for i in ids],
        })
        for year, row in wby.iterrows():
            out[str(int(year))] = row.to_numpy(dtype=float)
        out["mean"] = wby.mean(axis=0).to_numpy(dtype=float)
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The scores (``""``) and, under per-year weights, ``weights_by_year`` (:meth:`weights_by_year_table`)."""
        out = {"": self.to_frame()}
        wby = self.weights_by_year_table()
        if wby is not None:
            out["weights_by_year"] = wby
        return out

    @property
    def unit_kind(self) -> str:
        """The kind of the measured units (province, city, county, firm, country, other): :attr:`kind` when
        set, else the framework's ``unit_kind`` (see :func:`infer_kind`)."""
        return self.kind or infer_kind(self.units, getattr(self.framework.spec, "unit_kind", None))

    def _summary_lines(self, lang: str) -> list[str]:
        """Method choices, weights of the dimensions, top and bottom units in the latest year."""
        top = self.top
        fw = self.framework
        title = fw.title_zh if lang == "zh" else fw.title_en
        last = self.years[-1]
        ys = self.year_scores(last).sort_values(ascending=False)
        ys.index = [unit_name(u, lang) for u in ys.index]
        zh = lang == "zh"
        sep = "，" if zh else ", "
        means = self.scores.groupby("year")["score"].mean()
        words = kind_words(self.unit_kind, lang, len(self.units))
        lines = [
            f"{title} [{fw.name}]",
            (f"{words.unit} {len(self.units)} 个，年份 {self.years[0]}–{last}，指标 {self.values.shape[1]} 个"
             if zh else
             f"{words.units}: {len(self.units)}, years: {self.years[0]}–{last}, indicators: {self.values.shape[1]}"),
            ("方法：" if zh else "method: ") + ", ".join(
                f"{k}={v}" for k, v in self.settings.items() if not isinstance(v, dict)),
            ("维度权重：" if zh else "dimension weights: ") + sep.join(
                f"{fw.label(d, lang)} {w:.3f}" for d, w in self.dimension_weights.items()),
            (f"{last} 年前 {top} 位：" if zh else f"top {top} in {last}: ")
            + sep.join(f"{u} {v:.4f}" for u, v in ys.head(top).items()),
            (f"{last} 年后 {top} 位：" if zh else f"bottom {top} in {last}: ")
            + sep.join(f"{u} {v:.4f}" for u, v in ys.tail(top).items()),
            ("历年均值：" if zh else "mean by year: ") + sep.join(f"{y}: {v:.4f}" for y, v in means.items()),
        ]
        return lines

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The mean score by year: the whole sample and, for China's provinces, each of the four regions.

        Examples
        --------
        >>> import nqpf
        >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
        >>> len(res.plot().axes[0].lines)
        5
        """
        fig, ax = figure_axes(ax)
        sc = self.scores
        means = sc.groupby("year")["score"].mean()
        ax.plot(means.index, means.to_numpy(), color=REGION_COLORS["national"], linewidth=2, marker="o",
                markersize=3, label=_capital(kind_words(self.unit_kind, lang, len(self.units)).mean))
        grouping = self.default_grouping()
        if grouping is not None:
            gm = self.group_means(grouping)
            for k, g in enumerate(gm.columns):
                ax.plot(gm.index, gm[g].to_numpy(), color=REGION_COLORS.get(g, OKABE_ITO[k % len(OKABE_ITO)]),
                        linestyle="--", linewidth=1.2, label=grouping.label(g, lang))
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(t("mean_score", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="upper left")
        return fig

    def default_grouping(self) -> Grouping | None:
        """The four regions when every unit is a province (the regional means of the plot), else None."""
        try:
            return resolve_groups(None, [str(u) for u in self.units], kind="other")
        except DataError:
            return None

    def group_means(self, grouping: Grouping | None = None, column: str = "score") -> pd.DataFrame:
        """Mean of ``column`` by year and group: one row per year, one column per group key (the grouping's
        order). ``grouping``: a :class:`~nqpf.core.groups.Grouping` (e.g. ``ctx.groups(...)`` in a study); None:
        the four regions when every unit is a province (else an error saying to pass one).

        Examples
        --------
        >>> import nqpf
        >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
        >>> list(res.group_means().columns)
        ['East', 'Central', 'West', 'Northeast']
        """
        if grouping is None:
            grouping = self.default_grouping()
            if grouping is None:
                raise DataError("the units are not provinces: pass a Grouping "
                                "(nqpf.core.groups.resolve_groups(spec, units, kind=...))")
        sc = self.scores
        keys = sc["unit"].astype(str).map(grouping.mapping)
        missing = sorted(set(sc.loc[keys.isna(), "unit"].astype(str)))
        if missing:
            raise DataError(f"grouping {grouping.name!r} has no group for unit(s) {', '.join(missing[:10])}")
        wide = sc.assign(group=keys).groupby(["year", "group"])[column].mean().unstack("group")
        return wide[[g for g in grouping.order if g in wide.columns]]

    def __repr__(self) -> str:
        return (f"IndexResult({self.framework.name!r}, units={len(self.units)}, "
                f"years={self.years[0]}-{self.years[-1]}, indicators={self.values.shape[1]})")


def rank_within_years(scores: pd.DataFrame, column: str = "score") -> np.ndarray:
    """Rank 1 = highest score within each year (ties share the lowest rank)."""
    return scores.groupby("year")[column].rank(ascending=False, method="min").to_numpy(dtype=int)


def infer_kind(units: list[Any], declared: str | None = None) -> str:
    """The unit kind of a result that does not carry its panel's: ``declared`` (a framework's ``unit_kind``)
    when it is a known kind, else "province" when every unit is a province, else "other".

    Examples
    --------
    >>> infer_kind(["北京", "上海"]), infer_kind(["000001"], "firm"), infer_kind(["A", "B"], "unit")
    ('province', 'firm', 'other')
    """
    if declared and declared != "other" and declared in UNIT_KINDS:
        return declared
    return "province" if units and all(region_key(u) is not None for u in units) else "other"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
