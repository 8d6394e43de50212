"""[data.clean] (nqpf.core.cleaning): financial firms and ST firm-years dropped and recorded, winsorisation at
quantiles by year or pooled (checked against numpy and scipy.stats.mstats.winsorize), every clipped cell in
provenance, and a firm study from a CSV through run_study."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats.mstats import winsorize

from nqpf.core.cleaning import CleanSpec, clean_panel, is_financial, is_st, winsorize_frame
from nqpf.core.errors import DataError
from nqpf.core.panel import Panel
from nqpf.output import run_tables
from nqpf.report.excel import read_workbook_table, write_workbook
from nqpf.study.runner import load_panel, run_study
from nqpf.study.spec import DataSpec, load_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from firm_data import FIRM_INPUTS, make_firm_panel


def _panel(n_per_year: dict[int, int], seed: int = 0, nan_share: float = 0.0) -> Panel:
    rng = np.random.default_rng(seed)
    rows = [(f"{i:06d}", y) for y, n in n_per_year.items() for i in range(n)]
    idx = pd.MultiIndex.from_tuples(rows, names=["unit", "year"])
    data = pd.DataFrame({"x": rng.standard_t(2, len(rows)), "y": rng.lognormal(0, 2, len(rows))}, index=idx)
    if nan_share:
        data = data.mask(rng.random(data.shape) < nan_share)
    return Panel(data, "firms", "firm")


def test_winsorise_by_year_clips_at_each_years_numpy_quantiles() -> None:
    p = _panel({2020: 57, 2021: 200, 2022: 33}, nan_share=0.05)
    out = clean_panel(p, CleanSpec(winsorize=(0.01, 0.99)))
    for col in ("x", "y"):
        for year in (2020, 2021, 2022):
            s = p.data[col].xs(year, level="year")
            lo, hi = np.nanquantile(s.to_numpy(), [0.01, 0.99])
            got = out.data[col].xs(year, level="year")
            np.testing.assert_array_equal(got.to_numpy(), s.clip(lo, hi).to_numpy())  # NaN stays NaN
            assert got.isna().equals(s.isna())


def test_winsorise_matches_scipy_mstats_when_the_quantile_is_an_order_statistic() -> None:
    # with n = 101 the 1 % and 99 % quantiles are the 2nd smallest and 2nd largest values, exactly what
    # mstats.winsorize(limits=(0.01, 0.01)) puts in place of the extremes
    p = _panel({2020: 101, 2021: 101}, seed=4)
    out = clean_panel(p, CleanSpec(winsorize=(0.01, 0.99)))
    for year in (2020, 2021):
        s = p.data["x"].xs(year, level="year").to_numpy()
        ref = np.asarray(winsorize(s, limits=(0.01, 0.01)))
        np.testing.assert_array_equal(out.data["x"].xs(year, level="year").to_numpy(), ref)


def test_pooled_winsorisation_uses_all_years_at_once() -> None:
    p = _panel({2020: 50, 2021: 60}, seed=2)
    out = clean_panel(p, CleanSpec(winsorize=(0.05, 0.95), winsorize_by="pooled"))
    lo, hi = np.quantile(p.data["y"], [0.05, 0.95])
    np.testing.assert_array_equal(out.data["y"].to_numpy(), p.data["y"].clip(lo, hi).to_numpy())
    _, bounds = winsorize_frame(p.data, (0.05, 0.95), "pooled")
    assert list(bounds.columns) == ["column", "low", "high"] and bounds.set_index("column").loc["y", "low"] == lo


def test_every_clipped_cell_is_recorded_with_old_and_new_value() -> None:
    p = _panel({2020: 57, 2021: 80}, nan_share=0.02)
    out = clean_panel(p, CleanSpec(winsorize=(0.01, 0.99)))
    cells = out.provenance.cells_frame()
    changed = (p.data != out.data) & p.data.notna()
    assert len(cells) == int(changed.to_numpy().sum()) > 0
    assert set(cells["action"]) == {"clipped"}
    assert set(cells["reason"]) == {"winsorised at 1 %/99 % by year"}
    for rec in cells.itertuples():
        assert p.data.loc[(rec.unit, rec.year), rec.column] == rec.before
        assert out.data.loc[(rec.unit, rec.year), rec.column] == rec.after
    assert f"{len(cells)} cells clipped in 2 columns" in out.provenance.notes[-1]
    assert p.provenance.cells == []  # the input panel is unchanged


def test_bad_limits_are_an_error_with_an_example() -> None:
    with pytest.raises(DataError, match=r"winsorize = \[0.99, 0.01\].*e.g. \[0.01, 0.99\]"):
        clean_panel(_panel({2020: 10}), CleanSpec(winsorize=(0.99, 0.01)))


def _labelled() -> Panel:
    units = ["000001", "000002", "600000", "600519", "601318", "300750"]
    inds = ["J66", "K70", "J66", "C15", "J68", None]
    rows = [(u, y) for u in units for y in (2020, 2021)]
    idx = pd.MultiIndex.from_tuples(rows, names=["unit", "year"])
    data = pd.DataFrame({"a": np.arange(12.0), "b": np.arange(12.0) * 2}, index=idx)
    st_flag = {("000002", 2021): 1, ("600519", 2020): 0}
    names = {("300750", 2020): "*ST宁德", ("000002", 2020): "万科A"}
    labels = pd.DataFrame({
        "industry": [inds[units.index(u)] for u, _ in rows],
        "st": [st_flag.get(r, 0) for r in rows],
        "name": [names.get(r, "公司") for r in rows],
    }, index=idx)
    return Panel(data, "firms", "firm", labels=labels)


def test_financial_firms_are_dropped_and_each_dropped_cell_recorded() -> None:
    p = _labelled()
    out = clean_panel(p, CleanSpec(drop_financial=True, industry="industry"))
    assert out.units == ["000002", "600519", "300750"]
    assert out.labels is not None and list(out.labels.index) == list(out.data.index)
    cells = out.provenance.cells_frame()
    # 3 financial firms × 2 years × 2 columns
    assert len(cells) == 12 and set(cells["action"]) == {"dropped"}
    assert set(cells["unit"]) == {"000001", "600000", "601318"}
    assert cells["reason"].str.contains("financial industry").all()
    assert p.data.loc[("601318", 2021), "b"] in set(cells["before"])
    note = " ".join(out.provenance.notes)
    assert "dropped 6 firm-years of 3 financial-industry firms (CSRC 2012 J66-J69: J66 4, J68 2)" in note
    assert "000001, 600000, 601318" in note
    assert "2 firm-years have no CSRC industry code in 'industry' and were kept" in note


def test_st_firm_years_are_dropped_from_a_flag_or_from_the_short_name() -> None:
    p = _labelled()
    out = clean_panel(p, CleanSpec(drop_st=True, st="st"))
    assert ("000002", 2021) not in out.data.index and ("000002", 2020) in out.data.index
    assert len(out.data) == 11
    cells = out.provenance.cells_frame()
    assert set(zip(cells["unit"], cells["year"], strict=True)) == {("000002", 2021)}
    assert "dropped 1 ST/*ST firm-years of 1 firms (000002)" in out.provenance.notes[-1]
    by_name = clean_panel(p, CleanSpec(drop_st=True, st="name"))
    assert ("300750", 2020) not in by_name.data.index and len(by_name.data) == 11
    both = clean_panel(p, CleanSpec(drop_financial=True, industry="industry", drop_st=True, st="st",
                                    winsorize=(0.0, 0.5)))
    assert set(both.provenance.cells_frame()["action"]) == {"dropped", "clipped"}
    assert len(both.data) == 5


def test_flags_and_codes() -> None:
    assert [is_st(v) for v in (1, 0, "1", "0", "是", "否", "ST", "*ST", "S*ST三联", "SST华塑", "平安银行", None)] == \
        [True, False, True, False, True, False, True, True, True, True, False, None]
    assert [is_financial(v) for v in ("J66", "J67", "J68", "J69", "J70", "C27", "K70", "货币金融服务", None)] == \
        [True, True, True, True, False, False, False, None, None]


def test_missing_label_columns_are_errors_whose_hint_names_the_fix() -> None:
    p = _labelled()
    with pytest.raises(DataError, match=r'add industry = "<column>" to \[data.clean\]'):
        clean_panel(p, CleanSpec(drop_financial=True))
    with pytest.raises(DataError, match=r"no label column 'ind_code'.*label columns are \['industry', 'st', "
                                        r"'name'\]. Add \"ind_code\" to \[data\] labels"):
        clean_panel(p, CleanSpec(drop_financial=True, industry="ind_code"))
    with pytest.raises(DataError, match=r"holds no CSRC 2012 industry code.*first values: 公司, 万科A"):
        clean_panel(p, CleanSpec(drop_financial=True, industry="name"))
    # following the hint: the label column exists → it works
    assert len(clean_panel(p, CleanSpec(drop_financial=True, industry="industry")).data) == 6


# ------------------------------------------------------------------------------------------------ end to end


def _firm_csv(tmp_path: Path, labels: bool) -> Path:
    df = make_firm_panel(30, range(2017, 2023), empty_share=0.0, seed=11)
    df = df.rename(columns={"Stkcd": "code"})
    keep = ["code", "year", *(["industry", "st"] if labels else []), *FIRM_INPUTS]
    path = tmp_path / "firms.csv"
    df[keep].to_csv(path, index=False)
    assert path.read_text().split("\n")[1].startswith("000")  # the first firm's code has leading zeros
    return path


STUDY = """
name = "firm-test"
[data]
path = "firms.csv"
unit = "code"
year = "year"
kind = "firm"
{labels}
[data.clean]
{clean}
winsorize = [0.01, 0.99]
winsorize_by = "year"

