"""Erasing personal details: after the retention period, or when a resident asks.

What an erased consultation keeps and what goes, when a consultation or an account is
erased (per office, from the resident's last contact there), how long the access log and
the security log are kept (``SECURITY_LOG_DAYS``) and the known limit (the conflict
check forgets erased names): docs/trust.md#retention. ``run_retention(dry_run=True)``
counts what would go without writing.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Role, SecurityEvent, User
from accounts.security import SECURITY_LOG_MIN_DAYS, forget_stale_locks
from booking.models import (
    AccessLog,
    Appointment,
    AppointmentNote,
    FollowUp,
    Office,
    WalkIn,
)
from sms.models import Message

ERASED_FIELDS = {
    "summary": "",
    "opposing_party": "",
    "opposing_party_phone": "",
    "opposing_party_key": "",
    "resident_name_key": "",
    "needs_interpreter": False,
    "dialect": "",
    "accessibility_needs": "",
}


def erase_appointments(appointments: QuerySet[Appointment], *, now: datetime) -> int:
    """Erase the personal details of ``appointments`` (not yet erased); how many."""
    ids = list(appointments.filter(erased_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        AppointmentNote.objects.filter(appointment_id__in=ids).delete()
        FollowUp.objects.filter(appointment_id__in=ids).update(note_for_office="", outcome="")
        WalkIn.objects.filter(appointment_id__in=ids).update(
            opposing_party="", opposing_party_phone=""
        )
        Message.objects.filter(appointment_id__in=ids).delete()
        Appointment.objects.filter(pk__in=ids).update(**ERASED_FIELDS, erased_at=now)
    return len(ids)


def erase_account(user: User, *, now: datetime) -> None:
    """Erase a resident's consultations and own details, and close the account.

    An inactive account cannot sign in, and its other sessions end with it (Django's
    authentication backend refuses inactive users).
    """
    with transaction.atomic():
        erase_appointments(Appointment.objects.filter(resident=user), now=now)
        if user.phone:
            Message.objects.filter(recipient=str(user.phone)).delete()
        AccessLog.objects.filter(resident=user).update(resident=None)
        SecurityEvent.objects.filter(user=user).update(user=None)
        WalkIn.objects.filter(resident=user).update(opposing_party="", opposing_party_phone="")
        user.display_name = ""
        user.village = ""
        user.phone = None
        user.phone_verified = False
        user.email = None
        user.consented_at = None
        user.pending_until = None
        user.is_active = False
        user.set_unusable_password()
        user.save()


def due_for_erasure(*, office: Office, now: datetime) -> QuerySet[Appointment]:
    """Consultations at ``office`` of residents whose last contact is past retention."""
    last_contact = (
        Appointment.objects.filter(resident=OuterRef("resident"), office=office)
        .values("resident")
        .annotate(last=Max("starts_at"))
        .values("last")
    )
    return (
        Appointment.objects.filter(office=office, erased_at__isnull=True)
        .annotate(last_contact=Subquery(last_contact))
        .filter(last_contact__lt=now - office.retention)
    )


def accounts_due_for_erasure(*, now: datetime) -> QuerySet:
    longest = max(Office.objects.values_list("retention_days", flat=True), default=730)
    cutoff = now - timedelta(days=longest)
    # Contact within the longest retention keeps the account; older consultations are
    # erased (or, in a dry run, would be) by each office's shorter or equal period.
    recent = Appointment.objects.filter(resident=OuterRef("pk"), starts_at__gte=cutoff)
    return (
        get_user_model()
        .objects.filter(role=Role.RESIDENT, is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .exclude(Exists(recent))
    )


def security_log_cutoff(*, now: datetime) -> datetime:
    """Rows of the access log and the security log older than this are deleted."""
    days = settings.SECURITY_LOG_DAYS
    if days < SECURITY_LOG_MIN_DAYS:  # the system check stops manage.py before this
        raise ImproperlyConfigured(f"SECURITY_LOG_DAYS must be at least {SECURITY_LOG_MIN_DAYS}.")
    return now - timedelta(days=days)


@dataclass
class RetentionReport:
    dry_run: bool
    appointments: dict[str, int] = field(default_factory=dict)  # office name → count
    accounts: int = 0
    access_log: int = 0
    security_log: int = 0

    def lines(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        lines = [
            f"{office}: {verb} the personal details of {count} consultation(s)"
            for office, count in self.appointments.items()
        ]
        lines.append(f"{verb} {self.accounts} resident account(s) with nothing left to keep")
        deleted = "would delete" if self.dry_run else "deleted"
        days = settings.SECURITY_LOG_DAYS
        lines.append(
            f"{deleted} {self.access_log} access-log row(s) and {self.security_log} "
            f"security event(s) older than {days} days"
        )
        return lines


def run_retention(*, now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
    """Erase (or, dry, count) everything past its office's retention period, and delete
    the rows of the access log and the security log past ``SECURITY_LOG_DAYS``."""
    now = now or timezone.now()
    report = RetentionReport(dry_run=dry_run)
    for office in Office.objects.order_by("name"):
        due = due_for_erasure(office=office, now=now)
        report.appointments[office.name] = (
            due.count() if dry_run else erase_appointments(due, now=now)
        )
    accounts = accounts_due_for_erasure(now=now)
    if dry_run:
        report.accounts = accounts.count()
    else:
        for user in accounts:
            erase_account(user, now=now)
            report.accounts += 1
    cutoff = security_log_cutoff(now=now)
    access_log = AccessLog.objects.filter(at__lt=cutoff)
    security_log = SecurityEvent.objects.filter(at__lt=cutoff)
    if dry_run:
        report.access_log, report.security_log = access_log.count(), security_log.count()
    else:
        with transaction.atomic():
            report.access_log, _ = access_log.delete()
            report.security_log, _ = security_log.delete()
        forget_stale_locks(now=now)
    return report
