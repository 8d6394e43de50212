"""nqpf.report: labels, generated text, data views, maps, the HTML report (chapters from the analysis registry,
blocks rendered to HTML, CSS/JS assets), the workbook, summary.txt and the static figures.

Numbers are checked against independent re-computations written out here with plain loops (no shared code
with the report), e.g. the tag-group sub-indices Σ_{j∈g} w_j z_j / Σ_{j∈g} w_j and the contribution shares.
"""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.core.errors import DataError, StudyError

MINI_NQPF = """\
name: mini-nqpf
title: {zh: 新质生产力(测试), en: NQPF (test)}
target:
  id: nqpf
  name_zh: 新质生产力
  name_en: New quality productive forces
  children:
    - id: tech
      name_zh: 新技术
      name_en: New technology
      tags: {new: new_technology, factor: means_of_labor}
      indicators:
        - {id: rd_intensity, name_zh: R&D经费投入强度, name_en: R&D intensity, unit: "%",
           tags: {lever: st_self_reliance}}
        - {id: inv_pat, name_zh: 每万人发明专利授权量, name_en: Invention patents per 10k people, unit: 件/万人,
           definition: invention_patent_grants / population_resident,
           tags: {lever: st_innovation_system, factor: laborers}}
    - id: econ
      name_zh: 新经济
      name_en: New economy
      tags: {new: new_economy, factor: objects_of_labor}
      indicators:
        - {id: difi_index, name_zh: 数字普惠金融指数, name_en: Digital financial inclusion, unit: index,
           tags: {lever: government_market}}
        - {id: urbanization_rate, name_zh: 城镇化率, name_en: Urbanization rate, unit: "%",
           tags: {lever: modern_industrial_system}}
"""
MINI_HQD = """\
name: mini-hqd
title: {zh: 高质量发展(测试), en: HQD (test)}
target:
  id: hqd
  name_zh: 高质量发展
  name_en: High-quality development
  children:
    - id: sharing
      name_zh: 共享
      name_en: Sharing
      indicators:
        - {id: disposable_income_per_capita, name_zh: 人均可支配收入, name_en: Disposable income, unit: 元}
        - {id: consumption_per_capita, name_zh: 人均消费支出, name_en: Consumption per capita, unit: 元}
    - id: openness
      name_zh: 开放与创新
      name_en: Openness and innovation
      indicators:
        - {id: edu_share, name_zh: 教育支出占比, name_en: Education share of spending, unit: "%",
           definition: 100 * gov_expenditure_education / gov_expenditure_total}
        - {id: tech_market, name_zh: 技术市场成交额占GDP比重, name_en: Technology market / GDP, unit: "%",
           definition: tech_market_turnover_outflow / gdp / 100}
"""
YEARS = list(range(2017, 2024))


def build_mini_run(folder: Path):
    """A 31-province run (two small frameworks, 2017–2023) with the analyses the report draws."""
    from nqpf.study import StudySpec, run_study

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nqpf.yaml").write_text(MINI_NQPF, encoding="utf-8")
    (folder / "hqd.yaml").write_text(MINI_HQD, encoding="utf-8")
    spec = StudySpec(name="mini", title="Mini study", data={"dataset": "china-provinces"}, index=[
        {"name": "nqpf", "framework": str(folder / "nqpf.yaml"), "years": YEARS},
        {"name": "hqd", "framework": str(folder / "hqd.yaml"), "role": "hqd", "years": YEARS},
    ], analyses={"dagum": {}, "kernel_density": {}, "markov": {}, "moran": {"permutations": 0},
                 "lisa": {"permutations": 0}, "convergence": {}, "coupling": {"systems": ["nqpf", "hqd"]},
                 "obstacle": {}})
    run = run_study(spec, "mini study")
    return run


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    return build_mini_run(tmp_path_factory.mktemp("mini"))


