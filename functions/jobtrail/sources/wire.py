"""What the share sources have in common on the wire, whichever network they speak to.

The HTTP pool (urllib3 with its retries and redirects off, so that every request on the
wire is one the budget paid for), the base URL and search-argument checks, the per-bucket
rate-limit gate, and the JSON readers that turn a surprise in an answer into
``SourceUnavailable``. What differs on purpose (sign-in, error bodies, how a post is read)
stays in each network's module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3

from jobtrail.domain.times import iso
from jobtrail.sources.base import RateLimited, SourceUnavailable

USER_AGENT = "jobtrail-share-poller/0.1"

Json = dict[str, Any]


def http_base_url(base_url: str, label: str) -> str:
    """``base_url`` without a trailing ``/``; ValueError naming ``label`` unless it is an
    http(s) URL."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{label} base URL must be an http(s) URL, got {base_url!r}")
    return base_url.rstrip("/")


def pool(timeout: float) -> urllib3.PoolManager:
    """One kept-open connection, no retries, ``timeout`` seconds to connect and to read.
    Pass ``redirect=False, retries=False`` with each request as well."""
    return urllib3.PoolManager(
        num_pools=1,
        maxsize=1,
        retries=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
    )


def check_search_args(
    short_host: str,
    since_id: str | None,
    start_time: datetime | None,
    *,
    taker: str,
    refused_chars: str,
) -> None:
    """ValueError for what no search may be asked: a host that is not bare (holds one of
    ``refused_chars``), both ``since_id`` and ``start_time``, a naive ``start_time``."""
    if not short_host or any(c in short_host for c in refused_chars):
        raise ValueError(f"not a bare host name: {short_host!r}")
    if since_id is not None and start_time is not None:
        raise ValueError(f"{taker} takes since_id or start_time, not both")
    if start_time is not None and start_time.tzinfo is None:
        raise ValueError("start_time must carry a time zone")


class RateLimitGate:
    """Remembers, per bucket, a rate limit the network announced (a 429 or a remaining
    count of 0) and refuses further requests in that bucket until the reset, before they
    spend budget or touch the network."""

    def __init__(
        self,
        network: str,
        *,
        now: Callable[[], datetime],
        default_wait: timedelta,
        reset_header: str,
        remaining_header: str,
    ) -> None:
        self._network = network
        self._now = now
        self._default_wait = default_wait
        self._reset_header = reset_header
        self._remaining_header = remaining_header
        self._blocked_until: dict[str, datetime] = {}

    def refuse_if_limited(self, bucket: str, what: str) -> None:
        """RateLimited while ``bucket`` is blocked; ``what`` names the request."""
        until = self._blocked_until.get(bucket)
        if until is None:
            return
        if self._now() < until:
            raise RateLimited(until, self._message(what, until))
        del self._blocked_until[bucket]

    def note(self, bucket: str, what: str, status: int, headers: Mapping[str, str]) -> None:
        """Reads an answer's rate-limit headers: RateLimited on a 429, and a remaining count
        of 0 blocks the bucket (this answer is good; the next request would be a 429). The
        reset header is epoch seconds; without it the bucket waits ``default_wait``."""
        reset_at = reset_time(headers.get(self._reset_header))
        if status == 429:
            until = reset_at or self._now() + self._default_wait
            self._blocked_until[bucket] = until
            raise RateLimited(until, self._message(what, until))
        if headers.get(self._remaining_header, "").strip() == "0":
            self._blocked_until[bucket] = reset_at or self._now() + self._default_wait

    def _message(self, what: str, until: datetime) -> str:
        return f"{self._network} rate limit on {what} until {iso(until)}"


def reset_time(header: str | None) -> datetime | None:
    """A rate-limit reset in epoch seconds; None when missing or unreadable."""
    try:
        return datetime.fromtimestamp(int(header or ""), UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- small readers that turn a surprise in a network's JSON into SourceUnavailable -------


class JsonReader:
    """Required fields of a network's JSON; the messages name ``network``."""

    def __init__(self, network: str) -> None:
        self._network = network

    def object(self, body: Json, key: str) -> Json:
        value = body.get(key)
        if not isinstance(value, dict):
            raise SourceUnavailable(f"{self._network} answered without the {key!r} object")
        return value

    def string(self, body: Json, key: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise SourceUnavailable(f"{self._network} answered without {key!r}")
        return value


def optional_str(body: Json, key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def json_object_or_empty(raw: bytes) -> Json:
    """An error body as a JSON object, or ``{}`` when it is not one (a proxy's page)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
