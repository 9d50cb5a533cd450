"""The local stack: embedded DynamoDB, the gateway, the stream pumps and the timer, wired
from the route table and configured by the variables docs/api.md lists for the local runtime."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from infra.local.dynamodb import EmbeddedDynamoDB, ensure_free
from infra.local.errors import CannotStart
from infra.local.functions import LocalFunctions
from infra.local.gateway import Gateway
from infra.local.persistence import DataDirectory, Snapshots, data_dir_from, load
from infra.local.streams import StreamPump
from infra.local.timer import Timer
from infra.local.visitor_secret import SECRET_BYTES, visitor_secret
from infra.routes import SCHEDULES, STREAM_CONSUMERS

DEFAULT_PORT = 3000
DEFAULT_API_KEY = "local-dev-key"
LOCAL_WORKSPACE = "local"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_FALSE = ("0", "false", "no", "off")


def log_level(environ: Mapping[str, str]) -> str:
    """``JOBTRAIL_LOG_LEVEL``: how much the local runtime says (default INFO)."""
    level = environ.get("JOBTRAIL_LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise CannotStart(f"JOBTRAIL_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    return level


def metrics_shown(environ: Mapping[str, str]) -> bool:
    """Whether the functions' metrics are printed, as the JSON lines CloudWatch reads on
    AWS (one per request, and Powertools' warning for a request with none): only when
    asked for, with ``JOBTRAIL_LOG_LEVEL=DEBUG`` or ``POWERTOOLS_METRICS_DISABLED=false``."""
    disabled = environ.get("POWERTOOLS_METRICS_DISABLED")
    if disabled is not None and disabled.strip():
        return disabled.strip().lower() in _FALSE
    return log_level(environ) == "DEBUG"


def _local_aws_environment() -> None:
    """Fake credentials and a region for the SDK, the settings moto needs, and the
    functions' metrics quiet unless asked for."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server, per request
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials in ..."
    if not metrics_shown(os.environ):
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        warnings.filterwarnings("ignore", message="No application metrics to publish")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "jobtrail",
        "POWERTOOLS_LOG_LEVEL": "DEBUG" if log_level(os.environ) == "DEBUG" else "WARNING",
    }.items():
        os.environ.setdefault(name, value)


def _forget_metrics() -> None:
    """Powertools keeps disabled metrics (it clears them only when it prints them) and
    prints them anyway once a metric has a hundred values: the runtime drops them."""
    from jobtrail.observability import metrics

    metrics.clear_metrics()


@dataclass
class LocalStack:
    port: int
    api_key: str
    # Where the data is kept between runs; None: in memory only (the bench's comparison).
    data_dir: Path | None = None
    quiet: bool = False

    @classmethod
    def from_environment(cls) -> LocalStack:
        port = os.environ.get("PORT", str(DEFAULT_PORT))
        if not port.isdigit() or not 0 < int(port) < 65535:
            raise CannotStart(f"PORT must be a port number from 1 to 65534; got {port!r}")
        return cls(
            port=int(port),
            api_key=os.environ.get("JOBTRAIL_API_KEY", DEFAULT_API_KEY),
            data_dir=data_dir_from(os.environ),
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start everything; ``CannotStart`` says in one line why it cannot."""
        _local_aws_environment()
        os.environ.setdefault("SHORT_BASE_URL", self.base_url)
        from jobtrail.admin import AdminError, local_dynamodb_port

        self.data = DataDirectory(self.data_dir) if self.data_dir else None
        if self.data:
            self.data.open()
        ensure_free(self.port, "for the gateway", "set PORT to a free one")
        try:
            dynamodb_port = local_dynamodb_port(os.environ)  # the one the admin's --local uses
        except AdminError as error:
            raise CannotStart(str(error)) from None
        saved = load(self.data.snapshot) if self.data else None
        self.dynamodb = EmbeddedDynamoDB(dynamodb_port)
        self.dynamodb.start(saved.tables if saved else None)
        # Imported only now: the models read table names, and their connections the
        # endpoint, from the environment set above.
        from jobtrail.domain.times import iso, utc_now
        from jobtrail.store.workspaces import workspace_for_key

        # A restart with the same key keeps its workspace (and lists the key).
        workspace_for_key(LOCAL_WORKSPACE, now=iso(utc_now()), api_key=self.api_key)
        from jobtrail.config import Settings
        from jobtrail.sources.config import ShareSources

        # The visitor hash's key, which AWS keeps in Secrets Manager: a file of the data
        # directory here, never an item of the tables (kept in memory only, like the data,
        # by a stack without a data directory).
        secret = (
            visitor_secret(self.data_dir) if self.data_dir else secrets.token_bytes(SECRET_BYTES)
        )
        settings = replace(Settings.from_env(), visitor_secret=secret)
        # The poller's own sources: what the runtime says at start about them (which
        # networks are off) is then not said again on the poller's first run.
        self.share_sources = ShareSources(settings.secret_max_age_seconds)
        self.functions = LocalFunctions(
            settings,
            given={"poller": {"sources": self.share_sources}},
            after_invoke=None if metrics_shown(os.environ) else _forget_metrics,
        )
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
                positions=saved.positions.get(self.dynamodb.table_names[consumer.table])
                if saved
                else None,
            )
            for consumer in STREAM_CONSUMERS
        ]
        self.snapshots = (
            Snapshots(self.data.snapshot, self.dynamodb, self.pumps) if self.data else None
        )
        poll = float(os.environ.get("POLL_INTERVAL_SECONDS", "900"))
        self.timer = Timer(
            self.functions,
            [(s.function, poll if s.function == "poller" else s.seconds) for s in SCHEDULES],
        )
        self.gateway = Gateway(self.port, self.functions, quiet=self.quiet)
        if self.snapshots:
            self.snapshots.start()
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
        if self.snapshots:
            self.snapshots.stop()
        self.dynamodb.stop()
        if self.data:
            self.data.close()
