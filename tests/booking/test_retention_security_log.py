"""The access log and the security log outlive the personal details they refer to, for
``SECURITY_LOG_DAYS`` (at least 180, MLPS level 2), and go after it
(booking/services/retention.py).

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai); past consultations are
written directly (the booking services refuse past times).
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import SecurityEvent, SecurityEventKind
from accounts.security import record_event
from booking.access_log import record_access
from booking.models import AccessLog, Appointment, Status
from booking.reference import new_reference
from booking.services.data_rights import delete_account, export_resident_data
from booking.services.retention import run_retention
from tests.conftest import NOW
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def past(lawyer, resident, when, **fields):
    return Appointment.objects.create(
        reference=new_reference(),
        resident=resident,
        lawyer=lawyer,
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        starts_at=when,
        ends_at=when + dt.timedelta(minutes=30),
        status=Status.ATTENDED,
        summary="他欠我三万元",
        **fields,
    )


def seen(lawyer, appointment, when) -> AccessLog:
    record_access(viewer=lawyer.user, appointments=[appointment], place="appointment",
                  details=["name", "phone", "summary"], ip="10.0.0.1", now=when)  # fmt: skip
    return AccessLog.objects.get(appointment=appointment)


def test_the_access_log_survives_the_deletion_of_the_account_without_naming_the_resident(
    lawyer,
):
    resident = UserFactory(display_name="张三")
    appointment = past(lawyer, resident, NOW - 10 * DAY)
    row = seen(lawyer, appointment, NOW - 10 * DAY)
    number = str(resident.phone)

    delete_account(user=resident, now=NOW)

    row.refresh_from_db()
    assert row.resident is None
    assert (row.appointment.display_reference, row.office) == (
        appointment.display_reference,
        lawyer.offices.get(),
    )
    assert (row.viewer, row.place, row.ip) == (lawyer.user, "appointment", "10.0.0.1")
    values = " ".join(str(value) for value in AccessLog.objects.values().get().values())
    assert "张三" not in values and number not in values


def test_the_access_log_survives_retention_and_the_resident_still_reads_it(lawyer):
    office = lawyer.offices.get()
    office.retention_days = 30
    office.save(update_fields=["retention_days"])
    resident = UserFactory()
    appointment = past(lawyer, resident, NOW - 40 * DAY)
    seen(lawyer, appointment, NOW - 40 * DAY)

    report = run_retention(now=NOW)

    assert report.appointments == {office.name: 1}
    appointment.refresh_from_db()
    assert appointment.erased_at == NOW
    row = AccessLog.objects.get()
    assert (row.resident, row.appointment) == (resident, appointment)
    assert [entry["who"] for entry in export_resident_data(user=resident)["seen_by_staff"]] == [
        str(lawyer.user)
    ]


def test_the_logs_are_deleted_after_security_log_days_and_not_before(lawyer):
    resident = UserFactory()
    appointment = past(lawyer, resident, NOW - 200 * DAY)
    old = seen(lawyer, appointment, NOW - 181 * DAY)
    recent_appointment = past(lawyer, resident, NOW - 179 * DAY)
    recent = seen(lawyer, recent_appointment, NOW - 179 * DAY)
    for days in (181, 179):
        record_event(kind=SecurityEventKind.LOGIN_FAILED, identifier="zhang@example.org",
                     ip="10.0.0.1", at=NOW - days * DAY)  # fmt: skip

    dry = run_retention(now=NOW, dry_run=True)
    assert (dry.access_log, dry.security_log) == (1, 1)
    assert AccessLog.objects.count() == 2 and SecurityEvent.objects.count() == 2

    report = run_retention(now=NOW)

    assert (report.access_log, report.security_log) == (1, 1)
    assert list(AccessLog.objects.all()) == [recent]
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    assert [event.at for event in SecurityEvent.objects.all()] == [NOW - 179 * DAY]


def test_a_longer_security_log_period_keeps_the_rows_longer(lawyer, settings):
    settings.SECURITY_LOG_DAYS = 365
    appointment = past(lawyer, UserFactory(), NOW - 200 * DAY)
    seen(lawyer, appointment, NOW - 200 * DAY)
    record_event(kind=SecurityEventKind.ACCOUNT_LOCKED, at=NOW - 200 * DAY)
    report = run_retention(now=NOW)
    assert (report.access_log, report.security_log) == (0, 0)
    assert AccessLog.objects.exists() and SecurityEvent.objects.exists()


def test_the_retention_command_reports_the_logs(lawyer):
    record_event(kind=SecurityEventKind.LOGIN_FAILED, at=NOW - 400 * DAY)
    call_command("retention", "--dry-run", stdout=(out := StringIO()))
    assert "would delete 0 access-log row(s) and 1 security event(s) older than 180 days" in (
        out.getvalue()
    )
    assert SecurityEvent.objects.exists()
    call_command("retention", stdout=(out := StringIO()))
    assert "deleted 0 access-log row(s) and 1 security event(s)" in out.getvalue()
    assert not SecurityEvent.objects.exists()


def test_a_security_log_kept_less_than_180_days_is_refused_at_start(settings):
    settings.SECURITY_LOG_DAYS = 179
    with pytest.raises(SystemCheckError, match="SECURITY_LOG_DAYS is 179"):
        call_command("check")
    with pytest.raises(SystemCheckError):  # as the worker and cron start it
        call_command("retention", "--dry-run", skip_checks=False, stdout=StringIO())
    with pytest.raises(ImproperlyConfigured):  # and the sweep itself
        run_retention(now=NOW, dry_run=True)
    settings.SECURITY_LOG_DAYS = 180
    call_command("check", stdout=StringIO())
