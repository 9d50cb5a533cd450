"""Bluesky (the AT Protocol's AppView, through the account's PDS) as a share source.

The calls are XRPC: ``GET {base}/xrpc/<nsid>?...`` for queries and ``POST`` with a JSON body
for procedures, errors as ``{"error": "Name", "message": "..."}``.

- ``com.atproto.server.createSession`` with the handle and an app password gives an access
  JWT (the bearer of every other call) and a refresh JWT; ``com.atproto.server.refreshSession``
  trades the refresh JWT for a new pair when a call answers ``ExpiredToken``.
- ``app.bsky.feed.searchPosts`` with ``domain=<short host>`` and ``sort=latest``: the posts
  whose link facets or external embeds point at the short host, newest first, ``cursor``
  paged.
- ``app.bsky.feed.getRepostedBy``: who reposted a post. Bluesky gives profiles, not the repost
  records, so a repost's own id, URL and time stay ``None``.
- ``app.bsky.feed.getQuotes``: the quotes of a post.
- ``app.bsky.feed.getPosts``: posts again (25 per call), for their current counts.
- ``app.bsky.actor.getProfiles``: follower counts (25 actors per call). Post views carry the
  author as a ``profileViewBasic`` and reposter lists as ``profileView``; neither has
  ``followersCount``, and the poller's reach and top sharers need it. An author's count is
  kept for ``followers_max_age`` (default an hour: a warm function instance serves many
  runs, and the counts should still move), so a page of 100 posts by 100 new authors costs 4
  more requests and a page by recently seen authors none. ``follower_counts=False`` switches
  this off (followers are then ``None``).

Bluesky has no ``since_id``. The ``since_id`` this source hands out (``SearchPage.newest_id``)
and takes back is a watermark, not a post: the newest post's sort time as ISO-8601 UTC with
milliseconds (``2026-11-25T09:30:00.123Z``). Bluesky sorts ``sort=latest`` and filters
``since=`` on a post's ``sortAt``, the earlier of its ``record.createdAt`` and ``indexedAt``,
and so does this source. ``since`` is inclusive on Bluesky; this source keeps only posts
strictly newer than the watermark, so a poll never reads the previous poll's newest post
again. A post that Bluesky indexes late with an older ``createdAt`` than a post already seen
falls behind the watermark: ``lookback`` asks that much further back (those posts are read
again; the poller keys shares by platform and post id, so a second read changes nothing). A
``since_id`` that is not such a time raises ``SinceIdTooOld`` and the poller falls back to
``start_time``.

Rate limits: Bluesky's PDS counts requests per account and address across all endpoints
(``ratelimit-limit``/``-remaining``/``-reset`` headers, reset in epoch seconds), with extra,
tighter limits on signing in. This source therefore blocks in two buckets, the session calls
and everything else: a 429 or ``ratelimit-remaining: 0`` stops the bucket until the reset.

The app password and both JWTs never appear in an exception message or a repr.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import quote, urlencode, urlsplit

import urllib3

from jobtrail.domain.times import iso, utc_now
from jobtrail.sources.base import (
    Author,
    Kind,
    Post,
    RequestBudget,
    SearchPage,
    ShareSource,
    SinceIdTooOld,
    SourceRejected,
    SourceUnavailable,
)
from jobtrail.sources.wire import (
    USER_AGENT,
    Json,
    JsonReader,
    RateLimitGate,
    check_search_args,
    http_base_url,
    is_count,
    json_object_or_empty,
    optional_str,
    pool,
)

PLATFORM = "bluesky"
WEB_BASE = "https://bsky.app"

CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
GET_REPOSTED_BY = "app.bsky.feed.getRepostedBy"
GET_QUOTES = "app.bsky.feed.getQuotes"
GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILES = "app.bsky.actor.getProfiles"

PAGE_SIZE = 100  # the most searchPosts, getRepostedBy and getQuotes give per page
LOOKUP_CHUNK = 25  # getPosts ``uris`` and getProfiles ``actors`` take at most 25
DEFAULT_MAX_LOOKUP_PAGES = 3
DEFAULT_FOLLOWERS_MAX_AGE = timedelta(hours=1)
FOLLOWERS_CACHE_SIZE = 20_000  # past this, counts older than the max age are dropped
# Bluesky's PDS windows are 5 minutes: the wait when a 429 does not say how long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)

POST_COLLECTION = "app.bsky.feed.post"
LINK_FEATURE = "app.bsky.richtext.facet#link"
EMBED_EXTERNAL = "app.bsky.embed.external"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
INVALID_HANDLE = "handle.invalid"  # what the AppView shows when a handle does not verify

# Errors that mean "the access (or refresh) JWT is too old", not "you are not allowed".
EXPIRED = "ExpiredToken"
SESSION_GONE = {"ExpiredToken", "InvalidToken"}

# Bluesky's names for a post's counts, and ours.
METRIC_NAMES = {
    "repostCount": "repost_count",
    "quoteCount": "quote_count",
    "replyCount": "reply_count",
    "likeCount": "like_count",
    "bookmarkCount": "bookmark_count",
}

SESSION_BUCKET = "session"
XRPC_BUCKET = "xrpc"

_read = JsonReader("Bluesky")

Params = list[tuple[str, str]]


@dataclasses.dataclass(frozen=True, repr=False)
class _Session:
    access_jwt: str
    refresh_jwt: str
    did: str


@dataclasses.dataclass(frozen=True)
class _Answer:
    status: int
    data: bytes


class BlueskySource:
    """Talks to a Bluesky PDS at ``base_url`` (``/xrpc/...`` below it) as ``handle`` with an
    app password.

    An instance may serve many runs (the poller's function keeps it while warm): it signs in
    on its first request, keeps the session, renews it when Bluesky says it expired, keeps
    the follower counts it looked up for ``followers_max_age``, and remembers a rate limit
    Bluesky announced, refusing further requests in that bucket until the reset without
    spending budget or touching the network.
    """

    platform: str = PLATFORM

    def __init__(
        self,
        base_url: str,
        handle: str,
        app_password: str,
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = utc_now,
        max_lookup_pages: int = DEFAULT_MAX_LOOKUP_PAGES,
        lookback: timedelta = timedelta(0),
        follower_counts: bool = True,
        followers_max_age: timedelta = DEFAULT_FOLLOWERS_MAX_AGE,
    ) -> None:
        base_url = http_base_url(base_url, "Bluesky")
        if not handle.strip():
            raise ValueError("Bluesky handle is empty")
        if not app_password.strip():
            raise ValueError("Bluesky app password is empty")
        if max_lookup_pages < 1:
            raise ValueError("max_lookup_pages must be at least 1")
        if lookback < timedelta(0):
            raise ValueError("lookback must not be negative")
        self._base_url = base_url
        self._handle = handle.strip().removeprefix("@")
        self._password = app_password
        self._now = now
        self._max_lookup_pages = max_lookup_pages
        self._lookback = lookback
        self._follower_counts = follower_counts
        self._followers_max_age = followers_max_age
        self._http = pool(timeout)
        self._session: _Session | None = None
        self._followers: dict[str, int | None] = {}  # did -> followersCount
        self._followers_seen: dict[str, datetime] = {}  # did -> when it was looked up
        # Two buckets: the session calls and everything else (see the module docstring).
        self._rate_limits = RateLimitGate(
            "Bluesky",
            now=now,
            default_wait=DEFAULT_RATE_LIMIT_WAIT,
            reset_header="ratelimit-reset",
            remaining_header="ratelimit-remaining",
        )

    def __repr__(self) -> str:
        return f"BlueskySource(base_url={self._base_url!r}, handle={self._handle!r})"

    def close(self) -> None:
        self._http.clear()

    # --- the ShareSource interface -------------------------------------------------------

    def search(
        self,
        short_host: str,
        *,
        since_id: str | None,
        start_time: datetime | None,
        next_token: str | None,
        budget: RequestBudget,
    ) -> SearchPage:
        """One page of the newest posts linking to ``short_host``.

        ``since_id`` is a watermark this source handed out as ``newest_id`` (see the module
        docstring); ``start_time`` is where a search without one begins. As with X, passing
        both is a programming error; pass the same one with every ``next_token``. Posts whose
        links (facets, external embeds) do not point at ``short_host`` are left out.
        ``newest_id`` is the newest sort time of the page's posts newer than ``since_id``
        (noise included: the search saw it), the watermark for the next poll; ``None`` when
        there is none, and then the poller keeps the watermark it has.
        """
        check_search_args(
            short_host, since_id, start_time, taker="Bluesky search", refused_chars=' "/\t\n:'
        )
        watermark: datetime | None = None
        after: datetime | None = None  # keep only posts sorted strictly after this
        params: Params = [
            ("q", short_host),
            ("domain", short_host),
            ("sort", "latest"),
            ("limit", str(PAGE_SIZE)),
        ]
        if since_id is not None:
            watermark = _watermark(since_id)
            after = watermark - self._lookback
            params.append(("since", iso(after)))
        elif start_time is not None:
            params.append(("since", iso(start_time)))
        if next_token is not None:
            params.append(("cursor", next_token))
        body = self._query(SEARCH_POSTS, params, budget, required="posts")
        views = _views(body, "posts")
        host = short_host.lower()
        kept: list[Json] = []
        newest: datetime | None = None
        for view in views:
            # The AppView's own fields must be there in every view, noise or not.
            _rkey(_read.string(view, "uri"))
            _author_did(view)
            sort_at = _sort_time(view)
            if after is not None and sort_at <= after:
                continue
            if (watermark is None or sort_at > watermark) and (newest is None or sort_at > newest):
                newest = sort_at
            record = view.get("record")
            links = _linked_urls(record) if isinstance(record, dict) else ()
            if any(_on_host(url, host) for url in links):
                kept.append(view)
        # Follower counts only for the authors of posts the poller gets.
        self._learn_followers((_author_did(view) for view in kept), budget)
        return SearchPage(
            posts=[self._post(view) for view in kept],
            newest_id=iso(newest) if newest is not None else None,
            next_token=optional_str(body, "cursor") if views else None,
        )

    def reposts_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """Who reposted ``post``, as Bluesky lists them, up to ``max_lookup_pages`` pages."""
        uri = _own_uri(post)
        profiles: list[Json] = []
        for body in self._pages(GET_REPOSTED_BY, uri, "repostedBy", budget):
            profiles.extend(_views(body, "repostedBy"))
        self._learn_followers((_read.string(profile, "did") for profile in profiles), budget)
        return [
            Post(
                platform=PLATFORM,
                post_id=None,
                url=None,
                kind="repost",
                author=self._author(profile),
                parent_post_id=uri,
                created_at=None,
            )
            for profile in profiles
        ]

    def quotes_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """The quotes of ``post``, newest first, up to ``max_lookup_pages`` pages."""
        uri = _own_uri(post)
        views: list[Json] = []
        for body in self._pages(GET_QUOTES, uri, "posts", budget):
            views.extend(_views(body, "posts"))
        self._learn_followers((_author_did(view) for view in views), budget)
        # Bluesky lists it as a quote of this post, whatever else it replies to.
        return [
            dataclasses.replace(self._post(view), kind="quote", parent_post_id=uri)
            for view in views
        ]

    def refresh(self, post_ids: Sequence[str], *, budget: RequestBudget) -> Sequence[Post]:
        """The posts again with their current counts, 25 URIs per request. Posts Bluesky no
        longer shows (deleted, blocked) are missing from the answer."""
        unique = list(dict.fromkeys(post_ids))
        for uri in unique:
            # A malformed URI would make Bluesky refuse the whole chunk.
            if _collection(uri) != POST_COLLECTION:
                raise ValueError(f"not a Bluesky post URI: {uri!r}")
        views: list[Json] = []
        for start in range(0, len(unique), LOOKUP_CHUNK):
            params = [("uris", uri) for uri in unique[start : start + LOOKUP_CHUNK]]
            body = self._query(GET_POSTS, params, budget, required="posts")
            views.extend(_views(body, "posts"))
        self._learn_followers((_author_did(view) for view in views), budget)
        return [self._post(view) for view in views]

    # --- mapping Bluesky's JSON to posts -------------------------------------------------

    def _post(self, view: Json) -> Post:
        uri = _read.string(view, "uri")
        author = self._author(_read.object(view, "author"))
        record = view.get("record")
        record = record if isinstance(record, dict) else {}
        kind, parent = _kind(record)
        # A handle that does not verify shows as handle.invalid; the web app takes the DID.
        profile = author.id if author.handle == INVALID_HANDLE else author.handle
        return Post(
            platform=PLATFORM,
            post_id=uri,
            url=f"{WEB_BASE}/profile/{profile}/post/{_rkey(uri)}",
            kind=kind,
            author=author,
            parent_post_id=parent,
            created_at=_record_time(record.get("createdAt")),
            linked_urls=_linked_urls(record),
            metrics=_metrics(view),
        )

    def _author(self, profile: Json) -> Author:
        did = _read.string(profile, "did")
        name = profile.get("displayName")
        followers = profile.get("followersCount")
        return Author(
            id=did,
            handle=_read.string(profile, "handle"),
            name=name if isinstance(name, str) and name.strip() else None,
            followers=followers if is_count(followers) else self._followers.get(did),
        )

    def _learn_followers(self, dids: Iterable[str], budget: RequestBudget) -> None:
        """Looks up the follower counts of the authors not yet known in this run."""
        if not self._follower_counts:
            return
        now = self._now()
        fresh_after = now - self._followers_max_age
        if len(self._followers_seen) > FOLLOWERS_CACHE_SIZE:
            for did in [d for d, seen in self._followers_seen.items() if seen <= fresh_after]:
                del self._followers[did], self._followers_seen[did]
        wanted = [
            did
            for did in dict.fromkeys(dids)
            if self._followers_seen.get(did, fresh_after) <= fresh_after
        ]
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            params = [("actors", did) for did in chunk]
            body = self._query(GET_PROFILES, params, budget, required="profiles")
            found: dict[str, int | None] = {}
            for profile in _views(body, "profiles"):
                count = profile.get("followersCount")
                found[_read.string(profile, "did")] = count if is_count(count) else None
            # An account that is gone has no profile: ask no more about it this run.
            self._followers.update({did: found.get(did) for did in chunk})
            self._followers_seen.update(dict.fromkeys(chunk, now))

    # --- XRPC ----------------------------------------------------------------------------

    def _pages(self, nsid: str, uri: str, key: str, budget: RequestBudget) -> Iterator[Json]:
        """The pages of a per-post list, following ``cursor`` up to the cap."""
        cursor: str | None = None
        for _ in range(self._max_lookup_pages):
            params: Params = [("uri", uri), ("limit", str(PAGE_SIZE))]
            if cursor is not None:
                params.append(("cursor", cursor))
            body = self._query(nsid, params, budget, required=key)
            yield body
            cursor = optional_str(body, "cursor")
            if cursor is None or not body.get(key):
                return

    def _query(self, nsid: str, params: Params, budget: RequestBudget, *, required: str) -> Json:
        """A GET with the session's access JWT, renewing the session once if it expired."""
        session = self._session or self._sign_in(budget)
        answer = self._send("GET", nsid, params, None, session.access_jwt, budget)
        if _error_name(answer) == EXPIRED and answer.status in {400, 401}:
            session = self._renew(budget)
            answer = self._send("GET", nsid, params, None, session.access_jwt, budget)
        return self._ok(nsid, answer, required)

    def _sign_in(self, budget: RequestBudget) -> _Session:
        payload = {"identifier": self._handle, "password": self._password}
        answer = self._send("POST", CREATE_SESSION, [], payload, None, budget)
        return self._keep_session(CREATE_SESSION, answer)

    def _renew(self, budget: RequestBudget) -> _Session:
        """A new pair of JWTs from the refresh JWT, or a new sign-in when that is too old."""
        assert self._session is not None
        refresh_jwt = self._session.refresh_jwt
        self._session = None
        answer = self._send("POST", REFRESH_SESSION, [], None, refresh_jwt, budget)
        if answer.status in {400, 401} and _error_name(answer) in SESSION_GONE:
            return self._sign_in(budget)
        return self._keep_session(REFRESH_SESSION, answer)

    def _keep_session(self, nsid: str, answer: _Answer) -> _Session:
        body = self._ok(nsid, answer, "accessJwt")
        self._session = _Session(
            access_jwt=_read.string(body, "accessJwt"),
            refresh_jwt=_read.string(body, "refreshJwt"),
            did=_read.string(body, "did"),
        )
        return self._session

    def _send(
        self,
        method: str,
        nsid: str,
        params: Params,
        payload: Json | None,
        bearer: str | None,
        budget: RequestBudget,
    ) -> _Answer:
        bucket = SESSION_BUCKET if nsid in {CREATE_SESSION, REFRESH_SESSION} else XRPC_BUCKET
        # A known rate limit comes first: it costs no budget and says when to come back.
        self._rate_limits.refuse_if_limited(bucket, _short(nsid))
        budget.spend()
        url = f"{self._base_url}/xrpc/{nsid}"
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        body: bytes | None = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, url, body=body, headers=headers, redirect=False, retries=False
            )
        except urllib3.exceptions.HTTPError as exc:
            # Timeouts, refused connections, resets: the message names the kind. Secrets
            # travel in a header or the body, never in the URL, and neither is in the message.
            raise SourceUnavailable(
                f"Bluesky {_short(nsid)} request failed: {type(exc).__name__}"
            ) from None
        status = response.status
        self._rate_limits.note(bucket, _short(nsid), status, response.headers)
        if status >= 500:
            raise SourceUnavailable(f"Bluesky {_short(nsid)} answered {status}")
        return _Answer(status, response.data)

    def _ok(self, nsid: str, answer: _Answer, required: str) -> Json:
        if answer.status != 200:
            self._raise_refusal(nsid, answer)
        try:
            body = json.loads(answer.data)
        except ValueError:
            raise SourceUnavailable(
                f"Bluesky {_short(nsid)} answered with malformed JSON"
            ) from None
        if not isinstance(body, dict):
            raise SourceUnavailable(
                f"Bluesky {_short(nsid)} answered with JSON that is not an object"
            )
        if required not in body:
            raise SourceUnavailable(f"Bluesky {_short(nsid)} answered without {required!r}")
        return body

    def _raise_refusal(self, nsid: str, answer: _Answer) -> NoReturn:
        status = answer.status
        error = json_object_or_empty(answer.data)
        name = error.get("error") if isinstance(error.get("error"), str) else ""
        said = error.get("message") if isinstance(error.get("message"), str) else ""
        summary = ": ".join(word for word in (name, said) if word)
        if nsid == CREATE_SESSION and name == "AuthFactorTokenRequired":
            hint = "the account asks for a sign-in code; use an app password"
        elif nsid == CREATE_SESSION and status == 401:
            hint = "the handle or app password is wrong (BLUESKY_HANDLE / BLUESKY_APP_PASSWORD)"
        elif name == "AccountTakedown":
            hint = "the account is taken down"
        elif status == 401 or name in SESSION_GONE:
            hint = "the session was refused"
        elif status == 403:
            hint = "the account may not use this endpoint"
        elif 300 <= status < 400:
            hint = "Bluesky redirected the request (check BLUESKY_API_BASE_URL)"
        else:
            hint = "the request was refused"
        message = f"Bluesky {_short(nsid)} answered {status}: {hint}"
        if summary:
            message += f" ({summary[:200]})"
        # Bluesky's words never echo a secret, but a proxy's error page might.
        raise SourceRejected(status, self._scrub(message))

    def _scrub(self, text: str) -> str:
        secrets = [self._password]
        if self._session is not None:
            secrets += [self._session.access_jwt, self._session.refresh_jwt]
        for secret in secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "[secret]")
        return text


