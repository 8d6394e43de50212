"""Benchmark: coupling coordination and obstacle degree on large panels.

Compares, in the same run and on the same data:

- coupling: ``coupling_coordination`` on n unit-years × 3 subsystems (arrays in, the full pandas-facing
  call with validation and classification) against
    * loop:  a per-row Python transcription (math.prod / sqrt / if-chain classes), the form most
             scripts in the literature use;
    * floor: the bare numpy expression for C, T and D without validation or classes.
- obstacle: ``obstacle_degree`` on a synthetic IndexResult of units × years × indicators, with the
  dimension / factor / new / lever groupings, against
    * loop:  a per-unit-year Python loop computing F·I / Σ F·I and the lever sums with pandas;
    * floor: the bare numpy expression F·(1-Z) / Σ F·(1-Z).

Usage::

    .venv/bin/python bench/bench_linkage.py            # 1,000,000 coupling rows; 3,000 units x 20 years x 50 indicators
    .venv/bin/python bench/bench_linkage.py --quick    # 100,000 rows; 300 units x 20 years x 50 indicators
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nqpf.analysis.coupling import coupling_coordination
from nqpf.analysis.obstacle import obstacle_degree
from nqpf.core.framework import Framework
from nqpf.frameworks.schema import parse_framework_text
from nqpf.result import IndexResult


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def coupling_loop(U: np.ndarray) -> np.ndarray:
    out = np.empty(len(U))
    for i, row in enumerate(U.tolist()):
        n = len(row)
        s = sum(row)
        c = n * math.prod(row) ** (1 / n) / s if s > 0 else 1.0
        t = s / n
        out[i] = math.sqrt(c * t)
    return out


def coupling_floor(U: np.ndarray) -> np.ndarray:
    n = U.shape[1]
    C = np.prod(U, axis=1) ** (1 / n) / U.mean(axis=1)
    return np.sqrt(C * U.mean(axis=1))


def synthetic_result(units: int, years: int, k: int, seed: int = 0) -> IndexResult:
    levers = ["government_market", "st_self_reliance", "st_innovation_system", "modern_industrial_system",
              "emerging_future_industries"]
    factors = ["laborers", "means_of_labor", "objects_of_labor"]
    dims = []
    per = k // 5
    for d in range(5):
        inds = "\n".join(
            f"        - {{id: i{d}_{j}, name_zh: 指标{d}{j}, name_en: I{d}{j}, unit: x, "
            f"tags: {{lever: {levers[(d + j) % 5]}}}}}" for j in range(per))
        dims.append(f"    - id: d{d}\n      name_zh: 维度{d}\n      name_en: D{d}\n"
                    f"      tags: {{factor: {factors[d % 3]}}}\n      indicators:\n{inds}")
    text = ("name: bench\ntitle: {zh: 基准, en: Bench}\ntarget:\n  id: t\n  name_zh: 基准\n  name_en: Bench\n"
            "  children:\n" + "\n".join(dims) + "\n")
    fw = Framework(parse_framework_text(text))
    ids = fw.indicator_ids
    idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(units)], range(2000, 2000 + years)],
                                     names=["unit", "year"])
    rng = np.random.default_rng(seed)
    Z = pd.DataFrame(rng.uniform(0, 1, size=(len(idx), len(ids))) + 1e-4, index=idx, columns=ids)
    w = rng.dirichlet(np.ones(len(ids)))
    gw = dict(zip(ids, w, strict=True))
    weights = pd.DataFrame([{"id": it.id, "parent": it.parent, "level": it.level, "kind": it.kind,
                             "name_zh": "", "name_en": "", "weight": np.nan, "global_weight": gw.get(it.id, np.nan)}
                            for it in fw.items])
    scores = pd.DataFrame({"unit": idx.get_level_values(0), "year": idx.get_level_values(1), "score": 0.5, "rank": 1})
    return IndexResult(fw, Z, Z, scores, weights, pd.DataFrame(),
                       settings={"normalization": "minmax", "shift": 1e-4})


def obstacle_loop(res: IndexResult) -> pd.DataFrame:
    F = res.indicator_weights
    lever = res.framework.indicator_table()["lever"]
    rows = []
    for key, z in res.normalized.iterrows():
        fi = F * (1 - (z - 1e-4))
        o = fi / fi.sum() * 100
        rows.append({"unit": key[0], "year": key[1], **o.groupby(lever).sum().to_dict()})
    return pd.DataFrame(rows)


def obstacle_floor(res: IndexResult) -> np.ndarray:
    F = res.indicator_weights.to_numpy()
    FI = F * (1 - (res.normalized.to_numpy() - 1e-4))
    return FI / FI.sum(axis=1, keepdims=True) * 100


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", default=bool(os.environ.get("NQPF_BENCH_QUICK")))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    n = 100_000 if a.quick else 1_000_000
    units = 300 if a.quick else 3_000
    rng = np.random.default_rng(1)
    U = rng.uniform(0.01, 1, size=(n, 3))

    t_ours, res = timed(lambda: coupling_coordination(*U.T), a.repeat)
    t_floor, d_floor = timed(lambda: coupling_floor(U), a.repeat)
    n_loop = min(n, 200_000)
    t_loop, d_loop = timed(lambda: coupling_loop(U[:n_loop]), 1)
    t_loop *= n / n_loop
    print(f"coupling, {n:,} rows x 3 systems")
    print(f"  ours  {t_ours:8.3f} s  (validation, C/T/D, ten classes, zh/en labels)")
    print(f"  floor {t_floor:8.3f} s  ratio ours/floor {t_ours / t_floor:6.2f}")
    print(f"  loop  {t_loop:8.3f} s  ratio loop/ours  {t_loop / t_ours:6.1f}"
          + (f"  (timed on {n_loop:,} rows, scaled)" if n_loop < n else ""))
    print(f"  max |D_ours - D_floor| = {np.max(np.abs(res.D - d_floor)):.2e}, "
          f"max |D_ours - D_loop| = {np.max(np.abs(res.D[:n_loop] - d_loop)):.2e}")

    r = synthetic_result(units, 20, 50)
    t_ours, o = timed(lambda: obstacle_degree(r), a.repeat)
    t_floor, O = timed(lambda: obstacle_floor(r), a.repeat)
    sub = 200
    small = synthetic_result(sub // 20 if sub >= 20 else 1, 20, 50)
    t_loop, lev = timed(lambda: obstacle_loop(small), 1)
    t_loop *= len(r.normalized) / len(small.normalized)
    rows = len(r.normalized)
    print(f"obstacle, {units:,} units x 20 years x 50 indicators = {rows:,} unit-years")
    print(f"  ours  {t_ours:8.3f} s  (deviations, O, dimension/factor/new/lever sums, notes)")
    print(f"  floor {t_floor:8.3f} s  ratio ours/floor {t_ours / t_floor:6.2f}")
    print(f"  loop  {t_loop:8.3f} s  ratio loop/ours  {t_loop / t_ours:6.1f}  (timed on {len(small.normalized)} "
          "unit-years, scaled)")
    o_small = obstacle_degree(small).levers.set_index(["unit", "year"])
    diff = np.max(np.abs(o_small[lev.columns[2:]].to_numpy() - lev.set_index(["unit", "year"]).to_numpy()))
    print(f"  max |O_ours - O_floor| = {np.nanmax(np.abs(o.O.to_numpy() - O)):.2e}, lever sums vs loop {diff:.2e}")
    t_frame, _ = timed(lambda: o.to_frame(), 1)
    print(f"  to_frame (long table, {len(o.to_frame()):,} rows) {t_frame:.3f} s")


if __name__ == "__main__":
    main()
