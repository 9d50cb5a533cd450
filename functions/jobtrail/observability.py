"""Logger and Metrics made once and shared by every module.

The Tracer lives in ``jobtrail.tracing``: creating one imports the X-Ray SDK (about a
quarter of a second), which the redirect's cold start cannot afford; the redirect relies on
Lambda's active tracing instead.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from jobtrail.config import METRICS_NAMESPACE, SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
