"""The recruiter's network: people, their handles on the networks and their fields of work.

A handle is compared without case and without a leading ``@`` (``domain.sharers``) and
belongs to one person in a workspace: the store claims it in the same write as the person,
so two requests for it cannot both win. A sharer the poller finds becomes a person too
(``person_for_sharer``), ``discovered`` and in the fields of the job they shared.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from jobtrail.domain.campaigns import SPELLED_OUT
from jobtrail.domain.errors import Conflict, InvalidInput, NotFound
from jobtrail.domain.ids import new_id
from jobtrail.domain.sharers import sharer_key
from jobtrail.domain.times import iso

PLATFORMS = ("x", "bluesky", "linkedin")
# The channels whose links are posted on a network, and that network.
CHANNEL_PLATFORMS = {"x": "x", "twitter": "x", "bluesky": "bluesky", "linkedin": "linkedin"}
MAX_NAME = 200
MAX_EMAIL = 254
_EDIT_ATTEMPTS = 5


@dataclass(frozen=True)
class Person:
    id: str
    workspace_id: str
    name: str
    # platform -> handle as given (without a leading @); a platform without one is absent
    handles: Mapping[str, str]
    fields: tuple[str, ...]
    email: str | None
    do_not_ask: bool
    discovered: bool
    created_at: str
    updated_at: str | None = None
    # Counts the person's edits: a write that read an older revision is refused.
    revision: int = 0

    def handle_on(self, platform: str | None) -> str | None:
        return self.handles.get(platform) if platform is not None else None

    @property
    def claims(self) -> frozenset[tuple[str, str]]:
        """The (platform, handle as compared) pairs the person holds."""
        return frozenset((p, sharer_key(h)) for p, h in self.handles.items())


@dataclass(frozen=True)
class PersonChanges:
    """An edit: the fields to change (None: keep). ``handles`` names the platforms whose
    handle changes; a platform given None loses its handle. ``email``: clear_email."""

    name: str | None = None
    handles: Mapping[str, str | None] | None = None
    fields: Sequence[str] | None = None
    email: str | None = None
    clear_email: bool = False
    do_not_ask: bool | None = None


@dataclass(frozen=True)
class PeoplePage:
    items: Sequence[Person]
    next_cursor: str | None


class HandleTaken(Conflict):
    code = "handle_taken"

    def __init__(self, platform: str, handle: str) -> None:
        super().__init__(
            f"The {platform} handle '{handle}' belongs to another person in this workspace; "
            "change that person or leave the handle out."
        )
        self.platform = platform
        self.handle = handle


class PersonChanged(Conflict):
    code = "person_changed"

    def __init__(self) -> None:
        super().__init__("The person was changed by another request at the same time; try again.")


class PeopleStore(Protocol):
    """What the people rules need from storage (``jobtrail.store.people``)."""

    def insert_person(self, person: Person) -> None:
        """Store a new person with the claims on their handles; HandleTaken if one is held."""

    def update_person(self, person: Person, *, read: Person) -> None:
        """Store an edit of ``read``, moving its handles' claims in the same write;
        PersonChanged if another edit came first, HandleTaken if a new handle is held."""

    def delete_person(self, person: Person) -> None:
        """Remove the person and their claims, and make their shares anonymous."""

    def get_person(self, workspace_id: str, person_id: str) -> Person | None: ...

    def get_people(self, workspace_id: str, person_ids: Sequence[str]) -> dict[str, Person]: ...

    def holder(self, workspace_id: str, platform: str, handle: str) -> str | None:
        """The id of the person who holds the handle on the platform, if anyone does."""

    def list_people(
        self,
        workspace_id: str,
        *,
        limit: int,
        cursor: str | None,
        field: str | None = None,
        query: str | None = None,
    ) -> PeoplePage: ...


def searchable(text: str) -> str:
    """Text as ``?q=`` compares it: without case, and also without accents, so that both
    ``åsa`` and ``asa`` find Åsa."""
    folded = text.casefold()
    plain = unicodedata.normalize("NFKD", folded.translate(SPELLED_OUT))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return folded if plain == folded else f"{folded} {plain}"


def search_text(person: Person) -> str:
    """What ``?q=`` looks in: the name and every handle."""
    return " ".join([searchable(person.name), *(sharer_key(h) for h in person.handles.values())])


def query_text(query: str) -> str:
    return query.strip().removeprefix("@").casefold()


def _name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(cleaned) <= MAX_NAME:
        raise InvalidInput(f"A name is 1 to {MAX_NAME} characters of text.", code="invalid_name")
    return cleaned


def check_email(email: str) -> str:
    # A full check of an address is the mail server's; this only catches what cannot be
    # one (a library for it would be one more dependency in every bundle).
    cleaned = email.strip()
    local, at, domain = cleaned.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(cleaned) > MAX_EMAIL
        or any(c.isspace() for c in cleaned)
    ):
        raise InvalidInput(
            "An email is an address such as anna@example.se, or null.", code="invalid_email"
        )
    return cleaned


def _handles(given: Mapping[str, str | None]) -> dict[str, str]:
    handles: dict[str, str] = {}
    for platform in PLATFORMS:
        handle = given.get(platform)
        if handle:
            handles[platform] = handle.strip().removeprefix("@")
    return handles


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


def create_person(
    store: PeopleStore,
    *,
    workspace_id: str,
    name: str,
    handles: Mapping[str, str | None],
    fields: Sequence[str],
    email: str | None,
    do_not_ask: bool,
    now: datetime,
    discovered: bool = False,
) -> Person:
    person = Person(
        id=new_id(),
        workspace_id=workspace_id,
        name=_name(name),
        handles=_handles(handles),
        fields=_unique(fields),
        email=check_email(email) if email is not None else None,
        do_not_ask=do_not_ask,
        discovered=discovered,
        created_at=iso(now),
    )
    store.insert_person(person)
    return person


def get_person(store: PeopleStore, *, workspace_id: str, person_id: str) -> Person:
    person = store.get_person(workspace_id, person_id)
    if person is None:
        raise person_not_found(person_id)
    return person


def update_person(
    store: PeopleStore,
    *,
    workspace_id: str,
    person_id: str,
    changes: PersonChanges,
    now: datetime,
) -> Person:
    """Edit a person; a handle that changes moves its claim in the same write. An edit that
    changes nothing writes nothing."""
    name = _name(changes.name) if changes.name is not None else None
    email = check_email(changes.email) if changes.email is not None else None
    for _ in range(_EDIT_ATTEMPTS):
        read = get_person(store, workspace_id=workspace_id, person_id=person_id)
        handles = dict(read.handles)
        for platform, handle in (changes.handles or {}).items():
            if handle:
                handles[platform] = handle.strip().removeprefix("@")
            else:
                handles.pop(platform, None)
        edited = replace(
            read,
            name=read.name if name is None else name,
            handles={p: handles[p] for p in PLATFORMS if p in handles},
            fields=read.fields if changes.fields is None else _unique(changes.fields),
            email=None if changes.clear_email else (read.email if email is None else email),
            do_not_ask=read.do_not_ask if changes.do_not_ask is None else changes.do_not_ask,
        )
        if edited == read:
            return read
        edited = replace(edited, revision=read.revision + 1, updated_at=iso(now))
        try:
            store.update_person(edited, read=read)
        except PersonChanged:
            continue
        return edited
    raise PersonChanged()


def delete_person(store: PeopleStore, *, workspace_id: str, person_id: str) -> None:
    """Forget a person: their name, handles and e-mail, also on the shares they made (which
    stay counted, anonymous)."""
    store.delete_person(get_person(store, workspace_id=workspace_id, person_id=person_id))


def person_for_sharer(
    store: PeopleStore,
    *,
    workspace_id: str,
    platform: str,
    handle: str,
    name: str | None,
    fields: Callable[[], Sequence[str]],
    now: datetime,
) -> str:
    """The id of the person who holds the sharer's handle on the platform; one made for
    them (``discovered``, in ``fields()``: read only then) when nobody does. Two runs at
    once make one."""
    for _ in range(_EDIT_ATTEMPTS):
        held = store.holder(workspace_id, platform, handle)
        if held is not None:
            return held
        shown = (name or "").strip()[:MAX_NAME] or handle
        try:
            return create_person(
                store,
                workspace_id=workspace_id,
                name=shown,
                handles={platform: handle},
                fields=fields(),
                email=None,
                do_not_ask=False,
                now=now,
                discovered=True,
            ).id
        except HandleTaken:
            continue  # another run made them a moment ago: read the claim again
    raise PersonChanged()


def platform_of(channel: str) -> str | None:
    return CHANNEL_PLATFORMS.get(channel)


def link_sharer(person: Person, channel: str) -> str:
    """A personal link's sharer as answers show it: the person's handle on the channel's
    network, else their id."""
    return person.handle_on(platform_of(channel)) or person.id


def person_not_found(person_id: str) -> NotFound:
    return NotFound(f"No person with id '{person_id}' in this workspace.", code="person_not_found")
