"""Maps of the study's own outlines ([geography] file): the report draws them; the Python call takes them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nqpf.core.errors import DataError
from nqpf.geo.geometry import GeographySpec, user_geometry
from nqpf.viz.maps import choropleth_figure


def _squares(path) -> list[str]:
    feats = []
    names = ["Alpha", "Beta", "Gamma", "Delta", "Outside"]
    for k, name in enumerate(names):
        x0 = 100.0 + k
        ring = [[x0, 30.0], [x0 + 1, 30.0], [x0 + 1, 31.0], [x0, 31.0], [x0, 30.0]]
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return names[:4]


def test_choropleth_of_user_outlines(tmp_path) -> None:
    units = _squares(tmp_path / "zones.geojson")
    fc = user_geometry(GeographySpec(file="zones.geojson", id_field="name"), units, tmp_path).features
    m = pd.DataFrame({2020: [0.1, 0.2, 0.3, np.nan], 2021: [0.2, 0.3, 0.4, 0.5]}, index=units)
    fig = choropleth_figure(m, kind="user", geojson=fc, lang="en")
    main, grey = fig.data[0], fig.data[1]
    assert list(main.locations) == units and [f["id"] for f in main.geojson["features"]] == units
    assert list(grey.locations) == ["Outside"]  # the feature outside the panel is drawn grey
    assert fig.layout.geo.fitbounds == "locations"
    assert len(fig.layout.sliders[0].steps) == 2
    with pytest.raises(DataError, match="kind 'user' needs geojson"):
        choropleth_figure(m, kind="user")


def test_the_report_maps_the_study_geography(tmp_path) -> None:
    from nqpf.output import write_run
    from nqpf.study import load_study, run_study

    units = _squares(tmp_path / "zones.geojson")
    rng = np.random.default_rng(0)
    rows = [{"zone": u, "year": y, "a": rng.uniform(1, 5), "b": rng.uniform(1, 5)} for u in units for y in (2020, 2021)]
    pd.DataFrame(rows).to_csv(tmp_path / "zones.csv", index=False)
    (tmp_path / "fw.yaml").write_text("""
name: zones
title: {zh: 区域, en: Zones}
target:
  id: z
  name_zh: 区域
  name_en: Zones
  indicators:
    - {id: a, name_zh: 甲, name_en: A, unit: x}
    - {id: b, name_zh: 乙, name_en: B, unit: x}
""", encoding="utf-8")
    (tmp_path / "s.toml").write_text("""
name = "zones"
[data]
path = "zones.csv"
unit = "zone"
[geography]
file = "zones.geojson"
id_field = "name"
[[index]]
name = "z"
framework = "fw.yaml"            # a framework file next to the study file
[output]
excel = false
""", encoding="utf-8")
    spec, source = load_study(tmp_path / "s.toml")
    run = run_study(spec, source, base=tmp_path)
    write_run(run, tmp_path / "out", excel=False, lang="en")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '"Alpha"' in html and '"Outside"' in html and "choropleth" in html.lower()
