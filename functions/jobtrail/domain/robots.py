"""Which fetches of a short link are people, which are robots, and which are link previews.

A link preview is the platform fetching the link because someone just posted it there, so it
is classed per platform (``preview:x``, ``preview:linkedin``...) and counted apart; it is a
robot too. Everything else is a person unless a rule or the maintained user-agent database
(``crawlerdetect``) says robot. The rules, in order (first match wins):

1. A known link-preview fetcher: ``preview:<platform>``, whatever the method (a preview's
   ``HEAD`` is still a sign the link was just posted).
2. ``HEAD`` (browsers never send one when a person opens a link), or no user agent: robot.
3. An HTTP library or command-line client: robot.
4. An e-mail link scanner, by its referrer host or its agent: robot.
5. Human in-app browsers (X, LinkedIn, Facebook, Instagram) are people, whatever step 6 says.
6. Listed by crawlerdetect: robot. Otherwise a person.

crawlerdetect tries ~1,400 patterns in one regular expression (0.05-10 ms a string, and 30-100 ms
to compile it on first use), so the part that depends on the user agent alone is
cached: the same few agents come back again and again. That is too slow for the redirect's
hot path; classify from the stored click, in the aggregator.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from jobtrail.domain import robot_rules as rules

HUMAN = "human"
BOT = "bot"
PREVIEW_PREFIX = "preview:"
PREVIEW_PLATFORMS = (
    "x",
    "linkedin",
    "facebook",
    "slack",
    "discord",
    "telegram",
    "whatsapp",
    "mastodon",
    "bluesky",
    "imessage",
)

_AGENT_CACHE_SIZE = 4096


def first_glance(method: str, user_agent: str | None) -> str:
    """The redirect's own, instant class: only what no person's browser does (a ``HEAD``,
    no user agent). ``classify`` decides for the counters, later, in the aggregator."""
    if method.strip().upper() == "HEAD" or not (user_agent or "").strip():
        return BOT
    return HUMAN


def classify(method: str, user_agent: str | None, referrer_host: str | None = None) -> str:
    """``"human"``, ``"bot"`` or ``"preview:<platform>"`` for one fetch of a link."""
    agent_class = _classify_agent(user_agent or "")
    if agent_class.startswith(PREVIEW_PREFIX):
        return agent_class
    if method.strip().upper() == "HEAD" or _is_mail_scanner_host(referrer_host):
        return BOT
    return agent_class


def _preview_platform(agent: str) -> str | None:
    for platform, pattern in rules.PREVIEW_FETCHERS:
        if pattern.search(agent):
            return platform
    return None


@functools.lru_cache(maxsize=_AGENT_CACHE_SIZE)
def _classify_agent(user_agent: str) -> str:
    """Everything that depends on the user agent alone: cached, as agents repeat a lot."""
    agent = user_agent.strip()
    if not agent:
        return BOT
    platform = _preview_platform(agent)
    if platform is not None:
        return PREVIEW_PREFIX + platform
    if rules.HTTP_LIBRARIES.search(agent) or rules.MAIL_SCANNER_AGENTS.search(agent):
        return BOT
    if rules.IN_APP_BROWSERS.search(agent):
        return HUMAN
    return BOT if _is_listed_crawler(agent) else HUMAN


def _is_mail_scanner_host(referrer_host: str | None) -> bool:
    host = _host_only(referrer_host)
    if not host:
        return False
    if any(word in host for word in rules.MAIL_SCANNER_HOST_WORDS):
        return True
    return any(host == domain or host.endswith("." + domain) for domain in rules.MAIL_SCANNER_HOSTS)


def _host_only(referrer_host: str | None) -> str:
    """The bare lower-case host, also from a full referrer URL or a ``host:port``."""
    value = (referrer_host or "").strip()
    if not value:
        return ""
    try:
        host = urlsplit(value if "//" in value else "//" + value).hostname
    except ValueError:  # an unparseable referrer names no scanner
        return ""
    return (host or "").rstrip(".")


@functools.cache
def _detector() -> Any:
    # One shared instance, built on first use. Sharing it is safe: ``is_crawler`` computes its
    # answer from the pattern alone; the only state it writes is the last match, which is
    # never read here (``get_matches`` would be racy across threads).
    # Imported here, not at the top: the redirect imports this module for ``first_glance``
    # and must not pay for the database it never uses.
    from crawlerdetect import CrawlerDetect  # type: ignore[import-untyped]  # no type hints

    return CrawlerDetect()


def _is_listed_crawler(user_agent: str) -> bool:
    return bool(_detector().is_crawler(user_agent))
