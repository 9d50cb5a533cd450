"""Request and response bodies of the management API. Validation and the OpenAPI document
both come from these models, and what a recruiter is told when a field breaks its rule
from ``RULES``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from jobtrail.domain.slugs import CUSTOM_PATTERN
from jobtrail.domain.urls import MAX_URL_LENGTH

CHANNEL_RULE = "A channel is 1 to 32 lowercase letters, digits or '-', e.g. linkedin."
DAY_RULE = "Give the day as YYYY-MM-DD, e.g. 2026-03-01."

# One sentence per field that says what the field takes, told in place of pydantic's own
# messages (which quote regular expressions). A list's item is named ``<list>[]``; query and
# path parameters by their name. A field missing here gets ``GENERIC_RULE``.
RULES: dict[str, str] = {
    "title": "A title is 1 to 200 characters of text.",
    "url": f"The url is the job ad's address: an http or https URL of at most {MAX_URL_LENGTH} "
    "characters.",
    "tags": "Tags are a list of at most 20 fields of work, e.g. data or webb.",
    "tags[]": "A tag is 1 to 50 characters of text, e.g. data.",
    "channels": "Channels are a list of 1 to 20 channel names, e.g. twitter and linkedin.",
    "channels[]": CHANNEL_RULE,
    "channel": CHANNEL_RULE,
    "ats_id": "An ats_id is the job's id in your applicant tracking system: 1 to 200 characters "
    "of text, or null.",
    "sharer": "A sharer handle has 1 to 100 letters, digits, '_', '.' or '-', with an optional "
    "leading '@'.",
    "slug": "A slug is 3 to 64 letters, digits, '-' or '_'.",
    "limit": "Give limit as a whole number from 1 to 100.",
    "cursor": "Give cursor as the next_cursor of the page before, unchanged.",
    "from": DAY_RULE,
    "to": DAY_RULE,
    "job_id": "A job id is 1 to 64 letters and digits, as the API gave it.",
}
BODY_RULE = "Send the body as a JSON object with the fields this route takes."
GENERIC_RULE = "This value is not one this field takes."

Channel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50)
]
Handle = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^@?[A-Za-z0-9_.-]{1,100}$")
]
Slug = Annotated[str, StringConstraints(pattern=CUSTOM_PATTERN)]


class _Request(BaseModel):
    # Strict: "3" is not a number and 3 is not a title; unknown fields are typos, not extras.
    model_config = ConfigDict(strict=True, extra="forbid")


class JobCreate(_Request):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    url: Annotated[str, Field(max_length=MAX_URL_LENGTH, description="http(s) job ad URL")]
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    channels: Annotated[list[Channel], Field(min_length=1, max_length=20)] = ["twitter"]
    ats_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class LinkCreate(_Request):
    channel: Channel
    sharer: Handle | None = None
    slug: Slug | None = None


class LinkOut(BaseModel):
    slug: str
    short_url: str
    job_id: str
    channel: str
    sharer: str | None
    created_at: str


class JobSummary(BaseModel):
    """A job as lists show it."""

    id: str
    title: str
    url: str
    tags: list[str]
    channels: list[str]
    ats_id: str | None
    status: str
    created_at: str


class JobOut(JobSummary):
    """A job with its links."""

    links: list[LinkOut]


class JobList(BaseModel):
    items: list[JobSummary]
    next_cursor: str | None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, object]] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
