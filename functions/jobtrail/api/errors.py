"""Every error the API answers, in the one shape ``docs/api.md`` gives:
``{"error": {"code": ..., "message": ..., "details": [...]}}``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from jobtrail.api.schemas import BODY_RULE, GENERIC_RULE, RULES
from jobtrail.domain.errors import DomainError
from jobtrail.observability import logger

UNSUPPORTED_MEDIA_TYPE = (
    "unsupported_media_type",
    "Send the body as JSON, with 'Content-Type: application/json'.",
)


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details),
        headers=headers,
    )


def proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    """An error as a finished API Gateway answer, for checks made before routing."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(code, message)),
        "isBase64Encoded": False,
    }


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error as ``{"field", "message"}``: the field as ``tags.3`` or
    ``query.limit``, the message a sentence from ``schemas.RULES``, never pydantic's own."""
    loc = [part for part in error.get("loc", ()) if part != "body"]
    field = ".".join(str(part) for part in loc) or "body"
    names = [part for part in loc if part not in ("query", "path")]
    if error.get("type") == "value_error" and not names:
        # A rule over the whole body (``schemas``' model validators): its own sentence.
        return {"field": field, "message": str(error.get("ctx", {}).get("error", BODY_RULE))}
    if not names:
        return {"field": field, "message": BODY_RULE}
    name = str(names[-1])
    if isinstance(names[-1], int) and len(names) > 1:
        name = f"{names[-2]}[]"
    kind = error.get("type")
    if kind == "extra_forbidden":
        message = f"'{name}' is not a field this request takes; leave it out."
    elif kind == "missing":
        message = f"'{name}' is missing. {RULES.get(name, GENERIC_RULE)}"
    else:
        message = RULES.get(name, GENERIC_RULE)
    return {"field": field, "message": message}


def register(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[Any]:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        errors = list(error.errors())
        kinds = {e.get("type") for e in errors}
        if "json_invalid" in kinds:
            return error_response(400, "invalid_json", "The body is not valid JSON.")
        details = [_detail(e) for e in errors]
        return error_response(
            422,
            "validation_error",
            " ".join(dict.fromkeys(d["message"] for d in details)),
            details,
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        # The API's pre-routing checks answer these first; this keeps Powertools' own check,
        # should a body reach it, from becoming a 500.
        return error_response(415, *UNSUPPORTED_MEDIA_TYPE)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[Any]:
        return error_response(404, "not_found", "There is no such route.")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
