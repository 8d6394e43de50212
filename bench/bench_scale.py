"""Benchmark: nqpf at the size of listed firms and of counties (issue 12, "Scale").

(a) ``nqpf run`` on 5,000 firms × 12 years × 11 indicators (``nqpf-firm``), 0.5 % empty cells: index, kernel
    density, Dagum by industry, Markov, light uncertainty (200 Monte Carlo draws), report.html, the static figures and
    the Excel workbook. Printed: wall time, peak resident memory of the largest process (the run or one of its
    forked figure workers; ``getrusage(RUSAGE_CHILDREN)``), report.html's size and the largest figure in pixels
    (PNG files and the plotly layouts of report.html). Bounds: < 60 s, < 1.5 GB, < 15 MB, no figure > 4,000 px.
    Baseline in the same run: ``nqpf run`` of the bundled default study (30 provinces), as a ratio per
    unit-year.
(b) 2,800 counties × 10 years: global Moran's I (999 permutations) and LISA (999 conditional permutations) for
    every year, and spatial Markov chains. Bound: < 60 s. Weights: the bundled county contiguity
    (``nqpf.geo.geometry.contiguity("county")``) when it exists, else a synthetic 56 × 50 rook lattice
    (libpysal ``lat2W``); the output says which.

The firm panel is synthetic (``bench/firm_data.make_firm_panel``: CSMAR-style raw statement items with firm
effects and growth, 0.5 % empty cells, CSRC industry codes; not data about any real company), 13 years so that
the bundled ``nqpf-firm`` framework (11 ratios, entropy weights year by year) measures 12: its asset turnover
needs the previous year's total assets.

    .venv/bin/python bench/bench_scale.py            # both parts, full size
    .venv/bin/python bench/bench_scale.py --quick    # 500 firms, 300 counties
    .venv/bin/python bench/bench_scale.py --part a --firms 3000 --keep /tmp/firms
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BOUNDS = {"seconds": 60.0, "rss_gb": 1.5, "report_mb": 15.0, "px": 4000}
INDICATORS = 11


# =============================================================================================
# (a) firms
# =============================================================================================
def write_firm_study(folder: Path, n_firms: int, years: list[int]) -> tuple[Path, str]:
    """A synthetic CSMAR-style panel (``bench/firm_data.make_firm_panel``: raw statement items, one year more than
    measured, since the asset turnover needs the previous year's total assets), and a study file on the bundled
    ``nqpf-firm`` framework; returns (study path, generator name)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from firm_data import FIRM_INPUTS, make_firm_panel

    panel_years = [years[0] - 1, *years]
    df = make_firm_panel(n_firms, panel_years, 0.005, 0)
    df.to_csv(folder / "firms.csv", index=False)
    # nqpf interpolates the ratios, between two observed years of a firm; a ratio empty in the first or last
    # measured year cannot be filled and Markov chains need a balanced panel: firms with an empty input in
    # either year, or empty total assets in the year before either (the turnover's lag), are left out by name
    # (exclude_units, printed); every other gap is interpolated
    cols = list(FIRM_INPUTS)
    ends = df["year"].isin([years[0], years[-1]]) & df[cols].isna().any(axis=1)
    lags = df["year"].isin([panel_years[0], years[-2]]) & df["total_assets"].isna()
    edge = sorted(set(df.loc[ends | lags, "Stkcd"]))
    print(f"    {len(edge):,} firms with an empty cell that interpolation cannot fill left out (exclude_units); "
          f"{int(df[cols].isna().sum().sum()):,} empty cells in all")
    edge_list = ", ".join(f'"{c}"' for c in edge)
    study = f"""name = "bench-firms"
title = "{n_firms:,} synthetic firms (benchmark)"
[data]
path = "{(folder / 'firms.csv').as_posix()}"
unit = "Stkcd"
year = "year"
kind = "firm"
labels = ["name", "industry", "st"]
[[index]]
name = "nqpf"
framework = "nqpf-firm"
weighting = "entropy"
years = [{years[0]}, {years[-1]}]
missing = "interpolate"
exclude_units = [{edge_list}]
[analyses.kernel_density]
[analyses.markov]
[analyses.uncertainty]
draws = 200
bootstrap = 0
methods = false
leave_one_out = false
[analyses.dagum]
[output]
lang = "zh"
"""
    p = folder / "study.toml"
    p.write_text(study, encoding="utf-8")
    return p, "bench/firm_data.make_firm_panel (synthetic, CSMAR-style inputs) with the nqpf-firm framework"


def run_cli(study: str, outdir: Path) -> dict[str, float]:
    """``nqpf run`` in a child process: wall seconds and the peak RSS (GB) of its largest process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nqpf.cli", "run", study, "--outdir", str(outdir)], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"nqpf run {study} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": wall, "rss_gb": max(peak, before) / 2**20}


def largest_figure(outdir: Path) -> tuple[int, str]:
    """The largest side in pixels over the PNG files and the plotly layouts (height, width) of report.html."""
    from PIL import Image

    best, where = 0, ""
    for p in sorted((outdir / "figures").glob("*.png")):
        with Image.open(p) as im:
            side = max(im.size)
        if side > best:
            best, where = side, f"figures/{p.name} {im.size[0]} × {im.size[1]}"
    html = (outdir / "report.html").read_text(encoding="utf-8")
    for m in re.finditer(r'NQPF\.plot\("([^"]+)", (.*?)\);</script>', html):
        layout = json.loads(m.group(2))["layout"]
        side = max(int(layout.get("height") or 0), int(layout.get("width") or 0))
        if side > best:
            best, where = side, f"report.html {m.group(1)} layout {layout.get('width')} × {layout.get('height')}"
    return best, where


def part_a(n_firms: int, years: list[int], keep: Path | None) -> bool:
    with tempfile.TemporaryDirectory(prefix="nqpf-bench-scale-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        study, source = write_firm_study(folder, n_firms, years)
        print(f"(a) {n_firms:,} firms × {len(years)} years × {INDICATORS} indicators, 0.5 % empty cells; "
              f"panel: {source}")
        base = run_cli("china-provinces", folder / "out-default")
        firms = run_cli(str(study), folder / "out-firms")
        base_uy = _unit_years(folder / "out-default")
        firm_uy = _unit_years(folder / "out-firms")
        size_mb = (folder / "out-firms" / "report.html").stat().st_size / 1e6
        px, where = largest_figure(folder / "out-firms")
        base_px, _ = largest_figure(folder / "out-default")
        base_mb = (folder / "out-default" / "report.html").stat().st_size / 1e6
        print(f"{'':<42}{'seconds':>9}{'peak RSS GB':>13}{'report MB':>11}{'largest px':>12}{'unit-years':>12}")
        print(f"{'default study (baseline, nqpf run)':<42}{base['seconds']:>9.1f}{base['rss_gb']:>13.2f}"
              f"{base_mb:>11.1f}{base_px:>12,}{base_uy:>12,}")
        print(f"{'synthetic firms (nqpf run)':<42}{firms['seconds']:>9.1f}{firms['rss_gb']:>13.2f}"
              f"{size_mb:>11.1f}{px:>12,}{firm_uy:>12,}")
        ratio = firms["seconds"] / base["seconds"]
        print(f"time ratio {ratio:.2f}× for {firm_uy / base_uy:.0f}× the unit-years "
              f"({ratio / (firm_uy / base_uy):.3f}× per unit-year); largest figure: {where}")
        ok = (firms["seconds"] < BOUNDS["seconds"] and firms["rss_gb"] < BOUNDS["rss_gb"]
              and size_mb < BOUNDS["report_mb"] and px <= BOUNDS["px"])
        print(f"bounds (< {BOUNDS['seconds']:.0f} s, < {BOUNDS['rss_gb']} GB, < {BOUNDS['report_mb']:.0f} MB, "
              f"≤ {BOUNDS['px']:,} px): {'met' if ok else 'NOT met'}")
        return ok


def _unit_years(outdir: Path) -> int:
    """Unit-years measured by a run: the rows of its index score tables."""
    return sum(len(pd.read_csv(p)) for p in (outdir / "tables").glob("*_scores.csv"))


# =============================================================================================
# (b) counties
# =============================================================================================
def county_weights(n: int):
    """The bundled county contiguity when available (and n is its size), else a rook lattice of n cells."""
    from libpysal.weights import W, lat2W

    try:
        from nqpf.geo.geometry import contiguity

        edges = contiguity("county")
        units = sorted(set(edges["unit"]) | set(edges["neighbor"]))
        if len(units) >= n:
            neigh = {u: [] for u in units}
            for u, v in zip(edges["unit"], edges["neighbor"], strict=True):
                neigh[u].append(v)
            w = W(neigh, silence_warnings=True)
            return w, f"bundled county contiguity ({len(units):,} counties)"
    except (ImportError, AttributeError, NotImplementedError, KeyError, ValueError, FileNotFoundError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no bundled county contiguity of that size"
    rows = int(np.floor(np.sqrt(n)))
    while n % rows:
        rows -= 1
    w = lat2W(rows, n // rows, rook=True)
    w.transform = "r"
    return w, f"synthetic {rows} × {n // rows} rook lattice (libpysal lat2W; {reason})"


def part_b(n_counties: int, n_years: int) -> bool:
    from nqpf.analysis.dynamics import spatial_markov
    from nqpf.analysis.spatial import lisa, moran

    w, what = county_weights(n_counties)
    units = [str(u) for u in w.id_order]
    w = type(w)({str(k): [str(v) for v in vs] for k, vs in w.neighbors.items()}, silence_warnings=True)
    w.transform = "r"
    rng = np.random.default_rng(1)
    years = list(range(2014, 2014 + n_years))
    # a smooth spatial field plus noise, drifting upwards: real clusters for Moran and LISA to find
    field = rng.normal(size=len(units))
    for _ in range(3):
        field = 0.5 * field + 0.5 * (w.sparse @ field)  # w is row-standardised: the neighbours' mean
    rows = [{"unit": u, "year": y, "score": 1.0 + field[i] + 0.05 * t + 0.3 * rng.normal()}
            for t, y in enumerate(years) for i, u in enumerate(units)]
    df = pd.DataFrame(rows)
    print(f"\n(b) {len(units):,} counties × {n_years} years; weights: {what}")
    t0 = time.perf_counter()
    mo = moran(df, w, permutations=999, seed=0)
    t1 = time.perf_counter()
    li = lisa(df, w, year=None, permutations=999, seed=0)
    t2 = time.perf_counter()
    sm = spatial_markov(df, w, k=4)
    t3 = time.perf_counter()
    total = t3 - t0
    print(f"{'Moran I, 999 permutations, every year':<48}{t1 - t0:>8.2f} s")
    print(f"{'LISA, 999 conditional permutations, every year':<48}{t2 - t1:>8.2f} s")
    print(f"{'spatial Markov (k = 4)':<48}{t3 - t2:>8.2f} s")
    print(f"{'total (bound < 60 s)':<48}{total:>8.2f} s  {'met' if total < 60 else 'NOT met'}")
    print(f"  (last year's I = {mo.to_frame()['I'].iloc[-1]:.3f}; "
          f"{int((li.to_frame()['cluster'] != 'not significant').sum()):,} significant unit-years; "
          f"{type(sm).__name__})")
    return total < 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["a", "b", "both"], default="both")
    ap.add_argument("--firms", type=int, default=5000)
    ap.add_argument("--counties", type=int, default=2800)
    ap.add_argument("--quick", action="store_true", help="500 firms, 300 counties")
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated study and outputs in this folder")
    args = ap.parse_args()
    if args.quick:
        args.firms, args.counties = 500, 300
    print(f"nqpf scale benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPU(s), load average {os.getloadavg()[0]:.1f}\n")
    ok = True
    if args.part in ("a", "both"):
        ok &= part_a(args.firms, list(range(2012, 2024)), args.keep)
    if args.part in ("b", "both"):
        ok &= part_b(args.counties, 10)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
