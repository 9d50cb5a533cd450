"""The CDK app synthesized once per session, except that the Lambda code is not bundled
(``test_cdk_bundling.py`` bundles it for real)."""

from __future__ import annotations

import pytest
from cdk_harness import (
    BLUESKY_SECRET_ARN,
    CDN_CERTIFICATE_ARN,
    CERTIFICATE_ARN,
    TOPIC_ARN,
    X_TOKEN_SECRET_ARN,
    Synthesized,
    synthesize,
)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack with no context set: cdk.json's defaults."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def on_custom_domain(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack with everything a company can set, set: CloudFront in front."""
    return synthesize(
        tmp_path_factory.mktemp("custom-domain"),
        {
            "customDomain": "go.acme.example",
            "certificateArn": CERTIFICATE_ARN,
            "cdnCertificateArn": CDN_CERTIFICATE_ARN,
            "retentionDays": "30",
            "alarmTopicArn": TOPIC_ARN,
            "pollMinutes": "5",
            "xApiBaseUrl": "https://x-proxy.acme.example/",
            "blueskyApiBaseUrl": "https://pds.acme.example",
            "xMaxRequestsPerRun": "20",
            "xBearerTokenSecretArn": X_TOKEN_SECRET_ARN,
            "blueskySecretArn": BLUESKY_SECRET_ARN,
            "apiRateLimit": "500",
            "apiBurstLimit": "800",
            "managementRateLimit": "20",
            "managementBurstLimit": "40",
            "tableMaxReadUnits": "3000",
            "tableMaxWriteUnits": "2000",
        },
    )


@pytest.fixture(scope="session")
def without_cdn(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """A custom domain served by the API itself, without CloudFront."""
    return synthesize(
        tmp_path_factory.mktemp("without-cdn"),
        {"customDomain": "go.acme.example", "certificateArn": CERTIFICATE_ARN, "cdn": "false"},
    )
