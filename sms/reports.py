"""Delivery reports: what a provider later learns from the carrier about a sent message.

Alibaba Cloud and Tencent Cloud push reports in batches to sms/views.py, Twilio one status
at a time to the ``StatusCallback`` given with each message; the ``parse_*`` functions
turn them into ``DeliveryReport`` objects (pure, no database) and
``record_delivery_reports`` settles the matching outbox rows: DELIVERED, or FAILED with
the provider's code in ``Message.error_code`` (what the office's pages put into words)
and its code and text in ``Message.error``.

Rules:

- A report is matched on the provider's own id for the message (Alibaba ``biz_id``,
  Tencent ``sid``) or, for Alibaba, on its ``out_id``: ``Message.out_id``, random, made
  by the worker before the message goes out and sent only to the provider. It finds a
  message whose send timed out in the worker although Alibaba accepted it. The
  idempotency key (``reminder-24h:<id>:<seq>``, guessable) is never matched.
- Only a row handed to that very provider is settled: status SENDING or SENT, and
  ``backend`` the provider's backend. A report naming a row in any other state (a
  queued reminder, a message sent through another provider) is refused: nothing
  changes, and a ``callback_refused`` security event says which rows, by number.
- Only a row not settled yet changes: DELIVERED and FAILED are final, so a late,
  repeated or contradicting report does not flip them.
- A report for an id this outbox does not know (another system on the same account, a row
  deleted since) is ignored; the provider is still told the batch arrived, so that it does
  not push it again and again.
- Twilio reports every status change; only ``delivered`` (and ``read``) and ``failed`` /
  ``undelivered`` settle a row, the others (queued, sending, sent, accepted, …) are
  acknowledged and change nothing. Twilio signs its requests (``X-Twilio-Signature``,
  checked in sms/views.py) and posts only to the URL given with our own messages, so a
  signed report about a message this outbox does not know is refused too.
- Neither Chinese provider signs its reports: Alibaba's SmsReport push is a bare JSON array
  (help.aliyun.com/document_detail/101867.html) and Tencent's status callback likewise
  (tencentcloud.com/document/api/382/43547); neither documents a signature header.
  What protects the callbacks is the secret URL (``SMS_CALLBACK_TOKEN``), the optional
  allow-list of addresses (``SMS_CALLBACK_ALLOWED_NETWORKS``), and the matching above: a
  forged report can settle only a message already handed to that provider.

Known limits: Alibaba gives every number of a batch send the same ``biz_id``; the backends
send one number per request, so here an id names one message. Tencent's report carries
no context of ours, so a Tencent send that timed out cannot be settled by its report.
A backend is recognised by its module and class name: a subclass configured under
another name is not taken for the provider's.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms import hooks
from sms.models import Message, MessageStatus, mask_number

logger = logging.getLogger(__name__)

#: Both providers report local times of the Chinese mainland, without a zone.
PROVIDER_TIME_ZONE = ZoneInfo("Asia/Shanghai")
PROVIDER_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
FINAL_STATUSES = (MessageStatus.DELIVERED, MessageStatus.FAILED)
#: A report may settle only rows in these states: handed to the provider, not settled.
HANDED_TO_PROVIDER = (MessageStatus.SENDING, MessageStatus.SENT)

# Why a callback request was refused (security event details; never the token itself).
WRONG_TOKEN = "wrong token"  # noqa: S105 (a reason, not a secret)
ADDRESS_NOT_ALLOWED = "right token, from an address not in SMS_CALLBACK_ALLOWED_NETWORKS"
WRONG_SIGNATURE = "right token, X-Twilio-Signature missing or wrong"
NO_TWILIO_ACCOUNT = "right token, but SMS_OPTIONS has no Twilio auth_token to check it"
NOT_HANDED = "report for a message not handed to this provider"
UNKNOWN_MESSAGE = "signed report for a message this outbox does not know"
#: The longest provider id or error code a row keeps (the model's fields).
# (Both are CharFields, whose max_length is never None.)
ID_MAX_LENGTH = cast(int, Message._meta.get_field("provider_message_id").max_length)
ERROR_CODE_MAX_LENGTH = cast(int, Message._meta.get_field("error_code").max_length)
#: Twilio's statuses that settle a row; the others are steps on the way.
TWILIO_DELIVERED = frozenset({"delivered", "read"})
TWILIO_FAILED = frozenset({"failed", "undelivered"})
#: Twilio's names for the delivery errors of its reports (twilio.com/docs/api/errors).
TWILIO_ERRORS = {
    "30001": "Queue overflow",
    "30002": "Account suspended",
    "30003": "Unreachable destination handset",
    "30004": "Message blocked",
    "30005": "Unknown destination handset",
    "30006": "Landline or unreachable carrier",
    "30007": "Message filtered",
    "30008": "Unknown error",
    "30009": "Missing segment",
    "30010": "Message price exceeds max price",
}
#: A refused request from one address is written to the security log once in this time
#: (each one is logged): enough to see an attack, not enough to fill the table.
REFUSALS_RECORDED_EVERY = 600  # seconds


class MalformedReport(ValueError):
    """The payload is not a batch of reports as the provider documents them."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    delivered: bool
    error: str = ""  # the provider's code and message when not delivered
    error_code: str = ""  # the provider's code alone (MK:0001, 30003), when not delivered
    at: dt.datetime | None = None  # when the phone received it, as the provider says
    out_id: str = ""  # Alibaba's out_id: our Message.out_id, when it is there


