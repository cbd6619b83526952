"""Booking, cancelling and moving appointments.

Each service of booking runs in one transaction that first locks the rows its decision
depends on, always in the same order (resident, then lawyers by id, then the
appointment), re-checks the request against the slot engine and the conflict check
(booking/conflicts.py), and writes. The lawyer's lock settles the conflict check too:
whom a lawyer advised grows only by bookings and moves to that lawyer, which take the
same lock (or by a client's new phone number). The database's own overlap rule is the
last line of defence: if it fires, the caller gets ``SlotTaken`` like any other loser of
a race. The resident's text messages are written to the outbox in the same transaction,
and the schedule version (booking/pagecache.py) goes up in it: every service that
changes anyone's free time must bump it.

What a booking keeps of typed text is decided by accounts/text.py: names cleaned, free
text cleaned, both refused (``TextNotAccepted``) with hidden characters that turn text
around. What the resident wrote about the matter and the other party is kept only with
their separate consent (``matter_consent_at``, PIPL art. 29), else ``MatterConsentNeeded``.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.text import TextRefused, clean_name, clean_text
from booking import selectors
from booking.conflicts import conflicted_lawyer_ids, normalise_name
from booking.errors import (
    AlreadyStarted,
    BookingError,
    ConflictOfInterest,
    CoolingDown,
    MatterConsentNeeded,
    NoNumberToCall,
    NotActive,
    SlotNotOffered,
    SlotTaken,
    TextNotAccepted,
    TooLateToCancel,
    TooManyActiveBookings,
)
from booking.models import Appointment, Channel, Lawyer, Mode, Office, Status, Topic
from booking.models.version import bump_schedule_version
from booking.reference import new_reference
from booking.slots import Slot
from sms.services import notify_booked, notify_cancelled, notify_rescheduled

REFERENCE_ATTEMPTS = 5


def _lock_resident(resident_id: int) -> None:
    # Serialises one resident's bookings, so the active-bookings limit holds under races.
    list(get_user_model().objects.select_for_update().filter(pk=resident_id).values_list("pk"))


def lock_lawyers(*lawyer_ids: int) -> None:
    """Serialise the decisions about these lawyers' time (booking, hours, time off).

    Ids sorted to avoid deadlocks. Every service that decides about a lawyer's time
    takes this lock first (after the resident's, where there is one).
    """
    list(
        Lawyer.objects.select_for_update()
        .filter(pk__in=set(lawyer_ids))
        .order_by("pk")
        .values_list("pk")
    )


def _find_offered_slot(
    *,
    office: Office,
    topic: Topic,
    lawyer: Lawyer,
    starts_at: datetime,
    mode: str,
    now: datetime,
    ignore_appointment_id: int | None = None,
) -> Slot:
    day = starts_at.astimezone(office.tz).date()
    # Not offered: say "taken" when another appointment is what stands in the way, that
    # is when the slot would be offered if appointments did not count.
    for count_appointments in (True, False):
        for slot in selectors.list_free_slots(
            office=office,
            topic=topic,
            lawyer=lawyer,
            first_day=day,
            last_day=day,
            now=now,
            ignore_appointment_id=ignore_appointment_id,
            count_appointments=count_appointments,
        ):
            if slot.start == starts_at and slot.mode == mode:
                if count_appointments:
                    return slot
                raise SlotTaken()
    raise SlotNotOffered()


def cleaned(clean: Callable[..., str], value: str, **options: bool) -> str:
    """``clean(value)`` of accounts/text.py, its refusal as a booking error."""
    try:
        return clean(value, **options)
    except TextRefused as refused:
        raise TextNotAccepted(refused) from None


def consent_for_matter(
    *,
    summary: str = "",
    opposing_party: str = "",
    opposing_party_phone: str = "",
    at: datetime | None,
) -> datetime | None:
    """The consent to keep with these details of the matter: ``at`` when any is given
    (``MatterConsentNeeded`` without it), else None (nothing to consent to)."""
    if not (summary or opposing_party or opposing_party_phone):
        return None
    if at is None:
        raise MatterConsentNeeded()
    return at


def _save_in_savepoint(appointment: Appointment, **save_kwargs: Any) -> None:
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError:
        # The overlap rule of the database (exclusion constraint or trigger) fired.
        raise SlotTaken() from None


def _insert_with_new_reference(appointment: Appointment) -> None:
    """Insert under a fresh reference code, drawing again if another booking has it."""
    for _attempt in range(REFERENCE_ATTEMPTS):
        appointment.reference = new_reference()
        if Appointment.objects.filter(reference=appointment.reference).exists():
            continue
        try:
            _save_in_savepoint(appointment, force_insert=True)
            return
        except SlotTaken:
            # A concurrent booking may have committed the same code: then draw again.
            if not Appointment.objects.filter(reference=appointment.reference).exists():
                raise
    raise RuntimeError("No free reference code found; widen booking.reference.LENGTH.")


def book_appointment(
    *,
    resident: User,
    office: Office,
    topic: Topic,
    lawyer: Lawyer,
    starts_at: datetime,
    mode: str,
    summary: str = "",
    opposing_party: str = "",
    opposing_party_phone: str = "",
    needs_interpreter: bool = False,
    dialect: str = "",
    accessibility_needs: str = "",
    safe_contact: bool = False,
    matter_consent_at: datetime | None = None,
    booked_by: User | None = None,
    channel: str = Channel.ONLINE,
    follow_up_of: Appointment | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the slot of ``lawyer`` starting at ``starts_at``, if it is offered right now
    and the lawyer has not advised the other party (``ConflictOfInterest``).

    ``matter_consent_at`` is when the resident agreed, on its own, to ``summary`` and the
    other party being kept; required when any of them is given (``MatterConsentNeeded``),
    stored only then. Typed text is cleaned, or refused (``TextNotAccepted``).

    The normalised names for the conflict check are taken here: the other party's, and
    the resident's from their ``display_name`` as it is now.
    """
    now = now or timezone.now()
    summary = cleaned(clean_text, summary)
    opposing_party = cleaned(clean_name, opposing_party)
    dialect = cleaned(clean_text, dialect, multiline=False)
    accessibility_needs = cleaned(clean_text, accessibility_needs, multiline=False)
    matter_consent_at = consent_for_matter(
        summary=summary,
        opposing_party=opposing_party,
        opposing_party_phone=opposing_party_phone,
        at=matter_consent_at,
    )
    if mode == Mode.PHONE and not resident.phone:
        raise NoNumberToCall()  # the lawyer would have no one to call
    with transaction.atomic():
        _lock_resident(resident.pk)
        lock_lawyers(lawyer.pk)
        refused = why_not_bookable(resident_id=resident.pk, office=office, now=now, channel=channel)
        if refused is not None:
            raise refused
        if conflicted_lawyer_ids(
            office=office,
            name=opposing_party,
            phone=opposing_party_phone,
            lawyer_ids=[lawyer.pk],
            now=now,
            exclude_resident_id=resident.pk,
        ):
            raise ConflictOfInterest()
        slot = _find_offered_slot(
            office=office, topic=topic, lawyer=lawyer, starts_at=starts_at, mode=mode, now=now
        )
        appointment = build_appointment(
            resident=resident,
            lawyer=lawyer,
            office=office,
            topic=topic,
            slot=slot,
            summary=summary,
            opposing_party=opposing_party,
            opposing_party_phone=opposing_party_phone,
            matter_consent_at=matter_consent_at,
            needs_interpreter=needs_interpreter,
            dialect=dialect,
            accessibility_needs=accessibility_needs,
            safe_contact=safe_contact,
            booked_by=booked_by,
            channel=channel,
            follow_up_of=follow_up_of,
        )
        insert_appointment(appointment)
        bump_schedule_version()
        notify_booked(appointment, now=now)
    return appointment


def why_not_bookable(
    *, resident_id: int, office: Office, now: datetime, channel: str = Channel.ONLINE
) -> BookingError | None:
    """Why the resident cannot book at ``office`` now: the active-booking limit, or, for
    a booking of their own online, a cool-down after missed consultations. None: they
    can. ``book_appointment`` checks it under the resident's lock; pages ask it to tell
    the resident before they choose a time."""
    active = selectors.count_active_bookings(resident_id=resident_id, office=office, now=now)
    if active >= office.max_active_bookings:
        return TooManyActiveBookings(limit=office.max_active_bookings)
    if channel == Channel.ONLINE:
        paused = selectors.cooldown(resident_id=resident_id, office=office, now=now)
        if paused is not None:
            return cooling_down(office, *paused)
    return None


def build_appointment(
    *,
    resident: User,
    slot: Slot,
    status: str = Status.BOOKED,
    opposing_party: str = "",
    **fields: Any,
) -> Appointment:
    """An unsaved appointment of ``resident`` for ``slot`` (its start, end and mode), with
    the normalised names of the conflict check: the other party's, and the resident's
    from their ``display_name`` as it is now. ``fields`` are the appointment's others
    (lawyer, office, topic, what the resident told, channel …), as given; the lawyer is
    the slot's unless ``fields`` names one."""
    if "lawyer" not in fields:
        fields["lawyer_id"] = slot.lawyer_id
    return Appointment(
        resident=resident,
        starts_at=slot.start,
        ends_at=slot.end,
        mode=slot.mode,
        status=status,
        opposing_party=opposing_party,
        opposing_party_key=normalise_name(opposing_party),
        resident_name_key=normalise_name(resident.display_name),
        **fields,
    )


def insert_appointment(appointment: Appointment) -> None:
    """Validate and insert an appointment from ``build_appointment`` under a fresh
    reference code (``SlotTaken`` if the database's overlap rule fires)."""
    appointment.full_clean(exclude=["reference"], validate_constraints=False)
    _insert_with_new_reference(appointment)


def cooling_down(office: Office, strikes: int, until: datetime) -> CoolingDown:
    day = timezone.localdate(until, office.tz)
    return CoolingDown(strikes=strikes, until=date_format(day, "DATE_FORMAT"), phone=office.phone)


def _check_changeable(appointment: Appointment, *, by: User, now: datetime) -> None:
    if appointment.status != Status.BOOKED:
        raise NotActive()
    if appointment.starts_at <= now:
        raise AlreadyStarted()
    if (
        by.pk == appointment.resident_id
        and now > appointment.starts_at - appointment.office.cancel_cutoff
    ):
        raise TooLateToCancel()


def cancel_appointment(
    *, appointment: Appointment, by: User, now: datetime | None = None
) -> Appointment:
    """Cancel a booked consultation; residents only until the office's cut-off."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            # Only the appointment row is locked, not the joined office and resident.
            Appointment.objects.select_for_update(of=("self",))
            .select_related("office", "resident")
            .get(pk=appointment.pk)
        )
        _check_changeable(appointment, by=by, now=now)
        appointment.status = Status.CANCELLED
        appointment.cancelled_at = now
        appointment.cancelled_by_resident = by.pk == appointment.resident_id
        appointment.sequence += 1
        appointment.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancelled_by_resident",
                "sequence",
                "updated_at",
            ]
        )
        bump_schedule_version()
        notify_cancelled(appointment, now=now)
    return appointment


def reschedule_appointment(
    *,
    appointment: Appointment,
    starts_at: datetime,
    mode: str,
    lawyer: Lawyer | None = None,
    by: User,
    now: datetime | None = None,
) -> Appointment:
    """Move a consultation to another offered slot: the new slot is taken or nothing changes.

    The appointment keeps its identity (reference, calendar UID) and its sequence goes up,
    and what the resident wrote with the consent they gave for it. A move to another
    lawyer is refused with ``ConflictOfInterest`` when that lawyer advised the other
    party, as a booking would be.
    """
    now = now or timezone.now()
    new_lawyer_id = lawyer.pk if lawyer is not None else appointment.lawyer_id
    with transaction.atomic():
        _lock_resident(appointment.resident_id)
        lock_lawyers(appointment.lawyer_id, new_lawyer_id)
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("office", "topic", "lawyer", "resident")
            .get(pk=appointment.pk)
        )
        _check_changeable(appointment, by=by, now=now)
        new_lawyer = lawyer if lawyer is not None else appointment.lawyer
        if new_lawyer.pk != appointment.lawyer_id and conflicted_lawyer_ids(
            office=appointment.office,
            name=appointment.opposing_party,
            phone=appointment.opposing_party_phone,
            lawyer_ids=[new_lawyer.pk],
            now=now,
            exclude_resident_id=appointment.resident_id,
        ):
            raise ConflictOfInterest()
        slot = _find_offered_slot(
            office=appointment.office,
            topic=appointment.topic,
            lawyer=new_lawyer,
            starts_at=starts_at,
            mode=mode,
            now=now,
            ignore_appointment_id=appointment.pk,
        )
        appointment.lawyer = new_lawyer
        appointment.starts_at = slot.start
        appointment.ends_at = slot.end
        appointment.mode = slot.mode
        appointment.sequence += 1
        _save_in_savepoint(
            appointment,
            update_fields=["lawyer", "starts_at", "ends_at", "mode", "sequence", "updated_at"],
        )
        bump_schedule_version()
        notify_rescheduled(appointment, now=now)
    return appointment
