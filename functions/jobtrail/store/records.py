"""People's records per field, and each field's top lists, for who-to-ask
(``domain.asking``). A record is counted in the same transaction as one of the person's
shares is linked to them (``store.people.link_share``, conditional: once per share); the
top lists are rewritten after, on the condition that they are still as read, so
concurrent updates never lose an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from jobtrail.domain.asking import Record, kept_followers, kept_records
from jobtrail.domain.people import Person
from jobtrail.domain.shares import Share, share_key
from jobtrail.store.connection import condition_failed
from jobtrail.store.key_shapes import (
    RECORDS_FOLLOWED,
    RECORDS_TOP,
    person_record_key,
    person_shares_key,
    records_key,
    shares_key,
)
from jobtrail.store.models import PersonShare, RecordItem, ShareItem, TopList

_ATTEMPTS = 8


def _record(values: Any) -> Record:
    jobs, shares, spread = [*list(values), 0, 0, 0][:3]
    return Record(int(jobs or 0), int(shares or 0), int(spread or 0))


def _rewrite(
    workspace_id: str,
    field: str,
    sort_key: str,
    change: Callable[[dict[str, Any]], dict[str, Any] | None],
) -> None:
    """Read a top list, change it, write it back if still at the version read."""
    pk = records_key(workspace_id, field)
    for _ in range(_ATTEMPTS):
        try:
            item = TopList.get(pk, sort_key, consistent_read=True)
            entries, version = dict(item.entries or {}), int(item.version or 0)
        except TopList.DoesNotExist:
            entries, version = {}, 0
        changed = change(entries)
        if changed is None:
            return
        at = TopList.version == version if version else TopList.version.does_not_exist()
        try:
            TopList(pk, sort_key, entries=changed, version=version + 1).save(condition=at)
        except PutError as error:
            if condition_failed(error):
                continue  # another update came first: read it again
            raise
        return


# What linking one share adds: (person, field, {counter: amount}).
Counts = list[tuple[str, str, dict[str, int]]]


def share_counts(share: Share, person_id: str, tags: Iterable[str]) -> Counts:
    """What linking a share to ``person_id`` adds to records, read before it is linked:
    one more post in each of the job's fields, one more job where it is their first share
    of it, and one more repost or quote for the person whose post it reposted or quoted."""
    fields = list(dict.fromkeys(tags))
    if not fields:
        return []
    made = PersonShare.query(
        person_shares_key(person_id),
        PersonShare.sk.startswith(f"{share.job_id}#"),
        consistent_read=True,
        limit=1,
    )
    first_of_job = not list(made)
    counts: Counts = [(person_id, f, {"shares": 1, "jobs": int(first_of_job)}) for f in fields]
    if share.kind in ("repost", "quote") and share.parent_post_id is not None:
        parent_key = share_key(share.platform, "post", share.parent_post_id, None, "")
        try:
            parent = ShareItem.get(shares_key(share.job_id), parent_key, consistent_read=True)
        except ShareItem.DoesNotExist:
            return counts
        if parent.person_id and parent.person_id != person_id:
            counts += [(str(parent.person_id), f, {"spread": 1}) for f in fields]
    return counts


def record_updates(workspace_id: str, counts: Counts) -> list[tuple[RecordItem, list[Action]]]:
    """The counts as updates of the record items, for the transaction that links the share
    (so that a share is counted exactly when it is linked: once)."""
    return [
        (
            RecordItem(records_key(workspace_id, field), person_record_key(person_id)),
            [getattr(RecordItem, name).add(n) for name, n in added.items() if n],
        )
        for person_id, field, added in counts
    ]


def refresh_tops(workspace_id: str, counts: Counts) -> None:
    """Bring the fields' top lists up to the records just counted."""
    for person_id, field, _ in counts:
        try:
            item = RecordItem.get(
                records_key(workspace_id, field), person_record_key(person_id), consistent_read=True
            )
        except RecordItem.DoesNotExist:
            continue
        record = Record(int(item.jobs or 0), int(item.shares or 0), int(item.spread or 0))

        def change(
            entries: dict[str, Any], person_id: str = person_id, record: Record = record
        ) -> dict[str, Any] | None:
            top = {pid: _record(v) for pid, v in entries.items()}
            kept = kept_records(top, person_id, record)
            if kept is None:
                return None
            return {pid: [r.jobs, r.shares, r.spread] for pid, r in kept.items()}

        _rewrite(workspace_id, field, RECORDS_TOP, change)


def note_followers(person: Person, followers: int | None) -> None:
    """Keep the person in their fields' lists by followers (their largest known count)."""
    for field in person.fields:

        def change(entries: dict[str, Any]) -> dict[str, Any] | None:
            top = {pid: int(n) for pid, n in entries.items()}
            return kept_followers(top, person.id, followers)

        _rewrite(person.workspace_id, field, RECORDS_FOLLOWED, change)


def forget_person(person: Person, fields: Iterable[str]) -> None:
    """Take a deleted person out of the fields' lists and records."""
    for field in dict.fromkeys(fields):
        RecordItem(records_key(person.workspace_id, field), person_record_key(person.id)).delete()
        for sort_key in (RECORDS_TOP, RECORDS_FOLLOWED):

            def change(entries: dict[str, Any]) -> dict[str, Any] | None:
                if person.id not in entries:
                    return None
                return {pid: v for pid, v in entries.items() if pid != person.id}

            _rewrite(person.workspace_id, field, sort_key, change)


def top_lists(
    workspace_id: str, fields: Iterable[str]
) -> tuple[dict[str, dict[str, Record]], dict[str, dict[str, int]]]:
    """Each field's best records and people by followers: one BatchGetItem of two items
    per field, however many people or jobs there are."""
    wanted = list(dict.fromkeys(fields))
    keys = [
        (records_key(workspace_id, f), sk) for f in wanted for sk in (RECORDS_TOP, RECORDS_FOLLOWED)
    ]
    records: dict[str, dict[str, Record]] = {}
    followers: dict[str, dict[str, int]] = {}
    by_pk = {records_key(workspace_id, f): f for f in wanted}
    for item in TopList.batch_get(keys, consistent_read=True) if keys else ():
        field = by_pk[item.pk]
        entries: Mapping[str, Any] = item.entries or {}
        if item.sk == RECORDS_TOP:
            records[field] = {pid: _record(v) for pid, v in entries.items()}
        else:
            followers[field] = {pid: int(n) for pid, n in entries.items()}
    return records, followers
