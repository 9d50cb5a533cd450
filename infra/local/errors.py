"""Why the local runtime cannot start (or keep its data), said in one line to the user."""

from __future__ import annotations


class CannotStart(Exception):
    """A reason ``make run`` stops at start; the message says what is wrong and what to do,
    and is printed as it is, without a traceback."""


class PortInUse(CannotStart):
    """The port asked for is taken."""


class DataDirectoryError(CannotStart):
    """The data directory cannot be used: not writable, in use by another run, or holding
    data this runtime cannot read."""
