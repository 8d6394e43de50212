"""Option forms from the registries' pydantic models: the fields, the catalogue, the methods, and form values
turned into study-file options validated by the entry's own parse (the study file's messages)."""

from __future__ import annotations

import doctest
from typing import Literal

import pytest
from pydantic import Field

from nqpf.analysis.registry import ANALYSES, Options
from nqpf.app.forms import (
    FormField,
    analysis_catalogue,
    check_options,
    method_choices,
    option_fields,
    options_from_form,
    parse_pairs,
)
from nqpf.core.errors import NqpfError, StudyError
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, WEIGHTINGS
from nqpf.study.runner import run_study
from nqpf.study.spec import DataSpec, IndexSpec, StudySpec


class _Demo(Options):
    """A model with every kind of field."""

    index: str | None = None
    flag: bool = True
    n: int = 3
    #: the share kept
    share: float = Field(0.5, description="the share of units kept")
    mode: Literal["a", "b"] = "a"
    names: list[str] = Field(default_factory=list)
    cut: tuple[float, float] = (0.1, 0.9)
    bandwidth: str | float = "scott"
    lag: int | None = 1
    weights: str = "contiguity"
    groups: str | dict[str, str] | None = None
    table: dict[str, float] | None = None
    x: str | list[str] | None = None
    required_name: str
    """the name that must be given"""


def test_option_fields_of_every_kind():
    f = {x.name: x for x in option_fields(_Demo)}
    assert list(f) == list(_Demo.model_fields)
    assert f["index"] == FormField("index", "index", None, (), False, "index", "", True, "str", ("str",))
    assert (f["flag"].kind, f["flag"].default) == ("bool", True)
    assert (f["n"].kind, f["n"].default, f["n"].optional) == ("int", 3, False)
    assert (f["share"].kind, f["share"].help) == ("float", "the share of units kept")  # description wins
    assert (f["mode"].kind, f["mode"].choices, f["mode"].default) == ("choice", ("a", "b"), "a")
    assert (f["names"].kind, f["names"].item, f["names"].default) == ("list", "str", [])
    assert (f["cut"].kind, f["cut"].item, f["cut"].default) == ("list", "float", [0.1, 0.9])
    assert (f["bandwidth"].kind, f["bandwidth"].types) == ("str", ("float", "str"))
    assert (f["lag"].kind, f["lag"].optional, f["lag"].default) == ("int", True, 1)
    assert f["weights"].kind == "weights" and f["groups"].kind == "groups" and f["groups"].optional
    assert (f["table"].kind, f["table"].item) == ("table", "float")
    assert (f["x"].kind, f["x"].types) == ("list", ("str",))
    assert (f["required_name"].required, f["required_name"].default) == (True, None)
    assert f["required_name"].help == "the name that must be given"  # the attribute docstring
    assert f["required_name"].description == f["required_name"].help


def test_option_fields_of_the_registry():
    assert [(x.name, x.kind, x.default) for x in option_fields(ANALYSES["kernel_density"].options)] == [
        ("index", "index", None), ("bandwidth", "str", "scott"), ("grid", "int", 200)]
    moran = {x.name: x for x in option_fields(ANALYSES["moran"].options)}
    assert moran["weights"].kind == "weights" and moran["weights"].default == "contiguity"
    assert moran["weights"].help.startswith("a [weights.<label>] of the study")  # its #: comment
    thr = {x.name: x for x in option_fields(ANALYSES["threshold"].options)}
    assert thr["n_thresholds"].choices == (1, 2, 3)
    assert (thr["trim"].kind, thr["trim"].item, thr["trim"].types) == ("list", "float", ("float",))
    assert thr["grid"].types == ("int", "str")  # int | Literal["all", "hansen"]
    med = {x.name: x for x in option_fields(ANALYSES["mediation"].options)}
    assert [n for n, x in med.items() if x.required] == ["y", "x", "m"]


def test_catalogue_is_the_registry():
    cat = analysis_catalogue()
    assert [e.name for e in cat] == list(ANALYSES)
    assert {e.name for e in cat if e.is_model} == {n for n, e in ANALYSES.items() if e.section == "explain"}
    kd = next(e for e in cat if e.name == "kernel_density")
    assert (kd.section, kd.label_zh, kd.label_en) == ("disparity", *ANALYSES["kernel_density"].label)
    assert [x.name for x in kd.fields] == ["index", "bandwidth", "grid"]
    assert kd.help == "``[analyses.kernel_density]``: the index, the bandwidth rule or value, the grid size."


def test_method_choices_come_from_the_registries():
    m = method_choices()
    assert {k for k, *_ in m["normalization"]} == set(NORMALIZATIONS)
    assert {k for k, *_ in m["weighting"]} == set(WEIGHTINGS)
    assert {k for k, *_ in m["aggregation"]} == set(AGGREGATIONS)
    assert m["normalization"][0][0] == "minmax" and m["weighting"][0][0] == "global_entropy"  # defaults first
    assert m["weighting"][0][1:] == WEIGHTINGS["global_entropy"].label
    assert "ahp" not in {k for k, *_ in m["objective"]} and "critic" in {k for k, *_ in m["objective"]}
    assert [k for k, *_ in m["scope"]] == ["pooled", "per_year"]
    assert [k for k, *_ in m["tree"]] == ["flat", "hierarchical"]
    assert [k for k, *_ in m["combine"]] == ["multiplicative", "linear", "game"]
    assert all(zh and en for rows in m.values() for _k, zh, en in rows)


