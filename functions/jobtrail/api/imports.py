"""/api/imports: jobs from a CSV or an applicant tracking system's public job list."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from jobtrail.api.schemas import Ats, ImportOut, RejectedLine, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import imports
from jobtrail.domain.errors import DomainError
from jobtrail.observability import metrics

router = Router()

IMPORT_JOBS = "/api/imports/jobs"
CSV_MEDIA_TYPE = "text/csv"
# Routes whose body may be up to 5 MiB (``api.app`` lets them past the 64 KiB bound).
LARGE_BODY_PATHS = frozenset({IMPORT_JOBS})

# Hand-written: the body is read by the route (a CSV is no model), so Powertools cannot
# document it from a parameter.
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            CSV_MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "description": "a header line naming title,url,tags,ats_id,channels "
                    "(separated by , or ;), then one job per line",
                }
            },
            "application/json": {
                "schema": {
                    "description": "with ?ats=: the ATS's job list as its API answers it",
                    "oneOf": [{"type": "object"}, {"type": "array"}],
                }
            },
        },
    }
}


def _raw_body() -> bytes:
    raw: Any = router.context.get("raw_body")
    return raw if isinstance(raw, bytes) else b""


@router.post(
    IMPORT_JOBS,
    summary="Import jobs from a CSV, or from an ATS's job list (?ats=)",
    description="A CSV (text/csv) has the columns title,url,tags,ats_id,channels; with "
    "?ats=greenhouse, lever or teamtailor the body is that system's public job list as its "
    "API answers it, and it is the full list: that system's jobs it lacks are closed. "
    "A rerun creates and changes nothing. Up to 5 MiB and 10,000 rows.",
    responses=answers(
        200,
        "What the import did, and each line it rejected",
        400,
        401,
        413,
        415,
        503,
        say={
            413: "The body is larger than 5 MiB, or has more than 10,000 rows",
            415: "Send a CSV as text/csv, or a feed (with ?ats=) as application/json",
        },
    ),
    openapi_extensions=_IMPORT_BODY,
    tags=["imports"],
)
def import_jobs(ats: Annotated[Ats | None, Query()] = None) -> ImportOut:
    given = services(router)
    raw = _raw_body()
    if ats is None:
        rows, rejected = imports.read_csv(raw)
    else:
        try:
            body = json.loads(raw)
        except ValueError:
            raise DomainError(
                f"The {ats} feed is not JSON; send the job list as its API answers it.",
                code="invalid_json",
            ) from None
        rows, rejected = imports.read_feed(ats, body)
    outcome = imports.import_jobs(
        given.jobs,
        workspace_id=workspace(router),
        rows=rows,
        rejected=rejected,
        ats=ats,
        short_base_url=given.settings.short_base_url,
        now=given.clock.now(),
    )
    metrics.add_metric(name="jobs_imported", unit=MetricUnit.Count, value=outcome.created)
    return ImportOut(
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        closed=outcome.closed,
        rejected=[RejectedLine(line=r.line, reason=r.reason) for r in outcome.rejected],
    )
