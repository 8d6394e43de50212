"""The methods section of a run (方法说明), ready to paste into a paper: ``methods.md`` in English or Chinese.

:func:`methods_markdown` describes what a :class:`~nqpf.study.runner.StudyRun` actually did — the data and
years, the framework tree with its weights, the normalisation, weighting and aggregation, every analysis that
ran with its settings, what was imputed or dropped, the software versions — and lists the references of
exactly those methods. A method that did not run is not named.

Everything comes from the registries: the measurement paragraphs from the method registry
(:mod:`nqpf.methods.registry`, ``spec.text(facts, lang)`` of the normalisation, weighting, aggregation and
techniques the index used), the analysis paragraphs from the analysis registry (``record.spec.methods(result,
options, lang)``), the references from their ``refs``. Method keys are registry keys: the keys of the method
registry and the analysis names of :data:`~nqpf.analysis.registry.ANALYSES`.

:func:`write_methods_md` writes the text to a file; :func:`methods_html` renders it as an HTML fragment.
:func:`methods_used` returns the method keys of a run (or of a run's ``provenance.json``), which
:mod:`nqpf.cite` turns into citations.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nqpf.methods  # noqa: F401  (the kernels register themselves in the method registry)
from nqpf.analysis.registry import ANALYSES
from nqpf.core.provenance import package_versions
from nqpf.core.references import format_reference
from nqpf.core.units import kind_words
from nqpf.datasets import DATASETS
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, TECHNIQUES, WEIGHTINGS, MethodSpec
from nqpf.pipeline import index_method_keys, methods_paragraphs
from nqpf.result import IndexResult
from nqpf.study import StudyRun

__all__ = [
    "Citable",
    "citable",
    "index_facts",
    "known",
    "methods_html",
    "methods_markdown",
    "methods_used",
    "references_for",
    "write_methods_md",
]

LANGS = ("en", "zh")
_METHOD_REGISTRIES = (NORMALIZATIONS, WEIGHTINGS, AGGREGATIONS, TECHNIQUES)


def _T(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


# =============================================================================================
# citable keys: the method registry and the analysis registry
# =============================================================================================
@dataclass(frozen=True)
class Citable:
    """A method key as cited: its (zh, en) label, its reference keys and its docs page (may be empty)."""

    key: str
    label: tuple[str, str]
    refs: tuple[str, ...]
    page: str = ""

    def label_in(self, lang: str) -> str:
        return self.label[0] if lang == "zh" else self.label[1]


def _method_spec(key: str) -> MethodSpec | None:
    for reg in _METHOD_REGISTRIES:
        if key in reg:
            return reg[key]
    return None


def known(key: str) -> bool:
    """Whether ``key`` is a registered method, technique or analysis."""
    return _method_spec(key) is not None or key in ANALYSES


def citable(key: str) -> Citable:
    """The label and references of a method key (method registry first, then the analyses).

    Examples
    --------
    >>> citable("critic").refs, citable("kernel_density").label[1]
    (('diakoulaki1995',), 'Distribution dynamics: kernel density')
    """
    m = _method_spec(key)
    if m is not None:
        return Citable(key, m.label, tuple(m.refs), m.page)
    if key in ANALYSES:
        a = ANALYSES[key]
        return Citable(key, a.label, tuple(a.refs))
    known_keys = [k for reg in _METHOD_REGISTRIES for k in reg] + list(ANALYSES)
    raise KeyError(f"unknown method key {key!r}; known: {', '.join(sorted(known_keys))}")


def references_for(keys: Iterable[str]) -> list[str]:
    """Reference keys of these methods, in order of first use, without repeats."""
    out: list[str] = []
    for k in keys:
        for r in citable(k).refs:
            if r not in out:
                out.append(r)
    return out


# =============================================================================================
# which methods ran
# =============================================================================================
def _load_provenance(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    p = Path(source)
    if p.is_dir():
        p = p / "provenance.json"
    return json.loads(p.read_text(encoding="utf-8"))


def _interpolated(cells: Iterable[Mapping[str, Any]]) -> bool:
    return any(c.get("action") == "imputed" and "interpolation" in str(c.get("reason", "")) for c in cells)


def methods_used(run: Any) -> list[str]:
    """The method keys a run used, in order: per index (normalisation, weighting, aggregation), then analyses.

    ``run`` is a :class:`~nqpf.study.runner.StudyRun`, an :class:`~nqpf.result.IndexResult`, a run's
    ``provenance.json`` (path, output folder or loaded dict; analyses are read from its
    ``settings["analysis.<name>"]``, models from ``settings["model.<label>"]["model"]``) or an iterable of
    method keys (unknown keys are a KeyError). Analyses and models are cited by their registry name.
    """
    keys: list[str] = []
    if isinstance(run, StudyRun):
        for res in run.results.values():
            keys += index_method_keys(res.settings, res.framework)
            if _interpolated(res.provenance.cells):
                keys += ["interpolation"]
        keys += [rec.spec.name for rec in run.records.values()]
    elif isinstance(run, IndexResult):
        keys += index_method_keys(run.settings, run.framework)
        if _interpolated(run.provenance.cells):
            keys += ["interpolation"]
    elif isinstance(run, (str, Path, Mapping)):
        prov = _load_provenance(run)
        settings = prov.get("settings", {})
        study = settings.get("study") or {}
        names = [ix["name"] for ix in study.get("index", [])] or [
            k for k, v in settings.items() if isinstance(v, Mapping) and "normalization" in v]
        for name in names:
            if name in settings:
                keys += index_method_keys(settings[name])
        if any(c.get("action") == "imputed" for c in prov.get("cells", [])):
            keys += ["interpolation"]
        for k, v in settings.items():
            kind, _, name = k.partition(".")
            name = v.get("model", "") if kind == "model" and isinstance(v, Mapping) else name
            if kind in ("analysis", "model") and name in ANALYSES:
                keys.append(name)
    else:
        for k in run:
            citable(k)  # unknown keys: KeyError naming the known ones
            keys.append(k)
    return list(dict.fromkeys(keys))


# =============================================================================================
# the measurement paragraphs: the method registry's prose
# =============================================================================================
def index_facts(res: IndexResult) -> dict[str, Any]:
    """What the method registry's prose may use beside the settings: a few numbers of the run."""
    return {"n_rows": len(res.values), "n_units": len(res.units), "n_years": len(res.years),
            "n_indicators": int(res.values.shape[1])}


