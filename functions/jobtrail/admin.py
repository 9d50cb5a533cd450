"""Operator commands: ``python -m jobtrail.admin create-workspace NAME``.

Run with the AWS credentials and region of the deployment, and ``MAIN_TABLE_NAME`` set to
the stack's main table (an output of ``cdk deploy``).
"""

from __future__ import annotations

import argparse
import json
import sys

from jobtrail.domain.times import iso, utc_now
from jobtrail.store.workspaces import create_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobtrail.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-workspace", help="create a workspace and print its first API key (once)"
    )
    create.add_argument("name", help="the workspace's name, e.g. the company")
    args = parser.parse_args(argv)

    name = args.name.strip()
    if not name or len(name) > 200:
        parser.error("the name must be 1 to 200 characters")
    workspace_id, api_key = create_workspace(name, now=iso(utc_now()))
    json.dump({"workspace_id": workspace_id, "name": name, "api_key": api_key}, sys.stdout)
    sys.stdout.write("\n")
    print("Keep the API key now: it is stored only as a hash.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
