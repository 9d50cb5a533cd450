"""Applications and hires credited to the click they came of, counted exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from pynamodb.transactions import TransactWrite

from jobtrail.domain.times import iso
from jobtrail.store.models import ClickItem, ConversionItem
from tests.fakes.clock import FakeClock, start_moment
from tests.integration.conftest import JOB, Client

TODAY = start_moment().date().isoformat()


@pytest.fixture
def clicked(api: Client, clock: FakeClock) -> tuple[dict[str, Any], str]:
    """A job, and the id of one click through its first link."""
    job = dict(api.post("/api/jobs", JOB).json())
    reply = api.dispatcher.request(
        "GET", f"/{job['links'][0]['slug']}", headers={"user-agent": "Mozilla/5.0"}
    )
    assert reply["statusCode"] == 302
    [click] = list(ClickItem.scan())
    return job, click.click_id


def _conversions() -> int:
    return sum(1 for _ in ConversionItem.scan(ConversionItem.sk.startswith("CONV#")))


def test_an_application_and_a_hire_show_in_every_stat(
    api: Client, clicked: tuple[dict[str, Any], str]
) -> None:
    job, click_id = clicked
    channel, slug = job["links"][0]["channel"], job["links"][0]["slug"]
    first = api.post("/api/conversions", {"click_id": click_id, "kind": "application"})
    assert first.status == 201
    body = first.json()
    assert (body["job_id"], body["slug"], body["channel"]) == (job["id"], slug, channel)
    assert api.post("/api/conversions", {"click_id": click_id, "kind": "hire"}).status == 201

    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert stats["conversions"] == {"application": 1, "hire": 1}
    for listed, label, value in (("by_channel", "channel", channel), ("by_link", "slug", slug)):
        [row] = [r for r in stats[listed] if r[label] == value]
        assert (row["applications"], row["hires"]) == (1, 1)
    [row] = [r for r in api.get("/api/stats/channels").json()["items"] if r["channel"] == channel]
    assert (row["applications"], row["hires"]) == (1, 1)
    csv = api.get(f"/api/jobs/{job['id']}/stats.csv").text
    header, *rows = csv.strip().splitlines()
    [line] = [r for r in rows if f",{channel}," in r]
    values = dict(zip(header.split(","), line.split(","), strict=True))
    assert (values["applications"], values["hires"]) == ("1", "1")


def test_the_same_conversion_counts_once(
    api: Client, clicked: tuple[dict[str, Any], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job, click_id = clicked
    sent = {"click_id": click_id, "kind": "application", "external_id": "app-7"}
    first = api.post("/api/conversions", sent)
    assert first.status == 201
    again = api.post("/api/conversions", sent)
    assert (again.status, again.json()) == (200, first.json())
    # DynamoDB runs transactions on one item one at a time; moto does not isolate them.
    one_at_a_time = threading.Lock()
    enter, leave = TransactWrite.__enter__, TransactWrite.__exit__

    def entered(self: TransactWrite) -> TransactWrite:
        one_at_a_time.acquire()
        return enter(self)

    def left(self: TransactWrite, *args: Any) -> Any:
        try:
            return leave(self, *args)
        finally:
            one_at_a_time.release()

    monkeypatch.setattr(TransactWrite, "__enter__", entered)
    monkeypatch.setattr(TransactWrite, "__exit__", left)
    other = {**sent, "external_id": "app-8"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.post("/api/conversions", other), range(4)))
    assert sorted(a.status for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert stats["conversions"] == {"application": 2, "hire": 0}


def test_another_workspaces_click_is_not_found(
    other_api: Client, clicked: tuple[dict[str, Any], str]
) -> None:
    _, click_id = clicked
    reply = other_api.post("/api/conversions", {"click_id": click_id, "kind": "hire"})
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "click_not_found"
    assert _conversions() == 0


def test_an_unknown_kind_is_refused(api: Client, clicked: tuple[dict[str, Any], str]) -> None:
    _, click_id = clicked
    reply = api.post("/api/conversions", {"click_id": click_id, "kind": "interview"})
    assert reply.status == 422
    assert _conversions() == 0


def test_a_conversion_of_yesterday_counts_on_yesterday(
    api: Client, clicked: tuple[dict[str, Any], str], clock: FakeClock
) -> None:
    job, click_id = clicked
    clock.advance(86400 * 2)
    # The stats of a range are read from kept spans of its days (read once here, so kept):
    # a conversion dated within them afterwards must still reach them.
    stats, weeks = f"/api/jobs/{job['id']}/stats", f"from={TODAY}&to={clock.now().date()}"
    assert api.get(stats, query=weeks).json()["conversions"]["hire"] == 0
    yesterday = clock.now() - timedelta(days=1)
    sent = {"click_id": click_id, "kind": "hire", "at": iso(yesterday)}
    assert api.post("/api/conversions", sent).status == 201
    assert api.get(stats, query=weeks).json()["conversions"]["hire"] == 1
    day = yesterday.date().isoformat()
    only = api.get(stats, query=f"from={day}&to={day}").json()
    assert only["conversions"]["hire"] == 1


def test_without_a_click_the_job_and_channel_are_credited_once(
    api: Client, clicked: tuple[dict[str, Any], str]
) -> None:
    job, _ = clicked
    sent = {"job_id": job["id"], "channel": "careers-page", "kind": "hire", "external_id": "h1"}
    first = api.post("/api/conversions", sent)
    assert first.status == 201
    assert (first.json()["click_id"], first.json()["slug"]) == (None, None)
    assert api.post("/api/conversions", sent).json() == first.json()
    stats = api.get(f"/api/jobs/{job['id']}/stats").json()
    assert stats["conversions"] == {"application": 0, "hire": 1}
    missing = api.post("/api/conversions", {**sent, "job_id": "0123abc"})
    assert missing.status == 404
    assert api.post("/api/conversions", {"kind": "hire"}).status == 422
