"""The lawyer's agenda through HTTP: own appointments only, outcome, note, follow-up.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai); the `lawyer` fixture holds
weekday hours 9:00–12:00 in 30-minute slots.
"""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse

from booking import errors
from booking.models import Appointment, FollowUp, FollowUpStatus, Mode, Status
from booking.services import reschedule_appointment
from sms.models import Kind, Message
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, LawyerFactory, RuleFactory

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def colleague(office, topic):
    colleague = LawyerFactory(offices=[office], topics=[topic])
    for weekday in range(5):
        RuleFactory(lawyer=colleague, office=office, weekday=weekday)
    return colleague


@pytest.fixture
def as_lawyer(client, lawyer):
    client.force_login(lawyer.user)
    return client


def page(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def detail_url(appointment, name="lawyer_appointment"):
    return reverse(f"booking:{name}", kwargs={"reference": appointment.reference})


def test_the_agenda_shows_the_days_appointments_with_what_the_lawyer_needs(
    as_lawyer, lawyer, colleague
):
    mine = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        summary="欠薪三个月",
        matter_consent_at=NOW,
        needs_interpreter=True,
        dialect="湘语",
    )
    theirs = AppointmentFactory(
        lawyer=colleague, starts_at=local(MONDAY, 9), summary="别人的事", matter_consent_at=NOW
    )
    tomorrow = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 9))
    agenda = page(as_lawyer, reverse("booking:agenda"))
    assert str(mine.resident) in agenda
    assert mine.resident.phone.as_national in agenda
    assert "欠薪三个月" in agenda and "湘语" in agenda and "09:00–09:30" in agenda
    assert str(theirs.resident) not in agenda and "别人的事" not in agenda
    assert str(tomorrow.resident) not in agenda
    assert str(tomorrow.resident) in page(as_lawyer, reverse("booking:agenda"), day="2026-12-08")


def test_the_week_lists_every_day_with_the_lawyers_own_appointments(as_lawyer, lawyer, colleague):
    mine = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10))
    theirs = AppointmentFactory(lawyer=colleague, starts_at=local(TUESDAY, 10))
    week = page(as_lawyer, reverse("booking:agenda_week"), start="2026-12-09")
    assert week.count('class="week-day"') == 7
    assert str(mine.resident) in week and str(theirs.resident) not in week


def test_the_agenda_makes_as_many_queries_for_many_appointments(
    as_lawyer, lawyer, django_assert_max_num_queries
):
    url = reverse("booking:agenda")
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    # Session, user, lawyer, the TOTP check, the appointments, two for conflict flags.
    with django_assert_max_num_queries(8) as few:
        page(as_lawyer, url)
    for hour, minute in [(9, 30), (10, 0), (10, 30), (11, 0), (11, 30)]:
        AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, hour, minute))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(as_lawyer, url)


@pytest.mark.parametrize("name", ["lawyer_appointment", "follow_up_times", "follow_up_confirm"])
def test_another_lawyers_appointment_is_not_found(client, colleague, lawyer, name):
    theirs = AppointmentFactory(
        lawyer=colleague, starts_at=local(TUESDAY, 9), summary="别人的事", matter_consent_at=NOW
    )
    client.force_login(lawyer.user)
    assert client.get(detail_url(theirs, name)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(detail_url(theirs, name), {"action": "outcome", "outcome": "attended"})
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("who", ["resident", "desk_user"])
def test_residents_and_desk_staff_cannot_open_the_agenda(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("booking:agenda")).status_code == HTTPStatus.FORBIDDEN


def test_the_outcome_is_recorded_once_the_consultation_has_begun(as_lawyer, lawyer, clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    url = detail_url(appointment)
    assert "未到场" not in page(as_lawyer, url).split("私人备注")[0]  # no buttons yet
    response = as_lawyer.post(url, {"action": "outcome", "outcome": "attended"}, follow=True)
    assert str(errors.OUTCOME_TOO_EARLY) in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED

    clock.move_to(local(MONDAY, 9, 5), tick=False)
    as_lawyer.force_login(lawyer.user)  # signed out after 30 minutes idle: in again
    as_lawyer.post(url, {"action": "outcome", "outcome": "attended"})
    appointment.refresh_from_db()
    assert appointment.status == Status.ATTENDED and appointment.sequence == 1
    as_lawyer.post(url, {"action": "outcome", "outcome": "no_show"})  # a correction
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW and appointment.sequence == 2


def test_a_private_note_is_seen_by_its_author_only(client, lawyer, colleague, desk_user):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 9))
    client.force_login(lawyer.user)
    client.post(detail_url(appointment), {"action": "note", "text": "当事人情绪激动，需耐心"})
    assert "当事人情绪激动" in page(client, detail_url(appointment))
    assert "当事人情绪激动" not in page(client, reverse("booking:agenda"), day="2026-12-08")

    # The office moves the appointment to the colleague: they do not read the note.
    reschedule_appointment(
        appointment=appointment,
        starts_at=local(TUESDAY, 10),
        mode=Mode.IN_PERSON,
        lawyer=colleague,
        by=desk_user,
    )
    client.force_login(colleague.user)
    assert "当事人情绪激动" not in page(client, detail_url(appointment))


