"""Importing people: a CSV (``name,x,bluesky,linkedin,fields,email``) read as the job
import reads one (``domain.imports.read_table``), or the members of an X List.

A row matches the person who holds one of its handles, tried in the order x, bluesky,
linkedin, compared as everywhere (``domain.sharers.sharer_key``); a blank cell keeps what
is stored, a row that matches nobody is a new person. Importing the same rows again creates
nothing and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jobtrail.domain import people
from jobtrail.domain.errors import DomainError, Unavailable
from jobtrail.domain.imports import (
    MAX_TAG,
    MAX_TAGS,
    Outcome,
    Rejected,
    cells_of,
    read_table,
    too_many_cells,
)
from jobtrail.domain.sharers import sharer_key
from jobtrail.domain.times import iso
from jobtrail.sources.base import (
    Author,
    BudgetExhausted,
    RateLimited,
    RequestBudget,
    SourceUnavailable,
)

COLUMNS = ("name", "x", "bluesky", "linkedin", "fields", "email")


@dataclass(frozen=True)
class PersonRow:
    """One person of an import, as read; a blank cell is None (keep what is stored)."""

    line: int  # the CSV's line (header = 1), or the member's place in the list (from 1)
    name: str | None
    handles: dict[str, str]  # platform -> handle, without a leading @; blank ones absent
    fields: tuple[str, ...] | None = None
    email: str | None = None
    # Fields to add to the person's own (an X List import), rather than to replace them.
    add_fields: tuple[str, ...] = ()
    # The name is only for a new person: a match keeps their own (an X List import).
    name_if_new: bool = False


def read_csv(raw: bytes) -> tuple[list[PersonRow], list[Rejected]]:
    """The rows of a people CSV (the columns in any order, name required) and the lines
    rejected."""
    return read_table(raw, columns=COLUMNS, required=("name",), make_row=_csv_row)


def _csv_row(line: int, header: Sequence[str], record: Sequence[str]) -> PersonRow | Rejected:
    extra = too_many_cells(line, header, record)
    if extra is not None:
        return extra
    cells = cells_of(header, record)
    handles = {
        p: cells[p].removeprefix("@").strip() for p in people.PLATFORMS if cells.get(p, "").strip()
    }
    handles = {p: h for p, h in handles.items() if h}
    if not handles:
        return Rejected(
            line,
            f"Line {line} has no handle; give the person's x, bluesky or linkedin handle, "
            "by which a rerun finds them again.",
        )
    fields_cell = cells.get("fields", "")
    fields = (
        tuple(dict.fromkeys(f.strip().lower() for f in fields_cell.split(";") if f.strip()))
        if fields_cell
        else None
    )
    if fields is not None and len(fields) > MAX_TAGS:
        return Rejected(line, f"Line {line} has more than {MAX_TAGS} fields.")
    if fields is not None and any(len(f) > MAX_TAG for f in fields):
        return Rejected(line, f"Line {line} has a field longer than {MAX_TAG} characters.")
    return PersonRow(
        line,
        name=cells.get("name") or None,
        handles=handles,
        fields=fields,
        email=cells.get("email") or None,
    )


def _changes(person: people.Person, row: PersonRow) -> people.PersonChanges | None:
    """What the row changes in the person; None: nothing."""
    name = row.name if row.name is not None and row.name != person.name else None
    if row.name_if_new:
        name = None
    # A handle that differs only as handles are not compared (case, @) is the same.
    handles = {
        p: h
        for p, h in row.handles.items()
        if sharer_key(person.handles.get(p) or "") != sharer_key(h)
    }
    fields: tuple[str, ...] | None = None
    if row.fields is not None and row.fields != person.fields:
        fields = row.fields
    if row.add_fields and not set(row.add_fields) <= set(person.fields):
        fields = tuple(dict.fromkeys([*(fields or person.fields), *row.add_fields]))
    email = row.email if row.email is not None and row.email != person.email else None
    if name is None and not handles and fields is None and email is None:
        return None
    return people.PersonChanges(name=name, handles=handles or None, fields=fields, email=email)


def import_people(
    store: people.PeopleStore,
    *,
    workspace_id: str,
    rows: Sequence[PersonRow],
    rejected: Sequence[Rejected] = (),
    now: datetime,
    where: str = "Line",
) -> Outcome:
    """Import ``rows``: each matches the holder of its x, else bluesky, else linkedin
    handle, and is created when nobody holds any. A row whose other handle belongs to
    another person than the one it matched is rejected, as is a row that repeats a person
    of an earlier row with other values (only the earlier one is imported)."""
    outcome = Outcome(rejected=list(rejected))
    # person id -> the first line that matched them: a later row with other values would
    # make a rerun edit them back and forth.
    touched: dict[str, int] = {}
    for row in rows:
        at = f"{where} {row.line}"
        holders = {p: store.holder(workspace_id, p, h) for p, h in row.handles.items()}
        match_id = next((holders[p] for p in people.PLATFORMS if holders.get(p)), None)
        other = next(
            (p for p in people.PLATFORMS if holders.get(p) and holders[p] != match_id), None
        )
        if other is not None:
            first = next(p for p in people.PLATFORMS if holders.get(p) == match_id)
            outcome.rejected.append(
                Rejected(
                    row.line,
                    f"{at}: the {other} handle '{row.handles[other]}' belongs to another "
                    f"person than the {first} handle '{row.handles[first]}'; nothing was "
                    "imported from it.",
                )
            )
            continue
        try:
            if match_id is None:
                if row.name is None:
                    outcome.rejected.append(
                        Rejected(row.line, f"{at} has no name, and no person holds its handles.")
                    )
                    continue
                person = people.create_person(
                    store,
                    workspace_id=workspace_id,
                    name=row.name,
                    handles=row.handles,
                    fields=[*(row.fields or ()), *row.add_fields],
                    email=row.email,
                    do_not_ask=False,
                    now=now,
                )
                touched[person.id] = row.line
                outcome.created += 1
                continue
            found = store.get_person(workspace_id, match_id)
            if found is None:  # deleted a moment ago: a rerun imports them
                outcome.rejected.append(
                    Rejected(row.line, f"{at}: its person was deleted meanwhile; import it again.")
                )
                continue
            changes = _changes(found, row)
            if changes is None:
                touched.setdefault(match_id, row.line)
                outcome.unchanged += 1
            elif match_id in touched:
                outcome.rejected.append(
                    Rejected(
                        row.line,
                        f"{at} is the same person as line {touched[match_id]} with other "
                        f"values; only line {touched[match_id]} was imported.",
                    )
                )
            else:
                people.update_person(
                    store,
                    workspace_id=workspace_id,
                    person_id=match_id,
                    changes=changes,
                    now=now,
                )
                touched[match_id] = row.line
                outcome.updated += 1
        except DomainError as error:
            # A bad name or e-mail, or a handle claimed (or the person edited or deleted)
            # by another request meanwhile: that row is not imported, the others are.
            outcome.rejected.append(Rejected(row.line, f"{at}: {error.message}"))
    outcome.rejected.sort(key=lambda r: r.line)
    return outcome


class ListMembers(Protocol):
    """What an X List import needs of the X adapter (``sources.x.XSource``)."""

    def list_members(self, list_id: str, *, budget: RequestBudget) -> Sequence[Author]: ...


def import_x_list(
    store: people.PeopleStore,
    source: ListMembers,
    *,
    workspace_id: str,
    list_id: str,
    field: str,
    max_requests: int,
    now: datetime,
) -> Outcome:
    """Put the members of an X List in ``field``: each matched by their X handle (and
    given the field besides their own) or made a person with it. The List is read whole
    before anything is written, within ``max_requests`` (as a poller run's budget): a rate
    limit or an exhausted budget mid-way writes nothing and is Unavailable, and since an
    import changes nothing twice, sending it again later finishes it."""
    field = field.strip().lower()
    try:
        members = source.list_members(list_id, budget=RequestBudget(max_requests))
    except RateLimited as error:
        raise Unavailable(
            f"X limits how often a List may be read; try again after {iso(error.reset_at)}.",
            code="rate_limited",
        ) from None
    except BudgetExhausted:
        raise Unavailable(
            f"The List has more members than {max_requests} requests of 100 can read; "
            "split it in smaller Lists.",
            code="list_too_large",
        ) from None
    except SourceUnavailable:
        raise Unavailable("X could not be reached; try again in a minute.") from None
    rows = [
        PersonRow(
            place,
            name=member.name or member.handle,
            handles={"x": member.handle},
            add_fields=(field,),
            name_if_new=True,
        )
        for place, member in enumerate(members, start=1)
        if member.handle
    ]
    return import_people(store, workspace_id=workspace_id, rows=rows, now=now, where="Member")
