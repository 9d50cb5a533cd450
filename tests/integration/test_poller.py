"""Share discovery against a fake X API: what the recruiter sees in /shares, /spread and
the stats after the poller ran, through faults and reruns."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from jobtrail.domain.poller import poll, poll_all
from jobtrail.domain.shares import Share, share_from_post
from jobtrail.domain.times import utc_now
from jobtrail.sources.base import RequestBudget
from jobtrail.sources.x import XSource
from jobtrail.store.clicks import find_link
from jobtrail.store.key_shapes import channel_jobs_key, shares_key, workspace_stats_key
from jobtrail.store.models import CounterItem, ShareItem
from jobtrail.store.shares import DynamoShareStore, poll_state, track
from tests.fakes.x_api import FakeXApi
from tests.integration.conftest import JOB, Client

SHORT = "https://jt.example"


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    return dict(api.post("/api/jobs", {**JOB, "channels": ["twitter", "linkedin"]}).json())


def _run(source: XSource, *, max_requests: int = 50, now: datetime | None = None) -> Any:
    return poll(
        source,
        DynamoShareStore(),
        short_host="jt.example",
        find_link=find_link,
        max_requests=max_requests,
        now=now or utc_now(),
    )


def _shares(api: Client, job: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api.get(f"/api/jobs/{job['id']}/shares")
    assert reply.status == 200, reply.text
    return list(reply.json()["items"])


def test_posts_linking_to_a_job_become_shares_once(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given a post with the job's link, one with another site's link, and one with an
    # unknown slug on our domain
    world = fake_x.world
    anna = world.user("anna", followers=1200, name="Anna Dev")
    slug = job["links"][0]["slug"]
    post = world.post(anna, urls=[f"{SHORT}/{slug}"])
    world.post(world.user("noise"), urls=["https://example.org/jobs"])
    lost = world.post(world.user("lost"), urls=[f"{SHORT}/nosuchslug"])
    # When the poller runs twice
    first = _run(x_source)
    second = _run(x_source)
    # Then the post is one share, with its author, and the second run found nothing new
    (share,) = _shares(api, job)
    assert share == {
        "platform": "x",
        "post_id": post.id,
        "url": f"https://x.com/anna/status/{post.id}",
        "kind": "post",
        "author": {
            "id": anna.id,
            "handle": "anna",
            "name": "Anna Dev",
            "followers": 1200,
            "person_id": share["author"]["person_id"],
        },
        "parent_post_id": None,
        "slug": slug,
        "channel": "twitter",
        "created_at": share["created_at"],
        "first_seen_at": share["first_seen_at"],
        "metrics": share["metrics"],
    }
    assert share["created_at"].startswith(post.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (first.status, first.posts_found, first.shares_new) == ("ok", 1, 1)
    assert (second.posts_found, second.shares_new) == (0, 0)
    # And the second search asked only for posts newer than the newest the first one read
    searches = fake_x.requests_to("search")
    assert "since_id" not in searches[0].params
    assert searches[-1].params["since_id"] == lost.id


def test_a_three_level_cascade_makes_a_tree(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given a post, a quote of it, and a repost of the quote
    world = fake_x.world
    anna, bob, carl = (
        world.user(n, followers=f) for n, f in [("anna", 100), ("bob", 50), ("carl", 7)]
    )
    post = world.post(anna, urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    quote = world.post(bob, "look at this", quoting=post)
    world.repost(quote, carl)
    # When the poller has run (the quote is found by its parent, the repost by the quote)
    for _ in range(3):
        _run(x_source)
    # Then the spread is post -> quote -> repost, and every share is listed once
    shares = _shares(api, job)
    assert sorted((s["kind"], s["author"]["handle"]) for s in shares) == [
        ("post", "anna"),
        ("quote", "bob"),
        ("repost", "carl"),
    ]
    repost = next(s for s in shares if s["kind"] == "repost")
    assert (repost["post_id"], repost["url"], repost["created_at"]) == (None, None, None)
    assert repost["parent_post_id"] == quote.id
    roots = api.get(f"/api/jobs/{job['id']}/spread").json()["roots"]
    assert len(roots) == 1
    assert roots[0]["share"]["post_id"] == post.id
    (child,) = roots[0]["children"]
    assert child["share"]["post_id"] == quote.id
    (grandchild,) = child["children"]
    assert grandchild["share"]["author"]["handle"] == "carl"
    assert grandchild["children"] == []
    # And the stats count the shares, their reach and the top sharers
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert stats["shares"] == {"total": 3, "by_platform": {"x": 3}, "reach": 157}
    assert [s["handle"] for s in stats["top_sharers"]] == ["anna", "bob", "carl"]
    channels = {c["channel"]: c["shares"] for c in api.get("/api/stats/channels").json()["items"]}
    assert channels["twitter"] == 3


def test_reposts_are_asked_for_only_when_counts_grow(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    _run(x_source)
    _run(x_source)
    assert fake_x.requests_to("retweeted_by") == []
    world.repost(post, world.user("bob"))
    _run(x_source)
    _run(x_source)
    assert len(fake_x.requests_to("retweeted_by")) == 1
    shares = _shares(api, job)
    assert len(shares) == 2
    # And the post's share shows its latest metrics
    original = next(s for s in shares if s["kind"] == "post")
    assert original["metrics"]["repost_count"] == 1


def test_a_repost_list_that_changes_between_runs_keeps_everyone_once(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    bob, carl, dana = world.user("bob"), world.user("carl"), world.user("dana")
    world.repost(post, bob, carl)
    _run(x_source)
    world.unrepost(post, bob)
    world.repost(post, dana, world.user("erik"))
    _run(x_source)
    handles = sorted(s["author"]["handle"] for s in _shares(api, job) if s["kind"] == "repost")
    assert handles == ["bob", "carl", "dana", "erik"]


def test_a_rate_limit_stops_the_run_and_skips_the_source_until_reset(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    reset = int(time.time()) + 600
    fake_x.fail(
        "search",
        status=429,
        headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
    )
    limited = _run(x_source)
    skipped = _run(x_source)
    assert limited.status == "rate_limited"
    assert skipped.status == "skipped_rate_limited"
    assert len(fake_x.requests_to("search")) == 1
    assert poll_state("x").since_id is None
    # After the reset, the source is polled again (the function's clock, and the source's)
    after_reset = datetime.fromtimestamp(reset + 1, UTC)
    later = XSource(fake_x.base_url, fake_x.token, timeout=2.0, now=lambda: after_reset)
    try:
        after = _run(later, now=after_reset)
    finally:
        later.close()
    assert (after.status, after.shares_new) == ("ok", 1)


def test_a_fault_on_page_two_loses_nothing_and_duplicates_nothing(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given 110 posts (two pages) and a server error on the second page
    world = fake_x.world
    slug = job["links"][0]["slug"]
    start = datetime.now(UTC) - timedelta(hours=3)
    for n in range(110):
        world.post(
            world.user(f"user{n}"), urls=[f"{SHORT}/{slug}"], at=start + timedelta(seconds=n)
        )
    fake_x.fail("search", on_call=2, status=503)
    failed = _run(x_source)
    # Then since_id did not move past the posts that were not read
    assert failed.status == "unavailable"
    assert poll_state("x").since_id is None
    # And the next run reads everything, storing each post once
    again = _run(x_source)
    assert again.status == "ok"
    shares = _shares_all(api, job)
    assert len(shares) == 110
    assert len({s["post_id"] for s in shares}) == 110


def _shares_all(api: Client, job: dict[str, Any]) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/api/jobs/{job['id']}/shares", query=query).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_an_expired_since_id_falls_back_to_the_last_seven_days(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    first = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    _run(x_source)
    later = world.post(world.user("bob"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    fake_x.oldest_since_id = int(later.id)  # the stored since_id (first.id) is now too old
    report = _run(x_source)
    assert report.status == "ok"
    assert {s["post_id"] for s in _shares(api, job)} == {first.id, later.id}
    assert poll_state("x").since_id == later.id


def test_a_spent_budget_stops_quietly_and_the_next_run_goes_on(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    world.repost(post, world.user("bob"))
    spent = _run(x_source, max_requests=1)
    assert (spent.status, spent.requests) == ("budget_spent", 1)
    _run(x_source)
    assert len(_shares(api, job)) == 2


def test_two_overlapping_runs_one_waits(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    store = DynamoShareStore()
    assert store.take_lease("x", "other-run", now=utc_now(), seconds=300)
    assert _run(x_source).status == "skipped_running"
    assert fake_x.requests == []
    # A run that died does not hold the source for ever
    later = utc_now() + timedelta(seconds=301)
    assert _run(x_source, now=later).status == "ok"


@pytest.fixture
def poller_sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The poller function as a fresh instance has it (the ``functions`` fixture wires a
    new one for each test): no secret cached, and no credentials in the environment but
    what the test sets."""
    for name in ("X_BEARER_TOKEN", "X_BEARER_TOKEN_SECRET", "BLUESKY_SECRET", "BLUESKY_HANDLE"):
        monkeypatch.delenv(name, raising=False)
    parameters.clear_caches()
    yield
    parameters.clear_caches()


