"""Obstacle degree 障碍度: a hand-checked 2-unit × 3-indicator case, 100 % sums, groupings, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nqpf.analysis.obstacle import ObstacleResult, obstacle_degree, obstacle_shares
from nqpf.core.errors import DataError, FrameworkError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure
from nqpf.result import IndexResult

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
      tags: {factor: laborers}
      indicators:
        - {id: a, name_zh: 甲, name_en: A, unit: x, tags: {lever: st_self_reliance, new: new_technology}}
        - {id: b, name_zh: 乙, name_en: B, unit: x, tags: {lever: modern_industrial_system}}
    - id: d2
      name_zh: 维度二
      name_en: Dim two
      indicators:
        - {id: c, name_zh: 丙, name_en: C, unit: x, direction: negative}
"""


def toy_framework() -> Framework:
    return Framework(parse_framework_text(TOY))


def hand_result(Z: list[list[float]], settings: dict | None = None) -> IndexResult:
    """An IndexResult with given normalised values and global weights a 0.5, b 0.2, c 0.3."""
    fw = toy_framework()
    units = ["P", "Q", "R"][: len(Z)]
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in units], names=["unit", "year"])
    Zdf = pd.DataFrame(Z, index=idx, columns=["a", "b", "c"])
    gw = {"toy": 1.0, "d1": 0.7, "a": 0.5, "b": 0.2, "d2": 0.3, "c": 0.3}
    weights = pd.DataFrame([
        {"id": it.id, "parent": it.parent, "level": it.level, "kind": it.kind, "name_zh": "", "name_en": "",
         "weight": np.nan, "global_weight": gw[it.id]} for it in fw.items])
    scores = pd.DataFrame({"unit": units, "year": 2020, "score": 0.5, "rank": 1, "d1": 0.5, "d2": 0.5})
    return IndexResult(fw, Zdf, Zdf, scores, weights, pd.DataFrame(),
                       settings=settings if settings is not None else {"normalization": "minmax", "shift": 0.0})


def test_hand_checked_two_units_three_indicators() -> None:
    # F = (0.5, 0.2, 0.3)
    # P: z = (0.2, 0.5, 1.0) → I = (0.8, 0.5, 0.0) → F·I = (0.40, 0.10, 0.00), Σ = 0.50
    #    O = (80 %, 20 %, 0 %); dimensions d1 = 100 %, d2 = 0 %
    # Q: z = (1.0, 0.0, 0.4) → I = (0.0, 1.0, 0.6) → F·I = (0.00, 0.20, 0.18), Σ = 0.38
    #    O = (0 %, 52.631579 %, 47.368421 %); d1 = 52.63 %, d2 = 47.37 %
    o = obstacle_degree(hand_result([[0.2, 0.5, 1.0], [1.0, 0.0, 0.4]]))
    assert isinstance(o, ObstacleResult)
    ind = o.indicators
    assert list(ind.columns) == ["unit", "year", "a", "b", "c"]
    assert ind.loc[0, ["a", "b", "c"]].tolist() == pytest.approx([80.0, 20.0, 0.0])
    assert ind.loc[1, ["a", "b", "c"]].tolist() == pytest.approx([0.0, 100 * 0.2 / 0.38, 100 * 0.18 / 0.38])
    assert np.allclose(o.dimensions[["d1", "d2"]].to_numpy(), [[100.0, 0.0], [52.631579, 47.368421]])
    # factors: a, b inherit "laborers" from d1; c has no factor tag → untagged
    f = o.factors
    assert list(f.columns) == ["unit", "year", "laborers", "means_of_labor", "objects_of_labor", "untagged"]
    assert f.loc[1, "laborers"] == pytest.approx(52.631579) and f.loc[1, "untagged"] == pytest.approx(47.368421)
    lv = o.levers
    assert lv.loc[0, "st_self_reliance"] == pytest.approx(80.0)
    assert lv.loc[1, "modern_industrial_system"] == pytest.approx(52.631579)
    assert lv.loc[1, "untagged"] == pytest.approx(47.368421)
    # main lever: P → S&T self-reliance (80 %), Q → modern industrial system (52.6 %; untagged is no lever)
    ml = o.main_lever
    assert ml["lever"].tolist() == ["st_self_reliance", "modern_industrial_system"]
    assert ml["lever_zh"].tolist() == ["高水平科技自立自强", "现代化产业体系"]
    assert ml["lever_en"].tolist() == ["High-level S&T self-reliance", "Modern industrial system"]
    assert ml["share"].tolist() == pytest.approx([80.0, 52.631579])
    top = o.top("Q", 2020)
    assert top["id"].tolist() == ["b", "c", "a"] and top["obstacle"].iloc[0] == pytest.approx(52.631579)
    assert top["name_zh"].tolist() == ["乙", "丙", "甲"]
    assert o.I.loc[("P", 2020)].tolist() == pytest.approx([0.8, 0.5, 0.0])


