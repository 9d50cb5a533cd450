"""The embedded DynamoDB: moto's server on a loopback port, with the tables made from the
same specs (``jobtrail.store.tables``) that CDK declares."""

from __future__ import annotations

import os
import socket
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

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
    """Create every table (named by its env var, else its default); answers spec -> name."""
    names = {}
    for spec in TABLES:
        name = os.environ.get(spec.env_var, spec.default_name)
        client.create_table(**table_definition(spec, name))
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
        names[spec.logical_id] = name
    return names


class PortInUse(OSError):
    """The port asked for is taken; the message says which and what to do."""


def _ensure_free(port: int) -> None:
    # moto's server binds in its own thread and would wait forever on a port it cannot take.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(
                f"port {port} for the embedded DynamoDB is in use: set DYNAMODB_PORT to a free one"
            ) from None


class EmbeddedDynamoDB:
    """moto's DynamoDB (and Streams) server on 127.0.0.1; points this process's SDK at it.
    On a port of its own (``make run``: the one after the gateway's, see
    ``jobtrail.admin.local_dynamodb_port``), so that ``python -m jobtrail.admin --local``
    can reach it; on a free one if none is given."""

    def __init__(self, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.table_names: dict[str, str] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        _ensure_free(self.port)
        self._server.start()
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.endpoint
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = self.endpoint
        self.table_names = create_tables(self.client("dynamodb"))

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint)

    def stop(self) -> None:
        self._server.stop()
