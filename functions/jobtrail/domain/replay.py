"""Clicks the redirect could not write, kept as log records and replayed later.

When the click write fails even after its retries, the redirect still answers and logs the
click as ONE structured record whose top-level key ``replay_click`` (``KEY``) holds every
field of the click (``domain.clicks.Click``, by name), times as ISO-8601 UTC, plus ``"v"``
(``VERSION``), the format's version. The key and the field names are a stable format:
``python -m jobtrail.admin replay-clicks`` reads them back from exported log lines,
possibly days later, so change them (a field of ``Click`` too) only together with a new
version that the reader still accepts.

A record holds what the click item holds and nothing else: the visitor is already a keyed,
salted hash, so no address ever reaches the logs.

This module is imported by the redirect: plain Python, nothing heavy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from jobtrail.domain.clicks import CLICK_FIELDS, Click
from jobtrail.domain.times import iso

KEY: Final = "replay_click"
VERSION: Final = 1

# A line that names the key but cannot be read is a damaged record (a truncated export,
# say), not some other log line: it is reported, never skipped silently.
_KEY_MARK: Final = f'"{KEY}"'
_DECODER = json.JSONDecoder()


class MalformedRecord(ValueError):
    """A replay record that cannot be turned back into a click."""


def record_of(click: Click) -> dict[str, Any]:
    """The click as a JSON-serialisable replay record."""
    record: dict[str, Any] = {"v": VERSION}
    for name in CLICK_FIELDS.names:
        value = getattr(click, name)
        record[name] = iso(value) if name in CLICK_FIELDS.times else value
    return record


def click_of(record: Any) -> Click:
    """The click a replay record holds; ``MalformedRecord`` says what is wrong with it."""
    if not isinstance(record, Mapping):
        raise MalformedRecord(f"'{KEY}' is not an object")
    if record.get("v") != VERSION:
        raise MalformedRecord(f"unsupported replay record version {record.get('v')!r}")
    fields: dict[str, Any] = {}
    for name in CLICK_FIELDS.texts:
        value = record.get(name)
        if not isinstance(value, str) or not value:
            raise MalformedRecord(f"'{name}' must be a non-empty string")
        fields[name] = value
    for name in CLICK_FIELDS.optional_texts:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise MalformedRecord(f"'{name}' must be a string or null")
        fields[name] = value
    for name in CLICK_FIELDS.times:
        fields[name] = _time(record.get(name), name)
    return Click(**fields)


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedRecord(f"'{name}' must be an ISO-8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"'{name}' is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        # A time without a zone would be read in the operator's local zone: refuse it
        # rather than shift the click's day.
        raise MalformedRecord(f"'{name}' has no time zone: {value!r}")
    return moment.astimezone(UTC)


def parse_line(line: str) -> Click | None:
    """The click a log line carries, ``None`` for any other line.

    The JSON may follow a prefix (a CloudWatch export's timestamp and a tab or space, the
    Lambda runtime's level and request id), and may be wrapped once more as the
    ``message`` of Lambda's own JSON log format.
    """
    start = line.find("{")
    if start < 0:
        return None
    try:
        entry, _ = _DECODER.raw_decode(line, start)
    except ValueError:
        if _KEY_MARK in line:
            raise MalformedRecord("the line names a replay record but is not valid JSON") from None
        return None
    record = _record_in(entry)
    return None if record is _ABSENT else click_of(record)


_ABSENT: Final = object()


def _record_in(entry: Any) -> Any:
    """The value under ``KEY`` in a decoded line, or ``_ABSENT``."""
    if not isinstance(entry, dict):
        return _ABSENT
    if KEY in entry:
        return entry[KEY]
    message = entry.get("message")
    if isinstance(message, str) and _KEY_MARK in message:
        try:
            message = json.loads(message)
        except ValueError:
            raise MalformedRecord("the message names a replay record but is not JSON") from None
    if isinstance(message, dict) and KEY in message:
        return message[KEY]
    return _ABSENT


@dataclass
class ReplaySummary:
    """What a replay did, line by line; every line counts once:
    ``replayed + already_recorded + skipped + len(errors)`` is the number of lines."""

    replayed: int = 0
    already_recorded: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "already_recorded": self.already_recorded,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def replay(
    lines: Iterable[str],
    write: Callable[[Click], bool],
    *,
    on_error: tuple[type[Exception], ...] = (),
) -> ReplaySummary:
    """Write the click of every replay record in ``lines``, in order.

    ``write`` stores one click unless its id is already stored and answers whether it
    wrote; a write that raises one of ``on_error`` is reported with its line and the
    replay goes on, so that one bad record never holds back the others.
    """
    summary = ReplaySummary()
    for number, line in enumerate(lines, start=1):
        try:
            click = parse_line(line)
        except MalformedRecord as error:
            summary.errors.append({"line": number, "error": str(error)})
            continue
        if click is None:
            summary.skipped += 1
            continue
        try:
            written = write(click)
        except on_error as error:
            summary.errors.append({"line": number, "click_id": click.click_id, "error": str(error)})
            continue
        if written:
            summary.replayed += 1
        else:
            summary.already_recorded += 1
    return summary
