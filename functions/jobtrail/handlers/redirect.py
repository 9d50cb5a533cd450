"""The redirect, ``GET|HEAD /{slug}``: the hot path.

One key read of the link (skipped while a warm function has it cached, at most
``SLUG_CACHE_SECONDS``), one write of the click, nothing else. It imports as little as it
can: no pydantic, no X-Ray SDK (Lambda's active tracing covers it), no event data classes;
the event is a plain API Gateway v2 dict.

A link that is disabled or past its end answers 410 and records nothing. A browser (its
``Accept`` names ``text/html``) is told 404 and 410 as a small page of its own, with no
script and nothing to fetch; every other client as the API's JSON error.

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

import html
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


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font: 1.1rem/1.5 system-ui, sans-serif; max-width: 34rem; margin: 12vh auto;
  padding: 0 1.25rem; color: #1f2328; }}
h1 {{ font-size: 1.6rem; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{text}</p>
</body>
</html>
"""


def _wants_html(event: dict[str, Any]) -> bool:
    """Whether the client's ``Accept`` names ``text/html`` (a browser does) without
    refusing it (``;q=0``). A few lines rather than a content negotiation library: the
    redirect imports as little as it can."""
    accept = str((event.get("headers") or {}).get("accept") or "")
    for media_range in accept.lower().split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        if kind == "text/html":
            return _quality(params) > 0
    return False


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 1.0
    return 1.0


def _refusal(
    event: dict[str, Any], status: int, code: str, message: str, title: str, text: str
) -> dict[str, Any]:
    """A 404 or 410 of a slug: a page for a browser, the JSON error for anyone else."""
    if not _wants_html(event):
        return _error(status, code, message, Vary="Accept")
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Vary": "Accept",
            "X-Robots-Tag": "noindex",
        },
        "body": _PAGE.format(title=html.escape(title), text=html.escape(text)),
    }


def _not_found(event: dict[str, Any], slug: str) -> dict[str, Any]:
    return _refusal(
        event,
        404,
        "link_not_found",
        f"No short link '{slug}'.",
        "This link does not exist",
        f"There is no short link '{slug}'. Check that the address is complete, or ask whoever "
        "shared it for the link again.",
    )


def _gone(event: dict[str, Any], slug: str) -> dict[str, Any]:
    return _refusal(
        event,
        410,
        "link_gone",
        f"The short link '{slug}' has ended; ask whoever shared it for a new one.",
        "This link has ended",
        f"The short link '{slug}' has ended and no longer leads to the job ad. Ask whoever "
        "shared it for a new link.",
    )


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
        source_ip=clicks.viewer_address(
            headers, http.get("sourceIp", ""), origin_secret=origin_secret
        ),
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
            return _not_found(event, slug)
        now = self.clock.now()
        if link.ended(now):
            # Nothing recorded: no click, no salt, so no counter moves.
            metrics.add_metric(name="ended_link_hits", unit=MetricUnit.Count, value=1)
            return _gone(event, slug)
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
