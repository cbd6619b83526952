"""The lawyer's calendar feed: what calendar apps read, who can read it, and when it changes.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai). The `lawyer` fixture works
weekdays 9:00–12:00 in 30-minute slots. Feeds are read back with two independent parsers,
icalendar and vobject. Texts added with the feed are compared through gettext, so that
the tests hold before and after their Chinese translations reach the catalogue.
"""

import datetime as dt
import itertools
import re
from http import HTTPStatus
from unittest import mock

import icalendar
import pytest
import vobject
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.http import http_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import feed_selectors, ical, services
from booking.ical import EventText, appointment_uid, build_calendar, resident_calendar
from booking.models import AccessLog, AccessPlace, AppointmentNote, CalendarFeed, FeedPrivacy, Mode
from booking.services.calendar import get_or_create_feed, rotate_feed, set_feed_privacy
from booking.views.lawyer.calendar import FULL_NOT_CONFIRMED, PRIVACY_SAVED, ROTATED
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, LawyerFactory, RuleFactory, UserFactory

HOST = "testserver"
MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
DETAILS = {
    "summary": "邻居占了我家的宅基地",
    "opposing_party": "王五",
    "opposing_party_phone": "+8613912345678",
    "dialect": "湘语",
    "accessibility_needs": "轮椅",
    "needs_interpreter": True,
    "matter_consent_at": NOW,
}

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def feed(lawyer):
    return get_or_create_feed(lawyer=lawyer)


@pytest.fixture
def other_lawyer(office, topic):
    other = LawyerFactory(offices=[office], topics=[topic], user__display_name="李律师")
    for weekday in range(5):
        RuleFactory(lawyer=other, office=office, weekday=weekday)
    return other


@pytest.fixture
def booked(resident, lawyer, office, topic):
    """Tuesday 9:30 in person, with everything a resident may tell."""
    return AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 9, 30),
        now=NOW,
        **DETAILS,
    )


def feed_url(feed: CalendarFeed) -> str:
    return reverse("booking:calendar_feed", kwargs={"key": feed.key, "secret": feed.secret})


def fetch(client, feed: CalendarFeed, **headers):
    return client.get(feed_url(feed), headers=headers)


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def unfolded(body: bytes) -> str:
    """The file as text, long lines joined again, escapes undone: what a reader sees."""
    text = body.decode().replace("\r\n ", "")
    return text.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


def uid(appointment) -> str:
    return appointment_uid(appointment, host=HOST)


def gettext_zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


# What calendar apps read


