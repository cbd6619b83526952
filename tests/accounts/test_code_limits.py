"""Sign-in codes under attack and on shared networks (sms/code_limits.py), through the
pages: only codes count; a stranger cannot keep a resident out; the answer is the same
whether a number has an account; networks count per /64 over sliding windows; a ceiling
on all codes alerts the operator.

Each browser is a test client with its own address (``REMOTE_ADDR``); the clock is
frozen at NOW (Monday 08:00, office time) and moved by hand.
"""

import datetime as dt
import logging
import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.adapter import KNOWN_BROWSER_COOKIE
from accounts.models import Role, SecurityEvent, SecurityEventKind, User
from booking import services
from booking.models import Mode
from sms.code_limits import (
    CODE_JUST_SENT,
    CODES_PAUSED,
    DAILY_CAP_REACHED,
    TOMORROW_AT,
    TOO_MANY_CODES_FOR_NUMBER,
    TOO_MANY_CODES_FROM_HERE,
)
from sms.models import Message
from sms.services import send_login_code
from tests.accounts.test_sign_in import (
    CONFIRM_LOGIN,
    LOGIN,
    codes_sent_to,
    followed,
    get,
    post,
    signed_in_user,
    text,
)
from tests.conftest import NOW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = "10.9.9.9"  # the resident's own connection
ATTACKER = "10.66.0.1"
KIOSK = "10.1.1.1"  # an office's kiosk, or a village's Wi-Fi
WEDNESDAY = dt.date(2026, 12, 9)
ONE_MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def browser(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def ask_for_code(client: Client, number: str):
    return post(client, LOGIN, {"login": number})


def form_error(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response
    return response.context["form"].errors.get("login", [])


def sign_in(client: Client, number: str) -> User | None:
    """Ask for a code and enter the one that came; who is signed in then."""
    response = ask_for_code(client, number)
    if response.status_code != HTTPStatus.FOUND:
        return None
    code = codes_sent_to(number)[-1]
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})
    return signed_in_user(client)


def sign_in_within(client: Client, number: str, clock, *, minutes: int) -> dt.timedelta:
    """Try once a minute until signed in; how long it took (fails after ``minutes``)."""
    started = dt.datetime.now(dt.UTC)
    for _ in range(minutes + 1):
        if sign_in(client, number) is not None:
            return dt.datetime.now(dt.UTC) - started
        clock.shift(ONE_MINUTE)
    pytest.fail(f"not signed in within {minutes} minutes")


def sign_out(client: Client) -> None:
    post(client, "/accounts/logout/", {})


def book(resident, lawyer, hour, minute=0):
    office, topic = lawyer.offices.get(), lawyer.topics.get()
    return services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer,
        starts_at=local(WEDNESDAY, hour, minute), mode=Mode.IN_PERSON, now=NOW,
    )  # fmt: skip


@pytest.fixture
def booked_resident(lawyer):
    """A resident with two bookings, one of them cancelled and booked again: ten texts
    queued today, reminders for Tuesday and Wednesday among them."""
    resident = UserFactory()
    first = book(resident, lawyer, 10)
    book(resident, lawyer, 10, 30)
    services.cancel_appointment(appointment=first, by=resident, now=NOW)
    book(resident, lawyer, 11)
    return resident


# Point 4: only sign-in codes count, and no stranger keeps a resident out for long.


def test_a_resident_who_books_cancels_and_books_again_still_gets_codes(booked_resident):
    texts = Message.objects.filter(recipient=str(booked_resident.phone))
    assert texts.count() >= settings.SMS_DAILY_CAP_PER_NUMBER

    assert sign_in(browser(HOME), str(booked_resident.phone)) == booked_resident


def test_a_stranger_on_one_network_cannot_keep_a_resident_out(booked_resident, clock):
    """The review's attack: five requests in four minutes. The stranger's network gets
    its share of the number's codes; the resident, on a browser that has never signed
    in, still gets one at once."""
    number = str(booked_resident.phone)
    for _minute in range(5):
        ask_for_code(browser(ATTACKER), number)
        clock.shift(ONE_MINUTE)
    assert len(codes_sent_to(number)) == 2  # SMS_CODES_PER_NUMBER_PER_IP, per hour

    assert sign_in(browser(HOME), number) == booked_resident
    # The stranger is told until when, like anyone.
    refused = form_error(ask_for_code(browser(ATTACKER), number))
    assert refused == [str(TOO_MANY_CODES_FOR_NUMBER) % {"time": "09:00"}]


