"""Tutorial 3: new quality productive forces and high-quality development across countries (World Bank WDI).

The bundled ``wdi-countries`` panel holds 217 economies, 2000-2023; the frameworks ``nqpf-country`` and
``hqd-country`` are the cross-country analogues of the provincial systems. Their documentation (docs/frameworks.md)
lists the economies with complete data over 2012-2021; we measure on exactly those, with missing="error".
"""

import nqpf
from nqpf.analysis.agreement import rank_agreement
from nqpf.analysis.coupling import coupling_coordination

wdi = nqpf.load_dataset("wdi-countries")
print(wdi.summary())

# 1. The 41 economies complete for nqpf-country over 2012-2021; hqd-country lacks Hong Kong (no journal articles).
nq_units = ("ARG AUT BEL BGR CAN CHL CHN CYP CZE DEU DNK EGY ESP EST FIN FRA GRC HKG HRV HUN JPN KOR LTU LUX LVA "
            "MDA MEX MLT NLD NOR POL PRT ROU RUS SGP SVK SWE TUR UKR USA ZAF").split()
hq_units = [u for u in nq_units if u != "HKG"]

nq = nqpf.measure(wdi, nqpf.load_framework("nqpf-country"), years=(2012, 2021), units=nq_units, missing="error")
hq = nqpf.measure(wdi, nqpf.load_framework("hqd-country"), years=(2012, 2021), units=hq_units, missing="error")
print(nq.summary())

# 2. Rankings in 2021, and where China stands.
for name, res in (("NQPF", nq), ("HQD", hq)):
    s = res.scores[res.scores["year"] == 2021].sort_values("rank")
    top = ", ".join(f"{u} {v:.4f}" for u, v in zip(s["unit"].head(5), s["score"].head(5), strict=True))
    print(f"{name} top 5 in 2021: {top}")
    chn = s[s["unit"] == "CHN"].iloc[0]
    print(f"{name} CHN 2021: score = {chn['score']:.4f}, rank = {int(chn['rank'])} of {len(s)}")

# 3. Do the two indices rank countries alike? Spearman and Kendall per year on the 40 shared economies.
agree = rank_agreement(nq, hq, "nqpf", "hqd").to_frame().set_index("year")
print(f"Spearman rho NQPF vs HQD 2021: {agree.loc[2021, 'spearman']:.4f}")

# 4. Coupling coordination of NQPF and HQD, on the unit-years both cover.
a = nq.scores.set_index(["unit", "year"])["score"].rename("nqpf")
b = hq.scores.set_index(["unit", "year"])["score"].rename("hqd")
common = a.index.intersection(b.index)
cc = coupling_coordination(a.loc[common], b.loc[common]).to_frame().set_index(["unit", "year"])
row = cc.loc[("CHN", 2021)]
print(f"coupling CHN 2021: C = {row['C']:.4f}, T = {row['T']:.4f}, D = {row['D']:.4f} ({row['level_en']})")
