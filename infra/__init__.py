"""Hosting: the CDK app (AWS) and the local runtime, both built from ``routes``."""
