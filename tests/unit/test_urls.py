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
        (
            "https://jobb.example.se/utvecklare-göteborg",
            "https://jobb.example.se/utvecklare-g%C3%B6teborg",
        ),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://careers.example.se", "https://careers.example.se/"),
        ("https://[2606:4700:4700:0::1111]/jobs", "https://[2606:4700:4700::1111]/jobs"),
    ],
)
def test_keeps_good_targets_and_writes_them_in_ascii(url: str, stored: str) -> None:
    assert normalize_target_url(url, short_base_url=SHORT) == stored


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://localhost/", "localhost"),
        ("http://LOCALHOST./jobs", "localhost"),
        ("http://jobs.localhost/", "jobs.localhost"),
        ("http://localhost.localdomain/", "localhost.localdomain"),
        ("http://printer.local/", "printer.local"),
        ("http://hr.corp.internal/jobs", "hr.corp.internal"),
        ("http://nas.home.arpa/", "nas.home.arpa"),
        ("http://intranet/jobs", "intranet"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254"),
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://172.16.5.4/", "172.16.5.4"),
        ("http://192.168.1.1/admin", "192.168.1.1"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://127.0.0.1:8000/job", "127.0.0.1"),
        ("http://[::1]/", "::1"),
        ("http://[0:0:0:0:0:0:0:1]/", "::1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[fc00::1]/", "fc00::1"),
        ("http://[::ffff:7f00:1]/", "127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/", "10.0.0.1"),
        ("http://[2002:7f00:1::]/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"),
        ("http://0x7f.0.0.1/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.0.0.1./", "127.0.0.1"),
        ("http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/", "127.0.0.1"),
        ("http://0/", "0.0.0.0"),  # noqa: S104 (a job URL, not an address to bind)
        ("http://0.0.0.0:8080/", "0.0.0.0"),  # noqa: S104
        ("http://[::]/", "::"),
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://[ff02::1]/", "ff02::1"),
        ("http://240.0.0.1/", "240.0.0.1"),
        ("http://255.255.255.255/", "255.255.255.255"),
    ],
)
def test_refuses_hosts_inside_a_network_in_any_notation(url: str, named: str) -> None:
    # Given a job URL whose host is this computer, a private network or no real host
    # When it is checked
    # Then it is refused with a sentence naming the host as it is read
    with pytest.raises(InvalidInput) as refused:
        normalize_target_url(url, short_base_url=SHORT)
    assert refused.value.code == "invalid_url"
    assert named in refused.value.message
    assert refused.value.message.endswith("use the public address of the job ad.")


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://0x/",
        "http://08.0.0.1/",
        "http://jobs.example.123/",
        "http://[jobs.example.com]/",
        "http://[::1/",
        "http://[fe80::1%25eth0]/",
        "https://jobs.example.com:0/",
        "https://jobs.example.com:65536/",
        "https://jobs.example.com:+443/",
    ],
)
def test_refuses_hosts_and_ports_no_browser_reads(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_target_url(url, short_base_url=SHORT)
    assert refused.value.code == "invalid_url"
    assert refused.value.message.endswith(".")


@pytest.mark.parametrize(
    ("short_base_url", "url"),
    [
        ("https://jt.example", "https://JT.EXAMPLE/abc"),
        ("https://jt.example", "https://jt.example./abc"),
        ("https://jt.example", "https://jt.example:8443/abc"),
        ("https://jt.example", "http://jt.example/abc"),
        ("https://bücher.example", "https://xn--bcher-kva.example/abc"),
        ("https://xn--bcher-kva.example", "https://BÜCHER.example/abc"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000/abc"),
        ("http://127.0.0.1:3000", "http://127.1:3000/abc"),
        ("http://127.0.0.1:3000", "http://0x7f.0.0.1:3000/abc"),
        ("http://127.0.0.1:3000", "http://2130706433:3000/abc"),
        ("http://127.0.0.1:3000", "http://[::ffff:7f00:1]:3000/abc"),
        ("http://127.0.0.1:3000", "http://127.0.0.1.:3000/abc"),
        ("http://[::1]:3000", "http://[0::1]:3000/abc"),
    ],
)
def test_refuses_the_short_host_under_any_spelling(short_base_url: str, url: str) -> None:
    # Given the stack's own short host written another way (a link that would loop)
    with pytest.raises(InvalidInput) as refused:
        normalize_target_url(url, short_base_url=short_base_url)
    assert refused.value.message == "The URL points at this service's own short domain."


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://jobb.åre.se/utvecklare", "https://jobb.xn--re-xia.se/utvecklare"),
        ("https://BÜCHER.example./", "https://xn--bcher-kva.example/"),
        ("https://jobs.example.com:1/a", "https://jobs.example.com:1/a"),
        ("https://jobs.example.com:65535/a", "https://jobs.example.com:65535/a"),
        ("http://93.184.216.34/jobs", "http://93.184.216.34/jobs"),
        ("http://0x5d.0xb8.0xd8.0x22/jobs", "http://93.184.216.34/jobs"),
        ("http://1572395042/jobs", "http://93.184.216.34/jobs"),
        ("https://[2606:4700:4700::1111]:8443/", "https://[2606:4700:4700::1111]:8443/"),
        ("https://[::ffff:93.184.216.34]/", "https://[::ffff:5db8:d822]/"),
        ("https://jt.example.com/abc", "https://jt.example.com/abc"),
        ("https://go.jt.example/abc", "https://go.jt.example/abc"),
    ],
)
def test_keeps_public_names_addresses_and_ports(url: str, stored: str) -> None:
    # Given a job ad on a public name or address, on any port from 1 to 65535
    # Then it is kept, its host in the form a browser reads it
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
        campaign="webbutvecklare-k3f9",
        click_id="c1",
    )
    # Then its query is kept as written, the UTM parameters and the click id follow
    assert location == (
        "https://careers.example.se/jobs/123?ref=a%20b&x=1&utm_source=linkedin"
        "&utm_medium=jobtrail&utm_campaign=webbutvecklare-k3f9&jt_click=c1#apply"
    )


def test_location_keeps_utm_the_job_url_already_carries() -> None:
    location = tracked_location(
        "https://careers.example.se/j?utm_source=newsletter&utm_campaign=spring",
        channel="twitter",
        campaign="webbutvecklare-k3f9",
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
        "https://careers.example.se/j?jt_click=old", channel="x", campaign="j", click_id="new"
    )
    assert [v for k, v in _query(location) if k == "jt_click"] == ["new"]
