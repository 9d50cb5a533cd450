"""``python -m jobtrail.admin``: what an operator sees when the environment is not right,
and the help that says what each command needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.local.dynamodb import create_tables, free_port
from jobtrail import admin
from jobtrail.domain.api_keys import hash_api_key
from jobtrail.store import models
from tests.fakes.clock import FakeClock
from tests.integration.conftest import Client

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT_VARIABLES = (
    "MAIN_TABLE_NAME",
    "EVENTS_TABLE_NAME",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "DYNAMODB_PORT",
    "PORT",
    "AWS_REGION",
)


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No table names or endpoint in the environment; the store pointed back at the
    tests' tables afterwards."""
    names = models.MainItem.Meta.table_name, models.ClickItem.Meta.table_name
    environment = dict(os.environ)
    for name in DEPLOYMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    # The commands set the environment for the store: put it back as it was.
    os.environ.clear()
    os.environ.update(environment)
    admin.use_deployment(admin.Deployment(*names))
    for name in DEPLOYMENT_VARIABLES:
        if name not in environment:
            os.environ.pop(name, None)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    status = admin.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _one_sentence(err: str) -> str:
    """The error as an operator reads it: one line, no traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m jobtrail.admin: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["create-workspace", "Acme AB"], ["--main-table", "MAIN_TABLE_NAME"]),
        (["replay-clicks", "-"], ["--events-table", "EVENTS_TABLE_NAME"]),
        (["recount", "--from", "2026-11-24"], ["--main-table", "MAIN_TABLE_NAME"]),
    ],
)
def test_without_table_names_the_command_says_how_to_name_them(
    argv: list[str], names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(argv, capsys)
    assert status == 1
    assert out == ""
    line = _one_sentence(err)
    for name in names:
        assert name in line
    assert "TableName output" in line


def test_a_table_that_does_not_exist_is_named(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["create-workspace", "--main-table", "jobtrail-mian", "Acme AB"], capsys)
    assert status == 1
    line = _one_sentence(err)
    assert "'jobtrail-mian' does not exist in eu-north-1" in line
    assert "MainTableName" in line
    # and nothing was written to the table that does exist
    assert aws.scan(TableName="jobtrail-main")["Items"] == []


def test_missing_credentials_are_one_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    status, _, err = _run(["create-workspace", "--main-table", "jobtrail-main", "Acme"], capsys)
    assert status == 1
    assert "No AWS credentials were found" in _one_sentence(err)


def test_a_missing_region_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    status, _, err = _run(["replay-clicks", "--events-table", "jobtrail-events", "-"], capsys)
    assert status == 1
    assert "--region" in _one_sentence(err)


def test_dynamodb_out_of_reach_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    argv = ["create-workspace", "--main-table", "jobtrail-main", "--endpoint-url", nobody, "A"]
    status, _, err = _run(argv, capsys)
    assert status == 1
    assert f"DynamoDB could not be reached at {nobody}" in _one_sentence(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["create-workspace", "  "], "the name must be 1 to 200 characters"),
        (["recount", "--from", "24/11/2026"], "'24/11/2026' is not a day like 2026-11-25"),
        (["recount", "--from", "2026-11-25", "--to", "2026-11-24"], "--to must not be before"),
        (["recount", "--to", "2026-11-24"], "the following arguments are required: --from"),
        (["replay-clicks", "/nonexistent/redirect.log"], "cannot read /nonexistent/redirect.log"),
        (["list-keys"], "the following arguments are required: WORKSPACE"),
        (["list-keys", "acme/../x"], "'acme/../x' is not a workspace id"),
        (["revoke-key", "0123abc"], "the following arguments are required: KEY_ID"),
        (["revoke-key", "0123abc", "jt_secret"], "'jt_secret' is not a key id"),
        (["create-key", "0123abc", " "], "the name must be 1 to 100 characters"),
    ],
)
def test_bad_arguments_are_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        admin.main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert message in err


@pytest.mark.parametrize(
    ("argv", "needs"),
    [
        ([], ["create-workspace", "replay-clicks", "recount", "list-keys", "revoke-key"]),
        (["create-workspace"], ["--main-table", "needs the main table"]),
        (["list-keys"], ["WORKSPACE", "only as hashes", "needs the main table"]),
        (["create-key"], ["WORKSPACE", "NAME", "once", "needs the main table"]),
        (["revoke-key"], ["WORKSPACE", "KEY_ID", "401", "last key", "needs the main table"]),
        (["backfill-keys"], ["Scan", "again changes nothing", "needs the main table"]),
        (["link-sharers"], ["Scan", "again changes nothing", "needs the main table"]),
        (["replay-clicks"], ["--events-table", "needs the events table"]),
        (["recount"], ["--main-table", "--events-table", "Scan", "--job", "--from", "--to"]),
    ],
)
def test_help_names_what_a_command_needs(
    argv: list[str], needs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        admin.main([*argv, "--help"])
    assert stopped.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # as one line, whatever the wrapping
    for needed in needs:
        assert needed.lower() in shown.lower()
    # and every help says where the tables, the region and the local stack come from
    for where in ("MAIN_TABLE_NAME", "MainTableName", "describe-stacks", "--region", "--local"):
        assert where in shown


@pytest.fixture
def local_dynamodb() -> Iterator[tuple[int, Any]]:
    """A DynamoDB like the one ``make run`` starts: moto's server, tables made alike."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}")
    create_tables(client)
    yield port, client
    server.stop()


