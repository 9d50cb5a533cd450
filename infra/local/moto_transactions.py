"""moto rolls a failed transaction back from copies of its tables, and takes the copy of a
table once per item of the transaction: a transaction of 100 items copies the whole table
100 times, so its cost grows with the table times its items (an import of a few hundred
jobs took minutes). ``copy_tables_once_per_transaction`` makes moto copy each table once
per transaction, which is all it keeps anyway: the copies it takes in that loop are equal,
as nothing is written between them. Used by the local runtime and the tests."""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_in_transaction = threading.local()


class _OncePerTable:
    """``copy`` for moto's models module: within a transaction, a table's deep copy is
    taken once and handed out again; every other copy is as before."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def deepcopy(self, value: Any, *args: Any) -> Any:
        copies: dict[int, Any] | None = getattr(_in_transaction, "copies", None)
        if copies is None or not isinstance(value, Table):
            return self._real.deepcopy(value, *args)
        if id(value) not in copies:
            copies[id(value)] = self._real.deepcopy(value, *args)
        return copies[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def copy_tables_once_per_transaction() -> None:
    """Install it in this process (once; again is a no-op)."""
    if isinstance(models.copy, _OncePerTable):
        return
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: Any) -> None:
        _in_transaction.copies = {}
        try:
            original(self, transact_items)
        finally:
            _in_transaction.copies = None

    models.copy = _OncePerTable(models.copy)  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
