"""Jobs and their tracked links: the rules, independent of where they are stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from jobtrail.domain.errors import Conflict, NotFound, Unavailable
from jobtrail.domain.ids import new_id
from jobtrail.domain.sharers import SharerTaken, same_sharer
from jobtrail.domain.slugs import check_custom_slug, random_slug
from jobtrail.domain.times import iso
from jobtrail.domain.urls import normalize_target_url

# Random slugs collide about once in 1.7e12 draws; a few redraws are more than enough.
_SLUG_ATTEMPTS = 5


@dataclass(frozen=True)
class Link:
    slug: str
    workspace_id: str
    job_id: str
    channel: str
    sharer: str | None
    target_url: str
    created_at: str
    # Orders the links of one job made in the same instant (a job's channels).
    position: int = 0
    # Turned off by hand, or ending at a moment (ISO-8601): then the redirect answers 410.
    disabled: bool = False
    expires_at: str | None = None


@dataclass(frozen=True)
class Job:
    id: str
    workspace_id: str
    title: str
    url: str
    tags: tuple[str, ...]
    channels: tuple[str, ...]
    ats_id: str | None
    status: str
    created_at: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Page:
    items: Sequence[Job]
    next_cursor: str | None


class SlugTaken(Conflict):
    code = "slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug '{slug}' is already taken; choose another.")
        self.slug = slug


class JobStore(Protocol):
    """What the job rules need from storage (``jobtrail.store.jobs.DynamoJobStore``)."""

    def insert_job(self, job: Job) -> None:
        """Store a job with its links, all or nothing; SlugTaken if a slug is in use."""

    def insert_link(self, link: Link, *, new_channel: bool = False) -> None:
        """Store one more link of an existing job; SlugTaken if its slug is in use,
        SharerTaken if its sharer has a link on its channel already.
        ``new_channel``: the first link of the job on its channel."""

    def get_job(self, workspace_id: str, job_id: str) -> Job | None: ...

    def list_jobs(self, workspace_id: str, *, limit: int, cursor: str | None) -> Page: ...


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def create_job(
    store: JobStore,
    *,
    workspace_id: str,
    title: str,
    url: str,
    tags: Sequence[str],
    channels: Sequence[str],
    ats_id: str | None,
    short_base_url: str,
    now: datetime,
) -> Job:
    """A new open job with one random-slug link per channel."""
    created_at = iso(now)
    job = Job(
        id=new_id(),
        workspace_id=workspace_id,
        title=title,
        url=normalize_target_url(url, short_base_url=short_base_url),
        tags=_unique(tags),
        channels=_unique(channels),
        ats_id=ats_id,
        status="open",
        created_at=created_at,
    )
    for _ in range(_SLUG_ATTEMPTS):
        links = tuple(
            Link(
                slug=random_slug(),
                workspace_id=workspace_id,
                job_id=job.id,
                channel=channel,
                sharer=None,
                target_url=job.url,
                created_at=created_at,
                position=position,
            )
            for position, channel in enumerate(job.channels)
        )
        try:
            store.insert_job(replace(job, links=links))
        except SlugTaken:
            continue
        return replace(job, links=links)
    raise Unavailable("Could not find a free slug; try again.", code="slug_exhausted")


def add_link(
    store: JobStore,
    *,
    workspace_id: str,
    job_id: str,
    channel: str,
    sharer: str | None,
    slug: str | None,
    now: datetime,
) -> tuple[Link, bool]:
    """One more link of a job, for a channel and optionally a person and a custom slug;
    answers it and True. A sharer has one link per channel: asked again (in any case, with
    any slug), it answers the link they have and False."""
    job = store.get_job(workspace_id, job_id)
    if job is None:
        raise job_not_found(job_id)
    custom = check_custom_slug(slug) if slug is not None else None  # refused before all else
    if sharer is not None and (had := _sharers_link(job, channel, sharer)) is not None:
        return had, False
    attempts = 1 if slug is not None else _SLUG_ATTEMPTS
    for _ in range(attempts):
        link = Link(
            slug=custom if custom is not None else random_slug(),
            workspace_id=workspace_id,
            job_id=job.id,
            channel=channel,
            sharer=sharer,
            target_url=job.url,
            created_at=iso(now),
        )
        try:
            store.insert_link(link, new_channel=channel not in job.channels)
        except SharerTaken:
            # A request for the same sharer and channel made the link a moment ago.
            theirs = _sharers_link(
                get_job(store, workspace_id=workspace_id, job_id=job_id), channel, sharer
            )
            if theirs is None:
                raise
            return theirs, False
        except SlugTaken:
            if slug is not None:
                raise
            continue
        return link, True
    raise Unavailable("Could not find a free slug; try again.", code="slug_exhausted")


def _sharers_link(job: Job, channel: str, sharer: str | None) -> Link | None:
    return next(
        (
            link
            for link in job.links
            if link.channel == channel and same_sharer(link.sharer, sharer)
        ),
        None,
    )


def get_job(store: JobStore, *, workspace_id: str, job_id: str) -> Job:
    job = store.get_job(workspace_id, job_id)
    if job is None:
        raise job_not_found(job_id)
    return job


def job_not_found(job_id: str) -> NotFound:
    return NotFound(f"No job with id '{job_id}' in this workspace.", code="job_not_found")
