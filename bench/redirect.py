"""The redirect's performance budgets, measured and printed as a table (``make bench``).

    python -m bench.redirect [--quick] [--profile] [--only warm|cold] [--block N]

The budgets come from issue 2 ("Performance") and the design's "the redirect is the hot path":

1. DynamoDB calls per redirect, counted by wrapping botocore's ``BaseClient._make_api_call``
   (boto3 and PynamoDB both go through it): a warm redirect of a slug it has not cached is
   exactly one GetItem and one PutItem, of a cached slug one PutItem; the day's salt is read
   once per day per warm function; no SDK client is built per invocation.
2. Warm latency in-process under ``moto.mock_aws()`` against a bare reference handler (one
   GetItem + one PutItem with a module-level boto3 client) in the same run: median at most
   1.15x the reference with the slug not cached, at most 0.7x with it cached.
   A link that has ended (disabled, or past its end) costs no more than it did before
   it could end: its redirect learns it from the link item it reads anyway, answers 410 and
   writes nothing (uncached: the one GetItem; cached: no call at all); and the redirect
   with the check runs at most 1.05x the redirect without it (median, cached; not cached
   is information, as moto itself answers the larger link item a few percent slower).
3. Cold start: importing the handler in a fresh interpreter costs at most 1.0x
   ``import boto3; boto3.client("dynamodb")`` and leaves pydantic, aws_xray_sdk and requests
   unimported.

Budgets are measured, never asserted by timed tests: this prints every figure and exits 1
when one is missed, so that CI can run it, but a slow machine never fails the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import hashlib
import itertools
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

# Set before anything from jobtrail (or boto3) is imported: the handler reads its settings,
# Powertools its namespace and log level, at import time. setdefault, so that a caller (CI,
# make) can still override one. The heavy imports below are therefore inside functions.
BENCH_ENV = {
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "jobtrail",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

SLUG = "webdev-li"
SLUG_PLAIN = "webdev-plain"  # a link as they were before links could end
SLUG_ENDED = "webdev-ended"
# The link's end, far off: every redirect of SLUG compares the time with it.
FAR_END = "2099-12-31T23:00:00.000Z"
TARGET_URL = "https://jobs.example.com/openings/senior-python-developer?ref=careers"
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1234",
)
REFERERS = ("https://www.linkedin.com/", "https://t.co/", None)
UNCACHED_LIMIT = 1.15
CACHED_LIMIT = 0.70
NOISE_TOLERANCE = 0.03  # ratio of medians vs paired ratio, relative
COLD_LIMIT = 1.0
HEAVY_MODULES = ("pydantic", "aws_xray_sdk", "requests")
ROLLOVER_CALLS = 20
CHECK_LIMIT = 1.05
NO_CHECK_UNCACHED = "handler, not cached, no end check"
NO_CHECK_CACHED = "handler, cached, no end check"
ENDED_CALLS = 100


@dataclass(frozen=True)
class Plan:
    calls: int  # timed warm calls per variant, also counted calls per case
    block: int  # calls per variant before switching to the next (interleaving)
    warmup: int  # untimed calls per variant before timing
    cold_runs: int  # fresh interpreters per side
    profile: bool
    warm: bool  # sections 1 and 2 (in-process, moto)
    cold: bool  # section 3 (fresh interpreters)


@dataclass(frozen=True)
class Budget:
    name: str
    measured: str
    limit: str
    ok: bool


class BenchClock:
    """The redirect's clock in the bench: the system's, but a section can move it to
    another day, or past the link cache's time to live (so that the next call takes the
    real miss path: look up, find it expired, read, store)."""

    def __init__(self) -> None:
        self.days = 0
        self.skipped = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def expire_cache(self) -> None:
        self.skipped += 24 * 3600


def _never_ended(link: Any, now: datetime) -> bool:
    return False


def set_end_check(on: bool) -> None:
    """Turns the redirect's check of a link's end on (as written) or off: off, it answers
    at once (still one method call, returning False), which is as near to the redirect
    without the check as the same module, process and moto backend allow. Only this
    process's class attribute changes; no file does."""
    from jobtrail.domain.clicks import LinkTarget

    global _CHECKED
    if _CHECKED is None:
        _CHECKED = LinkTarget.ended
    LinkTarget.ended = _CHECKED if on else _never_ended  # type: ignore[method-assign]


_CHECKED: Any = None  # LinkTarget.ended as the module defines it


@dataclass
class World:
    """Everything the in-process sections share: moto, the tables, the two handlers."""

    redirect: Handler  # wired as on a cold start, with ``clock``
    clock: BenchClock
    reference: Handler
    events: list[dict[str, Any]]
    plain_events: list[dict[str, Any]]  # the same visits, of SLUG_PLAIN
    ended_events: list[dict[str, Any]]  # the same visits, of SLUG_ENDED
    context: Any
    table_labels: dict[str, str]  # table name -> "main" / "events"


