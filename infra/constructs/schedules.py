"""The scheduled functions of ``SCHEDULES``: an EventBridge rule each, and an alarm when
runs fail (nobody waits for the answer, so nobody else would notice)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.monitoring import Monitoring
from infra.constructs.names import pascal
from infra.routes import SCHEDULES, Schedule

# The bounds EventBridge accepts for a target's maximum event age, in seconds.
_MIN_EVENT_AGE = 60
_MAX_EVENT_AGE = 24 * 3600
# The shortest period of an alarm on repeated failures. Lambda retries a failed
# asynchronous invocation twice within a few minutes; with periods at least this long, the
# retries of one failed run fill at most two periods in a row, never three.
_MIN_REPEATED_FAILURE_PERIOD = 5 * 60


def every_minutes(schedule: Schedule, minutes: int) -> Schedule:
    """The route table's ``schedule``, run every ``minutes`` instead."""
    unit = "minute" if minutes == 1 else "minutes"
    return replace(schedule, expression=f"rate({minutes} {unit})", seconds=minutes * 60)


class Schedules(Construct):
    """One rule per ``SCHEDULES`` entry, or per its replacement in ``overrides`` (by function
    name). A schedule alarms on its first failed run, or, when ``failing_runs_to_alarm``
    names it, only on failures in that many of its periods in a row."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        monitoring: Monitoring,
        overrides: Mapping[str, Schedule] | None = None,
        failing_runs_to_alarm: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        overrides = overrides or {}
        failing_runs_to_alarm = failing_runs_to_alarm or {}
        self.rules: list[events.Rule] = []
        self.schedules = tuple(overrides.get(s.function, s) for s in SCHEDULES)
        for schedule in self.schedules:
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
            runs = failing_runs_to_alarm.get(schedule.function, 1)
            if runs == 1:
                monitoring.alarm_on_errors(
                    function,
                    name=schedule.function,
                    meaning=(
                        f"A scheduled run of {schedule.function} ({schedule.description}) "
                        "failed. Find the error in the function's logs; the next run retries "
                        "the work."
                    ),
                )
                continue
            # One period per run (at least five minutes), and errors in each of ``runs``
            # periods in a row: failures of that many runs, not one run and its retries.
            monitoring.alarm_on_errors(
                function,
                name=schedule.function,
                meaning=(
                    f"Scheduled runs of {schedule.function} ({schedule.description}) failed "
                    f"{runs} times in a row. Find the errors in the function's logs: a "
                    "single failure is retried by the next run, this one is not going away."
                ),
                period=Duration.seconds(max(schedule.seconds, _MIN_REPEATED_FAILURE_PERIOD)),
                periods_in_a_row=runs,
            )
