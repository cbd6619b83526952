"""Delivery-report callbacks, through HTTP as the providers call them.

Payloads follow the providers' documentation: Alibaba Cloud SmsReport (HTTP batch push) and
Tencent Cloud's SMS status callback (tencentcloud.com/document/api/382/43547). A report
settles only a message handed to that provider (SENDING or SENT through its backend),
found by the provider's id or by our random ``out_id``; anything else is refused with a
security event and changes nothing.
"""

import datetime as dt
import json
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import SecurityEvent, SecurityEventKind
from sms.models import Kind, Message, MessageStatus

TOKEN = "callback-token-0123456789abcdef"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALIBABA_BACKEND = "sms.backends.alibaba.AlibabaBackend"
TENCENT_BACKEND = "sms.backends.tencent.TencentBackend"


@pytest.fixture(autouse=True)
def _callback_token(settings):
    settings.SMS_CALLBACK_TOKEN = TOKEN


def message(
    *,
    provider_message_id: str,
    status=MessageStatus.SENT,
    backend: str = ALIBABA_BACKEND,
    out_id: str = "",
    key: str = "",
) -> Message:
    """A row as the worker leaves it: sent (or sending) through ``backend``."""
    return Message.objects.create(
        recipient="+8613800138000",
        kind=Kind.CONFIRMATION,
        template="confirmation",
        params={"date": "12月8日（周二）", "time": "09:30"},
        idempotency_key=key or f"confirmation:{provider_message_id or out_id}",
        status=status,
        provider_message_id=provider_message_id,
        backend=backend,
        out_id=out_id,
    )


def refusals() -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=SecurityEventKind.CALLBACK_REFUSED))


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
    "name": "alibaba",
    "url_name": "sms:alibaba_reports",
    "backend": ALIBABA_BACKEND,
    "report": lambda provider_id, success=True: alibaba_report(biz_id=provider_id, success=success),
    "received": {"code": 0, "msg": "接收成功"},
    "malformed": {"code": 1, "msg": "malformed report batch"},
    "failure": "MK:0001: 空号",
    "failure_code": "MK:0001",
}
TENCENT = {
    "name": "tencent",
    "url_name": "sms:tencent_reports",
    "backend": TENCENT_BACKEND,
    "report": lambda provider_id, success=True: tencent_report(sid=provider_id, success=success),
    "received": {"result": 0, "errmsg": "OK"},
    "malformed": {"result": 1, "errmsg": "malformed report batch"},
    "failure": "MK:0001: 空号",
    "failure_code": "MK:0001",
}
PROVIDERS = pytest.mark.parametrize("provider", [ALIBABA, TENCENT], ids=["alibaba", "tencent"])


def post(client, provider, body, *, token: str = TOKEN, ip: str = "127.0.0.1"):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    url = reverse(provider["url_name"], kwargs={"token": token})
    return client.post(url, data=body, content_type="application/json", secure=True, REMOTE_ADDR=ip)


