"""results.xlsx: every table of a run on its own sheet, with bilingual headers, and a README sheet (结果工作簿).

Layout of a table sheet (documented in the README sheet too):

- row 1: the column names exactly as in ``tables/<name>.csv`` (machine-readable; ``pandas.read_excel(path,
  sheet_name=..., header=0, skiprows=[1])`` gives the CSV table back);
- row 2: the bilingual label of each column, the report language first (``得分 / Score`` or
  ``Score / 得分``); indicator and dimension columns get their framework names;
- rows 3…: the data. Both header rows are frozen, bold and filtered.

Number formats: scores, weights, normalised values and statistics ``0.0000``; ranks, years, counts ``0``;
shares (Dagum contributions, ``share…``, ``p_j``, ``s_j``) ``0.00%``; obstacle degrees (already in percent)
``0.00``; raw indicator values and provenance cells ``General``. Excel has no infinity: ±inf (e.g. the open
end of a threshold regime) is written as the text ``inf`` / ``-inf``, which pandas reads back as a number.
Sheet names are the table names cut to Excel's 31 characters (the README lists sheet → table, and for an
analysis's table the analysis's name from the analysis registry, in the report language).

Size: the sheets are streamed (openpyxl's write-only mode). A table of more than :data:`MAX_SHEET_CELLS` cells
(100,000; e.g. the scores of 5,000 firms × 12 years) keeps its first rows, followed by a row that says how many
rows the table has and that ``tables/<name>.csv`` holds all of them; the README sheet lists every such sheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from nqpf.core.i18n import bilingual, check_lang
from nqpf.core.units import kind_words
from nqpf.report.labels import column_labels

if TYPE_CHECKING:
    from nqpf.core.framework import Framework
    from nqpf.study import StudyRun

HEADER_ROWS = 2
FMT_SCORE = "0.0000"
FMT_INT = "0"
FMT_SHARE = "0.00%"
FMT_PERCENT_POINTS = "0.00"
FMT_GENERAL = "General"
_INT_COLUMNS = {"year", "rank", "level", "n", "n_j", "count", "point_rank", "min_rank", "max_rank", "n_peaks",
                "q", "n_obs", "n_units", "n_periods", "dof"}
_SHARE_COLUMNS = {"share", "p_j", "s_j", "tail_share", "contribution"}
_PERCENT_POINT_COLUMNS = {"obstacle"}
_GENERAL_TABLES = ("_values", "provenance_cells")
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")


def sheet_name(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters)."""
    base = "".join("_" if c in '[]:*?/\\' else c for c in name)[:31]
    out, i = base, 2
    while out.lower() in used:
        suffix = f"~{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def number_format(table: str, column: str, dtype: Any) -> str | None:
    """The Excel number format of a column (None for text columns)."""
    if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
        return None
    c = column.lower()
    if c in _INT_COLUMNS or c.endswith("_rank") or c.startswith("rank_") or pd.api.types.is_integer_dtype(dtype):
        return FMT_INT
    if c in _SHARE_COLUMNS or c.startswith("share") or c.startswith("p_top"):
        return FMT_SHARE
    if c in _PERCENT_POINT_COLUMNS:
        return FMT_PERCENT_POINTS
    if table.endswith(_GENERAL_TABLES) or table in _GENERAL_TABLES:
        return FMT_GENERAL
    return FMT_SCORE


def _frameworks(run: StudyRun | None) -> dict[str, Framework]:
    if run is None:
        return {}
    return {name: res.framework for name, res in run.results.items()}


def _framework_for(table: str, fws: dict[str, Framework]) -> Framework | None:
    for name in sorted(fws, key=len, reverse=True):
        if table.startswith(f"{name}_"):
            return fws[name]
    if len(fws) == 1:
        return next(iter(fws.values()))
    return None


def analysis_tables(run: StudyRun | None, lang: str) -> dict[str, str]:
    """Table name → the heading of the analysis that wrote it (its registry label and indices, in ``lang``)."""
    if run is None:
        return {}
    return {table: rec.heading(lang) for rec in run.records.values() for table in rec.tables}


