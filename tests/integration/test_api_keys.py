"""/api/keys: a workspace's API keys, made, listed (never shown again) and deleted."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from jobtrail.domain.api_keys import LastKey, hash_api_key
from jobtrail.domain.errors import NotFound
from jobtrail.store.api_keys import DynamoKeyStore, backfill_keys
from jobtrail.store.key_shapes import (
    API_KEY_SORT_KEY,
    WORKSPACE_SORT_KEY,
    api_key_key,
    workspace_key,
)
from jobtrail.store.models import ApiKeyItem, WorkspaceItem
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, Reply, all_items

KEYS = "/api/keys"
REGEX_MARKS = ("^", "$", "[", "\\", "{")


def _delete(api: Client, key_id: str, **kwargs: Any) -> Reply:
    return api.request("DELETE", f"{KEYS}/{key_id}", **kwargs)


def _listed(api: Client) -> list[dict[str, Any]]:
    reply = api.get(KEYS)
    assert reply.status == 200, reply.text
    return list(reply.json()["items"])


def _new_key(api: Client, name: str = "ci") -> dict[str, Any]:
    reply = api.post(KEYS, {"name": name})
    assert reply.status == 201, reply.text
    return dict(reply.json())


def test_a_new_key_is_shown_once_listed_by_its_prefix_and_stored_only_as_a_hash(
    api: Client, aws: Any
) -> None:
    # When a recruiter creates a key for their CI
    created = _new_key(api, "  ci  ")
    # Then the answer has the key itself, this once, and what lists show of it
    assert set(created) == {"id", "name", "prefix", "created_at", "api_key"}
    assert created["name"] == "ci"
    assert created["prefix"] == created["api_key"][:6]
    assert created["created_at"].endswith("Z")
    # and the list shows it (and the first key) by prefix, never the key
    listed = _listed(api)
    assert {"id": created["id"], "name": "ci", "prefix": created["prefix"],
            "created_at": created["created_at"]} in listed  # fmt: skip
    assert len(listed) == 2
    assert all(set(key) == {"id", "name", "prefix", "created_at"} for key in listed)
    assert created["api_key"] not in api.get(KEYS).text
    assert api.api_key is not None
    assert api.api_key[:6] in {key["prefix"] for key in listed}
    # and neither key is stored, only their hashes
    stored = json.dumps(all_items(aws))
    assert created["api_key"] not in stored
    assert api.api_key not in stored
    assert hash_api_key(created["api_key"]) in stored


def test_the_new_key_works_in_the_same_workspace(api: Client) -> None:
    job = api.post("/api/jobs", JOB).json()
    ci = Client(api.dispatcher, _new_key(api)["api_key"])
    assert [j["id"] for j in ci.get("/api/jobs").json()["items"]] == [job["id"]]
    assert ci.post("/api/jobs", JOB).status == 201


def test_a_deleted_key_answers_401_once_the_authorizers_minute_is_over(
    api: Client, clock: FakeClock
) -> None:
    # Given a key in use (so a warm authorizer remembers it)
    created = _new_key(api)
    ci = Client(api.dispatcher, created["api_key"])
    assert ci.get("/api/jobs").status == 200
    # When it is deleted
    reply = _delete(api, created["id"])
    assert (reply.status, reply.text) == (204, "")
    # Then it is no longer listed, and after the authorizer's cache of 60 seconds it is
    # refused everywhere
    assert created["id"] not in {key["id"] for key in _listed(api)}
    clock.advance(60)
    refused = ci.get("/api/jobs")
    assert (refused.status, refused.error_code) == (401, "unauthorized")
    assert ci.get(KEYS).status == 401
    # while the other key still works
    assert api.get("/api/jobs").status == 200


@pytest.mark.settings(key_cache_seconds=5)
def test_a_shorter_key_cache_ends_a_deleted_key_sooner(api: Client, clock: FakeClock) -> None:
    created = _new_key(api)
    ci = Client(api.dispatcher, created["api_key"])
    assert ci.get("/api/jobs").status == 200
    assert _delete(api, created["id"]).status == 204
    clock.advance(5)
    assert ci.get("/api/jobs").status == 401


def test_a_key_may_delete_itself_while_another_remains(api: Client, clock: FakeClock) -> None:
    created = _new_key(api)
    ci = Client(api.dispatcher, created["api_key"])
    assert _delete(ci, created["id"]).status == 204
    clock.advance(60)
    assert ci.get(KEYS).status == 401
    assert len(_listed(api)) == 1


def test_the_last_key_cannot_be_deleted(api: Client, aws: Any) -> None:
    [only] = _listed(api)
    before = all_items(aws)
    reply = _delete(api, only["id"])
    assert (reply.status, reply.error_code) == (409, "last_key")
    assert "create another key" in reply.json()["error"]["message"]
    assert all_items(aws) == before
    assert api.get("/api/jobs").status == 200


def test_after_a_delete_the_remaining_key_is_the_last(api: Client) -> None:
    created = _new_key(api)
    [first] = [key for key in _listed(api) if key["id"] != created["id"]]
    assert _delete(api, first["id"]).status == 204
    ci = Client(api.dispatcher, created["api_key"])
    assert _delete(ci, created["id"]).error_code == "last_key"


def test_another_workspaces_key_does_not_exist(api: Client, other_api: Client, aws: Any) -> None:
    # Given a rival workspace with two keys
    theirs = _new_key(other_api)
    before = all_items(aws)
    # When we delete one of theirs by its id
    reply = _delete(api, theirs["id"])
    # Then it is 404, exactly as an unknown id, and nothing changed
    assert (reply.status, reply.error_code) == (404, "key_not_found")
    assert _delete(api, "0123abcd").json()["error"] == {
        **reply.json()["error"],
        "message": "No API key with id '0123abcd' in this workspace.",
    }
    assert all_items(aws) == before
    assert theirs["id"] not in {key["id"] for key in _listed(api)}
    assert Client(api.dispatcher, theirs["api_key"]).get("/api/jobs").status == 200


def test_a_key_deleted_twice_is_404_the_second_time(api: Client) -> None:
    created = _new_key(api)
    assert _delete(api, created["id"]).status == 204
    assert _delete(api, created["id"]).error_code == "key_not_found"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "name"),
        ({"name": ""}, 422, "name"),
        ({"name": "   "}, 422, "name"),
        ({"name": "x" * 101}, 422, "name"),
        ({"name": 3}, 422, "name"),
        ({"name": None}, 422, "name"),
        ({"name": "ci", "scopes": ["read"]}, 422, "scopes"),
        (["ci"], 422, "body"),
        ("{oops", 400, None),
    ],
)
def test_a_bad_body_is_refused_with_a_sentence_and_writes_nothing(
    api: Client, aws: Any, body: Any, status: int, field: str | None
) -> None:
    before = all_items(aws)
    if isinstance(body, str):
        reply = api.request("POST", KEYS, body=body, headers={"content-type": "application/json"})
    else:
        reply = api.post(KEYS, body)
    assert reply.status == status, reply.text
    message = reply.json()["error"]["message"]
    assert message.endswith(".")
    assert not any(mark in message for mark in REGEX_MARKS)
    if field is not None:
        assert [d["field"] for d in reply.json()["error"]["details"]] == [field]
    assert all_items(aws) == before


def test_a_name_of_100_characters_is_taken(api: Client) -> None:
    assert _new_key(api, "x" * 100)["name"] == "x" * 100


def test_a_key_body_in_another_media_type_is_415(api: Client) -> None:
    reply = api.request("POST", KEYS, body="name=ci", headers={"content-type": "text/plain"})
    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("query", "status"), [("limit=0", 422), ("limit=101", 422), ("cursor=bm90LWEtY3Vyc29y", 400)]
)
def test_bad_list_parameters_are_4xx(api: Client, query: str, status: int) -> None:
    reply = api.get(KEYS, query=query)
    assert reply.status == status
    assert reply.json()["error"]["message"].endswith(".")


def test_the_list_pages_through_every_key_once(api: Client) -> None:
    made = {_new_key(api, f"key {n}")["id"] for n in range(4)}
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = api.get(KEYS, query="limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        assert len(page["items"]) <= 2
        seen.extend(key["id"] for key in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert made <= set(seen)


def test_a_malformed_key_id_is_422(api: Client) -> None:
    reply = _delete(api, "not-an-id")
    assert reply.status == 422
    assert "key id" in reply.json()["error"]["message"]


def test_keys_need_a_key(api: Client) -> None:
    assert api.get(KEYS, api_key=None).status == 401
    assert api.post(KEYS, {"name": "ci"}, api_key="jt_unknown").status == 401
    assert _delete(api, "0123abcd", api_key=None).status == 401


def test_concurrent_deletes_of_the_last_two_keys_leave_one(
    api: Client, workspace: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a workspace with two keys, and two deletes that have both read their key
    # before either writes (the race a count read first would lose)
    workspace_id = workspace[0]
    _new_key(api)
    ids = [key["id"] for key in _listed(api)]
    both_read = threading.Barrier(2, timeout=10)
    read = ApiKeyItem.get

    def read_then_wait(*args: Any, **kwargs: Any) -> ApiKeyItem:
        item = read(*args, **kwargs)
        both_read.wait()
        return item

    monkeypatch.setattr(ApiKeyItem, "get", read_then_wait)
    # moto, unlike DynamoDB, does not isolate concurrent transactions from each other:
    # run them one at a time, as DynamoDB serializes transactions on the same items.
    one_at_a_time = threading.Lock()
    transact = Connection.transact_write_items

    def serialized(self: Connection, *args: Any, **kwargs: Any) -> Any:
        with one_at_a_time:
            return transact(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", serialized)
    outcomes: dict[str, str] = {}

    def delete(key_id: str) -> None:
        try:
            DynamoKeyStore().delete_key(workspace_id, key_id)
            outcomes[key_id] = "deleted"
        except LastKey:
            outcomes[key_id] = "last_key"
        except NotFound:
            outcomes[key_id] = "not_found"

    # When both delete at once
    threads = [threading.Thread(target=delete, args=(key_id,)) for key_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    monkeypatch.undo()
    # Then one was deleted, the other refused as the last, and one key remains, counted
    assert sorted(outcomes.values()) == ["deleted", "last_key"]
    [kept] = [key_id for key_id, outcome in outcomes.items() if outcome == "last_key"]
    page = DynamoKeyStore().list_keys(workspace_id, limit=50, cursor=None)
    assert [key.id for key in page.items] == [kept]
    ws = WorkspaceItem.get(workspace_key(workspace_id), WORKSPACE_SORT_KEY)
    assert ws.key_count == 1


# Keys made before keys were listed: an item under the key's hash only, with no id or
# prefix, and a workspace with no count of its keys.


def _legacy_workspace(workspace_id: str, api_keys: list[str], *, now: str) -> None:
    WorkspaceItem(
        workspace_key(workspace_id),
        WORKSPACE_SORT_KEY,
        workspace_id=workspace_id,
        name="Old AB",
        created_at=now,
    ).save()
    for api_key in api_keys:
        ApiKeyItem(
            api_key_key(hash_api_key(api_key)),
            API_KEY_SORT_KEY,
            workspace_id=workspace_id,
            name="first key",
            created_at=now,
        ).save()


OLD_KEY, OLD_SECOND_KEY = "jt_oldkeyoldkeyoldkey", "jt_secondoldsecondold"


def test_a_key_made_before_keys_were_listed_works_and_lists_itself(api: Client, aws: Any) -> None:
    # Given a workspace whose keys were made before this version
    _legacy_workspace("0123old", [OLD_KEY, OLD_SECOND_KEY], now="2026-01-02T03:04:05.000Z")
    old = Client(api.dispatcher, OLD_KEY)
    # Then its key still works
    assert old.get("/api/jobs").status == 200
    # and once it lists the keys it is listed with its prefix (the other old key waits for
    # the backfill, which is the only way to find a key by its workspace)
    [listed] = old.get(KEYS).json()["items"]
    assert listed["prefix"] == "jt_old"
    assert (listed["name"], listed["created_at"]) == ("first key", "2026-01-02T03:04:05.000Z")
    # and listing again adopts nothing twice
    assert old.get(KEYS).json()["items"] == [listed]
    assert WorkspaceItem.get(workspace_key("0123old"), WORKSPACE_SORT_KEY).key_count == 1
    # and as its workspace's only listed key it is the last one
    assert _delete(old, listed["id"]).error_code == "last_key"


def test_the_backfill_lists_every_old_key_once_and_counts_them(api: Client, aws: Any) -> None:
    _legacy_workspace("0123old", [OLD_KEY, OLD_SECOND_KEY], now="2026-01-02T03:04:05.000Z")
    old = Client(api.dispatcher, OLD_KEY)
    # When the backfill runs (twice), and the old key then lists the keys
    assert backfill_keys().as_dict() == {"adopted": 2, "already_listed": 0, "orphaned": 0}
    assert backfill_keys().as_dict() == {"adopted": 0, "already_listed": 0, "orphaned": 0}
    listed = old.get(KEYS).json()["items"]
    # Then both are listed once; the one in use has its prefix, the other none yet
    assert sorted(key["prefix"] or "" for key in listed) == ["", "jt_old"]
    assert WorkspaceItem.get(workspace_key("0123old"), WORKSPACE_SORT_KEY).key_count == 2
    # and one of them may be deleted, and then not the other
    [other] = [key for key in listed if key["prefix"] is None]
    assert _delete(old, other["id"]).status == 204
    [mine] = old.get(KEYS).json()["items"]
    assert _delete(old, mine["id"]).error_code == "last_key"
    # and workspaces made by this version were left alone
    assert len(_listed(api)) == 1


def test_a_new_key_of_an_old_workspace_counts_from_the_keys_it_lists(api: Client, aws: Any) -> None:
    # Given an old workspace whose key has not listed the keys, and a new key made for it
    _legacy_workspace("0123old", [OLD_KEY], now="2026-01-02T03:04:05.000Z")
    old = Client(api.dispatcher, OLD_KEY)
    created = old.post(KEYS, {"name": "ci"}).json()
    # Then the new key is the only one it counts until the old one is listed: refused as
    # the last (the old key works but could not be counted without its text)
    ci = Client(api.dispatcher, created["api_key"])
    assert _delete(ci, created["id"]).error_code == "last_key"
    assert len(old.get(KEYS).json()["items"]) == 2
    assert _delete(ci, created["id"]).status == 204


def test_an_old_key_without_a_name_is_listed_by_a_default_one(api: Client, aws: Any) -> None:
    _legacy_workspace("0123old", [], now="2026-01-02T03:04:05.000Z")
    aws.put_item(
        TableName="jobtrail-main",
        Item={
            "pk": {"S": api_key_key(hash_api_key(OLD_KEY))},
            "sk": {"S": API_KEY_SORT_KEY},
            "workspace_id": {"S": "0123old"},
            "created_at": {"S": "2026-01-02T03:04:05.000Z"},
        },
    )
    old = Client(api.dispatcher, OLD_KEY)
    assert old.get("/api/jobs").status == 200
    [listed] = old.get(KEYS).json()["items"]
    assert (listed["name"], listed["prefix"]) == ("first key", "jt_old")
