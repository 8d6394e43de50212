"""Cleaning steps of firm panels (样本清洗) as explicit study options, every effect recorded in provenance.

The field's usual steps for listed-firm samples: drop financial-industry firms (CSRC 2012 industry codes
J66–J69), drop ST/*ST firm-years, winsorise every indicator at the 1 % / 99 % quantiles (by year or
pooled). Each dropped firm-year and each clipped cell is written to the panel's provenance.

Study file::

    [data]
    labels = ["industry_code", "st_flag"]   # text columns kept as labels, not indicators
    [data.clean]
    drop_financial = true          # needs an industry code column (labels), named by `industry`
    industry = "industry_code"
    drop_st = true                 # ST/*ST firm-years, from `st` (a 0/1 or text flag column) or the name
    st = "st_flag"
    winsorize = [0.01, 0.99]
    winsorize_by = "year"

The steps run in the order drop_financial → drop_st → winsorize, so the quantiles are those of the sample
that is analysed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from nqpf.core.errors import DataError
from nqpf.core.panel import Panel
from nqpf.core.provenance import Provenance

__all__ = ["FINANCIAL_CODES", "CleanSpec", "clean_panel", "is_financial", "is_st", "winsorize_frame"]

#: CSRC 2012 industry classification (上市公司行业分类指引 2012 年修订), division J (金融业):
#: J66 货币金融服务, J67 资本市场服务, J68 保险业, J69 其他金融业.
FINANCIAL_CODES = ("J66", "J67", "J68", "J69")
_CSRC_RE = re.compile(r"^\s*([A-Sa-s])\s*(\d{2})")
_ST_NAME_RE = re.compile(r"^\s*S?\*?ST")
_TRUE = {"1", "1.0", "true", "yes", "y", "是", "st", "*st"}
_FALSE = {"0", "0.0", "false", "no", "n", "否", ""}


class CleanSpec(BaseModel):
    """``[data.clean]``: which cleaning steps run, in the order drop_financial → drop_st → winsorize."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drop_financial: bool = False
    industry: str | None = None
    drop_st: bool = False
    st: str | None = None
    winsorize: tuple[float, float] | None = None
    winsorize_by: Literal["year", "pooled"] = "year"

    @property
    def any(self) -> bool:
        """Whether any step is requested."""
        return self.drop_financial or self.drop_st or self.winsorize is not None


def is_financial(code: object) -> bool | None:
    """Whether a CSRC 2012 industry code is in J66–J69 (None: empty or not a CSRC code).

    Examples
    --------
    >>> is_financial("J66"), is_financial("j6620"), is_financial("C27"), is_financial("")
    (True, True, False, None)
    """
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    m = _CSRC_RE.match(str(code))
    if m is None:
        return None
    return f"{m.group(1).upper()}{m.group(2)}" in FINANCIAL_CODES


