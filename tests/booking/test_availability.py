"""Weekly hours and time off: the services, and the lawyer's pages through HTTP.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai). The `lawyer` fixture holds
weekday hours 9:00–12:00 at `office`, in person, in 30-minute slots. A change that would
strand booked appointments changes nothing until the lawyer has said, for each of them,
whether to keep it or to cancel it.
"""

import datetime as dt
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.html import escape

from booking.errors import STRANDED, STRANDED_CHANGED, BookingError, DecisionsNeeded, SlotNotOffered
from booking.forms.availability import CHOOSE_KEEP_OR_CANCEL
from booking.models import AvailabilityRule, Mode, Status, TimeOff
from booking.selectors import list_free_slots
from booking.services.availability import (
    CANCEL,
    END_BEFORE_START,
    KEEP,
    NOT_YOUR_OFFICE,
    RANGES_OVERLAP,
    SLOT_DOES_NOT_FIT,
    SLOT_LENGTH_OUT_OF_RANGE,
    TIME_OFF_END_BEFORE_START,
    TIME_OFF_OVER,
    VALID_UNTIL_BEFORE_FROM,
    add_availability_rule,
    add_time_off,
    change_availability_rule,
    delete_availability_rule,
    delete_time_off,
    time_off_bounds,
)
from booking.views.lawyer.availability import (
    HOURS_DELETED,
    HOURS_SAVED,
    TIME_OFF_DELETED,
    TIME_OFF_SAVED,
    cancelled_message,
    kept_message,
)
from sms.models import Kind, Message
from tests import racing
from tests.conftest import NOW, SHANGHAI, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    TimeOffFactory,
    UserFactory,
)

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
SATURDAY = MONDAY + dt.timedelta(days=5)
NEXT_TUESDAY = TUESDAY + dt.timedelta(days=7)

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def tuesday_rule(lawyer) -> AvailabilityRule:
    """The fixture's Tuesday hours, 9:00–12:00 (the first made)."""
    return lawyer.rules.filter(weekday=1).order_by("pk").first()


def rule_fields(rule: AvailabilityRule, **changes) -> dict:
    fields = {
        "office": rule.office,
        "weekday": rule.weekday,
        "start_time": rule.start_time,
        "end_time": rule.end_time,
        "slot_minutes": rule.slot_minutes,
        "mode": rule.mode,
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
    }
    return {**fields, **changes}


def free_starts(office, topic, day) -> set[dt.datetime]:
    return {
        slot.start
        for slot in list_free_slots(
            office=office, topic=topic, first_day=day, last_day=day, now=NOW
        )
    }


def cancellations() -> list[Message]:
    return list(Message.objects.filter(kind=Kind.CANCELLATION))


def status_of(appointment) -> str:
    appointment.refresh_from_db()
    return appointment.status


# Time off through the services


def test_time_off_over_a_booked_appointment_changes_nothing_until_decided(
    lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    with pytest.raises(DecisionsNeeded) as asked:
        add_time_off(
            lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0), now=NOW
        )
    assert asked.value.stranded == [appointment]
    assert not asked.value.changed
    assert asked.value.message == str(STRANDED)
    assert not TimeOff.objects.exists()
    assert status_of(appointment) == Status.BOOKED
    assert cancellations() == []


