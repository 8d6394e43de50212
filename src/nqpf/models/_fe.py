"""Two-way fixed-effects building blocks (双向固定效应) shared by mediation, moderation, heterogeneity and DID.

- :func:`model_frame`: a (unit, year)-indexed float frame from a Panel, an IndexResult, a DataFrame (indexed or
  with ``unit``/``year`` columns) — the one door every model's data comes through;
- :func:`fe_fit`: the within estimator with unit and year effects and standard errors clustered by unit, by
  linearmodels ``PanelOLS`` (the same covariance choices as :func:`nqpf.analysis.regression.panel_regression`);
- :func:`within`: the two-way within transformation of many columns at once (alternating projections; exact
  in one sweep for a balanced panel), optionally with unit weights (a cluster bootstrap's resampling counts);
- :func:`unit_cube` / :func:`weighted_crossproducts`: the cross-product matrices of the two-way within
  transformed data for many unit-weight vectors at once (bootstrap draws, permutations of group labels) on a
  balanced panel, without forming any resampled data set;
- :func:`estimates_from_fit`, :func:`wald_test`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.core.errors import DataError, MethodError, StudyError
from nqpf.core.panel import Panel
from nqpf.models.estimates import Estimates
from nqpf.result import IndexResult

__all__ = ["estimates_from_fit", "fe_fit", "model_frame", "study_frame", "unit_cube", "wald_test",
           "weighted_crossproducts", "within"]


def model_frame(data: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A float frame indexed by (unit, year) with the requested columns (all numeric columns if None).

    ``data``: a Panel, an IndexResult (its ``score`` under the framework's name, plus its dimension scores), a
    DataFrame indexed by (unit, year), or a flat DataFrame with ``unit`` and ``year`` columns.
    """
    if isinstance(data, Panel):
        df = data.data
    elif isinstance(data, IndexResult):
        df = data.scores.set_index(["unit", "year"])
        df = df.rename(columns={"score": data.framework.name})
    elif isinstance(data, pd.DataFrame):
        df = data
        if not isinstance(df.index, pd.MultiIndex) and {"unit", "year"} <= set(df.columns):
            df = df.set_index(["unit", "year"])
    else:
        raise DataError(f"data must be a Panel, an IndexResult or a DataFrame, got {type(data).__name__}")
    if not isinstance(df.index, pd.MultiIndex) or df.index.nlevels != 2:
        raise DataError("data must be indexed by (unit, year) or have 'unit' and 'year' columns")
    if columns is None:
        columns = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        known = ", ".join(map(str, list(df.columns)[:20]))
        raise DataError(f"no column(s) {missing} in the data; columns are: {known}")
    out = df[list(columns)].copy()
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(out[c])]
    if bad:
        raise DataError(f"column(s) {bad} are not numeric")
    out = out.astype(float)
    years = np.asarray(out.index.get_level_values(1), dtype=float)
    out.index = pd.MultiIndex.from_arrays([out.index.get_level_values(0).astype(str), years.astype(np.int64)],
                                          names=["unit", "year"])
    if out.index.duplicated().any():
        u, y = out.index[out.index.duplicated()][0]
        raise DataError(f"duplicate unit-year ({u}, {y}) in the data")
    return out.sort_index()


def fe_fit(frame: pd.DataFrame, y: str, x: Sequence[str], cluster: str | None = "entity",
           entity_effects: bool = True, time_effects: bool = True) -> Any:
    """Within estimator of ``y`` on ``x`` with unit and year effects (linearmodels PanelOLS).

    Standard errors: clustered by unit (``cluster="entity"``, default; linearmodels ``debiased=True`` and
    ``group_debias=True``, i.e. the small-sample factor G/(G-1)·(n-1)/(n-K)), "robust" or None
    (conventional). Rows with a missing value in y or x are dropped.
    """
    from linearmodels import PanelOLS

    df = frame[[y, *x]].dropna()
    if df.empty:
        raise DataError(f"no complete observation of {y} on {', '.join(x)}")
    if cluster == "entity":
        cov: dict[str, Any] = {"cov_type": "clustered", "cluster_entity": True, "group_debias": True}
    elif cluster == "robust":
        cov = {"cov_type": "robust"}
    elif cluster is None:
        cov = {"cov_type": "unadjusted"}
    else:
        raise MethodError(f"cluster must be 'entity', 'robust' or None, got {cluster!r}")
    exog = df[list(x)]
    if not entity_effects and not time_effects:
        exog = exog.assign(const=1.0)
    try:
        return PanelOLS(df[y], exog, entity_effects=entity_effects, time_effects=time_effects,
                        drop_absorbed=False).fit(debiased=True, **cov)
    except Exception as exc:  # linearmodels' own message names the absorbed or collinear variable
        raise MethodError(f"{y} on {', '.join(x)}: {exc}") from exc


