"""Maps of every kind with geometry and classed colour scales (nqpf.viz.maps)."""

from __future__ import annotations

import mapclassify as mc
import matplotlib
import numpy as np
import pandas as pd
import pytest

from nqpf.core.errors import DataError
from nqpf.geo import geometry as geo
from nqpf.study.spec import OutputSpec
from nqpf.viz import maps

matplotlib.use("Agg")

CITIES = ["苏州市", "无锡市", "常州市", "南京市", "上海市", "嘉兴市", "湖州市", "杭州市"]


def _matrix(units: list[str], years=(2020, 2021), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(0.1, 0.9, (len(units), len(years))), index=units, columns=list(years))


def test_map_kind():
    assert maps.map_kind(["北京", "上海"]) == "province"
    assert maps.map_kind(["内蒙古自治区", "Beijing"]) == "province"  # aliases, as before
    assert maps.map_kind(CITIES) == "city"
    assert maps.map_kind(["南京市鼓楼区", "昆山市"]) == "county"
    assert maps.map_kind(["CHN", "USA", "DEU"]) == "country"
    assert maps.map_kind(["000001", "600000"]) is None and maps.map_kind([]) is None
    assert maps.map_kind(["000001"], "firm") is None
    # a declared kind resolves against its own outlines only: 北京市 is a city in a city panel
    assert maps.map_kind(["北京市", "上海市"], "city") == "city"
    assert maps.map_kind(["北京市", "上海市"], "province") == "province"
    with pytest.raises(DataError, match="'苏洲市'; near matches: 苏州市"):
        maps.map_kind(["苏州市", "苏洲市"], "city")


@pytest.mark.parametrize("k", [3, 5, 7])
def test_classes_equal_mapclassify_bins(k):
    y = np.random.default_rng(k).lognormal(size=300)
    assert np.allclose(maps.classify(y, "quantiles", k), mc.Quantiles(y, k=k).bins)
    assert np.allclose(maps.classify(y, "natural_breaks", k), mc.FisherJenks(y, k=k).bins)
    assert np.allclose(maps.classify(y, "equal_interval", k), mc.EqualInterval(y, k=k).bins)
    b = maps.classify(y, "quantiles", k)
    idx = maps.class_index(y, b)
    assert np.array_equal(idx.astype(int), mc.Quantiles(y, k=k).yb)  # the same class per value
    # NaN stays missing; constant data: one class
    assert np.isnan(maps.class_index(np.array([np.nan]), b)[0])
    assert maps.classify([2.0, 2.0, np.nan], "quantiles", 5).tolist() == [2.0]


def test_classes_bad_options():
    with pytest.raises(DataError, match=r"'jenks'.*quantiles, natural_breaks"):
        maps.classify([1.0, 2.0], "jenks")
    with pytest.raises(DataError, match="k = 1"):
        maps.classify([1.0, 2.0], "quantiles", 1)
    with pytest.raises(ValueError, match="map_classes"):
        OutputSpec(map_classes="jenks")
    assert OutputSpec(map_classes="natural_breaks", map_k=4).map_k == 4


def test_city_choropleth_with_inset_grey_units_and_quantile_classes():
    m = _matrix(CITIES)
    fig = maps.choropleth_figure(m, lang="zh", title="x", classes="quantiles", k=4)
    main, grey = fig.data[0], fig.data[1]
    assert list(main.locations) == CITIES
    bins = mc.Quantiles(m.to_numpy().ravel(), k=4).bins
    assert np.array_equal(np.asarray(main.z), np.searchsorted(bins, m[2021].to_numpy()).astype(float))
    assert list(main.colorbar.tickvals) == [0, 1, 2, 3]
    assert main.colorbar.ticktext[0].startswith(format(m.to_numpy().min(), ".3g"))
    assert main.colorbar.ticktext[-1].endswith(format(m.to_numpy().max(), ".3g"))
    assert "<br>2021: " in main.text[0]  # the hover shows the value, not the class
    assert len(grey.locations) == 367 - len(CITIES) + 3 and "台湾省" in grey.locations
    assert fig.layout.geo2.domain is not None and fig.layout.annotations[0].text == "南海诸岛"
    assert len(fig.layout.sliders[0].steps) == 2


