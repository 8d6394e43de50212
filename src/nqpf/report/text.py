"""Generated sentences (自动生成的文字) for the report: what each figure shows, with its numbers, in zh or en.

Each function takes a result (or a run) and ``lang`` and returns a list of sentences (plain text; the HTML
writer escapes them). Nothing here is boilerplate: every sentence carries numbers read off the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.core.i18n import join, num, pct, t
from nqpf.core.units import REGION_ORDER, region_label, unit_name

if TYPE_CHECKING:
    from nqpf.result import IndexResult
    from nqpf.study import StudyRun


# ---------------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------------
def _units(units: Sequence[Any], lang: str) -> list[str]:
    return [unit_name(u, lang) for u in units]


def growth(a: float, b: float) -> float:
    """Relative change b / a − 1 (NaN when a is 0)."""
    return b / a - 1.0 if a else float("nan")


def annual_rate(a: float, b: float, years: int) -> float:
    """Average annual growth rate between a and b over ``years`` years."""
    if a <= 0 or b <= 0 or years <= 0:
        return float("nan")
    return (b / a) ** (1.0 / years) - 1.0


# ---------------------------------------------------------------------------------------------
# overview
# ---------------------------------------------------------------------------------------------
def data_text(run: StudyRun, lang: str) -> list[str]:
    """What data the study used: panel, units, years, indices and indicators."""
    p = run.panel
    out = []
    n_cols = len(p.indicators)
    if lang == "zh":
        out.append(f"数据为{p.name}:{len(p.units)} 个单位、{p.years[0]}–{p.years[-1]} 年、{n_cols} 个原始变量。")
    else:
        out.append(f"The data are {p.name}: {len(p.units)} units, {p.years[0]}–{p.years[-1]}, {n_cols} raw variables.")
    for name, res in run.results.items():
        fw = res.framework
        title = fw.title_zh if lang == "zh" else fw.title_en
        y = res.years
        if lang == "zh":
            out.append(f"指数“{name}”({title})用 {len(fw.dimensions)} 个一级维度、{res.values.shape[1]} 个指标,"
                       f"测度 {len(res.units)} 个单位在 {y[0]}–{y[-1]} 年({len(y)} 年)的得分。")
        else:
            out.append(f"Index '{name}' ({title}) measures {len(res.units)} units over {y[0]}–{y[-1]} ({len(y)} years) "
                       f"with {res.values.shape[1]} indicators in {len(fw.dimensions)} dimensions.")
    return out


def framework_text(res: IndexResult, lang: str) -> list[str]:
    """The tree and where the weight sits: the heaviest dimension and indicators."""
    fw = res.framework
    dw = res.dimension_weights.sort_values(ascending=False)
    iw = res.indicator_weights.sort_values(ascending=False)
    top = iw.head(3)
    n_neg = int((fw.indicator_table()["direction"] == "negative").sum())
    wname = res.settings.get("weighting", "")
    if lang == "zh":
        dims = "、".join(f"{fw.label(d, 'zh')}({pct(w)})" for d, w in dw.items())
        inds = "、".join(f"{fw.label(i, 'zh')}({pct(w)})" for i, w in top.items())
        s = [f"一级维度及权重({wname}):{dims}。", f"权重最大的指标为{inds},合计占 {pct(top.sum())}。"]
        if n_neg:
            s.append(f"其中 {n_neg} 个为负向指标(数值越小越好)。")
    else:
        dims = ", ".join(f"{fw.label(d, 'en')} ({pct(w)})" for d, w in dw.items())
        inds = join([f"{fw.label(i, 'en')} ({pct(w)})" for i, w in top.items()], lang)
        s = [f"Dimensions and their weights ({wname}): {dims}.",
             f"The heaviest indicators are {inds}, together {pct(top.sum())} of the weight."]
        if n_neg:
            s.append(f"{n_neg} indicator(s) are negative (lower is better).")
    return s


_SCOPE = {
    "pooled": ("归一化的上下限取自全部单位和年份(全局/面板合并),因此不同年份的得分可以直接比较,趋势图反映真实变化。",
               "Normalisation bounds are taken over all units and years (pooled), so scores compare across years and "
               "the trend lines show real change."),
    "per_year": ("归一化的上下限逐年计算,得分只在同一年内可比;跨年比较请看排名,而非得分水平。",
                 "Normalisation bounds are computed year by year, so scores compare only within a year; compare ranks, "
                 "not score levels, across years."),
}
_WEIGHT = {
    "global_entropy": ("权重由全局熵值法在合并面板上一次算出,各年相同。",
                       "Weights come from the global entropy method on the pooled panel: one set for all years."),
    "entropy": ("权重由熵值法逐年计算,各年权重不同,得分跨年比较需谨慎。",
                "Entropy weights are computed per year; the weights differ between years, so compare levels "
                "with care."),
    "critic": ("权重由 CRITIC 法(对比强度与冲突性)确定。", "Weights come from CRITIC (contrast and conflict)."),
    "cv": ("权重由变异系数法确定。", "Weights come from the coefficient of variation."),
    "equal": ("各指标等权。", "All indicators weigh the same."),
    "ahp": ("权重由层次分析法(AHP)判断矩阵给出。", "Weights come from the AHP pairwise matrices of the framework."),
    "combined": ("权重为主观(AHP)与客观权重的组合。", "Weights combine subjective (AHP) and objective weights."),
}
_AGG = {
    "weighted_sum": ("综合得分为标准化指标的加权和。", "The score is the weighted sum of the normalised indicators."),
    "topsis": ("综合得分为 TOPSIS 相对贴近度。", "The score is the TOPSIS relative closeness."),
    "gra": ("综合得分为灰色关联度。", "The score is the grey relational grade."),
}


def method_text(res: IndexResult, lang: str) -> list[str]:
    """Method choices and what follows from them (comparability, weights)."""
    s = res.settings
    k = 0 if lang == "zh" else 1
    out = []
    norm = s.get("normalization", "minmax")
    if lang == "zh":
        out.append(f"标准化方法:{norm};范围:{s.get('scope', 'pooled')}。")
    else:
        out.append(f"Normalisation: {norm}; scope: {s.get('scope', 'pooled')}.")
    if s.get("scope") in _SCOPE:
        out.append(_SCOPE[s["scope"]][k])
    if s.get("weighting") in _WEIGHT:
        out.append(_WEIGHT[s["weighting"]][k])
    if s.get("aggregation") in _AGG:
        out.append(_AGG[s["aggregation"]][k])
    shift = s.get("shift")
    if shift:
        out.append(f"标准化值整体平移 {shift:g},以避免熵值计算中的 ln 0。" if lang == "zh"
                   else f"Normalised values are shifted by {shift:g} to keep the entropy logarithms finite.")
    return out


def cells_text(cells: pd.DataFrame, lang: str) -> list[str]:
    """How many cells were imputed, dropped or clipped, and where most of them are."""
    if cells is None or cells.empty:
        return [t("no_cells", lang)]
    counts = cells["action"].value_counts()
    parts = [f"{t(a, lang)} {int(n)}" for a, n in counts.items()]
    top = cells["column"].value_counts().head(3)
    units = cells["unit"].value_counts().head(3)
    if lang == "zh":
        return [f"共处理 {len(cells)} 个单元格:{'、'.join(parts)}。",
                f"涉及最多的变量:{'、'.join(f'{c}({n})' for c, n in top.items())};"
                f"涉及最多的地区:{'、'.join(f'{unit_name(u, lang)}({n})' for u, n in units.items())}。"]
    return [f"{len(cells)} cells were changed: {', '.join(parts)}.",
            "Most affected variables: " + ", ".join(f"{c} ({n})" for c, n in top.items())
            + "; most affected units: " + ", ".join(f"{unit_name(u, lang)} ({n})" for u, n in units.items()) + "."]


# ---------------------------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------------------------
def map_text(res: IndexResult, lang: str, year: int | None = None) -> list[str]:
    """The leaders and laggards of a year, the mean and the spread between the top and the bottom."""
    y = res.years[-1] if year is None else int(year)
    s = res.year_scores(y).sort_values(ascending=False)
    top, bottom = s.head(3), s.tail(3)
    ratio = s.iloc[0] / s.iloc[-1] if s.iloc[-1] > 0 else float("nan")
    above = int((s > s.mean()).sum())
    if lang == "zh":
        return [
            f"{y} 年得分最高的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in top.items())},"
            f"最低的是{'、'.join(f'{unit_name(u, lang)}({num(v)})' for u, v in bottom.items())}。",
            f"全国均值 {num(s.mean())},中位数 {num(s.median())};{above} 个地区高于均值;"
            f"最高值是最低值的 {num(ratio, 1)} 倍。",
        ]
    return [
        f"In {y} the highest scores are {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in top.items()], lang)}; "
        f"the lowest {join([f'{unit_name(u, lang)} ({num(v)})' for u, v in bottom.items()], lang)}.",
        f"The mean is {num(s.mean())} and the median {num(s.median())}; {above} of {len(s)} units are above the mean; "
        f"the highest score is {num(ratio, 1)} times the lowest.",
    ]


def ranking_text(table: pd.DataFrame, lang: str) -> list[str]:
    """The biggest climbers and fallers in the ranking since the first year."""
    ch = pd.to_numeric(table["rank_change"], errors="coerce").dropna()
    if ch.empty or (ch == 0).all():
        return []
    up = table.loc[ch.sort_values(ascending=False).index[:2]]
    down = table.loc[ch.sort_values().index[:2]]
    up = up[up["rank_change"] > 0]
    down = down[down["rank_change"] < 0]
    out = []
    if lang == "zh":
        if len(up):
            out.append("排名上升最多:" + "、".join(
                f"{unit_name(r.unit, lang)}(上升 {int(r.rank_change)} 位)" for r in up.itertuples()) + "。")
        if len(down):
            out.append("排名下降最多:" + "、".join(
                f"{unit_name(r.unit, lang)}(下降 {-int(r.rank_change)} 位)" for r in down.itertuples()) + "。")
    else:
        if len(up):
            out.append("Largest climbs in rank since the first year: " + join(
                [f"{unit_name(r.unit, lang)} (+{int(r.rank_change)})" for r in up.itertuples()], lang) + ".")
        if len(down):
            out.append("Largest falls: " + join(
                [f"{unit_name(r.unit, lang)} ({int(r.rank_change)})" for r in down.itertuples()], lang) + ".")
    return out


def trend_text(means: pd.DataFrame, lang: str) -> list[str]:
    """National mean from the first to the last year, its growth, and the regional gap."""
    y0, y1 = int(means.index[0]), int(means.index[-1])
    nat = means["national"]
    g = growth(nat.iloc[0], nat.iloc[-1])
    r = annual_rate(nat.iloc[0], nat.iloc[-1], y1 - y0)
    out = []
    if lang == "zh":
        out.append(f"全国均值由 {y0} 年的 {num(nat.iloc[0])} 变为 {y1} 年的 {num(nat.iloc[-1])},"
                   f"累计变化 {pct(g)},年均 {pct(r, 2)}。")
    else:
        out.append(f"The national mean went from {num(nat.iloc[0])} in {y0} to {num(nat.iloc[-1])} in {y1}, "
                   f"a change of {pct(g)} ({pct(r, 2)} a year).")
    regions = [c for c in REGION_ORDER if c in means.columns]
    if len(regions) >= 2:
        last = means.loc[y1, regions].sort_values(ascending=False)
        first = means.loc[y0, regions]
        hi, lo = last.index[0], last.index[-1]
        gap1 = last[hi] / last[lo] if last[lo] > 0 else float("nan")
        gap0 = first[hi] / first[lo] if first[lo] > 0 else float("nan")
        fastest = (means.loc[y1, regions] / means.loc[y0, regions]).idxmax()
        if lang == "zh":
            out.append(f"{y1} 年区域均值:" + "、".join(f"{region_label(k, lang)} {num(v)}" for k, v in last.items())
                       + f"。{region_label(hi, lang)}是{region_label(lo, lang)}的 {num(gap1, 2)} 倍({y0} 年为 "
                       f"{num(gap0, 2)} 倍);增长最快的是{region_label(fastest, lang)}。")
        else:
            out.append(f"Regional means in {y1}: " + ", ".join(f"{region_label(k, lang)} {num(v)}"
                                                               for k, v in last.items())
                       + f". {region_label(hi, lang)} is {num(gap1, 2)} times {region_label(lo, lang)} "
                       f"({num(gap0, 2)} in {y0}); {region_label(fastest, lang)} grew fastest.")
    return out


def group_text(matrix: pd.DataFrame, labels: dict[str, str], shares: pd.Series | None, year: int,
               lang: str) -> list[str]:
    """Per group the mean sub-index and its leader; the most unequal group; contribution shares."""
    means = matrix.mean()
    cv = matrix.std(ddof=0) / matrix.mean().replace(0, np.nan)
    leaders = matrix.idxmax()
    out = []
    if lang == "zh":
        out.append(f"{year} 年各分项均值:" + "、".join(
            f"{labels[k]} {num(means[k])}(最高:{unit_name(leaders[k], lang)})" for k in matrix.columns) + "。")
        if cv.notna().any():
            out.append(f"地区差异最大的分项是{labels[cv.idxmax()]}(变异系数 {num(cv.max(), 2)}),"
                       f"最小的是{labels[cv.idxmin()]}({num(cv.min(), 2)})。")
        if shares is not None:
            out.append("对综合得分的贡献:" + "、".join(f"{labels.get(k, k)} {pct(v)}" for k, v in shares.items())
                       + "。")
    else:
        out.append(f"Mean sub-index in {year}: " + "; ".join(
            f"{labels[k]} {num(means[k])} (highest: {unit_name(leaders[k], lang)})" for k in matrix.columns) + ".")
        if cv.notna().any():
            out.append(f"Provinces differ most in {labels[cv.idxmax()]} (coefficient of variation {num(cv.max(), 2)}) "
                       f"and least in {labels[cv.idxmin()]} ({num(cv.min(), 2)}).")
        if shares is not None:
            out.append("Contributions to the weighted score: " + ", ".join(
                f"{labels.get(k, k)} {pct(v)}" for k, v in shares.items()) + ".")
    return out


# ---------------------------------------------------------------------------------------------
# disparity and dynamics
# ---------------------------------------------------------------------------------------------
def dagum_text(d: Any, lang: str) -> list[str]:
    """G from the first to the last year; the average shares of Gw, Gnb, Gt; the widest pair of regions."""
    df = d.to_frame().set_index("year")
    y0, y1 = int(df.index[0]), int(df.index[-1])
    shares = df[["share:Gw", "share:Gnb", "share:Gt"]].mean()
    main = shares.idxmax()[6:]
    bcols = [c for c in df.columns if c.startswith("Gjh:")]
    wcols = [c for c in df.columns if c.startswith("Gjj:")]
    out = []

    def pair(c: str) -> str:
        a, b = c[4:].split("-", 1)
        return f"{region_label(a, lang)}–{region_label(b, lang)}"

    if lang == "zh":
        trend = "下降" if df["G"].iloc[-1] < df["G"].iloc[0] else "上升"
        out.append(f"总体基尼系数由 {y0} 年的 {num(df['G'].iloc[0])} {trend}至 {y1} 年的 {num(df['G'].iloc[-1])}。")
        out.append(f"平均贡献率:区域内差异 {pct(shares['share:Gw'])}、区域间净差异 {pct(shares['share:Gnb'])}、"
                   f"超变密度 {pct(shares['share:Gt'])};差异的主要来源是{t(main, lang)}。")
        if bcols:
            b = df[bcols].mean()
            out.append(f"区域间差异最大的是{pair(b.idxmax())}(平均 {num(b.max())}),最小的是{pair(b.idxmin())}"
                       f"(平均 {num(b.min())})。")
        if wcols:
            w = df[wcols].mean()
            out.append(f"区域内差异最大的是{region_label(w.idxmax()[4:], lang)}({num(w.max())})。")
    else:
        trend = "fell" if df["G"].iloc[-1] < df["G"].iloc[0] else "rose"
        out.append(f"The overall Gini ratio {trend} from {num(df['G'].iloc[0])} in {y0} to {num(df['G'].iloc[-1])} "
                   f"in {y1}.")
        out.append(f"On average the within-region part contributes {pct(shares['share:Gw'])}, the net between-region "
                   f"part {pct(shares['share:Gnb'])} and transvariation {pct(shares['share:Gt'])}: the main source of "
                   f"disparity is {t(main, lang).lower()}.")
        if bcols:
            b = df[bcols].mean()
            out.append(f"The widest gap between regions is {pair(b.idxmax())} (mean Gjh {num(b.max())}); the narrowest "
                       f"{pair(b.idxmin())} ({num(b.min())}).")
        if wcols:
            w = df[wcols].mean()
            out.append(f"Inequality within a region is highest in the {region_label(w.idxmax()[4:], lang)} "
                       f"(mean Gjj {num(w.max())}).")
    return out


def kernel_text(k: Any, lang: str) -> list[str]:
    """How the distribution moved: location, peak height, spread, number of peaks, right tail."""
    s = k.stats.set_index("year")
    y0, y1 = int(s.index[0]), int(s.index[-1])
    a, b = s.loc[y0], s.loc[y1]
    multi = [int(y) for y in s.index if s.loc[y, "n_peaks"] > 1]
    if lang == "zh":
        out = [f"{y0}–{y1} 年分布主峰位置由 {num(a['mode'])} 移至 {num(b['mode'])},均值由 {num(a['mean'])} 变为 "
               f"{num(b['mean'])};峰高由 {num(a['peak_height'], 2)} 变为 {num(b['peak_height'], 2)},"
               f"标准差由 {num(a['std'])} {'扩大' if b['std'] > a['std'] else '缩小'}至 {num(b['std'])}。",
               ("出现多峰(极化)的年份:" + "、".join(map(str, multi)) + "。") if multi else "各年均为单峰,无明显极化。",
               f"偏度由 {num(a['skewness'], 2)} 变为 {num(b['skewness'], 2)},"
               f"右拖尾{'延长' if b['tail_mass'] > a['tail_mass'] else '收缩'}。"]
    else:
        out = [f"From {y0} to {y1} the main peak moved from {num(a['mode'])} to {num(b['mode'])} and the mean from "
               f"{num(a['mean'])} to {num(b['mean'])}; the peak height went from {num(a['peak_height'], 2)} to "
               f"{num(b['peak_height'], 2)} and the standard deviation "
               f"{'widened' if b['std'] > a['std'] else 'narrowed'}"
               f" from {num(a['std'])} to {num(b['std'])}.",
               ("More than one peak (polarisation) in " + join([str(y) for y in multi], lang) + ".") if multi
               else "One peak in every year: no polarisation.",
               f"Skewness {num(a['skewness'], 2)} → {num(b['skewness'], 2)}; the right tail "
               f"{'lengthened' if b['tail_mass'] > a['tail_mass'] else 'shortened'}."]
    return out


def markov_text(m: Any, lang: str) -> list[str]:
    """Persistence on the diagonal, the chance of moving up, and the steady state against the last year."""
    p = m.p.to_numpy(dtype=float)
    counts = m.transitions.to_numpy(dtype=float)
    k = p.shape[0]
    diag = np.diag(p)
    tot = counts.sum()
    up = counts[np.triu_indices(k, 1)].sum() / tot if tot else float("nan")
    down = counts[np.tril_indices(k, -1)].sum() / tot if tot else float("nan")
    stay = float(np.trace(counts) / tot) if tot else float("nan")
    classes = list(m.classes)
    ss = np.asarray(m.steady_state, dtype=float)
    if lang == "zh":
        out = [f"对角线上的留存概率为 {num(diag.min(), 3)}–{num(diag.max(), 3)}:{pct(stay)} 的年度转移保持原类型,"
               f"{pct(up)} 向上跃迁,{pct(down)} 向下。"]
        if ss.ndim == 1:
            out.append("稳态分布:" + "、".join(f"{c} {pct(v)}" for c, v in zip(classes, ss, strict=True))
                       + ";末年实际:" + "、".join(f"{c} {pct(v)}" for c, v in m.final.items()) + "。")
    else:
        out = [f"Persistence on the diagonal ranges from {num(diag.min(), 3)} to {num(diag.max(), 3)}: "
               f"{pct(stay)} of the "
               f"yearly transitions stay in their class, {pct(up)} move up and {pct(down)} move down."]
        if ss.ndim == 1:
            out.append("Steady state: " + ", ".join(f"{c} {pct(v)}" for c, v in zip(classes, ss, strict=True))
                       + "; observed in the last year: " + ", ".join(f"{c} {pct(v)}" for c, v in m.final.items())
                       + ".")
    return out


def spatial_markov_text(sm: Any, lang: str) -> list[str]:
    """The homogeneity test and the chance of moving up by the neighbours' class."""
    k = len(sm.classes)
    ups = []
    for i, lag in enumerate(sm.lag_classes):
        T = np.asarray(sm.T[i], dtype=float)
        tot = T.sum()
        if tot:
            ups.append((lag, T[np.triu_indices(k, 1)].sum() / tot, int(tot)))
    sig = min(sm.Q_p_value, sm.LR_p_value) < 0.05
    if lang == "zh":
        out = [f"空间同质性检验:Q = {num(sm.Q, 2)}(p = {num(sm.Q_p_value, 3)}),LR = {num(sm.LR, 2)}"
               f"(p = {num(sm.LR_p_value, 3)});"
               f"{'转移概率显著依赖邻域水平' if sig else '5% 水平下转移与邻域水平无显著关系'}。"]
        if ups:
            out.append("按邻域类型的向上跃迁比例:" + "、".join(f"{lag} {pct(u)}(n={n})" for lag, u, n in ups) + "。")
    else:
        out = [f"Spatial homogeneity: Q = {num(sm.Q, 2)} (p = {num(sm.Q_p_value, 3)}), LR = {num(sm.LR, 2)} "
               f"(p = {num(sm.LR_p_value, 3)}); "
               + ("transitions depend on the neighbours' class." if sig else
                  "no significant dependence on the neighbours' class at 5%.")]
        if ups:
            out.append("Share of upward moves by the neighbours' class: " + ", ".join(
                f"{lag} {pct(u)} (n = {n})" for lag, u, n in ups) + ".")
    return out


