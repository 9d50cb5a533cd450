"""API Gateway v2 events as the real gateway builds them, starting from the samples in
``events/``: the one way the local gateway and the tests make events."""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


@cache
def _sample_text(name: str) -> str:
    return (EVENTS_DIR / f"{name}.json").read_text()


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of ``events/<name>.json``."""
    return copy.deepcopy(json.loads(_sample_text(name)))


def _is_text(content_type: str) -> bool:
    content_type = content_type.lower()
    return content_type.startswith(_TEXT_TYPES) or content_type.endswith("+json")


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    authorizer_context: dict[str, Any] | None = None,
    stage: str = "$default",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event: lower-case headers (repeated ones joined by commas,
    cookies apart), parsed query parameters, a base64 body when it is not text."""
    event = sample("api")
    lowered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in (headers or {}).items():
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    route_key = route_key or f"{method} {path}"
    now = time.time()
    event.update(
        routeKey=route_key,
        rawPath=path,
        rawQueryString=query,
        headers=lowered,
        isBase64Encoded=False,
    )
    if cookies:
        event["cookies"] = cookies
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    if params:
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None and len(body):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if _is_text(lowered.get("content-type", "application/json")):
            try:
                event["body"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(raw).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
    context = event["requestContext"]
    context.update(
        requestId=str(uuid.uuid4()),
        routeKey=route_key,
        stage=stage,
        timeEpoch=int(now * 1000),
        time=datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        domainName=lowered.get("host", "127.0.0.1").split(":")[0],
    )
    context["http"].update(
        method=method,
        path=path,
        sourceIp=source_ip,
        userAgent=lowered.get("user-agent", ""),
    )
    if authorizer_context is not None:
        context["authorizer"] = {"lambda": authorizer_context}
    return event


def authorizer_event(request: dict[str, Any]) -> dict[str, Any]:
    """The Lambda authorizer's event (payload 2.0) for an HTTP request event."""
    event = sample("authorizer")
    context = request["requestContext"]
    event.update(
        routeKey=request["routeKey"],
        rawPath=request["rawPath"],
        rawQueryString=request["rawQueryString"],
        headers=dict(request["headers"]),
        requestContext=copy.deepcopy(context),
        routeArn=(
            f"arn:aws:execute-api:local:{context['accountId']}:{context['apiId']}/"
            f"{context['stage']}/{context['http']['method']}{request['rawPath']}"
        ),
        identitySource=[request["headers"]["authorization"]]
        if "authorization" in request["headers"]
        else [],
    )
    event.pop("pathParameters", None)
    if request.get("pathParameters"):
        event["pathParameters"] = dict(request["pathParameters"])
    if request.get("queryStringParameters"):
        event["queryStringParameters"] = dict(request["queryStringParameters"])
    return event
