"""A click of a short link: what is recorded, built from what the redirect sees.

The visitor is a keyed hash of address and user agent (HMAC-SHA256). Its input starts with
the day's salt, which is random, changes every UTC day and is then forgotten, so a visitor
can be counted once a day but never followed from one day to the next. Its key is a secret
that is never stored next to the clicks (on AWS a Secrets Manager secret only the redirect
may read): the salt and the user agent are in the main table, and with them alone every
IPv4 address could be tried in a few hours per user agent; without the key, none can. No
address is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import get_type_hints
from urllib.parse import urlsplit

from jobtrail.domain import robots
from jobtrail.domain.ids import new_id
from jobtrail.domain.times import iso

MAX_USER_AGENT = 512
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# CloudFront adds the viewer's country; the stack's CloudFront adds the origin secret too.
COUNTRY_HEADER = "cloudfront-viewer-country"
# Behind CloudFront the request's source is an edge server; the viewer's own address (and
# port) comes in this header: ``198.51.100.10:46532``, ``2001:db8::1:46532``.
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"
ORIGIN_SECRET_HEADER = "x-jobtrail-origin-secret"  # noqa: S105 (a name, not the secret)


@dataclass(frozen=True)
class Visit:
    """What the redirect knows of one request."""

    method: str
    source_ip: str
    user_agent: str | None
    referer: str | None
    country: str | None


@dataclass(frozen=True)
class LinkTarget:
    """What the redirect needs of a link: read by slug, cached briefly."""

    slug: str
    workspace_id: str
    job_id: str
    channel: str
    sharer: str | None
    target_url: str
    campaign: str  # the job's, as its utm_campaign
    # Read with the link, so that the redirect learns whether it has ended at no extra cost.
    disabled: bool = False
    expires_at: datetime | None = None

    def ended(self, now: datetime) -> bool:
        """Turned off, or past its end: the redirect answers 410 and records nothing."""
        return self.disabled or (self.expires_at is not None and now >= self.expires_at)


@dataclass(frozen=True)
class Click:
    """One click: the one definition of what is recorded. The click item (``store``), the
    replay record (``domain.replay``) and the aggregator's reading of the events stream
    (``domain.counters``) are all derived from these fields (``CLICK_FIELDS``)."""

    click_id: str
    at: datetime
    slug: str
    workspace_id: str
    job_id: str
    channel: str
    sharer: str | None
    visitor: str
    bot_class: str
    method: str
    user_agent: str | None
    referrer_host: str | None
    country: str | None
    device: str
    expires_at: datetime

    @property
    def day(self) -> str:
        return self.at.date().isoformat()

    @property
    def at_iso(self) -> str:
        return iso(self.at)


@dataclass(frozen=True)
class ClickFields:
    """A click's fields by kind, read off ``Click``: a field added there is written,
    stored and read back everywhere without being named again."""

    names: tuple[str, ...]  # all, in order
    texts: tuple[str, ...]  # non-empty text
    optional_texts: tuple[str, ...]  # text or None
    times: tuple[str, ...]  # time-zone aware datetimes


def fields_by_kind(cls: type) -> ClickFields:
    hints = get_type_hints(cls)
    kinds: dict[object, list[str]] = {str: [], str | None: [], datetime: []}
    for field in fields(cls):
        hint = hints[field.name]
        if hint not in kinds:
            raise TypeError(f"{cls.__name__}.{field.name}: a click holds texts and times only")
        kinds[hint].append(field.name)
    return ClickFields(
        names=tuple(field.name for field in fields(cls)),
        texts=tuple(kinds[str]),
        optional_texts=tuple(kinds[str | None]),
        times=tuple(kinds[datetime]),
    )


CLICK_FIELDS = fields_by_kind(Click)
# The click's time to live: it expires (and is deleted) then.
EXPIRY_FIELD = "expires_at"


def from_cloudfront(headers: Mapping[str, str], *, origin_secret: str | None) -> bool:
    """Whether the request came through the stack's CloudFront: it carries the origin
    secret, which only that distribution adds (and sends on to the origin, never to the
    visitor). Without a secret configured, no request did. ``headers`` in lower case."""
    presented = headers.get(ORIGIN_SECRET_HEADER)
    if not origin_secret or presented is None:
        return False
    # In constant time, so the secret cannot be guessed from how fast a wrong one fails.
    return hmac.compare_digest(
        presented.encode(errors="surrogatepass"), origin_secret.encode(errors="surrogatepass")
    )


def viewer_country(headers: Mapping[str, str], *, origin_secret: str | None) -> str | None:
    """The visitor's country as the stack's CloudFront gives it, or None.

    Anyone can send a ``CloudFront-Viewer-Country`` header straight to the API, so it is
    believed only on a request that came through CloudFront (``from_cloudfront``).
    """
    if not from_cloudfront(headers, origin_secret=origin_secret):
        return None
    return headers.get(COUNTRY_HEADER)


def viewer_address(headers: Mapping[str, str], source_ip: str, *, origin_secret: str | None) -> str:
    """The visitor's address: CloudFront's ``CloudFront-Viewer-Address`` (without its
    port) on a request that came through it, else the request's source. Behind CloudFront
    the source is an edge server shared by many visitors, who would count as one."""
    given = headers.get(VIEWER_ADDRESS_HEADER)
    if not given or not from_cloudfront(headers, origin_secret=origin_secret):
        return source_ip
    address, _, port = given.rpartition(":")
    return address if address and port.isdigit() else source_ip


def visitor_hash(secret: bytes, salt: str, source_ip: str, user_agent: str | None) -> str:
    """The visitor of a request: the same for the same address and user agent on one day
    (one salt), and not to be computed from what the tables hold without ``secret``."""
    if not secret:
        raise ValueError("the visitor hash needs its secret key")
    message = f"{salt}\n{source_ip}\n{user_agent or ''}".encode(errors="surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def device_class(user_agent: str | None) -> str:
    if not user_agent:
        return "unknown"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def referrer_host(referer: str | None) -> str | None:
    if not referer:
        return None
    try:
        host = urlsplit(referer.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".")[:253] if host else None


def record(
    link: LinkTarget,
    visit: Visit,
    *,
    secret: bytes,
    salt: str,
    now: datetime,
    retention_days: int,
) -> Click:
    """The click event for one redirect."""
    user_agent = visit.user_agent[:MAX_USER_AGENT] if visit.user_agent else None
    country = (visit.country or "").upper()
    return Click(
        click_id=new_id(),
        at=now,
        slug=link.slug,
        workspace_id=link.workspace_id,
        job_id=link.job_id,
        channel=link.channel,
        sharer=link.sharer,
        visitor=visitor_hash(secret, salt, visit.source_ip, user_agent),
        bot_class=robots.first_glance(visit.method, user_agent),
        method=visit.method.upper(),
        user_agent=user_agent,
        referrer_host=referrer_host(visit.referer),
        country=country if _COUNTRY.match(country) else None,
        device=device_class(user_agent),
        expires_at=now + timedelta(days=retention_days),
    )
