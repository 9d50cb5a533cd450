"""Whom to ask, as a ranking of records and followers (``domain.asking``)."""

from __future__ import annotations

from jobtrail.domain.asking import TOP_SIZE, Record, kept_followers, kept_records, rank
from jobtrail.domain.people import Person


def _person(pid: str, *fields: str, do_not_ask: bool = False) -> Person:
    return Person(
        id=pid,
        workspace_id="w",
        name=pid.title(),
        handles={},
        fields=fields,
        email=None,
        do_not_ask=do_not_ask,
        discovered=False,
        created_at="2026-11-25T10:00:00.000Z",
    )


def test_records_over_overlapping_fields_add_up_and_come_before_followers() -> None:
    people = {p.id: p for p in (_person("ann", "data"), _person("bo", "data", "webb"))}
    people["cy"] = _person("cy", "data")
    records = {"data": {"ann": Record(1, 1, 0)}, "webb": {"bo": Record(1, 1, 0)}}
    records["data"]["bo"] = Record(0, 0, 1)
    followers = {"data": {"cy": 100_000, "ann": 5}}
    ranked = rank(["data", "webb"], records, followers, people, set(), limit=10)
    assert [(s.person.id, s.reason) for s in ranked] == [
        ("bo", "shared 1 webb job"),
        ("ann", "shared 1 data job"),
        ("cy", "in data, 100000 followers"),
    ]
    assert [s.score for s in ranked][:2] == [5.0, 4.0]
    assert 0 < ranked[2].score < 1


def test_do_not_ask_sharing_and_gone_people_never_appear() -> None:
    people = {"ann": _person("ann", "data", do_not_ask=True), "bo": _person("bo", "data")}
    records = {"data": {"ann": Record(5, 5, 5), "bo": Record(1, 1, 0), "gone": Record(9, 9, 9)}}
    assert rank(["data"], records, {}, people, {"bo"}, limit=10) == []


def test_a_person_who_left_the_field_is_not_suggested_for_it_by_followers() -> None:
    people = {"ann": _person("ann", "ux")}
    assert rank(["data"], {}, {"data": {"ann": 10}}, people, set(), limit=10) == []


def test_top_lists_keep_the_best_and_say_when_nothing_changes() -> None:
    top = {f"p{n:03d}": Record(0, n + 1, 0) for n in range(TOP_SIZE)}
    assert kept_records(top, "low", Record(0, 0, 0)) is None
    kept = kept_records(top, "high", Record(10, 0, 0))
    assert kept is not None
    assert len(kept) == TOP_SIZE
    assert "high" in kept
    assert "p000" not in kept
    assert kept_followers({"a": 10}, "a", 3) is None  # the largest count seen stays
    assert kept_followers({"a": 10}, "a", 30) == {"a": 30}
