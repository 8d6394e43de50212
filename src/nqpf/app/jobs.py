"""Runs of the workbench (运行任务): a study written as ``study.toml`` and run by a child process.

:meth:`RunJob.start` writes the study (and copies of its data file and framework YAML) into
``workspace/run-<n>/`` and starts ``python -m nqpf.app.worker study.toml out --lang L``; a reader thread
collects the worker's JSON lines as :attr:`RunJob.events`. The ``study.toml`` offered for download is the
file that was run, and ``study.zip`` holds it with the files it names: ``nqpf run study.toml`` in the
unpacked folder repeats the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Literal

import yaml

import nqpf
from nqpf.app.workspace import Workspace, safe_name
from nqpf.core.errors import NqpfError
from nqpf.study.spec import StudySpec
from nqpf.study.writer import dump_study

__all__ = ["OUTPUT_FILES", "RunJob"]

#: the outputs a finished run offers, by key (``study.zip`` = study.toml + data + framework YAML)
OUTPUT_FILES = ("report.html", "results.xlsx", "methods.md", "provenance.json", "summary.txt", "study.toml",
                "study.zip")

State = Literal["running", "done", "failed"]

#: the job running in each workspace (one at a time per session)
_RUNNING: dict[Path, RunJob] = {}
_LOCK = threading.Lock()


class RunJob:
    """One run of a study in a child process.

    Attributes
    ----------
    folder : ``workspace/run-<n>/`` (study.toml, the data file, the framework YAML, ``out/``, ``worker.log``).
    events : ``(seconds since start, message)``; the first, ``"starting"``, is there as soon as
        :meth:`start` returns; then the runner's and writer's progress messages; the last is "done" or
        "failed".
    state : "running", "done" or "failed" (a cancelled run has failed: ``cancelled`` is True).
    error : the library's error text (or the last lines of a traceback) when the run failed.
    traceback : the child's traceback for an error that is not a library error (else None).
    outputs : the files of a finished run by name (see :data:`OUTPUT_FILES`; results.xlsx only when the study
        asks for the workbook).
    files : every file the finished run wrote, relative to :attr:`out` (``tables/<name>.csv``, figures …).
    """

    def __init__(self, folder: Path, workspace: Workspace, lang: str) -> None:
        self.folder = folder
        self.workspace = workspace
        self.lang = lang
        self.events: list[tuple[float, str]] = []
        self.state: State = "running"
        self.error: str | None = None
        self.traceback: str | None = None
        self.outputs: dict[str, Path] = {}
        self.cancelled = False
        self.files: list[str] = []
        self._t0 = time.monotonic()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._say("starting")

    # -- starting ---------------------------------------------------------------------------
    @classmethod
    def start(cls, spec: StudySpec, workspace: Workspace, lang: str = "zh", data_file: str | Path | None = None,
              framework_yaml: str | None = None) -> RunJob:
        """Write ``spec`` as ``study.toml`` in a new ``run-<n>/`` (with a copy of ``data_file`` beside it, and
        ``framework_yaml``, the framework built in the page, as ``<its name>.yaml`` for the [[index]] that
        names it) and start the worker.

        A session runs one job at a time: starting while another job of ``workspace`` runs is an
        :class:`~nqpf.core.errors.NqpfError`. Bundled-dataset studies have no ``data_file``; files the study
        names by path (data, rename file, framework, weights, groups, geography) are copied beside it too.
        A study that cannot be prepared (a data file that is gone, a framework YAML that does not parse) gives
        a job that has failed with the error, like a run that failed.
        """
        if lang not in ("zh", "en"):
            raise NqpfError(f"unknown language {lang!r}; use 'zh' or 'en'")
        with _LOCK:
            running = _RUNNING.get(workspace.folder)
            if running is not None and running.running:
                raise NqpfError("a run is already going in this session; wait until it ends or cancel it "
                                "(RunJob.cancel) before starting another")
            folder = workspace.new_run_dir()
            job = cls(folder, workspace, lang)
            _RUNNING[workspace.folder] = job
        workspace.on_close(job._closed)
        try:
            spec = _localised(spec, folder, data_file, framework_yaml)
            (folder / "study.toml").write_text(dump_study(spec), encoding="utf-8")
            _zip_study(folder)
            job._launch()
        except Exception as exc:
            job._finish_failed(str(exc) if isinstance(exc, NqpfError) else f"{type(exc).__name__}: {exc}")
            if not isinstance(exc, NqpfError):
                raise
        return job

    def _launch(self) -> None:
        env = dict(os.environ)
        root = str(Path(nqpf.__file__).resolve().parent.parent)  # the child imports this very nqpf
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        env["PYTHONIOENCODING"] = "utf-8"
        env.setdefault("MPLBACKEND", "Agg")
        self._log = (self.folder / "worker.log").open("w", encoding="utf-8")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "nqpf.app.worker", "study.toml", "out", "--lang", self.lang],
            cwd=self.folder, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL, text=True,
            encoding="utf-8", errors="replace", env=env, start_new_session=hasattr(os, "killpg"))
        self._reader = threading.Thread(target=self._read, name=f"nqpf-run-{self.folder.name}", daemon=True)
        self._reader.start()

    # -- the child's lines ------------------------------------------------------------------
    def _say(self, msg: str) -> None:
        self.events.append((round(time.monotonic() - self._t0, 3), msg))

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        done = False
        for line in self._proc.stdout:
            try:
                obj: Any = json.loads(line)
            except json.JSONDecodeError:
                continue  # a stray print of a library: kept out of the events
            if not isinstance(obj, dict):
                continue
            if "progress" in obj:
                self._say(str(obj["progress"]))
            elif "error" in obj:
                self.error = str(obj["error"])
                self.traceback = obj.get("traceback")
            elif obj.get("done"):
                done = True
                self.files = [str(o) for o in obj.get("outputs", [])]
        code = self._proc.wait()
        self._log.close()
        if self.cancelled:
            self._finish_failed("the run was cancelled")
        elif code == 0 and done:
            self.outputs = self._collect()
            self.state = "done"
            self._say("done")
        else:
            self._finish_failed(self.error or self._stderr_tail(code))

    def _finish_failed(self, error: str) -> None:
        self.error = error
        self.state = "failed"
        self._say("failed")

    def _stderr_tail(self, code: int) -> str:
        try:
            lines = (self.folder / "worker.log").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        lines = [ln for ln in lines if ln.strip() and not ln.startswith("findfont")]
        return f"the run stopped (exit code {code})" + (":\n" + "\n".join(lines[-8:]) if lines else "")

    def _collect(self) -> dict[str, Path]:
        out = self.folder / "out"
        found = {n: out / n for n in OUTPUT_FILES[:5] if (out / n).is_file()}
        found["study.toml"] = self.folder / "study.toml"
        found["study.zip"] = self.folder / "study.zip"
        return found

    # -- state ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the child process runs (and its last lines are being read)."""
        return self.state == "running"

    @property
    def returncode(self) -> int | None:
        """The child's exit code: 0 done, 1 a library error, 2 another error, negative when stopped by a
        signal; None while it runs or when it never started."""
        return None if self._proc is None else self._proc.poll()

    @property
    def out(self) -> Path:
        """The run's output folder (``out/``: tables/, figures/, report.html …)."""
        return self.folder / "out"

    def wait(self, timeout: float | None = None) -> State:
        """Wait for the run to end (at most ``timeout`` seconds); returns the state."""
        if self._reader is not None:
            self._reader.join(timeout)
        return self.state

    def cancel(self) -> None:
        """Stop the child process (and the processes it started); the run fails with "the run was cancelled".
        Nothing happens when the run has ended."""
        proc = self._proc
        if proc is None or proc.poll() is not None or not self.running:
            return
        self.cancelled = True
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGTERM)  # the worker's own session: it and its figure workers
            else:  # pragma: no cover (Windows)
                proc.terminate()
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(proc.pid, signal.SIGKILL) if hasattr(os, "killpg") else proc.kill()
        except ProcessLookupError:  # pragma: no cover (ended meanwhile)
            pass
        self.wait(10)

    def _closed(self) -> None:
        """The session ended: stop the run, forget it."""
        self.cancel()
        with _LOCK:
            if _RUNNING.get(self.workspace.folder) is self:
                del _RUNNING[self.workspace.folder]

    def __repr__(self) -> str:
        return f"RunJob({self.folder.name}, {self.state}, {len(self.events)} events)"


