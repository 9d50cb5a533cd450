"""Request and response bodies of the management API. Validation and the OpenAPI document
both come from these models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from jobtrail.domain.slugs import CUSTOM_PATTERN
from jobtrail.domain.urls import MAX_URL_LENGTH

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
