"""The share sources' credentials in Secrets Manager: the X API's bearer token and the
Bluesky login. The stack creates each secret with a placeholder the company replaces after
the deployment (``aws secretsmanager put-secret-value``), or uses an existing secret whose
complete ARN the company gives. Only the roles it is granted to may read them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import CfnOutput, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.nag import acknowledge
from jobtrail.sources.config import PLACEHOLDER

# A secret holds PLACEHOLDER until the company puts the real credential in: CloudFormation
# refuses an empty SecretString, and a secret without any value would make every read fail.
# The poller treats a credential equal to it as not configured and skips that network.

_ROTATION_REASON = (
    "Secrets Manager cannot rotate this secret: it holds a credential issued by a third party "
    "({issuer}), which only its owner can renew there; the company replaces the value with "
    "put-secret-value when it does."
)


@dataclass(frozen=True)
class _Spec:
    construct_id: str
    name_suffix: str  # the secret is named <stack name>/<suffix>
    description: str
    placeholder: str
    issuer: str


X_BEARER_TOKEN = _Spec(
    "XBearerToken",
    "x-bearer-token",
    "jobtrail poller: the X API v2 bearer token (the plain token, no JSON)",
    PLACEHOLDER,
    "the X developer portal's app bearer token",
)
BLUESKY_LOGIN = _Spec(
    "BlueskyLogin",
    "bluesky-login",
    'jobtrail poller: the Bluesky login, JSON {"handle": "...", "app_password": "..."}',
    json.dumps({"handle": PLACEHOLDER, "app_password": PLACEHOLDER}),
    "a Bluesky account's app password",
)


class SourceSecrets(Construct):
    """The two secrets, made by the stack unless an existing one's complete ARN is given."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        x_bearer_token_arn: str | None = None,
        bluesky_login_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.x_bearer_token = self._secret(X_BEARER_TOKEN, x_bearer_token_arn)
        self.bluesky_login = self._secret(BLUESKY_LOGIN, bluesky_login_arn)

    def _secret(self, spec: _Spec, existing_arn: str | None) -> secretsmanager.ISecret:
        if existing_arn is not None:
            return secretsmanager.Secret.from_secret_complete_arn(
                self, spec.construct_id, existing_arn
            )
        name = f"{Stack.of(self).stack_name}/{spec.name_suffix}"
        secret = secretsmanager.Secret(
            self,
            spec.construct_id,
            secret_name=name,
            description=spec.description,
            secret_string_value=SecretValue.unsafe_plain_text(spec.placeholder),
            # The credential is the company's: deleting the stack must not lose it.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(secret, "AwsSolutions-SMG4", _ROTATION_REASON.format(issuer=spec.issuer))
        CfnOutput(
            Stack.of(self),
            f"{spec.construct_id}SecretName",
            value=name,
            description=f"Put the credential here after deploying: {spec.description}",
        )
        return secret

    def environment(self) -> dict[str, str]:
        """What the poller reads (``jobtrail.sources.config``): the secrets' ARNs."""
        return {
            "X_BEARER_TOKEN_SECRET": self.x_bearer_token.secret_arn,
            "BLUESKY_SECRET": self.bluesky_login.secret_arn,
        }

    def grant_read(self, grantee: iam.IGrantable) -> None:
        for secret in (self.x_bearer_token, self.bluesky_login):
            secret.grant_read(grantee)
