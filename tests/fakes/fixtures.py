"""Fixtures for the fake networks, shared by every test folder (a pytest plugin named in
``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobtrail.sources.x import XSource
from tests.fakes.x_api import FakeXApi, running_fake_x


@pytest.fixture
def fake_x() -> Iterator[FakeXApi]:
    """A running fake X API with an empty world; the test fills ``fake_x.world``."""
    with running_fake_x() as fake:
        yield fake


@pytest.fixture
def x_source(fake_x: FakeXApi) -> Iterator[XSource]:
    source = XSource(fake_x.base_url, fake_x.token, timeout=2.0)
    yield source
    source.close()
