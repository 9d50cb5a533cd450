"""The OpenAPI document against the API's real answers: every route, every status a
request can provoke, each body checked against the schema the document declares for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from openapi_spec_validator import validate

from infra.local.functions import LocalFunctions
from jobtrail.domain.jobs import SlugTaken
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.models import ClickItem
from tests.integration import world
from tests.integration.conftest import JOB, Client, Reply
from tests.integration.contract import Contract

FORGED_CURSOR = "bm90LWEtY3Vyc29y"
Ask = Callable[[Client, world.World], Reply]


def _send(
    method: str, path: str, body: Any, content_type: str = "application/json", **kw: Any
) -> Ask:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)

    def ask(api: Client, w: world.World) -> Reply:
        return api.request(
            method,
            # {slug}: the world's sharer's link
            path.format(job=w.job["id"], slug=w.link["slug"]),
            body=raw,
            headers={"content-type": content_type},
            **kw,
        )

    return ask


def _post(path: str, body: Any, content_type: str = "application/json", **kw: Any) -> Ask:
    return _send("POST", path, body, content_type, **kw)


def _patch(path: str, body: Any, content_type: str = "application/json", **kw: Any) -> Ask:
    return _send("PATCH", path, body, content_type, **kw)


def _get(path: str, query: str = "", **kw: Any) -> Ask:
    def ask(api: Client, w: world.World) -> Reply:
        return api.get(path.format(job=w.job["id"]), query=query, **kw)

    return ask


def _delete_key(key_id: Callable[[Client], str], **kw: Any) -> Ask:
    def ask(api: Client, w: world.World) -> Reply:
        return api.request("DELETE", f"/api/keys/{key_id(api)}", **kw)

    return ask


def _person_id(api: Client, name: str = "Åsa Öberg") -> str:
    """The id of one of the people the populated world has (by name)."""
    found = api.get("/api/people", query="q=" + name.split()[0]).json()["items"]
    return str(next(p["id"] for p in found if p["name"] == name))


def _new_person_id(api: Client) -> str:
    return str(api.post("/api/people", {"name": "To Forget"}).json()["id"])


def _person(method: str, person_id: Callable[[Client], str], body: Any = None, **kw: Any) -> Ask:
    def ask(api: Client, w: world.World) -> Reply:
        raw = body if body is None or isinstance(body, str | bytes) else json.dumps(body)
        return api.request(
            method,
            f"/api/people/{person_id(api)}",
            body=raw,
            headers={"content-type": kw.pop("content_type", "application/json")},
            **kw,
        )

    return ask


def _delete_source(source_id: Callable[[Client], str], **kw: Any) -> Ask:
    def ask(api: Client, w: world.World) -> Reply:
        return api.request("DELETE", f"/api/imports/sources/{source_id(api)}", **kw)

    return ask


def _ambassadors(body: Any, job: str = "{job}", **kw: Any) -> Ask:
    def ask(api: Client, w: world.World) -> Reply:
        sent = body(api) if callable(body) else body
        raw = sent if isinstance(sent, str | bytes) else json.dumps(sent)
        return api.request(
            "POST",
            f"/api/jobs/{job.format(job=w.job['id'])}/ambassadors",
            body=raw,
            headers={"content-type": kw.pop("content_type", "application/json")},
            **kw,
        )

    return ask


def _new_source_id(api: Client) -> str:
    return str(api.post("/api/imports/sources", {"ats": "lever", "board": "gone"}).json()["id"])


def _new_key_id(api: Client) -> str:
    return str(api.post("/api/keys", {"name": "to delete"}).json()["id"])


def _last_key_id(api: Client) -> str:
    """The workspace's only key, once the others the cases made are deleted."""
    keys = api.get("/api/keys").json()["items"]
    mine = next(key for key in keys if key["name"] == "first key")
    for key in keys:
        if key["id"] != mine["id"]:
            api.request("DELETE", f"/api/keys/{key['id']}")
    return str(mine["id"])


