"""The local stack: embedded DynamoDB, the gateway, the stream pumps and the timer, wired
from the route table and configured by the variables in API.md's local runtime contract."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, replace

from infra.local.dynamodb import EmbeddedDynamoDB
from infra.local.functions import LocalFunctions
from infra.local.gateway import Gateway
from infra.local.streams import StreamPump
from infra.local.timer import Timer
from infra.local.visitor_secret import data_dir, visitor_secret
from infra.routes import SCHEDULES, STREAM_CONSUMERS

DEFAULT_PORT = 3000
DEFAULT_API_KEY = "local-dev-key"
LOCAL_WORKSPACE = "local"


def _local_aws_environment() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server, per request
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials in ..."
    """Fake credentials and a region for the SDK, and the settings moto needs."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "jobtrail",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)


@dataclass
class LocalStack:
    port: int
    api_key: str
    quiet: bool = False

    @classmethod
    def from_environment(cls) -> LocalStack:
        port = int(os.environ.get("PORT", str(DEFAULT_PORT)))
        return cls(port=port, api_key=os.environ.get("JOBTRAIL_API_KEY", DEFAULT_API_KEY))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        _local_aws_environment()
        os.environ.setdefault("SHORT_BASE_URL", self.base_url)
        from jobtrail.admin import local_dynamodb_port  # the port the admin's --local uses

        self.dynamodb = EmbeddedDynamoDB(local_dynamodb_port(os.environ))
        self.dynamodb.start()
        # Imported only now: the models read table names, and their connections the
        # endpoint, from the environment set above.
        from jobtrail.domain.times import iso, utc_now
        from jobtrail.store.workspaces import workspace_for_key

        workspace_for_key(LOCAL_WORKSPACE, now=iso(utc_now()), api_key=self.api_key)
        from jobtrail.config import Settings
        from jobtrail.sources.config import ShareSources

        # The visitor hash's key, which AWS keeps in Secrets Manager: a file of the data
        # directory here, never an item of the tables.
        settings = replace(Settings.from_env(), visitor_secret=visitor_secret(data_dir(os.environ)))
        # The poller's own sources: what the runtime says at start about them (which
        # networks are off) is then not said again on the poller's first run.
        self.share_sources = ShareSources(settings.secret_max_age_seconds)
        self.functions = LocalFunctions(settings, given={"poller": {"sources": self.share_sources}})
        self.functions.load_all()
        client = self.dynamodb.client("dynamodb")
        streams = self.dynamodb.client("dynamodbstreams")
        self.pumps = [
            StreamPump(
                self.functions,
                client,
                streams,
                table_name=self.dynamodb.table_names[consumer.table],
                function=consumer.function,
                batch_size=consumer.batch_size,
                window_seconds=consumer.window_seconds,
            )
            for consumer in STREAM_CONSUMERS
        ]
        poll = float(os.environ.get("POLL_INTERVAL_SECONDS", "900"))
        self.timer = Timer(
            self.functions,
            [(s.function, poll if s.function == "poller" else s.seconds) for s in SCHEDULES],
        )
        self.gateway = Gateway(self.port, self.functions, quiet=self.quiet)
        for pump in self.pumps:
            pump.start()
        self.timer.start()
        self._serving = threading.Thread(target=self.gateway.serve_forever, daemon=True)
        self._serving.start()

    def stop(self) -> None:
        self.gateway.shutdown()
        self.gateway.server_close()
        self.timer.stop()
        for pump in self.pumps:
            pump.stop()
        self.dynamodb.stop()
