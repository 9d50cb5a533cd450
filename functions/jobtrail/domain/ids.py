"""Identifiers: time-ordered, so lists sort newest first without an extra index."""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    """A 32-character lowercase hex id: 48 bits of milliseconds, then 80 random bits.

    Written here rather than pulling in a ULID package: it is two lines, and every Lambda
    bundle (and the redirect's cold start) stays smaller without one more dependency.
    """
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"
