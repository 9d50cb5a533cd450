"""/api/keys: the workspace's API keys, listed without the keys themselves."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from jobtrail.api.schemas import ID_PATTERN, KeyCreate, KeyCreated, KeyList, KeyOut, answers
from jobtrail.api.services import services, workspace
from jobtrail.domain import api_keys

router = Router()

KeyId = Annotated[str, Path(pattern=ID_PATTERN)]
NO_KEY = {404: "No API key with that id in this workspace"}


def _key_out(key: api_keys.ApiKey) -> KeyOut:
    return KeyOut(id=key.id, name=key.name, prefix=key.prefix, created_at=key.created_at)


@router.get(
    "/api/keys",
    summary="List the workspace's API keys (never the keys themselves), newest first",
    responses=answers(200, "A page of keys", 400, 401),
    tags=["keys"],
)
def list_keys(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> KeyList:
    # The caller's own key, if it was made before keys were listed, is listed from now on
    # (with its prefix, which only its text gives): the read-time half of the backfill.
    given = services(router)
    token = api_keys.bearer_token(router.current_event.headers.get("authorization"))
    if token is not None:
        given.keys.adopt_key(token)
    page = given.keys.list_keys(workspace(router), limit=limit, cursor=cursor)
    return KeyList(items=[_key_out(key) for key in page.items], next_cursor=page.next_cursor)


@router.post(
    "/api/keys",
    summary="Create an API key; the answer is the only time the key is shown",
    responses=answers(201, "The key, with the key itself this once", 400, 401, 413, 415),
    tags=["keys"],
)
def create_key(body: Annotated[KeyCreate, Body()]) -> Response[KeyCreated]:
    given = services(router)
    key, api_key = api_keys.create_key(
        given.keys, workspace_id=workspace(router), name=body.name, now=given.clock.now()
    )
    created = KeyCreated(**_key_out(key).model_dump(), api_key=api_key)
    return Response(status_code=201, content_type="application/json", body=created)


@router.delete(
    "/api/keys/<key_id>",
    summary="Delete an API key: it answers 401 within 60 seconds",
    responses=answers(
        204,
        "Deleted",
        401,
        404,
        409,
        say={**NO_KEY, 409: "It is the workspace's last key (last_key); create another first"},
    ),
    tags=["keys"],
)
def delete_key(key_id: KeyId) -> Response[None]:
    services(router).keys.delete_key(workspace(router), key_id)
    return Response(status_code=204)