# =============================================================================================
# labels and province matching
# =============================================================================================
def test_labels_switch_language():
    from nqpf.core.i18n import bilingual, check_lang, t
    from nqpf.core.units import unit_name
    from nqpf.report.labels import column_labels

    assert t("score", "zh") == "得分" and t("score", "en") == "Score"
    assert t("cells_shown", "en", n=5).startswith("(first 5 rows")
    assert unit_name("内蒙古", "en") == "Inner Mongolia" and unit_name("内蒙古", "zh") == "内蒙古"
    assert unit_name("USA", "en") == "USA"  # not a province: unchanged
    assert bilingual("得分", "Score", "zh") == "得分 / Score"
    assert bilingual("得分", "Score", "en") == "Score / 得分"
    assert column_labels("unit", table="nqpf_indicators") == ("计量单位", "Unit of measure")
    with pytest.raises(StudyError, match="'zh'"):
        check_lang("fr")


def test_province_aliases_match_the_map():
    """Full names, English names and GB/T 2260 codes reach the outline ids (short Chinese names)."""
    from nqpf.viz.maps import map_units, matrix_for_map

    assert map_units(["内蒙古自治区", "Beijing", "广西壮族自治区", "650000", "Tibet"]) == [
        "内蒙古", "北京", "广西", "新疆", "西藏"]
    m = matrix_for_map(pd.DataFrame({2020: [1.0, 2.0]}, index=["Inner Mongolia", "Heilongjiang Province"]))
    assert list(m.index) == ["内蒙古", "黑龙江"]


def test_unmatched_province_is_a_clear_error_with_near_matches():
    from nqpf.viz.maps import choropleth_figure, map_units

    with pytest.raises(DataError) as exc:
        map_units(["北京", "Inner Mongol"])
    msg = str(exc.value)
    assert "'Inner Mongol'" in msg and "near matches" in msg and "内蒙古" in msg
    with pytest.raises(DataError, match="both the province 北京"):
        map_units(["北京", "Beijing"])
    with pytest.raises(DataError, match="Atlantis"):
        choropleth_figure(pd.DataFrame({2020: [1.0]}, index=["Atlantis"]))


def test_choropleth_figure_has_one_slider_step_per_year_and_fixed_colours():
    from nqpf.datasets import provinces
    from nqpf.viz.maps import choropleth_figure

    names = list(provinces()["name_en"])  # English names, matched through the alias table
    mat = pd.DataFrame({2020: np.arange(31.0), 2021: np.arange(31.0) + 10}, index=names)
    fig = choropleth_figure(mat, lang="zh", title="x")
    main = fig.data[0]
    assert len(main.locations) == 31 and main.locations[0] == "北京"
    assert main.zmin == 0.0 and main.zmax == 40.0  # pooled over the years
    assert [s["label"] for s in fig.layout.sliders[0].steps] == ["2020", "2021"]
    assert list(fig.layout.sliders[0].steps[0]["args"][0]["z"][0]) == list(np.arange(31.0))
    # Taiwan, Hong Kong, Macau in grey; no province missing
    assert set(fig.data[1].locations) == {"台湾", "香港", "澳门"}


# =============================================================================================
# data views, checked against plain-loop re-computations
# =============================================================================================
def test_group_scores_are_weighted_means_of_the_group(mini_run):
    from nqpf.report.views import group_contributions, group_scores

    res = mini_run.results["nqpf"]
    Z, w = res.normalized, res.indicator_weights
    tags = res.framework.indicator_table()["factor"]
    g = group_scores(res, "factor").set_index(["unit", "year"])
    for (u, y) in [("北京", 2017), ("西藏", 2023), ("广东", 2020)]:
        for key in ("laborers", "means_of_labor", "objects_of_labor"):
            num = den = 0.0
            for ind in Z.columns:
                if tags[ind] == key:
                    num += w[ind] * Z.loc[(u, y), ind]
                    den += w[ind]
            assert g.loc[(u, y), key] == pytest.approx(num / den, abs=1e-12)
    # contribution shares: weighted sum = Σ_d W_d × dimension score, so share_d = W_d·mean(dim_d)/mean(score)
    shares = group_contributions(res, "dimension", 2023)
    s = res.scores[res.scores["year"] == 2023]
    for d in res.framework.dimensions:
        expected = res.dimension_weights[d] * s[d].mean() / s["score"].mean()
        assert shares[d] == pytest.approx(expected, rel=1e-9)
    assert shares.sum() == pytest.approx(1.0)


