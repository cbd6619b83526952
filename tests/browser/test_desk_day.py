"""The desk's day sheet in a real browser: sign in, check a resident in, print per lawyer.

Printing is tested in Chromium itself: with print media emulated the page shows only the
lawyers' tables, and ``page.pdf()`` (headless Chromium) lays a two-lawyer day out on
two A4 pages, one per lawyer.
"""

import re

import pytest
from playwright.sync_api import Page

from booking.models import Channel, Mode
from booking.services import book_appointment
from tests.browser.test_booking import click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD, check
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, RuleFactory, UserFactory

MONDAY = NOW.date()
A4_POINTS = (595.3, 841.9)  # width × height of an A4 page in PDF points
LONG_NAME = "欧阳娜娜" * 3


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def day(lawyer, office, topic):
    """Two lawyers this morning: long names and needs, one consultation by phone."""
    other = LawyerFactory(offices=[office], topics=[topic], user__display_name="李律师")
    RuleFactory(lawyer=other, office=office, weekday=MONDAY.weekday(), mode=Mode.PHONE)
    appointments = []
    for lawyer_, hour, mode in [(lawyer, 9, Mode.IN_PERSON), (lawyer, 10, Mode.IN_PERSON),
                                (other, 9, Mode.PHONE)]:  # fmt: skip
        appointments.append(
            book_appointment(
                resident=UserFactory(display_name=LONG_NAME, village="石门村第十二村民小组"),
                office=office,
                topic=topic,
                lawyer=lawyer_,
                starts_at=local(MONDAY, hour),
                mode=mode,
                summary="邻居家扩建房屋占用了我家的宅基地",
                matter_consent_at=NOW,
                needs_interpreter=True,
                dialect="湘语（长沙话）",
                accessibility_needs="需要轮椅通道，并请人帮忙念材料" * 2,
                channel=Channel.DESK,
                now=NOW,
            )
        )
    return appointments


def sign_in_at_the_desk(page: Page, live_server, desk_user) -> None:
    desk_user.email = "desk@example.invalid"
    desk_user.set_password(PASSWORD)
    desk_user.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/")
    page.click("details.staff summary")
    page.fill("#id_email", desk_user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    assert page.url.endswith("/desk/")


def test_the_desk_checks_a_resident_in_from_the_phone(
    page, live_server, request_log, desk_user, day
):
    sign_in_at_the_desk(page, live_server, desk_user)
    check(page, request_log)
    assert page.locator("section.day-lawyer").count() == 2
    assert page.locator("button[value=check_in]").count() == 2  # not the phone consultation

    row = page.locator(f"#appointment-{day[0].pk}")
    click(page, f"#appointment-{day[0].pk} button[value=check_in]")

    check(page, request_log)
    assert page.url.endswith(f"/desk/#appointment-{day[0].pk}")
    assert "checked-in" in (row.get_attribute("class") or "")
    assert "已签到" in row.inner_text()
    day[0].refresh_from_db()
    assert day[0].checked_in_at is not None
    click(page, f"#appointment-{day[0].pk} button[value=undo]")
    day[0].refresh_from_db()
    assert day[0].checked_in_at is None
    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)


def test_another_day_and_one_lawyer_on_the_phone(page, live_server, request_log, desk_user, day):
    sign_in_at_the_desk(page, live_server, desk_user)
    click(page, "nav.day-nav a:has-text('后一天')")
    check(page, request_log)
    assert "/desk/day/2026-12-08/" in page.url
    click(page, "nav.day-nav a:has-text('今天')")
    click(page, "section.day-lawyer >> nth=0 >> .day-only a")
    check(page, request_log)
    assert page.locator("section.day-lawyer").count() == 1


def test_the_day_sheet_fits_at_200_percent_zoom(new_page, live_server, desk_user, day):
    page = new_page(**PHONE_AT_200)
    sign_in_at_the_desk(page, live_server, desk_user)
    assert_fits(page, 180)


def test_printed_each_lawyer_has_an_a4_page_with_only_the_table(
    new_page, live_server, desk_user, day
):
    page = new_page(viewport={"width": 1024, "height": 768}, is_mobile=False, has_touch=False)
    sign_in_at_the_desk(page, live_server, desk_user)
    page.emulate_media(media="print")

    def shown(selector: str) -> list[bool]:
        return page.locator(selector).evaluate_all(
            "els => els.map((el) => getComputedStyle(el).display !== 'none')"
        )

    assert shown(".site-header, .site-footer, nav.day-nav, form.day-actions") == [False] * (3 + 2)
    assert shown(".day-print-head") == [True, True]
    assert shown("table.day-table thead") == [True, True]
    breaks = page.locator("section.day-lawyer").evaluate_all(
        "els => els.map((el) => getComputedStyle(el).breakBefore)"
    )
    assert breaks == ["page", "page"]

    pdf = page.pdf(format="A4", print_background=False)

    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) == 2
    sizes = [
        [float(number) for number in box.split()[2:]]
        for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)
    ]
    assert len(sizes) == 2
    for width, height in sizes:  # Chromium rounds the page to whole CSS pixels
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2, sizes
