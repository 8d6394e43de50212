"""Agreement of two indices on their shared unit-years: rank correlations per year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.errors import DataError, StudyError
from nqpf.core.interface import Result
from nqpf.result import IndexResult


@dataclass
class RankAgreement(Result):
    """Spearman's ρ and Kendall's τ-b between two indices' scores in each shared year.

    Reference: Spearman (1904) Am. J. Psychol. 15:72-101; Kendall (1938) Biometrika 30:81-93.
    """

    a: str
    b: str
    table: pd.DataFrame  # year, n, spearman, spearman_p, kendall, kendall_p, top5_overlap
    pooled_spearman: float

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        if t.empty:
            return f"{self.a} vs {self.b}: no shared years"
        return (f"{self.a} vs {self.b}, {int(t['year'].min())}–{int(t['year'].max())} ({len(t)} shared years): "
                f"Spearman ρ from {t['spearman'].min():.3f} to {t['spearman'].max():.3f} "
                f"(mean {t['spearman'].mean():.3f}); Kendall τ mean {t['kendall'].mean():.3f}; "
                f"pooled Spearman over all shared unit-years {self.pooled_spearman:.3f}")


def rank_agreement(a: IndexResult, b: IndexResult, name_a: str = "a", name_b: str = "b",
                   top: int = 5) -> RankAgreement:
    """Rank agreement of two indices on the unit-years both cover."""
    sa = a.scores.set_index(["unit", "year"])["score"]
    sb = b.scores.set_index(["unit", "year"])["score"]
    both = sa.index.intersection(sb.index)
    if len(both) == 0:
        raise DataError(f"{name_a} and {name_b} share no unit-year")
    rows = []
    years = sorted(set(both.get_level_values("year")))
    for y in years:
        idx = both[both.get_level_values("year") == y]
        x, z = sa.loc[idx].to_numpy(), sb.loc[idx].to_numpy()
        if len(idx) < 3:
            continue
        rho, rp = stats.spearmanr(x, z)
        tau, tp = stats.kendalltau(x, z)
        units = idx.get_level_values("unit").to_numpy()
        ta = set(units[np.argsort(-x)[:top]])
        tb = set(units[np.argsort(-z)[:top]])
        rows.append({"year": int(y), "n": len(idx), "spearman": float(rho), "spearman_p": float(rp),
                     "kendall": float(tau), "kendall_p": float(tp), f"top{top}_overlap": len(ta & tb)})
    pooled = float(stats.spearmanr(sa.loc[both].to_numpy(), sb.loc[both].to_numpy())[0])
    return RankAgreement(name_a, name_b, pd.DataFrame(rows), pooled)


# ---------------------------------------------------------------------------------------------
# study file: [analyses.compare]
# ---------------------------------------------------------------------------------------------
class CompareOptions(Options):
    """``[analyses.compare]``: the two indices to compare (default: the study's first two NQPF indices)."""

    indices: list[str] | None = None
    top: int = 5


@register_analysis("compare", options=CompareOptions, result=RankAgreement, section="robustness", order=90,
                   label=("两种指数的排名一致性", "Rank agreement of two indices"),
                   refs=("spearman1904", "kendall1938"),
                   tables=lambda res, used: {f"compare_{used[0]}_vs_{used[1]}": res.to_frame()})
def _study_compare(ctx: StudyContext, opts: CompareOptions) -> RankAgreement:
    names = opts.indices or ctx.indices("nqpf")
    if len(names) < 2:
        raise StudyError("[analyses.compare] needs two indices")
    a, b = names[:2]
    _, ra = ctx.index(a)
    _, rb = ctx.index(b)
    return rank_agreement(ra, rb, a, b, top=opts.top)
