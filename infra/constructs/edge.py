"""CloudFront in front of the HTTP API: the short domain is served by a distribution that
caches nothing (every redirect counts a click, every API answer is the workspace's own) and
tells the API where the visitor is (``CloudFront-Viewer-Country``) and who it is
(``CloudFront-Viewer-Address``), with a secret header proving that CloudFront said so."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.api import CustomDomain, HttpEndpoint
from infra.constructs.nag import acknowledge
from jobtrail.domain.clicks import COUNTRY_HEADER, ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER

# CloudFront's own hosted zone, the same for every distribution: a Route 53 alias of the
# custom domain names it.
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"

_ROTATION_REASON = (
    "Not rotated by Secrets Manager: CloudFormation copies the value into the distribution's "
    "origin header and the redirect's ORIGIN_SECRET at deployment, so a rotation would only "
    "take effect at the next deployment and break the two apart until then. It guards the "
    "visitor's country alone; to replace it, deploy with the originSecret context."
)
_LOGGING_REASON = (
    "No CloudFront access logs on purpose: they would hold every visitor's address, which "
    "jobtrail keeps nowhere. The API's access logs record each request CloudFront passes on "
    "(nothing is cached, so that is every request), without the address."
)
_WAF_REASON = (
    "No WAF web ACL by default: it costs a fixed monthly fee and per request, more than the "
    "whole stack for most companies. The API stage and the management routes are throttled, "
    "and the tables have an on-demand ceiling, which bound what a flood can cost."
)
_GEO_REASON = (
    "Short links are opened by anyone the job ad reaches, anywhere: restricting countries "
    "would turn candidates away. The viewer's country is recorded, not filtered on."
)


class Edge(Construct):
    """The distribution for ``domain`` in front of the API's custom domain of the same
    name. API Gateway picks the custom domain (and its certificate) by the host name, so
    the viewer's ``Host`` is passed on: it is the custom domain itself."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: HttpEndpoint,
        domain: CustomDomain,
        certificate_arn: str,
        origin_secret: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if api.domain is None:
            raise ValueError("CloudFront is put in front of the API's custom domain only")
        self.secret: secretsmanager.Secret | None = None
        if origin_secret is None:
            self.secret = secretsmanager.Secret(
                self,
                "OriginSecret",
                description=(
                    "jobtrail: the header CloudFront adds so the redirect believes its country"
                ),
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=48, exclude_punctuation=True
                ),
                # Worth nothing without the stack's distribution.
                removal_policy=RemovalPolicy.DESTROY,
            )
            acknowledge(self.secret, "AwsSolutions-SMG4", _ROTATION_REASON)
            # A dynamic reference: the template names the secret, CloudFormation resolves it.
            origin_secret = self.secret.secret_value.unsafe_unwrap()
        else:
            origin_secret = SecretValue.unsafe_plain_text(origin_secret).unsafe_unwrap()
        self.origin_secret = origin_secret
        self.origin_request_policy = cloudfront.OriginRequestPolicy(
            self,
            "OriginRequests",
            comment="jobtrail: the whole request, the viewer's country and address",
            # Every viewer header (Host included, see above; Authorization too, which only a
            # policy of all viewer headers passes on), and the two CloudFront adds.
            header_behavior=cloudfront.OriginRequestHeaderBehavior.all(
                _canonical(COUNTRY_HEADER), _canonical(VIEWER_ADDRESS_HEADER)
            ),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"jobtrail: {domain.name}",
            domain_names=[domain.name],
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            # Europe and North America's edges: the cheapest; viewers elsewhere still reach
            # them, a little slower, and their country is still known.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    api.domain.regional_domain_name,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                    custom_headers={ORIGIN_SECRET_HEADER: origin_secret},
                ),
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                # A cached redirect would be a click never counted; a cached API answer
                # one workspace's data shown to another.
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=self.origin_request_policy,
                compress=False,
            ),
        )
        acknowledge(self.distribution, "AwsSolutions-CFR3", _LOGGING_REASON)
        acknowledge(self.distribution, "AwsSolutions-CFR2", _WAF_REASON)
        acknowledge(self.distribution, "AwsSolutions-CFR1", _GEO_REASON)

    def redirect_environment(self) -> dict[str, str]:
        """What the redirect compares the header with (``Settings.origin_secret``)."""
        return {"ORIGIN_SECRET": self.origin_secret}


def _canonical(header: str) -> str:
    """``cloudfront-viewer-country`` as CloudFront names it: CloudFront-Viewer-Country."""
    return "-".join(part.capitalize() for part in header.split("-")).replace(
        "Cloudfront", "CloudFront"
    )
