"""The resident's pages through HTTP: home, choosing a time, booking, my appointments.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai); the office books from one
hour ahead. The `lawyer` fixture holds weekday hours 9:00–12:00 in 30-minute slots.
"""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking import errors
from booking.forms.resident import BAD_OTHER_PARTY_PHONE, NAME_REQUIRED, PRIVACY_REQUIRED
from booking.models import Appointment, Mode, Status
from sms.models import Kind, Message
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    RuleFactory,
    TimeOffFactory,
    UserFactory,
)

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
DETAILS = {
    "name": "李四",
    "summary": "邻居占了我家的宅基地",
    "opposing_party": "王五",
    "opposing_party_phone": "0731-8765 4321",
    "dialect": "湘语",
    "accessibility_needs": "",
    "matter_consent": "on",
    "privacy_accepted": "on",
}


pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


def slots_url(office, topic, **query):
    url = reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def details_url(office, topic):
    return reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})


def chosen(start: dt.datetime, mode: str = Mode.IN_PERSON, lawyer=None) -> dict:
    data = {"start": start.strftime("%Y-%m-%dT%H:%M"), "mode": mode}
    if lawyer is not None:
        data["lawyer"] = lawyer.pk
    return data


def book_through_pages(client, office, topic, start, **extra):
    """Review, then confirm, as the two buttons of the pages do."""
    data = {**chosen(start), **DETAILS, **extra}
    review = client.post(details_url(office, topic), {**data, "step": "review"})
    assert review.status_code == HTTPStatus.OK
    assert "booking/review.html" in [t.name for t in review.templates]
    return client.post(details_url(office, topic), {**data, "step": "confirm"})


def text(response) -> str:
    return response.content.decode()


# Home and the way in


def test_the_home_page_shows_who_is_on_duty_today_and_the_way_to_book(client, office, lawyer):
    TimeOffFactory(
        lawyer=LawyerFactory(offices=[office]), starts_at=NOW, ends_at=NOW + dt.timedelta(days=1)
    )
    page = text(client.get("/"))
    on_duty = (
        f'<span class="nobreak">{lawyer.user}</span>：<span class="nobreak">09:00–12:00</span>'
    )
    assert on_duty in page  # name and hours whole (issue 15.11)
    assert reverse("booking:start") in page
    assert 'href="tel:110"' in page and 'href="tel:12348"' in page


def test_hours_wholly_taken_by_time_off_are_not_shown_as_on_duty(client, office, lawyer):
    TimeOffFactory(lawyer=lawyer, starts_at=local(MONDAY, 0), ends_at=local(TUESDAY, 0))
    page = text(client.get("/"))
    assert str(lawyer.user) not in page
    assert "今天没有咨询" in page


