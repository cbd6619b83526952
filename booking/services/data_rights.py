"""A resident's rights over their data (PIPL): see it all, take it away, withdraw, delete.

- ``export_resident_data``: everything the system holds about the resident, as one
  structure for the "my data" page and its JSON download. Lawyers' private notes are
  the lawyers' working papers and are not included (the page says so).
- ``withdraw_consent``: the resident no longer agrees to the privacy notice. Their
  upcoming consultations are cancelled (without a message: they asked for silence), what
  they wrote about those matters is erased, and they can book again only by agreeing
  again.
- ``withdraw_matter_consent``: the resident no longer agrees that what they wrote about
  their matters and the other parties is kept (``Appointment.matter_consent_at``, asked
  on its own, PIPL art. 29): it is erased from their upcoming consultations, which stay
  booked. Past consultations keep it until the retention period ends (the office's
  record of the advice given, and the conflict check's), or until the account is
  deleted.
- ``delete_account``: as withdrawing, then every personal detail is erased
  (booking/services/retention.py) and the account closed; consultations stay only as
  the counts of the figures. The access log keeps its rows about them (who at the office
  saw which consultation, by reference) for ``SECURITY_LOG_DAYS``, no longer linked to
  the account.

Neither counts towards the booking cool-down.

Chapter: docs/trust.md#residents-data-rights.
"""

import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking.access_log import detail_labels
from booking.models import AccessLog, Appointment, Status
from booking.models.version import bump_schedule_version
from booking.services.appointments import lock_lawyers
from booking.services.retention import erase_account
from sms import selectors as sms_selectors
from sms.models import Message, MessageStatus
from sms.services import SKIP_CODE_EXPIRED, skip_reason

# The resident's own words where the office's would speak of "the resident" or of the
# office admin's work (sms/selectors.py words every other state).
YOU_SWITCHED_REMINDERS_OFF = _("you switched reminders off")
OFFICE_FAULT = _("a fault at the office; please call the office if you need the details")
CODE_EXPIRED = _("the code had expired before it could go")
RESIDENT_REASONS = {
    sms_selectors.Reason.OPTED_OUT: YOU_SWITCHED_REMINDERS_OFF,
    sms_selectors.Reason.DOES_NOT_FIT: OFFICE_FAULT,
}


def record_consent(*, user: User, now: datetime | None = None) -> None:
    """The resident ticked the privacy notice (each booking asks)."""
    if user.consented_at is None:
        user.consented_at = now or timezone.now()
        user.save(update_fields=["consented_at"])


# What erasing the details of a matter empties (the consent goes with them).
MATTER_DETAILS = {
    "summary": "",
    "opposing_party": "",
    "opposing_party_phone": "",
    "opposing_party_key": "",
    "matter_consent_at": None,
}


def _upcoming(user: User, *, now: datetime) -> QuerySet[Appointment]:
    return Appointment.objects.filter(resident=user, status=Status.BOOKED, starts_at__gt=now)


