"""The demo loader: a usable office whose bookings obey every rule, loaded idempotently."""

import datetime as dt
from http import HTTPStatus
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import F

from accounts.models import Role, User
from accounts.validators import validate_mobile_number
from booking.management.commands.demo import DEMO_PASSWORD, RESIDENTS
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityRule,
    Channel,
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
    printed = demo_output.replace(" ", "")
    for phone, _name in RESIDENTS:
        resident = User.objects.get(phone=phone)
        assert resident.phone_verified
        validate_mobile_number(resident.phone)
        assert resident.phone.as_national.replace(" ", "") in printed
    # Residents of past consultations only: a verified mobile number, or (registered at
    # the desk) a village.
    for resident in User.objects.filter(role=Role.RESIDENT).exclude(
        phone__in=[phone for phone, _name in RESIDENTS]
    ):
        if resident.phone:
            assert resident.phone_verified
            validate_mobile_number(resident.phone)
        else:
            assert resident.village


def test_demo_has_ten_weeks_of_past_consultations_for_the_figures(demo_output, now):
    past = Appointment.objects.filter(starts_at__lt=now)
    assert past.filter(status=Status.BOOKED).count() == 0
    assert past.filter(starts_at__lt=now - dt.timedelta(weeks=9)).exists()
    for status in (Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED):
        assert past.filter(status=status).count() >= 5
    for channel in Channel:
        assert past.filter(channel=channel).exists()
    assert past.values("topic").distinct().count() >= 6
    assert past.filter(mode="phone").exists()
    # booked before they took place
    assert not past.filter(created_at__gt=F("starts_at")).exists()
    today = Appointment.objects.filter(starts_at__date=now.date(), status=Status.BOOKED)
    assert today.count() >= 2


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
