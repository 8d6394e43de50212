"""measure(): a hand-computed 4-unit × 2-year × 3-indicator panel to 1e-12, and the named errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nqpf.core.errors import DataError, ExpressionError, MethodError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import longest_complete_span, measure, rescore

FW = """\
name: hand
title: {zh: 手算, en: Hand}
target:
  id: t
  name_zh: 目标
  name_en: Target
  children:
    - id: d1
      name_zh: 维度一
      name_en: D1
      indicators:
        - {id: a, name_zh: 甲, name_en: A, unit: u}
        - {id: b, name_zh: 乙, name_en: B, unit: u, direction: negative}
    - id: d2
      name_zh: 维度二
      name_en: D2
      indicators:
        - {id: c, name_zh: 丙, name_en: C, unit: u, definition: c_num / c_den}
"""

# 4 units × 2 years; c = c_num / c_den
DATA = {
    ("P1", 2020): (10.0, 5.0, 2.0, 1.0), ("P2", 2020): (20.0, 3.0, 6.0, 2.0),
    ("P3", 2020): (15.0, 8.0, 9.0, 2.0), ("P4", 2020): (30.0, 2.0, 4.0, 4.0),
    ("P1", 2021): (12.0, 4.0, 3.0, 1.0), ("P2", 2021): (25.0, 3.0, 8.0, 2.0),
    ("P3", 2021): (18.0, 7.0, 5.0, 1.0), ("P4", 2021): (33.0, 1.0, 6.0, 4.0),
}


def panel() -> Panel:
    idx = pd.MultiIndex.from_tuples(list(DATA), names=["unit", "year"])
    df = pd.DataFrame(list(DATA.values()), index=idx, columns=["a", "b", "c_num", "c_den"])
    return Panel(df, "hand")


def framework(text: str = FW) -> Framework:
    return Framework(parse_framework_text(text, "hand.yaml"))


def hand_calculation(shift: float = 1e-4):
    """Pooled min–max + global entropy + weighted sum, written out in plain Python (no numpy)."""
    rows = sorted(DATA, key=lambda k: (k[1], k[0]))
    x = {k: [DATA[k][0], DATA[k][1], DATA[k][2] / DATA[k][3]] for k in rows}
    cols = list(zip(*(x[k] for k in rows), strict=True))
    z = {k: [] for k in rows}
    for j, col in enumerate(cols):
        lo, hi = min(col), max(col)
        for k in rows:
            v = x[k][j]
            z[k].append(((hi - v) if j == 1 else (v - lo)) / (hi - lo) + shift)
    n = len(rows)
    d = []
    for j in range(3):
        s = sum(z[k][j] for k in rows)
        e = -sum((z[k][j] / s) * math.log(z[k][j] / s) for k in rows) / math.log(n)
        d.append(1 - e)
    w = [dj / sum(d) for dj in d]
    score = {k: sum(w[j] * z[k][j] for j in range(3)) for k in rows}
    d1 = {k: (w[0] * z[k][0] + w[1] * z[k][1]) / (w[0] + w[1]) for k in rows}
    return rows, z, w, score, d1


def test_hand_computed_measurement_to_1e12():
    res = measure(panel(), framework())
    rows, z, w, score, d1 = hand_calculation()
    got = res.scores.set_index(["unit", "year"])
    for k in rows:
        assert got.loc[k, "score"] == pytest.approx(score[k], abs=1e-12)
        assert got.loc[k, "d1"] == pytest.approx(d1[k], abs=1e-12)
        np.testing.assert_allclose(res.normalized.loc[k].to_numpy(), z[k], atol=1e-12, rtol=0)
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), w, atol=1e-12, rtol=0)
    wt = res.weights.set_index("id")
    assert wt.loc["d1", "global_weight"] == pytest.approx(w[0] + w[1], abs=1e-12)
    assert wt.loc["a", "weight"] == pytest.approx(w[0] / (w[0] + w[1]), abs=1e-12)
    assert wt.loc["c", "weight"] == pytest.approx(1.0, abs=1e-12)
    # ranks within year, 1 = best
    y20 = got.xs(2020, level="year")["score"].sort_values(ascending=False)
    assert list(got.xs(2020, level="year").loc[y20.index, "rank"]) == [1, 2, 3, 4]
    assert res.settings["scope"] == "pooled" and res.settings["weighting"] == "global_entropy"
    assert any("comparable across years" in n for n in res.provenance.notes)


def test_hierarchical_equal_weights_and_topsis_wiring():
    res = measure(panel(), framework(), weighting="equal", tree="hierarchical", aggregation="topsis")
    wt = res.weights.set_index("id")
    assert wt.loc["a", "global_weight"] == pytest.approx(0.25)
    assert wt.loc["c", "global_weight"] == pytest.approx(0.5)
    Z = res.normalized.to_numpy()
    w = np.array([0.25, 0.25, 0.5])
    V = Z * w
    dp = np.sqrt(((V - V.max(0)) ** 2).sum(1))
    dm = np.sqrt(((V - V.min(0)) ** 2).sum(1))
    np.testing.assert_allclose(res.scores["score"].to_numpy(), dm / (dp + dm), atol=1e-12)


def test_rescore_reproduces_and_holds_bounds():
    res = measure(panel(), framework())
    same = rescore(res, res.values)
    np.testing.assert_allclose(same["score"], res.scores["score"], atol=1e-14)
    changed = res.values.copy()
    changed.loc[("P1", 2021), "a"] = 40.0  # beyond the observed max 33: scores above the bound, not clipped
    out = rescore(res, changed)
    z = (40.0 - 10.0) / (33.0 - 10.0) + 1e-4
    assert z > 1
    delta = out.set_index(["unit", "year"]).loc[("P1", 2021), "score"] - res.scores.set_index(
        ["unit", "year"]).loc[("P1", 2021), "score"]
    assert delta == pytest.approx(res.indicator_weights["a"] * (z - res.normalized.loc[("P1", 2021), "a"]))


def test_per_year_entropy_weights_differ_by_year():
    res = measure(panel(), framework(), weighting="entropy", scope="per_year")
    wby = res.weights_by_year
    assert list(wby.index) == [2020, 2021]
    assert not np.allclose(wby.loc[2020], wby.loc[2021])
    np.testing.assert_allclose(wby.sum(axis=1), 1.0)


def test_framework_naming_missing_column():
    with pytest.raises(ExpressionError, match=r"framework 'hand': indicator 'c'.*no column 'c_den'"):
        measure(Panel(panel().data.drop(columns="c_den"), "x"), framework())


def test_constant_indicator_is_named():
    p = panel()
    p.data["a"] = 7.0
    with pytest.raises(MethodError, match="indicator 'a'"):
        measure(p, framework())


def test_domain_positive_is_enforced():
    text = FW.replace("definition: c_num / c_den}", "definition: c_num - 5, domain: positive}")
    with pytest.raises(DataError, match=r"indicator 'c'.*must be positive; found at P1 2020 \(-3\)"):
        measure(panel(), framework(text))


def test_missing_policy_error_and_auto_years():
    p = panel()
    p.data.loc[("P3", 2020), "a"] = np.nan
    with pytest.raises(DataError, match=r"empty cell.*a at P3 2020"):
        measure(p, framework(), missing="error")
    res = measure(p, framework(), missing="interpolate", years="auto")
    assert res.years == [2021]  # P3 2020 is at the edge of P3's span: cannot interpolate
    res = measure(p, framework(), missing="drop")
    assert len(res.scores) == 7
    dropped = [c for c in res.provenance.cells if c["action"] == "dropped"]
    assert {(c["unit"], c["year"]) for c in dropped} == {("P3", 2020)}


def test_longest_complete_span_prefers_latest_on_ties():
    idx = pd.MultiIndex.from_product([["A"], [2010, 2011, 2012, 2013, 2014]], names=["unit", "year"])
    v = pd.DataFrame({"x": [1, 2, np.nan, 3, 4]}, index=idx, dtype=float)
    assert longest_complete_span(v) == [2013, 2014]


def test_unit_rescaling_does_not_change_scores():
    p = panel()
    q = Panel(p.data.assign(a=p.data["a"] * 1e4), "scaled")
    np.testing.assert_allclose(measure(p, framework()).scores["score"], measure(q, framework()).scores["score"],
                               atol=1e-12)


# --- review fixes -------------------------------------------------------------------------------------------


def test_absent_unit_year_rows_count_as_missing():
    """A unit-year with no row at all is missing data: not silently left out of the sample."""
    d = panel().data.drop(index=[("P2", 2020)])
    p = Panel(d, "unbalanced")
    with pytest.raises(DataError, match=r"empty cell.*at P2 2020"):
        measure(p, framework(), missing="error")
    res = measure(p, framework(), missing="interpolate", years="auto")
    assert res.years == [2021] and len(res.scores) == 4  # P2 2020 is before P2's span: not interpolated
    res = measure(p, framework(), missing="drop")
    dropped = {(c["unit"], c["year"]) for c in res.provenance.cells if c["action"] == "dropped"}
    assert dropped == {("P2", 2020)}


def test_absent_middle_year_row_is_interpolated_and_recorded():
    rows = {(u, y): (float(y - 2000 + i), 1.0 + i, 1.0, 1.0) for i, u in enumerate(["A", "B", "C"])
            for y in (2020, 2021, 2022)}
    del rows[("B", 2021)]
    idx = pd.MultiIndex.from_tuples(list(rows), names=["unit", "year"])
    p = Panel(pd.DataFrame(list(rows.values()), index=idx, columns=["a", "b", "c_num", "c_den"]), "gap")
    res = measure(p, framework().subset(["a", "b"]), weighting="equal")
    assert res.values.loc[("B", 2021), "a"] == pytest.approx(22.0)  # (21 + 23) / 2
    imputed = {(c["unit"], c["year"], c["column"]) for c in res.provenance.cells if c["action"] == "imputed"}
    assert ("B", 2021, "a") in imputed


def _zv_expected(res, changed, method):
    """Independent rescore: the original matrix's mean/sd (or column norm) applied to the changed values."""
    X0 = res.values.to_numpy()
    X1 = changed.to_numpy()
    if method == "zscore":
        Z = (X1 - X0.mean(0)) / X0.std(0, ddof=1)
        Z[:, 1] = -Z[:, 1]
    else:
        Z = X1 / np.sqrt((X0 ** 2).sum(0))
        Z[:, 1] = 1 - Z[:, 1]
    return Z @ res.indicator_weights.to_numpy()


