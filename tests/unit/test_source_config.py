"""Which share sources run: a network whose credentials are missing, or still the stack's
placeholder, is skipped instead of failing every run."""

from __future__ import annotations

import json

import pytest

from jobtrail.sources import config


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "X_BEARER_TOKEN",
        "X_BEARER_TOKEN_SECRET",
        "BLUESKY_SECRET",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    config.share_sources.cache_clear()


def _secrets(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    monkeypatch.setattr(config, "_secret", lambda name: values[name])


def test_no_credentials_no_sources() -> None:
    assert config.share_sources() == ()


def test_placeholder_secrets_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN_SECRET", "x")
    monkeypatch.setenv("BLUESKY_SECRET", "b")
    _secrets(
        monkeypatch,
        {
            "x": "REPLACE_ME",
            "b": json.dumps({"handle": "REPLACE_ME", "app_password": "REPLACE_ME"}),
        },
    )
    assert config.share_sources() == ()


def test_filled_secrets_make_both_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN_SECRET", "x")
    monkeypatch.setenv("BLUESKY_SECRET", "b")
    _secrets(
        monkeypatch,
        {
            "x": "token-1",
            "b": json.dumps({"handle": "jobs.acme.example", "app_password": "abcd-efgh-ijkl-mnop"}),
        },
    )
    sources = config.share_sources()
    assert [s.platform for s in sources] == ["x", "bluesky"]
    assert "token-1" not in repr(sources)
    assert "abcd-efgh" not in repr(sources)


def test_local_variables_make_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "t")
    monkeypatch.setenv("BLUESKY_HANDLE", "me.bsky.social")
    assert [s.platform for s in config.share_sources()] == ["x"]
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "pw")
    config.share_sources.cache_clear()
    assert [s.platform for s in config.share_sources()] == ["x", "bluesky"]
