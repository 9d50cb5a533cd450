"""Redirect faults: what a visitor gets when DynamoDB fails, and how a click that could not
be written comes back with ``python -m jobtrail.admin replay-clicks``.

Most faults are injected at ``BaseClient._make_api_call``: a call that raises there has
failed as it would after the SDK's own retries. One test injects throttles below the SDK
instead, to see those retries and the store's one extra attempt as they really happen.
"""

from __future__ import annotations

import io
import json
import logging
import math
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.client
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from jobtrail import admin
from jobtrail.domain import replay
from jobtrail.domain.clicks import Click
from jobtrail.domain.replay import KEY
from jobtrail.observability import logger, metrics
from jobtrail.store import clicks as click_store
from jobtrail.store.models import ClickItem, LinkItem
from tests.integration.conftest import JOB, Client, all_items

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
VISITOR_IP = "203.0.113.7"
EVENTS = ClickItem.Meta.table_name
MAIN = LinkItem.Meta.table_name


def _throttled(operation: str) -> Exception:
    return ClientError(
        {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


@dataclass
class Fault:
    operation: str
    table: str
    times: float  # how many more calls fail; math.inf: until cleared
    error: Callable[[str], Exception] = _throttled
    when: Callable[[dict[str, Any]], bool] = lambda params: True


@dataclass
class Faults:
    """DynamoDB calls that fail, as they would after the SDK gave up retrying."""

    active: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def add(self, operation: str, table: str, *, times: float = math.inf, **kwargs: Any) -> None:
        self.active.append(Fault(operation, table, times, **kwargs))

    def clear(self) -> None:
        self.active.clear()

    def check(self, operation: str, params: dict[str, Any]) -> None:
        self.calls.append((operation, str(params.get("TableName"))))
        for fault in self.active:
            matches = (fault.operation, fault.table) == (operation, params.get("TableName"))
            if matches and fault.times > 0 and fault.when(params):
                fault.times -= 1
                raise fault.error(operation)


@pytest.fixture
def faults(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Faults:
    faults = Faults()
    make_api_call = botocore.client.BaseClient._make_api_call

    def faulty(self: Any, operation: str, params: dict[str, Any]) -> Any:
        faults.check(operation, params)
        return make_api_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", faulty)
    return faults


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The store's pauses before its extra attempt, recorded instead of slept."""
    pauses: list[float] = []
    monkeypatch.setattr(click_store, "_sleep", pauses.append)
    return pauses


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Click]:
    """Every click the redirect made, as it handed it to the store."""
    made: list[Click] = []
    save_click = click_store.save_click

    def spy(click: Click) -> int:
        made.append(click)
        return save_click(click)

    monkeypatch.setattr(click_store, "save_click", spy)
    return made


@pytest.fixture
def log() -> Iterator[Callable[[], list[str]]]:
    """What the functions log, as Lambda sends it to CloudWatch: one JSON object a line.
    The logger's stream was fixed when it was made, so it is pointed here for the test;
    the callable answers the lines logged since it was last called."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def lines() -> list[str]:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.splitlines()

    try:
        yield lines
    finally:
        if previous is not None:
            handler.setStream(previous)


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the metrics the functions add."""
    names: list[str] = []
    add_metric = metrics.add_metric

    def spy(*, name: str, **kwargs: Any) -> None:
        names.append(name)
        add_metric(name=name, **kwargs)

    monkeypatch.setattr(metrics, "add_metric", spy)
    return names


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    return dict(api.post("/api/jobs", JOB).json())


def _click(api: Client, slug: str) -> dict[str, Any]:
    """A visitor's click, as the local gateway would pass it (same visitor every time)."""
    return dict(
        api.dispatcher.request(
            "GET",
            f"/{slug}",
            headers={"user-agent": CHROME, "referer": "https://t.co/"},
            source_ip=VISITOR_IP,
        )
    )


def _query(reply: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(urlsplit(reply["headers"]["Location"]).query)


def _replay_records(lines: list[str]) -> list[dict[str, Any]]:
    return [entry[KEY] for entry in map(_json, lines) if isinstance(entry, dict) and KEY in entry]


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _replay(source: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()  # what the functions printed before: not the command's answer
    status = admin.main(["replay-clicks", "--events-table", EVENTS, str(source)])
    return status, json.loads(capsys.readouterr().out)


def test_a_throttled_click_write_still_redirects_and_the_click_is_replayed_once(
    api: Client,
    job: dict[str, Any],
    aws: Any,
    faults: Faults,
    pauses: list[float],
    made: list[Click],
    log: Callable[[], list[str]],
    emitted: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Given a visitor whose first click was recorded, and an events table that then throttles
    slug = job["links"][0]["slug"]
    earlier = ClickItem.get(_query(_click(api, slug))["jt_click"][0])
    log()
    faults.calls.clear()
    faults.add("PutItem", EVENTS)

    # When they click again
    reply = _click(api, slug)

    # Then they still land on the job ad, with its UTM and a click id
    assert reply["statusCode"] == 302
    query = _query(reply)
    click_id = query["jt_click"][0]
    assert query["utm_source"] == ["twitter"]
    assert query["utm_medium"] == ["jobtrail"]
    assert query["utm_campaign"] == [job["campaign"]]
    # And the click was tried twice (the put, then one quick extra attempt), is not stored,
    # and is logged once for replay under the id the job ad received, without the address
    assert faults.calls.count(("PutItem", EVENTS)) == 2
    assert len(pauses) == 1
    assert pauses[0] <= 0.05
    lines = log()
    (record,) = _replay_records(lines)
    assert record["click_id"] == click_id
    assert "clicks_not_recorded" in emitted
    assert VISITOR_IP not in "\n".join(lines)
    with pytest.raises(ClickItem.DoesNotExist):
        ClickItem.get(click_id)

    # When the fault has cleared and the operator replays the exported log, each line
    # behind CloudWatch's timestamp and a tab, among the runtime's own lines
    faults.clear()
    exported = tmp_path / "redirect.log"
    exported.write_text(
        "START RequestId: 8f5c Version: $LATEST\n"
        + "".join(f"2026-11-25T09:00:00.000Z\t{line}\n" for line in lines)
        + "END RequestId: 8f5c\n"
    )
    status, summary = _replay(exported, capsys)

    # Then the click is written exactly as the redirect would have written it
    assert status == 0
    assert summary == {
        "replayed": 1,
        "already_recorded": 0,
        "skipped": len(lines) + 1,
        "errors": [],
    }
    click = ClickItem.get(click_id)
    assert click.serialize() == click_store._item(made[-1]).serialize()
    assert (click.slug, click.job_id, click.channel) == (slug, job["id"], "twitter")
    assert click.at == record["at"]
    assert click.visitor == earlier.visitor  # the same visitor on the same day
    at = datetime.fromisoformat(record["at"])
    assert click.expires_at == (at + timedelta(days=400)).replace(microsecond=0)

    # When the same file is replayed again
    before = all_items(aws)
    status, again = _replay(exported, capsys)

    # Then no click is written twice
    assert status == 0
    assert (again["replayed"], again["already_recorded"]) == (0, 1)
    assert all_items(aws) == before
    assert len(list(ClickItem.scan())) == 2


def test_a_write_that_fails_once_is_saved_by_the_extra_attempt_and_not_logged(
    api: Client,
    job: dict[str, Any],
    faults: Faults,
    pauses: list[float],
    made: list[Click],
    log: Callable[[], list[str]],
    emitted: list[str],
) -> None:
    # Given an events table that fails one put
    faults.add("PutItem", EVENTS, times=1)

    # When a visitor clicks
    reply = _click(api, job["links"][0]["slug"])

    # Then the click is recorded on the second attempt, and nothing asks for a replay
    assert reply["statusCode"] == 302
    stored = ClickItem.get(_query(reply)["jt_click"][0])
    assert stored.serialize() == click_store._item(made[-1]).serialize()
    assert len(pauses) == 1
    lines = log()
    assert _replay_records(lines) == []
    assert "click_writes_retried" in emitted
    assert "clicks_not_recorded" not in emitted


@pytest.mark.parametrize(
    "error",
    [
        _throttled,
        lambda operation: ClientError(
            {"Error": {"Code": "InternalServerError", "Message": "Internal server error"}},
            operation,
        ),
        lambda operation: EndpointConnectionError(endpoint_url="https://dynamodb.example"),
        lambda operation: ReadTimeoutError(endpoint_url="https://dynamodb.example"),
    ],
    ids=["throttled", "server-error", "no-connection", "read-timeout"],
)
def test_any_failed_click_write_still_redirects_and_logs_the_click(
    api: Client,
    job: dict[str, Any],
    faults: Faults,
    pauses: list[float],
    log: Callable[[], list[str]],
    error: Callable[[str], Exception],
) -> None:
    # Given an events table that cannot be written, whatever the reason
    faults.add("PutItem", EVENTS, error=error)

    # When a visitor clicks
    reply = _click(api, job["links"][0]["slug"])

    # Then they get the redirect, and the click is logged for replay
    assert reply["statusCode"] == 302
    (record,) = _replay_records(log())
    assert record["click_id"] == _query(reply)["jt_click"][0]


def test_a_failed_link_lookup_answers_503_writes_nothing_and_is_not_remembered(
    api: Client,
    job: dict[str, Any],
    aws: Any,
    faults: Faults,
    log: Callable[[], list[str]],
    emitted: list[str],
) -> None:
    # Given a main table that cannot be read
    slug = job["links"][0]["slug"]
    before = all_items(aws)
    faults.calls.clear()
    faults.add("GetItem", MAIN)

    # When a visitor clicks
    reply = api.get(f"/{slug}", headers={"user-agent": CHROME}, api_key=None)

    # Then they are asked to retry shortly, are sent nowhere, and nothing is written
    assert reply.status == 503
    assert reply.error_code == "unavailable"
    assert 1 <= int(reply.headers["retry-after"]) <= 5
    assert reply.headers["cache-control"] == "no-store"
    assert "location" not in reply.headers
    assert not [call for call in faults.calls if call[0] != "GetItem"]
    assert all_items(aws) == before
    assert "link_lookups_failed" in emitted
    assert "link lookup failed" in log()[0]

    # When the fault clears
    faults.clear()
    reply = api.get(f"/{slug}", headers={"user-agent": CHROME}, api_key=None)

    # Then the next click redirects and is recorded
    assert reply.status == 302
    assert ClickItem.get(parse_qs(urlsplit(reply.headers["location"]).query)["jt_click"][0])


def test_a_failed_lookup_of_an_unknown_slug_is_503_not_404(
    api: Client, aws: Any, faults: Faults
) -> None:
    # Given a main table that cannot be read
    faults.add("GetItem", MAIN)

    # When a slug is looked up
    reply = api.get("/nosuchlink", api_key=None)

    # Then nobody is told it does not exist: it may
    assert reply.status == 503
    faults.clear()
    assert api.get("/nosuchlink", api_key=None).status == 404


def test_an_unreadable_salt_still_redirects_and_records_the_click_without_the_address(
    api: Client, job: dict[str, Any], aws: Any, faults: Faults
) -> None:
    # Given a fresh function, and a main table that cannot read the day's salt
    slug = job["links"][0]["slug"]
    faults.add("GetItem", MAIN, when=lambda params: params["Key"]["pk"]["S"].startswith("SALT#"))

    # When a visitor clicks twice
    first, second = _click(api, slug), _click(api, slug)

    # Then both clicks redirect and are recorded as one visitor, with no address stored
    assert (first["statusCode"], second["statusCode"]) == (302, 302)
    one, two = (ClickItem.get(_query(reply)["jt_click"][0]) for reply in (first, second))
    assert one.visitor == two.visitor
    assert VISITOR_IP not in repr(all_items(aws))

    # When the fault clears, then the day's real salt is read and kept again: the same
    # visitor is another one than under the stand-in, and stays that one
    faults.clear()
    three, four = (ClickItem.get(_query(_click(api, slug))["jt_click"][0]) for _ in range(2))
    assert three.visitor == four.visitor != one.visitor


class _Raw(io.BytesIO):
    """An HTTP body as botocore reads it."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def test_the_sdk_retries_a_throttle_then_the_store_tries_once_more_quickly(
    api: Client,
    job: dict[str, Any],
    pauses: list[float],
    log: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an events table that answers every put with a throttle, below the SDK, so that
    # its retries run (their back-off is recorded instead of slept)
    _click(api, job["links"][0]["slug"])  # the day's salt is made: the throttle hits clicks only
    backoffs: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=backoffs.append))
    sent: list[str] = []

    def throttle(request: Any, **_: Any) -> AWSResponse:
        sent.append("put")
        body = b'{"__type":"#ProvisionedThroughputExceededException","message":"Rate exceeded"}'
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "r1"}
        return AWSResponse(request.url, 400, headers, _Raw(body))

    clients = [ClickItem._get_connection().connection.client, click_store._last_try_client()]
    for client in clients:
        client.meta.events.register_first("before-send.dynamodb.PutItem", throttle)
    try:
        # When a visitor clicks
        reply = _click(api, job["links"][0]["slug"])
    finally:
        for client in clients:
            client.meta.events.unregister("before-send.dynamodb.PutItem", throttle)

    # Then ClickItem's client tried 3 times (backing off up to 1 s, then 2 s, as the SDK
    # does on a throttle), and the store's extra attempt was one try after a short pause
    assert reply["statusCode"] == 302
    assert len(sent) == 4
    assert len(backoffs) == 2
    assert backoffs[0] <= 1
    assert backoffs[1] <= 2
    assert len(pauses) == 1
    assert pauses[0] <= 0.05
    config = click_store._last_try_client().meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.1, 0.1)
    (record,) = _replay_records(log())
    assert record["click_id"] == _query(reply)["jt_click"][0]


def _line(record: dict[str, Any]) -> str:
    return json.dumps({"level": "ERROR", "message": "click not recorded", KEY: record})


def test_a_replay_reports_bad_records_and_failed_writes_by_line_and_can_be_rerun(
    api: Client,
    job: dict[str, Any],
    faults: Faults,
    made: list[Click],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two logged clicks, a damaged record, a truncated one and other lines, read from
    # standard input, and an events table that fails one put
    slug = job["links"][0]["slug"]
    faults.add("PutItem", EVENTS, times=4)  # both clicks: the put and the extra attempt
    _click(api, slug)
    _click(api, slug)
    first, second = (replay.record_of(click) for click in made)
    lines = [
        _line(first),
        "not json at all",
        _line({**first, "at": "yesterday"}),
        _line(second)[:-10],
        _line(second),
        "",
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    faults.add(
        "PutItem", EVENTS, times=1, when=lambda p: p["Item"]["click_id"]["S"] == first["click_id"]
    )

    # When the log is replayed
    status, summary = _replay("-", capsys)

    # Then the one click is written, and every problem is reported with its line
    assert status == 1
    assert (summary["replayed"], summary["already_recorded"], summary["skipped"]) == (1, 0, 2)
    assert [error["line"] for error in summary["errors"]] == [1, 3, 4]
    assert summary["errors"][0]["click_id"] == first["click_id"]
    assert "ProvisionedThroughputExceededException" in summary["errors"][0]["error"]
    assert "'at'" in summary["errors"][1]["error"]

    # When it is replayed again, the fault gone
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    status, summary = _replay("-", capsys)

    # Then the click that failed is written and the other one not again
    assert (summary["replayed"], summary["already_recorded"]) == (1, 1)
    assert {c.click_id for c in ClickItem.scan()} == {first["click_id"], second["click_id"]}


def test_a_replay_of_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        admin.main(["replay-clicks", "/nonexistent/redirect.log"])
    assert exit_.value.code == 2
    assert "cannot read" in capsys.readouterr().err
