"""Robustness and uncertainty of a composite index (稳健性与不确定性分析): the bundle a study runs.

- :mod:`.montecarlo`: Monte Carlo weight uncertainty (rank intervals, top-k probabilities);
- :mod:`.sensitivity`: every weighting × aggregation compared;
- :mod:`.loo`: leave one indicator out;
- :mod:`.resampling`: bootstrap intervals for weights, the mean index and Dagum's Gini.

Each re-measures through the one engine (:class:`nqpf.pipeline.Pipeline`). References: Saisana, Saltelli &
Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323; OECD/JRC (2008), Handbook on Constructing Composite
Indicators, ch. 7; Efron (1979), Ann. Statist. 7(1), 1-26.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.analysis.uncertainty.common import layout_of
from nqpf.analysis.uncertainty.loo import LeaveOneOutResult, leave_one_out
from nqpf.analysis.uncertainty.montecarlo import MonteCarloResult, monte_carlo_weights
from nqpf.analysis.uncertainty.resampling import BootstrapResult
from nqpf.analysis.uncertainty.resampling import bootstrap as run_bootstrap
from nqpf.analysis.uncertainty.sensitivity import MethodSensitivity, method_sensitivity
from nqpf.core.blocks import Block, Figure, Heading, Text
from nqpf.core.errors import DataError, NqpfError
from nqpf.core.groups import Grouping
from nqpf.core.i18n import t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.units import REGIONS
from nqpf.result import IndexResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["UncertaintyResult", "uncertainty_analysis"]


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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by suffix (the study names them ``uncertainty_<index>_<suffix>``)."""
        out = {"ranks": self.to_frame(), "mc_weights": self.monte_carlo.weight_summary}
        if self.methods is not None:
            out["method_ranks"] = self.methods.to_frame()
            out["method_correlation"] = self.methods.correlation.rename_axis("method").reset_index()
            out["method_pairs"] = self.methods.pairs
        if self.leave_one_out is not None:
            out["loo_indicators"] = self.leave_one_out.indicators.assign(
                top_changed_years=self.leave_one_out.indicators["top_changed_years"].map(
                    lambda v: ", ".join(map(str, v))))
            out["loo"] = self.leave_one_out.to_frame()
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap.to_frame()
        return out

    def _summary_lines(self, lang: str) -> list[str]:
        parts = self.monte_carlo._summary_lines(lang)
        for p in (self.methods, self.leave_one_out, self.bootstrap):
            if p is not None:
                parts += ["", *p._summary_lines(lang)]
        return parts + self.notes

    def figures(self, lang: str = "en") -> list[Any]:
        """The Monte Carlo rank intervals and, when run, the method correlation heat map."""
        return self.monte_carlo.figures(lang) + (self.methods.figures(lang) if self.methods is not None else [])

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The Monte Carlo rank intervals of the latest year."""
        return self.monte_carlo.plot(ax, lang)

    def report(self, ctx: ReportContext) -> list[Block]:
        """Rank intervals (caterpillar plot) and the correlation of methods."""
        lang = ctx.lang
        year = int(self.monte_carlo.to_frame()["year"].max())
        blocks: list[Block] = [Heading(f"{t('uncertainty', lang)} ({year})"),
                               Text(tuple(self.monte_carlo.narrative(lang))),
                               *(Figure(f) for f in self.monte_carlo.figures(lang))]
        if self.methods is not None:
            blocks += [Heading(t("method_corr", lang)), Text(tuple(self.methods.narrative(lang))),
                       *(Figure(f) for f in self.methods.figures(lang))]
        if self.notes:
            blocks.append(Text(tuple(self.notes)))
        return blocks


def _uncertainty_methods(res: UncertaintyResult, opts: Any, lang: str) -> str:
    """The methods.md paragraph: Monte Carlo, then each part that ran."""
    c = cite(("saisana2005",), lang)
    zh = lang == "zh"
    out = [f"采用蒙特卡洛模拟{c}评估权重不确定性：以测度权重为中心从 Dirichlet 分布抽取指标权重，"
           "$w \\sim \\mathrm{Dir}(c\\,\\bar w)$，每次抽样重新计分并逐年排名，报告各单元-年份的排名中位数与 90% 区间。"
           if zh else
           f"Weight uncertainty was assessed by Monte Carlo simulation{c}: indicator weights were drawn from a "
           "Dirichlet distribution centred on the measured weights, $w \\sim \\mathrm{Dir}(c\\,\\bar w)$, each "
           "draw re-scored and re-ranked within years, and the median rank and a 90% rank interval reported per "
           "unit-year."]
    if res.methods is not None:
        k = cite(("spearman1904", "kendall1938"), lang)
        out.append(f"方法敏感性：在其他赋权与集成方法下重新测度，并以 Spearman ρ 与 Kendall τ-b{k}比较排名。" if zh else
                   "Method sensitivity: the index was re-measured under alternative weighting and aggregation "
                   f"methods and the rankings compared by Spearman's ρ and Kendall's τ-b{k}.")
    if res.leave_one_out is not None:
        out.append(f"逐一剔除指标{c}：依次去掉每个指标后重新测度。" if zh else
                   f"Leave-one-out: the index was re-measured without each indicator in turn{c}.")
    if res.bootstrap is not None:
        e = cite(("efron1979",), lang)
        strata = res.bootstrap.groups
        by = (("不分层", "unstratified") if strata is None else
              ("按区域分层", "stratified by region") if set(strata.values()) <= set(REGIONS) else
              ("按研究设定的分组分层", "stratified by the study's groups"))
        out.append(f"自助法{e}：{by[0]}对单元重抽样，对每个样本重复全部测度过程，得到百分位置信区间。" if zh else
                   f"Bootstrap percentile intervals{e} were obtained by resampling units ({by[1]}) and "
                   "repeating the whole measurement on each resample.")
    return " ".join(out)


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
    groups: Grouping | Mapping[Hashable, Hashable] | pd.Series | bool | None = None,
) -> UncertaintyResult:
    """Robustness and uncertainty (稳健性与不确定性分析): Monte Carlo weights, method sensitivity,
    leave-one-indicator-out and (``bootstrap`` > 0) a bootstrap, in one call.

    Saisana, Saltelli & Tarantola (2005), J. R. Stat. Soc. A 168(2), 307-323.

    ``panel`` is accepted for compatibility and not needed: every part re-measures the result's indicator
    values with the measurement engine. The bootstrap needs only the result (its indicator values)
    and runs whenever ``bootstrap`` > 0. Parts that cannot run on this result (e.g. a bootstrap on
    an unbalanced panel) are skipped with the reason in ``notes``. Top-k values larger than the
    smallest year are dropped.

    Examples
    --------
    >>> import nqpf
    >>> res = nqpf.measure(nqpf.load_dataset("china-provinces"), nqpf.load_framework("nqpf-province-core"))
    >>> ua = uncertainty_analysis(res, draws=100, bootstrap=0, methods=False, loo=False)
    >>> ua.leave_one_out is None and ua.bootstrap is None
    True
    """
    notes: list[str] = []
    lay = layout_of(result)
    n_min = min(len(r) for r in lay.rows)
    ks = tuple(k for k in top_k if k <= n_min)
    mc = monte_carlo_weights(result, draws=draws, concentration=concentration, seed=seed, top_k=ks)
    ms = lo = bs = None
    if methods:
        try:
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
            bs = run_bootstrap(result, B=bootstrap, seed=seed, groups=groups)
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
    #: the bootstrap strata: a [groups.*] label, a bundled set, a table unit = group, or none (the unit kind's
    #: default grouping; a kind without one resamples unstratified, noted)
    groups: str | dict[str, str] | None = None


@register_analysis("uncertainty", options=UncertaintyOptions, result=UncertaintyResult, section="robustness",
                   order=10, label=("权重不确定性与稳健性", "Uncertainty and robustness"),
                   refs=("saisana2005", "spearman1904", "kendall1938", "efron1979"), methods=_uncertainty_methods,
                   figure="rank_intervals")
def _study_uncertainty(ctx: StudyContext, opts: UncertaintyOptions) -> UncertaintyResult:
    _, res = ctx.index(opts.index)
    groups = None
    if opts.bootstrap:
        try:
            groups = ctx.groups(opts.groups, [str(u) for u in res.units])
        except DataError:
            if opts.groups is not None:
                raise  # a grouping the study names must work; only the kind's default may be absent
    return uncertainty_analysis(res, ctx.panel, draws=opts.draws, concentration=opts.concentration,
                                bootstrap=opts.bootstrap, seed=opts.seed, methods=opts.methods,
                                loo=opts.leave_one_out, groups=groups)
