"""Daily housekeeping, on a schedule: makes tomorrow's visitor salt ahead of time (so no
redirect has to) and deletes salts past their day, so that visitor hashes cannot be
recomputed afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.domain.times import utc_now
from jobtrail.observability import logger, metrics
from jobtrail.store import clicks
from jobtrail.tracing import tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    today = utc_now().date()
    clicks.salt_for(today)
    clicks.create_salt(today + timedelta(days=1))
    forgotten = clicks.forget_salts_before(today)
    metrics.add_metric(name="salts_forgotten", unit=MetricUnit.Count, value=forgotten)
    logger.info("salts rotated", extra={"forgotten": forgotten})
    return {
        "salts_ready": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
        "salts_forgotten": forgotten,
    }
