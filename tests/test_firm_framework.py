"""The firm-level NQPF framework (nqpf-firm, 宋佳、张金昌、潘艺 2024): structure, CSMAR mapping, the ratios on two
hand-built firms, per-year entropy weights exported, and a firm study end to end from a CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.core import expr
from nqpf.core.errors import FrameworkError
from nqpf.core.framework import load_framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import indicator_values, measure

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from firm_data import FIRM_INPUTS, make_firm_panel

FW = load_framework("nqpf-firm")


def test_structure_follows_the_paper() -> None:
    assert FW.spec.unit_kind == "firm"
    assert FW.dimensions == ["labour_force", "production_tools"]
    assert FW.children("production_tools") == ["hard_technology", "soft_technology"]
    assert FW.leaves("labour_force") == ["rd_salary_share", "rd_staff_share", "higher_edu_share"]
    assert FW.leaves("hard_technology") == ["fixed_asset_share", "manufacturing_expense_share"]
    assert FW.leaves("soft_technology") == ["rd_depreciation_share", "rd_lease_share", "rd_direct_share",
                                            "intangible_asset_share", "asset_turnover",
                                            "equity_multiplier_inverse"]
    table = FW.indicator_table()
    assert len(table) == 11 and set(table["direction"]) == {"positive"}
    assert set(table.loc[FW.leaves("labour_force"), "factor"]) == {"laborers"}
    assert set(table.loc[FW.leaves("production_tools"), "factor"]) == {"means_of_labor"}
    # every CSMAR ready-made ratio of NQPF_EnNQPThreeLevelIndLT is named in a source line
    csmar_ratios = ["RDPSalaryRatio", "RDPersonRatio", "HighEduPersonRatio", "FixedAssetsRatio",
                    "ManufacturCostsRatio", "RDPDepAmortRatio", "RDPLeaseCostsRatio", "DirectInvestment",
                    "IntangibleAssetsRatio", "AssetTurnover", "EquityMultiplierRec"]
    assert [next(r for r in csmar_ratios if r in s) for s in table["source"]] == csmar_ratios


def test_csmar_mapping_covers_every_input_and_renames_an_export() -> None:
    inputs = set()
    for ind in FW.indicators:
        inputs.update(expr.columns(ind.expression))
    assert set(FW.spec.csmar) == inputs == set(FIRM_INPUTS) == set(_ITEMS)
    renames = FW.csmar_renames()
    assert renames["A001000000"] == "total_assets"
    assert renames["A001212000"] == "fixed_assets"
    assert renames["A001218000"] == "intangible_assets"
    assert renames["A003000000"] == "owners_equity"
    assert renames["B001101000"] == "revenue"
    # a field without a confirmed code is documented but not renamed
    assert FW.spec.csmar["rd_salary"].field is None and "rd_salary" not in renames.values()


def test_a_misspelt_csmar_key_is_an_error_naming_the_line() -> None:
    text = """
name: x
title: {zh: x, en: x}
csmar:
  revenu: {field: B001101000}
target:
  id: t
  name_zh: t
  name_en: t
  indicators:
    - {id: a, name_zh: a, name_en: a, unit: r, definition: revenue / total_assets}
