"""/api/jobs: job ads and their tracked links."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from jobtrail.api.schemas import (
    JobCreate,
    JobList,
    JobOut,
    JobSummary,
    LinkCreate,
    LinkOut,
    answers,
)
from jobtrail.config import settings
from jobtrail.domain import jobs
from jobtrail.domain.times import utc_now
from jobtrail.observability import metrics
from jobtrail.store.jobs import DynamoJobStore

router = Router()
store = DynamoJobStore()

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,64}$")]


def _workspace() -> str:
    return str(router.context["workspace_id"])


def link_out(link: jobs.Link) -> LinkOut:
    return LinkOut(
        slug=link.slug,
        short_url=f"{settings().short_base_url}/{link.slug}",
        job_id=link.job_id,
        channel=link.channel,
        sharer=link.sharer,
        created_at=link.created_at,
    )


def _summary(job: jobs.Job) -> JobSummary:
    return JobSummary(
        id=job.id,
        title=job.title,
        url=job.url,
        tags=list(job.tags),
        channels=list(job.channels),
        ats_id=job.ats_id,
        status=job.status,
        created_at=job.created_at,
    )


def job_out(job: jobs.Job) -> JobOut:
    return JobOut(**_summary(job).model_dump(), links=[link_out(link) for link in job.links])


@router.post(
    "/api/jobs",
    summary="Create a job ad with one tracked link per channel",
    responses=answers(201, "The job, with its links", 400, 401, 413, 415, 503),
    tags=["jobs"],
)
def create_job(body: Annotated[JobCreate, Body()]) -> Response[JobOut]:
    job = jobs.create_job(
        store,
        workspace_id=_workspace(),
        title=body.title,
        url=body.url,
        tags=body.tags,
        channels=body.channels,
        ats_id=body.ats_id,
        short_base_url=settings().short_base_url,
        now=utc_now(),
    )
    metrics.add_metric(name="jobs_created", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="links_created", unit=MetricUnit.Count, value=len(job.links))
    return Response(status_code=201, content_type="application/json", body=job_out(job))


@router.get(
    "/api/jobs",
    summary="List the workspace's jobs, newest first",
    responses=answers(200, "A page of jobs", 400, 401),
    tags=["jobs"],
)
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> JobList:
    page = store.list_jobs(_workspace(), limit=limit, cursor=cursor)
    return JobList(items=[_summary(job) for job in page.items], next_cursor=page.next_cursor)


@router.get(
    "/api/jobs/<job_id>",
    summary="One job, with its links",
    responses=answers(200, "The job, with its links", 401, 404),
    tags=["jobs"],
)
def get_job(job_id: JobId) -> JobOut:
    return job_out(jobs.get_job(store, workspace_id=_workspace(), job_id=job_id))


@router.post(
    "/api/jobs/<job_id>/links",
    summary="Add a tracked link to a job (a channel, a person, a custom slug)",
    responses=answers(201, "The link", 400, 401, 404, 409, 413, 415, 503),
    tags=["links"],
)
def create_link(job_id: JobId, body: Annotated[LinkCreate, Body()]) -> Response[LinkOut]:
    link = jobs.add_link(
        store,
        workspace_id=_workspace(),
        job_id=job_id,
        channel=body.channel,
        sharer=body.sharer.lstrip("@") if body.sharer else None,
        slug=body.slug,
        now=utc_now(),
    )
    metrics.add_metric(name="links_created", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, content_type="application/json", body=link_out(link))
