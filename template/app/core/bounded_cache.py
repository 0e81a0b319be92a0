"""A bounded, oldest-first cache: what a process remembers of its verdicts (the tokens its
verifier accepted, the claims a provider's users could not be given), so a client's next request
skips the work, in memory no flood of new keys can grow."""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


# Generic[...] rather than `class BoundedCache[K, V]`: the service may target Python 3.11.
class BoundedCache(Generic[K, V]):  # noqa: UP046, RUF100
    """At most `size` entries (0: none). Past it the entry stored longest ago goes first: a key
    still in use comes back after one more computation. Storing a key again makes it the
    newest. Not thread-safe: one event loop uses it."""

    def __init__(self, size: int) -> None:
        self._size = size
        # Dicts keep insertion order: the first key is the oldest.
        self._entries: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        if self._size == 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = value
        if len(self._entries) > self._size:
            del self._entries[next(iter(self._entries))]

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
