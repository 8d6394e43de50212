"""report.html in headless Chromium: no console errors, no network request, a map of 31 provinces, every figure drawn,
a size limit. How fast it opens is a benchmark (bench/bench_report.py, which reuses the client below), not a test.

The browser is driven through the Chrome DevTools Protocol over a websocket; the small client below uses only the
standard library (no pip package). Chromium comes from Debian (``apt-get install -y chromium``). Without it the
test skips, except in CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
]
MAX_BYTES = 15 * 1024 * 1024


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


# =============================================================================================
# a minimal websocket + CDP client (RFC 6455 client side: masked frames, fragmentation, ping/pong)
# =============================================================================================
class WebSocket:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        if not m:
            raise ValueError(f"not a ws:// url: {url}")
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"websocket handshake failed: {status!r}")
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def _recv_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text: str) -> None:
        payload = text.encode()
        head = bytearray([0x81])
        n = len(payload)
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head.append(0x80 | 126)
            head += struct.pack(">H", n)
        else:
            head.append(0x80 | 127)
            head += struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(head) + mask + masked)

    def _pong(self, data: bytes) -> None:
        mask = os.urandom(4)
        self.sock.sendall(bytes([0x8A, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._recv_exact(2)
            fin, opcode = b0 & 0x80, b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            data = self._recv_exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x9:
                self._pong(data)
                continue
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x1, 0x2, 0x0):
                parts.append(data)
                if fin:
                    return b"".join(parts).decode()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Browser:
    """Headless Chromium with one page, driven over CDP (flattened sessions on the browser websocket)."""

    def __init__(self, exe: str, width: int = 1280, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="nqpf-chromium-")
        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.time() + 30
        lines = []
        while time.time() < deadline and url is None:
            line = self.proc.stderr.readline()  # type: ignore[union-attr]
            if not line:
                if self.proc.poll() is not None:
                    break
                continue
            lines.append(line)
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
        if url is None:
            self.close()
            raise RuntimeError("chromium did not start:\n" + "".join(lines[-20:]))
        self.ws = WebSocket(url)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False,
             timeout: float = 60.0) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.time() + timeout
        while time.time() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise TimeoutError(method)

    def evaluate(self, expr: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, url: str, ready: str, timeout: float = 60.0) -> None:
        """Navigate and wait until ``ready`` (a JS expression) is truthy (a TimeoutError after ``timeout`` s)."""
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(ready):
                return
            time.sleep(0.02)
        raise TimeoutError(f"page not ready after {timeout} s: {ready}")

    def screenshot(self, path: Path, clip: dict[str, float] | None = None) -> None:
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(str(d.get("exception", {}).get("description") or d.get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p["entry"].get("text")) + " " + str(p["entry"].get("url", "")))
        return out

    def network_requests(self) -> list[str]:
        urls = [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return [u for u in urls if not u.startswith(("file:", "data:", "blob:", "about:"))]

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


MAP_CHECK = """(() => {
  const gds = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const maps = gds.filter(g => g._fullData && g._fullData.length && g._fullData[0].type === 'choropleth');
  if (!maps.length) return JSON.stringify({n_maps: 0, figures: gds.length});
  const m = maps[0], fd = m._fullData[0];
  const z = Array.from(fd.z), locs = Array.from(fd.locations);
  const second = m._fullData.length > 1 ? m._fullData[1] : null;
  const grey = second && second.type === 'choropleth' ? Array.from(second.locations) : [];
  const finite = z.filter(v => v !== null && Number.isFinite(Number(v))).length;
  const layer = m.querySelectorAll('.choroplethlayer .trace')[0];
  const paths = layer ? Array.from(layer.querySelectorAll('path.choroplethlocation')) : [];
  const filled = paths.filter(p => { const f = p.style.fill || p.getAttribute('fill') || '';
                                     return f && f !== 'none' && f !== 'rgba(0, 0, 0, 0)'; }).length;
  const steps = (m.layout.sliders && m.layout.sliders[0]) ? m.layout.sliders[0].steps.length : 0;
  const r = m.getBoundingClientRect();
  return JSON.stringify({n_maps: maps.length, figures: gds.length, locations: locs, grey: grey,
                         unique: new Set(locs).size, finite: finite, paths: paths.length, filled: filled,
                         steps: steps, id: m.id, top: r.top + window.scrollY, left: r.left, width: r.width,
                         height: r.height});
})()"""


def mainland() -> set[str]:
    from nqpf.viz.maps import panel_ids

    return set(panel_ids())


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed but CI=true: install it (apt-get install -y chromium)")
        pytest.skip("chromium not installed (apt-get install -y chromium); the browser test runs in CI")
    b = Browser(exe)
    yield b
    b.close()


def open_report(browser: Browser, path: Path) -> tuple[float, float, dict[str, Any]]:
    """Open a report, draw every figure; returns (first screen ms, all figures ms, map info).

    The two times are the page's own clock (``performance.now()`` after navigation start) when the first screen
    and all figures were drawn; bench/bench_report.py reports them, the tests only check that drawing finished.
    """
    browser.events.clear()
    browser.open(path.resolve().as_uri(), "window.NQPF_READY_MS !== undefined")
    first = float(browser.evaluate("window.NQPF_READY_MS"))
    browser.evaluate("window.NQPF_ALL_MS = undefined; NQPF.drawAll().then(() => { "
                     "window.NQPF_ALL_MS = performance.now(); })")
    deadline = time.time() + 60
    while browser.evaluate("window.NQPF_ALL_MS") is None and time.time() < deadline:
        time.sleep(0.05)
    all_ms = float(browser.evaluate("window.NQPF_ALL_MS"))
    return first, all_ms, json.loads(browser.evaluate(MAP_CHECK))


def screenshot_map(browser: Browser, info: dict[str, Any], path: Path) -> None:
    browser.evaluate(f"window.scrollTo(0, {info['top']} - 90)")
    time.sleep(0.3)
    browser.screenshot(path)


def test_default_study_report_opens_offline_and_small(browser, default_outdir, test_output):
    """The report `nqpf run` writes for the bundled study: < 15 MB, every figure drawn without a console error or a
    network request, the map showing every mainland province."""
    path = default_outdir / "report.html"
    size = path.stat().st_size
    first, all_ms, info = open_report(browser, path)
    assert size < MAX_BYTES, f"report is {size / 1e6:.1f} MB"
    assert 0 < first <= all_ms  # the first screen, then every figure, were drawn
    assert browser.evaluate("Object.keys(NQPF.drawn).length") == browser.evaluate("Object.keys(NQPF.specs).length")
    assert browser.evaluate("document.body.getAttribute('data-ready')") == "1"
    assert browser.console_errors() == []
    assert browser.network_requests() == []
    assert info["n_maps"] >= 3  # the index maps (and the analyses' maps)
    # every mainland province is on the map: with a value, or grey "no data" when the study excluded it
    assert set(info["locations"]) | (set(info["grey"]) & mainland()) == mainland()
    assert info["finite"] == len(info["locations"]) == info["filled"] == info["paths"]
    assert info["steps"] >= 2
    browser.screenshot(test_output / "report_top.png")
    screenshot_map(browser, info, test_output / "report_map.png")
    assert (test_output / "report_map.png").stat().st_size > 10_000


def test_report_with_31_provinces_maps_all_of_them(browser, tmp_path_factory, test_output):
    """A run over all 31 provinces: the map has 31 provinces with values (English labels)."""
    from test_report import _unconverted, build_mini_run

    from nqpf.report.html import write_report

    run = build_mini_run(tmp_path_factory.mktemp("mini-browser"))
    path = test_output / "report_mini_en.html"
    rep = write_report(run, path, lang="en", strict=not _unconverted(run))
    assert {n.split("'")[1] for n in rep.notes} == _unconverted(run)
    _, _, info = open_report(browser, path)
    assert browser.console_errors() == []
    assert browser.network_requests() == []
    assert len(info["locations"]) == 31 and info["unique"] == 31 and set(info["locations"]) == mainland()
    assert info["finite"] == 31 and info["paths"] == 31 and info["filled"] == 31
    assert "The index" in browser.evaluate("document.body.innerText")
    screenshot_map(browser, info, test_output / "report_map_31.png")
