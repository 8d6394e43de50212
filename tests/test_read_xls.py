"""Old-format Excel workbooks (.xls, as NBS and many yearbooks hand them out) read like .xlsx: sheets listed, the
notes sheet skipped with a note, province names resolved.

``tests/data/yearbook_provinces.xls`` was written with xlwt (BIFF8): a notes sheet 说明 and a sheet gdp with 地区,
2021年, 2020年 and three provinces (地区生产总值, 亿元, NBS 分省年度数据).
"""

from pathlib import Path

import pytest

import nqpf
from nqpf.app.workspace import preview, read, sheet_names

XLS = Path(__file__).parent / "data" / "yearbook_provinces.xls"


def test_xls_yearbook_reads_as_a_panel():
    panel = nqpf.read_panel(XLS, kind="province")
    assert panel.units == ["北京", "天津", "河北"]
    assert panel.data.loc[("北京", 2021), "gdp"] == pytest.approx(40269.6)
    assert panel.data.loc[("河北", 2020), "gdp"] == pytest.approx(36206.9)
    assert any("sheet 说明 skipped" in n for n in panel.provenance.notes)


def test_xls_in_the_workbench_reader():
    assert sheet_names(XLS) == ["说明", "gdp"]
    cells = preview(XLS, sheet="gdp")
    assert cells.loc[2, "A"] == "北京市" and list(cells.index) == [1, 2, 3, 4]
    out = read(XLS, kind="province")
    assert out.ok and len(out.panel.units) == 3
    assert any("北京市 → 北京" in m.text for m in out.messages)
