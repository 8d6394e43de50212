"""Bilingual labels (中英文标签): one vocabulary for summaries, reports, figures and workbooks.

:func:`t` looks a key up in :data:`LABELS` (key -> (zh, en)); analyses add their own keys where they are
defined with :func:`add_labels`, so a new analysis never edits this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nqpf.core.errors import StudyError

__all__ = ["LABELS", "LANGS", "add_labels", "bilingual", "check_lang", "join", "num", "pct", "t"]

LANGS = ("zh", "en")

#: key -> (zh, en). Headings, axis titles, legend entries and short phrases.
LABELS: dict[str, tuple[str, str]] = {
    # page
    "report_title": ("新质生产力测度报告", "New quality productive forces: measurement report"),
    "generated": ("生成时间", "Generated"),
    "contents": ("目录", "Contents"),
    "offline_note": ("本报告为单一离线文件,图表可交互(悬停、缩放、拖动年份滑块)。",
                     "This report is one offline file; the charts are interactive "
                     "(hover, zoom, drag the year slider)."),
    # sections
    "sec_overview": ("概览:数据、指标体系与方法", "Overview: data, framework and method"),
    "sec_index": ("指数测度结果", "The index"),
    "sec_disparity": ("区域差异与分布动态", "Disparity and dynamics"),
    "sec_hqd": ("高质量发展:耦合协调与障碍因子", "High-quality development: coupling and obstacles"),
    "sec_robustness": ("稳健性与不确定性", "Robustness and uncertainty"),
    "sec_other": ("其他分析", "Other analyses"),
    # overview
    "data": ("数据", "Data"),
    "framework": ("指标体系", "Framework"),
    "framework_tree": ("指标体系结构与权重", "Framework tree and weights"),
    "weights_table": ("权重表", "Weights"),
    "method": ("方法选择及其后果", "Method choices and their consequences"),
    "cells": ("插补与剔除的数据", "Imputed and dropped data"),
    "notes": ("说明", "Notes"),
    "no_cells": ("没有单元格被插补、剔除或截断。", "No cell was imputed, dropped or clipped."),
    "cells_shown": ("(仅显示前 {n} 行,完整列表见 provenance_cells.csv)",
                    "(first {n} rows; the full list is in tables/provenance_cells.csv)"),
    # index
    "map": ("分省地图", "Map of the provinces"),
    "ranking": ("排名", "Ranking"),
    "trends": ("全国与四大区域均值趋势", "National and regional means over time"),
    "dimension_heatmap": ("分维度得分", "Dimension scores"),
    "year": ("年份", "Year"),
    "score": ("得分", "Score"),
    "rank": ("排名", "Rank"),
    "rank_change": ("排名变化", "Change in rank"),
    "unit": ("地区", "Unit"),
    "province": ("省份", "Province"),
    "region": ("区域", "Region"),
    "national": ("全国", "National"),
    "national_mean": ("全国均值", "National mean"),
    "mean": ("均值", "Mean"),
    "mean_score": ("平均得分", "Mean score"),
    "no_data": ("无数据", "No data"),
    "not_in_panel": ("不在样本内", "Not in the panel"),
    "dimension": ("维度", "Dimension"),
    "dimensions": ("一级维度", "Dimensions"),
    "factor": ("生产要素", "Factors of production"),
    "new": ("“三新”", "New technology / economy / business forms"),
    "lever": ("政策抓手", "Policy levers"),
    "indicator": ("指标", "Indicator"),
    "indicators": ("指标", "Indicators"),
    "direction": ("方向", "Direction"),
    "positive": ("正向", "positive"),
    "negative": ("负向", "negative"),
    "interval": ("适度", "interval"),
    "weight": ("权重", "Weight"),
    "global_weight": ("综合权重", "Global weight"),
    "measure_unit": ("单位", "Unit"),
    "sub_index": ("分项指数", "Sub-index"),
    # disparity
    "dagum": ("Dagum 基尼系数及其分解", "Dagum Gini coefficient and its decomposition"),
    "dagum_contrib": ("差异来源贡献率", "Contributions to the overall Gini"),
    "contribution": ("贡献率", "Contribution"),
    "gini": ("基尼系数", "Gini ratio"),
    "Gw": ("区域内差异", "Within regions (Gw)"),
    "Gnb": ("区域间净差异", "Between regions, net (Gnb)"),
    "Gt": ("超变密度", "Transvariation (Gt)"),
    "G": ("总体基尼系数", "Overall Gini (G)"),
    "kernel": ("核密度估计", "Kernel density"),
    "density": ("密度", "Density"),
    "markov": ("马尔可夫转移概率矩阵", "Markov transition probabilities"),
    "spatial_markov": ("空间马尔可夫链", "Spatial Markov chain"),
    "class_from": ("t 年类型", "Class in year t"),
    "class_to": ("t+1 年类型", "Class in year t+1"),
    "probability": ("概率", "Probability"),
    "neighbours": ("邻域类型", "Neighbours' class"),
    "moran": ("全局莫兰指数", "Global Moran's I"),
    "moran_scatter": ("莫兰散点图", "Moran scatter plot"),
    "lisa": ("LISA 集聚图", "LISA cluster map"),
    "z_value": ("标准化得分 z", "Standardised score z"),
    "lag_z": ("空间滞后 Wz", "Spatial lag Wz"),
    "HH": ("高-高集聚", "High-high"),
    "LL": ("低-低集聚", "Low-low"),
    "LH": ("低-高集聚", "Low-high"),
    "HL": ("高-低集聚", "High-low"),
    "not significant": ("不显著", "Not significant"),
    "p_value": ("p 值", "p-value"),
    "convergence": ("收敛性", "Convergence"),
    "sigma": ("σ 收敛:变异系数", "σ-convergence: coefficient of variation"),
    "cv": ("变异系数", "Coefficient of variation"),
    # hqd
    "coupling": ("耦合协调度", "Coupling coordination degree"),
    "coupling_map": ("耦合协调度地图", "Map of the coupling coordination degree"),
    "coupling_classes": ("耦合协调等级分布", "Coordination classes"),
    "coupling_class": ("协调等级", "Coordination class"),
    "count": ("个数", "Count"),
    "obstacle": ("障碍度", "Obstacle degree"),
    "obstacle_levers": ("按政策抓手的障碍度", "Obstacle degree by policy lever"),
    "obstacle_pct": ("障碍度 (%)", "Obstacle degree (%)"),
    "main_obstacle": ("主要障碍", "Main obstacle"),
    "untagged": ("未标注", "Untagged"),
    "other": ("其他", "Other"),
    # robustness
    "uncertainty": ("排名区间", "Rank intervals"),
    "rank_interval": ("排名区间(中位数与区间)", "Rank interval (median and range)"),
    "median_rank": ("蒙特卡洛中位排名与 90% 区间", "Monte Carlo median rank and 90% interval"),
    "point_rank": ("测度排名", "Measured rank"),
    "method_corr": ("不同方法得分的相关系数", "Correlation of scores across methods"),
    "compare": ("两种指数的排名一致性", "Rank agreement of two indices"),
    "correlation": ("相关系数", "Correlation"),
    "regression": ("面板回归", "Panel regression"),
    # generic
    "table": ("表", "Table"),
    "summary": ("摘要", "Summary"),
    "value": ("数值", "Value"),
    "share": ("占比", "Share"),
    "imputed": ("插补", "imputed"),
    "dropped": ("剔除", "dropped"),
    "clipped": ("截断", "clipped"),
    "action": ("处理", "Action"),
    "reason": ("原因", "Reason"),
    "before": ("原值", "Before"),
    "after": ("新值", "After"),
    "column": ("变量", "Column"),
    "index": ("指数", "Index"),
    "settings": ("设置", "Settings"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # figure notes
    "font_fallback": ("未找到中文字体,PNG 图中的标签改用英文", "no CJK font found; PNG labels fall back to English"),
}



def add_labels(labels: Mapping[str, tuple[str, str]]) -> None:
    """Add (key -> (zh, en)) labels; a key already defined with a different text is an error.

    Examples
    --------
    >>> add_labels({"example_key": ("示例", "Example")})
    >>> t("example_key", "zh"), t("example_key", "en")
    ('示例', 'Example')
    """
    for key, pair in labels.items():
        old = LABELS.get(key)
        if old is not None and tuple(old) != tuple(pair):
            raise ValueError(f"label {key!r} is already defined as {old}, not {pair}")
        LABELS[key] = (pair[0], pair[1])


def check_lang(lang: str) -> str:
    """The language code, or a StudyError saying which codes exist."""
    if lang not in LANGS:
        raise StudyError(f"unknown report language {lang!r}; use 'zh' (中文) or 'en' (English)")
    return lang


def t(key: str, lang: str, **fmt: Any) -> str:
    """The label ``key`` in ``lang`` (zh or en), formatted with ``fmt``; an unknown key is returned as is."""
    pair = LABELS.get(key)
    if pair is None:
        return key.format(**fmt) if fmt else key
    s = pair[0] if lang == "zh" else pair[1]
    return s.format(**fmt) if fmt else s


def bilingual(zh: str, en: str, lang: str = "en") -> str:
    """Both names, the chosen language first: ``"得分 / Score"`` (zh) or ``"Score / 得分"`` (en)."""
    if zh == en or not zh:
        return en
    if not en:
        return zh
    return f"{zh} / {en}" if lang == "zh" else f"{en} / {zh}"


def num(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals; '–' for missing."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if not np.isfinite(v) else f"{v:.{digits}f}"


def pct(x: Any, digits: int = 1) -> str:
    """A share (0–1) as a percentage."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if not np.isfinite(v) else f"{100 * v:.{digits}f}%"


def join(items: Sequence[str], lang: str) -> str:
    """A list in running text: 、 in Chinese, commas and 'and' in English."""
    items = [str(i) for i in items]
    if lang == "zh":
        return "、".join(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f" and {items[-1]}"