def test_the_scheduled_function_polls_the_configured_sources(
    api: Client,
    job: dict[str, Any],
    fake_x: FakeXApi,
    functions: Any,
    monkeypatch: pytest.MonkeyPatch,
    poller_sources: None,
) -> None:
    world = fake_x.world
    world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][1]['slug']}"])
    monkeypatch.setenv("X_API_BASE_URL", fake_x.base_url)
    monkeypatch.setenv("X_BEARER_TOKEN", fake_x.token)
    result = functions.invoke("poller")
    assert result["runs"][0]["platform"] == "x"
    assert result["runs"][0]["shares_new"] == 1
    assert _shares(api, job)[0]["channel"] == "linkedin"


@pytest.mark.settings(secret_max_age_seconds=0)
def test_an_x_token_put_in_after_the_deployment_is_used_by_the_warm_poller(
    api: Client,
    job: dict[str, Any],
    fake_x: FakeXApi,
    functions: Any,
    monkeypatch: pytest.MonkeyPatch,
    poller_sources: None,
) -> None:
    # Given the X secret as the stack makes it (the placeholder), secrets kept no time
    # at all, and a warm poller that has run with it
    world = fake_x.world
    world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="Jobtrail/x-bearer-token", SecretString="REPLACE_ME")["ARN"]
    monkeypatch.setenv("X_BEARER_TOKEN_SECRET", arn)
    monkeypatch.setenv("X_API_BASE_URL", fake_x.base_url)
    assert functions.invoke("poller")["runs"] == []
    assert fake_x.requests == []
    # When the company puts the token in, and the poller runs again
    secrets.put_secret_value(SecretId=arn, SecretString=fake_x.token)
    result = functions.invoke("poller")
    # Then X is polled
    assert [(r["platform"], r["status"], r["shares_new"]) for r in result["runs"]] == [
        ("x", "ok", 1)
    ]