@PROVIDERS
def test_delivered_report_marks_the_message_delivered(client, db, provider):
    sent = message(provider_message_id="900619746936498440^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("900619746936498440^0")])

    assert response.status_code == HTTPStatus.OK
    assert response.json() == provider["received"]
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert sent.delivered_at == dt.datetime(2026, 12, 7, 9, 0, 5, tzinfo=SHANGHAI)


@PROVIDERS
def test_failed_report_marks_the_message_failed_with_the_providers_reason(client, db, provider):
    sent = message(provider_message_id="900619746936498440^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("900619746936498440^0", False)])

    assert response.status_code == HTTPStatus.OK
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED
    assert sent.error == provider["failure"]
    assert sent.error_code == provider["failure_code"]  # what the office's pages word
    assert sent.delivered_at is None


@PROVIDERS
def test_report_for_an_unknown_id_is_acknowledged_and_changes_nothing(client, db, provider):
    other = message(provider_message_id="111^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("999^0")])

    assert response.status_code == HTTPStatus.OK
    assert response.json() == provider["received"]
    other.refresh_from_db()
    assert other.status == MessageStatus.SENT


@PROVIDERS
def test_a_batch_settles_each_of_its_messages(client, db, provider):
    first = message(provider_message_id="1^0", backend=provider["backend"])
    second = message(provider_message_id="2^0", backend=provider["backend"])

    post(client, provider, [provider["report"]("1^0"), provider["report"]("2^0", False)])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (MessageStatus.DELIVERED, MessageStatus.FAILED)


@PROVIDERS
@pytest.mark.parametrize(
    ("status", "success"), [(MessageStatus.DELIVERED, False), (MessageStatus.FAILED, True)]
)
def test_a_settled_message_is_not_flipped_back(client, db, provider, status, success):
    settled = message(provider_message_id="1^0", status=status, backend=provider["backend"])

    response = post(client, provider, [provider["report"]("1^0", success)])

    assert response.status_code == HTTPStatus.OK
    settled.refresh_from_db()
    assert settled.status == status


@PROVIDERS
def test_the_same_report_twice_settles_once(client, db, provider):
    sent = message(provider_message_id="1^0", backend=provider["backend"])
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
    sent = message(provider_message_id="1^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("1^0")], token=token)

    assert response.status_code == HTTPStatus.NOT_FOUND
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert len(refusals()) == 1


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
        # An id longer than any provider's, which the row could not keep.
        [{"biz_id": "1" * 101, "sid": "1" * 101, "success": True, "report_status": "SUCCESS"}],
    ],
    ids=["syntax", "encoding", "nesting", "object", "strings", "no-id", "long-id"],
)
def test_malformed_batch_is_a_bad_request(client, db, provider, body):
    sent = message(provider_message_id="1^0", backend=provider["backend"])

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


def test_tencent_report_with_an_unknown_status_is_skipped(client, db):
    sent = message(provider_message_id="1^0", backend=TENCENT_BACKEND)

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


# Only a message handed to that provider is settled.


def test_a_report_naming_a_queued_reminder_by_its_key_does_not_stop_it(
    client, resident, lawyer, office, topic, settings, time_machine
):
    """The review's attack: the reminder's idempotency key, guessed, as Alibaba's out_id."""
    from booking import services
    from booking.models import Mode
    from sms.backends import locmem
    from sms.delivery import deliver_due
    from tests.conftest import NOW, local

    settings.SMS_BACKEND = "sms.backends.locmem.LocmemBackend"
    settings.SMS_OPTIONS = {}
    locmem.outbox.clear()
    time_machine.move_to(NOW, tick=False)
    wednesday = NOW.date() + dt.timedelta(days=2)
    appointment = services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer,
        starts_at=local(wednesday, 10), mode=Mode.IN_PERSON, now=NOW,
    )  # fmt: skip
    key = f"reminder-24h:{appointment.pk}:{appointment.sequence}"
    reminder = Message.objects.get(idempotency_key=key)

    response = post(client, ALIBABA, [alibaba_report(biz_id="1^0", out_id=key)])

    assert response.status_code == HTTPStatus.OK  # acknowledged: nothing to push again
    reminder.refresh_from_db()
    assert (reminder.status, reminder.delivered_at) == (MessageStatus.QUEUED, None)
    time_machine.move_to(local(wednesday - dt.timedelta(days=1), 10))
    deliver_due()
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SENT
    assert key in [sms.idempotency_key for sms in locmem.outbox]
    locmem.outbox.clear()


@pytest.mark.parametrize(
    ("status", "backend"),
    [
        (MessageStatus.QUEUED, ALIBABA_BACKEND),  # claimed once, put back for quiet hours
        (MessageStatus.SKIPPED, ALIBABA_BACKEND),
        (MessageStatus.SENT, TENCENT_BACKEND),  # sent through the other provider
        (MessageStatus.SENT, ""),
    ],
    ids=["queued", "skipped", "other-provider", "no-backend"],
)
def test_a_report_for_a_message_not_handed_to_that_provider_is_refused(client, db, status, backend):
    row = message(provider_message_id="1^0", out_id="a1" * 16, status=status, backend=backend)
    before = Message.objects.values().get(pk=row.pk)

    response = post(
        client, ALIBABA, [alibaba_report(biz_id="1^0", out_id="a1" * 16)], ip="198.51.100.7"
    )

    assert response.status_code == HTTPStatus.OK
    assert Message.objects.values().get(pk=row.pk) == before
    (event,) = refusals()
    assert event.ip == "198.51.100.7"
    assert event.identifier == "138****8000"
    assert event.details.startswith("report for a message not handed to this provider")
    assert f"{row.pk} ({status}" in event.details
    assert "a1a1" not in event.details and TOKEN not in event.details


def test_an_alibaba_report_finds_a_sending_message_by_our_random_id(client, db):
    """A message whose send timed out has no provider id yet; our out_id finds it."""
    sending = message(provider_message_id="", out_id="5e" * 16, status=MessageStatus.SENDING)

    post(client, ALIBABA, [alibaba_report(biz_id="900619746936498440^0", out_id="5e" * 16)])

    sending.refresh_from_db()
    assert sending.status == MessageStatus.DELIVERED
    assert sending.provider_message_id == "900619746936498440^0"
    assert refusals() == []


@PROVIDERS
def test_a_delivered_report_clears_what_a_timed_out_attempt_left(client, db, provider):
    sending = message(provider_message_id="1^0", status=MessageStatus.SENDING,
                      backend=provider["backend"])  # fmt: skip
    Message.objects.filter(pk=sending.pk).update(
        error="timeout: no answer within 10s", error_code="timeout"
    )

    post(client, provider, [provider["report"]("1^0")])

    sending.refresh_from_db()
    assert (sending.status, sending.error, sending.error_code) == (
        MessageStatus.DELIVERED, "", ""
    )  # fmt: skip


def test_a_report_is_never_matched_on_the_idempotency_key(client, db):
    sending = message(provider_message_id="", status=MessageStatus.SENDING, key="login-code:1")

    post(client, ALIBABA, [alibaba_report(biz_id="2^0", out_id="login-code:1")])

    sending.refresh_from_db()
    assert sending.status == MessageStatus.SENDING


def test_a_timed_out_alibaba_send_is_settled_by_its_report_and_not_sent_again(
    client, db, settings, time_machine
):
    """Alibaba took the message but answered too late: the row waits SENDING for the
    retry; the report, carrying the OutId the worker sent, settles it first."""
    from sms.delivery import deliver
    from sms.services import send_login_code
    from tests.sms.fake_providers import Answer, FakeProvider, alibaba_sent

    time_machine.move_to(dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI), tick=False)
    fake = FakeProvider()
    try:
        settings.SMS_BACKEND = ALIBABA_BACKEND
        settings.SMS_OPTIONS = {
            "access_key_id": "LTAI5tTestKeyId",
            "access_key_secret": "test-secret",
            "sign_name": "某某镇司法所",
            "endpoint": fake.address,
            "protocol": "HTTP",
            "timeout": 0.2,
        }
        settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_154950911"}
        fake.answer(Answer(delay=10), alibaba_sent())
        code = send_login_code(phone="+8613800138000", code="428571", language="zh-hans", now=None)

        assert deliver(code.pk) == MessageStatus.SENDING
        assert fake.wait_for_requests(1) == 1
        out_id = fake.requests[0].query["OutId"]
        code.refresh_from_db()
        assert out_id == code.out_id and out_id != code.idempotency_key
        assert (code.status, code.backend) == (MessageStatus.SENDING, ALIBABA_BACKEND)

        post(client, ALIBABA, [alibaba_report(biz_id="900619746936498440^0", out_id=out_id)])

        code.refresh_from_db()
        assert code.status == MessageStatus.DELIVERED
        time_machine.move_to(code.lease_expires_at + dt.timedelta(minutes=1))
        assert deliver(code.pk) is None
        assert len(fake.requests) == 1  # sent once
    finally:
        fake.close()


