"""Booking in a real browser, on the phone, in Chinese: every step through the pages.

A new resident books (signing in on the way with the code from the SMS outbox; what
they write about the matter needs its own tick), sees the booking, moves it and cancels
it. A second browser takes a time first; the first
resident is offered the nearest free times. A resident who names a party that a lawyer
advised is offered only other lawyers' times. Without JavaScript the booking completes.
Every page of the way is checked: Chinese, no horizontal scroll at 360 px, no serious
axe-core finding, nothing requested from another host, under 50 KB of HTML, CSS and
JavaScript (bodies as sent by the test server, which does not compress: an upper bound).
"""

import datetime as dt

import pytest
from playwright.sync_api import Page

from booking.errors import CONFLICT_OF_INTEREST
from booking.forms.resident import MATTER_CONSENT_REQUIRED
from booking.models import Appointment, Status
from booking.services import book_appointment
from sms.models import Kind, Message
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_sign_in import code_sent_to, serious_axe_violations
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, RuleFactory, UserFactory

NUMBER = "+8613912345678"
TYPED = "139 1234 5678"
PAGE_WEIGHT_LIMIT = 50_000
# Bytes of the page and of the stylesheets and scripts it uses, cached or not.
PAGE_WEIGHT = """() => {
    const entries = [
        ...performance.getEntriesByType("navigation"),
        ...performance.getEntriesByType("resource")
            .filter((r) => ["link", "script", "css"].includes(r.initiatorType)),
    ];
    return entries.reduce((sum, entry) => sum + entry.encodedBodySize, 0);
}"""
TUESDAY = NOW.date() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    # The live server runs in another thread of this process: it sees the same clock.
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def office_hours(office, topic, lawyer):
    """A second lawyer for the same area of law, on Tuesday afternoons, by phone."""
    other = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(
        lawyer=other,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(16),
        mode="phone",
    )
    return office


def check(page: Page, request_log, width: int = 360) -> None:
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert_fits(page, width)
    assert serious_axe_violations(page) == [], page.url
    assert request_log.to_other_hosts() == []
    weight = page.evaluate(PAGE_WEIGHT)
    assert 0 < weight < PAGE_WEIGHT_LIMIT, (page.url, weight)


