"""Rate limits: booking POSTs per account and per address, the calendar feed per feed.

Rates come from settings (``RATE_LIMITS``), lowered here so that a test reaches
them in a few requests. Over the limit: HTTP 429 with Retry-After, nothing written.
"""

import datetime as dt
from http import HTTPStatus

import pytest
from django.utils import timezone

from booking.models import Appointment
from booking.services.calendar import get_or_create_feed
from tests.booking.test_calendar_feed import feed_url
from tests.booking.test_resident_pages import DETAILS, chosen, details_url
from tests.conftest import NOW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {
        "book": "4/10m/ip,2/10m/user",
        "feed": "4/h/ip,3/h/key",
        "feed_guess": "2/h/ip",
    }


def post_booking(client, lawyer, hour):
    office, topic = lawyer.offices.get(), lawyer.topics.get()
    data = {**chosen(local(NOW.date(), hour)), **DETAILS, "step": "confirm"}
    return client.post(details_url(office, topic), data)


def test_one_account_can_post_only_so_many_bookings(client, lawyer, limits):
    client.force_login(UserFactory())
    assert post_booking(client, lawyer, 10).status_code == HTTPStatus.FOUND
    assert post_booking(client, lawyer, 11).status_code == HTTPStatus.FOUND  # at the limit (2)

    refused = post_booking(client, lawyer, 11)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The window is ten minutes (counted in counters of a minute, so it frees within
    # eleven): the page and Retry-After say when it frees, not "wait a minute".
    retry_after = int(refused["Retry-After"])
    assert 600 <= retry_after <= 660
    frees = timezone.localtime(NOW) + dt.timedelta(seconds=retry_after)
    page = refused.content.decode()
    assert f"您可以在 {frees:%H:%M} 之后再试。" in page
    assert "请稍等一分钟" not in page
    assert Appointment.objects.count() == 2  # nothing written by the refused one
    # Looking at the form is not limited.
    office, topic = lawyer.offices.get(), lawyer.topics.get()
    assert (
        client.get(details_url(office, topic), chosen(local(NOW.date(), 11, 30))).status_code == 200
    )


def test_one_address_is_limited_across_accounts(client, lawyer, limits):
    answers = []
    for hour in (10, 10, 11, 11, 9):
        client.force_login(UserFactory())
        answers.append(post_booking(client, lawyer, hour).status_code)
    assert answers[:4] != [HTTPStatus.TOO_MANY_REQUESTS] * 4
    assert answers[4] == HTTPStatus.TOO_MANY_REQUESTS


def test_the_feed_is_limited_per_feed(client, lawyer, limits):
    url = feed_url(get_or_create_feed(lawyer=lawyer))
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Unknown keys and wrong secrets count against the address's guesses, not the feed's.
    guesses = [client.get("/calendar/nokey/nosecret.ics").status_code for _ in range(3)]
    assert guesses == [HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND, HTTPStatus.TOO_MANY_REQUESTS]
