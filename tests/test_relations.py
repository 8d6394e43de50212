"""The three relations: Tapio decoupling, relative development, transition quadrants, the fit of production
relations and the lag ratio of the obstacle diagnosis — against hand calculations and Tapio's (2005) table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.fit import relations_fit
from nqpf.analysis.leap import leap
from nqpf.analysis.obstacle import obstacle_degree
from nqpf.analysis.relations import (
    quadrant_of,
    relative_class,
    relative_development,
    tapio_elasticity,
    tapio_state,
    transition_counts,
)
from nqpf.core.errors import DataError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure

# ------------------------------------------------------------------------------------------------- Tapio


def test_tapio_states_follow_tapio_2005_figure_2() -> None:
    """docs/methods/relations.md — Tapio (2005), Transport Policy 12(2), Fig. 2: the eight degrees by the signs
    of ΔGDP and ΔVOL and the elasticity bands 0.8 / 1.2 (here G = the NQPF index, E = the pressure)."""
    cases = [  # (ΔG/G, ΔE/E, state)
        (0.10, -0.01, "strong_decoupling"),              # G up, E down (e < 0)
        (0.10, 0.05, "weak_decoupling"),                 # e = 0.5 < 0.8
        (0.10, 0.08, "expansive_coupling"),              # e = 0.8, lower bound included
        (0.10, 0.12, "expansive_coupling"),              # e = 1.2, upper bound included
        (0.10, 0.13, "expansive_negative_decoupling"),   # e = 1.3
        (-0.10, 0.02, "strong_negative_decoupling"),     # G down, E up (e < 0)
        (-0.10, -0.05, "weak_negative_decoupling"),      # e = 0.5
        (-0.10, -0.10, "recessive_coupling"),            # e = 1.0
        (-0.10, -0.20, "recessive_decoupling"),          # e = 2.0
        (0.10, 0.0, "weak_decoupling"),                  # E unchanged while G grows: e = 0
        (0.0, 0.05, "undefined"),                        # G unchanged: no elasticity
    ]
    dg, de, want = zip(*cases, strict=True)
    assert tapio_state(dg, de).tolist() == list(want)
    with pytest.raises(MethodError, match="lower ≤ upper"):
        tapio_state([0.1], [0.1], lower=1.3, upper=1.2)


def test_tapio_elasticity_by_hand() -> None:
    # G 0.20 → 0.25 (+25 %), E 100 → 105 (+5 %): e = 0.05 / 0.25 = 0.2
    assert tapio_elasticity([0.20], [0.25], [100.0], [105.0])[0] == pytest.approx(0.2)
    assert np.isnan(tapio_elasticity([0.2], [0.2], [1.0], [2.0])[0])
    with pytest.raises(DataError, match="positive"):
        tapio_elasticity([0.0], [0.1], [1.0], [1.0])

# ------------------------------------------------------------------------------------------------- relative


def test_relative_development_and_classes_by_hand() -> None:
    a, b = np.array([0.2, 0.4, 0.6]), np.array([0.5, 0.4, 0.3])
    assert relative_development(a, b, scale="raw").tolist() == pytest.approx([0.4, 1.0, 2.0])
    # mean scaling: means 0.4 and 0.4 → the same ratios here; with b doubled only the raw ratio halves
    assert relative_development(a, b).tolist() == pytest.approx([0.4, 1.0, 2.0])
    assert relative_development(a, 2 * b).tolist() == pytest.approx([0.4, 1.0, 2.0])
    assert relative_development(a, 2 * b, scale="raw").tolist() == pytest.approx([0.2, 0.5, 1.0])
    assert relative_class([0.79, 0.8, 1.2, 1.21]).tolist() == ["a_lags", "synchronous", "synchronous", "b_lags"]
    with pytest.raises(DataError):
        relative_development([0.1], [0.0])


def test_quadrants_and_transitions_by_hand() -> None:
    assert quadrant_of([0.5, 0.5, 0.1, 0.1], [0.5, 0.1, 0.1, 0.5], 0.3, 0.3).tolist() == [
        "high_high", "new_led", "low_low", "traditional_dependent"]
    paths = pd.DataFrame({2019: ["low_low", "traditional_dependent", "new_led"],
                          2020: ["low_low", "new_led", "new_led"],
                          2022: ["new_led", "new_led", "high_high"]}, index=["a", "b", "c"])
    t = transition_counts(paths)
    assert t.loc["low_low", "low_low"] == 1 and t.loc["traditional_dependent", "new_led"] == 1
    assert t.loc["new_led", "new_led"] == 1
    assert int(t.to_numpy().sum()) == 3  # 2020 → 2022 is not a one-year move


def _series(values: dict[tuple[str, int], float]) -> pd.Series:
    s = pd.Series(values, dtype=float)
    s.index = pd.MultiIndex.from_tuples(s.index, names=["unit", "year"])
    return s


def test_leap_by_hand() -> None:
    new = _series({("a", 2020): 0.2, ("a", 2021): 0.3, ("b", 2020): 0.5, ("b", 2021): 0.6,
                   ("c", 2020): 0.1, ("c", 2021): 0.1})
    trad = _series({("a", 2020): 0.5, ("a", 2021): 0.4, ("b", 2020): 0.3, ("b", 2021): 0.3,
                    ("c", 2020): 0.6, ("c", 2021): 0.5, ("d", 2020): 0.2})
    co2 = _series({("a", 2020): 100.0, ("a", 2021): 95.0, ("b", 2020): 50.0, ("b", 2021): 55.0,
                   ("c", 2020): 10.0})
    r = leap(new, trad, pressures={"co2": co2}, scale="raw", names=("nqpf", "tpf"))
    rel = r.relative.set_index(["unit", "year"])
    assert rel.loc[("a", 2021), "ratio"] == pytest.approx(0.75)
    assert rel.loc[("a", 2021), "cls"] == "a_lags" and rel.loc[("b", 2020), "cls"] == "b_lags"
    # quadrants against the year's mean: 2020 new mean 0.8/3, trad mean 1.4/3
    q = r.quadrants.set_index(["unit", "year"])["quadrant"]
    assert q[("b", 2020)] == "new_led" and q[("c", 2020)] == "traditional_dependent"
    assert q[("a", 2020)] == "traditional_dependent"
    # decoupling a: G +50 %, E −5 % → strong; b: G +20 %, E +10 % → e = 0.5, weak; c: no 2021 pressure
    d = r.decoupling.set_index("unit")
    assert d.loc["a", "state"] == "strong_decoupling"
    assert d.loc["b", "elasticity"] == pytest.approx(0.5) and d.loc["b", "state"] == "weak_decoupling"
    assert "c" not in d.index
    assert any("1 unit-year(s) of tpf" in n for n in r.notes)
    assert any("decoupling from co2: 1 unit-period(s)" in n for n in r.notes)
    text = " ".join(r.narrative("en")) + " ".join(r.narrative("zh"))
    assert "strong decoupling" in text and "强脱钩" in text
    assert set(r.tables()) == {"", "transitions", "decoupling"}


def test_fit_by_hand_matches_the_coupling_formula() -> None:
    f = _series({("a", 2019): 0.2, ("b", 2019): 0.6, ("c", 2019): 0.4})
    r = _series({("a", 2019): 0.4, ("b", 2019): 0.3, ("c", 2019): 0.4, ("a", 2020): 0.5})
    res = relations_fit(f, r, scale="raw", names=("nqpf", "prf"))
    rel = res.relative.set_index("unit")
    # two systems, equal weights: D = sqrt(C T), C = 2 sqrt(U1 U2)/(U1 + U2), T = (U1 + U2)/2 → D = (U1 U2)^(1/4)
    assert rel.loc["a", "D"] == pytest.approx((0.2 * 0.4) ** 0.25)
    assert rel.loc["b", "D"] == pytest.approx((0.6 * 0.3) ** 0.25)
    assert rel["cls"].to_dict() == {"a": "a_lags", "b": "b_lags", "c": "synchronous"}
    assert any("outside the common sample" in n for n in res.notes)
    assert "生产关系滞后" in " ".join(res.narrative("zh"))

# ------------------------------------------------------------------------------------------------- lag ratio

LAG_FW = """
name: lagtoy
title: {zh: 滞后比, en: Lag toy}
target:
  id: t
  name_zh: 总
  name_en: Total
  children:
    - id: d
      name_zh: 维度
      name_en: Dim
      indicators:
        - {id: a, name_zh: 甲, name_en: A, unit: x, tags: {lever: st_self_reliance}}
        - {id: b, name_zh: 乙, name_en: B, unit: x, tags: {lever: modern_industrial_system}}
        - {id: c, name_zh: 丙, name_en: C, unit: x, tags: {lever: modern_industrial_system}}
