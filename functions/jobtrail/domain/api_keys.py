"""Workspace API keys: random, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jobtrail.domain.errors import Conflict, NotFound
from jobtrail.domain.ids import new_id
from jobtrail.domain.times import iso

KEY_PREFIX = "jt_"


def new_api_key() -> str:
    """A new key with 256 random bits; the caller shows it once and stores its hash."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    """The stored form of a key. A fast unsalted hash is right here: the keys are random
    with 256 bits, so there is nothing to guess, and the lookup must be one key read."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


# What a listed key shows of itself: enough to tell keys apart, far too little to use one.
PREFIX_LENGTH = 6
MAX_NAME_LENGTH = 100
FIRST_KEY_NAME = "first key"  # a new workspace's key, and an old key stored without a name


def key_prefix(api_key: str) -> str:
    return api_key[:PREFIX_LENGTH]


@dataclass(frozen=True)
class ApiKey:
    """A workspace's API key as it is listed: never the key itself."""

    id: str
    workspace_id: str
    name: str
    # None: a key made before keys were listed, found by the backfill, which sees only its
    # hash; it gets its prefix the first time it lists the keys (see ``adopt_key``).
    prefix: str | None
    created_at: str


@dataclass(frozen=True)
class KeyPage:
    items: Sequence[ApiKey]
    next_cursor: str | None


class LastKey(Conflict):
    code = "last_key"

    def __init__(self) -> None:
        super().__init__(
            "This is the workspace's last API key; create another key before you delete this one."
        )


def key_not_found(key_id: str) -> NotFound:
    return NotFound(f"No API key with id '{key_id}' in this workspace.", code="key_not_found")


def workspace_not_found(workspace_id: str) -> NotFound:
    return NotFound(f"No workspace with id '{workspace_id}'.", code="workspace_not_found")


class KeyStore(Protocol):
    """What the key rules need from storage (``jobtrail.store.api_keys.DynamoKeyStore``)."""

    def insert_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key of an existing workspace (else ``workspace_not_found``)."""

    def list_keys(self, workspace_id: str, *, limit: int, cursor: str | None) -> KeyPage:
        """Newest first."""

    def delete_key(self, workspace_id: str, key_id: str) -> None:
        """Delete a key of the workspace: ``key_not_found`` if it has none with that id,
        ``LastKey`` if it is the last, decided in the same write as the delete."""

    def adopt_key(self, api_key: str) -> None:
        """List a key made before keys were listed, with its prefix (idempotent; nothing
        for a key that is listed with one already)."""


def create_key(
    store: KeyStore, *, workspace_id: str, name: str, now: datetime
) -> tuple[ApiKey, str]:
    """A new key of the workspace: ``(the key as listed, the key itself)``. The key itself
    is answered once; only its hash is stored."""
    api_key = new_api_key()
    key = ApiKey(
        id=new_id(at=now),
        workspace_id=workspace_id,
        name=name,
        prefix=key_prefix(api_key),
        created_at=iso(now),
    )
    store.insert_key(key, hash_api_key(api_key))
    return key, api_key
