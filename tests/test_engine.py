"""One measurement engine: the batch path (bootstrap, Monte Carlo, leave-one-out) equals measure().

For every normalisation × weighting × aggregation × tree combination the registries offer (combinations the
engine refuses are checked to be refused by measure() too), the engine run on a stack of matrices whose first
matrix is the original sample gives measure()'s scores and weights to 1e-12; a degenerate resample (a constant
column) is refused by measure() and flagged by the batch run.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from synthetic import SYNTH

from nqpf.analysis.uncertainty import bootstrap
from nqpf.core.errors import MethodError, NqpfError
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, WEIGHTINGS
from nqpf.pipeline import Layout, Pipeline

N_UNITS, YEARS = 9, (2020, 2021, 2022, 2023)


def _framework(interval: bool) -> Framework:
    text = SYNTH if interval else SYNTH.replace("direction: interval, best: [0.4, 0.6]", "direction: positive")
    return Framework(parse_framework_text(text, "test.yaml"))


def _panel(seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"P{i}" for i in range(N_UNITS)], YEARS], names=["unit", "year"])
    # a common factor keeps the indicators (and sub-indices) correlated: no multiple correlation near 0, where
    # the independence weight 1/R amplifies rounding (a property of the method, not of the engine)
    factor = rng.uniform(0.05, 1.0, size=(len(idx), 1))
    X = 0.5 * factor + 0.5 * rng.uniform(0.05, 1.0, size=(len(idx), 5))
    return Panel(pd.DataFrame(X, index=idx, columns=list("abcde")), "s")


def _X(res) -> np.ndarray:
    """The result's values as (T, n, m), year-major, units in the result's order."""
    units = list(dict.fromkeys(res.values.index.get_level_values("unit")))
    v = res.values.swaplevel().reindex(pd.MultiIndex.from_product([list(YEARS), units]))
    return v.to_numpy().reshape(len(YEARS), len(units), -1)


COMBOS = list(itertools.product(NORMALIZATIONS.names(), ("pooled", "per_year"), WEIGHTINGS.names(),
                                AGGREGATIONS.names(), ("flat", "hierarchical")))


@pytest.mark.parametrize(("norm", "scope", "weighting", "aggregation", "tree"), COMBOS)
def test_batch_engine_on_the_original_sample_equals_measure(norm, scope, weighting, aggregation, tree):
    kw = dict(normalization=norm, scope=scope, weighting=weighting, aggregation=aggregation, tree=tree,
              objective="critic" if norm == "zscore" else "global_entropy")
    fw = _framework(interval=norm == "minmax")
    try:
        res = measure(_panel(), fw, **kw)
    except NqpfError as exc:  # a combination the method family does not allow: the batch engine agrees
        with pytest.raises(NqpfError):
            pipe = Pipeline(fw, res_settings(kw), strict=False)
            X = _X_raw(fw)
            fit = pipe.fit(X[None].reshape(1, -1, 5), Layout.of(np.repeat(YEARS, N_UNITS)))
            if fit.bad.all():  # flagged instead of refused: the same verdict
                raise NqpfError(str(exc)) from None
        return
    X = _X(res)
    T, n, m = X.shape
    rng = np.random.default_rng(1)
    other = X[:, rng.integers(0, n, size=n), :]
    batch = np.stack([X, other]).reshape(2, T * n, m)  # two matrices: the batched kernels, not the 2-D ones
    fit = Pipeline(res.framework, res.settings_object(), strict=False).fit(batch, Layout.of(np.repeat(YEARS, n)))
    assert not fit.bad[0]
    np.testing.assert_allclose(fit.target[0], res.scores["score"].to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.weights[0], res.indicator_weights.to_numpy(), rtol=1e-12, atol=1e-12)
    for node in res.framework.nodes[1:]:
        np.testing.assert_allclose(fit.scores[node.id][0], res.scores[node.id].to_numpy(), rtol=1e-12, atol=1e-12)


def res_settings(kw):
    from nqpf.settings import MeasureSettings

    return MeasureSettings.of(**kw)


def _X_raw(fw: Framework) -> np.ndarray:
    p = _panel()
    v = p.data[fw.indicator_ids].swaplevel().sort_index()
    return v.to_numpy().reshape(len(YEARS), N_UNITS, -1)


@pytest.mark.parametrize(("norm", "weighting", "value"), [
    ("minmax", "global_entropy", 0.5), ("minmax", "critic", 0.5), ("zscore", "critic", 0.5),
    ("vector", "equal", 0.0), ("minmax", "sd", 0.5), ("minmax", "independence", 0.5)])
def test_a_constant_column_is_refused_by_measure_and_flagged_by_the_batch(norm, weighting, value):
    """(vector normalisation divides by the column norm: only a column of zeros is degenerate)"""
    fw = _framework(interval=False)
    p = _panel()
    data = p.data.copy()
    data["a"] = value  # constant in every resample
    with pytest.raises(MethodError, match="indicator 'a'"):
        measure(Panel(data, "c"), fw, normalization=norm, weighting=weighting)
    X = data[fw.indicator_ids].swaplevel().sort_index().to_numpy().reshape(1, len(YEARS) * N_UNITS, -1)
    good = _panel(seed=2).data[fw.indicator_ids].swaplevel().sort_index().to_numpy().reshape(1, -1, 5)
    fit = Pipeline(fw, res_settings({"normalization": norm, "weighting": weighting}), strict=False).fit(
        np.concatenate([X, good]), Layout.of(np.repeat(YEARS, N_UNITS)))
    assert fit.bad.tolist() == [True, False]


def test_a_constant_interval_indicator_is_not_degenerate_in_either():
    """min–max of an interval indicator whose range lies inside its best interval scores 1 + shift: measure()
    accepts it, and so does the batch engine (the bootstrap used to drop such resamples)."""
    fw = _framework(interval=True)
    data = _panel().data.copy()
    data["c"] = 0.5  # constant, inside the best interval [0.4, 0.6]
    res = measure(Panel(data, "c"), fw)
    assert np.allclose(res.normalized["c"], 1.0 + 1e-4)
    b = bootstrap(res, B=20, seed=0, groups=False)
    assert b.n_degenerate == 0
    assert np.isfinite(b.replicates["weights"]).all()


def test_rescore_of_unchanged_values_is_the_measurement(provinces_panel):
    from nqpf.core.framework import load_framework
    from nqpf.measure import rescore

    for kw in ({}, {"aggregation": "topsis"}, {"normalization": "zscore", "weighting": "critic", "scope": "per_year"},
               {"aggregation": "gra", "weighting": "entropy"}):
        res = measure(provinces_panel, load_framework("nqpf-province-core"), **kw)
        np.testing.assert_allclose(rescore(res, res.values)["score"], res.scores["score"], rtol=1e-12, atol=1e-14)
