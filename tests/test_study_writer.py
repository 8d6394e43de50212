"""The study writer: a StudySpec as TOML that load_study reads back to the same spec (issue 16)."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from result_checks import run_doctests

import nqpf.study.writer
from nqpf.core.errors import StudyError
from nqpf.core.framework import load_framework
from nqpf.datasets import load_dataset
from nqpf.frameworks.table import dump_framework, framework_from_tables, framework_tables
from nqpf.study import StudySpec, bundled_studies, dump_study, load_study, write_study
from nqpf.study.runner import measure_index


@pytest.mark.parametrize("name", bundled_studies())
def test_every_bundled_study_round_trips(name, tmp_path):
    spec, _ = load_study(name)
    text = dump_study(spec)
    assert StudySpec.model_validate(tomllib.loads(text)) == spec
    path = write_study(spec, tmp_path / "study.toml")
    assert path.read_text(encoding="utf-8") == text
    assert load_study(path)[0] == spec


def test_the_default_study_as_written():
    text = dump_study(load_study()[0])
    lines = text.splitlines()
    assert lines[0] == "# nqpf 0.1.0 study file; reproduce with: nqpf run study.toml"
    assert lines[2] == 'name = "china-provinces"'
    # the headline index: name and framework only (role = "nqpf" and every method setting are defaults)
    first = text.index("[[index]]")
    assert text[first:].split("\n\n")[0] == '[[index]]\nname = "nqpf"\nframework = "nqpf-province-2023"'
    assert 'role = "nqpf"' not in text and "normalization" not in text and "weighting" not in text
    assert "years = [2016, 2022]" in text  # short arrays on one line
    assert 'exclude_units = ["西藏"]' in text  # Chinese as is, not \u escapes
    assert "\\u" not in text
    assert text.endswith('[output]\nlang = "zh"\nbriefs = true\n')
    # the sections in the study file's order
    pos = [text.index(s) for s in ("[data]", "[[index]]", "[analyses.compare]", "[models.sdm_hqd]", "[output]")]
    assert pos == sorted(pos)


def test_a_study_built_in_the_workbench_round_trips(tmp_path):
    raw = {
        "name": "我的研究", "title": "城市新质生产力 / City NQPF",
        "data": {"path": str(tmp_path / "城市数据.xlsx"), "sheet": 0, "kind": "city", "unit": "城市",
                 "year": "年份", "rename": {"苏州": "苏州市", "襄樊市": "襄阳市"}, "labels": ["省份"],
                 "clean": {"winsorize": [0.01, 0.99]}},
        "index": [{"name": "nqpf", "framework": "my-nqpf.yaml", "years": "2015-2022", "weighting": "critic",
                   "aggregation": "topsis", "missing": ["interpolate", "drop"],
                   "units": [f"城市{k}" for k in range(30)]}],
        "analyses": {"dagum": {"index": "nqpf", "groups": "province"}, "moran": {"weights": "knn"}},
        "weights": {"knn": {"kind": "knn", "k": 6}},
        "groups": {"province": {"column": "省份"}},
        "output": {"lang": "zh", "excel": False, "map_classes": "quantiles", "map_k": 4},
    }
    spec = StudySpec.model_validate(raw)
    text = dump_study(spec)
    assert StudySpec.model_validate(tomllib.loads(text)) == spec
    data = text[text.index("[data]"):].split("\n\n")[0].splitlines()
    assert data[1].startswith("path = ") and data[2] == "sheet = 0"
    assert '"苏州" = "苏州市"' in text  # keys that are not bare are quoted, written as is
    idx = text[text.index("[[index]]"):].split("\n\n")[0].splitlines()
    assert idx[:4] == ['[[index]]', 'name = "nqpf"', 'framework = "my-nqpf.yaml"', 'years = "2015-2022"']
    assert 'weighting = "critic"' in idx and 'aggregation = "topsis"' in idx
    # 30 unit names do not fit in one line: one per line, still valid
    assert 'units = [\n    "城市0",' in text
    assert "winsorize = [0.01, 0.99]" in text
    assert "excel = false" in text and "map_k = 4" in text


def test_an_option_without_value_is_named_and_leaving_it_out_works():
    spec = StudySpec.model_validate({"name": "s", "data": {"dataset": "china-provinces"},
                                     "index": [{"name": "nqpf", "framework": "nqpf-province-2023"}],
                                     "analyses": {"dagum": {"index": "nqpf", "groups": None}}})
    msg = r"\[analyses\.dagum\]: option\(s\) \[.groups.\] have no value.*leave them out"
    with pytest.raises(StudyError, match=msg):
        dump_study(spec)
    nested = spec.model_copy(update={"analyses": {"regression": {"controls": {"size": "log(gdp)", "gov": None}}}})
    with pytest.raises(StudyError, match=r"\[analyses\.regression\]: option\(s\) \['controls\.gov'\]"):
        dump_study(nested)
    fixed = spec.model_copy(update={"analyses": {"dagum": {"index": "nqpf"}}})
    assert StudySpec.model_validate(tomllib.loads(dump_study(fixed))) == fixed


def test_doctests():
    run_doctests(nqpf.study.writer)


def test_a_study_with_a_framework_from_the_tables_measures_as_the_bundled_one(tmp_path):
    """What the workbench writes: the framework edited as tables saved as YAML beside study.toml, which names it;
    unchanged tables measure exactly as the bundled framework."""
    base = load_framework("hqd-province-2022").spec
    spec, _ = framework_from_tables(*framework_tables(base), name="my-hqd", title_zh="我的高质量发展",
                                    title_en="My HQD", base=base)
    (tmp_path / "my-hqd.yaml").write_text(dump_framework(spec), encoding="utf-8")
    study = StudySpec.model_validate({"name": "mine", "data": {"dataset": "china-provinces"},
                                      "index": [{"name": "hqd", "framework": "my-hqd.yaml", "role": "hqd"}]})
    loaded, _ = load_study(write_study(study, tmp_path / "study.toml"))
    panel = load_dataset("china-provinces")
    mine = measure_index(panel, loaded.index[0], base=tmp_path)
    bundled = measure_index(panel, loaded.index[0].model_copy(update={"framework": "hqd-province-2022"}))
    assert mine.framework.name == "my-hqd" and len(mine.scores) == 30 * 7
    pd.testing.assert_frame_equal(mine.scores, bundled.scores, check_exact=True)
