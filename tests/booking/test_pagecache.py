"""Public pages come from the cache only while nothing they show can have changed."""

from http import HTTPStatus

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse

from booking.models import Mode, TimeOff
from booking.services import book_appointment, cancel_appointment
from tests.conftest import NOW, local
from tests.factories import UserFactory

MONDAY = NOW.date()
NINE = "start=2026-12-07T09%3A00"


pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def url(office, topic, lawyer):
    return reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_a_second_visit_is_served_from_the_cache_with_one_query(
    client, url, clock, django_assert_num_queries
):
    clock.move_to(local(MONDAY, 7), tick=False)
    first = page(client, url)
    with django_assert_num_queries(1):  # the schedule version
        assert page(client, url) == first


def test_a_booking_shows_at_once(client, url, office, topic, lawyer):
    assert NINE in page(client, url)
    appointment = book_appointment(
        resident=UserFactory(),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        mode=Mode.IN_PERSON,
    )
    assert NINE not in page(client, url)
    cancel_appointment(appointment=appointment, by=UserFactory(role="desk", office=office))
    assert NINE in page(client, url)


def test_time_off_entered_in_the_admin_shows_at_once(client, url, lawyer):
    assert NINE in page(client, url)
    TimeOff.objects.create(lawyer=lawyer, starts_at=local(MONDAY, 0), ends_at=local(MONDAY, 23))
    assert NINE not in page(client, url)


def test_weekly_hours_removed_in_the_admin_show_at_once(client, url, lawyer):
    assert NINE in page(client, url)
    lawyer.rules.filter(weekday=0).delete()
    assert NINE not in page(client, url)


def test_a_time_inside_the_notice_is_no_longer_shown(client, url, clock):
    assert NINE in page(client, url)
    clock.move_to(local(MONDAY, 8, 1), tick=False)  # 09:00 is now less than an hour away
    assert NINE not in page(client, url)
    assert "start=2026-12-07T09%3A30" in page(client, url)


def test_signed_in_residents_never_get_the_cached_page(client, url, resident):
    anonymous = page(client, url)
    client.force_login(resident)
    signed_in = page(client, url)
    assert signed_in != anonymous
    assert reverse("booking:my_appointments") in signed_in


def test_each_language_has_its_own_page(client, url):
    chinese = page(client, url)
    client.cookies["django_language"] = "en"
    english = page(client, url)
    assert "选择时间" in chinese and "Choose a time" in english


def test_a_page_with_a_message_to_show_is_rendered_for_it(client, url):
    page(client, url)
    storage = CookieStorage(RequestFactory().get("/"))
    response = client.get(url)
    storage.add(constants.SUCCESS, "您已退出登录。")
    storage.update(response)
    client.cookies.update(response.cookies)
    assert "您已退出登录。" in page(client, url)
