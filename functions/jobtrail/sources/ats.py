"""Applicant tracking systems' public job lists: fetches a registered board as its API
answers it, for ``domain.imports.read_feed`` to read.

- Greenhouse's job board API: ``GET /v1/boards/{board}/jobs?content=true``, no key.
- Lever's postings API: ``GET /v0/postings/{site}?mode=json``, no key.
- Teamtailor's API: ``GET /v1/jobs?include=department``, JSON:API pages (followed through
  ``links.next``) with ``Authorization: Token token=<key>`` and ``X-Api-Version``: the
  key is the one the workspace gave when it registered the board.

A board the system does not know (404) is ``BoardNotFound``; a refused key (401, 403)
``SourceRejected``; a 429 ``RateLimited`` until its ``Retry-After``; a 5xx, a timeout or
an answer that is not JSON ``SourceUnavailable``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import urllib3

from jobtrail.config import Settings
from jobtrail.sources.base import RateLimited, SourceRejected, SourceUnavailable
from jobtrail.sources.wire import http_base_url, pool

DEFAULT_GREENHOUSE_API = "https://boards-api.greenhouse.io"
DEFAULT_LEVER_API = "https://api.lever.co"
DEFAULT_TEAMTAILOR_API = "https://api.teamtailor.com"
TEAMTAILOR_API_VERSION = "20240904"
USER_AGENT = "jobtrail-ats-sync/0.1"
# Teamtailor answers 30 jobs a page by default; a board of 10,000 jobs is 334 pages.
_TEAMTAILOR_MAX_PAGES = 400
_TIMEOUT_SECONDS = 10.0
_DEFAULT_WAIT = timedelta(minutes=1)
NAMES = {"greenhouse": "Greenhouse", "lever": "Lever", "teamtailor": "Teamtailor"}


class BoardNotFound(Exception):
    """The system knows no such board (or site): nothing to import, ever, until fixed."""


@dataclass(frozen=True)
class AtsBaseUrls:
    greenhouse: str = DEFAULT_GREENHOUSE_API
    lever: str = DEFAULT_LEVER_API
    teamtailor: str = DEFAULT_TEAMTAILOR_API


def _retry_after(header: str | None, now: datetime) -> datetime:
    """``Retry-After`` as a moment: seconds, or an HTTP date; a minute when absent."""
    value = (header or "").strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return now + _DEFAULT_WAIT


class AtsClient:
    """Fetches job lists; one kept-open connection, no retries of its own (the daily run
    is the retry)."""

    def __init__(
        self,
        base_urls: AtsBaseUrls,
        *,
        now: Callable[[], datetime],
        timeout: float = _TIMEOUT_SECONDS,
    ) -> None:
        self._bases = {
            "greenhouse": http_base_url(base_urls.greenhouse, "Greenhouse"),
            "lever": http_base_url(base_urls.lever, "Lever"),
            "teamtailor": http_base_url(base_urls.teamtailor, "Teamtailor"),
        }
        self._now = now
        self._http = pool(timeout)

    def fetch(self, ats: str, board: str, api_key: str | None = None) -> Any:
        """The board's job list in the shape its API answers it (Teamtailor's pages
        joined into one document)."""
        slug = quote(board, safe="")
        if ats == "greenhouse":
            return self._get(ats, f"/v1/boards/{slug}/jobs?content=true", {})
        if ats == "lever":
            return self._get(ats, f"/v0/postings/{slug}?mode=json", {})
        if ats == "teamtailor":
            return self._teamtailor(api_key or "")
        raise ValueError(f"not an ATS: {ats!r}")

    def _teamtailor(self, api_key: str) -> Any:
        headers = {
            "Authorization": f"Token token={api_key}",
            "X-Api-Version": TEAMTAILOR_API_VERSION,
            "Accept": "application/vnd.api+json",
        }
        path: str | None = "/v1/jobs?include=department"
        data: list[Any] = []
        included: dict[tuple[str, str], Any] = {}
        for _ in range(_TEAMTAILOR_MAX_PAGES):
            if path is None:
                break
            page = self._get("teamtailor", path, headers)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise SourceUnavailable("Teamtailor answered a page without its data list")
            data.extend(page["data"])
            for resource in page.get("included") or []:
                if isinstance(resource, dict):
                    key = (str(resource.get("type")), str(resource.get("id")))
                    included[key] = resource
            path = self._next_path(page)
        else:
            raise SourceUnavailable(f"Teamtailor listed more than {_TEAMTAILOR_MAX_PAGES} pages")
        return {"data": data, "included": list(included.values())}

    def _next_path(self, page: Mapping[str, Any]) -> str | None:
        """The path of ``links.next``, on the configured host whatever host it names."""
        links = page.get("links")
        following = links.get("next") if isinstance(links, dict) else None
        if not isinstance(following, str) or not following:
            return None
        parts = urlsplit(following)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _get(self, ats: str, path: str, headers: Mapping[str, str]) -> Any:
        name = NAMES[ats]
        try:
            response = self._http.request(
                "GET",
                self._bases[ats] + path,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
                redirect=False,
                retries=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise SourceUnavailable(f"{name} request failed: {type(exc).__name__}") from exc
        status = response.status
        if status == 429:
            until = _retry_after(response.headers.get("Retry-After"), self._now())
            raise RateLimited(until, f"{name} rate limit until {until.isoformat()}")
        if status >= 500:
            raise SourceUnavailable(f"{name} answered {status}")
        if status == 404:
            raise BoardNotFound(f"{name} knows no such board")
        if status in {401, 403}:
            raise SourceRejected(status, f"{name} refused the API key ({status})")
        if status != 200:
            raise SourceUnavailable(f"{name} answered {status}")
        try:
            return json.loads(response.data)
        except ValueError as exc:
            raise SourceUnavailable(f"{name} answered with malformed JSON") from exc


def client_for(settings: Settings, now: Callable[[], datetime]) -> AtsClient:
    """The client of a function's settings (its ``*_API_BASE_URL``)."""
    return AtsClient(
        AtsBaseUrls(
            greenhouse=settings.greenhouse_api_base_url,
            lever=settings.lever_api_base_url,
            teamtailor=settings.teamtailor_api_base_url,
        ),
        now=now,
    )
