"""What every route of the management API is given: the function's settings, its clock and
its stores, made once where the handler is wired (``jobtrail.handlers.api``) and handed to
each request in the resolver's context, with the request's workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from jobtrail.config import Settings
from jobtrail.domain.api_keys import KeyStore
from jobtrail.domain.import_sources import Fetcher, SourceStore
from jobtrail.domain.jobs import JobStore
from jobtrail.domain.links import LinkStore
from jobtrail.domain.people import PeopleStore
from jobtrail.domain.times import Clock


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    jobs: JobStore
    keys: KeyStore
    links: LinkStore
    people: PeopleStore
    sources: SourceStore
    # Fetches a registered ATS board (``sources.ats.AtsClient``) for its first import.
    ats: Fetcher


def services(router: Router) -> Services:
    found: Any = router.context["services"]
    assert isinstance(found, Services)
    return found


def workspace(router: Router) -> str:
    """The workspace the request's key belongs to (``api.app`` answers 401 without one)."""
    return str(router.context["workspace_id"])
