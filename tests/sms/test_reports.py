"""Delivery-report callbacks, through HTTP as the providers call them.

Payloads follow the providers' documentation: Alibaba Cloud SmsReport (HTTP batch push) and
Tencent Cloud's SMS status callback (tencentcloud.com/document/api/382/43547).
"""

import datetime as dt
import json
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sms.models import Kind, Message, MessageStatus

TOKEN = "callback-token-0123456789abcdef"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _callback_token(settings):
    settings.SMS_CALLBACK_TOKEN = TOKEN


def message(*, provider_message_id: str, status=MessageStatus.SENT, key: str = "") -> Message:
    return Message.objects.create(
        recipient="+8613800138000",
        kind=Kind.CONFIRMATION,
        template="confirmation",
        params={"date": "12月8日（周二）", "time": "09:30"},
        idempotency_key=key or f"confirmation:{provider_message_id}",
        status=status,
        provider_message_id=provider_message_id,
    )


def alibaba_report(*, biz_id: str, success: bool = True, out_id: str = "", **extra) -> dict:
    return {
        "phone_number": "13800138000",
        "send_time": "2026-12-07 09:00:00",
        "report_time": "2026-12-07 09:00:05",
        "success": success,
        "err_code": "DELIVERED" if success else "MK:0001",
        "err_msg": "用户接收成功" if success else "空号",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": out_id,
        **extra,
    }


def tencent_report(*, sid: str, success: bool = True, **extra) -> dict:
    return {
        "user_receive_time": "2026-12-07 09:00:05",
        "nationcode": "86",
        "mobile": "13800138000",
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": "DELIVRD" if success else "MK:0001",
        "description": "用户短信送达成功" if success else "空号",
        "sid": sid,
        **extra,
    }


ALIBABA = {
    "url_name": "sms:alibaba_reports",
    "report": lambda provider_id, success=True: alibaba_report(biz_id=provider_id, success=success),
    "received": {"code": 0, "msg": "接收成功"},
    "malformed": {"code": 1, "msg": "malformed report batch"},
    "failure": "MK:0001: 空号",
}
TENCENT = {
    "url_name": "sms:tencent_reports",
    "report": lambda provider_id, success=True: tencent_report(sid=provider_id, success=success),
    "received": {"result": 0, "errmsg": "OK"},
    "malformed": {"result": 1, "errmsg": "malformed report batch"},
    "failure": "MK:0001: 空号",
}
PROVIDERS = pytest.mark.parametrize("provider", [ALIBABA, TENCENT], ids=["alibaba", "tencent"])


def post(client, provider, body, *, token: str = TOKEN):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    url = reverse(provider["url_name"], kwargs={"token": token})
    return client.post(url, data=body, content_type="application/json", secure=True)


@PROVIDERS
def test_delivered_report_marks_the_message_delivered(client, db, provider):
    sent = message(provider_message_id="900619746936498440^0")

    response = post(client, provider, [provider["report"]("900619746936498440^0")])

    assert response.status_code == HTTPStatus.OK
    assert response.json() == provider["received"]
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert sent.delivered_at == dt.datetime(2026, 12, 7, 9, 0, 5, tzinfo=SHANGHAI)


@PROVIDERS
def test_failed_report_marks_the_message_failed_with_the_providers_reason(client, db, provider):
    sent = message(provider_message_id="900619746936498440^0")

    response = post(client, provider, [provider["report"]("900619746936498440^0", False)])

    assert response.status_code == HTTPStatus.OK
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED
    assert sent.error == provider["failure"]
    assert sent.delivered_at is None


@PROVIDERS
def test_report_for_an_unknown_id_is_acknowledged_and_changes_nothing(client, db, provider):
    other = message(provider_message_id="111^0")

    response = post(client, provider, [provider["report"]("999^0")])

    assert response.status_code == HTTPStatus.OK
    assert response.json() == provider["received"]
    other.refresh_from_db()
    assert other.status == MessageStatus.SENT


