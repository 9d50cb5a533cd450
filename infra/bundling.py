"""The Lambda code, bundled on this machine without Docker.

Every function runs the same asset: the ``jobtrail`` package plus its run-time dependencies
(``[project].dependencies`` of ``pyproject.toml``), installed by pip as the Lambda platform's
binary wheels. The runtime, the architecture and the wheels' platform are chosen here, in one
place, because they must agree: an ``x86_64`` wheel of ``pydantic_core`` does not load on
``arm64``.

boto3 is bundled too rather than taken from the runtime: it is a declared dependency, so the
deployed functions run the SDK versions the tests ran, and the runtime's copy changes under a
deployed function whenever AWS updates it. PynamoDB needs botocore either way, so leaving the SDK
out would mean pruning transitive dependencies by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
PACKAGE = "jobtrail"

# Graviton: cheaper per GB-second, and every dependency ships aarch64 wheels.
ARCHITECTURE = lambda_.Architecture.ARM_64
RUNTIME = lambda_.Runtime.PYTHON_3_12
PYTHON_VERSION = RUNTIME.name.removeprefix("python")  # "3.12": the wheels pip picks
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}

# Bytecode compiled by the build machine's interpreter is of no use to the runtime's.
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def runtime_dependencies(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The requirements of ``[project].dependencies``: what the functions import at run time."""
    with pyproject.open("rb") as stream:
        return list(tomllib.load(stream)["project"]["dependencies"])


def _drop_scripts(target: Path) -> None:
    """Remove the console scripts pip wrote, and their lines in the wheels' RECORD files.

    A script's shebang is this machine's interpreter path, and RECORD holds the script's
    hash: left in, the same code bundled on two machines would be two assets, and every
    deployment from another checkout would update every function for nothing."""
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../../bin/")))


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Installs the dependencies with pip for the Lambda platform and copies the package."""

    def __init__(
        self,
        *,
        package_dir: Path = FUNCTIONS_DIR / PACKAGE,
        requirements: Sequence[str] | None = None,
        architecture: lambda_.Architecture = ARCHITECTURE,
        python_version: str = PYTHON_VERSION,
        python: str = sys.executable,
    ) -> None:
        self.package_dir = package_dir
        self.requirements = (
            list(requirements) if requirements is not None else runtime_dependencies()
        )
        self.platform = PLATFORMS[architecture.name]
        self.python_version = python_version
        self.python = python

    def pip_command(self, output_dir: str) -> list[str]:
        return [
            self.python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--platform",
            self.platform,
            "--implementation",
            "cp",
            "--python-version",
            self.python_version,
            # Only wheels: an sdist would be built for this machine, not for Lambda.
            "--only-binary=:all:",
            "--target",
            output_dir,
            *self.requirements,
        ]

    def try_bundle(self, output_dir: str, *, image: DockerImage, **options: Any) -> bool:
        # The Docker options (``image`` and the rest) do not apply to a local build.
        # Fail here with pip's own words rather than return False: CDK would fall back to
        # Docker, which is not there, and hide the reason.
        result = subprocess.run(
            self.pip_command(output_dir), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pip could not install the Lambda dependencies for {self.platform}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        _drop_scripts(Path(output_dir))
        shutil.copytree(
            self.package_dir,
            Path(output_dir) / self.package_dir.name,
            ignore=_IGNORED,
            dirs_exist_ok=True,
        )
        return True


def lambda_code(bundler: LocalPythonBundling | None = None) -> lambda_.Code:
    """The one asset of every function. Make it once per stack and share it: CDK then stages,
    uploads and hashes it once."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        # The hash of what is deployed, so a new dependency release yields a new asset.
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("unused"),
            local=bundler or LocalPythonBundling(),
        ),
    )
