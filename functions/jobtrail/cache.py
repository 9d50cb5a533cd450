"""The one cache a warm function keeps between requests: entries that expire after their
own time to live, measured on the function's clock.

Written here rather than taken from ``cachetools`` (whose ``TLRUCache`` does the same):
that package ships no type information, and the redirect would import one more package on
every cold start for twenty lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 10_000


class TtlCache(Generic[V]):
    """``get(key, load, ttl)``: the cached value while it is fresh, else ``load()``'s,
    kept for ``ttl(value)`` seconds (``None``: not kept). Bounded: when full, it starts
    over rather than track recency, since a function's working set is small and a miss
    costs one read."""

    def __init__(
        self, monotonic: Callable[[], float], *, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        self._monotonic = monotonic
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str, load: Callable[[], V], ttl: Callable[[V], float | None]) -> V:
        now = self._monotonic()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        value = load()
        seconds = ttl(value)
        if seconds is not None and seconds > 0:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (now + seconds, value)
        else:
            self._entries.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._entries)
