"""Analyses of measured indices: disparity, dynamics, spatial structure, convergence, the link to
high-quality development, diagnosis and uncertainty. Each takes an IndexResult (or plain arrays) and
returns a result object with ``.to_frame()`` and ``.summary()``."""

from __future__ import annotations

from nqpf.analysis.agreement import RankAgreement, rank_agreement
from nqpf.analysis.convergence import (
    BetaConvergenceResult,
    SigmaConvergenceResult,
    beta_convergence,
    sigma_convergence,
)
from nqpf.analysis.coupling import (
    COORDINATION_LEVELS,
    CouplingResult,
    coordination_level,
    coupling_coordination,
    coupling_degree,
)
from nqpf.analysis.disparity import DagumByYear, DagumResult, dagum_gini, dagum_gini_by_year
from nqpf.analysis.dynamics import (
    KernelDensityResult,
    MarkovResult,
    SpatialMarkovResult,
    kernel_density,
    markov,
    spatial_markov,
)
from nqpf.analysis.fit import RelationsFitResult, relations_fit
from nqpf.analysis.leap import LeapResult, leap
from nqpf.analysis.obstacle import ObstacleResult, obstacle_degree, obstacle_shares
from nqpf.analysis.regression import RegressionResult, panel_regression
from nqpf.analysis.scenario import ScenarioResult, ScenarioWarning, parse_change, scenario
from nqpf.analysis.spatial import LisaResult, LocalMoran, MoranResult, lisa, local_moran, moran
from nqpf.analysis.uncertainty import (
    BootstrapResult,
    LeaveOneOutResult,
    MethodSensitivity,
    MonteCarloResult,
    UncertaintyResult,
    bootstrap,
    draw_weights,
    leave_one_out,
    method_sensitivity,
    monte_carlo_weights,
    uncertainty_analysis,
)

__all__ = [
    "COORDINATION_LEVELS",
    "BetaConvergenceResult",
    "BootstrapResult",
    "CouplingResult",
    "DagumByYear",
    "DagumResult",
    "KernelDensityResult",
    "LeapResult",
    "LeaveOneOutResult",
    "LisaResult",
    "LocalMoran",
    "MarkovResult",
    "MethodSensitivity",
    "MonteCarloResult",
    "MoranResult",
    "ObstacleResult",
    "RankAgreement",
    "RegressionResult",
    "RelationsFitResult",
    "ScenarioResult",
    "ScenarioWarning",
    "SigmaConvergenceResult",
    "SpatialMarkovResult",
    "UncertaintyResult",
    "beta_convergence",
    "bootstrap",
    "coordination_level",
    "coupling_coordination",
    "coupling_degree",
    "dagum_gini",
    "dagum_gini_by_year",
    "draw_weights",
    "kernel_density",
    "leap",
    "leave_one_out",
    "lisa",
    "local_moran",
    "markov",
    "method_sensitivity",
    "monte_carlo_weights",
    "moran",
    "obstacle_degree",
    "obstacle_shares",
    "panel_regression",
    "parse_change",
    "rank_agreement",
    "relations_fit",
    "scenario",
    "sigma_convergence",
    "spatial_markov",
    "uncertainty_analysis",
]
