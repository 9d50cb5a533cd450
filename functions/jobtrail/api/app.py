"""The management API's resolver: routers, error mapping, and the checks that must come
before routing (body size, authentication), since Powertools validates a body before any
middleware of ours runs, and a request without a valid key must get 401, not 422."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.api import errors, jobs, shares, stats
from jobtrail.api.schemas import Health
from jobtrail.api.services import Services
from jobtrail.config import MAX_BODY_BYTES

OPENAPI_PATH = "/api/openapi.json"
PUBLIC_PATHS = frozenset({OPENAPI_PATH, "/health"})
_FORM = "application/x-www-form-urlencoded"

app = APIGatewayHttpResolver(enable_validation=True)
errors.register(app)
app.include_router(jobs.router)
app.include_router(stats.router)
app.include_router(shares.router)


@app.get("/health", summary="Liveness", tags=["health"])
def health() -> Health:
    return Health(status="ok")


@app.get(OPENAPI_PATH, summary="This document", tags=["health"], include_in_schema=False)
def openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=openapi_document(),
    )


def openapi_document() -> str:
    return app.get_openapi_json_schema(
        title="jobtrail",
        version="1",
        summary="Tracked short links for job ads",
        security_schemes={"apiKey": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
        security=[{"apiKey": []}],
    )


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body, validate=False))
    return len(body.encode("utf-8"))


def workspace_of(event: dict[str, Any]) -> str | None:
    """The workspace the authorizer resolved the request's key to, if any."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    workspace_id = (authorizer.get("lambda") or {}).get("workspace_id")
    return str(workspace_id) if workspace_id else None


def handle(event: dict[str, Any], context: LambdaContext, services: Services) -> dict[str, Any]:
    if _body_size(event) > MAX_BODY_BYTES:
        return errors.proxy_error(
            413, "body_too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."
        )
    path = event.get("rawPath") or ""
    workspace_id = workspace_of(event)
    if path not in PUBLIC_PATHS and workspace_id is None:
        return errors.proxy_error(
            401, "unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'."
        )
    headers = event.get("headers") or {}
    if event.get("body") and headers.get("content-type", "").startswith(_FORM):
        # Every body this API takes is JSON; `curl -d` labels it a form by default.
        event["headers"] = {**headers, "content-type": content_types.APPLICATION_JSON}
    app.append_context(workspace_id=workspace_id, services=services)
    return app.resolve(event, context)
