"""The lawyer's pages in a real browser, on the phone: they fit, axe finds nothing serious,
nothing comes from another host, the headings make a clean outline, and the note and
outcome forms work (the recorded outcome is said in words and on the buttons).

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


# Every heading on the page as (level, text), and the texts of labels and legends that
# are not themselves (in) a heading.
HEADINGS = """() => {
  const levels = "h1, h2, h3, h4, h5, h6";
  const headings = [...document.querySelectorAll(levels)];
  const names = [...document.querySelectorAll("label, legend")].filter(
    (element) => !element.closest(levels) && !element.querySelector(levels)
  );
  return {
    headings: headings.map((h) => [Number(h.tagName[1]), h.innerText.trim()]),
    names: names.map((element) => element.innerText.trim()),
  };
}"""


def assert_clean_outline(page: Page) -> list[tuple[int, str]]:
    """One h1 first, no level skipped, no heading twice under the same parent, and no
    heading repeated as a label or legend (issue 15.10: "私人备注" twice)."""
    found = page.evaluate(HEADINGS)
    headings = [(level, text) for level, text in found["headings"]]
    assert headings and headings[0][0] == 1, headings
    assert [level for level, _text in headings].count(1) == 1, headings
    path: list[str] = []
    seen = set()
    for level, text in headings:
        assert level <= len(path) + 1, headings  # h1 > h2 > h3, none skipped
        del path[level - 1 :]
        assert (tuple(path), text) not in seen, headings
        seen.add((tuple(path), text))
        path.append(text)
    assert not {text for _level, text in headings} & set(found["names"]), found
    return headings


def test_the_agenda_and_an_appointment_on_the_phone(page, live_server, request_log, lawyer, day):
    sign_in(page, live_server, lawyer)
    check(page, request_log)
    assert_clean_outline(page)
    assert page.locator("main article.card").count() == 3
    click(page, "a:has-text('一周')")
    check(page, request_log)
    assert_clean_outline(page)
    page.goto(f"{live_server.url}/lawyer/")
    click(page, "main article.card h2 a >> nth=0")
    check(page, request_log)
    assert [level for level, _text in assert_clean_outline(page)] == [1, 2, 2, 2]
    assert page.inner_text("main").count("私人备注") == 1
    came = page.get_by_role("button", name="已到场", exact=True)
    missed = page.get_by_role("button", name="未到场", exact=True)
    assert came.get_attribute("aria-pressed") == missed.get_attribute("aria-pressed") == "false"

    page.fill("#id_text", "带了合同复印件")
    click(page, "button:has-text('保存备注')")
    assert AppointmentNote.objects.get(appointment=day[0]).text == "带了合同复印件"
    click(page, "button[value=attended]")
    day[0].refresh_from_db()
    assert day[0].status == "attended"
    check(page, request_log)
    # After a reload too: the outcome in words, and which button is the current answer.
    page.reload()
    assert "已到场" in page.inner_text("#outcome-now") or "came" in page.inner_text("#outcome-now")
    assert page.get_by_role("button", name="已到场", exact=True, pressed=True).count() == 1
    assert page.get_by_role("button", name="未到场", exact=True, pressed=False).count() == 1
    assert page.locator("button[aria-pressed=true] .tick").count() == 1  # not colour alone
    # A correction: the other answer.
    click(page, "button[value=no_show]")
    day[0].refresh_from_db()
    assert day[0].status == "no_show"
    page.reload()
    assert page.get_by_role("button", name="未到场", exact=True, pressed=True).count() == 1
    assert page.get_by_role("button", name="已到场", exact=True, pressed=False).count() == 1
    check(page, request_log)
    assert_clean_outline(page)


def test_the_agenda_fits_at_200_percent_zoom(new_page, live_server, lawyer, day):
    page = new_page(**PHONE_AT_200)
    sign_in(page, live_server, lawyer)
    assert_fits(page, 180)
    click(page, "main article.card h2 a >> nth=0")
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
    assert_clean_outline(page)
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
