"""Links that ask the resident's booking pages for what they cannot show explain
themselves (booking/link_notices.py), and moving starts from the consultation as it is.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai); the office books from one
hour ahead and 30 days ahead. The `lawyer` fixture holds weekday hours 9:00–12:00 in
person; `phone_colleague` another lawyer's Tuesday 14:00–16:00 by phone.
"""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse

from booking import errors, link_notices
from booking.dates import format_when
from booking.models import Appointment, Mode
from booking.views.resident import book, mine
from tests.booking.test_resident_pages import _queries, chosen, details_url, slots_url, text
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("plain_http")

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
SATURDAY = MONDAY + dt.timedelta(days=5)
FRIDAY = MONDAY + dt.timedelta(days=4)
LAST_DAY = dt.date(2027, 1, 6)  # 30 days ahead, a Wednesday


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def phone_colleague(office, topic):
    colleague = LawyerFactory(offices=[office], topics=[topic], user__display_name="谭丽华")
    RuleFactory(
        lawyer=colleague,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(16),
        mode=Mode.PHONE,
    )
    return colleague


def day(value: dt.date) -> str:
    return format_when(value, "day")


def notices(response) -> list[str]:
    return [str(notice) for notice in response.context["notices"]]


# A day outside the booking horizon, or not a date


@pytest.mark.parametrize(
    ("asked", "sentence", "shown"),
    [
        ("2026-12-01", link_notices.DAY_PASSED, MONDAY),
        ("2027-03-01", link_notices.DAY_TOO_FAR, LAST_DAY),
        ("2026-12-12", link_notices.DAY_NO_TIMES, FRIDAY),  # a Saturday: the nearest day
        ("2026-13-45", link_notices.DAY_NOT_A_DATE, MONDAY),
        ("tomorrow", link_notices.DAY_NOT_A_DATE, MONDAY),
    ],
)
def test_a_day_that_cannot_be_shown_says_which_day_is_shown_and_why(
    client, office, topic, lawyer, asked, sentence, shown
):
    response = client.get(slots_url(office, topic, day=asked))
    assert response.status_code == HTTPStatus.OK
    assert response.context["selected_day"] == shown
    words = {"shown": day(shown), "days": office.horizon_days}
    if sentence != link_notices.DAY_NOT_A_DATE:
        words["day"] = day(dt.date.fromisoformat(asked))
    expected = sentence % words
    assert notices(response) == [expected]
    assert expected in text(response)


def test_a_day_with_times_and_no_query_say_nothing(client, office, topic, lawyer):
    assert notices(client.get(slots_url(office, topic))) == []
    assert notices(client.get(slots_url(office, topic, day="2026-12-08"))) == []


# A lawyer who does not take the area here, or a way of meeting not known


def test_a_lawyer_who_is_not_one_of_the_area_here_is_named_with_what_is_shown(
    client, office, topic, lawyer
):
    other_area = LawyerFactory(offices=[office], topics=[TopicFactory(code="labour")])
    other_office = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    away = LawyerFactory(offices=[office], topics=[topic], is_active=False)
    cases = {
        "99999": link_notices.LAWYER_UNKNOWN,
        "someone": link_notices.LAWYER_UNKNOWN,
        str(other_area.pk): link_notices.LAWYER_OTHER_AREA
        % {"name": other_area.user, "topic": topic.name},
        str(other_office.pk): link_notices.LAWYER_OTHER_OFFICE
        % {"name": other_office.user, "office": office.name},
        str(away.pk): link_notices.LAWYER_NOT_BOOKING % {"name": away.user},
    }
    for asked, sentence in cases.items():
        response = client.get(slots_url(office, topic, lawyer=asked))
        assert notices(response) == [str(sentence)], asked
        assert response.context["lawyer"] is None  # every lawyer's times
        assert response.context["first"] is not None
        # The days' links no longer carry the lawyer that could not be shown.
        assert f"lawyer={asked}" not in response.context["days"][0]["url"]


def test_a_way_of_meeting_not_known_shows_both_and_keeps_the_rest(client, office, topic, lawyer):
    response = client.get(slots_url(office, topic, mode="boat", day="2026-12-08"))
    assert notices(response) == [str(link_notices.MODE_UNKNOWN)]
    assert response.context["selected_day"] == TUESDAY  # the day still holds


def test_a_bad_lawyer_costs_one_query_more_and_no_more(
    client, office, topic, lawyer, django_assert_max_num_queries
):
    few = _queries(client, slots_url(office, topic, day="2026-12-08"))
    with django_assert_max_num_queries(few + 1):
        client.get(slots_url(office, topic, day="2026-12-01", lawyer="99999", mode="boat"))


# An office or an area of law not known


def test_an_office_not_known_leads_to_the_offices_saying_so(client, office, topic, lawyer):
    for url in ("/book/no-such-office/", f"/book/no-such-office/{topic.code}/"):
        response = client.get(url, follow=True)
        assert str(link_notices.OFFICE_UNKNOWN) in text(response), url
        assert response.redirect_chain[0] == (reverse("booking:start"), HTTPStatus.FOUND)


