"""Coupling coordination degree 耦合协调度: hand-computed cases, invariants, classes, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.analysis.coupling import (
    COORDINATION_LEVELS,
    CouplingResult,
    coordination_level,
    coupling_coordination,
    coupling_degree,
)
from nqpf.core.errors import DataError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure

# subnormal floats (below 2.2e-308) carry a few significant bits at most; index values never come near them
unit_interval = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_subnormal=False)


# ---------------------------------------------------------------------------------------------
# hand-computed examples


def test_two_systems_standard_by_hand() -> None:
    # U = (0.4, 0.6): C = 2·sqrt(0.4·0.6)/(0.4+0.6) = 2·0.4898979/1.0 = 0.9797959
    # T = (0.4+0.6)/2 = 0.5; D = sqrt(0.9797959·0.5) = sqrt(0.4898979) = 0.6999271 → [0.6, 0.7) 初级协调 (7)
    r = coupling_coordination([0.4], [0.6])
    assert r.C[0] == pytest.approx(0.9797958971, abs=1e-9)
    assert r.T[0] == pytest.approx(0.5)
    assert r.D[0] == pytest.approx(0.6999271, abs=1e-7)
    assert r.level[0] == 7 and r.level_zh[0] == "初级协调" and r.level_en[0] == "Primary coordination"


def test_three_systems_standard_by_hand() -> None:
    # U = (0.2, 0.4, 0.8): Π = 0.064, (Π)^(1/3) = 0.4, Σ = 1.4
    # C = 3·0.4/1.4 = 6/7 = 0.857142857; T = 1.4/3 = 0.466667; D = sqrt(C·T) = sqrt(0.4) = 0.632456
    r = coupling_coordination([0.2], [0.4], [0.8])
    assert r.C[0] == pytest.approx(6 / 7, abs=1e-12)
    assert r.T[0] == pytest.approx(1.4 / 3, abs=1e-12)
    assert r.D[0] == pytest.approx(np.sqrt(0.4), abs=1e-12)
    assert r.level[0] == 7


def test_two_systems_modified_by_hand() -> None:
    # Wang et al. 2021 modified C, two systems, U1 = 0.4 ≤ U2 = 0.6:
    # C = sqrt[(1 - (0.6-0.4)) · 0.4/0.6] = sqrt(0.8 · 0.666667) = sqrt(0.533333) = 0.7302967
    # D = sqrt(0.7302967 · 0.5) = 0.6042751 → level 7
    r = coupling_coordination([0.4], [0.6], variant="modified")
    assert r.C[0] == pytest.approx(np.sqrt(0.8 * 0.4 / 0.6), abs=1e-12)
    assert r.C[0] == pytest.approx(0.7302967, abs=1e-7)
    assert r.D[0] == pytest.approx(0.6042751, abs=1e-7)
    assert r.level[0] == 7


def test_three_systems_modified_by_hand() -> None:
    # U = (0.2, 0.4, 0.8): pairwise gaps 0.2, 0.6, 0.4 → Σ = 1.2; Σ_{m=1}^{2} m = 3 → 1 - 1.2/3 = 0.6
    # Π U_i/max = 0.25·0.5·1 = 0.125, ^(1/(3-1)) = 0.3535534; C = sqrt(0.6·0.3535534) = 0.4605779
    # D = sqrt(0.4605779 · 0.466667) = 0.4636123 → [0.4, 0.5) 濒临失调 (5)
    r = coupling_coordination([0.2], [0.4], [0.8], variant="modified")
    assert r.C[0] == pytest.approx(0.4605779, abs=1e-7)
    assert r.D[0] == pytest.approx(0.4636123, abs=1e-7)
    assert r.level[0] == 5 and r.level_zh[0] == "濒临失调"


def test_weights_alpha() -> None:
    # T = 0.7·0.4 + 0.3·0.6 = 0.46; C unchanged = 0.9797959; D = sqrt(0.9797959·0.46)
    r = coupling_coordination([0.4], [0.6], alpha=[0.7, 0.3])
    assert r.T[0] == pytest.approx(0.46)
    assert r.D[0] == pytest.approx(np.sqrt(0.9797958971 * 0.46), abs=1e-9)


# ---------------------------------------------------------------------------------------------
# invariants


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=2, max_value=6).flatmap(
    lambda n: st.lists(st.lists(unit_interval, min_size=n, max_size=n), min_size=1, max_size=8)),
    st.sampled_from(["standard", "modified"]))
def test_C_T_D_in_unit_interval(rows: list[list[float]], variant: str) -> None:
    U = np.array(rows)
    r = coupling_coordination(*U.T, variant=variant)
    for arr in (r.C, r.T, r.D):
        assert np.all(arr >= 0) and np.all(arr <= 1)
    assert np.all((r.level >= 1) & (r.level <= 10))
    assert np.allclose(r.D, np.sqrt(r.C * r.T))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=2, max_value=7), st.floats(min_value=1e-6, max_value=1.0),
       st.sampled_from(["standard", "modified"]))
def test_C_is_one_when_all_equal(n: int, u: float, variant: str) -> None:
    r = coupling_coordination(*([np.array([u])] * n), variant=variant)
    assert r.C[0] == pytest.approx(1.0, abs=1e-12)
    assert r.D[0] == pytest.approx(np.sqrt(u), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=1.0), min_size=3, max_size=3))
def test_three_system_closed_form_and_sqrt_gm_identity(u: list[float]) -> None:
    u1, u2, u3 = u
    r = coupling_coordination([u1], [u2], [u3])
    assert r.C[0] == pytest.approx(3 * (u1 * u2 * u3) ** (1 / 3) / (u1 + u2 + u3), rel=1e-10)
    # equal weights: C·T = (Π U)^(1/n), so D = sqrt of the geometric mean
    assert r.D[0] == pytest.approx(np.sqrt((u1 * u2 * u3) ** (1 / 3)), rel=1e-10)


@settings(max_examples=100, deadline=None)
@given(unit_interval, unit_interval)
def test_two_system_closed_forms(a: float, b: float) -> None:
    r = coupling_coordination([a], [b])
    lo, hi = min(a, b), max(a, b)
    if hi == 0:
        assert r.C[0] == 1.0 and r.D[0] == 0.0
        return
    assert r.C[0] == pytest.approx(2 * np.sqrt(a) * np.sqrt(b) / (a + b), abs=1e-12)  # no underflow of a·b
    m = coupling_coordination([a], [b], variant="modified")
    assert m.C[0] == pytest.approx(np.sqrt((1 - (hi - lo)) * lo / hi), abs=1e-12)


def test_standard_C_is_scale_free_modified_is_not() -> None:
    U = np.array([[0.2, 0.4, 0.8]])
    assert coupling_degree(U)[0] == pytest.approx(coupling_degree(U / 2)[0])
    assert coupling_degree(U, "modified")[0] != pytest.approx(coupling_degree(U / 2, "modified")[0])


def test_published_wrong_forms_are_not_the_model() -> None:
    # the numbers the coupling_degree docstring quotes, at U1 = U2 = U3 = 0.5 where C must be 1
    u = 0.5
    missing_n = np.sqrt(u * u) / (u + u)  # two-system form without the coefficient 2
    pairwise = (u**3 / ((u + u) ** 3)) ** (1 / 3)  # {U1U2U3/[(U1+U2)(U1+U3)(U2+U3)]}^(1/3)
    sqrt_kept = 3 * np.sqrt(u**3) / (3 * u)  # 3·sqrt(U1U2U3)/(U1+U2+U3)
    assert missing_n == pytest.approx(0.5) and pairwise == pytest.approx(0.5)
    assert 3 * pairwise == pytest.approx(1.5)
    assert sqrt_kept == pytest.approx(np.sqrt(0.5)) and sqrt_kept == pytest.approx(0.7071, abs=1e-4)
    assert coupling_coordination([u], [u], [u]).C[0] == 1.0


def test_all_zero_row() -> None:
    r = coupling_coordination([0.0, 0.3], [0.0, 0.3])
    assert r.C[0] == 1.0 and r.D[0] == 0.0 and r.level[0] == 1
    assert any("all subsystems are 0" in n for n in r.notes)
    m = coupling_coordination([0.0, 0.3], [0.5, 0.3], variant="modified")
    assert m.C[0] == 0.0


# ---------------------------------------------------------------------------------------------
# classes


def test_class_boundaries_are_half_open() -> None:
    D = [0.0, 0.0999999999, 0.1, 0.2, 0.3, 0.29999999999999993, 0.4, 0.5, 0.5999999, 0.6, 0.7, 0.8,
         0.8999999, 0.9, 0.95, 1.0]
    assert coordination_level(D).tolist() == [1, 1, 2, 3, 4, 4, 5, 6, 6, 7, 8, 9, 9, 10, 10, 10]
    # every documented lower boundary belongs to its own class, every upper one to the next
    for level, low, high, _zh, _en in COORDINATION_LEVELS:
        assert coordination_level([low])[0] == level
        assert coordination_level([high - 1e-9 if high < 1 else 1.0])[0] == level
    # within 1e-12 of a boundary counts as on it (D is rounded to 12 decimals before classing)
    assert coordination_level([np.nextafter(0.1, 0)])[0] == 2
    with pytest.raises(MethodError):
        coordination_level([1.2])


def test_class_labels() -> None:
    zh = [lv[3] for lv in COORDINATION_LEVELS]
    en = [lv[4] for lv in COORDINATION_LEVELS]
    assert zh == ["极度失调", "严重失调", "中度失调", "轻度失调", "濒临失调", "勉强协调", "初级协调", "中级协调",
                  "良好协调", "优质协调"]
    assert en[0] == "Extreme imbalance" and en[-1] == "High-quality coordination"
    # D of exactly 0.5: U = (0.5, 0.5) → C = 1, T = 0.5, D = sqrt(0.5) = 0.7071 → 中级协调
    r = coupling_coordination([0.25, 0.5], [0.25, 0.5])
    assert r.D.tolist() == pytest.approx([0.5, np.sqrt(0.5)])
    assert r.level_zh.tolist() == ["勉强协调", "中级协调"]


# ---------------------------------------------------------------------------------------------
# indexed input


def _idx(pairs: list[tuple[str, int]]) -> pd.MultiIndex:
    return pd.MultiIndex.from_tuples(pairs, names=["unit", "year"])


def test_series_are_aligned_by_index() -> None:
    a = pd.Series([0.2, 0.4, 0.6], index=_idx([("北京", 2020), ("上海", 2020), ("北京", 2021)]), name="nqpf")
    b = pd.Series([0.6, 0.2, 0.4], index=_idx([("北京", 2021), ("北京", 2020), ("上海", 2020)]), name="hqd")
    r = coupling_coordination(a, b)
    assert r.names == ["nqpf", "hqd"]
    # 北京 2020: (0.2, 0.2) → C = 1; 上海 2020: (0.4, 0.4); 北京 2021: (0.6, 0.6)
    assert r.C.tolist() == pytest.approx([1.0, 1.0, 1.0])
    df = r.to_frame()
    assert list(df.columns[:4]) == ["unit", "year", "U_nqpf", "U_hqd"]
    assert df["unit"].tolist() == ["北京", "上海", "北京"]
    assert df.loc[2, "D"] == pytest.approx(np.sqrt(0.6))


def test_mismatched_unit_years_are_named() -> None:
    a = pd.Series([0.2, 0.4], index=_idx([("北京", 2020), ("北京", 2021)]), name="nqpf")
    b = pd.Series([0.2, 0.4], index=_idx([("北京", 2020), ("天津", 2021)]), name="hqd")
    with pytest.raises(DataError, match=r"北京 2021.*天津 2021"):
        coupling_coordination(a, b)


def test_dataframe_input() -> None:
    df = pd.DataFrame({"x": [0.4, 0.2], "y": [0.6, 0.4], "z": [0.5, 0.8]},
                      index=_idx([("A", 2020), ("B", 2020)]))
    r = coupling_coordination(df)
    assert r.names == ["x", "y", "z"] and r.n == 3
    assert r.C[1] == pytest.approx(6 / 7)


def test_bad_input() -> None:
    with pytest.raises(MethodError, match="at least two"):
        coupling_coordination([0.3])
    with pytest.raises(DataError, match="NaN"):
        coupling_coordination([0.3, np.nan], [0.3, 0.4])
    s = pd.Series([0.3, np.nan], index=_idx([("A", 2020), ("B", 2020)]), name="a")
    with pytest.raises(DataError, match="B 2020"):
        coupling_coordination(s, s.rename("b").fillna(0.1))
    with pytest.raises(DataError, match=r"outside \[0, 1\]"):
        coupling_coordination([0.3, 1.5], [0.3, 0.4])
    with pytest.raises(DataError, match=r"outside \[0, 1\]"):
        coupling_coordination([-0.1], [0.3])
    with pytest.raises(DataError, match="different lengths"):
        coupling_coordination([0.3, 0.2], [0.3])
    with pytest.raises(DataError, match="bare arrays"):
        coupling_coordination(s.fillna(0.1), [0.3, 0.4])
    with pytest.raises(MethodError, match="sum to 1"):
        coupling_coordination([0.3], [0.4], alpha=[0.5, 0.6])
    with pytest.raises(MethodError, match="non-negative"):
        coupling_coordination([0.3], [0.4], alpha=[1.5, -0.5])
    with pytest.raises(MethodError, match="one per subsystem"):
        coupling_coordination([0.3], [0.4], alpha=[1.0])
    with pytest.raises(MethodError, match="variant"):
        coupling_coordination([0.3], [0.4], variant="revised")


def test_rounding_noise_is_clipped_with_a_note() -> None:
    r = coupling_coordination([1.0 + 1e-12], [1.0])
    assert r.U[0, 0] == 1.0 and r.C[0] == 1.0 and r.D[0] == 1.0 and r.level[0] == 10
    assert any("clipped" in n for n in r.notes)


_FW = """
name: {name}
title: {{zh: 指数, en: Index}}
target:
  id: {name}
  name_zh: 指数
  name_en: Index
  children:
    - id: {name}_d
      name_zh: 维度
      name_en: Dim
      indicators:
        - {{id: a, name_zh: 甲, name_en: A, unit: x}}
        - {{id: b, name_zh: 乙, name_en: B, unit: x}}
