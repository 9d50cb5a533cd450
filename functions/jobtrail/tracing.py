"""The Powertools Tracer, for every function but the redirect (see ``observability``)."""

from __future__ import annotations

from aws_lambda_powertools import Tracer

from jobtrail.config import SERVICE_NAME

tracer = Tracer(service=SERVICE_NAME)
