"""Spans of days: what the aggregator writes a click to (``spans_of``) and what a stats
request reads for a range (``cover``) must fit, or a range would miss or double clicks."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from jobtrail.domain.spans import LEVELS, Span, cover, spans_of

START = date(2026, 1, 1)


def _ranges() -> list[tuple[date, date]]:
    rng = random.Random(20261126)
    ranges = [(START + timedelta(days=n), START + timedelta(days=n + 29)) for n in range(64)]
    for _ in range(300):
        first = START + timedelta(days=rng.randrange(400))
        ranges.append((first, first + timedelta(days=rng.randrange(400))))
    return ranges


@pytest.mark.parametrize(("first", "last"), _ranges())
def test_a_range_is_covered_by_spans_that_count_each_of_its_days_once(
    first: date, last: date
) -> None:
    spans = cover(first, last)
    days = [span.first + timedelta(days=n) for span in spans for n in range(span.days)]
    # Exactly the range's days, each once, and each from a span its clicks were written to
    assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for span in spans:
        assert span in spans_of(span.first)
        assert span in spans_of(span.last)


def test_a_range_is_few_spans_whatever_its_length() -> None:
    # At most two spans of each size, so a 30-day range is at most 9 items, 400 days 17
    worst = {
        length: max(
            len(cover(START + timedelta(days=n), START + timedelta(days=n + length - 1)))
            for n in range(128)
        )
        for length in (1, 7, 30, 90, 400)
    }
    assert worst[1] == 1
    assert worst[30] <= 9
    assert worst[400] <= 17
    assert all(count <= 2 * LEVELS + (length >> LEVELS) for length, count in worst.items())


def test_a_day_is_counted_in_one_span_of_each_size() -> None:
    day = date(2026, 11, 26)
    spans = spans_of(day)
    assert [s.days for s in spans] == [1, 2, 4, 8, 16, 32, 64]
    assert spans[0] == Span(0, day)
    assert all(s.first <= day <= s.last for s in spans)
    assert all(s.first.toordinal() % s.days == 0 for s in spans)
