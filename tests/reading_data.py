"""Shared by the reading tests (tests/test_reading_*.py, tests/test_years_auto.py): a framework over named
columns, written as YAML, and the command-line runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

runner = CliRunner()


def framework_yaml(name: str, dims: dict[str, tuple[str, str, list[str]]]) -> str:
    """A framework whose indicators are panel columns of the same name: ``{dim_id: (zh, en, [columns])}``."""
    lines = [f"name: {name}", "title: {zh: 我的指数, en: My index}", "target:", "  id: t", "  name_zh: 目标",
             "  name_en: Target", "  children:"]
    for dim, (zh, en, cols) in dims.items():
        lines += [f"    - id: {dim}", f"      name_zh: {zh}", f"      name_en: {en}", "      indicators:"]
        lines += [f"        - {{id: {c}, name_zh: {c}, name_en: {c.upper()}, unit: '1', definition: {c}}}"
                  for c in cols]
    return "\n".join(lines) + "\n"


def write_framework(folder: Path, name: str, dims: dict[str, tuple[str, str, list[str]]]) -> Path:
    """The framework written to ``folder/<name>.yaml``."""
    p = folder / f"{name}.yaml"
    p.write_text(framework_yaml(name, dims), encoding="utf-8")
    return p
