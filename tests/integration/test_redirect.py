"""The redirect: what a person clicking a short link gets, and what is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.client
import pytest

from jobtrail.store.key_shapes import SLUG_SORT_KEY, slug_key
from jobtrail.store.models import ClickItem, LinkItem
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, ORIGIN_SECRET, Client, all_items

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    job = api.post("/api/jobs", {**JOB, "url": "https://careers.example.se/jobs/123?ref=ad"})
    return dict(job.json())


def _click(api: Client, slug: str, method: str = "GET", **headers: str) -> Any:
    sent = {"user-agent": CHROME, **headers}
    return api.request(method, f"/{slug}", headers=sent, api_key=None)


def _clicks() -> list[ClickItem]:
    return sorted(ClickItem.scan(), key=lambda c: c.at)


def test_a_click_lands_on_the_job_ad_with_utm_and_a_click_id(
    api: Client, job: dict[str, Any]
) -> None:
    link = job["links"][1]
    reply = _click(api, link["slug"], referer="https://www.linkedin.com/feed/")
    assert reply.status == 302
    assert reply.headers["cache-control"] == "no-store"
    location = urlsplit(reply.headers["location"])
    assert location._replace(query="").geturl() == "https://careers.example.se/jobs/123"
    query = parse_qs(location.query)
    assert query == {
        "ref": ["ad"],
        "utm_source": ["linkedin"],
        "utm_medium": ["jobtrail"],
        "utm_campaign": [job["campaign"]],
        "jt_click": [query["jt_click"][0]],
    }
    # And the click is recorded under the id the job ad receives
    (click,) = _clicks()
    assert click.click_id == query["jt_click"][0]
    assert (click.slug, click.job_id, click.channel, click.sharer) == (
        link["slug"],
        job["id"],
        "linkedin",
        None,
    )
    assert click.bot_class == "human"
    assert click.referrer_host == "www.linkedin.com"
    assert click.device == "desktop"


def test_a_persons_link_records_the_sharer(api: Client, job: dict[str, Any]) -> None:
    api.post(f"/api/jobs/{job['id']}/links", {"channel": "x", "sharer": "anna", "slug": "anna-x"})
    _click(api, "anna-x")
    assert [c.sharer for c in _clicks()] == ["anna"]


def test_every_click_is_recorded_with_its_own_id(api: Client, job: dict[str, Any]) -> None:
    slug = job["links"][0]["slug"]
    ids = {
        parse_qs(urlsplit(_click(api, slug).headers["location"]).query)["jt_click"][0]
        for _ in range(3)
    }
    assert len(ids) == 3
    assert {c.click_id for c in _clicks()} == ids


@pytest.mark.parametrize(("method", "agent"), [("HEAD", CHROME), ("GET", "")])
def test_robots_get_the_redirect_but_are_recorded_as_bots(
    api: Client, job: dict[str, Any], method: str, agent: str
) -> None:
    reply = _click(api, job["links"][0]["slug"], method=method, **{"user-agent": agent})
    assert reply.status == 302
    assert [c.bot_class for c in _clicks()] == ["bot"]


def test_an_unknown_slug_is_404_and_records_nothing(api: Client, aws: Any) -> None:
    before = all_items(aws)
    reply = _click(api, "nosuchlink")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "link_not_found"
    assert all_items(aws) == before


def test_a_country_sent_straight_to_the_api_is_not_stored(api: Client, job: dict[str, Any]) -> None:
    # Given a redirect with no origin secret configured (no CloudFront in front of it)
    # When a client sends CloudFront's country header itself, with or without a secret
    slug = job["links"][0]["slug"]
    _click(api, slug, **{"cloudfront-viewer-country": "SE"})
    _click(api, slug, **{"cloudfront-viewer-country": "SE", "x-jobtrail-origin-secret": ""})
    _click(api, slug, **{"cloudfront-viewer-country": "SE", "x-jobtrail-origin-secret": "a"})
    # Then the clicks have no country
    assert [c.country for c in _clicks()] == [None, None, None]


@pytest.mark.settings(origin_secret=ORIGIN_SECRET)
def test_the_country_is_stored_from_a_request_that_came_through_cloudfront(
    api: Client, job: dict[str, Any]
) -> None:
    # Given a redirect that knows its CloudFront's origin secret
    # When a request carries it along with the viewer's country
    _click(
        api,
        job["links"][0]["slug"],
        **{"cloudfront-viewer-country": "se", "x-jobtrail-origin-secret": ORIGIN_SECRET},
    )
    # Then the click has the country
    assert [c.country for c in _clicks()] == ["SE"]


@pytest.mark.settings(origin_secret=ORIGIN_SECRET)
@pytest.mark.parametrize("sent", [None, "", "guess", ORIGIN_SECRET[:-1], ORIGIN_SECRET + "x"])
def test_a_country_without_the_right_origin_secret_is_not_stored(
    api: Client, job: dict[str, Any], sent: str | None
) -> None:
    # Given a redirect that knows its CloudFront's origin secret
    # When a request carries a country but a wrong secret, or none
    headers = {"cloudfront-viewer-country": "SE"}
    if sent is not None:
        headers["x-jobtrail-origin-secret"] = sent
    reply = _click(api, job["links"][0]["slug"], **headers)
    # Then it is still redirected, and its click has no country
    assert reply.status == 302
    assert [c.country for c in _clicks()] == [None]


@pytest.mark.settings(origin_secret=ORIGIN_SECRET)
def test_visitors_behind_one_cloudfront_edge_are_told_apart_by_their_own_address(
    api: Client, job: dict[str, Any], aws: Any, clock: FakeClock
) -> None:
    # Given a redirect behind CloudFront, where every request comes from an edge server
    slug = job["links"][0]["slug"]

    def through_cloudfront(viewer: str, secret: str) -> None:
        api.dispatcher.request(
            "GET",
            f"/{slug}",
            headers={
                "user-agent": CHROME,
                "cloudfront-viewer-address": f"{viewer}:53211",
                "x-jobtrail-origin-secret": secret,
            },
            source_ip="130.176.0.10",
        )
        clock.advance(1)  # the clicks in order

    # When two visitors with the same browser click through the same edge, each twice
    for viewer in ("198.51.100.10", "198.51.100.10", "2001:db8::7", "2001:db8::7"):
        through_cloudfront(viewer, ORIGIN_SECRET)
    # and someone claims an address without the origin secret
    through_cloudfront("192.0.2.99", "guess")
    through_cloudfront("192.0.2.98", "guess")

    # Then the two are two visitors, each the same on both clicks, while the unproven
    # claims count as the edge's own address (one visitor); no address is stored
    first, again, second, second_again, claim, other_claim = (c.visitor for c in _clicks())
    assert first == again
    assert second == second_again
    assert first != second
    assert claim == other_claim
    assert claim not in (first, second)
    assert "198.51.100.10" not in repr(all_items(aws))


def test_no_address_is_stored_and_a_visitor_is_one_per_day(
    api: Client, job: dict[str, Any], aws: Any, clock: FakeClock
) -> None:
    slug = job["links"][0]["slug"]
    day = clock.now()
    api.dispatcher.request(
        "GET", f"/{slug}", headers={"user-agent": CHROME}, source_ip="203.0.113.7"
    )
    api.dispatcher.request(
        "GET", f"/{slug}", headers={"user-agent": CHROME}, source_ip="203.0.113.7"
    )
    clock.set(day + timedelta(days=1))
    api.dispatcher.request(
        "GET", f"/{slug}", headers={"user-agent": CHROME}, source_ip="203.0.113.7"
    )
    first, second, next_day = _clicks()
    assert first.visitor == second.visitor
    assert next_day.visitor != first.visitor
    assert "203.0.113.7" not in repr(all_items(aws))
    assert first.expires_at == day + timedelta(days=400)


def test_a_warm_redirect_reads_the_link_once_and_writes_the_click_once(
    api: Client, job: dict[str, Any], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = job["links"][0]["slug"]
    _click(api, slug)  # warm: the day's salt is known now
    clock.advance(61)  # and the link no longer cached
    calls: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        return make_api_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    # When the link is not cached, then when it is
    _click(api, slug)
    uncached = list(calls)
    calls.clear()
    _click(api, slug)
    # Then a read and a write, then the write alone
    assert sorted(uncached) == ["GetItem", "PutItem"]
    assert calls == ["PutItem"]


def test_a_changed_link_takes_effect_within_a_minute(
    api: Client, job: dict[str, Any], clock: FakeClock
) -> None:
    # Given a warm function that has the link cached
    slug = job["links"][0]["slug"]
    _click(api, slug)
    item = LinkItem.get(slug_key(slug), SLUG_SORT_KEY)
    item.update(actions=[LinkItem.target_url.set("https://careers.example.se/moved")])
    # When the link changes, then a minute passes
    clock.advance(30)
    still = _click(api, slug).headers["location"]
    clock.advance(31)
    moved = _click(api, slug).headers["location"]
    # Then the change shows within the minute
    assert still.startswith("https://careers.example.se/jobs/123?")
    assert moved.startswith("https://careers.example.se/moved?")
