"""Many OS processes race for the same time; the database keeps the promises.

Each test forks real processes that wait at a barrier and then call the booking
service at the same moment, each on its own database connection. They run on SQLite
and on PostgreSQL alike (`make test` runs the suite on both).
"""

import datetime as dt

import pytest

from booking import errors, services
from booking.models import BLOCKING_STATUSES, Appointment, Mode
from tests import racing
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

PROCESSES = 16
TUESDAY = dt.date(2026, 12, 8)


def _booking(request: dict):
    """One contender: book, and report the outcome as (code, appointment id or None)."""

    def work() -> tuple[str, int | None]:
        try:
            return ("booked", services.book_appointment(now=NOW, **request).pk)
        except errors.BookingError as refused:
            return (refused.code, None)

    return work


def race(requests: list[dict]) -> list[tuple[str, int | None]]:
    """One booking request per OS process, all released at once; outcomes in order."""
    return racing.race([_booking(request) for request in requests])


def stored_overlaps(lawyer) -> list[tuple[Appointment, Appointment]]:
    active = list(
        Appointment.objects.filter(lawyer=lawyer, status__in=BLOCKING_STATUSES).order_by(
            "starts_at"
        )
    )
    return [
        (a, b)
        for i, a in enumerate(active)
        for b in active[i + 1 :]
        if a.starts_at < b.ends_at and b.starts_at < a.ends_at
    ]


@pytest.fixture
def setting():
    office = OfficeFactory(max_active_bookings=3)
    topic = TopicFactory()
    lawyer = LawyerFactory(offices=[office], topics=[topic])
    return office, topic, lawyer


def request_for(resident, setting, start, mode=Mode.IN_PERSON):
    office, topic, lawyer = setting
    return {
        "resident": resident,
        "office": office,
        "topic": topic,
        "lawyer": lawyer,
        "starts_at": start,
        "mode": mode,
    }


def test_sixteen_residents_racing_for_one_slot_exactly_one_wins(setting):
    office, _, lawyer = setting
    RuleFactory(lawyer=lawyer, office=office, weekday=1)
    residents = [UserFactory() for _ in range(PROCESSES)]

    outcomes = race([request_for(r, setting, local(TUESDAY, 9)) for r in residents])

    codes = [code for code, _ in outcomes]
    assert codes.count("booked") == 1
    assert codes.count(errors.SlotTaken.code) == PROCESSES - 1
    assert Appointment.objects.filter(lawyer=lawyer).count() == 1


def test_racing_for_overlapping_slots_of_different_lengths_stores_no_overlap(setting):
    office, _, lawyer = setting
    # Same morning, two grids: 30-minute visits and 45-minute phone calls.
    RuleFactory(lawyer=lawyer, office=office, weekday=1, slot_minutes=30)
    RuleFactory(lawyer=lawyer, office=office, weekday=1, slot_minutes=45, mode=Mode.PHONE)
    starts = [local(TUESDAY, 9, 0) + dt.timedelta(minutes=30 * i) for i in range(6)]
    starts_45 = [local(TUESDAY, 9, 0) + dt.timedelta(minutes=45 * i) for i in range(4)]
    requests = [request_for(UserFactory(), setting, start) for start in starts]
    requests += [request_for(UserFactory(), setting, s, Mode.PHONE) for s in starts_45]
    requests += [request_for(UserFactory(), setting, s, Mode.PHONE) for s in starts_45[:3]]
    requests += [request_for(UserFactory(), setting, s) for s in starts[:3]]
    assert len(requests) == PROCESSES

    outcomes = race(requests)

    codes = {code for code, _ in outcomes}
    assert codes <= {"booked", errors.SlotTaken.code}
    assert "booked" in codes
    assert stored_overlaps(lawyer) == []
    # Every refused request really was blocked by a stored appointment.
    stored = list(Appointment.objects.filter(lawyer=lawyer))
    for request, (code, _) in zip(requests, outcomes, strict=True):
        if code == errors.SlotTaken.code:
            length = 45 if request["mode"] == Mode.PHONE else 30
            end = request["starts_at"] + dt.timedelta(minutes=length)
            assert any(a.starts_at < end and request["starts_at"] < a.ends_at for a in stored)


def test_one_resident_racing_past_the_limit_gets_only_the_limit(setting):
    office, topic, lawyer = setting
    colleague = LawyerFactory(offices=[office], topics=[topic])
    for someone in (lawyer, colleague):
        RuleFactory(
            lawyer=someone, office=office, weekday=1, start_time=dt.time(8), end_time=dt.time(12)
        )
    resident = UserFactory()
    requests = []
    for i in range(PROCESSES):
        request = request_for(
            resident, setting, local(TUESDAY, 8) + dt.timedelta(minutes=30 * (i // 2))
        )
        request["lawyer"] = lawyer if i % 2 == 0 else colleague
        requests.append(request)

    outcomes = race(requests)

    codes = [code for code, _ in outcomes]
    assert codes.count("booked") == office.max_active_bookings == 3
    assert codes.count(errors.TooManyActiveBookings.code) == PROCESSES - 3
    assert Appointment.objects.filter(resident=resident).count() == 3
