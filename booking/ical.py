"""iCalendar (RFC 5545) files of appointments: the resident's "add to calendar" file and,
built from the same parts, the lawyers' subscription feed.

``build_calendar`` turns appointments into a VCALENDAR; what each event says is decided
by a ``describe`` function that maps an appointment to its ``EventText`` (summary,
description, location), so every audience sets its own privacy level without touching
the parts that calendar clients rely on:

- UID ``appointment-<pk>@<host>``: the row keeps its pk when the appointment is moved or
  cancelled, so clients update the event instead of adding a second one;
- SEQUENCE is ``appointment.sequence`` (bumped by every service that changes it);
- DTSTAMP and LAST-MODIFIED are ``appointment.updated_at`` in UTC, never the time of
  the request, so unchanged data gives the same bytes (usable for an ETag);
- DTSTART/DTEND carry the TZID of the office's time zone, and the calendar holds a
  VTIMEZONE for every zone it uses;
- cancelled appointments stay in the file with STATUS:CANCELLED, a "Cancelled" prefix on
  the summary and TRANSP:TRANSPARENT, so a subscribed client removes or greys them out.

Texts are in the active language (``translation.override`` around the call).

Discreet contact (``appointment.safe_contact``, e.g. domestic violence): the resident's
calendar then says only "Appointment <reference>" and the time. No area of law, office
name, address, phone, lawyer or mode, because someone else may see the resident's
calendar. For the same reason the PRODID and the calendar name never mention law.

Events are written directly (``_event``: escaping and folding per RFC 5545), not through
icalendar's components, which take about half a millisecond per event, too slow for a
feed of thousands; the calendar around them (header, VTIMEZONE) still comes from
icalendar.

Known limits: the host in the UID is not shown by calendar apps but is in the file, so a
deployment whose host names the service reveals it to anyone who reads the raw file. The
UID is unique per database: two databases served under one host would clash. VTIMEZONE
rules cover 1970–2037 (icalendar's default range); clients use their own rules for the
TZID anyway. Each event reads ``office``, ``topic`` and ``lawyer.user``: select them
with the appointments when building a feed of many.

The lawyer's feed (``/calendar/<key>/<secret>.ics``, see ``CalendarFeed``):

- Window: appointments of that lawyer only, starting from the local midnight 30 days
  back (``FEED_DAYS_BACK``) to 366 days ahead (``FEED_DAYS_AHEAD``, the longest booking
  horizon an office can set), in the site's time zone (``TIME_ZONE``). A cancelled one
  stays while its cancellation is within those 30 days, so that a subscribed client
  sees the cancellation before the event leaves the feed (one without ``cancelled_at``
  is left out).
- Privacy: ``default`` says reference, area of law, mode, office and place; ``full``
  adds the resident's name, phone number, needs (interpreter, dialect, accessibility)
  and their wish to be contacted discreetly. Neither ever says what the resident wrote
  about the matter nor who the other party is: those columns are not even read, nor the
  resident's at the default level. Texts are in the lawyer's ``preferred_language``.
- Validators: ``get_feed_state`` reads the feed row and the schedule version in one
  plain-SQL query; the lawyer's language, whether they can still sign in, and the
  window's count and latest ``updated_at`` come from a per-process store keyed by that
  version (every service that changes an appointment bumps it), kept a minute at most
  (``KEPT_FOR``). No event is built for them. The ETag covers those and the privacy
  level, the window's day and the site's address; Last-Modified is the latest change,
  or today's local midnight when the window last moved.

Known limits of the lawyer's feed: what an appointment's row does not record is not in
the validators — a change of the office's address, an area of law's name, the
resident's name or phone number, or of these texts after an upgrade — and reaches a
client that already holds the feed at the next change of one of the lawyer's
appointments or at the next local midnight. A change of the privacy level changes the
ETag at once, but not Last-Modified (``CalendarFeed`` records no time for it), so a
client that sends only If-Modified-Since keeps the old events until then too. A change
of the lawyer's language or account (deactivated: the feed answers 404), or of an
appointment made outside the services (a shell, a data migration), shows within the
minute ``KEPT_FOR``.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Timezone, vDuration

from booking.feed_selectors import (
    FEED_REFRESH,
    FeedRow,
    FeedState,
)
from booking.models import (
    Appointment,
    FeedPrivacy,
    Mode,
    Office,
    Status,
)
from booking.reference import format_reference

# Neutral on purpose: the file of a discreet appointment must not mention law either.
PRODID = "-//appointment-booking//calendar//ZH-HANS"
_END = b"END:VCALENDAR\r\n"
_FOLD_OCTETS = 75


@dataclass(frozen=True)
class EventText:
    """What one audience is told about one appointment; empty fields are left out."""

    summary: str
    description: str = ""
    location: str = ""


class Scheduled(Protocol):
    """What an event is made of besides its texts: an ``Appointment`` or a ``FeedRow``."""

    pk: int
    starts_at: datetime
    ends_at: datetime
    status: str
    sequence: int
    updated_at: datetime
    office: Office


Describe = Callable[[Scheduled], EventText]


def appointment_uid(appointment: Scheduled, *, host: str) -> str:
    """The event's UID: stable across reschedules and cancellation (same row, same pk)."""
    return f"appointment-{appointment.pk}@{host}"


