"""/api/imports: jobs from a CSV or an applicant tracking system's public job list."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from jobtrail.api.schemas import (
    ID_PATTERN,
    Ats,
    ImportOut,
    RejectedLine,
    SourceCreate,
    SourceList,
    SourceOut,
    answers,
)
from jobtrail.api.services import services, workspace
from jobtrail.domain import import_sources, imports, people_imports
from jobtrail.domain.errors import DomainError, InvalidInput
from jobtrail.observability import logger, metrics
from jobtrail.sources.ats import BoardNotFound
from jobtrail.sources.base import RateLimited, SourceRejected, SourceUnavailable

router = Router()

IMPORT_JOBS = "/api/imports/jobs"
IMPORT_PEOPLE = "/api/imports/people"
CSV_MEDIA_TYPE = "text/csv"
# Routes whose body may be up to 5 MiB (``api.app`` lets them past the 64 KiB bound).
LARGE_BODY_PATHS = frozenset({IMPORT_JOBS, IMPORT_PEOPLE})

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
                    "anyOf": [
                        {
                            "type": "object",
                            "description": "Greenhouse (jobs) or Teamtailor (data, included)",
                            "properties": {
                                "jobs": {"type": "array"},
                                "data": {"type": "array"},
                                "included": {"type": "array"},
                            },
                        },
                        {
                            "type": "array",
                            "description": "Lever's postings",
                        },
                    ],
                }
            },
        },
    }
}


# Hand-written for the same reason as _IMPORT_BODY.
_PEOPLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            CSV_MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "description": "a header line naming name,x,bluesky,linkedin,fields,email "
                    "(separated by , or ;), then one person per line; fields separated by ;",
                }
            },
        },
    }
}


SourceId = Annotated[str, Path(pattern=ID_PATTERN)]


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
    return import_out(outcome)


@router.post(
    IMPORT_PEOPLE,
    summary="Import people from a CSV",
    description="A CSV (text/csv) with the columns name,x,bluesky,linkedin,fields,email "
    "(fields separated by ;), read as the job import reads one. A row matches the person "
    "who holds its x, else its bluesky, else its linkedin handle (without case or a leading "
    "@); a blank cell keeps what is stored; a row that matches nobody is a new person. A row "
    "without a handle, or whose handles belong to two people, is rejected with its line. A "
    "rerun creates and changes nothing. Up to 5 MiB and 10,000 rows.",
    responses=answers(
        200,
        "What the import did, and each line it rejected",
        401,
        413,
        415,
        422,
        say={
            413: "The body is larger than 5 MiB, or has more than 10,000 rows",
            415: "Send the CSV as text/csv",
        },
    ),
    openapi_extensions=_PEOPLE_BODY,
    tags=["imports"],
)
def import_people() -> ImportOut:
    given = services(router)
    rows, rejected = people_imports.read_csv(_raw_body())
    outcome = people_imports.import_people(
        given.people,
        workspace_id=workspace(router),
        rows=rows,
        rejected=rejected,
        now=given.clock.now(),
    )
    metrics.add_metric(name="people_imported", unit=MetricUnit.Count, value=outcome.created)
    return import_out(outcome)


def import_out(outcome: imports.Outcome) -> ImportOut:
    return ImportOut(
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        closed=outcome.closed,
        rejected=[RejectedLine(line=r.line, reason=r.reason) for r in outcome.rejected],
    )


def _source_out(source: import_sources.ImportSource) -> SourceOut:
    return SourceOut(
        id=source.id,
        ats=source.ats,
        board=source.board,
        last_synced_at=source.last_synced_at,
    )


@router.post(
    "/api/imports/sources",
    summary="Register an ATS board: imported now and then daily",
    description="The board is fetched and imported at once (as POST /api/imports/jobs?ats= "
    "would), then every day. A board the ATS does not know, or a Teamtailor key it refuses, "
    "is a 422 and nothing is stored; if the ATS is down or busy the board is stored "
    "(last_synced_at null) and the daily run imports it. One board per ATS per workspace.",
    responses=answers(
        201,
        "The registered board",
        400,
        401,
        409,
        413,
        415,
        say={409: "The workspace has a board of this ATS already"},
    ),
    tags=["imports"],
)
def create_source(body: Annotated[SourceCreate, Body()]) -> Response[SourceOut]:
    given = services(router)
    now = given.clock.now()
    source = import_sources.new_source(
        workspace_id=workspace(router),
        ats=body.ats,
        board=body.board,
        api_key=body.api_key,
        now=now,
    )
    import_sources.check_new(given.sources, source)
    fetched: Any = None
    name = source.ats.capitalize()
    try:
        fetched = given.ats.fetch(source.ats, source.board, source.api_key)
    except BoardNotFound:
        raise InvalidInput(
            f"{name} has no board '{source.board}'; check its name.", code="board_not_found"
        ) from None
    except SourceRejected:
        raise InvalidInput(
            f"{name} refused the api_key; give a key that may read jobs.", code="api_key_refused"
        ) from None
    except (RateLimited, SourceUnavailable) as error:
        # Stored all the same: the daily run imports it.
        logger.warning("ats fetch failed", extra={"ats": source.ats, "reason": str(error)})
    given.sources.insert_source(source)
    if fetched is not None:
        try:
            source, outcome = import_sources.sync(
                source,
                fetcher=given.ats,
                sources=given.sources,
                jobs=given.jobs,
                short_base_url=given.settings.short_base_url,
                now=now,
                fetched=fetched,
            )
        except InvalidInput as error:
            # Not the ATS's shape: a proxy's page, an API change. The daily run tries again.
            logger.warning("ats import failed", extra={"ats": source.ats, "reason": error.message})
        else:
            metrics.add_metric(name="jobs_imported", unit=MetricUnit.Count, value=outcome.created)
    return Response(status_code=201, content_type="application/json", body=_source_out(source))


@router.get(
    "/api/imports/sources",
    summary="The workspace's registered ATS boards",
    responses=answers(200, "The boards, oldest first", 401),
    tags=["imports"],
)
def list_sources() -> SourceList:
    found = services(router).sources.list_sources(workspace(router))
    return SourceList(items=[_source_out(source) for source in found])


@router.delete(
    "/api/imports/sources/<source_id>",
    summary="Stop importing a board (its jobs stay as they are)",
    responses=answers(204, "Deleted", 401, 404, say={404: "No such source in this workspace"}),
    tags=["imports"],
)
def delete_source(source_id: SourceId) -> Response[None]:
    import_sources.delete(
        services(router).sources, workspace_id=workspace(router), source_id=source_id
    )
    return Response(status_code=204)
