"""The HTTP API's Lambda authorizer: resolves ``Authorization: Bearer <key>`` to a workspace.

It answers ``isAuthorized: true`` with the workspace in the context for a known key, and
with an empty workspace otherwise; the API function then answers ``401`` in the error shape
of docs/api.md. (An HTTP API authorizer can only deny with a bare ``403``, which would break the
contract's ``401``.) No route reads anything without a workspace, so this fails closed.

Answers are cached in the warm function for a minute (``KEY_CACHE_SECONDS``, at most 60: a
deleted key answers 401 within it), since the gateway can only cache per identity source
and a missing header must still reach us to get the contract's error.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.cache import TtlCache
from jobtrail.config import Settings
from jobtrail.domain.api_keys import bearer_token, hash_api_key
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.store.models import use_tables
from jobtrail.store.workspaces import workspace_of_key
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point

UNKNOWN_KEY_SECONDS = 10.0


class Authorizer:
    def __init__(self, clock: Clock, known_key_seconds: float) -> None:
        # Keyed by the key's hash: the cache holds no key a memory dump could reveal.
        self.workspaces: TtlCache[str | None] = TtlCache(clock.monotonic)
        self.known_key_seconds = known_key_seconds
        self.unknown_key_seconds = min(UNKNOWN_KEY_SECONDS, known_key_seconds)

    def workspace_of(self, api_key: str | None) -> str | None:
        if not api_key:
            return None
        return self.workspaces.get(
            hash_api_key(api_key),
            lambda: workspace_of_key(api_key),
            lambda workspace_id: (
                self.known_key_seconds if workspace_id else self.unknown_key_seconds
            ),
        )


def build(settings: Settings, clock: Clock) -> Handler:
    use_tables(settings.main_table, settings.events_table)
    authorizer = Authorizer(clock, settings.key_cache_seconds)

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    @event_source(data_class=APIGatewayAuthorizerEventV2)
    def lambda_handler(
        event: APIGatewayAuthorizerEventV2, context: LambdaContext
    ) -> dict[str, Any]:
        workspace_id = authorizer.workspace_of(bearer_token(event.headers.get("authorization")))
        if workspace_id is None:
            logger.info("request without a valid API key", extra={"path": event.raw_path})
        return APIGatewayAuthorizerResponseV2(
            authorize=True, context={"workspace_id": workspace_id or ""}
        ).asdict()

    return lambda_handler


lambda_handler = entry_point(build)
