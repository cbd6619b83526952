"""The desk's follow-up list: its own office only, invitation by SMS, the outcome recorded."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from booking import errors
from booking.errors import TEXT_DOES_NOT_FIT
from booking.models import FollowUp, FollowUpStatus, Mode
from booking.services import book_appointment
from booking.services.outcomes import request_follow_up
from booking.views.desk.follow_ups import INVITED, INVITED_LATER
from sms.messages import build_sms
from sms.models import Kind, Message, MessageStatus
from sms.selectors import TOMORROW_AFTER
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, UserFactory

MONDAY = NOW.date()
URL = "/desk/follow-ups/"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def follow_up_for(lawyer, *, resident=None, invite_by=MONDAY + dt.timedelta(days=14)):
    appointment = book_appointment(
        resident=resident or UserFactory(),
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        lawyer=lawyer,
        starts_at=local(MONDAY, 10),
        mode=Mode.IN_PERSON,
        summary="不该让窗口看到的案情",
        matter_consent_at=NOW,
    )
    return request_follow_up(
        appointment=appointment, lawyer=lawyer, invite_by=invite_by, note_for_office="带合同"
    )


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


def test_the_desk_sees_its_offices_follow_ups_without_the_matter(at_desk, lawyer, topic):
    mine = follow_up_for(lawyer)
    elsewhere = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    RuleFactory(lawyer=elsewhere, office=elsewhere.offices.get(), weekday=0)
    theirs = follow_up_for(elsewhere)
    page = at_desk.get(URL).content.decode()
    assert str(mine.appointment.resident) in page and "带合同" in page
    assert str(theirs.appointment.resident) not in page
    assert "不该让窗口看到的案情" not in page
    response = at_desk.post(URL, {"follow_up": theirs.pk, "action": "invite"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Message.objects.filter(kind=Kind.FOLLOW_UP).exists()


def test_one_click_texts_the_invitation_with_the_sites_address_and_a_code(
    at_desk, client, lawyer, office, topic, settings
):
    """No link in a variable (providers refuse it): the address is fixed text, and the
    code typed on it leads to the same area of law at the same office."""
    settings.SITE_URL = "https://yuyue.example.gov.cn"
    follow_up = follow_up_for(lawyer)
    at_desk.post(URL, {"follow_up": follow_up.pk, "action": "invite"})
    message = Message.objects.get(kind=Kind.FOLLOW_UP)
    assert message.recipient == follow_up.appointment.resident.phone.as_e164
    assert message.status == MessageStatus.QUEUED
    assert "link" not in message.params
    code = message.params["booking_code"]
    assert f"打开 https://yuyue.example.gov.cn/f/ ，输入代码{code}。" in build_sms(message).text
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.INVITED and follow_up.invited_at == NOW
    client.logout()
    response = client.get(reverse("booking:follow_up_code"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(
        "booking:slots", kwargs={"office": office.slug, "topic": topic.code}
    )


def test_an_office_whose_name_cannot_go_into_a_text_is_told_and_the_follow_up_stays_open(
    at_desk, lawyer, office
):
    follow_up = follow_up_for(lawyer)
    office.name = "湖南省湘潭县青石镇人民政府司法所"
    office.save()
    response = at_desk.post(URL, {"follow_up": follow_up.pk, "action": "invite"}, follow=True)
    assert escape(str(TEXT_DOES_NOT_FIT)) in response.content.decode()
    assert not Message.objects.filter(kind=Kind.FOLLOW_UP).exists()
    assert FollowUp.objects.get(pk=follow_up.pk).status == FollowUpStatus.OPEN


def test_the_outcome_is_recorded_and_the_follow_up_leaves_the_list(at_desk, lawyer):
    follow_up = follow_up_for(lawyer)
    at_desk.post(URL, {"follow_up": follow_up.pk, "action": "closed", "outcome": "不需要了"})
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CLOSED and follow_up.outcome == "不需要了"
    assert str(follow_up.appointment.resident) not in at_desk.get(URL).content.decode()
    response = at_desk.post(URL, {"follow_up": follow_up.pk, "action": "invite"}, follow=True)
    assert str(errors.FOLLOW_UP_NOT_OPEN) in response.content.decode()


def test_a_resident_without_a_mobile_number_is_not_texted(at_desk, lawyer):
    no_phone = UserFactory(phone=None, phone_verified=False)
    follow_up = follow_up_for(lawyer, resident=no_phone)
    response = at_desk.post(URL, {"follow_up": follow_up.pk, "action": "invite"}, follow=True)
    assert str(errors.NO_MOBILE_NUMBER) in response.content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).status == FollowUpStatus.OPEN


def test_overdue_follow_ups_are_marked(at_desk, lawyer):
    follow_up_for(lawyer, invite_by=MONDAY + dt.timedelta(days=1))
    FollowUp.objects.update(invite_by=MONDAY - dt.timedelta(days=1))
    assert "逾期" in at_desk.get(URL).content.decode()


@pytest.mark.parametrize("who", ["resident", "lawyer"])
def test_residents_and_lawyers_cannot_open_the_desk_pages(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == HTTPStatus.FORBIDDEN


def test_enter_in_the_outcome_field_never_sends_the_invitation(client, lawyer, desk_user):
    follow_up_for(lawyer)
    client.force_login(desk_user)
    page = client.get(URL).content.decode()
    outcome_form = page[page.index('name="outcome"') - 600 : page.index('name="outcome"')]
    outcome_form = outcome_form[outcome_form.rindex("<form") :]
    # The outcome's form (the one Enter submits) holds no invitation button.
    assert 'value="invite"' not in outcome_form
    assert 'value="invite"' in page


def test_an_invitation_in_the_quiet_hours_says_when_it_goes(at_desk, desk_user, lawyer, clock):
    follow_up = follow_up_for(lawyer)
    clock.move_to(local(MONDAY, 22, 44), tick=False)
    at_desk.force_login(desk_user)  # signed out after 30 minutes idle: in again
    response = at_desk.post(URL, {"follow_up": follow_up.pk, "action": "invite"}, follow=True)
    page = response.content.decode()
    name = follow_up.appointment.resident
    when = str(TOMORROW_AFTER) % {"time": "08:00"}
    assert escape(str(INVITED_LATER) % {"name": name, "when": when}) in page
    assert escape(str(INVITED) % {"name": name}) not in page
    message = Message.objects.get(kind=Kind.FOLLOW_UP)
    assert message.not_before.astimezone(NOW.tzinfo) == local(MONDAY + dt.timedelta(days=1), 8)
