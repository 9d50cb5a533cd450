"""The local runtime's visitor secret: the key of the visitor hash (``jobtrail.domain.clicks``)
that Secrets Manager keeps on AWS. Locally it is a file of 32 random bytes in the data
directory, made on the first start and kept, so that a visitor stays one visitor across a
restart on the same day. Only its owner may read it (0600, in a 0700 directory), and it is
never written to the embedded database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from infra.local.errors import CannotStart

FILE_NAME = "visitor-secret"
SECRET_BYTES = 32


def visitor_secret(directory: Path) -> bytes:
    """The secret in ``directory``, made there first if absent (directory included)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / FILE_NAME
    if not path.exists():
        # Written whole under another name, then linked into place: of two runtimes
        # starting at once, one makes it and the other reads that one, never a part.
        draft = directory / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(SECRET_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_bytes()
    if len(secret) < SECRET_BYTES:
        raise CannotStart(
            f"{path} holds {len(secret)} bytes, not a visitor secret of {SECRET_BYTES}: "
            "delete it and start again to make a new one."
        )
    return secret