# --- reading a post view -----------------------------------------------------------------


def _kind(record: Json) -> tuple[Kind, str | None]:
    # A post can quote one post and reply to another; what it spreads is what it quotes.
    quoted = _quoted_uri(record.get("embed"))
    if quoted is not None:
        return "quote", quoted
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    if isinstance(parent, dict) and isinstance(parent.get("uri"), str) and parent["uri"]:
        return "reply", str(parent["uri"])
    return "post", None


def _quoted_uri(embed: object) -> str | None:
    """The post a record embeds (a quote): ``app.bsky.embed.record`` holds a strong ref in
    ``record``, ``recordWithMedia`` holds an ``app.bsky.embed.record`` in ``record``. An
    embedded feed, list or starter pack is not a quote."""
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    inner = embed.get("record")
    if kind == EMBED_RECORD_WITH_MEDIA and isinstance(inner, dict):
        inner = inner.get("record")
    elif kind != EMBED_RECORD:
        return None
    uri = inner.get("uri") if isinstance(inner, dict) else None
    if isinstance(uri, str) and _collection(uri) == POST_COLLECTION:
        return uri
    return None


def _linked_urls(record: Json) -> tuple[str, ...]:
    """Link facets' ``uri`` in text order, then the external embed's ``uri`` (also inside a
    ``recordWithMedia``)."""
    urls: list[object] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == LINK_FEATURE:
                urls.append(feature.get("uri"))
    embed = record.get("embed")
    if isinstance(embed, dict) and embed.get("$type") == EMBED_RECORD_WITH_MEDIA:
        embed = embed.get("media")
    if isinstance(embed, dict) and embed.get("$type") == EMBED_EXTERNAL:
        external = embed.get("external")
        if isinstance(external, dict):
            urls.append(external.get("uri"))
    return tuple(dict.fromkeys(url for url in urls if isinstance(url, str) and url))