def test_region_means_and_ranking(mini_run):
    from nqpf.datasets import province_regions
    from nqpf.report.views import ranking_table, region_means

    res = mini_run.results["nqpf"]
    rm = region_means(res)
    reg = province_regions()
    for y in (2017, 2023):
        rows = [(r.unit, r.score) for r in res.scores.itertuples() if r.year == y]
        assert rm.loc[y, "national"] == pytest.approx(sum(v for _, v in rows) / len(rows))
        east = [v for u, v in rows if reg[u] == "East"]
        assert rm.loc[y, "East"] == pytest.approx(sum(east) / len(east))
    rt = ranking_table(res)
    assert list(rt["rank"]) == sorted(rt["rank"])
    first = res.scores[res.scores["year"] == 2017].set_index("unit")["rank"]
    last = res.scores[res.scores["year"] == 2023].set_index("unit")["rank"]
    for r in rt.itertuples():
        assert r.rank_change == first[r.unit] - last[r.unit]


def test_generated_sentences_carry_the_numbers(mini_run):
    from nqpf.report.sections.index import map_text, trend_text
    from nqpf.report.sections.overview import cells_text, method_text
    from nqpf.report.views import region_means

    res = mini_run.results["nqpf"]
    s = res.year_scores(2023).sort_values(ascending=False)
    en = " ".join(map_text(res, "en"))
    zh = " ".join(map_text(res, "zh"))
    top_en = {"北京": "Beijing", "上海": "Shanghai"}.get(s.index[0], s.index[0])
    assert f"{top_en} ({s.iloc[0]:.4f})" in en and f"{s.index[0]}({s.iloc[0]:.4f})" in zh
    assert f"mean is {s.mean():.4f}" in en and f"全国均值 {s.mean():.4f}" in zh
    rm = region_means(res)
    g = rm["national"].iloc[-1] / rm["national"].iloc[0] - 1
    assert f"{100 * g:.1f}%" in " ".join(trend_text(rm, "en"))
    assert cells_text(pd.DataFrame(), "zh") == ["没有单元格被插补、剔除或截断。"]
    # method names come from the method registry
    assert "global entropy weight method" in " ".join(method_text(res, "en"))
    assert "全局熵值法" in " ".join(method_text(res, "zh")) and "scores compare across years" in " ".join(
        method_text(res, "en"))


# =============================================================================================
# the HTML report
# =============================================================================================
def _script_srcs(html_text: str) -> list[str]:
    return re.findall(r"<(?:script|link|img|iframe)[^>]*(?:src|href)\s*=\s*['\"]([^'\"]+)", html_text)


def _unconverted(run) -> set[str]:
    """Analyses whose result does not implement the result interface yet (their report fails visibly)."""
    from nqpf.core.interface import Result

    return {n for n, r in run.records.items() if type(r.result)._summary_lines is Result._summary_lines}


def _chapter(html_text: str, key: str) -> str:
    """The HTML of one chapter (``<section id=key>``)."""
    start = html_text.index(f'<section id="{key}">')
    return html_text[start:html_text.index("</section>", start)]


def test_report_of_the_default_study(default_run, default_reports):
    import plotly.offline

    from nqpf.analysis.registry import SECTIONS

    rep = default_reports["en"]  # render_report(default_run, "en", strict=False)
    # chapters follow the registry: the report's own two, then every section holding an analysis, in order
    used = {r.spec.section for r in default_run.records.values()}
    own = {"overview", "index"} | ({"briefs"} if default_run.spec.output.briefs else set())  # report-only chapters
    expected = [s.key for s in sorted(SECTIONS.values(), key=lambda s: s.order) if s.key in own or s.key in used]
    assert rep.sections == expected
    # every analysis under its registry heading, in its chapter, ordered by spec.order
    for key in expected[2:]:
        chapter = _chapter(rep.html, key)
        recs = sorted((r for r in default_run.records.values() if r.spec.section == key), key=lambda r: r.spec.order)
        positions = [chapter.index(f'<h3 id="analysis-{r.name}">{html.escape(r.heading("en"))}</h3>') for r in recs]
        assert positions == sorted(positions), key
    # failures only where a result is not converted to the result interface yet (none once all are)
    failed = {re.match(r"analysis '(\w+)' failed", n).group(1) for n in rep.notes}
    assert failed == _unconverted(default_run)
    js = plotly.offline.get_plotlyjs()
    assert rep.html.count(js[:300]) == 1  # plotly.js embedded exactly once
    assert _script_srcs(rep.html) == []  # nothing loaded from anywhere
    assert "@font-face" not in rep.html and "MathJax" not in rep.html.replace(js, "")
    assert rep.html.count('NQPF.geo["geo-provinces"]') == 1  # outlines embedded once for all maps
    assert rep.figures >= 8
    zh = default_reports["zh"].html
    assert "指数测度结果" in zh and "区域差异与分布动态" in zh and ">The index<" not in zh
    for rec in default_run.records.values():
        assert f">{html.escape(rec.heading('zh'))}</h3>" in zh