def click(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def sign_in_on_the_way(page: Page, request_log) -> None:
    """The sign-in page, reached from the booking flow: number, code, and back."""
    assert "/accounts/login/" in page.url
    check(page, request_log)
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    check(page, request_log)
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")


def choose_tuesday_at(page: Page, time: str) -> None:
    click(page, "ul.days a:has-text('12月8日')")
    click(page, f"ul.times a:has-text('{time}')")


def fill_details_and_confirm(page: Page, request_log) -> None:
    check(page, request_log)
    assert page.input_value("#id_name") == ""  # signed up by phone: no name yet
    page.fill("#id_name", "李四")
    page.fill("#id_summary", "邻居占了我家的宅基地，想知道怎么办")
    page.fill("#id_opposing_party", "王五")
    page.fill("#id_opposing_party_phone", "0731-8765 4321")
    page.check("#id_privacy_accepted")
    click(page, "button[value=review]")
    # The privacy notice's tick does not cover the matter: it is asked on its own.
    assert str(MATTER_CONSENT_REQUIRED) in page.inner_text("main")
    check(page, request_log)
    page.check("#id_matter_consent")
    click(page, "button[value=review]")
    check(page, request_log)
    summary = page.inner_text("main")
    assert "李四" in summary and "王五" in summary and "0731 8765 4321" in summary
    click(page, "button[value=confirm]")


def test_a_new_resident_books_sees_moves_and_cancels(page, live_server, request_log, office_hours):
    page.goto(f"{live_server.url}/")
    check(page, request_log)
    click(page, "a.cta")
    check(page, request_log)
    click(page, "ul.choices a:has-text('婚姻家庭')")
    check(page, request_log)
    choose_tuesday_at(page, "09:30")

    sign_in_on_the_way(page, request_log)
    assert "/details/" in page.url  # back where the resident was going
    fill_details_and_confirm(page, request_log)

    appointment = Appointment.objects.get(resident__phone=NUMBER)
    assert appointment.starts_at == local(TUESDAY, 9, 30)
    assert appointment.opposing_party == "王五"
    assert appointment.opposing_party_phone == "+8673187654321"
    assert appointment.resident.display_name == "李四"
    check(page, request_log)
    assert appointment.display_reference in page.inner_text(".reference-box")
    assert "预约成功" in page.inner_text(".messages")
    assert Message.objects.filter(kind=Kind.CONFIRMATION, recipient=NUMBER).exists()

    click(page, "header a:has-text('我的预约')")
    check(page, request_log)
    assert appointment.display_reference in page.inner_text("main")
    click(page, "a.button:has-text('改时间')")
    check(page, request_log)
    # Moving starts from the same lawyer, in person: the other one is the resident's choice.
    page.select_option("#id_lawyer", "")
    page.select_option("#id_mode", "")
    click(page, "form.filters button")
    click(page, "ul.days a:has-text('12月8日')")
    click(page, "ul.times a:has-text('14:00')")  # the other lawyer, by phone
    check(page, request_log)
    click(page, "main form button.primary")
    check(page, request_log)
    appointment.refresh_from_db()
    assert appointment.starts_at == local(TUESDAY, 14)
    assert appointment.mode == "phone"
    assert "14:00" in page.inner_text(".summary")
    assert Message.objects.filter(kind=Kind.RESCHEDULE, recipient=NUMBER).exists()

    click(page, "a.button:has-text('取消预约')")
    check(page, request_log)
    click(page, "button.danger")
    check(page, request_log)
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert "已取消" in page.inner_text("main")
    assert Message.objects.filter(kind=Kind.CANCELLATION, recipient=NUMBER).exists()


def test_a_time_taken_in_another_browser_leads_to_the_nearest_free_ones(
    new_page, live_server, request_log, office_hours
):
    first = new_page()
    first.goto(f"{live_server.url}/book/{office_hours.slug}/family/")
    choose_tuesday_at(first, "10:00")
    sign_in_on_the_way(first, request_log)
    first.fill("#id_name", "李四")
    first.fill("#id_summary", "工资被拖欠")
    first.check("#id_matter_consent")
    first.check("#id_privacy_accepted")
    click(first, "button[value=review]")

    # Meanwhile, someone else books the same time in their own browser.
    second = new_page()
    second.goto(f"{live_server.url}/book/{office_hours.slug}/family/")
    choose_tuesday_at(second, "10:00")
    second.fill("#id_phone", "13700001111")
    click(second, "#phone-sign-in button")
    second.fill("#id_code", code_sent_to("+8613700001111"))
    click(second, "button[value=verify]")
    second.fill("#id_name", "赵六")
    second.check("#id_privacy_accepted")
    click(second, "button[value=review]")
    click(second, "button[value=confirm]")
    assert Appointment.objects.get(starts_at=local(TUESDAY, 10)).resident.phone == "+8613700001111"

    click(first, "button[value=confirm]")
    check(first, request_log)
    assert "其他时间" in first.inner_text("h1")
    offered = first.locator("ul.times button").all_inner_texts()
    assert any("09:30" in text for text in offered) and any("10:30" in text for text in offered)
    click(first, "ul.times button:has-text('10:30')")
    check(first, request_log)
    assert "工资被拖欠" in first.inner_text("main")  # the answers came along
    click(first, "button[value=confirm]")
    mine = Appointment.objects.get(resident__phone=NUMBER)
    assert mine.starts_at == local(TUESDAY, 10, 30) and mine.summary == "工资被拖欠"


def test_booking_completes_without_javascript(new_page, live_server, request_log, office_hours):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/")
    click(page, "a.cta")
    click(page, "ul.choices a:has-text('婚姻家庭')")
    page.select_option("#id_mode", "phone")
    click(page, "form.filters button")
    first = page.inner_text("p.first a")
    assert "14:00" in first
    click(page, "p.first a")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    page.fill("#id_name", "李四")
    page.check("#id_privacy_accepted")
    click(page, "button[value=review]")
    click(page, "button[value=confirm]")
    appointment = Appointment.objects.get(resident__phone=NUMBER)
    assert appointment.starts_at == local(TUESDAY, 14)
    assert appointment.display_reference in page.inner_text(".reference-box")


def test_a_lawyer_who_advised_the_other_party_is_not_booked(
    page, live_server, request_log, office_hours, lawyer
):
    """The morning lawyer advised 王五: the resident is offered the other lawyer's times."""
    earlier = local(NOW.date() - dt.timedelta(days=7), 9)  # last Monday
    advised = book_appointment(
        resident=UserFactory(display_name="王五"),
        office=office_hours,
        topic=lawyer.topics.get(),
        lawyer=lawyer,
        starts_at=earlier,
        mode="in_person",
        now=earlier - dt.timedelta(days=1),
    )  # 王五 wrote nothing about their matter
    Appointment.objects.filter(pk=advised.pk).update(status=Status.ATTENDED)
    page.goto(f"{live_server.url}/book/{office_hours.slug}/family/")
    choose_tuesday_at(page, "10:00")
    sign_in_on_the_way(page, request_log)
    page.fill("#id_name", "李四")
    page.fill("#id_opposing_party", "王 五")
    page.check("#id_matter_consent")
    page.check("#id_privacy_accepted")
    click(page, "button[value=review]")
    check(page, request_log)
    assert page.inner_text("[role=alert]") == str(CONFLICT_OF_INTEREST)
    assert "王五" not in page.inner_text("main")
    offered = page.locator("ul.times button").all_inner_texts()
    assert offered and all("14:" in text or "15:" in text for text in offered)
    click(page, "ul.times button >> nth=0")
    click(page, "button[value=confirm]")
    mine = Appointment.objects.get(resident__phone=NUMBER)
    assert mine.lawyer != lawyer and mine.opposing_party == "王 五"


def test_the_slot_page_and_the_form_fit_at_200_percent_zoom(
    new_page, live_server, office_hours, resident
):
    page = new_page(**PHONE_AT_200)
    page.goto(f"{live_server.url}/book/{office_hours.slug}/family/")
    assert_fits(page, 180)
    click(page, "ul.times a >> nth=0")
    assert_fits(page, 180)


def test_the_times_are_reached_by_keyboard(page, live_server, office_hours):
    page.goto(f"{live_server.url}/book/{office_hours.slug}/family/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('ul.times') !== null"):
            break
    else:
        raise AssertionError("no time reached by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/login/" in page.url
