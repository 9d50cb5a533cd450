"""The synthesized template passes cfn-lint: what CloudFormation would reject or flag is
found before a deployment gets halfway."""

from __future__ import annotations

import pytest
from cdk_harness import Synthesized
from cfnlint.api import ManualArgs, lint

# Where a company is likely to deploy: the default region, and the EU region of the sample.
REGIONS = ["us-east-1", "eu-north-1"]
IGNORED = [
    # "Dependency already enforced by a GetAtt": CDK's Function always adds DependsOn on its
    # role and the role's policy, so the function is not created before it may log. The
    # redundant half is harmless and not ours to remove.
    "W3005",
]


@pytest.mark.parametrize("stack", ["synthesized", "on_custom_domain", "without_cdn"])
def test_the_template_passes_cfn_lint(stack: str, request: pytest.FixtureRequest) -> None:
    # Given the synthesized template as CloudFormation receives it, with and without the
    # optional settings
    synthesized: Synthesized = request.getfixturevalue(stack)
    template = synthesized.template_file.read_text()

    # When cfn-lint checks it for the regions a company deploys to
    matches = lint(template, config=ManualArgs(regions=REGIONS, ignore_checks=IGNORED))

    # Then it finds no error, no warning and nothing informational
    assert [
        f"{match.rule.id} {match.message} ({'/'.join(map(str, match.path))})" for match in matches
    ] == []
