"""A link's life after it is made: turned off and on again, given an end or none. An
ended link answers 410 at its short URL and records nothing (``clicks.LinkTarget.ended``);
the redirect may keep a link for up to its cache's time to live, so a change reaches every
redirect within that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from jobtrail.domain.errors import InvalidInput, NotFound
from jobtrail.domain.jobs import Link
from jobtrail.domain.times import iso


class Keep(Enum):
    """A field a change leaves as it is (``None`` is a value: no end)."""

    KEEP = "keep"


KEEP = Keep.KEEP
NOTHING_TO_CHANGE = (
    "Name disabled (true or false), expires_at (a time, or null for no end) or both to "
    "change; an empty body changes nothing."
)


@dataclass(frozen=True)
class LinkChange:
    disabled: bool | Keep = KEEP
    expires_at: str | Keep | None = KEEP  # ISO-8601 UTC, or None: the link does not end


class LinkStore(Protocol):
    """What a link's changes need from storage (``jobtrail.store.links.DynamoLinkStore``)."""

    def change_link(
        self, workspace_id: str, job_id: str, slug: str, change: LinkChange
    ) -> Link | None:
        """Change the job's link, every copy of it at once, and answer it as it now is;
        None when the job (in this workspace) has no link with that slug."""


def change_link(
    store: LinkStore,
    *,
    workspace_id: str,
    job_id: str,
    slug: str,
    disabled: bool | Keep = KEEP,
    expires_at: datetime | Keep | None = KEEP,
) -> Link:
    """Turn a link off or on, or set or clear its end. An end in the past is taken: it ends
    the link now."""
    if disabled is KEEP and expires_at is KEEP:
        raise InvalidInput(NOTHING_TO_CHANGE, code="validation_error")
    if isinstance(expires_at, datetime):
        if expires_at.tzinfo is None:
            raise InvalidInput(
                "Give expires_at with its time zone, e.g. 2026-12-31T23:00:00Z.",
                code="validation_error",
            )
        change = LinkChange(disabled, iso(expires_at))
    else:
        change = LinkChange(disabled, expires_at)
    link = store.change_link(workspace_id, job_id, slug, change)
    if link is None:
        raise link_not_found(job_id, slug)
    return link


def link_not_found(job_id: str, slug: str) -> NotFound:
    return NotFound(
        f"Job '{job_id}' has no link '{slug}' in this workspace.", code="link_not_found"
    )
