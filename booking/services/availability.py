"""A lawyer's weekly hours and time off, and the booked appointments a change strands.

A change **strands** an appointment that is booked, has not started, and would be left
where the lawyer no longer expects anyone: for weekly hours, it lay inside the lawyer's
hours at its office before the change and not after it (inside means a range of that
office valid on its local day, on its weekday, of its mode, holding its whole time);
for new time off, it overlaps the time off. An appointment already outside the hours
(one kept earlier) is not asked about again by a change of hours.

A change that strands appointments is applied only with a decision for each of them,
``keep`` or ``cancel`` (``decisions``, appointment id → decision). The services lock the
lawyer's row and the appointments concerned, work out the stranded set again, and refuse
with ``DecisionsNeeded`` (carrying the set as it is now) unless the decisions cover
exactly that set: nothing is cancelled without a decision, and an appointment booked
after the lawyer looked is never decided for them. "Cancel" is ``cancel_appointment``
in the same transaction, so the resident's cancellation SMS is written with the change.
Keeping is allowed: an appointment may lie outside the hours.

Saving or deleting a rule or time off bumps the schedule version through
booking/signals.py, in the same transaction; cancelling bumps it in its own service.

Known limits: the weekly hours of one office are compared in that office's time zone;
time off is entered in one time zone (``time_off_bounds``) and applies at every office.

Chapter: docs/lawyer.md#the-lawyers-hours-and-time-off.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.errors import DecisionsNeeded
from booking.models import Appointment, AvailabilityRule, Lawyer, Office, Status, TimeOff
from booking.services.appointments import cancel_appointment, lock_lawyers
from booking.slots import Rule

KEEP = "keep"
CANCEL = "cancel"
Decision = Literal["keep", "cancel"]
DECISIONS = (KEEP, CANCEL)

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 480

END_BEFORE_START = _("The end must be after the start.")
SLOT_LENGTH_OUT_OF_RANGE = _("A consultation lasts between 5 and 480 minutes.")
SLOT_DOES_NOT_FIT = _("The hours are shorter than one consultation.")
VALID_UNTIL_BEFORE_FROM = _("“Valid until” cannot be before “valid from”.")
RANGES_OVERLAP = _(
    "These hours overlap your hours %(start)s–%(end)s on the same day at the same office."
)
NOT_YOUR_OFFICE = _("Choose one of your offices.")
TIME_OFF_END_BEFORE_START = _("The time off must end after it starts.")
TIME_OFF_OVER = _("This time off is already over.")


@dataclass(frozen=True)
class AvailabilityChange:
    """What a change saved (None after a deletion) and what became of its stranded set."""

    saved: AvailabilityRule | TimeOff | None
    kept: list[Appointment] = field(default_factory=list)
    cancelled: list[Appointment] = field(default_factory=list)


def time_off_bounds(
    *,
    first_day: date,
    last_day: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    tz: tzinfo,
) -> tuple[datetime, datetime]:
    """Local days and times → aware instants: whole days, a range of days, part of a day.

    Without times, from midnight before ``first_day`` to midnight after ``last_day``
    (``first_day`` when not given); ``start_time`` starts it later on the first day and
    ``end_time`` ends it earlier on the last day.
    """
    last_day = last_day or first_day
    starts_at = datetime.combine(first_day, start_time or time(0), tz)
    if end_time is None:
        ends_at = datetime.combine(last_day + timedelta(days=1), time(0), tz)
    else:
        ends_at = datetime.combine(last_day, end_time, tz)
    return starts_at, ends_at


def _upcoming_booked(*, lawyer_id: int, now: datetime, **filters: Any) -> list[Appointment]:
    """Booked appointments of a lawyer that have not started, locked (after the lawyer)."""
    return list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(lawyer_id=lawyer_id, status=Status.BOOKED, starts_at__gt=now, **filters)
        .select_related("office", "resident")
        .order_by("starts_at", "pk")
    )


def _as_rule(rule: AvailabilityRule) -> Rule:
    return Rule(
        lawyer_id=rule.lawyer_id,
        weekday=rule.weekday,
        start=rule.start_time,
        end=rule.end_time,
        slot_minutes=rule.slot_minutes,
        mode=rule.mode,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )


def is_inside_hours(appointment: Appointment, rules: list[Rule], tz: tzinfo) -> bool:
    """Whether one of ``rules`` (all of the appointment's office) holds the appointment."""
    start = appointment.starts_at.astimezone(tz)
    end = appointment.ends_at.astimezone(tz)
    if end.date() != start.date():
        return False
    return any(
        rule.applies_on(start.date())
        and rule.mode == appointment.mode
        and rule.start <= start.time()
        and end.time() <= rule.end
        for rule in rules
    )


def _settle(
    *,
    stranded: list[Appointment],
    decisions: Mapping[int, Decision] | None,
    lawyer: Lawyer,
    now: datetime,
) -> tuple[list[Appointment], list[Appointment]]:
    """Check the decisions against the stranded set; cancel those to cancel.

    Call before writing the change itself, inside its transaction.
    """
    decisions = dict(decisions or {})
    if any(value not in DECISIONS for value in decisions.values()):
        raise ValueError(f"decisions must be {KEEP!r} or {CANCEL!r}")
    if set(decisions) != {appointment.pk for appointment in stranded}:
        raise DecisionsNeeded(stranded=stranded, changed=bool(decisions))
    kept = [each for each in stranded if decisions[each.pk] == KEEP]
    cancelled = [
        cancel_appointment(appointment=each, by=lawyer.user, now=now)
        for each in stranded
        if decisions[each.pk] == CANCEL
    ]
    return kept, cancelled


# Weekly hours


def _check_rule(rule: AvailabilityRule) -> None:
    """The rule's own values, then its neighbours: clear messages before the constraints."""
    errors: dict[str, list] = {}
    if not rule.lawyer.offices.filter(pk=rule.office_id).exists():
        errors["office"] = [ValidationError(NOT_YOUR_OFFICE, code="not_your_office")]
    if rule.start_time >= rule.end_time:
        errors["end_time"] = [ValidationError(END_BEFORE_START, code="end_before_start")]
    if not MIN_SLOT_MINUTES <= rule.slot_minutes <= MAX_SLOT_MINUTES:
        errors["slot_minutes"] = [
            ValidationError(SLOT_LENGTH_OUT_OF_RANGE, code="slot_length_out_of_range")
        ]
    elif rule.start_time < rule.end_time:
        length = datetime.combine(date.min, rule.end_time) - datetime.combine(
            date.min, rule.start_time
        )
        if length < timedelta(minutes=rule.slot_minutes):
            errors["slot_minutes"] = [ValidationError(SLOT_DOES_NOT_FIT, code="slot_does_not_fit")]
    if rule.valid_from and rule.valid_until and rule.valid_until < rule.valid_from:
        errors["valid_until"] = [
            ValidationError(VALID_UNTIL_BEFORE_FROM, code="valid_until_before_from")
        ]
    if not errors:
        clash = _overlapping_rule(rule)
        if clash is not None:
            errors[NON_FIELD_ERRORS] = [
                ValidationError(
                    RANGES_OVERLAP,
                    code="ranges_overlap",
                    params={
                        "start": f"{clash.start_time:%H:%M}",
                        "end": f"{clash.end_time:%H:%M}",
                    },
                )
            ]
    if errors:
        raise ValidationError(errors)
    rule.full_clean()


def _overlapping_rule(rule: AvailabilityRule) -> AvailabilityRule | None:
    """Another range of the lawyer, office and weekday, overlapping in time and validity."""
    others = AvailabilityRule.objects.filter(
        lawyer_id=rule.lawyer_id,
        office_id=rule.office_id,
        weekday=rule.weekday,
        start_time__lt=rule.end_time,
        end_time__gt=rule.start_time,
    ).order_by("start_time", "pk")
    if rule.pk is not None:
        others = others.exclude(pk=rule.pk)
    for other in others:
        if (
            other.valid_until is None
            or rule.valid_from is None
            or rule.valid_from <= other.valid_until
        ) and (
            rule.valid_until is None
            or other.valid_from is None
            or other.valid_from <= rule.valid_until
        ):
            return other
    return None


def _stranded_by_hours(
    *,
    lawyer_id: int,
    office: Office,
    before: list[AvailabilityRule],
    after: list[AvailabilityRule],
    now: datetime,
) -> list[Appointment]:
    rules_before = [_as_rule(rule) for rule in before if rule.office_id == office.pk]
    rules_after = [_as_rule(rule) for rule in after if rule.office_id == office.pk]
    tz = office.tz
    return [
        appointment
        for appointment in _upcoming_booked(lawyer_id=lawyer_id, now=now, office=office)
        if is_inside_hours(appointment, rules_before, tz)
        and not is_inside_hours(appointment, rules_after, tz)
    ]


def add_availability_rule(
    *,
    lawyer: Lawyer,
    office: Office,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    mode: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> AvailabilityChange:
    """Add a range of weekly hours. More hours strand nothing."""
    with transaction.atomic():
        lock_lawyers(lawyer.pk)
        rule = AvailabilityRule(
            lawyer=lawyer,
            office=office,
            weekday=weekday,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            mode=mode,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        _check_rule(rule)
        rule.save(force_insert=True)
    return AvailabilityChange(saved=rule)


def change_availability_rule(
    *,
    rule: AvailabilityRule,
    office: Office,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    mode: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    decisions: Mapping[int, Decision] | None = None,
    now: datetime | None = None,
) -> AvailabilityChange:
    """Change a range of weekly hours; raises ``DecisionsNeeded`` if that strands any."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_lawyers(rule.lawyer_id)
        # Read again under the lock: the page may show an older version of the range.
        rule = AvailabilityRule.objects.select_related("lawyer__user", "office").get(pk=rule.pk)
        old_office = rule.office
        before = list(AvailabilityRule.objects.filter(lawyer_id=rule.lawyer_id, office=old_office))
        rule.office = office
        rule.weekday = weekday
        rule.start_time = start_time
        rule.end_time = end_time
        rule.slot_minutes = slot_minutes
        rule.mode = mode
        rule.valid_from = valid_from
        rule.valid_until = valid_until
        _check_rule(rule)
        after = [rule if each.pk == rule.pk else each for each in before]
        stranded = _stranded_by_hours(
            lawyer_id=rule.lawyer_id, office=old_office, before=before, after=after, now=now
        )
        kept, cancelled = _settle(
            stranded=stranded, decisions=decisions, lawyer=rule.lawyer, now=now
        )
        rule.save(
            update_fields=[
                "office",
                "weekday",
                "start_time",
                "end_time",
                "slot_minutes",
                "mode",
                "valid_from",
                "valid_until",
            ]
        )
    return AvailabilityChange(saved=rule, kept=kept, cancelled=cancelled)


def delete_availability_rule(
    *,
    rule: AvailabilityRule,
    decisions: Mapping[int, Decision] | None = None,
    now: datetime | None = None,
) -> AvailabilityChange:
    """Delete a range of weekly hours; raises ``DecisionsNeeded`` if that strands any."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_lawyers(rule.lawyer_id)
        rule = AvailabilityRule.objects.select_related("lawyer__user", "office").get(pk=rule.pk)
        before = list(AvailabilityRule.objects.filter(lawyer_id=rule.lawyer_id, office=rule.office))
        after = [each for each in before if each.pk != rule.pk]
        stranded = _stranded_by_hours(
            lawyer_id=rule.lawyer_id, office=rule.office, before=before, after=after, now=now
        )
        kept, cancelled = _settle(
            stranded=stranded, decisions=decisions, lawyer=rule.lawyer, now=now
        )
        rule.delete()
    return AvailabilityChange(saved=None, kept=kept, cancelled=cancelled)


# Time off


def add_time_off(
    *,
    lawyer: Lawyer,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    decisions: Mapping[int, Decision] | None = None,
    now: datetime | None = None,
) -> AvailabilityChange:
    """Add time off (``time_off_bounds`` makes the instants of days and times).

    Raises ``DecisionsNeeded`` when booked appointments lie inside it, at any office.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lock_lawyers(lawyer.pk)
        time_off = TimeOff(lawyer=lawyer, starts_at=starts_at, ends_at=ends_at, reason=reason)
        if ends_at <= starts_at:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        ValidationError(TIME_OFF_END_BEFORE_START, code="end_before_start")
                    ]
                }
            )
        if ends_at <= now:
            raise ValidationError(
                {NON_FIELD_ERRORS: [ValidationError(TIME_OFF_OVER, code="time_off_over")]}
            )
        time_off.full_clean()
        stranded = _upcoming_booked(
            lawyer_id=lawyer.pk, now=now, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        kept, cancelled = _settle(stranded=stranded, decisions=decisions, lawyer=lawyer, now=now)
        time_off.save(force_insert=True)
    return AvailabilityChange(saved=time_off, kept=kept, cancelled=cancelled)


def delete_time_off(*, time_off: TimeOff) -> AvailabilityChange:
    """Delete time off: the time becomes free again, which strands nothing."""
    with transaction.atomic():
        lock_lawyers(time_off.lawyer_id)
        TimeOff.objects.filter(pk=time_off.pk).delete()
    return AvailabilityChange(saved=None)
