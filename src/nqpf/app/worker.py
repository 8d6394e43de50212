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
import traceback
from collections.abc import Sequence
from pathlib import Path

from nqpf.core.errors import NqpfError
from nqpf.output import write_run
from nqpf.study.runner import run_study
from nqpf.study.spec import load_study

__all__ = ["emit", "main"]


def emit(obj: dict) -> None:
    """Write one JSON line on stdout and flush it (the parent reads it at once)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _progress(msg: str) -> None:
    emit({"progress": msg})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; returns the exit code (0 done, 1 library error, 2 other error)."""
    ap = argparse.ArgumentParser(prog="python -m nqpf.app.worker", description=__doc__)
    ap.add_argument("study", type=Path, help="the study.toml to run")
    ap.add_argument("out", type=Path, help="the output folder")
    ap.add_argument("--lang", choices=("zh", "en"), default=None, help="language of the outputs "
                    "(default: the study's [output] lang)")
    args = ap.parse_args(argv)
    try:
        spec, source = load_study(args.study)
        run = run_study(spec, source, base=args.study.parent, progress=_progress)
        try:
            out = write_run(run, args.out, excel=spec.output.excel, lang=args.lang or spec.output.lang,
                            progress=_progress)
        except OSError as exc:
            raise NqpfError(f"cannot write the outputs to {args.out}: {exc}") from exc
    except NqpfError as exc:
        emit({"error": str(exc)})
        return 1
    except Exception as exc:  # the page shows it: never a silent failure
        emit({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
        return 2
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    emit({"done": True, "outputs": [*prov.get("outputs", []), "provenance.json"]})
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
