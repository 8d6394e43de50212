"""The bundled frameworks: they load, their definitions read real columns, and their documented
coverage (units x years in docs/frameworks.md) holds on the bundled data.

Reference values: the data README of the bundled China panel (src/nqpf/datasets, copied from
/work/shared/data/README.md) states Beijing's 2022 R&D intensity as 6.83 % on the original GDP and 6.29 % on the
revised GDP, and Guangdong's 2019 year-end resident population as 11,521 万 in the 2020 statistical yearbook.
"""

from __future__ import annotations

import ast
from functools import cache

import numpy as np
import pandas as pd
import pytest

from nqpf.core import expr
from nqpf.core.framework import BUNDLED_FRAMEWORKS, Framework, load_framework
from nqpf.datasets import DATASETS, data_path

FUNCTIONS = {"lag", "growth", "log", "sqrt", "abs"}
FACTORS = {"laborers", "means_of_labor", "objects_of_labor"}
NEWS = {"new_technology", "new_economy", "new_business_forms"}
LEVERS = {"government_market", "st_self_reliance", "st_innovation_system", "modern_industrial_system",
          "emerging_future_industries"}
NQPF = ("nqpf-province-2023", "nqpf-province", "nqpf-province-core", "nqpf-country")
PROVINCIAL = ("nqpf-province-2023", "hqd-province-2022", "nqpf-province", "nqpf-province-core", "hqd-province")

# 41 economies with every nqpf-country indicator in every year 2012-2021 (docs/frameworks.md).
NQPF_COUNTRIES = (
    "ARG AUT BEL BGR CAN CHL CHN CYP CZE DEU DNK EGY ESP EST FIN FRA GRC HKG HRV HUN JPN KOR LTU LUX LVA MDA MEX "
    "MLT NLD NOR POL PRT ROU RUS SGP SVK SWE TUR UKR USA ZAF"
).split()
OECD = ("AUS AUT BEL CAN CHL COL CRI CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ISR ITA JPN KOR LVA LTU LUX MEX NLD "
        "NZL NOR POL PRT SVK SVN ESP SWE CHE TUR GBR USA").split()
G20 = "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA".split()


@cache
def frame(dataset: str) -> pd.DataFrame:
    """The bundled CSV indexed by (unit, year), numeric columns only."""
    spec = DATASETS[dataset]
    df = pd.read_csv(data_path(spec["file"])).drop(columns=spec["drop"])
    return df.set_index([spec["unit"], "year"]).sort_index()


@cache
def fw(name: str) -> Framework:
    return load_framework(name)


def provinces_30() -> list[str]:
    units = frame("china-provinces").index.get_level_values(0).unique()
    return sorted(u for u in units if u != "西藏")


# framework -> (units, first year, last year) documented in docs/frameworks.md
def coverage(name: str) -> tuple[list[str], int, int]:
    return {
        "nqpf-province-2023": (provinces_30(), 2016, 2023),
        "hqd-province-2022": (provinces_30(), 2016, 2022),
        "nqpf-province": (provinces_30(), 2013, 2019),
        "nqpf-province-core": (provinces_30(), 2013, 2023),
        "hqd-province": (provinces_30(), 2013, 2019),
        "nqpf-country": (NQPF_COUNTRIES, 2012, 2021),
        "hqd-country": (sorted((set(OECD) | set(G20)) - {"IND"}), 2012, 2021),
        "tpf-province-2023": (provinces_30(), 2016, 2023),
        "prf-province": (sorted(frame("china-provinces").index.get_level_values(0).unique()), 2016, 2019),
    }[name]


def names_in(expression: str) -> set[str]:
    """Column names read by a definition: every ast.Name that is not the function of a call."""
    tree = ast.parse(expression, mode="eval")
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


@cache
def values(name: str) -> pd.DataFrame:
    """Every indicator of a framework evaluated on its whole bundled dataset."""
    f = fw(name)
    data = frame(f.spec.dataset)
    return pd.DataFrame({i.id: expr.evaluate(i.expression, data, name=i.id) for i in f.indicators})


