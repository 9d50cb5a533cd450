"""Request and response bodies of the management API. Validation and the OpenAPI document
both come from these models, and what a recruiter is told when a field breaks its rule
from ``RULES``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from jobtrail.domain import campaigns, links
from jobtrail.domain.api_keys import MAX_NAME_LENGTH
from jobtrail.domain.people import MAX_EMAIL
from jobtrail.domain.people import MAX_NAME as MAX_PERSON_NAME
from jobtrail.domain.slugs import CUSTOM_PATTERN
from jobtrail.domain.urls import MAX_URL_LENGTH
from jobtrail.sources.base import Kind

CHANNEL_RULE = "A channel is 1 to 32 lowercase letters, digits or '-', e.g. linkedin."
DAY_RULE = "Give the day as YYYY-MM-DD, e.g. 2026-03-01."
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
# Every id the API gives out (jobs, people, keys, import sources): as a path or body value.
ID_PATTERN = r"^[A-Za-z0-9]{1,64}$"

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
    "campaign": campaigns.RULE,
    "format": "Give format as svg or png.",
    "status": "A job's status is open or closed.",
    "key_id": "A key id is 1 to 64 letters and digits, as GET /api/keys lists it.",
    "name": f"A name is 1 to {MAX_PERSON_NAME} characters of text, e.g. Åsa Öberg (an API "
    f"key's, at most {MAX_NAME_LENGTH}, says where it is used, e.g. ci).",
    "handles": "Give handles as an object with x, bluesky and linkedin, each a handle or null.",
    "x": "An X handle has 1 to 100 letters, digits, '_', '.' or '-', with an optional leading "
    "'@', or is null.",
    "bluesky": "A Bluesky handle has 1 to 100 letters, digits, '_', '.' or '-', e.g. "
    "anna.bsky.social, or is null.",
    "linkedin": "A LinkedIn handle has 1 to 100 letters, digits, '_', '.' or '-', e.g. "
    "anna-svensson, or is null.",
    "fields": "Fields are a list of at most 20 fields of work, e.g. data or webb.",
    "fields[]": "A field is 1 to 50 characters of text, e.g. data.",
    "field": "A field is 1 to 50 characters of text, e.g. data.",
    "q": "Give q as 1 to 100 characters of a name or a handle, e.g. ann.",
    "email": "An email is an address such as anna@example.se, or null.",
    "do_not_ask": "Give do_not_ask as true (never suggest asking them) or false.",
    "person_id": "A person id is 1 to 64 letters and digits, as GET /api/people lists it.",
    "people": "People are a list of 1 to 100 person ids, as GET /api/people lists them.",
    "people[]": "A person id is 1 to 64 letters and digits, as GET /api/people lists it.",
    "disabled": "Give disabled as true (the link stops working) or false (it works again).",
    "expires_at": "Give expires_at as a time with its zone, e.g. 2026-12-31T23:00:00Z, or "
    "null for no end.",
    "ats": "Give ats as greenhouse, lever or teamtailor.",
    "board": "A board is the name the ATS gives it: 1 to 100 letters, digits, '_', '.' or '-' "
    "(the Greenhouse board token, the Lever site name, the Teamtailor company).",
    "api_key": "An api_key is the Teamtailor API key, 1 to 200 characters.",
    "source_id": "A source id is 1 to 64 letters and digits, as GET /api/imports/sources lists it.",
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
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
JobUrl = Annotated[str, Field(max_length=MAX_URL_LENGTH, description="http(s) job ad URL")]
Tags = Annotated[list[Tag], Field(max_length=20)]
Campaign = Annotated[
    str,
    StringConstraints(pattern=campaigns.PATTERN),
    Field(description="the utm_campaign of the job's links"),
]
Status = Literal["open", "closed"]
PersonId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PERSON_NAME)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_EMAIL)]


class _Request(BaseModel):
    # Strict: "3" is not a number and 3 is not a title; unknown fields are typos, not extras.
    model_config = ConfigDict(strict=True, extra="forbid")


class JobCreate(_Request):
    title: Title
    url: JobUrl
    tags: Tags = []
    channels: Annotated[list[Channel], Field(min_length=1, max_length=20)] = ["twitter"]
    ats_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    campaign: Campaign | None = Field(
        default=None,
        description="default: the title in lowercase ASCII words and a suffix unique in the "
        "workspace, e.g. webbutvecklare-k3f9",
    )


class JobPatch(_Request):
    """An edit of a job: the fields it names change, the others stay."""

    title: Title | None = None
    url: JobUrl | None = None
    tags: Tags | None = None
    campaign: Campaign | None = None
    status: Status | None = Field(default=None, description="closed archives the job")

    @model_validator(mode="after")
    def _names_a_change(self) -> JobPatch:
        if not self.model_fields_set:
            raise ValueError("Name at least one of title, url, tags, campaign or status to change.")
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be null; leave it out to keep it as it is.")
        return self


class LinkCreate(_Request):
    channel: Channel
    sharer: Handle | None = None
    person_id: PersonId | None = Field(
        default=None,
        description="a personal link: its sharer is the person (their handle on the "
        "channel's network, else their id); in place of sharer",
    )
    slug: Slug | None = None

    @model_validator(mode="after")
    def _one_sharer(self) -> LinkCreate:
        if self.sharer is not None and self.person_id is not None:
            raise ValueError("Name the sharer or the person_id, not both.")
        return self


class AmbassadorsCreate(_Request):
    people: Annotated[list[PersonId], Field(min_length=1, max_length=100)]
    channel: Channel


class PersonHandles(_Request):
    """A person's handle per network, without a leading @; null: none there."""

    x: Handle | None = None
    bluesky: Handle | None = None
    linkedin: Handle | None = None


