"""Reads of the booking domain that are more than one line."""

from datetime import date, datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from booking.dbfunctions import EpochCeil, EpochFloor
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityRule,
    DutyDay,
    DutyException,
    FollowUp,
    FollowUpStatus,
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


def filter_valid_rules(
    rules: QuerySet[AvailabilityRule], *, first_day: date, last_day: date
) -> QuerySet[AvailabilityRule]:
    """The weekly hours of ``rules`` in force on some day from ``first_day`` to
    ``last_day``: their ``valid_from`` and ``valid_until`` (each open when empty)."""
    return rules.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=last_day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=first_day),
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

    rules = AvailabilityRule.objects.filter(
        office=office,
        lawyer__is_active=True,
        lawyer__offices=office,
        lawyer__topics=topic,
    )
    if ignore_appointment_id is None:
        # New bookings only in an area the office offers and that is switched on; an
        # appointment already booked in it can still be moved (switching an area off
        # takes no new bookings and keeps those made).
        rules = rules.filter(office__topics=topic, office__topics__is_active=True)
    if lawyer is not None:
        rules = rules.filter(lawyer=lawyer)
    return free_slots_of_rules(
        office=office,
        rules=rules,
        first_day=first_day,
        last_day=last_day,
        now=now,
        policy=policy,
        ignore_appointment_id=ignore_appointment_id,
        count_appointments=count_appointments,
    )


