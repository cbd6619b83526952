"""The slot engine: which consultations can be booked, as a pure function.

Weekly rules are local wall-clock hours in the office's time zone; slots come out as
aware UTC datetimes. A slot starts at a wall-clock time inside its rule and lasts
``slot_minutes`` of real time. On a day when the clocks change, a start time that does
not exist (spring forward) is not offered, and a start time that happens twice (fall
back) is offered once, at its first occurrence.

Nothing here touches the database: callers pass the rules, the busy intervals
(blocking appointments and time off, of every office) and ``now``.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rule:
    lawyer_id: int
    weekday: int  # Monday is 0
    start: time
    end: time
    slot_minutes: int
    mode: str
    valid_from: date | None = None
    valid_until: date | None = None

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, slots=True)
class Busy:
    lawyer_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Policy:
    min_notice: timedelta
    horizon_days: int


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: datetime
    end: datetime
    lawyer_id: int
    mode: str


def bookable_days(*, policy: Policy, tz: tzinfo, now: datetime) -> tuple[date, date]:
    """The first and last local day on which a slot may start."""
    today = now.astimezone(tz).date()
    return today, today + timedelta(days=policy.horizon_days)


def day_bounds(first_day: date, last_day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight before ``first_day`` and after ``last_day``."""
    start = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    end = datetime.combine(last_day + DAY, time(0), tz).astimezone(UTC)
    return start, end


class _BusyIndex:
    """Per lawyer, merged disjoint busy intervals for O(log n) overlap tests."""

    def __init__(self, busy: Iterable[Busy]):
        by_lawyer: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for item in busy:
            by_lawyer[item.lawyer_id].append((item.start, item.end))
        self._starts: dict[int, list[datetime]] = {}
        self._ends: dict[int, list[datetime]] = {}
        for lawyer_id, intervals in by_lawyer.items():
            intervals.sort()
            starts: list[datetime] = []
            ends: list[datetime] = []
            for start, end in intervals:
                if ends and start <= ends[-1]:
                    if end > ends[-1]:
                        ends[-1] = end
                else:
                    starts.append(start)
                    ends.append(end)
            self._starts[lawyer_id] = starts
            self._ends[lawyer_id] = ends

    def overlaps(self, lawyer_id: int, start: datetime, end: datetime) -> bool:
        starts = self._starts.get(lawyer_id)
        if not starts:
            return False
        # The last interval that starts before `end` is the only candidate.
        index = bisect_left(starts, end) - 1
        return index >= 0 and self._ends[lawyer_id][index] > start


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _local_to_utc(day: date, tz: tzinfo):
    """A converter from seconds after local midnight of ``day`` to UTC, or None if the
    wall time does not exist. Plain arithmetic on days without a clock change."""
    midnight = datetime.combine(day, time(0))
    first = datetime.combine(day, time(0), tz)
    last = datetime.combine(day + DAY, time(0), tz)
    offset = first.utcoffset()
    if offset == last.utcoffset() and last.astimezone(UTC) - first.astimezone(UTC) == DAY:
        base = (midnight - offset).replace(tzinfo=UTC)
        return lambda seconds: base + timedelta(seconds=seconds)

    def convert(seconds: int) -> datetime | None:
        wall = midnight + timedelta(seconds=seconds)
        utc = wall.replace(tzinfo=tz).astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) != wall:
            return None  # skipped by a spring-forward change
        return utc

    return convert


def available_slots(
    *,
    rules: Iterable[Rule],
    busy: Iterable[Busy],
    policy: Policy,
    tz: tzinfo,
    now: datetime,
    first_day: date,
    last_day: date,
) -> list[Slot]:
    """Free slots starting on local days ``first_day``..``last_day``, sorted by time.

    A slot is offered when it lies in a rule valid on that day, starts no earlier than
    ``now + min_notice`` and no later than the horizon, and overlaps no busy interval of
    its lawyer.
    """
    today, horizon = bookable_days(policy=policy, tz=tz, now=now)
    first_day = max(first_day, today)
    last_day = min(last_day, horizon)
    earliest = now + policy.min_notice
    index = _BusyIndex(busy)
    rules_by_weekday: dict[int, list[Rule]] = defaultdict(list)
    for rule in rules:
        rules_by_weekday[rule.weekday].append(rule)

    found: set[Slot] = set()
    day = first_day
    while day <= last_day:
        todays = [rule for rule in rules_by_weekday.get(day.weekday(), ()) if rule.applies_on(day)]
        if todays:
            to_utc = _local_to_utc(day, tz)
            for rule in todays:
                length = rule.slot_minutes * 60
                duration = timedelta(seconds=length)
                for offset in range(_seconds(rule.start), _seconds(rule.end) - length + 1, length):
                    start = to_utc(offset)
                    if start is None or start < earliest:
                        continue
                    end = start + duration
                    if not index.overlaps(rule.lawyer_id, start, end):
                        found.add(Slot(start, end, rule.lawyer_id, rule.mode))
        day += DAY
    return sorted(found)
