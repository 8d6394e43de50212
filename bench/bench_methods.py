"""Benchmark: entropy weights + TOPSIS on a large normalised matrix (default 1,000,000 x 50 float64).

Compares, in the same run and on the same matrix:

- ours:      nqpf.methods.weights.entropy + nqpf.methods.aggregate.topsis (blocked, streaming kernels)
- pymcdm:    pymcdm.weights.entropy_weights + pymcdm.methods.TOPSIS (identity normalisation, so it sees
             the same Z; pymcdm otherwise re-normalises inside TOPSIS)
- textbook:  a plain numpy transcription of the textbook formulas (whole-matrix temporaries)
- floor:     a single pass that only reads the matrix once, Z.sum(axis=0) (memory-bandwidth floor)

It prints the times, the ratios, the largest difference between the methods' results and the peak
extra memory (tracemalloc tracks numpy allocations) of each.

Usage::

    .venv/bin/python bench/bench_methods.py            # full size, 1,000,000 x 50
    .venv/bin/python bench/bench_methods.py --quick    # 100,000 x 50 (or NQPF_BENCH_QUICK=1)
    .venv/bin/python bench/bench_methods.py --rows 200000 --cols 30 --repeat 5 --skip-pymcdm
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from nqpf.methods.aggregate import topsis
from nqpf.methods.weights import entropy, entropy_parts


def ours(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = entropy(Z)
    return w, topsis(Z, w)


def textbook(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = Z.shape[0]
    P = Z / Z.sum(axis=0)
    e = -(P * np.log(P)).sum(axis=0) / np.log(n)
    d = 1.0 - e
    w = d / d.sum()
    V = Z * w
    dp = np.sqrt(((V - V.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((V - V.min(axis=0)) ** 2).sum(axis=1))
    return w, dm / (dp + dm)


def floor(Z: np.ndarray) -> np.ndarray:
    return Z.sum(axis=0)


def divergence_extended(Z: np.ndarray) -> np.ndarray:
    """d_j = 1 - e_j in 80-bit extended precision (np.longdouble), blockwise: an accuracy reference."""
    n, m = Z.shape
    S = np.zeros(m, dtype=np.longdouble)
    for s in range(0, n, 65536):
        S += Z[s : s + 65536].astype(np.longdouble).sum(axis=0)
    H = np.zeros(m, dtype=np.longdouble)
    for s in range(0, n, 65536):
        P = Z[s : s + 65536].astype(np.longdouble) / S
        H -= (P * np.log(P)).sum(axis=0)
    return np.asarray(1 - H / np.log(np.longdouble(n)))


def pymcdm_run(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pymcdm.methods import TOPSIS
    from pymcdm.weights import entropy_weights

    w = entropy_weights(Z)
    body = TOPSIS(normalization_function=lambda x, cost=False: x)
    c = body(Z, w, np.ones(Z.shape[1], dtype=int), validation=False)
    return w, c


def timed(fn: Callable[[np.ndarray], Any], Z: np.ndarray, repeat: int) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(Z)
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_extra(fn: Callable[[np.ndarray], Any], Z: np.ndarray) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn(Z)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5, help="best of N interleaved rounds for ours/textbook/floor")
    ap.add_argument("--skip-pymcdm", action="store_true")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    ap.add_argument("--no-accuracy", action="store_true", help="skip the extended-precision reference")
    args = ap.parse_args()
    quick = args.quick or os.environ.get("NQPF_BENCH_QUICK", "") not in ("", "0")
    n = args.rows if args.rows is not None else (100_000 if quick else 1_000_000)
    m = args.cols

    rng = np.random.default_rng(20240501)
    # a min-max normalised matrix with shift 1e-4 (values in [1e-4, 1 + 1e-4]), varied column shapes
    Z = rng.random((n, m))
    Z **= rng.uniform(0.5, 3.0, m)
    Z += 1e-4
    mib = Z.nbytes / 2**20
    print(f"matrix: {n:,} x {m} float64 = {mib:,.0f} MiB; numpy {np.__version__}; cores {os.cpu_count()}")

    # interleaved rounds, best of N each: on a shared machine every contender meets the same background load
    best = {"floor": float("inf"), "ours": float("inf"), "textbook": float("inf")}
    outs: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, fn in (("floor", floor), ("ours", ours), ("textbook", textbook)):
            t, outs[name] = timed(fn, Z, 1)
            best[name] = min(best[name], t)
    t_floor, t_ours, t_text = best["floor"], best["ours"], best["textbook"]
    (w_o, c_o), (w_t, c_t) = outs["ours"], outs["textbook"]
    print(f"floor    (Z.sum(axis=0), one read):   {t_floor:8.3f} s")
    print(f"ours     (entropy + topsis):          {t_ours:8.3f} s")
    print(f"textbook (plain numpy formulas):      {t_text:8.3f} s")
    rel_w = float(np.max(np.abs(w_o - w_t) / w_t))
    rel_c = float(np.max(np.abs(c_o - c_t) / np.abs(c_t)))
    print(f"  ours vs textbook: max rel diff weights {rel_w:.2e}, closeness {rel_c:.2e}")
    if not args.no_accuracy:
        d_ref = divergence_extended(Z)
        d_ours = entropy_parts(Z)[1]
        S = Z.sum(axis=0)
        d_text = 1.0 + ((Z / S) * np.log(Z / S)).sum(axis=0) / np.log(n)
        err_o = float(np.max(np.abs(d_ours - d_ref) / d_ref))
        err_t = float(np.max(np.abs(d_text - d_ref) / d_ref))
        print(f"  divergence d = 1 - e vs 80-bit reference: ours {err_o:.1e}, textbook {err_t:.1e} (max rel err)")
    t_pym = None
    if not args.skip_pymcdm:
        t_pym, (w_p, c_p) = timed(pymcdm_run, Z, 1)
        print(f"pymcdm   (entropy_weights + TOPSIS):  {t_pym:8.3f} s")
        print(
            f"  ours vs pymcdm: max rel diff weights {float(np.max(np.abs(w_o - w_p) / w_p)):.2e}, "
            f"closeness {float(np.max(np.abs(c_o - c_p) / np.abs(c_p))):.2e}"
        )
    print("ratios:")
    if t_pym is not None:
        print(f"  pymcdm / ours   = {t_pym / t_ours:7.1f}x  (target >= 20x)")
    print(f"  textbook / ours = {t_text / t_ours:7.1f}x")
    print(f"  ours / floor    = {t_ours / t_floor:7.1f}x  (target <= 8x)")
    if not args.no_memory:
        mem_o = peak_extra(ours, Z)
        mem_t = peak_extra(textbook, Z)
        print("peak extra memory (tracemalloc, beyond the input matrix):")
        print(f"  ours     {mem_o / 2**20:9.1f} MiB = {mem_o / Z.nbytes:6.3f} x input  (target <= 2x)")
        print(f"  textbook {mem_t / 2**20:9.1f} MiB = {mem_t / Z.nbytes:6.3f} x input")
        if not args.skip_pymcdm:
            mem_p = peak_extra(pymcdm_run, Z)
            print(f"  pymcdm   {mem_p / 2**20:9.1f} MiB = {mem_p / Z.nbytes:6.3f} x input")


if __name__ == "__main__":
    main()