def free_slots_of_rules(
    *,
    office: Office,
    rules: QuerySet[AvailabilityRule],
    first_day: date,
    last_day: date,
    now: datetime,
    policy: Policy | None = None,
    ignore_appointment_id: int | None = None,
    count_appointments: bool = True,
) -> list[Slot]:
    """The free slots that ``rules`` (weekly hours at ``office``) give from ``first_day``
    to ``last_day``, minus the lawyers' appointments (at any office) and time off. Three
    queries. ``list_free_slots`` picks the rules of one area of law; the figures take
    every area's at once.
    """
    rule_rows = [
        Rule(*row)
        for row in filter_valid_rules(rules, first_day=first_day, last_day=last_day)
        .order_by()
        .values_list(
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
    if not rule_rows:
        return []

    tz = office.tz
    lawyer_ids = {rule.lawyer_id for rule in rule_rows}
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
        rules=rule_rows,
        busy=busy,
        policy=policy or get_policy(office),
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


def cooldown(*, resident_id: int, office: Office, now: datetime) -> tuple[int, datetime] | None:
    """``(strikes, until)`` while a resident may not book online at ``office``, else None.

    A strike is a consultation within the office's window that the resident did not come
    to, or cancelled themselves within ``late_cancel_hours`` of its start. With
    ``cooldown_strikes`` of them, online booking pauses for ``cooldown_days`` after the
    latest. Cancellations by the office or a lawyer never count, nor does the desk
    booking for the resident. One query.
    """
    if not office.cooldown_strikes or not office.cooldown_days:
        return None
    late = timedelta(hours=office.late_cancel_hours)
    strikes = list(
        Appointment.objects.filter(
            resident_id=resident_id,
            office=office,
            starts_at__gte=now - timedelta(days=office.cooldown_window_days),
            starts_at__lte=now + late,
        )
        .filter(
            Q(status=Status.NO_SHOW)
            | Q(
                status=Status.CANCELLED,
                cancelled_by_resident=True,
                cancelled_at__gte=F("starts_at") - late,
            )
        )
        .order_by("-starts_at")
        .values_list("starts_at", "cancelled_at")[: office.cooldown_strikes]
    )
    if len(strikes) < office.cooldown_strikes:
        return None
    latest = max(cancelled_at or starts_at for starts_at, cancelled_at in strikes)
    until = latest + timedelta(days=office.cooldown_days)
    return (len(strikes), until) if until > now else None


def get_offered_topics(*, office: Office | None = None) -> QuerySet[Topic]:
    """Areas of law that ``office`` offers (its own choice, ``Office.topics``) and that
    are switched on for everyone (``Topic.is_active``); of any office when None.

    Every page and form that lists or accepts areas of law for an office starts here.
    """
    if office is None:
        topics = Topic.objects.filter(is_active=True, offices__isnull=False)
    else:
        topics = Topic.objects.filter(is_active=True, offices=office)
    return topics.distinct().order_by("position", "code")


def get_bookable_topics(*, office: Office) -> QuerySet[Topic]:
    """Areas of law ``office`` offers that at least one lawyer taking bookings there covers."""
    return get_offered_topics(office=office).filter(
        lawyers__offices=office, lawyers__is_active=True
    )


def list_bookable_topics(*, office: Office) -> list[Topic]:
    return list(get_bookable_topics(office=office))


def list_topic_lawyers(*, office: Office, topic: Topic) -> list[Lawyer]:
    """Lawyers taking bookings at ``office`` for ``topic``, by name."""
    return list(
        Lawyer.objects.filter(offices=office, topics=topic, is_active=True)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )


def _hours_on(*, offices: list[Office], day: date) -> dict[int, dict[int, tuple[str, list[str]]]]:
    """Per office and lawyer: (name, hours) of consultation hours on ``day``.

    Hours wholly covered by time off are left out. Two queries, or one when nobody has
    hours that day.
    """
    rules = list(
        filter_valid_rules(
            AvailabilityRule.objects.filter(
                office__in=offices, weekday=day.weekday(), lawyer__is_active=True
            ),
            first_day=day,
            last_day=day,
        )
        .select_related("lawyer__user", "office")
        .order_by("lawyer__user__display_name", "lawyer_id", "start_time")
    )
    if not rules:
        return {}
    time_off = list(
        TimeOff.objects.filter(
            lawyer_id__in={rule.lawyer_id for rule in rules},
            starts_at__lt=max(day_bounds(day, day, office.tz)[1] for office in offices),
            ends_at__gt=min(day_bounds(day, day, office.tz)[0] for office in offices),
        ).values_list("lawyer_id", "starts_at", "ends_at")
    )
    hours_on: dict[int, dict[int, tuple[str, list[str]]]] = {}
    for rule in rules:
        tz = rule.office.tz
        start = datetime.combine(day, rule.start_time, tz)
        end = datetime.combine(day, rule.end_time, tz)
        if any(
            lawyer_id == rule.lawyer_id and off_start <= start and end <= off_end
            for lawyer_id, off_start, off_end in time_off
        ):
            continue
        lawyers = hours_on.setdefault(rule.office_id, {})
        _name, hours = lawyers.setdefault(rule.lawyer_id, (str(rule.lawyer.user), []))
        hours.append(f"{rule.start_time:%H:%M}–{rule.end_time:%H:%M}")
    return hours_on


def _duty(*, offices: list[Office], day: date) -> dict[int, dict[int, tuple[str, list[str]]]]:
    """Per office id, per lawyer id on duty on ``day``: name and consultation hours."""
    hours_on = _hours_on(offices=offices, day=day)
    pattern = list(DutyDay.objects.filter(office__in=offices).select_related("lawyer__user"))
    exceptions = list(
        DutyException.objects.filter(office__in=offices, date=day).select_related("lawyer__user")
    )
    rostered = {entry.office_id for entry in pattern} | {entry.office_id for entry in exceptions}
    on_duty = {
        office_id: lawyers for office_id, lawyers in hours_on.items() if office_id not in rostered
    }
    for office_id in rostered:
        names = {
            entry.lawyer_id: str(entry.lawyer.user)
            for entry in pattern
            if entry.office_id == office_id and entry.weekday == day.weekday()
        }
        for entry in exceptions:
            if entry.office_id != office_id:
                continue
            if entry.on_duty:
                names[entry.lawyer_id] = str(entry.lawyer.user)
            else:
                names.pop(entry.lawyer_id, None)
        hours = hours_on.get(office_id, {})
        on_duty[office_id] = {
            lawyer_id: (name, hours.get(lawyer_id, (name, []))[1])
            for lawyer_id, name in names.items()
        }
    return {office_id: lawyers for office_id, lawyers in on_duty.items() if lawyers}


def list_on_duty(*, offices: list[Office], day: date) -> dict[int, list[tuple[str, list[str]]]]:
    """Per office id: who is on duty on ``day``, by name, with their consultation hours.

    An office with a duty roster (any weekly entry, or an exception that day) shows the
    roster: the weekly pattern, plus lawyers on duty by exception, minus those off by
    exception. An office without one shows who holds consultation hours that day. Four
    queries at most, for any number of offices.
    """
    return {
        office_id: sorted(lawyers.values())
        for office_id, lawyers in _duty(offices=offices, day=day).items()
    }


def list_on_duty_lawyer_ids(*, office: Office, day: date) -> list[int]:
    """The ids of the lawyers on duty at ``office`` on ``day`` (as ``list_on_duty``)."""
    return list(_duty(offices=[office], day=day).get(office.pk, {}))


def list_resident_appointments(*, resident_id: int) -> list[Appointment]:
    """All of a resident's appointments with what their pages show, newest last."""
    return list(
        Appointment.objects.filter(resident_id=resident_id)
        .select_related("office", "topic", "lawyer__user")
        .order_by("starts_at", "pk")
    )


def get_resident_appointment(*, resident_id: int, reference: str) -> Appointment | None:
    return (
        Appointment.objects.filter(resident_id=resident_id, reference=reference)
        .select_related("office", "topic", "lawyer__user")
        .first()
    )


def list_lawyer_appointments(
    *, lawyer: Lawyer, start: datetime, end: datetime
) -> list[Appointment]:
    """A lawyer's appointments starting in [start, end), cancelled ones included, by time."""
    return list(
        Appointment.objects.filter(lawyer=lawyer, starts_at__gte=start, starts_at__lt=end)
        .select_related("resident", "topic", "office")
        .order_by("starts_at", "pk")
    )


def get_lawyer_appointment(*, lawyer: Lawyer, reference: str) -> Appointment | None:
    return (
        Appointment.objects.filter(lawyer=lawyer, reference=reference)
        .select_related("resident", "topic", "office", "follow_up_of")
        .first()
    )


def list_open_follow_ups(*, office: Office) -> list[FollowUp]:
    """Follow-ups of an office still to be done (to invite, or invited), by date."""
    return list(
        FollowUp.objects.filter(
            appointment__office=office,
            status__in=[FollowUpStatus.OPEN, FollowUpStatus.INVITED],
        )
        .select_related("appointment__resident", "appointment__topic", "requested_by__user")
        .order_by("invite_by", "pk")
    )
