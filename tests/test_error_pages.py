"""The site's own error pages: 400, 403, 404, a refused form (CSRF) and 500.

Each is in the site's layout and the visitor's language, with a way back: the home page,
"my appointments" and the offices' phones — except the 500 page, which must render with
the database unreachable and names the free legal-aid hotline instead.
"""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import OfficeFactory, UserFactory

HOME_LINK = '<a href="/">'
MINE_LINK = '<a href="/my/">'


def in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_site_page(body: str, *, language: str) -> None:
    assert f'<html lang="{language}">' in body
    assert 'class="site-header"' in body and 'class="site-footer"' in body
    assert "Not Found</h1>" not in body and "Traceback" not in body
    assert HOME_LINK in body


@pytest.mark.django_db
def test_a_stale_link_gets_the_sites_page_not_found_in_chinese_with_the_offices_phone(
    client, plain_http, django_assert_max_num_queries
):
    office = OfficeFactory(name="青石镇司法所", phone="0731-5786 0148")
    with django_assert_max_num_queries(1):  # the offices' phones
        response = client.get("/my/AB12CD34/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    body = response.content.decode()
    assert_site_page(body, language="zh-hans")
    assert "<h1>这个页面不存在</h1>" in body
    assert MINE_LINK in body
    phones = body[body.index('class="plain office-phones"') :]
    assert (
        office.name in phones
        and '<a class="nobreak" href="tel:0731-57860148">0731-5786 0148</a>' in phones
    )


@pytest.mark.django_db
def test_page_not_found_in_english_for_a_signed_in_resident(
    client, plain_http, office, django_assert_max_num_queries
):
    client.force_login(UserFactory())
    in_english(client)
    with django_assert_max_num_queries(3):  # session, user, the offices' phones
        response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    body = response.content.decode()
    assert_site_page(body, language="en")
    assert "<h1>This page does not exist</h1>" in body
    assert "The link may be old or mistyped" in body
    assert MINE_LINK in body and "Sign out" in body  # the header knows who is signed in
    assert 'href="tel:0731-12345678"' in body


@pytest.mark.django_db
def test_staff_are_not_sent_to_my_appointments_from_an_error_page(client, plain_http, office):
    client.force_login(UserFactory(role="desk", office=office, phone=None, phone_verified=False))
    body = in_english(client).get("/no-such-page/").content.decode()
    assert HOME_LINK in body and MINE_LINK not in body


@pytest.mark.django_db
def test_a_forbidden_admin_page_gets_the_sites_403(client, plain_http, office):
    admin = UserFactory(
        role="office_admin", office=office, phone=None, phone_verified=False, is_staff=True
    )
    client.force_login(admin)
    response = in_english(client).get("/admin/auth/group/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.content.decode()
    assert_site_page(body, language="en")
    assert "<h1>This page is not open to you</h1>" in body
    assert "sign out and sign in with that one" in body


@pytest.mark.django_db
def test_a_request_for_another_host_gets_the_sites_400(client, plain_http, office):
    response = in_english(client).get("/", HTTP_HOST="elsewhere.example")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert_site_page(body, language="en")
    assert "<h1>The request could not be read</h1>" in body
    assert "nothing was done" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/my/AB12\x00CD34/", None),
        ("get", "/book/", {"office": "a\x00", "next": "/\x00"}),
        ("post", "/my/data/withdraw/", {"withdraw-confirm": "a\x00"}),
    ],
)
def test_a_request_with_a_nul_character_gets_the_sites_400_without_the_nul(
    client, plain_http, django_assert_max_num_queries, method, url, data
):
    """Refused at the door (config/security.py) with the site's page, in the visitor's
    language; the page writes nothing of the request back (the language form's ``next``
    would carry the NUL) nor who is signed in: the signed-out page with the offices'
    phones."""
    office = OfficeFactory(name="青石镇司法所", phone="0731-5786 0148")
    client.force_login(UserFactory())
    # The session and the user, read by the sign-in middlewares before any view is
    # chosen; then the offices' phones.
    with django_assert_max_num_queries(3):
        response = getattr(client, method)(url, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert_site_page(body, language="zh-hans")
    assert "\x00" not in body and "%00" not in body
    assert '<input name="next" type="hidden" value="">' in body
    assert "AB12" not in body and "withdraw" not in body
    assert (
        '<a class="nobreak" href="tel:0731-57860148">0731-5786 0148</a>' in body
        and office.name in body
    )
    english = in_english(client).get("/book/", {"office": "a\x00"}).content.decode()
    assert "<h1>The request could not be read</h1>" in english and "Sign out" not in english


@pytest.mark.django_db
def test_a_form_posted_with_a_stale_token_is_refused_with_a_way_back_to_it(plain_http, office):
    client = in_english(Client(enforce_csrf_checks=True))
    assert client.get("/accounts/login/").status_code == HTTPStatus.OK  # the CSRF cookie
    response = client.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": "x" * 64, "phone": "13800138000"},
        HTTP_REFERER="http://testserver/accounts/login/?next=/book/",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.content.decode()
    assert_site_page(body, language="en")
    assert "<h1>The form was not sent</h1>" in body
    assert "nothing was changed" in body and "open a long time" in body
    assert '<a href="http://testserver/accounts/login/?next=/book/">Open the form again</a>' in body


@pytest.mark.django_db
def test_a_form_posted_without_the_cookie_says_to_allow_cookies(plain_http, office):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"phone": "13800138000"}, HTTP_REFERER="https://elsewhere.example/"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.content.decode()
    assert_site_page(body, language="zh-hans")
    assert "elsewhere.example" not in body  # a way back only to this site's own pages
    assert "cookie" in body.lower()


@pytest.fixture
def unreachable_database(django_db_blocker):
    """The default database points at a file in a folder that does not exist (SQLite) or
    a database that does not exist (PostgreSQL): every connection attempt fails."""
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]
    with django_db_blocker.unblock():
        connection.close()
        settings_dict["NAME"] = "/nonexistent/folder/legalaid.sqlite3"
        if connection.vendor == "postgresql":
            settings_dict["NAME"] = "legalaid_no_such_database"
        try:
            yield
        finally:
            connection.close()
            settings_dict["NAME"] = name


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Something went wrong on our side"), ("zh-hans", None)],
)
def test_the_500_page_renders_with_the_database_unreachable(
    unreachable_database, plain_http, language, heading
):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/")  # the home page reads the offices: the database fails
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    body = response.content.decode()
    assert_site_page(body, language=language)
    if heading:
        assert f"<h1>{heading}</h1>" in body
    assert MINE_LINK in body
    assert '<a class="nobreak" href="tel:12348">12348</a>' in body
    assert "Content-Security-Policy" in response.headers  # through the middleware as ever


@pytest.mark.django_db
def test_a_link_to_an_address_that_only_receives_forms_gets_a_page_not_a_blank(
    client, plain_http, office
):
    client.force_login(UserFactory())
    response = in_english(client).get("/my/data/withdraw/")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert_site_page(body, language="en")
    assert "<h1>This address only receives forms</h1>" in body
    assert MINE_LINK in body and 'href="tel:0731-12345678"' in body
