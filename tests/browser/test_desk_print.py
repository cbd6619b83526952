"""What the desk prints, printed by Chromium itself: the slip and the walk-in's ticket on
one sheet of A6, A5 or an 80 mm receipt roll, in Chinese and English, with a long office
name and address; the day sheet with no reference code, phone number, time or name
broken across two lines, printed on A4 and on a 360 px phone.

``page.pdf()`` lays the page out for the paper given, as the print dialog does, and the
pages of the PDF are counted. Line breaks are counted in the browser: the text of each
element that must not break has its line boxes measured (a ``Range``'s client rects,
grouped by line), at print media on a page as wide as A4's printable area and on the
phone. Known limit: the machine's fonts (no CJK font on a bare Debian) set the widths,
close to but not the same as a phone's or a printer driver's.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page

from booking.models import Mode
from tests.browser.test_desk_day import LONG_NAME, day, sign_in_at_the_desk  # noqa: F401
from tests.browser.test_home import assert_fits
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, LawyerFactory, RuleFactory, WalkInFactory

TUESDAY = NOW.date() + dt.timedelta(days=1)
LONG_OFFICE = "湖南省某某县某某镇司法所（人民调解委员会、公共法律服务工作站）"
LONG_ADDRESS = "湖南省某某县某某镇人民路与建设路交汇处东北角便民服务中心二楼 201 室"
# Paper as the print dialog offers it: A6 and A5 sheets, and an 80 mm receipt roll cut
# at the length of an A6 sheet (a roll has no length of its own; this is the strictest
# that a driver's "80 mm" paper sizes come to).
PAPER = {
    "A6": {"width": "105mm", "height": "148mm"},
    "A5": {"width": "148mm", "height": "210mm"},
    "80 mm roll": {"width": "80mm", "height": "148mm"},
}
DESKTOP = {"viewport": {"width": 1024, "height": 768}, "is_mobile": False, "has_touch": False}


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.fixture
def slip_appointment(office, topic):
    """An appointment in person whose slip is as long as slips get: the office's long
    name and address (set after booking: too long for its text messages), a long name of
    the lawyer."""
    lawyer = LawyerFactory(offices=[office], topics=[topic], user__display_name=LONG_NAME)
    RuleFactory(lawyer=lawyer, office=office, weekday=TUESDAY.weekday())
    appointment = AppointmentFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 10), mode=Mode.IN_PERSON, now=NOW
    )
    office.name, office.address = LONG_OFFICE, LONG_ADDRESS
    office.save()
    return appointment


# The smallest type printed on the slip, in CSS pixels (1pt = 4/3 px).
SMALLEST_TYPE = """() => Math.min(...[...document.querySelectorAll("main.slip *")]
    .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .map((el) => parseFloat(getComputedStyle(el).fontSize)))"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_slip_and_the_ticket_print_on_one_sheet_of_a6_a5_or_an_80_mm_roll(
    new_page, live_server, desk_user, slip_appointment, language
):
    page = new_page(**DESKTOP, locale="zh-CN" if language == "zh-hans" else "en-GB")
    sign_in_at_the_desk(page, live_server, desk_user)
    page.goto(f"{live_server.url}/desk/slip/{slip_appointment.reference}/")
    assert page.get_attribute("html", "lang") == language
    counts = {name: pages_of(page.pdf(**paper)) for name, paper in PAPER.items()}
    slip = page.url
    ticket = WalkInFactory(office=slip_appointment.office, arrived_at=NOW)
    page.goto(f"{live_server.url}/desk/queue/{ticket.pk}/ticket/")
    for name, paper in PAPER.items():
        counts[f"ticket on {name}"] = pages_of(page.pdf(**paper))
    assert counts == dict.fromkeys(counts, 1)

    # Readable on the narrowest paper: no text below 9pt (12 CSS px).
    page.goto(slip)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 302, "height": 559})  # the 80 mm roll
    assert page.evaluate(SMALLEST_TYPE) >= 12


# The text of each element as laid out: the number of lines its boxes take (boxes that
# overlap vertically are one line, whatever their fonts).
LINES = """(els) => els.map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const boxes = [...range.getClientRects()].filter((r) => r.width && r.height)
        .sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const box of boxes) {
        if (box.top >= bottom - 1) lines += 1;
        bottom = Math.max(bottom, box.bottom);
    }
    return [el.textContent.trim(), lines];
})"""
# What must never break on the day sheet: times (a time range may wrap between its two
# times), names, phone numbers, reference codes.
UNBROKEN = ", ".join(
    [".day-time .nobreak", ".day-who strong", ".day-phone a", ".day-reference", "h2 .nobreak"]
)


def broken(page: Page, selector: str = UNBROKEN) -> list:
    """The texts of ``selector`` that take more than one line, with their line counts."""
    lines = page.locator(selector).evaluate_all(LINES)
    return [(text, count) for text, count in lines if count != 1]


@pytest.mark.usefixtures("day")
def test_no_code_phone_time_or_name_breaks_on_the_day_sheet_printed_or_on_the_phone(
    new_page, live_server, desk_user
):
    # Printed: A4's width less the sheet's margins (12 mm each side), in print media.
    printed = new_page(viewport={"width": 703, "height": 1000}, is_mobile=False, has_touch=False)
    sign_in_at_the_desk(printed, live_server, desk_user)
    printed.emulate_media(media="print")
    assert printed.locator(UNBROKEN).count() == 3 * 5 + 2
    assert broken(printed) == []
    # The table fits the page's width: the columns share it by what they hold.
    rights = printed.locator("table.day-table").evaluate_all(
        "els => els.map((el) => el.getBoundingClientRect().right)"
    )
    assert max(rights) <= 703, rights

    phone = new_page()
    sign_in_at_the_desk(phone, live_server, desk_user)
    assert broken(phone) == []
    assert_fits(phone, 360)
