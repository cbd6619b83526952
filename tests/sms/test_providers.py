"""The provider backends against a local fake of each provider's HTTP API.

The official SDKs really build, sign and send their requests; the fake server records them
and answers as the provider documents (tests/sms/fake_providers.py). A timeout is a server
that answers later than the backend's timeout allows.
"""

import base64
import datetime as dt
import json
from dataclasses import replace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from booking import services
from booking.models import Mode
from booking.services.summary import send_due_summaries
from sms import registry
from sms.backends import OutgoingSMS, PermanentError, TemporaryError, get_backend
from sms.messages import build_sms
from sms.models import Message, MessageStatus
from sms.services import notify_follow_up, send_login_code
from tests.conftest import NOW, local
from tests.factories import OfficeFactory, UserFactory
from tests.sms.fake_providers import (
    Answer,
    FakeProvider,
    RegisteredProvider,
    alibaba_refused,
    alibaba_sent,
    tencent_error,
    tencent_status,
    twilio_created,
    twilio_error,
)

ALIBABA = "sms.backends.alibaba.AlibabaBackend"
TENCENT = "sms.backends.tencent.TencentBackend"
TWILIO = "sms.backends.twilio.TwilioBackend"

PARAMS = {"date": "12月8日（周二）", "time": "09:30", "reference": "K7Q-2M4"}
SIGN_NAME = "某某镇司法所"
SIGN_NAME_SAFE = "预约通知"
OUT_ID = "3f9a" * 8  # Message.out_id: 32 random hex digits
FAST_TIMEOUT = 0.2  # seconds; the fake answers late with SLOW
SLOW = Answer(delay=10)  # cut short when the server closes


def outgoing(**overrides) -> OutgoingSMS:
    fields = {
        "to": "+8613800138000",
        "template": "confirmation",
        "params": dict(PARAMS),
        "text": "【某某镇司法所】您已预约12月8日（周二）09:30，预约号K7Q-2M4。",
        "language": "zh-hans",
        "idempotency_key": "confirmation:41:1",
        "out_id": OUT_ID,
    }
    return OutgoingSMS(**{**fields, **overrides})


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


@pytest.fixture
def closed_address():
    """An address where nothing listens any more: connections are refused."""
    fake = FakeProvider()
    fake.close()
    return fake.address


@pytest.fixture(autouse=True)
def _sms_settings(settings):
    settings.SMS_OPTIONS = {}
    settings.SMS_TEMPLATE_IDS = {
        "confirmation": "SMS_154950909",
        "confirmation_safe": "SMS_154950910",
    }


# Alibaba Cloud ----------------------------------------------------------------------------


def alibaba(address: str, **options):
    defaults = {
        "access_key_id": "LTAI5tTestKeyId",
        "access_key_secret": "test-secret",
        "sign_name": SIGN_NAME,
        "sign_name_safe": SIGN_NAME_SAFE,
        "endpoint": address,
        "protocol": "HTTP",
    }
    return get_backend(ALIBABA, **{**defaults, **options})


def test_alibaba_sends_number_signature_template_and_params(provider):
    provider.answer(alibaba_sent(biz_id="900619746936498440^0"))

    result = alibaba(provider.address).send(outgoing())

    assert result.provider_message_id == "900619746936498440^0"
    request = provider.last
    assert request.method == "POST"
    assert request.query["PhoneNumbers"] == "13800138000"  # mainland: without +86
    assert request.query["SignName"] == SIGN_NAME
    assert request.query["TemplateCode"] == "SMS_154950909"
    assert json.loads(request.query["TemplateParam"]) == PARAMS
    assert request.query["OutId"] == OUT_ID  # ours, random; never the idempotency key
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["authorization"].startswith(
        "ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,"
    )


def test_alibaba_sends_an_international_number_with_its_country_code(provider):
    provider.answer(alibaba_sent())

    alibaba(provider.address).send(outgoing(to="+85291234567"))

    assert provider.last.query["PhoneNumbers"] == "85291234567"


