"""Scenario 情景模拟: score changes checked by hand against the weights and bounds; warnings; bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.scenario import ScenarioResult, ScenarioWarning, parse_change, scenario
from nqpf.core.errors import DataError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure

TOY = """
name: toy
title: {zh: 玩具指数, en: Toy index}
target:
  id: toy
  name_zh: 玩具指数
  name_en: Toy index
  children:
    - id: d1
      name_zh: 维度一
      name_en: Dim one
      indicators:
        - {id: a, name_zh: 甲, name_en: Alpha, unit: "%"}
        - {id: b, name_zh: 乙, name_en: Beta ratio, unit: ratio, definition: "x1 / x2", domain: nonnegative}
    - id: d2
      name_zh: 维度二
      name_en: Dim two
      indicators:
        - {id: c, name_zh: 丙, name_en: Gamma, unit: t, direction: negative}
"""

UNITS = ["北京", "上海", "广东", "西藏"]


def toy_result(aggregation: str = "weighted_sum", scope: str = "pooled"):
    rng = np.random.default_rng(5)
    idx = pd.MultiIndex.from_product([UNITS, [2020, 2021, 2022]], names=["unit", "year"])
    data = pd.DataFrame({
        "a": rng.uniform(1, 5, 12), "x1": rng.uniform(10, 50, 12), "x2": rng.uniform(5, 10, 12),
        "c": rng.uniform(100, 200, 12),
    }, index=idx)
    return measure(Panel(data), Framework(parse_framework_text(TOY)), aggregation=aggregation, scope=scope)


def test_absolute_change_by_hand() -> None:
    res = toy_result()
    # weighted sum of min–max values with pooled bounds fixed: Δscore = w_a · Δa / (high_a - low_a)
    lo, hi = res.bounds.loc["a", "low"], res.bounds.loc["a", "high"]
    before = res.values.loc[("上海", 2021), "a"]
    delta = min(0.5, (hi - before) / 2)  # stays inside the observed range
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning inside the range
        s = scenario(res, {"a": delta}, "上海", 2021)
    assert isinstance(s, ScenarioResult)
    w = res.indicator_weights
    assert s.delta == pytest.approx(w["a"] * delta / (hi - lo), rel=1e-10)
    assert s.score_before == pytest.approx(res.year_scores(2021)["上海"])
    # the dimension d1 moves by the renormalised weight of a within d1
    wd1 = w["a"] / (w["a"] + w["b"])
    frame = s.to_frame().set_index("id")
    assert frame.loc["d1", "change"] == pytest.approx(wd1 * delta / (hi - lo), rel=1e-10)
    assert frame.loc["d2", "change"] == pytest.approx(0.0, abs=1e-15)
    assert s.changes.loc[0, "after"] == pytest.approx(before + delta)
    assert not s.changes.loc[0, "outside"] and s.warnings == []


def test_relative_change_and_negative_indicator() -> None:
    res = toy_result()
    lo, hi = res.bounds.loc["c", "low"], res.bounds.loc["c", "high"]
    before = res.values.loc[("广东", 2022), "c"]
    s = scenario(res, {"c": "-5%"}, "广东", 2022)
    after = before * 0.95
    assert s.changes.loc[0, "after"] == pytest.approx(after)
    assert s.changes.loc[0, "kind"] == "relative" and s.changes.loc[0, "change"] == pytest.approx(-0.05)
    # c is a negative indicator: z = (high - x)/(high - low) + shift, so lowering c raises the score
    expect = res.indicator_weights["c"] * (before - after) / (hi - lo)
    if after < lo:
        assert s.warnings
    assert s.delta == pytest.approx(expect, rel=1e-10)


def test_expression_indicator_changes_the_indicator_value_itself() -> None:
    res = toy_result()
    before = res.values.loc[("北京", 2020), "b"]  # = x1 / x2 of 北京 2020
    s = scenario(res, {"b": 0.25}, "北京", 2020)
    lo, hi = res.bounds.loc["b", "low"], res.bounds.loc["b", "high"]
    assert s.changes.loc[0, "before"] == pytest.approx(before)
    assert s.changes.loc[0, "after"] == pytest.approx(before + 0.25)
    assert s.delta == pytest.approx(res.indicator_weights["b"] * 0.25 / (hi - lo), rel=1e-10)


def test_rank_recomputed_others_unchanged_and_out_of_range_warning() -> None:
    res = toy_result()
    last = res.year_scores(2022).sort_values().index[0]  # the lowest-ranked unit in 2022
    hi = res.bounds.loc["a", "high"]
    with pytest.warns(ScenarioWarning, match="outside the observed range"):
        s = scenario(res, {"a": hi * 10}, last, 2022)
    assert s.rank_before == len(UNITS) and s.rank_after == 1
    assert s.warnings and "outside the observed range" in s.warnings[0]
    assert bool(s.changes.loc[0, "outside"]) is True
    others = s.scores.set_index("unit").drop(index=last)["score"]
    orig = res.year_scores(2022).drop(index=last)
    assert np.allclose(others.to_numpy(), orig.reindex(others.index).to_numpy())
    assert s.notes == []
    text = s.summary()
    assert "rank: 4 → 1 of 4" in text and "warning:" in text
    assert "甲" in s.summary(lang="zh")


@pytest.mark.parametrize("aggregation", ["topsis", "gra"])
def test_zero_change_reproduces_scores_under_fixed_reference_points(aggregation: str) -> None:
    res = toy_result(aggregation)
    s = scenario(res, {"a": 0.0}, "西藏", 2021)
    assert s.delta == pytest.approx(0.0, abs=1e-12) and s.rank_after == s.rank_before
    up = scenario(res, {"a": "+10%"}, "西藏", 2021)
    assert up.delta > 0  # a is a positive indicator


def test_per_year_bounds() -> None:
    res = toy_result(scope="per_year")
    lo, hi = res.bounds.loc[(2021, "a"), "low"], res.bounds.loc[(2021, "a"), "high"]
    before = res.values.loc[("上海", 2021), "a"]
    d = (hi - before) / 2
    s = scenario(res, {"a": d}, "上海", 2021)
    assert s.changes.loc[0, "low"] == lo and s.changes.loc[0, "high"] == hi
    assert s.delta == pytest.approx(res.indicator_weights["a"] * d / (hi - lo), rel=1e-10)


def test_unit_alias_is_matched() -> None:
    res = toy_result()
    s = scenario(res, {"a": 0.1}, "Shanghai", 2021)
    assert s.unit == "上海" and any("matched" in n for n in s.notes)


def test_bad_input_is_named() -> None:
    res = toy_result()
    with pytest.raises(DataError, match=r"indicator 'aa'.*near matches: a"):
        scenario(res, {"aa": 1}, "北京", 2020)
    with pytest.raises(DataError, match="name of indicator 'b'"):
        scenario(res, {"Beta ratio": 1}, "北京", 2020)
    with pytest.raises(DataError, match=r"unit 'Atlantis'"):
        scenario(res, {"a": 1}, "Atlantis", 2020)
    with pytest.raises(DataError, match=r"year 2030.*2020–2022"):
        scenario(res, {"a": 1}, "北京", 2030)
    with pytest.raises(DataError, match="must be non-negative"):
        scenario(res, {"b": -1e6}, "北京", 2020)
    with pytest.raises(DataError, match="not understood"):
        scenario(res, {"a": "ten"}, "北京", 2020)
    with pytest.raises(DataError, match="non-empty"):
        scenario(res, {}, "北京", 2020)


def test_parse_change() -> None:
    assert parse_change(0.5) == ("absolute", 0.5)
    assert parse_change(-2) == ("absolute", -2.0)
    assert parse_change("+0.5") == ("absolute", 0.5)
    assert parse_change("+10%") == ("relative", pytest.approx(0.10))
    assert parse_change("-5 %") == ("relative", pytest.approx(-0.05))
    assert parse_change("12.5%") == ("relative", pytest.approx(0.125))
    for bad in (True, None, "abc", float("nan"), [1]):
        with pytest.raises(DataError):
            parse_change(bad)


# ---------------------------------------------------------------------------------------------
# the result interface


def test_summary_in_both_languages_carries_the_numbers() -> None:
    res = toy_result()
    s = scenario(res, {"a": 0.3, "c": "-5%"}, "上海", 2021)
    zh, en = s.summary("zh"), s.summary("en")
    assert str(s) == en
    before_a = res.values.loc[("上海", 2021), "a"]
    assert f"Alpha [a]: {before_a:.6g} → {before_a + 0.3:.6g} (+0.3)" in en
    assert f"甲 [a]：{before_a:.6g} → {before_a + 0.3:.6g}（+0.3）" in zh and "丙 [c]" in zh and "（-5%）" in zh
    assert f"score: {s.score_before:.4f} → {s.score_after:.4f} ({s.delta:+.4f})" in en
    assert f"得分：{s.score_before:.4f} → {s.score_after:.4f}（{s.delta:+.4f}）" in zh
    assert f"排名：{s.rank_before} → {s.rank_after}（共 4 个）" in zh and "Shanghai" in en
    text = " ".join(s.narrative("en"))
    assert f"from {s.score_before:.4f} to {s.score_after:.4f}" in text and "Alpha +0.3 and Gamma -5%" in text
    assert f"由第 {s.rank_before} 位变为第 {s.rank_after} 位" in " ".join(s.narrative("zh"))


def test_plot_figures_report_and_tables() -> None:
    from matplotlib.figure import Figure as MplFigure

    from nqpf.core.blocks import Figure, Table, Text
    from nqpf.core.interface import ReportContext

    s = scenario(toy_result(), {"a": 0.3}, "上海", 2021)
    assert isinstance(s.plot(lang="zh"), MplFigure)
    fig = s.figures("en")[0]
    assert [tr.name for tr in fig.data] == ["before", "after"]
    assert np.asarray(fig.data[1].x, dtype=float)[0] == pytest.approx(s.score_after)
    blocks = s.report(ReportContext("zh"))
    assert [type(b) for b in blocks] == [Text, Figure, Table]
    assert blocks[2].frame["indicator"].tolist() == ["a"]
    assert set(s.tables()) == {"", "changes"}


def test_a_study_can_ask_for_a_scenario_and_methods_cite_the_references(tmp_path) -> None:
    from nqpf.analysis.registry import ANALYSES
    from nqpf.core.references import get
    from nqpf.study import StudySpec, run_study

    (tmp_path / "fw.yaml").write_text("""\
name: mini
title: {zh: 指数, en: Index}
target:
  id: mini
  name_zh: 指数
  name_en: Index
  children:
    - id: d
      name_zh: 维度
      name_en: Dim
      indicators:
        - {id: rd_intensity, name_zh: 研发强度, name_en: R&D intensity, unit: "%"}
        - {id: urbanization_rate, name_zh: 城镇化率, name_en: Urbanization rate, unit: "%"}
""", encoding="utf-8")
    spec = StudySpec(name="t", data={"dataset": "china-provinces"},
                     index=[{"name": "nqpf", "framework": str(tmp_path / "fw.yaml"), "years": [2018, 2020]}],
                     analyses={"scenario": {"unit": "广东", "year": 2020, "changes": {"rd_intensity": "+10%"}}})
    run = run_study(spec, "t")
    s = run.analyses["scenario"]
    assert isinstance(s, ScenarioResult) and s.unit == "广东" and s.delta > 0
    entry = ANALYSES["scenario"]
    for lang in ("zh", "en"):
        text = entry.methods(s, run.records["scenario"].options, lang)  # type: ignore[misc]
        assert get("oecd2008").parenthetical(lang) in text
