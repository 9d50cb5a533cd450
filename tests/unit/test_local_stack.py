"""The local runtime's own rules: how it passes repeated headers on, when it prints the
functions' metrics, and how it keeps its data."""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import parse_headers
from pathlib import Path
from typing import Any

import pytest

from infra.local.errors import CannotStart, DataDirectoryError
from infra.local.events import http_event
from infra.local.gateway import request_headers
from infra.local.persistence import DataDirectory, Snapshots, data_dir_from, load
from infra.local.stack import metrics_shown


def _headers(raw: str) -> dict[str, str]:
    return request_headers(parse_headers(io.BytesIO(raw.replace("\n", "\r\n").encode())))


def test_a_repeated_header_reaches_the_function_joined_with_commas() -> None:
    headers = _headers("Authorization: Bearer a\nauthorization: Bearer b\nHost: x\n\n")
    event = http_event("GET", "/api/jobs", headers=headers)
    assert event["headers"]["authorization"] == "Bearer a,Bearer b"
    assert event["headers"]["host"] == "x"


def test_repeated_cookie_headers_are_all_cookies() -> None:
    event = http_event("GET", "/", headers=_headers("Cookie: a=1\nCookie: b=2; c=3\n\n"))
    assert event["cookies"] == ["a=1", "b=2", "c=3"]


@pytest.mark.parametrize(
    ("environ", "shown"),
    [
        ({}, False),
        ({"JOBTRAIL_LOG_LEVEL": "info"}, False),
        ({"JOBTRAIL_LOG_LEVEL": "debug"}, True),
        ({"POWERTOOLS_METRICS_DISABLED": "false"}, True),
        ({"JOBTRAIL_LOG_LEVEL": "DEBUG", "POWERTOOLS_METRICS_DISABLED": "true"}, False),
    ],
)
def test_metrics_are_printed_only_when_asked_for(environ: dict[str, str], shown: bool) -> None:
    assert metrics_shown(environ) is shown


def test_an_unknown_log_level_is_said() -> None:
    with pytest.raises(CannotStart, match="JOBTRAIL_LOG_LEVEL must be one of"):
        metrics_shown({"JOBTRAIL_LOG_LEVEL": "loud"})


def test_the_data_directory_is_the_projects_unless_told() -> None:
    assert data_dir_from({}).name == ".jobtrail"
    assert data_dir_from({"JOBTRAIL_DATA_DIR": "/srv/jt"}) == Path("/srv/jt")


def test_a_new_data_directory_is_private(tmp_path: Path) -> None:
    data = DataDirectory(tmp_path / "a" / "data")
    data.open()
    try:
        assert (tmp_path / "a" / "data").stat().st_mode & 0o777 == 0o700
    finally:
        data.close()


def test_a_data_directory_is_used_by_one_run_at_a_time(tmp_path: Path) -> None:
    first = DataDirectory(tmp_path)
    first.open()
    with pytest.raises(DataDirectoryError, match="is in use by another make run"):
        DataDirectory(tmp_path).open()
    first.close()
    second = DataDirectory(tmp_path)
    second.open()  # free again once the first run ends
    second.close()


class _Database:
    def __init__(self) -> None:
        self.changes = 0
        self.tables: dict[str, Any] = {}
        self.closed = False

    @contextmanager
    def paused(self, *, close: bool = False) -> Iterator[None]:
        yield
        self.closed = self.closed or close

    def state(self) -> dict[tuple[str, str], Any]:
        return {("123456789012", "eu-north-1"): self.tables}


class _Pump:
    table_name = "jobtrail-events"

    def __init__(self) -> None:
        self.positions: dict[str, str] = {}
        self.delivered = 0

    @contextmanager
    def paused(self) -> Iterator[None]:
        yield


def test_a_snapshot_is_written_when_something_changed_and_read_back(tmp_path: Path) -> None:
    database, pump = _Database(), _Pump()
    snapshots = Snapshots(tmp_path / "dynamodb.snapshot", database, [pump])
    database.tables["jobs"] = ["a job"]
    assert snapshots.save()
    assert not snapshots.save()  # nothing changed since
    database.tables["jobs"].append("another")
    database.changes += 1
    pump.positions["shard-1"] = "17"
    pump.delivered += 1
    assert snapshots.save()
    saved = load(tmp_path / "dynamodb.snapshot")
    assert saved is not None
    assert saved.tables == {("123456789012", "eu-north-1"): {"jobs": ["a job", "another"]}}
    assert saved.positions == {"jobtrail-events": {"shard-1": "17"}}
    assert list(tmp_path.iterdir()) == [tmp_path / "dynamodb.snapshot"]  # no temporary left


def test_the_last_snapshot_closes_the_database(tmp_path: Path) -> None:
    database = _Database()
    snapshots = Snapshots(tmp_path / "dynamodb.snapshot", database, [])
    snapshots.start()
    database.changes += 1
    snapshots.stop()
    assert database.closed
    assert load(tmp_path / "dynamodb.snapshot") is not None


def test_no_snapshot_is_an_empty_start_and_a_damaged_one_is_said(tmp_path: Path) -> None:
    assert load(tmp_path / "dynamodb.snapshot") is None
    (tmp_path / "dynamodb.snapshot").write_bytes(pickle.dumps({"format": 1})[:-3])
    with pytest.raises(DataDirectoryError, match="cannot be read"):
        load(tmp_path / "dynamodb.snapshot")