def _index_text(res: IndexResult, lang: str) -> list[str]:
    """Paragraphs on how one index was measured: the prose of each method and technique it used."""
    return methods_paragraphs(res.settings, lang, res.framework, **index_facts(res))


def _text(key: str, facts: Mapping[str, Any], lang: str) -> str:
    """The registered prose of a method key ("" when it has none or is not registered)."""
    m = _method_spec(key)
    return m.text(facts, lang) if m is not None else ""


# =============================================================================================
# the document
# =============================================================================================
def _tree_lines(res: Any, lang: str) -> list[str]:
    fw = res.framework
    w = res.weights.set_index("id")
    table = fw.indicator_table()
    lines: list[str] = []
    direction_zh = {"positive": "正向", "negative": "负向", "interval": "区间型"}
    for it in fw.items:
        if it.kind == "target":
            continue
        pad = "  " * (it.level - 1)
        name = fw.label(it.id, lang)
        ww = float(w.loc[it.id, "weight"])
        gw = float(w.loc[it.id, "global_weight"])
        if it.kind == "indicator":
            d = table.loc[it.id, "direction"]
            d_txt = direction_zh.get(d, d) if lang == "zh" else d
            unit = table.loc[it.id, "unit"]
            lines.append(f"{pad}- {name} (`{it.id}`; {unit}; {d_txt}): "
                         + _T(lang, f"weight {gw:.4f}", f"权重 {gw:.4f}"))
        else:
            lines.append(f"{pad}- **{name}** (`{it.id}`): "
                         + _T(lang, f"weight {gw:.4f} (within parent {ww:.4f})", f"权重 {gw:.4f}（层内 {ww:.4f}）"))
    return lines


