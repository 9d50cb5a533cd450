"""Spans of days, so that a stats request reads a few counters whatever its range.

The aggregator counts a job's clicks per day. A stats request adds days up into aligned
spans of 2, 4, ..., 64 days (a span of 2**k days starts on a day whose ordinal is a
multiple of 2**k) and keeps them: any range of days is the union of a few disjoint spans,
at most two of each size, about ``2 * log2(days)`` in all (at most 9 for 30 days, 17 for
400), where one counter per day would be as many counters as days, each as large as the
variety of that day's traffic.

A span holds its days' dimensions added up and each of its days' totals (``all|<day>|
<metric>``, where a day's own item has ``all||<metric>``). Only days before the last
``RECENT_DAYS`` are read as spans: the recent ones still change with every batch, and are
read as they are. A click counted after its day was over (a retry, a replay) could belong
in a kept span, so the aggregator counts such late clicks per job, after writing their
days; a kept span remembers that count as it was before the span read its days, and is
added up again when the count has moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

LEVELS = 6  # spans of 2**1 .. 2**6 days, next to the days themselves (level 0)
RECENT_DAYS = 2  # today and yesterday: still counting


@dataclass(frozen=True, order=True)
class Span:
    level: int  # 2**level days
    first: date

    @property
    def last(self) -> date:
        return self.first + timedelta(days=(1 << self.level) - 1)

    @property
    def days(self) -> int:
        return 1 << self.level


def cover(first: date, last: date) -> list[Span]:
    """The fewest aligned spans whose days are exactly ``first`` .. ``last``, in order."""
    spans: list[Span] = []
    start, end = first.toordinal(), last.toordinal()
    while start <= end:
        level = LEVELS
        while level and (start % (1 << level) or start + (1 << level) - 1 > end):
            level -= 1
        spans.append(Span(level, date.fromordinal(start)))
        start += 1 << level
    return spans


def reading(first: date, last: date, *, today: date) -> list[Span]:
    """What a stats request reads for ``first`` .. ``last``: the fewest spans for its days
    before the recent ones, then each recent day (level 0) on its own."""
    settled = min(last, today - timedelta(days=RECENT_DAYS))
    spans = cover(first, settled) if first <= settled else []
    recent = max(first, settled + timedelta(days=1))
    return spans + [Span(0, recent + timedelta(days=n)) for n in range((last - recent).days + 1)]


def add_up(days: Iterable[tuple[date, Mapping[str, Any]]]) -> dict[str, int]:
    """A span's counters from its days' items: the dimensions added up, and each day's
    totals (``all||<metric>``) kept apart as ``all|<day>|<metric>``."""
    counts: dict[str, int] = {}
    for day, items in days:
        for name, amount in items.items():
            if not isinstance(amount, int) or name.count("|") != 2:
                continue
            if name.startswith("all||"):
                name = f"all|{day.isoformat()}|{name.removeprefix('all||')}"
            counts[name] = counts.get(name, 0) + amount
    return counts
