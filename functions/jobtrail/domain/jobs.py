"""Jobs and their tracked links: the rules, independent of where they are stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from jobtrail.domain import campaigns
from jobtrail.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from jobtrail.domain.ids import new_id
from jobtrail.domain.sharers import SharerTaken, same_sharer
from jobtrail.domain.slugs import check_custom_slug, random_slug
from jobtrail.domain.times import iso
from jobtrail.domain.urls import normalize_target_url

# Random slugs collide about once in 1.7e12 draws; a few redraws are more than enough.
_SLUG_ATTEMPTS = 5
# A default campaign's 4-character suffix is drawn again when the workspace has it, and an
# edit is tried again when another edit of the same job came first.
_CAMPAIGN_ATTEMPTS = 8
_EDIT_ATTEMPTS = 5

STATUSES = ("open", "closed")


@dataclass(frozen=True)
class Link:
    slug: str
    workspace_id: str
    job_id: str
    channel: str
    sharer: str | None
    # The job's URL and campaign, copied onto the link so that a redirect is one read.
    target_url: str
    campaign: str
    created_at: str
    # Orders the links of one job made in the same instant (a job's channels).
    position: int = 0
    # Turned off by hand, or ending at a moment (ISO-8601): then the redirect answers 410.
    disabled: bool = False
    expires_at: str | None = None
    # A personal link's person (``domain.people``): its ``sharer`` is then their id.
    person_id: str | None = None


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
    campaign: str
    updated_at: str | None = None
    # Counts the job's edits: a write that read an older revision is refused (JobChanged),
    # so that an edit never undoes another and no link keeps an old URL.
    revision: int = 0
    links: tuple[Link, ...] = ()
    # The applicant tracking system a feed import brought it from (greenhouse, lever,
    # teamtailor; ``ats_id`` is then its id there), None for a job made by hand or a CSV.
    ats: str | None = None
    # Who closed it: "hand" (an edit) or "import" (gone from its ATS feed); a feed reopens
    # only a job it closed itself. None while open.
    closed_by: str | None = None


@dataclass(frozen=True)
class JobChanges:
    """An edit of a job: the fields to change (None: keep)."""

    title: str | None = None
    url: str | None = None
    tags: Sequence[str] | None = None
    campaign: str | None = None
    status: str | None = None
    # The edit is an import's (a feed closing a job it no longer lists, or reopening one).
    by_import: bool = False


CLOSED_BY_HAND = "hand"
CLOSED_BY_IMPORT = "import"


@dataclass(frozen=True)
class Page:
    items: Sequence[Job]
    next_cursor: str | None


class SlugTaken(Conflict):
    code = "slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug '{slug}' is already taken; choose another.")
        self.slug = slug


class CampaignTaken(Conflict):
    """A default campaign another job of the workspace has (the store's claim failed)."""

    code = "campaign_taken"


class JobChanged(Conflict):
    """The job was edited (or a link added) by another request since it was read."""

    code = "job_changed"

    def __init__(self) -> None:
        super().__init__("The job was changed by another request at the same time; try again.")


class JobStore(Protocol):
    """What the job rules need from storage (``jobtrail.store.jobs.DynamoJobStore``)."""

    def insert_job(self, job: Job, *, unique_campaign: bool) -> None:
        """Store a job with its links, all or nothing; SlugTaken if a slug is in use.
        ``unique_campaign``: the campaign was made for the job and must be one no other
        job of the workspace has had (CampaignTaken otherwise)."""

    def insert_link(self, link: Link, *, job: Job) -> None:
        """Store one more link of ``job`` as it was read; SlugTaken if its slug is in use,
        JobChanged if the job was edited since, NotFound if it is gone, SharerTaken if its
        sharer has a link on its channel already."""

    def update_job(self, job: Job, *, read: Job) -> None:
        """Store an edit of ``read`` (the job as it was read), its links' copies of the URL
        and campaign with it; JobChanged if another edit came first."""

    def insert_jobs(self, jobs: Sequence[Job]) -> list[int]:
        """Store many new jobs with their links, in as few transactions as they fit in;
        answers the indices of the jobs not stored because a slug or campaign of their
        transaction was taken (that transaction wrote nothing: draw them again)."""

    def all_jobs(self, workspace_id: str) -> list[Job]:
        """Every job of the workspace, without their links."""

    def get_job(self, workspace_id: str, job_id: str) -> Job | None: ...

    def list_jobs(
        self,
        workspace_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        tag: str | None = None,
    ) -> Page: ...


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
    campaign: str | None = None,
) -> Job:
    """A new open job with one random-slug link per channel. Its campaign is ``campaign``,
    or one made from the title that no other job of the workspace has."""
    job = new_job(
        workspace_id=workspace_id,
        title=title,
        url=url,
        tags=tags,
        channels=channels,
        ats_id=ats_id,
        short_base_url=short_base_url,
        now=now,
    )
    job = replace(job, campaign=check_campaign(campaign) if campaign is not None else "")
    stem = campaigns.stem(title)
    slug_attempts = campaign_attempts = 0
    while slug_attempts < _SLUG_ATTEMPTS and campaign_attempts < _CAMPAIGN_ATTEMPTS:
        drawn = replace(job, campaign=job.campaign or campaigns.with_suffix(stem))
        drawn = replace(drawn, links=_channel_links(drawn))
        try:
            store.insert_job(drawn, unique_campaign=campaign is None)
        except SlugTaken:
            slug_attempts += 1
            continue
        except CampaignTaken:
            campaign_attempts += 1
            continue
        return drawn
    raise Unavailable("Could not find a free slug or campaign; try again.", code="slug_exhausted")


