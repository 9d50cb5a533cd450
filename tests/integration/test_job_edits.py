"""Editing, closing and filtering jobs, and their readable campaigns: what a recruiter who
fixes a wrong URL or archives a filled job sees, and what every click then gets."""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.local.functions import LocalFunctions
from jobtrail.domain import campaigns
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.key_shapes import campaign_sort_key
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, all_items, stream_pump

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NEW_URL = "https://careers.example.se/jobs/456"


def _job(api: Client, **fields: Any) -> dict[str, Any]:
    reply = api.post("/api/jobs", {**JOB, **fields})
    assert reply.status == 201, reply.text
    return dict(reply.json())


def _landing(api: Client, slug: str) -> tuple[str, dict[str, list[str]]]:
    reply = api.request("GET", f"/{slug}", headers={"user-agent": CHROME}, api_key=None)
    assert reply.status == 302, reply.text
    location = urlsplit(reply.headers["location"])
    return location._replace(query="").geturl(), parse_qs(location.query)


# --- campaigns ----------------------------------------------------------------------------


def test_a_jobs_default_campaign_is_its_title_readable_and_unique(api: Client) -> None:
    job = _job(api, title="Webbutvecklare Göteborg")
    assert re.fullmatch(r"webbutvecklare-goteborg-[a-z0-9]{4}", job["campaign"])
    # And its links give Google Analytics that campaign, not an id
    _, query = _landing(api, job["links"][0]["slug"])
    assert query["utm_campaign"] == [job["campaign"]]
    # And a second job of the same title gets a campaign of its own
    assert _job(api, title="Webbutvecklare Göteborg")["campaign"] != job["campaign"]