# Who may call.


@PROVIDERS
@pytest.mark.parametrize("token", ["wrong-token", TOKEN[:-1]])
def test_a_wrong_token_is_written_to_the_security_log_once_per_address(client, db, provider, token):
    for _ in range(3):
        post(client, provider, [provider["report"]("1^0")], token=token, ip="203.0.113.9")
    post(client, provider, [], token=token, ip="203.0.113.10")

    events = sorted(refusals(), key=lambda event: event.ip)
    assert [(event.ip, event.details) for event in events] == [
        ("203.0.113.10", f"{provider['name']}: wrong token"),
        ("203.0.113.9", f"{provider['name']}: wrong token"),
    ]
    assert all(token not in event.details + event.identifier for event in events)


@pytest.fixture
def allowed_networks(settings):
    settings.SMS_CALLBACK_ALLOWED_NETWORKS = ["47.100.0.0/16", "2408:4000:1000::/48"]


@PROVIDERS
@pytest.mark.parametrize("ip", ["203.0.113.9", "47.101.0.1", "2408:4000:2000::1"])
def test_with_an_allow_list_other_addresses_are_refused_even_with_the_token(
    client, db, provider, allowed_networks, ip
):
    sent = message(provider_message_id="1^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("1^0")], ip=ip)

    assert response.status_code == HTTPStatus.NOT_FOUND
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    (event,) = refusals()
    assert event.ip == ip
    assert "SMS_CALLBACK_ALLOWED_NETWORKS" in event.details


@PROVIDERS
@pytest.mark.parametrize("ip", ["47.100.3.4", "2408:4000:1000:5::1", "::ffff:47.100.3.4"])
def test_with_an_allow_list_the_providers_addresses_are_heard(
    client, db, provider, allowed_networks, ip
):
    sent = message(provider_message_id="1^0", backend=provider["backend"])

    response = post(client, provider, [provider["report"]("1^0")], ip=ip)

    assert response.status_code == HTTPStatus.OK
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert refusals() == []


def test_behind_the_proxy_the_allow_list_reads_the_forwarded_address(
    client, db, settings, allowed_networks
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    sent = message(provider_message_id="1^0")
    url = reverse("sms:alibaba_reports", kwargs={"token": TOKEN})
    body = json.dumps([alibaba_report(biz_id="1^0")])

    def call(forwarded):
        return client.post(
            url, body, content_type="application/json", secure=True,
            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded,
        )  # fmt: skip

    assert call("203.0.113.9").status_code == HTTPStatus.NOT_FOUND
    assert call("47.100.3.4").status_code == HTTPStatus.OK
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
