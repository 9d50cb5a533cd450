"""What a recruiter reads when a request breaks the schema: a sentence that says what the
field takes, never a regular expression or pydantic's wording."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.conftest import JOB, Client

# What gives a regular expression away: anchors, classes, escapes, repetition counts.
REGEX = re.compile(r"\^|\$'|\$\Z|\\[dDwWsSbB]|\[[^\]]*\w-\w[^\]]*\]|\{\d+,\d*\}|\(\?|pattern")


def assert_readable(error: dict[str, Any]) -> None:
    messages = [error["message"]] + [d["message"] for d in error.get("details", [])]
    for message in messages:
        assert not REGEX.search(message), message
        assert "should" not in message, message  # pydantic's "Input should be ..."
        assert message.endswith("."), message


@pytest.fixture
def job_id(api: Client) -> str:
    return str(api.post("/api/jobs", JOB).json()["id"])


def test_a_bad_sharer_is_told_what_a_handle_is(api: Client, job_id: str) -> None:
    reply = api.post(f"/api/jobs/{job_id}/links", {"channel": "x", "sharer": "anna dev"})
    assert reply.status == 422
    assert reply.json()["error"]["details"] == [
        {
            "field": "sharer",
            "message": "A sharer handle has 1 to 100 letters, digits, '_', '.' or '-', with an "
            "optional leading '@'.",
        }
    ]


def test_a_bad_day_is_told_the_format_with_an_example(api: Client, job_id: str) -> None:
    reply = api.get(f"/api/jobs/{job_id}/stats", query="from=1/3/2026")
    assert reply.status == 422
    error = reply.json()["error"]
    assert error["message"] == "Give the day as YYYY-MM-DD, e.g. 2026-03-01."
    assert error["details"][0]["field"] == "query.from"


def test_a_missing_field_is_named_with_what_it_takes(api: Client) -> None:
    reply = api.post("/api/jobs", {"url": "https://c.example/j"})
    assert reply.json()["error"]["details"] == [
        {"field": "title", "message": "'title' is missing. A title is 1 to 200 characters of text."}
    ]


def test_an_unknown_field_is_named(api: Client) -> None:
    reply = api.post("/api/jobs", {**JOB, "salary": 1})
    assert reply.json()["error"]["details"] == [
        {"field": "salary", "message": "'salary' is not a field this request takes; leave it out."}
    ]


def test_a_bad_item_of_a_list_is_named_by_its_place(api: Client) -> None:
    reply = api.post("/api/jobs", {**JOB, "channels": ["twitter", "Linked In"]})
    assert reply.json()["error"]["details"] == [
        {
            "field": "channels.1",
            "message": "A channel is 1 to 32 lowercase letters, digits or '-', e.g. linkedin.",
        }
    ]


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("POST", "/api/jobs", "", {**JOB, "channels": ["Twitter"]}),
        ("POST", "/api/jobs", "", {**JOB, "tags": [""] * 21, "title": 5, "ats_id": ""}),
        ("POST", "/api/jobs", "", {**JOB, "url": "x" * 3000}),
        ("POST", "/api/jobs", "", []),
        ("POST", "/api/jobs", "", {}),
        ("POST", "/api/jobs/{job}/links", "", {"channel": "x", "slug": "a/b"}),
        ("POST", "/api/jobs/{job}/links", "", {"channel": "-" * 40, "sharer": "@"}),
        ("POST", "/api/jobs/not-an-id!/links", "", {"channel": "x"}),
        ("GET", "/api/jobs", "limit=0&cursor=", None),
        ("GET", "/api/jobs/a-b", "", None),
        ("GET", "/api/jobs/{job}/stats", "from=2026-3-1&to=tomorrow", None),
        ("GET", "/api/jobs/{job}/shares", "limit=many", None),
        ("GET", "/api/jobs/a.b/spread", "", None),
    ],
)
def test_no_422_of_any_route_shows_a_regular_expression(
    api: Client, job_id: str, method: str, path: str, query: str, body: Any
) -> None:
    reply = api.request(method, path.replace("{job}", job_id), query=query, json_body=body)
    assert reply.status == 422
    assert_readable(reply.json()["error"])
