"""Cluster bootstrap of the indirect effect and the DID permutation placebo: nqpf against a plain loop.

Baselines, measured in the same run:
- mediation bootstrap: for each draw build the resampled panel (a unit drawn twice becomes two units) and refit both
  paths with linearmodels PanelOLS (two-way FE) — what a user writes by hand;
- DID placebo: for each draw rebuild the placebo D and refit the TWFE regression with linearmodels.
The loops are timed on a few draws and scaled to the full count. Usage: python bench/bench_mechanism.py [--quick]
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd
from linearmodels import PanelOLS

from nqpf.core.rng import generator
from nqpf.models.did import did
from nqpf.models.mechanism import bootstrap_indirect


def make_panel(n: int, T: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"u{i:04d}" for i in range(n)], range(2000, 2000 + T)], names=["unit", "year"])
    a = np.repeat(rng.normal(size=n), T)
    x = rng.normal(size=n * T) + 0.3 * a
    m = 0.7 * x + rng.normal(size=n * T)
    w = rng.normal(size=n * T)
    y = 0.3 * x + 0.5 * m + 0.2 * w + a + rng.normal(size=n * T)
    return pd.DataFrame({"y": y, "x": x, "m": m, "w": w}, index=idx)


def loop_bootstrap(df: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
    units = list(dict.fromkeys(df.index.get_level_values(0)))
    idx = generator(seed).integers(0, len(units), size=(draws, len(units)))
    flat = df.reset_index()
    by_unit = {u: g for u, g in flat.groupby("unit", sort=False)}
    out = []
    for r in range(draws):
        parts = [by_unit[units[j]].assign(unit=f"b{k}") for k, j in enumerate(idx[r])]
        bs = pd.concat(parts).set_index(["unit", "year"])
        a = PanelOLS(bs["m"], bs[["x", "w"]], entity_effects=True, time_effects=True).fit().params["x"]
        b = PanelOLS(bs["y"], bs[["x", "m", "w"]], entity_effects=True, time_effects=True).fit().params["m"]
        out.append(a * b)
    return np.array(out)


def best(fn, reps: int = 3) -> float:
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main(quick: bool) -> None:
    n, T, B = (100, 10, 200) if quick else (300, 15, 999)
    df = make_panel(n, T)
    ours = best(lambda: bootstrap_indirect(df, "y", "x", "m", ["w"], B, seed=1))
    k = 5
    t0 = time.perf_counter()
    slow = loop_bootstrap(df, k, seed=1)
    loop = (time.perf_counter() - t0) / k * B
    diff = np.max(np.abs(bootstrap_indirect(df, "y", "x", "m", ["w"], k, seed=1) - slow))
    print(f"mediation bootstrap, {n} units × {T} years, {B} draws: nqpf {ours:.2f} s, plain loop ~{loop:.1f} s "
          f"(scaled from {k} draws), ratio {loop / ours:.0f}×; max |difference| {diff:.1e}")
    g = {u: 2005 + (i % 3) * 2 for i, u in enumerate(df.index.get_level_values(0).unique()) if i % 2 == 0}
    R = 200 if quick else 999
    ours = best(lambda: did(df, "y", g, placebo=R, seed=1, robust=False), reps=2)
    flat = df.reset_index()
    units = list(dict.fromkeys(flat["unit"]))
    gu = np.array([g.get(u, np.nan) for u in units])
    rng = generator(1)
    t0 = time.perf_counter()
    for _ in range(k):
        perm = dict(zip(units, rng.permutation(gu), strict=True))
        gg = flat["unit"].map(perm).to_numpy(float)
        D = (np.isfinite(gg) & (flat["year"].to_numpy() >= np.nan_to_num(gg, nan=np.inf))).astype(float)
        p = flat.assign(D=D).set_index(["unit", "year"])
        PanelOLS(p["y"], p[["D"]], entity_effects=True, time_effects=True).fit()
    loop = (time.perf_counter() - t0) / k * R
    print(f"DID placebo, {n} units × {T} years, {R} draws: nqpf did() {ours:.2f} s in total (TWFE, event study and "
          f"placebo), the placebo loop alone ~{loop:.1f} s, ratio {loop / ours:.0f}×")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main("--quick" in sys.argv)
