"""Tutorial 1: measure new quality productive forces (新质生产力) for China's provinces from the bundled data.

Run it with ``python docs/tutorials/01_measure_provinces.py``. Everything it needs ships with nqpf; nothing is
downloaded. The test suite runs this script and checks the numbers it prints (tests/test_tutorials.py).
"""

import nqpf
from nqpf.analysis.disparity import dagum_gini_by_year
from nqpf.analysis.spatial import moran

# 1. The data: China's 31 provinces, 2010-2024, from official yearbooks (see src/nqpf/datasets/PROVENANCE.md).
panel = nqpf.load_dataset("china-provinces")
print(panel.summary())

# 2. The framework: the "core" NQPF indicator system (10 indicators on the three factors of production) whose
#    series reach 2023. Its documentation (docs/frameworks.md) says every indicator is complete for the 30
#    provinces other than 西藏 over 2013-2023, so we ask for exactly that and for missing="error": nothing is
#    imputed, and measure() would stop with a list of empty cells if that were not true.
framework = nqpf.load_framework("nqpf-province-core")
provinces = [u for u in panel.units if u != "西藏"]

# 3. Measure with the defaults: min-max normalisation over the pooled panel (so years are comparable) with a
#    1e-4 shift, global entropy weights, weighted sum. See docs/methods/ for every formula.
result = nqpf.measure(panel, framework, years=(2013, 2023), units=provinces, missing="error")
print(result.summary())

# 4. The weights at every level: the dimension weights sum to 1, and so do the indicator weights.
for dim, w in result.dimension_weights.items():
    print(f"dimension weight: {dim} = {w:.4f}")
top_indicator = result.indicator_weights.idxmax()
print(f"largest indicator weight: {top_indicator} = {result.indicator_weights.max():.4f}")

# 5. Scores and ranks in the latest year, and the national mean over time.
latest = result.years[-1]
ranking = result.year_scores(latest).sort_values(ascending=False)
for rank, (unit, score) in enumerate(ranking.head(5).items(), start=1):
    print(f"rank {rank} in {latest}: {unit} = {score:.4f}")
means = result.scores.groupby("year")["score"].mean()
print(f"mean score: {means.index[0]} = {means.iloc[0]:.4f}, {means.index[-1]} = {means.iloc[-1]:.4f}")

# 6. Two analyses: the Dagum Gini decomposition by the four regions, and global Moran's I (queen contiguity).
dagum = dagum_gini_by_year(result).to_frame().set_index("year")
g = dagum.loc[latest]
print(f"Dagum Gini {latest}: G = {g['G']:.4f}, Gw = {g['Gw']:.4f}, Gnb = {g['Gnb']:.4f}, Gt = {g['Gt']:.4f}")
mi = moran(result, years=[latest], permutations=99, seed=0)
print(f"Moran's I {latest}: I = {mi.I[0]:.4f}, z = {mi.z_norm[0]:.3f}")
