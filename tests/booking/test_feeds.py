"""Calendar files: what a resident's calendar app shows, read back by two parsers."""

import datetime as dt

import icalendar
import pytest
import vobject
from django.utils import translation

from booking import services
from booking.ical import EventText, build_calendar, resident_calendar
from booking.models import Mode
from tests.conftest import NOW, SHANGHAI, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    UserFactory,
)

HOST = "booking.example.org"
TUESDAY = dt.date(2026, 12, 8)
WEDNESDAY = dt.date(2026, 12, 9)
# Words that would tell someone reading the resident's calendar what the appointment is.
REVEALING_WORDS = ["法", "律", "咨询", "司法", "law", "legal", "justice", "consult", "office"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def lawyer_name(lawyer):
    lawyer.user.display_name = "王律师"
    lawyer.user.save(update_fields=["display_name"])
    return lawyer.user.display_name


@pytest.fixture
def phone_hours(lawyer, office):
    """Besides the morning in person, the lawyer takes calls on Tuesday 14:00–16:00."""
    RuleFactory(
        lawyer=lawyer,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(16),
        mode=Mode.PHONE,
    )


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def only_event(body: bytes) -> icalendar.Event:
    (event,) = parse(body).events
    return event


def wall_clock(value: dt.datetime) -> tuple[dt.datetime, str]:
    """The local time as written in the file, and the zone it is written in."""
    return value.replace(tzinfo=None), str(value.tzinfo)


@pytest.fixture
def appointment(clock, resident, lawyer, office, topic, lawyer_name):
    return AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 9, 30),
        now=NOW,
    )