def test_time_off_with_keep_keeps_the_appointment_booked_and_closes_the_free_times(
    lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    result = add_time_off(
        lawyer=lawyer,
        starts_at=local(TUESDAY, 0),
        ends_at=local(WEDNESDAY, 0),
        reason="开庭",
        decisions={appointment.pk: KEEP},
        now=NOW,
    )
    assert result.kept == [appointment]
    assert result.cancelled == []
    assert TimeOff.objects.get().reason == "开庭"
    assert status_of(appointment) == Status.BOOKED
    assert cancellations() == []
    assert free_starts(office, topic, TUESDAY) == set()
    assert local(WEDNESDAY, 9) in free_starts(office, topic, WEDNESDAY)


def test_time_off_with_cancel_cancels_and_queues_one_sms_to_that_resident(
    lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    other = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(WEDNESDAY, 10),
        now=NOW,
    )
    result = add_time_off(
        lawyer=lawyer,
        starts_at=local(TUESDAY, 9, 45),
        ends_at=local(TUESDAY, 10, 15),
        decisions={appointment.pk: CANCEL},
        now=NOW,
    )
    assert [each.pk for each in result.cancelled] == [appointment.pk]
    assert status_of(appointment) == Status.CANCELLED
    assert status_of(other) == Status.BOOKED
    [message] = cancellations()
    assert message.recipient == str(resident.phone)
    assert message.appointment_id == appointment.pk
    assert local(TUESDAY, 10) not in free_starts(office, topic, TUESDAY)


def test_a_decision_set_gone_stale_is_refused_with_the_new_set(lawyer, office, topic, resident):
    first = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    with pytest.raises(DecisionsNeeded):
        add_time_off(
            lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0), now=NOW
        )
    # Someone books inside the range after the lawyer looked.
    second = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11),
        now=NOW,
    )
    with pytest.raises(DecisionsNeeded) as refused:
        add_time_off(
            lawyer=lawyer,
            starts_at=local(TUESDAY, 0),
            ends_at=local(WEDNESDAY, 0),
            decisions={first.pk: CANCEL},
            now=NOW,
        )
    assert refused.value.stranded == [first, second]
    assert refused.value.changed
    assert refused.value.message == str(STRANDED_CHANGED)
    assert not TimeOff.objects.exists()
    assert status_of(first) == Status.BOOKED
    assert cancellations() == []


def test_time_off_strands_appointments_at_every_office_of_the_lawyer(
    lawyer, office, topic, resident
):
    elsewhere = OfficeFactory()
    lawyer.offices.add(elsewhere)
    RuleFactory(
        lawyer=lawyer, office=elsewhere, weekday=1, start_time=dt.time(14), end_time=dt.time(16)
    )
    there = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=elsewhere,
        topic=topic,
        starts_at=local(TUESDAY, 14),
        now=NOW,
    )
    with pytest.raises(DecisionsNeeded) as asked:
        add_time_off(
            lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0), now=NOW
        )
    assert asked.value.stranded == [there]


def test_time_off_without_booked_appointments_is_added_at_once(lawyer, office, topic, resident):
    cancelled = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    cancelled.status = Status.CANCELLED
    cancelled.save(update_fields=["status"])
    result = add_time_off(
        lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0), now=NOW
    )
    assert result.saved == TimeOff.objects.get()
    assert result.kept == result.cancelled == []


def test_deleting_time_off_frees_the_time_again(lawyer, office, topic):
    result = add_time_off(
        lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0), now=NOW
    )
    assert free_starts(office, topic, TUESDAY) == set()
    delete_time_off(time_off=result.saved)
    assert not TimeOff.objects.exists()
    assert local(TUESDAY, 9) in free_starts(office, topic, TUESDAY)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"first_day": TUESDAY}, (local(TUESDAY, 0), local(WEDNESDAY, 0))),
        (
            {"first_day": TUESDAY, "last_day": SATURDAY},
            (local(TUESDAY, 0), local(SATURDAY + dt.timedelta(days=1), 0)),
        ),
        (
            {"first_day": TUESDAY, "start_time": dt.time(14), "end_time": dt.time(17)},
            (local(TUESDAY, 14), local(TUESDAY, 17)),
        ),
        (
            {"first_day": TUESDAY, "start_time": dt.time(14)},
            (local(TUESDAY, 14), local(WEDNESDAY, 0)),
        ),
        ({"first_day": TUESDAY, "end_time": dt.time(12)}, (local(TUESDAY, 0), local(TUESDAY, 12))),
    ],
    ids=["a day", "a range of days", "part of a day", "from a time", "until a time"],
)
def test_time_off_bounds_are_local_days_and_times(kwargs, expected):
    assert time_off_bounds(tz=SHANGHAI, **kwargs) == expected


# Weekly hours through the services


