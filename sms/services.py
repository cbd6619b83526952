"""Which messages are written to the outbox, and when they may go out.

Booking services call ``notify_*`` inside their own transaction, so an outbox row exists
exactly when the booking change does. Each row also enqueues its delivery task in that
transaction (the task queue is a database table too): nothing is lost between commit and
enqueue. Delivery re-checks everything (``skip_reason``) because a queued reminder is
never cancelled, only skipped. Sign-in codes go at any hour within the limits of
sms/code_limits.py, which count codes only: booking messages never keep anyone out.

Every message is checked against its registered template (sms/registry.py) before it is
queued; its values are made to fit by rule (the office's short name and place, dates as
month and day, the reference without its space). A message that still does not fit is
never sent: its row is written FAILED with ``error_code`` ``does_not_fit`` and the field
to shorten, and an error is logged, while the booking that caused it stands.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import dateformat, timezone, translation

from sms import code_limits, hooks, registry
from sms.hooks import Appointment
from sms.models import Kind, Message, MessageStatus
from sms.rules import end_of_quiet, reminder_time
from sms.tasks import deliver_message

logger = logging.getLogger(__name__)

LOGIN_CODE_MINUTES = registry.LOGIN_CODE_MINUTES
# A reminder due this soon after the confirmation would only repeat it.
REMINDER_MIN_GAP = dt.timedelta(hours=1)

# Messages that only make sense while their appointment stays as it was.
ABOUT_A_BOOKED_APPOINTMENT = (Kind.CONFIRMATION, Kind.REMINDER, Kind.RESCHEDULE)
SKIP_CANCELLED = "appointment no longer booked"
SKIP_CHANGED = "appointment changed since (sequence)"
SKIP_STARTED = "appointment already started"
SKIP_OPTED_OUT = "resident switched reminders off"
SKIP_CODE_EXPIRED = "sign-in code expired before it could be sent"


class SmsLimitReached(Exception):
    """A sign-in code refused by a limit (sms/code_limits.py); ``message`` says until when."""

    def __init__(self, refusal: code_limits.Refusal):
        self.refusal = refusal
        self.message = refusal.message
        super().__init__(self.message)


def _enqueue_delivery(message: Message) -> None:
    deliver_message.using(run_after=message.not_before).enqueue(message.pk)


@transaction.atomic
def queue_message(
    *,
    kind: str,
    template: str,
    recipient: str,
    params: dict,
    language: str,
    idempotency_key: str,
    not_before: dt.datetime,
    appointment: Appointment | None = None,
) -> Message:
    """Write one message to the outbox (once per key) and enqueue its delivery.

    A message whose values do not fit its registered template is written FAILED with the
    reason (``does_not_fit``) and not enqueued: never sent too long, never lost from view.
    """
    found = registry.problems(template, params)
    defaults = {
        "kind": kind,
        "template": template,
        "recipient": recipient,
        "params": params,
        "language": language,
        "not_before": not_before,
        "appointment": appointment,
        "appointment_sequence": appointment.sequence if appointment else None,
    }
    if found:
        defaults |= {
            "status": MessageStatus.FAILED,
            "error_code": registry.DOES_NOT_FIT,
            "error": f"{registry.DOES_NOT_FIT}: " + "; ".join(map(str, found)),
        }
    message, created = Message.objects.get_or_create(
        idempotency_key=idempotency_key, defaults=defaults
    )
    if created and found:
        logger.error("SMS %s (%s) not sent: %s", message.pk, template, defaults["error"])
    elif created:
        _enqueue_delivery(message)
    return message


def _quiet(office):
    return {"tz": office.tz, "start": office.quiet_hours_start, "end": office.quiet_hours_end}


def _language(user) -> str:
    return user.preferred_language or settings.LANGUAGE_CODE


def office_params(office) -> dict[str, str]:
    """The office's name, place and phone as the texts give them (sms/registry.py)."""
    return registry.fit_office(
        name=office.name, sms_name=office.sms_name, sms_place=office.sms_place, phone=office.phone
    )


def date_params(day: dt.date, language: str, *, prefix: str = "") -> dict[str, str]:
    """A day as the texts give it: month ("12", or "Dec" in English) and day of the month."""
    english = registry.language_of(language) == "en"
    month = _django_format(day, "M", "en") if english else str(day.month)
    return {f"{prefix}month": month, f"{prefix}day": str(day.day)}


def _django_format(day: dt.date, code: str, language: str) -> str:
    """Names of days and months from Django's own formats, as the pages show them (the
    ``date`` filter): "星期一" / "Mon", "Dec" — no table of names of our own."""
    with translation.override(language):
        return dateformat.format(day, code)


def appointment_params(appointment: Appointment, language: str) -> dict[str, str]:
    """Date, time, place, reference and signature in the resident's language."""
    office = appointment.office
    local = appointment.starts_at.astimezone(office.tz)
    language = registry.language_of(language)
    params = office_params(office)
    if appointment.mode == hooks.PHONE:
        with translation.override(language):
            params["place"] = str(appointment.get_mode_display())
    return {
        **date_params(local.date(), language),
        "weekday": _django_format(local.date(), "D", language),
        "time": local.strftime("%H:%M"),
        "reference": appointment.reference,  # digits only: "3817 2054" has a space
        **params,
    }


def _appointment_message(
    appointment: Appointment, *, kind: str, key: str, not_before: dt.datetime
) -> Message | None:
    resident = appointment.resident
    if not resident.phone:
        return None  # the desk gives people without a phone a printed slip
    language = _language(resident)
    template = f"{kind}_safe" if appointment.safe_contact else kind
    return queue_message(
        kind=kind,
        template=template,
        recipient=str(resident.phone),
        params=appointment_params(appointment, language),
        language=language,
        idempotency_key=f"{key}:{appointment.pk}:{appointment.sequence}",
        not_before=not_before,
        appointment=appointment,
    )


