"""The share poller, on a schedule: asks each configured network for posts that shared
the short links (``domain.poller``), one run at a time per network."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.config import Settings
from jobtrail.domain.poller import FAULTS, poll_all
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.sources.config import ShareSources
from jobtrail.store.clicks import find_link
from jobtrail.store.models import use_tables
from jobtrail.store.shares import DynamoShareStore
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point


def build(settings: Settings, clock: Clock, sources: ShareSources | None = None) -> Handler:
    """``sources``: the instance's sources, where the runtime has made them already (the
    local one, which says at its start which networks are off)."""
    use_tables(settings.main_table, settings.events_table)
    shares = DynamoShareStore()
    # Kept across runs: a source keeps its connections and the rate limits it was told of.
    if sources is None:
        sources = ShareSources(settings.secret_max_age_seconds, clock.now)

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return poll(settings, clock, shares, sources)

    return lambda_handler


def poll(
    settings: Settings, clock: Clock, shares: DynamoShareStore, sources: ShareSources
) -> dict[str, Any]:
    reports = poll_all(
        sources(),
        shares,
        short_host=settings.short_host,
        find_link=find_link,
        max_requests=settings.max_requests_per_run,
        now=clock.now(),
    )
    for report in reports:
        platform = {"platform": report.platform}
        metrics.add_metric(name="posts_found", unit=MetricUnit.Count, value=report.posts_found)
        metrics.add_metric(name="shares_new", unit=MetricUnit.Count, value=report.shares_new)
        metrics.add_metric(
            name=f"{report.platform}_requests", unit=MetricUnit.Count, value=report.requests
        )
        if report.status == "rate_limited":
            metrics.add_metric(name="rate_limited_runs", unit=MetricUnit.Count, value=1)
        if report.status in FAULTS:
            # The function still succeeds (the other networks were polled); this count
            # and the log line are what raise the alarm and say why.
            metrics.add_metric(name="source_runs_failed", unit=MetricUnit.Count, value=1)
            logger.error(
                "share poll failed", extra={**platform, **report.as_dict()}, exc_info=report.error
            )
        else:
            logger.info("share poll", extra={**platform, **report.as_dict()})
    return {"runs": [report.as_dict() for report in reports]}


lambda_handler = entry_point(build)
