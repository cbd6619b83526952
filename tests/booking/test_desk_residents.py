"""The desk's walk-in queue reaches residents as its booking pages do (issue 12.1): never
by part of a name, the namesakes it lists written to the access log, and no whole mobile
number on the page."""

import datetime as dt
import re
from http import HTTPStatus

import pytest

from booking.access_log import DESK_RESIDENT_DETAILS
from booking.models import AccessLog, AccessPlace, WalkIn
from tests.conftest import NOW
from tests.factories import UserFactory

URL = "/desk/queue/"
FIND = "/desk/book/"
NUMBER = "+8613912345678"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


def namesake_choices(page: str) -> list[str]:
    """The residents the arrival form asks the desk to choose from (their ids)."""
    return re.findall(r'name="who" id="who-(\d+)"', page)


def test_part_of_a_name_or_another_village_lists_no_namesake(at_desk, lawyer, topic):
    known = UserFactory(display_name="赵大爷", village="石门村", phone=NUMBER)
    for name, village in (
        ("赵", "石门村"),
        ("大爷", "石门村"),
        ("赵大爷", "石门"),
        ("赵大爷", "柳树村"),
    ):
        response = at_desk.post(URL, {"name": name, "village": village, "topic": topic.pk})
        # Nobody of that full name and village: a new resident, no list to pick from.
        assert response.status_code == HTTPStatus.FOUND, (name, village)
        assert WalkIn.objects.latest("pk").resident != known
    assert not AccessLog.objects.filter(resident=known).exists()


def test_the_namesakes_listed_at_the_queue_are_in_the_access_log(
    at_desk, desk_user, office, lawyer, topic
):
    known = UserFactory(display_name="赵大爷", village="石门村", phone=NUMBER)
    page = at_desk.post(
        URL, {"name": " 赵 大爷", "village": "石门村", "topic": topic.pk}
    ).content.decode()
    assert namesake_choices(page) == [str(known.pk)] and not WalkIn.objects.exists()
    assert "5678" in page and "139 1234 5678" not in page and "13912345678" not in page
    row = AccessLog.objects.get()
    assert (row.resident, row.appointment, row.office, row.viewer, row.place) == (
        known,
        None,
        office,
        desk_user,
        AccessPlace.DESK,
    )
    assert row.details == ",".join(DESK_RESIDENT_DETAILS)


def test_the_queue_shows_a_nameless_residents_number_masked(at_desk, lawyer, topic):
    at_desk.post(URL, {"phone": "139 1234 5678", "topic": topic.pk})
    walk_in = WalkIn.objects.get()
    assert walk_in.resident.display_name == ""
    page = at_desk.get(URL).content.decode()
    assert "139****5678" in page
    assert "139 1234 5678" not in page and "13912345678" not in page


def test_only_active_residents_are_found(at_desk, lawyer):
    UserFactory(phone=NUMBER, display_name="王芳", is_active=False)
    UserFactory(
        phone="+8613900001111", display_name="李娜", pending_until=NOW + dt.timedelta(minutes=5)
    )
    for number in (NUMBER, "+8613900001111"):
        page = at_desk.post(FIND, {"phone": number, "action": "find"}).content.decode()
        assert 'href="/desk/book/for/' not in page
        assert "王芳" not in page and "李娜" not in page
    assert not AccessLog.objects.exists()