def test_the_feed_is_a_calendar_to_subscribe_to(client, feed, booked):
    response = fetch(client, feed)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {"private", "max-age=900"}
    assert response["Content-Language"] == "zh-hans"
    body = response.content
    calendar = parse(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ical.PRODID
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    name = gettext_zh("Legal-aid consultations")
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == name
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert calendar["REFRESH-INTERVAL"].dt == dt.timedelta(hours=1)
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    (timezone,) = calendar.timezones
    assert timezone["TZID"] == "Asia/Shanghai"
    assert timezone.to_tz().utcoffset(dt.datetime(2026, 12, 8)) == dt.timedelta(hours=8)
    # CRLF everywhere, no line over 75 octets (Chinese text is long in octets).
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert not any(b"\n" in line or b"\r" in line for line in lines)
    assert max(len(line) for line in lines) <= 75


def test_each_event_carries_identity_time_stamp_revision_and_status(
    client, feed, booked, office, topic
):
    booked.refresh_from_db()
    (event,) = parse(fetch(client, feed).content).events

    assert str(event["UID"]) == f"appointment-{booked.pk}@{HOST}"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event.start == local(TUESDAY, 9, 30) == booked.starts_at
    assert event.end == booked.ends_at
    assert event.start.replace(tzinfo=None) == dt.datetime(2026, 12, 8, 9, 30)
    assert event["DTSTAMP"].dt == booked.updated_at == NOW
    assert event["LAST-MODIFIED"].dt == booked.updated_at
    assert event["SEQUENCE"] == booked.sequence == 0
    assert event["STATUS"] == "CONFIRMED"
    assert "TRANSP" not in event
    mode = gettext_zh("In person")
    with translation.override("zh-hans"):
        summary = translation.gettext("Consultation · %(topic)s · %(mode)s") % {
            "topic": topic.name_zh_hans,
            "mode": mode,
        }
    assert str(event["SUMMARY"]) == summary
    assert topic.name_zh_hans in summary and "到所面谈" in summary
    assert str(event["LOCATION"]) == office.address
    description = str(event["DESCRIPTION"])
    assert f"预约号：{booked.display_reference}" in description
    assert office.name in description
    page = f"http://{HOST}" + reverse(
        "booking:lawyer_appointment", kwargs={"reference": booked.reference}
    )
    assert page in description


def test_a_second_independent_parser_reads_the_same_feed(client, feed, booked, office, topic):
    booked.refresh_from_db()
    calendar = vobject.readOne(fetch(client, feed).content.decode())

    assert calendar.version.value == "2.0"
    assert calendar.prodid.value == ical.PRODID
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.method.value == "PUBLISH"
    assert calendar.contents["x-wr-calname"][0].value == gettext_zh("Legal-aid consultations")
    assert calendar.contents["name"][0].value == gettext_zh("Legal-aid consultations")
    (refresh,) = calendar.contents["refresh-interval"]
    assert refresh.params == {"VALUE": ["DURATION"]}
    assert refresh.value == "PT1H"
    assert calendar.contents["x-published-ttl"][0].value == "PT1H"
    assert calendar.vtimezone.tzid.value == "Asia/Shanghai"
    event = calendar.vevent
    assert event.uid.value == uid(booked)
    # vobject turns our VTIMEZONE into the event's tzinfo: this checks its offsets too.
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Asia/Shanghai"]
    assert event.dtstart.value.utcoffset() == dt.timedelta(hours=8)
    assert event.dtstart.value == booked.starts_at
    assert event.dtend.value == booked.ends_at
    assert event.dtstamp.value == booked.updated_at
    assert event.last_modified.value == booked.updated_at
    assert event.sequence.value == "0"
    assert event.status.value == "CONFIRMED"
    assert topic.name_zh_hans in event.summary.value
    assert event.location.value == office.address
    assert booked.display_reference in event.description.value


def test_a_phone_consultation_says_by_phone_where_the_place_would_be(
    client, feed, resident, lawyer, office, topic
):
    RuleFactory(
        lawyer=lawyer,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(16),
        mode=Mode.PHONE,
    )
    AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 14),
        mode=Mode.PHONE,
        now=NOW,
    )
    (event,) = parse(fetch(client, feed).content).events

    assert str(event["LOCATION"]) == "电话咨询"
    assert "电话咨询" in str(event["SUMMARY"])
    assert office.address not in unfolded(fetch(client, feed).content)


def test_a_moved_appointment_keeps_its_uid_with_a_higher_sequence(
    client, clock, feed, booked, resident
):
    before = parse(fetch(client, feed).content)
    clock.move_to(NOW + dt.timedelta(hours=1), tick=False)
    services.reschedule_appointment(
        appointment=booked, starts_at=local(WEDNESDAY, 10), mode=Mode.IN_PERSON, by=resident
    )
    after = parse(fetch(client, feed).content)

    (old,), (new,) = before.events, after.events
    assert new["UID"] == old["UID"] == uid(booked)
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1
    assert new.start == local(WEDNESDAY, 10)
    assert new["DTSTAMP"].dt == NOW + dt.timedelta(hours=1) > old["DTSTAMP"].dt
    assert vobject.readOne(fetch(client, feed).content.decode()).vevent.sequence.value == "1"


def test_a_cancelled_appointment_stays_marked_for_30_days_then_leaves(
    client, clock, feed, booked, resident, lawyer, office, topic
):
    kept = AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 11),
        now=NOW,
    )
    before = by_uid(parse(fetch(client, feed).content))[uid(booked)]
    clock.move_to(NOW + dt.timedelta(minutes=5), tick=False)
    services.cancel_appointment(appointment=booked, by=resident)

    event = by_uid(parse(fetch(client, feed).content))[uid(booked)]
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == before["SEQUENCE"] + 1
    assert event["TRANSP"] == "TRANSPARENT"
    assert str(event["SUMMARY"]) == f"已取消：{before['SUMMARY']}"
    vevents = vobject.readOne(fetch(client, feed).content.decode()).vevent_list
    vevent = next(e for e in vevents if e.uid.value == uid(booked))
    assert vevent.status.value == "CANCELLED"
    assert vevent.summary.value.startswith("已取消：")

    # The window starts at the local midnight 30 days back: cancelled on 7 December,
    # the event is there on 6 January and gone on 7 January; the other one stays.
    clock.move_to(local(MONDAY + dt.timedelta(days=30), 23, 59), tick=False)
    assert set(by_uid(parse(fetch(client, feed).content))) == {uid(booked), uid(kept)}
    clock.move_to(local(MONDAY + dt.timedelta(days=31), 0, 1), tick=False)
    assert set(by_uid(parse(fetch(client, feed).content))) == {uid(kept)}


