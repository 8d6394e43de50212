"""The run worker (运行子进程): ``python -m nqpf.app.worker STUDY OUT [--lang zh|en]``.

Runs a study file exactly as ``nqpf run STUDY -o OUT`` does — :func:`~nqpf.study.spec.load_study`,
:func:`~nqpf.study.runner.run_study`, :func:`~nqpf.output.write_run` — and writes one JSON line per step on
stdout: ``{"progress": "..."}``, then ``{"done": true, "outputs": [...]}``. A library error prints
``{"error": "<text>"}`` and exits 1; any other exception ``{"error": "<type>: <text>", "traceback": "..."}``
and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]


def emit(obj: dict) -> None:
    """Write one JSON line on stdout and flush it."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; returns the exit code (0 done, 1 library error, 2 other error)."""
    raise NotImplementedError


_ = (argparse,)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
