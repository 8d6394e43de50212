"""Write a study run to its output folder: CSV tables, results.xlsx, report.html, figures/, provenance.json,
methods.md, summary.txt — every text in the run's language."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from nqpf.core.errors import NqpfError
from nqpf.core.i18n import t
from nqpf.core.units import kind_words, unit_name
from nqpf.measure import dropped_note, excluded_year_note
from nqpf.report.briefs import briefs_pdf, build_briefs
from nqpf.report.excel import write_workbook
from nqpf.report.figures import start_figures
from nqpf.report.html import write_report
from nqpf.report.methods_md import write_methods_md
from nqpf.study import StudyRun

__all__ = ["province_diagnosis", "run_notices", "run_summary", "run_tables", "write_run"]


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


def write_run(run: StudyRun, outdir: str | Path, *, excel: bool = True, lang: str = "en",
              briefs: bool | None = None, progress: Callable[[str], None] | None = None) -> Path:
    """Write the run; returns the folder.

    ``briefs`` (default: the study's ``[output] briefs``): also one brief per unit, as ``briefs.pdf`` (one A4
    page per unit) and ``tables/briefs.csv`` with ``tables/brief_sources.csv`` (the table, column and row
    every number of a brief is read from); the report's chapter of unit briefs is shown either way when the
    study asks for briefs.

    An existing folder may hold an earlier run: the files that run wrote (its ``provenance.json`` lists them)
    are removed first, so no stale table is left beside the new ones; any other file is left alone, and a
    folder with files but no nqpf provenance.json is refused (it is not an nqpf output folder).

    ``progress`` is told each phase as it starts: "writing tables", "writing workbook", "writing report",
    "drawing figures", "writing briefs" (when asked for), "writing methods".
    """
    say = progress or (lambda _msg: None)
    out = Path(outdir)
    remove_previous_outputs(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    tables = run_tables(run)
    if briefs is None:
        briefs = run.spec.output.briefs
    brief = build_briefs(run) if briefs else None
    if brief is not None:
        tables["briefs"] = brief.frame.reset_index()
        tables["brief_sources"] = brief.sources
    say("writing tables")
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=False, encoding="utf-8")
    outputs = [f"tables/{n}.csv" for n in tables]
    report_notes: list[str] = []
    fig_job = start_figures(run, out / "figures", lang=lang)  # drawn by forked workers while the rest is written
    if excel:
        say("writing workbook")
        write_workbook(tables, out / "results.xlsx", run=run, lang=lang)
        outputs.append("results.xlsx")
    say("writing report")
    rep = write_report(run, out / "report.html", lang=lang)
    say("drawing figures")
    figs = fig_job.result()
    outputs += [f"figures/{p.name}" for p in figs.paths]
    report_notes += [f"figures: {n}" for n in figs.notes]
    outputs.append("report.html")
    if brief is not None:
        say("writing briefs")
        briefs_pdf(run, out / "briefs.pdf", lang=lang, briefs=brief)
        outputs.append("briefs.pdf")
    report_notes += [f"report: {n}" for n in rep.notes]
    say("writing methods")
    summary, summary_notes = _summary(run, lang, full=True)
    report_notes += [f"summary: {n}" for n in summary_notes]
    prov = run.provenance.to_dict()
    prov["source"] = run.source
    # what years="auto" left out and missing="drop" removed, by index (also in settings.<index>)
    prov["excluded_years"] = [{"index": name, **rec} for name, res in run.results.items()
                              for rec in res.settings.get("excluded_years", [])]
    prov["dropped_unit_years"] = {name: res.settings["dropped_unit_years"] for name, res in run.results.items()
                                  if res.settings.get("dropped_unit_years")}
    prov["notes"] = [*prov["notes"], *report_notes]
    prov["outputs"] = sorted([*outputs, "methods.md", "summary.txt"])
    (out / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                                         encoding="utf-8")
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    write_methods_md(run, out / "methods.md", lang=lang)
    return out


def remove_previous_outputs(out: Path) -> list[str]:
    """Remove the files an earlier nqpf run wrote to ``out`` (listed in its provenance.json); returns them.

    Only the listed outputs inside ``out`` go (and the folders they leave empty); user files stay. A
    non-empty folder without an nqpf provenance.json is refused with a DataError-like message.
    """
    if not out.exists():
        return []
    if not out.is_dir():
        raise NqpfError(f"{out} is a file, not a folder; choose another output folder with -o")
    prov = out / "provenance.json"
    if not prov.exists():
        if any(out.iterdir()):
            raise NqpfError(f"{out} already holds files that nqpf did not write (no provenance.json); choose an "
                            "empty or new output folder with -o, or an earlier nqpf output folder")
        return []
    try:
        listed = json.loads(prov.read_text(encoding="utf-8")).get("outputs", [])
    except (json.JSONDecodeError, AttributeError):
        raise NqpfError(f"{prov} is not an nqpf provenance file; choose another output folder with -o") from None
    root = out.resolve()
    removed = []
    for rel in [*listed, "provenance.json"]:
        f = (out / str(rel)).resolve()
        if root not in f.parents or not f.is_file():  # never outside the folder
            continue
        f.unlink()
        removed.append(str(rel))
    for sub in ("tables", "figures"):
        d = out / sub
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    return removed


def run_notices(run: StudyRun, lang: str = "en") -> list[str]:
    """What the run left out or read differently from the file, one line each (never silent): skipped
    sheets, missing markers read as empty cells, renames, the years ``years="auto"`` left out and the cells
    that forced it, unit-years ``missing="drop"`` removed, units the study excluded."""
    reading = run.panel.provenance.settings.get("reading") if lang == "zh" else None
    lines = _reading_zh(reading) if reading else []
    lines += [n for n in run.panel.provenance.notes if not reading or not _is_reading_note(n, reading["file"])]
    for ix in run.spec.index:
        res = run.results.get(ix.name)
        if res is None:
            continue
        n_units = len(res.units)
        for rec in res.settings.get("excluded_years", []):
            lines.append(f"{ix.name}: {excluded_year_note(rec, n_units, lang)}")
        dropped = res.settings.get("dropped_unit_years")
        if dropped and dropped["count"]:
            lines.append(f"{ix.name}: {dropped_note(dropped, lang)}")
        if ix.exclude_units:
            lines.append(f"{ix.name}: " + (f"研究设定剔除的单元：{'、'.join(ix.exclude_units)}" if lang == "zh" else
                                          f"units excluded by the study: {', '.join(ix.exclude_units)}"))
    return lines


_REASONS_ZH = (("the sheet is empty", "空白工作表"), ("the file is empty", "空文件"),
               ("only a header row", "只有表头、没有数据行"), ("no year column", "无年份列、表头中也无年份：非数据表"))


def _is_reading_note(note: str, fname: str) -> bool:
    return note.startswith(fname) and (" skipped (" in note or " read as empty in column " in note)


def _reading_zh(reading: dict) -> list[str]:
    """The reading notes (skipped sheets, missing markers) in Chinese."""
    f = reading["file"]
    out = []
    for s in reading["skipped_sheets"]:
        why = next((zh for en, zh in _REASONS_ZH if s["reason"].startswith(en)), s["reason"])
        out.append(f"{f}：已跳过工作表 {s['sheet']}（{why}）")
    for m in reading["markers"]:
        where = f"{f}" + ("" if m["sheet"] is None else f" [工作表 {m['sheet']}]")
        out.append(f"{where}：列 '{m['column']}' 中 {m['cells']} 个标为 '{m['marker']}' 的单元格按空值读取")
    return out


_WORDS = {
    "coordination": ("协调等级", "coordination"),
    "main_lever": ("主要障碍杠杆", "main obstacle lever"),
    "main_dimension": ("主要障碍维度", "main obstacle dimension"),
    "no_levers": ("框架未给指标标注政策杠杆，改按一级维度列出主要障碍",
                  "the framework tags no indicator with a policy lever: the main obstacle is given by dimension"),
    "notices": ("数据说明（删去或改读的内容）", "Notes on the data (what was left out or read differently)"),
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
    notices = run_notices(run, lang)
    if notices:
        parts.append(f"== {_w('notices', lang)} ==\n" + "\n".join(f"- {n}" for n in notices))
    notes: list[str] = []
    table = province_diagnosis(run, lang)
    if table is not None:
        each = kind_words(run.panel.kind, lang).each
        what = table.attrs["heading"][0 if lang == "zh" else 1]
        head = f"{each}{what}" if lang == "zh" else f"{what} of {each}"
        parts.append(f"== {head}, {int(table.attrs['year'])} ==\n" + table.to_string(index=False)
                     + ("" if table.attrs["kind"] != "dimension" else f"\n({_w('no_levers', lang)})"))
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
    kind = "lever"
    if obstacle is not None:
        # without lever tags every lever share is 100 % "untagged": the dimensions say what holds a unit back
        kind = obstacle.main_kind
        m = obstacle.main(kind)
        frames.append(m[["unit", "year", f"{kind}_{lang}", "share"]].rename(columns={
            f"{kind}_{lang}": _w(f"main_{kind}", lang), "share": _w("obstacle_share", lang)}))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["unit", "year"], how="inner")
    year = int(out["year"].max())
    out = out[out["year"] == year].drop(columns="year").round(3)
    out["unit"] = [unit_name(u, lang) for u in out["unit"]]
    out = out.rename(columns={"unit": kind_words(run.panel.kind, lang).unit})
    out.attrs["year"] = year
    out.attrs["kind"] = kind if obstacle is not None else None
    has = (coupling is not None, obstacle is not None)
    zh = "与".join(w for w, h in zip(("协调等级", _w(f"main_{kind}", "zh")), has, strict=True) if h)
    en = " and ".join(w for w, h in zip(("coordination class", _w(f"main_{kind}", "en")), has, strict=True) if h)
    out.attrs["heading"] = (zh, en[:1].upper() + en[1:])  # (zh, en)
    return out.reset_index(drop=True)
