"""The office head's figures: counts of consultations, never anything about a person.

Everything here is a count, grouped in the database by local day (the office's time zone)
and by one attribute at a time — area of law, mode, how it was booked, outcome — then
added up into weeks (Monday to Sunday) and calendar months in Python. The rows read grow
with days × values, not with the number of appointments.

What is counted, and the small-number rule ("<5": ``suppress``, ``share``,
``median_days``) with its known limit (primary suppression only), are in
docs/desk.md#figures-for-the-office-head.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from booking.models import (
    Appointment,
    AvailabilityRule,
    Channel,
    Lawyer,
    Mode,
    Office,
    Status,
    Topic,
    WalkIn,
)
from booking.selectors import free_slots_of_rules, get_bookable_topics, get_offered_topics
from booking.slots import Slot, day_bounds

WEEK = "week"
MONTH = "month"
WEEKS = 8
MONTHS = 12
# The next free time is looked for this many days ahead at most (and never past the
# office's booking horizon).
FREE_SLOT_DAYS = 60
SMALL = 5
HIDDEN = "<5"
NOT_SHOWN = "–"

UPCOMING = "upcoming"
NOT_RECORDED = "not_recorded"
OUTCOMES = {
    UPCOMING: _("Still to come"),
    Status.ATTENDED: Status.ATTENDED.label,
    Status.NO_SHOW: Status.NO_SHOW.label,
    NOT_RECORDED: _("Outcome not recorded"),
    Status.CANCELLED: Status.CANCELLED.label,
}
DIMENSIONS = {
    "topic": _("Area of law"),
    "mode": _("Mode"),
    "channel": _("Booked through"),
    "outcome": _("Outcome"),
}
AT_THE_DESK = (Channel.DESK, Channel.WALK_IN)
BOOKED_AHEAD = (Channel.ONLINE, Channel.DESK)


def suppress(count: int) -> str:
    """A count as shown: "<5" for 1 to 4, the number otherwise (0 included)."""
    if 0 < count < SMALL:
        return HIDDEN
    return str(count)


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage, without giving a hidden count away.

    Not shown ("–") below 5 in all. When ``part`` is 1–4 the exact share would tell it
    from the other, shown count: a bound is shown instead, computed from the shown count
    only ("<12%"); likewise ">88%" when the rest is 1–4.
    """
    other = whole - part
    part_hidden = 0 < part < SMALL
    other_hidden = 0 < other < SMALL
    if whole < SMALL or (part_hidden and other_hidden):
        return NOT_SHOWN
    if part_hidden:  # part / whole <= 4 / (other + 4) < 5 / (other + 5)
        return f"<{math.ceil(100 * SMALL / (other + SMALL))}%"
    if other_hidden:  # part / whole >= part / (part + 4) > part / (part + 5)
        return f">{math.floor(100 * part / (part + SMALL))}%"
    percent = round(100 * part / whole)
    if part and other:  # never 0% or 100% unless it is exactly that
        percent = min(max(percent, 1), 99)
    return f"{percent}%"


def median_days(lead_days: Counter) -> int | None:
    """The (lower) median of a histogram of days, or None for fewer than 5 bookings."""
    total = sum(lead_days.values())
    if total < SMALL:
        return None
    middle = (total - 1) // 2
    seen = 0
    for days in sorted(lead_days):
        seen += lead_days[days]
        if seen > middle:
            return days
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Period:
    kind: str  # WEEK or MONTH
    first_day: date
    last_day: date
    current: bool = False

    @property
    def key(self) -> str:
        return self.first_day.isoformat()

    @property
    def chart_label(self) -> str:
        # Numbers only: they fit a column of the chart in any language.
        if self.kind == WEEK:
            return f"{self.first_day.month}/{self.first_day.day}"
        return str(self.first_day.month)

    @property
    def label(self) -> str:
        if self.kind == WEEK:
            return formats.date_format(self.first_day, "MONTH_DAY_FORMAT")
        return formats.date_format(self.first_day, "YEAR_MONTH_FORMAT")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def list_periods(kind: str, today: date) -> list[Period]:
    """The last ``WEEKS`` weeks or ``MONTHS`` months up to the current one, oldest first."""
    periods = []
    if kind == WEEK:
        current = week_start(today)
        for back in range(WEEKS - 1, -1, -1):
            first = current - timedelta(weeks=back)
            periods.append(Period(WEEK, first, first + timedelta(days=6), back == 0))
        return periods
    first = month_start(today)
    for _back in range(MONTHS - 1):
        first = month_start(first - timedelta(days=1))
    for back in range(MONTHS - 1, -1, -1):
        following = _next_month(first)
        periods.append(Period(MONTH, first, following - timedelta(days=1), back == 0))
        first = following
    return periods


