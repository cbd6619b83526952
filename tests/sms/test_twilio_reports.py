"""Twilio's delivery reports, from the send to the settled row.

A message goes out through the real Twilio SDK to the fake server (tests/sms/
fake_providers.py), which records the ``StatusCallback`` it was given; the fake then
builds the status callback Twilio would post, signed as Twilio documents, and it is
posted to the site through HTTP. A report settles only a row sent through the Twilio
backend, matched on its MessageSid or on our random ``out_id`` in the callback's URL;
a request whose signature does not fit, or a report about a message of another backend
or of no row at all, changes nothing and leaves a ``callback_refused`` security event.
"""

import datetime as dt
from http import HTTPStatus
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent, SecurityEventKind
from sms.delivery import deliver
from sms.models import Kind, Message, MessageStatus
from sms.reports import NOT_HANDED, UNKNOWN_MESSAGE, WRONG_SIGNATURE
from sms.services import send_login_code
from tests.project_log import project_log
from tests.sms.fake_providers import (
    Answer,
    FakeProvider,
    TwilioCallback,
    twilio_created,
    twilio_signature,
    twilio_status_callback,
)

TOKEN = "callback-token-2f8e4a6c0b1d3e5f7a9c"
AUTH_TOKEN = "twilio-auth-token-9d7b5f3e1a0c"
ACCOUNT_SID = "AC" + "0" * 32
SID = "SM" + "1" * 32
SITE = "https://yuyue.example.cn"
TWILIO = "sms.backends.twilio.TwilioBackend"
ALIBABA = "sms.backends.alibaba.AlibabaBackend"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake():
    server = FakeProvider()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _twilio(settings, fake, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI), tick=False)
    settings.SMS_BACKEND = TWILIO
    settings.SMS_OPTIONS = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+15005550006",
        "endpoint": fake.url,
        "timeout": 0.3,
    }
    settings.SMS_CALLBACK_TOKEN = TOKEN
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["yuyue.example.cn", "testserver", "app.internal"]


def sent_through_twilio(fake, *, sid: str = SID) -> Message:
    """A sign-in code, delivered by the worker to (fake) Twilio, which took it."""
    fake.answer(
        twilio_created(account_sid=ACCOUNT_SID, to="+8613800138000", from_="+1", body="…", sid=sid)
    )
    code = send_login_code(phone="+8613800138000", code="428571", language="en", now=None)
    assert deliver(code.pk) == MessageStatus.SENT
    code.refresh_from_db()
    return code


def report(fake, status: str, *, error_code: int | None = None, **options) -> TwilioCallback:
    return twilio_status_callback(
        fake.last, sid=SID, status=status, auth_token=AUTH_TOKEN, error_code=error_code, **options
    )


def refusals() -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=SecurityEventKind.CALLBACK_REFUSED))


def test_twilio_is_asked_to_report_to_our_callback_with_our_random_id(db, fake):
    code = sent_through_twilio(fake)

    callback = fake.last.form()["StatusCallback"]

    path = reverse("sms:twilio_reports", kwargs={"token": TOKEN})
    assert callback == f"{SITE}{path}?{urlencode({'out_id': code.out_id})}"
    assert code.out_id and code.out_id not in code.idempotency_key


def test_no_status_callback_is_asked_for_without_the_sites_address(db, fake, settings):
    settings.SITE_URL = ""

    sent_through_twilio(fake)

    assert "StatusCallback" not in fake.last.form()


def test_a_delivered_report_settles_the_row(client, db, fake):
    code = sent_through_twilio(fake)

    response = report(fake, "delivered").post(client)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert (code.status, code.error, code.error_code) == (MessageStatus.DELIVERED, "", "")
    assert code.delivered_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    assert refusals() == []


@pytest.mark.parametrize(
    ("status", "error_code", "error"),
    [
        ("undelivered", 30003, "30003: Unreachable destination handset"),
        ("undelivered", 30005, "30005: Unknown destination handset"),
        ("failed", 30008, "30008: Unknown error"),
        ("failed", None, "failed"),
    ],
)
def test_an_undelivered_or_failed_report_fails_the_row_with_twilios_code(
    client, db, fake, status, error_code, error
):
    code = sent_through_twilio(fake)

    response = report(fake, status, error_code=error_code).post(client)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert code.status == MessageStatus.FAILED
    assert code.error_code == ("" if error_code is None else str(error_code))
    assert code.error == error
    assert code.delivered_at is None


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "accepted", "scheduled"])
def test_a_status_on_the_way_settles_nothing(client, db, fake, status):
    code = sent_through_twilio(fake)

    response = report(fake, status).post(client)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert code.status == MessageStatus.SENT
    report(fake, "delivered").post(client)
    code.refresh_from_db()
    assert code.status == MessageStatus.DELIVERED


