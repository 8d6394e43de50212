"""The unit briefs (issue 15, item 5): every number read off a table of the run's output."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from nqpf.output import write_run
from nqpf.report.briefs import brief_text, briefs_pdf, build_briefs
from nqpf.report.html import render_report
from nqpf.report.page import Page, asset, esc
from nqpf.report.sections import briefs as sections_briefs
from nqpf.report.sections.briefs import brief_card, section_briefs
from nqpf.study import load_study, run_study

FULL = """
name = "briefs"
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
[[index]]
name = "hqd"
framework = "hqd-province-2022"
role = "hqd"
[[index]]
name = "nqpf_to_2022"
framework = "nqpf-province-2023"
years = [2016, 2022]
[analyses.leap]
pressures = ["co2_emissions_apparent"]
[analyses.relations_fit]
[analyses.coupling]
systems = ["nqpf_to_2022", "hqd"]
[analyses.obstacle]
index = "nqpf"
[analyses.uncertainty]
index = "nqpf"
draws = 100
bootstrap = 10
[output]
briefs = true
"""

BARE = """
name = "bare"
[data]
dataset = "china-provinces"
[[index]]
name = "nqpf"
framework = "nqpf-province-2023"
"""


def _run(tmp_path, text: str, name: str):
    study = tmp_path / f"{name}.toml"
    study.write_text(text, encoding="utf-8")
    spec, src = load_study(study)
    return run_study(spec, src, base=tmp_path)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("briefs")
    run = _run(tmp, FULL, "full")
    return run, write_run(run, tmp / "out", excel=False, lang="zh")


def _cell(df: pd.DataFrame, key: str) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    for part in key.split("|"):
        k, v = part.split("=", 1)
        mask &= df[k].astype(str).to_numpy() == v
    return df[mask]


def _same(a, b) -> bool:
    try:
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-12))
    except (TypeError, ValueError):
        return str(a) == str(b)


def test_brief_fields_equal_the_tables_by_hand(full) -> None:
    run, _ = full
    b = build_briefs(run)
    sc = run.results["nqpf"].scores.set_index(["unit", "year"])
    lev = run.tables["obstacle_lag_levers_nqpf"]
    for unit in ("北京", "甘肃"):
        r = b.row(unit)
        assert r["score"] == pytest.approx(sc.loc[(unit, 2023), "score"])
        assert r["rank"] == sc.loc[(unit, 2023), "rank"]
        assert r["change_span"] == pytest.approx(sc.loc[(unit, 2023), "score"] - sc.loc[(unit, 2016), "score"])
        assert r["change_last"] == pytest.approx(sc.loc[(unit, 2023), "score"] - sc.loc[(unit, 2022), "score"])
        mine = lev[(lev["unit"] == unit) & (lev["year"] == 2023)]
        top = mine.loc[mine["obstacle_to_weight"].idxmax()]
        assert r["lag_lever"] == top["group"] and r["lag_lever_ratio"] == pytest.approx(top["obstacle_to_weight"])
        lp = run.analyses["leap"].to_frame().set_index(["unit", "year"])
        assert r["quadrant"] == lp.loc[(unit, 2023), "quadrant"]
        fit = run.analyses["relations_fit"].to_frame().set_index(["unit", "year"])
        assert r["fit_year"] == 2019 and r["fit_first_year"] == 2016   # the marketization index ends in 2019
        assert r["fit_D"] == pytest.approx(fit.loc[(unit, 2019), "D"])
        cp = run.analyses["coupling"].to_frame().set_index(["unit", "year"])
        assert r["coupling_D"] == pytest.approx(cp.loc[(unit, 2022), "D"])
        mc = run.tables["uncertainty_nqpf_ranks"].set_index(["unit", "year"])
        assert (r["rank_low"], r["rank_high"]) == (mc.loc[(unit, 2023), "rank_low"], mc.loc[(unit, 2023), "rank_high"])
    assert b.row("北京")["rank"] == 1 and b.notes == []


def test_every_brief_number_is_in_a_table_of_the_output(full) -> None:
    run, out = full
    b = build_briefs(run)
    src = b.sources
    assert set(src["unit"]) == set(b.frame.index) and len(src) > 40 * len(b.frame)
    tables: dict[str, pd.DataFrame] = {}
    for rec in src.itertuples(index=False):
        if rec.table not in tables:
            tables[rec.table] = pd.read_csv(out / "tables" / f"{rec.table}.csv")
        df = tables[rec.table]
        rows = _cell(df, rec.row)
        assert len(rows), (rec.table, rec.row)
        col = rows[rec.column]
        if rec.op == "value":
            assert len(rows) == 1 and _same(col.iloc[0], rec.value), rec
        elif rec.op == "difference":
            assert _same(col.iloc[0] - _cell(df, rec.minus_row)[rec.column].iloc[0], rec.value), rec
        elif rec.op == "min":
            assert _same(col.min(), rec.value), rec
        elif rec.op == "count":
            assert len(rows) == rec.value, rec
        elif rec.op == "path":
            seq = list(rows.sort_values("year")[rec.column])
            assert [k for i, k in enumerate(seq) if i == 0 or k != seq[i - 1]] == rec.value.split(" → ")
        elif rec.op == "constant":   # the k of p_top<k>: the column's name
            assert rec.column == f"p_top{rec.value}"
        else:
            raise AssertionError(f"unknown op {rec.op}")
        # the value in the brief frame is the one in the sources
        assert _same(b.frame.loc[rec.unit, rec.field], rec.value)
    # every non-empty field of the frame has a source row
    filled = b.frame.notna().sum().sum()
    assert filled == len(src)
    written = pd.read_csv(out / "tables" / "brief_sources.csv")
    assert len(written) == len(src)


def test_sentences_zh_en(full) -> None:
    run, _ = full
    b = build_briefs(run)
    zh, en = brief_text(b, "北京", "zh"), brief_text(b, "北京", "en")
    assert zh[0].startswith("北京：2023 年新质生产力指数（nqpf）得分") and "居第 1 位（蒙特卡洛排名区间 1–" in zh[0]
    lever = b.row("北京")["lag_lever_zh"]
    assert any(f"政策抓手为{lever}（滞后比 {b.row('北京')['lag_lever_ratio']:.2f}）" in s for s in zh)
    assert en[0].startswith("Beijing: NQPF index (nqpf) score") and "rank 1 of 30" in en[0]
    assert any("Fit with production relations (data 2016–2019)" in s for s in en)


def test_briefs_without_optional_analyses(tmp_path) -> None:
    run = _run(tmp_path, BARE, "bare")
    b = build_briefs(run)
    assert len(b.frame) == 30 and set(b.notes) == {"obstacle", "leap", "relations_fit", "coupling", "uncertainty"}
    assert "quadrant" not in b.frame.columns and "rank_low" not in b.frame.columns
    assert any("未运行跃迁分析" in n for n in b.note_lines("zh"))
    s = brief_text(b, "上海", "en")
    assert len(s) == 1 and "Monte Carlo" not in s[0] and s[0].startswith("Shanghai: NQPF index (nqpf) score")
    with pytest.raises(Exception, match="no brief for unit '火星'"):
        b.row("火星")
    # a unit without a score in the last year gets no brief, and the notes say so
    sc = run.results["nqpf"].scores
    run.results["nqpf"].scores = sc.assign(score=sc["score"].where((sc["unit"] != "上海") | (sc["year"] != 2023)))
    b = build_briefs(run)
    assert len(b.frame) == 29 and "上海" not in b.frame.index and b.absent == ["上海"]
    assert "no brief for the units without an index score in 2023: 上海" in b.note_lines("en")


def _pdf_pages(path) -> int:
    """Pages of a PDF matplotlib wrote (its page objects are plain dictionaries: ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def test_pdf_one_page_per_unit_zh_and_en(full, tmp_path) -> None:
    run, out = full
    b = build_briefs(run)
    pdf = out / "briefs.pdf"
    assert pdf.exists() and _pdf_pages(pdf) == len(b.frame) == 30
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert {"briefs.pdf", "tables/briefs.csv", "tables/brief_sources.csv"} <= set(prov["outputs"])
    en = tmp_path / "en.pdf"
    assert briefs_pdf(run, en, "en", b) == 30 and _pdf_pages(en) == 30


def test_report_chapter_cards_and_selector_zh_en(full) -> None:
    run, _ = full
    b = build_briefs(run)
    zh = render_report(run, "zh", sections=["briefs"])
    assert zh.sections == ["briefs"] and "<h2>各单元简报</h2>" in zh.html
    assert zh.html.count('<article class="brief"') == 30 and "NQPF.briefs(" in zh.html
    assert esc(brief_text(b, "北京", "zh")[0]) in zh.html and "<svg class=\"spark\"" in zh.html
    assert zh.html.count("<option value=") == 31   # every unit and "all units"
    en = render_report(run, "en", sections=["briefs"])
    assert "<h2>Unit briefs</h2>" in en.html and esc(brief_text(b, "甘肃", "en")[1]) in en.html


def test_report_chapter_of_a_large_run_selector_and_search(full, monkeypatch) -> None:
    run, _ = full
    monkeypatch.setattr(sections_briefs, "is_large", lambda n: True)
    html = render_report(run, "en", sections=["briefs"]).html
    assert '<article class="brief"' not in html.split("NQPF.briefs(")[0]   # no card in the page itself
    assert 'class="searchtable"' in html and 'input type="search"' in html
    payload = json.loads(re.search(r'NQPF\.briefs\("[^"]+", (\{.*?\})\);</script>', html).group(1))
    assert len(payload["cards"]) == 30 and payload["cards"][0][0].startswith("Beijing")


def test_no_briefs_chapter_unless_asked(tmp_path) -> None:
    run = _run(tmp_path, BARE, "bare")
    assert render_report(run, "en", sections=["briefs"]).sections == []
    out = write_run(run, tmp_path / "out", excel=False)
    assert not (out / "briefs.pdf").exists() and not (out / "tables" / "brief_sources.csv").exists()


def test_briefs_selector_in_a_browser(full, tmp_path) -> None:
    """NQPF.briefs in Chromium: one card shown, "all" shows every card; the large view draws the chosen card
    and the search narrows the options."""
    from test_report_browser import Browser, chromium_path

    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    run, _ = full
    page = Page(lang="en")
    small = section_briefs(run, page)
    b = build_briefs(run)
    mat = run.results["nqpf"].scores.pivot(index="unit", columns="year", values="score")
    cards = [[u, brief_card(b, u, "en", mat.loc[u])] for u in b.frame.index]
    big = ('<div id="big" class="briefs"><div class="tblbar"><input type="search"><select>'
           + "".join(f'<option value="{k}">{u}</option>' for k, (u, _) in enumerate(cards))
           + '</select></div><div class="briefbox"></div></div><script>window.BIG = NQPF.briefs("big", '
           + json.dumps({"cards": cards}, ensure_ascii=False) + ");</script>")
    f = tmp_path / "briefs.html"
    f.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{asset('report.js')}</script>"
                 f"</head><body>{small}{big}</body></html>", encoding="utf-8")
    br = Browser(exe)
    try:
        br.open(f.as_uri(), "document.querySelectorAll('article.brief').length > 0")
        shown = "Array.from(document.querySelectorAll('.briefs:first-of-type article.brief')).filter(a => !a.hidden)"
        assert br.evaluate(f"{shown}.length") == 1
        assert br.evaluate(f"{shown}[0].dataset.unit") == "北京"
        br.evaluate("var s = document.querySelector('select'); s.value = 'all'; s.dispatchEvent(new Event('change'))")
        assert br.evaluate(f"{shown}.length") == 30
        assert br.evaluate("document.querySelector('#big .briefbox article').dataset.unit") == "北京"
        br.evaluate("var i = document.querySelector('#big input'); i.value = '甘肃'; "
                    "i.dispatchEvent(new Event('input'))")
        assert br.evaluate("document.querySelectorAll('#big option').length") == 1
        assert br.evaluate("document.querySelector('#big .briefbox article').dataset.unit") == "甘肃"
    finally:
        br.close()
