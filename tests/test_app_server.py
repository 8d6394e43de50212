"""The workbench's server side without a browser: the page answers, the upload guard, ``nqpf app``.

The browser tests (tests/test_app_browser.py) drive the page itself.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from typer.testing import CliRunner

from nqpf.app.forms import pair_lines
from nqpf.app.i18n import WORDS, T, t
from nqpf.app.main import UploadGuard, is_loopback, make_app, serve, upload_cap_mb
from nqpf.app.workspace import CAP_ENV, MAX_UPLOAD_MB
from nqpf.cli import app as cli_app
from nqpf.core.errors import NqpfError


def asgi(app, method: str = "GET", path: str = "/", body: bytes = b"") -> tuple[int, str]:
    """One HTTP request to an ASGI app in-process: (status, text of the body)."""
    out: dict = {"body": b""}
    chunks = [body]

    async def receive():
        return {"type": "http.request", "body": chunks.pop() if chunks else b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8050)}
    asyncio.run(app(scope, receive, send))
    return out["status"], out["body"].decode("utf-8", "replace")


@pytest.fixture(scope="module")
def app_zh():
    return make_app("zh")


def test_page_answers_with_the_five_steps_and_the_design_ids(app_zh) -> None:
    status, page = asgi(app_zh)
    assert status == 200
    for step in ("data", "framework", "methods", "run", "results"):
        assert f'data-value="{step}"' in page
    for id_ in ("step", "lang", "data_source", "dataset", "data_file", "sheet", "unit_col", "year_col", "layout",
                "kind", "labels", "rename", "read_data", "data_messages", "data_preview", "data_summary",
                "fw_source", "framework", "fw_file", "fw_from_data", "fw_indicators", "fw_dimensions", "fw_add_row",
                "fw_name", "fw_title_zh", "fw_title_en", "fw_check", "fw_messages", "fw_summary", "dl_framework",
                "index_name", "years", "normalization", "scope", "weighting", "aggregation", "tree",
                "weights_kind", "weights_k", "groups", "out_lang", "excel", "check_study", "methods_messages",
                "study_preview", "run_study", "run_progress", "run_error", "run_cancel", "report_frame",
                "result_table", "result_grid", "dl_report", "dl_excel", "dl_methods", "dl_provenance", "dl_study",
                "dl_bundle", "dl_summary"):
        assert re.search(rf'id="{id_}"', page), id_
    # both languages are on the page; the switch starts on the app's language
    assert "① 数据" in page and "① Data" in page
    assert re.search(r'<input[^>]*value="zh"[^>]*checked', page)
    # the bundled datasets are offered, china-provinces first chosen
    assert '<option value="china-provinces" selected="">' in page
    assert 'value="wdi-countries"' in page and 'value="china-cities"' in page


def test_english_page_starts_in_english() -> None:
    page = asgi(make_app("en"))[1]
    assert re.search(r'<input[^>]*value="en"[^>]*checked', page)
    assert '<html lang="en">' in page


def test_upload_guard_answers_413_before_reading_the_body() -> None:
    calls: list[str] = []

    async def inner(scope, receive, send):  # the Shiny app: must not be reached
        calls.append(scope["path"])

    guard = UploadGuard(inner, cap_mb=lambda: 1.0)
    sent: list[dict] = []

    async def receive():
        raise AssertionError("the body was read")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/session/abc/upload/job1",
             "headers": [(b"content-length", str(2 * 1024 * 1024).encode())]}
    asyncio.run(guard(scope, receive, send))
    assert calls == []
    assert sent[0]["status"] == 413
    body = sent[1]["body"].decode("utf-8")
    assert "(2.0 MB)" in body and "upload limit is 1 MB" in body and "上传上限为 1 MB" in body

    # under the cap, and any other request, goes through
    scope_ok = {**scope, "headers": [(b"content-length", b"1000")]}
    asyncio.run(guard(scope_ok, receive, send))
    asyncio.run(guard({"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send))
    assert calls == ["/session/abc/upload/job1", "/"]


def test_upload_guard_in_front_of_the_app(app_zh) -> None:
    big = b"x" * (int(upload_cap_mb() * 1024 * 1024) + 1)
    status, text = asgi(app_zh, "POST", "/session/nosuch/upload/nojob", big)
    assert status == 413
    assert f"upload limit is {MAX_UPLOAD_MB} MB" in text


def test_upload_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert upload_cap_mb() == MAX_UPLOAD_MB
    monkeypatch.setenv(CAP_ENV, "0.5")
    assert upload_cap_mb() == 0.5
    monkeypatch.setenv(CAP_ENV, "lots")
    with pytest.raises(NqpfError, match=r"NQPF_APP_MAX_UPLOAD_MB='lots' is not a number.*e\.g\. 50 or unset"):
        upload_cap_mb()


def test_remote_host_refused_without_allow_remote() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    with pytest.raises(NqpfError, match="add --allow-remote"):
        serve("0.0.0.0", 0, open_browser=False)
    with pytest.raises(NqpfError, match="use zh or en"):
        serve("127.0.0.1", 0, open_browser=False, lang="fr")


def test_port_in_use_is_named_with_the_way_out() -> None:
    import socket

    from nqpf.app.main import free_port, port_free

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert not port_free("127.0.0.1", busy)
        with pytest.raises(NqpfError, match=rf"--port {busy}: the port is in use.*--port 0 for any free one"):
            serve("127.0.0.1", busy, open_browser=False)
    port = free_port()  # the hint followed: --port 0 takes one like this
    assert port_free("127.0.0.1", port)


def test_nqpf_app_help_and_refusal() -> None:
    runner = CliRunner()
    r = runner.invoke(cli_app, ["app", "--help"])
    assert r.exit_code == 0
    for opt in ("--host", "--port", "--no-browser", "--lang", "--allow-remote"):
        assert opt in r.output
    r = runner.invoke(cli_app, ["app", "--host", "0.0.0.0", "--no-browser"])
    assert r.exit_code == 2
    assert "--allow-remote" in r.output


def test_rename_lines() -> None:
    assert pair_lines("苏州 = 苏州市\n 广冬＝广东 \n\nA -> B") == ({"苏州": "苏州市", "广冬": "广东", "A": "B"}, [])
    assert pair_lines("苏州市\n= x") == ({}, [(1, "苏州市"), (2, "= x")])


def test_every_word_has_both_languages() -> None:
    for key, (zh, en) in WORDS.items():
        assert zh.strip() and en.strip(), key
        assert re.findall(r"{(\w+)}", zh) == re.findall(r"{(\w+)}", en) or \
            sorted(re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en)), key
    assert t("summary", "zh", units=41, y0=2011, y1=2023, k=5) == "41 个单元 × 2011–2023 年，5 个指标"
    assert 'class="nqpf-en"' in str(T("run_study"))


def test_message_boxes_and_flagged_preview_rows() -> None:
    import pandas as pd

    from nqpf.app.server import Msg, msg_box, preview_table, rename_hints

    box = str(msg_box(Msg("warning", "x.xlsx [sheet s]: 2 cells marked '—'", [3, 7]), "en"))
    assert 'class="nqpf-msg nqpf-warning"' in box and 'data-rows="3,7"' in box and "Warning" in box
    assert "data-rows" not in str(msg_box(Msg("note", "fine"), "zh"))
    raw = pd.DataFrame({"A": ["城市", "苏州", "南京"], "B": ["2022年", 1.5, None]}, index=[1, 2, 3])
    html = str(preview_table(raw, {2}, raw=True))
    assert html.count('class="nqpf-flag"') == 1 and 'data-row="2"' in html
    assert re.search(r'<tr class="nqpf-flag" data-row="2">\s*<th class="nqpf-rownum">2</th>\s*<td>苏州</td>', html)
    assert "<td>1.5</td>" in html and "<td></td>" in html  # an empty cell stays empty
    # the rename box lines the page proposes for an unknown name: one per near match
    msgs = [Msg("error", "a.csv: unknown city name '苏洲'; near matches: 苏州市, 宿州市; add a rename")]
    assert rename_hints(msgs) == ["苏洲 = 苏州市 | 苏洲 = 宿州市"]
    assert rename_hints([Msg("note", "read 41 units")]) == []


@pytest.mark.parametrize("module", ["nqpf.app.i18n", "nqpf.app.server", "nqpf.app.main"])
def test_docstring_examples(module: str) -> None:
    import importlib

    from result_checks import run_doctests

    run_doctests(importlib.import_module(module))
