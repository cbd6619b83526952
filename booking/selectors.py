"""Reads of the booking domain that are more than one line."""

from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from booking.dbfunctions import EpochCeil, EpochFloor
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityRule,
    Lawyer,
    Office,
    Status,
    TimeOff,
    Topic,
)
from booking.slots import Policy, Rule, Slot, available_slots, bookable_days, day_bounds


def _as_epoch_rows(queryset) -> list[tuple[int, int, int]]:
    """``(lawyer_id, start, end)`` in epoch seconds, rounded outwards, in no order."""
    return list(
        queryset.order_by().values_list("lawyer_id", EpochFloor("starts_at"), EpochCeil("ends_at"))
    )


def get_policy(office: Office) -> Policy:
    return Policy(min_notice=office.min_notice, horizon_days=office.horizon_days)


def list_free_slots(
    *,
    office: Office,
    topic: Topic,
    lawyer: Lawyer | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    now: datetime | None = None,
    ignore_appointment_id: int | None = None,
    count_appointments: bool = True,
) -> list[Slot]:
    """Free slots at ``office`` for ``topic``, of one lawyer or of any who covers it.

    Three queries whatever the number of lawyers, rules or appointments. A lawyer's
    appointments at other offices count as busy too. ``ignore_appointment_id`` leaves
    one appointment out of the busy time (the one being moved); ``count_appointments``
    false leaves all of them out (to tell "taken" from "never offered").
    """
    now = now or timezone.now()
    policy = get_policy(office)
    tz = office.tz
    today, horizon = bookable_days(policy=policy, tz=tz, now=now)
    first_day = max(first_day or today, today)
    last_day = min(last_day or horizon, horizon)
    if first_day > last_day:
        return []

    rules_qs = (
        AvailabilityRule.objects.filter(
            office=office,
            lawyer__is_active=True,
            lawyer__offices=office,
            lawyer__topics=topic,
        )
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=last_day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=first_day),
        )
        .order_by()
    )
    if lawyer is not None:
        rules_qs = rules_qs.filter(lawyer=lawyer)
    rules = [
        Rule(*row)
        for row in rules_qs.values_list(
            "lawyer_id",
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "mode",
            "valid_from",
            "valid_until",
        )
    ]
    if not rules:
        return []

    lawyer_ids = {rule.lawyer_id for rule in rules}
    range_start, range_end = day_bounds(first_day, last_day, tz)
    busy: list[tuple[int, int, int]] = []
    if count_appointments:
        appointments = Appointment.objects.filter(
            lawyer_id__in=lawyer_ids,
            status__in=BLOCKING_STATUSES,
            starts_at__lt=range_end,
            ends_at__gt=range_start,
        )
        if ignore_appointment_id is not None:
            appointments = appointments.exclude(pk=ignore_appointment_id)
        busy += _as_epoch_rows(appointments)
    busy += _as_epoch_rows(
        TimeOff.objects.filter(
            lawyer_id__in=lawyer_ids, starts_at__lt=range_end, ends_at__gt=range_start
        )
    )
    return available_slots(
        rules=rules,
        busy=busy,
        policy=policy,
        tz=tz,
        now=now,
        first_day=first_day,
        last_day=last_day,
    )


def count_active_bookings(*, resident_id: int, office: Office, now: datetime) -> int:
    """Upcoming booked consultations that a resident holds at an office."""
    return Appointment.objects.filter(
        resident_id=resident_id,
        office=office,
        status=Status.BOOKED,
        ends_at__gt=now,
    ).count()
