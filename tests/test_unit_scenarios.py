"""The "Why" scenarios of issue 12, redone on freshly written inputs, each asserting the fixed behaviour.

Every input is written here (yearbook-style workbooks, CSVs, weights and grouping files, framework YAMLs and study
files) from the bundled city data or a seeded generator, and read back through the public entry points a user
has: ``nqpf measure`` on the command line, ``load_study`` + ``run_study`` + ``write_run``, and
``read_panel`` / ``measure``. Expected numbers are recomputed from their definitions (Moran's I, the Dagum Gini,
entropy weights) on the bundled values the inputs were written from.

Every branch of issue 12 is merged here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import nqpf
import nqpf.core.units as units_module
from nqpf.analysis.disparity import dagum_gini
from nqpf.cli import app
from nqpf.core.errors import DataError, NqpfError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.datasets.cities import city_table, pilot_groups
from nqpf.frameworks.schema import parse_framework_text
from nqpf.geo.weights import WeightsSpec, build_weights
from nqpf.output import write_run
from nqpf.study.runner import run_study
from nqpf.study.spec import load_study

cli = CliRunner()

INDICATORS = ["coverage_breadth", "payment", "credit", "insurance", "investment"]
YEARS = list(range(2015, 2023))

NAMES = {"coverage_breadth": "覆盖广度", "payment": "支付", "credit": "信贷", "insurance": "保险", "investment": "投资"}
DIMENSIONS = {"reach": ["coverage_breadth"], "services": ["payment", "credit", "insurance", "investment"]}
# the user's own framework: two dimensions over the five sheets (flow style, as a user may well write it)
FRAMEWORK = "\n".join([
    "name: yrd-dfs",
    "title: {zh: 长三角城市数字金融服务, en: Digital financial services of 41 cities}",
    "unit_kind: city",
    "target:",
    "  id: dfs",
    "  name_zh: 数字金融服务",
    "  name_en: Digital financial services",
    "  children:",
    *(f"    - {{id: {d}, name_zh: {d}, name_en: {d}, indicators: ["
      + ", ".join(f"{{id: {i}, name_zh: {NAMES[i]}, name_en: {i}, unit: index}}" for i in inds) + "]}"
      for d, inds in DIMENSIONS.items()),
]) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------------------------


def yrd() -> list[str]:
    """The 41 cities of the Yangtze River Delta (上海, 江苏, 浙江, 安徽), as the bundled city table names them."""
    t = city_table()
    return t[t["province"].isin(["上海", "江苏", "浙江", "安徽"])]["city"].tolist()


def bundled(units: list[str] | None = None, years: list[int] = YEARS) -> pd.DataFrame:
    d = nqpf.load_dataset("china-cities").data[INDICATORS]
    units = yrd() if units is None else units
    keep = d.index.get_level_values("unit").isin(units) & d.index.get_level_values("year").isin(years)
    return d[keep]


def write_book(path: Path, *, spell: dict[tuple[str, str], str] | None = None,
               cells: dict[tuple[str, str, int], str] | None = None, notes: bool = False) -> Path:
    """A yearbook-style workbook: one sheet per indicator, 城市 + 2022年 … 2015年, one row per city.

    ``spell``: (indicator, city) -> the name written in that sheet; ``cells``: (indicator, city, year) -> the text
    written instead of the value ('' for an empty cell, '—' …); ``notes``: a 说明 sheet first.
    """
    spell, cells = spell or {}, cells or {}
    data = bundled()
    cities = yrd()
    cols = sorted(YEARS, reverse=True)
    with pd.ExcelWriter(path) as xl:
        if notes:
            pd.DataFrame([["说明"], ["数据来源：北京大学数字普惠金融指数（城市级）"]]).to_excel(
                xl, sheet_name="说明", header=False, index=False)
        for ind in INDICATORS:
            wide = data[ind].unstack("year")
            rows = [["城市"] + [f"{y}年" for y in cols]]
            for c in cities:
                rows.append([spell.get((ind, c), c)] + [cells.get((ind, c, y), wide.loc[c, y]) for y in cols])
            pd.DataFrame(rows).to_excel(xl, sheet_name=ind, header=False, index=False)
    return path


def write_framework(folder: Path) -> Path:
    p = folder / "yrd.yaml"
    p.write_text(FRAMEWORK, encoding="utf-8")
    return p


def write_long_csv(path: Path, extra: dict[str, dict[str, str]] | None = None) -> Path:
    """The 41 cities 2015-2022 as a long CSV (city, year, indicators …, plus text columns ``extra``)."""
    d = bundled().reset_index().rename(columns={"unit": "city"})
    for col, mapping in (extra or {}).items():
        d[col] = d["city"].map(mapping)
    d.to_csv(path, index=False)
    return path


def write_study(folder: Path, body: str, data: str = 'path = "yrd.csv"\nkind = "city"', name: str = "s") -> Path:
    fw = write_framework(folder).as_posix()  # a framework path is taken from the working folder, not the study's
    p = folder / f"{name}.toml"
    p.write_text(f"""\