def test_past_consultations_stay_30_days(client, clock, feed, booked):
    clock.move_to(local(TUESDAY + dt.timedelta(days=30), 12), tick=False)
    assert uid(booked) in by_uid(parse(fetch(client, feed).content))
    clock.move_to(local(TUESDAY + dt.timedelta(days=31), 0, 1), tick=False)
    assert parse(fetch(client, feed).content).events == []


def test_the_window_reaches_a_year_ahead(client, feed, lawyer, office, topic):
    office.horizon_days = 366
    office.save(update_fields=["horizon_days"])
    far = local(MONDAY + dt.timedelta(days=364), 9)  # a weekday within the horizon
    far_booking = AppointmentFactory(
        resident=UserFactory(), lawyer=lawyer, office=office, topic=topic, starts_at=far, now=NOW
    )
    assert uid(far_booking) in by_uid(parse(fetch(client, feed).content))


def test_the_feed_speaks_the_lawyers_language(client, feed, booked, lawyer, office, topic):
    lawyer.user.preferred_language = "en"
    lawyer.user.save(update_fields=["preferred_language"])
    response = fetch(client, feed, accept_language="zh-hans")
    (event,) = parse(response.content).events

    assert response["Content-Language"] == "en"
    assert str(parse(response.content)["X-WR-CALNAME"]) == "Legal-aid consultations"
    assert str(event["SUMMARY"]) == f"Consultation · {topic.name_en} · In person"
    description = str(event["DESCRIPTION"])
    assert f"Reference: {booked.display_reference}" in description
    assert f"Office: {office.name}" in description
    assert topic.name_zh_hans not in response.content.decode()


# Privacy levels


def secrets_of(appointment) -> dict[str, str]:
    resident = appointment.resident
    return {
        "name": resident.display_name,
        "phone": str(resident.phone).removeprefix("+86"),
        "summary": DETAILS["summary"],
        "opposing party": DETAILS["opposing_party"],
        "opposing phone": DETAILS["opposing_party_phone"].removeprefix("+86"),
    }


def test_by_default_no_name_phone_summary_or_other_party_leaves_the_site(client, feed, booked):
    assert feed.privacy == FeedPrivacy.DEFAULT
    text = unfolded(fetch(client, feed).content)
    flat = re.sub(r"\s", "", text)
    for label, secret in secrets_of(booked).items():
        assert secret not in flat, label
    for needs in [DETAILS["dialect"], DETAILS["accessibility_needs"]]:
        assert needs not in text
    assert gettext_zh("Needs an interpreter.") not in text


def test_full_details_add_name_phone_and_needs_but_never_the_matter(client, feed, booked, lawyer):
    set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)
    body = fetch(client, feed).content
    text = unfolded(body)
    (event,) = parse(body).events
    found = secrets_of(booked)

    assert found["name"] in str(event["SUMMARY"])
    assert f"{booked.resident.phone}" in str(event["DESCRIPTION"])
    assert DETAILS["dialect"] in text and DETAILS["accessibility_needs"] in text
    assert gettext_zh("Needs an interpreter.") in text
    flat = re.sub(r"\s", "", text)
    for label in ["summary", "opposing party", "opposing phone"]:
        assert found[label] not in flat, label
    assert vobject.readOne(body.decode()).vevent.summary.value == str(event["SUMMARY"])


def test_a_discreet_resident_is_flagged_only_with_full_details(
    client, feed, resident, lawyer, office, topic
):
    AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        safe_contact=True,
        now=NOW,
    )
    flag = gettext_zh("The resident asked to be contacted discreetly.")
    assert flag not in unfolded(fetch(client, feed).content)
    set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)
    assert flag in unfolded(fetch(client, feed).content)


