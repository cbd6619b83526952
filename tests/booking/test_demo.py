"""The demo loader: a usable office whose bookings obey every rule, loaded idempotently."""

from http import HTTPStatus
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import Role, User
from accounts.validators import validate_mobile_number
from booking.management.commands.demo import DEMO_PASSWORD
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityRule,
    Lawyer,
    Office,
    Status,
    TimeOff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output(time_machine, now):
    time_machine.move_to(now, tick=False)
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts():
    models = [User, Group, Office, Lawyer, AvailabilityRule, TimeOff, Appointment]
    return {model.__name__: model.objects.count() for model in models}


def test_demo_loads_one_office_with_four_lawyers_who_have_weekly_hours(demo_output):
    office = Office.objects.get()
    assert office.time_zone == "Asia/Shanghai"
    lawyers = Lawyer.objects.filter(offices=office)
    assert lawyers.count() == 4
    for lawyer in lawyers:
        assert lawyer.user.role == Role.LAWYER
        assert lawyer.topics.exists()
        assert lawyer.rules.filter(office=office).exists()
    assert AvailabilityRule.objects.filter(mode="phone").exists()
    assert {rule.slot_minutes for rule in AvailabilityRule.objects.all()} == {30, 45}


def test_demo_loads_desk_admin_and_residents_with_verified_mobile_numbers(demo_output):
    office = Office.objects.get()
    assert User.objects.filter(role=Role.DESK, office=office).count() == 1
    admin = User.objects.get(role=Role.OFFICE_ADMIN)
    assert admin.office == office
    assert admin.is_staff
    assert not admin.is_superuser
    residents = User.objects.filter(role=Role.RESIDENT)
    assert residents.count() >= 3
    for resident in residents:
        assert resident.phone_verified
        validate_mobile_number(resident.phone)
        assert resident.phone.as_national.replace(" ", "") in demo_output.replace(" ", "")


def test_demo_books_future_appointments_within_the_limit_and_cancels_some(demo_output, now):
    office = Office.objects.get()
    booked = Appointment.objects.filter(status=Status.BOOKED)
    assert booked.count() >= 5
    assert not booked.filter(starts_at__lte=now).exists()
    assert Appointment.objects.filter(status=Status.CANCELLED).count() >= 1
    for resident in User.objects.filter(role=Role.RESIDENT):
        assert booked.filter(resident=resident).count() <= office.max_active_bookings


def test_no_two_blocking_appointments_of_one_lawyer_overlap(demo_output):
    for lawyer in Lawyer.objects.all():
        appointments = Appointment.objects.filter(
            lawyer=lawyer, status__in=BLOCKING_STATUSES
        ).order_by("starts_at")
        for earlier, later in pairwise(appointments):
            assert earlier.ends_at <= later.starts_at


def test_running_the_demo_twice_creates_nothing_new(demo_output):
    before = counts()
    call_command("demo", stdout=StringIO())
    assert counts() == before


def test_office_admin_signs_in_to_the_admin_with_the_printed_password(demo_output, client):
    admin = User.objects.get(role=Role.OFFICE_ADMIN)
    assert DEMO_PASSWORD in demo_output
    assert admin.email in demo_output

    # The admin's own login page hands over to the site's sign-in (allauth, with TOTP).
    response = client.get("/admin/login/?next=/admin/", secure=True)
    assert response.status_code == HTTPStatus.FOUND
    response = client.post(
        response.url,
        {"login": admin.email, "password": DEMO_PASSWORD},
        secure=True,
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/admin/"

    response = client.get("/admin/booking/appointment/", secure=True)
    assert response.status_code == HTTPStatus.OK
    assert response.context["cl"].result_count == Appointment.objects.count()
