"""The method registry (方法注册表): every normalisation, weighting and aggregation, registered once.

Each kernel module registers its methods where they are defined::

    @register("weighting", "critic", label=("CRITIC 赋权法", "CRITIC weighting"),
              refs=("diakoulaki1995",), page="critic", prose=_critic_prose)
    def critic(Z, ...): ...

An entry carries the key, the kernel, the (zh, en) label, the reference keys (:mod:`nqpf.core.references`),
the docs page and ``prose(facts, lang)``, the paragraph methods.md and the report print (``facts`` is a
mapping with the run's settings and a few numbers such as ``n_rows``). :func:`nqpf.measure.measure`, the
uncertainty analyses, the report, methods.md, the docs and ``nqpf cite`` read these registries; nothing
else lists the methods. Adding a weighting method therefore touches its kernel module (kernel +
registration), its test and its docs page.

``engine`` is the batch implementation the measurement pipeline calls (the public kernel is built on it):
for a weighting ``engine(M) -> (W, bad)`` on a batch of matrices (..., n, k); for an aggregation an
:class:`~nqpf.methods.aggregate.Aggregator`. Weighting entries also say how the engine calls them:
``family`` is "objective" (weights from a matrix), "subjective" (AHP: from the framework's pairwise
matrices) or "combined"; ``input`` is "normalized" (the normalised matrix) or "raw"
(the indicator values, e.g. the coefficient of variation); ``per_year`` marks a cross-section method whose
weights differ by year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nqpf.core.errors import MethodError
from nqpf.core.registry import Registry

__all__ = ["AGGREGATIONS", "NORMALIZATIONS", "TECHNIQUES", "WEIGHTINGS", "MethodSpec", "method", "register"]

Kind = Literal["normalization", "weighting", "aggregation", "technique"]
Prose = Callable[[Mapping[str, Any], str], str]


@dataclass(frozen=True)
class MethodSpec:
    """One registered method (see the module docstring)."""

    kind: Kind
    key: str
    kernel: Callable[..., Any] | None
    label: tuple[str, str]
    refs: tuple[str, ...] = ()
    page: str = ""
    prose: Prose | None = None
    family: Literal["objective", "subjective", "combined", ""] = ""
    input: Literal["normalized", "raw"] = "normalized"
    per_year: bool = False
    engine: Any = None

    def label_in(self, lang: str) -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.label[0] if lang == "zh" else self.label[1]

    def text(self, facts: Mapping[str, Any], lang: str) -> str:
        """The methods paragraph for a run with these ``facts`` (empty if the method has no prose)."""
        return self.prose(facts, lang) if self.prose is not None else ""


NORMALIZATIONS: Registry[MethodSpec] = Registry("normalization", MethodError)
WEIGHTINGS: Registry[MethodSpec] = Registry("weighting", MethodError)
AGGREGATIONS: Registry[MethodSpec] = Registry("aggregation", MethodError)
#: Other citable techniques of a measurement: pooled / per-year bounds, interval indicators, interpolation,
#: level-by-level weighting, the game-theory combination.
TECHNIQUES: Registry[MethodSpec] = Registry("technique", MethodError)

_BY_KIND: dict[str, Registry[MethodSpec]] = {
    "normalization": NORMALIZATIONS, "weighting": WEIGHTINGS, "aggregation": AGGREGATIONS, "technique": TECHNIQUES,
}


def register(kind: Kind, key: str, *, label: tuple[str, str], refs: tuple[str, ...] = (), page: str = "",
             prose: Prose | None = None, family: Literal["objective", "subjective", "combined", ""] = "",
             input: Literal["normalized", "raw"] = "normalized", per_year: bool = False, engine: Any = None
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``kernel`` under ``key`` in the ``kind`` registry; returns the kernel unchanged.

    Examples
    --------
    >>> from nqpf.methods.registry import WEIGHTINGS
    >>> WEIGHTINGS["critic"].label
    ('CRITIC 赋权法', 'CRITIC weighting')
    """

    def deco(kernel: Callable[..., Any]) -> Callable[..., Any]:
        _BY_KIND[kind].add(key, MethodSpec(kind, key, kernel, label, tuple(refs), page, prose, family, input,
                                           per_year, engine))
        return kernel

    return deco


def method(key: str) -> MethodSpec:
    """The entry of any registered method or technique by key (for citations and methods text).

    Examples
    --------
    >>> method("topsis").kind, method("pooled").kind
    ('aggregation', 'technique')
    """
    for reg in _BY_KIND.values():
        if key in reg:
            return reg[key]
    known = [k for reg in _BY_KIND.values() for k in reg]
    raise MethodError(f"unknown method {key!r}; known: {', '.join(known)}")