def test_a_default_campaign_the_workspace_has_is_drawn_again(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _job(api, title="Data engineer")
    drawn = iter([first["campaign"], first["campaign"], "data-engineer-zz99"])
    monkeypatch.setattr(campaigns, "with_suffix", lambda _stem: next(drawn))
    assert _job(api, title="Data engineer")["campaign"] == "data-engineer-zz99"


def test_a_default_campaign_never_takes_one_set_by_hand(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _job(api, campaign="data-engineer-aaaa")
    drawn = iter(["data-engineer-aaaa", "data-engineer-bbbb"])
    monkeypatch.setattr(campaigns, "with_suffix", lambda _stem: next(drawn))
    assert _job(api, title="Data engineer")["campaign"] == "data-engineer-bbbb"


def test_a_campaign_set_by_hand_is_used_and_need_not_be_unique(api: Client) -> None:
    first = _job(api, campaign="spring-2027")
    second = _job(api, campaign="spring-2027")
    assert first["campaign"] == second["campaign"] == "spring-2027"
    _, query = _landing(api, second["links"][1]["slug"])
    assert query["utm_campaign"] == ["spring-2027"]


@pytest.mark.parametrize("campaign", ["spring 2027", "Spring", "x" * 65, "", "vår"])
def test_a_campaign_outside_the_rule_is_refused_with_a_sentence(
    api: Client, aws: Any, campaign: str
) -> None:
    before = all_items(aws)
    reply = api.post("/api/jobs", {**JOB, "campaign": campaign})
    assert reply.status == 422
    assert reply.json()["error"]["message"] == campaigns.RULE
    assert all_items(aws) == before


def test_a_job_made_before_campaigns_keeps_its_id_as_campaign(api: Client, aws: Any) -> None:
    # Given a job and its links as they were stored before jobs had campaigns
    job = _job(api)
    for item in aws.scan(TableName="jobtrail-main")["Items"]:
        if "campaign" in item and item["sk"]["S"] != campaign_sort_key(job["campaign"]):
            aws.update_item(
                TableName="jobtrail-main",
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="REMOVE campaign",
            )
    # Then it answers with its id as campaign, and its clicks carry it as before
    assert api.get(f"/api/jobs/{job['id']}").json()["campaign"] == job["id"]
    _, query = _landing(api, job["links"][0]["slug"])
    assert query["utm_campaign"] == [job["id"]]
    # And an edit of its title keeps that campaign
    edited = api.patch(f"/api/jobs/{job['id']}", {"title": "Senior webbutvecklare"}).json()
    assert edited["campaign"] == job["id"]


# --- PATCH ---------------------------------------------------------------------------------


def test_a_fixed_url_reaches_a_warm_redirect_within_its_cache_bound(
    api: Client, clock: FakeClock
) -> None:
    job = _job(api)
    slug = job["links"][0]["slug"]
    assert _landing(api, slug)[0] == JOB["url"]  # the redirect now has the link cached
    # When the recruiter fixes the URL
    reply = api.patch(f"/api/jobs/{job['id']}", {"url": NEW_URL})
    assert reply.status == 200
    assert reply.json()["url"] == NEW_URL
    assert reply.json()["updated_at"] is not None
    # Then every link of the job lands there within 60 seconds
    clock.advance(61)
    assert {_landing(api, link["slug"])[0] for link in job["links"]} == {NEW_URL}
    # And a link made after the edit lands there at once
    link = api.post(f"/api/jobs/{job['id']}/links", {"channel": "mail"}).json()
    assert _landing(api, link["slug"])[0] == NEW_URL


def test_a_new_campaign_reaches_every_link(api: Client, clock: FakeClock) -> None:
    job = _job(api)
    api.patch(f"/api/jobs/{job['id']}", {"campaign": "autumn-fair"})
    clock.advance(61)
    for link in job["links"]:
        assert _landing(api, link["slug"])[1]["utm_campaign"] == ["autumn-fair"]


def test_a_url_fix_reaches_every_link_of_a_job_with_many(api: Client, clock: FakeClock) -> None:
    # Given a job with more links than one DynamoDB transaction holds
    job = _job(api)
    for n in range(60):
        api.post(f"/api/jobs/{job['id']}/links", {"channel": "mail", "sharer": f"p{n}"})
    api.patch(f"/api/jobs/{job['id']}", {"url": NEW_URL})
    links = api.get(f"/api/jobs/{job['id']}").json()["links"]
    assert len(links) == 62
    assert {_landing(api, link["slug"])[0] for link in links} == {NEW_URL}


def test_title_tags_and_status_change_and_the_rest_stays(api: Client) -> None:
    job = _job(api)
    reply = api.patch(
        f"/api/jobs/{job['id']}",
        {"title": "  Senior webbutvecklare ", "tags": ["Webb", "react", "webb"]},
    )
    edited = reply.json()
    assert (edited["title"], edited["tags"]) == ("Senior webbutvecklare", ["webb", "react"])
    assert (edited["url"], edited["campaign"], edited["status"]) == (
        job["url"],
        job["campaign"],
        "open",
    )
    assert [link["slug"] for link in edited["links"]] == [link["slug"] for link in job["links"]]
    assert api.get(f"/api/jobs/{job['id']}").json() == edited


def test_an_edit_that_changes_nothing_writes_nothing(api: Client, aws: Any) -> None:
    job = _job(api)
    before = all_items(aws)
    reply = api.patch(f"/api/jobs/{job['id']}", {"title": JOB["title"], "tags": JOB["tags"]})
    assert reply.status == 200
    assert reply.json()["updated_at"] is None
    assert all_items(aws) == before


def test_a_closed_job_keeps_redirecting_and_counting(
    api: Client, functions: LocalFunctions, clock: FakeClock
) -> None:
    job = _job(api)
    closed = api.patch(f"/api/jobs/{job['id']}", {"status": "closed"}).json()
    assert closed["status"] == "closed"
    # Its links still land on the ad, and the click counts
    assert _landing(api, job["links"][0]["slug"])[0] == JOB["url"]
    pump = stream_pump(functions)
    while pump.pump_once():
        pass
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert stats["clicks"]["human"] == 1
    # And it can be opened again
    assert api.patch(f"/api/jobs/{job['id']}", {"status": "open"}).json()["status"] == "open"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Name at least one of title, url, tags, campaign or status to change."),
        ({"title": None}, "'title' cannot be null; leave it out to keep it as it is."),
        ({"salary": 50000}, "'salary' is not a field this request takes; leave it out."),
        ({"status": "Closed"}, "A job's status is open or closed."),
        ({"status": "archived"}, "A job's status is open or closed."),
        ({"campaign": "spring 2027"}, campaigns.RULE),
        ({"campaign": "x" * 65}, campaigns.RULE),
        ({"title": ""}, "A title is 1 to 200 characters of text."),
    ],
)
def test_a_bad_edit_is_refused_with_a_sentence_and_changes_nothing(
    api: Client, aws: Any, body: dict[str, Any], message: str
) -> None:
    job = _job(api)
    before = all_items(aws)
    reply = api.patch(f"/api/jobs/{job['id']}", body)
    assert reply.status == 422
    assert reply.json()["error"]["message"] == message
    assert all_items(aws) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/jobs/1",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://127.0.0.1:3000/abc",
        "javascript:alert(1)",
    ],
)
def test_an_edit_to_a_url_the_policy_refuses_is_422(api: Client, aws: Any, url: str) -> None:
    job = _job(api)
    before = all_items(aws)
    reply = api.patch(f"/api/jobs/{job['id']}", {"url": url})
    assert (reply.status, reply.error_code) == (422, "invalid_url")
    assert all_items(aws) == before


