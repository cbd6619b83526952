"""Sign-in off the happy path, through the pages (accounts/sign_in.py, accounts/views.py):
the booking in progress (``next``) and the number survive an expired code, wrong codes,
a reload and a new code; every limit says until when and whom to call.

The clock is frozen at NOW (Monday 08:00, office time) and moved by hand; allauth's own
clocks (``time.time``) move with it.
"""

import datetime as dt
import html
import re
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts.adapter import CODE_TRIES_USED, CODES_ASKED_TOO_FAST, KNOWN_BROWSER_COOKIE
from accounts.views import CODE_EXPIRED, CODE_PAGE_LEFT
from sms.code_limits import (
    CODE_JUST_SENT,
    CODES_PAUSED,
    DAILY_CAP_REACHED,
    TOMORROW_AT,
    TOO_MANY_CODES_FOR_NUMBER,
    TOO_MANY_CODES_FROM_HERE,
)
from tests.accounts.test_sign_in import (
    CONFIRM_LOGIN,
    LOGIN,
    NUMBER,
    TYPED,
    codes_sent_to,
    confirmed_account,
    followed,
    get,
    post,
    signed_in_user,
    text,
)
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

ELEVEN_MINUTES = dt.timedelta(minutes=11)
KIOSK = "10.1.1.1"


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def offices(db):
    """Two offices; the booking in progress is at the second."""
    return [
        OfficeFactory(name="白石镇司法所", slug="baishi", phone="0731-1111 2222"),
        OfficeFactory(name="青石镇司法所", slug="qingshi", phone="0731-8412 3456"),
    ]


WANTED = "/book/qingshi/family/details/?start=2026-12-08T09%3A30&mode=in_person"


def browser() -> Client:
    return Client(REMOTE_ADDR="10.9.9.9")


def ask_for_code(client: Client, *, next_url: str = WANTED, number: str = TYPED):
    """The sign-in form, as the booking page sends the resident to it."""
    return post(
        client, f"{LOGIN}?{urlencode({'next': next_url})}", {"login": number, "next": next_url}
    )


def hidden_next(page) -> list[str]:
    """The `next` values the page's forms post back, unescaped."""
    found = re.findall(r'<input type="hidden" name="next" value="([^"]*)"', text(page))
    return [html.unescape(value) for value in found]


def login_value(page) -> str:
    match = re.search(
        r'<input type="tel" name="login" id="id_phone"[^>]*value="([^"]*)"', text(page)
    )
    return match.group(1) if match else ""


def form_action(page) -> str:
    return re.search(r'<form class="stack" method="post" action="([^"]*)"', text(page)).group(1)


def wrong_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def assert_starts_again_on_the_sign_in_page(client: Client, response, message: str) -> None:
    """Back on the sign-in page, saying why, the number filled in, the way on kept."""
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{LOGIN}?{urlencode({'next': WANTED})}"
    page = followed(client, response)
    assert message in text(page)
    assert login_value(page) == TYPED
    assert WANTED in hidden_next(page)


def test_the_right_code_entered_too_late_leads_back_with_the_reason(offices, clock):
    """The code page left open 11 minutes, then the right code."""
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    [code] = codes_sent_to(NUMBER)
    clock.shift(ELEVEN_MINUTES)

    response = post(client, code_page, {"action": "verify", "code": code, "next": WANTED})

    assert signed_in_user(client) is None
    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_EXPIRED) % {"minutes": 10})
    # One tap: a new code, and it leads to the booking.
    response = ask_for_code(client, number=TYPED)
    new_code = codes_sent_to(NUMBER)[-1]
    response = post(client, response.url, {"action": "verify", "code": new_code, "next": WANTED})
    assert response.url == WANTED
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_the_number_is_filled_in_once_not_for_whoever_comes_next(offices, clock):
    """A kiosk: the resident who walked away leaves no number on the next sign-in page."""
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    clock.shift(ELEVEN_MINUTES)
    assert login_value(followed(client, get(client, code_page))) == TYPED

    assert login_value(get(client, LOGIN)) == ""


def test_a_code_page_reloaded_after_the_code_expired_says_so(offices, clock):
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    clock.shift(ELEVEN_MINUTES)

    response = get(client, code_page)

    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_EXPIRED) % {"minutes": 10})


def test_a_staff_members_number_gets_the_same_expired_page(offices, clock, office):
    """The pages never tell a staff member's number (which gets no code) apart."""
    UserFactory(phone=NUMBER, role="lawyer")
    client = browser()
    ask_for_code(client)
    clock.shift(ELEVEN_MINUTES)

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": "123456"})

    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_EXPIRED) % {"minutes": 10})


def test_a_code_page_with_no_sign_in_behind_it_leads_to_the_sign_in_page(offices):
    client = browser()

    response = get(client, f"{CONFIRM_LOGIN}?{urlencode({'next': WANTED})}")

    assert response.url == f"{LOGIN}?{urlencode({'next': WANTED})}"
    assert str(CODE_PAGE_LEFT) in text(followed(client, response))


