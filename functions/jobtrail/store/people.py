"""People and the claims on their handles in the main table (keys in ``key_shapes``).

A person's item and the claims on their handles are written in one transaction, each claim
on the condition that nobody holds it, so a handle belongs to one person however many
requests race for it; an edit moves the claims in the same transaction as the person.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from jobtrail.domain.people import (
    HandleTaken,
    PeoplePage,
    Person,
    PersonChanged,
    person_not_found,
    query_text,
    search_text,
)
from jobtrail.domain.sharers import sharer_key
from jobtrail.domain.shares import Share
from jobtrail.store import cursors
from jobtrail.store.connection import condition_failed, connection, failed_conditions
from jobtrail.store.key_shapes import (
    PERSON_PREFIX,
    handle_claim_key,
    job_sort_key,
    person_shares_key,
    person_sort_key,
    share_pointer_key,
    shares_key,
    workspace_key,
)
from jobtrail.store.models import HandleClaim, JobItem, PersonItem, PersonShare, ShareItem
from jobtrail.store.records import Counts, forget_person, note_followers, record_updates


def _item(person: Person) -> PersonItem:
    return PersonItem(
        workspace_key(person.workspace_id),
        person_sort_key(person.id),
        workspace_id=person.workspace_id,
        person_id=person.id,
        name=person.name,
        handles=dict(person.handles),
        fields=list(person.fields),
        email=person.email,
        do_not_ask=person.do_not_ask,
        discovered=person.discovered,
        created_at=person.created_at,
        updated_at=person.updated_at,
        revision=person.revision,
        search=search_text(person),
    )


def _person(item: PersonItem) -> Person:
    handles = item.handles if isinstance(item.handles, dict) else {}
    return Person(
        id=item.person_id,
        workspace_id=item.workspace_id,
        name=item.name,
        handles={str(k): str(v) for k, v in (handles or {}).items()},
        fields=tuple(item.fields or ()),
        email=item.email,
        do_not_ask=bool(item.do_not_ask),
        discovered=bool(item.discovered),
        created_at=item.created_at,
        updated_at=item.updated_at,
        revision=int(item.revision or 0),
    )


def _claim(person: Person, platform: str, key: str) -> HandleClaim:
    return HandleClaim(
        workspace_key(person.workspace_id), handle_claim_key(platform, key), person_id=person.id
    )


def _taken(person: Person, platform: str) -> HandleTaken:
    return HandleTaken(platform, person.handles.get(platform, ""))


class DynamoPeopleStore:
    """``jobtrail.domain.people.PeopleStore`` on DynamoDB."""

    def insert_person(self, person: Person) -> None:
        claims = sorted(person.claims)
        try:
            with TransactWrite(connection=connection()) as tx:
                # Puts go in the order they were added: the person, then each claim.
                tx.save(_item(person), condition=PersonItem.pk.does_not_exist())
                for platform, key in claims:
                    tx.save(
                        _claim(person, platform, key), condition=HandleClaim.pk.does_not_exist()
                    )
        except TransactWriteError as error:
            for index in sorted(failed_conditions(error)):
                if index >= 1:
                    raise _taken(person, claims[index - 1][0]) from error
            raise
        note_followers(person, None)  # who-to-ask: in their fields from now on

    def update_person(self, person: Person, *, read: Person) -> None:
        gone = sorted(read.claims - person.claims)
        added = sorted(person.claims - read.claims)
        at: Condition = PersonItem.revision == read.revision
        if read.revision == 0:
            at = at | PersonItem.revision.does_not_exist()
        unchanged: Condition = PersonItem.pk.exists() & at
        try:
            with TransactWrite(connection=connection()) as tx:
                # Sent as: the deletes (claims let go), then the puts (the person, the
                # claims taken).
                for platform, key in gone:
                    tx.delete(
                        _claim(read, platform, key), condition=HandleClaim.person_id == read.id
                    )
                tx.save(_item(person), condition=unchanged)
                for platform, key in added:
                    tx.save(
                        _claim(person, platform, key), condition=HandleClaim.pk.does_not_exist()
                    )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if any(index <= len(gone) for index in failed):
                if self.get_person(person.workspace_id, person.id) is None:
                    raise person_not_found(person.id) from error
                raise PersonChanged() from error
            for index in sorted(failed):
                raise _taken(person, added[index - len(gone) - 1][0]) from error
            raise
        if set(person.fields) - set(read.fields):
            note_followers(person, None)

    def delete_person(self, person: Person) -> None:
        """The shares they made lose their author first, then the person and their claims
        go, then any share linked to them meanwhile loses its author too."""
        jobs = _forget_shares(person.id)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.delete(_item(person), condition=PersonItem.pk.exists())
                for platform, key in sorted(person.claims):
                    tx.delete(
                        _claim(person, platform, key),
                        condition=HandleClaim.person_id == person.id,
                    )
        except TransactWriteError as error:
            if failed_conditions(error):
                raise person_not_found(person.id) from error  # deleted at the same time
            raise
        jobs |= _forget_shares(person.id)
        forget_person(person, {*person.fields, *_tags(person.workspace_id, jobs)})

    def get_person(self, workspace_id: str, person_id: str) -> Person | None:
        try:
            item = PersonItem.get(
                workspace_key(workspace_id), person_sort_key(person_id), consistent_read=True
            )
        except PersonItem.DoesNotExist:
            return None
        return _person(item)

    def get_people(self, workspace_id: str, person_ids: Sequence[str]) -> dict[str, Person]:
        keys = [
            (workspace_key(workspace_id), person_sort_key(i)) for i in dict.fromkeys(person_ids)
        ]
        if not keys:
            return {}
        found = PersonItem.batch_get(keys, consistent_read=True)
        return {item.person_id: _person(item) for item in found}

    def holder(self, workspace_id: str, platform: str, handle: str) -> str | None:
        try:
            claim = HandleClaim.get(
                workspace_key(workspace_id),
                handle_claim_key(platform, sharer_key(handle)),
                consistent_read=True,
            )
        except HandleClaim.DoesNotExist:
            return None
        return str(claim.person_id)

    def list_people(
        self,
        workspace_id: str,
        *,
        limit: int,
        cursor: str | None,
        field: str | None = None,
        query: str | None = None,
    ) -> PeoplePage:
        """Newest first, those in ``field`` and whose name or a handle holds ``query``.
        Reads one item past the page to know whether another page exists."""
        wanted: Condition | None = None
        if field is not None:
            wanted = PersonItem.fields.contains(field)
        text = query_text(query or "")
        if text:
            holds = PersonItem.search.contains(text)
            wanted = holds if wanted is None else wanted & holds
        page, next_cursor = cursors.newest_first(
            PersonItem,
            workspace_key(workspace_id),
            PERSON_PREFIX,
            limit=limit,
            cursor=cursor,
            wanted=wanted,
        )
        return PeoplePage(items=[_person(item) for item in page], next_cursor=next_cursor)


def link_share(share: Share, person_id: str, counts: Counts | None = None) -> bool:
    """Credit a share to the person its author is, once, with what it adds to records
    (``store.records.share_counts``) in the same transaction: True when it was linked now."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                ShareItem(shares_key(share.job_id), share.key),
                actions=[ShareItem.person_id.set(person_id)],
                condition=ShareItem.pk.exists()
                & ShareItem.person_id.does_not_exist()
                & ShareItem.anonymous.does_not_exist(),
            )
            tx.save(
                PersonShare(
                    person_shares_key(person_id),
                    share_pointer_key(share.job_id, share.key),
                    job_id=share.job_id,
                    share_key=share.key,
                )
            )
            for item, actions in record_updates(share.workspace_id, counts or []):
                tx.update(item, actions=actions)
    except TransactWriteError as error:
        if failed_conditions(error):
            return False  # linked already (or its author was deleted)
        raise
    return True


def _tags(workspace_id: str, job_ids: set[str]) -> set[str]:
    """The tags of these jobs: the fields a person's record may be counted in."""
    keys = [(workspace_key(workspace_id), job_sort_key(j)) for j in sorted(job_ids)]
    return {tag for job in JobItem.batch_get(keys) for tag in job.tags or ()} if keys else set()


def _forget_shares(person_id: str) -> set[str]:
    """Every share the person made loses its author's handle, name and URL (the URL names
    the handle), and stays counted; answers the jobs they shared."""
    jobs: set[str] = set()
    for pointer in PersonShare.query(person_shares_key(person_id), consistent_read=True):
        jobs.add(pointer.job_id)
        try:
            ShareItem(shares_key(pointer.job_id), pointer.share_key).update(
                actions=[
                    ShareItem.handle.remove(),
                    ShareItem.name.remove(),
                    ShareItem.url.remove(),
                    ShareItem.anonymous.set(True),
                ],
                condition=ShareItem.pk.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
        pointer.delete()
    return jobs
