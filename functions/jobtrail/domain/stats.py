"""Job and channel statistics, assembled from counters (never from clicks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jobtrail.domain.counters import NONE, OTHER
from jobtrail.domain.errors import DomainError

DEFAULT_DAYS = 30
MAX_DAYS = 400  # the click retention: older days have nothing left to count

Row = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            f"'{name}' must be a date like 2026-11-25.", code="invalid_range"
        ) from None


def day_range(first: str | None, last: str | None, *, today: date) -> DayRange:
    """``?from=&to=``: by default the last 30 days up to today (UTC)."""
    last_day = _day(last, "to") if last else today
    first_day = _day(first, "from") if first else last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise DomainError("'from' is after 'to'.", code="invalid_range")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise DomainError(f"Ask for at most {MAX_DAYS} days at a time.", code="invalid_range")
    return DayRange(first_day, last_day)


# How the long tail of a day's referrers or countries (beyond ``TAIL_LIMIT`` values of a
# day, ``domain.counters``) is listed: a row of its own, named so that no host or country
# code can be taken for it.
OTHER_SHOWN = "(other)"


def _shown(key: str, none_as_null: bool) -> str | None:
    if none_as_null and key == NONE:
        return None
    return OTHER_SHOWN if key == OTHER else key


def _listed(
    totals: dict[str, dict[str, int]],
    label: str,
    names: tuple[str, ...],
    *,
    none_as_null: bool = True,
) -> list[dict[str, Any]]:
    rows = [
        {
            label: _shown(key, none_as_null),
            **{name: counts.get(name, 0) for name in names},
        }
        for key, counts in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r.get("human", 0), -r.get("bots", 0), str(r[label])))


# What by_link and by_sharer list: clicks, and the conversions credited to them.
CONVERTED = ("human", "bots", "applications", "hires")


def job_stats(
    job_id: str,
    days: DayRange,
    counters: Iterable[Row],
    links: Mapping[str, tuple[str, str | None, str | None]],
) -> dict[str, Any]:
    """``GET /api/jobs/{job_id}/stats`` from the job's counters whose days are exactly the
    range (spans of days, ``domain.spans.reading``): totals per day as
    ``all|<day>|<metric>``, every dimension as ``<dimension>|<value>|<metric>``, previews
    as ``preview|<platform>|hits``, and the job's first sight of each link's previews
    (``preview|<slug>@<platform>|first_seen``). ``links`` maps each slug to (channel,
    sharer as shown, person id); a personal link's clicks are counted under its person's
    id as sharer, shown as the person's handle."""
    by_day: dict[str, dict[str, int]] = {
        d.isoformat(): {"human": 0, "bots": 0, "unique_visitors": 0} for d in days.days
    }
    converted = {"applications": 0, "hires": 0}
    dims: dict[str, dict[str, dict[str, int]]] = {}
    hits: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    for _, counts in counters:
        for name, amount in counts.items():
            if name.count("|") != 2:
                continue
            dimension, value, metric = name.split("|")
            if dimension == "all":  # a day's totals
                day = by_day.get(value)
                if day is not None and metric in day:
                    day[metric] += int(amount or 0)
                elif day is not None and metric in converted:
                    converted[metric] += int(amount or 0)
                continue
            if dimension == "preview":
                platform = value.rsplit("@", 1)[-1]
                if metric == "hits":
                    hits[platform] = hits.get(platform, 0) + int(amount or 0)
                elif platform not in first_seen or str(amount) < first_seen[platform]:
                    first_seen[platform] = str(amount)
                continue
            entry = dims.setdefault(dimension, {}).setdefault(value, {})
            entry[metric] = entry.get(metric, 0) + int(amount or 0)
    # The platforms whose previews came in the range, with when the job's links were first
    # seen there at all.
    previews = {
        platform: {"hits": hits[platform], "first_seen": first_seen.get(platform)}
        for platform in sorted(hits)
    }
    human = sum(d["human"] for d in by_day.values())
    bots = sum(d["bots"] for d in by_day.values())
    by_link = _listed(dims.get("link", {}), "slug", CONVERTED, none_as_null=False)
    for row in by_link:
        row["channel"], row["sharer"], row["person_id"] = links.get(row["slug"], (None, None, None))
    # A personal link's sharer is counted as its person's id.
    people = {pid: shown for _, shown, pid in links.values() if pid is not None}
    by_sharer = _listed(dims.get("sharer", {}), "sharer", CONVERTED)
    for row in by_sharer:
        recorded = row["sharer"]
        row["person_id"] = recorded if recorded in people else None
        row["sharer"] = people.get(recorded, recorded)
    return {
        "job_id": job_id,
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        "clicks": {
            "total": human + bots,
            "human": human,
            "bots": bots,
            "unique_visitors": sum(d["unique_visitors"] for d in by_day.values()),
        },
        "by_day": [{"date": day, **counts} for day, counts in by_day.items()],
        "by_channel": _listed(
            dims.get("channel", {}),
            "channel",
            ("human", "bots", "unique_visitors", "applications", "hires"),
            none_as_null=False,
        ),
        "by_link": by_link,
        "by_sharer": by_sharer,
        "by_referrer": _listed(dims.get("referrer", {}), "referrer", ("human",)),
        "by_country": _listed(dims.get("country", {}), "country", ("human",)),
        "by_device": _listed(dims.get("device", {}), "device", ("human",), none_as_null=False),
        "bots_by_class": {k: v.get("bots", 0) for k, v in sorted(dims.get("bot", {}).items())},
        "previews": previews,
        # Shares are added by the API.
        "shares": {"total": 0, "by_platform": {}, "reach": 0},
        "top_sharers": [],
        "conversions": {
            "application": converted["applications"],
            "hire": converted["hires"],
        },
    }


