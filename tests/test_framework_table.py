"""The framework as two tables (issue 16): framework_tables, framework_from_tables, framework_from_panel and
dump_framework; every bundled framework round-trips, and every problem is named with its row and a hint that,
followed, fixes the row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from result_checks import run_doctests
from synthetic import SYNTH
from test_measure import hand_calculation
from test_measure import panel as hand_panel

import nqpf.frameworks.table
from nqpf.core.errors import FrameworkError
from nqpf.core.framework import BUNDLED_FRAMEWORKS, Framework, load_framework
from nqpf.core.panel import Panel
from nqpf.datasets import load_dataset
from nqpf.frameworks.schema import parse_framework_text
from nqpf.frameworks.table import (
    DIMENSION_COLUMNS,
    INDICATOR_COLUMNS,
    FrameworkTableError,
    RowIssue,
    _TableReader,
    dump_framework,
    framework_from_panel,
    framework_from_tables,
    framework_tables,
)
from nqpf.measure import measure

ALL_FRAMEWORKS = (*BUNDLED_FRAMEWORKS, "nqpf-firm", "dfi-city")
CARRIED = ["name_zh", "name_en", "unit", "direction", "best_low", "best_high", "definition", "parent", "dimension",
           "path", "factor", "new", "lever"]


def build(ind: pd.DataFrame, dim: pd.DataFrame, **kw):
    return framework_from_tables(ind, dim, name=kw.pop("name", "mine"), title_zh="我的体系", title_en="Mine", **kw)


# -- the tables of the bundled frameworks ----------------------------------------------------------------------


def test_tables_of_nqpf_province_2023():
    ind, dim = framework_tables(load_framework("nqpf-province-2023").spec)
    assert tuple(ind.columns) == INDICATOR_COLUMNS and tuple(dim.columns) == DIMENSION_COLUMNS
    assert len(ind) == 21
    assert list(dim["id"]) == ["laborers", "knowledge_workers", "innovation_workers", "means_of_labor",
                               "digital_means", "rd_capital", "objects_of_labor", "data_elements",
                               "technology_objects", "new_industries_energy"]
    assert list(dim["parent"]) == ["", "laborers", "laborers", "", "means_of_labor", "means_of_labor", "",
                                   "objects_of_labor", "objects_of_labor", "objects_of_labor"]
    row = ind.set_index("id").loc["rd_intensity_revised"]
    assert row["dimension"] == "rd_capital" and row["direction"] == "positive" and row["best"] == ""
    assert row["definition"] == "rd_expenditure / gdp / 100" and row["domain"] == "nonnegative"
    # factor is inherited from the first-level dimension; new and lever are the indicator's own
    assert (row["factor"], row["new"], row["lever"]) == ("means_of_labor", "new_technology", "st_innovation_system")
    assert list(ind["dimension"].unique()) == ["knowledge_workers", "innovation_workers", "digital_means",
                                               "rd_capital", "data_elements", "technology_objects",
                                               "new_industries_energy"]
    assert set(ind["direction"]) == {"positive"}


def test_tables_of_hqd_country_interval_and_negative():
    ind, dim = framework_tables(load_framework("hqd-country").spec)
    rows = ind.set_index("id")
    assert rows.loc["investment_rate", ["direction", "best", "definition"]].tolist() == [
        "interval", "20, 25", "gross_capital_formation_pct_gdp"]
    assert rows.loc["co2_intensity", "direction"] == "negative"
    assert list(dim["id"]) == ["innovation", "coordination", "green", "openness", "sharing"]
    assert set(dim["parent"]) == {""}


@pytest.mark.parametrize("name", ALL_FRAMEWORKS)
def test_every_framework_round_trips(name):
    spec = load_framework(name).spec
    # YAML: exactly
    text = dump_framework(spec)
    assert parse_framework_text(text, f"{name}.yaml") == spec
    # tables with base: exactly, and nothing to note
    ind, dim = framework_tables(spec)
    again, notes = framework_from_tables(ind, dim, name=spec.name, title_zh=spec.title.zh, title_en=spec.title.en,
                                         base=spec)
    assert again == spec and notes == []
    # tables without base: what the tables carry
    bare, notes = framework_from_tables(ind, dim, name=spec.name, title_zh=spec.title.zh, title_en=spec.title.en,
                                        target_id=spec.target.id, target_zh=spec.target.name_zh,
                                        target_en=spec.target.name_en, unit_kind=spec.unit_kind)
    assert notes == []
    pd.testing.assert_frame_equal(Framework(bare).indicator_table()[CARRIED],
                                  Framework(spec).indicator_table()[CARRIED])
    pd.testing.assert_frame_equal(Framework(bare).tree_table(), Framework(spec).tree_table())
    for a, b in zip(framework_tables(bare), (ind, dim), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_yaml_is_readable():
    text = dump_framework(load_framework("nqpf-province-2023").spec)
    assert text.startswith("# nqpf-province-2023: an nqpf indicator system")
    assert "  zh: 省域新质生产力评价指标体系(完整版, 2016-2023)" in text  # Chinese as is
    assert "years: [2016, 2023]" in text and "exclude_units: [西藏]" in text
    assert "    tags: {factor: laborers}" in text
    assert "direction: positive" not in text  # the default is left out
    # a node's rationale comes before its children, as in the bundled files
    laborers = text[text.index("  - id: laborers"):]
    assert laborers.index("rationale:") < laborers.index("children:")


def test_a_framework_built_in_the_grid_scores_as_the_hand_calculation():
    """The framework of tests/test_measure.py typed as two tables measures to the hand calculation (1e-12)."""
    ind = pd.DataFrame({"id": ["a", "b", "c"], "name_zh": ["甲", "乙", "丙"], "name_en": ["A", "B", "C"],
                        "unit": ["u", "u", "u"], "dimension": ["d1", "d1", "d2"],
                        "direction": ["positive", "负向", ""], "definition": ["", "", "c_num / c_den"]})
    dim = pd.DataFrame({"id": ["d1", "d2"], "name_zh": ["维度一", "维度二"], "name_en": ["D1", "D2"],
                        "parent": ["", ""]})
    spec, notes = build(ind, dim, target_id="t")
    assert notes == [] and spec.target.children[0].indicators[1].direction == "negative"
    res = measure(hand_panel(), Framework(spec))
    rows, _, w, score, _ = hand_calculation()
    got = res.scores.set_index(["unit", "year"])["score"]
    assert np.allclose([got[k] for k in rows], [score[k] for k in rows], atol=1e-12, rtol=0)
    assert np.allclose(res.weights.set_index("id")["global_weight"].loc[["a", "b", "c"]], w, atol=1e-12, rtol=0)


# -- problems, each with its row and a hint that works ---------------------------------------------------------


def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    ind = pd.DataFrame({
        "id": ["rd", "patents", "co2"], "name_zh": ["研发强度", "专利授权", "碳强度"],
        "name_en": ["R&D intensity", "Patent grants", "CO2 intensity"], "unit": ["%", "件", "吨/万元"],
        "dimension": ["tech", "tech", "green"], "direction": ["positive", "positive", "negative"],
        "best": ["", "", ""], "definition": ["rd_expenditure / gdp * 100", "", "co2 / gdp"],
        "domain": ["", "", ""], "factor": ["", "", ""], "new": ["", "", ""], "lever": ["", "", ""]})
    dim = pd.DataFrame({"id": ["tech", "green"], "name_zh": ["科技创新", "绿色发展"],
                        "name_en": ["Technology", "Green"], "parent": ["", ""]})
    return ind, dim


def edited(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, column] = value
    return out


def only_issue(ind: pd.DataFrame, dim: pd.DataFrame) -> RowIssue:
    with pytest.raises(FrameworkTableError) as exc:
        build(ind, dim)
    assert len(exc.value.issues) == 1, exc.value.issues
    return exc.value.issues[0]


def quoted_after(message: str, marker: str) -> str:
    """The first '...' value after ``marker`` in a message (the hint's suggestion)."""
    return re.search(marker + r"[^']*'([^']*)'", message)[1]


def test_the_example_tables_are_valid():
    spec, notes = build(*tables())
    assert notes == []
    assert [c.id for c in spec.target.children] == ["tech", "green"]
    assert spec.target.id == "target" and spec.target.name_zh == "我的体系" and spec.unit_kind == "unit"
    assert spec.target.children[1].indicators[0].definition == "co2 / gdp"
    assert spec.target.children[0].indicators[1].definition is None


@pytest.mark.parametrize(("bad", "suggested"), [("GDP growth", "GDP_growth"), ("2020研发", "x2020"), ("研发", "x1")])
def test_bad_id_suggests_a_valid_id(bad, suggested):
    ind, dim = tables()
    issue = only_issue(edited(ind, 0, "id", bad), dim)
    assert (issue.table, issue.row, issue.column) == ("indicators", 0, "id")
    assert issue.message.startswith(f"id '{bad}' is not valid: an id starts with a letter or _")
    assert quoted_after(issue.message, "write e.g.") == suggested
    build(edited(ind, 0, "id", suggested), dim)


def test_duplicate_id_names_the_other_row():
    ind, dim = tables()
    issue = only_issue(edited(ind, 2, "id", "rd"), dim)
    assert (issue.table, issue.row, issue.column) == ("indicators", 2, "id")
    assert "id 'rd' is already used in indicators row 0; give this row another id, e.g. 'rd_2'" == issue.message
    build(edited(ind, 2, "id", "rd_2"), dim)
    # an indicator may not take a dimension's id either, nor the target's
    issue = only_issue(edited(ind, 2, "id", "green"), dim)
    assert issue.message.startswith("id 'green' is already used in dimensions row 1")
    issue = only_issue(edited(ind, 2, "id", "target"), dim)
    assert issue.message.startswith("id 'target' is the id of the target")
    build(edited(ind, 2, "id", quoted_after(issue.message, "e.g.")), dim)


def test_empty_id_suggests_one_from_the_english_name():
    ind, dim = tables()
    issue = only_issue(edited(ind, 1, "id", ""), dim)
    assert (issue.row, issue.column) == (1, "id")
    assert issue.message.startswith("the id is empty; write an id") and issue.message.endswith("e.g. 'patent_grants'")
    build(edited(ind, 1, "id", "patent_grants"), dim)


def test_unknown_dimension_lists_near_matches_and_the_dimensions():
    ind, dim = tables()
    issue = only_issue(edited(ind, 1, "dimension", "tehc"), dim)
    assert (issue.table, issue.row, issue.column) == ("indicators", 1, "dimension")
    assert issue.message == "unknown dimension 'tehc'; near matches: tech; dimensions: tech, green"
    build(edited(ind, 1, "dimension", "tech"), dim)
    # a dimension's name instead of its id
    issue = only_issue(edited(ind, 1, "dimension", "科技创新"), dim)
    assert "('科技创新' is the name of dimension 'tech': write its id 'tech')" in issue.message
    build(edited(ind, 1, "dimension", quoted_after(issue.message, "write its id")), dim)
    # empty
    issue = only_issue(edited(ind, 1, "dimension", ""), dim)
    assert issue.message == ("the dimension is empty; write the id of the dimension this indicator belongs to: "
                             "tech, green")
    build(edited(ind, 1, "dimension", "green"), dim)


def test_direction_must_be_one_of_three_and_chinese_words_are_understood():
    ind, dim = tables()
    issue = only_issue(edited(ind, 2, "direction", "down"), dim)
    assert (issue.row, issue.column) == (2, "direction")
    assert issue.message.startswith("direction 'down' is not one of positive, negative, interval (正向, 负向, 适度)")
    spec, _ = build(edited(ind, 2, "direction", "负向"), dim)
    assert spec.target.children[1].indicators[0].direction == "negative"
    spec, _ = build(edited(ind, 2, "direction", ""), dim)  # empty: the default
    assert spec.target.children[1].indicators[0].direction == "positive"


def test_interval_needs_best_written_low_high():
    ind, dim = tables()
    ind = edited(ind, 0, "direction", "interval")
    issue = only_issue(ind, dim)
    assert (issue.row, issue.column) == (0, "best")
    assert issue.message == "an interval indicator needs its best range in best, written 'low, high' (e.g. '20, 25')"
    spec, _ = build(edited(ind, 0, "best", "20, 25"), dim)
    assert spec.target.children[0].indicators[0].best == (20.0, 25.0)
    issue = only_issue(edited(ind, 0, "best", "25, 20"), dim)
    assert issue.message == "best '25, 20' has low > high; write '20, 25'"
    build(edited(ind, 0, "best", quoted_after(issue.message, "write")), dim)
    issue = only_issue(edited(ind, 0, "best", "about 20"), dim)
    assert issue.message == "best 'about 20' is not two numbers; write 'low, high' (e.g. '20, 25')"
    spec, _ = build(edited(ind, 0, "best", "[1.5，2.5]"), dim)  # brackets and a full-width comma
    assert spec.target.children[0].indicators[0].best == (1.5, 2.5)
    issue = only_issue(edited(tables()[0], 1, "best", "1, 2"), dim)
    assert issue.message == "best '1, 2' is only for direction interval; clear the cell, or set direction to interval"
    build(edited(tables()[0], 1, "best", ""), dim)


def test_names_required_in_one_language_copied_to_the_other():
    ind, dim = tables()
    issue = only_issue(edited(edited(ind, 0, "name_zh", ""), 0, "name_en", ""), dim)
    assert (issue.row, issue.column) == (0, "name_zh")
    assert issue.message == "no name; write the name in name_zh (Chinese) or name_en (English), or both"
    spec, notes = build(edited(ind, 0, "name_en", ""), dim)
    assert spec.target.children[0].indicators[0].name_en == "研发强度"
    assert notes == [RowIssue("indicators", 0, "name_en", "name_en was empty: '研发强度' is used in both languages")]


def test_definition_outside_the_expression_language_is_not_run():
    ind, dim = tables()
    for bad, words in [("__import__('os').system('touch /tmp/nqpf-pwned')", "unknown function"),
                       ("gdp.__class__", "Attribute is not allowed"), ("rd_expenditure / ", "cannot parse"),
                       ("open('x')", "unknown function 'open'")]:
        issue = only_issue(edited(ind, 0, "definition", bad), dim)
        assert (issue.row, issue.column) == (0, "definition")
        assert words in issue.message and "write arithmetic on data columns" in issue.message
        assert quoted_after(issue.message, "e.g.") == "rd_expenditure / gdp * 100"
    build(edited(ind, 0, "definition", "rd_expenditure / gdp * 100"), dim)
    build(edited(ind, 0, "definition", ""), dim)  # "or leave the cell empty"
    # an id the language reserves reads no column without a definition
    issue = only_issue(edited(ind, 1, "id", "lambda"), dim)
    assert (issue.row, issue.column) == (1, "id")
    assert issue.message == ("id 'lambda' is a word of the expression language, so without a definition it reads "
                             "no data column; write another id, e.g. 'lambda_1', and in definition the data column "
                             "it reads (a data column called 'lambda' must be renamed in the data file)")
    build(edited(edited(ind, 1, "id", "lambda_1"), 1, "definition", "patent_grants"), dim)
    # a Chinese column name is an identifier the language can name
    spec, _ = build(edited(ind, 0, "definition", "数字普惠金融指数 / 100"), dim)
    assert spec.target.children[0].indicators[0].definition == "数字普惠金融指数 / 100"


def test_dimension_without_indicator_and_indicator_in_a_parent_dimension():
    ind, dim = tables()
    dim2 = pd.concat([dim, pd.DataFrame({"id": ["open"], "name_zh": ["开放"], "name_en": ["Openness"],
                                         "parent": [""]})], ignore_index=True)
    issue = only_issue(ind, dim2)
    assert (issue.table, issue.row, issue.column) == ("dimensions", 2, "id")
    assert issue.message == ("dimension 'open' has no indicator; write 'open' in the dimension column of its "
                             "indicators, or delete this row")
    build(edited(ind, 1, "dimension", "open"), dim2)  # the first way
    build(ind, dim2.drop(index=2))  # the second way
    # an indicator in a dimension that has sub-dimensions
    dim3 = pd.concat([dim, pd.DataFrame({"id": ["climate"], "name_zh": ["气候"], "name_en": ["Climate"],
                                         "parent": ["green"]})], ignore_index=True)
    with pytest.raises(FrameworkTableError) as exc:
        build(ind, dim3)
    # (climate has no indicator yet: not reported while an indicator's dimension is wrong, fixing it may fill it)
    assert [(i.table, i.row, i.column) for i in exc.value.issues] == [("indicators", 2, "dimension")]
    assert exc.value.issues[0].message == ("dimension 'green' has sub-dimensions (climate); put the indicator in "
                                           "one of them")
    spec, _ = build(edited(ind, 2, "dimension", "climate"), dim3)
    assert Framework(spec).dimension_of("co2") == "green" and Framework(spec).item("co2").parent == "climate"


def test_parent_cycle_and_unknown_parent():
    ind, dim = tables()
    cyc = edited(edited(dim, 0, "parent", "green"), 1, "parent", "tech")
    with pytest.raises(FrameworkTableError) as exc:
        build(ind, cyc)
    cycle = [i for i in exc.value.issues if i.column == "parent"]
    assert [(i.table, i.row) for i in cycle] == [("dimensions", 0), ("dimensions", 1)]
    assert cycle[0].message == ("parent cycle: tech → green → tech (each is the child of the next); set this row's "
                                "parent to '' (under the target) or to a dimension outside the cycle")
    spec, _ = build(ind, edited(edited(cyc, 0, "parent", ""), 1, "parent", ""))  # followed on both rows
    assert [c.id for c in spec.target.children] == ["tech", "green"]
    issue = only_issue(ind, edited(dim, 1, "parent", "tehc"))
    assert (issue.table, issue.row, issue.column) == ("dimensions", 1, "parent")
    assert issue.message == ("unknown parent 'tehc'; near matches: tech; write the id of a dimension (tech, green) "
                             "or leave it empty for a first-level dimension")
    build(ind, edited(dim, 1, "parent", ""))
    with pytest.raises(FrameworkTableError) as exc:  # green under tech: tech then holds both
        build(ind, edited(dim, 1, "parent", "tech"))
    assert [(i.row, i.column) for i in exc.value.issues] == [(0, "dimension"), (1, "dimension")]


def test_tags_domain_and_labels():
    ind, dim = tables()
    issue = only_issue(edited(ind, 0, "factor", "labourers"), dim)
    assert (issue.row, issue.column) == (0, "factor")
    assert issue.message == ("'labourers' is not a factor tag; near matches: laborers; write one of laborers, "
                             "means_of_labor, objects_of_labor, or leave it empty")
    spec, _ = build(edited(ind, 0, "factor", "laborers"), dim)
    assert spec.target.children[0].indicators[0].tags.factor == "laborers"
    spec, _ = build(edited(edited(ind, 0, "factor", "劳动资料"), 0, "new", "New technology"), dim)  # labels
    assert spec.target.children[0].indicators[0].tags.model_dump() == {
        "factor": "means_of_labor", "new": "new_technology", "lever": None}
    issue = only_issue(edited(ind, 0, "domain", "positive only"), dim)
    assert issue.message.startswith("domain 'positive only' is not one of any, nonnegative, positive; write any")
    spec, _ = build(edited(ind, 0, "domain", "nonnegative"), dim)
    assert spec.target.children[0].indicators[0].domain == "nonnegative"


def test_every_problem_is_collected_in_table_and_row_order():
    ind, dim = tables()
    ind = edited(edited(edited(ind, 0, "id", "R&D"), 1, "direction", "more"), 2, "dimension", "greem")
    ind = edited(ind, 2, "definition", "co2 /")
    dim = edited(dim, 0, "name_zh", "")
    dim = edited(dim, 0, "name_en", "")
    with pytest.raises(FrameworkTableError) as exc:
        build(ind, dim)
    err = exc.value
    assert isinstance(err, FrameworkError)
    assert [(i.table, i.row, i.column) for i in err.issues] == [
        ("indicators", 0, "id"), ("indicators", 1, "direction"), ("indicators", 2, "dimension"),
        ("indicators", 2, "definition"), ("dimensions", 0, "name_zh"),
    ]
    assert str(err).startswith("the framework tables have problems:\n  indicators row 0, column id: id 'R&D'")


def test_blank_rows_and_unknown_columns_are_noted_not_lost():
    ind, dim = tables()
    blank = pd.DataFrame([dict.fromkeys(ind.columns, "")])
    ind = pd.concat([ind.iloc[:1], blank, ind.iloc[1:]], ignore_index=True)
    ind["备注"] = ["ok", "", "", ""]
    ind.loc[1, "best"] = np.nan  # a grid's empty cell
    spec, notes = build(ind, pd.concat([dim, pd.DataFrame([{"id": None}])], ignore_index=True))
    assert [c.id for c in spec.target.children] == ["tech", "green"]
    assert [str(n) for n in notes] == [
        "dimensions row 2: blank row ignored",
        "indicators, column 备注: column '备注' is not a column of the indicators table and was ignored (columns: "
        "id, name_zh, name_en, unit, dimension, direction, best, definition, domain, factor, new, lever)",
        "indicators row 1: blank row ignored",
    ]


def test_a_system_without_dimensions_and_empty_tables():
    ind, _ = tables()
    flat = ind.assign(dimension="")
    spec, _ = build(flat, pd.DataFrame(columns=list(DIMENSION_COLUMNS)))
    assert spec.target.children is None and [i.id for i in spec.target.indicators] == ["rd", "patents", "co2"]
    # the flat system as tables: dimension empty, no dimension rows
    i2, d2 = framework_tables(spec)
    assert list(i2["dimension"]) == ["", "", ""] and len(d2) == 0
    with pytest.raises(FrameworkTableError) as exc:
        build(ind, pd.DataFrame(columns=list(DIMENSION_COLUMNS)))
    assert len(exc.value.issues) == 3
    assert exc.value.issues[0].message == ("unknown dimension 'tech': the dimensions table is empty; add a row with "
                                           "id 'tech' there, or leave dimension empty for a system without dimensions")
    build(ind, tables()[1])  # followed: the rows for tech and green added
    with pytest.raises(FrameworkTableError) as exc:
        build(pd.DataFrame(columns=list(INDICATOR_COLUMNS)), pd.DataFrame(columns=list(DIMENSION_COLUMNS)))
    assert exc.value.issues == [RowIssue("indicators", None, None,
                                         "the framework has no indicator; add one row per indicator")]
    with pytest.raises(FrameworkTableError) as exc:
        build(ind.drop(columns="id"), tables()[1])
    assert exc.value.issues[0].column == "id" and "has no column 'id'" in exc.value.issues[0].message
    with pytest.raises(FrameworkTableError) as exc:  # no cascade of unknown dimensions
        build(ind, tables()[1].rename(columns={"id": "ID号"}))
    assert exc.value.issues == [RowIssue("dimensions", None, "id", "the dimensions table has no column 'id'; add it "
                                                                   "(columns: id, name_zh, name_en, parent)")]
    with pytest.raises(FrameworkError, match="needs a name"):
        build(ind, tables()[1], name=" ")


# -- the base framework: what the tables do not carry ---------------------------------------------------------

TAGS_YAML = """\
name: tags-demo
title: {zh: 标签示例, en: Tags demo}
description: a framework's own tag vocabulary, node tags and explanations
unit_kind: province
references: [a reference]
vocabulary:
  factor: {green_factor: {zh: 绿色要素, en: Green factor}}
target:
  id: root
  name_zh: 总目标
  name_en: Root
  children:
    - id: tech
      name_zh: 科技创新
      name_en: Technology
      tags: {factor: means_of_labor}
      rationale: why technology
      indicators:
        - {id: rd, name_zh: 研发强度, name_en: R&D intensity, unit: "%", definition: rd_expenditure / gdp * 100,
           rationale: why rd, source: yearbook}
        - {id: patents, name_zh: 专利授权, name_en: Patent grants, unit: 件, tags: {factor: means_of_labor}}
    - id: green
      name_zh: 绿色发展
      name_en: Green
      indicators:
        - {id: co2, name_zh: 碳强度, name_en: CO2 intensity, unit: 吨/万元, direction: negative,
           definition: co2 / gdp, tags: {factor: green_factor}}
"""


def test_base_keeps_vocabulary_rationale_and_explicit_tags():
    base = parse_framework_text(TAGS_YAML, "tags-demo.yaml")
    ind, dim = framework_tables(base)
    assert list(ind["factor"]) == ["means_of_labor", "means_of_labor", "green_factor"]
    spec, notes = framework_from_tables(ind, dim, name="tags-demo", title_zh="标签示例", title_en="Tags demo",
                                        base=base)
    assert spec == base and notes == []
    spec, _ = framework_from_tables(ind.iloc[[1, 0, 2]], dim, name="tags-demo", title_zh="标签示例",
                                    title_en="Tags demo", base=base)
    tech = spec.target.children[0]
    assert tech.rationale == "why technology" and spec.references == ["a reference"]
    assert tech.indicators[1].rationale == "why rd" and tech.indicators[1].source == "yearbook"
    assert tech.indicators[0].tags.factor == "means_of_labor"  # explicit in the base: kept explicit
    assert tech.indicators[1].tags.factor is None  # inherited from tech, as in the base
    # the framework's own tag vocabulary is known when the base is given, and not without it
    with pytest.raises(FrameworkTableError, match="'green_factor' is not a factor tag"):
        build(ind, dim)


def test_base_keeps_an_ahp_matrix_while_the_children_are_unchanged():
    base = parse_framework_text(SYNTH, "synth.yaml")
    ind, dim = framework_tables(base)
    assert ind.set_index("id").loc["c", ["direction", "best"]].tolist() == ["interval", "0.4, 0.6"]
    spec, notes = framework_from_tables(ind, dim, name="synth", title_zh="合成", title_en="Synthetic", base=base)
    assert spec == base and notes == []
    # reorder the indicators of d1: its matrix no longer fits and is dropped (noted); the others stay
    spec, notes = framework_from_tables(ind.iloc[[1, 0, 2, 3, 4]], dim, name="synth", title_zh="合成",
                                        title_en="Synthetic", base=base)
    assert spec.target.children[0].ahp is None
    assert spec.target.ahp == base.target.ahp and spec.target.children[1].ahp == base.target.children[1].ahp
    assert notes == [RowIssue("dimensions", 0, "id", "the AHP matrix of 'd1' was dropped: its children changed "
                                                     "(a, b, c → b, a, c); weighting 'ahp' needs a new matrix in "
                                                     "the YAML file")]


def test_base_drops_csmar_fields_no_definition_reads():
    base = load_framework("nqpf-firm").spec
    ind, dim = framework_tables(base)
    first = ind.loc[0]
    kept = ind.iloc[1:]
    spec, notes = framework_from_tables(kept, dim, name=base.name, title_zh=base.title.zh, title_en=base.title.en,
                                        base=base)
    dropped = set(base.csmar) - set(spec.csmar)
    assert dropped and all(n.message.startswith("the CSMAR field of input '") for n in notes)
    assert {re.search(r"input '([^']+)'", n.message)[1] for n in notes} == dropped
    assert first["id"] not in set(kept["id"])


def test_schema_messages_map_back_to_rows():
    reader = _TableReader(*tables(), "target", None)
    reader.build(name="m", title_zh="我", title_en="M", unit_kind="unit", target_zh="我", target_en="M")
    msg = ("invalid framework:\n  framework 'm', line 12: field 'target.children.1.indicators.0.tags.factor': bad\n"
           "  framework 'm', line 3: field 'target.children.0.ahp': not square\n"
           "  framework 'm', line 1: field 'vocabulary.x': unknown tag kind")
    assert reader.schema_issues(msg) == [RowIssue("indicators", 2, "factor", "bad"),
                                         RowIssue("dimensions", 0, None, "not square"),
                                         RowIssue("indicators", None, None, "vocabulary.x: unknown tag kind")]


# -- starter tables from a panel ---------------------------------------------------------------------------------


def test_starter_tables_from_the_province_panel():
    cn = load_dataset("china-provinces")
    ind, dim = framework_from_panel(cn, name="mine", title_zh="我的", title_en="Mine")
    assert len(ind) == len(cn.indicators) == 116 and list(ind["id"]) == cn.indicators
    row = ind.set_index("id").loc["rd_expenditure"]
    assert (row["name_zh"], row["name_en"], row["unit"]) == ("R&D经费内部支出(合计)", "rd_expenditure",
                                                             "10k yuan (万元)")
    assert set(ind["dimension"]) == {"d1"} and set(ind["direction"]) == {"positive"}
    assert dim.to_dict("records") == [{"id": "d1", "name_zh": "维度1", "name_en": "Dimension 1", "parent": ""}]
    spec, notes = framework_from_tables(ind, dim, name="mine", title_zh="我的", title_en="Mine")
    assert notes == [] and len(Framework(spec).indicators) == 116


def test_starter_tables_for_chinese_and_unnameable_columns():
    idx = pd.MultiIndex.from_product([["甲", "乙", "丙"], [2020, 2021]], names=["unit", "year"])
    df = pd.DataFrame({"gdp": [1.0, 2, 3, 4, 5, 6], "数字普惠金融指数": [3.0, 1, 4, 1, 5, 9],
                       "x1": [2.0, 7, 1, 8, 2, 8], "GDP (亿元)": [1.0, 4, 1, 4, 2, 1]}, index=idx)
    ind, dim = framework_from_panel(Panel(df, "mine"), name="mine", title_zh="我的", title_en="Mine")
    assert ind[["id", "name_zh", "definition"]].values.tolist() == [
        ["gdp", "gdp", ""], ["x2", "数字普惠金融指数", "数字普惠金融指数"], ["x1", "x1", ""],
        ["x3", "GDP (亿元)", "GDP (亿元)"]]
    assert framework_from_panel(Panel(df.rename(columns={"gdp": "if"}), "k"), name="k", title_zh="k",
                                title_en="k")[0].loc[0, ["id", "definition"]].tolist() == ["x2", "if"]
    issue = only_issue(ind, dim)
    assert (issue.row, issue.column) == (3, "definition")
    assert "a column whose name has spaces or brackets cannot be named: rename it in the data file, e.g. 'GDP_亿元'" \
        in issue.message
    # followed: the column renamed in the data, the starter tables made again
    fixed = Panel(df.rename(columns={"GDP (亿元)": "GDP_亿元"}), "mine")
    ind, dim = framework_from_panel(fixed, name="mine", title_zh="我的", title_en="Mine")
    spec, _ = build(ind, dim)
    res = measure(fixed, Framework(spec), weighting="equal")
    assert res.scores.shape[0] == 6
    # the Chinese column is read by its definition: equal weights of min-max scores, 乙 2021 by hand
    z = {"gdp": (4 - 1) / 5, "fin": (1 - 1) / 8, "x1": (8 - 1) / 7, "g": (4 - 1) / 3}
    want = np.mean([v + 1e-4 for v in z.values()])
    assert res.scores.set_index(["unit", "year"]).loc[("乙", 2021), "score"] == pytest.approx(want, abs=1e-12)


def test_doctests():
    run_doctests(nqpf.frameworks.table)
