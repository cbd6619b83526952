"""Alibaba Cloud SMS (Dysmsapi 2017-05-25, ``SendSms``) through the official SDK.

Options (``settings.SMS_OPTIONS`` merged with keyword arguments):

``access_key_id``, ``access_key_secret``
    The AccessKey of a RAM user allowed ``dysms:SendSms``. Required.
``sign_name``
    The approved signature. Alibaba puts it in front of every text as 【sign_name】, so it
    is the first thing the recipient, or anyone else holding the phone, reads. Required.
``sign_name_safe``
    A neutral approved signature used when ``sms.safe_contact`` is set: the office's own
    name in 【…】 would reveal that the owner of the phone is in touch with a legal-aid
    office. Without it such a message fails permanently (``sign_name_safe_missing``) rather
    than go out under the office's name.
``endpoint`` (default ``dysmsapi.aliyuncs.com``), ``protocol`` (``HTTPS``), ``region``
    (``cn-hangzhou``). Tests point ``endpoint`` at a local server with ``protocol="HTTP"``.
``timeout``
    Seconds allowed for connecting and again for the answer (default 10; Alibaba advises at
    least 1 second for mainland messages).

The template code is ``settings.SMS_TEMPLATE_IDS[sms.template]``, read at each send. The
parameters go as the ``TemplateParam`` JSON object, every value a string (Alibaba refuses
numbers with ``isv.INVALID_JSON_PARAM``). Mainland numbers are sent without ``+86``, others
as country code and number without ``+`` (the format of the ``PhoneNumbers`` parameter).
Our random id for the message (``sms.out_id``, ``Message.out_id``: 32 hex digits, made
when the worker first claims the row) goes as ``OutId``, which Alibaba repeats as
``out_id`` in its delivery report; the idempotency key (``reminder-24h:<id>:<seq>``,
guessable) is never sent.

Known limits:

- Alibaba does not drop a repeated ``OutId`` (its documentation: SendSms "does not support
  idempotence"), hence ``honours_idempotency_key = False``.
- A timeout is a ``TemporaryError`` although Alibaba may have accepted the message. Its
  delivery report still finds the row through ``out_id`` (sms/reports.py): the worker
  keeps such a row SENDING until its retry (sms/delivery.py), and the retry asks
  ``find_sent`` (below) before it sends again.
- The SDK's own retries stay off (no ``retry_options``): one ``send`` is one HTTP
  request, and the delivery worker alone decides about retries.
- Business errors arrive in an HTTP 200 body with ``Code`` other than ``OK``. Only codes
  that condemn this very message (number, template, signature, parameters, content) are
  permanent; rate limits, balance, permissions, Alibaba's own faults and any code not
  listed below are temporary. An unknown code costs a few bounded retries; treating it as
  permanent could silently lose a reminder to a transient condition. A refused request
  sent nothing, so retrying it cannot send a message twice.

``find_sent`` asks ``QuerySendDetails`` (the RAM user also needs
``dysms:QuerySendDetails``) for the number's records of each day from ``since`` to today
(China time, at most the last 30 days, 50 a page) and takes the one whose ``OutId`` is
ours: ``SendStatus`` 1 (waiting for the receipt) is sent, 3 delivered, 2 failed with the
carrier's ``ErrCode``. The records carry no ``BizId``, so a message settled this way has
no provider id until its delivery report, which is matched on ``out_id``. The look-up
relies on the record being listed by the time the worker asks, at least
``SMS_LEASE_SECONDS`` after a crash and a retry's backoff after a timeout.
"""

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest, SendSmsRequest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException
from Tea.exceptions import TeaException

from sms.backends.base import (
    FOUND_DELIVERED,
    FOUND_FAILED,
    FOUND_SENT,
    Found,
    OutgoingSMS,
    SendResult,
    TemplateBackend,
    TemporaryError,
)

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_TIMEOUT = 10.0
#: QuerySendDetails: days are China's, records are kept 30 days, pages hold 50.
PROVIDER_TIME_ZONE = ZoneInfo("Asia/Shanghai")
QUERY_DAYS = 30
PAGE_SIZE = 50
#: More records than this for one number on one day is no account of ours.
MAX_PAGES = 10
#: ``SendStatus`` of a record → what became of the message.
SEND_STATUSES = {1: FOUND_SENT, 2: FOUND_FAILED, 3: FOUND_DELIVERED}

#: Codes after which the same request can never succeed (Alibaba "API错误码",
#: https://help.aliyun.com/document_detail/101346.html). Everything else is temporary.
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # the number's format is wrong
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",  # international template, mainland number
        "isv.SMS_TEMPLATE_ILLEGAL",  # template unknown to this account or not approved
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.BLACK_KEY_CONTROL_LIMIT",  # a forbidden keyword in a parameter
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",  # signature unknown or not approved
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",  # verification-code signature on a notice
        "isv.EXTEND_CODE_ERROR",
    }
)