def moran_text(mo: Any, lang: str) -> list[str]:
    """Moran's I range, in how many years it is significant, first and last values."""
    I = np.asarray(mo.I, dtype=float)
    p = np.asarray(mo.p_norm, dtype=float)
    years = list(mo.years)
    nsig = int((p < 0.05).sum())
    if lang == "zh":
        return [f"全局莫兰指数由 {years[0]} 年的 {num(I[0])} 变为 {years[-1]} 年的 {num(I[-1])}"
                f"(范围 {num(I.min())}–{num(I.max())});{len(years)} 年中有 {nsig} 年在 5% 水平显著"
                f"{'为正,存在空间正相关(集聚)' if np.mean(I) > 0 else ''}。"]
    return [f"Global Moran's I went from {num(I[0])} in {years[0]} to {num(I[-1])} in {years[-1]} (range {num(I.min())}"
            f"–{num(I.max())}); it is significant at 5% in {nsig} of {len(years)} years"
            + (", i.e. positive spatial autocorrelation (clustering)." if np.mean(I) > 0 and nsig else ".")]


def lisa_text(li: Any, year: int, lang: str) -> list[str]:
    """Members of the significant clusters in a year."""
    tb = li.table[(li.table["year"] == int(year))]
    parts = []
    for lab in ("HH", "LL", "LH", "HL"):
        members = tb.loc[tb["cluster"] == lab, "unit"].tolist()
        if members:
            parts.append(f"{t(lab, lang)}: {join(_units(members, lang), lang)}")
    nsig = int(tb["significant"].sum())
    if lang == "zh":
        s = f"{year} 年 {len(tb)} 个地区中有 {nsig} 个局部集聚显著(α = {li.alpha})"
        return [s + (":" + ";".join(parts) + "。" if parts else "。")]
    s = f"In {year}, {nsig} of {len(tb)} units are in a significant local cluster (α = {li.alpha})"
    return [s + (": " + "; ".join(parts) + "." if parts else ".")]


