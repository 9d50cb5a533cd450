"""Alarms on what would otherwise fail silently: background work nobody is waiting for."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.names import pascal
from jobtrail.config import METRICS_NAMESPACE, SERVICE_NAME

FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    """Makes the stack's alarms; each notifies ``alarm_topic_arn`` when one is given."""

    def __init__(
        self, scope: Construct, construct_id: str, *, alarm_topic_arn: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        self._action = (
            cloudwatch_actions.SnsAction(
                sns.Topic.from_topic_arn(self, "AlarmTopic", alarm_topic_arn)
            )
            if alarm_topic_arn
            else None
        )

    def _add(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        if self._action is not None:
            alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def alarm_on_messages(self, queue: sqs.IQueue, *, name: str, meaning: str) -> cloudwatch.Alarm:
        """Any message in a queue that should stay empty (a failure destination)."""
        return self._add(
            cloudwatch.Alarm(
                self,
                f"{pascal(name)}Alarm",
                alarm_description=meaning,
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def _any_count(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        meaning: str,
        periods_in_a_row: int,
    ) -> cloudwatch.Alarm:
        """A sum above zero in each of ``periods_in_a_row`` consecutive periods. A period
        without data (nothing ran) counts as fine and ends the row."""
        return self._add(
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=meaning,
                metric=metric,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=periods_in_a_row,
                # Left out for a single period, where it is the same.
                datapoints_to_alarm=periods_in_a_row if periods_in_a_row > 1 else None,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def alarm_on_any(
        self,
        metric: cloudwatch.IMetric,
        *,
        name: str,
        meaning: str,
        periods_in_a_row: int = 1,
    ) -> cloudwatch.Alarm:
        """Any count of a metric (or a sum of metrics) that should stay at zero."""
        return self._any_count(
            f"{pascal(name)}Alarm", metric, meaning=meaning, periods_in_a_row=periods_in_a_row
        )

    def alarm_on_errors(
        self,
        function: lambda_.IFunction,
        *,
        name: str,
        meaning: str,
        period: Duration = FIVE_MINUTES,
        periods_in_a_row: int = 1,
    ) -> cloudwatch.Alarm:
        """Failed invocations of a function no user is waiting on: by default the first one;
        with ``periods_in_a_row``, only failures in that many consecutive periods."""
        return self._any_count(
            f"{pascal(name)}ErrorsAlarm",
            function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
            meaning=meaning,
            periods_in_a_row=periods_in_a_row,
        )

    def alarm_on_metric(
        self,
        metric_name: str,
        *,
        meaning: str,
        period: Duration = FIVE_MINUTES,
        periods_in_a_row: int = 1,
    ) -> cloudwatch.Alarm:
        """Any count of one of the functions' own metrics (Powertools EMF, namespace and
        service ``jobtrail``) that should stay at zero; with ``periods_in_a_row``, only
        counts in that many consecutive periods."""
        return self._any_count(
            f"{pascal(metric_name)}Alarm",
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"service": SERVICE_NAME},
                period=period,
                statistic=cloudwatch.Stats.SUM,
            ),
            meaning=meaning,
            periods_in_a_row=periods_in_a_row,
        )
