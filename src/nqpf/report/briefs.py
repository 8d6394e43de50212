"""One brief per unit (各单元简报): "what about us" for a commission, in numbers read off the run's tables.

For every unit of the study's main NQPF index (the first index with role ``nqpf``): level, rank and trend;
the lagging factor of production, "new" dimension and policy lever (obstacle lag ratios, last year); the
transition quadrant, its path and the decoupling status (``leap``); the fit with production relations
(``relations_fit``); the coupling with HQD (``coupling``); and the uncertainty of the rank (Monte Carlo rank
interval and share of draws in the top k, ``uncertainty``).

Every value is read from a table of the run's output (the ``tables/<name>.csv`` files: ``<index>_scores`` and
the analyses' tables as ``run.tables`` names them), and :attr:`Briefs.sources` says where: one row per unit and
field with the table, the column, the row key (``unit=北京|year=2023``) and how the value is made from it
(``value``: the cell; ``difference``: the cell minus the cell of ``minus_row``; ``min``: over the rows
matching the key; ``count``: the number of rows matching the key; ``path``: the column's values over the
matching rows by year, repeats collapsed; ``constant``: the k of the column ``p_top<k>``). With several
pressures in ``leap`` the first one's decoupling is briefed. Fields whose
analysis did not run are left out with a note, never invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.analysis.fit import FIT_CLASSES
from nqpf.analysis.leap import LEAP_CLASSES
from nqpf.analysis.relations import QUADRANTS, TAPIO_STATES
from nqpf.core.errors import StudyError
from nqpf.core.i18n import check_lang, num, pct
from nqpf.core.units import unit_name
from nqpf.study import StudyRun

__all__ = ["Briefs", "brief_sources", "brief_text", "briefs_pdf", "build_briefs", "main_index", "unit_briefs"]

#: The grouping kinds of the lag ratios: (kind in the obstacle tables' names, field prefix, zh, en).
LAG_KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("factors", "lag_factor", "生产要素", "factor of production"),
    ("new", "lag_new", "“新”的维度", '"new" dimension'),
    ("levers", "lag_lever", "政策抓手", "policy lever"),
)

#: Why a part of the briefs is missing: key -> (zh, en).
NOTES: dict[str, tuple[str, str]] = {
    "absent": ("以下单元在 {year} 年无指数得分，未生成简报：{units}",
               "no brief for the units without an index score in {year}: {units}"),
    "obstacle": ("未运行障碍度分析（obstacle）：滞后的生产要素、维度与政策抓手从略",
                 "the obstacle analysis did not run: the lagging factor, dimension and lever are left out"),
    "leap": ("未运行跃迁分析（leap）：转型象限、路径与脱钩状态从略",
             "the leap analysis did not run: the transition quadrant, path and decoupling are left out"),
    "decoupling": ("跃迁分析未给出脱钩结果（未设 pressures）：脱钩状态从略",
                   "the leap analysis has no decoupling (no pressures): the decoupling status is left out"),
    "relations_fit": ("未运行生产关系适配分析（relations_fit）：适配情况从略",
                      "the production-relations fit did not run: the fit is left out"),
    "coupling": ("未运行耦合协调分析（coupling）：与高质量发展的耦合从略",
                 "the coupling analysis did not run: the coupling with HQD is left out"),
    "uncertainty": ("未运行不确定性分析（uncertainty）：排名区间从略",
                    "the uncertainty analysis did not run: the rank interval is left out"),
}


@dataclass
class Briefs:
    """The briefs of a run: ``frame`` (one row per unit, in rank order of the last year), ``sources`` (unit,
    field, value, table, column, row, op, minus_row), ``notes`` (keys of :data:`NOTES`), the main index and
    its years, and the index's framework titles (zh, en)."""

    frame: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str]
    index: str
    years: list[int]
    title: tuple[str, str]
    lag_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: units of the index without a score in its last year (no brief)
    absent: list[str] = field(default_factory=list)

    def note_lines(self, lang: str = "en") -> list[str]:
        """The notes in ``lang``."""
        return [NOTES[k][0 if lang == "zh" else 1].format(units=", ".join(self.absent), year=self.years[-1])
                for k in self.notes]

    def row(self, unit: str) -> pd.Series:
        """One unit's brief."""
        if unit not in self.frame.index:
            raise StudyError(f"no brief for unit '{unit}'; the briefs cover {list(self.frame.index)[:10]} …")
        return self.frame.loc[unit]