@dataclass(frozen=True)
class Cell:
    """One counted value: its label, the count, and the count as shown."""

    value: str
    label: str
    count: int

    @property
    def shown(self) -> str:
        return suppress(self.count)


@dataclass
class PeriodFigures:
    period: Period
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lead_days: Counter = field(default_factory=Counter)

    @property
    def consultations(self) -> int:
        return sum(self.counts["mode"].values())

    @property
    def consultations_shown(self) -> str:
        return suppress(self.consultations)

    @property
    def no_show_rate(self) -> str:
        outcomes = self.counts["outcome"]
        no_shows = outcomes[Status.NO_SHOW]
        return share(no_shows, no_shows + outcomes[Status.ATTENDED])

    def _desk_and_online(self) -> tuple[int, int] | None:
        """The desk's bookings (desk and walk-ins together) and the online ones; None
        when one of the desk's channels is hidden (1–4) though the sum is not: the channel
        table shows the other one, so an exact share would give the hidden one away."""
        channels = self.counts["channel"]
        desk_channels = [channels[channel] for channel in AT_THE_DESK]
        if any(0 < count < SMALL for count in desk_channels) and sum(desk_channels) >= SMALL:
            return None
        return sum(desk_channels), channels[Channel.ONLINE]

    @property
    def online_share(self) -> str:
        """Of the bookings made by the resident or the desk (not lawyers' follow-ups)."""
        parts = self._desk_and_online()
        return NOT_SHOWN if parts is None else share(parts[1], sum(parts))

    @property
    def desk_share(self) -> str:
        parts = self._desk_and_online()
        return NOT_SHOWN if parts is None else share(parts[0], sum(parts))

    @property
    def median_days_ahead(self) -> int | None:
        return median_days(self.lead_days)


@dataclass
class Figures:
    """The office's figures for the last weeks and months, as of ``now``."""

    office: Office
    now: datetime
    topics: list[Topic]
    weeks: list[PeriodFigures]
    months: list[PeriodFigures]

    def periods(self, kind: str) -> list[PeriodFigures]:
        return self.weeks if kind == WEEK else self.months

    def cells(self, figures: PeriodFigures, dimension: str) -> list[Cell]:
        """Every value of a dimension, zeros included, in a stable order."""
        counts = figures.counts[dimension]
        if dimension == "topic":
            values = [(topic.pk, topic.name) for topic in self.topics]
        elif dimension == "mode":
            values = list(Mode.choices)
        elif dimension == "channel":
            values = list(Channel.choices)
        else:
            values = list(OUTCOMES.items())
        return [Cell(str(value), str(label), counts[value]) for value, label in values]


def _day(field_name: str, office: Office) -> TruncDate:
    return TruncDate(field_name, tzinfo=office.tz)


def _count_by_day(queryset, office: Office, value) -> list[tuple[date, object, int]]:
    """``(local day, value, count)`` rows: one GROUP BY query."""
    return list(
        queryset.values(d=_day("starts_at", office), v=value)
        .annotate(n=Count("pk"))
        .values_list("d", "v", "n")
    )


def get_figures(*, office: Office, now: datetime) -> Figures:
    """Counts of the last ``WEEKS`` weeks and ``MONTHS`` months: six queries in all."""
    today = now.astimezone(office.tz).date()
    weeks = [PeriodFigures(period) for period in list_periods(WEEK, today)]
    months = [PeriodFigures(period) for period in list_periods(MONTH, today)]
    every = weeks + months
    first_day = min(figures.period.first_day for figures in every)
    last_day = max(figures.period.last_day for figures in every)
    by_key = {(figures.period.kind, figures.period.key): figures for figures in every}

    def periods_of(day: date) -> list[PeriodFigures]:
        keys = [(WEEK, week_start(day).isoformat()), (MONTH, month_start(day).isoformat())]
        return [by_key[key] for key in keys if key in by_key]

    start, end = day_bounds(first_day, last_day, office.tz)
    appointments = Appointment.objects.filter(
        office=office, starts_at__gte=start, starts_at__lt=end
    ).order_by()
    held = appointments.exclude(status=Status.CANCELLED)
    outcome = Case(
        When(status=Status.BOOKED, starts_at__gt=now, then=Value(UPCOMING)),
        When(status=Status.BOOKED, then=Value(NOT_RECORDED)),
        default=F("status"),
        output_field=CharField(),
    )
    for dimension, queryset, value in [
        ("topic", held, F("topic_id")),
        ("mode", held, F("mode")),
        ("channel", held, F("channel")),
        ("outcome", appointments, outcome),
    ]:
        for day, value_, count in _count_by_day(queryset, office, value):
            for figures in periods_of(day):
                figures.counts[dimension][value_] += count

    lead_rows = (
        held.filter(channel__in=BOOKED_AHEAD)
        .values(d=_day("starts_at", office), b=_day("created_at", office))
        .annotate(n=Count("pk"))
        .values_list("d", "b", "n")
    )
    for day, booked_on, count in lead_rows:
        for figures in periods_of(day):
            figures.lead_days[max((day - booked_on).days, 0)] += count

    # The areas counted, and those the office offers now (with zeros).
    seen_topics = {value for figures in every for value in figures.counts["topic"]}
    topics = list(
        Topic.objects.filter(
            Q(pk__in=seen_topics) | Q(pk__in=get_bookable_topics(office=office).values("pk"))
        ).order_by("position", "code")
    )
    return Figures(office=office, now=now, topics=topics, weeks=weeks, months=months)


