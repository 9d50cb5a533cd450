"""API keys in the main table (see ``models`` for the keys): each key is stored twice, under
its hash (the authorizer's one read) and under its workspace by id (listing, delete), and
the workspace counts its listed keys in ``key_count``. Every write that adds or removes a
listed key changes the count in the same transaction, and a delete is conditional on the
count being above one: two deletes of a workspace's last two keys cannot both succeed.

Keys made before keys were listed have only the first copy (no ``key_id``, no ``prefix``)
and their workspace no ``key_count``. They keep working (the authorizer reads only the
first copy) and are brought in by an idempotent backfill, ``adopt_key``: for one key whose
text is known (the local stack's at start, and the caller's own key when it lists the
keys) with its prefix, and for all of them with ``backfill_keys``
(``python -m jobtrail.admin backfill-keys``), which sees only hashes, so those are listed
with no prefix until they list the keys once. Until a workspace's old keys are adopted its
count is lower than the keys that work, which only makes the last-key rule stricter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from jobtrail.domain.api_keys import (
    FIRST_KEY_NAME,
    ApiKey,
    KeyPage,
    LastKey,
    hash_api_key,
    key_not_found,
    key_prefix,
    workspace_not_found,
)
from jobtrail.domain.ids import new_id
from jobtrail.store import cursors
from jobtrail.store.connection import connection, failed_conditions
from jobtrail.store.key_shapes import (
    API_KEY_SORT_KEY,
    LISTED_KEY_PREFIX,
    WORKSPACE_SORT_KEY,
    api_key_key,
    listed_key_sort_key,
    workspace_key,
)
from jobtrail.store.models import ApiKeyItem, WorkspaceItem


def _workspace(workspace_id: str) -> WorkspaceItem:
    return WorkspaceItem(workspace_key(workspace_id), WORKSPACE_SORT_KEY)


def key_items(key: ApiKey, key_hash: str) -> tuple[ApiKeyItem, ApiKeyItem]:
    """The key under its hash (for the authorizer) and under its workspace (for listing)."""

    def item(pk: str, sk: str, *, listed: bool) -> ApiKeyItem:
        return ApiKeyItem(
            pk,
            sk,
            workspace_id=key.workspace_id,
            name=key.name,
            created_at=key.created_at,
            key_id=key.id,
            prefix=key.prefix,
            key_hash=key_hash if listed else None,
        )

    return (
        item(api_key_key(key_hash), API_KEY_SORT_KEY, listed=False),
        item(workspace_key(key.workspace_id), listed_key_sort_key(key.id), listed=True),
    )


def _key(item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        id=str(item.key_id),
        workspace_id=item.workspace_id,
        name=item.name,
        prefix=item.prefix,
        created_at=item.created_at,
    )


class DynamoKeyStore:
    """``jobtrail.domain.api_keys.KeyStore`` on DynamoDB."""

    def insert_key(self, key: ApiKey, key_hash: str) -> None:
        by_hash, listed = key_items(key, key_hash)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    _workspace(key.workspace_id),
                    actions=[WorkspaceItem.key_count.add(1)],
                    condition=WorkspaceItem.pk.exists(),
                )
                tx.save(by_hash, condition=ApiKeyItem.pk.does_not_exist())
                tx.save(listed, condition=ApiKeyItem.pk.does_not_exist())
        except TransactWriteError as error:
            if 0 in failed_conditions(error):
                raise workspace_not_found(key.workspace_id) from error
            raise

    def list_keys(self, workspace_id: str, *, limit: int, cursor: str | None) -> KeyPage:
        """Newest first (ids sort by the time they were made). Reads one item past the
        page to know whether another page exists."""
        page, next_cursor = cursors.newest_first(
            ApiKeyItem,
            workspace_key(workspace_id),
            LISTED_KEY_PREFIX,
            limit=limit,
            cursor=cursor,
            consistent_read=True,
        )
        return KeyPage(items=[_key(item) for item in page], next_cursor=next_cursor)

    def delete_key(self, workspace_id: str, key_id: str) -> None:
        pk, sk = workspace_key(workspace_id), listed_key_sort_key(key_id)
        try:
            listed = ApiKeyItem.get(pk, sk, consistent_read=True)
        except ApiKeyItem.DoesNotExist:
            raise key_not_found(key_id) from None
        try:
            with TransactWrite(connection=connection()) as tx:
                # Another request may have deleted it since it was read: then it is gone.
                tx.delete(listed, condition=ApiKeyItem.pk.exists())
                tx.delete(ApiKeyItem(api_key_key(str(listed.key_hash)), API_KEY_SORT_KEY))
                tx.update(
                    _workspace(workspace_id),
                    actions=[WorkspaceItem.key_count.add(-1)],
                    condition=WorkspaceItem.key_count > 1,
                )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 0 in failed:
                raise key_not_found(key_id) from error
            if 2 in failed:
                raise LastKey() from error
            raise

    def adopt_key(self, api_key: str) -> None:
        adopt_key(api_key)


@dataclass(frozen=True)
class Adopted:
    """What ``backfill_keys`` did: keys given an id and listed, keys already listed, and
    keys whose workspace no longer exists (left as they are)."""

    adopted: int
    already_listed: int
    orphaned: int

    def as_dict(self) -> dict[str, int]:
        return {
            "adopted": self.adopted,
            "already_listed": self.already_listed,
            "orphaned": self.orphaned,
        }


def _adopt(item: ApiKeyItem, prefix: str | None) -> bool | None:
    """List a key made before keys were listed, counting it on its workspace, all in one
    transaction that applies once however often or concurrently it is tried. True: adopted
    now; False: it already was (or is gone); None: its workspace is gone."""
    key = ApiKey(
        id=new_id(at=datetime.fromisoformat(item.created_at.replace("Z", "+00:00"))),
        workspace_id=item.workspace_id,
        name=item.name or FIRST_KEY_NAME,
        prefix=prefix,
        created_at=item.created_at,
    )
    key_hash = item.pk.removeprefix(api_key_key(""))
    _, listed = key_items(key, key_hash)
    actions: list[Action] = [ApiKeyItem.key_id.set(key.id)]
    if prefix is not None:
        actions.append(ApiKeyItem.prefix.set(prefix))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                ApiKeyItem(item.pk, API_KEY_SORT_KEY),
                actions=actions,
                condition=ApiKeyItem.pk.exists() & ApiKeyItem.key_id.does_not_exist(),
            )
            tx.save(listed, condition=ApiKeyItem.pk.does_not_exist())
            tx.update(
                _workspace(key.workspace_id),
                actions=[WorkspaceItem.key_count.add(1)],
                condition=WorkspaceItem.pk.exists(),
            )
    except TransactWriteError as error:
        failed = failed_conditions(error)
        if 0 in failed:
            return False
        if 2 in failed:
            return None
        raise
    return True


def adopt_key(api_key: str) -> None:
    """Bring a key whose text is known into its workspace's list, with its prefix, if it
    is a key made before keys were listed (or was adopted by ``backfill_keys`` with no
    prefix); nothing for any other key. Idempotent: it only ever fills what is missing."""
    key_hash = hash_api_key(api_key)
    try:
        item = ApiKeyItem.get(api_key_key(key_hash), API_KEY_SORT_KEY, consistent_read=True)
    except ApiKeyItem.DoesNotExist:
        return
    prefix = key_prefix(api_key)
    if item.key_id is None:
        _adopt(item, prefix)
    elif item.prefix is None:
        condition = ApiKeyItem.pk.exists() & ApiKeyItem.prefix.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as tx:
                for pk, sk in (
                    (item.pk, API_KEY_SORT_KEY),
                    (workspace_key(item.workspace_id), listed_key_sort_key(item.key_id)),
                ):
                    tx.update(
                        ApiKeyItem(pk, sk),
                        actions=[ApiKeyItem.prefix.set(prefix)],
                        condition=condition,
                    )
        except TransactWriteError as error:
            if not failed_conditions(error):
                raise
            # Filled by another request meanwhile, or the key was deleted: nothing to do.


def backfill_keys() -> Adopted:
    """Adopt every key made before keys were listed. Reads the main table with a Scan (its
    keys are found by their hash only), so it is an operator's command, run once after the
    upgrade; running it again adopts nothing twice."""
    adopted = already = orphaned = 0
    legacy = (ApiKeyItem.sk == API_KEY_SORT_KEY) & ApiKeyItem.key_id.does_not_exist()
    for item in ApiKeyItem.scan(legacy, consistent_read=True):
        outcome = _adopt(item, None)
        if outcome is None:
            orphaned += 1
        elif outcome:
            adopted += 1
        else:
            already += 1
    return Adopted(adopted=adopted, already_listed=already, orphaned=orphaned)
