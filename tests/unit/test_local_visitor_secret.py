"""The local runtime's visitor secret: a file only its owner may read, made once and kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from infra.local.visitor_secret import DEFAULT_DATA_DIR, FILE_NAME, data_dir, visitor_secret


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
    with pytest.raises(ValueError, match="delete it"):
        visitor_secret(tmp_path)


def test_the_data_directory_is_jobtrail_data_dir_or_the_projects(tmp_path: Path) -> None:
    assert data_dir({"JOBTRAIL_DATA_DIR": str(tmp_path)}) == tmp_path
    assert data_dir({}) == DEFAULT_DATA_DIR
    assert DEFAULT_DATA_DIR.name == ".jobtrail"
    assert (DEFAULT_DATA_DIR.parent / "pyproject.toml").exists()
