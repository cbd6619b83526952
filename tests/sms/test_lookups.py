"""A message whose earlier attempt may have reached the provider is looked up before it is
sent again (sms/delivery.py ``_look_up``, the backends' ``find_sent``).

The official SDKs call the local fake providers (tests/sms/fake_providers.py), which
answer ``QuerySendDetails`` and ``PullSmsSendStatusByPhoneNumber`` from what they
accepted, even when the client never read the answer. A worker killed mid-send is a
backend whose ``send`` returns from the provider and then raises ``WorkerKilled`` (a
``BaseException``, as nothing after a SIGKILL runs); tests/sms/test_worker_crash.py does
it with real processes and signals.
"""

import datetime as dt
from dataclasses import replace

import pytest
from django.utils import timezone

from sms import delivery
from sms.backends import OutgoingSMS, PermanentError, TemporaryError, get_backend
from sms.backends.alibaba import AlibabaBackend
from sms.backends.base import FOUND_DELIVERED, FOUND_FAILED, FOUND_SENT
from sms.backends.tencent import TencentBackend
from sms.delivery import LOOKUP_FAILED, deliver
from sms.models import Kind, Message, MessageStatus
from sms.services import queue_message
from tests.conftest import NOW, SHANGHAI
from tests.sms.fake_providers import (
    Answer,
    FakeProvider,
    alibaba_refused,
    alibaba_sent,
    tencent_error,
    tencent_status,
)

ALIBABA = "sms.backends.alibaba.AlibabaBackend"
TENCENT = "sms.backends.tencent.TencentBackend"
KILLED_ALIBABA = "tests.sms.test_lookups.AlibabaKilledAfterSend"
KILLED_TENCENT = "tests.sms.test_lookups.TencentKilledAfterSend"
KILLED_BEFORE_SEND = "tests.sms.test_lookups.AlibabaKilledBeforeSend"
SENT, DELIVERED, FAILED = MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED
SENDING, QUEUED = MessageStatus.SENDING, MessageStatus.QUEUED
NUMBER = "+8613912345678"
OUT_ID = "5b1f" * 8
FAST_TIMEOUT = 0.3
SLOW = Answer(delay=10)  # cut short when the server closes


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the point where it is raised runs."""


class AlibabaKilledAfterSend(AlibabaBackend):
    """The real backend, in a worker that dies as the provider's answer comes back."""

    def send(self, sms):
        super().send(sms)
        raise WorkerKilled


class TencentKilledAfterSend(TencentBackend):
    def send(self, sms):
        super().send(sms)
        raise WorkerKilled


class AlibabaKilledBeforeSend(AlibabaBackend):
    """A worker that dies after its claim, before its request leaves."""

    def send(self, sms):
        raise WorkerKilled


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def alibaba_options(address: str, **options) -> dict:
    return {
        "access_key_id": "LTAI5tTestKeyId",
        "access_key_secret": "test-secret",
        "sign_name": "某某镇司法所",
        "endpoint": address,
        "protocol": "HTTP",
        "timeout": FAST_TIMEOUT * 10,
        **options,
    }


def tencent_options(address: str, **options) -> dict:
    return {
        "secret_id": "AKIDTestSecretId",
        "secret_key": "test-secret",
        "sdk_app_id": "1400006666",
        "sign_name": "某某镇司法所",
        "endpoint": address,
        "protocol": "http",
        "timeout": FAST_TIMEOUT * 10,
        **options,
    }


@pytest.fixture
def through(settings, provider):
    """``through(backend, **options)``: the worker sends through that backend to the fake."""
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_900001"}

    def configure(backend: str, **options):
        tencent = "tencent" in backend.lower()
        settings.SMS_BACKEND = backend
        make = tencent_options if tencent else alibaba_options
        settings.SMS_OPTIONS = make(provider.address, **options)

    return configure


def outgoing(**overrides) -> OutgoingSMS:
    fields = {
        "to": NUMBER,
        "template": "login_code",
        "params": {"code": "428571", "minutes": "10"},
        "text": "【某某镇司法所】您的登录验证码为428571，10分钟内有效。",
        "language": "zh-hans",
        "idempotency_key": "login-code:1",
        "out_id": OUT_ID,
    }
    return OutgoingSMS(**{**fields, **overrides})


def queue_code(number: str = NUMBER) -> Message:
    return queue_message(
        kind=Kind.LOGIN_CODE,
        template="login_code",
        recipient=number,
        params={"code": "428571", "minutes": "10"},
        language="zh-hans",
        idempotency_key=f"lookup-test:{number}:{timezone.now().isoformat()}",
        not_before=timezone.now(),
    )


