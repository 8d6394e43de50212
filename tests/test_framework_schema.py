"""Framework YAML schema: valid trees load, broken ones name the file, line and field."""

from __future__ import annotations

import pytest

from nqpf.core.errors import FrameworkError
from nqpf.core.framework import Framework, load_framework
from nqpf.frameworks.schema import parse_framework_text

GOOD = """\
name: tiny
title: {zh: 测试, en: Tiny}
target:
  id: t
  name_zh: 目标
  name_en: Target
  children:
    - id: lab
      name_zh: 劳动者
      name_en: Laborers
      tags: {factor: laborers, lever: st_innovation_system}
      indicators:
        - id: rd
          name_zh: 研发人员
          name_en: R&D staff
          unit: person-years
          definition: rd_personnel_fte / population_resident
        - id: co2
          name_zh: 碳强度
          name_en: CO2 intensity
          unit: t/万元
          direction: negative
          tags: {lever: modern_industrial_system}
    - id: obj
      name_zh: 劳动对象
      name_en: Objects of labor
      tags: {factor: objects_of_labor}
      ahp: [[1, 3], ["1/3", 1]]
      children:
        - id: sub1
          name_zh: 子1
          name_en: Sub 1
          indicators:
            - {id: urb, name_zh: 城镇化, name_en: Urbanisation, unit: '%', direction: interval, best: [60, 80]}
        - id: sub2
          name_zh: 子2
          name_en: Sub 2
          indicators:
            - {id: difi, name_zh: 数字金融, name_en: DIFI, unit: index}
"""


def fw() -> Framework:
    return Framework(parse_framework_text(GOOD, "tiny.yaml"))


def test_tree_navigation_and_tag_inheritance():
    f = fw()
    assert f.indicator_ids == ["rd", "co2", "urb", "difi"]
    assert f.dimensions == ["lab", "obj"]
    assert f.leaves("obj") == ["urb", "difi"]
    assert f.dimension_of("difi") == "obj"
    t = f.indicator_table()
    assert t.loc["rd", "lever"] == "st_innovation_system"  # inherited
    assert t.loc["co2", "lever"] == "modern_industrial_system"  # overridden
    assert t.loc["co2", "factor"] == "laborers"
    assert t.loc["urb", "best_low"] == 60
    assert t.loc["difi", "definition"] == "difi"
    assert f.ahp_matrices()["obj"][1][0] == pytest.approx(1 / 3)
    sub = f.subset(["rd", "difi"])
    assert sub.indicator_ids == ["rd", "difi"] and sub.dimensions == ["lab", "obj"]


@pytest.mark.parametrize("old,new,line,field", [
    ("direction: negative", "direction: downward", 22, "target.children.0.indicators.1.direction"),
    ("          unit: person-years\n", "", 13, "target.children.0.indicators.0"),
    ("tags: {lever: modern_industrial_system}", "tags: {lever: moonshot}", 23,
     "target.children.0.indicators.1.tags.lever"),
    ("best: [60, 80]", "best: [80, 60]", 34, "target.children.1.children.0.indicators.0.best"),
    ("id: difi", "id: rd", 39, "target.children.1.children.1.indicators.0.id"),
    ('ahp: [[1, 3], ["1/3", 1]]', "ahp: [[1, 3, 2], [1, 1, 1]]", 28, "target.children.1.ahp"),
])
def test_broken_yaml_names_file_line_and_field(old, new, line, field):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(FrameworkError) as err:
        parse_framework_text(text, "broken.yaml")
    msg = str(err.value)
    assert f"broken.yaml, line {line}" in msg, msg
    assert field in msg, msg


def test_yaml_syntax_error_names_line():
    with pytest.raises(FrameworkError, match=r"broken.yaml, line 3: not valid YAML"):
        parse_framework_text("name: x\ntitle: {zh: a\n  en: [\n", "broken.yaml")


def test_node_needs_children_or_indicators():
    text = GOOD.replace("      indicators:\n        - id: rd", "      children:\n        - id: rd", 1)
    with pytest.raises(FrameworkError, match=r"broken\.yaml, line"):
        parse_framework_text(text, "broken.yaml")


def test_user_file_and_unknown_bundled_name(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text(GOOD, encoding="utf-8")
    assert load_framework(p).name == "tiny"
    with pytest.raises(FrameworkError, match="no bundled framework 'nope'"):
        load_framework("nope")


@pytest.mark.parametrize("bad", ["rd_personnel_fte /", "exp(rd_personnel_fte)", "lag(rd_personnel_fte, 0.5)"])
def test_bad_definition_names_file_line_and_indicator(bad):
    """A definition outside the expression grammar is a framework error at load time, with its line."""
    text = GOOD.replace("definition: rd_personnel_fte / population_resident", f"definition: '{bad}'")
    with pytest.raises(FrameworkError, match=r"tiny.yaml, line 17: field 'target.children.0.indicators.0"
                                             r".definition': indicator 'rd'"):
        parse_framework_text(text, "tiny.yaml")