@dataclass(frozen=True)
class NextFree:
    """The first free time for an area of law, or None within ``days`` days."""

    topic: Topic
    slot: Slot | None
    days: int | None  # calendar days from today, office time


def list_next_free(*, office: Office, now: datetime) -> tuple[list[NextFree], int]:
    """The next free time per area of law offered at ``office``, and the days looked at.

    Four queries for all areas together (which lawyer covers what, hours, busy time,
    time off), then the slot engine once for the office's lawyers.
    """
    tz = office.tz
    days = min(office.horizon_days, FREE_SLOT_DAYS)
    today = now.astimezone(tz).date()
    last_day = today + timedelta(days=days)
    covers: dict[int, set[int]] = defaultdict(set)  # topic id → lawyer ids
    for lawyer_id, topic_id in Lawyer.topics.through.objects.filter(
        lawyer__offices=office,
        lawyer__is_active=True,
        topic__in=get_offered_topics(office=office).values("pk"),
    ).values_list("lawyer_id", "topic_id"):
        covers[topic_id].add(lawyer_id)
    topics = list(Topic.objects.filter(pk__in=covers).order_by("position", "code"))
    lawyer_ids = set().union(*covers.values()) if covers else set()
    slots = free_slots_of_rules(
        office=office,
        rules=AvailabilityRule.objects.filter(office=office, lawyer_id__in=lawyer_ids),
        first_day=today,
        last_day=last_day,
        now=now,
    )
    first: dict[int, Slot] = {}
    for slot in slots:  # sorted by time: the first one a lawyer of the area holds
        for topic_id, lawyers in covers.items():
            if topic_id not in first and slot.lawyer_id in lawyers:
                first[topic_id] = slot
        if len(first) == len(covers):
            break
    found = []
    for topic in topics:
        slot = first.get(topic.pk)
        wait = (slot.start.astimezone(tz).date() - today).days if slot else None
        found.append(NextFree(topic=topic, slot=slot, days=wait))
    return found, days


@dataclass(frozen=True)
class DayCounts:
    """Today's counts for the daily summary (not suppressed yet)."""

    day: date
    consultations: int
    attended: int
    no_shows: int
    walk_ins: int
    desk_bookings: int
    next_free: Slot | None


def get_day_counts(*, office: Office, now: datetime) -> DayCounts:
    """Today's consultations and outcomes, walk-ins, desk bookings and the next free time."""
    today = now.astimezone(office.tz).date()
    start, end = day_bounds(today, today, office.tz)
    on_today = Q(starts_at__gte=start, starts_at__lt=end)
    booked_today = Q(created_at__gte=start, created_at__lt=end)
    counts = (
        Appointment.objects.filter(on_today | booked_today, office=office)
        .order_by()
        .aggregate(
            consultations=Count("pk", filter=on_today & ~Q(status=Status.CANCELLED)),
            attended=Count("pk", filter=on_today & Q(status=Status.ATTENDED)),
            no_shows=Count("pk", filter=on_today & Q(status=Status.NO_SHOW)),
            desk_bookings=Count("pk", filter=booked_today & Q(channel=Channel.DESK)),
        )
    )
    walk_ins = WalkIn.objects.filter(office=office, day=today).count()
    next_free, _days = list_next_free(office=office, now=now)
    slots = [item.slot for item in next_free if item.slot]
    return DayCounts(
        day=today, walk_ins=walk_ins, next_free=min(slots) if slots else None, **counts
    )
