"""Delivery reports: what a provider later learns from the carrier about a sent message.

Alibaba Cloud and Tencent Cloud push reports in batches to sms/views.py; the ``parse_*``
functions turn a batch into ``DeliveryReport`` objects (pure, no database) and
``record_delivery_reports`` settles the matching outbox rows.

Rules:

- A row is matched on its provider id (Alibaba ``biz_id``, Tencent ``sid``); an Alibaba
  report may also match on ``out_id``, the idempotency key, which finds a message whose
  send timed out in the worker although Alibaba accepted it.
- Only a row not settled yet changes: DELIVERED and FAILED are final, so a late,
  repeated or contradicting report does not flip them.
- A report for an id this outbox does not know (another system on the same account, a row
  deleted since) is ignored; the provider is still told the batch arrived, so that it does
  not push it again and again.

Known limit: Alibaba gives every number of a batch send the same ``biz_id``; the backends
send one number per request, so here an id names one message.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms.models import Message, MessageStatus

logger = logging.getLogger(__name__)

#: Both providers report local times of the Chinese mainland, without a zone.
PROVIDER_TIME_ZONE = ZoneInfo("Asia/Shanghai")
PROVIDER_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
FINAL_STATUSES = (MessageStatus.DELIVERED, MessageStatus.FAILED)


class MalformedReport(ValueError):
    """The payload is not a batch of reports as the provider documents them."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    delivered: bool
    error: str = ""  # the provider's code and message when not delivered
    at: dt.datetime | None = None  # when the phone received it, as the provider says
    idempotency_key: str = ""  # Alibaba's out_id, when it is there


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
                at=_time(item.get("report_time")),
                idempotency_key=_text(item.get("out_id")),
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
                at=_time(item.get("user_receive_time")),
            )
        )
    return reports


@transaction.atomic
def record_delivery_reports(
    *, reports: Sequence[DeliveryReport], now: dt.datetime | None = None
) -> int:
    """Settle the rows the reports are about; returns how many rows changed."""
    now = now or timezone.now()
    ids = {report.provider_message_id for report in reports if report.provider_message_id}
    keys = {report.idempotency_key for report in reports if report.idempotency_key}
    if not ids and not keys:
        return 0
    # One query, locked in primary-key order: two batches arriving together wait for each
    # other instead of deadlocking, and a worker finishing a send waits for this one.
    rows = list(
        Message.objects.select_for_update()
        .filter(Q(provider_message_id__in=ids) | Q(idempotency_key__in=keys))
        .order_by("pk")
    )
    by_provider_id: dict[str, list[Message]] = {}
    by_key: dict[str, Message] = {}
    for row in rows:
        if row.provider_message_id:
            by_provider_id.setdefault(row.provider_message_id, []).append(row)
        by_key[row.idempotency_key] = row

    changed = 0
    for report in reports:
        targets = by_provider_id.get(report.provider_message_id, [])
        if not targets and report.idempotency_key in by_key:
            targets = [by_key[report.idempotency_key]]
        for message in targets:
            changed += _settle(message, report, now=now)
    logger.info("sms delivery reports: %d received, %d rows settled", len(reports), changed)
    return changed


def _settle(message: Message, report: DeliveryReport, *, now: dt.datetime) -> int:
    if message.status in FINAL_STATUSES:
        return 0
    fields = ["status", "updated_at"]
    if report.delivered:
        message.status = MessageStatus.DELIVERED
        message.delivered_at = report.at or now
        fields.append("delivered_at")
    else:
        message.status = MessageStatus.FAILED
        message.error = report.error
        fields.append("error")
    if not message.provider_message_id and report.provider_message_id:
        message.provider_message_id = report.provider_message_id
        fields.append("provider_message_id")
    # Only these fields change, to values of a fixed set or the provider's own text, so
    # full_clean() (a uniqueness query per row) would check nothing that can go wrong.
    message.save(update_fields=fields)
    return 1


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
    return _text(value)


def _text(value) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:  # no provider sends one; PostgreSQL could not store it
        raise MalformedReport("NUL character in a report")
    return text


def _error(code, message) -> str:
    return ": ".join(part for part in (_text(code), _text(message)) if part)


def _time(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value, PROVIDER_TIME_FORMAT).replace(tzinfo=PROVIDER_TIME_ZONE)
    except ValueError:
        return None
