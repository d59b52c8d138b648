"""A per-worker cache of what is derived from a store's documents.

Caching wraps a store and never lives inside it: the cache is valid while the store's document
generation stays the same, and is dropped whole when any document changes in any worker, so a
table created or a key deactivated through one worker is seen by every worker on its next request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from moatdb.storage.base import Store

K = TypeVar("K")
V = TypeVar("V")


class DocumentCache(Generic[K, V]):
    def __init__(self, store: Store, load: Callable[[K], V], *, limit: int = 10_000):
        self._store = store
        self._load = load
        self._limit = limit  # a flood of distinct keys (unknown ones included) cannot grow it further
        self._generation = -1
        self._values: dict[K, V] = {}

    def get(self, key: K) -> V:
        generation = self._store.generation()
        if generation != self._generation:
            self._values.clear()
            self._generation = generation
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._load(key)
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[key] = value
        return value
