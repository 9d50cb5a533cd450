"""X (Twitter) API v2 as a share source.

Four endpoints, all read-only with an app bearer token:

- ``GET /2/tweets/search/recent``: posts linking to the short host (``url:"<host>"``),
  newest first, one page per call; the poller follows ``next_token`` and keeps the first
  page's ``newest_id`` as its next ``since_id``.
- ``GET /2/tweets/:id/retweeted_by``: who reposted a post. X gives users, not the reposts'
  own ids or times, so those stay ``None`` (search may find the same repost with its id;
  the poller keys a repost by the post it reposted and its author, so it is one share).
- ``GET /2/tweets/:id/quote_tweets``: the quotes of a post.
- ``GET /2/tweets?ids=``: the same posts again, for their current metrics.

HTTP goes through urllib3 rather than ``urllib.request``: it ships with botocore (already
in every function's bundle), keeps the TLS connection open across the dozens of requests
of one run, hands back 4xx/5xx as responses instead of exceptions, and lets us switch off
its retries and redirects so that every request on the wire is one the budget paid for.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlencode

import urllib3

from jobtrail.domain.times import utc_now
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

PLATFORM = "x"

SEARCH_PATH = "/2/tweets/search/recent"
LOOKUP_PATH = "/2/tweets"
PAGE_SIZE = 100  # the most X gives per page on all four endpoints
LOOKUP_CHUNK = 100  # ``ids=`` takes at most 100
DEFAULT_MAX_LOOKUP_PAGES = 3

EXPANSIONS = "author_id,referenced_tweets.id"
TWEET_FIELDS = "created_at,author_id,entities,referenced_tweets,public_metrics,conversation_id"
USER_FIELDS = "username,name,public_metrics"
MEMBER_FIELDS = "public_metrics,username,name"  # as X's List members docs spell it

# X's recent search reaches back 7 days and answers 400 for a start_time before that; the
# margin covers the clock difference between us and X.
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=2)
# X's rate-limit windows are 15 minutes: the wait when a 429 does not say how long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)

# X's names for a post's public counts, and ours.
METRIC_NAMES = {
    "retweet_count": "repost_count",
    "quote_count": "quote_count",
    "reply_count": "reply_count",
    "like_count": "like_count",
    "impression_count": "impression_count",
    "bookmark_count": "bookmark_count",
}

# X's referenced_tweets types, strongest first, and the kind of post each makes.
REFERENCE_KINDS: tuple[tuple[str, Kind], ...] = (
    ("retweeted", "repost"),
    ("quoted", "quote"),
    ("replied_to", "reply"),
)

_read = JsonReader("X")


class XSource:
    """Talks to X API v2 at ``base_url`` (no trailing ``/2``) with an app bearer token.

    One instance serves one run. It remembers, per endpoint, a rate limit X announced
    (``x-rate-limit-remaining: 0`` or a 429), and refuses further requests to that endpoint
    until the reset without spending budget or touching the network. X counts each
    endpoint's limit apart, so a spent search limit does not stop the metric refresh.
    """

    platform: str = PLATFORM

    def __init__(
        self,
        base_url: str,
        bearer_token: str,
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = utc_now,
        max_lookup_pages: int = DEFAULT_MAX_LOOKUP_PAGES,
    ) -> None:
        base_url = http_base_url(base_url, "X API")
        if not bearer_token.strip():
            raise ValueError("X bearer token is empty")
        if max_lookup_pages < 1:
            raise ValueError("max_lookup_pages must be at least 1")
        self._base_url = base_url
        self._token = bearer_token
        self._headers = {
            "Authorization": f"Bearer {bearer_token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        self._now = now
        self._max_lookup_pages = max_lookup_pages
        self._http = pool(timeout)
        # X counts each endpoint's limit apart: one bucket an endpoint.
        self._rate_limits = RateLimitGate(
            "X",
            now=now,
            default_wait=DEFAULT_RATE_LIMIT_WAIT,
            reset_header="x-rate-limit-reset",
            remaining_header="x-rate-limit-remaining",
        )

    def __repr__(self) -> str:
        # The default repr is harmless today; this one stays harmless if fields change.
        return f"XSource(base_url={self._base_url!r})"

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

        X accepts ``since_id`` or ``start_time``, never both, so passing both is a
        programming error. Pass the same ``since_id`` (or ``start_time``) with every
        ``next_token`` of one search. A ``start_time`` older than X's 7-day window is moved
        up to the window's start. Posts whose author X withholds are left out. A repost
        comes as itself: its own id, and the post it reposted as its parent.
        """
        check_search_args(short_host, since_id, start_time, taker="X", refused_chars=' "/\t\n')
        params = {
            "query": f'url:"{short_host}"',
            "max_results": str(PAGE_SIZE),
            "expansions": EXPANSIONS,
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        if since_id is not None:
            params["since_id"] = since_id
        elif start_time is not None:
            params["start_time"] = _x_time(max(start_time, self._now() - SEARCH_WINDOW))
        if next_token is not None:
            params["next_token"] = next_token
        body = self._get("search", SEARCH_PATH, params, budget, since_id=since_id)
        meta = _read.object(body, "meta")
        return SearchPage(
            posts=_posts(body),
            newest_id=optional_str(meta, "newest_id"),
            next_token=optional_str(meta, "next_token"),
        )

    def reposts_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """Who reposted ``post``, newest first. X lists only the latest reposters (about
        100), so the poller asks often and remembers each reposter it has seen."""
        post_id = _own_id(post)
        params = {"max_results": str(PAGE_SIZE), "user.fields": USER_FIELDS}
        reposts: list[Post] = []
        for body in self._pages(
            "retweeted_by", f"/2/tweets/{post_id}/retweeted_by", params, budget
        ):
            for user in _array(body, "data"):
                reposts.append(
                    Post(
                        platform=PLATFORM,
                        post_id=None,
                        url=None,
                        kind="repost",
                        author=_author(user),
                        parent_post_id=post_id,
                        created_at=None,
                    )
                )
        return reposts

    def list_members(self, list_id: str, *, budget: RequestBudget) -> Sequence[Author]:
        """The members of an X List (``GET /2/lists/:id/members``), 100 a page, every page
        the budget pays for (RequestBudget's own refusal stops it, as a rate limit does:
        RateLimited). A list X does not know answers no members."""
        params = {"max_results": str(PAGE_SIZE), "user.fields": MEMBER_FIELDS}
        members: list[Author] = []
        token: str | None = None
        path = f"/2/lists/{quote(list_id, safe='')}/members"
        while True:
            page_params = dict(params)
            if token is not None:
                page_params["pagination_token"] = token
            body = self._get("list_members", path, page_params, budget)
            members.extend(_author(user) for user in _array(body, "data"))
            meta = body.get("meta")
            token = optional_str(meta, "next_token") if isinstance(meta, dict) else None
            if token is None:
                return members

    def quotes_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """The quotes of ``post``, newest first, up to ``max_lookup_pages`` pages."""
        post_id = _own_id(post)
        params = {
            "max_results": str(PAGE_SIZE),
            "expansions": EXPANSIONS,
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        quotes: list[Post] = []
        for body in self._pages(
            "quote_tweets", f"/2/tweets/{post_id}/quote_tweets", params, budget
        ):
            # X lists it as a quote of this post, whatever else it references.
            quotes.extend(_with_parent(found, "quote", post_id) for found in _posts(body))
        return quotes

    def refresh(self, post_ids: Sequence[str], *, budget: RequestBudget) -> Sequence[Post]:
        """The posts again with their current metrics, 100 ids per request. Posts X no
        longer shows (deleted, protected) are missing from the answer."""
        unique = list(dict.fromkeys(post_ids))
        posts: list[Post] = []
        for start in range(0, len(unique), LOOKUP_CHUNK):
            params = {
                "ids": ",".join(unique[start : start + LOOKUP_CHUNK]),
                "expansions": EXPANSIONS,
                "tweet.fields": TWEET_FIELDS,
                "user.fields": USER_FIELDS,
            }
            body = self._get("lookup", LOOKUP_PATH, params, budget)
            posts.extend(_posts(body))
        return posts

    # --- HTTP ----------------------------------------------------------------------------

    def _pages(
        self, endpoint: str, path: str, params: Mapping[str, str], budget: RequestBudget
    ) -> Iterator[Json]:
        """The pages of a per-post list, following ``meta.next_token`` up to the cap."""
        token: str | None = None
        for _ in range(self._max_lookup_pages):
            page_params = dict(params)
            if token is not None:
                page_params["pagination_token"] = token
            body = self._get(endpoint, path, page_params, budget)
            yield body
            meta = body.get("meta")
            token = optional_str(meta, "next_token") if isinstance(meta, dict) else None
            if token is None:
                return

    def _get(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str],
        budget: RequestBudget,
        *,
        since_id: str | None = None,
    ) -> Json:
        # A known rate limit comes first: it costs no budget and says when to come back.
        self._rate_limits.refuse_if_limited(endpoint, endpoint)
        budget.spend()
        url = f"{self._base_url}{path}?{urlencode(params, quote_via=quote)}"
        try:
            response = self._http.request(
                "GET", url, headers=self._headers, redirect=False, retries=False
            )
        except urllib3.exceptions.HTTPError as exc:
            # Timeouts, refused connections, resets: the message names the kind, and the
            # URL carries no secret (the token travels in a header).
            raise SourceUnavailable(f"X {endpoint} request failed: {type(exc).__name__}") from exc
        status = response.status
        self._rate_limits.note(endpoint, endpoint, status, response.headers)
        if status >= 500:
            raise SourceUnavailable(f"X {endpoint} answered {status}")
        if status != 200:
            self._raise_refusal(endpoint, status, response.data, since_id=since_id)
        return self._json(endpoint, response.data)

    def _json(self, endpoint: str, raw: bytes) -> Json:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise SourceUnavailable(f"X {endpoint} answered with malformed JSON") from exc
        if not isinstance(body, dict):
            raise SourceUnavailable(f"X {endpoint} answered with JSON that is not an object")
        # Every answer of these endpoints has data, meta, or (a post that is gone) errors.
        if not {"data", "meta", "errors"} & body.keys():
            raise SourceUnavailable(f"X {endpoint} answered without data, meta or errors")
        return body

    def _raise_refusal(
        self, endpoint: str, status: int, raw: bytes, *, since_id: str | None
    ) -> NoReturn:
        problem = json_object_or_empty(raw)
        if status == 400 and since_id is not None and _refuses_since_id(problem):
            raise SinceIdTooOld(f"X refused since_id {since_id}: {_first_message(problem)}")
        title = problem.get("title")
        words = [title if isinstance(title, str) else "", _first_message(problem)]
        summary = ": ".join(dict.fromkeys(word for word in words if word))
        if status == 401:
            hint = "the bearer token is wrong, revoked or expired (X_BEARER_TOKEN / the secret)"
        elif status == 403:
            hint = "the X app has no access to this endpoint (check its project and plan)"
        elif 300 <= status < 400:
            hint = "X redirected the request (check X_API_BASE_URL)"
        else:
            hint = "the request was refused"
        message = f"X {endpoint} answered {status}: {hint}" + (f" ({summary})" if summary else "")
        # X's own words never echo the token, but a proxy's error page might.
        raise SourceRejected(status, message.replace(self._token, "[token]"))


# --- mapping X's JSON to posts -----------------------------------------------------------


def _posts(body: Json) -> list[Post]:
    users = {author.id: author for author in map(_author, _array(_includes(body), "users"))}
    posts = []
    for tweet in _array(body, "data"):
        post = _post(tweet, users)
        if post is not None:
            posts.append(post)
    return posts


def _post(tweet: object, users: Mapping[str, Author]) -> Post | None:
    if not isinstance(tweet, dict):
        raise SourceUnavailable("X answered with a post that is not an object")
    post_id = _read.string(tweet, "id")
    author = users.get(_read.string(tweet, "author_id"))
    if author is None:
        # X withholds the author (suspended, protected) and says so in ``errors``; a share
        # nobody can be credited with is of no use to the poller.
        return None
    # Search and lookup give a repost as itself, with its own id; its parent is what it
    # reposted.
    kind, parent = _kind(tweet)
    return Post(
        platform=PLATFORM,
        post_id=post_id,
        url=f"https://x.com/{author.handle}/status/{post_id}",
        kind=kind,
        author=author,
        parent_post_id=parent,
        created_at=_time(tweet.get("created_at")),
        linked_urls=_linked_urls(tweet),
        metrics=_metrics(tweet),
    )


def _kind(tweet: Json) -> tuple[Kind, str | None]:
    references: dict[str, str] = {}
    for reference in _array(tweet, "referenced_tweets"):
        if isinstance(reference, dict):
            references.setdefault(_read.string(reference, "type"), _read.string(reference, "id"))
    # A post can quote one post and reply to another; what it spreads is what it quotes.
    for x_type, kind in REFERENCE_KINDS:
        if x_type in references:
            return kind, references[x_type]
    return "post", None


def _with_parent(post: Post, kind: Kind, parent: str) -> Post:
    return dataclasses.replace(post, kind=kind, parent_post_id=parent)


def _author(user: object) -> Author:
    if not isinstance(user, dict):
        raise SourceUnavailable("X answered with a user that is not an object")
    counts = user.get("public_metrics")
    followers = counts.get("followers_count") if isinstance(counts, dict) else None
    return Author(
        id=_read.string(user, "id"),
        handle=_read.string(user, "username"),
        name=user.get("name") if isinstance(user.get("name"), str) else None,
        followers=followers if is_count(followers) else None,
    )


def _linked_urls(tweet: Json) -> tuple[str, ...]:
    entities = tweet.get("entities")
    urls: list[str] = []
    for entity in _array(entities, "urls") if isinstance(entities, dict) else []:
        if not isinstance(entity, dict):
            continue
        # expanded_url is what the author pasted (our short link); unwound_url, when X
        # followed the redirects, is where it ends.
        for key in ("expanded_url", "unwound_url"):
            value = entity.get(key)
            if isinstance(value, str) and value and value not in urls:
                urls.append(value)
    return tuple(urls)


def _metrics(tweet: Json) -> dict[str, int]:
    counts = tweet.get("public_metrics")
    if not isinstance(counts, dict):
        return {}
    return {
        ours: counts[theirs]
        for theirs, ours in METRIC_NAMES.items()
        if is_count(counts.get(theirs))
    }


# --- small readers that turn a surprise in X's JSON into SourceUnavailable ---------------


def _includes(body: Json) -> Json:
    includes = body.get("includes")
    return includes if isinstance(includes, dict) else {}


def _array(body: Json, key: str) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise SourceUnavailable(f"X answered with {key!r} that is not a list")
    return value


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceUnavailable("X answered with a created_at that is not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise SourceUnavailable(f"X answered with an unreadable created_at {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _own_id(post: Post) -> str:
    if post.platform != PLATFORM or post.post_id is None:
        raise ValueError("only an X post with its own id has reposts and quotes to look up")
    return post.post_id


# --- X's error bodies --------------------------------------------------------------------


def _refuses_since_id(problem: Json) -> bool:
    """X's answer to a since_id it will not take (older than its 7 days, or not an id):
    ``{"errors": [{"parameters": {"since_id": ["..."]}, "message": "'since_id' must be a
    tweet id created after ..."}], "title": "Invalid Request", ...}``. An error naming
    since_id with another parameter (since_id with start_time) is a different mistake."""
    errors = problem.get("errors")
    for error in errors if isinstance(errors, list) else []:
        parameters = error.get("parameters") if isinstance(error, dict) else None
        if isinstance(parameters, dict) and set(parameters) == {"since_id"}:
            return True
    return False


def _first_message(problem: Json) -> str:
    errors = problem.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            for key in ("message", "detail"):
                if isinstance(error.get(key), str):
                    return str(error[key])
    detail = problem.get("detail")
    return detail if isinstance(detail, str) else ""


if TYPE_CHECKING:
    # mypy proves here that XSource keeps the ShareSource contract.
    _conforms: type[ShareSource] = XSource
