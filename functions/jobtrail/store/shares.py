"""Shares, the posts the poller watches, and each source's polling state."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from jobtrail.domain.poller import Watched
from jobtrail.domain.shares import Share
from jobtrail.domain.times import iso
from jobtrail.store.connection import condition_failed, connection, failed_conditions
from jobtrail.store.keys import channel_jobs_key, workspace_stats_key
from jobtrail.store.models import CounterItem, PollState, ShareItem, TrackedPost

# A post is watched for reposts and quotes while it is younger than this (X reports on
# a post's public metrics, reposts and quotes for 7 days).
TRACK_DAYS = 7
STATE = "STATE"


def _share(item: ShareItem) -> Share:
    return Share(
        platform=item.platform,
        post_id=item.post_id,
        url=item.url,
        kind=item.kind,
        author_id=item.author_id,
        handle=item.handle,
        name=item.name,
        followers=int(item.followers) if item.followers is not None else None,
        followers_first=int(item.followers_first) if item.followers_first is not None else None,
        parent_post_id=item.parent_post_id,
        slug=item.slug,
        job_id=item.job_id,
        workspace_id=item.workspace_id,
        channel=item.channel,
        created_at=item.created_at,
        first_seen_at=item.first_seen_at,
        metrics={k: int(v) for k, v in (item.metrics or {}).items()},
    )


def save_share(share: Share, *, now: datetime) -> bool:
    """Store a share once: True the first time. Later sightings only refresh the author's
    follower count and the post's metrics; the share is counted once, for its channel."""
    item = ShareItem(
        f"SHARES#{share.job_id}",
        share.key,
        platform=share.platform,
        post_id=share.post_id,
        url=share.url,
        kind=share.kind,
        author_id=share.author_id,
        handle=share.handle,
        name=share.name,
        followers=share.followers,
        followers_first=share.followers_first,
        parent_post_id=share.parent_post_id,
        slug=share.slug,
        job_id=share.job_id,
        workspace_id=share.workspace_id,
        channel=share.channel,
        created_at=share.created_at,
        first_seen_at=share.first_seen_at,
        metrics=dict(share.metrics),
    )
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(item, condition=ShareItem.pk.does_not_exist())
            tx.update(
                CounterItem(
                    workspace_stats_key(share.workspace_id), channel_jobs_key(share.channel)
                ),
                actions=[CounterItem.shares.add(1)],
            )
    except TransactWriteError as error:
        if 0 not in failed_conditions(error):
            raise
        _refresh(share)
        return False
    if share.post_id is not None:
        track(share, now=now)
    return True


def _refresh(share: Share) -> None:
    actions: list[Action] = []
    if share.followers is not None:
        actions.append(ShareItem.followers.set(share.followers))
    if share.metrics:
        actions.append(ShareItem.metrics.set(dict(share.metrics)))
    if actions:
        ShareItem(f"SHARES#{share.job_id}", share.key).update(actions=actions)


def track(share: Share, *, now: datetime) -> None:
    """Watch a post for reposts and quotes while it is younger than ``TRACK_DAYS``."""
    assert share.post_id is not None
    born = (
        datetime.fromisoformat(share.created_at.replace("Z", "+00:00")) if share.created_at else now
    )
    until = born + timedelta(days=TRACK_DAYS)
    if until <= now:
        return
    try:
        TrackedPost(
            f"TRACK#{share.platform}",
            share.post_id,
            job_id=share.job_id,
            slug=share.slug,
            workspace_id=share.workspace_id,
            channel=share.channel,
            created_at=share.created_at,
            expires_at=until,
        ).save(condition=TrackedPost.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise


def tracked(platform: str, *, now: datetime) -> list[Watched]:
    """The posts a source watches: one query. Posts past their week are deleted by TTL;
    the filter covers TTL's delay."""
    return [
        Watched(
            post_id=item.sk,
            repost_count=int(item.repost_count or 0),
            quote_count=int(item.quote_count or 0),
            created_at=item.created_at,
            slug=item.slug,
            job_id=item.job_id,
            workspace_id=item.workspace_id,
            channel=item.channel,
        )
        for item in TrackedPost.query(
            f"TRACK#{platform}", filter_condition=TrackedPost.expires_at > now
        )
    ]


def note_counts(platform: str, post_id: str, *, reposts: int, quotes: int) -> None:
    """Remember the counts the poller has acted on, so it asks again only when they grow."""
    TrackedPost(f"TRACK#{platform}", post_id).update(
        actions=[TrackedPost.repost_count.set(reposts), TrackedPost.quote_count.set(quotes)]
    )


def job_shares(job_id: str) -> list[Share]:
    return [_share(item) for item in ShareItem.query(f"SHARES#{job_id}", consistent_read=True)]


# --- polling state ---------------------------------------------------------------------


def poll_state(platform: str) -> PollState:
    try:
        return PollState.get(f"POLL#{platform}", STATE, consistent_read=True)
    except PollState.DoesNotExist:
        return PollState(f"POLL#{platform}", STATE)


def take_lease(platform: str, owner: str, *, now: datetime, seconds: int) -> bool:
    """One run at a time per source: a conditional write with an expiry, so a run that
    died does not hold the source for longer than ``seconds``."""
    try:
        PollState(f"POLL#{platform}", STATE).update(
            actions=[
                PollState.lease_owner.set(owner),
                PollState.lease_until.set(iso(now + timedelta(seconds=seconds))),
            ],
            condition=PollState.lease_until.does_not_exist() | (PollState.lease_until < iso(now)),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def release_lease(platform: str, owner: str) -> None:
    try:
        PollState(f"POLL#{platform}", STATE).update(
            actions=[PollState.lease_until.remove(), PollState.lease_owner.remove()],
            condition=PollState.lease_owner == owner,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def advance_since_id(platform: str, since_id: str) -> None:
    PollState(f"POLL#{platform}", STATE).update(actions=[PollState.since_id.set(since_id)])


def rate_limited_until(platform: str, until: datetime) -> None:
    PollState(f"POLL#{platform}", STATE).update(
        actions=[PollState.rate_limited_until.set(iso(until))]
    )


class DynamoShareStore:
    """``jobtrail.domain.poller.ShareStore`` on DynamoDB."""

    save_share = staticmethod(save_share)
    tracked = staticmethod(tracked)
    note_counts = staticmethod(note_counts)
    poll_state = staticmethod(poll_state)
    take_lease = staticmethod(take_lease)
    release_lease = staticmethod(release_lease)
    advance_since_id = staticmethod(advance_since_id)
    rate_limited_until = staticmethod(rate_limited_until)
