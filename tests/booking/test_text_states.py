"""The office sees what did not arrive, and pages that promise a text say when it goes.

Texts are sent by the real worker (``sms.delivery.deliver``) through a backend whose
answers the test scripts (tests/sms/scripted_backend.py), or through the real Alibaba
backend against the fake provider; delivery reports go through the reports service. The
pages are read through HTTP: the desk's day sheet, the lawyer's appointment page, the
outbox in the admin, and the pages that say a text is on its way.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai); offices keep quiet hours
from 21:00 to 08:00. Expected words are built from the constants the pages use.
"""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from booking.models import Channel, Mode
from booking.services import cancel_appointment, reschedule_appointment
from booking.views.desk.book import TEXTED, TEXTED_LATER
from booking.views.lawyer.agenda import FOLLOW_UP_BOOKED, FOLLOW_UP_BOOKED_LATER
from booking.views.lawyer.availability import cancelled_message
from booking.views.resident.book import BOOKED, BOOKED_LATER
from booking.views.resident.mine import CANCELLED, CANCELLED_LATER, MOVED_LATER
from sms.backends import PermanentError, TemporaryError
from sms.delivery import deliver, deliver_due
from sms.models import Kind, Message, MessageStatus, mask_number
from sms.reports import parse_alibaba, parse_tencent, record_delivery_reports
from sms.selectors import (
    AFTER,
    GOES,
    LINE,
    LINE_WITHOUT_REASON,
    STATE,
    TEXT_NAMES,
    TOMORROW_AFTER,
    TRIES_AGAIN,
    Phase,
    Reason,
)
from sms.services import queue_message
from tests.booking.test_availability import answer, time_off_data
from tests.booking.test_resident_pages import book_through_pages
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    UserFactory,
)
from tests.sms import scripted_backend
from tests.sms.fake_providers import FakeProvider, alibaba_refused

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
LATE = local(MONDAY, 22, 44)  # in the office's quiet hours (21:00–08:00)
SCRIPTED = "tests.sms.scripted_backend.ScriptedBackend"
MATTER = "邻居占了我家的宅基地，不该让窗口看到"
OTHER_PARTY = "欧阳对方"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture(autouse=True)
def _scripted_backend(settings):
    settings.SMS_BACKEND = SCRIPTED
    settings.SMS_OPTIONS = {}
    scripted_backend.script.clear()
    yield
    scripted_backend.script.clear()


def text_of(appointment, kind=Kind.CONFIRMATION) -> Message:
    return Message.objects.filter(appointment=appointment, kind=kind).latest("pk")


def send(message: Message, outcome=None) -> Message:
    """The worker sends ``message``; the provider answers ``outcome`` (an error) or accepts."""
    scripted_backend.script[:] = [outcome]
    deliver(message.pk)
    message.refresh_from_db()
    return message


def line(kind, phase, reason=None, *, when=None, again=False) -> str:
    """A notice as the pages write it, HTML-escaped."""
    if reason is None:
        words = LINE_WITHOUT_REASON % {"text": TEXT_NAMES[kind], "phase": phase.label}
    else:
        said = reason.label
        if when is not None:
            said = (TRIES_AGAIN if again else GOES) % {"reason": reason.label, "when": when}
        words = LINE % {"text": TEXT_NAMES[kind], "phase": phase.label, "reason": said}
    return escape(words)


def notices(html: str) -> list[str]:
    """The texts' lines of a page, as the pages write them."""
    lists = re.findall(r'<ul class="plain text-states">(.*?)</ul>', html, re.S)
    return [item.strip() for part in lists for item in re.findall(r"<li[^>]*>(.*?)</li>", part)]


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


def sheet(client, day=TUESDAY) -> str:
    response = client.get(f"/desk/day/{day.isoformat()}/")
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def lawyer_page(client, appointment) -> str:
    client.force_login(appointment.lawyer.user)
    url = reverse("booking:lawyer_appointment", kwargs={"reference": appointment.reference})
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


# The worker keeps the provider's code -----------------------------------------------------


