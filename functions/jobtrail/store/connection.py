"""The one DynamoDB connection of a function: every model and every transaction uses it.

PynamoDB gives each model its own connection, and each connection builds its own botocore
session and client on first use, loading the service's models again each time (about
0.1-0.2 s a client). A redirect's first request would build three; sharing one keeps a
function's first request to one.

It also asks DynamoDB for no consumed capacity: PynamoDB asks for it on every call, only to
log it at debug level, and nothing here reads it (it costs the redirect about a tenth of
its time under moto, and bytes of every answer on AWS).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model

# A redirect must not hang on a slow dependency: fail fast, let the caller retry.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 3
MAX_RETRY_ATTEMPTS = 2


class _Connection(Connection):
    def dispatch(self, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        # PynamoDB adds ReturnConsumedCapacity=TOTAL where a call does not say: say NONE.
        if operation_name in _CAPACITY_OPERATIONS:
            operation_kwargs.setdefault("ReturnConsumedCapacity", "NONE")
        return super().dispatch(operation_name, operation_kwargs)


# The operations that take ReturnConsumedCapacity (table management ones do not).
_CAPACITY_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


@cache
def connection() -> Connection:
    return _Connection(
        connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds=READ_TIMEOUT_SECONDS,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
    )


def share(*models: type[Model]) -> None:
    """Point the models' table connections at the one connection. (A TableConnection only
    adds its table's name to the calls; the Connection holds the client.)"""
    shared = connection()
    for model in models:
        table = model._get_connection()
        if table.connection is shared:
            continue
        # The model's schema (its "meta table") lives on the connection: bring it along.
        meta_table = table.get_meta_table()
        if meta_table.table_name not in shared._tables:
            shared.add_meta_table(meta_table)
        table.connection = shared


def condition_failed(error: PynamoDBException) -> bool:
    """True when a write was refused by its condition (the item is there, or not), as
    opposed to a fault; the one place the store reads DynamoDB's code for it."""
    return error.cause_response_code == "ConditionalCheckFailedException"


def failed_conditions(error: TransactWriteError) -> set[int]:
    """The positions of a transaction's items whose condition failed."""
    return {
        index
        for index, reason in enumerate(error.cancellation_reasons or ())
        if reason is not None and reason.code == "ConditionalCheckFailed"
    }
