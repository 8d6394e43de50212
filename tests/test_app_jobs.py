"""Runs of the workbench: the worker's JSON lines, and RunJob running a written study.toml in a child process
(a failing run reports the library's error and the next run works; the scores equal the library's)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from nqpf.app import worker
from nqpf.app.jobs import OUTPUT_FILES, RunJob
from nqpf.app.workspace import Workspace
from nqpf.core.errors import NqpfError
from nqpf.core.paths import PACKAGE_DIR
from nqpf.datasets import load_dataset
from nqpf.study.runner import run_study
from nqpf.study.spec import DataSpec, IndexSpec, OutputSpec, StudySpec, load_study

FRAMEWORK = "nqpf-province-core"


def _lines(capsys) -> list[dict]:
    return [json.loads(x) for x in capsys.readouterr().out.splitlines()]


def test_worker_library_error_is_one_json_line(tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_text('name = "s"\n[data]\ndataset = "china-provinces"\n[[index]]\nname = "nqpf"\n'
                     'framework = "nqpf-provinc"\n', encoding="utf-8")
    assert worker.main([str(study), str(tmp_path / "out")]) == 1
    lines = _lines(capsys)
    assert lines[0] == {"progress": "loading data"}
    assert lines[-1]["error"].startswith("no bundled framework 'nqpf-provinc'")
    assert worker.main([str(tmp_path / "missing.toml"), str(tmp_path / "out")]) == 1
    assert _lines(capsys) == [{"error": f"{tmp_path / 'missing.toml'}: cannot read study file: [Errno 2] "
                                        f"No such file or directory: '{tmp_path / 'missing.toml'}'"}]


def test_worker_other_error_gives_type_and_traceback(tmp_path, capsys, monkeypatch):
    study = tmp_path / "study.toml"
    study.write_text('name = "s"\n[data]\ndataset = "china-provinces"\n[[index]]\nname = "nqpf"\n'
                     f'framework = "{FRAMEWORK}"\n', encoding="utf-8")

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(worker, "run_study", boom)
    assert worker.main([str(study), str(tmp_path / "out"), "--lang", "en"]) == 2
    [line] = _lines(capsys)
    assert line["error"] == "RuntimeError: disk on fire"
    assert "Traceback" in line["traceback"] and "disk on fire" in line["traceback"]


@pytest.fixture(scope="module")
def session():
    ws = Workspace()
    yield ws
    ws.close()


def _spec(framework: str = FRAMEWORK, **data) -> StudySpec:
    return StudySpec(name="app-test", data=DataSpec(**(data or {"dataset": "china-provinces"})),
                     index=[IndexSpec(name="nqpf", framework=framework)], output=OutputSpec(lang="zh"))


def test_one_run_at_a_time_and_cancel(session):
    job = RunJob.start(_spec(), session, "en")
    assert job.events[0] == (0.0, "starting") and job.running  # at once: the page shows it
    with pytest.raises(NqpfError, match="a run is already going in this session; wait until it ends or cancel it"):
        RunJob.start(_spec(), session, "en")
    job.cancel()
    assert job.state == "failed" and job.error == "the run was cancelled" and job.cancelled
    assert job.events[-1][1] == "failed" and job.outputs == {}
    with pytest.raises(NqpfError, match="unknown language 'fr'"):
        RunJob.start(_spec(), session, "fr")


def test_failed_run_then_a_run_that_works(session, tmp_path):
    bad = RunJob.start(_spec("nqpf-provinc"), session, "en")
    assert bad.wait(300) == "failed"
    assert bad.error.startswith("no bundled framework 'nqpf-provinc'")  # the library's words
    assert bad.traceback is None and bad.outputs == {} and bad.returncode == 1
    assert [m for _t, m in bad.events][:2] == ["starting", "loading data"] and bad.events[-1][1] == "failed"

    # the next run in the same session: the user's data file and a framework built in the page
    panel = load_dataset("china-provinces")
    data = tmp_path / "省级面板.csv"
    panel.data.reset_index().to_csv(data, index=False)
    yaml_text = (PACKAGE_DIR / "frameworks" / f"{FRAMEWORK}.yaml").read_text(encoding="utf-8")
    yaml_text = yaml_text.replace(f"name: {FRAMEWORK}\n", "name: my-core\n")
    spec = _spec("my-core", path=str(data), kind="province")
    job = RunJob.start(spec, session, "zh", data_file=data, framework_yaml=yaml_text)
    assert job.wait(300) == "done", job.error
    assert job.folder.parent == session.folder and job.folder != bad.folder
    said = [m for _t, m in job.events]
    assert said[0] == "starting" and said[-1] == "done"
    for phase in ("loading data", "measuring nqpf (my-core.yaml)", "writing tables", "writing workbook",
                  "writing report", "drawing figures", "writing methods"):
        assert phase in said
    times = [t for t, _m in job.events]
    assert times == sorted(times)
    assert set(job.outputs) == set(OUTPUT_FILES) and all(p.is_file() for p in job.outputs.values())

    # the study.toml offered is the file that ran: relative paths beside it
    ran, _ = load_study(job.outputs["study.toml"])
    assert ran.data.path == "省级面板.csv" and ran.index[0].framework == "my-core.yaml"
    assert ran.output.lang == "zh" and ran.data.kind == "province"
    with zipfile.ZipFile(job.outputs["study.zip"]) as z:
        assert sorted(z.namelist()) == ["my-core.yaml", "study.toml", "省级面板.csv"]
    prov = json.loads(job.outputs["provenance.json"].read_text(encoding="utf-8"))
    assert "report.html" in prov["outputs"] and "tables/nqpf_scores.csv" in job.files
    assert all((job.out / f).is_file() for f in job.files)
    assert "新质生产力" in job.outputs["report.html"].read_text(encoding="utf-8")  # lang = zh

    # the app holds no analysis logic: the scores are the library's on the bundled data, and the unpacked
    # study.zip reproduces them
    scores = pd.read_csv(job.out / "tables" / "nqpf_scores.csv")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(job.outputs["study.zip"]) as z:
        z.extractall(unpacked)
    again, source = load_study(unpacked / "study.toml")
    for lib in (run_study(_spec()).results["nqpf"].scores,
                run_study(again, source, base=unpacked).results["nqpf"].scores):
        both = scores.merge(lib, on=["unit", "year"], suffixes=("", "_lib"))
        assert len(both) == len(lib) == 30 * 11
        np.testing.assert_allclose(both["score"], both["score_lib"], rtol=0, atol=1e-12)


def test_preparing_a_study_that_cannot_run_fails_the_job(session, tmp_path):
    job = RunJob.start(_spec(path=str(tmp_path / "gone.csv")), session, "en")
    assert job.state == "failed" and "gone.csv" in job.error and "upload the data again" in job.error
    job = RunJob.start(_spec("my-core"), session, "en", framework_yaml="name: [unclosed")
    assert job.state == "failed" and job.error.startswith("the framework built in the page is not valid YAML")
    two = _spec().model_copy(update={"index": [IndexSpec(name="a", framework=FRAMEWORK),
                                               IndexSpec(name="b", framework="hqd-province")]})
    job = RunJob.start(two, session, "en", framework_yaml="name: mine\n")
    assert job.state == "failed"
    assert job.error == ("the framework built in the page is named 'mine', but no [[index]] uses it; set "
                         'framework = "mine" in the index that should')


def test_closing_the_session_stops_its_run():
    ws = Workspace()
    job = RunJob.start(_spec(), ws, "en")
    assert job.running
    ws.close()
    assert job.state == "failed" and job.cancelled and not ws.folder.exists()
    assert job.returncode is not None and job.returncode < 0  # the child is gone (stopped by a signal)
