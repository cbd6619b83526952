"""What a resident writes about the matter and the other party is kept only with its own
consent (PIPL art. 28–29), never bundled with the privacy notice: on the resident's
pages, at the desk, in the walk-in queue, in the booking service, and withdrawn on the
"my data" page.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai). The `lawyer` fixture holds
weekday hours 9:00–12:00.
"""

import datetime as dt
import json
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from booking import errors
from booking.forms.desk import DESK_MATTER_CONSENT
from booking.forms.queue import WALK_IN_MATTER_CONSENT
from booking.forms.resident import MATTER_CONSENT_REQUIRED, PRIVACY_REQUIRED, DetailsForm
from booking.models import Appointment, Mode, Status, WalkIn
from booking.services import reschedule_appointment
from booking.services.data_rights import withdraw_consent
from booking.services.outcomes import book_follow_up
from booking.services.walk_ins import register_walk_in, take_walk_in
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, UserFactory

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
MATTER = {"summary": "丈夫家暴，想离婚", "opposing_party": "张三"}

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


def details_url(office, topic):
    return reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})


def answers(start=None, **extra) -> dict:
    start = start or local(TUESDAY, 9)
    return {
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "mode": Mode.IN_PERSON,
        "name": "李四",
        "privacy_accepted": "on",
        **extra,
    }


def post(client, office, topic, step, **extra):
    return client.post(details_url(office, topic), {**answers(**extra), "step": step})


def templates(response) -> list[str]:
    return [t.name for t in response.templates]


# The resident's pages


def test_the_form_asks_for_the_matters_consent_apart_from_the_privacy_notice(
    signed_in, office, topic, lawyer
):
    field = DetailsForm.base_fields["matter_consent"]
    page = signed_in.get(details_url(office, topic), answers()).content.decode()
    consent = re.search(r'<input type="checkbox" name="matter_consent"[^>]*>', page).group(0)
    assert "required" not in consent  # only when something is written
    assert re.search(r'<input type="checkbox" name="privacy_accepted"[^>]*required', page)
    for words in (field.label, field.help_text):
        assert escape(str(words)) in page


@pytest.mark.parametrize(
    "written",
    [
        {"summary": "邻居占了我家的宅基地"},
        {"opposing_party": "王五"},
        {"opposing_party_phone": "0731-8765 4321"},
    ],
)
def test_writing_about_the_matter_without_the_tick_is_refused_clearly(
    signed_in, office, topic, lawyer, resident, written
):
    for step in ("review", "confirm"):
        response = post(signed_in, office, topic, step, **written)
        assert "booking/details.html" in templates(response)
        assert escape(str(MATTER_CONSENT_REQUIRED)) in response.content.decode()
    assert not Appointment.objects.exists()
    resident.refresh_from_db()
    assert resident.consented_at is None  # nothing recorded either


def test_a_resident_books_without_writing_anything_about_the_matter(
    signed_in, office, topic, lawyer, resident
):
    review = post(signed_in, office, topic, "review")
    assert "booking/review.html" in templates(review)
    response = post(signed_in, office, topic, "confirm")
    assert response.status_code == HTTPStatus.FOUND
    appointment = Appointment.objects.get(resident=resident)
    assert (appointment.summary, appointment.opposing_party) == ("", "")
    assert appointment.matter_consent_at is None


def test_ticking_with_nothing_written_stores_no_consent(signed_in, office, topic, lawyer, resident):
    post(signed_in, office, topic, "confirm", matter_consent="on")
    assert Appointment.objects.get(resident=resident).matter_consent_at is None


def test_the_matter_is_kept_with_the_time_of_its_own_consent(
    signed_in, office, topic, lawyer, resident, clock
):
    review = post(signed_in, office, topic, "review", matter_consent="on", **MATTER)
    page = review.content.decode()
    assert "booking/review.html" in templates(review)
    assert 'type="hidden" name="matter_consent" value="True"' in page  # travels along
    assert "丈夫家暴，想离婚" in page and "张三" in page  # what will be kept
    clock.move_to(NOW + dt.timedelta(minutes=3), tick=False)
    post(signed_in, office, topic, "confirm", matter_consent="on", **MATTER)
    appointment = Appointment.objects.get(resident=resident)
    assert appointment.summary == MATTER["summary"] and appointment.opposing_party == "张三"
    assert appointment.matter_consent_at == NOW + dt.timedelta(minutes=3)
    resident.refresh_from_db()
    assert resident.consented_at == NOW + dt.timedelta(minutes=3)  # the privacy notice's own


