from __future__ import annotations

import pytest

from infra.local.router import RouteTable
from infra.routes import ROUTES

TABLE = RouteTable(ROUTES)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "function", "authorized", "params"),
    [
        ("GET", "/health", "GET /health", "api", False, {}),
        ("GET", "/api/openapi.json", "GET /api/openapi.json", "api", False, {}),
        ("GET", "/api/jobs", "ANY /api/{proxy+}", "api", True, {"proxy": "jobs"}),
        (
            "POST",
            "/api/jobs/j1/links",
            "ANY /api/{proxy+}",
            "api",
            True,
            {"proxy": "jobs/j1/links"},
        ),
        ("DELETE", "/api/keys/k1", "ANY /api/{proxy+}", "api", True, {"proxy": "keys/k1"}),
        ("GET", "/webdev-li", "GET /{slug}", "redirect", False, {"slug": "webdev-li"}),
        ("HEAD", "/webdev-li", "HEAD /{slug}", "redirect", False, {"slug": "webdev-li"}),
        ("POST", "/webdev-li", "$default", "api", False, {}),
        ("GET", "/a/b", "$default", "api", False, {}),
        ("GET", "/", "$default", "api", False, {}),
    ],
)
def test_routes_are_chosen_as_api_gateway_chooses_them(
    method: str,
    path: str,
    route_key: str,
    function: str,
    authorized: bool,
    params: dict[str, str],
) -> None:
    match = TABLE.match(method, path)
    assert match is not None
    assert (match.route_key, match.route.function, match.route.authorized) == (
        route_key,
        function,
        authorized,
    )
    assert match.path_parameters == params
