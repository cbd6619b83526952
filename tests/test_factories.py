"""The factories make rows the application itself would make: valid, and for an
appointment booked through the service."""

import datetime as dt

import pytest

from booking.errors import SlotTaken
from booking.models import FollowUpStatus, Status, WalkInStatus
from sms.models import Kind, Message
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    TimeOffFactory,
    WalkInFactory,
)

TUESDAY = NOW.date() + dt.timedelta(days=1)


def test_the_booked_appointment_is_booked_through_the_service(booked_appointment, lawyer):
    assert booked_appointment.status == Status.BOOKED
    assert booked_appointment.lawyer == lawyer and booked_appointment.office in lawyer.offices.all()
    assert booked_appointment.starts_at == local(TUESDAY, 10)
    assert booked_appointment.reference  # given by the service, as to every booking
    assert Message.objects.filter(appointment=booked_appointment, kind=Kind.CONFIRMATION).exists()


def test_an_appointment_in_a_taken_slot_is_refused_as_the_service_refuses_it(
    booked_appointment, lawyer
):
    with pytest.raises(SlotTaken):
        AppointmentFactory(lawyer=lawyer, starts_at=booked_appointment.starts_at, now=NOW)


def test_time_off_walk_ins_and_follow_ups_are_valid_rows(booked_appointment, lawyer, office):
    time_off = TimeOffFactory(lawyer=lawyer, starts_at=local(TUESDAY, 11))
    first = WalkInFactory(office=office, arrived_at=local(NOW.date(), 9))
    second = WalkInFactory(office=office, arrived_at=local(NOW.date(), 9, 5))
    follow_up = FollowUpFactory(appointment=booked_appointment)
    for row in (time_off, first, second, follow_up):
        row.full_clean()
    assert time_off.ends_at == local(TUESDAY, 12)
    assert (first.day, first.number, second.number) == (NOW.date(), 1, 2)
    assert first.status == WalkInStatus.WAITING and first.topic in office.topics.all()
    assert follow_up.status == FollowUpStatus.OPEN
    assert follow_up.requested_by == lawyer
    assert follow_up.invite_by == TUESDAY + dt.timedelta(days=7)