def _data_lines(run: Any, lang: str) -> list[str]:
    panel = run.panel
    spec = run.spec.data
    out: list[str] = []
    if spec.dataset is not None:
        title = DATASETS.get(spec.dataset, {}).get("title", spec.dataset)
        out.append(_T(lang, f"Data: the bundled dataset `{spec.dataset}` — {title}.",
                      f"数据：nqpf 自带数据集 `{spec.dataset}`（{title}）。"))
    else:
        out.append(_T(lang, f"Data: the file `{Path(str(spec.path)).name}`.",
                      f"数据：文件 `{Path(str(spec.path)).name}`。"))
    yrs = panel.years
    n = len(panel.units)
    out.append(_T(lang, f"The panel holds {kind_words(panel.kind, 'en').count(n)} and {len(panel.indicators)} "
                        f"variables over {yrs[0]}–{yrs[-1]}.",
                  f"面板包含 {kind_words(panel.kind, 'zh').count(n)}、{len(panel.indicators)} 个变量，"
                  f"时间跨度 {yrs[0]}–{yrs[-1]} 年。"))
    for inp in panel.provenance.inputs:
        if inp.get("sha256"):
            fname = Path(str(inp.get("path", inp.get("name")))).name
            out.append(_T(lang, f"Input `{fname}`: SHA-256 `{inp['sha256']}`.",
                          f"输入文件 `{fname}`：SHA-256 `{inp['sha256']}`。"))
    return out


def _cells_lines(run: Any, lang: str) -> list[str]:
    cells = run.provenance.cells
    out: list[str] = []
    for ix in run.spec.index:
        mine = [c for c in cells if c.get("index", ix.name) == ix.name]
        res = run.results[ix.name]
        s = res.settings
        miss = s.get("missing", "interpolate")
        miss_t = miss if isinstance(miss, str) else " → ".join(miss)
        auto = ix.years == "auto"
        words = kind_words(run.panel.kind, lang)
        head = _T(lang, f"`{ix.name}`: missing-value policy `{miss_t}`; years {s['years'][0]}–{s['years'][1]}"
                        f"{' (chosen automatically: the longest run of years with complete data)' if auto else ''}"
                        f"; {words.count(s['n_units'])}",
                  f"`{ix.name}`：缺失值处理 `{miss_t}`；年份 {s['years'][0]}–{s['years'][1]}"
                  f"{'（自动选取数据完整的最长连续年份）' if auto else ''}；{words.count(s['n_units'])}")
        left = s.get("excluded_years", [])
        if left:
            head += _T(lang, f" (left out: {', '.join(str(r['year']) for r in left)}, because of "
                             f"{sum(r['empty_cells'] for r in left)} empty cell(s), listed in `provenance.json`)",
                       f"（未纳入 {'、'.join(str(r['year']) for r in left)} 年，因 "
                       f"{sum(r['empty_cells'] for r in left)} 个空单元格，详见 `provenance.json`）")
        dropped = s.get("dropped_unit_years") or {}
        if dropped.get("count"):
            head += _T(lang, f" ({dropped['count']} unit-year(s) with empty cells dropped)",
                       f"（删除含空单元格的单元-年份 {dropped['count']} 个）")
        if ix.exclude_units:
            head += _T(lang, f" (excluded: {', '.join(ix.exclude_units)})", f"（剔除：{'、'.join(ix.exclude_units)}）")
        if not mine:
            out.append(head + _T(lang, "; no cell was imputed, dropped or clipped.",
                                 "；无插补、删除或截尾的数据单元格。"))
            continue
        by_action = Counter(c["action"] for c in mine)
        parts = []
        for action, n in by_action.items():
            cols = Counter(c["column"] for c in mine if c["action"] == action)
            top = ", ".join(f"{col} {k}" for col, k in cols.most_common(5))
            more = _T(lang, ", …", "，…") if len(cols) > 5 else ""
            action_t = {"imputed": "插补", "dropped": "删除", "clipped": "截尾"}.get(action, action) if lang == "zh" \
                else action
            parts.append(_T(lang, f"{action_t} {n} cell(s) ({top}{more})", f"{action_t} {n} 个单元格（{top}{more}）"))
        reasons = sorted({str(c.get("reason", "")) for c in mine if c.get("reason")})
        out.append(head + "; " + "; ".join(parts) + "."
                   + (_T(lang, f" Reason: {reasons[0]}." if len(reasons) == 1 else "", f"原因：{reasons[0]}。"
                         if len(reasons) == 1 else "")))
    return out


