"""Registered ATS boards: imported at once when registered, then daily by the scheduled
sync, against fake Greenhouse, Lever and Teamtailor servers speaking their real JSON
(including a board that is not there, a 5xx and a 429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from infra.local.functions import LocalFunctions
from jobtrail.config import Settings
from jobtrail.sources.ats import AtsBaseUrls, AtsClient
from jobtrail.sources.base import RateLimited
from tests.fakes.ats_api import (
    TEAMTAILOR_KEY,
    FakeAts,
    greenhouse_job,
    lever_posting,
    running_fake_ats,
    teamtailor_job,
)
from tests.fakes.clock import FakeClock
from tests.integration.conftest import Client

SOURCES = "/api/imports/sources"


@pytest.fixture
def fake_ats() -> Iterator[FakeAts]:
    with running_fake_ats() as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, fake_ats: FakeAts) -> Settings:
    """The functions fetch every ATS from the fake."""
    return replace(
        settings,
        greenhouse_api_base_url=fake_ats.base_url,
        lever_api_base_url=fake_ats.base_url,
        teamtailor_api_base_url=fake_ats.base_url,
    )


def _jobs(api: Client) -> dict[str, dict[str, Any]]:
    items = api.get("/api/jobs", query="limit=100").json()["items"]
    return {job["ats_id"]: job for job in items}


def test_a_registered_board_is_imported_at_once(api: Client, fake_ats: FakeAts) -> None:
    fake_ats.greenhouse["acme"] = [
        greenhouse_job(4001, "Data Engineer", "Data"),
        greenhouse_job(4002, "Designer", "Design"),
    ]
    reply = api.post(SOURCES, {"ats": "greenhouse", "board": "acme"})
    assert reply.status == 201, reply.text
    source = reply.json()
    assert set(source) == {"id", "ats", "board", "last_synced_at"}
    assert (source["ats"], source["board"]) == ("greenhouse", "acme")
    assert source["last_synced_at"] is not None
    jobs = _jobs(api)
    assert {k: (j["ats"], j["title"], j["tags"]) for k, j in jobs.items()} == {
        "4001": ("greenhouse", "Data Engineer", ["data"]),
        "4002": ("greenhouse", "Designer", ["design"]),
    }
    assert api.get(SOURCES).json() == {"items": [source]}
    # One board per ATS: a second would close the first one's jobs.
    again = api.post(SOURCES, {"ats": "greenhouse", "board": "other"})
    assert (again.status, again.error_code) == (409, "source_exists")
    assert api.request("DELETE", f"{SOURCES}/{source['id']}").status == 204
    assert api.get(SOURCES).json() == {"items": []}
    assert api.request("DELETE", f"{SOURCES}/{source['id']}").status == 404
    assert len(_jobs(api)) == 2  # its jobs stay


def test_a_board_the_ats_does_not_know_is_refused_and_stored_nowhere(
    api: Client, fake_ats: FakeAts
) -> None:
    reply = api.post(SOURCES, {"ats": "lever", "board": "nosuch"})
    assert (reply.status, reply.error_code) == (422, "board_not_found")
    assert "nosuch" in reply.json()["error"]["message"]
    assert api.get(SOURCES).json() == {"items": []}


def test_an_ats_down_at_registration_is_imported_by_the_daily_run(
    api: Client, fake_ats: FakeAts, functions: LocalFunctions
) -> None:
    fake_ats.lever["acme"] = [lever_posting("p-1", "Backend Engineer", "Platform")]
    fake_ats.fail("/v0/postings/", 503)
    reply = api.post(SOURCES, {"ats": "lever", "board": "acme"})
    assert reply.status == 201
    assert reply.json()["last_synced_at"] is None
    assert _jobs(api) == {}
    result = functions.invoke("ats_sync")
    assert (result["synced"], result["created"]) == (1, 1)
    assert _jobs(api)["p-1"]["tags"] == ["platform"]
    assert api.get(SOURCES).json()["items"][0]["last_synced_at"] is not None


def test_the_daily_run_adds_changes_and_drops_jobs(
    api: Client, fake_ats: FakeAts, functions: LocalFunctions, clock: FakeClock
) -> None:
    board = [greenhouse_job(4001, "Data Engineer", "Data"), greenhouse_job(4002, "Designer")]
    fake_ats.greenhouse["acme"] = board
    api.post(SOURCES, {"ats": "greenhouse", "board": "acme"})
    # Nothing moved on the board: the run changes nothing.
    clock.advance(86400)
    result = functions.invoke("ats_sync")
    assert (result["created"], result["updated"], result["closed"]) == (0, 0, 0)
    # A job renamed, one gone, one new.
    fake_ats.greenhouse["acme"] = [
        {**board[0], "title": "Senior Data Engineer"},
        greenhouse_job(4003, "Analytics Engineer", "Data"),
    ]
    clock.advance(86400)
    result = functions.invoke("ats_sync")
    assert (result["created"], result["updated"], result["closed"]) == (1, 1, 1)
    jobs = _jobs(api)
    assert jobs["4001"]["title"] == "Senior Data Engineer"
    assert jobs["4002"]["status"] == "closed"
    assert jobs["4003"]["status"] == "open"
    assert len(api.get(f"/api/jobs/{jobs['4003']['id']}").json()["links"]) == 1


def test_a_failing_board_imports_and_closes_nothing(
    api: Client, fake_ats: FakeAts, functions: LocalFunctions
) -> None:
    fake_ats.lever["acme"] = [lever_posting("p-1", "Backend Engineer")]
    api.post(SOURCES, {"ats": "lever", "board": "acme"})
    del fake_ats.lever["acme"]  # the site is gone (404)
    result = functions.invoke("ats_sync")
    assert (result["failed"], result["closed"]) == (1, 0)
    fake_ats.lever["acme"] = []
    fake_ats.fail("/v0/postings/", 500)
    assert functions.invoke("ats_sync")["failed"] == 1
    assert _jobs(api)["p-1"]["status"] == "open"


def test_a_429_stops_that_ats_for_the_run(
    api: Client, other_api: Client, fake_ats: FakeAts, functions: LocalFunctions
) -> None:
    fake_ats.greenhouse["acme"] = [greenhouse_job(4001, "Data Engineer")]
    fake_ats.greenhouse["rival"] = [greenhouse_job(5001, "Rival Engineer")]
    fake_ats.lever["acme"] = [lever_posting("p-1", "Backend Engineer")]
    api.post(SOURCES, {"ats": "greenhouse", "board": "acme"})
    other_api.post(SOURCES, {"ats": "greenhouse", "board": "rival"})
    api.post(SOURCES, {"ats": "lever", "board": "acme"})
    fake_ats.greenhouse["acme"].append(greenhouse_job(4002, "Second"))
    fake_ats.requests.clear()
    fake_ats.fail("/v1/boards/", 429, retry_after="120")
    result = functions.invoke("ats_sync")
    assert (result["boards"], result["synced"], result["failed"]) == (3, 1, 2)
    # One Greenhouse request was refused; the other board was not asked; Lever went on.
    assert sum("/v1/boards/" in path for path in fake_ats.requests) == 1
    result = functions.invoke("ats_sync")
    assert (result["synced"], result["created"]) == (3, 1)


def test_teamtailor_takes_its_key_and_pages(api: Client, fake_ats: FakeAts) -> None:
    fake_ats.departments = {"31": "Design", "32": "Data"}
    fake_ats.teamtailor[TEAMTAILOR_KEY] = [
        teamtailor_job(str(7000 + i), f"Role {i}", "31" if i % 2 else "32") for i in range(65)
    ]
    reply = api.post(SOURCES, {"ats": "teamtailor", "board": "acme"})
    assert (reply.status, reply.error_code) == (422, "api_key_required")
    reply = api.post(SOURCES, {"ats": "teamtailor", "board": "acme", "api_key": "wrong"})
    assert (reply.status, reply.error_code) == (422, "api_key_refused")
    reply = api.post(SOURCES, {"ats": "teamtailor", "board": "acme", "api_key": TEAMTAILOR_KEY})
    assert reply.status == 201
    assert "api_key" not in reply.json()
    jobs = _jobs(api)
    assert len(jobs) == 65
    assert sum("/v1/jobs" in path for path in fake_ats.requests) == 1 + 3  # wrong key, 3 pages
    assert jobs["7001"]["tags"] == ["design"]
    assert jobs["7000"]["url"] == "https://acme.teamtailor.com/jobs/7000-role"
    assert TEAMTAILOR_KEY not in api.get(SOURCES).text


def test_a_key_is_only_for_teamtailor(api: Client) -> None:
    reply = api.post(SOURCES, {"ats": "lever", "board": "acme", "api_key": "k"})
    assert reply.status == 422
    reply = api.post(SOURCES, {"ats": "workday", "board": "acme"})
    assert reply.status == 422
    reply = api.post(SOURCES, {"ats": "lever", "board": "../etc"})
    assert reply.status == 422


def test_the_client_reads_retry_after(fake_ats: FakeAts, clock: FakeClock) -> None:
    client = AtsClient(
        AtsBaseUrls(fake_ats.base_url, fake_ats.base_url, fake_ats.base_url), now=clock.now
    )
    fake_ats.fail("/v0/postings/", 429, retry_after="120")
    with pytest.raises(RateLimited) as raised:
        client.fetch("lever", "acme")
    assert raised.value.reset_at == clock.now() + timedelta(seconds=120)
    fake_ats.fail("/v0/postings/", 429, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    with pytest.raises(RateLimited) as raised:
        client.fetch("lever", "acme")
    assert raised.value.reset_at.isoformat() == "2026-10-21T07:28:00+00:00"