def test_local_talks_to_the_local_stacks_dynamodb(
    local_dynamodb: tuple[int, Any], tmp_path: Path
) -> None:
    # Given the local stack's DynamoDB, and a shell with no AWS settings at all
    port, client = local_dynamodb
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
        "DYNAMODB_PORT": str(port),
    }
    # When the operator creates a workspace there
    done = subprocess.run(
        [sys.executable, "-m", "jobtrail.admin", "create-workspace", "--local", "Acme AB"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Then it is in the local stack's table
    assert done.returncode == 0, done.stderr
    assert "Acme AB" in done.stdout
    names = [i["name"]["S"] for i in client.scan(TableName="jobtrail-main")["Items"] if "name" in i]
    assert "Acme AB" in names


# API keys, as an operator manages them.
MAIN_TABLE = ["--main-table", "jobtrail-main"]


def test_list_keys_shows_ids_names_and_prefixes_never_the_keys(
    workspace: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace_id, api_key = workspace
    status, out, _ = _run(["list-keys", *MAIN_TABLE, workspace_id], capsys)
    assert status == 0
    listed = json.loads(out)
    assert listed["workspace_id"] == workspace_id
    [key] = listed["items"]
    assert (key["name"], key["prefix"]) == ("first key", api_key[:6])
    assert api_key not in out


def test_a_key_created_and_revoked_by_the_operator(
    api: Client, workspace: tuple[str, str], clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace_id = workspace[0]
    # When the operator creates a key, it is printed once and works
    status, out, err = _run(["create-key", *MAIN_TABLE, workspace_id, "deploy bot"], capsys)
    assert status == 0
    created = json.loads(out)
    assert "only as a hash" in err
    bot = Client(api.dispatcher, created["api_key"])
    assert bot.get("/api/jobs").status == 200
    # and when they revoke it, it is no longer listed and answers 401 within a minute
    status, out, err = _run(["revoke-key", *MAIN_TABLE, workspace_id, created["id"]], capsys)
    assert status == 0
    assert json.loads(out) == {"revoked": created["id"], "workspace_id": workspace_id}
    assert "401 within a minute" in err
    assert created["id"] not in {key["id"] for key in api.get("/api/keys").json()["items"]}
    clock.advance(60)
    assert bot.get("/api/jobs").status == 401


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("last", ["last key", "create-key first"]),
        ("unknown key", ["has no key '0123abc'", "list-keys"]),
        ("unknown workspace", ["no workspace '0123nobody'", "create-workspace printed it"]),
    ],
)
def test_a_key_that_cannot_be_revoked_is_one_sentence(
    api: Client,
    workspace: tuple[str, str],
    aws: Any,
    capsys: pytest.CaptureFixture[str],
    which: str,
    says: list[str],
) -> None:
    workspace_id = workspace[0]
    [only] = api.get("/api/keys").json()["items"]
    argv = {
        "last": [workspace_id, only["id"]],
        "unknown key": [workspace_id, "0123abc"],
        "unknown workspace": ["0123nobody", only["id"]],
    }[which]
    before = aws.scan(TableName="jobtrail-main")["Items"]
    status, out, err = _run(["revoke-key", *MAIN_TABLE, *argv], capsys)
    assert (status, out) == (1, "")
    line = _one_sentence(err)
    for said in says:
        assert said in line
    assert aws.scan(TableName="jobtrail-main")["Items"] == before
    assert api.get("/api/jobs").status == 200


def test_list_keys_of_an_unknown_workspace_is_one_sentence(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(["list-keys", *MAIN_TABLE, "0123nobody"], capsys)
    assert status == 1
    assert "no workspace '0123nobody'" in _one_sentence(err)


def test_backfill_keys_lists_the_keys_made_before_keys_were_listed_once(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a workspace and key as this stack stored them before keys were listed
    models.WorkspaceItem(
        "WS#0123old", "WORKSPACE", workspace_id="0123old", name="Old AB", created_at=OLD
    ).save()
    models.ApiKeyItem(
        f"KEY#{hash_api_key('jt_oldkey')}",
        "KEY",
        workspace_id="0123old",
        name="first key",
        created_at=OLD,
    ).save()
    # When the operator runs the backfill twice
    first = _run(["backfill-keys", *MAIN_TABLE], capsys)
    again = _run(["backfill-keys", *MAIN_TABLE], capsys)
    # Then the key is listed once (with no prefix: only its hash was stored)
    assert (first[0], json.loads(first[1])["adopted"]) == (0, 1)
    assert (again[0], json.loads(again[1])["adopted"]) == (0, 0)
    listed = _run(["list-keys", *MAIN_TABLE, "0123old"], capsys)
    assert listed[0] == 0
    [key] = json.loads(listed[1])["items"]
    assert (key["name"], key["prefix"], key["created_at"]) == ("first key", None, OLD)


OLD = "2026-01-02T03:04:05.000Z"
