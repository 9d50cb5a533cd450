"""Key builders shared by the store's modules (the table layout is in ``models`` and
``counters``): each key shape is built here, once. Kept apart so that the redirect's store
imports no more than it uses."""

from __future__ import annotations

SLUG_SORT_KEY = "LINK"
WORKSPACE_SORT_KEY = "WORKSPACE"
KEY_SORT_KEY = "KEY"
LISTED_KEY_PREFIX = "APIKEY#"
CHANNEL_PREFIX = "channel#"  # a workspace's channel counters: ``channel#<channel>[#<day>]``


def workspace_key(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def api_key_key(key_hash: str) -> str:
    """The partition of an API key, by the hash of the key: the authorizer's one read."""
    return f"KEY#{key_hash}"


def listed_key_sort_key(key_id: str) -> str:
    """An API key under its workspace's partition, by id: the listing and the delete."""
    return f"{LISTED_KEY_PREFIX}{key_id}"


def slug_key(slug: str) -> str:
    return f"SLUG#{slug}"


def job_stats_key(job_id: str) -> str:
    """The partition of a job's counters: its days, spans, previews' first sight."""
    return f"STAT#{job_id}"


def workspace_stats_key(workspace_id: str) -> str:
    """The partition of a workspace's counters, per channel."""
    return f"WSSTAT#{workspace_id}"


def channel_jobs_key(channel: str) -> str:
    """A workspace's channel: the jobs that use it and the shares found for it."""
    return f"{CHANNEL_PREFIX}{channel}"


def channel_day_key(channel: str, day: str) -> str:
    """A workspace's channel on one day (ISO): its human clicks and unique visitors."""
    return f"{CHANNEL_PREFIX}{channel}#{day}"


def visitor_markers_key(job_id: str, day: str) -> str:
    """The partition of a job's visitor markers of one day (ISO)."""
    return f"VIS#{job_id}#{day}"


def sharer_claim_key(job_id: str, channel: str, sharer_key: str) -> str:
    """Sort key of the claim on a sharer's one link per job and channel (under the job's
    workspace); ``sharer_key`` is the handle as sharers are compared."""
    return f"SHARER#{job_id}#{channel}#{sharer_key}"
