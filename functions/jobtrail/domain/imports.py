"""Importing jobs: a CSV as a spreadsheet writes it, or an applicant tracking system's
public job list (Greenhouse, Lever, Teamtailor) in the JSON its API answers. The rows are
read into ``Row`` here (what cannot be read is rejected with its line and a sentence), then
``import_jobs`` matches them to the workspace's jobs and creates, edits or closes jobs
through the job rules (``domain.jobs``), so URLs pass the same host policy and new jobs get
their links. Importing the same file again creates nothing and changes nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from jobtrail.domain import jobs
from jobtrail.domain.errors import InvalidInput
from jobtrail.domain.urls import normalize_target_url

T = TypeVar("T")
MAX_ROWS = 10_000
MAX_TITLE = 200
MAX_TAGS = 20
MAX_TAG = 50
MAX_CHANNELS = 20
MAX_ATS_ID = 200
DEFAULT_CHANNELS = ("twitter",)
ATS_NAMES = ("greenhouse", "lever", "teamtailor")
COLUMNS = ("title", "url", "tags", "ats_id", "channels")
_CHANNEL = re.compile(r"^[a-z0-9-]{1,32}$")
# A list cell (tags, channels): `;` as the columns say, or `,` as people also type.
_LIST_SEPARATORS = re.compile(r"[;,]")
_BOM = "\ufeff"


class TooMuch(InvalidInput):
    """An import over its limits: more than 10,000 rows (the size is checked before)."""

    status = 413
    code = "import_too_large"


@dataclass(frozen=True)
class Row:
    """One job of an import, as read (its URL not checked yet)."""

    line: int  # the CSV's line (header = 1), or the job's place in a feed's list (from 1)
    title: str
    url: str
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    ats_id: str | None = None


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    # A feed's job rejected for what it holds is still on the board: its id, so that the
    # import does not close its job.
    ats_id: str | None = None


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: list[Rejected] = field(default_factory=list)


# --- reading a CSV -----------------------------------------------------------------------


def _text(raw: bytes) -> str:
    """The file as text: UTF-8 (with or without Excel's byte order mark), else Windows-1252,
    which Excel's plain "CSV" writes in western European locales."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.removeprefix(_BOM)


def _separator(header: str) -> str:
    """``;`` (Excel in Swedish and other locales with a decimal comma) or ``,``: whichever
    the header line has more of outside quotes. Hand-written rather than csv.Sniffer, which
    guesses from the data rows and is thrown by commas inside titles."""
    outside = re.sub(r'"[^"]*"', "", header)
    return ";" if outside.count(";") > outside.count(",") else ","


def _cells(value: str) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(c.strip().lower() for c in _LIST_SEPARATORS.split(value) if c.strip())
    )


def read_csv(raw: bytes) -> tuple[list[Row], list[Rejected]]:
    """The rows of a job CSV (columns ``title,url,tags,ats_id,channels`` in any order,
    only title and url required) and the lines rejected (``read_table``)."""
    return read_table(raw, columns=COLUMNS, required=("title", "url"), make_row=_csv_row)


def read_table(
    raw: bytes,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    make_row: Callable[[int, Sequence[str], Sequence[str]], T | Rejected],
) -> tuple[list[T], list[Rejected]]:
    """The rows of a CSV as a spreadsheet writes it, each made by ``make_row(line, header,
    cells)``, and the lines rejected. The columns may come in any order, ``required`` must
    be there. Blank lines are skipped but counted; a quoted cell may hold new lines; an
    Excel ``sep=;`` first line is obeyed. InvalidInput when the header lacks a column;
    TooMuch over 10,000 rows."""
    text = _text(raw)
    first_line = 0
    hint = re.match(r"sep=(.)\r?\n", text)
    if hint:
        separator = hint.group(1)
        text = text[hint.end() :]
        first_line = 1
    else:
        separator = _separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[T] = []
    rejected: list[Rejected] = []
    header: list[str] | None = None
    read_to = 0  # the last physical line read so far
    try:
        for record in reader:
            line = first_line + read_to + 1
            read_to = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
                missing = [name for name in required if name not in header]
                if missing:
                    raise InvalidInput(
                        f"Line {line}, the header, must name the columns {', '.join(columns)} "
                        f"({' and '.join(required)} at least); it lacks "
                        f"{' and '.join(missing)}.",
                        code="invalid_import",
                    )
                continue
            if len(rows) + len(rejected) >= MAX_ROWS:
                raise TooMuch(f"The file has more than {MAX_ROWS:,} rows; split it in parts.")
            row = make_row(line, header, record)
            if isinstance(row, Rejected):
                rejected.append(row)
            else:
                rows.append(row)
    except csv.Error as error:
        raise InvalidInput(
            f"Line {first_line + reader.line_num} cannot be read as CSV ({error}); check its "
            "quotes.",
            code="invalid_import",
        ) from None
    if header is None:
        raise InvalidInput(
            f"The file is empty; its first line names the columns {', '.join(columns)}.",
            code="invalid_import",
        )
    return rows, rejected


