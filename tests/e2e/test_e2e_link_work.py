"""A recruiter's everyday link work over real HTTP against ``make run``'s stack: fix a
wrong URL, print a QR code, hand a CSV to the manager, close the filled job."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests.e2e.conftest import FIREFOX, SLUG_CACHE_SECONDS, Stack, eventually

pytestmark = pytest.mark.e2e
WRONG_URL = "https://careers.example.se/jobs/12"
RIGHT_URL = "https://careers.example.se/jobs/123"


def _open(stack: Stack, slug: str) -> tuple[int, str, dict[str, list[str]]]:
    reply = stack.request("GET", f"/{slug}", api_key=None, headers={"User-Agent": FIREFOX})
    location = urlsplit(reply.headers.get("Location", ""))
    return reply.status, location._replace(query="").geturl(), parse_qs(location.query)


@pytest.fixture
def key(stack: Stack) -> str:
    made = stack.request("POST", "/_local/workspaces", {"name": "link work"}, api_key=None)
    return str(made.json()["api_key"])


def test_fix_print_export_and_close_a_job(stack: Stack, key: str) -> None:
    # Given a job posted with a typo in its URL, and a campaign for the autumn drive
    made = stack.request(
        "POST",
        "/api/jobs",
        {
            "title": "Webbutvecklare Göteborg",
            "url": WRONG_URL,
            "channels": ["twitter", "print"],
            "tags": ["webb"],
        },
        api_key=key,
    )
    assert made.status == 201
    job = made.json()
    assert job["campaign"].startswith("webbutvecklare-goteborg-")
    twitter, printed = job["links"]
    started_on = datetime.now(UTC).date().isoformat()

    # When the recruiter fixes the URL and names the campaign
    fixed = stack.request(
        "PATCH",
        f"/api/jobs/{job['id']}",
        {"url": RIGHT_URL, "campaign": "autumn-drive"},
        api_key=key,
    )
    assert fixed.status == 200
    # Then the links land on the right ad with the readable campaign
    status, landing, query = _open(stack, twitter["slug"])
    assert (status, landing, query["utm_campaign"]) == (302, RIGHT_URL, ["autumn-drive"])

    # When they print the job fair's poster: the QR code reads back as the print link
    qr = stack.request(
        "GET", f"/api/jobs/{job['id']}/links/{printed['slug']}/qr.svg?format=png", api_key=key
    )
    assert (qr.status, qr.headers["Content-Type"]) == (200, "image/png")
    read = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.body)))
    assert [found.text for found in read] == [printed["short_url"]]
    assert _open(stack, printed["slug"])[0] == 302  # someone at the fair scans it
    ended_on = datetime.now(UTC).date().isoformat()

    # Then the weekly CSV shows the day's clicks per channel, once the counters have them
    def rows() -> list[dict[str, str]]:
        reply = stack.request("GET", f"/api/jobs/{job['id']}/stats.csv", api_key=key)
        assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
        return list(csv.DictReader(io.StringIO(reply.body.decode())))

    def counted() -> list[tuple[str, str, str]]:
        return [(r["channel"], r["human"], r["bots"]) for r in rows()]

    assert eventually(counted, [("print", "1", "0"), ("twitter", "1", "0")]) == [
        ("print", "1", "0"),
        ("twitter", "1", "0"),
    ]
    # (counted on the day they were made: the test may run across a midnight)
    assert {r["date"] for r in rows()} <= {started_on, ended_on}

    # When the print link leaks to a spam list, the recruiter turns it off
    off = stack.request(
        "PATCH",
        f"/api/jobs/{job['id']}/links/{printed['slug']}",
        {"disabled": True},
        api_key=key,
    )
    assert (off.status, off.json()["disabled"]) == (200, True)

    # Then within the redirect's cache bound it answers 410, and a browser gets a page
    def status() -> int:
        return _open(stack, printed["slug"])[0]

    assert eventually(status, 410, SLUG_CACHE_SECONDS + 5) == 410
    page = stack.request(
        "GET", f"/{printed['slug']}", api_key=None, headers={"Accept": "text/html"}
    )
    assert (page.status, page.headers["Content-Type"]) == (410, "text/html; charset=utf-8")

    # When the job is filled and closed
    closed = stack.request("PATCH", f"/api/jobs/{job['id']}", {"status": "closed"}, api_key=key)
    assert closed.json()["status"] == "closed"
    # Then it is archived out of the open list, and its links keep working
    open_jobs = stack.request("GET", "/api/jobs?status=open", api_key=key).json()["items"]
    assert job["id"] not in {j["id"] for j in open_jobs}
    assert _open(stack, twitter["slug"])[:2] == (302, RIGHT_URL)
