"""A link's end, a sharer's handle as compared, and which clients are shown a page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from jobtrail.domain import links
from jobtrail.domain.clicks import LinkTarget
from jobtrail.domain.errors import InvalidInput, NotFound
from jobtrail.domain.jobs import Link
from jobtrail.domain.sharers import same_sharer, sharer_key
from jobtrail.handlers.redirect import _wants_html

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TARGET = LinkTarget(
    slug="webdev-li",
    workspace_id="ws1",
    job_id="job1",
    channel="linkedin",
    sharer=None,
    target_url="https://careers.example.se/jobs/123",
    campaign="webbutvecklare-k3f9",
)
LINK = Link(
    slug="webdev-li",
    workspace_id="ws1",
    job_id="job1",
    channel="linkedin",
    sharer=None,
    target_url="https://careers.example.se/jobs/123",
    campaign="webbutvecklare-k3f9",
    created_at="2026-11-25T09:00:00.000Z",
)


def test_a_link_ends_when_disabled_or_at_its_end_and_not_before() -> None:
    assert not TARGET.ended(NOW)
    assert replace(TARGET, disabled=True).ended(NOW)
    ending = replace(TARGET, expires_at=NOW)
    assert not ending.ended(NOW - timedelta(microseconds=1))
    assert ending.ended(NOW)
    assert ending.ended(NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("a", "b"),
    [("Anna.Svensson", "anna.svensson"), ("@anna_dev", "ANNA_DEV"), (" @a-b ", "A-B")],
)
def test_handles_are_one_sharer_without_case_or_a_leading_at(a: str, b: str) -> None:
    assert sharer_key(a) == sharer_key(b)
    assert same_sharer(a, b)


def test_no_sharer_is_never_the_same_sharer() -> None:
    assert not same_sharer(None, None)
    assert not same_sharer("anna", None)
    assert not same_sharer("anna", "anna2")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("TEXT/HTML", True),
        ("application/json, text/html; q=0.1", True),
        ("text/html;q=0", False),
        ("text/html; q=0.0", False),
        ("text/html;q=nonsense", True),
        ("*/*", False),
        ("application/json", False),
        ("", False),
        (None, False),
    ],
)
def test_a_page_goes_to_clients_that_name_html(accept: str | None, html: bool) -> None:
    event: dict[str, Any] = {"headers": {} if accept is None else {"accept": accept}}
    assert _wants_html(event) is html


class _Store:
    def __init__(self, link: Link | None) -> None:
        self.link = link
        self.changes: list[links.LinkChange] = []

    def change_link(
        self, workspace_id: str, job_id: str, slug: str, change: links.LinkChange
    ) -> Link | None:
        self.changes.append(change)
        return self.link


def test_a_change_keeps_its_end_in_utc_and_leaves_the_rest() -> None:
    store = _Store(LINK)
    end = datetime(2027, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=1)))
    links.change_link(store, workspace_id="ws1", job_id="job1", slug="webdev-li", expires_at=end)
    assert store.changes == [links.LinkChange(links.KEEP, "2027-01-01T01:00:00.000Z")]
    links.change_link(store, workspace_id="ws1", job_id="job1", slug="webdev-li", disabled=True)
    assert store.changes[-1] == links.LinkChange(True, links.KEEP)


def test_a_change_of_nothing_or_without_a_zone_is_refused_before_the_store() -> None:
    store = _Store(LINK)
    with pytest.raises(InvalidInput):
        links.change_link(store, workspace_id="ws1", job_id="job1", slug="webdev-li")
    with pytest.raises(InvalidInput):
        links.change_link(
            store,
            workspace_id="ws1",
            job_id="job1",
            slug="webdev-li",
            expires_at=datetime(2027, 1, 1),  # no zone: the point of the test
        )
    assert store.changes == []


def test_a_link_the_store_does_not_find_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        links.change_link(
            _Store(None), workspace_id="ws1", job_id="job1", slug="gone", disabled=True
        )
    assert raised.value.code == "link_not_found"
