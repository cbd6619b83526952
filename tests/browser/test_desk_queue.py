"""The walk-in queue in a real browser, on the phone: the desk gives two people numbers
(one without a phone), sends the first to the lawyer on duty by keyboard, marks the other
as gone and, by keyboard, puts them back (who marked it and when shown). Every page is
checked (Chinese, fits 360 px, axe, own host only, weight).
"""

import pytest

from booking.models import Channel, Status, WalkIn, WalkInStatus
from tests.browser.test_booking import click
from tests.browser.test_desk_print import broken
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD, check
from tests.browser.test_sign_in import tab_to
from tests.conftest import NOW


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def register(page, **fields) -> None:
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    click(page, "#register button[type=submit]")


def test_the_desk_runs_the_walk_in_queue_from_the_phone(
    page, live_server, request_log, office, lawyer, desk_user
):
    desk_user.email = "desk@example.invalid"
    desk_user.set_password(PASSWORD)
    desk_user.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/queue/")
    page.click("details.staff summary")
    page.fill("#id_email", desk_user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    check(page, request_log)

    page.check("#id_matter_consent")  # the person agreed to keep the other party
    register(page, phone="139 1234 5678", name="欧阳娜娜" * 3, opposing_party="王五")
    check(page, request_log)
    assert page.inner_text("#number .queue-number") == "001"
    click(page, "#number a")
    check(page, request_log)
    assert page.inner_text("h1 .queue-ticket-big") == "001"
    click(page, "main a.button")

    register(page, name="赵大爷", village="石门村")
    check(page, request_log)
    assert page.inner_text("#number .queue-number") == "002"
    first, second = WalkIn.objects.order_by("number")
    assert second.resident.phone is None and second.resident.village == "石门村"
    assert page.locator("#next h3").inner_text().startswith("001")
    # "Left without being seen" stands apart from the buttons that send to a lawyer.
    send = page.locator(".queue-next button.primary").last.bounding_box()
    gone = page.locator(".queue-next .queue-left button").bounding_box()
    assert gone["y"] - (send["y"] + send["height"]) >= 48, (send, gone)

    # The lawyer on duty takes the first person: by keyboard, from the top of the page.
    tab_to(page, ".queue-next button.primary", limit=40)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(page, request_log)
    first.refresh_from_db()
    assert first.status == WalkInStatus.SEEN and first.appointment.lawyer == lawyer
    assert first.appointment.status == Status.ATTENDED
    assert first.appointment.channel == Channel.WALK_IN
    assert page.locator("#next h3").inner_text().startswith("002")

    # The lawyer is now with someone: no button for them; the second person went away.
    assert page.locator(".queue-next button.primary").count() == 0
    click(page, ".queue-next .queue-left button")
    check(page, request_log)
    second.refresh_from_db()
    assert second.status == WalkInStatus.LEFT and second.left_by == desk_user
    assert page.locator(".queue-done li").count() == 2
    # Said at the top, with who marked it and when, and undone by keyboard (issue 15.8).
    undo = page.inner_text("#undo")
    assert "002" in undo and desk_user.display_name in undo
    assert second.left_at.astimezone(office.tz).strftime("%H:%M") in undo
    assert desk_user.display_name in page.inner_text(".queue-done")
    assert page.evaluate("document.activeElement.id") == "undo"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form').className") == "queue-back"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(page, request_log)
    second.refresh_from_db()
    assert (second.status, second.number, second.left_by) == (WalkInStatus.WAITING, 2, None)
    assert page.locator("#next h3").inner_text().startswith("002")
    assert page.locator("#undo").count() == 0
    assert broken(page, ".nobreak") == []  # names and numbers whole (issue 15.11)

    page.set_viewport_size(PHONE_AT_200["viewport"])
    assert_fits(page, 180)
