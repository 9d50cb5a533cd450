"""What each function's code really asks of DynamoDB, recorded while the integration tests
run, and checked against what its role grants (``infra.routes.FUNCTIONS``: ``table_actions``
and ``key_scopes``, which the CDK tests prove the roles grant exactly).

Every botocore call is seen (PynamoDB and boto3 both end in ``BaseClient._make_api_call``)
and laid to the function being invoked through ``LocalFunctions.invoke``; calls made by a
test itself (setting up a workspace, reading the tables) belong to no function and are not
recorded. A call is named by the IAM actions it needs: a transaction by the action of each
of its items, as IAM authorizes it. Only what was recorded is checked, so any subset of the
tests may run: an action no test made is simply not looked at.

This module is also the pytest plugin that checks (registered in ``tests/conftest.py``, so
that the controller of pytest-xdist has it too); the integration tests' ``dynamodb_calls``
fixture installs the recorder."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from typing import Any

import pytest
from botocore.client import BaseClient

from infra.local.functions import LocalFunctions
from infra.routes import EVENTS, FUNCTIONS, MAIN
from jobtrail.store.tables import TABLES

# A transaction's items, by the IAM action each needs.
_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class Call:
    function: str
    action: str  # the IAM action, e.g. dynamodb:PutItem
    table: str  # the table's logical id (MainTable), or its name if unknown
    leading_key: str | None  # the item's partition key, when the call names one item


def _partition_key(table: str, item: dict[str, Any] | None) -> str | None:
    spec = next((spec for spec in TABLES if spec.logical_id == table), None)
    if spec is None or not item:
        return None
    value = item.get(spec.partition_key.name) or {}
    return next(iter(value.values()), None) if isinstance(value, dict) else None


def calls_of(
    function: str, operation: str, params: dict[str, Any], tables: dict[str, str]
) -> list[Call]:
    """The IAM actions of one DynamoDB operation; ``tables`` maps names to logical ids."""

    def call(action: str, table_name: str, item: dict[str, Any] | None = None) -> Call:
        table = tables.get(table_name, table_name)
        return Call(function, f"dynamodb:{action}", table, _partition_key(table, item))

    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            call(
                _TRANSACT_ITEM_ACTIONS[kind], body["TableName"], body.get("Key") or body.get("Item")
            )
            for entry in params.get("TransactItems", [])
            for kind, body in entry.items()
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [call(operation, name) for name in params.get("RequestItems", {})]
    if "TableName" not in params:
        return [Call(function, f"dynamodb:{operation}", "*", None)]
    return [call(operation, params["TableName"], params.get("Key") or params.get("Item"))]


def violations(calls: set[Call]) -> list[str]:
    """What the recorded calls did that the functions' roles do not allow: a sentence per
    function, table and action (naming a few of the items, for a key scope)."""
    refused: dict[tuple[str, str, str], set[str]] = {}
    for call in calls:
        spec = FUNCTIONS[call.function]
        where = (call.function, call.table, call.action)
        if call.action not in spec.table_actions.get(call.table, ()):
            refused.setdefault(where, set())
            continue
        scope = spec.key_scopes.get(call.table)
        if scope is None or call.action not in scope.actions:
            continue
        if call.leading_key is None or not any(
            fnmatch.fnmatchcase(call.leading_key, pattern) for pattern in scope.leading_keys
        ):
            refused.setdefault(where, set()).add(str(call.leading_key))
    found = []
    for (function, table, action), keys in sorted(refused.items()):
        if not keys:
            found.append(
                f"{function} called {action} on {table}, which its role "
                "(infra/routes.py table_actions) does not grant"
            )
            continue
        scope = FUNCTIONS[function].key_scopes[table]
        found.append(
            f"{function} called {action} on {table} for items outside its key scope "
            f"{list(scope.leading_keys)}: {', '.join(sorted(keys)[:3])}"
            + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        )
    return found


class Recorder:
    """Records the DynamoDB calls of the functions while ``installed``."""

    def __init__(self) -> None:
        self.calls: set[Call] = set()
        self._current = threading.local()
        self._lock = threading.Lock()
        # Table names to logical ids: the defaults, then those of the functions invoked.
        self._tables = {spec.default_name: spec.logical_id for spec in TABLES}

    def _function(self) -> str | None:
        stack: list[str] = getattr(self._current, "stack", [])
        return stack[-1] if stack else None

    @contextmanager
    def installed(self) -> Iterator[None]:
        recorder = self
        original_call: Callable[..., Any] = BaseClient._make_api_call
        original_invoke = LocalFunctions.invoke

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            function = recorder._function()
            if function is not None and client.meta.service_model.service_name == "dynamodb":
                recorder._record(function, operation, params)
            return original_call(client, operation, params)

        def invoke(functions: LocalFunctions, name: str, event: Any | None = None) -> Any:
            stack = recorder._current.__dict__.setdefault("stack", [])
            stack.append(name)
            recorder._tables.update(
                {
                    functions.settings.main_table: MAIN,
                    functions.settings.events_table: EVENTS,
                }
            )
            try:
                return original_invoke(functions, name, event)
            finally:
                stack.pop()

        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        LocalFunctions.invoke = invoke  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseClient._make_api_call = original_call  # type: ignore[method-assign]
            LocalFunctions.invoke = original_invoke  # type: ignore[method-assign]

    def _record(self, function: str, operation: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.calls.update(calls_of(function, operation, params, self._tables))

    def summary(self) -> dict[str, dict[str, list[str]]]:
        """Per function and table, the actions recorded."""
        result: dict[str, dict[str, set[str]]] = {}
        for call in self.calls:
            result.setdefault(call.function, {}).setdefault(call.table, set()).add(call.action)
        return {
            function: {table: sorted(actions) for table, actions in sorted(tables.items())}
            for function, tables in sorted(result.items())
        }


RECORDER = Recorder()
_CALLS_KEY = "jobtrail/dynamodb-calls"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fails the session when a function called DynamoDB beyond its role; writes what each
    called to pytest's cache (``pytest --cache-show 'jobtrail/*'`` prints it). A worker of
    pytest-xdist hands its calls to the controller, which checks them all."""
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output[_CALLS_KEY] = [astuple(call) for call in RECORDER.calls]
        return
    if not RECORDER.calls:
        return
    cache = getattr(session.config, "cache", None)
    if cache is not None:
        cache.set(_CALLS_KEY, RECORDER.summary())
    if violations(RECORDER.calls) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker is done; its calls join the controller's."""
    calls = getattr(node, "workeroutput", {}).get(_CALLS_KEY, [])
    RECORDER.calls.update(Call(*fields) for fields in calls)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    found = violations(RECORDER.calls)
    if found:
        terminalreporter.section("DynamoDB calls beyond the functions' roles", red=True)
        for sentence in found:
            terminalreporter.write_line(sentence)
    elif RECORDER.calls:
        functions = len(RECORDER.summary())
        terminalreporter.write_line(
            f"DynamoDB calls of {functions} functions recorded: each within its role"
        )
