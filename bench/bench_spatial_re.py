"""Random-effects spatial panels (Elhorst 2003): SAR, SDM, SEM on n = 300 (15 × 20 queen lattice), T = 15, k = 5,
and the Hausman test (unit FE + RE fits); baseline: spreg's Panel_RE_Lag on the same data, same process.

Run: .venv/bin/python bench/bench_spatial_re.py  (best of 3 per model)
"""

from __future__ import annotations

import time

import libpysal
import numpy as np

from nqpf.models.spatial_panel import fit_spatial_panel, hausman_test


def best_of(fn, repeat: int = 3) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    wl = libpysal.weights.lat2W(15, 20, rook=False)
    wl.transform = "r"
    w = wl.full()[0]
    rng = np.random.default_rng(0)
    n, t, k = 300, 15, 5
    x = rng.normal(size=(t, n, k))
    mu = rng.normal(size=n)
    y = np.stack([np.linalg.solve(np.eye(n) - 0.4 * w, x[i] @ np.ones(k) + mu + rng.normal(size=n))
                  for i in range(t)])
    times = {m: best_of(lambda m=m: fit_spatial_panel(y, x, w, m, "random")) for m in ("sar", "sdm", "sem")}
    for m, s in times.items():
        print(f"nqpf {m.upper()} random effects          {s:6.2f} s")
    h = best_of(lambda: hausman_test(fit_spatial_panel(y, x, w, "sdm", "unit"),
                                     fit_spatial_panel(y, x, w, "sdm", "random")), 1)
    print(f"nqpf SDM FE + RE + Hausman         {h:6.2f} s")
    try:
        import spreg
    except ImportError:
        print("spreg not installed: no baseline")
        return
    big_x = np.concatenate([x[:, :, j].T for j in range(k)], axis=1)
    s = best_of(lambda: spreg.Panel_RE_Lag(y.T, big_x, wl), 1)
    print(f"spreg Panel_RE_Lag (SAR)           {s:6.2f} s   spreg / nqpf SAR = {s / times['sar']:.1f}x")


if __name__ == "__main__":
    main()
