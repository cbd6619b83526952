"""Staff who forgot their password: by e-mail where the site can send it, otherwise
through their office admin, who sets a new one in the admin.
"""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from accounts.forms import RESET_BY_OFFICE_ADMIN
from tests.factories import LawyerFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
OLD_PASSWORD = "a-long-staff-password-2026"
NEW_PASSWORD = "another-long-password-2027"


def post(client: Client, url: str, data: dict):
    return client.post(url, data, secure=True)


def get(client: Client, url: str):
    return client.get(url, secure=True)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def lawyer_user():
    user = LawyerFactory().user
    user.set_password(OLD_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def no_mail_server(settings):
    settings.EMAIL_HOST = ""


@pytest.fixture
def mail_server(settings):
    settings.EMAIL_HOST = "smtp.example.invalid"


def test_the_staff_sign_in_offers_a_way_back_in():
    assert f'href="{RESET}"' in text(get(Client(), LOGIN))


def test_without_a_mail_server_staff_are_sent_to_their_office_admin(no_mail_server):
    page = get(Client(), RESET)

    assert page.status_code == HTTPStatus.OK
    assert str(RESET_BY_OFFICE_ADMIN) in text(page)
    assert 'name="email"' not in text(page)  # nothing to fill in that would not work


def test_without_a_mail_server_a_reset_posted_anyway_sends_nothing(no_mail_server, lawyer_user):
    client = Client()

    response = post(client, RESET, {"email": lawyer_user.email})

    assert response.status_code == HTTPStatus.OK
    assert str(RESET_BY_OFFICE_ADMIN) in text(response)
    assert mail.outbox == []
    assert client.login(email=lawyer_user.email, password=OLD_PASSWORD)


def test_with_a_mail_server_staff_reset_their_password_by_e_mail(mail_server, lawyer_user):
    client = Client()
    assert 'name="email"' in text(get(client, RESET))

    response = post(client, RESET, {"email": lawyer_user.email.upper()})

    assert response.status_code == HTTPStatus.FOUND
    assert str(RESET_BY_OFFICE_ADMIN) not in text(get(client, response.url))
    [message] = mail.outbox
    assert message.to == [lawyer_user.email]
    [link] = re.findall(r"https://testserver(/accounts/password/reset/key/\S+/)", message.body)
    form_url = get(client, link).url  # allauth moves the key out of the address
    response = post(client, form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND

    response = post(client, LOGIN, {"login": lawyer_user.email, "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(lawyer_user.pk)


def test_with_a_mail_server_an_unknown_address_looks_the_same(mail_server, lawyer_user):
    response = post(Client(), RESET, {"email": "nobody@example.invalid"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/password/reset/done/"
    assert lawyer_user.email not in [to for message in mail.outbox for to in message.to]