@pytest.mark.parametrize("method", ["zscore", "vector"])
def test_rescore_holds_zscore_and_vector_parameters(method):
    res = measure(panel(), framework(), normalization=method, weighting="equal")
    np.testing.assert_allclose(rescore(res, res.values)["score"], res.scores["score"], atol=1e-12)
    changed = res.values.copy()
    changed.loc[("P1", 2021), "a"] = 40.0
    out = rescore(res, changed)
    np.testing.assert_allclose(out["score"].to_numpy(), _zv_expected(res, changed, method), atol=1e-12)
    # only the changed unit-year moves
    moved = out["score"].to_numpy() != res.scores["score"].to_numpy()
    assert list(out.loc[moved, "unit"]) == ["P1"]


def test_rescore_per_year_zscore_uses_each_years_parameters():
    res = measure(panel(), framework(), normalization="zscore", scope="per_year", weighting="equal")
    np.testing.assert_allclose(rescore(res, res.values)["score"], res.scores["score"], atol=1e-12)
    changed = res.values.copy()
    changed.loc[("P1", 2021), "a"] = 40.0
    out = rescore(res, changed)
    moved = out["score"].to_numpy() != res.scores["score"].to_numpy()
    assert list(out.loc[moved, "unit"]) == ["P1"]
    x21 = res.values.xs(2021, level="year")["a"]
    z = (40.0 - x21.mean()) / x21.std(ddof=1)
    got = out.set_index(["unit", "year"]).loc[("P1", 2021), "score"]
    old = res.scores.set_index(["unit", "year"]).loc[("P1", 2021), "score"]
    assert got - old == pytest.approx(res.indicator_weights["a"] * (z - res.normalized.loc[("P1", 2021), "a"]))


