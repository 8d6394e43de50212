"""Write a study run to its output folder: CSV tables, results.xlsx, report.html, figures/, provenance.json,
methods.md, summary.txt — every text in the run's language."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from nqpf.core.i18n import t
from nqpf.core.units import unit_name
from nqpf.report.excel import write_workbook
from nqpf.report.figures import start_figures
from nqpf.report.html import write_report
from nqpf.report.methods_md import write_methods_md
from nqpf.study import StudyRun

__all__ = ["province_diagnosis", "run_summary", "run_tables", "write_run"]


def run_tables(run: StudyRun) -> dict[str, pd.DataFrame]:
    """Every table of a run, by name (index tables first, then analyses)."""
    tables: dict[str, pd.DataFrame] = {}
    for name, res in run.results.items():
        tables[f"{name}_scores"] = res.scores
        tables[f"{name}_weights"] = res.weights
        tables[f"{name}_values"] = res.values.reset_index()
        tables[f"{name}_normalized"] = res.normalized.reset_index()
        tables[f"{name}_indicators"] = res.framework.indicator_table().reset_index()
        if res.weights_by_year is not None:  # per-year (cross-section) weights: year columns, zh/en names
            tables[f"{name}_weights_by_year"] = res.weights_by_year_table()
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
    outputs = [f"tables/{n}.csv" for n in tables]
    report_notes: list[str] = []
    fig_job = start_figures(run, out / "figures", lang=lang)  # drawn by forked workers while the rest is written
    if excel:
        write_workbook(tables, out / "results.xlsx", run=run, lang=lang)
        outputs.append("results.xlsx")
    rep = write_report(run, out / "report.html", lang=lang)
    figs = fig_job.result()
    outputs += [f"figures/{p.name}" for p in figs.paths]
    report_notes += [f"figures: {n}" for n in figs.notes]
    outputs.append("report.html")
    report_notes += [f"report: {n}" for n in rep.notes]
    summary, summary_notes = _summary(run, lang, full=True)
    report_notes += [f"summary: {n}" for n in summary_notes]
    prov = run.provenance.to_dict()
    prov["source"] = run.source
    prov["notes"] = [*prov["notes"], *report_notes]
    prov["outputs"] = sorted([*outputs, "methods.md", "summary.txt"])
    (out / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                                         encoding="utf-8")
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    write_methods_md(run, out / "methods.md", lang=lang)
    return out


_WORDS = {
    "diagnosis": ("各地区协调等级与主要障碍杠杆", "Coordination class and main obstacle lever"),
    "coordination": ("协调等级", "coordination"),
    "main_lever": ("主要障碍杠杆", "main obstacle lever"),
    "obstacle_share": ("障碍度%", "obstacle %"),
    "changed_cells": ("改动的单元格", "changed cells"),
    "none": ("无", "none"),
    "failed": ("无法生成摘要", "summary failed"),
}


def _w(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def _summary(run: StudyRun, lang: str, full: bool) -> tuple[str, list[str]]:
    """The summary text and notes on analyses whose summary failed (shown in the text, never dropped)."""
    parts = [f"== {name} ==\n" + res.summary(lang) for name, res in run.results.items()]
    notes: list[str] = []
    table = province_diagnosis(run, lang)
    if table is not None:
        parts.append(f"== {_w('diagnosis', lang)}, {int(table.attrs['year'])} ==\n" + table.to_string(index=False))
    if full:
        for rec in run.records.values():
            try:
                text = rec.result.summary(lang)
            except Exception as exc:  # one analysis must not cost the whole summary; said in the text and notes
                msg = f"{rec.name}: {type(exc).__name__}: {exc}"
                notes.append(msg)
                text = f"[{_w('failed', lang)}: {msg}]"
            parts.append(f"== {rec.heading(lang)} ==\n" + text)
    cells = run.provenance.counts()
    parts.append(_w("changed_cells", lang) + ("：" if lang == "zh" else ": ")
                 + ((", " if lang == "en" else "，").join(f"{t(k, lang)} {v}" for k, v in cells.items())
                    or _w("none", lang)))
    return "\n\n".join(parts), notes


def run_summary(run: StudyRun, lang: str = "en", full: bool = True) -> str:
    """The run's summary in ``lang``: each index (top and bottom five in the latest year, mean by year), the
    table of coordination class and main obstacle lever (when the run has them), and (``full``) every
    analysis under its heading, in run order."""
    return _summary(run, lang, full)[0]


def province_diagnosis(run: StudyRun, lang: str = "en") -> pd.DataFrame | None:
    """For the latest year of the coupling analysis: each unit's coordination class and main obstacle lever."""
    coupling, obstacle = run.analyses.get("coupling"), run.analyses.get("obstacle")
    if coupling is None and obstacle is None:
        return None
    frames = []
    if coupling is not None:
        c = coupling.to_frame()
        frames.append(c[["unit", "year", "D", f"level_{lang}"]].rename(
            columns={f"level_{lang}": _w("coordination", lang)}))
    if obstacle is not None:
        m = obstacle.main_lever
        frames.append(m[["unit", "year", f"lever_{lang}", "share"]].rename(columns={
            f"lever_{lang}": _w("main_lever", lang), "share": _w("obstacle_share", lang)}))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["unit", "year"], how="inner")
    year = int(out["year"].max())
    out = out[out["year"] == year].drop(columns="year").round(3)
    out["unit"] = [unit_name(u, lang) for u in out["unit"]]
    out = out.rename(columns={"unit": t("unit", lang)})
    out.attrs["year"] = year
    return out.reset_index(drop=True)
