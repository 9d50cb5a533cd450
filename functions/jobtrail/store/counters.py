"""Counters in the main table, and how the aggregator applies a batch to them exactly once.

Keys (built in ``key_shapes``):

==========================  ===========================================  =====================
pk                          sk                                           item
==========================  ===========================================  =====================
``STAT#<job>``              ``D#<day>``                                  a job's day: totals
                                                                         and every dimension,
                                                                         as ``<dim>|<value>|
                                                                         <metric>``
``STAT#<job>``              ``S<level>#<first day>``                     a span of 2**level
                                                                         days added up (by
                                                                         stats, kept)
``STAT#<job>``              ``FIRST``                                    previews' first sight
``STAT#<job>``              ``CHANGES``                                  late clicks counted
``WSSTAT#<workspace>``      ``channel#<channel>``                        jobs and shares
``WSSTAT#<workspace>``      ``channel#<channel>#<day>``                  a channel's day
``VIS#<job>#<day>``         ``<visitor>`` or ``<channel>#<visitor>``     a visitor marker
==========================  ===========================================  =====================

Exactly once: Lambda reads each shard of the stream in order, one batch at a time, and
retries a batch from its first record (after a fault) or from its first failed record
(after a partial failure), halved or not. So every counter update also records, in a fence
named after the shard (``f_<shard>``), the last sequence number it included from that
shard; a retried batch skips, on each counter, what the fence shows it already has. There
is one fence per shard that ever wrote to a counter, however many batches: a few a day.
(The aggregator writes only days, never spans of days, so a counter's fences are its
day's.) Previews' first sight and the count of late clicks need none: writing the first
again changes nothing, and the second only needs to grow. A visitor marker carries the
shard and sequence number of the click that claimed it, so a retried batch still knows the
visitors it found new.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from time import sleep
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.constants import ALL_NEW
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from jobtrail.domain.counters import (
    LATE_CLICKS,
    UNFENCED,
    BatchPlan,
    Contribution,
    CounterKey,
    MarkerKey,
    Tails,
    added_up,
)
from jobtrail.domain.spans import Span, add_up, reading
from jobtrail.store.connection import condition_failed
from jobtrail.store.key_shapes import (
    CHANGES,
    CHANNEL_PREFIX,
    DAY_PREFIX,
    FIRSTS,
    channel_day_key,
    channel_visitor_key,
    day_key,
    job_stats_key,
    span_key,
    visitor_markers_key,
    workspace_stats_key,
)
from jobtrail.store.models import CounterItem, VisitorMarker

# A marker must outlive its day by as long as a click of that day can still arrive: a day
# late from the stream (its max record age), or later from ``replay-clicks``, which is
# exact for unique visitors within this many days after the click's day.
MARKER_DAYS = 30
FENCE_PREFIX = "f_"
BUILT = "built"  # a kept span's attribute: the job's count of late clicks it has seen
BATCH_GET_LIMIT = 100  # keys per BatchGetItem
BATCH_GET_RETRIES = 6  # for keys a throttled BatchGetItem leaves unprocessed (~3 s in all)


def counter_key(key: CounterKey) -> tuple[str, str]:
    kind = key[0]
    if kind == "job":
        _, job_id, day = key
        return job_stats_key(job_id), day_key(day)
    if kind == "firsts":
        _, job_id = key
        return job_stats_key(job_id), FIRSTS
    if kind == "changes":
        _, job_id = key
        return job_stats_key(job_id), CHANGES
    if kind == "workspace":
        _, workspace_id, dimension, value, day = key
        if dimension == "channel":
            return workspace_stats_key(workspace_id), channel_day_key(value, day)
    raise ValueError(f"unknown counter {key!r}")


def marker_key(marker: MarkerKey) -> tuple[str, str]:
    if marker[0] == "job":
        _, job_id, day, visitor = marker
        return visitor_markers_key(job_id, day), visitor
    _, job_id, day, channel, visitor = marker
    return visitor_markers_key(job_id, day), channel_visitor_key(channel, visitor)


def apply_batch(plan: BatchPlan, shard: str, *, now: datetime) -> int:
    """Write a batch of one shard's records: one update per counter, after one conditional
    put per visitor new to the batch. Answers the number of writes."""
    if not shard:
        raise ValueError("a batch's counters are fenced per shard: the shard is missing")
    writes = 0
    for marker, (sequence, _) in list(plan.markers.items()):
        writes += 1
        if claim_visitor(marker, f"{shard}/{sequence}", now=now):
            plan.credit_new_visitor(marker)
    fence = _fence(shard)
    for key, contributions in plan.in_write_order():
        writes += _update(key, contributions, fence, plan.tails if key[0] == "job" else None)
    return writes


def claim_visitor(marker: MarkerKey, token: str, *, now: datetime) -> bool:
    """True if this click is the first to see the visitor (or the same click, again)."""
    pk, sk = marker_key(marker)
    day_ends = datetime.combine(date.fromisoformat(marker[2]), time.max, tzinfo=UTC)
    item = VisitorMarker(
        pk, sk, token=token, expires_at=max(now, day_ends) + timedelta(days=MARKER_DAYS)
    )
    try:
        item.save(condition=VisitorMarker.pk.does_not_exist() | (VisitorMarker.token == token))
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def _fence(shard: str) -> UnicodeAttribute:
    return UnicodeAttribute(attr_name=f"{FENCE_PREFIX}{shard.removeprefix('shardId-')}")


def _update(
    key: CounterKey,
    contributions: list[Contribution],
    fence: UnicodeAttribute,
    tails: Tails | None = None,
) -> int:
    """One counter's update; a day item's answer tells ``tails`` what it holds now."""
    pk, sk = counter_key(key)
    if key[0] in UNFENCED:
        _write(pk, sk, contributions, None, None)
        return 1
    first = min(c.sequence for c in contributions)
    try:
        held = _write(pk, sk, contributions, fence, fence.does_not_exist() | (fence < first))
        if tails is not None:
            tails.learn(key, held)
        return 1
    except UpdateError as error:
        if not condition_failed(error):
            raise
    # This shard's batch ran before and got this far with this counter: add only what is
    # past it.
    item = CounterItem._get_connection().get_item(pk, sk, consistent_read=True)["Item"]
    reached = item[fence.attr_name]["S"]
    remaining = [c for c in contributions if c.sequence > reached]
    held = list(item)
    if remaining:
        held = _write(pk, sk, remaining, fence, fence == reached)
    if tails is not None:
        tails.learn(key, held)
    return 2 if remaining else 1


def _write(
    pk: str,
    sk: str,
    contributions: list[Contribution],
    fence: UnicodeAttribute | None,
    condition: Any,
) -> list[str]:
    """Add ``contributions`` to the counter; answers the names of its attributes now."""
    totals, first_seen = added_up(contributions)
    actions: list[Action] = [
        NumberAttribute(attr_name=name).add(amount) for name, amount in totals.items()
    ]
    if fence is not None:
        actions.append(fence.set(max(c.sequence for c in contributions)))
    for name, moment in first_seen.items():
        seen = UnicodeAttribute(attr_name=name)
        actions.append(seen.set(seen | moment))
    # The item as it is now, to learn which values it holds: DynamoDB charges nothing for
    # returned values (the write's units are the same).
    answer = CounterItem._get_connection().update_item(
        pk, sk, actions=actions, condition=condition, return_values=ALL_NEW
    )
    return list(answer.get("Attributes", {}))


def counts_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """A counter item's counts as plain values: every attribute but its key and fences (a
    counter's attributes are named at run time, ``<dimension>|<value>|<metric>``, which a
    model cannot declare, so counter items are read raw)."""
    return {
        name: (int(value["N"]) if "N" in value else value.get("S"))
        for name, value in item.items()
        if name not in ("pk", "sk") and not name.startswith(FENCE_PREFIX)
    }


Row = tuple[str, dict[str, Any]]


def _rows(pk: str, condition: Any) -> Iterator[Row]:
    table = CounterItem._get_connection()
    last_key = None
    while True:
        page = table.query(pk, range_key_condition=condition, exclusive_start_key=last_key)
        for item in page.get("Items", []):
            yield item["sk"]["S"], counts_of(item)
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            return


def job_counters(job_id: str, first: date, last: date, *, today: date) -> list[Row]:
    """A job's counters for ``first`` .. ``last``: the spans and recent days that make up
    the range (``domain.spans.reading``), the previews' first sight and the job's count of
    late clicks, in one BatchGetItem. A span not kept yet, or kept before the count of
    late clicks last moved, is added up from its days and kept (one Query and one PutItem,
    the first time)."""
    pk = job_stats_key(job_id)
    parts = reading(first, last, today=today)
    found = _batch_get(pk, [_span_key(span) for span in parts] + [FIRSTS, CHANGES])
    late = int(found.get(CHANGES, {}).get(LATE_CLICKS) or 0)
    rows: list[Row] = []
    for span in parts:
        counts = found.get(_span_key(span))
        if span.level and (counts is None or counts.get(BUILT) != late):
            counts = _add_up(pk, span, late)
        elif not span.level and counts is not None:
            counts = add_up([(span.first, counts)])  # a day read as a span of one day
        if counts is not None:
            rows.append((_span_key(span), counts))
    if FIRSTS in found:
        rows.append((FIRSTS, found[FIRSTS]))
    return rows


def job_days(job_id: str, first: date, last: date) -> Iterator[Row]:
    """A job's day items from ``first`` to ``last``, oldest first, as (day, counts): the
    items every span of the stats is added up from, one Query (paged) for the range."""
    condition = CounterItem.sk.between(day_key(first.isoformat()), day_key(last.isoformat()) + "~")
    for sort_key, counts in _rows(job_stats_key(job_id), condition):
        yield sort_key.removeprefix(DAY_PREFIX), counts


def _span_key(span: Span) -> str:
    return span_key(span.level, span.first.isoformat())


def _add_up(pk: str, span: Span, late: int) -> dict[str, Any]:
    """Add a span up from its days and keep it with ``late``, the job's count of late
    clicks read before its days were. Two requests may do so at once: both read the days
    after that count, so either span is whole for it."""
    days = _rows(
        pk,
        CounterItem.sk.between(
            day_key(span.first.isoformat()), day_key(span.last.isoformat()) + "~"
        ),
    )
    counts: dict[str, Any] = {
        **add_up((date.fromisoformat(key.removeprefix(DAY_PREFIX)), items) for key, items in days),
        BUILT: late,
    }
    item = {name: {"N": str(amount)} for name, amount in counts.items()}
    CounterItem._get_connection().put_item(pk, _span_key(span), attributes=item)
    return counts


def _batch_get(pk: str, sort_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Items of one partition by sort key, in one BatchGetItem (more only if DynamoDB
    leaves keys unprocessed). PynamoDB's Model.batch_get would deserialise into a model,
    which cannot hold attributes named at run time; the connection's call is the same
    request, raw."""
    table = CounterItem._get_connection()
    name = CounterItem.Meta.table_name
    keys: list[dict[str, Any]] = [{"pk": pk, "sk": sort_key} for sort_key in sort_keys]
    found: dict[str, dict[str, Any]] = {}
    retries = 0
    while keys:
        asked, keys = keys[:BATCH_GET_LIMIT], keys[BATCH_GET_LIMIT:]
        # Keys are {"pk": .., "sk": ..} maps, as Model.batch_get passes them (PynamoDB's
        # hint says strings).
        answer = table.batch_get_item(asked)  # type: ignore[arg-type]
        for item in answer["Responses"].get(name, []):
            found[item["sk"]["S"]] = counts_of(item)
        unprocessed = answer.get("UnprocessedKeys", {}).get(name)
        if unprocessed:
            # DynamoDB answers what it could under throttling: ask again for the rest,
            # after a pause (botocore retries errors, not unprocessed keys).
            retries += 1
            if retries > BATCH_GET_RETRIES:
                raise RuntimeError(f"DynamoDB left {len(unprocessed['Keys'])} counters unread")
            keys += unprocessed["Keys"]
            sleep(min(0.05 * 2**retries, 1.0))
    return found


def workspace_channels(workspace_id: str) -> Iterator[Row]:
    yield from _rows(workspace_stats_key(workspace_id), CounterItem.sk.startswith(CHANNEL_PREFIX))
