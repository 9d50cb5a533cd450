"""The clock the tests give the functions: it stands still until a test moves it, and
starts where ``JOBTRAIL_TEST_NOW`` says (an ISO-8601 moment), so that the whole suite can be
run at a month's end, a year's end or a leap day (``make test`` does)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

# Any fixed moment would do; the suite must pass at every one.
DEFAULT_START = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
START_VARIABLE = "JOBTRAIL_TEST_NOW"


def start_moment() -> datetime:
    raw = os.environ.get(START_VARIABLE)
    if not raw:
        return DEFAULT_START
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FakeClock:
    """``jobtrail.domain.times.Clock``, moved by hand: ``advance`` moves the wall clock and
    the monotonic one together; ``set`` moves the wall clock alone (to another day, say)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or start_moment()
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

    def set(self, moment: datetime) -> None:
        self._now = moment
