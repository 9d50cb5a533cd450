"""The redirect, ``GET|HEAD /{slug}``: the hot path.

One key read of the link (skipped while a warm function has it cached, at most
``SLUG_CACHE_SECONDS``), one write of the click, nothing else. It imports as little as it
can: no pydantic, no X-Ray SDK (Lambda's active tracing covers it), no event data classes;
the event is a plain API Gateway v2 dict.

Faults: a link that cannot be read answers 503 with ``Retry-After`` (never a redirect to a
URL nobody checked, and nothing is cached). A click that cannot be written still gets its
redirect: the store retries it once within the request, then it is logged as one
``replay_click`` record (``jobtrail.domain.replay``) for ``python -m jobtrail.admin
replay-clicks`` and counted in the ``clicks_not_recorded`` metric.

The visitor hash is keyed with a secret that is not in any table (``domain.clicks``): on
AWS the Secrets Manager secret ``VISITOR_SECRET_ARN`` names, read once where the handler
is wired (a cold start). Should that read fail, the visitor still gets the redirect and the
click is recorded, hashed with a random stand-in key of this instance that is never stored
(unique visitors may then be counted twice); the secret is asked for again at most every
``SECRET_RETRY_SECONDS``.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobtrail.cache import TtlCache
from jobtrail.config import Settings, SettingsError
from jobtrail.domain import clicks, replay
from jobtrail.domain.errors import Unavailable
from jobtrail.domain.times import Clock
from jobtrail.domain.urls import tracked_location
from jobtrail.observability import logger, metrics
from jobtrail.store import clicks as store
from jobtrail.store.connection import connection
from jobtrail.store.models import use_tables
from jobtrail.wiring import Handler, entry_point

# Long enough for a throttled table to recover, short enough that a crawler (browsers
# ignore it) comes back soon.
RETRY_AFTER_SECONDS = 2
# How often a function without its visitor secret (Secrets Manager failed) asks again.
SECRET_RETRY_SECONDS = 10.0


def _error(status: int, code: str, message: str, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **headers},
        "body": json.dumps({"error": {"code": code, "message": message}}),
    }


def _not_found(slug: str) -> dict[str, Any]:
    return _error(404, "link_not_found", f"No short link '{slug}'.")


def _unavailable() -> dict[str, Any]:
    message = "The short link cannot be looked up right now; try again in a moment."
    return _error(503, "unavailable", message, **{"Retry-After": str(RETRY_AFTER_SECONDS)})


def _save(click: clicks.Click) -> None:
    """Write the click; if it cannot be, log it for replay. Never raises: the visitor's
    redirect matters more than the click."""
    try:
        attempts = store.save_click(click)
    except Unavailable as error:
        logger.error(
            "click not recorded",
            extra={replay.KEY: replay.record_of(click), "error": str(error)},
        )
        metrics.add_metric(name="clicks_not_recorded", unit=MetricUnit.Count, value=1)
        return
    if attempts > 1:
        metrics.add_metric(name="click_writes_retried", unit=MetricUnit.Count, value=1)


def _visit(event: dict[str, Any], *, origin_secret: str | None) -> clicks.Visit:
    http = event["requestContext"]["http"]
    headers = event.get("headers") or {}
    return clicks.Visit(
        method=http["method"],
        source_ip=http.get("sourceIp", ""),
        user_agent=headers.get("user-agent"),
        referer=headers.get("referer"),
        country=clicks.viewer_country(headers, origin_secret=origin_secret),
    )


def read_visitor_secret(settings: Settings) -> bytes:
    """The key of the visitor hash: the one the settings carry (the local runtime's, the
    tests'), else the Secrets Manager secret ``VISITOR_SECRET_ARN`` names. Raises
    ``SettingsError`` when there is neither, ``Unavailable`` when the secret cannot be read."""
    if settings.visitor_secret:
        return settings.visitor_secret
    if not settings.visitor_secret_arn:
        raise SettingsError(
            "VISITOR_SECRET_ARN must name the Secrets Manager secret that keys the visitor "
            "hash: without a key, a visitor's address could be worked out from the tables."
        )
    # Imported here, on AWS only: the local runtime and the tests give the key itself.
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    # Powertools' secrets provider (what ``parameters.get_secret`` uses) with a client from
    # the store's botocore session, which has its loaders warm: about 6 ms on a cold start,
    # where the provider's own boto3 client costs about 70 ms.
    shared = connection()
    client: Any = shared.session.create_client("secretsmanager", shared.region)
    try:
        value = parameters.SecretsProvider(boto3_client=client).get(settings.visitor_secret_arn)
    except GetParameterError as error:
        # The message is Secrets Manager's reason, never the secret's value.
        raise Unavailable(f"The visitor secret could not be read ({error}).") from error
    # A generated secret is text; one put in as binary is used as it is.
    secret = value.encode() if isinstance(value, str) else value
    if not isinstance(secret, bytes) or not secret:
        raise SettingsError(
            "The secret VISITOR_SECRET_ARN names holds no key: put a random value in it."
        )
    return secret


class Redirect:
    """A warm redirect: its settings, its clock, the links it has read (each kept at most
    ``slug_cache_seconds``), the day's salt and the visitor secret (read once, here)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.links: TtlCache[clicks.LinkTarget | None] = TtlCache(clock.monotonic)
        self._salt: tuple[date, str] | None = None
        self._stand_in_salt: tuple[date, str] | None = None
        self._secret: bytes | None = None
        self._secret_retry_at = 0.0
        self._stand_in_secret = secrets.token_bytes(32)
        self._try_secret()

    def _try_secret(self) -> None:
        try:
            self._secret = read_visitor_secret(self.settings)
        except Unavailable as error:
            logger.error(
                "visitor secret unavailable, using a stand-in", extra={"error": str(error)}
            )
            self._secret_retry_at = self.clock.monotonic() + SECRET_RETRY_SECONDS

    def _visitor_secret(self) -> bytes:
        if self._secret is None and self.clock.monotonic() >= self._secret_retry_at:
            self._try_secret()
        return self._secret or self._stand_in_secret

    def _link(self, slug: str) -> clicks.LinkTarget | None:
        # A missing slug is not kept: a link made a moment later must work at once.
        return self.links.get(
            slug,
            lambda: store.find_link(slug),
            lambda link: self.settings.slug_cache_seconds if link is not None else None,
        )

    def _salt_of(self, day: date) -> str:
        if self._salt is None or self._salt[0] != day:
            try:
                self._salt = (day, store.salt_for(day))
            except Unavailable as error:
                # The link is known, so the visitor still gets it, and the click is still
                # recorded: hashed with a random salt of this instance and day that is
                # never stored. Unique visitors may be counted twice across the fault, but
                # no address is kept. The real salt is asked for again on the next request.
                logger.warning("salt unavailable, using a stand-in", extra={"error": str(error)})
                if self._stand_in_salt is None or self._stand_in_salt[0] != day:
                    self._stand_in_salt = (day, secrets.token_hex(32))
                return self._stand_in_salt[1]
        return self._salt[1]

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        slug = (event.get("pathParameters") or {}).get("slug", "")
        try:
            link = self._link(slug)
        except Unavailable as error:
            logger.error("link lookup failed", extra={"slug": slug, "error": str(error)})
            metrics.add_metric(name="link_lookups_failed", unit=MetricUnit.Count, value=1)
            return _unavailable()
        if link is None:
            return _not_found(slug)
        now = self.clock.now()
        click = clicks.record(
            link,
            _visit(event, origin_secret=self.settings.origin_secret),
            secret=self._visitor_secret(),
            salt=self._salt_of(now.date()),
            now=now,
            retention_days=self.settings.click_retention_days,
        )
        _save(click)
        metrics.add_metric(
            name="clicks" if click.bot_class == "human" else "bot_hits",
            unit=MetricUnit.Count,
            value=1,
        )
        return {
            "statusCode": 302,
            "headers": {
                "Location": tracked_location(
                    link.target_url,
                    channel=link.channel,
                    campaign=link.campaign,
                    click_id=click.click_id,
                ),
                "Cache-Control": "no-store",
                "X-Robots-Tag": "noindex",
            },
            "body": "",
        }


def build(settings: Settings, clock: Clock) -> Handler:
    use_tables(settings.main_table, settings.events_table)
    redirect = Redirect(settings, clock)

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return redirect(event)

    return lambda_handler


lambda_handler = entry_point(build)
