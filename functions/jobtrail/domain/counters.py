"""Click counters: what one recorded click adds to, as plain data.

The aggregator turns every click into increments of a few counters (per job and day: per
channel, link, sharer, referrer, country, device and robot class; per workspace channel)
and into "visitor markers": the first time a visitor is seen for a job on a day (and on a
channel) is what makes them a unique visitor. Robots are counted, never as visitors.
Stats later read these counters only, never the clicks (and add days up into spans,
``domain.spans``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jobtrail.domain import robots
from jobtrail.domain.clicks import CLICK_FIELDS, Click

NONE = "-"  # the value of a dimension the click did not carry (no referrer, no country)
# The long tail of a day: a post's audience brings clicks from thousands of referrer hosts
# (and dozens of countries), each an attribute of the job's day item, and every update of
# that item costs a write unit per KB of all of it. So a day item keeps at most TAIL_LIMIT
# values of each of these dimensions; a click with another value counts under OTHER. The
# totals and every other dimension stay exact, and the values kept are the first seen (a
# job's big referrers come early and often).
TAIL_DIMENSIONS = ("referrer", "country")
TAIL_LIMIT = 50
OTHER = "*"  # neither a host nor a country code


class PoisonRecord(ValueError):
    """A stream record that is not a click this code can count."""


@dataclass(frozen=True)
class CountedClick:
    """A click as the aggregator reads it from the events table's stream: the click, and
    where it stands in its shard."""

    sequence: str  # the stream's sequence number, zero-padded so strings sort as numbers
    click: Click

    @property
    def bot_class(self) -> str:
        """The click's class by the rules of the code counting it (the stored one is the
        redirect's first glance, ``robots.first_glance``)."""
        click = self.click
        return robots.classify(click.method, click.user_agent, click.referrer_host)


# A counter item is named by what it counts:
# - ("job", job, day) holds a job's day: its totals (``all||human``, ``all||bots``,
#   ``all||unique_visitors``) and every dimension, as attributes
#   ``<dimension>|<value>|<metric>`` (so a day is one item, however many clicks);
# - ("firsts", job) holds when each link was first seen in a preview per platform (kept if
#   already set, so writing it again changes nothing);
# - ("changes", job) counts clicks counted after their day was over (a retry, a replay):
#   spans of days added up before them are behind (``domain.spans``). It needs only to
#   grow with every such click, so a retry adding to it again does no harm;
# - ("workspace", workspace, "channel", channel, day) holds a channel's day across the
#   workspace's jobs.
CounterKey = tuple[str, ...]
# Counters whose updates need no fence: written again, they are still right.
UNFENCED = frozenset({"firsts", "changes"})
LATE_CLICKS = "late_clicks"
# A visitor marker: ("job", job, day, visitor) or ("channel", job, day, channel, visitor).
MarkerKey = tuple[str, ...]
# A counter the first sight of a visitor credits: its item and attribute.
Credit = tuple[CounterKey, str]


def metric(dimension: str, value: str, name: str) -> str:
    """The attribute of a job's day item that counts ``name`` for one dimension value."""
    return f"{dimension}|{value}|{name}"


@dataclass
class Contribution:
    sequence: str
    increments: dict[str, int]
    # attribute -> time: kept only if the counter has none yet (a preview's first sight)
    first_seen: dict[str, str] = field(default_factory=dict)


def added_up(contributions: Iterable[Contribution]) -> tuple[dict[str, int], dict[str, str]]:
    """What contributions add to one counter: each increment summed, and the earliest time
    of each first sight."""
    totals: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    for contribution in contributions:
        for name, amount in contribution.increments.items():
            totals[name] = totals.get(name, 0) + amount
        for name, moment in contribution.first_seen.items():
            first_seen[name] = min(moment, first_seen.get(name, moment))
    return totals, first_seen


@dataclass
class Tails:
    """Which values of the long-tail dimensions each day item holds, as far as this
    aggregator knows: learned from what the item's updates answered (``learn``), and
    counted up as a batch adds values. One instance lives as long as the function's
    container, so a container new to a day item admits at most TAIL_LIMIT new values per
    dimension before it learns the item's: an item holds about TAIL_LIMIT values of each,
    at most TAIL_LIMIT more for every container that first wrote to it at once."""

    held: dict[CounterKey, dict[str, set[str]]] = field(default_factory=dict)

    def value(self, key: CounterKey, dimension: str, value: str) -> str:
        """The value the click counts under in the item ``key``."""
        if dimension not in TAIL_DIMENSIONS or value in (NONE, OTHER):
            return value
        values = self.held.setdefault(key, {}).setdefault(dimension, set())
        if value in values:
            return value
        if len(values) >= TAIL_LIMIT:
            return OTHER
        values.add(value)
        return value

    def learn(self, key: CounterKey, attributes: Iterable[str]) -> None:
        """What the item holds now, by its attribute names."""
        found: dict[str, set[str]] = {dimension: set() for dimension in TAIL_DIMENSIONS}
        for name in attributes:
            parts = name.split("|")
            if len(parts) == 3 and parts[0] in found and parts[1] not in (NONE, OTHER):
                found[parts[0]].add(parts[1])
        self.held[key] = found

    def forget_before(self, day: str) -> None:
        """Drop what is known of days before ``day`` (ISO): they take no more clicks, or
        few, and a container lives for days."""
        for key in [k for k in self.held if k[2] < day]:
            del self.held[key]