def test_the_worker_keeps_the_code_of_a_send_the_real_provider_refused(lawyer, settings):
    provider = FakeProvider()
    try:
        settings.SMS_BACKEND = "sms.backends.alibaba.AlibabaBackend"
        settings.SMS_OPTIONS = {
            "access_key_id": "LTAI5tTestKeyId",
            "access_key_secret": "test-secret",
            "sign_name": "测试镇司法所",
            "endpoint": provider.address,
            "protocol": "HTTP",
        }
        settings.SMS_TEMPLATE_IDS = {"confirmation": "SMS_154950909"}
        provider.answer(alibaba_refused("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"))
        message = text_of(AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW))

        deliver(message.pk)
    finally:
        provider.close()

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert message.error.startswith("isv.MOBILE_NUMBER_ILLEGAL")


# Every reason, on the day sheet --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", Reason.NUMBER_INVALID),  # Alibaba
        ("InvalidParameterValue.IncorrectPhoneNumber", Reason.NUMBER_INVALID),  # Tencent
        ("21211", Reason.NUMBER_INVALID),  # Twilio
        ("21614", Reason.NOT_MOBILE),
        ("isv.BLACK_KEY_CONTROL_LIMIT", Reason.BLOCKED),
        ("FailedOperation.PhoneNumberInBlacklist", Reason.BLOCKED),
        ("does_not_fit", Reason.DOES_NOT_FIT),
        ("template_id_missing", Reason.PROVIDER),
        ("InternalError.OtherError", Reason.PROVIDER),
        ("isv.SOMETHING_NEW", Reason.UNKNOWN),
    ],
)
def test_a_send_the_provider_refused_shows_why_in_words(at_desk, lawyer, code, reason):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    send(text_of(appointment), PermanentError(code, "the provider's text"))

    html = sheet(at_desk)

    assert notices(html) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, reason)]
    row = html.split(f'id="appointment-{appointment.pk}"')[1].split("</tr>")[0]
    assert 'class="flag"' in row  # someone should phone the resident
    assert code not in html  # words, not the provider's code


@pytest.mark.parametrize(
    ("parse", "report", "reason"),
    [
        (parse_tencent, {"errmsg": "UNDELIV", "description": "用户关机或不在服务区"},
         Reason.UNREACHABLE),
        (parse_tencent, {"errmsg": "MK:0001", "description": "空号"}, Reason.NUMBER_INVALID),
        (parse_tencent, {"errmsg": "REJECTD", "description": "运营商拦截"}, Reason.BLOCKED),
        (parse_tencent, {"errmsg": "EXPIRED", "description": ""}, Reason.UNREACHABLE),
        (parse_alibaba, {"err_code": "MN:0099", "err_msg": ""}, Reason.UNREACHABLE),
        (parse_alibaba, {"err_code": "XY:1234", "err_msg": "空号"}, Reason.NUMBER_INVALID),
        (parse_alibaba, {"err_code": "DB:0142", "err_msg": "超过日最大发送数量"}, Reason.LIMIT),
        (parse_alibaba, {"err_code": "XY:0000", "err_msg": ""}, Reason.UNKNOWN),
    ],
)  # fmt: skip
def test_a_text_the_carrier_did_not_deliver_shows_why_in_words(
    at_desk, lawyer, parse, report, reason
):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    message = send(text_of(appointment))
    if parse is parse_tencent:
        payload = [{"sid": message.provider_message_id, "report_status": "FAIL", **report}]
    else:
        payload = [{"biz_id": message.provider_message_id, "success": False, **report}]
    record_delivery_reports(reports=parse(payload), backend=message.backend)

    assert notices(sheet(at_desk)) == [line(Kind.CONFIRMATION, Phase.NOT_DELIVERED, reason)]


def test_a_provider_limit_retries_and_then_gives_up_saying_why(at_desk, lawyer, settings):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    message = send(text_of(appointment), TemporaryError("isv.BUSINESS_LIMIT_CONTROL", "流控"))
    assert message.status == MessageStatus.QUEUED
    retry_at = AFTER % {"time": f"{message.not_before.astimezone(appointment.office.tz):%H:%M}"}

    assert notices(sheet(at_desk)) == [
        line(Kind.CONFIRMATION, Phase.WAITING, Reason.LIMIT, when=retry_at, again=True)
    ]

    settings.SMS_MAX_ATTEMPTS = 2
    Message.objects.filter(pk=message.pk).update(not_before=NOW)
    send(message, TemporaryError("isv.BUSINESS_LIMIT_CONTROL", "流控"))
    assert notices(sheet(at_desk)) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.LIMIT)]


