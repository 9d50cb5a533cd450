"""The CDK app of jobtrail: one stack, checked by cdk-nag's AwsSolutions rules on every synth.

Deploy from the repository root (``cdk.json`` runs ``.venv/bin/python -m infra.app``)::

    npx aws-cdk@2 deploy -c shortBaseUrl=https://go.example.com -c retentionDays=400

The Lambda code is bundled on this machine with pip (no Docker); see ``infra.bundling``.

Context a company sets (``-c key=value`` or the ``context`` of ``cdk.json``):

``shortBaseUrl``
    The public base of every short link, e.g. ``https://go.example.com`` (the functions'
    ``SHORT_BASE_URL``). Default: ``https://<customDomain>`` when a custom domain is set,
    else the API's own ``https://<id>.execute-api.<region>.amazonaws.com`` URL. A short
    domain served by something else (a CDN in front of the API) is set here.
``retentionDays``
    How many days click events are kept before DynamoDB's TTL deletes them
    (``CLICK_RETENTION_DAYS``), 1 to 3650. Default: 400.
``customDomain`` and ``certificateArn``
    Optional, together: serve the API on this host name with this ACM certificate (in the
    stack's region). The stack outputs ``CustomDomainTarget``, where the company points a
    CNAME (or a Route 53 alias) of the domain: the CloudFront distribution, or the API's
    custom domain with ``cdn=false``.
``cdn``, ``cdnCertificateArn`` and ``originSecret``
    CloudFront in front of the custom domain: on by default with ``customDomain``
    (``cdn=false`` turns it off). CloudFront's certificate must be in us-east-1:
    ``cdnCertificateArn``, or ``certificateArn`` when that is there. CloudFront adds the
    origin secret (generated in Secrets Manager unless given) as the header
    ``x-jobtrail-origin-secret``, and the redirect believes the viewer's country and
    address only with it. With a custom domain, the API's execute-api address is off.
``apiRateLimit``, ``apiBurstLimit``, ``managementRateLimit``, ``managementBurstLimit``
    The API stage's throttle (every route; default 1000 a second, bursts of 2000) and the
    management API's lower one (``/api/*`` behind the key; default 50 and 100).
``tableMaxReadUnits`` and ``tableMaxWriteUnits``
    Each table's on-demand ceiling in request units a second (default 4000 each).
``alarmTopicArn``
    Optional: an SNS topic every alarm notifies. Without it the alarms only show in
    CloudWatch.
``stackName``
    Optional: the stack's name, to deploy more than one jobtrail into an account.
    Default: ``Jobtrail``.

The share poller (X and Bluesky):

``pollMinutes``
    How often the poller runs, in minutes, 1 to 1440 (its EventBridge rule). Default: the
    route table's schedule, every 15 minutes.
``xApiBaseUrl`` and ``blueskyApiBaseUrl``
    The networks' API base URLs (``X_API_BASE_URL``, ``BLUESKY_API_BASE_URL``), HTTPS only.
    Default: ``https://api.x.com`` and ``https://bsky.social``.
``xMaxRequestsPerRun``
    The most X API requests one run makes (``X_MAX_REQUESTS_PER_RUN``), 1 to 1000: the X
    plan's monthly quota divided by the runs in a month. Default: 50.
``xBearerTokenSecretArn`` and ``blueskySecretArn``
    Optional, each on its own: the complete ARN (with the six characters Secrets Manager
    adds to the name) of an existing secret holding the X bearer token (a plain string),
    or the Bluesky login (JSON ``{"handle": "...", "app_password": "..."}``), in the
    stack's account, encrypted with the account's ``aws/secretsmanager`` key. Without it
    the stack creates the secret ``<stackName>/x-bearer-token`` or
    ``<stackName>/bluesky-login`` holding the placeholder ``REPLACE_ME`` (the outputs
    ``XBearerTokenSecretName`` and ``BlueskyLoginSecretName`` name them): put the
    credential in with ``aws secretsmanager put-secret-value`` after the deployment; until
    then the poller skips that network. The created secrets are kept when the stack is
    deleted; a new stack of the same name then uses them through these two settings.
    Only the poller's role may read either secret.

The stack deploys into the account and region of the CLI's credentials
(``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION``). Function and access logs are kept 90 days;
the tables are kept when the stack is deleted.

cdk-nag 3 runs as a CDK validation plugin (``Validations``), not as an Aspect: any finding
that is not acknowledged, warning or error, fails the synth and is listed in the assembly's
``validation-report.json``. Acknowledgments live next to the resource they are about
(``infra.constructs.nag.acknowledge``) and are copied, with their reasons, into the template's
``cdk_nag`` metadata.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import DeploymentSettings, JobtrailStack

DEFAULT_STACK_NAME = "Jobtrail"


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, JobtrailStack]:
    """The app and its stack, with cdk-nag registered: synthesis fails on any finding that
    is not acknowledged with a reason."""
    app = App(context=dict(context or {}), outdir=outdir)
    stack_name = app.node.try_get_context("stackName") or DEFAULT_STACK_NAME
    stack = JobtrailStack(
        app,
        stack_name,
        settings=DeploymentSettings.from_context(app.node),
        description="jobtrail: tracked short links for job ads",
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    # The acknowledgments (with their reasons) are also written into the template's
    # metadata, so whoever reviews the deployed template sees them.
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