def test_an_area_of_law_not_offered_leads_to_the_offices_areas_saying_so(
    signed_in, office, topic, lawyer
):
    for url in (f"/book/{office.slug}/no-such-area/", f"/book/{office.slug}/no-such-area/details/"):
        response = signed_in.get(url, follow=True)
        assert response.redirect_chain == [(f"/book/{office.slug}/", HTTPStatus.FOUND)]
        assert str(link_notices.TOPIC_NOT_OFFERED) in text(response)


# A chosen time that cannot be had


@pytest.mark.parametrize(
    ("start", "sentence"),
    [
        (local(MONDAY, 7, 30), link_notices.TIME_PASSED),
        (local(MONDAY - dt.timedelta(days=7), 9), link_notices.TIME_PASSED),
        (local(MONDAY, 8, 30), link_notices.TIME_TOO_SOON),
        (local(dt.date(2027, 2, 1), 9), link_notices.TIME_TOO_FAR % {"days": 30}),
        (local(MONDAY, 13), link_notices.TIME_NOT_OFFERED),
        (local(MONDAY, 9, 10), link_notices.TIME_NOT_OFFERED),
    ],
)
def test_a_time_that_cannot_be_had_says_why_not_taken(
    signed_in, office, topic, lawyer, start, sentence
):
    response = signed_in.get(details_url(office, topic), chosen(start))
    assert response.status_code == HTTPStatus.OK
    assert "booking/taken.html" in [t.name for t in response.templates]
    page = text(response)
    if sentence == link_notices.TIME_TOO_SOON:
        sentence = sentence % {"notice": link_notices.HOURS % {"hours": 1}}
    assert str(sentence) in page
    assert str(errors.TIME_GONE) not in page
    assert "?start=2026-12-07T09%3A00" in page or "?start=2027-01-06T" in page  # the nearest


def test_a_time_taken_still_says_taken(signed_in, office, topic, lawyer):
    AppointmentFactory(resident=UserFactory(), lawyer=lawyer, starts_at=local(MONDAY, 10))
    page = text(signed_in.get(details_url(office, topic), chosen(local(MONDAY, 10))))
    assert str(errors.TIME_GONE) in page


def test_the_notice_is_said_in_hours_or_minutes():
    assert link_notices.notice_words(dt.timedelta(hours=2)) == str(
        link_notices.HOURS % {"hours": 2}
    )
    assert link_notices.notice_words(dt.timedelta(minutes=90)) == str(
        link_notices.MINUTES % {"minutes": 90}
    )


def test_a_chosen_time_with_a_wrong_lawyer_or_way_leads_to_the_day_explained(
    signed_in, office, topic, lawyer
):
    other_office = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    response = signed_in.get(
        details_url(office, topic), chosen(local(TUESDAY, 9), lawyer=other_office), follow=True
    )
    expected = link_notices.LAWYER_OTHER_OFFICE % {"name": other_office.user, "office": office.name}
    assert notices(response) == [expected]
    assert response.context["selected_day"] == TUESDAY

    response = signed_in.get(
        details_url(office, topic), {"start": "2026-12-08T09:00", "mode": "boat"}, follow=True
    )
    assert notices(response) == [str(link_notices.MODE_UNKNOWN)]
    assert response.context["selected_day"] == TUESDAY

    response = signed_in.get(
        details_url(office, topic), {"start": "soon", "mode": "in_person"}, follow=True
    )
    assert str(link_notices.TIME_NOT_A_TIME) in text(response)
    response = signed_in.get(details_url(office, topic), follow=True)
    assert str(book.CHOOSE_A_TIME) in text(response)


# Moving starts from the same lawyer and way of meeting


def move_url(appointment, name="reschedule"):
    return reverse(f"booking:{name}", kwargs={"reference": appointment.reference})


def test_moving_shows_the_same_lawyer_and_way_of_meeting_first(
    signed_in, booked_appointment, phone_colleague
):
    response = signed_in.get(move_url(booked_appointment), {"day": "2026-12-08"})
    form = response.context["filter_form"]
    assert form["lawyer"].value() == str(booked_appointment.lawyer_id)
    assert form["mode"].value() == Mode.IN_PERSON
    page = text(response)
    assert f'<option value="{booked_appointment.lawyer_id}" selected>' in page
    assert '<option value="in_person" selected>' in page
    assert "T14%3A00" not in page  # the colleague's phone times are not shown
    assert "start=2026-12-08T11%3A00&amp;mode=in_person" in page
    assert f"lawyer={booked_appointment.lawyer_id}" in page  # times lead with the lawyer
    keeps = mine.MOVE_KEEPS % {
        "lawyer": booked_appointment.lawyer.user,
        "mode": mine.MODE_WORDS[Mode.IN_PERSON],
    }
    assert keeps in page


def test_moving_to_any_lawyer_or_way_is_the_residents_visible_choice(
    signed_in, booked_appointment, phone_colleague
):
    response = signed_in.get(
        move_url(booked_appointment), {"day": "2026-12-08", "lawyer": "", "mode": ""}
    )
    page = text(response)
    assert "T14%3A00&amp;mode=phone" in page
    assert response.context["filter_form"]["lawyer"].value() == ""
    assert "keeps" not in response.context
    # The days' links keep the choice, so it does not fall back to the defaults.
    assert "lawyer=&" in response.context["days"][0]["url"]