def _versions_line(lang: str) -> str:
    """Python and the versions of the numerical packages this process used (those it imported)."""
    v = package_versions()
    names = ["nqpf", "numpy", "pandas", "scipy"]
    names += [n for n in ("statsmodels", "linearmodels", "libpysal", "esda", "giddy") if n in sys.modules]
    parts = [f"Python {v['python']}"] + [f"{n} {v.get(n, 'not installed')}" for n in names]
    return _T(lang, "Software: " + ", ".join(parts) + ".", "软件版本：" + "，".join(parts) + "。")


def _analysis_settings(options: Any, lang: str) -> str:
    opts = options.model_dump(exclude_unset=True) if hasattr(options, "model_dump") else dict(options or {})
    if not opts:
        return _T(lang, "default settings", "默认设置")
    return ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False, default=str)}" for k, v in opts.items())


def _analysis_paragraph(record: Any, lang: str) -> str:
    """The methods paragraph of one analysis of the run, from its registration."""
    spec = record.spec
    head = (f"**{record.heading(lang)}** (`{record.name}`; {_T(lang, 'settings', '设置')}: "
            f"{_analysis_settings(record.options, lang)}).")
    text = spec.methods(record.result, record.options, lang) if spec.methods is not None else ""
    if not text:
        text = _T(lang, "No method description is registered for this analysis.", "该分析暂无方法说明。")
    return head + " " + text


def _blocks(run: StudyRun, lang: str) -> list[str]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    keys = methods_used(run)
    md: list[str] = []
    title = run.spec.title or run.spec.name
    md.append(_T(lang, f"# Methods — {title}", f"# 研究方法 — {title}"))
    md.append(_T(lang, f"_Generated by nqpf for the study `{run.spec.name}` ({run.source})._",
                 f"_由 nqpf 为研究 `{run.spec.name}`（{run.source}）自动生成。_"))
    md.append(_T(lang, "## Data", "## 数据"))
    md.extend(_data_lines(run, lang))
    md.append(_T(lang, "## Indicator systems and weights", "## 指标体系与权重"))
    for ix in run.spec.index:
        res = run.results[ix.name]
        fw = res.framework
        t = fw.title_zh if lang == "zh" else fw.title_en
        md.append(f"### {t} (`{ix.name}`, {_T(lang, 'framework', '指标体系')} `{fw.name}`)")
        md.append(_T(lang, f"{len(fw.dimensions)} dimensions, {len(fw.indicators)} indicators; weights are global "
                           "(they sum to one over the indicators and over the dimensions).",
                     f"{len(fw.dimensions)} 个维度、{len(fw.indicators)} 个指标；"
                     "权重为全局权重（指标权重之和与维度权重之和均为 1）。"))
        w = res.settings.get("weighting")
        if isinstance(w, str) and w in WEIGHTINGS and WEIGHTINGS[w].per_year:
            md.append(_T(lang, "Weights shown are the mean of the yearly weights.", "下列权重为各年权重的均值。"))
        md.append("\n".join(_tree_lines(res, lang)))
    md.append(_T(lang, "## Measurement", "## 测度方法"))
    for ix in run.spec.index:
        if len(run.spec.index) > 1:
            md.append(f"### `{ix.name}`")
        md.extend(_index_text(run.results[ix.name], lang))
    if run.records:
        md.append(_T(lang, "## Analyses", "## 分析方法"))
        md.extend(_analysis_paragraph(rec, lang) for rec in run.records.values())
    md.append(_T(lang, "## Data handling", "## 数据处理"))
    md.extend(f"- {line}" for line in _cells_lines(run, lang))
    if any(_interpolated(res.provenance.cells) for res in run.results.values()):
        text = _text("interpolation", {}, lang)
        md.append(text or _T(
            lang, "Missing values inside a unit's observed span were filled by linear interpolation in the "
                  "calendar year; nothing was extrapolated. Every changed cell is listed in `provenance.json`.",
            "单元观测区间内部的缺失值按年份线性插值，不做外推；每个被改动的单元格均记录于 `provenance.json`。"))
    md.append(_T(lang, "## Software", "## 软件"))
    md.append(_versions_line(lang) + " " + _T(
        lang, "Cite nqpf and the methods below (`nqpf cite` prints BibTeX).",
        "请引用 nqpf 及下列方法文献（`nqpf cite` 输出 BibTeX）。"))
    md.append(_T(lang, "## References", "## 参考文献"))
    md.extend(f"- {format_reference(r, lang)}" for r in references_for(keys))
    return md


