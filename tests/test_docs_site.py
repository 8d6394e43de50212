"""The documentation site: `mkdocs build --strict` passes, and the built site works offline.

Checks (docs/index.md, mkdocs.yml, docs/assets/katex/README.md):
- the build has no warnings (strict) and every page of nav exists;
- opened from file:// in headless Chromium, no page requests anything but file:// (or data:) URLs — recorded
  with the DevTools protocol over a pipe (``--remote-debugging-pipe``, no extra Python package);
- every formula of every methods page renders with the vendored KaTeX, none with an error.

Skipped only when mkdocs or Chromium is missing and CI is not "true".
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
IN_CI = os.environ.get("CI") == "true"
HAVE_MKDOCS = importlib.util.find_spec("mkdocs") is not None and importlib.util.find_spec("material") is not None

needs_mkdocs = pytest.mark.skipif(not HAVE_MKDOCS and not IN_CI, reason="mkdocs / mkdocs-material not installed")
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="chromium not installed")

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
    # a safety net: should a page ask for a host name anyway, it is not resolved (the request is still recorded)
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


# ---------------------------------------------------------------------------------------------
# the build
# ---------------------------------------------------------------------------------------------
def build_site(dest: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` into ``dest`` (the command `make docs` runs, with another site dir)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(dest)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAVE_MKDOCS:
        pytest.fail("mkdocs is not installed (CI=true): install the docs extra")
    dest = tmp_path_factory.mktemp("site")
    proc = build_site(dest)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    warnings = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "WARNING" in ln]
    assert not warnings, "\n".join(warnings)
    return dest


def nav_pages() -> list[str]:
    """Every Markdown page named in mkdocs.yml's nav."""
    import re

    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:"):]
    return re.findall(r"([\w/.-]+\.md)\s*$", nav, flags=re.M)


@needs_mkdocs
def test_build_strict_has_every_nav_page(site: Path) -> None:
    pages = nav_pages()
    assert len(pages) >= 28
    for md in pages:
        html = site / md.replace(".md", ".html")
        assert html.exists(), f"{md} was not built"
    # the vendored KaTeX is shipped with the site, the Google Fonts link is not
    assert (site / "assets/katex/katex.min.js").exists()
    assert (site / "assets/katex/fonts/KaTeX_Main-Regular.woff2").exists()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in index and "fonts.gstatic.com" not in index
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "unpkg.com" not in text, page


@needs_mkdocs
def test_tutorial_pages_include_their_scripts(site: Path) -> None:
    for n in ("01_measure_provinces", "02_own_data", "03_countries"):
        html = (site / "tutorials" / f"{n}.html").read_text(encoding="utf-8")
        first = (ROOT / "docs" / "tutorials" / f"{n}.py").read_text(encoding="utf-8").splitlines()[0]
        assert "Tutorial" in first and first.split(":")[0].strip('"') in html


# ---------------------------------------------------------------------------------------------
# Chromium over the DevTools protocol, through a pipe (fds 3 and 4 of the browser)
# ---------------------------------------------------------------------------------------------
class Browser:
    """A headless Chromium driven over ``--remote-debugging-pipe``; records every request of its page."""

    def __init__(self, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()

        def wire() -> None:  # in the child: the protocol expects its input on fd 3, its output on fd 4
            a, b = os.dup(cmd_r), os.dup(res_w)  # first out of the way, in case a pipe end is fd 3 or 4
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [str(CHROMIUM), *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Network.enable", session=True)
        self.call("Page.enable", session=True)

    def _read(self, timeout: float) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._res_r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._res_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False,
             timeout: float = 30.0) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, end - time.monotonic()))
            if reply is None:
                raise TimeoutError(f"no reply to {method}")
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, name: str, timeout: float = 30.0, start: int = 0) -> None:
        end = time.monotonic() + timeout
        while True:
            if any(ev.get("method") == name for ev in self.events[start:]):
                return
            msg = self._read(max(0.0, end - time.monotonic()))
            if msg is None:
                raise TimeoutError(f"no {name} event")
            self.events.append(msg)

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = self._read(end - time.monotonic())
            if msg is not None:
                self.events.append(msg)

    def visit(self, url: str, expression: str | None = None) -> tuple[list[str], Any]:
        """Open ``url``; return every URL the page requested and the value of ``expression`` (after fonts load)."""
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")
        value = None
        if expression is not None:
            res = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True}, session=True)
            value = res.get("result", {}).get("value")
        self.drain(0.1)
        urls = [ev["params"]["request"]["url"] for ev in self.events
                if ev.get("method") == "Network.requestWillBeSent"]
        return urls, value

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._res_r)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (CI=true)")
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


MATH_PROBE = """
document.fonts.ready.then(() => JSON.stringify({
  math: document.querySelectorAll('.arithmatex').length,
  rendered: document.querySelectorAll('.arithmatex .katex').length,
  errors: document.querySelectorAll('.katex-error').length,
  unrendered: document.querySelectorAll('.arithmatex:not([data-katex="done"])').length,
  title: document.title,
}))
"""


@needs_chromium
def test_request_recorder_sees_network_requests(browser: Browser, tmp_path: Path) -> None:
    """Positive control: a page that asks the (local, closed) network for an image is caught."""
    page = tmp_path / "probe.html"
    page.write_text('<html><body><img src="http://127.0.0.1:9/nqpf-probe.png"></body></html>', encoding="utf-8")
    urls, _ = browser.visit(page.as_uri())
    assert page.as_uri() in urls
    assert "http://127.0.0.1:9/nqpf-probe.png" in urls


@needs_chromium
@needs_mkdocs
def test_site_offline_and_every_formula_renders(site: Path, browser: Browser) -> None:
    pages = [site / md.replace(".md", ".html") for md in nav_pages()]
    outside: dict[str, list[str]] = {}
    totals = {"math": 0, "rendered": 0}
    for page in pages:
        urls, probe = browser.visit(page.as_uri(), MATH_PROBE)
        bad = [u for u in urls if not u.startswith(LOCAL_SCHEMES)]
        if bad:
            outside[page.name] = bad
        info = json.loads(probe)
        assert info["title"], page
        assert info["errors"] == 0, f"{page.relative_to(site)}: {info['errors']} KaTeX error(s)"
        assert info["unrendered"] == 0, f"{page.relative_to(site)}: {info['unrendered']} formula(s) not rendered"
        totals["math"] += info["math"]
        totals["rendered"] += info["rendered"]
        if "/methods/" in page.as_posix() and page.name not in ("index.html", "citing.html"):
            assert info["math"] > 0, f"{page.name} shows no formula"
        assert any(u.endswith("katex.min.js") for u in urls), page
    assert not outside, f"requests that leave the machine: {outside}"
    assert totals["rendered"] == totals["math"] > 200