def complete_units(vals: pd.DataFrame, first: int, last: int) -> set[str]:
    years = vals.index.get_level_values(1)
    w = vals[(years >= first) & (years <= last)]
    ok = w.notna().all(axis=1).groupby(level=0).all()
    return set(ok[ok].index)


# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED_FRAMEWORKS)
def test_bundled_framework_loads(name: str) -> None:
    f = load_framework(name)
    assert f.name == name
    assert f.spec.dataset in DATASETS
    assert f.spec.title.zh and f.spec.title.en and f.spec.references
    # NQPF and HQD systems are rich; the relation frameworks are small by design (docs/frameworks.md)
    assert len(f.indicators) >= (10 if name.startswith(("nqpf", "hqd")) else 6)


@pytest.mark.parametrize("name", BUNDLED_FRAMEWORKS)
def test_ids_unique_and_every_indicator_documented(name: str) -> None:
    f = fw(name)
    ids = [it.id for it in f.items]
    assert len(ids) == len(set(ids))
    for ind in f.indicators:
        assert ind.name_zh and ind.name_en and ind.unit and ind.rationale and ind.source, ind.id
        assert ind.definition is not None, f"{ind.id}: give the definition explicitly"
        assert len(ind.rationale) < 300, f"{ind.id}: the rationale should be one line"


@pytest.mark.parametrize("name", BUNDLED_FRAMEWORKS)
def test_definition_columns_exist_in_bundled_dataset(name: str) -> None:
    f = fw(name)
    cols = set(frame(f.spec.dataset).columns)
    for ind in f.indicators:
        tree = ast.parse(ind.expression, mode="eval")
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert calls <= FUNCTIONS, f"{ind.id}: unknown function(s) {calls - FUNCTIONS}"
        missing = names_in(ind.expression) - cols
        assert not missing, f"{name}/{ind.id}: columns {missing} are not in {f.spec.dataset}"
        assert set(expr.columns(ind.expression)) == names_in(ind.expression)


@pytest.mark.parametrize("name", NQPF)
def test_nqpf_indicators_carry_all_three_tags(name: str) -> None:
    table = fw(name).indicator_table()
    assert set(table["factor"]) == FACTORS
    assert set(table["new"]) <= NEWS and table["new"].notna().all()
    assert set(table["lever"]) <= LEVERS and table["lever"].notna().all()


def test_nqpf_province_is_rich_and_covers_factors_levers_and_themes() -> None:
    f = fw("nqpf-province")
    table = f.indicator_table()
    assert len(table) >= 20
    assert set(table["factor"]) == FACTORS
    assert set(table["lever"]) == LEVERS
    assert set(table["new"]) == NEWS
    assert {"broadband_ports_per_100", "mobile_phone_penetration"} <= set(f.leaves("digital_means"))
    assert len(f.leaves("data_elements")) >= 3
    green = f.leaves("green_energy")
    assert green and all(f.item(i).item.direction == "negative" for i in green)
    assert f.dimensions == ["laborers", "means_of_labor", "objects_of_labor"]


def test_nqpf_province_2023_is_rich_and_reaches_the_latest_year() -> None:
    """Issue 14: at least 18 indicators over the three factors and the three "new" dimensions, every lever,
    a green block, and a span that ends in the last year the data cover for all its indicators (2023)."""
    f = fw("nqpf-province-2023")
    table = f.indicator_table()
    assert len(table) >= 18
    assert set(table["factor"]) == FACTORS
    assert set(table["lever"]) == LEVERS
    assert set(table["new"]) == NEWS
    assert f.dimensions == ["laborers", "means_of_labor", "objects_of_labor"]
    assert {"broadband_ports_per_100", "computers_per_100_employees"} <= set(f.leaves("digital_means"))
    assert len(f.leaves("data_elements")) >= 3
    assert "non_thermal_power_share" in f.leaves("new_industries_energy")
    assert f.spec.sample.years == (2016, 2023)


