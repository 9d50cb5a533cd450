"""Which share sources run, built from the environment. Secrets (the X token, the Bluesky
app password) come from Secrets Manager on AWS (``*_SECRET`` names a secret, read with
Powertools' parameters utility, which keeps a value for ``SECRET_MAX_AGE_SECONDS``) and
from plain variables locally; they are never logged.

Every run reads the credentials again, so a warm function uses a secret filled in after
the deployment as soon as its cached value is older than that. A network without
credentials (none given, or still the stack's placeholder) is off: the poller says so once,
with the reason, and says so again only when that changes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobtrail.config import DEFAULT_SECRET_MAX_AGE_SECONDS
from jobtrail.domain.times import utc_now
from jobtrail.sources.base import (
    Post,
    RequestBudget,
    SearchPage,
    ShareSource,
    SourceUnavailable,
)

DEFAULT_X_API = "https://api.x.com"
DEFAULT_BLUESKY_API = "https://bsky.social"
# What the stack puts in a secret until the company sets it: that network is then skipped.
PLACEHOLDER = "REPLACE_ME"
# A secret's ARN ends in "-" and six characters Secrets Manager adds to its name.
_ARN_NAME = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+)-[^-]{6}$")


def _given(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text if text and text != PLACEHOLDER else None


@dataclass(frozen=True)
class Notice:
    """A network's polling turned off (with why), or on again."""

    platform: str
    message: str
    off: bool


class SecretUnreadable(Exception):
    """Secrets Manager did not give the secret (no access, no such secret, a fault)."""


@dataclass(frozen=True)
class _Credentials:
    values: tuple[str, ...] | None  # what the source is built from; None: the network is off
    why_off: str


def _secret_name(reference: str) -> str:
    match = _ARN_NAME.match(reference)
    return match.group("name") if match else reference


def _secret(reference: str, *, max_age: int) -> str:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        return str(parameters.get_secret(reference, max_age=max_age))
    except GetParameterError as error:
        # The message is Secrets Manager's (the reason), never the secret's value.
        raise SecretUnreadable(
            f"the secret {_secret_name(reference)} could not be read ({error})"
        ) from error


def _x_credentials(max_age: int) -> _Credentials:
    base = os.environ.get("X_API_BASE_URL", DEFAULT_X_API)
    secret = os.environ.get("X_BEARER_TOKEN_SECRET")
    if secret:
        token = _given(_secret(secret, max_age=max_age))
        why = f"the secret {_secret_name(secret)} holds no bearer token yet"
    else:
        token = _given(os.environ.get("X_BEARER_TOKEN"))
        why = "X_BEARER_TOKEN is not set"
    return _Credentials((base, token) if token else None, f"X polling is off: {why}.")


def _bluesky_credentials(max_age: int) -> _Credentials:
    base = os.environ.get("BLUESKY_API_BASE_URL", DEFAULT_BLUESKY_API)
    secret = os.environ.get("BLUESKY_SECRET")
    if secret:
        # A JSON secret: {"handle": "...", "app_password": "..."}
        name = _secret_name(secret)
        raw = _given(_secret(secret, max_age=max_age))
        why = f"the secret {name} holds no handle and app password yet"
        try:
            login: Any = json.loads(raw) if raw else {}
        except ValueError:
            login = None
        if not isinstance(login, dict):
            login = {}
            why = f'the secret {name} is not JSON like {{"handle": ..., "app_password": ...}}'
        handle, password = _given(login.get("handle")), _given(login.get("app_password"))
    else:
        handle = _given(os.environ.get("BLUESKY_HANDLE"))
        password = _given(os.environ.get("BLUESKY_APP_PASSWORD"))
        missing = [
            name
            for name, value in (("BLUESKY_HANDLE", handle), ("BLUESKY_APP_PASSWORD", password))
            if value is None
        ]
        why = " and ".join(missing) + (" is" if len(missing) == 1 else " are") + " not set"
    values = (base, handle, password) if handle and password else None
    return _Credentials(values, f"Bluesky polling is off: {why}.")