def test_a_wrong_code_then_the_right_one_leads_to_the_booking_even_after_a_reload(offices):
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    [code] = codes_sent_to(NUMBER)
    wrong = "000000" if code != "000000" else "111111"

    page = post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong, "next": WANTED})

    assert page.status_code == HTTPStatus.OK
    # The page's own address keeps the way on, so that a reload (or a post without the
    # hidden field) keeps it too.
    assert form_action(page) == code_page
    reloaded = get(client, CONFIRM_LOGIN)
    assert WANTED in hidden_next(reloaded)
    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})
    assert response.url == WANTED
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_three_wrong_codes_lead_back_with_the_number_and_the_booking(offices):
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    [code] = codes_sent_to(NUMBER)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        post(client, code_page, {"action": "verify", "code": wrong, "next": WANTED})

    response = post(client, code_page, {"action": "verify", "code": wrong, "next": WANTED})

    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_TRIES_USED))


def test_a_new_code_lives_its_ten_minutes_from_when_it_was_sent(offices, clock):
    """allauth would count from the first code: a new one after nine minutes would die
    a minute later."""
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    clock.shift(dt.timedelta(minutes=9))
    assert post(client, code_page, {"action": "resend", "next": WANTED}).url == code_page
    new_code = codes_sent_to(NUMBER)[-1]
    clock.shift(dt.timedelta(minutes=8))  # 17 minutes after the first code

    response = post(client, code_page, {"action": "verify", "code": new_code, "next": WANTED})

    assert response.url == WANTED
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_a_new_code_refused_by_a_limit_keeps_the_way_and_the_first_code(offices, settings):
    UserFactory(phone=NUMBER)
    client = browser()
    code_page = ask_for_code(client).url
    [code] = codes_sent_to(NUMBER)

    response = post(client, CONFIRM_LOGIN, {"action": "resend"})  # within the minute

    assert response.url == CONFIRM_LOGIN
    page = followed(client, response)
    assert str(CODE_JUST_SENT) % {"time": "08:01"} in text(page)
    assert WANTED in hidden_next(page)
    response = post(client, code_page, {"action": "verify", "code": code, "next": WANTED})
    assert response.url == WANTED


def test_use_another_number_keeps_the_booking_but_not_the_number(offices):
    UserFactory(phone=NUMBER)
    client = browser()
    page = get(client, ask_for_code(client).url)
    back = f"{LOGIN}?{urlencode({'next': WANTED})}"
    assert back in hidden_next(page)

    response = post(client, "/accounts/logout/", {"next": back})

    assert response.url == back
    page = followed(client, response)
    assert login_value(page) == ""
    assert WANTED in hidden_next(page)


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/book/", "//evil.example/", "http:evil"]
)
def test_a_next_off_the_site_is_never_kept(offices, elsewhere):
    UserFactory(phone=NUMBER)
    client = browser()
    response = ask_for_code(client, next_url=elsewhere)
    assert "evil" not in response.url
    page = get(client, response.url)
    assert "evil" not in "".join(hidden_next(page))
    [code] = codes_sent_to(NUMBER)

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": code, "next": elsewhere})

    assert response.url == "/"


# Limits: until when, and whom to call.


def office_phones(page) -> list[str]:
    return re.findall(r'<a [^>]*href="tel:([^"]*)"', text(page))


def test_every_sign_in_page_names_the_office_of_the_booking_in_progress(offices):
    client = browser()

    booking = get(client, f"{LOGIN}?{urlencode({'next': WANTED})}")
    anywhere = get(client, LOGIN)

    assert office_phones(booking) == ["0731-84123456"]
    assert "青石镇司法所" in text(booking)
    assert office_phones(anywhere) == ["0731-11112222", "0731-84123456"]


def limit_page(client: Client, response):
    """The page a refusal shows: the sign-in page itself, or where it redirects."""
    return followed(client, response) if response.status_code == HTTPStatus.FOUND else response


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("minute", str(CODE_JUST_SENT) % {"time": "08:01"}),
        ("hour", str(TOO_MANY_CODES_FOR_NUMBER) % {"time": "09:00"}),
        ("day", str(DAILY_CAP_REACHED) % {"time": str(TOMORROW_AT) % {"time": "08:00"}}),
        ("network", str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:00"}),
        ("ceiling", str(CODES_PAUSED) % {"time": "09:00"}),
        ("allauth", str(CODES_ASKED_TOO_FAST) % {"time": "08:01"}),
    ],
)
def test_each_limit_says_until_when_and_whom_to_call_on_the_sign_in_page(
    offices, settings, setup, message
):
    UserFactory(phone=NUMBER)
    if setup == "minute":
        ask_for_code(browser())
    elif setup == "hour":
        settings.SMS_CODES_PER_NUMBER = "0/h"
    elif setup == "day":
        settings.SMS_DAILY_CAP_PER_NUMBER = 0
    elif setup == "network":
        settings.SMS_CODES_PER_IP_PER_HOUR = 0
    elif setup == "ceiling":
        settings.SMS_CODES_PER_HOUR_CEILING = 0
    else:
        settings.ACCOUNT_RATE_LIMITS = {
            **settings.ACCOUNT_RATE_LIMITS, "login_failed": "0/m/ip", "request_login_code": "0/m/ip"
        }  # fmt: skip
    client = browser()

    page = limit_page(client, ask_for_code(client))

    body = text(page)
    assert message in body, body
    assert "<h1>登录</h1>" in body  # the same page, not another
    assert office_phones(page) == ["0731-84123456"]  # the booking's office
    assert login_value(page) == TYPED
    assert WANTED in hidden_next(page)