def test_the_default_study_report_renders_in_both_languages_without_an_error(default_reports):
    for lang in ("en", "zh"):  # no chapter or analysis failed (strict=True would have raised on the first)
        assert default_reports[lang].notes == []


def test_css_and_js_are_package_assets_inlined_once(mini_run):
    from nqpf.core.paths import asset_path
    from nqpf.report.html import render_report

    css = asset_path("report.css").read_text(encoding="utf-8")
    js = asset_path("report.js").read_text(encoding="utf-8")
    doc = render_report(mini_run, "en", sections=["overview"]).html
    assert doc.count(css) == 1 and doc.count(js) == 1
    assert "NQPF_READY_MS" in js and "drawAll" in js
    assert doc.rstrip().endswith("<script>NQPF.start();</script>\n</body>\n</html>")
    assert doc.index("window.NQPF_BOOT") < doc.index(js[:200]) < doc.index('NQPF.plot("nqpf-fig-1"')


def test_absent_analyses_leave_their_sections_out(mini_run):
    from nqpf.report.html import render_report

    run = copy.copy(mini_run)
    run.records = {}
    rep = render_report(run, "en")
    assert rep.sections == ["overview", "index"]
    assert "Dagum" not in rep.html and "Coupling" not in rep.html
    run.records = {"kernel_density": mini_run.records["kernel_density"]}
    rep = render_report(run, "en")
    assert rep.sections == ["overview", "index", "disparity"]
    assert mini_run.records["kernel_density"].heading("en") in _chapter(rep.html, "disparity")


def test_a_failing_analysis_raises_in_strict_mode_and_shows_an_error_box_otherwise(mini_run):
    import dataclasses

    from nqpf.report.html import render_report

    run = copy.copy(mini_run)
    bad = dataclasses.replace(mini_run.records["dagum"], result=object())  # not a result at all
    run.records = {"dagum": bad, "kernel_density": mini_run.records["kernel_density"]}
    with pytest.raises(AttributeError):
        render_report(run, "en", strict=True)
    rep = render_report(run, "en", strict=False)
    assert "disparity" in rep.sections and 'class="error"' in rep.html
    assert rep.notes and rep.notes[0].startswith("analysis 'dagum' failed: AttributeError")
    chapter = _chapter(rep.html, "disparity")
    # the heading stays above the error box, and the next analysis is still shown
    assert chapter.index(bad.heading("en")) < chapter.index('class="error"') < chapter.index(
        mini_run.records["kernel_density"].heading("en"))


def test_the_mini_report_maps_31_provinces(mini_run):
    from nqpf.report.page import Page
    from nqpf.report.sections.index import index_map_figure

    fig = index_map_figure(mini_run.results["nqpf"], "en", "t", Page().outlines())
    assert len(fig.data[0].locations) == 31 and np.isfinite(np.asarray(fig.data[0].z, dtype=float)).all()
    assert fig.data[0].geojson == "geo-provinces"


