"""Signing up and in through allauth's pages: residents by SMS code, staff by password.

Codes are read from the SMS outbox (``sms.models.Message.params``), which is what the
delivery worker would send.
"""

import datetime as dt
import re
import time
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.adapter import (
    CODE_TRIES_USED,
    INCORRECT_CODE,
    TOO_MANY_ATTEMPTS,
    TOO_MANY_REQUESTS,
)
from accounts.forms import PASSWORD_NEEDED
from accounts.models import Role, User
from accounts.services import PENDING_FOR
from accounts.validators import NOT_A_MOBILE_NUMBER, REGION_NOT_SERVED
from sms.code_limits import CODE_JUST_SENT, DAILY_CAP_REACHED, TOMORROW_AT, TOO_MANY_CODES_FROM_HERE
from sms.models import Kind, Message
from sms.services import LOGIN_CODE_MINUTES
from tests.factories import LawyerFactory, UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "+8613800138000"
TYPED = "138 0013 8000"
OTHER_NUMBER = "+8613900139000"
LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
CONFIRM_LOGIN = "/accounts/login/code/confirm/"
REQUEST_CODE = "/accounts/login/code/"
VERIFY_PHONE = "/accounts/phone/verify/"
STAFF_PASSWORD = "a-long-staff-password-2026"


def post(client: Client, url: str, data: dict, **kwargs):
    return client.post(url, data, secure=True, **kwargs)


def get(client: Client, url: str, **kwargs):
    return client.get(url, secure=True, **kwargs)


def followed(client: Client, response):
    """The page a redirect leads to (the test client's own following drops HTTPS)."""
    assert response.status_code == HTTPStatus.FOUND, response
    return get(client, response.url)


def codes_sent_to(number: str) -> list[str]:
    messages = Message.objects.filter(recipient=number, kind=Kind.LOGIN_CODE)
    return [message.params["code"] for message in messages.order_by("created_at", "pk")]


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def text(response) -> str:
    return response.content.decode()


def confirmed_account(number: str) -> User | None:
    """The account a number can sign in to: its code has been entered."""
    return User.objects.filter(phone=number, phone_verified=True).first()


def hidden_next(page) -> list[str]:
    """The `next` values the page's forms post back."""
    return re.findall(r'<input type="hidden" name="next" value="([^"]*)"', text(page))


def test_a_new_resident_signs_up_with_the_number_as_typed_and_the_code_texted():
    client = Client()
    assert get(client, SIGNUP).status_code == HTTPStatus.OK

    response = post(client, SIGNUP, {"phone": TYPED})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == VERIFY_PHONE
    resident = User.objects.get(phone=NUMBER)
    assert (resident.role, resident.phone_verified) == (Role.RESIDENT, False)
    assert resident.preferred_language == "zh-hans"
    assert not resident.has_usable_password()
    [code] = codes_sent_to(NUMBER)
    assert code.isdigit() and len(code) == 6
    assert Message.objects.get(recipient=NUMBER).language == "zh-hans"

    page = get(client, VERIFY_PHONE)
    assert 'autocomplete="one-time-code"' in text(page)
    assert 'inputmode="numeric"' in text(page)
    response = post(client, VERIFY_PHONE, {"action": "verify", "code": code})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    resident.refresh_from_db()
    assert resident.phone_verified
    assert signed_in_user(client) == resident


def test_a_resident_who_signs_up_in_english_gets_english_texts():
    client = Client()
    post(client, "/i18n/setlang/", {"language": "en", "next": SIGNUP})

    post(client, SIGNUP, {"phone": TYPED})

    assert User.objects.get(phone=NUMBER).preferred_language == "en"
    assert Message.objects.get(recipient=NUMBER).language == "en"


@pytest.mark.parametrize(
    "typed",
    [
        TYPED,
        "+86 138 0013 8000",
        "0086 138-0013-8000",
        "１３８００１３８０００",
        "(+86) 13800138000",
    ],
)
def test_a_resident_signs_in_with_the_number_as_typed_and_the_code_texted(typed):
    resident = UserFactory(phone=NUMBER)
    client = Client()

    response = post(client, LOGIN, {"login": typed})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == CONFIRM_LOGIN
    [code] = codes_sent_to(NUMBER)
    page = get(client, CONFIRM_LOGIN)
    assert NUMBER in text(page)

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    assert signed_in_user(client) == resident


def test_a_code_typed_with_full_width_digits_is_the_same_code():
    resident = UserFactory(phone=NUMBER)
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    [code] = codes_sent_to(NUMBER)
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    post(client, CONFIRM_LOGIN, {"action": "verify", "code": full_width})

    assert signed_in_user(client) == resident


