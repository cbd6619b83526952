"""Sessions end when idle (accounts/middleware.py, MLPS level 2): staff after 30 minutes
without a request, residents after 14 days; the session is written at most once a minute.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai) and moves only when a test
moves it.
"""

import datetime as dt
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.middleware import SIGNED_OUT_IDLE_DAYS, SIGNED_OUT_IDLE_MINUTES
from accounts.models import Role
from tests.conftest import NOW
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "a-long-staff-password-2026"
DESK = "/desk/"
MY_APPOINTMENTS = "/my/"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def clerk(office):
    user = UserFactory(
        role=Role.DESK, office=office, phone=None, phone_verified=False, email="desk@example.org"
    )
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def clerk_client(clock, clerk):
    client = Client()
    response = client.post(LOGIN, {"login": clerk.email, "password": PASSWORD}, secure=True)
    assert response.status_code == HTTPStatus.FOUND
    return client


def get(client: Client, url: str):
    return client.get(url, secure=True)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_clerk_idle_for_31_minutes_is_signed_out_and_told_why(clock, clerk_client):
    assert get(clerk_client, DESK).status_code == HTTPStatus.OK
    clock.shift(dt.timedelta(minutes=31))

    response = get(clerk_client, f"{DESK}?day=2026-12-07")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{LOGIN}?next=/desk/%3Fday%3D2026-12-07"
    assert not signed_in(clerk_client)
    page = get(clerk_client, response.url)
    message = SIGNED_OUT_IDLE_MINUTES % {"count": 30}
    assert str(message) in page.content.decode()
    assert 'name="next" value="/desk/?day=2026-12-07"' in page.content.decode()


def test_a_clerk_idle_for_29_minutes_is_still_signed_in(clock, clerk_client):
    get(clerk_client, DESK)
    clock.shift(dt.timedelta(minutes=29))
    assert get(clerk_client, DESK).status_code == HTTPStatus.OK
    assert signed_in(clerk_client)


def test_the_idle_clock_starts_at_sign_in(clock, clerk_client):
    clock.shift(dt.timedelta(minutes=31))
    assert get(clerk_client, DESK).status_code == HTTPStatus.FOUND
    assert not signed_in(clerk_client)


def test_a_request_every_10_minutes_keeps_a_clerk_signed_in(clock, clerk_client):
    for _ in range(12):  # two hours
        clock.shift(dt.timedelta(minutes=10))
        assert get(clerk_client, DESK).status_code == HTTPStatus.OK
    clock.shift(dt.timedelta(minutes=31))
    assert get(clerk_client, DESK).status_code == HTTPStatus.FOUND


def test_the_session_is_written_at_most_once_a_minute(clock, clerk_client):
    get(clerk_client, DESK)
    stored = Session.objects.get().session_data
    for _ in range(5):
        clock.shift(dt.timedelta(seconds=10))
        response = get(clerk_client, DESK)
        assert response.status_code == HTTPStatus.OK
        assert settings.SESSION_COOKIE_NAME not in response.cookies  # nothing saved
    assert Session.objects.get().session_data == stored
    clock.shift(dt.timedelta(seconds=10))  # a minute since the last write
    assert settings.SESSION_COOKIE_NAME in get(clerk_client, DESK).cookies
    assert Session.objects.get().session_data != stored


def test_the_idle_period_is_a_setting(clock, clerk_client, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 10
    clock.shift(dt.timedelta(minutes=11))
    response = get(clerk_client, DESK)
    assert response.status_code == HTTPStatus.FOUND
    page = get(clerk_client, response.url)
    assert str(SIGNED_OUT_IDLE_MINUTES % {"count": 10}) in page.content.decode()


def test_signing_out_after_the_idle_period_is_not_sent_back_to_sign_out(clock, clerk_client):
    clock.shift(dt.timedelta(minutes=31))
    response = clerk_client.post("/accounts/logout/", secure=True)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == LOGIN
    assert not signed_in(clerk_client)


def test_a_resident_idle_for_31_minutes_is_still_signed_in(clock, resident):
    client = Client()
    client.force_login(resident)
    clock.shift(dt.timedelta(minutes=31))
    assert get(client, MY_APPOINTMENTS).status_code == HTTPStatus.OK
    assert signed_in(client)
    clock.shift(dt.timedelta(days=13, hours=23))
    assert get(client, MY_APPOINTMENTS).status_code == HTTPStatus.OK


def test_a_resident_idle_for_two_weeks_is_signed_out_and_told_why(clock, resident):
    client = Client()
    client.force_login(resident)
    get(client, MY_APPOINTMENTS)
    clock.shift(dt.timedelta(days=14, minutes=1))

    response = get(client, MY_APPOINTMENTS)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{LOGIN}?next=/my/"
    page = get(client, response.url)
    assert str(SIGNED_OUT_IDLE_DAYS % {"count": 14}) in page.content.decode()


def test_a_residents_sign_in_outlasts_the_browser(clock, resident):
    """A cheap phone's browser is closed by the system all the time: the cookie stays."""
    client = Client()
    client.force_login(resident)
    clock.shift(dt.timedelta(minutes=2))
    response = get(client, MY_APPOINTMENTS)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 15 * 24 * 3600


def test_a_clerks_sign_in_ends_with_the_browser(clock, clerk_client):
    clock.shift(dt.timedelta(minutes=2))
    cookie = get(clerk_client, DESK).cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
