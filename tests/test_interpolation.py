"""interpolate_within_span (vectorised) against a plain loop with np.interp per unit and indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.core.panel import interpolate_within_span
from nqpf.core.provenance import Provenance


def _loop(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    out, n = data.copy(), 0
    for col in data.columns:
        for u in dict.fromkeys(data.index.get_level_values("unit")):
            s = data[col].xs(u, level="unit")
            have = s.notna().to_numpy()
            yrs = s.index.to_numpy(dtype=float)
            if have.sum() < 2:
                continue
            order = np.argsort(yrs[have])
            for y, v in s.items():
                if np.isnan(v) and yrs[have].min() < y < yrs[have].max():
                    out.loc[(u, y), col] = np.interp(y, yrs[have][order], s.to_numpy()[have][order])
                    n += 1
    return out, n


@pytest.mark.parametrize("seed", [0, 1])
def test_vectorised_interpolation_equals_the_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    units = [f"{i:06d}" for i in range(40)]
    years = [2010, 2011, 2013, 2014, 2015, 2018]  # unequal gaps: linear in the calendar year
    idx = pd.MultiIndex.from_product([units, years], names=["unit", "year"])
    df = pd.DataFrame(rng.normal(size=(len(idx), 3)), index=idx, columns=list("abc"))
    df = df.mask(rng.random(df.shape) < 0.3).sample(frac=0.9, random_state=seed)  # gaps, absent rows, unsorted
    prov = Provenance()
    new = interpolate_within_span(df, prov)
    old, n = _loop(df)
    assert np.allclose(new.to_numpy(), old.loc[df.index].to_numpy(), equal_nan=True)
    assert len(prov.cells) == n > 0
    assert all(c["action"] == "imputed" for c in prov.cells)


def test_interpolation_by_hand() -> None:
    idx = pd.MultiIndex.from_tuples([("a", 2010), ("a", 2011), ("a", 2013), ("a", 2014), ("b", 2010), ("b", 2011)],
                                    names=["unit", "year"])
    df = pd.DataFrame({"x": [1.0, np.nan, 4.0, np.nan, np.nan, 2.0]}, index=idx)
    out = interpolate_within_span(df, Provenance())
    # a 2011 between 2010 (1) and 2013 (4): 1 + 3 × 1/3 = 2; a 2014 and b 2010 lie outside the span: not filled
    assert out["x"].tolist()[:4] == pytest.approx([1.0, 2.0, 4.0, np.nan], nan_ok=True)
    assert np.isnan(out.loc[("b", 2010), "x"])