def test_alibaba_safe_contact_goes_under_the_neutral_signature(provider):
    provider.answer(alibaba_sent())

    alibaba(provider.address).send(outgoing(template="confirmation_safe", safe_contact=True))

    assert provider.last.query["SignName"] == SIGN_NAME_SAFE
    assert provider.last.query["TemplateCode"] == "SMS_154950910"


def test_alibaba_safe_contact_without_a_neutral_signature_is_not_sent(provider):
    backend = alibaba(provider.address, sign_name_safe="")

    with pytest.raises(PermanentError) as error:
        backend.send(outgoing(safe_contact=True))

    assert error.value.code == "sign_name_safe_missing"
    assert provider.requests == []


def test_alibaba_frequency_limit_is_temporary(provider):
    provider.answer(alibaba_refused("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5"))

    with pytest.raises(TemporaryError) as error:
        alibaba(provider.address).send(outgoing())

    assert error.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert "触发小时级流控" in error.value.detail


def test_alibaba_invalid_number_is_permanent(provider):
    provider.answer(alibaba_refused("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"))

    with pytest.raises(PermanentError) as error:
        alibaba(provider.address).send(outgoing(to="+8612345"))

    assert error.value.code == "isv.MOBILE_NUMBER_ILLEGAL"


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("isv.SMS_TEMPLATE_ILLEGAL", PermanentError),
        ("isv.SMS_SIGNATURE_ILLEGAL", PermanentError),
        ("isv.TEMPLATE_MISSING_PARAMETERS", PermanentError),
        ("isv.DAY_LIMIT_CONTROL", TemporaryError),
        ("isv.AMOUNT_NOT_ENOUGH", TemporaryError),
        ("isp.SYSTEM_ERROR", TemporaryError),
        ("isv.SOMETHING_NEW", TemporaryError),  # unknown codes are retried, within limits
    ],
)
def test_alibaba_business_errors_are_classified(provider, code, error_class):
    provider.answer(alibaba_refused(code, "…"))

    with pytest.raises(error_class) as error:
        alibaba(provider.address).send(outgoing())

    assert error.value.code == code


def test_alibaba_server_error_status_is_temporary(provider):
    provider.answer(
        Answer(
            status=503,
            body=b'{"Code": "ServiceUnavailable", "Message": "busy", "RequestId": "R1"}',
        )
    )

    with pytest.raises(TemporaryError) as error:
        alibaba(provider.address).send(outgoing())

    assert error.value.code == "ServiceUnavailable"


def test_alibaba_timeout_is_temporary(provider):
    provider.answer(SLOW)

    with pytest.raises(TemporaryError) as error:
        alibaba(provider.address, timeout=FAST_TIMEOUT).send(outgoing())

    assert error.value.code == "timeout"
    assert provider.wait_for_requests(1) == 1  # the SDK did not retry on its own


def test_alibaba_refused_connection_is_temporary_and_keeps_the_number_out(closed_address):
    with pytest.raises(TemporaryError) as error:
        alibaba(closed_address).send(outgoing())

    assert error.value.code == "network_error"
    assert "13800138000" not in str(error.value)


def test_alibaba_never_sends_the_idempotency_key(provider):
    provider.answer(alibaba_sent(), alibaba_sent())

    alibaba(provider.address).send(outgoing())
    alibaba(provider.address).send(outgoing(out_id=""))

    first, second = provider.requests
    assert "confirmation:41:1" not in first.query.values()
    assert "OutId" not in second.query  # no id of ours: none at all


def test_alibaba_needs_its_credentials():
    with pytest.raises(ImproperlyConfigured, match="access_key_secret"):
        get_backend(ALIBABA, access_key_id="LTAI5tTestKeyId", sign_name=SIGN_NAME)


# Tencent Cloud ----------------------------------------------------------------------------


