"""Kernel density and (spatial) Markov chains, checked against scipy and giddy called directly."""

from __future__ import annotations

import copy

import mapclassify as mc
import numpy as np
import pandas as pd
import pytest
from giddy.ergodic import steady_state
from giddy.markov import Markov, Spatial_Markov
from libpysal.weights import W, lat2W
from result_checks import check_interface, check_methods, run_doctests
from scipy import stats

from nqpf.analysis.dynamics import kernel_density, markov, spatial_markov
from nqpf.core.errors import DataError
from nqpf.core.interface import ReportContext
from nqpf.datasets import data_path
from nqpf.geo.weights import spatial_weights
from nqpf.result import IndexResult


def _index_result(scores: pd.DataFrame) -> IndexResult:
    return IndexResult(framework=None, values=pd.DataFrame(), normalized=pd.DataFrame(),  # type: ignore[arg-type]
                       scores=scores, weights=pd.DataFrame(), bounds=pd.DataFrame())


def _panel(n_units: int = 16, years=range(2011, 2021), seed: int = 0, ids=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = list(range(n_units)) if ids is None else ids
    level = rng.lognormal(size=len(ids))
    rows = []
    for t, y in enumerate(years):
        level = level * np.exp(0.05 + rng.normal(0, 0.15, len(ids)))
        rows += [(u, y, float(v) + 0.01 * t) for u, v in zip(ids, level, strict=True)]
    return pd.DataFrame(rows, columns=["unit", "year", "score"])


# ---------------------------------------------------------------------------------------------
# kernel density
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bw", ["scott", "silverman", 0.4])
def test_kde_matches_scipy(bw):
    frame = _panel()
    res = kernel_density(_index_result(frame), bandwidth=bw, grid=150)
    assert res.density.shape == (10, 150)
    assert res.bandwidth_rule == (bw if isinstance(bw, str) else "factor 0.4")
    for year, sub in frame.groupby("year"):
        x = sub["score"].to_numpy()
        kde = stats.gaussian_kde(x, bw_method=bw)
        np.testing.assert_allclose(res.density.loc[year].to_numpy(), kde(res.grid), rtol=1e-12)
        assert res.factor[year] == pytest.approx(kde.factor)
        assert res.bandwidth[year] == pytest.approx(kde.factor * x.std(ddof=1))
        row = res.stats.set_index("year").loc[year]
        assert row["mean"] == pytest.approx(x.mean())
        assert row["median"] == pytest.approx(np.median(x))
        assert row["std"] == pytest.approx(x.std(ddof=1))
        assert row["iqr"] == pytest.approx(np.subtract(*np.percentile(x, [75, 25])))
        assert row["skewness"] == pytest.approx(stats.skew(x, bias=False))
        assert row["mode"] == res.grid[np.argmax(kde(res.grid))]
        # density mass above mean + sd, from the Gaussian kernels by hand
        h = kde.factor * x.std(ddof=1)
        thr = x.mean() + x.std(ddof=1)
        assert row["tail_mass"] == pytest.approx(np.mean(stats.norm.sf((thr - x) / h)), rel=1e-9)
        assert row["tail_share"] == pytest.approx(np.mean(x > thr))
    # the common grid spans the pooled range plus 3 bandwidths either side
    hmax = max(res.bandwidth.values())
    assert res.grid[0] == pytest.approx(frame["score"].min() - 3 * hmax)
    assert res.grid[-1] == pytest.approx(frame["score"].max() + 3 * hmax)


def test_kde_counts_peaks_on_known_mixtures():
    # deterministic samples: normal quantiles, so the shapes are exact and seed-free
    q = stats.norm.ppf((np.arange(200) + 0.5) / 200)
    uni = q
    bi = np.concatenate([q, q + 8.0])  # two equal, well-separated modes
    tri = np.concatenate([q, q[::5] + 6.0, q + 12.0])  # a smaller middle mode (≈ 8% of the height)
    small = np.concatenate([q, q[::40] * 0.3 + 10.0])  # a tiny far bump (< 5% of the main height)
    frame = pd.concat([
        pd.DataFrame({"unit": np.arange(len(x)), "year": yr, "score": x})
        for yr, x in [(2001, uni), (2002, bi), (2003, tri), (2004, small)]
    ])
    res = kernel_density(frame, bandwidth=0.25, grid=2000)
    n_peaks = res.stats.set_index("year")["n_peaks"].to_dict()
    assert n_peaks == {2001: 1, 2002: 2, 2003: 3, 2004: 1}
    assert sorted(np.round(res.peaks[2002])) == [0.0, 8.0]
    # the tiny bump counts once the threshold is lowered below its relative height
    low = kernel_density(frame, bandwidth=0.25, grid=2000, peak_threshold=0.005)
    assert low.stats.set_index("year").loc[2004, "n_peaks"] == 2
    text = res.summary()
    assert "main peak moved from" in text and "polarisation" in text and "2002, 2003" in text
    assert "main peak moved from" in kernel_density(_panel()).summary()


def test_kde_grid_array_and_errors():
    frame = _panel(years=range(2011, 2014))
    grid = np.linspace(0, 10, 50)
    res = kernel_density(frame, grid=grid)
    np.testing.assert_array_equal(res.grid, grid)
    assert list(res.to_frame()["year"]) == [2011, 2012, 2013]
    const = frame.assign(score=np.where(frame["year"] == 2012, 1.0, frame["score"]))
    with pytest.raises(DataError, match="year 2012"):
        kernel_density(const)
    with pytest.raises(DataError, match="no column 'x'"):
        kernel_density(frame, column="x")


# ---------------------------------------------------------------------------------------------
# classical Markov
# ---------------------------------------------------------------------------------------------
def test_markov_pooled_quantiles_match_giddy():
    frame = _panel(n_units=25, seed=2)
    res = markov(_index_result(frame), k=4)
    y = frame.pivot(index="unit", columns="year", values="score").to_numpy()
    q = mc.Quantiles(y.ravel(), k=4)
    yb = q.yb.reshape(y.shape)
    ref = Markov(yb, classes=np.arange(4), summary=False)
    np.testing.assert_array_equal(res.class_ids.to_numpy(), yb)
    np.testing.assert_array_equal(res.transitions.to_numpy(), ref.transitions)
    np.testing.assert_allclose(res.p.to_numpy(), ref.p)
    np.testing.assert_allclose(res.steady_state, steady_state(ref.p))
    np.testing.assert_allclose(res.cutoffs, q.bins[:-1])
    assert res.transitions.to_numpy().sum() == 25 * 9
    # the aspatial matrix inside giddy's Spatial_Markov uses the same pooled classes
    sm = Spatial_Markov(y, lat2W(5, 5), k=4, fixed=True)
    np.testing.assert_allclose(res.p.to_numpy(), sm.p)
    table = res.to_frame()
    assert list(table.columns) == ["n", "C1", "C2", "C3", "C4"]
    assert table["n"].sum() == 225
    assert "steady state" in res.summary()


def test_markov_per_year_matches_giddy():
    frame = _panel(n_units=25, seed=3)
    res = markov(frame, k=5, classify="per_year")
    y = frame.pivot(index="unit", columns="year", values="score").to_numpy()
    sm = Spatial_Markov(y, lat2W(5, 5), k=5, fixed=False)
    np.testing.assert_array_equal(res.class_ids.to_numpy(), sm.class_ids)
    np.testing.assert_allclose(res.p.to_numpy(), sm.p)
    assert res.cutoffs is None and res.scheme == "per_year"


def test_markov_fixed_cutoffs_by_hand():
    # cutoffs 1 and 2: class 0 if y ≤ 1, class 1 if 1 < y ≤ 2, class 2 if y > 2.
    # a: 0.5 → 1.5 → 2.5 (0→1, 1→2); b: 1.0 → 1.0 → 3.0 (0→0, 0→2); c: 3 → 2 → 2 (2→1, 1→1)
    frame = pd.DataFrame({
        "unit": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
        "year": [2000, 2001, 2002] * 3,
        "score": [0.5, 1.5, 2.5, 1.0, 1.0, 3.0, 3.0, 2.0, 2.0],
    })
    res = markov(frame, cutoffs=[1, 2], labels=["low", "mid", "high"])
    expected = np.array([[1, 1, 1], [0, 1, 1], [0, 1, 0]])
    np.testing.assert_array_equal(res.transitions.to_numpy(), expected)
    np.testing.assert_allclose(res.p.to_numpy(), expected / expected.sum(axis=1, keepdims=True))
    assert res.classes == ["low", "mid", "high"] and res.scheme == "cutoffs"
    assert "low ≤ 1" in res.summary()


def test_markov_needs_balanced_panel():
    frame = _panel(n_units=6, years=range(2011, 2015))
    gap = frame[~((frame["unit"] == 4) & (frame["year"] == 2013))]
    with pytest.raises(DataError, match="unit 4, year 2013"):
        markov(gap)


# ---------------------------------------------------------------------------------------------
# spatial Markov
# ---------------------------------------------------------------------------------------------
def _scrambled_w(ids: list[str], seed: int = 0) -> W:
    """A rook lattice on 4×4 with string ids, its id_order scrambled."""
    base = lat2W(4, 4)
    name = {i: ids[i] for i in range(16)}
    neighbors = {name[i]: [name[j] for j in nb] for i, nb in base.neighbors.items()}
    order = list(np.random.default_rng(seed).permutation(ids))
    return W(neighbors, id_order=order)


def test_spatial_markov_matches_giddy_with_alignment_and_row_standardisation():
    ids = [f"u{i:02d}" for i in range(16)]
    frame = _panel(n_units=16, seed=4, ids=ids)
    w = _scrambled_w(ids)
    assert w.transform == "O"
    shuffled = frame.sample(frac=1.0, random_state=1)  # row order of the input must not matter
    res = spatial_markov(_index_result(shuffled), w=w, k=4)
    # giddy on the same arrays: rows in w.id_order, W row-standardised
    y = frame.pivot(index="unit", columns="year", values="score").reindex(w.id_order).to_numpy()
    wr = copy.deepcopy(w)
    wr.transform = "R"
    ref = Spatial_Markov(y, wr, k=4, m=4, fixed=True)
    np.testing.assert_array_equal(res.T, ref.T)
    np.testing.assert_allclose(res.P, ref.P)
    np.testing.assert_array_equal(res.class_ids.to_numpy(), ref.class_ids)
    np.testing.assert_array_equal(res.lag_class_ids.to_numpy(), ref.lclass_ids)
    assert list(res.class_ids.index) == list(w.id_order)
    np.testing.assert_allclose(res.cutoffs, ref.cutoffs)
    np.testing.assert_allclose(res.lag_cutoffs, ref.lag_cutoffs)
    assert res.Q == pytest.approx(ref.Q) and res.LR == pytest.approx(ref.LR)
    np.testing.assert_allclose(res.aspatial.p.to_numpy(), ref.p)
    # the caller's W is untouched and its transform recorded
    assert w.transform == "O" and res.w_transform == "O"
    # the lag really is the row-standardised mean of the neighbours: check one unit-year by hand
    u = ids[5]
    nb = w.neighbors[u]
    lag = frame[(frame["unit"].isin(nb)) & (frame["year"] == 2015)]["score"].mean()
    lag_class = int(np.searchsorted(ref.lag_cutoffs, lag, side="left"))
    assert res.lag_class_ids.loc[u, 2015] == lag_class
    table = res.to_frame()
    assert list(table.columns[:3]) == ["lag", "from", "n"] and len(table) == 16
    assert table["n"].sum() == 16 * 9
    assert "Bickenbach" in res.summary()


def test_spatial_markov_per_year_and_cutoffs_match_giddy():
    frame = _panel(n_units=25, seed=6)
    w = lat2W(5, 5)
    y = frame.pivot(index="unit", columns="year", values="score").reindex(w.id_order).to_numpy()
    wr = copy.deepcopy(w)
    wr.transform = "R"
    res = spatial_markov(frame, w=w, k=3, classify="per_year")
    ref = Spatial_Markov(y, wr, k=3, m=3, fixed=False)
    np.testing.assert_array_equal(res.T, ref.T)
    cuts = [1.0, 2.0]
    res = spatial_markov(frame, w=w, cutoffs=cuts, lag_cutoffs=[1.2, 1.8], m=3)
    ref = Spatial_Markov(y, wr, cutoffs=np.array(cuts), lag_cutoffs=np.array([1.2, 1.8]), m=3)
    np.testing.assert_array_equal(res.T, ref.T)
    np.testing.assert_allclose(res.P, ref.P)


def test_spatial_markov_wiring_errors():
    ids = [f"u{i:02d}" for i in range(16)]
    frame = _panel(n_units=16, ids=ids)
    w = _scrambled_w(ids)
    extra = pd.concat([frame, frame[frame["unit"] == "u00"].assign(unit="zz")])
    with pytest.raises(DataError, match="not in the spatial weights: 'zz'"):
        spatial_markov(extra, w=w)
    with pytest.raises(DataError, match="no data: 'u03'"):
        spatial_markov(frame[frame["unit"] != "u03"], w=w)
    nb = {i: list(w.neighbors[i]) for i in ids}
    nb["u15"] = []
    for i in ids:
        nb[i] = [j for j in nb[i] if j != "u15"]
    with pytest.raises(DataError, match="no neighbours in w: 'u15'"):
        spatial_markov(frame, w=W(nb, silence_warnings=True))
    with pytest.raises(DataError, match="libpysal"):
        spatial_markov(frame, w={"u00": ["u01"]})


def test_spatial_markov_default_weights_on_bundled_provinces():
    raw = pd.read_csv(data_path("china_provinces_panel.csv"))
    frame = raw.rename(columns={"province": "unit", "gdp": "score"})[["unit", "year", "score"]]
    res = spatial_markov(frame, k=4)
    units = list(dict.fromkeys(frame.sort_values(["year", "unit"])["unit"]))
    w = spatial_weights(units, kind="contiguity")
    w.transform = "R"
    y = frame.pivot(index="unit", columns="year", values="score").reindex(w.id_order).to_numpy()
    ref = Spatial_Markov(y, w, k=4, m=4)
    np.testing.assert_array_equal(res.T, ref.T)
    assert res.T.sum() == 31 * 14


# ---------------------------------------------------------------------------------------------
# the result interface: bilingual summaries, narrative, figures, report blocks, methods paragraph
# ---------------------------------------------------------------------------------------------
def test_markov_interface_report_and_methods():
    res = markov(_panel(), k=4)
    p, counts = res.p.to_numpy(), res.transitions.to_numpy()
    tot = counts.sum()
    up = counts[np.triu_indices(4, 1)].sum() / tot
    stay = np.trace(counts) / tot
    check_interface(res, [f"{np.diag(p).min():.3f}", f"{res.initial.iloc[0]:.3f}"])
    en, zh = " ".join(res.narrative("en")), " ".join(res.narrative("zh"))
    for s in (en, zh):
        assert f"{100 * up:.1f}%" in s and f"{100 * stay:.1f}%" in s
        assert f"{100 * res.steady_state[0]:.1f}%" in s and f"{100 * res.final.iloc[-1]:.1f}%" in s
    assert "稳态分布" in res.summary("zh") and "steady state" in res.summary("en")
    fig = res.figures("en")[0]
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), p)
    assert fig.data[0].y[0] == f"C1 (n={int(counts[0].sum())})"
    img = res.plot().axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(img), p)
    assert [type(b).__name__ for b in res.report(ReportContext("zh"))] == ["Text", "Figure"]
    text = check_methods("markov", res, ["$p_{ij} = n_{ij}/n_i$"])
    assert "4 classes, pooled quantiles" in text["en"] and "4 类，混合面板分位数" in text["zh"]


