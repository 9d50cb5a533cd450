"""What a recruiter takes out of jobtrail: a link's QR code for the printed ad or the job
fair, and a job's daily numbers as CSV for the weekly report. Both are made here, on the
API function, never on the redirect's path."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Annotated, Any, Literal

import segno
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from jobtrail.api.jobs import JobId
from jobtrail.api.schemas import DAY_PATTERN, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import jobs, stats
from jobtrail.domain.errors import NotFound
from jobtrail.store import counters
from jobtrail.store.shares import job_shares

router = Router()

QR_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
# A QR code's quiet zone and module size: 4 modules is the standard's minimum border; at 10
# pixels a module a link's code is about 330 px, sharp enough to print at 3 cm.
QR_BORDER = 4
QR_SCALE = 10
# A link's short URL never changes, so neither does its code: a client may keep it a day
# and then only revalidate (If-None-Match).
QR_CACHE_CONTROL = "private, max-age=86400"


def _documented(
    status: int, description: str, media_types: tuple[str, ...], *errors: int
) -> dict[int, Any]:
    """``answers``, with the route's own answer a file of one of ``media_types``."""
    documented = answers(status, description, *errors)
    documented[status] = {
        "description": description,
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in media_types
        },
    }
    return documented


@router.get(
    "/api/jobs/<job_id>/links/<slug>/qr.svg",
    summary="A link's short URL as a QR code (SVG, or PNG with ?format=png)",
    description="Answers 304 to an If-None-Match that names its ETag.",
    responses={
        **_documented(200, "The QR code", tuple(QR_TYPES.values()), 401, 404),
        304: {"description": "The code the client has is still the one"},
    },
    tags=["links"],
)
# No return annotation, on purpose: Powertools validates and serializes an annotated
# route's answer as text, which would break the PNG's bytes; unannotated, a non-JSON answer
# goes out as it is (base64 for bytes).
def link_qr(  # type: ignore[no-untyped-def]
    job_id: JobId,
    slug: Annotated[str, Path()],
    image_format: Annotated[Literal["svg", "png"], Query(alias="format")] = "svg",
):
    given = services(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace(router), job_id=job_id)
    if not any(link.slug == slug for link in job.links):
        raise NotFound(f"Job '{job_id}' has no link '{slug}'.", code="link_not_found")
    short_url = f"{given.settings.short_base_url}/{slug}"
    code = segno.make(short_url, error="m")
    out = io.BytesIO()
    if image_format == "svg":
        code.save(out, kind="svg", border=QR_BORDER, scale=QR_SCALE, title=short_url)
    else:
        code.save(out, kind="png", border=QR_BORDER, scale=QR_SCALE)
    image = out.getvalue()
    etag = f'"{hashlib.sha256(image).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": QR_CACHE_CONTROL}
    asked = router.current_event.headers.get("if-none-match") or ""
    if etag in (tag.strip() for tag in asked.split(",")) or asked.strip() == "*":
        return Response(status_code=304, headers=headers, body=b"")
    return Response(
        status_code=200, content_type=QR_TYPES[image_format], headers=headers, body=image
    )


@router.get(
    "/api/jobs/<job_id>/stats.csv",
    summary="A job's clicks and shares per day and channel, as CSV",
    description="Columns: date, channel, human, bots, unique_visitors, shares, applications, "
    "hires; one row per day and channel with any count, oldest first. The range and its "
    "errors are as for the job's stats (the last 30 days by default, at most 400).",
    responses=_documented(200, "The rows, as CSV", ("text/csv",), 400, 401, 404),
    tags=["stats"],
)
def job_stats_csv(
    job_id: JobId,
    from_: Annotated[str | None, Query(alias="from", pattern=DAY_PATTERN)] = None,
    to: Annotated[str | None, Query(pattern=DAY_PATTERN)] = None,
) -> Response[str]:
    given = services(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace(router), job_id=job_id)
    days = stats.day_range(from_, to, today=given.clock.now().date())
    rows = stats.daily_channel_rows(
        days,
        counters.job_days(job.id, days.first, days.last),
        ((share.first_seen_at[:10], share.channel) for share in job_shares(job.id)),
    )
    # The standard library's csv module quotes what needs quoting (RFC 4180, CRLF lines).
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=stats.DAILY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    name = f"{job.campaign}-{days.first.isoformat()}-{days.last.isoformat()}.csv"
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
        body=out.getvalue(),
    )