class PersonCreate(_Request):
    name: PersonName
    handles: PersonHandles = Field(default_factory=PersonHandles)
    fields: Tags = []
    email: Email | None = None
    do_not_ask: bool = False


class PersonPatch(_Request):
    """An edit of a person: the fields it names change, the others stay. In handles, a
    network named changes (null: the handle is removed), one left out stays."""

    name: PersonName | None = None
    handles: PersonHandles | None = None
    fields: Tags | None = None
    email: Email | None = Field(default=None, description="null removes it")
    do_not_ask: bool | None = None

    @model_validator(mode="after")
    def _names_a_change(self) -> PersonPatch:
        if not self.model_fields_set:
            raise ValueError(
                "Name at least one of name, handles, fields, email or do_not_ask to change."
            )
        for name in sorted(self.model_fields_set - {"email"}):
            if getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be null; leave it out to keep it as it is.")
        return self


def _moment(value: object) -> object:
    """An ISO-8601 time with its zone, from JSON's string (strict models take no string for
    a datetime, and lax ones would take a number as seconds since 1970)."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not a time")
    moment = datetime.fromisoformat(value)  # ValueError: not a time
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-01:00, after the last year there is
        raise ValueError("out of range") from None


def _unchanged_when_left_out(schema: dict[str, Any]) -> None:
    # The model's default stands for "left out", not for a null one may send.
    schema.pop("default", None)


class LinkPatch(_Request):
    """Send disabled, expires_at or both; a field left out stays as it is."""

    # The route reads which fields were sent from ``model_fields_set``. A default is never
    # validated, so None stands for "left out" while a null sent for ``disabled`` is refused
    # as not a boolean.
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"minProperties": 1})

    disabled: bool = Field(  # type: ignore[assignment]
        default=None,
        description="true: the link answers 410 and records nothing; false: it works again",
        json_schema_extra=_unchanged_when_left_out,
    )
    expires_at: Annotated[datetime | None, BeforeValidator(_moment)] = Field(
        default=None,
        description="when the link ends (a past time ends it now); null: it does not end",
        json_schema_extra=_unchanged_when_left_out,
    )

    @model_validator(mode="after")
    def _names_a_change(self) -> LinkPatch:
        if not self.model_fields_set:
            raise ValueError(links.NOTHING_TO_CHANGE)
        return self


class LinkOut(BaseModel):
    slug: str
    short_url: str
    job_id: str
    channel: str
    sharer: str | None
    person_id: str | None = Field(description="a personal link's person; null: none")
    created_at: str
    disabled: bool = Field(description="true: turned off, its short URL answers 410")
    expires_at: str | None = Field(description="when it ends (then 410); null: it does not end")


class LinkList(BaseModel):
    items: list[LinkOut]


class HandlesOut(BaseModel):
    x: str | None
    bluesky: str | None
    linkedin: str | None


class PersonOut(BaseModel):
    id: str
    name: str
    handles: HandlesOut
    fields: list[str]
    email: str | None
    do_not_ask: bool = Field(description="true: never suggested in who-to-ask")
    discovered: bool = Field(description="true: made by the poller from a sharer it found")
    created_at: str
    updated_at: str | None = Field(description="the last edit; null: never edited")


class PersonList(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None


class Suggestion(BaseModel):
    person: PersonOut
    score: float = Field(description="higher is better; 1 or more: a record in the job's fields")
    reason: str = Field(description="the record in numbers, e.g. shared 3 data jobs, 4 posts")


class WhoToAsk(BaseModel):
    items: list[Suggestion]


class JobSummary(BaseModel):
    """A job as lists show it."""

    id: str
    title: str
    url: str
    tags: list[str]
    channels: list[str]
    ats_id: str | None
    ats: str | None = Field(
        description="the applicant tracking system a feed import brought it from "
        "(greenhouse, lever, teamtailor); null: made here or by a CSV"
    )
    campaign: str
    status: Status
    created_at: str
    updated_at: str | None = Field(description="the last edit; null: never edited")


class JobOut(JobSummary):
    """A job with its links."""

    links: list[LinkOut]


class JobList(BaseModel):
    items: list[JobSummary]
    next_cursor: str | None


class _Answer(BaseModel):
    # An answer is checked against its model on the way out: a field the model does not
    # name would be dropped silently, so it fails the request (and the tests) instead.
    model_config = ConfigDict(extra="forbid")


class Clicks(_Answer):
    total: int
    human: int
    bots: int
    unique_visitors: int


class DayClicks(_Answer):
    date: str
    human: int
    bots: int
    unique_visitors: int


class ChannelClicks(_Answer):
    channel: str
    human: int
    bots: int
    applications: int = Field(description="conversions of its clicks dated in the range")
    hires: int
    unique_visitors: int


class LinkClicks(_Answer):
    slug: str
    human: int
    bots: int
    applications: int = Field(description="conversions of its clicks dated in the range")
    hires: int
    channel: str | None = Field(description="null for a slug the job does not list")
    sharer: str | None
    person_id: str | None = Field(description="a personal link's person")


class SharerClicks(_Answer):
    sharer: str | None = Field(description="null: the links without a sharer")
    person_id: str | None = Field(description="the person of personal links")
    human: int
    bots: int
    applications: int = Field(description="conversions of its clicks dated in the range")
    hires: int


class ReferrerClicks(_Answer):
    referrer: str | None = Field(description="the referring host; null: none was sent")
    human: int


class CountryClicks(_Answer):
    country: str | None = Field(description="two-letter country code; null: unknown")
    human: int


class DeviceClicks(_Answer):
    device: str = Field(description="desktop, mobile, tablet or unknown")
    human: int


class Previews(_Answer):
    hits: int
    first_seen: str | None


class ShareTotals(_Answer):
    total: int
    by_platform: dict[str, int]
    reach: int = Field(description="the distinct sharers' follower counts added up")


class TopSharer(_Answer):
    platform: str
    handle: str
    shares: int
    followers: int


class Conversions(_Answer):
    application: int
    hire: int


class JobStats(_Answer):
    """``GET /api/jobs/{job_id}/stats``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    job_id: str
    from_: str = Field(alias="from")
    to: str
    clicks: Clicks
    by_day: list[DayClicks]
    by_channel: list[ChannelClicks]
    by_link: list[LinkClicks]
    by_sharer: list[SharerClicks]
    by_referrer: list[ReferrerClicks]
    by_country: list[CountryClicks]
    by_device: list[DeviceClicks]
    bots_by_class: dict[str, int]
    previews: dict[str, Previews]
    shares: ShareTotals
    top_sharers: list[TopSharer]
    conversions: Conversions


