"""The events table's stream consumer: turns batches of clicks into counters.

Powertools' BatchProcessor reads each record (a record that is not a countable click is
reported failed, alone); the clicks of the batch are added up in memory, then written as
one update per distinct counter (``store.counters.apply_batch``), exactly once even when
Lambda delivers the batch again. If the writes fail, the whole batch is reported failed
from its first record, and the retry finishes what was not written.

The event source has a tumbling window for one reason: only then does Lambda's event name
the shard (``shardId``) the batch comes from, and the counters are fenced per shard. The
window's ``state`` is not used (every batch is written when it comes, so stats stay fresh),
but Lambda requires one in every answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.config import Settings
from jobtrail.domain.counters import BatchPlan, Tails, read_click
from jobtrail.domain.times import Clock
from jobtrail.observability import logger, metrics
from jobtrail.store.counters import apply_batch
from jobtrail.store.models import use_tables
from jobtrail.tracing import tracer
from jobtrail.wiring import Handler, entry_point


def build(settings: Settings, clock: Clock) -> Handler:
    use_tables(settings.main_table, settings.events_table)
    processor = BatchProcessor(
        event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
    )
    # What this container knows of the day items' long tails (domain.counters.Tails).
    tails = Tails()

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return count_batch(event, context, processor, clock, tails)

    return lambda_handler


def count_batch(
    event: dict[str, Any],
    context: LambdaContext,
    processor: BatchProcessor,
    clock: Clock,
    tails: Tails | None = None,
) -> dict[str, Any]:
    shard = event.get("shardId")
    if not shard:
        raise ValueError(
            "the event names no shardId: the aggregator's event source needs a tumbling "
            "window (infra/constructs/streams.py)"
        )
    records = event.get("Records") or []
    if not records:
        return {"batchItemFailures": [], "state": {}}
    now = clock.now()
    tails = tails if tails is not None else Tails()
    tails.forget_before((now.date() - timedelta(days=1)).isoformat())
    plan = BatchPlan(today=now.date().isoformat(), tails=tails)

    def count(record: DynamoDBRecord) -> None:
        if record.event_name != DynamoDBRecordEventName.INSERT:
            return  # TTL expiries and the like: nothing to count
        stream = record.dynamodb
        if stream is None or stream.new_image is None or stream.sequence_number is None:
            raise ValueError("the record carries no new image")
        plan.count(read_click(stream.new_image, stream.sequence_number))

    with processor(records=records, handler=count, lambda_context=context):
        processor.process()
    failed: list[DynamoDBRecord] = list(processor.fail_messages)  # type: ignore[arg-type]
    if failed:
        metrics.add_metric(name="click_records_failed", unit=MetricUnit.Count, value=len(failed))
        logger.error("click records not counted", extra={"event_ids": [r.event_id for r in failed]})
    try:
        writes = apply_batch(plan, str(shard), now=now)
    except Exception:
        logger.exception("counters not written; the batch will be retried")
        first = records[0]["dynamodb"]["SequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": first}], "state": {}}
    metrics.add_metric(name="clicks_counted", unit=MetricUnit.Count, value=plan.clicks)
    metrics.add_metric(name="counter_writes", unit=MetricUnit.Count, value=writes)
    return {**processor.response(), "state": {}}


lambda_handler = entry_point(build)
