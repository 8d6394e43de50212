"""The outputs of a run on a user's own units: wording by kind, the obstacle headline without lever tags, and
an output folder re-used without stale tables (and without touching the user's files)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from reading_data import runner, write_framework

from nqpf.cli import app
from nqpf.core.errors import NqpfError
from nqpf.output import province_diagnosis, remove_previous_outputs, run_summary, write_run
from nqpf.study import StudySpec, run_study
from nqpf.study.spec import DataSpec, IndexSpec

CITIES = ["南京市", "苏州市", "无锡市", "常州市", "杭州市"]


@pytest.fixture(scope="module")
def city_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cities")
    rng = np.random.default_rng(5)
    rows = [{"城市": c, "年份": y, "x": float(rng.uniform(1, 9)), "y": float(rng.uniform(1, 9))}
            for c in CITIES for y in (2020, 2021, 2022)]
    data = tmp / "c.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    fw = write_framework(tmp, "mine", {"d1": ("创新", "Innovation", ["x"]), "d2": ("绿色", "Green", ["y"])})
    spec = StudySpec(name="c", data=DataSpec(path=str(data), kind="city"),
                     index=[IndexSpec(name="nq", framework=str(fw), years="all")],
                     analyses={"obstacle": {}})
    return run_study(spec, str(data))


def test_obstacle_headline_falls_back_to_dimensions_and_says_so(city_run):
    ob = city_run.analyses["obstacle"]
    assert ob.lever_fallback and ob.main_kind == "dimension"
    table = province_diagnosis(city_run, "en")
    assert table is not None and table.attrs["kind"] == "dimension"
    col = "main obstacle dimension"
    assert set(table[col]) <= {"Innovation", "Green"} and table[col].notna().all()
    assert table.columns[0] == "city"
    en = run_summary(city_run, "en")
    assert "== Main obstacle dimension of each city, 2022 ==" in en  # (no coupling analysis in this run)
    assert "tags no indicator with a policy lever" in en
    zh = run_summary(city_run, "zh")
    assert "== 各市主要障碍维度, 2022 ==" in zh
    assert "政策抓手" in ob.summary("zh") and "first-level dimension" in ob.summary("en")
    assert "tags no indicator with a policy lever" in ob.narrative("en")[0]


@pytest.fixture(scope="module")
def en_out(city_run, tmp_path_factory):
    """``write_run(city_run, <folder>)`` with the defaults (English, workbook): written once, read by two tests."""
    return write_run(city_run, tmp_path_factory.mktemp("en") / "e")


def test_workbook_and_methods_speak_of_cities(city_run, en_out, tmp_path):
    out = write_run(city_run, tmp_path / "o", lang="zh")
    wb = load_workbook(out / "results.xlsx", read_only=True)
    try:
        heads = next(wb["nq_scores"].iter_rows(min_row=2, max_row=2, values_only=True))
        ind = next(wb["nq_indicators"].iter_rows(min_row=2, max_row=2, values_only=True))
    finally:
        wb.close()
    assert heads[0] == "城市 / City"
    assert "计量单位 / Unit of measure" in ind  # the indicator table's unit column is still the unit of measure
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "面板包含 5 个城市" in methods and "；5 个城市" in methods
    assert "The panel holds 5 cities and" in (en_out / "methods.md").read_text(encoding="utf-8")  # lang="en"


def test_rewriting_a_folder_removes_stale_outputs_and_keeps_user_files(city_run, en_out, tmp_path):
    out = tmp_path / "o"
    shutil.copytree(en_out, out)  # the folder write_run(city_run, out) writes
    # an earlier run wrote a table this run does not write; the user put a file beside the outputs
    stale = out / "tables" / "dagum_nq.csv"
    stale.write_text("old\n", encoding="utf-8")
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    prov["outputs"].append("tables/dagum_nq.csv")
    prov["outputs"].append("../outside.txt")  # never followed outside the folder
    (out / "provenance.json").write_text(json.dumps(prov), encoding="utf-8")
    (tmp_path / "outside.txt").write_text("mine", encoding="utf-8")
    (out / "my_notes.txt").write_text("mine", encoding="utf-8")
    write_run(city_run, out)
    assert not stale.exists()
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "outside.txt").exists()
    assert (out / "tables" / "nq_scores.csv").exists()


def test_a_folder_of_user_files_is_refused(city_run, tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("mine", encoding="utf-8")
    with pytest.raises(NqpfError, match=r"thesis already holds files that nqpf did not write \(no provenance.json\)"):
        write_run(city_run, out)
    assert (out / "chapter1.docx").exists() and remove_previous_outputs(tmp_path / "new") == []


def test_cli_lists_datasets_by_kind():
    res = runner.invoke(app, ["datasets"])
    assert res.exit_code == 0, res.output
    assert "provinces" in res.output and "countries" in res.output  # (the table wraps the counts)
    res = runner.invoke(app, ["datasets", "show", "wdi-countries", "--csv"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].split(",")[4] == "countries"
