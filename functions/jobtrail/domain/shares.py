"""Shares: posts on the networks that shared a job's links, and how the ad spread.

A share is keyed by its network and its own post id, except a repost: it is keyed by the
post it reposted and its author, whether or not its own id is known (X's search finds a
repost with its id, the list of reposters names only its author), so it is one share
however often, and however, it is found. Its own id is kept when a sighting gives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from jobtrail.sources.base import Post


@dataclass(frozen=True)
class Share:
    platform: str
    post_id: str | None
    url: str | None
    kind: str
    author_id: str
    handle: str | None  # None once the person who made it was deleted (``anonymous``)
    name: str | None
    followers: int | None
    followers_first: int | None
    parent_post_id: str | None
    slug: str
    job_id: str
    workspace_id: str
    channel: str
    created_at: str | None
    first_seen_at: str
    metrics: Mapping[str, int] = field(default_factory=dict)
    # The person its author is, once linked (``domain.people.person_for_sharer``).
    person_id: str | None = None
    # Its author was deleted: it stays counted, with no author or URL.
    anonymous: bool = False

    @property
    def key(self) -> str:
        return share_key(
            self.platform, self.kind, self.post_id, self.parent_post_id, self.author_id
        )


def share_key(
    platform: str, kind: str, post_id: str | None, parent: str | None, author_id: str
) -> str:
    # A user reposts a post once, so the reposted post and the author name the repost.
    if (kind == "repost" and parent is not None) or post_id is None:
        return f"{platform}#repost#{parent}#{author_id}"
    return f"{platform}#post#{post_id}"


def merged(first: Share, later: Share) -> Share:
    """One share from two sightings of the same share (a repost found by search with its
    own id, and in a list of reposters without): the first's link and channel, the
    earliest sighting and the follower count then, the own id, URL and time of the first
    that knows them, and the later's follower count and metrics where it has them."""
    earlier_first = first.first_seen_at <= later.first_seen_at
    earliest, other = (first, later) if earlier_first else (later, first)
    own = first if first.post_id is not None else later
    return replace(
        first,
        post_id=own.post_id,
        url=own.url,
        created_at=own.created_at,
        followers=later.followers if later.followers is not None else first.followers,
        followers_first=(
            earliest.followers_first
            if earliest.followers_first is not None
            else other.followers_first
        ),
        first_seen_at=earliest.first_seen_at,
        metrics=dict(later.metrics or first.metrics),
    )


def slug_of(url: str, short_host: str) -> str | None:
    """The slug a URL names on our short domain, or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if (parts.hostname or "").lower().rstrip(".") != short_host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    return segments[0] if len(segments) == 1 else None


class ShareOrigin(Protocol):
    """The link a share spread: the link its URL names, or the share it reposted or quoted
    (a link, or a watched post, both carry these)."""

    @property
    def slug(self) -> str: ...
    @property
    def job_id(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def channel(self) -> str: ...


def share_from_post(post: Post, origin: ShareOrigin, *, seen_at: str) -> Share:
    slug, job_id, workspace_id, channel = (
        origin.slug,
        origin.job_id,
        origin.workspace_id,
        origin.channel,
    )
    return Share(
        platform=post.platform,
        post_id=post.post_id,
        url=post.url,
        kind=post.kind,
        author_id=post.author.id,
        handle=post.author.handle,
        name=post.author.name,
        followers=post.author.followers,
        followers_first=post.author.followers,
        parent_post_id=post.parent_post_id,
        slug=slug,
        job_id=job_id,
        workspace_id=workspace_id,
        channel=channel,
        created_at=_iso(post),
        first_seen_at=seen_at,
        metrics=dict(post.metrics),
    )


def _iso(post: Post) -> str | None:
    if post.created_at is None:
        return None
    return post.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def share_view(share: Share) -> dict[str, Any]:
    """A share as ``GET /api/jobs/{job_id}/shares`` lists it."""
    return {
        "platform": share.platform,
        "post_id": share.post_id,
        "url": share.url,
        "kind": share.kind,
        "author": None
        if share.anonymous
        else {
            "id": share.author_id,
            "handle": share.handle,
            "name": share.name,
            "followers": share.followers,
            "person_id": share.person_id,
        },
        "parent_post_id": share.parent_post_id,
        "slug": share.slug,
        "channel": share.channel,
        "created_at": share.created_at,
        "first_seen_at": share.first_seen_at,
        "metrics": dict(share.metrics),
    }


def _when(share: Share) -> str:
    return share.created_at or share.first_seen_at


def spread(shares: Sequence[Share]) -> list[dict[str, Any]]:
    """The cascade as a tree: a share whose parent is not one of these shares is a root;
    roots, and each node's children, in time order."""
    by_post = {s.post_id: s for s in shares if s.post_id is not None}
    children: dict[str, list[Share]] = {}
    roots: list[Share] = []
    for share in shares:
        parent = share.parent_post_id
        if parent is not None and parent in by_post and parent != share.post_id:
            children.setdefault(parent, []).append(share)
        else:
            roots.append(share)

    def node(share: Share, path: frozenset[str]) -> dict[str, Any]:
        below = children.get(share.post_id or "", []) if share.post_id not in path else []
        inner = path | {share.post_id or ""}
        return {
            "share": share_view(share),
            "children": [node(c, inner) for c in sorted(below, key=_when)],
        }

    return [node(root, frozenset()) for root in sorted(roots, key=_when)]


def share_stats(shares: Iterable[Share]) -> dict[str, Any]:
    """The ``shares`` and ``top_sharers`` parts of a job's stats."""
    listed = list(shares)
    by_platform: dict[str, int] = {}
    sharers: dict[tuple[str, str], dict[str, Any]] = {}
    for share in listed:
        by_platform[share.platform] = by_platform.get(share.platform, 0) + 1
        sharer = sharers.setdefault(
            (share.platform, share.author_id),
            {
                "platform": share.platform,
                "handle": None if share.anonymous else share.handle,
                "shares": 0,
                "followers": 0,
            },
        )
        sharer["shares"] += 1
        sharer["followers"] = max(sharer["followers"], share.followers or 0)
    # A deleted person's shares still count, and their reach, but nobody is named.
    named = [s for s in sharers.values() if s["handle"] is not None]
    top = sorted(named, key=lambda s: (-s["shares"], -s["followers"], s["handle"]))
    return {
        "shares": {
            "total": len(listed),
            "by_platform": dict(sorted(by_platform.items())),
            "reach": sum(s["followers"] for s in sharers.values()),
        },
        "top_sharers": top[:10],
    }