def test_spatial_markov_interface_report_and_methods():
    raw = pd.read_csv(data_path("china_provinces_panel.csv"))
    frame = raw.rename(columns={"province": "unit", "gdp": "score"})[["unit", "year", "score"]]
    res = spatial_markov(frame, k=4)
    check_interface(res, [f"Q = {res.Q:.3f}", f"LR = {res.LR:.3f}"])
    T0 = res.T[0]
    up0 = T0[np.triu_indices(4, 1)].sum() / T0.sum()
    for lang in ("en", "zh"):
        s = " ".join(res.narrative(lang))
        assert f"{res.Q:.2f}" in s and f"{100 * up0:.1f}%" in s and f"{int(T0.sum())}" in s
    fig = res.figures("zh")[0]
    assert len(fig.data) == 4 and fig.layout.annotations[0].text == "邻域类型: L1"
    np.testing.assert_allclose(np.asarray(fig.data[2].z, dtype=float), res.P[2])
    img = np.asarray(res.plot().axes[0].images[0].get_array())
    np.testing.assert_allclose(img, res.P.reshape(16, 4))
    check_methods("spatial_markov", res, ["Q", "LR"])


def test_markov_does_not_compile_mapclassify_in_a_new_process():
    """A cold run must not pay mapclassify's eager numba compile of Fisher–Jenks (unused by the chains)."""
    import subprocess
    import sys

    code = ("import numpy as np, pandas as pd\n"
            "from nqpf.analysis.dynamics import markov\n"
            "f = pd.DataFrame({'unit': np.repeat(np.arange(8), 3), 'year': np.tile([1, 2, 3], 8),\n"
            "                  'score': np.arange(24.0) % 7})\n"
            "r = markov(f, k=2)\n"
            "import mapclassify.classifiers as c\n"
            "print(len(c._fisher_jenks_means.signatures), int(r.transitions.to_numpy().sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "16"]


def test_docstring_examples_run():
    import nqpf.analysis.dynamics

    run_doctests(nqpf.analysis.dynamics)