def test_rows_sum_to_100_on_a_measured_index() -> None:
    rng = np.random.default_rng(7)
    idx = pd.MultiIndex.from_product([["P", "Q", "R", "S", "T"], [2019, 2020, 2021]], names=["unit", "year"])
    panel = Panel(pd.DataFrame(rng.uniform(1, 9, size=(15, 3)), index=idx, columns=["a", "b", "c"]))
    res = measure(panel, toy_framework())
    o = obstacle_degree(res)
    for table in (o.indicators, o.dimensions, o.factors, o.levers, o.groups["new"]):
        sums = table.iloc[:, 2:].sum(axis=1).to_numpy()
        assert np.allclose(sums, 100.0)
        assert (table.iloc[:, 2:].to_numpy() >= 0).all()
    # the shift is removed: the best unit-year on an indicator has deviation exactly 0
    assert np.allclose(o.I.min(axis=0).to_numpy(), 0.0) and np.allclose(o.I.max(axis=0).to_numpy(), 1.0)
    assert any("shift is removed" in n for n in o.notes)
    # the obstacle of one cell, by hand from the result's own weights and normalised values
    w = res.indicator_weights
    z = res.normalized.loc[("Q", 2020)] - res.settings["shift"]
    fi = w * (1 - z)
    assert o.O.loc[("Q", 2020)].to_numpy() == pytest.approx((100 * fi / fi.sum()).to_numpy())
    long = o.to_frame()
    assert set(long["kind"]) == {"indicator", "dimension", "factor", "lever"}
    assert np.allclose(long.groupby(["unit", "year", "kind"])["obstacle"].sum().to_numpy(), 100.0)
    text = o.summary()
    assert "2021" in text and "P:" in text and "top 3 indicators" in text
    assert "劳动者" not in text and "高水平科技自立自强" in o.summary(lang="zh")
    assert o.top_table(year=2021).shape == (5 * 3, 7)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(0, 1)),
       st.integers(0, 2**31 - 1))
def test_kernel_rows_sum_to_100(I: np.ndarray, seed: int) -> None:
    F = np.random.default_rng(seed).dirichlet(np.ones(I.shape[1]))
    O = obstacle_shares(F, I)
    ok = (F * I).sum(axis=1) > 0
    assert np.allclose(O[ok].sum(axis=1), 100.0)
    assert (O[ok] >= 0).all() and np.isnan(O[~ok]).all()


def test_per_year_weights_are_used() -> None:
    rng = np.random.default_rng(11)
    idx = pd.MultiIndex.from_product([["P", "Q", "R", "S"], [2020, 2021]], names=["unit", "year"])
    panel = Panel(pd.DataFrame(rng.uniform(1, 9, size=(8, 3)), index=idx, columns=["a", "b", "c"]))
    res = measure(panel, toy_framework(), weighting="entropy")
    o = obstacle_degree(res)
    assert isinstance(o.F, pd.DataFrame) and list(o.F.index) == [2020, 2021]
    w21 = res.weights_by_year.loc[2021]  # type: ignore[attr-defined]
    fi = w21 * (1 - (res.normalized.loc[("R", 2021)] - res.settings["shift"]))
    assert o.O.loc[("R", 2021)].to_numpy() == pytest.approx((100 * fi / fi.sum()).to_numpy())


