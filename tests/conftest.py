"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

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