def is_st(value: object) -> bool | None:
    """Whether a flag or a firm's short name marks an ST/*ST firm-year (None: empty).

    Numbers: non-zero is ST. Text: ``1``/``是``/``yes``/``true``/``ST``/``*ST`` or a short name that starts with
    ST, *ST, SST or S*ST (``*ST海润``) is ST; ``0``/``否``/``no``/``false`` or any other name is not.

    Examples
    --------
    >>> is_st(1), is_st(0.0), is_st("*ST海润"), is_st("ST康美"), is_st("平安银行"), is_st("否")
    (True, False, True, True, False, False)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value != 0)
    text = str(value).strip()
    if not text:
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return bool(_ST_NAME_RE.match(text))


def _label(panel: Panel, column: str | None, option: str, what: str, where: str) -> pd.Series:
    """A label column of the panel, or an error saying how to declare it."""
    if column is None:
        raise DataError(f"{where}[data.clean] {option} = true needs the label column holding {what}: "
                        f"add {'industry' if option == 'drop_financial' else 'st'} = \"<column>\" to [data.clean] "
                        "and the column to [data] labels = [...]")
    have = [] if panel.labels is None else [str(c) for c in panel.labels.columns]
    if column not in have:
        raise DataError(f"{where}[data.clean] {option}: no label column {column!r} in {panel.name}; label columns "
                        f"are {have or 'none'}. Add \"{column}\" to [data] labels = [...] (the text columns kept "
                        "as labels, not indicators)")
    return panel.labels[column].reindex(panel.data.index)  # type: ignore[index]


def _drop(data: pd.DataFrame, mask: np.ndarray, prov: Provenance, reason: str) -> pd.DataFrame:
    """Drop the rows of ``mask``, recording every cell of each dropped unit-year."""
    for (u, y), row in zip(data.index[mask], data.to_numpy()[mask], strict=True):
        for col, v in zip(data.columns, row, strict=True):
            prov.record_cell("dropped", u, int(y), str(col), v, None, reason)
    return data[~mask]


def _shown(items: Sequence[object], n: int = 20) -> str:
    items = list(items)
    return ", ".join(map(str, items[:n])) + (f" … (+{len(items) - n} more)" if len(items) > n else "")


def winsorize_frame(data: pd.DataFrame, limits: tuple[float, float], by: str = "year",
                    columns: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clip every column at its ``limits`` quantiles, per year (``by="year"``) or over all rows (``"pooled"``).

    The quantiles are numpy's default (linear interpolation between order statistics, as ``pandas.quantile``),
    computed over the non-empty cells; empty cells stay empty.

    Parameters
    ----------
    data : (N, m) frame indexed by (unit, year).
    limits : (p_low, p_high), 0 <= p_low < p_high <= 1, e.g. (0.01, 0.99).
    by : "year" or "pooled".
    columns : the columns to clip (default: all).

    Returns
    -------
    (clipped frame, bounds): bounds has one row per (year, column) — or per column when pooled — with
    ``low`` and ``high``.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([list("abcde"), [2020]], names=["unit", "year"])
    >>> out, b = winsorize_frame(pd.DataFrame({"x": [1.0, 2, 3, 4, 100]}, index=idx), (0.0, 0.75))
    >>> out["x"].tolist()
    [1.0, 2.0, 3.0, 4.0, 4.0]
    """
    lo, hi = limits
    if not (0.0 <= lo < hi <= 1.0):
        raise DataError(f"[data.clean] winsorize = {list(limits)}: give [p_low, p_high] with 0 <= p_low < p_high "
                        "<= 1, e.g. [0.01, 0.99]")
    if by not in ("year", "pooled"):
        raise DataError(f"[data.clean] winsorize_by = {by!r}: use 'year' or 'pooled'")
    cols = list(data.columns) if columns is None else list(columns)
    out = data.copy()
    years = data.index.get_level_values("year").to_numpy()
    groups = [(int(y), years == y) for y in sorted(set(years.tolist()))] if by == "year" \
        else [(None, np.ones(len(data), dtype=bool))]
    rows = []
    for col in cols:
        x = data[col].to_numpy(dtype=float)
        y_out = x.copy()
        for year, g in groups:
            vals = x[g]
            have = ~np.isnan(vals)
            if not have.any():
                continue
            q_lo, q_hi = np.quantile(vals[have], [lo, hi])
            y_out[g] = np.clip(vals, q_lo, q_hi)  # NaN stays NaN
            rows.append({"year": year, "column": col, "low": float(q_lo), "high": float(q_hi)})
        out[col] = y_out
    bounds = pd.DataFrame(rows, columns=["year", "column", "low", "high"])
    if by == "pooled":
        bounds = bounds.drop(columns="year")
    return out, bounds


