"""What a click costs on AWS, and what the share poller costs on X (``make bench``).

    python -m bench.cost [--quick] [--clicks 4000] [--only trickle|steady|viral|x]

The AWS bill per million human clicks, from measured facts: for each traffic pattern the
redirect, the aggregator and the stats handlers run in-process under ``moto.mock_aws()``
(wired as ``bench.analytics`` wires them, on a simulated clock), and every DynamoDB call
they make is priced by DynamoDB's own rules from the real item sizes, read from moto's
table before and after the call:

- a write (PutItem, UpdateItem, DeleteItem, a BatchWriteItem's item) costs 1 write
  request unit per KB of the larger of the old and the new item, at least 1; one that
  fails its condition is charged too; a TransactWriteItems' item twice;
- a GetItem (and each key of a BatchGetItem) 1 read request unit per 4 KB of the whole
  item (a projection reads the whole item), at least 1; eventually consistent half,
  transactional twice; a Query the sum of the items it read, rounded up to 4 KB;
- DynamoDB Streams reads by a Lambda event source mapping are free.

Added to that: API Gateway HTTP API requests (every redirect and every stats request),
Lambda requests (the redirect, each aggregator invocation, the API function and its
authorizer) and Lambda GB-seconds. A duration is estimated, not measured on AWS: the
handler's time measured here minus the time moto took to answer its DynamoDB calls (the
function's own work on this machine), plus ``DYNAMODB_MS`` per DynamoDB call (a same-region
request's typical latency), rounded up to the millisecond as Lambda bills, at the
function's memory size (``infra.routes.FUNCTIONS``). Storage is the items' bytes kept for
their time to live (the clicks and the visitor markers), per GB-month.

Patterns (``--clicks`` clicks each, 4,000 by default: moto takes ~15 ms a request here, and
a click makes about five; extrapolated per million human clicks: the per-million figure is
the sample's cost times 1,000,000 / its human clicks, robots' requests included in the
cost, not in the clicks):

- trickle: a click a minute, spread over 20 jobs; each reaches the aggregator alone;
- steady: 10 clicks a second over the same 20 jobs;
- viral: 1,000 a second on one job (70 % of clicks by a visitor not seen that day), the
  first seconds of a 10-minute burst.

A job's day item grows all day with the referrers and countries it holds, and each update
pays for all of it, so a sample of minutes would price it too low: the job day items' line
comes from following one job's day item over a whole day of the pattern (the viral job's
600,000 clicks) in plain Python, through the aggregator's own counting (``BatchPlan``,
``Tails``), update by update as the stream batches them. The referrers and countries have
a long tail (``TAIL_HOSTS`` hosts, ``TAIL_COUNTRIES`` countries beyond the common ones).

Lambda reads each open shard of the events table's stream four times a second and hands
the aggregator what came since (up to its batch size): a batch is the records of one shard
within a quarter of a second. Stats: the recruiter looks at each job with clicks
``STATS_PER_JOB_DAY`` times a day (trickle, steady) and at the viral job once a minute; the
requests are made at the end of the sample and priced as the share per million clicks of
that many.

The X bill: ``bench.poller``'s fake X API and poll (the same measurement), played over a
month at the rates of a recruiter with 20 open jobs polled every 15 minutes and 200 posts
a month linking to them, priced at X's pay-per-use price per post read (de-duplicated per
post per UTC day) and per user read. Budgets: at most ``AWS_BUDGET`` dollars per million
human clicks in every pattern, all in, and ``X_BUDGET`` dollars a month. It exits 1 when
one is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import random
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

# bench.redirect sets the benchmark environment when it is imported, before jobtrail.
from bench.analytics import (
    AGENTS,
    CHANNELS,
    COUNTRIES,
    OPEN_SHARDS,
    REFERRERS,
    SHARD_HOURS,
    Agent,
    BenchClock,
    Job,
    Link,
    World,
    create_job,
    deliver,
    item_size,
    setup,
    stats_event,
)
from bench.redirect import Budget, patched, powertools_output_discarded, report_budgets, say, table
from infra.local.context import LocalContext
from infra.local.events import http_event
from infra.routes import FUNCTIONS
from jobtrail.config import Settings
from jobtrail.domain.clicks import COUNTRY_HEADER, ORIGIN_SECRET_HEADER
from jobtrail.handlers import redirect

# ------------------------------------------------------------------------------ prices

# List prices (PRICES: US East (N. Virginia) public on-demand pricing as known in 2026,
# standing in for eu-north-1's, which differ by a few percent). Free tiers left out.
PRICES_AS_OF = (
    "list prices as known in 2026 (US East public on-demand pricing, standing in for "
    "eu-north-1's: regions differ by a few percent)"
)
API_REQUEST = 1.00 / 1e6  # HTTP API, first 300 million a month
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND = 0.0000133334  # arm64
WRU = 0.625 / 1e6
RRU = 0.125 / 1e6
STORAGE_GB_MONTH = 0.25
X_POST_READ = 0.005  # de-duplicated per post per UTC day
X_USER_READ = 0.010

AWS_BUDGET = 2.00  # dollars per million human clicks, all in, every pattern
X_BUDGET = 5.00  # dollars a month

DYNAMODB_MS = 4.0  # assumed latency of one DynamoDB request in the same region
POLL_SECONDS = 0.25  # Lambda reads a stream shard four times a second
STATS_PER_JOB_DAY = 10
ORIGIN_SECRET = "bench: the origin secret"  # noqa: S105 (a bench value)
SEED = 20261204
JOBS = 20
SAMPLE_JOBS = 3  # jobs whose stats are requested at the end of a sample

# The long tail a post's audience brings: besides analytics' 20 referrer hosts and 10
# countries, a share of clicks from thousands of other hosts (blogs, newsletters, mail
# clients) and from the rest of the world's countries, drawn with Zipf-like weights.
TAIL_HOSTS = 5_000
TAIL_HOST_SHARE = 0.15  # of clicks with a referrer
TAIL_COUNTRIES = 180
TAIL_COUNTRY_SHARE = 0.08


@dataclass(frozen=True)
class Pattern:
    name: str
    per_second: float
    jobs: int
    distinct: float | None  # share of clicks by a visitor new that day; None: all new
    description: str


PATTERNS = (
    Pattern("trickle", 1 / 60, JOBS, None, "a click a minute over 20 jobs"),
    Pattern("steady", 10.0, JOBS, 0.7, "10 clicks a second over 20 jobs"),
    Pattern("viral", 1000.0, 1, 0.7, "1,000 a second on one job, 70 % new visitors"),
)


# ------------------------------------------------------------------- the meter


@dataclass
class Priced:
    """What one function's invocations cost: requests, units, and time."""

    invocations: int = 0
    wru: float = 0.0
    rru: float = 0.0
    wru_by: Counter[str] = field(default_factory=Counter)  # by kind of item (``kind_of``)
    calls: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0  # seconds measured here, moto's answers included
    dynamodb: float = 0.0  # seconds moto took to answer
    billed_ms: int = 0  # Lambda's billed duration, summed (estimated per invocation)

    def cost_dynamodb(self) -> float:
        return self.wru * WRU + self.rru * RRU