class _Collector:
    """Fields per unit with their sources."""

    def __init__(self, units: Sequence[str]) -> None:
        self.units = list(units)
        self.cols: dict[str, pd.Series] = {}
        self.rows: list[pd.DataFrame] = []

    @staticmethod
    def _keys(sel: pd.DataFrame, keys: Sequence[str]) -> list[str]:
        return ["|".join(f"{k}={v}" for k, v in zip(keys, rec, strict=True))
                for rec in sel[list(keys)].itertuples(index=False)]

    def add(self, name: str, table: str, sel: pd.DataFrame, column: str, keys: Sequence[str], *,
            minus: pd.DataFrame | None = None, op: str = "value", values: pd.Series | None = None,
            row: list[str] | None = None) -> None:
        """Field ``name`` per unit from ``sel`` (one row per unit, with a ``unit`` column)."""
        sel = sel.drop_duplicates("unit")
        vals = values if values is not None else sel.set_index("unit")[column]
        rowkeys = row if row is not None else self._keys(sel, keys)
        minus_keys = [""] * len(sel)
        if minus is not None:
            minus = minus.drop_duplicates("unit").set_index("unit").reindex(sel["unit"]).reset_index()
            vals = vals - minus.set_index("unit")[column]
            minus_keys = self._keys(minus, keys)
            op = "difference"
        vals = vals.reindex(sel["unit"])
        self.cols[name] = vals
        self.rows.append(pd.DataFrame({"unit": sel["unit"].to_numpy(), "field": name, "value": vals.to_numpy(),
                                       "table": table, "column": column, "row": rowkeys, "op": op,
                                       "minus_row": minus_keys}).dropna(subset=["value"]))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(index=pd.Index(self.units, name="unit"))
        for k, s in self.cols.items():
            out[k] = s.reindex(self.units).to_numpy()
        return out

    def sources(self) -> pd.DataFrame:
        cols = ["unit", "field", "value", "table", "column", "row", "op", "minus_row"]
        if not self.rows:
            return pd.DataFrame(columns=cols)
        out = pd.concat(self.rows, ignore_index=True)
        order = {u: i for i, u in enumerate(self.units)}
        out["value"] = out["value"].astype(object)
        return out.sort_values("unit", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)[cols]


def main_index(run: StudyRun) -> str:
    """The study's main NQPF index: the first ``[[index]]`` with role ``nqpf`` (else the first index)."""
    for ix in run.spec.index:
        if ix.role == "nqpf" and ix.name in run.results:
            return ix.name
    return next(iter(run.results))


def _record(run: StudyRun, name: str, main: str) -> Any:
    """The run's analysis ``name`` on the main index (else on another NQPF-role index), or None."""
    nqpf = {ix.name for ix in run.spec.index if ix.role == "nqpf"}
    recs = [r for r in run.records.values() if r.spec.name == name]
    return next((r for r in recs if main in r.indices), None) or next(
        (r for r in recs if nqpf & set(r.indices)), None)


def _table(rec: Any, run: StudyRun, want: str) -> tuple[str, pd.DataFrame] | None:
    """The record's table whose name ends with ``want`` ("" = its main table: the shortest name)."""
    names = [n for n in rec.tables if n in run.tables]
    if not names:
        return None
    if want == "":
        n = min(names, key=len)
        return n, run.tables[n]
    n = next((n for n in names if n.endswith(want) or f"_{want}_" in n), None)
    return None if n is None else (n, run.tables[n])


def _last(df: pd.DataFrame, year_col: str = "year") -> pd.DataFrame:
    """Each unit's row of its latest year with data."""
    return df.sort_values(year_col, kind="stable").drop_duplicates("unit", keep="last")


