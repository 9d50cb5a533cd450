"""What API Gateway does between a request and a function: pick the route, build the v2
event, run the authorizer where the route table says so, call the function. Used by the
local gateway over HTTP and by the integration tests in-process."""

from __future__ import annotations

from typing import Any

from infra.local.events import authorizer_event, http_event
from infra.local.functions import LocalFunctions
from infra.local.router import RouteTable
from infra.routes import AUTHORIZER, ROUTES

NOT_FOUND = {
    "statusCode": 404,
    "headers": {"Content-Type": "application/json"},
    "body": '{"message":"Not Found"}',
}
FORBIDDEN = {
    "statusCode": 403,
    "headers": {"Content-Type": "application/json"},
    "body": '{"message":"Forbidden"}',
}


class Dispatcher:
    def __init__(self, functions: LocalFunctions) -> None:
        self.functions = functions
        self.routes = RouteTable(ROUTES)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        source_ip: str = "127.0.0.1",
    ) -> Any:
        """The function's answer (payload 2.0) to one HTTP request."""
        match = self.routes.match(method, path)
        if match is None:
            return NOT_FOUND
        event = http_event(
            method,
            path,
            query=query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            route_key=match.route_key,
            path_parameters=match.path_parameters or None,
        )
        if match.route.authorized:
            verdict = self.functions.invoke(AUTHORIZER, authorizer_event(event))
            if not verdict.get("isAuthorized"):
                return FORBIDDEN
            event["requestContext"]["authorizer"] = {"lambda": verdict.get("context") or {}}
        return self.functions.invoke(match.route.function, event)
