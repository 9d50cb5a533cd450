"""The Lambda code, bundled for real without Docker, holds the package and its dependencies
built for the Lambda platform (slow: pip downloads the wheels)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdk_harness import cdk_json_context

from infra.app import build_app
from infra.bundling import ARCHITECTURE, PYTHON_VERSION

# The machine name in the file names of CPython extension modules built for Linux.
_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}


@pytest.mark.bundling
def test_the_bundled_asset_runs_on_the_lambda_platform(tmp_path: Path) -> None:
    # Given the app as `cdk deploy` builds it, bundling included
    app, stack = build_app(cdk_json_context(), str(tmp_path))

    # When it is synthesized
    assembly = app.synth()

    # Then the functions share one asset ...
    template = assembly.get_stack_artifact(stack.artifact_id).template
    keys = {
        resource["Properties"]["Code"]["S3Key"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert len(keys) == 1
    manifest = json.loads((tmp_path / f"{stack.artifact_id}.assets.json").read_text())
    [asset] = [
        entry["source"]["path"]
        for entry in manifest["files"].values()
        if entry["source"].get("packaging") == "zip"
    ]
    asset_dir = tmp_path / asset
    # ... with the handlers and the dependencies ...
    assert (asset_dir / "jobtrail" / "handlers" / "redirect.py").is_file()
    assert (asset_dir / "pynamodb" / "__init__.py").is_file()
    assert (asset_dir / "aws_lambda_powertools" / "__init__.py").is_file()
    assert not list((asset_dir / "jobtrail").rglob("__pycache__"))
    # ... nothing that depends on the machine that bundled it (the same code is one asset) ...
    assert not (asset_dir / "bin").exists()
    assert not [
        record
        for record in asset_dir.glob("*.dist-info/RECORD")
        if "../../bin/" in record.read_text()
    ]
    # ... and the compiled parts are built for the runtime's Python and the function's CPU
    machine = _MACHINES[ARCHITECTURE.name]
    tag = f"cpython-{PYTHON_VERSION.replace('.', '')}-{machine}-linux-gnu"
    assert list((asset_dir / "pydantic_core").glob(f"_pydantic_core.{tag}.so"))
    foreign = [
        path.relative_to(asset_dir)
        for path in asset_dir.rglob("*.so")
        if "-linux-gnu" in path.name and tag not in path.name
    ]
    assert foreign == []