def build_briefs(run: StudyRun) -> Briefs:
    """The briefs of a run (see the module docstring)."""
    ix = main_index(run)
    res = run.results[ix]
    scores_name = f"{ix}_scores"  # as nqpf.output.run_tables names it
    sc = res.scores[["unit", "year", "score", "rank"]]
    years = res.years
    last, first = years[-1], years[0]
    cur = sc[(sc["year"] == last) & sc["score"].notna()].sort_values(["rank", "unit"], kind="stable")
    units = list(cur["unit"])
    c = _Collector(units)
    notes: list[str] = []
    absent = [u for u in res.units if u not in set(units)]
    if absent:  # a brief starts from the unit's level: units without a score in the last year have none
        notes.append("absent")
    c.add("year", scores_name, cur, "year", ["unit", "year"])
    c.add("score", scores_name, cur, "score", ["unit", "year"])
    c.add("rank", scores_name, cur, "rank", ["unit", "year"])
    c.add("n_units", scores_name, cur, "rank", ["unit", "year"], op="count",
          values=pd.Series(len(cur), index=cur["unit"]), row=[f"year={last}"] * len(cur))
    if len(years) > 1:
        c.add("first_year", scores_name, sc[sc["year"] == first], "year", ["unit", "year"])
        c.add("change_span", scores_name, cur, "score", ["unit", "year"], minus=sc[sc["year"] == first])
        c.add("change_last", scores_name, cur, "score", ["unit", "year"], minus=sc[sc["year"] == years[-2]])
    lag_names: dict[str, tuple[str, str]] = {}

    rec = _record(run, "obstacle", ix)
    if rec is None:
        notes.append("obstacle")
    else:
        for kind, prefix, zh, en in LAG_KINDS:
            got = _table(rec, run, f"lag_{kind}")
            if got is None:
                continue
            name, lag = got
            lag_names[prefix] = (zh, en)
            top = lag[(lag["rank"] == 1) & lag["obstacle_to_weight"].notna()]
            top = _last(top[top["year"] <= last])
            keys = ["unit", "year", "group"]
            c.add(f"{prefix}_year", name, top, "year", keys)
            c.add(prefix, name, top, "group", keys)
            c.add(f"{prefix}_zh", name, top, "name_zh", keys)
            c.add(f"{prefix}_en", name, top, "name_en", keys)
            c.add(f"{prefix}_ratio", name, top, "obstacle_to_weight", keys)

    rec = _record(run, "leap", ix)
    if rec is None:
        notes.append("leap")
    else:
        name, lp = _table(rec, run, "")
        row = _last(lp)
        c.add("leap_year", name, row, "year", ["unit", "year"])
        c.add("quadrant", name, row, "quadrant", ["unit", "year"])
        c.add("leap_ratio", name, row, "ratio", ["unit", "year"])
        c.add("leap_class", name, row, "cls", ["unit", "year"])
        paths = lp.sort_values("year", kind="stable").groupby("unit", sort=False)["quadrant"].agg(
            lambda q: " → ".join(k for i, k in enumerate(q) if i == 0 or k != q.iloc[i - 1]))
        c.add("path", name, row, "quadrant", ["unit"], op="path", values=paths)
        dec = _table(rec, run, "decoupling")
        if dec is None:
            notes.append("decoupling")
        else:
            dname, d = dec
            pressure = d["pressure"].iloc[0]
            d = _last(d[d["pressure"] == pressure], "year1")
            keys = ["pressure", "unit", "year1"]
            c.add("decoupling_pressure", dname, d, "pressure", keys)
            c.add("decoupling_year0", dname, d, "year0", keys)
            c.add("decoupling_year1", dname, d, "year1", keys)
            c.add("decoupling_state", dname, d, "state", keys)
            c.add("decoupling_elasticity", dname, d, "elasticity", keys)

    rec = _record(run, "relations_fit", ix)
    if rec is None:
        notes.append("relations_fit")
    else:
        name, fit = _table(rec, run, "")
        fit = fit.dropna(subset=["ratio"])
        row = _last(fit)
        for f, col in (("fit_year", "year"), ("fit_class", "cls"), ("fit_ratio", "ratio"), ("fit_D", "D"),
                       ("fit_level_zh", "level_zh"), ("fit_level_en", "level_en")):
            c.add(f, name, row, col, ["unit", "year"])
        g = fit.groupby("unit", sort=False)["year"]
        c.add("fit_first_year", name, row, "year", ["unit"], op="min", values=g.min())

    rec = _record(run, "coupling", ix)
    if rec is None:
        notes.append("coupling")
    else:
        name, cp = _table(rec, run, "")
        row = _last(cp.dropna(subset=["D"]))
        for f, col in (("coupling_year", "year"), ("coupling_D", "D"), ("coupling_level", "level"),
                       ("coupling_level_zh", "level_zh"), ("coupling_level_en", "level_en")):
            c.add(f, name, row, col, ["unit", "year"])

    rec = _record(run, "uncertainty", ix)
    got = None if rec is None else _table(rec, run, "ranks")
    if got is None or "rank_low" not in got[1].columns:
        notes.append("uncertainty")
    else:
        name, rk = got
        row = rk[rk["year"] == last] if (rk["year"] == last).any() else _last(rk)
        for f, col in (("rank_year", "year"), ("rank_low", "rank_low"), ("rank_high", "rank_high"),
                       ("median_rank", "median_rank")):
            c.add(f, name, row, col, ["unit", "year"])
        tops = sorted(int(k[5:]) for k in rk.columns if k.startswith("p_top") and k[5:].isdigit())
        if tops:
            k = tops[-1]
            c.add("top_k", name, row, f"p_top{k}", ["unit", "year"], op="constant",
                  values=pd.Series(k, index=row["unit"]))
            c.add("p_top", name, row, f"p_top{k}", ["unit", "year"])
    fw = res.framework
    return Briefs(frame=c.frame(), sources=c.sources(), notes=notes, index=ix, years=years,
                  title=(fw.title_zh, fw.title_en), lag_names=lag_names, absent=absent)


