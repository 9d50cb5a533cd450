"""One run of the share poller for one source: find new posts that link to the short
domain, store them as shares, then ask for reposts and quotes of the posts it watches,
only where their counts grew.

Requests grow with new posts, never with the number of links: one search covers every
link. ``since_id`` moves only after every page of the search is stored, so a fault on any
page leaves it where it was and the next run reads those posts again (shares are keyed by
post, so nothing is stored twice). A rate limit stops the run and is remembered; a spent
budget stops it quietly; the next run goes on.

Each network's run stands alone: whatever stops one (credentials it refuses, a fault, a
bug) is that run's report, and the other networks are still polled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from jobtrail.domain.clicks import LinkTarget
from jobtrail.domain.shares import Share, ShareOrigin, share_from_post, slug_of
from jobtrail.domain.times import iso
from jobtrail.sources.base import (
    BudgetExhausted,
    Post,
    RateLimited,
    RequestBudget,
    ShareSource,
    SinceIdTooOld,
    SourceRejected,
    SourceUnavailable,
)

LEASE_SECONDS = 300
SEARCH_WINDOW = timedelta(days=7)
REFRESH_CHUNK = 100


@dataclass(frozen=True)
class Watched:
    """A post the poller watches for reposts and quotes, with the counts it last acted on
    and the link it spread (which its reposts and quotes spread too)."""

    post_id: str
    repost_count: int
    quote_count: int
    created_at: str | None
    slug: str
    job_id: str
    workspace_id: str
    channel: str


class ShareStore(Protocol):
    def save_share(self, share: Share, *, now: datetime) -> bool: ...
    def link_sharer(self, share: Share, *, now: datetime) -> None: ...
    def tracked(self, platform: str, *, now: datetime) -> list[Watched]: ...
    def note_counts(self, platform: str, post_id: str, *, reposts: int, quotes: int) -> None: ...
    def forget(self, platform: str, post_id: str) -> None: ...
    def poll_state(self, platform: str) -> Any: ...
    def take_lease(self, platform: str, owner: str, *, now: datetime, seconds: int) -> bool: ...
    def release_lease(self, platform: str, owner: str) -> None: ...
    def advance_since_id(self, platform: str, since_id: str) -> None: ...
    def rate_limited_until(self, platform: str, until: datetime) -> None: ...


# The statuses of a run that went wrong: someone should look when they repeat.
FAULTS = frozenset({"rejected", "unavailable", "failed"})


@dataclass
class RunReport:
    platform: str
    status: str = "ok"  # ok, skipped_rate_limited, skipped_running, rate_limited,
    # budget_spent, and the FAULTS: rejected (credentials or access refused), unavailable
    # (5xx, timeout, malformed answer), failed (anything else: ``error`` holds it)
    requests: int = 0
    posts_found: int = 0
    shares_new: int = 0
    detail: str | None = None
    error: Exception | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "status": self.status,
            "requests": self.requests,
            "posts_found": self.posts_found,
            "shares_new": self.shares_new,
            "detail": self.detail,
        }


def poll(
    source: ShareSource,
    store: ShareStore,
    *,
    short_host: str,
    find_link: Callable[[str], LinkTarget | None],
    max_requests: int,
    now: datetime,
) -> RunReport:
    report = RunReport(platform=source.platform)
    state = store.poll_state(source.platform)
    if state.rate_limited_until and state.rate_limited_until > iso(now):
        report.status = "skipped_rate_limited"
        report.detail = state.rate_limited_until
        return report
    owner = uuid.uuid4().hex
    if not store.take_lease(source.platform, owner, now=now, seconds=LEASE_SECONDS):
        report.status = "skipped_running"
        return report
    budget = RequestBudget(max_requests)
    run = _Run(source, store, short_host, find_link, budget, report, now)
    try:
        run.search(state.since_id)
        run.follow_spread()
    except RateLimited as limited:
        store.rate_limited_until(source.platform, limited.reset_at)
        report.status, report.detail = "rate_limited", iso(limited.reset_at)
    except BudgetExhausted:
        report.status = "budget_spent"
    except SourceUnavailable as fault:
        report.status, report.detail = "unavailable", str(fault)
    except SourceRejected as refusal:
        report.status, report.detail = "rejected", str(refusal)
    finally:
        report.requests = budget.spent
        store.release_lease(source.platform, owner)
    return report


@dataclass
class _Run:
    source: ShareSource
    store: ShareStore
    short_host: str
    find_link: Callable[[str], LinkTarget | None]
    budget: RequestBudget
    report: RunReport
    now: datetime
    _links: dict[str, LinkTarget | None] = field(default_factory=dict)

    def _link(self, slug: str) -> LinkTarget | None:
        if slug not in self._links:
            self._links[slug] = self.find_link(slug)
        return self._links[slug]

    def _store(self, post: Post, origin: ShareOrigin) -> None:
        share = share_from_post(post, origin, seen_at=iso(self.now))
        if self.store.save_share(share, now=self.now):
            self.report.shares_new += 1
            # Its author joins the network: the person with that handle, or a new one.
            self.store.link_sharer(share, now=self.now)

    def _link_of(self, post: Post) -> LinkTarget | None:
        for url in post.linked_urls:
            slug = slug_of(url, self.short_host)
            if slug is not None:
                link = self._link(slug)
                if link is not None:
                    return link
        return None

    def search(self, since_id: str | None) -> None:
        start_time: datetime | None = None
        while True:
            try:
                newest = self._pages(since_id, start_time)
            except SinceIdTooOld:
                # The network keeps 7 days: read all it still has (keys stop duplicates).
                since_id, start_time = None, self.now - SEARCH_WINDOW + timedelta(minutes=2)
                continue
            if newest is not None:
                self.store.advance_since_id(self.source.platform, newest)
            return

    def _pages(self, since_id: str | None, start_time: datetime | None) -> str | None:
        token: str | None = None
        newest: str | None = None
        first = True
        while True:
            page = self.source.search(
                self.short_host,
                since_id=since_id,
                start_time=start_time,
                next_token=token,
                budget=self.budget,
            )
            if first:
                newest, first = page.newest_id, False
            for post in page.posts:
                link = self._link_of(post)
                if link is None:
                    continue  # a post that links elsewhere, or to a link we do not have
                self.report.posts_found += 1
                self._store(post, link)
            token = page.next_token
            if not token:
                return newest

    def follow_spread(self) -> None:
        """Reposts and quotes of the watched posts, asked for only where counts grew; the
        newest first, as they are the likeliest to spread if the budget runs out."""
        watched = {w.post_id: w for w in self.store.tracked(self.source.platform, now=self.now)}
        ids = sorted(watched, key=lambda i: watched[i].created_at or "", reverse=True)
        for start in range(0, len(ids), REFRESH_CHUNK):
            for post in self.source.refresh(ids[start : start + REFRESH_CHUNK], budget=self.budget):
                if post.post_id not in watched:
                    continue
                if post.kind == "repost":
                    # Watched by an earlier version, which also stored it apart from its
                    # reposter's share; stored again it becomes that one share. A repost
                    # has no reposts or quotes of its own.
                    self._store(post, watched[post.post_id])
                    self.store.forget(self.source.platform, post.post_id)
                else:
                    self._follow(post, watched[post.post_id])

    def _follow(self, post: Post, origin: Watched) -> None:
        assert post.post_id is not None
        # Reposts and quotes spread the same link as the post they repost or quote.
        seen_reposts, seen_quotes = origin.repost_count, origin.quote_count
        reposts = post.metrics.get("repost_count", 0)
        quotes = post.metrics.get("quote_count", 0)
        if reposts > seen_reposts:
            for repost in self.source.reposts_of(post, budget=self.budget):
                self._store(repost, origin)
        if quotes > seen_quotes:
            for quote in self.source.quotes_of(post, budget=self.budget):
                self._store(quote, origin)
        if (reposts, quotes) != (seen_reposts, seen_quotes):
            # The share keeps the post's latest metrics and its author's latest followers.
            self._store(post, origin)
            self.store.note_counts(
                self.source.platform, post.post_id, reposts=reposts, quotes=quotes
            )


def poll_all(
    sources: Sequence[ShareSource],
    store: ShareStore,
    **kwargs: Any,
) -> list[RunReport]:
    """Every source's run, each whatever became of the others."""
    reports = []
    for source in sources:
        try:
            reports.append(poll(source, store, **kwargs))
        except Exception as error:  # one network's fault must not stop the others
            reports.append(
                RunReport(
                    platform=source.platform,
                    status="failed",
                    detail=f"{type(error).__name__}: {error}",
                    error=error,
                )
            )
    return reports
