"""Which fetches of a short link are people and which are robots.

For now the rules every robot breaks: a ``HEAD`` (browsers never send one when a person
opens a link) and no user agent at all. The click keeps its user agent, so a fuller
classification can be applied later, off the redirect's hot path.
"""

from __future__ import annotations

HUMAN = "human"
BOT = "bot"


def classify(method: str, user_agent: str | None) -> str:
    if method.upper() == "HEAD" or not (user_agent or "").strip():
        return BOT
    return HUMAN
