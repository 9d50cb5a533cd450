"""Importing people from a CSV as spreadsheets write it: matched by handle (x, then
bluesky, then linkedin), blank cells keep what is stored, a rerun changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from jobtrail.domain.errors import Unavailable
from jobtrail.domain.imports import Outcome
from jobtrail.domain.people_imports import import_x_list
from jobtrail.sources.x import XSource
from jobtrail.store.people import DynamoPeopleStore
from tests.fakes.clock import FakeClock
from tests.fakes.x_api import FakeXApi
from tests.integration.conftest import Client, Reply

IMPORT = "/api/imports/people"


def _csv(api: Client, text: str | bytes) -> Reply:
    return api.request("POST", IMPORT, body=text, headers={"content-type": "text/csv"})


def _people(api: Client) -> dict[str, dict[str, Any]]:
    items = api.get("/api/people", query="limit=100").json()["items"]
    return {person["name"]: person for person in items}


def _answer(created: int = 0, updated: int = 0, unchanged: int = 0, **kw: Any) -> dict[str, Any]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "closed": 0,
        "rejected": kw.get("rejected", []),
    }


# Every quirk at once: a byte order mark, `;` between cells (Swedish Excel), Windows line
# ends, a quoted name with a new line, a blank line (still counted), an @ before a handle,
# a row repeated as it was, a repeat of a person with other values, bad rows.
QUIRKY = (
    "\ufeffname;x;bluesky;linkedin;fields;email\r\n"  # 1
    'Åsa Öberg;@asa_data;asa.bsky.social;;"Data; Python";asa@example.se\r\n'  # 2
    "\r\n"  # 3
    '"Bo\r\nBerg";bo_b;;bo-berg;design;\r\n'  # 4 and 5
    'Åsa Öberg;@asa_data;asa.bsky.social;;"Data; Python";asa@example.se\r\n'  # 6: a repeat
    "Åsa Ö.;ASA_DATA;;;;\r\n"  # 7: the same person as line 2 with another name
    "Nobody;;;;data;\r\n"  # 8: no handle
    "Cia;cia_x;;;;not-an-address\r\n"  # 9: a bad e-mail
    "Dan;dan_x;;;;;extra\r\n"  # 10: too many cells
)


def test_a_csv_with_every_quirk_and_its_rerun(api: Client) -> None:
    reply = _csv(api, QUIRKY.encode("utf-8"))
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert (answer["created"], answer["updated"], answer["unchanged"], answer["closed"]) == (
        2,
        0,
        1,
        0,
    )
    assert [r["line"] for r in answer["rejected"]] == [7, 8, 9, 10]
    assert "line 2" in answer["rejected"][0]["reason"]
    assert "handle" in answer["rejected"][1]["reason"]
    assert "email" in answer["rejected"][2]["reason"]
    found = _people(api)
    asa = found["Åsa Öberg"]
    assert asa["handles"] == {"x": "asa_data", "bluesky": "asa.bsky.social", "linkedin": None}
    assert asa["fields"] == ["data", "python"]
    assert asa["email"] == "asa@example.se"
    [bo] = [person for name, person in found.items() if name.startswith("Bo")]
    assert bo["name"].split() == ["Bo", "Berg"]  # the new line inside the quotes is kept
    assert bo["handles"]["linkedin"] == "bo-berg"
    assert len(found) == 2

    again = _csv(api, QUIRKY.encode("utf-8"))
    assert again.status == 200, again.text
    assert (again.json()["created"], again.json()["updated"]) == (0, 0)
    assert again.json()["unchanged"] == 3
    assert _people(api) == found


def test_a_blank_cell_keeps_what_is_stored(api: Client) -> None:
    made = api.post(
        "/api/people",
        {"name": "Eva", "handles": {"x": "eva"}, "fields": ["data"], "email": "eva@example.se"},
    )
    assert made.status == 201, made.text
    reply = _csv(api, "name,x,bluesky,linkedin,fields,email\n,@EVA,eva.bsky.social,,,\n")
    assert reply.json() == _answer(updated=1)
    [eva] = _people(api).values()
    assert eva["name"] == "Eva"
    assert eva["fields"] == ["data"]
    assert eva["email"] == "eva@example.se"
    assert eva["handles"] == {"x": "eva", "bluesky": "eva.bsky.social", "linkedin": None}


def test_x_is_matched_before_bluesky_and_linkedin(api: Client) -> None:
    api.post("/api/people", {"name": "By X", "handles": {"x": "same"}})
    api.post("/api/people", {"name": "By Bluesky", "handles": {"bluesky": "b.bsky.social"}})
    api.post("/api/people", {"name": "By LinkedIn", "handles": {"linkedin": "li"}})
    reply = _csv(
        api,
        "name,x,bluesky,linkedin,fields\n"
        ",,b.bsky.social,li-new,data\n"  # 2: bluesky before linkedin: edits By Bluesky
        ",,,li,ops\n"  # 3: linkedin alone
        ",same,b.bsky.social,,\n",  # 4: x matches By X, whose bluesky is another's
    )
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert (answer["created"], answer["updated"]) == (0, 2)
    [rejected] = answer["rejected"]
    assert rejected["line"] == 4
    assert "belongs to another person" in rejected["reason"]
    found = _people(api)
    assert found["By Bluesky"]["handles"]["linkedin"] == "li-new"
    assert found["By Bluesky"]["fields"] == ["data"]
    assert found["By LinkedIn"]["fields"] == ["ops"]
    assert found["By X"]["handles"]["bluesky"] is None


def test_a_header_without_name_and_other_media_types_are_refused(api: Client) -> None:
    assert _csv(api, "x,bluesky\nanna,\n").status == 422
    refused = api.post(IMPORT, {"x_list_id": "1", "field": "data"}, headers={})
    assert refused.status == 415


# --- the members of an X List (the domain import against the fake X) ----------------------


def _x_list_import(
    fake_x: FakeXApi, workspace: tuple[str, str], clock: FakeClock, max_requests: int = 5
) -> Outcome:
    source = XSource(fake_x.base_url, fake_x.token, now=clock.now)
    try:
        return import_x_list(
            DynamoPeopleStore(),
            source,
            workspace_id=workspace[0],
            list_id="1402",
            field="Data",
            max_requests=max_requests,
            now=clock.now(),
        )
    finally:
        source.close()


def test_an_x_list_of_two_pages_joins_a_field_and_a_rerun_changes_nothing(
    api: Client, fake_x: FakeXApi, workspace: tuple[str, str], clock: FakeClock
) -> None:
    # Given: Anna is known by her X handle (any case), the List has 150 members
    api.post("/api/people", {"name": "Anna", "handles": {"x": "@MEMBER0"}, "fields": ["ops"]})
    members = [fake_x.world.user(f"member{i}", name=f"Member {i}") for i in range(150)]
    fake_x.world.lists["1402"] = [user.id for user in members]

    # When
    outcome = _x_list_import(fake_x, workspace, clock)

    # Then: Anna gained the field and kept her own, the others are new people in it
    assert (outcome.created, outcome.updated, outcome.unchanged) == (149, 1, 0)
    assert len(fake_x.requests_to("list_members")) == 2
    anna = api.get("/api/people", query="q=anna").json()["items"][0]
    assert anna["fields"] == ["ops", "data"]
    new = api.get("/api/people", query="q=member149").json()["items"][0]
    assert (new["name"], new["fields"], new["handles"]["x"]) == (
        "Member 149",
        ["data"],
        "member149",
    )

    again = _x_list_import(fake_x, workspace, clock)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 150)


def test_a_429_on_an_x_list_writes_nothing_and_says_when_to_come_back(
    api: Client, fake_x: FakeXApi, workspace: tuple[str, str], clock: FakeClock
) -> None:
    members = [fake_x.world.user(f"member{i}") for i in range(150)]
    fake_x.world.lists["1402"] = [user.id for user in members]
    fake_x.fail(
        "list_members",
        on_call=2,
        status=429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1900000000"},
    )
    with pytest.raises(Unavailable) as refused:
        _x_list_import(fake_x, workspace, clock)
    assert "try again after" in refused.value.message
    assert api.get("/api/people").json()["items"] == []
