"""The HTTP API: every route of ``ROUTES`` (short links, the management API, health, the
catch-all), the API key authorizer, access logs, and an optional custom domain."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.names import pascal
from infra.routes import AUTHORIZER, ROUTES, Route

DEFAULT_ROUTE = "$default"
AUTHORIZER_ID = "ApiKeyAuthorizer"

# No source address and no user agent: the redirect serves anyone who clicks a link, and
# jobtrail keeps no raw address anywhere, not even in access logs.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "error": "$context.error.message",
}


@dataclass(frozen=True)
class CustomDomain:
    name: str  # e.g. go.example.com
    certificate_arn: str  # an ACM certificate for it, in the stack's region


@dataclass(frozen=True)
class Throttle:
    """API Gateway's token bucket: requests a second on average, and at once."""

    rate: int
    burst: int


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


def route_key(route: Route) -> apigwv2.HttpRouteKey:
    if route.path == DEFAULT_ROUTE:
        return apigwv2.HttpRouteKey.DEFAULT
    return apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod[route.method])


def _public_reason(route: Route) -> str:
    return (
        f"'{route.method} {route.path}' ({route.function} function) is public by the HTTP "
        "contract (docs/api.md): short links, /health and /api/openapi.json are opened without a "
        "key, and the catch-all answers 404. Every other /api/* route uses the authorizer."
    )


class HttpEndpoint(Construct):
    """The API and its ``$default`` stage. Routes come with ``add_routes`` once the functions
    exist, because the functions need the API's URL first (the default short base URL)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention: logs.RetentionDays,
        throttle: Throttle,
        management_throttle: Throttle,
        custom_domain: CustomDomain | None = None,
        disable_execute_api_endpoint: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.management_throttle = management_throttle
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="jobtrail: short links and the management API",
            # Made below, with access logs, which the default stage cannot have.
            create_default_stage=False,
            # With a domain of its own, the API answers there only: nobody goes around it
            # (and around CloudFront in front of it) by the execute-api address.
            disable_execute_api_endpoint=disable_execute_api_endpoint,
        )
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention)
        self.domain: apigwv2.DomainName | None = None
        domain_mapping = None
        if custom_domain is not None:
            self.domain = apigwv2.DomainName(
                self,
                "Domain",
                domain_name=custom_domain.name,
                certificate=acm.Certificate.from_certificate_arn(
                    self, "Certificate", custom_domain.certificate_arn
                ),
            )
            domain_mapping = apigwv2.DomainMappingOptions(domain_name=self.domain)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name=DEFAULT_ROUTE,
            auto_deploy=True,
            access_log_settings=_AccessLogSettings(self.access_logs),
            domain_mapping=domain_mapping,
            # Every route's default; the management API has a lower one (``add_routes``).
            throttle=apigwv2.ThrottleSettings(rate_limit=throttle.rate, burst_limit=throttle.burst),
        )
        self.routes: dict[Route, apigwv2.HttpRoute] = {}

    @property
    def url(self) -> str:
        """The stage's URL, with a trailing slash."""
        return str(self.stage.url)

    @property
    def endpoint(self) -> str:
        """``https://<api id>.execute-api.<region>.amazonaws.com``, without a trailing slash."""
        return self.http_api.api_endpoint

    def _throttle_management_routes(self) -> None:
        """The management API's routes (those behind the key authorizer) get their own,
        lower limit: a flood of API calls, each reading many items, must not take the
        capacity the redirect needs, nor run up the bill."""
        managed = {
            f"{route.method} {route.path}": http_route
            for route, http_route in self.routes.items()
            if route.authorized
        }
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        # A JSON map of route keys in CloudFormation, so its entries are written as such.
        cfn_stage.route_settings = {
            key: {
                "ThrottlingRateLimit": self.management_throttle.rate,
                "ThrottlingBurstLimit": self.management_throttle.burst,
            }
            for key in managed
        }
        # API Gateway refuses settings for a route it does not have yet.
        for http_route in managed.values():
            self.stage.node.add_dependency(http_route)

    def add_routes(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        # One integration per function, shared by its routes.
        targets = {
            name: integrations.HttpLambdaIntegration(f"{pascal(name)}Integration", functions[name])
            for name in dict.fromkeys(route.function for route in ROUTES)
        }
        authorizer = authorizers.HttpLambdaAuthorizer(
            AUTHORIZER_ID,
            functions[AUTHORIZER],
            response_types=[authorizers.HttpLambdaResponseType.SIMPLE],
            # No identity source: the gateway would answer a request without the header
            # itself, with a bare 401, and the contract wants its JSON error. Without one,
            # the gateway cannot cache either, so it calls the authorizer every time (the
            # authorizer caches keys in memory instead).
            identity_source=[],
            results_cache_ttl=Duration.seconds(0),
        )
        for route in ROUTES:
            http_route = apigwv2.HttpRoute(
                self,
                pascal(route.method, route.path),
                http_api=self.http_api,
                route_key=route_key(route),
                integration=targets[route.function],
                authorizer=authorizer if route.authorized else None,
            )
            if not route.authorized:
                acknowledge(http_route, "AwsSolutions-APIG4", _public_reason(route))
            self.routes[route] = http_route
        self._throttle_management_routes()
        # CDK writes an empty list; leave the property out, which is what CloudFormation and
        # API Gateway document as "no identity source" for a REQUEST authorizer.
        cfn_authorizer = self.http_api.node.find_child(AUTHORIZER_ID).node.default_child
        assert isinstance(cfn_authorizer, apigwv2.CfnAuthorizer)
        cfn_authorizer.add_property_deletion_override("IdentitySource")
