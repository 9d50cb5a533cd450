"""The whole local stack, started as a user starts it (``python -m infra.local``) on a free
port, and talked to over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest

from infra.local.dynamodb import free_port

ROOT = Path(__file__).resolve().parents[2]
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
API_KEY = "e2e-key"
# The authorizer trusts a key it found for this long (at most 60 s on AWS): short here, so
# that a revoked key's 401 is seen within a second or two, not a minute.
KEY_CACHE_SECONDS = 1.0
# How long the stack's redirect keeps a link it read (SLUG_CACHE_SECONDS): shortened from
# the minute it keeps one by default, so that a changed link shows within a test's patience.
SLUG_CACHE_SECONDS = 2.0


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = build_opener(_NoRedirects)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    base_url: str
    api_key: str
    process: subprocess.Popen[str]
    output: list[str]  # what it printed, so far

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        api_key: str | None = "default",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if data else {}
        key = self.api_key if api_key == "default" else api_key
        if key:
            sent["Authorization"] = f"Bearer {key}"
        sent.update(headers or {})
        request = Request(self.base_url + path, data=data, method=method, headers=sent)
        try:
            with _opener.open(request, timeout=30) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())


def _start(port: int, extra_env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m infra.local`` on ``port``; its data in a new directory of its own unless
    ``extra_env`` names one (``JOBTRAIL_DATA_DIR``), never in the project's."""
    unset = ("AWS_ENDPOINT_URL", "JOBTRAIL_", "SHORT_BASE_URL", "POWERTOOLS_", "DYNAMODB_PORT")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(unset)},
        "PORT": str(port),
        "JOBTRAIL_API_KEY": API_KEY,
        "JOBTRAIL_DATA_DIR": tempfile.mkdtemp(prefix="jobtrail-e2e-"),
        "POLL_INTERVAL_SECONDS": "0",
        "KEY_CACHE_SECONDS": f"{KEY_CACHE_SECONDS:g}",
        "SLUG_CACHE_SECONDS": f"{SLUG_CACHE_SECONDS:g}",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(process: subprocess.Popen[str], output: list[str]) -> None:
    ready = threading.Event()
    said = threading.Event()  # ready, or ended without

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("jobtrail ready on "):
                ready.set()
                said.set()
        said.set()

    threading.Thread(target=read, daemon=True).start()
    said.wait(timeout=90)
    if not ready.is_set():
        process.kill()
        raise AssertionError("the local stack did not start:\n" + "".join(output))


def free_ports() -> int:
    """A free port whose next one is free too: the gateway's and its DynamoDB's."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def start_stack(data_dir: Path, port: int | None = None, **env: str) -> Stack:
    """The local stack, ready, keeping its data in ``data_dir``."""
    port = port or free_ports()
    process = _start(port, {"JOBTRAIL_DATA_DIR": str(data_dir), **env})
    output: list[str] = []
    _wait_ready(process, output)
    return Stack(f"http://127.0.0.1:{port}", API_KEY, process, output)


def stop(stack: Stack) -> None:
    """Ctrl-C, as a user stops it: it ends, and cleanly."""
    stack.process.send_signal(signal.SIGINT)
    try:
        code = stack.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise AssertionError("the local stack did not stop on Ctrl-C") from None
    assert code == 0, "".join(stack.output)


def run_to_the_end(env: dict[str, str], port: int | None = None) -> tuple[int, list[str]]:
    """Start the local stack when it cannot start: its exit code and what it printed."""
    process = _start(port or free_ports(), env)
    try:
        printed, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the local stack started, or hung, instead of ending") from None
    return process.returncode, printed.splitlines()


@pytest.fixture(scope="session")
def stack_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack-data")


@pytest.fixture(scope="session")
def stack(stack_data: Path) -> Iterator[Stack]:
    running = start_stack(stack_data)
    yield running
    stop(running)


class _CareersPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = "<html><head><title>Webbutvecklare</title></head><body><h1>Webbutvecklare</h1>"
        page += f"<p id='path'>{self.path}</p></body></html>"
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@dataclass(frozen=True)
class CareersSite:
    """A company's careers site on a public name, served on this machine. A job URL may not
    point at 127.0.0.1, so a browser is told to reach the name at ``address``."""

    url: str
    host: str
    address: str


@pytest.fixture(scope="session")
def careers_site() -> Iterator[CareersSite]:
    """A company's careers site, where the job ads live."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _CareersPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = "careers.example.com"
    yield CareersSite(f"http://{host}", host, f"127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()


def eventually(read: Any, expected: Any, seconds: float = 10.0) -> Any:
    """``read()`` again until it gives ``expected`` or ``seconds`` have passed (the stack's
    counters converge within a few seconds): the last value read."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.2)