@pytest.mark.parametrize(
    ("first", "then", "final"),
    [
        ("delivered", "undelivered", MessageStatus.DELIVERED),
        ("undelivered", "delivered", MessageStatus.FAILED),
    ],
)
def test_a_settled_row_is_not_flipped(client, db, fake, first, then, final):
    code = sent_through_twilio(fake)
    report(fake, first, error_code=30003).post(client)

    response = report(fake, then, error_code=30005).post(client)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert code.status == final
    assert code.error_code == ("30003" if final == MessageStatus.FAILED else "")


def wrong_signatures(callback: TwilioCallback) -> dict[str, TwilioCallback]:
    other_url = callback.url.replace("https://", "http://")
    tampered = {**callback.form, "MessageStatus": "delivered", "SmsStatus": "delivered"}
    return {
        "another token": TwilioCallback(
            callback.url, callback.form, twilio_signature(callback.url, callback.form, "x" * 32)
        ),
        "fields changed": TwilioCallback(callback.url, tampered, callback.signature),
        "another url": TwilioCallback(
            callback.url, callback.form, twilio_signature(other_url, callback.form, AUTH_TOKEN)
        ),
        "none": TwilioCallback(callback.url, callback.form, ""),
    }


@pytest.mark.parametrize("kind", ["another token", "fields changed", "another url", "none"])
def test_a_wrong_signature_changes_nothing_and_is_logged(client, db, fake, kind):
    code = sent_through_twilio(fake)
    before = Message.objects.values().get(pk=code.pk)
    forged = wrong_signatures(report(fake, "undelivered", error_code=30003))[kind]

    response = forged.post(client, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Message.objects.values().get(pk=code.pk) == before
    (event,) = refusals()
    assert (event.ip, event.details) == ("203.0.113.9", f"twilio: {WRONG_SIGNATURE}")
    assert TOKEN not in event.details
    assert not forged.signature or forged.signature not in event.details


def test_a_report_for_a_message_of_another_backend_changes_nothing(client, db, fake):
    sent_through_twilio(fake)
    Message.objects.all().delete()
    alibaba = Message.objects.create(
        recipient="+8613800138000",
        kind=Kind.CONFIRMATION,
        template="confirmation",
        idempotency_key="confirmation:7:0",
        status=MessageStatus.SENT,
        provider_message_id=SID,
        backend=ALIBABA,
    )
    before = Message.objects.values().get(pk=alibaba.pk)

    response = report(fake, "undelivered", error_code=30003).post(client)

    assert response.status_code == HTTPStatus.OK
    assert Message.objects.values().get(pk=alibaba.pk) == before
    (event,) = refusals()
    assert event.details.startswith(f"{NOT_HANDED} (TwilioBackend)")
    assert f"{alibaba.pk} (sent, AlibabaBackend)" in event.details


def test_a_report_for_an_unknown_sid_changes_nothing_and_is_logged(client, db, fake):
    code = sent_through_twilio(fake)
    before = Message.objects.values().get(pk=code.pk)
    # Signed right, about a message we never sent (and without our out_id).
    callback = report(fake, "delivered", url=f"{SITE}/sms/callbacks/{TOKEN}/twilio/")
    unknown = {**callback.form, "MessageSid": "SM" + "9" * 32, "SmsSid": "SM" + "9" * 32}
    forged = TwilioCallback(
        callback.url, unknown, twilio_signature(callback.url, unknown, AUTH_TOKEN)
    )

    response = forged.post(client)

    assert response.status_code == HTTPStatus.OK
    assert Message.objects.values().get(pk=code.pk) == before
    (event,) = refusals()
    assert event.details == f"{UNKNOWN_MESSAGE} (TwilioBackend): SM{'9' * 32}"


def test_a_send_that_timed_out_is_settled_by_its_report_through_our_id(client, db, fake):
    """Twilio took the message but answered too late: the row has no sid, and waits
    SENDING; the report's URL carries the out_id it was sent with."""
    fake.answer(Answer(delay=10))
    code = send_login_code(phone="+8613800138000", code="428571", language="en", now=None)
    assert deliver(code.pk) == MessageStatus.SENDING
    assert fake.wait_for_requests(1) == 1
    code.refresh_from_db()
    assert (code.provider_message_id, code.error) == ("", "timeout: no answer within 0.3s")

    response = report(fake, "delivered").post(client)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert (code.status, code.provider_message_id, code.error) == (
        MessageStatus.DELIVERED,
        SID,
        "",
    )


# Behind the reverse proxy


def test_a_report_through_a_tls_proxy_is_checked_against_the_public_url(client, db, fake, settings):
    """The app sees http://app.internal/…; Twilio signed https://yuyue.example.cn/…."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    code = sent_through_twilio(fake)

    response = report(fake, "undelivered", error_code=30005).post(
        client, behind_proxy=True, HTTP_HOST="app.internal"
    )

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert (code.status, code.error_code) == (MessageStatus.FAILED, "30005")


def test_without_the_sites_address_the_url_is_rebuilt_with_the_proxys_scheme(
    client, db, fake, settings
):
    """A callback set in Twilio's console: the URL is the request's, https only when the
    trusted proxy says so."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = False
    code = sent_through_twilio(fake)
    settings.SITE_URL = ""
    console_url = f"https://yuyue.example.cn/sms/callbacks/{TOKEN}/twilio/"

    plain = report(fake, "delivered", url=console_url).post(client, behind_proxy=True, **{
        "HTTP_X_FORWARDED_PROTO": "http"
    })  # fmt: skip
    assert plain.status_code == HTTPStatus.FORBIDDEN
    response = report(fake, "delivered", url=console_url).post(client, behind_proxy=True)

    assert response.status_code == HTTPStatus.OK
    code.refresh_from_db()
    assert code.status == MessageStatus.DELIVERED


# Who may call


@pytest.mark.parametrize("token", ["wrong-token", TOKEN[:-1]])
def test_a_wrong_token_is_not_found(client, db, fake, token):
    code = sent_through_twilio(fake)
    callback = report(fake, "delivered")
    wrong = callback.url.replace(TOKEN, token)
    forged = TwilioCallback(
        wrong, callback.form, twilio_signature(wrong, callback.form, AUTH_TOKEN)
    )

    response = forged.post(client)

    assert response.status_code == HTTPStatus.NOT_FOUND
    code.refresh_from_db()
    assert code.status == MessageStatus.SENT
    (event,) = refusals()
    assert event.details == "twilio: wrong token"


def test_without_a_twilio_account_to_check_the_signature_nothing_is_heard(
    client, db, fake, settings
):
    code = sent_through_twilio(fake)
    settings.SMS_BACKEND = ALIBABA
    settings.SMS_OPTIONS = {"access_key_id": "LTAI5t", "access_key_secret": "s", "sign_name": "所"}

    response = report(fake, "delivered").post(client)

    assert response.status_code == HTTPStatus.NOT_FOUND
    code.refresh_from_db()
    assert code.status == MessageStatus.SENT
    (event,) = refusals()
    assert "auth_token" in event.details


def test_get_is_not_allowed(client, db):
    url = reverse("sms:twilio_reports", kwargs={"token": TOKEN})

    assert client.get(url, secure=True).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_signed_report_without_a_sid_is_a_bad_request(client, db, fake):
    code = sent_through_twilio(fake)
    callback = report(fake, "delivered")
    form = {key: value for key, value in callback.form.items() if not key.endswith("Sid")}

    response = TwilioCallback(
        callback.url, form, twilio_signature(callback.url, form, AUTH_TOKEN)
    ).post(client)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    code.refresh_from_db()
    assert code.status == MessageStatus.SENT


def test_neither_the_token_nor_a_signature_reaches_the_log(client, db, fake):
    sent_through_twilio(fake)
    good = report(fake, "undelivered", error_code=30003)
    forged = wrong_signatures(good)["another token"]

    with project_log() as log:
        forged.post(client)
        good.post(client)
        TwilioCallback(good.url.replace(TOKEN, "wrong-token"), good.form, good.signature).post(
            client
        )

    written = log.getvalue()
    assert "twilio" in written  # the refusals were logged
    for secret in (TOKEN, AUTH_TOKEN, good.signature, forged.signature, "wrong-token"):
        assert secret not in written