def too_many_cells(line: int, header: Sequence[str], record: Sequence[str]) -> Rejected | None:
    if any(cell.strip() for cell in record[len(header) :]):
        return Rejected(line, f"Line {line} has more cells than the header has columns.")
    return None


def cells_of(header: Sequence[str], record: Sequence[str]) -> dict[str, str]:
    """A record's cells by column, stripped ('' for a missing cell)."""
    return {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}


def _csv_row(line: int, header: Sequence[str], record: Sequence[str]) -> Row | Rejected:
    extra = too_many_cells(line, header, record)
    if extra is not None:
        return extra
    cells = cells_of(header, record)
    channels = _cells(cells.get("channels", ""))
    bad_channel = next((c for c in channels if not _CHANNEL.match(c)), None)
    if bad_channel is not None:
        return Rejected(
            line,
            f"Line {line} has the channel '{bad_channel[:40]}'; a channel is 1 to 32 lowercase "
            "letters, digits or '-', e.g. linkedin.",
        )
    return _row(
        line,
        title=cells.get("title", ""),
        url=cells.get("url", ""),
        tags=_cells(cells.get("tags", "")),
        channels=channels,
        ats_id=cells.get("ats_id") or None,
    )


def _row(
    line: int,
    *,
    title: str,
    url: str,
    tags: Sequence[str],
    channels: Sequence[str] = (),
    ats_id: str | None,
) -> Row | Rejected:
    """A row, or the first rule it breaks as a sentence that names its line."""
    title = " ".join(title.split())
    if not title:
        return Rejected(line, f"Line {line} has no title.")
    if len(title) > MAX_TITLE:
        return Rejected(line, f"Line {line} has a title longer than {MAX_TITLE} characters.")
    if not url:
        return Rejected(line, f"Line {line} has no url.")
    if len(tags) > MAX_TAGS:
        return Rejected(line, f"Line {line} has more than {MAX_TAGS} tags.")
    if any(len(tag) > MAX_TAG for tag in tags):
        return Rejected(line, f"Line {line} has a tag longer than {MAX_TAG} characters.")
    if len(channels) > MAX_CHANNELS:
        return Rejected(line, f"Line {line} has more than {MAX_CHANNELS} channels.")
    if ats_id is not None and len(ats_id) > MAX_ATS_ID:
        return Rejected(line, f"Line {line} has an ats_id longer than {MAX_ATS_ID} characters.")
    return Row(line, title, url, tuple(tags), tuple(channels), ats_id)


# --- reading an ATS feed -----------------------------------------------------------------


_SHAPES = {
    "greenhouse": 'a JSON object with a "jobs" list, as Greenhouse\'s job board API answers '
    "GET /v1/boards/{board}/jobs",
    "lever": "a JSON list of postings, as Lever's postings API answers "
    "GET /v0/postings/{site}?mode=json",
    "teamtailor": 'a JSON:API document with a "data" list of jobs, as Teamtailor\'s API '
    "answers GET /v1/jobs",
}


def _not_a_feed(ats: str) -> InvalidInput:
    return InvalidInput(f"Send the {ats} feed as {_SHAPES[ats]}.", code="invalid_import")