def test_choosing_full_details_needs_the_warning_ticked(client, feed, lawyer):
    client.force_login(lawyer.user)
    url = reverse("booking:calendar_privacy")

    refused = client.post(url, {"privacy": FeedPrivacy.FULL})
    assert refused.status_code == HTTPStatus.OK
    assert str(FULL_NOT_CONFIRMED) in refused.content.decode()
    feed.refresh_from_db()
    assert feed.privacy == FeedPrivacy.DEFAULT

    accepted = client.post(url, {"privacy": FeedPrivacy.FULL, "understood": "on"}, follow=True)
    assert accepted.redirect_chain == [(reverse("booking:calendar_settings"), HTTPStatus.FOUND)]
    assert str(PRIVACY_SAVED) in accepted.content.decode()
    feed.refresh_from_db()
    assert feed.privacy == FeedPrivacy.FULL

    # Saving the same choice again, or going back to the default, needs no warning.
    assert client.post(url, {"privacy": FeedPrivacy.FULL}).status_code == HTTPStatus.FOUND
    client.post(url, {"privacy": FeedPrivacy.DEFAULT})
    feed.refresh_from_db()
    assert feed.privacy == FeedPrivacy.DEFAULT


def test_an_unknown_privacy_level_is_refused(client, feed, lawyer):
    with pytest.raises(ValidationError):
        set_feed_privacy(lawyer=lawyer, privacy="everything")
    client.force_login(lawyer.user)
    response = client.post(reverse("booking:calendar_privacy"), {"privacy": "everything"})
    assert response.status_code == HTTPStatus.OK
    feed.refresh_from_db()
    assert feed.privacy == FeedPrivacy.DEFAULT


# The address: secret, rotated, and the same 404 for every wrong one


def test_a_new_address_replaces_the_old_one_which_then_answers_404(client, feed, lawyer, booked):
    old = CalendarFeed.objects.get(pk=feed.pk)
    assert fetch(client, old).status_code == HTTPStatus.OK
    client.force_login(lawyer.user)

    response = client.post(reverse("booking:calendar_rotate"), follow=True)

    assert str(ROTATED) in response.content.decode()
    new = CalendarFeed.objects.get(pk=feed.pk)
    assert new.key != old.key and new.secret != old.secret
    assert new.rotated_at == NOW
    client.logout()
    assert fetch(client, old).status_code == HTTPStatus.NOT_FOUND
    assert fetch(client, new).status_code == HTTPStatus.OK
    page = response.content.decode()
    assert feed_url(new) in page and feed_url(old) not in page


def test_unknown_wrong_and_replaced_addresses_all_look_the_same(client, feed, lawyer):
    replaced = CalendarFeed.objects.get(pk=feed.pk)
    rotate_feed(lawyer=lawyer)
    current = CalendarFeed.objects.get(pk=feed.pk)
    wrong = [
        ("unknown", "nokeylikethis", current.secret),
        ("wrong secret", current.key, replaced.secret),
        ("secret one character short", current.key, current.secret[:-1]),
        ("replaced", replaced.key, replaced.secret),
        ("non-ASCII secret", current.key, "密码"),
    ]
    answers = {}
    for label, key, secret in wrong:
        url = reverse("booking:calendar_feed", kwargs={"key": key, "secret": secret})
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, label
        answers[label] = response.content
    assert len(set(answers.values())) == 1


def test_the_secret_is_compared_in_constant_time(client, feed):
    with mock.patch("booking.feed_selectors.hmac.compare_digest", return_value=False) as compare:
        assert fetch(client, feed).status_code == HTTPStatus.NOT_FOUND
    compare.assert_called_once_with(feed.secret.encode(), feed.secret.encode())


def test_addresses_are_long_random_and_unique(db):
    feeds_made = [get_or_create_feed(lawyer=LawyerFactory()) for _ in range(5)]
    assert len({f.key for f in feeds_made}) == len({f.secret for f in feeds_made}) == 5
    assert all(len(f.key) >= 22 and len(f.secret) >= 43 for f in feeds_made)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", f.key + f.secret) for f in feeds_made)


def test_a_lawyer_has_one_feed_whatever_the_number_of_visits(lawyer):
    first = get_or_create_feed(lawyer=lawyer)
    assert get_or_create_feed(lawyer=lawyer) == first
    assert rotate_feed(lawyer=lawyer).pk == first.pk
    assert CalendarFeed.objects.filter(lawyer=lawyer).count() == 1


def test_a_lawyer_who_can_no_longer_sign_in_has_no_feed_within_a_minute(
    client, clock, feed, lawyer
):
    assert fetch(client, feed).status_code == HTTPStatus.OK
    lawyer.user.is_active = False
    lawyer.user.save(update_fields=["is_active"])
    clock.move_to(NOW + feed_selectors.KEPT_FOR, tick=False)
    assert fetch(client, feed).status_code == HTTPStatus.NOT_FOUND


