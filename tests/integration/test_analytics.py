"""Click analytics as a recruiter sees them: clicks go through the events table's stream
into counters, and the stats read the counters."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.local.functions import LocalFunctions
from jobtrail.domain.counters import TAIL_LIMIT
from jobtrail.domain.stats import OTHER_SHOWN
from jobtrail.domain.times import iso
from jobtrail.store import counters as counter_store
from jobtrail.store.key_shapes import day_key, job_stats_key
from tests.fakes.clock import FakeClock, start_moment
from tests.integration.conftest import JOB, ORIGIN_SECRET, Client, stream_pump

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
# Where the functions' clock starts (``clock``): every date below is counted from it, so
# that the suite passes whatever day it is run on (``make test`` runs it on several).
TODAY = start_moment()


def _day(offset: int = 0) -> str:
    return (TODAY + timedelta(days=offset)).date().isoformat()


@pytest.fixture
def job(api: Client, clock: FakeClock) -> dict[str, Any]:
    return dict(api.post("/api/jobs", JOB).json())


def _click(
    api: Client,
    slug: str,
    *,
    ip: str = "203.0.113.7",
    agent: str = CHROME,
    method: str = "GET",
    **headers: str,
) -> None:
    reply = api.dispatcher.request(
        method, f"/{slug}", headers={"user-agent": agent, **headers}, source_ip=ip
    )
    assert reply["statusCode"] == 302


def _stream_events(functions: LocalFunctions) -> list[dict[str, Any]]:
    """The batches Lambda would deliver now, without delivering them."""
    batches: list[dict[str, Any]] = []
    pump = stream_pump(functions)
    pump._deliver = lambda shard, records: batches.append(  # type: ignore[method-assign]
        pump.event(shard, records)
    )
    while pump.pump_once():
        pass
    return batches


def _aggregate(functions: LocalFunctions) -> None:
    for event in _stream_events(functions):
        assert functions.invoke("aggregator", event) == {"batchItemFailures": [], "state": {}}


def _stats(api: Client, job: dict[str, Any], query: str | None = None) -> Any:
    query = query or f"from={_day(-5)}&to={_day(1)}"
    reply = api.get(f"/api/jobs/{job['id']}/stats", query=query)
    assert reply.status == 200, reply.text
    return reply.json()


def test_one_visitor_twice_in_a_day_is_two_clicks_and_one_visitor(
    api: Client, job: dict[str, Any], functions: LocalFunctions, clock: FakeClock
) -> None:
    # Given one person who clicks twice on a day and once the next day
    slug = job["links"][0]["slug"]
    _click(api, slug)
    _click(api, slug)
    clock.set(TODAY + timedelta(days=1))
    _click(api, slug)
    # When the clicks have been counted
    _aggregate(functions)
    stats = _stats(api, job)
    # Then three human clicks, one visitor a day, two in all
    assert stats["clicks"] == {"total": 3, "human": 3, "bots": 0, "unique_visitors": 2}
    days = {d["date"]: d for d in stats["by_day"]}
    assert days[_day()] == {"date": _day(), "human": 2, "bots": 0, "unique_visitors": 1}
    assert days[_day(1)]["unique_visitors"] == 1
    assert days[_day(-1)] == {"date": _day(-1), "human": 0, "bots": 0, "unique_visitors": 0}
    assert len(stats["by_day"]) == 7


@pytest.mark.settings(origin_secret=ORIGIN_SECRET)
def test_robots_and_previews_are_counted_apart(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    twitter, linkedin = job["links"][0]["slug"], job["links"][1]["slug"]
    _click(api, twitter, referer="https://t.co/xyz")
    # Through the stack's CloudFront, which adds the viewer's country and the origin secret
    cloudfront = {"cloudfront-viewer-country": "SE", "x-jobtrail-origin-secret": ORIGIN_SECRET}
    _click(api, twitter, ip="198.51.100.9", agent=IPHONE, **cloudfront)
    _click(api, twitter, agent="Twitterbot/1.0")
    _click(
        api,
        linkedin,
        agent="LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    )
    _click(api, linkedin, method="HEAD")
    _click(api, linkedin, agent="curl/8.5.0")
    _aggregate(functions)
    stats = _stats(api, job)
    assert stats["clicks"] == {"total": 6, "human": 2, "bots": 4, "unique_visitors": 2}
    assert stats["by_channel"] == [
        {
            "channel": "twitter",
            "human": 2,
            "bots": 1,
            "unique_visitors": 2,
            "applications": 0,
            "hires": 0,
        },
        {
            "channel": "linkedin",
            "human": 0,
            "bots": 3,
            "unique_visitors": 0,
            "applications": 0,
            "hires": 0,
        },
    ]
    assert stats["previews"]["x"]["hits"] == 1
    assert stats["previews"]["x"]["first_seen"].startswith(iso(TODAY)[:16])
    assert stats["previews"]["linkedin"]["hits"] == 1
    assert stats["bots_by_class"] == {"bot": 2, "preview:linkedin": 1, "preview:x": 1}
    assert {r["referrer"]: r["human"] for r in stats["by_referrer"]} == {"t.co": 1, None: 1}
    assert {r["country"]: r["human"] for r in stats["by_country"]} == {"SE": 1, None: 1}
    assert {r["device"]: r["human"] for r in stats["by_device"]} == {"desktop": 1, "mobile": 1}
    assert {r["slug"]: (r["channel"], r["human"], r["bots"]) for r in stats["by_link"]} == {
        twitter: ("twitter", 2, 1),
        linkedin: ("linkedin", 0, 3),
    }


def test_a_persons_link_shows_in_by_sharer(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    link = api.post(
        f"/api/jobs/{job['id']}/links", {"channel": "linkedin", "sharer": "anna"}
    ).json()
    _click(api, link["slug"])
    _click(api, job["links"][0]["slug"])
    _aggregate(functions)
    assert _stats(api, job)["by_sharer"] == [
        {"sharer": None, "person_id": None, "human": 1, "bots": 0, "applications": 0, "hires": 0},
        {"sharer": "anna", "person_id": None, "human": 1, "bots": 0, "applications": 0, "hires": 0},
    ]


def _totals(job: dict[str, Any]) -> dict[str, Any]:
    """Every counter of the job (its days, spans and previews), fences and all, to compare
    one delivery with another."""
    items = boto3.client("dynamodb").query(
        TableName="jobtrail-main",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": job_stats_key(job["id"])}},
        ConsistentRead=True,
    )["Items"]
    assert items
    return {item["sk"]["S"]: item for item in items}


def test_a_batch_delivered_twice_counts_once(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    for n in range(3):
        _click(api, job["links"][0]["slug"], ip=f"203.0.113.{n}")
    (event,) = _stream_events(functions)
    functions.invoke("aggregator", copy.deepcopy(event))
    once = _totals(job)
    functions.invoke("aggregator", copy.deepcopy(event))
    assert _totals(job) == once
    assert _stats(api, job)["clicks"] == {"total": 3, "human": 3, "bots": 0, "unique_visitors": 3}


def test_a_poison_record_is_reported_alone_and_the_others_count_once(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    # Given a batch whose second record is not a click this code can read
    for n in range(4):
        _click(api, job["links"][0]["slug"], ip=f"203.0.113.{n}")
    (event,) = _stream_events(functions)
    poison = event["Records"][1]
    del poison["dynamodb"]["NewImage"]["job_id"]
    # When it is delivered, and Lambda retries from the failed record
    answer = functions.invoke("aggregator", copy.deepcopy(event))
    retry = {**event, "Records": copy.deepcopy(event["Records"][1:])}
    again = functions.invoke("aggregator", retry)
    # Then only that record is reported, each time, and the others count exactly once
    sequence = poison["dynamodb"]["SequenceNumber"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence}], "state": {}}
    assert again == answer
    assert _stats(api, job)["clicks"] == {"total": 3, "human": 3, "bots": 0, "unique_visitors": 3}


def _counter_writes_fail_after(
    monkeypatch: pytest.MonkeyPatch, writes: int, error: str
) -> Callable[[], None]:
    """Counter updates fail with ``error`` after the first ``writes``; answers what ends
    the fault."""
    update = counter_store._update
    done: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> int:
        if len(done) >= writes:
            raise RuntimeError(error)
        done.append(1)
        return update(*args, **kwargs)

    monkeypatch.setattr(counter_store, "_update", failing)
    return lambda: monkeypatch.setattr(counter_store, "_update", update)


def test_a_crash_half_way_through_the_writes_then_a_retry_counts_exactly(
    api: Client, job: dict[str, Any], functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch of clicks from two visitors on two channels
    for n, slug in enumerate([job["links"][0]["slug"], job["links"][1]["slug"]] * 2):
        _click(api, slug, ip=f"198.51.100.{n % 2}")
    (event,) = _stream_events(functions)
    # When the counter writes fail half way
    mended = _counter_writes_fail_after(monkeypatch, 1, "throttled")
    answer = functions.invoke("aggregator", copy.deepcopy(event))
    first = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": first}], "state": {}}
    partial = _stats(api, job)["clicks"]
    # And Lambda retries the batch, now with one more click behind it
    mended()
    _click(api, job["links"][0]["slug"], ip="198.51.100.7")
    (stream,) = _stream_events(functions)
    seen = {r["eventID"] for r in event["Records"]}
    later = [r for r in stream["Records"] if r["eventID"] not in seen]
    assert len(later) == 1
    retried = {**event, "Records": copy.deepcopy(event["Records"]) + later}
    assert functions.invoke("aggregator", retried) == {"batchItemFailures": [], "state": {}}
    # Then every click counts exactly once
    assert partial != {"total": 5, "human": 5, "bots": 0, "unique_visitors": 3}
    stats = _stats(api, job)
    assert stats["clicks"] == {"total": 5, "human": 5, "bots": 0, "unique_visitors": 3}
    assert {c["channel"]: c["human"] for c in stats["by_channel"]} == {"twitter": 3, "linkedin": 2}


def test_a_viral_batch_makes_one_write_per_counter(
    api: Client, job: dict[str, Any], functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(50):
        _click(api, job["links"][0]["slug"])
    (event,) = _stream_events(functions)
    writes: list[str] = []
    update = counter_store._update
    monkeypatch.setattr(
        counter_store, "_update", lambda key, *a: writes.append(str(key)) or update(key, *a)
    )
    functions.invoke("aggregator", event)
    assert len(event["Records"]) == 50
    assert len(writes) == len(set(writes))
    assert _stats(api, job)["clicks"]["human"] == 50


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-11-26&to=2026-11-20", "invalid_range"),
        ("from=2024-01-01&to=2026-11-20", "invalid_range"),
    ],
)
def test_a_bad_range_is_400(api: Client, job: dict[str, Any], query: str, code: str) -> None:
    reply = api.get(f"/api/jobs/{job['id']}/stats", query=query)
    assert reply.status == 400
    assert reply.error_code == code


def test_a_malformed_date_is_422(api: Client, job: dict[str, Any]) -> None:
    assert api.get(f"/api/jobs/{job['id']}/stats", query="from=yesterday").status == 422


def test_the_default_range_is_the_last_30_days(api: Client, job: dict[str, Any]) -> None:
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert (stats["from"], stats["to"], len(stats["by_day"])) == (_day(-29), _day(), 30)


def test_another_workspaces_stats_are_404(
    api: Client, other_api: Client, job: dict[str, Any]
) -> None:
    assert other_api.get(f"/api/jobs/{job['id']}/stats").status == 404


def test_channels_compared_across_jobs(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    second = api.post("/api/jobs", {**JOB, "channels": ["twitter"]}).json()
    api.post(f"/api/jobs/{second['id']}/links", {"channel": "mail"})
    _click(api, job["links"][0]["slug"], ip="203.0.113.1")
    _click(api, second["links"][0]["slug"], ip="203.0.113.1")
    _click(api, second["links"][0]["slug"], ip="203.0.113.2")
    _click(api, job["links"][1]["slug"], agent="Twitterbot/1.0")
    _aggregate(functions)
    items = api.get("/api/stats/channels").json()["items"]
    assert items == [
        {
            "channel": "twitter",
            "jobs": 2,
            "human": 3,
            "unique_visitors": 3,
            "shares": 0,
            "applications": 0,
            "hires": 0,
        },
        {
            "channel": "linkedin",
            "jobs": 1,
            "human": 0,
            "unique_visitors": 0,
            "shares": 0,
            "applications": 0,
            "hires": 0,
        },
        {
            "channel": "mail",
            "jobs": 1,
            "human": 0,
            "unique_visitors": 0,
            "shares": 0,
            "applications": 0,
            "hires": 0,
        },
    ]


def test_visitor_markers_outlive_their_day_so_late_clicks_do_not_count_twice(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    from jobtrail.store.models import VisitorMarker

    _click(api, job["links"][0]["slug"])
    _aggregate(functions)
    markers = list(VisitorMarker.scan(VisitorMarker.pk.startswith("VIS#")))
    assert len(markers) == 2  # the job's and the channel's
    assert all(m.expires_at >= TODAY + timedelta(days=30) for m in markers)


def _one_click_per_batch(functions: LocalFunctions) -> list[dict[str, Any]]:
    """Each waiting record in its own event, as Lambda delivers a trickle of clicks."""
    return [
        {**event, "Records": [record]}
        for event in _stream_events(functions)
        for record in event["Records"]
    ]


def test_a_trickle_of_clicks_leaves_one_fence_per_shard_on_each_counter(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    # Given 30 clicks that Lambda delivers one per batch, from two shards of the stream
    for n in range(30):
        _click(api, job["links"][n % 2]["slug"], ip=f"203.0.113.{n}")
    events = _one_click_per_batch(functions)
    for n, event in enumerate(events):
        event["shardId"] = f"shardId-0000000179559720000{n % 2}-4f2a9c1e"
    # When each batch is counted
    for event in events:
        assert functions.invoke("aggregator", event)["batchItemFailures"] == []
    # Then every click counts, and no counter carries more than a fence per shard, however
    # many batches wrote to it (a fence per batch would outgrow DynamoDB's item size)
    assert _stats(api, job)["clicks"] == {
        "total": 30,
        "human": 30,
        "bots": 0,
        "unique_visitors": 30,
    }
    fences = {
        key: sorted(name for name in item if name.startswith("f_"))
        for key, item in _totals(job).items()
    }
    assert fences.pop(day_key(_day())) == [
        "f_00000001795597200000-4f2a9c1e",
        "f_00000001795597200001-4f2a9c1e",
    ]
    assert not any(fences.values())  # spans kept by the stats request have none


def test_a_crash_then_lambda_halving_the_batch_counts_exactly(
    api: Client, job: dict[str, Any], functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch of six clicks whose counter writes crash after the first few
    for n in range(6):
        _click(api, job["links"][n % 2]["slug"], ip=f"198.51.100.{n}")
    (event,) = _stream_events(functions)
    mended = _counter_writes_fail_after(monkeypatch, 3, "Task timed out")
    functions.invoke("aggregator", copy.deepcopy(event))
    mended()
    # When Lambda bisects it (BisectBatchOnFunctionError) and delivers each half
    records = event["Records"]
    for half in (records[:3], records[3:]):
        answer = functions.invoke("aggregator", {**copy.deepcopy(event), "Records": half})
        assert answer["batchItemFailures"] == []
    # Then every click counts exactly once
    stats = _stats(api, job)
    assert stats["clicks"] == {"total": 6, "human": 6, "bots": 0, "unique_visitors": 6}
    assert {c["channel"]: c["human"] for c in stats["by_channel"]} == {"twitter": 3, "linkedin": 3}


def test_any_range_of_days_counts_exactly_the_clicks_of_those_days(
    api: Client, job: dict[str, Any], functions: LocalFunctions, clock: FakeClock
) -> None:
    # Given clicks on 40 consecutive days (across spans of every size), each day's own
    # number of clicks on its own channel and referrer
    first = TODAY - timedelta(days=85)
    twitter, linkedin = job["links"][0]["slug"], job["links"][1]["slug"]
    expected: dict[str, tuple[int, str]] = {}
    for n in range(40):
        clock.set(first + timedelta(days=n))
        clicks, slug = 1 + n % 2 + n % 3 // 2, (twitter if n % 3 else linkedin)
        for _ in range(clicks):
            _click(api, slug, referer=f"https://ref{n % 5}.example/")
        expected[clock.now().date().isoformat()] = (clicks, slug)
    _aggregate(functions)
    # When ranges of every shape are asked for
    for since, until in [(0, 39), (3, 36), (1, 1), (14, 33)]:
        days = [(first + timedelta(days=n)).date().isoformat() for n in (since, until)]
        stats = _stats(api, job, f"from={days[0]}&to={days[1]}")
        chosen = {d: v for d, v in expected.items() if days[0] <= d <= days[1]}
        # Then the totals, the days and every dimension are those days' clicks exactly
        total = sum(clicks for clicks, _ in chosen.values())
        assert stats["clicks"]["human"] == total
        assert {d["date"]: d["human"] for d in stats["by_day"]} == {
            d: clicks for d, (clicks, _) in chosen.items()
        }
        by_link = {slug: 0 for _, slug in chosen.values()}
        for clicks, slug in chosen.values():
            by_link[slug] += clicks
        assert {r["slug"]: r["human"] for r in stats["by_link"] if r["human"]} == by_link
        assert sum(r["human"] for r in stats["by_referrer"]) == total
        assert sum(r["unique_visitors"] for r in stats["by_channel"]) == len(chosen)


def test_stats_ask_again_for_counters_dynamodb_left_unread(
    api: Client, job: dict[str, Any], functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given clicks on two channels, counted
    _click(api, job["links"][0]["slug"])
    _click(api, job["links"][1]["slug"], ip="198.51.100.1")
    _aggregate(functions)
    # When DynamoDB, throttled, answers the first BatchGetItem with every key unprocessed
    from pynamodb.connection.table import TableConnection

    batch_get = TableConnection.batch_get_item
    asked: list[int] = []

    def throttled_once(self: Any, keys: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(len(keys))
        if len(asked) == 1:  # every key back, as DynamoDB gives them: typed
            unread = [{name: {"S": value} for name, value in key.items()} for key in keys]
            return {"Responses": {}, "UnprocessedKeys": {"jobtrail-main": {"Keys": unread}}}
        return batch_get(self, keys, *args, **kwargs)

    monkeypatch.setattr(TableConnection, "batch_get_item", throttled_once)
    stats = _stats(api, job)
    # Then the stats are still whole: the unread keys were asked for again
    assert len(asked) == 2
    assert {c["channel"]: c["human"] for c in stats["by_channel"]} == {"twitter": 1, "linkedin": 1}


def test_days_added_up_into_spans_are_kept_until_a_late_click_changes_them(
    api: Client,
    job: dict[str, Any],
    functions: LocalFunctions,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a click a day for 20 days, three months back, each counted on its day
    first = TODAY - timedelta(days=85)
    for n in range(20):
        clock.set(first + timedelta(days=n))
        _click(api, job["links"][0]["slug"])
        _aggregate(functions)
    # (and read today: which spans a range can keep depends on how old its days are)
    clock.set(TODAY)
    added_up: list[str] = []
    add_up = counter_store._add_up
    monkeypatch.setattr(
        counter_store,
        "_add_up",
        lambda pk, span, late: added_up.append(str(span)) or add_up(pk, span, late),
    )
    query = f"from={first.date().isoformat()}&to={(first + timedelta(days=19)).date()}"
    # When the same range is asked for twice
    assert _stats(api, job, query)["clicks"]["human"] == 20
    built = len(added_up)
    assert _stats(api, job, query)["clicks"]["human"] == 20
    # Then its spans were added up the first time only
    assert built >= 2
    assert len(added_up) == built
    # And when a click of one of those days is counted late (a replay, say)
    clock.set((first + timedelta(days=5)).replace(hour=23))
    _click(api, job["links"][1]["slug"], referer="https://www.linkedin.com/")
    clock.set(TODAY)
    _aggregate(functions)
    stats = _stats(api, job, query)
    # Then it shows at once: the job's kept spans are added up again, once
    assert len(added_up) == 2 * built
    assert stats["clicks"]["human"] == 21
    assert {c["channel"]: c["human"] for c in stats["by_channel"]} == {"twitter": 20, "linkedin": 1}
    assert {r["referrer"]: r["human"] for r in stats["by_referrer"]} == {
        None: 20,
        "www.linkedin.com": 1,
    }
    assert _stats(api, job, query) == stats
    assert len(added_up) == 2 * built


def test_a_days_long_tail_of_referrers_is_counted_as_other(
    api: Client, job: dict[str, Any], functions: LocalFunctions
) -> None:
    # Given a day with clicks from more referrer hosts than a day keeps, counted in two
    # batches (the second knows, from the first's answer, what the day already holds)
    slug = job["links"][0]["slug"]
    hosts = [f"news{n}.example.net" for n in range(TAIL_LIMIT + 5)]
    for n, host in enumerate(hosts[:30]):
        _click(api, slug, ip=f"198.51.100.{n}", referer=f"https://{host}/post")
    _aggregate(functions)
    for n, host in enumerate(hosts[30:], start=30):
        _click(api, slug, ip=f"198.51.100.{n}", referer=f"https://{host}/post")
    # ... and one more click from a host the day keeps
    _click(api, slug, ip="198.51.100.200", referer=f"https://{hosts[0]}/again")
    _aggregate(functions)
    stats = _stats(api, job)
    # Then the first hosts are listed, the rest under one row, and nothing is lost
    referrers = {r["referrer"]: r["human"] for r in stats["by_referrer"]}
    assert referrers == {
        **dict.fromkeys(hosts[:TAIL_LIMIT], 1),
        hosts[0]: 2,
        OTHER_SHOWN: 5,
    }
    assert stats["clicks"]["human"] == len(hosts) + 1 == sum(referrers.values())
    assert stats["by_channel"][0]["human"] == len(hosts) + 1
    # ... and the day's item holds no more referrer attributes than that
    day = _totals(job)[day_key(_day())]
    assert sum(1 for name in day if name.startswith("referrer|")) == TAIL_LIMIT + 1
