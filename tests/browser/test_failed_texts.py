"""A confirmation the provider refuses ("empty number") shows on the desk's day sheet and
the lawyer's appointment page, in words, on the phone.

The confirmation goes through the real Alibaba backend and SDK to the fake provider
(tests/sms/fake_providers.py), which answers ``isv.MOBILE_NUMBER_ILLEGAL`` as Alibaba
does for a number that cannot exist; the real worker (``sms.delivery.deliver``) records
it. The pages are then read in Chromium at 360 px, with axe.
"""

import datetime as dt

import pytest

from booking.models import Mode
from booking.services import book_appointment
from sms.delivery import deliver
from sms.models import Kind, Message, MessageStatus
from sms.selectors import LINE, TEXT_NAMES, Phase, Reason
from tests.browser.test_booking import click
from tests.browser.test_desk_day import sign_in_at_the_desk
from tests.browser.test_lawyer import PASSWORD, check, sign_in
from tests.conftest import NOW, local
from tests.factories import UserFactory
from tests.sms.fake_providers import FakeProvider, alibaba_refused

MONDAY = NOW.date()
MATTER = "邻居家扩建房屋占用了我家的宅基地"
WORDS = LINE % {
    "text": TEXT_NAMES[Kind.CONFIRMATION],
    "phase": Phase.NOT_SENT.label,
    "reason": Reason.NUMBER_INVALID.label,
}


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


@pytest.fixture
def refused(lawyer, office, topic, provider, settings):
    """Booked for 10:30 today; Alibaba refused its confirmation: an empty number."""
    settings.SMS_BACKEND = "sms.backends.alibaba.AlibabaBackend"
    settings.SMS_OPTIONS = {
        "access_key_id": "LTAI5tTestKeyId",
        "access_key_secret": "test-secret",
        "sign_name": "测试镇司法所",
        "endpoint": provider.address,
        "protocol": "HTTP",
    }
    settings.SMS_TEMPLATE_IDS = {"confirmation": "SMS_154950909"}
    appointment = book_appointment(
        resident=UserFactory(display_name="欧阳娜娜" * 3),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(MONDAY, 10, 30),
        mode=Mode.IN_PERSON,
        summary=MATTER,
        matter_consent_at=NOW,
        now=NOW,
    )
    provider.answer(alibaba_refused("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"))
    message = Message.objects.get(appointment=appointment, kind=Kind.CONFIRMATION)
    deliver(message.pk)
    message.refresh_from_db()
    number = appointment.resident.phone.as_e164
    assert provider.last.query["PhoneNumbers"] == number.removeprefix("+86")
    assert (message.status, message.error_code) == (
        MessageStatus.FAILED,
        "isv.MOBILE_NUMBER_ILLEGAL",
    )
    return appointment


def test_the_desk_sees_the_refused_confirmation_on_the_day_sheet(
    page, live_server, request_log, desk_user, refused
):
    sign_in_at_the_desk(page, live_server, desk_user)
    check(page, request_log)

    notice = page.locator(f"#appointment-{refused.pk} .text-states li")
    assert notice.inner_text() == WORDS
    assert notice.get_attribute("class") == "flag"
    assert notice.is_visible()
    assert MATTER not in page.content()


def test_the_lawyer_sees_it_on_the_appointment_page(
    page, live_server, request_log, lawyer, refused, time_machine
):
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=True)
    lawyer.user.set_password(PASSWORD)
    lawyer.user.save()
    sign_in(page, live_server, lawyer)
    click(page, "main article.card h2 a >> nth=0")  # the day: h2 under the h1
    check(page, request_log)

    notice = page.locator(".text-states li")
    assert notice.inner_text() == WORDS
    assert notice.get_attribute("class") == "flag"
    assert notice.is_visible()
