"""Handlers against moto: the tables made from the same specs as on AWS, and requests sent
through the same dispatch (route, authorizer, function) as the local gateway."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.dispatch import Dispatcher
from infra.local.dynamodb import create_tables
from infra.local.functions import LocalFunctions
from infra.local.moto_transactions import copy_tables_once_per_transaction
from infra.local.streams import StreamPump
from infra.routes import STREAM_CONSUMERS
from jobtrail.config import Settings
from jobtrail.domain.times import iso
from jobtrail.store.workspaces import create_workspace
from tests.fakes.clock import FakeClock
from tests.integration.dynamodb_calls import RECORDER, Recorder


@pytest.fixture(scope="session", autouse=True)
def dynamodb_calls() -> Iterator[Recorder]:
    """What each function asks of DynamoDB in this session, checked at its end against
    the function's role (``tests.integration.dynamodb_calls``)."""
    with RECORDER.installed():
        yield RECORDER


# The key of the visitor hash in every integration test; never in a table.
TEST_VISITOR_SECRET = b"jobtrail tests: the visitor secret"


@pytest.fixture
def aws() -> Iterator[Any]:
    """Fresh tables in a fresh moto (its transactions copying each table once)."""
    copy_tables_once_per_transaction()
    with mock_aws():
        client = boto3.client("dynamodb")
        create_tables(client)
        yield client


@pytest.fixture
def clock() -> FakeClock:
    """The time every function of a test sees: it stands still until the test moves it."""
    return FakeClock()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str
    content: bytes = b""  # the body as sent (an image's bytes)

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error_code(self) -> str:
        return str(self.json()["error"]["code"])


@dataclass
class Client:
    """Sends HTTP-shaped requests through the route table, as the gateway does."""

    dispatcher: Dispatcher
    api_key: str | None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: str | bytes | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        api_key: str | None = "default",
    ) -> Reply:
        sent = {"content-type": "application/json"} if json_body is not None else {}
        key = self.api_key if api_key == "default" else api_key
        if key is not None:
            sent["authorization"] = f"Bearer {key}"
        sent.update(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
        result = self.dispatcher.request(method, path, query=query, headers=sent, body=body)
        text = result.get("body") or ""
        content = text.encode()
        if result.get("isBase64Encoded"):
            content = base64.b64decode(text)
            text = content.decode(errors="replace")
        headers_out = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return Reply(int(result["statusCode"]), headers_out, text, content)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PATCH", path, json_body=json_body, **kwargs)


ORIGIN_SECRET = "origin-secret-of-the-stacks-cloudfront"


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    """The settings the functions are wired with: the environment's, with the tests' own
    visitor secret (which AWS keeps in Secrets Manager) and what the test's
    ``@pytest.mark.settings(name=value)`` changes."""
    marker = request.node.get_closest_marker("settings")
    changes = {"visitor_secret": TEST_VISITOR_SECRET, **(marker.kwargs if marker else {})}
    return replace(Settings.from_env(), **changes)


@pytest.fixture
def functions(aws: Any, clock: FakeClock, settings: Settings) -> LocalFunctions:
    """The functions, wired afresh for each test (warm functions that remember nothing)."""
    return LocalFunctions(settings, clock)


@pytest.fixture
def dispatcher(functions: LocalFunctions) -> Dispatcher:
    return Dispatcher(functions)


@pytest.fixture
def workspace(aws: Any, clock: FakeClock) -> tuple[str, str]:
    return create_workspace("Acme", now=iso(clock.now()))


@pytest.fixture
def api(dispatcher: Dispatcher, workspace: tuple[str, str]) -> Client:
    return Client(dispatcher, workspace[1])


@pytest.fixture
def other_api(dispatcher: Dispatcher, clock: FakeClock) -> Client:
    return Client(dispatcher, create_workspace("Rival", now=iso(clock.now()))[1])


def all_items(client: Any) -> list[dict[str, Any]]:
    """Every item of both tables, to prove that a refused request wrote nothing."""
    items: list[dict[str, Any]] = []
    for name in client.list_tables()["TableNames"]:
        items.extend(client.scan(TableName=name)["Items"])
    return items


JOB = {
    "title": "Webbutvecklare",
    "url": "https://careers.example.se/jobs/123",
    "tags": ["webb"],
    "channels": ["twitter", "linkedin"],
    "ats_id": "TT-123",
}


def stream_pump(
    functions: LocalFunctions,
    batch_size: int | None = None,
    positions: dict[str, str] | None = None,
) -> StreamPump:
    """The events table's stream pump, set as the route table sets the aggregator's event
    source (connected, not started: tests call ``pump_once``); from ``positions`` on, as
    after a restart, if given."""
    [consumer] = [c for c in STREAM_CONSUMERS if c.function == "aggregator"]
    pump = StreamPump(
        functions,
        boto3.client("dynamodb"),
        boto3.client("dynamodbstreams"),
        table_name="jobtrail-events",
        function="aggregator",
        batch_size=batch_size or consumer.batch_size,
        window_seconds=consumer.window_seconds,
        positions=positions,
    )
    pump.connect()
    return pump