def test_the_file_is_a_publishable_calendar_in_the_office_time_zone(appointment, office):
    body = resident_calendar(appointment, host=HOST)
    calendar = parse(body)

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"].startswith("-//")
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == f"法律咨询 · {office.name}"
    assert [tz["TZID"] for tz in calendar.timezones] == ["Asia/Shanghai"]
    assert calendar.timezones[0].to_tz().utcoffset(dt.datetime(2026, 12, 8)) == dt.timedelta(
        hours=8
    )
    # A one-off file is imported, not subscribed to.
    assert "REFRESH-INTERVAL" not in calendar
    assert "X-PUBLISHED-TTL" not in calendar
    # Every line ends in CRLF and long lines are folded to at most 75 octets.
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert not any(b"\n" in line or b"\r" in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # Chinese text is long in octets


def test_the_event_carries_the_time_identity_and_revision(clock, appointment, office):
    appointment.refresh_from_db()
    clock.move_to(NOW + dt.timedelta(days=1), tick=False)  # the file is fetched a day later
    event = only_event(resident_calendar(appointment, host=HOST))

    assert str(event["UID"]) == f"appointment-{appointment.pk}@{HOST}"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event["DTEND"].params["TZID"] == "Asia/Shanghai"
    assert wall_clock(event.start) == (dt.datetime(2026, 12, 8, 9, 30), "Asia/Shanghai")
    assert wall_clock(event.end) == (dt.datetime(2026, 12, 8, 10, 0), "Asia/Shanghai")
    assert event.start == appointment.starts_at
    assert event["DTSTAMP"].dt == NOW == appointment.updated_at
    assert b"DTSTAMP:20261207T000000Z\r\n" in event.to_ical()
    assert event["LAST-MODIFIED"].dt == appointment.updated_at
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert "TRANSP" not in event or event["TRANSP"] == "OPAQUE"


def test_the_resident_reads_what_where_with_whom_and_how_to_cancel(
    appointment, office, topic, lawyer_name
):
    event = only_event(resident_calendar(appointment, host=HOST))

    assert event["SUMMARY"] == f"法律咨询 · {office.name}"
    assert event["LOCATION"] == office.address
    description = str(event["DESCRIPTION"])
    assert f"预约号：{appointment.display_reference}" in description
    assert " " in appointment.display_reference  # printed in two groups, as read aloud
    assert topic.name_zh_hans in description
    assert "到所面谈" in description
    assert lawyer_name in description
    assert office.phone in description
    assert "请取消" in description and HOST in description


def test_a_second_independent_parser_reads_the_same_event(appointment, office, topic):
    appointment.refresh_from_db()
    calendar = vobject.readOne(resident_calendar(appointment, host=HOST).decode())

    assert calendar.version.value == "2.0"
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.method.value == "PUBLISH"
    assert calendar.contents["x-wr-calname"][0].value == f"法律咨询 · {office.name}"
    assert calendar.vtimezone.tzid.value == "Asia/Shanghai"
    event = calendar.vevent
    assert event.uid.value == f"appointment-{appointment.pk}@{HOST}"
    # vobject turns our VTIMEZONE into the tzinfo, so this also checks its offsets.
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Asia/Shanghai"]
    assert event.dtstart.value.utcoffset() == dt.timedelta(hours=8)
    assert event.dtstart.value == appointment.starts_at
    assert event.dtstart.value.replace(tzinfo=None) == dt.datetime(2026, 12, 8, 9, 30)
    assert event.dtend.value == appointment.ends_at
    assert event.dtstamp.value == appointment.updated_at
    assert event.last_modified.value == appointment.updated_at
    assert event.sequence.value == "0"
    assert event.status.value == "CONFIRMED"
    assert event.summary.value == f"法律咨询 · {office.name}"
    assert event.location.value == office.address
    assert topic.name_zh_hans in event.description.value
    assert appointment.display_reference in event.description.value


def test_the_same_appointment_gives_the_same_bytes(clock, appointment):
    first = resident_calendar(appointment, host=HOST)
    clock.move_to(NOW + dt.timedelta(hours=3), tick=False)
    appointment.refresh_from_db()
    again = resident_calendar(appointment, host=HOST)
    assert first == again


def test_a_moved_appointment_updates_the_same_event(clock, appointment, resident):
    before = only_event(resident_calendar(appointment, host=HOST))
    clock.move_to(NOW + dt.timedelta(hours=1), tick=False)
    moved = services.reschedule_appointment(
        appointment=appointment, starts_at=local(WEDNESDAY, 10), mode=Mode.IN_PERSON, by=resident
    )
    after = only_event(resident_calendar(moved, host=HOST))

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert wall_clock(after.start) == (dt.datetime(2026, 12, 9, 10, 0), "Asia/Shanghai")
    assert after["DTSTAMP"].dt > before["DTSTAMP"].dt
    assert after["STATUS"] == "CONFIRMED"


def test_a_cancelled_appointment_is_marked_cancelled(clock, appointment, resident, office):
    before = only_event(resident_calendar(appointment, host=HOST))
    clock.move_to(NOW + dt.timedelta(hours=1), tick=False)
    cancelled = services.cancel_appointment(appointment=appointment, by=resident)
    after = only_event(resident_calendar(cancelled, host=HOST))

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["STATUS"] == "CANCELLED"
    assert after["SUMMARY"] == f"已取消：法律咨询 · {office.name}"
    assert after["TRANSP"] == "TRANSPARENT"
    assert "如不能来" not in str(after["DESCRIPTION"])  # no advice to cancel it again


def test_a_phone_consultation_says_the_lawyer_will_call(
    clock, phone_hours, resident, lawyer, office, topic
):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 14),
        mode=Mode.PHONE,
        now=NOW,
    )
    event = only_event(resident_calendar(appointment, host=HOST))

    assert event["LOCATION"] == "电话咨询：律师会打电话给您"
    assert office.address not in event.to_ical().decode()
    assert "电话咨询" in str(event["DESCRIPTION"])


@pytest.mark.parametrize("mode", [Mode.IN_PERSON, Mode.PHONE])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_discreet_appointment_shows_only_the_time_and_the_reference(
    clock, phone_hours, resident, lawyer, office, topic, lawyer_name, mode, language
):
    start = local(TUESDAY, 9, 30) if mode == Mode.IN_PERSON else local(TUESDAY, 14)
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=start,
        mode=mode,
        safe_contact=True,
        now=NOW,
    )
    with translation.override(language):
        body = resident_calendar(appointment, host=HOST)
    event = only_event(body)

    reference = appointment.display_reference
    expected = f"预约 {reference}" if language == "zh-hans" else f"Appointment {reference}"
    assert event["SUMMARY"] == expected
    assert reference in str(event["DESCRIPTION"])
    assert "LOCATION" not in event
    assert event.start == start
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    # Nothing in the whole file, unfolded, gives the appointment away.
    text = body.decode().replace("\r\n ", "").lower()
    for secret in [office.name, office.address, office.phone, topic.name_zh_hans,
                   topic.name_en, lawyer_name, *REVEALING_WORDS]:  # fmt: skip
        assert secret.lower() not in text, secret