def _copy_in(src: str | Path, folder: Path) -> str:
    """Copy a file beside the study; returns the name the study uses for it."""
    p = Path(src)
    name = safe_name(p.name)
    dest = folder / name
    if dest.exists() and dest.resolve() != p.resolve():
        dest = folder / f"{p.parent.name or 'file'}-{name}"
    if dest.resolve() != p.resolve():
        shutil.copyfile(p, dest)
    return dest.name


def _local(value: str | None, folder: Path) -> str | None:
    """A path the study names, copied beside the study when it is a file outside the run folder."""
    if value is None or (folder / value).is_file() or not Path(value).is_file():
        return value  # already beside the study, or a name (a bundled framework, a builtin grouping)
    return _copy_in(value, folder)


def _localised(spec: StudySpec, folder: Path, data_file: str | Path | None, framework_yaml: str | None
               ) -> StudySpec:
    """The study with every file it names copied into ``folder`` and named relative to it."""
    data = spec.data
    if data_file is not None:
        if not Path(data_file).is_file():
            raise NqpfError(f"{data_file}: no such data file; upload the data again")
        data = data.model_copy(update={"path": _copy_in(data_file, folder), "dataset": None})
    elif data.path is not None:
        if not Path(data.path).is_file():
            raise NqpfError(f"[data] path {data.path!r}: no such file; upload the data again")
        data = data.model_copy(update={"path": _copy_in(data.path, folder)})
    data = data.model_copy(update={"rename_file": _local(data.rename_file, folder)})
    index = list(spec.index)
    if framework_yaml is not None:
        index = _with_framework(index, framework_yaml, folder)
    index = [ix.model_copy(update={"framework": _local(ix.framework, folder)})
             if Path(ix.framework).suffix.lower() in (".yaml", ".yml") else ix for ix in index]
    weights = {k: w.model_copy(update={"file": _local(w.file, folder)}) if getattr(w, "file", None) else w
               for k, w in spec.weights.items()}
    groups = {k: g.model_copy(update={"file": _local(g.file, folder)}) if g.file else g
              for k, g in spec.groups.items()}
    geo = spec.geography
    if geo is not None:
        geo = geo.model_copy(update={"file": _local(geo.file, folder), "coordinates": _local(geo.coordinates, folder)})
    return spec.model_copy(update={"data": data, "index": index, "weights": weights, "groups": groups,
                                   "geography": geo})


def _with_framework(index: list, text: str, folder: Path) -> list:
    """Write the page's framework as ``<name>.yaml``; the [[index]] naming it (or the only one) uses the file."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NqpfError(f"the framework built in the page is not valid YAML: {exc}") from None
    name = str(doc.get("name") or "framework") if isinstance(doc, dict) else "framework"
    fname = safe_name(f"{name}.yaml")
    (folder / fname).write_text(text, encoding="utf-8")
    stem = Path(fname).stem
    hits = [i for i, ix in enumerate(index) if Path(ix.framework).stem in (name, stem)]
    if not hits and len(index) == 1:
        hits = [0]
    if not hits:
        raise NqpfError(f"the framework built in the page is named {name!r}, but no [[index]] uses it; set "
                        f"framework = \"{name}\" in the index that should")
    return [ix.model_copy(update={"framework": fname}) if i in hits else ix for i, ix in enumerate(index)]


def _zip_study(folder: Path) -> Path:
    """``study.zip``: study.toml and every file beside it (the data, the framework YAML …), not the outputs."""
    dest = folder / "study.zip"
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.name not in ("study.zip", "worker.log"):
                z.write(p, p.name)
    return dest
