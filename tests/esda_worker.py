"""esda.Moran_Local as the reference for nqpf's LISA, computed by a child process that compiled it beforehand.

``esda.Moran_Local`` runs its conditional permutations in numba; the first call in a process compiles them (about
17 s, longer on a busy machine), the later ones take milliseconds. The child (``python esda_worker.py``) compiles
the kernel once, as soon as the test session starts (see ``background.py``: the tests that use it are marked
``@pytest.mark.background("esda")``), then answers each request with esda's own attributes. The arrays come back
exactly (pickled float64), so the tests compare nqpf with esda bit for bit as before.

Protocol: length-prefixed pickles on stdin/stdout; a request is ``(y, w, kwargs)``, the answer a dict of arrays
(``Is``, ``q``, ``p_sim``, ``rlisas``, ``z_sim``, ``p_z_sim``, ``z``) or ``{"error": traceback text}``.
"""

from __future__ import annotations

import atexit
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ATTRS = ("Is", "q", "p_sim", "rlisas", "z_sim", "p_z_sim", "z")


def _send(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _recv(stream: Any) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the esda worker closed its pipe")
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(n))


# -- the child --------------------------------------------------------------------------------------------------
def _serve() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # the pipe carries the answers only
    import traceback
    import warnings

    import numpy as np
    from esda.moran import Moran_Local
    from libpysal.weights import lat2W

    def local(y: np.ndarray, w: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ml = Moran_Local(y, w, **kwargs)
        return {a: getattr(ml, a, None) for a in ATTRS}

    w0 = lat2W(3, 3)
    w0.transform = "r"
    local(np.arange(9.0), w0, {"permutations": 9, "seed": 1, "n_jobs": 1})  # compiles the numba kernels
    inp = sys.stdin.buffer
    while True:
        try:
            y, w, kwargs = _recv(inp)
        except EOFError:
            return
        try:
            _send(out, local(y, w, kwargs))
        except Exception:  # reported to the test
            _send(out, {"error": traceback.format_exc()})


# -- the test side ------------------------------------------------------------------------------------------------
class _Worker:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: Any = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.proc is None:
                self.log = tempfile.TemporaryFile()
                self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve())],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
                atexit.register(self.stop)

    def call(self, y: Any, w: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.start()
        with self.lock:
            assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
            try:
                _send(self.proc.stdin, (y, w, kwargs))
                return _recv(self.proc.stdout)
            except (EOFError, BrokenPipeError) as exc:
                self.log.seek(0)
                raise RuntimeError(f"the esda worker stopped: {exc}\n{self.log.read().decode(errors='replace')}") \
                    from None

    def stop(self) -> None:
        with self.lock:
            if self.proc is not None:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                self.proc = None


WORKER = _Worker()


def start() -> None:
    """Start the child (it compiles esda's kernels while other tests run)."""
    WORKER.start()


def stop() -> None:
    WORKER.stop()


def moran_local(y: Any, w: Any, **kwargs: Any) -> SimpleNamespace:
    """``esda.moran.Moran_Local(y, w, **kwargs)`` (warnings silenced) from the child: its attributes ``ATTRS``."""
    got = WORKER.call(y, w, kwargs)
    if "error" in got:
        raise RuntimeError(f"esda.Moran_Local failed in the worker:\n{got['error']}")
    return SimpleNamespace(**got)


if __name__ == "__main__":
    _serve()