"""


def _lag_panel() -> Panel:
    rng = np.random.default_rng(11)
    idx = pd.MultiIndex.from_product([list("PQRSTU"), [2020, 2021]], names=["unit", "year"])
    return Panel(pd.DataFrame(rng.uniform(1, 9, size=(12, 3)), index=idx, columns=["a", "b", "c"]))


def test_lag_ratio_by_hand() -> None:
    """docs/methods/obstacle.md: W_k, Ī_k, O_k/W_k = Ī_k/Ī and L_k = Ī_k / mean_g Ī_g."""
    res = measure(_lag_panel(), Framework(parse_framework_text(LAG_FW)))
    o = obstacle_degree(res)
    F = res.indicator_weights.reindex(["a", "b", "c"]).to_numpy()
    I = o.I.to_numpy()
    row = 0
    i_self = I[row, 0]                                            # S&T self-reliance: indicator a alone
    i_ind = (F[1] * I[row, 1] + F[2] * I[row, 2]) / (F[1] + F[2])  # modern industrial system: b and c
    mean = (i_self + i_ind) / 2
    lags = o.lags["lever"].iloc[row]
    assert lags["st_self_reliance"] == pytest.approx(i_self / mean)
    assert lags["modern_industrial_system"] == pytest.approx(i_ind / mean)
    w = o.weight_shares["lever"].iloc[row]
    assert w["st_self_reliance"] == pytest.approx(F[0] / F.sum())
    # obstacle share / weight share = Ī_k / Ī (all indicators)
    table = o.lag_table("lever")
    first = table[(table["unit"] == o.O.index[row][0]) & (table["year"] == o.O.index[row][1])].set_index("group")
    i_all = (F * I[row]).sum() / F.sum()
    assert first.loc["st_self_reliance", "obstacle_to_weight"] == pytest.approx(i_self / i_all)
    assert set(first["rank"]) == {1, 2}


def test_duplicating_a_levers_indicators_leaves_its_lag_ratio_unchanged() -> None:
    """The issue's test: the lag ratio does not follow indicator counts (entropy weights, flat tree)."""
    panel = _lag_panel()
    base = obstacle_degree(measure(panel, Framework(parse_framework_text(LAG_FW))))
    copy = ("        - {{id: {i}, name_zh: 甲, name_en: {i}, unit: x, definition: a, "
            "tags: {{lever: st_self_reliance}}}}\n")
    dup_fw = LAG_FW + copy.format(i="a2") + copy.format(i="a3")
    dup = obstacle_degree(measure(panel, Framework(parse_framework_text(dup_fw))))
    # the summed view follows the count: S&T self-reliance now holds three times the indicators
    s0 = base.levers["st_self_reliance"].mean()
    s1 = dup.levers["st_self_reliance"].mean()
    assert s1 > s0 + 10
    # the lag ratio does not
    for key in ("st_self_reliance", "modern_industrial_system"):
        assert np.allclose(dup.lags["lever"][key], base.lags["lever"][key], rtol=1e-10, equal_nan=True)
    assert (dup.lagging("lever")["lever"] == base.lagging("lever")["lever"]).all()