@functools.lru_cache(maxsize=16)
def _vtimezone_ical(tzid: str) -> bytes:
    # Generating the rules takes tens of milliseconds; the result never changes.
    return Timezone.from_tzinfo(ZoneInfo(tzid), tzid=tzid).to_ical()


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 §3.3.11 says; line breaks become ``\\n``."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> bytes:
    """One content line, folded to at most 75 octets per line (RFC 5545 §3.1).

    Never splits a UTF-8 sequence nor an escape such as ``\\,``, for clients that
    unfold carelessly.
    """
    data = line.encode()
    if len(data) <= _FOLD_OCTETS:
        return data + b"\r\n"
    chunks = []
    start, room = 0, _FOLD_OCTETS
    while len(data) - start > room:
        cut = start + room
        while cut > start + 1:
            if data[cut] & 0xC0 == 0x80:  # inside a character
                cut -= 1
                continue
            backslashes = 0
            while backslashes < cut and data[cut - 1 - backslashes] == 0x5C:
                backslashes += 1
            if backslashes % 2:  # between a backslash and the character it escapes
                cut -= 1
                continue
            break
        chunks.append(data[start:cut])
        start, room = cut, _FOLD_OCTETS - 1  # the continuation's leading space counts
    chunks.append(data[start:])
    return b"\r\n ".join(chunks) + b"\r\n"


def _event(appointment: Scheduled, *, text: EventText, host: str, cancelled_prefix: str) -> bytes:
    """One VEVENT, written directly: icalendar's components take about half a millisecond
    per event, too much for a feed of thousands. The tests read every file back with two
    parsers (icalendar and vobject)."""
    office = appointment.office
    tz = office.tz
    tzid = office.time_zone
    cancelled = appointment.status == Status.CANCELLED
    summary = cancelled_prefix % {"summary": text.summary} if cancelled else text.summary
    updated = appointment.updated_at.astimezone(UTC)
    # These lines are short and plain ASCII (a time-zone name is at most 32 characters).
    fixed = (
        f"DTSTAMP:{updated:%Y%m%dT%H%M%SZ}\r\n"
        f"LAST-MODIFIED:{updated:%Y%m%dT%H%M%SZ}\r\n"
        f"SEQUENCE:{appointment.sequence}\r\n"
        f"DTSTART;TZID={tzid}:{appointment.starts_at.astimezone(tz):%Y%m%dT%H%M%S}\r\n"
        f"DTEND;TZID={tzid}:{appointment.ends_at.astimezone(tz):%Y%m%dT%H%M%S}\r\n"
        + ("STATUS:CANCELLED\r\nTRANSP:TRANSPARENT\r\n" if cancelled else "STATUS:CONFIRMED\r\n")
    )
    parts = [
        b"BEGIN:VEVENT\r\n",
        _fold(f"UID:{_text(appointment_uid(appointment, host=host))}"),
        fixed.encode(),
        _fold(f"SUMMARY:{_text(summary)}"),
    ]
    if text.location:
        parts.append(_fold(f"LOCATION:{_text(text.location)}"))
    if text.description:
        parts.append(_fold(f"DESCRIPTION:{_text(text.description)}"))
    parts.append(b"END:VEVENT\r\n")
    return b"".join(parts)


def build_calendar(
    appointments: Iterable[Scheduled],
    *,
    describe: Describe,
    host: str,
    name: str,
    time_zone: str,
    refresh_interval: timedelta | None = None,
    published_ttl: timedelta | None = None,
) -> bytes:
    """A VCALENDAR of ``appointments``, each event's texts from ``describe``.

    ``time_zone`` is the calendar's own zone (X-WR-TIMEZONE, always given a VTIMEZONE);
    events use their office's zone. ``refresh_interval`` and ``published_ttl`` tell
    subscribed clients how often to fetch again; a one-off file leaves them out. Events
    come in order of start, then pk, and the bytes depend only on the input.
    """
    ordered = sorted(appointments, key=lambda a: (a.starts_at, a.pk))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone)
    if refresh_interval is not None:
        calendar.add("refresh-interval", refresh_interval, parameters={"VALUE": "DURATION"})
    if published_ttl is not None:
        calendar.add("x-published-ttl", vDuration(published_ttl))
    head = calendar.to_ical()
    parts = [head.removesuffix(_END)]
    parts += [
        _vtimezone_ical(tzid)
        for tzid in sorted({time_zone} | {a.office.time_zone for a in ordered})
    ]
    cancelled_prefix = _("Cancelled: %(summary)s")
    parts += [
        _event(a, text=describe(a), host=host, cancelled_prefix=cancelled_prefix) for a in ordered
    ]
    parts.append(_END)
    return b"".join(parts)


