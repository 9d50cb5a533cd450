"""What the share poller needs from a network, whichever it is.

A source finds posts that link to the short domain, and the reposts and quotes of posts it
already knows. It speaks the network's wire format and nothing else: it does not know about
slugs, jobs or storage. Every request goes through the source's ``budget`` so that one run
never spends more than it may, and a rate limit stops the run with the time to come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Kind = Literal["post", "repost", "quote", "reply"]


@dataclass(frozen=True)
class Author:
    id: str
    handle: str
    name: str | None
    followers: int | None


@dataclass(frozen=True)
class Post:
    """One post (or repost) as the network describes it."""

    platform: str  # "x", "bluesky"
    post_id: str | None  # the network's own id; None for a repost known only as a reposter
    url: str | None  # the post's web address; None when post_id is None
    kind: Kind
    author: Author
    parent_post_id: str | None  # what it reposted, quoted or replied to
    created_at: datetime | None  # the post's own time; None when the network does not say
    linked_urls: tuple[str, ...] = ()  # expanded URLs in the post (matched to slugs later)
    metrics: dict[str, int] = field(default_factory=dict)  # e.g. repost_count, quote_count


@dataclass(frozen=True)
class SearchPage:
    posts: Sequence[Post]
    newest_id: str | None  # the newest post id of the whole search (first page), for since_id
    next_token: str | None  # None on the last page


class RateLimited(Exception):
    """The network said 429 (or the budget ran out): stop this run, come back after
    ``reset_at``."""

    def __init__(self, reset_at: datetime, message: str = "rate limited") -> None:
        super().__init__(message)
        self.reset_at = reset_at


class BudgetExhausted(Exception):
    """This run's request budget is spent; the next run goes on."""


class SourceUnavailable(Exception):
    """5xx, a timeout, malformed JSON: nothing from this request may be trusted."""


class SinceIdTooOld(Exception):
    """The network refuses the since_id (X answers 400 for one older than 7 days)."""


class SourceRejected(Exception):
    """The network refuses the request itself: bad credentials (401), no access to the
    endpoint (403), or a request it will never accept. Retrying will not help; someone has
    to fix the configuration. The message names the problem and never holds a secret."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RequestBudget:
    """Counts a run's requests; ``spend()`` before each one raises BudgetExhausted past
    the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self) -> None:
        if self.spent >= self.limit:
            raise BudgetExhausted(f"{self.limit} requests spent")
        self.spent += 1


class ShareSource(Protocol):
    platform: str

    def search(
        self,
        short_host: str,
        *,
        since_id: str | None,
        start_time: datetime | None,
        next_token: str | None,
        budget: RequestBudget,
    ) -> SearchPage:
        """One page of the newest posts linking to ``short_host``."""
        ...

    def reposts_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """The reposts of ``post`` the network lists (X: the latest 100 reposters)."""
        ...

    def quotes_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        """The quotes of ``post``."""
        ...

    def refresh(self, post_ids: Sequence[str], *, budget: RequestBudget) -> Sequence[Post]:
        """The same posts with their latest metrics and authors' follower counts."""
        ...
