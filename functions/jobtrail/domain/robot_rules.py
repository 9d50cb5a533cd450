"""The patterns :mod:`jobtrail.domain.robots` applies, kept apart from the order it applies them.

Everything here is matched case-insensitively against the user agent (or, for the e-mail link
scanners, the referrer's host). Each list says why its entries are there; the maintained
database (``crawlerdetect``) catches the rest of the robots.
"""

from __future__ import annotations

import re

# Link-preview fetchers, in the order they are tried: the first match names the platform.
# Order matters twice: Apple's fetcher (iMessage) names both Facebook's and X's bot, and
# Telegram's says "TelegramBot (like TwitterBot)", so both go before X and Facebook.
PREVIEW_FETCHERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (platform, re.compile(pattern, re.IGNORECASE))
    for platform, pattern in (
        ("imessage", r"^(?=.*facebookexternalhit)(?=.*twitterbot)"),
        ("telegram", r"\bTelegramBot\b"),
        ("x", r"\bTwitterbot\b"),
        # The fetcher also names Apache-HttpClient (or Jakarta Commons-HttpClient): previews
        # are tried before the HTTP libraries for that reason.
        ("linkedin", r"\bLinkedInBot\b"),
        # Facebook, Messenger and Instagram all unfurl with facebookexternalhit. Meta's other
        # agents (meta-externalagent, meta-externalfetcher, facebookcatalog) crawl for AI,
        # search or shops, not because someone shared the link: they are plain robots.
        ("facebook", r"facebookexternalhit|\bFacebot\b"),
        ("slack", r"Slackbot-LinkExpanding|Slack-ImgProxy|\bSlackbot\b"),
        ("discord", r"\bDiscordbot\b"),
        # Sent by the sender's phone or desktop app ("WhatsApp/2.23.20.0 A"). Anchored: the
        # WhatsApp desktop app's own web view carries "WhatsApp/" in the middle of a Chrome
        # agent, and that is not the preview fetcher.
        ("whatsapp", r"^WhatsApp/"),
        # Every Mastodon server fetches its own previews: "http.rb/5.1.1 (Mastodon/4.2.1;
        # +https://<server>/)", with " Bot" appended by newer versions; forks add "+glitch".
        ("mastodon", r"\bMastodon/\d"),
        # crawlerdetect does not know Bluesky's card fetcher at all.
        ("bluesky", r"\bCardyb\b"),
    )
)

# HTTP libraries and command-line clients: a person's browser never sends these. Most are in
# crawlerdetect too; listing them keeps them robots whatever a database update does, and adds
# the ones it misses (Deno, Bun). A name must start a token and be followed by its version
# ("curl/8.5.0") or end the agent ("node-fetch").
HTTP_LIBRARIES = re.compile(
    r"(?<![\w.-])(?:"
    + "|".join(
        (
            r"curl",
            r"Wget",
            r"python-requests",
            r"Python-urllib",
            r"python-httpx",
            r"httpx",
            r"aiohttp",
            r"urllib3",
            r"Go-http-client",
            r"okhttp",
            r"Java",
            r"Apache-HttpClient",
            r"Apache-HttpAsyncClient",
            r"Jakarta Commons-HttpClient",
            r"node-fetch",
            r"undici",
            r"node",  # Node's built-in fetch from Node 20 on
            r"axios",
            r"libwww-perl",
            r"LWP::Simple",
            r"PostmanRuntime",
            r"insomnia",
            r"HTTPie",
            r"GuzzleHttp",
            r"Faraday v",
            r"Ruby",
            r"http\.rb",
            r"Dart",
            r"Deno",
            r"Bun",
            r"reqwest",
            r"Scrapy",
            r"PowerShell",
            r"WindowsPowerShell",
            r"WinHttp",
        )
    )
    + r")(?:/|\d|$)",
    re.IGNORECASE,
)

# Agents of e-mail security scanners and mail clients that fetch a link before (or besides)
# the person's browser: Office's "does this link exist" check when a link is clicked in
# Outlook or Word, then the browser's own GET follows; Barracuda's scanner. Most scanners
# pose as a browser, so the referrer is the better signal (below).
MAIL_SCANNER_AGENTS = re.compile(
    r"ms-office|MSOffice \d|Microsoft Office|Microsoft Outlook|Barracuda Sentinel",
    re.IGNORECASE,
)

# Referrer hosts of e-mail link scanners: the fetch comes from the scanner's rewritten link.
# A host matches itself and its subdomains (nam02.safelinks.protection.outlook.com).
MAIL_SCANNER_HOSTS: tuple[str, ...] = (
    "urldefense.com",  # Proofpoint URL Defense v3
    "urldefense.proofpoint.com",  # Proofpoint URL Defense v1/v2
    "urldefense.us",  # Proofpoint, US public sector
    "safelinks.protection.outlook.com",  # Microsoft Defender for Office 365 Safe Links
    "linkprotect.cudasvc.com",  # Barracuda Link Protection
)
# Mimecast rewrites through several domains (protect-eu.mimecast.com, *.mimecastprotect.com):
# any host that names it.
MAIL_SCANNER_HOST_WORDS: tuple[str, ...] = ("mimecast",)
# Deliberately absent: statics.teams.cdn.office.net. It is the Teams client's own asset host,
# and Teams' Safe Links page that opens a clicked link runs there in the person's browser, so
# people clicking a link in Teams carry it as their referrer. Teams' own unfurl fetcher
# (SkypeUriPreview) is caught by its agent.

# Human in-app browsers: the web views of the X, LinkedIn, Facebook/Messenger and Instagram
# apps. Checked before crawlerdetect so that no database update can turn the people who click
# inside those apps into robots ("LinkedIn", "Twitter" and "Facebook" all name robots too).
# Only a real web view qualifies: "Mozilla/5.0 (" ... "AppleWebKit/".
IN_APP_BROWSERS = re.compile(
    r"^Mozilla/5\.0 \(.*AppleWebKit/.*"
    r"(?:Twitter for iPhone|TwitterAndroid|\[LinkedInApp\]|\[FBAN/|\[FB_IAB/|FBAV/|Instagram \d)",
)