# ---------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    """Plain-text columns, left-aligned, two spaces apart."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(indent + line.rstrip() for line in lines)


def say(text: str = "") -> None:
    # sys.__stdout__: the latency section redirects sys.stdout to swallow Powertools' EMF
    # lines, and the table must still come out.
    out = sys.__stdout__ or sys.stdout
    out.write(text + "\n")
    out.flush()


@contextlib.contextmanager
def powertools_output_discarded() -> Iterator[None]:
    """Powertools prints one EMF metrics line per invocation: it goes to /dev/null, a real
    write as to Lambda's stdout pipe, instead of flooding the table."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def ms(nanoseconds: float) -> str:
    return f"{nanoseconds / 1e6:.3f}"


def p95(samples: Sequence[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ------------------------------------------------------------------- instrumentation


@contextlib.contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """``owner.name`` is ``value`` for the block (this process only; no file changes)."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


class ApiCalls:
    """DynamoDB operations by name, table and key kind, counted by wrapping botocore's
    ``BaseClient._make_api_call``: boto3 clients and PynamoDB's connections both end there,
    and moto answers below it, so every request the handler makes is seen exactly once."""

    def __init__(self, table_labels: dict[str, str]) -> None:
        self._labels = table_labels
        self._calls: Counter[str] = Counter()

    def _label(self, operation: str, params: dict[str, Any]) -> str:
        name = str(params.get("TableName", "?"))
        key = params.get("Key") or params.get("Item") or {}
        pk = str(key.get("pk", {}).get("S", ""))
        # The main table is single-table: the key prefix (SLUG#, SALT#) says which item.
        kind = f" {pk.split('#', 1)[0]}" if "#" in pk else ""
        return f"{operation} {self._labels.get(name, name)}{kind}"

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call  # type: ignore[attr-defined]

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            self._calls[self._label(operation, params)] += 1
            return original(client, operation, params)

        with patched(BaseClient, "_make_api_call", counted):
            yield

    def take(self) -> Counter[str]:
        calls, self._calls = self._calls, Counter()
        return calls


def pattern(calls: Counter[str]) -> str:
    """One invocation's calls as text, e.g. ``GetItem main SLUG + PutItem events``."""
    parts = [name if n == 1 else f"{name} x{n}" for name, n in sorted(calls.items())]
    return " + ".join(parts) or "(none)"