def test_strangers_on_many_networks_cannot_keep_a_resident_out_of_their_own_phone(
    booked_resident, clock
):
    """A stranger asks for the resident's codes every minute for two hours, each time
    from another network. The resident's phone, where they signed in before, signs in
    within a minute or two whenever they try; only browsers that never signed in share
    what the strangers take, and are told until when and to call the office."""
    number = str(booked_resident.phone)
    phone = browser(HOME)
    assert sign_in(phone, number) == booked_resident
    known = phone.cookies[KNOWN_BROWSER_COOKIE]
    assert known["httponly"] and number[-8:] not in known.value  # a keyed digest, no number
    sign_out(phone)
    waits = []
    for minute in range(1, 121):
        ask_for_code(browser(f"10.66.{minute}.1"), number)
        clock.shift(ONE_MINUTE)
        if minute in (30, 75, 115):
            waits.append(sign_in_within(phone, number, clock, minutes=15))
            sign_out(phone)
        if minute == 63:
            refused = form_error(ask_for_code(browser(HOME), number))
            assert refused and str(refused[0]).startswith(
                str(TOO_MANY_CODES_FOR_NUMBER).split("%(time)s")[0]
            )
    assert max(waits) <= dt.timedelta(minutes=2)
    assert len(codes_sent_to(number)) <= (
        settings.SMS_DAILY_CAP_PER_NUMBER  # the provider's limit was never passed
    )


def test_when_a_numbers_codes_for_the_day_are_used_the_resident_is_told_until_when(settings, clock):
    settings.SMS_DAILY_CAP_PER_NUMBER = 2
    resident = UserFactory()
    number = str(resident.phone)
    phone = browser(HOME)
    for _ in range(2):
        assert sign_in(phone, number) == resident
        sign_out(phone)
        clock.shift(dt.timedelta(minutes=20))

    refused = form_error(ask_for_code(phone, number))

    assert refused == [str(DAILY_CAP_REACHED) % {"time": str(TOMORROW_AT) % {"time": "08:00"}}]
    assert "打电话给司法所" in refused[0]  # and what else to do


def test_a_code_asked_for_again_within_the_minute_says_when_to_ask(clock):
    resident = UserFactory()
    phone = browser(HOME)
    ask_for_code(phone, str(resident.phone))
    clock.shift(dt.timedelta(seconds=20))

    refused = form_error(ask_for_code(browser(HOME), str(resident.phone)))

    assert refused == [str(CODE_JUST_SENT) % {"time": "08:01"}]


def test_refusals_that_keep_a_number_from_its_codes_are_in_the_security_log(booked_resident, clock):
    number = str(booked_resident.phone)
    for _minute in range(6):
        ask_for_code(browser(ATTACKER), number)
        clock.shift(ONE_MINUTE)

    [event] = SecurityEvent.objects.filter(kind=SecurityEventKind.CODE_LIMITED)
    assert event.identifier == f"{number[3:6]}****{number[-4:]}"
    assert event.ip == ATTACKER
    assert "number, from one network" in event.details


# Point 5: the same answer for a number with an account and one without.

THIRD_NUMBER = "+8613700137000"


def _prepare(state: str, numbers: tuple[str, str], clock) -> None:
    if state == "capped":  # the numbers have had their codes, asked for elsewhere
        for _ in range(settings.SMS_DAILY_CAP_PER_NUMBER):
            for number in numbers:
                send_login_code(phone=number, code="482913", language="zh-hans", known_browser=True)
            clock.shift(dt.timedelta(minutes=13))


