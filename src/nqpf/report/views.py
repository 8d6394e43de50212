"""Data views of an index (指数的数据视图) that the report's chapters and the static figures share.

Group sub-indices by dimension or tag (factor of production, "three new", policy lever), their contribution
shares, regional means and the ranking table; for panels with many units (firms, counties) the views that stay
small whatever the number of units: the distribution of a score by year (:func:`distribution`), the top and
bottom units (:func:`top_bottom`), summaries by group (:func:`default_grouping`, :func:`group_summary`) and the
one-row-per-unit table the report makes searchable (:func:`unit_table`). Pure pandas on an
:class:`~nqpf.result.IndexResult`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.groups import Grouping, resolve_groups
from nqpf.core.units import REGION_ORDER, region_key
from nqpf.report.labels import tag_label
from nqpf.result import IndexResult

__all__ = ["TOP_N", "default_grouping", "distribution", "group_contributions", "group_label", "group_matrix",
           "group_members", "group_scores", "group_summary", "ranking_table", "region_means", "tag_kinds",
           "top_bottom", "unit_table"]

#: Units listed at the top and at the bottom of a large panel's views.
TOP_N = 15


def tag_kinds(res: IndexResult) -> list[str]:
    """Tag kinds (factor, new, lever) that at least one indicator of the framework carries."""
    table = res.framework.indicator_table()
    return [k for k in ("factor", "new", "lever") if k in table.columns and table[k].notna().any()]


def group_members(res: IndexResult, kind: str) -> dict[str, list[str]]:
    """Group key → indicator ids, for kind "dimension" or a tag kind (vocabulary order; untagged last)."""
    fw = res.framework
    table = fw.indicator_table().reindex(list(res.normalized.columns))
    if kind == "dimension":
        return {d: [i for i in table.index if table.loc[i, "dimension"] == d] for d in fw.dimensions}
    keys = [k for k in fw.vocabulary.get(kind, {}) if (table[kind] == k).any()]
    out = {k: list(table.index[(table[kind] == k).to_numpy()]) for k in keys}
    untagged = list(table.index[table[kind].isna().to_numpy()])
    if untagged:
        out["untagged"] = untagged
    return out


def group_scores(res: IndexResult, kind: str = "dimension") -> pd.DataFrame:
    """Sub-index per unit-year and group: columns unit, year, then one column per group key.

    For ``kind="dimension"`` these are the dimension scores of ``res.scores``. For a tag kind (factor, new,
    lever) the sub-index of group g is the weighted mean of the normalised indicators in g,
    Σ_{j∈g} w_j z_j / Σ_{j∈g} w_j with the global indicator weights w_j (the weighted contributions of the
    group rescaled by its weight), so groups of different total weight compare on one [0, 1] scale.
    """
    if kind == "dimension":
        dims = [d for d in res.framework.dimensions if d in res.scores.columns]
        return res.scores[["unit", "year", *dims]].copy()
    Z = res.normalized
    w = res.indicator_weights.reindex(Z.columns).to_numpy(dtype=float)
    cols: dict[str, np.ndarray] = {}
    for key, ids in group_members(res, kind).items():
        idx = [Z.columns.get_loc(i) for i in ids]
        wg = w[idx]
        cols[key] = Z.to_numpy(dtype=float)[:, idx] @ wg / wg.sum() if wg.sum() > 0 else np.full(len(Z), np.nan)
    return pd.DataFrame({"unit": Z.index.get_level_values(0).to_numpy(),
                         "year": Z.index.get_level_values(1).to_numpy(), **cols})


def group_contributions(res: IndexResult, kind: str = "dimension", year: int | None = None) -> pd.Series:
    """Share of each group in the weighted sum Σ_j w_j z_j averaged over units (of one year, or all).

    The additive contributions of a weighted-sum index: the shares sum to 1.
    """
    Z = res.normalized
    if year is not None:
        Z = Z[Z.index.get_level_values(1) == int(year)]
    w = res.indicator_weights.reindex(Z.columns).to_numpy(dtype=float)
    contrib = (Z.to_numpy(dtype=float) * w).mean(axis=0)
    total = contrib.sum()
    out = {}
    for key, ids in group_members(res, kind).items():
        out[key] = float(sum(contrib[Z.columns.get_loc(i)] for i in ids) / total) if total > 0 else np.nan
    return pd.Series(out, name="share")


def group_matrix(res: IndexResult, kind: str, year: int) -> pd.DataFrame:
    """Unit × group sub-index table of one year (rows in descending order of the year's score)."""
    g = group_scores(res, kind)
    g = g[g["year"] == int(year)].set_index("unit").drop(columns="year")
    order = res.year_scores(int(year)).sort_values(ascending=False).index
    return g.reindex([u for u in order if u in g.index])


def group_label(res: IndexResult, kind: str, key: str, lang: str) -> str:
    """The display name of a group key of ``kind``."""
    if kind == "dimension":
        return res.framework.label(key, lang)
    return tag_label(res.framework, kind, key, lang)


def region_means(res: IndexResult, column: str = "score") -> pd.DataFrame:
    """Year × (national, East, Central, West, Northeast) mean of ``column``; only national for non-provinces."""
    s = res.scores[["unit", "year", column]]
    out = {"national": s.groupby("year")[column].mean()}
    regions = s["unit"].map(region_key)
    if regions.notna().all():
        for r in REGION_ORDER:
            sub = s[regions == r]
            if len(sub):
                out[r] = sub.groupby("year")[column].mean()
    return pd.DataFrame(out)


def ranking_table(res: IndexResult, year: int | None = None) -> pd.DataFrame:
    """The ranking of one year (default: the last): rank, unit, score, region, change in rank since the first year."""
    years = res.years
    y = years[-1] if year is None else int(year)
    cur = res.scores[res.scores["year"] == y].set_index("unit")
    first = res.scores[res.scores["year"] == years[0]].set_index("unit")["rank"]
    out = pd.DataFrame({
        "rank": cur["rank"].astype(int), "unit": cur.index, "score": cur["score"],
        "region": [region_key(u) for u in cur.index],
        "rank_change": (first.reindex(cur.index) - cur["rank"]).astype("Int64") if y != years[0] else pd.NA,
    })
    return out.sort_values("rank").reset_index(drop=True)



# =============================================================================================
# views for many units (distributions, top/bottom, groups, the searchable table)
# =============================================================================================
_DIST_COLUMNS = ["n", "mean", "sd", "min", "q1", "median", "q3", "max", "lower_fence", "upper_fence"]


def distribution(frame: pd.DataFrame, column: str = "score", by: str = "year") -> pd.DataFrame:
    """Per value of ``by`` (default: year) the distribution of ``column``: n, mean, sd (ddof=1), min, quartiles,
    max, and the box-plot whiskers (the most extreme values within 1.5 IQR of the quartiles, Tukey 1977).

    A few numbers per year whatever the number of units: what a box plot of 5,000 firms needs.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020] * 5, "score": [1.0, 2.0, 3.0, 4.0, 100.0]})
    >>> d = distribution(df).loc[2020]
    >>> float(d["median"]), float(d["q3"]), float(d["upper_fence"]), int(d["n"])
    (3.0, 4.0, 4.0, 5)
    """
    rows = {}
    for key, s in frame.groupby(by, sort=True)[column]:
        v = s.to_numpy(dtype=float)
        v = np.sort(v[np.isfinite(v)])
        if not len(v):
            rows[key] = dict.fromkeys(_DIST_COLUMNS, np.nan) | {"n": 0}
            continue
        q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        rows[key] = {"n": len(v), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                     "min": float(v[0]), "q1": float(q1), "median": float(med), "q3": float(q3), "max": float(v[-1]),
                     "lower_fence": float(v[v >= lo][0]), "upper_fence": float(v[v <= hi][-1])}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=_DIST_COLUMNS)
    out.index.name = by
    return out.astype({"n": int})