def estimates_from_fit(fit: Any, name: str, dependent: str, keep: Sequence[str] | None = None,
                       labels: Mapping[str, tuple[str, str]] | None = None,
                       rows: Mapping[str, str] | None = None, stats_: Mapping[str, float] | None = None
                       ) -> Estimates:
    """One publication-table column from a linearmodels fit (``keep``: the variables shown, in order)."""
    names = list(keep) if keep is not None else list(fit.params.index)
    return Estimates(
        name=name, params=fit.params[names].astype(float), std_errors=fit.std_errors[names].astype(float),
        pvalues=fit.pvalues[names].astype(float), tstats=fit.tstats[names].astype(float), nobs=int(fit.nobs),
        stats={"R2 (within)": float(fit.rsquared), **dict(stats_ or {})},
        rows={"unit FE": "yes", "year FE": "yes", **dict(rows or {})}, dependent=dependent,
        labels=dict(labels or {}),
    )


def wald_test(params: pd.Series, cov: pd.DataFrame, names: Sequence[str], n_clusters: int | None = None
              ) -> dict[str, float]:
    """Joint test that the coefficients ``names`` are all zero: W = b'V⁻¹b ~ χ²(q), and F = W/q.

    F is referred to F(q, G − 1) with G clusters (Stata's ``test`` after a clustered regression), or to χ²(q)/q
    when ``n_clusters`` is None. Returns chi2, df, p_chi2, F, df2 and p.
    """
    b = params[list(names)].to_numpy(float)
    V = cov.loc[list(names), list(names)].to_numpy(float)
    q = len(b)
    if q == 0:
        return {"chi2": np.nan, "df": 0, "p_chi2": np.nan, "F": np.nan, "df2": np.nan, "p": np.nan}
    W = float(b @ np.linalg.solve(V, b))
    F = W / q
    df2 = float(n_clusters - 1) if n_clusters else np.inf
    p = float(stats.f.sf(F, q, df2)) if np.isfinite(df2) else float(stats.chi2.sf(W, q))
    return {"chi2": W, "df": q, "p_chi2": float(stats.chi2.sf(W, q)), "F": F, "df2": df2, "p": p}


def within(Z: np.ndarray, units: np.ndarray, years: np.ndarray, weights: np.ndarray | None = None,
           tol: float = 1e-11, max_iter: int = 10_000) -> np.ndarray:
    """Two-way within transformation (双向去均值) of the columns of ``Z`` by alternating projections.

    Parameters
    ----------
    Z : (n, k) array, one row per unit-year (no missing values).
    units, years : (n,) integer codes 0..N-1 and 0..T-1.
    weights : optional (n,) non-negative observation weights (a unit's bootstrap count on each of its rows).
    tol, max_iter : stop when the largest change of a sweep is below ``tol`` × (1 + max |Z|).

    Returns
    -------
    (n, k) residuals of the weighted projection of Z on unit and year dummies. On a balanced panel without
    weights, or with weights constant within units, one sweep is exact.

    Examples
    --------
    >>> Z = np.array([[1.0], [2.0], [4.0], [7.0]])
    >>> within(Z, np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])).ravel().round(6).tolist()
    [0.5, -0.5, -0.5, 0.5]
    """
    Z = np.asarray(Z, dtype=float)
    one_d = Z.ndim == 1
    R = Z.reshape(len(Z), -1).copy()
    w = np.ones(len(R)) if weights is None else np.asarray(weights, dtype=float)
    nu, nt = int(units.max()) + 1, int(years.max()) + 1
    wu = np.bincount(units, weights=w, minlength=nu)
    wt = np.bincount(years, weights=w, minlength=nt)
    wu[wu == 0] = 1.0
    wt[wt == 0] = 1.0
    scale = 1.0 + float(np.abs(R).max(initial=0.0))

    def group_means(codes: np.ndarray, tot: np.ndarray, size: int) -> np.ndarray:
        out = np.empty((size, R.shape[1]))
        for j in range(R.shape[1]):
            out[:, j] = np.bincount(codes, weights=w * R[:, j], minlength=size)
        return out / tot[:, None]

    for _ in range(max_iter):
        mu = group_means(units, wu, nu)
        R -= mu[units]
        mt = group_means(years, wt, nt)
        R -= mt[years]
        if max(np.abs(mu).max(initial=0.0), np.abs(mt).max(initial=0.0)) < tol * scale:
            break
    else:  # pragma: no cover - pathological designs only
        raise MethodError("the two-way within transformation did not converge; check for units observed in "
                          "a single year or years with a single unit")
    return R.ravel() if one_d else R