@dataclass
class BatchPlan:
    """Everything a batch of clicks adds, kept per counter item with the sequence number of
    each click, so a partly applied batch can be finished without counting twice."""

    # The day being counted now (ISO): a click of an earlier day is late.
    today: str = ""
    counters: dict[CounterKey, list[Contribution]] = field(default_factory=dict)
    # marker -> (sequence of its first click in the batch, counters it credits)
    markers: dict[MarkerKey, tuple[str, tuple[Credit, ...]]] = field(default_factory=dict)
    clicks: int = 0
    # What the day items hold of their long tails: the container's, kept across batches.
    tails: Tails = field(default_factory=Tails)

    def add(self, key: CounterKey, contribution: Contribution) -> None:
        self.counters.setdefault(key, []).append(contribution)

    def count(self, counted: CountedClick) -> None:
        self.clicks += 1
        click, sequence = counted.click, counted.sequence
        bot_class = counted.bot_class
        human = bot_class == robots.HUMAN
        hit = "human" if human else "bots"
        day = click.day
        job_day: CounterKey = ("job", click.job_id, day)
        dimensions = [
            ("channel", click.channel),
            ("link", click.slug),
            ("sharer", click.sharer or NONE),
        ]
        if human:
            dimensions += [
                ("referrer", self.tails.value(job_day, "referrer", click.referrer_host or NONE)),
                ("country", self.tails.value(job_day, "country", click.country or NONE)),
                ("device", click.device),
            ]
        else:
            dimensions.append(("bot", bot_class))
        increments = {metric(dimension, value, hit): 1 for dimension, value in dimensions}
        if bot_class.startswith(robots.PREVIEW_PREFIX):
            # A preview fetch is a sign the link was just posted on that platform.
            platform = bot_class.removeprefix(robots.PREVIEW_PREFIX)
            increments[metric("preview", platform, "hits")] = 1
            first_seen = {metric("preview", f"{click.slug}@{platform}", "first_seen"): click.at_iso}
            self.add(("firsts", click.job_id), Contribution(sequence, {}, first_seen))
        increments[metric("all", "", hit)] = 1
        self.add(job_day, Contribution(sequence, increments))
        if day < self.today:
            self.add(("changes", click.job_id), Contribution(sequence, {LATE_CLICKS: 1}))
        if human:
            workspace_channel = ("workspace", click.workspace_id, "channel", click.channel, day)
            self.add(workspace_channel, Contribution(sequence, {"human": 1}))
            unique = "unique_visitors"
            self._mark(
                ("job", click.job_id, day, click.visitor),
                sequence,
                (job_day, metric("all", "", unique)),
            )
            self._mark(
                ("channel", click.job_id, day, click.channel, click.visitor),
                sequence,
                (job_day, metric("channel", click.channel, unique)),
                (workspace_channel, unique),
            )

    def _mark(self, marker: MarkerKey, sequence: str, *credits: Credit) -> None:
        if marker not in self.markers:
            self.markers[marker] = (sequence, credits)

    def in_write_order(self) -> list[tuple[CounterKey, list[Contribution]]]:
        """The counters, the count of late clicks last: it must grow only once their days
        hold them, or a span added up in between would look whole without them."""
        return sorted(self.counters.items(), key=lambda item: item[0][0] == "changes")

    def credit_new_visitor(self, marker: MarkerKey) -> None:
        """The marker was new: its visitor is unique for the counters it credits."""
        sequence, credits = self.markers[marker]
        for key, name in credits:
            self.add(key, Contribution(sequence, {name: 1}))


def padded_sequence(sequence_number: str) -> str:
    """Stream sequence numbers are up to 40 digits; padded, they compare as strings."""
    if not sequence_number.isdigit() or len(sequence_number) > 40:
        raise PoisonRecord(f"not a stream sequence number: {sequence_number!r}")
    return sequence_number.zfill(40)


def read_click(image: Mapping[str, Any], sequence_number: str) -> CountedClick:
    """A click from a stream record's new image (already deserialised to plain values), or
    from a stored click item's values: every field of ``Click`` (a time as ISO-8601 text,
    the expiry as the TTL's epoch seconds)."""
    sequence = padded_sequence(sequence_number)
    values: dict[str, Any] = {}
    try:
        for name in CLICK_FIELDS.texts:
            values[name] = _text(image, name)
        for name in CLICK_FIELDS.optional_texts:
            values[name] = _optional(image, name)
        for name in CLICK_FIELDS.times:
            values[name] = _moment(image, name)
    except KeyError as missing:
        raise PoisonRecord(f"the click has no {missing.args[0]}") from None
    return CountedClick(sequence=sequence, click=Click(**values))


def _moment(image: Mapping[str, Any], name: str) -> datetime:
    value = image[name]
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise PoisonRecord(f"the click's {name} is not a time") from None
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(int(value), UTC)
    else:
        raise PoisonRecord(f"the click's {name} is not a time")
    if moment.tzinfo is None:
        raise PoisonRecord(f"the click's {name} has no time zone")
    return moment.astimezone(UTC)


def _text(image: Mapping[str, Any], name: str) -> str:
    value = image[name]
    if not isinstance(value, str) or not value:
        raise PoisonRecord(f"the click's {name} is not a text")
    return value


def _optional(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PoisonRecord(f"the click's {name} is not a text")
    return value
