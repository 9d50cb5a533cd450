"""The management API's resolver: routers, error mapping, and the checks that must come
before routing (body size, authentication, the body's media type, encoding and nesting),
since Powertools validates a body before any middleware of ours runs, a request without a
valid key must get 401, not 422, and a body Powertools cannot read must get a 4xx, not a
500."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.api import (
    conversions,
    errors,
    exports,
    imports,
    jobs,
    keys,
    links,
    people,
    shares,
    static,
    stats,
)
from jobtrail.api.schemas import Health, answers
from jobtrail.api.services import Services
from jobtrail.config import MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES

OPENAPI_PATH = "/api/openapi.json"
PUBLIC_PATHS = frozenset({OPENAPI_PATH, "/health", static.JT_JS_PATH})
_FORM = "application/x-www-form-urlencoded"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_JSON_DEPTH = 32

app = APIGatewayHttpResolver(enable_validation=True)
errors.register(app)
app.include_router(jobs.router)
app.include_router(links.router)
app.include_router(stats.router)
app.include_router(shares.router)
app.include_router(exports.router)
app.include_router(keys.router)
app.include_router(people.router)
app.include_router(imports.router)
app.include_router(conversions.router)
app.include_router(static.router)


@app.get("/health", summary="Liveness", responses=answers(200, "The stack is up"), tags=["health"])
def health() -> Health:
    return Health(status="ok")


@app.get(OPENAPI_PATH, summary="This document", tags=["health"], include_in_schema=False)
def openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=openapi_document(),
    )


# Powertools adds these to every document; this API answers its errors as ErrorOut, so
# nothing refers to them.
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def openapi_document() -> str:
    document = app.get_openapi_schema(
        title="jobtrail",
        version="1",
        summary="Tracked short links for job ads",
        description="The HTTP API of jobtrail; docs/api.md in the repository explains it.",
        security_schemes={"apiKey": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
        security=[{"apiKey": []}],
    )
    schemas = document.components.schemas if document.components else None
    for name in _UNUSED_SCHEMAS:
        (schemas or {}).pop(name, None)
    return document.model_dump_json(by_alias=True, exclude_none=True, indent=2)


def _raw_body(event: dict[str, Any]) -> bytes | None:
    """The body's bytes, or None when they cannot be had (base64 that is not)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError):
            return None
    # Text the gateway decoded; a lone surrogate cannot be UTF-8 and fails the decoding below.
    return str(body).encode("utf-8", errors="surrogatepass")


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value (a scalar is 0)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _check_import_body(event: dict[str, Any], raw: bytes | None) -> dict[str, Any] | None:
    """The error for an import's body, or None: a CSV (text/csv, any encoding: the route
    reads its bytes) without ``?ats=``, JSON with it (checked as any JSON body)."""
    media_type = _media_type(event.get("headers") or {})
    feed = bool((event.get("queryStringParameters") or {}).get("ats"))
    if (event.get("rawPath") or "") == imports.IMPORT_PEOPLE:
        feed = False  # a CSV only, for now
    if raw is None:
        return errors.proxy_error(400, "invalid_encoding", "Send the body as base64 or text.")
    if not feed:
        if media_type != imports.CSV_MEDIA_TYPE:
            return errors.proxy_error(
                415, "unsupported_media_type", "Send the CSV with Content-Type: text/csv."
            )
        event["body"] = ""
        event["isBase64Encoded"] = False
        return None
    if media_type == imports.CSV_MEDIA_TYPE:
        return errors.proxy_error(
            415,
            "unsupported_media_type",
            "Send an ATS feed (?ats=) as application/json, or leave out ats for a CSV.",
        )
    return _check_body(event, raw)


def _check_body(event: dict[str, Any], raw: bytes | None) -> dict[str, Any] | None:
    """The error for a body route's body that is not UTF-8 JSON nested at most 32 deep, or
    None; a body that passes is handed on as text labelled JSON, the one kind Powertools
    reads. Bodies are at most 64 KiB, so parsing one here and again in Powertools costs
    little (an ATS feed of up to 5 MiB is parsed here and by its route, which reads no
    model); unparseable JSON is left to Powertools' own ``json_invalid``."""
    headers = event.get("headers") or {}
    media_type = _media_type(headers)
    # No Content-Type is read as JSON; `curl -d` labels JSON a form by default.
    if media_type not in {"", content_types.APPLICATION_JSON, _FORM}:
        return errors.proxy_error(415, *errors.UNSUPPORTED_MEDIA_TYPE)
    try:
        text = raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        text = None
    if text is None:
        return errors.proxy_error(400, "invalid_encoding", "Send the body encoded as UTF-8.")
    try:
        too_deep = bool(text.strip()) and _depth(json.loads(text)) > MAX_JSON_DEPTH
    except RecursionError:
        too_deep = True
    except json.JSONDecodeError:
        too_deep = False  # unparseable: Powertools answers it with its own json_invalid
    except ValueError:
        # Valid JSON Python refuses to read: an integer of more than 4300 digits.
        return errors.proxy_error(
            400, "invalid_json", "A number in the body has too many digits; send a shorter one."
        )
    if too_deep:
        return errors.proxy_error(
            400,
            "invalid_json",
            f"The body nests arrays or objects more than {MAX_JSON_DEPTH} deep; send a flatter "
            "JSON document.",
        )
    event["body"] = text
    event["isBase64Encoded"] = False
    if text:
        event["headers"] = {**headers, "content-type": content_types.APPLICATION_JSON}
    return None


def workspace_of(event: dict[str, Any]) -> str | None:
    """The workspace the authorizer resolved the request's key to, if any."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    workspace_id = (authorizer.get("lambda") or {}).get("workspace_id")
    return str(workspace_id) if workspace_id else None


def handle(event: dict[str, Any], context: LambdaContext, services: Services) -> dict[str, Any]:
    raw = _raw_body(event)
    path = event.get("rawPath") or ""
    large = path in imports.LARGE_BODY_PATHS
    limit = MAX_IMPORT_BODY_BYTES if large else MAX_BODY_BYTES
    if raw is not None and len(raw) > limit:
        size = f"{limit // 1024 // 1024} MiB" if large else f"{limit // 1024} KiB"
        return errors.proxy_error(413, "body_too_large", f"The body is larger than {size}.")
    workspace_id = workspace_of(event)
    public = path in PUBLIC_PATHS or path.startswith(static.PREFIX)
    if not public and workspace_id is None:
        return errors.proxy_error(
            401, "unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'."
        )
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "")
    if method.upper() in _BODY_METHODS:
        refused = _check_import_body(event, raw) if large else _check_body(event, raw)
        if refused is not None:
            return refused
    app.append_context(workspace_id=workspace_id, services=services, raw_body=raw)
    return app.resolve(event, context)