# =============================================================================================
# blocks -> HTML, and chapters from the registry
# =============================================================================================
def test_blocks_render_to_html_with_named_formats():
    import plotly.graph_objects as go

    from nqpf.core.blocks import Figure, Heading, Preformatted, Table, Text
    from nqpf.report.page import Page
    from nqpf.report.render import render_blocks
    from nqpf.viz.maps import choropleth_figure

    df = pd.DataFrame({"unit": ["北京", "上海"], "share": [0.1234, 0.5], "d": [3.0, -2.0], "x": [1.23456, np.nan],
                       "code": [7, 8]})
    page = Page(lang="en")
    out = render_blocks([
        Heading("Sub <heading>"), Heading("deeper", level=5), Text.of("One.", "", "Two & three."),
        Table(df, formats={"share": "pct", "d": "signed", "x": "2f", "code": "text"},
              headers={"share": "Share"}, max_rows=1),
        Preformatted("a  b\nc"), Figure(go.Figure(go.Scatter(x=[1], y=[2])), height=333),
    ], page)
    assert "<h4>Sub &lt;heading&gt;</h4>" in out and "<h5>deeper</h5>" in out
    assert '<p class="gen">One. Two &amp; three.</p>' in out
    assert "<th class=\"\">Share</th>" in out and ">12.3%</td>" in out and ">+3</td>" in out and ">1.23</td>" in out
    assert '<td class="txt">7</td>' in out  # "text" columns are left-aligned text
    assert "上海" not in out and "first 1 rows" in out  # max_rows, with the note
    assert '<pre class="summary">a  b\nc</pre>' in out
    assert 'style="height:333px"' in out and page.n_figures == 1
    with pytest.raises(ValueError, match="unknown table format"):
        render_blocks([Table(df, formats={"share": "percent"})], page)
    # a map that embeds the province outlines itself shares the page's one copy
    fig = choropleth_figure(pd.DataFrame({2020: [1.0, 2.0]}, index=["北京", "上海"]))
    render_blocks([Figure(fig)], page)
    assert list(page.geo) == ["geo-provinces"]


@pytest.fixture
def probe_analyses():
    """Two throwaway analyses registered for one test (a tiny Result subclass), removed afterwards."""
    import plotly.graph_objects as go

    from nqpf.analysis.registry import ANALYSES, Options, register_analysis
    from nqpf.core.blocks import Figure, Heading, Table, Text
    from nqpf.core.interface import Result

    class ProbeOptions(Options):
        scale: float = 2.0

    class ProbeResult(Result):
        def __init__(self, frame: pd.DataFrame, scale: float) -> None:
            self.frame, self.scale = frame, scale

        def to_frame(self) -> pd.DataFrame:
            return self.frame

        def _summary_lines(self, lang: str) -> list[str]:
            return [("探针均值 " if lang == "zh" else "probe mean ") + f"{self.frame['v'].mean():.4f}"]

        def report(self, ctx):
            return [Heading("探针小节" if ctx.lang == "zh" else "Probe part"), Text(tuple(self.narrative(ctx.lang))),
                    Figure(go.Figure(go.Bar(x=[1, 2], y=[3, 4]))),
                    Table(self.frame, formats={"v": "3f"}, headers={"v": "V" if ctx.lang == "en" else "值"})]

    def run(ctx, opts):
        _, res = ctx.index()
        last = res.scores[res.scores["year"] == res.years[-1]]
        return ProbeResult(pd.DataFrame({"unit": last["unit"], "v": opts.scale * last["score"]}), opts.scale)

    register_analysis("_probe_disparity", options=ProbeOptions, result=ProbeResult, section="disparity", order=15,
                      label=("探针分析", "Probe analysis"), refs=("dagum1997",),
                      methods=lambda r, o, lang: f"Probe scaled by {o.scale}.")(run)
    register_analysis("_probe_other", options=ProbeOptions, result=ProbeResult, section="other", order=1,
                      label=("其他探针", "Other probe"))(run)
    yield ProbeResult
    for name in ("_probe_disparity", "_probe_other"):
        ANALYSES._entries.pop(name, None)


