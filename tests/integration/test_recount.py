"""``python -m jobtrail.admin recount``: the counters of days whose stream batches the
aggregator gave up on, rebuilt from the events table.

Each test has two workspaces with a job each, and the same clicks at the same moments: the
control job's clicks are all counted, the other's lose some batches (as when a batch ends
in the dead-letter queue). After a recount of the other's workspace, the two jobs' stats,
and the two workspaces' channels, must be the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.local.functions import LocalFunctions
from jobtrail import admin
from jobtrail.store import counters as counter_store
from jobtrail.store import recount as recount_store
from jobtrail.store.key_shapes import job_stats_key, workspace_stats_key
from tests.fakes.clock import FakeClock, start_moment
from tests.integration.conftest import JOB, Client, stream_pump

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
# A morning at the suite's start moment, so that the dates runs recount a month's end too.
DAY_ONE = start_moment().replace(hour=9, minute=0, second=0, microsecond=0)
DAY_TWO = DAY_ONE + timedelta(days=1)
STATS_RANGE = f"from={DAY_ONE.date() - timedelta(days=4)}&to={DAY_TWO.date() + timedelta(days=1)}"
TABLES = ["--main-table", "jobtrail-main", "--events-table", "jobtrail-events"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DAY_ONE)


class World:
    """Two jobs with the same clicks; the stream's records one per batch, delivered or
    lost at the test's choice."""

    def __init__(
        self, api: Client, control_api: Client, functions: LocalFunctions, clock: FakeClock
    ) -> None:
        self.api, self.control_api, self.functions, self.clock = api, control_api, functions, clock
        self.control = control_api.post("/api/jobs", JOB).json()
        self.job = api.post("/api/jobs", JOB).json()
        self.pump = stream_pump(functions, batch_size=1)
        self.waiting: list[dict[str, Any]] = []
        self.workspace_id = ""
        self.recorded = 0  # records of the recounted job read from the stream so far
        self.pump._deliver = lambda shard, records: self.waiting.append(  # type: ignore[method-assign]
            self.pump.event(shard, records)
        )

    def click(self, channel: int, *, ip: str, agent: str = CHROME, **headers: str) -> None:
        """The same click on both jobs' link of a channel, a minute after the last."""
        self.clock.advance(60)
        for job in (self.control, self.job):
            reply = self.api.dispatcher.request(
                "GET",
                f"/{job['links'][channel]['slug']}",
                headers={"user-agent": agent, **headers},
                source_ip=ip,
            )
            assert reply["statusCode"] == 302

    def visits(self) -> None:
        """A morning's clicks: two people (one twice, one on both channels), a preview
        and a robot, on two days."""
        self.click(0, ip="203.0.113.7", referer="https://t.co/x")
        self.click(0, ip="198.51.100.9", agent=IPHONE, **{"cloudfront-viewer-country": "SE"})
        self.click(0, ip="203.0.113.50", agent="Twitterbot/1.0")
        self.click(1, ip="203.0.113.7")
        self.click(0, ip="203.0.113.7", referer="https://t.co/x")
        self.click(1, ip="203.0.113.51", agent="curl/8.5.0")
        self.clock.set(DAY_TWO)
        self.click(1, ip="198.51.100.9", agent=IPHONE)
        self.click(0, ip="203.0.113.52", agent="Twitterbot/1.0")

    def read_stream(self) -> None:
        while self.pump.pump_once():
            pass

    def deliver(self, *, losing: Callable[[int], bool] = lambda n: False) -> None:
        """Count the waiting records of both jobs, but lose those of the recounted job for
        which ``losing(n)`` holds (n: its records so far)."""
        self.read_stream()
        for event in self.waiting:
            image = event["Records"][0]["dynamodb"]["NewImage"]
            if image["job_id"]["S"] == self.job["id"]:
                self.recorded += 1
                if losing(self.recorded - 1):
                    continue
            answer = self.functions.invoke("aggregator", event)
            assert answer == {"batchItemFailures": [], "state": {}}
        self.waiting.clear()

    def stats(self, job: dict[str, Any]) -> Any:
        api = self.control_api if job is self.control else self.api
        reply = api.get(
            f"/api/jobs/{job['id']}/stats",
            query=STATS_RANGE,
        )
        assert reply.status == 200, reply.text
        stats = reply.json()
        del stats["job_id"]
        for link in stats["by_link"]:
            link["slug"] = link["channel"]  # the two jobs' slugs differ, nothing else
        return stats

    def channels(self, api: Client) -> Any:
        """A workspace's channels compared."""
        reply = api.get("/api/stats/channels")
        assert reply.status == 200, reply.text
        return reply.json()