AHP_FW = FW.replace("  children:\n    - id: d1", "  ahp: [[1, 3], [1/3, 1]]\n  children:\n    - id: d1").replace(
    "      indicators:\n        - {id: a", "      ahp: [[1, 2], [0.5, 1]]\n      indicators:\n        - {id: a")


def test_ahp_weighting_from_framework_matrices():
    res = measure(panel(), framework(AHP_FW), weighting="ahp")
    wt = res.weights.set_index("id")
    # 2 x 2 consistent matrices: weights are the normalised first column, (3/4, 1/4) and (2/3, 1/3)
    assert wt.loc["d1", "weight"] == pytest.approx(0.75) and wt.loc["d2", "weight"] == pytest.approx(0.25)
    assert wt.loc["a", "global_weight"] == pytest.approx(0.5)
    assert wt.loc["b", "global_weight"] == pytest.approx(0.25)
    assert wt.loc["c", "global_weight"] == pytest.approx(0.25)
    Z = res.normalized.to_numpy()
    np.testing.assert_allclose(res.scores["score"].to_numpy(), Z @ [0.5, 0.25, 0.25], atol=1e-12)


def test_combined_weighting_is_product_of_ahp_and_entropy():
    res = measure(panel(), framework(AHP_FW), weighting="combined")
    _, _, w_obj, _, _ = hand_calculation()
    subj = np.array([0.5, 0.25, 0.25])
    expect = subj * np.array(w_obj) / (subj * np.array(w_obj)).sum()
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), expect, atol=1e-12)


