"""The PynamoDB models of both tables. Their keys, indexes, TTL and streams are the one
definition of the tables: CDK (``infra``) and the local runtime both build tables from them.

Main table (single-table design, ``pk``/``sk``): every item's keys are built in
``key_shapes``, whose table lists every key shape and the item it names.

Events table: one item per click, keyed by its random click id so that one viral link's
clicks spread over every partition; it streams new items to the aggregator.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.models import MetaModel, Model

from jobtrail.domain.clicks import CLICK_FIELDS, EXPIRY_FIELD
from jobtrail.store import connection


class _Meta:
    billing_mode = PAY_PER_REQUEST_BILLING_MODE
    # The connection these settings would make is replaced by the shared one (below).
    connect_timeout_seconds = connection.CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = connection.READ_TIMEOUT_SECONDS
    max_retry_attempts = connection.MAX_RETRY_ATTEMPTS


DEFAULT_MAIN_TABLE = "jobtrail-main"
DEFAULT_EVENTS_TABLE = "jobtrail-events"
LINK_ACTIVE = "active"
LINK_DISABLED = "disabled"


class MainItem(Model):
    """The key every item of the main table has."""

    class Meta(_Meta):
        table_name = DEFAULT_MAIN_TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class WorkspaceItem(MainItem):
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # How many keys the workspace lists, changed in the same transaction as they are, so
    # that a delete can refuse the last one however many run at once. Absent on a
    # workspace made before keys were listed: read as 0, and counted up as its keys are
    # adopted (``store.api_keys.adopt_key``).
    key_count = NumberAttribute(null=True)


class ApiKeyItem(MainItem):
    """An API key; stored twice, under its hash (for the authorizer) and under its
    workspace (for listing). A key made before keys were listed has only the first, with
    no ``key_id`` or ``prefix``, until it is adopted."""

    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    key_id = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)
    # On the listed copy: the hash, so that a delete by id removes the authorizer's copy.
    key_hash = UnicodeAttribute(null=True)


class JobItem(MainItem):
    workspace_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    title = UnicodeAttribute()
    url = UnicodeAttribute()
    tags: ListAttribute[Any] = ListAttribute(of=UnicodeAttribute, default=list)
    channels: ListAttribute[Any] = ListAttribute(of=UnicodeAttribute, default=list)
    ats_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")
    created_at = UnicodeAttribute()
    # Jobs stored before campaigns had none: their campaign is their id (read-time
    # default, so no migration), as their links' utm_campaign always was.
    campaign = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # Absent on jobs never edited: revision 0.
    revision = NumberAttribute(null=True)
    # The ATS a feed import brought the job from, and who closed it ("hand", "import").
    ats = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)


class ImportSourceItem(MainItem):
    """A workspace's registered ATS board (``key_shapes.IMPORT_SOURCES_KEY``)."""

    workspace_id = UnicodeAttribute()
    source_id = UnicodeAttribute()
    ats = UnicodeAttribute()
    board = UnicodeAttribute()
    created_at = UnicodeAttribute()
    api_key = UnicodeAttribute(null=True)  # Teamtailor's; never answered
    last_synced_at = UnicodeAttribute(null=True)


class CampaignItem(MainItem):
    """Claims a campaign name in a workspace, so that a campaign made from a title is
    unique there. Kept when the job changes its campaign: a name once used is not made
    again."""

    job_id = UnicodeAttribute()


class LinkItem(MainItem):
    """A link; stored twice, under its slug (for the redirect) and under its job."""

    slug = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    sharer = UnicodeAttribute(null=True)
    # A personal link's person; its ``sharer`` is then the person's id, so that clicks and
    # counters never hold a handle (answers show the person's handle in its place).
    person_id = UnicodeAttribute(null=True)
    # The job's URL and campaign, copied so that a redirect is one key read (a link
    # stored before campaigns has none: its job's id is its campaign).
    target_url = UnicodeAttribute()
    campaign = UnicodeAttribute(null=True)
    # LINK_ACTIVE or LINK_DISABLED: a disabled link answers 410.
    status = UnicodeAttribute(default=LINK_ACTIVE)
    created_at = UnicodeAttribute()
    # When the link ends (ISO-8601, UTC), if it does. Not named ``expires_at``: that is the
    # table's TTL attribute, and the link must answer 410 after its end, not vanish.
    ends_at = UnicodeAttribute(null=True)


class SharerClaim(MainItem):
    """Claims a sharer's one link per job and channel (the sharer compared without case),
    written in the same transaction as the link, so that two requests for it make one."""

    slug = UnicodeAttribute()


class SaltItem(MainItem):
    salt = UnicodeAttribute()
    expires_at = TTLAttribute()


def _click_attribute(name: str) -> Attribute[Any]:
    """How a field of ``domain.clicks.Click`` is stored: as text (a time as ISO-8601 UTC
    text, which sorts as the time does), null where the field may be None; the expiry as
    the table's TTL."""
    if name == EXPIRY_FIELD:
        return TTLAttribute()
    return UnicodeAttribute(null=name in CLICK_FIELDS.optional_texts)


