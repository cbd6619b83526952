"""The walk-in queue: a number for whoever arrives without an appointment, and the visit
with a lawyer, who takes them at once, recorded as an attended appointment.

Numbers start at 1 each local day of the office. ``register_walk_in`` locks the office
row before reading the day's highest number, so two desks never hand out the same one;
the unique constraint (office, day, number) is the backstop. ``take_walk_in`` runs in
one transaction that locks the lawyer (``lock_lawyers``) and then the walk-in, so the
same person is never taken twice and nobody else books the lawyer's time meanwhile.
Someone marked as gone by mistake is put back at their number the same day
(``put_back_in_queue``); the queue shows who marked them and when.

A lawyer can take someone when nothing of theirs (a booked or attended consultation, at
any office, or time off) is under way and nothing starts within ``MIN_FREE``. The visit
lasts the lawyer's consultation length for the day at the office, cut short where their
next consultation or time off begins, and holds that time like any booking: the slot is
no longer offered online. The lawyer's state is read by ``list_lawyer_states`` for the
queue page with the same rule as the service uses.

Known limits: a booked consultation whose resident has not come holds the lawyer's
time until the lawyer records the no-show; a visit that ends early still holds the time
it was given. No text message goes to the resident: they are at the office.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils.formats import date_format

from accounts.models import User
from accounts.services import register_resident_at_desk
from accounts.text import clean_name
from booking.conflicts import conflicted_lawyer_ids
from booking.desk_residents import list_matching_residents
from booking.errors import (
    AlreadyWaiting,
    LawyerAway,
    LawyerBusy,
    LawyerBusySoon,
    LawyerNotAtOffice,
    WalkInConflict,
    WalkInNotLeft,
    WalkInNotWaiting,
    WalkInOtherDay,
)
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityRule,
    Channel,
    Lawyer,
    Mode,
    Office,
    Status,
    TimeOff,
    Topic,
    WalkIn,
    WalkInStatus,
)
from booking.models.version import bump_schedule_version
from booking.selectors import filter_valid_rules
from booking.services.appointments import (
    build_appointment,
    cleaned,
    consent_for_matter,
    insert_appointment,
    lock_lawyers,
)
from booking.slots import Slot

# A lawyer whose next consultation starts sooner than this cannot take a walk-in.
MIN_FREE = timedelta(minutes=10)
# Length of a visit when the lawyer has no weekly hours at the office that day.
DEFAULT_LENGTH = timedelta(minutes=30)


class Busy(models.TextChoices):
    """Why a lawyer cannot take someone now (``LawyerState.reason``)."""

    # Never shown as such: the queue page says it in words, with the time.
    CONSULTING = "consulting"
    AWAY = "away"
    SOON = "soon"


@dataclass(frozen=True)
class LawyerState:
    """Whether a lawyer can take someone at a given minute.

    ``reason`` is None when free, else ``Busy.CONSULTING`` (a consultation is under way),
    ``Busy.AWAY`` (time off now, or beginning within ``MIN_FREE``) or ``Busy.SOON`` (a
    consultation begins at ``soon_at``, within ``MIN_FREE``). ``free_from`` is the first
    moment they could take someone; ``next_start`` is when their next consultation or
    time off after that begins (None: nothing within the next day).
    """

    reason: Busy | None
    free_from: datetime
    next_start: datetime | None
    soon_at: datetime | None = None

    @property
    def is_free(self) -> bool:
        return self.reason is None


_APPOINTMENT, _TIME_OFF = "appointment", "time_off"


def _state(intervals: list[tuple[datetime, datetime, str]], start: datetime) -> LawyerState:
    """The state at ``start`` given one lawyer's busy intervals (start, end, kind), all
    ending after ``start``."""
    intervals = sorted(intervals)
    under_way = {kind for begins, _ends, kind in intervals if begins <= start}
    soon = [
        (begins, kind) for begins, _ends, kind in intervals if start < begins < start + MIN_FREE
    ]
    reason, soon_at = None, None
    if _APPOINTMENT in under_way:
        reason = Busy.CONSULTING
    elif under_way:
        reason = Busy.AWAY
    elif soon:
        soon_at, kind = soon[0]
        reason = Busy.SOON if kind == _APPOINTMENT else Busy.AWAY
    free_from = start
    for begins, ends, _kind in intervals:
        if begins >= free_from + MIN_FREE:
            break
        free_from = max(free_from, ends)
    later = [begins for begins, _ends, _kind in intervals if begins >= free_from]
    return LawyerState(
        reason=reason,
        free_from=free_from,
        next_start=later[0] if later else None,
        soon_at=soon_at,
    )


def list_lawyer_states(*, lawyer_ids: list[int], now: datetime) -> dict[int, LawyerState]:
    """Per lawyer: can they take someone now (to the minute)? Two queries for any number
    of lawyers; what lies beyond the next day is not looked at."""
    start = _to_minute(now)
    horizon = start + timedelta(days=1)
    intervals: dict[int, list[tuple[datetime, datetime, str]]] = {pk: [] for pk in lawyer_ids}
    if not lawyer_ids:
        return {}
    appointments = Appointment.objects.filter(
        lawyer_id__in=lawyer_ids,
        status__in=BLOCKING_STATUSES,
        ends_at__gt=start,
        starts_at__lt=horizon,
    ).order_by()
    for lawyer_id, begins, ends in appointments.values_list("lawyer_id", "starts_at", "ends_at"):
        intervals[lawyer_id].append((begins, ends, _APPOINTMENT))
    time_off = TimeOff.objects.filter(
        lawyer_id__in=lawyer_ids, ends_at__gt=start, starts_at__lt=horizon
    ).order_by()
    for lawyer_id, begins, ends in time_off.values_list("lawyer_id", "starts_at", "ends_at"):
        intervals[lawyer_id].append((begins, ends, _TIME_OFF))
    return {pk: _state(found, start) for pk, found in intervals.items()}


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _local_day(office: Office, moment: datetime) -> date:
    return moment.astimezone(office.tz).date()


def format_time(moment: datetime, office: Office, now: datetime) -> str:
    """HH:MM in the office's time, with the date when it is not today."""
    local = moment.astimezone(office.tz)
    if local.date() == _local_day(office, now):
        return f"{local:%H:%M}"
    return f"{date_format(local.date(), 'MONTH_DAY_FORMAT')} {local:%H:%M}"


