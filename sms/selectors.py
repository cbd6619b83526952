"""What became of the texts about appointments, in words a clerk understands.

The desk's day sheet and a lawyer's appointment page show, per appointment, the texts
that did not reach the resident or have not gone yet, so that someone can phone them;
the office admin's outbox (sms/admin.py) gives today's failed texts the same words; the
pages that promise a text say when it goes (``get_send_time``). The reading, the
providers' codes put into a short list of reasons, and the words are all here.

A reason comes from ``Message.error_code`` (the provider's code: Alibaba's ``isv.…``,
Tencent's ``….…``, Twilio's numbers, a carrier's state in a delivery report), else from
the code at the head of ``Message.error`` (rows written before ``error_code`` existed),
else from the provider's own words in it (空号, 关机, …); a skipped text's reason is the
worker's skip reason (sms/services.py). Only the outbox's own columns are read: never the
number, the parameters or anything of the matter.

Known limits: carriers' codes in delivery reports are many and differ by carrier and
province; the table below holds the common ones, and any other code whose words do not
say more is shown as "reason unknown" (the text still shows as not delivered).
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Max
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sms.models import Kind, Message, MessageStatus
from sms.rules import end_of_quiet
from sms.services import SKIP_CANCELLED, SKIP_CHANGED, SKIP_OPTED_OUT, SKIP_STARTED


class Reason(models.TextChoices):
    NUMBER_INVALID = "number_invalid", _("the number does not exist")
    NOT_MOBILE = "not_mobile", _("the number is not a mobile phone")
    UNREACHABLE = "unreachable", _("the phone is switched off or out of reach")
    LIMIT = "limit", _("the provider's limit of texts to this number")
    BLOCKED = "blocked", _("blocked as spam or for its content")
    DOES_NOT_FIT = (
        "does_not_fit",
        _("the office's details do not fit in a text (the office admin must shorten them)"),
    )
    PROVIDER = "provider", _("a fault at the text provider")
    UNKNOWN = "unknown", _("reason unknown")
    QUIET_HOURS = "quiet_hours", _("quiet hours")
    SCHEDULED = "scheduled", _("scheduled")
    CANCELLED = "cancelled", _("the appointment was cancelled")
    MOVED = "moved", _("the appointment was moved")
    STARTED = "started", _("the appointment had already begun")
    OPTED_OUT = "opted_out", _("the resident switched reminders off")


class Phase(models.TextChoices):
    # In context: "sent" and "delivered" alone are also the outbox's column names.
    NOT_DELIVERED = "not_delivered", pgettext_lazy("text state", "not delivered")
    NOT_SENT = "not_sent", pgettext_lazy("text state", "not sent")
    WAITING = "waiting", pgettext_lazy("text state", "not yet sent")
    ON_ITS_WAY = "on_its_way", pgettext_lazy("text state", "still on its way")
    SENT = "sent", pgettext_lazy("text state", "sent")
    DELIVERED = "delivered", pgettext_lazy("text state", "delivered")


#: What each kind of text is called on the office's pages.
TEXT_NAMES: dict[str, Promise] = {
    Kind.CONFIRMATION: _("Confirmation text"),
    Kind.REMINDER: _("Reminder text"),
    Kind.CANCELLATION: _("Cancellation text"),
    Kind.RESCHEDULE: _("New-time text"),
    Kind.FOLLOW_UP: _("Follow-up invitation text"),
    Kind.SUMMARY: _("Daily figures text"),
    Kind.LOGIN_CODE: _("Sign-in code text"),
}
LINE = _("%(text)s %(phase)s: %(reason)s")
LINE_WITHOUT_REASON = _("%(text)s %(phase)s")
LINE_SCHEDULED = _("%(text)s goes %(when)s")
STATE = _("%(phase)s: %(reason)s")
GOES = _("%(reason)s, goes %(when)s")
TRIES_AGAIN = _("%(reason)s, tries again %(when)s")
AFTER = _("after %(time)s")
TOMORROW_AFTER = _("tomorrow after %(time)s")
ON_DAY_AFTER = _("on %(date)s after %(time)s")

# The providers' codes ------------------------------------------------------------------
# Alibaba: help.aliyun.com/document_detail/101346.html (SendSms) and the delivery receipt
# codes; Tencent: cloud.tencent.com/document/api/382/59177 and the report states of
# tencentcloud.com/document/product/382/35462; Twilio: twilio.com/docs/api/errors.
_CODES: dict[Reason, tuple[str, ...]] = {
    Reason.NUMBER_INVALID: (
        "isv.MOBILE_NUMBER_ILLEGAL",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberParseFail",
        "MissingParameter.EmptyPhoneNumberSet",
        "21211",  # Twilio: invalid 'To' number
        "30005",  # Twilio: unknown destination handset
        "SUBFAIL",  # report: the carrier refused the number
        "MK:0001",  # carriers: no such subscriber (空号)
        "DB:0101",
        "CB:0053",
        "MI:0073",
        "MI:0210",
    ),
    Reason.NOT_MOBILE: (
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "21614",  # Twilio: not a mobile number
        "30006",  # Twilio: landline or unreachable carrier
    ),
    Reason.UNREACHABLE: (
        "30003",  # Twilio: unreachable destination handset
        "UNDELIV",  # report: switched off, out of service
        "EXPIRED",  # report: not reached before the carrier gave up
        "DELETED",
        "MK:0005",  # carriers: suspended (停机)
        "MK:0010",
        "MK:0013",
        "MK:0023",  # switched off
        "DB:0102",
        "MI:0024",
        "MI:0042",
        "MI:0076",
        "MI:0082",
    ),
    Reason.LIMIT: (
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "LimitExceeded.PhoneNumberDailyLimit",
        "LimitExceeded.PhoneNumberOneHourLimit",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberSameContentDailyLimit",
        "LimitExceeded.DeliveryFrequencyLimit",
        "30022",  # Twilio: rate limits exceeded
        "30023",  # Twilio: daily cap reached
        "DB:0142",
        "MK:1041",
        "BEYONDD",
    ),
    Reason.BLOCKED: (
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "FailedOperation.PhoneNumberInBlacklist",  # the resident unsubscribed
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameter.DirtyWordFound",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ContentLengthLimit",
        "21610",  # Twilio: the recipient replied STOP
        "30004",  # Twilio: message blocked
        "30007",  # Twilio: filtered as spam
        "30034",
        "REJECTD",  # report: refused by the carrier (keywords, unregistered signature)
        "DB:0144",
        "MK:0115",
        "MBBLACK",
        "DBBLACK",
        "BLACK",
    ),
    # Ours (sms/registry.py): a value too long or of the wrong type, never sent.
    Reason.DOES_NOT_FIT: ("does_not_fit",),
    Reason.PROVIDER: (
        # Ours (sms/backends/): the request never got an answer, or was never made.
        "timeout",
        "network_error",
        "server_error",
        "sdk_error",
        "bad_response",
        "template_id_missing",
        "sign_name_safe_missing",
        "param_missing",
        # The account, its templates and signatures: the office's setup, not the phone.
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.EXTEND_CODE_ERROR",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isp.SYSTEM_ERROR",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.MissingSignatureList",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateIdNotExist",
        "FailedOperation.TemplateUnapprovedOrNotExist",
        "FailedOperation.MissingTemplateList",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "InvalidParameterValue.SdkAppIdNotExist",
        "LimitExceeded.AppDailyLimit",
        "LimitExceeded.AppGlobalDailyLimit",
        "LimitExceeded.AppMainlandChinaDailyLimit",
        "LimitExceeded.PhoneNumberCountLimit",
        "30001",  # Twilio: queue overflow
        "30002",  # Twilio: account suspended
        "30008",  # Twilio: unknown error
        "UNKNOWN",  # report: the carrier did not say
        "COMFAIL",
        "WTNFAIL",
    ),
}
REASON_BY_CODE = {code: reason for reason, codes in _CODES.items() for code in codes}
# Whole families of codes: Tencent's and Alibaba's own faults, carriers' number states.
REASON_BY_PREFIX = (
    ("InternalError.", Reason.PROVIDER),
    ("AuthFailure.", Reason.PROVIDER),
    ("UnauthorizedOperation.", Reason.PROVIDER),
    ("isp.", Reason.PROVIDER),
    ("MK:", Reason.UNREACHABLE),
    ("MN:", Reason.UNREACHABLE),
    ("MI:", Reason.UNREACHABLE),
    ("LT:", Reason.UNREACHABLE),
)
# The provider's own words, for codes not in the table (first match wins).
REASON_BY_WORDS = (
    (("空号", "号码不存在", "empty number", "invalid number", "does not exist"),
     Reason.NUMBER_INVALID),
    (("非手机", "固话", "landline", "not a mobile"), Reason.NOT_MOBILE),
    (("关机", "停机", "不在服务区", "无法接通", "switched off", "powered off", "unreachable"),
     Reason.UNREACHABLE),
    (("频率", "超限", "上限", "流控", "limit"), Reason.LIMIT),
    (("黑名单", "拦截", "屏蔽", "敏感词", "退订", "blacklist", "blocked", "spam"), Reason.BLOCKED),
)  # fmt: skip
SKIP_REASONS = {
    SKIP_CANCELLED: Reason.CANCELLED,
    SKIP_CHANGED: Reason.MOVED,
    SKIP_STARTED: Reason.STARTED,
    SKIP_OPTED_OUT: Reason.OPTED_OUT,
}
_GAVE_UP = re.compile(r"^gave up after \d+ attempts: ")

#: Kinds sent at once (after quiet hours); a reminder waits for its time.
SENT_AT_ONCE = (Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION, Kind.FOLLOW_UP)
# Skips that are no news: the resident got the cancellation or the new time instead.
EXPECTED_SKIPS = (Reason.CANCELLED, Reason.MOVED, Reason.OPTED_OUT)
COLUMNS = (
    "pk",
    "appointment_id",
    "kind",
    "status",
    "attempts",
    "not_before",
    "sent_at",
    "error",
    "error_code",
    "idempotency_key",
)


def reason_for(*, error_code: str, error: str) -> Reason:
    """The reason of a failure, from the provider's code or, failing that, its words."""
    text = _GAVE_UP.sub("", error or "")
    code = (error_code or text.split(": ", 1)[0]).strip()
    if code in REASON_BY_CODE:
        return REASON_BY_CODE[code]
    lowered = text.lower()
    for words, reason in REASON_BY_WORDS:
        if any(word in lowered for word in words):
            return reason
    for prefix, reason in REASON_BY_PREFIX:
        if code.startswith(prefix):
            return reason
    return Reason.UNKNOWN


