"""The scheduled functions of ``SCHEDULES``: an EventBridge rule each, and an alarm when a
run fails (nobody waits for the answer, so nobody else would notice)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.monitoring import Monitoring
from infra.constructs.names import pascal
from infra.routes import SCHEDULES

# The bounds EventBridge accepts for a target's maximum event age, in seconds.
_MIN_EVENT_AGE = 60
_MAX_EVENT_AGE = 24 * 3600


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: list[events.Rule] = []
        for schedule in SCHEDULES:
            function = functions[schedule.function]
            self.rules.append(
                events.Rule(
                    self,
                    f"{pascal(schedule.function)}Schedule",
                    description=f"jobtrail {schedule.function}: {schedule.description}",
                    schedule=events.Schedule.expression(schedule.expression),
                    targets=[
                        targets.LambdaFunction(
                            function,
                            retry_attempts=2,
                            # The next run does the same work; an older event is pointless.
                            max_event_age=Duration.seconds(
                                min(max(schedule.seconds, _MIN_EVENT_AGE), _MAX_EVENT_AGE)
                            ),
                        )
                    ],
                )
            )
            monitoring.alarm_on_errors(
                function,
                name=schedule.function,
                meaning=(
                    f"A scheduled run of {schedule.function} ({schedule.description}) failed. "
                    "Find the error in the function's logs; the next run retries the work."
                ),
            )
