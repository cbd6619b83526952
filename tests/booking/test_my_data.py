"""The resident's "my data" pages: see everything, download it, withdraw, delete."""

import datetime as dt
import json
from http import HTTPStatus

import pytest

from booking.access_log import record_access
from booking.models import Appointment, Status
from tests.conftest import NOW, local
from tests.factories import AppointmentFactory, UserFactory

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def booked(lawyer, resident):
    appointment = AppointmentFactory(
        resident=resident,
        lawyer=lawyer,
        starts_at=local(NOW.date(), 10),
        summary="他欠我三万元",
        opposing_party="王五",
        matter_consent_at=NOW,
    )
    record_access(viewer=lawyer.user, appointments=[appointment], place="appointment",
                  details=["name", "summary"], ip="10.0.0.1")  # fmt: skip
    return appointment


def test_my_data_shows_what_is_kept_and_who_opened_it(client, resident, booked, lawyer):
    client.force_login(resident)
    page = client.get("/my/data/").content.decode()
    for shown in (
        "他欠我三万元",
        "王五",
        booked.display_reference,
        str(lawyer.user),
        "律师的预约详情页",
        "姓名、咨询事项",  # a Chinese list, with the Chinese comma
    ):
        assert shown in page, shown
    assert 'href="/my/data.json"' in page


def test_the_download_is_json_with_the_same_data(client, resident, booked):
    client.force_login(resident)
    response = client.get("/my/data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["consultations"][0]["what_it_is_about"] == "他欠我三万元"
    assert data["seen_by_staff"][0]["where"]


def test_only_residents_see_my_data_and_only_their_own(client, booked, lawyer, desk_user):
    other = UserFactory(display_name="另一位居民")
    client.force_login(other)
    page = client.get("/my/data/").content.decode()
    assert "他欠我三万元" not in page and "另一位居民" in page
    for staff in (lawyer.user, desk_user):
        client.force_login(staff)
        assert client.get("/my/data/").status_code == HTTPStatus.FORBIDDEN
        assert client.get("/my/data.json").status_code == HTTPStatus.FORBIDDEN
    client.logout()
    assert client.get("/my/data/").status_code == HTTPStatus.FOUND


def test_deleting_needs_the_tick_then_signs_out(client, resident, booked):
    client.force_login(resident)
    refused = client.post("/my/data/delete/", {})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "请勾选" in refused.content.decode()
    assert client.get("/my/data/delete/").status_code == HTTPStatus.METHOD_NOT_ALLOWED

    response = client.post("/my/data/delete/", {"delete-confirm": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    resident.refresh_from_db()
    assert not resident.is_active and resident.phone is None
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED and booked.summary == ""
    assert client.get("/my/data/").status_code == HTTPStatus.FOUND  # signed out


def test_withdrawing_cancels_and_booking_again_asks_for_agreement(client, resident, booked):
    client.force_login(resident)
    response = client.post("/my/data/withdraw/", {"withdraw-confirm": "on"}, follow=True)
    assert response.status_code == HTTPStatus.OK
    booked.refresh_from_db()
    resident.refresh_from_db()
    assert booked.status == Status.CANCELLED and resident.consented_at is None
    assert resident.is_active


def test_a_paused_resident_is_told_before_choosing_a_time(client, resident, lawyer):
    office = lawyer.offices.get()
    for days_ago in (9, 8, 7):
        start = NOW - dt.timedelta(days=days_ago)
        Appointment.objects.create(
            reference=f"9{days_ago}000000", resident=resident, lawyer=lawyer, office=office,
            topic=lawyer.topics.get(), starts_at=start, ends_at=start + dt.timedelta(minutes=30),
            status=Status.NO_SHOW,
        )  # fmt: skip
    client.force_login(resident)
    topic = lawyer.topics.get()
    for url in (f"/book/{office.slug}/", f"/book/{office.slug}/{topic.code}/"):
        page = client.get(url).content.decode()
        assert "暂停" in page or "无法在网上预约" in page, url
        assert office.phone in page
