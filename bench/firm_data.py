"""Synthetic listed-firm panels shaped like a CSMAR export, for tests and benchmarks only (合成数据, 非真实企业).

:func:`make_firm_panel` writes N firms × T years in long layout: a stock code kept as a 6-digit string
(``000001``, ``300123``, ``600519``, ``688001``), the year, a CSRC 2012 industry code (``industry``; about 4 % of
the firms are financial, J66–J69), an ST flag (``st``, 0/1; the short ``name`` starts with ``ST``/``*ST`` in those
years), and every input column of the bundled ``nqpf-firm`` framework (statement items in yuan, head counts),
with a share of empty cells. The numbers are random draws with firm effects and growth, **not data about any
real company**; nothing in the package reads this module.

    python bench/firm_data.py 5000 2012-2023 0.005 out.csv     # writes a CSV
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["FIRM_INPUTS", "make_firm_panel"]

#: the input columns of the nqpf-firm framework's definitions
FIRM_INPUTS = (
    "revenue", "total_assets", "fixed_assets", "intangible_assets", "owners_equity", "employees", "rd_staff",
    "staff_bachelor_plus", "rd_salary", "rd_depreciation", "rd_lease", "rd_direct", "operating_cash_out",
    "cash_paid_goods", "cash_paid_staff", "depreciation", "amortisation", "impairment",
)
_INDUSTRIES = ("C26", "C27", "C34", "C35", "C38", "C39", "I64", "I65", "F51", "K70", "E48", "D44", "G54", "M73")
_FINANCIAL = ("J66", "J67", "J68", "J69")


def _codes(n: int, rng: np.random.Generator) -> list[str]:
    """n distinct 6-digit stock codes across the boards (000/002/300/600/601/603/688)."""
    prefixes = np.array([0, 2000, 300000, 600000, 601000, 603000, 688000])
    out: set[str] = set()
    while len(out) < n:
        need = n - len(out)
        base = rng.choice(prefixes, size=need * 2)
        num = base + rng.integers(1, 1000, size=need * 2)
        out.update(f"{v:06d}" for v in num)
    return sorted(rng.permutation(sorted(out))[:n].tolist())


def make_firm_panel(n_firms: int, years: Sequence[int], empty_share: float = 0.005,
                    seed: int = 0) -> pd.DataFrame:
    """A synthetic CSMAR-like long panel: ``Stkcd``, ``year``, ``name``, ``industry``, ``st`` and the inputs.

    Parameters
    ----------
    n_firms : number of firms.
    years : the years (each firm has every year).
    empty_share : the share of input cells left empty, at random (0.005 = 0.5 %).
    seed : random seed.

    Returns
    -------
    DataFrame with n_firms × len(years) rows; ``Stkcd`` is text with leading zeros, ``industry`` a CSRC 2012
    code, ``st`` 0/1.
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    T = len(years)
    codes = _codes(n_firms, rng)
    fin = rng.random(n_firms) < 0.04
    industry = np.where(fin, rng.choice(_FINANCIAL, n_firms), rng.choice(_INDUSTRIES, n_firms))
    # firm effects (shares are firm-specific, drifting a little each year)
    size0 = rng.lognormal(mean=22.0, sigma=1.2, size=n_firms)          # total assets, yuan
    growth = rng.normal(0.08, 0.05, size=n_firms)
    t = np.arange(T)
    noise = rng.normal(0.0, 0.05, size=(n_firms, T))
    total_assets = size0[:, None] * np.exp(growth[:, None] * t[None, :] + noise)

    def share(a: float, b: float) -> np.ndarray:
        base = rng.beta(a, b, size=n_firms)[:, None]
        return np.clip(base * np.exp(rng.normal(0.0, 0.08, size=(n_firms, T))), 0.0, 0.98)

    revenue = total_assets * share(2.5, 3.0) * 1.5
    fixed_assets = total_assets * share(2.0, 5.0)
    intangible_assets = total_assets * share(1.2, 20.0)
    owners_equity = total_assets * share(4.0, 3.5)
    employees = np.maximum(50, np.round(total_assets / rng.lognormal(14.0, 0.6, size=n_firms)[:, None]))
    rd_staff = np.round(employees * share(1.5, 8.0))
    staff_bachelor_plus = np.round(employees * share(2.0, 4.0))
    rd_total = revenue * share(1.2, 25.0)
    rd_salary = rd_total * share(5.0, 4.0)
    rd_depreciation = rd_total * share(1.5, 12.0)
    rd_lease = rd_total * share(0.8, 20.0)
    rd_direct = rd_total * share(2.5, 6.0)
    operating_cash_out = revenue * share(9.0, 1.5)
    cash_paid_goods = operating_cash_out * share(6.0, 4.0)
    cash_paid_staff = operating_cash_out * share(1.5, 9.0)
    depreciation = fixed_assets * share(1.5, 15.0)
    amortisation = intangible_assets * share(1.5, 15.0)
    impairment = total_assets * share(0.5, 150.0)
    # ST spells: a firm is ST from a random year for a few years
    st = np.zeros((n_firms, T), dtype=int)
    spell = rng.random(n_firms) < 0.06
    start = rng.integers(0, T, size=n_firms)
    length = rng.integers(1, 4, size=n_firms)
    st[spell] = ((t[None, :] >= start[spell, None]) & (t[None, :] < start[spell, None] + length[spell, None]))
    names = np.array([f"合成企业{i:04d}" for i in range(n_firms)])
    name = np.where(st == 1, np.where(rng.random((n_firms, T)) < 0.5, "*ST", "ST"), "")
    name = np.char.add(name.astype(str), np.repeat(names[:, None], T, axis=1))
    frame = pd.DataFrame({
        "Stkcd": np.repeat(np.array(codes, dtype=object), T),
        "year": np.tile(np.array(years), n_firms),
        "name": name.ravel(),
        "industry": np.repeat(industry, T),
        "st": st.ravel(),
    })
    values = {"revenue": revenue, "total_assets": total_assets, "fixed_assets": fixed_assets,
              "intangible_assets": intangible_assets, "owners_equity": owners_equity, "employees": employees,
              "rd_staff": rd_staff, "staff_bachelor_plus": staff_bachelor_plus, "rd_salary": rd_salary,
              "rd_depreciation": rd_depreciation, "rd_lease": rd_lease, "rd_direct": rd_direct,
              "operating_cash_out": operating_cash_out, "cash_paid_goods": cash_paid_goods,
              "cash_paid_staff": cash_paid_staff, "depreciation": depreciation, "amortisation": amortisation,
              "impairment": impairment}
    for col in FIRM_INPUTS:
        v = values[col].ravel().astype(float)
        if col not in ("employees", "rd_staff", "staff_bachelor_plus"):
            v = np.round(v, 2)
        v[rng.random(v.size) < empty_share] = np.nan
        frame[col] = v
    frame["Stkcd"] = frame["Stkcd"].astype(str)
    return frame


if __name__ == "__main__":  # python bench/firm_data.py N FIRST-LAST EMPTY_SHARE OUT.csv
    n, span, empty, path = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    first, last = (int(x) for x in span.split("-"))
    make_firm_panel(n, range(first, last + 1), empty).to_csv(path, index=False, encoding="utf-8")
