"""The stream consumers of ``STREAM_CONSUMERS``: a table's stream feeds a function in
batches; a batch that keeps failing is set aside, never blocks the stream, and raises an
alarm."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.monitoring import Monitoring
from infra.constructs.nag import acknowledge
from infra.constructs.names import pascal
from infra.constructs.tables import Tables
from infra.routes import STREAM_CONSUMERS

RETRY_ATTEMPTS = 5
# A DynamoDB stream keeps records for 24 hours: past that there is nothing left to retry.
MAX_RECORD_AGE = Duration.days(1)
FAILURE_RETENTION = Duration.days(14)
# What an operator does about records a consumer gave up on, said in its alarm.
RECOVERY = {
    "aggregator": "Their clicks are still in the events table: fix the cause, then recount "
    "the days of those clicks with `python -m jobtrail.admin recount --from DAY --to DAY` "
    "(docs/operations.md: Clicks that were not counted) and delete the message.",
}


class StreamConsumers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Tables,
        functions: Mapping[str, lambda_.Function],
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queues: dict[str, sqs.Queue] = {}
        for consumer in STREAM_CONSUMERS:
            name = pascal(consumer.function)
            failures = sqs.Queue(
                self,
                f"{name}Failures",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=FAILURE_RETENTION,
            )
            acknowledge(
                failures,
                "AwsSolutions-SQS3",
                f"This queue is itself the dead-letter destination of the {consumer.function} "
                "stream consumer: it receives the position of batches that failed every retry, "
                "nothing consumes it, and an alarm fires on its first message.",
            )
            functions[consumer.function].add_event_source(
                event_sources.DynamoEventSource(
                    tables.by_logical_id[consumer.table],
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=consumer.batch_size,
                    # The function answers which records failed; the rest are not retried.
                    report_batch_item_failures=True,
                    bisect_batch_on_error=True,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_record_age=MAX_RECORD_AGE,
                    on_failure=event_sources.SqsDlq(failures),
                    # Only with a window does the event name its shard. One batch of a
                    # shard at a time (no parallelization factor): fences per shard
                    # rely on a shard's records being applied in order.
                    tumbling_window=(
                        Duration.seconds(consumer.window_seconds)
                        if consumer.window_seconds
                        else None
                    ),
                    parallelization_factor=1,
                )
            )
            monitoring.alarm_on_messages(
                failures,
                name=f"{consumer.function}Failures",
                meaning=(
                    f"{consumer.function} gave up on records of the {consumer.table} stream "
                    f"after {RETRY_ATTEMPTS} retries or a day: they were not processed. The "
                    "message holds their shard and sequence numbers; the error is in the "
                    "function's logs. " + RECOVERY.get(consumer.function, "")
                ).strip(),
            )
            self.failure_queues[consumer.function] = failures
