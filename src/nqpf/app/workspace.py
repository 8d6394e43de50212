"""The session workspace (会话工作区): one temporary folder per browser session, uploads, preview and reading.

A :class:`Workspace` owns a folder ``nqpf-app-*`` under the system temp directory; uploads land there (suffix
checked for their purpose, size capped at :data:`MAX_UPLOAD_MB`), runs write ``run-<n>/`` there, and
:meth:`Workspace.close` removes it (also at interpreter exit, through a registry of live workspaces).
:meth:`Workspace.read` reads a data file with :func:`nqpf.core.panel.read_panel` and turns its error or its
provenance notes into :class:`Message` objects naming the rows, column and unit they concern.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from nqpf.core.errors import NqpfError
from nqpf.core.panel import Panel
from nqpf.study.spec import DataSpec

__all__ = ["MAX_UPLOAD_MB", "PURPOSES", "Message", "ReadOutcome", "UploadError", "Workspace", "data_spec",
           "live_workspaces", "preview", "sheet_names"]

#: the largest upload accepted, in MB (the ASGI guard of the app refuses larger bodies before reading them)
MAX_UPLOAD_MB = 50

#: the suffixes an upload may have, by what it is for
PURPOSES: dict[str, tuple[str, ...]] = {
    "data": (".csv", ".xlsx", ".xls", ".dta"),
    "framework": (".yaml", ".yml"),
    "rename": (".csv",),
    "weights": (".gal", ".gwt", ".csv"),
    "groups": (".csv",),
}


class UploadError(NqpfError):
    """An upload refused: wrong suffix for its purpose, larger than the cap, or empty; names the file."""


@dataclass
class Message:
    """One message of the reader for the page: level ("error", "warning", "note"), the library's text, and
    what it concerns — Excel row numbers (1-based, as the preview shows them), a column, a unit."""

    level: Literal["error", "warning", "note"]
    text: str
    rows: list[int] = field(default_factory=list)
    column: str | None = None
    unit: str | None = None


@dataclass
class ReadOutcome:
    """What :meth:`Workspace.read` gives: the panel (None when reading failed) and the messages."""

    panel: Panel | None
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file was read (there may still be warnings and notes)."""
        return self.panel is not None


_LIVE: dict[str, Workspace] = {}
_LOCK = threading.Lock()


def live_workspaces() -> list[Workspace]:
    """The workspaces not yet closed (removed at interpreter exit)."""
    with _LOCK:
        return list(_LIVE.values())


class Workspace:
    """One session's temporary folder: uploads, runs; removed by :meth:`close` (and at exit)."""

    def __init__(self) -> None:
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """True once :meth:`close` removed the folder."""
        raise NotImplementedError

    def save_upload(self, name: str, src_path: str | Path, size: int | None = None, purpose: str = "data") -> Path:
        """Copy an uploaded file (``src_path``, the browser's name ``name``) into the workspace.

        ``purpose`` is a key of :data:`PURPOSES`; the suffix must fit it, the file must not be empty nor larger
        than :data:`MAX_UPLOAD_MB` (``size`` as the browser reported it, else the file's size). The name is
        sanitised (no folder parts; Chinese characters kept). Returns the saved path.
        Raises :class:`UploadError` naming the file and what is allowed.
        """
        raise NotImplementedError

    def new_run_dir(self) -> Path:
        """A new, empty ``run-<n>/`` folder in the workspace."""
        raise NotImplementedError

    def read(self, path: str | Path, **kw: Any) -> ReadOutcome:
        """Read a data file with the study file's ``[data]`` fields (unit, year, layout, sheet, kind, labels,
        rename); the reader's error or notes become :class:`Message` objects."""
        return read(path, **kw)

    def close(self) -> None:
        """Remove the folder and everything in it (idempotent)."""
        raise NotImplementedError

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of a workbook (.xlsx/.xls); ``[]`` for CSV and .dta."""
    raise NotImplementedError


def preview(path: str | Path, sheet: str | int | None = None, nrows: int = 200) -> pd.DataFrame:
    """The raw cells of the first ``nrows`` rows (no header), indexed by the row number the user sees in
    Excel (1-based); a workbook shows ``sheet`` (default: the first sheet)."""
    raise NotImplementedError


def read(path: str | Path, **kw: Any) -> ReadOutcome:
    """Read a data file (see :meth:`Workspace.read`)."""
    raise NotImplementedError


def data_spec(path_in_study: str, **kw: Any) -> DataSpec:
    """The study file's ``[data]`` for a file beside the study (``path_in_study``) and the reading fields
    ``kw`` (blank values left out so that the defaults apply)."""
    raise NotImplementedError
