"""/api/jobs/{job_id}/links/{slug}: a link's life after it is made."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from jobtrail.api.jobs import JobId, link_out, people_of
from jobtrail.api.schemas import LinkOut, LinkPatch, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import links

router = Router()

LinkSlug = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@router.patch(
    "/api/jobs/<job_id>/links/<slug>",
    summary="Turn a link off or on, or give it an end",
    description=(
        "A disabled link, or one past its expires_at, answers 410 (link_gone) at its short "
        "URL and records nothing, within 60 seconds of the change; a link turned on again, "
        "or given a later end or none, redirects again within as long. A slug of another "
        "job, or of another workspace, is 404."
    ),
    responses=answers(
        200,
        "The link as it now is",
        400,
        401,
        404,
        413,
        415,
        say={404: "No such link on this job in this workspace"},
    ),
    tags=["links"],
)
def change_link(job_id: JobId, slug: LinkSlug, body: Annotated[LinkPatch, Body()]) -> LinkOut:
    given = services(router)
    sent = body.model_fields_set
    link = links.change_link(
        given.links,
        workspace_id=workspace(router),
        job_id=job_id,
        slug=slug,
        disabled=body.disabled if "disabled" in sent else links.KEEP,
        expires_at=body.expires_at if "expires_at" in sent else links.KEEP,
    )
    return link_out(link, given.settings.short_base_url, people_of(given, [link]))
