"""Benchmark: the workbench (``nqpf app``, issue 16) in the system Chromium, against ``nqpf run`` of the same study.

Measured in one run, each repetition with a fresh server (a cold start) and a fresh browser page:

(a) ``nqpf app --no-browser --port 0`` spawned → the first page fully loaded in Chromium (the page's ``load`` event
    and Shiny's first ``shiny:idle``: connected, every output of the first step drawn). Bound 3 s.
(b) click on "run" (``#run_study``) → the first progress line (``#run_progress li.nqpf-progress``) in the page. Both
    instants are taken by the page's own clock (a click listener and a MutationObserver), so the browser driver's
    round trips are not counted. Bound 1 s.
(c) the default province study, one click from the start page, end to end in the app (click → the run's report
    in the results step), and its ``study.toml`` (downloaded from the page) run with ``nqpf run study.toml -o DIR``
    on the command line: the baseline, timed in the same repetition; the ratio app / command line.
(d) peak resident memory (VmHWM of /proc/<pid>/status, polled every 0.1 s) of the server and of the run's child
    process (the largest of the child and its forked figure workers), and of ``nqpf run`` for comparison.

The median of ``--repeat`` repetitions (default 3) is printed, with every repetition. Record the figures in
bench/README.md.

``--screenshots DIR`` takes the tutorial's screenshots instead (docs/assets/workbench/*.png, 1280 × 800, each
under 250 KB): the bundled start page, then the yearbook workbook of docs/tutorials/04_own_cities.py uploaded,
its messages, the rename that fixes 苏州, the framework built as a table, the methods, the run, the results.

The browser is the system Chromium (``/usr/bin/chromium``) driven with Playwright; no browser is downloaded.

    .venv/bin/python bench/bench_app.py
    .venv/bin/python bench/bench_app.py --repeat 1
    .venv/bin/python bench/bench_app.py --screenshots docs/assets/workbench
    .venv/bin/python bench/bench_app.py --workbook .     # only tutorial 4's workbook, to follow tutorial 5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
BOUNDS = {"page": 3.0, "progress": 1.0}
MAX_PNG_BYTES = 250_000
# the analyses ticked for the tutorial's city workbook (an uploaded panel starts with none ticked)
ANALYSES_SHOWN = ("kernel_density", "convergence", "markov", "moran", "lisa")
RUN_TIMEOUT_S = 900

# Installed in every page before its own scripts: Shiny's busy/idle events counted, the click on "run" and the
# first progress line stamped by the page's clock (Date.now(): comparable with the server's spawn time).
PAGE_PROBE = """
window.__nqpf = {idle: 0, firstIdle: null, click: null, progress: null, done: null, load: null, values: {}};
window.addEventListener('load', () => { window.__nqpf.load = Date.now(); });
document.addEventListener('DOMContentLoaded', () => {
  const $ = window.jQuery;
  if ($) $(document).on('shiny:value', (ev) => {
    if (!(ev.name in window.__nqpf.values)) window.__nqpf.values[ev.name] = Date.now();
  });
  if ($) $(document).on('shiny:idle', () => {
    window.__nqpf.idle += 1;
    if (window.__nqpf.firstIdle === null) window.__nqpf.firstIdle = Date.now();
  });
  document.addEventListener('click', (ev) => {
    if (ev.target.closest && ev.target.closest('#run_study')) window.__nqpf.click = Date.now();
  }, true);
  new MutationObserver(() => {
    if (window.__nqpf.progress === null && document.querySelector('#run_progress li.nqpf-progress'))
      window.__nqpf.progress = Date.now();
    if (window.__nqpf.done === null && document.querySelector('#run_progress .nqpf-run-done'))
      window.__nqpf.done = Date.now();
  }).observe(document.documentElement, {childList: true, subtree: true});
});
"""
PAGE_READY_JS = ("() => document.readyState === 'complete' && window.__nqpf.firstIdle !== null"
                 " && !document.documentElement.classList.contains('shiny-busy')")
# the run step says how the run ended: p.nqpf-run-done / -failed / -cancelled under the progress list
RUN_STATE_JS = ("() => { const e = document.querySelector('#run_progress [class*=\"nqpf-run-\"]');"
                " const err = document.querySelector('#run_error .nqpf-error');"
                " return err ? 'failed: ' + err.innerText : (e ? e.className : ''); }")


# ---------------------------------------------------------------------------------------------
# processes: the server, `nqpf run`, and their peak memory
# ---------------------------------------------------------------------------------------------
def nqpf_command() -> list[str]:
    """The ``nqpf`` console script beside this interpreter, else ``python -m nqpf.cli``."""
    script = Path(sys.executable).with_name("nqpf")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nqpf.cli"]


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process we may read."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        table[int(entry.name)] = (ppid, cmd)
    return table


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class PeakMemory:
    """Polls the peak resident memory (VmHWM) of a process and of all its descendants while they live."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root = root
        self.peak: dict[int, float] = {}
        self.cmd: dict[int, str] = {}
        self.parent: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)
        self._thread.start()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            table = _proc_table()
            tree = {self.root}
            grew = True
            while grew:
                new = {pid for pid, (ppid, _) in table.items() if ppid in tree} - tree
                tree |= new
                grew = bool(new)
            for pid in tree:
                hwm = _vm_hwm_mib(pid)
                if hwm is not None and pid in table:
                    self.peak[pid] = max(self.peak.get(pid, 0.0), hwm)
                    self.parent[pid] = table[pid][0]
                    self.cmd.setdefault(pid, table[pid][1])
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def subtree_peak(self, pid: int) -> float:
        """The largest peak of ``pid`` and of its descendants (MiB)."""
        best = self.peak.get(pid, 0.0)
        for child, ppid in self.parent.items():
            if ppid == pid and child != pid:
                best = max(best, self.subtree_peak(child))
        return best

    def pids_running(self, needle: str) -> list[int]:
        return [pid for pid, cmd in self.cmd.items() if needle in cmd]


