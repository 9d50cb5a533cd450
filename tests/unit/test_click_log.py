"""The replay log format: a click the redirect could not write, logged as one JSON record,
read back from exported log lines by ``python -m jobtrail.admin replay-clicks``."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from jobtrail.domain.clicks import Click, LinkTarget, Visit, record
from jobtrail.domain.errors import Unavailable
from jobtrail.domain.replay import KEY, MalformedRecord, parse_line, record_of, replay

SECRET = b"a test key of the visitor hash, 32+ bytes"
LINK = LinkTarget(
    slug="webdev-x",
    workspace_id="ws1",
    job_id="job1",
    channel="x",
    sharer="anna",
    target_url="https://careers.example.se/jobs/123",
    campaign="webbutvecklare-k3f9",
)
VISIT = Visit(
    method="GET",
    source_ip="203.0.113.7",
    user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148",
    referer="https://t.co/abc",
    country="se",
)
# Milliseconds only: the log keeps times to the millisecond, as the click item does.
NOW = datetime(2026, 11, 25, 9, 30, 12, 345000, tzinfo=UTC)


def _click(**changes: Any) -> Click:
    """The same click every time (its id too), with ``changes``."""
    click = record(LINK, VISIT, secret=SECRET, salt="salt-of-the-day", now=NOW, retention_days=400)
    return dataclasses.replace(click, **{"click_id": "019ab2c3d4e5f60718293a4b5c6d7e8f", **changes})


def _logged(click: Click, **record_changes: Any) -> str:
    """The line the redirect's logger writes (a Powertools JSON record)."""
    entry = {
        "level": "ERROR",
        "location": "_save:97",
        "message": "click not recorded",
        "timestamp": "2026-11-25 09:30:12,400+0000",
        "service": "jobtrail",
        "function_request_id": "c6af9ac6-7b61-11e6-9a41-93e812345678",
        KEY: {**record_of(click), **record_changes},
        "error": "The click could not be written (ProvisionedThroughputExceededException).",
    }
    return json.dumps(entry)


def test_a_record_holds_every_field_of_the_click_and_reads_back_as_the_same_click() -> None:
    # Given a click
    click = _click()

    # When it is logged and read back
    logged = record_of(click)
    again = parse_line(json.dumps({KEY: logged}))

    # Then nothing is lost, and the record is plain JSON with ISO times
    assert again == click
    assert set(logged) == {f.name for f in dataclasses.fields(Click)} | {"v"}
    assert logged["at"] == "2026-11-25T09:30:12.345Z"
    assert logged["expires_at"] == "2027-12-30T09:30:12.345Z"
    assert json.loads(json.dumps(logged)) == logged


def test_a_record_never_carries_the_address() -> None:
    # Given a click made from a visit with an address, When it is logged
    line = _logged(_click())

    # Then the address is not in the line, only the salted visitor hash
    assert "203.0.113.7" not in line
    assert json.loads(line)[KEY]["visitor"] == _click().visitor


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "2026-11-25T09:30:12.400Z\t",  # CloudWatch export: timestamp and a tab
        "2026-11-25T09:30:12.400Z ",  # an S3 export: timestamp and a space
        "[ERROR]\t2026-11-25T09:30:12.400Z\tc6af9ac6-7b61-11e6-9a41-93e812345678\t",
        "   ",
    ],
    ids=["bare", "cloudwatch-tab", "s3-export", "lambda-runtime", "indented"],
)
def test_a_record_is_found_behind_a_prefix(prefix: str) -> None:
    # Given a logged click behind a prefix, with the line's end
    line = prefix + _logged(_click()) + "\n"

    # When the line is read, Then it gives the click
    assert parse_line(line) == _click()


@pytest.mark.parametrize("as_string", [False, True], ids=["object", "string"])
def test_a_record_is_found_inside_lambdas_own_json_log_format(as_string: bool) -> None:
    # Given Lambda's JSON log format, which wraps the record as its message
    inner = json.loads(_logged(_click()))
    line = json.dumps(
        {
            "time": "2026-11-25T09:30:12.400Z",
            "type": "function",
            "message": json.dumps(inner) if as_string else inner,
        }
    )

    # When the line is read, Then it gives the click
    assert parse_line(line) == _click()