def test_the_feed_is_only_read(client, feed):
    assert client.post(feed_url(feed)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    head = client.head(feed_url(feed))
    assert head.status_code == HTTPStatus.OK and "ETag" in head


# Unchanged feed: same bytes, same validators, 304


def test_unchanged_data_gives_the_same_bytes_and_validators_later(client, clock, feed, booked):
    first = fetch(client, feed)
    clock.move_to(NOW + dt.timedelta(hours=5), tick=False)
    again = fetch(client, feed)

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"] == http_date(NOW.timestamp())


def test_a_conditional_request_for_an_unchanged_feed_answers_304(client, feed, booked):
    first = fetch(client, feed)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)

    by_etag = fetch(client, feed, if_none_match=etag)
    assert by_etag.status_code == HTTPStatus.NOT_MODIFIED
    assert by_etag.content == b""
    assert by_etag["ETag"] == etag
    assert by_etag["Last-Modified"] == last_modified
    assert "private" in by_etag["Cache-Control"]
    assert fetch(client, feed, if_none_match=f'W/{etag}, "other"').status_code == 304

    by_date = fetch(client, feed, if_modified_since=last_modified)
    assert by_date.status_code == HTTPStatus.NOT_MODIFIED
    # An ETag that no longer matches wins over a date that would.
    stale = fetch(client, feed, if_none_match='"stale"', if_modified_since=last_modified)
    assert stale.status_code == HTTPStatus.OK


def test_the_304_is_decided_with_one_query_before_any_event_is_built(client, feed, booked):
    etag = fetch(client, feed)["ETag"]
    with (
        mock.patch("booking.feed_selectors.list_feed_appointments") as listed,
        mock.patch("booking.ical.lawyer_calendar") as built,
        CaptureQueriesContext(connection) as queries,
    ):
        response = fetch(client, feed, if_none_match=etag)
    assert response.status_code == HTTPStatus.NOT_MODIFIED
    listed.assert_not_called()
    built.assert_not_called()
    assert len(queries) == 1


@pytest.mark.parametrize("change", ["book", "move", "cancel", "privacy", "rotate", "language"])
def test_any_change_of_what_the_feed_says_changes_its_etag(
    client, clock, feed, booked, resident, lawyer, office, topic, change
):
    etag = fetch(client, feed)["ETag"]
    # The services announce their changes at once; the lawyer's language is read again
    # once what the process keeps expires.
    clock.move_to(NOW + feed_selectors.KEPT_FOR, tick=False)
    if change == "book":
        AppointmentFactory(
            resident=UserFactory(),
            lawyer=lawyer,
            office=office,
            topic=topic,
            starts_at=local(WEDNESDAY, 9),
            now=NOW,
        )
    elif change == "move":
        services.reschedule_appointment(
            appointment=booked, starts_at=local(WEDNESDAY, 10), mode=Mode.IN_PERSON, by=resident
        )
    elif change == "cancel":
        services.cancel_appointment(appointment=booked, by=resident)
    elif change == "privacy":
        set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)
    elif change == "rotate":
        feed = rotate_feed(lawyer=lawyer)
    else:
        lawyer.user.preferred_language = "en"
        lawyer.user.save(update_fields=["preferred_language"])

    response = fetch(client, feed, if_none_match=etag)
    assert response.status_code == HTTPStatus.OK
    assert response["ETag"] != etag


def test_the_etag_moves_with_the_window_at_midnight(client, clock, feed, booked):
    first = fetch(client, feed)
    clock.move_to(local(TUESDAY, 0, 1), tick=False)
    response = fetch(client, feed, if_none_match=first["ETag"])
    assert response.status_code == HTTPStatus.OK
    assert response["Last-Modified"] == http_date(local(TUESDAY, 0).timestamp())


def test_the_full_feed_makes_as_many_queries_for_many_appointments(
    client, feed, lawyer, office, topic
):
    set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)
    AppointmentFactory(
        resident=UserFactory(),
        lawyer=lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 9),
        now=NOW,
    )
    with CaptureQueriesContext(connection) as few:
        fetch(client, feed)
    for day in (WEDNESDAY, WEDNESDAY + dt.timedelta(days=1), WEDNESDAY + dt.timedelta(days=2)):
        for hour, minute in [(9, 0), (9, 30), (10, 0), (10, 30)]:
            AppointmentFactory(
                resident=UserFactory(),
                lawyer=lawyer,
                office=office,
                topic=topic,
                starts_at=local(day, hour, minute),
                now=NOW,
            )
    with CaptureQueriesContext(connection) as many:
        response = fetch(client, feed)
    assert len(parse(response.content).events) == 13
    # The feed row; the lawyer's account and the window's totals (kept a while); the rows;
    # for the access log, the lawyer's name and one insert of every event's row.
    assert len(many) == len(few) == 6
    assert AccessLog.objects.filter(place=AccessPlace.FEED).count() == 13