def sigma_text(sig: Any, lang: str) -> list[str]:
    """The coefficient of variation from the first to the last year and its trend."""
    tb = sig.table
    y0, y1 = int(tb["year"].iloc[0]), int(tb["year"].iloc[-1])
    tr = sig.trend.loc["cv"]
    conv = tr["slope"] < 0 and tr["p"] < 0.05
    div = tr["slope"] > 0 and tr["p"] < 0.05
    if lang == "zh":
        verdict = "存在 σ 收敛" if conv else "呈 σ 发散" if div else "趋势不显著"
        return [f"变异系数由 {y0} 年的 {num(tb['cv'].iloc[0])} 变为 {y1} 年的 {num(tb['cv'].iloc[-1])},"
                f"线性趋势 {tr['slope']:+.5f}/年(p = {num(tr['p'], 3)}):{verdict}。"]
    verdict = "σ-convergence" if conv else "σ-divergence" if div else "no significant trend"
    return [f"The coefficient of variation went from {num(tb['cv'].iloc[0])} in {y0} to {num(tb['cv'].iloc[-1])} in "
            f"{y1}; linear trend {tr['slope']:+.5f} a year (p = {num(tr['p'], 3)}): {verdict}."]


# ---------------------------------------------------------------------------------------------
# high-quality development
# ---------------------------------------------------------------------------------------------
def coupling_text(c: Any, lang: str) -> list[str]:
    """Mean D by first and last year, the class distribution of the last year, leaders and laggards."""
    df = c.to_frame()
    out = []
    if "year" in df.columns:
        by = df.groupby("year")["D"].mean()
        y0, y1 = int(by.index[0]), int(by.index[-1])
        last = df[df["year"] == y1]
        lab = "level_zh" if lang == "zh" else "level_en"
        counts = last.groupby(["level", lab]).size().sort_index(ascending=False)
        top = last.sort_values("D", ascending=False)
        unit_col = "unit" if "unit" in last.columns else None
        if lang == "zh":
            out.append(f"{'、'.join(c.names)} 的耦合协调度 D 均值由 {y0} 年的 {num(by.iloc[0])} 变为 {y1} 年的 "
                       f"{num(by.iloc[-1])}。")
            out.append(f"{y1} 年等级分布:" + "、".join(f"{name} {n} 个" for (_, name), n in counts.items()) + "。")
            if unit_col:
                out.append(f"D 最高:{unit_name(top[unit_col].iloc[0], lang)}({num(top['D'].iloc[0])});最低:"
                           f"{unit_name(top[unit_col].iloc[-1], lang)}({num(top['D'].iloc[-1])})。")
        else:
            out.append(f"The mean coupling coordination degree D of {join(list(c.names), lang)} went from "
                       f"{num(by.iloc[0])} in {y0} to {num(by.iloc[-1])} in {y1}.")
            out.append(f"Classes in {y1}: " + ", ".join(f"{name} {n}" for (_, name), n in counts.items()) + ".")
            if unit_col:
                out.append(f"Highest D: {unit_name(top[unit_col].iloc[0], lang)} ({num(top['D'].iloc[0])}); lowest: "
                           f"{unit_name(top[unit_col].iloc[-1], lang)} ({num(top['D'].iloc[-1])}).")
    else:
        out.append(f"mean D {num(np.mean(c.D))}")
    return out


