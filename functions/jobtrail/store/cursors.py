"""Opaque list cursors. A cursor carries only the sort key of the last item seen; the
partition (the caller's workspace) is never taken from it, so a forged cursor cannot
reach another workspace."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TypeVar

from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from jobtrail.domain.errors import DomainError

M = TypeVar("M", bound=Model)


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


def newest_first(
    model: type[M],
    pk: str,
    prefix: str,
    *,
    limit: int,
    cursor: str | None,
    wanted: Condition | None = None,
    consistent_read: bool = False,
) -> tuple[list[M], str | None]:
    """One page of a partition's items whose sort keys start with ``prefix``, newest first
    (their ids sort by time), only those matching ``wanted``, and the cursor of the next
    page. Reads one item past the page to know whether another exists; the cursor's sort
    key must have ``prefix``, and the partition is always the caller's."""
    last_key = None
    if cursor is not None:
        last_key = {"pk": {"S": pk}, "sk": {"S": decode(cursor, prefix=prefix)}}
    items = list(
        model.query(
            pk,
            model.sk.startswith(prefix),  # type: ignore[attr-defined]
            filter_condition=wanted,
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=last_key,
            consistent_read=consistent_read,
        )
    )
    page = items[:limit]
    more = len(items) > limit
    return page, encode(page[-1].sk) if more else None  # type: ignore[attr-defined]
