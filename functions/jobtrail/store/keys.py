"""Key builders shared by the store's modules (the table layout is in ``models``). Kept
apart so that the redirect's store imports no more than it uses."""

from __future__ import annotations

SLUG_SORT_KEY = "LINK"


def workspace_key(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def slug_key(slug: str) -> str:
    return f"SLUG#{slug}"
