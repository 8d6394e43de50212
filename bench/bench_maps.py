"""Benchmark: maps of every level — an interactive county choropleth and a static county map.

What is timed (one process, first call = cold: reading and preparing the bundled outlines; then warm, best of 3):

- **plotly**: ``nqpf.viz.maps.choropleth_figure`` of a unit × year table (10 years, slider) for the 31
  provinces (baseline), the 367 cities and the 2,848 counties, quantile classes; the figure's JSON size
  (``fig.to_json()``) and its size with the outlines replaced by a key, as report.html embeds them (once per page).
- **matplotlib**: ``nqpf.viz.maps.draw_map`` of one year + ``savefig`` (PNG 300 dpi, SVG) for provinces (baseline)
  and counties, against ``geopandas.GeoDataFrame.plot`` of the same bundled county outlines (baseline for the
  county map: the usual way to draw a shapefile).

    /work/main/.venv/bin/python bench/bench_maps.py            # all
    /work/main/.venv/bin/python bench/bench_maps.py --quick    # provinces and cities only
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time

import numpy as np
import pandas as pd

YEARS = list(range(2014, 2024))


def _matrix(kind: str) -> pd.DataFrame:
    from nqpf.geo.geometry import centroids

    units = list(centroids(kind)["id"])
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.uniform(0, 1, (len(units), len(YEARS))), index=units, columns=YEARS)


def _best(fn, repeats: int = 3) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def plotly_case(kind: str) -> dict:
    from nqpf.viz.maps import choropleth_figure

    m = _matrix(kind)
    t0 = time.perf_counter()
    fig = choropleth_figure(m, kind=kind, classes="quantiles", k=5)
    cold = time.perf_counter() - t0
    warm = _best(lambda: choropleth_figure(m, kind=kind, classes="quantiles", k=5))
    t0 = time.perf_counter()
    text = fig.to_json()
    to_json = time.perf_counter() - t0
    d = fig.to_plotly_json()
    geo_text = json.dumps(d["data"][0]["geojson"], ensure_ascii=False, separators=(",", ":"))
    for tr in d["data"]:
        if isinstance(tr.get("geojson"), dict):
            tr["geojson"] = "key"
    from plotly.io.json import to_json_plotly

    shared = len(to_json_plotly(d).encode())
    return {"kind": kind, "units": len(m), "cold_s": cold, "warm_s": warm, "to_json_s": to_json,
            "figure_MB": len(text.encode()) / 2**20, "outlines_MB": len(geo_text.encode()) / 2**20,
            "figure_without_outlines_MB": shared / 2**20}


def mpl_case(kind: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nqpf.viz.maps import draw_map

    s = _matrix(kind)[YEARS[-1]]

    def draw(fmt: str) -> int:
        fig, ax = plt.subplots(figsize=(7, 5.5))
        draw_map(ax, s, kind=kind, classes="quantiles", k=5)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=300)
        plt.close(fig)
        return len(buf.getvalue())

    t0 = time.perf_counter()
    draw("png")
    cold = time.perf_counter() - t0
    png = _best(lambda: draw("png"))
    svg_size = draw("svg")
    svg = _best(lambda: draw("svg"), 2)
    return {"kind": kind, "units": len(s), "cold_png_s": cold, "png_s": png, "svg_s": svg,
            "png_MB": draw("png") / 2**20, "svg_MB": svg_size / 2**20}


def geopandas_case() -> dict:
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nqpf.geo.geometry import outlines

    t0 = time.perf_counter()
    gdf = gpd.GeoDataFrame.from_features(outlines("county", include_non_panel=False)["features"], crs=4326)
    load = time.perf_counter() - t0
    gdf["v"] = _matrix("county")[YEARS[-1]].to_numpy()
    gdf = gdf.to_crs("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +ellps=WGS84 +units=m")

    def draw(fmt: str) -> int:
        fig, ax = plt.subplots(figsize=(7, 5.5))
        gdf.plot(column="v", scheme="quantiles", k=5, ax=ax, edgecolor="white", linewidth=0.075)
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=300)
        plt.close(fig)
        return len(buf.getvalue())

    png = _best(lambda: draw("png"))
    svg = _best(lambda: draw("svg"), 2)
    return {"kind": "county (geopandas.plot)", "units": len(gdf), "load_s": load, "png_s": png, "svg_s": svg,
            "svg_MB": draw("svg") / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    kinds = ["province", "city"] if args.quick else ["province", "city", "county"]
    print(f"python {platform.python_version()}, {platform.machine()}")
    rows = [plotly_case(k) for k in kinds]
    df = pd.DataFrame(rows).set_index("kind")
    df["warm_x_province"] = df["warm_s"] / df.loc["province", "warm_s"]
    print("\nplotly choropleth, 10 years with a slider, quantile classes")
    print(df.round(3).to_string())
    rows = [mpl_case(k) for k in (["province"] if args.quick else ["province", "county"])]
    if not args.quick:
        rows.append(geopandas_case())
    print("\nmatplotlib map of one year, 7 × 5.5 in, 300 dpi")
    print(pd.DataFrame(rows).set_index("kind").round(3).to_string())


if __name__ == "__main__":
    main()