def _resident_text(appointment: Appointment, *, host: str) -> EventText:
    reference = appointment.display_reference
    if appointment.safe_contact:
        return EventText(
            summary=_("Appointment %(reference)s") % {"reference": reference},
            description=_("Number %(reference)s") % {"reference": reference},
        )
    office = appointment.office
    lines = [
        _("Reference: %(reference)s") % {"reference": reference},
        _("Area of law: %(topic)s") % {"topic": appointment.topic.name},
        _("Mode: %(mode)s") % {"mode": appointment.get_mode_display()},
    ]
    lawyer_name = appointment.lawyer.user.display_name
    if lawyer_name:
        lines.append(_("Lawyer: %(name)s") % {"name": lawyer_name})
    lines.append(_("Office phone: %(phone)s") % {"phone": office.phone})
    if appointment.status != Status.CANCELLED:
        lines.append(
            _(
                "If you cannot come, please cancel: sign in at %(host)s, or call the "
                "office and give the reference."
            )
            % {"host": host}
        )
    if appointment.mode == Mode.PHONE:
        location = _("By phone: the lawyer will call you")
    else:
        location = office.address
    return EventText(
        summary=_("Legal consultation · %(office)s") % {"office": office.name},
        description="\n".join(lines),
        location=location,
    )


def resident_calendar(appointment: Appointment, *, host: str) -> bytes:
    """The resident's "add to calendar" file for one appointment, in the active language.

    Discreet appointments say only the time and the reference (see the module docstring).
    """
    text = _resident_text(appointment, host=host)
    return build_calendar(
        [appointment],
        describe=lambda a: text,
        host=host,
        name=text.summary,
        time_zone=appointment.office.time_zone,
    )


# The lawyer's feed: its reads are in booking/feed_selectors.py, re-exported here.


@dataclass(frozen=True)
class _Wording:
    """The lawyer's feed's texts, translated once per calendar rather than per event."""

    summary: str
    summary_named: str
    reference: str
    office: str
    resident: str
    phone: str
    interpreter: str
    dialect: str
    accessibility: str
    discreet: str
    link: str
    modes: dict[str, str]

    @classmethod
    def active(cls) -> "_Wording":
        """In the active language."""
        return cls(
            summary=_("Consultation · %(topic)s · %(mode)s"),
            summary_named=_("Consultation · %(name)s · %(topic)s · %(mode)s"),
            reference=_("Reference: %(reference)s"),
            office=_("Office: %(office)s"),
            resident=_("Resident: %(name)s"),
            phone=_("Phone: %(phone)s"),
            interpreter=_("Needs an interpreter."),
            dialect=_("Dialect: %(dialect)s"),
            accessibility=_("Accessibility needs: %(needs)s"),
            discreet=_("The resident asked to be contacted discreetly."),
            link=_("On the site: %(link)s"),
            modes={value: str(label) for value, label in Mode.choices},
        )


def _lawyer_text(row: FeedRow, *, full: bool, link: str, topic: str, words: _Wording) -> EventText:
    office = row.office
    mode = words.modes[row.mode]
    name = row.resident_name if full else ""
    if name:
        summary = words.summary_named % {"name": name, "topic": topic, "mode": mode}
    else:
        summary = words.summary % {"topic": topic, "mode": mode}
    lines = [
        words.reference % {"reference": format_reference(row.reference)},
        words.office % {"office": office.name},
    ]
    if full:
        if name:
            lines.append(words.resident % {"name": name})
        if row.resident_phone:
            lines.append(words.phone % {"phone": row.resident_phone})
        if row.needs_interpreter:
            lines.append(words.interpreter)
        if row.dialect:
            lines.append(words.dialect % {"dialect": row.dialect})
        if row.accessibility_needs:
            lines.append(words.accessibility % {"needs": row.accessibility_needs})
        # At the full level only: the flag alone can hint at why (violence at home).
        if row.safe_contact:
            lines.append(words.discreet)
    lines.append(words.link % {"link": link})
    location = office.address if row.mode == Mode.IN_PERSON else mode
    return EventText(summary=summary, description="\n".join(lines), location=location)


def lawyer_calendar(state: FeedState, rows: Iterable[FeedRow], *, origin: str, host: str) -> bytes:
    """The body of the lawyer's feed: the same bytes for the same ``state`` and rows.

    ``origin`` (``https://host``) makes the links to each appointment's page on the site.
    """
    rows = list(rows)
    # One reverse() for all events: the reference is the only part that differs.
    placeholder = "0" * 8
    page = origin + reverse("booking:lawyer_appointment", kwargs={"reference": placeholder})
    before, after = page.rsplit(placeholder, 1)
    full = state.privacy == FeedPrivacy.FULL
    with translation.override(state.language):
        words = _Wording.active()
        topics = {row.topic.pk: row.topic for row in rows}
        topics = {pk: topic.name for pk, topic in topics.items()}
        return build_calendar(
            rows,
            describe=lambda row: _lawyer_text(
                row,
                full=full,
                link=f"{before}{row.reference}{after}",
                topic=topics[row.topic.pk],
                words=words,
            ),
            host=host,
            name=_("Legal-aid consultations"),
            time_zone=timezone.get_default_timezone_name(),
            refresh_interval=FEED_REFRESH,
            published_ttl=FEED_REFRESH,
        )
