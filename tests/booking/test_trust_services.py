"""Cool-down, retention and the resident's data rights, at the level of the services.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai). Past consultations are
written directly (the booking services refuse past times).
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import errors, selectors
from booking.access_log import record_access
from booking.models import (
    AccessLog,
    Appointment,
    AppointmentNote,
    Channel,
    Mode,
    Status,
)
from booking.reference import new_reference
from booking.services import book_appointment, cancel_appointment
from booking.services.data_rights import (
    as_json,
    delete_account,
    export_resident_data,
    withdraw_consent,
)
from booking.services.retention import run_retention
from sms.models import Message
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, OfficeFactory, UserFactory

MONDAY = NOW.date()


def past(lawyer, resident, when, status=Status.ATTENDED, **fields):
    return Appointment.objects.create(
        reference=new_reference(),
        resident=resident,
        lawyer=lawyer,
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        starts_at=when,
        ends_at=when + dt.timedelta(minutes=30),
        status=status,
        **fields,
    )


# --- cool-down ---------------------------------------------------------------------


def test_three_no_shows_pause_online_booking_for_thirty_days(lawyer, resident):
    for days_ago in (40, 20, 3):
        past(lawyer, resident, NOW - dt.timedelta(days=days_ago), status=Status.NO_SHOW)

    with pytest.raises(errors.CoolingDown) as refused:
        AppointmentFactory(lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW)

    office = lawyer.offices.get()
    assert selectors.cooldown(resident_id=resident.pk, office=office, now=NOW) == (
        3,
        NOW - dt.timedelta(days=3) + dt.timedelta(days=30),
    )
    assert "3" in refused.value.message and office.phone in refused.value.message
    assert not Appointment.objects.filter(status=Status.BOOKED).exists()


def test_the_pause_ends_and_old_or_few_strikes_do_not_count(lawyer, resident):
    office = lawyer.offices.get()
    past(lawyer, resident, NOW - dt.timedelta(days=100), status=Status.NO_SHOW)  # too old
    past(lawyer, resident, NOW - dt.timedelta(days=50), status=Status.NO_SHOW)
    past(lawyer, resident, NOW - dt.timedelta(days=31), status=Status.NO_SHOW)
    assert selectors.cooldown(resident_id=resident.pk, office=office, now=NOW) is None
    past(lawyer, resident, NOW - dt.timedelta(days=31, hours=1), status=Status.NO_SHOW)
    # Three within 90 days, but the pause of 30 days after the latest is over.
    assert selectors.cooldown(resident_id=resident.pk, office=office, now=NOW) is None
    assert (
        AppointmentFactory(
            lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW
        ).status
        == Status.BOOKED
    )


def test_late_cancellations_by_the_resident_count_but_not_the_offices(lawyer, resident):
    office = lawyer.offices.get()
    first = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW
    )
    cancel_appointment(appointment=first, by=resident, now=NOW)  # 2 h before: late
    second = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 11), now=NOW
    )
    cancel_appointment(appointment=second, by=lawyer.user, now=NOW)  # by the office
    third = AppointmentFactory(
        lawyer=lawyer,
        resident=resident,
        starts_at=local(MONDAY + dt.timedelta(days=7), 10),
        now=NOW,
    )
    cancel_appointment(appointment=third, by=resident, now=NOW)  # a week ahead: not late
    for appointment in (first, second, third):
        appointment.refresh_from_db()
    assert [a.cancelled_by_resident for a in (first, second, third)] == [True, False, True]
    past(lawyer, resident, NOW - dt.timedelta(days=5), status=Status.NO_SHOW)
    assert selectors.cooldown(resident_id=resident.pk, office=office, now=NOW) is None
    past(lawyer, resident, NOW - dt.timedelta(days=6), status=Status.NO_SHOW)
    strikes, _until = selectors.cooldown(resident_id=resident.pk, office=office, now=NOW)
    assert strikes == 3


def test_the_desk_can_still_book_for_a_paused_resident(lawyer, resident, desk_user):
    for days_ago in (10, 9, 8):
        past(lawyer, resident, NOW - dt.timedelta(days=days_ago), status=Status.NO_SHOW)
    appointment = AppointmentFactory(
        lawyer=lawyer,
        resident=resident,
        starts_at=local(MONDAY, 10),
        booked_by=desk_user,
        channel=Channel.DESK,
        now=NOW,
    )
    assert appointment.status == Status.BOOKED


def test_an_office_can_switch_the_pause_off(lawyer, resident):
    office = lawyer.offices.get()
    office.cooldown_strikes = 0
    office.save()
    for days_ago in (10, 9, 8):
        past(lawyer, resident, NOW - dt.timedelta(days=days_ago), status=Status.NO_SHOW)
    assert (
        AppointmentFactory(
            lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW
        ).status
        == Status.BOOKED
    )


# --- retention -----------------------------------------------------------------------


def personal(**extra):
    return {
        "summary": "他欠我三万元",
        "opposing_party": "王五",
        "opposing_party_phone": "+8613900001111",
        "dialect": "湘方言",
        "accessibility_needs": "轮椅",
        "needs_interpreter": True,
        "matter_consent_at": NOW,  # agreed on its own to keep the matter's details
        **extra,
    }


def test_retention_erases_details_after_the_last_contact_and_keeps_counts(lawyer):
    old = UserFactory(display_name="张三", last_login=NOW - dt.timedelta(days=800))
    old.date_joined = NOW - dt.timedelta(days=900)
    old.save()
    returning = UserFactory(display_name="李四")
    gone = past(lawyer, old, NOW - dt.timedelta(days=760), **personal())
    AppointmentNote.objects.create(appointment=gone, author=lawyer, text="私人笔记")
    Message.objects.create(
        recipient=str(old.phone), kind="confirmation", template="confirmation",
        idempotency_key="x", appointment=gone,
    )  # fmt: skip
    record_access(viewer=lawyer.user, appointments=[gone], place="agenda", details=["name"],
                  ip=None, now=NOW - dt.timedelta(days=760))  # fmt: skip
    # Old, but the same resident came again last month: the last contact is recent.
    kept_old = past(lawyer, returning, NOW - dt.timedelta(days=1000), **personal())
    past(lawyer, returning, NOW - dt.timedelta(days=30))

    dry = run_retention(now=NOW, dry_run=True)
    assert dry.appointments == {lawyer.offices.get().name: 1} and dry.accounts == 1
    assert Appointment.objects.get(pk=gone.pk).summary == "他欠我三万元"

    report = run_retention(now=NOW)

    assert report.appointments == dry.appointments and report.accounts == 1
    gone.refresh_from_db()
    assert (gone.summary, gone.opposing_party, gone.dialect, gone.erased_at) == ("", "", "", NOW)
    assert not gone.needs_interpreter and not str(gone.opposing_party_phone)
    kept = (gone.status, gone.topic_id, gone.starts_at)
    assert kept == (Status.ATTENDED, lawyer.topics.get().pk, NOW - dt.timedelta(days=760))
    assert not AppointmentNote.objects.exists()
    # The access-log row is older than SECURITY_LOG_DAYS: it goes too.
    assert not Message.objects.exists() and not AccessLog.objects.exists()
    old.refresh_from_db()
    assert (old.display_name, old.phone, old.is_active) == ("", None, False)
    kept_old.refresh_from_db()
    assert kept_old.summary == "他欠我三万元" and kept_old.erased_at is None
    assert run_retention(now=NOW).appointments == {lawyer.offices.get().name: 0}


def test_each_office_keeps_details_for_its_own_period(lawyer):
    office = lawyer.offices.get()
    office.retention_days = 365
    office.save()
    resident = UserFactory()
    past(lawyer, resident, NOW - dt.timedelta(days=400), **personal())
    assert run_retention(now=NOW, dry_run=True).appointments == {office.name: 1}
    other = OfficeFactory()
    assert run_retention(now=NOW, dry_run=True).appointments == {office.name: 1, other.name: 0}


# --- data rights ---------------------------------------------------------------------


def test_the_export_holds_everything_about_the_resident_and_nothing_of_others(lawyer, resident):
    mine = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW, **personal()
    )
    others = UserFactory(display_name="别人")
    AppointmentFactory(
        lawyer=lawyer,
        resident=others,
        starts_at=local(MONDAY, 11),
        summary="别人的事",
        matter_consent_at=NOW,
        now=NOW,
    )
    AppointmentNote.objects.create(appointment=mine, author=lawyer, text="律师的工作笔记")
    record_access(viewer=lawyer.user, appointments=[mine], place="appointment",
                  details=["name", "summary"], ip="10.0.0.1")  # fmt: skip

    data = export_resident_data(user=resident)
    text = as_json(data)

    assert json.loads(text)["account"]["mobile_number"] == str(resident.phone)
    [consultation] = data["consultations"]
    assert consultation["what_it_is_about"] == "他欠我三万元"
    assert consultation["other_party"] == "王五"
    assert consultation["reference"] == mine.display_reference
    assert [entry["who"] for entry in data["seen_by_staff"]] == [str(lawyer.user)]
    assert (
        len(data["text_messages"])
        == Message.objects.filter(recipient=str(resident.phone)).count()
        > 0
    )
    assert "别人" not in text and "律师的工作笔记" not in text


def test_withdrawing_consent_cancels_upcoming_consultations_quietly(lawyer, resident):
    resident.consented_at = NOW
    resident.save()
    upcoming = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW
    )
    messages_before = Message.objects.count()

    assert withdraw_consent(user=resident, now=NOW) == 1

    upcoming.refresh_from_db()
    resident.refresh_from_db()
    assert upcoming.status == Status.CANCELLED and not upcoming.cancelled_by_resident
    assert resident.consented_at is None
    assert Message.objects.count() == messages_before  # no cancellation text
    # The time is free again for others.
    assert any(slot.start == local(MONDAY, 10) for slot in selectors.list_free_slots(
        office=lawyer.offices.get(), topic=lawyer.topics.get(), first_day=MONDAY,
        last_day=MONDAY, now=NOW))  # fmt: skip


def test_deleting_the_account_erases_everything_personal(lawyer, resident):
    upcoming = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW, **personal()
    )
    earlier = past(lawyer, resident, NOW - dt.timedelta(days=10), **personal())
    record_access(viewer=lawyer.user, appointments=[earlier], place="agenda",
                  details=["name"], ip=None)  # fmt: skip
    number = str(resident.phone)

    delete_account(user=resident, now=NOW)

    resident.refresh_from_db()
    assert (resident.display_name, resident.phone, resident.is_active) == ("", None, False)
    assert not resident.has_usable_password()
    for appointment in (upcoming, earlier):
        appointment.refresh_from_db()
        assert appointment.summary == "" and appointment.opposing_party == ""
        assert appointment.erased_at == NOW
    assert upcoming.status == Status.CANCELLED
    assert not Message.objects.filter(recipient=number).exists()
    # The access log keeps who saw which consultation, no longer linked to the account.
    assert list(AccessLog.objects.values_list("resident", "appointment")) == [(None, earlier.pk)]
    # The counts stay.
    assert Appointment.objects.filter(resident=resident).count() == 2


def test_the_access_log_keeps_one_row_per_viewer_consultation_place_and_day(lawyer, resident):
    appointment = AppointmentFactory(
        lawyer=lawyer, resident=resident, starts_at=local(MONDAY, 10), now=NOW
    )
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            record_access(viewer=lawyer.user, appointments=[appointment], place="agenda",
                          details=["name", "phone"], ip="10.0.0.2")  # fmt: skip
    assert len(queries) == 3
    record_access(viewer=lawyer.user, appointments=[appointment], place="appointment",
                  details=["summary"], ip="10.0.0.2")  # fmt: skip
    record_access(viewer=resident, appointments=[appointment], place="agenda", details=["name"],
                  ip=None)  # fmt: skip
    assert sorted(AccessLog.objects.values_list("place", flat=True)) == ["agenda", "appointment"]


def test_the_retention_command_reports_dry_then_erases(lawyer):
    from io import StringIO

    from django.core.management import call_command

    resident = UserFactory()
    past(lawyer, resident, NOW - dt.timedelta(days=800), **personal())
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "would erase the personal details of 1 consultation" in out.getvalue()
    assert Appointment.objects.get().summary == "他欠我三万元"
    call_command("retention", stdout=(out := StringIO()))
    assert "erased the personal details of 1 consultation" in out.getvalue()
    assert Appointment.objects.get().summary == ""


def test_a_consultation_by_phone_needs_a_number_to_call(lawyer):
    from booking.models import AvailabilityRule

    AvailabilityRule.objects.filter(lawyer=lawyer).update(mode=Mode.PHONE)
    no_phone = UserFactory(phone=None, phone_verified=False, village="白石村")
    with pytest.raises(errors.NoNumberToCall):
        book_appointment(
            resident=no_phone, office=lawyer.offices.get(), topic=lawyer.topics.get(),
            lawyer=lawyer, starts_at=local(MONDAY, 10), mode=Mode.PHONE, now=NOW,
        )  # fmt: skip
    assert not Appointment.objects.exists()