def top_bottom(res: IndexResult, n: int = TOP_N, year: int | None = None) -> tuple[pd.Series, pd.Series]:
    """The ``n`` highest and the ``n`` lowest scores of a year (default: the last), each in descending order."""
    y = res.years[-1] if year is None else int(year)
    s = res.year_scores(y).dropna().sort_values(ascending=False, kind="stable")
    return s.head(n), s.tail(min(n, max(0, len(s) - n)))


def default_grouping(units: list[str], kind: str | None, panel: object = None) -> Grouping | None:
    """The unit kind's default grouping (four regions for provinces …) or None when the kind has none."""
    try:
        return resolve_groups(None, list(units), kind=kind or "other", panel=panel)
    except DataError:
        return None


def group_summary(frame: pd.DataFrame, grouping: Grouping, column: str = "score") -> pd.DataFrame:
    """Per group of ``grouping`` (its display order): number of units, mean, median and sd (ddof=1) of
    ``column`` over the rows of ``frame`` (columns unit, ``column``; filter the year first)."""
    g = frame["unit"].map(grouping.mapping)
    stats = frame[column].groupby(g).agg(["count", "mean", "median", "std"])
    order = [k for k in grouping.order if k in stats.index] + [k for k in stats.index if k not in grouping.order]
    out = stats.reindex(order).rename(columns={"count": "n", "std": "sd"})
    out.index.name = "group"
    return out.reset_index()


def unit_table(res: IndexResult, year: int | None = None, grouping: Grouping | None = None) -> pd.DataFrame:
    """One row per unit of a year (default: the last): the ranking (rank, unit, score, rank change), the unit's
    group (when a grouping is given) and the dimension scores — the report's searchable table."""
    y = res.years[-1] if year is None else int(year)
    rt = ranking_table(res, y).drop(columns="region")
    if grouping is not None:
        rt.insert(3, "group", rt["unit"].map(grouping.mapping))
    dims = group_scores(res, "dimension")
    dims = dims[dims["year"] == y].drop(columns="year").set_index("unit")
    return rt.join(dims, on="unit")