def clean_panel(panel: Panel, spec: CleanSpec, *, columns: Sequence[str] | None = None, where: str = "") -> Panel:
    """The panel after the ``[data.clean]`` steps, every dropped firm-year and clipped cell in its provenance.

    Steps, in order: drop firm-years whose CSRC 2012 industry code (label column ``spec.industry``) is J66–J69;
    drop ST/*ST firm-years (label column ``spec.st``: a 0/1 flag, ST/*ST text or the firm's short name); clip
    every column (or ``columns``) at the ``spec.winsorize`` quantiles, by year or pooled. Each dropped unit-year
    is recorded cell by cell (action ``dropped``), each changed cell with its old and new value (action
    ``clipped``); the notes give the counts, the industry codes and the firms dropped. Firm-years whose label is
    empty are kept and counted in the notes.

    Parameters
    ----------
    panel : the panel (``panel.labels`` holds the label columns).
    spec : the ``[data.clean]`` options.
    columns : the columns to winsorise (default: every column of the panel).
    where : a prefix naming the study file in error messages.

    Returns
    -------
    Panel : a new panel (same name and kind) with its own provenance; the input panel is unchanged.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("000001", 2020), ("600000", 2020), ("000002", 2020)],
    ...                                 names=["unit", "year"])
    >>> p = Panel(pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=idx), kind="firm",
    ...           labels=pd.DataFrame({"ind": ["J66", "J66", "K70"]}, index=idx))
    >>> clean_panel(p, CleanSpec(drop_financial=True, industry="ind")).units
    ['000002']
    """
    prov = Provenance().merge(panel.provenance)
    data = panel.data
    labels = panel.labels
    if spec.drop_financial:
        ind = _label(panel, spec.industry, "drop_financial", "the CSRC 2012 industry code", where)
        flags = [is_financial(v) for v in ind.tolist()]
        known = [f for f in flags if f is not None]
        if ind.notna().any() and not known:
            raise DataError(f"{where}[data.clean] drop_financial: label column {spec.industry!r} holds no CSRC 2012 "
                            f"industry code (a letter and two digits, e.g. C27, J66); first values: "
                            f"{_shown(ind.dropna().unique().tolist(), 5)}")
        mask = np.array([f is True for f in flags])
        codes = pd.Series([str(v).strip().upper()[:3] for v in ind[mask]])
        firms = list(dict.fromkeys(data.index[mask].get_level_values("unit")))
        data = _drop(data, mask, prov, f"financial industry (CSRC 2012 {'/'.join(FINANCIAL_CODES)})")
        by_code = ", ".join(f"{c} {n}" for c, n in codes.value_counts().sort_index().items())
        prov.note(f"data.clean: dropped {int(mask.sum())} firm-years of {len(firms)} financial-industry firms "
                  f"(CSRC 2012 J66-J69{': ' + by_code if by_code else ''})"
                  + (f"; firms: {_shown(firms)}" if firms else ""))
        unknown = sum(f is None for f in flags)
        if unknown:
            prov.note(f"data.clean: {unknown} firm-years have no CSRC industry code in {spec.industry!r} and were "
                      "kept")
    if spec.drop_st:
        st = _label(panel, spec.st, "drop_st", "the ST/*ST flag or the firm's short name", where).reindex(data.index)
        flags = [is_st(v) for v in st.tolist()]
        mask = np.array([f is True for f in flags])
        firms = list(dict.fromkeys(data.index[mask].get_level_values("unit")))
        data = _drop(data, mask, prov, f"ST/*ST firm-year (label {spec.st!r})")
        prov.note(f"data.clean: dropped {int(mask.sum())} ST/*ST firm-years of {len(firms)} firms"
                  + (f" ({_shown(firms)})" if firms else ""))
        unknown = sum(f is None for f in flags)
        if unknown:
            prov.note(f"data.clean: {unknown} firm-years have an empty {spec.st!r} and were kept as not ST")
    if spec.winsorize is not None:
        lo, hi = spec.winsorize
        cols = list(data.columns) if columns is None else list(columns)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise DataError(f"{where}[data.clean] winsorize: no column(s) {missing} in {panel.name}")
        clipped, _ = winsorize_frame(data, (lo, hi), spec.winsorize_by, cols)
        how = "by year" if spec.winsorize_by == "year" else "pooled over all years"
        reason = f"winsorised at {_pct(lo)}/{_pct(hi)} {how}"
        n = 0
        for col in cols:
            before = data[col].to_numpy(dtype=float)
            after = clipped[col].to_numpy(dtype=float)
            changed = np.flatnonzero(~np.isnan(before) & (before != after))
            n += len(changed)
            for i in changed:
                u, y = data.index[i]
                prov.record_cell("clipped", u, int(y), str(col), float(before[i]), float(after[i]), reason)
        data = clipped
        prov.note(f"data.clean: {reason}: {n} cells clipped in {len(cols)} columns ({_shown(cols)})")
    if labels is not None:
        labels = labels[labels.index.isin(data.index)].copy()
    return Panel(data.copy(), panel.name, panel.kind, panel.metadata, prov, labels)


def _pct(p: float) -> str:
    """0.01 → "1 %", 0.995 → "99.5 %"."""
    return f"{p * 100:g} %"
