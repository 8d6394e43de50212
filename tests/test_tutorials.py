"""The tutorials (docs/tutorials/NN_*.py) run as scripts, and the key numbers they print are right.

Each script runs in its own process, as a user would run it; the expected numbers are computed here
independently (measure() and the analysis formulas called directly, the Excel round trip replaced by the bundled
data it was made from).
"""

from __future__ import annotations

import math
import os
import re
import sys
from pathlib import Path

import background
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import nqpf
from nqpf.core.framework import Framework
from nqpf.core.panel import Panel
from nqpf.frameworks.schema import parse_framework_text

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"


SCRIPTS = ["01_measure_provinces.py", "02_own_data.py", "03_countries.py", "04_own_cities.py"]
for _name in SCRIPTS:  # each script runs as a user runs it, in its own process, in the background (background.py)
    background.register(f"tutorial {_name}", [sys.executable, str(TUTORIALS / _name)], cwd=ROOT,
                        env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=300)


def run_script(name: str) -> str:
    """The script's output (the test carries ``@pytest.mark.background("tutorial <name>")``)."""
    proc = background.result(f"tutorial {name}")
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def grab(out: str, pattern: str) -> tuple[str, ...]:
    m = re.search(pattern, out, flags=re.M)
    assert m, f"no line matching {pattern!r} in:\n{out}"
    return m.groups()


def test_every_tutorial_has_a_page_and_a_test() -> None:
    scripts = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert [s.name for s in scripts] == SCRIPTS  # tutorial 4 is tested in test_city_study.py
    for s in scripts:
        page = s.with_suffix(".md").read_text(encoding="utf-8")
        assert f'--8<-- "{s.name}"' in page


@pytest.mark.background("tutorial 01_measure_provinces.py")
def test_tutorial_1_provinces() -> None:
    out = run_script("01_measure_provinces.py")
    panel = nqpf.load_dataset("china-provinces")
    units = [u for u in panel.units if u != "西藏"]
    res = nqpf.measure(panel, nqpf.load_framework("nqpf-province-core"), years=(2013, 2023), units=units,
                       missing="error")
    for dim, w in res.dimension_weights.items():
        assert float(grab(out, rf"^dimension weight: {dim} = ([\d.]+)$")[0]) == pytest.approx(w, abs=5e-5)
    assert sum(float(v) for v in re.findall(r"^dimension weight: \w+ = ([\d.]+)$", out, flags=re.M)) == \
        pytest.approx(1.0, abs=2e-4)
    ind, w = grab(out, r"^largest indicator weight: (\w+) = ([\d.]+)$")
    assert ind == res.indicator_weights.idxmax()
    assert float(w) == pytest.approx(res.indicator_weights.max(), abs=5e-5)
    s2023 = res.scores[res.scores["year"] == 2023].sort_values("score", ascending=False)
    for rank, (u, v) in enumerate(zip(s2023["unit"].head(5), s2023["score"].head(5), strict=True), start=1):
        unit, score = grab(out, rf"^rank {rank} in 2023: (\S+) = ([\d.]+)$")
        assert unit == u
        assert float(score) == pytest.approx(v, abs=5e-5)
    means = res.scores.groupby("year")["score"].mean()
    m0, m1 = grab(out, r"^mean score: 2013 = ([\d.]+), 2023 = ([\d.]+)$")
    assert (float(m0), float(m1)) == pytest.approx((means[2013], means[2023]), abs=5e-5)
    # Dagum Gini of 2023 by the four regions, from the definition (pairwise absolute differences)
    y = res.year_scores(2023)
    G = np.abs(y.to_numpy()[:, None] - y.to_numpy()[None, :]).sum() / (2 * len(y) ** 2 * y.mean())
    g, gw, gnb, gt = (float(v) for v in grab(
        out, r"^Dagum Gini 2023: G = ([\d.]+), Gw = ([\d.]+), Gnb = ([\d.]+), Gt = ([\d.]+)$"))
    assert g == pytest.approx(G, abs=5e-5)
    assert gw + gnb + gt == pytest.approx(G, abs=2e-4)
    # global Moran's I of 2023 with queen contiguity, row-standardised
    from nqpf.geo.weights import spatial_weights

    w = spatial_weights(res.units)
    W, ids = w.full()
    x = y.reindex([str(i) for i in ids]).to_numpy()
    d = x - x.mean()
    I = len(x) / W.sum() * (d @ W @ d) / (d @ d)
    assert float(grab(out, r"^Moran's I 2023: I = ([-\d.]+), z = [-\d.]+$")[0]) == pytest.approx(I, abs=5e-5)


