"""The lawyer's pages in a real browser, on the phone: they fit, axe finds nothing serious,
nothing comes from another host, and the note and outcome forms work.

(axe-core needs JavaScript; the forms are plain HTML forms either way.)
"""

import datetime as dt

import pytest
from playwright.sync_api import Page

from booking.models import AppointmentNote, Mode
from booking.services import book_appointment
from tests.browser.test_booking import PAGE_WEIGHT, PAGE_WEIGHT_LIMIT, click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_sign_in import serious_axe_violations
from tests.conftest import NOW, local
from tests.factories import UserFactory

PASSWORD = "a long password for tests"
MONDAY = NOW.date()


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW + dt.timedelta(hours=2), tick=True)  # 10:00, the day under way


@pytest.fixture
def day(lawyer, office, topic):
    """Three appointments this morning: long names, needs and a long summary."""
    lawyer.user.set_password(PASSWORD)
    lawyer.user.save()
    appointments = []
    for hour, minute in [(9, 0), (10, 30), (11, 30)]:
        appointments.append(
            book_appointment(
                resident=UserFactory(display_name="欧阳娜娜" * 3),
                office=office,
                topic=topic,
                lawyer=lawyer,
                starts_at=local(MONDAY, hour, minute),
                mode=Mode.IN_PERSON,
                summary="邻居家扩建房屋占用了我家的宅基地，村委会调解了两次都没有结果。" * 4,
                matter_consent_at=NOW,
                needs_interpreter=True,
                dialect="湘语（长沙话）",
                accessibility_needs="需要轮椅通道",
                now=NOW,
            )
        )
    return appointments


def sign_in(page: Page, live_server, lawyer) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/lawyer/")
    page.click("details.staff summary")
    page.fill("#id_email", lawyer.user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    assert page.url.endswith("/lawyer/")


def check(page: Page, request_log, width: int = 360) -> None:
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert_fits(page, width)
    assert serious_axe_violations(page) == [], page.url
    assert request_log.to_other_hosts() == []
    assert 0 < page.evaluate(PAGE_WEIGHT) < PAGE_WEIGHT_LIMIT


def test_the_agenda_and_an_appointment_on_the_phone(page, live_server, request_log, lawyer, day):
    sign_in(page, live_server, lawyer)
    check(page, request_log)
    assert page.locator("main article.card").count() == 3
    click(page, "a:has-text('一周')")
    check(page, request_log)
    page.goto(f"{live_server.url}/lawyer/")
    click(page, "main article.card h3 a >> nth=0")
    check(page, request_log)

    page.fill("#id_text", "带了合同复印件")
    click(page, "button:has-text('保存备注')")
    assert AppointmentNote.objects.get(appointment=day[0]).text == "带了合同复印件"
    click(page, "button[value=attended]")
    day[0].refresh_from_db()
    assert day[0].status == "attended"
    check(page, request_log)


def test_the_agenda_fits_at_200_percent_zoom(new_page, live_server, lawyer, day):
    page = new_page(**PHONE_AT_200)
    sign_in(page, live_server, lawyer)
    assert_fits(page, 180)
    click(page, "main article.card h3 a >> nth=0")
    assert_fits(page, 180)


@pytest.mark.parametrize(
    "path",
    [
        "/lawyer/hours/",
        "/lawyer/hours/add/",
        "/lawyer/time-off/",
        "/lawyer/time-off/add/",
        "/lawyer/calendar/",
    ],
)
def test_the_hours_time_off_and_calendar_pages_on_the_phone(
    page, live_server, request_log, lawyer, day, path
):
    sign_in(page, live_server, lawyer)
    page.goto(f"{live_server.url}{path}")
    check(page, request_log)
    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)


def test_time_off_over_a_booking_asks_keep_or_cancel_in_the_browser(
    page, live_server, request_log, lawyer, day
):
    sign_in(page, live_server, lawyer)
    page.goto(f"{live_server.url}/lawyer/time-off/add/")
    page.fill("input[name=first_day]", "2026-12-07")
    click(page, "main form button[type=submit]")
    check(page, request_log)
    # Keep or cancel for each upcoming one: 10:30 and 11:30 (9:00 has begun).
    assert page.locator("input[type=radio]").count() == 2 * 2
    day[1].refresh_from_db()
    assert day[1].status == "booked"  # nothing happens before the lawyer decides