def kind_of(key: dict[str, Any]) -> str:
    """What a written item is, by its key (``store.key_shapes``)."""
    pk, sk = key.get("pk", {}).get("S", ""), key.get("sk", {}).get("S", "")
    if pk.startswith("STAT#") and sk.startswith("D#"):
        return "job day"
    if pk.startswith("WSSTAT#"):
        return "workspace channel day"
    if pk.startswith("VIS#"):
        return "visitor marker"
    if "click_id" in key:
        return "click"
    return "other"


def units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


class Meter:
    """Prices every DynamoDB request by DynamoDB's rules. It wraps botocore's
    ``BaseClient._make_api_call`` (as ``bench.analytics.CallLog`` does, and on top of it)
    and reads the item sizes from moto's backend directly, outside every count."""

    def __init__(self) -> None:
        self.current: Priced | None = None
        self.click_items: list[dict[str, Any]] = []  # what the redirect wrote, as written
        self.events_table = ""

    @staticmethod
    def _backend() -> Any:
        import os

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]

    def size(self, table_name: str, key: dict[str, Any]) -> int:
        """The item's size now (0 if there is none), by DynamoDB's rules."""
        backend = self._backend()
        table_obj = backend.get_table(table_name)
        names = [table_obj.hash_key_attr] + ([table_obj.range_key_attr] * table_obj.has_range_key)
        found = backend.get_item(table_name, {n: key[n] for n in names})
        return 0 if found is None else item_size(found.to_json()["Attributes"])

    def key_of(self, table_name: str, item: dict[str, Any]) -> dict[str, Any]:
        table_obj = self._backend().get_table(table_name)
        names = [table_obj.hash_key_attr] + ([table_obj.range_key_attr] * table_obj.has_range_key)
        return {n: item[n] for n in names}

    @contextlib.contextmanager
    def metering(self) -> Iterator[None]:
        from botocore.client import BaseClient

        inner = BaseClient._make_api_call  # type: ignore[attr-defined]
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            priced = meter.current
            if priced is None or client.meta.service_model.service_name != "dynamodb":
                return inner(client, operation, params)
            priced.calls[operation] += 1
            writes: list[tuple[str, dict[str, Any], int | None, int]] = []
            if operation in ("PutItem", "UpdateItem", "DeleteItem"):
                table_name = params["TableName"]
                item = params.get("Item")
                key = params.get("Key") or meter.key_of(table_name, item or {})
                writes.append((table_name, key, item_size(item) if item else None, 1))
                if operation == "PutItem" and table_name == meter.events_table:
                    meter.click_items.append(item)
            elif operation == "TransactWriteItems":
                for entry in params["TransactItems"]:
                    (kind, body), *_ = entry.items()
                    item = body.get("Item")
                    key = body.get("Key") or meter.key_of(body["TableName"], item or {})
                    new = item_size(item) if item else None
                    writes.append(
                        (body["TableName"], key, new, 0 if kind == "ConditionCheck" else 2)
                    )
            elif operation == "BatchWriteItem":
                for table_name, requests in params["RequestItems"].items():
                    for entry in requests:
                        item = entry.get("PutRequest", {}).get("Item")
                        key = entry.get("DeleteRequest", {}).get("Key") or meter.key_of(
                            table_name, item or {}
                        )
                        writes.append((table_name, key, item_size(item) if item else None, 1))
            before = [meter.size(t, k) for t, k, _, _ in writes]
            start = time.perf_counter()
            try:
                answer = inner(client, operation, params)
            finally:
                priced.dynamodb += time.perf_counter() - start
                for (table_name, key, new, factor), old in zip(writes, before, strict=True):
                    after = meter.size(table_name, key)
                    largest = max(old, after, new or 0)
                    # A ConditionCheck of a transaction reads: 2 RRU per 4 KB.
                    if factor == 0:
                        priced.rru += 2 * units(old, 4096)
                    else:
                        priced.wru += factor * units(largest, 1024)
                        priced.wru_by[kind_of(key)] += factor * units(largest, 1024)
            meter._reads(priced, operation, params, answer)
            return answer

        with patched(BaseClient, "_make_api_call", metered):
            yield

    def _reads(self, priced: Priced, operation: str, params: dict[str, Any], answer: Any) -> None:
        half = 1.0 if params.get("ConsistentRead") else 0.5
        if operation == "GetItem":
            size = self.size(params["TableName"], params["Key"])  # the whole item
            priced.rru += half * units(size, 4096)
        elif operation == "BatchGetItem":
            for table_name, asked in params["RequestItems"].items():
                factor = 1.0 if asked.get("ConsistentRead") else 0.5
                for key in asked["Keys"]:
                    priced.rru += factor * units(self.size(table_name, key), 4096)
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                body = entry["Get"]
                priced.rru += 2 * units(self.size(body["TableName"], body["Key"]), 4096)
        elif operation in ("Query", "Scan"):
            table_name = params["TableName"]
            read = sum(
                self.size(table_name, self.key_of(table_name, item))
                for item in answer.get("Items", [])
            )
            priced.rru += half * units(read, 4096)

    @contextlib.contextmanager
    def charging(self, priced: Priced) -> Iterator[None]:
        self.current = priced
        start = time.perf_counter()
        mark = priced.dynamodb
        calls_before = sum(priced.calls.values())
        try:
            yield
        finally:
            wall = time.perf_counter() - start
            self.current = None
            priced.invocations += 1
            priced.wall += wall
            calls = sum(priced.calls.values()) - calls_before
            own = max(0.0, wall - (priced.dynamodb - mark))
            priced.billed_ms += math.ceil(own * 1000 + calls * DYNAMODB_MS)


