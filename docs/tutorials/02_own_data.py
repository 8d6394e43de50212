"""Tutorial 2: bring your own yearbook Excel exports and your own framework YAML.

National Bureau of Statistics (NBS, 国家统计局) exports of 分省年度数据 come as one table per indicator: provinces
(with full names such as 北京市, 内蒙古自治区) as rows, years as columns. This script first *makes* such a workbook
from the bundled data in a temporary folder — one sheet per indicator, exactly in that layout — so that it runs
anywhere; with your own data you start at step 2 with your own file.
"""

import tempfile
from pathlib import Path

import pandas as pd

import nqpf
from nqpf.datasets import provinces

workdir = Path(tempfile.mkdtemp(prefix="nqpf-tutorial-"))

# 1. Write a yearbook-style workbook: one sheet per indicator, named after it: a header row 地区, 2019年, 2018年 ...,
#    one row per province under its full name, and the NBS source line at the bottom (skipped when reading).
#    (If a sheet has an "指标：..." line above the header, nqpf takes the indicator name from that line instead of
#    the sheet name; name your sheets or columns with identifiers you can use in the framework's definitions.)
bundled = nqpf.load_dataset("china-provinces").data
full_name = dict(zip(provinces()["name_zh"], provinces()["full_name_zh"], strict=True))
columns = ["rd_expenditure", "gdp", "patent_grants", "invention_patent_grants", "urbanization_rate"]
years = list(range(2019, 2012, -1))  # NBS exports list the latest year first
book = workdir / "分省年度数据.xlsx"
with pd.ExcelWriter(book) as xl:
    for col in columns:
        wide = bundled[col].unstack("year")[years]
        rows = [["地区"] + [f"{y}年" for y in years]]
        rows += [[full_name[u]] + [wide.loc[u, y] for y in years] for u in wide.index]
        rows.append(["数据来源：国家统计局"] + [""] * len(years))
        pd.DataFrame(rows).to_excel(xl, sheet_name=col, header=False, index=False)
print(f"wrote {book.name} with sheets: {', '.join(columns)}")

# 2. Read it. kind="province" matches province names through nqpf's alias table (北京市 → 北京, 内蒙古自治区 →
#    内蒙古, also pinyin, English names and GB/T 2260 codes); an unknown name is an error with near matches.
panel = nqpf.read_panel(book, kind="province")
print(panel.summary())

# 3. Your own framework: a YAML tree target → dimensions → indicators. An indicator is a column of the data or a
#    safe expression over columns (ratios, per-capita values, growth(x), lag(x)); direction is positive,
#    negative or interval; tags place it in the theory (factor of production, "new" dimension, policy lever).
framework_yaml = workdir / "my_framework.yaml"
framework_yaml.write_text("""\
name: my-innovation
title: {zh: 我的创新指数, en: My innovation index}
target:
  id: innovation
  name_zh: 创新
  name_en: Innovation
  children:
    - id: inputs
      name_zh: 创新投入
      name_en: Innovation inputs
      tags: {factor: means_of_labor}
      indicators:
        - id: rd_intensity
          name_zh: R&D经费占GDP比重
          name_en: R&D expenditure relative to GDP
          unit: 万元 per 亿元
          definition: rd_expenditure / gdp
        - id: urbanization_rate
          name_zh: 城镇化率
          name_en: Urbanization rate
          unit: "%"
    - id: outputs
      name_zh: 创新产出
      name_en: Innovation outputs
      tags: {factor: objects_of_labor}
      indicators:
        - id: patents_per_gdp
          name_zh: 单位GDP专利授权量
          name_en: Patent grants per unit of GDP
          unit: 件/亿元
          definition: patent_grants / gdp
        - id: invention_share
          name_zh: 发明专利占比
          name_en: Inventions as a share of patents granted
          unit: share
          definition: invention_patent_grants / patent_grants
""", encoding="utf-8")
framework = nqpf.load_framework(framework_yaml)
print(f"framework {framework.name}: {len(framework.dimensions)} dimensions, {len(framework.indicators)} indicators")

# 4. Measure (CRITIC weights this time, TOPSIS aggregation) and look at the result.
result = nqpf.measure(panel, framework, weighting="critic", aggregation="topsis", missing="error")
for ind, w in result.indicator_weights.items():
    print(f"weight: {ind} = {w:.4f}")
latest = result.years[-1]
ranking = result.year_scores(latest).sort_values(ascending=False)
for rank, (unit, score) in enumerate(ranking.head(3).items(), start=1):
    print(f"rank {rank} in {latest}: {unit} = {score:.4f}")

# 5. The same framework file works in a study TOML (data.path = the workbook, index.framework = the YAML) and on
#    the command line: nqpf measure --data 分省年度数据.xlsx --kind province --framework my_framework.yaml

# The temporary folder is removed at the end; comment this out to keep the workbook and YAML and look at them.
import shutil  # noqa: E402

shutil.rmtree(workdir)
