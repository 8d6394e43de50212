"""Framework: the indicator tree with the navigation every method and analysis needs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import pandas as pd

from nqpf.core.errors import FrameworkError
from nqpf.frameworks.schema import (
    DEFAULT_VOCABULARY,
    TAG_KINDS,
    FrameworkSpec,
    Indicator,
    Node,
    Tags,
    ahp_matrix,
    parse_framework_text,
    read_framework_file,
)

BUNDLED_FRAMEWORKS = (
    "nqpf-province-2023", "hqd-province-2022",  # the latest vintage (2016-2023 / 2016-2022)
    "nqpf-province", "nqpf-province-core", "hqd-province",  # the 2013-2019 vintage and the core system (2013-2023)
    "nqpf-country", "hqd-country",
)


@dataclass(frozen=True)
class TreeItem:
    """One node or indicator with its place in the tree."""

    id: str
    parent: str | None
    level: int
    kind: str  # "target", "dimension" (any inner node below the target) or "indicator"
    item: Node | Indicator
    tags: Tags


class Framework:
    """An indicator system (指标体系): target → dimensions → sub-dimensions → indicators."""

    def __init__(self, spec: FrameworkSpec, source: str | Path | None = None) -> None:
        self.spec = spec
        self.source = str(source) if source is not None else None

    # -- identity --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title_zh(self) -> str:
        return self.spec.title.zh

    @property
    def title_en(self) -> str:
        return self.spec.title.en

    @property
    def target(self) -> Node:
        return self.spec.target

    def default_units(self, available: list[str]) -> list[str] | None:
        """The units of the framework's declared sample among ``available`` (None: no declaration)."""
        s = self.spec.sample
        if s is None or (s.units is None and not s.exclude_units):
            return None
        units = s.units if s.units is not None else available
        return [u for u in units if u not in set(s.exclude_units)]

    @property
    def default_years(self) -> tuple[int, int] | None:
        """The (first, last) years of the framework's declared sample, if any."""
        return self.spec.sample.years if self.spec.sample is not None else None

    def __repr__(self) -> str:
        return (f"Framework({self.name!r}: {len(self.dimensions)} dimensions, "
                f"{len(self.indicators)} indicators)")

    # -- tree ------------------------------------------------------------------------------
    @cached_property
    def items(self) -> list[TreeItem]:
        """Every node and indicator, pre-order, with resolved (inherited) tags."""
        out: list[TreeItem] = []

        def walk(node: Node, parent: str | None, level: int, tags: Tags) -> None:
            t = node.tags.merged_over(tags)
            out.append(TreeItem(node.id, parent, level, "target" if parent is None else "dimension", node, t))
            for child in node.children or []:
                walk(child, node.id, level + 1, t)
            for ind in node.indicators or []:
                out.append(TreeItem(ind.id, node.id, level + 1, "indicator", ind, ind.tags.merged_over(t)))

        walk(self.spec.target, None, 0, Tags())
        return out

    @cached_property
    def _by_id(self) -> dict[str, TreeItem]:
        return {it.id: it for it in self.items}

    def item(self, id_: str) -> TreeItem:
        """The tree item with this id."""
        try:
            return self._by_id[id_]
        except KeyError:
            raise FrameworkError(f"framework '{self.name}' has no node or indicator '{id_}'") from None

    @cached_property
    def indicators(self) -> list[Indicator]:
        """The indicators (leaves) in tree order."""
        return [it.item for it in self.items if it.kind == "indicator"]  # type: ignore[misc]

    @property
    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    @cached_property
    def nodes(self) -> list[Node]:
        """The inner nodes (target first), pre-order."""
        return [it.item for it in self.items if it.kind != "indicator"]  # type: ignore[misc]

    @property
    def dimensions(self) -> list[str]:
        """The ids of the target's direct children (the first-level dimensions)."""
        return self.spec.target.child_ids()

    def children(self, node_id: str) -> list[str]:
        """The ids of a node's direct children."""
        item = self.item(node_id).item
        return item.child_ids() if isinstance(item, Node) else []

    def leaves(self, node_id: str) -> list[str]:
        """The indicator ids below a node (the indicator itself for a leaf), in tree order."""
        it = self.item(node_id)
        if it.kind == "indicator":
            return [node_id]
        out: list[str] = []
        for c in self.children(node_id):
            out.extend(self.leaves(c))
        return out

    def dimension_of(self, indicator_id: str) -> str:
        """The first-level dimension an indicator belongs to."""
        it = self.item(indicator_id)
        while it.parent is not None and it.parent != self.spec.target.id:
            it = self.item(it.parent)
        return it.id

    # -- tags and labels -------------------------------------------------------------------
    @cached_property
    def vocabulary(self) -> dict[str, dict[str, dict[str, str]]]:
        """Tag vocabularies (built-in plus the framework's own) with zh/en labels."""
        vocab = {k: dict(v) for k, v in DEFAULT_VOCABULARY.items()}
        for kind, entries in self.spec.vocabulary.items():
            for key, label in entries.items():
                vocab[kind][key] = {"zh": label.zh, "en": label.en}
        return vocab

    def tag_label(self, kind: str, key: str, lang: str = "en") -> str:
        """The zh or en label of a tag value."""
        return self.vocabulary[kind][key][lang]

    def label(self, id_: str, lang: str = "en") -> str:
        """The zh or en name of a node or indicator."""
        item = self.item(id_).item
        return item.name_zh if lang == "zh" else item.name_en

    def indicator_table(self) -> pd.DataFrame:
        """One row per indicator: names, unit, direction, definition, dimension, path and tags."""
        rows = []
        for it in self.items:
            if it.kind != "indicator":
                continue
            ind: Indicator = it.item  # type: ignore[assignment]
            path, p = [], it.parent
            while p is not None:
                path.append(p)
                p = self.item(p).parent
            rows.append({
                "indicator": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit,
                "direction": ind.direction,
                "best_low": ind.best[0] if ind.best else None, "best_high": ind.best[1] if ind.best else None,
                "definition": ind.expression, "parent": it.parent, "dimension": self.dimension_of(ind.id),
                "path": " / ".join(reversed(path)),
                **{k: getattr(it.tags, k) for k in TAG_KINDS},
                "rationale": ind.rationale, "source": ind.source,
            })
        return pd.DataFrame(rows).set_index("indicator")

    def tree_table(self) -> pd.DataFrame:
        """One row per node and indicator: id, parent, level, kind, names."""
        return pd.DataFrame([
            {"id": it.id, "parent": it.parent, "level": it.level, "kind": it.kind,
             "name_zh": it.item.name_zh, "name_en": it.item.name_en}
            for it in self.items
        ])

    def csmar_renames(self) -> dict[str, str]:
        """CSMAR field → the framework's input column, for the inputs whose CSMAR field is known.

        ``df.rename(columns=fw.csmar_renames())`` turns a CSMAR export's headers (``A001000000`` …) into the
        names the definitions use (``total_assets`` …); the YAML's ``csmar:`` block documents each one.
        """
        return {f.field: col for col, f in self.spec.csmar.items() if f.field}

    def ahp_matrices(self) -> dict[str, list[list[float]]]:
        """The AHP pairwise matrices given in the YAML, by node id."""
        return {n.id: ahp_matrix(n.ahp, len(n.child_ids())) for n in self.nodes if n.ahp is not None}

    def subset(self, indicator_ids: list[str]) -> Framework:
        """A copy of the framework keeping only these indicators (empty nodes are removed).

        A node's AHP pairwise matrix keeps the rows and columns of the children that remain (the remaining
        judgements are unchanged); with fewer than two children left it is dropped.
        """
        keep = set(indicator_ids)

        def sliced(node: Node, kept: list[int]) -> list[list[float]] | None:
            if node.ahp is None or len(kept) < 2:
                return None
            M = ahp_matrix(node.ahp, len(node.child_ids()))
            return [[M[a][b] for b in kept] for a in kept]

        def prune(node: Node) -> Node | None:
            if node.indicators is not None:
                pos = [k for k, i in enumerate(node.indicators) if i.id in keep]
                inds = [node.indicators[k] for k in pos]
                return node.model_copy(update={"indicators": inds, "ahp": sliced(node, pos)}) if inds else None
            pruned = [(k, prune(c)) for k, c in enumerate(node.children or [])]
            pos = [k for k, c in pruned if c is not None]
            kids = [c for _, c in pruned if c is not None]
            return node.model_copy(update={"children": kids, "ahp": sliced(node, pos)}) if kids else None

        target = prune(self.spec.target)
        if target is None:
            raise FrameworkError(f"framework '{self.name}': no indicator left after subsetting")
        return Framework(self.spec.model_copy(update={"target": target}), self.source)


def load_framework(name_or_path: str | Path) -> Framework:
    """A bundled framework by name (``nqpf-province`` …) or a user's YAML file by path."""
    s = str(name_or_path)
    if s in BUNDLED_FRAMEWORKS or (not s.endswith((".yaml", ".yml")) and "/" not in s):
        try:
            text = resources.files("nqpf.frameworks").joinpath(f"{s}.yaml").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FrameworkError(
                f"no bundled framework '{s}'; bundled: {list(BUNDLED_FRAMEWORKS)}, or give a YAML path"
            ) from None
        return Framework(parse_framework_text(text, source=f"{s}.yaml"), source=s)
    return Framework(read_framework_file(s), source=Path(s))
