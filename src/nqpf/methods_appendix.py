"""The methods section of a run (方法说明), ready to paste into a paper: ``methods.md`` in English or Chinese.

:func:`methods_markdown` describes what a :class:`~nqpf.study.runner.StudyRun` actually did — the data and years,
the framework tree with its weights, the normalisation, weighting and aggregation, every analysis that ran
with its settings, what was imputed or dropped, the software versions — and lists the references of exactly
those methods (from :mod:`nqpf.core.references`). A method that did not run is not named.
:func:`write_methods_md` writes it to a file; :func:`methods_html` renders the same text as an HTML
fragment for ``report.html``. :func:`methods_used` returns the method keys of a run (or of a run's
``provenance.json``), which :mod:`nqpf.cite` turns into citations.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nqpf.core.references import format_reference, get

__all__ = [
    "METHODS",
    "MethodInfo",
    "analysis_methods",
    "index_methods",
    "methods_html",
    "methods_markdown",
    "methods_used",
    "write_methods_md",
]

LANGS = ("en", "zh")


@dataclass(frozen=True)
class MethodInfo:
    """One method nqpf can run: its names, its references and the page of the methods reference."""

    key: str
    label_en: str
    label_zh: str
    refs: tuple[str, ...]
    page: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def _m(key: str, en: str, zh: str, refs: tuple[str, ...], page: str) -> MethodInfo:
    return MethodInfo(key, en, zh, refs, f"docs/methods/{page}.md")


#: Every method a run can use, by key; ``refs`` are keys of :data:`nqpf.core.references.REFERENCES`.
METHODS: dict[str, MethodInfo] = {m.key: m for m in [
    _m("minmax", "min–max normalisation", "极差标准化（min–max）", ("hwang1981",), "normalization"),
    _m("interval", "interval (moderate) indicator normalisation", "区间型（适度）指标标准化", ("guo2007",),
       "normalization"),
    _m("zscore", "z-score standardisation", "Z-score 标准化", ("jain2005",), "normalization"),
    _m("vector", "vector normalisation", "向量归一化", ("hwang1981",), "normalization"),
    _m("pooled", "pooled (time-comparable) normalisation", "全局（跨年可比）标准化", ("oecd2008",), "normalization"),
    _m("per_year", "per-year (cross-section) normalisation", "逐年（截面）标准化", ("oecd2008",), "normalization"),
    _m("global_entropy", "global entropy weight method", "全局熵值法", ("shannon1948", "zeleny1982"), "entropy"),
    _m("entropy", "entropy weight method (per year)", "熵值法（逐年）", ("shannon1948", "zeleny1982"), "entropy"),
    _m("critic", "CRITIC weighting", "CRITIC 赋权法", ("diakoulaki1995",), "critic"),
    _m("cv", "coefficient-of-variation weighting", "变异系数法", ("wang2010",), "cv"),
    _m("equal", "equal weights", "等权法", ("dawes1979",), "combined"),
    _m("ahp", "analytic hierarchy process (AHP)", "层次分析法（AHP）", ("saaty1977", "saaty1980"), "ahp"),
    _m("combined", "combined subjective–objective weights", "主客观组合赋权", (), "combined"),
    _m("combined_game", "game-theory combination of weights", "博弈论组合赋权", ("lai2015",), "combined"),
    _m("hierarchical", "hierarchical (level-by-level) weighting", "逐层赋权", (), "tree"),
    _m("weighted_sum", "linear weighted sum", "线性加权综合法", ("fishburn1967",), "weighted-sum"),
    _m("topsis", "TOPSIS", "TOPSIS（逼近理想解排序法）", ("hwang1981",), "topsis"),
    _m("gra", "grey relational analysis (GRA)", "灰色关联分析（GRA）", ("deng1982", "deng1989"), "gra"),
    _m("interpolation", "linear interpolation of missing values", "缺失值线性插值", (), "normalization"),
    _m("dagum_gini", "Dagum Gini coefficient and its decomposition", "Dagum 基尼系数及其分解", ("dagum1997",),
       "dagum-gini"),
    _m("kernel_density", "kernel density estimation", "核密度估计", ("rosenblatt1956", "parzen1962", "scott1992"),
       "kernel-density"),
    _m("markov", "Markov chain of class transitions", "传统马尔可夫链", ("quah1993",), "markov"),
    _m("spatial_markov", "spatial Markov chain", "空间马尔可夫链", ("rey2001", "bickenbach2003"), "markov"),
    _m("moran", "global Moran's I", "全局莫兰指数（Moran's I）", ("moran1950", "cliff1981", "rey2007"),
       "moran-lisa"),
    _m("lisa", "local Moran's I (LISA)", "局部莫兰指数（LISA）", ("anselin1995", "rey2007"), "moran-lisa"),
    _m("sigma_convergence", "σ-convergence", "σ收敛", ("barro1992",), "convergence"),
    _m("beta_convergence", "β-convergence", "β收敛", ("barro1992",), "convergence"),
    _m("coupling", "coupling coordination degree", "耦合协调度", ("liao1999", "wang2021"), "coupling"),
    _m("coupling_modified", "modified coupling degree", "修正的耦合度", ("wang2021",), "coupling"),
    _m("obstacle", "obstacle degree model", "障碍度模型", ("wang2023",), "obstacle"),
    _m("scenario", "scenario simulation", "情景模拟", ("oecd2008",), "scenario"),
    _m("panel_regression", "two-way fixed-effects panel regression", "双向固定效应面板回归",
       ("cameron2015",), "regression"),
    _m("rank_agreement", "rank agreement (Spearman's ρ, Kendall's τ-b)", "排名一致性（Spearman ρ、Kendall τ-b）",
       ("spearman1904", "kendall1938"), "uncertainty"),
    _m("uncertainty", "Monte Carlo weight uncertainty analysis", "权重不确定性蒙特卡洛模拟", ("saisana2005",),
       "uncertainty"),
    _m("method_sensitivity", "method sensitivity analysis", "方法敏感性分析", ("spearman1904", "kendall1938"),
       "uncertainty"),
    _m("leave_one_out", "leave-one-indicator-out analysis", "逐一剔除指标分析", ("saisana2005",), "uncertainty"),
    _m("bootstrap", "bootstrap confidence intervals", "自助法置信区间", ("efron1979",), "uncertainty"),
]}

#: Result classes of the analysis modules → method keys.
_CLASS_METHODS: dict[str, tuple[str, ...]] = {
    "DagumByYear": ("dagum_gini",), "DagumResult": ("dagum_gini",),
    "KernelDensityResult": ("kernel_density",),
    "MarkovResult": ("markov",), "SpatialMarkovResult": ("spatial_markov",),
    "MoranResult": ("moran",), "LisaResult": ("lisa",),
    "SigmaConvergenceResult": ("sigma_convergence",), "BetaConvergenceResult": ("beta_convergence",),
    "CouplingResult": ("coupling",), "ObstacleResult": ("obstacle",), "ScenarioResult": ("scenario",),
    "RegressionResult": ("panel_regression",), "RankAgreement": ("rank_agreement",),
}

_KNOWN = set(_CLASS_METHODS) | {"UncertaintyResult", "MonteCarloResult", "MethodSensitivity", "LeaveOneOutResult",
                                 "BootstrapResult"}

#: Study analysis names → method keys (used when only names are known, e.g. from provenance.json).
_NAME_METHODS: dict[str, tuple[str, ...]] = {
    "disparity": ("dagum_gini",), "dagum": ("dagum_gini",), "dagum_gini": ("dagum_gini",), "gini": ("dagum_gini",),
    "kernel_density": ("kernel_density",), "kde": ("kernel_density",), "density": ("kernel_density",),
    "dynamics": ("kernel_density", "markov"),
    "markov": ("markov",), "spatial_markov": ("spatial_markov",),
    "moran": ("moran",), "lisa": ("lisa",), "spatial": ("moran", "lisa"), "spatial_autocorrelation": ("moran", "lisa"),
    "convergence": ("sigma_convergence", "beta_convergence"), "sigma_convergence": ("sigma_convergence",),
    "beta_convergence": ("beta_convergence",), "sigma": ("sigma_convergence",), "beta": ("beta_convergence",),
    "coupling": ("coupling",), "coupling_coordination": ("coupling",),
    "obstacle": ("obstacle",), "obstacles": ("obstacle",), "obstacle_degree": ("obstacle",),
    "scenario": ("scenario",), "scenarios": ("scenario",),
    "regression": ("panel_regression",), "panel_regression": ("panel_regression",),
    "compare": ("rank_agreement",), "agreement": ("rank_agreement",), "rank_agreement": ("rank_agreement",),
    "uncertainty": ("uncertainty",), "sensitivity": ("uncertainty",),
}


def _T(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


# =============================================================================================
# which methods ran
# =============================================================================================
def index_methods(settings: Mapping[str, Any], framework: Any = None) -> list[str]:
    """Method keys of one measured index, from its resolved settings (``IndexResult.settings``)."""
    keys: list[str] = []
    norm = settings.get("normalization", "minmax")
    keys.append(norm)
    if norm == "minmax" and framework is not None and any(
            getattr(i, "direction", "") == "interval" for i in framework.indicators):
        keys.append("interval")
    keys.append("per_year" if settings.get("scope") == "per_year" else "pooled")
    weighting = settings.get("weighting", "global_entropy")
    if weighting == "combined":
        comb = settings.get("combined") or {}
        keys += ["ahp", comb.get("objective") or settings.get("objective", "global_entropy"), "combined"]
        if comb.get("how") == "game":
            keys.append("combined_game")
    else:
        keys.append(weighting)
    if settings.get("tree") == "hierarchical" and weighting not in ("ahp", "combined"):
        keys.append("hierarchical")
    keys.append(settings.get("aggregation", "weighted_sum"))
    return list(dict.fromkeys(keys))


def _walk_results(obj: Any) -> Iterable[Any]:
    if isinstance(obj, Mapping):
        for v in obj.values():
            yield from _walk_results(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _walk_results(v)
    else:
        yield obj


def analysis_methods(name: str, result: Any = None) -> list[str]:
    """Method keys of one analysis, from its result object(s) (by class) or else from its study name."""
    keys: list[str] = []
    if result is not None:
        objs = list(_walk_results(result))
        for obj in list(objs):  # bundles (e.g. σ- with β-convergence): look one level into their attributes
            if type(obj).__name__ not in _KNOWN and hasattr(obj, "__dict__"):
                objs += [v for v in vars(obj).values() if type(v).__name__ in _KNOWN]
        for obj in objs:
            cls = type(obj).__name__
            if cls in _CLASS_METHODS:
                keys.extend(_CLASS_METHODS[cls])
                if cls == "CouplingResult" and getattr(obj, "variant", "standard") == "modified":
                    keys.append("coupling_modified")
            elif cls == "UncertaintyResult":
                keys.append("uncertainty")
                for attr, key in (("methods", "method_sensitivity"), ("leave_one_out", "leave_one_out"),
                                  ("bootstrap", "bootstrap")):
                    if getattr(obj, attr, None) is not None:
                        keys.append(key)
            elif cls in ("MonteCarloResult",):
                keys.append("uncertainty")
            elif cls == "MethodSensitivity":
                keys.append("method_sensitivity")
            elif cls == "LeaveOneOutResult":
                keys.append("leave_one_out")
            elif cls == "BootstrapResult":
                keys.append("bootstrap")
    if not keys:
        keys.extend(_NAME_METHODS.get(name.lower(), ()))
    return list(dict.fromkeys(keys))


def _load_provenance(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    p = Path(source)
    if p.is_dir():
        p = p / "provenance.json"
    return json.loads(p.read_text(encoding="utf-8"))


def methods_used(run: Any) -> list[str]:
    """The method keys a run used, in order: per index (normalisation, weighting, aggregation), then analyses.

    ``run`` is a :class:`~nqpf.study.runner.StudyRun`, an :class:`~nqpf.result.IndexResult`, a run's
    ``provenance.json`` (path, output folder or loaded dict) or an iterable of method keys.
    """
    from nqpf.result import IndexResult
    from nqpf.study import StudyRun

    keys: list[str] = []
    if isinstance(run, StudyRun):
        for res in run.results.values():
            keys += index_methods(res.settings, res.framework)
            if _interpolated(res.provenance.cells):
                keys.append("interpolation")
        for name, res in run.analyses.items():
            keys += analysis_methods(name, res)
    elif isinstance(run, IndexResult):
        keys += index_methods(run.settings, run.framework)
        if _interpolated(run.provenance.cells):
            keys.append("interpolation")
    elif isinstance(run, (str, Path, Mapping)):
        prov = _load_provenance(run)
        settings = prov.get("settings", {})
        study = settings.get("study") or {}
        names = [ix["name"] for ix in study.get("index", [])] or [
            k for k, v in settings.items() if isinstance(v, Mapping) and "normalization" in v]
        for name in names:
            if name in settings:
                keys += index_methods(settings[name])
        if any(c.get("action") == "imputed" for c in prov.get("cells", [])):
            keys.append("interpolation")
        for k in settings:
            if k.startswith("analysis."):
                keys += analysis_methods(k.split(".", 1)[1])
    else:
        for k in run:
            if k not in METHODS:
                raise KeyError(f"unknown method key {k!r}; known: {sorted(METHODS)}")
            keys.append(k)
    return list(dict.fromkeys(keys))


def _interpolated(cells: Iterable[Mapping[str, Any]]) -> bool:
    return any(c.get("action") == "imputed" and "interpolation" in str(c.get("reason", "")) for c in cells)


def references_for(keys: Iterable[str]) -> list[str]:
    """Reference keys of these methods, in order of first use, without repeats."""
    out: list[str] = []
    for k in keys:
        for r in METHODS[k].refs if k in METHODS else ():
            if r not in out:
                out.append(r)
    return out


# =============================================================================================
# text blocks per method (as the code implements them)
# =============================================================================================
def _cite(keys: Iterable[str], lang: str) -> str:
    refs = [get(k).parenthetical(lang) for k in keys]
    if not refs:
        return ""
    return ("（" + "；".join(refs) + "）") if lang == "zh" else " (" + "; ".join(refs) + ")"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _index_text(name: str, res: Any, spec: Any, lang: str) -> list[str]:
    """Paragraphs on how one index was measured."""
    s = res.settings
    fw = res.framework
    out: list[str] = []
    norm = s.get("normalization", "minmax")
    scope = s.get("scope", "pooled")
    shift = float(s.get("shift", 1e-4))
    n_rows = len(res.values)
    pooled = scope == "pooled"
    if norm == "minmax":
        where = _T(lang, "over the pooled panel of all units and years, so that scores are comparable across "
                         "years", "取全部单元和年份的混合面板（全局）计算，使各年得分可比") if pooled else \
            _T(lang, "within each year separately (cross-section), so that scores rank units within a year but "
                     "are not comparable across years",
               "在每一年内分别计算（截面），因此得分只能在年内比较，不能跨年比较")
        out.append(_T(
            lang,
            f"Indicators were made dimensionless by min–max normalisation{_cite(METHODS['minmax'].refs, lang)}: "
            f"$z_{{ij}} = (x_{{ij}} - \\min_j)/(\\max_j - \\min_j) + s$ for positive indicators and "
            f"$z_{{ij}} = (\\max_j - x_{{ij}})/(\\max_j - \\min_j) + s$ for negative ones, with a shift "
            f"$s = {shift:g}$ so that no value is exactly zero. The bounds $\\min_j$, $\\max_j$ were taken {where}"
            f"{_cite(METHODS['pooled' if pooled else 'per_year'].refs, lang)}.",
            f"采用极差标准化对指标进行无量纲化处理{_cite(METHODS['minmax'].refs, lang)}：正向指标 "
            f"$z_{{ij}} = (x_{{ij}} - \\min_j)/(\\max_j - \\min_j) + s$，负向指标 "
            f"$z_{{ij}} = (\\max_j - x_{{ij}})/(\\max_j - \\min_j) + s$，平移量 $s = {shift:g}$ 使各值均不为零。"
            f"最小值与最大值{where}{_cite(METHODS['pooled' if pooled else 'per_year'].refs, lang)}。"))
        if "interval" in index_methods(s, fw):
            out.append(_T(
                lang,
                "Interval (moderate) indicators with a best range $[q_1, q_2]$ were scored "
                "$z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ with $M = \\max(q_1 - \\min_j, \\max_j - q_2)$"
                f"{_cite(METHODS['interval'].refs, lang)}.",
                "区间型（适度）指标的最佳区间为 $[q_1, q_2]$，按 $z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ 计算，其中 "
                f"$M = \\max(q_1 - \\min_j, \\max_j - q_2)${_cite(METHODS['interval'].refs, lang)}。"))
    elif norm == "zscore":
        out.append(_T(
            lang,
            "Indicators were standardised as z-scores $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$ (sample standard "
            f"deviation; sign reversed for negative indicators){_cite(METHODS['zscore'].refs, lang)}, "
            + ("over the pooled panel" if pooled else "within each year") + ".",
            "指标采用 Z-score 标准化 $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$（样本标准差，负向指标取反号）"
            f"{_cite(METHODS['zscore'].refs, lang)}，" + ("基于混合面板计算。" if pooled else "逐年计算。")))
    else:
        out.append(_T(
            lang,
            "Indicators were vector-normalised, $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$ ($1 - r_{ij}$ for "
            f"negative indicators){_cite(METHODS['vector'].refs, lang)}, "
            + ("over the pooled panel" if pooled else "within each year") + ".",
            "指标采用向量归一化 $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$（负向指标取 $1 - r_{ij}$）"
            f"{_cite(METHODS['vector'].refs, lang)}，" + ("基于混合面板计算。" if pooled else "逐年计算。")))

    weighting = s.get("weighting", "global_entropy")
    out.append(_weighting_text(weighting, s, n_rows, lang))
    if s.get("tree") == "hierarchical" and weighting not in ("ahp", "combined"):
        out.append(_T(
            lang,
            "Weights were computed level by level: the weights of a node's children come from the matrix of the "
            "children (indicators, or the sub-indices of lower nodes), and an indicator's global weight is the "
            "product of the weights on its path to the target.",
            "权重逐层计算：每个节点下级要素的权重由下级要素（指标或下级子指数）矩阵求得，指标的全局权重为其到目标层路径上各级权重之积。"))
    else:
        if weighting not in ("ahp", "combined"):
            out.append(_T(
                lang,
                "Weights were computed once over all indicators; the weight of a dimension is the sum of the "
                "weights of its indicators.",
                "权重对全部指标一次性计算，各维度权重为其所含指标权重之和。"))
    out.append(_aggregation_text(s.get("aggregation", "weighted_sum"), s, lang))
    out.append(_T(
        lang,
        "Each dimension's sub-index is the same aggregation of its own indicators with their weights rescaled to "
        "sum to one, so dimension scores are on the same scale as the index.",
        "各维度子指数采用相同的集成方法，仅对其所含指标计算，权重重新归一化使之和为 1，因此维度得分与总指数同一量纲。"))
    return out


def _weighting_text(weighting: str, s: Mapping[str, Any], n_rows: int, lang: str) -> str:
    if weighting in ("global_entropy", "entropy"):
        per_year = weighting == "entropy"
        formula = ("$p_{ij} = z_{ij}/\\sum_i z_{ij}$, $e_j = -\\frac{1}{\\ln n}\\sum_i p_{ij}\\ln p_{ij}$, "
                   "$d_j = 1 - e_j$, $w_j = d_j/\\sum_k d_k$")
        if per_year:
            return _T(
                lang,
                f"Indicator weights were set by the entropy weight method{_cite(METHODS['entropy'].refs, lang)}, "
                f"{formula}, computed separately for each year ($n$ = units in that year); each year is aggregated "
                "with its own weights, and the weights reported are their mean over the years.",
                f"采用熵值法确定指标权重{_cite(METHODS['entropy'].refs, lang)}：{formula}，"
                "逐年计算（$n$ 为当年单元数），各年以当年权重集成，报告的权重为各年权重的均值。")
        return _T(
            lang,
            "Indicator weights were set by the global entropy weight method"
            f"{_cite(METHODS['global_entropy'].refs, lang)}: {formula}, computed on the stacked panel of all "
            f"unit-years ($n = {n_rows}$), so that one set of weights applies to every year.",
            f"采用全局熵值法确定指标权重{_cite(METHODS['global_entropy'].refs, lang)}：{formula}，"
            f"基于全部单元-年份堆叠的面板计算（$n = {n_rows}$），各年使用同一组权重。")
    if weighting == "critic":
        return _T(
            lang,
            f"Indicator weights were set by the CRITIC method{_cite(METHODS['critic'].refs, lang)} on the "
            "normalised matrix: $C_j = \\sigma_j\\sum_k(1 - r_{jk})$, $w_j = C_j/\\sum_k C_k$, with $\\sigma_j$ "
            "the standard deviation of indicator $j$ and $r_{jk}$ the Pearson correlation of indicators $j$ and $k$.",
            f"采用 CRITIC 法确定指标权重{_cite(METHODS['critic'].refs, lang)}（基于标准化矩阵）："
            "$C_j = \\sigma_j\\sum_k(1 - r_{jk})$，$w_j = C_j/\\sum_k C_k$，其中 $\\sigma_j$ 为指标 $j$ 的标准差，"
            "$r_{jk}$ 为指标 $j$ 与 $k$ 的 Pearson 相关系数。")
    if weighting == "cv":
        return _T(
            lang,
            "Indicator weights were set by the coefficient-of-variation method"
            f"{_cite(METHODS['cv'].refs, lang)} on the raw indicator values: $v_j = \\sigma_j/\\bar x_j$, "
            "$w_j = v_j/\\sum_k v_k$.",
            f"采用变异系数法确定指标权重{_cite(METHODS['cv'].refs, lang)}（基于原始指标值）："
            "$v_j = \\sigma_j/\\bar x_j$，$w_j = v_j/\\sum_k v_k$。")
    if weighting == "equal":
        return _T(lang, f"All indicators received equal weights $w_j = 1/m${_cite(METHODS['equal'].refs, lang)}.",
                  f"各指标取相等权重 $w_j = 1/m${_cite(METHODS['equal'].refs, lang)}。")
    ahp = _ahp_text(s, lang)
    if weighting == "ahp":
        return ahp
    comb = s.get("combined") or {}
    how = comb.get("how", s.get("combine", "multiplicative"))
    obj = comb.get("objective", s.get("objective", "global_entropy"))
    obj_text = METHODS[obj].label(lang)
    obj_refs = _cite(METHODS[obj].refs, lang)
    if how == "multiplicative":
        rule = _T(lang, "multiplicatively, $w_j = s_j o_j/\\sum_k s_k o_k$",
                  "乘法合成 $w_j = s_j o_j/\\sum_k s_k o_k$")
    elif how == "linear":
        a = comb.get("alpha", s.get("alpha", 0.5))
        rule = _T(lang, f"linearly, $w_j = \\alpha s_j + (1 - \\alpha) o_j$ with $\\alpha = {_fmt(a)}$",
                  f"线性加权 $w_j = \\alpha s_j + (1 - \\alpha) o_j$，$\\alpha = {_fmt(a)}$")
    else:
        a = comb.get("alpha")
        b = comb.get("beta")
        both = isinstance(a, float) and isinstance(b, float)
        coef = f" ($\\alpha^* = {a:.4f}$, $\\beta^* = {b:.4f}$)" if both else ""
        rule = _T(lang, "by the game-theory combination" + _cite(METHODS["combined_game"].refs, lang)
                  + ", $w = \\alpha^* s + \\beta^* o$ with coefficients from the first-order conditions of "
                  "$\\min\\lVert \\alpha s + \\beta o - u\\rVert$, $u \\in \\{s, o\\}$, "
                  "normalised to sum to one" + coef,
                  "博弈论组合赋权" + _cite(METHODS["combined_game"].refs, lang)
                  + "，$w = \\alpha^* s + \\beta^* o$，组合系数由 $\\min\\lVert \\alpha s + \\beta o - u\\rVert$"
                  "（$u \\in \\{s, o\\}$）的一阶条件求得并归一化" + coef)
    return ahp + " " + _T(
        lang,
        f"The subjective AHP weights $s_j$ and the objective weights $o_j$ of the {obj_text}{obj_refs} were "
        f"combined {rule}.",
        f"主观权重 $s_j$（AHP）与客观权重 $o_j$（{obj_text}{obj_refs}）采用{rule}进行组合。")


def _ahp_text(s: Mapping[str, Any], lang: str) -> str:
    cr = s.get("ahp_consistency_ratio") or {}
    cr_text = ""
    if cr:
        worst = max(cr.values())
        cr_text = _T(lang, f" The largest consistency ratio was CR = {worst:.3f}.",
                     f"最大一致性比率 CR = {worst:.3f}。")
    return _T(
        lang,
        f"Subjective weights were derived by the analytic hierarchy process{_cite(METHODS['ahp'].refs, lang)}: at "
        "every node the principal eigenvector of the pairwise comparison matrix, with consistency index "
        "$CI = (\\lambda_{\\max} - n)/(n - 1)$ and ratio $CR = CI/RI_n$ (Saaty's random index), required to be "
        "below 0.1; global weights are products down the tree." + cr_text,
        f"主观权重采用层次分析法确定{_cite(METHODS['ahp'].refs, lang)}：各节点取判断矩阵最大特征值对应的特征向量，"
        "一致性指标 $CI = (\\lambda_{\\max} - n)/(n - 1)$，一致性比率 $CR = CI/RI_n$（Saaty 平均随机一致性指标），"
        "要求 $CR < 0.1$；全局权重为逐层权重之积。" + cr_text)


def _aggregation_text(aggregation: str, s: Mapping[str, Any], lang: str) -> str:
    pooled = s.get("scope", "pooled") == "pooled"
    if aggregation == "weighted_sum":
        return _T(lang, "The index is the linear weighted sum $S_i = \\sum_j w_j z_{ij}$"
                        f"{_cite(METHODS['weighted_sum'].refs, lang)}.",
                  f"综合指数采用线性加权法 $S_i = \\sum_j w_j z_{{ij}}${_cite(METHODS['weighted_sum'].refs, lang)}。")
    if aggregation == "topsis":
        ref = _T(lang, "over the pooled panel" if pooled else "within each year",
                 "取自混合面板" if pooled else "逐年确定")
        return _T(
            lang,
            f"The index is the TOPSIS closeness{_cite(METHODS['topsis'].refs, lang)}: $v_{{ij}} = w_j z_{{ij}}$, "
            "ideal $A^+_j = \\max_i v_{ij}$ and anti-ideal $A^-_j = \\min_i v_{ij}$ "
            f"({ref}), $D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$, $C_i = D^-_i/(D^+_i + D^-_i)$.",
            f"综合指数采用 TOPSIS 贴近度{_cite(METHODS['topsis'].refs, lang)}：$v_{{ij}} = w_j z_{{ij}}$，"
            f"正理想解 $A^+_j = \\max_i v_{{ij}}$、负理想解 $A^-_j = \\min_i v_{{ij}}$（{ref}），"
            "$D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$，$C_i = D^-_i/(D^+_i + D^-_i)$。")
    rho = s.get("rho", 0.5)
    return _T(
        lang,
        f"The index is the weighted grey relational grade{_cite(METHODS['gra'].refs, lang)} to the reference "
        "sequence $x^0_j = \\max_i z_{ij}$: $\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + "
        f"\\rho\\Delta_{{\\max}})$ with $\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$ and $\\rho = {_fmt(rho)}$, "
        "$r_i = \\sum_j w_j \\xi_{ij}$.",
        f"综合指数采用加权灰色关联度{_cite(METHODS['gra'].refs, lang)}，参考序列 $x^0_j = \\max_i z_{{ij}}$："
        "$\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + \\rho\\Delta_{\\max})$，"
        f"$\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$，分辨系数 $\\rho = {_fmt(rho)}$，$r_i = \\sum_j w_j \\xi_{{ij}}$。")


def _analysis_text(key: str, lang: str, objs: list[Any] | None = None) -> str:
    """One sentence (or two) per analysis method, as nqpf implements it (``objs``: its result objects)."""
    obj = objs[0] if objs else None
    c = _cite(METHODS[key].refs, lang)
    g = (lambda a, d=None: getattr(obj, a, d)) if obj is not None else (lambda a, d=None: d)
    if key == "dagum_gini":
        groups = g("groups")
        gtxt = f" ({', '.join(map(str, groups))})" if groups else ""
        return _T(
            lang,
            f"Regional disparity was measured by the Dagum Gini coefficient{c} of each year, "
            "$G = \\sum_j\\sum_h\\sum_i\\sum_r |y_{ji} - y_{hr}|/(2n^2\\bar y)$, decomposed exactly into "
            f"within-group ($G_w$), net between-group ($G_{{nb}}$) and transvariation ($G_t$) parts by groups{gtxt}.",
            f"采用 Dagum 基尼系数{c}逐年测度区域差异，"
            "$G = \\sum_j\\sum_h\\sum_i\\sum_r |y_{ji} - y_{hr}|/(2n^2\\bar y)$，"
            f"并按组{gtxt}精确分解为区域内差异 $G_w$、区域间净差异 $G_{{nb}}$ 与超变密度 $G_t$。")
    if key == "kernel_density":
        bw = g("bandwidth_rule", "scott")
        return _T(
            lang,
            f"The distribution of the index in each year was estimated by a Gaussian kernel density{c}, "
            f"$\\hat f(x) = \\frac{{1}}{{nh}}\\sum_i K\\left(\\frac{{x - x_i}}{{h}}\\right)$, bandwidth rule {bw} "
            "(Scott: $h = \\hat\\sigma n^{-1/5}$).",
            f"采用高斯核密度估计{c}刻画各年指数分布，"
            "$\\hat f(x) = \\frac{1}{nh}\\sum_i K\\left(\\frac{x - x_i}{h}\\right)$，"
            f"带宽规则 {bw}（Scott：$h = \\hat\\sigma n^{{-1/5}}$）。")
    if key == "markov":
        k = len(g("classes", []) or []) or None
        scheme = g("scheme")
        detail = f" ({k} classes, {scheme} quantiles)" if k and scheme in ("pooled", "per_year") else (
            f" ({k} classes)" if k else "")
        detail_zh = f"（{k} 类，{'混合面板' if scheme == 'pooled' else '逐年'}分位数）" if k and scheme in (
            "pooled", "per_year") else (f"（{k} 类）" if k else "")
        return _T(
            lang,
            f"Transitions between levels were described by a Markov chain{c}{detail}: "
            "$p_{ij} = n_{ij}/n_i$, the share of units in class $i$ in year $t$ that are in class $j$ in $t+1$.",
            f"采用传统马尔可夫链{c}刻画等级转移{detail_zh}：$p_{{ij}} = n_{{ij}}/n_i$，即 $t$ 年处于 $i$ 类的单元在 "
            "$t+1$ 年转入 $j$ 类的比例。")
    if key == "spatial_markov":
        return _T(
            lang,
            f"A spatial Markov chain{c} conditioned these transitions on the class of the neighbours' spatial lag "
            "(row-standardised weights); spatial homogeneity was tested with the Q and LR statistics of "
            "Bickenbach & Bode.",
            f"采用空间马尔可夫链{c}，以邻域空间滞后值所属类型为条件刻画转移概率（行标准化权重），"
            "并以 Bickenbach & Bode 的 Q 与 LR 统计量检验空间同质性。")
    if key == "moran":
        perms = g("permutations")
        wdesc = g("weights")
        extra = (f" Weights: {wdesc}." if wdesc else "") + (
            f" Inference: {perms} random permutations." if perms else "")
        extra_zh = (f"空间权重：{wdesc}。" if wdesc else "") + (f"显著性基于 {perms} 次随机置换。" if perms else "")
        return _T(
            lang,
            f"Spatial autocorrelation was measured by global Moran's I{c}, "
            "$I = \\frac{n}{S_0}\\frac{\\sum_i\\sum_j w_{ij}(x_i - \\bar x)(x_j - \\bar x)}"
            "{\\sum_i (x_i - \\bar x)^2}$, with $E[I] = -1/(n-1)$." + extra,
            f"采用全局莫兰指数{c}测度空间自相关，"
            "$I = \\frac{n}{S_0}\\frac{\\sum_i\\sum_j w_{ij}(x_i - \\bar x)(x_j - \\bar x)}"
            "{\\sum_i (x_i - \\bar x)^2}$，$E[I] = -1/(n-1)$。" + extra_zh)
    if key == "lisa":
        alpha = g("alpha")
        a = f" at significance level {alpha}" if alpha is not None else ""
        a_zh = f"（显著性水平 {alpha}）" if alpha is not None else ""
        return _T(
            lang,
            f"Local clusters were identified by local Moran's I (LISA){c}, "
            "$I_i = (n-1) z_i\\sum_j w_{ij} z_j/\\sum_k z_k^2$, classified as high–high, low–low, low–high or "
            f"high–low{a} (conditional permutations).",
            f"采用局部莫兰指数（LISA）{c}识别局部集聚，$I_i = (n-1) z_i\\sum_j w_{{ij}} z_j/\\sum_k z_k^2$，"
            f"划分为高-高、低-低、低-高、高-低四类{a_zh}（条件置换检验）。")
    if key == "sigma_convergence":
        return _T(
            lang,
            f"σ-convergence{c} was assessed by the yearly coefficient of variation $CV_t = \\sigma_t/\\bar y_t$ and "
            "the standard deviation of logs, with a linear time trend.",
            f"σ收敛{c}以各年变异系数 $CV_t = \\sigma_t/\\bar y_t$ 及对数标准差衡量，并检验其线性时间趋势。")
    if key == "beta_convergence":
        conds = {bool(getattr(o, "conditional", False)) for o in objs or []}
        parts = [_T(lang, "absolute (pooled OLS with a constant)", "绝对β收敛（含常数项的混合 OLS）")] \
            if False in conds or not conds else []
        if True in conds:
            parts.append(_T(lang, "conditional (unit and year fixed effects)", "条件β收敛（个体与时间双向固定效应）"))
        kind = _T(lang, " and ".join(parts), "与".join(parts))
        return _T(
            lang,
            f"β-convergence{c} was tested by regressing annual log growth on the initial log level, "
            "$\\ln(y_{i,t}/y_{i,t-1}) = \\alpha + \\beta\\ln y_{i,t-1} + \\varepsilon_{it}$, " + kind + "; "
            "$\\beta < 0$ indicates convergence, with speed $\\lambda = -\\ln(1+\\beta)$ and half-life "
            "$\\ln 2/\\lambda$; standard errors clustered by unit.",
            f"β收敛{c}以年度对数增长率对期初对数水平回归检验，"
            "$\\ln(y_{i,t}/y_{i,t-1}) = \\alpha + \\beta\\ln y_{i,t-1} + \\varepsilon_{it}$，" + kind + "；"
            "$\\beta < 0$ 表示收敛，收敛速度 $\\lambda = -\\ln(1+\\beta)$，半衰期 $\\ln 2/\\lambda$；"
            "标准误按个体聚类。")
    if key == "coupling":
        names = g("names")
        who = f" of {', '.join(map(str, names))}" if names else ""
        who_zh = f"（{'、'.join(map(str, names))}）" if names else ""
        return _T(
            lang,
            f"The coupling coordination degree{c}{who} is $D = \\sqrt{{C\\,T}}$ with the n-system coupling degree "
            "$C = n\\left(\\prod_i U_i\\right)^{1/n}/\\sum_i U_i$ and the comprehensive index "
            "$T = \\sum_i \\alpha_i U_i$, classified into ten levels of width 0.1.",
            f"耦合协调度{c}{who_zh}为 $D = \\sqrt{{C\\,T}}$，其中 n 系统耦合度 "
            "$C = n\\left(\\prod_i U_i\\right)^{1/n}/\\sum_i U_i$，综合协调指数 $T = \\sum_i \\alpha_i U_i$，"
            "按 0.1 间距划分为十个等级。")
    if key == "coupling_modified":
        return _T(
            lang,
            f"The modified coupling degree{c} was used: "
            "$C = \\sqrt{\\left[1 - \\frac{\\sum_{i>j}|U_i - U_j|}{\\sum_{m=1}^{n-1} m}\\right]"
            "\\left[\\prod_i \\frac{U_i}{\\max_k U_k}\\right]^{1/(n-1)}}$.",
            f"耦合度采用修正模型{c}："
            "$C = \\sqrt{\\left[1 - \\frac{\\sum_{i>j}|U_i - U_j|}{\\sum_{m=1}^{n-1} m}\\right]"
            "\\left[\\prod_i \\frac{U_i}{\\max_k U_k}\\right]^{1/(n-1)}}$。")
    if key == "obstacle":
        return _T(
            lang,
            f"Obstacle factors were diagnosed with the obstacle degree model{c}: "
            "$O_{ij} = F_j I_{ij}/\\sum_j F_j I_{ij}\\times 100\\%$, with factor contribution $F_j$ the indicator's "
            "global weight and deviation $I_{ij} = 1 - (z_{ij} - s)$; dimension and policy-lever obstacles are sums "
            "over their indicators.",
            f"采用障碍度模型{c}诊断障碍因子：$O_{{ij}} = F_j I_{{ij}}/\\sum_j F_j I_{{ij}}\\times 100\\%$，"
            "因子贡献度 $F_j$ 为指标全局权重，指标偏离度 $I_{ij} = 1 - (z_{ij} - s)$；"
            "维度与政策抓手的障碍度为其所含指标障碍度之和。")
    if key == "scenario":
        return _T(
            lang,
            f"Scenarios{c} re-scored changed indicator values with the measured normalisation bounds, weights and "
            "reference points held fixed, so only the changed unit-year moves.",
            f"情景模拟{c}在保持标准化边界、权重与参考点不变的条件下对变动后的指标值重新计分，只有被改变的单元-年份得分变化。")
    if key == "panel_regression":
        return _T(
            lang,
            f"The relation between the indices was estimated by two-way fixed-effects panel regressions{c}, "
            "$y_{it} = \\beta x_{i,t-L} + \\gamma' c_{it} + \\mu_i + \\lambda_t + \\varepsilon_{it}$, with "
            "cluster-robust standard errors.",
            f"采用双向固定效应面板回归{c}估计指数间关系，"
            "$y_{it} = \\beta x_{i,t-L} + \\gamma' c_{it} + \\mu_i + \\lambda_t + \\varepsilon_{it}$，"
            "标准误为聚类稳健标准误。")
    if key == "rank_agreement":
        return _T(lang, f"The rankings of the indices were compared by Spearman's ρ and Kendall's τ-b{c} "
                        "in each year.",
                  f"以 Spearman ρ 与 Kendall τ-b{c}逐年比较各指数排名的一致性。")
    if key == "uncertainty":
        return _T(
            lang,
            f"Weight uncertainty was assessed by Monte Carlo simulation{c}: indicator weights were drawn from a "
            "Dirichlet distribution centred on the measured weights, $w \\sim \\mathrm{Dir}(c\\,\\bar w)$, each draw "
            "re-scored and re-ranked within years, and the median rank and a 90% rank interval reported per unit-year.",
            f"采用蒙特卡洛模拟{c}评估权重不确定性：以测度权重为中心从 Dirichlet 分布抽取指标权重，"
            "$w \\sim \\mathrm{Dir}(c\\,\\bar w)$，每次抽样重新计分并逐年排名，"
            "报告各单元-年份的排名中位数与 90% 区间。")
    if key == "method_sensitivity":
        return _T(
            lang,
            f"Method sensitivity: the index was re-measured under alternative weighting and aggregation methods and "
            f"the rankings compared by Spearman's ρ and Kendall's τ-b{c}.",
            f"方法敏感性：在其他赋权与集成方法下重新测度，并以 Spearman ρ 与 Kendall τ-b{c}比较排名。")
    if key == "leave_one_out":
        return _T(lang, f"Leave-one-out: the index was re-measured without each indicator in turn{c}.",
                  f"逐一剔除指标{c}：依次去掉每个指标后重新测度。")
    if key == "bootstrap":
        return _T(
            lang,
            f"Bootstrap percentile intervals{c} were obtained by resampling units (stratified by region) and "
            "repeating the whole measurement on each resample.",
            f"自助法{c}：按区域分层对单元重抽样，对每个样本重复全部测度过程，得到百分位置信区间。")
    return METHODS[key].label(lang) + c


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
    from nqpf.datasets import DATASETS

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
    out.append(_T(lang, f"The panel holds {len(panel.units)} units ({panel.kind}) and {len(panel.indicators)} "
                        f"variables over {yrs[0]}–{yrs[-1]}.",
                  f"面板包含 {len(panel.units)} 个单元（{panel.kind}）、{len(panel.indicators)} 个变量，"
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
        head = _T(lang, f"`{ix.name}`: missing-value policy `{miss_t}`; years {s['years'][0]}–{s['years'][1]}"
                        f"{' (chosen automatically: the longest run of years with complete data)' if auto else ''}"
                        f"; {s['n_units']} units",
                  f"`{ix.name}`：缺失值处理 `{miss_t}`；年份 {s['years'][0]}–{s['years'][1]}"
                  f"{'（自动选取数据完整的最长连续年份）' if auto else ''}；{s['n_units']} 个单元")
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


def _versions_line(keys: list[str], lang: str) -> str:
    from nqpf.core.provenance import package_versions

    v = package_versions()
    names = ["nqpf", "numpy", "pandas", "scipy"]
    if {"beta_convergence", "panel_regression"} & set(keys):
        names.append("linearmodels")
    if {"moran", "lisa", "spatial_markov"} & set(keys):
        names += ["libpysal", "esda"]
    if {"markov", "spatial_markov"} & set(keys):
        names.append("giddy")
    parts = [f"Python {v['python']}"] + [f"{n} {v.get(n, 'not installed')}" for n in names]
    return _T(lang, "Software: " + ", ".join(parts) + ".", "软件版本：" + "，".join(parts) + "。")


def _analysis_settings(run: Any, name: str, lang: str) -> str:
    opts = {k: v for k, v in (run.spec.analyses.get(name) or {}).items() if k != "enabled"}
    if not opts:
        return _T(lang, "default settings", "默认设置")
    return ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False, default=str)}" for k, v in opts.items())


def _all_of(result: Any, key: str) -> list[Any]:
    want = {k for k, v in _CLASS_METHODS.items() if key in v}
    objs = list(_walk_results(result))
    for obj in list(objs):
        if type(obj).__name__ not in _KNOWN and hasattr(obj, "__dict__"):
            objs += [v for v in vars(obj).values() if type(v).__name__ in _KNOWN]
    return [o for o in objs if type(o).__name__ in want]


def _blocks(run: Any, lang: str) -> list[str]:
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
        if res.settings.get("weighting") == "entropy":
            md.append(_T(lang, "Weights shown are the mean of the yearly entropy weights.",
                         "下列权重为各年熵权的均值。"))
        md.append("\n".join(_tree_lines(res, lang)))
    md.append(_T(lang, "## Measurement", "## 测度方法"))
    for ix in run.spec.index:
        res = run.results[ix.name]
        if len(run.spec.index) > 1:
            md.append(f"### `{ix.name}`")
        md.extend(_index_text(ix.name, res, ix, lang))
    if run.analyses:
        md.append(_T(lang, "## Analyses", "## 分析方法"))
        for name, res in run.analyses.items():
            ks = analysis_methods(name, res)
            head = f"**{name}** ({_T(lang, 'settings', '设置')}: {_analysis_settings(run, name, lang)})."
            if not ks:
                md.append(head + " " + _T(lang, "No method description is registered for this analysis.",
                                          "该分析暂无方法说明。"))
                continue
            md.append(head + " " + " ".join(_analysis_text(k, lang, _all_of(res, k)) for k in ks))
    md.append(_T(lang, "## Data handling", "## 数据处理"))
    md.extend(f"- {line}" for line in _cells_lines(run, lang))
    if "interpolation" in keys:
        md.append(_T(lang, "Missing values inside a unit's observed span were filled by linear interpolation in the "
                           "calendar year; nothing was extrapolated. Every changed cell is listed in "
                           "`provenance.json`.",
                     "单元观测区间内部的缺失值按年份线性插值，不做外推；"
                     "每个被改动的单元格均记录于 `provenance.json`。"))
    md.append(_T(lang, "## Software", "## 软件"))
    md.append(_versions_line(keys, lang) + " " + _T(
        lang, "Cite nqpf and the methods below (`nqpf cite` prints BibTeX).",
        "请引用 nqpf 及下列方法文献（`nqpf cite` 输出 BibTeX）。"))
    md.append(_T(lang, "## References", "## 参考文献"))
    refs = references_for(keys)
    md.extend(f"- {format_reference(r, lang)}" for r in refs)
    return md


def methods_markdown(run: Any, lang: str = "en") -> str:
    """The methods section of a StudyRun as Markdown (LaTeX math between ``$``), in English or Chinese."""
    return "\n\n".join(_blocks(run, lang)) + "\n"


def write_methods_md(run: Any, path: str | Path, lang: str = "en") -> Path:
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


def methods_html(run: Any, lang: str = "en") -> str:
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