def test_signing_in_by_code_verifies_a_number_the_desk_entered():
    resident = UserFactory(phone=NUMBER, phone_verified=False)
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    [code] = codes_sent_to(NUMBER)

    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})

    resident.refresh_from_db()
    assert resident.phone_verified
    assert signed_in_user(client) == resident


@pytest.mark.parametrize(
    ("url", "field", "typed", "message"),
    [
        (LOGIN, "login", "0731-84123456", NOT_A_MOBILE_NUMBER),
        (LOGIN, "login", "010 1234 5678", NOT_A_MOBILE_NUMBER),
        (LOGIN, "login", "+1 202 555 0143", REGION_NOT_SERVED),
        (SIGNUP, "phone", "0731-84123456", NOT_A_MOBILE_NUMBER),
        (SIGNUP, "phone", "+1 202 555 0143", REGION_NOT_SERVED),
    ],
)
def test_a_fixed_line_or_foreign_number_is_refused_with_a_clear_message(url, field, typed, message):
    response = post(Client(), url, {field: typed})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors[field] == [str(message)]
    assert str(message) in text(response)
    assert not Message.objects.exists()
    assert not User.objects.exists()


def test_a_wrong_code_is_refused_and_three_end_the_attempt():
    UserFactory(phone=NUMBER)
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    [code] = codes_sent_to(NUMBER)
    wrong = "000000" if code != "000000" else "111111"

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"] == [str(INCORRECT_CODE)]
    assert str(INCORRECT_CODE) in text(response)
    assert signed_in_user(client) is None

    post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong})
    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong})

    assert str(CODE_TRIES_USED) in text(followed(client, response))
    # The right code no longer helps: the attempt is over.
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})
    assert signed_in_user(client) is None


@pytest.mark.parametrize("existing", [True, False], ids=["existing number", "new number"])
@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "SMS_DAILY_CAP_PER_NUMBER",
            str(DAILY_CAP_REACHED) % {"time": str(TOMORROW_AT) % {"time": "08:00"}},
        ),
        ("SMS_CODES_PER_IP_PER_HOUR", str(TOO_MANY_CODES_FROM_HERE) % {"time": "09:00"}),
    ],
)
def test_a_code_the_sms_limits_refuse_is_reported_on_the_sign_in_form(
    settings, frozen_clock, setting, message, existing
):
    """Refused on the form, before a new number is registered: no pending account is
    left behind, and a number with an account gets the same answer."""
    setattr(settings, setting, 0)
    if existing:
        UserFactory(phone=NUMBER)
    client = Client()

    response = post(client, LOGIN, {"login": TYPED})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["login"] == [message]
    body = text(response)
    assert message in body
    assert body.index(message) < body.index('name="login"')  # above the field
    assert User.objects.filter(phone=NUMBER).exists() == existing
    assert not Message.objects.exists()
    assert signed_in_user(client) is None


def test_a_sign_up_whose_code_the_sms_limits_refuse_says_so(settings, frozen_clock):
    settings.SMS_DAILY_CAP_PER_NUMBER = 0
    client = Client()

    response = post(client, SIGNUP, {"phone": TYPED})

    assert response.url == SIGNUP
    message = str(DAILY_CAP_REACHED) % {"time": str(TOMORROW_AT) % {"time": "08:00"}}
    assert message in text(followed(client, response))
    assert not Message.objects.exists()


def test_a_resend_the_sms_limits_refuse_is_reported_on_the_code_page(settings, frozen_clock):
    UserFactory(phone=NUMBER)
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    settings.SMS_DAILY_CAP_PER_NUMBER = 1
    frozen_clock.shift(dt.timedelta(minutes=5))

    response = post(client, CONFIRM_LOGIN, {"action": "resend"})

    assert response.url == CONFIRM_LOGIN
    message = str(DAILY_CAP_REACHED) % {"time": str(TOMORROW_AT) % {"time": "08:00"}}
    assert message in text(followed(client, response))
    assert len(codes_sent_to(NUMBER)) == 1


def test_a_second_code_within_the_minute_is_refused_with_the_time(frozen_clock):
    """One code a minute per number, whoever asks (the provider's limit): the second
    asker sees when to ask again."""
    UserFactory(phone=NUMBER)
    post(Client(), LOGIN, {"login": TYPED})

    response = post(Client(), LOGIN, {"login": "+8613800138000"})

    message = str(CODE_JUST_SENT) % {"time": "08:01"}
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["login"] == [message]
    assert message in text(response)
    assert len(codes_sent_to(NUMBER)) == 1


