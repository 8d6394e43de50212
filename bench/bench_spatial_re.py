"""Random-effects spatial panels (Elhorst 2003): SAR, SDM, SEM on n = 300 (15 × 20 queen lattice), T = 15, k = 5,
and the Hausman test (unit FE + RE fits); baseline: spreg's Panel_RE_Lag on the same data, same process.

Run: .venv/bin/python bench/bench_spatial_re.py  (best of 3 per model)
"""

import time, numpy as np, libpysal
from nqpf.models.spatial_panel import fit_spatial_panel, hausman_test
wl = libpysal.weights.lat2W(15, 20, rook=False); wl.transform = "r"; W = wl.full()[0]
rng = np.random.default_rng(0); n, t, k = 300, 15, 5
x = rng.normal(size=(t, n, k)); mu = rng.normal(size=n)
y = np.stack([np.linalg.solve(np.eye(n) - 0.4 * W, x[i] @ np.ones(k) + mu + rng.normal(size=n)) for i in range(t)])
for model in ("sar", "sdm", "sem"):
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter(); f = fit_spatial_panel(y, x, W, model, "random"); best = min(best, time.perf_counter() - t0)
    print(model, "random effects", round(best, 2), "s")
t0 = time.perf_counter(); h = hausman_test(fit_spatial_panel(y, x, W, "sdm", "unit"), fit_spatial_panel(y, x, W, "sdm", "random")); print("sdm FE+RE+Hausman", round(time.perf_counter()-t0, 2), "s")
import spreg
Y = y.T; X = np.concatenate([x[:, :, j].T for j in range(k)], axis=1)
t0 = time.perf_counter(); m = spreg.Panel_RE_Lag(Y, X, wl); print("spreg Panel_RE_Lag", round(time.perf_counter()-t0, 2), "s")