def test_chapters_and_headings_follow_the_analysis_registry(probe_analyses, tmp_path):
    """A registered analysis appears in its chapter, at its order, under its heading, with its blocks; the report
    knows nothing about it."""
    from nqpf.report.html import render_report
    from nqpf.report.methods_md import methods_markdown, methods_used
    from nqpf.study import StudySpec, run_study

    (tmp_path / "nqpf.yaml").write_text(MINI_NQPF, encoding="utf-8")
    spec = StudySpec(name="probe", data={"dataset": "china-provinces"},
                     index=[{"name": "nqpf", "framework": str(tmp_path / "nqpf.yaml"), "years": [2021, 2023]}],
                     analyses={"kernel_density": {}, "_probe_other": {}, "_probe_disparity": {"scale": 3.0}})
    run = run_study(spec, "probe study")
    assert list(run.records) == ["kernel_density", "_probe_other", "_probe_disparity"]
    for lang in ("en", "zh"):
        rep = render_report(run, lang, strict=True)
        assert rep.sections == ["overview", "index", "disparity", "other"] and rep.notes == []
        disparity, other = _chapter(rep.html, "disparity"), _chapter(rep.html, "other")
        probe = html.escape(run.records["_probe_disparity"].heading(lang))
        kde = html.escape(run.records["kernel_density"].heading(lang))
        assert probe == ("探针分析 · nqpf" if lang == "zh" else "Probe analysis · nqpf")
        assert disparity.index(probe) < disparity.index(kde)  # order 15 before kernel density's 20
        assert disparity.index(probe) < disparity.index("<h4>" + ("探针小节" if lang == "zh" else "Probe part"))
        heading = ">其他分析</h2>" if lang == "zh" else ">Other analyses</h2>"
        assert heading in rep.html and html.escape(run.records["_probe_other"].heading(lang)) in other
        v = run.records["_probe_disparity"].result.frame["v"]
        assert f">{v.iloc[0]:.3f}</td>" in disparity and f"{v.mean():.4f}" in disparity
    md = methods_markdown(run, "en")
    assert "**Probe analysis · nqpf** (`_probe_disparity`; settings: scale = 3.0). Probe scaled by 3.0." in md
    assert "Dagum, C. (1997)" in md and "_probe_disparity" in methods_used(run)


# =============================================================================================
# workbook, figures, write_run
# =============================================================================================
def _cell(v: object) -> object:
    """A cell for comparison: empty, a number (to 12 digits: CSV and Excel spell floats differently) or text."""
    if pd.isna(v):
        return ""
    try:
        return round(float(v), 12)
    except (TypeError, ValueError):
        return str(v)


def test_workbook_has_every_table_with_the_csv_numbers(default_run, default_outdir):
    from openpyxl import load_workbook

    from nqpf.report.excel import read_workbook_table

    xlsx = default_outdir / "results.xlsx"
    book = load_workbook(xlsx, read_only=True, data_only=True)  # opened once for every sheet
    readme = {r[0]: r[1] for r in book["README"].iter_rows(values_only=True)}
    sheets = [s for s in book.sheetnames if s != "README"]
    prov = json.loads((default_outdir / "provenance.json").read_text(encoding="utf-8"))
    csvs = [o for o in prov["outputs"] if o.startswith("tables/")]  # this run's (the folder may hold older ones)
    assert len(sheets) == len(csvs)
    for sheet in sheets:
        table = readme[sheet]
        df_csv = pd.read_csv(default_outdir / "tables" / f"{table}.csv")
        df_x = read_workbook_table(book, sheet)
        assert list(df_x.columns) == list(df_csv.columns), table
        assert len(df_x) == len(df_csv), table
        for c in df_csv.columns:
            a = pd.to_numeric(df_csv[c], errors="coerce")
            if a.notna().sum() and a.notna().sum() == df_csv[c].notna().sum():
                b = pd.to_numeric(df_x[c], errors="coerce").to_numpy(dtype=float)
                np.testing.assert_allclose(b, a.to_numpy(dtype=float), rtol=1e-12, atol=0, equal_nan=True,
                                           err_msg=f"{table}.{c}")
            else:  # text, or text mixed with numbers (brief_sources.value): numbers compared as numbers
                left = [_cell(v) for v in df_csv[c]]
                right = [_cell(v) for v in df_x[c]]
                assert left == right, f"{table}.{c}"
    book.close()
    assert read_workbook_table(xlsx, sheets[0]).shape == read_workbook_table(load_workbook(xlsx, read_only=True),
                                                                             sheets[0]).shape  # path or book
    wb = load_workbook(xlsx)
    ws = wb[next(s for s in sheets if readme[s] == "nqpf_scores")]
    assert ws.freeze_panes == "A3"
    head = [c.value for c in ws[1]]
    assert ws.cell(2, head.index("score") + 1).value == "得分 / Score"  # the study's language (zh) first
    assert ws.cell(3, head.index("score") + 1).number_format == "0.0000"
    assert ws.cell(3, head.index("rank") + 1).number_format == "0"
    assert ws.cell(3, head.index("year") + 1).number_format == "0"
    dag = wb[next(s for s in sheets if readme[s].startswith("dagum_"))]
    dh = [c.value for c in dag[1]]
    assert dag.cell(3, dh.index("share:Gw") + 1).number_format == "0.00%"
    # sheets of an analysis's tables name the analysis as the registry does, in the run's language (zh)
    rows = {r[0].value: [c.value for c in r] for r in wb["README"].iter_rows()}
    dag_rec = next(r for r in default_run.records.values() if r.name == "dagum")
    assert rows[dag.title][2] == dag_rec.heading("zh")


