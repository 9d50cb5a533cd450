"""A recruiter's first minutes with jobtrail, over real HTTP against ``make run``'s stack."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_create_a_job_and_follow_its_short_link(stack: Stack) -> None:
    # Given the local stack and its printed API key
    created = stack.request(
        "POST",
        "/api/jobs",
        {
            "title": "Webbutvecklare",
            "url": "https://careers.example.se/jobs/123",
            "channels": ["twitter", "linkedin"],
        },
    )
    assert created.status == 201
    job = created.json()
    link = job["links"][1]
    # Then the short link is served by the same stack
    assert link["short_url"] == f"{stack.base_url}/{link['slug']}"
    # When someone opens it
    reply = stack.request(
        "GET",
        f"/{link['slug']}",
        api_key=None,
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
    )
    # Then they are sent to the ad, tagged with the channel, the job and the click
    assert reply.status == 302
    assert reply.headers["Cache-Control"] == "no-store"
    location = urlsplit(reply.headers["Location"])
    assert location.netloc == "careers.example.se"
    query = parse_qs(location.query)
    assert query["utm_source"] == ["linkedin"]
    assert query["utm_medium"] == ["jobtrail"]
    assert query["utm_campaign"] == [job["campaign"]]
    assert len(query["jt_click"][0]) == 32
    # And a HEAD gets the same redirect
    assert stack.request("HEAD", f"/{link['slug']}", api_key=None).status == 302
    assert stack.request("GET", "/api/jobs").json()["items"][0]["id"] == job["id"]


def test_errors_over_http(stack: Stack) -> None:
    assert stack.request("GET", "/api/jobs", api_key=None).status == 401
    assert stack.request("GET", "/api/jobs", api_key="wrong").status == 401
    assert stack.request("GET", "/no-such-slug", api_key=None).status == 404
    bad = stack.request("POST", "/api/jobs", {"title": "x", "url": "javascript:alert(1)"})
    assert bad.status == 422
    assert bad.json()["error"]["code"] == "invalid_url"
    huge = stack.request(
        "POST", "/api/jobs", {"title": "x", "url": "https://a.se", "ats_id": "x" * 70_000}
    )
    assert huge.status == 413
    assert stack.request("GET", "/health", api_key=None).json() == {"status": "ok"}


def test_a_new_workspace_sees_only_its_own_jobs(stack: Stack) -> None:
    job = stack.request("POST", "/api/jobs", {"title": "Mine", "url": "https://c.example/1"}).json()
    made = stack.request("POST", "/_local/workspaces", {"name": "acme"}, api_key=None)
    assert made.status == 201
    other_key = made.json()["api_key"]
    assert made.json()["workspace_id"]
    assert stack.request("GET", f"/api/jobs/{job['id']}", api_key=other_key).status == 404
    assert stack.request("GET", "/api/jobs", api_key=other_key).json()["items"] == []


def test_functions_can_be_invoked_by_name(stack: Stack) -> None:
    reply = stack.request("POST", "/_local/invoke/housekeeping", api_key=None)
    assert reply.status == 200
    assert len(reply.json()["result"]["salts_ready"]) == 2
    assert stack.request("POST", "/_local/invoke/nonesuch", api_key=None).status == 404
    health = stack.request("POST", "/_local/invoke/api", api_key=None)
    assert health.json()["result"]["statusCode"] == 200


def test_the_stack_says_at_start_which_networks_it_does_not_poll(stack: Stack) -> None:
    # Started without any network's credentials, it said so for each, before it was ready
    ready = next(i for i, line in enumerate(stack.output) if line.startswith("jobtrail ready"))
    said = [line.strip() for line in stack.output[:ready] if "polling is off" in line]
    assert said == [
        "X polling is off: X_BEARER_TOKEN is not set.",
        "Bluesky polling is off: BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are not set.",
    ]
