"""The registry of templates: what the providers would accept, checked before a text is queued.

The rules come from the providers' documentation (sms/registry.py's docstring); the local
fake providers judge the same messages independently (tests/sms/test_providers.py).
"""

import datetime as dt
import logging
import re

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory

from booking import services
from booking.admin import SMS_NAME_DOES_NOT_FIT, SMS_PHONE_DOES_NOT_FIT, SMS_PLACE_DOES_NOT_FIT
from booking.models import Mode
from sms import registry
from sms.backends import PermanentError
from sms.checks import NO_SITE_ADDRESS, TEMPLATE_IDS_MISSING
from sms.messages import build_sms
from sms.models import Kind, Message, MessageStatus
from sms.registry import PROVIDER_MAX_LENGTHS, REGISTRY, VariableType, problems
from sms.services import queue_message
from tests.conftest import NOW, local
from tests.factories import RuleFactory, UserFactory

WEDNESDAY = dt.date(2026, 12, 9)
LONG_NAME = "湖南省湘潭县青石镇人民政府司法所"  # 16 characters
ALL_IDS = {key: f"SMS_{index}" for index, key in enumerate(registry.registration_keys())}


def book(resident, lawyer, office, topic, **extra):
    return services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer,
        starts_at=local(WEDNESDAY, 10), mode=extra.pop("mode", Mode.IN_PERSON), now=NOW, **extra,
    )  # fmt: skip


# The registry itself ----------------------------------------------------------------------


@pytest.mark.parametrize("language", registry.LANGUAGES)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_text_uses_its_variables_once_and_never_two_side_by_side(name, language):
    used = registry.placeholders(name, language)
    variables = [item for item in used if item not in registry.CONSTANT_NAMES]
    assert sorted(variables) == sorted(REGISTRY[name].names)  # each exactly once
    assert set(used) - set(variables) <= set(registry.CONSTANT_NAMES)
    # Tencent refuses variables side by side ({1}{2}); a space between is no text either.
    marked = registry.provider_text(name, language, "tencent")
    assert not re.search(r"\}\s*\{", marked), marked
    numbers = [int(number) for number in re.findall(r"\{(\d+)\}", marked)]
    assert numbers == list(range(1, len(REGISTRY[name].variables) + 1))


@pytest.mark.parametrize("language", registry.LANGUAGES)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_fixed_text_has_no_brackets_and_no_link_but_the_sites(name, language, settings):
    settings.SITE_URL = "https://yuyue.example.org"
    text = registry.provider_text(name, language, "alibaba")
    assert not set("【】[]") & set(text)
    without_site = text.replace(registry.site_address(), "")
    assert not re.search(r"https?://|www\.|\.(org|cn|com)\b", without_site)
    assert ("site" in registry.placeholders(name, language)) == name.startswith("follow_up")


@pytest.mark.parametrize("provider", registry.PROVIDERS)
def test_every_variable_is_typed_and_within_the_providers_limits(provider):
    for entry in REGISTRY.values():
        for variable in entry.variables:
            assert variable.type in VariableType
            assert 1 <= variable.min_length <= variable.max_length
            assert variable.max_length <= PROVIDER_MAX_LENGTHS[provider][variable.type], (
                entry.name,
                variable.name,
            )


def test_a_verification_template_has_its_code_as_its_only_variable():
    verifications = [t for t in REGISTRY.values() if t.type == registry.TemplateType.VERIFICATION]
    assert [t.name for t in verifications] == ["login_code"]
    [code] = verifications[0].variables
    assert (code.type, code.min_length, code.max_length) == (VariableType.CODE, 4, 6)
    assert "验证码" in registry.render("login_code", {"code": "482913"}, "zh-hans")
    assert "code" in registry.render("login_code", {"code": "482913"}, "en")


@pytest.mark.parametrize("language", registry.LANGUAGES)
def test_texts_at_their_longest_stay_within_500_characters_with_a_signature(language, settings):
    settings.SITE_URL = "https://yuyue.example.gov.cn"
    for name, entry in REGISTRY.items():
        longest = {variable.name: "字" * variable.max_length for variable in entry.variables}
        assert (
            len("【某某县司法局法律援助中心】") + len(registry.render(name, longest, language))
            < 500
        )


