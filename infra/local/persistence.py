"""The local stack's data between runs, in its data directory (``JOBTRAIL_DATA_DIR``).

moto keeps DynamoDB in memory. Its tables, and how far each stream pump has delivered, are
written to ``dynamodb.snapshot`` in the data directory: at most once a second when
something changed, and once more on a clean stop; each time to a temporary file then
renamed over the old one, so that a kill leaves the previous snapshot whole. They are
read back at start. A snapshot is taken with every pump and every DynamoDB request paused,
so that the counts the stream consumer has written and the pumps' positions agree: no
click is counted twice, or lost, across a restart.

moto's tables are pickled, as they are: moto has no export of its own, and an export
through the API (Scan, then BatchWriteItem on restore) would put every item on the stream
again. The file is read only from the user's own data directory (mode 0700).

The directory also holds ``lock``, locked (flock) for as long as a run uses it, so that a
second ``make run`` on the same data says so instead of both writing it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any, Protocol

from infra.local.errors import DataDirectoryError

log = logging.getLogger("jobtrail.local.persistence")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT / ".jobtrail"
SNAPSHOT = "dynamodb.snapshot"
LOCK = "lock"
FORMAT = 1
_REMEDY = "set JOBTRAIL_DATA_DIR to a directory you can write"


def data_dir_from(environ: dict[str, str] | os._Environ[str]) -> Path:
    """``JOBTRAIL_DATA_DIR``, else ``.jobtrail/`` in the project."""
    value = environ.get("JOBTRAIL_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else DEFAULT_DATA_DIR


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class DataDirectory:
    """The data directory of one run: made (mode 0700) if missing, and locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None

    @property
    def snapshot(self) -> Path:
        return self.path / SNAPSHOT

    def open(self) -> None:
        """Make and lock the directory; ``DataDirectoryError`` says why it cannot be used."""
        try:
            if not self.path.is_dir():
                self.path.mkdir(parents=True, mode=0o700)
                self.path.chmod(0o700)  # whatever the umask
            lock = open(self.path / LOCK, "a+")  # noqa: SIM115 (held for the whole run)
        except OSError as error:
            raise DataDirectoryError(
                f"the data directory {self.path} cannot be written ({_reason(error)}): {_REMEDY}"
            ) from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            lock.seek(0)
            holder = lock.read().strip()
            lock.close()
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise DataDirectoryError(
                    f"the data directory {self.path} cannot be locked ({_reason(error)}): {_REMEDY}"
                ) from None
            who = f" (process {holder})" if holder.isdigit() else ""
            raise DataDirectoryError(
                f"the data directory {self.path} is in use by another make run{who}: stop it, "
                "or set JOBTRAIL_DATA_DIR to another directory"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # and with it the lock
            self._lock = None


class Pausable(Protocol):
    def paused(self) -> contextlib.AbstractContextManager[None]: ...


class Database(Protocol):
    @property
    def changes(self) -> int: ...

    def paused(self, *, close: bool = False) -> contextlib.AbstractContextManager[None]: ...

    def state(self) -> dict[tuple[str, str], Any]: ...


class Pump(Pausable, Protocol):
    @property
    def table_name(self) -> str: ...

    positions: dict[str, str]
    delivered: int


@dataclass(frozen=True)
class Saved:
    """What a snapshot holds: moto's tables per (account, region), and per table the
    position of its stream pump (shard -> last sequence number delivered)."""

    tables: dict[tuple[str, str], Any]
    positions: dict[str, dict[str, str]]


def _moto_version() -> str:
    return metadata.version("moto")


def load(path: Path) -> Saved | None:
    """The snapshot at ``path``, or None when there is none yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise DataDirectoryError(
            f"the data in {path} cannot be read ({_reason(error)}): {_REMEDY}"
        ) from None
    saved: Any = None
    try:
        # The user's own file, written by this runtime (see the module's docstring).
        saved = pickle.loads(data)  # noqa: S301
        if saved.get("format") != FORMAT:
            raise ValueError(f"format {saved.get('format')}")
        return Saved(tables=saved["tables"], positions=saved["positions"])
    except Exception as error:
        made_by = saved.get("moto") if isinstance(saved, dict) else None
        by = f", written with moto {made_by}, this is moto {_moto_version()}" if made_by else ""
        raise DataDirectoryError(
            f"the data in {path} cannot be read ({type(error).__name__}{by}): move the file "
            "away to start with an empty database, or set JOBTRAIL_DATA_DIR to another directory"
        ) from None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


class Snapshots:
    """Writes the database's snapshot when it has changed: at most once per ``interval``
    seconds from a thread of its own, and on ``stop``."""

    def __init__(
        self,
        path: Path,
        database: Database,
        pumps: Iterable[Pump],
        *,
        interval: float = 1.0,
    ) -> None:
        self._path = path
        self._database = database
        self._pumps = list(pumps)
        self._interval = interval
        self._saved_version: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)
        self._last_error = ""
        self._write_lock = threading.Lock()
        self.written = 0

    def _version(self) -> int:
        return self._database.changes + sum(pump.delivered for pump in self._pumps)

    def save(self, *, close: bool = False) -> bool:
        """Write a snapshot if anything changed since the last; answers whether it wrote.
        With ``close``, the database takes no request after it (the last of a run)."""
        if not close and self._version() == self._saved_version:
            return False  # checked first without pausing anything: the counts only grow
        with self._write_lock, contextlib.ExitStack() as paused:
            for pump in self._pumps:
                paused.enter_context(pump.paused())
            paused.enter_context(self._database.paused(close=close))
            version = self._version()
            if version == self._saved_version:
                return False
            data = pickle.dumps(
                {
                    "format": FORMAT,
                    "moto": _moto_version(),
                    "tables": self._database.state(),
                    "positions": {p.table_name: dict(p.positions) for p in self._pumps},
                },
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            paused.close()  # written outside the pause: requests go on meanwhile
            _write_atomically(self._path, data)
            self._saved_version = version
            self.written += 1
            return True

    def start(self) -> None:
        """Write a first snapshot now (so that a directory that cannot be written is said
        at start), then keep writing them."""
        try:
            self.save()
        except OSError as error:
            raise DataDirectoryError(
                f"the data directory {self._path.parent} cannot be written ({_reason(error)}): "
                f"{_REMEDY}"
            ) from None
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._save_or_say()

    def _save_or_say(self, *, close: bool = False) -> None:
        try:
            self.save(close=close)
            self._last_error = ""
        except OSError as error:
            message = f"could not save the local data to {self._path}: {_reason(error)}"
            if message != self._last_error:  # said once, not every second
                log.error(message)
            self._last_error = message

    def stop(self) -> None:
        """Stop the thread and write the last snapshot; the database then takes no
        request, so that nothing it answered is missing from the snapshot."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._save_or_say(close=True)
