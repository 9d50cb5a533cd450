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

    def alarm_on_errors(
        self, function: lambda_.IFunction, *, name: str, meaning: str
    ) -> cloudwatch.Alarm:
        """Any failed invocation of a function no user is waiting on."""
        return self._add(
            cloudwatch.Alarm(
                self,
                f"{pascal(name)}ErrorsAlarm",
                alarm_description=meaning,
                metric=function.metric_errors(
                    period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def alarm_on_metric(self, metric_name: str, *, meaning: str) -> cloudwatch.Alarm:
        """Any count of one of the functions' own metrics (Powertools EMF, namespace and
        service ``jobtrail``) that should stay at zero."""
        return self._add(
            cloudwatch.Alarm(
                self,
                f"{pascal(metric_name)}Alarm",
                alarm_description=meaning,
                metric=cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name=metric_name,
                    dimensions_map={"service": SERVICE_NAME},
                    period=Duration.minutes(5),
                    statistic=cloudwatch.Stats.SUM,
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
