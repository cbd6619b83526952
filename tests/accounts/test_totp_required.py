"""Offices that require their staff to use an authenticator app (TOTP, allauth.mfa).

Staff of such an office without an authenticator can only set one up or sign out;
everyone else is left alone, and visitors who are not signed in cost nothing more.
"""

import time
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.middleware import TOTP_REQUIRED, TotpRequiredMiddleware
from accounts.models import Role, User
from tests.factories import LawyerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-2026"
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
ACTIVATE = "/accounts/2fa/totp/activate/"
REAUTHENTICATE = "/accounts/reauthenticate/"
MIDDLEWARE = "accounts.middleware.TotpRequiredMiddleware"
ROLES = ["lawyer", "desk", "office_admin"]
HELD_PAGES = [
    "/",
    "/admin/",
    "/admin/booking/office/",
    "/book/",
    "/my/",
    "/accounts/password/change/",
    "/no-such-page/",
]


def get(client: Client, url: str, **kwargs):
    return client.get(url, secure=True, **kwargs)


def post(client: Client, url: str, data: dict, **kwargs):
    return client.post(url, data, secure=True, **kwargs)


def text(response) -> str:
    return response.content.decode()


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def notice(office) -> str:
    """The message as the page shows it: in the site's language, HTML-escaped."""
    with translation.override(settings.LANGUAGE_CODE):
        return escape(TOTP_REQUIRED % {"office": office.name})


