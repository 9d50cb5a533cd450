"""/api/jobs: job ads and their tracked links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from jobtrail.api.schemas import (
    ID_PATTERN,
    JobCreate,
    JobList,
    JobOut,
    JobPatch,
    JobSummary,
    LinkCreate,
    LinkOut,
    Status,
    Tag,
    answers,
)
from jobtrail.api.services import Services, services, workspace
from jobtrail.domain import jobs, people
from jobtrail.observability import metrics

router = Router()

JobId = Annotated[str, Path(pattern=ID_PATTERN)]

SHARER_ONCE = (
    "A sharer (a handle, compared without case and without a leading @) has one link per "
    "job and channel: asking again for the same channel and sharer answers 200 with the "
    "link they have, the handle as first given, also when the request names a custom slug "
    "(the slug asked for is then not taken). A link without a sharer is always a new one "
    "(201). A person_id in place of the sharer makes the person's own link (its sharer "
    "shown as their handle on the channel's network, else their id), as does the handle of "
    "a person of the network on that network; a person has one link per job and channel too."
)


def link_out(
    link: jobs.Link, short_base_url: str, persons: Mapping[str, people.Person] | None = None
) -> LinkOut:
    """``persons``: the people of the personal links among them (``people_of``), whose
    sharer is shown as the person's handle on the link's network."""
    person = (persons or {}).get(link.person_id or "")
    return LinkOut(
        slug=link.slug,
        short_url=f"{short_base_url}/{link.slug}",
        job_id=link.job_id,
        channel=link.channel,
        sharer=people.link_sharer(person, link.channel) if person is not None else link.sharer,
        person_id=link.person_id,
        created_at=link.created_at,
        disabled=link.disabled,
        expires_at=link.expires_at,
    )


def _summary(job: jobs.Job) -> JobSummary:
    return JobSummary(
        id=job.id,
        title=job.title,
        url=job.url,
        tags=list(job.tags),
        channels=list(job.channels),
        ats_id=job.ats_id,
        ats=job.ats,
        campaign=job.campaign,
        status=job.status,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def people_of(given: Services, links: Iterable[jobs.Link]) -> dict[str, people.Person]:
    """The people of the personal links among ``links``: one read, none without any."""
    listed = list(links)
    ids = [link.person_id for link in listed if link.person_id is not None]
    return given.people.get_people(listed[0].workspace_id, ids) if ids else {}


def job_out(job: jobs.Job, given: Services) -> JobOut:
    persons = people_of(given, job.links)
    return JobOut(
        **_summary(job).model_dump(),
        links=[link_out(link, given.settings.short_base_url, persons) for link in job.links],
    )


def personal_link(
    given: Services, job_id: str, person: people.Person, channel: str, *, slug: str | None
) -> tuple[jobs.Link, bool]:
    """The person's link of the job on the channel: the one they have (also one made for
    their handle there before they were a person), else a new one."""
    handle = person.handle_on(people.platform_of(channel))
    return jobs.add_link(
        given.jobs,
        workspace_id=person.workspace_id,
        job_id=job_id,
        channel=channel,
        sharer=person.id,
        person_id=person.id,
        known_as=(handle,) if handle else (),
        slug=slug,
        now=given.clock.now(),
    )


@router.post(
    "/api/jobs",
    summary="Create a job ad with one tracked link per channel",
    responses=answers(201, "The job, with its links", 400, 401, 413, 415, 503),
    tags=["jobs"],
)
def create_job(body: Annotated[JobCreate, Body()]) -> Response[JobOut]:
    given = services(router)
    job = jobs.create_job(
        given.jobs,
        workspace_id=workspace(router),
        title=body.title,
        url=body.url,
        tags=body.tags,
        channels=body.channels,
        ats_id=body.ats_id,
        campaign=body.campaign,
        short_base_url=given.settings.short_base_url,
        now=given.clock.now(),
    )
    metrics.add_metric(name="jobs_created", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="links_created", unit=MetricUnit.Count, value=len(job.links))
    created = job_out(job, given)
    return Response(status_code=201, content_type="application/json", body=created)


@router.get(
    "/api/jobs",
    summary="List the workspace's jobs, newest first (those with a status or a tag)",
    responses=answers(200, "A page of jobs", 400, 401),
    tags=["jobs"],
)
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    status: Annotated[Status | None, Query()] = None,
    tag: Annotated[Tag | None, Query()] = None,
) -> JobList:
    page = services(router).jobs.list_jobs(
        workspace(router), limit=limit, cursor=cursor, status=status, tag=tag
    )
    return JobList(items=[_summary(job) for job in page.items], next_cursor=page.next_cursor)


@router.get(
    "/api/jobs/<job_id>",
    summary="One job, with its links",
    responses=answers(200, "The job, with its links", 401, 404),
    tags=["jobs"],
)
def get_job(job_id: JobId) -> JobOut:
    given = services(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace(router), job_id=job_id)
    return job_out(job, given)


@router.patch(
    "/api/jobs/<job_id>",
    summary="Edit a job: its title, URL, tags, campaign or status (closed archives it)",
    description="A new URL or campaign reaches every redirect of the job's links within "
    "60 seconds. A closed job's links keep redirecting and counting.",
    responses=answers(200, "The job, with its links", 400, 401, 404, 409, 413, 415),
    tags=["jobs"],
)
def edit_job(job_id: JobId, body: Annotated[JobPatch, Body()]) -> JobOut:
    given = services(router)
    job = jobs.update_job(
        given.jobs,
        workspace_id=workspace(router),
        job_id=job_id,
        changes=jobs.JobChanges(
            title=body.title,
            url=body.url,
            tags=body.tags,
            campaign=body.campaign,
            status=body.status,
        ),
        short_base_url=given.settings.short_base_url,
        now=given.clock.now(),
    )
    return job_out(job, given)


@router.post(
    "/api/jobs/<job_id>/links",
    summary="Add a tracked link to a job (a channel, a person, a custom slug)",
    description=SHARER_ONCE,
    responses={
        **answers(201, "The new link", 400, 401, 404, 409, 413, 415, 503),
        200: {
            "description": "The link the sharer already has on this channel",
            "content": {"application/json": {"model": LinkOut}},
        },
    },
    tags=["links"],
)
def create_link(job_id: JobId, body: Annotated[LinkCreate, Body()]) -> Response[LinkOut]:
    given = services(router)
    workspace_id = workspace(router)
    person: people.Person | None = None
    if body.person_id is not None:
        person = people.get_person(
            given.people, workspace_id=workspace_id, person_id=body.person_id
        )
    elif body.sharer and (platform := people.platform_of(body.channel)) is not None:
        # A handle of a person of the network makes their personal link.
        held = given.people.holder(workspace_id, platform, body.sharer)
        person = given.people.get_person(workspace_id, held) if held is not None else None
    if person is not None:
        jobs.get_job(given.jobs, workspace_id=workspace_id, job_id=job_id)  # 404 first
        link, created = personal_link(given, job_id, person, body.channel, slug=body.slug)
    else:
        link, created = jobs.add_link(
            given.jobs,
            workspace_id=workspace_id,
            job_id=job_id,
            channel=body.channel,
            sharer=body.sharer.lstrip("@") if body.sharer else None,
            slug=body.slug,
            now=given.clock.now(),
        )
    if created:
        metrics.add_metric(name="links_created", unit=MetricUnit.Count, value=1)
    answer = link_out(link, given.settings.short_base_url, people_of(given, [link]))
    return Response(
        status_code=201 if created else 200, content_type="application/json", body=answer
    )