def unit_briefs(run: StudyRun) -> pd.DataFrame:
    """One row per unit of the main NQPF index with the brief's fields (see :func:`build_briefs`)."""
    return build_briefs(run).frame


def brief_sources(run: StudyRun) -> pd.DataFrame:
    """Where every number of :func:`unit_briefs` comes from: unit, field, value, table, column, row, op,
    minus_row (the table is a ``tables/<name>.csv`` of the run's output)."""
    return build_briefs(run).sources


# -- sentences ---------------------------------------------------------------------------------
def _ok(v: Any) -> bool:
    if v is None:
        return False
    try:
        return not pd.isna(v)
    except (TypeError, ValueError):
        return True


def _signed(x: float, digits: int = 3) -> str:
    return ("+" if x >= 0 else "") + num(x, digits)


def _label(table: dict[str, tuple[str, str]], key: Any, lang: str) -> str:
    pair = table.get(str(key))
    return str(key) if pair is None else pair[0 if lang == "zh" else 1]


def brief_text(b: Briefs, unit: str, lang: str = "en") -> list[str]:
    """The sentences of one unit's brief, written from its numbers (zh or en)."""
    lang = check_lang(lang)
    r = b.row(unit)
    zh = lang == "zh"
    name = unit_name(unit, lang)
    g = r.get
    title = f"新质生产力指数（{b.index}）" if zh else f"NQPF index ({b.index})"
    out: list[str] = []
    y, n = int(g("year")), int(g("n_units"))
    if zh:
        s = f"{name}：{y} 年{title}得分 {num(g('score'), 3)}，在 {n} 个单元中居第 {int(g('rank'))} 位"
        if _ok(g("rank_low")):
            s += (f"（蒙特卡洛排名区间 {int(g('rank_low'))}–{int(g('rank_high'))}，"
                  f"进入前 {int(g('top_k'))} 位的抽样占比 {pct(g('p_top'), 0)}）")
        if _ok(g("change_span")):
            s += (f"；{int(g('first_year'))}–{y} 年变化 {_signed(g('change_span'))}，"
                  f"最近一年变化 {_signed(g('change_last'))}")
        out.append(s + "。")
    else:
        s = f"{name}: {title} score {num(g('score'), 3)} in {y}, rank {int(g('rank'))} of {n}"
        if _ok(g("rank_low")):
            s += (f" (Monte Carlo rank interval {int(g('rank_low'))}–{int(g('rank_high'))}, "
                  f"top {int(g('top_k'))} in {pct(g('p_top'), 0)} of the draws)")
        if _ok(g("change_span")):
            s += (f"; change {_signed(g('change_span'))} over {int(g('first_year'))}–{y}, "
                  f"{_signed(g('change_last'))} in the last year")
        out.append(s + ".")
    lags = []
    for prefix, (kzh, ken) in b.lag_names.items():
        if _ok(g(prefix)):
            what = g(f"{prefix}_zh") if zh else g(f"{prefix}_en")
            ratio = num(g(f"{prefix}_ratio"), 2)
            lags.append(f"{kzh}为{what}（滞后比 {ratio}）" if zh else f"the {ken} {what} (lag ratio {ratio})")
    if lags:
        ly = int(g(f"{next(iter(b.lag_names))}_year"))
        out.append(f"{ly} 年滞后最多的" + "，".join(lags) + "。" if zh
                   else f"Lagging most in {ly}: " + "; ".join(lags) + ".")
    if _ok(g("quadrant")):
        q = _label(QUADRANTS, g("quadrant"), lang)
        path = " → ".join(_label(QUADRANTS, k, lang) for k in str(g("path")).split(" → "))
        cls = _label(LEAP_CLASSES, g("leap_class"), lang)
        ly = int(g("leap_year"))
        out.append(f"{ly} 年转型象限为{q}，新质与传统生产力相对发展度 {num(g('leap_ratio'), 2)}（{cls}）；"
                   f"路径：{path}。" if zh else
                   f"Transition quadrant in {ly}: {q}; relative development of new to traditional productive "
                   f"forces {num(g('leap_ratio'), 2)} ({cls}); path: {path}.")
    if _ok(g("decoupling_state")):
        st = _label(TAPIO_STATES, g("decoupling_state"), lang)
        per = f"{int(g('decoupling_year0'))}–{int(g('decoupling_year1'))}"
        e = num(g("decoupling_elasticity"), 3)
        p = g("decoupling_pressure")
        out.append(f"{per} 年指数增长与 {p} 的脱钩状态：{st}（弹性 {e}）。" if zh else
                   f"Decoupling of the index from {p}, {per}: {st} (elasticity {e}).")
    if _ok(g("fit_class")):
        cls = _label(FIT_CLASSES, g("fit_class"), lang)
        span = f"{int(g('fit_first_year'))}–{int(g('fit_year'))}"
        lvl = g("fit_level_zh") if zh else g("fit_level_en")
        out.append(f"与生产关系的适配（数据覆盖 {span} 年）：{int(g('fit_year'))} 年为{cls}，相对发展度 "
                   f"{num(g('fit_ratio'), 2)}，耦合协调度 {num(g('fit_D'), 3)}（{lvl}）。" if zh else
                   f"Fit with production relations (data {span}): {cls} in {int(g('fit_year'))}, relative "
                   f"development {num(g('fit_ratio'), 2)}, coupling coordination D {num(g('fit_D'), 3)} ({lvl}).")
    if _ok(g("coupling_D")):
        lvl = g("coupling_level_zh") if zh else g("coupling_level_en")
        cy = int(g("coupling_year"))
        out.append(f"{cy} 年与高质量发展的耦合协调度 {num(g('coupling_D'), 3)}（{lvl}）。" if zh else
                   f"Coupling coordination with high-quality development in {cy}: D {num(g('coupling_D'), 3)} "
                   f"({lvl}).")
    missing = [k for k in ("quadrant", "fit_class", "coupling_D")
               if k in b.frame.columns and not _ok(g(k))]
    if missing:
        what = {"quadrant": ("转型象限", "transition quadrant"), "fit_class": ("生产关系适配", "fit"),
                "coupling_D": ("耦合协调", "coupling")}
        items = [what[k][0 if zh else 1] for k in missing]
        out.append(("本单元缺少以下数据：" + "、".join(items) + "。") if zh else
                   ("No data for this unit: " + ", ".join(items) + "."))
    return out


