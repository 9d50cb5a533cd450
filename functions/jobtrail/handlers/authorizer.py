"""The HTTP API's Lambda authorizer: resolves ``Authorization: Bearer <key>`` to a workspace.

It answers ``isAuthorized: true`` with the workspace in the context for a known key, and
with an empty workspace otherwise; the API function then answers ``401`` in the error shape
of API.md. (An HTTP API authorizer can only deny with a bare ``403``, which would break the
contract's ``401``.) No route reads anything without a workspace, so this fails closed.

Answers are cached in the warm function for a minute (a key's revocation takes effect
within it), since the gateway can only cache per identity source and a missing header
must still reach us to get the contract's error.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.domain.api_keys import bearer_token, hash_api_key
from jobtrail.observability import logger, metrics
from jobtrail.store.workspaces import workspace_of_key
from jobtrail.tracing import tracer

KNOWN_KEY_SECONDS = 60.0
UNKNOWN_KEY_SECONDS = 10.0
_MAX_CACHED = 10_000
_cache: dict[str, tuple[float, str | None]] = {}


def resolve_workspace(api_key: str | None) -> str | None:
    if not api_key:
        return None
    key_hash = hash_api_key(api_key)
    now = time.monotonic()
    cached = _cache.get(key_hash)
    if cached is not None and cached[0] > now:
        return cached[1]
    workspace_id = workspace_of_key(api_key)
    if len(_cache) >= _MAX_CACHED:
        _cache.clear()
    ttl = KNOWN_KEY_SECONDS if workspace_id else UNKNOWN_KEY_SECONDS
    _cache[key_hash] = (now + ttl, workspace_id)
    return workspace_id


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayAuthorizerEventV2)
def lambda_handler(event: APIGatewayAuthorizerEventV2, context: LambdaContext) -> dict[str, Any]:
    workspace_id = resolve_workspace(bearer_token(event.headers.get("authorization")))
    if workspace_id is None:
        logger.info("request without a valid API key", extra={"path": event.raw_path})
    return APIGatewayAuthorizerResponseV2(
        authorize=True, context={"workspace_id": workspace_id or ""}
    ).asdict()
