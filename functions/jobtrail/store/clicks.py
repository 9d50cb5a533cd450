"""What the redirect reads and writes: a link by slug, the day's salt, one click."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

from pynamodb.exceptions import PutError

from jobtrail.domain.clicks import Click, LinkTarget
from jobtrail.store.jobs import SLUG_SORT_KEY, slug_key
from jobtrail.store.models import ClickItem, LinkItem, SaltItem

SALT_SORT_KEY = "SALT"


def find_link(slug: str) -> LinkTarget | None:
    """The link behind a slug: one strongly consistent key read, so a link works the
    moment its creation has answered."""
    try:
        item = LinkItem.get(slug_key(slug), SLUG_SORT_KEY, consistent_read=True)
    except LinkItem.DoesNotExist:
        return None
    return LinkTarget(
        slug=item.slug,
        workspace_id=item.workspace_id,
        job_id=item.job_id,
        channel=item.channel,
        sharer=item.sharer,
        target_url=item.target_url,
    )


def save_click(click: Click) -> None:
    ClickItem(
        click.click_id,
        at=click.at_iso,
        day=click.day,
        slug=click.slug,
        workspace_id=click.workspace_id,
        job_id=click.job_id,
        channel=click.channel,
        sharer=click.sharer,
        visitor=click.visitor,
        bot_class=click.bot_class,
        method=click.method,
        user_agent=click.user_agent,
        referrer_host=click.referrer_host,
        country=click.country,
        device=click.device,
        expires_at=click.expires_at,
    ).save()


def _salt_key(day: date) -> str:
    return f"SALT#{day.isoformat()}"


def salt_for(day: date) -> str:
    """The visitor salt of a UTC day, made on first use. Every function instance agrees on
    it (a conditional put decides a race); it expires a day after its day ends."""
    try:
        return str(SaltItem.get(_salt_key(day), SALT_SORT_KEY, consistent_read=True).salt)
    except SaltItem.DoesNotExist:
        pass
    return create_salt(day)


def create_salt(day: date) -> str:
    """Make the day's salt unless it exists; either way answer the one that stands."""
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    item = SaltItem(
        _salt_key(day),
        SALT_SORT_KEY,
        salt=secrets.token_hex(32),
        expires_at=end_of_day + timedelta(days=1),
    )
    try:
        item.save(condition=SaltItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return str(SaltItem.get(_salt_key(day), SALT_SORT_KEY, consistent_read=True).salt)
    return str(item.salt)


def forget_salts_before(day: date, *, keep_days: int = 2) -> int:
    """Delete salts older than ``keep_days`` before ``day`` (TTL would, within days; this
    makes "forgotten" prompt). Answers how many were deleted."""
    deleted = 0
    for back in range(keep_days, keep_days + 7):
        old = day - timedelta(days=back)
        try:
            SaltItem.get(_salt_key(old), SALT_SORT_KEY).delete()
            deleted += 1
        except SaltItem.DoesNotExist:
            continue
    return deleted
