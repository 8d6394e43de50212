"""Large runs: the workbook's capped sheets (noted, never silent), the rank-interval plot without one label per
unit, and the wording of a firm run (各企业 / 样本均值, never 各地区 / 全国均值)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.analysis.obstacle import obstacle_degree
from nqpf.analysis.scenario import scenario
from nqpf.analysis.uncertainty import montecarlo as MC
from nqpf.core.framework import load_framework
from nqpf.core.panel import Panel
from nqpf.measure import measure
from nqpf.report import excel
from nqpf.result import infer_kind

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from firm_data import FIRM_INPUTS, make_firm_panel


@pytest.fixture(scope="module")
def firm_result():
    df = make_firm_panel(70, range(2018, 2023), empty_share=0.0, seed=4)
    panel = Panel(df.set_index(["Stkcd", "year"])[list(FIRM_INPUTS)], "synthetic firms", "firm")
    return measure(panel, load_framework("nqpf-firm"), weighting="entropy", years=(2019, 2022), missing="error")


def test_firm_run_speaks_of_firms(firm_result):
    res = firm_result
    assert res.unit_kind == "firm"
    zh, en = res.summary("zh"), res.summary("en")
    assert "企业 70 个" in zh and "地区" not in zh and "firms: 70" in en
    fig = res.plot(lang="zh")
    assert fig.axes[0].lines[0].get_label() == "样本均值"
    assert res.plot(lang="en").axes[0].lines[0].get_label() == "Sample mean"
    ob = obstacle_degree(res).summary("zh")
    assert "各企业滞后最多的" in ob and "作为首要障碍的企业数" in ob and "地区" not in ob
    assert "for each firm the" in obstacle_degree(res).summary("en")
    unit = res.units[0]
    sc = scenario(res, {"rd_staff_share": "+10%"}, unit, 2022)
    assert "其他企业与权重" in " ".join(sc.narrative("zh")) and "other firms, weights" in " ".join(sc.narrative("en"))


def test_kind_inferred_from_framework_or_provinces():
    assert infer_kind(["北京", "天津"], "unit") == "province"
    assert infer_kind(["北京", "ACME"], None) == "other"
    assert infer_kind(["000001"], "firm") == "firm"


def test_rank_interval_plot_of_many_units_has_no_unit_labels(firm_result):
    mc = MC.monte_carlo_weights(firm_result, draws=30, seed=0)
    ax = mc.plot(lang="zh").axes[0]
    assert len(ax.get_yticklabels()) == 0 and ax.get_ylabel() == "70 个单元(按中位排名排列)"


def test_large_table_sheet_is_capped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_SHEET_CELLS", 30)
    big = pd.DataFrame({"unit": [f"{i:06d}" for i in range(20)], "year": 2020, "score": np.linspace(0, 1, 20)})
    small = pd.DataFrame({"unit": ["000001"], "score": [np.nan]})
    path = excel.write_workbook({"nqpf_scores": big, "tiny": small}, tmp_path / "r.xlsx", lang="zh")
    wb = load_workbook(path, read_only=True)
    readme = [r for r in wb["README"].iter_rows(values_only=True)]
    wb.close()
    note = "此表只列出前 10 行(共 20 行,超过每表 30 个单元格的上限);完整数据见 tables/nqpf_scores.csv。"
    assert ("note", f"nqpf_scores: {note}") in [tuple(r[:2]) for r in readme]
    back = excel.read_workbook_table(path, "nqpf_scores")
    assert len(back) == 11 and back.iloc[10, 0] == note  # 10 data rows, then the note
    pd.testing.assert_frame_equal(back.iloc[:10].astype({"year": int, "score": float}), big.iloc[:10],
                                  check_dtype=False)
    tiny = excel.read_workbook_table(path, "tiny")
    assert tiny["unit"].tolist() == ["000001"] and tiny["score"].isna().all()
    wb = load_workbook(path)
    ws = wb["nqpf_scores"]
    assert ws.freeze_panes == "A3" and ws.cell(3, 3).number_format == "0.0000" and ws.cell(1, 1).font.bold
    assert ws.auto_filter.ref == "A2:C12"


def test_column_cells_equal_the_cell_by_cell_conversion():
    col = pd.Series([1.5, np.nan, np.inf, -np.inf, 0.0])
    assert excel._column_cells(col) == [excel._cell(v) for v in col] == [1.5, None, "inf", "-inf", 0.0]
    ints = pd.Series([1, 2], dtype="int64")
    assert excel._column_cells(ints) == [1, 2] and all(type(v) is int for v in excel._column_cells(ints))
    text = pd.Series(["a", None], dtype="string")
    assert excel._column_cells(text) == ["a", None]
