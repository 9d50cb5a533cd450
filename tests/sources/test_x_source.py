"""The X source against the fake X API: what it asks, how it reads X's answers into posts,
and what it raises when X refuses, limits, breaks or is out of reach."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3

from jobtrail.sources.base import (
    Author,
    BudgetExhausted,
    Post,
    RateLimited,
    RequestBudget,
    SearchPage,
    SinceIdTooOld,
    SourceRejected,
    SourceUnavailable,
)
from jobtrail.sources.x import XSource
from tests.fakes.x_api import FakeXApi, Tweet, User, XWorld

HOST = "jt.example"
OUR_LINK = f"https://{HOST}/r/abc123"
OTHER_OF_OURS = f"https://{HOST}/r/zzz999"  # our host, a slug nobody tracks
ELSEWHERE = "https://example.org/jobs/42"


def _budget(limit: int = 50) -> RequestBudget:
    return RequestBudget(limit)


def _search(source: XSource, **overrides: Any) -> SearchPage:
    arguments: dict[str, Any] = {
        "since_id": None,
        "start_time": None,
        "next_token": None,
        "budget": _budget(),
    }
    arguments.update(overrides)
    return source.search(HOST, **arguments)


def _as_post(tweet: Tweet, user: User) -> Post:
    """The post as the poller holds it after a search."""
    return Post(
        platform="x",
        post_id=tweet.id,
        url=f"https://x.com/{user.username}/status/{tweet.id}",
        kind="post",
        author=Author(user.id, user.username, user.name, user.followers),
        parent_post_id=None,
        created_at=tweet.created_at,
    )


def _posts_by_id(posts: Sequence[Post]) -> dict[str | None, Post]:
    return {post.post_id: post for post in posts}


def _epoch_in(seconds: int) -> int:
    return int(time.time()) + seconds


# --- search: what it asks and how it reads the answer -------------------------------------


def test_search_asks_x_for_posts_linking_to_the_short_host(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given
    alice = fake_x.world.user("alice", followers=1200)
    fake_x.world.post(alice, urls=[OUR_LINK])

    # When
    _search(x_source)

    # Then
    (request,) = fake_x.requests_to("search")
    assert request.params == {
        "query": f'url:"{HOST}"',
        "max_results": "100",
        "expansions": "author_id,referenced_tweets.id",
        "tweet.fields": "created_at,author_id,entities,referenced_tweets,public_metrics,"
        "conversation_id",
        "user.fields": "username,name,public_metrics",
    }
    assert request.authorization == f"Bearer {fake_x.token}"
    assert str(request.user_agent).startswith("jobtrail")


def test_search_reads_posts_quotes_and_replies_with_their_parents_and_authors(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: Alice posts the link, Bob quotes her, Carol replies to Bob, all with the link
    world = fake_x.world
    alice = world.user("alice", followers=1200, name="Alice Recruiter")
    bob = world.user("bob", followers=45)
    carol = world.user("carol", followers=0)
    start = datetime.now(UTC) - timedelta(hours=3)
    post = world.post(
        alice,
        "We are hiring",
        urls=[OUR_LINK],
        at=start,
        metrics={"like_count": 7, "impression_count": 900},
        unwound={OUR_LINK: "https://careers.example.com/jobs/42"},
    )
    quote = world.post(bob, urls=[OUR_LINK], at=start + timedelta(hours=1), quoting=post)
    reply = world.post(carol, urls=[OUR_LINK], at=start + timedelta(hours=2), replying_to=quote)
    world.repost(post, bob, carol)

    # When
    page = x_source.search(HOST, since_id=None, start_time=None, next_token=None, budget=_budget())

    # Then: newest first, each with its kind, parent, author and address
    assert [p.post_id for p in page.posts] == [reply.id, quote.id, post.id]
    assert page.newest_id == reply.id
    assert page.next_token is None
    by_id = _posts_by_id(page.posts)
    assert (by_id[post.id].kind, by_id[post.id].parent_post_id) == ("post", None)
    assert (by_id[quote.id].kind, by_id[quote.id].parent_post_id) == ("quote", post.id)
    assert (by_id[reply.id].kind, by_id[reply.id].parent_post_id) == ("reply", quote.id)
    first = by_id[post.id]
    assert first.platform == "x"
    assert first.url == f"https://x.com/alice/status/{post.id}"
    assert first.created_at == start.replace(microsecond=0)
    assert first.author.id == alice.id
    assert first.author.handle == "alice"
    assert first.author.name == "Alice Recruiter"
    assert first.author.followers == 1200
    assert by_id[quote.id].author.followers == 45
    assert first.linked_urls == (OUR_LINK, "https://careers.example.com/jobs/42")
    assert first.metrics == {
        "repost_count": 2,
        "quote_count": 1,
        "reply_count": 0,
        "like_count": 7,
        "impression_count": 900,
        "bookmark_count": 0,
    }


def test_search_returns_every_post_on_the_short_host_and_nothing_from_elsewhere(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: posts with our link, with another of our links, with both ours and another
    # site's, and noise that links only elsewhere
    world = fake_x.world
    dan = world.user("dan", followers=3)
    ours = world.post(dan, urls=[OUR_LINK])
    untracked = world.post(dan, urls=[OTHER_OF_OURS])
    mixed = world.post(dan, urls=[ELSEWHERE, OUR_LINK])
    for _ in range(5):
        world.post(dan, urls=[ELSEWHERE])
    world.post(dan, "no link at all")

    # When
    page = _search(x_source)

    # Then: the fake filtered on the host; matching the slug is the poller's job
    by_id = _posts_by_id(page.posts)
    assert set(by_id) == {ours.id, untracked.id, mixed.id}
    assert by_id[untracked.id].linked_urls == (OTHER_OF_OURS,)
    assert by_id[mixed.id].linked_urls == (ELSEWHERE, OUR_LINK)


def test_search_follows_next_token_and_keeps_since_id_on_every_page(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: 150 new posts after the last one the poller saw
    world = fake_x.world
    erin = world.user("erin", followers=10)
    start = datetime.now(UTC) - timedelta(days=1)
    seen = world.post(erin, urls=[OUR_LINK], at=start)
    new = [
        world.post(erin, urls=[OUR_LINK], at=start + timedelta(minutes=i + 1)) for i in range(150)
    ]
    budget = _budget()

    # When
    first = x_source.search(HOST, since_id=seen.id, start_time=None, next_token=None, budget=budget)
    second = x_source.search(
        HOST, since_id=seen.id, start_time=None, next_token=first.next_token, budget=budget
    )

    # Then: two pages, newest first, nothing twice, nothing older than since_id
    assert len(first.posts) == 100
    assert first.newest_id == new[-1].id
    assert first.next_token is not None
    assert len(second.posts) == 50
    assert second.next_token is None
    found = [p.post_id for p in [*first.posts, *second.posts]]
    assert found == [t.id for t in reversed(new)]
    requests = fake_x.requests_to("search")
    assert [r.params.get("since_id") for r in requests] == [seen.id, seen.id]
    assert [r.params.get("next_token") for r in requests] == [None, first.next_token]
    assert budget.spent == 2


def test_search_from_a_start_time_sends_it_in_xs_format(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given
    world = fake_x.world
    fay = world.user("fay")
    now = datetime.now(UTC).replace(microsecond=0)
    world.post(fay, urls=[OUR_LINK], at=now - timedelta(hours=5))
    recent = world.post(fay, urls=[OUR_LINK], at=now - timedelta(hours=1))
    since = now - timedelta(hours=2)

    # When
    page = _search(x_source, start_time=since)

    # Then
    assert [p.post_id for p in page.posts] == [recent.id]
    (request,) = fake_x.requests_to("search")
    assert request.params["start_time"] == since.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "since_id" not in request.params


def test_a_start_time_before_xs_seven_days_is_moved_up_to_the_window(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: the poller was away for ten days
    gus = fake_x.world.user("gus")
    post = fake_x.world.post(gus, urls=[OUR_LINK], at=datetime.now(UTC) - timedelta(days=6))

    # When: X would answer 400 for the old start_time
    page = _search(x_source, start_time=datetime.now(UTC) - timedelta(days=10))

    # Then
    assert [p.post_id for p in page.posts] == [post.id]
    sent = datetime.fromisoformat(fake_x.requests_to("search")[0].params["start_time"])
    assert sent > datetime.now(UTC) - timedelta(days=7)


def test_since_id_and_start_time_together_are_refused_before_asking_x(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # When / Then
    with pytest.raises(ValueError, match="not both"):
        _search(x_source, since_id="1", start_time=datetime.now(UTC) - timedelta(hours=1))
    assert fake_x.requests == []


def test_an_empty_search_has_no_newest_id(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given: only noise
    hal = fake_x.world.user("hal")
    fake_x.world.post(hal, urls=[ELSEWHERE])

    # When
    page = _search(x_source)

    # Then
    assert page.posts == []
    assert page.newest_id is None
    assert page.next_token is None


def test_a_post_whose_author_x_withholds_is_left_out(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given: one author is suspended; X returns the post and an error for the author
    world = fake_x.world
    ivy = world.user("ivy", followers=5)
    gone = world.user("gone", followers=99)
    kept = world.post(ivy, urls=[OUR_LINK])
    world.post(gone, urls=[OUR_LINK])
    world.suspended.add(gone.id)

    # When
    page = _search(x_source)

    # Then
    assert [p.post_id for p in page.posts] == [kept.id]


# --- reposts, quotes and refresh ---------------------------------------------------------


def test_reposts_are_the_reposters_with_no_id_url_or_time_of_their_own(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given
    world = fake_x.world
    alice = world.user("alice", followers=1200)
    bob = world.user("bob", followers=45, name="Bob B")
    carol = world.user("carol", followers=7)
    post = world.post(alice, urls=[OUR_LINK])
    world.repost(post, bob, carol)

    # When
    reposts = x_source.reposts_of(_as_post(post, alice), budget=_budget())

    # Then: newest reposter first
    assert [r.author.handle for r in reposts] == ["carol", "bob"]
    bob_repost = reposts[1]
    assert bob_repost.kind == "repost"
    assert bob_repost.post_id is None
    assert bob_repost.url is None
    assert bob_repost.created_at is None
    assert bob_repost.parent_post_id == post.id
    assert (bob_repost.author.id, bob_repost.author.name, bob_repost.author.followers) == (
        bob.id,
        "Bob B",
        45,
    )
    (request,) = fake_x.requests_to("retweeted_by")
    assert request.path == f"/2/tweets/{post.id}/retweeted_by"
    assert request.params == {"max_results": "100", "user.fields": "username,name,public_metrics"}


def test_the_reposter_list_is_read_again_as_it_changes(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given
    world = fake_x.world
    alice = world.user("alice")
    bob, carol, dan = world.user("bob"), world.user("carol"), world.user("dan")
    post = world.post(alice, urls=[OUR_LINK])
    world.repost(post, bob, carol)
    first = x_source.reposts_of(_as_post(post, alice), budget=_budget())

    # When: Carol takes hers back and Dan reposts
    world.unrepost(post, carol)
    world.repost(post, dan)
    second = x_source.reposts_of(_as_post(post, alice), budget=_budget())

    # Then
    assert [r.author.handle for r in first] == ["carol", "bob"]
    assert [r.author.handle for r in second] == ["dan", "bob"]


def test_x_lists_only_the_latest_hundred_reposters(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given
    world = fake_x.world
    alice = world.user("alice")
    post = world.post(alice, urls=[OUR_LINK])
    fans = [world.user(f"fan{i}") for i in range(130)]
    world.repost(post, *fans)
    budget = _budget()

    # When
    reposts = x_source.reposts_of(_as_post(post, alice), budget=budget)

    # Then
    assert [r.author.handle for r in reposts] == [f"fan{i}" for i in range(129, 29, -1)]
    assert budget.spent == 1


def test_quotes_are_posts_whose_parent_is_the_quoted_post(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: Bob quotes Alice; Carol quotes her while replying to Bob
    world = fake_x.world
    alice, bob, carol = world.user("alice"), world.user("bob", followers=45), world.user("carol")
    post = world.post(alice, urls=[OUR_LINK])
    plain = world.post(bob, "look at this", quoting=post)
    answer = world.post(carol, "agreed", quoting=post, replying_to=plain)
    world.post(bob, "unrelated", urls=[ELSEWHERE])

    # When
    quotes = x_source.quotes_of(_as_post(post, alice), budget=_budget())

    # Then
    assert [q.post_id for q in quotes] == [answer.id, plain.id]
    assert {(q.kind, q.parent_post_id) for q in quotes} == {("quote", post.id)}
    assert quotes[1].author.followers == 45
    assert quotes[1].url == f"https://x.com/bob/status/{plain.id}"
    (request,) = fake_x.requests_to("quote_tweets")
    assert request.params["max_results"] == "100"
    assert request.params["expansions"] == "author_id,referenced_tweets.id"


def test_quotes_follow_pages_up_to_the_cap(fake_x: FakeXApi) -> None:
    # Given: 250 quotes and a source that reads at most two pages
    world = fake_x.world
    alice, bob = world.user("alice"), world.user("bob")
    post = world.post(alice, urls=[OUR_LINK])
    start = datetime.now(UTC) - timedelta(days=1)
    for i in range(250):
        world.post(bob, f"quote {i}", quoting=post, at=start + timedelta(minutes=i))
    source = XSource(fake_x.base_url, fake_x.token, max_lookup_pages=2)
    budget = _budget()

    # When
    quotes = source.quotes_of(_as_post(post, alice), budget=budget)

    # Then: the newest 200, two requests, the second with X's pagination_token
    assert len(quotes) == 200
    assert len({q.post_id for q in quotes}) == 200
    requests = fake_x.requests_to("quote_tweets")
    assert len(requests) == budget.spent == 2
    assert "pagination_token" not in requests[0].params
    assert requests[1].params["pagination_token"]
    source.close()


def test_refresh_reads_current_metrics_a_hundred_ids_at_a_time(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: 250 tracked posts, one of them deleted since, and an id asked twice
    world = fake_x.world
    jay = world.user("jay", followers=300)
    tweets = [world.post(jay, urls=[OUR_LINK], metrics={"like_count": i}) for i in range(250)]
    deleted = tweets.pop(17)
    del world.tweets[deleted.id]
    ids = [deleted.id, *[t.id for t in tweets], tweets[0].id]
    budget = _budget()

    # When
    posts = x_source.refresh(ids, budget=budget)

    # Then
    requests = fake_x.requests_to("lookup")
    assert [len(r.params["ids"].split(",")) for r in requests] == [100, 100, 50]
    assert budget.spent == 3
    by_id = _posts_by_id(posts)
    assert set(by_id) == {t.id for t in tweets}
    assert by_id[tweets[42].id].metrics["like_count"] == tweets[42].metrics["like_count"]
    assert by_id[tweets[42].id].author.followers == 300


def test_refresh_of_a_repost_gives_the_repost_its_own_id_and_parent(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given
    world = fake_x.world
    alice, bob = world.user("alice"), world.user("bob")
    post = world.post(alice, urls=[OUR_LINK])
    repost = world.post(bob, f"RT @alice: {OUR_LINK}", reposting=post)

    # When
    (found,) = x_source.refresh([repost.id], budget=_budget())

    # Then
    assert (found.kind, found.post_id, found.parent_post_id) == ("repost", repost.id, post.id)


def test_refresh_of_nothing_asks_nothing(fake_x: FakeXApi, x_source: XSource) -> None:
    # When
    posts = x_source.refresh([], budget=_budget())

    # Then
    assert posts == []
    assert fake_x.requests == []


def test_a_repost_known_only_by_its_reposter_cannot_be_looked_up(x_source: XSource) -> None:
    # Given
    bob = Author("2", "bob", None, None)
    repost = Post("x", None, None, "repost", bob, "1", None)

    # When / Then
    with pytest.raises(ValueError, match="own id"):
        x_source.quotes_of(repost, budget=_budget())


# --- rate limits and the budget ----------------------------------------------------------


def test_a_429_raises_rate_limited_with_xs_reset_and_stops_that_endpoint(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: X has no search requests left until the reset
    reset = _epoch_in(600)
    fake_x.set_rate_limit("search", remaining=0, reset=reset)

    # When
    with pytest.raises(RateLimited) as raised:
        _search(x_source)

    # Then: the reset comes from the header, and the next call does not ask again
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    with pytest.raises(RateLimited) as again:
        _search(x_source)
    assert again.value.reset_at == raised.value.reset_at
    assert len(fake_x.requests_to("search")) == 1


def test_a_429_without_a_reset_waits_a_whole_window(fake_x: FakeXApi) -> None:
    # Given
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    source = XSource(fake_x.base_url, fake_x.token, now=lambda: now)
    fake_x.fail(
        "search",
        status=429,
        body=b'{"title":"Too Many Requests"}',
        headers={"x-rate-limit-reset": ""},
    )

    # When
    with pytest.raises(RateLimited) as raised:
        _search(source)

    # Then
    assert raised.value.reset_at == now + timedelta(minutes=15)
    source.close()


def test_the_last_request_of_a_window_is_read_and_the_next_one_is_not_sent(
    fake_x: FakeXApi,
) -> None:
    # Given: one search request left in X's window; the search limit is X's, not the
    # lookup's
    clock = [datetime.now(UTC)]
    source = XSource(fake_x.base_url, fake_x.token, now=lambda: clock[0])
    kim = fake_x.world.user("kim")
    post = fake_x.world.post(kim, urls=[OUR_LINK])
    reset = _epoch_in(300)
    fake_x.set_rate_limit("search", remaining=1, reset=reset)

    # When
    page = _search(source)
    with pytest.raises(RateLimited) as raised:
        _search(source)
    refreshed = source.refresh([post.id], budget=_budget())

    # Then
    assert [p.post_id for p in page.posts] == [post.id]
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert len(fake_x.requests_to("search")) == 1
    assert [p.post_id for p in refreshed] == [post.id]

    # When: the window has passed
    clock[0] = datetime.fromtimestamp(reset + 1, UTC)
    fake_x.set_rate_limit("search", remaining=450, reset=_epoch_in(900))
    _search(source)

    # Then
    assert len(fake_x.requests_to("search")) == 2
    source.close()


def test_a_spent_budget_stops_before_any_request(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given
    budget = RequestBudget(0)

    # When / Then
    with pytest.raises(BudgetExhausted):
        _search(x_source, budget=budget)
    with pytest.raises(BudgetExhausted):
        x_source.refresh(["1"], budget=budget)
    assert fake_x.requests == []


def test_the_budget_runs_out_between_pages(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given: 250 quotes, three pages, a budget of two requests
    world = fake_x.world
    alice, bob = world.user("alice"), world.user("bob")
    post = world.post(alice, urls=[OUR_LINK])
    for i in range(250):
        world.post(bob, f"quote {i}", quoting=post)
    budget = RequestBudget(2)

    # When / Then
    with pytest.raises(BudgetExhausted):
        x_source.quotes_of(_as_post(post, alice), budget=budget)
    assert len(fake_x.requests_to("quote_tweets")) == 2


# --- failures ----------------------------------------------------------------------------


def test_a_5xx_on_page_two_is_source_unavailable(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given
    world = fake_x.world
    lee = world.user("lee")
    for _ in range(150):
        world.post(lee, urls=[OUR_LINK])
    fake_x.fail("search", on_call=2, status=503)
    first = _search(x_source)

    # When / Then
    with pytest.raises(SourceUnavailable, match="503"):
        _search(x_source, next_token=first.next_token)
    assert len(first.posts) == 100


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"data": [{"id": "1", "te', id="cut-off JSON"),
        pytest.param(b"<html>Bad gateway</html>", id="not JSON"),
        pytest.param(b'{"unexpected": true}', id="no data, meta or errors"),
        pytest.param(b'["a", "list"]', id="not an object"),
        pytest.param(b'{"data": [{"id": "1"}], "meta": {}}', id="post without author_id"),
        pytest.param(b'{"data": {"id": "1"}, "meta": {}}', id="data not a list"),
    ],
)
def test_a_body_that_is_not_what_x_sends_is_source_unavailable(
    fake_x: FakeXApi, x_source: XSource, body: bytes
) -> None:
    # Given
    fake_x.fail("search", status=200, body=body)

    # When / Then
    with pytest.raises(SourceUnavailable):
        _search(x_source)


def test_malformed_json_from_the_lookup_is_source_unavailable(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given
    fake_x.malformed("lookup")

    # When / Then
    with pytest.raises(SourceUnavailable, match="malformed JSON"):
        x_source.refresh(["1"], budget=_budget())


def test_an_expired_since_id_is_since_id_too_old_and_start_time_takes_over(
    fake_x: FakeXApi, x_source: XSource
) -> None:
    # Given: the stored since_id is older than X's 7 days
    world = fake_x.world
    max_ = world.user("max")
    stale = world.post(max_, urls=[OUR_LINK], at=datetime.now(UTC) - timedelta(days=9))
    fresh = world.post(max_, urls=[OUR_LINK], at=datetime.now(UTC) - timedelta(days=1))
    fake_x.oldest_since_id = int(stale.id) + 1

    # When
    with pytest.raises(SinceIdTooOld, match=stale.id):
        _search(x_source, since_id=stale.id)
    page = _search(x_source, start_time=datetime.now(UTC) - timedelta(days=10))

    # Then
    assert [p.post_id for p in page.posts] == [fresh.id]


def test_a_wrong_token_is_a_clear_refusal_that_never_shows_the_token(
    fake_x: FakeXApi,
) -> None:
    # Given
    secret = "AAAAAAAAAAAAAAAAAAAAAsecret-token-value"
    source = XSource(fake_x.base_url, secret)

    # When
    with pytest.raises(SourceRejected) as raised:
        _search(source)

    # Then
    assert raised.value.status == 401
    assert "bearer token" in str(raised.value)
    assert secret not in str(raised.value)
    assert secret not in repr(raised.value)
    assert secret not in repr(source)
    source.close()


def test_an_app_without_access_is_a_403_refusal(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given
    fake_x.forbidden = True

    # When / Then
    with pytest.raises(SourceRejected, match="403") as raised:
        _search(x_source)
    assert raised.value.status == 403
    assert "Client Forbidden" in str(raised.value)


def test_a_timeout_is_source_unavailable(fake_x: FakeXApi) -> None:
    # Given
    source = XSource(fake_x.base_url, fake_x.token, timeout=0.2)
    fake_x.hang("search", 1.0)

    # When / Then
    with pytest.raises(SourceUnavailable, match="Timeout"):
        _search(source)
    source.close()


def test_an_unreachable_x_is_source_unavailable() -> None:
    # Given: a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = XSource(f"http://127.0.0.1:{port}", "token", timeout=1.0)

    # When / Then
    with pytest.raises(SourceUnavailable):
        _search(source)
    source.close()


# --- the fake itself ---------------------------------------------------------------------


def test_the_adapter_builds_no_query_but_a_bare_host(fake_x: FakeXApi, x_source: XSource) -> None:
    # When / Then
    with pytest.raises(ValueError, match="bare host"):
        x_source.search(
            "jt.example OR x", since_id=None, start_time=None, next_token=None, budget=_budget()
        )
    assert fake_x.requests == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"query": "hiring"}, "query"),
        ({"query": f'url:"{HOST}"', "max_results": "500"}, "max_results"),
        ({"query": f'url:"{HOST}"', "exclude": "retweets"}, "exclude"),
    ],
)
def test_the_fake_answers_xs_400_to_what_x_refuses(
    fake_x: FakeXApi, query: dict[str, str], parameter: str
) -> None:
    # Given
    world: XWorld = fake_x.world
    world.post(world.user("ned"), urls=[OUR_LINK])

    # When
    answer = urllib3.request(
        "GET",
        f"{fake_x.base_url}/2/tweets/search/recent",
        fields=query,
        headers={"Authorization": f"Bearer {fake_x.token}"},
    )

    # Then
    assert answer.status == 400
    body = json.loads(answer.data)
    assert body["title"] == "Invalid Request"
    assert parameter in body["errors"][0]["parameters"]


# --- the members of a List -----------------------------------------------------------------


def _list_of(fake_x: FakeXApi, size: int) -> list[User]:
    members = [fake_x.world.user(f"member{i}", followers=i) for i in range(size)]
    fake_x.world.lists["1402"] = [user.id for user in members]
    return members


def test_the_members_of_a_list_are_read_page_by_page(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given: a List of 150, two pages
    members = _list_of(fake_x, 150)

    # When
    budget = _budget(5)
    found = x_source.list_members("1402", budget=budget)

    # Then: everyone, with their followers, in two requests asked as X documents
    assert [a.handle for a in found] == [u.username for u in members]
    assert found[149].followers == 149
    asked = fake_x.requests_to("list_members")
    assert [r.params.get("pagination_token") for r in asked] == [None, "pt100"]
    assert asked[0].params["user.fields"] == "public_metrics,username,name"
    assert asked[0].params["max_results"] == "100"


def test_a_429_on_a_list_page_raises_rate_limited(fake_x: FakeXApi, x_source: XSource) -> None:
    # Given: the second page is refused
    _list_of(fake_x, 150)
    reset = _epoch_in(600)
    fake_x.fail(
        "list_members",
        on_call=2,
        status=429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )

    # When / Then
    with pytest.raises(RateLimited) as raised:
        x_source.list_members("1402", budget=_budget())
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)


def test_a_list_read_stops_at_the_budget(fake_x: FakeXApi, x_source: XSource) -> None:
    _list_of(fake_x, 250)
    with pytest.raises(BudgetExhausted):
        x_source.list_members("1402", budget=_budget(2))
    assert len(fake_x.requests_to("list_members")) == 2
