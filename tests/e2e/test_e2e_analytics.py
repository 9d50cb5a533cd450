"""Clicks through the local stack show up in the stats within seconds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import FIREFOX, Stack, eventually

pytestmark = pytest.mark.e2e


def test_clicks_from_people_and_robots_reach_the_stats(stack: Stack) -> None:
    # Given a job on two channels, in a workspace of its own
    key = stack.request("POST", "/_local/workspaces", {"name": "stats"}, api_key=None).json()[
        "api_key"
    ]
    job = stack.request(
        "POST",
        "/api/jobs",
        {"title": "Data engineer", "url": "https://c.example/j", "channels": ["twitter", "mail"]},
        api_key=key,
    ).json()
    twitter, mail = (link["slug"] for link in job["links"])
    # When people and robots open the links
    for slug, agent in [
        (twitter, FIREFOX),
        (twitter, FIREFOX),
        (twitter, "Twitterbot/1.0"),
        (mail, "python-requests/2.32.3"),
        (mail, FIREFOX),
    ]:
        assert (
            stack.request("GET", f"/{slug}", api_key=None, headers={"User-Agent": agent}).status
            == 302
        )

    # Then within five seconds the stats and the channel comparison show exactly them
    def clicks() -> Any:
        return stack.request("GET", f"/api/jobs/{job['id']}/stats", api_key=key).json()["clicks"]

    assert eventually(clicks, {"total": 5, "human": 3, "bots": 2, "unique_visitors": 1}) == {
        "total": 5,
        "human": 3,
        "bots": 2,
        "unique_visitors": 1,
    }
    stats = stack.request("GET", f"/api/jobs/{job['id']}/stats", api_key=key).json()
    assert {c["channel"]: (c["human"], c["bots"]) for c in stats["by_channel"]} == {
        "twitter": (2, 1),
        "mail": (1, 1),
    }
    assert stats["previews"]["x"]["hits"] == 1
    channels = stack.request("GET", "/api/stats/channels", api_key=key).json()["items"]
    assert {c["channel"]: (c["jobs"], c["human"], c["unique_visitors"]) for c in channels} == {
        "twitter": (1, 2, 1),
        "mail": (1, 1, 1),
    }
