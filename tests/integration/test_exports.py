"""A link's QR code for print and a job's numbers as CSV: what a recruiter hands on."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from infra.local.functions import LocalFunctions
from jobtrail.domain.times import iso
from jobtrail.store.shares import save_share
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, Client, all_items, stream_pump
from tests.integration.world import CHROME, _share

HEADER = "date,channel,human,bots,unique_visitors,shares,applications,hires"


@pytest.fixture
def job(api: Client) -> dict[str, Any]:
    return dict(api.post("/api/jobs", JOB).json())


def _decoded(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _png(api: Client, job: dict[str, Any], slug: str, **headers: str) -> Any:
    return api.get(
        f"/api/jobs/{job['id']}/links/{slug}/qr.svg", query="format=png", headers=headers
    )


# --- QR codes -----------------------------------------------------------------------------


def test_a_links_qr_code_reads_back_as_its_short_url(api: Client, job: dict[str, Any]) -> None:
    link = job["links"][1]
    reply = _png(api, job, link["slug"])
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/png"
    assert _decoded(reply.content) == [link["short_url"]]


def test_the_qr_code_is_svg_by_default_with_nothing_external(
    api: Client, job: dict[str, Any]
) -> None:
    link = job["links"][0]
    reply = api.get(f"/api/jobs/{job['id']}/links/{link['slug']}/qr.svg")
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(reply.text)  # noqa: S314 (our own answer, not untrusted input)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert [e.text for e in root.iter("{http://www.w3.org/2000/svg}title")] == [link["short_url"]]
    assert "<script" not in reply.text
    assert "href" not in reply.text


def test_a_qr_code_is_cacheable_by_its_etag(api: Client, job: dict[str, Any]) -> None:
    slug = job["links"][0]["slug"]
    first = api.get(f"/api/jobs/{job['id']}/links/{slug}/qr.svg")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    # The same code again has the same tag, and a client holding it gets a 304
    assert api.get(f"/api/jobs/{job['id']}/links/{slug}/qr.svg").headers["etag"] == etag
    again = api.get(f"/api/jobs/{job['id']}/links/{slug}/qr.svg", headers={"if-none-match": etag})
    assert (again.status, again.text) == (304, "")
    # Another link, or the PNG, is another code with another tag
    png = _png(api, job, slug)
    other = api.get(f"/api/jobs/{job['id']}/links/{job['links'][1]['slug']}/qr.svg")
    assert len({etag, png.headers["etag"], other.headers["etag"]}) == 3
    assert _png(api, job, slug, **{"if-none-match": png.headers["etag"]}).status == 304


def test_a_qr_code_in_another_format_is_422(api: Client, job: dict[str, Any]) -> None:
    slug = job["links"][0]["slug"]
    reply = api.get(f"/api/jobs/{job['id']}/links/{slug}/qr.svg", query="format=gif")
    assert reply.status == 422
    assert reply.json()["error"]["message"] == "Give format as svg or png."


def test_a_qr_code_of_a_link_not_of_this_job_is_404(
    api: Client, other_api: Client, job: dict[str, Any]
) -> None:
    other_job = api.post("/api/jobs", JOB).json()
    slug = other_job["links"][0]["slug"]
    # A slug of another job under this job's path
    reply = api.get(f"/api/jobs/{job['id']}/links/{slug}/qr.svg")
    assert (reply.status, reply.error_code) == (404, "link_not_found")
    assert api.get(f"/api/jobs/{job['id']}/links/nosuch/qr.svg").status == 404
    # Another workspace's job
    reply = other_api.get(f"/api/jobs/{job['id']}/links/{job['links'][0]['slug']}/qr.svg")
    assert (reply.status, reply.error_code) == (404, "job_not_found")


# --- CSV ------------------------------------------------------------------------------------


def _click(api: Client, slug: str, ip: str, agent: str = CHROME) -> None:
    api.dispatcher.request("GET", f"/{slug}", headers={"user-agent": agent}, source_ip=ip)


def _csv(api: Client, job: dict[str, Any], query: str = "") -> Any:
    return api.get(f"/api/jobs/{job['id']}/stats.csv", query=query)


def test_the_csv_has_a_row_per_day_and_channel_with_the_stats_numbers(
    api: Client,
    functions: LocalFunctions,
    clock: FakeClock,
    job: dict[str, Any],
    workspace: tuple[str, str],
) -> None:
    twitter, linkedin = (link["slug"] for link in job["links"])
    first_day = clock.now().date()
    # Day 1: two people on twitter (one twice), a robot on linkedin, one share on twitter
    _click(api, twitter, "203.0.113.7")
    _click(api, twitter, "203.0.113.7")
    _click(api, twitter, "198.51.100.9")
    _click(api, linkedin, "203.0.113.7", agent="curl/8.5.0")
    save_share(
        _share(job, workspace[0], post_id="100", first_seen_at=iso(clock.now())), now=clock.now()
    )
    # Day 2 (nothing); day 3: one person on linkedin
    clock.advance(2 * 86400)
    _click(api, linkedin, "203.0.113.7")
    pump = stream_pump(functions)
    while pump.pump_once():
        pass
    last_day = clock.now().date()
    query = f"from={first_day.isoformat()}&to={last_day.isoformat()}"
    reply = _csv(api, job, query)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.headers["content-disposition"] == (
        f'attachment; filename="{job["campaign"]}-{first_day}-{last_day}.csv"'
    )
    assert reply.text.split("\r\n") == [
        HEADER,
        f"{first_day},linkedin,0,1,0,0,0,0",
        f"{first_day},twitter,3,0,2,1,0,0",
        f"{last_day},linkedin,1,0,1,0,0,0",
        "",
    ]
    # And its sums are the stats route's numbers for the same days
    stats = api.get(f"/api/jobs/{job['id']}/stats", query=query).json()
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert sum(int(r["human"]) for r in rows) == stats["clicks"]["human"]
    assert sum(int(r["bots"]) for r in rows) == stats["clicks"]["bots"]
    assert sum(int(r["unique_visitors"]) for r in rows) == stats["clicks"]["unique_visitors"]
    # A range of the last day alone has its row alone
    only_last = _csv(api, job, f"from={last_day}&to={last_day}").text.split("\r\n")
    assert only_last == [HEADER, f"{last_day},linkedin,1,0,1,0,0,0", ""]


def test_a_job_with_no_counts_is_the_header_alone(api: Client, job: dict[str, Any]) -> None:
    assert _csv(api, job).text == HEADER + "\r\n"


@pytest.mark.parametrize(
    "query",
    ["from=2026-03-02&to=2026-03-01", "from=2024-01-01&to=2026-01-01"],
)
def test_a_bad_range_is_400_and_reads_nothing(
    api: Client, aws: Any, job: dict[str, Any], query: str
) -> None:
    before = all_items(aws)
    reply = _csv(api, job, query)
    assert (reply.status, reply.error_code) == (400, "invalid_range")
    assert all_items(aws) == before


def test_a_malformed_day_is_422(api: Client, job: dict[str, Any]) -> None:
    reply = _csv(api, job, "from=March")
    assert reply.status == 422
    assert reply.json()["error"]["message"] == "Give the day as YYYY-MM-DD, e.g. 2026-03-01."


def test_another_workspaces_csv_is_404(other_api: Client, job: dict[str, Any]) -> None:
    assert _csv(other_api, job).status == 404


def test_a_full_range_of_400_days_answers(
    api: Client, clock: FakeClock, job: dict[str, Any]
) -> None:
    last = clock.now().date()
    first = last - timedelta(days=399)
    assert _csv(api, job, f"from={first}&to={last}").status == 200
