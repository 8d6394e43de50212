"""Benchmark: the default study's run and report — the timings the test suite no longer asserts.

Times, in one process (a cold run: the first run of the process pays imports and compiles):

1. measuring the indices alone (``run_study`` with no analyses) — the baseline of the run;
2. the full run (measurement + every analysis), as a ratio to 1;
3. rendering report.html (``render_report``) and writing the static figures (``write_figures``), with the
   report's size and the peak Python memory of the rendering (tracemalloc, a separate pass);
4. opening report.html in headless Chromium (the tests' CDP client, tests/test_report_browser.py): when the
   first screen is drawn (``window.NQPF_READY_MS``) against the baseline of drawing every figure
   (``NQPF.drawAll()``), median of ``--opens`` page loads (skipped without chromium).

The process's peak resident memory is printed last. Record the numbers in bench/README.md.

    .venv/bin/python bench/bench_report.py              # the default study, 3 page loads
    .venv/bin/python bench/bench_report.py --opens 5 --lang zh
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from nqpf.report.figures import write_figures
from nqpf.report.html import render_report, write_report
from nqpf.study import load_study, run_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_report_browser import Browser, chromium_path, open_report


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--opens", type=int, default=3, help="page loads in Chromium (median reported)")
    ap.add_argument("--lang", default=None, help="report language (default: the study's)")
    args = ap.parse_args()

    print(f"nqpf report benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPU(s)")
    spec, source = load_study()
    lang = args.lang or spec.output.lang
    _, t_measure = timed(run_study, spec.model_copy(update={"analyses": {}}), source)
    run, t_run = timed(run_study, spec, source)
    print(f"\n{'step':<44}{'seconds':>10}{'× baseline':>12}")
    print(f"{'measure the indices (baseline)':<44}{t_measure:>10.2f}{1.0:>12.2f}")
    print(f"{'full run (measure + every analysis)':<44}{t_run:>10.2f}{t_run / t_measure:>12.2f}")

    with tempfile.TemporaryDirectory(prefix="nqpf-bench-report-") as tmp:
        out = Path(tmp)
        rep, t_render = timed(render_report, run, lang, strict=False)
        _, t_figs = timed(write_figures, run, out / "figures", lang=lang)
        print(f"{'render report.html':<44}{t_render:>10.2f}{t_render / t_measure:>12.2f}")
        print(f"{'write the static figures (svg + png)':<44}{t_figs:>10.2f}{t_figs / t_measure:>12.2f}")
        tracemalloc.start()
        render_report(run, lang, strict=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"\nreport.html: {len(rep.html.encode()) / 1e6:.2f} MB, {rep.figures} figures, "
              f"{len(rep.sections)} chapters, {len(rep.notes)} failed part(s); "
              f"peak Python memory while rendering {peak / 2**20:.0f} MiB")

        exe = chromium_path()
        if exe is None:
            print("\nchromium not installed: page-load timings skipped (apt-get install -y chromium)")
        else:
            path = out / "report.html"
            write_report(run, path, lang)
            browser = Browser(exe)
            try:
                loads = [open_report(browser, path)[:2] for _ in range(args.opens)]
            finally:
                browser.close()
            first = statistics.median(a for a, _ in loads)
            every = statistics.median(b for _, b in loads)
            print(f"\nheadless {Path(exe).name}, median of {args.opens} page loads "
                  f"(ms after navigation start, the page's own clock):")
            print(f"{'draw every figure (baseline)':<44}{every:>10.0f}{1.0:>12.2f}")
            print(f"{'first screen drawn (NQPF_READY_MS)':<44}{first:>10.0f}{first / every:>12.2f}")
            print("  loads: " + "; ".join(f"{a:.0f} / {b:.0f}" for a, b in loads))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the process: {maxrss:.0f} MiB")


if __name__ == "__main__":
    main()
