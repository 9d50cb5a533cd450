"""The share poller's request budgets, measured against the fake X API (``make bench``).

    python -m bench.poller [--quick] [--links 10,100,1000]

The budgets come from issue 4 ("Performance"): requests per poll for 10, 100 and 1,000
active links with the same new posts are the same number; they grow with new posts
(``ceil(new/100)`` search pages), plus repost and quote look-ups only for posts whose counts
changed; and no post is read twice across polls.

For every link count, in its own ``moto.mock_aws()`` (fresh tables) with its own fake X API
on 127.0.0.1 (a real HTTP server: moto does not intercept urllib3 to localhost, so
``XSource`` talks to it for real), the bench makes one workspace with 10 jobs (through the
API, one link each) and the rest of their links with ``DynamoJobStore.insert_link``, the
write ``POST /api/jobs/{id}/links`` makes (through the API, each new link also reads the
whole job back first: 1,000 links would take minutes under moto). Then it plays the same X
history: between polls the same posts appear (linking to links picked at random, to slugs
we never made, or elsewhere) and the same posts get reposted and quoted. After each change
it runs ``jobtrail.domain.poller.poll`` once, with ``XSource`` and ``DynamoShareStore`` as
the scheduled function does, and reads the fake's request log.

Budgets, checked against a model of issue 4's rules that reads only the fake's world:

1. Per poll: search requests = max(1, ceil(new/100)), ``new`` being the posts X's search
   returns since the last poll; lookups (``GET /2/tweets?ids=``) = ceil(tracked/100);
   ``retweeted_by`` / ``quote_tweets`` exactly for the posts whose counts grew. And the
   per-endpoint counts of every poll are identical for every link count.
2. Search reads every new post once: zero post ids returned twice across all polls (the
   pages and since_id work), and each poll's posts read = its new posts.
3. Every share found once: the shares in the store are exactly the linking posts, quotes
   and reposters of the world (by share key), the polls' ``shares_new`` add up to that
   number, and so does the workspace's share counter.
4. Every poll ends ``ok`` within ``X_MAX_REQUESTS_PER_RUN`` (1000 here, so that the budget
   never cuts a run), and its ``RunReport.requests`` equals the requests the fake saw.

DynamoDB calls per poll are printed for information (counted by wrapping botocore's
``BaseClient._make_api_call``); issue 4 sets no budget on them. It prints every figure and
exits 1 when a budget is missed; the test suite never asserts a count from here.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import platform
import random
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

import boto3
from moto import mock_aws

# bench.redirect sets the benchmark environment (region, fake credentials, Powertools'
# namespace and log level, no tracing) when it is imported; isort keeps this import above
# infra, jobtrail and tests, whose modules read those settings at import time.
from bench.redirect import (
    Budget,
    patched,
    powertools_output_discarded,
    report_budgets,
    say,
    table,
)
from infra.local.dispatch import Dispatcher
from infra.local.dynamodb import create_tables
from infra.local.functions import LocalFunctions
from jobtrail.config import DEFAULT_MAX_REQUESTS, Settings
from jobtrail.domain import jobs
from jobtrail.domain.poller import RunReport, poll
from jobtrail.domain.shares import slug_of
from jobtrail.domain.slugs import random_slug
from jobtrail.domain.times import iso, utc_now
from jobtrail.sources.x import XSource
from jobtrail.store.clicks import find_link
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.key_shapes import channel_jobs_key, workspace_stats_key
from jobtrail.store.models import CounterItem
from jobtrail.store.shares import TRACK_DAYS, DynamoShareStore, job_shares
from jobtrail.store.workspaces import create_workspace
from tests.fakes.x_api import FakeXApi, Request, Tweet, User, XWorld, running_fake_x

# Read by Settings.from_env() when the bench wires the poller, so setting them here, before
# main runs, is early enough. setdefault, so that a caller can still override one.
POLLER_ENV = {"SHORT_BASE_URL": "https://jt.example", "X_MAX_REQUESTS_PER_RUN": "1000"}
for _name, _value in POLLER_ENV.items():
    os.environ.setdefault(_name, _value)

ENDPOINTS = ("search", "lookup", "retweeted_by", "quote_tweets")
PAGE = 100  # X's max_results on every endpoint the poller uses, and ids= per lookup
MAX_LIST_PAGES = 3  # XSource's default max_lookup_pages (quote_tweets, retweeted_by)
REPOSTERS_LISTED = 100  # retweeted_by lists only the latest 100
JOBS = 10
CHANNEL = "twitter"
AUTHORS = 150
SEED = 20261125
ELSEWHERE = "https://careers.example.se/jobs"
_PER_POST = re.compile(r"/2/tweets/(\d+)/(retweeted_by|quote_tweets)")


# ------------------------------------------------------------------------- the history


@dataclass(frozen=True)
class Step:
    """What happens on X before one poll. Targets name earlier posts: ``p3`` the fourth
    post that linked to one of our links, ``n0`` the first such post of this step, ``q0``
    the first quote."""

    note: str
    linking: int = 0  # new posts linking to one of our links (every 10th also elsewhere)
    replies: int = 0  # of those, how many reply to an earlier linking post
    unknown: int = 0  # new posts linking to our short domain with a slug we never made
    elsewhere: int = 0  # new posts linking only to other sites (search does not return them)
    reposts: tuple[tuple[str, int], ...] = ()  # (target, how many new reposters)
    quotes: tuple[tuple[str, int, bool], ...] = ()  # (target, new quotes, first one links)


FULL = (
    Step("first poll: posts about the jobs, and noise", linking=250, unknown=20, elsewhere=30),
    Step("nothing happened"),
    Step(
        "new posts; 5 earlier posts reposted/quoted, a new post already reposted",
        linking=30,
        replies=2,
        unknown=2,
        elsewhere=5,
        reposts=(("p0", 3), ("p1", 1), ("p2", 2), ("n0", 2)),
        quotes=(("p2", 1, False), ("p3", 1, False), ("p4", 2, True)),
    ),
    Step(
        "two pages of new posts; a quote reposted (3 levels), a post reposted again",
        linking=120,
        unknown=3,
        reposts=(("q0", 2), ("p1", 1)),
    ),
    Step("exactly one page of new posts", linking=100),
    Step("nothing happened"),
)
QUICK = (
    Step("first poll: posts about the jobs, and noise", linking=120, unknown=10, elsewhere=10),
    Step("nothing happened"),
    Step(
        "new posts; 5 earlier posts reposted/quoted, a new post already reposted",
        linking=20,
        unknown=2,
        reposts=(("p0", 3), ("p1", 1), ("p2", 2), ("n0", 2)),
        quotes=(("p2", 1, False), ("p3", 1, False), ("p4", 2, True)),
    ),
    Step("a quote reposted (3 levels)", reposts=(("q0", 2),)),
)


class History:
    """Plays the steps into a fake X world. Everything but which of the links a post names
    is the same for every link count: the same authors, texts, times (so the same post
    ids), reposts and quotes, drawn from a seeded generator that never sees the links."""

    def __init__(self, world: XWorld, host: str, slugs: Sequence[str], start: datetime) -> None:
        self.world = world
        self.base = f"https://{host}"
        self.slugs = list(slugs)
        self.clock = start
        self.rng = random.Random(SEED)
        self.pick = random.Random(SEED + 1)  # which link: the only draw that depends on N
        self.posts: list[Tweet] = []  # posts linking to one of our links, oldest first
        self.quotes: list[Tweet] = []
        self.slug_of: dict[str, str] = {}  # tweet id -> the slug it links to
        self.authors = [
            world.user(f"dev{n:03d}", followers=self.rng.randrange(10, 20_000))
            for n in range(AUTHORS)
        ]
        self.users = 0
        self.noise = 0

    def _at(self) -> datetime:
        self.clock += timedelta(seconds=5)
        return self.clock

    def _author(self) -> User:
        return self.authors[self.rng.randrange(len(self.authors))]

    def _new_user(self, prefix: str) -> User:
        self.users += 1
        return self.world.user(f"{prefix}{self.users:04d}", followers=self.rng.randrange(5000))

    def _target(self, name: str, first_new: int) -> Tweet:
        kind, index = name[0], int(name[1:])
        if kind == "q":
            return self.quotes[index]
        return self.posts[first_new + index if kind == "n" else index]

    def play(self, step: Step) -> None:
        world, first_new = self.world, len(self.posts)
        for n in range(step.linking):
            slug = self.slugs[self.pick.randrange(len(self.slugs))]
            urls = [f"{self.base}/{slug}"]
            if n % 10 == 9:
                urls.insert(0, f"{ELSEWHERE}/{n}")
            replying = None
            if n < step.replies and first_new:
                replying = self.posts[self.rng.randrange(first_new)]
            tweet = world.post(self._author(), urls=urls, at=self._at(), replying_to=replying)
            self.posts.append(tweet)
            self.slug_of[tweet.id] = slug
        for _ in range(step.unknown):
            self.noise += 1
            world.post(self._author(), urls=[f"{self.base}/nosuchslug{self.noise}"], at=self._at())
        for _ in range(step.elsewhere):
            self.noise += 1
            world.post(self._author(), urls=[f"{ELSEWHERE}/{self.noise}"], at=self._at())
        for name, count in step.reposts:
            target = self._target(name, first_new)
            world.repost(target, *(self._new_user("rp") for _ in range(count)))
        for name, count, linked in step.quotes:
            target = self._target(name, first_new)
            for n in range(count):
                # A quote carrying the job's link too is found twice: by search and as a
                # quote of its parent. It is one share.
                urls = [f"{self.base}/{self.slug_of[target.id]}"] if linked and n == 0 else []
                quote = world.post(
                    self._new_user("qt"), "so true", urls=urls, at=self._at(), quoting=target
                )
                self.quotes.append(quote)
                self.slug_of[quote.id] = self.slug_of[target.id]


# --------------------------------------------------------------------------- the model


@dataclass
class Expected:
    new: int  # posts X's search returns since the last poll
    found: int  # of those, posts linking to one of our links
    tracked: int  # posts watched when the poll refreshes metrics
    requests: dict[str, int]
    reposts_of: set[str]  # posts whose reposters the poll must ask for
    quotes_of: set[str]


class Model:
    """Issue 4's rules, applied to the fake's world: what one poll must ask X, and which
    shares exist after it. It reads only the world, never the store or the poller."""

    def __init__(self, host: str, slugs: Sequence[str]) -> None:
        self.host = host
        self.slugs = set(slugs)
        self.newest = 0
        self.seen: dict[str, tuple[int, int]] = {}  # tracked post -> counts acted on
        self.shares: set[str] = set()

    def _links_here(self, tweet: Tweet) -> bool:
        return any(slug_of(url, self.host) in self.slugs for url in tweet.urls)

    def poll(self, world: XWorld) -> Expected:
        new = [
            t
            for t in world.tweets.values()
            if t.retweeted is None
            and any(self.host in url.lower() for url in t.urls)
            and int(t.id) > self.newest
        ]
        if new:
            self.newest = max(int(t.id) for t in new)
        found = [t for t in new if self._links_here(t)]
        for tweet in found:
            self.seen.setdefault(tweet.id, (0, 0))
            self.shares.add(f"x#post#{tweet.id}")
        watched = sorted(self.seen)
        requests = dict.fromkeys(ENDPOINTS, 0)
        requests["search"] = max(1, math.ceil(len(new) / PAGE))
        requests["lookup"] = math.ceil(len(watched) / PAGE)
        reposts_of: set[str] = set()
        quotes_of: set[str] = set()
        for post_id in watched:
            reposters = list(reversed(world.reposters.get(post_id, [])))[:REPOSTERS_LISTED]
            reposts = len(world.reposters.get(post_id, []))
            quotes = [t for t in world.tweets.values() if t.quoted == post_id]
            seen_reposts, seen_quotes = self.seen[post_id]
            if reposts > seen_reposts:
                reposts_of.add(post_id)
                requests["retweeted_by"] += _list_pages(len(reposters))
                self.shares.update(f"x#repost#{post_id}#{user}" for user in reposters)
            if len(quotes) > seen_quotes:
                quotes_of.add(post_id)
                requests["quote_tweets"] += _list_pages(len(quotes))
                for quote in quotes[: PAGE * MAX_LIST_PAGES]:
                    self.shares.add(f"x#post#{quote.id}")
                    self.seen.setdefault(quote.id, (0, 0))  # watched from the next poll
            self.seen[post_id] = (reposts, len(quotes))
        return Expected(len(new), len(found), len(watched), requests, reposts_of, quotes_of)


def _list_pages(items: int) -> int:
    return min(MAX_LIST_PAGES, max(1, math.ceil(items / PAGE)))


# ---------------------------------------------------------------------- instrumentation


class SearchReads:
    """The post ids every search page of the fake answered with, in order: the fake's own
    ``_search`` wrapped on this instance (the fake's file is not changed)."""

    def __init__(self, fake: FakeXApi) -> None:
        self.pages: list[list[str]] = []
        original = fake._search

        def recorded(params: dict[str, str]) -> Any:
            answer = original(params)
            if answer.status == 200:
                body = json.loads(answer.body)
                self.pages.append([str(t["id"]) for t in body.get("data", [])])
            return answer

        fake._search = recorded  # type: ignore[method-assign]


class DynamoCalls:
    """DynamoDB operations by name and key prefix (``GetItem SLUG``, ``GetItem TRACK``),
    counted by wrapping botocore's ``BaseClient._make_api_call``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    @staticmethod
    def _label(operation: str, params: dict[str, Any]) -> str:
        key = params.get("Key") or params.get("Item") or {}
        if operation == "TransactWriteItems":
            first = next(iter(params["TransactItems"][0].values()))
            key = first.get("Key") or first.get("Item") or {}
        elif operation == "Query":
            values = params.get("ExpressionAttributeValues", {})
            key = {"pk": next(iter(values.values()), {})}
        pk = str(key.get("pk", {}).get("S", ""))
        return f"{operation} {pk.split('#', 1)[0]}" if "#" in pk else operation

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call  # type: ignore[attr-defined]

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            self.calls[self._label(operation, params)] += 1
            return original(client, operation, params)

        with patched(BaseClient, "_make_api_call", counted):
            yield

    def take(self) -> Counter[str]:
        calls, self.calls = self.calls, Counter()
        return calls


@contextlib.contextmanager
def item_level_transactions() -> Iterator[None]:
    """moto's TransactWriteItems deep-copies the whole table once per item of the
    transaction, to roll back on failure: ~170 ms for the 1,000-link main table on a small
    VM, so every new share (one transaction of two items) would cost about 0.4 s, and the
    1,000-link run minutes. This keeps the same all-or-nothing result by saving, before the
    transaction, only the items it names, and putting them back if it fails. Requests and
    their answers are unchanged; only moto's bookkeeping is cheaper."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    class _NoTableCopy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        before: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            name = operation.get("TableName")
            table_ = backend.tables.get(name)
            if table_ is None:
                continue  # moto answers for it
            key = operation.get("Key") or {
                attr: operation["Item"][attr]
                for attr in (table_.hash_key_attr, table_.range_key_attr)
                if attr and attr in operation.get("Item", {})
            }
            # A malformed key makes moto refuse here, as it would the transaction.
            current = backend.get_item(name, key)
            before.append((name, key, None if current is None else current.to_json()["Attributes"]))
        try:
            with patched(models, "copy", _NoTableCopy):
                original(backend, transact_items)
        except Exception:
            for name, key, attributes in reversed(before):
                if attributes is None:
                    backend.delete_item(name, key)
                else:
                    backend.put_item(name, attributes)
            raise

    with patched(models.DynamoDBBackend, "transact_write_items", transact):
        yield


# --------------------------------------------------------------------------- one run


@dataclass
class PollRow:
    links: int
    poll: int
    expected: Expected
    report: RunReport
    requests: dict[str, int]
    asked_reposts: set[str]
    asked_quotes: set[str]
    read: int
    read_twice: int
    since_id_ok: bool
    dynamo: Counter[str]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass
class LinkRun:
    links: int
    rows: list[PollRow] = field(default_factory=list)
    setup_seconds: float = 0.0
    store_shares: set[str] = field(default_factory=set)
    duplicate_items: int = 0
    expected_shares: set[str] = field(default_factory=set)
    counter_shares: int = 0
    max_requests: int = 0


def api_request(dispatcher: Dispatcher, api_key: str, method: str, path: str, body: Any) -> Any:
    headers = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
    answer = dispatcher.request(method, path, headers=headers, body=json.dumps(body))
    if answer["statusCode"] not in (200, 201):
        raise RuntimeError(f"{method} {path}: {answer}")
    return json.loads(answer["body"])


def make_links(links: int) -> tuple[str, list[str], list[str]]:
    """One workspace, 10 jobs made through the API (one twitter link each), then the rest
    of the links, ``links / 10`` per job, each with a sharer of its own, written as
    ``POST /api/jobs/{id}/links`` writes them. Answers the workspace, the job ids and every
    slug."""
    workspace_id, api_key = create_workspace("Bench", now=iso(utc_now()))
    dispatcher = Dispatcher(LocalFunctions())
    store = DynamoJobStore()
    job_ids: list[str] = []
    slugs: list[str] = []
    per_job = links // JOBS
    with powertools_output_discarded():
        for j in range(JOBS):
            body = {
                "title": f"Backend developer {j}",
                "url": f"https://careers.example.se/jobs/{j}",
                "channels": [CHANNEL],
            }
            job = api_request(dispatcher, api_key, "POST", "/api/jobs", body)
            job_ids.append(job["id"])
            slugs.append(job["links"][0]["slug"])
            stored = store.get_job(workspace_id, job["id"])
            assert stored is not None
            for k in range(per_job - 1):
                link = jobs.Link(
                    slug=random_slug(),
                    workspace_id=workspace_id,
                    job_id=job["id"],
                    channel=CHANNEL,
                    sharer=f"sharer{j:02d}{k:03d}",
                    target_url=job["url"],
                    campaign=job["campaign"],
                    created_at=iso(utc_now()),
                )
                store.insert_link(link, job=stored)
                slugs.append(link.slug)
    return workspace_id, job_ids, slugs


def run_links(links: int, steps: Sequence[Step], start: datetime) -> LinkRun:
    settings = Settings.from_env()
    host = settings.short_host
    result = LinkRun(links, max_requests=settings.max_requests_per_run)
    calls = DynamoCalls()
    mark = time.perf_counter()
    with mock_aws(), item_level_transactions():
        create_tables(boto3.client("dynamodb"))
        workspace_id, job_ids, slugs = make_links(links)
        result.setup_seconds = time.perf_counter() - mark
        with running_fake_x() as fake:
            reads = SearchReads(fake)
            source = XSource(fake.base_url, fake.token, timeout=10.0)
            history = History(fake.world, host, slugs, start)
            model = Model(host, slugs)
            read_before: set[str] = set()
            newest_read: str | None = None
            try:
                for number, step in enumerate(steps, 1):
                    history.play(step)
                    expected = model.poll(fake.world)
                    requests_mark, pages_mark = len(fake.requests), len(reads.pages)
                    began = time.perf_counter()
                    with calls.counting():
                        report = poll(
                            source,
                            DynamoShareStore(),
                            short_host=host,
                            find_link=find_link,
                            max_requests=settings.max_requests_per_run,
                            now=utc_now(),
                        )
                    seconds = time.perf_counter() - began
                    sent: list[Request] = list(fake.requests[requests_mark:])
                    pages = reads.pages[pages_mark:]
                    ids = [post_id for page in pages for post_id in page]
                    twice = len(ids) - len(set(ids)) + len(set(ids) & read_before)
                    read_before |= set(ids)
                    searches = [r for r in sent if r.endpoint == "search"]
                    since_ok = all(r.params.get("since_id") == newest_read for r in searches)
                    if pages and pages[0]:
                        newest_read = pages[0][0]
                    result.rows.append(
                        PollRow(
                            links=links,
                            poll=number,
                            expected=expected,
                            report=report,
                            requests={e: sum(r.endpoint == e for r in sent) for e in ENDPOINTS}
                            | {"other": sum(r.endpoint not in ENDPOINTS for r in sent)},
                            asked_reposts=_asked(sent, "retweeted_by"),
                            asked_quotes=_asked(sent, "quote_tweets"),
                            read=len(ids),
                            read_twice=twice,
                            since_id_ok=since_ok,
                            dynamo=calls.take(),
                            seconds=seconds,
                        )
                    )
            finally:
                source.close()
        keys = [share.key for job_id in job_ids for share in job_shares(job_id)]
        result.store_shares = set(keys)
        result.duplicate_items = len(keys) - len(set(keys))
        result.expected_shares = model.shares
        try:
            counter = CounterItem.get(workspace_stats_key(workspace_id), channel_jobs_key(CHANNEL))
            result.counter_shares = int(counter.shares or 0)
        except CounterItem.DoesNotExist:
            result.counter_shares = 0
    return result


def _asked(sent: Sequence[Request], endpoint: str) -> set[str]:
    found = (_PER_POST.fullmatch(r.path) for r in sent if r.endpoint == endpoint)
    return {match.group(1) for match in found if match}


# ------------------------------------------------------------------------------ report


def pattern(requests: dict[str, int]) -> tuple[int, ...]:
    return tuple(requests.get(e, 0) for e in ENDPOINTS)


def print_requests(runs: Sequence[LinkRun], steps: Sequence[Step]) -> None:
    say("1. X requests per poll (the fake's request log), same X history for every link count")
    rows: list[list[object]] = []
    for run in runs:
        for row in run.rows:
            expected = row.expected
            mismatch = pattern(row.requests) != pattern(expected.requests) or row.requests.get(
                "other", 0
            )
            rows.append(
                [
                    run.links,
                    row.poll,
                    expected.new,
                    row.requests["search"],
                    row.requests["lookup"],
                    row.requests["retweeted_by"],
                    row.requests["quote_tweets"],
                    row.total,
                    sum(expected.requests.values()),
                    row.read,
                    row.read_twice,
                    row.report.posts_found,
                    expected.tracked,
                    row.report.shares_new,
                    row.report.status,
                    f"{row.seconds:.1f}",
                    "MISMATCH" if mismatch else "",
                ]
            )
    headers = [
        "links",
        "poll",
        "new posts",
        "search",
        "lookup",
        "retweeted_by",
        "quote_tweets",
        "total requests",
        "expected",
        "posts read",
        "posts read twice",
        "found",
        "tracked",
        "shares new",
        "status",
        "secs",
        "",
    ]
    say(table(headers, rows))
    say(
        "  new posts: posts X's search returns since the last poll (our short domain, "
        "including slugs we never made);\n"
        "  expected: issue 4's rules applied to the fake's world (search max(1, "
        "ceil(new/100)) + lookup ceil(tracked/100)\n"
        "  + one retweeted_by / quote_tweets page per post whose count grew); tracked: posts "
        "watched when the poll refreshed them."
    )
    say("  The polls:")
    for number, step in enumerate(steps, 1):
        say(f"    {number}. {step.note}")
    # The last poll with nothing new and no count grown (the full and quick histories both
    # have one): it costs one search and the refresh.
    quiet = next(
        (r for r in reversed(runs[0].rows) if r.total == 1 + r.requests["lookup"]),
        runs[0].rows[-1],
    )
    say(
        "  NOTE: the refresh (lookup) grows with tracked posts, not with links: every tracked "
        f"post (watched {TRACK_DAYS} days from\n"
        "  its creation) is looked up again at every poll, 100 per request: the quiet poll "
        f"{quiet.poll} costs {quiet.total} requests\n"
        f"  (1 search + {quiet.requests['lookup']} lookups for {quiet.expected.tracked} "
        f"tracked posts). At X_MAX_REQUESTS_PER_RUN's default of {DEFAULT_MAX_REQUESTS}, a "
        "quiet poll runs\n"
        f"  out of budget beyond {(DEFAULT_MAX_REQUESTS - 1) * PAGE:,} tracked posts (the "
        "refresh goes newest first, so the oldest wait)."
    )
    say()


def print_dynamo(runs: Sequence[LinkRun]) -> None:
    say("2. DynamoDB calls per poll (information; issue 4 sets no budget on them)")
    groups = {
        "GetItem SLUG": "find_link",
        "Query TRACK": "tracked",
        "TransactWriteItems SHARES": "share writes",
        "PutItem TRACK": "track",
    }
    rows = []
    for run in runs:
        for row in run.rows:
            calls = row.dynamo
            named = [calls.get(label, 0) for label in groups]
            other = sum(calls.values()) - sum(named)
            rows.append([run.links, row.poll, *named, other, sum(calls.values())])
    say(table(["links", "poll", *groups.values(), "other", "total"], rows))
    say(
        "  find_link: GetItem SLUG, one per distinct slug in the poll's new posts (grows with "
        "new posts, and with\n"
        "  how many distinct links they name); tracked: the Query of the watched posts (one "
        "page per 1 MB);\n"
        "  share writes: TransactWriteItems per share sighting (new or seen again)."
    )
    say()


def budgets_of(runs: Sequence[LinkRun]) -> list[Budget]:
    rows = [row for run in runs for row in run.rows]
    budgets: list[Budget] = []

    def misses(check: Any) -> list[str]:
        return [f"{r.links} links poll {r.poll}" for r in rows if not check(r)]

    def measured(bad: list[str]) -> str:
        shown = f"{len(rows) - len(bad)}/{len(rows)} polls"
        return shown + (f"; wrong: {', '.join(bad[:4])}" if bad else "")

    bad = misses(lambda r: r.requests["search"] == r.expected.requests["search"])
    budgets.append(
        Budget("search requests = max(1, ceil(new/100))", measured(bad), "every poll", not bad)
    )
    bad = misses(lambda r: r.requests["lookup"] == r.expected.requests["lookup"])
    budgets.append(Budget("lookups = ceil(tracked/100)", measured(bad), "every poll", not bad))
    bad = misses(
        lambda r: (
            (r.asked_reposts, r.asked_quotes) == (r.expected.reposts_of, r.expected.quotes_of)
            and r.requests["retweeted_by"] == r.expected.requests["retweeted_by"]
            and r.requests["quote_tweets"] == r.expected.requests["quote_tweets"]
        )
    )
    budgets.append(
        Budget("reposts/quotes asked only where counts grew", measured(bad), "every poll", not bad)
    )
    bad = misses(lambda r: r.requests.get("other", 0) == 0)
    budgets.append(Budget("no request to another endpoint", measured(bad), "every poll", not bad))
    if len(runs) > 1:
        first = runs[0]
        differ = [
            f"poll {a.poll}: {first.links}={pattern(a.requests)} {run.links}={pattern(b.requests)}"
            for run in runs[1:]
            for a, b in zip(first.rows, run.rows, strict=True)
            if pattern(a.requests) != pattern(b.requests)
        ]
        totals = " / ".join(str(sum(r.total for r in run.rows)) for run in runs)
        links = " / ".join(str(run.links) for run in runs)
        budgets.append(
            Budget(
                f"requests per poll equal for {links} links",
                f"totals {totals}" + (f"; {'; '.join(differ[:3])}" if differ else ""),
                "identical per endpoint",
                not differ,
            )
        )
    twice = sum(r.read_twice for r in rows)
    bad = misses(lambda r: r.read == r.expected.new and r.since_id_ok)
    budgets.append(
        Budget(
            "posts read twice by search, across polls",
            f"{twice} of {sum(r.read for r in rows)} read"
            + (f"; reads or since_id off: {', '.join(bad[:4])}" if bad else ""),
            "0; each poll reads its new posts",
            twice == 0 and not bad,
        )
    )
    for run in runs:
        expected, stored = run.expected_shares, run.store_shares
        new = sum(r.report.shares_new for r in run.rows)
        ok = (
            stored == expected
            and run.duplicate_items == 0
            and new == len(expected)
            and run.counter_shares == len(expected)
        )
        detail = (
            f"store {len(stored)}, shares_new {new}, counter {run.counter_shares}, "
            f"world {len(expected)}"
        )
        if stored != expected:
            detail += f" (missing {len(expected - stored)}, extra {len(stored - expected)})"
        budgets.append(Budget(f"every share found once, {run.links} links", detail, "equal", ok))
    bad = misses(
        lambda r: r.report.status == "ok" and r.report.requests == r.total + r.requests["other"]
    )
    worst = max(r.report.requests for r in rows)
    budgets.append(
        Budget(
            "runs end ok; RunReport.requests = requests seen",
            measured(bad) + f"; most per run {worst} of X_MAX_REQUESTS_PER_RUN="
            f"{runs[0].max_requests}",
            "every poll",
            not bad,
        )
    )
    return budgets


# ------------------------------------------------------------------------------- main


@dataclass(frozen=True)
class Plan:
    links: tuple[int, ...]
    steps: tuple[Step, ...]
    quick: bool


def parse(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.poller", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer posts, 10 and 1000 links (about 30 s)"
    )
    parser.add_argument("--links", help="comma-separated link counts, multiples of 10")
    args = parser.parse_args(argv)
    default = (10, 1000) if args.quick else (10, 100, 1000)
    links = tuple(int(n) for n in args.links.split(",")) if args.links else default
    if any(n < JOBS or n % JOBS for n in links):
        parser.error(f"link counts must be multiples of {JOBS}")
    return Plan(links=links, steps=QUICK if args.quick else FULL, quick=args.quick)


def environment_line(plan: Plan) -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("boto3", "pynamodb", "urllib3", "moto")
    )
    posts = sum(s.linking + s.unknown + s.elsewhere for s in plan.steps)
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.system()} {platform.machine()}), {os.cpu_count()} CPUs; {versions}\n"
        f"links {', '.join(map(str, plan.links))} in {JOBS} jobs; {len(plan.steps)} polls; "
        f"{posts} posts (and their reposts and quotes) in the same X history for each; "
        f"X_MAX_REQUESTS_PER_RUN={Settings.from_env().max_requests_per_run}, "
        f"short host {Settings.from_env().short_host}\n"
        "moto's TransactWriteItems snapshots only the items a transaction names "
        "(item_level_transactions): same results, faster"
    )


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse(argv)
    started = time.perf_counter()
    say("jobtrail share poller benchmark")
    say(environment_line(plan))
    say()
    # Powertools warns on stderr about every invocation that adds no metric: noise.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # The same times (so the same post ids) for every link count: X's search window is 7
    # days back from now, so the history starts a few hours ago.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    runs: list[LinkRun] = []
    took: list[str] = []
    for links in plan.links:
        mark = time.perf_counter()
        runs.append(run_links(links, plan.steps, start))
        took.append(
            f"{links}: {time.perf_counter() - mark:.0f} s (links {runs[-1].setup_seconds:.0f} s)"
        )
    print_requests(runs, plan.steps)
    print_dynamo(runs)
    budgets = budgets_of(runs)
    return report_budgets(budgets, started=started, parts="links", took=took)


if __name__ == "__main__":
    sys.exit(main())