def test_a_new_number_gets_a_code_at_sign_in_and_the_code_makes_a_resident():
    """As on most Chinese sites: no separate sign-up, the first code registers."""
    client = Client()

    response = post(client, LOGIN, {"login": TYPED})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == CONFIRM_LOGIN
    [code] = codes_sent_to(NUMBER)
    assert code.isdigit() and len(code) == 6
    assert NUMBER in text(get(client, CONFIRM_LOGIN))
    assert confirmed_account(NUMBER) is None
    assert signed_in_user(client) is None

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    resident = signed_in_user(client)
    assert resident == confirmed_account(NUMBER)
    assert (resident.role, resident.preferred_language) == (Role.RESIDENT, "zh-hans")
    assert not resident.has_usable_password()
    assert User.objects.count() == 1


def test_a_new_number_signing_in_in_english_gets_english_texts_and_account():
    client = Client()
    post(client, "/i18n/setlang/", {"language": "en", "next": LOGIN})

    post(client, LOGIN, {"login": TYPED})
    [code] = codes_sent_to(NUMBER)
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})

    assert Message.objects.get(recipient=NUMBER).language == "en"
    assert signed_in_user(client).preferred_language == "en"


def test_the_sign_in_by_code_page_also_registers_a_new_number():
    """The page allauth sends people back to after too many wrong codes."""
    client = Client()

    response = post(client, REQUEST_CODE, {"phone": TYPED})

    assert response.url == CONFIRM_LOGIN
    [code] = codes_sent_to(NUMBER)
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_a_new_number_can_ask_for_a_new_code(frozen_clock):
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    frozen_clock.shift(dt.timedelta(minutes=1))  # the provider's one code a minute

    response = post(client, CONFIRM_LOGIN, {"action": "resend"})

    assert response.url == CONFIRM_LOGIN
    _first, second = codes_sent_to(NUMBER)
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": second})
    assert signed_in_user(client) == confirmed_account(NUMBER)


@pytest.mark.parametrize("entry", ["sign-in", "sign-up"])
def test_a_number_that_never_enters_its_code_leaves_no_account(time_machine, entry):
    time_machine.move_to(dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), tick=False)
    if entry == "sign-in":
        post(Client(), LOGIN, {"login": TYPED})
    else:
        post(Client(), SIGNUP, {"phone": TYPED})
    assert len(codes_sent_to(NUMBER)) == 1

    time_machine.shift(PENDING_FOR + dt.timedelta(minutes=1))
    post(Client(), LOGIN, {"login": OTHER_NUMBER})  # anyone's next request tidies up

    assert not User.objects.filter(phone=NUMBER).exists()
    assert User.objects.filter(phone=OTHER_NUMBER).exists()


@pytest.mark.parametrize("entry", ["sign-in", "sign-up"])
def test_an_account_whose_code_was_entered_is_kept(time_machine, entry):
    time_machine.move_to(dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    if entry == "sign-in":
        post(client, LOGIN, {"login": TYPED})
        post(client, CONFIRM_LOGIN, {"action": "verify", "code": codes_sent_to(NUMBER)[0]})
    else:
        post(client, SIGNUP, {"phone": TYPED})
        post(client, VERIFY_PHONE, {"action": "verify", "code": codes_sent_to(NUMBER)[0]})
    assert signed_in_user(client) == confirmed_account(NUMBER)

    time_machine.shift(PENDING_FOR * 2)
    post(Client(), LOGIN, {"login": OTHER_NUMBER})

    assert confirmed_account(NUMBER) is not None


def test_a_new_number_that_asks_again_later_still_gets_in(time_machine):
    """Each request gives the waiting account its time again."""
    time_machine.move_to(dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), tick=False)
    post(Client(), LOGIN, {"login": TYPED})  # never entered
    time_machine.shift(PENDING_FOR - dt.timedelta(minutes=2))
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    code = codes_sent_to(NUMBER)[-1]

    time_machine.shift(dt.timedelta(minutes=4))
    post(Client(), LOGIN, {"login": OTHER_NUMBER})  # tidies up expired accounts
    post(client, CONFIRM_LOGIN, {"action": "verify", "code": code})

    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_a_wrong_code_for_a_new_number_makes_no_account():
    client = Client()
    post(client, LOGIN, {"login": TYPED})
    [code] = codes_sent_to(NUMBER)
    wrong = "000000" if code != "000000" else "111111"

    response = post(client, CONFIRM_LOGIN, {"action": "verify", "code": wrong})

    assert str(INCORRECT_CODE) in text(response)
    assert signed_in_user(client) is None
    assert confirmed_account(NUMBER) is None