def test_the_book_button_leads_straight_to_the_areas_of_law_of_the_one_office(
    client, office, lawyer, topic
):
    response = client.get(reverse("booking:start"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("booking:topics", kwargs={"office": office.slug})
    page = text(client.get(response.url))
    assert slots_url(office, topic) in page


# Choosing a time


def test_the_slot_page_shows_days_with_free_times_and_the_first_free_time(
    client, office, topic, lawyer
):
    page = text(client.get(slots_url(office, topic)))
    # Notice is one hour from 08:00: Monday starts at 09:00.
    first = f"{details_url(office, topic)}?start=2026-12-07T09%3A00&amp;mode=in_person"
    assert first in page
    assert page.count("?start=2026-12-07T") == 6 + 1  # Monday's six times, and "first"
    assert "day=2026-12-08" in page
    assert "day=2026-12-12" not in page  # Saturday: no hours


def test_a_day_chosen_shows_that_days_times(client, office, topic, lawyer):
    page = text(client.get(slots_url(office, topic, day="2026-12-08")))
    assert page.count("?start=2026-12-08T") == 6
    assert 'aria-current="date"' in page


def test_a_booked_time_is_not_offered(client, office, topic, lawyer, resident):
    AppointmentFactory(resident=resident, lawyer=lawyer, starts_at=local(MONDAY, 9))
    page = text(client.get(slots_url(office, topic)))
    assert "start=2026-12-07T09%3A00" not in page
    assert "start=2026-12-07T09%3A30" in page


def test_filters_by_lawyer_and_by_mode(client, office, topic, lawyer):
    other = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(
        lawyer=other,
        office=office,
        weekday=0,
        start_time=dt.time(14),
        end_time=dt.time(15),
        mode=Mode.PHONE,
    )
    page = text(client.get(slots_url(office, topic)))
    assert "T14%3A00&amp;mode=phone" in page
    only_other = text(client.get(slots_url(office, topic, lawyer=other.pk)))
    assert "T09%3A00" not in only_other
    assert f"mode=phone&amp;lawyer={other.pk}" in only_other
    in_person = text(client.get(slots_url(office, topic, mode="in_person")))
    assert "mode=phone" not in in_person and "T09%3A00" in in_person


def test_nonsense_in_the_query_is_ignored(client, office, topic, lawyer):
    response = client.get(slots_url(office, topic, lawyer="x", mode="boat", day="2026-13-45"))
    assert response.status_code == HTTPStatus.OK
    assert "?start=2026-12-07T09%3A00" in text(response)


def test_no_free_times_says_so_with_the_office_phone(client, office, topic):
    page = text(client.get(slots_url(office, topic)))
    assert office.phone in page
    assert "?start=" not in page


def test_a_resident_at_the_limit_is_told_before_choosing_a_time(
    signed_in, office, topic, lawyer, resident
):
    for hour in (9, 10):
        AppointmentFactory(resident=resident, lawyer=lawyer, starts_at=local(TUESDAY, hour))
    page = text(signed_in.get(slots_url(office, topic)))
    assert "?start=" not in page
    assert "最多" in page and reverse("booking:my_appointments") in page
    response = signed_in.get(details_url(office, topic), chosen(local(MONDAY, 9)))
    assert "booking/limit.html" in [t.name for t in response.templates]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(queries)


def test_the_slot_page_makes_as_many_queries_for_many_lawyers_and_appointments(
    signed_in, office, topic, lawyer, django_assert_max_num_queries
):
    url = slots_url(office, topic)
    few = _queries(signed_in, url)
    for n in range(8):
        other = LawyerFactory(offices=[office], topics=[topic])
        for weekday in range(5):
            RuleFactory(lawyer=other, office=office, weekday=weekday)
        for day in range(5):
            AppointmentFactory(
                resident=UserFactory(),
                lawyer=other,
                starts_at=local(MONDAY + dt.timedelta(days=day), 9 + n % 3),
            )
    with django_assert_max_num_queries(few):
        signed_in.get(url)
    assert few <= 10


# Booking


def test_choosing_a_time_without_being_signed_in_leads_to_sign_in_and_back(
    client, office, topic, lawyer
):
    response = client.get(details_url(office, topic), chosen(local(MONDAY, 9)))
    assert response.status_code == HTTPStatus.FOUND
    login, _, query = response.url.partition("?")
    assert login == reverse("account_login")
    assert "next=" in query and "details" in query


def test_a_resident_books_through_the_form_review_and_confirmation(
    signed_in, office, topic, lawyer, resident
):
    form = signed_in.get(details_url(office, topic), chosen(local(TUESDAY, 9)))
    assert form.status_code == HTTPStatus.OK
    assert str(lawyer.user) in text(form) and "隐私" in text(form)
    assert f'value="{resident.display_name}"' in text(form)  # the name known so far

    response = book_through_pages(signed_in, office, topic, local(TUESDAY, 9), safe_contact="on")

    appointment = Appointment.objects.get(resident=resident)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(
        "booking:appointment", kwargs={"reference": appointment.reference}
    )
    assert appointment.starts_at == local(TUESDAY, 9)
    assert appointment.lawyer == lawyer
    assert appointment.summary == DETAILS["summary"]
    assert appointment.opposing_party == "王五"
    assert appointment.opposing_party_phone == "+8673187654321"
    assert appointment.opposing_party_key == "王五"
    assert appointment.resident_name_key == "李四"
    assert appointment.dialect == "湘语"
    assert appointment.safe_contact is True
    assert appointment.booked_by is None
    resident.refresh_from_db()
    assert resident.display_name == "李四"  # what lawyers and the desk see
    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert message.recipient == resident.phone.as_e164
    assert message.template.endswith("_safe")

    page = text(signed_in.get(response.url))
    assert appointment.display_reference in page
    assert "身份证" in page  # what to bring
    assert reverse("booking:cancel", kwargs={"reference": appointment.reference}) in page
    assert reverse("booking:appointment_ics", kwargs={"reference": appointment.reference}) in page
    assert "138****" in page  # the SMS notice names the number, masked


def test_the_privacy_notice_must_be_accepted(signed_in, office, topic, lawyer):
    data = {**chosen(local(MONDAY, 9)), **DETAILS, "step": "review"}
    del data["privacy_accepted"]
    response = signed_in.post(details_url(office, topic), data)
    assert str(PRIVACY_REQUIRED) in text(response)
    assert not Appointment.objects.exists()


def test_the_review_shows_the_name_and_the_other_partys_phone(signed_in, office, topic, lawyer):
    data = {**chosen(local(MONDAY, 9)), **DETAILS, "step": "review"}
    page = text(signed_in.post(details_url(office, topic), data))
    assert '<dd><span class="nobreak">李四</span></dd>' in page
    assert "0731 8765 4321" in page
    assert 'name="opposing_party_phone" value="0731-8765 4321"' in page  # travels along


def test_a_resident_without_a_name_must_give_one(client, office, topic, lawyer):
    nameless = UserFactory(display_name="")
    client.force_login(nameless)
    form = text(client.get(details_url(office, topic), chosen(local(MONDAY, 9))))
    assert 'name="name"' in form and 'autocomplete="name"' in form
    data = {**chosen(local(MONDAY, 9)), **DETAILS, "name": "  ", "step": "review"}
    page = text(client.post(details_url(office, topic), data))
    assert str(NAME_REQUIRED) in page
    book_through_pages(client, office, topic, local(MONDAY, 9), name=" 赵六 ")
    nameless.refresh_from_db()
    assert nameless.display_name == "赵六"
    assert Appointment.objects.get(resident=nameless).resident_name_key == "赵六"


@pytest.mark.parametrize("typed", ["12345", "not a number", "0731-1"])
def test_a_bad_phone_of_the_other_party_is_refused_clearly(signed_in, office, topic, lawyer, typed):
    data = {**chosen(local(MONDAY, 9)), **DETAILS, "opposing_party_phone": typed}
    response = signed_in.post(details_url(office, topic), {**data, "step": "review"})
    assert "booking/details.html" in [t.name for t in response.templates]
    assert str(BAD_OTHER_PARTY_PHONE) in text(response)
    signed_in.post(details_url(office, topic), {**data, "step": "confirm"})
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("１３９ １２３４ ５６７８", "+8613912345678"),  # full width, from a Chinese keyboard
        ("+1 212 555 2368", "+12125552368"),  # abroad
    ],
)
def test_the_other_partys_phone_is_optional_and_read_as_typed(
    signed_in, office, topic, lawyer, resident, typed, stored
):
    book_through_pages(signed_in, office, topic, local(MONDAY, 9), opposing_party_phone=typed)
    assert Appointment.objects.get(resident=resident).opposing_party_phone == stored


