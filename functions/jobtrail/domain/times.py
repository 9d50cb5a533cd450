"""Time as the API writes it (ISO-8601 UTC with a trailing ``Z``), and the clock every
function is given where its handler is wired: the one place that reads the system's time,
so that a test can run the whole stack at any moment it likes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds that only ever grow, for measuring how long something is cached."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()


def utc_now() -> datetime:
    """The system's time, for code run by an operator (the admin CLI) rather than wired."""
    return SYSTEM_CLOCK.now()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
