"""Spans of days, so that a stats request reads a few counters whatever its range.

A job's clicks are counted per day and, at the same time, per aligned span of 2, 4, ...,
64 days (a span of 2**k days starts on a day whose ordinal is a multiple of 2**k). Any range
of days is then the union of a few disjoint spans: at most two of each size, about
``2 * log2(days)`` in all (at most 9 for 30 days, 17 for 400), where one counter per day
would be as many counters as days, each as large as the variety of that day's traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

LEVELS = 6  # spans of 2**1 .. 2**6 days, next to the days themselves (level 0)


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


def spans_of(day: date) -> list[Span]:
    """Every span that counts ``day``: the day itself (level 0), then the aligned spans of
    2 .. 64 days around it."""
    ordinal = day.toordinal()
    return [
        Span(level, date.fromordinal(ordinal - ordinal % (1 << level)))
        for level in range(LEVELS + 1)
    ]


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
