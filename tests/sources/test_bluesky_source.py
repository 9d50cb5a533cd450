"""The Bluesky source against the fake PDS/AppView: how it signs in and keeps its session,
what it asks, how it reads the AppView's post views into posts, and what it raises when
Bluesky refuses, limits, breaks or is out of reach."""

from __future__ import annotations

import json
import socket
import time
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3

from jobtrail.domain.times import iso
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
from jobtrail.sources.bluesky import BlueskySource
from tests.fakes.bluesky_appview import (
    CREATE_SESSION,
    GET_POSTS,
    GET_PROFILES,
    GET_QUOTES,
    GET_REPOSTED_BY,
    REFRESH_SESSION,
    SEARCH_POSTS,
    Account,
    BskyPost,
    FakeBluesky,
    running_fake_bluesky,
)

HOST = "jt.example"
OUR_LINK = f"https://{HOST}/r/abc123"
OTHER_OF_OURS = f"https://{HOST}/r/zzz999"  # our host, a slug nobody tracks
ELSEWHERE = "https://example.org/jobs/42"


@pytest.fixture
def fake_bsky() -> Iterator[FakeBluesky]:
    """A running fake Bluesky with an empty world; the test fills ``fake_bsky.world``."""
    with running_fake_bluesky() as fake:
        yield fake


@pytest.fixture
def bsky_source(fake_bsky: FakeBluesky) -> Iterator[BlueskySource]:
    source = BlueskySource(fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password, timeout=2)
    yield source
    source.close()


def _budget(limit: int = 50) -> RequestBudget:
    return RequestBudget(limit)


def _search(source: BlueskySource, **overrides: Any) -> SearchPage:
    arguments: dict[str, Any] = {
        "since_id": None,
        "start_time": None,
        "next_token": None,
        "budget": _budget(),
    }
    arguments.update(overrides)
    return source.search(HOST, **arguments)


def _as_post(post: BskyPost, account: Account) -> Post:
    """The post as the poller holds it after a search."""
    return Post(
        platform="bluesky",
        post_id=post.uri,
        url=f"https://bsky.app/profile/{account.handle}/post/{post.rkey}",
        kind="post",
        author=Author(account.did, account.handle, account.display_name, account.followers),
        parent_post_id=None,
        created_at=post.created_at,
    )


def _by_id(posts: Sequence[Post]) -> dict[str | None, Post]:
    return {post.post_id: post for post in posts}


def _epoch_in(seconds: int) -> int:
    return int(time.time()) + seconds


# --- signing in and searching: what it asks ----------------------------------------------


