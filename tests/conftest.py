"""Settings every test shares. The SDK is pointed at nothing real: credentials are fake,
and the region and endpoint mode are set the way moto needs them."""

from __future__ import annotations

import os

for _name, _value in {
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "jobtrail",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "SHORT_BASE_URL": "https://jt.example",
}.items():
    os.environ[_name] = _value
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)

# The second checks each function's DynamoDB calls in the integration tests against its role.
pytest_plugins = ["tests.fakes.fixtures", "tests.integration.dynamodb_calls"]
