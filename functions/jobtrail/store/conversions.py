"""Conversions (applications, hires): the item and its counts in one transaction.

Exactly once without a fence: the transaction puts the conversion item on the condition
that it does not exist, so a retry (or a concurrent twin) fails as a whole and counts
nothing; the caller then reads the stored item and answers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from jobtrail.domain.counters import LATE_CLICKS, NONE, metric
from jobtrail.store.clicks import FAULTS
from jobtrail.store.connection import connection, failed_conditions
from jobtrail.store.counters import counter_key
from jobtrail.store.key_shapes import conversion_sort_key, workspace_key
from jobtrail.store.models import ClickItem, ConversionItem, CounterItem

# The metric of each kind in the counters.
METRICS = {"application": "applications", "hire": "hires"}


@dataclass(frozen=True)
class ClickOrigin:
    job_id: str
    slug: str | None
    channel: str
    sharer: str | None


def find_click(click_id: str, workspace_id: str) -> ClickOrigin | None:
    """The click's job, link, channel and sharer; None if missing or another workspace's."""
    try:
        # Any: ClickItem's fields are made from the Click's by its metaclass (``models``).
        item: Any = ClickItem.get(click_id, consistent_read=True)
    except ClickItem.DoesNotExist:
        return None
    if item.workspace_id != workspace_id:
        return None
    return ClickOrigin(item.job_id, item.slug, item.channel, item.sharer)


def _view(item: ConversionItem) -> dict[str, Any]:
    return {
        "id": item.conversion_id,
        "click_id": item.click_id,
        "kind": item.kind,
        "external_id": item.external_id,
        "at": item.at,
        "job_id": item.job_id,
        "slug": item.slug,
        "channel": item.channel,
        "sharer": item.sharer,
        "person_id": item.person_id,
    }


def record_conversion(
    workspace_id: str, source: str, conversion: dict[str, Any], *, day: str, late: bool
) -> tuple[dict[str, Any], bool]:
    """Write the conversion and its counts unless (source, kind, external id) is stored:
    answers the stored conversion and whether this call wrote it."""
    kind = conversion["kind"]
    pk, sk = (
        workspace_key(workspace_id),
        conversion_sort_key(source, kind, conversion["external_id"] or ""),
    )
    item = ConversionItem(
        pk,
        sk,
        conversion_id=conversion["id"],
        click_id=conversion["click_id"],
        kind=kind,
        external_id=conversion["external_id"],
        at=conversion["at"],
        job_id=conversion["job_id"],
        slug=conversion["slug"],
        channel=conversion["channel"],
        sharer=conversion["sharer"],
        person_id=conversion["person_id"],
    )
    name = METRICS[kind]
    names = [metric("all", day, name), metric("channel", conversion["channel"], name)]
    if conversion["slug"]:
        names.append(metric("link", conversion["slug"], name))
        names.append(metric("sharer", conversion["sharer"] or NONE, name))
    job_pk, job_sk = counter_key(("job", conversion["job_id"], day))
    ws_pk, ws_sk = counter_key(("workspace", workspace_id, "channel", conversion["channel"], day))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(item, condition=ConversionItem.pk.does_not_exist())
            tx.update(
                CounterItem(job_pk, job_sk),
                actions=[NumberAttribute(attr_name=n).add(1) for n in names],
            )
            tx.update(CounterItem(ws_pk, ws_sk), actions=[NumberAttribute(attr_name=name).add(1)])
            if late:
                # Kept spans that hold the day are behind now: they are added up again.
                changes_pk, changes_sk = counter_key(("changes", conversion["job_id"]))
                tx.update(
                    CounterItem(changes_pk, changes_sk),
                    actions=[NumberAttribute(attr_name=LATE_CLICKS).add(1)],
                )
    except TransactWriteError as error:
        if 0 not in failed_conditions(error):
            raise
        stored = ConversionItem.get(pk, sk, consistent_read=True)
        return _view(stored), False
    return _view(item), True


__all__ = ["FAULTS", "ClickOrigin", "find_click", "record_conversion"]