def _answer(state: str, number: str):
    client = browser(HOME)
    response = ask_for_code(client, number)
    if state == "wrong code":
        assert response.status_code == HTTPStatus.FOUND
        code = codes_sent_to(number)[-1]
        wrong = "000000" if code != "000000" else "111111"
        response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong})
    page = followed(client, response) if response.status_code == HTTPStatus.FOUND else response
    body = text(page).replace(number, "NUMBER")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return response.status_code, response.get("Location"), body


@pytest.mark.parametrize("state", ["normal", "rate-limited", "capped", "wrong code"])
def test_a_number_with_an_account_gets_the_same_answer_as_one_without(settings, clock, state):
    known, unknown = "+8613800138000", "+8613900139000"
    UserFactory(phone=known)
    if state == "rate-limited":  # the network has had its codes for the hour
        settings.SMS_CODES_PER_IP_PER_HOUR = 1
        assert ask_for_code(browser(HOME), THIRD_NUMBER).status_code == HTTPStatus.FOUND
    _prepare(state, (known, unknown), clock)
    codes_before = Message.objects.count()

    known_answer = _answer(state, known)
    unknown_answer = _answer(state, unknown)

    assert known_answer == unknown_answer
    status, location, body = known_answer
    if state in ("rate-limited", "capped"):
        assert (status, location) == (HTTPStatus.OK, None)
        assert Message.objects.count() == codes_before  # no text either way
    else:
        assert Message.objects.count() == codes_before + 2
    if state == "rate-limited":
        assert str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:06"} in body
    if state == "capped":
        assert str(DAILY_CAP_REACHED).split("%(time)s")[0] in body


@pytest.mark.parametrize("state", ["rate-limited", "capped"])
def test_a_refused_number_costs_the_same_queries_with_or_without_an_account(settings, clock, state):
    """What a clock could tell apart: the refusal runs the same code, whoever asks."""
    known, unknown = "+8613800138000", "+8613900139000"
    UserFactory(phone=known)
    if state == "rate-limited":
        settings.SMS_CODES_PER_IP_PER_HOUR = 0
        ask_for_code(browser(HOME), THIRD_NUMBER)  # the network's refusal is in the log
    _prepare(state, (known, unknown), clock)
    counted = {}
    for number in (known, unknown):
        with CaptureQueriesContext(connection) as queries:
            ask_for_code(browser(HOME), number)
        counted[number] = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in queries]

    assert counted[known] == counted[unknown]


def test_the_wrong_code_page_looks_like_the_code_page():
    """The same page with the reason by the field, and the field empty again."""
    UserFactory(phone="+8613800138000")
    client = browser(HOME)
    ask_for_code(client, "+8613800138000")
    before = text(get(client, CONFIRM_LOGIN))

    after = text(post(client, CONFIRM_LOGIN, {"action": "verify", "code": "999999x"}))

    def without_tokens_and_reason(body):
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
        body = re.sub(r'\s*<ul class="errorlist"[^>]*>.*?</ul>', "", body, flags=re.S)
        body = body.replace(' aria-invalid="true" aria-describedby="id_code_error"', "")
        return re.sub(r"\s+", " ", body)

    assert "999999x" not in after
    assert 'class="errorlist"' in after
    assert without_tokens_and_reason(after) == without_tokens_and_reason(before)


# Point 6: networks per /64, sliding windows, a ceiling, room for shared networks.


def test_thirty_residents_behind_one_address_each_get_a_code(clock):
    """A morning at the office's kiosk: a resident every thirty seconds."""
    numbers = [f"+861380013{n:04d}" for n in range(30)]
    for number in numbers:
        response = ask_for_code(browser(KIOSK), number)
        assert (response.status_code, response.url) == (HTTPStatus.FOUND, CONFIRM_LOGIN)
        clock.shift(dt.timedelta(seconds=30))

    assert all(len(codes_sent_to(number)) == 1 for number in numbers)


