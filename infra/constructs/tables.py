"""The DynamoDB tables, declared from ``jobtrail.store.tables`` (which reads the PynamoDB
models), so the keys CDK creates are the keys the code queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from jobtrail.store.tables import TABLES, KeyAttribute, TableSpec

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


@dataclass(frozen=True)
class Ceiling:
    """The most request units a second one table may use on demand (DynamoDB's maximum
    throughput): past it, requests are throttled rather than billed."""

    read_units: int
    write_units: int


class Tables(Construct):
    """Every table of ``TABLES``: on-demand up to ``ceiling``, point-in-time recovery,
    encrypted with the AWS managed key, kept when the stack goes (the data is the
    company's)."""

    def __init__(self, scope: Construct, construct_id: str, *, ceiling: Ceiling) -> None:
        super().__init__(scope, construct_id)
        self.specs: dict[str, TableSpec] = {spec.logical_id: spec for spec in TABLES}
        self.by_logical_id: dict[str, dynamodb.Table] = {}
        for spec in TABLES:
            table = dynamodb.Table(
                self,
                spec.logical_id,
                partition_key=_attribute(spec.partition_key),
                sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                max_read_request_units=ceiling.read_units,
                max_write_request_units=ceiling.write_units,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                time_to_live_attribute=spec.ttl_attribute,
                stream=(
                    dynamodb.StreamViewType[spec.stream_view_type]
                    if spec.stream_view_type
                    else None
                ),
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                deletion_protection=True,
                removal_policy=RemovalPolicy.RETAIN,
            )
            # A stateful resource keeps its logical id whatever the construct tree looks
            # like: a renamed construct would otherwise create a new, empty table.
            cfn_table = table.node.default_child
            assert isinstance(cfn_table, dynamodb.CfnTable)
            cfn_table.override_logical_id(spec.logical_id)
            self.by_logical_id[spec.logical_id] = table

    def environment(self) -> Mapping[str, str]:
        """The variables the functions read the table names from."""
        return {
            self.specs[logical_id].env_var: table.table_name
            for logical_id, table in self.by_logical_id.items()
        }
