"""The bundled city data (地级市数据): city codes and provinces, census population, national pilot lists.

``load_dataset("china-cities")`` gives the PKU digital financial inclusion index of 338 prefecture-level
cities, 2011–2023; this module adds what that panel does not hold: the city table (4-digit 2018-vintage code as
text, English name, province), the resident population of the 2010 and 2020 censuses (a separate table: two
census years, nothing in between), and the pilot lists with their official sources — as the treatment years a
DID needs, or as a grouping file (``unit,group``) that a study's ``[groups.<label>] file = ...`` reads.
Sources, licences and checks: CITIES.md beside this file.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.paths import data_path

__all__ = ["CENSUS_YEARS", "POLICIES", "census_population", "city_table", "pilot_groups", "pilot_list",
           "pilot_years"]

#: The census years of :func:`census_population` (the 6th and 7th national population censuses).
CENSUS_YEARS = (2010, 2020)

#: The bundled pilot policies: key -> (zh, en).
POLICIES: dict[str, tuple[str, str]] = {
    "broadband_china_pilot": ("“宽带中国”示范城市", "Broadband China demonstration cities"),
    "innovative_city_pilot": ("国家创新型城市", "National innovative cities"),
    "bigdata_comprehensive_pilot": ("国家大数据综合试验区", "National big-data comprehensive pilot zones"),
    "ip_demo_city": ("国家知识产权示范城市", "National intellectual-property demonstration cities"),
}


def city_table() -> pd.DataFrame:
    """One row per city of the bundled panel: ``city`` (unit name), ``city_code`` (text), ``city_en``, ``province``.

    Examples
    --------
    >>> t = city_table().set_index("city")
    >>> t.loc["杭州市", ["city_code", "province"]].tolist()
    ['3301', '浙江']
    """
    df = pd.read_csv(data_path("china_cities_panel.csv"), dtype={"city_code": str},
                     usecols=["city", "city_code", "city_en", "province"])
    return df.drop_duplicates("city").reset_index(drop=True)


def pilot_list(policy: str | None = None) -> pd.DataFrame:
    """The bundled pilot lists (all policies, or one): policy, batch_year, raw_name, mapped_prefecture,
    mapping_level, official_source — as transcribed, with the prefecture each listed place maps to.

    Examples
    --------
    >>> pilot_list("broadband_china_pilot").groupby("batch_year").size().to_dict()
    {2014: 41, 2015: 39, 2016: 39}
    """
    df = pd.read_csv(data_path("china_cities_pilots.csv"), dtype=str)
    df["batch_year"] = df["batch_year"].astype(int)
    if policy is None:
        return df
    if policy not in POLICIES:
        raise DataError(f"unknown pilot policy {policy!r}; bundled: {list(POLICIES)}")
    return df[df["policy"] == policy].reset_index(drop=True)


def pilot_years(policy: str = "broadband_china_pilot", units: Iterable[str] | None = None,
                levels: Iterable[str] | None = None) -> tuple[dict[str, int], list[str]]:
    """Treatment (first batch) year of each prefecture on a pilot list, for :func:`nqpf.models.did.did`.

    Parameters
    ----------
    policy : a key of :data:`POLICIES`.
    units : the units of the panel; listed places that are not among them are returned as the second item
        (named, never dropped silently). None: no check.
    levels : mapping levels to keep (e.g. ``["city"]`` to ignore prefectures that enter only through a
        county-level city or a district); None keeps all.

    Returns
    -------
    ({prefecture: first batch year}, [listed prefectures not among ``units``])

    Examples
    --------
    >>> years, missing = pilot_years("broadband_china_pilot")
    >>> years["杭州市"] if "杭州市" in years else None, years["苏州市"], years["商丘市"], len(years)
    (2016, 2014, 2015, 114)
    """
    df = pilot_list(policy)
    if levels is not None:
        keep = set(levels)
        df = df[df["mapping_level"].isin(keep)]
    first = df.groupby("mapped_prefecture")["batch_year"].min()
    out = {str(k): int(v) for k, v in first.items()}
    missing: list[str] = []
    if units is not None:
        have = set(map(str, units))
        missing = sorted(k for k in out if k not in have)
        out = {k: v for k, v in out.items() if k in have}
    return out, missing


def census_population(level: str | None = "prefecture") -> pd.DataFrame:
    """Resident population (常住人口) and its structure from the 2010 and 2020 censuses, one row per unit and year.

    Columns: ``city`` (the name the ``china-cities`` panel uses; 北京市 … for the municipalities), ``year``
    (2010 or 2020 — only the census years; nothing is interpolated), ``city_code`` (6-digit, text),
    ``province`` (short name), ``level``, ``population``, ``population_urban``, ``population_rural`` (persons),
    ``household_size``, ``sex_ratio`` (males per 100 females), ``age_0_14``, ``age_15_59``, ``age_60_plus``,
    ``age_65_plus`` (% of residents). 2010 is on the 2020 boundaries (so 莱芜, merged into 济南 in 2019, has no
    row). Source: Dong, Du & Liu (2022), leiii/census (MIT); see CITIES.md.

    Parameters
    ----------
    level : "prefecture" (337 prefecture-level units), "county_under_province" (30 county-level units governed
        by a province: 济源, 仙桃 …, Hainan's counties, Xinjiang's XPCC cities), "sar" (香港, 澳门), or None (all).

    Examples
    --------
    >>> c = census_population().set_index(["city", "year"])
    >>> int(c.loc[("苏州市", 2020), "population"]), c.index.get_level_values("year").unique().tolist()
    (12748262, [2010, 2020])
    """
    df = pd.read_csv(data_path("china_cities_census.csv"), dtype={"city_code": str})
    levels = ("prefecture", "county_under_province", "sar")
    if level is None:
        return df
    if level not in levels:
        raise DataError(f"census_population: unknown level {level!r}; use one of {list(levels)} or None")
    return df[df["level"] == level].reset_index(drop=True)


def pilot_groups(policy: str = "broadband_china_pilot", units: Iterable[str] | None = None,
                 never: str = "未入选", levels: Iterable[str] | None = None) -> pd.DataFrame:
    """A grouping table ``unit, group`` from a pilot list: each listed prefecture's first batch (e.g.
    ``2014年批次``), every other unit of ``units`` in the group ``never``.

    Written to CSV it is a grouping file a study reads (``[groups.broadband] file = "broadband.csv"``).
    Listed places that are not among ``units`` are left out of the table (see :func:`pilot_years`, which
    names them).

    Examples
    --------
    >>> g = pilot_groups(units=["苏州市", "商丘市", "杭州市", "丽水市"])
    >>> g.to_dict("list")
    {'unit': ['苏州市', '商丘市', '杭州市', '丽水市'], 'group': ['2014年批次', '2015年批次', '2016年批次', '未入选']}
    """
    years, _missing = pilot_years(policy, units=units, levels=levels)
    names = list(years) if units is None else [str(u) for u in units]
    groups = [f"{years[u]}年批次" if u in years else never for u in names]
    return pd.DataFrame({"unit": names, "group": groups})