class ClientBuilds:
    """Counts ``botocore.session.Session.create_client``: every boto3 client or resource and
    every PynamoDB connection's client is built there. Left installed for the whole run (it
    costs nothing unless a client is built) so that no build can slip between sections."""

    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        from botocore.session import Session

        original = Session.create_client

        def counted(session: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(session, *args, **kwargs)

        with patched(Session, "create_client", counted):
            yield


# ----------------------------------------------------------------- reference handler

# The bare reference: what one GetItem + one PutItem cost through a plain boto3 client made
# once per warm function (module level), with an item of the same attributes and roughly the
# same size as the handler's click. It parses nothing it does not need and emits no metrics.
_REF_CLIENT: Any = None
_REF_MAIN = ""
_REF_EVENTS = ""


def reference_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    slug = event["pathParameters"]["slug"]
    found = _REF_CLIENT.get_item(
        TableName=_REF_MAIN,
        # Written out by hand, as a bare boto3 handler would: the reference imports nothing
        # of jobtrail (setup checks that the store's key shapes still give this key).
        Key={"pk": {"S": f"SLUG#{slug}"}, "sk": {"S": "LINK"}},
        ConsistentRead=True,
    )
    link = found.get("Item")
    if link is None:
        return {"statusCode": 404, "body": ""}
    http = event["requestContext"]["http"]
    headers = event["headers"]
    user_agent = headers.get("user-agent", "")
    now = datetime.now(UTC)
    click_id = uuid.uuid4().hex
    visitor = hashlib.sha256(f"{http['sourceIp']}\n{user_agent}".encode()).hexdigest()[:32]
    _REF_CLIENT.put_item(
        TableName=_REF_EVENTS,
        Item={
            "click_id": {"S": click_id},
            "at": {"S": now.isoformat(timespec="milliseconds")},
            "day": {"S": now.date().isoformat()},
            "slug": link["slug"],
            "workspace_id": link["workspace_id"],
            "job_id": link["job_id"],
            "channel": link["channel"],
            "sharer": link["sharer"],
            "visitor": {"S": visitor},
            "bot_class": {"S": "human"},
            "method": {"S": http["method"]},
            "user_agent": {"S": user_agent},
            "referrer_host": {"S": "www.linkedin.com" if "referer" in headers else "-"},
            "device": {"S": "desktop"},
            "expires_at": {"N": str(int(now.timestamp()) + 400 * 86400)},
            "schema_version": {"N": "1"},
        },
    )
    location = f"{link['target_url']['S']}&utm_source=linkedin&jt_click={click_id}"
    return {"statusCode": 302, "headers": {"Location": location}, "body": ""}


# ------------------------------------------------------------------------------ setup


def setup(stack: contextlib.ExitStack) -> World:
    """moto in-process, the tables from the same specs as CDK's, one link, both handlers."""
    global _REF_CLIENT, _REF_MAIN, _REF_EVENTS

    import boto3
    from moto import mock_aws

    stack.enter_context(mock_aws())

    from infra.local.context import LocalContext
    from infra.local.dynamodb import create_tables
    from infra.local.events import http_event, sample
    from jobtrail.config import Settings
    from jobtrail.domain.ids import new_id
    from jobtrail.handlers import redirect
    from jobtrail.store.key_shapes import SLUG_SORT_KEY, slug_key
    from jobtrail.store.models import LINK_DISABLED, LinkItem

    admin = boto3.client("dynamodb")
    names = create_tables(admin)
    main, events = names["MainTable"], names["EventsTable"]
    # The links as the store writes them (the model's own serialization), put with the admin
    # client so that none of the handler's models has a connection before its first call:
    # one with an end far off (so every redirect compares the time with it), one as links
    # were before they could end (no end), one disabled.
    workspace_id, job_id = new_id(), new_id()
    for slug, ending in (
        (SLUG, {"ends_at": FAR_END}),
        (SLUG_PLAIN, {}),
        (SLUG_ENDED, {"status": LINK_DISABLED}),
    ):
        link = LinkItem(
            slug_key(slug),
            SLUG_SORT_KEY,
            slug=slug,
            workspace_id=workspace_id,
            job_id=job_id,
            channel="linkedin",
            sharer="anna",
            target_url=TARGET_URL,
            created_at="2026-11-25T09:00:00.000Z",
            **ending,
        )
        admin.put_item(TableName=main, Item=link.serialize())
    if (slug_key(SLUG), SLUG_SORT_KEY) != (f"SLUG#{SLUG}", "LINK"):
        raise RuntimeError("the reference handler reads another key than the store's")

    _REF_CLIENT = boto3.client("dynamodb")
    _REF_MAIN, _REF_EVENTS = main, events

    # A pool of real API Gateway v2 events (the local gateway's builder) from different
    # visitors, browsers and referrers, built once: building one deep-copies a sample, which
    # is not the handler's cost. Every agent is a person's browser, so every call redirects.
    headers = sample("redirect")["headers"]

    def pool(slug: str) -> list[dict[str, Any]]:
        events = []
        for i in range(64):
            visitor = dict(headers, **{"user-agent": USER_AGENTS[i % len(USER_AGENTS)]})
            referer = REFERERS[i % len(REFERERS)]
            if referer is None:
                visitor.pop("referer", None)
            else:
                visitor["referer"] = referer
            events.append(
                http_event(
                    "GET",
                    f"/{slug}",
                    headers=visitor,
                    source_ip=f"203.0.113.{i + 1}",
                    route_key="GET /{slug}",
                    path_parameters={"slug": slug},
                )
            )
        return events

    clock = BenchClock()
    # The key of the visitor hash, given as the local runtime gives it (on AWS the redirect
    # reads it from Secrets Manager once, where it is wired, never per request).
    settings = replace(Settings.from_env(), visitor_secret=b"bench: the visitor secret")
    return World(
        redirect=redirect.build(settings, clock),
        clock=clock,
        reference=reference_handler,
        events=pool(SLUG),
        plain_events=pool(SLUG_PLAIN),
        ended_events=pool(SLUG_ENDED),
        context=LocalContext("redirect"),
        table_labels={main: "main", events: "events"},
    )


def invoke(handler: Handler, event: dict[str, Any], context: Any, status: int = 302) -> None:
    result = handler(event, context)
    if result.get("statusCode") != status:
        raise RuntimeError(f"expected a {status}, got {result!r}")


# ------------------------------------------------------------ 1. calls per redirect


def count_calls(
    world: World, plan: Plan, api: ApiCalls, clients: ClientBuilds
) -> tuple[list[Budget], int, int]:
    """Section 1. Answers its budgets, the client count once warm, and how many warm
    invocations it made after that."""
    events, context = world.events, world.context
    handler: Handler = world.redirect
    rows: list[list[object]] = []
    budgets: list[Budget] = []

    def run(
        n: int,
        before: Callable[[], None] | None = None,
        pool: list[dict[str, Any]] = events,
        status: int = 302,
    ) -> Counter[str]:
        """How many invocations showed each pattern of calls (checked one by one, so that
        an occasional extra call cannot hide in an average); ``totals`` adds up the calls."""
        seen: Counter[str] = Counter()
        for i in range(n):
            if before is not None:
                before()
            invoke(handler, pool[i % len(pool)], context, status)
            calls = api.take()
            totals.update(calls)
            seen[pattern(calls)] += 1
        return seen

    totals: Counter[str] = Counter()

    def shown(seen: Counter[str]) -> str:
        return "; ".join(f"{p} ({n})" for p, n in seen.most_common())

    with powertools_output_discarded(), api.counting():
        # The very first invocation of a fresh function: builds its clients, reads the
        # link and the day's salt (and makes the salt, as the first function of the day).
        built = clients.count
        first = run(1)
        first_clients = clients.count - built
        rows.append(["first call of a new function", 1, shown(first), "(info)", ""])

        # Warm up: every model's connection exists, the salt is known.
        run(plan.warmup)
        warm_clients = clients.count
        totals.clear()

        uncached = run(plan.calls, world.clock.expire_cache)
        expected = "GetItem main SLUG + PutItem events"
        ok = uncached == Counter({expected: plan.calls})
        rows.append(["warm, slug not cached", plan.calls, shown(uncached), expected, verdict(ok)])
        budgets.append(
            Budget(
                "DynamoDB calls, slug not cached",
                f"{uncached[expected]}/{plan.calls} calls = 1 GetItem + 1 PutItem",
                "exactly 1 GetItem + 1 PutItem",
                ok,
            )
        )

        invoke(handler, events[0], context)  # caches the slug
        api.take()
        cached = run(plan.calls)
        expected = "PutItem events"
        ok = cached == Counter({expected: plan.calls})
        rows.append(["warm, slug cached", plan.calls, shown(cached), expected, verdict(ok)])
        budgets.append(
            Budget(
                "DynamoDB calls, slug cached",
                f"{cached[expected]}/{plan.calls} calls = 1 PutItem",
                "exactly 1 PutItem",
                ok,
            )
        )
        # A link that has ended: the one read of the link (none once cached), no write.
        ended = world.ended_events
        ended_uncached = run(ENDED_CALLS, world.clock.expire_cache, ended, 410)
        expected = "GetItem main SLUG"
        uncached_ok = ended_uncached == Counter({expected: ENDED_CALLS})
        rows.append(
            [
                "warm, ended link, not cached",
                ENDED_CALLS,
                shown(ended_uncached),
                expected,
                verdict(uncached_ok),
            ]
        )
        invoke(handler, ended[0], context, 410)  # caches the ended link
        api.take()
        ended_cached = run(ENDED_CALLS, None, ended, 410)
        cached_ok = ended_cached == Counter({"(none)": ENDED_CALLS})
        rows.append(
            [
                "warm, ended link, cached",
                ENDED_CALLS,
                shown(ended_cached),
                "(none)",
                verdict(cached_ok),
            ]
        )
        budgets.append(
            Budget(
                "DynamoDB calls, ended link (410)",
                f"not cached {ended_uncached[expected]}/{ENDED_CALLS} = 1 GetItem; "
                f"cached {ended_cached['(none)']}/{ENDED_CALLS} = none",
                "1 GetItem, then none; never a write",
                uncached_ok and cached_ok,
            )
        )
        invoke(handler, events[0], context)  # caches SLUG again (the runs above expired it)
        api.take()

        # (A run across midnight UTC would rightly show one salt read here.)
        salt_reads = "GetItem main SALT"
        warm_reads = totals.pop(salt_reads, 0)

        # A new UTC day for the same warm function: its first redirect fetches that day's
        # salt once (reading it, and creating it as the day's first), the next ones never.
        world.clock.days = 1
        new_day = run(1)
        first_reads = totals.pop(salt_reads, 0)
        after = run(ROLLOVER_CALLS)
        after_reads = totals.pop(salt_reads, 0)
        world.clock.days = 0
        rows.append(["new UTC day, first call", 1, shown(new_day), "salt read once", ""])
        rows.append(["new UTC day, next calls", ROLLOVER_CALLS, shown(after), "PutItem events", ""])
        salt_ok = warm_reads == 0 and first_reads == 1 and after_reads == 0
        rows[-2][-1] = rows[-1][-1] = verdict(salt_ok)
        budgets.append(
            Budget(
                "day's salt read once per day",
                f"{warm_reads} reads in {2 * plan.calls} warm calls; new day: {first_reads}, "
                f"then {after_reads} in {ROLLOVER_CALLS}",
                "once per day per function",
                salt_ok,
            )
        )
        run(1)  # back to today: re-reads today's salt, outside every count above

    # Counted, not cached, re-cache, cached, ended (not cached, re-cache, cached, re-cache
    # SLUG), new day, next calls, back to today.
    warm_invocations = plan.calls + 1 + plan.calls + 2 * ENDED_CALLS + 2 + 1 + ROLLOVER_CALLS + 1
    say("1. DynamoDB calls per redirect (botocore BaseClient._make_api_call)")
    say(
        table(
            ["case", "calls", "DynamoDB calls per invocation (invocations)", "expected", ""], rows
        )
    )
    say(
        f"  SDK clients built (botocore Session.create_client): {first_clients} by the first "
        "call, 0 allowed per warm invocation (counted through section 2, see Budgets)"
    )
    say()
    return budgets, warm_clients, warm_invocations


# -------------------------------------------------------------------- 2. warm latency


@dataclass
class Variant:
    name: str
    handler: Handler
    before_each: Callable[[], None] | None = None  # untimed, before every call
    before_block: Callable[[], None] | None = None  # untimed, before every block
    events: list[dict[str, Any]] | None = None  # None: the world's (SLUG's)
    samples: list[int] = field(default_factory=list)
    blocks: list[float] = field(default_factory=list)  # each block's median, in run order


def run_interleaved(variants: list[Variant], world: World, calls: int, block: int) -> None:
    """``calls`` timed calls per variant, in blocks of ``block``, the variants' order cycling
    through every permutation: each variant runs equally often first, last and after each
    other one, so machine noise (the other core, turbo, a GC of the process) hits all alike."""
    orders = list(itertools.permutations(range(len(variants))))
    context = world.context
    clock = time.perf_counter_ns
    for round_no in range(math.ceil(calls / block)):
        for index in orders[round_no % len(orders)]:
            variant = variants[index]
            count = min(block, calls - len(variant.samples))
            if variant.before_block is not None:
                variant.before_block()
            handler, before, samples = variant.handler, variant.before_each, variant.samples
            events = variant.events or world.events
            for i in range(count):
                event = events[(len(samples) + i) % len(events)]
                if before is not None:
                    before()
                start = clock()
                result = handler(event, context)
                samples.append(clock() - start)
                if result["statusCode"] != 302:
                    raise RuntimeError(f"{variant.name}: expected a 302, got {result!r}")
            variant.blocks.append(statistics.median(samples[-count:]))


def measure_latency(world: World, plan: Plan) -> tuple[list[Budget], int]:
    """Section 2. Answers its budgets and how many handler invocations it made."""
    primes = 0

    def checked(on: bool, events: list[dict[str, Any]] | None = None) -> Callable[[], None]:
        """Before a block: the end check on or off; with ``events``, the slug cached too.
        (A cached block starts with the slug cached, as the uncached blocks clear the cache
        and an entry lives 60 s: one untimed call puts it back.)"""

        def before_block() -> None:
            nonlocal primes
            set_end_check(on)
            if events is not None:
                primes += 1
                invoke(world.redirect, events[0], world.context)

        return before_block

    def variants() -> list[Variant]:
        plain, expire = world.plain_events, world.clock.expire_cache
        return [
            Variant("reference: boto3 GetItem + PutItem", world.reference),
            # Not cached: the handler's cache is emptied before each call, outside the timed
            # region, so every timed call takes the real miss path (look up, read, insert)
            # of the same module, in the same process and moto backend as the reference.
            # SLUG_CACHE_SECONDS=0 would need a second import (a reload or another process) and
            # could not interleave with the reference.
            Variant("handler, slug not cached", world.redirect, expire, checked(True)),
            Variant("handler, slug cached", world.redirect, None, checked(True, world.events)),
            # Without the end check: a link with no end, the check off (``set_end_check``).
            Variant(NO_CHECK_UNCACHED, world.redirect, expire, checked(False), plain),
            Variant(NO_CHECK_CACHED, world.redirect, None, checked(False, plain), plain),
        ]

    with powertools_output_discarded():
        run_interleaved(variants(), world, plan.warmup, plan.block)
        gc.collect()
        measured = variants()
        run_interleaved(measured, world, plan.calls, plan.block)
        set_end_check(True)
        raw = raw_reads(world, plan.calls, plan.block)

    reference = statistics.median(measured[0].samples)
    rows = []
    ratios = []
    noisy = []
    limits = (None, UNCACHED_LIMIT, CACHED_LIMIT, None, None)
    for variant, limit in zip(measured, limits, strict=True):
        median = statistics.median(variant.samples)
        ratio = median / reference
        ratios.append(ratio)
        # A second opinion, robust to the machine's speed drifting during the run: the
        # median over rounds of (this variant's block median / the reference's block median
        # of the same round). Far from the ratio of medians means the figures are noise.
        paired = statistics.median(
            mine / ref for mine, ref in zip(variant.blocks, measured[0].blocks, strict=True)
        )
        if abs(paired - ratio) > NOISE_TOLERANCE * ratio:
            noisy.append(variant.name)
        rows.append(
            [
                variant.name,
                len(variant.samples),
                ms(median),
                ms(p95(variant.samples)),
                ms(min(variant.samples)),
                f"{ratio:.2f}x",
                f"{paired:.2f}x",
                # The handler's own cost beyond the reference, moto's work being the same.
                f"{(median - reference) / 1e6:+.3f}" if limit else "",
                f"<= {limit:.2f}x" if limit else "",
                verdict(ratio <= limit) if limit else "",
            ]
        )
    say(
        f"2. Warm redirect latency, in-process under moto.mock_aws(), N={plan.calls} per "
        f"variant, interleaved in blocks of {plan.block}"
    )
    say(
        table(
            [
                "variant",
                "N",
                "median ms",
                "p95 ms",
                "min ms",
                "vs ref",
                "paired",
                "+ms",
                "budget",
                "",
            ],
            rows,
        )
    )
    if noisy:
        say(
            f"  NOTE: ratio of medians and paired ratio differ by more than "
            f"{NOISE_TOLERANCE:.0%} for {', '.join(noisy)}: the machine's speed drifted; "
            "rerun before acting on a verdict near its limit"
        )
    check_rows, check_budgets = compare_end_check(measured, raw)
    say(
        "   the end check (disabled, expires_at): the redirect with it / without it (a link "
        "with an end far off / one with none and the check off)"
    )
    say(
        table(
            ["case", "with ms", "without ms", "with / without", "paired", "budget", ""],
            check_rows,
            indent="   ",
        )
    )
    say()
    invocations = 4 * (plan.warmup + plan.calls) + primes
    return [
        Budget(
            "warm median, not cached / reference",
            f"{ratios[1]:.2f}x",
            f"<= {UNCACHED_LIMIT:.2f}x",
            ratios[1] <= UNCACHED_LIMIT,
        ),
        Budget(
            "warm median, cached / reference",
            f"{ratios[2]:.2f}x",
            f"<= {CACHED_LIMIT:.2f}x",
            ratios[2] <= CACHED_LIMIT,
        ),
        *check_budgets,
    ], invocations


def raw_reads(world: World, calls: int, block: int) -> tuple[list[float], list[float]]:
    """moto's GetItem alone of the link with an end and of the one without, interleaved in
    blocks, through the reference's boto3 client: each block's median, for each link."""
    with_end: list[float] = []
    without: list[float] = []
    clock = time.perf_counter_ns

    def read(slug: str) -> None:
        _REF_CLIENT.get_item(
            TableName=_REF_MAIN,
            Key={"pk": {"S": f"SLUG#{slug}"}, "sk": {"S": "LINK"}},
            ConsistentRead=True,
        )

    for round_no in range(math.ceil(calls / block)):
        pairs = ((SLUG, with_end), (SLUG_PLAIN, without))
        for slug, blocks in pairs if round_no % 2 == 0 else pairs[::-1]:
            samples = []
            for _ in range(block):
                start = clock()
                read(slug)
                samples.append(clock() - start)
            blocks.append(statistics.median(samples))
    return with_end, without


def compare_end_check(
    measured: list[Variant], raw: tuple[list[float], list[float]]
) -> tuple[list[list[object]], list[Budget]]:
    """Section 2's with/without pairs: the ratio of medians and the paired ratio (the median
    over rounds of the two variants' block medians). The cached pair is the check's cost on
    every redirect and is held to CHECK_LIMIT. The uncached pair also reads a link item with
    one more attribute (its end), which moto takes measurably longer to answer whatever the
    handler does: the raw GetItem row shows moto's part, so that pair is information."""
    rows: list[list[object]] = []
    budgets: list[Budget] = []
    for case, with_check, without in (
        ("slug not cached (info)", measured[1], measured[3]),
        ("slug cached", measured[2], measured[4]),
    ):
        ratio = statistics.median(with_check.samples) / statistics.median(without.samples)
        paired = statistics.median(
            mine / theirs for mine, theirs in zip(with_check.blocks, without.blocks, strict=True)
        )
        budgeted = with_check is measured[2]
        ok = ratio <= CHECK_LIMIT
        rows.append(
            [
                case,
                ms(statistics.median(with_check.samples)),
                ms(statistics.median(without.samples)),
                f"{ratio:.2f}x",
                f"{paired:.2f}x",
                f"<= {CHECK_LIMIT:.2f}x" if budgeted else "",
                verdict(ok) if budgeted else "",
            ]
        )
        if budgeted:
            budgets.append(
                Budget(
                    f"end check, {case}: with / without",
                    f"{ratio:.2f}x",
                    f"<= {CHECK_LIMIT:.2f}x",
                    ok,
                )
            )
    with_end, plain = raw
    rows.append(
        [
            "moto GetItem alone (info)",
            ms(statistics.median(with_end)),
            ms(statistics.median(plain)),
            f"{statistics.median(with_end) / statistics.median(plain):.2f}x",
            f"{statistics.median(a / b for a, b in zip(with_end, plain, strict=True)):.2f}x",
            "",
            "",
        ]
    )
    return rows, budgets


def profile(world: World, calls: int) -> None:
    """``--profile``: where a warm uncached redirect spends its time (cProfile, tottime)."""
    profiler = cProfile.Profile()
    with powertools_output_discarded():
        for i in range(calls):
            world.clock.expire_cache()
            event = world.events[i % len(world.events)]
            profiler.runcall(world.redirect, event, world.context)
    say(f"   cProfile of {calls} warm uncached redirects (top 25 by cumulative time)")
    stats = pstats.Stats(profiler, stream=sys.__stdout__)
    stats.sort_stats("cumulative").print_stats(25)


# ----------------------------------------------------------------------- 3. cold start

# Runs in a fresh interpreter: only sys and time (both already loaded at startup) come before
# the timed import, so each side pays for everything it pulls in itself.
_CHILD = textwrap.dedent(
    """
    import sys, time
    start = time.perf_counter()
    if sys.argv[1] == "redirect":
        import jobtrail.handlers.redirect
    else:
        import boto3
        boto3.client("dynamodb")
    seconds = time.perf_counter() - start
    modules = len(sys.modules)
    # Not part of the import: the clients a first call needs. The boto3 side built its one
    # above; PynamoDB builds one per model on first use, so time those the redirect touches.
    start = time.perf_counter()
    if sys.argv[1] == "redirect":
        from jobtrail.store.models import ClickItem, LinkItem, SaltItem
        for model in (LinkItem, SaltItem, ClickItem):
            model._get_connection().connection.client
    clients = time.perf_counter() - start
    import json, os
    missing = sum(
        1
        for module in list(sys.modules.values())
        if (spec := getattr(module, "__spec__", None)) is not None
        and spec.cached and (spec.origin or "").endswith(".py")
        and not os.path.exists(spec.cached)
    )
    heavy = [name for name in HEAVY if name in sys.modules]
    print(json.dumps(
        {"seconds": seconds, "clients": clients, "modules": modules,
         "missing_pyc": missing, "heavy": heavy}
    ))
    """
).replace("HEAVY", repr(HEAVY_MODULES))

COLD_SIDES = {
    "boto3": 'import boto3; boto3.client("dynamodb")',
    "redirect": "import jobtrail.handlers.redirect",
}


def child(side: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, side],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_cold(plan: Plan, env: dict[str, str]) -> list[Budget]:
    # Bytecode must exist before timing, or a side would pay for compiling its sources (and
    # the other side not, its .pyc being in site-packages already). PYTHONDONTWRITEBYTECODE
    # is dropped for the children (both alike), and one untimed run of each side writes the
    # .pyc files; every timed run then reports how many of its modules still had none.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for side in COLD_SIDES:
        child(side, env)
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in COLD_SIDES}
    for i in range(plan.cold_runs):
        # Alternate which side goes first, so a drift in machine state hits both.
        for side in list(COLD_SIDES)[:: 1 if i % 2 == 0 else -1]:
            runs[side].append(child(side, env))

    def median_ns(side: str, *keys: str) -> float:
        return float(statistics.median(sum(r[k] for k in keys) * 1e9 for r in runs[side]))

    imports = {side: median_ns(side, "seconds") for side in COLD_SIDES}
    ready = {side: median_ns(side, "seconds", "clients") for side in COLD_SIDES}
    ratio = imports["redirect"] / imports["boto3"]
    ready_ratio = ready["redirect"] / ready["boto3"]
    rows = []
    for side, label in COLD_SIDES.items():
        seconds = [r["seconds"] * 1e9 for r in runs[side]]
        rows.append(
            [
                label,
                len(seconds),
                ms(imports[side]),
                ms(min(seconds)),
                ms(max(seconds)),
                ms(median_ns(side, "clients")) if side == "redirect" else "(in import)",
                ms(ready[side]),
                runs[side][-1]["modules"],
                max(r["missing_pyc"] for r in runs[side]),
                ", ".join(sorted(set().union(*(r["heavy"] for r in runs[side])))) or "none",
            ]
        )
    heavy = sorted(set().union(*(r["heavy"] for r in runs["redirect"])))
    say(
        f"3. Cold start: the import timed inside {plan.cold_runs} fresh interpreters per side "
        f"(alternating), .pyc compiled first"
    )
    headers = ["import", "runs", "median ms", "min ms", "max ms", "+clients ms", "ready ms"]
    say(table([*headers, "modules", "no .pyc", "heavy"], rows))
    say(f"  ratio of medians, redirect / boto3 client: {ratio:.2f}x (budget <= {COLD_LIMIT:.2f}x)")
    # Not a budget, but the cold start a first request really sees: PynamoDB builds its
    # clients lazily (one botocore session and client per model), so the import alone leaves
    # them out while the boto3 side's figure includes its client.
    say(
        f"  info, import + the clients the first call builds ('ready'): {ready_ratio:.2f}x "
        "(not a budget)"
    )
    for name in HEAVY_MODULES:
        state = "IMPORTED" if name in heavy else "not imported"
        say(f"  after importing the redirect handler: {name} {state}")
    say()
    return [
        Budget(
            "cold import / boto3 client",
            f"{ratio:.2f}x ({ms(imports['redirect'])} / {ms(imports['boto3'])} ms)",
            f"<= {COLD_LIMIT:.2f}x",
            ratio <= COLD_LIMIT,
        ),
        Budget(
            "heavy modules after import",
            ", ".join(heavy) or f"none of {', '.join(HEAVY_MODULES)}",
            "none",
            not heavy,
        ),
    ]