def actions(provider) -> list[str]:
    return [
        request.headers.get("x-acs-action") or request.headers.get("x-tc-action")
        for request in provider.requests
    ]


def killed_mid_send(message: Message, clock) -> Message:
    """Deliver ``message`` through a backend that dies once the provider answered, then
    let the lease expire: the row is SENDING, abandoned, as a SIGKILL leaves it."""
    with pytest.raises(WorkerKilled):
        deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SENDING, 1)
    clock.move_to(message.lease_expires_at + dt.timedelta(seconds=1))
    return message


# The backends' look-ups, through the official SDKs --------------------------------------


@pytest.fixture
def alibaba(provider, settings):
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_900001"}
    return get_backend(ALIBABA, **alibaba_options(provider.address))


@pytest.fixture
def tencent(provider, settings):
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_900001"}
    return get_backend(TENCENT, **tencent_options(provider.address))


def test_alibaba_finds_a_message_it_accepted_by_our_out_id(provider, alibaba, frozen_clock):
    provider.answer(alibaba_sent(biz_id="111^0"), alibaba_sent(biz_id="222^0"))
    alibaba.send(outgoing(out_id="a" * 32))  # another message to the same number
    alibaba.send(outgoing())

    found = alibaba.find_sent(outgoing(), since=NOW - dt.timedelta(minutes=5))

    assert found.status == FOUND_DELIVERED
    assert found.sent_at == NOW
    assert found.received_at == NOW + dt.timedelta(seconds=1)
    assert found.provider_message_id == ""  # QuerySendDetails gives no BizId
    query = provider.last
    assert query.headers["x-acs-action"] == "QuerySendDetails"
    assert query.query["PhoneNumber"] == "13912345678"
    assert query.query["SendDate"] == "20261207"
    assert (query.query["PageSize"], query.query["CurrentPage"]) == ("50", "1")
    assert "BizId" not in query.query  # unknown after a crash
    assert alibaba.find_sent(outgoing(out_id="b" * 32), since=NOW) is None
    assert alibaba.find_sent(outgoing(to="+8613900000000"), since=NOW) is None


def test_alibaba_remembers_a_message_whose_sender_gave_up_waiting(provider, settings):
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_900001"}
    backend = get_backend(ALIBABA, **alibaba_options(provider.address, timeout=FAST_TIMEOUT))
    provider.answer(replace(alibaba_sent(), delay=10))

    with pytest.raises(TemporaryError) as error:
        backend.send(outgoing())
    assert error.value.code == "timeout"

    assert backend.find_sent(outgoing(), since=timezone.now()).status == FOUND_DELIVERED


def test_alibaba_reads_every_page_and_the_day_before(provider, alibaba, clock):
    clock.move_to(dt.datetime(2026, 12, 7, 23, 58, tzinfo=SHANGHAI))
    provider.answer(*(alibaba_sent() for _ in range(51)), alibaba_sent(biz_id="ours^0"))
    for i in range(51):  # a page and one more of other messages to the number, then ours
        alibaba.send(outgoing(out_id=f"{i:032x}"))
    alibaba.send(outgoing())
    clock.move_to(dt.datetime(2026, 12, 8, 0, 2, tzinfo=SHANGHAI))  # after midnight

    assert alibaba.find_sent(outgoing(), since=timezone.now()) is None  # today only
    found = alibaba.find_sent(outgoing(), since=timezone.now() - dt.timedelta(minutes=10))

    assert found.status == FOUND_DELIVERED
    days = [(r.query["SendDate"], r.query["CurrentPage"]) for r in provider.requests[52:]]
    assert days == [("20261208", "1"), ("20261208", "1"), ("20261207", "1"), ("20261207", "2")]


@pytest.mark.parametrize(
    ("send_status", "status", "err_code"),
    [(1, FOUND_SENT, ""), (2, FOUND_FAILED, "MK:0001"), (3, FOUND_DELIVERED, "")],
)
def test_alibaba_send_status_says_what_became_of_it(
    provider, alibaba, send_status, status, err_code
):
    provider.alibaba_send_status = send_status
    provider.answer(alibaba_sent())
    alibaba.send(outgoing())

    found = alibaba.find_sent(outgoing(), since=timezone.now() - dt.timedelta(minutes=5))

    assert (found.status, found.error_code) == (status, err_code)
    assert (found.received_at is not None) == (status == FOUND_DELIVERED)