@pytest.fixture
def world(
    api: Client,
    other_api: Client,
    functions: LocalFunctions,
    clock: FakeClock,
    workspace: tuple[str, str],
) -> World:
    made = World(api, other_api, functions, clock)
    made.workspace_id = workspace[0]
    return made


def _recount(world: World) -> int:
    """Recount the days of the job that lost clicks (the control job's are all counted)."""
    days = ["--from", DAY_ONE.date().isoformat(), "--to", DAY_TWO.date().isoformat()]
    return admin.main(["recount", *TABLES, *days, "--job", world.job["id"]], clock=world.clock)


def _counters(world: World) -> list[dict[str, Any]]:
    """Every counter item of the recounted job and its workspace, raw."""
    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for pk in (job_stats_key(world.job["id"]), workspace_stats_key(world.workspace_id)):
        items += client.query(
            TableName="jobtrail-main",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _exact(world: World) -> None:
    """The recounted job's stats are the control job's, and so are its workspace's
    channels."""
    assert world.stats(world.job) == world.stats(world.control)
    assert world.channels(world.api) == world.channels(world.control_api)


def test_a_recount_rebuilds_the_days_of_lost_batches_exactly(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a day of clicks whose first visitor's first click, the first preview and a
    # robot's fetch were in batches the aggregator gave up on
    world.visits()
    world.deliver(losing=lambda n: n in (0, 2, 5))
    lost = world.stats(world.job)
    assert lost != world.stats(world.control)
    # When the operator recounts those days
    capsys.readouterr()
    assert _recount(world) == 0
    printed = capsys.readouterr().out
    # Then the job's stats are those of the job whose clicks were all counted: totals,
    # days, channels, links, referrers, countries, devices, robots, unique visitors and
    # the preview's first sight
    _exact(world)
    assert world.stats(world.job)["previews"]["x"]["first_seen"].startswith(
        f"{DAY_ONE.date()}T09:03"
    )
    assert '"rebuilt": [' in printed


def test_a_second_recount_changes_nothing(world: World) -> None:
    world.visits()
    world.deliver(losing=lambda n: n in (1, 3))
    assert _recount(world) == 0
    once = _counters(world)
    assert _recount(world) == 0
    assert _counters(world) == once
    _exact(world)


def test_records_still_waiting_to_be_counted_are_not_counted_twice(world: World) -> None:
    # Given lost batches, and clicks the aggregator has not got to yet when the recount
    # runs (they are in the stream, and it counts them afterwards)
    world.visits()
    world.deliver(losing=lambda n: n == 0)
    world.click(0, ip="192.0.2.1")
    world.click(0, ip="203.0.113.7", referer="https://t.co/x")
    assert _recount(world) == 0
    world.deliver()
    # Then every click counts once
    _exact(world)


def test_a_recount_while_the_aggregator_counts_new_clicks_ends_exact(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given lost batches of two days
    world.visits()
    world.deliver(losing=lambda n: n in (0, 4))
    # When new clicks of the same day come while the recount runs: after it has read the
    # events table, and (counted at once) between its reading a counter and writing it
    events, rebuild = recount_store._events, recount_store._rebuild
    rebuilt: list[int] = []

    def scan_then_click(*args: Any) -> Any:
        found = events(*args)
        world.click(0, ip="192.0.2.1")
        world.click(1, ip="198.51.100.9", agent=IPHONE)
        return found

    def click_and_count_first(*args: Any, **kwargs: Any) -> Any:
        if not rebuilt:
            world.click(0, ip="192.0.2.2")
            world.click(0, ip="203.0.113.7", referer="https://t.co/x")
            world.deliver()
        rebuilt.append(1)
        return rebuild(*args, **kwargs)

    monkeypatch.setattr(recount_store, "_events", scan_then_click)
    monkeypatch.setattr(recount_store, "_rebuild", click_and_count_first)
    assert _recount(world) == 0
    world.deliver()
    # Then the recounted job's stats are exact: no click lost, none counted twice
    _exact(world)
    assert world.stats(world.job)["clicks"]["total"] == 12


def test_a_day_whose_events_have_expired_is_left_as_it_is(
    world: World, aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given counted clicks of which some events are gone, from the table and from the
    # stream (their retention is over, and TTL is removing them)
    world.visits()
    world.deliver()
    before = _counters(world)
    events = aws.scan(TableName="jobtrail-events")["Items"]
    for item in [i for i in events if i["job_id"]["S"] == world.job["id"]][::2]:
        aws.delete_item(TableName="jobtrail-events", Key={"click_id": item["click_id"]})
    take = recount_store._Stream._take

    def past_the_stream(self: Any, shard: str, records: list[dict[str, Any]]) -> None:
        take(self, shard, [r for r in records if r["eventName"] != "INSERT"])

    monkeypatch.setattr(recount_store._Stream, "_take", past_the_stream)
    world.clock.set(DAY_TWO + timedelta(days=2))  # past the stream's 24 hours
    # When the days are recounted
    capsys.readouterr()
    assert _recount(world) == 0
    # Then no counter is lowered, and the operator is told why
    assert _counters(world) == before
    assert "expired" in capsys.readouterr().err


def test_a_counter_the_aggregator_writes_to_while_the_recount_computes_it_ends_exact(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given lost batches, and a robot's fetch counted right after the recount has read the
    # counter it adds to (and no other)
    world.visits()
    world.deliver(losing=lambda n: n in (0, 6))
    counts_of = recount_store.counts_of
    read: list[str] = []

    def read_then_count_a_click(item: Any) -> Any:
        if not read:  # the first counter: the job's first day
            world.clock.set(DAY_ONE + timedelta(minutes=40))
            world.click(0, ip="192.0.2.3", agent="curl/8.5.0")
            world.deliver()
        read.append(json.dumps(item.get("sk")))
        return counts_of(item)

    monkeypatch.setattr(recount_store, "counts_of", read_then_count_a_click)
    # When the recount writes that counter
    assert _recount(world) == 0
    # Then it saw the counter move, read on, and the click counts once
    _exact(world)
    assert len(read) > len(set(read))  # it read a counter again


def test_a_visitor_the_aggregator_is_crediting_during_the_recount_counts_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a visitor whose first click of a day was lost
    world.visits()
    world.deliver(losing=lambda n: n == 1)
    # When they come back that day while the recount runs, and the aggregator has claimed
    # them as a new visitor but not written the counters yet (the batch will be retried)
    decide = recount_store._visitor_is_ours
    retried: list[dict[str, Any]] = []

    def come_back_first(*args: Any, **kwargs: Any) -> Any:
        if not retried:
            world.clock.set(DAY_ONE + timedelta(minutes=30))
            world.click(0, ip="198.51.100.9", agent=IPHONE)
            world.read_stream()
            with monkeypatch.context() as failing:
                failing.setattr(counter_store, "_update", _fail)
                for event in world.waiting:
                    answer = world.functions.invoke("aggregator", event)
                    assert answer["batchItemFailures"]
            retried.extend(world.waiting)
            world.waiting.clear()
        return decide(*args, **kwargs)

    monkeypatch.setattr(recount_store, "_visitor_is_ours", come_back_first)
    assert _recount(world) == 0
    for event in retried:
        assert world.functions.invoke("aggregator", event) == {"batchItemFailures": [], "state": {}}
    # Then they are one visitor of that day, counted once
    _exact(world)


def _fail(*args: Any, **kwargs: Any) -> int:
    raise RuntimeError("throttled")
