"""Benchmark: Hansen (1999) double threshold with 300 + 300 bootstrap draws, nqpf vs a plain loop.

Data: Hansen's investment panel (565 firms × 14 years = 7,910 observations), ../shared/data/replication/
hansen1999_investment.csv (Stata's xthreg example data; not bundled). Model: y = i, regime-dependent c1,
threshold d1, regime-independent q1 q2 q3 d1 qd1, 400 quantile grid, trim 1 %.

Baseline: the plain loop — for every candidate threshold an OLS of the within-transformed data
(``np.linalg.lstsq``), for every bootstrap draw the whole sequential search again. The baseline runs the point
estimation and ``--baseline-draws`` draws of each test (default 3) and is extrapolated linearly to 300 + 300
(its cost is exactly linear in the draws); marked "est.".

    NQPF_NUM_THREADS=2 OMP_NUM_THREADS=2 .venv/bin/python bench/bench_threshold.py
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.models.threshold import _grid, threshold_regression

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "replication" / "hansen1999_investment.csv"
X = ["q1", "q2", "q3", "d1", "qd1"]


def loop_ssr(y, Xf, r, q, N, T, cand, fixed=()):
    """The plain loop: one OLS per candidate threshold."""
    def w(a):
        b = a.reshape(N, T, -1)
        return (b - b.mean(axis=1, keepdims=True)).reshape(a.shape)

    base = [Xf, *(w(r * (q <= g)[:, None]) for g in fixed)]
    out = np.full(len(cand), np.inf)
    for i, g in enumerate(cand):
        if any(g == f for f in fixed):
            continue
        Xc = np.hstack([*base, w(r * (q <= g)[:, None])])
        b, *_ = np.linalg.lstsq(Xc, y, rcond=None)
        e = y - Xc @ b
        out[i] = e @ e
    return out


def loop_double(y, Xf, r, q, N, T, cand):
    s1 = loop_ssr(y, Xf, r, q, N, T, cand)
    g1 = cand[np.argmin(s1)]
    s2 = loop_ssr(y, Xf, r, q, N, T, cand, (g1,))
    return s1.min(), s2.min()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-draws", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} not found (../shared/data is needed for this benchmark)")
    df = pd.read_csv(DATA)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
          f"NQPF_NUM_THREADS={os.environ.get('NQPF_NUM_THREADS', '-')}, n = {len(df)}")
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = threshold_regression(df, "i", "c1", "d1", X, n_thresholds=2, grid=400, bootstrap=300, seed=1,
                                   unit="id", year="year")
        times.append(time.perf_counter() - t0)
    ours = min(times)
    print(f"nqpf: double threshold, 300 + 300 draws: {ours:.2f} s (best of {args.repeat}; all "
          f"{', '.join(f'{t:.2f}' for t in times)})")
    print(res.tests[["F", "p_value", "crit5"]].round(3).to_string())

    # the plain loop on the same design
    d = df.sort_values(["id", "year"])
    N, T = d["id"].nunique(), d["year"].nunique()

    def w(a):
        b = a.reshape(N, T, -1)
        return (b - b.mean(axis=1, keepdims=True)).reshape(a.shape)

    r = d[["c1"]].to_numpy(float)
    q = d["d1"].to_numpy(float)
    Xf = w(np.hstack([d[X].to_numpy(float), r]))
    y = w(d["i"].to_numpy(float))
    cand, _ = _grid(q, 400, 0.01)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    loop_double(y, Xf, r, q, N, T, cand)  # the point estimates (two searches + refinement ~ three)
    point = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.baseline_draws):  # test 1: one search per draw; test 2: two searches per draw
        e = y[rng.integers(0, len(y), len(y))]
        loop_ssr(e, Xf, r, q, N, T, cand)
        loop_double(e, Xf, r, q, N, T, cand)
    per_draw = (time.perf_counter() - t0) / args.baseline_draws
    base = point * 1.5 + per_draw * 300
    print(f"plain loop: point estimates {point:.2f} s, one draw of each test {per_draw:.2f} s; "
          f"300 + 300 draws est. {base:.0f} s")
    print(f"ratio loop / nqpf = {base / ours:.0f}x")


if __name__ == "__main__":
    main()
