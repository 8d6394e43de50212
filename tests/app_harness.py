"""Helpers for the workbench's browser tests (tests/test_app_browser.py): the app's server in a subprocess, the
system Chromium driven by Playwright, small actions on the page's elements (ids from docs/design-workbench.md),
and the makers of the test files.

Nothing here downloads a browser: Playwright launches the Chromium Debian installs (``apt-get install -y
chromium``). Without it (or without the ``playwright`` package) the tests skip, except in CI (``CI=true``), where
they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: the upload cap the test server runs with (MB), small enough that an oversize file is cheap to make
TEST_UPLOAD_MB = 1
#: how long a page action or expectation may wait (ms); the default study's run waits longer
WAIT_MS = 30_000
RUN_WAIT_MS = 240_000


# =============================================================================================
# the browser and the server
# =============================================================================================
def skip_or_fail(reason: str) -> None:
    """Skip the browser tests, or fail when ``CI=true`` (where they must run)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} but CI=true: the workbench's browser tests must run in CI")
    pytest.skip(f"{reason}; the workbench's browser tests run in CI")


def chromium_executable() -> str:
    """The system Chromium, or skip (fail in CI)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        skip_or_fail("chromium is not installed (apt-get install -y chromium)")
    return str(exe)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """``nqpf.app.main.serve`` in a child process on a free port, its temporary folders under ``tmp``.

    ``TMPDIR`` points the child's ``tempfile`` at ``tmp``, so the per-session folders (``nqpf-app-*``) the tests
    watch are the server's own; ``NQPF_APP_MAX_UPLOAD_MB`` sets a small upload cap.
    """

    def __init__(self, tmp: Path, *, lang: str = "en", max_upload_mb: int = TEST_UPLOAD_MB) -> None:
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp / "server.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
        env["TMPDIR"] = str(tmp)
        env["NQPF_APP_MAX_UPLOAD_MB"] = str(max_upload_mb)
        env["PYTHONUNBUFFERED"] = "1"
        code = ("from nqpf.app.main import serve; "
                f"serve(host='127.0.0.1', port={self.port}, open_browser=False, lang={lang!r})")
        self._log = self.log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=tmp)

    def wait_ready(self, attempts: int = 450) -> None:
        """Wait until the server answers (``attempts`` tries, 0.2 s apart; no clock is read)."""
        for _ in range(attempts):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app's server exited ({self.proc.returncode}):\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the app's server did not answer {self.url} after {attempts} tries:\n{self.log_text()}")

    def wait_until(self, condition: Callable[[], bool], what: str, round_trips: int = 600) -> None:
        """Wait until ``condition()`` holds, checking it once per round trip to the server (each a turn of the
        server's event loop, where a closed page's session ends); no clock is read. Fails naming ``what`` when the
        server stopped or the condition still does not hold after ``round_trips`` requests."""
        for _ in range(round_trips):
            if condition():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{what}: the server exited ({self.proc.returncode}):\n{self.log_text()}")
            with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                urllib.request.urlopen(self.url, timeout=2).close()
            time.sleep(0.1)
        assert condition(), f"{what} (after {round_trips} requests to the server)\n{self.log_text()}"

    def log_text(self) -> str:
        self._log.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def session_dirs(self) -> list[Path]:
        """The live session folders (``nqpf-app-*``) of this server."""
        return sorted(p for p in self.tmp.glob("nqpf-app-*") if p.is_dir())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


@contextlib.contextmanager
def app_server(tmp: Path, **kwargs: Any) -> Iterator[AppServer]:
    server = AppServer(tmp, **kwargs)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium under Playwright (skip, or fail in CI, when either is missing)."""
    exe = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed (pip install playwright; no browser download)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """One browser context (one app session) on the server: a page, the requests it made, its console errors."""

    def __init__(self, browser: Any, server: AppServer) -> None:
        self.server = server
        self.context = browser.new_context(accept_downloads=True, locale="en-US")
        self.context.set_default_timeout(WAIT_MS)
        self.foreign: list[str] = []
        self.context.route("**/*", self._route)
        self.context.add_init_script(IDLE_COUNTER)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.bad_responses: list[str] = []
        self.page.on("response", lambda r: r.status >= 400 and self.bad_responses.append(f"{r.status} {r.url}"))
        self.page.goto(server.url)
        self.page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected()")
        settle(self.page)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith((f"http://127.0.0.1:{self.server.port}/", f"ws://127.0.0.1:{self.server.port}/",
                           "data:", "blob:", "about:")):
            route.continue_()
        else:  # the workbench is offline: nothing may leave the machine
            self.foreign.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


