"""The management API (every ``/api/*`` route and ``/health``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.api.app import handle
from jobtrail.api.services import Services
from jobtrail.config import Settings
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.sources.ats import client_for
from jobtrail.store.api_keys import DynamoKeyStore
from jobtrail.store.import_sources import DynamoSourceStore
from jobtrail.store.jobs import DynamoJobStore
from jobtrail.store.links import DynamoLinkStore
from jobtrail.store.models import use_tables
from jobtrail.store.people import DynamoPeopleStore
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point


def build(settings: Settings, clock: Clock) -> Handler:
    use_tables(settings.main_table, settings.events_table)
    services = Services(
        settings=settings,
        clock=clock,
        jobs=DynamoJobStore(),
        keys=DynamoKeyStore(),
        links=DynamoLinkStore(),
        people=DynamoPeopleStore(),
        sources=DynamoSourceStore(),
        ats=client_for(settings, clock.now),
    )

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle(event, context, services)

    return lambda_handler


lambda_handler = entry_point(build)