def new_job(
    *,
    workspace_id: str,
    title: str,
    url: str,
    tags: Sequence[str],
    channels: Sequence[str],
    ats_id: str | None,
    short_base_url: str,
    now: datetime,
    ats: str | None = None,
) -> Job:
    """A job not yet stored, its URL checked (InvalidInput), without campaign or links."""
    return Job(
        id=new_id(),
        workspace_id=workspace_id,
        title=title,
        url=normalize_target_url(url, short_base_url=short_base_url),
        tags=_unique(tags),
        channels=_unique(channels),
        ats_id=ats_id,
        status="open",
        created_at=iso(now),
        campaign="",
        ats=ats,
    )


def create_jobs(store: JobStore, jobs: Sequence[Job]) -> list[Job]:
    """Store many jobs made by ``new_job`` at once (an import), each with one random-slug
    link per channel and a campaign made from its title that no other job of the workspace
    has; answers them as stored. The store packs them into transactions (``insert_jobs``);
    a transaction refused because a slug or campaign was taken is drawn again."""
    held: set[str] = set()
    drawn = [_draw(job, held) for job in jobs]
    pending = list(range(len(drawn)))
    for _ in range(_CAMPAIGN_ATTEMPTS):
        if not pending:
            return drawn
        batch = [drawn[i] for i in pending]
        refused = store.insert_jobs(batch)
        pending = [pending[i] for i in refused]
        # A redraw must not repeat a campaign another job of this import holds.
        for i in pending:
            drawn[i] = _draw(jobs[i], held)
    if pending:
        raise Unavailable(
            "Could not find a free slug or campaign; try again.", code="slug_exhausted"
        )
    return drawn


def _draw(job: Job, held: set[str]) -> Job:
    """``job`` with a campaign from its title that is not in ``held``, and new links."""
    stem = campaigns.stem(job.title)
    campaign = campaigns.with_suffix(stem)
    while campaign in held:
        campaign = campaigns.with_suffix(stem)
    held.add(campaign)
    drawn = replace(job, campaign=campaign)
    return replace(drawn, links=_channel_links(drawn))