@pytest.mark.parametrize("bad", ["2020", 2020, "2020-2021"])
def test_years_that_are_not_understood_are_a_clear_error(bad):
    with pytest.raises(DataError, match=r"years=.*is not understood"):
        measure(panel(), framework(), years=bad)


def test_missing_chain_is_applied_in_the_given_order():
    rows = {(u, y): (float(y - 2000 + 3 * i), 1.0 + i + (y - 2020) * 0.5, 1.0, 1.0)
            for i, u in enumerate(["A", "B", "C"]) for y in (2020, 2021, 2022)}
    idx = pd.MultiIndex.from_tuples(list(rows), names=["unit", "year"])
    df = pd.DataFrame(list(rows.values()), index=idx, columns=["a", "b", "c_num", "c_den"])
    df.loc[("B", 2021), "a"] = np.nan
    p = Panel(df, "gap")
    fw = framework().subset(["a", "b"])
    res = measure(p, fw, weighting="equal", missing=["interpolate", "drop"])
    assert res.values.loc[("B", 2021), "a"] == pytest.approx(24.0)  # (23 + 25) / 2
    res = measure(p, fw, weighting="equal", missing=["drop", "interpolate"])  # drop first: nothing left to fill
    assert ("B", 2021) not in res.values.index and len(res.values) == 8
    actions = {(c["action"], c["unit"], c["year"]) for c in res.provenance.cells}
    assert ("dropped", "B", 2021) in actions and not any(a == "imputed" for a, _, _ in actions)


def test_auto_years_avoid_cells_where_a_definition_fails():
    """years="auto": a unit-year whose definition fails (division by zero) is not complete data."""
    rows = {(u, y): (float(y - 2000 + 3 * i), 1.0 + i + (y - 2020) * 0.5, 1.0 + i, 1.0)
            for i, u in enumerate(["A", "B", "C"]) for y in (2020, 2021, 2022, 2023)}
    idx = pd.MultiIndex.from_tuples(list(rows), names=["unit", "year"])
    df = pd.DataFrame(list(rows.values()), index=idx, columns=["a", "b", "c_num", "c_den"])
    df.loc[("B", 2021), "c_den"] = 0.0
    res = measure(Panel(df, "p"), framework(), years="auto", weighting="equal")
    assert res.years == [2022, 2023]
    with pytest.raises(ExpressionError, match=r"division by zero.*at B 2021"):
        measure(Panel(df, "p"), framework(), years="all", weighting="equal")
