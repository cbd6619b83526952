"""The day sheet of an office: one day's appointments, grouped by lawyer, for the desk.

The desk sees what it needs to receive people: time, reference, the resident's name,
village and phone, area of law, mode, needs, how it was booked, check-in and status,
and the texts about the appointment that failed or have not gone yet (sms/selectors.py),
so that the desk can phone the resident. The rows are plain records built here from
only those columns, so the resident's summary, the other party and the lawyers' notes
never reach the desk's templates (nor leave the database for this page). Two queries,
whatever the number of lawyers and appointments: the appointments, and their texts.

Cancelled appointments are not in the lawyers' sections; they come as a separate short
list (time, reference, name, lawyer), for the resident who turns up or calls about one.

Chapter: docs/desk.md#the-desks-day-sheet.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from phonenumber_field.phonenumber import PhoneNumber

from booking.models import Appointment, Channel, Mode, Office, Status
from booking.slots import day_bounds
from sms.selectors import TextState, list_text_notices

SHEET_STATUSES = (Status.BOOKED, Status.ATTENDED, Status.NO_SHOW)
COLUMNS = (
    "reference",
    "starts_at",
    "ends_at",
    "mode",
    "status",
    "channel",
    "checked_in_at",
    "needs_interpreter",
    "dialect",
    "accessibility_needs",
    "resident__display_name",
    "resident__village",
    "resident__phone",
    "topic__name_zh_hans",
    "topic__name_en",
    "lawyer__user__display_name",
    "lawyer__user__email",
)


@dataclass(frozen=True)
class SheetEntry:
    """One appointment as the desk sees it; times are the office's wall time."""

    pk: int
    resident_id: int
    reference: str
    start: time
    end: time
    resident_name: str
    village: str
    phone: PhoneNumber | None
    topic: str
    mode: str
    mode_label: str
    needs_interpreter: bool
    dialect: str
    accessibility_needs: str
    channel: str
    channel_label: str
    status: str
    status_label: str
    checked_in_at: time | None
    lawyer_name: str
    can_check_in: bool
    can_undo_check_in: bool
    texts: tuple[TextState, ...] = ()  # texts that failed or have not gone yet

    @property
    def has_needs(self) -> bool:
        return self.needs_interpreter or bool(self.dialect or self.accessibility_needs)

    @property
    def by_phone(self) -> bool:
        return self.mode == Mode.PHONE


@dataclass
class LawyerSection:
    lawyer_id: int
    name: str
    entries: list[SheetEntry] = field(default_factory=list)


@dataclass
class DaySheet:
    office: Office
    day: date
    is_today: bool
    sections: list[LawyerSection]
    cancelled: list[SheetEntry]

    @property
    def count(self) -> int:
        return sum(len(section.entries) for section in self.sections)


def _entry(
    appointment: Appointment, *, tz, is_today: bool, texts: tuple[TextState, ...]
) -> SheetEntry:
    resident = appointment.resident
    lawyer_user = appointment.lawyer.user
    booked = appointment.status == Status.BOOKED
    checked_in_at = appointment.checked_in_at
    desk_can_act = is_today and booked and appointment.mode == Mode.IN_PERSON
    return SheetEntry(
        pk=appointment.pk,
        resident_id=appointment.resident_id,
        reference=appointment.display_reference,
        start=appointment.starts_at.astimezone(tz).time(),
        end=appointment.ends_at.astimezone(tz).time(),
        resident_name=resident.display_name,
        village=resident.village,
        phone=resident.phone or None,
        topic=appointment.topic.name,
        mode=appointment.mode,
        mode_label=Mode(appointment.mode).label,
        needs_interpreter=appointment.needs_interpreter,
        dialect=appointment.dialect,
        accessibility_needs=appointment.accessibility_needs,
        channel=appointment.channel,
        channel_label=Channel(appointment.channel).label,
        status=appointment.status,
        status_label=Status(appointment.status).label,
        checked_in_at=checked_in_at.astimezone(tz).time() if checked_in_at else None,
        lawyer_name=lawyer_user.display_name or lawyer_user.email or "",
        can_check_in=desk_can_act and checked_in_at is None,
        can_undo_check_in=desk_can_act and checked_in_at is not None,
        texts=texts,
    )


def get_day_sheet(
    *, office: Office, day: date, now: datetime, lawyer_id: int | None = None
) -> DaySheet:
    """The appointments of ``office`` on ``day`` (office time), by lawyer name, then time.

    ``lawyer_id`` keeps one lawyer's section (and their cancellations) only.
    """
    tz = office.tz
    is_today = day == now.astimezone(tz).date()
    start, end = day_bounds(day, day, tz)
    appointments = (
        Appointment.objects.filter(office=office, starts_at__gte=start, starts_at__lt=end)
        .select_related("resident", "topic", "lawyer__user")
        .only(*COLUMNS)
        .order_by("lawyer__user__display_name", "lawyer_id", "starts_at")
    )
    if lawyer_id is not None:
        appointments = appointments.filter(lawyer_id=lawyer_id)
    appointments = list(appointments)
    texts = list_text_notices([a.pk for a in appointments], now=now, tz=tz)
    sections: dict[int, LawyerSection] = {}
    cancelled = []
    for appointment in appointments:
        entry = _entry(
            appointment, tz=tz, is_today=is_today, texts=tuple(texts.get(appointment.pk, ()))
        )
        if appointment.status in SHEET_STATUSES:
            section = sections.setdefault(
                appointment.lawyer_id, LawyerSection(appointment.lawyer_id, entry.lawyer_name)
            )
            section.entries.append(entry)
        else:
            cancelled.append(entry)
    cancelled.sort(key=lambda entry: entry.start)
    return DaySheet(
        office=office,
        day=day,
        is_today=is_today,
        sections=list(sections.values()),
        cancelled=cancelled,
    )
