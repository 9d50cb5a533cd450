"""Counters in the main table, and how the aggregator applies a batch to them exactly once.

Keys (next to those in ``models``):

==========================  ===========================================  =====================
pk                          sk                                           item
==========================  ===========================================  =====================
``STAT#<job>``              ``D#<day>``                                  a job's day: every
                                                                         dimension, as
                                                                         ``<dim>|<value>|<n>``
``WSSTAT#<workspace>``      ``channel#<channel>``                        jobs and shares
``WSSTAT#<workspace>``      ``channel#<channel>#<day>``                  a channel's day
``VIS#<job>#<day>``         ``<visitor>`` or ``<channel>#<visitor>``     a visitor marker
==========================  ===========================================  =====================

Every counter item is a day's, so the fences on it (below) are only that day's batches.

Exactly once: a stream batch is retried from its first record (after a fault) or from its
first failed record (after a partial failure), so every counter update also records, under
a fence named after that record's event id, the last sequence number it included. When a
batch comes again, each counter skips what its fence shows it already has. Visitor markers
carry the batch's token, so a retried batch still knows the visitors it found new.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from jobtrail.domain.counters import BatchPlan, Contribution, CounterKey, MarkerKey
from jobtrail.store.connection import condition_failed
from jobtrail.store.models import CounterItem, VisitorMarker

# A marker must outlive its day by as long as a click of that day can still arrive: a day
# late from the stream (its max record age), or later from ``replay-clicks``, which is
# exact for unique visitors within this many days after the click's day.
MARKER_DAYS = 30


def counter_key(key: CounterKey) -> tuple[str, str]:
    kind = key[0]
    if kind == "job":
        _, job_id, day = key
        return f"STAT#{job_id}", f"D#{day}"
    if kind == "workspace":
        _, workspace_id, dimension, value, day = key
        return f"WSSTAT#{workspace_id}", f"{dimension}#{value}#{day}"
    raise ValueError(f"unknown counter {key!r}")


def marker_key(marker: MarkerKey) -> tuple[str, str]:
    if marker[0] == "job":
        _, job_id, day, visitor = marker
        return f"VIS#{job_id}#{day}", visitor
    _, job_id, day, channel, visitor = marker
    return f"VIS#{job_id}#{day}", f"{channel}#{visitor}"


def apply_batch(plan: BatchPlan, tokens: Sequence[str], *, now: datetime) -> int:
    """Write a batch's counters: one update per counter, after one conditional put per
    visitor new to the batch. ``tokens[0]`` names the batch (its first record); the others
    name records a retry would start from. Answers the number of writes."""
    writes = 0
    for marker in list(plan.markers):
        writes += 1
        if _claim(marker, tokens[0], now=now):
            plan.credit_new_visitor(marker)
    for key, contributions in plan.counters.items():
        writes += _update(key, contributions, tokens)
    return writes


def _claim(marker: MarkerKey, token: str, *, now: datetime) -> bool:
    """True if this batch is the first to see the visitor (or the same batch, again)."""
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


def _fence(token: str) -> UnicodeAttribute:
    return UnicodeAttribute(attr_name=f"f_{token}")


def _update(key: CounterKey, contributions: list[Contribution], tokens: Sequence[str]) -> int:
    pk, sk = counter_key(key)
    fence = _fence(tokens[0])
    first = min(c.sequence for c in contributions)
    try:
        _write(pk, sk, contributions, tokens, fence.does_not_exist() | (fence < first))
        return 1
    except UpdateError as error:
        if not condition_failed(error):
            raise
    # This batch ran before and got this far with this counter: add only what is past it.
    item = CounterItem._get_connection().get_item(pk, sk, consistent_read=True)["Item"]
    reached = item[fence.attr_name]["S"]
    remaining = [c for c in contributions if c.sequence > reached]
    if remaining:
        _write(pk, sk, remaining, tokens, fence == reached)
    return 2 if remaining else 1


def _write(
    pk: str,
    sk: str,
    contributions: list[Contribution],
    tokens: Sequence[str],
    condition: Any,
) -> None:
    totals: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    for contribution in contributions:
        for name, amount in contribution.increments.items():
            totals[name] = totals.get(name, 0) + amount
        for name, moment in contribution.first_seen.items():
            first_seen[name] = min(moment, first_seen.get(name, moment))
    last = max(c.sequence for c in contributions)
    actions: list[Action] = [
        NumberAttribute(attr_name=name).add(amount) for name, amount in totals.items()
    ]
    actions += [_fence(token).set(last) for token in dict.fromkeys(tokens)]
    for name, moment in first_seen.items():
        seen = UnicodeAttribute(attr_name=name)
        actions.append(seen.set(seen | moment))
    CounterItem._get_connection().update_item(pk, sk, actions=actions, condition=condition)


def _rows(pk: str, condition: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Counter items with every attribute: a job's day item has attributes named at run
    time (``<dimension>|<value>|<metric>``), which a model cannot declare, so the items are
    read raw. Fences (``f_*``) are left out."""
    table = CounterItem._get_connection()
    last_key = None
    while True:
        page = table.query(pk, range_key_condition=condition, exclusive_start_key=last_key)
        for item in page.get("Items", []):
            yield (
                item["sk"]["S"],
                {
                    name: (int(value["N"]) if "N" in value else value.get("S"))
                    for name, value in item.items()
                    if name not in ("pk", "sk") and not name.startswith("f_")
                },
            )
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            return


def job_day_counters(
    job_id: str, first_day: str, last_day: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A job's days from ``first_day`` to ``last_day``: one query of at most one item a
    day, whose size is set by the dimensions' values, not by the clicks."""
    yield from _rows(f"STAT#{job_id}", CounterItem.sk.between(f"D#{first_day}", f"D#{last_day}~"))


def workspace_channels(workspace_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from _rows(f"WSSTAT#{workspace_id}", CounterItem.sk.startswith("channel#"))
