"""The redirect, ``GET|HEAD /{slug}``: the hot path.

One key read of the link (skipped while a warm function has it cached, at most
``SLUG_CACHE_SECONDS``), one write of the click, nothing else. It imports as little as it
can: no pydantic, no X-Ray SDK (Lambda's active tracing covers it), no event data classes;
the event is a plain API Gateway v2 dict.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.config import settings
from jobtrail.domain import clicks
from jobtrail.domain.times import utc_now
from jobtrail.domain.urls import tracked_location
from jobtrail.observability import logger, metrics
from jobtrail.store import clicks as store

_MAX_CACHED = 10_000
_links: dict[str, tuple[float, clicks.LinkTarget]] = {}
_salt: tuple[date, str] | None = None
_SETTINGS = settings()


def _link(slug: str) -> clicks.LinkTarget | None:
    now = time.monotonic()
    cached = _links.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    link = store.find_link(slug)
    if link is not None:
        if len(_links) >= _MAX_CACHED:
            _links.clear()
        _links[slug] = (now + _SETTINGS.slug_cache_seconds, link)
    return link


def _salt_of(day: date) -> str:
    global _salt
    if _salt is None or _salt[0] != day:
        _salt = (day, store.salt_for(day))
    return _salt[1]


def _not_found(slug: str) -> dict[str, Any]:
    body = {"error": {"code": "link_not_found", "message": f"No short link '{slug}'."}}
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body),
    }


def _visit(event: dict[str, Any]) -> clicks.Visit:
    http = event["requestContext"]["http"]
    headers = event.get("headers") or {}
    return clicks.Visit(
        method=http["method"],
        source_ip=http.get("sourceIp", ""),
        user_agent=headers.get("user-agent"),
        referer=headers.get("referer"),
        country=headers.get("cloudfront-viewer-country"),
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    slug = (event.get("pathParameters") or {}).get("slug", "")
    link = _link(slug)
    if link is None:
        return _not_found(slug)
    now = utc_now()
    click = clicks.record(
        link,
        _visit(event),
        salt=_salt_of(now.date()),
        now=now,
        retention_days=_SETTINGS.click_retention_days,
    )
    store.save_click(click)
    metrics.add_metric(
        name="clicks" if click.bot_class == "human" else "bot_hits", unit=MetricUnit.Count, value=1
    )
    return {
        "statusCode": 302,
        "headers": {
            "Location": tracked_location(
                link.target_url, channel=link.channel, job_id=link.job_id, click_id=click.click_id
            ),
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
        },
        "body": "",
    }