def test_the_default_feed_logs_no_access(client, feed, booked):
    fetch(client, feed)
    assert not AccessLog.objects.exists()


# Who sees what


@pytest.fixture
def users(resident, desk_user, lawyer):
    return {"anonymous": None, "resident": resident, "desk": desk_user, "lawyer": lawyer.user}


@pytest.mark.parametrize(
    ("name", "method", "role", "expected"),
    [
        ("booking:calendar_settings", "get", "anonymous", HTTPStatus.FOUND),
        ("booking:calendar_settings", "get", "resident", HTTPStatus.FORBIDDEN),
        ("booking:calendar_settings", "get", "desk", HTTPStatus.FORBIDDEN),
        ("booking:calendar_settings", "get", "lawyer", HTTPStatus.OK),
        ("booking:calendar_privacy", "post", "anonymous", HTTPStatus.FOUND),
        ("booking:calendar_privacy", "post", "resident", HTTPStatus.FORBIDDEN),
        ("booking:calendar_privacy", "post", "desk", HTTPStatus.FORBIDDEN),
        ("booking:calendar_privacy", "post", "lawyer", HTTPStatus.FOUND),
        ("booking:calendar_privacy", "get", "lawyer", HTTPStatus.METHOD_NOT_ALLOWED),
        ("booking:calendar_rotate", "post", "anonymous", HTTPStatus.FOUND),
        ("booking:calendar_rotate", "post", "resident", HTTPStatus.FORBIDDEN),
        ("booking:calendar_rotate", "post", "desk", HTTPStatus.FORBIDDEN),
        ("booking:calendar_rotate", "post", "lawyer", HTTPStatus.FOUND),
        ("booking:calendar_rotate", "get", "lawyer", HTTPStatus.METHOD_NOT_ALLOWED),
    ],
)
def test_only_lawyers_reach_the_calendar_settings(client, users, name, method, role, expected):
    if users[role] is not None:
        client.force_login(users[role])
    data = {"privacy": FeedPrivacy.DEFAULT} if method == "post" else None
    response = getattr(client, method)(reverse(name), data)
    assert response.status_code == expected
    if role == "anonymous":
        assert response.url.startswith(reverse("account_login"))
    if role in ("resident", "desk"):
        assert not CalendarFeed.objects.exists()


def test_the_settings_page_gives_the_lawyers_own_address_to_subscribe(client, lawyer, other_lawyer):
    others = get_or_create_feed(lawyer=other_lawyer)
    client.force_login(lawyer.user)
    response = client.get(reverse("booking:calendar_settings"))
    page = response.content.decode()
    own = CalendarFeed.objects.get(lawyer=lawyer)

    https = f"http://{HOST}{feed_url(own)}"  # plain HTTP in tests
    assert f'value="{https}"' in page
    assert f'href="webcal://{HOST}{feed_url(own)}"' in page
    assert others.key not in page and others.secret not in page
    assert "no-store" in response["Cache-Control"]
    # The QR code is drawn on the server, inline; the page needs no script.
    assert re.search(r'<div class="qr" role="img" aria-label="[^"]+"><svg [^>]*viewBox=', page)
    assert "<script" not in page
    # Every input has its label.
    for input_id in re.findall(r'<input[^>]* id="([^"]+)"', page):
        assert f'<label for="{input_id}"' in page, input_id
    assert 'name="understood"' in page
    assert page.count('name="privacy"') == 2
    assert reverse("booking:calendar_rotate") in page


