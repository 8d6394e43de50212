"""A registry (注册表): name → entry, written once where the thing is defined, read everywhere else.

The method registry (:mod:`nqpf.methods.registry`) and the analysis registry
(:mod:`nqpf.analysis.registry`) are instances; ``nqpf.measure``, the study runner, the report,
``methods.md``, the docs and ``nqpf cite`` read them instead of keeping lists of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from nqpf.core.errors import NqpfError, near_matches

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by name, in registration order; unknown names raise an error with near matches.

    Examples
    --------
    >>> r: Registry[int] = Registry("colour")
    >>> r.add("red", 1)
    >>> r["red"], list(r)
    (1, ['red'])
    >>> r["rad"]
    Traceback (most recent call last):
    ...
    nqpf.core.errors.NqpfError: unknown colour 'rad'; near matches: red; known: red
    """

    def __init__(self, what: str, error: type[NqpfError] = NqpfError) -> None:
        self.what = what
        self.error = error
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> None:
        """Register ``entry`` under ``name``; a name registered twice is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self._entries[name] = entry

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise self.error(f"unknown {self.what} {name!r}{near_matches(name, self._entries)}; "
                             f"known: {', '.join(self._entries)}") from None

    def get(self, name: str, default: T | None = None) -> T | None:
        return self._entries.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def values(self) -> list[T]:
        return list(self._entries.values())

    def names(self) -> list[str]:
        return list(self._entries)
