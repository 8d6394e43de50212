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
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
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


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path, run: StudyRun | None = None,
                   lang: str = "en") -> Path:
    """Write every table to its own sheet (two frozen header rows, number formats) plus a README sheet."""
    lang = check_lang(lang)
    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    used = {"readme"}
    names = {name: sheet_name(name, used) for name in tables}
    for row in readme_lines(run, names, lang):
        readme.append(list(row))
    readme["A1"].font = Font(bold=True, size=13)
    readme["B1"].font = Font(bold=True, size=13)
    readme.column_dimensions["A"].width = 28
    readme.column_dimensions["B"].width = 120
    readme.column_dimensions["C"].width = 48
    fws = _frameworks(run)
    bold = Font(bold=True)
    for name, df in tables.items():
        ws = wb.create_sheet(names[name])
        fw = _framework_for(name, fws)
        cols = [str(c) for c in df.columns]
        ws.append(cols)
        ws.append([bilingual(*_label(c, fw, name, run), lang=lang) for c in cols])
        formats = [number_format(name, c, df[c].dtype) for c in df.columns]
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, c in enumerate(cols, start=1):
            for r in (1, 2):
                cell = ws.cell(row=r, column=j)
                cell.font = bold
                cell.fill = _HEAD_FILL
                cell.alignment = Alignment(wrap_text=r == 2, vertical="top")
            label = str(ws.cell(row=2, column=j).value or "")
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(36, max(len(c), len(label) // 2) + 2))
            fmt = formats[j - 1]
            if fmt is not None and ws.max_row > HEADER_ROWS:
                for (cell,) in ws.iter_rows(min_row=HEADER_ROWS + 1, max_row=ws.max_row, min_col=j, max_col=j):
                    cell.number_format = fmt
        ws.freeze_panes = f"A{HEADER_ROWS + 1}"  # (ws.cell() would create an empty data row)
        if cols:
            ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{max(2, ws.max_row)}"
    wb.save(path)
    return Path(path)


def _label(column: str, fw: Framework | None, table: str, run: StudyRun | None) -> tuple[str, str]:
    """A column's (zh, en) label; the unit column is named by the panel's kind (省份/城市/企业 …)."""
    if column == "unit" and run is not None and not table.endswith("_indicators"):
        return kind_words(run.panel.kind, "zh").unit, kind_words(run.panel.kind, "en").unit.capitalize()
    return column_labels(column, fw, table)


def read_workbook_table(path: str | Path, sheet: str) -> pd.DataFrame:
    """A table sheet back as a DataFrame (row 1 = column names, row 2 = labels skipped)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows[HEADER_ROWS:], columns=list(rows[0]))


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
