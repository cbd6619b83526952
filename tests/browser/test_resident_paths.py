"""Where a resident's path departs from the happy one, on the phone, in Chinese.

- Moving a consultation starts from its own lawyer and way of meeting; choosing "any
  lawyer" is the resident's visible choice, and the confirm page marks what changes.
- After a cancel, "my data" says the reminders will not be sent, and why.
- A stale link (a day gone, a lawyer not known, a time passed) explains itself.

Every page of the way: Chinese, no horizontal scroll at 360 px, no serious axe-core
finding, nothing from another host (``check`` of test_booking.py).
"""

import datetime as dt

import pytest
from playwright.sync_api import Page

from booking import link_notices
from booking.dates import format_when
from booking.forms.resident import ANY_LAWYER
from booking.models import Appointment, Mode, Status
from booking.services import book_appointment
from booking.views.resident import mine
from sms import selectors as sms_selectors
from sms.models import Kind
from tests.browser.conftest import PHONE
from tests.browser.test_booking import NUMBER, TYPED, check, click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_sign_in import code_sent_to
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, RuleFactory, UserFactory

TUESDAY = NOW.date() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def zhou(lawyer):
    lawyer.user.display_name = "周明华"
    lawyer.user.save(update_fields=["display_name"])
    return lawyer


@pytest.fixture
def tan(office, topic):
    """Another lawyer of the same area, Tuesday afternoons by phone."""
    colleague = LawyerFactory(offices=[office], topics=[topic], user__display_name="谭丽华")
    RuleFactory(
        lawyer=colleague,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(16),
        mode=Mode.PHONE,
    )
    return colleague


@pytest.fixture
def booked(zhou, office, topic):
    """李四's consultation with 周明华, in person, Tuesday 10:00."""
    return book_appointment(
        resident=UserFactory(phone=NUMBER, display_name="李四"),
        office=office,
        topic=topic,
        lawyer=zhou,
        starts_at=local(TUESDAY, 10),
        mode=Mode.IN_PERSON,
        now=NOW,
    )


def sign_in(page: Page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")


def selected(page: Page, select: str) -> str:
    return page.eval_on_selector(select, "s => s.selectedOptions[0].textContent.trim()")


def test_moving_keeps_the_lawyer_and_the_way_until_the_resident_changes_them(
    page, live_server, request_log, booked, tan
):
    sign_in(page, live_server, f"/my/{booked.reference}/move/")
    assert f"/my/{booked.reference}/move/" in page.url
    check(page, request_log)
    # The filters show what is kept, and say so.
    assert selected(page, "#id_lawyer") == "周明华"
    assert selected(page, "#id_mode") == str(Mode.IN_PERSON.label)
    keeps = mine.MOVE_KEEPS % {"lawyer": "周明华", "mode": mine.MODE_WORDS[Mode.IN_PERSON]}
    assert keeps in page.inner_text("main")
    click(page, "ul.days a:has-text('12月8日')")
    times = page.locator("ul.times a").all_inner_texts()
    assert times and not any("14:00" in each for each in times)  # 谭丽华's phone times

    # A later time with the same lawyer: only the time is marked as changing.
    click(page, "ul.times a:has-text('11:00')")
    check(page, request_log)
    assert page.locator("[data-testid=change-time]").is_visible()
    assert page.locator("[data-testid=change-lawyer], [data-testid=change-mode]").count() == 0

    # The resident chooses any lawyer and either way, and picks a phone time.
    click(page, "main a:has-text('选择其他时间')")
    page.select_option("#id_lawyer", "")
    page.select_option("#id_mode", "")
    click(page, "form.filters button")
    check(page, request_log)
    assert selected(page, "#id_lawyer") == str(ANY_LAWYER)
    click(page, "ul.days a:has-text('12月8日')")
    click(page, "ul.times a:has-text('14:00')")
    check(page, request_log)
    lawyer_change = page.locator("[data-testid=change-lawyer]")
    assert "周明华" in lawyer_change.inner_text() and "谭丽华" in lawyer_change.inner_text()
    assert page.locator("[data-testid=change-mode]").is_visible()
    main = page.inner_text("main")
    assert mine.MOVE_OTHER_LAWYER % {"old": "周明华", "new": "谭丽华"} in main
    assert str(mine.MOVE_TO_PHONE) in main
    page.set_viewport_size(PHONE_AT_200["viewport"])  # the marks still fit at 200 % zoom
    assert_fits(page, 180)
    page.set_viewport_size(PHONE["viewport"])

    click(page, "main form button.primary")
    check(page, request_log)
    moved = Appointment.objects.get(pk=booked.pk)
    assert (moved.lawyer, moved.mode, moved.starts_at) == (tan, Mode.PHONE, local(TUESDAY, 14))


def test_my_data_after_a_cancel_says_the_reminders_will_not_be_sent(
    page, live_server, request_log, booked
):
    sign_in(page, live_server, f"/my/{booked.reference}/cancel/")
    click(page, "button.danger")
    assert Appointment.objects.get(pk=booked.pk).status == Status.CANCELLED
    page.goto(f"{live_server.url}/my/data/")
    check(page, request_log)
    states = page.locator("[data-testid=text-state]").all_inner_texts()
    not_sent = sms_selectors.LINE % {
        "text": sms_selectors.TEXT_NAMES[Kind.REMINDER],
        "phase": sms_selectors.Phase.NOT_SENT.label,
        "reason": sms_selectors.Reason.CANCELLED.label,
    }
    assert states.count(not_sent) == 2, states  # the 24-hour and the 2-hour reminders
    assert "排队中" not in page.inner_text("main")


def test_a_stale_link_explains_itself(page, live_server, request_log, zhou, office, topic):
    """An old link with a day gone and a lawyer not known; then a time that has passed."""
    slots = f"{live_server.url}/book/{office.slug}/{topic.code}/"
    page.goto(f"{slots}?day=2026-11-30&lawyer=99999")
    check(page, request_log)
    notices = page.locator("[role=status] .message").all_inner_texts()
    monday = format_when(NOW.date(), "day")
    assert notices == [
        str(link_notices.LAWYER_UNKNOWN),
        link_notices.DAY_PASSED
        % {"day": format_when(dt.date(2026, 11, 30), "day"), "shown": monday},
    ]
    assert page.locator("ul.days a[aria-current=date]").inner_text().startswith("12月7日")

    # A time that has passed, from a link kept since: it says so, not "taken".
    page.goto(f"{slots}details/?start=2026-12-07T07:30&mode=in_person")
    sign_in_number = page.locator("#id_phone")
    sign_in_number.fill(TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    check(page, request_log)
    assert page.inner_text("[role=alert]") == str(link_notices.TIME_PASSED)
    click(page, "ul.times a >> nth=0")
    # The nearest free time: 09:30, the notice of an hour being counted from now (08:00…).
    assert "/details/" in page.url and "09:30" in page.inner_text(".summary")