def when_words(at: dt.datetime, *, now: dt.datetime, tz: dt.tzinfo) -> str:
    """``at`` as "after 08:00", "tomorrow after 08:00" or "on 9 December after 08:00"."""
    local = at.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    time = f"{local:%H:%M}"
    if days <= 0:
        return AFTER % {"time": time}
    if days == 1:
        return TOMORROW_AFTER % {"time": time}
    return ON_DAY_AFTER % {"date": formats.date_format(local, "MONTH_DAY_FORMAT"), "time": time}


@dataclass(frozen=True)
class TextState:
    """One text about an appointment: where it stands, why, and the words for it."""

    message_id: int
    appointment_id: int | None
    kind: str
    phase: Phase
    reason: Reason | None
    at: dt.datetime | None  # when a waiting text goes
    now: dt.datetime
    tz: dt.tzinfo
    slot: str  # what the text is for: "confirmation", "reminder-24h", …

    @property
    def shown(self) -> bool:
        """Whether the office's pages show it: failed, waiting when it should be going,
        on its way, or skipped when the resident got nothing instead."""
        if self.phase == Phase.NOT_DELIVERED:
            return True
        if self.phase == Phase.NOT_SENT:
            return self.kind != Kind.REMINDER or self.reason not in EXPECTED_SKIPS
        if self.phase == Phase.WAITING:
            return self.kind in SENT_AT_ONCE or self.reason not in (Reason.SCHEDULED,)
        return self.phase == Phase.ON_ITS_WAY

    @property
    def alarm(self) -> bool:
        """Whether the resident may have missed it: someone should phone them."""
        failed = self.phase in (Phase.NOT_DELIVERED, Phase.NOT_SENT)
        return failed and self.reason not in EXPECTED_SKIPS

    @property
    def name(self) -> str:
        return str(TEXT_NAMES.get(self.kind, Kind(self.kind).label))

    @property
    def reason_words(self) -> str:
        if self.reason is None:
            return ""
        if self.at is None or self.phase != Phase.WAITING:
            return str(self.reason.label)
        when = when_words(self.at, now=self.now, tz=self.tz)
        words = GOES if self.reason in (Reason.QUIET_HOURS, Reason.SCHEDULED) else TRIES_AGAIN
        return words % {"reason": self.reason.label, "when": when}

    @property
    def state_words(self) -> str:
        """Without the name of the text: "not delivered: the number does not exist"."""
        if not self.reason_words:
            return str(self.phase.label)
        return STATE % {"phase": self.phase.label, "reason": self.reason_words}

    @property
    def words(self) -> str:
        """The whole line: "Confirmation text not delivered: the number does not exist"."""
        if self.reason == Reason.SCHEDULED and self.at is not None:
            return LINE_SCHEDULED % {
                "text": self.name,
                "when": when_words(self.at, now=self.now, tz=self.tz),
            }
        if not self.reason_words:
            return LINE_WITHOUT_REASON % {"text": self.name, "phase": self.phase.label}
        return LINE % {"text": self.name, "phase": self.phase.label, "reason": self.reason_words}


