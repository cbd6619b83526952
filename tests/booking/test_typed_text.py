"""Names, villages, the other party and free text reach the database clean, through
every way in: the resident's booking pages, the walk-in queue, the desk's services, the
booking service itself and the desk's follow-up outcome (accounts/text.py).

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai).
"""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.services import register_resident_at_desk, set_display_name
from accounts.text import CONTROL_CHARACTER, DIRECTION_OVERRIDE, TextRefused
from booking import errors
from booking.forms.resident import NAME_REQUIRED
from booking.models import Appointment, FollowUpStatus, Mode, WalkIn
from booking.services import book_appointment
from booking.services.outcomes import request_follow_up
from tests.conftest import NOW, local
from tests.factories import UserFactory

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
RLO = "\u202e"  # right-to-left override

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


def details_url(office, topic):
    return reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})


def answers(start, **extra) -> dict:
    return {
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "mode": Mode.IN_PERSON,
        "name": "李四",
        "matter_consent": "on",
        "privacy_accepted": "on",
        **extra,
    }


def book_through_pages(client, office, topic, **extra):
    data = answers(local(TUESDAY, 9), **extra)
    review = client.post(details_url(office, topic), {**data, "step": "review"})
    if "booking/review.html" not in [t.name for t in review.templates]:
        return review
    return client.post(details_url(office, topic), {**data, "step": "confirm"})


def test_the_resident_books_with_what_a_phone_slipped_in_and_it_is_kept_clean(
    signed_in, office, topic, lawyer, resident
):
    book_through_pages(
        signed_in,
        office,
        topic,
        name="\ufeff李\u200b四 ",
        opposing_party="\u202a王\u2060五\u202c",
        summary="他欠我三万元，\r\n\t拖了两年\u200b。",
        dialect="湘\u00ad语",
        accessibility_needs="轮椅\u200d通道",
    )
    appointment = Appointment.objects.get(resident=resident)
    resident.refresh_from_db()
    assert resident.display_name == "李四"
    assert appointment.opposing_party == "王五" and appointment.opposing_party_key == "王五"
    assert appointment.summary == "他欠我三万元，\n\t拖了两年。"  # line breaks and tabs stay
    assert (appointment.dialect, appointment.accessibility_needs) == ("湘语", "轮椅通道")


@pytest.mark.parametrize("field", ["name", "opposing_party", "summary", "dialect"])
def test_text_that_turns_around_is_refused_with_a_message_and_nothing_is_booked(
    signed_in, office, topic, lawyer, resident, field
):
    for step in ("review", "confirm"):
        data = {**answers(local(TUESDAY, 9), **{field: f"王五{RLO}exe.txt"}), "step": step}
        response = signed_in.post(details_url(office, topic), data)
        assert response.status_code == HTTPStatus.OK
        assert "booking/details.html" in [t.name for t in response.templates]
        assert escape(str(DIRECTION_OVERRIDE)) in response.content.decode()
    assert not Appointment.objects.exists()
    resident.refresh_from_db()
    assert RLO not in resident.display_name


def test_the_same_page_speaks_english_when_asked(signed_in, office, topic, lawyer):
    signed_in.cookies["django_language"] = "en"
    data = {**answers(local(TUESDAY, 9), opposing_party=f"{RLO}王五"), "step": "review"}
    page = signed_in.post(details_url(office, topic), data).content.decode()
    assert "turns text around" in page


def test_a_walk_in_is_registered_with_a_clean_name_village_and_other_party(at_desk, topic, lawyer):
    at_desk.post(
        "/desk/queue/",
        {
            "name": "\u200b赵大爷\u200b",
            "village": "石门村\u202c",
            "opposing_party": "张\u00ad三",
            "matter_consent": "on",
            "topic": topic.pk,
        },
    )
    walk_in = WalkIn.objects.select_related("resident").get()
    assert (walk_in.resident.display_name, walk_in.resident.village) == ("赵大爷", "石门村")
    assert walk_in.opposing_party == "张三"


@pytest.mark.parametrize(
    ("field", "hidden", "message"),
    [("name", RLO, DIRECTION_OVERRIDE), ("village", "\x1b[0m", CONTROL_CHARACTER)],
)
def test_a_walk_in_with_hidden_characters_in_the_name_or_village_is_refused(
    at_desk, topic, lawyer, field, hidden, message
):
    data = {"name": "赵大爷", "village": "石门村", "topic": topic.pk}
    data[field] += hidden
    page = at_desk.post("/desk/queue/", data).content.decode()
    assert escape(str(message)) in page
    assert not WalkIn.objects.exists()


def test_the_services_that_take_names_clean_or_refuse_them_for_any_caller(resident, lawyer):
    registered = register_resident_at_desk(name=" 孙\u200c七 ", village="\ufeff枫树村")
    assert (registered.display_name, registered.village) == ("孙七", "枫树村")
    set_display_name(user=resident, name="Ｌｉ　Ｓｉ\u200b")
    resident.refresh_from_db()
    assert resident.display_name == "Li Si"
    with pytest.raises(TextRefused):
        set_display_name(user=resident, name=f"{RLO}四李")
    with pytest.raises(TextRefused):
        register_resident_at_desk(name="孙七", village=f"村{RLO}")
    resident.refresh_from_db()
    assert resident.display_name == "Li Si"
    with pytest.raises(errors.TextNotAccepted) as refused:
        book_appointment(
            resident=resident,
            office=lawyer.offices.get(),
            topic=lawyer.topics.get(),
            lawyer=lawyer,
            starts_at=local(TUESDAY, 9),
            mode=Mode.IN_PERSON,
            opposing_party=f"王五{RLO}",
            matter_consent_at=NOW,
            now=NOW,
        )
    assert refused.value.message == str(DIRECTION_OVERRIDE)
    assert not Appointment.objects.exists()


def test_the_desks_follow_up_outcome_is_cleaned_or_refused(at_desk, lawyer, resident):
    appointment = book_appointment(
        resident=resident,
        office=lawyer.offices.get(),
        topic=lawyer.topics.get(),
        lawyer=lawyer,
        starts_at=local(MONDAY, 10),
        mode=Mode.IN_PERSON,
        now=NOW,
    )
    follow_up = request_follow_up(
        appointment=appointment, lawyer=lawyer, invite_by=MONDAY + dt.timedelta(days=7)
    )
    url = "/desk/follow-ups/"
    page = at_desk.post(
        url,
        {"follow_up": follow_up.pk, "action": "closed", "outcome": f"不需要{RLO}了"},
        follow=True,
    ).content.decode()
    assert escape(str(DIRECTION_OVERRIDE)) in page
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.outcome == ""
    at_desk.post(url, {"follow_up": follow_up.pk, "action": "closed", "outcome": "不需要\u200b了"})
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CLOSED and follow_up.outcome == "不需要了"


def test_a_name_of_nothing_visible_is_no_name(client, office, topic, lawyer):
    nameless = UserFactory(display_name="")
    client.force_login(nameless)
    data = {**answers(local(TUESDAY, 9), name="\u200b\u3164\ufeff"), "step": "review"}
    page = client.post(details_url(office, topic), data).content.decode()
    assert escape(str(NAME_REQUIRED)) in page
    assert not Appointment.objects.exists()
