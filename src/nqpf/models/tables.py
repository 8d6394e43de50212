"""Publication tables (论文回归表格): several models side by side, as esttab/outreg2 print them.

:func:`publication_table` lays out coefficients with standard errors (or t statistics) in parentheses and
significance stars, then the yes/no rows (fixed effects, controls), N and the statistics. Exporters to
Excel, Word (.docx), LaTeX and Markdown build on the same frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nqpf.core.i18n import check_lang
from nqpf.core.stars import stars
from nqpf.models.estimates import Estimates

__all__ = ["publication_table"]


def publication_table(estimates: Sequence[Estimates], lang: str = "en", stat: str = "se", digits: int = 3
                      ) -> pd.DataFrame:
    """Models side by side: a coefficient row and a (se) or (t) row per variable, then rows and statistics.

    Parameters
    ----------
    estimates : the columns, in order.
    lang : "zh" or "en" (variable labels, row names).
    stat : "se" (standard errors in parentheses) or "t" (t statistics).
    digits : decimals.

    Returns
    -------
    DataFrame with one text column per model; the index holds the row labels.

    Examples
    --------
    >>> e = Estimates("(1)", pd.Series({"x": 0.5}), pd.Series({"x": 0.1}), pd.Series({"x": 0.001}), nobs=100)
    >>> publication_table([e]).to_dict()["(1)"]["x"]
    '0.500***'
    """
    check_lang(lang)
    if stat not in ("se", "t"):
        raise ValueError(f"stat must be 'se' or 't', got {stat!r}")
    variables: list[str] = []
    for e in estimates:
        variables += [v for v in e.params.index if v not in variables]
    labels: dict[str, tuple[str, str]] = {}
    for e in estimates:
        labels.update(e.labels)
    rows: dict[str, list[str]] = {}
    order: list[str] = []
    for v in variables:
        name = labels.get(v, (v, v))[0 if lang == "zh" else 1]
        coef, paren = [], []
        for e in estimates:
            if v not in e.params.index or not np.isfinite(e.params[v]):
                coef.append("")
                paren.append("")
                continue
            coef.append(f"{e.params[v]:.{digits}f}{stars(e.pvalues.get(v))}")
            s = e.std_errors[v] if stat == "se" else e.t[v]
            paren.append(f"({s:.{digits}f})" if np.isfinite(s) else "")
        rows[name] = coef
        rows[f"{name} "] = paren  # the parenthesis row: same label plus a space (unique index)
        order += [name, f"{name} "]
    extra: list[str] = []
    for e in estimates:
        extra += [k for k in e.rows if k not in extra]
    for k in extra:
        rows[k] = [e.rows.get(k, "") for e in estimates]
        order.append(k)
    n_label = "观测值" if lang == "zh" else "N"
    rows[n_label] = [f"{e.nobs:,}" if e.nobs is not None else "" for e in estimates]
    order.append(n_label)
    stat_names: list[str] = []
    for e in estimates:
        stat_names += [k for k in e.stats if k not in stat_names]
    for k in stat_names:
        rows[k] = [f"{e.stats[k]:.{digits}f}" if k in e.stats and np.isfinite(e.stats[k]) else "" for e in estimates]
        order.append(k)
    return pd.DataFrame({e.name: [rows[r][i] for r in order] for i, e in enumerate(estimates)}, index=order)
