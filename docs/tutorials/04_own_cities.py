"""Tutorial 4: your own cities — from a yearbook-style workbook to the report, with spatial weights and groups.

A development-and-reform commission studies its own region's cities. Its data come as a workbook the way
yearbooks and statistical bureaus hand them out: one sheet per indicator, cities as rows, years as columns, a
notes sheet in front, names spelt differently from sheet to sheet, a '—' where a figure was not published. This
script first *makes* such a workbook for the 41 cities of the Yangtze River Delta (上海, 江苏, 浙江, 安徽), 2015–2022,
from the bundled city data (the PKU digital financial inclusion index), so that it runs anywhere; with your own
data you start at step 2 with your own file.
"""

import tempfile
from pathlib import Path

import pandas as pd

import nqpf
from nqpf.analysis.disparity import dagum_gini
from nqpf.datasets.cities import city_table, pilot_groups
from nqpf.output import write_run
from nqpf.study import load_study, run_study

workdir = Path(tempfile.mkdtemp(prefix="nqpf-tutorial-"))

# 1. The workbook. Sheet 说明 (notes) first; then one sheet per indicator: a header row 城市, 2022年 … 2015年, one row
#    per city under its full name. Two things a real workbook has: 苏州 spelt without 市 in the credit sheet, and a
#    '—' (not published) for 池州市's investment index in 2022.
cities = city_table()
yrd = cities[cities["province"].isin(["上海", "江苏", "浙江", "安徽"])]["city"].tolist()
bundled = nqpf.load_dataset("china-cities").data
indicators = ["coverage_breadth", "payment", "credit", "insurance", "investment"]
years = list(range(2022, 2014, -1))  # the latest year first, as yearbooks list them
book = workdir / "长三角城市数据.xlsx"
with pd.ExcelWriter(book) as xl:
    pd.DataFrame([["说明"], ["数据来源：北京大学数字普惠金融指数（城市级），郭峰等（2020）"], ["单位：指数（2011年为基期）"]]
                 ).to_excel(xl, sheet_name="说明", header=False, index=False)
    for col in indicators:
        wide = bundled[col].unstack("year").loc[yrd, years]
        rows = [["城市"] + [f"{y}年" for y in years]]
        for city in yrd:
            name = "苏州" if (col == "credit" and city == "苏州市") else city
            cells = ["—" if (col == "investment" and city == "池州市" and y == 2022) else wide.loc[city, y]
                     for y in years]
            rows.append([name] + cells)
        pd.DataFrame(rows).to_excel(xl, sheet_name=col, header=False, index=False)
print(f"wrote {book.name}: sheets 说明, {', '.join(indicators)}; {len(yrd)} cities, {years[-1]}–{years[0]}")

# 2. Read it as it is. The notes sheet is skipped with a note, the '—' counted as an empty cell; without a unit kind
#    the names are taken as they are, so 苏州 and 苏州市 are two units.
raw = nqpf.read_panel(book)
print(f"read as it is: {len(raw.units)} units; 苏州 and 苏州市 both there: {'苏州' in raw.units and '苏州市' in raw.units}")
for note in raw.provenance.notes:
    print(f"note: {note}")

# 3. Your framework: a YAML tree target → dimensions → indicators (here: how far digital financial services reach,
#    and how much of each service is used).
framework_yaml = workdir / "my_city_framework.yaml"
framework_yaml.write_text("""\
name: yrd-digital-finance
title: {zh: 长三角城市数字金融服务, en: Digital financial services of Yangtze River Delta cities}
unit_kind: city
target:
  id: dfs
  name_zh: 数字金融服务
  name_en: Digital financial services
  children:
    - id: reach
      name_zh: 覆盖
      name_en: Reach
      indicators:
        - {id: coverage_breadth, name_zh: 覆盖广度, name_en: Coverage breadth, unit: index}
    - id: services
      name_zh: 业务
      name_en: Services used
      indicators:
        - {id: payment, name_zh: 支付, name_en: Payment, unit: index}
        - {id: credit, name_zh: 信贷, name_en: Credit, unit: index}
        - {id: insurance, name_zh: 保险, name_en: Insurance, unit: index}
        - {id: investment, name_zh: 投资, name_en: Investment, unit: index}
""", encoding="utf-8")

# 4. Measuring the raw read fails, and says why: 苏州 has no value outside the credit sheet, 苏州市 none in it — one
#    city spelt two ways. The hint is a rename map (never an option that deletes a city).
try:
    nqpf.measure(raw, nqpf.load_framework(framework_yaml), years="auto", missing="error")
except nqpf.DataError as exc:
    print(f"error: {exc}")

