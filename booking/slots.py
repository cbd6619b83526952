"""The slot engine: which consultations can be booked, as a pure function.

Weekly rules are local wall-clock hours in the office's time zone; slots come out as
aware UTC datetimes. A slot starts at a wall-clock time inside its rule and lasts
``slot_minutes`` of real time. On a day when the clocks change, a start time that does
not exist (spring forward) is not offered, and a start time that happens twice (fall
back) is offered once, at its first occurrence.

Nothing here touches the database: callers pass the rules, the busy intervals
(blocking appointments and time off, of every office) and ``now``. Inside, instants are
whole epoch seconds (integer arithmetic is what makes a month of twenty lawyers fast);
datetimes are made only for the slots returned.

Chapter: docs/booking.md#how-booking-stays-correct.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

DAY = timedelta(days=1)
DAY_SECONDS = 86_400


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


class Busy(NamedTuple):
    """Time a lawyer is not free, in whole seconds since the epoch (UTC).

    Whole seconds keep the engine's inner loop in integer arithmetic; ``between``
    rounds outwards, so a busy interval never shrinks.
    """

    lawyer_id: int
    start: int
    end: int

    @classmethod
    def between(cls, lawyer_id: int, start: datetime, end: datetime) -> "Busy":
        return cls(lawyer_id, math.floor(start.timestamp()), math.ceil(end.timestamp()))


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


# The days the site deals in: any real one, and far from the ends of Python's calendar
# (day_bounds needs the next day and the instant in UTC to exist).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def within_calendar(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


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

    def __init__(self, busy: Iterable[tuple[int, int, int]]):
        by_lawyer: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for lawyer_id, start, end in busy:
            by_lawyer[lawyer_id].append((start, end))
        self.starts: dict[int, list[int]] = {}
        self.ends: dict[int, list[int]] = {}
        for lawyer_id, intervals in by_lawyer.items():
            intervals.sort()
            starts: list[int] = []
            ends: list[int] = []
            for start, end in intervals:
                if ends and start <= ends[-1]:
                    ends[-1] = max(ends[-1], end)
                else:
                    starts.append(start)
                    ends.append(end)
            self.starts[lawyer_id] = starts
            self.ends[lawyer_id] = ends


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _local_to_epoch(day: date, tz: tzinfo) -> Callable[[int], int | None]:
    """A converter from seconds after local midnight of ``day`` to epoch seconds, or None
    if that wall time does not exist. Plain arithmetic on days without a clock change."""
    first = datetime.combine(day, time(0), tz)
    last = datetime.combine(day + DAY, time(0), tz)
    base = first.timestamp()
    if first.utcoffset() == last.utcoffset() and last.timestamp() - base == DAY_SECONDS:
        midnight = int(base)
        return lambda seconds: midnight + seconds

    midnight_wall = datetime.combine(day, time(0))

    def convert(seconds: int) -> int | None:
        wall = midnight_wall + timedelta(seconds=seconds)
        instant = wall.replace(tzinfo=tz)
        if instant.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            return None  # skipped by a spring-forward change
        return int(instant.timestamp())

    return convert


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def available_slots(
    *,
    rules: Iterable[Rule],
    busy: Iterable[tuple[int, int, int]],
    policy: Policy,
    tz: tzinfo,
    now: datetime,
    first_day: date,
    last_day: date,
) -> list[Slot]:
    """Free slots starting on local days ``first_day``..``last_day``, sorted by time.

    A slot is offered when it lies in a rule valid on that day, starts no earlier than
    ``now + min_notice`` and no later than the horizon, and overlaps no busy interval of
    its lawyer. ``busy`` holds ``Busy`` tuples (or plain ``(lawyer_id, start, end)``
    tuples of epoch seconds).
    """
    today, horizon = bookable_days(policy=policy, tz=tz, now=now)
    first_day = max(first_day, today)
    last_day = min(last_day, horizon)
    earliest = (now + policy.min_notice).timestamp()
    index = _BusyIndex(busy)
    rules_by_weekday: dict[int, list[Rule]] = defaultdict(list)
    for rule in rules:
        rules_by_weekday[rule.weekday].append(rule)

    found: set[tuple[int, int, int, str]] = set()
    day = first_day
    while day <= last_day:
        todays = [rule for rule in rules_by_weekday.get(day.weekday(), ()) if rule.applies_on(day)]
        if todays:
            to_epoch = _local_to_epoch(day, tz)
            for rule in todays:
                length = rule.slot_minutes * 60
                starts = index.starts.get(rule.lawyer_id, ())
                ends = index.ends.get(rule.lawyer_id, ())
                for offset in range(_seconds(rule.start), _seconds(rule.end) - length + 1, length):
                    start = to_epoch(offset)
                    if start is None or start < earliest:
                        continue
                    end = start + length
                    # The last busy interval that starts before `end` is the only candidate.
                    candidate = bisect_left(starts, end) - 1
                    if candidate >= 0 and ends[candidate] > start:
                        continue
                    found.add((start, end, rule.lawyer_id, rule.mode))
        day += DAY
    return [
        Slot(_utc(start), _utc(end), lawyer_id, mode)
        for start, end, lawyer_id, mode in sorted(found)
    ]
