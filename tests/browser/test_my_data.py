"""The resident's "my data" page on the phone: everything shown, who opened it, delete."""

import pytest

from booking.access_log import record_access
from booking.models import Mode, Status
from booking.services import book_appointment
from tests.browser.test_booking import NUMBER, TYPED, check, click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_sign_in import code_sent_to
from tests.conftest import NOW, local
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def test_a_resident_reads_their_data_and_deletes_the_account(
    page, live_server, request_log, lawyer
):
    resident = UserFactory(phone=NUMBER, display_name="欧阳娜娜")
    appointment = book_appointment(
        resident=resident,
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        lawyer=lawyer,
        starts_at=local(NOW.date(), 10),
        mode=Mode.IN_PERSON,
        summary="邻居占了我家的宅基地，" * 8,
        matter_consent_at=NOW,
        now=NOW,
    )
    record_access(viewer=lawyer.user, appointments=[appointment], place="appointment",
                  details=["name", "summary"], ip="10.0.0.1")  # fmt: skip
    page.goto(f"{live_server.url}/accounts/login/?next=/my/")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    click(page, "a[href='/my/data/']")
    check(page, request_log)
    assert "邻居占了我家的宅基地" in page.content()
    assert str(lawyer.user) in page.inner_text("main")
    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)
    page.set_viewport_size({"width": 360, "height": 740})

    # Without the tick the browser itself holds the form back (and the server would too).
    assert page.get_attribute("#id_delete-confirm", "required") is not None
    page.check("#id_delete-confirm")
    click(page, "button.danger")
    check(page, request_log)
    resident.refresh_from_db()
    appointment.refresh_from_db()
    assert not resident.is_active and appointment.status == Status.CANCELLED
    assert appointment.summary == ""