def _code_page_for(number: str) -> str:
    client = Client()
    response = post(client, LOGIN, {"login": number})
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, CONFIRM_LOGIN)
    body = text(get(client, CONFIRM_LOGIN)).replace(number, "NUMBER")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


def test_the_code_page_is_the_same_for_a_residents_a_staff_members_and_a_new_number(
    lawyer_user,
):
    """Whether a number has an account, and whose, is not shown to whoever types it."""
    UserFactory(phone=NUMBER)
    lawyer_user.phone, lawyer_user.phone_verified = OTHER_NUMBER, True
    lawyer_user.save(update_fields=["phone", "phone_verified"])
    new_number = "+8613700137000"

    resident_page = _code_page_for(NUMBER)
    staff_page = _code_page_for(OTHER_NUMBER)
    new_page = _code_page_for(new_number)

    assert resident_page == staff_page == new_page
    assert codes_sent_to(NUMBER) and codes_sent_to(new_number)
    assert not Message.objects.filter(recipient=OTHER_NUMBER).exists()


@pytest.mark.parametrize("existing", [True, False], ids=["existing number", "new number"])
def test_the_page_asked_for_before_sign_in_follows_the_code(existing):
    """From the booking flow: /accounts/login/?next=/book/… ends on /book/…."""
    if existing:
        UserFactory(phone=NUMBER)
    client = Client()
    wanted = "/book/office-1/family/?day=2026-12-08"
    sign_in_page = get(client, f"{LOGIN}?{urlencode({'next': wanted})}")
    assert hidden_next(sign_in_page) == [wanted, wanted]  # resident's form, staff form

    response = post(client, LOGIN, {"login": TYPED, "next": wanted})

    assert response.status_code == HTTPStatus.FOUND
    code_page_url = response.url
    assert code_page_url.startswith(f"{CONFIRM_LOGIN}?next=")
    assert hidden_next(get(client, code_page_url)).count(wanted) == 2  # code, new code
    response = post(client, code_page_url, {"action": "resend", "next": wanted})
    assert response.url == code_page_url  # a new code keeps it too
    code = codes_sent_to(NUMBER)[-1]

    response = post(client, code_page_url, {"action": "verify", "code": code, "next": wanted})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == wanted
    assert signed_in_user(client) == confirmed_account(NUMBER)


def test_signing_up_with_a_number_that_has_an_account_makes_no_second_one():
    UserFactory(phone=NUMBER)

    response = post(Client(), SIGNUP, {"phone": TYPED})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == VERIFY_PHONE
    assert User.objects.count() == 1
    assert not Message.objects.exists()