class ShareAuthor(_Answer):
    id: str
    handle: str
    name: str | None
    followers: int | None
    person_id: str | None = Field(description="the person the author is in the workspace")


class ShareOut(_Answer):
    """A post that shared one of a job's links."""

    platform: str
    post_id: str | None
    url: str | None
    kind: Kind
    author: ShareAuthor | None = Field(description="null once the person was deleted")
    parent_post_id: str | None
    slug: str
    channel: str
    created_at: str | None
    first_seen_at: str
    metrics: dict[str, int]


class ShareList(_Answer):
    items: list[ShareOut]
    next_cursor: str | None


class SpreadNode(_Answer):
    share: ShareOut
    children: list[SpreadNode]


class Spread(_Answer):
    roots: list[SpreadNode]


class ChannelStat(_Answer):
    channel: str
    jobs: int
    human: int
    unique_visitors: int
    shares: int
    applications: int
    hires: int


class ChannelStats(_Answer):
    items: list[ChannelStat]


class KeyCreate(_Request):
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)
    ]


class KeyOut(_Answer):
    """An API key as lists show it: never the key itself."""

    id: str
    name: str
    prefix: str | None = Field(
        description="the key's first 6 characters; null for a key made before keys were "
        "listed that has not listed the keys since"
    )
    created_at: str


