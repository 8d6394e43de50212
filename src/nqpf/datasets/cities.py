"""The bundled city data (地级市数据): city codes and provinces, and national pilot lists (国家试点名单).

``load_dataset("china-cities")`` gives the PKU digital financial inclusion index of 338 prefecture-level
cities, 2011–2023; this module adds what a Panel does not hold: the city table (4-digit 2018-vintage code as
text, English name, province) and the pilot lists with their official sources, and turns a list into the
treatment years a DID needs. Sources, licences and checks: CITIES.md beside this file.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nqpf.core.errors import DataError
from nqpf.core.paths import data_path

__all__ = ["POLICIES", "city_table", "pilot_list", "pilot_years"]

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
