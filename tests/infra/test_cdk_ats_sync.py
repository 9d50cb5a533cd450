"""The daily import of registered ATS boards: its function, its daily schedule and the
alarm on a board that keeps failing."""

from __future__ import annotations

from cdk_harness import Synthesized, function_ids

from infra.routes import FUNCTIONS, SCHEDULES
from infra.stack import ATS_FAILING_DAYS_TO_ALARM


def test_the_ats_sync_runs_daily(synthesized: Synthesized) -> None:
    # When the stack is synthesized
    function = synthesized.properties(function_ids(synthesized)["ats_sync"])

    # Then the function runs the handler once a day, with the route table's timeout
    assert function["Handler"] == FUNCTIONS["ats_sync"].handler
    assert function["Timeout"] == FUNCTIONS["ats_sync"].timeout_seconds
    [schedule] = [s for s in SCHEDULES if s.function == "ats_sync"]
    assert (schedule.expression, schedule.seconds) == ("rate(1 day)", 86400)
    rules = [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("ScheduleExpression") == "rate(1 day)"
    ]
    assert len(rules) == 1


def test_a_board_failing_days_in_a_row_raises_an_alarm(synthesized: Synthesized) -> None:
    # When the alarms are read
    [alarm] = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ats_boards_failed"
    ]

    # Then a board that failed on two days in a row alarms, not one passing fault
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (
        86400,
        ATS_FAILING_DAYS_TO_ALARM,
        ATS_FAILING_DAYS_TO_ALARM,
    )
    assert alarm["Threshold"] == 0
