"""Every formula of the methods reference (docs/methods/*.md), written out here from the page and compared with nqpf.

Each test names the page it checks in its docstring; ``test_every_methods_page_is_tested`` makes sure no page with
formulas is left out. The numbers come from small hand-made matrices; the formulas are typed in plain numpy as
they stand on the page, independent of the code they check.
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text
from nqpf.measure import measure
from nqpf.methods import aggregate as agg
from nqpf.methods import normalize as nz
from nqpf.methods import weights as wt

ROOT = Path(__file__).resolve().parents[1]
METHODS_DIR = ROOT / "docs" / "methods"

X = np.array([
    [3.0, 10.0, 0.2, 7.0],
    [5.0, 12.0, 0.5, 4.0],
    [9.0, 8.0, 0.4, 6.5],
    [4.0, 15.0, 0.9, 3.0],
    [6.0, 11.0, 0.3, 5.0],
])
POS = np.array([True, True, False, True])

FW = """\
name: docs
title: {zh: 文档, en: Docs}
target:
  id: t
  name_zh: 目标
  name_en: Target
  children:
    - id: d1
      name_zh: 维度一
      name_en: D1
      tags: {lever: st_self_reliance}
      indicators:
        - {id: a, name_zh: 甲, name_en: A, unit: u}
        - {id: b, name_zh: 乙, name_en: B, unit: u, direction: negative}
    - id: d2
      name_zh: 维度二
      name_en: D2
      tags: {lever: modern_industrial_system}
      indicators:
        - {id: c, name_zh: 丙, name_en: C, unit: u}
        - {id: e, name_zh: 丁, name_en: E, unit: u}
