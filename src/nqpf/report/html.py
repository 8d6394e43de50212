"""report.html: one self-contained, offline page with every result of a study run (交互式报告).

The chapters are the report sections of the analysis registry (:data:`nqpf.analysis.registry.SECTIONS`), in
their order. Three hold the report's own content, which renders the run and its IndexResults:

- ``overview`` (:mod:`nqpf.report.sections.overview`): data, framework tree (sunburst + weights table), method
  choices and their consequences, notes, imputed / dropped cells;
- ``index`` (:mod:`nqpf.report.sections.index`): map with a year slider, ranking, national and regional
  trends, the sub-index heat map;
- ``briefs`` (:mod:`nqpf.report.sections.briefs`): one card per unit with a selector, when the study asks
  for briefs (``[output] briefs = true``).

Every chapter then shows the run's analyses registered in it (``spec.section``), ordered by ``spec.order``:
each under ``<h3>`` :meth:`~nqpf.study.runner.AnalysisRecord.heading` with the blocks of its result's
:meth:`~nqpf.core.interface.Result.report` (rendered by :mod:`nqpf.report.render`). Nothing here knows any
analysis: a new analysis appears in its chapter by registering itself. A chapter with nothing to show is left
out.

The page skeleton, the shared outlines and the drawing script are in :mod:`nqpf.report.page` and
``report/assets/``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nqpf.analysis.registry import SECTIONS, Section
from nqpf.core.i18n import check_lang, t
from nqpf.core.interface import ReportContext
from nqpf.report.page import Page, document, esc
from nqpf.report.sections import is_large
from nqpf.report.sections.briefs import section_briefs
from nqpf.report.sections.index import section_index
from nqpf.report.sections.overview import section_overview
from nqpf.report.sections.scale import render_record
from nqpf.study import StudyRun
from nqpf.study.runner import AnalysisRecord

__all__ = ["BUILTIN", "Report", "chapters", "record_html", "records_in", "render_report",
           "report_context", "write_report"]

#: The report's own content of a chapter, by section key (rendered before the analyses placed there).
BUILTIN: dict[str, Callable[[StudyRun, Page], str | None]] = {
    "overview": section_overview,
    "index": section_index,
    "briefs": section_briefs,
}


@dataclass
class Report:
    """A rendered report: the HTML text, the chapters shown, the number of figures, and notes (failures)."""

    html: str
    sections: list[str]
    figures: int
    notes: list[str] = field(default_factory=list)


def chapters() -> list[Section]:
    """The report's chapters in page order (the registry's sections by ``order``)."""
    return sorted(SECTIONS.values(), key=lambda s: s.order)


def records_in(run: StudyRun, section: str) -> list[AnalysisRecord]:
    """The run's analyses placed in a chapter, by their ``order`` (ties in run order)."""
    return sorted((r for r in run.records.values() if r.spec.section == section), key=lambda r: r.spec.order)


def report_context(run: StudyRun, lang: str) -> ReportContext:
    """What results need to know to render themselves for this run: language, unit kind, size."""
    return ReportContext(lang=lang, unit_kind=getattr(run.panel, "kind", None),
                         large=is_large(len(run.panel.units)))


def record_html(record: AnalysisRecord, ctx: ReportContext, page: Page) -> str:
    """The HTML of one analysis's report blocks (its heading is written by the chapter); for a large run
    per-unit figures and long tables become the views of :mod:`nqpf.report.sections.scale`."""
    return render_record(record.result.report(ctx), ctx, page)


def _error_box(msg: str) -> str:
    return f'<div class="error"><b>{esc(msg)}</b><pre>{esc(traceback.format_exc(limit=4))}</pre></div>\n'


def _guarded(what: str, render: Callable[[], str | None], page: Page, strict: bool) -> str | None:
    """``render()``; when it fails and not ``strict``, a visible error box and a note instead."""
    try:
        return render()
    except Exception as exc:
        if strict:
            raise
        msg = f"{what} failed: {type(exc).__name__}: {exc}"
        page.notes.append(msg)
        return _error_box(msg)


def render_report(run: StudyRun, lang: str = "en", *, strict: bool = True,
                  sections: Sequence[str] | None = None) -> Report:
    """Render the report of a run (``sections``: only these chapter keys).

    ``strict`` (default): an error in a chapter or an analysis propagates. With ``strict=False`` a failing
    part is shown as a visible error box (never silently left out) and listed in ``Report.notes``.
    """
    lang = check_lang(lang)
    page = Page(lang=lang)
    ctx = report_context(run, lang)
    body: list[str] = []
    toc: list[tuple[str, str]] = []
    shown: list[str] = []
    for sec in chapters():
        if sections is not None and sec.key not in sections:
            continue
        parts: list[str] = []
        own = BUILTIN.get(sec.key)
        if own is not None:
            inner = _guarded(f"section '{sec.key}'", lambda own=own: own(run, page), page, strict)
            if inner:
                parts.append(inner)
        for rec in records_in(run, sec.key):  # the heading stays when the blocks fail (error box below it)
            parts.append(f'<h3 id="analysis-{esc(rec.name)}">{esc(rec.heading(lang))}</h3>\n')
            parts.append(_guarded(f"analysis '{rec.name}'", lambda rec=rec: record_html(rec, ctx, page),
                                  page, strict) or "")
        if not parts:
            continue
        heading = sec.label[0] if lang == "zh" else sec.label[1]
        shown.append(sec.key)
        toc.append((sec.key, heading))
        body.append(f'<section id="{esc(sec.key)}"><h2>{esc(heading)}</h2>\n{"".join(parts)}</section>\n')
    title = run.spec.title or t("report_title", lang)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [f"{t('report_title', lang) if run.spec.title else run.spec.name} · {run.source} · "
              f"{t('generated', lang)} {created}", run.spec.description or "", t("offline_note", lang)]
    html = document(title=title, lang=lang, header=header, toc=toc, body="".join(body), page=page)
    return Report(html=html, sections=shown, figures=page.n_figures, notes=page.notes)


def write_report(run: StudyRun, path: str | Path, lang: str = "en", *, strict: bool = False) -> Report:
    """Write ``report.html`` (one self-contained file) and return the rendered Report."""
    rep = render_report(run, lang, strict=strict)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(rep.html, encoding="utf-8")
    return rep
