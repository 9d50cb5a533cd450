from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from jobtrail.domain.clicks import (
    LinkTarget,
    Visit,
    device_class,
    record,
    referrer_host,
    viewer_address,
    viewer_country,
)

VISITOR_KEY = b"a test key of the visitor hash, 32+ bytes"
LINK = LinkTarget(
    slug="webdev-li",
    workspace_id="ws1",
    job_id="job1",
    channel="linkedin",
    sharer="anna_dev",
    target_url="https://careers.example.se/jobs/123",
    campaign="webbutvecklare-k3f9",
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _visit(**changes: str | None) -> Visit:
    fields: dict[str, str | None] = {
        "method": "GET",
        "source_ip": "203.0.113.7",
        "user_agent": CHROME,
        "referer": "https://www.linkedin.com/feed/",
        "country": "se",
    }
    fields.update(changes)
    return Visit(**fields)  # type: ignore[arg-type]


def test_a_click_carries_the_link_and_never_the_address() -> None:
    click = record(LINK, _visit(), secret=VISITOR_KEY, salt="s1", now=NOW, retention_days=400)
    assert (click.slug, click.job_id, click.channel, click.sharer) == (
        "webdev-li",
        "job1",
        "linkedin",
        "anna_dev",
    )
    assert click.bot_class == "human"
    assert click.referrer_host == "www.linkedin.com"
    assert click.country == "SE"
    assert click.device == "desktop"
    assert click.day == "2026-11-25"
    assert click.at_iso == "2026-11-25T09:30:00.000Z"
    assert click.expires_at == NOW + timedelta(days=400)
    assert "203.0.113.7" not in repr(click)


def test_the_same_visitor_is_one_visitor_within_a_day_and_unlinkable_across_days() -> None:
    first = record(LINK, _visit(), secret=VISITOR_KEY, salt="day1", now=NOW, retention_days=400)
    again = record(LINK, _visit(), secret=VISITOR_KEY, salt="day1", now=NOW, retention_days=400)
    other = record(
        LINK,
        _visit(source_ip="198.51.100.2"),
        secret=VISITOR_KEY,
        salt="day1",
        now=NOW,
        retention_days=1,
    )
    next_day = record(LINK, _visit(), secret=VISITOR_KEY, salt="day2", now=NOW, retention_days=400)
    assert first.visitor == again.visitor
    assert first.click_id != again.click_id
    assert other.visitor != first.visitor
    assert next_day.visitor != first.visitor


def test_a_visitor_depends_on_the_key_and_is_not_the_salted_hash_of_address_and_agent() -> None:
    mine = record(LINK, _visit(), secret=VISITOR_KEY, salt="day1", now=NOW, retention_days=1)
    theirs = record(LINK, _visit(), secret=b"another key", salt="day1", now=NOW, retention_days=1)
    unkeyed = hashlib.sha256(f"day1\n203.0.113.7\n{CHROME}".encode()).hexdigest()[:32]
    assert mine.visitor != theirs.visitor
    assert unkeyed not in (mine.visitor, theirs.visitor)
    with pytest.raises(ValueError, match="secret"):
        record(LINK, _visit(), secret=b"", salt="day1", now=NOW, retention_days=1)


@pytest.mark.parametrize(
    ("method", "agent", "bot_class"),
    [("HEAD", CHROME, "bot"), ("GET", "", "bot"), ("GET", None, "bot"), ("GET", CHROME, "human")],
)
def test_heads_and_empty_agents_are_robots(method: str, agent: str | None, bot_class: str) -> None:
    click = record(
        LINK,
        _visit(method=method, user_agent=agent),
        secret=VISITOR_KEY,
        salt="s",
        now=NOW,
        retention_days=1,
    )
    assert click.bot_class == bot_class


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (CHROME, "desktop"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "tablet",
        ),
        (None, "unknown"),
    ],
)
def test_device_class(agent: str | None, device: str) -> None:
    assert device_class(agent) == device


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        ("https://t.co/abc", "t.co"),
        ("android-app://com.linkedin.android/", "com.linkedin.android"),
        ("not a url", None),
        ("http://[bad", None),
        (None, None),
    ],
)
def test_referrer_host(referer: str | None, host: str | None) -> None:
    assert referrer_host(referer) == host


def test_a_long_user_agent_is_cut_and_a_bad_country_dropped() -> None:
    click = record(
        LINK,
        _visit(user_agent="x" * 5000, country="Sweden"),
        secret=VISITOR_KEY,
        salt="s",
        now=NOW,
        retention_days=1,
    )
    assert click.user_agent is not None
    assert len(click.user_agent) == 512
    assert click.country is None


SECRET = "s3cret-from-cloudfront"
COUNTRY = {"cloudfront-viewer-country": "se"}


@pytest.mark.parametrize(
    ("headers", "configured", "country"),
    [
        (COUNTRY, None, None),
        ({**COUNTRY, "x-jobtrail-origin-secret": SECRET}, None, None),
        ({**COUNTRY, "x-jobtrail-origin-secret": ""}, "", None),
        (COUNTRY, SECRET, None),
        ({**COUNTRY, "x-jobtrail-origin-secret": "s3cret"}, SECRET, None),
        ({**COUNTRY, "x-jobtrail-origin-secret": "s3cret-fröm-cloudfront"}, SECRET, None),
        ({**COUNTRY, "x-jobtrail-origin-secret": SECRET}, SECRET, "se"),
        ({"x-jobtrail-origin-secret": SECRET}, SECRET, None),
    ],
)
def test_the_country_is_believed_only_with_the_origin_secret(
    headers: dict[str, str], configured: str | None, country: str | None
) -> None:
    assert viewer_country(headers, origin_secret=configured) == country


ADDRESS = {"cloudfront-viewer-address": "198.51.100.10:46532"}


@pytest.mark.parametrize(
    ("headers", "configured", "address"),
    [
        # Behind the stack's CloudFront, the viewer's own address (many share an edge)
        ({**ADDRESS, "x-jobtrail-origin-secret": SECRET}, SECRET, "198.51.100.10"),
        (
            {
                "cloudfront-viewer-address": "2001:db8::7334:46532",
                "x-jobtrail-origin-secret": SECRET,
            },
            SECRET,
            "2001:db8::7334",
        ),
        # Anyone else's claim of an address is not believed: the request's source counts
        (ADDRESS, SECRET, "203.0.113.7"),
        ({**ADDRESS, "x-jobtrail-origin-secret": "guess"}, SECRET, "203.0.113.7"),
        ({**ADDRESS, "x-jobtrail-origin-secret": SECRET}, None, "203.0.113.7"),
        (
            {"cloudfront-viewer-address": "no-port", "x-jobtrail-origin-secret": SECRET},
            SECRET,
            "203.0.113.7",
        ),
        ({"x-jobtrail-origin-secret": SECRET}, SECRET, "203.0.113.7"),
    ],
)
def test_the_visitors_address_is_cloudfronts_only_with_the_origin_secret(
    headers: dict[str, str], configured: str | None, address: str
) -> None:
    assert viewer_address(headers, "203.0.113.7", origin_secret=configured) == address