@pytest.mark.parametrize(
    "line",
    [
        "",
        "\n",
        "START RequestId: c6af9ac6 Version: $LATEST",
        "REPORT RequestId: c6af9ac6\tDuration: 12.3 ms\tBilled Duration: 13 ms",
        '{"level":"INFO","message":"click seen","click_id":"0193a1"}',
        '{"_aws":{"CloudWatchMetrics":[]},"clicks_not_recorded":[1.0]}',
        "2026-11-25T09:30:12.400Z\t[1, 2, 3]",
        "{ this is not json and names nothing",
        '["replay_click"]',
    ],
    ids=[
        "empty",
        "newline",
        "start",
        "report",
        "other-record",
        "metrics",
        "array",
        "broken-other",
        "key-in-a-list",
    ],
)
def test_other_lines_are_not_records(line: str) -> None:
    # When a line without a replay record is read, Then it gives nothing, and no error
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        (_logged(_click())[:-30], "not valid JSON"),
        ("2026-11-25T09:30:12.400Z\t" + _logged(_click())[:-120], "not valid JSON"),
        (json.dumps({KEY: "0193a1"}), "not an object"),
        (json.dumps({KEY: None}), "not an object"),
        (_logged(_click(), v=2), "version"),
        (_logged(_click(), v=None), "version"),
        (_logged(_click(), click_id=""), "'click_id'"),
        (_logged(_click(), slug=None), "'slug'"),
        (_logged(_click(), visitor=12), "'visitor'"),
        (_logged(_click(), sharer=["anna"]), "'sharer'"),
        (_logged(_click(), at="2026-11-25T09:30:12"), "no time zone"),
        (_logged(_click(), at="yesterday"), "'at'"),
        (_logged(_click(), expires_at=1795000000), "'expires_at'"),
        (json.dumps({"message": '{"replay_click": {"v": 1,'}), "not JSON"),
    ],
    ids=[
        "truncated",
        "truncated-behind-prefix",
        "not-an-object",
        "null",
        "future-version",
        "no-version",
        "empty-id",
        "no-slug",
        "visitor-not-a-string",
        "sharer-not-a-string",
        "time-without-zone",
        "time-not-a-time",
        "expiry-as-a-number",
        "broken-lambda-message",
    ],
)
def test_a_damaged_record_is_an_error_that_says_what_is_wrong(line: str, complaint: str) -> None:
    # When a damaged record is read, Then it is refused, never mistaken for another line
    with pytest.raises(MalformedRecord, match=complaint):
        parse_line(line)


def test_a_missing_optional_field_reads_as_empty_and_a_time_in_another_zone_as_utc() -> None:
    # Given a record without its optional fields and with its times written in +01:00
    logged = record_of(_click(sharer=None, country=None))
    del logged["sharer"], logged["country"]
    logged["at"] = "2026-11-25T10:30:12.345+01:00"

    # When it is read
    click = parse_line(json.dumps({KEY: logged}))

    # Then the fields are empty and the time is the same moment in UTC
    assert click is not None
    assert (click.sharer, click.country) == (None, None)
    assert click.at == NOW
    assert click.at.tzinfo == UTC


class _Store:
    """A click store that writes each click id once, and can fail some."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.clicks: dict[str, Click] = {}
        self.failing = failing or set()

    def write(self, click: Click) -> bool:
        if click.click_id in self.failing:
            raise Unavailable("The click could not be written (ThrottlingException).")
        if click.click_id in self.clicks:
            return False
        self.clicks[click.click_id] = click
        return True


def test_a_replay_counts_every_line_once_and_reports_errors_by_line() -> None:
    # Given a log with three clicks (one logged twice, one whose write fails), a damaged
    # record and other lines
    first, second, third = (_click(click_id=f"{n:032x}") for n in (1, 2, 3))
    lines = [
        "START RequestId: c6af9ac6 Version: $LATEST",
        _logged(first),
        _logged(second, at="not a time"),
        "2026-11-25T09:30:12.400Z\t" + _logged(third),
        _logged(first),
        _logged(second),
        "",
    ]
    store = _Store(failing={third.click_id})

    # When it is replayed
    summary = replay(lines, store.write, on_error=(Unavailable,))

    # Then each click is written once, and the problems carry their line numbers
    assert summary.as_dict() == {
        "replayed": 2,
        "already_recorded": 1,
        "skipped": 2,
        "errors": [
            {"line": 3, "error": "'at' is not an ISO-8601 time: 'not a time'"},
            {
                "line": 4,
                "click_id": third.click_id,
                "error": "The click could not be written (ThrottlingException).",
            },
        ],
    }
    assert store.clicks == {first.click_id: first, second.click_id: second}
    counted = summary.replayed + summary.already_recorded + summary.skipped + len(summary.errors)
    assert counted == len(lines)


def test_a_replay_stops_on_a_fault_it_was_not_told_to_report() -> None:
    # Given a writer that breaks in an unexpected way
    def broken(click: Click) -> bool:
        raise RuntimeError("bug")

    # When a log is replayed, Then the fault is not hidden in the summary
    with pytest.raises(RuntimeError):
        replay([_logged(_click())], broken, on_error=(Unavailable,))