# ------------------------------------------------------------------- the clicks


@dataclass
class SimClock(BenchClock):
    """The bench's clock, whose monotonic time follows the simulated moment too (the
    redirect's link cache expires by it)."""

    def monotonic(self) -> float:
        return self.moment.timestamp()


def tail(
    prefix: str, n: int, share: float, head: Sequence[tuple[Any, int]]
) -> list[tuple[Any, float]]:
    """``head``'s weights and a tail of ``n`` more values with Zipf weights, ``share`` of
    the whole."""
    total = sum(w for _, w in head)
    zipf = [1 / (rank + 1) for rank in range(n)]
    scale = total * share / (1 - share) / sum(zipf)
    names = [prefix.format(rank) for rank in range(n)]
    return [*((v, float(w)) for v, w in head), *zip(names, (z * scale for z in zipf), strict=True)]


def country_codes(n: int) -> list[str]:
    taken = {c for c, _ in COUNTRIES if c}
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [a + b for a in letters for b in letters if a + b not in taken]
    return random.Random(SEED).sample(codes, n)


@dataclass(frozen=True)
class Visit:
    at: datetime
    job: Job
    slug: str
    agent: Agent
    referrer: str | None
    country: str | None
    source_ip: str


class Visits:
    """A pattern's clicks as requests to the redirect: seeded, so every run is the same."""

    def __init__(self, pattern: Pattern, jobs: Sequence[Job], start: datetime) -> None:
        self.pattern = pattern
        self.jobs = list(jobs)
        self.start = start
        self.random = random.Random(SEED)
        self.referrers = tail("news{}.example.net", TAIL_HOSTS, TAIL_HOST_SHARE, REFERRERS[1:])
        codes = country_codes(TAIL_COUNTRIES)
        countries = tail("{}", TAIL_COUNTRIES, TAIL_COUNTRY_SHARE, COUNTRIES)
        self.countries = [(codes[int(c)] if str(c).isdigit() else c, w) for c, w in countries]
        self.no_referrer = REFERRERS[0][1] / sum(w for _, w in REFERRERS)
        self.seen: list[str] = []  # today's visitors' addresses

    def visits(self, n: int) -> list[Visit]:
        r = self.random
        agents = r.choices(AGENTS, weights=[a.weight for a in AGENTS], k=n)
        referrers = r.choices(
            [h for h, _ in self.referrers], weights=[w for _, w in self.referrers], k=n
        )
        countries = r.choices(
            [c for c, _ in self.countries], weights=[w for _, w in self.countries], k=n
        )
        out = []
        day: date | None = None
        for i in range(n):
            at = self.start + timedelta(seconds=i / self.pattern.per_second)
            if at.date() != day:
                day, self.seen = at.date(), []
            job = self.jobs[r.randrange(len(self.jobs))]
            new = (
                self.pattern.distinct is None or not self.seen or r.random() < self.pattern.distinct
            )
            if new:
                digest = hashlib.sha256(f"{self.pattern.name}{i}".encode()).digest()
                ip = f"10.{digest[0]}.{digest[1]}.{digest[2]}"
                self.seen.append(ip)
            else:
                ip = self.seen[r.randrange(len(self.seen))]
            referrer = None if r.random() < self.no_referrer else referrers[i]
            link = job.links[r.randrange(len(job.links))]
            out.append(Visit(at, job, link.slug, agents[i], referrer, countries[i], ip))
        return out


