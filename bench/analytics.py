"""The click analytics' performance budgets, measured and printed as tables (``make bench``).

    python -m bench.analytics [--quick]

The budgets come from issue 3 ("Performance") and the design of the aggregator and the stats:

1. Stats cost does not grow with clicks: the same 30-day ``GET /api/jobs/{job_id}/stats``
   for a job with 100 recorded clicks and for one with 100,000 (2,000 over 20 days with
   ``--quick``) makes the same number of DynamoDB calls, on its first request (which adds
   up and keeps the spans of days no request kept yet) and on the later ones, and the
   later ones' median time differs by at most 1.5x. The API function's clock is set to the
   day after the range, so that its last days are read as days and the rest as spans
   whatever the date of the run; the aggregator's reads when the batch's last click was
   made (a stream delivers within a second), so clicks are counted on their day, not late.
   Shown with what the requests read (spans and recent days, days added up: items and KB)
   and what the counters hold, read raw: items, ``f_<shard>`` fences, bytes.
2. Aggregator write amplification: a stream batch of B clicks over K keys makes at most K
   writes, K being the distinct counters plus the distinct visitor markers of the batch's
   ``BatchPlan`` (``plan.counters`` and ``plan.markers``: one UpdateItem per counter, one
   conditional PutItem per visitor marker). Writes are every UpdateItem, PutItem and
   (fallback) GetItem the aggregator sends. Shown for a viral burst on one link with
   distinct visitors and with few repeat visitors, for mixed clicks (every job and link,
   across midnight), and for section 1's ingest.
3. A replayed batch (the same event, same shard and sequence numbers, delivered twice)
   changes no count: every write it makes is conditional (fenced), or only sets what is
   not set yet (``if_not_exists``: a preview's first sight), and no fenced counter update
   succeeds. Every batch of section 2's mixed clicks is replayed.
4. Fences stay bounded under trickle traffic: 1,000 clicks (300 with ``--quick``) on one
   job over one day, one click per batch (at low traffic Lambda invokes for every record),
   then one stats request over the days around it. Every counter item they wrote (the job's
   day, its previews' first sight, the workspace's channel days, and the spans the request
   kept), read raw, carries at most one fence per shard that wrote to it, however many
   batches, and the largest stays under 64 KB (DynamoDB's limit is 400 KB).

Clicks do not go through the redirect (far too slow for 100,000): they are generated as the
events table's stream would deliver them to the aggregator: INSERT records whose NewImage is
a click item as ``store.clicks`` writes it (``store.clicks.click_image``), with
unique event ids, in time order, on shards modelled on DynamoDB Streams': 2 open at once (a
click goes to one by its key's hash, as the table places items in partitions), each taking
records for about 4 hours before a new one takes over, named ``shardId-<creation ms, 20
digits>-<8 hex>``; sequence numbers are unique and increase along each shard. An event is
the aggregator's tumbling-window event (``shardId``, ``window``, ``state``...) of up to 500
records of one shard (the event source's batch size), a shard's events in order. Batches are
cut by size only, not at the window's end: 30 days of clicks are delivered as if they had
come faster, in a batch or two per shard (section 4 delivers the other extreme). Everything
runs in-process under ``moto.mock_aws()``; DynamoDB calls are counted, with the items a
Query, GetItem or BatchGetItem answered, by wrapping botocore's
``BaseClient._make_api_call``. It prints every figure and exits 1 when a budget is missed;
the test suite never asserts a timing.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import copy
import csv
import gc
import hashlib
import io
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from typing import Any

import boto3
from moto import mock_aws

# bench.redirect sets the benchmark environment (region, fake credentials, Powertools'
# namespace and log level, no tracing) when it is imported; isort keeps this import above
# infra and jobtrail, whose modules read those settings at import time.
from bench.redirect import (
    Budget,
    patched,
    powertools_output_discarded,
    report_budgets,
    say,
    table,
)
from infra.local.context import LocalContext
from infra.local.dispatch import Dispatcher
from infra.local.dynamodb import create_tables
from infra.local.events import authorizer_event, http_event
from infra.local.functions import LocalFunctions
from infra.routes import FUNCTIONS, STREAM_CONSUMERS
from jobtrail.config import Settings
from jobtrail.domain import robots
from jobtrail.domain.clicks import Click, device_class
from jobtrail.domain.counters import BatchPlan
from jobtrail.handlers import aggregator, api
from jobtrail.store import counters as counter_store
from jobtrail.store.clicks import click_image
from jobtrail.store.key_shapes import CHANGES, DAY_PREFIX, job_stats_key, workspace_stats_key
from jobtrail.store.models import ClickItem
from jobtrail.store.workspaces import create_workspace

Event = dict[str, Any]
Image = dict[str, Any]  # an item in DynamoDB JSON, as a stream record's NewImage carries it

STATS_LIMIT = 1.5  # median of the 100,000-click job over the 100-click job's
SMALL_CLICKS = 100
AGGREGATOR = next(c for c in STREAM_CONSUMERS if c.function == "aggregator")
BATCH_SIZE = AGGREGATOR.batch_size  # the aggregator's event source: 500 records at most
WINDOW_SECONDS = AGGREGATOR.window_seconds or 60  # its tumbling window (names the shard)
# The events table's stream: OPEN_SHARDS shards open at once, each taking records for about
# SHARD_HOURS (DynamoDB rolls a stream's shards about every four hours).
STREAM_CREATED = datetime(2026, 6, 1, tzinfo=UTC)
MAX_DAYS = 150  # section 1's days, at most: section 4's day comes after the stream's start
OPEN_SHARDS = 2
SHARD_HOURS = 4
SHARD_JITTER_MINUTES = 15
LAST_DAY = date(2026, 11, 25)  # fixed, so every run asks for the same days
# ... on the same "today" (the stats read the days before the last two as spans, and the
# last two as days): the API function's clock is set to this.
TODAY = LAST_DAY + timedelta(days=1)
NOW = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
# The large job's visitors: a pool per day. Visitors only make marker items (VIS#...), which
# stats never read, so the pool's size changes nothing section 1 measures (the counters and
# their fences are the same); a small pool keeps the ingest's conditional puts, ~4 ms each
# under moto on a small VM, from doubling its time.
VOLUME_VISITORS_PER_DAY = 5
VIRAL_DAY = date(2026, 11, 26)  # after the stats' range: the bursts never touch section 1
VIRAL_HOURS = 3
REPEAT_VISITORS = 200
MIXED_VISITORS_PER_DAY = 50
TRICKLE_BEFORE = 7  # section 4's day: this many days before section 1's (its own job)
TRICKLE_VISITORS = 1_000  # per day
TRICKLE_ITEM_LIMIT = 64 * 1024
ITEM_LIMIT = 400 * 1024  # DynamoDB's item size limit
SEED = 20261125

CHANNELS = ("linkedin", "twitter", "facebook")
SHARER_LINKS = (("linkedin", "anna"), ("linkedin", "bjorn"), ("twitter", "carla"))
# 20 referrer hosts (and none), 10 countries (and none), weighted as a post's audience.
REFERRERS: tuple[tuple[str | None, int], ...] = (
    (None, 20),
    ("www.linkedin.com", 18),
    ("lnkd.in", 6),
    ("t.co", 12),
    ("www.facebook.com", 6),
    ("l.facebook.com", 5),
    ("m.facebook.com", 3),
    ("com.linkedin.android", 3),
    ("www.google.com", 4),
    ("duckduckgo.com", 1),
    ("www.bing.com", 1),
    ("mail.google.com", 3),
    ("outlook.live.com", 2),
    ("statics.teams.cdn.office.net", 2),
    ("app.slack.com", 2),
    ("discord.com", 1),
    ("www.reddit.com", 1),
    ("news.ycombinator.com", 1),
    ("github.com", 1),
    ("web.whatsapp.com", 1),
    ("mastodon.social", 1),
)
COUNTRIES: tuple[tuple[str | None, int], ...] = (
    ("SE", 40),
    ("NO", 8),
    ("DK", 7),
    ("FI", 7),
    ("DE", 8),
    ("GB", 6),
    ("US", 8),
    ("NL", 3),
    ("PL", 3),
    ("IN", 3),
    (None, 7),
)


@dataclass(frozen=True)
class Agent:
    user_agent: str | None
    method: str
    weight: int


# People (desktop, mobile, tablet, in-app), robots and link previews, weighted: about 90 %
# people, 7 % robots, 3 % previews, as a job post's link sees. The classes come from
# jobtrail.domain.robots itself, so the figures follow the code under test.
AGENTS: tuple[Agent, ...] = (
    Agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "GET",
        24,
    ),
    Agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
        "GET",
        8,
    ),
    Agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.1 Safari/605.1.15",
        "GET",
        8,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "GET",
        16,
    ),
    Agent(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        "GET",
        12,
    ),
    Agent(
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "GET",
        4,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1234",
        "GET",
        10,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148 Twitter for iPhone/10.68",
        "GET",
        8,
    ),
    Agent("curl/8.5.0", "GET", 2),
    Agent("python-requests/2.32.3", "GET", 1),
    Agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "GET", 2),
    Agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "HEAD",
        1,
    ),
    Agent(None, "GET", 1),
    Agent("Twitterbot/1.0", "GET", 1),
    Agent(
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "GET",
        1,
    ),
    Agent("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "GET", 1),
    Agent("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "GET", 1),
)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    volume: int  # clicks recorded for the large job
    burst: int  # clicks of each viral burst
    stats_calls: int  # timed stats requests per job, at most
    stats_seconds: float  # ... or fewer, once the timed requests have taken this long
    min_calls: int  # ... but never fewer than this
    block: int  # stats requests per job before switching to the other (interleaving)
    mixed: int  # mixed clicks (replayed in section 3)
    trickle: int  # clicks of section 4, one per batch
    days: int  # section 1's days: its clicks' and its stats request's, up to LAST_DAY

    @property
    def first_day(self) -> date:
        return LAST_DAY - timedelta(days=self.days - 1)

    @property
    def trickle_day(self) -> date:
        return self.first_day - timedelta(days=TRICKLE_BEFORE)

    @property
    def stats_query(self) -> str:
        return f"from={self.first_day.isoformat()}&to={LAST_DAY.isoformat()}"


def parse(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller volumes (about 1 min)")
    parser.add_argument("--volume", type=int, help="clicks of the large job (default 100,000)")
    parser.add_argument("--burst", type=int, help="clicks of each viral burst (default 10,000)")
    parser.add_argument("--calls", type=int, help="timed stats requests per job, at most")
    parser.add_argument("--trickle", type=int, help="clicks of section 4 (default 1,000)")
    parser.add_argument("--days", type=int, help="days of section 1 (default 30)")
    args = parser.parse_args(argv)
    # Under moto a stats request of today's counters takes ~0.5-4 s (moto's response
    # serializer costs ~1-2 ms per item), so the timed requests stop after a time budget,
    # at no fewer than min_calls per job: a ratio of 3-4x is settled long before 50 calls.
    # Cheap requests (the design's goal) get all stats_calls. --quick shrinks every
    # volume to smoke-test the sections in about a minute; its figures are not the budget's.
    # Time goes to moto: ~3-5 ms a PutItem, ~5-70 ms an UpdateItem (the more attributes
    # it adds to, the longer). Section 1's ingest costs by batches more than by clicks (a
    # day has ~12 shards, so a batch or more each, whatever the volume): ~2 min in all;
    # section 2 ~2 min; section 4 ~40 ms a click (3,000 would be ~2 min: 1,000 already
    # make ~70 batches a shard). --quick also asks for 20 days, not 30 (fewer batches).
    plan = (
        Plan(
            volume=2_000,
            burst=BATCH_SIZE,
            stats_calls=15,
            stats_seconds=4,
            min_calls=3,
            block=1,
            mixed=100,
            trickle=300,
            days=20,
        )
        if args.quick
        else Plan(
            volume=100_000,
            burst=10_000,
            stats_calls=50,
            stats_seconds=20,
            min_calls=5,
            block=1,
            mixed=BATCH_SIZE,
            trickle=1_000,
            days=30,
        )
    )
    plan = replace(
        plan,
        volume=args.volume or plan.volume,
        burst=args.burst or plan.burst,
        stats_calls=args.calls or plan.stats_calls,
        trickle=args.trickle or plan.trickle,
        days=args.days or plan.days,
    )
    if plan.volume < BATCH_SIZE or plan.burst < BATCH_SIZE or plan.stats_calls < plan.min_calls:
        parser.error(f"need at least {BATCH_SIZE} clicks and {plan.min_calls} stats requests")
    if not 2 <= plan.days <= MAX_DAYS:
        parser.error(f"section 1 needs 2 to {MAX_DAYS} days")
    return plan


# ------------------------------------------------------------------- instrumentation


@dataclass(frozen=True)
class Call:
    """One DynamoDB request as the handler sent it, and how it ended."""

    operation: str
    kind: str  # the main table's key prefix (STAT, VIS, WS...) or the table
    key: tuple[str, str] | None  # (pk, sk) of a GetItem, PutItem or UpdateItem
    conditional: bool
    error: str | None  # the service's error code, if it answered one
    seconds: float
    items: tuple[dict[str, Any], ...] = ()  # what a Query, GetItem or BatchGetItem answered
    item_bytes: int = 0  # their size by DynamoDB's rules (approximate)
    projected: bool = False  # a read of some attributes only (ProjectionExpression)
    idempotent: bool = False  # an UpdateItem that only sets attributes not set yet

    @property
    def label(self) -> str:
        return f"{self.operation} {self.kind}" + (" (projected)" if self.projected else "")


# ``#a = if_not_exists(#a, :v)``: sets #a only if it has no value yet.
IF_NOT_EXISTS = re.compile(r"(#\w+)\s*=\s*if_not_exists\s*\(\s*(#\w+)\s*,\s*:\w+\s*\)")


def only_if_not_exists(expression: str) -> bool:
    """True for an update expression that only sets attributes not set yet: applying it
    again changes nothing."""
    found = IF_NOT_EXISTS.findall(expression)
    rest = IF_NOT_EXISTS.sub("", expression)
    return (
        bool(found)
        and all(left == right for left, right in found)
        and re.fullmatch(r"\s*SET[\s,]*", rest) is not None
    )


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills and limits it: attribute names plus values."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    return len(str(raw))


class CallLog:
    """Every DynamoDB request of the process, from botocore's ``BaseClient._make_api_call``
    (boto3 and PynamoDB both end there, and moto answers below it), with its outcome: a
    conditional write that failed its condition is a request made, not a write done."""

    def __init__(self) -> None:
        self._calls: list[Call] = []

    @staticmethod
    def _kind(params: dict[str, Any]) -> tuple[str, tuple[str, str] | None]:
        key = params.get("Key") or params.get("Item") or {}
        pk = str(key.get("pk", {}).get("S", ""))
        found = (pk, str(key.get("sk", {}).get("S", ""))) if pk else None
        table_name = str(params.get("TableName", "?"))
        if not pk and "RequestItems" in params:
            # A BatchGetItem: {table: {"Keys": [...]}}, named by its first key's partition
            # (the handlers ask one partition at a time).
            asked = next(iter(params["RequestItems"].items()), None)
            if asked is not None:
                table_name = asked[0]
                keys = asked[1].get("Keys") if isinstance(asked[1], dict) else None
                pk = str(keys[0].get("pk", {}).get("S", "")) if keys else ""
        elif not pk:  # a Query names its partition among the expression's values
            values = params.get("ExpressionAttributeValues") or {}
            pk = next((str(v.get("S")) for v in values.values() if "#" in str(v.get("S"))), "")
        kind = pk.split("#", 1)[0] if "#" in pk else table_name
        return kind, found

    @staticmethod
    def _items(answer: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """The items a read answered: a Query's, a GetItem's, a BatchGetItem's (its
        ``Responses``: {table: [items]})."""
        if "Items" in answer:
            return tuple(answer["Items"])
        if "Item" in answer:
            return (answer["Item"],)
        responses = answer.get("Responses")
        if isinstance(responses, dict):
            return tuple(item for items in responses.values() for item in items)
        return ()

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        from botocore.client import BaseClient
        from botocore.exceptions import ClientError

        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        clock = time.perf_counter

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            kind, key = self._kind(params)
            conditional = "ConditionExpression" in params
            projected = "ProjectionExpression" in params
            idempotent = only_if_not_exists(str(params.get("UpdateExpression", "")))
            start = clock()
            try:
                answer = original(client, operation, params)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code"))
                seconds = clock() - start
                call = Call(
                    operation, kind, key, conditional, code, seconds, (), 0, projected, idempotent
                )
                self._calls.append(call)
                raise
            seconds = clock() - start
            items = self._items(answer)
            size = sum(item_size(item) for item in items)
            call = Call(
                operation, kind, key, conditional, None, seconds, items, size, projected, idempotent
            )
            self._calls.append(call)
            return answer

        with patched(BaseClient, "_make_api_call", recorded):
            yield

    def take(self) -> list[Call]:
        calls, self._calls = self._calls, []
        return calls


def pattern(calls: Sequence[Call]) -> str:
    """Calls as text, e.g. ``GetItem WS + Query STAT x2``."""
    names = Counter(c.label for c in calls)
    return " + ".join(n if k == 1 else f"{n} x{k}" for n, k in sorted(names.items())) or "-"


# ------------------------------------------------------------------------ the clicks


@dataclass(frozen=True)
class Link:
    slug: str
    channel: str
    sharer: str | None


@dataclass(frozen=True)
class Job:
    name: str
    job_id: str
    links: tuple[Link, ...]


class Traffic:
    """Clicks with the diversity of a real job post (several links, referrers, countries,
    devices, robots, previews), drawn from a seeded generator so every run sees the same."""

    def __init__(self, workspace_id: str, seed: int = SEED) -> None:
        self.workspace_id = workspace_id
        self._random = random.Random(seed)
        self._referrers = [r for r, _ in REFERRERS], [w for _, w in REFERRERS]
        self._countries = [c for c, _ in COUNTRIES], [w for _, w in COUNTRIES]
        self._agents = list(AGENTS), [a.weight for a in AGENTS]

    def _pick(self, values: tuple[list[Any], list[int]], n: int) -> list[Any]:
        return self._random.choices(values[0], weights=values[1], k=n)

    def clicks(
        self,
        links: Sequence[tuple[Job, Link]],
        n: int,
        start: datetime,
        end: datetime,
        visitors_per_day: int | None,
        tag: str,
    ) -> list[Image]:
        """``n`` clicks on ``links`` at uniformly random moments from ``start`` to ``end``,
        in time order (as the stream delivers them). Each day's visitors are drawn from a pool of
        ``visitors_per_day`` (None: every click is a new visitor); ``tag`` keeps the pools
        of different calls apart."""
        span = (end - start).total_seconds()
        moments = sorted(start + timedelta(seconds=self._random.random() * span) for _ in range(n))
        chosen = self._random.choices(links, k=n)
        agents = self._pick(self._agents, n)
        referrers = self._pick(self._referrers, n)
        countries = self._pick(self._countries, n)
        images = []
        for i, at in enumerate(moments):
            job, link = chosen[i]
            number = i if visitors_per_day is None else self._random.randrange(visitors_per_day)
            visitor = hashlib.sha256(f"{tag}\n{at.date()}\n{number}".encode()).hexdigest()[:32]
            images.append(self.image(job, link, at, visitor, agents[i], referrers[i], countries[i]))
        return images

    def image(
        self,
        job: Job,
        link: Link,
        at: datetime,
        visitor: str,
        agent: Agent,
        referrer: str | None,
        country: str | None,
    ) -> Image:
        """The click item exactly as ``store.clicks`` writes it (its own serialization)."""
        millis = int(at.timestamp() * 1000)
        click = Click(
            click_id=f"{millis:012x}{self._random.getrandbits(80):020x}",
            at=at,
            slug=link.slug,
            workspace_id=self.workspace_id,
            job_id=job.job_id,
            channel=link.channel,
            sharer=link.sharer,
            visitor=visitor,
            bot_class=robots.classify(agent.method, agent.user_agent),
            method=agent.method,
            user_agent=agent.user_agent,
            referrer_host=referrer,
            country=country,
            device=device_class(agent.user_agent),
            expires_at=at + timedelta(days=400),
        )
        return click_image(click)


@dataclass(frozen=True)
class Shard:
    opened: datetime
    shard_id: str


class Shards:
    """The events table's stream shards as time goes by. DynamoDB Streams gives each
    partition of the table an open shard; a shard takes records for about four hours, then
    closes and a child shard takes over. Here the table has OPEN_SHARDS partitions (a click
    goes to one by its key's hash, as DynamoDB places items), each rolling to a new shard
    every SHARD_HOURS give or take a few minutes, the partitions out of step. A shard id
    names its creation time and a random suffix, as DynamoDB's do:
    ``shardId-<creation ms, 20 digits>-<8 hex>``. Seeded, and drawn in time order per
    partition: the same moment is always on the same shard, whatever the order asked."""

    def __init__(self, seed: int = SEED + 2) -> None:
        self._random = [random.Random(seed + lane) for lane in range(OPEN_SHARDS)]
        self._lanes: list[list[Shard]] = []
        self._opened: list[list[datetime]] = []  # the lanes' shards' creation times
        for lane in range(OPEN_SHARDS):
            # The partitions split at the stream's start, and roll out of step thereafter.
            first = SHARD_HOURS * (lane + 1) / OPEN_SHARDS
            self._lanes.append(
                [
                    self._shard(lane, STREAM_CREATED),
                    self._shard(lane, STREAM_CREATED + timedelta(hours=first)),
                ]
            )
            self._opened.append([s.opened for s in self._lanes[lane]])

    def _shard(self, lane: int, opened: datetime) -> Shard:
        millis = int(opened.timestamp() * 1000)
        return Shard(opened, f"shardId-{millis:020d}-{self._random[lane].getrandbits(32):08x}")

    def of(self, click_id: str, at: datetime) -> str:
        """The shard a click written at ``at`` goes to."""
        if at < STREAM_CREATED:
            raise ValueError(f"a click at {at} is older than the stream")
        lane = int(hashlib.sha256(click_id.encode()).hexdigest()[:8], 16) % OPEN_SHARDS
        shards, opened = self._lanes[lane], self._opened[lane]
        while opened[-1] <= at:
            minutes = self._random[lane].uniform(-SHARD_JITTER_MINUTES, SHARD_JITTER_MINUTES)
            shards.append(
                self._shard(lane, opened[-1] + timedelta(hours=SHARD_HOURS, minutes=minutes))
            )
            opened.append(shards[-1].opened)
        return shards[bisect.bisect_right(opened, at) - 1].shard_id


class Stream:
    """Records as DynamoDB Streams hands them to Lambda, and the events the aggregator's
    event source makes of them (``infra.local.streams.StreamPump.event``): each record on
    its shard (``Shards``), with a sequence number (digit strings, at most 40 digits; 21
    here like the sample event's) unique across the stream and increasing on each shard in
    the order the bench delivers, and a unique event id. An event holds up to ``size``
    records of one shard, in order, with the tumbling window's fields (``shardId``,
    ``window``, ``state``...); a shard's events come in order, the shards' interleaved by
    their first record as Lambda's concurrent pollers would."""

    ARN = "arn:aws:dynamodb:eu-north-1:123456789012:table/jobtrail-events/stream/2026-06-01"

    def __init__(self) -> None:
        self._sequence = 100_000_000_000_000_000_000
        self._random = random.Random(SEED + 1)
        self.shards = Shards()

    def record(self, image: Image) -> dict[str, Any]:
        self._sequence += 1 + self._random.randrange(1000)  # gaps, as between shards' records
        at = datetime.fromisoformat(image["at"]["S"].replace("Z", "+00:00"))
        return {
            "eventID": f"{self._random.getrandbits(128):032x}",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": os.environ["AWS_DEFAULT_REGION"],
            "dynamodb": {
                "ApproximateCreationDateTime": int(at.timestamp()),
                "Keys": {"click_id": image["click_id"]},
                "NewImage": image,
                "SequenceNumber": str(self._sequence),
                "SizeBytes": item_size(image),
                "StreamViewType": "NEW_IMAGE",
            },
            "eventSourceARN": self.ARN,
        }

    def events(self, images: Sequence[Image], size: int = BATCH_SIZE) -> list[Event]:
        """``images`` (in time order) as the aggregator's events: per shard, batches of at
        most ``size``. A batch is not cut at its window's end: the bench delivers weeks of
        clicks in minutes, and the window only names the shard (the aggregator keeps no
        state); section 4 delivers the other extreme, one click per batch."""
        by_shard: dict[str, list[dict[str, Any]]] = {}
        for image in images:
            at = datetime.fromisoformat(image["at"]["S"].replace("Z", "+00:00"))
            shard = self.shards.of(image["click_id"]["S"], at)
            by_shard.setdefault(shard, []).append(self.record(image))
        batches = [
            (shard, records[i : i + size])
            for shard, records in by_shard.items()
            for i in range(0, len(records), size)
        ]
        batches.sort(key=lambda batch: int(batch[1][0]["dynamodb"]["SequenceNumber"]))
        return [self.event(shard, records) for shard, records in batches]

    def event(self, shard: str, records: list[dict[str, Any]]) -> Event:
        seconds = records[0]["dynamodb"]["ApproximateCreationDateTime"]
        start = seconds - seconds % WINDOW_SECONDS
        return {
            "Records": records,
            "window": {"start": iso(start), "end": iso(start + WINDOW_SECONDS)},
            "state": {},
            "shardId": shard,
            "eventSourceARN": self.ARN,
            "isFinalInvokeForWindow": False,
            "isWindowTerminatedEarly": False,
        }


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------ setup


@dataclass
class BenchClock:
    """``jobtrail.domain.times.Clock`` as the bench sets it: the functions see the moment
    the bench gives them (never the machine's date), and the machine's monotonic time."""

    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class World:
    calls: CallLog
    admin: Any  # a boto3 client for setup and snapshots (its calls are discarded)
    main_table: str
    workspace_id: str
    jobs: dict[str, Job]
    traffic: Traffic
    stream: Stream
    dispatcher: Dispatcher
    api_key: str
    plans: list[tuple[int, int]] = field(default_factory=list)  # (counters, markers) per batch
    # What the aggregator's clock reads: when the batch's last click was made (a stream
    # delivers within a second), so clicks count on their day, not late.
    aggregator_clock: BenchClock = field(default_factory=BenchClock)
    # The API function's: the day after the stats' range.
    api_clock: BenchClock = field(default_factory=BenchClock)
    handlers: dict[str, Any] = field(default_factory=dict)  # wired with those clocks


def request(world: World, method: str, path: str, body: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {world.api_key}", "content-type": "application/json"}
    answer = world.dispatcher.request(method, path, headers=headers, body=body)
    if answer["statusCode"] not in (200, 201):
        raise RuntimeError(f"{method} {path}: {answer}")
    return answer


def create_job(world: World, name: str) -> Job:
    """A job as a recruiter makes it, through the API: one link per channel, then a few
    links of people sharing it."""

    body = {"title": f"Senior Python developer ({name})", "url": "https://careers.example.se/1"}
    made = request(world, "POST", "/api/jobs", json.dumps({**body, "channels": list(CHANNELS)}))
    job_id = json.loads(made["body"])["id"]
    for channel, sharer in SHARER_LINKS:
        link = {"channel": channel, "sharer": sharer}
        request(world, "POST", f"/api/jobs/{job_id}/links", json.dumps(link))
    read = json.loads(request(world, "GET", f"/api/jobs/{job_id}")["body"])
    links = tuple(Link(x["slug"], x["channel"], x["sharer"]) for x in read["links"])
    return Job(name, job_id, links)


def setup(stack: contextlib.ExitStack) -> World:
    """moto, the tables from the same specs as CDK's, a workspace and its jobs."""
    stack.enter_context(mock_aws())
    admin = boto3.client("dynamodb")
    names = create_tables(admin)
    workspace_id, api_key = create_workspace("Bench", now="2026-10-01T09:00:00.000Z")
    calls = CallLog()
    stack.enter_context(calls.recording())
    world = World(
        calls=calls,
        admin=admin,
        main_table=names["MainTable"],
        workspace_id=workspace_id,
        jobs={},
        traffic=Traffic(workspace_id),
        stream=Stream(),
        dispatcher=Dispatcher(LocalFunctions()),
        api_key=api_key,
    )
    with powertools_output_discarded():
        for name in ("small", "large", "viral-a", "viral-b"):
            world.jobs[name] = create_job(world, name)

    # Record each batch's plan as the handler hands it to apply_batch. Visitors found new
    # then credit counters the plan already has (a human click always adds to them), so
    # its size is read again afterwards and the larger taken, in case that ever changes.
    original = counter_store.apply_batch  # what the handler imported by name

    def spied(plan: BatchPlan, shard: str, *, now: datetime) -> int:
        counters, markers = len(plan.counters), len(plan.markers)
        try:
            return original(plan, shard, now=now)
        finally:
            world.plans.append((max(counters, len(plan.counters)), markers))

    stack.enter_context(patched(aggregator, "apply_batch", spied))
    settings = Settings.from_env()
    world.handlers = {
        "aggregator": aggregator.build(settings, world.aggregator_clock),
        "api": api.build(settings, world.api_clock),
    }
    world.calls.take()
    return world


# --------------------------------------------------------------------- the aggregator


@dataclass(frozen=True)
class Batch:
    """One aggregator invocation: what its plan held and what it sent to DynamoDB."""

    shard: str  # the event's shardId
    clicks: int
    counters: int  # distinct counter keys (plan.counters)
    markers: int  # distinct visitor markers (plan.markers)
    calls: tuple[Call, ...]
    seconds: float

    @property
    def keys(self) -> int:
        return self.counters + self.markers

    def count(self, operation: str) -> int:
        return sum(1 for c in self.calls if c.operation == operation)

    @property
    def writes(self) -> int:
        return self.count("UpdateItem") + self.count("PutItem") + self.count("GetItem")

    @property
    def dynamodb_seconds(self) -> float:
        return sum(c.seconds for c in self.calls)


def deliver(world: World, event: Event) -> Batch:
    context = LocalContext(
        function_name="jobtrail-aggregator",
        memory_limit_in_mb=FUNCTIONS["aggregator"].memory_mb,
        timeout_seconds=FUNCTIONS["aggregator"].timeout_seconds,
    )
    world.calls.take()
    planned = len(world.plans)
    made = event["Records"][-1]["dynamodb"]["ApproximateCreationDateTime"]
    world.aggregator_clock.moment = datetime.fromtimestamp(made, UTC)
    start = time.perf_counter()
    answer = world.handlers["aggregator"](event, context)
    seconds = time.perf_counter() - start
    calls = tuple(world.calls.take())
    if answer != {"batchItemFailures": [], "state": {}}:
        raise RuntimeError(f"the aggregator reported failures: {answer}")
    if len(world.plans) != planned + 1:
        raise RuntimeError("the aggregator did not apply exactly one plan")
    counters, markers = world.plans[-1]
    return Batch(event["shardId"], len(event["Records"]), counters, markers, calls, seconds)


def deliver_all(world: World, events: Sequence[Event]) -> list[Batch]:
    with powertools_output_discarded():
        return [deliver(world, event) for event in events]


# ------------------------------------------------------------------ 1. stats vs clicks


@dataclass
class StatsSide:
    job: Job
    clicks: int
    batches: int
    shards: int  # distinct shards its clicks came on
    event: Event
    samples: list[float] = field(default_factory=list)  # ns, the whole request
    own: list[float] = field(default_factory=list)  # ns, without its DynamoDB calls (moto)
    calls: list[Call] = field(default_factory=list)  # the first request's
    later: list[list[Call]] = field(default_factory=list)  # each timed request's
    shown: dict[str, Any] = field(default_factory=dict)  # the first request's answer


def stats_event(world: World, job: Job, query: str, route: str = "stats") -> Event:
    """The API function's event for the stats request (or ``stats.csv``), as API Gateway
    sends it after the authorizer allowed it (the same steps as infra.local.dispatch)."""
    path = f"/api/jobs/{job.job_id}/{route}"
    headers = {"authorization": f"Bearer {world.api_key}"}
    match = world.dispatcher.routes.match("GET", path)
    assert match is not None
    event = http_event(
        "GET",
        path,
        query=query,
        headers=headers,
        route_key=match.route_key,
        path_parameters=match.path_parameters or None,
    )
    allowed = world.dispatcher.functions.invoke("authorizer", authorizer_event(event))
    if not allowed.get("isAuthorized"):
        raise RuntimeError("the bench's API key was refused")
    event["requestContext"]["authorizer"] = {"lambda": allowed.get("context") or {}}
    return event


def ask_stats(world: World, side: StatsSide, context: Any) -> dict[str, Any]:
    answer = world.handlers["api"](side.event, context)
    if answer["statusCode"] != 200:
        raise RuntimeError(f"stats answered {answer}")
    return dict(json.loads(answer["body"]))


def counter_items(world: World, pk: str) -> list[dict[str, Any]]:
    """Every item of a partition, read with the admin client (outside every count)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "TableName": world.main_table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
    }
    while True:
        page = world.admin.query(**params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            world.calls.take()
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def fences(item: dict[str, Any]) -> int:
    return sum(1 for name in item if name.startswith("f_"))


def fence_bytes(items: Sequence[dict[str, Any]]) -> int:
    """What one fence attribute costs an item (its name and value), the most seen."""
    return max(
        (len(n) + value_size(v) for i in items for n, v in i.items() if n.startswith("f_")),
        default=0,
    )


def read_items(
    calls: Sequence[Call], operation: str, *, projected: bool | None = None
) -> list[dict[str, Any]]:
    """The counter items (``STAT#<job>``) the request's calls of ``operation`` answered
    (only the projected reads, or only the others, if ``projected`` says)."""
    return [
        i
        for c in calls
        if c.operation == operation
        and c.kind == "STAT"
        and (projected is None or c.projected == projected)
        for i in c.items
    ]


def kilobytes(items: Sequence[dict[str, Any]]) -> str:
    return f"{sum(item_size(i) for i in items) / 1024:.1f}"


def counter_kind(sort_key: str) -> tuple[int, str]:
    """What a counter item is, by its sort key (``store.counters``), and its place in a
    table: days, then spans by size, then the rest."""
    if sort_key.startswith(DAY_PREFIX):
        return 0, "days (D#<day>)"
    head = sort_key.split("#", 1)[0]
    if head[:1] == "S" and head[1:].isdigit():
        level = int(head[1:])
        return level, f"{1 << level}-day spans (S{level}#<first day>)"
    if sort_key == "FIRST":
        return 10, "previews' first sight (FIRST)"
    if head == "channel":
        if sort_key.count("#") == 2:
            return 11, "channel days (channel#<channel>#<day>)"
        return 12, "channels (channel#<channel>)"
    return 13, head


def group_counters(items: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(counter_kind(item["sk"]["S"]), []).append(item)
    return [(what, found) for (_, what), found in sorted(groups.items())]


def measure_stats(world: World, plan: Plan) -> tuple[list[Budget], list[Batch]]:
    """Section 1. Answers its budgets and the ingest's batches (for section 2's totals)."""
    traffic, stream = world.traffic, world.stream
    start = datetime.combine(plan.first_day, datetime.min.time(), UTC)
    end = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), UTC)
    sides: list[StatsSide] = []
    ingest: list[Batch] = []
    for name, clicks, visitors in (
        ("small", SMALL_CLICKS, None),
        ("large", plan.volume, VOLUME_VISITORS_PER_DAY),
    ):
        job = world.jobs[name]
        images = traffic.clicks(
            [(job, link) for link in job.links], clicks, start, end, visitors, name
        )
        batches = deliver_all(world, stream.events(images))
        if name == "large":
            ingest = batches
        shards = len({b.shard for b in batches})
        sides.append(
            StatsSide(job, clicks, len(batches), shards, stats_event(world, job, plan.stats_query))
        )
    small, large = sides

    context = LocalContext(
        function_name="jobtrail-api",
        memory_limit_in_mb=FUNCTIONS["api"].memory_mb,
        timeout_seconds=FUNCTIONS["api"].timeout_seconds,
    )
    with powertools_output_discarded():
        # One untimed request per job first: its DynamoDB calls are counted (it adds up and
        # keeps the spans no request kept yet), it warms what a first request builds (the
        # API function already served setup's requests), and its answer proves the clicks
        # are all there.
        for side in sides:
            world.calls.take()
            side.shown = ask_stats(world, side, context)
            side.calls = world.calls.take()
            if side.shown["clicks"]["total"] != side.clicks:
                raise RuntimeError(f"{side.job.name}: stats show {side.shown['clicks']}")
        gc.collect()
        # Interleaved blocks, alternating which job goes first, so that the machine's
        # speed drifting (a shared 2-core VM does) hits both alike.
        clock = time.perf_counter_ns
        deadline = time.perf_counter() + plan.stats_seconds
        round_no = 0
        while len(small.samples) < plan.min_calls or (
            len(small.samples) < plan.stats_calls and time.perf_counter() < deadline
        ):
            round_no += 1
            for side in sides[:: 1 if round_no % 2 else -1]:
                for _ in range(min(plan.block, plan.stats_calls - len(side.samples))):
                    world.calls.take()
                    begin = clock()
                    shown = ask_stats(world, side, context)
                    took = clock() - begin
                    calls = world.calls.take()
                    side.samples.append(took)
                    side.own.append(took - sum(c.seconds for c in calls) * 1e9)
                    side.later.append(calls)
                    if shown != side.shown:
                        raise RuntimeError(f"{side.job.name}: stats changed between requests")

    medians = {side.job.name: statistics.median(side.samples) for side in sides}
    ratio = medians["large"] / medians["small"]
    own = {side.job.name: statistics.median(side.own) for side in sides}

    def read_columns(calls: Sequence[Call]) -> list[object]:
        spans = read_items(calls, "BatchGetItem")
        days = read_items(calls, "Query", projected=False)
        return [
            f"{len(spans)} / {kilobytes(spans)}",
            f"{len(days)} / {kilobytes(days)}" if days else "-",
        ]

    rows = []
    for side in sides:
        timed = side.later[-1]  # one of the timed requests (they are checked alike below)
        rows.append(
            [
                side.job.name,
                f"{side.clicks:,}",
                side.batches,
                side.shards,
                "first",
                len(side.calls),
                pattern(side.calls),
                *read_columns(side.calls),
                "-",
                "-",
                "-",
                "-",
            ]
        )
        rows.append(
            [
                "",
                "",
                "",
                "",
                f"then x{len(side.samples)}",
                counted(side.later),
                pattern(timed),
                *read_columns(timed),
                f"{medians[side.job.name] / 1e6:.1f}",
                f"{min(side.samples) / 1e6:.1f}",
                f"{max(side.samples) / 1e6:.1f}",
                f"{own[side.job.name] / 1e6:.1f}",
            ]
        )
    say(
        f"1. Stats cost vs clicks: GET /api/jobs/{{job}}/stats?{plan.stats_query} "
        f"({plan.days} days, 'today' being {TODAY}), the API function's handler: one untimed "
        f"request per job (counted), then {len(small.samples)} timed ones per job, interleaved "
        f"in blocks of {plan.block}"
    )
    say(
        table(
            [
                "job",
                "clicks",
                "batches",
                "shards",
                "request",
                "calls",
                "DynamoDB calls per request",
                "spans items/KB",
                "days added up items/KB",
                "median ms",
                "min ms",
                "max ms",
                "own ms",
            ],
            rows,
        )
    )
    calls_first = (len(small.calls), len(large.calls))
    calls_then = (counted(small.later), counted(large.later))
    same_calls = calls_first[0] == calls_first[1] and calls_then[0] == calls_then[1]
    say(
        f"  calls: first {calls_first[0]} vs {calls_first[1]}, then {calls_then[0]} vs "
        f"{calls_then[1]} (budget: the same); median ratio large/small: {ratio:.2f}x (budget <= "
        f"{STATS_LIMIT:.1f}x); without moto's time ('own ms', the function's own work): "
        f"{own['large'] / own['small']:.2f}x"
    )
    say(
        "  (the authorizer is its own function, cached 60 s per key: left out. 'spans': what "
        "the BatchGetItem STAT answered (the spans and recent days making up the range, and "
        "FIRST); 'days added up': what a Query STAT of whole days answered, to add up a span "
        "not kept yet; sized by DynamoDB's item rules)"
    )

    # Why the figures grow: what the counters hold, read raw with the admin client
    # (PynamoDB would drop what CounterItem does not declare). Every shard that wrote to a
    # counter leaves an f_<shard> fence on it.
    def fence_row(label: str, items: Sequence[dict[str, Any]]) -> list[object]:
        return [
            label,
            len(items),
            f"{statistics.mean(fences(i) for i in items):.1f}",
            max(fences(i) for i in items),
            f"{statistics.mean(item_size(i) for i in items):,.0f}",
            f"{max(item_size(i) for i in items):,}",
        ]

    fence_rows = []
    held: list[dict[str, Any]] = []
    for side in sides:
        items = counter_items(world, job_stats_key(side.job.job_id))
        held += items
        for what, group in group_counters(items):
            fence_rows.append(fence_row(f"{side.job.name}: {what}", group))
    # Read apart (the stats request does not): the workspace's channel counters.
    workspace = counter_items(world, workspace_stats_key(world.workspace_id))
    fence_rows += [fence_row(f"workspace: {what}", i) for what, i in group_counters(workspace)]
    say("  what the counters hold (every item of the jobs' STAT partitions, raw):")
    say(
        table(
            ["counters", "items", "fences mean", "fences max", "bytes mean", "bytes max"],
            fence_rows,
            indent="    ",
        )
    )
    say(fence_summary(held + workspace, large.shards, plan.days))
    say()
    budgets = [
        Budget(
            "stats DynamoDB calls, 100 vs many clicks",
            f"first {calls_first[0]} vs {calls_first[1]}, then {calls_then[0]} vs "
            f"{calls_then[1]} ({small.clicks:,} / {large.clicks:,})",
            "the same",
            same_calls,
        ),
        Budget(
            "stats median, many / 100 clicks",
            f"{ratio:.2f}x ({medians['large'] / 1e6:.1f} / {medians['small'] / 1e6:.1f} ms)",
            f"<= {STATS_LIMIT:.1f}x",
            ratio <= STATS_LIMIT,
        ),
    ]
    return budgets, ingest


def counted(requests: Sequence[Sequence[Call]]) -> str:
    """The number of calls of these requests: one figure, or the range if they differ."""
    sizes = sorted({len(calls) for calls in requests})
    return str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"


def fence_summary(items: Sequence[dict[str, Any]], shards: int, days: int) -> str:
    """What the fences cost, and what bounds them: a counter item of one day carries the
    fences of that day's shards; one written on many days (a span, FIRST) of them all."""
    per_fence = fence_bytes(items)
    per_day = shards / days
    most = max(items, key=fences)
    text = (
        f"  a fence costs ~{per_fence} bytes. The large job's clicks came on {shards} shards "
        f"in {days} days (~{per_day:.1f} a day: {OPEN_SHARDS} open, each for ~{SHARD_HOURS} "
        f"h); most fences on an item: {fences(most)} on {most['sk']['S']} "
        f"({item_size(most):,} bytes)"
    )
    if fences(most) <= 2 * per_day:
        return text + ": only days carry fences, so they stay about that many"
    full = 64 * per_day * per_fence
    limit_at = ITEM_LIMIT / (full / OPEN_SHARDS)
    return text + (
        f". An item written on many days collects their shards' fences: one written every "
        f"day for 64 days would hold ~{64 * per_day:,.0f}, ~{full / 1024:.0f} KB, and reach "
        f"DynamoDB's {ITEM_LIMIT // 1024} KB item limit at ~{limit_at:.0f} open shards (one "
        "per partition of the events table)"
    )


# ------------------------------------------------------------ 2. write amplification


@dataclass
class Scenario:
    name: str
    batches: list[Batch]
    per_batch: bool  # print every batch, not only the totals

    @property
    def ok(self) -> bool:
        return all(b.writes <= b.keys for b in self.batches)

    @property
    def worst(self) -> Batch:
        return max(self.batches, key=lambda b: b.writes / b.keys)


def batch_row(label: object, batches: Sequence[Batch]) -> list[object]:
    clicks = sum(b.clicks for b in batches)
    counters = sum(b.counters for b in batches)
    markers = sum(b.markers for b in batches)
    writes = sum(b.writes for b in batches)
    seconds = sum(b.seconds for b in batches)
    own = seconds - sum(b.dynamodb_seconds for b in batches)
    return [
        label,
        f"{clicks:,}",
        f"{counters:,}",
        f"{markers:,}",
        f"{counters + markers:,}",
        f"{sum(b.count('UpdateItem') for b in batches):,}",
        f"{sum(b.count('PutItem') for b in batches):,}",
        f"{sum(b.count('GetItem') for b in batches):,}",
        f"{writes:,}",
        "yes" if all(b.writes <= b.keys for b in batches) else "NO",
        f"{seconds * 1000:,.0f}",
        f"{clicks / seconds:,.0f}",
        f"{clicks / own:,.0f}" if own > 0 else "-",
    ]


BATCH_HEADERS = [
    "batch",
    "B clicks",
    "counters",
    "markers",
    "K",
    "UpdateItem",
    "PutItem",
    "GetItem",
    "writes",
    "<= K",
    "ms",
    "clicks/s",
    "own clicks/s",
]


def measure_writes(
    world: World, plan: Plan, ingest: list[Batch]
) -> tuple[list[Budget], list[Event], list[Batch]]:
    """Section 2. Answers its budgets, and the mixed clicks' events and their delivery
    (replayed in section 3)."""
    traffic, stream = world.traffic, world.stream
    start = datetime.combine(VIRAL_DAY, datetime.min.time(), UTC) + timedelta(hours=8)
    end = start + timedelta(hours=VIRAL_HOURS)
    scenarios = []
    for name, job_name, visitors in (
        (f"viral (a): {plan.burst:,} distinct visitors", "viral-a", None),
        (f"viral (b): {REPEAT_VISITORS} visitors", "viral-b", REPEAT_VISITORS),
    ):
        job = world.jobs[job_name]
        link = next(x for x in job.links if x.channel == "linkedin" and x.sharer is None)
        images = traffic.clicks([(job, link)], plan.burst, start, end, visitors, job_name)
        scenarios.append(Scenario(name, deliver_all(world, stream.events(images)), True))

    # Mixed clicks: every job and link, people, robots and previews, across midnight (a
    # batch per shard they came on).
    midnight = datetime.combine(VIRAL_DAY + timedelta(days=1), datetime.min.time(), UTC)
    every_link = [(job, link) for job in world.jobs.values() for link in job.links]
    images = traffic.clicks(
        every_link,
        plan.mixed,
        midnight - timedelta(hours=1),
        midnight + timedelta(hours=1),
        MIXED_VISITORS_PER_DAY,
        "mixed",
    )
    mixed_events = stream.events(images)
    mixed = deliver_all(world, copy.deepcopy(mixed_events))
    label = f"mixed: {len(world.jobs)} jobs, {len(every_link)} links, 2 days"
    scenarios.append(Scenario(label, mixed, False))
    scenarios.append(Scenario(f"section 1's ingest, {plan.volume:,} clicks", ingest, False))

    say(
        "2. Aggregator write amplification: K = distinct counter keys (plan.counters, one "
        "UpdateItem each) + distinct visitor markers (plan.markers, one conditional PutItem "
        "each); writes = UpdateItem + PutItem + GetItem (fallback) calls"
    )
    for scenario in (s for s in scenarios if s.per_batch):
        say(
            f"  {scenario.name}, one link, {VIRAL_HOURS} hours, batches of up to {BATCH_SIZE} "
            "of a shard (its id's suffix):"
        )
        rows = [batch_row(f"{i + 1} ({b.shard[-8:]})", [b]) for i, b in enumerate(scenario.batches)]
        rows.append(batch_row("total", scenario.batches))
        say(table(BATCH_HEADERS, rows, indent="    "))
    say("  totals:")
    say(
        table(
            ["scenario", *BATCH_HEADERS[1:]],
            [batch_row(s.name, s.batches) for s in scenarios],
            indent="    ",
        )
    )
    say(
        "  ('own clicks/s': the handler's time without its DynamoDB calls, i.e. without moto; "
        "'ms': wall time of the invocations, in-process)"
    )
    # The narrower reading, K = counter keys only, for information: the visitor
    # markers (one conditional put per visitor, and per visitor and channel, new to the
    # batch) are most of the writes.
    say("  counting counter keys only (not a budget here):")
    rows = []
    for scenario in scenarios:
        batches = scenario.batches
        clicks = sum(b.clicks for b in batches)
        puts = sum(b.count("PutItem") for b in batches)
        worst = max(batches, key=lambda b: b.writes / b.counters)
        rows.append(
            [
                scenario.name,
                f"{sum(b.count('UpdateItem') for b in batches):,}",
                f"{sum(b.counters for b in batches):,}",
                f"{puts:,}",
                f"{puts / clicks:.2f}",
                f"{sum(b.writes for b in batches) / clicks:.2f}",
                f"{worst.writes / worst.counters:.1f}",
            ]
        )
    headers = ["scenario", "UpdateItem", "counter keys", "marker puts", "puts/click"]
    say(table([*headers, "writes/click", "worst writes/counter keys"], rows, indent="    "))
    say()
    budgets = [
        Budget(
            f"aggregator writes <= K, {s.name}",
            f"writes/K <= {s.worst.writes / s.worst.keys:.2f} in {len(s.batches)} "
            f"batch{'es' if len(s.batches) != 1 else ''} (<= {max(b.writes for b in s.batches):,} "
            "writes each)",
            "writes <= K every batch",
            s.ok,
        )
        for s in scenarios
    ]
    return budgets, mixed_events, mixed


# --------------------------------------------------------------------- 3. the replay


def counts(world: World, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The counts of these counters (their fences left out), read with the admin client in
    batches of 100 keys: reading their whole partitions would cost moto seconds."""
    found = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 100):
        wanted: dict[str, Any] = {
            world.main_table: {
                "Keys": [
                    {"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in ordered[start : start + 100]
                ],
                "ConsistentRead": True,
            }
        }
        while wanted:
            answer = world.admin.batch_get_item(RequestItems=wanted)
            for item in answer["Responses"].get(world.main_table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = {
                    k: v
                    for k, v in item.items()
                    if not k.startswith("f_") and k not in ("pk", "sk")
                }
            wanted = answer.get("UnprocessedKeys") or {}
    world.calls.take()
    return found


def updated(batches: Sequence[Batch]) -> set[tuple[str, str]]:
    return {
        c.key for b in batches for c in b.calls if c.operation == "UpdateItem" and c.key is not None
    }


def measure_replay(world: World, events: Sequence[Event], first: Sequence[Batch]) -> list[Budget]:
    """Section 3: the mixed clicks' batches, each delivered again (same shard, same
    sequence numbers), in the same order. Compares every counter their first delivery
    updated, and any the replay touches."""
    # A job's count of late clicks (CHANGES) is no count the stats show: it tells kept
    # spans of days that a late click came, needs only to grow, and grows again on a replay
    # of late clicks (the mixed batch runs across midnight). It is left out and shown apart.
    before = counts(world, updated(first))
    replayed = deliver_all(world, copy.deepcopy(list(events)))
    after = counts(world, updated(first) | updated(replayed))
    changed = sorted(
        k for k in before.keys() | after.keys() if before.get(k) != after.get(k) and k[1] != CHANGES
    )
    before = {k: v for k, v in before.items() if k[1] != CHANGES}
    every_call = [c for b in replayed for c in b.calls]
    late_counts = [c for c in every_call if c.key is not None and c.key[1] == CHANGES]
    calls = [c for c in every_call if c not in late_counts]
    first_calls = sum(len(b.calls) for b in first)
    rows = []
    for operation in ("PutItem", "UpdateItem", "GetItem"):
        sent = [c for c in calls if c.operation == operation]
        rows.append(
            [
                operation,
                len(sent),
                sum(1 for c in sent if c.error is None),
                sum(1 for c in sent if c.error == "ConditionalCheckFailedException"),
                sum(1 for c in sent if c.conditional) if operation != "GetItem" else "-",
                sum(1 for c in sent if c.idempotent) if operation == "UpdateItem" else "-",
            ]
        )
    # An update that only sets what is not set yet (a preview's first sight) changes
    # nothing the second time: it needs no fence.
    succeeded_updates = sum(
        1 for c in calls if c.operation == "UpdateItem" and c.error is None and not c.idempotent
    )
    unconditional = sum(
        1
        for c in calls
        if c.operation in ("PutItem", "UpdateItem") and not c.conditional and not c.idempotent
    )
    idempotent = sum(1 for c in calls if c.idempotent)
    shards = len({b.shard for b in replayed})
    say(
        f"3. Replay: the mixed clicks' {len(replayed)} batches on {shards} shards "
        f"({sum(b.clicks for b in replayed)} clicks, {sum(b.counters for b in replayed)} "
        f"counter keys, {sum(b.markers for b in replayed)} markers) delivered a second time"
    )
    headers = ["operation", "calls", "succeeded", "condition failed", "conditional"]
    say(table([*headers, "only if_not_exists"], rows))
    say(
        f"  counters compared: {len(before)}; changed by the replay: {len(changed)}"
        + (f" ({', '.join(map(str, changed[:5]))}...)" if changed else "")
    )
    say(
        f"  the replay sent {len(calls)} calls in "
        f"{sum(b.seconds for b in replayed) * 1000:,.0f} ms; the first delivery {first_calls} in "
        f"{sum(b.seconds for b in first) * 1000:,.0f} ms (a marker put of the same batch "
        "succeeds again by design: its token, <shard>/<sequence>, matches)"
    )
    say()
    return [
        Budget(
            "replayed batches change no count",
            f"{len(changed)} of {len(before)} counters changed",
            "0",
            not changed,
        ),
        Budget(
            "replayed batches: only fenced or idempotent writes",
            f"{succeeded_updates} counter updates applied, {unconditional} unconditional writes "
            f"(besides {idempotent} if_not_exists-only updates and {len(late_counts)} late-click "
            "counts)",
            "0 and 0",
            succeeded_updates == 0 and unconditional == 0,
        ),
    ]


# ------------------------------------------------------------ 4. fences under trickle


def measure_trickle(world: World, plan: Plan) -> list[Budget]:
    """Section 4: a quiet job's day, one click per batch (at low traffic Lambda invokes as
    soon as a record comes: no batching window), on the rolling shards, then one stats
    request over the days around it (which adds up and keeps the spans holding it). Its
    counters must carry one fence per shard that wrote to them, not one per batch."""
    with powertools_output_discarded():
        job = create_job(world, "trickle")
    day = plan.trickle_day
    start = datetime.combine(day, datetime.min.time(), UTC)
    images = world.traffic.clicks(
        [(job, link) for link in job.links],
        plan.trickle,
        start,
        start + timedelta(days=1),
        TRICKLE_VISITORS,
        "trickle",
    )
    batches = deliver_all(world, world.stream.events(images, size=1))
    # Which shards wrote to each counter: the batches whose update of it went through.
    writers: dict[tuple[str, str], set[str]] = {}
    updates: Counter[tuple[str, str]] = Counter()
    for batch in batches:
        for call in batch.calls:
            if call.operation == "UpdateItem" and call.error is None and call.key is not None:
                writers.setdefault(call.key, set()).add(batch.shard)
                updates[call.key] += 1
    # A stats request over the 30 days around it, as a recruiter would look back.
    query = f"from={day - timedelta(days=14)}&to={min(day + timedelta(days=15), LAST_DAY)}"
    side = StatsSide(job, plan.trickle, len(batches), 0, stats_event(world, job, query))
    context = LocalContext(
        function_name="jobtrail-api",
        memory_limit_in_mb=FUNCTIONS["api"].memory_mb,
        timeout_seconds=FUNCTIONS["api"].timeout_seconds,
    )
    world.calls.take()
    with powertools_output_discarded():
        shown = ask_stats(world, side, context)
    asked = world.calls.take()
    if shown["clicks"]["total"] != plan.trickle:
        raise RuntimeError(f"trickle: stats show {shown['clicks']}")
    kept = {c.key for c in asked if c.operation in ("PutItem", "UpdateItem") and c.error is None}
    # The job's counters (its day, the spans kept around it, FIRST) and the workspace's
    # channel days, raw; nothing else writes to them.
    items = counter_items(world, job_stats_key(job.job_id)) + [
        i
        for i in counter_items(world, workspace_stats_key(world.workspace_id))
        if i["sk"]["S"].endswith(f"#{day.isoformat()}")
    ]
    items.sort(key=lambda i: (i["pk"]["S"].startswith("WS"), counter_kind(i["sk"]["S"])))

    def key(item: dict[str, Any]) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    bounded = [fences(i) <= len(writers.get(key(i), ())) for i in items]
    rows = [
        [
            ("workspace " if i["pk"]["S"].startswith("WS") else "job ") + i["sk"]["S"],
            ", ".join(
                [f"aggregator ({updates[key(i)]:,} updates)"] * (key(i) in writers)
                + ["stats request"] * (key(i) in kept)
            )
            or "-",
            len(writers.get(key(i), ())),
            fences(i),
            f"{item_size(i):,}",
            "yes" if ok else "NO",
        ]
        for i, ok in zip(items, bounded, strict=True)
    ]
    shards = len({b.shard for b in batches})
    most = max(items, key=fences)
    largest = max(items, key=item_size)
    clicks = sum(b.clicks for b in batches)
    writes = sum(b.writes for b in batches)
    say(
        f"4. Fences under trickle traffic: {clicks:,} clicks on one job over {day} (its "
        f"{len(job.links)} links), one click per batch, on {OPEN_SHARDS} open shards rolling "
        f"every ~{SHARD_HOURS} h; then GET .../stats?{query}"
    )
    say(table(["scenario", *BATCH_HEADERS[1:]], [batch_row("trickle", batches)]))
    say(
        f"  {len(batches):,} batches on {shards} shards: {writes / clicks:.1f} writes a click; "
        f"the stats request: {pattern(asked)}"
    )
    say("  the counters, read raw:")
    say(
        table(
            ["counter item", "written by", "shards", "fences", "bytes", "fences <= shards"],
            rows,
            indent="    ",
        )
    )
    say(
        f"  most fences: {fences(most)} on {most['sk']['S']} after "
        f"{updates[key(most)]:,} updates; largest item: {item_size(largest):,} bytes "
        f"({largest['sk']['S']}), {item_size(largest) / ITEM_LIMIT:.1%} of DynamoDB's "
        f"{ITEM_LIMIT // 1024} KB"
    )
    say()
    return [
        Budget(
            "trickle: fences per counter item",
            f"<= {fences(most)} ({len(batches):,} batches, {shards} shards)",
            "<= shards that wrote it",
            all(bounded) and bool(items),
        ),
        Budget(
            "trickle: largest counter item",
            f"{item_size(largest):,} bytes ({largest['sk']['S']})",
            f"<= {TRICKLE_ITEM_LIMIT // 1024} KB",
            item_size(largest) <= TRICKLE_ITEM_LIMIT,
        ),
        Budget(
            "aggregator writes <= K, trickle",
            f"writes/K <= {max(b.writes / b.keys for b in batches):.2f} in {len(batches):,} "
            f"batches (<= {max(b.writes for b in batches):,} writes each)",
            "writes <= K every batch",
            all(b.writes <= b.keys for b in batches),
        ),
    ]


# ------------------------------------------------------------------------------- main


def environment_line(plan: Plan) -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("boto3", "pynamodb", "aws-lambda-powertools", "moto", "crawlerdetect")
    )
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.system()} {platform.machine()}), {os.cpu_count()} CPUs; {versions}\n"
        f"{plan.volume:,} clicks for the large job (and {SMALL_CLICKS} for the small one) over "
        f"{plan.days} days, viral bursts of {plan.burst:,}, {plan.mixed:,} mixed clicks, "
        f"{plan.trickle:,} trickling; batches of up to {BATCH_SIZE} records of one shard, "
        f"{OPEN_SHARDS} shards open, each for ~{SHARD_HOURS} h; "
        f"{plan.min_calls}-{plan.stats_calls} timed stats requests per job (as many as fit in "
        f"{plan.stats_seconds:.0f} s)"
    )


# ------------------------------------------------------------ 5. the CSV export's reads


CSV_DAYS = 400  # the longest range the stats and the export answer


def measure_csv(world: World) -> list[Budget]:
    """Section 5. ``GET /api/jobs/{job_id}/stats.csv`` over 400 days of section 1's large
    job reads what the stats are made of (the job's day counters, one paged Query, and its
    shares), never a click event; its rows add up to the stats route's numbers for the
    same range."""
    job = world.jobs["large"]
    first = LAST_DAY - timedelta(days=CSV_DAYS - 1)
    query = f"from={first.isoformat()}&to={LAST_DAY.isoformat()}"
    context = LocalContext(
        function_name="jobtrail-api",
        memory_limit_in_mb=FUNCTIONS["api"].memory_mb,
        timeout_seconds=FUNCTIONS["api"].timeout_seconds,
    )
    answers: dict[str, tuple[dict[str, Any], list[Call], float]] = {}
    with powertools_output_discarded():
        for route in ("stats", "stats.csv"):
            event = stats_event(world, job, query, route)
            world.calls.take()
            start = time.perf_counter()
            answer = world.handlers["api"](event, context)
            seconds = time.perf_counter() - start
            if answer["statusCode"] != 200:
                raise RuntimeError(f"{route} answered {answer}")
            answers[route] = (answer, list(world.calls.take()), seconds)
    stats = json.loads(answers["stats"][0]["body"])
    body = answers["stats.csv"][0]["body"]
    rows = list(csv.DictReader(io.StringIO(body)))
    csv_calls = answers["stats.csv"][1]
    day_items = {
        i["sk"]["S"]
        for i in counter_items(world, job_stats_key(job.job_id))
        if i["sk"]["S"].startswith(DAY_PREFIX)
        and first.isoformat() <= i["sk"]["S"].removeprefix(DAY_PREFIX) <= LAST_DAY.isoformat()
    }
    read_days = {i["sk"]["S"] for i in read_items(csv_calls, "Query")}
    events_touched = [
        c for c in csv_calls if c.kind == ClickItem.Meta.table_name or c.operation == "Scan"
    ]
    # A visitor through two channels on a day is a visitor of each: the rows are compared
    # with the stats' channels, not with the job's total of visitors.
    metrics = ("human", "bots", "unique_visitors")
    sums = {
        row["channel"]: tuple(
            sum(int(r[m]) for r in rows if r["channel"] == row["channel"]) for m in metrics
        )
        for row in rows
    }
    expected = {c["channel"]: tuple(c[m] for m in metrics) for c in stats["by_channel"]}
    say(f"5. The CSV export of {CSV_DAYS} days (the large job, {len(rows)} rows)")
    say(
        table(
            ["request", "DynamoDB calls", "counter items read", "KB read", "ms"],
            [
                [
                    f"GET .../{route}",
                    pattern(calls),
                    len(read_items(calls, "Query")) + len(read_items(calls, "BatchGetItem")),
                    kilobytes(read_items(calls, "Query") + read_items(calls, "BatchGetItem")),
                    f"{seconds * 1000:.1f}",
                ]
                for route, (_, calls, seconds) in answers.items()
            ],
        )
    )
    say()
    return [
        Budget(
            "stats.csv, 400 days: no click event read",
            f"{len(events_touched)} calls on the events table or scans; read "
            f"{len(read_days)} day items of the {len(day_items)} the range has",
            "0, and exactly the range's day items",
            not events_touched and read_days == day_items,
        ),
        Budget(
            "stats.csv rows add up to the stats' channels",
            f"{len(sums)} channels; (human, bots, visitors) "
            + ", ".join(f"{k} {sums[k]} vs {expected.get(k)}" for k in sorted(sums)[:2])
            + (", ..." if len(sums) > 2 else ""),
            "equal for every channel",
            sums == expected,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse(argv)
    started = time.perf_counter()
    say("jobtrail click analytics benchmark")
    say(environment_line(plan))
    say()
    took: list[str] = []
    budgets: list[Budget] = []
    mark = time.perf_counter()

    def lap(section: str) -> None:
        nonlocal mark
        took.append(f"{section}: {time.perf_counter() - mark:.0f} s")
        mark = time.perf_counter()

    # Powertools warns on stderr about every invocation that adds no metric (the stats
    # request adds none): noise between the tables, not a finding.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with contextlib.ExitStack() as stack:
        world = setup(stack)
        lap("setup")
        found, ingest = measure_stats(world, plan)
        budgets += found
        lap("1")
        found, mixed, delivered = measure_writes(world, plan, ingest)
        budgets += found
        lap("2")
        budgets += measure_replay(world, mixed, delivered)
        lap("3")
        budgets += measure_trickle(world, plan)
        lap("4")
        budgets += measure_csv(world)
        lap("5")

    return report_budgets(budgets, started=started, parts="sections", took=took)


if __name__ == "__main__":
    sys.exit(main())
