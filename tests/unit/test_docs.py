"""The documentation in docs/ keeps up with the code, cheaply: a route, a setting or an
admin command that the code has and the docs do not name fails here, so a new one cannot
ship undocumented (the deployment's context: ``tests/infra/test_cdk_docs.py``)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.routes import ROUTES
from jobtrail import admin
from jobtrail.api.app import openapi_document
from jobtrail.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _named(text: str, method: str, path: str) -> bool:
    """Whether ``text`` names the route as code: `GET /api/jobs`, also with a query after
    it (`GET /api/jobs/{job_id}/stats?from=&to=`)."""
    return re.search(rf"`{method} {re.escape(path)}[`?]", text) is not None


def test_every_route_of_the_openapi_document_is_in_the_api_docs() -> None:
    api = _text("api.md")
    paths = json.loads(openapi_document())["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if not _named(api, method.upper(), path)
    ]
    assert not missing, f"docs/api.md does not describe {missing}"


def test_every_route_of_the_route_table_is_in_the_api_docs() -> None:
    api = _text("api.md")
    # The catch-alls reach the API function, whose own routes the test above checks.
    routes = [r for r in ROUTES if r.method != "ANY"]
    missing = [f"{r.method} {r.path}" for r in routes if not _named(api, r.method, r.path)]
    assert not missing, f"docs/api.md does not describe {missing}"


class _Recorder(dict[str, str]):
    """An empty environment that notes every name asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.append(key)
        return default


def test_every_setting_is_in_the_local_runtime_docs() -> None:
    env = _Recorder()
    Settings.from_env(env)
    api = _text("api.md")
    assert env.asked
    missing = [name for name in env.asked if f"`{name}`" not in api]
    assert not missing, f"docs/api.md (the local runtime) does not name {missing}"


def _commands() -> list[str]:
    parser = admin._parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(commands.choices)


def test_every_admin_command_is_in_the_operations_docs() -> None:
    operations = _text("operations.md")
    assert _commands()
    missing = [c for c in _commands() if f"`{c}" not in operations]
    assert not missing, f"docs/operations.md does not describe {missing}"


@pytest.mark.parametrize("name", ["api.md", "data-model.md", "operations.md"])
def test_the_docs_stand_on_their_own(name: str) -> None:
    text = _text(name)
    assert "shared docs" not in text
    assert "../shared" not in text
    for target in re.findall(r"\]\(([a-z-]+\.md)(?:#[a-z0-9-]+)?\)", text):
        assert (DOCS / target).exists(), f"{name} links to {target}, which is not there"
