"""Each office offers its own areas of law (``Office.topics``), among those switched on.

An area one office stops offering is gone from that office's pages and bookings only:
the other office still offers it, and appointments already booked in it keep their
place and can still be moved.
"""

import datetime as dt
from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from booking import selectors
from booking.errors import SlotNotOffered
from booking.figures import get_figures, list_next_free
from booking.link_notices import TOPIC_NOT_OFFERED
from booking.management.commands.demo import ADMIN_GROUP
from booking.models import Mode, Office, Topic
from booking.services import book_appointment, reschedule_appointment
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http", "frozen_clock")]
TOMORROW = NOW.date() + dt.timedelta(days=1)


@pytest.fixture
def elsewhere(topic):
    """Office 2, with a lawyer of its own for ``topic``, weekdays 9:00–12:00."""
    office = OfficeFactory()
    lawyer = LawyerFactory(offices=[office], topics=[topic])
    for weekday in range(5):
        RuleFactory(lawyer=lawyer, office=office, weekday=weekday)
    return office


def _book(office: Office, topic: Topic, lawyer, hour: int = 10):
    return book_appointment(
        resident=UserFactory(),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(TOMORROW, hour),
        mode=Mode.IN_PERSON,
        now=NOW,
    )


def test_an_area_switched_off_at_one_office_is_still_bookable_at_the_other(
    client, office, lawyer, topic, elsewhere
):
    office.topics.remove(topic)
    here = reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})
    there = reverse("booking:slots", kwargs={"office": elsewhere.slug, "topic": topic.code})
    assert topic.name not in client.get(f"/book/{office.slug}/").content.decode()
    # A stale link to it leads to the office's areas, saying why (booking/link_notices.py).
    stale = client.get(here, follow=True)
    assert stale.redirect_chain == [(f"/book/{office.slug}/", HTTPStatus.FOUND)]
    assert str(TOPIC_NOT_OFFERED) in stale.content.decode()
    with pytest.raises(SlotNotOffered):
        _book(office, topic, lawyer)
    assert topic.name in client.get(f"/book/{elsewhere.slug}/").content.decode()
    response = client.get(there)
    assert response.status_code == HTTPStatus.OK
    assert response.context["first"] is not None
    their_lawyer = elsewhere.lawyers.get()
    assert _book(elsewhere, topic, their_lawyer).office == elsewhere


def test_an_area_switched_off_for_everyone_is_offered_nowhere(client, office, lawyer, topic):
    topic.is_active = False
    topic.save()
    assert selectors.list_bookable_topics(office=office) == []
    with pytest.raises(SlotNotOffered):
        _book(office, topic, lawyer)


def test_an_appointment_booked_before_the_area_was_switched_off_can_still_be_moved(
    office, lawyer, topic
):
    appointment = _book(office, topic, lawyer)
    office.topics.remove(topic)
    moved = reschedule_appointment(
        appointment=appointment,
        starts_at=local(TOMORROW, 11),
        mode=Mode.IN_PERSON,
        by=appointment.resident,
        now=NOW,
    )
    assert moved.starts_at == local(TOMORROW, 11)


def test_the_home_page_lists_the_areas_some_office_offers(client, office, topic, elsewhere):
    labour = TopicFactory(code="labour")
    office.topics.set([topic])
    elsewhere.topics.set([topic])
    body = client.get("/").content.decode()
    assert topic.name in body
    assert labour.name not in body  # switched on, but offered by no office


def test_an_office_changing_its_areas_shows_on_the_cached_home_page_at_once(client, office, topic):
    assert topic.name in client.get("/").content.decode()
    office.topics.remove(topic)
    assert topic.name not in client.get("/").content.decode()


def test_the_slot_page_of_an_area_switched_off_is_not_served_from_the_cache(
    client, office, lawyer, topic
):
    url = reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})
    assert client.get(url).status_code == HTTPStatus.OK
    office.topics.remove(topic)
    assert client.get(url).status_code == HTTPStatus.FOUND  # to the areas it offers


def test_the_figures_list_the_areas_offered_and_those_counted(office, lawyer, topic):
    labour = TopicFactory(code="labour")
    lawyer.topics.add(labour)
    assert [item.topic for item in list_next_free(office=office, now=NOW)[0]] == [topic, labour]
    _book(office, labour, lawyer)
    office.topics.remove(labour)
    found, _days = list_next_free(office=office, now=NOW)
    assert [item.topic for item in found] == [topic]  # no longer bookable here
    assert get_figures(office=office, now=NOW).topics == [topic, labour]  # still counted
    office.topics.remove(topic)
    assert get_figures(office=office, now=NOW).topics == [labour]


def test_the_demo_office_offers_every_area_and_its_admin_names_none(time_machine):
    time_machine.move_to(NOW, tick=False)
    call_command("demo", stdout=StringIO())
    office = Office.objects.get(slug="qingshi-demo")
    assert set(office.topics.all()) == set(Topic.objects.filter(is_active=True))
    rights = set(Group.objects.get(name=ADMIN_GROUP).permissions.values_list("codename", flat=True))
    assert "view_topic" in rights
    assert not {"add_topic", "change_topic", "delete_topic"} & rights
    assert "change_office" in rights  # where the office ticks the areas it offers