def parse_alibaba(payload) -> list[DeliveryReport]:
    """Alibaba's SmsReport push: ``[{"biz_id", "out_id", "success", "err_code", …}]``."""
    reports = []
    for item in _items(payload):
        success = item.get("success")
        if isinstance(success, str) and success.lower() in {"true", "false"}:
            success = success.lower() == "true"
        if not isinstance(success, bool):
            raise MalformedReport("success must be true or false")
        reports.append(
            DeliveryReport(
                provider_message_id=_id(item, "biz_id"),
                delivered=success,
                error="" if success else _error(item.get("err_code"), item.get("err_msg")),
                error_code="" if success else _code(item.get("err_code")),
                at=_time(item.get("report_time")),
                out_id=_text(item.get("out_id")),
            )
        )
    return reports


def parse_tencent(payload) -> list[DeliveryReport]:
    """Tencent's status callback: ``[{"sid", "report_status", "errmsg", …}]``.

    A ``report_status`` other than SUCCESS or FAIL is skipped, not refused: refusing
    would make Tencent push the whole batch again.
    """
    reports = []
    for item in _items(payload):
        status = item.get("report_status")
        if not isinstance(status, str):
            raise MalformedReport("report_status must be a string")
        sid = _id(item, "sid")
        if status not in {"SUCCESS", "FAIL"}:
            logger.warning("Tencent report with unknown report_status %r skipped", status)
            continue
        delivered = status == "SUCCESS"
        reports.append(
            DeliveryReport(
                provider_message_id=sid,
                delivered=delivered,
                error="" if delivered else _error(item.get("errmsg"), item.get("description")),
                error_code="" if delivered else _code(item.get("errmsg")),
                at=_time(item.get("user_receive_time")),
            )
        )
    return reports


def parse_twilio(params: Mapping[str, str], *, out_id: str = "") -> DeliveryReport | None:
    """Twilio's status callback (form fields ``MessageSid``, ``MessageStatus``,
    ``ErrorCode``, …); None for a status that settles nothing. ``out_id`` is the one in
    the callback's URL (``status_callback_url``), signed with it."""
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = params.get("MessageStatus") or params.get("SmsStatus")
    if not sid or not status:
        raise MalformedReport("MessageSid and MessageStatus are required")
    sid, status, out_id = _text(sid), _text(status).lower(), _text(out_id)
    if len(sid) > ID_MAX_LENGTH:
        raise MalformedReport("MessageSid is too long")
    if status not in TWILIO_DELIVERED | TWILIO_FAILED:
        logger.info("Twilio status %r for %s: not settled yet", status[:40], sid)
        return None
    if status in TWILIO_DELIVERED:
        return DeliveryReport(provider_message_id=sid, delivered=True, out_id=out_id)
    code = _code(params.get("ErrorCode"))
    return DeliveryReport(
        provider_message_id=sid,
        delivered=False,
        error=_error(code, TWILIO_ERRORS.get(code, status)),
        error_code=code,
        out_id=out_id,
    )


@transaction.atomic
def record_delivery_reports(
    *,
    reports: Sequence[DeliveryReport],
    backend: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
    unknown_refused: bool = False,
) -> int:
    """Settle the rows the reports are about, if ``backend`` sent them; how many changed.

    ``backend`` is the provider's backend as ``Message.backend`` records it (module and
    class); ``ip`` the address the batch came from, for the security log.
    ``unknown_refused``: a report about no row of the outbox is refused (a security
    event) rather than ignored, for a provider that reports only on our own messages.
    """
    now = now or timezone.now()
    ids = {report.provider_message_id for report in reports if report.provider_message_id}
    out_ids = {report.out_id for report in reports if report.out_id}
    if not ids and not out_ids:
        return 0
    # One query, locked in primary-key order: two batches arriving together wait for each
    # other instead of deadlocking, and a worker finishing a send waits for this one.
    # Rows of another backend are read too, so that a report naming them is seen.
    rows = list(
        Message.objects.select_for_update()
        .filter(Q(provider_message_id__in=ids) | Q(out_id__in=out_ids))
        .order_by("pk")
    )
    by_provider_id: dict[str, list[Message]] = {}
    by_out_id: dict[str, Message] = {}
    for row in rows:
        if row.provider_message_id:
            by_provider_id.setdefault(row.provider_message_id, []).append(row)
        if row.out_id:
            by_out_id[row.out_id] = row

    changed = 0
    refused: list[Message] = []
    unknown: list[DeliveryReport] = []
    for report in reports:
        targets = list(by_provider_id.get(report.provider_message_id, []))
        by_ours = by_out_id.get(report.out_id) if report.out_id else None
        if by_ours is not None and by_ours not in targets:
            targets.append(by_ours)
        if not targets and unknown_refused:
            unknown.append(report)
        for message in targets:
            if message.status in FINAL_STATUSES:
                continue  # a repeated or late report: nothing to do, nothing wrong
            if message.status not in HANDED_TO_PROVIDER or message.backend != backend:
                refused.append(message)
                continue
            changed += _settle(message, report, now=now)
    if refused:
        _record_refused_reports(refused, backend=backend, ip=ip, at=now)
    if unknown:
        _record_unknown_reports(unknown, backend=backend, ip=ip, at=now)
    logger.info(
        "sms delivery reports: %d received, %d rows settled, %d refused",
        len(reports),
        changed,
        len(refused) + len(unknown),
    )
    return changed