def describe(row: dict, *, now: dt.datetime, tz: dt.tzinfo) -> TextState:
    """The state of one outbox row (a dict of ``COLUMNS``, or a Message's fields)."""
    status = row["status"]
    reason: Reason | None = None
    at = None
    if status == MessageStatus.DELIVERED:
        phase = Phase.DELIVERED
    elif status == MessageStatus.SENT:
        phase = Phase.SENT
    elif status == MessageStatus.SENDING:
        phase = Phase.ON_ITS_WAY
    elif status == MessageStatus.SKIPPED:
        phase = Phase.NOT_SENT
        reason = SKIP_REASONS.get(row["error"], Reason.UNKNOWN)
    elif status == MessageStatus.FAILED:
        phase = Phase.NOT_DELIVERED if row["sent_at"] else Phase.NOT_SENT
        reason = reason_for(error_code=row["error_code"], error=row["error"])
    elif row["not_before"] <= now:
        phase = Phase.ON_ITS_WAY  # due: the worker has not come to it yet
    else:
        phase, at = Phase.WAITING, row["not_before"]
        if row["error"] or row["error_code"]:
            reason = reason_for(error_code=row["error_code"], error=row["error"])
        elif row["kind"] in SENT_AT_ONCE:
            reason = Reason.QUIET_HOURS  # only quiet hours hold these back
        else:
            reason = Reason.SCHEDULED
    return TextState(
        message_id=row["pk"],
        appointment_id=row["appointment_id"],
        kind=row["kind"],
        phase=phase,
        reason=reason,
        at=at,
        now=now,
        tz=tz,
        slot=row["idempotency_key"].split(":", 1)[0],
    )


