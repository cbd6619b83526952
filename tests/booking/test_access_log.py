"""Staff reads of residents' personal details are logged; the office admin reads the log.

Who, what, when, from where: one row per viewer, consultation, page and day.
"""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from booking.models import AccessLog, AccessPlace, FeedPrivacy
from booking.services.calendar import get_or_create_feed, set_feed_privacy
from booking.services.outcomes import request_follow_up
from tests.booking.test_calendar_feed import feed_url
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def booked(lawyer, resident):
    return AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(NOW.date(), 10),
        summary="他欠我三万元",
        matter_consent_at=NOW,
    )


def rows():
    return list(AccessLog.objects.values_list("place", "viewer_role", "details", "ip"))


def test_the_lawyers_agenda_and_appointment_page_are_logged(client, lawyer, booked):
    client.force_login(lawyer.user)
    client.get("/lawyer/", REMOTE_ADDR="10.1.2.3")
    client.get("/lawyer/", REMOTE_ADDR="10.1.2.3")  # the same day: no second row
    client.get(f"/lawyer/appointments/{booked.reference}/", REMOTE_ADDR="10.1.2.3")
    assert sorted(rows()) == [
        ("agenda", "lawyer", "name,phone,needs,summary", "10.1.2.3"),
        ("appointment", "lawyer", "name,phone,needs,summary,other_party,notes", "10.1.2.3"),
    ]
    entry = AccessLog.objects.get(place="agenda")
    assert (entry.resident, entry.appointment, entry.viewer) == (
        booked.resident, booked, lawyer.user,
    )  # fmt: skip


def test_the_desks_day_sheet_and_follow_ups_are_logged(client, lawyer, booked, desk_user):
    request_follow_up(appointment=booked, lawyer=lawyer, invite_by=NOW.date())
    client.force_login(desk_user)
    assert client.get("/desk/").status_code == HTTPStatus.OK
    assert client.get("/desk/follow-ups/").status_code == HTTPStatus.OK
    assert sorted(place for place, *_ in rows()) == ["day_sheet", "desk"]


def test_the_full_feed_is_logged_the_default_feed_is_not(client, lawyer, booked):
    feed = get_or_create_feed(lawyer=lawyer)
    client.get(feed_url(feed))
    assert rows() == []
    set_feed_privacy(lawyer=lawyer, privacy=FeedPrivacy.FULL)
    client.get(feed_url(feed))
    assert [place for place, *_ in rows()] == [AccessPlace.FEED]


def test_a_superuser_opening_a_resident_in_the_admin_is_logged(client, resident):
    admin = UserFactory(role="resident", email="root@example.invalid", phone=None,
                        phone_verified=False, is_staff=True, is_superuser=True)  # fmt: skip
    client.force_login(admin)
    assert client.get(f"/admin/accounts/user/{resident.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    logged = AccessLog.objects.filter(resident=resident, place="admin")
    assert logged.count() == 2 and logged.first().appointment is None


def test_the_office_admin_reads_only_their_offices_log(client, lawyer, booked, desk_user):
    office = lawyer.offices.get()
    client.force_login(lawyer.user)
    client.get("/lawyer/")
    other_office = OfficeFactory()
    AccessLog.objects.create(
        resident=UserFactory(), office=other_office, viewer=desk_user, viewer_name="别处的人",
        viewer_role="desk", place="day_sheet", details="name", day=NOW.date(), at=NOW,
    )  # fmt: skip
    head = UserFactory(role="office_admin", office=office, email="head@example.invalid",
                       phone=None, phone_verified=False, is_staff=True)  # fmt: skip
    head.user_permissions.add(Permission.objects.get(codename="view_accesslog"))
    client.force_login(head)
    page = client.get("/admin/booking/accesslog/").content.decode()
    assert str(lawyer.user) in page and booked.display_reference in page
    assert "别处的人" not in page
    assert booked.resident.display_name not in page  # the log names the reference, not who
