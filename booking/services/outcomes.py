"""What a lawyer records about their own consultations: outcome, private note, follow-up.

Each service takes the acting lawyer and refuses an appointment of another lawyer with
``NotYourAppointment`` (the views answer 404 before it comes to that). A follow-up that
the lawyer books directly goes through ``book_appointment`` (the resident gets the
confirmation SMS); one the office should arrange is a ``FollowUp`` for the desk.

Chapter: docs/lawyer.md#the-lawyers-agenda.
"""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from booking.errors import NotActive, NotYourAppointment, OutcomeTooEarly
from booking.models import (
    Appointment,
    AppointmentNote,
    Channel,
    FollowUp,
    FollowUpStatus,
    Lawyer,
    Status,
)
from booking.models.version import bump_schedule_version
from booking.services.appointments import book_appointment

OUTCOMES = (Status.ATTENDED, Status.NO_SHOW)


def _own(appointment: Appointment, lawyer: Lawyer) -> Appointment:
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.lawyer_id != lawyer.pk:
        raise NotYourAppointment()
    return locked


def record_outcome(
    *, appointment: Appointment, lawyer: Lawyer, outcome: str, now: datetime | None = None
) -> Appointment:
    """Mark a consultation attended or not attended, once it has started; correctable."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _own(appointment, lawyer)
        if appointment.status not in (Status.BOOKED, *OUTCOMES):
            raise NotActive()
        if appointment.starts_at > now:
            raise OutcomeTooEarly()
        if appointment.status != outcome:
            appointment.status = outcome
            appointment.sequence += 1
            appointment.save(update_fields=["status", "sequence", "updated_at"])
            bump_schedule_version()  # a no-show no longer holds the lawyer's time
    return appointment


def save_note(*, appointment: Appointment, lawyer: Lawyer, text: str) -> AppointmentNote:
    """The lawyer's own private note on their appointment (one per lawyer, replaced)."""
    with transaction.atomic():
        appointment = _own(appointment, lawyer)
        note = AppointmentNote.objects.filter(appointment=appointment, author=lawyer).first()
        note = note or AppointmentNote(appointment=appointment, author=lawyer)
        note.text = text.strip()
        note.full_clean()
        note.save()
    return note


def request_follow_up(
    *,
    appointment: Appointment,
    lawyer: Lawyer,
    invite_by: date,
    note_for_office: str = "",
) -> FollowUp:
    """Ask the office to invite the resident back by ``invite_by``; asking again re-dates."""
    with transaction.atomic():
        appointment = _own(appointment, lawyer)
        follow_up = FollowUp.objects.filter(
            appointment=appointment, status=FollowUpStatus.OPEN
        ).first() or FollowUp(appointment=appointment, requested_by=lawyer)
        follow_up.invite_by = invite_by
        follow_up.note_for_office = note_for_office.strip()
        follow_up.full_clean()
        follow_up.save()
    return follow_up


def book_follow_up(
    *,
    appointment: Appointment,
    lawyer: Lawyer,
    starts_at: datetime,
    mode: str,
    now: datetime | None = None,
) -> Appointment:
    """Book the resident's next consultation with this lawyer; the resident gets an SMS.

    The new appointment keeps the resident's needs, other party and contact preference,
    records the lawyer as the one who booked it, and points to the first one. The other
    party goes along with the resident's consent to keep it, when they gave one.
    """
    consented = appointment.matter_consent_at is not None
    if appointment.lawyer_id != lawyer.pk:
        raise NotYourAppointment()
    if appointment.status == Status.CANCELLED:
        raise NotActive()
    return book_appointment(
        resident=appointment.resident,
        office=appointment.office,
        topic=appointment.topic,
        lawyer=lawyer,
        starts_at=starts_at,
        mode=mode,
        opposing_party=appointment.opposing_party if consented else "",
        opposing_party_phone=appointment.opposing_party_phone if consented else "",
        matter_consent_at=appointment.matter_consent_at,
        needs_interpreter=appointment.needs_interpreter,
        dialect=appointment.dialect,
        accessibility_needs=appointment.accessibility_needs,
        safe_contact=appointment.safe_contact,
        booked_by=lawyer.user,
        channel=Channel.LAWYER,
        follow_up_of=appointment,
        now=now,
    )
