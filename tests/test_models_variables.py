"""How a model in a study file names its variables: index, sub-index, panel column, expression."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nqpf.core.errors import StudyError
from nqpf.core.panel import Panel
from nqpf.models.variables import names_of, study_frame


class Ctx:
    def __init__(self):
        idx = pd.MultiIndex.from_product([["a", "b"], [2020, 2021, 2022]], names=["unit", "year"])
        self.panel = Panel(pd.DataFrame({"gdp": [1.0, 2, 3, 4, 5, 6], "pop": [2.0, 2, 2, 4, 4, 4]}, index=idx))
        scores = pd.DataFrame({"unit": ["a", "a", "b", "b"], "year": [2021, 2022, 2021, 2022],
                               "score": [0.1, 0.2, 0.3, 0.4], "rank": [2, 2, 1, 1], "tech": [1.0, 2, 3, 4]})
        self.results = {"nqpf": SimpleNamespace(scores=scores)}
        self.used: list[str] = []

    def index(self, name=None, role="nqpf"):
        self.used.append(name)
        return name, self.results[name]


def test_study_frame_resolves_every_kind_of_name():
    ctx = Ctx()
    f = study_frame(ctx, ["nqpf", "nqpf:tech"], {"gdp_pc": "gdp / pop"}, "gdp")
    assert list(f.columns) == ["unit", "year", "nqpf", "nqpf:tech", "gdp_pc", "gdp"]
    assert len(f) == 4 and ctx.used == ["nqpf", "nqpf"]  # the index's unit-years only
    assert f.set_index(["unit", "year"]).loc[("b", 2022), "gdp_pc"] == pytest.approx(1.5)
    assert np.allclose(f["nqpf:tech"], [1, 2, 3, 4])
    with pytest.raises(StudyError, match=r"unknown variable 'gpd'.*gdp"):
        study_frame(ctx, ["gpd"])
    with pytest.raises(StudyError, match="no sub-index 'tec'"):
        study_frame(ctx, ["nqpf:tec"])
    assert names_of({"a": "x"}) == ["a"] and names_of("b") == ["b"] and names_of(None) == []
