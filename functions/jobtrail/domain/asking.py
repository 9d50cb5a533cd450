"""Whom to ask to spread a job: people with a record on past jobs in its fields first, then
people who only carry the field, by followers.

A person's record in a field (``Record``) is kept by counters as their shares are found,
and each field keeps a bounded top list of records and one of followers, so ranking a job
reads a few items per field of the job, however many people or past jobs there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jobtrail.domain.people import Person

TOP_SIZE = 50  # people kept per field in each top list
# A record's weights: a job shared counts most, then each post, then each repost or quote.
JOB_WEIGHT = 3.0


@dataclass(frozen=True)
class Record:
    """A person's record in one field: jobs of the field they shared, their posts of
    them, and the reposts and quotes those posts got."""

    jobs: int = 0
    shares: int = 0
    spread: int = 0

    @property
    def score(self) -> float:
        return JOB_WEIGHT * self.jobs + self.shares + self.spread


@dataclass(frozen=True)
class Suggestion:
    person: Person
    score: float
    reason: str


def kept_records(
    top: Mapping[str, Record], person_id: str, record: Record
) -> dict[str, Record] | None:
    """The field's top list with the person's new record in it; None: it does not change
    (they are not among the best ``TOP_SIZE``)."""
    merged = {**top, person_id: record}
    best = dict(sorted(merged.items(), key=lambda kv: (-kv[1].score, kv[0]))[:TOP_SIZE])
    return best if best != dict(top) else None


def kept_followers(
    top: Mapping[str, int], person_id: str, followers: int | None
) -> dict[str, int] | None:
    """The field's list of people by followers with this person in it (their largest
    known count); None: unchanged."""
    known = max(followers or 0, top.get(person_id, 0))
    merged = {**top, person_id: known}
    best = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SIZE])
    return best if best != dict(top) else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reason(field: str, record: Record) -> str:
    parts = [f"shared {_plural(record.jobs, f'{field} job')}"]
    if record.shares != record.jobs:
        parts.append(_plural(record.shares, "post"))
    if record.spread:
        spread = record.spread
        parts.append("1 repost or quote" if spread == 1 else f"{spread} reposts and quotes")
    return ", ".join(parts)


def rank(
    tags: Iterable[str],
    records: Mapping[str, Mapping[str, Record]],
    followers: Mapping[str, Mapping[str, int]],
    people: Mapping[str, Person],
    sharing: set[str],
    *,
    limit: int,
) -> list[Suggestion]:
    """People for a job of ``tags``, best first: with a record in its fields (score: the
    records added up over the fields), then in a field by followers (a score below 1, so
    that any record ranks first). Never ``do_not_ask`` people, people who already shared
    the job (``sharing``) or people no longer there."""
    fields = list(dict.fromkeys(tags))

    def askable(person_id: str) -> Person | None:
        person = people.get(person_id)
        if person is None or person.do_not_ask or person_id in sharing:
            return None
        return person

    proven: dict[str, tuple[float, str, float]] = {}  # id -> (score, reason, best)
    for field in fields:
        for person_id, record in records.get(field, {}).items():
            if record.score <= 0 or askable(person_id) is None:
                continue
            score, reason, best = proven.get(person_id, (0.0, "", 0.0))
            if record.score > best:
                reason, best = _reason(field, record), record.score
            proven[person_id] = (score + record.score, reason, best)
    carrying: dict[str, tuple[float, str]] = {}
    for field in fields:
        for person_id, count in followers.get(field, {}).items():
            person = askable(person_id)
            if person is None or person_id in proven or field not in person.fields:
                continue
            score = round(count / (count + 1000), 6)
            if person_id not in carrying or score > carrying[person_id][0]:
                carrying[person_id] = (score, f"in {field}, {_plural(count, 'follower')}")
    ranked = [
        Suggestion(people[pid], round(score, 6), reason)
        for pid, (score, reason, _) in proven.items()
    ] + [Suggestion(people[pid], score, reason) for pid, (score, reason) in carrying.items()]
    ranked.sort(key=lambda s: (-s.score, s.person.name, s.person.id))
    return ranked[:limit]
