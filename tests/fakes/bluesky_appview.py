"""A fake Bluesky PDS with its AppView: a real HTTP server on 127.0.0.1 answering the XRPC
endpoints the share poller uses, with the lexicons' JSON shapes, XRPC's error bodies
(``{"error": "Name", "message": "..."}``) and the PDS's ``ratelimit-*`` headers.

- ``POST com.atproto.server.createSession`` ``{"identifier", "password"}``: the account's
  handle or DID and its app password; ``{"accessJwt", "refreshJwt", "handle", "did", ...}``.
- ``POST com.atproto.server.refreshSession`` with the refresh JWT as bearer: a new pair; the
  old refresh JWT is spent (rotated), as on the PDS.
- ``GET app.bsky.feed.searchPosts``: ``q`` (required; words or a host, all must appear in
  the text or the links), ``domain``, ``url``, ``author``, ``since``/``until`` (on ``sortAt``,
  ``since`` inclusive), ``sort`` (``latest`` or ``top``), ``limit`` (1-100, default 25),
  ``cursor``. Reposts are not posts and are never found.
- ``GET app.bsky.feed.getRepostedBy``: ``uri``, ``limit`` (1-100, default 50), ``cursor``;
  ``{"uri", "repostedBy": [profileView], "cursor"}``, newest reposter first.
- ``GET app.bsky.feed.getQuotes``: ``uri``, ``limit``, ``cursor``; ``{"uri", "posts", "cursor"}``.
- ``GET app.bsky.feed.getPosts``: ``uris`` repeated, at most 25; missing posts are left out.
- ``GET app.bsky.actor.getProfiles``: ``actors`` repeated, at most 25; ``profileViewDetailed``
  with ``followersCount``.

Every other call needs ``Authorization: Bearer <accessJwt>``: none is 401
``AuthenticationRequired``, an unknown one 401 ``InvalidToken``, an expired one 400
``ExpiredToken``. Stricter than Bluesky: an unknown query parameter is a 400
``InvalidRequest``, so that a typo in the adapter cannot go unnoticed.

Tests build a :class:`BlueskyWorld` (accounts, posts, reposters), start the server with
:func:`running_fake_bluesky`, script failures on the :class:`FakeBluesky`, and read the
requests it recorded.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HANDLE = "jobtrail-bot.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
RATE_LIMIT = 3000  # the PDS's requests per 5 minutes
RATE_WINDOW = 300
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs use

CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
GET_REPOSTED_BY = "app.bsky.feed.getRepostedBy"
GET_QUOTES = "app.bsky.feed.getQuotes"
GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILES = "app.bsky.actor.getProfiles"

PROCEDURES = {CREATE_SESSION, REFRESH_SESSION}
ALLOWED_PARAMS = {
    SEARCH_POSTS: {
        "q",
        "sort",
        "since",
        "until",
        "mentions",
        "author",
        "lang",
        "domain",
        "url",
        "tag",
        "limit",
        "cursor",
    },
    GET_REPOSTED_BY: {"uri", "cid", "limit", "cursor"},
    GET_QUOTES: {"uri", "cid", "limit", "cursor", "sort"},
    GET_POSTS: {"uris"},
    GET_PROFILES: {"actors"},
    CREATE_SESSION: set(),
    REFRESH_SESSION: set(),
}
REPEATABLE = {"uris", "actors", "tag"}


# --- the world ---------------------------------------------------------------------------


@dataclass
class Account:
    did: str
    handle: str
    display_name: str | None
    followers: int
    created_at: datetime


@dataclass
class BskyPost:
    uri: str
    cid: str
    author_did: str
    text: str
    created_at: datetime  # record.createdAt, as the author's client wrote it
    indexed_at: datetime  # when the AppView saw it
    links: list[str]  # link facets, in text order
    external: str | None = None  # an app.bsky.embed.external card
    quoted: str | None = None  # the URI of a quoted post
    with_media: bool = False  # the quote is a recordWithMedia
    reply_parent: str | None = None
    reply_root: str | None = None
    likes: int = 0

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def sort_at(self) -> datetime:
        return min(self.created_at, self.indexed_at)


class BlueskyWorld:
    """Everything the fake knows. Record keys are TIDs made from the post's time, so that
    they sort as Bluesky's do."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}  # by DID
        self.posts: dict[str, BskyPost] = {}  # by URI
        self.reposters: dict[str, list[str]] = {}  # post URI -> DIDs, oldest first
        self.taken_down: set[str] = set()  # DIDs whose profiles the AppView no longer shows
        self._sequence = 0

    def account(
        self, handle: str, *, followers: int = 0, name: str | None = None, did: str | None = None
    ) -> Account:
        digest = hashlib.sha256(handle.encode()).digest()
        made = "".join(TID_ALPHABET[b % 32] for b in digest[:24])
        account = Account(
            did=did or f"did:plc:{made}",
            handle=handle if "." in handle else f"{handle}.bsky.social",
            display_name=name if name is not None else handle.title(),
            followers=followers,
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
        self.accounts[account.did] = account
        return account

    def post(
        self,
        author: Account,
        text: str = "",
        *,
        links: Sequence[str] = (),
        external: str | None = None,
        at: datetime | None = None,
        indexed_at: datetime | None = None,
        quoting: BskyPost | None = None,
        with_media: bool = False,
        replying_to: BskyPost | None = None,
        likes: int = 0,
    ) -> BskyPost:
        """A new post; ``at`` (record.createdAt) defaults to now, ``indexed_at`` to ``at``."""
        created_at = at or datetime.now(UTC)
        created_at = created_at.replace(microsecond=created_at.microsecond // 1000 * 1000)
        self._sequence += 1
        rkey = _tid(created_at, self._sequence)
        uri = f"at://{author.did}/app.bsky.feed.post/{rkey}"
        root = None
        if replying_to is not None:
            root = replying_to.reply_root or replying_to.uri
        post = BskyPost(
            uri=uri,
            cid="bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52],
            author_did=author.did,
            text=text or " ".join(links) or "hello",
            created_at=created_at,
            indexed_at=indexed_at or created_at,
            links=list(links),
            external=external,
            quoted=quoting.uri if quoting else None,
            with_media=with_media,
            reply_parent=replying_to.uri if replying_to else None,
            reply_root=root,
            likes=likes,
        )
        self.posts[uri] = post
        return post

    def repost(self, post: BskyPost, *accounts: Account) -> None:
        """``accounts`` repost ``post`` now (the latest last)."""
        self.reposters.setdefault(post.uri, []).extend(account.did for account in accounts)

    def unrepost(self, post: BskyPost, account: Account) -> None:
        self.reposters.get(post.uri, []).remove(account.did)

    def quotes(self, post: BskyPost) -> list[BskyPost]:
        return [p for p in self.posts.values() if p.quoted == post.uri]

    def replies(self, post: BskyPost) -> list[BskyPost]:
        return [p for p in self.posts.values() if p.reply_parent == post.uri]


def _tid(moment: datetime, clock: int) -> str:
    value = (int(moment.timestamp() * 1_000_000) << 10) | (clock & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


# --- what the server recorded and what it was told to do ---------------------------------


@dataclass(frozen=True)
class Request:
    nsid: str  # the XRPC method, or the path when it is not one
    method: str
    params: dict[str, list[str]]
    body: bytes
    authorization: str | None
    user_agent: str | None

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None


@dataclass
class _Fault:
    nsid: str
    call: int  # the method's n-th request (1-based) that gets it
    status: int
    body: bytes
    headers: dict[str, str]
    delay: float = 0.0


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json(status: int, payload: Mapping[str, Any], **headers: str) -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), dict(headers))


def _error(status: int, name: str, message: str) -> _Answer:
    return _json(status, {"error": name, "message": message})


def _bsky_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FakeBluesky:
    """The server, its world, its sessions, its rate limit and its scripted failures."""

    def __init__(
        self,
        world: BlueskyWorld | None = None,
        *,
        handle: str = HANDLE,
        app_password: str = APP_PASSWORD,
    ) -> None:
        self.world = world or BlueskyWorld()
        self.handle = handle
        self.app_password = app_password
        self.did = "did:plc:jobtrailbotfake000000000"
        self.requests: list[Request] = []
        self.auth_factor_required = False  # createSession answers AuthFactorTokenRequired
        # Bluesky "may apply hostname normalization" to ``domain``; off, the search returns
        # every post matching ``q``, so the adapter's own host check is what remains.
        self.honour_domain = True
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._faults: list[_Fault] = []
        self._access: dict[str, bool] = {}  # access JWT -> still valid
        self._refresh: dict[str, bool] = {}  # refresh JWT -> still usable
        self.issued: list[tuple[str, str]] = []  # (accessJwt, refreshJwt) in order
        self._remaining = RATE_LIMIT
        self._reset = int(time.time()) + RATE_WINDOW
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control from the tests ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake Bluesky is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def requests_to(self, nsid: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.nsid == nsid]

    def expire_access_tokens(self) -> None:
        """Every access JWT issued so far now answers 400 ExpiredToken."""
        with self._lock:
            self._access = dict.fromkeys(self._access, False)

    def expire_refresh_tokens(self) -> None:
        """Every refresh JWT issued so far now answers 400 ExpiredToken."""
        with self._lock:
            self._refresh = dict.fromkeys(self._refresh, False)

    def issued_tokens(self) -> list[str]:
        """Every JWT handed out so far, access and refresh."""
        with self._lock:
            return [token for pair in self.issued for token in pair]

    def set_rate_limit(self, *, remaining: int, reset: int) -> None:
        """``remaining`` requests left until ``reset`` (epoch seconds); at 0 it answers 429."""
        with self._lock:
            self._remaining, self._reset = remaining, reset

    def fail(
        self,
        nsid: str,
        *,
        on_call: int | None = None,
        status: int = 503,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """The method's ``on_call``-th request (default: its next one) gets ``status`` with
        ``body`` (an XRPC error body by default), after ``delay`` seconds. ``headers`` are
        added to the rate-limit headers; an empty value drops that header."""
        with self._lock:
            call = on_call if on_call is not None else self._calls.get(nsid, 0) + 1
            if body is None:
                body = json.dumps({"error": "InternalServerError", "message": "fault"}).encode()
            self._faults.append(_Fault(nsid, call, status, body, dict(headers or {}), delay))

    def malformed(self, nsid: str, *, on_call: int | None = None) -> None:
        """A 200 whose body breaks off in the middle of the JSON."""
        self.fail(nsid, on_call=on_call, status=200, body=b'{"posts": [{"uri": "at://did:pl')

    def hang(self, nsid: str, seconds: float, *, on_call: int | None = None) -> None:
        """The request gets its answer only after ``seconds``: longer than a timeout."""
        self.fail(nsid, on_call=on_call, status=200, body=b'{"posts": []}', delay=seconds)

    # --- the server ----------------------------------------------------------------------

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-bluesky",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- answering -----------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> _Answer:
        nsid = path.removeprefix("/xrpc/") if path.startswith("/xrpc/") else path
        params = parse_qs(query, keep_blank_values=True)
        authorization = headers.get("Authorization")
        with self._lock:
            self.requests.append(
                Request(nsid, method, params, body, authorization, headers.get("User-Agent"))
            )
            if nsid not in ALLOWED_PARAMS:
                return _error(501, "MethodNotImplemented", "Method Not Implemented")
            wanted = "POST" if nsid in PROCEDURES else "GET"
            if method != wanted:
                return _error(400, "InvalidRequest", f"Incorrect HTTP method ({method})")
            self._calls[nsid] = call = self._calls.get(nsid, 0) + 1
            if time.time() >= self._reset:
                self._remaining, self._reset = RATE_LIMIT, int(time.time()) + RATE_WINDOW
            rate_headers = {
                "ratelimit-limit": str(RATE_LIMIT),
                "ratelimit-reset": str(self._reset),
                "ratelimit-policy": f"{RATE_LIMIT};w={RATE_WINDOW}",
            }
            if self._remaining <= 0:
                rate_headers["ratelimit-remaining"] = "0"
                limited = _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
                limited.headers.update(rate_headers)
                return limited
            self._remaining -= 1
            rate_headers["ratelimit-remaining"] = str(self._remaining)
            fault = next((f for f in self._faults if (f.nsid, f.call) == (nsid, call)), None)
            if fault is not None:
                self._faults.remove(fault)
                merged = {**rate_headers, **fault.headers}
                kept = {name: value for name, value in merged.items() if value}
                return _Answer(fault.status, fault.body, kept, fault.delay)
            answer = self._route(nsid, params, authorization, body)
            answer.headers = {**rate_headers, **answer.headers}
            return answer

    def _route(
        self, nsid: str, params: dict[str, list[str]], authorization: str | None, body: bytes
    ) -> _Answer:
        if nsid == CREATE_SESSION:
            return self._create_session(body)
        bearer = authorization.removeprefix("Bearer ") if authorization else None
        if nsid == REFRESH_SESSION:
            return self._refresh_session(bearer)
        refused = self._check_access(bearer)
        if refused is not None:
            return refused
        unknown = sorted(set(params) - ALLOWED_PARAMS[nsid])
        if unknown:
            return _error(400, "InvalidRequest", f"Error: Unknown parameter {unknown[0]}")
        repeated = sorted(n for n, v in params.items() if len(v) > 1 and n not in REPEATABLE)
        if repeated:
            return _error(400, "InvalidRequest", f"Error: Params must have one {repeated[0]}")
        one = {name: values[-1] for name, values in params.items()}
        if nsid == SEARCH_POSTS:
            return self._search(one, params)
        if nsid == GET_REPOSTED_BY:
            return self._reposted_by(one)
        if nsid == GET_QUOTES:
            return self._quotes(one)
        if nsid == GET_POSTS:
            return self._get_posts(params.get("uris", []))
        return self._get_profiles(params.get("actors", []))

    # --- sessions ------------------------------------------------------------------------

    def _create_session(self, raw: bytes) -> _Answer:
        try:
            given = json.loads(raw)
        except ValueError:
            return _error(400, "InvalidRequest", "Request body is not valid JSON")
        if not isinstance(given, dict) or not {"identifier", "password"} <= given.keys():
            return _error(400, "InvalidRequest", 'Input must have the property "identifier"')
        if given["identifier"] not in {self.handle, self.did} or (
            given["password"] != self.app_password
        ):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        if self.auth_factor_required:
            return _error(401, "AuthFactorTokenRequired", "A sign in code has been sent")
        return _json(200, {**self._issue(), "email": "bot@example.org", "active": True})

    def _refresh_session(self, bearer: str | None) -> _Answer:
        if bearer is None:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        if bearer not in self._refresh:
            return _error(400, "InvalidToken", "Token could not be verified")
        if not self._refresh[bearer]:
            return _error(400, "ExpiredToken", "Token has expired")
        self._refresh[bearer] = False  # rotated: a refresh JWT is good for one refresh
        return _json(200, {**self._issue(), "active": True})

    def _issue(self) -> dict[str, Any]:
        number = len(self.issued) + 1
        access = f"eyJhbGciOiJFUzI1NksifQ.access-{number}-{time.monotonic_ns()}.sig"
        refresh = f"eyJhbGciOiJFUzI1NksifQ.refresh-{number}-{time.monotonic_ns()}.sig"
        self.issued.append((access, refresh))
        self._access[access] = True
        self._refresh[refresh] = True
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle, "did": self.did}

    def _check_access(self, bearer: str | None) -> _Answer | None:
        if bearer is None:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        if bearer in self._refresh:
            return _error(400, "InvalidToken", "Bad token scope")
        if bearer not in self._access:
            return _error(401, "InvalidToken", "Token could not be verified")
        if not self._access[bearer]:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    # --- feeds ---------------------------------------------------------------------------

    def _search(self, one: dict[str, str], params: dict[str, list[str]]) -> _Answer:
        size = _limit(one, default=25)
        if isinstance(size, _Answer):
            return size
        q = one.get("q", "").strip().lower()
        if not q:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        sort = one.get("sort", "latest")
        if sort not in {"latest", "top"}:
            return _error(400, "BadQueryString", f"unknown sort {sort!r}")
        since = until = None
        for name in ("since", "until"):
            if name in one and _parse_time(one[name]) is None:
                return _error(400, "BadQueryString", f"invalid {name} datetime")
        since = _parse_time(one["since"]) if "since" in one else None
        until = _parse_time(one["until"]) if "until" in one else None
        domain = one.get("domain", "").lower() or None
        url = one.get("url")
        author = one.get("author")
        found = []
        for post in self.world.posts.values():
            links = self._links(post)
            haystack = " ".join([post.text.lower(), *(link.lower() for link in links)])
            if not all(word in haystack for word in q.split()):
                continue
            if (
                self.honour_domain
                and domain is not None
                and not any(_host_of(link) == domain for link in links)
            ):
                continue
            if url is not None and url not in links:
                continue
            if author is not None and author not in {post.author_did, self._handle_of(post)}:
                continue
            if since is not None and post.sort_at < since:
                continue
            if until is not None and post.sort_at >= until:
                continue
            found.append(post)
        if sort == "top":
            found.sort(key=lambda post: (post.likes, post.sort_at, post.uri), reverse=True)
        else:
            found.sort(key=lambda post: (post.sort_at, post.uri), reverse=True)
        page, cursor = _offset_page(found, one.get("cursor"), size)
        if isinstance(page, _Answer):
            return page
        body: dict[str, Any] = {"hitsTotal": len(found), "posts": [self._view(p) for p in page]}
        if cursor is not None:
            body["cursor"] = cursor
        return _json(200, body)

    def _reposted_by(self, one: dict[str, str]) -> _Answer:
        size = _limit(one, default=50)
        if isinstance(size, _Answer):
            return size
        uri = one.get("uri", "")
        if not uri.startswith("at://"):
            return _error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
        dids = list(reversed(self.world.reposters.get(uri, [])))
        shown = [self.world.accounts[d] for d in dids if d not in self.world.taken_down]
        page, cursor = _offset_page(shown, one.get("cursor"), size)
        if isinstance(page, _Answer):
            return page
        body: dict[str, Any] = {"uri": uri, "repostedBy": [_profile_view(a) for a in page]}
        if uri in self.world.posts:
            body["cid"] = self.world.posts[uri].cid
        if cursor is not None:
            body["cursor"] = cursor
        return _json(200, body)

    def _quotes(self, one: dict[str, str]) -> _Answer:
        size = _limit(one, default=50)
        if isinstance(size, _Answer):
            return size
        uri = one.get("uri", "")
        if not uri.startswith("at://"):
            return _error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
        quotes = sorted(
            (p for p in self.world.posts.values() if p.quoted == uri),
            key=lambda post: (post.sort_at, post.uri),
            reverse=True,
        )
        quotes = [p for p in quotes if p.author_did not in self.world.taken_down]
        page, cursor = _offset_page(quotes, one.get("cursor"), size)
        if isinstance(page, _Answer):
            return page
        body: dict[str, Any] = {"uri": uri, "posts": [self._view(p) for p in page]}
        if cursor is not None:
            body["cursor"] = cursor
        return _json(200, body)

    def _get_posts(self, uris: Sequence[str]) -> _Answer:
        if not uris:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "uris"')
        if len(uris) > 25:
            return _error(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        if not all(uri.startswith("at://") for uri in uris):
            return _error(400, "InvalidRequest", "Error: uris/0 must be a valid at-uri")
        found = [
            self.world.posts[uri]
            for uri in dict.fromkeys(uris)
            if uri in self.world.posts
            and self.world.posts[uri].author_did not in self.world.taken_down
        ]
        return _json(200, {"posts": [self._view(p) for p in found]})

    def _get_profiles(self, actors: Sequence[str]) -> _Answer:
        if not actors:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "actors"')
        if len(actors) > 25:
            return _error(
                400, "InvalidRequest", "Error: actors must not have more than 25 elements"
            )
        by_handle = {a.handle: a for a in self.world.accounts.values()}
        profiles = []
        for actor in dict.fromkeys(actors):
            account = self.world.accounts.get(actor) or by_handle.get(actor)
            if account is not None and account.did not in self.world.taken_down:
                profiles.append(_profile_view_detailed(account))
        return _json(200, {"profiles": profiles})

    # --- rendering -----------------------------------------------------------------------

    def _links(self, post: BskyPost) -> list[str]:
        return [*post.links, *([post.external] if post.external else [])]

    def _handle_of(self, post: BskyPost) -> str:
        return self.world.accounts[post.author_did].handle

    def _view(self, post: BskyPost) -> dict[str, Any]:
        """An ``app.bsky.feed.defs#postView``."""
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": post.text,
            "createdAt": _bsky_time(post.created_at),
            "langs": ["en"],
        }
        if post.links:
            facets = []
            encoded = post.text.encode()
            for number, link in enumerate(post.links):
                start = encoded.find(link.encode())
                start = start if start >= 0 else number
                facets.append(
                    {
                        "$type": "app.bsky.richtext.facet",
                        "index": {"byteStart": start, "byteEnd": start + len(link.encode())},
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
                    }
                )
            # A mention facet, which is no link, to show the adapter reads only links.
            facets.append(
                {
                    "index": {"byteStart": 0, "byteEnd": 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.did}],
                }
            )
            record["facets"] = facets
        external = None
        if post.external:
            external = {
                "$type": "app.bsky.embed.external",
                "external": {"uri": post.external, "title": "A job", "description": "Apply now"},
            }
        if post.quoted:
            quoted = self.world.posts.get(post.quoted)
            strong_ref = {"uri": post.quoted, "cid": quoted.cid if quoted else "bafyreigone"}
            embedded = {"$type": "app.bsky.embed.record", "record": strong_ref}
            if post.with_media or external is not None:
                media = external or {"$type": "app.bsky.embed.images", "images": []}
                record["embed"] = {
                    "$type": "app.bsky.embed.recordWithMedia",
                    "record": embedded,
                    "media": media,
                }
            else:
                record["embed"] = embedded
        elif external is not None:
            record["embed"] = external
        if post.reply_parent:
            parent = self.world.posts.get(post.reply_parent)
            root = self.world.posts.get(post.reply_root or post.reply_parent)
            record["reply"] = {
                "root": {"uri": post.reply_root, "cid": root.cid if root else "bafyreigone"},
                "parent": {"uri": post.reply_parent, "cid": parent.cid if parent else "bafy"},
            }
        return {
            "uri": post.uri,
            "cid": post.cid,
            "author": _profile_view_basic(self.world.accounts[post.author_did]),
            "record": record,
            "replyCount": len(self.world.replies(post)),
            "repostCount": len(self.world.reposters.get(post.uri, [])),
            "likeCount": post.likes,
            "quoteCount": len(self.world.quotes(post)),
            "bookmarkCount": 0,
            "indexedAt": _bsky_time(post.indexed_at),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [],
        }


