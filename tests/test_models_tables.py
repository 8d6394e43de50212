"""Publication tables: the layout and each exporter's content (Markdown, LaTeX, Excel read back with openpyxl,
Word read back with python-docx)."""

from __future__ import annotations

import pandas as pd
import pytest

from nqpf.core.errors import MethodError
from nqpf.core.stars import STAR_NOTE
from nqpf.models.estimates import Estimates
from nqpf.models.tables import export_table, layout, publication_table, to_docx, to_excel, to_latex, to_markdown


def two_models() -> list[Estimates]:
    a = Estimates("FE", pd.Series({"nqpf": 0.512, "gov": -0.2}), pd.Series({"nqpf": 0.101, "gov": 0.15}),
                  pd.Series({"nqpf": 0.0004, "gov": 0.18}), nobs=210, stats={"R2_within": 0.4123},
                  rows={"unit FE": "yes", "year FE": "yes"}, dependent="hqd",
                  labels={"nqpf": ("新质生产力", "NQPF"), "gov": ("政府规模", "Government size")})
    b = Estimates("IV", pd.Series({"nqpf": 0.731}), pd.Series({"nqpf": 0.3}), pd.Series({"nqpf": 0.03}), nobs=180,
                  stats={"first_stage_F": 25.4}, rows={"unit FE": "yes", "year FE": "no"}, dependent="hqd")
    return [a, b]


def test_layout_and_frame():
    t = layout(two_models())
    assert t.header == [["", "(1)", "(2)"], ["", "hqd", "hqd"], ["", "FE", "IV"]]
    assert t.coefficients[0] == ("NQPF", ["0.512***", "0.731**"])
    assert t.coefficients[1] == ("", ["(0.101)", "(0.300)"])
    assert t.coefficients[2] == ("Government size", ["-0.200", ""])
    assert t.extra == [("Unit FE", ["Yes", "Yes"]), ("Year FE", ["Yes", "No"])]
    assert t.stats == [("N", ["210", "180"]), ("Within R²", ["0.412", ""]), ("First-stage F", ["", "25.400"])]
    assert t.note == "Standard errors in parentheses. " + STAR_NOTE[1]
    zh = layout(two_models(), lang="zh", stat="t", digits=2)
    assert zh.coefficients[0][0] == "新质生产力" and zh.coefficients[1][1][0] == "(5.07)"
    assert zh.extra[0] == ("个体固定效应", ["是", "是"]) and zh.stats[0][0] == "观测值"
    assert zh.note == "括号内为 t 值。" + STAR_NOTE[0]
    df = publication_table(two_models())
    assert list(df.columns) == ["FE", "IV"] and df.loc["NQPF", "IV"] == "0.731**"
    assert df.loc["NQPF ", "FE"] == "(0.101)" and df.loc["N", "FE"] == "210"
    with pytest.raises(MethodError, match="stat"):
        layout(two_models(), stat="z")


def test_markdown():
    md = to_markdown(two_models(), title="Table 1")
    lines = md.splitlines()
    assert lines[0] == "**Table 1**"
    assert lines[2] == "|  | (1) | (2) |" and lines[3] == "|---|:---:|:---:|"
    assert "| NQPF | 0.512*** | 0.731** |" in lines and "| Unit FE | Yes | Yes |" in lines
    assert lines[-1] == "Standard errors in parentheses. " + STAR_NOTE[1]


def test_latex_booktabs(tmp_path):
    tex = to_latex(two_models(), tmp_path / "t.tex", title="Results", label="tab:fe")
    assert (tmp_path / "t.tex").read_text(encoding="utf-8") == tex
    lines = tex.splitlines()
    i_top, i_mid = lines.index(r"\toprule"), [i for i, s in enumerate(lines) if s == r"\midrule"]
    assert lines[i_top + 1] == r" & (1) & (2) \\"
    assert len(i_mid) == 2 and lines.index(r"\bottomrule") > i_mid[1]
    assert r"NQPF & 0.512\sym{***} & 0.731\sym{**} \\" in lines
    assert r"Within $R^2$ & 0.412 &  \\" in lines
    assert r"\begin{tabular}{l*{2}{c}}" in lines and r"\caption{Results}" in lines


def test_excel_content(tmp_path):
    from openpyxl import load_workbook

    p = to_excel(two_models(), tmp_path / "t.xlsx", lang="zh", title="表 1")
    ws = load_workbook(p).active
    rows = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "表 1"
    assert rows[1] == ["", "(1)", "(2)"] and rows[2] == ["", "hqd", "hqd"]
    assert rows[4] == ["新质生产力", "0.512***", "0.731**"] and rows[5] == ["", "(0.101)", "(0.300)"]
    assert ["个体固定效应", "是", "是"] in rows and ["观测值", "210", "180"] in rows
    assert rows[-1][0] == "括号内为标准误。" + STAR_NOTE[0]
    assert ws.cell(2, 2).border.top.style == "medium" and ws.cell(4, 2).border.bottom.style == "thin"


def test_docx_content(tmp_path):
    from docx import Document

    p = export_table(two_models(), tmp_path / "t.docx", title="Table 2")
    doc = Document(str(p))
    assert doc.paragraphs[0].text == "Table 2"
    tab = doc.tables[0]
    cells = [[c.text for c in r.cells] for r in tab.rows]
    assert cells[0] == ["", "(1)", "(2)"] and cells[3] == ["NQPF", "0.512***", "0.731**"]
    assert cells[-1] == ["First-stage F", "", "25.400"]
    assert doc.paragraphs[-1].text == "Standard errors in parentheses. " + STAR_NOTE[1]
    xml = tab.rows[0].cells[1]._tc.xml
    assert "w:top" in xml and 'w:sz="12"' in xml


def test_export_by_suffix_and_model_results(tmp_path):
    class Model:  # anything with .estimates() can be a column
        def estimates(self):
            return two_models()[:1]

    assert export_table([Model(), two_models()[1]], tmp_path / "t.md").read_text(encoding="utf-8").count("|") > 10
    assert export_table(two_models(), tmp_path / "t.tex").exists()
    with pytest.raises(MethodError, match="unknown table format"):
        export_table(two_models(), tmp_path / "t.pdf")


def test_docx_in_chinese(tmp_path):
    from docx import Document

    doc = Document(str(to_docx(two_models(), tmp_path / "zh.docx", lang="zh", stat="t")))
    cells = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert ["个体固定效应", "是", "是"] in cells and ["年份固定效应", "是", "否"] in cells
    assert doc.paragraphs[-1].text == "括号内为 t 值。" + STAR_NOTE[0]


def test_numbered_column_names_are_not_repeated():
    e = two_models()
    e[0].name, e[1].name = "(1)", "(2)"
    assert layout(e).header == [["", "(1)", "(2)"], ["", "hqd", "hqd"]]