def _metrics(view: Json) -> dict[str, int]:
    return {
        ours: view[theirs] for theirs, ours in METRIC_NAMES.items() if is_count(view.get(theirs))
    }


def _sort_time(view: Json) -> datetime:
    """Bluesky's ``sortAt``: the earlier of ``record.createdAt`` and ``indexedAt``, so that a
    post dated in the future sorts by when it arrived."""
    indexed = _record_time(view.get("indexedAt"))
    if indexed is None:
        raise SourceUnavailable("Bluesky answered with a post without a readable 'indexedAt'")
    record = view.get("record")
    created = _record_time(record.get("createdAt")) if isinstance(record, dict) else None
    return min(indexed, created) if created is not None else indexed


def _record_time(value: object) -> datetime | None:
    """A time from a record. Records are written by their authors' clients, so an unreadable
    one is ``None`` rather than a reason to drop the whole page."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _watermark(since_id: str) -> datetime:
    moment = _record_time(since_id)
    if moment is None:
        raise SinceIdTooOld(f"Bluesky since_id {since_id!r} is not a watermark time")
    return moment


def _on_host(url: str, host: str) -> bool:
    try:
        hostname = urlsplit(url).hostname
    except ValueError:
        return False
    return hostname is not None and hostname.rstrip(".") == host


def _rkey(uri: str) -> str:
    """The record key of ``at://<did or handle>/app.bsky.feed.post/<rkey>``."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or not parts[0] or parts[1] != POST_COLLECTION or not parts[2]:
        raise SourceUnavailable(f"Bluesky answered with a post URI it does not use: {uri!r}")
    return parts[2]


def _collection(uri: str) -> str | None:
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    return parts[1] if len(parts) == 3 else None


def _own_uri(post: Post) -> str:
    if post.platform != PLATFORM or post.post_id is None:
        raise ValueError("only a Bluesky post with its own URI has reposts and quotes to look up")
    if _collection(post.post_id) != POST_COLLECTION:
        raise ValueError(f"not a Bluesky post URI: {post.post_id!r}")
    return post.post_id


# --- small readers that turn a surprise in the AppView's JSON into SourceUnavailable -----


def _views(body: Json, key: str) -> list[Json]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise SourceUnavailable(f"Bluesky answered with {key!r} that is not a list of objects")
    return value


def _author_did(view: Json) -> str:
    return _read.string(_read.object(view, "author"), "did")


def _short(nsid: str) -> str:
    return nsid.rsplit(".", 1)[-1]


def _error_name(answer: _Answer) -> str | None:
    if answer.status == 200:
        return None
    name = json_object_or_empty(answer.data).get("error")
    return name if isinstance(name, str) else None


if TYPE_CHECKING:
    # mypy proves here that BlueskySource keeps the ShareSource contract.
    _conforms: type[ShareSource] = BlueskySource
