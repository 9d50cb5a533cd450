"""Which share sources run, built from the environment. Secrets (the X token, the Bluesky
app password) come from Secrets Manager on AWS (``*_SECRET`` names a secret, read with
Powertools' parameters utility and cached) and from plain variables locally; they are
never logged."""

from __future__ import annotations

import json
import os
from functools import cache

from jobtrail.sources.base import ShareSource

DEFAULT_X_API = "https://api.x.com"
DEFAULT_BLUESKY_API = "https://bsky.social"
# What the stack puts in a secret until the company sets it: that network is then skipped.
PLACEHOLDER = "REPLACE_ME"


def _given(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and value != PLACEHOLDER else None


def _secret(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(name, max_age=300))


def _x_token() -> str | None:
    if os.environ.get("X_BEARER_TOKEN_SECRET"):
        return _given(_secret(os.environ["X_BEARER_TOKEN_SECRET"]))
    return _given(os.environ.get("X_BEARER_TOKEN"))


def _bluesky_login() -> tuple[str, str] | None:
    if os.environ.get("BLUESKY_SECRET"):
        # A JSON secret: {"handle": "...", "app_password": "..."}
        raw = _given(_secret(os.environ["BLUESKY_SECRET"]))
        login = json.loads(raw) if raw else {}
        handle, password = _given(login.get("handle")), _given(login.get("app_password"))
    else:
        handle = _given(os.environ.get("BLUESKY_HANDLE"))
        password = _given(os.environ.get("BLUESKY_APP_PASSWORD"))
    return (handle, password) if handle and password else None


@cache
def share_sources() -> tuple[ShareSource, ...]:
    """The configured sources, made once per function instance (they keep connections)."""
    sources: list[ShareSource] = []
    token = _x_token()
    if token:
        from jobtrail.sources.x import XSource

        sources.append(XSource(os.environ.get("X_API_BASE_URL", DEFAULT_X_API), token))
    login = _bluesky_login()
    if login:
        from jobtrail.sources.bluesky import BlueskySource

        base = os.environ.get("BLUESKY_API_BASE_URL", DEFAULT_BLUESKY_API)
        sources.append(BlueskySource(base, *login))
    return tuple(sources)