@PROVIDERS
def test_a_batch_settles_each_of_its_messages(client, db, provider):
    first = message(provider_message_id="1^0")
    second = message(provider_message_id="2^0")

    post(client, provider, [provider["report"]("1^0"), provider["report"]("2^0", False)])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (MessageStatus.DELIVERED, MessageStatus.FAILED)


@PROVIDERS
@pytest.mark.parametrize(
    ("status", "success"), [(MessageStatus.DELIVERED, False), (MessageStatus.FAILED, True)]
)
def test_a_settled_message_is_not_flipped_back(client, db, provider, status, success):
    settled = message(provider_message_id="1^0", status=status)

    response = post(client, provider, [provider["report"]("1^0", success)])

    assert response.status_code == HTTPStatus.OK
    settled.refresh_from_db()
    assert settled.status == status


@PROVIDERS
def test_the_same_report_twice_settles_once(client, db, provider):
    sent = message(provider_message_id="1^0")
    post(client, provider, [provider["report"]("1^0")])
    sent.refresh_from_db()
    delivered_at = sent.delivered_at

    post(client, provider, [provider["report"]("1^0", False)])

    sent.refresh_from_db()
    assert (sent.status, sent.delivered_at, sent.error) == (
        MessageStatus.DELIVERED,
        delivered_at,
        "",
    )


@PROVIDERS
@pytest.mark.parametrize("token", ["wrong-token", TOKEN[:-1]])
def test_wrong_token_is_not_found(client, db, provider, token):
    sent = message(provider_message_id="1^0")

    response = post(client, provider, [provider["report"]("1^0")], token=token)

    assert response.status_code == HTTPStatus.NOT_FOUND
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


@PROVIDERS
def test_no_callback_exists_while_the_token_setting_is_empty(client, db, provider, settings):
    settings.SMS_CALLBACK_TOKEN = ""

    response = post(client, provider, [], token="anything")

    assert response.status_code == HTTPStatus.NOT_FOUND


@PROVIDERS
def test_get_is_not_allowed(client, db, provider):
    url = reverse(provider["url_name"], kwargs={"token": TOKEN})

    response = client.get(url, secure=True)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@PROVIDERS
@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        b"\xff\xfe[]",  # not UTF-8
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser goes
        {"biz_id": "1^0", "sid": "1^0"},  # an object, not an array
        ["1^0"],
        [{"success": True, "report_status": "SUCCESS"}],  # no id
    ],
    ids=["syntax", "encoding", "nesting", "object", "strings", "no-id"],
)
def test_malformed_batch_is_a_bad_request(client, db, provider, body):
    sent = message(provider_message_id="1^0")

    response = post(client, provider, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == provider["malformed"]
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


@PROVIDERS
def test_an_empty_batch_is_acknowledged(client, db, provider):
    response = post(client, provider, [])

    assert response.status_code == HTTPStatus.OK
    assert response.json() == provider["received"]


def test_alibaba_report_finds_a_message_by_out_id_when_its_send_timed_out(client, db):
    """The send timed out in the worker, so the row has no provider id; Alibaba sent it."""
    pending = message(provider_message_id="", status=MessageStatus.QUEUED, key="reminder-24h:7:1")

    post(
        client,
        ALIBABA,
        [alibaba_report(biz_id="900619746936498440^0", out_id="reminder-24h:7:1")],
    )

    pending.refresh_from_db()
    assert pending.status == MessageStatus.DELIVERED
    assert pending.provider_message_id == "900619746936498440^0"


def test_tencent_report_with_an_unknown_status_is_skipped(client, db):
    sent = message(provider_message_id="1^0")

    response = post(client, TENCENT, [tencent_report(sid="1^0", report_status="PENDING")])

    assert response.status_code == HTTPStatus.OK
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


def test_report_without_a_time_is_dated_when_it_arrives(client, db, now):
    sent = message(provider_message_id="1^0")

    with time_machine.travel(now, tick=False):
        post(client, ALIBABA, [alibaba_report(biz_id="1^0", report_time=None)])

    sent.refresh_from_db()
    assert sent.delivered_at == now
