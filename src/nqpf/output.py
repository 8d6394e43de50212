"""Write a study run to its output folder: CSV tables, results.xlsx, provenance.json, summary.txt."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from nqpf.study import StudyRun


def run_tables(run: StudyRun) -> dict[str, pd.DataFrame]:
    """Every table of a run, by name (index tables first, then analyses)."""
    tables: dict[str, pd.DataFrame] = {}
    for name, res in run.results.items():
        tables[f"{name}_scores"] = res.scores
        tables[f"{name}_weights"] = res.weights
        tables[f"{name}_values"] = res.values.reset_index()
        tables[f"{name}_normalized"] = res.normalized.reset_index()
        tables[f"{name}_indicators"] = res.framework.indicator_table().reset_index()
    tables.update(run.tables)
    tables["provenance_cells"] = run.provenance.cells_frame() if run.provenance.cells else pd.DataFrame(
        columns=["action", "unit", "year", "column", "before", "after", "reason", "index"])
    return tables


def write_run(run: StudyRun, outdir: str | Path, *, excel: bool = True, lang: str = "en") -> Path:
    """Write the run; returns the folder."""
    out = Path(outdir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    tables = run_tables(run)
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=False, encoding="utf-8")
    if excel:
        from nqpf.report.excel import write_workbook

        write_workbook(tables, out / "results.xlsx", run=run, lang=lang)
    prov = run.provenance.to_dict()
    prov["source"] = run.source
    prov["outputs"] = sorted(f"tables/{n}.csv" for n in tables)
    (out / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                                         encoding="utf-8")
    (out / "summary.txt").write_text(run_summary(run, lang=lang) + "\n", encoding="utf-8")
    return out


def run_summary(run: StudyRun, lang: str = "en") -> str:
    """The console summary: per index the top and bottom five in the latest year and the mean by year."""
    parts = []
    for name, res in run.results.items():
        parts.append(f"== {name} ==\n" + res.summary(lang=lang))
    for name, res in run.analyses.items():
        if hasattr(res, "summary"):
            parts.append(f"== {name} ==\n" + res.summary())
    cells = run.provenance.counts()
    parts.append("changed cells: " + (", ".join(f"{k} {v}" for k, v in cells.items()) or "none"))
    return "\n\n".join(parts)
