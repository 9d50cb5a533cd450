"""The main table's key shapes: every ``pk`` and ``sk`` the store writes or reads is built
here, once (the items they name are in ``models``, the counters' attributes in
``counters``). Plain strings and nothing else, so that the redirect's store imports no more
than it uses.

==============================  ============================================  ==================
pk                              sk                                            item
==============================  ============================================  ==================
``WS#<workspace>``              ``WORKSPACE``                                 a workspace
``KEY#<sha256 of key>``         ``KEY``                                       an API key's hash
``WS#<workspace>``              ``APIKEY#<key id>``                           an API key by id
``WS#<workspace>``              ``JOB#<job>``                                 a job ad
``WS#<workspace>``              ``LINK#<job>#<made>#<nn>#<slug>``             a job's link
``WS#<workspace>``              ``CAMPAIGN#<name>``                           a campaign's claim
``WS#<workspace>``              ``SHARER#<job>#<channel>#<handle>``           a sharer's claim
``WS#<workspace>``              ``PERSON#<person>``                           a person
``WS#<workspace>``              ``HANDLE#<platform>#<handle>``                a handle's claim
``WS#<workspace>``              ``CONV#<click>#<kind>#<external id>``         a conversion
``MADE#<person>``               ``<job>#<share key>``                         a share they made
``RECORD#<workspace>#<field>``  ``P#<person>``                                a record in a field
``RECORD#<workspace>#<field>``  ``TOP``, ``FOLLOWED``                         a field's top lists
``SLUG#<slug>``                 ``LINK``                                      a link by slug
``SALT#<yyyy-mm-dd>``           ``SALT``                                      a day's salt
``STAT#<job>``                  ``D#<day>``, ``S<level>#<first day>``         a day, a span
``STAT#<job>``                  ``FIRST``, ``CHANGES``                        previews, late
``WSSTAT#<workspace>``          ``channel#<channel>[#<day>]``                 a channel
``VIS#<job>#<day>``             ``<visitor>`` or ``<channel>#<visitor>``      a visitor marker
``SHARES#<job>``                the share's key (``domain.shares``)           a share
``TRACK#<platform>``            ``<post id>``                                 a watched post
``POLL#<platform>``             ``STATE``                                     polling state
``IMPORTSOURCES``               ``<workspace>#<source>``                      an ATS board
==============================  ============================================  ==================
"""

from __future__ import annotations

from datetime import date

# Workspaces and API keys
WORKSPACE_SORT_KEY = "WORKSPACE"
API_KEY_SORT_KEY = "KEY"


