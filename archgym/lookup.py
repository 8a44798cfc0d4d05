"""A name → target registry with lazily imported targets and plugin discovery.

One pattern for every registry in archgym (envs, agents, objective kinds, proxy estimators): a
target is an object, or an entry-point string ``"module:attr"`` imported on first use, so
registering costs nothing at ``import archgym``.  An unknown name is an
:class:`~archgym.errors.UnknownNameError` with "did you mean" suggestions.  Kept apart from
:mod:`archgym.registry` (the envs and agents) so low layers such as objectives can use it without
an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from archgym.errors import InvalidParameterError, UnknownNameError

T = TypeVar("T")


def load_entry_point(spec: str) -> Any:
    """Import ``"module:attr.sub"`` and return the attribute."""
    module, _, attr = spec.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


class Registry(Mapping[str, T], Generic[T]):
    """Name → target, with lazy entry-point targets and plugin discovery.

    It is a read-only ``Mapping`` of the registered targets as given (an object or its entry-point
    string); :meth:`load` returns the object itself, importing it on first use.
    """

    def __init__(self, kind: str, group: str | None = None,
                 on_register: Callable[[str, Any], None] | None = None,
                 from_entry_point: Callable[[str, str], Any] | None = None):
        """
        Args:
            kind: what the names name, for error messages (``"env"``, ``"agent"``).
            group: the package entry-point group plugins use, e.g. ``"archgym.agents"``.
            on_register: called with (name, target) after each registration.
            from_entry_point: turns a plugin entry point (name, value) into a target; default: the
                value string itself (loaded lazily).
        """
        self.kind = kind
        self.group = group
        self._items: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}
        self._on_register = on_register
        self._from_entry_point = from_entry_point or (lambda name, value: value)
        self._discovered = group is None

    def register(self, name: str, target: Any, *, replace: bool = False) -> None:
        """Add ``name``; re-registering a different target needs ``replace=True``."""
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        if name in self._items and self._items[name] != target and not replace:
            raise InvalidParameterError(f"{self.kind} {name!r} is already registered (as {self._items[name]!r}); "
                                        "pass replace=True to override it")
        self._items[name] = target
        self._loaded.pop(name, None)
        if self._on_register is not None:
            self._on_register(name, target)

    def discover(self) -> None:
        """Register the plugins of this registry's entry-point group (once)."""
        if self._discovered:
            return
        self._discovered = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            if ep.name not in self._items:
                self.register(ep.name, self._from_entry_point(ep.name, ep.value))

    def __getitem__(self, name: str) -> T:
        if not isinstance(name, str):  # an unhashable or non-string name is unknown, not a TypeError
            raise UnknownNameError(self.kind, name, self._items)
        if name not in self._items:
            self.discover()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, name, self._items) from None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name not in self._items:
            self.discover()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        self.discover()
        return iter(list(self._items))

    def __len__(self) -> int:
        self.discover()
        return len(self._items)

    def load(self, name: str) -> Any:
        """The registered object (an entry-point string is imported on first use)."""
        target = self[name]
        if name not in self._loaded:
            self._loaded[name] = load_entry_point(target) if isinstance(target, str) else target
        return self._loaded[name]