def test_the_matters_tick_does_not_stand_for_the_privacy_notice(signed_in, office, topic, lawyer):
    data = {**answers(matter_consent="on", **MATTER), "step": "review"}
    del data["privacy_accepted"]
    page = signed_in.post(details_url(office, topic), data).content.decode()
    assert escape(str(PRIVACY_REQUIRED)) in page
    assert escape(str(MATTER_CONSENT_REQUIRED)) not in page


def test_the_review_says_what_will_be_kept_in_english_too(signed_in, office, topic, lawyer):
    signed_in.cookies["django_language"] = "en"
    with_matter = post(signed_in, office, topic, "review", matter_consent="on", **MATTER)
    assert "with your separate agreement" in with_matter.content.decode()
    without = post(signed_in, office, topic, "review")
    assert "you wrote nothing about your matter" in without.content.decode()


# The service: every caller


@pytest.mark.parametrize(
    "written",
    [{"summary": "欠薪"}, {"opposing_party": "王五"}, {"opposing_party_phone": "+8613700001111"}],
)
def test_the_service_refuses_the_matter_without_its_consent(resident, lawyer, written):
    with pytest.raises(errors.MatterConsentNeeded) as refused:
        AppointmentFactory(
            resident=resident, lawyer=lawyer, starts_at=local(TUESDAY, 9), now=NOW, **written
        )
    assert refused.value.message == errors.MATTER_CONSENT_NEEDED
    assert not Appointment.objects.exists()


def test_the_service_keeps_the_consent_only_with_something_to_keep(resident, lawyer):
    earlier = NOW - dt.timedelta(minutes=5)
    kept = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(TUESDAY, 9),
        summary="欠薪",
        matter_consent_at=earlier,
        now=NOW,
    )
    assert kept.matter_consent_at == earlier
    nothing = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(TUESDAY, 10),
        matter_consent_at=earlier,
        now=NOW,
    )
    assert nothing.matter_consent_at is None
    # Only invisible characters: nothing is written, so nothing needs consent.
    blank = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        starts_at=local(TUESDAY, 11),
        summary="\u200b\ufeff",
        now=NOW,
    )
    assert (blank.summary, blank.matter_consent_at) == ("", None)


def test_moving_a_consultation_keeps_its_matter_and_consent(resident, lawyer):
    booked = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(TUESDAY, 9),
        matter_consent_at=NOW,
        now=NOW,
        **MATTER,
    )
    moved = reschedule_appointment(
        appointment=booked, starts_at=local(TUESDAY, 11), mode=Mode.IN_PERSON, by=resident, now=NOW
    )
    moved.refresh_from_db()
    assert moved.starts_at == local(TUESDAY, 11)
    assert (moved.summary, moved.matter_consent_at) == (MATTER["summary"], NOW)


def test_a_follow_up_keeps_the_other_party_only_with_the_consent_given(resident, lawyer):
    first = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        matter_consent_at=NOW,
        now=NOW,
        **MATTER,
    )
    Appointment.objects.filter(pk=first.pk).update(status=Status.ATTENDED)
    follow_up = book_follow_up(
        appointment=first, lawyer=lawyer, starts_at=local(TUESDAY, 9), mode=Mode.IN_PERSON, now=NOW
    )
    assert (follow_up.opposing_party, follow_up.matter_consent_at) == ("张三", NOW)
    # Booked before the separate consent existed: the other party does not go along.
    Appointment.objects.filter(pk=first.pk).update(matter_consent_at=None)
    first.refresh_from_db()
    again = book_follow_up(
        appointment=first, lawyer=lawyer, starts_at=local(TUESDAY, 10), mode=Mode.IN_PERSON, now=NOW
    )
    assert (again.opposing_party, again.matter_consent_at) == ("", None)


# The desk and the walk-in queue


def _desk_form_url(client, resident, topic) -> str:
    """The booking form of ``resident``, reached through the desk's find step."""
    page = client.post("/desk/book/", {"phone": str(resident.phone), "action": "find"})
    (link,) = set(re.findall(r'href="(/desk/book/[^"]+/)"', page.content.decode()))
    return f"{link}{topic.code}/"