def phone_number(e164: str) -> str:
    """``+8613800138000`` → ``13800138000``; ``+85291234567`` → ``85291234567``."""
    if e164.startswith("+86"):
        return e164.removeprefix("+86")
    return e164.removeprefix("+")


class AlibabaBackend(TemplateBackend):
    permanent_codes = PERMANENT_CODES
    honours_idempotency_key = False
    required_options = ("access_key_id", "access_key_secret", "sign_name")

    def __init__(self, **options):
        super().__init__(**options)
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        milliseconds = max(1, round(self.timeout * 1000))
        self.client = Client(
            Config(
                access_key_id=options["access_key_id"],
                access_key_secret=options["access_key_secret"],
                endpoint=options.get("endpoint", DEFAULT_ENDPOINT),
                protocol=options.get("protocol", "HTTPS"),
                region_id=options.get("region", DEFAULT_REGION),
                connect_timeout=milliseconds,
                read_timeout=milliseconds,
            )
        )

    def send(self, sms: OutgoingSMS) -> SendResult:
        request = SendSmsRequest(
            phone_numbers=phone_number(sms.to),
            sign_name=self.sign_name(sms),
            template_code=self.template_id(sms.template),
            out_id=sms.out_id or None,  # None: the SDK leaves the parameter out
        )
        if sms.params:
            request.template_param = json.dumps(
                {name: str(value) for name, value in sms.params.items()}, ensure_ascii=False
            )
        with self.provider_errors():
            response = self.client.send_sms(request)
        body = self.checked(response.body)
        return SendResult(
            provider_message_id=body.biz_id or "", extra={"request_id": body.request_id}
        )

    def find_sent(self, sms: OutgoingSMS, *, since: dt.datetime) -> Found | None:
        if not sms.out_id:
            return None
        today = dt.datetime.now(PROVIDER_TIME_ZONE).date()
        first = max(
            since.astimezone(PROVIDER_TIME_ZONE).date(), today - dt.timedelta(QUERY_DAYS - 1)
        )
        day = today
        while day >= first:  # the latest day first: a crash or timeout is recent
            found = self._find_on(sms, day)
            if found is not None:
                return found
            day -= dt.timedelta(days=1)
        return None

    def _find_on(self, sms: OutgoingSMS, day: dt.date) -> Found | None:
        for page in range(1, MAX_PAGES + 1):
            request = QuerySendDetailsRequest(
                phone_number=phone_number(sms.to),
                send_date=day.strftime("%Y%m%d"),
                page_size=PAGE_SIZE,
                current_page=page,
            )
            with self.provider_errors():
                response = self.client.query_send_details(request)
            body = self.checked(response.body)
            records = (
                body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
            )
            for record in records or []:
                if record.out_id == sms.out_id:
                    return found_from(record)
            if not records or page * PAGE_SIZE >= int(body.total_count or 0):
                return None
        raise TemporaryError("lookup_incomplete", f"over {MAX_PAGES * PAGE_SIZE} records on {day}")

    @contextmanager
    def provider_errors(self) -> Iterator[None]:
        """The SDK's exceptions as ``TemporaryError`` or ``PermanentError``."""
        try:
            yield
        except UnretryableException as exc:
            # No HTTP answer. The underlying message may quote the request URL, which holds
            # the number and the parameters (a sign-in code): it stays out of the outbox.
            if "timed out" in str(exc.inner_exception):
                raise TemporaryError("timeout", f"no answer within {self.timeout:g}s") from exc
            raise TemporaryError("network_error", type(exc.inner_exception).__name__) from exc
        except AlibabaCloudException as exc:  # an HTTP error status from the gateway
            raise self.error_for(str(exc.code), f"HTTP {exc.status_code}: {exc.message}") from exc
        except TeaException as exc:
            raise TemporaryError("sdk_error", type(exc).__name__) from exc

    def checked(self, body):
        """``body`` if its ``Code`` is OK; otherwise the error it names."""
        if body is None or body.code != "OK":
            code = getattr(body, "code", None) or "bad_response"
            detail = getattr(body, "message", None) or ""
            request_id = getattr(body, "request_id", None)
            raise self.error_for(
                code, f"{detail} (RequestId {request_id})" if request_id else detail
            )
        return body


def found_from(record) -> Found:
    """A QuerySendDetails record (``SmsSendDetailDTO``) as ``Found``."""
    try:
        status = SEND_STATUSES.get(int(record.send_status), FOUND_SENT)
    except (TypeError, ValueError):
        status = FOUND_SENT  # the provider has it; what became of it, its report will say
    code = (record.err_code or "") if status == FOUND_FAILED else ""
    return Found(
        status=status,
        error_code=code,
        error=code,
        sent_at=provider_time(record.send_date),
        received_at=provider_time(record.receive_date) if status == FOUND_DELIVERED else None,
    )


def provider_time(value) -> dt.datetime | None:
    """``2026-12-07 09:30:00`` (China time) as an aware datetime; None if it is not one."""
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=PROVIDER_TIME_ZONE
        )
    except ValueError:
        return None
