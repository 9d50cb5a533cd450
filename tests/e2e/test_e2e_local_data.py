"""``make run`` keeps its data between runs, and says in one line why it cannot start."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import (
    API_KEY,
    FIREFOX,
    Stack,
    eventually,
    run_to_the_end,
    start_stack,
    stop,
)

pytestmark = pytest.mark.e2e


def _click(stack: Stack, slug: str) -> None:
    reply = stack.request("GET", f"/{slug}", api_key=None, headers={"User-Agent": FIREFOX})
    assert reply.status == 302
    assert reply.headers["Location"].startswith("https://careers.example.se/jobs/9")


def _total_clicks(stack: Stack, job_id: str) -> Any:
    return stack.request("GET", f"/api/jobs/{job_id}/stats").json()["clicks"]["total"]


def test_a_restart_keeps_the_jobs_their_links_clicks_and_the_key(tmp_path: Path) -> None:
    # Given a job with two counted clicks, and a third click just before Ctrl-C
    data = tmp_path / "data"
    first = start_stack(data)
    job = first.request(
        "POST",
        "/api/jobs",
        {"title": "Backend", "url": "https://careers.example.se/jobs/9", "channels": ["mail"]},
    ).json()
    slug = job["links"][0]["slug"]
    _click(first, slug)
    _click(first, slug)
    assert eventually(lambda: _total_clicks(first, job["id"]), 2) == 2
    _click(first, slug)
    stop(first)
    # When make run starts again on the same data, with the same key
    second = start_stack(data)
    try:
        # Then the key still works, in the same workspace, which still has the job
        jobs = second.request("GET", "/api/jobs")
        assert jobs.status == 200
        assert [item["id"] for item in jobs.json()["items"]] == [job["id"]]
        # and the third click is counted once, whether it was counted before the stop or after
        assert eventually(lambda: _total_clicks(second, job["id"]), 3) == 3
        # and the link still redirects; its click is the fourth, none counted twice
        _click(second, slug)
        assert eventually(lambda: _total_clicks(second, job["id"]), 4) == 4
        assert _total_clicks(second, job["id"]) == 4
    finally:
        stop(second)


def test_after_a_kill_the_data_of_more_than_a_second_before_is_there(tmp_path: Path) -> None:
    # Given a job made a few seconds before make run is killed (kill -9)
    data = tmp_path / "data"
    first = start_stack(data)
    job = first.request("POST", "/api/jobs", {"title": "Kept", "url": "https://c.example/k"})
    assert job.status == 201
    time.sleep(2.5)  # the snapshot is written at most a second after a change
    first.process.kill()
    first.process.wait(timeout=20)
    # When it starts again on the same data
    second = start_stack(data)
    try:
        # Then the job is there
        assert second.request("GET", f"/api/jobs/{job.json()['id']}").status == 200
    finally:
        stop(second)


def test_a_second_run_on_the_same_data_says_so_in_one_line(stack: Stack, stack_data: Path) -> None:
    code, printed = run_to_the_end({"JOBTRAIL_DATA_DIR": str(stack_data)})
    assert code != 0
    assert len(printed) == 1, printed
    assert "in use by another make run" in printed[0]
    assert str(stack_data) in printed[0]
    # and the running one goes on
    assert stack.request("GET", "/health", api_key=None).status == 200


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


@pytest.mark.parametrize("which", ["gateway", "dynamodb"])
def test_a_port_in_use_is_one_line_and_a_failure(
    which: str, taken_port: int, tmp_path: Path
) -> None:
    env = {"JOBTRAIL_DATA_DIR": str(tmp_path / "data")}
    if which == "dynamodb":
        env["DYNAMODB_PORT"] = str(taken_port)
        code, printed = run_to_the_end(env)
    else:
        code, printed = run_to_the_end(env, port=taken_port)
    assert code != 0
    assert len(printed) == 1, printed
    assert f"port {taken_port}" in printed[0]
    assert "is in use" in printed[0]


@pytest.mark.parametrize("where", ["under a file", "a file"])
def test_a_data_directory_that_cannot_be_written_is_one_line(where: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    data = tmp_path / "file" / "data" if where == "under a file" else tmp_path / "file"
    code, printed = run_to_the_end({"JOBTRAIL_DATA_DIR": str(data)})
    assert code != 0
    assert len(printed) == 1, printed
    assert f"the data directory {data} cannot be written" in printed[0]


def test_twenty_jobs_created_at_once_are_all_created(stack: Stack) -> None:
    start = Barrier(20)

    def create(number: int) -> int:
        start.wait()
        return stack.request(
            "POST", "/api/jobs", {"title": f"Job {number}", "url": f"https://c.example/{number}"}
        ).status

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses == [201] * 20


def _with_two_keys(stack: Stack, first: str, second: str) -> int:
    url = urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        connection.putrequest("GET", "/api/jobs")
        connection.putheader("Authorization", f"Bearer {first}")
        connection.putheader("Authorization", f"Bearer {second}")
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_two_authorization_headers_are_refused_as_api_gateway_refuses_them(stack: Stack) -> None:
    # API Gateway joins a repeated header with commas: neither key is the one it reads
    assert _with_two_keys(stack, "wrong", API_KEY) == 401
    assert _with_two_keys(stack, API_KEY, "wrong") == 401


def test_requests_print_no_metrics_by_default(stack: Stack) -> None:
    job = stack.request("POST", "/api/jobs", {"title": "Quiet", "url": "https://c.example/q"})
    slug = job.json()["links"][0]["slug"]
    stack.request("GET", f"/{slug}", api_key=None, headers={"User-Agent": FIREFOX})
    stack.request("GET", "/no-such-slug", api_key=None)
    # The gateway's line for a last request comes after anything the requests printed
    assert stack.request("GET", "/health?quiet-check", api_key=None).status == 200
    assert eventually(lambda: any("quiet-check" in line for line in stack.output), True)
    printed = "".join(stack.output)
    assert '"_aws"' not in printed
    assert "No application metrics" not in printed