class _WithClickFields(MetaModel):
    """Gives the click model an attribute for every field of ``Click`` it does not declare
    itself: the fields are defined once, on the domain's dataclass."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> _WithClickFields:
        for field in CLICK_FIELDS.names:
            namespace.setdefault(field, _click_attribute(field))
        # PynamoDB's metaclass is untyped.
        made: _WithClickFields = super().__new__(mcs, name, bases, namespace, **kwargs)  # type: ignore[no-untyped-call]
        return made


class ClickItem(Model, metaclass=_WithClickFields):
    """One click (or robot fetch) of a short link, every field of ``domain.clicks.Click``
    (see ``_click_attribute``) and the two below. Append-only; expires by TTL."""

    class Meta(_Meta):
        table_name = DEFAULT_EVENTS_TABLE
        stream_view_type = "NEW_IMAGE"

    click_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute()  # the UTC day of ``at``, ISO: what a recount scans for
    schema_version = NumberAttribute(default=1)


class CounterItem(MainItem):
    """A pre-aggregated counter, written only by the aggregator (see ``store.counters``).
    It also carries ``f_<shard>`` fence attributes, named at run time, which PynamoDB
    cannot declare: they say how far each shard of the events stream got with this
    counter."""

    human = NumberAttribute(null=True)
    bots = NumberAttribute(null=True)
    unique_visitors = NumberAttribute(null=True)
    hits = NumberAttribute(null=True)
    jobs = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    first_seen = UnicodeAttribute(null=True)


class VisitorMarker(MainItem):
    """Marks that a visitor was seen for a job on a day (and channel); it makes them count
    as a unique visitor once. Kept until the day can no longer get late clicks."""

    token = UnicodeAttribute()  # the click that claimed it: ``<shard>/<sequence number>``
    expires_at = TTLAttribute()


class ShareItem(MainItem):
    """A share of a job's link: pk ``SHARES#<job>``, sk the share's key (platform and post
    id, or platform, reposted post and author)."""

    platform = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    author_id = UnicodeAttribute()
    # Removed (with ``name`` and ``url``) when the person who made it is deleted.
    handle = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    followers = NumberAttribute(null=True)
    followers_first = NumberAttribute(null=True)
    parent_post_id = UnicodeAttribute(null=True)
    slug = UnicodeAttribute()
    job_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)
    first_seen_at = UnicodeAttribute()
    metrics = JSONAttribute(null=True)
    # The person the author is (``domain.people.person_for_sharer``); absent until linked.
    person_id = UnicodeAttribute(null=True)
    # True once its author was deleted: it stays counted, with no author or URL.
    anonymous = BooleanAttribute(null=True)


class PersonItem(MainItem):
    """A person of a workspace's network: pk ``WS#<workspace>``, sk ``PERSON#<person>``."""

    workspace_id = UnicodeAttribute()
    person_id = UnicodeAttribute()
    name = UnicodeAttribute()
    handles = JSONAttribute(null=True)  # platform -> handle, as given
    fields: ListAttribute[Any] = ListAttribute(of=UnicodeAttribute, default=list)
    email = UnicodeAttribute(null=True)
    do_not_ask = BooleanAttribute(default=False)
    discovered = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)
    # The name (also without accents) and the handles, in lowercase: what ``?q=`` reads.
    search = UnicodeAttribute()


class HandleClaim(MainItem):
    """Claims a handle on a platform for one person of the workspace, written in the same
    transaction as the person (and moved in the same one as an edit of their handles)."""

    person_id = UnicodeAttribute()


class PersonShare(MainItem):
    """Points at a share a person made (pk ``MADE#<person>``): so that deleting them finds
    their shares without a scan."""

    job_id = UnicodeAttribute()
    share_key = UnicodeAttribute()


class RecordItem(MainItem):
    """A person's record in a field (``domain.asking.Record``), counted as their shares are
    linked: pk ``RECORD#<workspace>#<field>``, sk ``P#<person>``."""

    jobs = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    spread = NumberAttribute(null=True)


class TopList(MainItem):
    """A field's bounded list of the best records (sk ``TOP``: person -> [jobs, shares,
    spread]) or of people by followers (sk ``FOLLOWED``: person -> followers), written on
    the condition that it is still at the version it was read at."""

    entries = JSONAttribute(null=True)
    version = NumberAttribute(null=True)


class TrackedPost(MainItem):
    """A post the poller watches for reposts and quotes: pk ``TRACK#<platform>``, sk the
    post id. It expires when the network stops reporting on it (X: 7 days)."""

    job_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    repost_count = NumberAttribute(default=0)
    quote_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class PollState(MainItem):
    """Where a source's polling stands: pk ``POLL#<platform>``, sk ``STATE``."""

    since_id = UnicodeAttribute(null=True)
    rate_limited_until = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)


def use_tables(main: str, events: str, *, reconnect: bool = False) -> None:
    """Point the models at the tables a function was configured with (its settings),
    once, where its handler is wired. Every subclass of MainItem shares MainItem's Meta,
    so it follows; PynamoDB makes a model a new table connection when its table name
    changes, and those connections are then shared again (also with ``reconnect``, after
    the shared connection was made again for another endpoint)."""
    if not reconnect and (MainItem.Meta.table_name, ClickItem.Meta.table_name) == (main, events):
        return
    MainItem.Meta.table_name = main
    ClickItem.Meta.table_name = events
    for model in MainItem.__subclasses__():
        if "_connection" in model.__dict__:
            # A subclass that made a connection of its own would keep the old table.
            delattr(model, "_connection")
    connection.share(MainItem, ClickItem)


connection.share(MainItem, ClickItem)


class ConversionItem(MainItem):
    """An application or hire credited to a click (or to a job and channel): written once,
    in the transaction that counts it (``store.conversions``)."""

    conversion_id = UnicodeAttribute()
    click_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    external_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    job_id = UnicodeAttribute()
    slug = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    sharer = UnicodeAttribute(null=True)
    person_id = UnicodeAttribute(null=True)
