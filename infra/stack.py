"""The jobtrail stack: tables, functions, the HTTP API, the stream consumer, the schedules,
the share sources' secrets and their alarms, composed from one construct per capability.
What a company may set is read from CDK context by ``DeploymentSettings`` (documented in
``infra.app``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, Node

from infra.bundling import lambda_code
from infra.constructs.api import CustomDomain, HttpEndpoint, Throttle
from infra.constructs.edge import CLOUDFRONT_HOSTED_ZONE_ID, Edge
from infra.constructs.functions import Functions
from infra.constructs.monitoring import Monitoring
from infra.constructs.schedules import Schedules, every_minutes
from infra.constructs.secrets import SourceSecrets, VisitorSecret
from infra.constructs.streams import StreamConsumers
from infra.constructs.tables import Ceiling, Tables
from infra.routes import FUNCTIONS, SCHEDULES
from jobtrail.config import DEFAULT_MAX_REQUESTS, DEFAULT_RETENTION_DAYS, METRICS_NAMESPACE
from jobtrail.sources.config import DEFAULT_BLUESKY_API, DEFAULT_X_API

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$")
# CloudFront takes its certificates from this region only.
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
_ORIGIN_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")
# A secret's complete ARN ends in the six characters Secrets Manager adds to its name.
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$"
)

# The function that polls X and Bluesky: its schedule, secrets and settings are its own.
POLLER = FUNCTIONS["poller"].name
# The function that records clicks: the only one that reads the visitor secret.
REDIRECT = FUNCTIONS["redirect"].name
# Without ``pollMinutes`` the route table's schedule applies (every 15 minutes).
POLLER_SCHEDULE = next(schedule for schedule in SCHEDULES if schedule.function == POLLER)
# Failing runs in a row that raise the poller's alarm: one failure (X or Bluesky down for a
# moment) is retried by the next run, which resumes where the failed one stopped.
POLLER_FAILING_RUNS_TO_ALARM = 3
# Days in a row a registered ATS board fails before its alarm: one failure (the ATS down
# for a moment) is retried by the next day's run.
ATS_FAILING_DAYS_TO_ALARM = 2

# What the stack lets through before it throttles, unless the company sets otherwise. The
# stage's limit is every route's: a viral job's redirects (1,000 clicks a second and its
# bursts) pass. The management API, used by a few recruiters, gets far less, so that a
# flood there cannot take what the redirect needs. Each table may use at most so many
# request units a second on demand: four times a viral job's, and a bound on the bill.
DEFAULT_API_THROTTLE = Throttle(rate=1000, burst=2000)
DEFAULT_MANAGEMENT_THROTTLE = Throttle(rate=50, burst=100)
DEFAULT_TABLE_CEILING = Ceiling(read_units=4000, write_units=4000)
# API Gateway's and DynamoDB's own account-level quotas, the most a context may ask.
MAX_API_RATE = 10_000
MAX_API_BURST = 5_000
MAX_TABLE_UNITS = 40_000


class SettingsError(ValueError):
    """A context value a company set is not usable; the message says which and why."""


def _text(node: Node, key: str) -> str | None:
    value: Any = node.try_get_context(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SettingsError(f"context {key!r} must be a string, got {value!r}")
    return value.strip()


def _whole_number(node: Node, key: str, low: int, high: int, unit: str) -> int | None:
    """A whole number from ``low`` to ``high`` (a string on the command line), or None."""
    raw: Any = node.try_get_context(key)
    if raw is None or raw == "":
        return None
    try:
        number = int(str(raw))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise SettingsError(
            f"context {key!r} must be a whole number of {unit} from {low} to {high}; got {raw!r}"
        )
    return number


def _base_url(node: Node, key: str, *, schemes: tuple[str, ...], example: str) -> str | None:
    """An absolute URL without query, fragment or user-info, without its trailing slash."""
    url = _text(node, key)
    if url is None:
        return None
    parts = urlsplit(url)
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
    ):
        kind = "/".join(schemes)
        raise SettingsError(
            f"context {key!r} must be an absolute {kind} URL without query, fragment or "
            f"user-info, like {example}; got {url!r}"
        )
    return url.rstrip("/")


def _switch(node: Node, key: str) -> bool | None:
    raw: Any = node.try_get_context(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in ("true", "false"):
        return str(raw).strip().lower() == "true"
    raise SettingsError(f"context {key!r} must be true or false; got {raw!r}")


def _throttle(node: Node, prefix: str, default: Throttle) -> Throttle:
    rate = _whole_number(node, f"{prefix}RateLimit", 1, MAX_API_RATE, "requests a second")
    burst = _whole_number(node, f"{prefix}BurstLimit", 1, MAX_API_BURST, "requests")
    return Throttle(
        rate=default.rate if rate is None else rate,
        burst=default.burst if burst is None else burst,
    )


def _certificate_region(arn: str) -> str:
    return arn.split(":")[3]


def _secret_arn(node: Node, key: str) -> str | None:
    arn = _text(node, key)
    if arn is not None and not _SECRET_ARN.match(arn):
        raise SettingsError(
            f"context {key!r} must be a secret's complete ARN, with the six characters "
            "Secrets Manager adds to its name (`aws secretsmanager describe-secret` shows "
            f"it), like arn:aws:secretsmanager:eu-north-1:123456789012:secret:x-token-a1B2c3; "
            f"got {arn!r}"
        )
    return arn


@dataclass(frozen=True)
class DeploymentSettings:
    short_base_url: str | None = None  # None: the API's own URL (or the custom domain's)
    retention_days: int = DEFAULT_RETENTION_DAYS
    custom_domain: CustomDomain | None = None
    alarm_topic_arn: str | None = None
    poll_minutes: int | None = None  # None: the route table's schedule of the poller
    x_api_base_url: str = DEFAULT_X_API
    bluesky_api_base_url: str = DEFAULT_BLUESKY_API
    x_max_requests_per_run: int = DEFAULT_MAX_REQUESTS
    # Existing secrets to use instead of the ones the stack creates.
    x_bearer_token_secret_arn: str | None = None
    bluesky_secret_arn: str | None = None
    # CloudFront in front of the custom domain (the default with one), its certificate (in
    # us-east-1) and the origin secret (None: generated in Secrets Manager).
    cdn: bool = False
    cdn_certificate_arn: str | None = None
    origin_secret: str | None = None
    api_throttle: Throttle = DEFAULT_API_THROTTLE
    management_throttle: Throttle = DEFAULT_MANAGEMENT_THROTTLE
    table_ceiling: Ceiling = DEFAULT_TABLE_CEILING

    @classmethod
    def from_context(cls, node: Node) -> DeploymentSettings:
        short_base_url = _base_url(
            node, "shortBaseUrl", schemes=("http", "https"), example="https://go.example.com"
        )
        retention_days = _whole_number(node, "retentionDays", 1, 3650, "days")

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

        max_requests = _whole_number(node, "xMaxRequestsPerRun", 1, 1000, "requests")
        # The tokens travel in headers: the networks' APIs are reached over HTTPS only.
        x_api_base_url = _base_url(node, "xApiBaseUrl", schemes=("https",), example=DEFAULT_X_API)
        bluesky_api_base_url = _base_url(
            node, "blueskyApiBaseUrl", schemes=("https",), example=DEFAULT_BLUESKY_API
        )

        cdn = _switch(node, "cdn")
        cdn = custom_domain is not None if cdn is None else cdn
        cdn_certificate_arn = _text(node, "cdnCertificateArn")
        origin_secret = _text(node, "originSecret")
        if cdn:
            cdn_certificate_arn = _cdn_certificate(custom_domain, cdn_certificate_arn)
        elif cdn_certificate_arn is not None or origin_secret is not None:
            raise SettingsError(
                "contexts 'cdnCertificateArn' and 'originSecret' are for CloudFront, which "
                "needs 'customDomain' (and 'cdn' not false)"
            )
        if origin_secret is not None and not _ORIGIN_SECRET.match(origin_secret):
            raise SettingsError(
                "context 'originSecret' must be 32 to 128 letters, digits, '-' or '_' "
                "(a random value: `openssl rand -hex 32`)"
            )

        api_throttle = _throttle(node, "api", DEFAULT_API_THROTTLE)
        management_throttle = _throttle(node, "management", DEFAULT_MANAGEMENT_THROTTLE)
        if (
            management_throttle.rate > api_throttle.rate
            or management_throttle.burst > api_throttle.burst
        ):
            raise SettingsError(
                "contexts 'managementRateLimit' and 'managementBurstLimit' must not be above "
                f"'apiRateLimit' and 'apiBurstLimit' ({api_throttle.rate} and "
                f"{api_throttle.burst}): the stage's limit bounds every route"
            )
        read_units = _whole_number(node, "tableMaxReadUnits", 1, MAX_TABLE_UNITS, "read units")
        write_units = _whole_number(node, "tableMaxWriteUnits", 1, MAX_TABLE_UNITS, "write units")

        return cls(
            cdn=cdn,
            cdn_certificate_arn=cdn_certificate_arn,
            origin_secret=origin_secret,
            api_throttle=api_throttle,
            management_throttle=management_throttle,
            table_ceiling=Ceiling(
                read_units=DEFAULT_TABLE_CEILING.read_units if read_units is None else read_units,
                write_units=(
                    DEFAULT_TABLE_CEILING.write_units if write_units is None else write_units
                ),
            ),
            short_base_url=short_base_url,
            retention_days=DEFAULT_RETENTION_DAYS if retention_days is None else retention_days,
            custom_domain=custom_domain,
            alarm_topic_arn=alarm_topic_arn,
            poll_minutes=_whole_number(node, "pollMinutes", 1, 1440, "minutes"),
            x_api_base_url=x_api_base_url or DEFAULT_X_API,
            bluesky_api_base_url=bluesky_api_base_url or DEFAULT_BLUESKY_API,
            x_max_requests_per_run=DEFAULT_MAX_REQUESTS if max_requests is None else max_requests,
            x_bearer_token_secret_arn=_secret_arn(node, "xBearerTokenSecretArn"),
            bluesky_secret_arn=_secret_arn(node, "blueskySecretArn"),
        )


def _cdn_certificate(custom_domain: CustomDomain | None, given: str | None) -> str:
    """The certificate CloudFront serves the custom domain with: ``cdnCertificateArn``, else
    the custom domain's own when that is in us-east-1."""
    if custom_domain is None:
        raise SettingsError(
            "context 'cdn' needs 'customDomain': CloudFront reaches the API by its custom "
            "domain, the API's own execute-api address does not answer for another host name"
        )
    if given is not None:
        if (
            not _CERTIFICATE_ARN.match(given)
            or _certificate_region(given) != CLOUDFRONT_CERTIFICATE_REGION
        ):
            raise SettingsError(
                "context 'cdnCertificateArn' must be an ACM certificate ARN in us-east-1, "
                f"where CloudFront takes its certificates; got {given!r}"
            )
        return given
    if _certificate_region(custom_domain.certificate_arn) == CLOUDFRONT_CERTIFICATE_REGION:
        return custom_domain.certificate_arn
    raise SettingsError(
        "context 'cdnCertificateArn' is needed: CloudFront serves the custom domain with a "
        "certificate in us-east-1, and 'certificateArn' is in "
        f"{_certificate_region(custom_domain.certificate_arn)}. Request one for "
        f"{custom_domain.name} there, or deploy with -c cdn=false"
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
        self.tables = Tables(self, "Tables", ceiling=settings.table_ceiling)
        self.api = HttpEndpoint(
            self,
            "Api",
            log_retention=LOG_RETENTION,
            throttle=settings.api_throttle,
            management_throttle=settings.management_throttle,
            custom_domain=settings.custom_domain,
            disable_execute_api_endpoint=settings.custom_domain is not None,
        )
        self.edge: Edge | None = None
        if settings.cdn:
            assert settings.custom_domain is not None
            assert settings.cdn_certificate_arn
            self.edge = Edge(
                self,
                "Edge",
                api=self.api,
                domain=settings.custom_domain,
                certificate_arn=settings.cdn_certificate_arn,
                origin_secret=settings.origin_secret,
            )
        self.short_base_url = self._short_base_url()
        self.source_secrets = SourceSecrets(
            self,
            "SourceSecrets",
            x_bearer_token_arn=settings.x_bearer_token_secret_arn,
            bluesky_login_arn=settings.bluesky_secret_arn,
        )
        self.visitor_secret = VisitorSecret(self, "VisitorSecret")
        self.functions = Functions(
            self,
            "Functions",
            code=code or lambda_code(),
            tables=self.tables,
            environment={
                "SHORT_BASE_URL": self.short_base_url,
                "CLICK_RETENTION_DAYS": str(settings.retention_days),
            },
            # The redirect believes a request's country only with the origin secret that
            # CloudFront adds; without CloudFront it has none, and clicks have no country.
            function_environment={
                POLLER: self._poller_environment(),
                REDIRECT: {
                    **self.visitor_secret.environment(),
                    **(self.edge.redirect_environment() if self.edge else {}),
                },
            },
            log_retention=LOG_RETENTION,
        )
        # Only the poller reads the networks' credentials.
        self.source_secrets.grant_read(self.functions.roles[POLLER])
        # Only the redirect hashes visitors.
        self.visitor_secret.grant_read(self.functions.roles[REDIRECT])
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
        self._alarm_on_throttling()
        self.streams = StreamConsumers(
            self,
            "Streams",
            tables=self.tables,
            functions=self.functions.by_name,
            monitoring=self.monitoring,
        )
        poller_schedule = (
            POLLER_SCHEDULE
            if settings.poll_minutes is None
            else every_minutes(POLLER_SCHEDULE, settings.poll_minutes)
        )
        self.schedules = Schedules(
            self,
            "Schedules",
            functions=self.functions.by_name,
            monitoring=self.monitoring,
            overrides={POLLER: poller_schedule},
            failing_runs_to_alarm={POLLER: POLLER_FAILING_RUNS_TO_ALARM},
        )
        # A 429 is expected now and then (the run stops, the next one after the reset goes
        # on); rate-limited in every hour for three hours means the polling or the request
        # budget asks more than the X plan allows.
        self.monitoring.alarm_on_metric(
            "rate_limited_runs",
            meaning="The share poller was rate-limited by X or Bluesky in each of "
            f"{POLLER_FAILING_RUNS_TO_ALARM} periods in a row: poll less often (pollMinutes) "
            "or spend fewer requests per run (xMaxRequestsPerRun), or raise the API plan.",
            period=Duration.seconds(max(poller_schedule.seconds, 3600)),
            periods_in_a_row=POLLER_FAILING_RUNS_TO_ALARM,
        )
        # A network's failed run does not fail the function (the others are still polled),
        # so the poller counts it; one is retried by the next run, a row of them is not.
        self.monitoring.alarm_on_metric(
            "source_runs_failed",
            meaning="The share poller's runs for X or Bluesky failed in each of "
            f"{POLLER_FAILING_RUNS_TO_ALARM} periods in a row: its log line 'share poll "
            "failed' names the network and why (a refused token or app password, or the "
            "network down).",
            period=Duration.seconds(max(poller_schedule.seconds, 300)),
            periods_in_a_row=POLLER_FAILING_RUNS_TO_ALARM,
        )
        # One board failing is retried the next day (a passing fault); failing on two days
        # in a row, it is gone or its key refused: its workspace has to fix it.
        self.monitoring.alarm_on_metric(
            "ats_boards_failed",
            meaning="The daily import of registered ATS boards failed for a board on "
            f"{ATS_FAILING_DAYS_TO_ALARM} days in a row: its log line 'ats sync failed' names "
            "the ATS, the board and the workspace, and why (a board the ATS no longer knows, "
            "a refused Teamtailor key, the ATS down).",
            period=Duration.days(1),
            periods_in_a_row=ATS_FAILING_DAYS_TO_ALARM,
        )
        self._outputs()

    def _alarm_on_throttling(self) -> None:
        """An alarm when the API or a table throttles: a flood, or a job more viral than
        the limits allow (raise them, they are context)."""
        throttled = logs.MetricFilter(
            self.api,
            "ThrottledRequests",
            log_group=self.api.access_logs,
            metric_namespace=METRICS_NAMESPACE,
            metric_name="requests_throttled",
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "429"),
            metric_value="1",
        )
        self.monitoring.alarm_on_any(
            throttled.metric(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            name="requests_throttled",
            meaning="The API answered 429 Too Many Requests: requests came faster than "
            "apiRateLimit/apiBurstLimit (or managementRateLimit/managementBurstLimit on "
            "/api/*) allow. A flood, or a job gone viral: raise the limits if it is real.",
        )
        for logical_id, table in self.tables.by_logical_id.items():
            self.monitoring.alarm_on_any(
                cloudwatch.MathExpression(
                    expression="FILL(reads, 0) + FILL(writes, 0)",
                    using_metrics={
                        "reads": table.metric("ReadThrottleEvents", statistic="Sum"),
                        "writes": table.metric("WriteThrottleEvents", statistic="Sum"),
                    },
                    period=Duration.minutes(5),
                    label=f"{logical_id} throttle events",
                ),
                name=f"{logical_id}_throttled",
                meaning=f"DynamoDB throttled requests on the {logical_id}: past its "
                "on-demand ceiling (tableMaxReadUnits/tableMaxWriteUnits) or one item's "
                "partition limit. Clicks whose write fails are logged for replay.",
            )

    def _poller_environment(self) -> dict[str, str]:
        return {
            **self.source_secrets.environment(),
            "X_API_BASE_URL": self.settings.x_api_base_url,
            "BLUESKY_API_BASE_URL": self.settings.bluesky_api_base_url,
            "X_MAX_REQUESTS_PER_RUN": str(self.settings.x_max_requests_per_run),
        }

    def _short_base_url(self) -> str:
        if self.settings.short_base_url is not None:
            return self.settings.short_base_url
        if self.settings.custom_domain is not None:
            return f"https://{self.settings.custom_domain.name}"
        return self.api.endpoint

    def _outputs(self) -> None:
        # With a custom domain the execute-api address is off: the API answers there only.
        CfnOutput(
            self,
            "ApiUrl",
            value=f"{self.short_base_url}/" if self.settings.custom_domain else self.api.url,
            description="The HTTP API's URL",
        )
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
        if self.edge is not None:
            CfnOutput(
                self,
                "CustomDomainTarget",
                value=self.edge.distribution.distribution_domain_name,
                description=(
                    "Point the custom domain here (CloudFront): a CNAME, or a Route 53 alias "
                    "with the hosted zone CustomDomainHostedZoneId"
                ),
            )
            CfnOutput(self, "CustomDomainHostedZoneId", value=CLOUDFRONT_HOSTED_ZONE_ID)
        elif self.api.domain is not None:
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
