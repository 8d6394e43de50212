"""Views for many units: above LARGE_UNITS units the report shows distributions, top/bottom units, group
summaries and a searchable table instead of one bar or heat-map row per unit; no figure is larger than
MAX_PX (4,000 px) a side; the wording follows the unit kind (样本均值 / 各企业 for firms, 全国均值 only for all
31 provinces). A 31-province run keeps the per-unit views (map, ranking table, heat map).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from nqpf.report.sections import LARGE_UNITS
from nqpf.viz.style import MAX_PX

N_FIRMS = 300
YEARS = list(range(2016, 2021))

FIRM_FRAMEWORK = """\
name: firm-scale-test
title: {zh: 企业新质生产力(合成), en: Firm NQPF (synthetic)}
target:
  id: nqpf
  name_zh: 新质生产力
  name_en: NQPF
  children:
"""


def _framework(n_dims: int = 3, per_dim: int = 2) -> str:
    out = FIRM_FRAMEWORK
    for d in range(n_dims):
        out += (f"    - id: d{d}\n      name_zh: 维度{d}\n      name_en: Dimension {d}\n      indicators:\n")
        for j in range(per_dim):
            k = d * per_dim + j + 1
            out += f"        - {{id: x{k}, name_zh: 指标{k}, name_en: Indicator {k}, unit: ratio}}\n"
    return out


@pytest.fixture(scope="module")
def firm_run(tmp_path_factory):
    """300 synthetic firms (codes 000001 …, kind firm), 5 years, 6 indicators; index, KDE, Dagum by a made-up
    industry, obstacle degree and a few Monte Carlo draws (rank intervals: one row per unit)."""
    from nqpf.study import StudySpec, run_study

    folder = tmp_path_factory.mktemp("firms")
    rng = np.random.default_rng(7)
    units = [f"{i:06d}" for i in range(1, N_FIRMS + 1)]
    base = rng.lognormal(0.0, 0.5, size=(N_FIRMS, 6))
    rows = []
    for k, u in enumerate(units):
        for t, y in enumerate(YEARS):
            rows.append({"code": u, "year": y, **{f"x{j + 1}": base[k, j] * (1 + 0.04 * t) * rng.lognormal(0, 0.1)
                                                  for j in range(6)}})
    pd.DataFrame(rows).to_csv(folder / "firms.csv", index=False)
    (folder / "fw.yaml").write_text(_framework(), encoding="utf-8")
    industry = {u: f"I{k % 5}" for k, u in enumerate(units)}
    spec = StudySpec(name="firms", data={"path": str(folder / "firms.csv"), "unit": "code", "year": "year",
                                         "kind": "firm"},
                     index=[{"name": "nqpf", "framework": str(folder / "fw.yaml"), "years": [YEARS[0], YEARS[-1]]}],
                     analyses={"kernel_density": {}, "dagum": {"groups": industry}, "obstacle": {},
                               "uncertainty": {"draws": 20, "bootstrap": 0, "methods": False,
                                               "leave_one_out": False}})
    return run_study(spec, "synthetic firms")


def _payloads(html_text: str) -> list[dict]:
    return [json.loads(m.group(1)) for m in re.finditer(r'NQPF\.plot\("[^"]+", (.*?)\);</script>', html_text)]


def _categories(trace: dict) -> int:
    """The number of text categories a trace draws (bars, points or heat-map rows on a text axis)."""
    most = 0
    for ax in ("x", "y"):
        v = trace.get(ax)
        if isinstance(v, list) and v and all(isinstance(c, str) for c in v):
            most = max(most, len(v))
    return most


def test_a_300_firm_report_uses_the_large_views(firm_run):
    from nqpf.report.html import render_report

    assert N_FIRMS > LARGE_UNITS
    zh = render_report(firm_run, "zh").html
    en = render_report(firm_run, "en").html
    for text in (zh, en):
        assert 'NQPF.table("nqpf-table-1"' in text  # the searchable table of every unit
        figs = _payloads(text)
        assert figs
        traces = [tr for f in figs for tr in f["data"]]
        assert not [tr for tr in traces if tr["type"] == "heatmap" and _categories(tr) > LARGE_UNITS]
        assert max(_categories(tr) for tr in traces) <= 2 * 15  # at most the top and bottom 15 of a per-unit figure
        assert "box" in {tr["type"] for tr in traces}
        heights = [f["layout"].get("height", 0) for f in figs] + [int(h) for h in re.findall(r'height:(\d+)px', text)]
        assert max(heights) <= MAX_PX
        assert all(f["layout"].get("width", 0) <= MAX_PX for f in figs)
    # the searchable table has every firm, with its code kept as text (leading zeros)
    m = re.search(r'NQPF\.table\("nqpf-table-1", (.*?)\);</script>', zh)
    table = json.loads(m.group(1))
    assert len(table["rows"]) == N_FIRMS and {r[1] for r in table["rows"]} >= {"000001", "000300"}
    # the rank intervals (one row per unit) keep the first and last 15, and say so
    assert "单位较多(300 个企业),下图只显示排在最前和最后的各 15 个" in zh
    # wording by kind: a sample of firms has a sample mean, never a national one
    assert "样本均值" in zh and "全国均值" not in zh and "各企业" in zh
    assert "sample mean" in en and "national mean" not in en.lower() and "each firm" in en
    assert "Provinces differ" not in en and "300 firms" in en


def test_static_figures_of_a_large_run_stay_within_the_cap(firm_run, tmp_path):
    from PIL import Image

    from nqpf.report.figures import figure_specs, write_figures

    stems = [s for s, _ in figure_specs(firm_run)]
    assert "distribution_nqpf" in stems and "dimensions_nqpf" in stems
    fs = write_figures(firm_run, tmp_path, "en", formats=("png",), workers=1,
                       only=["dimensions_nqpf", "distribution_nqpf", "obstacle"])
    assert set(fs.files) == {"dimensions_nqpf", "distribution_nqpf", "obstacle"}
    for paths in fs.files.values():
        for p in paths:
            w, h = Image.open(p).size
            assert w <= MAX_PX and h <= MAX_PX, (p.name, w, h)


def test_figure_size_caps():
    """A figure asked for one 0.16-inch row per unit of 3,000 firms (the issue's 111,283-px PNG) is capped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nqpf.viz.style import DPI, cap_figsize, cap_height, figure_axes, save_dpi

    assert cap_figsize((5.6, 0.16 * 3000 + 1.2)) == (5.6, MAX_PX / DPI)
    assert cap_height(54_140) == MAX_PX and cap_height(300) == 300
    fig, ax = figure_axes(None, (5.6, 481.2))
    assert max(fig.get_size_inches()) * DPI <= MAX_PX + 1e-6
    # what sticks out of the figure (a long label) lowers the resolution so the saved PNG stays within the cap
    ax.set_ylabel("x" * 20)
    ax.text(0, 2.5, "far below", transform=ax.transAxes)
    dpi = save_dpi(fig)
    assert dpi < DPI
    plt.close(fig)
    small, _ = figure_axes(None)
    assert save_dpi(small) == DPI
    plt.close(small)


def test_keep_ends_cuts_a_per_unit_figure_to_its_first_and_last_units():
    import plotly.graph_objects as go

    from nqpf.report.sections.scale import cap_figure, keep_ends

    names = [f"{i:06d}" for i in range(200)]
    fig = go.Figure([go.Bar(y=names, x=np.arange(200.0), orientation="h",
                            customdata=np.arange(200.0)),
                     go.Scatter(y=names, x=np.arange(200.0) * 2, mode="markers",
                                error_x={"type": "data", "array": np.ones(200)})])
    fig.update_layout(height=20 * 200 + 160)
    cut, total = keep_ends(fig, 3)
    assert total == 200
    keep = names[:3] + names[-3:]
    assert list(cut.data[0].y) == keep and list(cut.data[0].x) == [0, 1, 2, 197, 198, 199]
    assert list(cut.data[0].customdata) == [0, 1, 2, 197, 198, 199]
    assert list(cut.data[1].x) == [0, 2, 4, 394, 396, 398] and len(cut.data[1].error_x.array) == 6
    assert cut.layout.height <= 420
    small = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    assert keep_ends(small, 3) == (small, None)
    assert cap_figure(go.Figure(layout={"height": 54_140})).layout.height == MAX_PX


def test_distribution_and_group_summary_by_hand():
    from nqpf.core.groups import Grouping
    from nqpf.report.views import distribution, group_summary

    df = pd.DataFrame({"unit": list("abcdef"), "year": [2020] * 6, "score": [1.0, 2.0, 3.0, 4.0, 5.0, 60.0]})
    d = distribution(df).loc[2020]
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 60.0])
    q1, q3 = np.quantile(v, [0.25, 0.75])
    assert d["q1"] == q1 and d["q3"] == q3 and d["median"] == 3.5 and d["max"] == 60.0
    assert d["upper_fence"] == 5.0 and d["lower_fence"] == 1.0  # 60 lies beyond q3 + 1.5 IQR
    assert d["sd"] == pytest.approx(np.std(v, ddof=1))
    g = Grouping("t", {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y", "f": "z"}, order=["y", "x", "z"])
    s = group_summary(df, g)
    assert list(s["group"]) == ["y", "x", "z"] and list(s["n"]) == [3, 2, 1]
    assert s.loc[0, "mean"] == 4.0 and s.loc[1, "median"] == 1.5 and np.isnan(s.loc[2, "sd"])


def test_a_31_province_run_keeps_the_per_unit_views(tmp_path):
    """A province run (the core system: 30 provinces, 西藏 lacks data) keeps the map, the ranking table and the
    unit × dimension heat map; with 30 of 31 provinces the mean is a sample mean (全国均值 needs all 31: the
    mini study of tests/test_report.py checks that)."""
    from nqpf.report.html import render_report
    from nqpf.study import StudySpec, run_study

    spec = StudySpec(name="p31", data={"dataset": "china-provinces"},
                     index=[{"name": "core", "framework": "nqpf-province-core", "years": [2018, 2022]}])
    run = run_study(spec, "31 provinces")
    res = run.results["core"]
    assert len(res.units) == 30
    zh = render_report(run, "zh", sections=["index"]).html
    en = render_report(run, "en", sections=["index"]).html
    for text in (zh, en):
        traces = [tr for f in _payloads(text) for tr in f["data"]]
        heat = [tr for tr in traces if tr["type"] == "heatmap"]
        assert heat and _categories(heat[0]) == 30  # one row per province, as before
        assert "choropleth" in {tr["type"] for tr in traces}
        assert 'NQPF.table("' not in text and 'class="tbl"' in text
    assert "样本均值" in zh and "全国均值" not in zh and "Sample mean" in en and "Provinces differ most" in en
    assert "个省份高于均值" in zh


def test_the_searchable_table_filters_sorts_and_pages_5000_rows_in_a_browser(tmp_path):
    """NQPF.table in Chromium: 5,000 rows embedded, 50 in the document, a search narrows them, a header click
    sorts by value (and again in reverse), the pages step on. (Timing is not asserted: see bench/README.md.)"""
    from test_report_browser import Browser, chromium_path

    from nqpf.report.page import asset
    from nqpf.report.sections.scale import searchable_table

    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"rank": np.arange(1, 5001), "unit": [f"{i:06d}" for i in range(1, 5001)],
                       "score": rng.random(5000)})
    body = searchable_table(df, {"rank": "int", "score": "4f"}, {"unit": "Firm"}, lang="en", table_id="t1")
    page = tmp_path / "table.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{asset('report.js')}</script>"
                    f"</head><body>{body}</body></html>", encoding="utf-8")
    b = Browser(exe)
    try:
        b.open(page.as_uri(), "document.querySelectorAll('#t1 tbody tr').length > 0")
        rows = "document.querySelectorAll('#t1 tbody tr')"
        assert b.evaluate(f"{rows}.length") == 50
        assert b.evaluate("document.querySelector('#t1 .tblbar .note').textContent").startswith("1–50 / 5000")
        b.evaluate("var i = document.querySelector('#t1 input'); i.value = '00499'; "
                   "i.dispatchEvent(new Event('input'))")
        time_wait(b, f"{rows}.length === 11")
        got = b.evaluate(f"Array.from({rows}).map(r => r.cells[1].textContent)")
        assert got == ["000499", *[f"00499{k}" for k in range(10)]]
        b.evaluate("var i = document.querySelector('#t1 input'); i.value = ''; i.dispatchEvent(new Event('input'))")
        time_wait(b, f"{rows}.length === 50")
        b.evaluate("document.querySelectorAll('#t1 th')[2].click()")  # score, ascending
        low = b.evaluate(f"parseFloat({rows}[0].cells[2].textContent)")
        assert low == pytest.approx(df["score"].min(), abs=1e-4)
        b.evaluate("document.querySelectorAll('#t1 th')[2].click()")  # descending
        assert b.evaluate(f"parseFloat({rows}[0].cells[2].textContent)") == pytest.approx(df["score"].max(), abs=1e-4)
        b.evaluate("document.querySelectorAll('#t1 .tblbar button')[1].click()")  # next page
        assert b.evaluate("document.querySelector('#t1 .tblbar .note').textContent").startswith("51–100 / 5000")
        assert b.console_errors() == []
    finally:
        b.close()


def time_wait(b, expr: str, timeout: float = 10.0) -> None:
    """Wait until the page expression is true (the search runs 60 ms after the last keystroke)."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if b.evaluate(expr):
            return
        time.sleep(0.02)
    raise TimeoutError(expr)