"""
    with pytest.raises(FrameworkError, match=r"line 5: field 'csmar.revenu': 'revenu' is not an input column"):
        parse_framework_text(text, "x.yaml")


_ITEMS = ("revenue", "total_assets", "fixed_assets", "intangible_assets", "owners_equity", "employees",
          "rd_staff", "staff_bachelor_plus", "rd_salary", "rd_depreciation", "rd_lease", "rd_direct",
          "operating_cash_out", "cash_paid_goods", "cash_paid_staff", "depreciation", "amortisation", "impairment")
#: two firms, 2021-2022, statement items chosen so that every ratio is easy to compute by hand (columns: _ITEMS)
_ROWS = {
    ("000001", 2021): (800, 1000, 300, 50, 400, 200, 40, 120, 24, 4, 2, 8, 700, 400, 100, 30, 10, 10),
    ("000001", 2022): (990, 1200, 360, 60, 600, 250, 50, 125, 33, 9.9, 1.98, 19.8, 800, 500, 150, 25, 15, 10),
    ("600519", 2021): (100, 400, 40, 20, 300, 50, 5, 10, 1, 0.5, 0, 2, 90, 60, 20, 5, 3, 2),
    ("600519", 2022): (150, 600, 150, 30, 150, 60, 12, 30, 3, 1.5, 0.75, 4.5, 100, 50, 30, 10, 5, 5),
}


def _two_firms() -> Panel:
    idx = pd.MultiIndex.from_tuples(list(_ROWS), names=["unit", "year"])
    return Panel(pd.DataFrame(list(_ROWS.values()), index=idx, columns=list(_ITEMS)).astype(float),
                 "two firms", "firm")


def test_ratios_on_two_hand_built_firms() -> None:
    v = indicator_values(_two_firms(), FW)
    a21, a22, b21, b22 = v.loc[("000001", 2021)], v.loc[("000001", 2022)], v.loc[("600519", 2021)], \
        v.loc[("600519", 2022)]
    # labour force
    assert a21["rd_salary_share"] == pytest.approx(24 / 800)          # 0.03
    assert a22["rd_salary_share"] == pytest.approx(33 / 990)
    assert a21["rd_staff_share"] == pytest.approx(0.2)
    assert b22["rd_staff_share"] == pytest.approx(0.2)
    assert a21["higher_edu_share"] == pytest.approx(0.6) and b21["higher_edu_share"] == pytest.approx(0.2)
    # hard technology
    assert a21["fixed_asset_share"] == pytest.approx(0.3) and b22["fixed_asset_share"] == pytest.approx(0.25)
    # (700 + 30 + 10 + 10 - 400 - 100) / (700 + 30 + 10 + 10) = 250 / 750
    assert a21["manufacturing_expense_share"] == pytest.approx(1 / 3)
    # (100 + 10 + 5 + 5 - 50 - 30) / 120 = 40 / 120
    assert b22["manufacturing_expense_share"] == pytest.approx(1 / 3)
    assert a22["manufacturing_expense_share"] == pytest.approx((850 - 650) / 850)
    # soft technology
    assert a22["rd_depreciation_share"] == pytest.approx(0.01)
    assert a22["rd_lease_share"] == pytest.approx(0.002)
    assert a22["rd_direct_share"] == pytest.approx(0.02)
    assert b21["rd_lease_share"] == 0.0
    assert a21["intangible_asset_share"] == pytest.approx(0.05)
    # revenue over the average of opening and closing total assets; none in a firm's first year
    assert np.isnan(a21["asset_turnover"]) and np.isnan(b21["asset_turnover"])
    assert a22["asset_turnover"] == pytest.approx(990 / 1100)       # 0.9
    assert b22["asset_turnover"] == pytest.approx(150 / 500)        # 0.3
    assert a22["equity_multiplier_inverse"] == pytest.approx(0.5)
    assert b22["equity_multiplier_inverse"] == pytest.approx(0.25)


def _entropy_by_hand(Z: np.ndarray) -> np.ndarray:
    """Shannon entropy weights of one cross-section: p = z / sum z, e = -sum p ln p / ln n, w = (1-e) / sum."""
    P = Z / Z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P), 0.0)
    e = -plogp.sum(axis=0) / np.log(Z.shape[0])
    return (1 - e) / (1 - e).sum()


def test_per_year_entropy_weights_are_each_years_own_and_exported() -> None:
    df = make_firm_panel(40, range(2018, 2023), empty_share=0.0, seed=3)
    data = df.set_index(["Stkcd", "year"])[list(FIRM_INPUTS)]
    panel = Panel(data, "synthetic firms", "firm")
    res = measure(panel, FW, weighting="entropy", years=(2019, 2022), missing="error")
    wby = res.weights_by_year
    assert list(wby.index) == [2019, 2020, 2021, 2022]
    # each year's weights are the entropy weights of that year's cross-section alone
    for year in wby.index:
        Z = res.normalized.xs(year, level="year").to_numpy()
        np.testing.assert_allclose(wby.loc[year].to_numpy(), _entropy_by_hand(Z), rtol=1e-10)
    table = res.weights_by_year_table()
    assert list(table.columns) == ["indicator", "name_zh", "name_en", "dimension", "2019", "2020", "2021",
                                   "2022", "mean"]
    assert table["name_zh"].iloc[0] == "研发人员薪资占比"
    assert table["name_en"].iloc[-1] == "Inverse of the equity multiplier"
    np.testing.assert_allclose(table[["2019", "2020", "2021", "2022"]].sum(axis=0), 1.0)
    np.testing.assert_allclose(table["mean"], res.indicator_weights.to_numpy(), rtol=1e-12)
    assert set(res.tables()) == {"", "weights_by_year"}
    # pooled weights: no per-year table
    pooled = measure(panel, FW, years=(2019, 2022), missing="error")
    assert pooled.weights_by_year is None and set(pooled.tables()) == {""}
