"""The result base class of every model (模型结果): the result interface plus its publication-table columns."""

from __future__ import annotations

import pandas as pd

from nqpf.core.interface import Result
from nqpf.models.estimates import Estimates
from nqpf.models.tables import publication_table

__all__ = ["ModelResult"]


class ModelResult(Result):
    """Base of every model result: the result interface plus the columns of its publication table."""

    label = ("模型", "Model")

    def estimates(self) -> list[Estimates]:
        """The model's columns for a publication table."""
        raise NotImplementedError(f"{type(self).__name__}.estimates")

    def publication_table(self, lang: str = "en", stat: str = "se", digits: int = 3) -> pd.DataFrame:
        """The regression table as journals print it (see :func:`nqpf.models.tables.publication_table`)."""
        return publication_table(self.estimates(), lang=lang, stat=stat, digits=digits)
