"""Every context a company can set on the stack is named in docs/operations.md, so a new
one cannot ship undocumented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.stack import DeploymentSettings

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


class _Node:
    """A construct node with no context set that notes every key asked of it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def try_get_context(self, key: str) -> Any:
        self.asked.append(key)
        return None


def test_every_deployment_context_is_in_the_operations_docs() -> None:
    node = _Node()
    DeploymentSettings.from_context(node)  # type: ignore[arg-type]
    text = OPERATIONS.read_text(encoding="utf-8")
    asked = [*node.asked, "stackName"]  # the app reads stackName itself
    assert len(asked) > 1
    missing = [key for key in asked if f"`{key}`" not in text]
    assert not missing, f"docs/operations.md does not name the context {missing}"