name = "{name}"

[data]
{data}

[[index]]
name = "dfs"
framework = "{fw}"
role = "other"
years = "auto"
missing = "error"

{body}
""", encoding="utf-8")
    return p


def run_file(study: Path):
    spec, source = load_study(study)
    return run_study(spec, source, base=study.parent)


def scores(year: int, units: list[str] | None = None) -> pd.Series:
    """The index of the framework above on the bundled values (what every run here must reproduce)."""
    fw = Framework(parse_framework_text(FRAMEWORK, "yrd.yaml"))
    res = nqpf.measure(Panel(bundled(units).copy(), "bundled", kind="city"), fw, years="auto", missing="error")
    return res.year_scores(year)


def moran_i(y: pd.Series, w) -> float:
    W, ids = w.full()
    x = y.reindex([str(i) for i in ids]).to_numpy()
    d = x - x.mean()
    return float(len(x) / W.sum() * (d @ W @ d) / (d @ d))


def gini(y: np.ndarray) -> float:
    return float(np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean()))


# ---------------------------------------------------------------------------------------------------------------
# 1. years="auto" names the year it leaves out and the cell that forced it
# ---------------------------------------------------------------------------------------------------------------


def test_auto_years_name_the_left_out_year_and_its_cell(tmp_path: Path) -> None:
    """41 cities, 2015-2022, one empty 2022 cell: 2022 goes, and the console, provenance.json and the report say
    which year and which cell."""
    book = write_book(tmp_path / "yrd.xlsx", cells={("investment", "池州市", 2022): ""})
    fw = write_framework(tmp_path)
    out = tmp_path / "out"
    r = cli.invoke(app, ["measure", "--data", str(book), "--framework", str(fw), "--kind", "city",
                         "--years", "auto", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert re.search(r"2022.*池州市|池州市.*2022", r.output), r.output
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    text = json.dumps(prov, ensure_ascii=False)
    assert re.search(r"2022[^\"]*池州市", text) and "investment" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "池州市" in html and "2022" in html
    scores_csv = pd.read_csv(next((out / "tables").glob("*scores*.csv")))
    assert sorted(scores_csv["year"].unique()) == YEARS[:-1] and scores_csv["unit"].nunique() == 41


# ---------------------------------------------------------------------------------------------------------------
# 2. one city spelt two ways across sheets: an error with a rename hint, and the hint works
# ---------------------------------------------------------------------------------------------------------------


def test_two_spellings_get_a_rename_hint_that_works(tmp_path: Path) -> None:
    book = write_book(tmp_path / "yrd.xlsx", spell={("credit", "苏州市"): "苏州"})
    fw = write_framework(tmp_path)
    r = cli.invoke(app, ["measure", "--data", str(book), "--framework", str(fw), "--missing", "error",
                         "-o", str(tmp_path / "o1")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    msg = " ".join(r.output.split())
    assert "苏州" in msg and "苏州市" in msg and "rename" in msg
    assert "drop" not in msg  # never an option that deletes a unit
    # the hint, followed on the command line
    a, b = re.search(r"--rename (\S+?)=(\S+?)[\s)]", msg).groups()
    assert {a, b} == {"苏州", "苏州市"}
    r = cli.invoke(app, ["measure", "--data", str(book), "--framework", str(fw), "--missing", "error",
                         "--rename", f"{a}={b}", "-o", str(tmp_path / "o2")])
    assert r.exit_code == 0, r.output
    # and in a study file
    shown = re.search(r"rename = \{ ?(.+?) ?\}", msg).group(1)
    study = write_study(tmp_path, "", data=f'path = "yrd.xlsx"\nrename = {{ {shown} }}')
    run = run_file(study)
    res = run.results["dfs"]
    assert len(res.units) == 41 and "苏州" not in res.units and "苏州市" in res.units
    s = scores(2022)
    assert res.year_scores(2022).reindex(s.index).to_numpy() == pytest.approx(s.to_numpy(), abs=1e-12)
    assert any("苏州" in n and "rename" in n for n in run.results["dfs"].provenance.notes + run.panel.provenance.notes)


def test_two_spellings_are_never_offered_for_exclusion(tmp_path: Path) -> None:
    book = write_book(tmp_path / "yrd.xlsx", spell={("credit", "苏州市"): "苏州"})
    with pytest.raises(DataError) as err:
        nqpf.measure(nqpf.read_panel(book), nqpf.load_framework(write_framework(tmp_path)), years="auto",
                     missing="error")
    msg = str(err.value)
    assert 'rename = { "苏州" = "苏州市" }' in msg
    assert "--exclude-units 苏州" not in msg and not re.search(r'exclude_units = \[[^]]*"苏州', msg)


def test_city_kind_resolves_the_short_spelling(tmp_path: Path) -> None:
    """With kind="city" 苏州 is 苏州市 (names resolve with or without 市), with a provenance note."""
    book = write_book(tmp_path / "yrd.xlsx", spell={("credit", "苏州市"): "苏州"})
    panel = nqpf.read_panel(book, kind="city")
    assert sorted(panel.units) == sorted(yrd())
    assert any("苏州" in n for n in panel.provenance.notes)


# ---------------------------------------------------------------------------------------------------------------
# 3. Moran / LISA / spatial Markov for cities in a study file; weights files; municipalities as cities
# ---------------------------------------------------------------------------------------------------------------


def test_city_spatial_analyses_from_a_study_file(tmp_path: Path) -> None:
    write_long_csv(tmp_path / "yrd.csv")
    study = write_study(tmp_path, """\
