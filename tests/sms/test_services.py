"""What the booking changes write to the outbox, and when it may go out."""

import datetime as dt

import pytest
from django.core.cache import cache

from booking import errors, services
from booking.models import Mode
from sms.code_limits import DAILY_CAP_REACHED, TOMORROW_AT, TOO_MANY_CODES_FROM_HERE
from sms.messages import build_sms
from sms.models import Kind, Message, MessageStatus
from sms.services import SmsLimitReached, send_login_code
from tests.conftest import NOW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEDNESDAY = dt.date(2026, 12, 9)


def book(resident, lawyer, office, topic, start, now=NOW, **extra):
    return services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer, starts_at=start,
        mode=Mode.IN_PERSON, now=now, **extra,
    )  # fmt: skip


def outbox(**filters):
    return {
        (m.kind, m.not_before): m for m in Message.objects.filter(**filters).order_by("not_before")
    }


def test_booking_writes_a_confirmation_and_two_reminders(resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    assert set(outbox()) == {
        (Kind.CONFIRMATION, NOW),
        (Kind.REMINDER, local(WEDNESDAY, 10) - dt.timedelta(hours=24)),
        (Kind.REMINDER, local(WEDNESDAY, 8)),
    }
    keys = set(Message.objects.values_list("idempotency_key", flat=True))
    assert keys == {
        f"confirmation:{appointment.pk}:0",
        f"reminder-24h:{appointment.pk}:0",
        f"reminder-2h:{appointment.pk}:0",
    }
    confirmation = Message.objects.get(kind=Kind.CONFIRMATION)
    assert confirmation.recipient == str(resident.phone)
    # Digits only (an "other number" variable takes no space); the office's short place.
    assert confirmation.params["reference"] == appointment.reference
    assert confirmation.params["place"] == office.name
    assert confirmation.status == MessageStatus.QUEUED
    # Each row has its delivery task waiting in the task queue.
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="sms.tasks.deliver_message").count() == 3


def test_a_refused_booking_writes_no_message(resident, lawyer, office, topic):
    book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    with pytest.raises(errors.SlotTaken):
        book(UserFactory(), lawyer, office, topic, local(WEDNESDAY, 10))
    assert Message.objects.count() == 3


def test_a_booking_at_night_is_confirmed_when_quiet_hours_end(resident, lawyer, office, topic):
    night = local(NOW.date(), 22, 30)
    book(resident, lawyer, office, topic, local(WEDNESDAY, 9, 30), now=night)
    # 24 h before (Tue 9:30) stays; 2 h before (7:30) moves to 8:00.
    assert set(outbox()) == {
        (Kind.CONFIRMATION, local(dt.date(2026, 12, 8), 8)),
        (Kind.REMINDER, local(dt.date(2026, 12, 8), 9, 30)),
        (Kind.REMINDER, local(WEDNESDAY, 8)),
    }


def test_a_reminder_that_would_only_repeat_the_confirmation_is_not_written(
    resident, lawyer, office, topic
):
    appointment = book(
        resident, lawyer, office, topic, local(NOW.date(), 11), now=local(NOW.date(), 8, 30)
    )
    kinds = [m.kind for m in Message.objects.filter(appointment=appointment)]
    assert kinds == [Kind.CONFIRMATION]


def test_the_office_decides_the_reminders(resident, lawyer, office, topic):
    office.reminder_hours = "48"
    office.save()
    book(resident, lawyer, office, topic, local(dt.date(2026, 12, 10), 10))
    reminders = Message.objects.filter(kind=Kind.REMINDER)
    assert [m.not_before for m in reminders] == [local(dt.date(2026, 12, 8), 10)]


def test_residents_who_switched_reminders_off_get_only_the_confirmation(
    resident, lawyer, office, topic
):
    resident.sms_reminders = False
    resident.save()
    book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    assert list(Message.objects.values_list("kind", flat=True)) == [Kind.CONFIRMATION]


def test_no_message_is_written_for_a_resident_without_a_phone(lawyer, office, topic):
    walk_in = UserFactory(phone=None, phone_verified=False)
    book(walk_in, lawyer, office, topic, local(WEDNESDAY, 10))
    assert not Message.objects.exists()


