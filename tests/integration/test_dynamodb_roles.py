"""The functions' DynamoDB calls, recorded in the integration tests, are checked against
their roles (``conftest.pytest_sessionfinish``); these tests prove the recording and the
check see what they must."""

from __future__ import annotations

from infra.local.functions import LocalFunctions
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client
from tests.integration.dynamodb_calls import Call, Recorder, calls_of, violations

TABLES = {"jobtrail-main": "MainTable", "jobtrail-events": "EventsTable"}


def test_a_click_records_the_redirects_calls_with_the_items_they_name(
    api: Client, clock: FakeClock, dynamodb_calls: Recorder
) -> None:
    # Given a job's link
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]

    # When a visitor clicks it on a day without a salt yet
    assert api.get(f"/{slug}", api_key=None).status == 302

    # Then the redirect's reads, its salt's put and the click's put are recorded as its own
    day = clock.now().date().isoformat()
    assert {
        Call("redirect", "dynamodb:PutItem", "MainTable", f"SALT#{day}"),
        Call("redirect", "dynamodb:PutItem", "EventsTable", None),
    } <= {
        call if call.table == "MainTable" else Call(call.function, call.action, call.table, None)
        for call in dynamodb_calls.calls
    }


def test_housekeeping_is_recorded_on_salts_only(
    functions: LocalFunctions, clock: FakeClock, dynamodb_calls: Recorder
) -> None:
    # When housekeeping runs, and again days later, when it forgets the old salts
    functions.invoke("housekeeping")
    clock.advance(3 * 86400)
    assert functions.invoke("housekeeping")["salts_forgotten"] >= 1

    # Then every call it made names a salt
    mine = {call for call in dynamodb_calls.calls if call.function == "housekeeping"}
    assert {call.action for call in mine} == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    }
    assert all(call.leading_key and call.leading_key.startswith("SALT#") for call in mine)


def test_a_call_beyond_the_role_is_reported() -> None:
    # Given calls no role allows: the redirect putting a link, housekeeping deleting a
    # workspace's key, the aggregator scanning
    calls = {
        *calls_of(
            "redirect",
            "PutItem",
            {"TableName": "jobtrail-main", "Item": {"pk": {"S": "SLUG#abc"}}},
            TABLES,
        ),
        *calls_of(
            "housekeeping",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Delete": {"TableName": "jobtrail-main", "Key": {"pk": {"S": "KEY#k"}}}}
                ]
            },
            TABLES,
        ),
        *calls_of("aggregator", "Scan", {"TableName": "jobtrail-events"}, TABLES),
    }

    # When they are checked
    found = violations(calls)

    # Then each is named, with what it did
    assert len(found) == 3
    assert any("redirect" in line and "SLUG#abc" in line for line in found)
    assert any("housekeeping" in line and "KEY#k" in line for line in found)
    assert any("aggregator called dynamodb:Scan on EventsTable" in line for line in found)


def test_a_transaction_is_checked_item_by_item() -> None:
    # A transaction needs the action of each of its items, as IAM authorizes it
    calls = calls_of(
        "api",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "jobtrail-main", "Item": {"pk": {"S": "JOB#1"}}}},
                {"ConditionCheck": {"TableName": "jobtrail-main", "Key": {"pk": {"S": "WS#1"}}}},
            ]
        },
        TABLES,
    )
    assert [call.action for call in calls] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]
    assert violations(set(calls)) == []