def test_a_text_whose_answer_is_awaited_is_still_on_its_way(at_desk, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    message = send(text_of(appointment), TemporaryError("timeout", "no answer within 10s"))
    assert message.status == MessageStatus.SENDING

    html = sheet(at_desk)

    assert notices(html) == [line(Kind.CONFIRMATION, Phase.ON_ITS_WAY)]
    assert 'class="flag"' not in html


def test_a_booking_at_22_44_shows_the_confirmation_waiting_for_08_00(
    client, desk_user, lawyer, clock
):
    clock.move_to(LATE, tick=False)
    AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=LATE)
    client.force_login(desk_user)

    tomorrow_8 = TOMORROW_AFTER % {"time": "08:00"}
    assert notices(sheet(client)) == [
        line(Kind.CONFIRMATION, Phase.WAITING, Reason.QUIET_HOURS, when=tomorrow_8)
    ]


def test_texts_of_a_cancelled_appointment_say_it_was_cancelled(client, desk_user, lawyer, clock):
    clock.move_to(LATE, tick=False)
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=LATE)
    cancel_appointment(appointment=appointment, by=appointment.resident, now=LATE)
    clock.move_to(local(TUESDAY, 8), tick=False)
    deliver_due()  # the confirmation is skipped, the cancellation sent
    client.force_login(desk_user)

    html = sheet(client)

    cancelled_part = html.split('id="day-cancelled"')[1]
    assert notices(cancelled_part) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.CANCELLED)]
    assert 'class="flag"' not in cancelled_part  # no news: the cancellation went


def test_texts_of_a_moved_appointment_say_it_was_moved(client, desk_user, lawyer, clock):
    clock.move_to(LATE, tick=False)
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=LATE)
    reschedule_appointment(
        appointment=appointment,
        starts_at=local(TUESDAY, 11),
        mode=Mode.IN_PERSON,
        lawyer=lawyer,
        by=appointment.resident,
        now=LATE,
    )
    clock.move_to(local(TUESDAY, 8), tick=False)
    deliver_due()
    client.force_login(desk_user)

    assert notices(sheet(client)) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.MOVED)]


def test_a_confirmation_too_late_for_the_appointment_is_flagged(client, desk_user, lawyer, clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 10), now=NOW)
    clock.move_to(local(MONDAY, 10, 5), tick=False)
    send(text_of(appointment))  # the worker came to it only after the start
    client.force_login(desk_user)

    html = sheet(client, MONDAY)

    assert notices(html) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.STARTED)]
    assert 'class="flag"' in html


def test_texts_sent_and_reminders_to_come_are_not_news(at_desk, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    send(text_of(appointment))
    assert Message.objects.filter(kind=Kind.REMINDER, status=MessageStatus.QUEUED).count() == 2

    assert notices(sheet(at_desk)) == []


def test_a_failed_reminder_and_cancellation_are_shown_too(client, desk_user, lawyer, clock):
    kept = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    gone = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 11), now=NOW)
    send(text_of(kept))
    clock.move_to(local(MONDAY, 10), tick=False)
    reminder = Message.objects.filter(appointment=kept, idempotency_key__startswith="reminder-24h")
    send(reminder.get(), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))
    cancel_appointment(appointment=gone, by=gone.resident, now=local(MONDAY, 10))
    send(text_of(gone, Kind.CANCELLATION), PermanentError("30003"))
    client.force_login(desk_user)

    html = sheet(client)

    assert line(Kind.REMINDER, Phase.NOT_SENT, Reason.NUMBER_INVALID) in notices(html)
    assert line(Kind.CANCELLATION, Phase.NOT_SENT, Reason.UNREACHABLE) in notices(
        html.split('id="day-cancelled"')[1]
    )


def test_the_lines_hold_nothing_of_the_matter(at_desk, lawyer, topic):
    appointment = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(TUESDAY, 10),
        summary=MATTER,
        opposing_party=OTHER_PARTY,
        matter_consent_at=NOW,
        now=NOW,
    )
    send(text_of(appointment), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))

    html = sheet(at_desk)

    [notice] = notices(html)
    assert MATTER not in html and OTHER_PARTY not in html
    assert topic.name not in notice and appointment.display_reference not in notice