def test_cancel_and_reschedule_write_their_own_messages(resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    moved = services.reschedule_appointment(
        appointment=appointment, starts_at=local(WEDNESDAY, 11), mode=Mode.IN_PERSON,
        by=resident, now=NOW,
    )  # fmt: skip
    assert Message.objects.filter(idempotency_key=f"reschedule:{moved.pk}:1").exists()
    assert Message.objects.filter(idempotency_key=f"reminder-2h:{moved.pk}:1").get().not_before == (
        local(WEDNESDAY, 9)
    )
    services.cancel_appointment(appointment=moved, by=resident, now=NOW)
    cancellation = Message.objects.get(idempotency_key=f"cancellation:{moved.pk}:2")
    assert cancellation.params["time"] == "11:00"


def test_discreet_residents_get_discreet_texts_whatever_the_matter(resident, lawyer, office, topic):
    book(
        resident, lawyer, office, topic, local(WEDNESDAY, 10), safe_contact=True,
        summary="丈夫家暴，想离婚", opposing_party="张三", matter_consent_at=NOW,
    )  # fmt: skip
    for message in Message.objects.all():
        assert message.template.endswith("_safe")
        text = build_sms(message).text
        for secret in ["家暴", "离婚", "张三", topic.name_zh_hans, office.name, "法律", "司法"]:
            assert secret not in text
        assert "10:00" in text


def test_texts_never_carry_the_matter(resident, lawyer, office, topic):
    book(
        resident, lawyer, office, topic, local(WEDNESDAY, 10), summary="丈夫家暴，想离婚",
        opposing_party="张三", matter_consent_at=NOW,
    )  # fmt: skip
    for message in Message.objects.all():
        text = build_sms(message).text
        for secret in ["家暴", "离婚", "张三", topic.name_zh_hans, topic.name_en]:
            assert secret not in text
        assert office.name in text


def test_english_speakers_get_english_texts(lawyer, office, topic):
    resident = UserFactory(preferred_language="en")
    book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    text = build_sms(Message.objects.get(kind=Kind.CONFIRMATION)).text
    assert text.startswith("Your free legal consultation is booked: Wed, 9-Dec at 10:00")


def test_sign_in_codes_go_at_night_too():
    night = local(NOW.date(), 23)
    message = send_login_code(phone="+8613800138000", code="482913", language="zh-hans", now=night)
    assert message.not_before == night
    assert "482913" in build_sms(message).text


def test_the_daily_cap_per_number_is_enforced_with_a_clear_error(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.SMS_DAILY_CAP_PER_NUMBER = 3
    settings.SMS_CODES_PER_NUMBER_FOR_NEW_BROWSERS = "10/d"
    for _ in range(3):
        send_login_code(phone="+8613800138000", code="482913", language="zh-hans")
        time_machine.shift(dt.timedelta(minutes=15))
    with pytest.raises(SmsLimitReached) as refused:
        send_login_code(phone="+8613800138000", code="482913", language="zh-hans")
    # 24 hours after the first of the three.
    assert refused.value.message == str(DAILY_CAP_REACHED) % {
        "time": str(TOMORROW_AT) % {"time": "08:00"}
    }
    # Another number is not affected; skipped and failed messages do not count.
    send_login_code(phone="+8613900139000", code="482913", language="zh-hans")
    Message.objects.filter(recipient="+8613800138000").update(status=MessageStatus.FAILED)
    send_login_code(phone="+8613800138000", code="482913", language="zh-hans")
    # A day after a code, it no longer counts.
    time_machine.move_to(NOW + dt.timedelta(days=1, hours=1), tick=False)
    for _ in range(2):
        send_login_code(phone="+8613800138000", code="482913", language="zh-hans")
        time_machine.shift(dt.timedelta(minutes=15))


def test_booking_messages_never_count_toward_the_sign_in_codes(
    settings, time_machine, resident, lawyer, office, topic
):
    """Booking, cancelling and booking again queues more texts than the daily cap."""
    time_machine.move_to(NOW, tick=False)
    settings.SMS_DAILY_CAP_PER_NUMBER = 3
    first = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    services.cancel_appointment(appointment=first, by=resident, now=NOW)
    book(resident, lawyer, office, topic, local(WEDNESDAY, 11))
    assert Message.objects.filter(recipient=str(resident.phone)).count() > 3

    message = send_login_code(phone=str(resident.phone), code="482913", language="zh-hans")

    assert message.kind == Kind.LOGIN_CODE


def test_codes_per_ip_address_are_limited(settings, frozen_clock):
    cache.clear()
    settings.SMS_CODES_PER_IP_PER_HOUR = 2
    for number in ["+8613800138001", "+8613800138002"]:
        send_login_code(phone=number, code="482913", language="zh-hans", ip="10.1.2.3")
    with pytest.raises(SmsLimitReached) as refused:
        send_login_code(phone="+8613800138003", code="482913", language="zh-hans", ip="10.1.2.3")
    # The hour, and the tenth of it the first code was counted in (booking/ratelimit.py).
    assert refused.value.message == str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:06"}
    send_login_code(phone="+8613800138003", code="482913", language="zh-hans", ip="10.9.9.9")


def test_a_follow_up_invitation_goes_once_even_after_the_consultation(
    resident, lawyer, office, topic
):
    from booking.models import Status
    from sms.services import notify_follow_up, skip_reason

    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    appointment.status = Status.ATTENDED
    appointment.save()
    later = local(WEDNESDAY, 12)
    args = {"appointment": appointment, "by_date": dt.date(2026, 12, 20), "now": later}
    first = notify_follow_up(**args)
    assert notify_follow_up(**args) == first
    assert skip_reason(first, now=later) is None
    assert "12月20日前" in build_sms(first).text


def test_a_sign_in_code_that_could_not_go_within_its_validity_is_skipped(time_machine):
    from sms.services import SKIP_CODE_EXPIRED, skip_reason

    time_machine.move_to(NOW, tick=False)
    message = send_login_code(phone="+8613800138000", code="482913", language="zh-hans")
    assert skip_reason(message, now=NOW + dt.timedelta(minutes=9)) is None
    assert skip_reason(message, now=NOW + dt.timedelta(minutes=11)) == SKIP_CODE_EXPIRED
