"""years="auto" names every year it leaves out and the cells that forced it — in the result's notes and
settings, provenance.json, the console, summary.txt and methods.md; missing="drop" counts what it removed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from reading_data import framework_yaml, runner, write_framework

from nqpf.cli import app
from nqpf.core.framework import Framework, parse_framework_text
from nqpf.core.panel import Panel
from nqpf.measure import excluded_years, measure
from nqpf.output import run_notices
from nqpf.study import StudySpec, run_study
from nqpf.study.spec import DataSpec, IndexSpec

#: the 41 cities of the Yangtze River Delta (上海 + 江苏 13 + 浙江 11 + 安徽 16)
DELTA = ("上海市 南京市 无锡市 徐州市 常州市 苏州市 南通市 连云港市 淮安市 盐城市 扬州市 镇江市 泰州市 宿迁市 "
         "杭州市 宁波市 温州市 嘉兴市 湖州市 绍兴市 金华市 衢州市 舟山市 台州市 丽水市 "
         "合肥市 芜湖市 蚌埠市 淮南市 马鞍山市 淮北市 铜陵市 安庆市 黄山市 滁州市 阜阳市 宿州市 六安市 亳州市 "
         "池州市 宣城市").split()
YEARS = list(range(2015, 2023))

DIMS = {"d": ("维度", "Dim", ["gdp_pc", "rd", "patents"])}


def delta_frame(seed: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"城市": c, "年份": y, "gdp_pc": float(rng.uniform(3, 20)), "rd": float(rng.uniform(1, 4)),
             "patents": float(rng.uniform(100, 900))} for c in DELTA for y in YEARS]
    return pd.DataFrame(rows)


def one_gap(tmp_path):
    """The issue's case: one empty cell (苏州市's R&D intensity in 2022) in a 41-city yearbook workbook."""
    df = delta_frame()
    df.loc[(df["城市"] == "苏州市") & (df["年份"] == 2022), "rd"] = np.nan
    p = tmp_path / "delta.xlsx"
    with pd.ExcelWriter(p) as w:
        df.to_excel(w, sheet_name="数据", index=False)
    fw = write_framework(tmp_path, "delta", DIMS)
    return p, fw


@pytest.fixture(scope="module")
def one_gap_run(tmp_path_factory):
    """The study of :func:`one_gap` with years="auto", run once for the tests that read it."""
    p, fw = one_gap(tmp_path_factory.mktemp("one-gap"))
    spec = StudySpec(name="d", data=DataSpec(path=str(p), kind="city"),
                     index=[IndexSpec(name="nq", framework=str(fw), years="auto")])
    return run_study(spec, str(p))


def test_excluded_years_names_the_year_and_the_cell(one_gap_run):
    run = one_gap_run
    res = run.results["nq"]
    assert res.years == list(range(2015, 2022)) and len(res.units) == 41
    left = res.settings["excluded_years"]
    assert len(left) == 1
    rec = left[0]
    assert rec["year"] == 2022 and rec["reason"] == "empty cells" and rec["empty_cells"] == 1
    assert rec["cells"] == [{"indicator": "rd", "unit": "苏州市"}] and rec["units"] == ["苏州市"]
    assert rec["by_indicator"] == {"rd": 1}
    note = ('delta: years="auto" left out 2022 for all 41 units because of 1 empty cell (indicator × unit; 1 unit): '
            "rd at 苏州市")
    assert note in res.provenance.notes
    assert f"nq: {note}" in run.provenance.notes  # what the report's overview prints


def test_the_console_provenance_summary_and_methods_name_it(tmp_path):
    p, fw = one_gap(tmp_path)
    out = tmp_path / "o"
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(fw), "--kind", "city",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert 'years="auto" left out 2022 for all 41 units because of 1 empty cell' in text
    assert "rd at 苏州市" in text
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert [(e["index"], e["year"], e["cells"]) for e in prov["excluded_years"]] == [
        ("index", 2022, [{"indicator": "rd", "unit": "苏州市"}])]
    assert prov["settings"]["index"]["excluded_years"][0]["year"] == 2022
    assert any("left out 2022" in n and "rd at 苏州市" in n for n in prov["notes"])
    assert "rd at 苏州市" in (out / "summary.txt").read_text(encoding="utf-8")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "left out 2022 for all 41 units because of 1 empty cell" in report  # the overview's notes
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "left out: 2022, because of 1 empty cell(s)" in methods
    assert "41 cities" in methods  # wording by kind, not "41 units (city)"


def test_many_gaps_are_counted_and_the_first_few_listed(tmp_path):
    df = delta_frame().set_index(["城市", "年份"])
    df.index = df.index.set_names(["unit", "year"])
    for c in DELTA[:9]:  # 9 empty cells at the first year: 2015 goes
        df.loc[(c, 2015), "patents"] = np.nan
    df.loc[("宣城市", 2022), "gdp_pc"] = np.nan  # and 2022
    panel = Panel(df, kind="city")
    fw = Framework(parse_framework_text(framework_yaml("delta", DIMS)))
    res = measure(panel, fw, years="auto")
    assert res.years == list(range(2016, 2022))
    left = {r["year"]: r for r in res.settings["excluded_years"]}
    assert sorted(left) == [2015, 2022]
    assert left[2015]["empty_cells"] == 9 and len(left[2015]["cells"]) == 5
    assert left[2015]["cells"][0] == {"indicator": "patents", "unit": "上海市"}
    assert any("left out 2015 for all 41 units because of 9 empty cells (indicator × unit; 9 units): "
               "patents at 上海市; patents at 南京市" in n and n.endswith("and 4 more") for n in res.provenance.notes)


def test_a_complete_year_cut_off_by_a_gap_year_is_named_too():
    idx = pd.MultiIndex.from_product([["A", "B"], [2018, 2019, 2020, 2021, 2022]], names=["unit", "year"])
    v = pd.DataFrame({"x": [1, np.nan, 1, 1, 1, 1, 1, 1, 1, 1.0]}, index=idx)
    recs = excluded_years(v, [2020, 2021, 2022])
    assert [r["year"] for r in recs] == [2018, 2019]
    assert recs[0]["empty_cells"] == 0
    assert recs[0]["reason"] == "complete, but outside the longest run of complete years (2020–2022)"
    assert recs[1]["cells"] == [{"indicator": "x", "unit": "A"}]


def test_missing_drop_counts_per_unit_and_year_in_the_console(tmp_path):
    df = delta_frame()
    df.loc[(df["城市"] == "苏州市") & (df["年份"].isin([2015, 2016])), "rd"] = np.nan
    df.loc[(df["城市"] == "丽水市") & (df["年份"] == 2016), "patents"] = np.nan
    p = tmp_path / "d.csv"
    df.to_csv(p, index=False)
    fw = write_framework(tmp_path, "delta", DIMS)
    out = tmp_path / "o"
    res = runner.invoke(app, ["measure", "--data", str(p), "--framework", str(fw), "--years", "all",
                              "--missing", "drop", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ('missing="drop" dropped 3 unit-years with empty cells — per unit: 丽水市 1; 苏州市 2; '
            "per year: 2015 1; 2016 2") in text
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    dropped = prov["dropped_unit_years"]["index"]
    assert dropped["count"] == 3 and dropped["by_unit"] == {"苏州市": 2, "丽水市": 1}
    assert dropped["by_year"] == {"2015": 1, "2016": 2}


def test_chinese_console_lines(one_gap_run):
    zh = run_notices(one_gap_run, "zh")
    assert zh == ['nq: years="auto" 未纳入 2022 年（全部 41 个单元均不含该年），原因是 1 个空单元格（指标 × 单元，'
                  "涉及 1 个单元）：苏州市 的 rd"]


@pytest.mark.parametrize("years", ["2015-2021", "2016-2021"])
def test_no_note_when_years_are_given(tmp_path, years):
    p, fw = one_gap(tmp_path)
    spec = StudySpec(name="d", data=DataSpec(path=str(p), kind="city"),
                     index=[IndexSpec(name="nq", framework=str(fw), years=years)])
    res = run_study(spec, str(p)).results["nq"]
    assert "excluded_years" not in res.settings
    assert not any("left out" in n for n in res.provenance.notes)