def _visit_length(*, lawyer: Lawyer, office: Office, start: datetime) -> timedelta:
    """The lawyer's consultation length at ``office`` on the day of ``start``: that of
    the weekly hours under way at ``start``, else of their first hours that day."""
    local = start.astimezone(office.tz)
    day = local.date()
    rules = list(
        filter_valid_rules(
            AvailabilityRule.objects.filter(lawyer=lawyer, office=office, weekday=day.weekday()),
            first_day=day,
            last_day=day,
        )
        .order_by("start_time")
        .values_list("start_time", "end_time", "slot_minutes")
    )
    if not rules:
        return DEFAULT_LENGTH
    now_time = local.time()
    current = [minutes for begins, ends, minutes in rules if begins <= now_time < ends]
    return timedelta(minutes=current[0] if current else rules[0][2])


@transaction.atomic
def register_walk_in(
    *,
    office: Office,
    resident: User,
    topic: Topic,
    opposing_party: str = "",
    opposing_party_phone: str = "",
    matter_consent: bool = False,
    by: User,
    now: datetime,
) -> WalkIn:
    """Give ``resident`` the next number of the office's day (1, 2, 3…).

    Refused (``AlreadyWaiting``) when the resident is waiting already today. The other
    party is kept only when the person agreed to it on its own (``matter_consent``, the
    desk's tick; else ``MatterConsentNeeded``): the arrival is that moment, which the
    visit's appointment keeps as its ``matter_consent_at``.
    """
    opposing_party = cleaned(clean_name, opposing_party)
    consent_for_matter(  # refuses the other party without the agreement
        opposing_party=opposing_party,
        opposing_party_phone=opposing_party_phone,
        at=now if matter_consent else None,
    )
    # Serialises the numbers of the office (SQLite: the write transaction does).
    list(Office.objects.select_for_update().filter(pk=office.pk).values_list("pk"))
    day = _local_day(office, now)
    today = WalkIn.objects.filter(office=office, day=day)
    waiting = today.filter(resident=resident, status=WalkInStatus.WAITING).first()
    if waiting is not None:
        raise AlreadyWaiting(number=waiting.display_number)
    highest = today.aggregate(highest=Max("number"))["highest"] or 0
    walk_in = WalkIn(
        office=office,
        day=day,
        number=highest + 1,
        resident=resident,
        topic=topic,
        opposing_party=opposing_party,
        opposing_party_phone=opposing_party_phone or "",
        arrived_at=now,
        registered_by=by,
    )
    walk_in.full_clean(validate_unique=False, validate_constraints=False)
    walk_in.save(force_insert=True)
    return walk_in


