"""A link turned off through the local stack: its short URL has ended within the
redirect's cache bound, and what it answers then is not counted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import FIREFOX, SLUG_CACHE_SECONDS, Stack

pytestmark = pytest.mark.e2e
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# A request over HTTP to the stack takes a moment of its own on a busy machine.
SLACK_SECONDS = 3.0


def _within(seconds: float, read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    """``read()`` until ``done`` says so or ``seconds`` have gone by; the last value read."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_disabled_link_ends_at_its_short_url_within_the_cache_bound(stack: Stack) -> None:
    # Given a job in a workspace of its own, and a link a warm redirect has served
    key = stack.request("POST", "/_local/workspaces", {"name": "links"}, api_key=None).json()[
        "api_key"
    ]
    job = stack.request(
        "POST",
        "/api/jobs",
        {"title": "Backend", "url": "https://c.example/b", "channels": ["twitter", "mail"]},
        api_key=key,
    ).json()
    slug, other = (link["slug"] for link in job["links"])

    redirected = 0  # the redirects served, each one a click

    def opened(path: str, **headers: str) -> Any:
        nonlocal redirected
        reply = stack.request(
            "GET", f"/{path}", api_key=None, headers={"User-Agent": FIREFOX, **headers}
        )
        redirected += reply.status == 302
        return reply

    assert opened(slug).status == 302
    # When the recruiter turns it off
    changed = stack.request(
        "PATCH", f"/api/jobs/{job['id']}/links/{slug}", {"disabled": True}, api_key=key
    )
    assert changed.status == 200
    assert changed.json()["disabled"] is True
    # Then within the redirect's cache bound (until then it may still redirect, and count)
    # its short URL answers 410
    gone = _within(
        SLUG_CACHE_SECONDS + SLACK_SECONDS, lambda: opened(slug), lambda r: r.status != 302
    )
    assert gone.status == 410
    assert gone.json()["error"]["code"] == "link_gone"
    # And a browser is shown a page saying so
    page = opened(slug, Accept=BROWSER_ACCEPT)
    assert page.status == 410
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"has ended" in page.body
    # And no 410 was counted: the clicks are the redirects, up to one on the other link
    # made after them
    assert opened(other).status == 302

    def clicks() -> Any:
        stats = stack.request("GET", f"/api/jobs/{job['id']}/stats", api_key=key).json()
        return stats["clicks"]["total"]

    assert _within(5.0, clicks, lambda total: total >= redirected) == redirected