def is_number(v: Any) -> bool:
    """Whether a brief value is a number (not text)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


# -- the printable PDF ---------------------------------------------------------------------------
#: A4 portrait in inches.
A4 = (8.27, 11.69)

_PDF_WORDS: dict[str, tuple[str, str]] = {
    "title": ("单元简报", "Unit brief"),
    "trend": ("指数得分走势", "Index score over time"),
    "mean": ("样本均值", "sample mean"),
    "key": ("关键数字", "Key numbers"),
    "score": ("得分", "score"),
    "rank": ("排名", "rank"),
    "interval": ("蒙特卡洛排名区间", "Monte Carlo rank interval"),
    "source": ("数据来源：本次运行输出的 tables/ 中各表（逐项见 brief_sources.csv）",
               "Sources: the tables/ of this run's output (each number in brief_sources.csv)"),
}


def _pw(key: str, lang: str) -> str:
    return _PDF_WORDS[key][0 if lang == "zh" else 1]


def _wrap(text: str, lang: str, width: int) -> str:
    """Lines of at most ``width`` characters (Chinese by characters, English by words)."""
    import textwrap

    if lang == "zh":
        return "\n".join(text[i:i + width] for i in range(0, len(text), width))
    return textwrap.fill(text, width=int(width * 1.9))


def briefs_pdf(run: StudyRun, path: Any, lang: str = "en", briefs: Briefs | None = None) -> int:
    """Write ``briefs.pdf``: one A4 page per unit (trend chart, key numbers, the sentences); returns the
    number of pages. Drawn offline with matplotlib and the CJK font of :func:`nqpf.viz.style.cjk_font`
    (Chinese text needs one: without it the PDF is written in English)."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from nqpf.viz.style import cjk_font, paper_style

    lang = check_lang(lang)
    b = briefs if briefs is not None else build_briefs(run)
    font = cjk_font()
    if lang == "zh" and font is None:
        lang = "en"
    sc = run.results[b.index].scores
    mat = sc.pivot(index="unit", columns="year", values="score")
    mean = mat.mean(axis=0)
    pages = 0
    meta = {"Title": _pw("title", lang), "Creator": "nqpf"}
    with paper_style(font), mpl.rc_context({"savefig.bbox": "standard"}), PdfPages(str(path), metadata=meta) as pdf:
        fig = Figure(figsize=A4)
        for unit in b.frame.index:
            fig.clear()
            _page(fig, b, unit, lang, mat, mean)
            pdf.savefig(fig)
            pages += 1
    return pages