def test_a_page_stopped_by_allauths_limit_says_until_when_and_whom_to_call(offices, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "1/m/ip"}
    client = browser()
    ask_for_code(client, number="0731-84123456")

    response = ask_for_code(client, number="0731-84123456")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "您可以在 08:01 之后再试。" in text(response)
    assert office_phones(response) == ["0731-84123456"]


def test_a_kiosk_gives_a_busy_days_codes_in_one_hour(offices, clock):
    """About a hundred residents in an hour behind the office's one address each get a
    code: more than a busy office's whole day."""
    numbers = [f"+861380013{n:04d}" for n in range(100)]
    for number in numbers:
        response = post(Client(REMOTE_ADDR=KIOSK), LOGIN, {"login": number})
        assert response.status_code == HTTPStatus.FOUND, number
        clock.shift(dt.timedelta(seconds=30))

    assert all(len(codes_sent_to(number)) == 1 for number in numbers)


def test_a_phone_that_signed_in_before_is_not_refused_by_its_networks_limit(
    offices, settings, clock
):
    """The village Wi-Fi has used its codes for the hour: a resident whose phone signed
    in there before still gets in; a new browser there is told until when."""
    resident = UserFactory(phone=NUMBER)
    phone = Client(REMOTE_ADDR=KIOSK)
    ask_for_code(phone)
    post(phone, CONFIRM_LOGIN, {"action": "verify", "code": codes_sent_to(NUMBER)[-1]})
    assert signed_in_user(phone) == resident
    assert KNOWN_BROWSER_COOKIE in phone.cookies
    post(phone, "/accounts/logout/", {})
    settings.SMS_CODES_PER_IP_PER_HOUR = 1
    clock.shift(dt.timedelta(minutes=2))

    stranger = Client(REMOTE_ADDR=KIOSK)
    refused = ask_for_code(stranger, number="+8613900139000")
    assert str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:06"} in text(refused)

    assert ask_for_code(phone).status_code == HTTPStatus.FOUND
    assert len(codes_sent_to(NUMBER)) == 2


SIGNUP = "/accounts/signup/"
VERIFY_PHONE = "/accounts/phone/verify/"


def sign_up(client: Client):
    """The sign-up form, reached on the way to a booking."""
    return post(client, f"{SIGNUP}?{urlencode({'next': WANTED})}", {"phone": TYPED, "next": WANTED})


def test_a_sign_ups_expired_code_leads_back_with_the_number_and_the_booking(offices, clock):
    client = browser()
    assert sign_up(client).url == VERIFY_PHONE
    [code] = codes_sent_to(NUMBER)
    page = get(client, VERIFY_PHONE)
    assert form_action(page) == f"{VERIFY_PHONE}?{urlencode({'next': WANTED})}"
    clock.shift(ELEVEN_MINUTES)

    response = post(client, VERIFY_PHONE, {"action": "verify", "code": code})

    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_EXPIRED) % {"minutes": 10})
    assert signed_in_user(client) is None


def test_a_sign_ups_code_typed_wrongly_three_times_leads_back_the_same_way(offices):
    client = browser()
    sign_up(client)
    [code] = codes_sent_to(NUMBER)
    for _ in range(2):
        post(client, VERIFY_PHONE, {"action": "verify", "code": wrong_code(code)})

    response = post(client, VERIFY_PHONE, {"action": "verify", "code": wrong_code(code)})

    assert_starts_again_on_the_sign_in_page(client, response, str(CODE_TRIES_USED))


def test_a_sign_up_with_the_right_code_goes_on_to_the_booking(offices):
    client = browser()
    sign_up(client)

    response = post(client, VERIFY_PHONE, {"action": "verify", "code": codes_sent_to(NUMBER)[-1]})

    assert response.url == WANTED
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_a_sign_ups_new_code_lives_its_ten_minutes_from_when_it_was_sent(offices, clock):
    client = browser()
    sign_up(client)
    clock.shift(dt.timedelta(minutes=9))
    post(client, VERIFY_PHONE, {"action": "resend", "next": WANTED})
    new_code = codes_sent_to(NUMBER)[-1]
    assert len(codes_sent_to(NUMBER)) == 2
    clock.shift(dt.timedelta(minutes=8))

    response = post(client, VERIFY_PHONE, {"action": "verify", "code": new_code})

    assert response.url == WANTED
    assert signed_in_user(client) == confirmed_account(NUMBER)
