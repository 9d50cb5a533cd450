"""The one PynamoDB connection used for transactions (models keep their own)."""

from __future__ import annotations

from functools import cache

from pynamodb.connection import Connection


@cache
def connection() -> Connection:
    return Connection()
