"""The share poller's part of the stack: the networks' secrets only it may read, its own
settings, its schedule and the alarms on its repeated failures and rate limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_harness import Synthesized, function_ids, logical_id, secret_grants, target_of

from infra.constructs.schedules import every_minutes
from infra.constructs.secrets import PLACEHOLDER
from infra.routes import SCHEDULES
from infra.stack import POLLER, POLLER_FAILING_RUNS_TO_ALARM

READ = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
SECRETS = {
    # output name: (secret name, placeholder value)
    "XBearerTokenSecretName": ("Jobtrail/x-bearer-token", PLACEHOLDER),
    "BlueskyLoginSecretName": (
        "Jobtrail/bluesky-login",
        json.dumps({"handle": PLACEHOLDER, "app_password": PLACEHOLDER}),
    ),
}


def _poller_role(synthesized: Synthesized) -> str:
    return target_of(synthesized.properties(function_ids(synthesized)[POLLER])["Role"])


def _secrets(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """The networks' secrets (the redirect's visitor secret is in test_cdk_visitor_secret)."""
    source_secrets = synthesized.stack.source_secrets
    ids = {
        logical_id(synthesized, secret)
        for secret in (source_secrets.x_bearer_token, source_secrets.bluesky_login)
    }
    return {
        logical: secret
        for logical, secret in synthesized.of_type("AWS::SecretsManager::Secret").items()
        if logical in ids
    }


def test_the_stack_makes_both_secrets_with_a_placeholder_and_keeps_them(
    synthesized: Synthesized,
) -> None:
    # Given the stack with no existing secret given
    # When its secrets are read
    secrets = _secrets(synthesized)

    # Then there is one for X and one for Bluesky, named after the stack, holding the
    # placeholder the poller skips until the company puts the credential in, and kept when
    # the stack is deleted; the outputs name them
    assert sorted(
        (secret["Properties"]["Name"], secret["Properties"]["SecretString"])
        for secret in secrets.values()
    ) == sorted(SECRETS.values())
    for secret in secrets.values():
        assert secret["DeletionPolicy"] == "Retain"
        assert secret["UpdateReplacePolicy"] == "Retain"
        assert "GenerateSecretString" not in secret["Properties"]
    for output, (name, _) in SECRETS.items():
        assert synthesized.outputs[output]["Value"] == name


def test_the_bluesky_placeholder_has_the_shape_the_poller_reads() -> None:
    # Given the Bluesky secret's placeholder
    login = json.loads(SECRETS["BlueskyLoginSecretName"][1])

    # When it is read like jobtrail.sources.config reads the secret
    # Then it has the keys the company fills in
    assert set(login) == {"handle", "app_password"}


def test_only_the_pollers_role_may_read_the_secrets(synthesized: Synthesized) -> None:
    # Given the secrets the stack made
    secrets = set(_secrets(synthesized))

    # When every IAM policy of the stack is searched for Secrets Manager actions
    grants = secret_grants(synthesized)

    # Then only the poller's role has any on them, reading exactly these two secrets, and
    # no resource policy opens them to anyone else
    on_them = {
        role: {secret: actions for secret, actions in granted.items() if secret in secrets}
        for role, granted in grants.items()
    }
    assert {role: granted for role, granted in on_them.items() if granted} == {
        _poller_role(synthesized): dict.fromkeys(secrets, READ)
    }
    assert grants[_poller_role(synthesized)] == dict.fromkeys(secrets, READ)
    assert not synthesized.of_type("AWS::SecretsManager::ResourcePolicy")


def test_the_poller_finds_the_secrets_it_may_read(synthesized: Synthesized) -> None:
    # Given the poller's environment
    variables = synthesized.properties(function_ids(synthesized)[POLLER])["Environment"][
        "Variables"
    ]

    # When the secrets it names are resolved
    named = {target_of(variables["X_BEARER_TOKEN_SECRET"]), target_of(variables["BLUESKY_SECRET"])}

    # Then they are the ones its role may read
    assert named == set(secret_grants(synthesized)[_poller_role(synthesized)])
    assert synthesized.properties(target_of(variables["X_BEARER_TOKEN_SECRET"]))["Name"] == (
        "Jobtrail/x-bearer-token"
    )


def test_without_poll_minutes_the_route_tables_schedule_applies(synthesized: Synthesized) -> None:
    # Given the route table's schedule of the poller
    [schedule] = [s for s in SCHEDULES if s.function == POLLER]
    poller = function_ids(synthesized)[POLLER]

    # When the poller's rule is read
    [rule] = [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if any(target_of(target["Arn"]) == poller for target in rule["Properties"]["Targets"])
    ]

    # Then it runs every 15 minutes
    assert rule["ScheduleExpression"] == schedule.expression == "rate(15 minutes)"


@pytest.mark.parametrize(
    ("minutes", "expression"),
    [(1, "rate(1 minute)"), (5, "rate(5 minutes)"), (1440, "rate(1440 minutes)")],
)
def test_a_poll_interval_is_an_eventbridge_rate(minutes: int, expression: str) -> None:
    # Given the route table's schedule of the poller
    [schedule] = [s for s in SCHEDULES if s.function == POLLER]

    # When it is run every ``minutes`` instead
    every = every_minutes(schedule, minutes)

    # Then EventBridge gets a rate it accepts (singular for one), and the period in seconds
    assert (every.expression, every.seconds) == (expression, minutes * 60)
    assert every.description == schedule.description


def test_repeated_rate_limits_raise_an_alarm(synthesized: Synthesized) -> None:
    # When the alarms are read
    [alarm] = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "rate_limited_runs"
    ]

    # Then the poller's own count alarms when runs were rate-limited in each of three hours
    # in a row, not on the first 429 (the next run after the reset goes on)
    assert alarm["Namespace"] == "jobtrail"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "jobtrail"}]
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (
        3600,
        POLLER_FAILING_RUNS_TO_ALARM,
        POLLER_FAILING_RUNS_TO_ALARM,
    )
    assert alarm["Threshold"] == 0
    assert alarm["TreatMissingData"] == "notBreaching"


def test_a_networks_failed_runs_in_a_row_raise_an_alarm(synthesized: Synthesized) -> None:
    # When the alarms are read
    [alarm] = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "source_runs_failed"
    ]

    # Then the poller's count of a network's failed runs (which no longer fail the
    # function) alarms when runs failed in each of three poll periods in a row
    schedule = next(s for s in SCHEDULES if s.function == POLLER)
    assert alarm["Namespace"] == "jobtrail"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "jobtrail"}]
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (
        schedule.seconds,
        POLLER_FAILING_RUNS_TO_ALARM,
        POLLER_FAILING_RUNS_TO_ALARM,
    )
    assert alarm["Threshold"] == 0
