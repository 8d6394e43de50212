"""Where the package's bundled files live (data, frameworks, studies, report assets)."""

from __future__ import annotations

from pathlib import Path

#: The installed package folder (``src/nqpf`` in a checkout).
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def data_path(filename: str) -> Path:
    """The path of a bundled data file in ``nqpf/datasets/``.

    Examples
    --------
    >>> data_path("provinces.csv").name
    'provinces.csv'
    """
    return PACKAGE_DIR / "datasets" / filename


def asset_path(filename: str) -> Path:
    """The path of a report asset (CSS, JavaScript) in ``nqpf/report/assets/``."""
    return PACKAGE_DIR / "report" / "assets" / filename