def test_an_ipv6_network_counts_as_one_address(settings):
    settings.SMS_CODES_PER_IP_PER_HOUR = 2
    for host, number in [("1", "+8613800138001"), ("2", "+8613800138002")]:
        assert ask_for_code(browser(f"2001:db8:1:2::{host}"), number).status_code == 302

    refused = form_error(ask_for_code(browser("2001:db8:1:2:ffff::3"), "+8613800138003"))

    assert refused == [str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:06"}]
    other_network = ask_for_code(browser("2001:db8:1:3::1"), "+8613800138003")
    assert other_network.status_code == HTTPStatus.FOUND


def test_allauths_limits_count_an_ipv6_network_as_one_address(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    for host in ("1", "2"):
        post(browser(f"2001:db8:1:2::{host}"), LOGIN, {"login": "0731-84123456"})

    response = post(browser("2001:db8:1:2::3"), LOGIN, {"login": "0731-84123456"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_codes_asked_for_across_the_hour_count_together(settings, clock):
    """Two codes at 08:59 and none more at 09:01: the window slides."""
    settings.SMS_CODES_PER_IP_PER_HOUR = 2
    clock.move_to(local(NOW.date(), 8, 59), tick=False)
    for number in ("+8613800138001", "+8613800138002"):
        assert ask_for_code(browser(KIOSK), number).status_code == HTTPStatus.FOUND
    clock.move_to(local(NOW.date(), 9, 1), tick=False)

    refused = form_error(ask_for_code(browser(KIOSK), "+8613800138003"))

    assert refused == [str(TOO_MANY_CODES_FROM_HERE) % {"time": "10:00"}]
    clock.move_to(local(NOW.date(), 10, 0), tick=False)
    assert ask_for_code(browser(KIOSK), "+8613800138003").status_code == HTTPStatus.FOUND


@pytest.fixture
def superuser(db):
    return UserFactory(
        role=Role.RESIDENT, phone=None, phone_verified=False, email="root@example.invalid",
        is_staff=True, is_superuser=True,
    )  # fmt: skip


def test_the_hourly_ceiling_refuses_codes_and_alerts_the_operator_once(
    settings, clock, caplog, superuser
):
    settings.SMS_CODES_PER_HOUR_CEILING = 3
    for n in range(3):
        response = ask_for_code(browser(f"10.20.{n}.1"), f"+861380013800{n}")
        assert response.status_code == HTTPStatus.FOUND
    caplog.set_level(logging.ERROR, logger="accounts.services")

    refusals = [
        form_error(ask_for_code(browser(f"10.30.{n}.1"), f"+861390013900{n}")) for n in range(3)
    ]

    assert refusals == [[str(CODES_PAUSED) % {"time": "09:06"}]] * 3
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.CODE_CEILING).count() == 1
    assert [r.levelname for r in caplog.records if "ceiling" in r.getMessage()] == ["ERROR"]
    # The superuser sees it on the admin's index page.
    admin = Client()
    admin.force_login(superuser)
    assert 'id="code-ceiling-notice"' in text(get(admin, "/admin/"))
    # An hour later, reached again: a second alert.
    clock.shift(dt.timedelta(minutes=70))
    for n in range(4):
        ask_for_code(browser(f"10.40.{n}.1"), f"+861370013700{n}")
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.CODE_CEILING).count() == 2


def test_the_ceiling_notice_is_for_superusers_and_only_while_recent(
    settings, clock, superuser, office
):
    settings.SMS_CODES_PER_HOUR_CEILING = 0
    ask_for_code(browser(KIOSK), "+8613800138000")
    office_admin = UserFactory(
        role=Role.OFFICE_ADMIN, office=office, phone=None, phone_verified=False,
        email="head@example.invalid", is_staff=True,
    )  # fmt: skip
    pages = {}
    for user in (superuser, office_admin):
        admin = Client()
        admin.force_login(user)
        pages[user.role, user.is_superuser] = admin

    assert 'id="code-ceiling-notice"' in text(get(pages[Role.RESIDENT, True], "/admin/"))
    office_page = get(pages[Role.OFFICE_ADMIN, False], "/admin/")
    assert office_page.status_code == HTTPStatus.OK
    assert 'id="code-ceiling-notice"' not in text(office_page)

    clock.shift(dt.timedelta(hours=25))

    assert 'id="code-ceiling-notice"' not in text(get(pages[Role.RESIDENT, True], "/admin/"))