def test_shrinking_a_range_strands_only_the_appointments_left_outside(
    lawyer, office, topic, resident
):
    inside = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 9),
        now=NOW,
    )
    outside = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11, 30),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    with pytest.raises(DecisionsNeeded) as asked:
        change_availability_rule(rule=rule, **rule_fields(rule, end_time=dt.time(11)), now=NOW)
    assert asked.value.stranded == [outside]
    rule.refresh_from_db()
    assert rule.end_time == dt.time(12)

    result = change_availability_rule(
        rule=rule,
        **rule_fields(rule, end_time=dt.time(11)),
        decisions={outside.pk: CANCEL},
        now=NOW,
    )
    assert [each.pk for each in result.cancelled] == [outside.pk]
    rule.refresh_from_db()
    assert rule.end_time == dt.time(11)
    assert status_of(inside) == Status.BOOKED
    assert status_of(outside) == Status.CANCELLED
    assert [message.appointment_id for message in cancellations()] == [outside.pk]
    assert max(free_starts(office, topic, NEXT_TUESDAY)) == local(NEXT_TUESDAY, 10, 30)


def test_deleting_a_range_strands_its_appointments_and_keeping_them_is_allowed(
    lawyer, office, topic, resident
):
    tuesday = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    next_tuesday = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(NEXT_TUESDAY, 10),
        now=NOW,
    )
    wednesday = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(WEDNESDAY, 10),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    with pytest.raises(DecisionsNeeded) as asked:
        delete_availability_rule(rule=rule, now=NOW)
    assert asked.value.stranded == [tuesday, next_tuesday]
    assert AvailabilityRule.objects.filter(pk=rule.pk).exists()

    result = delete_availability_rule(
        rule=rule, decisions={tuesday.pk: KEEP, next_tuesday.pk: CANCEL}, now=NOW
    )
    assert result.kept == [tuesday]
    assert not AvailabilityRule.objects.filter(pk=rule.pk).exists()
    assert status_of(tuesday) == Status.BOOKED
    assert status_of(next_tuesday) == Status.CANCELLED
    assert status_of(wednesday) == Status.BOOKED
    assert len(cancellations()) == 1
    assert free_starts(office, topic, TUESDAY) == set()


def test_a_change_of_mode_strands_the_appointments_of_the_old_mode(lawyer, office, topic, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    with pytest.raises(DecisionsNeeded) as asked:
        change_availability_rule(rule=rule, **rule_fields(rule, mode=Mode.PHONE), now=NOW)
    assert asked.value.stranded == [appointment]


def test_an_appointment_kept_outside_the_hours_is_not_asked_about_again(
    lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11, 30),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    change_availability_rule(
        rule=rule,
        **rule_fields(rule, end_time=dt.time(11)),
        decisions={appointment.pk: KEEP},
        now=NOW,
    )
    rule.refresh_from_db()
    result = change_availability_rule(rule=rule, **rule_fields(rule, slot_minutes=20), now=NOW)
    assert result.kept == result.cancelled == []
    assert status_of(appointment) == Status.BOOKED


def test_a_longer_range_or_a_new_one_strands_nothing_and_offers_more_times(
    lawyer, office, topic, resident
):
    AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    change_availability_rule(rule=rule, **rule_fields(rule, end_time=dt.time(13)), now=NOW)
    assert local(TUESDAY, 12, 30) in free_starts(office, topic, TUESDAY)
    add_availability_rule(
        lawyer=lawyer,
        office=office,
        weekday=5,
        start_time=dt.time(9),
        end_time=dt.time(10),
        slot_minutes=60,
        mode=Mode.PHONE,
    )
    assert free_starts(office, topic, SATURDAY) == {local(SATURDAY, 9)}


def test_a_change_at_one_office_leaves_the_appointments_at_another_alone(
    lawyer, office, topic, resident
):
    elsewhere = OfficeFactory()
    lawyer.offices.add(elsewhere)
    RuleFactory(
        lawyer=lawyer, office=elsewhere, weekday=1, start_time=dt.time(14), end_time=dt.time(16)
    )
    AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=elsewhere,
        topic=topic,
        starts_at=local(TUESDAY, 14),
        now=NOW,
    )
    result = delete_availability_rule(rule=tuesday_rule(lawyer), now=NOW)
    assert result.kept == result.cancelled == []


# Validation messages