@pytest.mark.background("tutorial 02_own_data.py")
def test_tutorial_2_own_yearbook_data() -> None:
    out = run_script("02_own_data.py")
    script = (TUTORIALS / "02_own_data.py").read_text(encoding="utf-8")
    yaml_text = re.search(r'write_text\("""\\\n(.*?)"""', script, flags=re.S).group(1)
    fw = Framework(parse_framework_text(yaml_text, "my_framework.yaml"))
    cols = ["rd_expenditure", "gdp", "patent_grants", "invention_patent_grants", "urbanization_rate"]
    data = nqpf.load_dataset("china-provinces").data[cols]
    data = data[data.index.get_level_values("year").isin(range(2013, 2020))]
    panel = Panel(data.copy(), "bundled")
    assert grab(out, r"^分省年度数据: (\d+) provinces × (\d+) years \((\d+)–(\d+)\), (\d+) indicators; (\d+) empty")\
        == ("31", "7", "2013", "2019", "5", "0")
    res = nqpf.measure(panel, fw, weighting="critic", aggregation="topsis", missing="error")
    # CRITIC from its definition on the normalised matrix
    Z = res.normalized.to_numpy()
    C = Z.std(axis=0, ddof=1) * (1 - np.corrcoef(Z, rowvar=False)).sum(axis=1)
    np.testing.assert_allclose(res.indicator_weights.to_numpy(), C / C.sum(), rtol=1e-10)
    for ind, w in zip(fw.indicator_ids, C / C.sum(), strict=True):
        assert float(grab(out, rf"^weight: {ind} = ([\d.]+)$")[0]) == pytest.approx(w, abs=5e-5)
    s = res.scores[res.scores["year"] == 2019].sort_values("score", ascending=False)
    for rank, (u, v) in enumerate(zip(s["unit"].head(3), s["score"].head(3), strict=True), start=1):
        unit, score = grab(out, rf"^rank {rank} in 2019: (\S+) = ([\d.]+)$")
        assert unit == u
        assert float(score) == pytest.approx(v, abs=5e-5)
    assert "framework my-innovation: 2 dimensions, 4 indicators" in out


@pytest.mark.background("tutorial 03_countries.py")
def test_tutorial_3_countries() -> None:
    out = run_script("03_countries.py")
    wdi = nqpf.load_dataset("wdi-countries")
    nq_units = ("ARG AUT BEL BGR CAN CHL CHN CYP CZE DEU DNK EGY ESP EST FIN FRA GRC HKG HRV HUN JPN KOR LTU LUX "
                "LVA MDA MEX MLT NLD NOR POL PRT ROU RUS SGP SVK SWE TUR UKR USA ZAF").split()
    nq = nqpf.measure(wdi, nqpf.load_framework("nqpf-country"), years=(2012, 2021), units=nq_units,
                      missing="error")
    hq = nqpf.measure(wdi, nqpf.load_framework("hqd-country"), years=(2012, 2021),
                      units=[u for u in nq_units if u != "HKG"], missing="error")
    for name, res in (("NQPF", nq), ("HQD", hq)):
        y = res.year_scores(2021).sort_values(ascending=False)
        top = grab(out, rf"^{name} top 5 in 2021: (.*)$")[0]
        assert [p.split()[0] for p in top.split(", ")] == list(y.index[:5])
        score, rank, n = grab(out, rf"^{name} CHN 2021: score = ([\d.]+), rank = (\d+) of (\d+)$")
        assert float(score) == pytest.approx(y["CHN"], abs=5e-5)
        assert int(rank) == int((y > y["CHN"]).sum()) + 1
        assert int(n) == len(y)
    a, b = nq.year_scores(2021), hq.year_scores(2021)
    both = a.index.intersection(b.index)
    rho = stats.spearmanr(a[both], b[both]).statistic
    assert float(grab(out, r"^Spearman rho NQPF vs HQD 2021: ([-\d.]+)$")[0]) == pytest.approx(rho, abs=5e-5)
    u1, u2 = a["CHN"], b["CHN"]
    C = 2 * math.sqrt(u1 * u2) / (u1 + u2)
    T = (u1 + u2) / 2
    c, t, d = (float(v) for v in grab(out, r"^coupling CHN 2021: C = ([\d.]+), T = ([\d.]+), D = ([\d.]+) "))
    assert (c, t, d) == pytest.approx((C, T, math.sqrt(C * T)), abs=5e-5)


def test_tutorial_2_workbook_layout_reads_back(tmp_path: Path) -> None:
    """The NBS layout the tutorial writes (full names, 2019年 … columns, source footnote) reads back exactly."""
    from nqpf.datasets import provinces

    bundled = nqpf.load_dataset("china-provinces").data["gdp"].unstack("year")[[2019, 2018]]
    full = dict(zip(provinces()["name_zh"], provinces()["full_name_zh"], strict=True))
    rows = [["地区", "2019年", "2018年"]] + [[full[u], *bundled.loc[u].tolist()] for u in bundled.index]
    rows.append(["数据来源：国家统计局", "", ""])
    book = tmp_path / "gdp.xlsx"
    pd.DataFrame(rows).to_excel(book, sheet_name="gdp", header=False, index=False)
    back = nqpf.read_panel(book, kind="province").data["gdp"].unstack("year")
    pd.testing.assert_frame_equal(back.reindex(bundled.index)[[2019, 2018]], bundled, check_names=False)
