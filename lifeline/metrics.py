"""One set of Prometheus collectors per ``CollectorRegistry``.

A component's metrics class subclasses :class:`MetricSet` and registers its collectors
in ``__init__(registry)``. ``Cls.on(registry)`` returns the single instance of that
registry, so building a component twice in one process never raises "Duplicated
timeseries"; tests pass a fresh ``CollectorRegistry()`` and read exact values.
"""

from __future__ import annotations

import threading
import weakref
from typing import ClassVar, Self

from prometheus_client import REGISTRY, CollectorRegistry

__all__ = ["MetricSet"]


class MetricSet:
    _instances: ClassVar[weakref.WeakKeyDictionary[CollectorRegistry, MetricSet]]
    _lock: ClassVar = threading.Lock()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._instances = weakref.WeakKeyDictionary()

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    @classmethod
    def on(cls, registry: CollectorRegistry | None = None) -> Self:
        """The metrics registered on ``registry`` (default: the global REGISTRY)."""
        target = REGISTRY if registry is None else registry
        with cls._lock:
            existing = cls._instances.get(target)
            if not isinstance(existing, cls):
                existing = cls(target)
                cls._instances[target] = existing
            return existing