def tencent(address: str, **options):
    defaults = {
        "secret_id": "AKIDtestsecretid",
        "secret_key": "test-secret-key",
        "sdk_app_id": "1400006666",
        "sign_name": SIGN_NAME,
        "sign_name_safe": SIGN_NAME_SAFE,
        "endpoint": address,
        "protocol": "http",
    }
    return get_backend(TENCENT, **{**defaults, **options})


def test_tencent_sends_number_signature_template_and_ordered_params(provider):
    provider.answer(tencent_status(serial_no="5000:1045710669157053657849499619"))

    result = tencent(provider.address).send(outgoing())

    assert result.provider_message_id == "5000:1045710669157053657849499619"
    request = provider.last
    assert request.method == "POST"
    assert request.json() == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "TemplateId": "SMS_154950909",
        "SignName": SIGN_NAME,
        "TemplateParamSet": ["12月8日（周二）", "09:30", "K7Q-2M4"],  # the order of sms.params
        "SessionContext": OUT_ID,  # ours, random; never the idempotency key
    }
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDtestsecretid/"
    )


def test_tencent_without_an_id_of_ours_sends_no_session_context(provider):
    provider.answer(tencent_status())

    tencent(provider.address).send(outgoing(out_id=""))

    assert "SessionContext" not in provider.last.json()


def test_tencent_param_order_option_decides_the_order(provider):
    provider.answer(tencent_status())
    backend = tencent(provider.address, param_order={"confirmation": ["reference", "date"]})

    backend.send(outgoing())

    assert provider.last.json()["TemplateParamSet"] == ["K7Q-2M4", "12月8日（周二）"]


def test_tencent_param_order_naming_a_missing_param_is_permanent(provider):
    backend = tencent(provider.address, param_order={"confirmation": ["date", "place"]})

    with pytest.raises(PermanentError) as error:
        backend.send(outgoing())

    assert error.value.code == "param_missing"
    assert provider.requests == []


def test_tencent_safe_contact_goes_under_the_neutral_signature(provider):
    provider.answer(tencent_status())

    tencent(provider.address).send(outgoing(template="confirmation_safe", safe_contact=True))

    assert provider.last.json()["SignName"] == SIGN_NAME_SAFE
    assert provider.last.json()["TemplateId"] == "SMS_154950910"


@pytest.mark.parametrize(
    "code",
    ["LimitExceeded.PhoneNumberThirtySecondLimit", "LimitExceeded.PhoneNumberDailyLimit"],
)
def test_tencent_frequency_limits_are_temporary(provider, code):
    provider.answer(tencent_status(code=code, message="number limit"))

    with pytest.raises(TemporaryError) as error:
        tencent(provider.address).send(outgoing())

    assert error.value.code == code


def test_tencent_invalid_number_is_permanent(provider):
    provider.answer(
        tencent_status(code="InvalidParameterValue.IncorrectPhoneNumber", message="手机号格式错误")
    )

    with pytest.raises(PermanentError) as error:
        tencent(provider.address).send(outgoing(to="+8612345"))

    assert error.value.code == "InvalidParameterValue.IncorrectPhoneNumber"


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("FailedOperation.SignatureIncorrectOrUnapproved", PermanentError),
        ("FailedOperation.TemplateIncorrectOrUnapproved", PermanentError),
        ("FailedOperation.PhoneNumberInBlacklist", PermanentError),
        ("AuthFailure.SignatureFailure", TemporaryError),
        ("RequestLimitExceeded", TemporaryError),
        ("InternalError.Timeout", TemporaryError),
    ],
)
def test_tencent_request_errors_are_classified(provider, code, error_class):
    provider.answer(tencent_error(code, "…"))

    with pytest.raises(error_class) as error:
        tencent(provider.address).send(outgoing())

    assert error.value.code == code


def test_tencent_server_error_status_is_temporary(provider):
    provider.answer(Answer(status=502, body=b"<html>Bad Gateway</html>", content_type="text/html"))

    with pytest.raises(TemporaryError) as error:
        tencent(provider.address).send(outgoing())

    assert error.value.code == "server_error"