def test_write_run_writes_report_figures_and_records_them(default_run, default_outdir):
    from nqpf.report.figures import draws_static, record_stem

    prov = json.loads((default_outdir / "provenance.json").read_text(encoding="utf-8"))
    assert "report.html" in prov["outputs"] and "results.xlsx" in prov["outputs"] and "methods.md" in prov["outputs"]
    figs = default_outdir / "figures"
    stems = [f"{kind}_{name}" for name in default_run.results for kind in ("map", "trends", "dimensions")]
    drawn = [record_stem(r) for r in default_run.records.values() if draws_static(r.result)]
    assert "kernel_density" in drawn  # the reference conversion draws its surface
    for stem in stems + drawn:
        if (figs / f"{stem}.svg").exists():
            assert (figs / f"{stem}.png").exists() and f"figures/{stem}.png" in prov["outputs"], stem
        else:  # a result that cannot draw for these units says so in the provenance
            assert stem in drawn and any(n.startswith(f"figures: {stem}: ") for n in prov["notes"]), stem
    for stem in stems:
        assert (figs / f"{stem}.svg").exists(), stem
    size = (default_outdir / "report.html").stat().st_size
    assert size < 15 * 1024 * 1024


def test_static_figure_of_a_result_that_cannot_draw_is_a_note(mini_run, tmp_path):
    import dataclasses

    from nqpf.core.errors import MethodError
    from nqpf.report import figures

    class NoMap(type(mini_run.records["kernel_density"].result)):
        def plot(self, ax=None, lang="en"):
            raise MethodError("no map for these units")

    run = copy.copy(mini_run)
    kd = mini_run.records["kernel_density"]
    run.records = {"kernel_density": dataclasses.replace(kd, result=NoMap(**vars(kd.result)))}
    stems = [s for s, _ in figures.figure_specs(run)]
    assert stems[-1] == kd.spec.figure_stem == "kernel_density"
    fs = figures.write_figures(run, tmp_path, only=["kernel_density", "trends_nqpf"])
    assert list(fs.files) == ["trends_nqpf"] and fs.notes == ["kernel_density: no map for these units"]
    assert not (tmp_path / "kernel_density.svg").exists()


def test_summary_txt_is_in_the_run_language(mini_run):
    from nqpf.output import run_summary

    run = copy.copy(mini_run)
    run.records = {"kernel_density": mini_run.records["kernel_density"]}
    zh = run_summary(run, "zh")
    en = run_summary(run, "en")
    kd = run.records["kernel_density"]
    assert f"== {kd.heading('zh')} ==\n{kd.result.summary('zh')}" in zh
    assert f"== {kd.heading('en')} ==\n{kd.result.summary('en')}" in en
    assert "核密度" in zh and "Kernel density" not in zh
    assert "改动的单元格" in zh and "changed cells" in en
    assert "changed cells" not in zh and "summary failed" not in en
    short = run_summary(run, "en", full=False)
    assert kd.heading("en") not in short and short.startswith("== nqpf ==")


