"""The daily import of every registered ATS board (``POST /api/imports/sources``): each
board is fetched and imported as its ATS's full list, so new jobs get their links and
jobs gone from the board are closed without anyone lifting a finger.

A board that fails (unknown, a refused key, the ATS down or rate-limited) is logged and
counted, imports nothing and closes nothing; the others go on, and the next day's run
tries it again. A 429 stops that ATS for the rest of the run (its other boards would be
refused too)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.config import Settings
from jobtrail.domain import import_sources
from jobtrail.domain.errors import InvalidInput
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.sources.ats import BoardNotFound, client_for
from jobtrail.sources.base import RateLimited, SourceRejected, SourceUnavailable
from jobtrail.store.import_sources import DynamoSourceStore
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.models import use_tables
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point

_FAILURES = (BoardNotFound, SourceRejected, SourceUnavailable, InvalidInput)


def build(
    settings: Settings, clock: Clock, fetcher: import_sources.Fetcher | None = None
) -> Handler:
    use_tables(settings.main_table, settings.events_table)
    sources = DynamoSourceStore()
    jobs = DynamoJobStore()
    ats = fetcher or client_for(settings, clock.now)

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        totals = {"boards": 0, "synced": 0, "failed": 0, "created": 0, "updated": 0, "closed": 0}
        limited: set[str] = set()
        for source in sources.all_sources():
            totals["boards"] += 1
            where = {"ats": source.ats, "board": source.board, "workspace": source.workspace_id}
            if source.ats in limited:
                totals["failed"] += 1
                continue
            try:
                _, outcome = import_sources.sync(
                    source,
                    fetcher=ats,
                    sources=sources,
                    jobs=jobs,
                    short_base_url=settings.short_base_url,
                    now=clock.now(),
                )
            except RateLimited as error:
                limited.add(source.ats)
                totals["failed"] += 1
                logger.warning("ats sync rate-limited", extra={**where, "reason": str(error)})
                continue
            except _FAILURES as error:
                totals["failed"] += 1
                reason = error.message if isinstance(error, InvalidInput) else str(error)
                logger.warning("ats sync failed", extra={**where, "reason": reason})
                continue
            totals["synced"] += 1
            totals["created"] += outcome.created
            totals["updated"] += outcome.updated
            totals["closed"] += outcome.closed
            logger.info(
                "ats board imported",
                extra={**where, "created": outcome.created, "closed": outcome.closed},
            )
        metrics.add_metric(name="ats_boards_failed", unit=MetricUnit.Count, value=totals["failed"])
        metrics.add_metric(name="jobs_imported", unit=MetricUnit.Count, value=totals["created"])
        return totals

    return lambda_handler


lambda_handler = entry_point(build)