def test_tencent_timeout_is_temporary(provider):
    provider.answer(SLOW)

    with pytest.raises(TemporaryError) as error:
        tencent(provider.address, timeout=FAST_TIMEOUT).send(outgoing())

    assert error.value.code == "timeout"
    assert provider.wait_for_requests(1) == 1


def test_tencent_refused_connection_is_temporary(closed_address):
    with pytest.raises(TemporaryError) as error:
        tencent(closed_address).send(outgoing())

    assert error.value.code == "network_error"


def test_tencent_needs_its_app_id():
    with pytest.raises(ImproperlyConfigured, match="sdk_app_id"):
        get_backend(TENCENT, secret_id="AKIDtest", secret_key="key", sign_name=SIGN_NAME)


# Twilio -----------------------------------------------------------------------------------

ACCOUNT_SID = "AC" + "0" * 32


def twilio(provider_url: str, **options):
    defaults = {
        "account_sid": ACCOUNT_SID,
        "auth_token": "test-auth-token",
        "from_number": "+15005550006",
        "endpoint": provider_url,
    }
    return get_backend(TWILIO, **{**defaults, **options})


def test_twilio_sends_the_text_and_returns_the_message_sid(provider):
    sms = outgoing(to="+447700900123", text="Your appointment: Tue 8 Dec 09:30, ref K7Q-2M4.")
    provider.answer(
        twilio_created(
            account_sid=ACCOUNT_SID,
            to=sms.to,
            from_="+15005550006",
            body=sms.text,
            sid="SM" + "1" * 32,
        )
    )

    result = twilio(provider.url).send(sms)

    assert result.provider_message_id == "SM" + "1" * 32
    request = provider.last
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form() == {"To": "+447700900123", "From": "+15005550006", "Body": sms.text}
    expected = base64.b64encode(f"{ACCOUNT_SID}:test-auth-token".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_twilio_safe_contact_uses_the_safe_sender_when_there_is_one(provider):
    provider.answer(twilio_created(account_sid=ACCOUNT_SID, to="+1", from_="Notice", body="…"))

    twilio(provider.url, from_number_safe="Notice").send(outgoing(safe_contact=True))

    assert provider.last.form()["From"] == "Notice"


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 21211), (400, 21610), (400, 21614)],
)
def test_twilio_invalid_or_unsubscribed_number_is_permanent(provider, status, code):
    provider.answer(twilio_error(status=status, code=code, message="The 'To' number is invalid."))

    with pytest.raises(PermanentError) as error:
        twilio(provider.url).send(outgoing())

    assert error.value.code == str(code)


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, 20429), (500, 20500), (503, 20503), (401, 20003)],
)
def test_twilio_rate_limits_server_errors_and_credentials_are_temporary(provider, status, code):
    provider.answer(twilio_error(status=status, code=code, message="Too Many Requests"))

    with pytest.raises(TemporaryError) as error:
        twilio(provider.url).send(outgoing())

    assert error.value.code == str(code)


def test_twilio_timeout_is_temporary(provider):
    provider.answer(SLOW)

    with pytest.raises(TemporaryError) as error:
        twilio(provider.url, timeout=FAST_TIMEOUT).send(outgoing())

    assert error.value.code == "timeout"


def test_twilio_refused_connection_is_temporary(closed_address):
    with pytest.raises(TemporaryError) as error:
        twilio(f"http://{closed_address}").send(outgoing())

    assert error.value.code == "network_error"


# All three --------------------------------------------------------------------------------


@pytest.mark.parametrize("make_backend", [alibaba, tencent])
def test_template_providers_refuse_a_message_without_template_id(provider, make_backend):
    with pytest.raises(PermanentError) as error:
        make_backend(provider.address).send(outgoing(template="reminder"))

    assert error.value.code == "template_id_missing"
    assert "reminder" in error.value.detail
    assert provider.requests == []


