"""Obstacle degree 障碍度: which indicators, dimensions, factors of production and policy levers hold a unit back.

For unit-year i and indicator j (the obstacle degree model, 障碍度模型):

* factor contribution 因子贡献度 ``F_j``: the indicator's global weight (``result.indicator_weights``;
  the weights of year t when the result has per-year entropy weights);
* deviation 指标偏离度 ``I_ij = 1 - z_ij`` with ``z_ij`` the min–max normalised value in [0, 1];
* obstacle degree 障碍度 ``O_ij = F_j · I_ij / Σ_j F_j · I_ij × 100 %``.

The obstacle degree of a group of indicators (a first-level dimension, a factor of production, a
"new" tag, a policy lever) is the sum of its indicators' ``O_ij`` (障碍度 of 准则层 = Σ of its 指标层
obstacles), so every grouping sums to 100 % over its columns. That **summed view grows with the number of
indicators a group has** (a lever with 9 of 20 indicators holds about 9/20 of the weight and so of the
obstacle), so it says more about the framework than about the unit.

The **lag ratio** 滞后比 names the lagging group without that bias. For group k of unit-year i, with weight share
``W_k = Σ_{j∈k} F_j / Σ_j F_j`` and obstacle share ``O_k / 100``, the group's weighted mean shortfall is
``Ī_k = Σ_{j∈k} F_j I_ij / Σ_{j∈k} F_j``; then

* ``obstacle_to_weight = (O_k/100) / W_k = Ī_k / Ī`` (Ī the shortfall over all indicators), and
* ``lag = Ī_k / mean_g Ī_g`` — the same ratio measured against the average group (each group counted once):
  ``lag > 1`` means the group falls further short of the best values than the unit's groups do on average. It
  does not depend on how many indicators a group has: duplicating a group's indicators (with entropy weights, or
  any weights that give copies equal weight) leaves every ``lag`` unchanged, and the groups' ranking by ``lag`` is
  their ranking by ``obstacle_to_weight``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Heading, Table, Text
from nqpf.core.errors import DataError, FrameworkError, MethodError, near_matches
from nqpf.core.framework import Framework
from nqpf.core.i18n import num, t
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.units import KindWords, kind_words, unit_name
from nqpf.result import IndexResult, infer_kind
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["ObstacleResult", "obstacle_degree", "obstacle_shares"]

UNTAGGED = "untagged"
OTHER = "other"
_SPECIAL = {
    UNTAGGED: {"zh": "未标注", "en": "Untagged"},
    OTHER: {"zh": "其他", "en": "Other"},
}
DEFAULT_BY = ("dimension", "factor", "lever")
#: Words of the summaries and headings (added to the shared vocabulary by the registration below).
_LABELS = {
    "obstacle_kind_lever": ("政策抓手", "lever"),
    "obstacle_kind_dimension": ("维度", "dimension"),
    "obstacle_kind_factor": ("生产要素", "factor of production"),
    "obstacle_kind_new": ("“新”的维度", "\"new\" dimension"),
    "obstacle_dimensions": ("按维度的障碍度", "Obstacle degree by dimension"),
    "obstacle_no_levers": ("该框架未给任何指标标注政策抓手，障碍度改按一级维度汇总",
                           "The framework tags no indicator with a policy lever, so the obstacles are summed by "
                           "first-level dimension instead"),
    "obstacle_lag": ("滞后比（障碍度占比 ÷ 权重占比，相对于各组平均）",
                     "Lag ratio (obstacle share ÷ weight share, against the average group)"),
    "obstacle_summed": ("加总障碍度（随所含指标数增加，反映指标体系结构）",
                        "Summed obstacle degree (grows with a group's number of indicators)"),
}


def obstacle_shares(F: np.ndarray, I: np.ndarray) -> np.ndarray:
    """Obstacle degrees O = F·I / Σ_j F·I × 100 per row (障碍度模型; e.g. Int. J. Environ. Res. Public Health 2023).

    ``F`` is (indicators,) or (rows, indicators); ``I`` is (rows, indicators). Rows whose Σ F·I is 0 (a
    unit at the best value on every weighted indicator) have no obstacle: they come back as NaN.

    Returns
    -------
    (rows, indicators) obstacle degrees in percent; each row sums to 100 (or is NaN).

    Examples
    --------
    >>> obstacle_shares(np.array([0.5, 0.2, 0.3]), np.array([[0.8, 0.5, 0.0]])).round(6).tolist()
    [[80.0, 20.0, 0.0]]
    """
    FI = np.asarray(F, dtype=float) * np.asarray(I, dtype=float)
    tot = FI.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, FI / np.where(tot > 0, tot, 1.0) * 100.0, np.nan)


@dataclass
class ObstacleResult(Result):
    """Obstacle degrees 障碍度 per unit-year, by indicator and aggregated over groupings.

    Attributes
    ----------
    framework : the measured framework.
    F : factor contribution 因子贡献度 per indicator (a Series), or per year and indicator (a
        DataFrame indexed by year) when the index used per-year weights.
    I : deviation 指标偏离度 ``1 - z`` (index (unit, year), one column per indicator).
    O : obstacle degree 障碍度 in percent (same shape as ``I``; rows sum to 100).
    groups : per grouping kind ("dimension", "factor", "new", "lever") a flat table ``unit, year``
        then one column of summed obstacle (percent) per group key; rows sum to 100. Indicators
        without a tag of that kind are in an ``untagged`` column; when ``by`` restricted the keys,
        the rest are in ``other``. This summed view grows with a group's number of indicators.
    weight_shares, lags : per grouping kind, each group's weight share and lag ratio (tagged groups only; see
        the module docstring): the diagnosis that does not depend on how many indicators a group has.
    by : the groupings that ``to_frame`` and ``summary`` report.
    top_n : how many top obstacles ``top`` and ``summary`` list.
    notes : what was done on the way (clipped deviations, rows without obstacle, weights used).
    year : the year the summary, narrative and figures report (default: the latest; see :meth:`in_year`).
    """

    label = ("障碍度诊断", "Obstacle degree")

    framework: Framework
    F: pd.Series | pd.DataFrame
    I: pd.DataFrame
    O: pd.DataFrame
    groups: dict[str, pd.DataFrame]
    by: list[str]
    #: per grouping kind: unit, year, then each group's weight share W_k (rows of tagged groups sum to ≤ 1)
    weight_shares: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: per grouping kind: unit, year, then each group's lag ratio Ī_k / mean_g Ī_g (see the module docstring)
    lags: dict[str, pd.DataFrame] = field(default_factory=dict)
    top_n: int = 3
    notes: list[str] = field(default_factory=list)
    year: int | None = None
    #: the kind of the units (province, city, firm …; ``IndexResult.unit_kind``), for the wording
    unit_kind: str | None = None

    # -- tables --------------------------------------------------------------------------------
    def _flat(self, M: pd.DataFrame) -> pd.DataFrame:
        out = M.reset_index()
        out.columns = ["unit", "year", *M.columns]
        return out

    @property
    def indicators(self) -> pd.DataFrame:
        """unit, year, then the obstacle degree (%) of each indicator."""
        return self._flat(self.O)

    @property
    def dimensions(self) -> pd.DataFrame:
        """unit, year, then the summed obstacle (%) of each first-level dimension."""
        return self.groups["dimension"].copy()

    @property
    def factors(self) -> pd.DataFrame:
        """unit, year, then the summed obstacle (%) of each factor of production (+ untagged)."""
        return self.groups["factor"].copy()

    @property
    def levers(self) -> pd.DataFrame:
        """unit, year, then the summed obstacle (%) of each policy lever (+ untagged)."""
        return self.groups["lever"].copy()

    def group_name(self, kind: str, key: str, lang: str = "en") -> str:
        """The zh/en name of an indicator (kind "indicator"), a dimension or a tag value."""
        if key in _SPECIAL:
            return _SPECIAL[key][lang]
        if kind in ("indicator", "dimension"):
            return self.framework.label(key, lang)
        return self.framework.tag_label(kind, key, lang)

    def main(self, kind: str = "lever") -> pd.DataFrame:
        """Per unit-year the group of this kind with the largest obstacle share.

        ``untagged`` and ``other`` are not candidates; ties go to the first key in vocabulary order.
        Columns: unit, year, <kind>, <kind>_zh, <kind>_en, share. The key is None when no indicator
        carries a tag of this kind.
        """
        if kind not in self.groups:
            raise FrameworkError(f"no grouping '{kind}'; available: {list(self.groups)}")
        g = self.groups[kind]
        keys = [c for c in g.columns[2:] if c not in _SPECIAL]
        vals = g[keys].to_numpy(dtype=float) if keys else np.zeros((len(g), 0))
        out = g[["unit", "year"]].copy()
        if not keys:
            best: list[Any] = [None] * len(g)
            share = np.full(len(g), np.nan)
        else:
            with np.errstate(invalid="ignore"):
                filled = np.where(np.isnan(vals), -np.inf, vals)
            pos = filled.argmax(axis=1)
            share = vals[np.arange(len(g)), pos]
            best = [keys[p] if s > 0 else None for p, s in zip(pos, share, strict=True)]
            share = np.where(share > 0, share, np.nan)
        out[kind] = best
        out[f"{kind}_zh"] = [self.group_name(kind, k, "zh") if k is not None else None for k in best]
        out[f"{kind}_en"] = [self.group_name(kind, k, "en") if k is not None else None for k in best]
        out["share"] = share
        return out

    def lag_table(self, kind: str = "lever") -> pd.DataFrame:
        """Long table for one grouping kind: unit, year, group, zh/en names, weight share, obstacle share (%),
        obstacle_to_weight, lag and the rank of the group by lag within the unit-year (1 = lags most)."""
        if kind not in self.lags:
            raise FrameworkError(f"no lag ratios for grouping '{kind}'; available: {list(self.lags)}")
        lag = self.lags[kind].melt(id_vars=["unit", "year"], var_name="group", value_name="lag")
        w = self.weight_shares[kind].melt(id_vars=["unit", "year"], var_name="group", value_name="weight_share")
        o = self.groups[kind].melt(id_vars=["unit", "year"], var_name="group", value_name="obstacle")
        out = lag.merge(w, on=["unit", "year", "group"]).merge(o, on=["unit", "year", "group"], how="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            out["obstacle_to_weight"] = out["obstacle"] / 100.0 / out["weight_share"]
        out["rank"] = out.groupby(["unit", "year"])["lag"].rank(method="min", ascending=False).astype("Int64")
        out["name_zh"] = [self.group_name(kind, k, "zh") for k in out["group"]]
        out["name_en"] = [self.group_name(kind, k, "en") for k in out["group"]]
        order = {u: i for i, u in enumerate(dict.fromkeys(self.O.index.get_level_values(0)))}
        out = out.sort_values(["year", "unit", "rank"], key=lambda c: c.map(order) if c.name == "unit" else c,
                              kind="stable")
        cols = ["unit", "year", "group", "name_zh", "name_en", "weight_share", "obstacle", "obstacle_to_weight",
                "lag", "rank"]
        return out[cols].reset_index(drop=True)

    def lagging(self, kind: str = "lever") -> pd.DataFrame:
        """Per unit-year the group with the largest lag ratio: unit, year, <kind>, <kind>_zh, <kind>_en, lag.

        The diagnosis that names the lagging lever (or factor, or "new" dimension) whatever the number of
        indicators each has; :meth:`main` gives the summed view.
        """
        if kind not in self.lags:
            raise FrameworkError(f"no lag ratios for grouping '{kind}'; available: {list(self.lags)}")
        g = self.lags[kind]
        keys = list(g.columns[2:])
        out = g[["unit", "year"]].copy()
        vals = g[keys].to_numpy(dtype=float) if keys else np.zeros((len(g), 0))
        if keys:
            filled = np.where(np.isnan(vals), -np.inf, vals)
            pos = filled.argmax(axis=1)
            best_val = vals[np.arange(len(g)), pos]
            best = [keys[p] if np.isfinite(v) else None for p, v in zip(pos, best_val, strict=True)]
        else:
            best, best_val = [None] * len(g), np.full(len(g), np.nan)
        out[kind] = best
        out[f"{kind}_zh"] = [self.group_name(kind, k, "zh") if k is not None else None for k in best]
        out[f"{kind}_en"] = [self.group_name(kind, k, "en") if k is not None else None for k in best]
        out["lag"] = best_val
        return out

    @property
    def main_lever(self) -> pd.DataFrame:
        """Per unit and year the policy lever with the largest obstacle share (with zh/en labels)."""
        return self.main("lever")

    def _row(self, unit: Any, year: Any) -> tuple[Any, int]:
        units = list(dict.fromkeys(self.O.index.get_level_values(0)))
        years = sorted(set(int(y) for y in self.O.index.get_level_values(1)))
        if unit not in units:
            raise DataError(f"unit '{unit}' is not in the obstacle result{near_matches(unit, units)}")
        try:
            y = int(year)
        except (TypeError, ValueError):
            raise DataError(f"year {year!r} is not a year; the result covers {years[0]}–{years[-1]}") from None
        if y not in years:
            raise DataError(f"year {year} is not in the obstacle result; it covers {years}")
        if (unit, y) not in self.O.index:
            raise DataError(f"{unit} {y} is not in the obstacle result (that unit-year was not measured)")
        return unit, y

    def top(self, unit: Any, year: Any, n: int | None = None, kind: str = "indicator") -> pd.DataFrame:
        """The n largest obstacles of one unit-year (indicators by default, or a grouping kind)."""
        unit, y = self._row(unit, year)
        n = self.top_n if n is None else n
        if kind == "indicator":
            s = self.O.loc[(unit, y)]
        elif kind in self.groups:
            g = self.groups[kind]
            s = g[(g["unit"] == unit) & (g["year"] == y)].iloc[0, 2:].astype(float)
        else:
            raise FrameworkError(f"unknown kind '{kind}'; use 'indicator' or one of {list(self.groups)}")
        s = s.sort_values(ascending=False, kind="stable").head(n)
        out = pd.DataFrame({
            "rank": np.arange(1, len(s) + 1), "id": list(s.index),
            "name_zh": [self.group_name(kind, k, "zh") for k in s.index],
            "name_en": [self.group_name(kind, k, "en") for k in s.index],
            "obstacle": s.to_numpy(dtype=float),
        })
        if kind == "indicator":
            table = self.framework.indicator_table()
            out["dimension"] = table.loc[list(s.index), "dimension"].to_numpy()
            out["lever"] = table.loc[list(s.index), "lever"].to_numpy()
        return out

    def top_table(self, n: int | None = None, year: int | None = None) -> pd.DataFrame:
        """For every unit-year (or one year) its n largest indicator obstacles, long format."""
        n = self.top_n if n is None else n
        O = self.O if year is None else self.O[self.O.index.get_level_values(1) == int(year)]
        if year is not None and O.empty:
            raise DataError(f"year {year} is not in the obstacle result")
        vals = O.to_numpy(dtype=float)
        order = np.argsort(-np.where(np.isnan(vals), -np.inf, vals), axis=1, kind="stable")[:, :n]
        cols = np.asarray(O.columns)
        k = order.shape[1]
        ids = cols[order].ravel()
        idx = O.index
        return pd.DataFrame({
            "unit": np.repeat(idx.get_level_values(0).to_numpy(), k),
            "year": np.repeat(idx.get_level_values(1).to_numpy(), k),
            "rank": np.tile(np.arange(1, k + 1), len(O)),
            "indicator": ids,
            "name_zh": [self.framework.label(i, "zh") for i in ids],
            "name_en": [self.framework.label(i, "en") for i in ids],
            "obstacle": np.take_along_axis(vals, order, axis=1).ravel(),
        })

    def to_frame(self) -> pd.DataFrame:
        """Long table: unit, year, kind (indicator and each reported grouping), id, names, obstacle (%), rank.

        Rows follow the unit-years of the index, then the kinds, then the rank (1 = largest obstacle).
        """
        idx = self.O.index
        n = len(idx)
        units = idx.get_level_values(0).to_numpy()
        years = idx.get_level_values(1).to_numpy()
        names = ("row", "seq", "kind", "id", "zh", "en", "obstacle", "rank")
        parts: dict[str, list[np.ndarray]] = {k: [] for k in names}
        for kind in ["indicator", *self.by]:
            wide = self.O if kind == "indicator" else self.groups[kind].iloc[:, 2:]
            keys = list(wide.columns)
            M = wide.to_numpy(dtype=float)
            k = M.shape[1]
            neg = np.where(np.isnan(M), np.inf, -M)
            order = np.argsort(neg, axis=1, kind="stable")
            sorted_neg = np.take_along_axis(neg, order, axis=1)
            # rank "min" (ties share the best rank): the position of the first of each run of equal values
            new_run = np.ones(sorted_neg.shape, dtype=bool)
            new_run[:, 1:] = sorted_neg[:, 1:] != sorted_neg[:, :-1]
            start = np.where(new_run, np.arange(k), 0)
            rank = (np.maximum.accumulate(start, axis=1) + 1).astype(float) if k else np.zeros((n, 0))
            rank[np.isinf(sorted_neg)] = np.nan
            parts["seq"].append(np.tile(np.arange(k), n))
            parts["row"].append(np.repeat(np.arange(n), k))
            parts["kind"].append(np.full(n * k, kind, dtype=object))
            parts["id"].append(np.asarray(keys, dtype=object)[order].ravel())
            parts["zh"].append(np.asarray([self.group_name(kind, c, "zh") for c in keys], dtype=object)[order].ravel())
            parts["en"].append(np.asarray([self.group_name(kind, c, "en") for c in keys], dtype=object)[order].ravel())
            parts["obstacle"].append(np.take_along_axis(M, order, axis=1).ravel())
            parts["rank"].append(rank.ravel())
        cat = {k: np.concatenate(v) for k, v in parts.items()}
        kind_pos = {k: i for i, k in enumerate(["indicator", *self.by])}
        kpos = np.array([kind_pos[k] for k in cat["kind"]])
        order = np.lexsort((cat["seq"], kpos, cat["row"]))
        rows = cat["row"][order]
        return pd.DataFrame({
            "unit": units[rows], "year": years[rows], "kind": cat["kind"][order], "id": cat["id"][order],
            "name_zh": cat["zh"][order], "name_en": cat["en"][order], "obstacle": cat["obstacle"][order],
            "rank": pd.array(cat["rank"][order], dtype="Float64").astype("Int64"),
        })

    # -- text ----------------------------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        """The years of the result, ascending."""
        return sorted(set(int(y) for y in self.O.index.get_level_values(1)))

    def _year(self) -> int:
        """The reported year: ``year`` or the latest."""
        years = self.years
        if self.year is None:
            return years[-1]
        if int(self.year) not in years:
            raise DataError(f"year {self.year} is not in the obstacle result; it covers {years}")
        return int(self.year)

    def in_year(self, year: int) -> ObstacleResult:
        """The same result reporting ``year`` (summary, narrative, figures) instead of the latest year."""
        try:
            y = int(year)
        except (TypeError, ValueError):
            raise DataError(f"year {year!r} is not a year; the result covers {self.years}") from None
        if y not in self.years:
            raise DataError(f"year {year} is not in the obstacle result; it covers {self.years}")
        return dataclasses.replace(self, year=y)

    def tagged(self, kind: str) -> bool:
        """Whether any indicator carries a tag of this kind (always True for "dimension")."""
        if kind == "dimension":
            return True
        if kind not in self.groups:
            return False
        table = self.framework.indicator_table().reindex(list(self.O.columns))
        return kind in table.columns and bool(table[kind].notna().any())

    @property
    def main_kind(self) -> str:
        """The grouping the summary, narrative and figures report: the policy levers when the framework
        tags indicators with levers (and ``by`` asks for them), otherwise the first-level dimensions."""
        return "lever" if "lever" in self.by and self.tagged("lever") else "dimension"

    @property
    def lever_fallback(self) -> bool:
        """Whether levers were asked for but no indicator carries one, so dimensions stand in (and say so)."""
        return "lever" in self.by and self.main_kind == "dimension"

    def _kind_word(self, kind: str, lang: str) -> str:
        return t(f"obstacle_kind_{kind}", lang)

    def _words(self, lang: str) -> KindWords:
        """How the text names the units (各省 / 各企业 …)."""
        units = self.O.index.get_level_values(0).unique()
        return kind_words(self.unit_kind or infer_kind(list(units)), lang, len(units))

    def _summary_lines(self, lang: str) -> list[str]:
        """For each unit, the lever (or, without lever tags, the dimension) that holds it back most in the
        reported year, its top indicators, the mean shares and how often each is the main obstacle."""
        zh = lang == "zh"
        y = self._year()
        kind = self.main_kind
        word = self._kind_word(kind, lang)
        fw = self.framework
        title = fw.title_zh if zh else fw.title_en
        main = self.main(kind)
        main = main[main["year"] == y]
        lag = self.lagging(kind).set_index(["unit", "year"]) if kind in self.lags else None
        tops = self.top_table(year=y)
        name_col = "name_zh" if zh else "name_en"
        sep = "，" if zh else ", "
        if zh:
            each = self._words(lang).each
            lines = [f"障碍度 — {title} [{fw.name}]，{y} 年：{each}滞后最多的{word}（滞后比 = 障碍度占比 ÷ 权重占比，"
                     f"相对于各{word}平均；> 1 为滞后），以及加总障碍度最大的{word}"]
        else:
            each = self._words(lang).each
            lines = [f"Obstacle degree — {title} [{fw.name}], {y}: for {each} the {word} that lags most (lag ratio "
                     f"= obstacle share ÷ weight share, against the average {word}; > 1 = lagging) and the {word} "
                     "with the largest summed obstacle"]
        for row in main.itertuples(index=False):
            tt = tops[tops["unit"] == row.unit]
            top_txt = sep.join(f"{nm} {v:.1f}%" for nm, v in zip(tt[name_col], tt["obstacle"], strict=True))
            key = getattr(row, f"{kind}_{lang}")
            if key is not None:
                main_txt = f"{key} {row.share:.1f}%"
            else:
                main_txt = f"无{word}标注的指标" if zh else f"no {word}-tagged indicator"
            lag_txt = ""
            if lag is not None and (row.unit, row.year) in lag.index:
                lr = lag.loc[(row.unit, row.year)]
                if lr[f"{kind}_{lang}"] is not None:
                    lag_txt = (f"滞后 {lr[f'{kind}_{lang}']}（{lr['lag']:.2f}）；加总 " if zh else
                               f"lags: {lr[f'{kind}_{lang}']} ({lr['lag']:.2f}); summed: ")
            if zh:
                lines.append(f"  {unit_name(row.unit, lang)}：{lag_txt}{main_txt}；"
                             f"前 {self.top_n} 位障碍指标：{top_txt}")
            else:
                lines.append(f"  {unit_name(row.unit, lang)}: {lag_txt}{main_txt}; top {self.top_n} indicators: "
                             f"{top_txt}")
        g = self.groups[kind]
        mean = g[g["year"] == y].iloc[:, 2:].mean()
        lines.append((f"各{word}平均障碍度：" if zh else f"mean {word} shares: ") + sep.join(
            f"{self.group_name(kind, k, lang)} {v:.1f}%" for k, v in mean.sort_values(ascending=False).items()))
        counts = main[kind].value_counts()
        if len(counts):
            lines.append((f"作为首要障碍的{self._words(lang).unit}数：" if zh else f"main {word} counts: ") + sep.join(
                f"{self.group_name(kind, k, lang)} {int(v)}" for k, v in counts.items()))
        notes = [t("obstacle_no_levers", lang)] * self.lever_fallback + list(self.notes)
        lines.extend((f"说明：{n}" if zh else f"note: {n}") for n in notes)
        return lines

    def _lag_sentence(self, kind: str, y: int, lang: str) -> str | None:
        """Mean lag ratio of each group of ``kind`` in year y and how many units each lags most in."""
        if kind not in self.lags or not self.tagged(kind):
            return None
        g = self.lags[kind]
        sub = g[g["year"] == y].drop(columns=["unit", "year"])
        if sub.empty or sub.isna().all().all():
            return None
        mean = sub.mean().sort_values(ascending=False)
        most = self.lagging(kind)
        most = most[most["year"] == y][kind].value_counts()
        word = t(f"obstacle_kind_{kind}", lang)
        if lang == "zh":
            return (f"{y} 年各{word}的平均滞后比：" + "、".join(
                f"{self.group_name(kind, k, lang)} {num(v, 2)}" for k, v in mean.items()) + "；滞后最多的" + word
                + "：" + "、".join(f"{self.group_name(kind, k, lang)} {n} 个" for k, n in most.items()) + "。")
        return (f"Mean lag ratio by {word} in {y}: " + ", ".join(
            f"{self.group_name(kind, k, lang)} {num(v, 2)}" for k, v in mean.items()) + f"; the {word} that lags "
            "most: " + ", ".join(f"{self.group_name(kind, k, lang)} in {n} units" for k, n in most.items()) + ".")

    def narrative(self, lang: str = "en") -> list[str]:
        """The lag ratios (lever, factor, "new" dimension) in the reported year, then the summed view, labelled."""
        kind = self.main_kind
        y = self._year()
        out = [x for k in dict.fromkeys([kind, "factor", "new"]) if (x := self._lag_sentence(k, y, lang))]
        g = self.groups[kind]
        sub = g[g["year"] == y].set_index("unit").drop(columns="year")
        mean = sub.mean().sort_values(ascending=False)
        main = self.main(kind)
        main = main[(main["year"] == y)][kind].value_counts()
        fallback = [t("obstacle_no_levers", lang) + ("。" if lang == "zh" else ".")] * self.lever_fallback
        out = [*fallback, *out]
        if lang == "zh":
            out.append(f"加总障碍度（随所含指标数增加，反映指标体系结构）：{y} 年各{t(kind, lang)}平均 " + "、".join(
                f"{self.group_name(kind, k, lang)} {num(v, 1)}%" for k, v in mean.items()) + "。")
            if len(main):
                out.append(f"按加总障碍度作为首要障碍的{self._words(lang).unit}数：" + "、".join(
                    f"{self.group_name(kind, k, lang)} {n} 个" for k, n in main.items()) + "。")
            return out
        out.append(f"Summed obstacle degree (grows with a group's number of indicators) by {t(kind, lang).lower()} "
                   f"in {y}: " + ", ".join(f"{self.group_name(kind, k, lang)} {num(v, 1)}%" for k, v in mean.items())
                   + ".")
        if len(main):
            out.append("Number of units for which each has the largest summed obstacle: " + ", ".join(
                f"{self.group_name(kind, k, lang)} {n}" for k, n in main.items()) + ".")
        return out

    def lag_figure(self, lang: str = "en") -> Any:
        """Unit × group heat map of the lag ratios of the main kind in the reported year (1 = the average group)."""
        import plotly.graph_objects as go

        kind, y = self.main_kind, self._year()
        g = self.lags[kind]
        sub = g[g["year"] == y].set_index("unit").drop(columns="year")
        sub = sub.loc[:, sub.notna().any()]
        order = sub.max(axis=1).sort_values(ascending=False).index
        sub = sub.loc[order]
        z = sub.to_numpy(dtype=float)
        top = float(np.nanmax(z)) if np.isfinite(z).any() else 2.0
        fig = go.Figure(go.Heatmap(
            z=z, x=[self.group_name(kind, k, lang) for k in sub.columns], y=[unit_name(u, lang) for u in sub.index],
            zmin=0.0, zmid=1.0, zmax=max(top, 2.0), colorscale="RdBu_r",
            colorbar={"title": "滞后比" if lang == "zh" else "lag ratio"},
            hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>"))
        fig.update_layout(height=max(320, 18 * len(sub) + 140), yaxis={"autorange": "reversed"},
                          margin={"l": 90, "r": 20, "t": 20, "b": 90})
        return fig

    # -- figures -------------------------------------------------------------------------------
    def _shares(self) -> tuple[str, int, pd.DataFrame]:
        """(kind, year, unit × group shares of that year: groups with a positive share, sorted by the first)."""
        kind, y = self.main_kind, self._year()
        g = self.groups[kind]
        sub = g[g["year"] == y].set_index("unit").drop(columns="year")
        sub = sub.loc[:, sub.sum() > 0]
        return kind, y, sub.sort_values(sub.columns[0], kind="stable")

    def figures(self, lang: str = "en") -> list[Any]:
        """Per unit the obstacle degree (%) split by lever (or dimension), stacked to 100 % (reported year)."""
        import plotly.graph_objects as go

        kind, y, sub = self._shares()
        fig = go.Figure()
        pal = list(OKABE_ITO[:7])
        names = [unit_name(u, lang) for u in sub.index]
        for k, col in enumerate(sub.columns):
            fig.add_trace(go.Bar(y=names, x=sub[col], orientation="h", name=self.group_name(kind, col, lang),
                                 marker_color="#bbbbbb" if col in _SPECIAL else pal[k % len(pal)],
                                 hovertemplate="%{y}: %{x:.1f}%<extra>%{fullData.name}</extra>"))
        fig.update_layout(barmode="stack", height=max(420, 20 * len(sub) + 160),
                          xaxis={"title": f"{t('obstacle_pct', lang)}, {y}", "range": [0, 100]},
                          legend={"orientation": "h", "y": -0.08}, margin={"l": 90, "r": 20, "t": 20, "b": 60})
        return [fig]

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """Per unit the obstacle degree (%) split by lever (or dimension), stacked to 100 % (reported year)."""
        kind, y, sub = self._shares()
        fig, ax = figure_axes(ax, (5.6, max(3.0, 0.16 * len(sub) + 1.2)))
        left = np.zeros(len(sub))
        palette = [*OKABE_ITO[:7], "#999999"]
        for k, col in enumerate(sub.columns):
            v = sub[col].to_numpy(dtype=float)
            ax.barh(np.arange(len(sub)), v, left=left, height=0.75, edgecolor="white", linewidth=0.3,
                    color="#bbbbbb" if col in _SPECIAL else palette[k % len(palette)],
                    label=self.group_name(kind, col, lang))
            left += v
        ax.set_yticks(np.arange(len(sub)), labels=[unit_name(u, lang) for u in sub.index])
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"{t('obstacle_pct', lang)}, {y}")
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.08 - 1.2 / max(8, len(sub))), ncol=2)
        return fig

    def mean_figure(self, lang: str = "en") -> Any:
        """The mean obstacle degree (%) of each lever (or dimension) over the units in the reported year
        (the view for panels too large for one bar per unit)."""
        import plotly.graph_objects as go

        kind, y, sub = self._shares()
        mean = sub.mean().sort_values()
        fig = go.Figure(go.Bar(y=[self.group_name(kind, k, lang) for k in mean.index], x=mean.to_numpy(),
                               orientation="h", marker_color=OKABE_ITO[4],
                               hovertemplate="%{y}: %{x:.1f}%<extra></extra>"))
        fig.update_layout(height=max(260, 30 * len(mean) + 120), xaxis={"title": f"{t('obstacle_pct', lang)}, {y}"},
                          margin={"l": 200, "r": 20, "t": 20, "b": 50})
        return fig

    # -- report --------------------------------------------------------------------------------
    def report(self, ctx: ReportContext) -> list[Block]:
        """The narrative, the stacked obstacle shares by lever (or dimension) and each unit's top indicators;
        for a large panel (``ctx.large``) the mean shares and how many units each group holds back most."""
        lang = ctx.lang
        y = self._year()
        if ctx.large:
            kind = self.main_kind
            main = self.main(kind)
            counts = main[main["year"] == y][f"{kind}_{lang}"].value_counts().rename_axis("group")
            counts = counts.rename("count").reset_index()
            return [Text(tuple(self.narrative(lang))),
                    Heading(t("obstacle_levers" if kind == "lever" else "obstacle_dimensions", lang)),
                    Figure(self.mean_figure(lang)), Heading(f"{t('main_obstacle', lang)} ({y})"),
                    Table(counts, formats={"count": "int"},
                          headers={"group": t(kind, lang), "count": t("count", lang)})]
        name_col = "name_zh" if lang == "zh" else "name_en"
        top = self.top_table(year=y)
        top = top.assign(unit=[unit_name(u, lang) for u in top["unit"]])[["unit", "rank", name_col, "obstacle"]]
        heading = "obstacle_levers" if self.main_kind == "lever" else "obstacle_dimensions"
        lag_view: list[Block] = []
        if self.main_kind in self.lags and self.tagged(self.main_kind):
            lag_view = [Heading(f"{t(heading, lang)} · {t('obstacle_lag', lang)}"), Figure(self.lag_figure(lang))]
        return [Text(tuple(self.narrative(lang))), *lag_view,
                Heading(f"{t(heading, lang)} · {t('obstacle_summed', lang)}"),
                *(Figure(f) for f in self.figures(lang)),
                Heading(f"{t('main_obstacle', lang)} ({y})"),
                Table(top, formats={"rank": "int", "obstacle": "2f"},
                      headers={"unit": _unit_header(self._words(lang), lang), "rank": t("rank", lang),
                               name_col: t("indicator", lang),
                               "obstacle": t("obstacle_pct", lang)}, max_rows=400)]

    def __repr__(self) -> str:
        units = self.O.index.get_level_values(0).nunique()
        return (f"ObstacleResult({self.framework.name!r}, units={units}, unit-years={len(self.O)}, "
                f"indicators={self.O.shape[1]})")


def _unit_header(words: KindWords, lang: str) -> str:
    """The unit column's heading: 地区 / Unit for provinces (as always), else the kind's noun (企业 / Firm)."""
    return t("unit", lang) if words.unit in ("省份", "province") else words.unit[:1].upper() + words.unit[1:]


# ---------------------------------------------------------------------------------------------


def _resolve_by(fw: Framework, by: Any) -> tuple[list[str], dict[str, list[str] | None]]:
    """The reported kinds and, per kind, the requested keys (None = all)."""
    kinds = ["dimension", *fw.vocabulary]
    if by is None:
        return list(DEFAULT_BY), {}
    if isinstance(by, str):
        by = [by]
    restrict: dict[str, list[str] | None] = {}
    if isinstance(by, Mapping):
        items = list(by.items())
    elif isinstance(by, Sequence):
        items = [(k, None) for k in by]
    else:
        raise FrameworkError(f"by must be a grouping name, a list of them or a mapping kind -> keys, got {by!r}")
    reported = []
    for kind, keys in items:
        if kind not in kinds:
            alias = {"dimensions": "dimension", "factors": "factor", "levers": "lever"}.get(kind)
            if alias is not None:
                kind = alias
            else:
                all_keys = [k for kk in fw.vocabulary.values() for k in kk]
                hint = ""
                if kind in all_keys:
                    owner = next(kk for kk, v in fw.vocabulary.items() if kind in v)
                    hint = f"; '{kind}' is a {owner} key — ask for by={{'{owner}': ['{kind}']}}"
                hint = hint or near_matches(kind, kinds)
                raise FrameworkError(f"framework '{fw.name}' has no grouping '{kind}'; use one of {kinds}{hint}")
        defined = fw.dimensions if kind == "dimension" else list(fw.vocabulary[kind])
        if keys is not None:
            keys = [keys] if isinstance(keys, str) else list(keys)
            for k in keys:
                if k not in defined:
                    raise FrameworkError(
                        f"framework '{fw.name}' defines no {kind} '{k}'; defined: {defined}{near_matches(k, defined)}")
            if not keys:
                raise FrameworkError(f"by['{kind}'] is empty; name at least one {kind} or pass None for all")
        restrict[kind] = keys
        if kind not in reported:
            reported.append(kind)
    return reported, restrict


def obstacle_degree(result: IndexResult, top: int = 3, by: Any = None) -> ObstacleResult:
    """Obstacle degree model 障碍度模型: each indicator's share of the weighted shortfall from the best value.

    Reference: O_ij = F_j·I_ij / Σ_j F_j·I_ij, the 障碍度模型 as applied e.g. to the high-quality
    development of China's eastern provinces in Int. J. Environ. Res. Public Health 2023, 20(2):1336
    (doi:10.3390/ijerph20021336).

    Parameters
    ----------
    result : a measured index (min–max normalisation; deviations ``1 - z`` need z in [0, 1]).
    top : how many top obstacles ``.top()`` and ``.summary()`` list.
    by : which groupings ``to_frame()``/``summary()`` report — a kind ("dimension", "factor",
        "new", "lever"), a list of kinds, or a mapping kind -> keys restricting the columns of that
        grouping to the named keys (the rest summed as ``other``), e.g.
        ``by={"lever": ["st_self_reliance", "modern_industrial_system"]}``. A kind or key the
        framework does not define raises FrameworkError. Default ("dimension", "factor", "lever").

    Choices (documented): z is taken WITHOUT the min–max shift (``z - settings["shift"]``, so z ∈
    [0, 1] and I ∈ [0, 1] exactly; the 1e-4 shift only exists to keep entropy logarithms finite). Any
    deviation still outside [0, 1] (hand-made or rescored results) is clipped and recorded in
    ``notes``. With per-year entropy weights (weighting="entropy"), F_j is the weight of the row's
    year. Indicators without a tag of a kind sum into an ``untagged`` column so rows stay at 100 %.

    Returns
    -------
    ObstacleResult: O (unit-years, indicators) in percent and the grouped tables.

    Examples
    --------
    >>> from nqpf import load_dataset, load_framework, measure
    >>> res = measure(load_dataset("china-provinces"), load_framework("nqpf-province-core"), years=(2020, 2022))
    >>> o = obstacle_degree(res)
    >>> bool(np.allclose(o.levers.iloc[:, 2:].sum(axis=1), 100.0)), o.main_kind
    (True, 'lever')
    """
    if not isinstance(result, IndexResult):
        raise DataError(f"obstacle_degree needs an IndexResult from nqpf.measure(), got {type(result).__name__}")
    if top < 1:
        raise MethodError(f"top must be at least 1, got {top}")
    fw = result.framework
    s = result.settings or {}
    norm = s.get("normalization", "minmax")
    if norm != "minmax":
        raise MethodError(
            f"obstacle degree needs min–max normalised values in [0, 1] (deviation 1 - z), but this index "
            f"used normalization='{norm}'; re-measure with normalization='minmax'")
    shift = float(s.get("shift", 0.0) or 0.0)
    Zdf = result.normalized
    ids = list(Zdf.columns)
    table = fw.indicator_table()
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise FrameworkError(f"indicators {missing} of the result are not in framework '{fw.name}'")
    table = table.loc[ids]
    Z = Zdf.to_numpy(dtype=float)
    if np.isnan(Z).any():
        r, c = np.argwhere(np.isnan(Z))[0]
        u, y = Zdf.index[r]
        raise DataError(f"normalised value of indicator '{ids[c]}' is missing at {u} {y}; measure() with a "
                        "missing-value policy (interpolate/drop) first")
    notes: list[str] = []
    I = 1.0 - (Z - shift)
    if shift:
        notes.append(f"deviation I = 1 - (z - {shift:g}): the min–max shift is removed, so I ∈ [0, 1]")
    hi = I > 1.0 + 1e-12
    lo = I < -1e-12
    if lo.any():
        notes.append(f"{int(lo.sum())} deviation(s) below 0 (z above 1 beyond the bounds, largest by "
                     f"{-I[lo].min():.3g}) clipped to 0")
    if hi.any():
        notes.append(f"{int(hi.sum())} deviation(s) above 1 (z below 0, largest by {I[hi].max() - 1:.3g}) clipped to 1")
    I = np.clip(I, 0.0, 1.0)

    wby = getattr(result, "weights_by_year", None)
    if wby is not None:
        years = Zdf.index.get_level_values(1).to_numpy()
        Fm = wby.reindex(columns=ids).loc[years].to_numpy(dtype=float)
        F: pd.Series | pd.DataFrame = wby.reindex(columns=ids)
        notes.append("F_j: the entropy weights of each row's own year (per-year weighting)")
    else:
        Fs = result.indicator_weights.reindex(ids)
        if Fs.isna().any():
            raise FrameworkError(f"no weight for indicators {list(Fs.index[Fs.isna()])} in the result")
        Fm = Fs.to_numpy(dtype=float)
        F = Fs
    O = obstacle_shares(Fm, I)
    empty = np.isnan(O).all(axis=1)
    if empty.any():
        where = ", ".join(f"{u} {y}" for u, y in Zdf.index[empty][:5])
        notes.append(f"no shortfall on any weighted indicator at {where}: obstacle degrees undefined (NaN)")

    reported, restrict = _resolve_by(fw, by)
    Odf = pd.DataFrame(O, index=Zdf.index, columns=ids)
    flat_idx = Zdf.index
    groups: dict[str, pd.DataFrame] = {}
    weight_shares: dict[str, pd.DataFrame] = {}
    lags: dict[str, pd.DataFrame] = {}
    for kind in ["dimension", *fw.vocabulary]:
        member = table["dimension"] if kind == "dimension" else table[kind]
        defined = fw.dimensions if kind == "dimension" else list(fw.vocabulary[kind])
        keys = restrict.get(kind) or defined
        cols: dict[str, np.ndarray] = {}
        for k in keys:
            cols[k] = O[:, (member == k).to_numpy()].sum(axis=1)
        tagged = member.notna().to_numpy()
        if restrict.get(kind):
            rest = tagged & ~member.isin(keys).to_numpy()
            if rest.any():
                cols[OTHER] = O[:, rest].sum(axis=1)
        if (~tagged).any():
            cols[UNTAGGED] = O[:, ~tagged].sum(axis=1)
        g = pd.DataFrame({"unit": flat_idx.get_level_values(0).to_numpy(),
                          "year": flat_idx.get_level_values(1).to_numpy(), **cols})
        if empty.any():
            g.loc[empty, list(cols)] = np.nan
        groups[kind] = g
        weight_shares[kind], lags[kind] = _lag_ratios(Fm, I, member, [k for k in defined if (member == k).any()],
                                                      flat_idx)
    return ObstacleResult(framework=fw, F=F, I=pd.DataFrame(I, index=Zdf.index, columns=ids), O=Odf,
                          groups=groups, by=reported, weight_shares=weight_shares, lags=lags, top_n=int(top),
                          notes=notes, unit_kind=result.unit_kind)


def _lag_ratios(F: np.ndarray, I: np.ndarray, member: pd.Series, keys: list[str], idx: pd.MultiIndex
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(weight shares W_k, lag ratios Ī_k / mean_g Ī_g) of the groups ``keys`` per row (see the module docstring).

    ``F`` is (m,) or (rows, m) factor contributions, ``I`` (rows, m) deviations, ``member`` the group of each
    indicator (NaN: untagged, left out).
    """
    Fm = np.broadcast_to(np.asarray(F, dtype=float), I.shape)
    total = Fm.sum(axis=1)
    W = np.zeros((I.shape[0], len(keys)))
    Ibar = np.full((I.shape[0], len(keys)), np.nan)
    for c, k in enumerate(keys):
        mask = (member == k).to_numpy()
        wk = Fm[:, mask].sum(axis=1)
        W[:, c] = wk / total
        with np.errstate(invalid="ignore", divide="ignore"):
            Ibar[:, c] = np.where(wk > 0, (Fm[:, mask] * I[:, mask]).sum(axis=1) / wk, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = np.nanmean(Ibar, axis=1, keepdims=True) if keys else np.zeros((I.shape[0], 1))
        L = np.where(ref > 0, Ibar / ref, np.nan)
    base = {"unit": idx.get_level_values(0).to_numpy(), "year": idx.get_level_values(1).to_numpy()}
    return (pd.DataFrame({**base, **{k: W[:, c] for c, k in enumerate(keys)}}),
            pd.DataFrame({**base, **{k: L[:, c] for c, k in enumerate(keys)}}))


# ---------------------------------------------------------------------------------------------
# study file: [analyses.obstacle]
# ---------------------------------------------------------------------------------------------
class ObstacleOptions(Options):
    """``[analyses.obstacle]``: the index and how many top obstacles to list."""

    index: str | None = None
    top: int = 3


def _obstacle_tables(res: ObstacleResult, used: list[str]) -> dict[str, pd.DataFrame]:
    name = used[0]
    out = {f"obstacle_levers_{name}": res.levers, f"obstacle_dimensions_{name}": res.dimensions,
           f"obstacle_factors_{name}": res.factors, f"obstacle_top_{name}": res.top_table()}
    for kind, label in (("lever", "levers"), ("factor", "factors"), ("new", "new")):
        if kind in res.lags and res.tagged(kind):
            out[f"obstacle_lag_{label}_{name}"] = res.lag_table(kind)
    return out


def _obstacle_methods(res: ObstacleResult, opts: ObstacleOptions, lang: str) -> str:
    """The methods.md paragraph: O = F·I / Σ F·I × 100 %, F the global weight, I = 1 - (z - s)."""
    c = cite(("wang2023",), lang)
    if lang == "zh":
        return (f"采用障碍度模型{c}诊断障碍因子：$O_{{ij}} = F_j I_{{ij}}/\\sum_j F_j I_{{ij}}\\times 100\\%$，"
                "因子贡献度 $F_j$ 为指标全局权重，指标偏离度 $I_{ij} = 1 - (z_{ij} - s)$；"
                "维度与政策抓手的障碍度为其所含指标障碍度之和；因加总障碍度随所含指标数增加，另以滞后比 "
                "$L_k = \\bar I_k / \\mathrm{mean}_g \\bar I_g$（$\\bar I_k$ 为组内权重加权的偏离度，"
                "等于障碍度占比 ÷ 权重占比再相对各组平均）识别滞后的政策抓手、生产要素与“新”的维度，$L_k>1$ 为滞后。")
    return (f"Obstacle factors were diagnosed with the obstacle degree model{c}: "
            "$O_{ij} = F_j I_{ij}/\\sum_j F_j I_{ij}\\times 100\\%$, with factor contribution $F_j$ the "
            "indicator's global weight and deviation $I_{ij} = 1 - (z_{ij} - s)$; dimension and policy-lever "
            "obstacles are sums over their indicators. Because a summed obstacle grows with the number of indicators "
            "a group has, the lagging lever, factor and \"new\" dimension are named by the lag ratio "
            "$L_k = \\bar I_k / \\mathrm{mean}_g \\bar I_g$ ($\\bar I_k$ the group's weighted mean deviation; "
            "the obstacle share divided by the weight share, against the average group); $L_k > 1$ means lagging.")


@register_analysis("obstacle", options=ObstacleOptions, result=ObstacleResult, section="hqd", order=20,
                   label=("障碍度诊断", "Obstacle degree"), refs=("wang2023",), tables=_obstacle_tables,
                   methods=_obstacle_methods, labels=_LABELS)
def _study_obstacle(ctx: StudyContext, opts: ObstacleOptions) -> ObstacleResult:
    _, res = ctx.index(opts.index)
    return dataclasses.replace(obstacle_degree(res, top=opts.top), unit_kind=infer_kind(list(res.units), ctx.kind))