def test_by_restricts_keys_and_rejects_unknown() -> None:
    res = hand_result([[0.2, 0.5, 1.0], [1.0, 0.0, 0.4]])
    o = obstacle_degree(res, by={"lever": ["st_self_reliance"]})
    lv = o.levers
    assert list(lv.columns) == ["unit", "year", "st_self_reliance", "other", "untagged"]
    assert np.allclose(lv.iloc[:, 2:].sum(axis=1), 100.0)
    assert lv.loc[1, "other"] == pytest.approx(52.631579)
    ml = o.main_lever["lever"]
    assert ml.iloc[0] == "st_self_reliance" and pd.isna(ml.iloc[1])  # Q's only lever obstacle is in "other"
    with pytest.raises(FrameworkError, match=r"no lever 'foo'.*defined"):
        obstacle_degree(res, by={"lever": ["foo"]})
    with pytest.raises(FrameworkError, match="no grouping 'foo'"):
        obstacle_degree(res, by=["foo"])
    with pytest.raises(FrameworkError, match=r"is a lever key"):
        obstacle_degree(res, by="st_self_reliance")
    assert obstacle_degree(res, by="levers").by == ["lever"]
    assert set(obstacle_degree(res, by=["new"]).to_frame()["kind"]) == {"indicator", "new"}


def test_clipping_is_recorded() -> None:
    # z = 1.05 (above the bounds, e.g. a hand-made result) → deviation -0.05 clipped to 0 and noted
    o = obstacle_degree(hand_result([[1.05, 0.5, 0.5], [0.0, 0.0, 0.0]]))
    assert o.I.loc[("P", 2020), "a"] == 0.0
    assert any("clipped to 0" in n for n in o.notes)
    assert o.indicators.loc[1, ["a", "b", "c"]].tolist() == pytest.approx([50.0, 20.0, 30.0])


def test_no_shortfall_row_is_nan_with_a_note() -> None:
    o = obstacle_degree(hand_result([[1.0, 1.0, 1.0], [0.5, 0.5, 0.5]]))
    assert o.indicators.iloc[0, 2:].isna().all() and o.levers.iloc[0, 2:].isna().all()
    assert any("no shortfall" in n and "P 2020" in n for n in o.notes)
    assert pd.isna(o.main_lever["lever"].iloc[0])


def test_bad_input() -> None:
    res = hand_result([[0.2, 0.5, 1.0], [1.0, 0.0, 0.4]])
    o = obstacle_degree(res)
    with pytest.raises(DataError, match=r"unit 'PP'.*near matches: P"):
        o.top("PP", 2020)
    with pytest.raises(DataError, match="year 2019"):
        o.top("P", 2019)
    with pytest.raises(MethodError, match="min–max"):
        obstacle_degree(hand_result([[0.2, 0.5, 1.0]], {"normalization": "zscore"}))
    with pytest.raises(MethodError, match="top"):
        obstacle_degree(res, top=0)
    bad = hand_result([[0.2, np.nan, 1.0]])
    with pytest.raises(DataError, match=r"'b'.*P 2020"):
        obstacle_degree(bad)