"""


def small_panel(n_units: int = 6, years: tuple[int, ...] = (2019, 2020, 2021)) -> Panel:
    rng = np.random.default_rng(7)
    rows, idx = [], []
    for k, y in enumerate(years):
        for u in range(n_units):
            base = 1.0 + 0.3 * u + 0.2 * k
            rows.append([base * rng.uniform(0.8, 1.2), 10 - base * rng.uniform(0.5, 1.5),
                         base ** 2 * rng.uniform(0.7, 1.3), rng.uniform(1, 5)])
            idx.append((f"U{u + 1}", y))
    df = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(idx, names=["unit", "year"]), columns=list("abce"))
    return Panel(df, "docs")


def framework() -> Framework:
    return Framework(parse_framework_text(FW, "docs.yaml"))


def minmax_page(x: np.ndarray, positive: np.ndarray, s: float) -> np.ndarray:
    L, U = x.min(axis=0), x.max(axis=0)
    return np.where(positive, (x - L) / (U - L), (U - x) / (U - L)) + s


def entropy_page(z: np.ndarray) -> np.ndarray:
    n = z.shape[0]
    p = z / z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / math.log(n)
    d = 1 - e
    return d / d.sum()


# ---------------------------------------------------------------------------------------------
def test_every_methods_page_is_tested() -> None:
    """Every page of docs/methods/ with a formula is cited by a test docstring (in this file, or in the test of the
    method that the page documents, so that adding a method touches only its module, its test and its page)."""
    text = "".join(f.read_text(encoding="utf-8") for f in Path(__file__).parent.glob("test_*.py"))
    for page in sorted(METHODS_DIR.glob("*.md")):
        has_math = "$$" in page.read_text(encoding="utf-8") or re.search(
            r"\$[^$]+\$", page.read_text(encoding="utf-8")) is not None
        if page.name in ("index.md", "citing.md") or not has_math:
            continue
        assert f"docs/methods/{page.name}" in text, f"no test cites docs/methods/{page.name}"


# ---------------------------------------------------------------------------------------------
# normalisation
def test_minmax_with_shift() -> None:
    """docs/methods/normalization.md: z = (x - L)/(U - L) + s (positive), (U - x)/(U - L) + s (negative)."""
    for s in (1e-4, 0.0, 0.01):
        np.testing.assert_allclose(nz.minmax(X, POS, shift=s), minmax_page(X, POS, s), rtol=0, atol=1e-15)
    fixed = nz.minmax(X, POS, shift=1e-4, bounds=(np.zeros(4), np.full(4, 20.0)))
    expect = np.where(POS, X / 20.0, (20.0 - X) / 20.0) + 1e-4
    np.testing.assert_allclose(fixed, expect, atol=1e-15)


def test_interval_indicator() -> None:
    """docs/methods/normalization.md: interval indicator with M = max(q1 - L, U - q2)."""
    x = np.array([[1.0], [3.0], [4.5], [6.0], [9.0]])
    q1, q2, s = 4.0, 5.0, 1e-4
    L, U = 1.0, 9.0
    M = max(q1 - L, U - q2)
    expect = [1 - (q1 - v) / M + s if v < q1 else (1 + s if v <= q2 else 1 - (v - q2) / M + s) for v in x[:, 0]]
    np.testing.assert_allclose(nz.interval(x, [q1], [q2], shift=s)[:, 0], expect, atol=1e-15)
    # the whole range inside the best interval: every value scores 1 + s
    np.testing.assert_allclose(nz.interval(x, [0.0], [10.0], shift=s)[:, 0], 1 + s)


def test_zscore_and_vector() -> None:
    """docs/methods/normalization.md: z-score with the sample sd (sign reversed for negatives); vector 1 - r."""
    mean, sd = X.mean(axis=0), X.std(axis=0, ddof=1)
    expect = np.where(POS, (X - mean) / sd, (mean - X) / sd)
    np.testing.assert_allclose(nz.zscore(X, POS), expect, atol=1e-14)
    r = X / np.sqrt((X ** 2).sum(axis=0))
    np.testing.assert_allclose(nz.vector(X, POS), np.where(POS, r, 1 - r), atol=1e-15)


def test_pooled_versus_per_year_bounds() -> None:
    """docs/methods/normalization.md (pooled versus per-year): bounds over all unit-years, or within each year."""
    panel, fw = small_panel(), framework()
    pos = np.array([True, False, True, True])
    pooled = measure(panel, fw)
    Xv = pooled.values.to_numpy()
    np.testing.assert_allclose(pooled.normalized.to_numpy(), minmax_page(Xv, pos, 1e-4), atol=1e-14)
    per = measure(panel, fw, scope="per_year")
    years = per.values.index.get_level_values("year").to_numpy()
    for y in sorted(set(years)):
        rows = years == y
        np.testing.assert_allclose(per.normalized.to_numpy()[rows], minmax_page(Xv[rows], pos, 1e-4), atol=1e-14)


# ---------------------------------------------------------------------------------------------
# weights
def test_entropy_and_global_entropy() -> None:
    """docs/methods/entropy.md: p, e = -(1/ln n) Σ p ln p, d = 1 - e, w = d/Σd; global = on the stacked panel."""
    Z = minmax_page(X, POS, 1e-4)
    np.testing.assert_allclose(wt.entropy(Z), entropy_page(Z), rtol=1e-12)
    e, d, _w = wt.entropy_parts(Z)
    np.testing.assert_allclose(e, 1 - d, atol=1e-15)
    # 0 ln 0 = 0: no shift works too
    Z0 = minmax_page(X, POS, 0.0)
    np.testing.assert_allclose(wt.entropy(Z0), entropy_page(Z0), rtol=1e-12)
    # a constant column gets weight 0
    Zc = np.column_stack([Z, np.full(len(Z), 0.5)])
    assert wt.entropy(Zc)[-1] == 0.0
    panel, fw = small_panel(), framework()
    glob = measure(panel, fw)
    np.testing.assert_allclose(glob.indicator_weights.to_numpy(), entropy_page(glob.normalized.to_numpy()),
                               rtol=1e-12)
    per = measure(panel, fw, weighting="entropy")
    years = per.normalized.index.get_level_values("year").to_numpy()
    for y in sorted(set(years)):
        np.testing.assert_allclose(per.weights_by_year.loc[y].to_numpy(),
                                   entropy_page(per.normalized.to_numpy()[years == y]), rtol=1e-12)


def test_critic() -> None:
    """docs/methods/critic.md: C_j = σ_j Σ_k (1 - r_jk), w = C/ΣC, on the normalised matrix inside measure()."""
    Z = minmax_page(X, POS, 1e-4)
    sigma = Z.std(axis=0, ddof=1)
    R = np.corrcoef(Z, rowvar=False)
    C = sigma * (1 - R).sum(axis=1)
    np.testing.assert_allclose(wt.critic(Z), C / C.sum(), rtol=1e-12)
    res = measure(small_panel(), framework(), weighting="critic")
    Zr = res.normalized.to_numpy()
    Cr = Zr.std(axis=0, ddof=1) * (1 - np.corrcoef(Zr, rowvar=False)).sum(axis=1)
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), Cr / Cr.sum(), rtol=1e-12)


def test_cv_on_raw_values() -> None:
    """docs/methods/cv.md: v = σ/mean, w = v/Σv; measure() uses the raw indicator values."""
    v = X.std(axis=0, ddof=1) / X.mean(axis=0)
    np.testing.assert_allclose(wt.cv(X), v / v.sum(), rtol=1e-12)
    res = measure(small_panel(), framework(), weighting="cv")
    Xr = res.values.to_numpy()
    vr = Xr.std(axis=0) / Xr.mean(axis=0)
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), vr / vr.sum(), rtol=1e-12)


def test_ahp_eigenvector_ci_cr_and_random_index() -> None:
    """docs/methods/ahp.md: A w = λmax w, CI = (λmax - n)/(n - 1), CR = CI/RI_n, and the RI table."""
    A = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w /= w.sum()
    lam = vals.real[k]
    ci = (lam - 3) / 2
    w_nqpf, cr = wt.ahp(A)
    np.testing.assert_allclose(w_nqpf, w, rtol=1e-12)
    assert cr == pytest.approx(ci / 0.58, rel=1e-12)
    np.testing.assert_allclose(A @ w, lam * w, rtol=1e-12)
    table = METHODS_DIR.joinpath("ahp.md").read_text(encoding="utf-8")
    row = next(line for line in table.splitlines() if line.startswith("| $RI_n$"))
    ri = [float(c) for c in row.strip("|").split("|")[1:]]
    assert ri == [wt.SAATY_RANDOM_INDEX[n] for n in range(1, 16)]


def test_combined_rules_and_equal() -> None:
    """docs/methods/combined.md: multiplicative, linear and game-theory combinations; equal weights 1/m."""
    s = np.array([0.5, 0.3, 0.2])
    o = np.array([0.2, 0.3, 0.5])
    w, _ = wt.combined(s, o, how="multiplicative")
    np.testing.assert_allclose(w, s * o / (s * o).sum(), rtol=1e-14)
    w, _ = wt.combined(s, o, how="linear", alpha=0.4)
    np.testing.assert_allclose(w, 0.4 * s + 0.6 * o, rtol=1e-14)
    G = np.array([[s @ s, s @ o], [o @ s, o @ o]])
    a = np.linalg.solve(G, np.array([s @ s, o @ o]))
    a_star = np.abs(a) / np.abs(a).sum()
    w, info = wt.combined(s, o, how="game")
    np.testing.assert_allclose(w, a_star[0] * s + a_star[1] * o, rtol=1e-12)
    assert info["alpha"] == pytest.approx(a_star[0])
    w, info = wt.combined(s, s, how="game")
    assert (info["alpha"], info["beta"]) == (0.5, 0.5)
    np.testing.assert_allclose(wt.equal(4), np.full(4, 0.25))


def test_flat_tree_weights_and_sub_indices() -> None:
    """docs/methods/tree.md: W_g = Σ leaves' w, ω_g = W_g / W_parent, sub-index = Σ (w_j / W_g) z_ij."""
    res = measure(small_panel(), framework())
    w = res.indicator_weights
    table = res.weights.set_index("id")
    Z = res.normalized
    for g, leaves in (("d1", ["a", "b"]), ("d2", ["c", "e"])):
        Wg = w[leaves].sum()
        assert table.loc[g, "global_weight"] == pytest.approx(Wg, rel=1e-12)
        assert table.loc[g, "weight"] == pytest.approx(Wg / 1.0, rel=1e-12)
        sub = (Z[leaves] * (w[leaves] / Wg)).sum(axis=1).to_numpy()
        np.testing.assert_allclose(res.scores[g].to_numpy(), sub, rtol=1e-12)
    assert table.loc["a", "weight"] == pytest.approx(w["a"] / w[["a", "b"]].sum(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# aggregation
def test_weighted_sum() -> None:
    """docs/methods/weighted-sum.md: S_i = Σ_j w_j z_ij."""
    Z = minmax_page(X, POS, 1e-4)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(agg.weighted_sum(Z, w), [sum(w[j] * Z[i, j] for j in range(4)) for i in range(5)],
                               rtol=1e-14)


def test_topsis() -> None:
    """docs/methods/topsis.md: v = w z, A± = column max/min of v, D± Euclidean, C = D-/(D+ + D-)."""
    Z = minmax_page(X, POS, 1e-4)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    V = Z * w
    Ap, Am = V.max(axis=0), V.min(axis=0)
    Dp = np.sqrt(((V - Ap) ** 2).sum(axis=1))
    Dm = np.sqrt(((V - Am) ** 2).sum(axis=1))
    np.testing.assert_allclose(agg.topsis(Z, w), Dm / (Dp + Dm), rtol=1e-12)
    res = measure(small_panel(), framework(), aggregation="topsis")
    Zr, wr = res.normalized.to_numpy(), res.indicator_weights.to_numpy()
    Vr = Zr * wr
    Dp = np.sqrt(((Vr - Vr.max(axis=0)) ** 2).sum(axis=1))
    Dm = np.sqrt(((Vr - Vr.min(axis=0)) ** 2).sum(axis=1))
    np.testing.assert_allclose(res.scores["score"].to_numpy(), Dm / (Dp + Dm), rtol=1e-12)


def test_gra() -> None:
    """docs/methods/gra.md: Δ = |x0 - z|, ξ = (Δmin + ρΔmax)/(Δ + ρΔmax), r = Σ w ξ, x0 = column max."""
    Z = minmax_page(X, POS, 1e-4)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    for rho in (0.5, 0.3):
        delta = np.abs(Z.max(axis=0) - Z)
        xi = (delta.min() + rho * delta.max()) / (delta + rho * delta.max())
        np.testing.assert_allclose(agg.gra(Z, w, rho=rho), xi @ w, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# analyses
def test_dagum_gini_formulas() -> None:
    """docs/methods/dagum-gini.md: G, Gjj, Gjh, D_jh, and G = Gw + Gnb + Gt, by brute force."""
    from nqpf.analysis.disparity import dagum_gini

    y = np.array([1.0, 2.0, 2.5, 3.0, 5.0, 6.0, 4.0, 8.0, 9.5, 0.5, 1.5])
    g = np.array(list("AAABBBCCCAA"))
    res = dagum_gini(y, g)
    n, mu = len(y), y.mean()
    G = np.abs(y[:, None] - y[None, :]).sum() / (2 * n ** 2 * mu)
    groups = sorted(set(g), key=lambda k: y[g == k].mean())
    assert res.groups == groups
    p = {k: (g == k).sum() / n for k in groups}
    s = {k: y[g == k].sum() / y.sum() for k in groups}
    Gjj = {k: np.abs(y[g == k][:, None] - y[g == k][None, :]).sum() / (2 * (g == k).sum() ** 2 * y[g == k].mean())
           for k in groups}
    Gw = sum(Gjj[k] * p[k] * s[k] for k in groups)
    Gnb = Gt = 0.0
    for h_i, j_i in combinations(range(len(groups)), 2):
        j, h = groups[j_i], groups[h_i]  # j has the higher mean
        yj, yh = y[g == j], y[g == h]
        diff = yj[:, None] - yh[None, :]
        Gjh = np.abs(diff).sum() / (len(yj) * len(yh) * (yj.mean() + yh.mean()))
        d = np.clip(diff, 0, None).sum() / (len(yj) * len(yh))
        pp = np.clip(-diff, 0, None).sum() / (len(yj) * len(yh))
        D = (d - pp) / (d + pp)
        Gnb += Gjh * (p[j] * s[h] + p[h] * s[j]) * D
        Gt += Gjh * (p[j] * s[h] + p[h] * s[j]) * (1 - D)
        assert res.Gjh(j, h) == pytest.approx(Gjh, rel=1e-12)
        assert res.D_jh[(j, h)] == pytest.approx(D, rel=1e-12)
    assert res.G == pytest.approx(G, rel=1e-12)
    for k in groups:
        assert res.within[k] == pytest.approx(Gjj[k], rel=1e-12)
    assert (res.Gw, res.Gnb, res.Gt) == pytest.approx((Gw, Gnb, Gt), rel=1e-12)
    assert Gw + Gnb + Gt == pytest.approx(G, rel=1e-12)


def _frame(values: dict[tuple[str, int], float]) -> pd.DataFrame:
    return pd.DataFrame([{"unit": u, "year": y, "score": v} for (u, y), v in values.items()])


def test_kernel_density_scott_and_silverman() -> None:
    """docs/methods/kernel-density.md: f(x) = 1/(nh) Σ K((x - x_i)/h), h = c σ̂, c = n^(-1/5) or (3n/4)^(-1/5)."""
    from nqpf.analysis.dynamics import kernel_density

    rng = np.random.default_rng(3)
    vals = {(f"U{i}", y): float(v) for y in (2020, 2021) for i, v in enumerate(rng.gamma(2.0, 0.1, 12))}
    frame = _frame(vals)
    grid = np.linspace(-0.2, 1.0, 25)
    for rule, factor in (("scott", lambda n: n ** (-1 / 5)), ("silverman", lambda n: (3 * n / 4) ** (-1 / 5))):
        kd = kernel_density(frame, bandwidth=rule, grid=grid)
        for y in (2020, 2021):
            x = frame.loc[frame["year"] == y, "score"].to_numpy()
            n = len(x)
            h = factor(n) * x.std(ddof=1)
            f = (np.exp(-0.5 * ((grid[:, None] - x[None, :]) / h) ** 2) / math.sqrt(2 * math.pi)).sum(axis=1) / (n * h)
            np.testing.assert_allclose(kd.density.loc[y].to_numpy(), f, rtol=1e-10)
            assert kd.bandwidth[y] == pytest.approx(h, rel=1e-12)


@pytest.fixture(scope="module")
def province_result():
    """nqpf-province-core on 30 provinces, 2013-2023 (as in its documentation)."""
    import nqpf

    panel = nqpf.load_dataset("china-provinces")
    units = [u for u in panel.units if u != "西藏"]
    return nqpf.measure(panel, nqpf.load_framework("nqpf-province-core"), years=(2013, 2023), units=units,
                        missing="error")


def test_markov_and_spatial_markov(province_result) -> None:
    """docs/methods/markov.md: p_ij = n_ij/n_i; conditional p_l,ij; Q and LR homogeneity statistics."""
    from nqpf.analysis.dynamics import markov, spatial_markov

    mk = markov(province_result, k=4)
    ids = mk.class_ids.to_numpy()
    N = np.zeros((4, 4))
    for t in range(ids.shape[1] - 1):
        for a, b in zip(ids[:, t], ids[:, t + 1], strict=True):
            N[a, b] += 1
    np.testing.assert_allclose(mk.transitions.to_numpy(), N)
    np.testing.assert_allclose(mk.p.to_numpy(), N / N.sum(axis=1, keepdims=True), rtol=1e-12)
    pi = mk.steady_state
    np.testing.assert_allclose(pi @ mk.p.to_numpy(), pi, atol=1e-10)

    sm = spatial_markov(province_result, k=4)
    cls, lag = sm.class_ids.to_numpy(), sm.lag_class_ids.to_numpy()
    T = np.zeros((4, 4, 4))
    for t in range(cls.shape[1] - 1):
        for a, b, l in zip(cls[:, t], cls[:, t + 1], lag[:, t], strict=True):
            T[l, a, b] += 1
    np.testing.assert_allclose(sm.T, T)
    n_li = T.sum(axis=2, keepdims=True)
    P_l = np.divide(T, n_li, out=np.zeros_like(T), where=n_li > 0)
    np.testing.assert_allclose(sm.P, P_l, rtol=1e-12)
    pooled = T.sum(axis=0)
    p = pooled / pooled.sum(axis=1, keepdims=True)
    Q = sum(n_li[l, i, 0] * (P_l[l, i, j] - p[i, j]) ** 2 / p[i, j]
            for l in range(4) for i in range(4) for j in range(4) if p[i, j] > 0)
    LR = 2 * sum(T[l, i, j] * math.log(P_l[l, i, j] / p[i, j])
                 for l in range(4) for i in range(4) for j in range(4) if T[l, i, j] > 0 and p[i, j] > 0)
    assert sm.Q == pytest.approx(Q, rel=1e-10)
    assert sm.LR == pytest.approx(LR, rel=1e-10)
    b = (T.sum(axis=2) > 0).sum(axis=0)
    a = (pooled > 0).sum(axis=1)
    assert sm.dof == int(((b - 1) * (a - 1)).sum())


def test_moran_and_lisa(province_result) -> None:
    """docs/methods/moran-lisa.md: I = (n/S0) Σ w (x-x̄)(x-x̄)/Σ(x-x̄)², E[I] = -1/(n-1), I_i = (n-1) z_i Σ w z / Σ z²."""
    from nqpf.analysis.spatial import lisa, moran
    from nqpf.geo.weights import spatial_weights

    w = spatial_weights(province_result.units)
    Wm, ids = w.full()
    ids = [str(i) for i in ids]
    s = province_result.year_scores(2023).reindex(ids).to_numpy()
    n = len(s)
    dev = s - s.mean()
    I = n / Wm.sum() * (dev @ Wm @ dev) / (dev @ dev)
    mi = moran(province_result, w, permutations=0, years=[2023])
    assert mi.I[0] == pytest.approx(I, rel=1e-12)
    assert mi.EI[0] == pytest.approx(-1 / (n - 1))
    z = dev / s.std()
    Ii = (n - 1) * z * (Wm @ z) / (z @ z)
    lo = lisa(province_result, w, year=2023, permutations=0)
    got = lo.table.set_index("unit").reindex(ids)["Is"].to_numpy()
    np.testing.assert_allclose(got, Ii, rtol=1e-12)
    quad = np.where(z > 0, np.where(Wm @ z > 0, "HH", "HL"), np.where(Wm @ z > 0, "LH", "LL"))
    assert list(lo.table.set_index("unit").reindex(ids)["quadrant"]) == list(quad)


def test_sigma_and_beta_convergence(province_result) -> None:
    """docs/methods/convergence.md: CV_t with ddof 0, sd of logs, g = α + β ln y0, λ = -ln(1+β), half-life ln2/λ."""
    from nqpf.analysis.convergence import beta_convergence, sigma_convergence

    sc = sigma_convergence(province_result).table.set_index("year")
    for y in (2013, 2023):
        x = province_result.year_scores(y).to_numpy()
        assert sc.loc[y, "cv"] == pytest.approx(np.sqrt(((x - x.mean()) ** 2).mean()) / x.mean(), rel=1e-12)
        assert sc.loc[y, "sd_log"] == pytest.approx(np.log(x).std(), rel=1e-12)
    m = province_result.score_matrix()
    lny = np.log(m.to_numpy())
    g = (lny[:, 1:] - lny[:, :-1]).ravel()
    y0 = lny[:, :-1].ravel()
    A = np.column_stack([np.ones_like(y0), y0])
    _alpha, beta = np.linalg.lstsq(A, g, rcond=None)[0]
    bc = beta_convergence(province_result)
    assert bc.beta == pytest.approx(beta, rel=1e-10)
    if -1 < beta < 0:
        lam = -math.log(1 + beta)
        assert bc.lambda_ == pytest.approx(lam, rel=1e-10)
        assert bc.half_life == pytest.approx(math.log(2) / lam, rel=1e-10)


def test_coupling_coordination_and_wrong_forms() -> None:
    """docs/methods/coupling.md: C = n(ΠU)^(1/n)/ΣU, T = Σ α U, D = √(CT), classes, wrong forms, modified C."""
    from nqpf.analysis.coupling import coordination_level, coupling_coordination, coupling_degree

    U = np.array([[0.3, 0.6], [0.5, 0.5], [0.2, 0.8], [0.9, 0.7]])
    C = 2 * np.sqrt(U[:, 0] * U[:, 1]) / U.sum(axis=1)
    C_long = ((2 ** 2 * U.prod(axis=1)) / U.sum(axis=1) ** 2) ** (1 / 2)
    np.testing.assert_allclose(C, C_long, rtol=1e-14)
    cc = coupling_coordination(U[:, 0], U[:, 1], alpha=[0.4, 0.6])
    T = 0.4 * U[:, 0] + 0.6 * U[:, 1]
    np.testing.assert_allclose(cc.C, C, rtol=1e-14)
    np.testing.assert_allclose(cc.T, T, rtol=1e-14)
    np.testing.assert_allclose(cc.D, np.sqrt(C * T), rtol=1e-14)
    U3 = np.array([[0.2, 0.4, 0.6], [0.5, 0.5, 0.5]])
    np.testing.assert_allclose(coupling_degree(U3), 3 * U3.prod(axis=1) ** (1 / 3) / U3.sum(axis=1), rtol=1e-14)
    # equal weights: C T = (Π U)^(1/n)
    eq = coupling_coordination(U3[:, 0], U3[:, 1], U3[:, 2])
    np.testing.assert_allclose(eq.C * eq.T, U3.prod(axis=1) ** (1 / 3), rtol=1e-14)
    # the wrong forms of the page, at U1 = U2 = U3 = u, where the correct C is 1
    u = 0.5
    assert coupling_degree(np.full((1, 3), u))[0] == pytest.approx(1.0)
    assert math.sqrt(u * u) / (u + u) == pytest.approx(0.5)
    assert (u ** 3 / ((2 * u) ** 3)) ** (1 / 3) == pytest.approx(0.5)
    assert 3 * math.sqrt(u ** 3) / (3 * u) == pytest.approx(math.sqrt(u))
    # modified C
    Um = np.array([[0.3, 0.6], [0.2, 0.5, ], [0.7, 0.7]])
    two = np.sqrt((1 - np.abs(Um[:, 1] - Um[:, 0])) * Um.min(axis=1) / Um.max(axis=1))
    np.testing.assert_allclose(coupling_degree(Um, "modified"), two, rtol=1e-14)
    row = U3[0]
    gaps = sum(abs(a - b) for a, b in combinations(row, 2))
    mod = math.sqrt((1 - gaps / (1 + 2)) * np.prod(row / row.max()) ** (1 / 2))
    assert coupling_degree(U3[:1], "modified")[0] == pytest.approx(mod, rel=1e-14)
    # ten classes, half-open, a boundary goes up
    assert list(coordination_level([0.0, 0.09, 0.1, 0.5, 0.59, 0.9, 1.0])) == [1, 1, 2, 6, 6, 10, 10]


def test_obstacle_degree() -> None:
    """docs/methods/obstacle.md: F = global weight, I = 1 - (z - s), O = F I / Σ F I × 100; groups are sums."""
    from nqpf.analysis.obstacle import obstacle_degree

    res = measure(small_panel(), framework())
    ob = obstacle_degree(res)
    F = res.indicator_weights.to_numpy()
    I = 1 - (res.normalized.to_numpy() - 1e-4)
    O = F * I / (F * I).sum(axis=1, keepdims=True) * 100
    np.testing.assert_allclose(ob.O.to_numpy(), O, rtol=1e-12)
    dims = ob.dimensions
    np.testing.assert_allclose(dims["d1"].to_numpy(), O[:, :2].sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(ob.levers["st_self_reliance"].to_numpy(), O[:, :2].sum(axis=1), rtol=1e-12)


def test_scenario_rescoring() -> None:
    """docs/methods/scenario.md: z' with the measured bounds, S' = Σ w z'; other units keep their scores."""
    from nqpf.analysis.scenario import scenario

    res = measure(small_panel(), framework())
    sc = scenario(res, {"a": "+10%", "c": 0.5}, unit="U2", year=2020)
    x = res.values.loc[("U2", 2020)].to_numpy().copy()
    x[0] *= 1.10
    x[2] += 0.5
    Xall = res.values.to_numpy()
    L, U = Xall.min(axis=0), Xall.max(axis=0)
    pos = np.array([True, False, True, True])
    z = np.where(pos, (x - L) / (U - L), (U - x) / (U - L)) + 1e-4
    assert sc.score_after == pytest.approx(float(z @ res.indicator_weights.to_numpy()), rel=1e-12)
    others = sc.scores[sc.scores["unit"] != "U2"].set_index("unit")["score"]
    before = res.year_scores(2020).drop("U2")
    np.testing.assert_allclose(others.reindex(before.index).to_numpy(), before.to_numpy(), rtol=1e-12)


def test_panel_regression_within_estimator() -> None:
    """docs/methods/regression.md: y_it = β x_i,t-L + μ_i + λ_t + ε; β by two-way demeaning on a balanced panel."""
    from nqpf.analysis.regression import panel_regression

    rng = np.random.default_rng(11)
    units, years = [f"U{i}" for i in range(8)], list(range(2010, 2018))
    idx = pd.MultiIndex.from_product([units, years], names=["unit", "year"])
    mu = pd.Series(rng.normal(size=8), index=units)
    lam = pd.Series(rng.normal(size=8), index=years)
    x = pd.Series(rng.normal(size=len(idx)), index=idx, name="x")
    y = pd.Series(0.7 * x.to_numpy() + mu.reindex(idx.get_level_values(0)).to_numpy()
                  + lam.reindex(idx.get_level_values(1)).to_numpy() + rng.normal(scale=0.3, size=len(idx)),
                  index=idx, name="y")
    reg = panel_regression(y, x, lags=(0,))

    def demean(s: pd.Series) -> np.ndarray:
        m = s.unstack("year")
        return (m - m.mean(axis=1).to_numpy()[:, None] - m.mean(axis=0).to_numpy()[None, :]
                + m.to_numpy().mean()).to_numpy().ravel()

    xd, yd = demean(x), demean(y)
    assert reg.params.loc["x", "(1)"] == pytest.approx(float(xd @ yd / (xd @ xd)), rel=1e-10)


def test_rank_agreement_spearman_kendall() -> None:
    """docs/methods/uncertainty.md: ρ = 1 - 6Σd²/(n(n²-1)) and τ_b = (n_c - n_d)/√((n0-n1)(n0-n2)) without ties."""
    from nqpf.analysis.agreement import rank_agreement

    a_vals = [0.9, 0.7, 0.4, 0.6, 0.2, 0.5]
    b_vals = [0.8, 0.5, 0.45, 0.7, 0.1, 0.2]
    units = [f"U{i}" for i in range(6)]

    def result(vals: list[float]):
        res = measure(small_panel(), framework())
        scores = pd.DataFrame({"unit": units, "year": 2020, "score": vals})
        scores["rank"] = scores["score"].rank(ascending=False).astype(int)
        res.scores = scores
        return res

    ra = rank_agreement(result(a_vals), result(b_vals), "a", "b").to_frame().iloc[0]
    ra_a = pd.Series(a_vals).rank().to_numpy()
    rb = pd.Series(b_vals).rank().to_numpy()
    n = 6
    rho = 1 - 6 * ((ra_a - rb) ** 2).sum() / (n * (n ** 2 - 1))
    nc = nd = 0
    for i, j in combinations(range(n), 2):
        sgn = (a_vals[i] - a_vals[j]) * (b_vals[i] - b_vals[j])
        nc += sgn > 0
        nd += sgn < 0
    n0 = n * (n - 1) / 2
    assert ra["spearman"] == pytest.approx(rho, rel=1e-12)
    assert ra["kendall"] == pytest.approx((nc - nd) / math.sqrt(n0 * n0), rel=1e-12)


def test_monte_carlo_weight_draws() -> None:
    """docs/methods/uncertainty.md: w ~ Dir(c w̄), E[w] = w̄, Var[w] = w̄(1 - w̄)/(c + 1)."""
    from nqpf.analysis.uncertainty import draw_weights

    wbar = np.array([0.1, 0.2, 0.3, 0.4])
    W = draw_weights(wbar, 20000, concentration=50, seed=3)
    np.testing.assert_allclose(W, np.random.default_rng(3).dirichlet(50 * wbar, size=20000), rtol=1e-12)
    np.testing.assert_allclose(W.mean(axis=0), wbar, atol=3e-3)
    np.testing.assert_allclose(W.var(axis=0), wbar * (1 - wbar) / 51, rtol=0.06)
    U = draw_weights(wbar, 5, scheme="uniform", seed=1)
    np.testing.assert_allclose(U, np.random.default_rng(1).dirichlet(np.ones(4), size=5), rtol=1e-12)


def test_mechanism_formulas() -> None:
    """docs/methods/mechanism.md: c = c' + ab; Sobel z; the bias-corrected quantiles Φ(2z0 ± z); the simple slope
    β1 + β3 z with se sqrt(V11 + z²V33 + 2zV13); the weighted moment matrix Σ w_i Σ_t u u' − (Σ w) Σ_t m m'."""
    from scipy import stats

    from nqpf.models._fe import weighted_crossproducts, within
    from nqpf.models.mechanism import _bc_interval, mediation, sobel

    rng = np.random.default_rng(2)
    n, T = 10, 5
    idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(n)], range(2015, 2015 + T)], names=["unit", "year"])
    x = rng.normal(size=n * T)
    m = 0.7 * x + rng.normal(size=n * T)
    y = 0.3 * x + 0.5 * m + rng.normal(size=n * T)
    res = mediation(pd.DataFrame({"y": y, "x": x, "m": m}, index=idx), "y", "x", "m", bootstrap=50, seed=1)
    assert res.c[0] == pytest.approx(res.c_prime[0] + res.a[0] * res.b[0], abs=1e-12)
    (a, sa, _), (b, sb, _) = res.a, res.b
    assert sobel(a, sa, b, sb)[1] == pytest.approx(a * b / math.sqrt(b * b * sa * sa + a * a * sb * sb))
    boot = res.boot
    z0 = stats.norm.ppf(np.mean(boot < res.indirect))
    q = stats.norm.cdf([2 * z0 + stats.norm.ppf(0.025), 2 * z0 + stats.norm.ppf(0.975)])
    assert _bc_interval(res.indirect, boot, 0.05) == pytest.approx(tuple(np.quantile(boot, q)))
    # moment matrix under unit weights = weighted within transformation
    Z = rng.normal(size=(n, T, 2))
    U = Z - Z.mean(axis=1, keepdims=True)
    w = rng.integers(0, 3, size=n).astype(float)
    w[0] = 1.0
    mt = (w[:, None, None] * U).sum(0) / w.sum()
    page = np.einsum("i,itk,itl->kl", w, U, U) - w.sum() * np.einsum("tk,tl->kl", mt, mt)
    ucode = np.repeat(np.arange(n), T)
    ycode = np.tile(np.arange(T), n)
    keep = w[ucode] > 0
    zt = within(Z.reshape(n * T, 2)[keep], ucode[keep], ycode[keep], weights=w[ucode][keep])
    np.testing.assert_allclose(weighted_crossproducts(U, w[None, :])[0], page, rtol=1e-10)
    np.testing.assert_allclose(zt.T @ (zt * w[ucode][keep, None]), page, rtol=1e-8)


def test_did_formulas() -> None:
    """docs/methods/did.md: D = 1[t ≥ g]; binned relative periods min(max(t − g, −L), K) with −1 omitted; the
    pre-trend F = W/q against F(q, G − 1); the placebo p = (1 + #{|β_r| ≥ |β|}) / (R + 1)."""
    from scipy import stats

    from nqpf.models._fe import wald_test
    from nqpf.models.did import event_dummies

    years = np.array([2010, 2012, 2013, 2015, 2019, 2019])
    g = np.array([2013.0, 2013.0, 2013.0, 2013.0, 2013.0, np.nan])
    d = event_dummies(years, g, 2, 3)
    rel = np.clip(years - np.nan_to_num(g, nan=0), -2, 3)
    for col, e in zip(d.columns, (-2, 0, 1, 2, 3), strict=True):
        np.testing.assert_array_equal(d[col].to_numpy(), ((rel == e) & np.isfinite(g)).astype(int))
    assert d.iloc[1].sum() == 0  # t − g = −1: the reference period
    params = pd.Series({"a": 0.4, "b": -0.2})
    V = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["a", "b"], columns=["a", "b"])
    W = float(params.to_numpy() @ np.linalg.solve(V.to_numpy(), params.to_numpy()))
    t = wald_test(params, V, ["a", "b"], n_clusters=30)
    assert t["F"] == pytest.approx(W / 2) and t["p"] == pytest.approx(stats.f.sf(W / 2, 2, 29))
    draws = np.array([0.1, -0.5, 0.3, 0.6])
    beta = 0.5
    assert (1 + np.sum(np.abs(draws) >= abs(beta))) / (len(draws) + 1) == pytest.approx(0.6)
