"""Recounting days from the events: the counters a day's clicks make, rebuilt from the
clicks the events table keeps, for the batches the aggregator gave up on.

A stream batch that fails every retry goes to the aggregator's dead-letter queue as a
position only (its shard and sequence numbers), and its clicks are never counted. The
clicks themselves are still in the events table, for ``retentionDays``. A recount reads
them, adds them up with the aggregator's own counting (``domain.counters.BatchPlan``) and
sets each counter item to the result: a job's day, the workspace's channel day, the job's
previews' first sight. Running it again finds the same clicks and sets the same values.
It rebuilds whole workspaces: a workspace's channel days hold the clicks of all its jobs,
and a visitor marker it claims for one job's counters is claimed for the channel's too.

The difficulty is doing so while the aggregator keeps counting, new clicks and late ones
of the same days. A click is either counted by the aggregator or in the recount's result,
never both, never neither, because the recount speaks the aggregator's language: shard
fences (``store.counters``).

1. It reads the events of the days (a Scan: the table has no index by job or day, and one
   would double the redirect's write cost), then every shard of the events stream from its
   oldest record to its end, keeping the clicks of those days with their shard and
   sequence number. A click of the last 24 hours is in the stream (its retention) and is
   waited for if it is not there yet; an older one is past the stream, so past anything
   the aggregator can still count.
2. For each counter item, it reads the item and sets, in one conditional update, the
   counts of the clicks it knows, and on each shard whose clicks it counted, the fence at
   the position it read that shard up to. The aggregator then skips what the recount
   counted (the fence shows it is there) and adds what came after. The condition is that
   the item's totals (and fences) are still as read: every aggregator write adds to a
   total, so a write in between makes the update fail; and if the item's fences are past
   what the recount read, the aggregator counted clicks the recount has not seen. Either
   way the recount reads on in the stream and computes again.
3. A unique visitor is counted where their visitor marker says: a marker claimed by a
   click the recount has read (or by an earlier recount, or that it claims now) makes the
   visitor the recount's to count; a marker claimed by a click past what it read is the
   aggregator's to credit.
4. It never lowers a day's totals: the aggregator never counts a click twice, so fewer
   clicks in the table than in the counters means the events have expired (TTL), and the
   day is left as it is.
5. When a job's days changed, its count of late clicks grows by one, so that the spans of
   days that stats kept before the recount are added up again.

What it assumes: stream records appear within seconds of their click (step 1 waits up to
``STREAM_WAIT_SECONDS``); and that ``replay-clicks`` does not write clicks of the same
days while a recount runs (a replayed click keeps its original time, so if it is older
than a day the recount cannot tell it from a click past the stream's retention).

Cost: the Scan reads the whole events table, every click of ``retentionDays`` whatever the
days asked for (strongly consistent, one read request unit per 4 KB: about 75 000 units
for a million clicks of some 300 bytes), and the stream's last 24 hours once (reads of a
stream outside Lambda are billed per request of up to 1 000 records). The writes are one
update per counter item that changes and one conditional put per visitor.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import and_
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from jobtrail.domain.counters import (
    LATE_CLICKS,
    BatchPlan,
    CountedClick,
    CounterKey,
    MarkerKey,
    added_up,
    metric,
    padded_sequence,
    read_click,
)
from jobtrail.store.connection import condition_failed, connection
from jobtrail.store.counters import (
    FENCE_PREFIX,
    claim_visitor,
    counter_key,
    counts_of,
    marker_key,
)
from jobtrail.store.key_shapes import CHANGES, job_stats_key
from jobtrail.store.models import ClickItem, CounterItem, VisitorMarker

RECOUNT_CLAIM = "recount"  # a visitor marker claimed by a recount
SETTLED = "0" * 40  # the sequence of a click past the stream: no fence needed
STREAM_RETENTION = timedelta(hours=24)
STREAM_MARGIN = timedelta(minutes=5)  # a click this close to the retention may be gone
STREAM_WAIT_SECONDS = 30.0
ATTEMPTS = 20  # computations in a row the aggregator may overtake before the recount gives up
SHARD_PREFIX = "shardId-"
# The totals every aggregator write to a counter item adds to.
TOTALS = {"job": (metric("all", "", "human"), metric("all", "", "bots")), "workspace": ("human",)}


class RecountFailed(RuntimeError):
    """The recount could not finish; the message says why and what to do."""


@dataclass
class RecountReport:
    days: tuple[str, str]
    clicks: int = 0
    stream_records: int = 0
    rebuilt: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # items whose events have expired

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.days[0],
            "to": self.days[1],
            "clicks": self.clicks,
            "stream_records": self.stream_records,
            "rebuilt": self.rebuilt,
            "unchanged": self.unchanged,
            "kept": self.kept,
        }


def _fence_name(shard: str) -> str:
    return f"{FENCE_PREFIX}{shard.removeprefix(SHARD_PREFIX)}"


class _Stream:
    """What the recount has read of the events table's stream: each shard's position and
    the clicks of the days, with their shard."""

    def __init__(self, first: str, last: str) -> None:
        self._first, self._last = first, last
        self._client = _streams_client()
        table = connection().describe_table(ClickItem.Meta.table_name)
        self._arn = table.get("LatestStreamArn")
        if not self._arn:
            raise RecountFailed(f"The table {ClickItem.Meta.table_name} has no stream.")
        self._iterators: dict[str, str | None] = {}
        self._gone: set[str] = set()
        self.positions: dict[str, str] = {}  # shard -> padded sequence of the last record read
        self.clicks: dict[str, CountedClick] = {}
        self.shards_of: dict[str, set[str]] = {}  # sequence -> shards that have it
        self.records = 0
        self._images = TypeDeserializer()

    def read_on(self) -> None:
        """Read every shard (a new one from its start) to its end as it is now."""
        for shard in self._shard_ids():
            if shard not in self._iterators:
                self._iterators[shard] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            while (iterator := self._iterators[shard]) is not None:
                page = self._client.get_records(ShardIterator=iterator, Limit=1000)
                records = page.get("Records", [])
                if records:
                    self._take(shard, records)
                self._iterators[shard] = page.get("NextShardIterator")
                if not records:
                    break  # the end of an open shard, as of now

    def knows(self, shard: str) -> bool:
        """True if the shard was read. One not read yet is looked for (it may be new); one
        the stream no longer lists, after something named it, is past its retention."""
        if shard not in self._iterators and shard not in self._gone:
            self.read_on()
            if shard not in self._iterators:
                self._gone.add(shard)
        return shard in self._iterators

    def _shard_ids(self) -> list[str]:
        shards: list[str] = []
        start: dict[str, str] = {}
        while True:
            described = self._client.describe_stream(StreamArn=self._arn, **start)
            description = described["StreamDescription"]
            shards += [shard["ShardId"] for shard in description["Shards"]]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            start = {"ExclusiveStartShardId": last}

    def _take(self, shard: str, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.records += 1
            stream = record["dynamodb"]
            sequence = padded_sequence(stream["SequenceNumber"])
            self.positions[shard] = sequence
            if record.get("eventName") != "INSERT" or "NewImage" not in stream:
                continue
            image = {k: self._images.deserialize(v) for k, v in stream["NewImage"].items()}
            if not self._first <= str(image.get("day", "")) <= self._last:
                continue
            counted = read_click(image, sequence)
            self.clicks[counted.click.click_id] = counted
            self.shards_of.setdefault(sequence, set()).add(shard)


def _streams_client() -> Any:
    """A Streams client from the store's own botocore session (and so its region,
    credentials and endpoint settings)."""
    shared = connection()
    return shared.session.create_client("dynamodbstreams", shared.region)


def _events(first: str, last: str) -> dict[str, CountedClick]:
    """Every click of the days in the events table: a Scan, filtered (see the module)."""
    clicks: dict[str, CountedClick] = {}
    for item in ClickItem.scan(ClickItem.day.between(first, last), consistent_read=True):
        counted = read_click(item.attribute_values, SETTLED)
        clicks[counted.click.click_id] = counted
    return clicks


def _wait_for_recent(
    events: Mapping[str, CountedClick], stream: _Stream, *, now: datetime, wait: float
) -> None:
    """Read on until the stream holds every click of the table young enough to be in it."""
    young = now - STREAM_RETENTION + STREAM_MARGIN
    deadline = clock.monotonic() + wait
    while True:
        missing = [
            c
            for c in events.values()
            if c.click.click_id not in stream.clicks and c.click.at > young
        ]
        if not missing:
            return
        if clock.monotonic() > deadline:
            raise RecountFailed(
                f"The events stream still lacks {len(missing)} clicks of the last 24 hours "
                f"after {wait:.0f} s: run the recount again later."
            )
        clock.sleep(0.5)
        stream.read_on()


@dataclass
class _Attempt:
    clicks: set[str] = field(default_factory=set)  # the clicks counted
    changed_jobs: set[str] = field(default_factory=set)
    rebuilt: set[str] = field(default_factory=set)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)


class _Overtaken(Exception):
    """The aggregator wrote to an item after the recount read it: read on, compute again."""


def recount(
    first: date,
    last: date,
    *,
    jobs: Iterable[str] | None = None,
    now: datetime,
    wait_seconds: float = STREAM_WAIT_SECONDS,
) -> RecountReport:
    """Rebuild the counters of ``first`` .. ``last`` from the events: of the workspaces of
    ``jobs`` (all their jobs, and their channel days), or of every workspace with clicks on
    those days."""
    days = (first.isoformat(), last.isoformat())
    report = RecountReport(days)
    events = _events(*days)
    stream = _Stream(*days)
    stream.read_on()
    _wait_for_recent(events, stream, now=now, wait=wait_seconds)
    wanted = set(jobs) if jobs is not None else None
    attempt = _Attempt()  # what was written carries over to the next try
    for _ in range(ATTEMPTS):
        clicks = {**events, **stream.clicks}  # a click the stream has carries its position
        attempt.unchanged, attempt.kept, attempt.clicks = 0, [], set()
        try:
            _apply(clicks, wanted, stream, attempt, now=now)
        except _Overtaken:
            stream.read_on()
            continue
        for job_id in sorted(attempt.changed_jobs):
            CounterItem._get_connection().update_item(
                job_stats_key(job_id),
                CHANGES,
                actions=[NumberAttribute(attr_name=LATE_CLICKS).add(1)],
            )
        report.clicks = len(attempt.clicks)
        report.stream_records = stream.records
        report.rebuilt = sorted(attempt.rebuilt)
        report.unchanged, report.kept = attempt.unchanged, attempt.kept
        return report
    raise RecountFailed(
        f"The aggregator kept writing to these days' counters ({ATTEMPTS} tries): "
        "run the recount again."
    )


def _apply(
    clicks: Mapping[str, CountedClick],
    wanted: set[str] | None,
    stream: _Stream,
    attempt: _Attempt,
    *,
    now: datetime,
) -> None:
    # A workspace's channel days hold all its jobs' clicks, and a visitor marker claimed
    # for one counter is claimed for the others: so every job of the workspace is rebuilt.
    workspaces = {
        c.click.workspace_id for c in clicks.values() if wanted is None or c.click.job_id in wanted
    }
    jobs = {c.click.job_id for c in clicks.values() if c.click.workspace_id in workspaces}
    plan = BatchPlan()  # no "today": a recount changes the count of late clicks itself
    for counted in sorted(clicks.values(), key=lambda c: (c.sequence, c.click.click_id)):
        if counted.click.workspace_id in workspaces:
            plan.count(counted)
            attempt.clicks.add(counted.click.click_id)
    for marker in list(plan.markers):
        if _visitor_is_ours(marker, stream, now=now):
            plan.credit_new_visitor(marker)
    for key, contributions in plan.counters.items():
        kind = key[0]
        if kind == "firsts" and key[1] in jobs:
            _, first_seen = added_up(contributions)
            _keep_earliest(key, first_seen)
        elif (kind == "job" and key[1] in jobs) or kind == "workspace":
            counts, _ = added_up(contributions)
            shards = {s for c in contributions for s in stream.shards_of.get(c.sequence, ())}
            _rebuild(key, counts, shards, stream, attempt)


def _visitor_is_ours(marker: MarkerKey, stream: _Stream, *, now: datetime) -> bool:
    """True if the recount counts this visitor (see the module, 3.)."""
    if claim_visitor(marker, RECOUNT_CLAIM, now=now):
        return True
    token = VisitorMarker.get(*marker_key(marker), consistent_read=True).token
    shard, _, sequence = str(token).rpartition("/")
    if not stream.knows(shard):
        return True  # a shard past the stream's retention: its clicks are settled
    return padded_sequence(sequence) <= stream.positions.get(shard, SETTLED)


CONVERSION_METRICS = frozenset({"applications", "hires"})


def _rebuild(
    key: CounterKey, counts: dict[str, int], shards: set[str], stream: _Stream, attempt: _Attempt
) -> None:
    pk, sk = counter_key(key)
    item = CounterItem._get_connection().get_item(pk, sk, consistent_read=True).get("Item", {})
    # Conversions are counted by the API, not from clicks: a recount leaves them as they are.
    held = {
        k: v
        for k, v in counts_of(item).items()
        if isinstance(v, int) and k.rsplit("|", 1)[-1] not in CONVERSION_METRICS
    }
    fences = {name: value["S"] for name, value in item.items() if name.startswith(FENCE_PREFIX)}
    for name, reached in fences.items():
        shard = SHARD_PREFIX + name.removeprefix(FENCE_PREFIX)
        if not stream.knows(shard):
            continue  # a shard past the stream's retention: nothing more comes from it
        if reached > stream.positions.get(shard, SETTLED):
            raise _Overtaken  # the aggregator counted clicks the recount has not read
    label = f"{pk} {sk}"
    if held == counts:
        attempt.unchanged += 1
        return
    totals = TOTALS[key[0]]
    if any(counts.get(total, 0) < held.get(total, 0) for total in totals):
        attempt.kept.append(label)
        return
    actions: list[Action] = [NumberAttribute(attr_name=n).set(v) for n, v in counts.items()]
    actions += [NumberAttribute(attr_name=n).remove() for n in held if n not in counts]
    for shard in shards:
        name = _fence_name(shard)
        position = stream.positions[shard]
        if fences.get(name, "") < position:
            actions.append(UnicodeAttribute(attr_name=name).set(position))
    # Still as read: no aggregator write since (each adds to a total), no fence moved.
    terms: list[Condition] = [CounterItem.pk.does_not_exist()] if not item else []
    for total in totals if item else ():
        attribute = NumberAttribute(attr_name=total)
        terms.append(attribute == held[total] if total in held else attribute.does_not_exist())
    terms += [UnicodeAttribute(attr_name=name) == reached for name, reached in fences.items()]
    condition = reduce(and_, terms)
    try:
        CounterItem._get_connection().update_item(pk, sk, actions=actions, condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise _Overtaken from error
    attempt.rebuilt.add(label)
    if key[0] == "job":
        attempt.changed_jobs.add(key[1])


def _keep_earliest(key: CounterKey, first_seen: Mapping[str, str]) -> None:
    """Previews' first sight: the earlier of what is kept and what the clicks show."""
    pk, sk = counter_key(key)
    for name, moment in first_seen.items():
        seen = UnicodeAttribute(attr_name=name)
        try:
            CounterItem._get_connection().update_item(
                pk,
                sk,
                actions=[seen.set(moment)],
                condition=seen.does_not_exist() | (seen > moment),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
