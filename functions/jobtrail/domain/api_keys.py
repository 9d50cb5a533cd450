"""Workspace API keys: random, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets

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