def test_the_desk_ticks_that_the_resident_agreed_to_keep_the_matter(
    client, desk_user, lawyer, topic, resident
):
    client.force_login(desk_user)
    url = _desk_form_url(client, resident, topic)
    slot = f"{local(TUESDAY, 10):%Y-%m-%dT%H:%M}|{Mode.IN_PERSON}"
    data = {"slot": slot, "privacy_accepted": "on", **MATTER}
    refused = client.post(url, data)
    assert escape(str(DESK_MATTER_CONSENT)) in refused.content.decode()
    assert not Appointment.objects.exists()
    response = client.post(url, {**data, "matter_consent": "on"})
    assert response.status_code == HTTPStatus.FOUND
    appointment = Appointment.objects.get()
    assert (appointment.opposing_party, appointment.matter_consent_at) == ("张三", NOW)
    # Without anything about the matter, nothing to tick.
    client.post(url, {"slot": f"{local(TUESDAY, 11):%Y-%m-%dT%H:%M}|in_person",
                      "privacy_accepted": "on"})  # fmt: skip
    assert Appointment.objects.get(starts_at=local(TUESDAY, 11)).matter_consent_at is None


def test_a_walk_ins_other_party_needs_the_persons_agreement(client, desk_user, topic, lawyer):
    client.force_login(desk_user)
    data = {"name": "赵大爷", "village": "石门村", "topic": topic.pk, "opposing_party": "张三"}
    page = client.post("/desk/queue/", data).content.decode()
    assert escape(str(WALK_IN_MATTER_CONSENT)) in page
    assert not WalkIn.objects.exists()
    client.post("/desk/queue/", {**data, "matter_consent": "on"})
    assert WalkIn.objects.get().opposing_party == "张三"


def test_the_visit_keeps_the_walk_ins_consent_from_the_arrival(office, topic, lawyer, desk_user):
    office.min_notice_minutes = 0
    office.save()
    with pytest.raises(errors.MatterConsentNeeded):
        register_walk_in(
            office=office, resident=UserFactory(), topic=topic, opposing_party="张三",
            by=desk_user, now=NOW,
        )  # fmt: skip
    named = register_walk_in(
        office=office, resident=UserFactory(), topic=topic, opposing_party="张三",
        matter_consent=True, by=desk_user, now=NOW,
    )  # fmt: skip
    visit = take_walk_in(walk_in=named, lawyer=lawyer, by=desk_user, now=local(MONDAY, 8, 50))
    assert (visit.opposing_party, visit.matter_consent_at) == ("张三", NOW)


# My data


@pytest.fixture
def kept(resident, lawyer):
    """An upcoming consultation with its matter, and a past one with its own."""
    upcoming = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(TUESDAY, 9),
        matter_consent_at=NOW,
        now=NOW,
        **MATTER,
    )
    past = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        matter_consent_at=NOW,
        summary="上次的事",
        now=NOW,
    )
    Appointment.objects.filter(pk=past.pk).update(
        starts_at=NOW - dt.timedelta(days=7),
        ends_at=NOW - dt.timedelta(days=7, minutes=-30),
        status=Status.ATTENDED,
    )
    return upcoming, past


def test_my_data_shows_the_consent_and_the_download_has_it(signed_in, kept):
    page = signed_in.get("/my/data/").content.decode()
    assert reverse("booking:withdraw_matter_consent") in page
    data = json.loads(signed_in.get("/my/data.json").content)
    consents = [item["agreed_to_keep_matter_details"] for item in data["consultations"]]
    assert all(consents) and len(consents) == 2


def test_withdrawing_the_matters_consent_erases_it_and_keeps_the_booking(signed_in, kept):
    upcoming, past = kept
    refused = signed_in.post(reverse("booking:withdraw_matter_consent"), {})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert Appointment.objects.get(pk=upcoming.pk).summary == MATTER["summary"]

    response = signed_in.post(
        reverse("booking:withdraw_matter_consent"), {"matter-confirm": "on"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("booking:my_data")
    upcoming.refresh_from_db()
    assert upcoming.status == Status.BOOKED and upcoming.reference
    assert (upcoming.summary, upcoming.opposing_party, upcoming.opposing_party_key) == ("", "", "")
    assert upcoming.matter_consent_at is None
    past.refresh_from_db()
    assert (past.summary, past.matter_consent_at) == ("上次的事", NOW)  # kept as the record
    page = response.content.decode()
    assert reverse("booking:withdraw_matter_consent") not in page  # nothing left to withdraw
    withdraw = signed_in.get(reverse("booking:withdraw_matter_consent"))
    assert withdraw.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_withdrawing_the_privacy_consent_erases_the_cancelled_consultations_matter(resident, kept):
    upcoming, past = kept
    assert withdraw_consent(user=resident, now=NOW) == 1
    upcoming.refresh_from_db()
    assert upcoming.status == Status.CANCELLED
    assert (upcoming.summary, upcoming.opposing_party, upcoming.matter_consent_at) == ("", "", None)
    past.refresh_from_db()
    assert past.summary == "上次的事"
