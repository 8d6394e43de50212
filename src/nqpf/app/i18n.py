"""Every word of the workbench page in Chinese and English (页面用语), keyed by message id.

The page shows both spans of a word and hides one by the language switch (CSS in ``assets/app.css``); text the
server writes (messages, summaries) is chosen with :func:`t`. Errors from the library are shown as the library
words them, never translated here.
"""

from __future__ import annotations

from htmltools import Tag, TagList, tags

__all__ = ["PROGRESS_ZH", "WORDS", "T", "progress_text", "t"]

WORDS: dict[str, tuple[str, str]] = {
    # the page
    "app_title": ("nqpf 工作台", "nqpf workbench"),
    "lang": ("语言", "Language"),
    "step_data": ("① 数据", "① Data"),
    "step_framework": ("② 指标体系", "② Indicator system"),
    "step_methods": ("③ 方法与分析", "③ Methods and analyses"),
    "step_run": ("④ 运行", "④ Run"),
    "step_results": ("⑤ 结果", "⑤ Results"),
    "next": ("下一步 →", "Next →"),
    "loading": ("正在载入分析模块…", "Loading the analyses…"),
    "offline": ("本机运行，数据不离开这台电脑。", "Runs on this computer; your data never leave it."),
    # data step
    "data_source": ("数据来源", "Data source"),
    "bundled": ("内置数据集", "Bundled dataset"),
    "upload": ("上传文件", "Upload a file"),
    "dataset": ("数据集", "Dataset"),
    "data_file": ("数据文件（CSV、Excel、Stata .dta）", "Data file (CSV, Excel, Stata .dta)"),
    "browse": ("选择文件…", "Browse…"),
    "no_file": ("未选择文件", "No file selected"),
    "sheet": ("工作表", "Sheet"),
    "every_sheet": ("（全部数据表）", "(every data sheet)"),
    "unit_col": ("单元列", "Unit column"),
    "year_col": ("年份列", "Year column"),
    "detect": ("（自动识别）", "(detect)"),
    "layout": ("数据布局", "Layout"),
    "layout_auto": ("自动", "auto"),
    "layout_long": ("长表（单元 × 年份为行）", "long (a row per unit and year)"),
    "layout_wide": ("宽表（年份为列）", "wide (years as columns)"),
    "kind": ("单元类型", "Kind of unit"),
    "kind_province": ("省份", "province"),
    "kind_city": ("城市", "city"),
    "kind_county": ("区县", "county"),
    "kind_firm": ("企业", "firm"),
    "kind_country": ("国家/经济体", "country"),
    "kind_other": ("其他", "other"),
    "labels": ("标签列（文本，不作指标）", "Label columns (text, not indicators)"),
    "rename": ("单元改名（每行一条：旧名 = 新名）", "Rename units (one per line: old = new)"),
    "read_data": ("读取数据", "Read the data"),
    "preview": ("预览（原始单元格，行号同 Excel）", "Preview (raw cells, row numbers as in Excel)"),
    "panel_preview": ("预览（面板数据，前 {n} 行）", "Preview (the panel, first {n} rows)"),
    "messages": ("读取信息", "Reader's messages"),
    "no_messages": ("读取成功，没有需要注意的问题。", "Read without anything to note."),
    "summary": ("{units} 个单元 × {y0}–{y1} 年，{k} 个指标", "{units} units × years {y0}–{y1}, {k} indicators"),
    "summary_kind": ("（单元类型：{kind}）", " (kind of unit: {kind})"),
    "no_panel": ("尚未读取数据。", "No data read yet."),
    "level_error": ("错误", "Error"),
    "level_warning": ("警告", "Warning"),
    "level_note": ("说明", "Note"),
    "rows": ("行", "rows"),
    "rename_bad": ("改名第 {i} 行 “{line}” 看不懂：请写成 旧名 = 新名（例如 苏州 = 苏州市）。",
                   "rename line {i} '{line}' is not understood: write old = new (e.g. 苏州 = 苏州市)."),
    "rename_hint": ("在“单元改名”框中写下其中正确的一行（{line}），再点“读取数据”。",
                    "Write the right one of these lines ({line}) in 'Rename units' and click 'Read the data'."),
    "columns_hint": ("在左侧选择“单元列”和“年份列”（若这张表不是数据表，请换一个“工作表”），再点“读取数据”。",
                     "Choose the 'Unit column' and 'Year column' on the left (or another 'Sheet' if this one holds "
                     "no data) and click 'Read the data'."),
    "upload_first": ("请先上传数据文件。", "Upload a data file first."),
    # framework step
    "fw_source": ("指标体系来源", "Source of the indicator system"),
    "fw_bundled": ("内置指标体系", "Bundled framework"),
    "fw_upload": ("上传 YAML", "Upload YAML"),
    "fw_table": ("在表格中编辑", "Edit as a table"),
    "framework": ("指标体系", "Framework"),
    "fw_file": ("指标体系文件（.yaml）", "Framework file (.yaml)"),
    "fw_from_data": ("从数据的列开始", "Start from the data's columns"),
    "fw_add_row": ("添加一行指标", "Add an indicator row"),
    "fw_name": ("名称（英文标识）", "Name (an identifier)"),
    "fw_title_zh": ("中文标题", "Title (Chinese)"),
    "fw_title_en": ("英文标题", "Title (English)"),
    "fw_check": ("检查", "Check"),
    "fw_default_title": ("我的指标体系", "My indicator system"),
    "fw_indicators": ("指标（可直接编辑单元格）", "Indicators (edit the cells)"),
    "fw_dimensions": ("维度", "Dimensions"),
    "dl_framework": ("下载 YAML", "Download YAML"),
    "fw_ok": ("指标体系检查通过。", "The indicator system checks out."),
    "fw_summary": ("{title}：{d} 个维度，{k} 个指标", "{title}: {d} dimensions, {k} indicators"),
    "fw_none": ("尚未选定指标体系。", "No indicator system yet."),
    "fw_table_invalid": ("表格中还有问题：点“检查”查看各行的说明。",
                         "The tables still have problems: click 'Check' to see them by row."),
    "fw_missing": ("数据中缺少该体系所需的列：{cols}", "The data lack columns this system needs: {cols}"),
    "fw_table_empty": ("表格为空：请点击“从数据的列开始”或添加一行。",
                       "The table is empty: click 'Start from the data's columns' or add a row."),
    # methods step
    "index_name": ("指数名称", "Index name"),
    "years": ("年份（空 = 指标体系的样本；auto；2015-2022）",
              "Years (blank = the framework's sample; auto; 2015-2022)"),
    "years_auto": ("（指标体系的样本）", "(the framework's sample)"),
    "exclude_units": ("不纳入的单元（逗号分隔）", "Leave out units (comma-separated)"),
    "years_hint": ("在本页：在第③步“年份”中写 {years}。", "In this page: write {years} in 'Years' (step ③)."),
    "exclude_hint": ("在本页：在第③步“不纳入的单元”中写 {units}。",
                     "In this page: write {units} in 'Leave out units' (step ③)."),
    "normalization": ("标准化", "Normalisation"),
    "scope": ("标准化范围", "Scope"),
    "weighting": ("赋权", "Weighting"),
    "aggregation": ("合成", "Aggregation"),
    "tree": ("赋权层级", "Tree"),
    "methods_measure": ("测度方法", "Measurement"),
    "analyses": ("分析", "Analyses"),
    "models": ("模型", "Models"),
    "weights_kind": ("空间权重", "Spatial weights"),
    "weights_none": ("（各分析默认）", "(each analysis's default)"),
    "weights_k": ("近邻数 k", "Neighbours k"),
    "groups": ("分组", "Groups"),
    "groups_none": ("（各分析默认）", "(each analysis's default)"),
    "label_column": ("标签列：{c}", "label column: {c}"),
    "out_lang": ("报告语言", "Report language"),
    "excel": ("写出 Excel 工作簿", "Write the Excel workbook"),
    "check_study": ("检查研究设定", "Check the study"),
    "study_preview": ("study.toml（与“nqpf run study.toml”运行的文件相同）",
                      "study.toml (the file that `nqpf run study.toml` runs)"),
    "study_ok": ("研究设定检查通过，可以运行。", "The study checks out: ready to run."),
    "needs_geometry": ("需要该单元类型的地理边界或空间权重：{kind} 没有内置边界",
                       "needs the outlines of the unit kind or a weights choice: no bundled outlines for {kind}"),
    "needs_panel": ("请先读取数据", "read the data first"),
    "disabled": ("不可用", "not available"),
    # run step
    "run_study": ("运行", "Run"),
    "run_cancel": ("取消", "Cancel"),
    "run_done": ("完成，用时 {s} 秒。请查看“⑤ 结果”。", "Done in {s} s. See '⑤ Results'."),
    "run_failed": ("运行失败：", "The run failed:"),
    "run_cancelled": ("已取消。", "Cancelled."),
    "run_running": ("正在运行…", "Running…"),
    "run_idle": ("点击“运行”开始。", "Click 'Run' to start."),
    "run_busy": ("已有一个运行在进行中。", "A run is already going."),
    # results step
    "report": ("报告", "Report"),
    "result_table": ("结果表", "Table"),
    "run_summary": ("运行摘要（summary.txt：各项分析与读取、测度中的说明）",
                    "Summary of the run (summary.txt: every analysis, and the notes of reading and measuring)"),
    "no_results": ("尚无结果：请先运行。", "No results yet: run the study first."),
    "downloads": ("下载", "Downloads"),
    "dl_report": ("报告 report.html", "Report (report.html)"),
    "dl_excel": ("结果工作簿 results.xlsx", "Workbook (results.xlsx)"),
    "dl_methods": ("方法说明 methods.md", "Methods (methods.md)"),
    "dl_provenance": ("来源记录 provenance.json", "Provenance (provenance.json)"),
    "dl_study": ("研究设定 study.toml", "Study file (study.toml)"),
    "dl_bundle": ("全部打包 study.zip", "Everything (study.zip)"),
    "dl_summary": ("摘要 summary.txt", "Summary (summary.txt)"),
    "too_large": ("文件太大（{size} MB）：上传上限为 {cap} MB。",
                  "The file is too large ({size} MB): the upload limit is {cap} MB."),
}


