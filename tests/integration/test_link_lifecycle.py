"""A link's life after it is made: turned off and on, given an end or none, what its short
URL then answers (to a browser and to anyone else), and a sharer's one link per channel."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any

import botocore.client
import pytest

from jobtrail.domain.times import iso
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.models import ClickItem
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, all_items

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CACHE_SECONDS = 60  # the redirect's link cache (SLUG_CACHE_SECONDS' default)


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    return dict(api.post("/api/jobs", JOB).json())


@pytest.fixture
def slug(job: dict[str, Any]) -> str:
    return str(job["links"][0]["slug"])


def _patch(api: Client, job: dict[str, Any], slug: str, body: Any) -> Any:
    return api.patch(f"/api/jobs/{job['id']}/links/{slug}", body)


def _open(api: Client, slug: str, method: str = "GET", **headers: str) -> Any:
    return api.request(method, f"/{slug}", headers={"user-agent": CHROME, **headers}, api_key=None)


def _clicks() -> int:
    return sum(1 for _ in ClickItem.scan())


def _link_in_job(api: Client, job: dict[str, Any], slug: str) -> dict[str, Any]:
    links = api.get(f"/api/jobs/{job['id']}").json()["links"]
    return dict(next(link for link in links if link["slug"] == slug))


# ---------------------------------------------------------------- disable and enable


def test_a_disabled_link_answers_410_within_the_cache_bound_and_records_nothing(
    api: Client, job: dict[str, Any], slug: str, clock: FakeClock, aws: Any
) -> None:
    # Given a link a warm redirect has just served (and so keeps cached)
    assert _open(api, slug).status == 302
    # When the recruiter turns it off
    reply = _patch(api, job, slug, {"disabled": True})
    # Then the answer is the link, showing it off
    assert reply.status == 200
    assert reply.json()["slug"] == slug
    assert (reply.json()["disabled"], reply.json()["expires_at"]) == (True, None)
    assert _link_in_job(api, job, slug)["disabled"] is True
    # And once the cache's bound has passed, its short URL has ended
    clock.advance(CACHE_SECONDS)
    before = all_items(aws)
    gone = _open(api, slug)
    assert gone.status == 410
    assert gone.error_code == "link_gone"
    assert gone.headers["cache-control"] == "no-store"
    assert "location" not in gone.headers
    assert _open(api, slug, "HEAD").status == 410
    # And nothing was recorded: no click, so no counter can move; no salt either
    assert all_items(aws) == before
    assert _clicks() == 1


def test_a_link_turned_on_again_redirects_and_counts_again(
    api: Client, job: dict[str, Any], slug: str, clock: FakeClock
) -> None:
    _patch(api, job, slug, {"disabled": True})
    assert _open(api, slug).status == 410
    # When it is turned on again
    reply = _patch(api, job, slug, {"disabled": False})
    assert reply.status == 200
    assert reply.json()["disabled"] is False
    clock.advance(CACHE_SECONDS)
    # Then it redirects and records its click again
    assert _open(api, slug).status == 302
    assert _clicks() == 1


def test_an_ended_link_costs_the_redirect_no_extra_call(
    api: Client, job: dict[str, Any], slug: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(api, slug)  # warm: the day's salt is known
    _patch(api, job, slug, {"disabled": True})
    clock.advance(CACHE_SECONDS)
    calls: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        return make_api_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    # When the ended link is opened uncached, then cached
    assert _open(api, slug).status == 410
    uncached = list(calls)
    calls.clear()
    assert _open(api, slug).status == 410
    # Then the one read of the link, then nothing at all
    assert uncached == ["GetItem"]
    assert calls == []


# ---------------------------------------------------------------------- expires_at


def test_an_end_in_the_past_ends_the_link_now(
    api: Client, job: dict[str, Any], slug: str, clock: FakeClock
) -> None:
    past = iso(clock.now() - timedelta(days=1))
    reply = _patch(api, job, slug, {"expires_at": past})
    assert reply.status == 200
    assert (reply.json()["disabled"], reply.json()["expires_at"]) == (False, past)
    assert _open(api, slug).status == 410
    assert _clicks() == 0


def test_a_link_ends_at_its_end_even_while_cached(
    api: Client, job: dict[str, Any], slug: str, clock: FakeClock
) -> None:
    # Given a link that ends in two hours, served (and cached) before its end
    end = clock.now() + timedelta(hours=2)
    _patch(api, job, slug, {"expires_at": iso(end)})
    assert _open(api, slug).status == 302
    # When its end comes while the warm redirect still has it cached
    clock.set(end - timedelta(milliseconds=1))
    assert _open(api, slug).status == 302
    clock.set(end)
    # Then it has ended on the dot, and the last click was not recorded
    assert _open(api, slug).status == 410
    assert _clicks() == 2


def test_null_clears_the_end(api: Client, job: dict[str, Any], slug: str, clock: FakeClock) -> None:
    _patch(api, job, slug, {"expires_at": iso(clock.now() - timedelta(minutes=1))})
    assert _open(api, slug).status == 410
    # When the end is cleared
    reply = _patch(api, job, slug, {"expires_at": None})
    # Then the link has no end and works again within the bound
    assert reply.status == 200
    assert reply.json()["expires_at"] is None
    assert _link_in_job(api, job, slug)["expires_at"] is None
    clock.advance(CACHE_SECONDS)
    assert _open(api, slug).status == 302


def test_an_end_is_kept_in_utc_and_each_field_changes_alone(
    api: Client, job: dict[str, Any], slug: str
) -> None:
    reply = _patch(api, job, slug, {"expires_at": "2026-12-31T23:00:00+01:00"})
    assert reply.json()["expires_at"] == "2026-12-31T22:00:00.000Z"
    # Disabling leaves the end as it is, and a new end leaves it disabled
    assert _patch(api, job, slug, {"disabled": True}).json()["expires_at"] == (
        "2026-12-31T22:00:00.000Z"
    )
    both = _patch(api, job, slug, {"expires_at": "2027-01-31T12:00:00Z"}).json()
    assert (both["disabled"], both["expires_at"]) == (True, "2027-01-31T12:00:00.000Z")
    assert _link_in_job(api, job, slug) == both


# ------------------------------------------------------------------- what is shown


@pytest.mark.parametrize(
    "accept", [BROWSER_ACCEPT, "text/html", "TEXT/HTML; charset=utf-8", "*/*, text/html;q=0.5"]
)
def test_a_browser_gets_a_page_for_a_missing_or_ended_link(
    api: Client, job: dict[str, Any], slug: str, accept: str
) -> None:
    _patch(api, job, slug, {"disabled": True})
    for path, status, says in (
        ("no-such-link", 404, "does not exist"),
        (slug, 410, "has ended"),
    ):
        reply = _open(api, path, accept=accept)
        assert reply.status == status
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        assert reply.headers["cache-control"] == "no-store"
        page = reply.text
        assert page.lstrip().lower().startswith("<!doctype html>")
        assert says in page
        # A page of its own: nothing to run, nothing to fetch
        assert "<script" not in page.lower()
        assert not [attr for attr in (" src=", " href=", "url(", "@import") if attr in page]


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "text/html;q=0"])
def test_anyone_else_gets_the_json_error(
    api: Client, job: dict[str, Any], slug: str, accept: str | None
) -> None:
    _patch(api, job, slug, {"disabled": True})
    headers = {} if accept is None else {"accept": accept}
    for path, status, code in (("no-such-link", 404, "link_not_found"), (slug, 410, "link_gone")):
        reply = _open(api, path, **headers)
        assert reply.status == status
        assert reply.headers["content-type"] == "application/json"
        assert reply.error_code == code
        assert reply.json()["error"]["message"].endswith(".")


def test_the_page_shows_the_slug_as_text(api: Client) -> None:
    reply = _open(api, "<i>x", accept="text/html")
    assert reply.status == 404
    assert "<i>" not in reply.text
    assert "&lt;i&gt;x" in reply.text


def test_the_apis_own_404_stays_json_for_a_browser(api: Client) -> None:
    reply = api.get("/api/jobs/0123abc", headers={"accept": BROWSER_ACCEPT})
    assert reply.status == 404
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.error_code == "job_not_found"


# ------------------------------------------------------------------- refused PATCHes


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "Name disabled (true or false), expires_at"),
        ({"disabled": None}, "Give disabled as true"),
        ({"disabled": "yes"}, "Give disabled as true"),
        ({"disabled": 1}, "Give disabled as true"),
        ({"expires_at": "tomorrow"}, "Give expires_at as a time with its zone"),
        ({"expires_at": "2026-12-31T23:00:00"}, "Give expires_at as a time with its zone"),
        ({"expires_at": "2026-12-31"}, "Give expires_at as a time with its zone"),
        ({"expires_at": 1798758000}, "Give expires_at as a time with its zone"),
        ({"expires_at": "2026-12-31T23:00:00Z" + " " * 60}, "Give expires_at as a time"),
        ({"expires_at": "9999-12-31T23:00:00-01:00"}, "Give expires_at as a time"),
        ({"expires_at": "0001-01-01T00:00:00+01:00"}, "Give expires_at as a time"),
        ({"disabled": True, "status": "off"}, "'status' is not a field this request takes"),
        ([], "Send the body as a JSON object"),
    ],
)
def test_a_bad_body_is_422_with_a_sentence_and_changes_nothing(
    api: Client, job: dict[str, Any], slug: str, aws: Any, body: Any, says: str
) -> None:
    before = all_items(aws)
    reply = _patch(api, job, slug, body)
    assert reply.status == 422
    assert reply.error_code == "validation_error"
    message = reply.json()["error"]["message"]
    assert message.startswith(says)
    assert message.endswith(".")
    assert not {"^", "["} & set(message)
    assert all_items(aws) == before


def test_an_empty_or_unparseable_body_is_refused(
    api: Client, job: dict[str, Any], slug: str
) -> None:
    path = f"/api/jobs/{job['id']}/links/{slug}"
    assert api.request("PATCH", path, body="").status == 422
    assert api.request("PATCH", path, body="{nope").status == 400


def test_another_workspaces_link_is_404_and_unchanged(
    api: Client, other_api: Client, job: dict[str, Any], slug: str, aws: Any
) -> None:
    before = all_items(aws)
    reply = _patch(other_api, job, slug, {"disabled": True})
    assert reply.status == 404
    assert reply.error_code == "link_not_found"
    assert all_items(aws) == before
    assert _open(api, slug).status == 302


def test_a_slug_of_another_job_or_none_is_404(
    api: Client, job: dict[str, Any], slug: str, aws: Any
) -> None:
    other = api.post("/api/jobs", {**JOB, "title": "Dataingenjör"}).json()
    before = all_items(aws)
    for job_id, the_slug in ((other["id"], slug), (job["id"], "no-such-link"), ("0123abc", slug)):
        reply = api.patch(f"/api/jobs/{job_id}/links/{the_slug}", {"disabled": True})
        assert reply.status == 404, (job_id, the_slug)
        assert reply.error_code == "link_not_found"
    assert all_items(aws) == before


def test_unauthenticated_is_401(api: Client, job: dict[str, Any], slug: str) -> None:
    reply = api.patch(f"/api/jobs/{job['id']}/links/{slug}", {"disabled": True}, api_key=None)
    assert reply.status == 401


# ---------------------------------------------------------- a sharer's one link


def _add(api: Client, job: dict[str, Any], **body: Any) -> Any:
    return api.post(f"/api/jobs/{job['id']}/links", body)


def test_a_sharer_in_any_case_gets_their_one_link_back(
    api: Client, job: dict[str, Any], aws: Any
) -> None:
    first = _add(api, job, channel="linkedin", sharer="Anna.Svensson")
    assert first.status == 201
    before = all_items(aws)
    for again in ("anna.svensson", "@ANNA.SVENSSON", " @Anna.Svensson "):
        reply = _add(api, job, channel="linkedin", sharer=again)
        # Then the same link, 200, the handle as first given, and nothing written
        assert reply.status == 200, again
        assert reply.json() == first.json()
    assert all_items(aws) == before
    links = api.get(f"/api/jobs/{job['id']}").json()["links"]
    assert [link["sharer"] for link in links].count("Anna.Svensson") == 1


def test_a_sharer_has_one_link_per_channel(api: Client, job: dict[str, Any]) -> None:
    on_linkedin = _add(api, job, channel="linkedin", sharer="anna")
    on_mail = _add(api, job, channel="mail", sharer="anna")
    assert (on_linkedin.status, on_mail.status) == (201, 201)
    assert on_linkedin.json()["slug"] != on_mail.json()["slug"]
    # And on another job, another link
    other = api.post("/api/jobs", JOB).json()
    assert _add(api, other, channel="linkedin", sharer="anna").status == 201


def test_a_custom_slug_for_a_sharer_with_a_link_gets_the_link_they_have(
    api: Client, job: dict[str, Any]
) -> None:
    first = _add(api, job, channel="linkedin", sharer="anna", slug="anna-li")
    again = _add(api, job, channel="linkedin", sharer="Anna", slug="anna-li-2")
    assert again.status == 200
    assert again.json()["slug"] == "anna-li" == first.json()["slug"]
    # The slug asked for was not taken
    assert _add(api, job, channel="mail", slug="anna-li-2").status == 201


def test_links_without_a_sharer_are_always_new(api: Client, job: dict[str, Any]) -> None:
    replies = [_add(api, job, channel="mail") for _ in range(2)]
    assert [r.status for r in replies] == [201, 201]
    assert replies[0].json()["slug"] != replies[1].json()["slug"]


# linkedin: a channel the job has; mail: one its first link adds to it.
@pytest.mark.parametrize("channel", ["linkedin", "mail"])
def test_two_requests_for_one_sharer_at_once_make_one_link(
    api: Client, job: dict[str, Any], monkeypatch: pytest.MonkeyPatch, channel: str
) -> None:
    # Given two requests that have both read the job and found no link of the sharer
    both_ready = threading.Barrier(2)
    one_at_a_time = threading.Lock()  # DynamoDB serialises the transactions' items
    insert = DynamoJobStore.insert_link

    def racing_insert(self: DynamoJobStore, link: Any, **kwargs: Any) -> None:
        both_ready.wait(timeout=5)
        with one_at_a_time:
            insert(self, link, **kwargs)

    monkeypatch.setattr(DynamoJobStore, "insert_link", racing_insert)
    # ...in two instances of the API function, as Lambda would run them
    monkeypatch.setitem(api.dispatcher.functions._locks, "api", contextlib.nullcontext())
    replies: list[Any] = []

    def ask(sharer: str) -> None:
        replies.append(_add(api, job, channel=channel, sharer=sharer))

    # When both ask at once, in different cases
    threads = [threading.Thread(target=ask, args=(s,)) for s in ("Anna_Dev", "anna_dev")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then one makes the link, the other gets that same link
    assert sorted(r.status for r in replies) == [200, 201]
    assert replies[0].json()["slug"] == replies[1].json()["slug"]
    made = api.get(f"/api/jobs/{job['id']}").json()
    assert len([link for link in made["links"] if link["sharer"] is not None]) == 1
    assert made["channels"].count(channel) == 1