@pytest.fixture
def lawyer_user():
    user = LawyerFactory().user
    user.set_password(STAFF_PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_staff_sign_in_with_e_mail_and_password(lawyer_user):
    client = Client()

    response = post(client, LOGIN, {"login": lawyer_user.email.upper(), "password": STAFF_PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/lawyer/"  # a lawyer starts at their agenda
    assert signed_in_user(client) == lawyer_user


def test_the_desk_starts_at_the_day_sheet_and_next_wins(desk_user):
    desk_user.email = "desk@example.invalid"
    desk_user.set_password(STAFF_PASSWORD)
    desk_user.save()
    client = Client()
    response = post(client, LOGIN, {"login": desk_user.email, "password": STAFF_PASSWORD})
    assert response.url == "/desk/"
    client.logout()
    response = post(client, f"{LOGIN}?next=/desk/queue/", {"login": desk_user.email,
                                                           "password": STAFF_PASSWORD})  # fmt: skip
    assert response.url == "/desk/queue/"


def test_staff_with_a_number_on_file_sign_in_by_password_without_a_code(lawyer_user):
    lawyer_user.phone, lawyer_user.phone_verified = NUMBER, False
    lawyer_user.save(update_fields=["phone", "phone_verified"])
    client = Client()

    post(client, LOGIN, {"login": lawyer_user.email, "password": STAFF_PASSWORD})

    assert signed_in_user(client) == lawyer_user
    assert not Message.objects.exists()


def test_staff_get_no_sign_in_code_by_sms(lawyer_user):
    lawyer_user.phone, lawyer_user.phone_verified = NUMBER, True
    lawyer_user.save(update_fields=["phone", "phone_verified"])

    client = Client()
    response = post(client, LOGIN, {"login": TYPED})

    assert response.url == CONFIRM_LOGIN  # the same page as for anyone
    response = post(client, CONFIRM_LOGIN, {"action": "resend"})
    assert not Message.objects.exists()
    assert list(User.objects.filter(phone=NUMBER)) == [lawyer_user]  # no resident made


def test_a_wrong_staff_password_is_refused(lawyer_user):
    client = Client()

    response = post(client, LOGIN, {"login": lawyer_user.email, "password": "not-the-password"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].non_field_errors()
    assert '<details class="staff" open>' in text(response)
    assert signed_in_user(client) is None


def test_wrong_passwords_too_fast_from_one_network_say_until_when(
    lawyer_user, settings, frozen_clock
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "1/m/ip"}
    client = Client()
    post(client, LOGIN, {"login": lawyer_user.email, "password": "not-the-password"})

    response = post(client, LOGIN, {"login": lawyer_user.email, "password": "not-it-either"})

    message = str(TOO_MANY_ATTEMPTS) % {"time": "08:01"}
    assert response.context["form"].non_field_errors() == [message]


def test_an_e_mail_address_without_a_password_gets_no_code(lawyer_user):
    response = post(Client(), LOGIN, {"login": lawyer_user.email, "password": ""})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["password"] == [str(PASSWORD_NEEDED)]


def test_the_admin_sign_in_goes_through_allauth_so_totp_cannot_be_skipped():
    response = get(Client(), "/admin/login/?next=/admin/")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_the_header_offers_sign_in_and_then_sign_out():
    client = Client()
    assert f'href="{LOGIN}"' in text(get(client, "/"))

    client.force_login(UserFactory())
    body = text(get(client, "/"))

    assert 'action="/accounts/logout/" method="post"' in body
    assert f'href="{LOGIN}"' not in body


def test_sign_out_is_a_post():
    client = Client()
    client.force_login(UserFactory())

    assert get(client, "/accounts/logout/").status_code == HTTPStatus.OK  # asks first
    assert signed_in_user(client) is not None
    response = post(client, "/accounts/logout/", {})

    assert response.status_code == HTTPStatus.FOUND
    assert signed_in_user(client) is None


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-hans", ["登录", "手机号码", "获取验证码"]), ("en", ["Sign in", "Mobile number"])],
)
def test_the_sign_in_page_speaks_the_chosen_language(language, words):
    client = Client()
    post(client, "/i18n/setlang/", {"language": language, "next": LOGIN})

    body = text(get(client, LOGIN))

    assert f'<html lang="{language}">' in body
    for word in words:
        assert word in body


def test_sign_in_codes_live_as_long_as_the_text_message_says():
    assert settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT == LOGIN_CODE_MINUTES * 60
    assert settings.ACCOUNT_PHONE_VERIFICATION_TIMEOUT == LOGIN_CODE_MINUTES * 60


def test_the_production_cache_table_is_made_by_migrate(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
    cache = caches["default"]

    cache.set("probe", 1)

    assert cache.get("probe") == 1


def test_sign_ups_too_fast_from_one_network_are_refused_with_the_time(settings, frozen_clock):
    """allauth raises its rate limit on sign-up codes without catching it."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "verify_phone": "1/m/ip"}
    post(Client(), SIGNUP, {"phone": TYPED})
    client = Client()

    response = post(client, SIGNUP, {"phone": OTHER_NUMBER})

    assert response.url == SIGNUP
    assert str(TOO_MANY_REQUESTS) % {"time": "08:01"} in text(followed(client, response))


def test_staff_with_totp_are_asked_for_it_after_their_password(lawyer_user):
    secret = generate_totp_secret()
    TOTP.activate(lawyer_user, secret)
    client = Client()

    response = post(client, LOGIN, {"login": lawyer_user.email, "password": STAFF_PASSWORD})

    assert response.url == reverse("mfa_authenticate")
    assert signed_in_user(client) is None
    page = followed(client, response)
    assert page.status_code == HTTPStatus.OK
    assert "<h1>" in text(page) and 'class="site-header"' in text(page)  # the site's layout
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = post(client, reverse("mfa_authenticate"), {"code": code})
    assert signed_in_user(client) == lawyer_user


def test_a_page_stopped_by_a_rate_limit_says_so_in_the_sites_language(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "1/m/ip"}
    client = Client()
    post(client, LOGIN, {"login": "0731-84123456"})

    response = post(client, LOGIN, {"login": "0731-84123456"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "操作太频繁，请等一分钟再试。" in text(response)
