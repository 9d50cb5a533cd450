"""The recruiter's network: people and their handles, sharers the poller turns into people,
personal links, and forgetting a person."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from infra.local.functions import LocalFunctions
from jobtrail.domain.shares import Share
from jobtrail.domain.times import utc_now
from jobtrail.sources.x import XSource
from jobtrail.store.shares import DynamoShareStore, link_sharers, save_share
from tests.fakes.x_api import FakeXApi
from tests.integration.conftest import JOB, Client, all_items, stream_pump
from tests.integration.test_poller import SHORT, _run

ASA = {
    "name": "Åsa Öberg",
    "handles": {"x": "@Asa_Data", "bluesky": "asa.bsky.social"},
    "fields": ["Data", "webb"],
    "email": "asa@example.se",
}
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36"


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    return dict(api.post("/api/jobs", {**JOB, "tags": ["data"], "channels": ["twitter"]}).json())


def _people(api: Client, query: str = "") -> list[dict[str, Any]]:
    reply = api.get("/api/people", query=query)
    assert reply.status == 200, reply.text
    return list(reply.json()["items"])


def test_a_person_is_kept_as_given_with_handles_and_fields_tidied(api: Client) -> None:
    reply = api.post("/api/people", ASA)
    assert reply.status == 201, reply.text
    person = reply.json()
    assert person == {
        "id": person["id"],
        "name": "Åsa Öberg",
        "handles": {"x": "Asa_Data", "bluesky": "asa.bsky.social", "linkedin": None},
        "fields": ["data", "webb"],
        "email": "asa@example.se",
        "do_not_ask": False,
        "discovered": False,
        "created_at": person["created_at"],
        "updated_at": None,
    }
    assert api.get(f"/api/people/{person['id']}").json() == person


def test_people_are_found_by_field_and_by_name_or_handle_in_any_case(api: Client) -> None:
    asa = api.post("/api/people", ASA).json()
    bo = api.post("/api/people", {"name": "Bo Ek", "handles": {"x": "bo_ann"}}).json()
    api.post("/api/people", {"name": "Cilla", "fields": ["data"]})
    assert [p["name"] for p in _people(api, "field=data")] == ["Cilla", "Åsa Öberg"]
    assert [p["id"] for p in _people(api, "q=ÅSA")] == [asa["id"]]
    assert [p["id"] for p in _people(api, "q=asa")] == [asa["id"]]  # without accents too
    assert [p["id"] for p in _people(api, "q=%40ASA_d")] == [asa["id"]]  # a handle, with @
    assert [p["id"] for p in _people(api, "q=ann")] == [bo["id"]]
    assert _people(api, "field=data&q=bo") == []
    assert len(_people(api, "q=%40")) == 3  # nothing to look for: everyone


def test_the_list_is_paginated_through_a_filter(api: Client) -> None:
    for n in range(5):
        api.post("/api/people", {"name": f"Person {n}", "fields": ["data" if n % 2 else "ux"]})
    seen: list[str] = []
    cursor = None
    while True:
        query = "field=ux&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = api.get("/api/people", query=query).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Person 4", "Person 2", "Person 0"]


def test_a_handle_belongs_to_one_person_in_a_workspace(api: Client, other_api: Client) -> None:
    api.post("/api/people", ASA)
    twin = api.post("/api/people", {"name": "Twin", "handles": {"x": "asa_data"}})
    assert twin.status == 409
    assert twin.error_code == "handle_taken"
    assert "asa_data" in twin.json()["error"]["message"]
    # The same handle on another network, or in another workspace, is someone else's.
    assert api.post("/api/people", {"name": "L", "handles": {"linkedin": "asa_data"}}).status == 201
    assert other_api.post("/api/people", ASA).status == 201
    assert [p["name"] for p in _people(api)] == ["L", "Åsa Öberg"]


def test_a_refused_person_writes_nothing(api: Client, aws: Any) -> None:
    api.post("/api/people", ASA)
    before = all_items(aws)
    reply = api.post("/api/people", {"name": "Twin", "handles": {"linkedin": "x", "x": "ASA_DATA"}})
    assert reply.status == 409
    assert all_items(aws) == before


def test_two_people_racing_for_a_handle_make_one(api: Client) -> None:
    def make(n: int) -> int:
        return api.post(
            "/api/people", {"name": f"P{n}", "handles": {"x": "@Same" if n % 2 else "same"}}
        ).status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(make, range(4)))
    assert statuses == [201, 409, 409, 409]
    assert len(_people(api)) == 1


def test_an_edit_moves_a_handle_and_frees_the_old_one(api: Client, aws: Any) -> None:
    asa = api.post("/api/people", ASA).json()
    bo = api.post("/api/people", {"name": "Bo", "handles": {"linkedin": "bo"}}).json()
    reply = api.patch(
        f"/api/people/{asa['id']}",
        {"handles": {"x": "asa_new", "bluesky": None}, "email": None, "do_not_ask": True},
    )
    assert reply.status == 200, reply.text
    edited = reply.json()
    assert edited["handles"] == {"x": "asa_new", "bluesky": None, "linkedin": None}
    assert (edited["email"], edited["do_not_ask"], edited["name"]) == (None, True, "Åsa Öberg")
    assert edited["updated_at"] is not None
    # The old handles are free, the new one is hers
    free = api.post(
        "/api/people",
        {"name": "N", "handles": {"x": "ASA_DATA", "bluesky": ASA["handles"]["bluesky"]}},
    )
    assert free.status == 201
    assert api.post("/api/people", {"name": "M", "handles": {"x": "asa_new"}}).status == 409
    # A handle held by another is refused and changes nothing
    before = all_items(aws)
    taken = api.patch(f"/api/people/{asa['id']}", {"name": "X", "handles": {"linkedin": "@BO"}})
    assert taken.status == 409
    assert all_items(aws) == before
    assert api.get(f"/api/people/{bo['id']}").json()["handles"]["linkedin"] == "bo"


def test_another_workspaces_person_is_not_found(api: Client, other_api: Client) -> None:
    asa = api.post("/api/people", ASA).json()
    for method in ("GET", "DELETE"):
        reply = other_api.request(method, f"/api/people/{asa['id']}")
        assert reply.status == 404
        assert reply.error_code == "person_not_found"
    assert other_api.patch(f"/api/people/{asa['id']}", {"name": "B"}).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 201},
        {"name": "A", "handles": {"x": "a b"}},
        {"name": "A", "handles": {"mastodon": "a"}},
        {"name": "A", "email": "nobody"},
        {"name": "A", "discovered": True},
        {"name": "A", "fields": ["x"] * 21},
    ],
)
def test_a_bad_person_is_a_422_with_a_sentence(api: Client, body: dict[str, Any]) -> None:
    reply = api.post("/api/people", body)
    assert reply.status == 422, reply.text
    message = reply.json()["error"]["message"]
    assert message.endswith(".")
    assert "^" not in message


# --- sharers become people -------------------------------------------------------------


def test_a_sharer_the_poller_finds_becomes_a_discovered_person_once(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    world = fake_x.world
    anna = world.user("anna", followers=1200, name="Anna Dev")
    world.post(anna, urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    world.post(anna, urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    _run(x_source)
    _run(x_source)
    [person] = _people(api)
    assert (person["name"], person["handles"]["x"]) == ("Anna Dev", "anna")
    assert (person["discovered"], person["fields"]) == (True, ["data"])
    shares = api.get(f"/api/jobs/{job['id']}/shares").json()["items"]
    assert {s["author"]["person_id"] for s in shares} == {person["id"]}


def test_a_sharer_who_is_a_person_is_linked_to_them(
    api: Client, job: dict[str, Any], fake_x: FakeXApi, x_source: XSource
) -> None:
    asa = api.post("/api/people", ASA).json()
    world = fake_x.world
    world.post(world.user("asa_data", name="Åsa"), urls=[f"{SHORT}/{job['links'][0]['slug']}"])
    _run(x_source)
    assert [p["id"] for p in _people(api)] == [asa["id"]]
    [share] = api.get(f"/api/jobs/{job['id']}/shares").json()["items"]
    assert share["author"]["person_id"] == asa["id"]


def _old_share(job: dict[str, Any], workspace_id: str, handle: str, post_id: str) -> Share:
    link = job["links"][0]
    return Share(
        platform="x",
        post_id=post_id,
        url=f"https://x.com/{handle}/status/{post_id}",
        kind="post",
        author_id=f"u{post_id}",
        handle=handle,
        name=None,
        followers=10,
        followers_first=10,
        parent_post_id=None,
        slug=link["slug"],
        job_id=job["id"],
        workspace_id=workspace_id,
        channel=link["channel"],
        created_at=None,
        first_seen_at="2026-11-25T10:00:00.000Z",
    )


def test_shares_stored_before_people_are_linked_by_an_idempotent_backfill(
    api: Client, job: dict[str, Any], workspace: tuple[str, str]
) -> None:
    asa = api.post("/api/people", ASA).json()
    for handle, post_id in (("ASA_DATA", "1"), ("bob", "2"), ("bob", "3")):
        save_share(_old_share(job, workspace[0], handle, post_id), now=utc_now())
    assert link_sharers(now=utc_now()) == {"linked": 3}
    assert link_sharers(now=utc_now()) == {"linked": 0}
    people = _people(api)
    assert [(p["name"], p["discovered"]) for p in people] == [("bob", True), ("Åsa Öberg", False)]
    shares = api.get(f"/api/jobs/{job['id']}/shares").json()["items"]
    owners = {s["post_id"]: s["author"]["person_id"] for s in shares}
    assert owners == {"1": asa["id"], "2": people[0]["id"], "3": people[0]["id"]}


# --- personal links --------------------------------------------------------------------


def test_a_personal_link_shows_the_persons_handle_and_is_made_once(
    api: Client, job: dict[str, Any]
) -> None:
    asa = api.post("/api/people", ASA).json()
    links = f"/api/jobs/{job['id']}/links"
    first = api.post(links, {"channel": "x", "person_id": asa["id"]})
    assert first.status == 201, first.text
    link = first.json()
    assert (link["sharer"], link["person_id"]) == ("Asa_Data", asa["id"])
    again = api.post(links, {"channel": "x", "person_id": asa["id"]})
    assert (again.status, again.json()["slug"]) == (200, link["slug"])
    # Her handle on X names her too
    by_handle = api.post(links, {"channel": "x", "sharer": "@asa_data"})
    assert (by_handle.status, by_handle.json()["slug"]) == (200, link["slug"])
    # On a channel of no network her link's sharer is her id; on Bluesky her handle there
    mail = api.post(links, {"channel": "mail", "person_id": asa["id"]}).json()
    assert mail["sharer"] == asa["id"]
    sky = api.post(links, {"channel": "bluesky", "person_id": asa["id"]}).json()
    assert sky["sharer"] == "asa.bsky.social"
    shown = api.get(f"/api/jobs/{job['id']}").json()["links"]
    assert {(li["channel"], li["sharer"], li["person_id"]) for li in shown} == {
        ("twitter", None, None),
        ("x", "Asa_Data", asa["id"]),
        ("mail", asa["id"], asa["id"]),
        ("bluesky", "asa.bsky.social", asa["id"]),
    }


def test_an_unknown_person_gets_no_link(
    api: Client, job: dict[str, Any], other_api: Client
) -> None:
    theirs = other_api.post("/api/people", ASA).json()
    reply = api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "person_id": theirs["id"]})
    assert (reply.status, reply.error_code) == (404, "person_not_found")
    ambassadors = api.post(
        f"/api/jobs/{job['id']}/ambassadors", {"people": [theirs["id"]], "channel": "x"}
    )
    assert (ambassadors.status, ambassadors.error_code) == (404, "person_not_found")
    assert len(api.get(f"/api/jobs/{job['id']}").json()["links"]) == 1


def test_ambassadors_get_one_link_each_and_the_same_on_a_rerun(
    api: Client, job: dict[str, Any]
) -> None:
    asa = api.post("/api/people", ASA).json()
    bo = api.post("/api/people", {"name": "Bo", "handles": {"x": "bo_x"}}).json()
    cilla = api.post("/api/people", {"name": "Cilla"}).json()
    body = {"people": [asa["id"], bo["id"], cilla["id"], bo["id"]], "channel": "twitter"}
    first = api.post(f"/api/jobs/{job['id']}/ambassadors", body)
    assert first.status == 200, first.text
    items = first.json()["items"]
    assert [(i["sharer"], i["person_id"]) for i in items] == [
        ("Asa_Data", asa["id"]),
        ("bo_x", bo["id"]),
        (cilla["id"], cilla["id"]),
    ]
    again = api.post(f"/api/jobs/{job['id']}/ambassadors", body).json()["items"]
    assert [i["slug"] for i in again] == [i["slug"] for i in items]
    assert len(api.get(f"/api/jobs/{job['id']}").json()["links"]) == 4


def test_clicks_through_a_personal_link_are_credited_to_the_person(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    asa = api.post("/api/people", ASA).json()
    link = api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "person_id": asa["id"]}).json()
    for _ in range(2):
        api.dispatcher.request("GET", f"/{link['slug']}", headers={"user-agent": CHROME})
    pump = stream_pump(functions)
    while pump.pump_once():
        pass
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    [row] = [r for r in stats["by_link"] if r["slug"] == link["slug"]]
    assert (row["sharer"], row["person_id"], row["human"]) == ("Asa_Data", asa["id"], 2)
    [sharer] = stats["by_sharer"]
    assert (sharer["sharer"], sharer["person_id"], sharer["human"]) == ("Asa_Data", asa["id"], 2)


# --- forgetting ------------------------------------------------------------------------


def test_a_deleted_person_leaves_no_trace_but_their_counts(
    api: Client,
    job: dict[str, Any],
    fake_x: FakeXApi,
    x_source: XSource,
    functions: LocalFunctions,
    aws: Any,
) -> None:
    # Given a person with a personal link that was clicked, and a post of theirs found
    asa = api.post("/api/people", {**ASA, "handles": {"x": "asa_data"}}).json()
    link = api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "person_id": asa["id"]}).json()
    api.dispatcher.request("GET", f"/{link['slug']}", headers={"user-agent": CHROME})
    pump = stream_pump(functions)
    while pump.pump_once():
        pass
    world = fake_x.world
    world.post(
        world.user("asa_data", followers=300, name="Åsa Öberg"), urls=[f"{SHORT}/{link['slug']}"]
    )
    _run(x_source)
    assert api.get(f"/api/jobs/{job['id']}/shares").json()["items"][0]["author"] is not None
    # When she is deleted
    reply = api.request("DELETE", f"/api/people/{asa['id']}")
    assert reply.status == 204
    # Then she is gone, her share stays counted with no author or URL
    assert api.get(f"/api/people/{asa['id']}").status == 404
    assert api.request("DELETE", f"/api/people/{asa['id']}").status == 404
    [share] = api.get(f"/api/jobs/{job['id']}/shares").json()["items"]
    assert (share["author"], share["url"]) == (None, None)
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert (stats["shares"]["total"], stats["top_sharers"]) == (1, [])
    assert sum(r["human"] for r in stats["by_link"]) == 1
    # And neither table holds her name, handle or e-mail anywhere
    dumped = json.dumps(all_items(aws), ensure_ascii=False).lower()
    for trace in ("åsa", "öberg", "asa_data", "asa@example.se"):
        assert trace not in dumped, trace
    # A later poll of the same post brings nothing of her back
    _run(x_source)
    dumped = json.dumps(all_items(aws), ensure_ascii=False).lower()
    assert "asa_data" not in dumped
    assert _people(api) == []


# --- whom to ask -----------------------------------------------------------------------


def _found(job: dict[str, Any], workspace_id: str, handle: str, number: str, **kw: Any) -> None:
    """A share the poller stores and links, as it does for a post it finds."""
    share = replace(_old_share(job, workspace_id, handle, number), **kw)
    assert save_share(share, now=utc_now())
    DynamoShareStore().link_sharer(share, now=utc_now())


def test_who_to_ask_ranks_records_in_the_field_then_followers(
    api: Client, workspace: tuple[str, str]
) -> None:
    ws = workspace[0]
    old_a = api.post("/api/jobs", {**JOB, "tags": ["data"]}).json()
    old_b = api.post("/api/jobs", {**JOB, "tags": ["data", "webb"]}).json()
    ux = api.post("/api/jobs", {**JOB, "tags": ["ux"]}).json()
    new = api.post("/api/jobs", {**JOB, "tags": ["data"]}).json()
    dora = api.post("/api/people", {"name": "Dora", "handles": {"x": "dora"}}).json()
    api.patch(f"/api/people/{dora['id']}", {"do_not_ask": True})
    frank = api.post(
        "/api/people", {"name": "Frank", "handles": {"x": "frank"}, "fields": ["data"]}
    )
    gus = api.post("/api/people", {"name": "Gus", "fields": ["data"]}).json()
    # Anna shared two data jobs; Bob one, and Carl reposted his post; Dora has a record but
    # is not to be asked; Eve shared the new job already; Frank shared a ux job only, to
    # his 5000 followers; Hans has a record in ux only
    _found(old_a, ws, "anna", "1")
    _found(old_b, ws, "anna", "2")
    _found(old_a, ws, "bob", "3")
    _found(old_a, ws, "carl", "4", kind="repost", parent_post_id="3", post_id=None, url=None)
    _found(old_a, ws, "dora", "5")
    _found(old_b, ws, "eve", "6")
    _found(new, ws, "eve", "7")
    _found(ux, ws, "frank", "8", followers=5000)
    _found(ux, ws, "hans", "9")
    reply = api.get(f"/api/jobs/{new['id']}/who-to-ask")
    assert reply.status == 200, reply.text
    ranked = [(i["person"]["name"], i["reason"]) for i in reply.json()["items"]]
    assert ranked == [
        ("anna", "shared 2 data jobs"),
        ("bob", "shared 1 data job, 1 repost or quote"),
        ("carl", "shared 1 data job"),
        ("Frank", "in data, 5000 followers"),
        ("Gus", "in data, 0 followers"),
    ]
    scores = [i["score"] for i in reply.json()["items"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[2] >= 1 > scores[3]
    assert frank.status == 201
    # A deleted person is not suggested
    assert api.request("DELETE", f"/api/people/{gus['id']}").status == 204
    names = [
        i["person"]["name"] for i in api.get(f"/api/jobs/{new['id']}/who-to-ask").json()["items"]
    ]
    assert "Gus" not in names
