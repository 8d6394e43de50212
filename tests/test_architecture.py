"""The architecture the code promises: no import cycles (in-function imports included), one direction of
flow between layers, runnable examples on the public functions of methods/ and analysis/, a docs page for every
registered method."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import nqpf
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, TECHNIQUES, WEIGHTINGS

SRC = Path(nqpf.__file__).resolve().parent
ROOT = SRC.parent.parent


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the nqpf modules it imports anywhere in its body (module level and inside functions)."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rsplit(".", 1)[0] if "." in name else ""
        return name or None

    graph: dict[str, set[str]] = {}
    for m, (p, is_pkg) in mods.items():
        out: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out |= {r for a in node.names if a.name.startswith("nqpf") and (r := resolve(a.name))}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod.startswith("nqpf"):
                    for a in node.names:
                        full = f"{mod}.{a.name}"
                        r = full if full in mods else resolve(mod)
                        if r:
                            out.add(r)
        graph[m] = out - {m}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    return found


def test_no_import_cycles_even_through_imports_inside_functions():
    assert cycles(import_graph()) == []


# the layers, lowest first; a module may import only from its own layer or below
LAYERS = [
    ("core", ("nqpf.core", "nqpf.frameworks")),
    ("geo", ("nqpf.geo", "nqpf.datasets")),
    ("viz", ("nqpf.viz",)),
    ("methods", ("nqpf.methods", "nqpf.settings")),
    ("engine", ("nqpf.pipeline", "nqpf.measure", "nqpf.result")),
    ("analysis", ("nqpf.analysis", "nqpf.models")),
    ("study", ("nqpf.study",)),
    ("report", ("nqpf.report", "nqpf.output", "nqpf.methods_appendix", "nqpf.cite")),
    ("cli", ("nqpf.cli", "nqpf.app")),
]


def _layer(module: str) -> int | None:
    for k, (_name, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return k
    return None


def test_data_flows_one_way_between_layers():
    bad = []
    for m, deps in import_graph().items():
        lm = _layer(m)
        for d in deps:
            ld = _layer(d)
            if lm is not None and ld is not None and ld > lm:
                bad.append(f"{m} ({LAYERS[lm][0]}) imports {d} ({LAYERS[ld][0]})")
    assert not bad, "\n".join(sorted(bad))


def _public_modules(*packages: str) -> list[str]:
    names = []
    for pkg in packages:
        mod = importlib.import_module(pkg)
        names.append(pkg)
        if hasattr(mod, "__path__"):
            names += [m.name for m in pkgutil.walk_packages(mod.__path__, pkg + ".")]
    return names


DOCTEST_MODULES = [*_public_modules("nqpf.core", "nqpf.methods", "nqpf.analysis", "nqpf.models"),
                   "nqpf.pipeline", "nqpf.settings", "nqpf.measure"]


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_run(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, f"{name}: {res.failed} of {res.attempted} examples failed"


@pytest.mark.parametrize("name", _public_modules("nqpf.methods", "nqpf.analysis"))
def test_public_functions_of_methods_and_analysis_have_examples(name):
    mod = importlib.import_module(name)
    missing = []
    for attr in getattr(mod, "__all__", []):
        obj = getattr(mod, attr, None)
        if inspect.isfunction(obj) and obj.__module__ == name:
            doc = obj.__doc__ or ""
            if "Examples" not in doc or ">>>" not in doc:
                missing.append(attr)
    assert not missing, f"{name}: public functions without a runnable Examples section: {missing}"


def test_every_registered_method_has_its_docs_page():
    pages = {s.page for reg in (NORMALIZATIONS, WEIGHTINGS, AGGREGATIONS, TECHNIQUES) for s in reg.values()}
    missing = [p for p in pages if p and not (ROOT / "docs" / "methods" / f"{p}.md").exists()]
    assert not missing, missing


def test_the_graph_checker_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
