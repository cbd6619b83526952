"""The reads of the lawyer's calendar feed: the feed found by its address with its
validators (ETag, Last-Modified), and the appointments of its window.

booking/ical.py writes the iCalendar file from what these return;
booking/views/lawyer/calendar.py answers 304 or the file. Why one query, plain SQL and rows
rather than models: booking/ical.py.
"""

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, ExpressionWrapper, F, Max, Q
from django.utils import timezone

from accounts.models import Role, User
from booking.models import (
    Appointment,
    CalendarFeed,
    FeedPrivacy,
    Lawyer,
    Office,
    ScheduleVersion,
    Status,
    Topic,
)

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366
# How often subscribed clients are asked to fetch again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH = timedelta(hours=1)
# What the validators need besides the feed's row (``_kept``) is kept per process this
# long at most, so that changes no service announces by bumping the schedule version (the
# lawyer's language or account, a change made in a shell) show too; for this many feeds
# at most (then all are dropped).
KEPT_FOR = timedelta(minutes=1)
KEPT_FEEDS = 10_000
# The columns the feed reads, at each privacy level: never the resident's summary or the
# other party, and the resident's name and phone only at the level that shows them. In
# ``list_feed_appointments``'s order: FeedRow's first nine fields, the office, the area of
# law, then the details of the full level.
_ROW_FIELDS = (
    "pk",
    "reference",
    "starts_at",
    "ends_at",
    "mode",
    "status",
    "sequence",
    "updated_at",
    "safe_contact",
    "office_id",
    "office__name",
    "office__address",
    "office__time_zone",
    "topic_id",
    "topic__name_zh_hans",
    "topic__name_en",
)
_FULL_FIELDS = (
    "needs_interpreter",
    "dialect",
    "accessibility_needs",
    "resident__display_name",
    # As stored (E.164): parsing every number back into a PhoneNumber would take longer
    # than the rest of the query.
    ExpressionWrapper(F("resident__phone"), output_field=CharField()),
    "resident_id",  # for the access log
)


@dataclass(frozen=True)
class FeedWindow:
    """The days a feed covers: [start, end), both local midnights."""

    today: date
    start: datetime
    end: datetime


def feed_window(*, now: datetime, tz: ZoneInfo) -> FeedWindow:
    today = now.astimezone(tz).date()
    first = today - timedelta(days=FEED_DAYS_BACK)
    after_last = today + timedelta(days=FEED_DAYS_AHEAD + 1)
    return FeedWindow(
        today=today,
        start=datetime.combine(first, time(), tz),
        end=datetime.combine(after_last, time(), tz),
    )


def _window_appointments(*, lawyer_id: int, window: FeedWindow):
    return Appointment.objects.filter(
        Q(lawyer_id=lawyer_id, starts_at__gte=window.start, starts_at__lt=window.end)
        & (~Q(status=Status.CANCELLED) | Q(cancelled_at__gte=window.start))
    ).order_by()


