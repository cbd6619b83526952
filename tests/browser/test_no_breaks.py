"""Issue 15.11 beyond the desk: reference codes, phone numbers, times and names never
break inside on the resident's and the lawyer's pages ("2707 / 0837", "周明 / 华").

A resident reads an appointment and "my appointments", a lawyer the agenda and the
appointment, at 360 px and at 200% zoom (180 CSS px). Each such piece (``.nobreak``, and
every reference code and phone link whatever its class) takes one line, unless it is
wider than the whole line it sits in; no page scrolls sideways. The pieces' line boxes
are counted with a ``Range`` (tests/browser/test_desk_print.py's way): a ``.nobreak`` is
an inline block, whose own ``getClientRects()`` is one box however its text wraps.
"""

import datetime as dt

import pytest
from playwright.sync_api import Page

from booking.models import Mode
from booking.services import book_appointment
from tests.browser.test_booking import NUMBER, TYPED, click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD
from tests.browser.test_lawyer import sign_in as sign_in_as_lawyer
from tests.browser.test_sign_in import code_sent_to
from tests.conftest import NOW, local
from tests.factories import UserFactory

PIECES = ".nobreak, .reference, a[href^='tel:']"
# Each piece as laid out: its text, the lines its boxes take (boxes that overlap
# vertically are one line), the width it needs on one line and the width of the line it
# sits in (the content box of the nearest block around it).
LAYOUT = """(els) => els.filter((el) => el.getClientRects().length).map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const boxes = [...range.getClientRects()].filter((r) => r.width && r.height)
        .sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const box of boxes) {
        if (box.top >= bottom - 1) lines += 1;
        bottom = Math.max(bottom, box.bottom);
    }
    let block = el.parentElement;
    while (getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    const style = getComputedStyle(block);
    const line = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const [whiteSpace, maxWidth] = [el.style.whiteSpace, el.style.maxWidth];
    el.style.whiteSpace = "nowrap";
    el.style.maxWidth = "none";
    const needed = el.getBoundingClientRect().width;
    [el.style.whiteSpace, el.style.maxWidth] = [whiteSpace, maxWidth];
    return {text: el.textContent.trim(), lines, needed, line};
})"""


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def broken(page: Page) -> list[dict]:
    """The pieces that take more than one line though one line could hold them."""
    pieces = page.locator(PIECES).evaluate_all(LAYOUT)
    assert pieces, page.url
    return [piece for piece in pieces if piece["lines"] != 1 and piece["needed"] <= piece["line"]]


def whole_on_both_widths(page: Page, *texts: str) -> None:
    """At 360 px and at 200% zoom: ``texts`` are pieces, none broken, no sideways scroll."""
    marked = page.locator(".nobreak").all_inner_texts()
    for text in texts:
        assert any(text in piece for piece in marked), (page.url, text, marked)
    for width, viewport in [(360, {"width": 360, "height": 740}), (180, PHONE_AT_200["viewport"])]:
        page.set_viewport_size(viewport)
        assert broken(page) == [], (page.url, width)
        assert_fits(page, width)
    page.set_viewport_size({"width": 360, "height": 740})


def test_codes_numbers_times_and_names_stay_whole_for_residents_and_lawyers(
    page, new_page, live_server, request_log, lawyer, office, topic
):
    office.name = "青石镇司法所（公共法律服务工作站）"
    office.sms_name = office.sms_place = "青石镇司法所"
    office.save()
    lawyer.user.display_name = "欧阳明华"
    lawyer.user.set_password(PASSWORD)
    lawyer.user.save()
    resident = UserFactory(phone=NUMBER, display_name="欧阳娜娜")
    tomorrow = NOW.date() + dt.timedelta(days=1)
    appointments = [
        book_appointment(
            resident=resident,
            office=office,
            topic=topic,
            lawyer=lawyer,
            starts_at=local(tomorrow, hour),
            mode=Mode.IN_PERSON,
            now=NOW,
        )
        for hour in [9, 10]
    ]
    first = appointments[0]

    page.goto(f"{live_server.url}/accounts/login/?next=/my/")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    whole_on_both_widths(page, first.display_reference, str(lawyer.user), "09:00")
    click(page, f"a[href='/my/{first.reference}/']")
    whole_on_both_widths(page, first.display_reference, str(lawyer.user), office.name, "09:00")

    staff = new_page()
    sign_in_as_lawyer(staff, live_server, lawyer)
    staff.goto(f"{live_server.url}/lawyer/?day={tomorrow.isoformat()}")
    national = resident.phone.as_national
    whole_on_both_widths(staff, "09:00–09:30", "欧阳娜娜", national)
    click(staff, f"a[href='/lawyer/appointments/{first.reference}/']")
    whole_on_both_widths(staff, "欧阳娜娜", first.display_reference, national, "09:00–09:30")
    assert request_log.to_other_hosts() == []