def test_static_figures_keep_text_as_text_at_300_dpi(default_outdir):
    from PIL import Image

    from nqpf.report.figures import cjk_font

    svg = (default_outdir / "figures" / "trends_nqpf.svg").read_text(encoding="utf-8")
    assert "<text" in svg  # svg.fonttype = none: real text, not glyph outlines
    assert "年份" in svg  # the study's language is zh
    with Image.open(default_outdir / "figures" / "trends_nqpf.png") as im:
        assert round(im.info["dpi"][0]) == 300
    if cjk_font() is None:
        prov = json.loads((default_outdir / "provenance.json").read_text(encoding="utf-8"))
        assert any("no CJK font" in n for n in prov["notes"])


def test_png_falls_back_to_english_without_a_cjk_font(mini_run, tmp_path, monkeypatch):
    from nqpf.report import figures

    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    fs = figures.write_figures(mini_run, tmp_path, lang="zh", only=["trends_nqpf"])
    assert fs.font is None and any("no CJK font" in n for n in fs.notes)
    assert (tmp_path / "trends_nqpf.png").exists()
    assert "年份" in (tmp_path / "trends_nqpf.svg").read_text(encoding="utf-8")  # SVG text stays Chinese


def test_large_runs_show_distributions_and_a_searchable_table_instead_of_the_heat_map(mini_run, monkeypatch):
    """Above LARGE_UNITS units the index chapter shows the top/bottom units, a searchable table and box plots
    instead of the unit × dimension heat map, and says so; results are told through ReportContext.large. The
    heat map can still keep its HEATMAP_KEEP highest and lowest units (group_heatmap_figure(keep=))."""
    from nqpf.core.units import unit_name
    from nqpf.report import sections
    from nqpf.report.html import report_context
    from nqpf.report.page import Page
    from nqpf.report.sections import index as ix

    assert not report_context(mini_run, "en").large
    monkeypatch.setattr(sections, "LARGE_UNITS", 10)
    monkeypatch.setattr(ix, "HEATMAP_KEEP", 4)
    assert report_context(mini_run, "en").large and report_context(mini_run, "zh").unit_kind == "province"
    run = copy.copy(mini_run)
    run.results = {"nqpf": mini_run.results["nqpf"]}
    out = ix.section_index(run, Page(lang="en"))
    assert "With 31 provinces, the views below are distributions, the 15 highest and lowest" in out
    traces = [tr["type"] for m in re.finditer(r'NQPF\.plot\("[^"]+", (.*?)\);</script>', out)
              for tr in json.loads(m.group(1))["data"]]
    assert 'NQPF.table("nqpf-table-1"' in out and "heatmap" not in traces and "box" in traces
    res = run.results["nqpf"]
    fig, _ = ix.group_heatmap_figure(res, "en", 2023, keep=4)
    s = res.year_scores(2023).sort_values(ascending=False)
    assert list(fig.data[0].y) == [unit_name(u, "en") for u in [*s.index[:4], *s.index[-4:]]]


def test_static_figure_stems_come_from_the_registry(mini_run):
    """An analysis's figure is named by its registry entry; a model's by its study label (two models of one kind
    write two files)."""
    import dataclasses

    from nqpf.report.figures import record_stem

    kd = mini_run.records["kernel_density"]
    assert record_stem(kd) == kd.spec.figure_stem == "kernel_density"
    assert record_stem(dataclasses.replace(kd, label="m1")) == "m1"
    other = dataclasses.replace(kd, spec=dataclasses.replace(kd.spec, figure="kde_surface"), label="m2")
    assert record_stem(other) == "m2_kde_surface"


def test_figures_do_not_depend_on_the_number_of_forked_workers(mini_run, tmp_path):
    """Each figure is drawn by one process: one worker and three write the same files, in the run's order."""
    from nqpf.report import figures

    stems = [s for s, _ in figures.figure_specs(mini_run)][:4]
    one = figures.write_figures(mini_run, tmp_path / "one", only=stems, workers=1)
    three = figures.write_figures(mini_run, tmp_path / "three", only=stems, workers=3)
    assert list(one.files) == list(three.files) == stems
    for stem in stems:
        for a, b in zip(one.files[stem], three.files[stem], strict=True):
            assert a.name == b.name
            if a.suffix == ".svg":
                assert a.read_bytes() == b.read_bytes()