def _with_matter_details(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.exclude(
        summary="", opposing_party="", opposing_party_phone="", matter_consent_at__isnull=True
    )


def _cancel_upcoming(user: User, *, now: datetime, erase_matter: bool = False) -> int:
    upcoming = _upcoming(user, now=now)
    lock_lawyers(*upcoming.values_list("lawyer_id", flat=True))
    cancelled = 0
    for appointment in upcoming.select_for_update(of=("self",)):
        appointment.status = Status.CANCELLED
        appointment.cancelled_at = now
        appointment.sequence += 1
        fields = ["status", "cancelled_at", "sequence", "updated_at"]
        if erase_matter:
            for name, value in MATTER_DETAILS.items():
                setattr(appointment, name, value)
            fields += MATTER_DETAILS
        appointment.save(update_fields=fields)
        cancelled += 1
    if cancelled:
        bump_schedule_version()
    return cancelled


def withdraw_consent(*, user: User, now: datetime | None = None) -> int:
    """Withdraw agreement to the privacy notice; how many consultations were cancelled
    (what they said about the matter is erased with them)."""
    now = now or timezone.now()
    with transaction.atomic():
        cancelled = _cancel_upcoming(user, now=now, erase_matter=True)
        user.consented_at = None
        user.save(update_fields=["consented_at"])
    return cancelled


def count_matter_details_upcoming(*, user: User, now: datetime | None = None) -> int:
    """How many upcoming consultations keep something the resident wrote about the
    matter or the other party (what ``withdraw_matter_consent`` would erase)."""
    return _with_matter_details(_upcoming(user, now=now or timezone.now())).count()


def withdraw_matter_consent(*, user: User, now: datetime | None = None) -> int:
    """Erase what the resident wrote about the matter and the other party from their
    upcoming consultations, which stay booked; how many were changed.

    The lawyer's calendar never shows these details, so nothing else changes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        upcoming = _with_matter_details(_upcoming(user, now=now))
        ids = list(upcoming.select_for_update(of=("self",)).values_list("pk", flat=True))
        return Appointment.objects.filter(pk__in=ids).update(**MATTER_DETAILS, updated_at=now)


def delete_account(*, user: User, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        _cancel_upcoming(user, now=now)
        erase_account(user, now=now)


def export_resident_data(*, user: User) -> dict[str, Any]:
    """All the resident's data, in plain values (times as aware datetimes in the
    current time zone; ``as_json`` writes them as ISO 8601)."""
    appointments = (
        Appointment.objects.filter(resident=user)
        .select_related("office", "topic", "lawyer__user")
        .order_by("starts_at")
    )
    messages = (
        Message.objects.filter(recipient=str(user.phone))
        .select_related("appointment__office", "appointment__resident")
        .order_by("created_at", "pk")
        if user.phone
        else []
    )
    now = timezone.now()
    access = AccessLog.objects.filter(resident=user).select_related("office").order_by("-at")

    def when(value):
        return timezone.localtime(value) if value else None

    return {
        "account": {
            "name": user.display_name,
            "mobile_number": str(user.phone or ""),
            "mobile_number_verified": user.phone_verified,
            "village": user.village,
            "language": user.preferred_language,
            "sms_reminders": user.sms_reminders,
            "agreed_to_privacy_notice": when(user.consented_at),
            "registered": when(user.date_joined),
            "last_sign_in": when(user.last_login),
        },
        "consultations": [
            {
                "reference": appointment.display_reference,
                "office": appointment.office.name,
                "area_of_law": appointment.topic.name,
                "lawyer": str(appointment.lawyer.user),
                "starts": when(appointment.starts_at),
                "ends": when(appointment.ends_at),
                "mode": appointment.get_mode_display(),
                "status": appointment.get_status_display(),
                "booked_through": appointment.get_channel_display(),
                "what_it_is_about": appointment.summary,
                "other_party": appointment.opposing_party,
                "other_party_phone": str(appointment.opposing_party_phone or ""),
                "agreed_to_keep_matter_details": when(appointment.matter_consent_at),
                "needs_interpreter": appointment.needs_interpreter,
                "dialect": appointment.dialect,
                "accessibility_needs": appointment.accessibility_needs,
                "contact_discreetly": appointment.safe_contact,
                "booked": when(appointment.created_at),
                "cancelled": when(appointment.cancelled_at),
                "checked_in": when(appointment.checked_in_at),
                "personal_details_erased": when(appointment.erased_at),
            }
            for appointment in appointments
        ],
        "text_messages": [
            {
                "kind": message.get_kind_display(),
                "status": message.get_status_display(),
                "what_became_of_it": text_words(message, now=now),
                "about": message.appointment.display_reference if message.appointment else "",
                "written": when(message.created_at),
                "sent": when(message.sent_at),
            }
            for message in messages
        ],
        "seen_by_staff": [
            {
                "who": entry.viewer_name,
                "role": entry.viewer_role,
                "office": entry.office.name if entry.office else "",
                "where": entry.get_place_display(),
                "what": detail_labels(entry.details),
                "first_seen_that_day": when(entry.at),
            }
            for entry in access
        ],
    }


def text_words(message: Message, *, now: datetime) -> str:
    """What became of a text, in words for the resident it went to: "Reminder text not
    sent: the appointment was cancelled", "Confirmation text delivered", "Reminder text
    goes tomorrow after 09:00".

    A text still queued that the worker will skip when its time comes (its appointment
    cancelled or moved since, or reminders switched off: sms/services.py
    ``skip_reason``, the worker's own rule) is worded as not sent already, with the
    reason. ``message.appointment`` is read with its office and resident.
    """
    row = {name: getattr(message, name) for name in sms_selectors.COLUMNS}
    appointment = message.appointment
    if message.status == MessageStatus.QUEUED and appointment is not None:
        reason = skip_reason(message, now=now)
        if reason:
            row |= {"status": MessageStatus.SKIPPED, "error": reason}
    tz = appointment.office.tz if appointment is not None else timezone.get_current_timezone()
    state = sms_selectors.describe(row, now=now, tz=tz)
    own = RESIDENT_REASONS.get(state.reason) if state.reason is not None else None
    if row["status"] == MessageStatus.SKIPPED and row["error"] == SKIP_CODE_EXPIRED:
        own = CODE_EXPIRED
    if own is None:
        return state.words
    return sms_selectors.LINE % {"text": state.name, "phase": state.phase.label, "reason": own}


def as_json(data: dict) -> str:
    def encode(value):
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)  # lazy translations

    return json.dumps(data, ensure_ascii=False, indent=2, default=encode)