def workspace_key(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def api_key_key(key_hash: str) -> str:
    """The partition of an API key, by its hash (the key itself is never stored)."""
    return f"KEY#{key_hash}"


LISTED_KEY_PREFIX = "APIKEY#"  # a workspace's keys: ``APIKEY#<key id>``


def listed_key_sort_key(key_id: str) -> str:
    """An API key under its workspace's partition, by id: the listing and the delete."""
    return f"{LISTED_KEY_PREFIX}{key_id}"


# Jobs and links
JOB_PREFIX = "JOB#"  # a workspace's jobs: ``JOB#<job>``
SLUG_SORT_KEY = "LINK"


def job_sort_key(job_id: str) -> str:
    return f"{JOB_PREFIX}{job_id}"


def job_links_prefix(job_id: str) -> str:
    """What every sort key of a job's links starts with, under its workspace."""
    return f"LINK#{job_id}#"


def job_link_sort_key(job_id: str, created_at: str, position: int, slug: str) -> str:
    """Sorts a job's links in the order they were made; the slug keeps the key unique."""
    return f"{job_links_prefix(job_id)}{created_at}#{position:02d}#{slug}"


def campaign_sort_key(campaign: str) -> str:
    """A campaign some job of the workspace has had, under the workspace: its claim."""
    return f"CAMPAIGN#{campaign}"


def sharer_claim_key(job_id: str, channel: str, sharer_key: str) -> str:
    """The claim on a sharer's one link per job and channel, under the job's workspace;
    ``sharer_key`` is the handle as sharers are compared (``domain.sharers``)."""
    return f"SHARER#{job_id}#{channel}#{sharer_key}"


# People
PERSON_PREFIX = "PERSON#"  # a workspace's people: ``PERSON#<person>``


def person_sort_key(person_id: str) -> str:
    return f"{PERSON_PREFIX}{person_id}"


def handle_claim_key(platform: str, handle_key: str) -> str:
    """The claim on a handle of a platform, under its workspace: one person holds it.
    ``handle_key`` is the handle as sharers are compared (``domain.sharers``)."""
    return f"HANDLE#{platform}#{handle_key}"


def person_shares_key(person_id: str) -> str:
    """The partition of the shares a person made, one pointer each (sort key
    ``share_pointer_key``): what deleting the person makes anonymous."""
    return f"MADE#{person_id}"


def share_pointer_key(job_id: str, share_key: str) -> str:
    return f"{job_id}#{share_key}"


RECORDS_TOP = "TOP"  # a field's best records
RECORDS_FOLLOWED = "FOLLOWED"  # a field's people by followers


def records_key(workspace_id: str, field: str) -> str:
    """The partition of a field's records (who-to-ask): each person's and the top lists."""
    return f"RECORD#{workspace_id}#{field}"


def person_record_key(person_id: str) -> str:
    return f"P#{person_id}"


def slug_key(slug: str) -> str:
    return f"SLUG#{slug}"


# The visitor salt
SALT_SORT_KEY = "SALT"
# Every salt's partition key, as an IAM StringLike pattern (the roles that touch salts only).
SALT_KEYS = "SALT#*"


def salt_key(day: date) -> str:
    return f"SALT#{day.isoformat()}"


# Counters
DAY_PREFIX = "D#"  # a job's day item: ``D#<day>``
FIRSTS = "FIRST"  # a job's previews' first sight
CHANGES = "CHANGES"  # a job's count of late clicks
CHANNEL_PREFIX = "channel#"  # a workspace's channel counters: ``channel#<channel>[#<day>]``


def job_stats_key(job_id: str) -> str:
    """The partition of a job's counters: its days, spans, previews' first sight."""
    return f"STAT#{job_id}"


def day_key(day: str) -> str:
    """A job's day (ISO) in its counters' partition."""
    return f"{DAY_PREFIX}{day}"


def span_key(level: int, first: str) -> str:
    """A kept span of 2**level days from ``first`` (ISO); a span of one day is the day."""
    return day_key(first) if level == 0 else f"S{level}#{first}"


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


def channel_visitor_key(channel: str, visitor: str) -> str:
    """A visitor's marker for one channel (the job's marker is the visitor alone)."""
    return f"{channel}#{visitor}"


# Shares and polling
POLL_STATE_SORT_KEY = "STATE"


SHARES_PREFIX = "SHARES#"


def shares_key(job_id: str) -> str:
    """The partition of a job's shares (their sort key is the share's own key)."""
    return f"{SHARES_PREFIX}{job_id}"


def tracked_posts_key(platform: str) -> str:
    """The partition of the posts watched on a platform (sort key: the post id)."""
    return f"TRACK#{platform}"


def poll_state_key(platform: str) -> str:
    return f"POLL#{platform}"


# Import sources: every workspace's registered ATS boards in one partition, so that the
# daily sync lists them with one query and a workspace lists its own by prefix.
IMPORT_SOURCES_KEY = "IMPORTSOURCES"


def import_sources_prefix(workspace_id: str) -> str:
    return f"{workspace_id}#"


def import_source_sort_key(workspace_id: str, source_id: str) -> str:
    return f"{import_sources_prefix(workspace_id)}{source_id}"


# Conversions: an application or hire, under its workspace, keyed by what makes it the
# same conversion again (so a retry finds it): the click, or the job and channel credited
# without a click, then the kind and the caller's external id.
def conversion_sort_key(source: str, kind: str, external_id: str) -> str:
    return f"CONV#{source}#{kind}#{external_id}"
