"""The tables as plain data, derived from the models: what CDK declares and what the local
runtime creates, so that the two can never disagree with the code that reads them."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.models import Model

from jobtrail.store.models import (
    DEFAULT_EVENTS_TABLE,
    DEFAULT_MAIN_TABLE,
    ClickItem,
    MainItem,
    SaltItem,
)

_ATTRIBUTE_TYPES = {"S": "S", "N": "N", "B": "B"}


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str  # "S", "N" or "B", as DynamoDB writes it


@dataclass(frozen=True)
class TableSpec:
    logical_id: str  # the construct id in CDK
    env_var: str  # the variable every function reads the table's name from
    model: type[Model]
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    ttl_attribute: str | None
    stream_view_type: str | None
    default_name: str  # the name the local runtime and the tests give it


def _key(model: type[Model], *, range_key: bool) -> KeyAttribute | None:
    for name, attribute in model.get_attributes().items():
        if attribute.is_range_key if range_key else attribute.is_hash_key:
            return KeyAttribute(attribute.attr_name or name, _ATTRIBUTE_TYPES[attribute.attr_type])
    return None


def _spec(
    logical_id: str,
    env_var: str,
    model: type[Model],
    default_name: str,
    ttl_model: type[Model] | None = None,
) -> TableSpec:
    partition_key = _key(model, range_key=False)
    assert partition_key is not None, f"{model.__name__} has no hash key"
    ttl_source = ttl_model or model
    ttl = getattr(ttl_source, "_ttl_attribute", lambda: None)()
    return TableSpec(
        logical_id=logical_id,
        env_var=env_var,
        model=model,
        partition_key=partition_key,
        sort_key=_key(model, range_key=True),
        ttl_attribute=ttl.attr_name if ttl is not None else None,
        stream_view_type=getattr(model.Meta, "stream_view_type", None),
        default_name=default_name,
    )


MAIN = _spec("MainTable", "MAIN_TABLE_NAME", MainItem, DEFAULT_MAIN_TABLE, ttl_model=SaltItem)
EVENTS = _spec("EventsTable", "EVENTS_TABLE_NAME", ClickItem, DEFAULT_EVENTS_TABLE)
TABLES = (MAIN, EVENTS)
