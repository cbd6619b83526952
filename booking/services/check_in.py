"""The desk checks residents in when they arrive for a consultation in person, or undoes it.

Check-in is the desk's own record for the day: it changes nobody's free time and tells
the resident and the lawyer's calendar nothing, so neither the appointment's sequence
nor the schedule version goes up. Only a booked consultation in person at the desk's own
office, on the office's today, can be checked in; the same rules hold for undoing it.
Checking in twice keeps the first time (a double click), and undoing a check-in that is
not there changes nothing.

Chapter: docs/desk.md#the-desks-day-sheet.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from booking.errors import (
    CheckInByPhone,
    CheckInNotBooked,
    CheckInNotToday,
    CheckInOtherOffice,
)
from booking.models import Appointment, Mode, Office, Status


def _locked_and_checked(
    *, appointment: Appointment, office: Office, by: User, now: datetime
) -> Appointment:
    # Only the appointment row: check-in decides nothing about the lawyer's time.
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("resident")
        .get(pk=appointment.pk)
    )
    if locked.office_id != office.pk or by.office_id != office.pk:
        raise CheckInOtherOffice()
    if locked.status != Status.BOOKED:
        raise CheckInNotBooked()
    if locked.mode == Mode.PHONE:
        raise CheckInByPhone()
    if locked.starts_at.astimezone(office.tz).date() != now.astimezone(office.tz).date():
        raise CheckInNotToday()
    return locked


def check_in(
    *, appointment: Appointment, office: Office, by: User, now: datetime | None = None
) -> Appointment:
    """Record that the resident of ``appointment`` has arrived at ``office``, seen by ``by``.

    ``by`` must be staff of ``office``; who checked in is not stored (the model has no
    field for it).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_and_checked(appointment=appointment, office=office, by=by, now=now)
        if locked.checked_in_at is None:
            locked.checked_in_at = now
            locked.save(update_fields=["checked_in_at", "updated_at"])
    return locked


def undo_check_in(
    *, appointment: Appointment, office: Office, by: User, now: datetime | None = None
) -> Appointment:
    """Clear a check-in recorded by mistake, under the same rules as ``check_in``."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_and_checked(appointment=appointment, office=office, by=by, now=now)
        if locked.checked_in_at is not None:
            locked.checked_in_at = None
            locked.save(update_fields=["checked_in_at", "updated_at"])
    return locked
