"""Opaque list cursors. A cursor carries only the sort key of the last item seen; the
partition (the caller's workspace) is never taken from it, so a forged cursor cannot
reach another workspace."""

from __future__ import annotations

import base64
import binascii
import json

from jobtrail.domain.errors import DomainError


def encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sk": sort_key}).encode()).decode().rstrip("=")


def decode(cursor: str, *, prefix: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_key = json.loads(base64.urlsafe_b64decode(padded.encode()))["sk"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        sort_key = None
    if not isinstance(sort_key, str) or not sort_key.startswith(prefix):
        raise DomainError(
            "The cursor is not one this list gave out; start again without it.",
            code="invalid_cursor",
        )
    return sort_key