def test_a_cancelled_discreet_appointment_stays_discreet(clock, appointment, resident, office):
    appointment.safe_contact = True
    appointment.save(update_fields=["safe_contact"])
    cancelled = services.cancel_appointment(appointment=appointment, by=resident)
    body = resident_calendar(cancelled, host=HOST)
    event = only_event(body)

    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == f"已取消：预约 {appointment.display_reference}"
    assert office.name not in body.decode().replace("\r\n ", "")


def test_english_is_used_when_english_is_active(appointment, office, topic, lawyer_name):
    with translation.override("en"):
        body = resident_calendar(appointment, host=HOST)
    event = only_event(body)
    calendar = vobject.readOne(body.decode())

    assert event["SUMMARY"] == f"Legal consultation · {office.name}"
    assert calendar.vevent.summary.value == f"Legal consultation · {office.name}"
    description = str(event["DESCRIPTION"])
    assert f"Reference: {appointment.display_reference}" in description
    assert f"Area of law: {topic.name_en}" in description
    assert "Mode: In person" in description
    assert f"Lawyer: {lawyer_name}" in description
    assert f"Office phone: {office.phone}" in description
    assert "cancel" in description
    assert topic.name_zh_hans not in description


def test_the_feed_builder_orders_events_and_tells_clients_when_to_refresh(
    clock, resident, lawyer, office, topic
):
    other_lawyer = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=other_lawyer, office=office, weekday=1)
    late = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11),
        now=NOW,
    )
    same_time = [
        AppointmentFactory(
            resident=UserFactory(),
            lawyer=lawyer,
            office=office,
            topic=topic,
            starts_at=local(TUESDAY, 9),
            now=NOW,
        ),
        AppointmentFactory(
            resident=UserFactory(),
            lawyer=other_lawyer,
            office=office,
            topic=topic,
            starts_at=local(TUESDAY, 9),
            now=NOW,
        ),
    ]
    same_time[1] = services.cancel_appointment(appointment=same_time[1], by=same_time[1].resident)

    def describe(appointment):
        return EventText(summary=f"#{appointment.pk}", description="", location="")

    body = build_calendar(
        [late, *reversed(same_time)],
        describe=describe,
        host=HOST,
        name="王律师的预约",
        time_zone="Asia/Shanghai",
        refresh_interval=dt.timedelta(hours=1),
        published_ttl=dt.timedelta(hours=1),
    )
    calendar = parse(body)

    # Same start: the earlier booking (lower pk) first, whatever order they came in.
    assert [str(e["SUMMARY"]) for e in calendar.events] == [
        f"#{same_time[0].pk}",
        f"已取消：#{same_time[1].pk}",
        f"#{late.pk}",
    ]
    assert [e["STATUS"] for e in calendar.events] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert all("DESCRIPTION" not in e and "LOCATION" not in e for e in calendar.events)
    assert str(calendar["X-WR-CALNAME"]) == "王律师的预约"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert vobject.readOne(body.decode()).contents["x-published-ttl"][0].value == "PT1H"
    # Input order does not matter for the bytes.
    assert body == build_calendar(
        [*same_time, late],
        describe=describe,
        host=HOST,
        name="王律师的预约",
        time_zone="Asia/Shanghai",
        refresh_interval=dt.timedelta(hours=1),
        published_ttl=dt.timedelta(hours=1),
    )


def test_each_event_is_written_in_its_own_office_time_zone(clock, resident, lawyer, topic):
    west = OfficeFactory(time_zone="Asia/Urumqi")
    lawyer.offices.add(west)
    RuleFactory(lawyer=lawyer, office=west, weekday=2)
    start = dt.datetime(2026, 12, 9, 9, 0, tzinfo=west.tz)
    appointment = AppointmentFactory(
        resident=resident, lawyer=lawyer, office=west, topic=topic, starts_at=start, now=NOW
    )

    body = build_calendar(
        [appointment],
        describe=lambda a: EventText(summary="x"),
        host=HOST,
        name="feed",
        time_zone="Asia/Shanghai",
    )
    calendar = parse(body)

    assert sorted(tz["TZID"] for tz in calendar.timezones) == ["Asia/Shanghai", "Asia/Urumqi"]
    (event,) = calendar.events
    assert wall_clock(event.start) == (dt.datetime(2026, 12, 9, 9, 0), "Asia/Urumqi")
    assert event.start.astimezone(SHANGHAI).hour == 11
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