JOBS = "/api/jobs"
JOB_PATH = "/api/jobs/{job_id}"
LINKS = "/api/jobs/{job_id}/links"
LINKS_OF = "/api/jobs/{job}/links"
STATS = "/api/jobs/{job_id}/stats"
SHARES = "/api/jobs/{job_id}/shares"
SPREAD = "/api/jobs/{job_id}/spread"
CHANNELS = "/api/stats/channels"
QR = "/api/jobs/{job_id}/links/{slug}/qr.svg"
QR_OF = "/api/jobs/{job}/links/taken/qr.svg"
CSV = "/api/jobs/{job_id}/stats.csv"
LINK = "/api/jobs/{job_id}/links/{slug}"
LINK_OF = "/api/jobs/{job}/links/{slug}"
KEYS = "/api/keys"
KEY = "/api/keys/{key_id}"
PEOPLE = "/api/people"
PERSON = "/api/people/{person_id}"
AMBASSADORS = "/api/jobs/{job_id}/ambassadors"
WHO = "/api/jobs/{job_id}/who-to-ask"
ASA = {"name": "Ny Person", "handles": {"x": "ny_person"}, "fields": ["data"]}
BIG = {**JOB, "ats_id": "x" * (65 * 1024)}
IMPORT_JOBS = "/api/imports/jobs"
JOBS_CSV = "title,url,tags\nEkonom,https://careers.example.se/jobs/5,ekonomi\nBad,ftp://x.se/,\n"
IMPORT_PEOPLE = "/api/imports/people"
PEOPLE_CSV = "name,x,fields\nNy Importerad,ny_importerad,data\nNobody,,\n"
SOURCES = "/api/imports/sources"
SOURCE = "/api/imports/sources/{source_id}"
BOARD = {"ats": "greenhouse", "board": "acme"}
LEVER_FEED = [{"id": "a1", "text": "Backend", "hostedUrl": "https://jobs.lever.co/acme/a1"}]


def _conversion(body: dict[str, Any], *, twice: bool = False, **kw: Any) -> Ask:
    """Credit a conversion to a new click through the world's link ("{click}" in body)."""

    def ask(api: Client, w: world.World) -> Reply:
        before = {c.click_id for c in ClickItem.scan()}
        api.dispatcher.request("GET", f"/{w.link['slug']}", headers={"user-agent": "Mozilla/5.0"})
        [click_id] = {c.click_id for c in ClickItem.scan()} - before
        sent = {k: click_id if v == "{click}" else v for k, v in body.items()}
        if twice:
            api.post(CONVERSIONS, sent)
        return api.request("POST", CONVERSIONS, body=json.dumps(sent), **kw)

    return ask


CONVERSIONS = "/api/conversions"

