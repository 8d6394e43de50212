"""Benchmark: Dagum Gini decomposition, nqpf's O(n log n) kernel vs the O(n²) pairwise formula.

Baseline: the decomposition as it is usually written in numpy — for every pair of groups (j, h) the
full |y_ji − y_hr| difference matrix by broadcasting, summed (Dagum 1997, Emp. Econ. 22:515-531).
Four groups of equal expected size, lognormal values. The baseline runs in the same process up to
``--baseline-max-n`` (default 10,000: at 100,000 it takes 2–3 minutes on a 2-core machine, so by
default its time there is extrapolated as n² from the largest size it ran, and marked "est.").
Difference matrices larger than ``--max-gb`` are cut into row blocks (the naive one-shot matrix for
n = 100,000 and 4 groups would need ~15 GB).

    .venv/bin/python bench/bench_dagum.py                            # n = 1e3, 1e4, 1e5 (+ 1e6 nqpf only)
    .venv/bin/python bench/bench_dagum.py --baseline-max-n 100000    # also time the baseline at 1e5
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from nqpf.analysis.disparity import dagum_gini


def _pair_sums_blocked(a: np.ndarray, b: np.ndarray, max_bytes: float) -> tuple[float, float, float]:
    """Σ|a_i − b_r|, Σ(a_i − b_r)+ and Σ(b_r − a_i)+ by broadcasting, in row blocks of at most max_bytes."""
    rows = max(1, int(max_bytes // (8 * 3 * max(len(b), 1))))
    absum = pos = neg = 0.0
    for start in range(0, len(a), rows):
        diff = a[start:start + rows, None] - b[None, :]
        absum += np.abs(diff).sum()
        pos += diff[diff > 0].sum()
        neg -= diff[diff < 0].sum()
    return absum, pos, neg


def dagum_pairwise(y: np.ndarray, g: np.ndarray, max_bytes: float = 2e9) -> tuple[float, float, float, float]:
    """G, Gw, Gnb, Gt the O(n²) way: the |y_ji − y_hr| difference matrix of every pair of groups by
    broadcasting (cut into row blocks when it would exceed ``max_bytes``)."""
    labels = np.unique(g)
    parts = [y[g == a] for a in labels]
    n = len(y)
    mu = y.mean()
    mus = np.array([p.mean() for p in parts])
    ns = np.array([len(p) for p in parts])
    pj = ns / n
    sj = ns * mus / (n * mu)
    k = len(parts)
    total = 0.0
    Gw = Gnb = Gt = 0.0
    for j in range(k):
        for h in range(k):
            if j != h and not (mus[j] > mus[h] or (mus[j] == mus[h] and j > h)):
                continue  # the (h, j) pass covers this pair
            absum, pos, neg = _pair_sums_blocked(parts[j], parts[h], max_bytes)
            total += absum if j == h else 2 * absum
            if j == h:
                Gw += absum / (2 * mus[j] * ns[j] ** 2) * pj[j] * sj[j]
            else:
                Gjh = absum / (ns[j] * ns[h] * (mus[j] + mus[h]))
                djh = pos / (ns[j] * ns[h])
                pjh = neg / (ns[j] * ns[h])
                D = (djh - pjh) / (djh + pjh)
                w = Gjh * (pj[j] * sj[h] + pj[h] * sj[j])
                Gnb += w * D
                Gt += w * (1 - D)
    G = total / (2 * n**2 * mu)
    return G, Gw, Gnb, Gt


def best_of(fn, repeat: int) -> tuple[float, object]:
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--extra", type=int, nargs="*", default=[1_000_000], help="sizes for nqpf only")
    ap.add_argument("--max-gb", type=float, default=0.25, help="largest baseline difference block to allocate")
    ap.add_argument("--baseline-max-n", type=int, default=10_000, help="largest n to run the O(n²) baseline at")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    print(f"Dagum Gini decomposition, 4 groups — numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"{'n':>10} {'nqpf (s)':>11} {'O(n²) (s)':>14} {'ratio':>10} {'max |diff|':>11}")
    rng = np.random.default_rng(args.seed)
    fast_times: dict[int, float] = {}
    ref_runs: list[tuple[int, float]] = []
    for n in [*args.sizes, *args.extra]:
        y = rng.lognormal(0.0, 0.8, n)
        g = rng.integers(0, 4, n)
        y = y * (1.0 + 0.3 * g)  # group means differ
        t_fast, r = best_of(lambda y=y, g=g: dagum_gini(y, g), repeat=5 if n <= 100_000 else 2)
        fast_times[n] = t_fast
        assert abs(r.G - (r.Gw + r.Gnb + r.Gt)) < 1e-12
        ref_txt, ratio_txt, diff_txt = "—", "—", "—"
        if n in args.sizes:
            est = ref_runs[-1][1] * (n / ref_runs[-1][0]) ** 2 if ref_runs else 0.0
            if n <= args.baseline_max_n:
                t_ref, ref = best_of(lambda y=y, g=g: dagum_pairwise(y, g, args.max_gb * 1e9),
                                     repeat=3 if n <= 10_000 else 1)
                ref_runs.append((n, t_ref))
                diff = max(abs(a - b) for a, b in zip(ref, (r.G, r.Gw, r.Gnb, r.Gt), strict=True))
                ref_txt, ratio_txt, diff_txt = f"{t_ref:.4f}", f"{t_ref / t_fast:,.0f}×", f"{diff:.1e}"
            else:
                ref_txt = f"~{est:,.0f} (est.)"
                ratio_txt = f"~{est / t_fast:,.0f}×"
                diff_txt = "not run"
        print(f"{n:>10,} {t_fast:>11.4f} {ref_txt:>14} {ratio_txt:>10} {diff_txt:>11}")

    ns = np.array(sorted(fast_times), dtype=float)
    ts = np.array([fast_times[int(n)] for n in ns])
    req = np.isin(ns, args.sizes)
    slope = np.polyfit(np.log(ns[req]), np.log(ts[req]), 1)[0]
    print(f"\nnqpf growth exponent (log-log slope of time on n over {', '.join(f'{int(n):,}' for n in ns[req])}): "
          f"{slope:.2f}")
    steps = [f"{int(a):,}→{int(b):,}: {np.log(tb / ta) / np.log(b / a):.2f}"
             for a, b, ta, tb in zip(ns[:-1], ns[1:], ts[:-1], ts[1:], strict=True)]
    print("  per step: " + "; ".join(steps))
    if len(ref_runs) >= 2:
        (n0, t0), (n1, t1) = ref_runs[-2], ref_runs[-1]
        print(f"O(n²) baseline exponent ({n0:,}→{n1:,}): {np.log(t1 / t0) / np.log(n1 / n0):.2f}")
    target = fast_times.get(100_000)
    if target is not None:
        print(f"n = 100,000: {target:.3f} s ({'meets' if target < 1 else 'misses'} the < 1 s target)")

    # bootstrap: batched (B × n) kernel vs a Python loop of B single decompositions (same sizes, own draws)
    print("\nbootstrap (resampling within groups), batched vs a loop of dagum_gini calls")
    print(f"{'n':>10} {'B':>6} {'batched (s)':>12} {'loop (s)':>10} {'ratio':>7}")
    for n, B in [(31, 1000), (10_000, 200)]:
        g = np.repeat(np.arange(4), np.diff(np.linspace(0, n, 5).astype(int)))
        y = rng.lognormal(0.0, 0.8, n) * (1.0 + 0.3 * g)
        t_b, _ = best_of(lambda y=y, g=g, B=B: dagum_gini(y, g, bootstrap=B, seed=1), repeat=3)
        starts = np.searchsorted(g, np.arange(4))
        sizes = np.bincount(g)

        def loop(y=y, g=g, B=B, starts=starts, sizes=sizes) -> None:
            r = np.random.default_rng(1)
            for _ in range(B):
                idx = np.concatenate([s + r.integers(0, m, m) for s, m in zip(starts, sizes, strict=True)])
                dagum_gini(y[idx], g[idx])

        t_l, _ = best_of(loop, repeat=1)
        print(f"{n:>10,} {B:>6} {t_b:>12.4f} {t_l:>10.4f} {t_l / t_b:>6.0f}×")


if __name__ == "__main__":
    main()
