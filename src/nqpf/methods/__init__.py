"""Measurement kernels (测度方法): pure numpy, arrays in, arrays out.

- :mod:`nqpf.methods.normalize`: ``minmax``, ``interval``, ``zscore``, ``vector``, ``column_bounds``,
  ``by_group``.
- :mod:`nqpf.methods.weights`: ``entropy`` (= ``global_entropy`` on a stacked panel), ``critic``, ``cv``,
  ``equal``, ``ahp``, ``combined``.
- :mod:`nqpf.methods.aggregate`: ``weighted_sum``, ``topsis``, ``gra``.

Rows are unit-years, columns are indicators. Every kernel validates its input and raises
:class:`nqpf.core.errors.MethodError` with ``column`` / ``row`` positions set.
"""

from __future__ import annotations

from nqpf.methods import aggregate, normalize, weights
from nqpf.methods.aggregate import gra, topsis, weighted_sum
from nqpf.methods.normalize import by_group, column_bounds, interval, minmax, vector, zscore
from nqpf.methods.weights import ahp, combined, critic, cv, entropy, equal, global_entropy

__all__ = [
    "aggregate",
    "ahp",
    "by_group",
    "column_bounds",
    "combined",
    "critic",
    "cv",
    "entropy",
    "equal",
    "global_entropy",
    "gra",
    "interval",
    "minmax",
    "normalize",
    "topsis",
    "vector",
    "weighted_sum",
    "weights",
    "zscore",
]
