"""A job's campaign: the readable name its links give Google Analytics and the like as
``utm_campaign``. Set by hand, or made from the title ("Webbutvecklare Göteborg" gives
``webbutvecklare-goteborg-k3f9``)."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

MAX_LENGTH = 64
STEM_LENGTH = 40  # a made campaign's words, before its suffix
SUFFIX_LENGTH = 4
FALLBACK_STEM = "job"
PATTERN = r"^[a-z0-9-]{1,64}$"
RULE = "A campaign is 1 to 64 lowercase letters, digits or '-', e.g. webbutvecklare-2027."

_VALID = re.compile(PATTERN)
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
# Letters that Unicode does not decompose into a base letter and an accent.
SPELLED_OUT = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "þ": "th", "ł": "l"}
)


def is_campaign(value: str) -> bool:
    return _VALID.fullmatch(value) is not None


def stem(title: str) -> str:
    """The title as lowercase ASCII words joined by ``-``: accents dropped (``å`` and ``ä``
    to ``a``, ``ö`` and ``ø`` to ``o``, ``é`` to ``e``, ``æ`` to ``ae``), anything else
    separates words, cut at a word boundary to at most 40 characters; ``job`` if no word
    is left."""
    spelled = title.lower().translate(SPELLED_OUT)
    ascii_only = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_only)
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > STEM_LENGTH:
            break
        kept.append(word)
    if not kept and words:
        # One word longer than the stem: cut it rather than lose the title.
        kept = [words[0][:STEM_LENGTH]]
    return "-".join(kept) or FALLBACK_STEM


def with_suffix(campaign_stem: str) -> str:
    """A candidate default campaign: the stem, ``-`` and 4 random letters or digits (the
    store claims it so that it is unique in the workspace, and a taken one is drawn
    again)."""
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{campaign_stem}-{suffix}"
