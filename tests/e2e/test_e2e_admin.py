"""The admin commands against ``make run``'s stack with ``--local``, as an operator runs
them from a shell with no AWS settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import KEY_CACHE_SECONDS, Stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _admin(stack: Stack, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
        "PORT": str(urlsplit(stack.base_url).port),
    }
    return subprocess.run(
        [sys.executable, "-m", "jobtrail.admin", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_workspace_made_with_local_has_a_key_that_works(stack: Stack) -> None:
    made = _admin(stack, "create-workspace", "--local", "Acme AB")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["api_key"]
    assert stack.request("GET", "/api/jobs", api_key=key).status == 200


def test_a_recount_with_local_finishes(stack: Stack) -> None:
    done = _admin(stack, "recount", "--local", "--from", "2026-11-24")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["from"] == "2026-11-24"


def test_keys_are_listed_made_and_revoked_with_local(stack: Stack) -> None:
    # Given a workspace made with --local
    made = json.loads(_admin(stack, "create-workspace", "--local", "Keys AB").stdout)
    workspace_id, first_key = made["workspace_id"], made["api_key"]
    # When the operator lists its keys, makes another and revokes the first
    listed = _admin(stack, "list-keys", "--local", workspace_id)
    assert listed.returncode == 0, listed.stderr
    [first] = json.loads(listed.stdout)["items"]
    assert first["prefix"] == first_key[:6]
    created = _admin(stack, "create-key", "--local", workspace_id, "ci")
    assert created.returncode == 0, created.stderr
    ci_key = json.loads(created.stdout)["api_key"]
    revoked = _admin(stack, "revoke-key", "--local", workspace_id, first["id"])
    assert revoked.returncode == 0, revoked.stderr
    # Then the new key works, the revoked one is refused within the cache's bound, and the
    # last key is kept
    assert stack.request("GET", "/api/jobs", api_key=ci_key).status == 200
    deadline = time.monotonic() + KEY_CACHE_SECONDS + 5
    while stack.request("GET", "/api/jobs", api_key=first_key).status != 401:
        assert time.monotonic() < deadline, "the revoked key still works"
        time.sleep(0.1)
    [ci] = json.loads(_admin(stack, "list-keys", "--local", workspace_id).stdout)["items"]
    kept = _admin(stack, "revoke-key", "--local", workspace_id, ci["id"])
    assert kept.returncode == 1
    assert "last key" in kept.stderr
