"""Benchmark: LISA (local Moran's I) with conditional permutations, nqpf's numpy kernel vs esda.Moran_Local.

Baseline: ``esda.Moran_Local(y, w, permutations=999, seed=0, n_jobs=1)`` (numba). Both draw the same
permutations from the same seed, so the script also checks that ``Is``, ``q`` and ``p_sim`` are equal.

Two timings:

- **cold** — a new Python process that imports the library and computes the LISA of every year, as
  ``nqpf run`` does; esda compiles its numba kernels on the first call in every new process, nqpf's
  kernel needs no compilation. Measured from outside (wall clock of the whole process) and inside
  (from the first import of the statistic to the last year).
- **warm** — in one process after a first call (esda's kernels already compiled), best of 3; nqpf's
  permutation draws (shared by all years of one call) are recomputed in each repeat.

Cases: the default study's size (31 provinces, queen contiguity, 11 years of R&D intensity from the bundled
panel) and random data with 6 nearest neighbours, n = 300 and 3,000 (one cross-section).

    .venv/bin/python bench/bench_lisa.py            # all cases
    .venv/bin/python bench/bench_lisa.py --quick    # the provincial case only
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

PERMUTATIONS = 999

COLD = """
import time, warnings, sys, pickle
t0 = time.perf_counter()
{imp}
ys, w = pickle.load(open(sys.argv[1], "rb"))
t1 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for y in ys:
        {call}
t2 = time.perf_counter()
print(t2 - t0, t2 - t1)
"""
ESDA = ("from esda.moran import Moran_Local",
        "Moran_Local(y, w, transformation=w.transform, permutations={p}, seed=0, n_jobs=1)")
NQPF = ("from nqpf.analysis.spatial import local_moran", "local_moran(y, w, permutations={p}, seed=0)")


def provinces_case() -> tuple[list[np.ndarray], object]:
    """R&D intensity of the 31 provinces, 2013–2023, with queen contiguity (row-standardised)."""
    from nqpf.datasets import data_path
    from nqpf.geo.weights import spatial_weights

    df = pd.read_csv(data_path("china_provinces_panel.csv"))
    df = df[df["year"].between(2013, 2023)]
    wide = df.pivot(index="province", columns="year", values="rd_intensity")
    w = spatial_weights(list(wide.index))
    wide = wide.reindex(w.id_order)
    return [wide[c].to_numpy(dtype=float) for c in wide.columns], w


def random_case(n: int, seed: int = 0) -> tuple[list[np.ndarray], object]:
    """One cross-section of n lognormal values on random points with 6 nearest neighbours."""
    from libpysal.weights import KNN

    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = KNN.from_array(rng.random((n, 2)), k=6)
    w.transform = "r"
    return [rng.lognormal(size=n)], w


def cold(engine: tuple[str, str], data_file: str) -> tuple[float, float, float]:
    """(process wall time, time from the import, time of the statistics alone) in a new process."""
    imp, call = engine
    code = COLD.format(imp=imp, call=call.format(p=PERMUTATIONS))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, data_file], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    inside, stats_only = map(float, out.stdout.split())
    return wall, inside, stats_only


def warm(fn, ys, w, repeat: int = 3, reset=lambda: None) -> float:
    """Best of ``repeat`` of all years, after a first call; ``reset`` runs before each repeat (untimed)."""
    fn(ys[0], w)
    best = np.inf
    for _ in range(repeat):
        reset()
        t = time.perf_counter()
        for y in ys:
            fn(y, w)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    import pickle
    import tempfile

    from esda.moran import Moran_Local

    from nqpf.analysis.spatial import _permuted_ids, local_moran

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the provincial case")
    args = ap.parse_args()
    cases = {"31 provinces × 11 years": provinces_case()}
    if not args.quick:
        cases.update({"n = 300, 1 year": random_case(300), "n = 3,000, 1 year": random_case(3000)})

    def esda(y, w):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Moran_Local(y, w, transformation=w.transform, permutations=PERMUTATIONS, seed=0, n_jobs=1)

    def ours(y, w):
        return local_moran(y, w, permutations=PERMUTATIONS, seed=0)

    print(f"Python {platform.python_version()}, {platform.machine()}, permutations {PERMUTATIONS}")
    print("| case | cold esda (process / stats) | cold nqpf (process / stats) | cold ratio (stats) "
          "| warm esda | warm nqpf | warm ratio | equal Is, q, p_sim |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (ys, w) in cases.items():
        with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
            pickle.dump((ys, w), f)
        ce = cold(ESDA, f.name)
        cn = cold(NQPF, f.name)
        # nqpf draws the permutations once per panel (all years share n and seed): cleared before each repeat,
        # as in a new lisa() call, so the warm time includes them
        we, wn = warm(esda, ys, w), warm(ours, ys, w, reset=_permuted_ids.cache_clear)
        same = all(
            np.array_equal(a.Is, b.Is) and np.array_equal(a.q, b.q) and np.array_equal(a.p_sim, b.p_sim)
            for a, b in ((esda(y, w), ours(y, w)) for y in ys))
        print(f"| {name} | {ce[0]:.1f} s / {ce[2]:.2f} s | {cn[0]:.1f} s / {cn[2]:.3f} s | {ce[2] / cn[2]:.0f}× "
              f"| {we:.3f} s | {wn:.3f} s | {wn / we:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
