"""Mediation, moderation and heterogeneity (nqpf.models.mechanism) against independent computations.

- the stepwise paths = statsmodels OLS with unit and year dummies; the Sobel test by hand;
- the cluster-bootstrap draws (closed form on balanced panels, weighted within transformation otherwise) = a plain
  loop that builds each resampled panel (a unit drawn twice becomes two units) and refits with linearmodels;
  percentile and bias-corrected intervals recomputed from those draws;
- moderation coefficients and simple-slope SEs = statsmodels with centred variables and a clustered t-test of
  the linear combination;
- group coefficients = per-group dummy OLS; permutation differences = re-estimation with permuted labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from linearmodels import PanelOLS
from scipy import stats

from nqpf.core.rng import generator
from nqpf.models.mechanism import (
    _bc_interval,
    _group_slopes,
    bootstrap_indirect,
    heterogeneity,
    mediation,
    moderation,
    sobel,
)
from nqpf.study.runner import run_study
from nqpf.study.spec import StudySpec


def panel(n: int = 24, years: range = range(2011, 2019), seed: int = 5, drop: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        ai = rng.normal()
        for t in years:
            x = 0.3 * ai + rng.normal()
            m = 0.8 * x + 0.2 * ai + 0.1 * (t - 2011) + rng.normal(0, 0.7)
            z = rng.normal(1.0, 0.5)
            w = rng.normal()
            y = 0.4 * x + 0.5 * m + 0.3 * z + 0.25 * x * z + 0.2 * w + ai + 0.05 * t + rng.normal(0, 0.8)
            rows.append({"unit": f"P{i:02d}", "year": t, "y": y, "x": x, "m": m, "z": z, "w": w,
                         "grp": "A" if i < n // 3 else "B" if i < 2 * n // 3 else "C"})
    df = pd.DataFrame(rows)
    if drop:
        df = df.drop(index=rng.choice(len(df), drop, replace=False))
    return df.set_index(["unit", "year"])


def dummy_ols(df: pd.DataFrame, formula: str):
    flat = df.reset_index()
    return smf.ols(formula + " + C(unit) + C(year)", flat).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(flat["unit"])[0]})


@pytest.fixture(scope="module")
def med():
    df = panel()
    return df, mediation(df, "y", "x", "m", ["w"], bootstrap=200, seed=7)


def test_stepwise_paths_equal_dummy_ols(med):
    df, res = med
    f1, f2, f3 = (dummy_ols(df, "y ~ x + w"), dummy_ols(df, "m ~ x + w"), dummy_ols(df, "y ~ x + m + w"))
    assert res.c[0] == pytest.approx(f1.params["x"], abs=1e-10)
    assert res.a[0] == pytest.approx(f2.params["x"], abs=1e-10)
    assert res.b[0] == pytest.approx(f3.params["m"], abs=1e-10)
    assert res.c_prime[0] == pytest.approx(f3.params["x"], abs=1e-10)
    assert res.a[1] == pytest.approx(f2.bse["x"], rel=1e-8)
    assert res.b[1] == pytest.approx(f3.bse["m"], rel=1e-8)
    # OLS on one sample with the same fixed effects: c = c' + a·b exactly
    assert res.c[0] == pytest.approx(res.c_prime[0] + res.indirect, abs=1e-10)


def test_sobel_by_hand(med):
    _, res = med
    (a, sa, _), (b, sb, _) = res.a, res.b
    se = np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    assert res.sobel_se == pytest.approx(se, rel=1e-12)
    assert res.sobel_z == pytest.approx(a * b / se, rel=1e-12)
    assert res.sobel_p == pytest.approx(2 * (1 - stats.norm.cdf(abs(a * b / se))), abs=1e-12)
    assert sobel(0.5, 0.1, 0.4, 0.1)[1] == pytest.approx(0.2 / np.sqrt(0.16 * 0.01 + 0.25 * 0.01))


def loop_draws(df: pd.DataFrame, draws: int, seed: int, controls: list[str]) -> np.ndarray:
    """The plain loop: build each resampled panel and refit both paths with linearmodels."""
    units = list(dict.fromkeys(df.index.get_level_values(0)))
    idx = generator(seed).integers(0, len(units), size=(draws, len(units)))
    out = []
    for r in range(draws):
        parts = []
        for k, j in enumerate(idx[r]):
            part = df.loc[[units[j]]].reset_index()
            part["unit"] = f"b{k}"
            parts.append(part)
        bs = pd.concat(parts).set_index(["unit", "year"])
        a = PanelOLS(bs["m"], bs[["x", *controls]], entity_effects=True, time_effects=True).fit().params["x"]
        b = PanelOLS(bs["y"], bs[["x", "m", *controls]], entity_effects=True, time_effects=True).fit().params["m"]
        out.append(a * b)
    return np.array(out)


@pytest.mark.parametrize("drop", [0, 9])
def test_bootstrap_equals_plain_loop(drop):
    df = panel(n=10, drop=drop)
    fast = bootstrap_indirect(df[["y", "x", "m", "w"]], "y", "x", "m", ["w"], 8, seed=3)
    slow = loop_draws(df, 8, 3, ["w"])
    np.testing.assert_allclose(fast, slow, rtol=1e-7, atol=1e-10)


def test_intervals_from_the_draws(med):
    df, res = med
    boot = bootstrap_indirect(df, "y", "x", "m", ["w"], 200, seed=7)
    np.testing.assert_array_equal(res.boot, boot)
    assert res.ci_percentile == pytest.approx(tuple(np.quantile(boot, [0.025, 0.975])))
    z0 = stats.norm.ppf(np.mean(boot < res.indirect))
    lo, hi = stats.norm.cdf(2 * z0 + stats.norm.ppf([0.025, 0.975]))
    assert res.ci_bc == pytest.approx((np.quantile(boot, lo), np.quantile(boot, hi)))
    assert _bc_interval(0.0, np.array([-1.0, 1.0, 2.0, 3.0]), 0.5)[0] < 1.0


def test_mediation_interface(med):
    _, res = med
    assert res.kind in {"complementary", "competitive", "indirect-only", "direct-only", "none"}
    en, zh = res.summary("en"), res.summary("zh")
    assert "Jiang, 2022" in en and "江艇, 2022" in zh
    assert list(res.publication_table().columns) == ["(1) y", "(2) m", "(3) y"]
    assert len(res.figures()) == 1 and res.plot().axes
    assert set(res.tables()) == {"", "table", "bootstrap"}


def test_moderation_against_statsmodels():
    df = panel()
    res = moderation(df, "y", "x", "z", ["w"])
    d = df.copy()
    d["xc"] = d["x"] - d["x"].mean()
    d["zc"] = d["z"] - d["z"].mean()
    ols = dummy_ols(d, "y ~ xc + zc + xc:zc + w")
    assert res.interaction[0] == pytest.approx(ols.params["xc:zc"], abs=1e-10)
    assert res.interaction[1] == pytest.approx(ols.bse["xc:zc"], rel=1e-8)
    sd = d["z"].std(ddof=1)
    for row, zc in zip(res.slopes.itertuples(), (-sd, 0.0, sd), strict=True):
        R = np.zeros(len(ols.params))
        R[list(ols.params.index).index("xc")] = 1.0
        R[list(ols.params.index).index("xc:zc")] = zc
        tt = ols.t_test(R)
        assert row.slope == pytest.approx(float(np.squeeze(tt.effect)), abs=1e-10)
        assert row.std_error == pytest.approx(float(np.squeeze(tt.sd)), rel=1e-8)
    assert res.interaction[0] > 0  # the simulated interaction is +0.25
    assert "Simple slopes" in res.summary("en") and len(res.figures()) == 1


def test_heterogeneity_against_group_regressions():
    df = panel()
    groups = {u: g for (u, _), g in df["grp"].items()}
    res = heterogeneity(df, "y", "x", groups, ["w"], permutations=30, seed=4)
    for g in ("A", "B", "C"):
        sub = df[df["grp"] == g]
        ols = dummy_ols(sub, "y ~ x + w")
        assert res.by_group.loc[g, "coef"] == pytest.approx(ols.params["x"], abs=1e-10)
        assert res.by_group.loc[g, "std_error"] == pytest.approx(ols.bse["x"], rel=1e-8)
    # the pooled interaction test from a dummy regression (common FE), F(q, G-1)
    d = df.copy()
    d["xB"] = d["x"] * (d["grp"] == "B")
    d["xC"] = d["x"] * (d["grp"] == "C")
    ols = dummy_ols(d, "y ~ x + xB + xC + w")
    b = ols.params[["xB", "xC"]].to_numpy()
    F = float(b @ np.linalg.solve(ols.cov_params().loc[["xB", "xC"], ["xB", "xC"]].to_numpy(), b)) / 2
    assert res.pooled["F"] == pytest.approx(F, rel=1e-7)
    # the first permutation of the first pair (A, B), re-estimated with the permuted labels
    pair = [u for u in dict.fromkeys(df.index.get_level_values(0)) if groups[u] in ("A", "B")]
    lab = np.array([groups[u] == "A" for u in pair], dtype=float)
    perm = generator(4).permutation(lab)
    fake = dict(zip(pair, perm, strict=True))
    sub = df[df.index.get_level_values(0).isin(pair)]
    ga = sub[sub.index.get_level_values(0).map(fake) == 1.0]
    gb = sub[sub.index.get_level_values(0).map(fake) == 0.0]
    d0 = dummy_ols(ga, "y ~ x + w").params["x"] - dummy_ols(gb, "y ~ x + w").params["x"]
    W = perm[None, :]
    fast = _group_slopes(sub[["y", "x", "w"]], ["y", "x", "w"], W)[0] - \
        _group_slopes(sub[["y", "x", "w"]], ["y", "x", "w"], 1 - W)[0]
    assert fast == pytest.approx(d0, abs=1e-9)
    assert list(res.pairs[["group_1", "group_2"]].itertuples(index=False, name=None)) == [
        ("A", "B"), ("A", "C"), ("B", "C")]
    assert res.pairs["p_perm"].between(1 / 31, 1).all()


def test_models_from_a_study_file():
    """[models.*] sections on the province data: NQPF → HQD through the HQD innovation sub-index, moderation by
    the green sub-index, heterogeneity across the four regions."""
    spec = StudySpec.model_validate({
        "name": "t", "data": {"dataset": "china-provinces"},
        "index": [{"name": "nqpf", "framework": "nqpf-province", "role": "nqpf"},
                  {"name": "hqd", "framework": "hqd-province", "role": "hqd"}],
        "models": {"channel": {"model": "mediation", "y": "hqd", "x": "nqpf", "m": "hqd.innovation",
                               "bootstrap": 99, "seed": 1},
                   "green": {"model": "moderation", "y": "hqd", "x": "nqpf", "z": "hqd.green"},
                   "regions": {"model": "heterogeneity", "y": "hqd", "x": "nqpf", "permutations": 99}},
    })
    run = run_study(spec)
    med = run.analyses["channel"]
    assert med.nobs == 210 and med.n_units == 30
    assert med.a[0] == pytest.approx(1.3776, abs=1e-4) and med.b[0] == pytest.approx(0.2959, abs=1e-4)
    assert med.c[0] == pytest.approx(0.3550, abs=1e-4)
    het = run.analyses["regions"]
    assert list(het.by_group.index) == ["East", "Central", "West", "Northeast"]
    assert {"channel_hqd_nqpf", "channel_hqd_nqpf_table", "regions_hqd_nqpf_pairs", "green_hqd_nqpf"} <= set(run.tables)


def test_region_groups_of_cities_and_provinces():
    from nqpf.models.mechanism import region_groups

    assert region_groups(["杭州市", "长春市", "成都市", "郑州市"], "city") == {
        "杭州市": "East", "长春市": "Northeast", "成都市": "West", "郑州市": "Central"}
    assert region_groups(["北京", "Atlantis"]) == {"北京": "East"}


def test_report_blocks_and_bilingual_text(med):
    from nqpf.core.blocks import Figure, Table, Text
    from nqpf.core.interface import ReportContext

    df, res = med
    others = [moderation(df, "y", "x", "z"),
              heterogeneity(df, "y", "x", {u: g for (u, _), g in df["grp"].items()}, permutations=9)]
    for r in [res, *others]:
        for lang in ("zh", "en"):
            blocks = r.report(ReportContext(lang=lang))
            kinds = {type(b) for b in blocks}
            assert {Text, Table, Figure} <= kinds
            assert r.narrative(lang) and all(isinstance(s, str) for s in r.narrative(lang))
        assert "(" in r.publication_table(lang="zh").iloc[1, 0]
