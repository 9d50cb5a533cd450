"""The one table of what runs where: the functions, the HTTP routes that reach them, the
schedules and the stream consumers. CDK (``infra.stack``) and the local runtime
(``infra.local``) are both built from it, so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from jobtrail.store.key_shapes import SALT_KEYS

MAIN = "MainTable"
EVENTS = "EventsTable"


@dataclass(frozen=True)
class KeyScope:
    """Some of a table's actions, granted only on the items whose partition key is like one
    of ``leading_keys`` (IAM's ``dynamodb:LeadingKeys``, ``StringLike``: ``*`` is any text)."""

    actions: tuple[str, ...]
    leading_keys: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    name: str
    handler: str  # module:function of the Lambda entry point
    description: str
    memory_mb: int = 256
    timeout_seconds: int = 10
    # DynamoDB actions the function's role is granted, per table (least privilege).
    table_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Of those actions, the ones granted only on some items, per table.
    key_scopes: dict[str, KeyScope] = field(default_factory=dict)
    uses_tracer: bool = True


@dataclass(frozen=True)
class Route:
    method: str  # GET, HEAD, ANY
    path: str  # API Gateway v2 route path, or "$default"
    function: str
    authorized: bool = False


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str  # EventBridge: rate(...) or cron(...)
    seconds: int  # the same period, for the local timer
    description: str


@dataclass(frozen=True)
class StreamConsumer:
    table: str
    function: str
    batch_size: int = 100
    # A tumbling window makes Lambda name each batch's shard (``shardId``) in the event,
    # which the aggregator fences its counters by. 0: none.
    window_seconds: int = 0


_SALT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            name="api",
            handler="jobtrail.handlers.api.lambda_handler",
            description="jobtrail management API (/api/*, /health)",
            memory_mb=512,
            # An import of 10,000 jobs is about 420 transactions: up to API Gateway's own
            # 30 seconds, not the 10 other routes need.
            timeout_seconds=29,
            table_actions={
                # UpdateItem: a new job's channels are counted in the same transaction.
                # BatchGetItem: a stats request's spans of days. DeleteItem: a deleted API
                # key's two items (the workspace's count of keys in the same transaction).
                MAIN: (
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                ),
                # GetItem: the click a conversion is credited to.
                EVENTS: ("dynamodb:GetItem",),
            },
        ),
        Function(
            name="redirect",
            handler="jobtrail.handlers.redirect.lambda_handler",
            description="jobtrail short-link redirect (/{slug})",
            memory_mb=512,
            timeout_seconds=5,
            # PutItem on the main table only makes a missing day's salt (conditional put),
            # so it may put no other item there: not a link, not a workspace's key.
            table_actions={
                MAIN: ("dynamodb:GetItem", "dynamodb:PutItem"),
                EVENTS: ("dynamodb:PutItem",),
            },
            key_scopes={MAIN: KeyScope(("dynamodb:PutItem",), (SALT_KEYS,))},
            uses_tracer=False,
        ),
        Function(
            name="authorizer",
            handler="jobtrail.handlers.authorizer.lambda_handler",
            description="jobtrail API key authorizer",
            timeout_seconds=5,
            table_actions={MAIN: ("dynamodb:GetItem",)},
        ),
        Function(
            name="housekeeping",
            handler="jobtrail.handlers.housekeeping.lambda_handler",
            description="jobtrail daily salt rotation",
            timeout_seconds=30,
            # Salts only: it reads, makes and deletes them and touches nothing else.
            table_actions={MAIN: _SALT_ACTIONS},
            key_scopes={MAIN: KeyScope(_SALT_ACTIONS, (SALT_KEYS,))},
        ),
        Function(
            name="poller",
            handler="jobtrail.handlers.poller.lambda_handler",
            description="jobtrail share poller (X, Bluesky)",
            timeout_seconds=300,
            # Shares and their channel counters (transactions: Put + Update), the posts it
            # watches, its polling state and lease; the link of a slug.
            table_actions={
                MAIN: (
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Query",
                )
            },
        ),
        Function(
            name="ats_sync",
            handler="jobtrail.handlers.ats_sync.lambda_handler",
            description="jobtrail daily import of registered ATS boards",
            memory_mb=512,
            timeout_seconds=300,
            # The registered boards (a query) and their last sync (UpdateItem); the
            # workspace's jobs (a query to match them), new jobs with their links, claims
            # and channel counters (transactions: Put + Update), edits and closings (Get,
            # then a transaction with ConditionCheck).
            table_actions={
                MAIN: (
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                )
            },
        ),
        Function(
            name="aggregator",
            handler="jobtrail.handlers.aggregator.lambda_handler",
            description="jobtrail click counters (events table stream consumer)",
            timeout_seconds=120,
            # Counter updates (and the fallback read of a counter's fence) and visitor
            # markers (conditional puts); it never reads the events table itself.
            table_actions={MAIN: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")},
        ),
    )
}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "api"),
    Route("GET", "/api/openapi.json", "api"),
    Route("ANY", "/api/{proxy+}", "api", authorized=True),
    Route("GET", "/static/{proxy+}", "api"),  # jt.js, for careers pages (no key)
    Route("GET", "/{slug}", "redirect"),
    Route("HEAD", "/{slug}", "redirect"),
    # Everything else reaches the API function, which answers 404 in the API's error shape.
    Route("ANY", "$default", "api"),
)

AUTHORIZER = "authorizer"

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("poller", "rate(15 minutes)", 900, "asks X and Bluesky for posts sharing links"),
    Schedule(
        "housekeeping",
        "rate(1 hour)",
        3600,
        "makes the next day's visitor salt and forgets old ones",
    ),
    Schedule("ats_sync", "rate(1 day)", 86400, "imports every registered ATS board"),
)

# Larger batches mean fewer counter writes per click (one per counter per batch).
STREAM_CONSUMERS: tuple[StreamConsumer, ...] = (
    StreamConsumer(EVENTS, "aggregator", batch_size=500, window_seconds=60),
)