# (method, documented path, the status expected, how to provoke it)
CASES: list[tuple[str, str, int, Ask]] = [
    ("GET", "/health", 200, _get("/health", api_key=None)),
    ("POST", JOBS, 201, _post(JOBS, JOB)),
    ("POST", JOBS, 400, _post(JOBS, "{not json")),
    ("POST", JOBS, 400, _post(JOBS, "[" * 40 + "]" * 40)),
    ("POST", JOBS, 401, _post(JOBS, JOB, api_key=None)),
    ("POST", JOBS, 413, _post(JOBS, BIG)),
    ("POST", JOBS, 415, _post(JOBS, JOB, "text/plain")),
    ("POST", JOBS, 422, _post(JOBS, {"title": ""})),
    ("POST", JOBS, 422, _post(JOBS, {**JOB, "url": "javascript:alert(1)"})),
    ("GET", JOBS, 200, _get(JOBS, "limit=1")),
    ("GET", JOBS, 400, _get(JOBS, f"cursor={FORGED_CURSOR}")),
    ("GET", JOBS, 401, _get(JOBS, api_key="not-a-key")),
    ("GET", JOBS, 422, _get(JOBS, "limit=0")),
    ("GET", JOB_PATH, 200, _get("/api/jobs/{job}")),
    ("GET", JOB_PATH, 401, _get("/api/jobs/{job}", api_key=None)),
    ("GET", JOB_PATH, 404, _get("/api/jobs/0123abc")),
    ("GET", JOB_PATH, 422, _get("/api/jobs/not-an-id")),
    ("PATCH", JOB_PATH, 200, _patch("/api/jobs/{job}", {"status": "closed"})),
    ("PATCH", JOB_PATH, 400, _patch("/api/jobs/{job}", "{not json")),
    ("PATCH", JOB_PATH, 401, _patch("/api/jobs/{job}", {"title": "T"}, api_key=None)),
    ("PATCH", JOB_PATH, 404, _patch("/api/jobs/0123abc", {"title": "T"})),
    ("PATCH", JOB_PATH, 413, _patch("/api/jobs/{job}", {"title": "x" * (65 * 1024)})),
    ("PATCH", JOB_PATH, 415, _patch("/api/jobs/{job}", {"title": "T"}, "text/plain")),
    ("PATCH", JOB_PATH, 422, _patch("/api/jobs/{job}", {})),
    ("PATCH", JOB_PATH, 422, _patch("/api/jobs/{job}", {"url": "http://10.0.0.1/"})),
    ("POST", LINKS, 201, _post("/api/jobs/{job}/links", {"channel": "mail", "slug": "fresh"})),
    ("POST", LINKS, 400, _post("/api/jobs/{job}/links", b'{"channel": "\xff"}')),
    ("POST", LINKS, 401, _post("/api/jobs/{job}/links", {"channel": "x"}, api_key=None)),
    ("POST", LINKS, 404, _post("/api/jobs/0123abc/links", {"channel": "x"})),
    ("POST", LINKS, 409, _post("/api/jobs/{job}/links", {"channel": "x", "slug": "taken"})),
    ("POST", LINKS, 413, _post("/api/jobs/{job}/links", BIG)),
    ("POST", LINKS, 415, _post("/api/jobs/{job}/links", {"channel": "x"}, "text/csv")),
    ("POST", LINKS, 422, _post("/api/jobs/{job}/links", {"channel": "x", "slug": "api"})),
    ("POST", LINKS, 422, _post("/api/jobs/{job}/links", {"channel": "x", "sharer": "a b"})),
    ("GET", STATS, 200, _get("/api/jobs/{job}/stats")),
    ("GET", STATS, 400, _get("/api/jobs/{job}/stats", "from=2026-03-02&to=2026-03-01")),
    ("GET", STATS, 401, _get("/api/jobs/{job}/stats", api_key=None)),
    ("GET", STATS, 404, _get("/api/jobs/0123abc/stats")),
    ("GET", STATS, 422, _get("/api/jobs/{job}/stats", "to=March")),
    ("GET", SHARES, 200, _get("/api/jobs/{job}/shares")),
    ("GET", SHARES, 200, _get("/api/jobs/{job}/shares", "limit=1")),
    ("GET", SHARES, 400, _get("/api/jobs/{job}/shares", f"cursor={FORGED_CURSOR}")),
    ("GET", SHARES, 401, _get("/api/jobs/{job}/shares", api_key=None)),
    ("GET", SHARES, 404, _get("/api/jobs/0123abc/shares")),
    ("GET", SHARES, 422, _get("/api/jobs/{job}/shares", "limit=101")),
    ("GET", SPREAD, 200, _get("/api/jobs/{job}/spread")),
    ("GET", SPREAD, 401, _get("/api/jobs/{job}/spread", api_key=None)),
    ("GET", SPREAD, 404, _get("/api/jobs/0123abc/spread")),
    ("GET", SPREAD, 422, _get("/api/jobs/a.b/spread")),
    ("GET", QR, 200, _get(QR_OF)),
    ("GET", QR, 200, _get(QR_OF, "format=png")),
    ("GET", QR, 401, _get(QR_OF, api_key=None)),
    ("GET", QR, 404, _get("/api/jobs/{job}/links/nosuch/qr.svg")),
    ("GET", QR, 422, _get(QR_OF, "format=gif")),
    ("GET", CSV, 200, _get("/api/jobs/{job}/stats.csv")),
    ("GET", CSV, 400, _get("/api/jobs/{job}/stats.csv", "from=2026-03-02&to=2026-03-01")),
    ("GET", CSV, 401, _get("/api/jobs/{job}/stats.csv", api_key=None)),
    ("GET", CSV, 404, _get("/api/jobs/0123abc/stats.csv")),
    ("GET", CSV, 422, _get("/api/jobs/{job}/stats.csv", "to=March")),
    ("GET", CHANNELS, 200, _get(CHANNELS)),
    ("GET", CHANNELS, 401, _get(CHANNELS, api_key=None)),
    # The sharer's link asked for again: the one they have.
    ("POST", LINKS, 200, _post(LINKS_OF, {"channel": "linkedin", "sharer": "@Anna_Dev"})),
    ("PATCH", LINK, 200, _patch(LINK_OF, {"disabled": False, "expires_at": None})),
    ("PATCH", LINK, 200, _patch(LINK_OF, {"expires_at": "2027-01-01T00:00:00Z"})),
    ("PATCH", LINK, 400, _patch(LINK_OF, "{not json")),
    ("PATCH", LINK, 401, _patch(LINK_OF, {"disabled": True}, api_key=None)),
    ("PATCH", LINK, 404, _patch("/api/jobs/{job}/links/no-such-link", {"disabled": True})),
    ("PATCH", LINK, 404, _patch("/api/jobs/0123abc/links/{slug}", {"disabled": True})),
    ("PATCH", LINK, 413, _patch(LINK_OF, BIG)),
    ("PATCH", LINK, 415, _patch(LINK_OF, {"disabled": True}, "text/plain")),
    ("PATCH", LINK, 422, _patch(LINK_OF, {})),
    ("PATCH", LINK, 422, _patch(LINK_OF, {"disabled": None})),
    ("PATCH", LINK, 422, _patch(LINK_OF, {"expires_at": "soon"})),
    ("PATCH", LINK, 422, _patch("/api/jobs/{job}/links/a.b", {"disabled": True})),
    ("GET", KEYS, 200, _get(KEYS, "limit=1")),
    ("GET", KEYS, 400, _get(KEYS, f"cursor={FORGED_CURSOR}")),
    ("GET", KEYS, 401, _get(KEYS, api_key=None)),
    ("GET", KEYS, 422, _get(KEYS, "limit=0")),
    ("POST", KEYS, 201, _post(KEYS, {"name": "ci"})),
    ("POST", KEYS, 400, _post(KEYS, "{not json")),
    ("POST", KEYS, 401, _post(KEYS, {"name": "ci"}, api_key=None)),
    ("POST", KEYS, 413, _post(KEYS, {"name": "x" * (65 * 1024)})),
    ("POST", KEYS, 415, _post(KEYS, {"name": "ci"}, "text/plain")),
    ("POST", KEYS, 422, _post(KEYS, {"name": "ci", "scopes": []})),
    ("DELETE", KEY, 204, _delete_key(lambda api: _new_key_id(api))),
    ("DELETE", KEY, 401, _delete_key(lambda api: "0123abc", api_key=None)),
    ("DELETE", KEY, 404, _delete_key(lambda api: "0123abc")),
    ("DELETE", KEY, 409, _delete_key(lambda api: _last_key_id(api))),
    ("DELETE", KEY, 422, _delete_key(lambda api: "not-an-id")),
    ("POST", PEOPLE, 201, _post(PEOPLE, ASA)),
    ("POST", PEOPLE, 400, _post(PEOPLE, "{not json")),
    ("POST", PEOPLE, 401, _post(PEOPLE, ASA, api_key=None)),
    ("POST", PEOPLE, 409, _post(PEOPLE, {"name": "Twin", "handles": {"x": "@ASA_DATA"}})),
    ("POST", PEOPLE, 413, _post(PEOPLE, {"name": "x" * (65 * 1024)})),
    ("POST", PEOPLE, 415, _post(PEOPLE, ASA, "text/plain")),
    ("POST", PEOPLE, 422, _post(PEOPLE, {"name": ""})),
    ("POST", PEOPLE, 422, _post(PEOPLE, {"name": "A", "email": "not an address"})),
    ("GET", PEOPLE, 200, _get(PEOPLE, "field=data&q=asa&limit=1")),
    ("GET", PEOPLE, 400, _get(PEOPLE, f"cursor={FORGED_CURSOR}")),
    ("GET", PEOPLE, 401, _get(PEOPLE, api_key=None)),
    ("GET", PEOPLE, 422, _get(PEOPLE, "limit=0")),
    ("GET", PERSON, 200, _person("GET", _person_id)),
    ("GET", PERSON, 401, _person("GET", _person_id, api_key=None)),
    ("GET", PERSON, 404, _person("GET", lambda api: "0123abc")),
    ("GET", PERSON, 422, _person("GET", lambda api: "not-an-id")),
    ("PATCH", PERSON, 200, _person("PATCH", _person_id, {"email": None, "fields": ["Data"]})),
    ("PATCH", PERSON, 400, _person("PATCH", _person_id, "{not json")),
    ("PATCH", PERSON, 401, _person("PATCH", _person_id, {"name": "A"}, api_key=None)),
    ("PATCH", PERSON, 404, _person("PATCH", lambda api: "0123abc", {"name": "A"})),
    (
        "PATCH",
        PERSON,
        409,
        _person("PATCH", _person_id, {"handles": {"linkedin": "Bo-Linked"}}),
    ),
    ("PATCH", PERSON, 413, _person("PATCH", _person_id, {"name": "x" * (65 * 1024)})),
    ("PATCH", PERSON, 415, _person("PATCH", _person_id, {"name": "A"}, content_type="text/csv")),
    ("PATCH", PERSON, 422, _person("PATCH", _person_id, {})),
    ("PATCH", PERSON, 422, _person("PATCH", _person_id, {"name": None})),
    ("DELETE", PERSON, 204, _person("DELETE", _new_person_id)),
    ("DELETE", PERSON, 401, _person("DELETE", _person_id, api_key=None)),
    ("DELETE", PERSON, 404, _person("DELETE", lambda api: "0123abc")),
    ("DELETE", PERSON, 422, _person("DELETE", lambda api: "not-an-id")),
    (
        "POST",
        LINKS,
        201,
        lambda api, w: api.post(
            f"/api/jobs/{w.job['id']}/links", {"channel": "x", "person_id": _person_id(api)}
        ),
    ),
    ("POST", LINKS, 404, _post("/api/jobs/{job}/links", {"channel": "x", "person_id": "0123"})),
    (
        "POST",
        LINKS,
        422,
        _post("/api/jobs/{job}/links", {"channel": "x", "sharer": "a", "person_id": "0123"}),
    ),
    (
        "POST",
        AMBASSADORS,
        200,
        _ambassadors(lambda api: {"people": [_person_id(api)], "channel": "x"}),
    ),
    ("POST", AMBASSADORS, 400, _ambassadors("{not json")),
    ("GET", WHO, 200, _get("/api/jobs/{job}/who-to-ask", "limit=5")),
    ("GET", WHO, 401, _get("/api/jobs/{job}/who-to-ask", api_key=None)),
    ("GET", WHO, 404, _get("/api/jobs/0123abc/who-to-ask")),
    ("GET", WHO, 422, _get("/api/jobs/{job}/who-to-ask", "limit=0")),
    ("POST", AMBASSADORS, 401, _ambassadors({"people": ["0123"], "channel": "x"}, api_key=None)),
    ("POST", AMBASSADORS, 404, _ambassadors({"people": ["0123"], "channel": "x"})),
    ("POST", AMBASSADORS, 404, _ambassadors({"people": ["0123"], "channel": "x"}, "0123abc")),
    ("POST", AMBASSADORS, 413, _ambassadors({"people": ["0123"], "channel": "x" * 66000})),
    ("POST", AMBASSADORS, 415, _ambassadors({"people": []}, content_type="text/plain")),
    ("POST", AMBASSADORS, 422, _ambassadors({"people": [], "channel": "x"})),
    ("POST", IMPORT_JOBS, 200, _post(IMPORT_JOBS, JOBS_CSV, "text/csv")),
    ("POST", IMPORT_JOBS, 200, _post(IMPORT_JOBS, LEVER_FEED, query="ats=lever")),
    ("POST", IMPORT_JOBS, 400, _post(IMPORT_JOBS, "[{", query="ats=lever")),
    ("POST", IMPORT_JOBS, 401, _post(IMPORT_JOBS, JOBS_CSV, "text/csv", api_key=None)),
    ("POST", IMPORT_JOBS, 413, _post(IMPORT_JOBS, "x" * (5 * 1024 * 1024 + 1), "text/csv")),
    ("POST", IMPORT_JOBS, 415, _post(IMPORT_JOBS, JOBS_CSV, "application/json")),
    ("POST", IMPORT_JOBS, 422, _post(IMPORT_JOBS, "name\nx\n", "text/csv")),
    ("POST", IMPORT_JOBS, 422, _post(IMPORT_JOBS, {"jobs": 1}, query="ats=lever")),
    # The ATSs are unreachable here: a board is stored, to be imported by the daily run.
    ("POST", IMPORT_PEOPLE, 200, _post(IMPORT_PEOPLE, PEOPLE_CSV, "text/csv")),
    ("POST", IMPORT_PEOPLE, 401, _post(IMPORT_PEOPLE, PEOPLE_CSV, "text/csv", api_key=None)),
    (
        "POST",
        IMPORT_PEOPLE,
        413,
        _post(IMPORT_PEOPLE, "x" * (5 * 1024 * 1024 + 1), "text/csv"),
    ),
    ("POST", IMPORT_PEOPLE, 415, _post(IMPORT_PEOPLE, PEOPLE_CSV, "application/json")),
    ("POST", IMPORT_PEOPLE, 422, _post(IMPORT_PEOPLE, "x,bluesky\nanna,\n", "text/csv")),
    ("POST", SOURCES, 201, _post(SOURCES, BOARD)),
    ("POST", SOURCES, 400, _post(SOURCES, "{not json")),
    ("POST", SOURCES, 401, _post(SOURCES, BOARD, api_key=None)),
    ("POST", SOURCES, 409, _post(SOURCES, {"ats": "greenhouse", "board": "other"})),
    ("POST", SOURCES, 413, _post(SOURCES, {**BOARD, "board": "x" * (65 * 1024)})),
    ("POST", SOURCES, 415, _post(SOURCES, BOARD, "text/csv")),
    ("POST", SOURCES, 422, _post(SOURCES, {"ats": "workday", "board": "acme"})),
    ("GET", SOURCES, 200, _get(SOURCES)),
    ("GET", SOURCES, 401, _get(SOURCES, api_key=None)),
    ("DELETE", SOURCE, 204, _delete_source(_new_source_id)),
    ("DELETE", SOURCE, 401, _delete_source(lambda api: "0123abc", api_key=None)),
    ("DELETE", SOURCE, 404, _delete_source(lambda api: "0123abc")),
    ("DELETE", SOURCE, 422, _delete_source(lambda api: "not-an-id")),
    ("POST", CONVERSIONS, 201, _conversion({"click_id": "{click}", "kind": "application"})),
    ("POST", CONVERSIONS, 200, _conversion({"click_id": "{click}", "kind": "hire"}, twice=True)),
    ("POST", CONVERSIONS, 400, _post(CONVERSIONS, "{not json")),
    ("POST", CONVERSIONS, 401, _post(CONVERSIONS, {"click_id": "x", "kind": "hire"}, api_key=None)),
    ("POST", CONVERSIONS, 404, _post(CONVERSIONS, {"click_id": "0123abc", "kind": "hire"})),
    ("POST", CONVERSIONS, 422, _post(CONVERSIONS, {"click_id": "x", "kind": "interview"})),
]