def obstacle_text(o: Any, kind: str, year: int, labels: dict[str, str], lang: str) -> list[str]:
    """The mean obstacle share of each group in a year and how many units each group holds back most."""
    g = o.groups[kind]
    sub = g[g["year"] == int(year)].set_index("unit").drop(columns="year")
    mean = sub.mean().sort_values(ascending=False)
    cand = [c for c in sub.columns if c not in ("untagged", "other")]
    main = sub[cand].idxmax(axis=1).value_counts() if cand else pd.Series(dtype=int)
    if lang == "zh":
        out = [f"{year} 年各{t(kind, lang)}的平均障碍度:" + "、".join(
            f"{labels.get(k, k)} {num(v, 1)}%" for k, v in mean.items()) + "。"]
        if len(main):
            out.append("作为首要障碍的地区数:"
                       + "、".join(f"{labels.get(k, k)} {n} 个" for k, n in main.items()) + "。")
    else:
        out = [f"Mean obstacle degree by {t(kind, lang).lower()} in {year}: " + ", ".join(
            f"{labels.get(k, k)} {num(v, 1)}%" for k, v in mean.items()) + "."]
        if len(main):
            out.append("Number of units for which each is the main obstacle: " + ", ".join(
                f"{labels.get(k, k)} {n}" for k, n in main.items()) + ".")
    return out


