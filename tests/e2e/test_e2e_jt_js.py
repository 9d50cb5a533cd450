"""jt.js in a real browser: a visit through a short link, then an application sent from
another page of the careers site, carries the click's id."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from infra.local.dynamodb import free_port
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOST = "jobs.acme.example"


class CareersWithForms:
    """A careers site that includes jt.js on every page, has an application form on
    ``/apply``, and keeps what the form sent."""

    def __init__(self, script_url: str) -> None:
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                form = (
                    "<form method='post' action='/sent'><input name='email' value='a@b.se'>"
                    "<button id='send'>Send</button></form>"
                    if self.path.startswith("/apply")
                    else "<a id='apply' href='/apply'>Apply</a>"
                )
                self._send(
                    f"<html><head><script src='{script_url}'></script></head>"
                    f"<body><h1>Webbutvecklare</h1>{form}</body></html>"
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                site.sent.append(parse_qs(self.rfile.read(length).decode()))
                self._send("<html><body><h1>Thanks</h1></body></html>")

            def _send(self, page: str) -> None:
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.sent: list[dict[str, list[str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
        self.address = f"127.0.0.1:{self.server.server_port}"


@pytest.fixture
def careers(stack: Stack) -> Iterator[CareersWithForms]:
    site = CareersWithForms(f"{stack.base_url}/static/jt.js")
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_an_application_sent_after_a_tracked_visit_carries_the_click_id(
    stack: Stack, careers: CareersWithForms
) -> None:
    from playwright.sync_api import sync_playwright

    job = stack.request(
        "POST", "/api/jobs", {"title": "Webbutvecklare", "url": f"http://{HOST}/jobs/1"}
    ).json()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--host-resolver-rules=MAP {HOST} {careers.address}",
            ],
        )
        try:
            context = browser.new_context()
            page = context.new_page()
            # A visit through the short link lands on the ad with the click's id
            page.goto(job["links"][0]["short_url"])
            click_id = parse_qs(page.url.split("?", 1)[1])["jt_click"][0]
            page.wait_for_function("window.jobtrail && window.jobtrail.clickId")
            # ...the visitor goes on to the form, on a page without the id in its URL
            page.click("#apply")
            page.wait_for_function("document.querySelector('input[name=jt_click]')")
            page.click("#send")
            page.wait_for_selector("text=Thanks")
            cookies = {c["name"]: c for c in context.cookies(f"http://{HOST}/")}
        finally:
            browser.close()
    # Then the application carries the id, kept in a first-party cookie for 30 days
    assert careers.sent == [{"email": ["a@b.se"], "jt_click": [click_id]}]
    cookie = cookies["jt_click"]
    assert cookie["value"] == click_id
    assert cookie["domain"] == HOST
    lifetime_days = (cookie["expires"] - __import__("time").time()) / 86400
    assert 29.9 < lifetime_days <= 30
