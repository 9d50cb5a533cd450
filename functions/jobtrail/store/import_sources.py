"""Registered ATS boards in the main table (keys in ``key_shapes``)."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from jobtrail.domain.import_sources import ImportSource, SourceExists, sorted_sources
from jobtrail.store.connection import condition_failed
from jobtrail.store.key_shapes import (
    IMPORT_SOURCES_KEY,
    import_source_sort_key,
    import_sources_prefix,
)
from jobtrail.store.models import ImportSourceItem


def _source(item: ImportSourceItem) -> ImportSource:
    return ImportSource(
        id=item.source_id,
        workspace_id=item.workspace_id,
        ats=item.ats,
        board=item.board,
        created_at=item.created_at,
        api_key=item.api_key,
        last_synced_at=item.last_synced_at,
    )


def _key(workspace_id: str, source_id: str) -> tuple[str, str]:
    return IMPORT_SOURCES_KEY, import_source_sort_key(workspace_id, source_id)


class DynamoSourceStore:
    def insert_source(self, source: ImportSource) -> None:
        item = ImportSourceItem(
            *_key(source.workspace_id, source.id),
            workspace_id=source.workspace_id,
            source_id=source.id,
            ats=source.ats,
            board=source.board,
            created_at=source.created_at,
            api_key=source.api_key,
            last_synced_at=source.last_synced_at,
        )
        try:
            item.save(condition=ImportSourceItem.pk.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                raise SourceExists("That import source exists already.") from error
            raise

    def list_sources(self, workspace_id: str) -> list[ImportSource]:
        items = ImportSourceItem.query(
            IMPORT_SOURCES_KEY,
            ImportSourceItem.sk.startswith(import_sources_prefix(workspace_id)),
            consistent_read=True,
        )
        return sorted_sources([_source(item) for item in items])

    def all_sources(self) -> list[ImportSource]:
        return sorted_sources(
            [_source(item) for item in ImportSourceItem.query(IMPORT_SOURCES_KEY)]
        )

    def delete_source(self, workspace_id: str, source_id: str) -> bool:
        try:
            ImportSourceItem(*_key(workspace_id, source_id)).delete(
                condition=ImportSourceItem.pk.exists()
            )
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def mark_synced(self, source: ImportSource, at: str) -> None:
        try:
            ImportSourceItem(*_key(source.workspace_id, source.id)).update(
                actions=[ImportSourceItem.last_synced_at.set(at)],
                condition=ImportSourceItem.pk.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