def test_another_workspaces_job_cannot_be_edited(api: Client, other_api: Client, aws: Any) -> None:
    job = _job(api)
    before = all_items(aws)
    reply = other_api.patch(f"/api/jobs/{job['id']}", {"status": "closed"})
    assert (reply.status, reply.error_code) == (404, "job_not_found")
    assert all_items(aws) == before


def test_two_edits_at_once_both_take_effect(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two edits that have both read the job before either writes
    job = _job(api)
    both_read = threading.Barrier(2)
    # DynamoDB runs transactions on one item one at a time; moto does not isolate them.
    one_at_a_time = threading.Lock()
    update = DynamoJobStore.update_job
    first_round: set[int] = set()

    def racing_update(self: DynamoJobStore, edited: Any, **kwargs: Any) -> None:
        if threading.get_ident() not in first_round:
            first_round.add(threading.get_ident())
            both_read.wait(timeout=5)
        with one_at_a_time:
            update(self, edited, **kwargs)

    monkeypatch.setattr(DynamoJobStore, "update_job", racing_update)
    monkeypatch.setitem(api.dispatcher.functions._locks, "api", contextlib.nullcontext())
    replies: list[int] = []
    edits = [{"title": "Senior webbutvecklare"}, {"url": NEW_URL}]
    threads = [
        threading.Thread(
            target=lambda e=edit: replies.append(api.patch(f"/api/jobs/{job['id']}", e).status)
        )
        for edit in edits
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then neither undoes the other, and every link has the new URL
    assert replies == [200, 200]
    final = api.get(f"/api/jobs/{job['id']}").json()
    assert (final["title"], final["url"]) == ("Senior webbutvecklare", NEW_URL)
    assert {_landing(api, link["slug"])[0] for link in final["links"]} == {NEW_URL}


def test_a_link_made_while_the_url_changes_gets_the_new_url(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a link request that read the job just before its URL was fixed
    job = _job(api)
    insert = DynamoJobStore.insert_link
    edited: list[int] = []

    def insert_after_an_edit(self: DynamoJobStore, link: Any, **kwargs: Any) -> None:
        if not edited:
            edited.append(api.patch(f"/api/jobs/{job['id']}", {"url": NEW_URL}).status)
        insert(self, link, **kwargs)

    monkeypatch.setattr(DynamoJobStore, "insert_link", insert_after_an_edit)
    monkeypatch.setitem(api.dispatcher.functions._locks, "api", contextlib.nullcontext())
    reply = api.post(f"/api/jobs/{job['id']}/links", {"channel": "mail"})
    # Then the link is made, and it lands on the new URL
    assert (edited, reply.status) == ([200], 201)
    assert _landing(api, reply.json()["slug"])[0] == NEW_URL


# --- listing -------------------------------------------------------------------------------


def test_jobs_are_listed_by_status_and_tag(api: Client) -> None:
    data = _job(api, title="Data engineer", tags=["data"])
    webb = _job(api, title="Webbutvecklare", tags=["webb"])
    old = _job(api, title="Data analyst", tags=["data", "bi"])
    api.patch(f"/api/jobs/{old['id']}", {"status": "closed"})

    def listed(query: str) -> list[str]:
        reply = api.get("/api/jobs", query=query)
        assert reply.status == 200, reply.text
        return [job["id"] for job in reply.json()["items"]]

    assert listed("status=open") == [webb["id"], data["id"]]
    assert listed("status=closed") == [old["id"]]
    assert listed("tag=data") == [old["id"], data["id"]]
    assert listed("tag=data&status=open") == [data["id"]]
    assert listed("tag=Data") == [old["id"], data["id"]]
    assert listed("tag=none") == []


def test_a_filtered_list_pages_through_the_matching_jobs(api: Client) -> None:
    made = [_job(api, tags=["data" if n % 2 else "webb"])["id"] for n in range(7)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = api.get("/api/jobs", query=f"tag=data&limit=2{cursor}").json()
        seen += [job["id"] for job in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [job_id for n, job_id in enumerate(made) if n % 2][::-1]


def test_an_unknown_status_filter_is_422(api: Client) -> None:
    reply = api.get("/api/jobs", query="status=filled")
    assert reply.status == 422
    assert reply.json()["error"]["message"] == "A job's status is open or closed."
