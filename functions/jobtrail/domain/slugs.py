"""Short-link slugs: random ones that read well aloud, and rules for custom ones."""

from __future__ import annotations

import re
import secrets

from jobtrail.domain.errors import InvalidInput

# First path segments that the stack serves itself; a slug can never take one.
RESERVED = frozenset(
    {"api", "dashboard", "health", "_local", "static", "favicon.ico", "robots.txt"}
)
# No 0/O/o, 1/l/I: a slug read off a poster or said on a call is typed right.
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 7
CUSTOM_PATTERN = r"^[A-Za-z0-9_-]{3,64}$"
_CUSTOM = re.compile(CUSTOM_PATTERN)


def random_slug(length: int = RANDOM_LENGTH) -> str:
    """A fresh random slug (56**7, about 1.7e12 of them); uniqueness is the store's job."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_reserved(slug: str) -> bool:
    return slug.lower() in RESERVED


def check_custom_slug(slug: str) -> str:
    """The custom slug if it may be used, else InvalidInput (``invalid_slug``)."""
    if not _CUSTOM.fullmatch(slug):
        raise InvalidInput(
            "A slug is 3 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.", code="invalid_slug"
        )
    if is_reserved(slug):
        raise InvalidInput(f"'{slug}' is reserved by the service.", code="reserved_slug")
    return slug
