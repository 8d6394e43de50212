"""Publication tables (论文回归表格): several models side by side, as esttab/outreg2 print them.

:func:`publication_table` lays out coefficients with standard errors (or t statistics) in parentheses and
significance stars, then the yes/no rows (fixed effects, controls), N and the statistics. The exporters
write the same layout as journals print it — a three-line table (三线表): a rule above the header, one
below it, one above the fixed-effect/N block and one at the bottom, with the stars legend as a note:

- :func:`to_markdown` (pipe table), :func:`to_latex` (booktabs), :func:`to_excel` (openpyxl) and
  :func:`to_docx` (python-docx); :func:`export_table` picks one by the file suffix.

Each accepts Estimates columns or model results (anything with ``.estimates()``), in order; model
columns are numbered (1), (2), … with the dependent variable and the model name below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core.errors import MethodError
from nqpf.core.i18n import check_lang
from nqpf.core.stars import STAR_NOTE, stars
from nqpf.models.estimates import Estimates

__all__ = ["TableLayout", "export_table", "layout", "publication_table", "to_docx", "to_excel", "to_latex",
           "to_markdown"]

#: Display names of the usual rows and statistics, (zh, en); other keys are printed as given.
ROW_LABELS: dict[str, tuple[str, str]] = {
    "unit FE": ("个体固定效应", "Unit FE"),
    "year FE": ("年份固定效应", "Year FE"),
    "controls": ("控制变量", "Controls"),
    "cluster": ("聚类", "Cluster"),
    "threshold": ("门槛变量", "Threshold variable"),
    "R2": ("R²", "R²"),
    "R2_within": ("组内 R²", "Within R²"),
    "R2_adj": ("调整 R²", "Adjusted R²"),
    "log_likelihood": ("对数似然值", "Log likelihood"),
    "first_stage_F": ("第一阶段 F 值", "First-stage F"),
    "cragg_donald_F": ("Cragg-Donald Wald F", "Cragg-Donald Wald F"),
    "kleibergen_paap_F": ("Kleibergen-Paap rk Wald F", "Kleibergen-Paap rk Wald F"),
    "stock_yogo_10": ("Stock-Yogo 10% 临界值", "Stock-Yogo 10% critical value"),
    "Lee–Yu": ("Lee–Yu 修正", "Lee–Yu"),
    "corr2": ("corr²", "corr²"),
    "log-likelihood": ("对数似然值", "Log likelihood"),
}
_YES = {"yes": ("是", "Yes"), "no": ("否", "No")}


def _label(key: str, lang: str) -> str:
    pair = ROW_LABELS.get(key)
    return key if pair is None else pair[0 if lang == "zh" else 1]


def _cell(value: str, lang: str) -> str:
    pair = _YES.get(str(value).strip().lower())
    return str(value) if pair is None else pair[0 if lang == "zh" else 1]


def _columns(models: Sequence[Any]) -> list[Estimates]:
    out: list[Estimates] = []
    for m in models:
        if isinstance(m, Estimates):
            out.append(m)
        elif hasattr(m, "estimates"):
            out += list(m.estimates())
        else:
            raise MethodError(f"a table column must be an Estimates or a model result, got {type(m).__name__}")
    if not out:
        raise MethodError("a publication table needs at least one model")
    return out


@dataclass
class TableLayout:
    """A regression table as rows of text, in three blocks (the rules go between them).

    ``header``: the rows above the first rule-below-header (numbers (1), (2)…, dependent variables, model
    names); ``coefficients``: (label, cells) pairs, the parenthesis row's label empty; ``extra``: the yes/no
    rows; ``stats``: N and the statistics; ``note``: the table note (what is in parentheses, the stars).
    """

    header: list[list[str]]
    coefficients: list[tuple[str, list[str]]]
    extra: list[tuple[str, list[str]]]
    stats: list[tuple[str, list[str]]]
    note: str

    @property
    def body(self) -> list[tuple[str, list[str]]]:
        return [*self.coefficients, *self.extra, *self.stats]


def layout(models: Sequence[Any], lang: str = "en", stat: str = "se", digits: int = 3) -> TableLayout:
    """The rows of the table (see :class:`TableLayout`); every exporter writes this.

    Examples
    --------
    >>> e = Estimates("FE", pd.Series({"x": 0.5}), pd.Series({"x": 0.1}), pd.Series({"x": 0.001}), nobs=100,
    ...               dependent="y", rows={"unit FE": "yes"})
    >>> t = layout([e])
    >>> t.header, t.coefficients, t.extra
    ([['', '(1)'], ['', 'y'], ['', 'FE']], [('x', ['0.500***']), ('', ['(0.100)'])], [('Unit FE', ['Yes'])])
    """
    check_lang(lang)
    if stat not in ("se", "t"):
        raise MethodError(f"stat must be 'se' or 't', got {stat!r}")
    cols = _columns(models)
    variables: list[str] = []
    labels: dict[str, tuple[str, str]] = {}
    for e in cols:
        variables += [v for v in e.params.index if v not in variables]
        labels.update(e.labels)
    coef_rows: list[tuple[str, list[str]]] = []
    for v in variables:
        name = labels.get(v, (v, v))[0 if lang == "zh" else 1]
        coef, paren = [], []
        for e in cols:
            if v not in e.params.index or not np.isfinite(e.params[v]):
                coef.append("")
                paren.append("")
                continue
            coef.append(f"{e.params[v]:.{digits}f}{stars(e.pvalues.get(v))}")
            s = e.std_errors[v] if stat == "se" else e.t[v]
            paren.append(f"({s:.{digits}f})" if np.isfinite(s) else "")
        coef_rows += [(name, coef), ("", paren)]
    keys: list[str] = []
    for e in cols:
        keys += [k for k in e.rows if k not in keys]
    extra = [(_label(k, lang), [_cell(e.rows.get(k, ""), lang) for e in cols]) for k in keys]
    stat_rows = [("观测值" if lang == "zh" else "N", [f"{e.nobs:,}" if e.nobs is not None else "" for e in cols])]
    names: list[str] = []
    for e in cols:
        names += [k for k in e.stats if k not in names]
    for k in names:
        stat_rows.append((_label(k, lang), [f"{e.stats[k]:.{digits}f}" if k in e.stats and np.isfinite(e.stats[k])
                                            else "" for e in cols]))
    header = [["", *(f"({i + 1})" for i in range(len(cols)))]]
    if any(e.dependent for e in cols):
        header.append(["", *(e.dependent for e in cols)])
    if any(e.name and e.name != e.dependent and not re.fullmatch(r"\(\d+\)", e.name) for e in cols):
        header.append(["", *(e.name for e in cols)])
    what = {("zh", "se"): "括号内为标准误。", ("en", "se"): "Standard errors in parentheses.",
            ("zh", "t"): "括号内为 t 值。", ("en", "t"): "t statistics in parentheses."}[(lang, stat)]
    note = f"{what}{'' if lang == 'zh' else ' '}{STAR_NOTE[0 if lang == 'zh' else 1]}"
    return TableLayout(header, coef_rows, extra, stat_rows, note)


def publication_table(estimates: Sequence[Any], lang: str = "en", stat: str = "se", digits: int = 3
                      ) -> pd.DataFrame:
    """Models side by side: a coefficient row and a (se) or (t) row per variable, then rows and statistics.

    Parameters
    ----------
    estimates : the columns, in order (Estimates or model results).
    lang : "zh" or "en" (variable labels, row names).
    stat : "se" (standard errors in parentheses) or "t" (t statistics).
    digits : decimals.

    Returns
    -------
    DataFrame with one text column per model; the index holds the row labels (a parenthesis row is
    labelled like its coefficient plus a space).

    Examples
    --------
    >>> e = Estimates("(1)", pd.Series({"x": 0.5}), pd.Series({"x": 0.1}), pd.Series({"x": 0.001}), nobs=100)
    >>> publication_table([e]).to_dict()["(1)"]["x"]
    '0.500***'
    """
    cols = _columns(estimates)
    t = layout(cols, lang=lang, stat=stat, digits=digits)
    index: list[str] = []
    last = ""
    for name, _ in t.body:
        label = f"{last} " if name == "" else name
        last = name or last
        index.append(label)
    titles: list[str] = []
    for e in cols:  # unique column titles
        title = e.name
        while title in titles:
            title += " "
        titles.append(title)
    return pd.DataFrame([cells for _, cells in t.body], index=index, columns=titles)


# =============================================================================================
# exporters
# =============================================================================================
def to_markdown(models: Sequence[Any], path: str | Path | None = None, *, lang: str = "en", stat: str = "se",
                digits: int = 3, title: str | None = None) -> str:
    """A pipe table (GitHub/Pandoc Markdown) with the note below; written to ``path`` when given.

    Examples
    --------
    >>> e = Estimates("FE", pd.Series({"x": 0.5}), pd.Series({"x": 0.1}), pd.Series({"x": 0.001}), nobs=100)
    >>> print(to_markdown([e]).splitlines()[0])
    |  | (1) |
    """
    t = layout(models, lang=lang, stat=stat, digits=digits)

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"**{title}**", ""] if title else []
    lines += [row(t.header[0]), "|" + "---|" + ":---:|" * (len(t.header[0]) - 1)]
    lines += [row(h) for h in t.header[1:]]
    lines += [row([name, *cells]) for name, cells in t.body]
    lines += ["", t.note]
    text = "\n".join(lines) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(s: str) -> str:
    s = re.sub(r"[\\&%$#_{}~^]", lambda m: _TEX[m.group()], str(s))
    s = s.replace("R²", "$R^2$")
    return re.sub(r"(\d|\))(\*{1,3})", lambda m: m.group(1) + "\\sym{" + m.group(2) + "}", s)


def to_latex(models: Sequence[Any], path: str | Path | None = None, *, lang: str = "en", stat: str = "se",
             digits: int = 3, title: str | None = None, label: str | None = None) -> str:
    """A booktabs table (``\\toprule``, ``\\midrule``, ``\\bottomrule``) in a ``table`` float with the note.

    Needs ``\\usepackage{booktabs}`` and defines ``\\sym`` (superscript stars) if the document has none;
    a Chinese table needs ctex (or xeCJK).

    Examples
    --------
    >>> e = Estimates("FE", pd.Series({"x_1": 0.5}), pd.Series({"x_1": 0.1}), pd.Series({"x_1": 0.001}), nobs=100)
    >>> [ln for ln in to_latex([e]).splitlines() if ln.startswith("x")]
    ['x\\\\_1 & 0.500\\\\sym{***} \\\\\\\\']
    """
    t = layout(models, lang=lang, stat=stat, digits=digits)
    k = len(t.header[0]) - 1

    def row(cells: Sequence[str]) -> str:
        return " & ".join(_tex(c) for c in cells) + r" \\"

    lines = [r"\providecommand{\sym}[1]{\ensuremath{^{#1}}}", r"\begin{table}[htbp]", r"\centering"]
    if title:
        lines.append(r"\caption{" + _tex(title) + "}")
    if label:
        lines.append(r"\label{" + label + "}")
    lines += [r"\begin{tabular}{l*{" + str(k) + "}{c}}", r"\toprule"]
    lines += [row(h) for h in t.header]
    lines.append(r"\midrule")
    lines += [row([name, *cells]) for name, cells in t.coefficients]
    lines.append(r"\midrule")
    lines += [row([name, *cells]) for name, cells in (*t.extra, *t.stats)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\par\smallskip\footnotesize " + _tex(t.note), r"\end{table}"]
    text = "\n".join(lines) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_excel(models: Sequence[Any], path: str | Path, *, lang: str = "en", stat: str = "se", digits: int = 3,
             title: str | None = None, sheet: str = "table") -> Path:
    """An .xlsx workbook (openpyxl) with the table as printed: rules, centred cells, the note below."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    t = layout(models, lang=lang, stat=stat, digits=digits)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    thick, thin = Side(style="medium"), Side(style="thin")
    r = 1
    if title:
        ws.cell(r, 1, title).font = Font(bold=True)
        r += 1
    ncol = len(t.header[0])

    def put(cells: Sequence[str], top: Side | None = None, bottom: Side | None = None) -> None:
        nonlocal r
        for j, v in enumerate(cells):
            c = ws.cell(r, j + 1, v)
            c.alignment = Alignment(horizontal="left" if j == 0 else "center")
            if top or bottom:
                c.border = Border(top=top, bottom=bottom)
        r += 1

    for i, h in enumerate(t.header):
        put(h, top=thick if i == 0 else None, bottom=thin if i == len(t.header) - 1 else None)
    for name, cells in t.coefficients:
        put([name, *cells])
    for i, (name, cells) in enumerate((*t.extra, *t.stats)):
        last = i == len(t.extra) + len(t.stats) - 1
        put([name, *cells], top=thin if i == 0 else None, bottom=thick if last else None)
    ws.cell(r, 1, t.note).font = Font(size=9)
    ws.column_dimensions["A"].width = max(12, *(len(n) + 2 for n, _ in t.body))
    for j in range(2, ncol + 1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = 14
    p = Path(path)
    wb.save(p)
    return p


def _docx_borders(cell: Any, **sides: str) -> None:
    """Set the named borders (top, bottom) of a Word table cell: value "single:12" = style:eighths of a point."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    borders = tcpr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tcpr.append(borders)
    for side, spec in sides.items():
        style, size = spec.split(":")
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), style)
        el.set(qn("w:sz"), size)
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def to_docx(models: Sequence[Any], path: str | Path, *, lang: str = "en", stat: str = "se", digits: int = 3,
            title: str | None = None) -> Path:
    """A Word document (python-docx) with the three-line table (三线表) and the note below it."""
    try:
        from docx import Document
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt
    except ImportError as exc:  # pragma: no cover - dependency
        raise MethodError("Word export needs python-docx: pip install python-docx") from exc

    t = layout(models, lang=lang, stat=stat, digits=digits)
    doc = Document()
    if title:
        doc.add_paragraph(title).alignment = WD_ALIGN_PARAGRAPH.CENTER
    rows = [*t.header, *([n, *c] for n, c in t.body)]
    table = doc.add_table(rows=len(rows), cols=len(t.header[0]))
    nh, nc = len(t.header), len(t.coefficients)
    for i, cells in enumerate(rows):
        for j, v in enumerate(cells):
            cell = table.cell(i, j)
            cell.text = v
            par = cell.paragraphs[0]
            par.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            for run in par.runs:
                run.font.size = Pt(10)
            sides = {}
            if i == 0:
                sides["top"] = "single:12"
            if i == nh - 1:
                sides["bottom"] = "single:6"
            if i == nh + nc and i < len(rows):
                sides["top"] = "single:6"
            if i == len(rows) - 1:
                sides["bottom"] = "single:12"
            if sides:
                _docx_borders(cell, **sides)
    note = doc.add_paragraph(t.note)
    for run in note.runs:
        run.font.size = Pt(9)
    p = Path(path)
    doc.save(str(p))
    return p


def export_table(models: Sequence[Any], path: str | Path, *, lang: str = "en", stat: str = "se", digits: int = 3,
                 title: str | None = None) -> Path:
    """Write the table in the format of the file suffix: .xlsx, .docx, .tex or .md."""
    p = Path(path)
    kw = {"lang": lang, "stat": stat, "digits": digits, "title": title}
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return to_excel(models, p, **kw)  # type: ignore[arg-type]
    if suffix == ".docx":
        return to_docx(models, p, **kw)  # type: ignore[arg-type]
    if suffix == ".tex":
        to_latex(models, p, **kw)  # type: ignore[arg-type]
        return p
    if suffix in (".md", ".markdown"):
        to_markdown(models, p, **kw)  # type: ignore[arg-type]
        return p
    raise MethodError(f"unknown table format {p.suffix!r}; use .xlsx, .docx, .tex or .md")
