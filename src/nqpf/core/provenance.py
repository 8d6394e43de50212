"""Run provenance: versions, input hashes, resolved settings and every changed cell."""

from __future__ import annotations

import hashlib
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

#: The packages whose versions every provenance record lists.
TRACKED_PACKAGES = (
    "nqpf", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "libpysal", "esda", "giddy",
    "plotly", "matplotlib", "openpyxl", "pydantic", "typer", "pyyaml",
)

CELL_COLUMNS = ["action", "unit", "year", "column", "before", "after", "reason"]


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Installed versions of nqpf and its main dependencies."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class Provenance:
    """What went into a result and what was changed on the way.

    ``cells`` holds one record per imputed, dropped or clipped cell (``action`` is one of
    ``"imputed"``, ``"dropped"``, ``"clipped"``), so nothing is lost silently.
    """

    inputs: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    cells: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_input(self, name: str, path: str | Path | None = None, **extra: Any) -> None:
        """Record an input, with its SHA-256 when it is a file."""
        rec: dict[str, Any] = {"name": name, **extra}
        if path is not None:
            rec["path"] = str(path)
            rec["sha256"] = file_sha256(path)
        self.inputs.append(rec)

    def record_cell(
        self, action: str, unit: Any, year: Any, column: str, before: Any, after: Any, reason: str
    ) -> None:
        """Record one changed cell."""
        self.cells.append(
            {"action": action, "unit": unit, "year": year, "column": column,
             "before": _plain(before), "after": _plain(after), "reason": reason}
        )

    def note(self, text: str) -> None:
        """Record a free-text note (a method choice and its consequence, a break in a series)."""
        self.notes.append(text)

    def merge(self, other: Provenance) -> Provenance:
        """A new record holding both records' entries (``other``'s settings win on conflicts)."""
        return Provenance(
            inputs=[*self.inputs, *(i for i in other.inputs if i not in self.inputs)],
            settings={**self.settings, **other.settings},
            cells=[*self.cells, *other.cells],
            notes=[*self.notes, *(n for n in other.notes if n not in self.notes)],
        )

    def cells_frame(self) -> pd.DataFrame:
        """Every changed cell as a table."""
        return pd.DataFrame(self.cells, columns=CELL_COLUMNS)

    def counts(self) -> dict[str, int]:
        """How many cells each action touched."""
        out: dict[str, int] = {}
        for c in self.cells:
            out[c["action"]] = out.get(c["action"], 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, with versions and a timestamp."""
        return {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "inputs": self.inputs,
            "settings": self.settings,
            "notes": self.notes,
            "cell_counts": self.counts(),
            "cells": self.cells,
        }


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar (NaN becomes None)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):
        return value.item()
    return value