def test_asking_the_office_for_a_follow_up_keeps_one_open_request(as_lawyer, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    url = detail_url(appointment)
    as_lawyer.post(url, {"action": "follow_up", "invite_by": "2026-12-20", "note_for_office": ""})
    as_lawyer.post(
        url, {"action": "follow_up", "invite_by": "2026-12-24", "note_for_office": "带合同"}
    )
    request = FollowUp.objects.get(appointment=appointment)
    assert request.status == FollowUpStatus.OPEN
    assert request.invite_by == dt.date(2026, 12, 24) and request.note_for_office == "带合同"
    assert request.requested_by == lawyer
    response = as_lawyer.post(url, {"action": "follow_up", "invite_by": "2026-12-01"})
    assert "今天" in response.content.decode()  # a date in the past is refused
    assert FollowUp.objects.get(appointment=appointment).invite_by == dt.date(2026, 12, 24)


def test_the_lawyer_books_a_follow_up_and_the_resident_gets_a_text(
    as_lawyer, lawyer, colleague, clock
):
    first = AppointmentFactory(
        lawyer=lawyer, starts_at=local(MONDAY, 9), dialect="湘语", safe_contact=True
    )
    clock.move_to(local(MONDAY, 10), tick=False)
    as_lawyer.force_login(lawyer.user)  # signed out after 30 minutes idle: in again
    times = page(as_lawyer, detail_url(first, "follow_up_times"), day="2026-12-08")
    assert f"lawyer={lawyer.pk}" in times and f"lawyer={colleague.pk}" not in times
    confirm = detail_url(first, "follow_up_confirm")
    chosen = {"start": "2026-12-08T11:00", "mode": "in_person", "lawyer": lawyer.pk}
    assert "11:00" in page(as_lawyer, confirm, **chosen)
    response = as_lawyer.post(confirm, chosen)

    follow_up = Appointment.objects.get(follow_up_of=first)
    assert response.url == detail_url(follow_up)
    assert follow_up.lawyer == lawyer and follow_up.resident == first.resident
    assert follow_up.starts_at == local(TUESDAY, 11)
    assert follow_up.booked_by == lawyer.user
    assert follow_up.dialect == "湘语" and follow_up.safe_contact
    message = Message.objects.get(kind=Kind.CONFIRMATION, appointment=follow_up)
    assert message.recipient == first.resident.phone.as_e164


# What is recorded, said on the page (issue 15.10).


def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def outcome_part(html: str) -> str:
    return html.split('id="outcome-heading"')[1].split('id="note-heading"')[0]


def test_the_recorded_outcome_is_said_and_the_buttons_show_the_current_one(
    as_lawyer, lawyer, clock
):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    url = detail_url(appointment)
    clock.move_to(local(MONDAY, 9, 5), tick=False)
    as_lawyer.force_login(lawyer.user)
    english(as_lawyer)
    part = outcome_part(page(as_lawyer, url))
    assert "Not recorded yet." in part
    assert part.count('aria-pressed="false"') == 2 and 'aria-pressed="true"' not in part

    as_lawyer.post(url, {"action": "outcome", "outcome": "attended"})
    part = outcome_part(page(as_lawyer, url))
    assert "Recorded: came." in part and "If this is wrong, choose “Did not come”." in part
    assert 'value="attended" aria-pressed="true"><span class="tick" aria-hidden="true">✓' in part
    assert 'value="no_show" aria-pressed="false">Did not come' in part

    as_lawyer.post(url, {"action": "outcome", "outcome": "no_show"})  # a correction
    part = outcome_part(page(as_lawyer, url))
    assert "Recorded: did not come." in part and "Recorded: came." not in part
    assert 'value="no_show" aria-pressed="true">' in part
    assert 'value="attended" aria-pressed="false">Came' in part


def test_a_walk_in_says_when_the_desk_sent_the_resident(as_lawyer, lawyer, clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    Appointment.objects.filter(pk=appointment.pk).update(
        channel="walk_in", status=Status.ATTENDED, checked_in_at=local(MONDAY, 9, 2)
    )
    clock.move_to(local(MONDAY, 9, 5), tick=False)
    as_lawyer.force_login(lawyer.user)
    part = outcome_part(page(english(as_lawyer), detail_url(appointment)))
    assert "Recorded: came." in part
    assert "The desk sent the resident to you as a walk-in at 09:02." in part


def test_each_heading_once_and_the_day_under_its_h1(as_lawyer, lawyer):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9))
    html = page(english(as_lawyer), detail_url(appointment))
    assert html.count("Private note") == 1  # the heading is the label
    assert '<h2 id="note-heading"><label for="id_text">Private note</label></h2>' in html
    calendar = page(as_lawyer, reverse("booking:calendar_settings"))
    assert calendar.count("What the events show") == 1
    assert "<legend><h2>What the events show</h2></legend>" in calendar
    day = page(as_lawyer, reverse("booking:agenda"))
    assert f'<h2 id="item-{appointment.pk}">' in day  # under the day's h1, no h3 skipped to
    week = page(as_lawyer, reverse("booking:agenda_week"))
    assert f'<h3 id="item-{appointment.pk}">' in week  # under the weekday's h2
