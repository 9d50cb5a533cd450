"""Acknowledging a cdk-nag finding, always with its reason, on one CloudFormation resource."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` on the resource of ``construct`` only. On an L2 construct the
    acknowledgment would also cover every resource created under it later (permissions,
    event source mappings), with a reason written for something else."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to acknowledge on")
    if len(reason.split()) < 8:
        raise ValueError(f"say why {rule} does not apply to {construct.node.path}")
    Validations.of(resource).acknowledge(Acknowledgment(id=rule, reason=reason))
