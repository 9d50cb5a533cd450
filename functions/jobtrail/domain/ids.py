"""Identifiers: time-ordered, so lists sort newest first without an extra index."""

from __future__ import annotations

import secrets
import time
from datetime import datetime


def new_id(at: datetime | None = None) -> str:
    """A 32-character lowercase hex id: 48 bits of milliseconds, then 80 random bits.
    ``at``: the moment it sorts by, for a thing made before it had an id (else now).

    Written here rather than pulling in a ULID package: it is two lines, and every Lambda
    bundle (and the redirect's cold start) stays smaller without one more dependency.
    """
    millis = int(at.timestamp() * 1000) if at is not None else time.time_ns() // 1_000_000
    return f"{millis:012x}{secrets.token_hex(10)}"
