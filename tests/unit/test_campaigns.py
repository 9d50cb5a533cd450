"""A campaign made from a job's title: readable in Google Analytics, whatever the title."""

from __future__ import annotations

import re

import pytest

from jobtrail.domain import campaigns


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Webbutvecklare Göteborg", "webbutvecklare-goteborg"),
        ("Systemutvecklare i Västerås & Örebro", "systemutvecklare-i-vasteras-orebro"),
        ("Ærø Fisk søger kok", "aero-fisk-soger-kok"),
        ("Café-ägare (deltid) 50%", "cafe-agare-deltid-50"),
        ("Señor Développeur Straße", "senor-developpeur-strasse"),
        ("  ---  ", "job"),
        ("数据工程师", "job"),
    ],
)
def test_a_title_becomes_lowercase_ascii_words(title: str, stem: str) -> None:
    assert campaigns.stem(title) == stem


def test_a_long_title_is_cut_at_a_word_boundary() -> None:
    stem = campaigns.stem("Senior backend developer for payments and risk in Stockholm")
    assert stem == "senior-backend-developer-for-payments"
    assert len(stem) <= campaigns.STEM_LENGTH


def test_one_word_longer_than_the_stem_is_cut_rather_than_lost() -> None:
    assert campaigns.stem("a" * 50) == "a" * campaigns.STEM_LENGTH


def test_a_default_campaign_is_the_stem_and_four_letters_or_digits() -> None:
    made = {campaigns.with_suffix("data-engineer") for _ in range(50)}
    assert all(re.fullmatch(r"data-engineer-[a-z0-9]{4}", c) for c in made)
    assert all(campaigns.is_campaign(c) for c in made)
    assert len(made) > 40  # drawn at random, not counted up


@pytest.mark.parametrize("campaign", ["a", "spring-2027", "x" * 64])
def test_campaigns_within_the_rule(campaign: str) -> None:
    assert campaigns.is_campaign(campaign)


@pytest.mark.parametrize("campaign", ["", "x" * 65, "Spring", "spring 2027", "vår", "a_b"])
def test_campaigns_outside_the_rule(campaign: str) -> None:
    assert not campaigns.is_campaign(campaign)