def test_moving_when_the_own_lawyer_no_longer_offers_the_area_says_so(
    signed_in, booked_appointment, phone_colleague
):
    booked_appointment.lawyer.topics.clear()
    response = signed_in.get(move_url(booked_appointment))
    name = booked_appointment.lawyer.user
    assert notices(response) == [link_notices.OWN_LAWYER_GONE % {"name": name}]
    assert response.context["lawyer"] is None


def test_the_confirm_page_marks_a_change_of_lawyer_and_way_of_meeting(
    signed_in, booked_appointment, phone_colleague
):
    response = signed_in.get(
        move_url(booked_appointment, "reschedule_confirm"), chosen(local(TUESDAY, 14), Mode.PHONE)
    )
    page = text(response)
    assert response.context["changes"] == {"time": True, "lawyer": True, "mode": True}
    for marked in ("change-time", "change-lawyer", "change-mode"):
        assert f'data-testid="{marked}"' in page
    old, new = booked_appointment.lawyer.user, phone_colleague.user
    assert mine.MOVE_OTHER_LAWYER % {"old": old, "new": new} in page
    assert str(mine.MOVE_TO_PHONE) in page
    # The button moves to the lawyer shown, not to whichever is free by then.
    assert f'name="lawyer" value="{phone_colleague.pk}"' in page


def test_the_confirm_page_of_a_time_change_alone_marks_only_the_time(
    signed_in, booked_appointment, phone_colleague
):
    response = signed_in.get(
        move_url(booked_appointment, "reschedule_confirm"), chosen(local(TUESDAY, 11))
    )
    assert response.context["changes"] == {"time": True, "lawyer": False, "mode": False}
    page = text(response)
    assert 'data-testid="change-lawyer"' not in page and 'data-testid="change-mode"' not in page
    assert response.context["change_notes"] == []


def test_moving_with_any_lawyer_keeps_the_lawyer_when_free(
    signed_in, booked_appointment, office, topic
):
    colleague = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=colleague, office=office, weekday=1)  # the same hours, in person
    url = move_url(booked_appointment, "reschedule_confirm")
    for _ in range(4):  # whatever the order the lawyers free then are tried in
        confirm = signed_in.get(url, chosen(local(TUESDAY, 11)))
        assert confirm.context["lawyer"] == booked_appointment.lawyer
    signed_in.post(url, {**chosen(local(TUESDAY, 11)), "lawyer": ""})
    moved = Appointment.objects.get(pk=booked_appointment.pk)
    assert moved.lawyer == booked_appointment.lawyer and moved.mode == Mode.IN_PERSON


def test_moving_to_the_lawyer_shown_who_was_taken_meanwhile_changes_nothing(
    signed_in, booked_appointment, office, topic
):
    colleague = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=colleague, office=office, weekday=1)
    url = move_url(booked_appointment, "reschedule_confirm")
    own = booked_appointment.lawyer
    AppointmentFactory(resident=UserFactory(), lawyer=own, starts_at=local(TUESDAY, 11))
    response = signed_in.post(url, chosen(local(TUESDAY, 11), lawyer=own))
    assert str(errors.TIME_GONE) in text(response)
    assert Appointment.objects.get(pk=booked_appointment.pk).starts_at == local(TUESDAY, 10)


def test_a_stale_move_link_says_why(signed_in, booked_appointment, clock):
    url = move_url(booked_appointment, "reschedule_confirm")
    page = text(signed_in.get(url, chosen(local(MONDAY, 7))))
    assert str(link_notices.TIME_PASSED) in page
    page = text(signed_in.get(url, chosen(local(TUESDAY, 10))))  # where it is now
    assert str(link_notices.TIME_IS_CURRENT) in page
    elsewhere = LawyerFactory(offices=[OfficeFactory()])
    response = signed_in.get(url, chosen(local(TUESDAY, 11), lawyer=elsewhere), follow=True)
    office = booked_appointment.office
    lawyer_sentence = link_notices.LAWYER_OTHER_OFFICE % {
        "name": elsewhere.user,
        "office": office.name,
    }
    assert notices(response) == [lawyer_sentence]
    assert response.context["selected_day"] == TUESDAY
    response = signed_in.get(move_url(booked_appointment), {"day": "2026-11-30"})
    passed = link_notices.DAY_PASSED % {"day": day(dt.date(2026, 11, 30)), "shown": day(MONDAY)}
    assert notices(response) == [passed]


def test_the_move_pages_make_as_many_queries_as_before(
    signed_in, booked_appointment, django_assert_max_num_queries
):
    """Session, user, the appointment, the lawyers, three for the free slots."""
    with django_assert_max_num_queries(7):
        signed_in.get(move_url(booked_appointment))
    with django_assert_max_num_queries(7):
        signed_in.get(
            move_url(booked_appointment, "reschedule_confirm"), chosen(local(TUESDAY, 11))
        )
