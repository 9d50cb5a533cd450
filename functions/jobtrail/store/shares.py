"""Shares, the posts the poller watches, and each source's polling state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from jobtrail.domain.people import person_for_sharer
from jobtrail.domain.poller import Watched
from jobtrail.domain.shares import Share, merged, share_key
from jobtrail.domain.times import iso
from jobtrail.store.connection import condition_failed, connection, failed_conditions
from jobtrail.store.key_shapes import (
    POLL_STATE_SORT_KEY,
    SHARES_PREFIX,
    channel_jobs_key,
    job_sort_key,
    poll_state_key,
    shares_key,
    tracked_posts_key,
    workspace_key,
    workspace_stats_key,
)
from jobtrail.store.models import CounterItem, JobItem, PollState, ShareItem, TrackedPost
from jobtrail.store.people import DynamoPeopleStore, link_share
from jobtrail.store.records import note_followers, refresh_tops, share_counts

# A post is watched for reposts and quotes while it is younger than this (X reports on
# a post's public metrics, reposts and quotes for 7 days).
TRACK_DAYS = 7


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
        person_id=item.person_id,
        anonymous=bool(item.anonymous),
    )


def _item(share: Share) -> ShareItem:
    return ShareItem(
        shares_key(share.job_id),
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


def save_share(share: Share, *, now: datetime) -> bool:
    """Store a share once: True the first time. Later sightings only refresh the author's
    follower count and the post's metrics, and give a repost its own id when they know
    it; the share is counted once, for its channel. A repost that an earlier version
    stored twice (once under its own id) becomes one share when it is seen again."""
    if _merged_former(share):
        return False
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(_item(share), condition=ShareItem.pk.does_not_exist())
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
    if share.post_id is not None and share.kind != "repost":
        # A repost has no reposts or quotes of its own: X and Bluesky count them on the
        # post it reposted.
        track(share, now=now)
    return True


def _former_key(share: Share) -> str | None:
    """The key an earlier version gave a repost with its own id: its id, as for a post."""
    if share.kind != "repost" or share.post_id is None or share.parent_post_id is None:
        return None
    return share_key(share.platform, "post", share.post_id, None, share.author_id)


def _merged_former(share: Share) -> bool:
    """Fold a repost's item under its former key into the one under its key: True when
    there was one. Both may be there (the repost was found by search and in the list of
    reposters, and counted twice): the former goes, and its count with it. The writes
    are conditional on what was read, so a second run over the same items changes
    nothing."""
    former = _former_key(share)
    if former is None:
        return False
    # One read of two keys each time a repost is seen with its own id: X's search gives
    # each repost once (since_id moves past it), so about one read per repost.
    pk = shares_key(share.job_id)
    found = {
        item.sk: item
        for item in ShareItem.batch_get([(pk, former), (pk, share.key)], consistent_read=True)
    }
    if former not in found:
        return False
    old, current = found[former], found.get(share.key)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(old, condition=ShareItem.sk.exists())
            if current is None:
                # Found only by search: it moves to its key, counted as it was.
                kept = merged(_share(old), share)
                tx.save(_item(kept), condition=ShareItem.sk.does_not_exist())
            else:
                kept = merged(merged(_share(current), _share(old)), share)
                tx.save(_item(kept), condition=ShareItem.sk.exists())
                tx.update(
                    CounterItem(
                        workspace_stats_key(old.workspace_id), channel_jobs_key(old.channel)
                    ),
                    actions=[CounterItem.shares.add(-1)],
                )
    except TransactWriteError as error:
        if not failed_conditions(error):
            raise
        # Another run merged them first.
    return True


def _refresh(share: Share) -> None:
    actions: list[Action] = []
    if share.followers is not None:
        actions.append(ShareItem.followers.set(share.followers))
    if share.metrics:
        actions.append(ShareItem.metrics.set(dict(share.metrics)))
    url: list[Action] = []
    if share.kind == "repost" and share.post_id is not None:
        # A repost first known from the list of reposters gets its own id, once.
        actions.append(ShareItem.post_id.set(ShareItem.post_id | share.post_id))
        if share.url is not None:
            url.append(ShareItem.url.set(ShareItem.url | share.url))
        if share.created_at is not None:
            actions.append(ShareItem.created_at.set(ShareItem.created_at | share.created_at))
    item = ShareItem(shares_key(share.job_id), share.key)
    if url:
        try:
            # A URL names its author: never given back to a share whose author was deleted.
            item.update(actions=actions + url, condition=ShareItem.anonymous.does_not_exist())
        except UpdateError as error:
            if not condition_failed(error):
                raise
        else:
            return
    if actions:
        item.update(actions=actions)


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
            tracked_posts_key(share.platform),
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
            tracked_posts_key(platform), filter_condition=TrackedPost.expires_at > now
        )
    ]


def forget(platform: str, post_id: str) -> None:
    """Stop watching a post."""
    TrackedPost(tracked_posts_key(platform), post_id).delete()


def note_counts(platform: str, post_id: str, *, reposts: int, quotes: int) -> None:
    """Remember the counts the poller has acted on, so it asks again only when they grow."""
    TrackedPost(tracked_posts_key(platform), post_id).update(
        actions=[TrackedPost.repost_count.set(reposts), TrackedPost.quote_count.set(quotes)]
    )


def job_shares(job_id: str) -> list[Share]:
    return [_share(item) for item in ShareItem.query(shares_key(job_id), consistent_read=True)]


# --- polling state ---------------------------------------------------------------------


def poll_state(platform: str) -> PollState:
    try:
        return PollState.get(poll_state_key(platform), POLL_STATE_SORT_KEY, consistent_read=True)
    except PollState.DoesNotExist:
        return PollState(poll_state_key(platform), POLL_STATE_SORT_KEY)


def take_lease(platform: str, owner: str, *, now: datetime, seconds: int) -> bool:
    """One run at a time per source: a conditional write with an expiry, so a run that
    died does not hold the source for longer than ``seconds``."""
    try:
        PollState(poll_state_key(platform), POLL_STATE_SORT_KEY).update(
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
        PollState(poll_state_key(platform), POLL_STATE_SORT_KEY).update(
            actions=[PollState.lease_until.remove(), PollState.lease_owner.remove()],
            condition=PollState.lease_owner == owner,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def advance_since_id(platform: str, since_id: str) -> None:
    PollState(poll_state_key(platform), POLL_STATE_SORT_KEY).update(
        actions=[PollState.since_id.set(since_id)]
    )


def rate_limited_until(platform: str, until: datetime) -> None:
    PollState(poll_state_key(platform), POLL_STATE_SORT_KEY).update(
        actions=[PollState.rate_limited_until.set(iso(until))]
    )


def link_sharer(share: Share, *, now: datetime) -> None:
    """Credit a new share to the person with its author's handle on its network, or to a
    person made for them (``discovered``, in the job's fields)."""
    if share.handle is None or share.anonymous:
        return

    def job_tags() -> tuple[str, ...]:
        try:
            job = JobItem.get(
                workspace_key(share.workspace_id), job_sort_key(share.job_id), consistent_read=True
            )
        except JobItem.DoesNotExist:
            return ()
        return tuple(job.tags or ())

    tags = cache(job_tags)
    people = DynamoPeopleStore()
    person_id = person_for_sharer(
        people,
        workspace_id=share.workspace_id,
        platform=share.platform,
        handle=share.handle,
        name=share.name,
        fields=tags,
        now=now,
    )
    # Their record in the job's fields (who-to-ask), counted as the share is linked.
    counts = share_counts(share, person_id, tags())
    if link_share(share, person_id, counts):
        refresh_tops(share.workspace_id, counts)
        person = people.get_person(share.workspace_id, person_id)
        if person is not None:
            note_followers(person, share.followers)


def unlinked_shares() -> Iterator[Share]:
    """Every share not yet credited to a person (nor made anonymous): one Scan of the main
    table, for ``python -m jobtrail.admin link-sharers``."""
    unlinked = (
        ShareItem.pk.startswith(SHARES_PREFIX)
        & ShareItem.person_id.does_not_exist()
        & ShareItem.anonymous.does_not_exist()
    )
    for item in ShareItem.scan(filter_condition=unlinked):
        yield _share(item)


def link_sharers(*, now: datetime) -> dict[str, int]:
    """Link every share not yet linked to its author's person (``link_sharer``): for the
    shares stored before people existed, or whose linking failed. Idempotent: a linked
    share is not read again. ``{"linked": n}``."""
    linked = 0
    for share in unlinked_shares():
        link_sharer(share, now=now)
        linked += 1
    return {"linked": linked}


class DynamoShareStore:
    """``jobtrail.domain.poller.ShareStore`` on DynamoDB."""

    save_share = staticmethod(save_share)
    link_sharer = staticmethod(link_sharer)
    tracked = staticmethod(tracked)
    note_counts = staticmethod(note_counts)
    forget = staticmethod(forget)
    poll_state = staticmethod(poll_state)
    take_lease = staticmethod(take_lease)
    release_lease = staticmethod(release_lease)
    advance_since_id = staticmethod(advance_since_id)
    rate_limited_until = staticmethod(rate_limited_until)
