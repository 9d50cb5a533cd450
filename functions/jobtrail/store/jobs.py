"""Jobs and links in the main table (see ``models`` for the keys)."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from jobtrail.domain.jobs import Job, Link, Page, SlugTaken, job_not_found
from jobtrail.store import cursors
from jobtrail.store.connection import connection, failed_conditions
from jobtrail.store.key_shapes import (
    JOB_PREFIX,
    SLUG_SORT_KEY,
    channel_jobs_key,
    job_link_sort_key,
    job_links_prefix,
    job_sort_key,
    slug_key,
    workspace_key,
    workspace_stats_key,
)
from jobtrail.store.models import CounterItem, JobItem, LinkItem


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
            target_url=link.target_url,
            created_at=link.created_at,
        )

    return (
        item(slug_key(link.slug), SLUG_SORT_KEY),
        item(workspace_key(link.workspace_id), _job_link_sort_key(link)),
    )


def _link(item: LinkItem) -> Link:
    return Link(
        slug=item.slug,
        workspace_id=item.workspace_id,
        job_id=item.job_id,
        channel=item.channel,
        sharer=item.sharer,
        target_url=item.target_url,
        created_at=item.created_at,
        position=int(item.sk.split("#")[-2]),
    )


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
        links=links,
    )


class DynamoJobStore:
    """``jobtrail.domain.jobs.JobStore`` on DynamoDB. Every write that claims a slug is a
    conditional put in one transaction with the rest, so two requests racing for a slug
    cannot both win and a failed request leaves nothing behind."""

    def insert_job(self, job: Job) -> None:
        item = JobItem(
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
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(item, condition=JobItem.pk.does_not_exist())
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
            # Items are the job, then (slug, job-link) pairs: item 1 + 2i is link i's slug.
            for index in sorted(failed_conditions(error)):
                if index % 2 == 1:
                    raise SlugTaken(job.links[index // 2].slug) from error
            raise

    def insert_link(self, link: Link, *, new_channel: bool = False) -> None:
        """``new_channel``: the job had no link on this channel yet; the job then lists the
        channel and the workspace counts one more job on it, in the same transaction."""
        self._insert_link(link, new_channel=new_channel)

    def _insert_link(self, link: Link, *, new_channel: bool) -> None:
        by_slug, by_job = _link_items(link)
        job_key = (workspace_key(link.workspace_id), job_sort_key(link.job_id))
        try:
            with TransactWrite(connection=connection()) as tx:
                # The job must still be there: a link never outlives its job.
                if new_channel:
                    tx.update(
                        JobItem(*job_key),
                        actions=[JobItem.channels.set(JobItem.channels.append([link.channel]))],
                        condition=JobItem.pk.exists() & ~JobItem.channels.contains(link.channel),
                    )
                else:
                    tx.condition_check(JobItem, *job_key, condition=JobItem.pk.exists())
                tx.save(by_slug, condition=LinkItem.pk.does_not_exist())
                tx.save(by_job)
                if new_channel:
                    tx.update(
                        _channel_jobs(link.workspace_id, link.channel),
                        actions=[CounterItem.jobs.add(1)],
                    )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 1 in failed:
                raise SlugTaken(link.slug) from error
            if 0 in failed:
                if new_channel and self.get_job(link.workspace_id, link.job_id) is not None:
                    # Another link took the channel first: this one is no longer new.
                    self._insert_link(link, new_channel=False)
                    return
                raise job_not_found(link.job_id) from error
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
        return _job(item, tuple(_link(link) for link in links))

    def list_jobs(self, workspace_id: str, *, limit: int, cursor: str | None) -> Page:
        """Newest first. Reads one item past the page to know whether another page exists;
        the jobs are listed without their links (``get_job`` has them)."""
        pk = workspace_key(workspace_id)
        last_key = None
        if cursor is not None:
            last_key = {
                "pk": {"S": pk},
                "sk": {"S": cursors.decode(cursor, prefix=JOB_PREFIX)},
            }
        items = list(
            JobItem.query(
                pk,
                JobItem.sk.startswith(JOB_PREFIX),
                scan_index_forward=False,
                limit=limit + 1,
                last_evaluated_key=last_key,
            )
        )
        page = items[:limit]
        next_cursor = cursors.encode(page[-1].sk) if len(items) > limit else None
        return Page(items=[_job(item) for item in page], next_cursor=next_cursor)
