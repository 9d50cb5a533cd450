"""cdk-nag's AwsSolutions checks pass, and every exception to them says why.

cdk-nag 3 is a CDK policy-validation plugin, not an Aspect: its findings (errors and warnings
alike) fail ``app.synth()`` and land in the assembly's validation report instead of
annotations, so the checks are run here directly on the construct tree, and the app's own
registration is proven by synthesizing a stack with a known finding."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Validations
from aws_cdk import aws_sqs as sqs
from cdk_harness import SKIP_BUNDLING, Synthesized, cdk_json_context
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app


def _findings(report: Any) -> list[str]:
    return [
        f"{violation.severity} {violation.rule_name} at {resource.construct_path}: "
        f"{violation.description}"
        for violation in report.violations
        for resource in violation.violating_resources
    ]


@pytest.mark.parametrize("stack", ["synthesized", "on_custom_domain", "without_cdn"])
def test_the_stack_has_no_unacknowledged_finding(
    stack: str, request: pytest.FixtureRequest
) -> None:
    # Given the synthesized stack, with and without the optional settings
    synthesized: Synthesized = request.getfixturevalue(stack)
    # When the AwsSolutions rules check it
    report = AwsSolutionsChecks(verbose=True).validate_scope(synthesized.stack)

    # Then there is neither an error nor a warning left
    assert _findings(report) == []
    assert report.success


def _acknowledgments(synthesized: Synthesized) -> list[tuple[str, str, str]]:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return [
        (construct.node.path, rule, reason)
        for construct in synthesized.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    ]


@pytest.mark.parametrize("stack", ["synthesized", "on_custom_domain"])
def test_every_acknowledgment_says_why_it_is_safe(
    stack: str, request: pytest.FixtureRequest
) -> None:
    # Given the acknowledged findings of the stack, with and without CloudFront
    acknowledgments = _acknowledgments(request.getfixturevalue(stack))

    # When their reasons are read
    # Then each names what it is about in a sentence of its own
    assert acknowledgments
    for path, rule, reason in acknowledgments:
        assert len(reason.split()) >= 12, (path, rule, reason)


@pytest.mark.parametrize("stack", ["synthesized", "on_custom_domain"])
def test_the_template_records_the_acknowledgments_for_review(
    stack: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(stack)
    # Given the deployed template
    # When a reviewer reads the resources' metadata
    recorded = {
        (logical_id, rule["id"])
        for logical_id, resource in synthesized.resources.items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["reason"]
    }

    # Then every acknowledged finding is there with its reason, on its resource
    assert len(recorded) == len(_acknowledgments(synthesized))


def test_the_app_refuses_to_synthesize_an_unacknowledged_finding(tmp_path: Any) -> None:
    # Given the app, and a queue that accepts plain HTTP (AwsSolutions-SQS4)
    app, stack = build_app({**cdk_json_context(), **SKIP_BUNDLING}, str(tmp_path))
    sqs.Queue(stack, "PlainQueue", encryption=sqs.QueueEncryption.SQS_MANAGED)

    # When it is synthesized
    # Then synthesis fails, and says which rule the queue breaks
    with pytest.raises(Exception, match=r"AwsSolutions-SQS4") as failure:
        app.synth()
    assert "Jobtrail/PlainQueue" in str(failure.value)
