"""A link's changes in the main table: both copies of it (by slug, which the redirect
reads, and by job, which lists it) change in one transaction."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from jobtrail.domain.jobs import Link
from jobtrail.domain.links import KEEP, LinkChange
from jobtrail.store.connection import connection, failed_conditions
from jobtrail.store.jobs import link_of
from jobtrail.store.key_shapes import SLUG_SORT_KEY, job_links_prefix, slug_key, workspace_key
from jobtrail.store.models import LINK_ACTIVE, LINK_DISABLED, LinkItem


def _actions(change: LinkChange) -> list[Any]:
    actions: list[Any] = []
    if change.disabled is not KEEP:
        actions.append(LinkItem.status.set(LINK_DISABLED if change.disabled else LINK_ACTIVE))
    if change.expires_at is not KEEP:
        ends = LinkItem.ends_at
        actions.append(ends.remove() if change.expires_at is None else ends.set(change.expires_at))
    return actions


class DynamoLinkStore:
    """``jobtrail.domain.links.LinkStore`` on DynamoDB."""

    def change_link(
        self, workspace_id: str, job_id: str, slug: str, change: LinkChange
    ) -> Link | None:
        # The job's copy is found under the workspace and the job, so a slug of another job
        # or workspace is not found. A job has few links: one query reads them all.
        found = next(
            iter(
                LinkItem.query(
                    workspace_key(workspace_id),
                    LinkItem.sk.startswith(job_links_prefix(job_id)),
                    filter_condition=LinkItem.slug == slug,
                    consistent_read=True,
                )
            ),
            None,
        )
        if found is None:
            return None
        actions = _actions(change)
        by_slug = LinkItem(slug_key(slug), SLUG_SORT_KEY)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(found, actions=actions, condition=LinkItem.pk.exists())
                tx.update(
                    by_slug,
                    actions=actions,
                    condition=LinkItem.pk.exists() & (LinkItem.job_id == job_id),
                )
        except TransactWriteError as error:
            if failed_conditions(error):
                return None  # gone since it was read (links are not deleted today)
            raise
        link = link_of(found)
        return replace(
            link,
            disabled=link.disabled if change.disabled is KEEP else change.disabled,
            expires_at=link.expires_at if change.expires_at is KEEP else change.expires_at,
        )
