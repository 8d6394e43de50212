"""Groupings (issue 12, item 4): bundled sets on known members, column/file/table sources and their errors,
Dagum with a single-member group against a hand calculation, and one [groups.x] shared by Dagum and the
bootstrap of a study run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.disparity import dagum_gini, dagum_gini_by_year
from nqpf.core.errors import DataError
from nqpf.core.groups import (
    BUILTIN_GROUPS,
    Grouping,
    GroupsSpec,
    builtin_labels,
    city_clusters,
    province_of,
    resolve_groups,
)
from nqpf.core.panel import Panel
from nqpf.core.units import provinces

PROVINCES = list(provinces()["name_zh"])


def _members(grouping: Grouping) -> dict[str, set[str]]:
    return {g: set(v) for g, v in grouping.members().items()}


# ---------------------------------------------------------------------------------------------
# bundled sets on known members
# ---------------------------------------------------------------------------------------------
def test_region4_and_region3_of_provinces_and_cities():
    g = resolve_groups("region4", PROVINCES, kind="province")
    sizes = {k: len(v) for k, v in g.members().items()}
    assert sizes == {"East": 10, "Central": 6, "West": 12, "Northeast": 3}
    assert g.order == ["East", "Central", "West", "Northeast"] and g.label("Northeast", "zh") == "东北"
    # 苏州市 → 江苏 → 东部 (a city through its province)
    assert province_of("苏州市", "city") == "江苏"
    assert resolve_groups("region4", ["苏州市"], kind="city").mapping == {"苏州市": "East"}
    r3 = resolve_groups("region3", PROVINCES, kind="province")
    assert {k: len(v) for k, v in r3.members().items()} == {"East": 11, "Central": 8, "West": 12}
    assert r3.mapping["辽宁"] == "East" and r3.mapping["吉林"] == "Central" and r3.mapping["黑龙江"] == "Central"
    assert r3.mapping["内蒙古"] == "West" and r3.mapping["广西"] == "West" and r3.mapping["海南"] == "East"
    # "regions" stays an alias of region4
    assert resolve_groups("regions", ["北京"], kind="province").mapping == {"北京": "East"}


def test_south_north_yangtze_belt_and_yellow_river():
    sn = _members(resolve_groups("south_north", PROVINCES, kind="province"))
    assert len(sn["North"]) == 15 and len(sn["South"]) == 16
    assert {"江苏", "安徽", "四川", "西藏"} <= sn["South"] and {"河南", "山东", "陕西", "新疆"} <= sn["North"]
    belt = ["上海", "江苏", "浙江", "安徽", "江西", "湖北", "湖南", "重庆", "四川", "贵州", "云南"]
    yb = resolve_groups("yangtze_belt", belt, kind="province")
    assert _members(yb) == {"Lower": {"上海", "江苏", "浙江", "安徽"}, "Middle": {"江西", "湖北", "湖南"},
                            "Upper": {"重庆", "四川", "贵州", "云南"}}
    # 长江经济带 contains 重庆 (the province) and 重庆市 (the city)
    assert resolve_groups("yangtze_belt", ["重庆市"], kind="city").mapping == {"重庆市": "Upper"}
    with pytest.raises(DataError, match="北京"):
        resolve_groups("yangtze_belt", ["重庆", "北京"], kind="province")
    basin = {"青海", "四川", "甘肃", "宁夏", "内蒙古", "山西", "陕西", "河南", "山东"}
    yr = resolve_groups(GroupsSpec(builtin="yellow_river", other="其他"), PROVINCES, kind="province")
    assert {u for u, g in yr.mapping.items() if g != "其他"} == basin
    assert yr.label("其他", "en") == "Other" and any("22 unit(s)" in n for n in yr.notes)


def test_city_clusters_members_and_plans():
    c = city_clusters()
    size = c[c["level"] == "prefecture"].groupby("cluster").size()
    assert size["YRD"] == 26 and size["GBA"] == 9 and size["HaChang"] == 11 and size["HuBaoEYu"] == 4
    assert size["JingJinJi"] == 13 and size["ShandongPeninsula"] == 17 and size["ShanxiCentral"] == 5
    assert (c["cluster"] == "CentralPlains").sum() == 30  # 29 prefectures and 济源
    assert (c["source"] != "").all() and set(c["coverage"]) == {"full", "partial"}
    g = resolve_groups(GroupsSpec(builtin="city_cluster", other="其他"), ["合肥市", "苏州市", "徐州市", "深圳市"],
                       kind="city")
    assert g.mapping == {"合肥市": "YRD", "苏州市": "YRD", "徐州市": "其他", "深圳市": "GBA"}
    assert g.label("YRD", "zh") == "长三角城市群" and g.label("GBA", "en") == "Greater Bay Area"
    # 运城 is in two plans centred elsewhere: the one that lists it whole (中原) wins; 邯郸 (中原 and 京津冀) goes
    # to the cluster centred in its own province; the output says so
    both = resolve_groups("city_cluster", ["运城市", "吉安市", "邯郸市"], kind="city")
    assert both.mapping == {"运城市": "CentralPlains", "吉安市": "MidYangtze", "邯郸市": "JingJinJi"}
    assert any("运城市" in n and "邯郸市" in n for n in both.notes)
    assert any("吉安市" in n and "partly" in n for n in both.notes)
    # counties through their own code or their city's code
    assert resolve_groups("city_cluster", ["320505", "429004"], kind="county").mapping == {
        "320505": "YRD", "429004": "MidYangtze"}
    with pytest.raises(DataError, match="not provinces"):
        resolve_groups("city_cluster", ["江苏"], kind="province")


def test_province_of_cities_and_counties():
    g = resolve_groups("province", ["苏州市", "南京市", "北京市"], kind="city")
    assert g.mapping == {"苏州市": "江苏", "南京市": "江苏", "北京市": "北京"}
    assert g.label("江苏", "en") == "Jiangsu"
    assert resolve_groups("province", ["320505", "110101"], kind="county").mapping == {"320505": "江苏",
                                                                                       "110101": "北京"}
    assert resolve_groups(None, ["苏州市", "徐州市"], kind="city").name == "province"
    with pytest.raises(DataError, match="a county's province comes from its 6-digit GB/T 2260 code"):
        resolve_groups(None, ["鼓楼区"], kind="county")
    # a stock code that looks like a GB/T 2260 code (430047: 湖南?) is never placed in a province
    with pytest.raises(DataError, match=r"not firm units: give a \[groups.<label>\] entry"):
        resolve_groups("region4", ["430047"], kind="firm")


def test_every_builtin_group_has_zh_and_en_labels():
    for name in BUILTIN_GROUPS:
        labels = builtin_labels(name)
        assert labels, name
        for zh, en in labels.values():
            assert zh and en and any("\u4e00" <= ch <= "\u9fff" for ch in zh), (name, zh, en)


# ---------------------------------------------------------------------------------------------
# column, file and table sources and their errors (every hint followed)
# ---------------------------------------------------------------------------------------------
def _firm_panel(industry: dict[tuple[str, int], str | None]) -> Panel:
    idx = pd.MultiIndex.from_tuples(list(industry), names=["unit", "year"])
    data = pd.DataFrame({"x": np.arange(len(idx), dtype=float)}, index=idx)
    labels = pd.DataFrame({"industry": pd.Series(list(industry.values()), index=idx, dtype=object)})
    return Panel(data, kind="firm", labels=labels)


def test_column_source_and_its_errors():
    cells = {("000001", 2020): "J", ("000001", 2021): "J", ("600000", 2020): "C", ("600000", 2021): "C",
             ("000002", 2020): "K", ("000002", 2021): "K"}
    p = _firm_panel(cells)
    units = ["000001", "600000", "000002"]
    g = resolve_groups(None, units, kind="firm", panel=p)  # firms: the industry label column by default
    assert g.mapping == {"000001": "J", "600000": "C", "000002": "K"} and g.name == "industry"
    changing = _firm_panel({**cells, ("600000", 2021): "D"})
    with pytest.raises(DataError, match=r"changes across years .*600000 \(C from 2020, D from 2021\)"):
        resolve_groups(GroupsSpec(column="industry"), units, kind="firm", panel=changing)
    with pytest.raises(DataError, match=r'labels = \["sector"\]'):
        resolve_groups(GroupsSpec(column="sector"), units, kind="firm", panel=p)
    gap = _firm_panel({**cells, ("000002", 2020): None, ("000002", 2021): None})
    named = {"ind": GroupsSpec(column="industry")}
    with pytest.raises(DataError, match=r'000002.*other = "其他" in \[groups.ind\]') as err:
        resolve_groups("ind", units, kind="firm", panel=gap, named=named)
    assert "give them a value in that column" in str(err.value)
    # the hint, followed: other = "其他" in [groups.ind]
    fixed = resolve_groups("ind", units, kind="firm", panel=gap, named={"ind": GroupsSpec(column="industry",
                                                                                          other="其他")})
    assert fixed.mapping["000002"] == "其他" and fixed.order[-1] == "其他" and "000002" in fixed.notes[0]


def test_firms_without_an_industry_column_say_how_to_give_groups():
    idx = pd.MultiIndex.from_product([["000001", "000002"], [2020]], names=["unit", "year"])
    p = Panel(pd.DataFrame({"x": [1.0, 2.0]}, index=idx), kind="firm")
    with pytest.raises(DataError, match=r'\[groups.industry\] with column = "<the industry column>"'):
        resolve_groups(None, ["000001", "000002"], kind="firm", panel=p)
    with pytest.raises(DataError, match="no default grouping"):
        resolve_groups(None, ["USA", "CHN"], kind="country")


def test_file_source_relative_to_base_and_its_errors(tmp_path):
    (tmp_path / "g.csv").write_text("unit,group\n无锡市,苏南\n苏洲市,苏南\n徐州市,苏北\n1,x\n",
                                    encoding="utf-8")
    named = {"js": GroupsSpec(file="g.csv")}
    g = resolve_groups("js", ["无锡市", "徐州市"], kind="city", named=named, base=tmp_path)
    assert g.mapping == {"无锡市": "苏南", "徐州市": "苏北"} and g.name == "js"
    # a misspelt unit in the file: the panel's unit is named with the near match and the fix
    with pytest.raises(DataError, match=r"苏州市 \(near matches: 苏州市 ~ 苏洲市\)") as err:
        resolve_groups("js", ["苏州市", "徐州市"], kind="city", named={"js": GroupsSpec(file="g.csv")},
                       base=tmp_path)
    assert "add them to the file" in str(err.value)
    # firm codes in a file are zero-padded like the panel's
    f = resolve_groups(GroupsSpec(file=str(tmp_path / "g.csv")), ["000001"], kind="firm")
    assert f.mapping == {"000001": "x"}
    (tmp_path / "bad.csv").write_text("unit,group\n苏州市,苏南\n苏州市,苏北\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv, row 3: unit '苏州市' is listed again"):
        resolve_groups(GroupsSpec(file="bad.csv"), ["苏州市"], kind="city", base=tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        resolve_groups(GroupsSpec(file="none.csv"), ["苏州市"], kind="city", base=tmp_path)
    (tmp_path / "gbk.csv").write_bytes("unit,group\n苏州市,苏南\n".encode("gbk"))
    assert resolve_groups(GroupsSpec(file="gbk.csv"), ["苏州市"], kind="city", base=tmp_path).mapping == {
        "苏州市": "苏南"}


def test_table_source_unknown_names_and_hints_that_work():
    with pytest.raises(DataError, match=r"not covered by the table: c; add them to the table"):
        resolve_groups({"a": "x", "b": "y"}, ["a", "b", "c"], kind="other")
    with pytest.raises(DataError, match=r"did you mean 'region4'"):
        resolve_groups("regoin4", ["北京"], kind="province")
    # a bundled set named directly that misses a unit: the hint defines a [groups.x] entry with other
    with pytest.raises(DataError, match=r'define \[groups.x\] with builtin = "city_cluster" and other = "其他"'):
        resolve_groups("city_cluster", ["苏州市", "徐州市"], kind="city")
    named = {"x": GroupsSpec(builtin="city_cluster", other="其他")}
    assert resolve_groups("x", ["苏州市", "徐州市"], kind="city", named=named).mapping == {
        "苏州市": "YRD", "徐州市": "其他"}


# ---------------------------------------------------------------------------------------------
# Dagum with a single-member group: a hand calculation
# ---------------------------------------------------------------------------------------------
def test_dagum_single_member_group_by_hand():
    # A = {a: 1, b: 2, c: 4}, B = {d: 3}; n = 4, μ = 2.5, μ_A = 7/3, μ_B = 3
    # G   = Σ_i Σ_r |y_i − y_r| / (2 n² μ) = 2·(1+3+2+2+1+1) / (2·16·2.5) = 20/80 = 1/4
    # G_AA = 2·(1+3+2) / (2·3²·7/3) = 2/7;  G_BB = 0 (one member, no pair)
    # p_A = 3/4, s_A = 7/10, p_B = 1/4, s_B = 3/10;  Gw = G_AA p_A s_A = 3/20
    # G_BA = (2+1+1) / (3·1·(7/3+3)) = 1/4;  d_BA = (2+1+0)/3 = 1, p_BA = (0+0+1)/3 = 1/3, D = 1/2
    # Gnb = G_BA (p_A s_B + p_B s_A) D = 1/4 · 2/5 · 1/2 = 1/20;  Gt = 1/20
    r = dagum_gini([1.0, 2.0, 4.0, 3.0], ["A", "A", "A", "B"])
    assert r.G == pytest.approx(0.25) and r.Gw == pytest.approx(0.15)
    assert r.Gnb == pytest.approx(0.05) and r.Gt == pytest.approx(0.05)
    assert r.within == pytest.approx({"A": 2 / 7, "B": 0.0})
    assert r.between[("B", "A")] == pytest.approx(0.25) and r.D_jh[("B", "A")] == pytest.approx(0.5)
    assert r.single == ["B"] and any("one member (B)" in line for line in r.summary("en").splitlines())
    assert "仅含 1 个单元的组（B）组内基尼系数为 0" in r.summary("zh")
    # by year, with a Grouping: the labels name the groups and the narrative says which group has one member
    f = pd.DataFrame({"unit": list("abcd") * 2, "year": [2020] * 4 + [2021] * 4,
                      "score": [1.0, 2, 4, 3, 1, 2, 4, 3]})
    grouping = Grouping("x", {"a": "A", "b": "A", "c": "A", "d": "B"}, labels={"A": ("甲组", "Group A"),
                                                                                "B": ("乙组", "Group B")},
                        order=["A", "B"], notes=["a note of the grouping"])
    d = dagum_gini_by_year(f, grouping, bootstrap=20, seed=0)
    assert d.to_frame()["G"].tolist() == pytest.approx([0.25, 0.25]) and d.single == ["B"]
    en, zh = " ".join(d.narrative("en")), " ".join(d.narrative("zh"))
    assert "one member (Group B)" in en and "a note of the grouping" in en and "Group A–Group B" not in en
    assert "乙组–甲组" in zh and "仅含 1 个单元的组（乙组）" in zh
    ci = d.ci.set_index(["year", "term"])
    assert ci.loc[(2020, "Gjj:B"), "hi"] == 0.0  # the single member is redrawn as itself


# ---------------------------------------------------------------------------------------------
# one [groups.x] in a study file, used by Dagum and by the bootstrap of the same run
# ---------------------------------------------------------------------------------------------
def test_study_groups_shared_by_dagum_and_bootstrap(tmp_path):
    from nqpf.study import load_study, run_study

    rows = ["unit,group"] + [f"{p},{'直辖市' if p == '上海' else g}"
                             for p, g in resolve_groups("south_north", PROVINCES, kind="province").mapping.items()]
    (tmp_path / "sn.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        'name = "g"\n[data]\ndataset = "china-provinces"\n'
        '[[index]]\nname = "core"\nframework = "nqpf-province-core"\nrole = "nqpf"\nyears = [2016, 2020]\n'
        '[groups.x]\nfile = "sn.csv"\n'
        '[analyses.dagum]\nindex = "core"\ngroups = "x"\n'
        '[analyses.uncertainty]\nindex = "core"\ndraws = 20\nbootstrap = 20\nmethods = false\n'
        'leave_one_out = false\ngroups = "x"\n', encoding="utf-8")
    spec, source = load_study(tmp_path / "s.toml")
    run = run_study(spec, source, base=tmp_path)
    dagum = run.analyses["dagum"]
    boot = run.analyses["uncertainty"].bootstrap
    assert boot is not None and boot.groups == dagum.membership
    assert dagum.membership["上海"] == "直辖市" and dagum.membership["江苏"] == "South"
    assert dagum.single == ["直辖市"] and dagum.grouping == "x"
    assert all(r.within["直辖市"] == 0.0 for r in dagum.results.values())
    assert boot.dagum is not None and set(boot.dagum["year"]) == set(range(2016, 2021))
    assert any("直辖市" in line for line in dagum.narrative("zh"))
    rec, unc = run.records["dagum"], run.records["uncertainty"]
    assert "直辖市 has one member: its within-group Gini is 0" in rec.spec.methods(rec.result, rec.options, "en")
    assert "stratified by the study's groups" in unc.spec.methods(unc.result, unc.options, "en")
    # the regional means of the index take the same grouping
    res = run.results["core"]
    gm = res.group_means(Grouping("x", dict(dagum.membership), order=["North", "South", "直辖市"]))
    assert list(gm.columns) == ["North", "South", "直辖市"]
    sh = res.scores[res.scores["unit"] == "上海"].set_index("year")["score"]
    assert gm["直辖市"].to_numpy() == pytest.approx(sh.to_numpy())


def test_heterogeneity_reads_a_grouping():
    from nqpf.models.mechanism import heterogeneity

    rng = np.random.default_rng(3)
    units = [f"u{i}" for i in range(12)]
    idx = pd.MultiIndex.from_product([units, range(2010, 2018)], names=["unit", "year"])
    x = rng.normal(size=len(idx))
    slope = np.where(idx.get_level_values(0).isin(units[:6]), 1.0, 2.0)
    df = pd.DataFrame({"x": x, "y": slope * x + rng.normal(scale=0.1, size=len(idx))}, index=idx)
    g = Grouping("half", {u: ("S" if i < 6 else "N") for i, u in enumerate(units)},
                 labels={"N": ("北组", "North group"), "S": ("南组", "South group")}, order=["S", "N"])
    res = heterogeneity(df, "y", "x", g, permutations=0)
    assert list(res.by_group.index) == ["S", "N"]
    assert res.by_group.loc["S", "coef"] == pytest.approx(1.0, abs=0.05)
    assert res.by_group.loc["N", "coef"] == pytest.approx(2.0, abs=0.05)
    assert "North group" in " ".join(res.narrative("en")) and "南组" in " ".join(res.narrative("zh"))
