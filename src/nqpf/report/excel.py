"""results.xlsx: one sheet per table, frozen header row, and a README sheet with the provenance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from nqpf.study import StudyRun


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


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path, run: StudyRun | None = None,
                   lang: str = "en") -> Path:
    """Write every table to its own sheet (header row frozen, bold) plus a README sheet."""
    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    used = {"readme"}
    lines = ["nqpf results / 新质生产力测度结果"]
    if run is not None:
        prov = run.provenance.to_dict()
        lines += [f"study: {run.spec.name} ({run.source})", f"created: {prov['created']}",
                  "versions: " + ", ".join(f"{k} {v}" for k, v in prov["versions"].items()),
                  *[f"input: {i.get('name')} {i.get('path', '')} sha256={i.get('sha256', '')}" for i in prov["inputs"]],
                  *[f"note: {n}" for n in prov["notes"]],
                  "changed cells: " + (", ".join(f"{k} {v}" for k, v in prov["cell_counts"].items()) or "none")]
    lines.append("sheets:")
    names = {}
    for name in tables:
        names[name] = sheet_name(name, used)
        lines.append(f"  {names[name]}: {name}")
    for i, line in enumerate(lines, start=1):
        readme.cell(row=i, column=1, value=line)
    readme["A1"].font = Font(bold=True)
    for name, df in tables.items():
        ws = wb.create_sheet(names[name])
        cols = [str(c) for c in df.columns]
        ws.append(cols)
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j in range(1, len(cols) + 1):
            ws.cell(row=1, column=j).font = Font(bold=True)
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, len(cols[j - 1]) + 2))
        ws.freeze_panes = "A2"
    wb.save(path)
    return Path(path)


def _cell(v: object) -> object:
    if v is None:
        return None
    try:
        if pd.isna(v):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()  # type: ignore[union-attr]
    return v