def _id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def read_feed(ats: str, body: Any) -> tuple[list[Row], list[Rejected]]:
    """The jobs of an ATS's public job list, as its API answers it; a job is rejected
    without an id, a title or a URL. InvalidInput when the body is not that API's shape."""
    if ats == "greenhouse":
        if not isinstance(body, dict) or not isinstance(body.get("jobs"), list):
            raise _not_a_feed(ats)
        entries = [(_greenhouse(job)) for job in body["jobs"]]
    elif ats == "lever":
        if not isinstance(body, list):
            raise _not_a_feed(ats)
        entries = [_lever(posting) for posting in body]
    elif ats == "teamtailor":
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise _not_a_feed(ats)
        included = body.get("included")
        names = _included_names(included if isinstance(included, list) else [])
        entries = [_teamtailor(job, names) for job in body["data"]]
    else:
        raise InvalidInput(f"ats is one of {', '.join(ATS_NAMES)}.", code="invalid_import")
    if len(entries) > MAX_ROWS:
        raise TooMuch(f"The feed lists more than {MAX_ROWS:,} jobs; the limit is {MAX_ROWS:,}.")
    rows: list[Row] = []
    rejected: list[Rejected] = []
    for place, (ats_id, title, url, tags) in enumerate(entries, start=1):
        if ats_id is None:
            rejected.append(Rejected(place, f"Job {place} of the feed has no id."))
            continue
        row = _row(place, title=title, url=url, tags=tags, ats_id=ats_id)
        if isinstance(row, Row):
            rows.append(row)
        else:
            reason = row.reason.replace(f"Line {place}", f"Job {place} of the feed ({ats_id})")
            rejected.append(Rejected(place, reason, ats_id))
    return rows, rejected


_Entry = tuple[str | None, str, str, tuple[str, ...]]


def _tags(*names: object) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(n.strip().lower() for n in names if isinstance(n, str) and n.strip())
    )


def _greenhouse(job: object) -> _Entry:
    job = _dict(job)
    departments = job.get("departments")
    names = [_dict(d).get("name") for d in departments] if isinstance(departments, list) else []
    return _id(job.get("id")), _str(job.get("title")), _str(job.get("absolute_url")), _tags(*names)


def _lever(posting: object) -> _Entry:
    posting = _dict(posting)
    team = _dict(posting.get("categories")).get("team")
    return (
        _id(posting.get("id")),
        _str(posting.get("text")),
        _str(posting.get("hostedUrl")),
        _tags(team),
    )


def _included_names(included: Sequence[object]) -> dict[tuple[str, str], str]:
    """The names of a JSON:API document's included resources, by (type, id)."""
    names: dict[tuple[str, str], str] = {}
    for resource in included:
        resource = _dict(resource)
        kind, rid = _str(resource.get("type")), _id(resource.get("id"))
        name = _dict(resource.get("attributes")).get("name")
        if kind and rid and isinstance(name, str):
            names[(kind, rid)] = name
    return names


def _teamtailor(job: object, names: Mapping[tuple[str, str], str]) -> _Entry:
    job = _dict(job)
    attributes = _dict(job.get("attributes"))
    url = _str(_dict(job.get("links")).get("careersite-job-url"))
    department = _dict(_dict(_dict(job.get("relationships")).get("department")).get("data"))
    key = (_str(department.get("type")) or "departments", _id(department.get("id")) or "")
    return _id(job.get("id")), _str(attributes.get("title")), url, _tags(names.get(key))


# --- importing ---------------------------------------------------------------------------


