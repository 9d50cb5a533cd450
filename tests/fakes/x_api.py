"""A fake X API v2: a real HTTP server on 127.0.0.1 answering the four endpoints the share
poller uses and the List members one the people import uses, with X's JSON shapes
(``data``, ``includes.users``, ``includes.tweets``, ``errors``, ``meta``), its query
parameters and its ``x-rate-limit-*`` headers.

- ``GET /2/tweets/search/recent``: ``query=url:"<host>"`` only (other queries get X's 400),
  ``since_id``, ``start_time``, ``max_results`` (10-100), ``next_token``; newest first.
  Reposts are returned too, with their own id, as on X (a query leaves them out only
  with ``-is:retweet``): a repost carries the URLs of the post it reposts.
- ``GET /2/tweets/:id/retweeted_by``: the latest 100 reposters, ``pagination_token``.
- ``GET /2/tweets/:id/quote_tweets``: ``max_results`` (10-100), ``pagination_token``.
- ``GET /2/tweets?ids=``: at most 100 ids; missing ones come back in ``errors``.
- ``GET /2/lists/:id/members``: ``max_results`` (1-100, default 100), ``pagination_token``;
  ``data`` users, ``meta.result_count`` and ``meta.next_token``; a List X does not know
  comes back in ``errors`` (``XWorld.lists``).

Fields and expansions are honoured as X does: a tweet carries ``id``, ``text`` and
``edit_history_tweet_ids`` plus what ``tweet.fields`` asks for; a user carries ``id``,
``name`` and ``username`` plus what ``user.fields`` asks for; ``includes`` is filled only
for the requested expansions. Unknown query parameters get X's 400.

Tests build an :class:`XWorld` (users, tweets, reposters), start the server with
:func:`running_fake_x`, script failures on the :class:`FakeXApi`, and count the requests
it recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "fake-x-bearer-token-0123456789"
TWITTER_EPOCH_MS = 1288834974657  # where X's snowflake ids count from
SEARCH_WINDOW = timedelta(days=7)
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"

# X's rate limits per 15 minutes for an app token (the docs' rate-limit table).
DEFAULT_LIMITS = {
    "search": 450,
    "retweeted_by": 75,
    "quote_tweets": 75,
    "lookup": 3500,
    "list_members": 900,
}

COMMON_FIELDS = {"expansions", "tweet.fields", "user.fields"}
POST_FIELDS = COMMON_FIELDS | {"media.fields", "poll.fields", "place.fields"}
ALLOWED_PARAMS = {
    "search": POST_FIELDS
    | {
        "query",
        "max_results",
        "next_token",
        "pagination_token",
        "since_id",
        "until_id",
        "start_time",
        "end_time",
        "sort_order",
    },
    "retweeted_by": COMMON_FIELDS | {"max_results", "pagination_token"},
    "quote_tweets": POST_FIELDS | {"max_results", "pagination_token", "exclude"},
    "lookup": POST_FIELDS | {"ids"},
    "list_members": COMMON_FIELDS | {"max_results", "pagination_token"},
}


# --- the world ---------------------------------------------------------------------------


@dataclass
class User:
    id: str
    username: str
    name: str
    followers: int


@dataclass
class Tweet:
    id: str
    author_id: str
    text: str
    created_at: datetime
    urls: list[str]  # the expanded URLs, as the author pasted them
    unwound: dict[str, str] = field(default_factory=dict)  # expanded URL -> where it ends
    quoted: str | None = None
    replied_to: str | None = None
    retweeted: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)


class XWorld:
    """Everything the fake X knows. Tweet ids are snowflakes made from the tweet's time, so
    that ``since_id`` and ``start_time`` agree as they do on X."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tweets: dict[str, Tweet] = {}
        self.reposters: dict[str, list[str]] = {}  # tweet id -> user ids, oldest first
        self.suspended: set[str] = set()  # users X no longer shows
        self.lists: dict[str, list[str]] = {}  # list id -> member user ids, as added
        self._sequence = 0

    def user(self, username: str, *, followers: int = 0, name: str | None = None) -> User:
        user = User(
            id=str(10_000 + len(self.users)),
            username=username,
            name=name or username.title(),
            followers=followers,
        )
        self.users[user.id] = user
        return user

    def post(
        self,
        author: User,
        text: str = "",
        *,
        urls: Sequence[str] = (),
        at: datetime | None = None,
        quoting: Tweet | None = None,
        replying_to: Tweet | None = None,
        reposting: Tweet | None = None,
        metrics: Mapping[str, int] | None = None,
        unwound: Mapping[str, str] | None = None,
    ) -> Tweet:
        """A new tweet; ``at`` defaults to now. ``metrics`` uses X's names. A repost
        (``reposting``) carries the reposted tweet's URLs, and its author is one of that
        tweet's reposters, as on X."""
        if reposting is not None:
            urls = urls or reposting.urls
            if author.id not in self.reposters.get(reposting.id, []):
                self.repost(reposting, author)
        created_at = (at or datetime.now(UTC)).replace(microsecond=0)
        self._sequence += 1
        snowflake = ((int(created_at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) + self._sequence
        tweet = Tweet(
            id=str(snowflake),
            author_id=author.id,
            text=text or " ".join(urls) or "hello",
            created_at=created_at,
            urls=list(urls),
            unwound=dict(unwound or {}),
            quoted=quoting.id if quoting else None,
            replied_to=replying_to.id if replying_to else None,
            retweeted=reposting.id if reposting else None,
            metrics=dict(metrics or {}),
        )
        self.tweets[tweet.id] = tweet
        return tweet

    def repost(self, tweet: Tweet, *users: User) -> None:
        """``users`` repost ``tweet`` now (the latest last)."""
        self.reposters.setdefault(tweet.id, []).extend(user.id for user in users)

    def unrepost(self, tweet: Tweet, user: User) -> None:
        self.reposters.get(tweet.id, []).remove(user.id)

    def conversation_id(self, tweet: Tweet) -> str:
        while tweet.replied_to and tweet.replied_to in self.tweets:
            tweet = self.tweets[tweet.replied_to]
        return tweet.id


# --- what the server recorded and what it was told to do ---------------------------------


@dataclass(frozen=True)
class Request:
    endpoint: str  # search, retweeted_by, quote_tweets, lookup, list_members, or unknown
    path: str
    params: dict[str, str]
    authorization: str | None
    user_agent: str | None


@dataclass
class _Fault:
    endpoint: str
    call: int  # the endpoint's n-th request (1-based) that gets it
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class _Limit:
    limit: int
    remaining: int
    reset: int  # epoch seconds


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json(status: int, payload: Mapping[str, Any], **headers: str) -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), dict(headers))