def test_bundled_provinces_nqpf(provinces_panel) -> None:
    from nqpf.core.framework import load_framework

    fw = load_framework("nqpf-province")
    units = [u for u in provinces_panel.units if u != "西藏"]
    res = measure(provinces_panel, fw, years="auto", units=units)
    o = obstacle_degree(res)
    for table in (o.indicators, o.dimensions, o.factors, o.levers):
        assert np.allclose(table.iloc[:, 2:].sum(axis=1), 100.0)
    ml = o.main_lever
    assert set(ml["lever"].dropna()) <= set(fw.vocabulary["lever"])
    assert len(ml) == len(res.scores)
    # one province-year by hand: O_j = F_j (1 - z_j) / Σ F (1 - z) × 100 with z without the shift
    u, y = units[0], res.years[-1]
    fi = res.indicator_weights * (1 - (res.normalized.loc[(u, y)] - res.settings["shift"]))
    assert o.O.loc[(u, y)].to_numpy() == pytest.approx((100 * fi / fi.sum()).to_numpy())
    lever_of = fw.indicator_table()["lever"]
    got = o.levers.set_index(["unit", "year"]).loc[(u, y)]
    for lever in fw.vocabulary["lever"]:
        members = [i for i in res.values.columns if lever_of[i] == lever]
        assert got[lever] == pytest.approx(o.O.loc[(u, y), members].sum())


def test_long_frame_order_and_tied_ranks() -> None:
    # P: z = (0.5, 0.5, 1.0) → F·I = (0.25, 0.10, 0) → O = (71.43, 28.57, 0) %
    o = obstacle_degree(hand_result([[0.5, 0.5, 1.0], [0.0, 0.0, 0.0]]))
    long = o.to_frame()
    p_lever = long[(long["unit"] == "P") & (long["kind"] == "lever")]
    assert p_lever["id"].tolist()[:2] == ["st_self_reliance", "modern_industrial_system"]
    assert p_lever["obstacle"].tolist()[:2] == pytest.approx([250 / 3.5, 100 / 3.5])
    # the four zero shares tie and share rank 3 ("min" ranking)
    assert p_lever["rank"].tolist() == [1, 2, 3, 3, 3, 3]
    assert long["kind"].tolist()[:3] == ["indicator"] * 3 and long["unit"].tolist()[-1] == "Q"
    assert len(long) == 2 * (3 + 2 + 4 + 6)


# ---------------------------------------------------------------------------------------------
# the result interface


def _measured(fw_text: str = TOY) -> IndexResult:
    rng = np.random.default_rng(7)
    idx = pd.MultiIndex.from_product([["P", "Q", "R", "S"], [2020, 2021]], names=["unit", "year"])
    panel = Panel(pd.DataFrame(rng.uniform(1, 5, size=(8, 3)), index=idx, columns=["a", "b", "c"]))
    return measure(panel, Framework(parse_framework_text(fw_text)))


#: The toy framework without any lever tag (like an HQD framework): every lever bar would be 100 % untagged.
NO_LEVERS = TOY.replace("tags: {lever: st_self_reliance, new: new_technology}", "tags: {new: new_technology}").replace(
    ", tags: {lever: modern_industrial_system}", "")


def test_summary_in_both_languages_carries_the_numbers() -> None:
    o = obstacle_degree(_measured())
    assert o.main_kind == "lever"
    main = o.main_lever.query("year == 2021").set_index("unit")
    tops = o.top_table(year=2021)
    zh, en = o.summary("zh"), o.summary("en")
    assert str(o) == en
    for unit in ("P", "Q", "R", "S"):
        share = main.loc[unit, "share"]
        assert f"summed: {main.loc[unit, 'lever_en']} {share:.1f}%" in en
        assert f"加总 {main.loc[unit, 'lever_zh']} {share:.1f}%" in zh
        lag = o.lagging("lever").query("year == 2021").set_index("unit").loc[unit]
        assert f"{unit}: lags: {lag['lever_en']} ({lag['lag']:.2f})" in en
        first = tops[(tops["unit"] == unit) & (tops["rank"] == 1)].iloc[0]
        assert f"{first['name_zh']} {first['obstacle']:.1f}%" in zh
    # units P … S are of no kind (not provinces): 各单元
    assert "for each unit the lever that lags most" in en and "各单元滞后最多的政策抓手" in zh
    # the year is an attribute (in_year), not a summary() parameter
    y2020 = o.in_year(2020)
    assert y2020.year == 2020 and ", 2020:" in y2020.summary() and "2020 年" in y2020.summary("zh")
    with pytest.raises(DataError, match="covers"):
        o.in_year(1999)
    # what output.province_diagnosis reads
    assert {"unit", "year", "lever_zh", "lever_en", "share"} <= set(o.main_lever.columns)


