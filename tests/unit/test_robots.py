"""Robot classification: people, robots and link previews per platform, from real user agents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobtrail.domain import robot_rules, robots
from jobtrail.domain.robots import BOT, HUMAN, PREVIEW_PLATFORMS, classify

# Link-preview fetchers as the platforms send them.
PREVIEWS = [
    pytest.param(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
        "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "imessage",
        id="imessage",
    ),
    pytest.param("Twitterbot/1.0", "x", id="x-twitterbot"),
    pytest.param(
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "linkedin",
        id="linkedin-names-an-http-library",
    ),
    pytest.param(
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Jakarta Commons-HttpClient/3.1 "
        "+http://www.linkedin.com)",
        "linkedin",
        id="linkedin-older",
    ),
    pytest.param(
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebook",
        id="facebook-externalhit",
    ),
    pytest.param("facebookexternalhit/1.1", "facebook", id="facebook-externalhit-bare"),
    pytest.param("Facebot", "facebook", id="facebook-facebot"),
    pytest.param(
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "slack", id="slack-expanding"
    ),
    pytest.param("Slack-ImgProxy (+https://api.slack.com/robots)", "slack", id="slack-imgproxy"),
    pytest.param("Slackbot 1.0 (+https://api.slack.com/robots)", "slack", id="slackbot"),
    pytest.param(
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "discord", id="discord"
    ),
    pytest.param("TelegramBot (like TwitterBot)", "telegram", id="telegram-names-twitterbot"),
    pytest.param("WhatsApp/2.23.20.0", "whatsapp", id="whatsapp"),
    pytest.param("WhatsApp/2.21.12.21 A", "whatsapp", id="whatsapp-android"),
    pytest.param(
        "http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/)", "mastodon", id="mastodon"
    ),
    pytest.param(
        "http.rb/5.1.0 (Mastodon/4.0.2; +https://freiburg.social/) Bot",
        "mastodon",
        id="mastodon-link-card-bot",
    ),
    pytest.param(
        "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
        "bluesky",
        id="bluesky-cardyb",
    ),
]

# People's browsers: desktop and mobile, then the in-app browsers of the platforms jobs are
# shared on (the app's name is in the agent, and must not make a robot of the person).
PEOPLE = [
    pytest.param(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        id="chrome-windows",
    ),
    pytest.param(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        id="edge-windows",
    ),
    pytest.param(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        id="firefox-windows",
    ),
    pytest.param(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        id="safari-macos",
    ),
    pytest.param(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        id="chrome-macos",
    ),
    pytest.param(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        id="chrome-linux",
    ),
    pytest.param(
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        id="firefox-ubuntu",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
        id="safari-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        id="chrome-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        id="chrome-android",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        id="samsung-internet",
    ),
    pytest.param(
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        id="firefox-android",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.50",
        id="in-app-x-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240705.005; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 TwitterAndroid",
        id="in-app-x-android",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.34.2089",
        id="in-app-linkedin-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/129.0.6668.81 Mobile Safari/537.36 [LinkedInApp]/4.1.1010",
        id="in-app-linkedin-android",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;"
        "FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]",
        id="in-app-facebook-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
        "[FB_IAB/FB4A;FBAV/466.1.0.57.85;]",
        id="in-app-facebook-android",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Instagram 339.0.3.12.91 (iPhone13,2; iOS 17_5_1; "
        "en_US; en; scale=3.00; 1170x2532; 620396543; IABMV/1)",
        id="in-app-instagram-iphone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; SM-S928B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.146 Mobile Safari/537.36 "
        "Instagram 349.1.0.44.106 Android (34/14; 480dpi; 1080x2340; samsung; SM-S928B; e3q; "
        "qcom; de_DE; 640412617)",
        id="in-app-instagram-android",
    ),
]
IN_APP = [person for person in PEOPLE if str(person.id).startswith("in-app-")]
CHROME = str(PEOPLE[0].values[0])

HTTP_LIBRARIES = [
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "Python-urllib/3.11",
    "Python/3.11 aiohttp/3.9.5",
    "python-httpx/0.27.0",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "Java/17.0.9",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "node",
    "axios/1.7.2",
    "libwww-perl/6.72",
    "PostmanRuntime/7.39.0",
    "HTTPie/3.2.2",
    "Deno/1.40.0",
    "Bun/1.1.0",
    "http.rb/5.2.0",
    "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.0",
]

CRAWLERS = [
    pytest.param(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", id="googlebot"
    ),
    pytest.param(
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36",
        id="googlebot-chrome",
    ),
    pytest.param(
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", id="bingbot"
    ),
    pytest.param(
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", id="ahrefsbot"
    ),
    pytest.param(
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
        id="gptbot",
    ),
    # Meta's AI crawler is no sign that anyone shared the link: a robot, not a preview.
    pytest.param(
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
        id="meta-externalagent",
    ),
    # Teams and Skype unfurl links too, but Teams is no platform the stats track.
    pytest.param(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/103.0.5060.134 Safari/537.36 SkypeUriPreview Preview/0.5 "
        "skype-url-preview@microsoft.com",
        id="teams-skype-preview",
    ),
    pytest.param(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.6099.28 Safari/537.36",
        id="headless-chrome",
    ),
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Classifications are cached per agent: no test may see another's (or a patched) answer.
    robots._classify_agent.cache_clear()
    yield
    robots._classify_agent.cache_clear()


@pytest.mark.parametrize(("agent", "platform"), PREVIEWS)
def test_link_preview_fetchers_are_classed_per_platform(agent: str, platform: str) -> None:
    assert classify("GET", agent) == f"preview:{platform}"


@pytest.mark.parametrize(("agent", "platform"), PREVIEWS)
def test_a_preview_fetchers_head_is_still_a_preview(agent: str, platform: str) -> None:
    assert classify("HEAD", agent) == f"preview:{platform}"


def test_every_platform_the_stats_name_has_its_fetcher_here() -> None:
    # Given the fetchers above
    seen = {str(param.values[1]) for param in PREVIEWS}
    # Then they cover exactly the platforms the stats report, and so do the rules
    assert seen == set(PREVIEW_PLATFORMS)
    assert {platform for platform, _ in robot_rules.PREVIEW_FETCHERS} == set(PREVIEW_PLATFORMS)


@pytest.mark.parametrize("agent", PEOPLE)
def test_peoples_browsers_are_human(agent: str) -> None:
    assert classify("GET", agent) == HUMAN


@pytest.mark.parametrize("agent", PEOPLE)
def test_peoples_browsers_stay_human_with_an_ordinary_referrer(agent: str) -> None:
    assert classify("GET", agent, "www.linkedin.com") == HUMAN


@pytest.mark.parametrize("agent", IN_APP)
def test_in_app_browsers_stay_human_whatever_the_database_says(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a database update that would list every agent as a crawler
    monkeypatch.setattr(robots, "_is_listed_crawler", lambda _agent: True)
    assert classify("GET", CHROME) == BOT
    # When a person clicks inside the X, LinkedIn, Facebook or Instagram app
    # Then they are still a person
    assert classify("GET", agent) == HUMAN


@pytest.mark.parametrize(
    ("method", "agent"),
    [
        ("HEAD", CHROME),
        ("head", CHROME),
        ("GET", None),
        ("GET", ""),
        ("GET", "   "),
        ("HEAD", None),
    ],
)
def test_heads_and_empty_agents_are_robots(method: str, agent: str | None) -> None:
    assert classify(method, agent) == BOT


@pytest.mark.parametrize("agent", HTTP_LIBRARIES)
def test_http_libraries_are_robots(agent: str) -> None:
    assert classify("GET", agent) == BOT


@pytest.mark.parametrize("agent", HTTP_LIBRARIES)
def test_http_libraries_are_robots_without_the_database(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a database that no longer lists any HTTP library
    monkeypatch.setattr(robots, "_is_listed_crawler", lambda _agent: False)
    # Then the rules still know them
    assert classify("GET", agent) == BOT


@pytest.mark.parametrize(
    "referrer",
    [
        pytest.param("protect-eu.mimecast.com", id="mimecast-eu"),
        pytest.param("protect-us.mimecast.com", id="mimecast-us"),
        pytest.param("url.uk.m.mimecastprotect.com", id="mimecast-protect"),
        pytest.param("urldefense.com", id="proofpoint-v3"),
        pytest.param("urldefense.proofpoint.com", id="proofpoint-v2"),
        pytest.param("nam02.safelinks.protection.outlook.com", id="microsoft-safe-links"),
        pytest.param("EUR03.SafeLinks.Protection.Outlook.com.", id="safe-links-any-case"),
        pytest.param("linkprotect.cudasvc.com", id="barracuda"),
        pytest.param(
            "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fjt.example%2Fab",
            id="a-whole-referrer-url",
        ),
    ],
)
def test_email_link_scanners_are_robots_by_referrer(referrer: str) -> None:
    # Given a scanner posing as a person's browser: only its referrer gives it away
    assert classify("GET", CHROME) == HUMAN
    assert classify("GET", CHROME, referrer) == BOT


@pytest.mark.parametrize(
    "referrer",
    [
        pytest.param("statics.teams.cdn.office.net", id="teams-client-people-click-from"),
        pytest.param("urldefense.com.example.org", id="lookalike-prefix"),
        pytest.param("myurldefense.com", id="lookalike-suffix"),
        pytest.param("outlook.office.com", id="outlook-web"),
        pytest.param("t.co", id="x-shortener"),
        pytest.param("", id="empty"),
        pytest.param("http://[broken", id="unparseable"),
    ],
)
def test_other_referrers_leave_people_human(referrer: str) -> None:
    assert classify("GET", CHROME, referrer) == HUMAN


@pytest.mark.parametrize(
    "agent",
    [
        pytest.param("Barracuda Sentinel (EE)", id="barracuda-sentinel"),
        pytest.param("Mozilla/4.0 (compatible; ms-office; MSOffice 16)", id="office-link-check"),
        pytest.param(
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; "
            ".NET4.0E; .NET CLR 2.0.50727; .NET CLR 3.0.30729; .NET CLR 3.5.30729; "
            "Microsoft Outlook 16.0.9126; ms-office; MSOffice 16)",
            id="outlook-desktop",
        ),
        pytest.param("Microsoft Office Existence Discovery", id="office-existence-discovery"),
    ],
)
def test_email_scanners_and_mail_clients_are_robots_by_agent(agent: str) -> None:
    assert classify("GET", agent) == BOT


@pytest.mark.parametrize(("agent", "platform"), PREVIEWS)
def test_a_preview_is_a_preview_whatever_its_referrer(agent: str, platform: str) -> None:
    assert classify("GET", agent, "urldefense.com") == f"preview:{platform}"


@pytest.mark.parametrize("agent", CRAWLERS)
def test_crawlers_are_robots(agent: str) -> None:
    assert classify("GET", agent) == BOT


def test_whatsapps_desktop_web_view_is_not_its_preview_fetcher() -> None:
    # The desktop app's own Chrome names WhatsApp mid-agent; only the fetcher starts with it
    agent = (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "WhatsApp/2.2433.8 Chrome/120.0.0.0 Safari/537.36"
    )
    assert not classify("GET", agent).startswith(robots.PREVIEW_PREFIX)


def test_an_agent_is_looked_up_in_the_database_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a database that counts its lookups
    lookups: list[str] = []

    def listed(agent: str) -> bool:
        lookups.append(agent)
        return False

    monkeypatch.setattr(robots, "_is_listed_crawler", listed)
    # When the same person clicks three times, once with a referrer
    answers = {
        classify("GET", CHROME),
        classify("GET", CHROME),
        classify("GET", CHROME, "www.google.com"),
    }
    # Then the agent was looked up once
    assert answers == {HUMAN}
    assert lookups == [CHROME]
