"""The OpenAPI document the API serves, as a checker of real answers: an answer's status
must be one its route documents, and its body must match the schema documented for it."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator

from tests.integration.conftest import Client, Reply


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def served_by(cls, api: Client) -> Contract:
        reply = api.get("/api/openapi.json", api_key=None)
        assert reply.status == 200
        return cls(json.loads(reply.text))

    @cached_property
    def routes(self) -> set[tuple[str, str]]:
        """(method, path template) of every documented route."""
        return {
            (method.upper(), path)
            for path, operations in self.document["paths"].items()
            for method in operations
        }

    def documented(self, method: str, template: str) -> dict[str, Any]:
        return dict(self.document["paths"][template][method.lower()]["responses"])

    def check(self, method: str, template: str, reply: Reply) -> None:
        """Fail unless the route documents the reply's status and its body matches."""
        responses = self.documented(method, template)
        assert str(reply.status) in responses, (
            f"{method} {template} answered {reply.status}, which it does not document "
            f"({sorted(responses)}): {reply.text[:300]}"
        )
        content = responses[str(reply.status)].get("content") or {}
        if "application/json" not in content:
            if content:  # an image or a file: sent as the type the document names
                sent = reply.headers.get("content-type", "").split(";")[0]
                assert sent in content, f"{method} {template} sent {sent}, not {list(content)}"
            return
        assert reply.headers.get("content-type", "").startswith("application/json")
        schema = {**content["application/json"]["schema"], "components": self.components}
        errors = sorted(
            Draft202012Validator(schema).iter_errors(reply.json()), key=lambda e: e.json_path
        )
        assert not errors, (
            f"{method} {template} {reply.status}: the body does not match its documented "
            f"schema: {[f'{e.json_path}: {e.message}' for e in errors[:5]]}"
        )

    @property
    def components(self) -> dict[str, Any]:
        return dict(self.document.get("components") or {})
