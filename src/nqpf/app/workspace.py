"""The session workspace (会话工作区): one temporary folder per browser session, uploads, preview and reading.

A :class:`Workspace` owns a folder ``nqpf-app-*`` under the system temp directory; uploads land there (suffix
checked for their purpose, size capped at :data:`MAX_UPLOAD_MB`), runs write ``run-<n>/`` there, and
:meth:`Workspace.close` removes it (also at interpreter exit, through a registry of live workspaces).
:meth:`Workspace.read` reads a data file with :func:`nqpf.core.panel.read_panel` and turns its error or its
provenance notes into :class:`Message` objects naming the rows, column and unit they concern.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from nqpf.core.errors import DataError, NqpfError
from nqpf.core.panel import Panel, raw_cells
from nqpf.study.runner import load_panel
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
    what it concerns — Excel row numbers (1-based, as the preview shows them), a column, a unit, a sheet."""

    level: Literal["error", "warning", "note"]
    text: str
    rows: list[int] = field(default_factory=list)
    column: str | None = None
    unit: str | None = None
    #: the workbook sheet the message is about (None: the file, or a CSV)
    sheet: str | None = None


@dataclass
class ReadOutcome:
    """What :meth:`Workspace.read` gives: the panel (None when reading failed) and the messages."""

    panel: Panel | None
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file was read (there may still be warnings and notes)."""
        return self.panel is not None


_LIVE: dict[Path, Workspace] = {}
_LOCK = threading.Lock()


def live_workspaces() -> list[Workspace]:
    """The workspaces not yet closed (removed at interpreter exit)."""
    with _LOCK:
        return list(_LIVE.values())


@atexit.register
def _close_all() -> None:
    for ws in live_workspaces():
        ws.close()


_UNSAFE = re.compile(r"[^\w.\-()（）\[\]【】 ]+")


def safe_name(name: str) -> str:
    """A file name without folder parts or characters a file system may refuse; Chinese characters kept.

    Examples
    --------
    >>> safe_name("../../etc/passwd"), safe_name(r"C:\\数据\\省级 面板.xlsx"), safe_name("a:b*?.csv")
    ('passwd', '省级 面板.xlsx', 'a_b_.csv')
    """
    base = re.split(r"[\\/]", str(name))[-1].strip()
    base = _UNSAFE.sub("_", base).lstrip(".").strip()
    return base or "upload"


class Workspace:
    """One session's temporary folder: uploads, runs; removed by :meth:`close` (and at exit).

    Examples
    --------
    >>> with Workspace() as ws:
    ...     ws.folder.name.startswith("nqpf-app-"), ws.folder.is_dir()
    (True, True)
    >>> ws.folder.exists()
    False
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="nqpf-app-"))
        self._runs = 0
        self._lock = threading.Lock()
        self._on_close: list[Callable[[], None]] = []
        with _LOCK:
            _LIVE[self.folder] = self

    @property
    def closed(self) -> bool:
        """True once :meth:`close` removed the folder."""
        return not self.folder.exists()

    @property
    def uploads(self) -> Path:
        """The folder of the uploaded files."""
        return self.folder / "uploads"

    def save_upload(self, name: str, src_path: str | Path, size: int | None = None, purpose: str = "data") -> Path:
        """Copy an uploaded file (``src_path``, the browser's name ``name``) into the workspace.

        ``purpose`` is a key of :data:`PURPOSES`; the suffix must fit it, the file must not be empty nor larger
        than :data:`MAX_UPLOAD_MB` (``size`` as the browser reported it, else the file's size). The name is
        sanitised (no folder parts; Chinese characters kept). Returns the saved path; a second upload of the
        same name replaces the first. Raises :class:`UploadError` naming the file and what is allowed.
        """
        if purpose not in PURPOSES:
            raise ValueError(f"unknown upload purpose {purpose!r}; use one of {list(PURPOSES)}")
        fname = safe_name(name)
        allowed = PURPOSES[purpose]
        suffix = Path(fname).suffix.lower()
        if suffix not in allowed:
            what = f"a {suffix} file" if suffix else "a file without a suffix"
            raise UploadError(f"{fname}: {what} cannot be used as {_PURPOSE_WORDS[purpose]}; choose a "
                              f"{' / '.join(allowed)} file (Excel files: save as .xlsx)")
        src = Path(src_path)
        actual = src.stat().st_size if src.exists() else 0
        n = max(int(size or 0), actual)
        if n > MAX_UPLOAD_MB * 1024 * 1024:
            raise UploadError(f"{fname}: {n / 1024 / 1024:.1f} MB is larger than the limit of {MAX_UPLOAD_MB} MB per "
                              "file; keep only the sheets and columns the study needs, or save it as .csv")
        if actual == 0:
            raise UploadError(f"{fname}: the file is empty (0 bytes); choose the file that holds the "
                              f"{_PURPOSE_WORDS[purpose]} ({' / '.join(allowed)})")
        self.uploads.mkdir(parents=True, exist_ok=True)
        dest = self.uploads / fname
        shutil.copyfile(src, dest)
        return dest

    def new_run_dir(self) -> Path:
        """A new, empty ``run-<n>/`` folder in the workspace."""
        if self.closed:
            raise NqpfError("the session's folder is gone (the session ended); reload the page to start again")
        with self._lock:
            while True:
                self._runs += 1
                d = self.folder / f"run-{self._runs}"
                if not d.exists():
                    d.mkdir()
                    return d

    def read(self, path: str | Path, **kw: Any) -> ReadOutcome:
        """Read a data file with the study file's ``[data]`` fields (unit, year, layout, sheet, kind, labels,
        rename); the reader's error or notes become :class:`Message` objects (see :func:`read`)."""
        return read(path, **kw)

    def on_close(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when the workspace closes, before its folder goes (a running job is stopped so)."""
        self._on_close.append(fn)

    def close(self) -> None:
        """Stop what runs in the workspace (:meth:`on_close`), then remove the folder and everything in it
        (idempotent)."""
        with _LOCK:
            _LIVE.pop(self.folder, None)
        hooks, self._on_close = self._on_close, []
        for fn in hooks:
            try:
                fn()
            except Exception:  # the folder must go whatever a hook does
                continue
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r}{', closed' if self.closed else ''})"


_PURPOSE_WORDS = {"data": "data", "framework": "an indicator system (framework YAML)",
                  "rename": "a rename table (CSV from,to)", "weights": "spatial weights",
                  "groups": "a grouping table (CSV)"}


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of a workbook (.xlsx/.xls), in order; ``[]`` for CSV and .dta.

    A file that is not a readable workbook raises :class:`~nqpf.core.errors.DataError` naming it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        return []
    try:
        if suffix == ".xls":
            with pd.ExcelFile(p) as book:
                return [str(n) for n in book.sheet_names]
        book = openpyxl.load_workbook(p, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception as exc:  # zip/xml errors of a damaged or mislabelled file
        raise DataError(f"{p.name}: cannot read the workbook: {exc}; open it in Excel and save it again as "
                        ".xlsx, or save the sheet as .csv") from None


def preview(path: str | Path, sheet: str | int | None = None, nrows: int = 200) -> pd.DataFrame:
    """The raw cells of the first ``nrows`` rows (no header), indexed by the row number the user sees in
    Excel (1-based; the ``line`` the reader's messages name); a workbook shows ``sheet`` (default: the first).

    Columns are labelled as in Excel (A, B, …); empty cells are ``""``.
    """
    raw = raw_cells(path, None if sheet in ("", None) else sheet).iloc[:nrows]
    out = raw.map(_cell_text)
    out.index = pd.RangeIndex(1, len(out) + 1, name="row")
    out.columns = [get_column_letter(j + 1) for j in range(out.shape[1])]
    return out


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def data_spec(path_in_study: str, **kw: Any) -> DataSpec:
    """The study file's ``[data]`` for a file beside the study (``path_in_study``) and the reading fields
    ``kw`` (unit, year, layout, sheet, kind, labels, rename, …); blank values are left out so that the
    defaults apply. A bad field raises :class:`~nqpf.core.errors.NqpfError` naming it.

    Examples
    --------
    >>> data_spec("城市.xlsx", unit="", year="年份", sheet="", labels=[], rename={"苏州": "苏州市"}).model_dump(
    ...     exclude_defaults=True)
    {'path': '城市.xlsx', 'year': '年份', 'rename': {'苏州': '苏州市'}}
    """
    fields = {k: v for k, v in kw.items() if not _blank(v)}
    try:
        return DataSpec(path=str(path_in_study), **fields)
    except ValidationError as exc:
        msgs = [f"[data] {'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()]
        raise NqpfError("; ".join(msgs)) from None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, (list, tuple, dict)) and not v)


def read(path: str | Path, **kw: Any) -> ReadOutcome:
    """Read a data file as the study will (:func:`nqpf.study.runner.load_panel`, which calls
    :func:`nqpf.core.panel.read_panel`), with the ``[data]`` fields ``kw`` (see :func:`data_spec`).

    The reader's error becomes one ``level="error"`` message; its provenance notes become "warning"
    (skipped sheets, missing markers, renames that matched nothing) or "note" (unit names resolved) messages.
    Each message names the Excel rows (``rows``), column and unit its text names; for an unknown unit name
    the rows come from the file (where the name appears).
    """
    p = Path(path)
    try:
        panel = load_panel(data_spec(str(p), **kw))
    except NqpfError as exc:
        return ReadOutcome(None, [_message("error", str(exc), p, {})])
    cells: dict[Any, pd.DataFrame] = {}  # the file's cells, read once for every message
    return ReadOutcome(panel, [_message(_level(n), n, p, cells) for n in panel.provenance.notes])


_WARN = (" skipped (", " read as empty in column ", " matched no unit")


def _level(note: str) -> Literal["warning", "note"]:
    return "warning" if any(w in note for w in _WARN) else "note"


_LINE = re.compile(r"\bline (\d+)")
_COLUMN = re.compile(r"""\bcolumns? (?:'([^']*)'|"([^"]*)"|(\d{4})\b)""")
_SHEET = re.compile(r"\[sheet ([^\]]+)\]|: sheet (.+?) skipped \(")
_NAME = re.compile(r"""name (?:'([^']*)'|"([^"]*)")""")
_UNIT = (
    re.compile(r"""name (?:'([^']*)'|"([^"]*)")"""),  # unknown province name 'X'
    re.compile(r"duplicate unit-years: (\S+) \d{4}"),  # duplicate unit-years: 北京 2019 (line 3)
    re.compile(r"[(,] ?([^\s(),']+) \d{4}\)"),  # (天津 2019) / (e.g. 'x' at line 5, 天津 2019)
    re.compile(r"\(([^\s(),]+), indicator "),  # wide layout: (天津, indicator 'gdp')
    re.compile(r": unit (?:names )?(\S+) → "),  # unit 襄樊 → 襄阳市: rename in 2010
    re.compile(r"""rename (?:'([^']*)'|"([^"]*)") = """),  # [data] rename '苏州' = '苏州市' matched no unit
)
_SAME = re.compile(r"((?:'[^']*'(?: and )?)+) both map to the same \S+-year \S+ (\d{4})")
_MARKER = re.compile(r"""marked (?:'([^']*)'|"([^"]*)") read as empty in column (?:'([^']*)'|"([^"]*)")""")


def _first(m: re.Match[str] | None) -> str | None:
    return None if m is None else next((g for g in m.groups() if g is not None), None)


def _message(level: Literal["error", "warning", "note"], text: str, path: Path,
             cells: dict[Any, pd.DataFrame]) -> Message:
    """A reader's message with the rows, column, unit and sheet its text names; the session folder's path
    of the file is shown as the file's name."""
    for long in {str(path.resolve()), str(path)}:
        text = text.replace(long, path.name)
    rows = sorted({int(x) for x in _LINE.findall(text)})
    column = _first(_COLUMN.search(text))
    unit = next((u for u in (_first(rx.search(text)) for rx in _UNIT) if u), None)
    sheet = _first(_SHEET.search(text))
    marker = _MARKER.search(text)
    if marker is not None:
        column = marker.group(3) or marker.group(4)
    same = _SAME.search(text)
    if same is not None:  # two spellings of one unit-year: the rows holding either spelling and that year
        names = re.findall(r"'([^']*)'", same.group(1))
        rows = _rows_holding(path, sheet, names, None, cells, year=same.group(2))
        unit = names[0] if names else unit
    if not rows and (unit or marker) and "matched no unit" not in text:
        # where the file holds the unit names (every unknown one) or the marker
        values = [n for n in (_first(m) for m in _NAME.finditer(text)) if n] or ([unit] if unit else [])
        if marker is not None:
            values = [marker.group(1) or marker.group(2)]
        rows = _rows_holding(path, sheet, values, column if marker else None, cells)
    return Message(level, text, rows, column, unit, sheet)


def _rows_holding(path: Path, sheet: str | None, values: list[str], column: str | None,
                  cells_by_sheet: dict[Any, pd.DataFrame], year: str | None = None) -> list[int]:
    """Excel rows of ``path`` (one sheet, or every sheet) where a cell holds one of ``values`` (only in the
    column headed ``column`` when given; only rows that also hold ``year`` when given and some do);
    ``cells_by_sheet`` keeps the cells read for the next message."""
    try:
        sheets: list[Any] = [sheet] if sheet is not None else (sheet_names(path) or [None])
        found: set[int] = set()
        for sh in sheets:
            if sh not in cells_by_sheet:
                cells_by_sheet[sh] = raw_cells(path, sh).map(_cell_text).apply(lambda c: c.str.strip())
            raw = cells_by_sheet[sh]
            cells = raw
            if column is not None:
                hit = [j for j in range(raw.shape[1]) if (raw.iloc[:10, j] == column).any()]
                cells = raw.iloc[:, hit] if hit else raw
            mask = cells.isin(values).any(axis=1).to_numpy()
            if year is not None:
                in_year = mask & raw.apply(lambda c: c.str.match(rf"^{year}(\.0)?(年)?$")).any(axis=1).to_numpy()
                mask = in_year if in_year.any() else mask
            found.update(int(i) + 1 for i in mask.nonzero()[0])
        return sorted(found)[:200]
    except (NqpfError, OSError, ValueError):
        return []
