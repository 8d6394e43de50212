"""How to cite nqpf and the methods a study used (引用): plain text or BibTeX, for ``nqpf cite``.

``cite_text()`` with no argument cites nqpf and the methods of the bundled default study; pass a
:class:`~nqpf.study.runner.StudyRun`, an :class:`~nqpf.result.IndexResult`, a study spec or study TOML file, an
output folder of ``nqpf run`` (its ``provenance.json`` is read, nothing is re-run) or a list of method keys
to cite exactly what that run used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nqpf
from nqpf.analysis.registry import ANALYSES
from nqpf.core.errors import StudyError
from nqpf.core.framework import load_framework
from nqpf.core.references import format_reference, get, to_bibtex
from nqpf.pipeline import index_method_keys
from nqpf.report.methods_md import citable, methods_used, references_for
from nqpf.study import StudySpec, load_study

__all__ = ["cite_text", "study_methods"]

FORMATS = ("bibtex", "text")


def study_methods(spec: Any) -> list[str]:
    """The method keys a study spec asks for (before running it): each index's choices, then each analysis and
    each model (by its registry name)."""
    keys: list[str] = []
    for ix in spec.index:
        settings = ix.settings.to_dict()
        try:
            fw = load_framework(ix.framework)
        except Exception:  # a framework that cannot be read here: cite without the interval check
            fw = None
        keys += index_method_keys(settings, fw)
    for name, opts in spec.analyses.items():
        if (opts or {}).get("enabled", True) is False:
            continue
        if name in ANALYSES:
            keys.append(name)
    for opts in spec.models.values():
        kind = (opts or {}).get("model")
        if (opts or {}).get("enabled", True) is not False and kind in ANALYSES:
            keys.append(kind)
    return list(dict.fromkeys(keys))


def _resolve(run_or_methods: Any) -> tuple[list[str], str]:
    """Method keys and a description of where they come from."""
    if run_or_methods is None:
        spec, source = load_study(None)
        return study_methods(spec), f"the default study `{spec.name}` ({source})"
    if isinstance(run_or_methods, StudySpec):
        return study_methods(run_or_methods), f"the study `{run_or_methods.name}`"
    if isinstance(run_or_methods, (str, Path)):
        p = Path(run_or_methods)
        if p.suffix.lower() == ".toml":
            spec, source = load_study(p)
            return study_methods(spec), f"the study `{spec.name}` ({source})"
        if p.is_dir() or p.suffix.lower() == ".json":
            return methods_used(p), f"the run in `{p}`"
        if not p.exists():
            raise StudyError(f"{p}: no such study file, output folder or provenance.json")
    if isinstance(run_or_methods, Mapping):
        return methods_used(run_or_methods), "the given provenance record"
    if isinstance(run_or_methods, Iterable) and not isinstance(run_or_methods, (str, bytes)):
        keys = methods_used(list(run_or_methods))
        return keys, "the given methods"
    keys = methods_used(run_or_methods)
    name = getattr(getattr(run_or_methods, "spec", None), "name", None)
    return keys, (f"the study run `{name}`" if name else "the given result")


def cite_text(run_or_methods: Any = None, fmt: str = "bibtex", lang: str = "en") -> str:
    """How to cite nqpf and the methods used, as BibTeX (``fmt="bibtex"``) or plain text (``fmt="text"``).

    ``run_or_methods``: None (the bundled default study), a StudyRun, an IndexResult, a StudySpec, a study
    TOML path, a run's output folder or ``provenance.json`` (path or dict), or an iterable of method keys
    (keys of the method registry or analysis names). Only the references of those methods are listed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    keys, origin = _resolve(run_or_methods)
    refs = references_for(keys)
    version = nqpf.__version__
    if fmt == "bibtex":
        head = [f"% nqpf {version}: please cite nqpf and the methods used by {origin}:"]
        for k in keys:
            m = citable(k)
            if m.refs:  # a technique without a reference of its own (e.g. the sub-indices) needs no citation
                head.append(f"%   {m.label_in('en')}: {', '.join(m.refs)}")
        entries = [to_bibtex("nqpf", version=version)] + [to_bibtex(r) for r in refs]
        return "\n".join(head) + "\n\n" + "\n\n".join(entries) + "\n"
    zh = lang == "zh"
    lines = ["引用 nqpf：" if zh else "To cite nqpf:",
             f"  {format_reference('nqpf', lang).rstrip('.')}, version {version}.", ""]
    lines.append(f"{origin} 使用的方法：" if zh else f"Methods used by {origin}:")
    for k in keys:
        m = citable(k)
        cites = "; ".join(get(r).parenthetical(lang) for r in m.refs)
        lines.append(f"  - {m.label_in(lang)}" + (f" ({cites})" if cites else ""))
    if refs:
        lines += ["", "参考文献：" if zh else "References:"]
        lines += [f"  {format_reference(r, lang)}" for r in refs]
    return "\n".join(lines) + "\n"