# 5. A grouping file: each city's batch of the 宽带中国 (Broadband China) demonstration cities, from the bundled
#    pilot lists (CITIES.md gives the official sources) — any CSV of unit,group works the same way.
pilot_groups("broadband_china_pilot", yrd).to_csv(workdir / "broadband.csv", index=False)
print("groups file broadband.csv: " + ", ".join(
    f"{g} {n}" for g, n in pd.read_csv(workdir / "broadband.csv")["group"].value_counts().sort_index().items()))

# 6. The study file (the data path is taken from the study file's folder; the framework path as given — here
#    absolute): the workbook with kind = "city" (names resolve against the national city table) and the rename
#    the error asked for; years = "auto"; spatial weights (queen contiguity of the bundled city outlines, and 5
#    nearest neighbours); groups (the province of each city, and the broadband batches from the file).
study_file = workdir / "yrd.toml"
study_file.write_text(f"""\
name = "yrd-cities"
title = "长三角41城数字金融服务 / Digital financial services of 41 Yangtze River Delta cities"

[data]
path = "{book.name}"
kind = "city"
rename = {{ "苏州" = "苏州市" }}

[[index]]
name = "dfs"
framework = "{framework_yaml.as_posix()}"
role = "other"
years = "auto"
missing = "error"

[weights.queen]
kind = "contiguity"
islands = "join"          # a city without a neighbour would be joined to its nearest city (and named)

[weights.knn5]
kind = "knn"
k = 5

[groups.province]
builtin = "province"      # 上海市 is a group of one: its within-group Gini is 0

[groups.broadband]
file = "broadband.csv"

[analyses.dagum]
index = "dfs"
groups = "province"

[analyses.moran]
index = "dfs"
weights = "queen"

[analyses.lisa]
index = "dfs"
weights = "queen"

[analyses.spatial_markov]
index = "dfs"
weights = "knn5"
k = 3

[analyses.kernel_density]
index = "dfs"

[analyses.convergence]
index = "dfs"

[analyses.uncertainty]    # a light version; the bootstrap resamples cities within their broadband batch
index = "dfs"
draws = 200
bootstrap = 100
groups = "broadband"
methods = false
leave_one_out = false

[output]
lang = "zh"
""", encoding="utf-8")

spec, source = load_study(study_file)
run = run_study(spec, source, base=workdir)
res = run.results["dfs"]
print(f"measured: {len(res.units)} cities, years {res.years[0]}–{res.years[-1]} (auto)")
for note in res.provenance.notes:
    print(f"note: {note}")
for ind, w in res.indicator_weights.items():
    print(f"weight: {ind} = {w:.4f}")
latest = res.years[-1]
ranking = res.year_scores(latest).sort_values(ascending=False)
for rank, (unit, score) in enumerate(ranking.head(3).items(), start=1):
    print(f"rank {rank} in {latest}: {unit} = {score:.4f}")

# 7. What the analyses found (the report prints the same numbers, with their sentences).
mi = run.analyses["moran"].to_frame().set_index("year").loc[latest]
print(f"Moran's I {latest} (queen): I = {mi['I']:.4f}, p = {mi['p_sim']:.3f}")
lisa = run.analyses["lisa"].to_frame()
counts = lisa[lisa["year"] == latest]["cluster"].value_counts()
print(f"LISA {latest}: " + ", ".join(f"{k} {v}" for k, v in counts.sort_index().items()))
dg = run.analyses["dagum"].to_frame().set_index("year").loc[latest]
print(f"Dagum Gini {latest} by province: G = {dg['G']:.4f}, Gw = {dg['Gw']:.4f}, Gnb = {dg['Gnb']:.4f}, "
      f"Gt = {dg['Gt']:.4f}")
for line in run.analyses["dagum"].summary("en").splitlines():
    if "one member" in line:
        print(line.strip())
# the same decomposition by the file's groups, from Python
batches = pd.read_csv(workdir / "broadband.csv").set_index("unit")["group"]
y = res.year_scores(latest)
bb = dagum_gini(y.to_numpy(), batches.reindex(y.index).to_numpy())
print(f"Dagum Gini {latest} by broadband batch: G = {bb.G:.4f}, Gw = {bb.Gw:.4f}, Gnb = {bb.Gnb:.4f}, "
      f"Gt = {bb.Gt:.4f}")

# 8. The report, tables, workbook and provenance (the run's notes name the renamed city, the skipped sheet, the
#    '—' cell and the year auto left out).
out = workdir / "out"
write_run(run, out, lang="zh")
print("wrote " + ", ".join(sorted(p.name for p in out.iterdir())))

# The temporary folder is removed at the end; comment this out to keep the workbook, YAML, study and report.
import shutil  # noqa: E402

shutil.rmtree(workdir)