def readme_lines(run: StudyRun | None, names: dict[str, str], lang: str) -> list[tuple[str, ...]]:
    """Rows of the README sheet — (key, value) or (sheet, table, analysis): what the workbook is, how it is
    laid out, the provenance, and which sheet holds which table."""
    zh = lang == "zh"
    rows: list[tuple[str, ...]] = [
        ("nqpf", "新质生产力测度结果 / nqpf results"),
        ("layout" if not zh else "表头", "第 1 行:列名(与 tables/*.csv 相同);第 2 行:中英文列标签;数据自第 3 行起。"
         if zh else "Row 1: column names exactly as in tables/*.csv; row 2: bilingual labels (Chinese / English); "
                    "data from row 3. pandas: read_excel(path, sheet_name=..., header=0, skiprows=[1])."),
        ("formats" if not zh else "数字格式", "得分与权重 0.0000;排名与年份 0;占比 0.00%;障碍度(%)0.00;原始数据 常规。"
         if zh else "Scores and weights 0.0000; ranks and years 0; shares 0.00%; obstacle degrees (already in %) "
                    "0.00; raw values General."),
    ]
    if run is not None:
        prov = run.provenance.to_dict()
        rows += [("study", f"{run.spec.name} ({run.source})"), ("created", str(prov["created"]))]
        rows += [(f"version {k}", str(v)) for k, v in prov["versions"].items()]
        for i in prov["inputs"]:
            rows.append(("input", f"{i.get('name')} {i.get('path', '')} sha256={i.get('sha256', '')}".strip()))
        for name, settings in prov["settings"].items():
            if name == "study":
                continue
            if isinstance(settings, dict):
                flat = ", ".join(f"{k}={v}" for k, v in settings.items() if not isinstance(v, (dict, list)))
                kind, _, label = name.partition(".")
                record = run.records.get(label) if kind in ("analysis", "model") else None
                rows.append((f"settings {name}", flat) if record is None else
                            (f"settings {name}", flat, record.heading(lang)))
        rows += [("note", n) for n in prov["notes"]]
        counts = prov["cell_counts"]
        rows.append(("changed cells", ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))
    rows.append(("sheets", "sheet → table (tables/<table>.csv)", "分析" if zh else "analysis"))
    by_analysis = analysis_tables(run, lang)
    rows += [(sheet, table, by_analysis[table]) if table in by_analysis else (sheet, table)
             for table, sheet in names.items()]
    return rows


#: the largest table sheet written in full (cells); a larger table is written with its first rows up to this size
#: and a note (in the sheet and the README) pointing at tables/<name>.csv, which holds every cell
MAX_SHEET_CELLS = 100_000
_EXCEL_ROWS = 1_048_576


