"""The report's chapter "各单元简报 / Unit briefs": one card per unit with a unit selector (shown when the study
asks for briefs, ``[output] briefs = true``).

Up to :data:`~nqpf.report.sections.LARGE_UNITS` units every card is in the page and the selector shows one (or
all; printing shows all). Above it the cards are embedded as data and the selector with a search box draws the
chosen one (``NQPF.briefs`` in report.js), under a searchable table of the key numbers. Each card: a small
trend line (inline SVG), the key numbers and the sentences of :func:`nqpf.report.briefs.brief_text`; every
number is read from the run's tables (``tables/brief_sources.csv`` says which).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from nqpf.analysis.registry import register_section
from nqpf.core.i18n import num
from nqpf.core.units import unit_name
from nqpf.report.briefs import Briefs, brief_text, build_briefs
from nqpf.report.page import Page, esc
from nqpf.report.sections import is_large
from nqpf.report.sections.scale import searchable_table, table_id
from nqpf.study import StudyRun

__all__ = ["brief_card", "section_briefs", "sparkline"]

register_section("briefs", 70, ("各单元简报", "Unit briefs"))

_WORDS: dict[str, tuple[str, str]] = {
    "intro": ("每个单元一页：水平、排名与走势，滞后的要素、维度与政策抓手，转型象限与脱钩，生产关系适配，与高质量发展的"
              "耦合，以及排名的不确定性。每个数字均取自本次输出 tables/ 中的表（逐项出处见 tables/brief_sources.csv）；"
              "可打印的 briefs.pdf 每个单元一页。",
              "One page per unit: level, rank and trend; the lagging factor, dimension and policy lever; the "
              "transition quadrant and decoupling; the fit with production relations; the coupling with HQD; and "
              "the uncertainty of the rank. Every number is read from a table in this output's tables/ "
              "(tables/brief_sources.csv names each source); briefs.pdf prints one page per unit."),
    "choose": ("选择单元", "Choose a unit"),
    "all": ("全部单元", "all units"),
    "search": ("搜索单元", "Search units"),
    "score": ("得分", "Score"),
    "rank": ("排名", "Rank"),
    "interval": ("排名区间", "Rank interval"),
    "lever": ("滞后抓手", "Lagging lever"),
    "quadrant": ("转型象限", "Quadrant"),
    "D": ("耦合协调度", "Coupling D"),
    "unit": ("单元", "Unit"),
    "large": ("单元较多：下表列出关键数字（可搜索、排序），选择或搜索单元查看其简报。",
              "Many units: the table lists the key numbers (search, sort); choose or search a unit for its brief."),
}


def _w(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def sparkline(values: np.ndarray, years: list[int], width: int = 180, height: int = 44) -> str:
    """A small inline SVG line of a unit's scores (offline, no script), first and last year under it."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return ""
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    span = hi - lo or 1.0
    xs = np.linspace(4, width - 4, len(v))
    ys = height - 14 - (v - lo) / span * (height - 20)
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, k in zip(xs, ys, ok, strict=True) if k)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'<polyline fill="none" stroke="#0072B2" stroke-width="1.6" points="{pts}"/>'
            f'<text x="2" y="{height - 1}" font-size="9">{years[0]}</text>'
            f'<text x="{width - 2}" y="{height - 1}" font-size="9" text-anchor="end">{years[-1]}</text></svg>')


