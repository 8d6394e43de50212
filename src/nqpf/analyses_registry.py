"""The analyses a study can ask for, wired to the pandas-facing analysis functions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from nqpf.errors import StudyError
from nqpf.study import StudyRun, analysis


def _index(run: StudyRun, name: str | None, role: str = "nqpf") -> tuple[str, Any]:
    if name is None:
        names = run.by_role(role)
        if not names:
            raise StudyError(f"the study has no index with role '{role}'")
        name = names[0]
    if name not in run.results:
        raise StudyError(f"unknown index '{name}'; the study measures {list(run.results)}")
    return name, run.results[name]


@analysis("compare")
def _compare(run: StudyRun, indices: list[str] | None = None, top: int = 5) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.agreement import rank_agreement

    names = indices or run.by_role("nqpf")
    if len(names) < 2:
        raise StudyError("[analyses.compare] needs two indices")
    a, b = names[:2]
    _index(run, a)
    _index(run, b)
    res = rank_agreement(run.results[a], run.results[b], a, b, top=top)
    return res, {f"compare_{a}_vs_{b}": res.to_frame()}


@analysis("dagum")
def _dagum(run: StudyRun, index: str | None = None, bootstrap: int = 0, seed: int = 0,
           groups: dict[str, str] | None = None) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.disparity import dagum_gini_by_year

    name, res = _index(run, index)
    out = dagum_gini_by_year(res, groups=groups, bootstrap=bootstrap, seed=seed)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"dagum_{name}": out.to_frame()}


@analysis("kernel_density")
def _kde(run: StudyRun, index: str | None = None, bandwidth: str | float = "scott",
         grid: int = 200) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.dynamics import kernel_density

    name, res = _index(run, index)
    out = kernel_density(res, bandwidth=bandwidth, grid=grid)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"kernel_density_{name}": out.to_frame()}


def _weights_for(res: Any, kind: str, k: int) -> Any:
    from nqpf.analysis.spatial import spatial_weights

    return spatial_weights(res.units, kind=kind, k=k)


@analysis("markov")
def _markov(run: StudyRun, index: str | None = None, k: int = 4,
            classify: str = "pooled") -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.dynamics import markov

    name, res = _index(run, index)
    out = markov(res, k=k, classify=classify)  # type: ignore[arg-type]
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"markov_{name}": out.to_frame()}


@analysis("spatial_markov")
def _spatial_markov(run: StudyRun, index: str | None = None, k: int = 4, weights: str = "contiguity",
                    knn: int = 4, classify: str = "pooled") -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.dynamics import spatial_markov

    name, res = _index(run, index)
    out = spatial_markov(res, w=_weights_for(res, weights, knn), k=k, classify=classify,  # type: ignore[arg-type]
                         fill_empty_classes=True)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"spatial_markov_{name}": out.to_frame()}


@analysis("moran")
def _moran(run: StudyRun, index: str | None = None, weights: str = "contiguity", knn: int = 4,
           permutations: int = 999, seed: int = 0) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.spatial import moran

    name, res = _index(run, index)
    out = moran(res, w=_weights_for(res, weights, knn), permutations=permutations, seed=seed)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"moran_{name}": out.to_frame()}


@analysis("lisa")
def _lisa(run: StudyRun, index: str | None = None, weights: str = "contiguity", knn: int = 4,
          permutations: int = 999, seed: int = 0, alpha: float = 0.05) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.spatial import lisa

    name, res = _index(run, index)
    out = lisa(res, w=_weights_for(res, weights, knn), permutations=permutations, seed=seed, alpha=alpha)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"lisa_{name}": out.to_frame()}


@analysis("convergence")
def _convergence(run: StudyRun, index: str | None = None) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.convergence import beta_convergence, sigma_convergence

    name, res = _index(run, index)
    out = ConvergenceBundle(name, sigma_convergence(res), beta_convergence(res, conditional=False),
                            beta_convergence(res, conditional=True))
    return out, {f"sigma_convergence_{name}": out.sigma.to_frame(),
                 f"beta_convergence_{name}": pd.concat(
                     [out.beta_absolute.to_frame().assign(model="absolute"),
                      out.beta_conditional.to_frame().assign(model="conditional")], ignore_index=True)}


class ConvergenceBundle:
    """σ-convergence with absolute and conditional β-convergence of one index."""

    def __init__(self, index_name: str, sigma: Any, beta_absolute: Any, beta_conditional: Any) -> None:
        self.index_name = index_name
        self.sigma = sigma
        self.beta_absolute = beta_absolute
        self.beta_conditional = beta_conditional

    def to_frame(self) -> pd.DataFrame:
        return self.sigma.to_frame()

    def summary(self) -> str:
        return "\n".join([self.sigma.summary(), self.beta_absolute.summary(), self.beta_conditional.summary()])


@analysis("coupling")
def _coupling(run: StudyRun, systems: list[str] | None = None, alpha: list[float] | None = None,
              variant: str = "standard") -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.coupling import coupling_coordination

    names = systems or [*run.by_role("nqpf")[:1], *run.by_role("hqd")[:1]]
    if len(names) < 2:
        raise StudyError("[analyses.coupling] needs two or more systems (an nqpf and an hqd index)")
    for n in names:
        _index(run, n)
    out = coupling_coordination(*(run.results[n] for n in names), alpha=alpha, variant=variant, names=names)
    return out, {"coupling_" + "_".join(names): out.to_frame()}


@analysis("obstacle")
def _obstacle(run: StudyRun, index: str | None = None, top: int = 3) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.obstacle import obstacle_degree

    name, res = _index(run, index)
    out = obstacle_degree(res, top=top)
    out.index_name = name  # type: ignore[attr-defined]
    return out, {f"obstacle_levers_{name}": out.levers, f"obstacle_dimensions_{name}": out.dimensions,
                 f"obstacle_factors_{name}": out.factors, f"obstacle_top_{name}": out.top_table(top)}


@analysis("regression")
def _regression(run: StudyRun, y: str | None = None, x: str | None = None,
                controls: dict[str, str] | None = None, lags: list[int] | None = None,
                cluster: str = "entity") -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf import expr
    from nqpf.analysis.regression import panel_regression

    yname, yres = _index(run, y, role="hqd")
    xname, xres = _index(run, x, role="nqpf")
    ctrl = None
    if controls:
        data = run.panel.data
        ctrl = pd.DataFrame({k: expr.evaluate(v, data, name=k) for k, v in controls.items()})
    out = panel_regression(yres, xres, controls=ctrl, cluster=cluster, lags=tuple(lags or (0, 1)))
    out.y_name, out.x_name = yname, xname  # type: ignore[attr-defined]
    return out, {f"regression_{yname}_on_{xname}": out.to_frame()}


@analysis("uncertainty")
def _uncertainty(run: StudyRun, index: str | None = None, draws: int = 1000, concentration: float = 100.0,
                 bootstrap: int = 200, seed: int = 0, methods: bool = True,
                 leave_one_out: bool = True) -> tuple[Any, dict[str, pd.DataFrame]]:
    from nqpf.analysis.uncertainty import uncertainty_analysis

    name, res = _index(run, index)
    out = uncertainty_analysis(res, run.panel, draws=draws, concentration=concentration, bootstrap=bootstrap,
                               seed=seed, methods=methods, loo=leave_one_out)
    out.index_name = name  # type: ignore[attr-defined]
    return out, out.tables(f"uncertainty_{name}")
