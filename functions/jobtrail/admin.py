"""Operator commands.

``python -m jobtrail.admin create-workspace NAME``
    Create a workspace and print its first API key (once).

``python -m jobtrail.admin replay-clicks FILE``
    Write the clicks the redirect could not record. When a click write fails, the redirect
    logs the click as one JSON record with the key ``replay_click`` (see
    ``jobtrail.domain.replay``); FILE holds exported log lines, one per line, or ``-`` for
    standard input. A line may start with a prefix such as a CloudWatch export's timestamp
    and a tab; lines without a replay record are skipped. Each click is written with its
    original id, time, visitor hash and expiry, and only if its id is not stored yet, so a
    file can be replayed twice (or overlap another) and each click is written once. The
    clicks reach the counters through the events table's stream, like any click. Prints
    ``{"replayed": n, "already_recorded": n, "skipped": n, "errors": [...]}``; the exit
    status is 1 when there are errors (a damaged record, with its line number, or a write
    that failed: run the command again later). For example::

        aws logs filter-log-events --log-group-name /aws/lambda/<redirect function> \\
            --filter-pattern '{ $.replay_click.click_id = * }' \\
            --start-time <epoch ms> --output json \\
          | jq -r '.events[].message' | python -m jobtrail.admin replay-clicks -

Run with the AWS credentials and region of the deployment, and ``MAIN_TABLE_NAME`` and
``EVENTS_TABLE_NAME`` set to the stack's tables (outputs of ``cdk deploy``).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import TextIO

from jobtrail.domain.errors import Unavailable
from jobtrail.domain.replay import replay
from jobtrail.domain.times import iso, utc_now
from jobtrail.store.clicks import replay_click
from jobtrail.store.workspaces import create_workspace


def _create_workspace(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 200:
        parser.error("the name must be 1 to 200 characters")
    workspace_id, api_key = create_workspace(name, now=iso(utc_now()))
    json.dump({"workspace_id": workspace_id, "name": name, "api_key": api_key}, sys.stdout)
    sys.stdout.write("\n")
    print("Keep the API key now: it is stored only as a hash.", file=sys.stderr)
    return 0


def _open(path: str) -> AbstractContextManager[TextIO]:
    # A stray byte that is not UTF-8 spoils its line, not the whole run.
    if path == "-":
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(encoding="utf-8", errors="replace")
        return nullcontext(sys.stdin)
    return open(path, encoding="utf-8", errors="replace")


def _replay_clicks(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        source = _open(args.file)
    except OSError as error:
        parser.error(f"cannot read {args.file}: {error.strerror or error}")
    with source as lines:
        summary = replay(lines, replay_click, on_error=(Unavailable,))
    json.dump(summary.as_dict(), sys.stdout)
    sys.stdout.write("\n")
    return 1 if summary.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobtrail.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-workspace", help="create a workspace and print its first API key (once)"
    )
    create.add_argument("name", help="the workspace's name, e.g. the company")
    create.set_defaults(run=_create_workspace)
    replay_clicks = commands.add_parser(
        "replay-clicks",
        help="write the clicks that the redirect logged as not recorded (idempotent)",
    )
    replay_clicks.add_argument(
        "file", metavar="FILE", help="exported log lines, one per line; '-' for stdin"
    )
    replay_clicks.set_defaults(run=_replay_clicks)
    args = parser.parse_args(argv)
    return int(args.run(parser, args))


if __name__ == "__main__":
    sys.exit(main())
