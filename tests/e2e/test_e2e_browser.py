"""A person opens a short link in a real browser and lands on the job ad."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import CareersSite, Stack

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_a_short_link_opened_in_a_browser_lands_on_the_job_ad(
    stack: Stack, careers_site: CareersSite
) -> None:
    from playwright.sync_api import sync_playwright

    # Given a job whose ad is on the company's careers site
    job = stack.request(
        "POST",
        "/api/jobs",
        {
            "title": "Webbutvecklare",
            "url": f"{careers_site.url}/jobs/123?lang=sv",
            "channels": ["linkedin"],
        },
    ).json()
    short_url = job["links"][0]["short_url"]
    # When a person opens the short link in Chromium
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # The careers site's public name leads to its server on this machine.
                f"--host-resolver-rules=MAP {careers_site.host} {careers_site.address}",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(short_url)
            landed = page.url
            heading = page.text_content("h1")
        finally:
            browser.close()
    # Then they see the ad, and the ad's URL carries the tracking parameters
    assert heading == "Webbutvecklare"
    url = urlsplit(landed)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{careers_site.url}/jobs/123"
    query = parse_qs(url.query)
    assert query["lang"] == ["sv"]
    assert query["utm_source"] == ["linkedin"]
    assert query["utm_campaign"] == [job["campaign"]]
    assert "jt_click" in query