class KeyCreated(KeyOut):
    api_key: str = Field(description="the key itself, shown this once: only its hash is kept")


class KeyList(_Answer):
    items: list[KeyOut]
    next_cursor: str | None


Ats = Literal["greenhouse", "lever", "teamtailor"]


class RejectedLine(_Answer):
    line: int = Field(
        description="the CSV's line (the header is 1, blank lines count), or the job's place "
        "in a feed's list (the first is 1)"
    )
    reason: str = Field(description="a sentence that says what to fix on that line")


class ImportOut(_Answer):
    created: int = Field(description="new jobs, each with one link per channel")
    updated: int = Field(description="jobs whose title, URL or tags changed, or reopened")
    unchanged: int = Field(description="rows that matched a job as it is (or repeated a row)")
    closed: int = Field(description="jobs of the ATS its feed no longer lists (CSV: 0)")
    rejected: list[RejectedLine]


class SourceCreate(_Request):
    ats: Ats
    board: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")] = Field(
        description="the Greenhouse board token, the Lever site, the Teamtailor company"
    )
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="Teamtailor only (required there): an API key that may read jobs; "
        "stored, never answered",
    )


class SourceOut(_Answer):
    id: str
    ats: Ats
    board: str
    last_synced_at: str | None = Field(description="the last import of the board; null: none yet")


class SourceList(_Answer):
    items: list[SourceOut]


class ErrorDetail(BaseModel):
    field: str = Field(description="e.g. title, tags.3, query.limit, path.job_id")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="stable, snake_case")
    message: str = Field(description="a sentence that says what to change")
    details: list[ErrorDetail] | None = Field(
        default=None, description="one per field that broke the schema (422 only)"
    )


class ErrorOut(BaseModel):
    """Every error the API answers."""

    error: ErrorBody


class Health(BaseModel):
    status: str


_STATUS = {
    400: "Bad input: unparseable JSON, a body that is not UTF-8 or nests over 32 deep, "
    "a forged cursor, a bad range of days",
    401: "No API key, or one that is not known",
    404: "No such job, link or person in this workspace",
    409: "The slug or handle is taken, or the job or person was edited by another request at "
    "the same time",
    413: "The body is larger than 64 KiB",
    415: "The body is not sent as application/json",
    422: "The request breaks the schema or a rule",
    503: "A passing fault; try again",
}


def answers(
    status: int, description: str, *errors: int, say: dict[int, str] | None = None
) -> dict[int, Any]:
    """A route's documented answers: its own (with the route's return model) and, in the
    error shape, each of ``errors`` plus the 422 every validated route can answer (in
    place of Powertools' default, which this API never sends). ``say``: what an error
    means on this route, where the common description does not fit (a 404 of a key)."""
    documented: dict[int, Any] = {status: {"description": description}}
    if status == 204:
        documented[status]["content"] = {}  # else Powertools documents a JSON null
    for code in sorted({*errors, 422}):
        documented[code] = {
            "description": (say or {}).get(code, _STATUS[code]),
            "content": {"application/json": {"model": ErrorOut}},
        }
    return documented


ConversionKind = Literal["application", "hire"]
ExternalId = Annotated[str, Field(min_length=1, max_length=200)]


class ConversionCreate(_Request):
    """``POST /api/conversions``: an application or hire that came of a click, or without
    one, credited to a job and channel."""

    click_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    job_id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] | None = None
    channel: Channel | None = None
    kind: ConversionKind
    external_id: ExternalId | None = None
    # Text on the wire: parsed from ISO-8601 (strict mode would refuse any string).
    at: Annotated[datetime, Field(strict=False)] | None = None

    @model_validator(mode="after")
    def _credited(self) -> ConversionCreate:
        if self.click_id is None and (self.job_id is None or self.channel is None):
            raise ValueError("Give a click_id, or a job_id and a channel.")
        if self.click_id is not None and (self.job_id or self.channel):
            raise ValueError("Give a click_id, or a job_id and a channel, not both.")
        return self


class ConversionOut(_Answer):
    id: str
    click_id: str | None
    kind: ConversionKind
    external_id: str | None
    at: str
    job_id: str
    slug: str | None
    channel: str
    sharer: str | None
    person_id: str | None