def test_maps_share_the_cached_outlines_without_copying_them():
    """plotly deep-copies a trace's properties when a figure is built and in to_dict; the cached outlines are
    shared instead (SharedGeoJSON), and what the figure carries is still the outlines, feature for feature."""
    import copy

    from nqpf.report.page import Page

    fig = maps.choropleth_figure(_matrix(CITIES))
    main, grey = fig.data[0].geojson, fig.data[1].geojson
    assert isinstance(main, maps.SharedGeoJSON) and isinstance(grey, maps.SharedGeoJSON)
    assert copy.deepcopy(main) is main and fig.to_dict()["data"][1]["geojson"] is grey
    outlines = {f["id"]: f for f in geo.plotly_geojson("city", include_non_panel=True)["features"]}
    assert main == {"type": "FeatureCollection", "features": [outlines[c] for c in CITIES]}
    assert len(main["features"]) + len(grey["features"]) == len(outlines)
    assert copy.deepcopy(maps.plotly_outlines("city")) is maps.plotly_outlines("city")
    assert maps.plotly_outlines("city") == geo.plotly_geojson("city", include_non_panel=True)
    # the report embeds each outline set once, as before: the JSON text of the shared object
    page = Page()
    page.plot(fig)
    cities = {k: v for k, v in page.geo.items() if k != "geo-provinces"}  # the inset draws the provinces
    assert set(page.geo) - set(cities) == {"geo-provinces"} and len(cities) == 2
    assert sum(t.count('"type":"Feature"') for t in cities.values()) == len(outlines)


def test_county_map_is_light_and_country_map_has_no_inset():
    units = [f["id"] for f in geo.outlines("county")["features"] if f["properties"]["province"] == "江苏"]
    fig = maps.choropleth_figure(_matrix(units, years=(2020,)), classes="natural_breaks")
    main, grey = fig.data[0].geojson["features"], fig.data[1].geojson["features"]
    # each county outline once in the figure: the units' in the main trace, every other one in the grey trace
    assert [f["id"] for f in main] == units and len(units) == 95
    assert len(main) + len(grey) == 2875 and not {f["id"] for f in main} & {f["id"] for f in grey}
    coords = sum(len(r) for f in main + grey for p in (f["geometry"]["coordinates"] if f["geometry"]["type"] ==
                                                         "MultiPolygon" else [f["geometry"]["coordinates"]]) for r in p)
    assert coords < 300_000
    assert fig.data[2].geojson["features"][0]["id"] == "北京"  # the inset: province outlines, grey
    w = maps.choropleth_figure(_matrix(["CHN", "USA", "BRA"]))
    assert w.layout.geo.projection.type == "equal earth" and "geo2" not in w.layout.to_plotly_json()
    assert "IND-PAK-JK" in w.data[1].locations and len(w.data) == 2  # disputed areas grey; no inset


def test_draw_map_every_kind_with_a_legend_of_class_bounds():
    import matplotlib.pyplot as plt

    for units in (CITIES, ["CHN", "USA", "BRA", "IND"], ["昆山市", "南京市鼓楼区", "太仓市"]):
        fig, ax = plt.subplots()
        v = pd.Series(np.arange(1.0, len(units) + 1), index=units)
        coll = maps.draw_map(ax, v, classes="equal_interval", k=2)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == maps.class_labels(maps.classify(v, "equal_interval", 2), 1.0)
        assert len(coll.get_paths()) == len(units)
        assert len(ax.child_axes) == (0 if units[0] == "CHN" else 1)  # South China Sea inset for China
        plt.close(fig)
    fig, ax = plt.subplots()
    maps.draw_map(ax, pd.Series([1.0, 2.0], index=["北京", "上海"]))
    assert ax.get_legend() is None  # continuous: the caller draws a colour bar
    plt.close(fig)


def test_index_map_figure_passes_the_study_classes(tmp_path):
    from nqpf.report.figures import plot_index_map

    class Res:
        years = (2020, 2021)

        @staticmethod
        def score_matrix() -> pd.DataFrame:
            return _matrix(CITIES)

    fig = plot_index_map(Res(), "en", classes="quantiles", k=3)  # type: ignore[arg-type]
    cb = fig.axes[-1]
    assert len(cb.get_yticks() if cb.get_yticks().size else cb.get_xticks()) == 4  # 3 classes: 4 bounds
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_country_panel_codes_without_an_outline_are_named_on_the_map():
    """WDI has HKG and MAC (inside China's outline) and CHI (drawn as GGY, JEY): left off, named in a note."""
    units = ["CHN", "HKG", "MAC", "USA", "DEU", "FRA", "JPN", "IND", "BRA", "ZAF", "AUS", "CAN", "MEX", "RUS",
             "GBR", "ITA", "ESP", "KOR", "IDN", "TUR"]
    assert maps.map_kind(units) == "country" and maps.map_kind(units[:3], "country") == "country"
    assert maps.unmapped(units, "country") == ["HKG", "MAC"]
    fig = maps.choropleth_figure(_matrix(units), lang="en")
    assert "HKG" not in fig.data[0].locations and len(fig.data[0].locations) == 18
    assert fig.layout.annotations[-1].text == "Not drawn (no outline of their own): HKG, MAC"
    import matplotlib.pyplot as plt

    fig2, ax = plt.subplots()
    maps.draw_map(ax, pd.Series(np.arange(20.0), index=units), kind="country", lang="zh")
    assert any("HKG, MAC" in t.get_text() for t in ax.texts)
    plt.close(fig2)
