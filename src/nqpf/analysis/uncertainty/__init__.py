"""Robustness and uncertainty of a composite index (稳健性与不确定性分析), split by method.

Every part re-measures through the one measurement engine (:class:`nqpf.pipeline.Pipeline`): Monte Carlo
weights (:mod:`.montecarlo`), method sensitivity (:mod:`.sensitivity`), leave-one-out (:mod:`.loo`), the
bootstrap (:mod:`.resampling`) and the bundle a study runs (:mod:`.bundle`).
"""

from __future__ import annotations

from nqpf.analysis.uncertainty.bundle import UncertaintyResult, uncertainty_analysis
from nqpf.analysis.uncertainty.common import rank_histogram
from nqpf.analysis.uncertainty.loo import LeaveOneOutResult, leave_one_out
from nqpf.analysis.uncertainty.montecarlo import MonteCarloResult, draw_weights, monte_carlo_weights
from nqpf.analysis.uncertainty.resampling import BootstrapResult, bootstrap
from nqpf.analysis.uncertainty.sensitivity import MethodSensitivity, method_sensitivity

__all__ = [
    "BootstrapResult",
    "LeaveOneOutResult",
    "MethodSensitivity",
    "MonteCarloResult",
    "UncertaintyResult",
    "bootstrap",
    "draw_weights",
    "leave_one_out",
    "method_sensitivity",
    "monte_carlo_weights",
    "rank_histogram",
    "uncertainty_analysis",
]