@pytest.fixture
def populated(api: Client, functions: LocalFunctions, workspace: tuple[str, str]) -> world.World:
    built = world.build(api, functions, workspace[0])
    api.post(f"/api/jobs/{built.job['id']}/links", {"channel": "x", "slug": "taken"})
    handles = {"x": "asa_data", "bluesky": "asa.bsky.social"}
    api.post("/api/people", {"name": "Åsa Öberg", "handles": handles, "fields": ["data"]})
    api.post("/api/people", {"name": "Bo Ek", "handles": {"linkedin": "bo-linked"}})
    return built


def test_the_document_is_valid_openapi(api: Client) -> None:
    validate(Contract.served_by(api).document)


def test_every_documented_route_is_checked_here(api: Client) -> None:
    assert Contract.served_by(api).routes == {(m, p) for m, p, _, _ in CASES}


UNREACHABLE = "http://127.0.0.1:9"  # the discard port: the connection is refused at once


@pytest.mark.settings(
    greenhouse_api_base_url=UNREACHABLE,
    lever_api_base_url=UNREACHABLE,
    teamtailor_api_base_url=UNREACHABLE,
)
def test_every_answer_is_documented_and_matches_its_schema(
    api: Client, populated: world.World
) -> None:
    contract = Contract.served_by(api)
    for method, template, status, ask in CASES:
        reply = ask(api, populated)
        assert reply.status == status, (method, template, reply.text[:300])
        contract.check(method, template, reply)


