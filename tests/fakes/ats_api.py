"""Fake applicant tracking systems: one real HTTP server on 127.0.0.1 answering the public
job lists of Greenhouse, Lever and Teamtailor in their own JSON, so that the daily import
and the first import at registration are tested against the wire as it is.

- ``GET /v1/boards/{board}/jobs?content=true`` (Greenhouse's job board API):
  ``{"jobs": [...], "meta": {"total": n}}``; an unknown board is Greenhouse's 404
  ``{"status": 404, "error": "Not Found"}``.
- ``GET /v0/postings/{site}?mode=json`` (Lever's postings API): a JSON list; an unknown
  site is Lever's 404 ``{"ok": false, "error": "Document not found"}``.
- ``GET /v1/jobs?include=department`` (Teamtailor's API, JSON:API): needs
  ``Authorization: Token token=<key>`` and ``X-Api-Version`` (401 / 406 in JSON:API's
  ``errors`` otherwise); the key names the company; pages of ``page[size]`` (default 30)
  with ``links.next`` and ``meta``; departments in ``included``.

Tests put jobs on boards (``greenhouse``, ``lever``, ``teamtailor`` dicts), script failures
(``fail(path_part, status, retry_after=)``) and read the ``requests`` it recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEAMTAILOR_KEY = "tt-fake-key-acme"
TEAMTAILOR_PAGE = 30


def greenhouse_job(job_id: int, title: str, department: str | None = None) -> dict[str, Any]:
    """A job as Greenhouse's board API lists it with ``content=true``."""
    return {
        "absolute_url": f"https://boards.greenhouse.io/acme/jobs/{job_id}",
        "data_compliance": [{"type": "gdpr", "requires_consent": False, "retention_period": None}],
        "internal_job_id": job_id - 1000,
        "location": {"name": "Stockholm"},
        "metadata": None,
        "id": job_id,
        "updated_at": "2026-11-30T10:12:00-05:00",
        "requisition_id": f"REQ-{job_id}",
        "title": title,
        "content": "&lt;p&gt;Join us.&lt;/p&gt;",
        "departments": (
            [{"id": 45, "name": department, "child_ids": [], "parent_id": None}]
            if department
            else []
        ),
        "offices": [{"id": 9, "name": "Stockholm", "location": "Stockholm, Sweden"}],
    }


def lever_posting(posting_id: str, text: str, team: str | None = None) -> dict[str, Any]:
    """A posting as Lever's postings API lists it with ``mode=json``."""
    return {
        "id": posting_id,
        "text": text,
        "categories": {"commitment": "Full-time", "location": "Göteborg", "team": team},
        "country": "SE",
        "createdAt": 1733000000000,
        "descriptionPlain": "Run our APIs.",
        "hostedUrl": f"https://jobs.lever.co/acme/{posting_id}",
        "applyUrl": f"https://jobs.lever.co/acme/{posting_id}/apply",
        "lists": [],
        "workplaceType": "hybrid",
    }


def teamtailor_job(job_id: str, title: str, department_id: str | None = None) -> dict[str, Any]:
    """A job resource as Teamtailor's API lists it."""
    relationships: dict[str, Any] = {
        "department": {
            "links": {
                "self": f"https://api.teamtailor.com/v1/jobs/{job_id}/relationships/department",
                "related": f"https://api.teamtailor.com/v1/jobs/{job_id}/department",
            },
        }
    }
    if department_id is not None:
        relationships["department"]["data"] = {"type": "departments", "id": department_id}
    return {
        "id": job_id,
        "type": "jobs",
        "links": {
            "careersite-job-url": f"https://acme.teamtailor.com/jobs/{job_id}-role",
            "careersite-job-apply-url": f"https://acme.teamtailor.com/jobs/{job_id}-role/applications/new",
            "self": f"https://api.teamtailor.com/v1/jobs/{job_id}",
        },
        "attributes": {"title": title, "status": "open", "body": "<p>Hej</p>", "pinned": False},
        "relationships": relationships,
    }


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    times: int = 1


@dataclass
class FakeAts:
    greenhouse: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lever: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Teamtailor: the key's company's jobs, and the departments by id.
    teamtailor: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(
        self, path_part: str, status: int, *, retry_after: str | None = None, times: int = 1
    ) -> None:
        """The next ``times`` requests whose path holds ``path_part`` answer ``status``."""
        self.failures[path_part] = Failure(status, retry_after, times)

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                status, body, headers = fake.answer(self.path, dict(self.headers.items()))
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        for part, failure in list(self.failures.items()):
            if part in path and failure.times > 0:
                failure.times -= 1
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return failure.status, {"error": "scripted"}, extra
        segments = path.strip("/").split("/")
        if segments[:2] == ["v1", "boards"] and len(segments) == 4 and segments[3] == "jobs":
            jobs = self.greenhouse.get(segments[2])
            if jobs is None:
                return 404, {"status": 404, "error": "Not Found"}, {}
            return 200, {"jobs": jobs, "meta": {"total": len(jobs)}}, {}
        if segments[:2] == ["v0", "postings"] and len(segments) == 3:
            if query.get("mode") != ["json"]:
                return 200, {"html": "not JSON mode"}, {}
            postings = self.lever.get(segments[2])
            if postings is None:
                return 404, {"ok": False, "error": "Document not found"}, {}
            return 200, postings, {}
        if segments == ["v1", "jobs"]:
            return self._teamtailor(query, {k.lower(): v for k, v in headers.items()})
        return 404, {"error": "no such route"}, {}

    def _teamtailor(
        self, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        token = headers.get("authorization", "").removeprefix("Token token=")
        if token not in self.teamtailor:
            return 401, {"errors": [{"status": "401", "title": "Unauthorized"}]}, {}
        if not headers.get("x-api-version"):
            return 406, {"errors": [{"status": "406", "title": "X-Api-Version missing"}]}, {}
        jobs = self.teamtailor[token]
        size = int(query.get("page[size]", [str(TEAMTAILOR_PAGE)])[0])
        number = int(query.get("page[number]", ["1"])[0])
        page = jobs[(number - 1) * size : number * size]
        pages = max(1, -(-len(jobs) // size))
        document: dict[str, Any] = {
            "data": page,
            "meta": {"record-count": len(jobs), "page-count": pages},
            "links": {
                "first": f"https://api.teamtailor.com/v1/jobs?include=department&page%5Bnumber%5D=1&page%5Bsize%5D={size}"
            },
        }
        if number < pages:
            document["links"]["next"] = (
                "https://api.teamtailor.com/v1/jobs?include=department"
                f"&page%5Bnumber%5D={number + 1}&page%5Bsize%5D={size}"
            )
        if "department" in query.get("include", [""])[0]:
            ids = {job["relationships"]["department"].get("data", {}).get("id") for job in page} - {
                None
            }
            document["included"] = [
                {"id": i, "type": "departments", "attributes": {"name": self.departments[i]}}
                for i in sorted(ids)
            ]
        return 200, document, {}


@contextmanager
def running_fake_ats(fake: FakeAts | None = None) -> Iterator[FakeAts]:
    """A started fake of the three systems, stopped on exit."""
    fake = fake or FakeAts()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