def is_held(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response.url == ACTIVATE


def held_staff_office(user: User):
    return user.office if user.office_id else user.lawyer.offices.get()


def make_staff(role: str, office) -> User:
    """A staff member of ``office`` who signs in with e-mail and ``PASSWORD``."""
    if role == "lawyer":
        user = LawyerFactory(offices=[office]).user
    else:
        user = UserFactory(
            role=role,
            office=office,
            phone=None,
            phone_verified=False,
            email=f"{role}-{office.slug}@example.invalid",
            is_staff=role == Role.OFFICE_ADMIN,
        )
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(client: Client, user: User) -> None:
    response = post(client, LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url in ("/lawyer/", "/desk/")  # where staff start
    assert signed_in_user(client) == user


def set_up_page(client: Client):
    """The set-up page, once the password is entered again: allauth asks for it first."""
    response = get(client, ACTIVATE)
    assert response.url == f"{REAUTHENTICATE}?{urlencode({'next': ACTIVATE})}"
    response = post(client, response.url, {"password": PASSWORD})
    assert response.url == ACTIVATE
    page = get(client, ACTIVATE)
    assert page.status_code == HTTPStatus.OK
    return page


def activate_through_the_page(client: Client) -> None:
    """As a person does it: the password again, the QR code, then the app's code."""
    set_up_page(client)
    secret = client.session[SECRET_SESSION_KEY]
    response = post(client, ACTIVATE, {"code": current_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url != ACTIVATE


@pytest.fixture(autouse=True)
def _still_clock(time_machine, now):
    """allauth takes only the current 30-second code: time stands still while we type it."""
    time_machine.move_to(now, tick=False)


@pytest.fixture
def strict_office(office):
    office.require_staff_totp = True
    office.save(update_fields=["require_staff_totp"])
    return office


@pytest.fixture(params=ROLES)
def held_staff(request, strict_office):
    """Each kind of staff member of an office that requires TOTP, without one yet."""
    return make_staff(request.param, strict_office)


def test_offices_do_not_require_totp_until_they_say_so():
    assert OfficeFactory().require_staff_totp is False


def test_the_requirement_is_set_on_the_office_in_the_admin(office):
    superuser = User.objects.create_superuser("root@example.invalid", PASSWORD)
    client = Client()
    client.force_login(superuser)

    page = get(client, f"/admin/booking/office/{office.pk}/change/")

    assert page.status_code == HTTPStatus.OK
    assert 'name="require_staff_totp"' in text(page)


@pytest.mark.parametrize("url", HELD_PAGES)
def test_staff_without_totp_are_sent_from_every_page_to_set_it_up(held_staff, url):
    client = Client()
    client.force_login(held_staff)

    response = get(client, url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp") == ACTIVATE


def test_a_post_elsewhere_is_sent_to_set_it_up_too(held_staff):
    client = Client()
    client.force_login(held_staff)

    response = post(client, "/book/", {})

    assert (response.status_code, response.url) == (HTTPStatus.FOUND, ACTIVATE)


def test_after_signing_in_staff_land_on_the_set_up_page_which_says_why(held_staff):
    client = Client()
    sign_in(client, held_staff)

    response = get(client, "/")
    assert response.url == ACTIVATE
    expected = notice(held_staff_office(held_staff))
    response = get(client, ACTIVATE)
    assert response.url.startswith(REAUTHENTICATE)  # allauth asks for the password again
    password_page = get(client, response.url)
    assert password_page.status_code == HTTPStatus.OK
    assert expected in text(password_page)  # already there, saying why

    body = text(set_up_page(client))

    assert body.count(expected) == 1
    assert 'name="code"' in body


def test_the_notice_is_not_left_over_for_later_pages(held_staff):
    """Only the set-up page shows it: held requests do not queue it for afterwards."""
    client = Client()
    sign_in(client, held_staff)
    for url in HELD_PAGES:
        get(client, url)
    activate_through_the_page(client)

    page = get(client, "/")

    assert page.status_code == HTTPStatus.OK
    assert notice(held_staff_office(held_staff)) not in text(page)


def test_once_totp_is_active_staff_use_the_site_and_sign_in_with_a_code(held_staff):
    client = Client()
    sign_in(client, held_staff)

    activate_through_the_page(client)

    assert Authenticator.objects.filter(user=held_staff, type=Authenticator.Type.TOTP).exists()
    assert get(client, "/").status_code == HTTPStatus.OK
    admin = get(client, "/admin/")
    assert admin.status_code == (HTTPStatus.OK if held_staff.is_staff else HTTPStatus.FOUND)
    if admin.status_code == HTTPStatus.FOUND:
        assert admin.url != ACTIVATE  # the admin's own refusal, not ours

    post(client, LOGOUT, {})
    response = post(client, LOGIN, {"login": held_staff.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert signed_in_user(client) is None


@pytest.mark.parametrize("role", ROLES)
def test_staff_with_an_authenticator_are_not_held(strict_office, role):
    user = make_staff(role, strict_office)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)

    assert get(client, "/").status_code == HTTPStatus.OK
    assert not is_held(get(client, "/book/"))


def test_staff_without_totp_can_sign_out(held_staff):
    client = Client()
    client.force_login(held_staff)

    assert get(client, LOGOUT).status_code == HTTPStatus.OK
    response = post(client, LOGOUT, {})

    assert response.status_code == HTTPStatus.FOUND
    assert signed_in_user(client) is None
    assert get(client, "/").status_code == HTTPStatus.OK


def test_staff_without_totp_can_switch_language_and_load_static_files(held_staff):
    client = Client()
    client.force_login(held_staff)

    response = post(client, "/i18n/setlang/", {"language": "en", "next": ACTIVATE})

    assert (response.status_code, response.url) == (HTTPStatus.FOUND, ACTIVATE)
    static = get(client, f"{settings.STATIC_URL}css/site.css")
    assert static.status_code != HTTPStatus.FOUND


def test_the_notice_speaks_the_chosen_language(held_staff):
    client = Client()
    sign_in(client, held_staff)
    post(client, "/i18n/setlang/", {"language": "en", "next": ACTIVATE})

    page = set_up_page(client)

    with translation.override("en"):
        expected = escape(TOTP_REQUIRED % {"office": held_staff_office(held_staff).name})
    assert expected in text(page)


def test_staff_already_signed_in_when_the_office_turns_it_on_are_held(office):
    user = make_staff("desk", office)
    client = Client()
    sign_in(client, user)
    assert get(client, "/").status_code == HTTPStatus.OK

    office.require_staff_totp = True
    office.save(update_fields=["require_staff_totp"])

    assert get(client, "/").url == ACTIVATE
    activate_through_the_page(client)
    assert get(client, "/").status_code == HTTPStatus.OK


def test_a_lawyer_is_held_when_any_of_their_offices_requires_it(office):
    strict = OfficeFactory(name="严格镇司法所", require_staff_totp=True)
    lawyer = LawyerFactory(offices=[office, strict]).user
    lawyer.set_password(PASSWORD)
    lawyer.save(update_fields=["password"])
    client = Client()
    sign_in(client, lawyer)

    assert get(client, "/").url == ACTIVATE
    page = set_up_page(client)
    assert notice(strict) in text(page)
    assert notice(office) not in text(page)


def test_removing_the_authenticator_sends_staff_back_to_set_one_up(strict_office):
    user = make_staff("desk", strict_office)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    assert get(client, "/").status_code == HTTPStatus.OK

    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()

    assert get(client, "/").url == ACTIVATE


def test_deactivating_totp_on_its_page_sends_staff_back_to_set_it_up(strict_office):
    user = make_staff("office_admin", strict_office)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client = Client()
    response = post(client, LOGIN, {"login": user.email, "password": PASSWORD})
    post(client, response.url, {"code": current_code(secret)})
    assert signed_in_user(client) == user

    response = post(client, reverse("mfa_deactivate_totp"), {})
    assert response.url.startswith(REAUTHENTICATE)  # the password again, first
    response = post(client, response.url, {"password": PASSWORD})  # then it deactivates
    assert response.status_code == HTTPStatus.FOUND

    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert get(client, "/admin/").url == ACTIVATE


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/", "/admin/"])
def test_staff_of_an_office_without_the_requirement_are_never_held(office, role, url):
    client = Client()
    client.force_login(make_staff(role, office))

    response = get(client, url)

    assert not is_held(response)
    if url == "/" or role == Role.OFFICE_ADMIN:
        assert response.status_code == HTTPStatus.OK


def test_residents_are_never_held(strict_office):
    """Even one recorded against an office that requires TOTP of its staff."""
    resident = UserFactory(office=strict_office)
    client = Client()
    client.force_login(resident)

    for url in ["/", "/my/", f"/book/{strict_office.slug}/", LOGOUT]:
        response = get(client, url)
        assert response.status_code == HTTPStatus.OK, url


def test_a_superuser_of_such_an_office_is_held(strict_office):
    user = User.objects.create_superuser("head@example.invalid", PASSWORD, office=strict_office)
    client = Client()
    client.force_login(user)

    assert get(client, "/admin/").url == ACTIVATE


def test_anonymous_visitors_are_not_held_and_cost_no_query(strict_office, settings):
    def queries_for_home_page() -> int:
        caches["pages"].clear()
        client = Client()
        with CaptureQueriesContext(connection) as queries:
            assert get(client, "/").status_code == HTTPStatus.OK
        return len(queries)

    with_check = queries_for_home_page()
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    without_check = queries_for_home_page()

    assert with_check == without_check


def _call_middleware(user) -> HttpResponse:
    request = RequestFactory().get("/", secure=True)
    request.user = user
    request.session = {}
    return TotpRequiredMiddleware(lambda request: HttpResponse("page"))(request)


def test_the_check_makes_no_query_for_anonymous_visitors_and_residents(
    django_assert_num_queries, strict_office
):
    resident = UserFactory(office=strict_office)

    with django_assert_num_queries(0):
        assert _call_middleware(AnonymousUser()).status_code == HTTPStatus.OK
        assert _call_middleware(resident).status_code == HTTPStatus.OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("required", [True, False])
def test_the_check_makes_one_query_for_staff(django_assert_num_queries, office, role, required):
    office.require_staff_totp = required
    office.save(update_fields=["require_staff_totp"])
    user = make_staff(role, office)
    TOTP.activate(user, generate_totp_secret())
    user = User.objects.get(pk=user.pk)

    with django_assert_num_queries(1):
        assert _call_middleware(user).status_code == HTTPStatus.OK
