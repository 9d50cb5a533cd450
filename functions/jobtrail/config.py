"""Settings read from the environment, in one place. Every function reads the same names;
CDK sets them on AWS and the local runtime sets them for ``make run``."""

from __future__ import annotations

import os
from dataclasses import dataclass

SERVICE_NAME = "jobtrail"
METRICS_NAMESPACE = "jobtrail"
DEFAULT_RETENTION_DAYS = 400
DEFAULT_SLUG_CACHE_SECONDS = 60
DEFAULT_SECRET_MAX_AGE_SECONDS = 300  # how long a read secret is used before reading it again
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Settings:
    short_base_url: str
    click_retention_days: int
    slug_cache_seconds: float
    secret_max_age_seconds: int


def settings() -> Settings:
    """Read on demand (cheap), so tests and the local runtime can change the environment."""
    return Settings(
        short_base_url=os.environ.get("SHORT_BASE_URL", "http://127.0.0.1:3000").rstrip("/"),
        click_retention_days=int(
            os.environ.get("CLICK_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
        ),
        slug_cache_seconds=float(
            os.environ.get("SLUG_CACHE_SECONDS", str(DEFAULT_SLUG_CACHE_SECONDS))
        ),
        secret_max_age_seconds=int(
            os.environ.get("SECRET_MAX_AGE_SECONDS", str(DEFAULT_SECRET_MAX_AGE_SECONDS))
        ),
    )