def test_new_vintage_uses_the_revised_population_and_revised_gdp_only() -> None:
    """The 2016- frameworks divide by population_resident, never by the mobile-implied population of the 2013-2019
    vintage, and never use the published rd_intensity (original GDP) or the second GDP vintage."""
    for name in ("nqpf-province-2023", "hqd-province-2022"):
        cols = set().union(*(names_in(i.expression) for i in fw(name).indicators))
        assert not cols & {"mobile_phone_users", "mobile_phone_penetration", "rd_intensity", "gdp_nbs2024",
                           "co2_emissions", "electricity_consumption"}, name
        assert "population_resident" in cols and "gdp" in cols


def test_hqd_frameworks_follow_the_five_concepts() -> None:
    for name in ("hqd-province", "hqd-country"):
        assert fw(name).dimensions == ["innovation", "coordination", "green", "openness", "sharing"]


def test_hqd_2022_has_four_concepts_because_openness_ends_in_2019() -> None:
    """No provincial trade, FDI or services-trade series reaches past 2019 in the bundled data: the 2016-2022
    vintage keeps the other four concepts in order and says so; its CO2 is the apparent inventory to 2022."""
    f = fw("hqd-province-2022")
    assert f.dimensions == ["innovation", "coordination", "green", "sharing"]
    assert "openness" in f.spec.description.lower() or "openness" in f.spec.target.rationale.lower()
    data = frame("china-provinces")
    for col in ("trade_total_firm_location_usd", "exports_firm_location_usd", "trade_total_usd"):
        assert data[col].dropna().index.get_level_values(1).max() <= 2019, col
    assert f.item("co2_intensity").item.expression.startswith("co2_emissions_apparent")
    co2 = data["co2_emissions_apparent"].dropna()
    assert co2.index.get_level_values(1).max() == 2022


@pytest.mark.parametrize(("nqpf", "hqd"), [("nqpf-province", "hqd-province"), ("nqpf-country", "hqd-country"),
                                           ("nqpf-province-2023", "hqd-province-2022")])
def test_hqd_shares_no_indicator_with_its_nqpf_pair(nqpf: str, hqd: str) -> None:
    a = {i.expression.replace(" ", "") for i in fw(nqpf).indicators}
    b = {i.expression.replace(" ", "") for i in fw(hqd).indicators}
    assert not a & b


def test_core_indicators_have_data_to_2022_for_every_covered_province() -> None:
    f = fw("nqpf-province-core")
    data = frame("china-provinces")
    units, _, _ = coverage("nqpf-province-core")
    for ind in f.indicators:
        for col in names_in(ind.expression):
            s = data[col].dropna()
            last = s.groupby(level=0).apply(lambda g: int(g.index.get_level_values(1).max()))
            for u in units:
                assert u in last.index and last[u] >= 2022, f"{ind.id}: column {col} ends before 2022 for {u}"
    # and the index itself runs to 2023 for every covered province
    assert units == sorted(complete_units(values("nqpf-province-core"), 2013, 2023))


@pytest.mark.parametrize("name", BUNDLED_FRAMEWORKS)
def test_documented_units_and_years_are_complete(name: str) -> None:
    units, first, last = coverage(name)
    ok = complete_units(values(name), first, last)
    missing = sorted(set(units) - ok)
    assert not missing, f"{name}: incomplete over {first}-{last} for {missing}"


@pytest.mark.parametrize("name", PROVINCIAL)
def test_tibet_cannot_be_covered(name: str) -> None:
    """西藏 lacks software revenue (nqpf-province), CO2 (hqd-province) or 2012-16 tech-market output (core)."""
    _, first, last = coverage(name)
    assert "西藏" not in complete_units(values(name), first, last)