def test_options_from_form_converts_and_drops_defaults():
    assert options_from_form("kernel_density", {"index": "nqpf", "bandwidth": "0.05", "grid": "200"}) == {
        "index": "nqpf", "bandwidth": 0.05}
    assert options_from_form("kernel_density", {"index": "", "bandwidth": "silverman", "grid": "100"}) == {
        "bandwidth": "silverman", "grid": 100}
    assert options_from_form("coupling", {"systems": "nqpf, hqd", "alpha": "0.6，0.4", "variant": "modified"}) == {
        "systems": ["nqpf", "hqd"], "alpha": [0.6, 0.4], "variant": "modified"}
    assert options_from_form("coupling", {"systems": ["nqpf", "hqd"]}) == {"systems": ["nqpf", "hqd"]}
    assert options_from_form("uncertainty", {"methods": False, "leave_one_out": True, "draws": "1000"}) == {
        "methods": False}
    assert options_from_form("threshold", {"n_thresholds": "2", "trim": "0.05", "grid": "hansen",
                                           "bootstrap": "300, 300"}) == {
        "n_thresholds": 2, "trim": 0.05, "grid": "hansen", "bootstrap": [300, 300]}
    assert options_from_form("threshold", {"grid": "100"}) == {"grid": 100}
    assert options_from_form("regression", {
        "y": "hqd", "x": "nqpf", "controls": "gov_size = gov_expenditure_total / gdp\nmarket_size = log(gdp)\n",
        "cluster": "entity", "lags": "1, 2"}) == {
        "y": "hqd", "x": "nqpf", "controls": {"gov_size": "gov_expenditure_total / gdp",
                                              "market_size": "log(gdp)"}, "lags": [1, 2]}
    assert options_from_form("scenario", {"unit": "江苏", "year": "2019", "changes": "rd_intensity = 1.1"}) == {
        "unit": "江苏", "year": 2019, "changes": {"rd_intensity": 1.1}}
    assert options_from_form("spatial_panel", {"x": "nqpf"}) == {"x": "nqpf"}  # one name stays a name
    assert options_from_form("leap", {"bounds": "0.8, 1.2", "pressures": ""}) == {}
    for name, form in (("coupling", {"systems": "nqpf, hqd", "alpha": "0.6, 0.4"}),
                       ("threshold", {"y": "hqd", "rx": "nqpf", "q": "gdp", "bootstrap": "300, 300"})):
        assert check_options(name, options_from_form(name, form)) == []


def _study(analyses: dict) -> StudySpec:
    return StudySpec(name="s", data=DataSpec(dataset="china-provinces"),
                     index=[IndexSpec(name="nqpf", framework="nqpf-province-core")], analyses=analyses)


@pytest.mark.parametrize(("name", "form"), [
    ("kernel_density", {"grid": "two hundred"}),
    ("markov", {"classify": "yearly"}),
    ("moran", {"permutations": "999.5", "colour": "red"}),
])
def test_an_invalid_value_gives_the_study_files_message(name, form):
    raw = options_from_form(name, form)
    problems = check_options(name, raw)
    assert len(problems) == 1
    with pytest.raises(StudyError) as err:  # the study file: checked before any data is read
        run_study(_study({name: raw}), source="study.toml")
    assert str(err.value) == f"study.toml: {problems[0]}"


def test_check_options_words():
    assert check_options("kernel_density", {"grid": 100, "bandwidth": 0.1}) == []
    [msg] = check_options("kernel_density", options_from_form("kernel_density", {"grid": "x"}))
    assert msg == ("[analyses.kernel_density]: option 'grid': Input should be a valid integer, unable to parse "
                   "string as an integer (got 'x')")
    [msg] = check_options("markov", {"colour": "red"})
    assert msg == "[analyses.markov]: unknown option 'colour'; options are: index, k, classify"
    [msg] = check_options("mediation", {})
    assert "option 'y': Field required" in msg and "option 'm': Field required" in msg
    [msg] = check_options("kernel_densty", {})
    assert msg.startswith("unknown analysis 'kernel_densty'; near matches: kernel_density")


def test_parse_pairs_names_the_line_and_its_hint_works():
    assert parse_pairs('苏州 = 苏州市\n"襄樊": "襄阳市"\n\n# comment\nBeijing：北京') == {
        "苏州": "苏州市", "襄樊": "襄阳市", "Beijing": "北京"}
    with pytest.raises(NqpfError, match=r"^rename, line 2: expected 'old = new' \(e\.g\. 苏州 = 苏州市\), got '襄樊'$"):
        parse_pairs("苏州 = 苏州市\n襄樊\n")
    assert parse_pairs("苏州 = 苏州市\n襄樊 = 襄阳市\n") == {"苏州": "苏州市", "襄樊": "襄阳市"}  # the hint followed
    # a table option with a line that is not a pair: kept as typed, and the check says a table is expected
    raw = options_from_form("regression", {"controls": "gov_size = a / b\nlog(gdp)"})
    assert raw == {"controls": "gov_size = a / b\nlog(gdp)"}
    [msg] = check_options("regression", raw)
    assert msg.startswith("[analyses.regression]: option 'controls': Input should be a valid dictionary")


def test_docstring_examples_run():
    from nqpf.app import forms

    res = doctest.testmod(forms, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
