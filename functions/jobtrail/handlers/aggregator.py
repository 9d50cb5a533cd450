"""The events table's stream consumer: turns batches of clicks into counters.

Powertools' BatchProcessor reads each record (a record that is not a countable click is
reported failed, alone); the clicks of the batch are added up in memory, then written as
one update per distinct counter (``store.counters.apply_batch``), exactly once even when
Lambda delivers the batch again. If the writes fail, the whole batch is reported failed
from its first record, and the retry finishes what was not written.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.domain.counters import BatchPlan, read_click
from jobtrail.domain.times import utc_now
from jobtrail.observability import logger, metrics
from jobtrail.store.counters import apply_batch
from jobtrail.tracing import tracer

processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    if not records:
        return {"batchItemFailures": []}
    plan = BatchPlan()

    def count(record: DynamoDBRecord) -> None:
        if record.event_name != DynamoDBRecordEventName.INSERT:
            return  # TTL expiries and the like: nothing to count
        stream = record.dynamodb
        if stream is None or stream.new_image is None or stream.sequence_number is None:
            raise ValueError("the record carries no new image")
        plan.count(read_click(stream.new_image, stream.sequence_number))

    with processor(records=records, handler=count, lambda_context=context):
        processor.process()
    # Failures come in record order; Lambda retries from the first one, so what this batch
    # counts is fenced under that record's id too.
    failed: list[DynamoDBRecord] = list(processor.fail_messages)  # type: ignore[arg-type]
    tokens = [str(records[0]["eventID"])]
    if failed:
        tokens.append(str(failed[0].event_id))
        metrics.add_metric(name="click_records_failed", unit=MetricUnit.Count, value=len(failed))
        logger.error("click records not counted", extra={"event_ids": [r.event_id for r in failed]})
    try:
        writes = apply_batch(plan, tokens, now=utc_now())
    except Exception:
        logger.exception("counters not written; the batch will be retried")
        first = records[0]["dynamodb"]["SequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": first}]}
    metrics.add_metric(name="clicks_counted", unit=MetricUnit.Count, value=plan.clicks)
    metrics.add_metric(name="counter_writes", unit=MetricUnit.Count, value=writes)
    return processor.response()
