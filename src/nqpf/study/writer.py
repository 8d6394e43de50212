"""Writing a study file (研究设定文件): a :class:`~nqpf.study.spec.StudySpec` as TOML.

The workbench builds a :class:`StudySpec` from its forms and writes it with :func:`write_study`; the file it
offers for download is the file it ran (``nqpf run study.toml`` reproduces the run). Values equal to their
defaults are left out, ``[data]`` and each ``[[index]]`` start with their name/framework, and Chinese text is
written as is (no ``\\u`` escapes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

import nqpf
from nqpf.core.errors import StudyError
from nqpf.study.spec import StudySpec

__all__ = ["dump_study", "write_study"]


def dump_study(spec: StudySpec) -> str:
    """The study as TOML text that :func:`nqpf.study.spec.load_study` reads back to an equal spec.

    Parameters
    ----------
    spec : StudySpec
        The study.

    Returns
    -------
    str
        TOML: a comment line naming the nqpf version and how to reproduce the run, then the top-level keys
        (name, title, description), ``[data]``, the ``[[index]]`` entries, ``[analyses.*]``, ``[models.*]``,
        ``[weights.*]``, ``[groups.*]``, ``[geography]`` and ``[output]``; values equal to their defaults
        are left out.

    Raises
    ------
    StudyError
        When an analysis or model option holds a value TOML cannot write (None), naming the entry.

    Examples
    --------
    >>> import tomllib
    >>> from nqpf.study.spec import load_study
    >>> spec, _ = load_study("china-cities")
    >>> text = dump_study(spec)
    >>> text.splitlines()[0]
    '# nqpf 0.1.0 study file; reproduce with: nqpf run study.toml'
    >>> StudySpec.model_validate(tomllib.loads(text)) == spec
    True
    """
    d = spec.model_dump(exclude_defaults=True, mode="json")
    for section in ("analyses", "models"):
        for entry, options in d.get(section, {}).items():
            empty = list(_nones(options))
            if empty:
                raise StudyError(
                    f"[{section}.{entry}]: option(s) {empty} have no value (None), which a TOML file cannot hold; "
                    f"leave them out to use their defaults")
    top = {k: v for k, v in d.items() if not isinstance(v, (dict, list)) or k not in _SECTIONS}
    chunks = [f"# nqpf {nqpf.__version__} study file; reproduce with: nqpf run study.toml\n", tomli_w.dumps(top)]
    chunks.append(tomli_w.dumps({"data": _ordered(d["data"], ("dataset", "path", "sheet", "unit", "year"))}))
    for entry in d["index"]:
        chunks.append("[[index]]\n" + tomli_w.dumps(_ordered(entry, _INDEX_FIRST)))
    chunks += [tomli_w.dumps({k: d[k]}) for k in _SECTIONS[2:] if k in d]
    return _compact_arrays("\n".join(c for c in chunks if c.strip()))


def write_study(spec: StudySpec, path: str | Path) -> Path:
    """Write :func:`dump_study` of ``spec`` to ``path`` (UTF-8); returns the path.

    Examples
    --------
    >>> import tempfile
    >>> from nqpf.study.spec import load_study
    >>> spec, _ = load_study()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_study(spec, Path(d) / "study.toml")
    ...     load_study(p)[0] == spec
    True
    """
    p = Path(path)
    p.write_text(dump_study(spec), encoding="utf-8")
    return p


#: the sections of a study file in the order they are written
_SECTIONS = ("data", "index", "analyses", "models", "weights", "groups", "geography", "output")
#: the keys of an [[index]] entry written first (the method settings follow)
_INDEX_FIRST = ("name", "framework", "role", "years", "units", "exclude_units", "missing")


#: a top-level array of scalars as tomli-w writes it: one item per line
_ARRAY_RE = re.compile(r"^(?P<key>[^\n]* = )\[\n(?P<items>(?: {4}[^\[{\s][^\n]*,\n)+)\]$", re.MULTILINE)


def _compact_arrays(text: str, width: int = 100) -> str:
    """Arrays of scalars on one line when they fit in ``width`` characters (``years = [2016, 2022]``)."""

    def one_line(m: re.Match[str]) -> str:
        items = [line.strip()[:-1] for line in m["items"].splitlines()]
        line = f"{m['key']}[{', '.join(items)}]"
        return line if len(line) <= width else m[0]

    return _ARRAY_RE.sub(one_line, text)


def _nones(value: Any, path: str = "") -> Iterator[str]:
    """The dotted keys (``controls.gdp``, ``x.1``) under which a nested value is None."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        where = f"{path}.{k}" if path else str(k)
        if v is None:
            yield where
        else:
            yield from _nones(v, where)


def _ordered(d: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    """``d`` with the keys in ``first`` (those present) first."""
    return {**{k: d[k] for k in first if k in d}, **{k: v for k, v in d.items() if k not in first}}