def _page(fig: Any, b: Briefs, unit: str, lang: str, mat: pd.DataFrame, mean: pd.Series) -> None:
    """Draw one unit's brief on the (cleared) A4 figure."""
    from nqpf.viz.style import OKABE_ITO

    years = [int(y) for y in mat.columns]
    r = b.row(unit)
    name = unit_name(unit, lang)
    fig.text(0.07, 0.955, f"{name} · {_pw('title', lang)}", fontsize=17, weight="bold")
    fig.text(0.07, 0.932, (f"新质生产力指数（{b.index}），{years[0]}–{years[-1]} 年" if lang == "zh"
                           else f"NQPF index ({b.index}), {years[0]}–{years[-1]}"), fontsize=9,
             color="#555555")
    ax = fig.add_axes((0.1, 0.66, 0.55, 0.23))
    ax.plot(years, mat.loc[unit].to_numpy(dtype=float), marker="o", color=OKABE_ITO[4], label=name)
    ax.plot(years, mean.to_numpy(dtype=float), ls="--", color="#888888", label=_pw("mean", lang))
    ax.set_title(_pw("trend", lang))
    ax.legend(loc="best")
    ax.set_xticks(years)
    ax.tick_params(axis="x", labelrotation=45)
    key = [f"{_pw('score', lang)} {int(r['year'])}: {num(r['score'], 3)}",
           f"{_pw('rank', lang)}: {int(r['rank'])} / {int(r['n_units'])}"]
    if _ok(r.get("rank_low")):
        key.append(f"{_pw('interval', lang)}: {int(r['rank_low'])}–{int(r['rank_high'])}")
    if _ok(r.get("change_span")):
        key.append(f"Δ {int(r['first_year'])}–{int(r['year'])}: {_signed(r['change_span'])}")
    for prefix, (kzh, ken) in b.lag_names.items():
        if _ok(r.get(prefix)):
            key.append(f"{kzh if lang == 'zh' else ken}: {num(r[f'{prefix}_ratio'], 2)}")
    if _ok(r.get("coupling_D")):
        key.append(f"D (HQD) {int(r['coupling_year'])}: {num(r['coupling_D'], 3)}")
    fig.text(0.70, 0.89, _pw("key", lang), fontsize=11, weight="bold", va="top")
    fig.text(0.70, 0.865, "\n".join(_wrap(k, lang, 24) for k in key), fontsize=8.5, va="top",
             linespacing=1.6)
    body = "\n\n".join(_wrap(s, lang, 44) for s in brief_text(b, unit, lang))
    notes = b.note_lines(lang)
    if notes:
        body += "\n\n" + "\n".join(_wrap("· " + n, lang, 48) for n in notes)
    fig.text(0.07, 0.60, body, fontsize=10.5 if lang == "zh" else 10, va="top", linespacing=1.55)
    fig.text(0.07, 0.03, _pw("source", lang), fontsize=7.5, color="#777777")
