"""Daily housekeeping, on a schedule: makes tomorrow's visitor salt ahead of time (so no
redirect has to) and deletes salts past their day, so that visitor hashes cannot be
recomputed afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.config import Settings
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.store import clicks
from jobtrail.store.models import use_tables
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point


def build(settings: Settings, clock: Clock) -> Handler:
    use_tables(settings.main_table, settings.events_table)

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        today = clock.now().date()
        clicks.salt_for(today)
        clicks.create_salt(today + timedelta(days=1))
        forgotten = clicks.forget_salts_before(today)
        metrics.add_metric(name="salts_forgotten", unit=MetricUnit.Count, value=forgotten)
        logger.info("salts rotated", extra={"forgotten": forgotten})
        return {
            "salts_ready": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
            "salts_forgotten": forgotten,
        }

    return lambda_handler


lambda_handler = entry_point(build)
