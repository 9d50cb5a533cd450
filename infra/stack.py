"""The jobtrail stack: tables, functions, the HTTP API, the stream consumer, the schedule
and their alarms, composed from one construct per capability. What a company may set is
read from CDK context by ``DeploymentSettings`` (documented in ``infra.app``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, Node

from infra.bundling import lambda_code
from infra.constructs.api import CustomDomain, HttpEndpoint
from infra.constructs.functions import Functions
from infra.constructs.monitoring import Monitoring
from infra.constructs.schedules import Schedules
from infra.constructs.streams import StreamConsumers
from infra.constructs.tables import Tables
from jobtrail.config import DEFAULT_RETENTION_DAYS

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")


class SettingsError(ValueError):
    """A context value a company set is not usable; the message says which and why."""


def _text(node: Node, key: str) -> str | None:
    value: Any = node.try_get_context(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SettingsError(f"context {key!r} must be a string, got {value!r}")
    return value.strip()


@dataclass(frozen=True)
class DeploymentSettings:
    short_base_url: str | None = None  # None: the API's own URL (or the custom domain's)
    retention_days: int = DEFAULT_RETENTION_DAYS
    custom_domain: CustomDomain | None = None
    alarm_topic_arn: str | None = None

    @classmethod
    def from_context(cls, node: Node) -> DeploymentSettings:
        short_base_url = _text(node, "shortBaseUrl")
        if short_base_url is not None:
            parts = urlsplit(short_base_url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.query
                or parts.fragment
                or parts.username
            ):
                raise SettingsError(
                    "context 'shortBaseUrl' must be an absolute http(s) URL without query, "
                    f"fragment or user-info, like https://go.example.com; got {short_base_url!r}"
                )
            short_base_url = short_base_url.rstrip("/")

        raw_retention: Any = node.try_get_context("retentionDays")
        retention_days = DEFAULT_RETENTION_DAYS
        if raw_retention is not None and raw_retention != "":
            try:
                retention_days = int(str(raw_retention))
            except ValueError:
                retention_days = 0
            if not 1 <= retention_days <= 3650:
                raise SettingsError(
                    "context 'retentionDays' must be a whole number of days from 1 to 3650; "
                    f"got {raw_retention!r}"
                )

        domain_name = _text(node, "customDomain")
        certificate_arn = _text(node, "certificateArn")
        custom_domain = None
        if domain_name is not None or certificate_arn is not None:
            if domain_name is None or certificate_arn is None:
                raise SettingsError(
                    "contexts 'customDomain' and 'certificateArn' go together: the domain "
                    "needs an ACM certificate for it in the stack's region"
                )
            if not _DOMAIN.match(domain_name.lower()):
                raise SettingsError(
                    f"context 'customDomain' must be a host name like go.example.com; "
                    f"got {domain_name!r}"
                )
            if not _CERTIFICATE_ARN.match(certificate_arn):
                raise SettingsError(
                    f"context 'certificateArn' must be an ACM certificate ARN; "
                    f"got {certificate_arn!r}"
                )
            custom_domain = CustomDomain(domain_name.lower(), certificate_arn)

        alarm_topic_arn = _text(node, "alarmTopicArn")
        if alarm_topic_arn is not None and not _TOPIC_ARN.match(alarm_topic_arn):
            raise SettingsError(
                f"context 'alarmTopicArn' must be an SNS topic ARN; got {alarm_topic_arn!r}"
            )

        return cls(
            short_base_url=short_base_url,
            retention_days=retention_days,
            custom_domain=custom_domain,
            alarm_topic_arn=alarm_topic_arn,
        )


class JobtrailStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.tables = Tables(self, "Tables")
        self.api = HttpEndpoint(
            self, "Api", log_retention=LOG_RETENTION, custom_domain=settings.custom_domain
        )
        self.short_base_url = self._short_base_url()
        self.functions = Functions(
            self,
            "Functions",
            code=code or lambda_code(),
            tables=self.tables,
            environment={
                "SHORT_BASE_URL": self.short_base_url,
                "CLICK_RETENTION_DAYS": str(settings.retention_days),
            },
            log_retention=LOG_RETENTION,
        )
        self.api.add_routes(self.functions.by_name)
        self.monitoring = Monitoring(self, "Monitoring", alarm_topic_arn=settings.alarm_topic_arn)
        self.monitoring.alarm_on_metric(
            "clicks_not_recorded",
            meaning="Redirects whose click could not be written: replay them from the "
            "redirect's log with `python -m jobtrail.admin replay-clicks`.",
        )
        self.monitoring.alarm_on_metric(
            "link_lookups_failed",
            meaning="Redirects answered 503 because a link could not be read.",
        )
        self.monitoring.alarm_on_metric(
            "click_records_failed",
            meaning="Click records the aggregator could not count (see its log).",
        )
        self.streams = StreamConsumers(
            self,
            "Streams",
            tables=self.tables,
            functions=self.functions.by_name,
            monitoring=self.monitoring,
        )
        self.schedules = Schedules(
            self, "Schedules", functions=self.functions.by_name, monitoring=self.monitoring
        )
        self._outputs()

    def _short_base_url(self) -> str:
        if self.settings.short_base_url is not None:
            return self.settings.short_base_url
        if self.settings.custom_domain is not None:
            return f"https://{self.settings.custom_domain.name}"
        return self.api.endpoint

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.url, description="The HTTP API's own URL")
        CfnOutput(
            self,
            "ShortBaseUrl",
            value=self.short_base_url,
            description="The base of every short link (SHORT_BASE_URL)",
        )
        for logical_id, table in self.tables.by_logical_id.items():
            CfnOutput(
                self,
                f"{logical_id}Name",
                value=table.table_name,
                description=f"The DynamoDB table of {self.tables.specs[logical_id].env_var}",
            )
        if self.api.domain is not None:
            CfnOutput(
                self,
                "CustomDomainTarget",
                value=self.api.domain.regional_domain_name,
                description=(
                    "Point the custom domain here: a CNAME, or a Route 53 alias with the "
                    "hosted zone CustomDomainHostedZoneId"
                ),
            )
            CfnOutput(
                self,
                "CustomDomainHostedZoneId",
                value=self.api.domain.regional_hosted_zone_id,
            )