def test_the_lawyer_sees_the_failed_text_on_the_appointment_page(client, lawyer):
    appointment = AppointmentFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 10), summary=MATTER, matter_consent_at=NOW, now=NOW
    )
    send(text_of(appointment), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))

    html = lawyer_page(client, appointment)

    assert notices(html) == [line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.NUMBER_INVALID)]
    assert 'class="flag"' in html


# Query counts ---------------------------------------------------------------------------


def test_the_day_sheet_costs_the_same_however_many_texts_failed(
    at_desk, office, topic, lawyer, django_assert_max_num_queries
):
    send(
        text_of(AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 9), now=NOW)),
        PermanentError("isv.MOBILE_NUMBER_ILLEGAL"),
    )
    with django_assert_max_num_queries(7) as few:
        sheet(at_desk)
    for index in range(3):
        other = LawyerFactory(offices=[office], topics=[topic], user__display_name=f"律师{index}")
        RuleFactory(lawyer=other, office=office, weekday=TUESDAY.weekday())
        for hour in (9, 10, 11):
            appointment = AppointmentFactory(lawyer=other, starts_at=local(TUESDAY, hour), now=NOW)
            send(text_of(appointment), PermanentError("21211"))
        cancel_appointment(appointment=appointment, by=appointment.resident, now=NOW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = sheet(at_desk)
    # Each cancelled one's cancellation text is on its way too.
    assert len(notices(html)) == 10 + 3


def test_the_lawyers_appointment_page_costs_the_same_however_many_texts(
    client, lawyer, django_assert_max_num_queries
):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    lawyer_page(client, appointment)
    with django_assert_max_num_queries(99) as few:
        lawyer_page(client, appointment)
    send(text_of(appointment), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))
    for hour in (11, 9, 10):
        reschedule_appointment(
            appointment=appointment,
            starts_at=local(TUESDAY, hour),
            mode=Mode.IN_PERSON,
            lawyer=lawyer,
            by=appointment.resident,
            now=NOW,
        )
        send(text_of(appointment, Kind.RESCHEDULE), PermanentError("30003"))
    assert Message.objects.filter(appointment=appointment).count() > 8
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = lawyer_page(client, appointment)
    assert notices(html) == [  # the latest new-time text only
        line(Kind.CONFIRMATION, Phase.NOT_SENT, Reason.NUMBER_INVALID),
        line(Kind.RESCHEDULE, Phase.NOT_SENT, Reason.UNREACHABLE),
    ]


# The office admin's list of today's failed texts -------------------------------------------


def office_admin(client, office):
    user = UserFactory(
        role=Role.OFFICE_ADMIN, office=office, phone=None, phone_verified=False, is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(user)
    return user


def summary_text(office, admin_phone: str) -> Message:
    return queue_message(
        kind=Kind.SUMMARY,
        template="summary",
        recipient=admin_phone,
        params={},
        language="zh-hans",
        idempotency_key=f"summary:{office.pk}:{MONDAY.isoformat()}:1800:1",
        not_before=NOW,
    )


def test_the_office_admin_lists_todays_failed_texts_of_the_office_in_words(
    client, office, lawyer, topic, clock
):
    clock.move_to(NOW - dt.timedelta(days=1), tick=False)
    yesterday = AppointmentFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW - dt.timedelta(days=1)
    )
    send(text_of(yesterday), PermanentError("30003"))
    clock.move_to(NOW, tick=False)
    failed = AppointmentFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 11), summary=MATTER, matter_consent_at=NOW, now=NOW
    )
    send(text_of(failed), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))
    sent = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 9), now=NOW)
    send(text_of(sent))
    other_office = OfficeFactory()
    other_lawyer = LawyerFactory(offices=[other_office], topics=[topic])
    RuleFactory(lawyer=other_lawyer, office=other_office, weekday=TUESDAY.weekday())
    send(
        text_of(AppointmentFactory(lawyer=other_lawyer, starts_at=local(TUESDAY, 10), now=NOW)),
        PermanentError("21211"),
    )
    own_summary = send(summary_text(office, "+8613900000001"), PermanentError("21614"))
    send(summary_text(other_office, "+8613900000002"), PermanentError("21614"))
    office_admin(client, office)

    response = client.get("/admin/sms/message/?failed=today", secure=True)

    assert response.status_code == HTTPStatus.OK
    listed = {message.pk for message in response.context["cl"].result_list}
    assert listed == {text_of(failed).pk, own_summary.pk}
    body = response.content.decode()
    number_invalid = STATE % {"phase": Phase.NOT_SENT.label, "reason": Reason.NUMBER_INVALID.label}
    assert escape(number_invalid) in body
    assert str(failed.resident.phone) in body  # the office admin may call back
    assert MATTER not in body
    assert failed.display_reference not in body  # parameters are never shown