def test_alibaba_look_up_errors_are_classified_like_send_errors(provider, settings):
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_900001"}
    backend = get_backend(ALIBABA, **alibaba_options(provider.address, timeout=FAST_TIMEOUT))
    provider.answer_query(alibaba_refused("isp.SYSTEM_ERROR", "系统错误"), SLOW)

    with pytest.raises(TemporaryError) as refused:
        backend.find_sent(outgoing(), since=timezone.now())
    with pytest.raises(TemporaryError) as slow:
        backend.find_sent(outgoing(), since=timezone.now())

    assert refused.value.code == "isp.SYSTEM_ERROR"
    assert slow.value.code == "timeout"


def test_tencent_finds_a_message_it_accepted_by_its_session_context(provider, tencent):
    provider.answer(
        tencent_status(phone=NUMBER, serial_no="5000:1", session_context="a" * 32),
        tencent_status(phone=NUMBER, serial_no="5000:2", session_context=OUT_ID),
    )
    tencent.send(outgoing(out_id="a" * 32))
    tencent.send(outgoing())

    found = tencent.find_sent(outgoing(), since=timezone.now() - dt.timedelta(minutes=5))

    assert found.status == FOUND_DELIVERED
    assert found.provider_message_id == "5000:2"  # the SerialNo its report will name
    pulled = provider.last.json()
    assert provider.last.headers["x-tc-action"] == "PullSmsSendStatusByPhoneNumber"
    assert pulled["PhoneNumber"] == NUMBER
    assert pulled["SmsSdkAppId"] == "1400006666"
    assert (pulled["Offset"], pulled["Limit"]) == (0, 100)
    assert pulled["BeginTime"] <= int(timezone.now().timestamp()) - 300 < pulled["EndTime"]


def test_tencent_without_session_context_in_its_records_finds_nothing(provider, tencent):
    """The default for an application: records carry no context, and the number and time
    alone could take another message to the same phone for this one."""
    provider.tencent_context_in_status = False
    provider.answer(tencent_status(phone=NUMBER, session_context=OUT_ID))
    tencent.send(outgoing())

    assert tencent.find_sent(outgoing(), since=timezone.now() - dt.timedelta(minutes=5)) is None


def test_tencent_looks_back_at_most_seven_days(provider, tencent):
    provider.answer(tencent_status(phone=NUMBER, session_context=OUT_ID))
    tencent.send(outgoing())

    found = tencent.find_sent(outgoing(), since=timezone.now() - dt.timedelta(days=30))

    assert found.status == FOUND_DELIVERED
    assert provider.last.json()["BeginTime"] > timezone.now().timestamp() - 7 * 86_400


def test_tencent_look_up_errors_are_classified_like_send_errors(provider, tencent):
    provider.answer_query(
        tencent_error("UnauthorizedOperation.RequestPermissionDeny", "no permission"),
        tencent_error("FailedOperation.PhoneNumberParseFail", "bad number"),
    )

    with pytest.raises(TemporaryError) as denied:
        tencent.find_sent(outgoing(), since=timezone.now())
    with pytest.raises(PermanentError) as bad_number:
        tencent.find_sent(outgoing(), since=timezone.now())

    assert denied.value.code == "UnauthorizedOperation.RequestPermissionDeny"
    assert bad_number.value.code == "FailedOperation.PhoneNumberParseFail"


def test_a_message_without_our_id_is_not_looked_up(provider, alibaba, tencent):
    assert alibaba.find_sent(outgoing(out_id=""), since=timezone.now()) is None
    assert tencent.find_sent(outgoing(out_id=""), since=timezone.now()) is None
    assert provider.requests == []


# The worker asks before it sends again ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("killed", "backend", "sent"),
    [
        (KILLED_ALIBABA, ALIBABA, alibaba_sent(biz_id="900619746936498440^0")),
        (KILLED_TENCENT, TENCENT, tencent_status(phone=NUMBER, serial_no="5000:77")),
    ],
    ids=["alibaba", "tencent"],
)
def test_a_message_accepted_before_its_worker_died_is_not_sent_again(
    clock, provider, through, killed, backend, sent
):
    through(killed)
    provider.answer(sent)
    message = killed_mid_send(queue_code(), clock)

    through(backend)  # the next worker, with the same provider
    assert deliver(message.pk) == DELIVERED

    message.refresh_from_db()
    assert provider.accepted_count(message.out_id) == 1
    assert actions(provider) == [
        "SendSms",
        "QuerySendDetails" if backend == ALIBABA else "PullSmsSendStatusByPhoneNumber",
    ]
    assert (message.status, message.attempts, message.error) == (DELIVERED, 2, "")
    assert message.delivered_at is not None
    if backend == TENCENT:  # its records name the SerialNo, which its report will carry
        assert message.provider_message_id == "5000:77"


