"""Synthesizing the CDK app the way ``cdk deploy`` does (``cdk.json``'s context, cdk-nag
registered), and reading the template the way CloudFormation resolves it."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# jsii prints a banner on every start on this machine's Node version; it says nothing here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.routes import FUNCTIONS
from infra.stack import JobtrailStack

REPO_ROOT = Path(__file__).resolve().parents[2]
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}
CERTIFICATE_ARN = (
    "arn:aws:acm:eu-north-1:123456789012:certificate/0b5e1d1c-7f3a-4c55-9a57-1f0c6f1d2e3a"
)
CDN_CERTIFICATE_ARN = (
    "arn:aws:acm:us-east-1:123456789012:certificate/5c1e7a2b-93d4-4f0e-8b6a-2d7f9e3c4b1a"
)
TOPIC_ARN = "arn:aws:sns:eu-north-1:123456789012:jobtrail-alarms"
X_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:eu-north-1:123456789012:secret:acme/x-token-AbC123"
BLUESKY_SECRET_ARN = (
    "arn:aws:secretsmanager:eu-north-1:123456789012:secret:acme/bluesky-login-x9Y8z7"
)


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])


@dataclass
class Synthesized:
    app: App
    stack: JobtrailStack
    template: Template
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    template_file: Path

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))


def synthesize(outdir: Path, overrides: Mapping[str, Any] | None = None) -> Synthesized:
    app, stack = build_app(
        {**cdk_json_context(), **SKIP_BUNDLING, **(overrides or {})}, str(outdir)
    )
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template = dict(artifact.template)
    return Synthesized(
        app=app,
        stack=stack,
        template=Template.from_json(template),
        resources=template["Resources"],
        outputs=template.get("Outputs", {}),
        template_file=Path(artifact.template_full_path),
    )


def logical_id(synthesized: Synthesized, construct: Any) -> str:
    """The logical id in the template of an L1 or L2 construct's resource."""
    resource = getattr(construct.node, "default_child", None) or construct
    return str(synthesized.stack.resolve(resource.logical_id))


def target_of(value: Any) -> str:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a reference: {value!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def function_ids(synthesized: Synthesized) -> dict[str, str]:
    """FUNCTIONS name -> the logical id of its Lambda function, found by its handler."""
    by_handler = {
        resource["Properties"]["Handler"]: logical_id
        for logical_id, resource in synthesized.of_type("AWS::Lambda::Function").items()
    }
    return {name: by_handler[function.handler] for name, function in FUNCTIONS.items()}


def role_statements(synthesized: Synthesized, function_id: str) -> list[dict[str, Any]]:
    """Every statement granted to the function's role, inline or attached."""
    role_id = target_of(synthesized.properties(function_id)["Role"])
    statements = [
        statement
        for policy in synthesized.properties(role_id).get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


LEADING_KEYS = "ForAllValues:StringLike"


def dynamodb_grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """DynamoDB actions per resource: ``<table>`` (its ARN), ``<table>.StreamArn`` or ``*``;
    ``<table>[<pattern>,...]`` for those granted only on items whose partition key is like
    the patterns (``dynamodb:LeadingKeys``). Any other condition fails the reading."""
    grants: dict[str, set[str]] = defaultdict(set)
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        actions = {
            action for action in as_list(statement["Action"]) if action.startswith("dynamodb:")
        }
        if not actions:
            continue
        scope = ""
        if "Condition" in statement:
            assert list(statement["Condition"]) == [LEADING_KEYS], statement
            assert list(statement["Condition"][LEADING_KEYS]) == ["dynamodb:LeadingKeys"]
            patterns = as_list(statement["Condition"][LEADING_KEYS]["dynamodb:LeadingKeys"])
            scope = f"[{','.join(patterns)}]"
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                grants["*"] |= actions
            elif isinstance(resource, dict) and "Fn::GetAtt" in resource:
                table, attribute = resource["Fn::GetAtt"]
                name = table if attribute == "Arn" else f"{table}.{attribute}"
                grants[name + scope] |= actions
            else:
                raise AssertionError(f"DynamoDB actions on an unexpected resource: {resource!r}")
    return dict(grants)


def expected_grants(function: str) -> dict[str, set[str]]:
    """What ``dynamodb_grants`` reads off the role of a function, from the route table."""
    spec = FUNCTIONS[function]
    expected: dict[str, set[str]] = {}
    for table, actions in spec.table_actions.items():
        scope = spec.key_scopes.get(table)
        scoped = set(scope.actions) if scope else set()
        if set(actions) - scoped:
            expected[table] = set(actions) - scoped
        if scope is not None:
            expected[f"{table}[{','.join(scope.leading_keys)}]"] = scoped
    return expected


def secret_grants(synthesized: Synthesized) -> dict[str, dict[str, set[str]]]:
    """Secrets Manager actions granted anywhere in the stack, per role (its logical id) and
    resource (a secret's logical id, or the ARN as written)."""
    grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    documents = [
        ([{"Ref": role_id}], policy["PolicyDocument"])
        for role_id, role in synthesized.of_type("AWS::IAM::Role").items()
        for policy in role.get("Properties", {}).get("Policies", [])
    ] + [
        (policy["Properties"]["Roles"], policy["Properties"]["PolicyDocument"])
        for policy in synthesized.of_type("AWS::IAM::Policy").values()
    ]
    for roles, document in documents:
        for statement in document["Statement"]:
            actions = {
                action
                for action in as_list(statement["Action"])
                if action.startswith("secretsmanager:") or action in ("*", "secretsmanager:*")
            }
            if not actions:
                continue
            for role in roles:
                for resource in as_list(statement["Resource"]):
                    key = resource if isinstance(resource, str) else target_of(resource)
                    grants[target_of(role)][key] |= actions
    return {role: dict(resources) for role, resources in grants.items()}