def test_others_see_the_reasons_with_numbers_masked(client, office, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    send(text_of(appointment), PermanentError("isv.MOBILE_NUMBER_ILLEGAL"))
    user = UserFactory(role=Role.RESIDENT, office=None, is_staff=True, is_superuser=True)
    client.force_login(user)

    body = client.get("/admin/sms/message/?failed=today", secure=True).content.decode()

    number = appointment.resident.phone.as_e164
    assert mask_number(number) in body and number.removeprefix("+86") not in body
    reason = STATE % {"phase": Phase.NOT_SENT.label, "reason": Reason.NUMBER_INVALID.label}
    assert escape(reason) in body


def test_the_admin_says_what_became_of_reminders_too(client, office, lawyer, clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    send(text_of(appointment))
    resident = appointment.resident
    resident.sms_reminders = False
    resident.save(update_fields=["sms_reminders"])
    clock.move_to(local(MONDAY, 10), tick=False)
    deliver_due()  # the 24-hour reminder finds reminders switched off
    office_admin(client, office)

    body = client.get("/admin/sms/message/", secure=True).content.decode()

    skipped = STATE % {"phase": Phase.NOT_SENT.label, "reason": Reason.OPTED_OUT.label}
    goes = GOES % {"reason": Reason.SCHEDULED.label, "when": TOMORROW_AFTER % {"time": "08:00"}}
    waiting = STATE % {"phase": Phase.WAITING.label, "reason": goes}
    assert escape(skipped) in body and escape(waiting) in body
    client.force_login(UserFactory(role=Role.DESK, office=office, phone=None, phone_verified=False))
    assert notices(sheet(client)) == []  # neither is news for the desk


def test_a_staff_member_without_an_office_sees_no_texts(client, office, lawyer):
    send(
        text_of(AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)),
        PermanentError("isv.MOBILE_NUMBER_ILLEGAL"),
    )
    user = UserFactory(
        role=Role.LAWYER, office=None, phone=None, phone_verified=False, is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(user)

    response = client.get("/admin/sms/message/", secure=True)

    assert list(response.context["cl"].result_list) == []


# Pages that promise a text say when it goes -------------------------------------------------

TOMORROW_8 = TOMORROW_AFTER % {"time": "08:00"}


def flashed(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_a_booking_at_22_44_says_the_confirmation_goes_after_08_00(
    client, office, topic, lawyer, resident, clock
):
    clock.move_to(LATE, tick=False)
    client.force_login(resident)

    response = book_through_pages(client, office, topic, local(TUESDAY, 10))

    page = client.get(response.url).content.decode()
    number = mask_number(resident.phone.as_e164)
    assert escape(BOOKED_LATER % {"number": number, "when": TOMORROW_8}) in page
    assert "08:00" in TOMORROW_8


def test_a_booking_by_day_says_the_confirmation_is_on_its_way(
    client, office, topic, lawyer, resident
):
    client.force_login(resident)

    response = book_through_pages(client, office, topic, local(TUESDAY, 10))

    page = client.get(response.url).content.decode()
    assert escape(BOOKED % {"number": mask_number(resident.phone.as_e164)}) in page


def test_quiet_hours_at_noon_say_the_text_goes_after_they_end_today(
    client, office, topic, lawyer, resident, clock
):
    office.quiet_hours_start, office.quiet_hours_end = dt.time(12), dt.time(14)
    office.save(update_fields=["quiet_hours_start", "quiet_hours_end"])
    clock.move_to(local(MONDAY, 12, 30), tick=False)
    client.force_login(resident)

    response = book_through_pages(client, office, topic, local(TUESDAY, 10))

    page = client.get(response.url).content.decode()
    number = mask_number(resident.phone.as_e164)
    assert escape(BOOKED_LATER % {"number": number, "when": AFTER % {"time": "14:00"}}) in page


def test_cancelling_and_moving_at_22_44_say_when_the_text_goes(client, lawyer, clock):
    first, second = (
        AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW),
        AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 11), now=NOW),
    )
    clock.move_to(LATE, tick=False)
    client.force_login(first.resident)
    cancel_url = reverse("booking:cancel", kwargs={"reference": first.reference})

    response = client.post(cancel_url, follow=True)

    params = {"reference": first.display_reference, "when": TOMORROW_8}
    assert escape(CANCELLED_LATER % params) in response.content.decode()
    client.force_login(second.resident)
    move_url = reverse("booking:reschedule_confirm", kwargs={"reference": second.reference})
    response = client.post(
        move_url, {"start": "2026-12-08T09:00", "mode": "in_person"}, follow=True
    )
    assert escape(MOVED_LATER % {"when": TOMORROW_8}) in response.content.decode()


