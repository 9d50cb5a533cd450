"""What a company sets through CDK context reaches the functions and the API, and a value
that cannot work stops the synth with a message that says what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from cdk_harness import CERTIFICATE_ARN, TOPIC_ARN, Synthesized, synthesize

from infra.stack import DeploymentSettings, SettingsError


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