# =============================================================================================
# actions on the page (Shiny's own Playwright controllers where they fit)
# =============================================================================================
def settle(page: Any, timeout: float = WAIT_MS) -> None:
    """Wait until Shiny is idle: no ``shiny-busy`` on <html>, no visible output recalculating (an output on a hidden
    step stays "recalculating" until shown)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "() => !document.documentElement.classList.contains('shiny-busy')"
            " && !Array.from(document.querySelectorAll('.recalculating')).some(e => e.checkVisibility())",
            timeout=timeout)
    except PlaywrightTimeout as exc:
        busy = page.evaluate("() => [document.documentElement.className, Array.from("
                             "document.querySelectorAll('.recalculating')).filter(e => e.checkVisibility())"
                             ".map(e => e.id)]")
        raise AssertionError(f"the page did not settle within {timeout / 1000:.0f} s: <html class> and the "
                             f"outputs still recalculating: {busy}") from exc


def step(page: Any, value: str) -> None:
    """Open a step of the navbar ``step`` (data, framework, methods, run, results)."""
    page.locator(f"#step a[data-value='{value}'], .navbar a[data-value='{value}']").first.click()
    settle(page)


def radio(page: Any, input_id: str, value: str) -> None:
    page.locator(f"#{input_id} input[type=radio][value='{value}']").check()
    settle(page)


def select(page: Any, input_id: str, value: str | list[str]) -> None:
    """Choose in a select (plain or selectize) once the option exists (choices may arrive from the server)."""
    values = [value] if isinstance(value, str) else list(value)
    page.wait_for_function(
        """([id, vs]) => { const el = document.getElementById(id); if (!el) return false;
             const have = el.selectize ? Object.keys(el.selectize.options) : Array.from(el.options).map(o => o.value);
             return vs.every(v => have.includes(v)); }""", arg=[input_id, values])
    page.evaluate(
        """([id, vs]) => { const el = document.getElementById(id);
             if (el.selectize) { el.selectize.setValue(el.multiple ? vs : vs[0]); return; }
             Array.from(el.options).forEach(o => { o.selected = vs.includes(o.value); });
             el.dispatchEvent(new Event('change', {bubbles: true})); }""", [input_id, values])
    settle(page)


def fill(page: Any, input_id: str, text: str) -> None:
    """Type into a text input or textarea (committed with a blur, as Shiny reads it)."""
    box = page.locator(f"#{input_id}")
    box.fill(text)
    box.blur()
    settle(page)


#: counts Shiny's busy → idle turns (the class ``shiny-busy`` leaving <html>), so a click can wait for its answer
IDLE_COUNTER = """
window.__nqpfIdle = 0;
new MutationObserver(records => records.forEach(r => {
  if (r.target === document.documentElement && (r.oldValue || '').includes('shiny-busy')
      && !r.target.classList.contains('shiny-busy')) window.__nqpfIdle++;
})).observe(document, {attributes: true, attributeFilter: ['class'], attributeOldValue: true, subtree: true});
"""


def click(page: Any, button_id: str, timeout: float = WAIT_MS) -> None:
    """Click a button and wait for the server's answer: the next ``shiny:idle`` (up to 2 s), then :func:`settle`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate("window.__nqpfIdle || 0")
    page.locator(f"#{button_id}").click()
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("n => (window.__nqpfIdle || 0) > n", arg=before, timeout=2000)
    settle(page, timeout)


def upload(page: Any, input_id: str, path: Path, *, complete: bool = True) -> None:
    """Put a file in a file input; wait for Shiny's progress bar to reach 100 % unless ``complete`` is False."""
    from shiny.playwright.controller import InputFile

    control = InputFile(page, input_id)
    control.set(path, expect_complete_timeout=WAIT_MS if complete else None)
    settle(page)


def messages(page: Any, output_id: str, level: str | None = None) -> list[str]:
    """The text of each message box (``div.nqpf-msg``, optionally of one level) inside an output."""
    sel = f"#{output_id} div.nqpf-msg" + (f".nqpf-{level}" if level else "")
    return [t.strip() for t in page.locator(sel).all_inner_texts()]


def wait_message(page: Any, output_id: str, pattern: str, level: str | None = None,
                 timeout: float = WAIT_MS) -> str:
    """Wait for a message box whose text contains ``pattern`` (a substring); returns its text."""
    sel = f"#{output_id} div.nqpf-msg" + (f".nqpf-{level}" if level else "")
    page.locator(sel).filter(has_text=pattern).first.wait_for(timeout=timeout)
    return next(m for m in messages(page, output_id, level) if pattern in m)


