"""Signing in and up by phone in a real browser: the phone, Chinese, JavaScript off.

The code is read from the SMS outbox, as the delivery worker would send it. Every page
of the way is measured (no horizontal scroll, at 360 px and at 200 % zoom), scanned by
axe-core, and requests nothing from another host; the fields are reached by keyboard.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from accounts.models import User
from sms.models import Kind, Message
from tests.browser.test_home import FOCUS, PHONE_AT_200, assert_fits
from tests.factories import UserFactory

NUMBER = "+8613800138000"
TYPED = "138 0013 8000"
NO_JAVASCRIPT = {"java_script_enabled": False}
SEND_CODE = "#phone-sign-in button"  # on the sign-in page
SUBMIT = "main form.stack button.primary"  # on pages with one form


def code_sent_to(number: str) -> str:
    message = Message.objects.filter(recipient=number, kind=Kind.LOGIN_CODE).latest("created_at")
    return message.params["code"]


def serious_axe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def check_page(page: Page, width: int = 360) -> None:
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert_fits(page, width)


def tab_to(page: Page, selector: str, limit: int = 20) -> list[str]:
    """Press Tab until `selector` has focus; the focused elements on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        seen.append(focus["html"])
        if page.locator(selector).evaluate("el => el === document.activeElement"):
            assert focus["outline"] >= 2 or focus["boxShadow"] != "none", focus
            return seen
    raise AssertionError(f"{selector} not reached by Tab: {seen}")


def test_a_resident_signs_in_by_phone_without_javascript(new_page, live_server, request_log):
    resident = UserFactory(phone=NUMBER)
    page = new_page(**NO_JAVASCRIPT)
    page.goto(f"{live_server.url}/")

    with page.expect_navigation():
        page.click("header a.account")
    check_page(page)
    assert page.inner_text("h1") == "登录"
    assert page.get_attribute("#id_phone", "type") == "tel"
    assert page.inner_text("label[for=id_phone]") == "手机号码"
    page.fill("#id_phone", TYPED)
    with page.expect_navigation():
        page.click(SEND_CODE)

    assert page.url == f"{live_server.url}/accounts/login/code/confirm/"
    check_page(page)
    assert page.get_attribute("#id_code", "autocomplete") == "one-time-code"
    assert page.get_attribute("#id_code", "inputmode") == "numeric"
    page.fill("#id_code", code_sent_to(NUMBER))
    with page.expect_navigation():
        page.click("button[value=verify]")

    assert page.url == f"{live_server.url}/"
    check_page(page)
    assert page.inner_text("header form.account button") == "退出登录"
    assert "您已登录。" in page.inner_text("main")
    assert request_log.to_other_hosts() == []
    assert User.objects.get(pk=resident.pk).last_login is not None


def test_a_new_number_signs_in_and_becomes_a_resident_without_javascript(
    new_page, live_server, request_log
):
    """No sign-up first: the sign-in code registers the number."""
    page = new_page(**NO_JAVASCRIPT)
    page.goto(f"{live_server.url}/accounts/login/")

    page.fill("#id_phone", TYPED)
    with page.expect_navigation():
        page.click(SEND_CODE)
    assert page.url == f"{live_server.url}/accounts/login/code/confirm/"
    check_page(page)
    page.fill("#id_code", code_sent_to(NUMBER))
    with page.expect_navigation():
        page.click("button[value=verify]")

    assert page.url == f"{live_server.url}/"
    assert "您已登录。" in page.inner_text("main")
    assert User.objects.get(phone=NUMBER).phone_verified
    assert request_log.to_other_hosts() == []


def test_a_new_resident_signs_up_by_phone_without_javascript(new_page, live_server, request_log):
    page = new_page(**NO_JAVASCRIPT)
    page.goto(f"{live_server.url}/accounts/signup/")
    check_page(page)

    page.fill("#id_phone", TYPED)
    with page.expect_navigation():
        page.click(SUBMIT)
    assert page.url == f"{live_server.url}/accounts/phone/verify/"
    check_page(page)
    page.fill("#id_code", code_sent_to(NUMBER))
    with page.expect_navigation():
        page.click("button[value=verify]")

    assert page.url == f"{live_server.url}/"
    assert User.objects.get(phone=NUMBER).phone_verified
    assert request_log.to_other_hosts() == []


def test_a_landline_is_refused_on_the_page(new_page, live_server):
    page = new_page(**NO_JAVASCRIPT)
    page.goto(f"{live_server.url}/accounts/login/")

    page.fill("#id_phone", "0731-84123456")
    with page.expect_navigation():
        page.click(SEND_CODE)

    check_page(page)
    assert page.get_attribute("#id_phone", "aria-invalid") == "true"
    assert "固定电话无法接收短信" in page.inner_text("#id_login_error")


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_sign_in_pages_fit_at_200_percent_zoom(new_page, live_server, path):
    page = new_page(**PHONE_AT_200)
    page.goto(f"{live_server.url}{path}")

    check_page(page, width=180)


def test_the_code_page_fits_at_200_percent_zoom(new_page, live_server):
    UserFactory(phone=NUMBER)
    page = new_page(**PHONE_AT_200, **NO_JAVASCRIPT)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_phone", TYPED)
    with page.expect_navigation():
        page.click(SEND_CODE)

    check_page(page, width=180)


def test_the_keyboard_reaches_the_number_its_button_and_the_staff_sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    tab_to(page, "#id_phone")
    page.keyboard.type(TYPED)
    tab_to(page, SEND_CODE, limit=1)
    tab_to(page, "details.staff summary")
    page.keyboard.press("Enter")  # opens the staff form
    tab_to(page, "#id_email", limit=1)
    tab_to(page, "#id_password", limit=1)


def test_axe_finds_no_serious_or_critical_violations_on_the_way_in(page, live_server):
    UserFactory(phone=NUMBER)
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious_axe_violations(page) == []
    page.click("details.staff summary")
    assert serious_axe_violations(page) == []

    page.fill("#id_phone", "0731-84123456")
    with page.expect_navigation():
        page.click(SEND_CODE)
    assert serious_axe_violations(page) == []  # with the error shown

    page.fill("#id_phone", TYPED)
    with page.expect_navigation():
        page.click(SEND_CODE)
    assert serious_axe_violations(page) == []  # the code page

    page.goto(f"{live_server.url}/accounts/signup/")
    assert serious_axe_violations(page) == []