def _profile_view_basic(account: Account) -> dict[str, Any]:
    view: dict[str, Any] = {
        "did": account.did,
        "handle": account.handle,
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/{account.did}/bafkrei@jpeg",
        "associated": {"chat": {"allowIncoming": "following"}},
        "viewer": {"muted": False, "blockedBy": False},
        "labels": [],
        "createdAt": _bsky_time(account.created_at),
    }
    if account.display_name is not None:
        view["displayName"] = account.display_name
    return view


def _profile_view(account: Account) -> dict[str, Any]:
    return {
        **_profile_view_basic(account),
        "description": "Open to work",
        "indexedAt": _bsky_time(account.created_at + timedelta(days=1)),
    }


def _profile_view_detailed(account: Account) -> dict[str, Any]:
    return {
        **_profile_view(account),
        "followersCount": account.followers,
        "followsCount": 10,
        "postsCount": 100,
    }


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _limit(one: Mapping[str, str], *, default: int) -> int | _Answer:
    value = one.get("limit", str(default))
    if not value.isdigit() or not 1 <= int(value) <= 100:
        return _error(400, "InvalidRequest", "Error: limit can not be greater than 100")
    return int(value)


def _offset_page(
    items: Sequence[Any], cursor: str | None, size: int
) -> tuple[list[Any], str | None] | tuple[_Answer, None]:
    offset = 0
    if cursor is not None:
        if not cursor.isdigit():
            return _error(400, "InvalidRequest", "Malformed cursor"), None
        offset = int(cursor)
    page = list(items[offset : offset + size])
    more = offset + size < len(items)
    return page, (str(offset + size) if more else None)


class _Handler(BaseHTTPRequestHandler):
    api: FakeBluesky
    protocol_version = "HTTP/1.1"
    timeout = 10

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length else b"")

    def _serve(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        headers = {name.title(): value for name, value in self.headers.items()}
        answer = self.api.answer(self.command, parts.path, parts.query, headers, body)
        if answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the recorded requests tell the story; stderr stays quiet


@contextmanager
def running_fake_bluesky(
    world: BlueskyWorld | None = None,
    *,
    handle: str = HANDLE,
    app_password: str = APP_PASSWORD,
) -> Iterator[FakeBluesky]:
    """A started fake Bluesky, stopped on exit."""
    fake = FakeBluesky(world, handle=handle, app_password=app_password)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
