"""HTTP API route selection, as API Gateway does it: the most specific path wins (literal
segments over ``{param}`` over ``{proxy+}``), a method over ``ANY``, ``$default`` last."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from infra.routes import Route


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]

    @property
    def route_key(self) -> str:
        return (
            "$default"
            if self.route.path == "$default"
            else (f"{self.route.method} {self.route.path}")
        )


def _pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


def _specificity(route: Route) -> tuple[int, ...]:
    segments = route.path.strip("/").split("/")
    ranks = tuple(2 if "+}" in s else 1 if s.startswith("{") else 0 for s in segments)
    # Fewer variable segments first, then longer literal prefixes, then a method over ANY.
    return (max(ranks, default=0), sum(ranks), -len(segments), route.method == "ANY")


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        routes = list(routes)
        self._default = next((r for r in routes if r.path == "$default"), None)
        self._routes = sorted(
            ((r, _pattern(r.path)) for r in routes if r.path != "$default"),
            key=lambda pair: _specificity(pair[0]),
        )

    def match(self, method: str, path: str) -> Match | None:
        for route, pattern in self._routes:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.match(path)
            if found:
                params = {k: unquote(v) for k, v in found.groupdict().items()}
                return Match(route, params)
        return Match(self._default, {}) if self._default else None