# ---------------------------------------------------------------------------------------------
# models: thresholds, instruments
def test_threshold_ssr_and_lr() -> None:
    """docs/methods/threshold.md: S(γ) = e0'e0 − b'A⁻¹b, F_k = (S_{k−1} − S_k)/σ̂², σ̂² = S_k/(N(T−1)), c(α)."""
    from nqpf.models.threshold import c_alpha, ssr_path, threshold_regression

    rng = np.random.default_rng(0)
    N, T = 12, 5
    n = N * T
    D = np.kron(np.eye(N), np.ones((T, 1)))
    M_D = np.eye(n) - D @ np.linalg.inv(D.T @ D) @ D.T
    q, r, x = rng.random(n), rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    y = x[:, 0] + r[:, 0] * (q > 0.4) + rng.normal(size=n)
    X0 = M_D @ np.hstack([x, r])
    e0 = M_D @ y - X0 @ np.linalg.lstsq(X0, M_D @ y, rcond=None)[0]
    page = []
    for g in (0.3, 0.5, 0.7):
        W = M_D @ (r * (q <= g)[:, None])
        A = W.T @ W - W.T @ X0 @ np.linalg.inv(X0.T @ X0) @ X0.T @ W
        b = W.T @ e0
        page.append(e0 @ e0 - b @ np.linalg.solve(A, b))
    got = ssr_path(M_D @ y, X0, r, q, np.repeat(np.arange(N), T), T, np.array([0.3, 0.5, 0.7]))[:, 0]
    np.testing.assert_allclose(got, page, rtol=1e-10)
    assert c_alpha(0.95) == pytest.approx(-2 * math.log(1 - math.sqrt(0.95)))
    df = pd.DataFrame({"unit": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N), "y": y, "x": x[:, 0],
                       "r": r[:, 0], "q": q})
    res = threshold_regression(df, "y", "r", "q", "x", grid="all", bootstrap=0, trim=0.1)
    S0 = e0 @ e0
    S1 = res.tests.loc["single", "ssr"]
    assert res.tests.loc["single", "F"] == pytest.approx((S0 - S1) / (S1 / (N * (T - 1))), rel=1e-10)


