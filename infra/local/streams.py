"""Feeds a table's DynamoDB Streams records to its consumer function in batches, as
Lambda's event source mapping does: in order per shard, with ``eventSourceARN`` added, and
with partial batch failures redelivered from the first failed record (a bounded number of
times, then skipped with a log line, as an on-failure destination would take them).

With a tumbling window, the event carries what Lambda's does (``shardId``, ``window``,
``state``, ``isFinalInvokeForWindow``, ``isWindowTerminatedEarly``), and an answer without
a ``state`` is a failed invocation, as on Lambda."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from infra.local.functions import LocalFunctions

log = logging.getLogger("jobtrail.local.streams")
MAX_ATTEMPTS = 3


class StreamPump:
    def __init__(
        self,
        functions: LocalFunctions,
        dynamodb: Any,
        streams: Any,
        *,
        table_name: str,
        function: str,
        batch_size: int = 100,
        window_seconds: int = 0,
        interval_seconds: float = 0.25,
        positions: dict[str, str] | None = None,
    ) -> None:
        """``positions``: per shard, the sequence number of the last record delivered in
        an earlier run (from a snapshot); the pump goes on after it, so that no record is
        delivered twice or skipped across a restart."""
        self._functions = functions
        self._dynamodb = dynamodb
        self._streams = streams
        self._table_name = table_name
        self._function = function
        self._batch_size = batch_size
        self._window = window_seconds
        self._interval = interval_seconds
        self._iterators: dict[str, str | None] = {}
        self.positions: dict[str, str] = dict(positions or {})
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pump-{function}", daemon=True)
        self.delivered = 0

    @property
    def table_name(self) -> str:
        return self._table_name

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No batch is being delivered inside this block: what the consumer has written
        and ``positions`` agree, for a snapshot."""
        with self._lock:
            yield

    def connect(self) -> None:
        self._stream_arn = self._dynamodb.describe_table(TableName=self._table_name)["Table"][
            "LatestStreamArn"
        ]

    def start(self) -> None:
        self.connect()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = self.pump_once()
            except Exception:
                log.exception("stream pump failed; retrying")
                moved = 0
            if not moved:
                self._stop.wait(self._interval)

    def _shard_iterators(self) -> dict[str, str | None]:
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"][
            "Shards"
        ]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                after = self.positions.get(shard_id)
                where = (
                    {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                    if after
                    else {"ShardIteratorType": "TRIM_HORIZON"}
                )
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard_id, **where
                )["ShardIterator"]
        return self._iterators

    def pump_once(self) -> int:
        """Deliver what is waiting on every shard; answers the number of records."""
        delivered = 0
        with self._lock:
            for shard_id, iterator in list(self._shard_iterators().items()):
                if iterator is None:
                    continue
                page = self._streams.get_records(ShardIterator=iterator, Limit=self._batch_size)
                records = page.get("Records", [])
                if records:
                    self._deliver(shard_id, records)
                    delivered += len(records)
                    self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                self._iterators[shard_id] = page.get("NextShardIterator")
            self.delivered += delivered
        return delivered

    def event(self, shard_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        """The event Lambda would send the function for these records of a shard."""
        event: dict[str, Any] = {"Records": [self._as_lambda_record(r) for r in records]}
        if self._window:
            now = int(datetime.now(UTC).timestamp())
            start = now - now % self._window
            event |= {
                "window": {"start": _iso(start), "end": _iso(start + self._window)},
                "state": {},
                "shardId": shard_id,
                "eventSourceARN": self._stream_arn,
                "isFinalInvokeForWindow": False,
                "isWindowTerminatedEarly": False,
            }
        return event

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        event = self.event(shard_id, records)
        batch = event["Records"]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = self._functions.invoke(self._function, {**event, "Records": batch}) or {}
                if self._window and "state" not in result:
                    raise ValueError("a windowed consumer must answer a state")
            except Exception:
                log.exception("%s failed on a batch of %d", self._function, len(batch))
                failed_from = 0
            else:
                failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
                if not failures:
                    return
                sequence = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
                failed_from = min(sequence.get(f, 0) for f in failures)
            batch = batch[failed_from:]
            log.warning(
                "redelivering %d records of shard %s (attempt %d)", len(batch), shard_id, attempt
            )
        log.error("gave up on %d records of shard %s", len(batch), shard_id)

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        lambda_record = dict(record)
        lambda_record["eventSourceARN"] = self._stream_arn
        stream_data = dict(lambda_record["dynamodb"])
        created = stream_data.get("ApproximateCreationDateTime")
        if hasattr(created, "timestamp"):
            stream_data["ApproximateCreationDateTime"] = int(created.timestamp())
        lambda_record["dynamodb"] = stream_data
        return lambda_record


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