def test_changing_the_answers_goes_back_to_the_form_with_them(signed_in, office, topic, lawyer):
    data = {**chosen(local(MONDAY, 9)), **DETAILS, "needs_interpreter": "True", "step": "edit"}
    page = text(signed_in.post(details_url(office, topic), data))
    assert "邻居占了我家的宅基地</textarea>" in page
    assert re.search(r'name="needs_interpreter"[^>]*checked', page)
    assert "errorlist" not in page


def test_a_time_taken_before_confirming_offers_the_nearest_free_times_with_the_answers_kept(
    signed_in, office, topic, lawyer
):
    data = {**chosen(local(MONDAY, 10)), **DETAILS}
    AppointmentFactory(resident=UserFactory(), lawyer=lawyer, starts_at=local(MONDAY, 10))
    response = signed_in.post(details_url(office, topic), {**data, "step": "confirm"})
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert str(errors.TIME_GONE) in page
    for nearest in ("09:00", "09:30", "10:30", "11:00", "11:30"):
        assert f'value="2026-12-07T{nearest}|in_person"' in page
    assert 'value="邻居占了我家的宅基地"' in page  # the answers travel along

    picked = signed_in.post(
        details_url(office, topic),
        {**DETAILS, "step": "review", "pick": "2026-12-07T10:30|in_person"},
    )
    assert "booking/review.html" in [t.name for t in picked.templates]
    assert "10:30" in text(picked)