def test_template_ids_are_read_at_send_time(provider, settings):
    backend = alibaba(provider.address)
    settings.SMS_TEMPLATE_IDS = {"confirmation": "SMS_999"}
    provider.answer(alibaba_sent())

    backend.send(outgoing())

    assert provider.last.query["TemplateCode"] == "SMS_999"


@pytest.mark.parametrize("path", [ALIBABA, TENCENT, TWILIO])
def test_no_provider_claims_to_drop_repeated_idempotency_keys(path):
    assert import_string(path).honours_idempotency_key is False


# Every message the project sends, through each provider's rules -------------------------
#
# The fakes here are accounts where the operator registered what `manage.py sms_templates`
# prints (tests/sms/fake_providers.py, RegisteredProvider): they judge each send as the
# provider does and keep what reaches the phone.

SITE = "https://yuyue.example.gov.cn"
REGISTERED_IDS = {
    key: f"SMS_9{index:04d}" for index, key in enumerate(registry.registration_keys())
}
WEDNESDAY = dt.date(2026, 12, 9)


@pytest.fixture
def registered_settings(settings):
    settings.SMS_TEMPLATE_IDS = REGISTERED_IDS
    settings.SITE_URL = SITE
    return settings


def registered(provider_name: str) -> RegisteredProvider:
    return RegisteredProvider(provider=provider_name, template_ids=REGISTERED_IDS)


def every_message(office, lawyer, topic) -> list[Message]:
    """Through the services, as the site writes them: every message kind, plain and
    discreet, in every language; sign-in codes; both daily summaries."""
    office.name, office.sms_name, office.sms_place = (
        "湘潭县青石镇人民政府司法所",
        "青石镇司法所",
        "镇政府一楼",
    )
    office.phone = "0731-5786 0148"
    office.save()
    slots = iter(
        local(day, hour, minute)
        for day in (WEDNESDAY, WEDNESDAY + dt.timedelta(days=1), WEDNESDAY + dt.timedelta(days=2))
        for hour in (9, 10, 11)
        for minute in (0, 30)
    )
    for language in registry.LANGUAGES:
        for safe in (False, True):
            resident = UserFactory(preferred_language=language)

            def book(resident=resident, safe=safe):
                return services.book_appointment(
                    resident=resident, office=office, topic=topic, lawyer=lawyer,
                    starts_at=next(slots), mode=Mode.IN_PERSON, now=NOW, safe_contact=safe,
                )  # fmt: skip

            moved = services.reschedule_appointment(
                appointment=book(), starts_at=next(slots), mode=Mode.IN_PERSON, by=resident, now=NOW
            )
            services.cancel_appointment(appointment=moved, by=resident, now=NOW)
            notify_follow_up(appointment=book(), by_date=dt.date(2026, 12, 20), now=NOW)
        send_login_code(phone=f"+86139{len(language):08d}", code="482913", language=language)
        UserFactory(role="office_admin", office=office, preferred_language=language)
        UserFactory(role="office_admin", office=OfficeFactory(), preferred_language=language)
    send_due_summaries(now=local(NOW.date(), 11))  # the other office has no free time
    return list(Message.objects.order_by("pk"))


def expected_on_the_phone(provider_name: str, sms) -> str:
    if provider_name == "twilio":
        return sms.text
    sign_name = SIGN_NAME_SAFE if sms.safe_contact else SIGN_NAME
    return f"【{sign_name}】{sms.text}"


@pytest.mark.django_db
@pytest.mark.parametrize("provider_name", ["alibaba", "tencent", "twilio"])
def test_every_message_kind_in_every_language_passes_the_providers_rules(
    provider_name, registered_settings, office, lawyer, topic, frozen_clock
):
    messages = every_message(office, lawyer, topic)
    assert {(m.template, m.language) for m in messages} == {
        (name, language) for name in registry.REGISTRY for language in registry.LANGUAGES
    }
    assert {m.status for m in messages} == {MessageStatus.QUEUED}
    fake = registered(provider_name)
    try:
        make = {"alibaba": alibaba, "tencent": tencent, "twilio": lambda a: twilio(fake.url)}
        backend = make[provider_name](fake.address)
        for message in messages:
            sms = build_sms(message)
            backend.send(sms)
            assert fake.delivered[-1] == expected_on_the_phone(provider_name, sms), message
        assert len(fake.delivered) == len(messages)
    finally:
        fake.close()