def run_cli(study: Path, outdir: Path) -> tuple[float, float]:
    """``nqpf run STUDY -o OUTDIR`` in a child process: (wall seconds, peak RSS MiB of its largest process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*nqpf_command(), "run", str(study), "-o", str(outdir)], cwd=study.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    mem = PeakMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    mem.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"nqpf run {study} failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, mem.subtree_peak(proc.pid)


class Server:
    """``nqpf app --no-browser --port 0 --lang L`` in a child process; ``url`` once it prints where it listens."""

    def __init__(self, lang: str = "zh") -> None:
        self.spawned = time.time()
        self.proc = subprocess.Popen([*nqpf_command(), "app", "--no-browser", "--port", "0", "--lang", lang],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True)
        self.memory = PeakMemory(self.proc.pid)
        self.lines: list[str] = []
        self._url = threading.Event()
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            m = re.search(r"http://(127\.0\.0\.1|localhost):(\d+)", line)
            if m and m.group(2) != "0" and not self._url.is_set():
                self.url = f"http://127.0.0.1:{m.group(2)}/"
                self._url.set()

    def wait_url(self, timeout: float = 60.0) -> str:
        if not self._url.wait(timeout):
            raise RuntimeError("nqpf app printed no http://127.0.0.1:<port> line within "
                               f"{timeout:.0f} s; its output:\n" + "\n".join(self.lines[-30:]))
        return self.url

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.memory.stop()


# ---------------------------------------------------------------------------------------------
# the browser
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """The system Chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"chromium not found at {CHROMIUM}: install it (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, downloads: bool = False):
    """A fresh context and page (its own Shiny session) on ``url``, retried while the server is not yet up."""
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=downloads, locale="zh-CN")
    ctx.add_init_script(PAGE_PROBE)
    page = ctx.new_page()
    deadline = time.monotonic() + 60
    while True:
        try:
            page.goto(url, wait_until="load")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    page.wait_for_function(PAGE_READY_JS, timeout=60_000)
    return page


def settle(page, timeout: float = 60.0) -> None:
    """Wait until Shiny has been idle for 0.3 s (after an action's round trip)."""
    page.wait_for_timeout(150)
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')",
                           timeout=timeout * 1000)
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')",
                           timeout=timeout * 1000)