def _settle(message: Message, report: DeliveryReport, *, now: dt.datetime) -> int:
    fields = ["status", "updated_at"]
    if report.delivered:
        message.status = MessageStatus.DELIVERED
        message.delivered_at = report.at or now
        fields.append("delivered_at")
        # What an earlier attempt left (a timeout before the provider's answer) is over.
        if message.error or message.error_code:
            message.error = message.error_code = ""
            fields += ["error", "error_code"]
    else:
        message.status = MessageStatus.FAILED
        message.error = report.error
        message.error_code = report.error_code
        fields += ["error", "error_code"]
    if not message.provider_message_id and report.provider_message_id:
        message.provider_message_id = report.provider_message_id
        fields.append("provider_message_id")
    # Only these fields change, to values of a fixed set or the provider's own text, so
    # full_clean() (a uniqueness query per row) would check nothing that can go wrong.
    message.save(update_fields=fields)
    return 1


def _record_refused_reports(
    messages: list[Message], *, backend: str, ip: str | None, at: dt.datetime
) -> None:
    rows = ", ".join(
        f"{message.pk} ({message.status}"
        + (f", {_short_backend(message.backend)}" if message.backend != backend else "")
        + ")"
        for message in messages
    )
    details = f"{NOT_HANDED} ({_short_backend(backend)}): {rows}"
    logger.warning("sms delivery report refused from %s: %s", ip or "unknown address", details)
    # The number the first of them was for, masked: who was aimed at, not whom to call.
    _write_event(identifier=mask_number(messages[0].recipient), ip=ip, details=details, at=at)


def _record_unknown_reports(
    reports: list[DeliveryReport], *, backend: str, ip: str | None, at: dt.datetime
) -> None:
    ids = ", ".join(report.provider_message_id[:40] for report in reports)
    details = f"{UNKNOWN_MESSAGE} ({_short_backend(backend)}): {ids}"
    logger.warning("sms delivery report refused from %s: %s", ip or "unknown address", details)
    _write_event(identifier="", ip=ip, details=details, at=at)


def record_refused_callback(*, provider: str, reason: str, ip: str | None) -> None:
    """A callback request refused before any report was read (token or address).

    Logged each time; written to the security log once per address, reason and
    ``REFUSALS_RECORDED_EVERY`` seconds. Nothing of the URL is kept: it holds the token.
    """
    details = f"{provider}: {reason}"
    logger.warning("sms callback refused from %s: %s", ip or "unknown address", details)
    seen = hashlib.sha256(f"{ip}|{provider}|{reason}".encode()).hexdigest()[:32]
    if cache.add(f"sms:callback-refused:{seen}", 1, REFUSALS_RECORDED_EVERY):
        _write_event(identifier="", ip=ip, details=details, at=timezone.now())


def _write_event(*, identifier: str, ip: str | None, details: str, at: dt.datetime) -> None:
    record = hooks.provided("record_security_event")  # accounts' security log
    record(kind="callback_refused", at=at, identifier=identifier, ip=ip, details=details[:300])


def _short_backend(path: str) -> str:
    return path.rsplit(".", 1)[-1] or "no backend"


def _items(payload) -> Iterable[dict]:
    if not isinstance(payload, list):
        raise MalformedReport("a report batch is a JSON array")
    for item in payload:
        if not isinstance(item, dict):
            raise MalformedReport("each report is a JSON object")
        yield item


def _id(item: dict, name: str) -> str:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise MalformedReport(f"{name} is missing")
    text = _text(value)
    if len(text) > ID_MAX_LENGTH:  # no provider's id is; the row could not keep it
        raise MalformedReport(f"{name} is too long")
    return text


def _text(value) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:  # no provider sends one; PostgreSQL could not store it
        raise MalformedReport("NUL character in a report")
    return text


def _code(value) -> str:
    """The provider's error code as the row keeps it (at most its field's length)."""
    return _text(value).strip()[:ERROR_CODE_MAX_LENGTH]


def _error(code, message) -> str:
    return ": ".join(part for part in (_text(code), _text(message)) if part)


def _time(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value, PROVIDER_TIME_FORMAT).replace(tzinfo=PROVIDER_TIME_ZONE)
    except ValueError:
        return None
