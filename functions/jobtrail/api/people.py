"""/api/people: the recruiter's network, and the personal links made for it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from jobtrail.api.jobs import JobId, link_out, personal_link
from jobtrail.api.schemas import (
    ID_PATTERN,
    AmbassadorsCreate,
    HandlesOut,
    LinkList,
    PersonCreate,
    PersonList,
    PersonOut,
    PersonPatch,
    Suggestion,
    Tag,
    WhoToAsk,
    answers,
)
from jobtrail.api.services import services, workspace
from jobtrail.domain import asking, jobs, people
from jobtrail.store.records import top_lists
from jobtrail.store.shares import job_shares

router = Router()

PersonIdPath = Annotated[str, Path(pattern=ID_PATTERN)]
HANDLES_RULE = (
    "A handle (x, bluesky, linkedin) is compared without case and without a leading @, and "
    "belongs to one person in the workspace: another person's handle is 409 handle_taken."
)


def person_out(person: people.Person) -> PersonOut:
    return PersonOut(
        id=person.id,
        name=person.name,
        handles=HandlesOut(**{p: person.handles.get(p) for p in people.PLATFORMS}),
        fields=list(person.fields),
        email=person.email,
        do_not_ask=person.do_not_ask,
        discovered=person.discovered,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


@router.post(
    "/api/people",
    summary="Add a person to the network: their name, handles, fields of work, e-mail",
    description=HANDLES_RULE,
    responses=answers(
        201,
        "The person",
        400,
        401,
        409,
        413,
        415,
        say={409: "A handle belongs to another person of the workspace"},
    ),
    tags=["people"],
)
def create_person(body: Annotated[PersonCreate, Body()]) -> Response[PersonOut]:
    given = services(router)
    person = people.create_person(
        given.people,
        workspace_id=workspace(router),
        name=body.name,
        handles=body.handles.model_dump(),
        fields=body.fields,
        email=body.email,
        do_not_ask=body.do_not_ask,
        now=given.clock.now(),
    )
    return Response(status_code=201, content_type="application/json", body=person_out(person))


@router.get(
    "/api/people",
    summary="List the network, newest first (those in a field, or whose name or handle holds q)",
    description="q is compared without case and without accents (asa finds Åsa), in the "
    "name and every handle.",
    responses=answers(200, "A page of people", 400, 401),
    tags=["people"],
)
def list_people(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    field: Annotated[Tag | None, Query()] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> PersonList:
    page = services(router).people.list_people(
        workspace(router), limit=limit, cursor=cursor, field=field, query=q
    )
    return PersonList(
        items=[person_out(person) for person in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/api/people/<person_id>",
    summary="One person",
    responses=answers(200, "The person", 401, 404, say={404: "No such person in this workspace"}),
    tags=["people"],
)
def get_person(person_id: PersonIdPath) -> PersonOut:
    given = services(router)
    return person_out(
        people.get_person(given.people, workspace_id=workspace(router), person_id=person_id)
    )


@router.patch(
    "/api/people/<person_id>",
    summary="Edit a person: name, handles, fields, e-mail, do_not_ask",
    description="In handles, a network named changes (null removes its handle) and one left "
    "out stays; a handle's claim moves with it. " + HANDLES_RULE,
    responses=answers(
        200,
        "The person",
        400,
        401,
        404,
        409,
        413,
        415,
        say={
            404: "No such person in this workspace",
            409: "A handle belongs to another person of the workspace",
        },
    ),
    tags=["people"],
)
def edit_person(person_id: PersonIdPath, body: Annotated[PersonPatch, Body()]) -> PersonOut:
    given = services(router)
    sent = body.model_fields_set
    handles = (
        {name: getattr(body.handles, name) for name in body.handles.model_fields_set}
        if body.handles is not None
        else None
    )
    person = people.update_person(
        given.people,
        workspace_id=workspace(router),
        person_id=person_id,
        changes=people.PersonChanges(
            name=body.name,
            handles=handles,
            fields=body.fields,
            email=body.email,
            clear_email="email" in sent and body.email is None,
            do_not_ask=body.do_not_ask,
        ),
        now=given.clock.now(),
    )
    return person_out(person)


@router.delete(
    "/api/people/<person_id>",
    summary="Forget a person: their name, handles and e-mail, everywhere",
    description="The shares they made stay counted, with author and url null.",
    responses=answers(204, "Forgotten", 401, 404, say={404: "No such person in this workspace"}),
    tags=["people"],
)
def delete_person(person_id: PersonIdPath) -> Response[None]:
    people.delete_person(
        services(router).people, workspace_id=workspace(router), person_id=person_id
    )
    return Response(status_code=204)


@router.post(
    "/api/jobs/<job_id>/ambassadors",
    summary="Give each of these people their own link of the job on a channel",
    description="One link per person and channel: asked again, each person's answer is the "
    "link they have. Their links' sharer is their handle on the channel's network, else "
    "their id.",
    responses=answers(
        200,
        "One link per person, in the order asked",
        400,
        401,
        404,
        409,
        413,
        415,
        503,
        say={404: "No such job, or no such person, in this workspace"},
    ),
    tags=["links"],
)
def ambassadors(job_id: JobId, body: Annotated[AmbassadorsCreate, Body()]) -> LinkList:
    given = services(router)
    workspace_id = workspace(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace_id, job_id=job_id)
    wanted = list(dict.fromkeys(body.people))
    found = given.people.get_people(workspace_id, wanted)
    for person_id in wanted:
        if person_id not in found:
            raise people.person_not_found(person_id)
    made = [
        personal_link(given, job.id, found[person_id], body.channel, slug=None)
        for person_id in wanted
    ]
    return LinkList(
        items=[link_out(link, given.settings.short_base_url, found) for link, _ in made]
    )


@router.get(
    "/api/jobs/<job_id>/who-to-ask",
    summary="Whom to ask to spread the job, best first, each with the reason in numbers",
    description="First people with a record on past jobs in the job's fields (jobs they "
    "shared, their posts, the reposts and quotes those got), then people in the fields by "
    "followers. Never do_not_ask people, nor people who already shared this job. It reads "
    "a bounded top list per field of the job, however large the network.",
    responses=answers(200, "The people to ask", 401, 404),
    tags=["people"],
)
def who_to_ask(job_id: JobId, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> WhoToAsk:
    given = services(router)
    workspace_id = workspace(router)
    job = jobs.get_job(given.jobs, workspace_id=workspace_id, job_id=job_id)
    records, followers = top_lists(workspace_id, job.tags)
    listed = {pid for top in records.values() for pid in top}
    listed |= {pid for top in followers.values() for pid in top}
    persons = given.people.get_people(workspace_id, sorted(listed))
    sharing = {share.person_id for share in job_shares(job.id) if share.person_id}
    ranked = asking.rank(job.tags, records, followers, persons, sharing, limit=limit)
    return WhoToAsk(
        items=[
            Suggestion(person=person_out(s.person), score=s.score, reason=s.reason) for s in ranked
        ]
    )
