"""Groupings of units (分组): regions, provinces of cities, city clusters, industries — one source for every analysis.

Every analysis that takes groups (Dagum decomposition, bootstrap strata, regional means, heterogeneity models)
reads a :class:`Grouping` made here from one study-file entry, so they all use the same grouping.

A grouping comes from exactly one of: a bundled set (``builtin``), a text column of the panel (``column``,
e.g. ``industry`` for firms), a CSV file ``unit,group`` (``file``), or an inline table (``table``).
Units a set does not cover are an error naming them, unless ``other`` names a group for them.

Study file::

    [groups.region]
    builtin = "region4"            # 东部/中部/西部/东北 (NBS four regions)

    [groups.industry]
    column = "industry"            # a text column of the data file

    [analyses.dagum]
    groups = "region"              # the label of a [groups.*] entry, or a builtin name

Status: interface fixed by the lead; implementation owned by the groupings work (issue 12, item 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Grouping", "GroupsSpec", "resolve_groups"]


class GroupsSpec(BaseModel):
    """One ``[groups.<label>]`` entry: exactly one of builtin, column, file, table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    builtin: str | None = None
    column: str | None = None
    file: str | None = None
    table: dict[str, str] | None = None
    #: the group of units the source does not cover (e.g. "其他"); None: such units are an error
    other: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> GroupsSpec:
        given = [k for k in ("builtin", "column", "file", "table") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'builtin', 'column', 'file' or 'table'"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


@dataclass
class Grouping:
    """Units → group, with the groups' display labels and notes for the run's output.

    ``mapping``: unit → group key (every unit of the request has one); ``labels``: group key → (zh, en);
    ``order``: group keys in display order; ``notes``: what the run's output must say (units put in
    ``other``, single-member groups …).
    """

    name: str
    mapping: dict[str, str]
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def label(self, group: str, lang: str) -> str:
        """The display label of a group key in ``lang``."""
        pair = self.labels.get(group)
        return group if pair is None else (pair[0] if lang == "zh" else pair[1])


def resolve_groups(spec: GroupsSpec | str | Mapping[str, str] | None, units: Sequence[str], *, kind: str,
                   panel: Any = None, named: Mapping[str, GroupsSpec] | None = None,
                   base: Path | None = None) -> Grouping:
    """The :class:`Grouping` of ``units`` (of unit ``kind``) for a study-file value.

    ``spec``: a :class:`GroupsSpec`; a string naming an entry of ``named`` (the study's ``[groups.*]``)
    or a builtin set; an inline mapping; or None (the kind's default grouping: the four regions for
    provinces, the province for cities and counties, none otherwise → error saying how to give one).
    """
    # provisional (the groupings work replaces this): inline tables and the four regions of provinces
    from nqpf.core.errors import DataError
    from nqpf.core.units import REGION_ORDER, REGIONS, province_regions

    if isinstance(spec, str) and named and spec in named:
        spec = named[spec]
    if isinstance(spec, GroupsSpec) and spec.table is not None:
        spec = spec.table
    if isinstance(spec, Mapping):
        mapping = {str(u): str(spec[u]) for u in units if u in spec}
        missing = [u for u in units if u not in spec]
        if missing:
            raise DataError(f"unit(s) without a group: {', '.join(missing[:10])}; add them to the table")
        return Grouping("table", mapping, order=list(dict.fromkeys(mapping.values())))
    if spec in (None, "regions", "region4") and kind == "province":
        reg = province_regions()
        return Grouping("region4", {u: reg[u] for u in units}, labels=dict(REGIONS), order=list(REGION_ORDER))
    raise DataError(f"groups {spec!r} are not available yet for units of kind {kind!r}")
