from __future__ import annotations

import re

import pytest

from jobtrail.domain.api_keys import bearer_token, hash_api_key, new_api_key
from jobtrail.domain.errors import InvalidInput
from jobtrail.domain.slugs import ALPHABET, RESERVED, check_custom_slug, random_slug


def test_random_slugs_are_short_url_safe_and_unambiguous() -> None:
    slugs = {random_slug() for _ in range(2000)}
    assert len(slugs) == 2000
    for slug in slugs:
        assert re.fullmatch(r"[A-Za-z0-9]{7}", slug)
        assert not set(slug) & set("0Oo1lI")
    assert set("".join(slugs)) == set(ALPHABET)


@pytest.mark.parametrize("slug", [*sorted(RESERVED), "API", "Dashboard", "HEALTH"])
def test_reserved_words_are_never_slugs(slug: str) -> None:
    with pytest.raises(InvalidInput):
        check_custom_slug(slug)


@pytest.mark.parametrize(
    "slug", ["a/b", "/", "..", "%2F", "jöb-ad", "ab", "x" * 65, "with space", "a.b", ""]
)
def test_malformed_custom_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_custom_slug(slug)
    assert refused.value.code == "invalid_slug"


@pytest.mark.parametrize("slug", ["abc", "webdev-li", "Anna_2026", "x" * 64])
def test_good_custom_slugs_are_kept(slug: str) -> None:
    assert check_custom_slug(slug) == slug


def test_api_keys_are_random_and_stored_as_a_hash_that_hides_them() -> None:
    key = new_api_key()
    assert key.startswith("jt_")
    assert len(key) >= 3 + 43  # 256 bits in URL-safe base64
    assert new_api_key() != key
    assert hash_api_key(key) == hash_api_key(key)
    assert key[3:] not in hash_api_key(key)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_is_read_from_the_authorization_header(
    header: str | None, token: str | None
) -> None:
    assert bearer_token(header) == token