def test_another_lawyers_feed_is_not_found_even_when_signed_in(client, feed, other_lawyer):
    others = get_or_create_feed(lawyer=other_lawyer)
    client.force_login(feed.lawyer.user)
    for key, secret in [(others.key, feed.secret), (feed.key, others.secret)]:
        url = reverse("booking:calendar_feed", kwargs={"key": key, "secret": secret})
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_a_lawyers_feed_never_holds_another_lawyers_appointments_or_notes(
    client, feed, booked, lawyer, other_lawyer, office, topic, resident
):
    others = AppointmentFactory(
        resident=UserFactory(),
        lawyer=other_lawyer,
        office=office,
        topic=topic,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    AppointmentNote.objects.create(appointment=booked, author=lawyer, text="我的私密笔记")
    AppointmentNote.objects.create(appointment=others, author=other_lawyer, text="他的私密笔记")
    other_feed = get_or_create_feed(lawyer=other_lawyer)
    set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)

    own = fetch(client, feed).content
    assert set(by_uid(parse(own))) == {uid(booked)}
    assert set(by_uid(parse(fetch(client, other_feed).content))) == {uid(others)}
    text = unfolded(own)
    assert "私密笔记" not in text
    assert others.display_reference not in text and others.resident.display_name not in text

    # Moved to the other lawyer, it leaves this feed and joins theirs.
    services.reschedule_appointment(
        appointment=booked,
        starts_at=local(WEDNESDAY, 9),
        mode=Mode.IN_PERSON,
        lawyer=other_lawyer,
        by=resident,
    )
    assert parse(fetch(client, feed).content).events == []
    assert uid(booked) in by_uid(parse(fetch(client, other_feed).content))


def test_the_residents_file_and_the_lawyers_feed_describe_the_same_event(client, feed, booked):
    resident_event = parse(resident_calendar(booked, host=HOST)).events[0]
    lawyer_event = parse(fetch(client, feed).content).events[0]
    for name in ["UID", "SEQUENCE", "STATUS"]:
        assert resident_event[name] == lawyer_event[name], name
    assert resident_event.start == lawyer_event.start
    assert resident_event["DTSTAMP"].dt == lawyer_event["DTSTAMP"].dt


# The writer of events, for any text


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(
        st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\\;,:\"'"),
        max_size=200,
    )
)
def test_any_text_is_escaped_and_folded_so_that_both_parsers_read_it_back(booked, text):
    body = build_calendar(
        [booked],
        describe=lambda a: EventText(summary=text or "x", description=text, location=text),
        host=HOST,
        name="feed",
        time_zone="Asia/Shanghai",
    )
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line, after in itertools.pairwise(lines):
        if after.startswith(b" "):  # folded here: no escape cut in two
            assert (len(line) - len(line.rstrip(b"\\"))) % 2 == 0, line
    (event,) = parse(body).events
    vevent = vobject.readOne(body.decode()).vevent
    for name in ["SUMMARY", "DESCRIPTION", "LOCATION"]:
        expected = {"SUMMARY": text or "x"}.get(name, text)
        if not expected:
            assert name not in event
            continue
        assert str(event[name]) == expected, name
        assert getattr(vevent, name.lower()).value == expected, name


# Rate limits: only what the right secret costs counts against the lawyer's feed

PHONE, GUESSER, ELSEWHERE = "198.51.100.20", "203.0.113.66", "192.0.2.5"


def guess(client, feed: CalendarFeed, ip: str, n: int):
    wrong = reverse("booking:calendar_feed", kwargs={"key": feed.key, "secret": f"guess{n}"})
    return client.get(wrong, REMOTE_ADDR=ip)


def test_wrong_secrets_never_use_up_the_real_feed(client, feed, booked):
    """The review's attack: 32 guesses made the real calendar answer 429 for the hour."""
    answers = {guess(client, feed, GUESSER, n).status_code for n in range(40)}

    assert answers == {HTTPStatus.NOT_FOUND, HTTPStatus.TOO_MANY_REQUESTS}
    assert client.get(feed_url(feed), REMOTE_ADDR=PHONE).status_code == HTTPStatus.OK
    # Even from the guessing address: the right secret is not a guess.
    assert client.get(feed_url(feed), REMOTE_ADDR=GUESSER).status_code == HTTPStatus.OK


def test_wrong_guesses_from_one_address_are_refused_for_that_address_only(client, feed):
    first = [guess(client, feed, GUESSER, n).status_code for n in range(30)]
    assert first == [HTTPStatus.NOT_FOUND] * 30

    refused = guess(client, feed, GUESSER, 30)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 3600 <= int(refused["Retry-After"]) <= 3960  # when the hour's window frees
    unknown_key = client.get("/calendar/nokey/nosecret.ics", REMOTE_ADDR=GUESSER)
    assert unknown_key.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert guess(client, feed, ELSEWHERE, 31).status_code == HTTPStatus.NOT_FOUND


@pytest.fixture
def small_budget(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "feed": "600/h/ip,2/h/key"}