# ---------------------------------------------------------------------------------------------
# robustness
# ---------------------------------------------------------------------------------------------
def rank_interval_text(table: pd.DataFrame, lang: str) -> list[str]:
    """The widest and narrowest rank intervals (table: unit, median, lo, hi)."""
    width = (table["hi"] - table["lo"]).astype(float)
    wide = table.loc[width.sort_values(ascending=False).index[:3]]
    stable = int((width == 0).sum())
    if lang == "zh":
        return [f"排名区间平均宽度 {num(width.mean(), 1)} 位;区间最宽的是" + "、".join(
            f"{unit_name(r.unit, lang)}({int(r.lo)}–{int(r.hi)})" for r in wide.itertuples())
            + f";{stable} 个地区排名完全不变。"]
    return [f"Rank intervals are {num(width.mean(), 1)} places wide on average; the widest are " + join(
        [f"{unit_name(r.unit, lang)} ({int(r.lo)}–{int(r.hi)})" for r in wide.itertuples()], lang)
        + f"; {stable} units keep exactly the same rank."]


def correlation_text(corr: pd.DataFrame, lang: str) -> list[str]:
    """The lowest and the mean off-diagonal correlation between methods."""
    c = corr.to_numpy(dtype=float)
    n = c.shape[0]
    if n < 2:
        return []
    iu = np.triu_indices(n, 1)
    vals = c[iu]
    k = int(np.nanargmin(vals))
    a, b = corr.index[iu[0][k]], corr.columns[iu[1][k]]
    if lang == "zh":
        return [f"{n} 种方法得分的两两相关系数均值 {num(np.nanmean(vals), 3)},最低为 {a} 与 {b}({num(vals[k], 3)})。"]
    return [f"Across {n} methods the pairwise correlations average {num(np.nanmean(vals), 3)}; the lowest is {a} vs "
            f"{b} ({num(vals[k], 3)})."]
