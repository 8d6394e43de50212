"""Report-only labels: table column headers for the workbook and small framework label helpers.

The bilingual vocabulary (:func:`nqpf.core.i18n.t`) and unit names (:func:`nqpf.core.units.unit_name`)
live in the core so that every result can speak both languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nqpf.core.i18n import t

if TYPE_CHECKING:
    from nqpf.core.framework import Framework

#: Column names of the run's tables -> (zh, en) header labels (the workbook's second header row).
COLUMNS: dict[str, tuple[str, str]] = {
    "unit": ("地区", "Unit"),
    "year": ("年份", "Year"),
    "score": ("得分", "Score"),
    "rank": ("排名", "Rank"),
    "id": ("编号", "ID"),
    "parent": ("上级节点", "Parent"),
    "level": ("层级", "Level"),
    "kind": ("类型", "Kind"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "weight": ("权重(同级内)", "Weight (within parent)"),
    "global_weight": ("综合权重", "Global weight"),
    "indicator": ("指标", "Indicator"),
    "direction": ("方向", "Direction"),
    "best_low": ("适度区间下限", "Best range, low"),
    "best_high": ("适度区间上限", "Best range, high"),
    "definition": ("定义", "Definition"),
    "dimension": ("一级维度", "Dimension"),
    "path": ("路径", "Path"),
    "factor": ("生产要素", "Factor of production"),
    "new": ("“三新”", "New tech/economy/business forms"),
    "lever": ("政策抓手", "Policy lever"),
    "rationale": ("依据", "Rationale"),
    "source": ("来源", "Source"),
    "action": ("处理", "Action"),
    "column": ("变量", "Column"),
    "before": ("原值", "Before"),
    "after": ("新值", "After"),
    "reason": ("原因", "Reason"),
    "index": ("指数", "Index"),
    "value": ("数值", "Value"),
    "share": ("占比", "Share"),
    "term": ("项", "Term"),
    "G": ("总体基尼系数", "Overall Gini"),
    "Gw": ("区域内差异", "Within-group Gini"),
    "Gnb": ("区域间净差异", "Net between-group Gini"),
    "Gt": ("超变密度", "Transvariation"),
    "C": ("耦合度", "Coupling degree"),
    "T": ("综合协调指数", "Comprehensive coordination index"),
    "D": ("耦合协调度", "Coupling coordination degree"),
    "level_zh": ("协调等级(中文)", "Class (Chinese)"),
    "level_en": ("协调等级(英文)", "Class (English)"),
    "obstacle": ("障碍度(%)", "Obstacle degree (%)"),
    "I": ("莫兰指数", "Moran's I"),
    "EI": ("期望值", "Expected I"),
    "z_norm": ("z 值(正态)", "z (normal)"),
    "p_norm": ("p 值(正态)", "p (normal)"),
    "p_sim": ("p 值(置换)", "p (permutation)"),
    "n": ("样本数", "n"),
    "mean": ("均值", "Mean"),
    "sd": ("标准差", "Standard deviation"),
    "cv": ("变异系数", "Coefficient of variation"),
    "median": ("中位数", "Median"),
    "from": ("初始类型", "From class"),
    "lag": ("邻域类型", "Neighbours' class"),
    "coef": ("系数", "Coefficient"),
    "se": ("标准误", "Standard error"),
    "t": ("t 值", "t"),
    "p": ("p 值", "p"),
    "quadrant": ("象限", "Quadrant"),
    "cluster": ("集聚类型", "Cluster"),
    "quadrant_zh": ("象限(中文)", "Quadrant (Chinese)"),
    "cluster_zh": ("集聚类型(中文)", "Cluster (Chinese)"),
    "significant": ("显著", "Significant"),
    "z": ("标准化值", "Standardised value"),
    "lag_z": ("空间滞后", "Spatial lag"),
    "Is": ("局部莫兰指数", "Local Moran's I"),
    "spearman": ("Spearman 相关", "Spearman correlation"),
    "kendall": ("Kendall 相关", "Kendall correlation"),
}


def node_label(framework: Framework, id_: str, lang: str) -> str:
    """The name of a framework node or indicator; unknown ids are returned as is."""
    try:
        return framework.label(id_, lang)
    except Exception:
        return id_


def tag_label(framework: Framework, kind: str, key: str, lang: str) -> str:
    """The name of a tag value (factor, new, lever), including the ``untagged`` / ``other`` buckets."""
    if key in ("untagged", "other"):
        return t(key, lang)
    try:
        return framework.tag_label(kind, key, lang)
    except KeyError:
        return key


def column_labels(column: str, framework: Framework | None = None, table: str = "") -> tuple[str, str]:
    """(zh, en) header labels of a table column: known columns, framework node ids, or the name itself."""
    if column == "unit" and table.endswith("_indicators"):
        return ("计量单位", "Unit of measure")
    if column in COLUMNS:
        return COLUMNS[column]
    if column.startswith("share:"):
        zh, en = COLUMNS.get(column[6:], (column[6:], column[6:]))
        return (f"{zh}贡献率", f"{en} share")
    if column.startswith("U_"):
        return (f"子系统 {column[2:]}", f"Subsystem {column[2:]}")
    if framework is not None:
        try:
            item = framework.item(column).item
            return (item.name_zh, item.name_en)
        except Exception:
            pass
    return (column, column)


def direction_label(direction: str, lang: str) -> str:
    """positive / negative / interval in ``lang``."""
    return t(direction, lang)
