"""The parts of the local runtime that stand in for AWS services: the stream pump (Lambda's
event source mapping), the timer (EventBridge) and the scheduled housekeeping."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.local.functions import LocalFunctions
from infra.local.timer import Timer
from jobtrail.store import clicks as click_store
from jobtrail.store.models import SaltItem
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, stream_pump


def _click_times(api: Client, times: int) -> list[str]:
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]
    locations = [
        api.request("GET", f"/{slug}", headers={"user-agent": "Mozilla/5.0"}, api_key=None).headers[
            "location"
        ]
        for _ in range(times)
    ]
    return [location.rsplit("jt_click=", 1)[1] for location in locations]


def test_the_pump_feeds_each_click_to_the_consumer_as_lambda_would(
    api: Client, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five clicks and a consumer that takes batches of two
    click_ids = _click_times(api, 5)
    batches: list[list[dict[str, Any]]] = []
    events: list[dict[str, Any]] = []
    invoke = functions.invoke

    def recording(name: str, event: Any = None) -> Any:
        if name == "aggregator":
            batches.append(event["Records"])
            events.append(event)
        return invoke(name, event)

    monkeypatch.setattr(functions, "invoke", recording)
    pump = stream_pump(functions, batch_size=2)
    # When the pump runs until the stream is drained
    while pump.pump_once():
        pass
    # Then every click arrives once, in order, as a DynamoDB stream record with its source
    records = [record for batch in batches for record in batch]
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [r["dynamodb"]["NewImage"]["click_id"]["S"] for r in records] == click_ids
    assert {r["eventName"] for r in records} == {"INSERT"}
    stream = boto3.client("dynamodb").describe_table(TableName="jobtrail-events")["Table"]
    assert {r["eventSourceARN"] for r in records} == {stream["LatestStreamArn"]}
    # in the tumbling window's event, which names the shard the batch comes from
    shards = boto3.client("dynamodbstreams").describe_stream(StreamArn=stream["LatestStreamArn"])[
        "StreamDescription"
    ]["Shards"]
    assert {e["shardId"] for e in events} <= {shard["ShardId"] for shard in shards}
    assert all(e["state"] == {} and e["window"]["start"] < e["window"]["end"] for e in events)
    assert pump.pump_once() == 0


def test_a_pump_started_where_an_earlier_one_stopped_delivers_only_what_came_after(
    api: Client, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three clicks delivered by a pump that then stops (make run stopped)
    _click_times(api, 3)
    earlier = stream_pump(functions)
    while earlier.pump_once():
        pass
    delivered: list[str] = []
    invoke = functions.invoke

    def recording(name: str, event: Any = None) -> Any:
        if name == "aggregator":
            delivered.extend(r["dynamodb"]["NewImage"]["click_id"]["S"] for r in event["Records"])
        return invoke(name, event)

    monkeypatch.setattr(functions, "invoke", recording)
    # When a new pump starts from the earlier one's positions, and one more click comes
    later = stream_pump(functions, positions=earlier.positions)
    assert later.pump_once() == 0
    [click_id] = _click_times(api, 1)
    # Then it delivers that click alone: none of the first three a second time
    while later.pump_once():
        pass
    assert delivered == [click_id]


def test_records_a_consumer_reports_failed_are_delivered_again(
    api: Client, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a consumer that fails the second record of its first batch once
    _click_times(api, 3)
    seen: list[str] = []
    invoke = functions.invoke

    def failing_once(name: str, event: Any = None) -> Any:
        if name != "aggregator":
            return invoke(name, event)
        ids = [r["dynamodb"]["NewImage"]["click_id"]["S"] for r in event["Records"]]
        seen.extend(ids)
        if len(seen) == 3:
            sequence = event["Records"][1]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": sequence}], "state": {}}
        return invoke(name, event)

    monkeypatch.setattr(functions, "invoke", failing_once)
    # When the pump delivers the batch
    stream_pump(functions).pump_once()
    # Then the failed record and those after it come again, the first one does not
    assert len(seen) == 5
    assert seen[3:] == seen[1:3]


def test_an_answer_without_a_state_is_a_failure_as_with_a_tumbling_window(
    api: Client, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a consumer that once answers without the state Lambda requires of it
    _click_times(api, 2)
    answers: list[Any] = []
    invoke = functions.invoke

    def stateless_once(name: str, event: Any = None) -> Any:
        answer = invoke(name, event)
        if name == "aggregator" and not answers:
            answer = {"batchItemFailures": []}
        answers.append(answer)
        return answer

    monkeypatch.setattr(functions, "invoke", stateless_once)
    # When the pump delivers the batch
    stream_pump(functions).pump_once()
    # Then the batch comes again, whole
    assert len(answers) == 2
    assert answers[1] == {"batchItemFailures": [], "state": {}}


def test_the_timer_runs_scheduled_functions(functions: LocalFunctions) -> None:
    ran = threading.Event()
    invoke = functions.invoke

    def noting(name: str, event: Any = None) -> Any:
        result = invoke(name, event)
        ran.set()
        return result

    functions.invoke = noting  # type: ignore[method-assign]
    timer = Timer(functions, [("housekeeping", 0.05)])
    timer.start()
    try:
        assert ran.wait(timeout=10)
    finally:
        timer.stop()
    assert timer.runs["housekeeping"] >= 1


def test_housekeeping_makes_tomorrows_salt_and_forgets_old_ones(
    aws: Any, functions: LocalFunctions, clock: FakeClock
) -> None:
    # Given salts of the last days
    today = clock.now()
    for back in range(5):
        click_store.salt_for((today - timedelta(days=back)).date())
    # When the daily housekeeping runs
    result = functions.invoke("housekeeping")
    # Then today's and tomorrow's salts exist, yesterday's is kept, older ones are gone
    days = sorted(item.pk.removeprefix("SALT#") for item in SaltItem.scan())
    assert days == [(today + timedelta(days=n)).date().isoformat() for n in (-1, 0, 1)]
    assert result["salts_forgotten"] == 3