def describe_message(message: Message, *, now: dt.datetime, tz: dt.tzinfo) -> TextState:
    return describe({name: getattr(message, name) for name in COLUMNS}, now=now, tz=tz)


def list_message_states(
    appointment_ids: Iterable[int], *, now: dt.datetime, tz: dt.tzinfo
) -> dict[int, list[TextState]]:
    """Every text about each of ``appointment_ids``, oldest first: one query."""
    ids = list(appointment_ids)
    if not ids:
        return {}
    rows = (
        Message.objects.filter(appointment_id__in=ids)
        .exclude(kind=Kind.LOGIN_CODE)
        .order_by("appointment_id", "pk")
        .values(*COLUMNS)
    )
    states: dict[int, list[TextState]] = {}
    for row in rows:
        states.setdefault(row["appointment_id"], []).append(describe(row, now=now, tz=tz))
    return states


def list_text_notices(
    appointment_ids: Iterable[int], *, now: dt.datetime, tz: dt.tzinfo
) -> dict[int, list[TextState]]:
    """What the office's pages show about each appointment's texts (one query): of each
    text's latest version (a moved appointment's new reminder replaces the old one), those
    that failed, wait or are on their way."""
    notices = {}
    for appointment_id, states in list_message_states(appointment_ids, now=now, tz=tz).items():
        latest = {state.slot: state for state in states}  # oldest first: the last one wins
        shown = [state for state in latest.values() if state.shown]
        if shown:
            notices[appointment_id] = shown
    return notices


@dataclass(frozen=True)
class SendTime:
    """When a promised text goes: at once, or after the office's quiet hours."""

    at: dt.datetime
    later: bool
    when: str  # "after 08:00", "tomorrow after 08:00"


def get_send_time(
    *, appointment_ids: Iterable[int], kind: str, now: dt.datetime, tz: dt.tzinfo
) -> SendTime | None:
    """When the ``kind`` texts just queued for ``appointment_ids`` go (the last of them),
    from their ``not_before``; None when none was queued (no mobile number). One query."""
    at = Message.objects.filter(appointment_id__in=list(appointment_ids), kind=kind).aggregate(
        at=Max("not_before")
    )["at"]
    if at is None:
        return None
    return SendTime(at=at, later=at > now, when=when_words(at, now=now, tz=tz))


def get_first_send_time(*, office, now: dt.datetime) -> SendTime:
    """When a text about ``office``'s appointment queued ``now`` would go: at once, or
    when the office's quiet hours end (as sms.services queues it). No query."""
    tz = office.tz
    at = end_of_quiet(now, tz=tz, start=office.quiet_hours_start, end=office.quiet_hours_end)
    return SendTime(at=at, later=at > now, when=when_words(at, now=now, tz=tz))
