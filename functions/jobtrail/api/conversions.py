"""/api/conversions: applications and hires credited to the click they came of."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from jobtrail.api.schemas import ConversionCreate, ConversionOut, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import jobs
from jobtrail.domain.errors import NotFound
from jobtrail.domain.ids import new_id
from jobtrail.domain.times import iso
from jobtrail.store.conversions import ClickOrigin, find_click, record_conversion

router = Router()


@router.post(
    "/api/conversions",
    summary="Credit an application or hire to the click it came of",
    description="Counted once per (click id, kind, external id): the same again answers 200 "
    "with the conversion first recorded. `at` (default now) decides the day it counts on.",
    responses={
        **answers(
            201,
            "The conversion, recorded",
            400,
            401,
            404,
            say={404: "No click of this workspace has that id"},
        ),
        200: {
            "description": "The same conversion again: as first recorded, counted once",
            "content": {"application/json": {"model": ConversionOut}},
        },
    },
    tags=["conversions"],
)
def create_conversion(body: Annotated[ConversionCreate, Body()]) -> Response[ConversionOut]:
    workspace_id = workspace(router)
    now = services(router).clock.now()
    at = body.at.astimezone(UTC) if body.at else now
    if body.click_id is not None:
        origin = find_click(body.click_id, workspace_id)
        if origin is None:
            raise NotFound(
                "No click of this workspace has that id; check the click id you were given.",
                code="click_not_found",
            )
        source = body.click_id
    else:
        # The schema checked that both are given.
        assert body.job_id is not None
        assert body.channel is not None
        job = jobs.get_job(services(router).jobs, workspace_id=workspace_id, job_id=body.job_id)
        origin = ClickOrigin(job.id, None, body.channel, None)
        source = f"{job.id}#{body.channel}"
    day = at.date().isoformat()
    conversion = {
        "id": new_id(now),
        "click_id": body.click_id,
        "kind": body.kind,
        "external_id": body.external_id,
        "at": iso(at),
        "job_id": origin.job_id,
        "slug": origin.slug,
        "channel": origin.channel,
        "sharer": origin.sharer,
        "person_id": None,
    }
    stored, created = record_conversion(
        workspace_id, source, conversion, day=day, late=at.date() < now.date()
    )
    return Response(
        status_code=201 if created else 200,
        content_type="application/json",
        body=ConversionOut.model_validate(stored),
    )
