"""A workspace with something in every answer: a job with a personal link, clicks of
people, robots and a link preview through the stream into counters, and shares (a post, a
reply to it, and a repost known only from a list of reposters, whose id, URL and time are
null)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra.local.functions import LocalFunctions
from jobtrail.domain.shares import Share
from jobtrail.domain.times import iso
from jobtrail.store.shares import save_share
from tests.integration.conftest import JOB, Client, stream_pump

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CLICKS: list[tuple[str, dict[str, str]]] = [
    ("GET", {"user-agent": CHROME, "referer": "https://t.co/x", "cloudfront-viewer-country": "SE"}),
    ("GET", {"user-agent": CHROME}),
    ("GET", {"user-agent": "Twitterbot/1.0"}),
    ("GET", {"user-agent": "curl/8.5.0"}),
    ("HEAD", {"user-agent": CHROME}),
]


@dataclass(frozen=True)
class World:
    job: dict[str, Any]
    link: dict[str, Any]


def _share(job: dict[str, Any], workspace_id: str, **fields: Any) -> Share:
    link = job["links"][0]
    base: dict[str, Any] = {
        "platform": "x",
        "post_id": None,
        "url": None,
        "kind": "post",
        "author_id": "1",
        "handle": "anna",
        "name": None,
        "followers": None,
        "followers_first": None,
        "parent_post_id": None,
        "slug": link["slug"],
        "job_id": job["id"],
        "workspace_id": workspace_id,
        "channel": link["channel"],
        "created_at": None,
        "first_seen_at": "2026-11-25T10:00:00.000Z",
    }
    return Share(**{**base, **fields})


def build(api: Client, functions: LocalFunctions, workspace_id: str) -> World:
    job = api.post("/api/jobs", JOB).json()
    link = api.post(
        f"/api/jobs/{job['id']}/links", {"channel": "linkedin", "sharer": "anna_dev"}
    ).json()
    for slug in (job["links"][0]["slug"], link["slug"]):
        for method, headers in CLICKS:
            api.dispatcher.request(method, f"/{slug}", headers=headers, source_ip="203.0.113.7")
    pump = stream_pump(functions)
    while pump.pump_once():
        pass
    now = datetime.now(UTC)
    post = _share(
        job,
        workspace_id,
        post_id="100",
        url="https://x.com/anna/status/100",
        name="Anna",
        followers=1200,
        followers_first=1200,
        created_at=iso(now),
        metrics={"retweet_count": 1},
    )
    reply = _share(
        job,
        workspace_id,
        post_id="101",
        url="https://x.com/bo/status/101",
        kind="reply",
        author_id="2",
        handle="bo",
        followers=30,
        parent_post_id="100",
        created_at=iso(now),
    )
    repost = _share(
        job, workspace_id, kind="repost", author_id="3", handle="cy", parent_post_id="100"
    )
    for share in (post, reply, repost):
        save_share(share, now=now)
    return World(job=job, link=link)
