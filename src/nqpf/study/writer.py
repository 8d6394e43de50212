"""Writing a study file (研究设定文件): a :class:`~nqpf.study.spec.StudySpec` as TOML.

The workbench builds a :class:`StudySpec` from its forms and writes it with :func:`write_study`; the file it
offers for download is the file it ran (``nqpf run study.toml`` reproduces the run). Values equal to their
defaults are left out, ``[data]`` and each ``[[index]]`` start with their name/framework, and Chinese text is
written as is (no ``\\u`` escapes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    raise NotImplementedError


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
    raise NotImplementedError


def _ordered(d: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    """``d`` with the keys in ``first`` (those present) first."""
    return {**{k: d[k] for k in first if k in d}, **{k: v for k, v in d.items() if k not in first}}
