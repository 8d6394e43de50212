"""Start the workbench (启动工作台): ``nqpf app`` / ``python -m nqpf.app``.

:func:`serve` runs the Shiny app with uvicorn on the loopback interface, behind :class:`UploadGuard` (an ASGI
layer that answers 413 to an upload larger than the cap before its body is read), prints the address and
opens the browser once the server answers. The library's heavy modules are imported in a background thread
after the server is up, so the first page does not wait for them.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from nqpf.app.i18n import t
from nqpf.core.errors import NqpfError

__all__ = ["UploadGuard", "is_loopback", "main", "make_app", "serve", "upload_cap_mb"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: environment variable that lowers (or raises) the upload cap, in MB
CAP_ENV = "NQPF_APP_MAX_UPLOAD_MB"

def upload_cap_mb() -> float:
    """The upload cap in MB: ``$NQPF_APP_MAX_UPLOAD_MB`` when set, else :data:`nqpf.app.workspace.MAX_UPLOAD_MB`.

    Examples
    --------
    >>> upload_cap_mb() > 0
    True
    """
    env = os.environ.get(CAP_ENV, "").strip()
    if env:
        try:
            value = float(env)
        except ValueError:
            raise NqpfError(f"environment variable {CAP_ENV}={env!r} is not a number of megabytes; "
                            f"set it to e.g. 50 or unset it") from None
        if value <= 0:
            raise NqpfError(f"environment variable {CAP_ENV}={env!r} must be a positive number of megabytes")
        return value
    from nqpf.app.workspace import MAX_UPLOAD_MB  # heavy (the library): only when an upload arrives

    return float(MAX_UPLOAD_MB)


def _is_upload(scope: Scope) -> bool:
    path = scope.get("path", "")
    return scope.get("type") == "http" and scope.get("method") == "POST" and "/upload/" in path \
        and path.lstrip("/").startswith("session/")


class UploadGuard:
    """ASGI layer: a POST to Shiny's upload path (``/session/<id>/upload/<job>``) whose ``Content-Length``
    exceeds the cap gets 413 with a message in both languages, before any of the body is read; a body
    without ``Content-Length`` is counted as it arrives and cut off at the cap."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 cap_mb: Callable[[], float] = upload_cap_mb) -> None:
        self.app = app
        self.cap_mb = cap_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_upload(scope):
            await self.app(scope, receive, send)
            return
        cap = self.cap_mb()
        limit = int(cap * 1024 * 1024)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(send, int(length), cap)
            return
        seen = 0

        async def counted() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise NqpfError(f"upload larger than the limit of {cap:g} MB ({CAP_ENV})")
            return message

        await self.app(scope, counted if length is None else receive, send)

    @staticmethod
    async def _refuse(send: Send, size: int, cap: float) -> None:
        mb = f"{size / 1024 / 1024:.1f}" if size >= 100 * 1024 else f"{size / 1024 / 1024:.3g}"
        text = " / ".join(t("too_large", lang, size=mb, cap=f"{cap:g}") for lang in ("zh", "en"))
        body = text.encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def make_app(lang: str = "zh") -> UploadGuard:
    """The ASGI application: the Shiny app (page in ``lang``) behind the upload guard."""
    from shiny import App

    from nqpf.app.server import server
    from nqpf.app.ui import app_ui

    return UploadGuard(App(app_ui(lang), server))


def is_loopback(host: str) -> bool:
    """True for an address of this machine only (127.0.0.1, ::1, localhost).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` now (the operating system's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """True when ``port`` can be bound on ``host`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(host: str = "127.0.0.1", port: int = 8050, open_browser: bool = True, lang: str = "zh",
          allow_remote: bool = False) -> None:
    """Run the workbench until interrupted (Ctrl+C).

    ``host`` must be a loopback address unless ``allow_remote``: the page reads files and runs studies on this
    machine, and anyone who reaches the port could do so too. ``port=0`` takes a free port. The address is
    printed; the browser opens once the server answers (``open_browser``).
    """
    import uvicorn

    from nqpf.app.server import warm_up

    if lang not in ("zh", "en"):
        raise NqpfError(f"--lang {lang!r}: use zh or en")
    if not is_loopback(host) and not allow_remote:
        raise NqpfError(f"--host {host}: the workbench listens on this computer only (127.0.0.1), because anyone "
                        "who can reach the port can upload files and run studies here; to serve other machines "
                        "anyway, add --allow-remote")
    if port == 0:
        port = free_port(host)
    elif not port_free(host, port):
        raise NqpfError(f"--port {port}: the port is in use on {host} (another nqpf app?); "
                        "choose another with --port, or --port 0 for any free one")
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    app = make_app(lang)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    def when_up() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if not server.started:
            return
        print(f"nqpf workbench: {url}  (Ctrl+C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)
        warm_up()

    threading.Thread(target=when_up, name="nqpf-app-ready", daemon=True).start()
    try:
        server.run()
    finally:
        _close_workspaces()


def _close_workspaces() -> None:
    if "nqpf.app.workspace" not in sys.modules:
        return
    from nqpf.app.workspace import live_workspaces

    for ws in live_workspaces():
        ws.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nqpf.app [--host H] [--port P] [--no-browser] [--lang zh|en] [--allow-remote]``."""
    p = argparse.ArgumentParser(prog="python -m nqpf.app", description="The nqpf workbench in the browser.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050, help="0: a free port")
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--lang", default="zh", choices=("zh", "en"))
    p.add_argument("--allow-remote", action="store_true")
    a = p.parse_args(argv)
    try:
        serve(a.host, a.port, open_browser=not a.no_browser, lang=a.lang, allow_remote=a.allow_remote)
    except NqpfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