def go_step(page, step: str) -> None:
    """Show one step of the navbar (``#step``: data, framework, methods, run, results)."""
    page.click(f"#step a[data-value='{step}'], .navbar a[data-value='{step}']")
    settle(page)


def wait_run_end(page) -> str:
    """Wait on the run step until the run has ended; returns "done", "failed" or "cancelled"."""
    go_step(page, "run")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE_JS)
        if state.startswith("failed") or "nqpf-run-failed" in state:
            return "failed"
        for end in ("done", "cancelled"):
            if f"nqpf-run-{end}" in state:
                return end
        page.wait_for_timeout(250)
    raise RuntimeError(f"the run did not finish in {RUN_TIMEOUT_S} s")


def wait_run_over(page) -> None:
    """Wait until the run has ended; raise unless it is done."""
    end = wait_run_end(page)
    if end != "done":
        raise RuntimeError(f"the run did not succeed in the app ({end}): " + page.inner_text("#run_progress")
                           + "\n" + page.inner_text("#run_error"))


# ---------------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------------
def one_repetition(browser, tmp: Path, rep: int) -> dict[str, float]:
    server = Server()
    try:
        url = server.wait_url()
        answered = time.time()
        page = open_page(browser, url, downloads=True)
        probe = page.evaluate("() => window.__nqpf")
        fig: dict[str, float] = {"answers": answered - server.spawned,
                                 "html": probe["load"] / 1000 - server.spawned,
                                 "page": probe["firstIdle"] / 1000 - server.spawned}
        late = sorted(probe["values"].items(), key=lambda kv: -kv[1])[:3]
        print("  outputs drawn last on the first page (s after spawn): "
              + ", ".join(f"{k} {v / 1000 - server.spawned:.1f}" for k, v in late), flush=True)
        # (b), (c): the default study is one click from the start page
        go_step(page, "run")
        page.click("#run_study")
        page.wait_for_function("() => window.__nqpf.progress !== null", timeout=30_000)
        probe = page.evaluate("() => window.__nqpf")
        fig["progress"] = (probe["progress"] - probe["click"]) / 1000
        wait_run_over(page)
        probe = page.evaluate("() => window.__nqpf")
        fig["app_run"] = (probe["done"] - probe["click"]) / 1000
        go_step(page, "results")
        with page.expect_download(timeout=60_000) as dl:
            page.click("#dl_study")
        study = tmp / f"rep{rep}" / "study.toml"
        study.parent.mkdir(parents=True, exist_ok=True)
        dl.value.save_as(study)
        page.context.close()
        workers = server.memory.pids_running("nqpf.app.worker")
        fig["rss_server"] = server.memory.peak.get(server.proc.pid, 0.0)
        fig["rss_child"] = max((server.memory.subtree_peak(p) for p in workers), default=float("nan"))
    finally:
        server.close()
    fig["cli_run"], fig["rss_cli"] = run_cli(study, tmp / f"rep{rep}" / "out")
    fig["ratio"] = fig["app_run"] / fig["cli_run"]
    return fig


ROWS = [
    ("answers", "server answers (spawn → URL printed), s", None),
    ("html", "spawn → the page's HTML loaded (load event), s", None),
    ("page", "(a) spawn → first page loaded in Chromium, s", "page"),
    ("progress", "(b) click run → first progress line, s", "progress"),
    ("cli_run", "(c) nqpf run study.toml (baseline), s", None),
    ("app_run", "(c) the same study in the app, s", None),
    ("ratio", "(c) app / nqpf run", None),
    ("rss_server", "(d) peak RSS of the server, MiB", None),
    ("rss_child", "(d) peak RSS of the run child, MiB", None),
    ("rss_cli", "(d) peak RSS of nqpf run, MiB", None),
]