SATURDAY_HOURS = {
    "weekday": 5,
    "start_time": dt.time(9),
    "end_time": dt.time(12),
    "slot_minutes": 30,
    "mode": Mode.IN_PERSON,
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_time": dt.time(12), "end_time": dt.time(9)}, "end_time", END_BEFORE_START),
        ({"start_time": dt.time(9), "end_time": dt.time(9)}, "end_time", END_BEFORE_START),
        ({"slot_minutes": 4}, "slot_minutes", SLOT_LENGTH_OUT_OF_RANGE),
        ({"slot_minutes": 481}, "slot_minutes", SLOT_LENGTH_OUT_OF_RANGE),
        ({"end_time": dt.time(9, 20)}, "slot_minutes", SLOT_DOES_NOT_FIT),
        (
            {"valid_from": dt.date(2027, 2, 1), "valid_until": dt.date(2027, 1, 31)},
            "valid_until",
            VALID_UNTIL_BEFORE_FROM,
        ),
    ],
    ids=["end before start", "empty", "slot too short", "slot too long", "no slot fits", "until"],
)
def test_hours_are_refused_with_a_clear_message(lawyer, office, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        add_availability_rule(lawyer=lawyer, office=office, **{**SATURDAY_HOURS, **changes})
    assert refused.value.message_dict[field] == [str(message)]
    assert not lawyer.rules.filter(weekday=5).exists()


def test_overlapping_hours_of_one_office_and_day_are_refused(lawyer, office):
    with pytest.raises(ValidationError) as refused:
        add_availability_rule(
            lawyer=lawyer,
            office=office,
            **{**SATURDAY_HOURS, "weekday": 0, "start_time": dt.time(11), "end_time": dt.time(13)},
        )
    expected = str(RANGES_OVERLAP) % {"start": "09:00", "end": "12:00"}
    assert refused.value.message_dict[NON_FIELD_ERRORS] == [expected]


def test_hours_that_overlap_only_in_time_but_not_in_validity_are_allowed(lawyer, office):
    add_availability_rule(
        lawyer=lawyer, office=office, **SATURDAY_HOURS, valid_until=dt.date(2026, 12, 31)
    )
    add_availability_rule(
        lawyer=lawyer, office=office, **SATURDAY_HOURS, valid_from=dt.date(2027, 1, 1)
    )
    with pytest.raises(ValidationError):
        add_availability_rule(
            lawyer=lawyer, office=office, **SATURDAY_HOURS, valid_from=dt.date(2026, 12, 31)
        )
    assert lawyer.rules.filter(weekday=5).count() == 2


def test_a_change_may_not_overlap_the_other_ranges_but_may_keep_its_own_place(lawyer, office):
    afternoon = RuleFactory(
        lawyer=lawyer, office=office, weekday=1, start_time=dt.time(14), end_time=dt.time(16)
    )
    change_availability_rule(
        rule=afternoon, **rule_fields(afternoon, end_time=dt.time(17)), now=NOW
    )
    with pytest.raises(ValidationError) as refused:
        change_availability_rule(
            rule=afternoon, **rule_fields(afternoon, start_time=dt.time(11)), now=NOW
        )
    assert refused.value.message_dict[NON_FIELD_ERRORS] == [
        str(RANGES_OVERLAP) % {"start": "09:00", "end": "12:00"}
    ]


def test_hours_at_an_office_the_lawyer_is_not_at_are_refused(lawyer):
    with pytest.raises(ValidationError) as refused:
        add_availability_rule(lawyer=lawyer, office=OfficeFactory(), **SATURDAY_HOURS)
    assert refused.value.message_dict["office"] == [str(NOT_YOUR_OFFICE)]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        (local(TUESDAY, 12), local(TUESDAY, 9), TIME_OFF_END_BEFORE_START),
        (local(TUESDAY, 9), local(TUESDAY, 9), TIME_OFF_END_BEFORE_START),
        (local(MONDAY, 0), local(MONDAY, 8), TIME_OFF_OVER),
    ],
    ids=["end before start", "empty", "over"],
)
def test_time_off_is_refused_with_a_clear_message(lawyer, starts_at, ends_at, message):
    with pytest.raises(ValidationError) as refused:
        add_time_off(lawyer=lawyer, starts_at=starts_at, ends_at=ends_at, now=NOW)
    assert refused.value.message_dict[NON_FIELD_ERRORS] == [str(message)]
    assert not TimeOff.objects.exists()


