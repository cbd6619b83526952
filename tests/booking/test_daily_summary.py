"""The office head's daily summary: at the set times, once, only the latest, counts only.

NOW is Monday 7 December 2026, 08:00 in Shanghai; the office sends at 11:00 and 16:00.
"""

import datetime as dt
import smtplib
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.mail.backends.base import BaseEmailBackend

from booking.models import Appointment, Channel, SentSummary, Status, SummaryChannel
from booking.reference import new_reference
from booking.services.summary import send_due_summaries
from sms.management.commands.sms_worker import recover_periodically
from sms.messages import build_sms
from sms.models import Kind, Message
from tests import racing
from tests.conftest import NOW, SHANGHAI, local
from tests.factories import LawyerFactory, OfficeFactory, UserFactory, WalkInFactory

TODAY = NOW.date()
OFFICE_PERMISSIONS = ["view_office", "change_office"]


def at(hour: int, minute: int = 0, day: dt.date = TODAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


@pytest.fixture
def head(office):
    return UserFactory(role="office_admin", office=office, email="head@example.invalid")


def sent() -> list[tuple[dt.date, dt.time]]:
    return list(SentSummary.objects.order_by("date", "at").values_list("date", "at"))


def summaries():
    return Message.objects.filter(kind=Kind.SUMMARY).order_by("pk")


def today_at_the_office(office, lawyer, topic):
    """Six consultations today: four attended, two to come; five booked at the desk; a walk-in."""
    for index, (hour, minute) in enumerate([(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30)]):
        Appointment.objects.create(
            reference=new_reference(),
            resident=UserFactory(display_name=f"今日居民{index}"),
            lawyer=lawyer,
            office=office,
            topic=topic,
            starts_at=local(TODAY, hour, minute),
            ends_at=local(TODAY, hour, minute) + dt.timedelta(minutes=30),
            status=Status.ATTENDED if hour < 11 else Status.BOOKED,
            channel=Channel.DESK if index else Channel.ONLINE,
            summary="邻居占地",
        )
    WalkInFactory(
        office=office,
        resident=UserFactory(display_name="现场居民"),
        topic=topic,
        arrived_at=local(TODAY, 10, 40),
    )


@pytest.mark.django_db
def test_nothing_is_sent_before_the_first_time(office, head):
    assert send_due_summaries(now=at(10, 59)) == 0
    assert sent() == [] and not summaries().exists()


@pytest.mark.django_db
def test_the_11_and_16_oclock_summaries_go_once_each(office, head, time_machine):
    time_machine.move_to(at(11), tick=False)
    assert send_due_summaries(now=at(11)) == 1
    assert send_due_summaries(now=at(11, 5)) == 0
    assert send_due_summaries(now=at(15, 59)) == 0
    assert sent() == [(TODAY, dt.time(11))]
    assert send_due_summaries(now=at(16)) == 1
    assert send_due_summaries(now=at(20)) == 0
    assert sent() == [(TODAY, dt.time(11)), (TODAY, dt.time(16))]
    assert [message.recipient for message in summaries()] == [head.phone.as_e164] * 2
    # The next day starts afresh.
    assert send_due_summaries(now=at(11, 1, TODAY + dt.timedelta(days=1))) == 1


@pytest.mark.django_db
def test_a_worker_back_late_sends_only_the_latest_summary(office, head):
    assert send_due_summaries(now=at(17)) == 1
    assert send_due_summaries(now=at(17, 30)) == 0
    assert sent() == [(TODAY, dt.time(16))]
    assert summaries().count() == 1


@pytest.mark.django_db
def test_the_sms_carries_todays_counts_with_small_ones_hidden(
    office, lawyer, topic, head, time_machine
):
    time_machine.move_to(at(10, 55), tick=False)  # when the desk booked them
    today_at_the_office(office, lawyer, topic)
    elsewhere = OfficeFactory()
    other_lawyer = LawyerFactory(offices=[elsewhere], topics=[topic])
    Appointment.objects.create(
        reference=new_reference(),
        resident=UserFactory(),
        lawyer=other_lawyer,
        office=elsewhere,
        topic=topic,
        starts_at=local(TODAY, 9),
        ends_at=local(TODAY, 9, 30),
        channel=Channel.DESK,
    )
    send_due_summaries(now=at(11))
    message = summaries().get()
    assert message.template == "summary" and message.language == "zh-hans"
    # Typed for the providers (sms/registry.py): "<5" as "1-4", the date as month and day.
    assert message.params == {
        "office_name": office.name,
        "consultations": "6",
        "attended": "1-4",
        "no_shows": "0",
        "walk_ins": "1-4",
        "desk_bookings": "5",
        # Monday's hours are full: the next free time is Tuesday's first.
        "next_month": "12",
        "next_day": "8",
        "next_time": "09:00",
    }
    text = build_sms(message).text
    assert text == (
        f"{office.name}今日：咨询6，到场1-4，未到0，现场来访1-4，窗口代约5；最近空位12月8日09:00。"
    )
    assert "居民" not in text and "邻居占地" not in text


@pytest.mark.django_db
def test_each_admin_gets_it_in_their_language_and_desk_staff_do_not(office, head, desk_user):
    english = UserFactory(role="office_admin", office=office, preferred_language="en")
    UserFactory(role="office_admin", office=office, phone=None, phone_verified=False)
    desk_user.phone = "+8613700000001"
    desk_user.save()
    send_due_summaries(now=at(11))
    assert [(m.recipient, m.language) for m in summaries()] == [
        (head.phone.as_e164, "zh-hans"),
        (english.phone.as_e164, "en"),
    ]
    assert build_sms(summaries().last()).text.startswith(f"{office.name} today: 0 consultations")
    # No lawyer, no free time: the template that says so.
    assert summaries().last().template == "summary_no_free_time"
    assert SentSummary.objects.get().recipients == 2


@pytest.mark.django_db
def test_switched_off_nothing_is_sent(office, head):
    office.summary_channel = SummaryChannel.OFF
    office.save()
    assert send_due_summaries(now=at(16, 30)) == 0
    assert sent() == [] and not summaries().exists()


@pytest.mark.django_db
def test_times_set_by_the_office_are_followed(office, head):
    office.summary_times = "9:30"
    office.save()
    assert send_due_summaries(now=at(9, 29)) == 0
    assert send_due_summaries(now=at(9, 30)) == 1
    assert sent() == [(TODAY, dt.time(9, 30))]


@pytest.mark.django_db
def test_by_email_each_admin_with_an_address_gets_one(office, head, mailoutbox):
    office.summary_channel = SummaryChannel.EMAIL
    office.save()
    head.preferred_language = "en"
    head.save()
    UserFactory(role="office_admin", office=office, email=None)
    assert send_due_summaries(now=at(11)) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [head.email]
    assert mail.subject == f"{office.name}: figures of Mon 7 Dec, 11:00"
    assert "Consultations today: 0\n" in mail.body
    assert "Next free time: none\n" in mail.body  # no lawyer yet
    assert not summaries().exists()
    assert send_due_summaries(now=at(11, 30)) == 0
    assert len(mailoutbox) == 1


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("down")


@pytest.mark.django_db
def test_a_failed_email_is_tried_again_at_the_next_sweep(office, head, settings, mailoutbox):
    office.summary_channel = SummaryChannel.EMAIL
    office.save()
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert send_due_summaries(now=at(11)) == 0
    assert sent() == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_due_summaries(now=at(11, 1)) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_an_office_without_admins_is_marked_done_and_sends_nothing(office, mailoutbox):
    assert send_due_summaries(now=at(11)) == 1
    assert SentSummary.objects.get().recipients == 0
    assert not summaries().exists() and mailoutbox == []
    assert send_due_summaries(now=at(12)) == 0


@pytest.mark.django_db
def test_each_office_follows_its_own_time_zone(head):
    far_west = OfficeFactory(time_zone="Asia/Urumqi")  # two hours behind Shanghai
    UserFactory(role="office_admin", office=far_west)
    assert send_due_summaries(now=at(11)) == 1  # only Shanghai's 11:00 has passed
    assert send_due_summaries(now=at(13)) == 1  # 11:00 in Ürümqi
    assert SentSummary.objects.filter(office=far_west).get().at == dt.time(11)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_summary(office, head):
    def sweep():
        return ("ok", send_due_summaries(now=at(11)))

    outcomes = racing.race([sweep] * 4)
    assert sorted(outcomes) == [("ok", 0)] * 3 + [("ok", 1)]
    assert sent() == [(TODAY, dt.time(11))]
    assert summaries().count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_workers_sweep_sends_the_due_summary(office, head, time_machine):
    time_machine.move_to(at(11, 2), tick=False)
    stop = threading.Event()
    sweeper = threading.Thread(target=recover_periodically, args=(0.01, stop))
    sweeper.start()
    try:
        for _ in range(500):
            if SentSummary.objects.exists():
                break
            stop.wait(0.01)
    finally:
        stop.set()
        sweeper.join(timeout=10)
    assert sent() == [(TODAY, dt.time(11))]
    assert summaries().get().recipient == head.phone.as_e164


@pytest.mark.django_db
def test_the_office_admin_sets_channel_and_times_in_the_admin(client, office, settings):
    settings.SECURE_SSL_REDIRECT = False
    head = UserFactory(role="office_admin", office=office, is_staff=True)
    head.user_permissions.set(
        Permission.objects.filter(content_type__model="office", codename__in=OFFICE_PERMISSIONS)
    )
    client.force_login(head)
    form = client.get(f"/admin/booking/office/{office.pk}/change/").content.decode()
    assert 'name="summary_channel"' in form and 'name="summary_times"' in form
    assert '<option value="off">' in form