def test_iv_weak_instrument_statistics() -> None:
    """docs/methods/robustness.md: partial F = ((SSR_r − SSR_u)/L)/(SSR_u/(n − L − k_c − k_fe)); Cragg–Donald =
    min eig(Σvv^{-1/2} X̃'P_Z̃ X̃ Σvv^{-1/2})/L."""
    from nqpf.models.robustness import iv_2sls

    rng = np.random.default_rng(1)
    N, T = 20, 6
    n = N * T
    z = rng.normal(size=(n, 2))
    x = np.column_stack([z @ [0.5, 0.2] + rng.normal(size=n), z @ [0.1, 0.6] + rng.normal(size=n)])
    y = x @ [0.3, -0.2] + rng.normal(size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N), "y": y,
                       "x1": x[:, 0], "x2": x[:, 1], "z1": z[:, 0], "z2": z[:, 1]})
    res = iv_2sls(df, "y", ["x1", "x2"], ["z1", "z2"], effects="unit")
    D = np.kron(np.eye(N), np.ones((T, 1)))
    M = np.eye(n) - D @ np.linalg.inv(D.T @ D) @ D.T
    Zt, Xt = M @ z, M @ x
    P = Zt @ np.linalg.inv(Zt.T @ Zt) @ Zt.T
    V = Xt - P @ Xt
    k_fe = N
    S = V.T @ V / (n - 2 - 0 - k_fe)
    w, U = np.linalg.eigh(S)
    Sh = U @ np.diag(w ** -0.5) @ U.T
    cd = np.linalg.eigvalsh(Sh @ Xt.T @ P @ Xt @ Sh).min() / 2
    assert res.cragg_donald == pytest.approx(cd, rel=1e-9)
    ssr_r, ssr_u = Xt[:, 0] @ Xt[:, 0], V[:, 0] @ V[:, 0]
    F = ((ssr_r - ssr_u) / 2) / (ssr_u / (n - 2 - 0 - k_fe))
    assert res.first_stage.loc["x1", "partial_F"] == pytest.approx(F, rel=1e-9)