# What each type refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("office_name", "http://a.cn", "link"),
        ("office_name", "见qingshi.cn", "link"),
        ("office_name", "电话 8123 456", "phone number"),
        ("office_name", "【青石镇】", "brackets"),
        ("office_name", LONG_NAME, "16 characters"),
        ("office_phone", "13800138000", "mobile"),
        ("office_phone", "0731 5786 0148", "digits and hyphens"),
        ("time", "9点30分", "hh:mm"),
        ("reference", "3817-205", "letters and digits"),
        ("day", "", "empty"),
    ],
)
def test_values_that_the_providers_would_refuse_are_problems(name, value, expected):
    values = registry.EXAMPLES["zh-hans"] | {name: value}
    [problem] = problems("confirmation", values)
    assert problem.variable == name and expected in str(problem)


def test_a_code_of_letters_or_of_the_wrong_length_is_refused():
    assert problems("login_code", {"code": "482913"}) == []
    for code in ["ABCD12", "123", "1234567", "４８２９１３"]:
        assert problems("login_code", {"code": code}), code


def test_the_office_is_made_to_fit_by_rule_not_cut():
    fitted = registry.fit_office(
        name=LONG_NAME, sms_name="青石镇司法所", sms_place="", phone="０７３１－5786 0148"
    )
    assert fitted == {
        "office_name": "青石镇司法所",
        "place": "青石镇司法所",  # no short place: the short name
        "office_phone": "0731-57860148",
    }
    too_long = registry.fit_office(name=LONG_NAME, sms_name="", sms_place="", phone="")
    assert too_long["office_name"] == LONG_NAME  # never cut mid-word


# Queued: fitted, or refused in the open ------------------------------------------------


@pytest.mark.django_db
def test_texts_use_the_offices_short_name_and_place(resident, lawyer, office, topic):
    office.name, office.sms_name, office.sms_place = LONG_NAME, "青石镇司法所", "镇政府一楼"
    office.phone = "0731-5786 0148"
    office.save()
    book(resident, lawyer, office, topic)
    confirmation = Message.objects.get(kind=Kind.CONFIRMATION)
    assert confirmation.status == MessageStatus.QUEUED
    text = build_sms(confirmation).text
    assert text == (
        f"您已预约免费法律咨询：12月9日（星期三）10:00，地点：镇政府一楼。预约号"
        f"{confirmation.appointment.reference}。不能来请提前取消。——青石镇司法所，电话0731-57860148"
    )


@pytest.mark.django_db
def test_a_consultation_by_phone_says_so_in_the_place(lawyer, office, topic):
    RuleFactory(
        lawyer=lawyer, office=office, weekday=WEDNESDAY.weekday(), start_time=dt.time(14),
        end_time=dt.time(16), mode=Mode.PHONE,
    )  # fmt: skip
    for hour, language, place in [
        (14, "zh-hans", "地点：电话咨询。"),
        (15, "en", "place: By phone."),
    ]:
        resident = UserFactory(preferred_language=language)
        appointment = services.book_appointment(
            resident=resident, office=office, topic=topic, lawyer=lawyer,
            starts_at=local(WEDNESDAY, hour), mode=Mode.PHONE, now=NOW,
        )  # fmt: skip
        message = Message.objects.get(kind=Kind.CONFIRMATION, appointment=appointment)
        assert place in build_sms(message).text


@pytest.mark.django_db
def test_an_office_name_too_long_for_a_text_fails_the_text_not_the_booking(
    resident, lawyer, office, topic, caplog
):
    """Never sent too long, never cut, never lost from view: the row is FAILED with the
    field to shorten, no delivery is queued, the operator's log says it."""
    from django_tasks_db.models import DBTaskResult

    office.name = LONG_NAME
    office.save()
    with caplog.at_level(logging.ERROR, logger="sms.services"):
        appointment = book(resident, lawyer, office, topic)
    assert appointment.pk  # the booking stands
    confirmation = Message.objects.get(kind=Kind.CONFIRMATION)
    assert confirmation.status == MessageStatus.FAILED
    assert confirmation.error_code == registry.DOES_NOT_FIT
    assert "office_name: 16 characters" in confirmation.error
    assert "Office.sms_name" in confirmation.error
    tasks = DBTaskResult.objects.filter(task_path="sms.tasks.deliver_message")
    assert tasks.count() == Message.objects.filter(status=MessageStatus.QUEUED).count()
    assert "Office.sms_name" in caplog.text
    # A discreet text names no office: it goes.
    safe = UserFactory()
    services.book_appointment(
        resident=safe, office=office, topic=topic, lawyer=lawyer,
        starts_at=local(WEDNESDAY, 11), mode=Mode.IN_PERSON, now=NOW, safe_contact=True,
    )  # fmt: skip
    assert Message.objects.get(kind=Kind.CONFIRMATION, recipient=str(safe.phone)).status == (
        MessageStatus.QUEUED
    )


