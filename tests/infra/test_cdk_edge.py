"""The edge of the stack: CloudFront in front of a custom domain (or not), the origin secret
that makes the visitor's country believable, the throttles and the tables' ceilings that
bound the bill, and the alarms when any of them holds requests back."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_harness import (
    CDN_CERTIFICATE_ARN,
    CERTIFICATE_ARN,
    Synthesized,
    function_ids,
    synthesize,
    target_of,
)

from infra.routes import FUNCTIONS
from infra.stack import REDIRECT

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront's managed policy


def _variables(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    ids = function_ids(synthesized)
    return {
        name: synthesized.properties(ids[name])["Environment"]["Variables"] for name in FUNCTIONS
    }


def _api(synthesized: Synthesized) -> dict[str, Any]:
    [api] = synthesized.of_type("AWS::ApiGatewayV2::Api").values()
    return dict(api["Properties"])


def test_a_custom_domain_is_served_by_cloudfront_that_caches_nothing(
    on_custom_domain: Synthesized,
) -> None:
    # Given a custom domain (CloudFront is the default with one)
    # When the stack is synthesized
    [distribution] = on_custom_domain.of_type("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    behavior = config["DefaultCacheBehavior"]
    [domain_id] = on_custom_domain.of_type("AWS::ApiGatewayV2::DomainName")

    # Then CloudFront serves the domain with the us-east-1 certificate, in front of the
    # API's custom domain, and caches neither a redirect nor an API answer
    assert config["Aliases"] == ["go.acme.example"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CDN_CERTIFICATE_ARN
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert origin["DomainName"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert set(behavior["AllowedMethods"]) >= {"GET", "HEAD", "POST", "PATCH", "DELETE"}
    # And the DNS of the domain is pointed at CloudFront, not at the API
    assert target_of(on_custom_domain.outputs["CustomDomainTarget"]["Value"]) == target_of(
        {"Ref": next(iter(on_custom_domain.of_type("AWS::CloudFront::Distribution")))}
    )
    assert on_custom_domain.outputs["CustomDomainHostedZoneId"]["Value"] == "Z2FDTNDATAQYW2"


def test_cloudfront_passes_on_the_whole_request_and_the_viewers_country(
    on_custom_domain: Synthesized,
) -> None:
    # Given CloudFront in front of the API
    # When its origin request policy is read
    [policy] = on_custom_domain.of_type("AWS::CloudFront::OriginRequestPolicy").values()
    config = policy["Properties"]["OriginRequestPolicyConfig"]

    # Then every viewer header (the API key's Authorization, the user agent, the referrer,
    # and the Host API Gateway picks the custom domain by) reaches the API, every query
    # string too, with CloudFront's country and the viewer's own address
    assert config["HeadersConfig"]["HeaderBehavior"] == "allViewerAndWhitelistCloudFront"
    assert set(config["HeadersConfig"]["Headers"]) == {
        "CloudFront-Viewer-Country",
        "CloudFront-Viewer-Address",
    }
    assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"


def test_cloudfront_proves_itself_to_the_redirect_with_the_origin_secret(
    on_custom_domain: Synthesized,
) -> None:
    # Given CloudFront in front of the API
    [distribution] = on_custom_domain.of_type("AWS::CloudFront::Distribution").values()
    [origin] = distribution["Properties"]["DistributionConfig"]["Origins"]
    [header] = origin["OriginCustomHeaders"]
    variables = _variables(on_custom_domain)
    stack = on_custom_domain.stack
    assert stack.edge is not None
    assert stack.edge.secret is not None

    # When the header it adds and the redirect's settings are compared
    # Then CloudFront sends the generated secret, the redirect (and only it) compares
    # with the same one, and the template holds a reference to it, never the value
    assert header["HeaderName"] == "x-jobtrail-origin-secret"
    assert variables[REDIRECT]["ORIGIN_SECRET"] == header["HeaderValue"]
    assert [name for name, env in variables.items() if "ORIGIN_SECRET" in env] == [REDIRECT]
    secret_id = stack.resolve(stack.edge.secret.node.default_child.logical_id)  # type: ignore[union-attr]
    assert header["HeaderValue"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]
    }


def test_an_origin_secret_of_the_companys_own_is_used_instead(tmp_path: Any) -> None:
    # Given an origin secret the company chose
    secret = "0123456789abcdef0123456789abcdef-acme"
    synthesized = synthesize(
        tmp_path,
        {
            "customDomain": "go.acme.example",
            "certificateArn": CDN_CERTIFICATE_ARN,  # in us-east-1: CloudFront's too
            "originSecret": secret,
        },
    )
    [distribution] = synthesized.of_type("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]

    # Then CloudFront sends it, the redirect compares with it, and none is generated
    assert config["Origins"][0]["OriginCustomHeaders"][0]["HeaderValue"] == secret
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CDN_CERTIFICATE_ARN
    assert _variables(synthesized)[REDIRECT]["ORIGIN_SECRET"] == secret
    assert synthesized.stack.edge is not None
    assert synthesized.stack.edge.secret is None
    assert not [
        secret
        for secret in synthesized.of_type("AWS::SecretsManager::Secret").values()
        if "CloudFront" in secret["Properties"].get("Description", "")
    ]


def test_with_a_custom_domain_the_execute_api_address_is_off(
    on_custom_domain: Synthesized, without_cdn: Synthesized
) -> None:
    # Given a custom domain, with CloudFront in front or without
    # When the API is read
    # Then it answers on the domain only: its execute-api address is disabled, and the
    # stack's ApiUrl is the domain's
    for synthesized in (on_custom_domain, without_cdn):
        assert _api(synthesized)["DisableExecuteApiEndpoint"] is True
        assert synthesized.outputs["ApiUrl"]["Value"] == "https://go.acme.example/"


def test_without_cloudfront_the_api_serves_the_domain_and_no_country_is_believed(
    synthesized: Synthesized, without_cdn: Synthesized
) -> None:
    # Given the stack without CloudFront: by default (no domain), or with cdn=false
    for stack in (synthesized, without_cdn):
        # Then there is no distribution, and no origin secret for any function: no
        # request's country is believed, and clicks have none
        assert stack.of_type("AWS::CloudFront::Distribution") == {}
        assert all("ORIGIN_SECRET" not in env for env in _variables(stack).values())
    # And the default stack keeps its execute-api address, its only one
    assert not _api(synthesized).get("DisableExecuteApiEndpoint")
    # And with cdn=false the domain is pointed at the API's custom domain
    [domain_id] = without_cdn.of_type("AWS::ApiGatewayV2::DomainName")
    assert without_cdn.outputs["CustomDomainTarget"]["Value"] == {
        "Fn::GetAtt": [domain_id, "RegionalDomainName"]
    }
    assert (
        without_cdn.properties(domain_id)["DomainNameConfigurations"][0]["CertificateArn"]
        == CERTIFICATE_ARN
    )


def _stage(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(stage_id, stage)] = synthesized.of_type("AWS::ApiGatewayV2::Stage").items()
    return stage_id, stage


@pytest.mark.parametrize(
    ("stack", "api", "management"),
    [("synthesized", (1000, 2000), (50, 100)), ("on_custom_domain", (500, 800), (20, 40))],
)
def test_the_api_is_throttled_and_the_management_api_more(
    stack: str,
    api: tuple[int, int],
    management: tuple[int, int],
    request: pytest.FixtureRequest,
) -> None:
    # Given the stack with the default limits, or the company's
    synthesized: Synthesized = request.getfixturevalue(stack)
    _, stage = _stage(synthesized)
    properties = stage["Properties"]

    # When the stage's throttles are read
    # Then every route has the stage's rate and burst, and the management API (the routes
    # behind the API key) a lower one of its own
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": api[0],
        "ThrottlingBurstLimit": api[1],
    }
    assert properties["RouteSettings"] == {
        "ANY /api/{proxy+}": {
            "ThrottlingRateLimit": management[0],
            "ThrottlingBurstLimit": management[1],
        }
    }
    # And the stage is made after that route, which API Gateway needs to exist first
    [route_id] = [
        logical_id
        for logical_id, route in synthesized.of_type("AWS::ApiGatewayV2::Route").items()
        if route["Properties"]["RouteKey"] == "ANY /api/{proxy+}"
    ]
    assert route_id in stage["DependsOn"]


@pytest.mark.parametrize(
    ("stack", "ceiling"),
    [("synthesized", (4000, 4000)), ("on_custom_domain", (3000, 2000))],
)
def test_every_table_has_an_on_demand_ceiling(
    stack: str, ceiling: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    # Given the stack with the default ceiling, or the company's
    synthesized: Synthesized = request.getfixturevalue(stack)
    # When the tables are read
    tables = synthesized.of_type("AWS::DynamoDB::Table")

    # Then each may use so many request units a second and no more: a flood is throttled,
    # not billed without end
    assert tables
    for table in tables.values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Properties"]["OnDemandThroughput"] == {
            "MaxReadRequestUnits": ceiling[0],
            "MaxWriteRequestUnits": ceiling[1],
        }


def test_throttled_requests_raise_an_alarm(synthesized: Synthesized) -> None:
    # Given the API's access logs
    [(log_group_id, _)] = [
        (logical_id, group)
        for logical_id, group in synthesized.of_type("AWS::Logs::LogGroup").items()
        if logical_id.startswith("ApiAccessLogs")
    ]
    # When its metric filters and the alarms are read
    [metric_filter] = synthesized.of_type("AWS::Logs::MetricFilter").values()
    [transformation] = metric_filter["Properties"]["MetricTransformations"]
    alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == transformation["MetricName"]
    ]

    # Then every 429 the API answers is counted, and the first raises an alarm
    assert metric_filter["Properties"]["LogGroupName"] == {"Ref": log_group_id}
    assert metric_filter["Properties"]["FilterPattern"] == '{ $.status = "429" }'
    assert transformation["MetricNamespace"] == "jobtrail"
    [alarm] = alarms
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["Namespace"] == "jobtrail"


def test_a_throttled_table_raises_an_alarm(synthesized: Synthesized) -> None:
    # Given the tables
    # When the alarms on math expressions are read
    watched: dict[str, set[str]] = {}
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        for query in alarm["Properties"].get("Metrics", []):
            stat = query.get("MetricStat")
            if stat and stat["Metric"]["Namespace"] == "AWS/DynamoDB":
                [dimension] = stat["Metric"]["Dimensions"]
                assert dimension["Name"] == "TableName"
                table = target_of(dimension["Value"])
                watched.setdefault(table, set()).add(stat["Metric"]["MetricName"])

    # Then each table's read and write throttle events (its ceiling, or a hot item) alarm
    assert watched == {
        table: {"ReadThrottleEvents", "WriteThrottleEvents"}
        for table in synthesized.of_type("AWS::DynamoDB::Table")
    }