# ------------------------------------------------------------------------------------------------- bundled


def test_bundled_relation_frameworks_run_in_a_study(tmp_path) -> None:
    from nqpf.study import load_study, run_study

    study = tmp_path / "s.toml"
    study.write_text("""
name = "relations"
[data]
dataset = "china-provinces"
[[index]]
name = "nqpf"
framework = "nqpf-province-2023"
[[index]]
name = "tpf"
framework = "tpf-province-2023"
role = "traditional"
[[index]]
name = "prf"
framework = "prf-province"
role = "relations"
exclude_units = ["西藏"]
[analyses.leap]
pressures = ["co2_emissions_apparent"]
[analyses.relations_fit]
""", encoding="utf-8")
    spec, src = load_study(study)
    run = run_study(spec, src, base=tmp_path)
    lp, fit = run.analyses["leap"], run.analyses["relations_fit"]
    assert lp.years == list(range(2016, 2024)) and len(lp.relative) == 30 * 8
    # CO2 (CEADs apparent inventory) ends in 2022: 2016-2022 pairs only, and 2022→2023 is counted as left out
    assert lp.decoupling["year1"].max() == 2022
    assert any("30 unit-period(s)" in n for n in lp.notes)
    assert fit.years == [2016, 2017, 2018, 2019]   # the marketization index ends in 2019
    assert any("years 2020, 2021, 2022, 2023" in n for n in fit.notes)
    # the traditional index is highest where the economy rests on coal power and heavy industry
    tpf = run.results["tpf"].year_scores(2023)
    assert set(tpf.nlargest(3).index) <= {"宁夏", "新疆", "内蒙古", "山西"}
    assert set(tpf.nsmallest(2).index) == {"北京", "上海"}
