"""Spans of days: a stats request reads a range as a few aligned spans of days, which
must hold each of its days exactly once, or a range would miss or double clicks."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from jobtrail.domain.clicks import Click
from jobtrail.domain.counters import NONE, OTHER, TAIL_LIMIT, BatchPlan, CountedClick, Tails
from jobtrail.domain.spans import LEVELS, Span, add_up, cover, reading

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
    # Exactly the range's days, each once, in aligned spans (so other ranges share them)
    assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert all(span.first.toordinal() % span.days == 0 for span in spans)


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


def test_recent_days_are_read_as_days_and_the_rest_as_few_spans() -> None:
    today = date(2026, 11, 26)
    parts = reading(date(2026, 10, 28), today, today=today)
    # Today and yesterday, still counting, are read as they are
    assert parts[-2:] == [Span(0, date(2026, 11, 25)), Span(0, today)]
    # and the days before them as few spans, the range exactly, each day once
    days = [s.first + timedelta(days=n) for s in parts for n in range(s.days)]
    assert days == [date(2026, 10, 28) + timedelta(days=n) for n in range(30)]
    assert len(parts) <= 2 + 9
    # A range of recent days only has no span; one in the future likewise
    assert reading(today, today, today=today) == [Span(0, today)]
    assert all(s.level == 0 for s in reading(today, today + timedelta(days=3), today=today))


def test_a_span_is_its_days_dimensions_added_up_with_each_days_totals() -> None:
    monday = {"all||human": 2, "all||bots": 1, "all||unique_visitors": 1, "channel|x|human": 2}
    tuesday = {"all||human": 1, "channel|x|human": 1, "channel|li|bots": 3, "preview|x|hits": 3}
    days = [(date(2026, 11, 23), monday), (date(2026, 11, 24), tuesday)]
    assert add_up(days) == {
        "all|2026-11-23|human": 2,
        "all|2026-11-23|bots": 1,
        "all|2026-11-23|unique_visitors": 1,
        "all|2026-11-24|human": 1,
        "channel|x|human": 3,
        "channel|li|bots": 3,
        "preview|x|hits": 3,
    }


def _click(day: str, sequence: int) -> CountedClick:
    at = datetime.fromisoformat(f"{day}T23:59:59+00:00")
    return CountedClick(
        sequence=f"{sequence:040d}",
        click=Click(
            click_id=f"c{sequence}",
            at=at,
            workspace_id="w",
            job_id="j",
            slug="abc",
            channel="twitter",
            sharer=None,
            visitor=f"v{sequence}",
            bot_class="human",
            method="GET",
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            referrer_host=None,
            country=None,
            device="desktop",
            expires_at=at + timedelta(days=400),
        ),
    )


def test_a_late_click_is_counted_as_late_only_after_its_day() -> None:
    # Given a batch counted on the 26th with a click of the 26th and one of the 25th
    plan = BatchPlan(today="2026-11-26")
    plan.count(_click("2026-11-25", 1))
    plan.count(_click("2026-11-26", 2))
    # Then the late click counts once as late, and that count is written after every day
    order = [key for key, _ in plan.in_write_order()]
    assert order[-1] == ("changes", "j")
    assert [c.increments for c in plan.counters[("changes", "j")]] == [{"late_clicks": 1}]
    assert ("job", "j", "2026-11-25") in order[:-1]


def test_a_day_keeps_its_first_values_of_a_long_tail_and_counts_the_rest_as_other() -> None:
    # Given a container new to a day item, and a batch with more countries than a day keeps
    tails = Tails()
    plan = BatchPlan(today="2026-11-26", tails=tails)
    codes = [a + b for a in "ABC" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"][: TAIL_LIMIT + 3]
    for n, code in enumerate(codes):
        plan.count(
            replace(
                _click("2026-11-26", n), click=replace(_click("2026-11-26", n).click, country=code)
            )
        )
    # Then the first TAIL_LIMIT are counted by name, the rest as OTHER, none lost
    counted: dict[str, int] = {}
    for contribution in plan.counters[("job", "j", "2026-11-26")]:
        for name, amount in contribution.increments.items():
            if name.startswith("country|"):
                counted[name.split("|")[1]] = counted.get(name.split("|")[1], 0) + amount
    assert counted == {**dict.fromkeys(codes[:TAIL_LIMIT], 1), OTHER: 3}
    # ... and once it learns what the item holds, a value it holds is still counted by name
    tails.learn(
        ("job", "j", "2026-11-26"), [f"country|{c}|human" for c in codes[1 : TAIL_LIMIT + 1]]
    )
    assert (
        tails.value(("job", "j", "2026-11-26"), "country", codes[TAIL_LIMIT]) == codes[TAIL_LIMIT]
    )
    assert tails.value(("job", "j", "2026-11-26"), "country", codes[0]) == OTHER
    assert tails.value(("job", "j", "2026-11-26"), "country", NONE) == NONE
