"""A click is defined once, by ``domain.clicks.Click``: the click item, the replay record
and the aggregator's reading of the events stream all follow its fields."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.types import TypeDeserializer

from jobtrail.domain.clicks import CLICK_FIELDS, Click, fields_by_kind
from jobtrail.domain.counters import PoisonRecord, read_click
from jobtrail.domain.replay import click_of, record_of
from jobtrail.store.clicks import click_image
from jobtrail.store.models import ClickItem

AT = datetime(2026, 11, 25, 9, 30, 12, 345000, tzinfo=UTC)
CLICK = Click(
    click_id="0193aa5c1e2f4b7d9a1c3e5f7a9b1c3d",
    at=AT,
    slug="webdev-li",
    workspace_id="ws1",
    job_id="job1",
    channel="linkedin",
    sharer=None,
    visitor="5f0c2a9e8b7d6c5f4e3d2c1b0a998877",
    bot_class="human",
    method="GET",
    user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    referrer_host="www.linkedin.com",
    country=None,
    device="desktop",
    expires_at=AT.replace(microsecond=0) + timedelta(days=400),
)


def test_the_click_item_has_an_attribute_for_every_field_of_a_click_and_no_other() -> None:
    attributes = ClickItem.get_attributes()
    assert set(attributes) == {*CLICK_FIELDS.names, "day", "schema_version"}
    assert {name for name, a in attributes.items() if a.null} == set(CLICK_FIELDS.optional_texts)
    assert ClickItem._hash_keyname == "click_id"
    assert ClickItem._ttl_attribute().attr_name == "expires_at"


def test_a_stored_click_reads_back_as_the_same_click_from_the_stream_and_from_the_table() -> None:
    image = click_image(CLICK)
    assert image["at"] == {"S": "2026-11-25T09:30:12.345Z"}
    assert image["day"] == {"S": "2026-11-25"}
    assert "sharer" not in image  # a null is left out, as PynamoDB leaves it out
    # As the aggregator gets it: the stream's new image, deserialised (numbers as Decimal)
    plain = {name: TypeDeserializer().deserialize(value) for name, value in image.items()}
    assert read_click(plain, "1").click == CLICK
    # As the recount gets it: a scanned item's values (the expiry as a datetime)
    scanned = ClickItem.from_raw_data(image).attribute_values
    assert read_click(scanned, "1").click == CLICK


def test_a_replay_record_holds_every_field_of_a_click() -> None:
    record = record_of(CLICK)
    assert set(record) == {"v", *CLICK_FIELDS.names}
    assert click_of(record) == CLICK


def test_a_stream_record_missing_a_field_or_with_a_bad_time_is_poison() -> None:
    plain = {n: TypeDeserializer().deserialize(v) for n, v in click_image(CLICK).items()}
    with pytest.raises(PoisonRecord, match="has no visitor"):
        read_click({k: v for k, v in plain.items() if k != "visitor"}, "1")
    with pytest.raises(PoisonRecord, match="at is not a time"):
        read_click({**plain, "at": "yesterday"}, "1")
    with pytest.raises(PoisonRecord, match="at has no time zone"):
        read_click({**plain, "at": "2026-11-25T09:30:12"}, "1")


def test_a_field_of_a_kind_the_store_cannot_keep_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithCount(Click):
        count: int = 0

    with pytest.raises(TypeError, match=r"WithCount\.count"):
        fields_by_kind(WithCount)

    @dataclasses.dataclass(frozen=True)
    class WithText(Click):
        campaign: str | None = None

    assert fields_by_kind(WithText).optional_texts[-1] == "campaign"
