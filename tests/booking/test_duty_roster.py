"""The duty roster: "on duty today" on the home page, edited by the office admin."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import Role
from booking.models import DutyDay, DutyException
from tests.conftest import NOW
from tests.factories import LawyerFactory, OfficeFactory, UserFactory

MONDAY = NOW.date()

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def on_duty(client) -> str:
    page = client.get("/").content.decode()
    # The text as read: names and hours are spans that keep them whole (nobreak).
    return re.sub(r"<[^>]+>", "", page.split("今天值班")[1].split("</dd>")[0])


def test_without_a_roster_the_lawyers_with_hours_today_are_on_duty(client, lawyer):
    assert f"{lawyer.user}：09:00–12:00" in on_duty(client)


def test_the_weekly_roster_decides_who_is_on_duty(client, office, lawyer):
    rostered = LawyerFactory(offices=[office])
    DutyDay.objects.create(office=office, lawyer=rostered, weekday=MONDAY.weekday())
    DutyDay.objects.create(office=office, lawyer=lawyer, weekday=(MONDAY.weekday() + 1) % 7)
    today = on_duty(client)
    assert str(rostered.user) in today
    assert str(lawyer.user) not in today  # hours today, but not on the roster today


def test_exceptions_add_and_remove_lawyers_for_one_day(client, office, lawyer):
    regular = LawyerFactory(offices=[office])
    DutyDay.objects.create(office=office, lawyer=regular, weekday=MONDAY.weekday())
    DutyException.objects.create(office=office, lawyer=regular, date=MONDAY, on_duty=False)
    DutyException.objects.create(office=office, lawyer=lawyer, date=MONDAY, on_duty=True)
    today = on_duty(client)
    assert str(regular.user) not in today
    assert f"{lawyer.user}：09:00–12:00" in today  # with their hours of the day
    DutyException.objects.create(
        office=office, lawyer=regular, date=MONDAY + dt.timedelta(days=7), on_duty=False
    )
    assert str(regular.user) not in on_duty(client)  # the change shows at once


def test_nobody_on_the_roster_today_says_so(client, office, lawyer):
    DutyDay.objects.create(office=office, lawyer=lawyer, weekday=(MONDAY.weekday() + 1) % 7)
    assert "今天没有咨询" in on_duty(client)


def test_the_home_page_reads_the_roster_in_constant_queries(
    client, office, django_assert_max_num_queries
):
    for weekday in range(7):
        DutyDay.objects.create(
            office=office, lawyer=LawyerFactory(offices=[office]), weekday=weekday
        )
    # Schedule version, offices, hours, time off, weekly roster, exceptions, areas of law.
    with django_assert_max_num_queries(7):
        assert client.get("/").status_code == HTTPStatus.OK


@pytest.fixture
def head_of_office(office):
    group = Group.objects.create(name="office admin")
    group.permissions.set(Permission.objects.filter(content_type__model__startswith="duty"))
    head = UserFactory(
        role=Role.OFFICE_ADMIN, office=office, phone=None, phone_verified=False, is_staff=True
    )
    head.groups.add(group)
    return head


def test_an_office_admin_edits_only_their_offices_roster(client, office, lawyer, head_of_office):
    other_office = OfficeFactory()
    stranger = LawyerFactory(offices=[other_office])
    theirs = DutyDay.objects.create(office=other_office, lawyer=stranger, weekday=0)
    client.force_login(head_of_office)

    form = client.get("/admin/booking/dutyday/add/").content.decode()
    assert str(lawyer.user) in form and str(stranger.user) not in form
    assert other_office.name not in form
    response = client.post(
        "/admin/booking/dutyday/add/",
        {"office": other_office.pk, "lawyer": stranger.pk, "weekday": 1},
    )
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert not DutyDay.objects.filter(weekday=1).exists()
    client.post(
        "/admin/booking/dutyday/add/", {"office": office.pk, "lawyer": lawyer.pk, "weekday": 2}
    )
    assert DutyDay.objects.filter(office=office, lawyer=lawyer, weekday=2).exists()
    listing = client.get("/admin/booking/dutyday/").content.decode()
    assert str(stranger.user) not in listing
    change = f"/admin/booking/dutyday/{theirs.pk}/change/"
    assert client.get(change).status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
