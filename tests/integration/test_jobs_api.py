"""The jobs and links API as docs/api.md describes it."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from typing import Any

import pytest

from jobtrail.store.jobs import DynamoJobStore
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, all_items

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_a_new_job_has_one_tracked_link_per_channel(api: Client) -> None:
    # When a recruiter creates a job for two channels
    reply = api.post("/api/jobs", JOB)
    # Then it is open, with one short link per channel on the short domain
    assert reply.status == 201
    job = reply.json()
    assert {k: job[k] for k in ("title", "url", "tags", "ats_id", "status")} == {
        "title": "Webbutvecklare",
        "url": "https://careers.example.se/jobs/123",
        "tags": ["webb"],
        "ats_id": "TT-123",
        "status": "open",
    }
    assert ISO.match(job["created_at"])
    assert [link["channel"] for link in job["links"]] == ["twitter", "linkedin"]
    for link in job["links"]:
        assert set(link) == {
            "slug",
            "short_url",
            "job_id",
            "channel",
            "sharer",
            "person_id",
            "created_at",
            "disabled",
            "expires_at",
        }
        assert (link["disabled"], link["expires_at"]) == (False, None)
        assert link["short_url"] == f"https://jt.example/{link['slug']}"
        assert link["job_id"] == job["id"]
        assert link["sharer"] is None
        assert re.fullmatch(r"[A-Za-z0-9]{7,}", link["slug"])
    assert len({link["slug"] for link in job["links"]}) == 2


def test_the_job_reads_back_with_its_links(api: Client) -> None:
    created = api.post("/api/jobs", JOB).json()
    reply = api.get(f"/api/jobs/{created['id']}")
    assert reply.status == 200
    assert reply.json() == created


def test_defaults_one_twitter_link_and_tidies_tags(api: Client) -> None:
    reply = api.post(
        "/api/jobs",
        {"title": "  Data engineer ", "url": "https://c.example/j", "tags": ["Data", "data"]},
    )
    job = reply.json()
    assert reply.status == 201
    assert job["title"] == "Data engineer"
    assert job["tags"] == ["data"]
    assert [link["channel"] for link in job["links"]] == ["twitter"]
    assert job["ats_id"] is None


def test_jobs_list_newest_first_in_pages(api: Client) -> None:
    # Given three jobs
    ids = [api.post("/api/jobs", {**JOB, "title": f"Job {i}"}).json()["id"] for i in range(3)]
    # When they are listed two at a time
    first = api.get("/api/jobs", query="limit=2").json()
    second = api.get("/api/jobs", query=f"limit=2&cursor={first['next_cursor']}").json()
    # Then every job comes once, newest first, and the last page says it is the last
    assert [j["id"] for j in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
    assert "links" not in first["items"][0]


def test_a_list_that_fits_one_page_has_no_cursor(api: Client) -> None:
    api.post("/api/jobs", JOB)
    assert api.get("/api/jobs").json()["next_cursor"] is None
    assert api.get("/api/jobs", query="limit=1").json()["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x"])
def test_list_limit_outside_1_to_100_is_refused(api: Client, query: str) -> None:
    reply = api.get("/api/jobs", query=query)
    assert reply.status == 422
    assert reply.error_code == "validation_error"


def test_a_forged_cursor_is_refused(api: Client) -> None:
    reply = api.get("/api/jobs", query="cursor=bm90LWEtY3Vyc29y")
    assert reply.status == 400
    assert reply.error_code == "invalid_cursor"


def test_adding_a_persons_link_with_a_custom_slug(api: Client, clock: FakeClock) -> None:
    job = api.post("/api/jobs", JOB).json()
    clock.advance(1)
    reply = api.post(
        f"/api/jobs/{job['id']}/links",
        {"channel": "linkedin", "sharer": "@anna_dev", "slug": "webdev-li"},
    )
    assert reply.status == 201
    link = reply.json()
    assert link["slug"] == "webdev-li"
    assert link["short_url"] == "https://jt.example/webdev-li"
    assert link["sharer"] == "anna_dev"
    assert link["channel"] == "linkedin"
    links = api.get(f"/api/jobs/{job['id']}").json()["links"]
    assert [x["slug"] for x in links][-1] == "webdev-li"


def test_adding_a_link_without_a_slug_draws_one(api: Client) -> None:
    job = api.post("/api/jobs", JOB).json()
    link = api.post(f"/api/jobs/{job['id']}/links", {"channel": "mail"}).json()
    assert re.fullmatch(r"[A-Za-z0-9]{7}", link["slug"])
    assert link["sharer"] is None


def test_a_taken_slug_is_a_conflict_and_changes_nothing(api: Client, aws: Any) -> None:
    job = api.post("/api/jobs", JOB).json()
    api.post(f"/api/jobs/{job['id']}/links", {"channel": "mail", "slug": "webdev"})
    before = all_items(aws)
    reply = api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "slug": "webdev"})
    assert reply.status == 409
    assert reply.error_code == "slug_taken"
    assert all_items(aws) == before


def test_two_requests_racing_for_one_slug_one_wins(
    api: Client, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two requests that have both read the job and found the slug free
    job = api.post("/api/jobs", JOB).json()
    both_ready = threading.Barrier(2)
    one_at_a_time = threading.Lock()  # DynamoDB serialises writes to one item
    insert = DynamoJobStore.insert_link

    def racing_insert(self: DynamoJobStore, link: Any, **kwargs: Any) -> None:
        both_ready.wait(timeout=5)
        with one_at_a_time:
            insert(self, link, **kwargs)

    monkeypatch.setattr(DynamoJobStore, "insert_link", racing_insert)
    # ...in two instances of the API function, as Lambda would run them
    monkeypatch.setitem(api.dispatcher.functions._locks, "api", contextlib.nullcontext())
    replies: list[int] = []

    def claim(channel: str) -> None:
        body = {"channel": channel, "slug": "hot-slug"}
        replies.append(api.post(f"/api/jobs/{job['id']}/links", body).status)

    # When both claim it at once
    threads = [threading.Thread(target=claim, args=("x",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then exactly one gets it, and one link stands
    assert sorted(replies) == [201, 409]
    links = api.get(f"/api/jobs/{job['id']}").json()["links"]
    assert [link["slug"] for link in links].count("hot-slug") == 1


def test_a_link_for_a_job_that_does_not_exist_is_404(api: Client, aws: Any) -> None:
    before = all_items(aws)
    reply = api.post("/api/jobs/0123abc/links", {"channel": "x", "slug": "orphan"})
    assert reply.status == 404
    assert reply.error_code == "job_not_found"
    assert all_items(aws) == before


def test_unknown_job_is_404(api: Client) -> None:
    reply = api.get("/api/jobs/doesnotexist")
    assert reply.status == 404
    assert reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,hi",
        "vbscript:x",
        "file:///etc/passwd",
        "//evil.example",
        "https:/\\evil.example",
        "/relative/path",
        "https://jobs.example@evil.io/",
        "https://jobs.example/a\r\nLocation: https://evil.io",
        "https://jobs.example/\x07bell",
        "https://" + "a" * 2050 + ".se",
        "https://jt.example/abc123",
    ],
)
def test_bad_target_urls_are_refused_and_write_nothing(api: Client, aws: Any, url: str) -> None:
    before = all_items(aws)
    reply = api.post("/api/jobs", {**JOB, "url": url})
    assert reply.status == 422
    assert reply.error_code in {"invalid_url", "validation_error"}
    assert reply.json()["error"]["message"]
    assert all_items(aws) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://2130706433/",
        "http://127.1/",
        "http://0x7f.0.0.1/",
        "http://[::ffff:7f00:1]/",
        "https://jobs.example.com:0/",
        "https://JT.EXAMPLE./abc123",
        "https://jt.example:8443/abc123",
        "https://[::1/",
        "https://[jobs.example.com]/",
    ],
)
def test_job_urls_inside_a_network_or_on_the_short_host_are_refused(
    api: Client, aws: Any, url: str
) -> None:
    # Given a job URL that leads into a network, to no server, or back to the short links
    before = all_items(aws)
    # When a recruiter creates a job with it
    reply = api.post("/api/jobs", {**JOB, "url": url})
    # Then it is refused with a sentence saying what is wrong, and nothing is created
    assert reply.status == 422
    assert reply.error_code == "invalid_url"
    assert reply.json()["error"]["message"].endswith(".")
    assert all_items(aws) == before
    assert api.get("/api/jobs").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ("", 422),
        ("[]", 422),
        ('"a string"', 422),
        (json.dumps({**JOB, "title": 123}), 422),
        (json.dumps({**JOB, "title": ""}), 422),
        (json.dumps({**JOB, "title": "x" * 201}), 422),
        (json.dumps({**JOB, "tags": "webb"}), 422),
        (json.dumps({**JOB, "tags": [f"t{i}" for i in range(21)]}), 422),
        (json.dumps({**JOB, "channels": [f"c{i}" for i in range(21)]}), 422),
        (json.dumps({**JOB, "channels": ["Twitter"]}), 422),
        (json.dumps({**JOB, "channels": []}), 422),
        (json.dumps({**JOB, "url": None}), 422),
        (json.dumps({**JOB, "surprise": True}), 422),
        (json.dumps({"url": "https://c.example/j"}), 422),
    ],
)
def test_bad_bodies_get_a_clear_error_and_write_nothing(
    api: Client, aws: Any, body: str, status: int
) -> None:
    before = all_items(aws)
    reply = api.request(
        "POST", "/api/jobs", body=body, headers={"content-type": "application/json"}
    )
    assert reply.status == status
    error = reply.json()["error"]
    assert re.fullmatch(r"[a-z_]+", error["code"])
    assert error["message"]
    assert all_items(aws) == before


def test_a_schema_error_names_the_field(api: Client) -> None:
    reply = api.post("/api/jobs", {**JOB, "tags": [f"t{i}" for i in range(21)]})
    assert [d["field"] for d in reply.json()["error"]["details"]] == ["tags"]


def test_a_body_over_64_kib_is_refused(api: Client, aws: Any) -> None:
    before = all_items(aws)
    reply = api.post("/api/jobs", {**JOB, "ats_id": "x" * (65 * 1024)})
    assert reply.status == 413
    assert reply.error_code == "body_too_large"
    assert all_items(aws) == before


def test_a_body_sent_as_a_form_by_curl_is_read_as_json(api: Client) -> None:
    reply = api.request(
        "POST",
        "/api/jobs",
        body=json.dumps(JOB),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 201


@pytest.mark.parametrize(
    "slug",
    [
        "api",
        "API",
        "dashboard",
        "health",
        "_local",
        "static",
        "favicon.ico",
        "robots.txt",
        "a/b",
        "..",
        "%2F",
        "jöbb",
        "ab",
        "x" * 65,
    ],
)
def test_reserved_or_malformed_slugs_are_refused(api: Client, aws: Any, slug: str) -> None:
    job = api.post("/api/jobs", JOB).json()
    before = all_items(aws)
    reply = api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "slug": slug})
    assert reply.status == 422
    assert all_items(aws) == before