@dataclass(frozen=True)
class FeedState:
    """A feed found by its address, and what its validators are made of."""

    lawyer_id: int
    key: str
    privacy: str
    language: str
    window: FeedWindow
    events: int
    changed: datetime | None

    def etag(self, *, origin: str) -> str:
        """A strong ETag: the same for the same bytes served from ``origin``."""
        parts = [
            self.key,
            self.privacy,
            self.language,
            self.window.today.isoformat(),
            str(self.events),
            self.changed.astimezone(UTC).isoformat() if self.changed else "-",
            origin,
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        return f'"{digest}"'

    @property
    def last_modified(self) -> datetime:
        """The latest change of the window's events, or today's local midnight, when the
        window last moved.

        The feed's own creation and change of address need not count: no client holds
        a copy of an address from before it existed.
        """
        midnight = self.window.start + timedelta(days=FEED_DAYS_BACK)
        return max(self.changed, midnight) if self.changed else midnight


@functools.cache
def _feed_sql(vendor: str) -> str:
    """The feed row by key, with the schedule version.

    Plain SQL over one table, written once per database vendor: this runs for every
    request of every subscribed calendar, mostly to answer 304, where compiling an ORM
    query, or PostgreSQL planning a join, would cost more than running it.
    """
    name = connection.ops.quote_name
    feed, version = CalendarFeed._meta, ScheduleVersion._meta.db_table
    columns = ", ".join(name(feed.get_field(f).column) for f in ("lawyer", "secret", "privacy"))
    return (
        f"SELECT {columns}, (SELECT {name('value')} FROM {name(version)} "  # noqa: S608
        f"WHERE {name('id')} = 1) FROM {name(feed.db_table)} "
        f"WHERE {name(feed.get_field('key').column)} = %s"
    )


class _Kept(NamedTuple):
    """What a feed's validators need besides its row, kept in the process for a while."""

    until: datetime
    language: str
    can_sign_in: bool
    events: int
    changed: datetime | None


_KEPT: dict[tuple[str, date, int], _Kept] = {}


def _kept(*, feed_key: str, lawyer_id: int, window: FeedWindow, version: int, now: datetime):
    """The lawyer's language and whether they can still sign in, and the window's count
    and latest change of appointments.

    Kept in the process for ``KEPT_FOR`` at most, under the schedule version, which every
    service that changes an appointment bumps in its transaction. The version is read
    (with the feed row) before the rest, so nothing is kept under a version newer than
    its data. Keyed by the feed's random key rather than the lawyer's id, which a test
    database may give again to another lawyer.
    """
    key = (feed_key, window.today, version)
    kept = _KEPT.get(key)
    if kept is not None and now < kept.until:
        return kept
    account = (
        User.objects.filter(lawyer__pk=lawyer_id)
        .values_list("preferred_language", "is_active", "role")
        .first()
    )
    language, active, role = account or ("", False, "")
    found = _window_appointments(lawyer_id=lawyer_id, window=window).aggregate(
        events=Count("pk"), changed=Max("updated_at")
    )
    kept = _Kept(
        until=now + KEPT_FOR,
        language=language or settings.LANGUAGE_CODE,
        can_sign_in=active and role == Role.LAWYER,
        events=found["events"],
        changed=found["changed"],
    )
    if len(_KEPT) >= KEPT_FEEDS:
        _KEPT.clear()
    _KEPT[key] = kept
    return kept


def get_feed_state(*, key: str, secret: str, now: datetime | None = None) -> FeedState | None:
    """The feed at ``/calendar/<key>/<secret>.ics`` and its validators.

    One query when the rest is kept (``_kept``), three otherwise. None for an unknown
    key, a wrong secret (compared in constant time) and a lawyer who can no longer sign
    in, so that all of them look the same from outside.
    """
    with connection.cursor() as cursor:
        cursor.execute(_feed_sql(connection.vendor), [key])
        row = cursor.fetchone()
    # Compared even when the key is unknown, so that both take about as long.
    expected = row[1] if row is not None else key
    if not hmac.compare_digest(expected.encode(), secret.encode()) or row is None:
        return None
    lawyer_id, _secret, privacy, version = row
    now = now or timezone.now()
    window = feed_window(now=now, tz=timezone.get_default_timezone())
    kept = _kept(feed_key=key, lawyer_id=lawyer_id, window=window, version=version or 0, now=now)
    if not kept.can_sign_in:
        return None
    return FeedState(
        lawyer_id=lawyer_id,
        key=key,
        privacy=privacy,
        language=kept.language,
        window=window,
        events=kept.events,
        changed=kept.changed,
    )


@dataclass(slots=True)
class FeedRow:
    """An appointment as the feed reads it (``Scheduled`` for ``build_calendar``).

    Plain rows rather than model instances: making 2,000 appointments with their office,
    area of law and resident as models takes longer than writing the whole file.
    """

    pk: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    status: str
    sequence: int
    updated_at: datetime
    safe_contact: bool
    office: Office
    topic: Topic
    needs_interpreter: bool = False
    dialect: str = ""
    accessibility_needs: str = ""
    resident_name: str = ""
    resident_phone: str = ""
    resident_id: int = 0


def list_feed_appointments(state: FeedState) -> list[FeedRow]:
    """The appointments of the feed's window, with what their events say; one query."""
    full = state.privacy == FeedPrivacy.FULL
    rows = _window_appointments(lawyer_id=state.lawyer_id, window=state.window).values_list(
        *_ROW_FIELDS, *(_FULL_FIELDS if full else ())
    )
    offices: dict[int, Office] = {}
    topics: dict[int, Topic] = {}
    result = []
    for row in rows:
        office_id, office_name, office_address, office_tz = row[9:13]
        office = offices.get(office_id)
        if office is None:
            office = offices[office_id] = Office(
                pk=office_id, name=office_name, address=office_address, time_zone=office_tz
            )
        topic_id, topic_zh, topic_en = row[13:16]
        topic = topics.get(topic_id)
        if topic is None:
            topic = topics[topic_id] = Topic(pk=topic_id, name_zh_hans=topic_zh, name_en=topic_en)
        entry = FeedRow(*row[:9], office=office, topic=topic)
        if full:
            needs_interpreter, dialect, accessibility, name, phone, resident_id = row[16:]
            entry.needs_interpreter = needs_interpreter
            entry.dialect = dialect
            entry.accessibility_needs = accessibility
            entry.resident_name = name
            entry.resident_phone = phone or ""
            entry.resident_id = resident_id
        result.append(entry)
    return result


def get_feed_viewer(state: FeedState) -> User:
    """The lawyer's account, for the access log of a feed that shows residents' details."""
    return Lawyer.objects.select_related("user").get(pk=state.lawyer_id).user
