"""The target URL policy and the redirect's Location.

A job's URL is where every click lands, so it is checked once, strictly, when the job is
created: only absolute ``http``/``https`` URLs with a host, no user-info (which hides the
real host from a reader: ``https://jobs.example@evil.io/``), no control characters or
backslashes (browsers read ``https:/\\evil.example`` as ``https://evil.example``), at most
2048 characters, and never our own short domain (a link that redirects to itself).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from jobtrail.domain.errors import InvalidInput

MAX_URL_LENGTH = 2048
UTM_MEDIUM = "jobtrail"
CLICK_PARAM = "jt_click"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Everything printable in ASCII is kept as written; only other characters are encoded.
_ASCII_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + "%"


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_url")


def _origin(parts: SplitResult) -> tuple[str, int]:
    host = (parts.hostname or "").rstrip(".")
    return host, parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)


def _ascii_host(host: str) -> str:
    """The host in ASCII (IDNA for internationalised names), or an InvalidInput."""
    host = host.rstrip(".").lower()
    if ":" in host:  # urlsplit has taken the brackets off an IPv6 address
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid("The URL's host is not a valid IPv6 address.") from None
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _invalid("The URL's host is not a valid domain name.") from None
    labels = ascii_host.split(".")
    if not ascii_host or not all(_LABEL.match(label) for label in labels):
        raise _invalid("The URL's host is not a valid domain name.")
    return ascii_host


def normalize_target_url(url: str, *, short_base_url: str) -> str:
    """The job URL as stored and redirected to, or InvalidInput saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if _FORBIDDEN_CHARS.search(url):
        raise _invalid(
            "The URL contains spaces, control characters or backslashes; encode them first."
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _invalid("The URL must be an absolute http:// or https:// address.")
    if not url[len(parts.scheme) :].startswith("://") or not parts.netloc:
        raise _invalid("The URL must be an absolute http:// or https:// address.")
    if "@" in parts.netloc:
        raise _invalid("The URL must not carry a user name or password (user:pass@).")
    try:
        port = parts.port
    except ValueError:
        raise _invalid("The URL's port is not a number from 1 to 65535.") from None
    if not parts.hostname:
        raise _invalid("The URL has no host.")
    host = _ascii_host(parts.hostname)
    if _origin(urlsplit(short_base_url)) == (host, port or _DEFAULT_PORTS[scheme]):
        raise _invalid("The URL points at this service's own short domain.")
    netloc = f"[{host}]" if ":" in host else host
    netloc = f"{netloc}:{port}" if port is not None else netloc
    normalized = urlunsplit(
        (
            scheme,
            netloc,
            quote(parts.path, safe=_ASCII_SAFE) or "/",
            quote(parts.query, safe=_ASCII_SAFE),
            quote(parts.fragment, safe=_ASCII_SAFE),
        )
    )
    if len(normalized) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters once encoded.")
    return normalized


def tracked_location(target_url: str, *, channel: str, job_id: str, click_id: str) -> str:
    """The redirect's Location: the job URL with its own query kept as written, the UTM
    parameters it does not already carry, and this click's id."""
    parts = urlsplit(target_url)
    kept = [p for p in parts.query.split("&") if p and _param_name(p) != CLICK_PARAM]
    present = {_param_name(p) for p in kept}
    added = [
        (name, value)
        for name, value in (
            ("utm_source", channel),
            ("utm_medium", UTM_MEDIUM),
            ("utm_campaign", job_id),
            (CLICK_PARAM, click_id),
        )
        if name not in present
    ]
    query = "&".join(kept + [f"{name}={quote(value, safe='')}" for name, value in added])
    return urlunsplit(parts._replace(query=query))


def _param_name(pair: str) -> str:
    return unquote(pair.split("=", 1)[0].replace("+", " "))