@pytest.mark.django_db
def test_a_message_the_provider_never_got_is_sent_after_the_look_up(clock, provider, through):
    through(KILLED_BEFORE_SEND)
    message = killed_mid_send(queue_code(), clock)
    provider.answer(alibaba_sent(biz_id="333^0"))

    through(ALIBABA)
    assert deliver(message.pk) == SENT

    message.refresh_from_db()
    assert actions(provider) == ["QuerySendDetails", "SendSms"]
    assert (message.status, message.provider_message_id) == (SENT, "333^0")
    assert provider.accepted_count(message.out_id) == 1


@pytest.mark.django_db
def test_a_fresh_message_is_sent_without_a_look_up(clock, provider, through):
    through(ALIBABA)
    provider.answer(alibaba_sent())

    assert deliver(queue_code().pk) == SENT
    assert actions(provider) == ["SendSms"]


@pytest.mark.django_db
def test_a_timed_out_send_the_provider_accepted_is_settled_by_the_look_up(clock, provider, through):
    """Also after look-ups that could not reach the provider: they are retried, and the
    retry still reaches back to the first attempt."""
    through(ALIBABA, timeout=FAST_TIMEOUT)
    provider.answer(replace(alibaba_sent(), delay=10))
    message = queue_code()
    assert deliver(message.pk) == SENDING  # timed out; the fake has it all the same
    provider.answer_query(*[SLOW] * 5)

    for attempt in (2, 3, 4, 5, 6):
        message.refresh_from_db()
        clock.move_to(message.lease_expires_at + dt.timedelta(seconds=1))
        assert deliver(message.pk) == SENDING
        message.refresh_from_db()
        assert message.attempts == attempt
        assert message.error.startswith(f"{LOOKUP_FAILED}: timeout")
        assert message.not_before == NOW  # the look-up reaches back to the first send
    assert timezone.now() - NOW > delivery.LOOKUP_MARGIN

    clock.move_to(message.lease_expires_at + dt.timedelta(seconds=1))
    assert deliver(message.pk) == DELIVERED
    assert provider.accepted_count(message.out_id) == 1
    assert actions(provider).count("SendSms") == 1


@pytest.mark.django_db
def test_a_look_up_the_provider_refuses_does_not_hold_the_message_up(clock, provider, through):
    """At least once: a provider that will not say (no permission for the query) gets the
    message again rather than the resident never getting it."""
    through(KILLED_ALIBABA)
    provider.answer(alibaba_sent())
    message = killed_mid_send(queue_code(), clock)
    provider.answer_query(alibaba_refused("Forbidden.RAM", "User not authorized"))
    provider.answer(alibaba_sent(biz_id="444^0"))

    through(ALIBABA)
    assert deliver(message.pk) == SENT

    message.refresh_from_db()
    assert message.provider_message_id == "444^0"
    assert provider.accepted_count(message.out_id) == 2  # the documented duplicate


@pytest.mark.django_db
def test_a_message_the_carrier_refused_is_failed_with_its_code_not_sent_again(
    clock, provider, through
):
    through(KILLED_ALIBABA)
    provider.answer(alibaba_sent())
    message = killed_mid_send(queue_code(), clock)
    provider.alibaba_send_status = 2  # the carrier refused it
    through(ALIBABA)

    assert deliver(message.pk) == FAILED

    message.refresh_from_db()
    assert (message.status, message.error_code, message.error) == (FAILED, "MK:0001", "MK:0001")
    assert message.sent_at is not None
    assert provider.accepted_count(message.out_id) == 1


@pytest.mark.django_db
def test_tencent_without_session_context_sends_again(clock, provider, through):
    through(KILLED_TENCENT)
    provider.tencent_context_in_status = False
    provider.answer(tencent_status(phone=NUMBER, serial_no="5000:1"))
    message = killed_mid_send(queue_code(), clock)
    provider.answer(tencent_status(phone=NUMBER, serial_no="5000:2"))

    through(TENCENT)
    assert deliver(message.pk) == SENT

    message.refresh_from_db()
    assert message.provider_message_id == "5000:2"
    assert provider.accepted_count(message.out_id) == 2  # at least once: the duplicate
