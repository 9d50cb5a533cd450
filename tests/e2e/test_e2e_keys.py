"""API keys over real HTTP against ``make run``'s stack: made, used, revoked, refused."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import API_KEY, KEY_CACHE_SECONDS, Stack

pytestmark = pytest.mark.e2e
JOB = {"title": "Data Engineer", "url": "https://careers.example.se/jobs/9"}


def _status_within(stack: Stack, api_key: str, expected: int, seconds: float) -> int:
    """The status GET /api/jobs answers with ``api_key``, read again until it is
    ``expected`` or ``seconds`` have passed (the bound under test, plus the slack a
    loaded machine needs)."""
    deadline = time.monotonic() + seconds
    while True:
        status = stack.request("GET", "/api/jobs", api_key=api_key).status
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_key_made_through_the_api_works_until_it_is_revoked(stack: Stack) -> None:
    # Given the local stack, whose own key is listed by its prefix (never the key)
    listed = stack.request("GET", "/api/keys")
    assert listed.status == 200
    assert {"name": "first key", "prefix": API_KEY[:6]}.items() <= listed.json()["items"][
        -1
    ].items()
    assert API_KEY not in listed.body.decode()
    # When a recruiter makes a key for their CI and uses it
    made = stack.request("POST", "/api/keys", {"name": "ci"})
    assert made.status == 201
    ci = made.json()
    assert stack.request("POST", "/api/jobs", JOB, api_key=ci["api_key"]).status == 201
    assert ci["id"] in {key["id"] for key in stack.request("GET", "/api/keys").json()["items"]}
    # and then revokes it
    assert stack.request("DELETE", f"/api/keys/{ci['id']}").status == 204
    # Then it answers 401 once the authorizer's cache has let it go
    assert _status_within(stack, ci["api_key"], 401, KEY_CACHE_SECONDS + 5) == 401
    refused = stack.request("GET", "/api/jobs", api_key=ci["api_key"])
    assert refused.json()["error"]["code"] == "unauthorized"
    # and the stack's own key, now the workspace's last, works and cannot be deleted
    [own] = stack.request("GET", "/api/keys").json()["items"]
    last = stack.request("DELETE", f"/api/keys/{own['id']}")
    assert (last.status, last.json()["error"]["code"]) == (409, "last_key")
    assert stack.request("GET", "/api/jobs").status == 200