def _channel_links(job: Job) -> tuple[Link, ...]:
    return tuple(
        Link(
            slug=random_slug(),
            workspace_id=job.workspace_id,
            job_id=job.id,
            channel=channel,
            sharer=None,
            target_url=job.url,
            campaign=job.campaign,
            created_at=job.created_at,
            position=position,
        )
        for position, channel in enumerate(job.channels)
    )


def check_campaign(campaign: str) -> str:
    if not campaigns.is_campaign(campaign):
        raise InvalidInput(campaigns.RULE, code="invalid_campaign")
    return campaign


def update_job(
    store: JobStore,
    *,
    workspace_id: str,
    job_id: str,
    changes: JobChanges,
    short_base_url: str,
    now: datetime,
) -> Job:
    """Edit a job. A new URL or campaign is copied onto every link of the job with the
    edit (the redirect's cache of a link then bounds how soon a click sees it). An edit
    that changes nothing writes nothing."""
    url = (
        normalize_target_url(changes.url, short_base_url=short_base_url)
        if changes.url is not None
        else None
    )
    campaign = check_campaign(changes.campaign) if changes.campaign is not None else None
    if changes.status is not None and changes.status not in STATUSES:
        raise InvalidInput("A job's status is open or closed.", code="invalid_status")
    for _ in range(_EDIT_ATTEMPTS):
        read = get_job(store, workspace_id=workspace_id, job_id=job_id)
        edited = replace(
            read,
            title=read.title if changes.title is None else changes.title,
            url=read.url if url is None else url,
            tags=read.tags if changes.tags is None else _unique(changes.tags),
            campaign=read.campaign if campaign is None else campaign,
            status=read.status if changes.status is None else changes.status,
        )
        if edited.status != read.status:
            closer = CLOSED_BY_IMPORT if changes.by_import else CLOSED_BY_HAND
            edited = replace(edited, closed_by=closer if edited.status == "closed" else None)
        if edited == read:
            return read
        edited = replace(
            edited,
            revision=read.revision + 1,
            updated_at=iso(now),
            links=tuple(
                replace(link, target_url=edited.url, campaign=edited.campaign)
                for link in read.links
            ),
        )
        try:
            store.update_job(edited, read=read)
        except JobChanged:
            continue
        return edited
    raise JobChanged()


def add_link(
    store: JobStore,
    *,
    workspace_id: str,
    job_id: str,
    channel: str,
    sharer: str | None,
    slug: str | None,
    now: datetime,
    person_id: str | None = None,
    known_as: Sequence[str] = (),
) -> tuple[Link, bool]:
    """One more link of a job, for a channel and optionally a person and a custom slug;
    answers it and True. A sharer has one link per job and channel: asked again (in any
    case, with any slug), it answers the link they have and False. A personal link's
    sharer is its person's id (``person_id``); a link the job has on the channel for one
    of ``known_as`` (the person's handle there, from before they were a person) is theirs.
    It carries the job's URL and campaign as they are when it is stored: if the job is
    edited meanwhile, the job is read again."""
    custom = check_custom_slug(slug) if slug is not None else None
    slug_attempts = edit_attempts = 0
    while slug_attempts < _SLUG_ATTEMPTS and edit_attempts < _EDIT_ATTEMPTS:
        job = get_job(store, workspace_id=workspace_id, job_id=job_id)
        for name in (sharer, *known_as) if sharer is not None else ():
            if (had := _sharers_link(job, channel, name)) is not None:
                return had, False
        link = Link(
            slug=custom or random_slug(),
            workspace_id=workspace_id,
            job_id=job.id,
            channel=channel,
            sharer=sharer,
            target_url=job.url,
            campaign=job.campaign,
            created_at=iso(now),
            person_id=person_id,
        )
        try:
            store.insert_link(link, job=job)
        except SharerTaken:
            # A request for the same sharer and channel made their link a moment ago: the
            # job read again has it.
            edit_attempts += 1
            continue
        except SlugTaken:
            if custom is not None:
                raise
            slug_attempts += 1
            continue
        except JobChanged:
            edit_attempts += 1
            continue
        return link, True
    if edit_attempts:
        raise JobChanged()
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