@pytest.mark.parametrize(("name", "first", "last"), [
    ("nqpf-province", 2012, 2019), ("nqpf-province", 2013, 2020),
    ("nqpf-province-core", 2013, 2024), ("hqd-province", 2013, 2020), ("nqpf-country", 2012, 2022),
    ("nqpf-province-2023", 2015, 2023), ("nqpf-province-2023", 2016, 2024),
    ("hqd-province-2022", 2015, 2022), ("hqd-province-2022", 2016, 2023),
])
def test_documented_span_cannot_be_extended(name: str, first: int, last: int) -> None:
    """One more year at the documented end loses every unit: the spans are the longest the data allow."""
    assert complete_units(values(name), first, last) == set()


@pytest.mark.parametrize("name", PROVINCIAL)
def test_declared_sample_is_the_documented_coverage(name: str) -> None:
    """The YAML's sample (what a study measures by default) is the span and unit set checked above."""
    units, first, last = coverage(name)
    sample = fw(name).spec.sample
    assert sample.years == (first, last)
    assert sample.exclude_units == ["西藏"] and units == provinces_30()


def test_country_sets_match_the_documented_counts() -> None:
    assert sorted(complete_units(values("nqpf-country"), 2012, 2021)) == NQPF_COUNTRIES
    hqd = complete_units(values("hqd-country"), 2012, 2021)
    assert len(hqd) == 133
    assert (set(OECD) | set(G20)) - hqd == {"IND"}


def test_rd_intensity_is_recomputed_on_revised_gdp() -> None:
    """Beijing 2022: published 6.83 % (original GDP) vs 6.29 % on the revised GDP (data README)."""
    v = values("nqpf-province-core").loc[("北京", 2022), "rd_intensity_revised"]
    assert round(v, 2) == 6.29
    assert frame("china-provinces").loc[("北京", 2022), "rd_intensity"] == pytest.approx(6.83)


def test_per_capita_denominator_is_the_then_published_population() -> None:
    """users / penetration x 100 gives Guangdong 2019 = 11,521 万 (2020 yearbook), not the revised 12,489."""
    d = frame("china-provinces")
    pop = d["mobile_phone_users"] / d["mobile_phone_penetration"] * 100
    assert pop[("广东", 2019)] == pytest.approx(11521, abs=1)
    assert d.loc[("广东", 2019), "population_resident"] == pytest.approx(12489, abs=1)
    ratio = (pop / d["population_resident"]).loc[provinces_30()]
    ratio = ratio[(ratio.index.get_level_values(1) >= 2015) & (ratio.index.get_level_values(1) <= 2019)]
    assert 0.91 < ratio.min() < 0.92 and 1.15 < ratio.max() < 1.16  # the bounds quoted in docs/frameworks.md
    # hand check of one per-capita indicator: Beijing 2019 broadband ports per 100 residents
    b = d.loc[("北京", 2019)]
    hand = b["broadband_ports"] / (b["mobile_phone_users"] / b["mobile_phone_penetration"] * 100) * 100
    assert values("nqpf-province").loc[("北京", 2019), "broadband_ports_per_100"] == pytest.approx(hand)


def test_investment_band_is_the_oecd_interquartile_range() -> None:
    ind = fw("hqd-country").item("investment_rate").item
    assert ind.direction == "interval" and tuple(ind.best) == (20.0, 25.0)
    d = frame("wdi-countries")["gross_capital_formation_pct_gdp"]
    years = d.index.get_level_values(1)
    oecd = d[d.index.get_level_values(0).isin(OECD) & (years >= 2012) & (years <= 2021)].dropna()
    q25, q75 = np.percentile(oecd, [25, 75])
    assert round(q25) == 20 and round(q75) == 25


@pytest.mark.parametrize("name", BUNDLED_FRAMEWORKS)
def test_domains_hold_on_the_whole_dataset(name: str) -> None:
    vals = values(name)
    for ind in fw(name).indicators:
        s = vals[ind.id].dropna()
        assert np.isfinite(s).all(), ind.id
        if ind.domain == "positive":
            assert (s > 0).all(), ind.id
        elif ind.domain == "nonnegative":
            assert (s >= 0).all(), ind.id
