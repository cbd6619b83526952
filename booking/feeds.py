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

Known limits: the host in the UID is not shown by calendar apps but is in the file, so a
deployment whose host names the service reveals it to anyone who reads the raw file. The
UID is unique per database: two databases served under one host would clash. VTIMEZONE
rules cover 1970–2037 (icalendar's default range); clients use their own rules for the
TZID anyway. Each event reads ``office``, ``topic`` and ``lawyer.user``: select them
with the appointments when building a feed of many.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Component, Event, Timezone, vDuration

from booking.models import Appointment, Mode, Status

# Neutral on purpose: the file of a discreet appointment must not mention law either.
PRODID = "-//appointment-booking//calendar//ZH-HANS"


@dataclass(frozen=True)
class EventText:
    """What one audience is told about one appointment; empty fields are left out."""

    summary: str
    description: str = ""
    location: str = ""


Describe = Callable[[Appointment], EventText]


def appointment_uid(appointment: Appointment, *, host: str) -> str:
    """The event's UID: stable across reschedules and cancellation (same row, same pk)."""
    return f"appointment-{appointment.pk}@{host}"


@functools.lru_cache(maxsize=16)
def _vtimezone_ical(tzid: str) -> bytes:
    # Generating the rules takes tens of milliseconds; the result never changes.
    return Timezone.from_tzinfo(ZoneInfo(tzid), tzid=tzid).to_ical()


def _vtimezone(tzid: str) -> Timezone:
    # A fresh component every time, so that no caller can change the cached one.
    return Component.from_ical(_vtimezone_ical(tzid))


def _event(appointment: Appointment, *, text: EventText, host: str) -> Event:
    tz = appointment.office.tz
    cancelled = appointment.status == Status.CANCELLED
    summary = _("Cancelled: %(summary)s") % {"summary": text.summary} if cancelled else text.summary
    updated = appointment.updated_at.astimezone(UTC)
    event = Event()
    event.add("uid", appointment_uid(appointment, host=host))
    event.add("dtstamp", updated)
    event.add("last-modified", updated)
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.starts_at.astimezone(tz))
    event.add("dtend", appointment.ends_at.astimezone(tz))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if cancelled:
        event.add("transp", "TRANSPARENT")
    event.add("summary", summary)
    if text.location:
        event.add("location", text.location)
    if text.description:
        event.add("description", text.description)
    return event


def build_calendar(
    appointments: Iterable[Appointment],
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
    for tzid in sorted({time_zone} | {a.office.time_zone for a in ordered}):
        calendar.add_component(_vtimezone(tzid))
    for appointment in ordered:
        calendar.add_component(_event(appointment, text=describe(appointment), host=host))
    return calendar.to_ical()


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