def _invalid(parameters: Mapping[str, Sequence[str]], message: str) -> _Answer:
    return _json(
        400,
        {
            "errors": [
                {"parameters": {k: list(v) for k, v in parameters.items()}, "message": message}
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST,
        },
    )


def _not_found(value: str, parameter: str, resource_type: str = "tweet") -> dict[str, str]:
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FakeXApi:
    """The server, its world, its rate limits and its scripted failures."""

    def __init__(self, world: XWorld | None = None, *, token: str = TOKEN) -> None:
        self.world = world or XWorld()
        self.token = token
        self.requests: list[Request] = []
        self.oldest_since_id: int | None = None  # since_ids below it are "older than 7 days"
        self.forbidden = False  # answer 403 as X does for an app without access
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._faults: list[_Fault] = []
        reset = int(time.time()) + 15 * 60
        self._limits = {name: _Limit(n, n, reset) for name, n in DEFAULT_LIMITS.items()}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control from the tests ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake X API is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def requests_to(self, endpoint: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.endpoint == endpoint]

    def set_rate_limit(self, endpoint: str, *, remaining: int, reset: int) -> None:
        """``remaining`` requests left until ``reset`` (epoch seconds); at 0 it answers 429."""
        with self._lock:
            self._limits[endpoint] = _Limit(DEFAULT_LIMITS[endpoint], remaining, reset)

    def fail(
        self,
        endpoint: str,
        *,
        on_call: int | None = None,
        status: int = 503,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """The endpoint's ``on_call``-th request (default: its next one) gets ``status``
        with ``body`` (a small JSON body by default), after ``delay`` seconds. ``headers``
        are added to the rate-limit headers; an empty value drops that header."""
        with self._lock:
            call = on_call if on_call is not None else self._calls.get(endpoint, 0) + 1
            fault = _Fault(endpoint, call, status, headers=dict(headers or {}), delay=delay)
            fault.body = body if body is not None else json.dumps({"status": status}).encode()
            self._faults.append(fault)

    def malformed(self, endpoint: str, *, on_call: int | None = None) -> None:
        """A 200 whose body breaks off in the middle of the JSON."""
        self.fail(endpoint, on_call=on_call, status=200, body=b'{"data": [{"id": "1", "te')

    def hang(self, endpoint: str, seconds: float, *, on_call: int | None = None) -> None:
        """The request gets its answer only after ``seconds``: longer than a timeout."""
        self.fail(endpoint, on_call=on_call, status=200, body=b'{"meta":{}}', delay=seconds)

    # --- the server ----------------------------------------------------------------------

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown (once per test) from costing half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-x-api",
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

    def answer(self, path: str, query: str, headers: Mapping[str, str]) -> _Answer:
        endpoint, tweet_id = _route(path)
        raw = parse_qs(query, keep_blank_values=True)
        params = {name: values[-1] for name, values in raw.items()}
        with self._lock:
            self.requests.append(
                Request(
                    endpoint,
                    path,
                    params,
                    headers.get("Authorization"),
                    headers.get("User-Agent"),
                )
            )
            if headers.get("Authorization") != f"Bearer {self.token}":
                return _json(
                    401,
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                )
            if self.forbidden:
                return _json(
                    403,
                    {
                        "title": "Client Forbidden",
                        "detail": "This app is not allowed to use this endpoint.",
                        "reason": "client-not-enrolled",
                        "type": "https://api.twitter.com/2/problems/client-forbidden",
                    },
                )
            if endpoint == "unknown":
                return _json(
                    404,
                    {"errors": [{"message": "The requested resource could not be found."}]},
                )
            self._calls[endpoint] = call = self._calls.get(endpoint, 0) + 1
            limit = self._limits[endpoint]
            rate_headers = {
                "x-rate-limit-limit": str(limit.limit),
                "x-rate-limit-reset": str(limit.reset),
            }
            if limit.remaining <= 0:
                rate_headers["x-rate-limit-remaining"] = "0"
                return _json(
                    429,
                    {
                        "title": "Too Many Requests",
                        "detail": "Too Many Requests",
                        "type": "about:blank",
                        "status": 429,
                    },
                    **rate_headers,
                )
            limit.remaining -= 1
            rate_headers["x-rate-limit-remaining"] = str(limit.remaining)
            fault = next(
                (f for f in self._faults if (f.endpoint, f.call) == (endpoint, call)), None
            )
            if fault is not None:
                self._faults.remove(fault)
                merged = {**rate_headers, **fault.headers}
                # An empty value in the fault's headers drops that header.
                kept = {name: value for name, value in merged.items() if value}
                answer = _Answer(fault.status, fault.body, kept, fault.delay)
            else:
                answer = self._route_answer(endpoint, tweet_id, params, raw)
                answer.headers = {**rate_headers, **answer.headers}
            return answer

    def _route_answer(
        self, endpoint: str, tweet_id: str, params: dict[str, str], raw: Mapping[str, list[str]]
    ) -> _Answer:
        unknown = sorted(set(params) - ALLOWED_PARAMS[endpoint])
        if unknown:
            allowed = ",".join(sorted(ALLOWED_PARAMS[endpoint]))
            return _invalid(
                {unknown[0]: [params[unknown[0]]]},
                f"The query parameter [{unknown[0]}] is not one of [{allowed}]",
            )
        repeated = sorted(name for name, values in raw.items() if len(values) > 1)
        if repeated:
            return _invalid({repeated[0]: raw[repeated[0]]}, f"Duplicate parameter [{repeated[0]}]")
        if endpoint == "search":
            return self._search(params)
        if endpoint == "retweeted_by":
            return self._retweeted_by(tweet_id, params)
        if endpoint == "quote_tweets":
            return self._quote_tweets(tweet_id, params)
        if endpoint == "list_members":
            return self._list_members(tweet_id, params)
        return self._lookup(params)

    def _list_members(self, list_id: str, params: dict[str, str]) -> _Answer:
        """``GET /2/lists/:id/members``: up to 100 users a page, ``meta.next_token``."""
        size = _max_results(params, low=1, high=100, default=100)
        if isinstance(size, _Answer):
            return size
        if list_id not in self.world.lists:
            return _json(200, {"errors": [_not_found(list_id, "id", "list")]})
        ids = self.world.lists[list_id]
        users = [self.world.users[uid] for uid in ids if uid not in self.world.suspended]
        page, next_token = _offset_page(users, params.get("pagination_token"), size)
        if isinstance(page, _Answer):
            return page
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [_render_user(user, params) for user in page]
        if next_token:
            body["meta"]["next_token"] = next_token
        return _json(200, body)

    def _search(self, params: dict[str, str]) -> _Answer:
        size = _max_results(params, low=10, high=100, default=10)
        if isinstance(size, _Answer):
            return size
        match = re.fullmatch(r'url:(?:"([^"]+)"|(\S+))', params.get("query", "").strip())
        if match is None:
            return _invalid(
                {"query": [params.get("query", "")]},
                'The fake X API understands only a url:"<host>" query',
            )
        host = (match.group(1) or match.group(2)).lower()
        since_id, start_text = params.get("since_id"), params.get("start_time")
        if since_id is not None and start_text is not None:
            return _invalid(
                {"since_id": [since_id], "start_time": [start_text]},
                "Invalid use of 'since_id' or 'until_id' in conjunction with 'start_time' or "
                "'end_time'.",
            )
        if since_id is not None:
            if not since_id.isdigit():
                return _invalid(
                    {"since_id": [since_id]},
                    f"The `since_id` query parameter value [{since_id}] is not valid",
                )
            if self.oldest_since_id is not None and int(since_id) < self.oldest_since_id:
                window_start = datetime.now(UTC) - SEARCH_WINDOW
                return _invalid(
                    {"since_id": [since_id]},
                    f"'since_id' must be a tweet id created after "
                    f"{window_start:%Y-%m-%dT%H:%MZ}. Please use a 'since_id' that is larger "
                    f"than {self.oldest_since_id}",
                )
        start_time = None
        if start_text is not None:
            start_time = _parse_time(start_text)
            earliest = datetime.now(UTC) - SEARCH_WINDOW
            if start_time is None or start_time < earliest:
                return _invalid(
                    {"start_time": [start_text]},
                    f"Invalid 'start_time':'{start_text}'. 'start_time' must be on or after "
                    f"{earliest:%Y-%m-%dT%H:%MZ}",
                )
        found = [
            tweet
            for tweet in self.world.tweets.values()
            if any(host in url.lower() for url in tweet.urls)
            and (since_id is None or int(tweet.id) > int(since_id))
            and (start_time is None or tweet.created_at >= start_time)
        ]
        found.sort(key=lambda tweet: int(tweet.id), reverse=True)
        token = params.get("next_token") or params.get("pagination_token")
        if token is not None:
            # Like X's, the token holds its place: posts that arrive later do not shift it.
            if not token.startswith("nt") or not token[2:].isdigit():
                return _invalid({"next_token": [token]}, "Invalid next_token")
            found = [tweet for tweet in found if int(tweet.id) < int(token[2:])]
        page, rest = found[:size], found[size:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if rest:
            meta["next_token"] = f"nt{page[-1].id}"
        return _json(200, {**self._tweets_body(page, params), "meta": meta})

    def _retweeted_by(self, tweet_id: str, params: dict[str, str]) -> _Answer:
        size = _max_results(params, low=1, high=100, default=100)
        if isinstance(size, _Answer):
            return size
        if tweet_id not in self.world.tweets:
            return _json(200, {"errors": [_not_found(tweet_id, "id")]})
        # X lists only the latest 100 reposters, newest first.
        user_ids = list(reversed(self.world.reposters.get(tweet_id, [])))[:100]
        users = [self.world.users[uid] for uid in user_ids if uid not in self.world.suspended]
        page, next_token = _offset_page(users, params.get("pagination_token"), size)
        if isinstance(page, _Answer):
            return page
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [_render_user(user, params) for user in page]
        if next_token:
            body["meta"]["next_token"] = next_token
        return _json(200, body)

    def _quote_tweets(self, tweet_id: str, params: dict[str, str]) -> _Answer:
        size = _max_results(params, low=10, high=100, default=10)
        if isinstance(size, _Answer):
            return size
        if tweet_id not in self.world.tweets:
            return _json(200, {"errors": [_not_found(tweet_id, "id")]})
        quotes = sorted(
            (tweet for tweet in self.world.tweets.values() if tweet.quoted == tweet_id),
            key=lambda tweet: int(tweet.id),
            reverse=True,
        )
        page, next_token = _offset_page(quotes, params.get("pagination_token"), size)
        if isinstance(page, _Answer):
            return page
        meta: dict[str, Any] = {"result_count": len(page)}
        if next_token:
            meta["next_token"] = next_token
        return _json(200, {**self._tweets_body(page, params), "meta": meta})

    def _lookup(self, params: dict[str, str]) -> _Answer:
        ids = [value for value in params.get("ids", "").split(",") if value]
        if not 1 <= len(ids) <= 100:
            return _invalid(
                {"ids": [params.get("ids", "")]},
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                "between 1 and 100",
            )
        found = [self.world.tweets[i] for i in ids if i in self.world.tweets]
        body = self._tweets_body(found, params)
        missing = [_not_found(i, "ids") for i in ids if i not in self.world.tweets]
        if missing:
            body["errors"] = body.get("errors", []) + missing
        return _json(200, body)

    def _tweets_body(self, tweets: Sequence[Tweet], params: Mapping[str, str]) -> dict[str, Any]:
        expansions = set(params.get("expansions", "").split(","))
        body: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        if tweets:
            body["data"] = [self._render_tweet(tweet, params) for tweet in tweets]
        includes: dict[str, Any] = {}
        if "author_id" in expansions:
            users: list[dict[str, Any]] = []
            for author_id in dict.fromkeys(tweet.author_id for tweet in tweets):
                if author_id in self.world.suspended or author_id not in self.world.users:
                    errors.append(_not_found(author_id, "author_id", "user"))
                else:
                    users.append(_render_user(self.world.users[author_id], params))
            if users:
                includes["users"] = users
        if "referenced_tweets.id" in expansions:
            referenced = [
                self.world.tweets[ref]
                for tweet in tweets
                for ref in (tweet.quoted, tweet.replied_to, tweet.retweeted)
                if ref is not None and ref in self.world.tweets
            ]
            if referenced:
                unique = {tweet.id: tweet for tweet in referenced}.values()
                includes["tweets"] = [self._render_tweet(tweet, params) for tweet in unique]
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = errors
        return body

    def _render_tweet(self, tweet: Tweet, params: Mapping[str, str]) -> dict[str, Any]:
        fields = set(params.get("tweet.fields", "").split(","))
        rendered: dict[str, Any] = {
            "id": tweet.id,
            "text": tweet.text,
            "edit_history_tweet_ids": [tweet.id],
        }
        if "created_at" in fields:
            rendered["created_at"] = _x_time(tweet.created_at)
        if "author_id" in fields:
            rendered["author_id"] = tweet.author_id
        if "conversation_id" in fields:
            rendered["conversation_id"] = self.world.conversation_id(tweet)
        if "entities" in fields and tweet.urls:
            entities = []
            for number, url in enumerate(tweet.urls):
                entity = {
                    "start": number * 24,
                    "end": number * 24 + 23,
                    "url": f"https://t.co/fake{number}{tweet.id[-6:]}",
                    "expanded_url": url,
                    "display_url": url.split("://", 1)[-1][:26],
                }
                if url in tweet.unwound:
                    entity["unwound_url"] = tweet.unwound[url]
                entities.append(entity)
            rendered["entities"] = {"urls": entities}
        if "referenced_tweets" in fields:
            references = [
                {"type": x_type, "id": ref}
                for x_type, ref in (
                    ("retweeted", tweet.retweeted),
                    ("quoted", tweet.quoted),
                    ("replied_to", tweet.replied_to),
                )
                if ref is not None
            ]
            if references:
                rendered["referenced_tweets"] = references
        if "public_metrics" in fields:
            rendered["public_metrics"] = {
                "retweet_count": len(self.world.reposters.get(tweet.id, [])),
                "reply_count": 0,
                "like_count": 0,
                "quote_count": sum(1 for t in self.world.tweets.values() if t.quoted == tweet.id),
                "bookmark_count": 0,
                "impression_count": 0,
                **tweet.metrics,
            }
        return rendered


def _render_user(user: User, params: Mapping[str, str]) -> dict[str, Any]:
    rendered: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    if "public_metrics" in params.get("user.fields", "").split(","):
        rendered["public_metrics"] = {
            "followers_count": user.followers,
            "following_count": 10,
            "tweet_count": 100,
            "listed_count": 0,
            "like_count": 0,
        }
    return rendered


def _route(path: str) -> tuple[str, str]:
    if path == "/2/tweets/search/recent":
        return "search", ""
    if path == "/2/tweets":
        return "lookup", ""
    members = re.fullmatch(r"/2/lists/(\d{1,19})/members", path)
    if members:
        return "list_members", members.group(1)
    match = re.fullmatch(r"/2/tweets/(\d{1,19})/(retweeted_by|quote_tweets)", path)
    if match:
        return match.group(2), match.group(1)
    return "unknown", ""


def _max_results(params: Mapping[str, str], *, low: int, high: int, default: int) -> int | _Answer:
    value = params.get("max_results", str(default))
    if not value.isdigit() or not low <= int(value) <= high:
        return _invalid(
            {"max_results": [value]},
            f"The `max_results` query parameter value [{value}] is not between {low} and {high}",
        )
    return int(value)


def _offset_page(
    items: Sequence[Any], token: str | None, size: int
) -> tuple[list[Any], str | None] | tuple[_Answer, None]:
    offset = 0
    if token is not None:
        if not token.startswith("pt") or not token[2:].isdigit():
            return _invalid({"pagination_token": [token]}, "Invalid pagination_token"), None
        offset = int(token[2:])
    page = list(items[offset : offset + size])
    more = offset + size < len(items)
    return page, (f"pt{offset + size}" if more else None)


class _Handler(BaseHTTPRequestHandler):
    api: FakeXApi
    protocol_version = "HTTP/1.1"  # keep-alive, as X serves it
    timeout = 10  # an idle kept-alive connection is dropped after this

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        answer = self.api.answer(parts.path, parts.query, self.headers)
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
def running_fake_x(world: XWorld | None = None, *, token: str = TOKEN) -> Iterator[FakeXApi]:
    """A started fake X API, stopped on exit."""
    fake = FakeXApi(world, token=token)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
