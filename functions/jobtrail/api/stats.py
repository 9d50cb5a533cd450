"""/api/jobs/{job_id}/stats and /api/stats/channels: read from counters only."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobtrail.api.jobs import JobId, link_out, people_of
from jobtrail.api.schemas import DAY_PATTERN, ChannelStats, JobStats, answers
from jobtrail.api.services import Services, services, workspace
from jobtrail.domain import jobs, stats
from jobtrail.domain.jobs import Link
from jobtrail.domain.shares import share_stats
from jobtrail.store import counters
from jobtrail.store.shares import job_shares

router = Router()


@router.get(
    "/api/jobs/<job_id>/stats",
    summary="Clicks of a job per day, channel, link, sharer, referrer, country, device",
    responses=answers(200, "The job's clicks in the range, and all its shares", 400, 401, 404),
    tags=["stats"],
)
def job_stats(
    job_id: JobId,
    from_: Annotated[str | None, Query(alias="from", pattern=DAY_PATTERN)] = None,
    to: Annotated[str | None, Query(pattern=DAY_PATTERN)] = None,
) -> JobStats:
    given = services(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace(router), job_id=job_id)
    today = given.clock.now().date()
    days = stats.day_range(from_, to, today=today)
    rows = counters.job_counters(job.id, days.first, days.last, today=today)
    return JobStats.model_validate(
        {
            **stats.job_stats(
                job.id,
                days,
                rows,
                _shown(given, job.links),
            ),
            # Shares are all of the job's, whatever the days: a share is not a daily count.
            **share_stats(job_shares(job.id)),
        }
    )


def _shown(
    given: Services, links: tuple[Link, ...]
) -> dict[str, tuple[str, str | None, str | None]]:
    """Each link's channel, sharer as answers show it, and person."""
    persons = people_of(given, links)
    shown = {}
    for link in links:
        sharer = link_out(link, given.settings.short_base_url, persons).sharer
        shown[link.slug] = (link.channel, sharer, link.person_id)
    return shown


@router.get(
    "/api/stats/channels",
    summary="Channels compared across the workspace's jobs",
    responses=answers(200, "Every channel the workspace's jobs use", 401),
    tags=["stats"],
)
def channel_stats() -> ChannelStats:
    rows = counters.workspace_channels(workspace(router))
    return ChannelStats.model_validate({"items": stats.channel_stats(rows)})