def test_without_lever_tags_the_headline_falls_back_to_dimensions() -> None:
    o = obstacle_degree(_measured(NO_LEVERS))
    assert not o.tagged("lever") and o.main_kind == "dimension"
    assert set(o.levers.columns[2:]) >= {"untagged"} and np.allclose(o.levers["untagged"], 100.0)
    dims = o.dimensions.query("year == 2021").set_index("unit")
    en, zh = o.summary("en"), o.summary("zh")
    assert "no lever-tagged indicator" not in en and "the dimension that lags most" in en
    for unit in ("P", "Q", "R", "S"):
        best = dims.loc[unit].drop("year").astype(float)
        name_en = {"d1": "Dim one", "d2": "Dim two"}[best.idxmax()]
        assert f"summed: {name_en} {best.max():.1f}%" in en
    assert "各维度平均障碍度" in zh and "维度一" in zh
    text = " ".join(o.narrative("en"))
    mean = dims[["d1", "d2"]].mean()
    assert f"Dim one {mean['d1']:.1f}%" in text and f"Dim two {mean['d2']:.1f}%" in text
    assert "Untagged" not in text
    names = [tr.name for tr in o.figures("en")[0].data]
    assert set(names) <= {"Dim one", "Dim two"}  # bars by dimension, not one 100 % "Untagged" bar


def test_plot_figures_and_report_blocks() -> None:
    from matplotlib.figure import Figure as MplFigure

    from nqpf.core.blocks import Figure, Heading, Table, Text
    from nqpf.core.interface import ReportContext

    o = obstacle_degree(_measured())
    assert isinstance(o.plot(lang="zh"), MplFigure)
    fig = o.figures("en")[0]
    bars = {tr.name: np.asarray(tr.x, dtype=float) for tr in fig.data}
    assert np.allclose(np.sum(list(bars.values()), axis=0), 100.0)  # stacked to 100 % per unit
    blocks = o.report(ReportContext("zh"))
    assert [type(b) for b in blocks] == [Text, Heading, Figure, Heading, Figure, Heading, Table]
    assert blocks[1].text.startswith("按政策抓手的障碍度 · 滞后比") and "加总障碍度" in blocks[3].text
    assert blocks[5].text == "主要障碍 (2021)"
    tb = blocks[6].frame
    assert list(tb.columns) == ["unit", "rank", "name_zh", "obstacle"] and len(tb) == 4 * 3
    assert "年各政策抓手的平均滞后比" in blocks[0].sentences[0]
    assert any("加总障碍度（随所含指标数增加" in x for x in blocks[0].sentences)
    # a panel too large for one bar per unit: the mean shares and the number of units per main lever
    large = o.report(ReportContext("en", large=True))
    assert [type(b) for b in large] == [Text, Heading, Figure, Heading, Table]
    counts = large[4].frame.set_index("group")["count"]
    main = o.main_lever.query("year == 2021")["lever_en"].value_counts()
    assert counts.to_dict() == main.to_dict() and counts.sum() == 4
    mean = o.levers.query("year == 2021").iloc[:, 2:].mean()
    shown = dict(zip(large[2].figure.data[0].y, np.asarray(large[2].figure.data[0].x, dtype=float), strict=True))
    assert shown["High-level S&T self-reliance"] == pytest.approx(mean["st_self_reliance"])


def test_methods_paragraph_cites_the_references() -> None:
    from nqpf.analysis.registry import ANALYSES
    from nqpf.core.references import get

    spec = ANALYSES["obstacle"]
    o = obstacle_degree(_measured())
    for lang in ("zh", "en"):
        text = spec.methods(o, spec.parse({}), lang)  # type: ignore[misc]
        assert "O_{ij} = F_j I_{ij}" in text and get("wang2023").parenthetical(lang) in text
