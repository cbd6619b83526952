"""Signing in on the way to a booking, off the happy path, on the phone (360 px, Chinese).

A resident who chose a time is sent to sign in. Without JavaScript: a wrong code, the
tab reloaded, the code left until it has expired, then the right code; the page says
the code has expired, keeps the number, and a new code leads to the booking they were
making. With JavaScript: three wrong codes, then a network that has asked for too many
codes; the page says until when and gives the office's phone. Every page of the way fits
the phone's width (the limit's page at 200 % zoom too), asks nothing from another host
and, with JavaScript, passes axe.
"""

import datetime as dt
import re

import pytest
from django.utils import translation
from playwright.sync_api import Page

from accounts.adapter import CODE_TRIES_USED
from accounts.views import CODE_EXPIRED
from tests.browser.test_booking import choose_tuesday_at, click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_sign_in import code_sent_to, serious_axe_violations
from tests.conftest import NOW

NUMBER = "+8613912345678"
TYPED = "139 1234 5678"
NO_JAVASCRIPT = {"java_script_enabled": False}


@pytest.fixture
def clock(time_machine):
    # The live server runs in another thread of this process: it sees the same clock.
    time_machine.move_to(NOW, tick=True)
    return time_machine


def check(page: Page, request_log, *, axe: bool = True) -> None:
    """Chinese, 360 px wide without horizontal scroll, nothing from another host; axe
    (which needs JavaScript) where it runs."""
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert_fits(page, 360)
    if axe:
        assert serious_axe_violations(page) == [], page.url
    assert request_log.to_other_hosts() == []


def chinese(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


def go_to_sign_in_from_a_booking(page: Page, live_server, office) -> str:
    """Home, an area of law, a time on Tuesday: the booking sends the resident to sign
    in; the page the booking continues on."""
    page.goto(f"{live_server.url}/")
    click(page, "a.cta")
    click(page, "ul.choices a:has-text('婚姻家庭')")
    choose_tuesday_at(page, "09:30")
    assert "/accounts/login/" in page.url
    return page.url.split("next=", 1)[1]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_an_expired_code_keeps_the_number_and_the_booking_without_javascript(
    new_page, live_server, request_log, clock, lawyer, office
):
    page = new_page(**NO_JAVASCRIPT)
    go_to_sign_in_from_a_booking(page, live_server, office)
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    check(page, request_log, axe=False)
    code = code_sent_to(NUMBER)

    page.fill("#id_code", wrong(code))
    click(page, "button[value=verify]")
    check(page, request_log, axe=False)
    assert page.get_attribute("#id_code", "aria-invalid") == "true"
    # The phone reloads the tab after a switch to the SMS app.
    page.goto(page.url)
    assert page.inner_text("h1") == "输入验证码"
    # The code left until it has expired, then typed right.
    clock.shift(dt.timedelta(minutes=11))
    page.fill("#id_code", code)
    click(page, "button[value=verify]")

    check(page, request_log, axe=False)
    assert "/accounts/login/" in page.url
    assert chinese(CODE_EXPIRED) % {"minutes": 10} in page.inner_text(".messages")
    assert page.input_value("#id_phone") == TYPED
    click(page, "#phone-sign-in button")  # one tap: a new code
    check(page, request_log, axe=False)
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")

    assert "/details/" in page.url  # back at the booking being made
    check(page, request_log, axe=False)
    assert "09:30" in page.inner_text("main")


def test_wrong_codes_and_a_limit_say_until_when_and_give_the_offices_phone(
    page, new_page, live_server, request_log, clock, lawyer, office, settings
):
    go_to_sign_in_from_a_booking(page, live_server, office)
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    code = code_sent_to(NUMBER)
    for _ in range(3):
        page.fill("#id_code", wrong(code))
        click(page, "button[value=verify]")

    check(page, request_log)
    assert page.inner_text("h1") == "登录"  # the sign-in page, as before
    assert chinese(CODE_TRIES_USED) in page.inner_text(".messages")
    assert page.input_value("#id_phone") == TYPED
    call = page.locator(".call-office")
    assert call.locator(f"a[href='tel:{office.phone.replace(' ', '')}']").is_visible()
    assert office.name in call.inner_text()

    # The network has asked for as many codes as it may this hour.
    settings.SMS_CODES_PER_IP_PER_HOUR = 0
    clock.shift(dt.timedelta(minutes=2))
    click(page, "#phone-sign-in button")

    check(page, request_log)
    error = page.inner_text("#id_login_error")
    assert re.search(r"请在 09:0\d 之后再试", error), error
    assert "打电话给司法所" in error
    assert page.locator(".call-office a[href^='tel:']").count() == 1
    assert page.input_value("#id_phone") == TYPED
    assert "/details/" in page.get_attribute("#phone-sign-in input[name=next]", "value")
    # At 200 % zoom too, the office's phone included.
    zoomed = new_page(**PHONE_AT_200)
    zoomed.goto(page.url)
    assert zoomed.locator(".call-office a[href^='tel:']").is_visible()
    assert_fits(zoomed, 180)