@dataclass(frozen=True)
class Arrival:
    """A person registered in the queue (``walk_in``), or, when the name and village
    match residents already known and none was chosen, the ``namesakes`` to choose from."""

    walk_in: WalkIn | None
    namesakes: list


@transaction.atomic
def register_arrival(
    *,
    office: Office,
    phone: str,
    name: str,
    village: str,
    chosen: str | None,
    by: User,
    now: datetime,
    **matter: Any,
) -> Arrival:
    """Someone arrived at the desk: their resident account, found or made, and their
    number in the queue (``register_walk_in``), in one transaction, so that a refused
    arrival (already waiting) leaves the account as it was, name and village included.

    With a mobile number: that number's resident (``NotAResidentNumber`` for a staff
    account's). Without one: the namesake of ``name`` and ``village`` whose id is
    ``chosen``; the namesakes to choose from when there are some and none is chosen; a
    new resident when there are none or ``chosen`` is None (the desk said "someone new").
    ``matter`` is the rest that ``register_walk_in`` takes (topic, other party, consent).
    """
    resident: User | None
    if phone:
        resident = register_resident_at_desk(phone=phone, name=name, village=village)
    else:
        resident = None
        if chosen is not None:
            namesakes = list_matching_residents(name=name, village=village)
            resident = next((each for each in namesakes if str(each.pk) == chosen), None)
            if resident is None and namesakes:
                return Arrival(walk_in=None, namesakes=namesakes)
        if resident is None:
            resident = register_resident_at_desk(name=name, village=village)
    walk_in = register_walk_in(office=office, resident=resident, by=by, now=now, **matter)
    return Arrival(walk_in=walk_in, namesakes=[])


def _locked_waiting(walk_in: WalkIn) -> WalkIn:
    # Only the walk-in's row: joining the office would lock it too (PostgreSQL).
    locked = WalkIn.objects.select_for_update().get(pk=walk_in.pk)
    if locked.status != WalkInStatus.WAITING:
        raise WalkInNotWaiting()
    return locked