def unit_cube(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str], list[int]] | None:
    """The unit-demeaned data as an (N, T, k) array when the panel is balanced (else None).

    Removing each unit's own means is the part of the two-way within transformation that does not depend on
    how units are weighted; :func:`weighted_crossproducts` does the rest for any unit weights.
    """
    df = frame[list(columns)]
    units = list(dict.fromkeys(df.index.get_level_values(0)))
    years = sorted(set(df.index.get_level_values(1)))
    if len(df) != len(units) * len(years):
        return None
    full = df.reindex(pd.MultiIndex.from_product([units, years]))
    if full.isna().to_numpy().any():
        return None
    cube = full.to_numpy(float).reshape(len(units), len(years), len(columns))
    return cube - cube.mean(axis=1, keepdims=True), units, years


def weighted_crossproducts(cube: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cross-product matrices Z̃'Z̃ of the two-way within-transformed data, one per row of unit weights.

    Parameters
    ----------
    cube : (N, T, k) unit-demeaned balanced panel (:func:`unit_cube`).
    weights : (R, N) non-negative unit weights (bootstrap counts, 0/1 group memberships).

    Returns
    -------
    (R, k, k): Σ_i w_i Σ_t (u_it − m_t)(u_it − m_t)' with m_t = Σ_i w_i u_it / Σ_i w_i — the moment matrix of
    the weighted two-way within transformation (unit means are weight-free because a unit's weight is constant
    over its years). Cost O(R·N·T·k + R·N·k²), no resampled data set is formed.
    """
    N, T, k = cube.shape
    W = np.asarray(weights, dtype=float)
    C = np.einsum("itk,itl->ikl", cube, cube).reshape(N, k * k)  # per-unit cross products
    tot = W.sum(axis=1)
    M = (W @ cube.reshape(N, T * k)).reshape(len(W), T, k) / tot[:, None, None]
    return (W @ C).reshape(len(W), k, k) - tot[:, None, None] * np.einsum("rtk,rtl->rkl", M, M)


def study_frame(ctx: Any, names: Sequence[str]) -> pd.DataFrame:
    """The model variables of a study run, by name, in one (unit, year) frame.

    A name is an index of the study (its score: ``"hqd"``), an index's dimension (``"hqd.green"``), or a column
    of the study's panel (``"gdp"``). Unknown names are errors that list what exists.
    """
    panel_cols = list(ctx.panel.data.columns)
    parts: list[pd.Series] = []
    for name in dict.fromkeys(names):
        base, _, dim = name.partition(".")
        if base in ctx.results:
            _, res = ctx.index(base)
            sc = res.scores.set_index(["unit", "year"])
            col = dim or "score"
            if col not in sc.columns:
                dims = [c for c in sc.columns if c not in ("score", "rank")]
                raise StudyError(f"index '{base}' has no dimension '{dim}'; dimensions: {', '.join(dims)}")
            parts.append(sc[col].rename(name))
        elif name in panel_cols:
            parts.append(ctx.panel.data[name].rename(name))
        else:
            raise StudyError(f"unknown variable '{name}': not an index ({', '.join(ctx.results) or 'none'}), "
                             f"an index dimension (index.dimension) or a panel column (e.g. {panel_cols[:5]})")
    return model_frame(pd.concat(parts, axis=1))
