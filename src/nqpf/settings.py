"""Measurement settings (测度设置): one typed, frozen object; every default is written here once.

``measure()``, ``rescore``, the uncertainty analyses and the study file's ``[[index]]`` all take these
fields; the method names are checked against the method registry (:mod:`nqpf.methods.registry`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nqpf.core.errors import NqpfError
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, WEIGHTINGS

__all__ = ["MeasureSettings"]


class MeasureSettings(BaseModel):
    """How an index is measured: normalisation, weighting, aggregation and their parameters.

    Attributes
    ----------
    normalization : a key of the normalisation registry (minmax, zscore, vector).
    scope : "pooled" (bounds over all units and years: scores comparable across years) or "per_year".
    shift : the translation added after min–max normalisation (平移, keeps logarithms finite).
    weighting : a key of the weighting registry (global_entropy, entropy, critic, cv, sd, equal, ahp,
        combined).
    aggregation : a key of the aggregation registry (weighted_sum, topsis, gra).
    tree : "flat" (weights over all indicators at once) or "hierarchical" (level by level).
    rho : GRA's distinguishing coefficient, in (0, 1].
    objective : the objective method combined with AHP under ``weighting="combined"``.
    combine : how subjective and objective weights are combined (multiplicative, linear, game).
    alpha : the subjective share under ``combine="linear"``.
    allow_inconsistent_ahp : accept AHP matrices with CR >= 0.1.

    Examples
    --------
    >>> s = MeasureSettings(weighting="critic")
    >>> s.normalization, s.weighting, s.scope
    ('minmax', 'critic', 'pooled')
    >>> s.replace(aggregation="topsis").aggregation
    'topsis'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    normalization: str = "minmax"
    scope: Literal["pooled", "per_year"] = "pooled"
    shift: float = 1e-4
    weighting: str = "global_entropy"
    aggregation: str = "weighted_sum"
    tree: Literal["flat", "hierarchical"] = "flat"
    rho: float = Field(0.5, gt=0.0, le=1.0)
    objective: str = "global_entropy"
    combine: Literal["multiplicative", "linear", "game"] = "multiplicative"
    alpha: float = Field(0.5, ge=0.0, le=1.0)
    allow_inconsistent_ahp: bool = False

    @field_validator("normalization")
    @classmethod
    def _normalization(cls, v: str) -> str:
        NORMALIZATIONS[v]
        return v

    @field_validator("weighting", "objective")
    @classmethod
    def _weighting(cls, v: str) -> str:
        WEIGHTINGS[v]
        return v

    @field_validator("aggregation")
    @classmethod
    def _aggregation(cls, v: str) -> str:
        AGGREGATIONS[v]
        return v

    @classmethod
    def of(cls, **kw: Any) -> MeasureSettings:
        """Settings from keyword arguments; a bad value raises NqpfError naming the setting."""
        try:
            return cls(**kw)
        except ValidationError as exc:
            raise NqpfError(_message(exc)) from None

    def replace(self, **kw: Any) -> MeasureSettings:
        """A copy with some settings changed (validated)."""
        return type(self).of(**{**self.model_dump(), **kw})

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (for provenance.json)."""
        return self.model_dump()


def _message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(map(str, e["loc"]))
        ctx = e.get("ctx", {})
        if e["type"] == "literal_error":
            parts.append(f"unknown {loc} {e.get('input')!r}; use one of {ctx.get('expected')}")
        elif e["type"] == "extra_forbidden":
            parts.append(f"unknown setting {loc!r}; settings are {list(MeasureSettings.model_fields)}")
        elif e["type"] == "value_error" and isinstance(ctx.get("error"), NqpfError):
            parts.append(str(ctx["error"]))
        else:
            parts.append(f"{loc}: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(parts)
