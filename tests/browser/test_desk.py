"""The desk's follow-up list in a real browser, on the phone: fits, axe, one click texts."""

import datetime as dt

import pytest

from booking.models import Mode
from booking.services import book_appointment
from booking.services.outcomes import request_follow_up
from sms.models import Kind, Message
from tests.browser.test_booking import click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD, check
from tests.conftest import NOW, local
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def test_the_desk_invites_a_resident_back_from_the_phone(
    page, live_server, request_log, lawyer, desk_user
):
    appointment = book_appointment(
        resident=UserFactory(display_name="欧阳娜娜" * 3),
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        lawyer=lawyer,
        starts_at=local(NOW.date(), 10),
        mode=Mode.IN_PERSON,
        now=NOW,
    )
    request_follow_up(
        appointment=appointment,
        lawyer=lawyer,
        invite_by=NOW.date() + dt.timedelta(days=10),
        note_for_office="请带上劳动合同和工资条" * 3,
    )
    desk_user.email = "desk@example.invalid"
    desk_user.set_password(PASSWORD)
    desk_user.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/follow-ups/")
    page.click("details.staff summary")
    page.fill("#id_email", desk_user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    check(page, request_log)
    click(page, "button[value=invite]")
    check(page, request_log)
    assert Message.objects.filter(kind=Kind.FOLLOW_UP).count() == 1
    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)