def test_only_full_answers_count_against_the_key_and_a_304_does_not(
    client, feed, booked, small_budget
):
    etag = client.get(feed_url(feed), REMOTE_ADDR=PHONE)["ETag"]
    unchanged = [
        client.get(feed_url(feed), REMOTE_ADDR=PHONE, headers={"if_none_match": etag})
        for _ in range(10)
    ]
    assert {answer.status_code for answer in unchanged} == {HTTPStatus.NOT_MODIFIED}

    assert client.get(feed_url(feed), REMOTE_ADDR=PHONE).status_code == HTTPStatus.OK
    over = client.get(feed_url(feed), REMOTE_ADDR=ELSEWHERE)
    assert over.status_code == HTTPStatus.TOO_MANY_REQUESTS  # the key's budget, any address
    assert "ETag" not in over  # refused before anything was built


def test_the_log_never_shows_a_feeds_secret(client, feed, small_budget):
    from tests.sms.test_callback_logs import project_log

    with project_log() as log:
        for _ in range(3):  # the third is over the key's budget: 429, logged
            client.get(feed_url(feed), REMOTE_ADDR=PHONE)
        guess(client, feed, GUESSER, 1)

    text = log.getvalue()
    assert feed.secret not in text and "guess1" not in text
    assert f"Too Many Requests: /calendar/{feed.key}/[redacted].ics" in text
    assert f"Not Found: /calendar/{feed.key}/[redacted].ics" in text


def a_day_of_polling(day: dt.date):
    """(time, client, address, conditional) for one lawyer's four clients, in time order.

    macOS Calendar at its quickest setting (every 5 minutes, full fetches) on the office
    computer from 8:00 to 18:30; an iPhone every 15 minutes around the clock plus five
    pull-to-refreshes at wake-up, twice between the morning's consultations, at lunch and
    in the evening; an Android app (ICSx⁵) every 15 minutes with conditional requests
    plus three manual syncs a few times a day; Google Calendar every 8 hours, fetching
    twice in a row. The busiest hour (9:00) has 33 requests, 29 of them full answers.
    """
    start = dt.datetime.combine(day, dt.time(0), NOW.tzinfo)
    polls = []
    for minute in range(8 * 60, 18 * 60 + 30, 5):
        polls.append((start + dt.timedelta(minutes=minute), "mac", "192.0.2.10", False))
    for minute in range(0, 24 * 60, 15):
        at = start + dt.timedelta(minutes=minute)
        polls.append((at + dt.timedelta(minutes=1), "iphone", "198.51.100.20", False))
        polls.append((at + dt.timedelta(minutes=7), "android", "198.51.100.77", True))
    for hour, minute in ((7, 30), (9, 20), (9, 50), (12, 30), (18, 40)):
        for second in range(0, 50, 10):
            at = start + dt.timedelta(hours=hour, minutes=minute, seconds=second)
            polls.append((at, "iphone", "198.51.100.20", False))
    for hour in (9, 14, 20):
        for second in (0, 20, 40):
            at = start + dt.timedelta(hours=hour, minutes=3, seconds=second)
            polls.append((at, "android", "198.51.100.77", False))
    for hour in (3, 11, 19):
        for second in (0, 2):
            at = start + dt.timedelta(hours=hour, seconds=second)
            polls.append((at, "google", "66.249.66.1", False))
    return sorted(polls, key=lambda poll: poll[0])


def test_a_realistic_day_of_polling_by_four_clients_never_sees_429(
    client, clock, feed, booked, resident, lawyer, office, topic
):
    polls = a_day_of_polling(TUESDAY)
    etags: dict[str, str] = {}
    answers: dict[int, int] = {}
    booked_more = False
    for at, name, ip, conditional in polls:
        clock.move_to(at)
        if not booked_more and at.hour >= 10:  # the feed changes during the day
            AppointmentFactory(
                resident=resident,
                lawyer=lawyer,
                office=office,
                topic=topic,
                starts_at=local(WEDNESDAY, 11),
                now=NOW,
            )
            booked_more = True
        headers = {"if_none_match": etags[name]} if conditional and name in etags else {}
        response = client.get(feed_url(feed), REMOTE_ADDR=ip, headers=headers)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        if response.status_code == HTTPStatus.OK:
            etags[name] = response["ETag"]

    assert HTTPStatus.TOO_MANY_REQUESTS not in answers
    assert answers[HTTPStatus.OK] > 250 and answers[HTTPStatus.NOT_MODIFIED] > 90