#: the run's progress lines as the library says them (English) → Chinese; a line not listed is shown as it is
PROGRESS_ZH: dict[str, str] = {
    "starting": "开始", "loading data": "读取数据", "measuring": "测度指数", "analysis": "分析", "model": "模型",
    "writing tables": "写出结果表", "writing workbook": "写出 Excel 工作簿", "writing report": "写出报告",
    "drawing figures": "绘制图形", "writing briefs": "写出单元简报", "writing methods": "写出方法说明",
    "done": "完成", "failed": "失败",
}


def progress_text(message: str, lang: str) -> str:
    """A progress line of the run in ``lang``: the library's phrase translated, names kept.

    Examples
    --------
    >>> progress_text("measuring index (nqpf-province-2023)", "zh")
    '测度指数 index (nqpf-province-2023)'
    >>> progress_text("analysis: kernel_density", "zh"), progress_text("writing report", "en")
    ('分析：kernel_density', 'writing report')
    """
    if lang != "zh":
        return message
    if message in PROGRESS_ZH:
        return PROGRESS_ZH[message]
    head, sep, rest = message.partition(": ")
    if sep and head in PROGRESS_ZH:
        return f"{PROGRESS_ZH[head]}：{rest}"
    head, sep, rest = message.partition(" ")
    if sep and head in PROGRESS_ZH:
        return f"{PROGRESS_ZH[head]} {rest}"
    return message


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The word ``key`` in ``lang`` ("zh" or "en"), formatted with ``fmt``.

    Examples
    --------
    >>> t("summary", "en", units=41, y0=2011, y1=2023, k=5)
    '41 units × years 2011–2023, 5 indicators'
    """
    zh, en = WORDS[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def T(key: str, **fmt: object) -> TagList:
    """Both languages of a word as spans; the page shows the one of the language switch.

    Examples
    --------
    >>> str(T("run_study"))
    '<span class="nqpf-zh">运行</span><span class="nqpf-en">Run</span>'
    """
    return TagList(_span("zh", t(key, "zh", **fmt)), _span("en", t(key, "en", **fmt)))


def _span(lang: str, text: str) -> Tag:
    return tags.span(text, class_=f"nqpf-{lang}")