@transaction.atomic
def take_walk_in(*, walk_in: WalkIn, lawyer: Lawyer, by: User, now: datetime) -> Appointment:
    """``lawyer`` sees the person now: an attended appointment from now (to the minute)
    for the lawyer's consultation length, cut short at their next commitment.

    Refused when the person is no longer waiting or came on another day, when the lawyer
    does not work at the office, is busy now or within ``MIN_FREE``
    (``LawyerBusy``, ``LawyerAway``, ``LawyerBusySoon``), or advised the other party
    (``WalkInConflict``).
    """
    lock_lawyers(lawyer.pk)
    walk_in = _locked_waiting(walk_in)
    office = walk_in.office
    if walk_in.day != _local_day(office, now):
        raise WalkInOtherDay()
    if not lawyer.is_active or not lawyer.offices.filter(pk=office.pk).exists():
        raise LawyerNotAtOffice()
    start = _to_minute(now)
    state = list_lawyer_states(lawyer_ids=[lawyer.pk], now=now)[lawyer.pk]
    name = str(lawyer.user)
    if state.reason == Busy.CONSULTING:
        raise LawyerBusy(lawyer=name, until=format_time(state.free_from, office, now))
    if state.reason == Busy.AWAY:
        raise LawyerAway(lawyer=name, until=format_time(state.free_from, office, now))
    if state.reason == Busy.SOON:
        # soon_at is set whenever the reason is "soon" (LawyerState).
        raise LawyerBusySoon(lawyer=name, at=format_time(state.soon_at, office, now))  # type: ignore[arg-type]
    if conflicted_lawyer_ids(
        office=office,
        name=walk_in.opposing_party,
        phone=walk_in.opposing_party_phone,
        lawyer_ids=[lawyer.pk],
        now=now,
        exclude_resident_id=walk_in.resident_id,
    ):
        raise WalkInConflict()
    ends_at = start + _visit_length(lawyer=lawyer, office=office, start=start)
    if state.next_start is not None:
        ends_at = min(ends_at, state.next_start)
    appointment = build_appointment(
        resident=walk_in.resident,
        slot=Slot(start=start, end=ends_at, lawyer_id=lawyer.pk, mode=Mode.IN_PERSON),
        status=Status.ATTENDED,
        lawyer=lawyer,
        office=office,
        topic_id=walk_in.topic_id,
        opposing_party=walk_in.opposing_party,
        opposing_party_phone=walk_in.opposing_party_phone,
        # Kept with the other party only if the person agreed (register_walk_in).
        matter_consent_at=consent_for_matter(
            opposing_party=walk_in.opposing_party,
            opposing_party_phone=walk_in.opposing_party_phone,
            at=walk_in.arrived_at,
        ),
        booked_by=by,
        channel=Channel.WALK_IN,
        checked_in_at=now,
    )
    insert_appointment(appointment)
    walk_in.status = WalkInStatus.SEEN
    walk_in.seen_at = now
    walk_in.appointment = appointment
    walk_in.save(update_fields=["status", "seen_at", "appointment"])
    bump_schedule_version()
    return appointment


@transaction.atomic
def mark_left(*, walk_in: WalkIn, by: User, now: datetime) -> WalkIn:
    """The person went away before a lawyer could see them: ``by`` marked it at ``now``,
    which the queue shows, so that a mistaken mark is noticed and undone
    (``put_back_in_queue``)."""
    walk_in = _locked_waiting(walk_in)
    walk_in.status = WalkInStatus.LEFT
    walk_in.seen_at = None
    walk_in.left_at = now
    walk_in.left_by = by
    walk_in.save(update_fields=["status", "seen_at", "left_at", "left_by"])
    return walk_in


@transaction.atomic
def put_back_in_queue(*, walk_in: WalkIn, now: datetime) -> WalkIn:
    """Undo ``mark_left``: the person waits again, at the number they had.

    Only the same day (``WalkInOtherDay``), only someone marked as left
    (``WalkInNotLeft``), and not when they have meanwhile been given a new number
    (``AlreadyWaiting``, with that number): one person waits once. Who marked them and
    when is cleared with the mark.
    """
    office = walk_in.office
    # The office first, as register_walk_in locks it: a new number and the undo of the
    # same person's mark cannot cross.
    list(Office.objects.select_for_update().filter(pk=office.pk).values_list("pk"))
    walk_in = WalkIn.objects.select_for_update().get(pk=walk_in.pk)
    if walk_in.status != WalkInStatus.LEFT:
        raise WalkInNotLeft()
    if walk_in.day != _local_day(office, now):
        raise WalkInOtherDay()
    again = WalkIn.objects.filter(
        office_id=walk_in.office_id,
        day=walk_in.day,
        resident_id=walk_in.resident_id,
        status=WalkInStatus.WAITING,
    ).first()
    if again is not None:
        raise AlreadyWaiting(number=again.display_number)
    walk_in.status = WalkInStatus.WAITING
    walk_in.left_at = None
    walk_in.left_by = None
    walk_in.save(update_fields=["status", "left_at", "left_by"])
    return walk_in