def test_search_signs_in_then_asks_for_the_newest_posts_linking_to_the_host(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    alice = fake_bsky.world.account("alice", followers=1200)
    fake_bsky.world.post(alice, links=[OUR_LINK])
    budget = _budget()

    # When
    _search(bsky_source, budget=budget)

    # Then: one sign-in with the handle and app password, then the search with its JWT
    (sign_in,) = fake_bsky.requests_to(CREATE_SESSION)
    assert sign_in.method == "POST"
    assert json.loads(sign_in.body) == {
        "identifier": fake_bsky.handle,
        "password": fake_bsky.app_password,
    }
    assert sign_in.authorization is None
    (search,) = fake_bsky.requests_to(SEARCH_POSTS)
    assert search.method == "GET"
    assert search.params == {
        "q": [HOST],
        "domain": [HOST],
        "sort": ["latest"],
        "limit": ["100"],
    }
    assert search.authorization is not None
    assert search.authorization.removeprefix("Bearer ") in fake_bsky.issued_tokens()
    assert str(search.user_agent).startswith("jobtrail")
    (profiles,) = fake_bsky.requests_to(GET_PROFILES)
    assert profiles.params == {"actors": [alice.did]}
    assert budget.spent == 3


def test_search_reads_posts_quotes_and_replies_with_their_parents_and_authors(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: Alice posts the link, Bob quotes her with the link as a card, Carol replies to
    # Bob with the link, Dan quotes Alice with an image and the link in his text
    world = fake_bsky.world
    alice = world.account("alice", followers=1200, name="Alice Recruiter")
    bob = world.account("bob", followers=45)
    carol = world.account("carol", followers=0)
    dan = world.account("dan", followers=3)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    post = world.post(alice, f"We are hiring {OUR_LINK}", links=[OUR_LINK], at=start, likes=7)
    quote = world.post(bob, "look", external=OUR_LINK, quoting=post, at=start + timedelta(hours=1))
    reply = world.post(carol, links=[OUR_LINK], replying_to=quote, at=start + timedelta(hours=2))
    media = world.post(
        dan, links=[OUR_LINK], quoting=post, with_media=True, at=start + timedelta(minutes=90)
    )
    world.repost(post, bob, carol)

    # When
    page = _search(bsky_source)

    # Then: newest first, each with its kind, parent, author and address
    assert [p.post_id for p in page.posts] == [reply.uri, media.uri, quote.uri, post.uri]
    assert page.newest_id == iso(reply.created_at)
    assert page.next_token is None
    by_id = _by_id(page.posts)
    assert (by_id[post.uri].kind, by_id[post.uri].parent_post_id) == ("post", None)
    assert (by_id[quote.uri].kind, by_id[quote.uri].parent_post_id) == ("quote", post.uri)
    assert (by_id[media.uri].kind, by_id[media.uri].parent_post_id) == ("quote", post.uri)
    assert (by_id[reply.uri].kind, by_id[reply.uri].parent_post_id) == ("reply", quote.uri)
    first = by_id[post.uri]
    assert first.platform == "bluesky"
    assert first.post_id == f"at://{alice.did}/app.bsky.feed.post/{post.rkey}"
    assert first.url == f"https://bsky.app/profile/alice.bsky.social/post/{post.rkey}"
    assert first.created_at == start
    assert first.author == Author(alice.did, "alice.bsky.social", "Alice Recruiter", 1200)
    assert by_id[quote.uri].author.followers == 45
    assert first.linked_urls == (OUR_LINK,)
    assert by_id[quote.uri].linked_urls == (OUR_LINK,)
    assert first.metrics == {
        "repost_count": 2,
        "quote_count": 2,
        "reply_count": 0,
        "like_count": 7,
        "bookmark_count": 0,
    }


def test_search_keeps_every_post_on_the_short_host_and_nothing_from_elsewhere(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: posts with our link, another of our links, ours and another site's, a card,
    # and noise that names the host in its text but links elsewhere; Bluesky ignores
    # ``domain`` (it "may normalise" it), so only the adapter's own check filters
    world = fake_bsky.world
    fake_bsky.honour_domain = False
    eve = world.account("eve", followers=3)
    ours = world.post(eve, links=[OUR_LINK])
    untracked = world.post(eve, links=[OTHER_OF_OURS])
    mixed = world.post(eve, links=[ELSEWHERE, OUR_LINK])
    card = world.post(eve, "see the card", external=OUR_LINK)
    for _ in range(5):
        world.post(eve, f"{HOST} is down, see", links=[ELSEWHERE])
    world.post(eve, f"https://{HOST}.evil.example/x", links=[f"https://{HOST}.evil.example/x"])

    # When
    page = _search(bsky_source)

    # Then: matching the slug is the poller's job
    by_id = _by_id(page.posts)
    assert set(by_id) == {ours.uri, untracked.uri, mixed.uri, card.uri}
    assert by_id[untracked.uri].linked_urls == (OTHER_OF_OURS,)
    assert by_id[mixed.uri].linked_urls == (ELSEWHERE, OUR_LINK)
    assert by_id[card.uri].linked_urls == (OUR_LINK,)


def test_search_follows_the_cursor_with_the_same_watermark_on_every_page(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: 150 new posts after the last one the poller saw
    world = fake_bsky.world
    fay = world.account("fay", followers=10)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    seen = world.post(fay, links=[OUR_LINK], at=start)
    new = [
        world.post(fay, links=[OUR_LINK], at=start + timedelta(minutes=i + 1)) for i in range(150)
    ]
    watermark = iso(seen.sort_at)
    budget = _budget()

    # When
    first = bsky_source.search(
        HOST, since_id=watermark, start_time=None, next_token=None, budget=budget
    )
    second = bsky_source.search(
        HOST, since_id=watermark, start_time=None, next_token=first.next_token, budget=budget
    )

    # Then: two pages, newest first, nothing twice, nothing at or before the watermark
    assert len(first.posts) == 100
    assert first.newest_id == iso(new[-1].created_at)
    assert first.next_token is not None
    assert len(second.posts) == 50
    assert second.next_token is None
    found = [p.post_id for p in [*first.posts, *second.posts]]
    assert found == [p.uri for p in reversed(new)]
    requests = fake_bsky.requests_to(SEARCH_POSTS)
    assert [r.param("since") for r in requests] == [watermark, watermark]
    assert [r.param("cursor") for r in requests] == [None, first.next_token]
    # sign-in, two pages, one profile look-up for the one author
    assert budget.spent == 4


def test_the_next_poll_from_newest_id_reads_no_post_twice(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: a first poll, then two new posts
    world = fake_bsky.world
    gus = world.account("gus")
    now = datetime.now(UTC).replace(microsecond=0)
    world.post(gus, links=[OUR_LINK], at=now - timedelta(minutes=30))
    world.post(gus, links=[OUR_LINK], at=now - timedelta(minutes=20))
    first = _search(bsky_source, start_time=now - timedelta(hours=1))
    later = [world.post(gus, links=[OUR_LINK], at=now - timedelta(minutes=m)) for m in (10, 5)]

    # When
    second = _search(bsky_source, since_id=first.newest_id)

    # Then: the boundary post (Bluesky's since is inclusive) is not read again
    assert len(first.posts) == 2
    assert [p.post_id for p in second.posts] == [later[1].uri, later[0].uri]
    assert second.newest_id == iso(later[1].created_at)


def test_a_post_dated_in_the_future_sorts_by_when_bluesky_indexed_it(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: a client with its clock a day ahead
    hal = fake_bsky.world.account("hal")
    now = datetime.now(UTC).replace(microsecond=0)
    post = fake_bsky.world.post(hal, links=[OUR_LINK], at=now + timedelta(days=1), indexed_at=now)

    # When
    page = _search(bsky_source)

    # Then: created_at is the author's word, the watermark is Bluesky's sortAt
    (found,) = page.posts
    assert found.created_at == post.created_at
    assert page.newest_id == iso(now)


def test_lookback_catches_a_post_indexed_late_behind_the_watermark(
    fake_bsky: FakeBluesky,
) -> None:
    # Given: the last poll's newest post, then a post written a minute before it that
    # Bluesky indexed only now
    world = fake_bsky.world
    ivy = world.account("ivy")
    now = datetime.now(UTC).replace(microsecond=0)
    seen = world.post(ivy, links=[OUR_LINK], at=now - timedelta(minutes=5))
    late = world.post(ivy, links=[OUR_LINK], at=now - timedelta(minutes=6), indexed_at=now)
    strict = BlueskySource(fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password)
    patient = BlueskySource(
        fake_bsky.base_url,
        fake_bsky.handle,
        fake_bsky.app_password,
        lookback=timedelta(minutes=2),
    )

    # When
    missed = _search(strict, since_id=iso(seen.sort_at))
    caught = _search(patient, since_id=iso(seen.sort_at))

    # Then: with a lookback the late post is found (and the seen one read again)
    assert missed.posts == []
    assert [p.post_id for p in caught.posts] == [seen.uri, late.uri]
    assert caught.newest_id is None  # nothing newer than the watermark: the poller keeps it
    assert fake_bsky.requests_to(SEARCH_POSTS)[1].param("since") == iso(
        seen.sort_at - timedelta(minutes=2)
    )
    strict.close()
    patient.close()


def test_search_from_a_start_time_sends_it_as_since(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    jay = fake_bsky.world.account("jay")
    now = datetime.now(UTC).replace(microsecond=0)
    fake_bsky.world.post(jay, links=[OUR_LINK], at=now - timedelta(hours=5))
    recent = fake_bsky.world.post(jay, links=[OUR_LINK], at=now - timedelta(hours=1))
    since = now - timedelta(hours=2)

    # When
    page = _search(bsky_source, start_time=since)

    # Then
    assert [p.post_id for p in page.posts] == [recent.uri]
    (request,) = fake_bsky.requests_to(SEARCH_POSTS)
    assert request.param("since") == iso(since)


def test_a_since_id_that_is_no_watermark_is_since_id_too_old_before_asking(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # When / Then: the poller falls back to start_time
    with pytest.raises(SinceIdTooOld):
        _search(bsky_source, since_id="at://did:plc:abc/app.bsky.feed.post/3k")
    with pytest.raises(ValueError, match="not both"):
        _search(bsky_source, since_id=iso(datetime.now(UTC)), start_time=datetime.now(UTC))
    with pytest.raises(ValueError, match="bare host"):
        bsky_source.search(
            "jt.example/r", since_id=None, start_time=None, next_token=None, budget=_budget()
        )
    assert fake_bsky.requests == []


def test_an_empty_search_has_no_newest_id_or_cursor(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: only noise
    kim = fake_bsky.world.account("kim")
    fake_bsky.world.post(kim, links=[ELSEWHERE])

    # When
    page = _search(bsky_source)

    # Then
    assert page.posts == []
    assert page.newest_id is None
    assert page.next_token is None


def test_an_author_whose_handle_does_not_verify_gets_a_url_by_did(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    odd = fake_bsky.world.account("handle.invalid", name="")
    post = fake_bsky.world.post(odd, links=[OUR_LINK])

    # When
    (found,) = _search(bsky_source).posts

    # Then
    assert found.url == f"https://bsky.app/profile/{odd.did}/post/{post.rkey}"
    assert found.author.name is None


# --- follower counts ---------------------------------------------------------------------


def test_follower_counts_are_looked_up_once_per_author_per_run_25_at_a_time(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: 30 authors, one of them gone from the AppView's profiles
    world = fake_bsky.world
    authors = [world.account(f"user{i}", followers=i * 10) for i in range(30)]
    for author in authors:
        world.post(author, links=[OUR_LINK])
    world.taken_down.add(authors[3].did)

    # When: two polls in one run
    first = _search(bsky_source)
    _search(bsky_source)

    # Then
    requests = fake_bsky.requests_to(GET_PROFILES)
    assert [len(r.params["actors"]) for r in requests] == [25, 5]
    followers = {p.author.handle: p.author.followers for p in first.posts}
    assert followers["user7.bsky.social"] == 70
    assert followers["user3.bsky.social"] is None


def test_follower_counts_are_looked_up_again_once_they_are_an_hour_old(
    fake_bsky: FakeBluesky,
) -> None:
    # Given: a source kept warm across runs, and an author who gains followers
    clock = [datetime.now(UTC)]
    source = BlueskySource(
        fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password, now=lambda: clock[0]
    )
    pia = fake_bsky.world.account("pia", followers=10)
    post = fake_bsky.world.post(pia, links=[OUR_LINK])
    (before,) = source.refresh([post.uri], budget=_budget())
    pia.followers = 500

    # When: a run half an hour later, and one more than an hour later
    clock[0] += timedelta(minutes=30)
    (soon,) = source.refresh([post.uri], budget=_budget())
    clock[0] += timedelta(minutes=31)
    (later,) = source.refresh([post.uri], budget=_budget())

    # Then
    assert [p.author.followers for p in (before, soon, later)] == [10, 10, 500]
    assert len(fake_bsky.requests_to(GET_PROFILES)) == 2
    source.close()


def test_follower_counts_can_be_left_out(fake_bsky: FakeBluesky) -> None:
    # Given
    lee = fake_bsky.world.account("lee", followers=99)
    fake_bsky.world.post(lee, links=[OUR_LINK])
    source = BlueskySource(
        fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password, follower_counts=False
    )

    # When
    (found,) = _search(source).posts

    # Then
    assert found.author.followers is None
    assert fake_bsky.requests_to(GET_PROFILES) == []
    source.close()


# --- reposts, quotes and refresh ---------------------------------------------------------


def test_reposts_are_the_reposters_with_no_id_url_or_time_of_their_own(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    world = fake_bsky.world
    alice = world.account("alice", followers=1200)
    bob = world.account("bob", followers=45, name="Bob B")
    carol = world.account("carol", followers=7)
    post = world.post(alice, links=[OUR_LINK])
    world.repost(post, bob, carol)

    # When
    reposts = bsky_source.reposts_of(_as_post(post, alice), budget=_budget())

    # Then: newest reposter first, followers from the profiles
    assert [r.author.handle for r in reposts] == ["carol.bsky.social", "bob.bsky.social"]
    bob_repost = reposts[1]
    assert bob_repost.platform == "bluesky"
    assert bob_repost.kind == "repost"
    assert bob_repost.post_id is None
    assert bob_repost.url is None
    assert bob_repost.created_at is None
    assert bob_repost.parent_post_id == post.uri
    assert bob_repost.author == Author(bob.did, "bob.bsky.social", "Bob B", 45)
    (request,) = fake_bsky.requests_to(GET_REPOSTED_BY)
    assert request.params == {"uri": [post.uri], "limit": ["100"]}


def test_the_reposter_list_is_read_again_as_it_changes(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    world = fake_bsky.world
    alice = world.account("alice")
    bob, carol, dan = world.account("bob"), world.account("carol"), world.account("dan")
    post = world.post(alice, links=[OUR_LINK])
    world.repost(post, bob, carol)
    first = bsky_source.reposts_of(_as_post(post, alice), budget=_budget())

    # When: Carol takes hers back and Dan reposts
    world.unrepost(post, carol)
    world.repost(post, dan)
    second = bsky_source.reposts_of(_as_post(post, alice), budget=_budget())

    # Then
    assert [r.author.id for r in first] == [carol.did, bob.did]
    assert [r.author.id for r in second] == [dan.did, bob.did]


def test_reposters_follow_the_cursor_up_to_the_cap(fake_bsky: FakeBluesky) -> None:
    # Given: 250 reposters and a source that reads at most two pages
    world = fake_bsky.world
    alice = world.account("alice")
    post = world.post(alice, links=[OUR_LINK])
    fans = [world.account(f"fan{i}") for i in range(250)]
    world.repost(post, *fans)
    source = BlueskySource(
        fake_bsky.base_url,
        fake_bsky.handle,
        fake_bsky.app_password,
        max_lookup_pages=2,
        follower_counts=False,
    )

    # When
    reposts = source.reposts_of(_as_post(post, alice), budget=_budget())

    # Then: the newest 200, the second page asked with Bluesky's cursor
    assert [r.author.handle for r in reposts] == [f"fan{i}.bsky.social" for i in range(249, 49, -1)]
    requests = fake_bsky.requests_to(GET_REPOSTED_BY)
    assert [r.param("cursor") for r in requests] == [None, "100"]
    source.close()


def test_quotes_are_posts_whose_parent_is_the_quoted_post(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: Bob quotes Alice; Carol quotes her while replying to Bob; noise elsewhere
    world = fake_bsky.world
    alice = world.account("alice")
    bob, carol = world.account("bob", followers=45), world.account("carol")
    now = datetime.now(UTC)
    post = world.post(alice, links=[OUR_LINK], at=now - timedelta(minutes=3))
    plain = world.post(bob, "look at this", quoting=post, at=now - timedelta(minutes=2))
    answer = world.post(
        carol, "agreed", quoting=post, replying_to=plain, at=now - timedelta(minutes=1)
    )
    world.post(bob, "unrelated", links=[ELSEWHERE])

    # When
    quotes = bsky_source.quotes_of(_as_post(post, alice), budget=_budget())

    # Then
    assert [q.post_id for q in quotes] == [answer.uri, plain.uri]
    assert {(q.kind, q.parent_post_id) for q in quotes} == {("quote", post.uri)}
    assert quotes[1].author.followers == 45
    assert quotes[1].url == f"https://bsky.app/profile/bob.bsky.social/post/{plain.rkey}"
    assert quotes[1].linked_urls == ()
    (request,) = fake_bsky.requests_to(GET_QUOTES)
    assert request.params == {"uri": [post.uri], "limit": ["100"]}


def test_refresh_reads_current_counts_25_uris_at_a_time(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: 60 tracked posts, one deleted since, and a URI asked twice
    world = fake_bsky.world
    mia = world.account("mia", followers=300)
    posts = [world.post(mia, links=[OUR_LINK], likes=i) for i in range(60)]
    deleted = posts.pop(17)
    del world.posts[deleted.uri]
    uris = [deleted.uri, *[p.uri for p in posts], posts[0].uri]
    budget = _budget()

    # When
    found = bsky_source.refresh(uris, budget=budget)

    # Then: three getPosts with repeated ``uris``, one profile look-up, one sign-in
    requests = fake_bsky.requests_to(GET_POSTS)
    assert [len(r.params["uris"]) for r in requests] == [25, 25, 10]
    assert budget.spent == 5
    by_id = _by_id(found)
    assert set(by_id) == {p.uri for p in posts}
    assert by_id[posts[42].uri].metrics["like_count"] == posts[42].likes
    assert by_id[posts[42].uri].author.followers == 300


def test_refresh_of_nothing_asks_nothing(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # When
    posts = bsky_source.refresh([], budget=_budget())

    # Then: not even a sign-in
    assert posts == []
    assert fake_bsky.requests == []


def test_a_repost_known_only_by_its_reposter_cannot_be_looked_up(
    bsky_source: BlueskySource,
) -> None:
    # Given
    bob = Author("did:plc:bob", "bob.bsky.social", None, None)
    repost = Post("bluesky", None, None, "repost", bob, "at://did:plc:a/app.bsky.feed.post/1", None)

    # When / Then
    with pytest.raises(ValueError, match="own URI"):
        bsky_source.quotes_of(repost, budget=_budget())
    with pytest.raises(ValueError, match="not a Bluesky post URI"):
        bsky_source.refresh(["12345"], budget=_budget())


# --- the session -------------------------------------------------------------------------


def test_one_sign_in_serves_every_call_of_the_run(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    alice = fake_bsky.world.account("alice")
    post = fake_bsky.world.post(alice, links=[OUR_LINK])

    # When
    _search(bsky_source)
    bsky_source.reposts_of(_as_post(post, alice), budget=_budget())
    bsky_source.quotes_of(_as_post(post, alice), budget=_budget())
    bsky_source.refresh([post.uri], budget=_budget())

    # Then
    assert len(fake_bsky.requests_to(CREATE_SESSION)) == 1


def test_an_expired_access_token_is_refreshed_and_the_call_repeated(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: a session whose access JWT has since expired
    alice = fake_bsky.world.account("alice")
    post = fake_bsky.world.post(alice, links=[OUR_LINK])
    _search(bsky_source)
    fake_bsky.expire_access_tokens()
    budget = _budget()

    # When
    (found,) = bsky_source.refresh([post.uri], budget=budget)

    # Then: refused once, refreshed with the refresh JWT, asked again; all three paid for
    assert found.post_id == post.uri
    (refresh,) = fake_bsky.requests_to(REFRESH_SESSION)
    assert refresh.method == "POST"
    assert refresh.authorization is not None
    (first_access, first_refresh), (second_access, _) = fake_bsky.issued
    assert refresh.authorization == f"Bearer {first_refresh}"
    asked = fake_bsky.requests_to(GET_POSTS)
    assert len(asked) == 2
    assert [r.authorization for r in asked] == [
        f"Bearer {first_access}",
        f"Bearer {second_access}",
    ]
    assert budget.spent == 3
    assert len(fake_bsky.requests_to(CREATE_SESSION)) == 1


def test_a_session_too_old_to_refresh_signs_in_again(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    alice = fake_bsky.world.account("alice")
    fake_bsky.world.post(alice, links=[OUR_LINK])
    _search(bsky_source)
    fake_bsky.expire_access_tokens()
    fake_bsky.expire_refresh_tokens()

    # When
    page = _search(bsky_source)

    # Then
    assert len(page.posts) == 1
    assert len(fake_bsky.requests_to(REFRESH_SESSION)) == 1
    assert len(fake_bsky.requests_to(CREATE_SESSION)) == 2


def test_a_wrong_app_password_is_a_clear_refusal_that_never_shows_it(
    fake_bsky: FakeBluesky,
) -> None:
    # Given
    secret = "wxyz-wrong-pass-word"
    source = BlueskySource(fake_bsky.base_url, fake_bsky.handle, secret)

    # When
    with pytest.raises(SourceRejected) as raised:
        _search(source)

    # Then
    assert raised.value.status == 401
    assert "app password" in str(raised.value)
    assert "Invalid identifier or password" in str(raised.value)
    shown = "".join(traceback.format_exception(raised.value))
    assert secret not in shown
    assert secret not in repr(raised.value)
    assert secret not in repr(source)
    assert fake_bsky.requests_to(SEARCH_POSTS) == []
    source.close()


def test_an_account_asking_for_a_sign_in_code_is_refused_with_a_hint(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: the account's main password with two-factor sign-in, not an app password
    fake_bsky.auth_factor_required = True

    # When / Then
    with pytest.raises(SourceRejected, match="app password") as raised:
        _search(bsky_source)
    assert raised.value.status == 401


def test_a_refused_session_never_shows_the_tokens(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: a signed-in source, then a proxy that echoes the request's token in its error
    _search(bsky_source)
    ((access, _),) = fake_bsky.issued
    body = json.dumps({"error": "InvalidToken", "message": f"bad token {access}"}).encode()
    fake_bsky.fail(SEARCH_POSTS, status=401, body=body)

    # When
    with pytest.raises(SourceRejected) as raised:
        _search(bsky_source)

    # Then
    assert raised.value.status == 401
    assert "session was refused" in str(raised.value)
    assert all(token not in str(raised.value) for token in fake_bsky.issued_tokens())
    assert all(token not in repr(bsky_source) for token in fake_bsky.issued_tokens())


# --- rate limits and the budget ----------------------------------------------------------


def test_a_429_raises_rate_limited_with_blueskys_reset_and_stops_the_source(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: signed in, then the PDS has no requests left until the reset
    alice = fake_bsky.world.account("alice")
    post = fake_bsky.world.post(alice, links=[OUR_LINK])
    _search(bsky_source)
    reset = _epoch_in(600)
    fake_bsky.set_rate_limit(remaining=0, reset=reset)
    asked = len(fake_bsky.requests)

    # When
    with pytest.raises(RateLimited) as raised:
        _search(bsky_source)

    # Then: the reset comes from the header, and no other call asks again
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    with pytest.raises(RateLimited) as again:
        bsky_source.reposts_of(_as_post(post, alice), budget=_budget())
    assert again.value.reset_at == raised.value.reset_at
    assert len(fake_bsky.requests) == asked + 1


def test_a_429_without_a_reset_waits_a_whole_window(fake_bsky: FakeBluesky) -> None:
    # Given
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    source = BlueskySource(
        fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password, now=lambda: now
    )
    fake_bsky.fail(
        CREATE_SESSION,
        status=429,
        body=b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
        headers={"ratelimit-reset": ""},
    )

    # When
    with pytest.raises(RateLimited) as raised:
        _search(source)

    # Then
    assert raised.value.reset_at == now + timedelta(minutes=5)
    source.close()


def test_the_last_request_of_a_window_is_read_and_the_next_one_is_not_sent(
    fake_bsky: FakeBluesky,
) -> None:
    # Given: two requests left in the window (the sign-in and the search)
    clock = [datetime.now(UTC)]
    source = BlueskySource(
        fake_bsky.base_url,
        fake_bsky.handle,
        fake_bsky.app_password,
        now=lambda: clock[0],
        follower_counts=False,
    )
    ned = fake_bsky.world.account("ned")
    post = fake_bsky.world.post(ned, links=[OUR_LINK])
    reset = _epoch_in(300)
    fake_bsky.set_rate_limit(remaining=2, reset=reset)

    # When
    page = _search(source)
    with pytest.raises(RateLimited) as raised:
        source.refresh([post.uri], budget=_budget())

    # Then
    assert [p.post_id for p in page.posts] == [post.uri]
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert fake_bsky.requests_to(GET_POSTS) == []

    # When: the window has passed
    clock[0] = datetime.fromtimestamp(reset + 1, UTC)
    fake_bsky.set_rate_limit(remaining=3000, reset=_epoch_in(300))
    (found,) = source.refresh([post.uri], budget=_budget())

    # Then
    assert found.post_id == post.uri
    source.close()


def test_a_spent_budget_stops_before_any_request(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    budget = RequestBudget(0)

    # When / Then: not even the sign-in is sent
    with pytest.raises(BudgetExhausted):
        _search(bsky_source, budget=budget)
    with pytest.raises(BudgetExhausted):
        bsky_source.refresh(["at://did:plc:a/app.bsky.feed.post/1"], budget=budget)
    assert fake_bsky.requests == []


def test_the_budget_runs_out_between_pages(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: 250 quotes, three pages; two requests (the sign-in and one page)
    world = fake_bsky.world
    alice, bob = world.account("alice"), world.account("bob")
    post = world.post(alice, links=[OUR_LINK])
    for i in range(250):
        world.post(bob, f"quote {i}", quoting=post)

    # When / Then
    with pytest.raises(BudgetExhausted):
        bsky_source.quotes_of(_as_post(post, alice), budget=RequestBudget(2))
    assert len(fake_bsky.requests_to(GET_QUOTES)) == 1


# --- failures ----------------------------------------------------------------------------


def test_a_5xx_on_page_two_is_source_unavailable(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    world = fake_bsky.world
    oda = world.account("oda")
    for _ in range(150):
        world.post(oda, links=[OUR_LINK])
    fake_bsky.fail(SEARCH_POSTS, on_call=2, status=502)
    first = _search(bsky_source)

    # When / Then
    with pytest.raises(SourceUnavailable, match="502"):
        _search(bsky_source, next_token=first.next_token)
    assert len(first.posts) == 100


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"posts": [{"uri": "at://did:pl', id="cut-off JSON"),
        pytest.param(b"<html>Bad gateway</html>", id="not JSON"),
        pytest.param(b'{"unexpected": true}', id="no posts"),
        pytest.param(b'["a", "list"]', id="not an object"),
        pytest.param(b'{"posts": {"uri": "x"}}', id="posts not a list"),
        pytest.param(
            b'{"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "indexedAt": '
            b'"2026-01-01T00:00:00Z", "record": {}}]}',
            id="post without author",
        ),
        pytest.param(
            b'{"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "author": '
            b'{"did": "did:plc:a", "handle": "a.test"}, "record": {}}]}',
            id="post without indexedAt",
        ),
    ],
)
def test_a_body_that_is_not_what_bluesky_sends_is_source_unavailable(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource, body: bytes
) -> None:
    # Given
    fake_bsky.fail(SEARCH_POSTS, status=200, body=body)

    # When / Then
    with pytest.raises(SourceUnavailable):
        _search(bsky_source)


def test_malformed_json_from_get_posts_is_source_unavailable(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given
    fake_bsky.malformed(GET_POSTS)

    # When / Then
    with pytest.raises(SourceUnavailable, match="malformed JSON"):
        bsky_source.refresh(["at://did:plc:a/app.bsky.feed.post/1"], budget=_budget())


def test_a_record_its_author_wrote_oddly_does_not_spoil_the_page(
    fake_bsky: FakeBluesky, bsky_source: BlueskySource
) -> None:
    # Given: a post view whose record has an unreadable createdAt and odd facets
    view = {
        "uri": "at://did:plc:odd/app.bsky.feed.post/3kodd",
        "cid": "bafyreiodd",
        "author": {"did": "did:plc:odd", "handle": "odd.test", "followersCount": 4},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": OUR_LINK,
            "createdAt": "yesterday",
            "facets": [
                {"features": "nope"},
                "nope",
                {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": OUR_LINK}]},
            ],
            "embed": {"$type": "app.bsky.embed.record", "record": "nope"},
        },
        "indexedAt": "2026-11-25T10:00:00.000Z",
    }
    fake_bsky.fail(SEARCH_POSTS, status=200, body=json.dumps({"posts": [view]}).encode())

    # When
    page = _search(bsky_source)

    # Then
    (found,) = page.posts
    assert (found.kind, found.created_at, found.linked_urls) == ("post", None, (OUR_LINK,))
    assert found.author.followers == 4
    assert page.newest_id == "2026-11-25T10:00:00.000Z"


def test_a_timeout_is_source_unavailable(fake_bsky: FakeBluesky) -> None:
    # Given
    source = BlueskySource(
        fake_bsky.base_url, fake_bsky.handle, fake_bsky.app_password, timeout=0.2
    )
    fake_bsky.hang(SEARCH_POSTS, 1.0)

    # When / Then
    with pytest.raises(SourceUnavailable, match="Timeout"):
        _search(source)
    source.close()


def test_an_unreachable_bluesky_is_source_unavailable() -> None:
    # Given: a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = BlueskySource(f"http://127.0.0.1:{port}", "me.bsky.social", "pass-word", timeout=1)

    # When / Then
    with pytest.raises(SourceUnavailable) as raised:
        _search(source)
    assert "pass-word" not in "".join(traceback.format_exception(raised.value))
    source.close()


# --- the fake itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"q": HOST}, 401, "AuthenticationRequired"),
        ({"q": HOST, "limit": "500"}, 400, "InvalidRequest"),
        ({"q": HOST, "exclude": "reposts"}, 400, "InvalidRequest"),
    ],
)
def test_the_fake_answers_xrpc_errors_as_bluesky_does(
    fake_bsky: FakeBluesky, params: dict[str, str], status: int, error: str
) -> None:
    # Given
    session = json.loads(
        urllib3.request(
            "POST",
            f"{fake_bsky.base_url}/xrpc/{CREATE_SESSION}",
            json={"identifier": fake_bsky.handle, "password": fake_bsky.app_password},
        ).data
    )
    headers = {} if status == 401 else {"Authorization": f"Bearer {session['accessJwt']}"}

    # When
    answer = urllib3.request(
        "GET", f"{fake_bsky.base_url}/xrpc/{SEARCH_POSTS}", fields=params, headers=headers
    )

    # Then
    assert answer.status == status
    assert json.loads(answer.data)["error"] == error
    assert answer.headers["ratelimit-limit"] == "3000"
