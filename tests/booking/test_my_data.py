"""The resident's "my data" pages: see everything, download it, withdraw, delete."""

import datetime as dt
import json
from http import HTTPStatus

import pytest

from booking.access_log import record_access
from booking.models import Appointment, Status
from booking.services import data_rights
from sms import selectors as sms_selectors
from sms.delivery import deliver_due
from sms.models import Kind, Message, MessageStatus
from sms.selectors import Phase, Reason
from sms.services import SKIP_CANCELLED
from tests.booking.test_resident_pages import _queries
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, UserFactory

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def booked(lawyer, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(NOW.date(), 10),
        summary="他欠我三万元",
        opposing_party="王五",
        matter_consent_at=NOW,
    )
    record_access(viewer=lawyer.user, appointments=[appointment], place="appointment",
                  details=["name", "summary"], ip="10.0.0.1")  # fmt: skip
    return appointment


def test_my_data_shows_what_is_kept_and_who_opened_it(client, resident, booked, lawyer):
    client.force_login(resident)
    page = client.get("/my/data/").content.decode()
    for shown in (
        "他欠我三万元",
        "王五",
        booked.display_reference,
        str(lawyer.user),
        "律师的预约详情页",
        "姓名、咨询事项",  # a Chinese list, with the Chinese comma
    ):
        assert shown in page, shown
    assert 'href="/my/data.json"' in page


