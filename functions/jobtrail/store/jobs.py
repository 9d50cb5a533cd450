"""Jobs and links in the main table (their keys are built in ``key_shapes``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from jobtrail.domain.jobs import (
    CampaignTaken,
    Job,
    JobChanged,
    Link,
    Page,
    SlugTaken,
    job_not_found,
)
from jobtrail.domain.sharers import SharerTaken, sharer_key
from jobtrail.store import cursors
from jobtrail.store.connection import connection, failed_conditions
from jobtrail.store.key_shapes import (
    JOB_PREFIX,
    SLUG_SORT_KEY,
    campaign_sort_key,
    channel_jobs_key,
    job_link_sort_key,
    job_links_prefix,
    job_sort_key,
    sharer_claim_key,
    slug_key,
    workspace_key,
    workspace_stats_key,
)
from jobtrail.store.models import (
    LINK_ACTIVE,
    LINK_DISABLED,
    CampaignItem,
    CounterItem,
    JobItem,
    LinkItem,
    SharerClaim,
)

# DynamoDB's limit of items in one transaction.
_TRANSACTION_ITEMS = 100


def _campaign_claim(job: Job) -> CampaignItem:
    return CampaignItem(
        workspace_key(job.workspace_id), campaign_sort_key(job.campaign), job_id=job.id
    )


def _at_revision(revision: int) -> Condition:
    """The job item is still at ``revision`` (a job never edited has no revision)."""
    at: Condition = JobItem.revision == revision
    if revision == 0:
        at = at | JobItem.revision.does_not_exist()
    exists: Condition = JobItem.pk.exists()
    both: Condition = exists & at
    return both


def _channel_jobs(workspace_id: str, channel: str) -> CounterItem:
    """The workspace's counter of jobs that use a channel (``GET /api/stats/channels``)."""
    return CounterItem(workspace_stats_key(workspace_id), channel_jobs_key(channel))


def _job_link_sort_key(link: Link) -> str:
    return job_link_sort_key(link.job_id, link.created_at, link.position, link.slug)


def _link_items(link: Link) -> tuple[LinkItem, LinkItem]:
    """The link under its slug (for the redirect) and under its job (for listing)."""

    def item(pk: str, sk: str) -> LinkItem:
        return LinkItem(
            pk,
            sk,
            slug=link.slug,
            workspace_id=link.workspace_id,
            job_id=link.job_id,
            channel=link.channel,
            sharer=link.sharer,
            person_id=link.person_id,
            target_url=link.target_url,
            campaign=link.campaign,
            created_at=link.created_at,
            status=LINK_DISABLED if link.disabled else LINK_ACTIVE,
            ends_at=link.expires_at,
        )

    return (
        item(slug_key(link.slug), SLUG_SORT_KEY),
        item(workspace_key(link.workspace_id), _job_link_sort_key(link)),
    )


def link_of(item: LinkItem) -> Link:
    """A link as its stored item holds it (either of its two items)."""
    return Link(
        slug=item.slug,
        workspace_id=item.workspace_id,
        job_id=item.job_id,
        channel=item.channel,
        sharer=item.sharer,
        target_url=item.target_url,
        campaign=item.campaign or item.job_id,
        created_at=item.created_at,
        position=int(item.sk.split("#")[-2]),
        disabled=item.status == LINK_DISABLED,
        expires_at=item.ends_at,
        person_id=item.person_id,
    )


def _sharer_claim(link: Link) -> SharerClaim | None:
    """The claim on the link's sharer for its job and channel; None: a link without a
    sharer claims nothing (every such request makes a new link)."""
    if link.sharer is None:
        return None
    sk = sharer_claim_key(link.job_id, link.channel, sharer_key(link.sharer))
    return SharerClaim(workspace_key(link.workspace_id), sk, slug=link.slug)


def _job(item: JobItem, links: tuple[Link, ...] = ()) -> Job:
    return Job(
        id=item.job_id,
        workspace_id=item.workspace_id,
        title=item.title,
        url=item.url,
        tags=tuple(item.tags or ()),
        channels=tuple(item.channels or ()),
        ats_id=item.ats_id,
        status=item.status,
        created_at=item.created_at,
        campaign=item.campaign or item.job_id,
        updated_at=item.updated_at,
        revision=int(item.revision or 0),
        links=links,
        ats=item.ats,
        closed_by=item.closed_by,
    )


def _job_item(job: Job) -> JobItem:
    return JobItem(
        workspace_key(job.workspace_id),
        job_sort_key(job.id),
        workspace_id=job.workspace_id,
        job_id=job.id,
        title=job.title,
        url=job.url,
        tags=list(job.tags),
        channels=list(job.channels),
        ats_id=job.ats_id,
        status=job.status,
        created_at=job.created_at,
        campaign=job.campaign,
        updated_at=job.updated_at,
        revision=job.revision,
        ats=job.ats,
        closed_by=job.closed_by,
    )