def redirect_event(visit: Visit) -> dict[str, Any]:
    headers = {ORIGIN_SECRET_HEADER: ORIGIN_SECRET, "accept": "text/html"}
    if visit.agent.user_agent is not None:
        headers["user-agent"] = visit.agent.user_agent
    if visit.referrer is not None:
        headers["referer"] = f"https://{visit.referrer}/"
    if visit.country is not None:
        headers[COUNTRY_HEADER] = visit.country
    return http_event(
        visit.agent.method,
        f"/{visit.slug}",
        headers=headers,
        source_ip=visit.source_ip,
        route_key="GET /{slug}",
        path_parameters={"slug": visit.slug},
    )


def stream_events(world: World, images: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The click items as the aggregator's event source hands them over: per shard
    (``bench.analytics``' shard model), the records of one quarter of a second, at most
    the batch size."""
    from bench.analytics import BATCH_SIZE

    stream = world.stream
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    open_batch: dict[str, tuple[int, list[dict[str, Any]]]] = {}
    for image in images:
        at = datetime.fromisoformat(image["at"]["S"].replace("Z", "+00:00"))
        shard = stream.shards.of(image["click_id"]["S"], at)
        slot = int(at.timestamp() / POLL_SECONDS)
        current = open_batch.get(shard)
        if current is None or current[0] != slot or len(current[1]) >= BATCH_SIZE:
            current = (slot, [])
            open_batch[shard] = current
            batches.append((shard, current[1]))
        current[1].append(stream.record(image))
    return [stream.event(shard, records) for shard, records in batches]


# ------------------------------------------------------------------- one pattern


@dataclass
class Bill:
    pattern: Pattern
    clicks: int
    human: int
    batches: int
    stats_requests: float  # per the sample, by the stated assumption
    redirect: Priced
    aggregator: Priced
    api: Priced  # per stats request measured
    authorizer: Priced
    storage_bytes: int  # the sample's items kept for their time to live, times months
    item_bytes: dict[str, int]  # the largest counter items at the end, by kind
    click_bytes: float  # the mean click item, as the redirect wrote it
    day: DayItem | None = None  # the job's day item over a whole day of the pattern

    def lines(self) -> list[tuple[str, float]]:
        """Dollars of the sample, by line of the bill."""
        per_stats = self.stats_requests / max(1, self.api.invocations)

        def lam(priced: Priced, function: str, scale: float = 1.0) -> tuple[float, float]:
            memory_gb = FUNCTIONS[function].memory_mb / 1024
            return (
                priced.invocations * scale * LAMBDA_REQUEST,
                priced.billed_ms / 1000 * memory_gb * scale * LAMBDA_GB_SECOND,
            )

        redirect_req, redirect_gbs = lam(self.redirect, "redirect")
        agg_req, agg_gbs = lam(self.aggregator, "aggregator")
        api_req, api_gbs = lam(self.api, "api", per_stats)
        auth_req, auth_gbs = lam(self.authorizer, "authorizer", per_stats)
        return [
            ("API Gateway: redirects", self.clicks * API_REQUEST),
            ("API Gateway: stats", self.stats_requests * API_REQUEST),
            ("Lambda requests", redirect_req + agg_req + api_req + auth_req),
            ("Lambda GB-seconds", redirect_gbs + agg_gbs + api_gbs + auth_gbs),
            ("DynamoDB: redirect", self.redirect.cost_dynamodb()),
            ("DynamoDB: aggregator, job day items", self.job_day_wru() * WRU),
            (
                "DynamoDB: aggregator, the rest",
                self.aggregator.cost_dynamodb() - self.aggregator.wru_by["job day"] * WRU,
            ),
            ("DynamoDB: stats", self.api.cost_dynamodb() * per_stats),
            ("DynamoDB storage (TTL)", self.storage_bytes / 1e9 * STORAGE_GB_MONTH),
        ]

    def job_day_wru(self) -> float:
        """The job day items' write units of the sample: as a whole day of the pattern
        makes them (their size grows all day), or as the sample made them."""
        if self.day is None:
            return float(self.aggregator.wru_by["job day"])
        return self.day.wru / self.day.clicks * self.clicks

    def per_million(self) -> list[tuple[str, float]]:
        return [(name, dollars * 1e6 / self.human) for name, dollars in self.lines()]

    @property
    def floor(self) -> float:
        """What the redirect alone costs, per million human clicks: its API Gateway and
        Lambda requests and the click's write (no duration, no counting, no storage)."""
        dollars = self.clicks * (API_REQUEST + LAMBDA_REQUEST) + self.redirect.cost_dynamodb()
        return dollars * 1e6 / self.human

    @property
    def total(self) -> float:
        return sum(d for _, d in self.per_million())


def run_pattern(pattern: Pattern, clicks: int) -> Bill:
    with contextlib.ExitStack() as stack:
        world = setup(stack)
        meter = Meter()
        stack.enter_context(meter.metering())
        names = {t: t for t in world.admin.list_tables()["TableNames"]}
        meter.events_table = next(n for n in names if "event" in n.lower())
        with powertools_output_discarded():
            jobs = [create_job(world, f"{pattern.name}-{n}") for n in range(pattern.jobs)]
        start = datetime(2026, 11, 2, 8, tzinfo=UTC)
        clock = SimClock(start)
        settings = replace(
            Settings.from_env(),
            visitor_secret=b"bench: the visitor secret",
            origin_secret=ORIGIN_SECRET,
        )
        handler = redirect.build(settings, clock)
        context = LocalContext("redirect")
        visits = Visits(pattern, jobs, start).visits(clicks)
        priced_redirect = Priced()
        with powertools_output_discarded():
            for visit in visits:
                clock.moment = visit.at
                with meter.charging(priced_redirect):
                    answer = handler(redirect_event(visit), context)
                if answer["statusCode"] not in (301, 302, 303, 307, 308):
                    raise RuntimeError(f"the redirect answered {answer['statusCode']}")
        images = list(meter.click_items)
        if len(images) != clicks:
            raise RuntimeError(f"{len(images)} clicks written of {clicks}")
        events = stream_events(world, images)
        priced_aggregator = Priced()
        with powertools_output_discarded():
            for event in events:
                with meter.charging(priced_aggregator):
                    deliver(world, event)
        # Stats: a few requests per job, at the end of the sample, over the 30 days to it.
        end = visits[-1].at
        world.api_clock.moment = end
        query = f"from={(end.date() - timedelta(days=29)).isoformat()}&to={end.date().isoformat()}"
        priced_api, priced_auth = Priced(), Priced()
        api_context = LocalContext(
            function_name="jobtrail-api",
            memory_limit_in_mb=FUNCTIONS["api"].memory_mb,
            timeout_seconds=FUNCTIONS["api"].timeout_seconds,
        )
        with powertools_output_discarded():
            for job in jobs[:SAMPLE_JOBS]:
                for _ in range(2):
                    with meter.charging(priced_auth):
                        event = stats_event(world, job, query)
                    with meter.charging(priced_api):
                        answer = world.handlers["api"](event, api_context)
                    if answer["statusCode"] != 200:
                        raise RuntimeError(f"stats answered {answer}")
            # The human clicks the bill is divided by: what the stats count, every job's.
            human = 0
            for job in jobs:
                with meter.charging(Priced()):
                    event = stats_event(world, job, query)
                    answer = world.handlers["api"](event, api_context)
                human += int(json.loads(answer["body"])["clicks"]["human"])
        hours = (end - start).total_seconds() / 3600 or 1 / 3600
        days = max(hours / 24, 1 / 24)
        if pattern.name == "viral":
            stats_requests = max(1.0, hours * 60)  # once a minute while it lasts
        else:
            stats_requests = STATS_PER_JOB_DAY * pattern.jobs * days
        storage = storage_bytes(world)
        largest = largest_counters(world)
    return Bill(
        pattern,
        clicks,
        human,
        len(events),
        stats_requests,
        priced_redirect,
        priced_aggregator,
        priced_api,
        priced_auth,
        storage,
        largest,
        sum(item_size(i) for i in images) / len(images),
    )


def storage_bytes(world: World) -> int:
    """Byte-months the sample's items are kept: every item of both tables with a time to
    live (``expires_at``), for that long; items without one (links, counters) counted for
    one month (their share per click is small and they are the recruiter's data)."""
    backend = Meter._backend()
    total = 0.0
    for name in world.admin.list_tables()["TableNames"]:
        for partition in backend.get_table(name).items.values():
            items = partition.values() if isinstance(partition, dict) else [partition]
            for item in items:
                attributes = item.to_json()["Attributes"]
                size = item_size(attributes) + 100  # DynamoDB's per-item overhead
                expires = attributes.get("expires_at", {}).get("N")
                made = attributes.get("at", {}).get("S") or attributes.get("created_at", {}).get(
                    "S"
                )
                months = 1.0
                if expires and made:
                    born = datetime.fromisoformat(made.replace("Z", "+00:00"))
                    months = max(0.0, (float(expires) - born.timestamp()) / (30.4 * 86400))
                total += size * months
    return int(total)


def largest_counters(world: World) -> dict[str, int]:
    backend = Meter._backend()
    found: dict[str, int] = defaultdict(int)
    for name in world.admin.list_tables()["TableNames"]:
        for partition in backend.get_table(name).items.values():
            items = partition.values() if isinstance(partition, dict) else [partition]
            for item in items:
                attributes = item.to_json()["Attributes"]
                pk, sk = (
                    attributes.get("pk", {}).get("S", ""),
                    attributes.get("sk", {}).get("S", ""),
                )
                if pk.startswith("STAT#") and sk.startswith("D#"):
                    kind = "job day"
                elif pk.startswith("WSSTAT#") and sk.startswith("channel#"):
                    kind = "workspace channel"
                else:
                    continue
                found[kind] = max(found[kind], item_size(attributes))
    return dict(found)


# ---------------------------------------------------------------- a whole day's item

# One job's clicks over a whole day of each pattern (the viral job's 10-minute burst), too
# many for moto: the day item is followed in plain Python instead, through the aggregator's
# own counting (``BatchPlan.count``, ``added_up``), update by update as the stream batches
# them (each batch with a click of the job updates its day item once).
DAY_CLICKS = {"trickle": 24 * 60 // JOBS, "steady": 10 * 86_400 // JOBS, "viral": 600_000}


@dataclass(frozen=True)
class DayItem:
    pattern: str
    clicks: int
    updates: int
    attributes: int
    final_bytes: int
    wru: int  # every update's units, from the item's size after it

    @property
    def wru_per_update(self) -> float:
        return self.wru / self.updates


def number_size(value: int) -> int:
    digits = str(abs(value)).strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def day_item(pattern: Pattern, job: Job) -> DayItem:
    """The job's day item over the pattern's whole day, without DynamoDB."""
    from jobtrail.domain import robots
    from jobtrail.domain.clicks import Click, device_class
    from jobtrail.domain.counters import BatchPlan, CountedClick, Tails, added_up

    clicks = DAY_CLICKS[pattern.name]
    # The job alone, at its own share of the pattern's rate.
    alone = replace(pattern, per_second=pattern.per_second / pattern.jobs, jobs=1)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    visits = Visits(alone, [job], start).visits(clicks)
    held: dict[str, int] = {}
    size = len("pk") + 5 + 26 + len("sk") + 12  # "STAT#<26-character id>", "D#<day>"
    # And a fence (~60 bytes) per shard that wrote to it: two open at once, each rolling
    # over to a new one about every four hours (``bench.analytics``' shard model).
    fence_bytes = 60
    updates = wru = 0
    tails = Tails()  # one container's, for the whole day

    def apply(batch: Sequence[Visit]) -> None:
        nonlocal size, updates, wru
        plan = BatchPlan(today=start.date().isoformat(), tails=tails)
        for n, visit in enumerate(batch):
            agent = visit.agent
            click = Click(
                click_id=f"{n:032x}",
                at=visit.at,
                slug=visit.slug,
                workspace_id="W" * 26,
                job_id=job.job_id,
                channel="linkedin",
                sharer=None,
                visitor=visit.source_ip,
                bot_class=robots.first_glance(agent.method, agent.user_agent),
                method=agent.method,
                user_agent=agent.user_agent,
                referrer_host=visit.referrer,
                country=visit.country,
                device=device_class(agent.user_agent),
                expires_at=visit.at + timedelta(days=400),
            )
            plan.count(CountedClick(f"{n:040d}", click))
        for marker in list(plan.markers):
            plan.credit_new_visitor(marker)  # an upper bound: every visitor new
        day_key = ("job", job.job_id, start.date().isoformat())
        contributions = plan.counters.get(day_key)
        if not contributions:
            return
        totals, _ = added_up(contributions)
        grew = False
        for name, amount in totals.items():
            before = held.get(name)
            after = (before or 0) + amount
            size += number_size(after) - (number_size(before) if before else -len(name))
            held[name] = after
            grew = grew or before is None
        if grew:
            tails.learn(day_key, held)  # as the update's answer tells the aggregator
        updates += 1
        hours = (batch[-1].at - start).total_seconds() / 3600
        fences = OPEN_SHARDS * (1 + int(hours // SHARD_HOURS))
        wru += units(size + fences * fence_bytes, 1024)

    # Per shard (a click goes to one of two), the records of a quarter of a second.
    open_batches: dict[int, tuple[int, list[Visit]]] = {}
    for index, visit in enumerate(visits):
        shard, slot = index % 2, int(visit.at.timestamp() / POLL_SECONDS)
        current = open_batches.get(shard)
        if current is None or current[0] != slot:
            if current is not None:
                apply(current[1])
            current = (slot, [])
            open_batches[shard] = current
        current[1].append(visit)
    for _, batch in open_batches.values():
        apply(batch)
    return DayItem(pattern.name, clicks, updates, len(held), size, wru)


# ------------------------------------------------------------------------- the X bill

X_JOBS = 20
X_POLLS_A_DAY = 24 * 4  # every 15 minutes
X_DAYS = 30
X_POSTS = 200  # new posts a month linking to the recruiter's links
# Assumed for the month (bench.poller measures the rule, not the audience): a tenth of the
# posts reposted by 3 people, each repost seen by a different poll; a twentieth quoted once.
X_REPOSTED = 0.10
X_REPOSTERS = 3
X_QUOTED = 0.05


def x_bill() -> tuple[list[Budget], list[list[object]], float]:
    """The month of a recruiter with 20 open jobs, polled every 15 minutes, 200 posts a
    month linking to them. ``bench.poller``'s measurement (its fake X API, the real poll,
    its budgets) runs a day's history, and proves the rules the month is priced by: search
    reads each new post once, and every poll looks up every tracked post (watched for
    ``TRACK_DAYS`` from the post's time); reposters are read again, all of them up to 100,
    whenever a post's count grew. X bills a post read once per post per UTC day."""
    from bench.poller import Step, budgets_of, run_links
    from jobtrail.store.shares import TRACK_DAYS

    per_day = X_POSTS / X_DAYS
    steps = [
        Step("a day's new posts", linking=round(per_day)),
        Step("quiet poll"),
        Step(
            "new posts, a repost and a quote of earlier ones",
            linking=round(per_day),
            reposts=(("p0", 2), ("p1", 1)),
            quotes=(("p2", 1, False),),
        ),
        Step("quiet poll"),
    ]
    # As bench.poller does: X's search window is 7 days back from now (the fake's too),
    # so the history starts a few hours ago.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    run = run_links(X_JOBS, steps, start)
    checked = budgets_of([run])
    measured = [
        [
            f"poll {row.poll}: {step.note}",
            row.read,
            row.expected.tracked,
            " ".join(f"{k} {v}" for k, v in row.requests.items() if v),
        ]
        for row, step in zip(run.rows, steps, strict=True)
    ]
    # The month. A post is found by the first poll after it (search: read once), then
    # looked up by every poll while it is tracked: on the day it is found and on the
    # TRACK_DAYS days after (the last one until the hour it was posted). De-duplicated
    # per UTC day, that is 1 + TRACK_DAYS post reads, however many polls a day.
    days_billed = 1 + TRACK_DAYS
    post_reads = X_POSTS * days_billed
    quotes = X_POSTS * X_QUOTED  # each read as a post, then tracked like one
    quote_reads = quotes * days_billed
    # Each new repost makes one poll ask for the post's reposters: all of them again.
    reposted = X_POSTS * X_REPOSTED
    user_reads = reposted * sum(range(1, X_REPOSTERS + 1))
    dollars = (post_reads + quote_reads) * X_POST_READ + user_reads * X_USER_READ
    polls = X_POLLS_A_DAY * X_DAYS
    rows: list[list[object]] = [
        ["polls a month", f"{polls:,}", "", "", "-"],
        [
            "posts found by search",
            f"{X_POSTS:,}",
            "read once (the day found)",
            f"${X_POST_READ}",
            "(in the next line)",
        ],
        [
            "posts looked up while tracked",
            f"{X_POSTS:,} x {days_billed} days",
            f"every poll; billed once a UTC day, {TRACK_DAYS} days tracked",
            f"${X_POST_READ}",
            f"{post_reads * X_POST_READ:.2f}",
        ],
        [
            "quotes (read, then tracked)",
            f"{quotes:.0f} x {days_billed} days",
            f"{X_QUOTED:.0%} of posts quoted once (assumed)",
            f"${X_POST_READ}",
            f"{quote_reads * X_POST_READ:.2f}",
        ],
        [
            "reposters (user reads)",
            f"{user_reads:.0f}",
            f"{X_REPOSTED:.0%} of posts reposted by {X_REPOSTERS}, one at a time (assumed)",
            f"${X_USER_READ}",
            f"{user_reads * X_USER_READ:.2f}",
        ],
    ]
    say(
        f"X, measured with bench.poller's fake X API and poll ({X_JOBS} links; its requests do "
        "not depend on the number of links, one of its budgets): posts read "
        "by search, posts tracked (looked up), requests"
    )
    say(table(["poll", "search read", "tracked", "requests"], measured))
    return checked, rows, dollars


# ------------------------------------------------------------------------------- main


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 clicks a pattern")
    parser.add_argument("--clicks", type=int, default=4_000, help="clicks a pattern")
    parser.add_argument("--only", choices=[p.name for p in PATTERNS] + ["x"], action="append")
    args = parser.parse_args(argv)
    if args.quick:
        args.clicks = 1_000
    return args


def dollars(value: float) -> str:
    return f"{value:,.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    say("jobtrail cost benchmark: the AWS bill per million human clicks, and the X bill")
    say(f"prices: {PRICES_AS_OF}; {args.clicks:,} clicks a pattern, extrapolated per million")
    say()
    took: list[str] = []
    budgets: list[Budget] = []
    bills: list[Bill] = []
    for pattern in PATTERNS:
        if args.only and pattern.name not in args.only:
            continue
        mark = time.perf_counter()
        bills.append(run_pattern(pattern, args.clicks))
        took.append(f"{pattern.name}: {time.perf_counter() - mark:.0f} s")
    days: list[DayItem] = []
    for pattern in PATTERNS:
        if args.only and pattern.name not in args.only:
            continue
        mark = time.perf_counter()
        links = tuple(Link(f"day-{c}-{n}", c, None) for c in CHANNELS for n in range(2))
        days.append(day_item(pattern, Job("day", "J" * 26, links)))
        for bill in bills:
            if bill.pattern.name == pattern.name:
                bill.day = days[-1]
        took.append(f"{pattern.name} day: {time.perf_counter() - mark:.0f} s")
    if days:
        say(
            "A job's day item over a whole day (the aggregator's counting in plain Python, "
            "update by update as the stream batches them)"
        )
        say(
            table(
                ["pattern", "clicks", "updates", "attributes", "final KB", "WRU per update"],
                [
                    [
                        d.pattern,
                        f"{d.clicks:,}",
                        f"{d.updates:,}",
                        f"{d.attributes:,}",
                        f"{d.final_bytes / 1024:.1f}",  # without its fences
                        f"{d.wru_per_update:.2f}",
                    ]
                    for d in days
                ],
            )
        )
        say()
    if bills:
        names = [name for name, _ in bills[0].per_million()]
        rows = [[name, *(dollars(dict(b.per_million())[name]) for b in bills)] for name in names]
        rows.append(["total per million human clicks", *(dollars(b.total) for b in bills)])
        say("AWS, dollars per million human clicks")
        say(table(["line", *(b.pattern.name for b in bills)], rows))
        floors = [b.floor for b in bills]
        say(
            "  before any counting, every request (robots' too) pays API Gateway, the "
            "redirect's Lambda request and the click's write: "
            + ", ".join(f"{b.pattern.name} ${f:.2f}" for b, f in zip(bills, floors, strict=True))
            + " per million human clicks"
        )
        facts = [
            ["clicks (sample) / human", *(f"{b.clicks:,} / {b.human:,}" for b in bills)],
            ["aggregator invocations", *(f"{b.batches:,}" for b in bills)],
            ["click item, bytes (mean)", *(f"{b.click_bytes:,.0f}" for b in bills)],
            [
                "WRU per human click: redirect / aggregator",
                *(
                    f"{b.redirect.wru / b.human:.2f} / {b.aggregator.wru / b.human:.2f}"
                    for b in bills
                ),
            ],
            [
                "job day item WRU per click: sample / whole day",
                *(
                    f"{b.aggregator.wru_by['job day'] / b.clicks:.2f} / "
                    + (f"{b.day.wru / b.day.clicks:.2f}" if b.day else "-")
                    for b in bills
                ),
            ],
            [
                "aggregator WRU per human click, by item",
                *(
                    ", ".join(
                        f"{k} {v / b.human:.2f}" for k, v in sorted(b.aggregator.wru_by.items())
                    )
                    for b in bills
                ),
            ],
            [
                "DynamoDB calls per human click (aggregator)",
                *(f"{sum(b.aggregator.calls.values()) / b.human:.2f}" for b in bills),
            ],
            [
                "aggregator calls",
                *(
                    " ".join(f"{k} {v:,}" for k, v in sorted(b.aggregator.calls.items()))
                    for b in bills
                ),
            ],
            [
                "stats requests in the sample (assumed)",
                *(f"{b.stats_requests:,.1f}" for b in bills),
            ],
            [
                "RRU / WRU per stats request",
                *(
                    f"{b.api.rru / b.api.invocations:.1f} / {b.api.wru / b.api.invocations:.1f}"
                    for b in bills
                ),
            ],
            [
                "billed ms: redirect / aggregator / stats",
                *(
                    f"{b.redirect.billed_ms / b.redirect.invocations:.1f} / "
                    f"{b.aggregator.billed_ms / b.aggregator.invocations:.1f} / "
                    f"{b.api.billed_ms / b.api.invocations:.1f}"
                    for b in bills
                ),
            ],
            [
                "largest counter items, bytes",
                *(", ".join(f"{k} {v:,}" for k, v in sorted(b.item_bytes.items())) for b in bills),
            ],
        ]
        say(table(["measured", *(b.pattern.name for b in bills)], facts))
        say()
        for b in bills:
            budgets.append(
                Budget(
                    f"AWS bill, {b.pattern.name}",
                    f"${b.total:.2f} per million human clicks",
                    f"<= ${AWS_BUDGET:.2f}",
                    b.total <= AWS_BUDGET,
                )
            )
    if not args.only or "x" in args.only:
        mark = time.perf_counter()
        with powertools_output_discarded():
            checked, rows, monthly = x_bill()
        took.append(f"x: {time.perf_counter() - mark:.0f} s")
        failed = [b for b in checked if not b.ok]
        budgets.append(
            Budget(
                "bench.poller's request rules hold",
                f"{len(checked) - len(failed)}/{len(checked)} of its budgets",
                "all",
                not failed,
            )
        )
        say(f"X, a month: {X_JOBS} open jobs, polled every 15 minutes, {X_POSTS} posts a month")
        say(table(["item", "count", "how", "price", "dollars"], rows))
        say(f"  total: ${monthly:.2f} a month")
        say()
        budgets.append(
            Budget("X bill a month", f"${monthly:.2f}", f"<= ${X_BUDGET:.2f}", monthly <= X_BUDGET)
        )
    return report_budgets(budgets, started=started, parts="parts", took=took)


if __name__ == "__main__":
    sys.exit(main())
