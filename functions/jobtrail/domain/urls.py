"""The target URL policy and the redirect's Location.

A job's URL is where every click lands, so it is checked once, strictly, when the job is
created: only absolute ``http``/``https`` URLs with a host, no user-info (which hides the
real host from a reader: ``https://jobs.example@evil.io/``), no control characters or
backslashes (browsers read ``https:/\\evil.example`` as ``https://evil.example``), at most
2048 characters, a port from 1 to 65535, and never our own short host under any spelling
(a link that redirects to itself).

The host must be a public one: a name with a dot that is not ``localhost`` or a local
network's name, or an IP address that is globally reachable. An address is judged in
every way a browser reads it: ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` are all
127.0.0.1, ``[::ffff:7f00:1]`` too; a host whose last label is a number is an IPv4
address or nothing, as in browsers. A name that merely resolves to a private address
cannot be told from here; the policy keeps clicks off the obvious inside of a network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from jobtrail.domain.errors import InvalidInput

MAX_URL_LENGTH = 2048
UTM_MEDIUM = "jobtrail"
CLICK_PARAM = "jt_click"

_SCHEMES = ("http", "https")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A last label that is a number (decimal, octal or 0x-hex) makes the host an IPv4 address
# to a browser (the WHATWG URL standard), however many parts it has: 127.1, 2130706433.
_NUMBER = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")
# Names that never lead to the public internet: this computer (RFC 6761), mDNS on the
# local link (RFC 6762), home networks (RFC 8375), ICANN's private-use .internal, and the
# alias many systems give localhost.
_LOCAL_NAMES = ("localhost", "localdomain", "local", "internal", "home.arpa")
# ipaddress has no property for the shared address space of carrier-grade NAT (RFC 6598).
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# Everything printable in ASCII is kept as written; only other characters are encoded.
_ASCII_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + "%"

_Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class _Host:
    """A URL's host as it is stored: an ASCII name, or an IP address in its usual form."""

    name: str
    address: _Address | None = None

    @property
    def netloc(self) -> str:
        return f"[{self.name}]" if isinstance(self.address, ipaddress.IPv6Address) else self.name

    @property
    def key(self) -> str:
        """The same for every spelling of one host (an IPv4-mapped IPv6 address is its
        IPv4 address)."""
        if isinstance(self.address, ipaddress.IPv6Address) and self.address.ipv4_mapped:
            return str(self.address.ipv4_mapped)
        return self.name


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_url")


def _parse_host(hostname: str, *, bracketed: bool) -> _Host:
    """The host in ASCII (IDNA for internationalised names, the usual form of an IP
    address), or an InvalidInput."""
    host = hostname.rstrip(".").lower()
    if bracketed:  # urlsplit has taken the brackets off an IPv6 address
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid("The URL's host is not a valid IPv6 address.") from None
        if address.scope_id is not None:
            raise _invalid("The URL's IPv6 address must not name a network interface (%...).")
        return _Host(str(address), address)
    try:
        # Checked after IDNA, which maps look-alikes to ASCII: 127.0.0.1 written in
        # full-width digits and ideographic full stops (U+3002) is 127.0.0.1.
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _invalid("The URL's host is not a valid domain name.") from None
    labels = ascii_host.split(".")
    if not ascii_host or not all(_LABEL.match(label) for label in labels):
        raise _invalid("The URL's host is not a valid domain name.")
    if _NUMBER.match(labels[-1]):
        try:
            # inet_aton reads every form browsers do (decimal, octal, hex, 1 to 4 parts);
            # ipaddress takes only the dotted-quad form.
            address4 = ipaddress.IPv4Address(socket.inet_aton(ascii_host))
        except OSError:
            raise _invalid("The URL's host looks like an IP address but is not one.") from None
        return _Host(str(address4), address4)
    return _Host(ascii_host)


def _embedded(address: _Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and leads to (IPv4-mapped, 6to4), if any."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour
    return None


def _address_kind(address: _Address) -> str | None:
    """What kind of address that cannot be a job ad's this is; None for a public one."""
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address (this computer)"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared address (carrier-grade NAT)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private network address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _check_public(host: _Host, written: str) -> None:
    """InvalidInput unless the host is a public name or address."""
    advice = "use the public address of the job ad."
    if host.address is not None:
        read = _embedded(host.address) or host.address
        kind = _address_kind(read)
        if kind is not None:
            shown = written if str(read) == written else f"{written} ({read})"
            raise _invalid(f"The URL's host {shown} is {kind}, not a public one; {advice}")
        return
    if any(host.name == n or host.name.endswith("." + n) for n in _LOCAL_NAMES):
        raise _invalid(f"The URL's host {host.name} is a local name, not a public one; {advice}")
    if "." not in host.name:
        raise _invalid(
            f"The URL's host {host.name} is not a public name (those have a dot, like "
            f"careers.example.com); {advice}"
        )


def _short_host_key(short_base_url: str) -> str:
    parts = urlsplit(short_base_url)
    try:
        return _parse_host(parts.hostname or "", bracketed=parts.netloc.startswith("[")).key
    except InvalidInput:
        return (parts.hostname or "").rstrip(".")


def normalize_target_url(url: str, *, short_base_url: str) -> str:
    """The job URL as stored and redirected to, or InvalidInput saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if _FORBIDDEN_CHARS.search(url):
        raise _invalid(
            "The URL contains spaces, control characters or backslashes; encode them first."
        )
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is not an IP address, or no closing bracket
        raise _invalid("The URL's host is not a valid IPv6 address.") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise _invalid("The URL must be an absolute http:// or https:// address.")
    if not url[len(parts.scheme) :].startswith("://") or not parts.netloc:
        raise _invalid("The URL must be an absolute http:// or https:// address.")
    if "@" in parts.netloc:
        raise _invalid("The URL must not carry a user name or password (user:pass@).")
    try:
        port = parts.port
    except ValueError:  # not digits, or above 65535
        port = 0
    if port == 0:  # urlsplit takes 0, which no server listens on
        raise _invalid("The URL's port is not a number from 1 to 65535.")
    if not parts.hostname:
        raise _invalid("The URL has no host.")
    host = _parse_host(parts.hostname, bracketed=parts.netloc.startswith("["))
    if host.key == _short_host_key(short_base_url):
        raise _invalid("The URL points at this service's own short domain.")
    _check_public(host, parts.hostname.rstrip("."))
    netloc = host.netloc if port is None else f"{host.netloc}:{port}"
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


def tracked_location(target_url: str, *, channel: str, campaign: str, click_id: str) -> str:
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
            ("utm_campaign", campaign),
            (CLICK_PARAM, click_id),
        )
        if name not in present
    ]
    query = "&".join(kept + [f"{name}={quote(value, safe='')}" for name, value in added])
    return urlunsplit(parts._replace(query=query))


def _param_name(pair: str) -> str:
    return unquote(pair.split("=", 1)[0].replace("+", " "))