def test_a_time_gone_when_its_link_is_followed_offers_the_nearest_ones(
    signed_in, office, topic, lawyer
):
    response = signed_in.get(details_url(office, topic), chosen(local(MONDAY, 8, 30)))
    assert response.status_code == HTTPStatus.OK
    assert f"{details_url(office, topic)}?start=2026-12-07T09%3A00" in text(response)


def test_with_any_lawyer_a_time_taken_goes_to_another_lawyer_free_then(
    signed_in, office, topic, lawyer, resident
):
    other = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=other, office=office, weekday=0)
    AppointmentFactory(resident=UserFactory(), lawyer=lawyer, starts_at=local(MONDAY, 9))
    book_through_pages(signed_in, office, topic, local(MONDAY, 9))
    assert Appointment.objects.get(resident=resident).lawyer == other


def test_a_named_lawyer_is_kept(signed_in, office, topic, lawyer, resident):
    other = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=other, office=office, weekday=0)
    book_through_pages(signed_in, office, topic, local(MONDAY, 9), lawyer=other.pk)
    assert Appointment.objects.get(resident=resident).lawyer == other


def test_staff_accounts_are_sent_to_their_own_pages(client, office, topic, lawyer, desk_user):
    client.force_login(desk_user)
    response = client.get(details_url(office, topic), chosen(local(MONDAY, 9)))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("booking:my_appointments")).status_code == HTTPStatus.FORBIDDEN