def test_cancelling_by_day_says_the_text_confirms_it(client, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    client.force_login(appointment.resident)
    url = reverse("booking:cancel", kwargs={"reference": appointment.reference})

    response = client.post(url, follow=True)

    params = {"reference": appointment.display_reference}
    assert escape(CANCELLED % params) in response.content.decode()


def test_the_desk_done_page_at_22_44_says_when_the_confirmation_goes(
    client, desk_user, lawyer, clock
):
    clock.move_to(LATE, tick=False)
    late = AppointmentFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 10), channel=Channel.DESK, now=LATE
    )
    client.force_login(desk_user)

    page = client.get(reverse("booking:desk_book_done", kwargs={"reference": late.reference}))

    number = mask_number(late.resident.phone.as_e164)
    assert escape(TEXTED_LATER % {"number": number, "when": TOMORROW_8}) in page.content.decode()
    clock.move_to(local(TUESDAY, 8, 1), tick=False)
    client.force_login(desk_user)
    page = client.get(reverse("booking:desk_book_done", kwargs={"reference": late.reference}))
    assert escape(TEXTED % {"number": number}) in page.content.decode()


def test_a_follow_up_booked_at_22_44_says_when_the_resident_is_told(client, lawyer, clock):
    first = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    clock.move_to(LATE, tick=False)
    client.force_login(lawyer.user)
    url = reverse("booking:follow_up_confirm", kwargs={"reference": first.reference})
    chosen = {"start": "2026-12-08T11:00", "mode": "in_person", "lawyer": lawyer.pk}

    preview = client.get(url, chosen).content.decode()
    response = client.post(url, chosen, follow=True)

    assert TOMORROW_8 in preview
    assert flashed(response) == FOLLOW_UP_BOOKED_LATER % {"when": TOMORROW_8}


def test_a_follow_up_booked_by_day_says_the_resident_gets_a_text(client, lawyer, clock):
    first = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    clock.move_to(local(MONDAY, 10), tick=False)
    client.force_login(lawyer.user)
    url = reverse("booking:follow_up_confirm", kwargs={"reference": first.reference})
    chosen = {"start": "2026-12-08T11:00", "mode": "in_person", "lawyer": lawyer.pk}

    response = client.post(url, chosen, follow=True)

    assert flashed(response) == str(FOLLOW_UP_BOOKED)


def test_cancelling_stranded_bookings_at_22_44_says_when_the_texts_go(client, lawyer, clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)
    clock.move_to(LATE, tick=False)
    client.force_login(lawyer.user)
    page = client.post(reverse("booking:time_off_add"), time_off_data())

    response = client.post(
        reverse("booking:time_off_add"), answer(page, {appointment.pk: "cancel"}), follow=True
    )

    assert escape(cancelled_message(1, when=TOMORROW_8)) in response.content.decode()
    assert cancelled_message(1, when=TOMORROW_8) != cancelled_message(1)