def import_jobs(
    store: jobs.JobStore,
    *,
    workspace_id: str,
    rows: Sequence[Row],
    rejected: Sequence[Rejected],
    ats: str | None,
    short_base_url: str,
    now: datetime,
) -> Outcome:
    """Import ``rows`` (a CSV's when ``ats`` is None, else that ATS's full list of jobs).

    A row matches a job of the workspace by its ATS and ats_id (a feed), or by ats_id and
    else by URL (a CSV). A match is edited where its title, URL or tags differ (blank tags
    keep the job's own); a job a feed closed because it was gone is opened again when it
    is back, never one closed by hand. A new row becomes a job with one link per channel
    (the CSV's, or twitter). A feed is the full list: that ATS's open jobs it lacks are
    closed (their links keep redirecting). A CSV closes nothing. A row repeating an earlier
    one is counted unchanged; one that repeats its key with other values is rejected."""
    outcome = Outcome(rejected=list(rejected))
    existing = store.all_jobs(workspace_id)
    by_feed: dict[tuple[str | None, str | None], jobs.Job] = {
        (j.ats, j.ats_id): j for j in existing if j.ats is not None and j.ats_id
    }
    by_ats_id: dict[str, jobs.Job] = {}
    by_url: dict[str, jobs.Job] = {}
    for job in sorted(existing, key=lambda j: (j.ats is not None, j.created_at)):
        if job.ats_id:
            by_ats_id.setdefault(job.ats_id, job)
        by_url.setdefault(job.url, job)
    seen: dict[tuple[str, str], Row] = {}
    # The ids a feed lists, its rejected jobs' too: a job still on the board stays open.
    listed = {r.ats_id for r in rejected if r.ats_id} | {row.ats_id for row in rows}
    to_create: list[jobs.Job] = []
    to_change: list[tuple[jobs.Job, jobs.JobChanges]] = []
    for row in rows:
        try:
            url = normalize_target_url(row.url, short_base_url=short_base_url)
        except InvalidInput as error:
            outcome.rejected.append(Rejected(row.line, f"{_where(row, ats)}: {error.message}"))
            continue
        row = Row(row.line, row.title, url, row.tags, row.channels, row.ats_id)
        key = ("ats_id", row.ats_id) if row.ats_id else ("url", url)
        if key in seen:
            first = seen[key]
            if (first.title, first.url, first.tags, first.channels) == (
                row.title,
                row.url,
                row.tags,
                row.channels,
            ):
                outcome.unchanged += 1
            else:
                outcome.rejected.append(
                    Rejected(
                        row.line,
                        f"{_where(row, ats)} has the same {key[0]} as line {first.line} with "
                        f"other values; only line {first.line} was imported.",
                    )
                )
            continue
        seen[key] = row
        if ats is not None:
            match = by_feed.get((ats, row.ats_id))
        else:
            match = (by_ats_id.get(row.ats_id) if row.ats_id else None) or by_url.get(url)
        if match is None:
            to_create.append(
                jobs.new_job(
                    workspace_id=workspace_id,
                    title=row.title,
                    url=url,
                    tags=row.tags,
                    channels=row.channels or DEFAULT_CHANNELS,
                    ats_id=row.ats_id,
                    ats=ats,
                    short_base_url=short_base_url,
                    now=now,
                )
            )
            continue
        changes = _changes(match, row, feed=ats is not None)
        if changes is None:
            outcome.unchanged += 1
        else:
            to_change.append((match, changes))
    to_close: list[jobs.Job] = []
    if ats is not None:
        to_close = [
            job
            for job in existing
            if job.ats == ats and job.status == "open" and job.ats_id not in listed
        ]
    outcome.created = len(jobs.create_jobs(store, to_create))
    for job, changes in to_change:
        _edit(store, job, changes, short_base_url=short_base_url, now=now)
        outcome.updated += 1
    for job in to_close:
        _edit(
            store,
            job,
            jobs.JobChanges(status="closed", by_import=True),
            short_base_url=short_base_url,
            now=now,
        )
        outcome.closed += 1
    outcome.rejected.sort(key=lambda r: r.line)
    return outcome


def _where(row: Row, ats: str | None) -> str:
    return f"Line {row.line}" if ats is None else f"Job {row.line} of the feed ({row.ats_id})"


def _changes(job: jobs.Job, row: Row, *, feed: bool) -> jobs.JobChanges | None:
    """What the row changes in its job; None: nothing."""
    title = row.title if row.title != job.title else None
    url = row.url if row.url != job.url else None
    tags = list(row.tags) if row.tags and row.tags != job.tags else None
    reopen = feed and job.status == "closed" and job.closed_by == jobs.CLOSED_BY_IMPORT
    if title is None and url is None and tags is None and not reopen:
        return None
    return jobs.JobChanges(
        title=title, url=url, tags=tags, status="open" if reopen else None, by_import=True
    )


def _edit(
    store: jobs.JobStore,
    job: jobs.Job,
    changes: jobs.JobChanges,
    *,
    short_base_url: str,
    now: datetime,
) -> None:
    jobs.update_job(
        store,
        workspace_id=job.workspace_id,
        job_id=job.id,
        changes=changes,
        short_base_url=short_base_url,
        now=now,
    )
