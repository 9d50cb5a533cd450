"""The tables CDK creates are the tables the code reads: keys, key types and TTL of every
PynamoDB model match the synthesized table they live in."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from cdk_harness import Synthesized
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from jobtrail.store import models
from jobtrail.store.tables import TABLES, TableSpec

MODELS = [
    model
    for _, model in inspect.getmembers(models, inspect.isclass)
    if issubclass(model, Model) and model is not Model and model.__module__ == models.__name__
]


EXPIRING = [
    (model, attribute.attr_name or name)
    for model in MODELS
    for name, attribute in model.get_attributes().items()
    if isinstance(attribute, TTLAttribute)
]


def _spec_of(model: type[Model]) -> TableSpec:
    [spec] = [spec for spec in TABLES if spec.default_name == model.Meta.table_name]
    return spec


def _keys(model: type[Model]) -> dict[str, tuple[str, str]]:
    keys = {}
    for name, attribute in model.get_attributes().items():
        if attribute.is_hash_key:
            keys["HASH"] = (attribute.attr_name or name, attribute.attr_type)
        if attribute.is_range_key:
            keys["RANGE"] = (attribute.attr_name or name, attribute.attr_type)
    return keys


def _template_keys(properties: dict[str, Any]) -> dict[str, tuple[str, str]]:
    types = {d["AttributeName"]: d["AttributeType"] for d in properties["AttributeDefinitions"]}
    return {
        k["KeyType"]: (k["AttributeName"], types[k["AttributeName"]])
        for k in properties["KeySchema"]
    }


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.logical_id)
def test_the_table_has_the_keys_of_its_spec(synthesized: Synthesized, spec: TableSpec) -> None:
    # Given a table spec
    expected = {"HASH": (spec.partition_key.name, spec.partition_key.type)}
    if spec.sort_key is not None:
        expected["RANGE"] = (spec.sort_key.name, spec.sort_key.type)

    # When the synthesized table is read
    properties = synthesized.properties(spec.logical_id)

    # Then its key schema and attribute types are the spec's, and no other attribute is
    # declared (DynamoDB only accepts key attributes there)
    assert _template_keys(properties) == expected
    assert len(properties["AttributeDefinitions"]) == len(expected)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_model_reads_and_writes_with_its_tables_keys(
    synthesized: Synthesized, model: type[Model]
) -> None:
    # Given a PynamoDB model of the store
    spec = _spec_of(model)

    # When its keys are compared with the synthesized table's
    properties = synthesized.properties(spec.logical_id)

    # Then a query by the model's keys hits the table's keys
    assert _keys(model) == _template_keys(properties)


@pytest.mark.parametrize(
    ("model", "ttl"), EXPIRING, ids=lambda value: getattr(value, "__name__", "")
)
def test_every_expiring_model_expires_by_its_tables_ttl_attribute(
    synthesized: Synthesized, model: type[Model], ttl: str
) -> None:
    # Given a model that expires by a TTL attribute
    spec = _spec_of(model)

    # When the synthesized table's TTL setting is read
    properties = synthesized.properties(spec.logical_id)

    # Then DynamoDB deletes the model's items by that attribute (a table has only one)
    assert properties["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}