def _build_x(now: Callable[[], datetime], base: str, token: str) -> ShareSource:
    from jobtrail.sources.x import XSource

    return XSource(base, token, now=now)


def _build_bluesky(
    now: Callable[[], datetime], base: str, handle: str, password: str
) -> ShareSource:
    from jobtrail.sources.bluesky import BlueskySource

    return BlueskySource(base, handle, password, now=now)


_NETWORKS: tuple[tuple[str, Callable[[int], _Credentials], Callable[..., ShareSource]], ...] = (
    ("x", _x_credentials, _build_x),
    ("bluesky", _bluesky_credentials, _build_bluesky),
)
_NAMES = {"x": "X", "bluesky": "Bluesky"}


class _Unreadable:
    """A network whose credentials could not be read: its run fails with the reason, and
    the other networks are polled as usual."""

    def __init__(self, platform: str, reason: str) -> None:
        self.platform = platform
        self._reason = f"{_NAMES[platform]}: {reason}"

    def search(
        self,
        short_host: str,
        *,
        since_id: str | None,
        start_time: datetime | None,
        next_token: str | None,
        budget: RequestBudget,
    ) -> SearchPage:
        raise SourceUnavailable(self._reason)

    def reposts_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        raise SourceUnavailable(self._reason)

    def quotes_of(self, post: Post, *, budget: RequestBudget) -> Sequence[Post]:
        raise SourceUnavailable(self._reason)

    def refresh(self, post_ids: Sequence[str], *, budget: RequestBudget) -> Sequence[Post]:
        raise SourceUnavailable(self._reason)


class ShareSources:
    """The configured sources, as one function instance keeps them across its runs. A
    source is made again only when its credentials change: it keeps connections, a
    session and the rate limits it was told of. The function's wiring makes one, with its
    settings' secret age and its clock."""

    def __init__(
        self,
        secret_max_age_seconds: int = DEFAULT_SECRET_MAX_AGE_SECONDS,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._max_age = secret_max_age_seconds
        self._now = now
        self._kept: dict[str, tuple[tuple[str, ...], ShareSource]] = {}
        self._said: dict[str, str] = {}  # platform -> the "off" message last said

    def __call__(self) -> tuple[ShareSource, ...]:
        """The sources to poll now; logs what changed (see ``read``)."""
        from jobtrail.observability import logger

        sources, notices = self.read()
        for notice in notices:
            say = logger.warning if notice.off else logger.info
            say(notice.message, extra={"platform": notice.platform})
        return sources

    def read(self) -> tuple[tuple[ShareSource, ...], list[Notice]]:
        """The sources to poll now, and what is new since the last call: each network
        turned off, with the reason, and each turned on again."""
        max_age = self._max_age
        sources: list[ShareSource] = []
        notices: list[Notice] = []
        for platform, credentials_of, build in _NETWORKS:
            try:
                credentials = credentials_of(max_age)
            except SecretUnreadable as error:
                sources.append(_Unreadable(platform, str(error)))
                continue
            if credentials.values is None:
                if self._said.get(platform) != credentials.why_off:
                    self._said[platform] = credentials.why_off
                    notices.append(Notice(platform, credentials.why_off, off=True))
                continue
            if self._said.pop(platform, None) is not None:
                notices.append(Notice(platform, f"{_NAMES[platform]} polling is on.", off=False))
            kept = self._kept.get(platform)
            if kept is None or kept[0] != credentials.values:
                kept = self._kept[platform] = (
                    credentials.values,
                    build(self._now, *credentials.values),
                )
            sources.append(kept[1])
        return tuple(sources), notices


if TYPE_CHECKING:
    # mypy proves here that _Unreadable keeps the ShareSource contract.
    _conforms: type[ShareSource] = _Unreadable
