"""Benchmark: nqpf at the size of listed firms and of counties (issue 12, "Scale").

(a) ``nqpf run`` on 5,000 firms × 12 years × 11 indicators with 0.5 % empty cells: index, kernel density,
    Dagum by industry, Markov, light uncertainty (200 Monte Carlo draws), report.html, the static figures and
    the Excel workbook. Printed: wall time, peak resident memory of the largest process (the run or one of its
    forked figure workers; ``getrusage(RUSAGE_CHILDREN)``), report.html's size and the largest figure in pixels
    (PNG files and the plotly layouts of report.html). Bounds: < 60 s, < 1.5 GB, < 15 MB, no figure > 4,000 px.
    Baseline in the same run: ``nqpf run`` of the bundled default study (30 provinces), as a ratio per
    unit-year.
(b) 2,800 counties × 10 years: global Moran's I (999 permutations) and LISA (999 conditional permutations) for
    every year, and spatial Markov chains. Bound: < 60 s. Weights: the bundled county contiguity
    (``nqpf.geo.geometry.contiguity("county")``) when it exists, else a synthetic 56 × 50 rook lattice
    (libpysal ``lat2W``); the output says which.

The firm panel is synthetic (log-normal ratios with a firm effect and a trend, eight made-up industries), from
``bench/firm_data.make_firm_panel`` when that module exists, else from :func:`make_firm_panel` below.

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
INDUSTRIES = ("C26 化学原料", "C27 医药", "C34 通用设备", "C35 专用设备", "C38 电气机械", "C39 计算机通信",
              "I65 软件信息", "F51 批发")


# =============================================================================================
# (a) firms
# =============================================================================================
def make_firm_panel(n_firms: int, years: list[int], empty_share: float = 0.005, seed: int = 0) -> pd.DataFrame:
    """A synthetic firm panel (clearly not real data): stock codes 000001 … as text, ``industry`` (8 made-up
    labels), 11 positive ratios ``x1`` … ``x11`` = firm level × (1 + 3 % a year) × noise, and ``empty_share``
    of the indicator cells empty at random — in the inner years only, so that interpolation fills every gap
    and all firms stay in the (balanced) panel that Markov chains need."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"{i:06d}" for i in range(1, n_firms + 1)])
    t = np.tile(np.arange(len(years)), n_firms)
    df = pd.DataFrame({"code": np.repeat(codes, len(years)), "year": np.tile(years, n_firms)})
    level = rng.lognormal(0.0, 0.5, size=(n_firms, INDICATORS))
    for j in range(INDICATORS):
        v = np.repeat(level[:, j], len(years)) * (1 + 0.03 * t) * rng.lognormal(0.0, 0.1, len(df))
        inner = (t > 0) & (t < len(years) - 1)
        v[inner & (rng.random(len(df)) < empty_share * len(years) / max(1, len(years) - 2))] = np.nan
        df[f"x{j + 1}"] = v
    df["industry"] = np.repeat(rng.choice(INDUSTRIES, n_firms), len(years))
    return df


def _panel(n_firms: int, years: list[int]) -> tuple[pd.DataFrame, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    own = "bench_scale.make_firm_panel (synthetic)"
    try:
        from firm_data import make_firm_panel as shared  # the firms helper's generator, when merged
    except ImportError:
        return make_firm_panel(n_firms, years, 0.005, 0), own
    df = shared(n_firms, years, 0.005, 0)
    wanted = {"code", "industry", *(f"x{j + 1}" for j in range(INDICATORS))}
    if wanted <= set(df.columns):
        return df, "bench/firm_data.make_firm_panel (synthetic)"
    # a generator of raw statement items for the bundled nqpf-firm framework: the study below is written for
    # ratio columns x1 … x11, so this script keeps its own panel until the study is switched to nqpf-firm
    return make_firm_panel(n_firms, years, 0.005, 0), (
        own + "; bench/firm_data.make_firm_panel exists but gives CSMAR-like inputs (columns "
        + ", ".join(list(df.columns)[:6]) + " …) for the nqpf-firm framework, not x1 … x11")


def _framework() -> str:
    lines = ["name: bench-firm", "title: {zh: 企业新质生产力(合成数据), en: Firm NQPF (synthetic data)}", "target:",
             "  id: nqpf", "  name_zh: 新质生产力", "  name_en: New quality productive forces", "  children:"]
    dims = [("labor", "劳动者", "Laborers", range(1, 5)), ("means", "劳动资料", "Means of labour", range(5, 9)),
            ("objects", "劳动对象", "Objects of labour", range(9, 12))]
    for key, zh, en, ids in dims:
        lines += [f"    - id: {key}", f"      name_zh: {zh}", f"      name_en: {en}", "      indicators:"]
        lines += [f"        - {{id: x{j}, name_zh: 比率{j}, name_en: Ratio {j}, unit: ratio}}" for j in ids]
    return "\n".join(lines) + "\n"


def write_firm_study(folder: Path, n_firms: int, years: list[int]) -> tuple[Path, str]:
    """The synthetic panel (CSV), its framework and the study file; returns (study path, generator name)."""
    df, source = _panel(n_firms, years)
    industry = df.drop_duplicates("code").set_index("code")["industry"]
    cols = ["code", "year", *[f"x{j + 1}" for j in range(INDICATORS)]]
    df[cols].to_csv(folder / "firms.csv", index=False)
    (folder / "firm.yaml").write_text(_framework(), encoding="utf-8")
    groups = ", ".join(f'"{c}" = "{g}"' for c, g in industry.items())
    # an empty cell in a firm's first or last year cannot be interpolated, and Markov chains need a balanced
    # panel: those firms are left out by name (printed), the other gaps are interpolated (the default policy)
    ends = df[df["year"].isin([years[0], years[-1]])]
    edge = sorted(ends.loc[ends[cols[2:]].isna().any(axis=1), "code"].unique())
    print(f"    {len(edge):,} firms with an empty cell in {years[0]} or {years[-1]} left out (exclude_units); "
          f"{int(df[cols[2:]].isna().sum().sum()):,} empty cells in all")
    edge_list = ", ".join(f'"{c}"' for c in edge)
    study = f"""name = "bench-firms"
title = "5,000 synthetic firms (benchmark)"
[data]
path = "{(folder / 'firms.csv').as_posix()}"
unit = "code"
year = "year"
kind = "firm"
[[index]]
name = "nqpf"
framework = "{(folder / 'firm.yaml').as_posix()}"
years = [{years[0]}, {years[-1]}]
exclude_units = [{edge_list}]
[analyses.kernel_density]
[analyses.markov]
[analyses.uncertainty]
draws = 200
bootstrap = 0
methods = false
leave_one_out = false
[analyses.dagum]
groups = {{ {groups} }}
[output]
lang = "zh"
"""
    p = folder / "study.toml"
    p.write_text(study, encoding="utf-8")
    return p, source


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
