"""Operator commands (``python -m jobtrail.admin COMMAND --help`` for each).

``create-workspace NAME``
    Create a workspace and print its first API key (once).

``list-keys WORKSPACE``, ``create-key WORKSPACE NAME``, ``revoke-key WORKSPACE KEY_ID``
    A workspace's API keys as ``GET /api/keys`` lists them (never the keys themselves);
    a new key, printed once; a key deleted, as ``DELETE /api/keys/{key_id}`` does: it
    answers 401 within a minute. The last key of a workspace is never revoked (create
    another first), as through the API.

``backfill-keys``
    List the keys made before keys were listed (they work, but have no id): run once after
    upgrading a deployment; running it again changes nothing. Prints ``{"adopted": n,
    "already_listed": n, "orphaned": n}``. It reads the main table with a Scan.

``link-sharers``
    Link every share to the person its author is, or to a person made for them
    (``discovered``, in the job's fields), as the poller does for the shares it finds: for
    the shares stored before people existed. Run once after upgrading; running it again
    changes nothing. Prints ``{"linked": n}``. It reads the main table with a Scan.

``replay-clicks FILE``
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
    that failed: run the command again later).

``recount --from DAY [--to DAY] [--job JOB ...]``
    Rebuild the counters of those days from the clicks the events table keeps: for the
    stream batches the aggregator gave up on (its dead-letter queue's alarm). Every job of
    the jobs' workspaces (of every workspace, without ``--job``). Exact, idempotent and
    safe while the aggregator counts; see ``jobtrail.store.recount``.

Every command names its tables with ``--main-table``/``--events-table`` or
``MAIN_TABLE_NAME``/``EVENTS_TABLE_NAME`` (the stack's outputs ``MainTableName`` and
``EventsTableName``), and runs with the deployment's AWS credentials and region; or, with
``--local``, against the DynamoDB of ``make run``. A fault of the environment (no table
names, a table not found, no credentials, DynamoDB out of reach) ends the command with one
sentence on standard error and exit status 1; bad arguments with exit status 2.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from pynamodb.exceptions import PynamoDBException, TableDoesNotExist

from jobtrail.domain.api_keys import MAX_NAME_LENGTH, ApiKey, KeyStore, LastKey, create_key
from jobtrail.domain.errors import NotFound, Unavailable
from jobtrail.domain.replay import replay
from jobtrail.domain.times import SYSTEM_CLOCK, Clock, iso
from jobtrail.store import connection, models
from jobtrail.store.api_keys import DynamoKeyStore, backfill_keys
from jobtrail.store.clicks import replay_click
from jobtrail.store.recount import RecountFailed, recount
from jobtrail.store.shares import link_sharers
from jobtrail.store.tables import EVENTS, MAIN, TableSpec
from jobtrail.store.workspaces import create_workspace, workspace_exists

PROG = "python -m jobtrail.admin"
# The DynamoDB of ``make run`` (``infra.local``): on the port after the gateway's, unless
# DYNAMODB_PORT says otherwise.
LOCAL_GATEWAY_PORT = 3000
LOCAL_REGION = "eu-north-1"
MAX_RECOUNT_DAYS = 400

WHERE = f"""\
tables:
  --main-table/--events-table, else the variables MAIN_TABLE_NAME/EVENTS_TABLE_NAME:
  the stack's outputs MainTableName and EventsTableName, e.g.
    aws cloudformation describe-stacks --stack-name Jobtrail \\
      --query "Stacks[0].Outputs" --output table
