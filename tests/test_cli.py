"""The command line: datasets, frameworks, measure on a user's own files."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from nqpf.cli import app

runner = CliRunner()

FW = """\
name: mine
title: {zh: 我的指数, en: My index}
target:
  id: t
  name_zh: 目标
  name_en: Target
  children:
    - id: d
      name_zh: 创新
      name_en: Innovation
      indicators:
        - {id: rd, name_zh: 研发强度, name_en: R&D intensity, unit: '%', definition: rd_intensity}
        - {id: pat, name_zh: 人均专利, name_en: Patents per person, unit: items, definition: patents / pop}
"""


def test_datasets_list_and_show():
    out = runner.invoke(app, ["datasets"])
    assert out.exit_code == 0, out.output
    assert "china-provinces" in out.output and "wdi-countries" in out.output
    out = runner.invoke(app, ["datasets", "show", "china-provinces"])
    assert out.exit_code == 0, out.output
    assert "rd_intensity" in out.output
    out = runner.invoke(app, ["datasets", "show", "nope"])
    assert out.exit_code == 2 and "no bundled dataset 'nope'" in out.output


def test_help_lists_commands():
    out = runner.invoke(app, ["--help"])
    assert out.exit_code == 0
    for cmd in ("run", "measure", "datasets", "frameworks"):
        assert cmd in out.output


def test_measure_own_data(tmp_path):
    rows = []
    for i, prov in enumerate(["北京市", "Shanghai", "广东省", "Gansu"]):
        for y in (2020, 2021):
            rows.append({"province": prov, "year": y, "rd_intensity": 1 + i + (y - 2020) * 0.1,
                         "patents": 100 * (i + 1) + y - 2020, "pop": 1000 + 10 * i})
    data = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    fw = tmp_path / "mine.yaml"
    fw.write_text(FW, encoding="utf-8")
    out_dir = tmp_path / "out"
    res = runner.invoke(app, ["measure", "--data", str(data), "--framework", str(fw), "--kind", "province",
                              "-o", str(out_dir)])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out_dir / "tables" / "index_scores.csv")
    assert set(scores["unit"]) == {"北京", "上海", "广东", "甘肃"}
    prov = json.loads((out_dir / "provenance.json").read_text(encoding="utf-8"))
    assert prov["inputs"][0]["sha256"]
    assert prov["versions"]["numpy"]


def test_measure_bad_framework_is_a_clear_error(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("province,year,x\n北京,2020,1\n", encoding="utf-8")
    fw = tmp_path / "bad.yaml"
    fw.write_text(FW.replace("unit: '%', ", ""), encoding="utf-8")
    res = runner.invoke(app, ["measure", "--data", str(data), "--framework", str(fw)])
    assert res.exit_code == 2
    assert "bad.yaml, line 12" in res.output and "unit" in res.output


def test_error_messages_keep_square_brackets(tmp_path):
    """Messages naming [analyses.x] or [sheet s] must not be eaten as rich markup."""
    st = tmp_path / "s.toml"
    st.write_text('name = "x"\n[data]\ndataset = "china-provinces"\n[[index]]\nname = "a"\n'
                  'framework = "nqpf-province-core"\n[analyses.nope]\n', encoding="utf-8")
    res = runner.invoke(app, ["run", str(st), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "[analyses.nope]" in res.output


def test_measure_bad_years_option_is_a_clear_error(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("province,year,x\n北京,2020,1\n", encoding="utf-8")
    fw = tmp_path / "mine.yaml"
    fw.write_text(FW, encoding="utf-8")
    for bad in ("2015-20x", "soon"):
        res = runner.invoke(app, ["measure", "--data", str(data), "--framework", str(fw), "--years", bad])
        assert res.exit_code == 2, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
        assert "years" in res.output and bad in res.output


def test_run_with_unknown_analysis_option_is_a_clear_error(tmp_path):
    st = tmp_path / "s.toml"
    st.write_text('name = "x"\n[data]\ndataset = "china-provinces"\n[[index]]\nname = "a"\n'
                  'framework = "nqpf-province-core"\n[analyses.obstacle]\nbogus = 1\n', encoding="utf-8")
    res = runner.invoke(app, ["run", str(st), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "[analyses.obstacle]" in res.output and "bogus" in res.output


def test_measure_unwritable_outdir_is_a_clear_error(tmp_path):
    rows = [{"province": p, "year": y, "rd_intensity": 1 + i + (y - 2020) * 0.1, "patents": 100 * (i + 1) + y,
             "pop": 1000 + 10 * i} for i, p in enumerate(["北京", "上海", "广东"]) for y in (2020, 2021)]
    data = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    fw = tmp_path / "mine.yaml"
    fw.write_text(FW, encoding="utf-8")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    res = runner.invoke(app, ["measure", "--data", str(data), "--framework", str(fw), "-o", str(blocker / "out")])
    assert res.exit_code == 2, res.output
    assert "cannot write" in res.output and "file.txt" in res.output


def test_cite_prints_bibtex_or_text_for_a_run_folder(tmp_path):
    """`nqpf cite <run folder>` reads its provenance.json: the methods and analyses of that run, by registry key."""
    prov = {"settings": {"study": {"index": [{"name": "a"}]},
                         "a": {"normalization": "minmax", "weighting": "critic", "aggregation": "topsis"},
                         "analysis.dagum": {"index": "a"}}}
    (tmp_path / "provenance.json").write_text(json.dumps(prov), encoding="utf-8")
    res = runner.invoke(app, ["cite", str(tmp_path)])
    assert res.exit_code == 0, res.output
    keys = [line.split("{")[1].rstrip(",") for line in res.output.splitlines() if line.startswith("@")]
    assert keys[0] == "nqpf" and {"hwang1981", "diakoulaki1995", "dagum1997"} <= set(keys)
    assert "shannon1948" not in keys
    assert "%   CRITIC weighting: diakoulaki1995" in res.output
    res = runner.invoke(app, ["cite", str(tmp_path), "--format", "text", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    for text in ("引用 nqpf：", "CRITIC 赋权法", "区域差异：Dagum 基尼系数及其分解"):
        assert text in res.output, text
    res = runner.invoke(app, ["cite", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such study file, output folder or provenance.json" in res.output