[weights.queen]
kind = "contiguity"
islands = "join"

[analyses.moran]
index = "dfs"
weights = "queen"
permutations = 99

[analyses.lisa]
index = "dfs"
weights = "queen"
permutations = 99

[analyses.spatial_markov]
index = "dfs"
weights = "queen"
k = 3
""")
    run = run_file(study)
    y = scores(2022)
    w = build_weights(WeightsSpec(kind="contiguity", islands="join"), list(y.index), kind="city")
    assert {"无锡市", "上海市", "嘉兴市", "湖州市"} <= set(w.neighbors["苏州市"])
    assert "上海市" in w.neighbors["舟山市"]  # across the sea boundary of the outlines
    m = run.analyses["moran"].to_frame().set_index("year")
    assert m.loc[2022, "I"] == pytest.approx(moran_i(y, w), abs=1e-9)
    lisa = run.analyses["lisa"].to_frame()
    assert set(lisa[lisa["year"] == 2022]["unit"]) == set(yrd())
    assert "spatial_markov" in run.analyses
    out = tmp_path / "out"
    write_run(run, out, excel=False, lang="zh")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "苏州市" in html and "全国均值" not in html


def test_weights_file_with_a_misspelt_neighbour_is_an_error_naming_it(tmp_path: Path) -> None:
    write_long_csv(tmp_path / "yrd.csv")
    cities = yrd()
    # an edge list: each city with the next two in the list (a ring), 苏州市 misspelt once as 苏洲市
    edges = [(c, cities[(i + k) % len(cities)]) for i, c in enumerate(cities) for k in (1, 2)]
    bad = pd.DataFrame(edges, columns=["unit", "neighbor"])
    bad.loc[bad.index[bad["neighbor"] == "苏州市"][0], "neighbor"] = "苏洲市"
    bad.to_csv(tmp_path / "w.csv", index=False)
    body = '[weights.mine]\nkind = "file"\nfile = "w.csv"\n\n[analyses.moran]\nindex = "dfs"\nweights = "mine"\n' \
           'permutations = 99\n'
    study = write_study(tmp_path, body)
    with pytest.raises(NqpfError) as err:
        run_file(study)
    msg = str(err.value)
    assert "苏洲市" in msg and "苏州市" in msg and "w.csv" in msg
    # the fix: correct the name; the run works and W holds the corrected edge
    pd.DataFrame(edges, columns=["unit", "neighbor"]).to_csv(tmp_path / "w.csv", index=False)
    run = run_file(study)
    assert "moran" in run.analyses
    # a panel city missing from the file is an error too, naming it
    pd.DataFrame([e for e in edges if "宣城市" not in e], columns=["unit", "neighbor"]).to_csv(
        tmp_path / "w.csv", index=False)
    with pytest.raises(NqpfError, match="宣城市"):
        run_file(study)


def test_municipalities_in_a_city_list_are_cities(tmp_path: Path) -> None:
    """北京市 and 重庆市 in a city panel are the cities, never matched to the provinces."""
    units = ["北京市", "天津市", "重庆市", "上海市", "苏州市", "成都市"]
    d = bundled(units).reset_index().rename(columns={"unit": "city"})
    d.to_csv(tmp_path / "c.csv", index=False)
    panel = nqpf.read_panel(tmp_path / "c.csv", kind="city")
    assert panel.kind == "city" and sorted(panel.units) == sorted(units)
    res = units_module.resolve_units(["北京", "重庆市", "110100", "苏州"], "city", unique=False)
    assert res.ids == ["北京市", "重庆市", "北京市", "苏州市"]


def test_municipalities_get_city_neighbours(tmp_path: Path) -> None:
    units = ["北京市", "天津市", "廊坊市", "保定市", "承德市", "张家口市", "唐山市"]
    w = build_weights(WeightsSpec(kind="contiguity"), units, kind="city")
    assert {"天津市", "廊坊市", "保定市", "承德市", "张家口市"} <= set(w.neighbors["北京市"])


# ---------------------------------------------------------------------------------------------------------------
# 4. groups: a single-member group, groups from a column and a file, bootstrap strata from the study
# ---------------------------------------------------------------------------------------------------------------


def test_dagum_with_shanghai_alone_in_its_province(tmp_path: Path) -> None:
    write_long_csv(tmp_path / "yrd.csv")
    study = write_study(tmp_path, '[groups.province]\nbuiltin = "province"\n\n'
                                  '[analyses.dagum]\nindex = "dfs"\ngroups = "province"\n')
    run = run_file(study)
    dg = run.analyses["dagum"]
    row = dg.to_frame().set_index("year").loc[2022]
    y = scores(2022)
    assert row["G"] == pytest.approx(gini(y.to_numpy()), abs=1e-9)
    assert row["Gw"] + row["Gnb"] + row["Gt"] == pytest.approx(row["G"], abs=1e-9)
    gjj = [c for c in row.index if c.startswith("Gjj:") and "上海" in c]
    assert gjj and row[gjj[0]] == 0.0
    text = dg.summary("en") + dg.summary("zh")
    assert re.search(r"one member.*(上海|Shanghai)", text) and "组内基尼系数为 0" in text


def test_groups_from_a_column_and_from_a_file_agree(tmp_path: Path) -> None:
    prov = dict(zip(city_table()["city"], city_table()["province"], strict=True))
    write_long_csv(tmp_path / "yrd.csv", extra={"prov": prov})
    pd.DataFrame({"unit": yrd(), "group": [prov[c] for c in yrd()]}).to_csv(tmp_path / "g.csv", index=False)
    data = 'path = "yrd.csv"\nkind = "city"\nlabels = ["prov"]'
    col = run_file(write_study(tmp_path, '[groups.p]\ncolumn = "prov"\n\n[analyses.dagum]\nindex = "dfs"\n'
                                         'groups = "p"\n', data=data, name="col"))
    fil = run_file(write_study(tmp_path, '[groups.p]\nfile = "g.csv"\n\n[analyses.dagum]\nindex = "dfs"\n'
                                         'groups = "p"\n', data=data, name="fil"))
    a = col.analyses["dagum"].to_frame().set_index("year")
    b = fil.analyses["dagum"].to_frame().set_index("year")
    pd.testing.assert_frame_equal(a, b)
    y = scores(2022)
    ref = dagum_gini(y.to_numpy(), [prov[u] for u in y.index])
    assert (a.loc[2022, "G"], a.loc[2022, "Gw"], a.loc[2022, "Gnb"]) == pytest.approx((ref.G, ref.Gw, ref.Gnb))
    # a grouping file that misses a city is an error naming it
    pd.DataFrame({"unit": yrd()[:-1], "group": [prov[c] for c in yrd()[:-1]]}).to_csv(tmp_path / "g.csv",
                                                                                       index=False)
    with pytest.raises(NqpfError, match=yrd()[-1]):
        run_file(tmp_path / "fil.toml")


def test_bootstrap_strata_are_the_study_groups(tmp_path: Path) -> None:
    write_long_csv(tmp_path / "yrd.csv")
    pilot_groups("broadband_china_pilot", yrd()).to_csv(tmp_path / "bb.csv", index=False)
    body = ('[groups.bb]\nfile = "bb.csv"\n\n[analyses.uncertainty]\nindex = "dfs"\ndraws = 50\nbootstrap = 30\n'
            'groups = "bb"\nmethods = false\nleave_one_out = false\n')
    run = run_file(write_study(tmp_path, body))
    assert "uncertainty" in run.analyses
    (tmp_path / "s.toml").write_text((tmp_path / "s.toml").read_text(encoding="utf-8").replace(
        'groups = "bb"', 'groups = "nosuch"'), encoding="utf-8")
    with pytest.raises(NqpfError, match="nosuch"):
        run_file(tmp_path / "s.toml")


# ---------------------------------------------------------------------------------------------------------------
# 5. firms: codes keep their leading zeros, auto names the left-out years, per-year weights are exported
# ---------------------------------------------------------------------------------------------------------------

FIRM_RATIOS = [f"r{i:02d}" for i in range(1, 12)]


def write_firms(path: Path, n: int = 300, years: range = range(2015, 2023), gaps: float = 0.005) -> pd.DataFrame:
    rng = np.random.default_rng(12)
    codes = [f"{c:06d}" for c in rng.choice(np.arange(1, 700000), size=n, replace=False)]
    codes[:3] = ["000001", "000002", "600000"]
    idx = pd.MultiIndex.from_product([codes, list(years)], names=["code", "year"])
    d = pd.DataFrame(rng.lognormal(0.0, 0.6, size=(len(idx), len(FIRM_RATIOS))), index=idx, columns=FIRM_RATIOS)
    mask = rng.random(d.shape) < gaps
    d = d.mask(mask)
    d.reset_index().to_csv(path, index=False)
    return d


def test_firms_keep_codes_and_export_per_year_weights(tmp_path: Path) -> None:
    d = write_firms(tmp_path / "firms.csv")
    fw = tmp_path / "firm.yaml"
    fw.write_text("name: firm-test\ntitle: {zh: 企业指数, en: Firm index}\nunit_kind: firm\ntarget:\n"
                  "  id: t\n  name_zh: 目标\n  name_en: Target\n  children:\n"
                  + "".join(f"    - id: d{i}\n      name_zh: 维度{i}\n      name_en: Dim {i}\n      indicators:\n"
                            + "".join(f"        - {{id: {r}, name_zh: {r}, name_en: {r}, unit: ratio}}\n"
                                      for r in FIRM_RATIOS[i::3]) for i in range(3)), encoding="utf-8")
    panel = nqpf.read_panel(tmp_path / "firms.csv", unit="code", kind="firm")
    assert {"000001", "000002", "600000"} <= set(panel.units) and all(len(u) == 6 for u in panel.units)
    out = tmp_path / "out"
    r = cli.invoke(app, ["measure", "--data", str(tmp_path / "firms.csv"), "--unit", "code", "--kind", "firm",
                         "--framework", str(fw), "--weighting", "entropy", "--years", "auto", "-o", str(out)])
    assert r.exit_code == 0, r.output
    # interpolation fills interior gaps; a gap in the first or last year cannot be filled, so auto leaves the
    # year out — and names it with its cells
    edge = {y for (u, y), row in d.iterrows() if row.isna().any() and y in (2015, 2022)}
    prov = json.dumps(json.loads((out / "provenance.json").read_text(encoding="utf-8")), ensure_ascii=False)
    for y in edge:
        assert re.search(rf"left out {y}", prov), f"{y} is not named"
    wby = list((out / "tables").glob("*weights_by_year*.csv"))
    assert wby, sorted(p.name for p in (out / "tables").iterdir())
    table = pd.read_csv(wby[0])
    kept = [str(y) for y in range(2015, 2023) if y not in edge]
    assert set(kept) <= set(table.columns)
    num = table[kept].apply(pd.to_numeric, errors="coerce").dropna()
    assert np.allclose(num.sum(axis=0), 1.0, atol=1e-9)
    scores_csv = pd.read_csv(next((out / "tables").glob("*scores*.csv")), dtype={"unit": str})
    assert "000001" in set(scores_csv["unit"])
    sheets = pd.ExcelFile(out / "results.xlsx", engine="openpyxl").sheet_names
    assert any("by_year" in n for n in sheets), sheets


# ---------------------------------------------------------------------------------------------------------------
# 6. reading: empty and header-only files, blank and notes sheets, markers, --sheet
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "words"), [("", "empty"), ("city,year,gdp\n", "header")])
def test_empty_and_header_only_csv_are_named_errors(tmp_path: Path, content: str, words: str) -> None:
    p = tmp_path / "d.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=words) as err:
        nqpf.read_panel(p)
    assert "d.csv" in str(err.value)
    r = cli.invoke(app, ["measure", "--data", str(p), "--framework", str(write_framework(tmp_path))])
    assert r.exit_code == 2 and "Traceback" not in r.output and "d.csv" in r.output


def test_blank_first_sheet_and_notes_sheet_are_skipped_with_a_note(tmp_path: Path) -> None:
    src = write_book(tmp_path / "src.xlsx", notes=True)
    book = tmp_path / "book.xlsx"
    sheets = pd.read_excel(src, sheet_name=None, header=None, engine="openpyxl")
    with pd.ExcelWriter(book) as xl:
        pd.DataFrame().to_excel(xl, sheet_name="空白", header=False, index=False)
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, header=False, index=False)
    panel = nqpf.read_panel(book)
    assert sorted(panel.indicators) == sorted(INDICATORS) and len(panel.units) == 41
    notes = " ".join(panel.provenance.notes)
    assert "空白" in notes and "说明" in notes
    # a workbook with nothing but a blank sheet is a named error
    only = tmp_path / "only.xlsx"
    pd.DataFrame().to_excel(only, sheet_name="Sheet1", header=False, index=False)
    with pytest.raises(DataError, match=r"only\.xlsx"):
        nqpf.read_panel(only)


def test_missing_markers_are_counted(tmp_path: Path) -> None:
    book = write_book(tmp_path / "m.xlsx", cells={("payment", "池州市", 2022): "—", ("payment", "宣城市", 2022): "-",
                                                  ("credit", "黄山市", 2021): "N/A"})
    panel = nqpf.read_panel(book)
    assert panel.data["payment"].isna().sum() == 2 and panel.data["credit"].isna().sum() == 1
    notes = " ".join(panel.provenance.notes)
    for marker in ("'—'", "'-'", "'N/A'"):
        assert marker in notes, notes


def test_sheet_option_on_the_command_line(tmp_path: Path) -> None:
    long = bundled().reset_index().rename(columns={"unit": "city"})
    book = tmp_path / "long.xlsx"
    with pd.ExcelWriter(book) as xl:
        pd.DataFrame([["说明：长表"]]).to_excel(xl, sheet_name="说明", header=False, index=False)
        long.to_excel(xl, sheet_name="data", index=False)
        long.head(5).to_excel(xl, sheet_name="draft", index=False)
    fw = write_framework(tmp_path)
    r = cli.invoke(app, ["measure", "--data", str(book), "--sheet", "data", "--framework", str(fw),
                         "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    scores_csv = pd.read_csv(next((tmp_path / "out" / "tables").glob("*scores*.csv")))
    assert scores_csv["unit"].nunique() == 41
    r = cli.invoke(app, ["measure", "--data", str(book), "--sheet", "dta", "--framework", str(fw)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "data" in r.output and "draft" in r.output  # the sheets there are, with the near match