AWS:
  the deployment's credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) and region
  (--region, else AWS_REGION/AWS_DEFAULT_REGION or the profile's).
locally:
  --local talks to the DynamoDB that `make run` starts (http://127.0.0.1:3001: the port
  after PORT, or DYNAMODB_PORT) with its tables ({MAIN.default_name}, {EVENTS.default_name}).
"""


class AdminError(Exception):
    """A fault of the environment, said in one sentence the operator can act on."""


def local_dynamodb_port(environ: Mapping[str, str]) -> int:
    """The port of ``make run``'s DynamoDB: DYNAMODB_PORT, else the one after PORT."""
    name, value = "DYNAMODB_PORT", environ.get("DYNAMODB_PORT")
    if not value:
        name, value = "PORT", environ.get("PORT")
        if not value:
            return LOCAL_GATEWAY_PORT + 1
    if not value.isdigit() or not 0 < int(value) < 65535:
        raise AdminError(f"{name} must be a port number from 1 to 65534; got {value!r}.")
    return int(value) + (name == "PORT")


@dataclass(frozen=True)
class Deployment:
    """Where the commands read and write: the tables, and how DynamoDB is reached."""

    main_table: str
    events_table: str
    region: str | None = None
    endpoint_url: str | None = None  # None: AWS's own endpoint for the region


def use_deployment(deployment: Deployment) -> None:
    """Point the store at a deployment: the one place the commands set table names and the
    endpoint. The SDK reads its region and endpoint from the environment when its client is
    made, so those are set there, and the shared connection is made again so that its
    client is too."""
    if deployment.region:
        os.environ["AWS_DEFAULT_REGION"] = deployment.region
    if deployment.endpoint_url:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = deployment.endpoint_url
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = deployment.endpoint_url
    connection.connection.cache_clear()
    models.use_tables(deployment.main_table, deployment.events_table, reconnect=True)


def _deployment(args: argparse.Namespace, needs: tuple[TableSpec, ...]) -> Deployment:
    environ = os.environ
    names: dict[str, str] = {}
    for spec in (MAIN, EVENTS):
        flag = _flag(spec)
        given = getattr(args, flag.removeprefix("--").replace("-", "_"), None)
        name = given or environ.get(spec.env_var) or (spec.default_name if args.local else "")
        if spec in needs and not name:
            raise AdminError(
                f"No {_what(spec)} table is named: pass {flag} or set {spec.env_var} "
                f"to the stack's {spec.logical_id}Name output (see --help)."
            )
        names[spec.logical_id] = name or spec.default_name
    endpoint_url = args.endpoint_url
    region = args.region
    if args.local:
        endpoint_url = endpoint_url or f"http://127.0.0.1:{local_dynamodb_port(environ)}"
        region = region or environ.get("AWS_DEFAULT_REGION") or LOCAL_REGION
        # moto takes any credentials; the SDK wants some.
        environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return Deployment(names[MAIN.logical_id], names[EVENTS.logical_id], region, endpoint_url)


def _flag(spec: TableSpec) -> str:
    return "--main-table" if spec is MAIN else "--events-table"


def _what(spec: TableSpec) -> str:
    return "main" if spec is MAIN else "events"


def _check_tables(deployment: Deployment, needs: tuple[TableSpec, ...]) -> None:
    """Each table the command needs is there: one DescribeTable each, which also shows
    at once whether credentials, region and endpoint work."""
    for spec in needs:
        name = deployment.main_table if spec is MAIN else deployment.events_table
        try:
            connection.connection().describe_table(name)
        except TableDoesNotExist:
            raise AdminError(
                f"The {_what(spec)} table {name!r} does not exist {_place(deployment)}: "
                f"check the name against the stack's {spec.logical_id}Name output and the "
                "region."
            ) from None


def _place(deployment: Deployment) -> str:
    if deployment.endpoint_url:
        return f"at {deployment.endpoint_url}"
    region = (
        deployment.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    return f"in {region}" if region else "in the default region"


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__


def explain(error: BaseException, deployment: Deployment | None) -> str | None:
    """One sentence for a fault of the environment, or None for anything else."""
    where = f" {_place(deployment)}" if deployment else ""
    for cause in _causes(error):
        if isinstance(cause, NoCredentialsError | PartialCredentialsError):
            return (
                "No AWS credentials were found: set AWS_PROFILE (after `aws sso login`) or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the deployment's account."
            )
        if isinstance(cause, NoRegionError):
            return (
                "No AWS region is set: pass --region or set AWS_DEFAULT_REGION to the "
                "stack's region."
            )
        if isinstance(
            cause,
            EndpointConnectionError
            | ConnectTimeoutError
            | ReadTimeoutError
            | ConnectionClosedError,
        ):
            hint = "is `make run` running?" if deployment and deployment.endpoint_url else ""
            return f"DynamoDB could not be reached{where}: {hint or 'check the network'}."
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            if code in ("UnrecognizedClientException", "InvalidSignatureException"):
                return f"AWS refused the credentials ({code}): check the profile or keys."
            if code in ("ExpiredTokenException", "ExpiredToken"):
                return "The AWS credentials have expired: sign in again (`aws sso login`)."
            if code in ("AccessDeniedException", "AccessDenied"):
                return f"AWS denied the request ({code}): the credentials lack a permission."
            if code == "ResourceNotFoundException":
                return f"A table was not found{where}: check the table names and the region."
    return None


def _create_workspace(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    name = args.name.strip()
    workspace_id, api_key = create_workspace(name, now=iso(args.clock.now()))
    json.dump({"workspace_id": workspace_id, "name": name, "api_key": api_key}, sys.stdout)
    sys.stdout.write("\n")
    print("Keep the API key now: it is stored only as a hash.", file=sys.stderr)
    return 0


def _print(payload: object) -> None:
    json.dump(payload, sys.stdout)
    sys.stdout.write("\n")


def _key(key: ApiKey) -> dict[str, str | None]:
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "created_at": key.created_at}


def _keys_of(workspace_id: str) -> KeyStore:
    if not workspace_exists(workspace_id):
        raise AdminError(
            f"There is no workspace {workspace_id!r} in this main table: check the id "
            "(create-workspace printed it) and the table."
        )
    return DynamoKeyStore()


def _list_keys(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    store = _keys_of(args.workspace)
    keys: list[dict[str, str | None]] = []
    cursor: str | None = None
    while True:
        page = store.list_keys(args.workspace, limit=100, cursor=cursor)
        keys.extend(_key(key) for key in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    _print({"workspace_id": args.workspace, "items": keys})
    return 0


def _create_key(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    store = _keys_of(args.workspace)
    key, api_key = create_key(
        store, workspace_id=args.workspace, name=args.name, now=args.clock.now()
    )
    _print({**_key(key), "api_key": api_key})
    print("Keep the API key now: it is stored only as a hash.", file=sys.stderr)
    return 0


def _revoke_key(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    store = _keys_of(args.workspace)
    try:
        store.delete_key(args.workspace, args.key_id)
    except NotFound:
        raise AdminError(
            f"Workspace {args.workspace!r} has no key {args.key_id!r}: list-keys shows its "
            "keys' ids."
        ) from None
    except LastKey:
        raise AdminError(
            f"Key {args.key_id!r} is workspace {args.workspace!r}'s last key, so it was not "
            "revoked: make another with create-key first, then revoke this one."
        ) from None
    _print({"revoked": args.key_id, "workspace_id": args.workspace})
    print("The key answers 401 within a minute (the authorizer's cache).", file=sys.stderr)
    return 0


def _backfill_keys(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    report = backfill_keys()
    _print(report.as_dict())
    if report.orphaned:
        print(
            f"{report.orphaned} keys belong to workspaces that no longer exist; they were "
            "left as they are.",
            file=sys.stderr,
        )
    return 0


def _link_sharers(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    _print(link_sharers(now=args.clock.now()))
    return 0


def _open(path: str) -> AbstractContextManager[TextIO]:
    # A stray byte that is not UTF-8 spoils its line, not the whole run.
    if path == "-":
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(encoding="utf-8", errors="replace")
        return nullcontext(sys.stdin)
    return open(path, encoding="utf-8", errors="replace")


def _replay_clicks(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    with args.source as lines:
        summary = replay(lines, replay_click, on_error=(Unavailable,))
    json.dump(summary.as_dict(), sys.stdout)
    sys.stdout.write("\n")
    return 1 if summary.errors else 0


def _recount(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    report = recount(args.first, args.last, jobs=args.jobs, now=args.clock.now())
    json.dump(report.as_dict(), sys.stdout)
    sys.stdout.write("\n")
    if report.kept:
        print(
            f"{len(report.kept)} counters hold more clicks than the events table: their "
            "clicks have expired (retentionDays), so they were left as they are.",
            file=sys.stderr,
        )
    return 0


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= 200:
        raise argparse.ArgumentTypeError("the name must be 1 to 200 characters")
    return name


def _key_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise argparse.ArgumentTypeError(f"the name must be 1 to {MAX_NAME_LENGTH} characters")
    return name


def _id(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not (value.isascii() and value.isalnum() and len(value) <= 64):
            raise argparse.ArgumentTypeError(
                f"{value!r} is not a {what} id: 1 to 64 letters and digits"
            )
        return value

    return check


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day like 2026-11-25") from None


@dataclass(frozen=True)
class _Command:
    run: Callable[[argparse.ArgumentParser, argparse.Namespace], int]
    needs: tuple[TableSpec, ...]


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Operator commands of a jobtrail deployment (or of `make run`).",
        epilog=WHERE,
        formatter_class=formatter,
    )
    reach = argparse.ArgumentParser(add_help=False)
    where = reach.add_argument_group("where")
    where.add_argument("--region", help="the stack's AWS region (else the SDK's default)")
    where.add_argument("--endpoint-url", metavar="URL", help="a DynamoDB endpoint other than AWS's")
    where.add_argument(
        "--local",
        action="store_true",
        help="use the DynamoDB of `make run`, with its table names, region and credentials",
    )

    def table(spec: TableSpec) -> argparse.ArgumentParser:
        flags = argparse.ArgumentParser(add_help=False)
        flags.add_argument(
            _flag(spec),
            metavar="NAME",
            help=f"the {_what(spec)} table (else {spec.env_var}; the stack's output "
            f"{spec.logical_id}Name)",
        )
        return flags

    main, events = table(MAIN), table(EVENTS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = commands.add_parser(
        "create-workspace",
        parents=[main, reach],
        help="create a workspace and print its first API key (once)",
        description="Create a workspace and print its id and first API key, once (only a "
        "hash of the key is stored). Needs the main table.",
        epilog=WHERE,
        formatter_class=formatter,
    )
    create.add_argument("name", type=_name, help="the workspace's name, e.g. the company")
    create.set_defaults(command_=_Command(_create_workspace, (MAIN,)))

    def workspace_command(name: str, help_: str, description: str) -> argparse.ArgumentParser:
        command = commands.add_parser(
            name,
            parents=[main, reach],
            help=help_,
            description=f"{description} Needs the main table.",
            epilog=WHERE,
            formatter_class=formatter,
        )
        command.add_argument(
            "workspace", metavar="WORKSPACE", type=_id("workspace"), help="the workspace's id"
        )
        return command

    list_keys = workspace_command(
        "list-keys",
        "list a workspace's API keys (ids, names, prefixes; never the keys)",
        "Print a workspace's API keys as GET /api/keys lists them: id, name, prefix (the "
        "key's first 6 characters) and created_at, newest first; the keys themselves are "
        "stored only as hashes.",
    )
    list_keys.set_defaults(command_=_Command(_list_keys, (MAIN,)))
    new_key = workspace_command(
        "create-key",
        "create an API key for a workspace and print it (once)",
        "Create an API key for a workspace and print it, once (only a hash of it is kept).",
    )
    new_key.add_argument("name", type=_key_name, help="where the key is used, e.g. ci")
    new_key.set_defaults(command_=_Command(_create_key, (MAIN,)))
    revoke_key = workspace_command(
        "revoke-key",
        "delete a workspace's API key (it answers 401 within a minute)",
        "Delete a workspace's API key by its id (list-keys shows the ids); it answers 401 "
        "within a minute. A workspace's last key is not revoked: create another first.",
    )
    revoke_key.add_argument("key_id", metavar="KEY_ID", type=_id("key"), help="the key's id")
    revoke_key.set_defaults(command_=_Command(_revoke_key, (MAIN,)))
    backfill = commands.add_parser(
        "backfill-keys",
        parents=[main, reach],
        help="list the API keys made before keys were listed (idempotent)",
        description="Give every API key made before keys were listed an id and list it "
        "with its workspace (it keeps working either way), counting it towards the "
        "workspace's last-key rule. Running it again changes nothing. Needs the main "
        "table, and reads it with a Scan (keys are found only by their hash).",
        epilog=WHERE,
        formatter_class=formatter,
    )
    backfill.set_defaults(command_=_Command(_backfill_keys, (MAIN,)))
    sharers = commands.add_parser(
        "link-sharers",
        parents=[main, reach],
        help="link the shares found before people existed to their authors (idempotent)",
        description="Link every share to the person its author is on its network, or to a "
        "person made for them (discovered, in the job's fields), as the poller does for "
        "the shares it finds. Running it again changes nothing. Needs the main table, and "
        "reads it with a Scan.",
        epilog=WHERE,
        formatter_class=formatter,
    )
    sharers.set_defaults(command_=_Command(_link_sharers, (MAIN,)))

    replay_clicks = commands.add_parser(
        "replay-clicks",
        parents=[events, reach],
        help="write the clicks that the redirect logged as not recorded (idempotent)",
        description="Write the clicks the redirect logged as not recorded (records with "
        "the key replay_click), each once however often it is replayed. Needs the events "
        "table.",
        epilog=WHERE,
        formatter_class=formatter,
    )
    replay_clicks.add_argument(
        "source",
        metavar="FILE",
        type=_source,
        help="exported log lines, one per line; '-' for standard input",
    )
    replay_clicks.set_defaults(command_=_Command(_replay_clicks, (EVENTS,)))

    recount = commands.add_parser(
        "recount",
        parents=[main, events, reach],
        help="rebuild days' counters from the events, for batches the aggregator gave up on",
        description="Rebuild the counters of the days FROM..TO (a job's days, channels, "
        "links, sharers, referrers, countries, devices, unique visitors, and its "
        "workspace's channel days) from the clicks the events table keeps. Run it for the "
        "days of a batch in the aggregator's dead-letter queue. It is exact, running it "
        "again changes nothing, and it may run while clicks are counted. Needs both "
        "tables, and reads the events table with a Scan: the table has no index by job "
        "or day, so every stored click is read (about 75 000 read units per million "
        "clicks), whatever the days; the events stream's last 24 hours are read too.",
        epilog=WHERE,
        formatter_class=formatter,
    )
    recount.add_argument("--from", dest="first", type=_day, required=True, metavar="DAY")
    recount.add_argument(
        "--to", dest="last", type=_day, metavar="DAY", help="the last day (default: FROM)"
    )
    recount.add_argument(
        "--job",
        dest="jobs",
        action="append",
        metavar="JOB",
        help="a job id (repeatable): recount its workspace, every job of it (a workspace's "
        "channel counters hold all its jobs' clicks); default: every workspace with clicks "
        "on those days",
    )
    recount.set_defaults(command_=_Command(_recount, (MAIN, EVENTS)))
    return parser


def _source(path: str) -> AbstractContextManager[TextIO]:
    try:
        return _open(path)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {error.strerror or error}") from None


def main(argv: list[str] | None = None, clock: Clock = SYSTEM_CLOCK) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.clock = clock
    if args.command == "recount":
        args.last = args.last or args.first
        if args.last < args.first:
            parser.error("--to must not be before --from")
        if (args.last - args.first).days >= MAX_RECOUNT_DAYS:
            parser.error(f"recount at most {MAX_RECOUNT_DAYS} days at a time")
    command: _Command = args.command_
    deployment: Deployment | None = None
    try:
        deployment = _deployment(args, command.needs)
        use_deployment(deployment)
        _check_tables(deployment, command.needs)
        return int(command.run(parser, args))
    except (AdminError, RecountFailed) as error:
        return _fail(str(error))
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        sentence = explain(error, deployment)
        if sentence is None:
            raise
        return _fail(sentence)


def _fail(sentence: str) -> int:
    print(f"{PROG}: error: {sentence}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
