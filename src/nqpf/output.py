"""Write a study run to its output folder: CSV tables, results.xlsx, report.html, figures/, provenance.json,
summary.txt."""

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
    outputs = [f"tables/{n}.csv" for n in tables]
    report_notes: list[str] = []
    if excel:
        from nqpf.report.excel import write_workbook

        write_workbook(tables, out / "results.xlsx", run=run, lang=lang)
        outputs.append("results.xlsx")
    from nqpf.report.figures import write_figures
    from nqpf.report.html import write_report

    figs = write_figures(run, out / "figures", lang=lang)
    outputs += [f"figures/{p.name}" for p in figs.paths]
    report_notes += [f"figures: {n}" for n in figs.notes]
    rep = write_report(run, out / "report.html", lang=lang)
    outputs.append("report.html")
    report_notes += [f"report: {n}" for n in rep.notes]
    prov = run.provenance.to_dict()
    prov["source"] = run.source
    prov["notes"] = [*prov["notes"], *report_notes]
    prov["outputs"] = sorted(outputs)
    (out / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                                         encoding="utf-8")
    (out / "summary.txt").write_text(run_summary(run, lang=lang) + "\n", encoding="utf-8")
    from nqpf.methods_appendix import write_methods_md

    write_methods_md(run, out / "methods.md", lang=lang)
    return out


def run_summary(run: StudyRun, lang: str = "en", full: bool = True) -> str:
    """The run's summary: each index (top and bottom five in the latest year, mean by year), the
    province table of coordination class and main obstacle lever, and (``full``) every analysis."""
    parts = []
    for name, res in run.results.items():
        parts.append(f"== {name} ==\n" + res.summary(lang=lang))
    if "compare" in run.analyses:
        parts.append(run.analyses["compare"].summary())
    table = province_diagnosis(run, lang)
    if table is not None:
        year = int(table.attrs["year"])
        head = "各省协调等级与主要障碍杠杆" if lang == "zh" else "Coordination class and main obstacle lever"
        parts.append(f"== {head}, {year} ==\n" + table.to_string(index=False))
    if full:
        for name, res in run.analyses.items():
            if name != "compare" and hasattr(res, "summary"):
                parts.append(f"== {name} ==\n" + res.summary())
    cells = run.provenance.counts()
    parts.append("changed cells: " + (", ".join(f"{k} {v}" for k, v in cells.items()) or "none"))
    return "\n\n".join(parts)


def province_diagnosis(run: StudyRun, lang: str = "en") -> pd.DataFrame | None:
    """For the latest year of the coupling analysis: each unit's coordination class and main obstacle lever."""
    coupling, obstacle = run.analyses.get("coupling"), run.analyses.get("obstacle")
    if coupling is None and obstacle is None:
        return None
    frames = []
    if coupling is not None:
        c = coupling.to_frame()
        frames.append(c[["unit", "year", "D", f"level_{lang}"]].rename(
            columns={f"level_{lang}": "协调等级" if lang == "zh" else "coordination"}))
    if obstacle is not None:
        m = obstacle.main_lever
        frames.append(m[["unit", "year", f"lever_{lang}", "share"]].rename(columns={
            f"lever_{lang}": "主要障碍杠杆" if lang == "zh" else "main obstacle lever",
            "share": "障碍度%" if lang == "zh" else "obstacle %"}))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["unit", "year"], how="inner")
    from nqpf.core.units import unit_name

    year = int(out["year"].max())
    out = out[out["year"] == year].drop(columns="year").round(3)
    out["unit"] = [unit_name(u, lang) for u in out["unit"]]
    out = out.rename(columns={"unit": "地区" if lang == "zh" else "unit"})
    out.attrs["year"] = year
    return out.reset_index(drop=True)
