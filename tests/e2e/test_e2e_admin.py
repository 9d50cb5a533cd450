"""The admin commands against ``make run``'s stack with ``--local``, as an operator runs
them from a shell with no AWS settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Stack

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
