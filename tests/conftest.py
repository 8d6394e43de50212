"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import background
import esda_worker
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUTPUT = Path(__file__).resolve().parent / "_output"


@pytest.fixture(scope="session")
def provinces_panel():
    from nqpf.datasets import load_dataset

    return load_dataset("china-provinces")


@pytest.fixture(scope="session")
def wdi_panel():
    from nqpf.datasets import load_dataset

    return load_dataset("wdi-countries")


@pytest.fixture(scope="session")
def test_output() -> Path:
    """A folder for artefacts a reviewer may want to look at (screenshots, reports)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


def shared_data() -> Path | None:
    """../shared/data when present (CI has it beside the clone), else None."""
    return SHARED if SHARED.exists() else None


@pytest.fixture(scope="session")
def default_run():
    """The bundled default study, run once per test session (about 30 s)."""
    from nqpf.study import load_study, run_study

    spec, source = load_study()
    return run_study(spec, source)


@pytest.fixture(scope="session")
def default_outdir(default_run, test_output) -> Path:
    """The default study written to tests/_output/default-study (tables, workbook, report, provenance)."""
    from nqpf.output import write_run

    return write_run(default_run, test_output / "default-study", lang=default_run.spec.output.lang)


@pytest.fixture(scope="session")
def default_reports(default_run) -> dict:
    """The default study's report in each language, ``render_report(default_run, lang, strict=False)``.

    Rendered once for the tests that read it. ``strict`` only decides what a failing chapter or analysis does
    (raise, or an error box listed in ``Report.notes``), so ``notes == []`` here is what a strict render
    passing would show.
    """
    from nqpf.report.html import render_report

    return {lang: render_report(default_run, lang, strict=False) for lang in ("en", "zh")}


# ---------------------------------------------------------------------------------------------
# background subprocesses (background.py): started when collection ends, for the selected tests only
# ---------------------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "background(*keys): the test takes the result of these background jobs "
                                       "(background.py); 'esda' is the esda.Moran_Local worker (esda_worker.py)")


def pytest_collection_finish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: every worker collects every test, so
        return  # the jobs run when a test asks for them (background.result), in the worker that runs it
    keys: list[str] = []
    for item in session.items:
        for mark in item.iter_markers("background"):
            keys += [k for k in mark.args if k not in keys]
    if "esda" in keys:
        esda_worker.start()
    background.start([k for k in keys if k != "esda"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    background.stop()
    esda_worker.stop()
