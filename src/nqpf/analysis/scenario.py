"""Scenario 情景模拟: the index and rank a unit would have if some of its indicators changed.

The changed raw values are re-normalised with the measured bounds held fixed and re-aggregated with
the measured weights (TOPSIS ideals / GRA reference held fixed) by :func:`nqpf.measure.rescore`, so
every other unit keeps its score and only the changed unit moves; its rank is recomputed within the
year.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import DataError, near_matches
from nqpf.core.i18n import join, num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.units import kind_words, match_province, unit_name
from nqpf.measure import rescore
from nqpf.result import IndexResult
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["ScenarioResult", "ScenarioWarning", "parse_change", "scenario"]

_REL = re.compile(r"^\s*([+-]?\s*\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|[+-]?\s*\.\d+(?:[eE][+-]?\d+)?)\s*%\s*$")


class ScenarioWarning(UserWarning):
    """A scenario value outside the observed range of an indicator (the index extrapolates)."""


def parse_change(change: Any, indicator: str = "") -> tuple[str, float]:
    """A change as ("absolute", amount) or ("relative", fraction): +0.5 → absolute; "+10%" → relative 0.10.

    Numbers and numeric strings ("+0.5", "-3") are absolute changes in the indicator's own unit;
    strings ending in "%" are relative changes of the current value.

    Examples
    --------
    >>> parse_change("+10%"), parse_change(0.5), parse_change("-3")
    (('relative', 0.1), ('absolute', 0.5), ('absolute', -3.0))
    """
    where = f" for indicator '{indicator}'" if indicator else ""
    if isinstance(change, bool) or change is None:
        raise DataError(f"change{where} must be a number (absolute) or a string like '+10%' (relative), got {change!r}")
    if isinstance(change, (int, float, np.integer, np.floating)):
        v = float(change)
        kind = "absolute"
    elif isinstance(change, str):
        m = _REL.match(change)
        if m:
            v = float(m.group(1).replace(" ", "")) / 100.0
            kind = "relative"
        else:
            try:
                v = float(change.replace(" ", ""))
            except ValueError:
                raise DataError(
                    f"change{where} {change!r} is not understood; use a number such as +0.5 (absolute, in the "
                    "indicator's unit) or a percentage such as '+10%' / '-5%' (relative)") from None
            kind = "absolute"
    else:
        raise DataError(f"change{where} must be a number or a string like '+10%', got {type(change).__name__}")
    if not math.isfinite(v):
        raise DataError(f"change{where} must be finite, got {change!r}")
    return kind, v


@dataclass
class ScenarioResult(Result):
    """What-if result for one unit-year.

    Attributes
    ----------
    unit, year : the unit-year changed.
    changes : one row per changed indicator: indicator, name_zh, name_en, unit (of measure), kind
        (absolute/relative), change, before, after, low, high (the normalisation bounds) and
        outside (whether ``after`` leaves [low, high]).
    before, after : the unit-year's row of the scores table (score, rank, every inner node) before
        and after the change.
    scores : the rescored scores table of that year for every unit (ranks recomputed).
    warnings : values outside the observed range, relative changes of zero values.
    notes : anything else worth knowing (unit name matched from an alias, rescoring consistency).
    """

    unit: Any
    year: int
    changes: pd.DataFrame
    before: pd.Series
    after: pd.Series
    scores: pd.DataFrame
    framework_name: str = ""
    node_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the kind of the units (``IndexResult.unit_kind``), for the wording (其他省份 / 其他企业 …)
    unit_kind: str | None = None

    label = ("情景模拟", "Scenario simulation")

    @property
    def score_before(self) -> float:
        return float(self.before["score"])

    @property
    def score_after(self) -> float:
        return float(self.after["score"])

    @property
    def delta(self) -> float:
        """Change of the target score."""
        return self.score_after - self.score_before

    @property
    def rank_before(self) -> int:
        return int(self.before["rank"])

    @property
    def rank_after(self) -> int:
        return int(self.after["rank"])

    def to_frame(self) -> pd.DataFrame:
        """The target and every inner node: id, name_zh, name_en, before, after, change (then the rank)."""
        nodes = [c for c in self.before.index if c not in ("unit", "year", "rank")]
        rows = []
        for c in nodes:
            zh, en = self.node_labels.get(c, (c, c))
            b, a = float(self.before[c]), float(self.after[c])
            rows.append({"id": c, "name_zh": zh, "name_en": en, "before": b, "after": a, "change": a - b})
        rows.append({"id": "rank", "name_zh": "排名", "name_en": "Rank", "before": float(self.rank_before),
                     "after": float(self.rank_after), "change": float(self.rank_after - self.rank_before)})
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The score of the target and every inner node before and after (""), and the changes made."""
        return {"": self.to_frame(), "changes": self.changes.copy()}

    def _how(self, kind: str, change: float) -> str:
        return f"{change:+.4g}" if kind == "absolute" else f"{change * 100:+.4g}%"

    def _summary_lines(self, lang: str) -> list[str]:
        """The changes, the score and rank before and after."""
        zh = lang == "zh"
        name_col = "name_zh" if zh else "name_en"
        fw = f" [{self.framework_name}]" if self.framework_name else ""
        lines = [f"情景模拟：{unit_name(self.unit, lang)} {self.year} 年{fw}" if zh
                 else f"Scenario for {unit_name(self.unit, lang)} {self.year}{fw}"]
        for r in self.changes.itertuples(index=False):
            flag = ("（超出观测范围）" if zh else " (outside the observed range)") if r.outside else ""
            how = self._how(r.kind, r.change)
            move = f"{r.before:.6g} → {r.after:.6g}"
            lines.append(f"  {getattr(r, name_col)} [{r.indicator}]：{move}（{how}）{flag}" if zh
                         else f"  {getattr(r, name_col)} [{r.indicator}]: {move} ({how}){flag}")
        n = len(self.scores)
        if zh:
            lines.append(f"得分：{num(self.score_before)} → {num(self.score_after)}（{self.delta:+.4f}）；"
                         f"排名：{self.rank_before} → {self.rank_after}（共 {n} 个）")
        else:
            lines.append(f"score: {num(self.score_before)} → {num(self.score_after)} ({self.delta:+.4f}); "
                         f"rank: {self.rank_before} → {self.rank_after} of {n}")
        lines.extend((f"警告：{w}" if zh else f"warning: {w}") for w in self.warnings)
        lines.extend((f"说明：{x}" if zh else f"note: {x}") for x in self.notes)
        return lines

    def narrative(self, lang: str = "en") -> list[str]:
        """What changed, how the score and the rank move, and which dimension moves most."""
        zh = lang == "zh"
        name_col = "name_zh" if zh else "name_en"
        changes = [f"{getattr(r, name_col)} {self._how(r.kind, r.change)}"
                   for r in self.changes.itertuples(index=False)]
        who = unit_name(self.unit, lang)
        n = len(self.scores)
        nodes = self.to_frame()
        nodes = nodes[~nodes["id"].isin(["score", "rank"])]
        out: list[str]
        others = kind_words(self.unit_kind, lang).unit if zh else kind_words(self.unit_kind, lang).units
        if zh:
            out = [f"若{who} {self.year} 年{join(changes, lang)}（其他{others}与权重、标准化边界不变），综合得分由 "
                   f"{num(self.score_before)} 变为 {num(self.score_after)}（{self.delta:+.4f}），"
                   f"排名由第 {self.rank_before} 位变为第 {self.rank_after} 位（共 {n} 个）。"]
        else:
            out = [f"If {join(changes, lang)} in {who} in {self.year} (other {others}, weights and normalisation "
                   f"bounds unchanged), its score would go from {num(self.score_before)} to {num(self.score_after)} "
                   f"({self.delta:+.4f}) and its rank from {self.rank_before} to {self.rank_after} of {n}."]
        if len(nodes) and np.abs(nodes["change"]).max() > 0:
            top = nodes.loc[nodes["change"].abs().idxmax()]
            out.append(f"变化最大的分项是{top['name_zh']}（{num(top['before'])} → {num(top['after'])}）。" if zh
                       else f"The largest change among the sub-indices is in {top['name_en']} "
                            f"({num(top['before'])} → {num(top['after'])}).")
        if self.warnings:
            out.append("部分新值超出观测范围，指数为外推结果。" if zh
                       else "Some new values lie outside the observed range: the index extrapolates.")
        return out

    def _bars(self, lang: str) -> pd.DataFrame:
        """The target and every inner node: label, before, after (the rank row left out)."""
        df = self.to_frame()
        df = df[df["id"] != "rank"]
        return df.assign(label=df["name_zh" if lang == "zh" else "name_en"])

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The score and every sub-index before and after the change (paired horizontal bars)."""
        df = self._bars(lang)
        fig, ax = figure_axes(ax, (5.4, max(2.4, 0.32 * len(df) + 1.0)))
        y = np.arange(len(df))
        ax.barh(y - 0.2, df["before"], height=0.4, color="#bbbbbb", label="情景前" if lang == "zh" else "before")
        ax.barh(y + 0.2, df["after"], height=0.4, color=OKABE_ITO[4], label="情景后" if lang == "zh" else "after")
        ax.set_yticks(y, labels=list(df["label"]))
        ax.invert_yaxis()
        ax.set_xlabel(f"{t('score', lang)} ({unit_name(self.unit, lang)}, {self.year})")
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="lower right")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        """The score and every sub-index before and after the change (grouped bars)."""
        import plotly.graph_objects as go

        df = self._bars(lang)
        labels = list(df["label"])
        fig = go.Figure([
            go.Bar(y=labels, x=df["before"], orientation="h", name="情景前" if lang == "zh" else "before",
                   marker_color="#bbbbbb", hovertemplate="%{y}: %{x:.4f}<extra></extra>"),
            go.Bar(y=labels, x=df["after"], orientation="h", name="情景后" if lang == "zh" else "after",
                   marker_color=OKABE_ITO[4], hovertemplate="%{y}: %{x:.4f}<extra></extra>"),
        ])
        fig.update_layout(barmode="group", height=max(300, 40 * len(df) + 120),
                          xaxis={"title": f"{t('score', lang)} ({unit_name(self.unit, lang)}, {self.year})"},
                          yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.15},
                          margin={"l": 160, "r": 20, "t": 20, "b": 60})
        return [fig]

    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, the before/after bars, and the changed indicators."""
        lang = ctx.lang
        name_col = "name_zh" if lang == "zh" else "name_en"
        ch = self.changes[["indicator", name_col, "unit", "before", "after", "low", "high", "outside"]]
        ch = ch.assign(outside=[t("yes", lang) if o else t("no", lang) for o in ch["outside"]])
        return [Text(tuple(self.narrative(lang))), *(Figure(f) for f in self.figures(lang)),
                Table(ch, formats={"before": "6g", "after": "6g", "low": "6g", "high": "6g", "outside": "text"},
                      headers={"indicator": t("indicator", lang), name_col: t("indicator", lang),
                               "unit": t("measure_unit", lang), "before": t("before", lang),
                               "after": t("after", lang)})]

    def __repr__(self) -> str:
        return (f"ScenarioResult({self.unit!r}, {self.year}, score {self.score_before:.4f}→{self.score_after:.4f}, "
                f"rank {self.rank_before}→{self.rank_after})")


