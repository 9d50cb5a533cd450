"""What a company sets through CDK context reaches the functions and the API, and a value
that cannot work stops the synth with a message that says what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from cdk_harness import (
    BLUESKY_SECRET_ARN,
    CDN_CERTIFICATE_ARN,
    CERTIFICATE_ARN,
    TOPIC_ARN,
    X_TOKEN_SECRET_ARN,
    Synthesized,
    function_ids,
    logical_id,
    secret_grants,
    synthesize,
    target_of,
)

from infra.stack import POLLER, DeploymentSettings, SettingsError


def _environments(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        function["Properties"]["Environment"]["Variables"]
        for function in synthesized.of_type("AWS::Lambda::Function").values()
    ]


def test_a_short_domain_of_its_own_makes_the_short_links(tmp_path: Any) -> None:
    # Given a company whose short domain is served by something in front of the API
    # When the stack is synthesized with it (a trailing slash is forgiven)
    synthesized = synthesize(tmp_path, {"shortBaseUrl": "https://jobs.acme.example/"})

    # Then every function builds short links on it, and the stack says so
    assert {env["SHORT_BASE_URL"] for env in _environments(synthesized)} == {
        "https://jobs.acme.example"
    }
    assert synthesized.outputs["ShortBaseUrl"]["Value"] == "https://jobs.acme.example"


def test_a_custom_domain_serves_the_api_and_makes_the_short_links(
    on_custom_domain: Synthesized,
) -> None:
    # Given a custom domain with its certificate
    # When the stack is synthesized with them
    [domain] = on_custom_domain.of_type("AWS::ApiGatewayV2::DomainName").values()
    [mapping] = on_custom_domain.of_type("AWS::ApiGatewayV2::ApiMapping").values()
    [stage_id] = on_custom_domain.of_type("AWS::ApiGatewayV2::Stage")

    # Then the API answers on it, short links use it, and the stack says where to point DNS
    assert domain["Properties"]["DomainName"] == "go.acme.example"
    assert domain["Properties"]["DomainNameConfigurations"][0]["CertificateArn"] == CERTIFICATE_ARN
    assert mapping["Properties"]["Stage"] == "$default"
    assert stage_id in mapping["DependsOn"]
    assert {env["SHORT_BASE_URL"] for env in _environments(on_custom_domain)} == {
        "https://go.acme.example"
    }
    assert "CustomDomainTarget" in on_custom_domain.outputs


def test_the_retention_a_company_chose_expires_the_clicks(on_custom_domain: Synthesized) -> None:
    # Given a retention of 30 days
    # When the functions' settings are read
    # Then every function writes clicks that expire after 30 days
    assert {env["CLICK_RETENTION_DAYS"] for env in _environments(on_custom_domain)} == {"30"}


def test_every_alarm_notifies_the_companys_topic(on_custom_domain: Synthesized) -> None:
    # Given an alarm topic
    # When the alarms are read
    alarms = on_custom_domain.of_type("AWS::CloudWatch::Alarm").values()

    # Then each one notifies it
    assert alarms
    assert [alarm["Properties"]["AlarmActions"] for alarm in alarms] == [[TOPIC_ARN]] * len(alarms)


@pytest.mark.parametrize(
    ("context", "complaint"),
    [
        ({"shortBaseUrl": "jobs.acme.example"}, "shortBaseUrl"),
        ({"shortBaseUrl": "ftp://jobs.acme.example"}, "shortBaseUrl"),
        ({"shortBaseUrl": "https://jobs.acme.example/?x=1"}, "shortBaseUrl"),
        ({"retentionDays": "a year"}, "retentionDays"),
        ({"retentionDays": 0}, "retentionDays"),
        ({"customDomain": "go.acme.example"}, "certificateArn"),
        ({"customDomain": "go acme", "certificateArn": CERTIFICATE_ARN}, "customDomain"),
        ({"customDomain": "go.acme.example", "certificateArn": "cert-1"}, "certificateArn"),
        ({"alarmTopicArn": "jobtrail-alarms"}, "alarmTopicArn"),
        ({"pollMinutes": 0}, "pollMinutes"),
        ({"pollMinutes": "1441"}, "pollMinutes"),
        ({"pollMinutes": "often"}, "pollMinutes"),
        ({"pollMinutes": "7.5"}, "pollMinutes"),
        ({"xMaxRequestsPerRun": 0}, "xMaxRequestsPerRun"),
        ({"xMaxRequestsPerRun": "1001"}, "xMaxRequestsPerRun"),
        ({"xApiBaseUrl": "http://api.x.com"}, "xApiBaseUrl"),
        ({"xApiBaseUrl": "api.x.com"}, "xApiBaseUrl"),
        ({"blueskyApiBaseUrl": "https://bsky.social/?x=1"}, "blueskyApiBaseUrl"),
        ({"xBearerTokenSecretArn": "Jobtrail/x-bearer-token"}, "xBearerTokenSecretArn"),
        # CloudFront needs a custom domain, and a certificate for it in us-east-1
        ({"cdn": "true"}, "customDomain"),
        ({"cdn": "maybe"}, "cdn"),
        (
            {"customDomain": "go.acme.example", "certificateArn": CERTIFICATE_ARN},
            "cdnCertificateArn",
        ),
        (
            {
                "customDomain": "go.acme.example",
                "certificateArn": CERTIFICATE_ARN,
                "cdnCertificateArn": CERTIFICATE_ARN,
            },
            "cdnCertificateArn",
        ),
        ({"originSecret": "0123456789abcdef0123456789abcdef"}, "originSecret"),
        (
            {
                "customDomain": "go.acme.example",
                "certificateArn": CDN_CERTIFICATE_ARN,
                "originSecret": "short",
            },
            "originSecret",
        ),
        ({"apiRateLimit": 0}, "apiRateLimit"),
        ({"apiBurstLimit": "5001"}, "apiBurstLimit"),
        ({"managementRateLimit": "2000"}, "managementRateLimit"),
        ({"apiBurstLimit": "50"}, "managementBurstLimit"),
        ({"tableMaxReadUnits": "40001"}, "tableMaxReadUnits"),
        ({"tableMaxWriteUnits": "lots"}, "tableMaxWriteUnits"),
        (
            # A partial ARN: without the six characters Secrets Manager adds to the name.
            {"blueskySecretArn": "arn:aws:secretsmanager:eu-north-1:123456789012:secret:login"},
            "blueskySecretArn",
        ),
    ],
)
def test_a_setting_that_cannot_work_is_refused_with_its_name(
    context: dict[str, Any], complaint: str
) -> None:
    # Given a context value that cannot work
    app = App(context=context)

    # When the settings are read
    # Then the synth stops, naming the setting to fix
    with pytest.raises(SettingsError, match=complaint):
        DeploymentSettings.from_context(app.node)


def test_unset_settings_take_their_defaults() -> None:
    # Given cdk.json's empty placeholders
    app = App(context={"shortBaseUrl": "", "customDomain": "", "certificateArn": ""})

    # When the settings are read
    settings = DeploymentSettings.from_context(app.node)

    # Then the defaults apply
    assert settings == DeploymentSettings()
    assert settings.retention_days == 400
    assert settings.poll_minutes is None  # the route table's: every 15 minutes
    assert settings.x_api_base_url == "https://api.x.com"
    assert settings.bluesky_api_base_url == "https://bsky.social"
    assert settings.x_max_requests_per_run == 50
    assert settings.x_bearer_token_secret_arn is None
    assert settings.bluesky_secret_arn is None
    assert not settings.cdn  # no custom domain, no CloudFront
    assert (settings.api_throttle.rate, settings.api_throttle.burst) == (1000, 2000)
    assert (settings.management_throttle.rate, settings.management_throttle.burst) == (50, 100)
    assert settings.table_ceiling.read_units == settings.table_ceiling.write_units == 4000


def _poller_variables(synthesized: Synthesized) -> dict[str, Any]:
    poller = synthesized.properties(function_ids(synthesized)[POLLER])
    return dict(poller["Environment"]["Variables"])


def test_the_poller_polls_as_often_as_the_company_chose(on_custom_domain: Synthesized) -> None:
    # Given pollMinutes=5
    poller = function_ids(on_custom_domain)[POLLER]

    # When the poller's rule and its failure alarm are read
    [rule] = [
        rule["Properties"]
        for rule in on_custom_domain.of_type("AWS::Events::Rule").values()
        if any(target_of(target["Arn"]) == poller for target in rule["Properties"]["Targets"])
    ]
    [alarm] = [
        alarm["Properties"]
        for alarm in on_custom_domain.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Errors"
        and alarm["Properties"]["Dimensions"][0]["Value"] == {"Ref": poller}
    ]

    # Then EventBridge runs it every 5 minutes, and the alarm counts one run per period
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert alarm["Period"] == 300


def test_the_poller_asks_the_apis_the_company_chose(on_custom_domain: Synthesized) -> None:
    # Given other API base URLs (a trailing slash is forgiven) and a request budget
    # When the poller's settings are read
    variables = _poller_variables(on_custom_domain)

    # Then it asks those, within that budget
    assert variables["X_API_BASE_URL"] == "https://x-proxy.acme.example"
    assert variables["BLUESKY_API_BASE_URL"] == "https://pds.acme.example"
    assert variables["X_MAX_REQUESTS_PER_RUN"] == "20"


def test_existing_secrets_are_used_instead_of_new_ones(on_custom_domain: Synthesized) -> None:
    # Given the complete ARNs of secrets the company already has
    poller_role = target_of(
        on_custom_domain.properties(function_ids(on_custom_domain)[POLLER])["Role"]
    )

    # When the stack is synthesized with them
    variables = _poller_variables(on_custom_domain)

    # Then no secret is made for the networks (only the stack's own: the redirect's visitor
    # secret and CloudFront's origin secret), the poller reads those, and only the poller may
    stack = on_custom_domain.stack
    assert stack.edge is not None
    assert stack.edge.secret is not None
    own = {
        logical_id(on_custom_domain, stack.visitor_secret.secret),
        logical_id(on_custom_domain, stack.edge.secret),
    }
    assert set(on_custom_domain.of_type("AWS::SecretsManager::Secret")) == own
    assert "XBearerTokenSecretName" not in on_custom_domain.outputs
    assert variables["X_BEARER_TOKEN_SECRET"] == X_TOKEN_SECRET_ARN
    assert variables["BLUESKY_SECRET"] == BLUESKY_SECRET_ARN
    read = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    grants = secret_grants(on_custom_domain)
    assert grants[poller_role] == {X_TOKEN_SECRET_ARN: read, BLUESKY_SECRET_ARN: read}
    assert [role for role, granted in grants.items() if X_TOKEN_SECRET_ARN in granted] == [
        poller_role
    ]
    assert [role for role, granted in grants.items() if BLUESKY_SECRET_ARN in granted] == [
        poller_role
    ]