def test_an_x_401_still_lets_bluesky_be_polled(
    api: Client,
    job: dict[str, Any],
    fake_x: FakeXApi,
    functions: Any,
    monkeypatch: pytest.MonkeyPatch,
    poller_sources: None,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.fakes.bluesky_appview import running_fake_bluesky

    with running_fake_bluesky() as bluesky:
        # Given an X token X refuses, and a Bluesky post of the job's link
        anna = bluesky.world.account("anna", followers=300)
        bluesky.world.post(anna, links=[f"{SHORT}/{job['links'][1]['slug']}"])
        monkeypatch.setenv("X_API_BASE_URL", fake_x.base_url)
        monkeypatch.setenv("X_BEARER_TOKEN", "revoked-token")
        monkeypatch.setenv("BLUESKY_API_BASE_URL", bluesky.base_url)
        monkeypatch.setenv("BLUESKY_HANDLE", bluesky.handle)
        monkeypatch.setenv("BLUESKY_APP_PASSWORD", bluesky.app_password)
        capsys.readouterr()
        # When the scheduled poller runs
        result = functions.invoke("poller")
    # Then X's run says it was refused, and why, and Bluesky's found its share
    x, bsky = result["runs"]
    assert (x["platform"], x["status"]) == ("x", "rejected")
    assert "answered 401: the bearer token is wrong" in x["detail"]
    assert (bsky["platform"], bsky["status"], bsky["shares_new"]) == ("bluesky", "ok", 1)
    assert [s["platform"] for s in _shares(api, job)] == ["bluesky"]
    # And the fault is logged and counted, for the alarm
    failed = [r for r in caplog.records if r.getMessage() == "share poll failed"]
    assert [(r.levelname, r.platform, r.status) for r in failed] == [("ERROR", "x", "rejected")]
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (emf,) = [line for line in out if "_aws" in line]  # the metrics Powertools wrote
    assert emf["source_runs_failed"] == [1.0]


def test_shares_of_another_workspaces_job_are_404(other_api: Client, job: dict[str, Any]) -> None:
    assert other_api.get(f"/api/jobs/{job['id']}/shares").status == 404
    assert other_api.get(f"/api/jobs/{job['id']}/spread").status == 404


def test_bluesky_posts_reposts_and_quotes_become_shares(api: Client, job: dict[str, Any]) -> None:
    from jobtrail.sources.bluesky import BlueskySource
    from tests.fakes.bluesky_appview import running_fake_bluesky

    with running_fake_bluesky() as fake:
        # Given a Bluesky post of the job's link, a quote of it and a repost of it
        world = fake.world
        anna = world.account("anna", followers=300)
        post = world.post(anna, links=[f"{SHORT}/{job['links'][1]['slug']}"])
        world.post(world.account("bob", followers=20), "hiring!", quoting=post)
        world.repost(post, world.account("carl", followers=5))
        world.post(world.account("noise"), links=["https://example.org/x"])
        source = BlueskySource(fake.base_url, fake.handle, fake.app_password, timeout=2.0)
        try:
            # When the poller runs twice
            runs = [_run(source) for _ in range(2)]
        finally:
            source.close()
    # Then the three are shares of the job's LinkedIn link, each once
    assert [r.status for r in runs] == ["ok", "ok"]
    shares = {s["author"]["handle"]: s for s in _shares(api, job)}
    assert sorted(shares) == ["anna.bsky.social", "bob.bsky.social", "carl.bsky.social"]
    anna_share = shares["anna.bsky.social"]
    assert anna_share["platform"] == "bluesky"
    assert anna_share["post_id"] == post.uri
    assert anna_share["url"] == f"https://bsky.app/profile/anna.bsky.social/post/{post.rkey}"
    assert anna_share["author"]["followers"] == 300
    assert shares["bob.bsky.social"]["kind"] == "quote"
    assert shares["carl.bsky.social"]["kind"] == "repost"
    assert {s["channel"] for s in shares.values()} == {"linkedin"}


def test_a_post_is_watched_for_reposts_only_while_younger_than_a_week(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given a post made six days ago
    world = fake_x.world
    made = datetime.now(UTC) - timedelta(days=6)
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"], at=made)
    _run(x_source)
    world.repost(post, world.user("bob"))
    # When it is reposted two days later, past its week
    report = _run(x_source, now=made + timedelta(days=8))
    # Then the poller no longer looks it up: nothing asked, the post alone is a share
    assert report.status == "ok"
    assert fake_x.requests_to("retweeted_by") == []
    assert [s["kind"] for s in _shares(api, job)] == ["post"]


def test_a_forged_shares_cursor_is_400(api: Client, job: dict[str, Any]) -> None:
    from jobtrail.store import cursors

    reply = api.get(f"/api/jobs/{job['id']}/shares", query=f"cursor={cursors.encode('n:x')}")
    assert reply.status == 400
    assert reply.error_code == "invalid_cursor"


def _repost_shares(api: Client, job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _shares(api, job) if s["kind"] == "repost"]


def _share_counts(api: Client, job: dict[str, Any]) -> tuple[int, int]:
    """The job's share total in its stats, and its channels' share counts added up."""
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    channels = api.get("/api/stats/channels").json()["items"]
    return stats["shares"]["total"], sum(c["shares"] for c in channels)


def test_a_repost_found_by_search_and_in_the_reposters_is_one_share_with_its_own_id(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given a post of the job's link and Bob's repost of it, which X's search returns
    # with its own id and the post's reposters list again
    world = fake_x.world
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    repost = world.post(world.user("bob", followers=40), reposting=post)
    # When the poller runs (search, then the post's reposters as its count grew), twice
    runs = [_run(x_source) for _ in range(2)]
    # Then Bob's repost is one share, with its own id, URL and time, under the post
    assert fake_x.requests_to("retweeted_by"), "the reposters were asked for"
    (share,) = _repost_shares(api, job)
    assert share["post_id"] == repost.id
    assert share["url"] == f"https://x.com/bob/status/{repost.id}"
    assert share["created_at"].startswith(repost.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (share["parent_post_id"], share["author"]["followers"]) == (post.id, 40)
    (root,) = api.get(f"/api/jobs/{job['id']}/spread").json()["roots"]
    assert [c["share"]["post_id"] for c in root["children"]] == [repost.id]
    # And it counts once: the post and the repost
    assert _share_counts(api, job) == (2, 2)
    assert [r.shares_new for r in runs] == [2, 0]


def test_a_reposter_found_first_gets_the_reposts_own_id_when_search_finds_it(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given Bob in the post's reposters, stored without an id of his repost
    world = fake_x.world
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    _run(x_source)
    bob = world.user("bob")
    world.repost(post, bob)
    _run(x_source)
    assert [s["post_id"] for s in _repost_shares(api, job)] == [None]
    # When search then returns his repost itself
    repost = world.post(bob, reposting=post)
    report = _run(x_source)
    # Then the share has the repost's id, and is still one share
    assert [s["post_id"] for s in _repost_shares(api, job)] == [repost.id]
    assert report.shares_new == 0
    assert _share_counts(api, job) == (2, 2)


def _store_as_before_the_fix(share: Share, sort_key: str) -> None:
    """What the poller stored before reposts were keyed by post and author: the share
    under ``sort_key``, counted for its channel, and watched when it has its own id."""
    values = {f.name: getattr(share, f.name) for f in fields(Share)}
    ShareItem(
        shares_key(share.job_id), sort_key, **{**values, "metrics": dict(share.metrics)}
    ).save()
    CounterItem(workspace_stats_key(share.workspace_id), channel_jobs_key(share.channel)).update(
        actions=[CounterItem.shares.add(1)]
    )
    if share.post_id is not None:
        track(share, now=utc_now())


@pytest.mark.parametrize("listed", [True, False], ids=["also-listed", "search-only"])
def test_a_repost_stored_twice_before_the_fix_becomes_one_share_on_the_next_poll(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource, listed: bool
) -> None:
    # Given a post the poller stored, and Bob's repost of it as the poller stored it
    # before: under the repost's own id (search found it) and, when the post's reposters
    # listed Bob (X lists only the latest 100), again under the post and Bob
    world = fake_x.world
    slug = job["links"][0]["slug"]
    post = world.post(world.user("anna"), urls=[f"{SHORT}/{slug}"])
    _run(x_source)
    repost = world.post(world.user("bob", followers=40), reposting=post)
    link = find_link(slug)
    assert link is not None
    budget = RequestBudget(10)
    found = {p.post_id: p for p in x_source.refresh([post.id, repost.id], budget=budget)}
    by_search = share_from_post(found[repost.id], link, seen_at="2026-01-05T10:00:00.000Z")
    _store_as_before_the_fix(by_search, f"x#post#{repost.id}")
    if listed:
        (bob,) = x_source.reposts_of(found[post.id], budget=budget)
        listed_share = share_from_post(bob, link, seen_at="2026-01-05T10:15:00.000Z")
        _store_as_before_the_fix(listed_share, f"x#repost#{post.id}#{bob.author.id}")
    store = DynamoShareStore()
    store.note_counts("x", post.id, reposts=1, quotes=0)
    store.advance_since_id("x", repost.id)
    assert len(_repost_shares(api, job)) == (2 if listed else 1)
    # When the poller runs, and runs again
    _run(x_source)
    _run(x_source)
    # Then the repost is one share, with its own id, first seen when it was first seen
    (share,) = _repost_shares(api, job)
    assert (share["post_id"], share["parent_post_id"]) == (repost.id, post.id)
    assert share["first_seen_at"] == "2026-01-05T10:00:00.000Z"
    # And it is counted once, in the job's stats and in its channel's count
    assert _share_counts(api, job) == (2, 2)
    # And the repost itself is no longer watched (a repost has no reposts of its own)
    assert [w.post_id for w in store.tracked("x", now=utc_now())] == [post.id]


class _BrokenSource:
    """A network whose code fails on its first request (a bug, an answer nobody foresaw)."""

    platform = "bluesky"

    def search(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("cursor")


def test_a_fault_in_one_networks_run_is_its_report_and_the_next_one_is_polled(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given a post on X, and another network whose run fails in an unforeseen way
    world = fake_x.world
    world.post(world.user("anna"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    # When both are polled, the failing one first
    reports = poll_all(
        [_BrokenSource(), x_source],
        DynamoShareStore(),
        short_host="jt.example",
        find_link=find_link,
        max_requests=50,
        now=utc_now(),
    )
    # Then its report says what went wrong, and X was polled all the same
    broken, x = reports
    assert (broken.platform, broken.status, broken.detail) == (
        "bluesky",
        "failed",
        "KeyError: 'cursor'",
    )
    assert isinstance(broken.error, KeyError)
    assert (x.status, x.shares_new) == ("ok", 1)
    # And the failed run let go of its network: the next run is not kept waiting
    assert DynamoShareStore().take_lease("bluesky", "next-run", now=utc_now(), seconds=300)
