"""A workspace's registered ATS boards, imported once at registration and then daily by
the scheduled sync (``handlers.ats_sync``), each as a feed import (``domain.imports``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from jobtrail.domain import imports
from jobtrail.domain.errors import Conflict, InvalidInput, NotFound
from jobtrail.domain.ids import new_id
from jobtrail.domain.jobs import JobStore
from jobtrail.domain.times import iso

# A Greenhouse board token, a Lever site name, or a Teamtailor company name (its key
# decides what Teamtailor lists; the name is the workspace's label for it).
BOARD_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
BOARD_RULE = (
    "A board is the name the ATS gives it, 1 to 100 letters, digits, '_', '.' or '-': the "
    "Greenhouse board token, the Lever site name, the Teamtailor company."
)


@dataclass(frozen=True)
class ImportSource:
    id: str
    workspace_id: str
    ats: str
    board: str
    created_at: str
    # Teamtailor's API key for this company (kept in the table, never answered).
    api_key: str | None = None
    last_synced_at: str | None = None


class SourceStore(Protocol):
    def insert_source(self, source: ImportSource) -> None:
        """Store a new source; SourceExists if the workspace has that ATS and board."""

    def list_sources(self, workspace_id: str) -> list[ImportSource]: ...

    def all_sources(self) -> list[ImportSource]:
        """Every workspace's sources (the daily sync)."""

    def delete_source(self, workspace_id: str, source_id: str) -> bool:
        """False: there was no such source."""

    def mark_synced(self, source: ImportSource, at: str) -> None:
        """Note a successful sync (nothing, if the source was deleted meanwhile)."""


class SourceExists(Conflict):
    code = "source_exists"


class Fetcher(Protocol):
    def fetch(self, ats: str, board: str, api_key: str | None = None) -> Any: ...


def new_source(
    *, workspace_id: str, ats: str, board: str, api_key: str | None, now: datetime
) -> ImportSource:
    if ats not in imports.ATS_NAMES:
        raise InvalidInput(
            f"ats is one of {', '.join(imports.ATS_NAMES)}.", code="validation_error"
        )
    if not re.match(BOARD_PATTERN, board):
        raise InvalidInput(BOARD_RULE, code="validation_error")
    if ats == "teamtailor" and not api_key:
        raise InvalidInput(
            "A Teamtailor board needs its api_key: a Teamtailor API key with read access "
            "to jobs (Settings, Integrations, API keys).",
            code="api_key_required",
        )
    if ats != "teamtailor" and api_key:
        raise InvalidInput(
            f"A {ats} job board is public: leave out api_key.", code="validation_error"
        )
    return ImportSource(
        id=new_id(),
        workspace_id=workspace_id,
        ats=ats,
        board=board,
        created_at=iso(now),
        api_key=api_key or None,
    )


def check_new(store: SourceStore, source: ImportSource) -> None:
    """SourceExists when the workspace has a board of that ATS already: a feed is the
    ATS's full list of the workspace's jobs (what it lacks is closed), so a second board
    of the same ATS would close the first one's jobs."""
    had = next((s for s in store.list_sources(source.workspace_id) if s.ats == source.ats), None)
    if had is not None:
        raise SourceExists(
            f"This workspace imports the {source.ats} board '{had.board}' already; delete "
            "it first to import another."
        )


def delete(store: SourceStore, *, workspace_id: str, source_id: str) -> None:
    if not store.delete_source(workspace_id, source_id):
        raise NotFound(
            f"No import source with id '{source_id}' in this workspace.",
            code="source_not_found",
        )


def sync(
    source: ImportSource,
    *,
    fetcher: Fetcher,
    sources: SourceStore,
    jobs: JobStore,
    short_base_url: str,
    now: datetime,
    fetched: Any = None,
) -> tuple[ImportSource, imports.Outcome]:
    """Fetch the board (unless ``fetched`` is its list already) and import it as its ATS's
    full list; the source as synced. The fetcher's errors (BoardNotFound, RateLimited,
    SourceUnavailable, SourceRejected) pass through, and then nothing is imported or
    closed; a list not in the ATS's shape is InvalidInput."""
    body = fetcher.fetch(source.ats, source.board, source.api_key) if fetched is None else fetched
    rows, rejected = imports.read_feed(source.ats, body)
    outcome = imports.import_jobs(
        jobs,
        workspace_id=source.workspace_id,
        rows=rows,
        rejected=rejected,
        ats=source.ats,
        short_base_url=short_base_url,
        now=now,
    )
    synced_at = iso(now)
    sources.mark_synced(source, synced_at)
    return replace(source, last_synced_at=synced_at), outcome


def sorted_sources(found: Sequence[ImportSource]) -> list[ImportSource]:
    return sorted(found, key=lambda s: s.created_at)
