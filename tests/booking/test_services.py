"""Booking, cancelling and moving consultations through the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from booking import errors, services
from booking.models import Appointment, Mode, Status, TimeOff
from booking.reference import normalize_reference
from booking.selectors import list_free_slots
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

TUESDAY = dt.date(2026, 12, 8)


def book(resident, lawyer, office, topic, start, mode=Mode.IN_PERSON, now=NOW, **extra):
    return services.book_appointment(
        resident=resident,
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=start,
        mode=mode,
        now=now,
        **extra,
    )


def test_booking_an_offered_slot_creates_a_booked_appointment(resident, lawyer, office, topic):
    appointment = book(
        resident,
        lawyer,
        office,
        topic,
        local(TUESDAY, 9, 30),
        summary="欠薪",
        matter_consent_at=NOW,
    )
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)
    assert appointment.sequence == 0
    assert appointment.summary == "欠薪"
    assert normalize_reference(appointment.display_reference) == appointment.reference
    assert local(TUESDAY, 9, 30) not in {
        s.start for s in list_free_slots(office=office, topic=topic, now=NOW)
    }


def test_a_taken_slot_is_refused_as_taken(resident, lawyer, office, topic):
    book(resident, lawyer, office, topic, local(TUESDAY, 9))
    with pytest.raises(errors.SlotTaken) as refused:
        book(UserFactory(), lawyer, office, topic, local(TUESDAY, 9))
    assert refused.value.message == errors.SLOT_TAKEN


@pytest.mark.parametrize(
    ("start", "mode"),
    [
        (local(TUESDAY, 13), Mode.IN_PERSON),  # outside the lawyer's hours
        (local(TUESDAY, 9, 10), Mode.IN_PERSON),  # not on the slot grid
        (local(TUESDAY, 9), Mode.PHONE),  # hours are in person only
        (local(dt.date(2026, 12, 7), 8, 30), Mode.IN_PERSON),  # inside the minimum notice
        (local(dt.date(2027, 1, 12), 9), Mode.IN_PERSON),  # beyond the 30-day horizon
        (local(dt.date(2026, 12, 12), 9), Mode.IN_PERSON),  # a Saturday
    ],
)
def test_a_time_that_is_not_offered_is_refused(resident, lawyer, office, topic, start, mode):
    with pytest.raises(errors.SlotNotOffered) as refused:
        book(resident, lawyer, office, topic, start, mode)
    assert refused.value.message == errors.SLOT_NOT_OFFERED
    assert not Appointment.objects.exists()


def test_a_lawyer_is_not_booked_for_a_topic_they_do_not_cover(resident, lawyer, office):
    debts = TopicFactory(code="debts", name_zh_hans="债务纠纷", name_en="Debts")
    with pytest.raises(errors.SlotNotOffered):
        book(resident, lawyer, office, debts, local(TUESDAY, 9))


def test_time_off_and_appointments_at_another_office_block_the_lawyer(
    resident, lawyer, office, topic
):
    TimeOff.objects.create(
        lawyer=lawyer, starts_at=local(TUESDAY, 9), ends_at=local(TUESDAY, 10), reason="开庭"
    )
    with pytest.raises(errors.SlotNotOffered):
        book(resident, lawyer, office, topic, local(TUESDAY, 9, 30))

    other = OfficeFactory()
    lawyer.offices.add(other)
    RuleFactory(
        lawyer=lawyer, office=other, weekday=1, start_time=dt.time(10), end_time=dt.time(12)
    )
    book(resident, lawyer, other, topic, local(TUESDAY, 10))
    with pytest.raises(errors.SlotTaken):
        book(UserFactory(), lawyer, office, topic, local(TUESDAY, 10))


def test_a_resident_holds_at_most_the_office_limit(resident, lawyer, office, topic):
    book(resident, lawyer, office, topic, local(TUESDAY, 9))
    book(resident, lawyer, office, topic, local(TUESDAY, 10))
    with pytest.raises(errors.TooManyActiveBookings) as refused:
        book(resident, lawyer, office, topic, local(TUESDAY, 11))
    assert "2" in refused.value.message
    assert refused.value.message == errors.TOO_MANY_ACTIVE_BOOKINGS % {"limit": 2}


def test_past_and_cancelled_appointments_do_not_count_toward_the_limit(
    resident, lawyer, office, topic
):
    first = book(resident, lawyer, office, topic, local(dt.date(2026, 12, 7), 9, 30))
    second = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    services.cancel_appointment(appointment=second, by=resident, now=NOW)
    book(resident, lawyer, office, topic, local(TUESDAY, 10))
    with pytest.raises(errors.TooManyActiveBookings):
        book(resident, lawyer, office, topic, local(TUESDAY, 11))
    # After the first consultation has taken place, there is room again.
    later = first.ends_at + dt.timedelta(minutes=1)
    book(resident, lawyer, office, topic, local(dt.date(2026, 12, 9), 9), now=later)


def test_cancelling_frees_the_slot_and_bumps_the_sequence(resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    cancelled = services.cancel_appointment(appointment=appointment, by=resident, now=NOW)
    assert cancelled.status == Status.CANCELLED
    assert cancelled.sequence == 1
    assert cancelled.cancelled_at == NOW
    again = book(UserFactory(), lawyer, office, topic, local(TUESDAY, 9))
    assert again.reference != appointment.reference


def test_residents_cannot_cancel_after_the_cut_off_but_the_desk_can(
    resident, lawyer, office, topic, desk_user
):
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    late = local(TUESDAY, 7, 30)  # 90 minutes before, the cut-off is 120
    with pytest.raises(errors.TooLateToCancel) as refused:
        services.cancel_appointment(appointment=appointment, by=resident, now=late)
    assert refused.value.message == errors.TOO_LATE_TO_CANCEL
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    services.cancel_appointment(appointment=appointment, by=desk_user, now=late)
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED


def test_cancelled_or_started_appointments_cannot_be_cancelled(resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    services.cancel_appointment(appointment=appointment, by=resident, now=NOW)
    with pytest.raises(errors.NotActive):
        services.cancel_appointment(appointment=appointment, by=resident, now=NOW)
    other = book(resident, lawyer, office, topic, local(TUESDAY, 10))
    with pytest.raises(errors.AlreadyStarted):
        services.cancel_appointment(
            appointment=other,
            by=UserFactory(role="desk", office=office, phone=None, phone_verified=False),
            now=local(TUESDAY, 10, 5),
        )


def test_rescheduling_moves_the_same_appointment(resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    moved = services.reschedule_appointment(
        appointment=appointment,
        starts_at=local(TUESDAY, 11),
        mode=Mode.IN_PERSON,
        by=resident,
        now=NOW,
    )
    moved.refresh_from_db()
    assert (moved.pk, moved.reference) == (appointment.pk, appointment.reference)
    assert moved.starts_at == local(TUESDAY, 11)
    assert moved.sequence == 1
    free = {s.start for s in list_free_slots(office=office, topic=topic, now=NOW)}
    assert local(TUESDAY, 9) in free
    assert local(TUESDAY, 11) not in free


def test_rescheduling_onto_a_taken_slot_changes_nothing(resident, lawyer, office, topic):
    mine = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    book(UserFactory(), lawyer, office, topic, local(TUESDAY, 10))
    with pytest.raises(errors.SlotTaken):
        services.reschedule_appointment(
            appointment=mine,
            starts_at=local(TUESDAY, 10),
            mode=Mode.IN_PERSON,
            by=resident,
            now=NOW,
        )
    mine.refresh_from_db()
    assert (mine.starts_at, mine.sequence, mine.status) == (local(TUESDAY, 9), 0, Status.BOOKED)


def test_rescheduling_may_overlap_the_appointments_own_old_time(office, topic, resident):
    lawyer = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=lawyer, office=office, weekday=1, slot_minutes=60)
    RuleFactory(lawyer=lawyer, office=office, weekday=1, slot_minutes=30, mode=Mode.PHONE)
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))  # 9:00–10:00
    moved = services.reschedule_appointment(
        appointment=appointment,
        starts_at=local(TUESDAY, 9, 30),
        mode=Mode.PHONE,
        by=resident,
        now=NOW,
    )
    assert (moved.starts_at, moved.ends_at, moved.mode) == (
        local(TUESDAY, 9, 30),
        local(TUESDAY, 10),
        Mode.PHONE,
    )


def test_rescheduling_to_another_lawyer(resident, lawyer, office, topic):
    colleague = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(
        lawyer=colleague, office=office, weekday=1, start_time=dt.time(14), end_time=dt.time(16)
    )
    appointment = book(resident, lawyer, office, topic, local(TUESDAY, 9))
    moved = services.reschedule_appointment(
        appointment=appointment,
        lawyer=colleague,
        starts_at=local(TUESDAY, 14),
        mode=Mode.IN_PERSON,
        by=resident,
        now=NOW,
    )
    assert moved.lawyer == colleague
    assert local(TUESDAY, 9) in {
        s.start for s in list_free_slots(office=office, topic=topic, lawyer=lawyer, now=NOW)
    }


def _row(lawyer, office, topic, resident, start, end, status=Status.BOOKED, reference="10000008"):
    return Appointment(
        reference=reference,
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=start,
        ends_at=end,
        status=status,
    )


def test_the_database_itself_refuses_overlapping_active_appointments(
    resident, lawyer, office, topic
):
    """Writes that bypass the services still cannot double-book a lawyer."""
    _row(lawyer, office, topic, resident, local(TUESDAY, 9), local(TUESDAY, 10)).save()
    overlapping = _row(
        lawyer,
        office,
        topic,
        resident,
        local(TUESDAY, 9, 30),
        local(TUESDAY, 10, 30),
        reference="20000007",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping.save()
    # Back to back is fine; so is overlap with a cancelled appointment or another lawyer.
    _row(
        lawyer,
        office,
        topic,
        resident,
        local(TUESDAY, 10),
        local(TUESDAY, 11),
        reference="30000006",
    ).save()
    _row(
        lawyer,
        office,
        topic,
        resident,
        local(TUESDAY, 9, 30),
        local(TUESDAY, 10, 30),
        status=Status.CANCELLED,
        reference="40000005",
    ).save()
    _row(
        LawyerFactory(),
        office,
        topic,
        resident,
        local(TUESDAY, 9, 30),
        local(TUESDAY, 10, 30),
        reference="50000004",
    ).save()
    # Re-activating the cancelled one would overlap: refused too.
    cancelled = Appointment.objects.get(reference="40000005")
    cancelled.status = Status.BOOKED
    with pytest.raises(IntegrityError), transaction.atomic():
        cancelled.save(update_fields=["status"])


def test_free_slots_take_three_queries_whatever_the_number_of_lawyers(
    office, topic, django_assert_max_num_queries
):
    for _ in range(8):
        lawyer = LawyerFactory(offices=[office], topics=[topic])
        for weekday in range(5):
            RuleFactory(lawyer=lawyer, office=office, weekday=weekday)
        book(UserFactory(), lawyer, office, topic, local(TUESDAY, 9))
    with django_assert_max_num_queries(3):
        slots = list_free_slots(office=office, topic=topic, now=NOW)
    assert len({slot.lawyer_id for slot in slots}) == 8