# The pages


class _Inputs(HTMLParser):
    """Form controls, labels and hidden fields of a page."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in {"input", "select", "textarea"}:
            if attrs.get("type") == "hidden":
                if attrs.get("name") != "csrfmiddlewaretoken":
                    self.hidden[attrs["name"]] = attrs.get("value", "")
            else:
                self.controls.append(attrs)


def inputs(response) -> _Inputs:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser


def text(response) -> str:
    return response.content.decode()


def template_names(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.fixture
def as_lawyer(client, lawyer):
    client.force_login(lawyer.user)
    return client


def test_the_week_shows_each_days_ranges_with_slot_length_and_mode(as_lawyer, lawyer, office):
    page = text(as_lawyer.get(reverse("booking:hours")))
    assert page.count("09:00–12:00") == 5
    assert reverse("booking:hours_edit", kwargs={"rule_id": tuesday_rule(lawyer).pk}) in page
    assert reverse("booking:hours_delete", kwargs={"rule_id": tuesday_rule(lawyer).pk}) in page
    assert str(Mode.IN_PERSON.label) in page
    assert office.name not in page  # one office: no need to name it


def test_the_week_names_the_office_when_the_lawyer_has_several(as_lawyer, lawyer, office):
    elsewhere = OfficeFactory()
    lawyer.offices.add(elsewhere)
    RuleFactory(lawyer=lawyer, office=elsewhere, weekday=5, mode=Mode.PHONE)
    page = text(as_lawyer.get(reverse("booking:hours")))
    assert office.name in page and elsewhere.name in page
    assert str(Mode.PHONE.label) in page


def test_adding_hours_through_the_page_offers_new_times(as_lawyer, lawyer, office, topic):
    form_page = as_lawyer.get(reverse("booking:hours_add") + "?weekday=5")
    assert 'value="5" selected' in text(form_page)
    response = as_lawyer.post(
        reverse("booking:hours_add"),
        {
            "office": office.pk,
            "weekday": 5,
            "start_time": "09:00",
            "end_time": "10:00",
            "slot_minutes": "60",
            "mode": Mode.IN_PERSON,
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("booking:hours"), HTTPStatus.FOUND)]
    assert escape(str(HOURS_SAVED)) in text(response)
    assert free_starts(office, topic, SATURDAY) == {local(SATURDAY, 9)}


def test_the_hours_form_shows_the_services_messages(as_lawyer, office):
    response = as_lawyer.post(
        reverse("booking:hours_add"),
        {
            "office": office.pk,
            "weekday": 0,
            "start_time": "12:00",
            "end_time": "09:00",
            "slot_minutes": "500",
            "mode": Mode.IN_PERSON,
        },
    )
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert escape(str(END_BEFORE_START)) in page
    assert escape(str(SLOT_LENGTH_OUT_OF_RANGE)) in page
    assert AvailabilityRule.objects.count() == 5


def test_the_overlap_message_is_shown_on_the_form(as_lawyer, office):
    response = as_lawyer.post(
        reverse("booking:hours_add"),
        {
            "office": office.pk,
            "weekday": 0,
            "start_time": "11:00",
            "end_time": "13:00",
            "slot_minutes": "30",
            "mode": Mode.IN_PERSON,
        },
    )
    assert escape(str(RANGES_OVERLAP) % {"start": "09:00", "end": "12:00"}) in text(response)


def time_off_data(**changes) -> dict:
    return {"first_day": TUESDAY.isoformat(), "reason": "开庭", **changes}


def answer(page, decisions: dict) -> dict:
    """What a browser sends back from the page asking for decisions."""
    data = dict(inputs(page).hidden)
    data.update({f"decision-{pk}": value for pk, value in decisions.items()})
    return data


def test_time_off_over_a_booking_shows_it_and_changes_nothing_until_decided(
    as_lawyer, lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    page = as_lawyer.post(reverse("booking:time_off_add"), time_off_data())
    assert page.status_code == HTTPStatus.OK
    assert "booking/lawyer/hours_stranded.html" in template_names(page)
    content = text(page)
    assert str(resident) in content
    assert "10:00–10:30" in content
    assert escape(str(STRANDED)) in content
    assert str(Mode.IN_PERSON.label) in content
    radios = [c for c in inputs(page).controls if c.get("type") == "radio"]
    assert {radio["value"] for radio in radios} == {KEEP, CANCEL}
    assert all(radio["name"] == f"decision-{appointment.pk}" for radio in radios)
    assert not any("checked" in radio for radio in radios)  # no choice made for the lawyer
    assert not TimeOff.objects.exists()
    assert status_of(appointment) == Status.BOOKED


def test_keep_on_the_page_keeps_the_appointment(as_lawyer, lawyer, office, topic, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    page = as_lawyer.post(reverse("booking:time_off_add"), time_off_data())
    response = as_lawyer.post(
        reverse("booking:time_off_add"), answer(page, {appointment.pk: KEEP}), follow=True
    )
    assert response.redirect_chain == [(reverse("booking:time_off"), HTTPStatus.FOUND)]
    assert escape(str(TIME_OFF_SAVED)) in text(response)
    assert escape(kept_message(1)) in text(response)
    time_off = TimeOff.objects.get()
    assert (time_off.starts_at, time_off.ends_at) == (local(TUESDAY, 0), local(WEDNESDAY, 0))
    assert time_off.reason == "开庭"
    assert status_of(appointment) == Status.BOOKED
    assert cancellations() == []
    assert free_starts(office, topic, TUESDAY) == set()


def test_cancel_on_the_page_cancels_and_queues_one_sms(as_lawyer, lawyer, office, topic, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    data = time_off_data(start_time="09:30", end_time="10:30")
    page = as_lawyer.post(reverse("booking:time_off_add"), data)
    response = as_lawyer.post(
        reverse("booking:time_off_add"), answer(page, {appointment.pk: CANCEL}), follow=True
    )
    assert escape(cancelled_message(1)) in text(response)
    assert status_of(appointment) == Status.CANCELLED
    [message] = cancellations()
    assert message.recipient == str(resident.phone)
    time_off = TimeOff.objects.get()
    assert (time_off.starts_at, time_off.ends_at) == (local(TUESDAY, 9, 30), local(TUESDAY, 10, 30))


def test_no_choice_for_an_appointment_asks_again_and_changes_nothing(
    as_lawyer, lawyer, office, topic, resident
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    page = as_lawyer.post(reverse("booking:time_off_add"), time_off_data())
    again = as_lawyer.post(reverse("booking:time_off_add"), answer(page, {}))
    assert "booking/lawyer/hours_stranded.html" in template_names(again)
    assert escape(str(CHOOSE_KEEP_OR_CANCEL)) in text(again)
    assert not TimeOff.objects.exists()
    assert status_of(appointment) == Status.BOOKED


def test_a_booking_made_after_the_page_was_shown_is_shown_and_nothing_changes(
    as_lawyer, lawyer, office, topic, resident
):
    first = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    page = as_lawyer.post(reverse("booking:time_off_add"), time_off_data())
    latecomer = UserFactory(display_name="迟到的居民")
    second = AppointmentFactory(
        resident=latecomer,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11),
        now=NOW,
    )
    again = as_lawyer.post(reverse("booking:time_off_add"), answer(page, {first.pk: CANCEL}))
    assert "booking/lawyer/hours_stranded.html" in template_names(again)
    content = text(again)
    assert escape(str(STRANDED_CHANGED)) in content
    assert str(resident) in content and "迟到的居民" in content
    assert {c["name"] for c in inputs(again).controls if c.get("type") == "radio"} == {
        f"decision-{first.pk}",
        f"decision-{second.pk}",
    }
    assert not TimeOff.objects.exists()
    assert status_of(first) == Status.BOOKED
    assert cancellations() == []

    done = as_lawyer.post(
        reverse("booking:time_off_add"), answer(again, {first.pk: CANCEL, second.pk: KEEP})
    )
    assert done.status_code == HTTPStatus.FOUND
    assert (status_of(first), status_of(second)) == (Status.CANCELLED, Status.BOOKED)


def test_time_off_without_bookings_is_saved_at_once_and_listed(as_lawyer, lawyer):
    response = as_lawyer.post(reverse("booking:time_off_add"), time_off_data(), follow=True)
    assert response.redirect_chain == [(reverse("booking:time_off"), HTTPStatus.FOUND)]
    time_off = TimeOff.objects.get()
    assert "开庭" in text(response)
    assert reverse("booking:time_off_delete", kwargs={"time_off_id": time_off.pk}) in text(response)


def test_the_time_off_form_shows_the_services_messages(as_lawyer):
    response = as_lawyer.post(
        reverse("booking:time_off_add"), time_off_data(start_time="12:00", end_time="09:00")
    )
    assert escape(str(TIME_OFF_END_BEFORE_START)) in text(response)
    assert not TimeOff.objects.exists()


def test_deleting_time_off_on_the_page(as_lawyer, lawyer, office, topic):
    time_off = TimeOffFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0)
    )
    url = reverse("booking:time_off_delete", kwargs={"time_off_id": time_off.pk})
    assert as_lawyer.get(url).status_code == HTTPStatus.OK
    response = as_lawyer.post(url, follow=True)
    assert escape(str(TIME_OFF_DELETED)) in text(response)
    assert not TimeOff.objects.exists()
    assert local(TUESDAY, 9) in free_starts(office, topic, TUESDAY)


def test_shrinking_hours_on_the_page_asks_then_cancels(as_lawyer, lawyer, office, topic, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11, 30),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    url = reverse("booking:hours_edit", kwargs={"rule_id": rule.pk})
    data = {
        "office": office.pk,
        "weekday": 1,
        "start_time": "09:00",
        "end_time": "11:00",
        "slot_minutes": "30",
        "mode": Mode.IN_PERSON,
    }
    page = as_lawyer.post(url, data)
    assert "booking/lawyer/hours_stranded.html" in template_names(page)
    rule.refresh_from_db()
    assert rule.end_time == dt.time(12)
    response = as_lawyer.post(url, answer(page, {appointment.pk: CANCEL}), follow=True)
    assert escape(str(HOURS_SAVED)) in text(response)
    rule.refresh_from_db()
    assert rule.end_time == dt.time(11)
    assert status_of(appointment) == Status.CANCELLED
    assert len(cancellations()) == 1


def test_deleting_hours_on_the_page_asks_then_keeps(as_lawyer, lawyer, office, topic, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    rule = tuesday_rule(lawyer)
    url = reverse("booking:hours_delete", kwargs={"rule_id": rule.pk})
    assert as_lawyer.get(url).status_code == HTTPStatus.OK
    page = as_lawyer.post(url)
    assert "booking/lawyer/hours_stranded.html" in template_names(page)
    assert AvailabilityRule.objects.filter(pk=rule.pk).exists()
    response = as_lawyer.post(url, answer(page, {appointment.pk: KEEP}), follow=True)
    assert escape(str(HOURS_DELETED)) in text(response)
    assert not AvailabilityRule.objects.filter(pk=rule.pk).exists()
    assert status_of(appointment) == Status.BOOKED
    assert cancellations() == []


@pytest.mark.parametrize(
    "name", ["hours_add", "time_off_add", "hours_edit", "hours_delete", "time_off_delete"]
)
def test_every_input_has_a_label(as_lawyer, lawyer, name):
    time_off = TimeOffFactory(
        lawyer=lawyer, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0)
    )
    kwargs = {
        "hours_edit": {"rule_id": tuesday_rule(lawyer).pk},
        "hours_delete": {"rule_id": tuesday_rule(lawyer).pk},
        "time_off_delete": {"time_off_id": time_off.pk},
    }.get(name, {})
    found = inputs(as_lawyer.get(reverse(f"booking:{name}", kwargs=kwargs)))
    for control in found.controls:
        if control.get("type") in {"submit", None} and "name" not in control:
            continue  # buttons are named by their text
        assert control.get("id") in found.label_for, control


def test_the_decision_radios_have_labels(as_lawyer, lawyer, office, topic, resident):
    AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    found = inputs(as_lawyer.post(reverse("booking:time_off_add"), time_off_data()))
    radios = [c for c in found.controls if c.get("type") == "radio"]
    assert len(radios) == 2
    assert all(radio["id"] in found.label_for for radio in radios)


def test_the_pages_are_in_chinese_by_default_and_in_english_on_request(as_lawyer):
    assert 'lang="zh-hans"' in text(as_lawyer.get(reverse("booking:hours")))
    as_lawyer.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(as_lawyer.get(reverse("booking:time_off")))
    assert 'lang="en"' in page and "My time off" in page


# Who may see what


def _other_lawyers_ids(office) -> dict:
    other = LawyerFactory(offices=[office])
    rule = RuleFactory(lawyer=other, office=office, weekday=2)
    time_off = TimeOffFactory(
        lawyer=other, starts_at=local(TUESDAY, 0), ends_at=local(WEDNESDAY, 0)
    )
    return {"rule_id": rule.pk, "time_off_id": time_off.pk}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("hours_edit", "rule_id"),
        ("hours_delete", "rule_id"),
        ("time_off_delete", "time_off_id"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_lawyers_hours_and_time_off_answer_404(as_lawyer, office, name, key, method):
    ids = _other_lawyers_ids(office)
    url = reverse(f"booking:{name}", kwargs={key: ids[key]})
    response = getattr(as_lawyer, method)(url, {"start_time": "09:00"} if method == "post" else {})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert AvailabilityRule.objects.filter(pk=ids["rule_id"]).exists()
    assert TimeOff.objects.filter(pk=ids["time_off_id"]).exists()


def test_another_lawyers_time_off_is_not_listed(as_lawyer, office):
    TimeOffFactory(
        lawyer=LawyerFactory(offices=[office]),
        starts_at=local(TUESDAY, 0),
        ends_at=local(WEDNESDAY, 0),
        reason="别人的私事",
    )
    assert "别人的私事" not in text(as_lawyer.get(reverse("booking:time_off")))


PAGES = [
    ("hours", {}),
    ("hours_add", {}),
    ("hours_edit", {"rule_id": 1}),
    ("hours_delete", {"rule_id": 1}),
    ("time_off", {}),
    ("time_off_add", {}),
    ("time_off_delete", {"time_off_id": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
@pytest.mark.parametrize("role", ["resident", "desk"])
def test_residents_and_desk_staff_get_403(client, resident, desk_user, name, kwargs, role):
    client.force_login(resident if role == "resident" else desk_user)
    assert client.get(reverse(f"booking:{name}", kwargs=kwargs)).status_code == HTTPStatus.FORBIDDEN
    assert (
        client.post(reverse(f"booking:{name}", kwargs=kwargs)).status_code == HTTPStatus.FORBIDDEN
    )


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_visitors_are_sent_to_sign_in(client, db, name, kwargs):
    response = client.get(reverse(f"booking:{name}", kwargs=kwargs))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


# Races: a booking and a change of time off at the same moment


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_booking_racing_time_off_is_either_refused_or_shown_never_silently_left(
    lawyer, office, topic
):
    starts = [
        local(day, 9) + dt.timedelta(minutes=30 * i)
        for day in (TUESDAY, WEDNESDAY)
        for i in range(6)
    ]
    residents = [UserFactory() for _ in starts]

    def take_off(start):
        def work():
            try:
                add_time_off(
                    lawyer=lawyer,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                    now=NOW,
                )
            except DecisionsNeeded as needed:
                return ("asked", [each.pk for each in needed.stranded])
            return ("saved", None)

        return work

    def take_slot(start, resident):
        def work():
            try:
                return (
                    "booked",
                    AppointmentFactory(
                        resident=resident,
                        lawyer=lawyer,
                        office=office,
                        topic=topic,
                        starts_at=start,
                        now=NOW,
                    ).pk,
                )
            except BookingError as refused:
                return (refused.code, None)

        return work

    works = [take_off(start) for start in starts]
    works += [take_slot(start, resident) for start, resident in zip(starts, residents, strict=True)]
    outcomes = racing.race(works)

    for index, start in enumerate(starts):
        time_off, booking = outcomes[index], outcomes[len(starts) + index]
        if booking[0] == "booked":
            assert time_off == ("asked", [booking[1]])
            assert not TimeOff.objects.filter(starts_at=start).exists()
        else:
            assert time_off == ("saved", None)
            assert booking[0] == SlotNotOffered.code
    assert cancellations() == []
