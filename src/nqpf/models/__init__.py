"""Explaining NQPF (解释性分析): models of what drives new quality productive forces and what they drive.

Every model result derives from :class:`nqpf.models.base.ModelResult` (the common result interface plus
``estimates()`` and ``publication_table()``); every model registers itself in the analysis registry with
``section="explain"`` and is requested in a study file as ``[models.<label>]`` with ``model = "<name>"``.
"""

from __future__ import annotations

from nqpf.models import (  # noqa: F401  (register did, mediation, moderation, heterogeneity, channels)
    channels,
    did,
    mechanism,
    spatial_panel,
)
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.models.robustness import IVResult, RobustnessResult, iv_2sls, remeasure, robustness
from nqpf.models.tables import export_table, publication_table
from nqpf.models.threshold import ThresholdResult, threshold_regression

__all__ = [
    "Estimates",
    "IVResult",
    "ModelResult",
    "RobustnessResult",
    "ThresholdResult",
    "export_table",
    "iv_2sls",
    "publication_table",
    "remeasure",
    "robustness",
    "threshold_regression",
]