def sheet_rows(df: pd.DataFrame) -> int:
    """How many data rows of ``df`` its sheet holds: all, or as many as fit in :data:`MAX_SHEET_CELLS` cells
    (and in Excel's 1,048,576 rows with the two header rows and the note)."""
    cap = min(MAX_SHEET_CELLS // max(1, df.shape[1]), _EXCEL_ROWS - HEADER_ROWS - 1)
    return len(df) if len(df) <= cap else cap


def capped_note(table: str, shown: int, total: int, lang: str) -> str:
    """The note of a sheet that holds only the first ``shown`` of ``total`` rows of ``table``."""
    if lang == "zh":
        return (f"此表只列出前 {shown:,} 行(共 {total:,} 行,超过每表 {MAX_SHEET_CELLS:,} 个单元格的上限);"
                f"完整数据见 tables/{table}.csv。")
    return (f"This sheet holds the first {shown:,} of {total:,} rows (more than the {MAX_SHEET_CELLS:,}-cell limit "
            f"of a sheet); every row is in tables/{table}.csv.")


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path, run: StudyRun | None = None,
                   lang: str = "en") -> Path:
    """Write every table to its own sheet (two frozen header rows, number formats) plus a README sheet.

    Streams the rows (openpyxl's write-only mode, one styled cell per column reused row by row). A table of
    more than :data:`MAX_SHEET_CELLS` cells is cut to its first rows, with a note after them and in the README.
    """
    lang = check_lang(lang)
    wb = Workbook(write_only=True)
    readme = wb.create_sheet("README")
    used = {"readme"}
    names = {name: sheet_name(name, used) for name in tables}
    shown = {name: sheet_rows(df) for name, df in tables.items()}
    rows = readme_lines(run, names, lang)
    rows += [("note", f"{names[n]}: " + capped_note(n, shown[n], len(df), lang))
             for n, df in tables.items() if shown[n] < len(df)]
    for col, width in zip("ABC", (28, 120, 48), strict=True):
        readme.column_dimensions[col].width = width
    title = Font(bold=True, size=13)
    for i, row in enumerate(rows):
        readme.append([_styled(readme, v, font=title) for v in row[:2]] + list(row[2:]) if i == 0 else list(row))
    fws = _frameworks(run)
    bold = Font(bold=True)
    for name, df in tables.items():
        ws = wb.create_sheet(names[name])
        fw = _framework_for(name, fws)
        cols = [str(c) for c in df.columns]
        labels = [bilingual(*_label(c, fw, name, run), lang=lang) for c in cols]
        for j, (c, label) in enumerate(zip(cols, labels, strict=True), start=1):
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(36, max(len(c), len(label) // 2) + 2))
        ws.freeze_panes = f"A{HEADER_ROWS + 1}"
        n = shown[name]
        if cols:
            ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{max(2, n + HEADER_ROWS)}"
        for r, values in enumerate((cols, labels), start=1):
            ws.append([_styled(ws, v, font=bold, fill=_HEAD_FILL, alignment=Alignment(wrap_text=r == 2,
                                                                                       vertical="top"))
                       for v in values])
        formats = [number_format(name, c, df[c].dtype) for c in df.columns]
        protos = [_styled(ws, None, number_format=f) if f is not None else None for f in formats]
        for row in zip(*(_column_cells(df[c].iloc[:n]) for c in df.columns), strict=True):
            out = list(row)
            for j, proto in enumerate(protos):
                if proto is not None:
                    proto.value = out[j]
                    out[j] = proto
            ws.append(out)
        if n < len(df):
            ws.append([capped_note(name, n, len(df), lang)])
    wb.save(path)
    return Path(path)


def _styled(ws: Any, value: object, **style: Any) -> WriteOnlyCell:
    """A write-only cell of ``ws`` holding ``value`` with the given font / fill / alignment / number_format."""
    cell = WriteOnlyCell(ws, value=value)
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def _label(column: str, fw: Framework | None, table: str, run: StudyRun | None) -> tuple[str, str]:
    """A column's (zh, en) label; the unit column is named by the panel's kind (省份/城市/企业 …)."""
    if column == "unit" and run is not None and not table.endswith("_indicators"):
        return kind_words(run.panel.kind, "zh").unit, kind_words(run.panel.kind, "en").unit.capitalize()
    return column_labels(column, fw, table)


def read_workbook_table(path: Any, sheet: str) -> pd.DataFrame:
    """A table sheet back as a DataFrame (row 1 = column names, row 2 = labels skipped).

    ``path`` is the workbook's path, or an open openpyxl workbook (to read many sheets without reopening it).
    """
    from openpyxl import load_workbook

    if hasattr(path, "sheetnames"):
        rows = list(path[sheet].iter_rows(values_only=True))
    else:
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = list(wb[sheet].iter_rows(values_only=True))
        finally:
            wb.close()
    if not rows:
        return pd.DataFrame()
    width = len(rows[0])  # a row ends at its last written cell: pad it to the header's width
    return pd.DataFrame([tuple(r) + (None,) * (width - len(r)) for r in rows[HEADER_ROWS:]], columns=list(rows[0]))


def _column_cells(col: pd.Series) -> list[object]:
    """The cells of one column as :func:`_cell` gives them, converted a column at a time for numbers."""
    dtype = col.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        v = col.to_numpy()
        out: list[object] = v.tolist()
        bad = np.flatnonzero(~np.isfinite(v))
        for i in bad:
            x = v[i]
            out[i] = None if np.isnan(x) else ("inf" if x > 0 else "-inf")
        return out
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return col.to_numpy().tolist()
    return [_cell(v) for v in col]


def _cell(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, (list, tuple, dict, set)):
        return str(v)
    try:
        if pd.isna(v):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        return str(v)
    if isinstance(v, (np.floating, float)) and np.isinf(v):
        return "inf" if v > 0 else "-inf"  # Excel has no infinity: kept as text (pandas reads it back as ±inf)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()  # type: ignore[union-attr]
    return v