def _queue_reminders(appointment: Appointment, *, first_message_at: dt.datetime, now) -> None:
    if not appointment.resident.sms_reminders:
        return
    office = appointment.office
    for offset in office.reminder_offsets:
        at = reminder_time(
            appointment.starts_at - offset,
            starts_at=appointment.starts_at,
            now=now,
            **_quiet(office),
        )
        if at is None or at < first_message_at + REMINDER_MIN_GAP:
            continue
        hours = int(offset.total_seconds() // 3600)
        _appointment_message(
            appointment, kind=Kind.REMINDER, key=f"reminder-{hours}h", not_before=at
        )


def notify_booked(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """Confirmation now (or when quiet hours end) and the office's reminders."""
    now = now or timezone.now()
    at = end_of_quiet(now, **_quiet(appointment.office))
    _appointment_message(appointment, kind=Kind.CONFIRMATION, key="confirmation", not_before=at)
    _queue_reminders(appointment, first_message_at=at, now=now)


def notify_rescheduled(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """The new time, and reminders for it; reminders of the old time will be skipped."""
    now = now or timezone.now()
    at = end_of_quiet(now, **_quiet(appointment.office))
    _appointment_message(appointment, kind=Kind.RESCHEDULE, key="reschedule", not_before=at)
    _queue_reminders(appointment, first_message_at=at, now=now)


def notify_cancelled(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    at = end_of_quiet(now, **_quiet(appointment.office))
    _appointment_message(appointment, kind=Kind.CANCELLATION, key="cancellation", not_before=at)


def notify_follow_up(
    *, appointment: Appointment, by_date: dt.date, now: dt.datetime | None = None
) -> Message | None:
    """Invite the resident of ``appointment`` to book a follow-up before ``by_date``: the
    site's address (fixed text) and the code for the same area of law at the same office
    (booking/follow_up_codes.py), the office's areas only for a discreet invitation."""
    now = now or timezone.now()
    resident = appointment.resident
    if not resident.phone:
        return None
    office = appointment.office
    language = _language(resident)
    safe = appointment.safe_contact
    follow_up_code = hooks.provided("follow_up_code")
    code = follow_up_code(office_id=office.pk, topic_id=None if safe else appointment.topic_id)
    return queue_message(
        kind=Kind.FOLLOW_UP,
        template="follow_up_safe" if safe else "follow_up",
        recipient=str(resident.phone),
        params={
            **date_params(by_date, language, prefix="by_"),
            "booking_code": code,
            **office_params(office),
        },
        language=language,
        idempotency_key=f"follow-up:{appointment.pk}:{by_date.isoformat()}",
        not_before=end_of_quiet(now, **_quiet(office)),
        appointment=appointment,
    )


def check_login_code(
    *, phone: str, ip: str | None = None, known_browser: bool = False, now=None
) -> None:
    """Raise SmsLimitReached if a code to ``phone`` would be refused now; counts nothing.

    The sign-in forms ask before they register a new number, so that a refused number
    gets the same answer whether it has an account or not.
    """
    refused = code_limits.refusal(
        phone=phone, ip=ip, known_browser=known_browser, now=now or timezone.now()
    )
    if refused:
        raise SmsLimitReached(refused)


def send_login_code(
    *,
    phone: str,
    code: str,
    language: str,
    ip: str | None = None,
    known_browser: bool = False,
    now=None,
) -> Message:
    """Queue a sign-in code: at any hour, whatever the reminder setting, within the limits
    of sms/code_limits.py (``known_browser``: asked for from a browser that has signed in
    with the number before)."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    with transaction.atomic():
        # One code at a time per number: its account's row is the lock.
        list(get_user_model().objects.select_for_update().filter(phone=phone).values("pk"))
        check_login_code(phone=phone, ip=ip, known_browser=known_browser, now=now)
        message = queue_message(
            kind=Kind.LOGIN_CODE,
            template="login_code",
            recipient=phone,
            params={"code": code, **code_limits.marks(ip=ip, known_browser=known_browser)},
            language=language,
            idempotency_key=f"login-code:{phone}:{uuid.uuid4().hex}",
            not_before=now,
        )
        code_limits.record(ip=ip, now=now)
    return message


def skip_reason(message: Message, *, now: dt.datetime) -> str | None:
    """Why a due message must not be sent any more, or None to send it."""
    if message.kind == Kind.LOGIN_CODE:
        if now > message.created_at + dt.timedelta(minutes=LOGIN_CODE_MINUTES):
            return SKIP_CODE_EXPIRED  # a late code would only confuse
        return None
    appointment = message.appointment
    if message.kind not in ABOUT_A_BOOKED_APPOINTMENT or appointment is None:
        return None
    if appointment.status != hooks.BOOKED:
        return SKIP_CANCELLED
    if appointment.sequence != message.appointment_sequence:
        return SKIP_CHANGED
    if appointment.starts_at <= now:
        return SKIP_STARTED
    if message.kind == Kind.REMINDER and not appointment.resident.sms_reminders:
        return SKIP_OPTED_OUT
    return None


def next_allowed_time(message: Message, *, now: dt.datetime) -> dt.datetime:
    """``now``, or the end of the office's quiet hours (sign-in codes: always ``now``)."""
    if message.kind == Kind.LOGIN_CODE or message.appointment is None:
        return now
    return end_of_quiet(now, **_quiet(message.appointment.office))