def _resolve_unit(result: IndexResult, unit: Any, notes: list[str]) -> Any:
    units = result.units
    if unit in units:
        return unit
    try:
        short = match_province(str(unit))
    except DataError:
        short = None
    if short is not None and short in units:
        notes.append(f"unit '{unit}' matched to '{short}'")
        return short
    raise DataError(f"unit '{unit}' is not in the index ({len(units)} units){near_matches(unit, units)}")


def _bounds(result: IndexResult, indicator: str, year: int) -> tuple[float, float]:
    b = result.bounds
    if b is None or b.empty:
        return float("nan"), float("nan")
    if isinstance(b.index, pd.MultiIndex):
        row = b.loc[(year, indicator)]
    else:
        row = b.loc[indicator]
    return float(row["low"]), float(row["high"])


def scenario(result: IndexResult, changes: Mapping[str, Any], unit: Any, year: int) -> ScenarioResult:
    """What-if 情景模拟: the score and rank of ``unit`` in ``year`` if indicators changed by the given amounts.

    Reference: comparative statics of a composite index with weights and normalisation bounds held
    fixed (cf. OECD & JRC 2008, Handbook on Constructing Composite Indicators).

    ``changes`` maps indicator ids to a change of the indicator's own value: a number is an absolute
    change in the indicator's unit (``{"rd_intensity": +0.5}`` adds 0.5 percentage points to R&D
    intensity), a string ending in "%" a relative change (``{"patents_per_10k": "+10%"}``). For an
    indicator defined by an expression (e.g. ``rd_expenditure / gdp``) the change applies to the
    indicator value itself, not to the raw columns it is computed from, and no other indicator built
    from the same columns changes.

    Weights, normalisation bounds and TOPSIS/GRA reference points are held fixed
    (:func:`nqpf.measure.rescore`); only the named unit-year moves, and its rank is recomputed among
    the units of that year. A new value outside the observed range ``[low, high]`` of the bounds is
    extrapolated (normalised value outside [0, 1]); that raises a :class:`ScenarioWarning` and is
    listed in ``.warnings``. A value that leaves the indicator's domain (e.g. a negative value of a
    non-negative indicator) raises a DataError. Unknown indicators, units or years raise a DataError
    naming them with near matches.

    Returns
    -------
    ScenarioResult: the changes, the unit-year's scores before and after, the rescored year.

    Examples
    --------
    >>> from nqpf import load_dataset, load_framework, measure
    >>> res = measure(load_dataset("china-provinces"), load_framework("nqpf-province-core"), years=(2020, 2022))
    >>> s = scenario(res, {"rd_intensity_revised": "+10%"}, "广东", 2022)
    >>> bool(s.delta > 0), s.rank_before >= s.rank_after
    (True, True)
    """
    if not isinstance(result, IndexResult):
        raise DataError(f"scenario needs an IndexResult from nqpf.measure(), got {type(result).__name__}")
    if not isinstance(changes, Mapping) or not changes:
        raise DataError("changes must be a non-empty mapping indicator id -> change, e.g. {'rd_intensity': +0.5}")
    notes: list[str] = []
    warn: list[str] = []
    unit = _resolve_unit(result, unit, notes)
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise DataError(f"year {year!r} is not a year") from None
    years = result.years
    if y not in years:
        raise DataError(f"year {year} is not in the index; it covers {years[0]}–{years[-1]}"
                        + (f" ({', '.join(map(str, years))})" if len(years) < 40 else ""))
    if (unit, y) not in result.values.index:
        raise DataError(f"{unit} {y} is not in the index (that unit-year was not measured)")
    ids = list(result.values.columns)
    fw = result.framework
    table = fw.indicator_table()
    rows = []
    values = result.values.copy()
    for ind, change in changes.items():
        if ind not in ids:
            by_name = [i for i in ids if ind in (table.loc[i, "name_en"], table.loc[i, "name_zh"])]
            hint = (f"; '{ind}' is the name of indicator '{by_name[0]}' — use its id" if by_name
                    else near_matches(ind, ids))
            raise DataError(f"indicator '{ind}' is not in framework '{fw.name}'{hint}")
        kind, amount = parse_change(change, ind)
        before = float(result.values.loc[(unit, y), ind])
        if not math.isfinite(before):
            raise DataError(f"indicator '{ind}' has no value at {unit} {y}; cannot change it")
        after = before + amount if kind == "absolute" else before * (1.0 + amount)
        if kind == "relative" and before == 0 and amount != 0:
            warn.append(f"'{ind}' is 0 at {unit} {y}: a relative change leaves it at 0; give an absolute change")
        domain = fw.item(ind).item.domain  # type: ignore[union-attr]
        if (domain == "nonnegative" and after < 0) or (domain == "positive" and after <= 0):
            need = "non-negative" if domain == "nonnegative" else "positive"
            raise DataError(f"the change makes '{ind}' {after:g} at {unit} {y}, but it must be {need}")
        lo, hi = _bounds(result, ind, y)
        outside = bool(math.isfinite(lo) and (after < lo or after > hi))
        if outside:
            warn.append(f"'{ind}' = {after:g} at {unit} {y} is outside the observed range [{lo:g}, {hi:g}] used for "
                        "normalisation; the index extrapolates (normalised value outside [0, 1])")
        values.loc[(unit, y), ind] = after
        rows.append({"indicator": ind, "name_zh": table.loc[ind, "name_zh"], "name_en": table.loc[ind, "name_en"],
                     "unit": table.loc[ind, "unit"], "kind": kind, "change": amount, "before": before,
                     "after": after, "low": lo, "high": hi, "outside": outside})
    for w in warn:
        warnings.warn(w, ScenarioWarning, stacklevel=2)
    new = rescore(result, values)
    orig = result.scores
    year_new = new[new["year"] == y].reset_index(drop=True)
    year_old = orig[orig["year"] == y].set_index("unit")
    others = year_new[year_new["unit"] != unit].set_index("unit")
    if len(others):
        diff = float(np.max(np.abs(others["score"].to_numpy() - year_old.loc[others.index, "score"].to_numpy())))
        if diff > 1e-9:
            notes.append(f"rescoring does not reproduce the measured scores of the other units exactly "
                         f"(largest difference {diff:.3g}); compare 'before' and 'after' with care")
    before_row = orig[(orig["unit"] == unit) & (orig["year"] == y)].iloc[0]
    after_row = year_new[year_new["unit"] == unit].iloc[0]
    cols = list(orig.columns)
    labels = {"score": (fw.title_zh, fw.title_en)}
    for node in fw.nodes[1:]:
        labels[node.id] = (node.name_zh, node.name_en)
    return ScenarioResult(
        unit=unit, year=y, changes=pd.DataFrame(rows), before=before_row.reindex(cols),
        after=after_row.reindex(cols), scores=year_new, framework_name=fw.name, node_labels=labels,
        warnings=warn, notes=notes, unit_kind=result.unit_kind,
    )