@pytest.mark.django_db
def test_a_link_in_a_variable_is_never_queued():
    """The old follow-up sent its booking link as a variable: both providers refuse that."""
    message = queue_message(
        kind=Kind.FOLLOW_UP,
        template="follow_up",
        recipient="+8613800138000",
        params=registry.EXAMPLES["zh-hans"] | {"booking_code": "https://x.example.cn/b/1"},
        language="zh-hans",
        idempotency_key="follow-up:test",
        not_before=NOW,
    )
    assert message.status == MessageStatus.FAILED
    assert message.error.startswith("does_not_fit: booking_code: ")


@pytest.mark.django_db
def test_a_row_that_no_longer_fits_fails_at_send_time_instead_of_going_out_wrong():
    """A follow-up queued before the change carries ``link`` and no code."""
    message = Message.objects.create(
        kind=Kind.FOLLOW_UP,
        template="follow_up",
        recipient="+8613800138000",
        params={"by_date": "12月20日", "link": "https://x.example.cn/book/a/b/"},
        idempotency_key="follow-up:old",
    )
    with pytest.raises(PermanentError) as refused:
        build_sms(message)
    assert refused.value.code == registry.DOES_NOT_FIT


@pytest.mark.django_db
def test_the_admin_says_which_office_field_to_shorten(office):
    from django.contrib import admin

    from booking.models import Office

    superuser = UserFactory(is_staff=True, is_superuser=True, phone=None, phone_verified=False)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    form_class = admin.site._registry[Office].get_form(request, office)
    data = {
        field: getattr(office, field)
        for field in form_class.base_fields
        if field not in ("topics",) and not isinstance(getattr(office, field, None), list)
    }
    data |= {"topics": [topic.pk for topic in office.topics.all()]}
    data |= {"name": LONG_NAME, "sms_name": "", "sms_place": "【一楼】", "phone": "13800138000"}
    form = form_class(data=data, instance=office)
    assert not form.is_valid()
    assert form.errors["sms_name"] == [SMS_NAME_DOES_NOT_FIT % {"limit": 12}]
    assert form.errors["sms_place"] == [SMS_PLACE_DOES_NOT_FIT % {"limit": 12}]
    assert form.errors["phone"] == [SMS_PHONE_DOES_NOT_FIT % {"limit": 15}]
    data |= {"sms_name": "青石镇司法所", "sms_place": "镇政府一楼", "phone": "0731-5786 0148"}
    form = form_class(data=data, instance=office)
    assert form.is_valid(), form.errors


# System checks ------------------------------------------------------------------------------


def sms_errors():
    return {error.id: error for error in run_checks() if error.id.startswith("sms.E02")}


def test_a_template_provider_needs_every_template_id_and_the_sites_address(settings):
    settings.SMS_BACKEND = "sms.backends.tencent.TencentBackend"
    settings.SITE_URL = "https://yuyue.example.org"
    settings.SMS_TEMPLATE_IDS = ALL_IDS
    assert sms_errors() == {}
    settings.SMS_TEMPLATE_IDS = {k: v for k, v in ALL_IDS.items() if k != "reminder_safe:en"}
    settings.SITE_URL = ""
    errors = sms_errors()
    assert "reminder_safe:en" in errors[TEMPLATE_IDS_MISSING].msg
    assert "confirmation," not in errors[TEMPLATE_IDS_MISSING].msg
    assert NO_SITE_ADDRESS in errors


def test_text_backends_need_no_template_ids(settings):
    settings.SMS_BACKEND = "sms.backends.locmem.LocmemBackend"
    settings.SMS_TEMPLATE_IDS = {}
    settings.SITE_URL = ""
    assert sms_errors() == {}
