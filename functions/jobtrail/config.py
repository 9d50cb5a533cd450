"""Settings read from the environment, in one place. Every function reads the same names;
CDK sets them on AWS and the local runtime sets them for ``make run``.

They are parsed once per function instance, where its handler is wired
(``jobtrail.wiring``), and passed down from there: nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SERVICE_NAME = "jobtrail"
METRICS_NAMESPACE = "jobtrail"
DEFAULT_RETENTION_DAYS = 400
DEFAULT_SLUG_CACHE_SECONDS = 60
# How long a warm authorizer trusts a key it found: a deleted key answers 401 within it.
DEFAULT_KEY_CACHE_SECONDS = 60
DEFAULT_MAX_REQUESTS = 50
DEFAULT_SECRET_MAX_AGE_SECONDS = 300  # how long a read secret is used before reading it again
MAX_BODY_BYTES = 64 * 1024
# An import's body (a CSV or an ATS's job list): API Gateway itself takes up to 10 MB.
MAX_IMPORT_BODY_BYTES = 5 * 1024 * 1024


class SettingsError(ValueError):
    """A setting that cannot be used; its message names the variable and what it needs."""


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}.") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, not {raw}.")
    return value


def _key_cache_seconds(env: Mapping[str, str]) -> float:
    seconds = _number(env, "KEY_CACHE_SECONDS", DEFAULT_KEY_CACHE_SECONDS, minimum=0)
    if seconds > DEFAULT_KEY_CACHE_SECONDS:
        # Longer would break the promise that a deleted key stops working within a minute.
        raise SettingsError(
            f"KEY_CACHE_SECONDS must be at most {DEFAULT_KEY_CACHE_SECONDS}, not {seconds:g}."
        )
    return seconds


@dataclass(frozen=True)
class Settings:
    short_base_url: str
    click_retention_days: int
    slug_cache_seconds: float
    main_table: str
    events_table: str
    # The share poller's budget of X requests per run.
    max_requests_per_run: int = DEFAULT_MAX_REQUESTS
    # What the stack's CloudFront adds to every request it forwards, as the
    # x-jobtrail-origin-secret header (ORIGIN_SECRET); None: no request is trusted to
    # carry CloudFront's viewer country, so clicks have none.
    origin_secret: str | None = None
    # How long the poller uses a secret it read before reading it again, so that a warm
    # function sees credentials put in after the deployment.
    secret_max_age_seconds: int = DEFAULT_SECRET_MAX_AGE_SECONDS
    # At most 60 (the contract's bound on a deleted key); shorter for the local stack's
    # tests, which then need not wait a minute for a revocation (KEY_CACHE_SECONDS).
    key_cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS
    # The key of the visitor hash (``jobtrail.domain.clicks``), which is never in a table.
    # On AWS the redirect reads it once per cold start from the Secrets Manager secret
    # VISITOR_SECRET_ARN names; the local runtime and the tests give the key itself.
    visitor_secret_arn: str | None = None
    visitor_secret: bytes | None = field(default=None, repr=False)
    # The applicant tracking systems' API roots the daily import of registered boards
    # fetches from (a fake of each in tests).
    greenhouse_api_base_url: str = "https://boards-api.greenhouse.io"
    lever_api_base_url: str = "https://api.lever.co"
    teamtailor_api_base_url: str = "https://api.teamtailor.com"

    @property
    def short_host(self) -> str:
        """The short links' host, as the poller searches for it."""
        return (urlsplit(self.short_base_url).hostname or "").lower()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            short_base_url=env.get("SHORT_BASE_URL", "http://127.0.0.1:3000").rstrip("/"),
            click_retention_days=int(
                _number(env, "CLICK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, minimum=1)
            ),
            slug_cache_seconds=_number(
                env, "SLUG_CACHE_SECONDS", DEFAULT_SLUG_CACHE_SECONDS, minimum=0
            ),
            main_table=env.get("MAIN_TABLE_NAME") or "jobtrail-main",
            events_table=env.get("EVENTS_TABLE_NAME") or "jobtrail-events",
            max_requests_per_run=int(
                _number(env, "X_MAX_REQUESTS_PER_RUN", DEFAULT_MAX_REQUESTS, minimum=1)
            ),
            origin_secret=env.get("ORIGIN_SECRET") or None,
            secret_max_age_seconds=int(
                _number(env, "SECRET_MAX_AGE_SECONDS", DEFAULT_SECRET_MAX_AGE_SECONDS, minimum=0)
            ),
            key_cache_seconds=_key_cache_seconds(env),
            visitor_secret_arn=env.get("VISITOR_SECRET_ARN") or None,
            greenhouse_api_base_url=env.get("GREENHOUSE_API_BASE_URL")
            or "https://boards-api.greenhouse.io",
            lever_api_base_url=env.get("LEVER_API_BASE_URL") or "https://api.lever.co",
            teamtailor_api_base_url=env.get("TEAMTAILOR_API_BASE_URL")
            or "https://api.teamtailor.com",
        )