def test_spatial_panel_likelihood_and_effects() -> None:
    """docs/methods/spatial-panel.md: ln L(ρ) with n*, T*, δ (Lee–Yu, two-way) and the direct/total effects."""
    from nqpf.models.spatial_panel import fit_spatial_panel, spatial_effects

    n, t = 6, 5
    c = np.eye(n, k=1) + np.eye(n, k=-1)
    c[0, -1] = c[-1, 0] = 1.0
    w = c / c.sum(axis=1, keepdims=True)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(t, n, 1))
    y = np.stack([np.linalg.solve(np.eye(n) - 0.3 * w, 1.5 * x[s, :, 0] + 0.4 * w @ x[s, :, 0] + rng.normal(size=n))
                  for s in range(t)])
    fit = fit_spatial_panel(y, x, w, model="sdm", effects="twoway", lee_yu=True)

    def dm(a):  # two-way demeaning of (T, N, ...) arrays
        return a - a.mean(0, keepdims=True) - a.mean(1, keepdims=True) + a.mean((0, 1), keepdims=True)

    z = dm(np.concatenate([x, np.einsum("ij,tjk->tik", w, x)], axis=2)).reshape(t * n, 2)
    yd, wyd = dm(y).ravel(), dm(np.einsum("ij,tj->ti", w, y)).ravel()
    b0, b1 = (np.linalg.lstsq(z, v, rcond=None)[0] for v in (yd, wyd))
    e0, e1 = yd - z @ b0, wyd - z @ b1
    omega = np.linalg.eigvals(w).real
    n_star, t_star, delta = (n - 1) * (t - 1), t - 1, 1
    rho = fit.params["rho"]
    e = e0 - rho * e1
    lnl = (-n_star / 2 * (np.log(2 * np.pi * (e @ e) / n_star) + 1)
           + t_star * (np.log(1 - rho * omega).sum() - delta * np.log(1 - rho)))
    assert fit.loglik == pytest.approx(lnl, rel=1e-10)
    assert fit.params[["x1", "W·x1"]].to_numpy() == pytest.approx(b0 - rho * b1, rel=1e-9)
    assert fit.params["sigma2"] == pytest.approx((e @ e) / n_star, rel=1e-9)
    eff = spatial_effects(fit, w, draws=0).set_index("effect")["estimate"]
    beta, theta = fit.params["x1"], fit.params["W·x1"]
    direct = beta / n * (1 / (1 - rho * omega)).sum() + theta / n * (omega / (1 - rho * omega)).sum()
    assert eff["direct"] == pytest.approx(direct, rel=1e-10)
    assert eff["total"] == pytest.approx((beta + theta) / (1 - rho), rel=1e-10)
    assert eff["indirect"] == pytest.approx((beta + theta) / (1 - rho) - direct, rel=1e-9)