def test_the_download_is_json_with_the_same_data(client, resident, booked):
    client.force_login(resident)
    response = client.get("/my/data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["consultations"][0]["what_it_is_about"] == "他欠我三万元"
    assert data["seen_by_staff"][0]["where"]


def test_only_residents_see_my_data_and_only_their_own(client, booked, lawyer, desk_user):
    other = UserFactory(display_name="另一位居民")
    client.force_login(other)
    page = client.get("/my/data/").content.decode()
    assert "他欠我三万元" not in page and "另一位居民" in page
    for staff in (lawyer.user, desk_user):
        client.force_login(staff)
        assert client.get("/my/data/").status_code == HTTPStatus.FORBIDDEN
        assert client.get("/my/data.json").status_code == HTTPStatus.FORBIDDEN
    client.logout()
    assert client.get("/my/data/").status_code == HTTPStatus.FOUND


def test_deleting_needs_the_tick_then_signs_out(client, resident, booked):
    client.force_login(resident)
    refused = client.post("/my/data/delete/", {})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "请勾选" in refused.content.decode()
    assert client.get("/my/data/delete/").status_code == HTTPStatus.METHOD_NOT_ALLOWED

    response = client.post("/my/data/delete/", {"delete-confirm": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    resident.refresh_from_db()
    assert not resident.is_active and resident.phone is None
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED and booked.summary == ""
    assert client.get("/my/data/").status_code == HTTPStatus.FOUND  # signed out


def test_withdrawing_cancels_and_booking_again_asks_for_agreement(client, resident, booked):
    client.force_login(resident)
    response = client.post("/my/data/withdraw/", {"withdraw-confirm": "on"}, follow=True)
    assert response.status_code == HTTPStatus.OK
    booked.refresh_from_db()
    resident.refresh_from_db()
    assert booked.status == Status.CANCELLED and resident.consented_at is None
    assert resident.is_active


def test_a_paused_resident_is_told_before_choosing_a_time(client, resident, lawyer):
    office = lawyer.offices.get()
    for days_ago in (9, 8, 7):
        start = NOW - dt.timedelta(days=days_ago)
        Appointment.objects.create(
            reference=f"9{days_ago}000000", resident=resident, lawyer=lawyer, office=office,
            topic=lawyer.topics.get(), starts_at=start, ends_at=start + dt.timedelta(minutes=30),
            status=Status.NO_SHOW,
        )  # fmt: skip
    client.force_login(resident)
    topic = lawyer.topics.get()
    for url in (f"/book/{office.slug}/", f"/book/{office.slug}/{topic.code}/"):
        page = client.get(url).content.decode()
        assert "暂停" in page or "无法在网上预约" in page, url
        assert office.phone in page


# What became of the texts, in words (booking/services/data_rights.py ``text_words``)


def text_lines(client) -> list[str]:
    response = client.get("/my/data/")
    return [
        str(message["what_became_of_it"]) for message in response.context["data"]["text_messages"]
    ]


def line(kind, phase, reason) -> str:
    return sms_selectors.LINE % {
        "text": sms_selectors.TEXT_NAMES[kind],
        "phase": phase.label,
        "reason": reason,
    }


def test_reminders_of_a_cancelled_appointment_say_they_will_not_go(
    client, resident, booked_appointment
):
    client.force_login(resident)
    before = text_lines(client)
    reminders = Message.objects.filter(appointment=booked_appointment, kind=Kind.REMINDER)
    assert reminders.count() == 2 and before.count(
        str(sms_selectors.LINE_SCHEDULED % {"text": sms_selectors.TEXT_NAMES[Kind.REMINDER],
                                             "when": sms_selectors.AFTER % {"time": "10:00"}})
    ) == 1  # fmt: skip
    client.post(f"/my/{booked_appointment.reference}/cancel/")
    assert set(reminders.values_list("status", flat=True)) == {MessageStatus.QUEUED}

    after = text_lines(client)
    cancelled = line(Kind.REMINDER, Phase.NOT_SENT, Reason.CANCELLED.label)
    assert after.count(cancelled) == 2
    page = client.get("/my/data/").content.decode()
    assert cancelled in page and "排队中" not in page
    assert booked_appointment.display_reference in page


def test_reminders_of_the_old_time_of_a_moved_appointment_say_so(
    client, resident, booked_appointment
):
    client.force_login(resident)
    start = local(NOW.date() + dt.timedelta(days=1), 11)
    client.post(
        f"/my/{booked_appointment.reference}/move/confirm/",
        {"start": start.strftime("%Y-%m-%dT%H:%M"), "mode": "in_person"},
    )
    lines = text_lines(client)
    assert lines.count(line(Kind.REMINDER, Phase.NOT_SENT, Reason.MOVED.label)) == 2
    assert any(str(sms_selectors.TEXT_NAMES[Kind.RESCHEDULE]) in each for each in lines)


def test_sent_delivered_failed_and_switched_off_are_in_words(client, resident, booked_appointment):
    client.force_login(resident)
    confirmation = Message.objects.get(appointment=booked_appointment, kind=Kind.CONFIRMATION)
    confirmation.status = MessageStatus.DELIVERED
    confirmation.sent_at = NOW
    confirmation.save()
    failed = Message.objects.filter(appointment=booked_appointment, kind=Kind.REMINDER).first()
    failed.status, failed.error_code, failed.sent_at = MessageStatus.FAILED, "UNDELIV", NOW
    failed.save()
    resident.sms_reminders = False
    resident.save(update_fields=["sms_reminders"])
    lines = text_lines(client)
    assert lines[0] == str(
        sms_selectors.LINE_WITHOUT_REASON
        % {"text": sms_selectors.TEXT_NAMES[Kind.CONFIRMATION], "phase": Phase.DELIVERED.label}
    )
    assert line(Kind.REMINDER, Phase.NOT_DELIVERED, Reason.UNREACHABLE.label) in lines
    off = line(Kind.REMINDER, Phase.NOT_SENT, data_rights.YOU_SWITCHED_REMINDERS_OFF)
    assert off in lines


def test_the_download_words_the_texts_too(client, resident, booked_appointment):
    client.force_login(resident)
    data = json.loads(client.get("/my/data.json").content)
    assert {"what_became_of_it", "status", "about"} <= set(data["text_messages"][0])
    assert data["text_messages"][0]["about"] == booked_appointment.display_reference


def test_my_data_makes_as_many_queries_for_many_texts(
    client, resident, booked_appointment, lawyer, django_assert_max_num_queries
):
    client.force_login(resident)
    few = _queries(client, "/my/data/")
    assert 0 < few <= 10
    other = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(NOW.date() + dt.timedelta(days=2), 9),
        now=NOW,
    )
    client.post(f"/my/{other.reference}/cancel/")
    assert Message.objects.filter(recipient=resident.phone).count() > 4
    with django_assert_max_num_queries(few):
        client.get("/my/data/")


def test_after_withdrawing_the_worker_ends_the_reminders_as_skipped(
    client, resident, booked_appointment, settings, time_machine
):
    """Withdrawing cancels without a text; the reminders do not stay queued: each is
    skipped when its time comes, as after any cancel (sms/services.py ``skip_reason``)."""
    settings.SMS_BACKEND = "sms.backends.locmem.SmsBackend"
    client.force_login(resident)
    client.post("/my/data/withdraw/", {"withdraw-confirm": "on"})
    time_machine.move_to(booked_appointment.starts_at + dt.timedelta(hours=1), tick=False)
    deliver_due()
    reminders = Message.objects.filter(appointment=booked_appointment, kind=Kind.REMINDER)
    assert {(m.status, m.error) for m in reminders} == {(MessageStatus.SKIPPED, SKIP_CANCELLED)}
    assert not Message.objects.filter(status=MessageStatus.QUEUED).exists()
