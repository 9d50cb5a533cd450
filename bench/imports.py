"""Importing jobs in bulk (``make bench``): a CSV of 10,000 jobs through the API's
handler under ``moto.mock_aws()``, its rows per second, and the DynamoDB calls it makes.

    python -m bench.imports [--rows N]

The budget (issue 10, "Performance"): batched writes, no more than ceil(rows/25) write
calls per chunk plus conflict checks. New jobs are written in transactions of up to 100
items, each job whole in one: its item and campaign claim, its link's two items, and per
transaction one update of each channel's job counter. A one-channel job is 4 items, so a
transaction carries 24 jobs and their channel's counter (97 items): ceil(rows/24) write
calls, about 4% over ceil(rows/25), the counter's price for staying in the transaction
(a counter written apart from its jobs could drift from them when a run dies between).
Measured and printed: write calls against ceil(rows/25) and against ceil(rows/24) (the
budget this design answers to), the conflict checks (the reads that match rows to jobs),
and a rerun, which must write nothing.

moto keeps a copy of every table for each item of a transaction, to roll it back on a
failure: under it a transaction's cost grows with the table, and 10,000 jobs take hours.
The bench leaves that copy out (its transactions never fail: random slugs and campaigns
made from distinct titles), so it times this code and moto's writes, not moto's
rollback. On DynamoDB a transaction's cost does not depend on the table's size.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.client import BaseClient
from moto import mock_aws
from moto.dynamodb import models as moto_models

# bench.redirect sets the benchmark environment (region, fake credentials, Powertools)
# when it is imported; keep it above infra and jobtrail.
from bench.redirect import Budget, patched, powertools_output_discarded, report_budgets, say, table
from infra.local.dispatch import Dispatcher
from infra.local.dynamodb import create_tables
from infra.local.functions import LocalFunctions
from jobtrail.config import Settings
from jobtrail.domain.times import SYSTEM_CLOCK, iso
from jobtrail.store.workspaces import create_workspace

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class _CopyExceptTables:
    """``copy`` for moto's models module: deepcopy of a whole table is the table itself
    (see the module's docstring); every other copy is a real one."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def deepcopy(self, value: Any, *args: Any) -> Any:
        if isinstance(value, moto_models.Table):
            return value
        return self._real.deepcopy(value, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextmanager
def counted_calls() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    items: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[operation] += 1
        if operation == "TransactWriteItems":
            size = len(params.get("TransactItems", []))
            items["largest transaction"] = max(items["largest transaction"], size)
        return original(self, operation, params)

    with patched(BaseClient, "_make_api_call", counting):
        yield calls
    calls.update({f"({k})": v for k, v in items.items()})


def _csv(rows: int) -> str:
    lines = ["title;url;tags;ats_id;channels"]
    lines += [
        f"Bench job {i};https://careers.example.se/jobs/{i};data;BENCH-{i};twitter"
        for i in range(rows)
    ]
    return "\r\n".join(lines) + "\r\n"


def _import(dispatcher: Dispatcher, key: str, body: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    with powertools_output_discarded():
        reply = dispatcher.request(
            "POST",
            "/api/imports/jobs",
            query="",
            headers={"content-type": "text/csv", "authorization": f"Bearer {key}"},
            body=body,
        )
    took = time.perf_counter() - started
    if int(reply["statusCode"]) != 200:
        raise SystemExit(f"the import answered {reply['statusCode']}: {reply.get('body')}")
    return dict(json.loads(reply["body"])), took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    rows = args.rows
    started = time.perf_counter()
    say(f"Importing {rows:,} one-channel jobs from a CSV (moto, in process)")
    with mock_aws(), patched(moto_models, "copy", _CopyExceptTables(moto_models.copy)):
        create_tables(boto3.client("dynamodb"))
        _, key = create_workspace("Bench", now=iso(SYSTEM_CLOCK.now()))
        dispatcher = Dispatcher(LocalFunctions(Settings.from_env(), SYSTEM_CLOCK))
        body = _csv(rows)
        with counted_calls() as first:
            answer, took = _import(dispatcher, key, body)
        with counted_calls() as again:
            rerun, rerun_took = _import(dispatcher, key, body)
    writes = sum(n for op, n in first.items() if op in WRITES)
    rerun_writes = sum(n for op, n in again.items() if op in WRITES)
    per_25, per_24 = math.ceil(rows / 25), math.ceil(rows / 24)
    say(
        table(
            ["run", "created", "unchanged", "seconds", "rows/s", "calls"],
            [
                [
                    "first",
                    answer["created"],
                    answer["unchanged"],
                    f"{took:.1f}",
                    f"{rows / took:,.0f}",
                    ", ".join(f"{op} {n}" for op, n in sorted(first.items())),
                ],
                [
                    "rerun",
                    rerun["created"],
                    rerun["unchanged"],
                    f"{rerun_took:.1f}",
                    f"{rows / rerun_took:,.0f}",
                    ", ".join(f"{op} {n}" for op, n in sorted(again.items())),
                ],
            ],
        )
    )
    say()
    say(
        f"write calls {writes} for {rows:,} rows: ceil(rows/25) = {per_25}, ceil(rows/24) = "
        f"{per_24} (24 jobs of 4 items and their channel's counter per transaction); "
        f"conflict checks: {first['Query']} queries to match the rows to the workspace's jobs "
        "(the slug and campaign conditions travel in the transactions)."
    )
    say()
    budgets = [
        Budget(
            "every row imported, then unchanged on a rerun",
            f"{answer['created']} created, {rerun['unchanged']} unchanged",
            f"{rows} and {rows}",
            answer["created"] == rows and rerun["unchanged"] == rows,
        ),
        Budget(
            "write calls of the import (transactions of up to 100 items)",
            str(writes),
            f"<= ceil(rows/24) = {per_24} (ceil(rows/25) = {per_25})",
            writes <= per_24,
        ),
        Budget("write calls of the rerun", str(rerun_writes), "0", rerun_writes == 0),
    ]
    return report_budgets(
        budgets,
        started=started,
        parts="bench.imports",
        took=[f"{rows / took:,.0f} rows/s"],
    )


if __name__ == "__main__":
    sys.exit(main())
