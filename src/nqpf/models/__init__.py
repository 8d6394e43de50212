"""Explaining NQPF (解释性分析): models of what drives new quality productive forces and what they drive.

Every model result derives from :class:`nqpf.models.base.ModelResult` (the common result interface plus
``estimates()`` and ``publication_table()``); every model registers itself in the analysis registry with
``section="explain"`` and is requested in a study file as ``[models.<label>]`` with ``model = "<name>"``.
"""

from __future__ import annotations

from nqpf.models import spatial_panel  # noqa: F401  (registers "spatial_panel")
from nqpf.models.base import ModelResult
from nqpf.models.estimates import Estimates
from nqpf.models.tables import publication_table

__all__ = ["Estimates", "ModelResult", "publication_table"]