def channel_stats(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """``GET /api/stats/channels``: every channel the workspace's jobs use, from its
    ``channel#<channel>`` item (jobs, shares) and its days (``channel#<channel>#<day>``)."""
    channels: dict[str, dict[str, int]] = {}
    for sort_key, counts in rows:
        channel = sort_key.split("#")[1]
        totals = channels.setdefault(
            channel,
            {
                "jobs": 0,
                "human": 0,
                "unique_visitors": 0,
                "shares": 0,
                "applications": 0,
                "hires": 0,
            },
        )
        for name in totals:
            totals[name] += int(counts.get(name) or 0)
    items = [{"channel": channel, **totals} for channel, totals in channels.items()]
    return sorted(items, key=lambda i: (-i["human"], -i["jobs"], i["channel"]))


DAILY_COLUMNS = (
    "date",
    "channel",
    "human",
    "bots",
    "unique_visitors",
    "shares",
    "applications",
    "hires",
)


def daily_channel_rows(
    days: DayRange, day_counters: Iterable[Row], shares: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """``GET /api/jobs/{job_id}/stats.csv``: one row per day and channel that has any
    count, oldest first, channels by name. ``day_counters`` are the job's day items as
    (day, counts) with the day's ``channel|<channel>|<metric>`` counts; ``shares`` are
    (day first seen, channel) of the job's shares (a share counts on the day it was first
    seen). Applications and hires count on the day of the conversion."""
    counts: dict[tuple[str, str], dict[str, int]] = {}

    def row(day: str, channel: str) -> dict[str, int]:
        return counts.setdefault((day, channel), dict.fromkeys(DAILY_COLUMNS[2:], 0))

    first, last = days.first.isoformat(), days.last.isoformat()
    for day, day_counts in day_counters:
        if not first <= day <= last:
            continue
        for name, amount in day_counts.items():
            if name.count("|") != 2:
                continue
            dimension, channel, metric = name.split("|")
            if dimension == "channel" and metric in DAILY_COLUMNS[2:]:
                row(day, channel)[metric] += int(amount or 0)
    for day, channel in shares:
        if first <= day <= last:
            row(day, channel)["shares"] += 1
    return [
        {"date": day, "channel": channel, **values}
        for (day, channel), values in sorted(counts.items())
        if any(values.values())
    ]
