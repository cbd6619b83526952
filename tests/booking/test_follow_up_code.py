"""``/f/``: the code from a follow-up invitation leads to the booking it stands for."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from booking.follow_up_codes import find_follow_up, follow_up_code
from booking.views.resident.follow_up_code import NOT_OFFERED_ANY_MORE, UNKNOWN_CODE
from sms.models import Kind, Message
from sms.services import notify_follow_up
from tests.conftest import NOW, local
from tests.factories import OfficeFactory, TopicFactory

URL = "/f/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def slots(office, topic) -> str:
    return reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})


def invitation(lawyer, office, topic, *, safe=False) -> str:
    from booking.models import Mode
    from booking.services import book_appointment
    from tests.factories import UserFactory

    appointment = book_appointment(
        resident=UserFactory(), office=office, topic=topic, lawyer=lawyer,
        starts_at=local(dt.date(2026, 12, 9), 10), mode=Mode.IN_PERSON, now=NOW,
        safe_contact=safe,
    )  # fmt: skip
    notify_follow_up(appointment=appointment, by_date=dt.date(2026, 12, 20), now=NOW)
    return Message.objects.get(kind=Kind.FOLLOW_UP).params["booking_code"]


def test_the_page_asks_for_the_code_without_javascript(client):
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'method="get"' in body and 'name="code"' in body and 'inputmode="numeric"' in body
    assert "<script" not in body


def test_the_invitations_code_leads_to_the_same_area_at_the_same_office(
    client, lawyer, office, topic
):
    code = invitation(lawyer, office, topic)
    for typed in [code, f"{code[:4]} {code[4:]}", f"{code[:4]}-{code[4:]}"]:
        response = client.get(URL, {"code": typed})
        assert response.status_code == HTTPStatus.FOUND
        assert response.url == slots(office, topic)


def test_a_discreet_invitations_code_names_no_area_of_law(client, lawyer, office, topic):
    code = invitation(lawyer, office, topic, safe=True)
    response = client.get(URL, {"code": code})
    assert response.url == reverse("booking:topics", kwargs={"office": office.slug})
    assert find_follow_up(code) == (office, None)


def test_codes_differ_by_office_and_area_and_a_typo_is_no_other_offices(office, topic):
    other_topic = TopicFactory(code="labour", name_zh_hans="劳动争议", name_en="Work")
    other_office = OfficeFactory()
    codes = {
        follow_up_code(office_id=o.pk, topic_id=t.pk if t else None)
        for o in (office, other_office)
        for t in (topic, other_topic, None)
    }
    assert len(codes) == 6 and all(len(code) == 8 and code.isdigit() for code in codes)
    code = follow_up_code(office_id=office.pk, topic_id=topic.pk)
    typo = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    assert find_follow_up(typo) is None


def test_a_wrong_code_says_so_on_the_page(client, office):
    response = client.get(URL, {"code": "1234 5678"})
    assert response.status_code == HTTPStatus.OK
    assert escape(str(UNKNOWN_CODE)) in response.content.decode()


def test_an_area_no_longer_offered_leads_to_the_offices_list_with_a_word(
    client, lawyer, office, topic
):
    code = invitation(lawyer, office, topic)
    office.topics.remove(topic)
    response = client.get(URL, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "booking:topics", kwargs={"office": office.slug}
    )
    assert escape(str(NOT_OFFERED_ANY_MORE)) in response.content.decode()


def test_codes_from_the_previous_secret_key_still_work(client, office, topic, settings):
    code = follow_up_code(office_id=office.pk, topic_id=topic.pk)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-site-0123456789abcdefghijklmnopqrstu"
    assert find_follow_up(code) == (office, topic)


def test_guessing_is_rate_limited_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "follow_up_code": "3/h/ip"}
    for _ in range(3):
        assert client.get(URL, {"code": "1234 5678"}).status_code == HTTPStatus.OK
    assert client.get(URL, {"code": "1234 5678"}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert client.get(URL).status_code == HTTPStatus.OK  # the empty page costs nothing
