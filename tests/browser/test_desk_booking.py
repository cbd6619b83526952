"""The desk books in a real browser on the phone: a caller with a mobile number (who gets
the SMS) and a walk-in without one (who gets a printed slip). Every page is checked:
Chinese, fits 360 px, axe, nothing from other hosts, light; the slip at 200 % too."""

import pytest
from playwright.sync_api import Page

from accounts.models import User
from booking.models import Appointment, Channel
from sms.models import Kind, Message
from tests.browser.test_booking import click
from tests.browser.test_desk_print import broken
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD, check
from tests.conftest import NOW

NUMBER = "+8613912345678"


def called_id() -> int:
    return User.objects.get(phone=NUMBER).pk


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def sign_in_at_the_desk(page: Page, live_server, request_log, desk_user) -> None:
    desk_user.email = "desk@example.invalid"
    desk_user.set_password(PASSWORD)
    desk_user.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/book/")
    page.click("details.staff summary")
    page.fill("#id_email", desk_user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    check(page, request_log)
    assert page.url.endswith("/desk/book/")


def choose_the_area_of_law(page: Page, request_log) -> None:
    check(page, request_log)  # the areas of law
    click(page, "ul.choices a:has-text('婚姻家庭')")
    check(page, request_log)  # the times and the questions


def test_the_desk_books_for_a_caller_and_for_a_walk_in_without_a_phone(
    page, live_server, request_log, office, lawyer, desk_user
):
    sign_in_at_the_desk(page, live_server, request_log, desk_user)

    # A caller with a mobile number: new, so registered with the name they give, by
    # keyboard: Enter finds, and once nobody is found, Enter registers (issue 15.9).
    page.keyboard.type("139 1234 5678")  # the number field has the focus
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(page, request_log)
    assert page.evaluate("document.activeElement.id") == "id_name"  # what is asked next
    page.keyboard.type("李四")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The resident by the handle the find step gave this clerk, the number masked.
    assert "/desk/book/for/" in page.url and str(called_id()) not in page.url.split("/")
    assert "139****5678" in page.inner_text(".desk-resident")
    assert "139 1234 5678" not in page.inner_text("main")
    choose_the_area_of_law(page, request_log)
    assert "139 1234 5678" not in page.inner_text("main")
    assert page.is_checked("input[name=slot] >> nth=0")  # the first free time
    page.fill("#id_opposing_party", "王五")
    page.check("#id_matter_consent")  # asked on its own (issue 12.11)
    page.check("#id_needs_interpreter")
    page.check("#id_privacy_accepted")
    click(page, "main form.stack button.primary")
    check(page, request_log)
    called = Appointment.objects.get(resident__phone=NUMBER)
    assert (called.channel, called.booked_by) == (Channel.DESK, desk_user)
    assert called.display_reference in page.inner_text(".reference-box")
    assert "139****5678" in page.inner_text("main")
    assert Message.objects.filter(kind=Kind.CONFIRMATION, recipient=NUMBER).exists()

    # A walk-in without a phone: name and village, a time on Tuesday by keyboard.
    click(page, "a.button[href='/desk/book/']")
    check(page, request_log)
    page.fill("#id_name", "赵大妈")
    page.fill("#id_village", "枫树村")
    with page.expect_navigation():
        page.press("#id_village", "Enter")
    check(page, request_log)
    assert page.url.removeprefix(live_server.url) == "/desk/book/"  # found nobody
    with page.expect_navigation():
        page.press("#id_name", "Enter")  # registers the person the page was asked for
    choose_the_area_of_law(page, request_log)
    page.check("input[value='2026-12-08T09:30|in_person']")
    page.focus("#id_privacy_accepted")
    page.keyboard.press("Space")
    click(page, "main form.stack button.primary")
    check(page, request_log)
    walk_in = Appointment.objects.get(resident__display_name="赵大妈")
    assert walk_in.resident.phone is None and walk_in.channel == Channel.DESK
    assert not Message.objects.filter(appointment=walk_in).exists()

    click(page, "a.button[href^='/desk/slip/']")
    check(page, request_log)
    assert broken(page, ".nobreak") == []  # codes, numbers and names whole (issue 15.11)
    slip = page.inner_text("main.slip")
    for fact in (walk_in.display_reference, "12月8日", "星期二", "09:30", office.address):
        assert fact in slip
    assert office.phone in slip
    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)

    alone = page.context.new_page()
    alone.set_viewport_size({"width": 360, "height": 740})
    alone.goto(f"{page.url}?print=1")
    check(alone, request_log)
    assert alone.locator(".desk-bar").count() == 0
    assert walk_in.display_reference in alone.inner_text("main.slip")
