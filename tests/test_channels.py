"""The channels from NQPF to HQD (issue 15, item 3): the outcome without a channel by hand, one channel against the
mechanism module's mediation run by hand, and the worked example of docs/methods/relations.md on the bundled data."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

from nqpf import load_dataset, load_framework, measure
from nqpf.analysis.fit import relations_fit
from nqpf.analysis.leap import leap
from nqpf.core.errors import StudyError
from nqpf.models.channels import channels, default_channel_dimensions, hqd_without
from nqpf.models.mechanism import mediation


@cache
def bundled(framework: str):
    cn = load_dataset("china-provinces")
    return measure(cn, load_framework(framework), units=[u for u in cn.units if u != "西藏"])


@cache
def default_channels(bootstrap: int = 999):
    return channels(bundled("nqpf-province-2023"), bundled("hqd-province-2022"), bootstrap=bootstrap, seed=0,
                    names=("nqpf", "hqd"))


def test_outcome_without_a_channel_by_hand() -> None:
    s = pd.DataFrame({"innovation": [0.2, 0.6], "green": [0.5, 0.1], "sharing": [0.4, 0.8]})
    w = {"innovation": 0.5, "green": 0.3, "sharing": 0.2}
    # without green: (0.5*0.2 + 0.2*0.4) / 0.7 and (0.5*0.6 + 0.2*0.8) / 0.7
    assert hqd_without(s, w, "green").tolist() == pytest.approx([0.18 / 0.7, 0.46 / 0.7])
    # on the bundled HQD index (weighted sum): score = W_c S_c + (1 - W_c) Y_{-c} exactly
    h = bundled("hqd-province-2022")
    gw = h.weights.set_index("id")["global_weight"]
    dims = ["innovation", "coordination", "green", "sharing"]
    weights = {d: float(gw[d]) for d in dims}
    y = hqd_without(h.scores, weights, "sharing")
    by_hand = sum(weights[d] * h.scores[d] for d in dims if d != "sharing") / (1 - weights["sharing"])
    np.testing.assert_allclose(y, by_hand, rtol=1e-12)
    np.testing.assert_allclose(weights["sharing"] * h.scores["sharing"] + (1 - weights["sharing"]) * y,
                               h.scores["score"], atol=1e-12)


def test_one_channel_is_the_mechanism_modules_mediation() -> None:
    x, h = bundled("nqpf-province-2023"), bundled("hqd-province-2022")
    res = default_channels(199)
    sc = h.scores.set_index(["unit", "year"])
    gw = h.weights.set_index("id")["global_weight"]
    w = {d: float(gw[d]) for d in ("innovation", "coordination", "green", "sharing")}
    frame = pd.concat([x.score_series().rename("X"), sc["green"].rename("M"),
                       hqd_without(sc, w, "green").rename("Y")], axis=1, join="inner")
    assert len(frame) == 30 * 7  # 2016-2022: the years HQD covers
    by_hand = mediation(frame, "Y", "X", "M", bootstrap=199, seed=0)
    row = res.table.set_index("channel").loc["green"]
    assert row["a"] == pytest.approx(by_hand.a[0], rel=1e-10) and row["b"] == pytest.approx(by_hand.b[0], rel=1e-10)
    assert row["c"] == pytest.approx(by_hand.c[0], rel=1e-10)
    assert row["indirect"] == pytest.approx(by_hand.indirect, rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(by_hand.ci_bc, rel=1e-10)
    assert row["share"] == pytest.approx(by_hand.proportion, rel=1e-10)
    # a·b = c - c' (three OLS fits on one sample)
    assert row["indirect"] == pytest.approx(row["c"] - row["c_prime"], abs=1e-10)


def test_channel_dimensions_default_and_the_hint_works() -> None:
    assert default_channel_dimensions(["innovation", "coordination", "green", "sharing"]) == {
        "innovation": "innovation", "green": "green", "human": "sharing"}
    with pytest.raises(StudyError, match=re.escape('dimensions = { human = "<dimension id>" }')):
        default_channel_dimensions(["innovation", "green", "people"])
    # following the hint: name the dimension
    x, h = bundled("nqpf-province-2023"), bundled("hqd-province-2022")
    res = channels(x, h, dimensions={"human": "sharing"}, bootstrap=0, names=("nqpf", "hqd"))
    assert res.table["channel"].tolist() == ["human"]
    with pytest.raises(StudyError, match="has no dimension 'people'"):
        channels(x, h, dimensions={"human": "people"}, bootstrap=0)


def test_worked_example_the_channels() -> None:
    """docs/methods/relations.md, "Worked example": the numbers of the default study's channels."""
    res = default_channels()
    t = res.table.set_index("channel")
    assert res.years == list(range(2016, 2023)) and (t["nobs"] == 210).all()
    assert t["a"].round(3).to_dict() == {"innovation": 1.711, "green": -0.260, "human": 0.830}
    assert t["indirect"].round(3).to_dict() == {"innovation": 0.095, "green": 0.056, "human": 0.484}
    assert t["share"].round(3).to_dict() == {"innovation": 0.210, "green": 0.063, "human": 0.536}
    assert t["ci_low"].round(3).to_dict() == {"innovation": 0.009, "green": 0.013, "human": 0.241}
    assert t["significant"].all()
    assert res.carrying == ["innovation", "human"]  # green: significant a·b, but a < 0 and b < 0
    assert res.narrative("en")[0] == ("On the bundled data the effect of nqpf on high-quality development runs "
                                      "through technological innovation and all-round human development; green "
                                      "development does not carry it.")


def test_worked_example_the_leap_and_the_fit() -> None:
    """docs/methods/relations.md, "Worked example": the leap and the fit on the default study's indices."""
    cn = load_dataset("china-provinces")
    nqpf, tpf = bundled("nqpf-province-2023"), bundled("tpf-province-2023")
    co2 = cn.data["co2_emissions_apparent"].astype(float)
    lp = leap(nqpf, tpf, pressures={"co2_emissions_apparent": co2}, names=("nqpf", "tpf"))
    cls = lp.relative.groupby("year")["cls"].value_counts().unstack(fill_value=0)
    assert cls.loc[2016].to_dict() == {"a_lags": 22, "synchronous": 4, "b_lags": 4}
    assert cls.loc[2023].to_dict() == {"a_lags": 5, "synchronous": 6, "b_lags": 19}
    states = lp.decoupling["state"].value_counts()
    assert len(lp.decoupling) == 180 and states["strong_decoupling"] == 69 and states["weak_decoupling"] == 71
    fit = relations_fit(nqpf, bundled("prf-province"), names=("nqpf", "prf"))
    assert fit.years == [2016, 2017, 2018, 2019]
    assert fit.counts().loc[2019].to_dict() == {"a_lags": 10, "synchronous": 14, "b_lags": 6}
    assert fit.relative.groupby("year")["D"].mean().round(3).to_dict() == {
        2016: 0.506, 2017: 0.526, 2018: 0.539, 2019: 0.560}
