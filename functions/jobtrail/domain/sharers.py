"""Who shared a link, as sharers are compared: a handle without case and without a
leading ``@`` (``@Anna.Svensson`` and ``anna.svensson`` are one person)."""

from __future__ import annotations

from jobtrail.domain.errors import Conflict


def sharer_key(sharer: str) -> str:
    return sharer.strip().removeprefix("@").lower()


def same_sharer(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and sharer_key(a) == sharer_key(b)


class SharerTaken(Conflict):
    """The sharer already has a link on the job's channel (another request made it)."""

    code = "sharer_has_link"

    def __init__(self, channel: str, sharer: str) -> None:
        super().__init__(f"'{sharer}' already has a link on {channel} for this job.")
        self.channel = channel
        self.sharer = sharer