def brief_card(b: Briefs, unit: str, lang: str, trend: pd.Series | None = None) -> str:
    """One unit's card (HTML)."""
    r = b.row(unit)
    facts = [(_w("score", lang), f"{num(r['score'], 3)} ({int(r['year'])})"),
             (_w("rank", lang), f"{int(r['rank'])} / {int(r['n_units'])}")]
    if "rank_low" in r.index and pd.notna(r["rank_low"]):
        facts.append((_w("interval", lang), f"{int(r['rank_low'])}–{int(r['rank_high'])}"))
    if "lag_lever_ratio" in r.index and pd.notna(r["lag_lever_ratio"]):
        facts.append((_w("lever", lang), f"{r['lag_lever_zh' if lang == 'zh' else 'lag_lever_en']} "
                                         f"({num(r['lag_lever_ratio'], 2)})"))
    if "coupling_D" in r.index and pd.notna(r["coupling_D"]):
        facts.append((_w("D", lang), f"{num(r['coupling_D'], 3)} ({int(r['coupling_year'])})"))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    spark = "" if trend is None else sparkline(trend.to_numpy(dtype=float), [int(y) for y in trend.index])
    text = "".join(f"<p>{esc(s)}</p>" for s in brief_text(b, unit, lang))
    return (f'<article class="brief" data-unit="{esc(unit)}"><h4>{esc(unit_name(unit, lang))}</h4>'
            f'<div class="briefhead">{spark}<dl>{dl}</dl></div>{text}</article>')


def _key_table(b: Briefs, lang: str) -> pd.DataFrame:
    f = b.frame
    out = pd.DataFrame({_w("unit", lang): [unit_name(u, lang) for u in f.index],
                        _w("score", lang): f["score"].to_numpy(), _w("rank", lang): f["rank"].to_numpy()})
    if "rank_low" in f.columns:
        out[_w("interval", lang)] = [f"{int(a)}–{int(c)}" if pd.notna(a) else "" for a, c in
                                     zip(f["rank_low"], f["rank_high"], strict=True)]
    if "lag_lever" in f.columns:
        out[_w("lever", lang)] = f[f"lag_lever_{lang}"].fillna("").to_numpy()
    if "coupling_D" in f.columns:
        out[_w("D", lang)] = f["coupling_D"].to_numpy()
    return out


def section_briefs(run: StudyRun, page: Page) -> str | None:
    """The chapter (None when the study does not ask for briefs)."""
    if not run.spec.output.briefs:
        return None
    lang = page.lang
    b = build_briefs(run)
    mat = run.results[b.index].scores.pivot(index="unit", columns="year", values="score")
    units = list(b.frame.index)
    ident = table_id(page).replace("table", "briefs")
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in b.note_lines(lang))
    head = f'<p>{esc(_w("intro", lang))}</p>{notes}'
    choose = esc(_w("choose", lang))
    if not is_large(len(units)):
        opts = "".join(f'<option value="{k}">{esc(unit_name(u, lang))}</option>' for k, u in enumerate(units))
        opts += f'<option value="all">{esc(_w("all", lang))}</option>'
        cards = "".join(brief_card(b, u, lang, mat.loc[u]) for u in units)
        return (f'{head}<div id="{ident}" class="briefs"><div class="tblbar"><label>{choose} '
                f'<select aria-label="{choose}">{opts}</select></label></div>{cards}</div>\n'
                f'<script>NQPF.briefs("{ident}");</script>\n')
    data = {"cards": [[unit_name(u, lang) + f" {u}", brief_card(b, u, lang, mat.loc[u])] for u in units]}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    opts = "".join(f'<option value="{k}">{esc(unit_name(u, lang))}</option>' for k, u in enumerate(units))
    search = esc(_w("search", lang))
    fmts = {_w("score", lang): "3f", _w("rank", lang): "int", _w("D", lang): "3f"}
    table = searchable_table(_key_table(b, lang), fmts, lang=lang, table_id=table_id(page))
    return (f'{head}<p class="note">{esc(_w("large", lang))}</p>{table}'
            f'<div id="{ident}" class="briefs"><div class="tblbar"><input type="search" placeholder="{search}" '
            f'aria-label="{search}"><label>{choose} <select aria-label="{choose}">{opts}</select></label></div>'
            f'<div class="briefbox"></div></div>\n<script>NQPF.briefs("{ident}", {payload});</script>\n')
