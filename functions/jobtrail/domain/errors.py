"""Domain errors: raised by domain and store code, turned into HTTP answers in one place
(``jobtrail.api.errors``)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the product refuses; ``code`` is the stable snake_case error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """Parsed input that breaks a product rule (a bad target URL, a reserved slug)."""

    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    """A passing fault the caller may retry (a dependency failed, slugs ran out)."""

    status = 503
    code = "unavailable"