# ---------------------------------------------------------------------------------------------
# study file: [analyses.scenario]
# ---------------------------------------------------------------------------------------------
class ScenarioOptions(Options):
    """``[analyses.scenario]``: the index, the unit and year to change, and the changes (indicator id ->
    a number, an absolute change in the indicator's unit, or a string such as "+10%", a relative change)."""

    index: str | None = None
    unit: str
    year: int
    changes: dict[str, float | str]


def _scenario_methods(res: ScenarioResult, opts: ScenarioOptions, lang: str) -> str:
    """The methods.md paragraph: rescoring with the measured bounds, weights and reference points fixed."""
    c = cite(("oecd2008",), lang)
    if lang == "zh":
        return (f"情景模拟{c}在保持标准化边界、权重与参考点不变的条件下对变动后的指标值重新计分，"
                "只有被改变的单元-年份得分变化。")
    return (f"Scenarios{c} re-scored changed indicator values with the measured normalisation bounds, weights and "
            "reference points held fixed, so only the changed unit-year moves.")


@register_analysis("scenario", options=ScenarioOptions, result=ScenarioResult, section="hqd", order=40,
                   label=("情景模拟", "Scenario simulation"), refs=("oecd2008",), methods=_scenario_methods)
def _study_scenario(ctx: StudyContext, opts: ScenarioOptions) -> ScenarioResult:
    _, res = ctx.index(opts.index)
    return scenario(res, opts.changes, opts.unit, opts.year)
