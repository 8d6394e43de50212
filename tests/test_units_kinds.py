"""Unit kinds and name resolution (issue 12): canonical ids for provinces, cities, counties, firms, countries."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from nqpf.core.errors import DataError
from nqpf.core.panel import read_panel
from nqpf.core.units import admin_changes, admin_units, resolve_units, unit_code, unit_name
from nqpf.datasets import data_path as bundled
from nqpf.datasets import load_dataset


def _rename_in(message: str) -> dict[str, str]:
    """The ``[data] rename = { "a" = "b" }`` maps a hint prints, as a dict (the last one printed wins)."""
    found = re.findall(r'rename = \{ "([^"]+)" = "([^"]+)" \}', message)
    assert found, f"no rename hint in: {message}"
    return {found[-1][0]: found[-1][1]}


def _all_renames(message: str) -> list[dict[str, str]]:
    return [{a: b} for a, b in re.findall(r'rename = \{ "([^"]+)" = "([^"]+)" \}', message)]


def _write(tmp_path, rows: list[tuple], name: str = "panel.csv"):
    p = tmp_path / name
    pd.DataFrame(rows, columns=["unit", "year", "x"]).to_csv(p, index=False)
    return p


# ------------------------------------------------------------------------------------------------------------
# the bundled tables


def test_admin_table_levels_and_ids():
    prov, city, county = admin_units("province"), admin_units("city"), admin_units("county")
    assert (len(prov), len(city), len(county)) == (34, 370, 2875)
    for df in (prov, city, county):
        assert df["id"].is_unique and df["code"].str.fullmatch(r"\d{6}").all()
    c = city.set_index("id")
    assert c.loc["苏州市", ["code", "short_name", "name_en", "province_code"]].tolist() == [
        "320500", "苏州", "Suzhou", "320000"]
    assert c.loc["延边朝鲜族自治州", "short_name"] == "延边" and c.loc["延边朝鲜族自治州", "name_en"] == "Yanbian"
    assert c.loc["大兴安岭地区", "short_name"] == "大兴安岭"
    # the four municipalities are provinces and cities
    for m in ("北京市", "天津市", "上海市", "重庆市"):
        assert m in c.index and m[:2] in set(prov["id"])
    assert c.loc["重庆市", "code"] == "500100" and c.loc["北京市", "code"] == "110100"
    # counties: full name when unique, else city + name
    k = county.set_index("code")
    assert k.loc["320106", "id"] == "南京市鼓楼区" and k.loc["320583", "id"] == "昆山市"
    assert k.loc["110105", "id"] == "北京市朝阳区"
    assert (county["id"].str.endswith("鼓楼区")).sum() == 4


def test_changes_table_points_at_current_units():
    ch = admin_changes()
    codes = {(r.level, r.code) for r in admin_units("city").itertuples()} | {
        (r.level, r.code) for r in admin_units("county").itertuples()}
    for r in ch.itertuples():
        for code in r.new_code.split(";"):
            assert (r.level, code) in codes, r.old_name
        assert r.change in {"rename", "upgrade", "merged_into", "dissolved", "new"} and 2007 <= r.year <= 2024
        assert r.source
    listed = set(ch.loc[ch["level"] == "city", "old_name"])
    assert {"襄樊市", "思茅市", "巢湖市", "莱芜市", "毕节地区", "铜仁地区", "海东地区", "日喀则地区", "昌都地区",
            "林芝地区", "山南地区", "那曲地区", "吐鲁番地区", "哈密地区", "儋州市", "三沙市"} <= listed


# ------------------------------------------------------------------------------------------------------------
# cities


@pytest.mark.parametrize("name", ["苏州", "苏州市", "320500", 320500, 3205, "3205", 320500.0, "江苏省苏州市",
                                  " 苏州市 "])
def test_city_spellings_resolve_to_the_full_name(name):
    res = resolve_units([name], "city")
    assert res.ids == ["苏州市"] and res.codes == ["320500"]


def test_municipalities_by_kind():
    assert resolve_units(["北京"], "city").ids == ["北京市"]
    assert resolve_units(["北京"], "province").ids == ["北京"]
    assert resolve_units(["北京市", "重庆市"], "city").ids == ["北京市", "重庆市"]
    assert resolve_units([110000.0], "city").ids == ["北京市"] and resolve_units(["5000"], "city").ids == ["重庆市"]
    assert resolve_units([110000.0], "province").ids == ["北京"]
    # a province that is not a municipality is never a city
    with pytest.raises(DataError, match="unknown city name '江苏'"):
        resolve_units(["江苏"], "city")


def test_suffixes_are_optional_one_by_one():
    expect = {"延边州": "延边朝鲜族自治州", "大兴安岭": "大兴安岭地区", "恩施州": "恩施土家族苗族自治州",
              "阿拉善": "阿拉善盟", "内蒙古自治区呼和浩特市": "呼和浩特市", "香港": "香港特别行政区"}
    for given, canonical in expect.items():
        assert resolve_units([given], "city").ids == [canonical], given


def test_renamed_city_resolves_with_a_note():
    res = resolve_units(["襄樊市", "思茅", "毕节地区", "5224", "那曲地区"], "city", unique=False)
    assert res.ids == ["襄阳市", "普洱市", "毕节市", "毕节市", "那曲市"]
    why = dict((a, w) for a, _, w in res.changes)
    assert "rename in 2010" in why["襄樊市"] and "国务院" in why["襄樊市"]
    assert "upgrade in 2011" in why["毕节地区"] and "upgrade in 2017" in why["那曲地区"]


def test_read_panel_notes_the_rename(tmp_path):
    p = _write(tmp_path, [("襄樊市", 2009, 1.0), ("襄阳市", 2011, 2.0), ("苏州", 2010, 3.0)])
    panel = read_panel(p, kind="city")
    assert panel.units == ["苏州市", "襄阳市"]  # GB/T 2260 order: 320500 before 420600
    notes = " ".join(panel.provenance.notes)
    assert "襄樊市 → 襄阳市: rename in 2010" in notes and "苏州 → 苏州市" in notes


def test_merged_city_is_an_error_naming_where_it_went(tmp_path):
    p = _write(tmp_path, [("莱芜市", 2018, 1.0), ("莱芜市", 2019, 2.0), ("苏州市", 2019, 3.0)])
    with pytest.raises(DataError, match="莱芜市") as err:
        read_panel(p, kind="city")
    msg = str(err.value)
    assert "merged into 济南市 in 2019" in msg and "2019–2019" in msg and str(p) in msg
    hints = _all_renames(msg)
    assert hints == [{"莱芜市": "济南市"}, {"莱芜市": "莱芜市"}]
    # follow the first hint: its rows count as 济南市
    merged = read_panel(p, kind="city", rename=hints[0])
    assert merged.units == ["苏州市", "济南市"]
    assert "renamed by the study file: 莱芜市 → 济南市" in " ".join(merged.provenance.notes)
    # follow the second: kept as its own (former) unit, noted
    kept = read_panel(p, kind="city", rename=hints[1])
    assert set(kept.units) == {"莱芜市", "苏州市"}
    assert "a former unit (莱芜市 was merged into 济南市 in 2019)" in " ".join(kept.provenance.notes)
    assert unit_code("莱芜市", "city") == "371200" and unit_name("莱芜市", "en", "city") == "Laiwu"


def test_former_city_with_data_before_its_change_is_kept(tmp_path):
    p = _write(tmp_path, [("莱芜市", 2017, 1.0), ("莱芜市", 2018, 2.0), ("济南市", 2018, 3.0)])
    panel = read_panel(p, kind="city")
    assert panel.units == ["济南市", "莱芜市"]
    assert "the data end in 2018, before the change" in " ".join(panel.provenance.notes)


def test_dissolved_city_names_the_three_successors():
    with pytest.raises(DataError, match="dissolved in 2011; its area went to 合肥市 and 芜湖市 and 马鞍山市"):
        resolve_units(["巢湖市"], "city", years={"巢湖市": [2010, 2011, 2012]})
    # the hint works: keep it as a former unit
    res = resolve_units(["巢湖市"], "city", rename={"巢湖市": "巢湖市"})
    assert res.ids == ["巢湖市"] and res.codes == ["341400"]


def test_misspelt_city_near_match_and_hint_followed(tmp_path):
    p = _write(tmp_path, [("苏洲市", 2020, 1.0), ("无锡市", 2020, 2.0)])
    with pytest.raises(DataError, match="unknown city name '苏洲市'; near matches: 苏州市") as err:
        read_panel(p, kind="city")
    msg = str(err.value)
    # two near matches as close as each other (苏州市, 株洲市): the hint offers each, the user picks the one meant
    assert ('add a rename to the study file with the one you mean: [data] rename = { "苏洲市" = "苏州市" } '
            'or { "苏洲市" = "株洲市" }') in msg
    assert "drop" not in msg
    panel = read_panel(p, kind="city", rename=_rename_in(msg))
    assert panel.units == ["无锡市", "苏州市"]


def test_same_city_twice_in_a_list_is_an_error_naming_both():
    with pytest.raises(DataError, match="'苏州' and '苏州市' both resolve to 苏州市"):
        resolve_units(["苏州", "苏州市"], "city")


def test_same_city_twice_in_a_year_is_an_error_naming_both(tmp_path):
    p = _write(tmp_path, [("苏州", 2020, 1.0), ("苏州市", 2020, 2.0)])
    with pytest.raises(DataError, match="'苏州' and '苏州市' both map to the same city-year 苏州市 2020"):
        read_panel(p, kind="city")
    # different years: one unit, the spellings noted
    ok = read_panel(_write(tmp_path, [("苏州", 2019, 1.0), ("苏州市", 2020, 2.0)], "b.csv"), kind="city")
    assert ok.units == ["苏州市"] and ok.years == [2019, 2020]


def test_two_sheets_spelling_one_city_two_ways_make_one_unit(tmp_path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"城市": ["苏州", "无锡"], "year": [2015, 2015], "gdp": [1.0, 2.0]}).to_excel(
            xw, sheet_name="a", index=False)
        pd.DataFrame({"城市": ["苏州市", "无锡市"], "year": [2015, 2015], "rd": [3.0, 4.0]}).to_excel(
            xw, sheet_name="b", index=False)
    panel = read_panel(p, unit="城市", year="year", kind="city")
    assert panel.units == ["无锡市", "苏州市"]
    assert not panel.data.isna().any().any()
    assert panel.data.loc[("苏州市", 2015)].tolist() == [1.0, 3.0]


# ------------------------------------------------------------------------------------------------------------
# counties


def test_ambiguous_county_lists_candidates_and_the_hint_works(tmp_path):
    with pytest.raises(DataError, match="'鼓楼区' is ambiguous") as err:
        resolve_units(["鼓楼区"], "county")
    msg = str(err.value)
    for cand in ("南京市鼓楼区 (320106)", "徐州市鼓楼区 (320302)", "福州市鼓楼区 (350102)", "开封市鼓楼区 (410204)"):
        assert cand in msg
    p = _write(tmp_path, [("鼓楼区", 2020, 1.0), ("昆山市", 2020, 2.0)])
    panel = read_panel(p, kind="county", rename=_rename_in(msg))
    assert panel.units == ["南京市鼓楼区", "昆山市"]


def test_county_with_city_prefix_or_code():
    names = ["南京市鼓楼区", "徐州鼓楼区", "江苏省南京市玄武区", "350102", "昆山", "北京市朝阳区"]
    res = resolve_units(names, "county")
    assert res.ids == ["南京市鼓楼区", "徐州市鼓楼区", "玄武区", "福州市鼓楼区", "昆山市", "北京市朝阳区"]
    assert unit_name("南京市鼓楼区", "en", "county") == "Gulou (Nanjing)"


def test_merged_county_and_renamed_county():
    assert resolve_units(["吴江市"], "county").ids == ["吴江区"]
    with pytest.raises(DataError, match="merged into 南京市鼓楼区 in 2013") as err:
        resolve_units(["下关区"], "county")
    assert _all_renames(str(err.value))[0] == {"下关区": "南京市鼓楼区"}
    assert resolve_units(["下关区"], "county", rename={"下关区": "南京市鼓楼区"}).ids == ["南京市鼓楼区"]


# ------------------------------------------------------------------------------------------------------------
# provinces


def test_province_unknown_name_hint_is_followed(tmp_path):
    p = _write(tmp_path, [("上悔", 2020, 1.0), ("北京市", 2020, 2.0)])
    with pytest.raises(DataError, match="unknown province name '上悔'") as err:
        read_panel(p, kind="province")
    panel = read_panel(p, kind="province", rename=_rename_in(str(err.value)))
    assert panel.units == ["北京", "上海"]


# ------------------------------------------------------------------------------------------------------------
# firms, countries, other


def test_firm_codes_are_zero_padded_strings(tmp_path):
    assert resolve_units([1], "firm").ids == ["000001"]
    assert resolve_units([1.0], "firm").ids == ["000001"] and resolve_units(["1.0"], "firm").ids == ["000001"]
    assert resolve_units(["000001", "600000", "AAPL", 2], "firm").ids == ["000001", "600000", "AAPL", "000002"]
    p = tmp_path / "firms.csv"
    p.write_text("code,year,x\n1,2020,1.5\n600000,2020,2.5\n2,2020,3.5\n", encoding="utf-8")
    panel = read_panel(p, unit="code", year="year", kind="firm")
    assert panel.units == ["000001", "000002", "600000"]
    assert any("zero-padded" in n and "1 → 000001" in n for n in panel.provenance.notes)


def test_firm_codes_from_excel_floats(tmp_path):
    p = tmp_path / "firms.xlsx"
    pd.DataFrame({"stkcd": [1.0, 2.0], "year": [2020, 2020], "x": [1.0, 2.0]}).to_excel(p, index=False)
    assert read_panel(p, unit="stkcd", year="year", kind="firm").units == ["000001", "000002"]


def test_countries_resolve_to_iso3():
    for name in ("China", "中国", "CN", "CHN", "chn", "People's Republic of China"):
        assert resolve_units([name], "country").ids == ["CHN"], name
    assert resolve_units(["United States", "美国", "US", "Germany", "德国"], "country", unique=False).ids == [
        "USA", "USA", "USA", "DEU", "DEU"]
    assert unit_name("CHN", "zh", "country") == "中国" and unit_name("DEU", "en", "country") == "Germany"
    assert unit_code("中国", "country") == "CHN"


def test_unknown_country_hint_is_followed():
    with pytest.raises(DataError, match="unknown country name 'Chna'") as err:
        resolve_units(["Chna"], "country")
    fix = _rename_in(str(err.value))
    assert resolve_units(["Chna"], "country", rename=fix).ids == ["CHN"]


def test_other_units_stay_as_given():
    assert resolve_units([" A区 ", "b"], "other").ids == ["A区", "b"]
    with pytest.raises(DataError, match="unknown unit kind 'town'"):
        resolve_units(["x"], "town")


def test_display_names_and_codes():
    assert unit_name("苏州市", "en", "city") == "Suzhou" and unit_name("苏州市", "zh", "city") == "苏州市"
    assert unit_name("苏州市", "en") == "Suzhou"  # without a kind, city ids are found too
    assert unit_name("北京", "en") == "Beijing" and unit_name("CHN", "en") == "CHN"
    assert unit_name("000001", "en", "firm") == "000001"
    assert unit_code("苏州市", "city") == "320500" and unit_code("北京", "province") == "110000"
    assert unit_code("南京市鼓楼区", "county") == "320106" and unit_code("x", "other") is None


# ------------------------------------------------------------------------------------------------------------
# bundled datasets


def test_china_cities_resolve_by_name_and_by_2018_code():
    panel = load_dataset("china-cities")
    assert panel.kind == "city" and len(panel.units) == 338
    assert set(panel.units) <= set(admin_units("city")["id"]) | {"莱芜市"}
    raw = pd.read_csv(bundled("china_cities_panel.csv"), dtype={"city_code": str}).drop_duplicates("city")
    by_code = resolve_units(list(raw["city_code"]), "city", rename={"3712": "莱芜市"})
    assert by_code.ids == list(raw["city"])
    assert panel.units[0] == "北京市"  # code order
    assert any("莱芜市: a former unit" in n for n in panel.provenance.notes)


def test_wdi_countries_are_iso3():
    panel = load_dataset("wdi-countries")
    assert len(panel.units) == 217 and "CHN" in panel.units


def test_city_panel_with_municipalities_stays_a_city_panel(tmp_path):
    p = _write(tmp_path, [("重庆市", 2020, 1.0), ("北京市", 2020, 2.0), ("丽水市", 2020, 3.0), ("上海", 2020, 4.0)])
    panel = read_panel(p, kind="city")
    assert panel.units == ["北京市", "上海市", "丽水市", "重庆市"]
    assert [unit_code(u, "city") for u in panel.units] == ["110100", "310100", "331100", "500100"]
    assert [unit_name(u, "en", "city") for u in panel.units] == ["Beijing", "Shanghai", "Lishui", "Chongqing"]


def test_duplicate_spelling_hint_followed(tmp_path):
    p = _write(tmp_path, [("苏州", 2020, 1.0), ("苏州市", 2020, 2.0), ("无锡", 2020, 3.0)])
    with pytest.raises(DataError, match="spell the unit one way"):
        read_panel(p, kind="city")
    # spelled one way (either spelling), the file reads
    fixed = _write(tmp_path, [("苏州", 2020, 1.0), ("无锡", 2020, 3.0)], "fixed.csv")
    assert read_panel(fixed, kind="city").units == ["无锡市", "苏州市"]


def test_county_panel_in_code_order(tmp_path):
    p = _write(tmp_path, [("昆山市", 2020, 1.0), ("320106", 2020, 2.0), ("东城区", 2020, 3.0)])
    panel = read_panel(p, kind="county")
    assert panel.units == ["东城区", "南京市鼓楼区", "昆山市"]
    assert any("320106 → 南京市鼓楼区" in n for n in panel.provenance.notes)
