"""Settings parsed once, a clock given, a cache that forgets on that clock."""

from __future__ import annotations

import pytest

from jobtrail.cache import TtlCache
from jobtrail.config import Settings, SettingsError
from tests.fakes.clock import FakeClock


def test_settings_come_from_the_environment_given() -> None:
    settings = Settings.from_env(
        {
            "SHORT_BASE_URL": "https://JT.example/",
            "CLICK_RETENTION_DAYS": "30",
            "MAIN_TABLE_NAME": "acme-main",
        }
    )
    assert settings.short_base_url == "https://JT.example"
    assert settings.short_host == "jt.example"
    assert settings.click_retention_days == 30
    assert (settings.main_table, settings.events_table) == ("acme-main", "jobtrail-events")


@pytest.mark.parametrize(
    ("env", "secret"),
    [({}, None), ({"ORIGIN_SECRET": ""}, None), ({"ORIGIN_SECRET": "from-cdn"}, "from-cdn")],
)
def test_the_origin_secret_is_set_only_by_a_value(env: dict[str, str], secret: str | None) -> None:
    # An empty ORIGIN_SECRET must not make an empty header the proof of CloudFront
    assert Settings.from_env(env).origin_secret == secret


def test_a_deleted_key_is_trusted_at_most_a_minute_by_default() -> None:
    assert Settings.from_env({}).key_cache_seconds == 60
    assert Settings.from_env({"KEY_CACHE_SECONDS": "2"}).key_cache_seconds == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CLICK_RETENTION_DAYS": "a year"},
            "CLICK_RETENTION_DAYS must be a number, not 'a year'.",
        ),
        ({"CLICK_RETENTION_DAYS": "0"}, "CLICK_RETENTION_DAYS must be at least 1, not 0."),
        ({"SLUG_CACHE_SECONDS": "-5"}, "SLUG_CACHE_SECONDS must be at least 0, not -5."),
        ({"KEY_CACHE_SECONDS": "90"}, "KEY_CACHE_SECONDS must be at most 60, not 90."),
        ({"KEY_CACHE_SECONDS": "-1"}, "KEY_CACHE_SECONDS must be at least 0, not -1."),
    ],
)
def test_a_setting_that_cannot_be_used_says_which_and_why(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert str(raised.value) == message


def test_a_cached_value_is_read_again_once_its_time_is_up() -> None:
    clock = FakeClock()
    cache: TtlCache[str] = TtlCache(clock.monotonic)
    loads: list[str] = []

    def load() -> str:
        loads.append("x")
        return f"value {len(loads)}"

    assert cache.get("k", load, lambda _: 60) == "value 1"
    clock.advance(59)
    assert cache.get("k", load, lambda _: 60) == "value 1"
    clock.advance(2)
    assert cache.get("k", load, lambda _: 60) == "value 2"


def test_a_value_without_a_time_to_live_is_not_kept() -> None:
    cache: TtlCache[str | None] = TtlCache(FakeClock().monotonic)
    loads: list[None] = []
    for _ in range(3):
        cache.get("missing", lambda: loads.append(None), lambda value: None)
    assert len(loads) == 3
    assert len(cache) == 0


def test_a_full_cache_starts_over_rather_than_grow() -> None:
    cache: TtlCache[int] = TtlCache(FakeClock().monotonic, max_entries=3)
    for n in range(10):
        cache.get(str(n), lambda n=n: n, lambda _: 60)
    assert len(cache) <= 3
