"""The embedded DynamoDB: moto's server on a loopback port, with the tables made from the
same specs (``jobtrail.store.tables``) that CDK declares."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.errors import PortInUse
from infra.local.moto_transactions import copy_tables_once_per_transaction
from jobtrail.store.tables import TABLES, TableSpec


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def table_definition(spec: TableSpec, name: str) -> dict[str, Any]:
    keys = [(spec.partition_key, "HASH")] + ([(spec.sort_key, "RANGE")] if spec.sort_key else [])
    definition: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": k.name, "KeyType": kind} for k, kind in keys],
        "AttributeDefinitions": [
            {"AttributeName": k.name, "AttributeType": k.type} for k, _ in keys
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.stream_view_type:
        definition["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": spec.stream_view_type,
        }
    return definition


def create_tables(client: Any) -> dict[str, str]:
    """Create every table (named by its env var, else its default) that is not there yet (a
    restored snapshot has them); answers spec -> name."""
    names = {}
    existing = set(client.list_tables()["TableNames"])
    for spec in TABLES:
        name = os.environ.get(spec.env_var, spec.default_name)
        names[spec.logical_id] = name
        if name in existing:
            continue
        client.create_table(**table_definition(spec, name))
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    return names


def ensure_free(port: int, what: str, remedy: str) -> None:
    """Raise ``PortInUse`` when something listens on ``port`` already. Probed with
    SO_REUSEADDR, as the servers bind, so that a port a previous run has just left (its
    connections in TIME_WAIT) is not taken for one in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(f"port {port} {what} is in use: {remedy}") from None


# Operations that change nothing a snapshot keeps (GetShardIterator only makes an iterator).
_READS = frozenset(
    {
        "BatchGetItem",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeStream",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "GetRecords",
        "GetShardIterator",
        "ListStreams",
        "ListTables",
        "ListTagsOfResource",
        "Query",
        "Scan",
        "TransactGetItems",
    }
)
_CLOSED = b'{"__type":"ServiceUnavailable","message":"The local stack is stopping."}'


class _Guard:
    """moto's WSGI app, one request at a time: a snapshot then sees no request halfway
    through, and ``changes`` counts the requests that may have changed the data. moto's
    backends are plain dicts and lists, not made for concurrent writers either."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.lock = threading.Lock()
        self.changes = 0
        self.closed = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
        with self.lock:
            if self.closed:
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [_CLOSED]
            if operation not in _READS:
                self.changes += 1
            return self._app(environ, start_response)


class EmbeddedDynamoDB:
    """moto's DynamoDB (and Streams) server on 127.0.0.1; points this process's SDK at it.
    On a port of its own (``make run``: the one after the gateway's, see
    ``jobtrail.admin.local_dynamodb_port``), so that ``python -m jobtrail.admin --local``
    can reach it; on a free one if none is given.

    Run as moto's ``ThreadedMotoServer`` runs it, but bound in the caller's thread (moto's
    binds in its own and waits forever on a port it cannot take) and behind a ``_Guard``,
    so that its data can be snapshotted (``infra.local.persistence``)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self._guard = _Guard(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer | None = None
        self.table_names: dict[str, str] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def changes(self) -> int:
        """How many requests may have changed the data since start."""
        return self._guard.changes

    def start(self, state: Mapping[tuple[str, str], Any] | None = None) -> None:
        """Serve, with the tables of a snapshot (``state()``) if given, and make the tables
        that are missing."""
        ensure_free(
            self.port, "for the embedded DynamoDB", "set DYNAMODB_PORT (or PORT) to a free one"
        )
        copy_tables_once_per_transaction()
        for (account_id, region), tables in (state or {}).items():
            dynamodb_backends[account_id][region].tables = tables
        self._server = make_server(
            "127.0.0.1", self.port, self._guard, threaded=True, request_handler=MotoRequestHandler
        )
        threading.Thread(target=self._server.serve_forever, name="dynamodb", daemon=True).start()
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.endpoint
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = self.endpoint
        self.table_names = create_tables(self.client("dynamodb"))

    @contextmanager
    def paused(self, *, close: bool = False) -> Iterator[None]:
        """No request runs inside this block; with ``close``, none runs after it either
        (they are answered 503), for the last snapshot of a run."""
        with self._guard.lock:
            yield
            self._guard.closed = self._guard.closed or close

    def state(self) -> dict[tuple[str, str], Any]:
        """The tables of every account and region, as moto keeps them; call it paused."""
        return {
            (account_id, region): backend.tables
            for account_id, regions in dynamodb_backends.items()
            for region, backend in regions.items()
            if backend.tables
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
