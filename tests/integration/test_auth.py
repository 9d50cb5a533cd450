"""API keys: who may see what."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobtrail import admin
from tests.integration.conftest import JOB, Client, all_items


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer jt_unknown"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer"},
    ],
)
def test_no_or_unknown_key_is_401(api: Client, aws: Any, headers: dict[str, str]) -> None:
    before = all_items(aws)
    for method, path in (("GET", "/api/jobs"), ("POST", "/api/jobs"), ("GET", "/api/jobs/x")):
        reply = api.request(method, path, json_body=JOB, headers=headers, api_key=None)
        assert reply.status == 401
        assert reply.error_code == "unauthorized"
    assert all_items(aws) == before


def test_a_bad_body_without_a_key_is_still_401(api: Client) -> None:
    reply = api.request("POST", "/api/jobs", body="{oops", api_key=None)
    assert reply.status == 401


def test_another_workspaces_job_does_not_exist(api: Client, other_api: Client) -> None:
    job = api.post("/api/jobs", JOB).json()
    assert other_api.get(f"/api/jobs/{job['id']}").status == 404
    reply = other_api.post(f"/api/jobs/{job['id']}/links", {"channel": "x"})
    assert reply.status == 404
    assert other_api.get("/api/jobs").json()["items"] == []
    assert [j["id"] for j in api.get("/api/jobs").json()["items"]] == [job["id"]]


def test_health_and_the_openapi_document_need_no_key(api: Client) -> None:
    assert api.get("/health", api_key=None).json() == {"status": "ok"}
    document = api.get("/api/openapi.json", api_key=None).json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/links"} <= set(document["paths"])
    assert "post" in document["paths"]["/api/jobs"]
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_an_unknown_route_is_404_in_the_error_shape(api: Client) -> None:
    reply = api.get("/api/nothing-here")
    assert reply.status == 404
    assert reply.error_code == "not_found"


def test_the_admin_command_creates_a_workspace_whose_key_works_and_is_stored_hashed(
    api: Client, aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # When an operator creates a workspace
    assert admin.main(["create-workspace", "--main-table", "jobtrail-main", "Initech"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # Then its key works at once, sees only its own jobs, and is nowhere in the table
    client = Client(api.dispatcher, printed["api_key"])
    assert client.get("/api/jobs").json() == {"items": [], "next_cursor": None}
    assert client.post("/api/jobs", JOB).status == 201
    assert printed["api_key"] not in json.dumps(all_items(aws))


def test_the_admin_command_refuses_an_empty_name(aws: Any) -> None:
    with pytest.raises(SystemExit) as stopped:
        admin.main(["create-workspace", "  "])
    assert stopped.value.code == 2
