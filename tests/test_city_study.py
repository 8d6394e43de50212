"""The bundled city data beyond the index (census, pilot groups), the dfi-city framework and the china-cities study.

Reference values: the official 7th-census resident populations (苏州市 12,748,262; 深圳市 17,560,061; 合肥市
9,369,881, as the local census bulletins publish them and shared/data/cities/README.md checks); the coverage of the
PKU-DFIIC city index (329 cities complete 2011-2023) recomputed from the bundled CSV.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_tutorials import TUTORIALS, grab, run_script
from typer.testing import CliRunner

import nqpf
import nqpf.datasets.cities
import nqpf.study
from nqpf.analysis.disparity import dagum_gini
from nqpf.cli import app
from nqpf.core.errors import DataError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.datasets import data_path
from nqpf.datasets.cities import CENSUS_YEARS, census_population, city_table, pilot_groups, pilot_years
from nqpf.frameworks.schema import parse_framework_text
from nqpf.geo.weights import WeightsSpec, build_weights
from nqpf.output import write_run
from nqpf.study.runner import run_study
from nqpf.study.spec import bundled_studies, load_study

SHARED = Path("/work/shared/data/cities")
SUBINDICES = ["coverage_breadth", "usage_depth", "digitization_level"]
EXCLUDED = {"儋州市", "莱芜市", "那曲市", "吐鲁番市", "昌都市", "林芝市", "三沙市", "日喀则市", "海东市"}


def raw_panel() -> pd.DataFrame:
    return pd.read_csv(data_path("china_cities_panel.csv"), dtype={"city_code": str})


def test_docstring_examples_of_the_city_module_run() -> None:
    res = doctest.testmod(nqpf.datasets.cities, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 5 and res.failed == 0


# -- census -------------------------------------------------------------------------------------------------------


def test_census_official_figures_and_only_census_years() -> None:
    c = census_population().set_index(["city", "year"])
    assert c.loc[("苏州市", 2020), "population"] == 12_748_262
    assert c.loc[("深圳市", 2020), "population"] == 17_560_061
    assert c.loc[("合肥市", 2020), "population"] == 9_369_881
    every = census_population(level=None)
    assert sorted(every["year"].unique()) == list(CENSUS_YEARS) == [2010, 2020]
    assert every["level"].value_counts().to_dict() == {"prefecture": 674, "county_under_province": 60, "sar": 4}
    assert every["city_code"].str.len().eq(6).all()
    # urban + rural = total wherever the split is published (a check that columns were not shifted): exactly in
    # 2020; in 2010 within 0.05 % but for the four units CITIES.md names (the source's 2010 total is on 2020
    # boundaries, its split is not)
    both = every.dropna(subset=["population", "population_urban", "population_rural"])
    gap = (both["population_urban"] + both["population_rural"]) / both["population"] - 1
    assert gap[both["year"] == 2020].abs().max() < 1e-6
    off = both.loc[gap.abs() > 5e-4, ["city", "year"]]
    assert sorted(off["city"]) == ["东莞市", "中山市", "汕尾市", "资阳市"] and set(off["year"]) == {2010}


def test_census_prefectures_are_the_panel_cities() -> None:
    """Every prefecture-level census unit has the name of a city of the index panel; only 莱芜市 (merged into 济南市
    in 2019, and the census is on 2020 boundaries) is in the panel without a census row."""
    pref = set(census_population()["city"])
    panel = set(city_table()["city"])
    assert len(pref) == 337
    assert pref <= panel and panel - pref == {"莱芜市"}


def test_census_unknown_level_is_a_named_error() -> None:
    with pytest.raises(DataError, match=r"unknown level 'city'.*prefecture"):
        census_population(level="city")


@pytest.mark.skipif(not SHARED.exists(), reason="shared data not present")
def test_census_values_are_the_source_values() -> None:
    src = pd.read_csv(SHARED / "leiii_census_city_2010_2020_nogeom.csv", dtype={"city_code": str})
    c = census_population(level=None).set_index(["city_code", "year"])
    for year in (2010, 2020):
        for out_col, stem in (("population", "popu"), ("sex_ratio", "male_female"), ("age_65_plus", "age_65")):
            got = c.xs(year, level="year")[out_col].reindex(src["city_code"]).to_numpy(dtype=float)
            np.testing.assert_array_equal(got, src[f"{stem}_{year}"].to_numpy(dtype=float))


# -- pilot lists as a grouping ------------------------------------------------------------------------------------


def test_pilot_groups_follow_the_first_batch() -> None:
    units = list(city_table()["city"])
    g = pilot_groups("broadband_china_pilot", units).set_index("unit")["group"]
    years, missing = pilot_years("broadband_china_pilot", units=units)
    assert missing == ["阿拉尔市"]
    assert g.value_counts().to_dict() == {"未入选": 338 - 113, "2014年批次": 39, "2015年批次": 38, "2016年批次": 36}
    assert (g["苏州市"], g["商丘市"], g["杭州市"], g["丽水市"]) == ("2014年批次", "2015年批次", "2016年批次", "未入选")
    assert all(g[u] == f"{y}年批次" for u, y in years.items())


# -- the framework --------------------------------------------------------------------------------------------------


def test_dfi_city_sample_is_the_complete_cities() -> None:
    fw = nqpf.load_framework("dfi-city")
    assert fw.spec.unit_kind == "city" and fw.spec.dataset == "china-cities"
    assert [i.expression for i in fw.indicators] == SUBINDICES
    assert "not a measure of new quality productive forces" in fw.spec.description
    assert any("1401-1418" in r for r in fw.spec.references)  # Guo et al. (2020)
    d = raw_panel().set_index(["city", "year"])[SUBINDICES]
    full = d.notna().all(axis=1).groupby(level=0).agg(["all", "size"])
    complete = set(full.index[full["all"] & (full["size"] == 13)])
    assert len(complete) == 329
    assert set(fw.spec.sample.exclude_units) == EXCLUDED == set(full.index) - complete
    assert tuple(fw.spec.sample.years) == (2011, 2023) == (d.index.get_level_values(1).min(),
                                                          d.index.get_level_values(1).max())


def test_years_auto_needs_the_exclusions() -> None:
    """Over all 338 cities no year is complete (儋州市 has no row before 2021): the error names it."""
    p = nqpf.load_dataset("china-cities")
    fw = nqpf.load_framework("dfi-city")
    with pytest.raises(DataError, match="儋州市"):
        nqpf.measure(p, fw, years="auto", units=list(p.units), missing="error")
    res = nqpf.measure(p, fw, years="auto", units=[u for u in p.units if u not in EXCLUDED], missing="error")
    assert res.years == list(range(2011, 2024)) and len(res.units) == 329
    # entropy weights from their definition on the pooled min-max matrix
    Z = res.normalized.to_numpy()
    P = Z / Z.sum(axis=0)
    e = -(P * np.log(P)).sum(axis=0) / np.log(len(Z))
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), (1 - e) / (1 - e).sum(), rtol=1e-9)


# -- the study ------------------------------------------------------------------------------------------------------


def test_study_file_is_bundled_and_says_what_it_measures() -> None:
    assert "china-cities" in bundled_studies()
    spec, source = load_study("china-cities")
    assert source == "bundled study china-cities"
    assert "非新质生产力" in spec.title and "not NQPF" in spec.title
    assert "not a measure of new quality productive forces" in spec.description
    (ix,) = spec.index
    assert ix.years == "auto" and ix.missing == "error" and set(ix.exclude_units) == EXCLUDED
    assert spec.weights["queen"].kind == "contiguity" and spec.groups["province"].builtin == "province"
    assert {"dagum", "kernel_density", "markov", "spatial_markov", "moran", "lisa", "convergence"} <= \
        set(spec.analyses)
    # the default study is still the province study
    assert load_study()[0].name == "china-provinces"


@pytest.fixture(scope="module")
def city_run(tmp_path_factory: pytest.TempPathFactory):
    spec, source = load_study("china-cities")
    run = run_study(spec, source, base=Path("china-cities").parent)  # the base `nqpf run china-cities` gives
    out = tmp_path_factory.mktemp("china-cities")
    write_run(run, out, excel=False, lang="zh")
    return run, out


def test_china_cities_study_runs_end_to_end(city_run) -> None:
    run, out = city_run
    assert set(run.analyses) >= {"dagum", "kernel_density", "markov", "spatial_markov", "moran", "lisa",
                                 "convergence"}
    res = run.results["dfi"]
    assert len(res.units) == 329 and res.years == list(range(2011, 2024))
    # Dagum by province: the municipalities are single-member groups, and the output says so
    dagum = run.analyses["dagum"]
    single = re.search(r"one member \(([^)]*)\)", dagum.summary("en"))
    assert single and set(single.group(1).split(", ")) == {"Beijing", "Tianjin", "Shanghai", "Chongqing"}
    assert "组内基尼系数为 0" in dagum.summary("zh")
    # Moran's I of the last year from its definition on the same W
    moran = run.analyses["moran"].to_frame().set_index("year")
    y = res.year_scores(2023)
    w = build_weights(load_study("china-cities")[0].weights["queen"], list(y.index), kind="city")
    W, ids = w.full()
    x = y.reindex([str(i) for i in ids]).to_numpy()
    d = x - x.mean()
    assert moran.loc[2023, "I"] == pytest.approx(len(x) / W.sum() * (d @ W @ d) / (d @ d), abs=1e-9)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "各市" in html and "全国均值" not in html
    # the map of every city: a static figure and the interactive one (outlines carried in the page)
    assert list((out / "figures").glob("map_dfi*.svg")) and list((out / "figures").glob("map_dfi*.png"))
    assert "Choropleth" in html or "choropleth" in html
    # the broadband-pilot DID from the study file: the same estimate as the Python call of docs/methods/did.md
    did = run.analyses["broadband_did"]
    assert (did.n_treated, did.n_never) == (113, 225) and did.att == pytest.approx(2.4168, abs=5e-4)
    assert "broadband_did" in {p.name.split("_table")[0] for p in (out / "tables").glob("broadband_did*.csv")}


# -- tutorial 4 ---------------------------------------------------------------------------------------------------


@pytest.mark.background("tutorial 04_own_cities.py")
def test_tutorial_4_own_cities() -> None:
    out = run_script("04_own_cities.py")
    yrd = city_table().query("province in ['上海', '江苏', '浙江', '安徽']")["city"].tolist()
    assert len(yrd) == 41
    assert grab(out, r"^wrote 长三角城市数据\.xlsx: .*; (\d+) cities, (\d+)–(\d+)$") == ("41", "2015", "2022")
    assert grab(out, r"^read as it is: (\d+) units; 苏州 and 苏州市 both there: (\w+)$") == ("42", "True")
    assert re.search(r"^note: .*说明", out, flags=re.M), "the skipped notes sheet is not noted"
    assert re.search(r"^note: .*—", out, flags=re.M), "the '—' marker is not counted"
    err = grab(out, r"^error: (.*)$")[0]
    assert "苏州" in err and "rename" in err and "drop" not in err
    counts = pilot_groups("broadband_china_pilot", yrd)["group"].value_counts().sort_index()
    assert grab(out, r"^groups file broadband\.csv: (.*)$")[0] == ", ".join(f"{g} {n}" for g, n in counts.items())
    assert grab(out, r"^measured: (\d+) cities, years (\d+)–(\d+) \(auto\)$") == ("41", "2015", "2021")
    assert re.search(r"^note: .*2022.*池州市", out, flags=re.M), "auto's left-out year is not named with its cell"
    # the index, recomputed on the bundled data the workbook was written from
    script = (TUTORIALS / "04_own_cities.py").read_text(encoding="utf-8")
    yaml_text = re.search(r'write_text\("""\\\n(.*?)"""', script, flags=re.S).group(1)
    fw = Framework(parse_framework_text(yaml_text, "my_city_framework.yaml"))
    cols = ["coverage_breadth", "payment", "credit", "insurance", "investment"]
    data = nqpf.load_dataset("china-cities").data[cols]
    keep = data.index.get_level_values("unit").isin(yrd) & data.index.get_level_values("year").isin(range(2015, 2022))
    res = nqpf.measure(Panel(data[keep].copy(), "bundled", kind="city"), fw, missing="error")
    for ind, w in res.indicator_weights.items():
        assert float(grab(out, rf"^weight: {ind} = ([\d.]+)$")[0]) == pytest.approx(w, abs=5e-5)
    s = res.year_scores(2021).sort_values(ascending=False)
    for rank, (u, v) in enumerate(s.head(3).items(), start=1):
        unit, score = grab(out, rf"^rank {rank} in 2021: (\S+) = ([\d.]+)$")
        assert unit == u and float(score) == pytest.approx(v, abs=5e-5)
    # Moran's I of 2021 from its definition, on queen contiguity of the bundled outlines (islands joined)
    w = build_weights(WeightsSpec(kind="contiguity", islands="join"), list(s.index), kind="city")
    W, ids = w.full()
    x = s.reindex([str(i) for i in ids]).to_numpy()
    d = x - x.mean()
    I = len(x) / W.sum() * (d @ W @ d) / (d @ d)
    assert float(grab(out, r"^Moran's I 2021 \(queen\): I = ([-\d.]+), p = [\d.]+$")[0]) == pytest.approx(I, abs=5e-5)
    # Dagum Gini of 2021: the overall G from pairwise differences; the components add up; 上海市 alone is said
    y = s.to_numpy()
    G = np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())
    g, gw, gnb, gt = (float(v) for v in grab(
        out, r"^Dagum Gini 2021 by province: G = ([\d.]+), Gw = ([\d.]+), Gnb = ([\d.]+), Gt = ([\d.]+)$"))
    assert g == pytest.approx(G, abs=5e-5) and gw + gnb + gt == pytest.approx(G, abs=2e-4)
    assert re.search(r"one member.*(上海|Shanghai)", out)
    batches = pilot_groups("broadband_china_pilot", yrd).set_index("unit")["group"]
    bb = dagum_gini(s.to_numpy(), batches.reindex(s.index).to_numpy())
    assert float(grab(out, r"^Dagum Gini 2021 by broadband batch: G = ([\d.]+), ")[0]) == pytest.approx(bb.G, abs=5e-5)
    assert bb.G == pytest.approx(G, abs=1e-12)
    wrote = grab(out, r"^wrote (.*report\.html.*)$")[0]
    assert "provenance.json" in wrote and "methods.md" in wrote


def test_nqpf_run_china_cities_on_the_command_line(city_run, tmp_path: Path, monkeypatch) -> None:
    """`nqpf run china-cities` runs the bundled city study and writes the report (the default stays provinces).

    The study is run once for this module (``city_run``, checked above): the command's call of ``run_study``
    gets that run once it is seen to ask for the same study (the spec it loaded, its source and base folder);
    the command then writes its own outputs in English, workbook included."""
    run, _ = city_run
    asked = []

    def same_study(spec, source, base=None, progress=None):
        asked.append((spec, source, base))
        return run

    monkeypatch.setattr(nqpf.study, "run_study", same_study)
    out = tmp_path / "cc"
    r = CliRunner().invoke(app, ["run", "china-cities", "-o", str(out), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert asked == [(run.spec, run.source, Path("china-cities").parent)]
    assert "329" in r.output and "2011–2023" in r.output
    assert (out / "report.html").exists() and (out / "provenance.json").exists()
    prov = (out / "provenance.json").read_text(encoding="utf-8")
    assert "儋州市" in prov  # the study's exclusions are recorded