"""


def test_index_results_as_subsystems() -> None:
    rng = np.random.default_rng(3)
    idx = pd.MultiIndex.from_product([["P", "Q", "R"], [2020, 2021]], names=["unit", "year"])
    panel = Panel(pd.DataFrame(rng.uniform(1, 5, size=(6, 2)), index=idx, columns=["a", "b"]))
    r1 = measure(panel, Framework(parse_framework_text(_FW.format(name="nqpf"))))
    r2 = measure(panel, Framework(parse_framework_text(_FW.format(name="hqd"))), weighting="equal")
    r = coupling_coordination(r1, r2)
    assert isinstance(r, CouplingResult) and r.names == ["nqpf", "hqd"]
    df = r.to_frame()
    # weighted-sum scores of min–max(+1e-4 shift) values can reach 1.0001 (P 2021 is best on both
    # indicators here); such values are clipped to 1 with a note
    s1 = r1.scores.set_index(["unit", "year"])["score"]
    s2 = r2.scores.set_index(["unit", "year"])["score"]
    assert s1.max() > 1 and any("clipped" in n for n in r.notes)
    s1, s2 = s1.clip(upper=1.0), s2.clip(upper=1.0)
    expect = np.sqrt(np.sqrt(s1 * s2))  # two systems, equal α: D = sqrt(sqrt(U1·U2))
    got = df.set_index(["unit", "year"])["D"]
    assert np.allclose(got.to_numpy(), expect.reindex(got.index).to_numpy())
    text = r.summary()
    assert "mean D by year" in text and "2021" in text
    assert "中级协调" in r.summary(lang="zh") or "协调" in r.summary(lang="zh") or "失调" in r.summary(lang="zh")
    assert r.level_counts().shape == (2, 10)


def test_bundled_nqpf_and_hqd(provinces_panel) -> None:
    from nqpf.core.framework import load_framework

    units = [u for u in provinces_panel.units if u != "西藏"]
    n = measure(provinces_panel, load_framework("nqpf-province"), years="auto", units=units)
    h = measure(provinces_panel, load_framework("hqd-province"), years="auto", units=units)
    a = n.scores.set_index(["unit", "year"])["score"]
    b = h.scores.set_index(["unit", "year"])["score"]
    if not a.index.equals(b.index):
        with pytest.raises(DataError, match="not on the same unit-years"):
            coupling_coordination(n, h)
    common = a.index.intersection(b.index)
    r = coupling_coordination(a.loc[common].rename("nqpf"), b.loc[common].rename("hqd"))
    u1, u2 = a.loc[common].clip(upper=1).to_numpy(), b.loc[common].clip(upper=1).to_numpy()
    assert np.allclose(r.D, np.sqrt(np.sqrt(u1 * u2)))  # two systems, equal α
    assert (r.D >= 0).all() and (r.D <= 1).all()
    m = coupling_coordination(a.loc[common].rename("nqpf"), b.loc[common].rename("hqd"), variant="modified")
    lo, hi = np.minimum(u1, u2), np.maximum(u1, u2)
    assert np.allclose(m.C, np.sqrt((1 - (hi - lo)) * lo / hi))
    # two systems: modified C = sqrt((1-d)·r) ≤ sqrt(r) ≤ 2·sqrt(r)/(1+r) = standard C, with r = lo/hi
    assert (m.C <= r.C + 1e-12).all()


def test_tiny_and_subnormal_values() -> None:
    # a naive product underflows: (1e-200)^3 = 0 would give C = 0; the ratio form keeps C = 1
    r = coupling_coordination([1e-200], [1e-200], [1e-200])
    assert r.C[0] == pytest.approx(1.0)
    r = coupling_coordination([0.0], [5e-324])
    assert r.C[0] == 0.0 and r.D[0] == 0.0
    assert coupling_coordination([0.0], [5e-324], variant="modified").C[0] == 0.0


# ---------------------------------------------------------------------------------------------
# hints that work when followed


def test_the_alignment_hint_works_when_followed() -> None:
    """The error of misaligned IndexResults says how to align them; running that code works."""
    import re

    rng = np.random.default_rng(4)
    idx = pd.MultiIndex.from_product([["P", "Q", "R"], [2020, 2021, 2022]], names=["unit", "year"])
    panel = Panel(pd.DataFrame(rng.uniform(1, 5, size=(9, 2)), index=idx, columns=["a", "b"]))
    res_a = measure(panel, Framework(parse_framework_text(_FW.format(name="nqpf"))), years=[2020, 2021])
    res_b = measure(panel, Framework(parse_framework_text(_FW.format(name="hqd"))), years=[2021, 2022])
    with pytest.raises(DataError, match="not on the same unit-years") as exc:
        coupling_coordination(res_a, res_b)
    msg = str(exc.value)
    get_a = re.search(r"a = (res_a\..*?\['score'\])", msg).group(1)  # type: ignore[union-attr]
    rest = re.search(r"then (common = .*?) and (coupling_coordination\(.*\))$", msg)
    assert rest is not None, msg
    ns: dict = {"res_a": res_a, "res_b": res_b, "coupling_coordination": coupling_coordination}
    exec(f"a = {get_a}\nb = {get_a.replace('res_a', 'res_b')}\n{rest.group(1)}\nout = {rest.group(2)}", ns)
    out = ns["out"]
    assert isinstance(out, CouplingResult) and len(out.D) == 3  # the three units in 2021
    assert set(out.to_frame()["year"]) == {2021}


#: The same two-indicator framework on two columns of the bundled province panel.
_STUDY_FW = _FW.replace("id: a,", "id: rd_intensity,").replace("id: b,", "id: urbanization_rate,")


def test_a_study_with_indices_on_different_samples_says_what_to_write(tmp_path) -> None:
    """[analyses.coupling] on indices of different years: the StudyError gives study-file lines that work."""
    import re

    from nqpf.core.errors import StudyError
    from nqpf.study import StudySpec, run_study

    for name in ("nqpf", "hqd"):
        (tmp_path / f"{name}.yaml").write_text(_STUDY_FW.format(name=name), encoding="utf-8")

    def spec(years_n: list[int], years_h: list[int]) -> StudySpec:
        return StudySpec(name="t", data={"dataset": "china-provinces"}, index=[
            {"name": "nqpf", "framework": str(tmp_path / "nqpf.yaml"), "years": years_n},
            {"name": "hqd", "framework": str(tmp_path / "hqd.yaml"), "role": "hqd", "years": years_h},
        ], analyses={"coupling": {}})

    with pytest.raises(StudyError, match=r"years = \[2016, 2019\]") as exc:
        run_study(spec([2015, 2019], [2016, 2020]), "t")
    first, last = map(int, re.search(r"years = \[(\d+), (\d+)\]", str(exc.value)).groups())  # type: ignore[union-attr]
    run = run_study(spec([first, last], [first, last]), "t")
    assert sorted(set(run.analyses["coupling"].to_frame()["year"])) == list(range(2016, 2020))


# ---------------------------------------------------------------------------------------------
# the result interface


def _province_result(variant: str = "standard") -> CouplingResult:
    from nqpf.core.units import provinces

    units = list(provinces()["name_zh"])
    idx = pd.MultiIndex.from_product([units, [2021, 2022]], names=["unit", "year"])
    rng = np.random.default_rng(11)
    a = pd.Series(rng.uniform(0.05, 0.95, len(idx)), index=idx, name="nqpf")
    b = pd.Series(rng.uniform(0.05, 0.95, len(idx)), index=idx, name="hqd")
    return coupling_coordination(a, b, variant=variant)


def test_summary_in_both_languages_carries_the_numbers() -> None:
    r = _province_result()
    df = r.to_frame()
    last = df[df["year"] == 2022]
    counts = last["level"].value_counts()
    zh, en = r.summary("zh"), r.summary("en")
    assert str(r) == en
    for text in (zh, en):
        assert f"{np.mean(r.D):.4f}" in text and f"{df[df['year'] == 2021]['D'].mean():.4f}" in text
    top = int(counts.index.max())
    assert f"{COORDINATION_LEVELS[top - 1][3]} {counts[top]}" in zh  # the classes in Chinese …
    assert all(lv[4] not in zh for lv in COORDINATION_LEVELS)  # … and no English class name (summary.txt bug)
    assert f"{COORDINATION_LEVELS[top - 1][4]} {counts[top]}" in en and "classes in 2022" in en
    assert all(lv[3] not in en for lv in COORDINATION_LEVELS)
    # the year shown is an attribute, not a summary() parameter
    assert "2021 年等级分布" in CouplingResult(**{**r.__dict__, "year": 2021}).summary("zh")
    # the frame output.province_diagnosis reads
    assert {"unit", "year", "D", "level_zh", "level_en"} <= set(df.columns)


def test_narrative_names_the_leader_and_the_laggard() -> None:
    r = _province_result()
    last = r.to_frame().query("year == 2022").sort_values("D", ascending=False)
    from nqpf.core.units import unit_name

    en = " ".join(r.narrative("en"))
    zh = " ".join(r.narrative("zh"))
    assert f"Highest D: {unit_name(last['unit'].iloc[0], 'en')} ({last['D'].iloc[0]:.4f})" in en
    assert f"最低：{last['unit'].iloc[-1]}（{last['D'].iloc[-1]:.4f}）" in zh
    assert f"{r.to_frame().query('year == 2021')['D'].mean():.4f} in 2021" in en


def test_plot_figures_and_report_blocks() -> None:
    from matplotlib.figure import Figure as MplFigure

    from nqpf.core.blocks import Figure, Heading, Table, Text
    from nqpf.core.interface import ReportContext

    r = _province_result()
    fig = r.plot(lang="zh")
    assert isinstance(fig, MplFigure)
    figs = r.figures("en")
    assert len(figs) == 1 and len(figs[0].data[0].locations) == 31  # the province map with a year slider
    assert len(figs[0].layout.sliders[0].steps) == 2
    blocks = r.report(ReportContext("zh", unit_kind="province"))
    assert [type(b) for b in blocks] == [Text, Figure, Heading, Table]
    assert blocks[2].text == "耦合协调等级分布"
    tb = blocks[3].frame
    assert tb["year"].tolist() == [2021, 2022]
    assert (tb.drop(columns="year").sum(axis=1) == 31).all()
    # units that are not provinces: no map, but a static figure and the class table
    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2020, 2021]], names=["unit", "year"])
    other = coupling_coordination(pd.Series([.3, .4, .5, .6, .7, .8], idx), pd.Series([.5, .4, .6, .6, .7, .2], idx))
    assert other.figures() == [] and isinstance(other.plot(), MplFigure)
    assert [type(b) for b in other.report(ReportContext("en"))] == [Text, Heading, Table]
    assert isinstance(coupling_coordination([0.2, 0.5], [0.4, 0.6]).plot(), MplFigure)  # unindexed: histogram


def test_methods_paragraph_cites_the_references() -> None:
    from nqpf.analysis.registry import ANALYSES
    from nqpf.core.references import get

    spec = ANALYSES["coupling"]
    opts = spec.parse({})
    std, mod = _province_result(), _province_result("modified")
    for lang in ("zh", "en"):
        text = spec.methods(std, opts, lang)  # type: ignore[misc]
        assert "\\sqrt{C\\,T}" in text and "nqpf" in text
        for key in spec.refs:
            assert get(key).parenthetical(lang) in text
        assert "max_k U_k" not in text and "max_k U_k" in spec.methods(mod, opts, lang)  # type: ignore[misc]