def test_a_bad_time_in_the_form_goes_back_to_the_times(signed_in, office, topic, lawyer):
    response = signed_in.get(
        details_url(office, topic), {"start": "yesterday", "mode": "in_person"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == slots_url(office, topic)


# My appointments


def page_of(appointment, name="appointment"):
    return reverse(f"booking:{name}", kwargs={"reference": appointment.reference})


def test_my_appointments_lists_upcoming_and_past_with_their_status(
    signed_in, booked_appointment, clock
):
    cancelled = AppointmentFactory(
        resident=booked_appointment.resident,
        lawyer=booked_appointment.lawyer,
        starts_at=local(TUESDAY, 11),
    )
    signed_in.post(page_of(cancelled, "cancel"))
    page = text(signed_in.get(reverse("booking:my_appointments")))
    upcoming, _, past = page.partition("过去")
    assert (
        booked_appointment.display_reference in upcoming
        and page_of(booked_appointment, "cancel") in upcoming
    )
    assert cancelled.display_reference in past and "已取消" in past


def test_my_appointments_makes_as_many_queries_for_many_appointments(
    signed_in, booked_appointment, django_assert_max_num_queries
):
    url = reverse("booking:my_appointments")
    few = _queries(signed_in, url)
    for day in range(2, 20):
        Appointment.objects.create(
            reference=f"{day:08d}",
            resident=booked_appointment.resident,
            lawyer=booked_appointment.lawyer,
            office=booked_appointment.office,
            topic=booked_appointment.topic,
            starts_at=local(MONDAY - dt.timedelta(days=day), 9),
            ends_at=local(MONDAY - dt.timedelta(days=day), 9, 30),
            status=Status.ATTENDED,
        )
    with django_assert_max_num_queries(few):
        signed_in.get(url)
    assert few <= 4


def test_a_resident_cancels_and_gets_a_text(signed_in, booked_appointment):
    confirm = signed_in.get(page_of(booked_appointment, "cancel"))
    assert 'method="post"' in text(confirm)
    response = signed_in.post(page_of(booked_appointment, "cancel"))
    assert response.url == reverse("booking:my_appointments")
    booked_appointment.refresh_from_db()
    assert booked_appointment.status == Status.CANCELLED
    assert Message.objects.filter(kind=Kind.CANCELLATION, appointment=booked_appointment).exists()


def test_after_the_cut_off_cancelling_is_refused_with_the_office_phone(
    signed_in, booked_appointment, clock
):
    clock.move_to(local(TUESDAY, 9), tick=False)  # cut-off is two hours
    page = text(signed_in.get(page_of(booked_appointment)))
    assert (
        page_of(booked_appointment, "cancel") not in page
        and booked_appointment.office.phone in page
    )
    response = signed_in.post(page_of(booked_appointment, "cancel"))
    assert str(errors.TOO_LATE_TO_CANCEL) in text(response)
    booked_appointment.refresh_from_db()
    assert booked_appointment.status == Status.BOOKED


def test_a_resident_moves_a_consultation_keeping_its_reference(signed_in, booked_appointment):
    picker = text(signed_in.get(page_of(booked_appointment, "reschedule"), {"day": "2026-12-08"}))
    assert "start=2026-12-08T10%3A00" not in picker  # where it is now
    assert "start=2026-12-08T11%3A00" in picker
    confirm_url = page_of(booked_appointment, "reschedule_confirm")
    confirm = signed_in.get(confirm_url, chosen(local(TUESDAY, 11)))
    assert "11:00" in text(confirm)
    response = signed_in.post(confirm_url, chosen(local(TUESDAY, 11)))
    assert response.url == page_of(booked_appointment)
    moved = Appointment.objects.get(pk=booked_appointment.pk)
    assert moved.starts_at == local(TUESDAY, 11)
    assert (
        moved.reference == booked_appointment.reference
        and moved.sequence == booked_appointment.sequence + 1
    )
    assert Message.objects.filter(kind=Kind.RESCHEDULE, appointment=booked_appointment).exists()


def test_moving_to_a_time_taken_meanwhile_changes_nothing_and_offers_others(
    signed_in, booked_appointment
):
    AppointmentFactory(
        resident=UserFactory(), lawyer=booked_appointment.lawyer, starts_at=local(TUESDAY, 11)
    )
    response = signed_in.post(
        page_of(booked_appointment, "reschedule_confirm"), chosen(local(TUESDAY, 11))
    )
    assert str(errors.TIME_GONE) in text(response)
    assert "start=2026-12-08T11%3A30" in text(response)
    booked_appointment.refresh_from_db()
    assert booked_appointment.starts_at == local(TUESDAY, 10)


def test_the_calendar_file_of_an_appointment(signed_in, booked_appointment):
    response = signed_in.get(page_of(booked_appointment, "appointment_ics"))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert booked_appointment.display_reference in response.content.decode()


@pytest.mark.parametrize(
    "name", ["appointment", "appointment_ics", "cancel", "reschedule", "reschedule_confirm"]
)
def test_another_residents_appointment_is_not_found(client, booked_appointment, name):
    client.force_login(UserFactory())
    assert client.get(page_of(booked_appointment, name)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(page_of(booked_appointment, name)).status_code == HTTPStatus.NOT_FOUND
    booked_appointment.refresh_from_db()
    assert booked_appointment.status == Status.BOOKED


def test_the_pages_speak_english_when_asked(signed_in, booked_appointment):
    signed_in.cookies["django_language"] = "en"
    page = text(signed_in.get(reverse("booking:my_appointments")))
    assert "My appointments" in page and "Upcoming" in page
    page = text(signed_in.get(page_of(booked_appointment)))
    assert "What to bring" in page and "ID card" in page