def _channel_counts(jobs: Iterable[Job]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job in jobs:
        for channel in job.channels:
            counts[channel] = counts.get(channel, 0) + 1
    return counts


def _packs(jobs: Sequence[Job]) -> list[list[int]]:
    """The jobs' indices in order, cut into transactions of at most 100 items."""
    packs: list[list[int]] = []
    pack: list[int] = []
    items = 0
    channels: set[str] = set()
    for index, job in enumerate(jobs):
        size = 2 + 2 * len(job.links)
        grown = channels | set(job.channels)
        if pack and items + size + len(grown) > _TRANSACTION_ITEMS:
            packs.append(pack)
            pack, items, grown = [], 0, set(job.channels)
        pack.append(index)
        items += size
        channels = grown
    if pack:
        packs.append(pack)
    return packs


class DynamoJobStore:
    """``jobtrail.domain.jobs.JobStore`` on DynamoDB. Every write that claims a slug is a
    conditional put in one transaction with the rest, so two requests racing for a slug
    cannot both win and a failed request leaves nothing behind."""

    def insert_job(self, job: Job, *, unique_campaign: bool) -> None:
        claim = _campaign_claim(job)
        try:
            with TransactWrite(connection=connection()) as tx:
                # PynamoDB sends a transaction's puts in the order they were added (after
                # its condition checks and deletes, before its updates): the job, its
                # campaign's claim, then (slug, job-link) pairs.
                tx.save(_job_item(job), condition=JobItem.pk.does_not_exist())
                # A campaign set by hand is claimed too, without a condition, so that no
                # campaign made later from a title takes its name.
                tx.save(
                    claim, condition=CampaignItem.pk.does_not_exist() if unique_campaign else None
                )
                for link in job.links:
                    by_slug, by_job = _link_items(link)
                    tx.save(by_slug, condition=LinkItem.pk.does_not_exist())
                    tx.save(by_job)
                for channel in job.channels:
                    tx.update(
                        _channel_jobs(job.workspace_id, channel),
                        actions=[CounterItem.jobs.add(1)],
                    )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 1 in failed:
                raise CampaignTaken(f"The campaign '{job.campaign}' is taken.") from error
            # Link i's slug is item 2 + 2i.
            for index in sorted(failed):
                if index >= 2 and index % 2 == 0:
                    raise SlugTaken(job.links[(index - 2) // 2].slug) from error
            raise

    def insert_jobs(self, jobs: Sequence[Job]) -> list[int]:
        """Many new jobs (an import) packed into transactions of at most 100 items, each
        job whole in one: its item and campaign claim (both conditional puts), its links'
        two items each (the slug's conditional), and per transaction one counter update
        per channel its jobs use (one job per channel link, added up). One-channel jobs
        are 4 items and their channel's counter 1: 24 jobs a transaction. A transaction
        whose condition fails writes nothing; its jobs' indices are answered."""
        refused: list[int] = []
        for pack in _packs(jobs):
            try:
                with TransactWrite(connection=connection()) as tx:
                    for index in pack:
                        job = jobs[index]
                        tx.save(_job_item(job), condition=JobItem.pk.does_not_exist())
                        tx.save(_campaign_claim(job), condition=CampaignItem.pk.does_not_exist())
                        for link in job.links:
                            by_slug, by_job = _link_items(link)
                            tx.save(by_slug, condition=LinkItem.pk.does_not_exist())
                            tx.save(by_job)
                    for channel, count in _channel_counts(jobs[i] for i in pack).items():
                        tx.update(
                            _channel_jobs(jobs[pack[0]].workspace_id, channel),
                            actions=[CounterItem.jobs.add(count)],
                        )
            except TransactWriteError as error:
                if not failed_conditions(error):
                    raise
                refused.extend(pack)
        return refused

    def all_jobs(self, workspace_id: str) -> list[Job]:
        """Every job of the workspace, without links: one query page per 1 MB."""
        items = JobItem.query(workspace_key(workspace_id), JobItem.sk.startswith(JOB_PREFIX))
        return [_job(item) for item in items]

    def insert_link(self, link: Link, *, job: Job) -> None:
        """The job must still be there (a link never outlives its job) and at the revision
        it was read at (so the link carries its current URL and campaign). The link's
        first on its channel adds the channel to the job and one job to the workspace's
        count of the channel, in the same transaction."""
        by_slug, by_job = _link_items(link)
        claim = _sharer_claim(link)
        job_key = (workspace_key(link.workspace_id), job_sort_key(link.job_id))
        unchanged = _at_revision(job.revision)
        new_channel = link.channel not in job.channels
        try:
            with TransactWrite(connection=connection()) as tx:
                if new_channel:
                    tx.update(
                        JobItem(*job_key),
                        actions=[JobItem.channels.set(JobItem.channels.append([link.channel]))],
                        condition=unchanged & ~JobItem.channels.contains(link.channel),
                    )
                    tx.update(
                        _channel_jobs(link.workspace_id, link.channel),
                        actions=[CounterItem.jobs.add(1)],
                    )
                else:
                    tx.condition_check(JobItem, *job_key, condition=unchanged)
                tx.save(by_slug, condition=LinkItem.pk.does_not_exist())
                tx.save(by_job)
                if claim is not None:
                    tx.save(claim, condition=SharerClaim.pk.does_not_exist())
        except TransactWriteError as error:
            # Sent in the order: the job's check, then the puts (the link by slug, by job,
            # the sharer's claim), then the updates (the job's channels first).
            failed = failed_conditions(error)
            slug_at = 0 if new_channel else 1
            claim_at = slug_at + 2
            job_at = claim_at + (claim is not None) if new_channel else 0
            # The claim is looked at first: a sharer who has a link on the channel gets that
            # one, even when the slug asked for is taken too.
            if claim is not None and claim_at in failed:
                raise SharerTaken(link.channel, link.sharer or "") from error
            if slug_at in failed:
                raise SlugTaken(link.slug) from error
            if job_at in failed:
                if self.get_job(link.workspace_id, link.job_id) is None:
                    raise job_not_found(link.job_id) from error
                raise JobChanged() from error
            raise

    def update_job(self, job: Job, *, read: Job) -> None:
        """The job's item is written on the condition that it is still at the revision it
        was read at; when the URL or the campaign changed, each link's two items get the
        new ones, in the same transaction while they fit in it, then in more transactions
        that each check the job is still at this edit's revision (a newer edit writes the
        links itself, so an older one stops)."""
        relink = (job.url, job.campaign) != (read.url, read.campaign)
        link_updates = [item for link in job.links for item in _link_items(link)] if relink else []
        actions: list[Action] = [
            LinkItem.target_url.set(job.url),
            LinkItem.campaign.set(job.campaign),
        ]
        job_key = (workspace_key(job.workspace_id), job_sort_key(job.id))
        first_room = _TRANSACTION_ITEMS - 2
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_job_item(job), condition=_at_revision(read.revision))
                if job.campaign != read.campaign:
                    tx.save(_campaign_claim(job))
                    first_room -= 1
                for item in link_updates[:first_room]:
                    tx.update(item, actions=actions, condition=LinkItem.pk.exists())
        except TransactWriteError as error:
            if 0 in failed_conditions(error):
                if self.get_job(job.workspace_id, job.id) is None:
                    raise job_not_found(job.id) from error
                raise JobChanged() from error
            raise
        rest = link_updates[first_room:]
        room = _TRANSACTION_ITEMS - 1
        for start in range(0, len(rest), room):
            try:
                with TransactWrite(connection=connection()) as tx:
                    tx.condition_check(JobItem, *job_key, condition=_at_revision(job.revision))
                    for item in rest[start : start + room]:
                        tx.update(item, actions=actions, condition=LinkItem.pk.exists())
            except TransactWriteError as error:
                if 0 in failed_conditions(error):
                    return  # a newer edit came and writes the links itself
                raise

    def get_job(self, workspace_id: str, job_id: str) -> Job | None:
        pk = workspace_key(workspace_id)
        try:
            item = JobItem.get(pk, job_sort_key(job_id), consistent_read=True)
        except JobItem.DoesNotExist:
            return None
        links = LinkItem.query(
            pk, LinkItem.sk.startswith(job_links_prefix(job_id)), consistent_read=True
        )
        return _job(item, tuple(link_of(link) for link in links))

    def list_jobs(
        self,
        workspace_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        tag: str | None = None,
    ) -> Page:
        """Newest first, those with ``status`` and ``tag`` where given. Reads one item
        past the page to know whether another page exists; the jobs are listed without
        their links (``get_job`` has them)."""
        wanted: Condition | None = None
        if status is not None:
            wanted = JobItem.status == status
        if tag is not None:
            has_tag = JobItem.tags.contains(tag)
            wanted = has_tag if wanted is None else wanted & has_tag
        page, next_cursor = cursors.newest_first(
            JobItem,
            workspace_key(workspace_id),
            JOB_PREFIX,
            limit=limit,
            cursor=cursor,
            wanted=wanted,
        )
        return Page(items=[_job(item) for item in page], next_cursor=next_cursor)