def methods_markdown(run: StudyRun, lang: str = "en") -> str:
    """The methods section of a StudyRun as Markdown (LaTeX math between ``$``), in English or Chinese."""
    return "\n\n".join(_blocks(run, lang)) + "\n"


def write_methods_md(run: StudyRun, path: str | Path, lang: str = "en") -> Path:
    """Write :func:`methods_markdown` to ``path`` (a folder gets ``methods.md``); returns the file path."""
    p = Path(path)
    if p.is_dir() or p.suffix == "":
        p.mkdir(parents=True, exist_ok=True)
        p = p / "methods.md"
    else:
        p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(methods_markdown(run, lang), encoding="utf-8")
    return p


# =============================================================================================
# a small Markdown → HTML renderer for report.html (only what methods_markdown writes)
# =============================================================================================
_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?![\w*])")
_MATH = re.compile(r"\$([^$]+)\$")


def _inline(text: str) -> str:
    maths: list[str] = []

    def keep(m: re.Match[str]) -> str:
        maths.append(m.group(1))
        return f"\x00{len(maths) - 1}\x00"

    t = _MATH.sub(keep, text)
    t = html.escape(t, quote=False)
    t = _INLINE_CODE.sub(r"<code>\1</code>", t)
    t = _BOLD.sub(r"<strong>\1</strong>", t)
    t = _ITALIC.sub(r"<em>\1</em>", t)
    return re.sub(r"\x00(\d+)\x00",
                  lambda m: f'<span class="math">\\({html.escape(maths[int(m.group(1))], quote=False)}\\)</span>', t)


def methods_html(run: StudyRun, lang: str = "en") -> str:
    """:func:`methods_markdown` as an HTML fragment (``<section class="nqpf-methods">``) for report.html.

    Math stays as TeX in ``<span class="math">\\( … \\)</span>`` for a math renderer to pick up (or to read).
    """
    out = ['<section class="nqpf-methods">']
    for block in _blocks(run, lang):
        if block.startswith("#"):
            level = len(block) - len(block.lstrip("#"))
            out.append(f"<h{level}>{_inline(block[level:].strip())}</h{level}>")
        elif block.lstrip().startswith("- "):
            out.append(_list_html(block.split("\n")))
        else:
            out.append(f"<p>{_inline(block)}</p>")
    out.append("</section>")
    return "\n".join(out)


def _list_html(lines: list[str]) -> str:
    out: list[str] = []
    depth = -1
    for line in lines:
        d = (len(line) - len(line.lstrip(" "))) // 2
        item = _inline(line.strip()[2:])
        if d > depth:
            out.append("<ul>" * (d - depth))
        elif d < depth:
            out.append("</li>" + "</ul></li>" * (depth - d))
        else:
            out.append("</li>")
        out.append(f"<li>{item}")
        depth = d
    out.append("</li>" + "</ul></li>" * depth + "</ul>")
    return "".join(out)
