"""Runs of the workbench (运行任务): a study written as ``study.toml`` and run by a child process.

:meth:`RunJob.start` writes the study (and its data file and framework YAML) into ``workspace/run-<n>/``
and starts ``python -m nqpf.app.worker study.toml out --lang L``; a reader thread collects the worker's
JSON lines as :attr:`RunJob.events`. The study file offered for download is the file that was run.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Literal

from nqpf.app.workspace import Workspace
from nqpf.core.errors import NqpfError
from nqpf.study.spec import StudySpec

__all__ = ["OUTPUT_FILES", "RunJob"]

#: the outputs a finished run offers, by key (``study.zip`` = study.toml + data + framework YAML)
OUTPUT_FILES = ("report.html", "results.xlsx", "methods.md", "provenance.json", "summary.txt", "study.toml",
                "study.zip")

State = Literal["running", "done", "failed", "cancelled"]


class RunJob:
    """One run of a study in a child process.

    Attributes
    ----------
    folder : ``workspace/run-<n>/`` (study.toml, the data file, the framework YAML, ``out/``).
    events : ``(seconds since start, message)``; the first is ``"starting"``.
    state : "running", "done", "failed" or "cancelled".
    error : the library's error text (or the last lines of a traceback) when the run failed.
    outputs : the files of a finished run by name (see :data:`OUTPUT_FILES`).
    """

    folder: Path
    events: list[tuple[float, str]]
    state: State
    error: str | None
    outputs: dict[str, Path]

    @classmethod
    def start(cls, spec: StudySpec, workspace: Workspace, lang: str = "zh", data_file: str | Path | None = None,
              framework_yaml: str | None = None) -> RunJob:
        """Write ``spec`` as ``study.toml`` in a new ``run-<n>/`` (with a copy of ``data_file`` beside it and
        ``framework_yaml``, the framework built in the page, as ``<name>.yaml``) and start the worker.

        A session runs one job at a time: starting while another job of ``workspace`` runs is an
        :class:`~nqpf.core.errors.NqpfError`. Bundled-dataset studies have no ``data_file``.
        """
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """True while the child process runs."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> State:
        """Wait for the run to end (at most ``timeout`` seconds); returns the state."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop the child process; the state becomes "cancelled"."""
        raise NotImplementedError


_ = (subprocess, threading, NqpfError)
