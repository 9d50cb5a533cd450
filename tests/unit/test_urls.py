from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from jobtrail.domain.errors import InvalidInput
from jobtrail.domain.urls import normalize_target_url, tracked_location

SHORT = "https://jt.example"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/jobs",
        "https:/\\evil.example",
        "https:\\\\evil.example",
        "/jobs/123",
        "jobs/123",
        "https://jobs.example@evil.io/",
        "https://user:pass@jobs.example/",
        "https://jobs.example/a\r\nSet-Cookie: x=1",
        "https://jobs.example/a\x00b",
        "https://jobs.example/a\tb",
        "https://jobs.example/a b",
        "https://" + "a" * 2040 + ".se/",
        "https://jt.example/abc",
        "https://JT.example./abc",
        "https://jt.example:443/abc",
        "https:/jobs.example",
        "https://",
        "https://:80/",
        "https://jobs.example:99999/",
        "https://exa mple.com/",
        "https://-bad-.example/",
        "ftp://jobs.example/",
        "",
    ],
)
def test_refuses_targets_that_are_not_a_plain_web_address(url: str) -> None:
    # Given a job URL that a browser could be tricked by, or that loops back to us
    # When it is checked
    # Then it is refused with a sentence saying why
    with pytest.raises(InvalidInput) as refused:
        normalize_target_url(url, short_base_url=SHORT)
    assert refused.value.code == "invalid_url"
    assert refused.value.message.endswith(".")


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://careers.example.se/jobs/123", "https://careers.example.se/jobs/123"),
        (
            "HTTPS://Careers.Example.SE/Jobs?id=1#apply",
            "https://careers.example.se/Jobs?id=1#apply",
        ),
        ("http://127.0.0.1:8000/job", "http://127.0.0.1:8000/job"),
        (
            "https://jobb.example.se/utvecklare-göteborg",
            "https://jobb.example.se/utvecklare-g%C3%B6teborg",
        ),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://careers.example.se", "https://careers.example.se/"),
        ("https://jt.example:8443/abc", "https://jt.example:8443/abc"),
        ("https://[2001:db8::1]/jobs", "https://[2001:db8::1]/jobs"),
    ],
)
def test_keeps_good_targets_and_writes_them_in_ascii(url: str, stored: str) -> None:
    assert normalize_target_url(url, short_base_url=SHORT) == stored


def test_a_target_of_2048_characters_is_accepted() -> None:
    url = "https://careers.example.se/" + "a" * (2048 - len("https://careers.example.se/"))
    assert normalize_target_url(url, short_base_url=SHORT) == url


def _query(location: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(location).query, keep_blank_values=True)


def test_location_adds_utm_and_click_id_after_the_jobs_own_query() -> None:
    # Given a job URL with its own query and fragment
    location = tracked_location(
        "https://careers.example.se/jobs/123?ref=a%20b&x=1#apply",
        channel="linkedin",
        job_id="job1",
        click_id="c1",
    )
    # Then its query is kept as written, the UTM parameters and the click id follow
    assert location == (
        "https://careers.example.se/jobs/123?ref=a%20b&x=1&utm_source=linkedin"
        "&utm_medium=jobtrail&utm_campaign=job1&jt_click=c1#apply"
    )


def test_location_keeps_utm_the_job_url_already_carries() -> None:
    location = tracked_location(
        "https://careers.example.se/j?utm_source=newsletter&utm_campaign=spring",
        channel="twitter",
        job_id="job1",
        click_id="c1",
    )
    assert _query(location) == [
        ("utm_source", "newsletter"),
        ("utm_campaign", "spring"),
        ("utm_medium", "jobtrail"),
        ("jt_click", "c1"),
    ]


def test_location_always_carries_this_clicks_id_once() -> None:
    location = tracked_location(
        "https://careers.example.se/j?jt_click=old", channel="x", job_id="j", click_id="new"
    )
    assert [v for k, v in _query(location) if k == "jt_click"] == ["new"]
