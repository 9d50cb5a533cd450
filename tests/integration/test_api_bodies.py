"""Bodies the API cannot read: another media type, bytes that are not UTF-8, JSON nested
too deep. Each is a 4xx in the API's error shape and writes nothing, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import JOB, Client, all_items


def _post(api: Client, path: str, body: str | bytes, content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type is not None else {}
    return api.request("POST", path, body=body, headers=headers)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/csv", "application/xml", "multipart/form-data", "application/jsonx"],
)
def test_a_job_sent_as_another_media_type_is_415_naming_json(
    api: Client, aws: Any, content_type: str
) -> None:
    before = all_items(aws)
    reply = _post(api, "/api/jobs", json.dumps(JOB), content_type)
    assert reply.status == 415
    assert reply.error_code == "unsupported_media_type"
    assert "application/json" in reply.json()["error"]["message"]
    assert all_items(aws) == before


def test_a_link_sent_as_text_is_415(api: Client) -> None:
    job = api.post("/api/jobs", JOB).json()
    reply = _post(api, f"/api/jobs/{job['id']}/links", '{"channel": "x"}', "text/plain")
    assert reply.status == 415
    assert reply.error_code == "unsupported_media_type"


def test_an_empty_body_labelled_text_is_415(api: Client) -> None:
    reply = _post(api, "/api/jobs", "", "text/plain")
    assert reply.status == 415


def test_a_body_too_large_is_413_before_its_media_type(api: Client) -> None:
    reply = _post(api, "/api/jobs", "x" * (65 * 1024), "text/plain")
    assert reply.status == 413
    assert reply.error_code == "body_too_large"


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "Application/JSON"]
)
def test_a_body_without_a_content_type_or_with_its_parameters_is_json(
    api: Client, content_type: str | None
) -> None:
    reply = _post(api, "/api/jobs", json.dumps(JOB), content_type)
    assert reply.status == 201
    assert reply.json()["title"] == JOB["title"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "Webbutvecklare \xff", "url": "https://careers.example.se/jobs/1"}',
        "Webbutvecklare å".encode("latin-1"),
        b"\xfe\xff\x00{",
    ],
)
def test_a_body_that_is_not_utf8_is_400(api: Client, aws: Any, body: bytes) -> None:
    before = all_items(aws)
    reply = _post(api, "/api/jobs", body, "application/json")
    assert reply.status == 400
    assert reply.error_code == "invalid_encoding"
    assert "UTF-8" in reply.json()["error"]["message"]
    assert all_items(aws) == before


@pytest.mark.parametrize("depth", [33, 10_000])
def test_json_nested_deeper_than_32_is_400(api: Client, aws: Any, depth: int) -> None:
    before = all_items(aws)
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        reply = _post(api, "/api/jobs", body, "application/json")
        assert reply.status == 400
        assert reply.error_code == "invalid_json"
        assert "32" in reply.json()["error"]["message"]
    assert all_items(aws) == before


def test_json_nested_32_deep_is_read(api: Client) -> None:
    # The job is one object deep, its ats_id 31 arrays more: read, and refused by the schema.
    nested: list[Any] = []
    for _ in range(30):
        nested = [nested]
    reply = _post(api, "/api/jobs", json.dumps({**JOB, "ats_id": nested}), "application/json")
    assert reply.status == 422
    assert [d["field"] for d in reply.json()["error"]["details"]] == ["ats_id"]


def test_a_number_too_long_to_read_is_400_not_500(api: Client, aws: Any) -> None:
    # Valid JSON, but Python reads no integer of more than 4300 digits.
    before = all_items(aws)
    reply = _post(api, "/api/jobs", '{"title": ' + "9" * 5000 + "}", "application/json")
    assert reply.status == 400
    assert reply.error_code == "invalid_json"
    assert "too many digits" in reply.json()["error"]["message"]
    assert all_items(aws) == before