def registered_sms(**overrides) -> OutgoingSMS:
    values = {
        key: registry.EXAMPLES["zh-hans"][key] for key in registry.order("follow_up", "zh-hans")
    }
    fields = {
        "template": "follow_up",
        "params": values,
        "text": "…",
        **overrides,
    }
    return outgoing(**fields)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"template": "follow_up_old"}, "isv.SMS_TEMPLATE_ILLEGAL"),
        ({"booking_code": "https://yuyue.example.gov.cn/book/1/"}, "isv.PARAM_NOT_SUPPORT_URL"),
        ({"office_name": "湘潭县青石镇人民政府司法所"}, "isv.PARAM_LENGTH_LIMIT"),
        ({"by_day": "二十"}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        ({"office_name": "所13800138000"}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        ({"booking_code": None}, "isv.TEMPLATE_MISSING_PARAMETERS"),
    ],
)
def test_alibaba_refuses_what_was_not_registered_with_its_own_codes(
    registered_settings, change, code
):
    registered_settings.SMS_TEMPLATE_IDS = REGISTERED_IDS | {"follow_up_old": "SMS_1"}
    sms = registered_sms()
    params = {
        k: v for k, v in {**sms.params, **change}.items() if v is not None and k != "template"
    }
    sms = replace(sms, params=params, template=change.get("template", sms.template))
    fake = registered("alibaba")
    try:
        with pytest.raises(PermanentError) as refused:
            alibaba(fake.address).send(sms)
    finally:
        fake.close()
    assert refused.value.code == code
    assert fake.delivered == []


@pytest.mark.parametrize(
    ("template", "values", "code"),
    [
        ("follow_up_old", None, "FailedOperation.TemplateIncorrectOrUnapproved"),
        (
            "follow_up",
            {"booking_code": None},
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        ),
        (
            "follow_up",
            {"booking_code": "yuyue.example.gov.cn/b"},
            "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        ),
        (
            "follow_up",
            {"office_name": "湘潭县青石镇人民政府司法所"},
            "InvalidParameterValue.TemplateParameterLengthLimit",
        ),
        ("login_code", {"code": "AB12"}, "InvalidParameterValue.TemplateParameterFormatError"),
    ],
)
def test_tencent_refuses_what_was_not_registered_with_its_own_codes(
    registered_settings, template, values, code
):
    registered_settings.SMS_TEMPLATE_IDS = REGISTERED_IDS | {"follow_up_old": "1400999"}
    name = "follow_up" if template == "follow_up_old" else template
    params = {key: registry.EXAMPLES["zh-hans"][key] for key in registry.order(name, "zh-hans")}
    params = {k: v for k, v in {**params, **(values or {})}.items() if v is not None}
    fake = registered("tencent")
    try:
        with pytest.raises(PermanentError) as refused:
            tencent(fake.address).send(outgoing(template=template, params=params))
    finally:
        fake.close()
    assert refused.value.code == code
    assert fake.delivered == []


def test_twilio_takes_the_text_as_given_up_to_1600_characters(settings):
    fake = registered("twilio")
    try:
        backend = twilio(fake.url)
        backend.send(outgoing(text="预约号 3817 2054：" + "字" * 1580))
        assert fake.delivered == ["预约号 3817 2054：" + "字" * 1580]
        with pytest.raises(PermanentError) as refused:
            backend.send(outgoing(text="字" * 1601))
    finally:
        fake.close()
    assert refused.value.code == "21617"
