"""Workspaces and their first API key."""

from __future__ import annotations

from datetime import datetime

from pynamodb.transactions import TransactWrite

from jobtrail.domain.api_keys import (
    FIRST_KEY_NAME,
    ApiKey,
    hash_api_key,
    key_prefix,
    new_api_key,
)
from jobtrail.domain.ids import new_id
from jobtrail.store.api_keys import adopt_key, key_items
from jobtrail.store.connection import connection
from jobtrail.store.key_shapes import (
    API_KEY_SORT_KEY,
    WORKSPACE_SORT_KEY,
    api_key_key,
    workspace_key,
)
from jobtrail.store.models import ApiKeyItem, WorkspaceItem


def create_workspace(name: str, *, now: str, api_key: str | None = None) -> tuple[str, str]:
    """A new workspace and its first API key: ``(workspace_id, api_key)``. The key is
    answered once and stored only as its hash. ``api_key`` lets the local runtime keep
    the key it was told to use (``JOBTRAIL_API_KEY``)."""
    workspace_id = new_id()
    api_key = api_key or new_api_key()
    key = ApiKey(
        id=new_id(at=datetime.fromisoformat(now.replace("Z", "+00:00"))),
        workspace_id=workspace_id,
        name=FIRST_KEY_NAME,
        prefix=key_prefix(api_key),
        created_at=now,
    )
    by_hash, listed = key_items(key, hash_api_key(api_key))
    with TransactWrite(connection=connection()) as tx:
        tx.save(
            WorkspaceItem(
                workspace_key(workspace_id),
                WORKSPACE_SORT_KEY,
                workspace_id=workspace_id,
                name=name,
                created_at=now,
                key_count=1,
            ),
            condition=WorkspaceItem.pk.does_not_exist(),
        )
        tx.save(by_hash, condition=ApiKeyItem.pk.does_not_exist())
        tx.save(listed, condition=ApiKeyItem.pk.does_not_exist())
    return workspace_id, api_key


def workspace_for_key(name: str, *, now: str, api_key: str) -> str:
    """The workspace of ``api_key``, made (named ``name``) if the key is not known: the
    local runtime's start, which must keep its key's workspace across restarts. A key made
    before keys were listed is adopted into its workspace's list here."""
    workspace_id = workspace_of_key(api_key)
    if workspace_id is None:
        return create_workspace(name, now=now, api_key=api_key)[0]
    adopt_key(api_key)
    return workspace_id


def workspace_of_key(api_key: str) -> str | None:
    """The workspace an API key belongs to, or None for an unknown key."""
    try:
        item = ApiKeyItem.get(api_key_key(hash_api_key(api_key)), API_KEY_SORT_KEY)
    except ApiKeyItem.DoesNotExist:
        return None
    return str(item.workspace_id)


def workspace_exists(workspace_id: str) -> bool:
    try:
        WorkspaceItem.get(workspace_key(workspace_id), WORKSPACE_SORT_KEY)
    except WorkspaceItem.DoesNotExist:
        return False
    return True
