"""/api/jobs/{job_id}/shares and /spread: the posts that shared a job's links."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobtrail.api.jobs import JobId
from jobtrail.api.schemas import ShareList, Spread, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import jobs
from jobtrail.domain.errors import DomainError
from jobtrail.domain.shares import share_view, spread
from jobtrail.store import cursors
from jobtrail.store.shares import job_shares

router = Router()


def _shares(job_id: str) -> list[Any]:
    job = jobs.get_job(services(router).jobs, workspace_id=workspace(router), job_id=job_id)
    return job_shares(job.id)


@router.get(
    "/api/jobs/<job_id>/shares",
    summary="Posts that shared one of the job's links, first seen first",
    responses=answers(200, "A page of shares", 400, 401, 404),
    tags=["shares"],
)
def list_shares(
    job_id: JobId,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> ShareList:
    shares = sorted(_shares(job_id), key=lambda s: (s.first_seen_at, s.key))
    start = _offset(cursor) if cursor else 0
    page = shares[start : start + limit]
    more = start + limit < len(shares)
    return ShareList.model_validate(
        {
            "items": [share_view(share) for share in page],
            "next_cursor": cursors.encode(f"n:{start + limit}") if more else None,
        }
    )


def _offset(cursor: str) -> int:
    position = cursors.decode(cursor, prefix="n:")[2:]
    if not position.isdigit():
        raise DomainError(
            "The cursor is not one this list gave out; start again without it.",
            code="invalid_cursor",
        )
    return int(position)


@router.get(
    "/api/jobs/<job_id>/spread",
    summary="Who spread the job from whom, as a tree of shares",
    responses=answers(200, "The job's shares as a tree", 401, 404),
    tags=["shares"],
)
def job_spread(job_id: JobId) -> Spread:
    return Spread.model_validate({"roots": spread(_shares(job_id))})
