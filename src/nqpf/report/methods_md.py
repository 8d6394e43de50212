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
from nqpf.core.references import format_reference, get
from nqpf.datasets import DATASETS
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, TECHNIQUES, WEIGHTINGS, MethodSpec
from nqpf.result import IndexResult
from nqpf.study import StudyRun

__all__ = [
    "Citable",
    "citable",
    "index_methods",
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


def _refs(key: str) -> tuple[str, ...]:
    """The references of a key, or none while the key is not registered."""
    return citable(key).refs if known(key) else ()


def references_for(keys: Iterable[str]) -> list[str]:
    """Reference keys of these methods, in order of first use, without repeats."""
    out: list[str] = []
    for k in keys:
        for r in _refs(k):
            if r not in out:
                out.append(r)
    return out


# =============================================================================================
# which methods ran
# =============================================================================================
def _has_interval(framework: Any) -> bool:
    return framework is not None and any(getattr(i, "direction", "") == "interval" for i in framework.indicators)


def index_methods(settings: Mapping[str, Any], framework: Any = None) -> list[str]:
    """Method keys of one measured index, from its resolved settings (``IndexResult.settings``).

    The normalisation, the techniques (interval indicators, pooled or per-year bounds, level-by-level
    weighting, the game-theory combination — those registered in ``TECHNIQUES``), the weighting (for
    combined weights: AHP, the objective method and the combination) and the aggregation.
    """
    keys: list[str] = []
    norm = settings.get("normalization", "minmax")
    keys.append(norm)
    if norm == "minmax" and _has_interval(framework):
        keys.append("interval")
    keys.append("per_year" if settings.get("scope") == "per_year" else "pooled")
    weighting = settings.get("weighting", "global_entropy")
    if weighting == "combined":
        comb = settings.get("combined") or {}
        keys += ["ahp", comb.get("objective") or settings.get("objective", "global_entropy"), "combined"]
        if comb.get("how", settings.get("combine")) == "game":
            keys.append("combined_game")
    else:
        keys.append(weighting)
    if settings.get("tree") == "hierarchical" and weighting not in ("ahp", "combined"):
        keys.append("hierarchical")
    keys.append(settings.get("aggregation", "weighted_sum"))
    # techniques are cited once they are registered; the method choices themselves always are
    return list(dict.fromkeys(k for k in keys if k not in _TECHNIQUE_KEYS or k in TECHNIQUES))


#: Technique keys :func:`index_methods` may name (cited when registered in ``TECHNIQUES``).
_TECHNIQUE_KEYS = frozenset({"interval", "pooled", "per_year", "combined_game", "hierarchical", "interpolation"})


def _load_provenance(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    p = Path(source)
    if p.is_dir():
        p = p / "provenance.json"
    return json.loads(p.read_text(encoding="utf-8"))


def _interpolated(cells: Iterable[Mapping[str, Any]]) -> bool:
    return any(c.get("action") == "imputed" and "interpolation" in str(c.get("reason", "")) for c in cells)


def _interpolation_key() -> list[str]:
    return ["interpolation"] if "interpolation" in TECHNIQUES else []


def methods_used(run: Any) -> list[str]:
    """The method keys a run used, in order: per index (normalisation, weighting, aggregation), then analyses.

    ``run`` is a :class:`~nqpf.study.runner.StudyRun`, an :class:`~nqpf.result.IndexResult`, a run's
    ``provenance.json`` (path, output folder or loaded dict; analyses are read from its
    ``settings["analysis.<name>"]``) or an iterable of method keys (unknown keys are a KeyError).
    """
    keys: list[str] = []
    if isinstance(run, StudyRun):
        for res in run.results.values():
            keys += index_methods(res.settings, res.framework)
            if _interpolated(res.provenance.cells):
                keys += _interpolation_key()
        keys += list(run.records)
    elif isinstance(run, IndexResult):
        keys += index_methods(run.settings, run.framework)
        if _interpolated(run.provenance.cells):
            keys += _interpolation_key()
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
            keys += _interpolation_key()
        keys += [k.split(".", 1)[1] for k in settings if k.startswith("analysis.") and k.split(".", 1)[1] in ANALYSES]
    else:
        for k in run:
            citable(k)  # unknown keys: KeyError naming the known ones
            keys.append(k)
    return list(dict.fromkeys(keys))


# =============================================================================================
# the measurement paragraphs: the method registry's prose (the built-in text until it has some)
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


def index_facts(res: IndexResult) -> dict[str, Any]:
    """What the method registry's prose may use: the index's settings plus a few numbers of the run."""
    facts = dict(res.settings)
    facts.setdefault("n_rows", len(res.values))
    facts.setdefault("n_units", len(res.units))
    facts.setdefault("n_years", len(res.years))
    facts.setdefault("n_indicators", int(res.values.shape[1]))
    facts.setdefault("interval", _has_interval(res.framework))
    facts.setdefault("framework", res.framework.name)
    return facts


def _text(key: Any, facts: Mapping[str, Any], lang: str) -> str:
    """The registered prose of a method key ("" when it has none or is not registered)."""
    m = _method_spec(key) if isinstance(key, str) else None
    return m.text(facts, lang) if m is not None else ""


def _index_text(res: IndexResult, lang: str) -> list[str]:
    """Paragraphs on how one index was measured: each method's registered prose, else the built-in text."""
    s = res.settings
    facts = index_facts(res)
    keys = index_methods(s, res.framework)
    out: list[str] = []
    norm = _text(s.get("normalization", "minmax"), facts, lang)
    out += [norm] if norm else _legacy_normalization(s, bool(facts["interval"]), lang)
    out += [x for k in keys if k in ("interval", "pooled", "per_year") and (x := _text(k, facts, lang))]
    weighting = s.get("weighting", "global_entropy")
    out.append(_text(weighting, facts, lang) or _weighting_text(weighting, s, int(facts["n_rows"]), lang))
    out += [x for k in keys if k == "combined_game" and (x := _text(k, facts, lang))]
    tree = _text("hierarchical", facts, lang) if "hierarchical" in keys else ""
    out += [tree] if tree else _legacy_tree(s, lang)
    aggregation = s.get("aggregation", "weighted_sum")
    out.append(_text(aggregation, facts, lang) or _aggregation_text(aggregation, s, lang))
    out.append(_subindex_sentence(lang))
    return out


#: (en, zh) sentence heads of the z-score and vector normalisations (the built-in text).
_OTHER_NORMALIZATIONS = {
    "zscore": ("Indicators were standardised as z-scores $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$ (sample standard "
               "deviation; sign reversed for negative indicators)",
               "指标采用 Z-score 标准化 $z_{ij} = \\pm(x_{ij} - \\bar x_j)/s_j$（样本标准差，负向指标取反号）"),
    "vector": ("Indicators were vector-normalised, $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$ ($1 - r_{ij}$ for "
               "negative indicators)",
               "指标采用向量归一化 $r_{ij} = x_{ij}/\\sqrt{\\sum_i x_{ij}^2}$（负向指标取 $1 - r_{ij}$）"),
}


def _legacy_normalization(s: Mapping[str, Any], interval: bool, lang: str) -> list[str]:
    """The normalisation paragraph (with the scope and interval indicators), until the registry has prose."""
    out: list[str] = []
    norm = s.get("normalization", "minmax")
    scope = s.get("scope", "pooled")
    shift = float(s.get("shift", 1e-4))
    pooled = scope == "pooled"
    if norm == "minmax":
        where = _T(lang, "over the pooled panel of all units and years, so that scores are comparable across "
                         "years", "取全部单元和年份的混合面板（全局）计算，使各年得分可比") if pooled else \
            _T(lang, "within each year separately (cross-section), so that scores rank units within a year but "
                     "are not comparable across years",
               "在每一年内分别计算（截面），因此得分只能在年内比较，不能跨年比较")
        out.append(_T(
            lang,
            f"Indicators were made dimensionless by min–max normalisation{_cite(_refs('minmax'), lang)}: "
            f"$z_{{ij}} = (x_{{ij}} - \\min_j)/(\\max_j - \\min_j) + s$ for positive indicators and "
            f"$z_{{ij}} = (\\max_j - x_{{ij}})/(\\max_j - \\min_j) + s$ for negative ones, with a shift "
            f"$s = {shift:g}$ so that no value is exactly zero. The bounds $\\min_j$, $\\max_j$ were taken {where}"
            f"{_cite(_refs(scope), lang)}.",
            f"采用极差标准化对指标进行无量纲化处理{_cite(_refs('minmax'), lang)}：正向指标 "
            f"$z_{{ij}} = (x_{{ij}} - \\min_j)/(\\max_j - \\min_j) + s$，负向指标 "
            f"$z_{{ij}} = (\\max_j - x_{{ij}})/(\\max_j - \\min_j) + s$，平移量 $s = {shift:g}$ 使各值均不为零。"
            f"最小值与最大值{where}{_cite(_refs(scope), lang)}。"))
        if interval:
            out.append(_T(
                lang,
                "Interval (moderate) indicators with a best range $[q_1, q_2]$ were scored "
                "$z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ with $M = \\max(q_1 - \\min_j, \\max_j - q_2)$"
                f"{_cite(_refs('interval'), lang)}.",
                "区间型（适度）指标的最佳区间为 $[q_1, q_2]$，按 $z = 1 - \\max(q_1 - x, x - q_2, 0)/M + s$ 计算，其中 "
                f"$M = \\max(q_1 - \\min_j, \\max_j - q_2)${_cite(_refs('interval'), lang)}。"))
    else:  # z-score or vector normalisation: the formula, then where the parameters come from
        en, zh = _OTHER_NORMALIZATIONS.get(norm, (f"Indicators were normalised by {norm}",
                                                  f"指标采用 {norm} 标准化"))
        c = _cite(_refs(norm), lang)
        out.append(_T(lang, f"{en}{c}, " + ("over the pooled panel" if pooled else "within each year") + ".",
                      f"{zh}{c}，" + ("基于混合面板计算。" if pooled else "逐年计算。")))
    return out


def _legacy_tree(s: Mapping[str, Any], lang: str) -> list[str]:
    """How the weights sit on the tree (level by level, or once over all indicators)."""
    out: list[str] = []
    weighting = s.get("weighting", "global_entropy")
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
    return out


def _subindex_sentence(lang: str) -> str:
    """The sub-indices of the dimensions (the engine's rule, not a method choice)."""
    return _T(
        lang,
        "Each dimension's sub-index is the same aggregation of its own indicators with their weights rescaled to "
        "sum to one, so dimension scores are on the same scale as the index.",
        "各维度子指数采用相同的集成方法，仅对其所含指标计算，权重重新归一化使之和为 1，因此维度得分与总指数同一量纲。")


def _weighting_text(weighting: str, s: Mapping[str, Any], n_rows: int, lang: str) -> str:
    if weighting in ("global_entropy", "entropy"):
        per_year = weighting == "entropy"
        formula = ("$p_{ij} = z_{ij}/\\sum_i z_{ij}$, $e_j = -\\frac{1}{\\ln n}\\sum_i p_{ij}\\ln p_{ij}$, "
                   "$d_j = 1 - e_j$, $w_j = d_j/\\sum_k d_k$")
        if per_year:
            return _T(
                lang,
                f"Indicator weights were set by the entropy weight method{_cite(_refs('entropy'), lang)}, "
                f"{formula}, computed separately for each year ($n$ = units in that year); each year is aggregated "
                "with its own weights, and the weights reported are their mean over the years.",
                f"采用熵值法确定指标权重{_cite(_refs('entropy'), lang)}：{formula}，"
                "逐年计算（$n$ 为当年单元数），各年以当年权重集成，报告的权重为各年权重的均值。")
        return _T(
            lang,
            "Indicator weights were set by the global entropy weight method"
            f"{_cite(_refs('global_entropy'), lang)}: {formula}, computed on the stacked panel of all "
            f"unit-years ($n = {n_rows}$), so that one set of weights applies to every year.",
            f"采用全局熵值法确定指标权重{_cite(_refs('global_entropy'), lang)}：{formula}，"
            f"基于全部单元-年份堆叠的面板计算（$n = {n_rows}$），各年使用同一组权重。")
    if weighting == "critic":
        return _T(
            lang,
            f"Indicator weights were set by the CRITIC method{_cite(_refs('critic'), lang)} on the "
            "normalised matrix: $C_j = \\sigma_j\\sum_k(1 - r_{jk})$, $w_j = C_j/\\sum_k C_k$, with $\\sigma_j$ "
            "the standard deviation of indicator $j$ and $r_{jk}$ the Pearson correlation of indicators $j$ and $k$.",
            f"采用 CRITIC 法确定指标权重{_cite(_refs('critic'), lang)}（基于标准化矩阵）："
            "$C_j = \\sigma_j\\sum_k(1 - r_{jk})$，$w_j = C_j/\\sum_k C_k$，其中 $\\sigma_j$ 为指标 $j$ 的标准差，"
            "$r_{jk}$ 为指标 $j$ 与 $k$ 的 Pearson 相关系数。")
    if weighting == "cv":
        return _T(
            lang,
            "Indicator weights were set by the coefficient-of-variation method"
            f"{_cite(_refs('cv'), lang)} on the raw indicator values: $v_j = \\sigma_j/\\bar x_j$, "
            "$w_j = v_j/\\sum_k v_k$.",
            f"采用变异系数法确定指标权重{_cite(_refs('cv'), lang)}（基于原始指标值）："
            "$v_j = \\sigma_j/\\bar x_j$，$w_j = v_j/\\sum_k v_k$。")
    if weighting == "equal":
        return _T(lang, f"All indicators received equal weights $w_j = 1/m${_cite(_refs('equal'), lang)}.",
                  f"各指标取相等权重 $w_j = 1/m${_cite(_refs('equal'), lang)}。")
    ahp = _ahp_text(s, lang)
    if weighting == "ahp":
        return ahp
    comb = s.get("combined") or {}
    how = comb.get("how", s.get("combine", "multiplicative"))
    obj = comb.get("objective", s.get("objective", "global_entropy"))
    obj_text = citable(obj).label_in(lang) if known(obj) else str(obj)
    obj_refs = _cite(_refs(obj), lang)
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
        rule = _T(lang, "by the game-theory combination" + _cite(_refs('combined_game'), lang)
                  + ", $w = \\alpha^* s + \\beta^* o$ with coefficients from the first-order conditions of "
                  "$\\min\\lVert \\alpha s + \\beta o - u\\rVert$, $u \\in \\{s, o\\}$, "
                  "normalised to sum to one" + coef,
                  "博弈论组合赋权" + _cite(_refs('combined_game'), lang)
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
        f"Subjective weights were derived by the analytic hierarchy process{_cite(_refs('ahp'), lang)}: at "
        "every node the principal eigenvector of the pairwise comparison matrix, with consistency index "
        "$CI = (\\lambda_{\\max} - n)/(n - 1)$ and ratio $CR = CI/RI_n$ (Saaty's random index), required to be "
        "below 0.1; global weights are products down the tree." + cr_text,
        f"主观权重采用层次分析法确定{_cite(_refs('ahp'), lang)}：各节点取判断矩阵最大特征值对应的特征向量，"
        "一致性指标 $CI = (\\lambda_{\\max} - n)/(n - 1)$，一致性比率 $CR = CI/RI_n$（Saaty 平均随机一致性指标），"
        "要求 $CR < 0.1$；全局权重为逐层权重之积。" + cr_text)


def _aggregation_text(aggregation: str, s: Mapping[str, Any], lang: str) -> str:
    pooled = s.get("scope", "pooled") == "pooled"
    if aggregation == "weighted_sum":
        return _T(lang, "The index is the linear weighted sum $S_i = \\sum_j w_j z_{ij}$"
                        f"{_cite(_refs('weighted_sum'), lang)}.",
                  f"综合指数采用线性加权法 $S_i = \\sum_j w_j z_{{ij}}${_cite(_refs('weighted_sum'), lang)}。")
    if aggregation == "topsis":
        ref = _T(lang, "over the pooled panel" if pooled else "within each year",
                 "取自混合面板" if pooled else "逐年确定")
        return _T(
            lang,
            f"The index is the TOPSIS closeness{_cite(_refs('topsis'), lang)}: $v_{{ij}} = w_j z_{{ij}}$, "
            "ideal $A^+_j = \\max_i v_{ij}$ and anti-ideal $A^-_j = \\min_i v_{ij}$ "
            f"({ref}), $D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$, $C_i = D^-_i/(D^+_i + D^-_i)$.",
            f"综合指数采用 TOPSIS 贴近度{_cite(_refs('topsis'), lang)}：$v_{{ij}} = w_j z_{{ij}}$，"
            f"正理想解 $A^+_j = \\max_i v_{{ij}}$、负理想解 $A^-_j = \\min_i v_{{ij}}$（{ref}），"
            "$D^\\pm_i = \\lVert v_i - A^\\pm\\rVert$，$C_i = D^-_i/(D^+_i + D^-_i)$。")
    rho = s.get("rho", 0.5)
    return _T(
        lang,
        f"The index is the weighted grey relational grade{_cite(_refs('gra'), lang)} to the reference "
        "sequence $x^0_j = \\max_i z_{ij}$: $\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + "
        f"\\rho\\Delta_{{\\max}})$ with $\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$ and $\\rho = {_fmt(rho)}$, "
        "$r_i = \\sum_j w_j \\xi_{ij}$.",
        f"综合指数采用加权灰色关联度{_cite(_refs('gra'), lang)}，参考序列 $x^0_j = \\max_i z_{{ij}}$："
        "$\\xi_{ij} = (\\Delta_{\\min} + \\rho\\Delta_{\\max})/(\\Delta_{ij} + \\rho\\Delta_{\\max})$，"
        f"$\\Delta_{{ij}} = |x^0_j - z_{{ij}}|$，分辨系数 $\\rho = {_fmt(rho)}$，$r_i = \\sum_j w_j \\xi_{{ij}}$。")


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
    head = (f"**{record.heading(lang)}** (`{spec.name}`; {_T(lang, 'settings', '设置')}: "
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