# ------------------------------------------------------------------------------- main


def parse(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.redirect", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (about 30 s)")
    parser.add_argument("--calls", type=int, help="warm calls per variant (default 2000)")
    parser.add_argument("--cold-runs", type=int, help="fresh interpreters per side")
    # Small blocks: this kind of VM drifts between fast and slow phases lasting seconds
    # (a pure CPU loop slows down with them), and the finer the interleaving, the more
    # evenly every variant gets both phases.
    parser.add_argument("--block", type=int, default=10, help="calls per interleaved block")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of the uncached handler"
    )
    parser.add_argument(
        "--only", choices=("warm", "cold"), help="run sections 1-2 (warm) or 3 (cold) only"
    )
    args = parser.parse_args(argv)
    calls = args.calls or (300 if args.quick else 2000)
    cold_runs = args.cold_runs or (7 if args.quick else 15)
    if calls < 100 or cold_runs < 3:
        parser.error("need at least 100 calls and 3 cold runs for a median worth printing")
    return Plan(
        calls=calls,
        block=args.block,
        warmup=50 if args.quick else 100,
        cold_runs=cold_runs,
        profile=args.profile,
        warm=args.only != "cold",
        cold=args.only != "warm",
    )


def environment_line(plan: Plan) -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("boto3", "pynamodb", "aws-lambda-powertools", "moto")
    )
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.system()} {platform.machine()}), {os.cpu_count()} CPUs; {versions}\n"
        f"N={plan.calls} warm calls per variant (+{plan.warmup} untimed warm-up), "
        f"{plan.cold_runs} cold imports per side"
    )


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse(argv)
    started = time.perf_counter()
    # The children's environment, taken before moto (which sets fake credentials of its own
    # while its mock is active) so both cold sides see exactly this run's settings.
    child_env = dict(os.environ)
    say("jobtrail redirect benchmark")
    say(environment_line(plan))
    say()

    budgets: list[Budget] = []
    took: list[str] = []
    if plan.warm:
        clients = ClientBuilds()
        with contextlib.ExitStack() as stack:
            stack.enter_context(clients.counting())
            world = setup(stack)
            api = ApiCalls(world.table_labels)
            mark = time.perf_counter()
            section, warm_clients, warm_calls = count_calls(world, plan, api, clients)
            budgets += section
            took.append(f"1: {time.perf_counter() - mark:.0f} s")
            mark = time.perf_counter()
            section, latency_calls = measure_latency(world, plan)
            budgets += section
            took.append(f"2: {time.perf_counter() - mark:.0f} s")
            # Every handler invocation after section 1's warm-up: none may have built a
            # client. (The reference's module-level client was built in setup, before.)
            built = clients.count - warm_clients
            budgets.append(
                Budget(
                    "SDK clients built per invocation",
                    f"{built} in {warm_calls + latency_calls} warm handler invocations",
                    "0",
                    built == 0,
                )
            )
            if plan.profile:
                profile(world, min(plan.calls, 500))
    if plan.cold:
        mark = time.perf_counter()
        budgets += measure_cold(plan, child_env)
        took.append(f"3: {time.perf_counter() - mark:.0f} s")

    return report_budgets(budgets, started=started, parts="sections", took=took)


def report_budgets(budgets: list[Budget], *, started: float, parts: str, took: list[str]) -> int:
    """The closing table every benchmark prints; answers the exit code (1: a budget missed)."""
    say("Budgets")
    say(
        table(
            ["budget", "measured", "limit", ""],
            [[b.name, b.measured, b.limit, verdict(b.ok)] for b in budgets],
        )
    )
    failed = [b.name for b in budgets if not b.ok]
    say()
    say(
        f"{len(budgets) - len(failed)}/{len(budgets)} budgets met"
        + (f"; MISSED: {', '.join(failed)}" if failed else "")
        + f" in {time.perf_counter() - started:.0f} s ({parts} {', '.join(took)})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
