"""What the redirect reads and writes: a link by slug, the day's salt, one click."""

from __future__ import annotations

import random
import secrets
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError, PynamoDBException

from jobtrail.domain.clicks import CLICK_FIELDS, EXPIRY_FIELD, Click, LinkTarget
from jobtrail.domain.errors import Unavailable
from jobtrail.domain.times import iso
from jobtrail.store.connection import condition_failed
from jobtrail.store.key_shapes import SALT_SORT_KEY, SLUG_SORT_KEY, salt_key, slug_key
from jobtrail.store.models import LINK_DISABLED, ClickItem, LinkItem, SaltItem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# What a failing DynamoDB call raises after the SDK's own retries: PynamoDB's errors wrap
# botocore's, and the bare client of the extra attempt below raises botocore's own.
FAULTS: tuple[type[Exception], ...] = (PynamoDBException, BotoCoreError, ClientError)

# The redirect's extra attempt at a click write, after ClickItem's own (SDK) retries have
# failed. Those retries back off up to 1 s, then 2 s, on a throttle, so simply calling
# save() again could add seconds; the extra attempt is instead one bare put on a second
# client with no SDK retries and short timeouts: a jittered pause of 20-50 ms (so that
# instances throttled together do not retry in step), then at most 0.1 s to connect and
# 0.1 s to read. Worst case about 0.25 s more; usually ~40 ms, as a put takes a few ms.
# The second client also brings a fresh connection, which is what a reset or stale
# keep-alive socket needs. A put that times out after DynamoDB wrote it is harmless: the
# replay's conditional put finds the click and counts it as already recorded.
RETRY_PAUSE_SECONDS = (0.02, 0.05)
_LAST_TRY = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=0.1,
    read_timeout=0.1,
    parameter_validation=False,  # as PynamoDB does: the item is already serialised
)
_sleep = clock.sleep


@cache
def _last_try_client() -> DynamoDBClient:
    """Made on the first fault, from ClickItem's own botocore session: a new session would
    load the service's models again (~0.1-0.2 s), this one has them already (~10 ms)."""
    connection = ClickItem._get_connection().connection
    client = connection.session.create_client(
        "dynamodb", connection.region, endpoint_url=connection.host, config=_LAST_TRY
    )
    return cast("DynamoDBClient", client)


def fault_of(error: BaseException) -> str:
    """A short name for a DynamoDB fault, fit for a log: the service's error code
    (``ProvisionedThroughputExceededException``) or the exception's class name."""
    cause = getattr(error, "cause", None) or error  # PynamoDB keeps botocore's error here
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code") or type(cause).__name__)
    return type(cause).__name__


def find_link(slug: str) -> LinkTarget | None:
    """The link behind a slug: one strongly consistent key read, so a link works the
    moment its creation has answered."""
    try:
        item = LinkItem.get(slug_key(slug), SLUG_SORT_KEY, consistent_read=True)
    except LinkItem.DoesNotExist:
        return None
    except FAULTS as error:
        # Unknown is not missing: the caller must not answer 404, let alone redirect.
        raise Unavailable(f"The link could not be read ({fault_of(error)}).") from error
    return LinkTarget(
        slug=item.slug,
        workspace_id=item.workspace_id,
        job_id=item.job_id,
        channel=item.channel,
        sharer=item.sharer,
        target_url=item.target_url,
        campaign=item.campaign or item.job_id,
        disabled=item.status == LINK_DISABLED,
        # Parsed here, once per read, not on every redirect of the cached link.
        expires_at=datetime.fromisoformat(item.ends_at) if item.ends_at else None,
    )


# The times ClickItem keeps as ISO-8601 text: all but the expiry (the table's TTL).
_TEXT_TIMES = frozenset(CLICK_FIELDS.times) - {EXPIRY_FIELD}


def _item(click: Click) -> ClickItem:
    """The click as ClickItem stores it (``models._click_attribute``): every field of the
    click, times but the expiry as ISO-8601 text, and its day."""
    values: dict[str, Any] = {}
    for name in CLICK_FIELDS.names:
        value = getattr(click, name)
        values[name] = iso(value) if name in _TEXT_TIMES else value
    return ClickItem(day=click.day, **values)


def click_image(click: Click) -> dict[str, Any]:
    """The click item in DynamoDB JSON, as a put writes it and the stream carries it."""
    image: dict[str, Any] = _item(click).serialize()
    return image


def save_click(click: Click) -> int:
    """Write a click: ClickItem's put with its SDK retries, then one quick extra attempt
    (see ``RETRY_PAUSE_SECONDS``). Answers the attempts it took (1 or 2); raises
    ``Unavailable`` when both failed, its cause the last error."""
    try:
        _item(click).save()
        return 1
    except FAULTS:
        pass
    _sleep(random.uniform(*RETRY_PAUSE_SECONDS))  # noqa: S311 - jitter, not a secret
    item = click_image(click)
    try:
        _last_try_client().put_item(TableName=ClickItem.Meta.table_name, Item=item)
    except FAULTS as error:
        raise Unavailable(f"The click could not be written ({fault_of(error)}).") from error
    return 2


def replay_click(click: Click) -> bool:
    """Write a click unless its id is already stored; answers whether it wrote. The
    condition makes a replay idempotent: replaying a log twice writes each click once."""
    try:
        _item(click).save(condition=ClickItem.click_id.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise Unavailable(f"The click could not be written ({fault_of(error)}).") from error
    except FAULTS as error:
        raise Unavailable(f"The click could not be written ({fault_of(error)}).") from error
    return True


def salt_for(day: date) -> str:
    """The visitor salt of a UTC day, made on first use. Every function instance agrees on
    it (a conditional put decides a race); it expires a day after its day ends."""
    try:
        try:
            return str(SaltItem.get(salt_key(day), SALT_SORT_KEY, consistent_read=True).salt)
        except SaltItem.DoesNotExist:
            pass
        return create_salt(day)
    except FAULTS as error:
        raise Unavailable(f"The day's salt could not be read ({fault_of(error)}).") from error


def create_salt(day: date) -> str:
    """Make the day's salt unless it exists; either way answer the one that stands."""
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    item = SaltItem(
        salt_key(day),
        SALT_SORT_KEY,
        salt=secrets.token_hex(32),
        expires_at=end_of_day + timedelta(days=1),
    )
    try:
        item.save(condition=SaltItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return str(SaltItem.get(salt_key(day), SALT_SORT_KEY, consistent_read=True).salt)
    return str(item.salt)


def forget_salts_before(day: date, *, keep_days: int = 2) -> int:
    """Delete salts older than ``keep_days`` before ``day`` (TTL would, within days; this
    makes "forgotten" prompt). Answers how many were deleted."""
    deleted = 0
    for back in range(keep_days, keep_days + 7):
        old = day - timedelta(days=back)
        try:
            SaltItem.get(salt_key(old), SALT_SORT_KEY).delete()
            deleted += 1
        except SaltItem.DoesNotExist:
            continue
    return deleted
