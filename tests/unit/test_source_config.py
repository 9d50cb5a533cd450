"""Which share sources run: a network whose credentials are missing, or still the stack's
placeholder, is skipped (and the poller says why, once) instead of failing every run; a
secret filled in later is used by a warm function once its cached value is old enough."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from jobtrail.sources.base import RequestBudget, SourceUnavailable
from jobtrail.sources.config import Notice, ShareSources

NAMES = (
    "X_BEARER_TOKEN",
    "X_BEARER_TOKEN_SECRET",
    "BLUESKY_SECRET",
    "BLUESKY_HANDLE",
    "BLUESKY_APP_PASSWORD",
)
BUDGET = RequestBudget(1)
PLACEHOLDER_LOGIN = json.dumps({"handle": "REPLACE_ME", "app_password": "REPLACE_ME"})


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    # Powertools keeps read secrets in a cache of the process: none from another test.
    parameters.clear_caches()
    yield
    parameters.clear_caches()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Secrets Manager (moto) holding the two secrets as the stack creates them, named in
    the poller's variables by ARN, as on AWS."""
    with mock_aws():
        client = boto3.client("secretsmanager")
        x = client.create_secret(Name="Jobtrail/x-bearer-token", SecretString="REPLACE_ME")
        bluesky = client.create_secret(
            Name="Jobtrail/bluesky-login", SecretString=PLACEHOLDER_LOGIN
        )
        monkeypatch.setenv("X_BEARER_TOKEN_SECRET", x["ARN"])
        monkeypatch.setenv("BLUESKY_SECRET", bluesky["ARN"])
        yield client


def _platforms(sources: ShareSources) -> list[str]:
    return [source.platform for source in sources()]


def test_no_credentials_no_sources_and_it_says_why() -> None:
    # When the sources are read without any credentials
    sources, notices = ShareSources().read()
    # Then none is polled, and each network's line names the variables to set
    assert sources == ()
    assert notices == [
        Notice("x", "X polling is off: X_BEARER_TOKEN is not set.", off=True),
        Notice(
            "bluesky",
            "Bluesky polling is off: BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are not set.",
            off=True,
        ),
    ]


def test_placeholder_secrets_are_skipped_and_said_once(secrets: Any) -> None:
    # Given the secrets as the stack made them
    sources = ShareSources()
    # When the poller runs twice
    first, said_first = sources.read()
    second, said_second = sources.read()
    # Then both networks are off, said on the first run only, naming the secret
    assert first == second == ()
    assert [n.message for n in said_first] == [
        "X polling is off: the secret Jobtrail/x-bearer-token holds no bearer token yet.",
        "Bluesky polling is off: the secret Jobtrail/bluesky-login holds no handle and app "
        "password yet.",
    ]
    assert said_second == []


def test_the_off_lines_are_logged(secrets: Any, caplog: pytest.LogCaptureFixture) -> None:
    # When the poller reads its sources
    ShareSources()()
    # Then each network that is off has one warning line in the function's log
    lines = [r for r in caplog.records if "polling is off" in r.getMessage()]
    assert [(r.levelname, r.platform) for r in lines] == [("WARNING", "x"), ("WARNING", "bluesky")]
    assert lines[0].getMessage().startswith("X polling is off: the secret Jobtrail/x-bearer-token")


def test_a_secret_filled_in_later_is_used_once_its_cached_value_is_old_enough(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a warm poller that read the placeholder, with secrets kept for no time at all
    sources = ShareSources(secret_max_age_seconds=0)
    assert _platforms(sources) == []
    # When the company puts the token in
    secrets.put_secret_value(SecretId="Jobtrail/x-bearer-token", SecretString="token-1")
    # Then the next run polls X, and says so
    now, notices = sources.read()
    assert [s.platform for s in now] == ["x"]
    assert notices == [Notice("x", "X polling is on.", off=False)]


def test_a_secret_is_read_again_only_after_its_max_age(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a warm poller that read the placeholder, with secrets kept five minutes
    sources = ShareSources(secret_max_age_seconds=300)
    assert _platforms(sources) == []
    # When the token is put in, and the poller runs again within the five minutes
    secrets.put_secret_value(SecretId="Jobtrail/x-bearer-token", SecretString="token-1")
    # Then it still uses what it read (a run costs no Secrets Manager call)
    assert _platforms(sources) == []


def test_filled_secrets_make_both_sources_kept_across_runs(secrets: Any) -> None:
    # Given both secrets filled in
    secrets.put_secret_value(SecretId="Jobtrail/x-bearer-token", SecretString="token-1")
    secrets.put_secret_value(
        SecretId="Jobtrail/bluesky-login",
        SecretString=json.dumps(
            {"handle": "jobs.acme.example", "app_password": "abcd-efgh-ijkl-mnop"}
        ),
    )
    sources = ShareSources()
    # When the poller runs twice
    first, second = sources(), sources()
    # Then both networks are polled, by the same sources (their sessions and limits kept)
    assert [s.platform for s in first] == ["x", "bluesky"]
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert "token-1" not in repr(first)
    assert "abcd-efgh" not in repr(first)


def test_a_bluesky_secret_that_is_not_json_is_off_with_the_reason(secrets: Any) -> None:
    secrets.put_secret_value(SecretId="Jobtrail/bluesky-login", SecretString="abcd-efgh")
    sources, notices = ShareSources().read()
    assert sources == ()
    assert notices[1].message == (
        'Bluesky polling is off: the secret Jobtrail/bluesky-login is not JSON like {"handle": '
        '..., "app_password": ...}.'
    )


def test_a_secret_that_cannot_be_read_fails_only_its_network(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an X secret that is gone, and a Bluesky login in the environment
    secrets.delete_secret(SecretId="Jobtrail/x-bearer-token", ForceDeleteWithoutRecovery=True)
    monkeypatch.delenv("BLUESKY_SECRET")
    monkeypatch.setenv("BLUESKY_HANDLE", "me.bsky.social")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "pw")
    # When the sources are read
    x, bluesky = ShareSources()()
    # Then Bluesky is polled, and X's run will fail saying which secret it could not read
    assert bluesky.platform == "bluesky"
    with pytest.raises(SourceUnavailable, match="secret Jobtrail/x-bearer-token could not be"):
        x.search("jt.example", since_id=None, start_time=None, next_token=None, budget=BUDGET)


def test_local_variables_make_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = ShareSources()
    monkeypatch.setenv("X_BEARER_TOKEN", "t")
    monkeypatch.setenv("BLUESKY_HANDLE", "me.bsky.social")
    assert _platforms(sources) == ["x"]
    assert sources.read()[1] == []  # Bluesky's reason did not change: not said again
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "pw")
    assert _platforms(sources) == ["x", "bluesky"]
