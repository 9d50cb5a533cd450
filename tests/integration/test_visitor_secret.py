"""The visitor hash cannot be reversed from the tables: it is keyed with a secret that is
never stored in them (on AWS a Secrets Manager secret, read once where the redirect is
wired), so the day's salt and the user agent, which are stored, are not enough to try
every address."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import Any

import boto3
import pytest

from infra.local.dispatch import Dispatcher
from infra.local.functions import LocalFunctions
from jobtrail.config import Settings, SettingsError
from jobtrail.handlers import redirect
from tests.fakes.clock import FakeClock
from tests.integration.conftest import JOB, TEST_VISITOR_SECRET, Client, all_items

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ADDRESS = "203.0.113.7"


def _visit(api: Client, slug: str) -> None:
    reply = api.dispatcher.request(
        "GET", f"/{slug}", headers={"user-agent": CHROME}, source_ip=ADDRESS
    )
    assert reply["statusCode"] == 302


def _stored(aws: Any) -> tuple[list[str], str]:
    """From every item of both tables: the visitors of the clicks, and the day's salt."""
    items = all_items(aws)
    visitors = [item["visitor"]["S"] for item in items if "visitor" in item]
    (salt,) = [item["salt"]["S"] for item in items if "salt" in item]
    return visitors, salt


def _message(salt: str, user_agent: str = CHROME) -> bytes:
    return f"{salt}\n{ADDRESS}\n{user_agent}".encode()


def test_a_stored_visitor_cannot_be_recomputed_from_the_tables_alone(api: Client, aws: Any) -> None:
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]
    _visit(api, slug)
    (visitor,), salt = _stored(aws)
    (user_agent,) = [item["user_agent"]["S"] for item in all_items(aws) if "visitor" in item]
    # Everything the tables hold next to the visitor: the day's salt and the user agent;
    # with the address an attacker would try, the salted hash of these (the old visitor)
    # is not the stored visitor, nor is a hash keyed with the salt.
    message = _message(salt, user_agent)
    assert hashlib.sha256(message).hexdigest()[:32] != visitor
    assert hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32] != visitor
    # ...nor is any stored value the key: it is in no item of either table.
    assert TEST_VISITOR_SECRET.decode() not in repr(all_items(aws))
    # With the secret, which only the redirect has, it is.
    keyed = hmac.new(TEST_VISITOR_SECRET, message, hashlib.sha256).hexdigest()[:32]
    assert keyed == visitor


@pytest.mark.settings(visitor_secret=b"another deployment's visitor secret")
def test_another_secret_makes_other_visitors(api: Client, aws: Any) -> None:
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]
    _visit(api, slug)
    (visitor,), salt = _stored(aws)
    assert visitor != hmac.new(TEST_VISITOR_SECRET, _message(salt), hashlib.sha256).hexdigest()[:32]


@pytest.mark.settings(visitor_secret=None)
def test_a_redirect_without_a_visitor_secret_refuses_to_start(functions: LocalFunctions) -> None:
    with pytest.raises(SettingsError, match="VISITOR_SECRET_ARN"):
        functions.invoke("redirect")


SECRET_NAME = "jobtrail/visitor"


def _secret_arn(value: str) -> str:
    """A visitor secret in (moto's) Secrets Manager."""
    client = boto3.client("secretsmanager")
    return str(client.create_secret(Name=SECRET_NAME, SecretString=value)["ARN"])


def _wired(functions: LocalFunctions) -> Client:
    """A client of the redirect wired with other settings, as on another cold start."""
    return Client(Dispatcher(functions), None)


def test_on_aws_the_secret_is_read_once_where_the_redirect_is_wired(
    api: Client, aws: Any, clock: FakeClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]
    arn = _secret_arn("the deployment's generated visitor secret")
    wired = replace(settings, visitor_secret=None, visitor_secret_arn=arn)
    reads: list[str] = []
    read = redirect.read_visitor_secret
    monkeypatch.setattr(redirect, "read_visitor_secret", lambda s: reads.append("read") or read(s))
    functions = LocalFunctions(wired, clock)
    client = _wired(functions)
    for _ in range(3):
        _visit(client, slug)
    visitors, salt = _stored(aws)
    key = b"the deployment's generated visitor secret"
    assert set(visitors) == {hmac.new(key, _message(salt), hashlib.sha256).hexdigest()[:32]}
    assert reads == ["read"]


def test_a_secret_that_cannot_be_read_still_redirects_and_is_asked_for_again(
    api: Client, aws: Any, clock: FakeClock, settings: Settings
) -> None:
    slug = api.post("/api/jobs", JOB).json()["links"][0]["slug"]
    # Named, but not there (yet): Secrets Manager answers ResourceNotFound.
    wired = replace(settings, visitor_secret=None, visitor_secret_arn=SECRET_NAME)
    client = _wired(LocalFunctions(wired, clock))
    _visit(client, slug)  # the visitor still gets the job ad, hashed with a stand-in key
    (stand_in,), salt = _stored(aws)
    # No key anyone could know (not the missing secret's name, not empty).
    assert stand_in != hmac.new(b"", _message(salt), hashlib.sha256).hexdigest()[:32]
    _secret_arn("put in after the fault")
    clock.advance(redirect.SECRET_RETRY_SECONDS)
    _visit(client, slug)
    expected = hmac.new(b"put in after the fault", _message(salt), hashlib.sha256).hexdigest()
    assert expected[:32] in _stored(aws)[0]