def wait_text(page: Any, output_id: str, pattern: str, timeout: float = WAIT_MS) -> str:
    """Wait until an output's text contains ``pattern``; returns the text."""
    page.locator(f"#{output_id}").filter(has_text=pattern).first.wait_for(timeout=timeout)
    return page.locator(f"#{output_id}").inner_text()


def download(page: Any, link_id: str, folder: Path) -> Path:
    """Click a download link/button and save the file under ``folder`` by its suggested name."""
    link = page.locator(f"#{link_id}")
    page.wait_for_function(
        """id => { const a = document.getElementById(id);
             return a && !a.classList.contains('disabled') && a.getAttribute('aria-disabled') !== 'true'
                    && (a.getAttribute('href') || '') !== ''; }""", arg=link_id)
    with page.expect_download(timeout=WAIT_MS) as info:
        link.click()
    dl = info.value
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / dl.suggested_filename
    dl.save_as(target)
    return target


def grid(page: Any, output_id: str) -> Any:
    """Shiny's controller of a data grid (``render.data_frame``)."""
    from shiny.playwright.controller import OutputDataFrame

    return OutputDataFrame(page, output_id)


def grid_frame(page: Any, output_id: str) -> pd.DataFrame:
    """What a data grid shows: its column labels and cell texts."""
    g = page.locator(f"#{output_id} table").first
    g.wait_for()
    heads = [t.strip() for t in g.locator("thead tr:not(.filters) th:not(.table-corner)").all_inner_texts()]
    rows = []
    for tr in g.locator("tbody tr").all():  # a virtual grid draws the rows in view (and spacer rows)
        cells = [t.strip() for t in tr.locator("td:not(.row-number), th:not(.row-number)").all_inner_texts()]
        if len(cells) == len(heads):
            rows.append(cells)
    return pd.DataFrame(rows, columns=heads)


# =============================================================================================
# test files
# =============================================================================================
YRD_INDICATORS = ["coverage_breadth", "payment", "credit", "insurance", "investment"]


def make_city_workbook(path: Path) -> Path:
    """The yearbook-style workbook of docs/tutorials/04_own_cities.py: sheet 说明 (notes) first, then one sheet per
    indicator (a header row 城市, 2022年 … 2015年; one row per city of 上海, 江苏, 浙江, 安徽), 苏州 spelt without
    市 in the credit sheet and '—' for 池州市's investment index in 2022."""
    import nqpf
    from nqpf.datasets.cities import city_table

    cities = city_table()
    yrd = cities[cities["province"].isin(["上海", "江苏", "浙江", "安徽"])]["city"].tolist()
    bundled = nqpf.load_dataset("china-cities").data
    years = list(range(2022, 2014, -1))
    with pd.ExcelWriter(path) as xl:
        notes = [["说明"], ["数据来源：北京大学数字普惠金融指数（城市级），郭峰等（2020）"],
                 ["单位：指数（2011年为基期）"]]
        pd.DataFrame(notes).to_excel(xl, sheet_name="说明", header=False, index=False)
        for col in YRD_INDICATORS:
            wide = bundled[col].unstack("year").loc[yrd, years]
            rows: list[list[Any]] = [["城市"] + [f"{y}年" for y in years]]
            for city in yrd:
                name = "苏州" if (col == "credit" and city == "苏州市") else city
                cells = ["—" if (col == "investment" and city == "池州市" and y == 2022) else wide.loc[city, y]
                         for y in years]
                rows.append([name, *cells])
            pd.DataFrame(rows).to_excel(xl, sheet_name=col, header=False, index=False)
    return path


def make_province_csv(path: Path, *, misspell: dict[str, str] | None = None, years: range = range(2016, 2023),
                      indicators: tuple[str, ...] = ("gdp", "patent_grants")) -> Path:
    """A long CSV of a few indicators of the bundled provinces (``misspell``: province → the spelling written)."""
    import nqpf

    data = nqpf.load_dataset("china-provinces").data
    cols = [c for c in indicators if c in data.columns]
    frame = data[cols].reset_index()
    frame = frame[frame["year"].isin(list(years))]
    unit = frame.columns[0]
    if misspell:
        frame[unit] = frame[unit].replace(misspell)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def make_oversize(path: Path, mb: float) -> Path:
    """A CSV of about ``mb`` megabytes (numbers, valid as a file, too big for the cap)."""
    row = "x,2020," + "1" * 90 + "\n"
    n = int(mb * 1024 * 1024 / len(row)) + 1
    path.write_text("unit,year,v\n" + row * n, encoding="utf-8")
    return path
