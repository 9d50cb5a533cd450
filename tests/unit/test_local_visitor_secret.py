"""The local runtime's visitor secret: a file only its owner may read, made once and kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from infra.local.errors import CannotStart
from infra.local.visitor_secret import FILE_NAME, visitor_secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    first = visitor_secret(directory)
    assert len(first) == 32
    assert (_mode(directory), _mode(directory / FILE_NAME)) == (0o700, 0o600)
    assert visitor_secret(directory) == first  # a restart: the same visitors
    assert visitor_secret(tmp_path / "other") != first
    assert [p.name for p in directory.iterdir()] == [FILE_NAME]  # no draft left behind


def test_a_damaged_secret_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"short")
    with pytest.raises(CannotStart, match="delete it"):
        visitor_secret(tmp_path)
