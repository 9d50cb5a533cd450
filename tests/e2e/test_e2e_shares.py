"""Share discovery through the local stack: the poller, run on demand as
``POST /_local/invoke/poller``, against a fake X API on 127.0.0.1."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import API_KEY, Stack, _start, _wait_ready, free_ports
from tests.fakes.x_api import FakeXApi, running_fake_x

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fake_x() -> Iterator[FakeXApi]:
    with running_fake_x() as fake:
        yield fake


@pytest.fixture(scope="module")
def x_stack(fake_x: FakeXApi) -> Iterator[Stack]:
    port = free_ports()
    process = _start(port, {"X_API_BASE_URL": fake_x.base_url, "X_BEARER_TOKEN": fake_x.token})
    output: list[str] = []
    _wait_ready(process, output)
    yield Stack(f"http://127.0.0.1:{port}", API_KEY, process, output)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0, "".join(output)


def test_the_poller_finds_who_shared_a_job_and_how_it_spread(
    x_stack: Stack, fake_x: FakeXApi
) -> None:
    # Given a job, and a post of its short link that someone quoted
    job = x_stack.request(
        "POST", "/api/jobs", {"title": "Data engineer", "url": "https://c.example/j"}
    ).json()
    world = fake_x.world
    anna = world.user("anna", followers=900)
    post = world.post(anna, urls=[job["links"][0]["short_url"]])
    world.post(world.user("bob", followers=40), "great team", quoting=post)
    # When the poller runs (twice: the quote is found through the post it quotes)
    for _ in range(2):
        reply = x_stack.request("POST", "/_local/invoke/poller", api_key=None)
        assert reply.status == 200
        assert reply.json()["result"]["runs"][0]["status"] == "ok"
    # Then the shares, the spread and the stats show them
    shares = x_stack.request("GET", f"/api/jobs/{job['id']}/shares").json()["items"]
    assert sorted((s["kind"], s["author"]["handle"]) for s in shares) == [
        ("post", "anna"),
        ("quote", "bob"),
    ]
    roots = x_stack.request("GET", f"/api/jobs/{job['id']}/spread").json()["roots"]
    assert [r["share"]["post_id"] for r in roots] == [post.id]
    assert roots[0]["children"][0]["share"]["author"]["handle"] == "bob"
    stats = x_stack.request("GET", f"/api/jobs/{job['id']}/stats").json()
    assert stats["shares"] == {"total": 2, "by_platform": {"x": 2}, "reach": 940}


def test_the_stack_says_once_that_bluesky_polling_is_off(x_stack: Stack) -> None:
    # When the poller has run, more than once
    for _ in range(2):
        assert x_stack.request("POST", "/_local/invoke/poller", api_key=None).status == 200
    # Then the output said at start, and only then, that Bluesky is off and why; X is on
    said = [line.strip() for line in x_stack.output if "polling is" in line]
    assert said == ["Bluesky polling is off: BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are not set."]