def test_the_stats_and_shares_show_their_nulls(api: Client, populated: world.World) -> None:
    # A repost known only from a list of reposters has no id, URL or time of its own.
    shares = api.get(f"/api/jobs/{populated.job['id']}/shares").json()["items"]
    repost = next(s for s in shares if s["kind"] == "repost")
    assert (repost["post_id"], repost["url"], repost["created_at"]) == (None, None, None)
    assert repost["author"]["name"] is None
    stats = api.get(f"/api/jobs/{populated.job['id']}/stats").json()
    assert {row["sharer"] for row in stats["by_sharer"]} == {None, "anna_dev"}
    assert None in {row["referrer"] for row in stats["by_referrer"]}
    assert list(stats)[:3] == ["job_id", "from", "to"]


def test_an_error_route_that_is_not_documented_fails_the_check(api: Client) -> None:
    # The check itself: a 409 on a route that documents none is caught.
    contract = Contract.served_by(api)
    reply = Reply(
        409, {"content-type": "application/json"}, '{"error": {"code": "x", "message": "y"}}'
    )
    with pytest.raises(AssertionError, match="does not document"):
        contract.check("GET", JOBS, reply)


def test_slugs_running_out_is_a_documented_503(
    api: Client, populated: world.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_taken(*_: Any, **__: Any) -> None:
        raise SlugTaken("taken")

    monkeypatch.setattr(DynamoJobStore, "insert_job", always_taken)
    monkeypatch.setattr(DynamoJobStore, "insert_link", always_taken)
    monkeypatch.setattr(DynamoJobStore, "insert_jobs", lambda self, jobs: list(range(len(jobs))))
    contract = Contract.served_by(api)
    for template, ask in (
        (JOBS, _post(JOBS, JOB)),
        (LINKS, _post(LINKS_OF, {"channel": "x"})),
        (IMPORT_JOBS, _post(IMPORT_JOBS, JOBS_CSV, "text/csv")),
    ):
        reply = ask(api, populated)
        assert reply.status == 503
        assert reply.error_code == "slug_exhausted"
        contract.check("POST", template, reply)