def bench(repeat: int) -> None:
    load = os.getloadavg()[0]
    print(f"nqpf workbench benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPU(s), load average {load:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    figs = []
    with tempfile.TemporaryDirectory(prefix="nqpf-bench-app-") as tmp, chromium() as browser:
        for rep in range(repeat):
            figs.append(one_repetition(browser, Path(tmp), rep))
            print(f"  repetition {rep + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in figs[-1].items()), flush=True)
    print(f"\n{'':<48}" + "".join(f"{'rep ' + str(i + 1):>9}" for i in range(repeat))
          + f"{'median':>9}{'bound':>8}{'':>6}")
    for key, label, bound in ROWS:
        vals = [f[key] for f in figs]
        med = statistics.median(vals)
        cells = "".join(f"{v:>9.2f}" for v in vals)
        verdict = "" if bound is None else ("met" if med < BOUNDS[bound] else "MISSED")
        b = "" if bound is None else f"< {BOUNDS[bound]:g}"
        print(f"{label:<48}{cells}{med:>9.2f}{b:>8}{verdict:>7}")


# ---------------------------------------------------------------------------------------------
# the tutorial's screenshots
# ---------------------------------------------------------------------------------------------
def tutorial_workbook(folder: Path) -> Path:
    """The yearbook-style workbook of docs/tutorials/04_own_cities.py (its step 1, run as the tutorial has it)."""
    source = (ROOT / "docs" / "tutorials" / "04_own_cities.py").read_text(encoding="utf-8")
    step1 = source[:source.index("\n# 2. Read it as it is")]
    with mock.patch("tempfile.mkdtemp", return_value=str(folder)):
        exec(compile(step1, "04_own_cities.py (step 1)", "exec"), {"__name__": "tutorial04"})
    return folder / "长三角城市数据.xlsx"


def shoot(page, folder: Path, name: str, selector: str | None = None, top: bool = True) -> Path:
    """A 1280 × 800 screenshot of the page (scrolled to the top unless ``top`` is false) or of one element,
    reduced to 256 colours so that it stays under 250 KB."""
    from PIL import Image

    path = folder / f"{name}.png"
    for close in page.locator(".shiny-notification-close").all():
        with contextlib.suppress(Exception):
            close.click(timeout=1000)
    page.wait_for_timeout(300)
    if selector:
        page.locator(selector).first.screenshot(path=path)
    else:
        if top:
            page.evaluate("() => window.scrollTo(0, 0)")
            page.wait_for_timeout(200)
        page.screenshot(path=path)
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    size = path.stat().st_size
    print(f"  {path.name}: {size / 1000:.0f} KB", flush=True)
    if size > MAX_PNG_BYTES:
        raise RuntimeError(f"{path} is {size:,} bytes, over the {MAX_PNG_BYTES:,} allowed for docs images")
    return path


def edit_cell(page, grid: str, row: int, column: str, value: str) -> None:
    """Type ``value`` into one cell of an editable data grid (Shiny's own Playwright controller)."""
    from shiny.playwright.controller import OutputDataFrame

    headers = [h.strip() for h in page.locator(f"#{grid} thead tr").first.locator("th").all_inner_texts()]
    OutputDataFrame(page, grid).set_cell(value, row=row, col=headers.index(column))  # saved by a click outside
    settle(page)


def read_data(page) -> None:
    page.click("#read_data")
    settle(page)


def screenshots(folder: Path, lang: str = "zh") -> None:
    """The tutorial's screenshots, in the order of docs/tutorials/05_workbench.md."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nqpf-shots-") as tmp, chromium() as browser:
        book = tutorial_workbook(Path(tmp))
        server = Server(lang)
        try:
            page = open_page(browser, server.wait_url(), downloads=True)
            shoot(page, folder, "01_start")
            # data: the yearbook workbook as it is (kind detected: 苏州 and 苏州市 are two units)
            page.check("#data_source input[value='upload']")
            settle(page)
            page.set_input_files("#data_file", str(book))
            settle(page)
            read_data(page)
            shoot(page, folder, "02_data_messages")
            # the fix: kind city, and the rename of tutorial 4's study file
            page.select_option("#kind", "city")
            page.fill("#rename", "苏州 = 苏州市")
            read_data(page)
            shoot(page, folder, "03_data_fixed")
            shoot(page, folder, "03_rename", selector="#rename >> xpath=..")
            # framework: built as a table from the data's columns; a mistake shown on its row, then fixed
            go_step(page, "framework")
            page.check("#fw_source input[value='table']")
            settle(page)
            page.click("#fw_from_data")
            settle(page)
            page.fill("#fw_name", "yrd-digital-finance")
            page.fill("#fw_title_zh", "长三角城市数字金融服务")
            page.fill("#fw_title_en", "Digital financial services of Yangtze River Delta cities")
            settle(page)
            edit_cell(page, "fw_dimensions", 0, "name_zh", "数字金融服务")
            edit_cell(page, "fw_indicators", 4, "direction", "up")
            page.click("#fw_check")
            settle(page)
            shoot(page, folder, "04_framework_error")
            edit_cell(page, "fw_indicators", 4, "direction", "positive")
            page.click("#fw_check")
            settle(page)
            for row, name in enumerate(["覆盖广度", "支付", "信贷", "保险", "投资"]):
                edit_cell(page, "fw_indicators", row, "name_zh", name)
            shoot(page, folder, "05_framework_table")
            # methods and analyses
            go_step(page, "methods")
            page.fill("#index_name", "dfs")
            for name in ANALYSES_SHOWN:
                page.check(f"#an_{name}")
            settle(page)
            shoot(page, folder, "06_methods")
            page.click("#check_study")
            settle(page)
            page.locator("#study_preview").scroll_into_view_if_needed()
            shoot(page, folder, "07_study_toml", top=False)
            # run: the '—' cell stops it (the error names the cell and the fixes) ...
            go_step(page, "run")
            page.click("#run_study")
            settle(page)
            if wait_run_end(page) != "failed":
                raise RuntimeError("the run with the '—' cell and explicit years was expected to fail")
            shoot(page, folder, "08_run_error")
            # ... the page's hint followed: years 2015-2021; run again
            go_step(page, "methods")
            page.fill("#years", "2015-2021")
            settle(page)
            go_step(page, "run")
            page.click("#run_study")
            page.wait_for_function("() => document.querySelectorAll('#run_progress li.nqpf-progress').length >= 5"
                                   " || !!document.querySelector('#run_progress .nqpf-run-done,"
                                   " #run_progress .nqpf-run-failed')",
                                   timeout=RUN_TIMEOUT_S * 1000)
            shoot(page, folder, "09_run_progress")
            wait_run_over(page)
            shoot(page, folder, "10_run_done")
            # results
            go_step(page, "results")
            page.wait_for_selector("#report_frame iframe", timeout=60_000)
            page.wait_for_timeout(3000)
            shoot(page, folder, "11_results")
            page.locator("#result_grid").scroll_into_view_if_needed()
            shoot(page, folder, "12_result_table", top=False)
            # study.zip reproduces the run with `nqpf run study.toml` (what the tutorial says)
            go_step(page, "results")
            with page.expect_download(timeout=60_000) as dl:
                page.click("#dl_bundle")
            rerun = Path(tmp) / "rerun"
            dl.value.save_as(Path(tmp) / "study.zip")
            shutil.unpack_archive(Path(tmp) / "study.zip", rerun)
            seconds, _ = run_cli(rerun / "study.toml", rerun / "out")
            print(f"  study.zip ({', '.join(sorted(p.name for p in rerun.iterdir() if p.name != 'out'))}) "
                  f"reruns with nqpf run in {seconds:.0f} s", flush=True)
            # the same page in English
            page.check("#lang input[value='en']")
            settle(page)
            go_step(page, "data")
            shoot(page, folder, "13_english")
            page.context.close()
        finally:
            server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (median reported); default 3")
    ap.add_argument("--screenshots", type=Path, default=None, metavar="DIR",
                    help="take the tutorial's screenshots into DIR instead of timing")
    ap.add_argument("--lang", default="zh", choices=["zh", "en"], help="page language of the screenshots")
    ap.add_argument("--workbook", type=Path, default=None, metavar="DIR",
                    help="only write tutorial 4's yearbook workbook (长三角城市数据.xlsx) into DIR, for tutorial 5")
    args = ap.parse_args()
    # a SIGTERM (timeout, kill) unwinds like Ctrl+C, so that the server (its own process group) is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.workbook is not None:
        args.workbook.mkdir(parents=True, exist_ok=True)
        print(f"written: {tutorial_workbook(args.workbook.resolve())}")
    elif args.screenshots is not None:
        screenshots(args.screenshots, args.lang)
    else:
        bench(args.repeat)


if __name__ == "__main__":
    main()