[[index]]
name = "nqpf"
framework = "nqpf-firm"
weighting = "entropy"
years = "2018-2022"
missing = "{missing}"
"""


def test_a_firm_study_from_a_csv_keeps_codes_winsorises_and_exports_per_year_weights(tmp_path: Path) -> None:
    _firm_csv(tmp_path, labels=False)
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(labels="", clean="", missing="error"), encoding="utf-8")
    spec, source = load_study(study)
    run = run_study(spec, source, base=tmp_path)
    codes = run.results["nqpf"].units
    assert len(codes) == 30 and all(len(c) == 6 and c.isdigit() for c in codes)
    assert any(c.startswith("00") for c in codes)  # leading zeros kept: 000xxx and 002xxx stay text
    assert "clipped" in run.provenance.counts()
    assert any("winsorised at 1 %/99 % by year" in n for n in run.provenance.notes)
    tables = run_tables(run)
    wby = tables["nqpf_weights_by_year"]
    assert list(wby.columns[4:]) == ["2018", "2019", "2020", "2021", "2022", "mean"]
    # run_tables is what write_run writes to tables/*.csv and results.xlsx (the figures and report are skipped
    # here to keep the test fast)
    book = write_workbook(tables, tmp_path / "results.xlsx", run=run, lang="zh")
    sheet = read_workbook_table(book, "nqpf_weights_by_year")
    assert list(sheet["name_zh"]) == list(wby["name_zh"])
    np.testing.assert_allclose(sheet["mean"].astype(float), wby["mean"])
    np.testing.assert_allclose(sheet[["2018", "2022"]].astype(float), wby[["2018", "2022"]])
    assert set(tables["nqpf_scores"]["unit"]) == set(codes)


def _labels_are_read() -> bool:
    """Whether load_panel reads [data] labels (the reading work of issue 12); until then the test below skips."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.csv"
        path.write_text("code,year,industry,v\n000001,2020,J66,1\n000002,2020,C27,2\n", encoding="utf-8")
        try:
            panel = load_panel(DataSpec(path=str(path), unit="code", year="year", kind="firm", labels=["industry"]))
        except DataError:  # 'J66' is not a number: the label column was read as an indicator
            return False
    return panel.labels is not None and "industry" in panel.labels.columns


@pytest.mark.skipif(not _labels_are_read(), reason="label columns are read by the reading work of issue 12")
def test_a_firm_study_drops_financial_firms_and_st_years_from_label_columns(tmp_path: Path) -> None:
    _firm_csv(tmp_path, labels=True)
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(labels='labels = ["industry", "st"]',
                                  clean='drop_financial = true\nindustry = "industry"\ndrop_st = true\nst = "st"',
                                  missing="drop"),  # "interpolate" would fill the dropped ST years again
                     encoding="utf-8")
    spec, source = load_study(study)
    run = run_study(spec, source, base=tmp_path)
    df = make_firm_panel(30, range(2017, 2023), empty_share=0.0, seed=11)
    fin = set(df.loc[df["industry"].str[:3].isin(["J66", "J67", "J68", "J69"]), "Stkcd"])
    assert not fin & set(run.panel.units)
    st_years = set(zip(df.loc[df["st"] == 1, "Stkcd"], df.loc[df["st"] == 1, "year"], strict=True))
    assert not st_years & set(run.panel.data.index)
    assert {"dropped", "clipped"} <= set(run.provenance.counts())
